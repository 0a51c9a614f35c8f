//! What the user sees: one line per file with its duration, a summary line,
//! warnings and errors on stderr, a progress bar on a terminal for long runs,
//! or a single JSON document with `--json`.
//!
//! Colour comes from `anstream`, which strips it when stdout is not a terminal,
//! when `NO_COLOR` is set, or with `--no-color`.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anstyle::{AnsiColor, Style};

use crate::runner::migrator::AppliedState;
use crate::runner::{Direction, Observer};
use crate::sql::Value;

const GREEN: Style = AnsiColor::Green.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const RED: Style = AnsiColor::Red.on_default().bold();
const DIM: Style = Style::new().dimmed();

/// Progress bars appear from this many files on.
const PROGRESS_FROM: usize = 20;

#[derive(Debug, Clone, Copy, Default)]
pub struct OutputMode {
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
}

/// Terminal (or silent, in JSON mode) reporting of a run.
pub struct Reporter {
    mode: OutputMode,
    progress: Option<indicatif::ProgressBar>,
}

impl Reporter {
    pub fn new(mode: OutputMode) -> Reporter {
        Reporter {
            mode,
            progress: None,
        }
    }

    fn human(&self) -> bool {
        !self.mode.json && !self.mode.quiet
    }

    /// A result line on stdout (suppressed by `-q` and `--json`).
    pub fn line(&self, text: &str) {
        if self.human() {
            self.print(|| {
                anstream::println!("{text}");
            });
        }
    }

    /// The final summary line, in green.
    pub fn summary(&self, text: &str) {
        if self.human() {
            self.print(|| anstream::println!("{GREEN}{text}{GREEN:#}"));
        }
    }

    /// One applied migration of `migrate:status`, with its checksum state
    /// (drifted and missing in red, so they stand out on a terminal).
    pub fn applied_row(&self, name: &str, batch: i64, time: &str, state: AppliedState) {
        let (style, text) = match state {
            AppliedState::Ok => (GREEN, "checksum ok"),
            AppliedState::Adopted => (DIM, "no checksum (recorded by Knex)"),
            AppliedState::Drifted => (RED, "DRIFTED: file changed since it ran"),
            AppliedState::Missing => (RED, "MISSING: no file"),
        };
        self.line(&format!(
            "{name}  batch {batch}  {time}  {style}{text}{style:#}"
        ));
    }

    /// One pending migration of `migrate:status`.
    pub fn pending_row(&self, name: &str) {
        self.line(&format!("{YELLOW}{name}{YELLOW:#}"));
    }

    fn print(&self, f: impl FnOnce()) {
        match &self.progress {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Reporter {
    fn waiting_for_lock(&mut self, holder: Option<&str>, timeout: Duration) {
        if !self.mode.quiet {
            let who = holder
                .map(|p| format!(" (backend pid {p})"))
                .unwrap_or_default();
            anstream::eprintln!(
                "{YELLOW}waiting for the migration lock held by another run{who}, up to {timeout:?}…{YELLOW:#}"
            );
        }
    }

    fn got_lock_after(&mut self, waited: Duration) {
        if !self.mode.quiet {
            anstream::eprintln!("waited {:.1}s for the migration lock", waited.as_secs_f64());
        }
    }

    fn starting(&mut self, _direction: Direction, total: usize) {
        if self.human() && total >= PROGRESS_FROM && std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed}")
            {
                bar.set_style(style);
            }
            self.progress = Some(bar);
        }
    }

    fn file_done(&mut self, direction: Direction, name: &str, took: Duration) {
        let verb = match direction {
            Direction::Up => "up  ",
            Direction::Down => "down",
            Direction::Seed => "seed",
        };
        let ms = took.as_secs_f64() * 1000.0;
        self.line(&format!(
            "{GREEN}{verb}{GREEN:#} {name} {DIM}({ms:.1} ms){DIM:#}"
        ));
        if let Some(bar) = &self.progress {
            bar.inc(1);
        }
    }

    fn warning(&mut self, message: &str) {
        if !self.mode.quiet {
            self.print(|| anstream::eprintln!("{YELLOW}warning:{YELLOW:#} {message}"));
        }
    }
}

/// Prints an error (the whole message, already carrying its causes) on stderr.
pub fn error(message: &str) {
    let _ = std::io::stdout().flush();
    anstream::eprintln!("{RED}error:{RED:#} {message}");
}

/// Prints one JSON document on stdout.
pub fn json(value: &serde_json::Value) {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".to_string());
    // Like anstream's macros used elsewhere: a closed pipe (`| head`) must not
    // panic; the exit code still reports the verb's outcome.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
}

/// Prints each statement sent (`-v`, `--dry-run`): on stdout, or on stderr
/// when stdout carries the JSON document.
pub struct StatementPrinter {
    pub to_stderr: bool,
}

impl crate::db::StatementLog for StatementPrinter {
    fn statement(&mut self, sql: &str, bindings: &[Value]) {
        let mut line = sql.to_string();
        if !bindings.is_empty() {
            let shown: Vec<String> = bindings
                .iter()
                .map(|b| match b.to_pg_text() {
                    None => "NULL".to_string(),
                    Some(t) if matches!(b, Value::Int(_) | Value::Float(_) | Value::Bool(_)) => t,
                    Some(t) => crate::sql::quote_literal(&t),
                })
                .collect();
            line.push_str(&format!("  {DIM}-- [{}]{DIM:#}", shown.join(", ")));
        }
        if self.to_stderr {
            anstream::eprintln!("{DIM}sql>{DIM:#} {line}");
        } else {
            anstream::println!("{DIM}sql>{DIM:#} {line}");
        }
    }
}
