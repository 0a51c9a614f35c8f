//! What the binary prints: `--help` for the binary and every verb, `--dry-run`
//! (the SQL, and nothing written), `-q`, and colour rules (`NO_COLOR`,
//! `--no-color`, non-terminal output).
mod common;

use common::project::{create_table, Project};
use common::TestDb;

const VERBS: &[&str] = &[
    "migrate:make",
    "migrate:latest",
    "migrate:rollback",
    "migrate:up",
    "migrate:down",
    "migrate:to",
    "migrate:list",
    "migrate:status",
    "migrate:currentVersion",
    "migrate:unlock",
    "seed:make",
    "seed:run",
    "db:setup",
    "db:reset",
];

const GLOBAL_FLAGS: &[&str] = &[
    "--env",
    "--config",
    "--database-url",
    "--verbose",
    "-v",
    "--quiet",
    "-q",
    "--json",
    "--no-color",
    "--help",
    "--version",
];

#[test]
fn help_lists_every_verb_and_global_flag() {
    let p = Project::bare();
    for args in [vec!["--help"], vec!["help"]] {
        let out = p.run(&args);
        out.ok();
        for verb in VERBS {
            assert!(out.stdout.contains(verb), "--help lacks {verb}; {out}");
        }
        for flag in GLOBAL_FLAGS {
            assert!(out.stdout.contains(flag), "--help lacks {flag}; {out}");
        }
    }
    // No verb at all: usage on stderr, exit 2.
    let out = p.run(&[]);
    out.code(2).says(&["Usage"]);
}

#[test]
fn help_lists_migrate_verify() {
    let out = Project::bare().run(&["--help"]);
    out.ok().says(&["migrate:verify"]);
}

#[test]
fn help_of_each_verb_mentions_its_arguments_and_flags() {
    let p = Project::bare();
    let expected: &[(&str, &[&str])] = &[
        ("migrate:make", &["NAME", "--stub"]),
        ("migrate:latest", &["--dry-run", "--ignore-missing"]),
        (
            "migrate:rollback",
            &["--all", "--dry-run", "--ignore-missing"],
        ),
        ("migrate:up", &["[NAME]", "--dry-run"]),
        ("migrate:down", &["[NAME]", "--dry-run"]),
        ("migrate:to", &["<NAME>", "--dry-run"]),
        ("migrate:list", &["--check"]),
        ("migrate:status", &["--check"]),
        ("migrate:currentVersion", &[]),
        ("migrate:unlock", &[]),
        (
            "seed:make",
            &["NAME", "--stub", "--timestamp-filename-prefix"],
        ),
        ("seed:run", &["--specific", "--dry-run"]),
        ("db:setup", &[]),
        ("db:reset", &["--force"]),
    ];
    assert_eq!(expected.len(), VERBS.len());
    for (verb, items) in expected {
        let out = p.run(&[verb, "--help"]);
        out.ok();
        // Global switches work after the verb too.
        for item in items
            .iter()
            .chain(["--env", "--database-url", "--json"].iter())
        {
            assert!(
                out.stdout.contains(item),
                "`{verb} --help` lacks {item}; {out}"
            );
        }
        // A one-line description of what the verb does.
        let first = out.stdout.lines().next().unwrap_or_default();
        assert!(
            first.len() > 10,
            "`{verb} --help` has no description; {out}"
        );
    }
}

#[test]
fn version_prints_the_crate_version() {
    Project::bare()
        .run(&["--version"])
        .ok()
        .says(&[env!("CARGO_PKG_VERSION")]);
}

fn dry_run_fixture(db: &TestDb) -> Project {
    let p = Project::new(db);
    p.table_migration("001_a", "a").migration(
        "002_fill",
        "return {\n  up = function(knex)\n    knex.raw(\"insert into a (id) values (?)\", { 7 }):run()\n  end,\n  down = function(knex)\n    knex.raw(\"delete from a where id = ?\", { 7 }):run()\n  end,\n}\n",
    );
    p
}

