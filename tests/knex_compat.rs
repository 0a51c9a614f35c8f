//! Adoption of a ledger Knex wrote, checked from both sides: vectra-db runs
//! only the new file, and the real Knex 3 CLI (installed with npm into a temp
//! dir) still reads the ledger afterwards and can write to it.
//!
//! Needs `npm`/`npx` and the npm registry; without them the test fails (it
//! does not skip): Knex compatibility is part of the contract (SPEC §4).
mod common;

use std::path::Path;
use std::process::Command;

use common::project::{create_table, to_output, Output, Project};
use common::TestDb;

const KNEX_DDL: &str = r#"
create table "knex_migrations" ("id" serial primary key, "name" varchar(255), "batch" integer, "migration_time" timestamptz);
create table "knex_migrations_lock" ("index" serial primary key, "is_locked" integer);
insert into "knex_migrations_lock" ("is_locked") values (0);
"#;

/// A migration whose `up` fails if it ever runs again (its table exists).
fn knex_era(table: &str) -> String {
    create_table(table)
}

fn npx_knex(dir: &Path, args: &[&str], url: &str) -> Output {
    let mut cmd = Command::new("npx");
    cmd.current_dir(dir)
        .arg("--no-install")
        .arg("knex")
        .args(args)
        .args([
            "--knexfile",
            "knexfile.js",
            "--client",
            "pg",
            "--connection",
            url,
            "--migrations-directory",
            "knex-migrations",
        ])
        .env_remove("NODE_ENV");
    to_output(
        cmd.output()
            .expect("npx must be installed to run this test"),
    )
}

