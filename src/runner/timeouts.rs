//! Bounded lock waits: the timeouts every statement of a run carries, a
//! file's own `lockTimeout` / `statementTimeout`, and what a statement that
//! gave up waiting for a lock was waiting behind.
//!
//! Every setting travels with a transaction (`SET LOCAL`, sent with its
//! `BEGIN`), never with the session: through a transaction pooler the next
//! client of the server connection would inherit it. A file that runs
//! outside a transaction gets plain `SET`s before it and `RESET`s after it.

use std::time::Duration;

use super::RunnerError;
use crate::db::{Db, DbError, SharedDb};
use crate::lua::{Script, ScriptError};
use crate::sql::quote_literal;

/// PostgreSQL's `lock_not_available`: a lock wait ran past `lock_timeout`
/// (or a `NOWAIT` found the lock taken).
pub const LOCK_NOT_AVAILABLE: &str = "55P03";

/// How PostgreSQL is told a duration: milliseconds with their unit.
pub(crate) fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// The settings (name, value) every transaction of a run starts with: only
/// those that differ from the server's own (a zero timeout means "the
/// server's"), plus `client_connection_check_interval` on PostgreSQL 14+,
/// so a killed runner's statement is cancelled (and its locks freed) within
/// a second instead of when the statement ends.
pub fn transaction_settings(
    statement_timeout: Duration,
    statement_lock_timeout: Duration,
    server_version_num: u32,
) -> Vec<(String, String)> {
    let mut settings = Vec::new();
    if server_version_num >= 140_000 {
        settings.push(("client_connection_check_interval".into(), "1s".into()));
    }
    if !statement_timeout.is_zero() {
        settings.push(("statement_timeout".into(), millis(statement_timeout)));
    }
    if !statement_lock_timeout.is_zero() {
        settings.push(("lock_timeout".into(), millis(statement_lock_timeout)));
    }
    settings
}

/// The statement that gives `name` back its value for the rest of the
/// transaction: the run's (see [`transaction_settings`]), else the server's.
/// For code that changes a setting inside a batch transaction for a while
/// (e.g. a lock wait with its own `lock_timeout`).
pub fn restore_local(db: &Db, name: &str) -> String {
    match db.transaction_settings().iter().find(|(n, _)| n == name) {
        Some((_, value)) => format!("SET LOCAL {name} = {}", quote_literal(value)),
        None => format!("SET LOCAL {name} TO DEFAULT"),
    }
}

/// What to send after a file, to leave the settings as they were before it.
struct Undo {
    sql: String,
    /// Outside a transaction: the run's transaction settings, put back.
    transaction_settings: Option<Vec<(String, String)>>,
}

/// Calls `function` of `script` (the file `file`) with its own timeouts in
/// effect. Files that set none cost nothing; files that do get one `SET
/// LOCAL` before and one after (restoring the run's values), or, outside a
/// transaction, `SET`s before and `RESET`s after, also when the file fails.
pub fn call(db: &SharedDb, script: &Script, file: &str, function: &str) -> Result<(), ScriptError> {
    let undo = enter(db, script).map_err(|e| ScriptError::from_db(file, e))?;
    let result = script.call(function);
    let Some(undo) = undo else {
        return result;
    };
    let mut db = db.borrow_mut();
    let restored = match &undo.transaction_settings {
        // Outside a transaction: a `RESET` works after a failure too.
        Some(settings) => {
            db.set_transaction_settings(settings.clone());
            db.batch(&undo.sql)
        }
        // A failed transaction is rolled back, and its settings with it.
        None if result.is_err() => Ok(()),
        None => db.batch(&undo.sql),
    };
    result?;
    restored.map_err(|e| ScriptError::from_db(file, e))
}

