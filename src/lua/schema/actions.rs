//! The table being built, shared by the table builder `t` and its column
//! builders, and the constraint and index actions both of them add
//! (`t:unique({...})` and `col:unique()` read the same arguments).

use std::cell::RefCell;
use std::rc::Rc;

use mlua::Lua;
use mlua::Value as LuaValue;
use serde::Deserialize;

use super::{deferrable_of, options_with_predicate, values, Args, Scoped};
use crate::lua::error::{caller_location, usage_error};
use crate::lua::query::as_raw;
use crate::sql::schema::{IndexTarget, TableAction, TableSpec};
use crate::sql::Raw;

/// The table a callback is filling, and where each foreign key was declared
/// (its errors point there, not at the `createTable` line).
pub(super) struct TableCell {
    pub(super) spec: Scoped<TableSpec>,
    pub(super) foreign_origins: RefCell<Vec<(usize, Option<String>)>>,
}

pub(super) type SharedTable = Rc<TableCell>;

/// Notes where the foreign key `action` was declared.
pub(super) fn note_foreign(lua: &Lua, t: &SharedTable, action: usize) {
    t.foreign_origins
        .borrow_mut()
        .push((action, caller_location(lua)));
}

/// Runs `f` on the table still being built, or explains that it already ran.
pub(super) fn with_table<R>(
    lua: &Lua,
    shared: &SharedTable,
    what: &str,
    f: impl FnOnce(&mut TableSpec) -> mlua::Result<R>,
) -> mlua::Result<R> {
    shared.spec.with(lua, what, "table", f)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PrimaryOpts {
    constraint_name: Option<String>,
    deferrable: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UniqueOpts {
    index_name: Option<String>,
    deferrable: Option<String>,
    use_constraint: Option<bool>,
    /// Read separately (see [`options_with_predicate`]); listed so errors name it.
    #[allow(dead_code)]
    predicate: Option<()>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IndexOpts {
    index_name: Option<String>,
    index_type: Option<String>,
    storage_engine_index_type: Option<String>,
    #[allow(dead_code)]
    predicate: Option<()>,
}

/// Checks a `using <method>` / `indexType` word before it is written into SQL.
fn sql_word(lua: &Lua, what: &str, role: &str, text: String) -> mlua::Result<String> {
    let ok = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(text)
    } else {
        Err(usage_error(
            lua,
            format!("`{what}`: {role} must be a plain word such as `btree` or `gin`, not {text:?}"),
        ))
    }
}

/// `t:index(columns, name?, type_or_options?)` and `col:index(name?, type_or_options?)`.
pub(super) fn index_action(
    lua: &Lua,
    args: &Args,
    target: IndexTarget,
    first: usize,
) -> mlua::Result<TableAction> {
    let mut name = None;
    let mut next = first;
    match args.get(first) {
        LuaValue::String(s) => {
            name = Some(s.to_str()?.to_string());
            next = first + 1;
        }
        LuaValue::Nil => next = first + 1,
        LuaValue::Table(_) => {}
        _ => return Err(args.wrong(lua, first, "index name", "a string")),
    }
    let (mut index_type, mut using, mut predicate) = (None, None, None);
    match args.get(next) {
        LuaValue::Nil => {}
        LuaValue::String(s) => {
            using = Some(sql_word(
                lua,
                &args.what,
                "the index type",
                s.to_str()?.to_string(),
            )?)
        }
        LuaValue::Table(t) => {
            let (o, p): (IndexOpts, _) = options_with_predicate(lua, &args.what, t)?;
            name = name.or(o.index_name);
            if let Some(kind) = o.index_type {
                if !kind.eq_ignore_ascii_case("unique") {
                    return Err(usage_error(
                        lua,
                        format!("`{}`: `indexType` can only be \"unique\" on PostgreSQL (use `storageEngineIndexType` for `using ...`), not {kind:?}", args.what),
                    ));
                }
                index_type = Some("unique".to_string());
            }
            using = o
                .storage_engine_index_type
                .map(|u| sql_word(lua, &args.what, "`storageEngineIndexType`", u))
                .transpose()?;
            predicate = p;
        }
        _ => return Err(args.wrong(lua, next, "index type", "a string or a table of options")),
    }
    Ok(TableAction::Index {
        target,
        name,
        index_type,
        using,
        predicate,
    })
}

/// `unique(columns, name_or_options)` for a table or a column.
pub(super) fn unique_action(
    lua: &Lua,
    args: &Args,
    columns: Vec<String>,
    i: usize,
) -> mlua::Result<TableAction> {
    let (mut name, mut deferrable, mut use_constraint, mut predicate) = (None, None, None, None);
    match args.get(i) {
        LuaValue::Nil => {}
        LuaValue::String(s) => name = Some(s.to_str()?.to_string()),
        LuaValue::Table(t) => {
            let (o, p): (UniqueOpts, _) = options_with_predicate(lua, &args.what, t)?;
            name = o.index_name;
            deferrable = deferrable_of(lua, &args.what, o.deferrable)?;
            use_constraint = o.use_constraint;
            predicate = p;
        }
        _ => return Err(args.wrong(lua, i, "index name or options", "a string or a table")),
    }
    let use_constraint = use_constraint.unwrap_or(predicate.is_none());
    if use_constraint && predicate.is_some() {
        return Err(usage_error(
            lua,
            format!("`{}`: postgres cannot create a constraint with a predicate: set `useConstraint = false`", args.what),
        ));
    }
    if !use_constraint && deferrable.is_some() {
        return Err(usage_error(
            lua,
            format!("`{}`: postgres cannot create a deferrable index: leave out `deferrable` or `useConstraint = false`", args.what),
        ));
    }
    Ok(TableAction::Unique {
        columns,
        name,
        deferrable,
        use_constraint,
        predicate,
    })
}

/// `primary(columns, name_or_options)` for a table or a column.
pub(super) fn primary_action(
    lua: &Lua,
    args: &Args,
    columns: Vec<String>,
    i: usize,
) -> mlua::Result<TableAction> {
    let (name, deferrable) = match args.get(i) {
        LuaValue::Nil => (None, None),
        LuaValue::String(s) => (Some(s.to_str()?.to_string()), None),
        LuaValue::Table(_) => {
            let o: PrimaryOpts = args.options(lua, i)?;
            (
                o.constraint_name,
                deferrable_of(lua, &args.what, o.deferrable)?,
            )
        }
        _ => return Err(args.wrong(lua, i, "constraint name or options", "a string or a table")),
    };
    Ok(TableAction::Primary {
        columns,
        name,
        deferrable,
    })
}

/// A `check(sql, bindings, name)` expression: SQL text or `knex.raw(...)`.
pub(super) fn check_raw(lua: &Lua, args: &Args) -> mlua::Result<Raw> {
    if let Some(raw) = as_raw(args.get(0)) {
        return Ok(raw);
    }
    let sql = args.string(lua, 0, "check expression")?;
    let bindings = match args.get(1) {
        LuaValue::Nil => Vec::new(),
        _ => values(lua, args, 1, "bindings")?,
    };
    Raw::positional(&sql, bindings).map_err(|e| usage_error(lua, format!("`{}`: {e}", args.what)))
}

pub(super) fn push_action(lua: &Lua, t: &SharedTable, action: TableAction) -> mlua::Result<usize> {
    with_table(lua, t, "t", |spec| {
        spec.actions.push(action);
        Ok(spec.actions.len() - 1)
    })
}
