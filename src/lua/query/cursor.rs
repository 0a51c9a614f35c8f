//! `:cursor(n)`: a select read `n` rows at a time through a server-side
//! cursor (`DECLARE … NO SCROLL CURSOR FOR …`, `FETCH FORWARD n`, `CLOSE`),
//! so a loop can walk more rows than memory should hold:
//!
//! ```lua
//! for row in knex("items"):where("done", false):orderBy("id"):cursor(1000) do … end
//! ```
//!
//! A cursor without `WITH HOLD` lives in a transaction, so outside one (a file
//! with `transaction = false`) `:cursor()` is an error that says to wrap the
//! loop in `knex.transaction`; opening a transaction behind the user's back
//! would make the writes in the loop atomic in one file and not in another.
//! PostgreSQL cursors are insensitive: the loop sees the rows as they were
//! when the cursor was declared, so writes inside the loop (to the same rows
//! too) neither hide nor repeat a row. A cursor is closed as soon as the loop
//! has read its last row; one left unfinished (`break`) is closed when
//! `up` / `down` / `seed` returns ([`close_cursors`]).

use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use crate::lua::error::db_error;

/// Cursor names are unique in the process, so one file's cursor never meets
/// another's name in the same transaction.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Rows fetched per `FETCH` when `:cursor()` is given no size.
const DEFAULT_SIZE: usize = 1000;

struct Cursor {
    /// `vectra_cursor_N`: a plain identifier, the same quoted or not.
    name: String,
    size: usize,
    /// Fetched rows the loop has not yet seen.
    rows: std::vec::IntoIter<Row>,
    /// Declared and not yet closed.
    open: bool,
    /// The next `FETCH`, sent while the loop works on the rows before.
    ahead: Option<crate::db::Pending<Vec<Row>>>,
    /// The columns' names as Lua strings, made once per cursor.
    names: Vec<mlua::LuaString>,
    /// The line of `:cursor(n)`.
    location: Option<String>,
}

/// The cursors declared during one `up` / `down` / `seed` call.
#[derive(Default)]
pub(super) struct OpenCursors(RefCell<Vec<Rc<RefCell<Cursor>>>>);

/// `q:cursor(n)`: declares the cursor and returns the loop's iterator.
pub(super) fn open(lua: &Lua, ud: AnyUserData, args: MultiValue) -> mlua::Result<LuaValue> {
    let size = match args.front() {
        None | Some(LuaValue::Nil) => DEFAULT_SIZE,
        Some(LuaValue::Integer(n)) if *n > 0 => *n as usize,
        Some(other) => {
            return Err(usage_error(
                lua,
                format!(
                    "`cursor` expects the number of rows to fetch at a time (a positive integer), got {}",
                    describe(other)
                ),
            ))
        }
    };
    let (raw, location) = {
        let b = ud.borrow::<QueryBuilder>()?;
        b.used.set(true);
        if b.query.method != Method::Select {
            return Err(usage_error(
                lua,
                format!(
                    "`cursor` reads the rows of a select, but this query is a `{}`",
                    builder::method_name(&b.query.method)
                ),
            ));
        }
        (
            b.query.to_raw(),
            caller_location(lua).or(b.location.clone()),
        )
    };
    let raw = raw.map_err(|e| usage_error(lua, e.to_string()))?;
    if !with_db(lua, |db| Ok(db.in_transaction()))?.unwrap_or(false) {
        return Err(usage_error(
            lua,
            "`cursor` needs a transaction (a server-side cursor lives in one), and this file runs \
             with `transaction = false`: put the loop inside `knex.transaction(function(trx) … end)`",
        ));
    }
    let name = format!("vectra_cursor_{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let declare = Sql::new(
        format!("DECLARE {name} NO SCROLL CURSOR FOR {}", raw.sql),
        raw.bindings,
    );
    with_db(lua, |db| db.execute(&declare))?.map_err(|e| db_error_at(location.clone(), e))?;
    let cursor = Rc::new(RefCell::new(Cursor {
        name,
        size,
        rows: Vec::new().into_iter(),
        open: true,
        ahead: None,
        names: Vec::new(),
        location,
    }));
    if let Some(open) = lua.app_data_ref::<OpenCursors>() {
        open.0.borrow_mut().push(cursor.clone());
    }
    let next = lua.create_function(move |lua, ()| next_row(lua, &cursor))?;
    Ok(LuaValue::Function(next))
}

