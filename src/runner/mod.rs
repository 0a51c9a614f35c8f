//! The runner: ledger, lock, plans and batches for migrations and seeds.
//!
//! It owns the connection for the whole run, decides what runs in which
//! transaction, and talks to the Lua layer only through [`crate::lua::Script`].
//! It prints nothing: progress goes to an [`Observer`].

pub mod files;
pub mod ledger;
pub mod lock;
pub mod migrator;
pub mod plan;
pub mod seeder;
pub mod timeouts;
pub mod verify;

use std::time::Duration;

use crate::db::connect::ConnectError;
use crate::db::DbError;
use crate::lua::ScriptError;

pub use migrator::{Migrator, Status};

/// Which way a migration ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
    Seed,
}

/// Receives what the runner does, for terminal or JSON output.
pub trait Observer {
    /// Another runner holds the lock; `holder` is its backend pid when known.
    fn waiting_for_lock(&mut self, holder: Option<&str>, timeout: Duration);
    fn got_lock_after(&mut self, waited: Duration);
    /// A run of `total` files is about to start.
    fn starting(&mut self, direction: Direction, total: usize);
    fn file_done(&mut self, direction: Direction, name: &str, took: Duration);
    fn warning(&mut self, message: &str);
}

/// An observer that ignores everything (library use, tests).
pub struct Silent;

impl Observer for Silent {
    fn waiting_for_lock(&mut self, _: Option<&str>, _: Duration) {}
    fn got_lock_after(&mut self, _: Duration) {}
    fn starting(&mut self, _: Direction, _: usize) {}
    fn file_done(&mut self, _: Direction, _: &str, _: Duration) {}
    fn warning(&mut self, _: &str) {}
}

/// Splits files into the runs that share a transaction: consecutive
/// transactional files form one segment, a `transaction = false` file stands
/// alone. Returns `(range, transactional)` pairs in order.
pub fn segments(transactional: &[bool]) -> Vec<(std::ops::Range<usize>, bool)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < transactional.len() {
        let tx = transactional[i];
        let end = if tx {
            transactional[i..]
                .iter()
                .position(|t| !t)
                .map_or(transactional.len(), |p| i + p)
        } else {
            i + 1
        };
        out.push((i..end, tx));
        i = end;
    }
    out
}

/// `--per-migration`: every file in a segment (and a transaction) of its own.
pub fn one_per_file(transactional: &[bool]) -> Vec<(std::ops::Range<usize>, bool)> {
    transactional
        .iter()
        .enumerate()
        .map(|(i, &tx)| (i..i + 1, tx))
        .collect()
}

/// The files of one segment, and whether it runs in a transaction.
pub type Segment<T> = (Vec<T>, bool);

/// Hands each segment (`ranges`, from [`segments`] or [`one_per_file`]) its
/// own files: a loaded file is then dropped, and its Lua state closed, as soon
/// as it has run, so the next files reuse its memory instead of growing the
/// process by a state per file until the batch ends.
pub fn owned_segments<T>(
    files: Vec<T>,
    ranges: Vec<(std::ops::Range<usize>, bool)>,
) -> Vec<Segment<T>> {
    let mut files = files.into_iter();
    ranges
        .into_iter()
        .map(|(range, transactional)| (files.by_ref().take(range.len()).collect(), transactional))
        .collect()
}

/// The Lua side of a run of `settings`' migrations or seeds: `lua_path` and
/// the limits (`lua_time_limit`, `lua_memory_limit`).
pub fn script_env(settings: &crate::config::Settings) -> crate::lua::ScriptEnv {
    crate::lua::ScriptEnv::new(settings.lua_path.clone()).with_limits(settings.lua_limits())
}

/// Loads one migration or seed file into a fresh Lua state and reads whether it
/// runs in the batch transaction; a failure means nothing of the run was sent.
pub(crate) fn load_script(
    what: &'static str,
    file: &files::SourceFile,
    bytes: &[u8],
    env: &crate::lua::ScriptEnv,
    db: &crate::db::SharedDb,
) -> Result<(crate::lua::Script, bool), RunnerError> {
    let failed = |e| migrator::script_failed(what, file, e, "nothing was run".into());
    let script = crate::lua::Script::load(&file.display, bytes, env, db.clone()).map_err(failed)?;
    let transactional = script.config().map_err(failed)?.transaction;
    Ok((script, transactional))
}

