//! The one PostgreSQL connection a run uses, and the way statements go through it.
//!
//! Every statement is sent in a single round trip: statements without values go
//! through the simple-query protocol, statements with values through an unnamed
//! prepared statement whose parameter types the server infers (values travel as
//! text, as Knex's `pg` driver sends them). Transactions are explicit `BEGIN` /
//! `SAVEPOINT` / `COMMIT` statements, so the Lua layer can share the connection
//! through an `Rc<RefCell<Db>>` without holding a borrowed `Transaction`. The
//! connection itself ([`Session`]) is shared with a thread of its own, which
//! runs schema statements sent ahead ([`Db::defer`]); every awaited statement
//! runs on the caller's thread once that thread is idle, so the order is
//! always the call order and a run looks exactly like one that waits for
//! every statement.

// `DbError` carries everything a user needs to fix a statement (SQL, message,
// detail, hint, position); it is built only on the failure path, so its size
// costs nothing where it matters.
#![allow(clippy::result_large_err)]

pub mod connect;
pub mod decode;
pub mod error;
pub mod params;
mod probe;
mod stream;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use postgres::types::{Kind, ToSql, Type};
use postgres::{Client, SimpleQueryMessage};

use crate::sql::quote_literal;
use crate::sql::raw::to_positional;
use crate::sql::{Sql, Value};
use postgres::fallible_iterator::FallibleIterator;

pub use connect::{ConnectOptions, ConnectTarget, Endpoint};
pub use error::DbError;
use probe::text_rows;
pub use probe::{Catalog, StatementProbe};
pub use stream::Pending;

/// True for statements that read or write rows but change no table definitions.
fn is_data_statement(text: &str) -> bool {
    let word: String = text
        .trim_start()
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        word.as_str(),
        "select"
            | "insert"
            | "update"
            | "delete"
            | "with"
            | "values"
            | "copy"
            | "begin"
            | "commit"
            | "rollback"
            | "savepoint"
            | "release"
            | "show"
            | "declare"
            | "fetch"
            | "close"
    )
}

/// A result row: column names and their decoded values, in select order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub columns: std::sync::Arc<[String]>,
    pub values: Vec<Value>,
}

impl Row {
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.columns
            .iter()
            .position(|c| c == column)
            .map(|i| &self.values[i])
    }
}

/// What happened to a statement, for `-v` and `--dry-run` output.
pub trait StatementLog {
    fn statement(&mut self, sql: &str, bindings: &[Value]);
}

/// The connection plus the run-wide switches that affect every statement.
/// Shared by the run's thread and the connection thread (never at the same
/// time); [`Db`] is the handle the run uses.
pub struct Session {
    client: Client,
    /// Open transaction levels: 0 none, 1 `BEGIN`, 2+ savepoints.
    depth: usize,
    /// Receives every statement sent (when `-v` or `--dry-run` asks for them).
    log: Option<Box<dyn StatementLog + Send>>,
    /// Large inserts already prepared, by SQL text (see [`Session::typed`]).
    statements: Vec<(String, postgres::Statement)>,
    /// The first error of a statement sent ahead; reported by the next call.
    deferred_error: Option<DbError>,
    /// The connection looks pooled ([`Db::looks_pooled`]): every transaction
    /// ends by deallocating all named statements on its server connection.
    pooled: bool,
    /// `; SET LOCAL …` sent with every outermost `BEGIN` ([`Db::set_transaction_settings`]).
    preamble: String,
    /// `migrate:plan`: looks at the session after each statement, and the
    /// text of the statement it has not seen yet.
    probe: Option<Box<dyn StatementProbe>>,
    probed: Option<String>,
}

/// How long statements sent ahead may wait on the Lua thread (while Lua keeps
/// building) before they are handed to the connection thread.
const HAND_OVER_AFTER: std::time::Duration = std::time::Duration::from_micros(200);

/// The savepoint opened right after `BEGIN` on a pooled connection.
const POOL_GUARD: &str = "vectra_pool_guard";

/// The most values one statement can carry (the protocol counts them in 16 bits).
const MAX_BINDINGS: usize = 65_535;

/// How many prepared inserts are kept; a seed repeats one or two shapes.
const CACHED_STATEMENTS: usize = 16;

/// Inserts with at least this many values are worth preparing once: parsing a
/// 1,000-row insert costs the server more than running it.
const CACHE_MIN_BINDINGS: usize = 64;

pub type SharedDb = Rc<RefCell<Db>>;

