//! Values between Lua and PostgreSQL (SPEC §7.3): `knex.null`, `knex.fn`,
//! `knex.ref`, `knex.jsonArray` / `knex.jsonObject`, and the conversions both ways.
//!
//! A Lua table becomes [`Value::Json`]; the connection layer turns a JSON array
//! into a PostgreSQL array when the server says the parameter is an array type.
//! `knex.jsonArray(t)` / `knex.jsonObject(t)` send JSON text instead, which no
//! parameter type turns into an array, and settle what an empty table means.

use mlua::{AnyUserData, Lua, Table, UserData, UserDataMethods, Value as LuaValue};

use super::call::{describe, module_fn, once_per_state};
use super::error::usage_error;
use crate::api::{self, FnOp, RefOp};
use crate::sql::raw::wrap;
use crate::sql::{quote_ident, Raw, Value};

/// The `knex.null` sentinel: SQL NULL where a Lua table cannot hold nil.
pub struct NullMarker;
impl UserData for NullMarker {}

/// A `knex.fn.now()` / `knex.fn.uuid()` fragment usable inside other statements.
pub struct RawFragment(pub Raw);
impl UserData for RawFragment {}

/// `knex.ref(column)`: a column reference, wrapped as an identifier, never bound.
#[derive(Clone)]
pub struct Ref {
    column: String,
    alias: Option<String>,
    schema: Option<String>,
}

impl Ref {
    pub fn to_raw(&self) -> Raw {
        let mut sql = match &self.schema {
            Some(s) => format!("{}.{}", quote_ident(s), wrap(&self.column)),
            None => wrap(&self.column),
        };
        if let Some(a) = &self.alias {
            sql.push_str(" as ");
            sql.push_str(&quote_ident(a));
        }
        Raw::verbatim(sql)
    }
}

impl UserData for Ref {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        for method in api::REF {
            methods.add_method(method.name, move |_, this, text: String| {
                Ok(match method.op {
                    RefOp::As => Ref {
                        alias: Some(text),
                        ..this.clone()
                    },
                    RefOp::WithSchema => Ref {
                        schema: Some(text),
                        ..this.clone()
                    },
                })
            });
        }
    }
}

/// JSON forced by `knex.jsonArray` / `knex.jsonObject`: bound as JSON text.
pub struct JsonValue(pub serde_json::Value);
impl UserData for JsonValue {}

/// The one `knex.null` of a Lua state (every `knex` table and `trx` shares it,
/// so fast paths can recognise it by identity).
pub fn null_value(lua: &Lua) -> mlua::Result<AnyUserData> {
    once_per_state(lua, "vectra_db.knex_null", |lua| {
        lua.create_userdata(NullMarker)
    })
}

/// `knex.fn`: its functions from the catalogue (`crate::api::FN`).
pub fn fn_table(lua: &Lua) -> mlua::Result<Table> {
    let fns = lua.create_table()?;
    for method in api::FN {
        match method.op {
            FnOp::Now => module_fn(lua, &fns, method.name, |lua, precision: Option<i64>| {
                let sql = match precision {
                    Some(p) => format!("CURRENT_TIMESTAMP({p})"),
                    None => "CURRENT_TIMESTAMP".to_string(),
                };
                lua.create_userdata(RawFragment(Raw::verbatim(sql)))
            })?,
            FnOp::Uuid => module_fn(lua, &fns, method.name, |lua, ()| {
                lua.create_userdata(RawFragment(Raw::verbatim("(gen_random_uuid())")))
            })?,
        }
    }
    Ok(fns)
}

/// `knex.ref(column)`.
pub fn reference(lua: &Lua, column: String) -> mlua::Result<AnyUserData> {
    lua.create_userdata(Ref {
        column,
        alias: None,
        schema: None,
    })
}

