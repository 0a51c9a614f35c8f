//! `vectra-db port` (issue 15): Knex JavaScript/TypeScript files converted to
//! Lua that produces the same SQL and the same database.
//!
//! - the TypeScript originals of docs/porting-from-knex.md convert with no
//!   TODO and produce the SQL of the hand-written Lua examples;
//! - the corpus of tests/fixtures/port/ (migrations and seeds, TypeScript and
//!   JavaScript) converts with no TODO, passes `lint` where the constants have
//!   the names, and run by vectra-db produces the same statements (`-v`) and
//!   the same database (`pg_dump`) as the originals run by the real Knex 3.3;
//! - constructs outside the subset become `-- TODO(port):` markers at their
//!   lines, the rest is converted, and the exit code is 1;
//! - `--check` and `--force`.
//!
//! The Knex side needs `node` and `npm` (knex@3.3, pg and typescript are
//! installed once into the git-ignored `target/knex-port/`); without them the
//! tests fail rather than skip, as in tests/knex_compat.rs.
mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::project::{to_output, Output, Project};
use common::TestDb;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/port")
}

/// `node_modules` with knex@3.3, pg and typescript, installed once per
/// checkout into `target/knex-port` (atomically, so parallel tests share it).
fn knex_modules() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/knex-port");
        let modules = base.join("node_modules");
        let ready = |m: &Path| {
            m.join("knex/package.json").is_file()
                && m.join("typescript/package.json").is_file()
                && m.join("pg/package.json").is_file()
                && std::fs::read_to_string(m.join("knex/package.json"))
                    .is_ok_and(|t| t.contains("\"version\": \"3.3."))
        };
        if ready(&modules) {
            return modules;
        }
        std::fs::create_dir_all(&base).expect("create target/knex-port");
        let staging = tempfile::Builder::new()
            .prefix("install-")
            .tempdir_in(&base)
            .expect("staging dir");
        let out = to_output(
            Command::new("npm")
                .current_dir(staging.path())
                .args([
                    "install",
                    "--no-save",
                    "--no-audit",
                    "--no-fund",
                    "--silent",
                    "knex@3.3",
                    "pg@8",
                    "typescript@5",
                ])
                .output()
                .expect("npm must be installed to run this test"),
        );
        assert_eq!(
            out.code, 0,
            "npm install knex@3.3 pg typescript failed; {out}"
        );
        // Another test may have finished first: either copy is fine.
        let _ = std::fs::rename(staging.path().join("node_modules"), &modules);
        assert!(
            ready(&modules),
            "knex@3.3 not found in {}",
            modules.display()
        );
        modules
    })
    .clone()
}

/// Runs migrations then seeds with Knex 3.3; the statements, as `-v` prints them.
fn run_knex(db: &TestDb, migrations: &Path, seeds: &Path) -> String {
    let out = to_output(
        Command::new("node")
            .arg(fixtures().join("run-knex.js"))
            .arg(db.node_url())
            .arg(migrations)
            .arg(seeds)
            .env("NODE_PATH", knex_modules())
            .env_remove("NODE_ENV")
            .output()
            .expect("node must be installed to run this test"),
    );
    assert_eq!(out.code, 0, "Knex failed on the originals; {out}");
    out.stdout
}

/// The statements a migration or seed itself sent, comparable between Knex's
/// `query` events and `vectra-db -v`: the runners' own bookkeeping (ledger,
/// locks, transactions) is left out, placeholders are `?`, and an integer
/// bound as text is an integer (node-postgres returns bigint as a string, so
/// Knex binds `'3'` where vectra-db binds `3`, as docs/knex-differences.md
/// says). `knex.batchInsert` is left out too: Knex sends `insert`s, vectra-db
/// streams `COPY` (the database comparison still covers its rows).
fn statements(log: &str, batch_table: Option<&str>) -> Vec<String> {
    let skip = [
        "knex_migrations",
        "_advisory_",
        "pg_locks",
        "client_connection_check_interval",
        "lock_timeout",
    ];
    let control = ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"];
    log.lines()
        .filter_map(|l| l.strip_prefix("sql> "))
        .filter(|l| !skip.iter().any(|s| l.contains(s)))
        .filter(|l| !control.iter().any(|c| l.starts_with(c)))
        .filter(|l| {
            batch_table.is_none_or(|t| {
                !l.starts_with(&format!("insert into \"{t}\""))
                    && !l.starts_with(&format!("COPY \"{t}\""))
            })
        })
        .map(|l| {
            let l = l.trim_end_matches(';');
            normalize_statement(l)
        })
        .collect()
}

