//! `knex.batchInsert(table, rows, chunkSize)` and `knex.batchInsert(table,
//! producer, chunkSize)`: rows read a window at a time (through the same
//! reader as `insert`), each window planned by [`BatchInsert::plan`] — `COPY`
//! for runs of plain rows without `returning`, chunked inserts otherwise —
//! and that one plan is what `:toSQL()` shows and `:run()` sends.
//!
//! `COPY` data goes to the connection thread a window at a time while Lua
//! reads (or produces) the next window; consecutive windows with the same
//! `COPY` statement feed one `COPY`. So memory holds a window of rows, never
//! the whole batch, and a producer's rows need never exist all at once.

use super::*;
use crate::api::BatchOp;
use crate::lua::call::once_per_state;

/// Rows read (and planned) at once: about this many, rounded up to whole
/// chunks so inserts split at the same rows as one plan of the whole batch.
const WINDOW_ROWS: usize = 1000;

/// Calls a producer up to `n` times; returns the rows, their count, and
/// whether the producer said it had no more (returned nil). A Lua loop, so a
/// row costs a Lua call rather than a call from Rust.
const FILL: &str = r#"
return function(producer, n)
  local rows = {}
  for i = 1, n do
    local row = producer()
    if row == nil then return rows, i - 1, true end
    rows[i] = row
  end
  return rows, n, false
end
"#;

// knex.batchInsert

/// Where a batch's rows come from.
pub(super) enum RowSource {
    /// A Lua sequence of rows (or one row).
    Rows(Table),
    /// A function returning the next row, or nil after the last.
    Producer(Function),
}

/// A window of a producer's rows taken by `:toSQL()`: the rows table, how
/// many it holds, and whether the producer has ended.
type Produced = (Table, usize, bool);

/// `knex.batchInsert(table, rows, chunkSize)`: a value until `:run()`. The
/// rows are read when it runs (as Knex reads them after `await`).
pub struct BatchInsertValue {
    pub(super) table: String,
    pub(super) source: RowSource,
    pub(super) chunk_size: usize,
    pub(super) returning: Vec<String>,
    /// The first window of a producer, read by `:toSQL()` and sent first by `:run()`.
    pub(super) taken: RefCell<Option<Produced>>,
    pub(super) used: Rc<Cell<bool>>,
    pub(super) location: Option<String>,
}

/// The rows of a batch, one window at a time.
struct Windows<'a> {
    value: &'a BatchInsertValue,
    /// Rows per window (whole chunks).
    size: usize,
    /// The next row of a sequence (1-based), and its length.
    next: usize,
    len: usize,
    done: bool,
    /// Leave a producer's window taken by `:toSQL()` in place.
    keep: bool,
}

impl Windows<'_> {
    fn new(value: &BatchInsertValue) -> Windows<'_> {
        let chunk = value.chunk_size.max(1);
        let len = match &value.source {
            RowSource::Rows(t) => t.raw_len(),
            RowSource::Producer(_) => 0,
        };
        Windows {
            value,
            size: WINDOW_ROWS.div_ceil(chunk) * chunk,
            next: 1,
            len,
            done: false,
            keep: false,
        }
    }

    /// The next window's rows, or `None` after the last.
    fn next(&mut self, lua: &Lua) -> mlua::Result<Option<Vec<InsertRow>>> {
        if self.done {
            return Ok(None);
        }
        match &self.value.source {
            // `{ col = value }` alone is one row; `{}` none.
            RowSource::Rows(t) if self.len == 0 => {
                self.done = true;
                rows_of(lua, t, "batchInsert").map(Some)
            }
            RowSource::Rows(t) => {
                let last = (self.next + self.size - 1).min(self.len);
                let rows = rows_in(lua, t, self.next, last, "batchInsert")?;
                self.next = last + 1;
                self.done = self.next > self.len;
                Ok(Some(rows))
            }
            RowSource::Producer(producer) => {
                // `:toSQL()` leaves the window it read for `:run()`.
                let taken = if self.keep {
                    self.value.taken.borrow().clone()
                } else {
                    self.value.taken.borrow_mut().take()
                };
                let (rows, n, ended) = match taken {
                    Some(window) => window,
                    None => produce(lua, producer, self.size)?,
                };
                self.done = ended;
                if n == 0 {
                    return Ok(None);
                }
                rows_in(lua, &rows, 1, n, "batchInsert").map(Some)
            }
        }
    }
}

/// Up to `n` rows from `producer` (see [`FILL`]).
fn produce(lua: &Lua, producer: &Function, n: usize) -> mlua::Result<Produced> {
    let fill: Function = once_per_state(lua, "vectra.batchInsert.fill", |lua| {
        lua.load(FILL).set_name("=batchInsert").eval()
    })?;
    fill.call((producer, n))
}

impl BatchInsertValue {
    fn batch(&self, rows: Vec<InsertRow>) -> BatchInsert {
        BatchInsert {
            table: self.table.clone(),
            schema: None,
            rows,
            chunk_size: self.chunk_size,
            returning: self.returning.clone(),
        }
    }
}