#[test]
fn dry_run_prints_the_sql_and_writes_nothing_not_even_the_ledger() {
    let db = TestDb::new("dry_fresh");
    let p = dry_run_fixture(&db);
    let out = p.run(&["migrate:latest", "--dry-run"]);
    out.ok().says(&[
        "create table a (id integer)",
        "insert into a (id) values ($1)",
        "7",
        "001_a.lua",
        "002_fill.lua",
        "Dry run",
    ]);
    assert!(!db.table_exists("a"), "the dry run created a table");
    assert!(
        !db.table_exists("knex_migrations"),
        "the dry run wrote the ledger table"
    );
    assert!(
        !db.table_exists("knex_migrations_lock"),
        "the dry run wrote the lock table"
    );
}

#[test]
fn dry_run_of_latest_and_rollback_on_an_existing_ledger_changes_nothing() {
    let db = TestDb::new("dry_existing");
    let p = dry_run_fixture(&db);
    p.run(&["migrate:up"]).ok();
    let before = db.strings("select id || name || batch || checksum from knex_migrations");

    let out = p.run(&["migrate:latest", "--dry-run"]);
    out.ok()
        .says(&["insert into a (id) values ($1)", "Dry run"]);
    assert_eq!(db.strings("select count(*) from a"), vec!["0"]);
    assert_eq!(
        db.strings("select id || name || batch || checksum from knex_migrations"),
        before
    );

    p.run(&["migrate:latest"]).ok();
    let before = db.strings("select id || name || batch || checksum from knex_migrations");
    let out = p.run(&["migrate:rollback", "--dry-run"]);
    out.ok().says(&["delete from a where id = $1", "Dry run"]);
    assert_eq!(db.strings("select count(*) from a"), vec!["1"]);
    assert_eq!(
        db.strings("select id || name || batch || checksum from knex_migrations"),
        before
    );
    assert_eq!(
        db.strings("select is_locked from knex_migrations_lock"),
        vec!["0"]
    );
}

#[test]
fn dry_run_refuses_a_migration_outside_transactions() {
    let db = TestDb::new("dry_notx");
    let p = Project::new(&db);
    p.table_migration("001_a", "a").migration(
        "002_idx",
        "return {\n  config = { transaction = false },\n  up = function(knex)\n    knex.schema:raw(\"create index concurrently a_idx on a (id)\")\n  end,\n}\n",
    );
    let out = p.run(&["migrate:latest", "--dry-run"]);
    assert!(out.code == 1 || out.code == 2, "{out}");
    out.no_panic()
        .says(&["002_idx.lua", "transaction", "dry-run"]);
    assert!(!db.table_exists("a"));
}

#[test]
fn quiet_prints_nothing_on_success_but_still_reports_errors() {
    let db = TestDb::new("quiet");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    for args in [
        vec!["-q", "migrate:latest"],
        vec!["migrate:status", "-q"],
        vec!["-q", "migrate:rollback"],
        vec!["--quiet", "migrate:latest"],
    ] {
        let out = p.run(&args);
        out.ok();
        assert_eq!(out.stdout, "", "{args:?}: {out}");
        assert_eq!(out.stderr, "", "{args:?}: {out}");
    }
    assert!(db.table_exists("a"));
    let out = p.run(&["-q", "migrate:up", "nope"]);
    out.code(2).says(&["Migration \"nope\" not found."]);
    assert_eq!(out.stdout, "");
}

#[test]
fn verbose_prints_every_statement() {
    let db = TestDb::new("verbose");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    p.run(&["-v", "migrate:latest"]).ok().says(&[
        "create table a (id integer)",
        "knex_migrations",
        "Batch 1 run",
    ]);
}

/// Output of a success and a failure (stdout and stderr) under `env` and `extra` args.
fn colour_sample(p: &Project, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut all = String::new();
    let mut with = |args: &[&str]| {
        let mut a: Vec<&str> = extra.to_vec();
        a.extend_from_slice(args);
        let out = p.run_env(&a, env);
        out.no_panic();
        all.push_str(&out.all());
    };
    with(&["migrate:latest"]);
    with(&["migrate:status"]);
    with(&["migrate:up", "nope"]);
    with(&["migrate:rollback"]);
    all
}