fn normalize_statement(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                out.push('?');
            }
            _ => out.push(c),
        }
    }
    // `'123'` → `123` in the bound values.
    match out.split_once("  -- [") {
        Some((sql, values)) => {
            let values: Vec<String> = values
                .trim_end_matches(']')
                .split(", ")
                .map(|v| {
                    let inner = v.trim_matches('\'');
                    if v.len() > 2
                        && v.starts_with('\'')
                        && inner.chars().all(|c| c.is_ascii_digit())
                    {
                        inner.to_string()
                    } else {
                        v.to_string()
                    }
                })
                .collect();
            format!("{sql}  -- [{}]", values.join(", "))
        }
        None => out,
    }
}

/// Schema and data, without the ledger tables and with run-time values
/// (timestamps, random uuids) masked.
fn dump(db: &TestDb) -> String {
    let text = common::pg_dump(
        &db.url,
        &["--no-owner", "--no-privileges", "-T", "knex_migrations*"],
    );
    // Rows of a table are a set: their physical order (which updates change)
    // is not compared.
    let mut lines = Vec::new();
    let mut rows: Option<Vec<String>> = None;
    for line in text.lines() {
        if line.starts_with("-- Dumped") {
            continue;
        }
        let line = mask_run_time_values(line);
        match rows.as_mut() {
            Some(block) if line == "\\." => {
                block.sort();
                lines.append(block);
                rows = None;
                lines.push(line);
            }
            Some(block) => block.push(line),
            None => {
                let starts_copy = line.starts_with("COPY ") && line.ends_with("FROM stdin;");
                lines.push(line);
                if starts_copy {
                    rows = Some(Vec::new());
                }
            }
        }
    }
    lines.join("\n")
}

fn mask_run_time_values(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &line[i..];
        if let Some(n) = timestamp_len(rest) {
            out.push_str("<ts>");
            i += n;
        } else if is_uuid(rest) {
            out.push_str("<uuid>");
            i += 36;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `2026-01-02 03:04:05.678+00` at the start of `s`.
fn timestamp_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && at(10, b' ')
        && digits(11..13)
        && at(13, b':'))
    {
        return None;
    }
    let mut n = 19;
    while b.get(n).is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
        n += 1;
    }
    if b.get(n) == Some(&b'+') && digits(n + 1..n + 3) {
        Some(n + 3)
    } else {
        None
    }
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 36
        && b[..36].iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
        })
}

/// The two databases have the same schema and data; the first difference is shown.
#[track_caller]
fn same_dump(knex: &TestDb, ours: &TestDb) {
    let (a, b) = (dump(knex), dump(ours));
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        assert_eq!(
            x,
            y,
            "pg_dump line {} differs (Knex's database, then vectra-db's)",
            i + 1
        );
    }
    assert_eq!(
        a.lines().count(),
        b.lines().count(),
        "pg_dump lengths differ"
    );
}

/// A project for the ported files: its own constants and database.
fn lua_project(db: &TestDb, constants: &Path) -> Project {
    let p = Project::new(db);
    p.config(&format!(
        "[defaults]\nmigrations = \"migrations\"\nseeds = \"seeds\"\nlua_path = [\"lua\"]\nlock_timeout = \"30s\"\n\n[environments.development]\nconnection = \"{}\"\n",
        db.url
    ));
    p.file(
        "lua/constants.lua",
        &std::fs::read_to_string(constants).expect("read constants"),
    );
    p
}

fn port(p: &Project, args: &[&str]) -> Output {
    let out = p.run(&[&["port"], args].concat());
    out.no_panic();
    out
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |rd| {
        rd.filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .count()
    })
}

