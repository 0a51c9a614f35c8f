//! `migrate:verify` (SPEC §8): a `down` that does not undo its `up` is caught,
//! and nothing is ever applied.
mod common;

use common::project::Project;
use common::TestDb;

#[test]
fn verify_passes_when_every_down_undoes_its_up_and_applies_nothing() {
    let db = TestDb::new("verify_ok");
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .table_migration("002_b", "b");
    p.run(&["migrate:verify"])
        .ok()
        .says(&["Verified 2 migrations"]);
    assert!(!db.table_exists("a") && !db.table_exists("b"));
    // Not even the ledger tables were created.
    assert!(!db.table_exists("knex_migrations"));
}

#[test]
fn verify_reports_what_down_left_behind_and_exits_1() {
    let db = TestDb::new("verify_leak");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    p.migration(
        "002_leaky",
        "return {\n  up = function(knex)\n    knex.schema:raw('create table leaky (id int primary key)')\n    knex.schema:raw('create index leaky_id on leaky (id)')\n  end,\n  down = function(knex) knex.schema:raw('drop index leaky_id') end,\n}\n",
    );
    let out = p.run(&["--json", "migrate:verify"]);
    out.code(1).says(&["002_leaky.lua", "+ table public.leaky"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(doc["migrations"][0]["ok"], true);
    assert_eq!(doc["migrations"][1]["ok"], false);
    assert!(doc["migrations"][1]["differences"]
        .as_array()
        .is_some_and(|d| d.iter().any(|l| l == "+ table public.leaky")));
    assert!(!db.table_exists("leaky") && !db.table_exists("a"));
}

#[test]
fn verify_checks_the_rest_and_names_a_non_transactional_file_as_not_verifiable() {
    let db = TestDb::new("verify_notx");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    p.migration(
        "002_concurrently",
        "return {\n  config = { transaction = false },\n  up = function(knex)\n    knex.schema:raw('create index concurrently a_id on a (id)')\n  end,\n  down = function(knex) knex.schema:raw('drop index concurrently a_id') end,\n}\n",
    );
    p.table_migration("003_b", "b");
    let out = p.run(&["migrate:verify"]);
    out.ok().says(&[
        "Verified 2 migrations",
        "002_concurrently.lua",
        "not verifiable: it runs outside a transaction",
    ]);
    let doc = p.run(&["--json", "migrate:verify"]);
    let doc: serde_json::Value = serde_json::from_str(&doc.stdout).expect("one JSON document");
    let migrations = doc["migrations"].as_array().expect("migrations");
    assert_eq!(migrations.len(), 3);
    assert!(migrations[0]["skipped"].is_null());
    assert!(migrations[1]["skipped"]
        .as_str()
        .is_some_and(|s| s.contains("runs outside a transaction")));
    assert!(migrations[2]["skipped"].is_null());
    // Verify never writes: the index and the tables are not there.
    assert!(!db.table_exists("a") && !db.table_exists("b"));
    assert!(!db.table_exists("knex_migrations"));

    // A `down` that does not undo its `up` after the skipped file is still caught.
    p.migration(
        "004_leaky",
        "return {\n  up = function(knex) knex.schema:raw('create table leaky (id int)') end,\n  down = function(knex) end,\n}\n",
    );
    p.run(&["migrate:verify"])
        .code(1)
        .says(&["004_leaky.lua", "+ table public.leaky"]);
}