#[test]
fn a_knex_ledger_is_adopted_and_knex_can_still_read_and_write_it() {
    let db = TestDb::new("knex_adopt");
    let mut admin = db.client();
    admin.batch_execute(KNEX_DDL).expect("Knex DDL");
    admin
        .batch_execute(
            "create table users (id integer); create table posts (id integer);
             insert into knex_migrations (name, batch, migration_time) values
               ('20240101000000_create_users.js', 1, '2024-01-01T00:00:05Z'),
               ('20240101000001_add_posts.ts', 1, '2024-01-01T00:00:06Z');",
        )
        .expect("Knex-era rows");
    let knex_rows = "select id || '|' || name || '|' || batch || '|' || migration_time from knex_migrations where id <= 2 order by id";
    let before = db.strings(knex_rows);

    let p = Project::new(&db);
    p.migration("20240101000000_create_users", &knex_era("users"))
        .migration("20240101000001_add_posts", &knex_era("posts"))
        .table_migration("20240102000000_add_tags", "tags");

    // Status sees the Knex rows as applied (adopted), the new file as pending.
    let out = p.run(&["--json", "migrate:status"]);
    out.ok();
    let d: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let states: Vec<&str> = d["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["adopted", "adopted"], "{d}");
    assert_eq!(
        d["pending"],
        serde_json::json!(["20240102000000_add_tags.lua"])
    );

    let out = p.run(&["migrate:latest"]);
    out.ok()
        .says(&["20240102000000_add_tags.lua", "Batch 2 run: 1 migration"]);
    assert!(
        !out.stdout.contains("create_users") && !out.stdout.contains("add_posts"),
        "an adopted migration ran again; {out}"
    );
    assert!(db.table_exists("tags"));
    assert_eq!(db.strings(knex_rows), before, "Knex's rows were changed");
    assert_eq!(
        db.strings("select name || ':' || batch || ':' || coalesce(length(checksum), 0) from knex_migrations order by id"),
        vec![
            "20240101000000_create_users.js:1:0",
            "20240101000001_add_posts.ts:1:0",
            "20240102000000_add_tags.lua:2:64",
        ]
    );
    // Knex's columns are as Knex made them; ours is nullable.
    assert_eq!(
        db.strings(
            "select column_name || ' ' || data_type || ' ' || is_nullable from information_schema.columns where table_name = 'knex_migrations' order by ordinal_position"
        ),
        vec![
            "id integer NO",
            "name character varying YES",
            "batch integer YES",
            "migration_time timestamp with time zone YES",
            "checksum character varying YES",
        ]
    );
    assert_eq!(
        db.strings("select is_locked from knex_migrations_lock"),
        vec!["0"]
    );
    p.run(&["migrate:status", "--check"]).ok();

    // Knex itself reads the ledger.
    let node = tempfile::Builder::new()
        .prefix("vectra-knex-")
        .tempdir()
        .expect("temp dir");
    let install = to_output(
        Command::new("npm")
            .current_dir(node.path())
            .args(["install", "--no-save", "--silent", "knex@3", "pg"])
            .output()
            .expect("npm must be installed to run this test"),
    );
    assert_eq!(install.code, 0, "npm install knex@3 pg failed; {install}");
    std::fs::write(
        node.path().join("knexfile.js"),
        // Knex lists only the extensions it loads; the names must be the
        // recorded ones (it compares names with extensions), so let it see
        // `.ts` and `.lua` too.
        "module.exports = { migrations: { loadExtensions: ['.js', '.ts', '.lua'] } };\n",
    )
    .unwrap();
    let dir = node.path().join("knex-migrations");
    std::fs::create_dir(&dir).unwrap();
    for name in [
        "20240101000000_create_users.js",
        "20240101000001_add_posts.ts",
        "20240102000000_add_tags.lua",
    ] {
        std::fs::write(dir.join(name), "").unwrap();
    }
    let url = db.node_url();
    let out = npx_knex(node.path(), &["migrate:list"], &url);
    assert_eq!(out.code, 0, "knex migrate:list failed; {out}");
    out.says(&[
        "Found 3 Completed Migration file/files.",
        "20240101000000_create_users.js",
        "20240101000001_add_posts.ts",
        "20240102000000_add_tags.lua",
        "No Pending Migration files Found.",
    ]);

    // Knex writes to the ledger after vectra-db changed it (checksum column).
    std::fs::write(
        dir.join("20240103000000_knex_side.js"),
        "exports.up = (knex) => knex.schema.createTable('knex_side', (t) => { t.increments('id'); });\n\
         exports.down = (knex) => knex.schema.dropTable('knex_side');\n",
    )
    .unwrap();
    let out = npx_knex(node.path(), &["migrate:latest"], &url);
    assert_eq!(out.code, 0, "knex migrate:latest failed; {out}");
    out.says(&["Batch 3 run: 1 migrations"]);
    assert!(db.table_exists("knex_side"));
    assert_eq!(
        db.strings("select name || ':' || batch || ':' || coalesce(checksum, 'null') from knex_migrations where id = (select max(id) from knex_migrations)"),
        vec!["20240103000000_knex_side.js:3:null"]
    );
    assert_eq!(
        db.strings("select is_locked from knex_migrations_lock"),
        vec!["0"]
    );

    // vectra-db adopts Knex's new row and can roll it back with the Lua port.
    p.migration(
        "20240103000000_knex_side",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"create table knex_side (id serial primary key)\")\n  end,\n  down = function(knex)\n    knex.schema:raw(\"drop table knex_side\")\n  end,\n}\n",
    );
    p.run(&["migrate:status", "--check"]).ok();
    let out = p.run(&["migrate:latest"]);
    out.ok();
    assert_eq!(out.stdout.trim(), "Already up to date", "{out}");
    p.run(&["migrate:rollback"]).ok().says(&[
        "20240103000000_knex_side.lua",
        "Batch 3 rolled back: 1 migration",
    ]);
    assert!(!db.table_exists("knex_side"));

    // And Knex sees that as pending again.
    let out = npx_knex(node.path(), &["migrate:list"], &url);
    assert_eq!(out.code, 0, "knex migrate:list failed; {out}");
    out.says(&[
        "Found 3 Completed Migration file/files.",
        "Found 1 Pending Migration file/files.",
        "20240103000000_knex_side.js",
    ]);
}

/// A lock row Knex left set is honoured with a message about `migrate:unlock`,
/// and `migrate:unlock` frees it the way Knex does.
#[test]
fn a_stuck_knex_lock_is_honoured_until_unlocked() {
    let db = TestDb::new("knex_lock");
    db.client()
        .batch_execute(&format!(
            "{KNEX_DDL} update knex_migrations_lock set is_locked = 1;"
        ))
        .expect("Knex DDL");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    let out = p.run(&["migrate:latest"]);
    out.code(1).says(&["is_locked", "migrate:unlock"]);
    assert!(!db.table_exists("a"));

    p.run(&["migrate:unlock"]).ok().says(&["unlocked"]);
    assert_eq!(
        db.strings("select is_locked from knex_migrations_lock"),
        vec!["0"]
    );
    p.run(&["migrate:latest"])
        .ok()
        .says(&["Batch 1 run: 1 migration"]);
}

/// A lock table emptied by hand, or holding the extra free rows of Knex's
/// first-start race, does not block a run; Knex's one row is back afterwards.
#[test]
fn an_empty_or_doubled_lock_table_is_repaired_not_reported() {
    let db = TestDb::new("knex_lock_rows");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    p.run(&["migrate:latest"]).ok();
    db.client()
        .batch_execute("delete from knex_migrations_lock")
        .expect("empty the lock table");
    p.table_migration("002_b", "b");
    p.run(&["migrate:latest"])
        .ok()
        .says(&["Batch 2 run: 1 migration"]);
    assert_eq!(
        db.strings("select count(*) || ':' || max(is_locked) from knex_migrations_lock"),
        vec!["1:0"]
    );

    db.client()
        .batch_execute("insert into knex_migrations_lock (is_locked) values (0)")
        .expect("a second free row");
    p.table_migration("003_c", "c");
    p.run(&["migrate:latest"])
        .ok()
        .says(&["Batch 3 run: 1 migration"]);
}
