//! Bad input through the real binary: every failure is one clear paragraph
//! on stderr with exit code 1 or 2, never a panic, never a password.
mod common;

use common::project::{Output, Project};
use common::TestDb;

/// Exit 1 or 2, no panic, one `error:` paragraph on stderr naming `needles`.
#[track_caller]
fn fails_clearly(out: &Output, needles: &[&str]) {
    assert!(out.code == 1 || out.code == 2, "exit code; {out}");
    out.no_panic();
    let err = out.stderr.trim();
    assert!(
        err.starts_with("error:"),
        "stderr must start with `error:`; {out}"
    );
    assert!(
        !err.contains("\n\n"),
        "the error must be one paragraph; {out}"
    );
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}; {out}");
    }
}

#[test]
fn a_lua_syntax_error_names_file_and_line() {
    let db = TestDb::new("err_syntax");
    let p = Project::new(&db);
    p.table_migration("001_a", "a").migration(
        "002_bad",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"select 1\"\n  end,\n}\n",
    );
    let out = p.run(&["migrate:latest"]);
    fails_clearly(&out, &["migrations/002_bad.lua:4", "syntax error"]);
    assert!(
        !db.table_exists("a"),
        "nothing runs when a file does not load"
    );
}

/// In a batch large enough that the files' Lua states are made ahead on a
/// thread of their own, a syntax error in a later file still stops the run
/// before anything is sent, and the states made for the files after it are
/// closed (the run ends, exit 1).
#[test]
fn a_syntax_error_deep_in_a_large_batch_stops_it_before_anything_runs() {
    let db = TestDb::new("err_syntax_batch");
    let p = Project::new(&db);
    for i in 0..40 {
        if i == 25 {
            p.migration(
                &format!("{i:03}_bad"),
                "return {\n  up = function(knex)\n    knex.schema:raw(\"select 1\"\n  end,\n}\n",
            );
        } else {
            p.table_migration(&format!("{i:03}_t{i}"), &format!("t{i}"));
        }
    }
    let out = p.run(&["migrate:latest"]);
    fails_clearly(&out, &["migrations/025_bad.lua:4", "syntax error"]);
    assert!(!out.stdout.contains("up "), "no file ran; {out}");
    for i in [0, 24, 26, 39] {
        assert!(!db.table_exists(&format!("t{i}")), "t{i}: nothing runs");
    }
}

/// Lua bytecode (what `luac` or `string.dump` makes) is refused as a
/// migration and as a module, naming the file: Lua does not check bytecode,
/// so a crafted file could crash the run or reach past the sandbox.
#[test]
fn bytecode_files_are_refused_as_migrations_and_modules() {
    let compiled = |source: &str| {
        let lua = mlua::Lua::new();
        let f = lua.load(source).into_function().expect("compile");
        f.dump(false)
    };
    let migration = "return { up = function(knex) knex.schema:raw('create table t (id int)') end }";

    let db = TestDb::new("err_bytecode");
    let p = Project::new(&db);
    p.migration("001_compiled", "");
    std::fs::write(p.path("migrations/001_compiled.lua"), compiled(migration))
        .expect("write bytecode");
    let out = p.run(&["migrate:latest"]);
    fails_clearly(
        &out,
        &[
            "migrations/001_compiled.lua",
            "Lua bytecode",
            "Lua source only",
        ],
    );
    assert!(!db.table_exists("t"));

    let db = TestDb::new("err_bytecode_module");
    let p = Project::new(&db);
    p.file("lua/helpers.lua", "");
    std::fs::write(p.path("lua/helpers.lua"), compiled("return { name = 't' }"))
        .expect("write bytecode");
    p.migration(
        "001_uses",
        "local H = require('helpers')\nreturn { up = function(knex) knex.schema:raw('create table ' .. H.name .. ' (id int)') end }\n",
    );
    let out = p.run(&["migrate:latest"]);
    fails_clearly(
        &out,
        &[
            "lua/helpers.lua",
            "Lua bytecode",
            "migrations/001_uses.lua:1",
        ],
    );
    assert!(!db.table_exists("t"));
}

