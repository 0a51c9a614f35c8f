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

/// Work given to the waiting thread runs while a query waits for the server,
/// and changes nothing the query returns; the guard ends it.
#[test]
fn idle_work_runs_while_a_query_waits_and_changes_nothing() {
    use std::cell::Cell;
    use std::rc::Rc;
    use vectra_db::db::idle;

    let test = common::TestDb::new("idle_work");
    let mut db = test.db();
    let steps = Rc::new(Cell::new(0usize));
    let counted = steps.clone();
    let work = idle::while_waiting(Box::new(move || {
        counted.set(counted.get() + 1);
        true
    }));
    let rows = db.simple_rows("select pg_sleep(0.05), 42").unwrap();
    assert_eq!(
        rows,
        vec![vec![Some(String::new()), Some("42".to_string())]]
    );
    let during = steps.get();
    assert!(during > 0, "no step ran during a 50 ms wait");
    drop(work);
    db.simple_rows("select pg_sleep(0.02)").unwrap();
    assert_eq!(
        steps.get(),
        during,
        "a step ran after the guard was dropped"
    );
}

/// Connecting with work to do still connects, the work stepping while the
/// server starts the session (work that never says it is done included).
#[test]
fn idle_work_never_holds_up_a_connection() {
    use vectra_db::db::{idle, ConnectOptions, ConnectTarget};

    let test = common::TestDb::new("idle_connect");
    let _work = idle::while_waiting(Box::new(|| true));
    let options = ConnectOptions {
        connect_timeout: Some(std::time::Duration::from_secs(10)),
    };
    let client = ConnectTarget::parse(&test.url)
        .unwrap()
        .connect(&options)
        .unwrap();
    let mut db = vectra_db::db::Db::new(client);
    assert_eq!(
        db.simple_rows("select 1").unwrap(),
        vec![vec![Some("1".to_string())]]
    );
}

/// Environments made ahead ([`ScriptEnv::prepare`]) are as fresh as those
/// made when a file loads: nothing one file sets reaches the next, and none
/// is made once files load.
#[test]
fn environments_made_ahead_are_as_fresh_as_any() {
    let test = common::TestDb::new("prepared_envs");
    let db = test.db().into_shared();
    let env = ScriptEnv::default();
    assert!(env.prepare(2), "one made, one to go");
    assert!(!env.prepare(2), "both made");
    assert!(!env.prepare(2), "nothing more to make");
    assert_eq!(env.prepared(), 2);
    let first = br#"
        x = 1
        string.shout = function(s) return s:upper() .. "!" end
        table.insert = nil
        return { up = function() assert(("a"):shout() == "A!") end }
    "#;
    let second = br#"
        assert(x == nil, "a global of the first file")
        assert(string.shout == nil and ("a").shout == nil, "a string function of the first file")
        assert(type(table.insert) == "function", "table.insert was removed by the first file")
        assert(rawget(_G, "string") == string and package.loaded.string == string)
        return { up = function() end }
    "#;
    let a = Script::load("m/001_a.lua", first, &env, db.clone()).unwrap();
    let b = Script::load("m/002_b.lua", second, &env, db.clone()).unwrap();
    assert_eq!(env.prepared(), 0, "each file took one made ahead");
    let c = Script::load("m/003_c.lua", second, &env, db).unwrap();
    assert!(!env.prepare(10), "nothing is made ahead once files load");
    assert_eq!(env.prepared(), 0);
    a.call("up").unwrap();
    b.call("up").unwrap();
    c.call("up").unwrap();
}

/// The canceller of a connection over the local socket reaches the server:
/// a long statement stops with PostgreSQL's "canceling statement due to user
/// request" (57014) instead of running to its end.
#[test]
fn a_statement_on_the_local_socket_can_be_cancelled() {
    use vectra_db::db::{ConnectOptions, ConnectTarget};

    let test = common::TestDb::new("cancel_socket");
    let (client, cancel) = ConnectTarget::parse(&test.url)
        .unwrap()
        .connect_cancellable(&ConnectOptions::default())
        .unwrap();
    let mut db = vectra_db::db::Db::new(client);
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        cancel();
    });
    let started = std::time::Instant::now();
    let err = db.simple_rows("select pg_sleep(30)").unwrap_err();
    canceller.join().unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the statement ran on after the cancel"
    );
    assert_eq!(err.code.as_deref(), Some("57014"), "{err}");
}
