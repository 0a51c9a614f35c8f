//! `--json`: one JSON document on stdout, parsed here field by field (the
//! shapes are documented in `docs/json-output.md`).
mod common;

use common::project::{create_table, Output, Project};
use common::TestDb;
use serde_json::Value;

/// stdout must be exactly one JSON document.
#[track_caller]
fn doc(out: &Output) -> Value {
    out.no_panic();
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document: {e}; {out}"))
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("an array")
        .iter()
        .map(|m| {
            m.get("name")
                .and_then(Value::as_str)
                .or_else(|| m.as_str())
                .expect("a name")
                .to_string()
        })
        .collect()
}

#[test]
fn latest_json_reports_batch_and_migrations() {
    let db = TestDb::new("json_latest");
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .table_migration("002_b", "b");

    let out = p.run(&["--json", "migrate:latest"]);
    out.ok();
    let d = doc(&out);
    assert_eq!(d["ok"], Value::Bool(true), "{d}");
    assert_eq!(d["exit_code"], 0);
    assert_eq!(d["command"], "migrate:latest");
    assert_eq!(d["direction"], "up");
    assert_eq!(d["batch"], 1);
    assert_eq!(d["dry_run"], false);
    assert_eq!(d["summary"], "Batch 1 run: 2 migrations");
    assert_eq!(names(&d["migrations"]), vec!["001_a.lua", "002_b.lua"]);
    for m in d["migrations"].as_array().unwrap() {
        let ms = m["duration_ms"].as_f64().expect("duration_ms is a number");
        assert!(ms >= 0.0, "{m}");
    }
    assert!(db.table_exists("b"));

    let again = doc(p.run(&["--json", "migrate:latest"]).ok());
    assert_eq!(again["ok"], true);
    assert_eq!(again["batch"], 1, "nothing ran: the current batch");
    assert_eq!(again["migrations"], serde_json::json!([]));
    assert_eq!(again["summary"], "Already up to date");

    let back = doc(p.run(&["--json", "migrate:rollback"]).ok());
    assert_eq!(back["direction"], "down");
    assert_eq!(back["batch"], 1);
    assert_eq!(names(&back["migrations"]), vec!["002_b.lua", "001_a.lua"]);
}

#[test]
fn status_json_reports_applied_pending_and_up_to_date() {
    let db = TestDb::new("json_status");
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .table_migration("002_b", "b");

    let d = doc(p.run(&["--json", "migrate:status"]).ok());
    assert_eq!(d["ok"], true);
    assert_eq!(d["command"], "migrate:status");
    assert_eq!(d["applied"], serde_json::json!([]));
    assert_eq!(d["pending"], serde_json::json!(["001_a.lua", "002_b.lua"]));
    assert_eq!(d["up_to_date"], false);

    p.run(&["migrate:up"]).ok();
    let d = doc(p.run(&["--json", "migrate:status"]).ok());
    let applied = d["applied"].as_array().unwrap();
    assert_eq!(applied.len(), 1);
    let a = &applied[0];
    assert_eq!(a["name"], "001_a.lua");
    assert_eq!(a["batch"], 1);
    assert_eq!(a["state"], "ok");
    assert_eq!(a["file"], "migrations/001_a.lua");
    assert_eq!(a["checksum"].as_str().map(str::len), Some(64));
    assert!(a["id"].is_i64(), "{a}");
    let time = a["migration_time"].as_str().expect("migration_time");
    assert!(time.ends_with('Z') && time.contains('T'), "{time}");
    assert_eq!(d["pending"], serde_json::json!(["002_b.lua"]));
    assert_eq!(d["up_to_date"], false);

    // --check with pending: exit 3, in the document too.
    let out = p.run(&["--json", "migrate:status", "--check"]);
    out.code(3);
    let d = doc(&out);
    assert_eq!(d["exit_code"], 3);
    assert_eq!(d["up_to_date"], false);

    p.run(&["migrate:latest"]).ok();
    let d = doc(p.run(&["--json", "migrate:status", "--check"]).ok());
    assert_eq!(d["up_to_date"], true);
    assert_eq!(d["pending"], serde_json::json!([]));
    assert_eq!(d["exit_code"], 0);

    // Drift shows as a state and in `drifted`.
    p.migration("002_b", &format!("{}-- edited\n", create_table("b")));
    p.remove("migrations/001_a.lua");
    let out = p.run(&["--json", "migrate:status", "--check"]);
    out.code(3);
    let d = doc(&out);
    let states: Vec<(String, String)> = d["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("001_a.lua".to_string(), "missing".to_string()),
            ("002_b.lua".to_string(), "drifted".to_string())
        ]
    );
    assert_eq!(d["drifted"], serde_json::json!(["002_b.lua"]));
    assert_eq!(d["missing"], serde_json::json!(["001_a.lua"]));
    assert_eq!(d["applied"][0]["file"], Value::Null);
}

#[test]
fn a_failure_is_a_json_document_too() {
    let db = TestDb::new("json_fail");
    let p = Project::new(&db);
    p.table_migration("001_a", "a").migration(
        "002_bad",
        "return {\n  up = function(knex)\n    error(\"boom\")\n  end,\n}\n",
    );
    let out = p.run(&["--json", "migrate:latest"]);
    out.code(1);
    let d = doc(&out);
    assert_eq!(d["ok"], false);
    assert_eq!(d["exit_code"], 1);
    assert_eq!(d["command"], "migrate:latest");
    let error = d["error"].as_str().expect("error text");
    assert!(
        error.contains("migrations/002_bad.lua:3") && error.contains("boom"),
        "{error}"
    );

    let out = p.run(&["--json", "migrate:up", "nope"]);
    out.code(2);
    let d = doc(&out);
    assert_eq!(d["ok"], false);
    assert_eq!(d["exit_code"], 2);

    // A configuration error (before any connection) also answers in JSON.
    let out = p.run(&["--json", "--env", "nope", "migrate:latest"]);
    out.code(2);
    assert_eq!(doc(&out)["exit_code"], 2);
}

#[test]
fn dry_run_and_verbose_keep_stdout_a_single_document() {
    let db = TestDb::new("json_dry");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    let out = p.run(&["--json", "migrate:latest", "--dry-run"]);
    out.ok();
    let d = doc(&out);
    assert_eq!(d["dry_run"], true);
    assert_eq!(names(&d["migrations"]), vec!["001_a.lua"]);
    assert!(
        out.stderr.contains("create table a"),
        "the SQL goes to stderr; {out}"
    );
    assert!(!db.table_exists("a"));

    let out = p.run(&["--json", "-v", "migrate:latest"]);
    out.ok();
    assert_eq!(doc(&out)["batch"], 1);
}

#[test]
fn other_verbs_answer_in_json() {
    let db = TestDb::new("json_other");
    let p = Project::new(&db);
    p.table_migration("20240101000000_a", "a");
    p.run(&["migrate:latest"]).ok();
    let d = doc(p.run(&["--json", "migrate:currentVersion"]).ok());
    assert_eq!(d["current_version"], "20240101000000");
    let d = doc(p.run(&["--json", "migrate:unlock"]).ok());
    assert_eq!(d["unlocked"], true);
    let d = doc(p.run(&["--json", "migrate:make", "next_one"]).ok());
    let path = d["path"].as_str().expect("path");
    assert!(
        path.ends_with("_next_one.lua") && std::path::Path::new(path).is_file(),
        "{path}"
    );
}
