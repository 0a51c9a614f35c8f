//! The runner's mutual exclusion: a session-level advisory lock.
//!
//! Session-level, so a runner killed with SIGKILL frees it the moment its
//! connection closes (unlike Knex's `is_locked` row, which stays set). Waiting
//! is bounded by `lock_timeout`, and the waiting runner says so.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::db::{Db, DbError};
use crate::sql::quote_literal;

/// The lock key for one ledger: stable across processes and versions.
pub fn key(ledger_name: &str) -> i64 {
    let digest = Sha256::digest(format!("vectra-db:{ledger_name}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// What happened while taking the lock.
pub enum Acquired {
    AtOnce,
    /// Another session held it; we waited this long.
    AfterWaiting(Duration),
}

#[derive(Debug)]
pub enum LockError {
    Timeout {
        waited: Duration,
        holder: Option<String>,
    },
    Db(DbError),
}

/// Takes the lock, waiting up to `timeout` (zero = do not wait) and calling
/// `on_wait(holder_pid)` once when it has to wait.
pub fn acquire(
    db: &mut Db,
    key: i64,
    timeout: Duration,
    on_wait: &mut dyn FnMut(Option<String>),
) -> Result<Acquired, LockError> {
    let got = db
        .simple_rows(&format!("select pg_try_advisory_lock({key})"))
        .map_err(LockError::Db)?;
    if got.first().and_then(|r| r[0].as_deref()) == Some("t") {
        return Ok(Acquired::AtOnce);
    }
    let holder = holder_pid(db, key);
    on_wait(holder.clone());
    let started = Instant::now();
    let ms = timeout.as_millis().max(1);
    // lock_timeout bounds the blocking call; reset afterwards so the user's
    // migrations see the server's own setting.
    let result = db.batch(&format!(
        "set lock_timeout = {}; select pg_advisory_lock({key}); reset lock_timeout",
        quote_literal(&format!("{ms}ms"))
    ));
    match result {
        Ok(()) => Ok(Acquired::AfterWaiting(started.elapsed())),
        Err(e) if e.is("55P03") => {
            let _ = db.batch("reset lock_timeout");
            Err(LockError::Timeout {
                waited: started.elapsed(),
                holder,
            })
        }
        Err(e) => Err(LockError::Db(e)),
    }
}

/// The pid of the session holding the advisory lock, for the waiting message.
fn holder_pid(db: &mut Db, key: i64) -> Option<String> {
    let (hi, lo) = ((key >> 32) as i32, key as i32);
    let rows = db
        .simple_rows(&format!(
            "select pid from pg_locks where locktype = 'advisory' and granted \
             and classid::int = {hi} and objid::int = {lo} and objsubid = 1 \
             and database = (select oid from pg_database where datname = current_database()) limit 1"
        ))
        .ok()?;
    rows.first().and_then(|r| r[0].clone())
}

pub fn release(db: &mut Db, key: i64) -> Result<(), DbError> {
    db.batch(&format!("select pg_advisory_unlock({key})"))
}
