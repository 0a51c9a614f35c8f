//! Runs through PgBouncer 1.18 in transaction pooling mode (issue 10,
//! acceptance 1 and 5): the runner's lock must hold although consecutive
//! transactions of one client land on different server connections, and
//! nothing a run sets or prepares may stay behind on a pooled server
//! connection for the next client. Each test starts its own PgBouncer
//! (tests/common/pgbouncer.rs; `scripts/pgbouncer-install` installs it).
mod common;

use std::sync::Barrier;

use common::pgbouncer::PgBouncer;
use common::project::{Output, Project};
use common::TestDb;

/// Concurrent runners, as in the issue's report.
const RUNNERS: usize = 8;

const MIGRATIONS: usize = 20;

/// Runs `args` in `RUNNERS` processes started together.
fn run_together(p: &Project, args: &[&str]) -> Vec<Output> {
    let start = Barrier::new(RUNNERS);
    std::thread::scope(|s| {
        let runners: Vec<_> = (0..RUNNERS)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    p.run(args)
                })
            })
            .collect();
        runners
            .into_iter()
            .map(|r| r.join().expect("runner thread"))
            .collect()
    })
}

/// Fails listing every run that did not exit 0 (and PgBouncer's log).
#[track_caller]
fn all_ok(outputs: &[Output], bouncer: &PgBouncer) {
    let failed: Vec<String> = outputs
        .iter()
        .enumerate()
        .filter(|(_, o)| o.code != 0)
        .map(|(i, o)| format!("=== run {i}: {o}"))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {RUNNERS} concurrent runs through PgBouncer failed:\n{}\n=== PgBouncer log (tail) ===\n{}",
        failed.len(),
        failed.join("\n"),
        tail(&bouncer.log(), 30)
    );
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// What a run may not leave on the pool: an advisory lock (held by an idle
/// pooled server connection, it blocks the next deploy) or a session idle
/// inside a transaction. Read on a direct connection while PgBouncer still
/// holds its server connections.
#[track_caller]
fn nothing_left_behind(db: &TestDb) {
    let locks = db.strings(&format!(
        "select l.pid || ' ' || l.objid || ' granted=' || l.granted || ' ' || coalesce(a.state, '?') \
         from pg_locks l join pg_database d on d.oid = l.database \
         left join pg_stat_activity a on a.pid = l.pid \
         where l.locktype = 'advisory' and d.datname = '{}'",
        db.name
    ));
    assert_eq!(
        db.advisory_locks(),
        0,
        "advisory locks are still held on the database after every run ended (pid, key, state): {locks:?}"
    );
    let idle_in_tx = db.strings(&format!(
        "select pid || ' ' || state || ': ' || query from pg_stat_activity \
         where datname = '{}' and state like 'idle in transaction%'",
        db.name
    ));
    assert!(
        idle_in_tx.is_empty(),
        "sessions left idle in a transaction: {idle_in_tx:?}"
    );
}

/// Migration `n` creates its own table and logs itself in `applied_log`
/// (created by the first), so running one twice fails or shows twice; the
/// short sleep widens the window in which runners overlap.
fn logging_migration(n: usize) -> String {
    let log_table = if n == 1 {
        "    knex.schema:raw(\"create table applied_log (name text not null)\")\n"
    } else {
        ""
    };
    format!(
        "return {{\n  up = function(knex)\n{log_table}    knex.schema:raw(\"create table t{n:02} (id integer)\")\n    knex(\"applied_log\"):insert({{ name = \"m{n:02}\" }}):run()\n    knex.raw(\"select pg_sleep(0.05)\"):run()\n  end,\n  down = function(knex)\n    knex.schema:raw(\"drop table t{n:02}\")\n  end,\n}}\n"
    )
}

#[test]
fn eight_concurrent_migrate_latest_through_pgbouncer_apply_each_migration_once() {
    let db = TestDb::new("pooler_migrate");
    let bouncer = PgBouncer::start(&db, 2);
    let p = Project::new(&db);
    for n in 1..=MIGRATIONS {
        p.migration(&format!("20240101{n:06}_m{n:02}"), &logging_migration(n));
    }
    let url = bouncer.url(&db);
    let outputs = run_together(&p, &["--database-url", &url, "migrate:latest"]);
    all_ok(&outputs, &bouncer);

    let want: Vec<String> = (1..=MIGRATIONS).map(|n| format!("m{n:02}")).collect();
    let ledger = db.strings("select name from knex_migrations order by name");
    let mut distinct = ledger.clone();
    distinct.dedup();
    assert_eq!(
        (ledger.len(), distinct.len()),
        (MIGRATIONS, MIGRATIONS),
        "the ledger must hold each migration once: {ledger:?}"
    );
    let log = db.strings("select name from applied_log order by name");
    assert_eq!(
        log, want,
        "each migration must have run exactly once (applied_log, sorted)"
    );
    assert_eq!(
        db.strings("select count(distinct batch) from knex_migrations"),
        vec!["1"],
        "all migrations belong to one batch (one runner applied them)"
    );
    assert_eq!(
        db.strings("select coalesce(sum(is_locked), 0) from knex_migrations_lock"),
        vec!["0"],
        "Knex's lock row is left set"
    );
    nothing_left_behind(&db);
}