/// The loop's next row, fetching the next `n` when the last ones are used up;
/// nil at the end. Inside a transaction (and unless statements are printed)
/// the `FETCH` after a full one is sent at once, so the server reads the next
/// rows while Lua works on these; the cursor's snapshot makes the rows the
/// same as those of a `FETCH` sent after the loop's writes.
fn next_row(lua: &Lua, cursor: &RefCell<Cursor>) -> mlua::Result<LuaValue> {
    let mut c = cursor.borrow_mut();
    loop {
        if let Some(row) = c.rows.next() {
            if c.names.len() != row.columns.len() {
                c.names = row
                    .columns
                    .iter()
                    .map(|name| lua.create_string(name))
                    .collect::<mlua::Result<_>>()?;
            }
            let t = named_row_to_lua(lua, c.names.iter(), &row.values)?;
            return Ok(LuaValue::Table(t));
        }
        if !c.open {
            return Ok(LuaValue::Nil);
        }
        let fetch = Sql::new(format!("FETCH FORWARD {} FROM {}", c.size, c.name), vec![]);
        let ahead = c.ahead.take();
        let rows = with_db(lua, |db| match ahead {
            Some(pending) => db.collect(pending).inspect_err(|_| {
                // Reported here: the copy kept for the next call is spent.
                let _ = db.flush();
            }),
            None => db.query(&fetch),
        })?
        .map_err(|e| db_error(lua, e))?;
        if rows.len() < c.size {
            // The last rows: close the cursor without waiting for it.
            c.open = false;
            let close = Sql::new(format!("CLOSE {}", c.name), vec![]);
            with_db(lua, |db| db.defer(&close, caller_location(lua)))?
                .map_err(|e| db_error(lua, e))?;
        } else {
            let origin = caller_location(lua);
            c.ahead = with_db(lua, |db| {
                db.sends_ahead()
                    .then(|| db.query_ahead(&fetch, origin))
                    .transpose()
            })?
            .map_err(|e| db_error(lua, e))?;
        }
        c.rows = rows.into_iter();
    }
}

/// After `up` / `down` / `seed` returned: closes the cursors a loop left
/// unfinished. A savepoint rolled back (a failed `knex.transaction`) has
/// closed those declared inside it, so only those the server still has are
/// closed.
pub fn close_cursors(lua: &Lua) -> mlua::Result<()> {
    let unfinished: Vec<(String, Option<String>)> = match lua.app_data_ref::<OpenCursors>() {
        Some(open) => open
            .0
            .borrow_mut()
            .drain(..)
            .filter_map(|c| {
                let c = c.borrow();
                c.open.then(|| (c.name.clone(), c.location.clone()))
            })
            .collect(),
        None => return Ok(()),
    };
    let Some((_, location)) = unfinished.first() else {
        return Ok(());
    };
    let names: Vec<String> = unfinished
        .iter()
        .map(|(name, _)| format!("'{name}'"))
        .collect();
    let list = format!(
        "select name from pg_cursors where name in ({})",
        names.join(", ")
    );
    with_db(lua, |db| {
        let still_open = db.simple_rows(&list)?;
        let close: Vec<String> = still_open
            .into_iter()
            .filter_map(|row| row.into_iter().next().flatten())
            .map(|name| format!("CLOSE {name}"))
            .collect();
        if close.is_empty() {
            return Ok(());
        }
        db.batch(&close.join("; "))
    })?
    .map_err(|e| db_error_at(location.clone(), e))
}