fn enter(db: &SharedDb, script: &Script) -> Result<Option<Undo>, DbError> {
    let Ok(config) = script.config() else {
        // Already checked when the file was loaded.
        return Ok(None);
    };
    let own: Vec<(&str, String)> = [
        ("lock_timeout", config.lock_timeout),
        ("statement_timeout", config.statement_timeout),
    ]
    .into_iter()
    .filter_map(|(name, d)| d.map(|d| (name, millis(d))))
    .collect();
    let mut db = db.borrow_mut();
    if own.is_empty() && (db.in_transaction() || db.transaction_settings().is_empty()) {
        // The usual file: nothing to send.
        return Ok(None);
    }
    let run: Vec<(String, String)> = db.transaction_settings().to_vec();
    if db.in_transaction() {
        // Only what differs from the run's values.
        let changed: Vec<&(&str, String)> = own
            .iter()
            .filter(|(name, value)| !run.iter().any(|(n, v)| n == name && v == value))
            .collect();
        if changed.is_empty() {
            return Ok(None);
        }
        let set: Vec<String> = changed
            .iter()
            .map(|(name, value)| format!("SET LOCAL {name} = {}", quote_literal(value)))
            .collect();
        let restore: Vec<String> = changed
            .iter()
            .map(|(name, _)| restore_local(&db, name))
            .collect();
        db.batch(&set.join("; "))?;
        return Ok(Some(Undo {
            sql: restore.join("; "),
            transaction_settings: None,
        }));
    }
    // Outside a transaction: the run's settings and the file's own, on the
    // session for the file's duration only.
    let mut merged: Vec<(String, String)> = run
        .iter()
        .filter(|(n, _)| !own.iter().any(|(o, _)| o == n))
        .cloned()
        .collect();
    merged.extend(own.iter().map(|(n, v)| (n.to_string(), v.clone())));
    if merged.is_empty() {
        return Ok(None);
    }
    let set: Vec<String> = merged
        .iter()
        .map(|(name, value)| format!("SET {name} = {}", quote_literal(value)))
        .collect();
    let reset: Vec<String> = merged
        .iter()
        .map(|(name, _)| format!("RESET {name}"))
        .collect();
    db.batch(&set.join("; "))?;
    // A `knex.transaction` inside the file starts from the session's values.
    db.set_transaction_settings(Vec::new());
    Ok(Some(Undo {
        sql: reset.join("; "),
        transaction_settings: Some(run),
    }))
}

/// True when the run failed because a lock was not granted in time: a
/// statement's `lock_timeout`, or the wait for the run's own lock.
pub fn is_lock_timeout(error: &RunnerError) -> bool {
    match error {
        RunnerError::LockTimeout { .. } | RunnerError::StatementLockTimeout { .. } => true,
        RunnerError::Advised { error, .. } => is_lock_timeout(error),
        other => other.db_error().is_some_and(|d| d.is(LOCK_NOT_AVAILABLE)),
    }
}

/// Another session that held (or waited for) a lock on a relation the
/// failed statement names.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Blocker {
    pub pid: i64,
    pub application: String,
    pub state: String,
    /// Seconds its transaction has been open, when one is.
    pub transaction_age_s: Option<f64>,
    pub query_start: Option<String>,
    /// Its current (or last) query, shortened.
    pub query: String,
    /// `AccessShareLock on t`: its locks on those relations.
    pub locks: String,
    /// False when it only waits for those locks itself (queued ahead of us).
    pub granted: bool,
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} (application `{}`, {}",
            self.pid, self.application, self.state
        )?;
        if let Some(age) = self.transaction_age_s {
            write!(f, ", transaction open for {age:.1} s")?;
        }
        if let Some(start) = &self.query_start {
            write!(f, ", query started {start}")?;
        }
        let verb = if self.granted { "holds" } else { "waits for" };
        write!(f, ") {verb} {}; its query: `{}`", self.locks, self.query)
    }
}

/// The longest part of a blocker's query shown.
const QUERY_CHARS: usize = 120;

