//! `knex(table)` queries and `knex.raw(...)`: values until `:run()`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use mlua::{Lua, Table, UserData, UserDataMethods, Value as LuaValue};

use super::error::{caller_location, db_error_at, usage_error};
use super::knex::module_fn;
use super::value::{to_lua, to_value};
use super::ScriptContext;
use crate::sql::{Raw, Sql, Value};

/// Queries built during one `up`/`down`/`seed` call, to catch a forgotten `:run()`.
#[derive(Default)]
struct Pending(RefCell<Vec<(Rc<Cell<bool>>, Option<String>)>>);

/// A `knex.raw(sql, bindings)` value: runs on `:run()`, or is embedded elsewhere.
pub struct RawQuery {
    raw: Raw,
    location: Option<String>,
    used: Rc<Cell<bool>>,
}

impl RawQuery {
    /// The fragment, for use inside another statement (which counts as using it).
    pub fn take_raw(&self) -> Raw {
        self.used.set(true);
        self.raw.clone()
    }
}

/// The SQL of a query value used inside another statement (a view's `as`,
/// a subquery), marking it used. `None` when `v` is not a query.
pub fn as_subquery(v: &LuaValue) -> Option<Raw> {
    match v {
        LuaValue::UserData(ud) => ud.borrow::<RawQuery>().ok().map(|q| q.take_raw()),
        _ => None,
    }
}

impl UserData for RawQuery {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("run", |lua, this, ()| {
            this.used.set(true);
            let rows = {
                let ctx = lua
                    .app_data_ref::<ScriptContext>()
                    .ok_or_else(|| mlua::Error::runtime("no script context"))?;
                let result = ctx
                    .db
                    .borrow_mut()
                    .query(&Sql::new(this.raw.sql.clone(), this.raw.bindings.clone()));
                result
                    .map_err(|e| db_error_at(caller_location(lua).or(this.location.clone()), e))?
            };
            let out = lua.create_table_with_capacity(rows.len(), 0)?;
            for (i, row) in rows.iter().enumerate() {
                let t = lua.create_table()?;
                for (col, v) in row.columns.iter().zip(&row.values) {
                    t.raw_set(col.as_str(), to_lua(lua, v)?)?;
                }
                out.raw_set(i + 1, t)?;
            }
            Ok(out)
        });
    }
}

pub fn register(lua: &Lua, knex: &Table) -> mlua::Result<()> {
    if lua.app_data_ref::<Pending>().is_none() {
        lua.set_app_data(Pending::default());
    }
    module_fn(
        lua,
        knex,
        "raw",
        |lua, (sql, bindings): (String, Option<LuaValue>)| {
            let values = match bindings {
                None | Some(LuaValue::Nil) => Vec::new(),
                Some(LuaValue::Table(t)) => t
                    .sequence_values::<LuaValue>()
                    .map(|v| v.and_then(|v| to_value(lua, &v)))
                    .collect::<mlua::Result<Vec<Value>>>()?,
                Some(other) => vec![to_value(lua, &other)?],
            };
            let raw = Raw::positional(&sql, values).map_err(|e| usage_error(lua, e.to_string()))?;
            let used = Rc::new(Cell::new(false));
            let location = caller_location(lua);
            if let Some(p) = lua.app_data_ref::<Pending>() {
                p.0.borrow_mut().push((used.clone(), location.clone()));
            }
            lua.create_userdata(RawQuery {
                raw,
                location,
                used,
            })
        },
    )
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
