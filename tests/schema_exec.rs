//! `knex.schema` against a real PostgreSQL: the fixture migrations under
//! `tests/fixtures/schema/migrations/` use every schema method; they run `up`
//! and `down` in a throwaway database, and `pg_dump --schema-only` of the result
//! must equal the committed `tests/fixtures/schema/expected_dump.sql`
//! (regenerate it with `UPDATE_EXPECT=1 cargo test --test schema_exec`, then
//! review the diff).
mod common;

use std::path::{Path, PathBuf};

use vectra_db::db::SharedDb;
use vectra_db::lua::{Script, ScriptEnv};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema")
}

fn migrations() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join("migrations"))
        .expect("read the fixture migrations")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "lua"))
        .collect();
    files.sort();
    files
}

/// Runs `up` or `down` of one file inside its own transaction, as the runner does.
fn run(db: &SharedDb, file: &Path, function: &str) {
    let name = format!(
        "migrations/{}",
        file.file_name().unwrap_or_default().to_string_lossy()
    );
    let source = std::fs::read(file).expect("read migration");
    let script = Script::load(&name, &source, &ScriptEnv::default(), db.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    db.borrow_mut().begin().expect("begin");
    if let Err(e) = script.call(function) {
        let _ = db.borrow_mut().rollback();
        panic!("{name} {function} failed:\n{e}");
    }
    db.borrow_mut().commit().expect("commit");
}

/// `pg_dump --schema-only` without the lines that change from run to run
/// (versions; `common::pg_dump` drops the random `\\restrict` key).
fn dump(test: &common::TestDb) -> String {
    common::pg_dump(
        &test.url,
        &["--schema-only", "--no-owner", "--no-privileges"],
    )
    .lines()
    .filter(|l| {
        !l.starts_with("-- Dumped from database version")
            && !l.starts_with("-- Dumped by pg_dump version")
    })
    .map(|l| format!("{l}\n"))
    .collect()
}

#[test]
fn every_schema_method_runs_up_and_down_and_matches_the_expected_dump() {
    let test = common::TestDb::new("schema_exec");
    let db = test.db().into_shared();
    let empty = dump(&test);
    let files = migrations();
    for file in &files {
        run(&db, file, "up");
    }
    let after_up = dump(&test);
    let expected_path = fixtures().join("expected_dump.sql");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expected_path, &after_up).expect("write expected dump");
    }
    let expected = std::fs::read_to_string(&expected_path).expect("read expected dump");
    assert!(
        after_up == expected,
        "the schema differs from {}; rerun with UPDATE_EXPECT=1 and review the diff",
        expected_path.display()
    );

    for file in files.iter().rev() {
        run(&db, file, "down");
    }
    assert_eq!(dump(&test), empty, "down must undo up completely");

    // Up again after down: the same schema, so down left nothing behind.
    for file in &files {
        run(&db, file, "up");
    }
    assert!(
        dump(&test) == after_up,
        "a second up gives a different schema"
    );
}

#[test]
fn defaults_reach_postgres_exactly_as_written() {
    let test = common::TestDb::new("schema_defaults");
    let db = test.db().into_shared();
    for file in migrations().iter().take(2) {
        run(&db, file, "up");
    }
    let got = test.strings(
        r#"insert into "user" (email) values ('a@b.c')
           returning motto || '|' || preferences::text || '|' || flags::text || '|' || list::text
                     || '|' || active::text || '|' || "we""ird"::text || '|' || (token is not null)::text"#,
    );
    assert_eq!(
        got,
        vec![r#"it's a \ backslash, why?|{}|{"beta": true}|[1,2]|true|1|true"#.to_string()]
    );
    let comments = test.strings(
        r#"select obj_description('"user"'::regclass) || '|' || col_description('"user"'::regclass, 9)"#,
    );
    assert_eq!(
        comments,
        vec!["People, with it's apostrophe|reserved word column, it's fine".to_string()]
    );
}

#[test]
fn a_failing_statement_names_the_line_of_the_builder_call() {
    let test = common::TestDb::new("schema_fail");
    let db = test.db().into_shared();
    let source = b"return { up = function(knex)\n  knex.schema:createTable('t', function(t) t:integer('a') end)\n  knex.schema:createTable('t', function(t)\n    t:integer('a')\n  end)\nend }\n";
    let script = Script::load("m/001_dup.lua", source, &ScriptEnv::default(), db).unwrap();
    let err = script.call("up").unwrap_err();
    assert_eq!(err.location.as_deref(), Some("m/001_dup.lua:3"), "{err}");
    let db_err = err.db.expect("a database error");
    assert_eq!(db_err.sql, r#"create table "t" ("a" integer)"#);
    assert_eq!(db_err.message, r#"relation "t" already exists"#);
}

/// Every method exposed to Lua is exercised by the fixture migrations (except
/// those that cannot run here: PostGIS types, and `set`, which is an error).
#[test]
fn the_fixture_migrations_use_every_method() {
    let text: String = migrations()
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read migration"))
        .collect();
    use vectra_db::api::Builder;
    let builders = [
        Builder::Schema,
        Builder::Table,
        Builder::Column,
        Builder::Foreign,
        Builder::View,
        Builder::AlterView,
        Builder::ViewColumn,
    ];
    let skipped = ["geometry", "geography", "set"];
    let missing: Vec<&str> = builders
        .iter()
        .flat_map(|b| b.methods())
        .map(|m| m.name)
        .filter(|m| !skipped.contains(m) && !text.contains(&format!(":{m}(")))
        .collect();
    assert!(
        missing.is_empty(),
        "not used by any fixture migration: {missing:?}"
    );
}
