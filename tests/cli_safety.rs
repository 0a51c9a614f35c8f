//! Locking and crash safety through the real binary: eight concurrent
//! `migrate:latest` runs, and a runner killed with SIGKILL mid-migration.
mod common;

use std::time::{Duration, Instant};

use common::project::{create_table, to_output, Project};
use common::TestDb;

/// Polls `sql` (first column of the first row) until it equals `want`.
fn wait_for(db: &TestDb, sql: &str, want: &str, within: Duration) -> bool {
    let started = Instant::now();
    loop {
        if db.strings(sql).first().map(String::as_str) == Some(want) {
            return true;
        }
        if started.elapsed() > within {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits (up to 10 s) until no session but the asking one is connected to
/// `db`; fails with `why` and the sessions still there.
#[track_caller]
fn assert_no_other_sessions(db: &TestDb, why: &str) {
    let others = |what: &str| {
        format!(
            "select {what} from pg_stat_activity where datname = '{}' and pid <> pg_backend_pid()",
            db.name
        )
    };
    assert!(
        wait_for(db, &others("count(*)"), "0", Duration::from_secs(10)),
        "{why}: {:?}",
        db.strings(&others("state || ' ' || query"))
    );
}

// 7. Eight runners at once: each migration applied exactly once, all exit 0,
//    the ones that waited say so.
#[test]
fn eight_concurrent_runners_apply_each_migration_once() {
    let db = TestDb::new("concurrent");
    let p = Project::new(&db);
    p.migration(
        "001_slow",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"select pg_sleep(2)\")\n    knex.schema:raw(\"create table a (id integer)\")\n  end,\n}\n",
    )
    .table_migration("002_b", "b")
    .table_migration("003_c", "c");

    let children: Vec<_> = (0..8)
        .map(|_| {
            p.command(&["migrate:latest"])
                .spawn()
                .expect("spawn vectra-db")
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| to_output(c.wait_with_output().expect("wait for vectra-db")))
        .collect();

    for out in &outputs {
        out.ok();
    }
    let ran: Vec<_> = outputs
        .iter()
        .filter(|o| o.stdout.contains("Batch 1 run: 3 migrations"))
        .collect();
    assert_eq!(ran.len(), 1, "exactly one runner applies the batch");
    let others: Vec<_> = outputs
        .iter()
        .filter(|o| !o.stdout.contains("Batch 1 run"))
        .collect();
    assert_eq!(others.len(), 7);
    for out in others {
        assert_eq!(out.stdout.trim(), "Already up to date", "{out}");
        assert!(
            out.stderr.contains("waiting for the migration lock"),
            "a runner that waited did not say so; {out}"
        );
    }
    assert_eq!(
        db.strings(
            "select name || ':' || count(*) from knex_migrations group by name order by name"
        ),
        vec!["001_slow.lua:1", "002_b.lua:1", "003_c.lua:1"]
    );
    assert_eq!(
        db.strings("select count(distinct batch) from knex_migrations"),
        vec!["1"]
    );
}

// 8. SIGKILL in the middle of a migration: no partial schema, no ledger row,
//    no lock; the next run succeeds without `migrate:unlock`.
#[test]
fn a_runner_killed_mid_migration_leaves_nothing_behind() {
    let db = TestDb::new("crash");
    let p = Project::new(&db);
    p.table_migration("001_a", "a").migration(
        "002_sleep",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"select pg_sleep(30)\")\n  end,\n}\n",
    );
    let mut child = p
        .command(&["migrate:latest"])
        .spawn()
        .expect("spawn vectra-db");
    let sleeping = format!(
        "select count(*) from pg_stat_activity where datname = '{}' and state = 'active' and query like 'select pg_sleep(30)%'",
        db.name
    );
    let started = wait_for(&db, &sleeping, "1", Duration::from_secs(20));
    if !started {
        let _ = child.kill();
        let out = to_output(child.wait_with_output().expect("wait"));
        panic!("the runner never reached pg_sleep; {out}");
    }
    child.kill().expect("SIGKILL the runner");
    let status = child.wait().expect("reap the runner");
    assert!(!status.success());

    // The server notices the dead client and ends its backend.
    assert_no_other_sessions(&db, "the killed runner's backend is still alive");
    let advisory = format!(
        "select count(*) from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = '{}')",
        db.name
    );
    assert!(
        wait_for(&db, &advisory, "0", Duration::from_secs(5)),
        "an advisory lock is still held"
    );
    assert!(
        !db.table_exists("a"),
        "table of migration 1 survived the crash"
    );
    assert_eq!(
        db.strings("select count(*) from knex_migrations"),
        vec!["0"],
        "a ledger row survived the crash"
    );
    assert_eq!(
        db.strings("select is_locked from knex_migrations_lock"),
        vec!["0"],
        "the Knex lock row was left set"
    );

    // Next run: no unlock needed.
    p.migration("002_sleep", &create_table("s"));
    let out = p.run(&["migrate:latest"]);
    out.ok().says(&["Batch 1 run: 2 migrations"]);
    assert!(!out.stderr.contains("waiting"), "{out}");
    assert!(db.table_exists("a") && db.table_exists("s"));
}

// §5: waiting is bounded by `lock_timeout`, with a message while waiting.
#[test]
fn a_held_lock_times_out_after_lock_timeout() {
    let db = TestDb::new("lock_timeout");
    let p = Project::new(&db);
    p.config(&format!(
        "[defaults]\nlock_timeout = \"700ms\"\n\n[environments.development]\nconnection = \"{}\"\n",
        db.url
    ));
    p.table_migration("001_a", "a");
    // Another runner holds the lock: take it the way vectra-db does.
    let key = vectra_db::runner::lock::key("public.knex_migrations");
    let mut holder = db.client();
    holder
        .batch_execute(&format!("select pg_advisory_lock({key})"))
        .expect("take the advisory lock");

    let started = Instant::now();
    let out = p.run(&["migrate:latest"]);
    let took = started.elapsed();
    out.code(1).says(&[
        "waiting for the migration lock",
        "timed out",
        "lock_timeout",
    ]);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(!db.table_exists("a"));

    // Released: the next run goes through at once.
    holder
        .batch_execute(&format!("select pg_advisory_unlock({key})"))
        .expect("release");
    let out = p.run(&["migrate:latest"]);
    out.ok().says(&["Batch 1 run: 1 migration"]);
    assert!(!out.stderr.contains("waiting"), "{out}");
}

// §5: while one runner waits, a read-only status is not blocked.
#[test]
fn status_does_not_wait_for_the_lock() {
    let db = TestDb::new("status_nolock");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    let key = vectra_db::runner::lock::key("public.knex_migrations");
    let mut holder = db.client();
    holder
        .batch_execute(&format!("select pg_advisory_lock({key})"))
        .expect("take the advisory lock");
    let started = Instant::now();
    p.run(&["migrate:status"]).ok().says(&["001_a.lua"]);
    assert!(started.elapsed() < Duration::from_secs(5));
}

// Issue 10: the verbs that change the database use `direct_connection`
// when it is set; read-only verbs keep using `connection` (the pooler).
#[test]
fn changing_verbs_use_direct_connection_and_read_only_ones_use_connection() {
    let db = TestDb::new("direct_conn");
    let p = Project::new(&db);
    // `connection` points at a closed port: only what uses it fails.
    p.config(&format!(
        "[environments.development]\nconnection = \"postgres://nobody@127.0.0.1:1/none?connect_timeout=2\"\ndirect_connection = \"{}\"\n",
        db.url
    ));
    p.table_migration("001_a", "a");
    p.run(&["migrate:latest"])
        .ok()
        .says(&["Batch 1 run: 1 migration"]);
    assert!(db.table_exists("a"));
    p.run(&["seed:run"]).ok();
    p.run(&["migrate:list"]).code(1).says(&["127.0.0.1"]);
    assert_eq!(db.advisory_locks(), 0);
}

// A run that spans several transactions holds the lock for the session
// between them, and gives it back at the end; a single-transaction run
// holds it only inside its transaction. Either way none is left.
#[test]
fn runs_of_one_or_several_transactions_leave_no_advisory_lock() {
    let db = TestDb::new("lock_spans");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    // Outside any transaction, the lock is held by the session: recorded.
    p.migration(
        "002_concurrent",
        "return {\n  config = { transaction = false },\n  up = function(knex)\n    knex.schema:raw(\"create index concurrently a_id on a (id)\")\n    knex.schema:raw(\"create table seen as select count(*) as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()\")\n  end,\n  down = function(knex) knex.schema:raw(\"drop index a_id; drop table seen\") end,\n}\n",
    );
    p.table_migration("003_b", "b");
    p.run(&["migrate:latest"])
        .ok()
        .says(&["Batch 1 run: 3 migrations"]);
    assert_eq!(db.strings("select n from seen"), ["1"]);
    assert_eq!(db.advisory_locks(), 0);
    p.run(&["migrate:rollback", "--per-migration"])
        .ok()
        .says(&["Batch 1 rolled back: 3 migrations"]);
    assert_eq!(db.advisory_locks(), 0);
    assert_eq!(db.ledger_count(), 0);
}

// Issue 10: an interrupted `CREATE INDEX CONCURRENTLY` leaves an INVALID
// index, and the rerun fails on "already exists": the error names the
// index and the `DROP INDEX` that clears it. (A unique build over
// duplicate rows fails the same way an interrupted one does.)
#[test]
fn a_rerun_over_an_invalid_index_names_it_and_the_drop_that_clears_it() {
    let db = TestDb::new("invalid_index");
    let p = Project::new(&db);
    p.migration(
        "001_t",
        "return {\n  up = function(knex) knex.schema:raw(\"create table t (x int); insert into t values (1), (1)\") end,\n}\n",
    );
    p.migration(
        "002_unique",
        "return {\n  config = { transaction = false },\n  up = function(knex) knex.schema:raw(\"create unique index concurrently t_x on t (x)\") end,\n}\n",
    );
    p.run(&["migrate:latest"])
        .code(1)
        .says(&["migrations/002_unique.lua", "could not create unique index"]);
    assert_eq!(
        db.strings("select indisvalid::text from pg_index where indexrelid = 't_x'::regclass"),
        ["false"]
    );
    db.client()
        .batch_execute("delete from t where ctid <> (select min(ctid) from t)")
        .expect("remove the duplicate");
    p.run(&["migrate:latest"]).code(1).says(&[
        "migrations/002_unique.lua:3",
        "relation \"t_x\" already exists",
        "index \"public\".\"t_x\" exists but is INVALID",
        "DROP INDEX CONCURRENTLY \"public\".\"t_x\";",
    ]);
    db.client()
        .batch_execute("drop index concurrently t_x")
        .expect("drop it as told");
    p.run(&["migrate:latest"]).ok();
    assert_eq!(db.ledger_count(), 2);
}

/// The server ends the run's own session mid-batch (an administrator's
/// `pg_terminate_backend`, here the migration's own): a clear error naming
/// the line whose statement met it, no panic, nothing applied, and the next
/// run starts clean. Once awaited (`:run()`), once among schema statements
/// sent ahead together, where the statements behind the fatal one meet a
/// closed connection and must not be the ones blamed.
#[test]
fn a_session_ended_by_the_server_mid_batch_is_reported_and_nothing_is_applied() {
    let db = TestDb::new("terminated");
    let p = Project::new(&db);
    for (kill, line) in [
        (
            "knex.raw('select pg_terminate_backend(pg_backend_pid())'):run()",
            5,
        ),
        (
            "knex.schema:raw('select pg_terminate_backend(pg_backend_pid())')",
            5,
        ),
    ] {
        p.table_migration("001_a", "a").migration(
            "002_kill",
            &format!("return {{\n  up = function(knex)\n    knex.schema:raw('create table before_kill (id int)')\n    knex.schema:raw('create index before_kill_id on before_kill (id)')\n    {kill}\n    knex.schema:raw('create table after_kill (id int)')\n  end,\n}}\n"),
        );
        let out = p.run(&["migrate:latest"]);
        out.code(1).no_panic().says(&[
            "terminating connection due to administrator command",
            &format!("002_kill.lua:{line}"),
            "nothing of it was applied",
        ]);
        for table in ["a", "before_kill", "after_kill"] {
            assert!(!db.table_exists(table), "`{table}` exists after: {out}");
        }
        assert_eq!(
            db.strings("select count(*) from knex_migrations"),
            vec!["0"]
        );
    }
    p.migration("002_kill", &create_table("k"));
    p.run(&["migrate:latest"])
        .ok()
        .says(&["Batch 1 run: 2 migrations"]);
}

/// A run ends its session with PostgreSQL's goodbye (`Terminate`), not by
/// dropping the socket: the server counts a session whose client vanished as
/// abandoned (`pg_stat_database.sessions_abandoned`), and a pooler or the
/// server's log would see a broken client after every run.
#[test]
fn runs_say_goodbye_to_the_server() {
    let db = TestDb::new("goodbye");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    p.run(&["migrate:latest"]).ok();
    p.run(&["migrate:list"]).ok();
    p.run(&["migrate:rollback"]).ok();
    p.run(&["migrate:latest", "--dry-run"]).ok();
    assert_no_other_sessions(&db, "a session of the runs is still open");
    let counts = db.strings(&format!(
        "select sessions || ' ' || sessions_abandoned from pg_stat_database where datname = '{}'",
        db.name
    ));
    let (sessions, abandoned) = counts[0].split_once(' ').expect("two numbers");
    assert!(sessions.parse::<u32>().expect("a count") >= 4, "{counts:?}");
    assert_eq!(
        abandoned, "0",
        "sessions ended without a goodbye: {counts:?}"
    );
}
