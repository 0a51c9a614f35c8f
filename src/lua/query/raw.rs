//! `knex.raw(sql, bindings)` values: compiled at once, run by `:run()` or
//! inlined into another statement (which counts as using them).

use super::*;
use crate::api::RawOp;

// knex.raw

/// A `knex.raw(sql, bindings)` value: runs on `:run()`, or is embedded elsewhere.
pub struct RawQuery {
    pub(super) raw: Raw,
    pub(super) location: Option<String>,
    pub(super) used: Rc<Cell<bool>>,
}

impl RawQuery {
    /// The fragment, for use inside another statement (which counts as using it).
    pub fn take_raw(&self) -> Raw {
        self.used.set(true);
        self.raw.clone()
    }
}

impl UserData for RawQuery {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        add_methods(
            methods,
            Builder::Raw,
            api::RAW,
            raw_method,
            |lua, _, key| unknown_method(lua, Builder::Raw, key),
        );
    }
}

fn raw_method(
    lua: &Lua,
    ud: AnyUserData,
    method: &'static api::Method<RawOp>,
    _args: MultiValue,
) -> mlua::Result<LuaValue> {
    match method.op {
        RawOp::Run => ud.borrow::<RawQuery>()?.run(lua),
        RawOp::ToSql => {
            let this = ud.borrow::<RawQuery>()?;
            this.used.set(true);
            Ok(LuaValue::Table(to_sql_table(lua, &this.raw)?))
        }
        RawOp::Accepted => Ok(LuaValue::UserData(ud)),
    }
}

impl RawQuery {
    fn run(&self, lua: &Lua) -> mlua::Result<LuaValue> {
        let this = self;
        this.used.set(true);
        // Several statements without values go through the simple protocol,
        // as node-postgres sends them (a prepared statement holds only one).
        if this.raw.bindings.is_empty() && crate::sql::raw::is_multi_statement(&this.raw.sql) {
            let text = crate::sql::raw::to_positional(&this.raw.sql);
            with_db(lua, |db| db.batch(&text))?
                .map_err(|e| db_error_at(caller_location(lua).or(this.location.clone()), e))?;
            return Ok(LuaValue::Table(lua.create_table()?));
        }
        let sql = Sql::new(this.raw.sql.clone(), this.raw.bindings.clone());
        let (rows, count) = with_db(lua, |db| db.query_counted(&sql))?
            .map_err(|e| db_error_at(caller_location(lua).or(this.location.clone()), e))?;
        // node-postgres' result shape, so `res.rows` / `res.rowCount` port as
        // they are; the rows are also the array part (`res[1]`).
        let result = rows_to_lua(lua, &rows)?;
        let list = lua.create_table_with_capacity(rows.len(), 0)?;
        for i in 1..=rows.len() {
            list.raw_set(i, result.raw_get::<LuaValue>(i)?)?;
        }
        result.raw_set("rows", list)?;
        result.raw_set("rowCount", count)?;
        result.raw_set("command", crate::sql::raw::command_of(&this.raw.sql))?;
        Ok(LuaValue::Table(result))
    }
}

/// The SQL of a query value used inside another statement (a view's `as`, a
/// subquery), marking it used: `knex.raw(...)` as it is, a query builder
/// compiled (without parentheses). `None` when `v` is not a query.
pub fn as_subquery(v: &LuaValue) -> Option<Raw> {
    let LuaValue::UserData(ud) = v else {
        return None;
    };
    if let Ok(q) = ud.borrow::<RawQuery>() {
        return Some(q.take_raw());
    }
    if let Ok(b) = ud.borrow::<QueryBuilder>() {
        b.used.set(true);
        return b.query.to_raw().ok();
    }
    None
}

/// Compiles `knex.raw`'s arguments: positional (a sequence or one scalar) or
/// named (a table with string keys) bindings.
pub(super) fn compile_raw(lua: &Lua, sql: &str, bindings: Option<LuaValue>) -> mlua::Result<Raw> {
    let result = match bindings {
        None | Some(LuaValue::Nil) => Raw::with_bindings(sql, Vec::new()),
        Some(LuaValue::Table(t)) if is_sequence_or_empty(&t) => {
            let mut values = Vec::new();
            for v in t.sequence_values::<LuaValue>() {
                values.push(raw_binding(lua, &v?)?);
            }
            Raw::with_bindings(sql, values)
        }
        Some(LuaValue::Table(t)) => {
            let mut named = std::collections::HashMap::new();
            for pair in t.pairs::<String, LuaValue>() {
                let (k, v) = pair?;
                named.insert(k, raw_binding(lua, &v)?);
            }
            Raw::named(sql, |k| named.get(k).cloned())
        }
        Some(other) => Raw::with_bindings(sql, vec![raw_binding(lua, &other)?]),
    };
    result.map_err(|e| usage_error(lua, e.to_string()))
}

/// One `knex.raw` binding: a query is inlined (parenthesised), a raw fragment
/// inlined as it is, a table of strings given to `??` becomes an identifier list.
pub(super) fn raw_binding(lua: &Lua, v: &LuaValue) -> mlua::Result<RawBinding> {
    if let LuaValue::UserData(ud) = v {
        if ud.is::<QueryBuilder>() {
            if let Some(sub) = as_subquery(v) {
                return Ok(RawBinding::Sql(Raw::new(
                    format!("({})", sub.sql),
                    sub.bindings,
                )));
            }
        }
        if let Some(raw) = as_raw(v) {
            return Ok(RawBinding::Sql(raw));
        }
    }
    if let LuaValue::Table(t) = v {
        if t.raw_len() > 0 {
            let items: Vec<LuaValue> = t.sequence_values().collect::<mlua::Result<_>>()?;
            if items.iter().all(|n| matches!(n, LuaValue::String(_))) {
                // An identifier list for `??`, an array value for `?`.
                let names = items
                    .iter()
                    .filter_map(|n| n.as_string().map(|s| s.to_string_lossy()))
                    .collect();
                return Ok(RawBinding::Strings(names));
            }
        }
    }
    Ok(RawBinding::Value(to_value(lua, v)?))
}

pub(super) fn is_sequence_or_empty(t: &Table) -> bool {
    let len = t.raw_len();
    let mut count = 0;
    for pair in t.pairs::<LuaValue, LuaValue>() {
        if pair.is_err() {
            return false;
        }
        count += 1;
    }
    count == len
}