impl UserData for BatchInsertValue {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        add_methods(
            m,
            Builder::BatchInsert,
            api::BATCH,
            batch_method,
            |lua, _, key| unknown_method(lua, Builder::BatchInsert, key),
        );
    }
}

fn batch_method(
    lua: &Lua,
    ud: AnyUserData,
    method: &'static api::Method<BatchOp>,
    mut args: MultiValue,
) -> mlua::Result<LuaValue> {
    match method.op {
        BatchOp::Returning => {
            let cols = args.pop_front().unwrap_or(LuaValue::Nil);
            let names = names(lua, &cols, method.name)?;
            ud.borrow_mut::<BatchInsertValue>()?.returning = names;
            Ok(LuaValue::UserData(ud))
        }
        BatchOp::ToSql => Ok(LuaValue::Table(
            ud.borrow::<BatchInsertValue>()?.to_sql(lua)?,
        )),
        BatchOp::Run => ud.borrow::<BatchInsertValue>()?.run(lua),
        BatchOp::Accepted => Ok(LuaValue::UserData(ud)),
    }
}

impl BatchInsertValue {
    /// The statements `:run()` sends, one `COPY` for consecutive windows that
    /// share it. A producer is asked for its first window only (kept for
    /// `:run()`): the rest follow the same plan window by window.
    fn to_sql(&self, lua: &Lua) -> mlua::Result<Table> {
        self.used.set(true);
        if let RowSource::Producer(producer) = &self.source {
            let mut taken = self.taken.borrow_mut();
            if taken.is_none() {
                *taken = Some(produce(lua, producer, Windows::new(self).size)?);
            }
        }
        let out = lua.create_table()?;
        let mut open_copy: Option<String> = None;
        let mut windows = Windows::new(self);
        windows.keep = true;
        while let Some(rows) = windows.next(lua)? {
            let batch = self.batch(rows);
            let plan = batch.plan().map_err(|e| usage_error(lua, e.to_string()))?;
            for step in plan {
                let raw = match step {
                    BatchStep::Copy { statement, .. } => {
                        if open_copy.as_deref() == Some(statement.as_str()) {
                            continue;
                        }
                        open_copy = Some(statement.clone());
                        Raw::verbatim(statement)
                    }
                    BatchStep::Insert(raw) => {
                        open_copy = None;
                        raw
                    }
                };
                out.raw_set(out.raw_len() + 1, to_sql_table(lua, &raw)?)?;
            }
            if matches!(self.source, RowSource::Producer(_)) {
                break;
            }
        }
        Ok(out)
    }

    fn run(&self, lua: &Lua) -> mlua::Result<LuaValue> {
        self.used.set(true);
        let at = || caller_location(lua).or(self.location.clone());
        // All chunks or none, as Knex's own transaction around batchInsert.
        with_db(lua, |db| db.begin())?.map_err(|e| db_error_at(at(), e))?;
        let mut count = 0u64;
        let mut returned = Vec::new();
        let sent = self.send(lua, &mut count, &mut returned);
        let result = match sent {
            Ok(()) => with_db(lua, |db| db.end_copy().and_then(|()| db.commit()))?
                .map_err(|e| db_error_at(at(), e)),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            let _ = with_db(lua, |db| db.rollback());
            return Err(e);
        }
        if self.returning.is_empty() {
            Ok(LuaValue::Integer(i64::try_from(count).unwrap_or(i64::MAX)))
        } else {
            Ok(LuaValue::Table(rows_to_lua(lua, &returned)?))
        }
    }

    /// Sends every window's plan. `COPY` rows are counted as sent: a `COPY`
    /// loads all its rows or fails.
    fn send(&self, lua: &Lua, count: &mut u64, returned: &mut Vec<Row>) -> mlua::Result<()> {
        let at = || caller_location(lua).or(self.location.clone());
        let mut windows = Windows::new(self);
        while let Some(rows) = windows.next(lua)? {
            let batch = self.batch(rows);
            let plan = batch.plan().map_err(|e| usage_error(lua, e.to_string()))?;
            for step in plan {
                let sent = match step {
                    BatchStep::Copy {
                        statement,
                        rows: data,
                    } => {
                        let mut buffer = Vec::with_capacity(data.len() * 32);
                        encode_copy_rows(data, &mut buffer);
                        *count += data.len() as u64;
                        with_db(lua, |db| db.copy_rows(&statement, buffer, at()))?
                    }
                    BatchStep::Insert(raw) => {
                        let sql = Sql::new(raw.sql, raw.bindings);
                        with_db(lua, |db| {
                            if self.returning.is_empty() {
                                *count += db.execute(&sql)?;
                            } else {
                                returned.extend(db.query(&sql)?);
                            }
                            Ok(())
                        })?
                    }
                };
                sent.map_err(|e| db_error_at(at(), e))?;
            }
        }
        Ok(())
    }
}
