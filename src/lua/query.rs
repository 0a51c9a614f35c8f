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
//! This file holds the method lists, the forgotten-query check and `register`.

// `DbError` is large, but it exists only on the failure path, once per run.
#![allow(clippy::result_large_err)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use mlua::{
    AnyUserData, Function, Lua, MetaMethod, MultiValue, ObjectLike, Table, UserData,
    UserDataMethods, Value as LuaValue,
};

use super::error::{caller_location, db_error_at, usage_error};
use super::knex::module_fn;
use super::value::{as_raw, is_null_marker, to_lua, to_value};
use super::{describe, ScriptContext};
use crate::db::Row;
use crate::sql::query::{
    encode_copy_rows, escape_copy, operator, AggregateArg, BatchInsert, BatchStep, Clause, Column,
    Cond, ConflictAction, ConflictTarget, Cte, InList, InsertBody, Join, JoinItem, Limit, Lock,
    LockMode, Method, OnConflict, Operand, Order, Query, SetExpr, Source, Union,
};
use crate::sql::raw::RawBinding;
use crate::sql::{Raw, Sql, Value};

/// Every method a query builder answers to (kept in step with the registrations
/// below by a debug assertion, and with the docs by `tests/query_exec.rs`).
pub const QUERY_METHODS: &[&str] = &[
    "select",
    "column",
    "columns",
    "distinct",
    "distinctOn",
    "first",
    "pluck",
    "count",
    "countDistinct",
    "min",
    "max",
    "sum",
    "sumDistinct",
    "avg",
    "avgDistinct",
    "from",
    "into",
    "table",
    "withSchema",
    "as",
    "where",
    "andWhere",
    "orWhere",
    "whereNot",
    "andWhereNot",
    "orWhereNot",
    "whereIn",
    "orWhereIn",
    "whereNotIn",
    "orWhereNotIn",
    "whereNull",
    "orWhereNull",
    "whereNotNull",
    "orWhereNotNull",
    "whereBetween",
    "orWhereBetween",
    "whereNotBetween",
    "orWhereNotBetween",
    "whereLike",
    "orWhereLike",
    "whereILike",
    "orWhereILike",
    "whereExists",
    "orWhereExists",
    "whereNotExists",
    "orWhereNotExists",
    "whereRaw",
    "orWhereRaw",
    "whereColumn",
    "orWhereColumn",
    "whereJsonPath",
    "whereJsonObject",
    "whereJsonSupersetOf",
    "whereJsonSubsetOf",
    "join",
    "innerJoin",
    "leftJoin",
    "leftOuterJoin",
    "rightJoin",
    "rightOuterJoin",
    "fullOuterJoin",
    "crossJoin",
    "joinRaw",
    "orderBy",
    "orderByRaw",
    "groupBy",
    "groupByRaw",
    "having",
    "orHaving",
    "havingRaw",
    "orHavingRaw",
    "havingIn",
    "havingNotIn",
    "havingNull",
    "havingNotNull",
    "havingBetween",
    "havingNotBetween",
    "limit",
    "offset",
    "insert",
    "update",
    "del",
    "delete",
    "truncate",
    "returning",
    "onConflict",
    "merge",
    "ignore",
    "increment",
    "decrement",
    "updateFrom",
    "with",
    "withRecursive",
    "withMaterialized",
    "withNotMaterialized",
    "union",
    "unionAll",
    "forUpdate",
    "forShare",
    "forNoKeyUpdate",
    "forKeyShare",
    "skipLocked",
    "noWait",
    "clearSelect",
    "clearWhere",
    "clearOrder",
    "clearGroup",
    "clearHaving",
    "modify",
    "timeout",
    "transacting",
    "jsonExtract",
    "columnInfo",
    "upsert",
    "toSQL",
    "run",
];

/// Functions of the `knex` module this file registers (`knex.raw`, …).
pub const KNEX_FUNCTIONS: &[&str] = &[
    "raw",
    "batchInsert",
    "transaction",
    "select",
    "from",
    "table",
    "into",
    "with",
    "withRecursive",
    "withSchema",
    "queryBuilder",
    "ref",
    "jsonArray",
    "jsonObject",
    "null",
    "fn",
];