/// Candidate relation names in a statement: identifiers and quoted
/// identifiers, with their schema when qualified; string literals and
/// comments are skipped. Which of them are relations, the server decides.
pub fn relation_candidates(sql: &str) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut names: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' && chars.get(i + 1) != Some(&'\'') {
                    break;
                }
                i += if chars[i] == '\'' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '"' || c.is_alphabetic() || c == '_' {
            let mut parts = Vec::new();
            loop {
                let (part, next) = identifier(&chars, i);
                parts.push(part);
                i = next;
                if chars.get(i) == Some(&'.')
                    && chars
                        .get(i + 1)
                        .is_some_and(|c| *c == '"' || c.is_alphabetic() || *c == '_')
                {
                    i += 1;
                } else {
                    break;
                }
            }
            // `db.schema.table` never names a relation of this database.
            if parts.len() <= 2 && parts.iter().all(|p| p.len() > 2 || !p.starts_with('"')) {
                let name = parts.join(".");
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        } else {
            i += 1;
        }
    }
    names.truncate(200);
    names
}

/// One identifier starting at `i` (quoted ones keep their quotes, which
/// `to_regclass` reads); returns it and the index after it.
fn identifier(chars: &[char], mut i: usize) -> (String, usize) {
    let mut out = String::new();
    if chars.get(i) == Some(&'"') {
        out.push('"');
        i += 1;
        while i < chars.len() {
            if chars[i] == '"' {
                if chars.get(i + 1) == Some(&'"') {
                    out.push_str("\"\"");
                    i += 2;
                    continue;
                }
                out.push('"');
                return (out, i + 1);
            }
            out.push(chars[i]);
            i += 1;
        }
        // Unterminated: not a name.
        return (String::from("\""), i);
    }
    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
        out.push(chars[i]);
        i += 1;
    }
    (out, i)
}

/// The other sessions holding (or queued for) locks on the relations `sql`
/// names. Asked after the failed statement's transaction was rolled back:
/// our backend no longer waits, so `pg_blocking_pids` has nothing to say,
/// but whoever kept the lock from us usually still holds it.
pub fn blockers(db: &mut Db, sql: &str) -> Result<Vec<Blocker>, DbError> {
    let candidates = relation_candidates(sql);
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = candidates.iter().map(|c| quote_literal(c)).collect();
    let query = format!(
        "with rels as (\
           select distinct to_regclass(n) as oid from unnest(array[{}]::text[]) as t(n) \
           where to_regclass(n) is not null) \
         select a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), \
           round(extract(epoch from clock_timestamp() - a.xact_start)::numeric, 1), \
           to_char(a.query_start, 'YYYY-MM-DD HH24:MI:SS TZ'), \
           coalesce(a.query, ''), \
           string_agg(distinct l.mode || ' on ' || l.relation::regclass::text, ', '), \
           bool_or(l.granted) \
         from pg_locks l join rels r on l.relation = r.oid \
           join pg_stat_activity a on a.pid = l.pid \
         where l.pid <> pg_backend_pid() \
           and l.database = (select oid from pg_database where datname = current_database()) \
         group by a.pid, a.application_name, a.state, a.xact_start, a.query_start, a.query \
         order by bool_or(l.granted) desc, a.xact_start nulls last",
        list.join(", ")
    );
    let rows = db.simple_rows_unlogged(&query)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let text = |i: usize| r.get(i).cloned().flatten();
            let query = text(5).unwrap_or_default();
            let flat = query.split_whitespace().collect::<Vec<_>>().join(" ");
            let query = if flat.chars().count() > QUERY_CHARS {
                format!("{}…", flat.chars().take(QUERY_CHARS).collect::<String>())
            } else {
                flat
            };
            Blocker {
                pid: text(0).and_then(|p| p.parse().ok()).unwrap_or(0),
                application: text(1).unwrap_or_default(),
                state: text(2).unwrap_or_default(),
                transaction_age_s: text(3).and_then(|a| a.parse().ok()),
                query_start: text(4),
                query,
                locks: text(6).unwrap_or_default(),
                granted: text(7).as_deref() == Some("t"),
            }
        })
        .collect())
}

