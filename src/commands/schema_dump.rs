//! `schema:dump [--out DIR] [--check]`, and the regeneration the migrate verbs
//! and `db:setup` do when `[schemas] auto = true`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::{connect, Done, Global};
use crate::catalog::Ledger;
use crate::config::Settings;
use crate::output::{self, Reporter};
use crate::runner::{Observer, RunnerError};
use crate::schema_dump::{self, DumpError, Files, Sources};

/// Exit code of `--check` when the files are out of date (SPEC §3).
const OUT_OF_DATE: u8 = 3;

fn generate(settings: &Settings, global: &Global) -> Result<Files, RunnerError> {
    // The catalog queries are not the user's statements: `-v` does not list them.
    let quiet = Global {
        verbose: false,
        ..global.clone()
    };
    let db = connect(settings, &quiet, false)?;
    let sources = Sources {
        ledger: Ledger {
            schema: &settings.ledger_schema,
            table: &settings.ledger_table,
        },
        lua_path: &settings.lua_path,
        root: &settings.root,
        mapping: settings.schemas.mapping,
    };
    let files = schema_dump::generate(&mut db.borrow_mut(), &sources);
    files.map_err(|e| match e {
        DumpError::Db(e) => RunnerError::Db(e),
        DumpError::Input(m) => RunnerError::Io(format!("schema:dump: {m}")),
    })
}

/// `dir` as the user should read it: relative to the working directory when inside it.
fn shown(dir: &Path, cwd: &Path) -> String {
    dir.strip_prefix(cwd)
        .map(|p| p.display().to_string())
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| dir.display().to_string())
}

pub fn run(
    settings: &Settings,
    global: &Global,
    out: Option<&Path>,
    check: bool,
    cwd: &Path,
    reporter: &mut Reporter,
) -> Result<Done, RunnerError> {
    let dir: PathBuf = match out {
        Some(dir) => cwd.join(dir),
        None => settings.schemas.dir.clone(),
    };
    let name = shown(&dir, cwd);
    let files = generate(settings, global)?;
    if check {
        let status = files.compare(&dir);
        let diff = files.diff(&dir, &name);
        let stale: Vec<&str> = status
            .iter()
            .filter(|s| s.changed)
            .map(|s| s.file)
            .collect();
        if stale.is_empty() {
            reporter.summary(&format!("{name}/ is up to date"));
        } else {
            if !global.json && !global.quiet {
                // The diff is the result: stdout, and a closed pipe is no panic.
                let mut stdout = std::io::stdout().lock();
                let _ = stdout
                    .write_all(diff.as_bytes())
                    .and_then(|()| stdout.flush());
            }
            output::error(&format!(
                "{name}/ is out of date ({}): run `vectra-db schema:dump` and commit the result",
                stale.join(", ")
            ));
        }
        return Ok(Done {
            json: json!({
                "dir": dir,
                "check": true,
                "up_to_date": stale.is_empty(),
                "files": status,
                "diff": diff,
            }),
            code: if stale.is_empty() { 0 } else { OUT_OF_DATE },
        });
    }
    let status = files.write(&dir).map_err(RunnerError::Io)?;
    for s in &status {
        let verb = if s.changed { "Wrote" } else { "Unchanged" };
        reporter.line(&format!("{verb} {name}/{}", s.file));
    }
    let written = status.iter().filter(|s| s.changed).count();
    reporter.summary(&match written {
        0 => format!("{name}/ is up to date"),
        n => format!("Wrote {n} of {} files to {name}/", status.len()),
    });
    Ok(Done::ok(json!({
        "dir": dir,
        "check": false,
        "files": status,
    })))
}

/// After a migrate verb or `db:setup` succeeded: regenerate the files when
/// `[schemas] auto = true`, except in a `protected` environment (a deploy
/// must not write into its checkout; CI runs `--check` instead). The migrations are committed by then, so a
/// failure here is a warning (the verb still succeeded), and `done`'s JSON
/// gets a `schemas` entry either way.
pub fn auto(settings: &Settings, global: &Global, reporter: &mut Reporter, done: &mut Done) {
    if !settings.schemas.auto || settings.protected {
        return;
    }
    let dir = &settings.schemas.dir;
    let name = shown(dir, &settings.root);
    let result = generate(settings, global).and_then(|f| f.write(dir).map_err(RunnerError::Io));
    let entry = match result {
        Ok(status) => {
            let written = status.iter().filter(|s| s.changed).count();
            if written > 0 {
                reporter.line(&format!(
                    "Regenerated {name}/ ({written} of {} files changed)",
                    status.len()
                ));
            }
            json!({ "dir": dir, "files": status })
        }
        Err(e) => {
            reporter.warning(&format!(
                "the migrations ran, but {name}/ could not be regenerated: {e}\n  run `vectra-db schema:dump` once the problem is fixed"
            ));
            json!({ "dir": dir, "error": e.to_string() })
        }
    };
    if let Some(obj) = done.json.as_object_mut() {
        obj.insert("schemas".into(), entry);
    }
}