impl Session {
    fn new(client: Client) -> Session {
        Session {
            client,
            depth: 0,
            log: None,
            statements: Vec::new(),
            deferred_error: None,
            pooled: false,
            preamble: String::new(),
            probe: None,
            probed: None,
        }
    }

    /// PostgreSQL's protocol carries at most 65,535 values per statement; say so
    /// plainly instead of the driver's protocol error.
    fn check_binding_count(text: &str, bindings: &[Value]) -> Result<(), DbError> {
        if bindings.len() <= MAX_BINDINGS {
            return Ok(());
        }
        let head: String = text.chars().take(120).collect();
        Err(DbError::decode(
            format!(
                "this statement has {} values, but PostgreSQL accepts at most {MAX_BINDINGS} in one statement: \
                 insert fewer rows at a time, or use `knex.batchInsert(table, rows, chunkSize)`",
                bindings.len()
            ),
            &format!("{head}…"),
        ))
    }

    fn note(&mut self, text: &str, bindings: &[Value]) {
        if !self.statements.is_empty() && !is_data_statement(text) {
            // DDL may change the column types a cached insert was prepared with.
            self.statements.clear();
        }
        if let Some(log) = self.log.as_mut() {
            log.statement(text, bindings);
        }
        if self.probe.is_some() {
            self.probed = Some(text.to_string());
        }
    }

    /// Runs statements sent ahead, in order, stopping at the first failure
    /// (the transaction is aborted then), which the next call reports.
    fn run_held(&mut self, held: Vec<(Sql, Option<String>)>) {
        for (sql, origin) in held {
            if self.deferred_error.is_some() {
                return;
            }
            if let Err(mut e) = self.execute(&sql) {
                e.origin = origin;
                self.deferred_error = Some(e);
            }
        }
    }

    /// Opens a transaction, or a savepoint inside the current one.
    pub fn begin(&mut self) -> Result<(), DbError> {
        let text = match self.depth {
            // The guard lets a failed transaction still deallocate (below).
            0 if self.pooled => format!("BEGIN{}; SAVEPOINT {POOL_GUARD}", self.preamble),
            0 => format!("BEGIN{}", self.preamble),
            n => format!("SAVEPOINT vectra_sp_{n}"),
        };
        self.batch(&text)?;
        self.depth += 1;
        Ok(())
    }

    /// Commits the innermost transaction level (`COMMIT` or `RELEASE SAVEPOINT`).
    pub fn commit(&mut self) -> Result<(), DbError> {
        self.end_level("COMMIT", "RELEASE SAVEPOINT")
    }

    /// Rolls the innermost transaction level back.
    pub fn rollback(&mut self) -> Result<(), DbError> {
        self.end_level("ROLLBACK", "ROLLBACK TO SAVEPOINT")
    }

    /// Ends the innermost level: `outer` for the transaction itself,
    /// `savepoint` followed by its name for a nested one.
    fn end_level(&mut self, outer: &str, savepoint: &str) -> Result<(), DbError> {
        let text = match self.depth {
            0 => return Ok(()),
            // Through a pooler, the driver's own type-lookup statements
            // (which it never closes) must not stay behind either: all go.
            // An aborted transaction first returns to the guard savepoint,
            // where `DEALLOCATE` may run.
            1 if self.pooled && outer == "ROLLBACK" => {
                self.close_named_statements();
                format!("ROLLBACK TO SAVEPOINT {POOL_GUARD}; DEALLOCATE ALL; ROLLBACK")
            }
            1 if self.pooled => {
                self.close_named_statements();
                format!("DEALLOCATE ALL; {outer}")
            }
            1 => {
                self.close_named_statements();
                outer.to_string()
            }
            n => format!("{savepoint} vectra_sp_{}", n - 1),
        };
        self.depth -= 1;
        self.batch(&text)
    }

    /// No named prepared statement may outlive its transaction: through a
    /// transaction pooler (PgBouncer before 1.21) the next transaction may run
    /// on another server connection, where the name is unknown, and the
    /// server connection this one leaves behind goes to another client, whose
    /// own `s0` would collide. Dropping them queues their `Close` ahead of
    /// the `COMMIT` / `ROLLBACK` about to be sent; the driver's type-lookup
    /// statements go the same way.
    fn close_named_statements(&mut self) {
        self.statements.clear();
        self.client.clear_type_cache();
    }

    /// True inside `BEGIN` … `COMMIT`.
    pub fn in_transaction(&self) -> bool {
        self.depth > 0
    }