/// The TypeScript blocks of the porting guide (the migration, then the seed).
fn guide_originals() -> (String, String) {
    let guide = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/porting-from-knex.md"),
    )
    .expect("read the porting guide");
    let blocks: Vec<&str> = guide
        .split("```ts\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    let migration = blocks
        .iter()
        .find(|b| b.contains("export async function up"))
        .expect("the migration original");
    let seed = blocks
        .iter()
        .find(|b| b.contains("export async function seed"))
        .expect("the seed original");
    (migration.to_string(), seed.to_string())
}

const GUIDE_MIGRATION: &str = "20240315120000_create_projects_and_tasks";

#[test]
fn the_guide_migration_ports_to_the_sql_of_its_hand_written_lua() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples");
    let (migration, _) = guide_originals();
    let run = |db: &TestDb, lua: &str| -> (Vec<String>, Vec<String>) {
        let p = lua_project(db, &examples.join("lua/constants.lua"));
        p.migration(GUIDE_MIGRATION, lua);
        let up = p.run(&["migrate:latest", "--dry-run"]);
        up.ok();
        p.run(&["migrate:latest"]).ok();
        let down = p.run(&["migrate:rollback", "--dry-run"]);
        down.ok();
        (statements(&up.stdout, None), statements(&down.stdout, None))
    };

    let work = Project::bare();
    work.file(&format!("src/{GUIDE_MIGRATION}.ts"), &migration);
    let out = port(
        &work,
        &[
            "src",
            "--out",
            "out",
            "--constants",
            &examples.join("lua/constants.lua").display().to_string(),
        ],
    );
    out.ok().says(&["Ported 1 file"]);
    assert!(!out.all().contains("TODO"), "{out}");
    let ported = work.read(&format!("out/{GUIDE_MIGRATION}.lua"));
    assert!(
        ported.contains("knex.schema:createTable(C.tables.projects"),
        "{ported}"
    );

    let hand = std::fs::read_to_string(examples.join(format!("migrations/{GUIDE_MIGRATION}.lua")))
        .expect("hand-written port");
    let (port_up, port_down) = run(&TestDb::new("port_guide_a"), &ported);
    let (hand_up, hand_down) = run(&TestDb::new("port_guide_b"), &hand);
    assert!(
        port_up
            .iter()
            .any(|s| s.starts_with("create table \"tasks\"")),
        "{port_up:#?}"
    );
    assert_eq!(port_up, hand_up, "migrate:latest --dry-run differs");
    assert_eq!(port_down, hand_down, "migrate:rollback --dry-run differs");
}

/// The guide's hand-written seed deliberately differs from the original (it
/// upserts, so it can run again); the ported seed is held to Knex's own SQL.
#[test]
fn the_guide_originals_port_to_what_knex_runs() {
    let (migration, seed) = guide_originals();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples");
    let originals = Project::bare();
    originals.file(&format!("migrations/{GUIDE_MIGRATION}.ts"), &migration);
    originals.file("seeds/01_demo_project.ts", &seed);

    let knex_db = TestDb::new("port_guide_knex");
    let knex_log = run_knex(
        &knex_db,
        &originals.path("migrations"),
        &originals.path("seeds"),
    );

    let db = TestDb::new("port_guide_lua");
    let p = lua_project(&db, &examples.join("lua/constants.lua"));
    let migrations = originals.path("migrations").display().to_string();
    let seeds = originals.path("seeds").display().to_string();
    port(&p, &[&migrations, &seeds])
        .ok()
        .says(&["Ported 2 files"]);
    let up = p.run(&["-vv", "migrate:latest"]);
    up.ok();
    let seeded = p.run(&["-vv", "seed:run"]);
    seeded.ok().says(&["demo project 1 has 2 open tasks"]);
    let ours = [
        statements(&up.stdout, None),
        statements(&seeded.stdout, None),
    ]
    .concat();
    assert_eq!(statements(&knex_log, None), ours);
    same_dump(&knex_db, &db);
}

