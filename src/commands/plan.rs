//! `migrate:plan`: runs the pending migrations in a transaction that is
//! rolled back and prints, per statement, the locks it took, whether it
//! rewrote a table, what it blocks and the table's size, then warnings with
//! the safer forms.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use super::{connect, plural, Done, Global};
use crate::config::{Overrides, Settings};
use crate::db::{ConnectTarget, Db};
use crate::output::Reporter;
use crate::runner::plan::{self, human_size, PlannedMigration, PlannedStatement, Warning};
use crate::runner::{Direction, Migrator, Observer, RunnerError};

/// The longest statement text shown in the table (`--json` has it whole).
const SHORT_STATEMENT: usize = 60;

/// Passes on what the operator must see (lock waits, warnings), not the
/// per-file "up" lines: nothing is applied.
struct PlanObserver<'a>(&'a mut Reporter);

impl Observer for PlanObserver<'_> {
    fn waiting_for_lock(&mut self, holder: Option<&str>, timeout: Duration) {
        self.0.waiting_for_lock(holder, timeout);
    }
    fn got_lock_after(&mut self, waited: Duration) {
        self.0.got_lock_after(waited);
    }
    fn starting(&mut self, _: Direction, _: usize) {}
    fn file_done(&mut self, _: Direction, _: &str, _: Duration) {}
    fn warning(&mut self, message: &str) {
        self.0.warning(message);
    }
}

pub(super) fn run(
    settings: &Settings,
    global: &Global,
    cwd: &Path,
    sizes_from: Option<&str>,
    warn_size: i64,
    reporter: &mut Reporter,
) -> Result<Done, RunnerError> {
    let db = connect(settings, global, false)?;
    let mut planned = Migrator::new(settings, db, &mut PlanObserver(reporter)).plan_pending()?;
    if let Some(environment) = sizes_from {
        read_sizes(global, cwd, environment, &mut planned)?;
    }
    let warnings = plan::warnings(&planned, warn_size);
    let statements: usize = planned.iter().map(|m| m.statements.len()).sum();
    let summary = if planned.is_empty() {
        "No pending migrations to plan".to_string()
    } else {
        format!(
            "Planned {} ({}) in a transaction that was rolled back: nothing was applied; {}",
            plural(planned.len(), "migration"),
            plural(statements, "statement"),
            plural(warnings.len(), "warning")
        )
    };
    for m in &planned {
        print_migration(reporter, m);
    }
    print_warnings(reporter, &warnings);
    reporter.summary(&summary);
    Ok(Done::ok(json!({
        "migrations": planned,
        "warnings": warnings,
        "warn_size_bytes": warn_size,
        "sizes_from": sizes_from,
        "summary": summary,
    })))
}

/// Reads the affected tables' sizes from another environment's catalog.
fn read_sizes(
    global: &Global,
    cwd: &Path,
    environment: &str,
    planned: &mut [PlannedMigration],
) -> Result<(), RunnerError> {
    // Its own connection from the config file: `--database-url` names this
    // environment's database, not that one.
    let overrides = Overrides {
        config: global.overrides.config.clone(),
        env: Some(environment.to_string()),
        database_url: None,
    };
    let other = Settings::resolve(&overrides, cwd)
        .map_err(|e| RunnerError::Config(format!("--sizes-from `{environment}`: {}", e.0)))?;
    let target = ConnectTarget::parse(&other.connection).map_err(RunnerError::Config)?;
    let client = target.connect(&super::connect_options(&other))?;
    let mut db = Db::new(client);
    plan::sizes_from(&mut db, environment, planned)?;
    Ok(())
}

/// The first line of `sql`, whitespace collapsed, at most [`SHORT_STATEMENT`] characters.
fn short(sql: &str) -> String {
    let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= SHORT_STATEMENT {
        return flat;
    }
    let cut: String = flat.chars().take(SHORT_STATEMENT - 1).collect();
    format!("{cut}…")
}

fn size_text(lock: &plan::TakenLock) -> String {
    match &lock.size {
        None => "new".to_string(),
        Some(size) => {
            let bytes = size
                .bytes
                .map(human_size)
                .unwrap_or_else(|| "absent".into());
            let rows = size
                .rows
                .map(|r| format!(", ~{r} rows"))
                .unwrap_or_default();
            if size.from == "this database" {
                format!("{bytes}{rows}")
            } else {
                format!("{bytes}{rows} ({})", size.from)
            }
        }
    }
}

/// The table's lines for one statement: the first carries the statement, one
/// more per further lock.
fn statement_rows(s: &PlannedStatement) -> Vec<[String; 7]> {
    let at = s.at.clone().unwrap_or_else(|| "?".into());
    let rewrite = match (s.rewrites.is_empty(), s.rewritten_indexes.is_empty()) {
        (true, true) => "no".to_string(),
        (false, _) => format!("yes: {}", s.rewrites.join(", ")),
        (true, false) => format!("indexes: {}", s.rewritten_indexes.join(", ")),
    };
    let head = [at, short(&s.sql)];
    if s.locks.is_empty() {
        let [at, sql] = head;
        return vec![[
            at,
            sql,
            "none".into(),
            String::new(),
            rewrite,
            "-".into(),
            String::new(),
        ]];
    }
    s.locks
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (at, sql, rewrite) = if i == 0 {
                (head[0].clone(), head[1].clone(), rewrite.clone())
            } else {
                (String::new(), String::new(), String::new())
            };
            let blocks = if l.new {
                "- (new)"
            } else {
                l.blocks.describe()
            };
            [
                at,
                sql,
                format!("{} {}", l.relation, l.mode),
                l.source.name().to_string(),
                rewrite,
                blocks.to_string(),
                size_text(l),
            ]
        })
        .collect()
}

fn print_migration(reporter: &Reporter, m: &PlannedMigration) {
    reporter.line("");
    reporter.line(&m.name);
    if let Some(reason) = &m.skipped {
        reporter.line(&format!("  {reason}"));
        return;
    }
    if m.statements.is_empty() {
        reporter.line("  (no statements)");
        return;
    }
    let header = [
        "at",
        "statement",
        "lock",
        "figure",
        "rewrite",
        "blocks",
        "size",
    ]
    .map(String::from);
    let mut rows = vec![header];
    rows.extend(m.statements.iter().flat_map(statement_rows));
    let mut widths = [0usize; 7];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        reporter.line(format!("  {}", cells.join("  ")).trim_end());
    }
}

fn print_warnings(reporter: &Reporter, warnings: &[Warning]) {
    if warnings.is_empty() {
        return;
    }
    reporter.line("");
    reporter.line(&format!("Warnings ({}):", warnings.len()));
    for w in warnings {
        let at = w.at.as_deref().unwrap_or(&w.migration);
        reporter.line(&format!("  {at}: {}", w.message));
        reporter.line(&format!("    safer: {}", w.safer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_statements_are_cut_on_one_line() {
        assert_eq!(
            short("create  table\n  \"t\" (\"id\" int)"),
            "create table \"t\" (\"id\" int)"
        );
        let long = format!("insert into \"t\" values {}", "(1), ".repeat(40));
        let s = short(&long);
        assert_eq!(s.chars().count(), SHORT_STATEMENT);
        assert!(s.ends_with('…'));
    }
}
