//! `knex.schema`: schema statements that run the moment they are called.

use mlua::{Lua, Table, Value as LuaValue, Variadic};

use super::error::{db_error, usage_error};
use super::knex::drop_self;
use super::value::to_value;
use super::ScriptContext;
use crate::sql::{Raw, Value};

pub fn register(lua: &Lua, knex: &Table) -> mlua::Result<()> {
    let schema = lua.create_table()?;
    let me = schema.clone();
    schema.raw_set(
        "raw",
        lua.create_function(move |lua, args: mlua::MultiValue| {
            let mut args = drop_self(args, &me).into_iter();
            let sql = match args.next() {
                Some(LuaValue::String(s)) => s.to_str()?.to_string(),
                other => {
                    return Err(usage_error(
                        lua,
                        format!(
                            "`knex.schema:raw` expects SQL text, got {}",
                            super::describe(&other.unwrap_or(LuaValue::Nil))
                        ),
                    ))
                }
            };
            let bindings = match args.next() {
                None | Some(LuaValue::Nil) => Vec::new(),
                Some(LuaValue::Table(t)) => t
                    .sequence_values::<LuaValue>()
                    .map(|v| v.and_then(|v| to_value(lua, &v)))
                    .collect::<mlua::Result<Vec<Value>>>()?,
                Some(other) => vec![to_value(lua, &other)?],
            };
            let raw =
                Raw::positional(&sql, bindings).map_err(|e| usage_error(lua, e.to_string()))?;
            run(lua, &crate::sql::Sql::new(raw.sql, raw.bindings))?;
            Ok(Variadic::<LuaValue>::new())
        })?,
    )?;
    knex.raw_set("schema", schema)
}

/// Sends one schema statement now; a failure carries the caller's line.
pub fn run(lua: &Lua, sql: &crate::sql::Sql) -> mlua::Result<u64> {
    let ctx = lua
        .app_data_ref::<ScriptContext>()
        .ok_or_else(|| mlua::Error::runtime("no script context"))?;
    let result = ctx.db.borrow_mut().execute(sql);
    result.map_err(|e| db_error(lua, e))
}
