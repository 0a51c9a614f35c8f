//! The `port` verb: resolves where files go and which constants apply from
//! the settings, runs [`crate::port::run`], and prints one line per file, one
//! `file:line` line per TODO left, and a summary. Conversion lives in `port/`.

use std::path::Path;

use serde_json::json;

use super::{Command, Done};
use crate::config::Settings;
use crate::output::{self, Reporter};
use crate::port::{self, PortOptions, Status};
use crate::runner::RunnerError;

pub(super) fn run(
    settings: &Settings,
    command: &Command,
    reporter: &mut Reporter,
) -> Result<Done, RunnerError> {
    let Command::Port {
        paths,
        out,
        constants,
        force,
        check,
    } = command
    else {
        return Err(RunnerError::Usage("`port` called with another verb".into()));
    };
    let cwd_join = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().map_or_else(|_| p.to_path_buf(), |d| d.join(p))
        }
    };
    let options = PortOptions {
        out: out.as_deref().map(cwd_join),
        migrations_dir: settings.migrations.first().cloned(),
        seeds_dir: settings.seeds.first().cloned(),
        // The project's own constants unless told otherwise, so ported files pass `lint`.
        constants: constants
            .as_deref()
            .map(cwd_join)
            .or_else(|| crate::lint::constants_in(&settings.lua_path)),
        force: *force,
        check: *check,
    };
    let report = port::run(paths, &options).map_err(RunnerError::Usage)?;
    let shown = |p: &Path| crate::lua::display_path(p, &settings.root);
    for file in &report.files {
        let source = shown(&file.source);
        let target = file.target.as_deref().map(shown).unwrap_or_default();
        match file.status {
            Status::Written => reporter.line(&format!("Ported {source} -> {target}")),
            Status::Unchanged => reporter.line(&format!("Unchanged {target} (from {source})")),
            Status::WouldChange => output::error(&format!(
                "`{target}` is missing or differs from what `{source}` converts to; run `vectra-db port {source} --force`"
            )),
            Status::Refused => output::error(&format!(
                "`{target}` already exists; not overwritten (use `--force`)"
            )),
            Status::Failed => output::error(file.error.as_deref().unwrap_or("failed")),
        }
        for todo in file.todos.iter().filter(|_| !*check) {
            reporter.line(&format!(
                "{target}:{}: TODO(port): {} (from {source}:{})",
                todo.line, todo.reason, todo.source_line
            ));
        }
    }
    let todos = if *check { 0 } else { report.todo_count() };
    let n = report.files.len();
    let files = if n == 1 {
        "1 file".to_string()
    } else {
        format!("{n} files")
    };
    let summary = match (todos, *check) {
        (0, true) => format!("Checked {files}"),
        (0, false) => format!("Ported {files}"),
        (1, _) => format!("Ported {files}; 1 TODO(port) left to convert by hand"),
        (t, _) => format!("Ported {files}; {t} TODO(port) left to convert by hand"),
    };
    let code = report.exit_code(*check);
    if code == 0 {
        reporter.summary(&summary);
    } else {
        output::error(&summary);
    }
    Ok(Done {
        json: json!({ "files": report.files, "todos": todos, "summary": summary }),
        code,
    })
}