#[test]
fn the_corpus_ports_without_todo_and_runs_like_knex() {
    let corpus = fixtures();
    let migrations = corpus.join("migrations");
    let seeds = corpus.join("seeds");
    let n = count_files(&migrations) + count_files(&seeds);
    assert!(n >= 30, "the corpus has {n} files");

    let db = TestDb::new("port_corpus_lua");
    let p = lua_project(&db, &corpus.join("lua/constants.lua"));
    let out = port(
        &p,
        &[
            &migrations.display().to_string(),
            &seeds.display().to_string(),
        ],
    );
    out.ok().says(&[&format!("Ported {n} files")]);
    assert!(!out.all().contains("TODO"), "{out}");
    assert_eq!(count_files(&p.path("migrations")), count_files(&migrations));
    assert_eq!(count_files(&p.path("seeds")), count_files(&seeds));

    // Every name the constants have (where the lint can name the one
    // constant to use) is a constant now: what `lint` still reports are names
    // the constants lack, or share between tables with no table to choose by.
    let lint = p.run(&["lint"]);
    assert!(lint.stdout.lines().any(|l| l.contains("no such")), "{lint}");
    for line in lint.stdout.lines().filter(|l| l.contains(".lua:")) {
        assert!(
            !line.contains(": use `C."),
            "a name the constants have is still a literal: {line}\n{lint}"
        );
        assert!(
            line.contains("literal-"),
            "not a literal-name finding: {line}"
        );
    }
    assert!(p
        .read("migrations/20240101000001_create_roles_and_users.lua")
        .contains("t:string(C.columns.users.email, 320)"));
    // `knex.client.config.client` and node-postgres' raw result run as in Knex.
    assert!(p
        .read("migrations/20240101000021_client_branch.lua")
        .contains("if knex.client.config.client == \"pg\" then"));
    let raw = p.read("seeds/11_raw_results.lua");
    assert!(raw.contains("local rows = knex.raw("), "{raw}");
    assert!(raw.contains("count.rows[1].n"), "{raw}");

    let up = p.run(&["-vv", "migrate:latest"]);
    up.ok();
    let seeded = p.run(&["-vv", "seed:run"]);
    seeded
        .ok()
        .says(&[&format!("Ran {} seed files", count_files(&seeds))]);
    let ours = [
        statements(&up.stdout, Some("priorities")),
        statements(&seeded.stdout, Some("priorities")),
    ]
    .concat();

    let knex_db = TestDb::new("port_corpus_knex");
    let theirs = statements(&run_knex(&knex_db, &migrations, &seeds), Some("priorities"));
    assert!(theirs.len() > 100, "{theirs:#?}");
    for (i, (a, b)) in theirs.iter().zip(&ours).enumerate() {
        assert_eq!(a, b, "statement {i} differs (Knex, then vectra-db)");
    }
    assert_eq!(
        theirs.len(),
        ours.len(),
        "Knex: {theirs:#?}\nvectra-db: {ours:#?}"
    );
    same_dump(&knex_db, &db);
}

/// Lines of `source` ending in `// expect-todo`.
fn expected_todo_lines(source: &str) -> BTreeSet<usize> {
    source
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_end().ends_with("// expect-todo"))
        .map(|(i, _)| i + 1)
        .collect()
}