#[test]
fn eight_concurrent_seed_runs_through_pgbouncer_leave_consistent_rows() {
    let db = TestDb::new("pooler_seed");
    db.client()
        .batch_execute(
            "create table stock (id integer not null, qty integer not null); \
             create table seed_runs (id serial primary key)",
        )
        .expect("create seed tables");
    let bouncer = PgBouncer::start(&db, 2);
    let p = Project::new(&db);
    // No primary key on purpose: two seed runs interleaving (each deleting
    // what it sees, then inserting) leave duplicate rows behind.
    p.file(
        "seeds/01_stock.lua",
        "return {\n  seed = function(knex)\n    knex(\"stock\"):del():run()\n    knex.raw(\"select pg_sleep(0.1)\"):run()\n    local rows = {}\n    for i = 1, 10 do rows[i] = { id = i, qty = i * 10 } end\n    knex(\"stock\"):insert(rows):run()\n  end,\n}\n",
    );
    p.file(
        "seeds/02_runs.lua",
        "return {\n  seed = function(knex)\n    knex.raw(\"insert into seed_runs default values\"):run()\n  end,\n}\n",
    );
    let url = bouncer.url(&db);
    let outputs = run_together(&p, &["--database-url", &url, "seed:run"]);
    all_ok(&outputs, &bouncer);

    assert_eq!(
        db.strings("select count(*) from seed_runs"),
        vec![RUNNERS.to_string()],
        "every run's seeds committed once"
    );
    assert_eq!(
        db.strings("select id || ':' || qty from stock order by id, qty"),
        (1..=10)
            .map(|i| format!("{i}:{}", i * 10))
            .collect::<Vec<_>>(),
        "stock must hold exactly one copy of the seeded rows (runs overlapped otherwise)"
    );
    nothing_left_behind(&db);
}

/// The settings a run may change, as a new client sees them.
fn settings(client: &mut postgres::Client) -> Vec<String> {
    [
        "statement_timeout",
        "lock_timeout",
        "client_connection_check_interval",
    ]
    .iter()
    .map(|name| {
        let rows = client
            .simple_query(&format!("show {name}"))
            .expect("show setting");
        let value = rows
            .iter()
            .find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                _ => None,
            })
            .unwrap_or_default();
        format!("{name} = {value}")
    })
    .collect()
}

#[test]
fn after_a_run_through_pgbouncer_the_next_client_sees_the_server_default_settings() {
    let db = TestDb::new("pooler_settings");
    // One server connection: the client after the run surely gets the one
    // the run used.
    let bouncer = PgBouncer::start(&db, 1);
    let p = Project::new(&db);
    p.config(&format!(
        "[defaults]\nlock_timeout = \"30s\"\nstatement_timeout = \"5s\"\n\n[environments.development]\nconnection = \"{}\"\n",
        db.url
    ));
    p.table_migration("20240101000001_a", "a");
    p.file(
        "seeds/01_a.lua",
        "return {\n  seed = function(knex)\n    knex(\"a\"):insert({ id = 1 }):run()\n  end,\n}\n",
    );
    // The server's defaults, as a direct connection sees them.
    let defaults = settings(&mut db.client());
    let url = bouncer.url(&db);
    for verb in ["migrate:latest", "seed:run"] {
        p.run(&["--database-url", &url, verb]).ok();
        assert_eq!(
            settings(&mut bouncer.client(&db)),
            defaults,
            "a new client through PgBouncer, after `{verb}` with statement_timeout = \"5s\", \
             must see the server's defaults (left: through PgBouncer, right: direct)"
        );
    }
    nothing_left_behind(&db);
}

/// The named prepared statements on the (one) pooled server connection, as a
/// new client through PgBouncer finds them.
fn prepared_statements(bouncer: &PgBouncer, db: &TestDb) -> Vec<String> {
    assert_eq!(bouncer.pool_size, 1, "needs the one server connection");
    bouncer
        .client(db)
        .simple_query(
            "select name || ': ' || left(statement, 60) from pg_prepared_statements order by name",
        )
        .expect("list prepared statements")
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .collect()
}

