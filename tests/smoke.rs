//! The connection layer and the Lua bridge core against a real server.
mod common;

use vectra_db::lua::{Script, ScriptEnv};

#[test]
fn a_script_runs_raw_sql_and_reads_rows_back() {
    let test = common::TestDb::new("smoke");
    let db = test.db().into_shared();
    let source = br#"
        return {
          up = function(knex)
            knex.schema:raw("create table t (id int, name text)")
            knex.raw("insert into t values (?, ?)", { 1, "it's" }):run()
            local rows = knex.raw("select id, name from t"):run()
            assert(rows[1].id == 1 and rows[1].name == "it's", "round trip")
          end,
        }
    "#;
    let script = Script::load("m/001_t.lua", source, &ScriptEnv::default(), db).unwrap();
    script.call("up").unwrap();
    assert_eq!(test.strings("select name from t"), vec!["it's"]);
}

#[test]
fn a_forgotten_run_is_an_error_naming_the_line() {
    let test = common::TestDb::new("forgot");
    let db = test.db().into_shared();
    let source = b"return {\n up = function(knex)\n  knex.raw('select 1')\n end }\n";
    let script = Script::load("m/002_f.lua", source, &ScriptEnv::default(), db).unwrap();
    let err = script.call("up").unwrap_err();
    assert_eq!(err.location.as_deref(), Some("m/002_f.lua:3"), "{err}");
    assert!(err.message.contains("never run"), "{err}");
}

#[test]
fn a_failing_statement_names_line_sql_and_postgres_message() {
    let test = common::TestDb::new("fail");
    let db = test.db().into_shared();
    let source = b"return {\n up = function(knex)\n\n  knex.schema:raw('select 1/0')\n end }\n";
    let script = Script::load("m/003_x.lua", source, &ScriptEnv::default(), db).unwrap();
    let err = script.call("up").unwrap_err();
    assert_eq!(err.location.as_deref(), Some("m/003_x.lua:4"), "{err}");
    let db_err = err.db.expect("db error");
    assert_eq!(db_err.sql, "select 1/0");
    assert_eq!(db_err.message, "division by zero");
}