#[test]
fn constructs_outside_the_subset_become_todo_markers_at_their_lines() {
    let work = Project::bare();
    let dir = fixtures().join("todo");
    let out = port(&work, &[&dir.display().to_string(), "--out", "out"]);
    out.code(1).says(&["TODO(port) left to convert by hand"]);
    // `--check` is about drift only: the files equal their conversion.
    port(
        &work,
        &[&dir.display().to_string(), "--out", "out", "--check"],
    )
    .ok()
    .says(&["Checked 2 files"]);
    for entry in std::fs::read_dir(&dir).expect("todo fixtures") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        let stem = path
            .file_stem()
            .and_then(|n| n.to_str())
            .expect("stem")
            .to_string();
        let source = std::fs::read_to_string(&path).expect("read fixture");
        let lua = work.read(&format!("out/{stem}.lua"));
        mlua::Lua::new()
            .load(&lua)
            .into_function()
            .unwrap_or_else(|e| panic!("out/{stem}.lua does not load as Lua: {e}\n{lua}"));

        // Printed as `out/x.lua:LINE: TODO(port): … (from …/x.ts:LINE)`.
        let mut reported = BTreeSet::new();
        for line in out
            .stdout
            .lines()
            .filter(|l| l.starts_with(&format!("out/{stem}.lua:")))
        {
            let lua_line: usize = line
                .split(':')
                .nth(1)
                .and_then(|n| n.parse().ok())
                .expect("lua line");
            assert!(
                lua.lines()
                    .nth(lua_line - 1)
                    .is_some_and(|l| l.trim_start().starts_with("-- TODO(port):")),
                "{line} does not point at a marker"
            );
            let source_line: usize = line
                .rsplit(&format!("{name}:"))
                .next()
                .and_then(|n| n.trim_end_matches(')').parse().ok())
                .expect("source line");
            reported.insert(source_line);
        }
        assert_eq!(
            reported,
            expected_todo_lines(&source),
            "{name}:\n{out}\n{lua}"
        );
    }
    // The rest of the files is converted.
    let migration = work.read("out/20240201000000_outside_subset.lua");
    for converted in [
        "knex.schema:createTable(\"webhooks\", function(t)",
        "knex(\"webhooks\"):insert({ url = url }):run()",
        "knex(\"webhooks\"):where(\"url\", \"like\", \"https:%\"):update({ url = knex.raw(\"lower(url)\") }):run()",
        "knex.schema:dropTable(\"webhooks\")",
    ] {
        assert!(migration.contains(converted), "missing {converted:?} in\n{migration}");
    }
    let seed = work.read("out/01_seed_outside_subset.lua");
    assert!(
        seed.contains("knex(\"webhooks\"):insert({ { url = \"https://c.example\" } }):run()"),
        "{seed}"
    );
}

/// Idioms whose Lua needs a bridge feature another issue adds (the `vectra`
/// library: `JSON.stringify` → `vectra.json.encode`): converted and checked
/// as text, not run.
#[test]
fn pending_idioms_convert_to_the_lua_the_guide_shows() {
    let work = Project::bare();
    let out = port(
        &work,
        &[
            &fixtures().join("pending").display().to_string(),
            "--out",
            "out",
        ],
    );
    out.ok();
    let json = work.read("out/json_value.lua");
    for expected in [
        "local vectra = require(\"vectra\")",
        "local rows = knex.raw(\"SELECT name FROM roles ORDER BY name\"):run().rows",
        "value = vectra.json.encode({ first = rows[1].name, total = #rows }),",
    ] {
        assert!(json.contains(expected), "missing {expected:?} in\n{json}");
    }
}

#[test]
fn files_are_never_overwritten_without_force_and_check_reports_drift() {
    let work = Project::bare();
    work.file(
        "knex/20240101000000_a.js",
        "exports.up = (knex) => knex.schema.createTable('a', (t) => { t.increments('id'); });\nexports.down = (knex) => knex.schema.dropTable('a');\n",
    );
    work.file(
        "knex/01_s.ts",
        "export async function seed(knex) { await knex('a').del(); }\n",
    );
    work.file(
        "vectra-db.toml",
        "[defaults]\nmigrations = \"db/migrations\"\nseeds = \"db/seeds\"\n",
    );

    // Nothing ported yet: `--check` fails and writes nothing.
    port(&work, &["knex", "--check"]).code(1).says(&["differs"]);
    assert!(!work.path("db").exists());

    // Migrations and seeds go to their configured directories.
    port(&work, &["knex"]).ok().says(&["Ported 2 files"]);
    let migration = work.read("db/migrations/20240101000000_a.lua");
    assert!(
        migration.contains("knex.schema:createTable(\"a\""),
        "{migration}"
    );
    assert!(work
        .read("db/seeds/01_s.lua")
        .contains("seed = function(knex)"));
    port(&work, &["knex", "--check"])
        .ok()
        .says(&["Checked 2 files"]);
    // Converting again to the same text is not an overwrite.
    port(&work, &["knex"]).ok().says(&["Unchanged"]);

    work.file(
        "db/migrations/20240101000000_a.lua",
        "-- edited by hand\nreturn {}\n",
    );
    port(&work, &["knex"])
        .code(1)
        .says(&["already exists", "--force"]);
    assert_eq!(
        work.read("db/migrations/20240101000000_a.lua"),
        "-- edited by hand\nreturn {}\n"
    );
    port(&work, &["knex", "--check"])
        .code(1)
        .says(&["20240101000000_a.lua"]);
    port(&work, &["knex", "--force"]).ok();
    assert_eq!(work.read("db/migrations/20240101000000_a.lua"), migration);

    // Only sources that still exist are checked.
    work.remove("knex/01_s.ts");
    work.file("db/seeds/01_s.lua", "return {}\n");
    port(&work, &["knex", "--check"])
        .ok()
        .says(&["Checked 1 file"]);
}