/// Takes the run's lock inside the open transaction (see [`lock`]), telling
/// `observer` when it has to wait. Call it before reading the ledger.
pub fn lock_transaction(
    db: &crate::db::SharedDb,
    ledger_name: &str,
    timeout: Duration,
    observer: &mut dyn Observer,
) -> Result<(), RunnerError> {
    let key = lock::key(ledger_name);
    let acquired =
        lock::acquire_in_transaction(&mut db.borrow_mut(), key, timeout, &mut |holder| {
            observer.waiting_for_lock(holder.as_deref(), timeout)
        })?;
    if let lock::Acquired::AfterWaiting(waited) = acquired {
        observer.got_lock_after(waited);
    }
    Ok(())
}

/// Ends whatever a run left open: its first transaction when nothing ran in
/// it (nothing to do, an error before the batch), or a dry run's. Committed
/// only after success and when `commit` (not a dry run).
pub(crate) fn end_first_transaction<T>(
    db: &crate::db::SharedDb,
    result: Result<T, RunnerError>,
    commit: bool,
) -> Result<T, RunnerError> {
    let mut db = db.borrow_mut();
    let ended = match (&result, db.in_transaction()) {
        (_, false) => Ok(()),
        (Ok(_), true) if commit => db.commit(),
        _ => db.rollback(),
    };
    drop(db);
    let outcome = result?;
    ended?;
    Ok(outcome)
}

/// A run that spans several transactions (`why` says which file or flag made
/// it so) must keep other runners out between them too: the lock is also
/// held for the session, taken inside the first transaction, which already
/// holds it. A pooled server connection would keep such a lock after the
/// run, so a connection that looks pooled is refused, naming `direct_connection`.
fn hold_across_transactions(
    db: &crate::db::SharedDb,
    ledger_name: &str,
    environment: &str,
    why: &str,
) -> Result<(), RunnerError> {
    let mut db = db.borrow_mut();
    if let Some(reason) = db.looks_pooled() {
        return Err(RunnerError::Config(format!(
                "{why}, so the run spans several transactions and needs a lock that lasts between them; \
                 this connection looks like it goes through a pooler ({reason}), where such a lock would stay behind on a pooled server connection; nothing was run\n  \
                 set `direct_connection` for environment `{environment}` in vectra-db.toml (a connection straight to the server, used by the verbs that change the database; \
                 if nothing pools this connection, for example a container's published port, set it to the same connection string), or put the statements in transactional migrations"
        )));
    }
    lock::hold_for_session(&mut db, lock::key(ledger_name))?;
    Ok(())
}

/// Why a run of `segments` transaction segments spans several transactions
/// (`outside`: its first `transaction = false` file; `several`: the reason
/// when all are transactional), or `None` when one transaction carries it.
/// A dry run never does: it is one transaction with savepoints.
pub(crate) fn spanning_reason(
    segments: usize,
    dry_run: bool,
    outside: Option<&str>,
    several: &str,
) -> Option<String> {
    if dry_run {
        return None;
    }
    match outside {
        Some(file) => Some(format!(
            "`{file}` runs outside a transaction (`config = {{ transaction = false }}`)"
        )),
        None if segments > 1 => Some(several.to_string()),
        None => None,
    }
}

/// Runs `run` (the segments of a run, inside its first transaction, which
/// holds the lock). When the run spans transactions (`spans`: why), the lock
/// is first held for the session too ([`hold_across_transactions`]), the
/// first transaction committed, and the hold given back after `run`.
pub(crate) fn with_lock_across<T>(
    db: &crate::db::SharedDb,
    ledger_name: &str,
    environment: &str,
    spans: Option<String>,
    run: impl FnOnce() -> Result<T, RunnerError>,
) -> Result<T, RunnerError> {
    let Some(why) = spans else {
        return run();
    };
    hold_across_transactions(db, ledger_name, environment, &why)?;
    db.borrow_mut().commit()?;
    let result = run();
    let released = lock::release_session(&mut db.borrow_mut(), lock::key(ledger_name));
    let value = result?;
    released?;
    Ok(value)
}

