//! `vectra-db lint` through the binary: the repository passes, the fixtures fail
//! with the right messages (issue 5, item 2).
mod common;

use std::process::Command;

fn lint(dir: &str, json: bool) -> common::project::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vectra-db"));
    cmd.current_dir(dir).env("NO_COLOR", "1");
    if json {
        cmd.arg("--json");
    }
    cmd.arg("lint");
    common::project::run_command(cmd)
}

#[test]
fn the_repository_passes_lint() {
    lint(env!("CARGO_MANIFEST_DIR"), false)
        .ok()
        .says(&["No problems found"]);
}

#[test]
fn the_fixtures_fail_with_one_message_per_problem() {
    let dir = format!("{}/tests/fixtures/lint", env!("CARGO_MANIFEST_DIR"));
    let out = lint(&dir, false);
    out.code(1).says(&[
        "migrations/20240101000100_literal_table.lua:8:29: literal-table-name: use `C.tables.users` instead of \"users\"",
        "migrations/20240101000200_literal_column.lua:10:9: literal-column-name: use `C.columns.users.email` instead of \"email\"",
        "migrations/20240101000300_no_purpose.lua:1:1: missing-purpose",
        "migrations/20240101000400_no_down.lua:7:1: missing-down",
        "seeds/03_unfilled_purpose.lua:1:1: unfilled-purpose",
        "Found 8 problems",
    ]);
    // Paths are shown relative to the project.
    assert!(!out.stdout.contains(&dir), "{out}");

    let out = lint(&dir, true);
    out.code(1);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    let findings = doc["findings"].as_array().expect("findings array");
    assert_eq!(findings.len(), 8);
    assert!(findings.iter().any(|f| f["rule"] == "missing-down"
        && f["file"] == "migrations/20240101000400_no_down.lua"
        && f["line"] == 7));
}