#[test]
fn a_file_returning_no_table_is_named() {
    let db = TestDb::new("err_notable");
    let p = Project::new(&db);
    p.migration("001_num", "return 42\n");
    let out = p.run(&["migrate:latest"]);
    fails_clearly(
        &out,
        &["migrations/001_num.lua", "must return a table", "42"],
    );

    p.migration("001_num", "local m = { up = function(knex) end }\n");
    let out = p.run(&["migrate:latest"]);
    fails_clearly(
        &out,
        &["migrations/001_num.lua", "must return a table", "nil"],
    );

    p.migration("001_num", "return { down = function(knex) end }\n");
    let out = p.run(&["migrate:latest"]);
    fails_clearly(&out, &["migrations/001_num.lua", "`up`"]);
}

#[test]
fn an_unknown_environment_is_a_config_error() {
    let db = TestDb::new("err_env");
    let p = Project::new(&db);
    let out = p.run(&["--env", "staging", "migrate:latest"]);
    fails_clearly(&out, &["staging", "development"]);
    assert_eq!(out.code, 2);
    // Through VECTRA_ENV too.
    let out = p.run_env(&["migrate:status"], &[("VECTRA_ENV", "qa")]);
    fails_clearly(&out, &["`qa`"]);
    assert_eq!(out.code, 2);
}

#[test]
fn a_malformed_config_names_the_file() {
    let p = Project::bare();
    p.config("[defaults\nmigrations = \"migrations\"\n");
    let out = p.run(&["migrate:status"]);
    fails_clearly(&out, &["vectra-db.toml"]);
    assert_eq!(out.code, 2);
}

#[test]
fn a_misspelled_config_key_is_named_with_the_file() {
    let p = Project::bare();
    p.config("[environments.development]\nconection = \"postgres:///x\"\n");
    let out = p.run(&["migrate:status"]);
    fails_clearly(&out, &["conection", "vectra-db.toml"]);
    assert_eq!(out.code, 2);

    p.config("[defaults]\nmigration = \"m\"\n[environments.development]\nconnection = \"postgres:///x\"\n");
    let out = p.run(&["migrate:status"]);
    fails_clearly(&out, &["`migration`", "vectra-db.toml"]);
    assert_eq!(out.code, 2);

    p.config("[environment.development]\nconnection = \"postgres:///x\"\n");
    let out = p.run(&["migrate:status"]);
    fails_clearly(&out, &["environment", "vectra-db.toml"]);
    assert_eq!(out.code, 2);
}

#[test]
fn an_unset_variable_is_named() {
    let p = Project::bare();
    p.config("[environments.development]\nconnection = \"${VECTRA_TEST_SURELY_UNSET_VAR}\"\n");
    let out = p.run(&["migrate:latest"]);
    fails_clearly(&out, &["VECTRA_TEST_SURELY_UNSET_VAR", "not set"]);
    assert_eq!(out.code, 2);
    // With a default it is fine (and the default is used).
    let db = TestDb::new("err_var");
    p.config(&format!(
        "[environments.development]\nconnection = \"${{VECTRA_TEST_SURELY_UNSET_VAR:-{}}}\"\n",
        db.url
    ));
    std::fs::create_dir_all(p.path("migrations")).unwrap();
    p.run(&["migrate:latest"]).ok();
}

#[test]
fn an_unreachable_server_is_reported() {
    let p = Project::bare();
    std::fs::create_dir_all(p.path("migrations")).unwrap();
    let out = p.run(&[
        "--database-url",
        "postgres://u@127.0.0.1:1/db",
        "migrate:latest",
    ]);
    fails_clearly(&out, &["127.0.0.1", "connect"]);
}

#[test]
fn a_wrong_password_is_reported_without_the_password() {
    let p = Project::bare();
    std::fs::create_dir_all(p.path("migrations")).unwrap();
    let url = "postgres://root:hunter2secret@127.0.0.1/postgres";
    for args in [
        vec!["--database-url", url, "migrate:latest"],
        vec!["-v", "--database-url", url, "migrate:status"],
        vec!["--json", "--database-url", url, "migrate:latest"],
    ] {
        let out = p.run(&args);
        assert!(out.code == 1 || out.code == 2, "{out}");
        out.no_panic().says(&["authentication failed"]);
        assert!(
            !out.all().contains("hunter2secret"),
            "the password leaked; {out}"
        );
    }
    // The same from the config file.
    p.config(&format!(
        "[environments.development]\nconnection = \"{url}\"\n"
    ));
    let out = p.run(&["migrate:latest"]);
    fails_clearly(&out, &["authentication failed"]);
    assert!(!out.all().contains("hunter2secret"), "{out}");
}

