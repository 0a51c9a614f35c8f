//! `db:setup` and `db:reset` through the real binary: creating the database,
//! idempotence, dropping it under open connections, protected environments.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::project::Project;
use common::{admin_client, with_database, TestDb};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database name no one uses yet, dropped (if it exists) on drop.
struct FreshName {
    name: String,
    url: String,
}

impl FreshName {
    fn new(tag: &str) -> FreshName {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("vt_{tag}_{}_{n}", std::process::id());
        let fresh = FreshName {
            url: with_database(&common::admin_url(), &name),
            name,
        };
        fresh.drop_it();
        fresh
    }

    fn exists(&self) -> bool {
        !admin_client()
            .query(
                "select 1 from pg_database where datname = $1",
                &[&self.name],
            )
            .expect("query pg_database")
            .is_empty()
    }

    /// A query on the database, first column of each row as text.
    fn strings(&self, sql: &str) -> Vec<String> {
        common::strings(&self.url, sql)
    }

    fn drop_it(&self) {
        let _ = admin_client().batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ));
    }
}

impl Drop for FreshName {
    fn drop(&mut self) {
        self.drop_it();
    }
}

/// A project with one migration (table `a`) and one idempotent seed (two rows).
fn setup_project() -> Project {
    let p = Project::bare();
    p.config("[environments.development]\nconnection = \"postgres:///unused_by_these_tests\"\n")
        .migration(
            "001_a",
            "return {\n  up = function(knex)\n    knex.schema:raw(\"create table a (id integer primary key)\")\n  end,\n  down = function(knex)\n    knex.schema:raw(\"drop table a\")\n  end,\n}\n",
        )
        .file(
            "seeds/01_rows.lua",
            "return {\n  seed = function(knex)\n    knex.raw(\"delete from a\"):run()\n    knex.raw(\"insert into a (id) values (?), (?)\", { 1, 2 }):run()\n  end,\n}\n",
        );
    p
}

#[test]
fn setup_creates_migrates_and_seeds_then_changes_nothing() {
    let fresh = FreshName::new("setup");
    let p = setup_project();
    assert!(!fresh.exists());

    let out = p.run(&["db:setup", "--database-url", &fresh.url]);
    out.ok().says(&[
        &format!("Created database `{}`", fresh.name),
        "001_a.lua",
        "Batch 1 run: 1 migration",
        "01_rows.lua",
        "Ran 1 seed file",
    ]);
    assert!(fresh.exists());
    assert_eq!(
        fresh.strings("select id from a order by id"),
        vec!["1", "2"]
    );
    let ledger = fresh.strings("select id || name || batch || checksum from knex_migrations");
    assert_eq!(ledger.len(), 1);

    let out = p.run(&["db:setup", "--database-url", &fresh.url]);
    out.ok().says(&["already exists", "Already up to date"]);
    assert!(!out.stdout.contains("Created database"), "{out}");
    assert_eq!(
        fresh.strings("select id from a order by id"),
        vec!["1", "2"]
    );
    assert_eq!(
        fresh.strings("select id || name || batch || checksum from knex_migrations"),
        ledger
    );
}

#[test]
fn setup_json_reports_what_it_did() {
    let fresh = FreshName::new("setup_json");
    let p = setup_project();
    let out = p.run(&["--json", "db:setup", "--database-url", &fresh.url]);
    out.ok();
    let d: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(d["command"], "db:setup");
    assert_eq!(d["database"], fresh.name.as_str());
    assert_eq!(d["created"], true);
    assert_eq!(d["migrate"]["batch"], 1);
    assert_eq!(d["migrate"]["migrations"][0]["name"], "001_a.lua");
    assert_eq!(d["seed"]["seeds"][0]["name"], "01_rows.lua");
}

