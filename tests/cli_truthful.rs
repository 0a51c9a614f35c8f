//! Sending statements ahead must change nothing a user can observe (SPEC §5,
//! issue 9): who is blamed, which lines are printed, durations, what `pcall`
//! and `knex.transaction` see; a runaway migration is stopped by the Lua
//! limits, and Ctrl-C / SIGTERM roll back, free the lock and exit 130 / 143.
mod common;

use std::time::{Duration, Instant};

use common::project::{Output, Project};
use common::TestDb;

/// The milliseconds printed on the `up` line of `file`.
fn printed_ms(out: &Output, file: &str) -> f64 {
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains(file))
        .unwrap_or_else(|| panic!("no line for {file}; {out}"));
    let inside = line
        .rsplit_once('(')
        .and_then(|(_, r)| r.strip_suffix(" ms)"))
        .unwrap_or_else(|| panic!("no duration in {line:?}"));
    inside.parse().expect("a number of milliseconds")
}

const A_FAILS: &str = "return {
  up = function(knex)
    -- the table does not exist
    knex.schema:raw(\"alter table no_such_table add column y int\")
  end,
}
";

const B_QUERIES: &str = "return {
  up = function(knex)
    print(\"b ran\")

    knex.raw(\"select 1\"):run()
  end,
}
";

#[test]
fn a_failure_is_blamed_on_its_own_file_with_no_success_line_and_no_later_lua() {
    let db = TestDb::new("blame");
    let p = Project::new(&db);
    p.migration("20240101000000_a", A_FAILS)
        .migration("20240101000001_b", B_QUERIES);
    for env in [
        [("VECTRA_DB_PIPELINE", "on")],
        [("VECTRA_DB_PIPELINE", "off")],
    ] {
        let out = p.run_env(&["migrate:latest"], &env);
        out.code(1).says(&[
            "migrations/20240101000000_a.lua:4",
            "relation \"no_such_table\" does not exist",
            "rolled back",
        ]);
        assert!(!out.stdout.contains("20240101000000_a.lua ("), "{out}");
        assert!(!out.all().contains("20240101000001_b.lua"), "{out}");
        assert!(!out.all().contains("b ran"), "{out}");
        assert_eq!(db.ledger_count(), 0);
    }
}

#[test]
fn a_failure_in_a_down_is_blamed_on_that_file_during_rollback_all() {
    let db = TestDb::new("blame_down");
    let p = Project::new(&db);
    p.migration(
        "001_a",
        "return {\n  up = function(knex) knex.schema:raw('create table a (id int)') end,\n  down = function(knex)\n    knex.schema:raw('drop table a')\n  end,\n}\n",
    )
    .migration(
        "002_b",
        "return {\n  up = function(knex) end,\n  down = function(knex)\n\n    knex.schema:raw('drop table no_such_table')\n  end,\n}\n",
    )
    .migration(
        "003_c",
        "return {\n  up = function(knex) end,\n  down = function(knex) end,\n}\n",
    );
    p.run(&["migrate:latest"]).ok();
    let out = p.run(&["migrate:rollback", "--all"]);
    out.code(1)
        .says(&["migrations/002_b.lua:5", "no_such_table", "rolled back"]);
    assert!(out.stdout.contains("003_c.lua"), "{out}");
    assert!(!out.stdout.contains("002_b.lua ("), "{out}");
    assert!(!out.stdout.contains("001_a.lua"), "{out}");
    assert!(db.table_exists("a"));
    assert_eq!(db.ledger_count(), 3);
}

#[test]
fn a_files_duration_includes_the_time_the_server_spent_on_it() {
    let db = TestDb::new("durations");
    let p = Project::new(&db);
    p.migration(
        "001_slow",
        "return {\n  up = function(knex)\n    knex.schema:raw('select pg_sleep(0.4)')\n  end,\n}\n",
    )
    .migration(
        "002_fast",
        "return {\n  up = function(knex)\n    knex.schema:raw('create table fast (id int)')\n  end,\n}\n",
    );
    let out = p.run(&["migrate:latest"]);
    out.ok();
    assert!(printed_ms(&out, "001_slow.lua") >= 400.0, "{out}");
    assert!(printed_ms(&out, "002_fast.lua") < 400.0, "{out}");
}

const PCALL_TRANSACTION: &str = "return {
  up = function(knex)
    knex.schema:createTable('t', function(t) t:increments() end)
    local ok, err = pcall(knex.transaction, function(trx)
      trx.schema:raw('alter table no_such_table add column y int')
      trx.schema:raw('create table never (id int)')
    end)
    assert(not ok, 'the transaction should have failed')
    assert(tostring(err):find('no_such_table', 1, true), tostring(err))
    knex.schema:createTable('u', function(t) t:increments() end)
  end,
  down = function(knex)
    knex.schema:dropTable('u')
    knex.schema:dropTable('t')
  end,
}
";

