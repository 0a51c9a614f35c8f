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
//! only a direct connection can carry (see [`pooled`]).

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::db::{Db, DbError, Endpoint};
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
        .simple_rows(&format!(
            "select pg_try_advisory_xact_lock({key}), current_setting('lock_timeout')"
        ))
        .map_err(LockError::Db)?;
    let row = got.first();
    if row.and_then(|r| r[0].as_deref()) == Some("t") {
        return Ok(Acquired::AtOnce);
    }
    let previous = row
        .and_then(|r| r.get(1).cloned().flatten())
        .unwrap_or_else(|| "0".into());
    let holder = holder_pid(db, key);
    on_wait(holder.clone());
    let started = Instant::now();
    let ms = timeout.as_millis().max(1);
    // `lock_timeout` bounds the blocking call for this transaction only, and
    // goes back to what it was, so the migrations see their own setting.
    let result = db.batch(&format!(
        "set local lock_timeout = {}; select pg_advisory_xact_lock({key}); select set_config('lock_timeout', {}, true)",
        quote_literal(&format!("{ms}ms")),
        quote_literal(&previous)
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

/// Why the connection looks like it goes through a pooler or proxy rather
/// than straight to the server, or `None` when it looks direct: the server
/// listens on another port than the one we connected to, or sees its client
/// arrive over TCP where we used a Unix socket (or the other way round).
/// A pooler on the server's own port, reached the same way, is not seen:
/// `direct_connection` is the sure way (docs/deploying-to-production.md).
pub fn pooled(db: &mut Db, endpoint: Endpoint) -> Result<Option<String>, DbError> {
    let rows = db.simple_rows(
        "select current_setting('port'), (select client_addr is null from pg_stat_activity where pid = pg_backend_pid())",
    )?;
    let row = rows.first();
    let server_port = row.and_then(|r| r[0].as_deref()).unwrap_or_default();
    let client_on_socket = row.and_then(|r| r[1].as_deref()) == Some("t");
    Ok(looks_pooled(endpoint, server_port, client_on_socket))
}

fn looks_pooled(endpoint: Endpoint, server_port: &str, client_on_socket: bool) -> Option<String> {
    if server_port != endpoint.port.to_string() {
        return Some(format!(
            "connected to port {}, but the server listens on port {server_port}",
            endpoint.port
        ));
    }
    match (endpoint.unix_socket, client_on_socket) {
        (true, false) => {
            Some("connected through a Unix socket, but the server sees a TCP client".to_string())
        }
        (false, true) => {
            Some("connected over TCP, but the server sees a Unix-socket client".to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{looks_pooled, Endpoint};

    #[test]
    fn a_proxy_shows_in_the_port_or_the_way_the_server_sees_its_client() {
        let tcp = |port| Endpoint {
            unix_socket: false,
            port,
            direct: false,
        };
        assert_eq!(looks_pooled(tcp(5432), "5432", false), None);
        let socket = Endpoint {
            unix_socket: true,
            port: 5432,
            direct: false,
        };
        assert_eq!(looks_pooled(socket, "5432", true), None);
        assert!(looks_pooled(tcp(6432), "5432", false)
            .is_some_and(|why| why.contains("port 6432") && why.contains("port 5432")));
        assert!(looks_pooled(tcp(5432), "5432", true).is_some());
        assert!(looks_pooled(socket, "5432", false).is_some());
    }
}