    /// Runs statements that carry no values and return nothing of interest
    /// (`BEGIN`, DDL); several may be joined with `;`.
    pub fn batch(&mut self, text: &str) -> Result<(), DbError> {
        self.note(text, &[]);
        self.client
            .batch_execute(text)
            .map_err(|e| DbError::from_pg(e, text))
    }

    /// Runs a builder statement (`?` placeholders) and returns its rows.
    pub fn query(&mut self, sql: &Sql) -> Result<Vec<Row>, DbError> {
        let text = to_positional(&sql.text);
        self.query_positional(&text, &sql.bindings)
    }

    /// Runs a statement already numbered `$1…$n` and returns its rows.
    pub fn query_positional(
        &mut self,
        text: &str,
        bindings: &[Value],
    ) -> Result<Vec<Row>, DbError> {
        self.query_counted(text, bindings).map(|(rows, _)| rows)
    }

    /// Runs a statement already numbered `$1…$n`: its rows, and the row count
    /// PostgreSQL reports (rows affected by a write, returned by a read).
    pub fn query_counted(
        &mut self,
        text: &str,
        bindings: &[Value],
    ) -> Result<(Vec<Row>, u64), DbError> {
        Self::check_binding_count(text, bindings)?;
        self.note(text, bindings);
        let pg = |e| DbError::from_pg(e, text);
        let mut rows = Vec::new();
        let count = if let Some((statement, bindings)) = self.typed(text, bindings)? {
            let params: Vec<params::TextParam<'_>> =
                bindings.iter().map(params::TextParam).collect();
            let refs = params.iter().map(|p| p as &(dyn ToSql + Sync));
            let mut it = self.client.query_raw(&statement, refs).map_err(pg)?;
            while let Some(row) = it.next().map_err(pg)? {
                rows.push(row);
            }
            it.rows_affected()
        } else {
            let params: Vec<params::TextParam<'_>> =
                bindings.iter().map(params::TextParam).collect();
            let typed = params
                .iter()
                .map(|p| (p as &(dyn ToSql + Sync), Type::UNKNOWN));
            let mut it = self.client.query_typed_raw(text, typed).map_err(pg)?;
            while let Some(row) = it.next().map_err(pg)? {
                rows.push(row);
            }
            it.rows_affected()
        };
        let rows = decode::rows(&rows).map_err(|e| DbError::decode(e, text))?;
        let count = count.unwrap_or(rows.len() as u64);
        Ok((rows, count))
    }

    /// Executes a prepared statement with its values sent as text.
    fn execute_prepared(
        &mut self,
        statement: &postgres::Statement,
        bindings: &[Value],
        text: &str,
    ) -> Result<u64, DbError> {
        let params: Vec<params::TextParam<'_>> = bindings.iter().map(params::TextParam).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.client
            .execute(statement, &refs)
            .map_err(|e| DbError::from_pg(e, text))
    }

    /// Runs a builder statement and returns the number of rows it affected.
    pub fn execute(&mut self, sql: &Sql) -> Result<u64, DbError> {
        let text = to_positional(&sql.text);
        if sql.bindings.is_empty() {
            self.note(&text, &[]);
            let messages = self
                .client
                .simple_query(&text)
                .map_err(|e| DbError::from_pg(e, &text))?;
            return Ok(messages
                .iter()
                .rev()
                .find_map(|m| match m {
                    SimpleQueryMessage::CommandComplete(n) => Some(*n),
                    _ => None,
                })
                .unwrap_or(0));
        }
        Self::check_binding_count(&text, &sql.bindings)?;
        self.note(&text, &sql.bindings);
        if let Some((statement, bindings)) = self.typed(&text, &sql.bindings)? {
            return self.execute_prepared(&statement, &bindings, &text);
        }
        if let Some(statement) = self.cached(&text, sql.bindings.len())? {
            return self.execute_prepared(&statement, &sql.bindings, &text);
        }
        let params: Vec<params::TextParam<'_>> =
            sql.bindings.iter().map(params::TextParam).collect();
        let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
            .iter()
            .map(|p| (p as &(dyn ToSql + Sync), Type::UNKNOWN))
            .collect();
        // One round trip (no separate prepare); the command tag gives the count.
        let mut it = self
            .client
            .query_typed_raw(&text, typed.iter().map(|(p, t)| (*p, t.clone())))
            .map_err(|e| DbError::from_pg(e, &text))?;
        while let Some(_row) = it.next().map_err(|e| DbError::from_pg(e, &text))? {}
        Ok(it.rows_affected().unwrap_or(0))
    }

