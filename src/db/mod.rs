//! The one PostgreSQL connection a run uses, and the way statements go through it.
//!
//! Every statement is sent in a single round trip: statements without values go
//! through the simple-query protocol, statements with values through an unnamed
//! prepared statement whose parameter types the server infers (values travel as
//! text, as Knex's `pg` driver sends them). Transactions are explicit `BEGIN` /
//! `SAVEPOINT` / `COMMIT` statements, so the Lua layer can share the connection
//! through an `Rc<RefCell<Db>>` without holding a borrowed `Transaction`. The
//! connection itself ([`Session`], over a blocking [`Client`]) is shared with
//! a thread of its own, which runs schema statements sent ahead
//! ([`Db::defer`]); statements sent ahead that are run together go to the
//! server in one write (one round trip for a `createTable` and its indexes);
//! every awaited statement runs on the caller's thread once that thread is
//! idle, so the order is always the call order and a run looks exactly like
//! one that waits for every statement.

// `DbError` carries everything a user needs to fix a statement (SQL, message,
// detail, hint, position); it is built only on the failure path, so its size
// costs nothing where it matters.
#![allow(clippy::result_large_err)]

mod client;
pub mod connect;
pub mod decode;
pub mod error;
pub mod idle;
pub mod params;
mod probe;
mod session;
mod socket;
mod stream;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::sql::quote_literal;
use crate::sql::raw::to_positional;
use crate::sql::{Sql, Value};

pub use client::Client;
pub use connect::{ConnectOptions, ConnectTarget, Endpoint};
pub use error::DbError;
pub use probe::{Catalog, StatementProbe};
pub use session::{Row, Session, StatementLog};

pub type SharedDb = Rc<RefCell<Db>>;
pub use stream::Pending;

/// How long statements sent ahead may wait on the Lua thread (while Lua keeps
/// building) before they are handed to the connection thread.
const HAND_OVER_AFTER: std::time::Duration = std::time::Duration::from_micros(200);

/// Work for the connection thread.
type Job = Box<dyn FnOnce(&mut Session) + Send>;

/// How many statements sent to the connection thread are not finished yet.
#[derive(Default)]
struct Outstanding {
    count: Mutex<usize>,
    idle: Condvar,
}

/// Locks the session; a poisoned lock (a panic elsewhere) still yields it.
fn lock(session: &Mutex<Session>) -> MutexGuard<'_, Session> {
    session.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The run's handle on its connection.
///
/// Schema statements can be sent ahead ([`Db::defer`]): a thread of its own
/// executes them while Lua goes on building the next one, instead of each
/// waiting for the other. Every other call first waits until everything sent
/// before it has run, then runs on the caller's thread (no hand-over to pay
/// for an answer that is awaited anyway), so what the caller sees is the same
/// as running one statement at a time; a statement sent ahead that failed is
/// reported by the next call, carrying the Lua `file:line` that sent it.
///
/// Statements sent ahead are first held on the caller's thread: those that
/// follow each other closely (a `createTable` and its indexes, the last
/// statements of a file) run directly in the next wait, which costs their
/// round trips and no thread hand-over; once Lua has spent a while since the
/// first was held, they are handed to the thread together.
///
/// Two more kinds of work go to the thread without waiting (`stream.rs`): a
/// `COPY` fed window by window ([`Db::copy_rows`]; every other call finishes
/// it first, a rollback abandons it) and a cursor's next `FETCH`
/// ([`Db::query_ahead`]). They follow the same rules as statements sent
/// ahead: with pipelining off, while statements are printed and inside Lua
/// frames that catch errors, each `COPY` window is confirmed before its call
/// returns and no `FETCH` is sent before its rows are needed.
pub struct Db {
    session: Arc<Mutex<Session>>,
    outstanding: Arc<Outstanding>,
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    worker: Option<std::thread::JoinHandle<()>>,
    /// Statements sent ahead but not yet handed to the thread, with the Lua
    /// `file:line` that sent each, and when the first of them was held.
    held: Vec<(Sql, Option<String>)>,
    held_since: Option<std::time::Instant>,
    /// Mirror of the session's transaction depth: statements are sent ahead
    /// only inside a transaction (outside one, a later statement must not run
    /// after an earlier one failed).
    depth: usize,
    /// `-v` / `--dry-run`: statements are printed as they run, so none is sent
    /// ahead (the output would interleave).
    logging: bool,
    /// Off: every statement waits for its answer (the differential test's
    /// reference run; `VECTRA_DB_PIPELINE=off`).
    pipelining: bool,
    /// Lua frames that would catch a statement's error (`pcall`, `xpcall`,
    /// `coroutine.resume`) are open: a statement must fail at its own call,
    /// so none is sent ahead.
    catching: usize,
    /// Time spent waiting for the server (the Lua time limit leaves it out).
    waited: std::time::Duration,
    /// A `COPY … FROM STDIN` still taking rows ([`Db::copy_rows`]); any other
    /// call finishes it first.
    copy: Option<stream::OpenCopy>,
    /// Why the connection looks pooled ([`Db::meet_server`]), if it does.
    pooled: Option<String>,
    /// The settings every transaction starts with (a copy of the session's).
    transaction_settings: Vec<(String, String)>,
    /// A [`StatementProbe`] listens (`migrate:plan`), and the Lua `file:line`
    /// of the statement about to run, for it.
    probing: bool,
    origin: Option<String>,
}