/// Why a run failed. Every variant says what to do next where it can.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Db(Box<DbError>),
    #[error("{what} `{file}` failed: {error}\n{rolled_back}")]
    Script {
        what: &'static str,
        file: String,
        error: Box<ScriptError>,
        rolled_back: String,
    },
    #[error("applied migration(s) missing from the migration directories: {}\n  restore the file(s), or pass `--ignore-missing` to go on without them", .0.join(", "))]
    Missing(Vec<String>),
    #[error("applied migration(s) changed since they ran (checksum differs): {}\n  revert the edit and put the change in a new migration; while developing, `migrate:rollback --allow-drift` (or `migrate:down --allow-drift`) undoes it with the current file", .0.join(", "))]
    Drift(Vec<String>),
    #[error("timed out after {waited:.1?} waiting for the migration lock{}\n  another vectra-db run is still working on this database; raise `lock_timeout` or try again later", holder.as_ref().map(|p| format!(" (held by backend pid {p})")).unwrap_or_default())]
    LockTimeout {
        waited: Duration,
        holder: Option<String>,
    },
    #[error("the Knex lock row in `{0}` is set (is_locked = 1): a Knex migration is running, or one crashed and left it behind\n  if no migration is running, free it with `vectra-db migrate:unlock`")]
    KnexLocked(String),
    #[error("`{file}` has no `down` function, so it cannot be rolled back; nothing was run")]
    NoDown { file: String },
    #[error("{0}")]
    DryRunImpossible(String),
    #[error("{error}\n  {advice}")]
    Advised {
        error: Box<RunnerError>,
        advice: String,
    },
    /// A statement gave up waiting for a lock (SQLSTATE 55P03), with the
    /// sessions that held it ([`timeouts::explain`]).
    #[error("{error}\n  {advice}")]
    StatementLockTimeout {
        error: Box<RunnerError>,
        blockers: Vec<timeouts::Blocker>,
        advice: String,
    },
    #[error("interrupted by {}: {what}", crate::interrupt::name(*signal))]
    Interrupted { signal: i32, what: String },
}

impl RunnerError {
    /// The database error under this one, if any (through advice and
    /// lock-timeout wrappers).
    pub fn db_error(&self) -> Option<&DbError> {
        match self {
            RunnerError::Script { error, .. } => error.db.as_deref(),
            RunnerError::Db(db) => Some(db),
            RunnerError::Advised { error, .. }
            | RunnerError::StatementLockTimeout { error, .. } => error.db_error(),
            _ => None,
        }
    }

    pub fn db_error_mut(&mut self) -> Option<&mut DbError> {
        match self {
            RunnerError::Script { error, .. } => error.db.as_deref_mut(),
            RunnerError::Db(db) => Some(db),
            RunnerError::Advised { error, .. }
            | RunnerError::StatementLockTimeout { error, .. } => error.db_error_mut(),
            _ => None,
        }
    }

    /// The process exit code for this error (SPEC §3: 1 failed, 2 usage/config).
    pub fn exit_code(&self) -> u8 {
        match self {
            RunnerError::Config(_) | RunnerError::Usage(_) => 2,
            RunnerError::Advised { error, .. } => error.exit_code(),
            RunnerError::Interrupted { signal, .. } => crate::interrupt::exit_code(*signal),
            _ => 1,
        }
    }
}

impl From<DbError> for RunnerError {
    fn from(e: DbError) -> Self {
        RunnerError::Db(Box::new(e))
    }
}

impl From<lock::LockError> for RunnerError {
    fn from(e: lock::LockError) -> Self {
        match e {
            lock::LockError::Timeout { waited, holder } => {
                RunnerError::LockTimeout { waited, holder }
            }
            lock::LockError::Db(d) => d.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::segments;

    #[test]
    fn non_transactional_files_split_the_batch() {
        assert_eq!(
            segments(&[true, true, false, true]),
            vec![(0..2, true), (2..3, false), (3..4, true)]
        );
        assert_eq!(
            segments(&[false, false]),
            vec![(0..1, false), (1..2, false)]
        );
        assert_eq!(segments(&[]), vec![]);
    }

    #[test]
    fn per_migration_gives_every_file_its_own_segment() {
        assert_eq!(
            super::one_per_file(&[true, true, false]),
            vec![(0..1, true), (1..2, true), (2..3, false)]
        );
    }
}
