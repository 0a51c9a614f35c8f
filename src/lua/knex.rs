//! The `knex` value passed to `up(knex)`, `down(knex)` and `seed(knex)`.
//!
//! A table with module functions (`knex.raw`, `knex.fn.now`, `knex.null`, …),
//! `knex.schema`, and a `__call` metamethod so `knex("users")` starts a query.
//! Each API area registers itself here, one `register` function per module.

use mlua::{FromLuaMulti, IntoLuaMulti, Lua, MultiValue, Table, Value as LuaValue};

use super::{query, schema, value};

/// Builds a fresh `knex` table for one call of `up` / `down` / `seed`.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    let knex = lua.create_table()?;
    value::register(lua, &knex)?;
    schema::register(lua, &knex)?;
    query::register(lua, &knex)?;
    Ok(knex)
}

/// Registers `knex.NAME` as a module function that also accepts being called
/// with a colon (`knex:raw(...)`): a leading `knex` argument is dropped (SPEC §7).
pub fn module_fn<A, R, F>(lua: &Lua, knex: &Table, name: &str, f: F) -> mlua::Result<()>
where
    A: FromLuaMulti,
    R: IntoLuaMulti,
    F: Fn(&Lua, A) -> mlua::Result<R> + 'static,
{
    let me = knex.clone();
    let function = lua.create_function(move |lua, args: MultiValue| {
        let args = drop_self(args, &me);
        let args = A::from_lua_multi(args, lua)?;
        f(lua, args)
    })?;
    knex.raw_set(name, function)
}

/// Removes a leading argument that is `table` itself (a colon call).
pub fn drop_self(mut args: MultiValue, table: &Table) -> MultiValue {
    if let Some(LuaValue::Table(first)) = args.front() {
        if first == table {
            args.pop_front();
        }
    }
    args
}