/// A statement's lock timeout, told in full: which sessions held the lock
/// (see [`blockers`]) and what to do. Other errors come back unchanged.
/// Call it after the failed transaction was rolled back.
pub fn explain(db: &SharedDb, error: RunnerError) -> RunnerError {
    let Some(failed) = error.db_error() else {
        return error;
    };
    if !failed.is(LOCK_NOT_AVAILABLE) || matches!(error, RunnerError::StatementLockTimeout { .. }) {
        return error;
    }
    let found = blockers(&mut db.borrow_mut(), &failed.sql);
    let who = match &found {
        Ok(list) if !list.is_empty() => {
            let lines: Vec<String> = list.iter().map(|b| format!("    {b}")).collect();
            format!("the lock was held by:\n{}\n  ", lines.join("\n"))
        }
        Ok(_) => "no other session holds a lock on the tables this statement names any more (the blocker has finished)\n  ".to_string(),
        Err(e) => format!(
            "(could not list the sessions holding the lock: {})\n  ",
            e.message
        ),
    };
    RunnerError::StatementLockTimeout {
        error: Box::new(error),
        blockers: found.unwrap_or_default(),
        advice: format!(
            "{who}wait for those sessions to finish (or end them with `select pg_terminate_backend(PID)`), then run again; `--lock-retries N` retries with backoff, and `lockTimeout` in the file's `config` (or `statement_lock_timeout` in vectra-db.toml) sets how long a statement may wait"
        ),
    }
}

/// The sessions named by a statement's lock timeout (for `--json`).
pub fn blockers_of(error: &RunnerError) -> Option<&[Blocker]> {
    match error {
        RunnerError::StatementLockTimeout { blockers, .. } => Some(blockers),
        RunnerError::Advised { error, .. } => blockers_of(error),
        _ => None,
    }
}

/// One line on why a run is retried: where it waited, and for whom.
pub fn retry_reason(error: &RunnerError) -> String {
    match error {
        RunnerError::StatementLockTimeout {
            error, blockers, ..
        } => {
            let at = match &**error {
                RunnerError::Script { file, error, .. } => {
                    format!(" in `{}`", error.location.as_deref().unwrap_or(file))
                }
                _ => String::new(),
            };
            let pids: Vec<String> = blockers.iter().map(|b| format!("pid {}", b.pid)).collect();
            if pids.is_empty() {
                at
            } else {
                format!("{at} (blocked by {})", pids.join(", "))
            }
        }
        RunnerError::LockTimeout { holder, .. } => format!(
            " waiting for the migration lock{}",
            holder
                .as_ref()
                .map(|p| format!(" (held by backend pid {p})"))
                .unwrap_or_default()
        ),
        RunnerError::Advised { error, .. } => retry_reason(error),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_candidates_skip_literals_and_keep_qualified_names() {
        assert_eq!(
            relation_candidates(
                "alter table app.\"Users\" add column x text default 'a.b' -- t2\n references t3"
            ),
            vec![
                "alter",
                "table",
                "app.\"Users\"",
                "add",
                "column",
                "x",
                "text",
                "default",
                "references",
                "t3"
            ]
        );
        assert!(relation_candidates("select 1 from a.b.c")
            .iter()
            .all(|n| n != "a.b.c"));
    }

    #[test]
    fn only_settings_that_differ_from_the_server_are_sent() {
        assert!(transaction_settings(Duration::ZERO, Duration::ZERO, 130_000).is_empty());
        assert_eq!(
            transaction_settings(Duration::from_secs(2), Duration::from_millis(500), 150_000),
            vec![
                ("client_connection_check_interval".into(), "1s".into()),
                ("statement_timeout".into(), "2000ms".into()),
                ("lock_timeout".into(), "500ms".into()),
            ]
        );
    }
}
