//! Column builders (`t:string("email")`) and foreign-key builders
//! (`t:foreign(columns)`, a column's `references(...)`).

use std::cell::Cell;

use mlua::Value as LuaValue;
use mlua::{AnyUserData, Lua, MetaMethod, MultiValue, Table, UserData, UserDataMethods};
use serde::Deserialize;

use super::actions::{
    check_raw, index_action, note_foreign, primary_action, push_action, unique_action, with_table,
    SharedTable,
};
use super::{add_dispatch, deferrable_of, this, values, Args};
use crate::api::{self, Builder, ColumnOp, ForeignOp, Method};
use crate::lua::error::usage_error;
use crate::lua::query::as_raw;
use crate::lua::value::to_value;
use crate::sql::schema::column::LENGTH_OPERATORS;
use crate::sql::schema::table::REFERENTIAL_ACTIONS;
use crate::sql::schema::{
    AlterOptions, CheckKind, Column, ColumnCheck, ColumnType, DefaultValue, ForeignKey,
    IndexTarget, TableAction,
};
use crate::sql::Value;

/// A column of the table being built; `foreign` is the action its
/// `references(...)` created, which `inTable`, `onDelete`, … then change.
pub struct ColumnBuilder {
    table: SharedTable,
    index: usize,
    foreign: Cell<Option<usize>>,
}

impl ColumnBuilder {
    pub(super) fn new(table: SharedTable, index: usize) -> ColumnBuilder {
        ColumnBuilder {
            table,
            index,
            foreign: Cell::new(None),
        }
    }
}

impl UserData for ColumnBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        add_dispatch(methods, Builder::Column, api::COLUMN, column_method);
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| {
            Ok(this.table.spec.peek(|spec| match spec {
                Some(spec) => format!(
                    "column builder ({}.{})",
                    spec.name,
                    spec.columns
                        .get(this.index)
                        .map(|c| c.name.as_str())
                        .unwrap_or("?")
                ),
                None => "column builder (finished)".to_string(),
            }))
        });
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlterOpts {
    alter_nullable: Option<bool>,
    alter_type: Option<bool>,
}

/// The value of a `defaultTo(...)`: `knex.raw` / `knex.fn.now()` as SQL, else a value.
fn default_value(lua: &Lua, v: &LuaValue) -> mlua::Result<DefaultValue> {
    Ok(match as_raw(v) {
        Some(raw) => DefaultValue::Raw(raw),
        None => DefaultValue::Value(to_value(lua, v)?),
    })
}