impl Db {
    pub fn new(client: Client) -> Db {
        let session = Arc::new(Mutex::new(Session::new(client)));
        let outstanding = Arc::new(Outstanding::default());
        let (jobs, inbox) = std::sync::mpsc::channel::<Job>();
        let worker = {
            let (session, outstanding) = (session.clone(), outstanding.clone());
            std::thread::Builder::new()
                .name("vectra-db-connection".into())
                .spawn(move || {
                    socket::never_poll_on_this_thread();
                    for job in inbox {
                        job(&mut lock(&session));
                        let mut count = outstanding
                            .count
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner);
                        *count = count.saturating_sub(1);
                        if *count == 0 {
                            outstanding.idle.notify_all();
                        }
                    }
                })
                .ok()
        };
        Db {
            session,
            outstanding,
            jobs: worker.as_ref().map(|_| jobs),
            worker,
            held: Vec::new(),
            held_since: None,
            depth: 0,
            logging: false,
            pipelining: true,
            catching: 0,
            waited: std::time::Duration::ZERO,
            copy: None,
            pooled: None,
            transaction_settings: Vec::new(),
            probing: false,
            origin: None,
        }
    }

    /// Settings (name, value) sent as `SET LOCAL` with every outermost `BEGIN`
    /// (one round trip): nothing stays on the connection after the transaction.
    pub fn set_transaction_settings(&mut self, settings: Vec<(String, String)>) {
        let preamble: String = settings
            .iter()
            .map(|(name, value)| format!("; SET LOCAL {name} = {}", quote_literal(value)))
            .collect();
        self.transaction_settings = settings;
        // Only the next `BEGIN` reads it; statements still queued are unaffected.
        self.wait_idle();
        lock(&self.session).preamble = preamble;
    }

    /// What [`Db::set_transaction_settings`] last set.
    pub fn transaction_settings(&self) -> &[(String, String)] {
        &self.transaction_settings
    }

    /// With `false`, no statement is sent ahead: each waits for its answer.
    pub fn set_pipelining(&mut self, on: bool) {
        self.pipelining = on;
    }

    /// Lua entered a frame that catches errors: every statement sent so far is
    /// confirmed (a failure among them is returned now, before the frame is
    /// entered, as it would have been raised where it was sent), and until
    /// [`Db::leave_catching`] each statement waits for its answer.
    pub fn enter_catching(&mut self) -> Result<(), DbError> {
        self.flush()?;
        self.catching += 1;
        Ok(())
    }

    pub fn leave_catching(&mut self) {
        self.catching = self.catching.saturating_sub(1);
    }

    /// A file's call ended (a memory error may skip a `leave`): no frame is open.
    pub fn leave_all_catching(&mut self) {
        self.catching = 0;
    }

    /// Asks the server, in one round trip, its `server_version_num` (returned)
    /// and whether this connection, reached through `endpoint`, looks pooled
    /// (see [`connect::looks_pooled`]; never for `direct_connection`), which
    /// [`Db::looks_pooled`] then tells and every transaction acts on.
    pub fn meet_server(&mut self, endpoint: Endpoint) -> Result<u32, DbError> {
        let (version, pooled) = self.call(true, |s| {
            let rows = probe::text_rows(&mut s.client, connect::SERVER_QUERY)?;
            let column = |i: usize| rows.first().and_then(|r| r.get(i).cloned().flatten());
            let version = column(0).and_then(|v| v.parse().ok()).unwrap_or(0);
            let pooled = if endpoint.direct {
                None
            } else {
                connect::looks_pooled(
                    endpoint,
                    &column(1).unwrap_or_default(),
                    column(2).as_deref() == Some("t"),
                )
            };
            s.pooled = pooled.is_some();
            Ok((version, pooled))
        })?;
        self.pooled = pooled;
        Ok(version)
    }

    /// Why the connection looks like it goes through a pooler, or `None`
    /// (also for a connection [`Db::meet_server`] was not called on).
    pub fn looks_pooled(&self) -> Option<&str> {
        self.pooled.as_deref()
    }

    /// Total time spent waiting for the server so far.
    pub fn waited(&self) -> std::time::Duration {
        self.waited
    }

    pub fn into_shared(self) -> SharedDb {
        Rc::new(RefCell::new(self))
    }

    fn stopped() -> DbError {
        DbError::decode("the connection thread stopped".into(), "")
    }

    /// Hands work to the connection thread (in order); [`Db::wait_idle`]
    /// waits for it.
    fn send_job(&mut self, job: Job) -> Result<(), DbError> {
        let jobs = self.jobs.as_ref().ok_or_else(Db::stopped)?;
        *self
            .outstanding
            .count
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += 1;
        if jobs.send(job).is_err() {
            *self
                .outstanding
                .count
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = 0;
            return Err(Db::stopped());
        }
        Ok(())
    }

    /// Hands the held statements to the connection thread, as one job (in order).
    fn send_held(&mut self) -> Result<(), DbError> {
        self.held_since = None;
        if self.held.is_empty() {
            return Ok(());
        }
        let held = std::mem::take(&mut self.held);
        self.send_job(Box::new(move |session: &mut Session| {
            // After Ctrl-C the transaction is about to be rolled back: skip.
            if crate::interrupt::received().is_none() {
                session.run_held(held);
            }
        }))
    }

    /// Waits until the connection thread has run everything handed to it.
    fn wait_idle(&self) {
        let mut count = self
            .outstanding
            .count
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while *count > 0 {
            count = self
                .outstanding
                .idle
                .wait(count)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Runs `f` on the session once everything sent before it has run. With
    /// `report_deferred`, an error of a statement sent ahead is returned
    /// instead (and `f` skipped); without (a rollback), it is discarded, and
    /// so is a held-back statement (it would be rolled back at once).
    fn call<T>(
        &mut self,
        report_deferred: bool,
        f: impl FnOnce(&mut Session) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        // An open `COPY` is finished first (discarded by a rollback), so no
        // work waits behind rows still to come.
        if report_deferred {
            self.end_copy()?;
        } else {
            self.abort_copy();
        }
        let started = std::time::Instant::now();
        let held = std::mem::take(&mut self.held);
        self.held_since = None;
        let origin = self.origin.take();
        if report_deferred {
            if let Some(signal) = crate::interrupt::received() {
                // Ctrl-C / SIGTERM: nothing new starts (the statement that was
                // running has been cancelled); only the rollback still runs.
                self.wait_idle();
                return Err(DbError::decode(
                    format!("interrupted by {}", crate::interrupt::name(signal)),
                    "",
                ));
            }
        }
        self.wait_idle();
        let mut session = lock(&self.session);
        if report_deferred {
            session.run_held(held);
        }
        let result = match session.deferred_error.take() {
            Some(e) if report_deferred => Err(e),
            _ => f(&mut session),
        };
        session.after_statement(result.is_ok(), origin.as_deref());
        drop(session);
        self.waited += started.elapsed();
        result
    }

    pub fn set_log(&mut self, log: Option<Box<dyn StatementLog + Send>>) {
        self.logging = log.is_some();
        let _ = self.call(false, move |s| {
            s.log = log;
            Ok(())
        });
    }

    /// Sends a statement without values whose result nobody reads (DDL) ahead;
    /// `origin` is the Lua `file:line` to blame if it fails. It runs at once
    /// instead wherever its failure could be observed differently from a run
    /// that waits for every statement: outside a transaction (a later
    /// statement must not run after it failed), inside a savepoint
    /// (`knex.transaction` must roll back to it at once), inside a Lua frame
    /// that catches errors (`pcall` returns this call's error), and while
    /// statements are printed (`-v`, `--dry-run`: the output would interleave).
    /// The runner confirms everything sent at the end of each file.
    pub fn defer(&mut self, sql: &Sql, origin: Option<String>) -> Result<(), DbError> {
        self.end_copy()?;
        if self.probing {
            self.origin = origin.clone();
        }
        if self.depth != 1
            || self.logging
            || !self.pipelining
            || self.catching > 0
            || !sql.bindings.is_empty()
        {
            return self.execute(sql).map(|_| ()).map_err(|mut e| {
                e.origin = origin;
                e
            });
        }
        // Statements that follow each other closely (a `createTable` and its
        // indexes) are held and run in the next wait on this thread: a hand-
        // over costs more than it saves there. Once Lua has spent a while
        // since the first was held, they go to the thread, so the server
        // works while Lua goes on.
        let since = *self.held_since.get_or_insert_with(std::time::Instant::now);
        self.held.push((sql.clone(), origin));
        if since.elapsed() >= HAND_OVER_AFTER {
            self.send_held()?;
        }
        Ok(())
    }

    /// True when work may be sent ahead of its answer (a cursor's next
    /// `FETCH`, the windows of a `COPY`): the same rule as [`Db::defer`]
    /// (inside a transaction, not in a savepoint, not inside a Lua frame that
    /// catches errors, while no statement is printed, with pipelining on).
    pub fn sends_ahead(&self) -> bool {
        self.depth == 1 && !self.logging && self.pipelining && self.catching == 0
    }

    /// Waits for every statement sent ahead; returns the first one's error.
    pub fn flush(&mut self) -> Result<(), DbError> {
        self.call(true, |_| Ok(()))
    }

    /// Opens a transaction, or a savepoint inside the current one.
    pub fn begin(&mut self) -> Result<(), DbError> {
        self.call(true, |s| s.begin())?;
        self.depth += 1;
        Ok(())
    }

    /// Commits the innermost transaction level (`COMMIT` or `RELEASE SAVEPOINT`).
    pub fn commit(&mut self) -> Result<(), DbError> {
        let result = self.call(true, |s| s.commit());
        // Failed or not, the level is gone once the caller rolls back.
        if result.is_ok() {
            self.depth = self.depth.saturating_sub(1);
        }
        result
    }

    /// Rolls the innermost transaction level back, discarding the error of a
    /// statement sent ahead (the caller is already handling a failure) and an
    /// open `COPY` (none of its rows are loaded).
    pub fn rollback(&mut self) -> Result<(), DbError> {
        self.depth = self.depth.saturating_sub(1);
        self.call(false, |s| s.rollback())
    }

    /// True inside `BEGIN` … `COMMIT`.
    pub fn in_transaction(&self) -> bool {
        self.depth > 0
    }

    /// Runs statements that carry no values and return nothing of interest
    /// (`BEGIN`, DDL); several may be joined with `;`.
    pub fn batch(&mut self, text: &str) -> Result<(), DbError> {
        self.call(true, |s| s.batch(text))
    }

    /// Runs a builder statement (`?` placeholders) and returns its rows.
    pub fn query(&mut self, sql: &Sql) -> Result<Vec<Row>, DbError> {
        self.call(true, |s| s.query(sql))
    }

    /// Runs a statement already numbered `$1…$n` and returns its rows.
    pub fn query_positional(
        &mut self,
        text: &str,
        bindings: &[Value],
    ) -> Result<Vec<Row>, DbError> {
        self.call(true, |s| s.query_positional(text, bindings))
    }

    /// Runs a builder statement: its rows, and the row count PostgreSQL reports.
    pub fn query_counted(&mut self, sql: &Sql) -> Result<(Vec<Row>, u64), DbError> {
        let sql = sql.clone();
        self.call(true, move |s| {
            s.query_counted(&to_positional(&sql.text), &sql.bindings)
        })
    }

    /// Runs a builder statement and returns the number of rows it affected.
    pub fn execute(&mut self, sql: &Sql) -> Result<u64, DbError> {
        self.call(true, |s| s.execute(sql))
    }

    /// Runs a simple (text protocol, no values) query and returns its rows as text.
    pub fn simple_rows(&mut self, text: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        self.call(true, |s| s.simple_rows(text))
    }

    /// [`Db::simple_rows`] for the tool's own diagnostics, which `-v` does not print.
    pub fn simple_rows_unlogged(
        &mut self,
        text: &str,
    ) -> Result<Vec<Vec<Option<String>>>, DbError> {
        self.call(true, |s| probe::text_rows(&mut s.client, text))
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        // Closing the queue ends the thread; waiting for it means the last
        // handle on the connection is ours, so it closes right after this
        // and the server sees the session gone when we return.
        self.abort_copy();
        self.jobs.take();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}