#[test]
fn pcall_around_knex_transaction_behaves_the_same_in_every_mode() {
    let db = TestDb::new("pcall_trx");
    let p = Project::new(&db);
    p.migration("001_pcall_trx", PCALL_TRANSACTION);
    for args in [
        &["migrate:latest", "--dry-run"][..],
        &["-v", "migrate:latest"][..],
        &["migrate:rollback"][..],
        &["migrate:latest"][..],
    ] {
        let out = p.run(args);
        out.ok();
        if args[0] == "migrate:rollback" {
            assert!(!db.table_exists("t") && !db.table_exists("u"));
            continue;
        }
        let applied = !args.contains(&"--dry-run");
        assert_eq!(db.table_exists("t"), applied, "{out}");
        assert_eq!(db.table_exists("u"), applied, "{out}");
        assert!(!db.table_exists("never"));
    }
    p.run_env(&["migrate:rollback"], &[("VECTRA_DB_PIPELINE", "off")])
        .ok();
    p.run_env(&["migrate:latest"], &[("VECTRA_DB_PIPELINE", "off")])
        .ok();
    assert!(db.table_exists("u"));
}

const PCALL_SCHEMA: &str = "return {
  up = function(knex)
    knex.schema:raw('create table before_it (id int)')
    local ok, err = pcall(function()
      knex.schema:alterTable('no_such_table', function(t) t:integer('y') end)
    end)
    error('pcall returned ' .. tostring(ok) .. ': ' .. tostring(err))
  end,
}
";

#[test]
fn pcall_around_a_failing_schema_call_returns_false_with_that_calls_error_in_every_mode() {
    let db = TestDb::new("pcall_schema");
    let p = Project::new(&db);
    p.migration("001_pcall", PCALL_SCHEMA);
    type Run<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
    let runs: [Run; 4] = [
        (&["migrate:latest"], &[]),
        (&["migrate:latest"], &[("VECTRA_DB_PIPELINE", "off")]),
        (&["-v", "migrate:latest"], &[]),
        (&["migrate:latest", "--dry-run"], &[]),
    ];
    for (args, env) in runs {
        let out = p.run_env(args, env);
        out.code(1).says(&[
            "pcall returned false",
            "migrations/001_pcall.lua:5",
            "relation \"no_such_table\" does not exist",
            "migrations/001_pcall.lua:7",
        ]);
        assert!(!db.table_exists("before_it"));
    }
}

#[test]
fn a_failure_sent_ahead_before_a_pcall_is_not_swallowed_by_it() {
    let db = TestDb::new("pcall_earlier");
    let p = Project::new(&db);
    p.migration(
        "001_earlier",
        "return {\n  up = function(knex)\n    knex.schema:raw('alter table nope add column y int')\n    local ok = pcall(function() knex.schema:raw('create table x (id int)') end)\n    error('reached with ' .. tostring(ok))\n  end,\n}\n",
    );
    for env in [
        [("VECTRA_DB_PIPELINE", "on")],
        [("VECTRA_DB_PIPELINE", "off")],
    ] {
        let out = p.run_env(&["migrate:latest"], &env);
        out.code(1).says(&[
            "migrations/001_earlier.lua:3",
            "relation \"nope\" does not exist",
        ]);
        assert!(!out.all().contains("reached with"), "{out}");
    }
}

#[test]
fn a_migration_that_loops_forever_is_stopped_by_the_lua_time_limit() {
    let db = TestDb::new("lua_time");
    let p = Project::new(&db);
    p.config(&format!(
        "[defaults]\nlock_timeout = \"30s\"\nlua_time_limit = \"300ms\"\n\n[environments.development]\nconnection = \"{}\"\n",
        db.url
    ));
    p.migration(
        "001_table",
        "return {\n  up = function(knex) knex.schema:raw('create table kept (id int)') end,\n}\n",
    )
    .migration(
        "002_loop",
        "return {\n  up = function(knex)\n    knex.schema:raw('create table looped (id int)')\n    while true do end\n  end,\n}\n",
    );
    let started = Instant::now();
    let out = p.run(&["migrate:latest"]);
    out.code(1).says(&[
        "migrations/002_loop.lua:4",
        "Lua time limit (300 ms)",
        "lua_time_limit",
        "nothing of it was applied",
    ]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!db.table_exists("kept") && !db.table_exists("looped"));
    assert_eq!(db.ledger_count(), 0);
    assert_eq!(db.advisory_locks(), 0);
}