fn column_method(
    lua: &Lua,
    ud: &AnyUserData,
    method: &'static Method<ColumnOp>,
    args: Args,
) -> mlua::Result<MultiValue> {
    let (table, index, foreign) = {
        let c = ud.borrow::<ColumnBuilder>()?;
        (c.table.clone(), c.index, c.foreign.get())
    };
    let what = args.what.clone();
    let edit = |f: &mut dyn FnMut(&mut Column)| -> mlua::Result<MultiValue> {
        with_table(lua, &table, &what, |spec| {
            if let Some(c) = spec.columns.get_mut(index) {
                f(c);
            }
            Ok(())
        })?;
        this(ud)
    };
    let column_name = with_table(lua, &table, &what, |spec| {
        Ok(spec
            .columns
            .get(index)
            .map(|c| c.name.clone())
            .unwrap_or_default())
    })?;
    let add_check = |name: Option<String>, kind: CheckKind| {
        edit(&mut |c: &mut Column| {
            c.checks.push(ColumnCheck {
                name: name.clone(),
                kind: kind.clone(),
            })
        })
    };
    let serial_key = || {
        with_table(lua, &table, &what, |spec| {
            Ok(matches!(
                spec.columns.get(index).map(|c| &c.ty),
                Some(ColumnType::Serial {
                    primary_key: true,
                    ..
                })
            ))
        })
    };
    match method.op {
        // Knex writes `increments` as `serial primary key` and nothing more:
        // `notNullable()`, `unique()` and `primary()` on it add nothing.
        ColumnOp::NotNullable | ColumnOp::Unique | ColumnOp::Primary if serial_key()? => this(ud),
        ColumnOp::NotNullable => edit(&mut |c| c.nullable = Some(false)),
        ColumnOp::Nullable => edit(&mut |c| c.nullable = Some(true)),
        ColumnOp::DefaultTo => {
            let d = default_value(lua, args.get(0))?;
            edit(&mut |c| c.default = Some(d.clone()))
        }
        // MySQL-only modifiers, ignored on PostgreSQL exactly as Knex ignores them.
        ColumnOp::Ignored => this(ud),
        ColumnOp::After => {
            args.string(lua, 0, "column name")?;
            this(ud)
        }
        ColumnOp::Collate => {
            let collation = args.string(lua, 0, "collation")?;
            edit(&mut |c| c.collate = Some(collation.clone()))
        }
        ColumnOp::Comment => {
            let text = args.string(lua, 0, "comment")?;
            edit(&mut |c| c.comment = Some(text.clone()))
        }
        ColumnOp::Alter => {
            let o: AlterOpts = args.options(lua, 0)?;
            let opts = AlterOptions {
                alter_nullable: o.alter_nullable.unwrap_or(true),
                alter_type: o.alter_type.unwrap_or(true),
            };
            let create = with_table(lua, &table, &what, |spec| Ok(spec.is_create()))?;
            if create {
                return Err(usage_error(
                    lua,
                    "`column:alter()` only works inside `alterTable` / `table`, not `createTable`",
                ));
            }
            edit(&mut |c| c.alter = Some(opts))
        }
        ColumnOp::Primary => {
            let action = primary_action(lua, &args, vec![column_name], 0)?;
            push_action(lua, &table, action)?;
            this(ud)
        }
        ColumnOp::Unique => {
            let action = unique_action(lua, &args, vec![column_name], 0)?;
            push_action(lua, &table, action)?;
            this(ud)
        }
        ColumnOp::Index => {
            let action = index_action(lua, &args, IndexTarget::Columns(vec![column_name]), 0)?;
            push_action(lua, &table, action)?;
            this(ud)
        }
        ColumnOp::References => {
            let references = args.names(lua, 0, "referenced column")?;
            let action = push_action(
                lua,
                &table,
                TableAction::Foreign(ForeignKey {
                    columns: vec![column_name],
                    references,
                    ..ForeignKey::default()
                }),
            )?;
            note_foreign(lua, &table, action);
            ud.borrow::<ColumnBuilder>()?.foreign.set(Some(action));
            this(ud)
        }
        ColumnOp::Foreign(op) => {
            let Some(action) = foreign else {
                return Err(usage_error(
                    lua,
                    format!("`{what}` needs a foreign key first: call `:references('table.column')` before it"),
                ));
            };
            foreign_change(lua, &table, action, op, &args)?;
            this(ud)
        }
        ColumnOp::Check => {
            let raw = check_raw(lua, &args)?;
            let name = args.opt_string(lua, 2, "constraint name")?;
            add_check(name, CheckKind::Raw(raw))
        }
        ColumnOp::CheckPositive => add_check(
            args.opt_string(lua, 0, "constraint name")?,
            CheckKind::Positive,
        ),
        ColumnOp::CheckNegative => add_check(
            args.opt_string(lua, 0, "constraint name")?,
            CheckKind::Negative,
        ),
        ColumnOp::CheckIn => {
            let vals = values(lua, &args, 0, "values")?;
            add_check(
                args.opt_string(lua, 1, "constraint name")?,
                CheckKind::In(vals),
            )
        }
        ColumnOp::CheckNotIn => {
            let vals = values(lua, &args, 0, "values")?;
            add_check(
                args.opt_string(lua, 1, "constraint name")?,
                CheckKind::NotIn(vals),
            )
        }
        ColumnOp::CheckBetween => {
            let ranges = between_ranges(lua, &args)?;
            let name = args.opt_string(lua, 1, "constraint name")?;
            add_check(name, CheckKind::Between(ranges))
        }
        ColumnOp::CheckLength => {
            let op = args.string(lua, 0, "operator")?;
            if !LENGTH_OPERATORS.contains(&op.as_str()) {
                return Err(usage_error(
                    lua,
                    format!(
                        "`{what}`: the operator must be one of {}, not {op:?}",
                        LENGTH_OPERATORS.join(" ")
                    ),
                ));
            }
            let Some(n) = args.opt_int(lua, 1, "length")? else {
                return Err(args.wrong(lua, 1, "length", "an integer"));
            };
            let name = args.opt_string(lua, 2, "constraint name")?;
            add_check(name, CheckKind::Length(op, n))
        }
        ColumnOp::CheckRegex => {
            let re = args.string(lua, 0, "regular expression")?;
            let name = args.opt_string(lua, 1, "constraint name")?;
            add_check(name, CheckKind::Regex(re))
        }
    }
}

