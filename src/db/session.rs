//! The connection itself and the way one statement goes through it: the
//! transaction levels, the statement cache, the per-statement log and probe.
//! [`super::Db`] decides on which thread and when each call runs.

// See `super`: `DbError` is large by design, built only on the failure path.
#![allow(clippy::result_large_err)]

use tokio_postgres::types::{Kind, ToSql, Type};
use tokio_postgres::SimpleQueryMessage;

use super::client::Client;

use super::probe::{text_rows, StatementProbe};
use super::{decode, params, DbError};
use crate::sql::raw::to_positional;
use crate::sql::{Sql, Value};

/// Whether `text` may end the transaction or return to a savepoint, judged
/// by its words (`COMMIT`, `END`, `ROLLBACK`, `SAVEPOINT`, …, also inside a
/// `DO` block or a string: a false alarm only costs a round trip).
fn may_end_transaction(text: &str) -> bool {
    const WORDS: [&str; 9] = [
        "abort",
        "begin",
        "commit",
        "end",
        "prepare",
        "release",
        "rollback",
        "savepoint",
        "start",
    ];
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|word| WORDS.iter().any(|w| word.eq_ignore_ascii_case(w)))
}

/// True for statements that read or write rows but change no table definitions.
fn is_data_statement(text: &str) -> bool {
    matches!(
        crate::sql::first_word(text).as_str(),
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
    pub(super) client: Client,
    /// Open transaction levels: 0 none, 1 `BEGIN`, 2+ savepoints.
    pub(super) depth: usize,
    /// Receives every statement sent (when `-v` or `--dry-run` asks for them).
    pub(super) log: Option<Box<dyn StatementLog + Send>>,
    /// Large inserts already prepared, by SQL text (see [`Session::typed`]).
    pub(super) statements: Vec<(String, tokio_postgres::Statement)>,
    /// The first error of a statement sent ahead; reported by the next call.
    pub(super) deferred_error: Option<DbError>,
    /// The connection looks pooled ([`Db::looks_pooled`]): every transaction
    /// ends by deallocating the driver's named statements on its server connection.
    pub(super) pooled: bool,
    /// `; SET LOCAL …` sent with every outermost `BEGIN` ([`Db::set_transaction_settings`]).
    pub(super) preamble: String,
    /// `migrate:plan`: looks at the session after each statement, and the
    /// text of the statement it has not seen yet.
    pub(super) probe: Option<Box<dyn StatementProbe>>,
    pub(super) probed: Option<String>,
}

/// Deallocates the driver's named statements (`s0`, `s1`, …) on this server
/// connection, and nothing else: a pooler that tracks prepared statements
/// itself (PgBouncer 1.21+) keeps its own under other names.
const DEALLOCATE_OURS: &str = "DO $$DECLARE n text; BEGIN FOR n IN SELECT name FROM pg_prepared_statements WHERE name ~ '^s[0-9]+$' LOOP EXECUTE format('DEALLOCATE %I', n); END LOOP; END$$";

/// The savepoint opened right after `BEGIN` on a pooled connection.
const POOL_GUARD: &str = "vectra_pool_guard";

/// The most values one statement can carry (the protocol counts them in 16 bits).
const MAX_BINDINGS: usize = 65_535;

/// How many prepared inserts are kept; a seed repeats one or two shapes.
const CACHED_STATEMENTS: usize = 16;

/// Inserts with at least this many values are worth preparing once: parsing a
/// 1,000-row insert costs the server more than running it.
const CACHE_MIN_BINDINGS: usize = 64;

impl Session {
    pub(super) fn new(client: Client) -> Session {
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

    pub(super) fn note(&mut self, text: &str, bindings: &[Value]) {
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

    /// Runs statements sent ahead (none carries values), in order, stopping
    /// at the first failure, which the next call reports. They go to the
    /// server together, in one round trip ([`Client::batch_execute_each`]):
    /// the server still runs them one by one, and once one fails the
    /// transaction is aborted, so the ones after it fail too and change
    /// nothing, as if never sent. That holds only while none of them can end
    /// the transaction or return to a savepoint (a raw `COMMIT`, `ROLLBACK
    /// TO SAVEPOINT`): such a statement runs alone, once those before it
    /// are confirmed, and those after it wait for it.
    pub(super) fn run_held(&mut self, held: Vec<(Sql, Option<String>)>) {
        let mut rest = held.as_slice();
        while !rest.is_empty() && self.deferred_error.is_none() {
            let together = if may_end_transaction(&rest[0].0.text) {
                1
            } else {
                1 + rest[1..]
                    .iter()
                    .take_while(|(sql, _)| !may_end_transaction(&sql.text))
                    .count()
            };
            let (group, after) = rest.split_at(together);
            rest = after;
            let texts: Vec<String> = group
                .iter()
                .map(|(sql, _)| to_positional(&sql.text))
                .collect();
            for text in &texts {
                self.note(text, &[]);
            }
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            if let Err((i, e)) = self.client.batch_execute_each(&refs) {
                let mut e = DbError::from_pg(e, &texts[i]);
                e.origin = group[i].1.clone();
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
            // (which it never closes) must not stay behind either: every
            // statement named as the driver names them goes. An aborted
            // transaction first returns to the guard savepoint, where
            // `DEALLOCATE` may run.
            1 if self.pooled && outer == "ROLLBACK" => {
                self.close_named_statements();
                format!("ROLLBACK TO SAVEPOINT {POOL_GUARD}; {DEALLOCATE_OURS}; ROLLBACK")
            }
            1 if self.pooled => {
                self.close_named_statements();
                format!("{DEALLOCATE_OURS}; {outer}")
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

    /// No named prepared statement of ours may outlive its transaction:
    /// through a transaction pooler (PgBouncer before 1.21) the next
    /// transaction may run on another server connection, where the name is
    /// unknown, and the server connection this one leaves behind goes to
    /// another client, whose own `s0` would collide. Dropping them queues
    /// their `Close` ahead of the `COMMIT` / `ROLLBACK` about to be sent.
    /// (The driver's type-lookup statements cannot be closed this way: it
    /// keeps them for the connection's life; see `DEALLOCATE_OURS`.)
    fn close_named_statements(&mut self) {
        self.statements.clear();
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
        let (rows, count) = if let Some((statement, bindings)) = self.typed(text, bindings)? {
            let params: Vec<params::TextParam<'_>> =
                bindings.iter().map(params::TextParam).collect();
            let refs: Vec<&(dyn ToSql + Sync)> =
                params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
            self.client.query_raw(&statement, &refs).map_err(pg)?
        } else {
            let params: Vec<params::TextParam<'_>> =
                bindings.iter().map(params::TextParam).collect();
            let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
                .iter()
                .map(|p| (p as &(dyn ToSql + Sync), Type::UNKNOWN))
                .collect();
            self.client.query_typed_raw(text, &typed).map_err(pg)?
        };
        let rows = decode::rows(&rows).map_err(|e| DbError::decode(e, text))?;
        let count = count.unwrap_or(rows.len() as u64);
        Ok((rows, count))
    }

    /// Executes a prepared statement with its values sent as text.
    fn execute_prepared(
        &mut self,
        statement: &tokio_postgres::Statement,
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
        let (_, count) = self
            .client
            .query_typed_raw(&text, &typed)
            .map_err(|e| DbError::from_pg(e, &text))?;
        Ok(count.unwrap_or(0))
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
    ) -> Result<Option<(tokio_postgres::Statement, Vec<Value>)>, DbError> {
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
    ) -> Result<Option<tokio_postgres::Statement>, DbError> {
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

#[cfg(test)]
mod tests {
    #[test]
    fn statements_that_may_end_the_transaction_are_told_by_their_words() {
        for text in [
            "COMMIT",
            "end",
            "rollback to savepoint s",
            "create table a (id int); commit",
            "DO $$ BEGIN PERFORM 1; END $$",
            "do $$begin perform 1; end$$",
            "PREPARE TRANSACTION 'x'",
            "release savepoint s",
            "start transaction",
            "abort",
        ] {
            assert!(super::may_end_transaction(text), "{text}");
        }
        for text in [
            "create table \"t0\" (\"id\" serial primary key, \"ended_at\" timestamptz)",
            "create index \"t0_name_index\" on \"t0\" (\"name\")",
            "alter table \"releases\" add column \"start_at\" date",
            "drop table \"committee\"",
        ] {
            assert!(!super::may_end_transaction(text), "{text}");
        }
    }
}
