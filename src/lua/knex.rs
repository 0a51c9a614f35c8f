//! The `knex` value passed to `up(knex)`, `down(knex)` and `seed(knex)`.
//!
//! A table with the module functions of the catalogue (`crate::api::KNEX`:
//! `knex.raw`, `knex.batchInsert`, `knex.transaction`, …), the query methods
//! marked as starters (`knex.select(...)`, `knex.where(...)`), `knex.schema`,
//! `knex.fn`, `knex.null`, and a `__call` metamethod so `knex("users")`
//! starts a query. The top of the bridge: it depends on the `schema`,
//! `query` and `value` modules, none of them on it.

use mlua::{Function, Lua, MultiValue, ObjectLike, Table, Value as LuaValue};

use super::call::{describe, drop_self, module_fn};
use super::error::usage_error;
use super::{query, schema, value};
use crate::api::{self, KnexOp};

/// Builds a fresh `knex` table for one call of `up` / `down` / `seed`.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    query::begin_tracking(lua);
    build(lua)
}

/// The `knex` table itself; queries built through it join the current list.
fn build(lua: &Lua) -> mlua::Result<Table> {
    let knex = lua.create_table()?;
    value::register(lua, &knex)?;
    schema::register(lua, &knex)?;
    // `knex.client.config.client`: ported code branches on the dialect.
    let config = lua.create_table()?;
    config.raw_set("client", "pg")?;
    let client = lua.create_table()?;
    client.raw_set("config", config)?;
    knex.raw_set("client", client)?;
    let meta = lua.create_table()?;
    meta.raw_set(
        "__call",
        lua.create_function(|lua, (_, table): (LuaValue, Option<LuaValue>)| {
            query::start(lua, table.as_ref())
        })?,
    )?;
    knex.set_metatable(Some(meta.clone()))?;
    // The module functions (`knex.raw`, `knex.transaction`, …) and every query
    // method, which starts a query as in Knex: `knex.select("id"):from("users")`,
    // `knex.insert(rows):into(t)`, and the where-only queries Knex takes as
    // index predicates (`predicate = knex.whereNotNull("a")`). Each is made
    // on first use and kept in the table: a file uses a few of them, and a
    // batch makes a `knex` per file (making them all was most of the cost of
    // calling a file's `up`).
    meta.raw_set(
        "__index",
        lua.create_function(|lua, (knex, key): (Table, LuaValue)| {
            let LuaValue::String(name) = &key else {
                return Ok(LuaValue::Nil);
            };
            let name = name.to_string_lossy();
            if let Some(method) = api::find(api::KNEX, &name) {
                register_function(lua, &knex, method)?;
                return knex.raw_get(method.name);
            }
            let Some(method) = api::find(api::QUERY, &name).filter(|m| m.op.starts_query()) else {
                return Ok(LuaValue::Nil);
            };
            let me = knex.clone();
            let starter = lua.create_function(move |lua, args: MultiValue| {
                let ud = query::start(lua, None)?;
                let start: Function = ud.get(method.name)?;
                let mut call = MultiValue::new();
                call.push_back(LuaValue::UserData(ud));
                call.extend(drop_self(args, &me));
                start.call::<LuaValue>(call)
            })?;
            knex.raw_set(method.name, &starter)?;
            Ok(LuaValue::Function(starter))
        })?,
    )?;
    Ok(knex)
}

fn register_function(
    lua: &Lua,
    knex: &Table,
    method: &'static api::Method<KnexOp>,
) -> mlua::Result<()> {
    match method.op {
        KnexOp::Raw => module_fn(
            lua,
            knex,
            method.name,
            |lua, (sql, bindings): (String, Option<LuaValue>)| {
                query::raw_value(lua, &sql, bindings)
            },
        ),
        KnexOp::BatchInsert => module_fn(
            lua,
            knex,
            method.name,
            |lua, (table, rows, chunk): (String, LuaValue, Option<i64>)| {
                query::batch_insert(lua, table, rows, chunk)
            },
        ),
        KnexOp::Transaction => module_fn(lua, knex, method.name, |lua, f: LuaValue| {
            let LuaValue::Function(f) = f else {
                return Err(usage_error(
                    lua,
                    format!(
                        "`knex.transaction` expects a function (`knex.transaction(function(trx) … end)`), got {}",
                        describe(&f)
                    ),
                ));
            };
            // `trx` is a `knex` whose queries count with the caller's.
            let trx = build(lua)?;
            query::transaction(lua, f, trx)
        }),
        KnexOp::QueryBuilder => {
            module_fn(lua, knex, method.name, |lua, ()| query::start(lua, None))
        }
        KnexOp::Ref => module_fn(lua, knex, method.name, |lua, column: String| {
            value::reference(lua, column)
        }),
        KnexOp::JsonArray => module_fn(lua, knex, method.name, |lua, t: Option<Table>| {
            value::json_array(lua, t)
        }),
        KnexOp::JsonObject => module_fn(lua, knex, method.name, |lua, t: Option<Table>| {
            value::json_object(lua, t)
        }),
    }
}