#[test]
fn a_missing_database_suggests_db_setup() {
    let p = Project::bare();
    std::fs::create_dir_all(p.path("migrations")).unwrap();
    let url = format!("postgres:///vt_surely_missing_{}", std::process::id());
    let out = p.run(&["--database-url", &url, "migrate:latest"]);
    fails_clearly(&out, &["does not exist", "db:setup"]);
}

#[test]
fn a_missing_migrations_directory_is_named() {
    let db = TestDb::new("err_nodir");
    let p = Project::new(&db);
    std::fs::remove_dir(p.path("migrations")).unwrap();
    let out = p.run(&["migrate:latest"]);
    fails_clearly(&out, &["migrations"]);
}

#[test]
fn a_usage_error_exits_2() {
    let p = Project::bare();
    let out = p.run(&["migrate:nonsense"]);
    assert_eq!(out.code, 2, "{out}");
    out.no_panic().says(&["migrate:nonsense"]);
    let out = p.run(&["migrate:latest", "--bogus-flag"]);
    assert_eq!(out.code, 2, "{out}");
    out.no_panic().says(&["--bogus-flag"]);
}

// `vectra-db … | head` closes stdout early: no panic, and the verb's own
// outcome decides the exit code.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let db = TestDb::new("err_pipe");
    let p = Project::new(&db);
    for i in 0..40 {
        p.table_migration(&format!("{i:03}_m"), &format!("t{i}"));
    }
    for args in [
        vec!["migrate:status"],
        vec!["--json", "migrate:status"],
        vec!["-v", "migrate:latest"],
        vec!["migrate:rollback"],
    ] {
        let mut cmd = p.command(&args);
        cmd.stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("spawn");
        drop(child.stdout.take());
        let out = common::project::to_output(child.wait_with_output().expect("wait"));
        assert_eq!(out.code, 0, "{args:?}; {out}");
        out.no_panic();
    }
    assert_eq!(
        db.strings("select count(*) from knex_migrations"),
        vec!["0"]
    );
    assert!(!db.table_exists("t0"), "rollback after latest");
}

// TOML errors quote the offending line: the password in it must not show.
#[test]
fn a_config_error_on_a_line_with_a_password_does_not_show_it() {
    let p = Project::bare();
    for toml in [
        "[environments.development]\nconection = \"postgres://u:hunter2secret@h/db\"\n",
        "[environments.development]\nconnection = \"postgres://u:hunter2secret@h/db\n",
        "[environments.development]\nconnection = \"host=h password=hunter2secret\" x\n",
        "[environments.development]\nconnection = { url = \"postgres://u:hunter2secret@h/db\" }\n",
    ] {
        p.config(toml);
        let out = p.run(&["migrate:status"]);
        fails_clearly(&out, &["vectra-db.toml", "line 2"]);
        assert!(
            !out.all().contains("hunter2secret"),
            "the password leaked; {out}"
        );
    }
    // The key is still named.
    p.config("[environments.development]\nconection = \"postgres://u:hunter2secret@h/db\"\n");
    let out = p.run(&["migrate:status"]);
    fails_clearly(&out, &["conection"]);
}

#[test]
fn a_url_typed_in_the_wrong_place_does_not_print_its_password() {
    let out = Project::bare().run(&["migrate:latest", "postgres://u:hunter2secret@127.0.0.1/db"]);
    out.code(2)
        .says(&["unexpected argument", "postgres://u:***@127.0.0.1/db"]);
    assert!(!out.all().contains("hunter2secret"), "{out}");
}