#[test]
fn bad_paths_and_syntax_errors_are_reported() {
    let work = Project::bare();
    port(&work, &["nope.ts", "--out", "out"])
        .code(2)
        .says(&["`nope.ts` does not exist"]);
    work.file("x.txt", "");
    port(&work, &["x.txt", "--out", "out"])
        .code(2)
        .says(&["not a JavaScript or TypeScript file"]);
    work.file("twice/a.js", "exports.up = async (knex) => {};\n");
    work.file("twice/a.ts", "export async function up(knex) {}\n");
    port(&work, &["twice", "--out", "out"])
        .code(1)
        .says(&["would both become the same `.lua` file"]);
    work.file(
        "bad.ts",
        "export async function up(knex) {\n  await knex(\n}\n",
    );
    port(&work, &["bad.ts", "--out", "out"])
        .code(1)
        .says(&["bad.ts:", "not valid JavaScript/TypeScript"]);
    assert!(!work.path("out/bad.lua").exists());
}

/// Module shapes, destructuring, `??` on the environment, `?.`, `=== undefined`,
/// TypeScript types and generics, and the `--json` document.
#[test]
fn idioms_convert_to_the_lua_the_guide_shows() {
    let work = Project::bare();
    work.file(
        "src/01_idioms.ts",
        r#"import * as C from "../constants";
import { tables as T } from "./constants.js";
import type { Knex } from "knex";

export const config = { transaction: false };

type Row = { id: number; tags?: string[] };

export const up = async (knex: Knex): Promise<void> => {
  const name = process.env.APP_NAME ?? "app";
  const { id, tags } = (await knex<Row>(T.users).first()) as Row;
  const first = tags?.length;
  for (const [a, b] of [[1, 2], [3, 4]]) {
    await knex("pairs").insert({ a, b, label: `${name}:${a}-${b}`, note: first === undefined ? null : "x" });
  }
  if (!id) {
    return;
  }
  await knex.schema.raw("SELECT 1");
};

module.exports.down = function (knex) {
  return knex("pairs").whereIn("a", [1, 3]).del();
};
"#,
    );
    let out = port(&work, &["--json", "src", "--out", "out"]);
    out.ok();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(doc["command"], "port");
    assert_eq!(doc["todos"], 0);
    assert_eq!(doc["files"][0]["status"], "written");
    let lua = work.read("out/01_idioms.lua");
    for expected in [
        "local C = require(\"constants\")",
        "local T = require(\"constants\").tables",
        "  config = { transaction = false },",
        "    local name = os.getenv(\"APP_NAME\") or \"app\"",
        "    local result = knex(T.users):first():run()",
        "    local id, tags = result.id, result.tags",
        "    local first = tags and #tags",
        "    for _, item2 in ipairs({ { 1, 2 }, { 3, 4 } }) do",
        "      local a, b = item2[1], item2[2]",
        "      knex(\"pairs\"):insert({ a = a, b = b, label = tostring(name) .. \":\" .. tostring(a) .. \"-\" .. tostring(b), note = (function() if first == nil then return knex.null else return \"x\" end end)() }):run()",
        "    if not id then\n      return\n    end",
        "    knex.schema:raw(\"SELECT 1\")",
        "  down = function(knex)\n    return knex(\"pairs\"):whereIn(\"a\", { 1, 3 }):del():run()\n  end,",
    ] {
        assert!(lua.contains(expected), "missing {expected:?} in\n{lua}");
    }
}