#[test]
fn reset_lists_open_sessions_and_with_force_drops_and_rebuilds() {
    let fresh = FreshName::new("reset");
    let p = setup_project();
    p.run(&["db:setup", "--database-url", &fresh.url]).ok();

    let mut held = vectra_db::db::ConnectTarget::parse(&fresh.url)
        .expect("parse url")
        .connect(&vectra_db::db::ConnectOptions::default())
        .expect("connect to the fresh database");
    held.batch_execute("insert into a (id) values (3)")
        .expect("insert");
    p.migration(
        "002_b",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"create table b (id integer)\")\n  end,\n}\n",
    );

    // Without --force, the open session is listed and nothing is dropped.
    let refused = p.run(&["db:reset", "--database-url", &fresh.url]);
    refused.code(2).says(&[
        "other session(s) are using",
        "pass `--force` to terminate them",
        "pid ",
    ]);
    assert_eq!(
        fresh.strings("select id from a order by id"),
        vec!["1", "2", "3"]
    );

    let out = p.run(&["db:reset", "--force", "--database-url", &fresh.url]);
    out.ok().says(&[
        &format!("Dropped database `{}`", fresh.name),
        &format!("Created database `{}`", fresh.name),
        "Batch 1 run: 2 migrations",
        "Ran 1 seed file",
    ]);
    assert_eq!(
        fresh.strings("select id from a order by id"),
        vec!["1", "2"],
        "the row written before the reset survived"
    );
    assert_eq!(
        fresh.strings("select name || ':' || batch from knex_migrations order by id"),
        vec!["001_a.lua:1", "002_b.lua:1"]
    );
    assert!(
        held.simple_query("select 1").is_err(),
        "the open connection was not terminated"
    );
}

#[test]
fn reset_of_a_protected_environment_needs_force() {
    let db = TestDb::new("protected");
    let p = setup_project();
    p.config(&format!(
        "[environments.development]\nconnection = \"postgres:///unused_by_these_tests\"\n\n[environments.production]\nconnection = \"{}\"\nprotected = true\n",
        db.url
    ));
    p.run(&["--env", "production", "migrate:latest"]).ok();

    let out = p.run(&["--env", "production", "db:reset"]);
    out.code(2).says(&["production", "protected", "--force"]);
    assert!(db.table_exists("a"), "the protected database was touched");
    assert_eq!(
        db.strings("select count(*) from knex_migrations"),
        vec!["1"]
    );

    // Through NODE_ENV, as Knex users set it.
    let out = p.run_env(&["db:reset"], &[("NODE_ENV", "production")]);
    out.code(2).says(&["--force"]);
    assert!(db.table_exists("a"));

    let out = p.run(&["--env", "production", "db:reset", "--force"]);
    out.ok()
        .says(&["Dropped database", "Batch 1 run: 1 migration"]);
    assert_eq!(db.strings("select count(*) from a"), vec!["2"]);
}

#[test]
fn reset_validates_everything_before_dropping_anything() {
    let fresh = FreshName::new("reset_validate");
    let p = setup_project();
    p.run(&["db:setup", "--database-url", &fresh.url]).ok();
    // A migration that does not load: nothing may be dropped.
    p.migration("002_broken", "return {\n  up = function(knex)\n");
    let out = p.run(&["db:reset", "--force", "--database-url", &fresh.url]);
    out.code(1).says(&["migrations/002_broken.lua"]);
    assert_eq!(
        fresh.strings("select count(*) from a"),
        vec!["2"],
        "the database was dropped"
    );
    // A missing migrations directory: nothing dropped either.
    p.remove("migrations/002_broken.lua");
    p.config(&format!(
        "[defaults]\nmigrations = \"nowhere\"\n\n[environments.development]\nconnection = \"{}\"\n",
        fresh.url
    ));
    let out = p.run(&["db:reset", "--force", "--database-url", &fresh.url]);
    out.code(2).says(&["nowhere", "does not exist"]);
    assert_eq!(
        fresh.strings("select count(*) from a"),
        vec!["2"],
        "the database was dropped"
    );
}

#[test]
fn reset_of_a_server_that_is_not_local_needs_force() {
    let p = setup_project();
    // Never reached: the check comes before any connection.
    let url = "postgres://someone@db.example.com:5432/prod";
    let out = p.run(&["db:reset", "--database-url", url]);
    out.code(2)
        .says(&["not a local server", "db.example.com", "--force"]);
}