/// `knex.jsonArray(t)`: `t` sent as a JSON array (`{}` is `[]`).
pub fn json_array(lua: &Lua, t: Option<Table>) -> mlua::Result<AnyUserData> {
    let json = match t {
        None => serde_json::Value::Array(Vec::new()),
        Some(t) => match table_to_json(lua, &t, 0)? {
            serde_json::Value::Object(o) if o.is_empty() => serde_json::Value::Array(Vec::new()),
            a @ serde_json::Value::Array(_) => a,
            _ => {
                return Err(usage_error(
                    lua,
                    "`knex.jsonArray` expects a sequence table ({ 1, 2, 3 })",
                ))
            }
        },
    };
    lua.create_userdata(JsonValue(json))
}

/// `knex.jsonObject(t)`: `t` sent as a JSON object (`{}` is `{}`).
pub fn json_object(lua: &Lua, t: Option<Table>) -> mlua::Result<AnyUserData> {
    let json = match t {
        None => serde_json::Value::Object(Default::default()),
        Some(t) => match table_to_json(lua, &t, 0)? {
            o @ serde_json::Value::Object(_) => o,
            serde_json::Value::Array(a) if a.is_empty() => {
                serde_json::Value::Object(Default::default())
            }
            _ => {
                return Err(usage_error(
                    lua,
                    "`knex.jsonObject` expects a table with string keys ({ a = 1 })",
                ))
            }
        },
    };
    lua.create_userdata(JsonValue(json))
}

/// True for `knex.null`.
pub fn is_null_marker(v: &LuaValue) -> bool {
    matches!(v, LuaValue::UserData(ud) if ud.is::<NullMarker>())
}

/// The SQL of a `knex.fn.now()` / `knex.fn.uuid()` fragment or a `knex.ref(...)`,
/// if `v` is one (`crate::lua::query::as_raw` adds `knex.raw` values and subqueries).
pub fn fragment(v: &LuaValue) -> Option<Raw> {
    let LuaValue::UserData(ud) = v else {
        return None;
    };
    if let Ok(r) = ud.borrow::<RawFragment>() {
        return Some(r.0.clone());
    }
    ud.borrow::<Ref>().ok().map(|r| r.to_raw())
}

/// Converts a Lua value to a bound value. Tables become JSON (the connection
/// layer turns a JSON array into a PostgreSQL array when the parameter is an
/// array type).
pub fn to_value(lua: &Lua, v: &LuaValue) -> mlua::Result<Value> {
    Ok(match v {
        LuaValue::Nil => Value::Null,
        LuaValue::Boolean(b) => Value::Bool(*b),
        LuaValue::Integer(i) => Value::Int(*i),
        LuaValue::Number(n) => Value::Float(*n),
        // PostgreSQL text can hold neither NUL nor invalid UTF-8, so such a
        // string can only be binary data (bytea), sent in hex form.
        LuaValue::String(s) => match s.to_str() {
            Ok(text) if !text.contains('\0') => Value::Text(text.to_string()),
            _ => Value::Bytes(s.as_bytes().to_vec()),
        },
        LuaValue::Table(t) => Value::Json(table_to_json(lua, t, 0)?),
        LuaValue::UserData(ud) if ud.is::<NullMarker>() => Value::Null,
        LuaValue::UserData(ud) if ud.is::<JsonValue>() => {
            let json = ud.borrow::<JsonValue>()?;
            Value::Text(json.0.to_string())
        }
        other => {
            return Err(usage_error(
                lua,
                format!("cannot bind {} as a SQL value", describe(other)),
            ))
        }
    })
}

