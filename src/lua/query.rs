//! `knex(table)` queries, `knex.raw(...)`, `knex.batchInsert(...)` and
//! `knex.transaction(...)`: the Lua side of the query builder (SPEC §7.2).
//!
//! A query is a value until `:run()`: each method records into a
//! [`Query`] and returns the same builder, and only
//! `:run()` sends SQL. Every query, raw fragment and batch insert remembers the
//! line that built it; one built and neither run nor used inside another
//! statement is an error when `up` / `down` / `seed` returns
//! ([`check_forgotten`]). Rendering lives in `crate::sql::query`; this module
//! only parses Lua arguments (`args`), keeps the builder userdata (`builder`,
//! `join`), runs statements (`run`, `batch`, `raw`) and maps results back to Lua.
//! This file holds the forgotten-query check and the functions the `knex`
//! module calls to start queries and values (`crate::lua::knex` registers them).

// `DbError` is large, but it exists only on the failure path, once per run.
#![allow(clippy::result_large_err)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use mlua::{
    AnyUserData, Function, Lua, MetaMethod, MultiValue, Table, UserData, UserDataMethods,
    Value as LuaValue,
};

use super::call::ScriptContext;
use super::call::{add_methods, describe, unknown_method};
use super::error::{caller_location, db_error_at, usage_error};
use super::value::{fragment, is_null_marker, to_lua, to_value};
use crate::api::{self, Builder, QueryOp};
use crate::db::Row;
use crate::sql::query::{
    encode_copy_rows, operator, AggregateArg, BatchInsert, BatchStep, Clause, Column, Cond,
    ConflictAction, ConflictTarget, Cte, InList, InsertBody, Join, JoinItem, Limit, Lock, Method,
    OnConflict, Operand, Order, Query, SetExpr, Source, Union,
};
use crate::sql::raw::RawBinding;
use crate::sql::{Raw, Sql, Value};

/// Queries built during one `up`/`down`/`seed` call, to catch a forgotten `:run()`.
#[derive(Default)]
struct Pending(RefCell<Vec<PendingEntry>>);

/// A value's "used" flag and the `file:line` that built it.
type PendingEntry = (Rc<Cell<bool>>, Option<String>);

/// A fresh "used" flag for a value built at the caller's line, registered as pending.
fn track(lua: &Lua) -> (Rc<Cell<bool>>, Option<String>) {
    let used = Rc::new(Cell::new(false));
    let location = caller_location(lua);
    if let Some(p) = lua.app_data_ref::<Pending>() {
        p.0.borrow_mut().push((used.clone(), location.clone()));
    }
    (used, location)
}

/// After `up`/`down`/`seed` returned: a query built and never run is an error.
pub fn check_forgotten(lua: &Lua) -> mlua::Result<()> {
    let Some(pending) = lua.app_data_ref::<Pending>() else {
        return Ok(());
    };
    let forgotten = pending
        .0
        .borrow_mut()
        .drain(..)
        .find(|(used, _)| !used.get())
        .map(|(_, loc)| loc);
    match forgotten {
        None => Ok(()),
        Some(location) => Err(mlua::Error::external(super::error::BridgeError {
            location,
            message:
                "this query was built but never run: add `:run()` (where Knex code says `await`)"
                    .into(),
            db: None,
        })),
    }
}

mod apply;
mod args;
mod batch;
mod builder;
mod cursor;
mod join;
mod raw;
mod rows;
mod run;

use apply::*;
use args::*;

use join::*;
use rows::*;
use run::*;

pub use batch::BatchInsertValue;
pub use builder::QueryBuilder;
pub use cursor::close_cursors;
pub use join::JoinBuilder;
use raw::compile_raw;
pub use raw::{as_subquery, RawQuery};

/// The raw fragment inside `v` (`knex.raw(...)`, `knex.fn.now()`, `knex.ref(...)`,
/// a query builder as a subquery), if `v` is one. Using a `knex.raw` value or a
/// query this way counts as running it.
pub fn as_raw(v: &LuaValue) -> Option<Raw> {
    fragment(v).or_else(|| as_subquery(v))
}

/// Starts tracking queries for one `up` / `down` / `seed` call: a fresh list,
/// so a call that failed leaves nothing behind for the next one.
pub fn begin_tracking(lua: &Lua) {
    lua.set_app_data(Pending::default());
    lua.set_app_data(cursor::OpenCursors::default());
}

/// `knex("users")` / `knex()`: a new query, pending until run or used.
pub fn start(lua: &Lua, table: Option<&LuaValue>) -> mlua::Result<AnyUserData> {
    let mut query = Query::default();
    if let Some(table) = table.filter(|t| !t.is_nil()) {
        query.from = Some(source_of(lua, Some(table), "knex")?);
    }
    lua.create_userdata(QueryBuilder::tracked(lua, query))
}

/// `knex.raw(sql, bindings)`.
pub fn raw_value(lua: &Lua, sql: &str, bindings: Option<LuaValue>) -> mlua::Result<AnyUserData> {
    let raw = compile_raw(lua, sql, bindings)?;
    let (used, location) = track(lua);
    lua.create_userdata(RawQuery {
        raw,
        location,
        used,
    })
}

/// `knex.batchInsert(table, rows, chunkSize)`, or with a function producing
/// the rows one by one instead of `rows`.
pub fn batch_insert(
    lua: &Lua,
    table: String,
    rows: LuaValue,
    chunk: Option<i64>,
) -> mlua::Result<AnyUserData> {
    let chunk_size = match chunk {
        None => 1000,
        Some(n) if n > 0 => n as usize,
        Some(n) => {
            return Err(usage_error(
                lua,
                format!("`batchInsert` chunk size must be positive, got {n}"),
            ))
        }
    };
    let source = match rows {
        LuaValue::Table(t) => batch::RowSource::Rows(t),
        LuaValue::Function(f) => batch::RowSource::Producer(f),
        other => {
            return Err(usage_error(
                lua,
                format!(
                    "`batchInsert` expects a list of rows or a function returning the next row (nil at the end), got {}",
                    describe(&other)
                ),
            ))
        }
    };
    let (used, location) = track(lua);
    lua.create_userdata(BatchInsertValue {
        table,
        source,
        chunk_size,
        returning: Vec::new(),
        taken: RefCell::new(None),
        used,
        location,
    })
}

/// `knex.transaction(f)`: `f(trx)` inside a savepoint; an error rolls back
/// to it and is raised again. `trx` is made by the caller (the `knex` module).
pub fn transaction(lua: &Lua, f: Function, trx: Table) -> mlua::Result<MultiValue> {
    with_db(lua, |db| db.begin())?.map_err(|e| super::error::db_error(lua, e))?;
    match f.call::<MultiValue>(trx) {
        Ok(values) => {
            with_db(lua, |db| db.commit())?.map_err(|e| super::error::db_error(lua, e))?;
            Ok(values)
        }
        Err(err) => {
            // Roll back to the savepoint; the original error is what the user needs.
            let _ = with_db(lua, |db| db.rollback());
            Err(err)
        }
    }
}