/// Methods of a join callback's argument (`join("a", function(j) j:on(…) end)`).
pub const JOIN_METHODS: &[&str] = &[
    "on",
    "andOn",
    "orOn",
    "onVal",
    "andOnVal",
    "orOnVal",
    "onIn",
    "andOnIn",
    "orOnIn",
    "onNotIn",
    "orOnNotIn",
    "onNull",
    "andOnNull",
    "orOnNull",
    "onNotNull",
    "andOnNotNull",
    "orOnNotNull",
    "onBetween",
    "orOnBetween",
    "onNotBetween",
    "orOnNotBetween",
];

/// Methods of `knex.raw(...)` values and of `knex.batchInsert(...)`.
pub const RAW_METHODS: &[&str] = &["run", "toSQL"];
pub const BATCH_METHODS: &[&str] = &["returning", "run", "toSQL"];

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

mod args;
mod batch;
mod builder;
mod join;
mod raw;
mod run;

use args::*;
use builder::*;
use join::*;
use run::*;

pub use batch::BatchInsertValue;
pub use builder::QueryBuilder;
pub use join::JoinBuilder;
use raw::compile_raw;
pub use raw::{as_subquery, RawQuery};

pub fn register(lua: &Lua, knex: &Table) -> mlua::Result<()> {
    // A fresh list for each `up` / `down` / `seed` call, so a call that failed
    // leaves nothing behind for the next one (`knex.transaction` keeps its caller's).
    lua.set_app_data(Pending::default());
    // `knex("users")` starts a query.
    let meta = match knex.metatable() {
        Some(m) => m,
        None => {
            let m = lua.create_table()?;
            knex.set_metatable(Some(m.clone()))?;
            m
        }
    };
    meta.raw_set(
        "__call",
        lua.create_function(|lua, (_, table): (LuaValue, LuaValue)| {
            let mut query = Query::default();
            if !table.is_nil() {
                query.from = Some(source_of(lua, Some(&table), "knex")?);
            }
            lua.create_userdata(QueryBuilder::tracked(lua, query))
        })?,
    )?;

    module_fn(
        lua,
        knex,
        "raw",
        |lua, (sql, bindings): (String, Option<LuaValue>)| {
            let raw = compile_raw(lua, &sql, bindings)?;
            let (used, location) = track(lua);
            lua.create_userdata(RawQuery {
                raw,
                location,
                used,
            })
        },
    )?;

    // Module-level starts of a query: `knex.select("id"):from("users")`, and
    // the where-only queries Knex takes as index predicates
    // (`predicate = knex.whereNotNull("a")`).
    for name in [
        "select",
        "from",
        "table",
        "into",
        "with",
        "withRecursive",
        "withSchema",
        "where",
        "whereNot",
        "whereNull",
        "whereNotNull",
        "whereIn",
        "whereNotIn",
        "whereBetween",
        "whereLike",
        "whereILike",
        "whereRaw",
    ] {
        let start: Function = lua.create_function(move |lua, args: MultiValue| {
            let ud = lua.create_userdata(QueryBuilder::tracked(lua, Query::default()))?;
            let method: Function = ud.get(name)?;
            let mut call = MultiValue::new();
            call.push_back(LuaValue::UserData(ud));
            call.extend(args);
            method.call::<LuaValue>(call)
        })?;
        let me = knex.clone();
        knex.raw_set(
            name,
            lua.create_function(move |_, args: MultiValue| {
                start.call::<LuaValue>(super::knex::drop_self(args, &me))
            })?,
        )?;
    }
    module_fn(lua, knex, "queryBuilder", |lua, ()| {
        lua.create_userdata(QueryBuilder::tracked(lua, Query::default()))
    })?;

    module_fn(
        lua,
        knex,
        "batchInsert",
        |lua, (table, rows, chunk): (String, Table, Option<i64>)| {
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
            let (used, location) = track(lua);
            lua.create_userdata(BatchInsertValue {
                table,
                rows,
                chunk_size,
                returning: Vec::new(),
                used,
                location,
            })
        },
    )?;

    module_fn(lua, knex, "transaction", |lua, f: Function| {
        let outer = lua.remove_app_data::<Pending>().unwrap_or_default();
        let trx = super::knex::create(lua);
        // Queries built inside the transaction join the caller's list.
        if let Some(inner) = lua.remove_app_data::<Pending>() {
            outer.0.borrow_mut().extend(inner.0.into_inner());
        }
        lua.set_app_data(outer);
        let trx = trx?;
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
    })?;
    Ok(())
}
