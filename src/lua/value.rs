//! Values between Lua and PostgreSQL (SPEC §7.3): `knex.null`, `knex.raw`
//! fragments, `knex.fn`, and the conversions both ways.

use mlua::{AnyUserData, Lua, LuaSerdeExt, Table, UserData, Value as LuaValue};

use super::error::usage_error;
use super::knex::module_fn;
use crate::sql::{Raw, Value};

/// The `knex.null` sentinel: SQL NULL where a Lua table cannot hold nil.
pub struct NullMarker;
impl UserData for NullMarker {}

/// A `knex.raw(...)` / `knex.fn.now()` fragment usable inside other statements.
pub struct RawFragment(pub Raw);
impl UserData for RawFragment {}

pub fn register(lua: &Lua, knex: &Table) -> mlua::Result<()> {
    knex.raw_set("null", lua.create_userdata(NullMarker)?)?;
    let fns = lua.create_table()?;
    module_fn(lua, &fns, "now", |lua, precision: Option<i64>| {
        let sql = match precision {
            Some(p) => format!("CURRENT_TIMESTAMP({p})"),
            None => "CURRENT_TIMESTAMP".to_string(),
        };
        lua.create_userdata(RawFragment(Raw::verbatim(sql)))
    })?;
    module_fn(lua, &fns, "uuid", |lua, ()| {
        lua.create_userdata(RawFragment(Raw::verbatim("(gen_random_uuid())")))
    })?;
    knex.raw_set("fn", fns)?;
    Ok(())
}

/// True for `knex.null`.
pub fn is_null_marker(v: &LuaValue) -> bool {
    matches!(v, LuaValue::UserData(ud) if ud.is::<NullMarker>())
}

/// The raw fragment inside `v` (`knex.raw(...)`, `knex.fn.now()`), if `v` is one.
/// Using a `knex.raw` value this way counts as running it.
pub fn as_raw(v: &LuaValue) -> Option<Raw> {
    match v {
        LuaValue::UserData(ud) => raw_of(ud).or_else(|| super::query::as_subquery(v)),
        _ => None,
    }
}

fn raw_of(ud: &AnyUserData) -> Option<Raw> {
    ud.borrow::<RawFragment>().ok().map(|r| r.0.clone())
}

/// Converts a Lua value to a bound value. Tables become JSON (the runner turns
/// a JSON array into a PostgreSQL array when the parameter is an array type).
pub fn to_value(lua: &Lua, v: &LuaValue) -> mlua::Result<Value> {
    Ok(match v {
        LuaValue::Nil => Value::Null,
        LuaValue::Boolean(b) => Value::Bool(*b),
        LuaValue::Integer(i) => Value::Int(*i),
        LuaValue::Number(n) => Value::Float(*n),
        LuaValue::String(s) => match s.to_str() {
            Ok(text) => Value::Text(text.to_string()),
            Err(_) => Value::Bytes(s.as_bytes().to_vec()),
        },
        LuaValue::Table(_) => Value::Json(lua.from_value(v.clone())?),
        other if is_null_marker(other) => Value::Null,
        other => {
            return Err(usage_error(
                lua,
                format!("cannot bind {} as a SQL value", super::describe(other)),
            ))
        }
    })
}

/// Converts a result value to Lua.
pub fn to_lua(lua: &Lua, v: &Value) -> mlua::Result<LuaValue> {
    Ok(match v {
        Value::Null => LuaValue::Nil,
        Value::Bool(b) => LuaValue::Boolean(*b),
        Value::Int(i) => LuaValue::Integer(*i),
        Value::Float(f) => LuaValue::Number(*f),
        Value::Text(s) => LuaValue::String(lua.create_string(s)?),
        Value::Bytes(b) => LuaValue::String(lua.create_string(b)?),
        Value::Json(j) => lua.to_value_with(
            j,
            mlua::serde::ser::Options::new().serialize_none_to_null(false),
        )?,
        Value::Array(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.iter().enumerate() {
                t.raw_set(i + 1, to_lua(lua, item)?)?;
            }
            LuaValue::Table(t)
        }
    })
}
