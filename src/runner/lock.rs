//! The runner's mutual exclusion: an advisory lock that never outlives its
//! transaction, so it holds through a transaction pooler (PgBouncer) as well
//! as on a direct connection.
//!
//! Every batch transaction takes `pg_advisory_xact_lock` first and reads the
//! ledger after it: COMMIT or ROLLBACK frees it, a killed runner's server
//! session rolls back and frees it, and a pooled server connection can never
//! keep it. Waiting is bounded by `lock_timeout`, and the waiting runner says
//! so. A run that spans several transactions (a `transaction = false` file,
//! `--per-migration`) also holds the session-level lock between them, which
//! only a direct connection can carry (see [`Db::looks_pooled`]).

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

/// Takes the lock for the current transaction (it must be open), waiting up
/// to `timeout` (zero = do not wait) and calling `on_wait(holder_pid)` once
/// when it has to wait. After a timeout the transaction is aborted: the
/// caller rolls it back.
pub fn acquire_in_transaction(
    db: &mut Db,
    key: i64,
    timeout: Duration,
    on_wait: &mut dyn FnMut(Option<String>),
) -> Result<Acquired, LockError> {
    let got = db
        .simple_rows(&format!("select pg_try_advisory_xact_lock({key})"))
        .map_err(LockError::Db)?;
    if got.first().and_then(|r| r[0].as_deref()) == Some("t") {
        return Ok(Acquired::AtOnce);
    }
    let holder = holder_pid(db, key);
    on_wait(holder.clone());
    let started = Instant::now();
    // Zero would mean "wait forever" to PostgreSQL; the least wait is 1 ms.
    let bound = super::timeouts::millis(timeout.max(Duration::from_millis(1)));
    // `lock_timeout` bounds the blocking call for this transaction only, and
    // goes back to the run's value, so the migrations see their own setting.
    let result = db.batch(&format!(
        "set local lock_timeout = {}; select pg_advisory_xact_lock({key}); {}",
        quote_literal(&bound),
        super::timeouts::restore_local(db, "lock_timeout")
    ));
    match result {
        Ok(()) => Ok(Acquired::AfterWaiting(started.elapsed())),
        Err(e) if e.is("55P03") => Err(LockError::Timeout {
            waited: started.elapsed(),
            holder,
        }),
        Err(e) => Err(LockError::Db(e)),
    }
}

/// Holds the lock for the session too, until [`release_session`]: called
/// inside a transaction that already holds it, so it is granted at once.
pub fn hold_for_session(db: &mut Db, key: i64) -> Result<(), DbError> {
    db.batch(&format!("select pg_advisory_lock({key})"))
}

pub fn release_session(db: &mut Db, key: i64) -> Result<(), DbError> {
    db.batch(&format!("select pg_advisory_unlock({key})"))
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
