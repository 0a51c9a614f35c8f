//! Sending a compiled query and shaping its result as SPEC §7.2 says.

use super::*;

pub(super) fn with_db<T>(
    lua: &Lua,
    f: impl FnOnce(&mut crate::db::Db) -> Result<T, crate::db::DbError>,
) -> mlua::Result<Result<T, crate::db::DbError>> {
    let ctx = lua
        .app_data_ref::<ScriptContext>()
        .ok_or_else(|| mlua::Error::runtime("queries can only run inside up/down/seed"))?;
    let mut db = ctx.db.borrow_mut();
    if db.probing() {
        // `migrate:plan` reports each statement at its line.
        db.mark_origin(crate::lua::error::caller_location(lua));
    }
    Ok(f(&mut db))
}

pub(super) fn rows_to_lua(lua: &Lua, rows: &[Row]) -> mlua::Result<Table> {
    let out = lua.create_table_with_capacity(rows.len(), 0)?;
    for (i, row) in rows.iter().enumerate() {
        out.raw_set(i + 1, row_to_lua(lua, row)?)?;
    }
    Ok(out)
}

pub(super) fn row_to_lua(lua: &Lua, row: &Row) -> mlua::Result<Table> {
    let names = row.columns.iter().map(String::as_str);
    named_row_to_lua(lua, names, &row.values)
}

/// A row as a Lua table keyed by `names` (column names as `&str` or, made once
/// for many rows, as Lua strings).
pub(super) fn named_row_to_lua<K: mlua::IntoLua>(
    lua: &Lua,
    names: impl Iterator<Item = K>,
    values: &[Value],
) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(0, values.len())?;
    for (name, v) in names.zip(values) {
        t.raw_set(name, to_lua(lua, v)?)?;
    }
    Ok(t)
}

/// `{ sql = "...", bindings = { ... } }`; NULL bindings are `knex.null` so the
/// list has no holes.
pub(super) fn to_sql_table(lua: &Lua, raw: &Raw) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("sql", raw.sql.as_str())?;
    let bindings = lua.create_table_with_capacity(raw.bindings.len(), 0)?;
    for (i, v) in raw.bindings.iter().enumerate() {
        let lv = match v {
            Value::Null => LuaValue::UserData(crate::lua::value::null_value(lua)?),
            other => to_lua(lua, other)?,
        };
        bindings.raw_set(i + 1, lv)?;
    }
    t.raw_set("bindings", bindings)?;
    Ok(t)
}

/// `:run()`: sends the statement and shapes the result as SPEC §7.2 says.
pub(super) fn run_query(
    lua: &Lua,
    raw: Raw,
    method: &Method,
    returning: bool,
    location: Option<String>,
) -> mlua::Result<LuaValue> {
    let at = || caller_location(lua).or(location.clone());
    if raw.sql.is_empty() {
        // `insert({})`: nothing to insert, nothing sent.
        return Ok(if returning {
            LuaValue::Table(lua.create_table()?)
        } else {
            LuaValue::Integer(0)
        });
    }
    let sql = Sql::new(raw.sql, raw.bindings);
    let writes = matches!(
        method,
        Method::Insert | Method::Update | Method::Delete | Method::Truncate
    );
    if writes && !returning {
        let n = with_db(lua, |db| db.execute(&sql))?.map_err(|e| db_error_at(at(), e))?;
        return Ok(LuaValue::Integer(i64::try_from(n).unwrap_or(i64::MAX)));
    }
    let rows = with_db(lua, |db| db.query(&sql))?.map_err(|e| db_error_at(at(), e))?;
    Ok(match method {
        Method::First => match rows.first() {
            Some(row) => LuaValue::Table(row_to_lua(lua, row)?),
            None => LuaValue::Nil,
        },
        Method::Pluck(_) => {
            let t = lua.create_table_with_capacity(rows.len(), 0)?;
            for (i, row) in rows.iter().enumerate() {
                let v = row.values.first().cloned().unwrap_or(Value::Null);
                t.raw_set(i + 1, to_lua(lua, &v)?)?;
            }
            LuaValue::Table(t)
        }
        Method::ColumnInfo(column) => {
            let t = lua.create_table()?;
            for row in &rows {
                let get = |c: &str| row.get(c).cloned().unwrap_or(Value::Null);
                let info = lua.create_table()?;
                info.raw_set("type", to_lua(lua, &get("data_type"))?)?;
                info.raw_set("maxLength", to_lua(lua, &get("character_maximum_length"))?)?;
                info.raw_set(
                    "nullable",
                    matches!(get("is_nullable"), Value::Text(s) if s == "YES"),
                )?;
                info.raw_set("defaultValue", to_lua(lua, &get("column_default"))?)?;
                if let Value::Text(name) = get("column_name") {
                    if column.as_deref() == Some(name.as_str()) {
                        return Ok(LuaValue::Table(info));
                    }
                    t.raw_set(name, info)?;
                }
            }
            if column.is_some() {
                return Ok(LuaValue::Nil);
            }
            LuaValue::Table(t)
        }
        _ => LuaValue::Table(rows_to_lua(lua, &rows)?),
    })
}