/// A Lua table as JSON: a non-empty sequence is an array, anything else an
/// object (so `{}` is `{}`, which also reads as an empty PostgreSQL array).
/// `knex.null` inside becomes `null`.
pub fn table_to_json(lua: &Lua, t: &Table, depth: usize) -> mlua::Result<serde_json::Value> {
    if depth > 100 {
        return Err(usage_error(
            lua,
            "a table nested more than 100 levels deep (or containing itself) cannot be sent as JSON",
        ));
    }
    let len = t.raw_len();
    let mut count = 0;
    for pair in t.pairs::<LuaValue, LuaValue>() {
        pair?;
        count += 1;
    }
    if len > 0 && count == len {
        let mut items = Vec::with_capacity(len);
        for i in 1..=len {
            let v: LuaValue = t.raw_get(i)?;
            items.push(json_of(lua, &v, depth)?);
        }
        return Ok(serde_json::Value::Array(items));
    }
    let mut map = serde_json::Map::new();
    for pair in t.pairs::<LuaValue, LuaValue>() {
        let (k, v) = pair?;
        let key = match &k {
            LuaValue::String(s) => s.to_str()?.to_string(),
            LuaValue::Integer(i) => i.to_string(),
            LuaValue::Number(n) => n.to_string(),
            other => {
                return Err(usage_error(
                    lua,
                    format!(
                        "a JSON object key must be a string, not {}",
                        describe(other)
                    ),
                ))
            }
        };
        map.insert(key, json_of(lua, &v, depth)?);
    }
    Ok(serde_json::Value::Object(map))
}

pub fn json_of(lua: &Lua, v: &LuaValue, depth: usize) -> mlua::Result<serde_json::Value> {
    Ok(match v {
        LuaValue::Nil => serde_json::Value::Null,
        LuaValue::Boolean(b) => serde_json::Value::Bool(*b),
        LuaValue::Integer(i) => serde_json::Value::from(*i),
        LuaValue::Number(n) => match serde_json::Number::from_f64(*n) {
            Some(n) => serde_json::Value::Number(n),
            None => {
                return Err(usage_error(
                    lua,
                    format!("{n} cannot be represented in JSON"),
                ))
            }
        },
        LuaValue::String(s) => serde_json::Value::String(s.to_str()?.to_string()),
        LuaValue::Table(t) => table_to_json(lua, t, depth + 1)?,
        LuaValue::UserData(ud) if ud.is::<NullMarker>() => serde_json::Value::Null,
        LuaValue::UserData(ud) if ud.is::<JsonValue>() => ud.borrow::<JsonValue>()?.0.clone(),
        other => {
            return Err(usage_error(
                lua,
                format!("cannot put {} into JSON", describe(other)),
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
        Value::Json(j) => json_to_lua(lua, j)?,
        Value::Array(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.iter().enumerate() {
                t.raw_set(i + 1, element(lua, to_lua(lua, item)?)?)?;
            }
            LuaValue::Table(t)
        }
    })
}

/// An array element: NULL is `knex.null`, since a nil would end the Lua sequence.
fn element(lua: &Lua, v: LuaValue) -> mlua::Result<LuaValue> {
    Ok(match v {
        LuaValue::Nil => LuaValue::UserData(null_value(lua)?),
        other => other,
    })
}

/// JSON to Lua (results and `vectra.json.decode`): integers stay integers; `null` is absent from an object and
/// `knex.null` in an array.
pub fn json_to_lua(lua: &Lua, j: &serde_json::Value) -> mlua::Result<LuaValue> {
    Ok(match j {
        serde_json::Value::Null => LuaValue::Nil,
        serde_json::Value::Bool(b) => LuaValue::Boolean(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => LuaValue::Integer(i),
            None => LuaValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => LuaValue::String(lua.create_string(s)?),
        serde_json::Value::Array(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.iter().enumerate() {
                t.raw_set(i + 1, element(lua, json_to_lua(lua, item)?)?)?;
            }
            LuaValue::Table(t)
        }
        serde_json::Value::Object(map) => {
            let t = lua.create_table_with_capacity(0, map.len())?;
            for (k, v) in map {
                t.raw_set(k.as_str(), json_to_lua(lua, v)?)?;
            }
            LuaValue::Table(t)
        }
    })
}