#[test]
fn a_migration_that_grows_a_table_forever_is_stopped_by_the_lua_memory_limit() {
    let db = TestDb::new("lua_memory");
    let p = Project::new(&db);
    p.config(&format!(
        "[defaults]\nlua_memory_limit = \"32MB\"\n\n[environments.development]\nconnection = \"{}\"\n",
        db.url
    ));
    p.migration(
        "001_grow",
        "return {\n  up = function(knex)\n    knex.schema:raw('create table grown (id int)')\n    local t = {}\n    while true do t[#t + 1] = { #t } end\n  end,\n}\n",
    );
    let out = p.run(&["migrate:latest"]);
    out.code(1).says(&[
        "migrations/001_grow.lua:5",
        "Lua memory limit (32 MB)",
        "lua_memory_limit",
        "nothing of it was applied",
    ]);
    assert!(!db.table_exists("grown"));
    assert_eq!(db.ledger_count(), 0);
}

#[test]
fn bad_lua_limits_in_the_config_name_the_key() {
    let db = TestDb::new("lua_limit_cfg");
    let p = Project::new(&db);
    p.config(&format!(
        "[defaults]\nlua_memory_limit = \"lots\"\n\n[environments.development]\nconnection = \"{}\"\n",
        db.url
    ));
    p.run(&["migrate:latest"])
        .code(2)
        .says(&["lua_memory_limit", "lots"]);
}

/// Waits until `cond` holds (polling), or panics after 20 s.
fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &std::process::Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

fn interrupted_run(db: &TestDb, p: &Project, sig: &str, ready: &str, ready_sql: String) -> Output {
    let child = p
        .command(&["migrate:latest"])
        .spawn()
        .expect("start vectra-db");
    wait_for(ready, || db.strings(&ready_sql)[0] != "0");
    signal(&child, sig);
    common::project::to_output(child.wait_with_output().expect("wait for vectra-db"))
}

#[test]
fn ctrl_c_during_a_statement_rolls_back_frees_the_lock_and_exits_130() {
    let db = TestDb::new("sigint");
    let p = Project::new(&db);
    p.migration(
        "001_table",
        "return {\n  up = function(knex) knex.schema:raw('create table kept (id int)') end,\n}\n",
    )
    .migration(
        "002_sleep",
        "return {\n  up = function(knex) knex.raw('select pg_sleep(60)'):run() end,\n}\n",
    );
    let ready = format!(
        "select count(*) from pg_stat_activity where datname = '{}' and query like '%pg_sleep(60)%' and pid <> pg_backend_pid()",
        db.name
    );
    let started = Instant::now();
    let out = interrupted_run(&db, &p, "INT", "the sleeping statement", ready);
    assert!(started.elapsed() < Duration::from_secs(30), "{out}");
    out.code(130)
        .says(&["interrupted by SIGINT", "nothing of it was applied"]);
    assert!(!db.table_exists("kept"));
    assert_eq!(db.ledger_count(), 0);
    wait_for("the lock to be freed", || db.advisory_locks() == 0);
}

#[test]
fn sigterm_during_lua_code_rolls_back_and_exits_143() {
    let db = TestDb::new("sigterm");
    let p = Project::new(&db);
    p.migration(
        "001_table",
        "return {\n  up = function(knex) knex.schema:raw('create table kept (id int)') end,\n}\n",
    )
    .migration(
        "002_loop",
        "return {\n  up = function(knex)\n    while true do end\n  end,\n}\n",
    );
    // The first file's statement is confirmed before the loop starts, so the
    // session sits idle in its transaction, that statement its last, while
    // Lua loops (idle in transaction alone is also true between the lock and
    // ledger statements before it, when the signal would come too early).
    let ready = format!(
        "select count(*) from pg_stat_activity where datname = '{}' and state = 'idle in transaction' \
         and query = 'create table kept (id int)'",
        db.name
    );
    let out = interrupted_run(&db, &p, "TERM", "the loop", ready);
    out.code(143).says(&[
        "interrupted by SIGTERM",
        "nothing of it was applied",
        "migrations/002_loop.lua",
    ]);
    assert!(!db.table_exists("kept"));
    assert_eq!(db.ledger_count(), 0);
    wait_for("the lock to be freed", || db.advisory_locks() == 0);
}

#[test]
fn ctrl_c_while_waiting_for_the_lock_stops_at_once_and_applies_nothing() {
    let db = TestDb::new("sigint_lock");
    let p = Project::new(&db);
    p.migration(
        "001_table",
        "return {\n  up = function(knex) knex.schema:raw('create table kept (id int)') end,\n}\n",
    );
    let key = vectra_db::runner::lock::key("public.knex_migrations");
    let mut holder = db.client();
    holder
        .batch_execute(&format!("select pg_advisory_lock({key})"))
        .expect("take the lock");
    let ready = format!(
        "select count(*) from pg_stat_activity where datname = '{}' and wait_event_type = 'Lock' and query like '%pg_advisory_xact_lock%'",
        db.name
    );
    let started = Instant::now();
    let out = interrupted_run(&db, &p, "INT", "the lock wait", ready);
    assert!(started.elapsed() < Duration::from_secs(20), "{out}");
    out.code(130)
        .says(&["interrupted by SIGINT", "nothing was applied"]);
    assert!(!db.table_exists("kept"));
    drop(holder);
}
