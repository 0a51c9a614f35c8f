//! Pipelining must be invisible (SPEC §5, issue 9): every project of the test
//! corpus — the repository's migrations and seeds, the docs examples, the
//! schema fixtures, and failing and `pcall` cases — is run twice, once with
//! statements sent ahead (the default) and once strictly one statement at a
//! time (`VECTRA_DB_PIPELINE=off`), each on a database of its own. The
//! strict run also sleeps for every answer (`VECTRA_DB_POLL=off`), where the
//! default polls the local socket a little first (`src/db/socket.rs`). After
//! every command both runs must agree on the exit code, every printed line
//! (durations masked), the error text and location, and the database state
//! (`pg_dump --schema-only`, row counts of every table, the ledger).
mod common;

use std::path::Path;

use common::project::{Output, Project};
use common::TestDb;

/// Copies `from` (a directory of the repository) to `to` in the project.
fn copy_dir(p: &Project, from: &str, to: &str) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(from);
    for entry in walk(&src) {
        let rel = entry.strip_prefix(&src).expect("inside");
        let text = std::fs::read_to_string(&entry).expect("read corpus file");
        p.file(&format!("{to}/{}", rel.display()), &text);
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read corpus dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// `2026-11-29T07:00:32.231520Z` (a ledger row's time in `-v` output) → `<time>`.
fn mask_timestamps(line: &str) -> String {
    let shape = "dddd-dd-ddTdd:dd:dd";
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < bytes.len() {
        let fits = bytes.len() - i >= shape.len()
            && shape
                .bytes()
                .zip(&bytes[i..])
                .all(|(want, &got)| match want {
                    b'd' => got.is_ascii_digit(),
                    other => other == got,
                });
        if fits {
            let mut end = i + shape.len();
            while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
                end += 1;
            }
            if bytes.get(end) == Some(&b'Z') {
                end += 1;
            }
            out.push_str("<time>");
            i = end;
        } else {
            let c = line[i..].chars().next().expect("a char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The lines of `a` and `b` that differ, for a readable failure.
fn difference(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut out = String::new();
    for i in 0..la.len().max(lb.len()) {
        let (x, y) = (la.get(i).copied(), lb.get(i).copied());
        if x != y {
            out.push_str(&format!(
                "line {}:\n  pipelined: {}\n  strict:    {}\n",
                i + 1,
                x.unwrap_or("<none>"),
                y.unwrap_or("<none>")
            ));
        }
    }
    out
}

/// Output with what legitimately differs between two runs masked.
fn masked(out: &Output, p: &Project) -> (i32, String, String) {
    let mask = |text: &str| {
        mask_timestamps(&text.replace(&p.root().display().to_string(), "<project>"))
            .lines()
            .map(|line| match line.rfind(" ms)") {
                Some(end) => match line[..end].rfind('(') {
                    Some(start) => format!("{}(… ms){}", &line[..start], &line[end + 4..]),
                    None => line.to_string(),
                },
                None => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    (out.code, mask(&out.stdout), mask(&out.stderr))
}

/// The schema, the number of rows of every table, and the ledger.
fn state(db: &TestDb) -> String {
    let dump = std::process::Command::new("pg_dump")
        .args([
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "-d",
            &db.url,
        ])
        .output()
        .expect("run pg_dump");
    assert!(
        dump.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&dump.stderr)
    );
    // `\restrict KEY` lines (pg_dump 15.14+) carry a random key per dump.
    let schema: String = String::from_utf8_lossy(&dump.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .map(|l| format!("{l}\n"))
        .collect();
    let tables = db.strings(
        "select format('%I.%I', schemaname, tablename) from pg_tables \
         where schemaname not in ('pg_catalog', 'information_schema') order by 1",
    );
    let mut counts = String::new();
    for t in &tables {
        counts.push_str(&format!(
            "{t}: {}\n",
            db.strings(&format!("select count(*) from {t}"))[0]
        ));
    }
    let ledger = if db.table_exists("knex_migrations") {
        db.strings("select name || ':' || batch from knex_migrations order by id")
            .join("\n")
    } else {
        String::new()
    };
    format!("{schema}\n-- rows\n{counts}\n-- ledger\n{ledger}")
}

/// Runs `commands` pipelined and strictly, on twin projects, comparing after each.
#[track_caller]
fn differential(tag: &str, setup: impl Fn(&Project), commands: &[&[&str]]) {
    let (db_a, db_b) = (
        TestDb::new(&format!("{tag}_p")),
        TestDb::new(&format!("{tag}_s")),
    );
    let (a, b) = (Project::new(&db_a), Project::new(&db_b));
    setup(&a);
    setup(&b);
    let mut codes = Vec::new();
    for args in commands {
        let pipelined = a.run_env(args, &[("VECTRA_DB_PIPELINE", "on")]);
        let strict = b.run_env(
            args,
            &[("VECTRA_DB_PIPELINE", "off"), ("VECTRA_DB_POLL", "off")],
        );
        pipelined.no_panic();
        let (ma, mb) = (masked(&pipelined, &a), masked(&strict, &b));
        assert!(
            ma == mb,
            "`{}` printed differently (exit {} pipelined, {} strict):\n{}{}",
            args.join(" "),
            ma.0,
            mb.0,
            difference(&ma.1, &mb.1),
            difference(&ma.2, &mb.2)
        );
        let (sa, sb) = (state(&db_a), state(&db_b));
        assert!(
            sa == sb,
            "`{}` left different databases:\n{}",
            args.join(" "),
            difference(&sa, &sb)
        );
        codes.push(pipelined.code);
    }
    // The corpus must really run (a case that fails everywhere proves little).
    assert!(
        codes.contains(&0) || commands.is_empty(),
        "no command succeeded: {codes:?}"
    );
}

const FULL_CYCLE: &[&[&str]] = &[
    &["migrate:latest", "--dry-run"],
    &["migrate:latest"],
    &["migrate:list"],
    &["seed:run"],
    &["-v", "migrate:rollback"],
    &["migrate:latest", "--per-migration"],
    &["migrate:verify"],
    &["migrate:rollback", "--all"],
    &["migrate:latest"],
];

#[test]
fn repository_migrations_and_seeds() {
    differential(
        "diff_repo",
        |p| {
            copy_dir(p, "migrations", "migrations");
            copy_dir(p, "seeds", "seeds");
            copy_dir(p, "lua", "lua");
        },
        FULL_CYCLE,
    );
}

#[test]
fn docs_examples() {
    differential(
        "diff_docs",
        |p| {
            copy_dir(p, "docs/examples/migrations", "migrations");
            copy_dir(p, "docs/examples/seeds", "seeds");
            copy_dir(p, "docs/examples/lua", "lua");
        },
        FULL_CYCLE,
    );
}

#[test]
fn schema_fixtures() {
    differential(
        "diff_schema",
        |p| {
            copy_dir(p, "tests/fixtures/schema/migrations", "migrations");
            copy_dir(p, "lua", "lua");
        },
        &[
            &["migrate:latest", "--dry-run"],
            &["migrate:latest"],
            &["migrate:rollback"],
            &["migrate:latest", "--per-migration"],
        ],
    );
}

const OK_CASES: &[(&str, &str)] = &[
    (
        "01_ok",
        "return {\n  up = function(knex)\n    knex.schema:createTable('ok', function(t) t:increments(); t:string('name'):index() end)\n  end,\n  down = function(knex) knex.schema:dropTable('ok') end,\n}\n",
    ),
    (
        "02_pcall_trx",
        "return {\n  up = function(knex)\n    local ok, err = pcall(knex.transaction, function(trx)\n      trx.schema:raw('alter table no_such_table add column y int')\n      trx.schema:raw('create table never (id int)')\n    end)\n    assert(not ok and tostring(err):find('no_such_table', 1, true), tostring(err))\n    knex.schema:raw('create table after_trx (id int)')\n  end,\n  down = function(knex) knex.schema:raw('drop table after_trx') end,\n}\n",
    ),
    (
        "03_has_table",
        "return {\n  up = function(knex)\n    knex.schema:raw('create table probe (id int)')\n    assert(knex.schema:hasTable('probe'))\n    knex('probe'):insert({ id = 1 }):run()\n  end,\n  down = function(knex) knex.schema:raw('drop table probe') end,\n}\n",
    ),
];

const SEED_OK: &str = "return {\n  seed = function(knex)\n    knex('ok'):insert({ { name = 'a' }, { name = 'b' } }):run()\n  end,\n}\n";

/// Passing migrations and a seed, with `pcall(knex.transaction, …)` and a
/// `hasTable` after a statement sent ahead.
#[test]
fn passing_cases_with_pcall_and_savepoints() {
    differential(
        "diff_ok",
        |p| {
            for (name, lua) in OK_CASES {
                p.migration(name, lua);
            }
            p.file("seeds/01_ok.lua", SEED_OK);
        },
        &[
            &["migrate:latest"],
            &["seed:run"],
            &["migrate:rollback"],
            &["migrate:latest", "--dry-run"],
            &["-v", "migrate:latest"],
        ],
    );
}

/// The passing cases plus `extra` migrations (and a seed) that fail.
#[track_caller]
fn failing_case(tag: &str, extra: &[(&str, &str)], seed: Option<&str>) {
    differential(
        tag,
        |p| {
            for (name, lua) in OK_CASES.iter().chain(extra) {
                p.migration(name, lua);
            }
            p.file("seeds/01_ok.lua", SEED_OK);
            if let Some(seed) = seed {
                p.file("seeds/02_bad.lua", seed);
            }
        },
        &[
            &["migrate:latest", "--dry-run"],
            &["migrate:latest"],
            &["migrate:latest", "--per-migration"],
            &["seed:run"],
            &["migrate:rollback", "--all"],
            &["-v", "migrate:rollback", "--all"],
        ],
    );
}

#[test]
fn a_failing_file_followed_by_a_file_that_queries() {
    failing_case(
        "diff_blame",
        &[
            (
                "04_fails",
                "return {\n  up = function(knex)\n    knex.schema:raw('create table half (id int)')\n    knex.schema:raw('alter table no_such_table add column y int')\n    knex.schema:raw('create table never2 (id int)')\n  end,\n  down = function(knex) end,\n}\n",
            ),
            (
                "05_queries",
                "return {\n  up = function(knex)\n    print('05 ran')\n    knex.raw('select 1'):run()\n  end,\n  down = function(knex) end,\n}\n",
            ),
        ],
        None,
    );
}

#[test]
fn pcall_around_a_failing_schema_call() {
    failing_case(
        "diff_pcall",
        &[(
            "04_pcall",
            "return {\n  up = function(knex)\n    local ok, err = pcall(function() knex.schema:alterTable('nope', function(t) t:integer('y') end) end)\n    error('pcall: ' .. tostring(ok) .. ' ' .. tostring(err))\n  end,\n  down = function(knex) end,\n}\n",
        )],
        None,
    );
}

#[test]
fn a_failure_sent_ahead_then_pcall_print_and_a_lua_error() {
    failing_case(
        "diff_earlier",
        &[(
            "04_earlier",
            "return {\n  up = function(knex)\n    knex.schema:raw('alter table nope add column y int')\n    local ok = pcall(function() knex.schema:raw('create table x (id int)') end)\n    error('reached ' .. tostring(ok))\n  end,\n  down = function(knex) end,\n}\n",
        )],
        None,
    );
    failing_case(
        "diff_print",
        &[(
            "04_print",
            "return {\n  up = function(knex)\n    knex.schema:raw('alter table nope add column y int')\n    print('after the failure')\n  end,\n  down = function(knex) end,\n}\n",
        )],
        None,
    );
    failing_case(
        "diff_luaerr",
        &[(
            "04_luaerr",
            "return {\n  up = function(knex)\n    knex.schema:raw('alter table nope add column y int')\n    local n = nil\n    return n.field\n  end,\n  down = function(knex) end,\n}\n",
        )],
        None,
    );
}

/// Statements sent ahead go to the server together; once one fails, the
/// ones behind it must change nothing. A raw `COMMIT` (or `ROLLBACK TO
/// SAVEPOINT`) behind a failure would end the aborted transaction and let
/// the next statement run for real, so it is never sent behind another.
#[test]
fn a_raw_commit_behind_a_failure_is_never_sent() {
    failing_case(
        "diff_commit",
        &[(
            "04_commit",
            "return {\n  up = function(knex)\n    knex.schema:raw('create table before_commit (id int)')\n    knex.schema:raw('alter table nope add column y int')\n    knex.schema:raw('COMMIT')\n    knex.schema:raw('create table escaped (id int)')\n  end,\n  down = function(knex) end,\n}\n",
        )],
        None,
    );
}

/// The server ends the session while statements sent together are in
/// flight: the one that was running is blamed, with the server's words, not
/// the first of the group nor a later one that met the closed connection.
#[test]
fn a_session_the_server_ends_among_statements_sent_together() {
    failing_case(
        "diff_terminated",
        &[(
            "04_terminated",
            "return {\n  up = function(knex)\n    knex.schema:raw('create table before_kill (id int)')\n    knex.schema:raw('select pg_terminate_backend(pg_backend_pid())')\n    knex.schema:raw('create table after_kill (id int)')\n  end,\n  down = function(knex) end,\n}\n",
        )],
        None,
    );
}

/// Lua that works a while between statements: those sent ahead are handed
/// to the connection thread (not run in the next wait), and a failure there
/// must still be blamed on its own line, before the file's later Lua runs.
#[test]
fn statements_handed_to_the_connection_thread_while_lua_works() {
    const BUSY: &str = "local t = os.clock(); while os.clock() - t < 0.003 do end";
    let slow_ok = format!("return {{\n  up = function(knex)\n    knex.schema:raw('create table slow_a (id int)')\n    {BUSY}\n    knex.schema:raw('create table slow_b (id int)')\n    {BUSY}\n    knex.schema:raw('create table slow_c (id int)')\n  end,\n  down = function(knex) knex.schema:raw('drop table slow_a, slow_b, slow_c') end,\n}}\n");
    let slow_failing = format!("return {{\n  up = function(knex)\n    knex.schema:raw('create table slow_d (id int)')\n    {BUSY}\n    knex.schema:raw('alter table nope add column y int')\n    {BUSY}\n    knex.schema:raw('create table slow_e (id int)')\n    {BUSY}\n    print('after the failure')\n  end,\n  down = function(knex) end,\n}}\n");
    failing_case(
        "diff_handover",
        &[("04_slow_ok", &slow_ok), ("05_slow_failing", &slow_failing)],
        None,
    );
}

#[test]
fn a_failing_down_and_a_failing_seed() {
    failing_case(
        "diff_baddown",
        &[(
            "04_baddown",
            "return {\n  up = function(knex) end,\n  down = function(knex)\n    knex.schema:raw('drop table no_such_table')\n  end,\n}\n",
        )],
        None,
    );
    failing_case(
        "diff_seed",
        &[],
        Some("return {\n  seed = function(knex)\n    knex.schema:raw('create table seeded (id int)')\n    knex.schema:raw('insert into no_such_table values (1)')\n    print('still running')\n  end,\n}\n"),
    );
}

/// `batchInsert`'s `COPY` windows and a cursor's `FETCH` sent ahead are
/// pipelining too: a producer that prints, a cursor loop that writes, and
/// failures in either, inside and outside `pcall`, look the same both ways.
#[test]
fn copy_windows_and_cursor_fetches() {
    failing_case(
        "diff_stream",
        &[
            (
                "04_stream",
                "return {\n  up = function(knex)\n    local i = 0\n    local n = knex.batchInsert('ok', function()\n      i = i + 1\n      if i % 1000 == 1 then print('window at ' .. i) end\n      if i <= 2500 then return { id = 100 + i, name = 'p' .. i } end\n    end, 1000):run()\n    print('inserted ' .. n)\n    local seen = 0\n    for row in knex('ok'):where('id', '>', 100):orderBy('id'):cursor(300) do\n      seen = seen + 1\n      if seen % 300 == 0 then knex('ok'):where('id', row.id):update({ name = 'seen' }):run(); print('chunk ' .. seen) end\n    end\n    print('seen ' .. seen)\n    local ok = pcall(function()\n      local j = 0\n      knex.batchInsert('ok', function()\n        j = j + 1\n        if j <= 1500 then return { id = (j == 10) and 101 or 5000 + j, name = 'dup' } end\n      end, 500):run()\n    end)\n    print('pcall batch ' .. tostring(ok))\n  end,\n  down = function(knex) knex('ok'):where('id', '>', 100):del():run() end,\n}\n",
            ),
            (
                "05_stream_fails",
                "return {\n  up = function(knex)\n    local i = 0\n    knex.batchInsert('ok', function()\n      i = i + 1\n      if i % 1000 == 1 then print('window at ' .. i) end\n      if i <= 3500 then return { id = (i == 5) and 101 or 10000 + i, name = 'x' } end\n    end, 1000):run()\n    print('not reached')\n  end,\n  down = function(knex) end,\n}\n",
            ),
        ],
        Some("return {\n  seed = function(knex)\n    local n = 0\n    for row in knex('ok'):orderBy('id'):cursor(2) do\n      n = n + 1\n      print('row ' .. n)\n      if n == 3 then knex('ok'):insert({ id = row.id, name = 'again' }):run() end\n    end\n  end,\n}\n"),
    );
}
