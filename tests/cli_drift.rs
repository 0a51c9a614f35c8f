//! `--allow-drift` on `migrate:rollback` / `migrate:down` (SPEC §3, issue 12
//! item 2): the edit–rollback–rerun loop while developing, refused on a
//! protected environment.
mod common;

use common::project::{create_table, sha256_hex, Project};
use common::TestDb;

/// `002_b` edited after it ran: its `up` now adds a column (as when a
/// forgotten column is added to the migration being written).
const EDITED_B: &str = "return {\n  up = function(knex)\n    knex.schema:raw(\"create table b (id integer, note text)\")\n  end,\n  down = function(knex)\n    knex.schema:raw(\"drop table b\")\n  end,\n}\n";

/// `001_a` in batch 1, `002_b` in batch 2, then `002_b` edited.
fn drifted_project(db: &TestDb) -> Project {
    let p = Project::new(db);
    p.table_migration("001_a", "a");
    p.run(&["migrate:latest"]).ok();
    p.table_migration("002_b", "b");
    p.run(&["migrate:latest"]).ok();
    p.migration("002_b", EDITED_B);
    p
}

#[test]
fn edit_rollback_with_allow_drift_then_latest_runs_the_new_file() {
    let db = TestDb::new("allow_drift");
    let p = drifted_project(&db);

    // Without the flag the drift error says how to get out.
    p.run(&["migrate:rollback"])
        .code(1)
        .says(&["002_b.lua", "changed", "--allow-drift"]);
    assert!(db.table_exists("b"));

    p.run(&["migrate:rollback", "--allow-drift"]).ok().says(&[
        "002_b.lua",
        "--allow-drift",
        "Batch 2 rolled back: 1 migration",
    ]);
    assert!(!db.table_exists("b"), "the current `down` ran");
    assert!(db.table_exists("a"), "batch 1 untouched");

    p.run(&["migrate:latest"])
        .ok()
        .says(&["Batch 2 run: 1 migration"]);
    assert_eq!(
        db.strings("select count(*) from information_schema.columns where table_name = 'b' and column_name = 'note'"),
        vec!["1"],
        "the edited `up` ran"
    );
    assert_eq!(
        db.strings("select checksum from knex_migrations where name = '002_b.lua'"),
        vec![sha256_hex(EDITED_B.as_bytes())],
        "the new checksum is recorded"
    );
    p.run(&["migrate:status", "--check"]).ok();
}

#[test]
fn down_accepts_allow_drift_too() {
    let db = TestDb::new("allow_drift_down");
    let p = drifted_project(&db);
    p.run(&["migrate:down"]).code(1).says(&["--allow-drift"]);
    p.run(&["migrate:down", "--allow-drift"]).ok();
    assert!(!db.table_exists("b"));
    p.run(&["migrate:up"]).ok();
    p.run(&["migrate:status", "--check"]).ok();
}

#[test]
fn drift_outside_what_is_undone_still_stops_the_run() {
    let db = TestDb::new("allow_drift_other");
    let p = drifted_project(&db);
    // Put `002_b` back and edit `001_a` instead, which batch 2's rollback does not undo.
    p.migration("002_b", &create_table("b"));
    p.migration("001_a", &format!("{}-- edited\n", create_table("a")));
    p.run(&["migrate:rollback", "--allow-drift"])
        .code(1)
        .says(&["001_a.lua", "changed"]);
    assert!(db.table_exists("b"), "nothing was rolled back");
}

#[test]
fn allow_drift_is_refused_on_a_protected_environment() {
    let db = TestDb::new("allow_drift_protected");
    let p = drifted_project(&db);
    p.config(&format!(
        "[environments.development]\nconnection = \"postgres:///unused_by_these_tests\"\n\n[environments.production]\nconnection = \"{}\"\nprotected = true\n",
        db.url
    ));
    for verb in ["migrate:rollback", "migrate:down"] {
        p.run(&["--env", "production", verb, "--allow-drift"])
            .code(2)
            .says(&["production", "protected", "--allow-drift", "new migration"]);
    }
    assert!(db.table_exists("b"), "the protected database was touched");
}

#[test]
fn allow_drift_is_only_offered_where_it_applies() {
    let db = TestDb::new("allow_drift_usage");
    let p = drifted_project(&db);
    p.run(&["migrate:latest", "--allow-drift"]).code(2);
    p.run(&["migrate:rollback", "--help"])
        .ok()
        .says(&["--allow-drift", "protected"]);
}

#[test]
fn top_level_help_names_missing_for_exit_code_3() {
    let p = Project::bare();
    p.run(&["--help"])
        .ok()
        .says(&["3 `--check` found pending, drifted or missing migrations"]);
}
