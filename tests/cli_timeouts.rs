//! Bounded lock waits (SPEC §3, §5): the environment's `statement_timeout` /
//! `statement_lock_timeout` and a file's own `lockTimeout` /
//! `statementTimeout` hold for its statements only, a statement that waits
//! too long for a lock names the session that held it, and `--lock-retries`
//! runs the batch again once that session is gone.
mod common;

use std::time::{Duration, Instant};

use common::project::Project;
use common::TestDb;

/// A session of the test's own that holds `mode` on `table` in an open
/// transaction, and its backend pid.
fn hold_lock(db: &TestDb, table: &str, mode: &str) -> (postgres::Client, String) {
    let mut holder = db.client();
    let pid: i32 = holder
        .query_one("select pg_backend_pid()", &[])
        .expect("pid")
        .get(0);
    holder
        .batch_execute(&format!(
            "set application_name = 'lock_holder_app'; begin; lock table {table} in {mode} mode"
        ))
        .expect("take the lock");
    (holder, pid.to_string())
}

/// A migration that adds a column to `t`, waiting at most 1 s for its lock.
const ALTER_T: &str = "return {\n  config = { lockTimeout = \"1s\" },\n  up = function(knex)\n    knex.schema:raw(\"alter table t add column x integer\")\n  end,\n  down = function(knex)\n  end,\n}\n";

fn column_exists(db: &TestDb, table: &str, column: &str) -> bool {
    db.strings(&format!(
        "select count(*) from information_schema.columns where table_name = '{table}' and column_name = '{column}'"
    ))[0]
        == "1"
}

/// A database with a table `t` and a project whose second migration alters
/// it with `lockTimeout = "1s"`.
fn blocked_alter(tag: &str) -> (TestDb, Project) {
    let db = TestDb::new(tag);
    db.client()
        .batch_execute("create table t (id integer)")
        .unwrap();
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .migration("002_alter_t", ALTER_T);
    (db, p)
}

#[test]
fn a_migration_blocked_by_another_session_fails_fast_naming_it_and_applies_nothing() {
    let (db, p) = blocked_alter("to_blocked");
    let (holder, pid) = hold_lock(&db, "t", "access share");

    let started = Instant::now();
    let out = p.run(&["migrate:latest"]);
    let took = started.elapsed();
    out.code(1).says(&[
        "canceling statement due to lock timeout",
        "migrations/002_alter_t.lua:4",
        &format!("pid {pid} "),
        "lock_holder_app",
        "idle in transaction",
        "lock table t in access share mode",
        "nothing of it was applied",
        "--lock-retries",
    ]);
    assert!(
        took < Duration::from_secs(10),
        "took {took:?}, the file's lockTimeout is 1 s"
    );
    assert_eq!(db.ledger_count(), 0);
    assert!(!db.table_exists("a"));
    assert!(!column_exists(&db, "t", "x"));
    drop(holder);
}

#[test]
fn with_lock_retries_the_batch_runs_again_once_the_blocker_ends() {
    let (db, p) = blocked_alter("to_retry");
    let (mut holder, pid) = hold_lock(&db, "t", "access share");
    let ends = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        holder
            .batch_execute("commit")
            .expect("end the holder's transaction");
    });

    let out = p.run(&["--json", "migrate:latest", "--lock-retries", "10"]);
    ends.join().expect("holder thread");
    out.ok();
    // The retries are printed on stderr; stdout stays one JSON document.
    for line in [
        "lock timeout in `migrations/002_alter_t.lua:4`",
        &format!("(blocked by pid {pid})"),
        "retrying (attempt 2 of 11) in 1 s",
    ] {
        assert!(out.stderr.contains(line), "stderr lacks {line:?}; {out}");
    }
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(doc["summary"], "Batch 1 run: 2 migrations");
    assert!(doc["attempts"].as_u64().is_some_and(|n| n >= 2), "{doc}");
    assert_eq!(db.ledger_count(), 2);
    assert!(db.table_exists("a") && column_exists(&db, "t", "x"));
}

#[test]
fn the_last_failed_retry_says_how_many_attempts_were_made() {
    let db = TestDb::new("to_gave_up");
    db.client()
        .batch_execute("create table t (id integer)")
        .unwrap();
    let p = Project::new(&db);
    p.migration("002_alter_t", ALTER_T);
    let (holder, pid) = hold_lock(&db, "t", "access share");

    let out = p.run(&["migrate:latest", "--lock-retries", "1"]);
    out.code(1).says(&[
        "retrying (attempt 2 of 2) in 1 s",
        "gave up after 2 attempts (`--lock-retries 1`)",
        &format!("pid {pid} "),
        "nothing of it was applied",
    ]);
    assert_eq!(db.ledger_count(), 0);

    let out = p.run(&["--json", "migrate:latest", "--lock-retries", "1"]);
    out.code(1);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(doc["ok"], false);
    let error = doc["error"].as_str().unwrap_or_default();
    assert!(error.contains("gave up after 2 attempts"), "{error}");
    assert!(error.contains(&format!("pid {pid} ")), "{error}");
    assert_eq!(doc["blockers"][0]["pid"].to_string(), pid, "{doc}");
    assert_eq!(doc["blockers"][0]["application"], "lock_holder_app");
    assert_eq!(doc["blockers"][0]["locks"], "AccessShareLock on t");
    drop(holder);
}

/// Creates `seen`, where each migration records the timeouts it ran with.
fn seen_table(db: &TestDb) {
    db.client()
        .batch_execute("create table seen (file text, lock text, stmt text)")
        .unwrap();
}