/// Every misuse of a builder is reported at the user's `file:line` (never at
/// mlua's helper chunks), and the common ones say what to do.
#[test]
fn builder_misuse_names_the_users_line_and_what_to_do() {
    let cases: &[(&str, &[&str])] = &[
        (
            "knex(\"x\"):wher(\"a\", 1):run()",
            &["unknown method `query:wher`", "did you mean `query:where`"],
        ),
        (
            "local q = knex(\"x\"):where(\"a\", 1)\n    print(q.id)",
            &["this is a query, not rows", "add `:run()`", "`.id`"],
        ),
        (
            "local q = knex(\"x\")\n    for _, r in ipairs(q) do end",
            &["this is a query, not rows", "add `:run()`"],
        ),
        (
            "knex(\"x\").where(\"a\", 1)",
            &["`query:where` is a method", "call it with `:`"],
        ),
        (
            "knex.raw(\"select 1\"):rn()",
            &[
                "unknown method `knex.raw(...):rn`",
                "did you mean `knex.raw(...):run`",
            ],
        ),
        (
            "knex.schema:createTable(\"x\", function(t) t:strng(\"a\") end)",
            &["unknown method `t:strng`", "did you mean `t:string`"],
        ),
        (
            "knex(\"x\"):join(\"y\", function(j) j:onn(\"a\", \"b\") end):run()",
            &[
                "unknown method `join clause:onn`",
                "did you mean `join clause:on`",
            ],
        ),
        (
            "knex.batchInsert(\"x\", {}):returnin(\"id\")",
            &["unknown method `knex.batchInsert(...):returnin`"],
        ),
    ];
    for (i, (body, needles)) in cases.iter().enumerate() {
        let db = TestDb::new(&format!("err_misuse_{i}"));
        let p = Project::new(&db);
        // The misuse is on line 3 (its second line, if any, on line 4).
        p.migration(
            "001_misuse",
            &format!("return {{\n  up = function(knex)\n    {body}\n  end,\n}}\n"),
        );
        let out = p.run(&["migrate:latest"]);
        fails_clearly(&out, needles);
        let line = if body.contains('\n') { 4 } else { 3 };
        let at = format!("migrations/001_misuse.lua:{line}");
        assert!(out.stderr.contains(&at), "case {i}: no `{at}`; {out}");
        for internal in ["__mlua", "[C]", "?:"] {
            assert!(
                !out.stderr.contains(internal),
                "case {i}: `{internal}`; {out}"
            );
        }
    }
}

/// A listener on 127.0.0.1 that accepts TCP connections and never answers;
/// its port, and the thread keeping the accepted sockets open (and silent).
fn silent_listener() -> (u16, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().take(4) {
            match stream {
                Ok(s) => open.push(s),
                Err(_) => break,
            }
        }
        std::thread::sleep(std::time::Duration::from_secs(8));
    });
    (port, held)
}

/// A server that accepts and never answers: the run fails after
/// `connect_timeout` with a clear message instead of hanging.
#[test]
fn a_server_that_never_answers_fails_after_connect_timeout() {
    let (port, held) = silent_listener();
    let p = Project::bare();
    let url = format!(
        "postgres://nobody:hunter2secret@127.0.0.1:{port}/db?connect_timeout=2&sslmode=disable"
    );
    let started = std::time::Instant::now();
    let out = p.run(&["--database-url", &url, "migrate:status"]);
    let took = started.elapsed();
    fails_clearly(
        &out,
        &[
            "no answer within 2 s",
            "connect_timeout",
            &format!("127.0.0.1:{port}"),
        ],
    );
    assert!(
        !out.all().contains("hunter2secret"),
        "password shown; {out}"
    );
    assert!(took < std::time::Duration::from_secs(7), "took {took:?}");
    drop(held);
}

/// The same bound from `vectra-db.toml` (`connect_timeout`), for a URL that
/// sets none.
#[test]
fn connect_timeout_from_the_config_bounds_connecting() {
    let (port, held) = silent_listener();
    let p = Project::bare();
    p.config(&format!(
        "[environments.development]\nconnection = \"postgres://nobody@127.0.0.1:{port}/db?sslmode=disable\"\nconnect_timeout = \"1s\"\n"
    ));
    let started = std::time::Instant::now();
    let out = p.run(&["migrate:latest"]);
    let took = started.elapsed();
    fails_clearly(&out, &["no answer within 1 s", "connect_timeout"]);
    assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
    drop(held);
}