#[test]
fn a_seed_of_parameterised_inserts_runs_twice_in_a_row_through_pgbouncer() {
    let db = TestDb::new("pooler_prepared");
    db.client()
        .batch_execute(
            "create type mood as enum ('happy', 'sad'); \
             create table items (id integer primary key, name text not null, mood mood not null); \
             create table tagged (id integer primary key, tags text[] not null, doc jsonb not null); \
             create table events (id integer primary key, note text)",
        )
        .expect("create seed tables");
    // One server connection: the second run meets whatever the first left on it.
    let bouncer = PgBouncer::start(&db, 1);
    let p = Project::new(&db);
    // Each path of src/db that may prepare a named statement: a large insert
    // (>= 64 values, prepared once and reused for the next chunk), a Lua
    // sequence bound to `text[]` and `jsonb` (prepared to learn the
    // parameter types), and a result with an enum column (the driver looks
    // the type up with statements of its own); plus many small inserts.
    p.file(
        "seeds/01_items.lua",
        r#"return {
  seed = function(knex)
    knex("items"):del():run()
    knex("tagged"):del():run()
    knex("events"):del():run()
    for chunk = 0, 3 do
      local rows = {}
      for i = 1, 50 do
        local id = chunk * 50 + i
        rows[i] = { id = id, name = "item " .. id, mood = (id % 2 == 0) and "happy" or "sad" }
      end
      knex("items"):insert(rows):run()
    end
    for i = 1, 3 do
      knex("tagged"):insert({ id = i, tags = { "a", "b" .. i }, doc = { i, i + 1 } }):run()
    end
    for i = 1, 100 do
      knex("events"):insert({ id = i, note = "event " .. i }):run()
    end
    local rows = knex("items"):select("id", "mood"):where("id", "<=", 2):orderBy("id"):run()
    assert(#rows == 2 and rows[1].mood == "sad" and rows[2].mood == "happy", "enum column read back wrong")
  end,
}
"#,
    );
    let url = bouncer.url(&db);
    let mut left_over = Vec::new();
    for run in ["first", "second"] {
        let out = p.run(&["--database-url", &url, "seed:run"]);
        assert_eq!(
            out.code,
            0,
            "the {run} seed run through PgBouncer failed; {out}\n=== PgBouncer log (tail) ===\n{}",
            tail(&bouncer.log(), 20)
        );
        left_over.extend(prepared_statements(&bouncer, &db));
    }
    // Each run must close what it prepared before its transaction ends,
    // whatever PgBouncer version or client comes next.
    assert!(
        left_over.is_empty(),
        "named prepared statements stayed on the pooled server connection after a run: {left_over:#?}"
    );
    assert_eq!(
        db.strings(
            "select count(*) || ' ' || count(*) filter (where mood = 'happy') || ' ' || max(id) from items"
        ),
        vec!["200 100 200"]
    );
    assert_eq!(
        db.strings("select id || ' ' || tags::text || ' ' || doc::text from tagged order by id"),
        vec!["1 {a,b1} [1, 2]", "2 {a,b2} [2, 3]", "3 {a,b3} [3, 4]"]
    );
    assert_eq!(db.strings("select count(*) from events"), vec!["100"]);
    nothing_left_behind(&db);
}

/// A run that spans several transactions (a `transaction = false` migration)
/// needs a lock that lasts between them, which a transaction pooler cannot
/// hold: through PgBouncer it is refused before anything runs, naming
/// `direct_connection`; with `direct_connection` set it runs there, and no
/// advisory lock stays behind.
#[test]
fn a_run_outside_a_transaction_is_refused_through_pgbouncer_and_runs_on_direct_connection() {
    let db = TestDb::new("pool_direct");
    let bouncer = PgBouncer::start(&db, 2);
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    p.migration(
        "002_index",
        "return {\n  config = { transaction = false },\n  up = function(knex) knex.schema:raw(\"create index concurrently a_id on a (id)\") end,\n  down = function(knex) knex.schema:raw(\"drop index a_id\") end,\n}\n",
    );
    let pooled = bouncer.url(&db);
    p.config(&format!(
        "[environments.development]\nconnection = \"{pooled}\"\n"
    ));
    let refused = p.run(&["migrate:latest"]);
    refused.code(2).says(&[
        "migrations/002_index.lua",
        "outside a transaction",
        "looks like it goes through a pooler",
        "direct_connection",
        "nothing was run",
    ]);
    assert!(!db.table_exists("a"), "{refused}");
    // --per-migration of more than one migration spans transactions too.
    p.remove("migrations/002_index.lua");
    p.table_migration("003_b", "b");
    p.run(&["migrate:latest", "--per-migration"])
        .code(2)
        .says(&["--per-migration", "direct_connection"]);
    assert_eq!(db.ledger_count(), 0);
    p.migration(
        "002_index",
        "return {\n  config = { transaction = false },\n  up = function(knex) knex.schema:raw(\"create index concurrently a_id on a (id)\") end,\n  down = function(knex) knex.schema:raw(\"drop index a_id\") end,\n}\n",
    );
    p.config(&format!(
        "[environments.development]\nconnection = \"{pooled}\"\ndirect_connection = \"{}\"\n",
        db.url
    ));
    p.run(&["migrate:latest"])
        .ok()
        .says(&["Batch 1 run: 3 migrations"]);
    assert_eq!(db.ledger_count(), 3);
    // Read-only verbs still go through the pooler.
    p.run(&["migrate:list"]).ok();
    assert_eq!(db.advisory_locks(), 0);
}
