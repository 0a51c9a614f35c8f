//! What the user sees: one line per file with its duration, a summary line,
//! warnings and errors on stderr, a progress bar on a terminal for long runs,
//! or a single JSON document with `--json`.
//!
//! Colour comes from `anstream`, which strips it when stdout is not a terminal,
//! when `NO_COLOR` is set, or with `--no-color`.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;
use std::time::Duration;

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};

use crate::runner::migrator::AppliedState;
use crate::runner::{Direction, Observer};
use crate::sql::Value;

const GREEN: Style = AnsiColor::Green.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const RED: Style = AnsiColor::Red.on_default().bold();
const DIM: Style = Style::new().dimmed();

/// Writes one line on stdout, colour kept or stripped as decided for the
/// whole run (anstream's `println!` asks the terminal again on every line:
/// one `ioctl` per file of a 1000-file batch). A closed pipe (`| head`) or a
/// full disk must not panic: the exit code still reports the verb's outcome.
fn out_line(line: std::fmt::Arguments<'_>) {
    static CHOICE: OnceLock<ColorChoice> = OnceLock::new();
    write_line(std::io::stdout().lock(), &CHOICE, line);
}

/// [`out_line`] for stderr.
fn err_line(line: std::fmt::Arguments<'_>) {
    static CHOICE: OnceLock<ColorChoice> = OnceLock::new();
    write_line(std::io::stderr().lock(), &CHOICE, line);
}

/// Writes `line` on `stream`, with the colour `choice` made for it on first use.
fn write_line<S: anstream::stream::RawStream>(
    stream: S,
    choice: &OnceLock<ColorChoice>,
    line: std::fmt::Arguments<'_>,
) where
    AutoStream<S>: Write,
{
    let choice = *choice.get_or_init(|| AutoStream::choice(&stream));
    let _ = writeln!(AutoStream::new(stream, choice), "{line}");
}

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
                out_line(format_args!("{text}"));
            });
        }
    }

    /// The final summary line, in green.
    pub fn summary(&self, text: &str) {
        if self.human() {
            self.print(|| out_line(format_args!("{GREEN}{text}{GREEN:#}")));
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
            err_line(format_args!(
                "{YELLOW}waiting for the migration lock held by another run{who}, up to {timeout:?}…{YELLOW:#}"
            ));
        }
    }

    fn got_lock_after(&mut self, waited: Duration) {
        if !self.mode.quiet {
            err_line(format_args!(
                "waited {:.1}s for the migration lock",
                waited.as_secs_f64()
            ));
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
            self.print(|| err_line(format_args!("{YELLOW}warning:{YELLOW:#} {message}")));
        }
    }
}

/// Prints an error (the whole message, already carrying its causes) on stderr.
pub fn error(message: &str) {
    let _ = std::io::stdout().flush();
    err_line(format_args!("{RED}error:{RED:#} {message}"));
}

/// Prints one JSON document on stdout.
pub fn json(value: &serde_json::Value) {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".to_string());
    // Like anstream's macros used elsewhere: a closed pipe (`| head`) must not
    // panic; the exit code still reports the verb's outcome.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
}

/// Statements longer than this are shortened by `-v` (a 500-row insert is
/// tens of thousands of characters); `-vv` prints them in full.
const SHORT_SQL: usize = 300;
/// Values shown for a shortened statement.
const SHORT_VALUES: usize = 10;

/// Prints each statement sent (`-v`, `--dry-run`): on stdout, or on stderr
/// when stdout carries the JSON document.
pub struct StatementPrinter {
    pub to_stderr: bool,
    /// `-vv`: never shorten.
    pub full: bool,
}

impl crate::db::StatementLog for StatementPrinter {
    fn statement(&mut self, sql: &str, bindings: &[Value]) {
        let shown: Vec<String> = bindings
            .iter()
            .take(if self.full { usize::MAX } else { SHORT_VALUES })
            .map(|b| match b.to_pg_text() {
                None => "NULL".to_string(),
                Some(t) if matches!(b, Value::Int(_) | Value::Float(_) | Value::Bool(_)) => t,
                Some(t) => crate::sql::quote_literal(&t),
            })
            .collect();
        let (text, note) = if self.full {
            (sql, None)
        } else {
            shorten(sql, bindings.len())
        };
        let mut line = text.to_string();
        if let Some(note) = note {
            line.push_str(&format!("{DIM}{note}{DIM:#}"));
        }
        if !bindings.is_empty() {
            let more = bindings.len() - shown.len();
            let more = if more > 0 {
                format!(", … {more} more")
            } else {
                String::new()
            };
            line.push_str(&format!("  {DIM}-- [{}{more}]{DIM:#}", shown.join(", ")));
        }
        if self.to_stderr {
            err_line(format_args!("{DIM}sql>{DIM:#} {line}"));
        } else {
            out_line(format_args!("{DIM}sql>{DIM:#} {line}"));
        }
    }
}

/// `-v`'s view of a long statement: its first [`SHORT_SQL`] characters (a
/// true prefix, cut at a character boundary) and a note of what was left
/// out, with the number of rows of a multi-row insert.
fn shorten(sql: &str, values: usize) -> (&str, Option<String>) {
    if sql.len() <= SHORT_SQL {
        return (sql, None);
    }
    let mut cut = SHORT_SQL;
    while !sql.is_char_boundary(cut) {
        cut -= 1;
    }
    let rows = insert_rows(sql)
        .map(|n| format!("{n} rows, "))
        .unwrap_or_default();
    let note = format!(
        " … ({rows}{values} values, {} characters in all; -vv prints it in full)",
        sql.len()
    );
    (&sql[..cut], Some(note))
}

/// The row count of `insert … values (…), (…)` as the builder writes it.
fn insert_rows(sql: &str) -> Option<usize> {
    if !sql.starts_with("insert into ") && !sql.contains(") insert into ") {
        return None;
    }
    let values = &sql[sql.find(" values (")?..];
    Some(values.matches("), (").count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_statement_is_shown_whole() {
        assert_eq!(shorten("select 1", 0), ("select 1", None));
    }

    #[test]
    fn a_long_insert_is_a_true_prefix_with_its_row_count() {
        let rows = vec!["(?, ?)"; 500].join(", ");
        let sql = format!("insert into \"users\" (\"a\", \"b\") values {rows}");
        let (text, note) = shorten(&sql, 1000);
        assert!(sql.starts_with(text) && text.len() == SHORT_SQL, "{text}");
        let note = note.expect("a note");
        assert!(note.contains("500 rows, 1000 values"), "{note}");
        assert!(
            note.contains(&format!("{} characters", sql.len())),
            "{note}"
        );
    }

    #[test]
    fn the_cut_never_splits_a_character() {
        let sql = format!("select '{}'", "é".repeat(400));
        let (text, note) = shorten(&sql, 0);
        assert!(sql.starts_with(text) && text.len() <= SHORT_SQL);
        assert!(!note.expect("a note").contains("rows"));
    }
}
