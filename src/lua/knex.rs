//! The `knex` value passed to `up(knex)`, `down(knex)` and `seed(knex)`.
//!
//! A table with the module functions of the catalogue (`crate::api::KNEX`:
//! `knex.raw`, `knex.batchInsert`, `knex.transaction`, …), the query methods
//! marked as starters (`knex.select(...)`, `knex.where(...)`), `knex.schema`,
//! `knex.fn`, `knex.null`, and a `__call` metamethod so `knex("users")`
//! starts a query. The top of the bridge: it depends on the `schema`,
//! `query` and `value` modules, none of them on it.

use mlua::{Function, Lua, MultiValue, ObjectLike, Table, Value as LuaValue};

use super::call::{describe, drop_self, module_fn, once_per_state};
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
    schema::register(lua, &knex)?;
    // A metatable of its own per `knex` (a file that changes it changes only
    // its own); the functions in it are made once per state.
    let meta = lua.create_table_with_capacity(0, 2)?;
    meta.raw_set("__call", once_per_state(lua, "vectra_db.knex_call", call)?)?;
    meta.raw_set(
        "__index",
        once_per_state(lua, "vectra_db.knex_index", index)?,
    )?;
    knex.set_metatable(Some(meta))?;
    Ok(knex)
}

/// `knex("users")` starts a query.
fn call(lua: &Lua) -> mlua::Result<Function> {
    lua.create_function(|lua, (_, table): (LuaValue, Option<LuaValue>)| {
        query::start(lua, table.as_ref())
    })
}

/// Everything of `knex` but `knex.schema` is made on first use and kept in
/// the table: `knex.fn`, `knex.null`, `knex.client` (ported code branches on
/// `knex.client.config.client`), the module functions (`knex.raw`,
/// `knex.transaction`, …) and every query method, which starts a query as in
/// Knex: `knex.select("id"):from("users")`, `knex.insert(rows):into(t)`, and
/// the where-only queries Knex takes as index predicates (`predicate =
/// knex.whereNotNull("a")`). A file uses a few of them, and a batch makes a
/// `knex` per file (making them all was most of the cost of calling a
/// file's `up`).
fn index(lua: &Lua) -> mlua::Result<Function> {
    lua.create_function(|lua, (knex, key): (Table, LuaValue)| {
        let LuaValue::String(name) = &key else {
            return Ok(LuaValue::Nil);
        };
        let name = name.to_string_lossy();
        let made = match name.as_str() {
            "fn" => LuaValue::Table(value::fn_table(lua)?),
            "null" => LuaValue::UserData(value::null_value(lua)?),
            "client" => {
                let config = lua.create_table()?;
                config.raw_set("client", "pg")?;
                let client = lua.create_table()?;
                client.raw_set("config", config)?;
                LuaValue::Table(client)
            }
            _ => {
                if let Some(method) = api::find(api::KNEX, &name) {
                    register_function(lua, &knex, method)?;
                    return knex.raw_get(method.name);
                }
                let Some(method) = api::find(api::QUERY, &name).filter(|m| m.op.starts_query())
                else {
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
                LuaValue::Function(starter)
            }
        };
        knex.raw_set(name.as_str(), &made)?;
        Ok(made)
    })
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