/// `checkBetween({0, 10})` or `checkBetween({{0, 10}, {20, 30}})`.
fn between_ranges(lua: &Lua, args: &Args) -> mlua::Result<Vec<(Value, Value)>> {
    let LuaValue::Table(t) = args.get(0) else {
        return Err(args.wrong(lua, 0, "range", "a {low, high} pair or a list of them"));
    };
    let pair = |t: &Table| -> mlua::Result<(Value, Value)> {
        let items: Vec<LuaValue> = t
            .sequence_values::<LuaValue>()
            .collect::<mlua::Result<_>>()?;
        match items.as_slice() {
            [lo, hi] if !lo.is_table() && !hi.is_table() => {
                Ok((to_value(lua, lo)?, to_value(lua, hi)?))
            }
            _ => Err(args.wrong(lua, 0, "range", "a {low, high} pair or a list of them")),
        }
    };
    if matches!(t.raw_get::<LuaValue>(1)?, LuaValue::Table(_)) {
        t.sequence_values::<Table>()
            .map(|inner| inner.and_then(|inner| pair(&inner)))
            .collect()
    } else {
        Ok(vec![pair(t)?])
    }
}

/// `inTable`, `onDelete`, … on a foreign key (from a column or `t:foreign`).
fn foreign_change(
    lua: &Lua,
    table: &SharedTable,
    action: usize,
    op: ForeignOp,
    args: &Args,
) -> mlua::Result<()> {
    let value = match op {
        ForeignOp::References => None,
        _ => Some(args.string(lua, 0, args.what.rsplit(':').next().unwrap_or(""))?),
    };
    let references = if op == ForeignOp::References {
        Some(args.names(lua, 0, "referenced column")?)
    } else {
        None
    };
    let deferrable = if op == ForeignOp::Deferrable {
        deferrable_of(lua, &args.what, value.clone())?
    } else {
        None
    };
    if matches!(op, ForeignOp::OnDelete | ForeignOp::OnUpdate) {
        let v = value.clone().unwrap_or_default();
        if !REFERENTIAL_ACTIONS
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&v))
        {
            return Err(usage_error(
                lua,
                format!(
                    "`{}`: the action must be one of {}, not {v:?}",
                    args.what,
                    REFERENTIAL_ACTIONS.join(", ")
                ),
            ));
        }
    }
    with_table(lua, table, &args.what, |spec| {
        if let Some(TableAction::Foreign(fk)) = spec.actions.get_mut(action) {
            match op {
                ForeignOp::References => fk.references = references.unwrap_or_default(),
                ForeignOp::InTable => fk.in_table = value,
                ForeignOp::OnDelete => fk.on_delete = value,
                ForeignOp::OnUpdate => fk.on_update = value,
                ForeignOp::WithKeyName => fk.name = value,
                ForeignOp::Deferrable => fk.deferrable = deferrable,
            }
        }
        Ok(())
    })
}

/// `t:foreign(columns)`: its `references`, `inTable`, `onDelete`, … methods.
pub struct ForeignBuilder {
    table: SharedTable,
    action: usize,
}

impl ForeignBuilder {
    pub(super) fn new(table: SharedTable, action: usize) -> ForeignBuilder {
        ForeignBuilder { table, action }
    }
}

impl UserData for ForeignBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        add_dispatch(methods, Builder::Foreign, api::FOREIGN, foreign_method);
    }
}

fn foreign_method(
    lua: &Lua,
    ud: &AnyUserData,
    method: &'static Method<ForeignOp>,
    args: Args,
) -> mlua::Result<MultiValue> {
    let (table, action) = {
        let f = ud.borrow::<ForeignBuilder>()?;
        (f.table.clone(), f.action)
    };
    foreign_change(lua, &table, action, method.op, &args)?;
    this(ud)
}