#[test]
fn no_escape_codes_without_a_terminal_or_with_no_color() {
    let db = TestDb::new("colour");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    p.migration("002_b", &create_table("b"));

    // Forcing colour shows the check below can see escape codes at all.
    let forced = colour_sample(&p, &[], &[("CLICOLOR_FORCE", "1")]);
    assert!(
        forced.contains("\x1b["),
        "forced colour printed none:\n{forced}"
    );

    for (extra, env, why) in [
        (vec![], vec![], "piped output"),
        (
            vec![],
            vec![("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
            "NO_COLOR",
        ),
        (
            vec!["--no-color"],
            vec![("CLICOLOR_FORCE", "1")],
            "--no-color",
        ),
    ] {
        let all = colour_sample(&p, &extra, &env);
        assert!(!all.contains("\x1b["), "escape codes with {why}:\n{all:?}");
    }
}

// Issue 12 item 4: `migrate:status` shows each row's checksum state, in
// colour on a terminal (drifted in red), and says what to run when pending.
#[test]
fn status_shows_the_checksum_state_per_row_in_colour_and_a_hint() {
    let db = TestDb::new("status_colour");
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .table_migration("002_b", "b");
    p.run(&["migrate:latest"]).ok();
    p.run(&["migrate:status"]).ok().says(&[
        "001_a.lua  batch 1",
        "checksum ok",
        "No Pending Migration",
    ]);
    p.migration("002_b", &format!("{}-- edited\n", create_table("b")));
    p.table_migration("003_c", "c");

    let out = p.run(&["migrate:status"]);
    out.ok().says(&[
        "checksum ok",
        "DRIFTED: file changed since it ran",
        "003_c.lua",
        "Run `vectra-db migrate:latest` to apply them.",
        "--allow-drift",
    ]);
    assert!(!out.all().contains("\x1b["), "colour without a terminal");

    let forced = p.run_env(&["migrate:status"], &[("CLICOLOR_FORCE", "1")]);
    let line = |needle: &str| {
        forced
            .stdout
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{}", forced.stdout))
            .to_string()
    };
    assert!(
        line("DRIFTED").contains("\x1b[31m"),
        "{:?}",
        line("DRIFTED")
    );
    assert!(
        line("checksum ok").contains("\x1b[32m"),
        "{:?}",
        line("checksum ok")
    );
    assert!(
        line("003_c.lua").contains("\x1b[33m"),
        "{:?}",
        line("003_c.lua")
    );
}

// Issue 12 item 4: `-v` shortens a long statement to a true prefix and says
// how many rows it carries; `-vv` prints it whole.
#[test]
fn verbose_shortens_long_statements_and_vv_prints_them_whole() {
    let db = TestDb::new("verbose_long");
    let p = Project::new(&db);
    p.migration(
        "001_rows",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"create table t (id integer, name text)\")\n    local rows = {}\n    for i = 1, 500 do rows[i] = { id = i, name = \"row \" .. i } end\n    knex(\"t\"):insert(rows):run()\n  end,\n  down = function(knex)\n    knex.schema:raw(\"drop table t\")\n  end,\n}\n",
    );
    let insert_line = |args: &[&str]| {
        let out = p.run(args);
        out.ok();
        out.stdout
            .lines()
            .find(|l| l.contains("insert into \"t\""))
            .unwrap_or_else(|| panic!("no insert in:\n{}", out.stdout))
            .to_string()
    };
    let line = insert_line(&["-v", "migrate:latest"]);
    assert!(line.len() < 800, "not shortened: {} characters", line.len());
    assert!(
        line.contains("insert into \"t\" (\"id\", \"name\") values ("),
        "{line}"
    );
    assert!(line.contains("500 rows, 1000 values"), "{line}");
    assert!(line.contains("-vv"), "{line}");
    assert!(line.contains("… 990 more"), "{line}");

    p.run(&["migrate:rollback"]).ok();
    let line = insert_line(&["-vv", "migrate:latest"]);
    assert!(
        line.contains("'row 500'") && !line.contains("-vv"),
        "{}",
        &line[..200]
    );
}