/// A migration that records its `lock_timeout` and `statement_timeout`.
fn recording(name: &str, config: &str) -> String {
    format!(
        "return {{\n  config = {{ {config} }},\n  up = function(knex)\n    knex.raw(\"insert into seen select ?, current_setting('lock_timeout'), current_setting('statement_timeout')\", {{ \"{name}\" }}):run()\n  end,\n  down = function(knex)\n  end,\n}}\n"
    )
}

fn seen(db: &TestDb) -> Vec<String> {
    db.strings("select file || ' ' || lock || ' ' || stmt from seen order by file")
}

#[test]
fn environment_timeouts_hold_inside_migrations_and_a_files_own_only_for_that_file() {
    let db = TestDb::new("to_env");
    seen_table(&db);
    let p = Project::new(&db);
    p.config(&format!(
        "[defaults]\nstatement_timeout = \"7s\"\nstatement_lock_timeout = \"3s\"\n[environments.development]\nconnection = \"{}\"\n",
        db.url
    ))
    .migration("001", &recording("001", ""))
    .migration("002", &recording("002", "statementTimeout = \"9s\""))
    .migration("003", &recording("003", ""))
    .migration(
        "004",
        &recording("004", "transaction = false, lockTimeout = 4000"),
    )
    .migration("005", &recording("005", "transaction = false"))
    .migration("006", &recording("006", "lockTimeout = \"10min\""));
    p.run(&["migrate:latest"]).ok();
    assert_eq!(
        seen(&db),
        vec![
            "001 3s 7s",
            "002 3s 9s",
            "003 3s 7s",
            "004 4s 7s",
            "005 3s 7s",
            "006 10min 7s"
        ]
    );
    // A new session has the server's own values.
    assert_eq!(db.strings("show lock_timeout"), vec!["0"]);
    assert_eq!(db.strings("show statement_timeout"), vec!["0"]);
}

#[test]
fn nothing_stays_on_the_session_after_a_file_outside_a_transaction() {
    let db = TestDb::new("to_session");
    seen_table(&db);
    let p = Project::new(&db);
    p.migration(
        "001",
        &recording(
            "001",
            "transaction = false, lockTimeout = \"4s\", statementTimeout = \"6s\"",
        ),
    )
    .migration("002", &recording("002", "transaction = false"))
    .migration("003", &recording("003", ""));
    let out = p.run(&["-v", "migrate:latest"]);
    out.ok();
    assert_eq!(seen(&db), vec!["001 4s 6s", "002 0 0", "003 0 0"]);
    // No timeout goes with a transaction when none is configured.
    let all = out.all();
    let begins: Vec<&str> = all.lines().filter(|l| l.contains("BEGIN")).collect();
    assert!(!begins.is_empty(), "{out}");
    assert!(
        begins.iter().all(|l| !l.contains("timeout")),
        "BEGIN carries a timeout nobody configured; {out}"
    );
}

#[test]
fn a_seeds_own_timeouts_apply_to_it() {
    let db = TestDb::new("to_seed");
    seen_table(&db);
    let p = Project::new(&db);
    p.file(
        "seeds/01_slow.lua",
        "return {\n  config = { statementTimeout = \"300ms\" },\n  seed = function(knex)\n    knex.raw(\"select pg_sleep(3)\"):run()\n  end,\n}\n",
    );
    let started = Instant::now();
    p.run(&["seed:run"])
        .code(1)
        .says(&["seeds/01_slow.lua:4", "statement timeout"]);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_bad_timeout_in_config_is_an_error_naming_the_file() {
    let db = TestDb::new("to_bad");
    let p = Project::new(&db);
    p.table_migration("001_a", "a").migration(
        "002_bad",
        "return {\n  config = { lockTimeout = \"soon\" },\n  up = function(knex) end,\n}\n",
    );
    p.run(&["migrate:latest"]).code(1).says(&[
        "migrations/002_bad.lua",
        "`config.lockTimeout`",
        "`soon` is not a duration",
        "nothing was run",
    ]);
    p.migration(
        "002_bad",
        "return {\n  config = { statementTimeout = true },\n  up = function(knex) end,\n}\n",
    );
    p.run(&["migrate:latest"]).code(1).says(&[
        "migrations/002_bad.lua",
        "`config.statementTimeout` must be a duration such as \"5s\"",
        "a number of milliseconds",
    ]);
    p.migration(
        "002_bad",
        "return {\n  config = { lock_timeout = \"5s\" },\n  up = function(knex) end,\n}\n",
    );
    p.run(&["migrate:latest"]).code(1).says(&[
        "migrations/002_bad.lua",
        "unknown key `lock_timeout`",
        "`lockTimeout`",
    ]);
    assert_eq!(db.ledger_count(), 0);
    assert!(!db.table_exists("a"));
}

#[test]
fn seed_run_retries_after_a_lock_timeout_too() {
    let db = TestDb::new("to_seed_retry");
    db.client()
        .batch_execute("create table t (id integer)")
        .unwrap();
    let p = Project::new(&db);
    p.file(
        "seeds/01_t.lua",
        "return {\n  config = { lockTimeout = 1000 },\n  seed = function(knex)\n    knex(\"t\"):insert({ id = 1 }):run()\n  end,\n}\n",
    );
    let (mut holder, pid) = hold_lock(&db, "t", "exclusive");
    let ends = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        holder
            .batch_execute("commit")
            .expect("end the holder's transaction");
    });
    let out = p.run(&["seed:run", "--lock-retries", "5"]);
    ends.join().expect("holder thread");
    out.ok().says(&[
        "lock timeout in `seeds/01_t.lua:4`",
        &format!("(blocked by pid {pid})"),
        "retrying (attempt 2 of 6)",
        "Ran 1 seed file",
    ]);
    assert_eq!(db.strings("select count(*) from t"), vec!["1"]);
}