    /// A Lua sequence table is JSON for a json/jsonb parameter but a PostgreSQL
    /// array for a `text[]`/`int[]` one, and only the server knows which it
    /// inferred. So a statement with a JSON-array binding (and only such a
    /// statement) is prepared first, costing one extra round trip, and those
    /// bindings become arrays where the parameter is an array type.
    fn typed(
        &mut self,
        text: &str,
        bindings: &[Value],
    ) -> Result<Option<(postgres::Statement, Vec<Value>)>, DbError> {
        if !bindings
            .iter()
            .any(|b| matches!(b, Value::Json(serde_json::Value::Array(_))))
        {
            return Ok(None);
        }
        let statement = self
            .client
            .prepare(text)
            .map_err(|e| DbError::from_pg(e, text))?;
        let resolved = bindings
            .iter()
            .zip(statement.params())
            .map(|(value, ty)| match (value, ty.kind()) {
                (Value::Json(json @ serde_json::Value::Array(_)), Kind::Array(_)) => {
                    Value::from_json_array(json)
                }
                _ => value.clone(),
            })
            .collect();
        Ok(Some((statement, resolved)))
    }

    /// The prepared statement for a large insert that returns nothing, prepared
    /// on first use. A seed sends the same 1,000-row insert text again and again
    /// (only the values differ), and the server's parse of thousands of
    /// parameters costs more than the insert itself; a prepared statement is
    /// parsed once. Statements that return rows are never cached (a later DDL
    /// could change their result type), and any DDL empties the cache.
    fn cached(
        &mut self,
        text: &str,
        bindings: usize,
    ) -> Result<Option<postgres::Statement>, DbError> {
        let insert = text
            .get(..12)
            .is_some_and(|head| head.eq_ignore_ascii_case("insert into "));
        // Outside a transaction a pooler may run the next statement on another
        // server connection, which does not know this one.
        if bindings < CACHE_MIN_BINDINGS
            || !insert
            || text.contains(" returning ")
            || self.depth == 0
        {
            return Ok(None);
        }
        if let Some(at) = self.statements.iter().position(|(t, _)| t == text) {
            let entry = self.statements.remove(at);
            let statement = entry.1.clone();
            self.statements.push(entry);
            return Ok(Some(statement));
        }
        let statement = self
            .client
            .prepare(text)
            .map_err(|e| DbError::from_pg(e, text))?;
        if self.statements.len() >= CACHED_STATEMENTS {
            self.statements.remove(0);
        }
        self.statements.push((text.to_string(), statement.clone()));
        Ok(Some(statement))
    }

    /// Runs a simple (text protocol, no values) query and returns its rows as text.
    /// Used by the runner for its own catalog and ledger reads.
    pub fn simple_rows(&mut self, text: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        self.note(text, &[]);
        text_rows(&mut self.client, text)
    }
}

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
    /// How the connection reached the server (for the runner's lock).
    endpoint: Option<Endpoint>,
    /// [`Db::looks_pooled`], asked once.
    pooled: Option<Option<String>>,
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
            endpoint: None,
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

    pub fn set_endpoint(&mut self, endpoint: Endpoint) {
        self.endpoint = Some(endpoint);
    }

    /// Why the connection looks like it goes through a pooler (see
    /// [`connect::looks_pooled`]), or `None`: asked of the server once, and
    /// never for `direct_connection` or a connection made without an endpoint.
    pub fn looks_pooled(&mut self) -> Result<Option<String>, DbError> {
        if let Some(known) = &self.pooled {
            return Ok(known.clone());
        }
        let verdict = match self.endpoint.filter(|e| !e.direct) {
            None => None,
            Some(endpoint) => {
                let rows = self.simple_rows_unlogged(connect::POOLED_QUERY)?;
                let row = rows.first();
                let server_port = row.and_then(|r| r[0].as_deref()).unwrap_or_default();
                let client_on_socket = row.and_then(|r| r[1].as_deref()) == Some("t");
                connect::looks_pooled(endpoint, server_port, client_on_socket)
            }
        };
        let pooled = verdict.is_some();
        self.call(true, move |s| {
            s.pooled = pooled;
            Ok(())
        })?;
        self.pooled = Some(verdict.clone());
        Ok(verdict)
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
        if self.depth == 0 && self.pooled.is_none() {
            self.looks_pooled()?;
        }
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
        self.call(true, |s| {
            let log = s.log.take();
            let rows = s.simple_rows(text);
            s.log = log;
            rows
        })
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
