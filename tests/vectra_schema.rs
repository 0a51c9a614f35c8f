//! The Vectra database itself (issue 5): the repository's migrations and seeds
//! build, rebuild and fully undo the schema; templates and the porting guide's
//! examples are real, runnable files.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::project::{run_command, Output};
use common::TestDb;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary in `dir` against `url`, with a clean environment for the
/// variables the seeds read.
fn run_in(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vectra-db"));
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("VECTRA_ENV")
        .env_remove("NODE_ENV")
        .env_remove("VECTRA_ADMIN_EMAIL")
        .env_remove("VECTRA_ADMIN_PASSWORD_HASH")
        .arg("--database-url")
        .arg(url)
        .args(args);
    run_command(cmd)
}

/// Objects of ours: every relation, sequence and type outside the ledger.
fn our_objects(db: &TestDb) -> Vec<String> {
    db.strings(
        "select c.relkind::text || ' ' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where n.nspname = 'public' and c.relname not like 'knex_migrations%' \
         union all select 'type ' || t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace \
         where n.nspname = 'public' and t.typtype in ('e', 'c', 'd') and t.typrelid = 0 \
         order by 1",
    )
}

fn dump(db: &TestDb) -> String {
    let out = Command::new("pg_dump")
        .args(["--schema-only", "--no-owner", "-d", &db.name])
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pg_dump 15.14+ wraps the dump in `\restrict KEY` lines with a random key.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lines of `a` and `b` that differ, for a short failure message.
fn changed_lines(a: &str, b: &str) -> Vec<String> {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    a.iter()
        .filter(|l| !b.contains(l))
        .map(|l| format!("- {l}"))
        .chain(
            b.iter()
                .filter(|l| !a.contains(l))
                .map(|l| format!("+ {l}")),
        )
        .collect()
}

#[test]
fn db_setup_builds_the_schema_and_data_then_changes_nothing_then_reset_rebuilds() {
    let db = TestDb::new("vectra_setup");
    // Start from a server without the database.
    common::admin_client()
        .batch_execute(&format!("drop database \"{}\"", db.name))
        .expect("drop");
    run_in(&repo(), &db.url, &["db:setup"]).ok().says(&[
        "Created database",
        "Batch 1 run: 6 migrations",
        "Ran 3 seed files",
    ]);
    for table in [
        "users",
        "roles",
        "user_roles",
        "settings",
        "refresh_tokens",
        "api_keys",
        "audit_log",
    ] {
        assert!(db.table_exists(table), "{table} missing");
    }
    assert_eq!(
        db.strings("select name from roles order by name"),
        vec!["admin", "editor", "viewer"]
    );
    let settings = db.strings("select count(*) from settings")[0]
        .parse::<i64>()
        .unwrap_or(0);
    assert!(settings > 0);
    let schema = dump(&db);
    let data = db.strings("select r::text from roles r order by id");

    run_in(&repo(), &db.url, &["db:setup"])
        .ok()
        .says(&["already exists", "Already up to date"]);
    assert_eq!(
        changed_lines(&schema, &dump(&db)),
        Vec::<String>::new(),
        "a second db:setup changed the schema"
    );
    assert_eq!(
        db.strings("select r::text from roles r order by id"),
        data,
        "a second db:setup changed the data"
    );

    // Another connection stays open while the database is dropped and rebuilt.
    let _held = db.client();
    run_in(&repo(), &db.url, &["db:reset", "--force"])
        .ok()
        .says(&["Dropped database", "Batch 1 run: 6 migrations"]);
    assert_eq!(
        changed_lines(&schema, &dump(&db)),
        Vec::<String>::new(),
        "db:reset built another schema"
    );
}

#[test]
fn rollback_all_returns_the_database_to_empty() {
    let db = TestDb::new("vectra_rollback");
    run_in(&repo(), &db.url, &["migrate:latest"]).ok();
    assert!(!our_objects(&db).is_empty());
    run_in(&repo(), &db.url, &["migrate:rollback", "--all"])
        .ok()
        .says(&["rolled back: 6 migrations"]);
    assert_eq!(our_objects(&db), Vec::<String>::new(), "left behind");
}

#[test]
fn every_repository_migration_passes_verify() {
    let db = TestDb::new("vectra_verify");
    run_in(&repo(), &db.url, &["migrate:verify"])
        .ok()
        .says(&["Verified 6 migrations"]);
}

/// Copies the project files a user would have into a temp dir.
fn copy_project(to: &Path) {
    for entry in walkdir::WalkDir::new(repo()).min_depth(1) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(repo()).expect("relative");
        let top = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().to_string());
        if !matches!(
            top.as_deref(),
            Some("lua" | "migrations" | "seeds" | "vectra-db.toml")
        ) {
            continue;
        }
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

#[test]
fn made_files_pass_lint_once_their_purpose_is_written_and_run() {
    let db = TestDb::new("vectra_make");
    let dir = tempfile::tempdir().expect("tempdir");
    copy_project(dir.path());
    let made = run_in(
        dir.path(),
        &db.url,
        &["--json", "migrate:make", "add_widgets"],
    );
    made.ok();
    let migration = serde_json::from_str::<serde_json::Value>(&made.stdout).expect("json")["path"]
        .as_str()
        .expect("path")
        .to_string();
    let made = run_in(dir.path(), &db.url, &["--json", "seed:make", "widgets"]);
    made.ok();
    let seed = serde_json::from_str::<serde_json::Value>(&made.stdout).expect("json")["path"]
        .as_str()
        .expect("path")
        .to_string();

    // Unfilled: the lint flags both purpose comments.
    run_in(dir.path(), &db.url, &["lint"]).code(1).says(&[
        "unfilled-purpose",
        "add_widgets",
        "widgets.lua",
    ]);

    // Fill the purpose line (the template's first `-- Purpose:` line).
    for (path, purpose) in [
        (&migration, "widgets shown on the dashboard"),
        (&seed, "demo widgets for local development"),
    ] {
        let text = std::fs::read_to_string(path).expect("read made file");
        let filled: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("-- Purpose:") && l.contains("TODO") {
                    format!("-- Purpose: {purpose}.")
                } else {
                    l.to_string()
                }
            })
            .collect();
        std::fs::write(path, filled.join("\n") + "\n").expect("write");
    }
    run_in(dir.path(), &db.url, &["lint"])
        .ok()
        .says(&["No problems found"]);
    run_in(dir.path(), &db.url, &["db:setup"])
        .ok()
        .says(&["Batch 1 run: 7 migrations", "Ran 4 seed files"]);
    run_in(dir.path(), &db.url, &["migrate:rollback"]).ok();
}

#[test]
fn the_porting_guide_examples_run() {
    let db = TestDb::new("vectra_examples");
    let examples = repo().join("docs/examples");
    run_in(&examples, &db.url, &["lint"]).ok();
    run_in(&examples, &db.url, &["db:setup"])
        .ok()
        .says(&["Batch 1 run: 1 migration", "Ran 1 seed file"]);
    // The seed can run again: it upserts the project and replaces its tasks,
    // so the same content comes back (ids and timestamps are new).
    let content = "select p.slug || ' ' || t.title || ' ' || t.done || ' ' || t.position \
                   from tasks t join projects p on p.id = t.project_id order by t.position";
    let before = db.strings(content);
    assert_eq!(before.len(), 3);
    run_in(&examples, &db.url, &["seed:run"]).ok();
    assert_eq!(db.strings(content), before);
    assert_eq!(db.strings("select count(*) from projects"), vec!["1"]);
    run_in(&examples, &db.url, &["migrate:rollback", "--all"]).ok();
}
