//! The table builder `t` of `createTable` / `alterTable` / `createTableLike`:
//! column types, table-level constraints and indexes.

use std::cell::RefCell;
use std::rc::Rc;

use mlua::Value as LuaValue;
use mlua::{AnyUserData, Function, Lua, MetaMethod, MultiValue, UserData, UserDataMethods};
use serde::Deserialize;

use super::actions::{
    check_raw, index_action, note_foreign, primary_action, push_action, unique_action, with_table,
    SharedTable, TableCell,
};
use super::column::{ColumnBuilder, ForeignBuilder};
use super::{add_dispatch, one, run_all, this, values, Args, Scoped};
use crate::api::{self, Builder, Method, TableOp};
use crate::lua::error::{caller_location, usage_error, BridgeError};
use crate::lua::query::as_raw;
use crate::lua::value::is_null_marker;
use crate::sql::schema::{
    Column, ColumnType, DefaultValue, EnumType, ForeignKey, IndexTarget, NativeEnum, TableAction,
    TableSpec,
};
use crate::sql::Raw;

pub struct TableBuilder {
    spec: SharedTable,
}

impl UserData for TableBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        add_dispatch(methods, Builder::Table, api::TABLE, table_method);
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| {
            Ok(this.spec.spec.peek(|spec| match spec {
                Some(spec) => format!("table builder ({})", spec.name),
                None => "table builder (finished)".to_string(),
            }))
        });
    }
}

/// Calls the callback with a fresh `t`, then takes the table out and runs it.
pub(super) fn build(lua: &Lua, spec: TableSpec, callback: Option<Function>) -> mlua::Result<()> {
    let cell: SharedTable = Rc::new(TableCell {
        spec: Scoped::new(spec),
        foreign_origins: RefCell::new(Vec::new()),
    });
    let shared = cell.clone();
    let spec = cell
        .spec
        .clone()
        .build(lua, callback, move |_| TableBuilder { spec: shared })?;
    let Some(spec) = spec else {
        return Ok(());
    };
    for (action, origin) in cell.foreign_origins.borrow().iter() {
        if let Some(TableAction::Foreign(fk)) = spec.actions.get(*action) {
            if let Err(e) = fk.target() {
                return Err(mlua::Error::external(BridgeError {
                    location: origin.clone().or_else(|| caller_location(lua)),
                    message: e.0,
                    db: None,
                }));
            }
        }
    }
    run_all(lua, spec.to_sql().map_err(|e| usage_error(lua, e.0))?)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PrimaryKeyOpts {
    primary_key: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UuidOpts {
    primary_key: Option<bool>,
    use_binary_uuid: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DateTimeOpts {
    use_tz: Option<bool>,
    precision: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EnumOpts {
    use_native: Option<bool>,
    enum_name: Option<String>,
    existing_type: Option<bool>,
    schema_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TimestampsOpts {
    use_timestamps: Option<bool>,
    default_to_now: Option<bool>,
    use_camel_case: Option<bool>,
}

/// Adds a column and returns its builder.
fn add_column(lua: &Lua, t: &SharedTable, column: Column) -> mlua::Result<MultiValue> {
    let index = with_table(lua, t, "t", |spec| {
        spec.columns.push(column);
        Ok(spec.columns.len() - 1)
    })?;
    let col = lua.create_userdata(ColumnBuilder::new(t.clone(), index))?;
    Ok(MultiValue::from_iter([LuaValue::UserData(col)]))
}

fn plain(name: String, ty: impl Into<String>) -> Column {
    Column::new(name, ColumnType::Plain(ty.into()))
}

/// `timestamp` / `datetime`: `(name, withoutTz)` or `(name, { useTz, precision })`.
fn timestamp_type(lua: &Lua, args: &Args) -> mlua::Result<String> {
    let (tz, precision) = match args.get(1) {
        LuaValue::Boolean(without_tz) => (!without_tz, None),
        LuaValue::Nil => (true, None),
        LuaValue::Table(_) => {
            let o: DateTimeOpts = args.options(lua, 1)?;
            (o.use_tz.unwrap_or(true), o.precision)
        }
        _ => return Err(args.wrong(lua, 1, "options", "a table of options or a boolean")),
    };
    let base = if tz { "timestamptz" } else { "timestamp" };
    Ok(match precision {
        Some(p) => format!("{base}({p})"),
        None => base.to_string(),
    })
}

fn alter_only(lua: &Lua, t: &SharedTable, method: &str) -> mlua::Result<()> {
    let create = with_table(lua, t, "t", |spec| Ok(spec.is_create()))?;
    if create {
        return Err(usage_error(
            lua,
            format!("`t:{method}` only works inside `alterTable` / `table`, not `createTable`"),
        ));
    }
    Ok(())
}

fn table_method(
    lua: &Lua,
    ud: &AnyUserData,
    method: &'static Method<TableOp>,
    args: Args,
) -> mlua::Result<MultiValue> {
    let name_of_method = method.name;
    let t = ud.borrow::<TableBuilder>()?.spec.clone();
    // Every column type takes its name first.
    let name = || args.string(lua, 0, "column name");
    match method.op {
        TableOp::Increments { big } => {
            let column = args.opt_string(lua, 0, "column name")?.unwrap_or_else(|| "id".into());
            let o: PrimaryKeyOpts = args.options(lua, 1)?;
            add_column(
                lua,
                &t,
                Column::new(
                    column,
                    ColumnType::Serial {
                        big,
                        primary_key: o.primary_key.unwrap_or(true),
                    },
                ),
            )
        }
        // Knex ignores display widths and lengths on PostgreSQL; `int` is
        // Knex's `undefined` type, mapped to what it means.
        TableOp::Plain(ty) => add_column(lua, &t, plain(name()?, ty)),
        TableOp::Sized(base) => {
            let column = name()?;
            let length = args.opt_int(lua, 1, "length")?.unwrap_or(255);
            add_column(lua, &t, plain(column, format!("{base}({length})")))
        }
        TableOp::Decimal => {
            let column = name()?;
            // `decimal(name, nil)` as a Lua call cannot be told from `decimal(name)`;
            // an explicit `false` (or knex.null) asks for an unconstrained decimal.
            let unconstrained = matches!(args.get(1), LuaValue::Boolean(false))
                || is_null_marker(args.get(1));
            let ty = if unconstrained {
                "decimal".to_string()
            } else {
                let precision = args.opt_int(lua, 1, "precision")?.unwrap_or(8);
                let scale = args.opt_int(lua, 2, "scale")?.unwrap_or(2);
                format!("decimal({precision}, {scale})")
            };
            add_column(lua, &t, plain(column, ty))
        }
        TableOp::Bit => {
            let column = name()?;
            let ty = match args.opt_int(lua, 1, "length")? {
                Some(n) => format!("bit({n})"),
                None => "bit".to_string(),
            };
            add_column(lua, &t, plain(column, ty))
        }
        TableOp::Timestamp => {
            let column = name()?;
            let ty = timestamp_type(lua, &args)?;
            add_column(lua, &t, plain(column, ty))
        }
        TableOp::Uuid => {
            let column = name()?;
            let o: UuidOpts = args.options(lua, 1)?;
            let _ = o.use_binary_uuid; // MySQL only: PostgreSQL has a real uuid type.
            add_column(
                lua,
                &t,
                Column::new(
                    column,
                    ColumnType::Uuid {
                        primary_key: o.primary_key.unwrap_or(false),
                    },
                ),
            )
        }
        TableOp::Serial => add_column(
            lua,
            &t,
            Column::new(
                name()?,
                ColumnType::Serial {
                    big: false,
                    primary_key: false,
                },
            ),
        ),
        TableOp::Set => Err(usage_error(
            lua,
            "`t:set` is MySQL's SET type, which PostgreSQL does not have: use `t:enu(...)` for one value or `t:specificType(name, \"text[]\")` for several",
        )),
        TableOp::SpecificType => {
            let column = name()?;
            let ty = args.string(lua, 1, "SQL type")?;
            add_column(lua, &t, plain(column, ty))
        }
        TableOp::Enum => {
            let column = name()?;
            let values: Vec<String> = match args.get(1) {
                LuaValue::Nil => Vec::new(),
                LuaValue::Table(_) => values(lua, &args, 1, "values")?
                    .iter()
                    .map(crate::sql::schema::literal::value_text)
                    .collect(),
                _ => return Err(args.wrong(lua, 1, "values", "a list of values")),
            };
            let o: EnumOpts = args.options(lua, 2)?;
            let native = if o.use_native.unwrap_or(false) {
                let Some(name) = o.enum_name else {
                    return Err(usage_error(
                        lua,
                        format!("`t:{name_of_method}` with `useNative = true` needs `enumName` (the type's name)"),
                    ));
                };
                Some(NativeEnum {
                    name,
                    schema: o.schema_name,
                    existing: o.existing_type.unwrap_or(false),
                })
            } else {
                None
            };
            let existing = native.as_ref().is_some_and(|n| n.existing);
            if values.is_empty() && !existing {
                return Err(args.wrong(lua, 1, "values", "a non-empty list of values"));
            }
            add_column(lua, &t, Column::new(column, ColumnType::Enum(EnumType { values, native })))
        }
        TableOp::Timestamps => {
            let (use_timestamps, default_to_now, camel) = match args.get(0) {
                LuaValue::Table(_) => {
                    let o: TimestampsOpts = args.options(lua, 0)?;
                    (o.use_timestamps, o.default_to_now, o.use_camel_case)
                }
                _ => (
                    args.opt_bool(lua, 0, "useTimestamps")?,
                    args.opt_bool(lua, 1, "defaultToNow")?,
                    args.opt_bool(lua, 2, "useCamelCase")?,
                ),
            };
            // `useTimestamps` picks timestamp over datetime: both are timestamptz on PostgreSQL.
            let _ = use_timestamps;
            let names = if camel.unwrap_or(false) {
                ["createdAt", "updatedAt"]
            } else {
                ["created_at", "updated_at"]
            };
            with_table(lua, &t, "t", |spec| {
                for n in names {
                    let mut c = plain(n.to_string(), "timestamptz");
                    if default_to_now.unwrap_or(false) {
                        c.nullable = Some(false);
                        c.default = Some(DefaultValue::Raw(Raw::verbatim("CURRENT_TIMESTAMP")));
                    }
                    spec.columns.push(c);
                }
                Ok(())
            })?;
            Ok(MultiValue::new())
        }
        TableOp::DropTimestamps => {
            alter_only(lua, &t, name_of_method)?;
            let camel = args.opt_bool(lua, 0, "useCamelCase")?.unwrap_or(false);
            let cols = if camel {
                vec!["createdAt".to_string(), "updatedAt".to_string()]
            } else {
                vec!["created_at".to_string(), "updated_at".to_string()]
            };
            push_action(lua, &t, TableAction::DropColumns(cols))?;
            this(ud)
        }
        TableOp::Comment => {
            let text = args.string(lua, 0, "comment")?;
            with_table(lua, &t, "t", |spec| {
                spec.comment = Some(text);
                Ok(())
            })?;
            this(ud)
        }
        TableOp::DropColumns => {
            alter_only(lua, &t, name_of_method)?;
            let cols = args.all_names(lua, "column name")?;
            push_action(lua, &t, TableAction::DropColumns(cols))?;
            this(ud)
        }
        TableOp::RenameColumn => {
            alter_only(lua, &t, name_of_method)?;
            let from = args.string(lua, 0, "column name")?;
            let to = args.string(lua, 1, "new name")?;
            push_action(lua, &t, TableAction::RenameColumn { from, to })?;
            this(ud)
        }
        TableOp::Primary => {
            let cols = args.names(lua, 0, "columns")?;
            let action = primary_action(lua, &args, cols, 1)?;
            push_action(lua, &t, action)?;
            this(ud)
        }
        TableOp::Unique => {
            let cols = args.names(lua, 0, "columns")?;
            let action = unique_action(lua, &args, cols, 1)?;
            push_action(lua, &t, action)?;
            this(ud)
        }
        TableOp::Index => {
            let target = match as_raw(args.get(0)) {
                Some(raw) => IndexTarget::Expression(raw),
                None => IndexTarget::Columns(args.names(lua, 0, "columns")?),
            };
            let action = index_action(lua, &args, target, 1)?;
            push_action(lua, &t, action)?;
            this(ud)
        }
        TableOp::DropIndex => {
            alter_only(lua, &t, name_of_method)?;
            let columns = args.opt_names(lua, 0, "columns")?;
            let name = args.opt_string(lua, 1, "index name")?;
            push_action(lua, &t, TableAction::DropIndex { columns, name })?;
            this(ud)
        }
        TableOp::DropUnique { if_exists } => {
            alter_only(lua, &t, name_of_method)?;
            let columns = args.opt_names(lua, 0, "columns")?;
            let name = args.opt_string(lua, 1, "index name")?;
            push_action(lua, &t, TableAction::DropUnique { columns, name, if_exists })?;
            this(ud)
        }
        TableOp::DropPrimary { if_exists } => {
            alter_only(lua, &t, name_of_method)?;
            let name = args.opt_string(lua, 0, "constraint name")?;
            push_action(lua, &t, TableAction::DropPrimary { name, if_exists })?;
            this(ud)
        }
        TableOp::DropForeign { if_exists } => {
            alter_only(lua, &t, name_of_method)?;
            let columns = args.opt_names(lua, 0, "columns")?;
            let name = args.opt_string(lua, 1, "constraint name")?;
            push_action(lua, &t, TableAction::DropForeign { columns, name, if_exists })?;
            this(ud)
        }
        TableOp::Foreign => {
            let columns = args.names(lua, 0, "columns")?;
            let name = args.opt_string(lua, 1, "constraint name")?;
            let action = push_action(
                lua,
                &t,
                TableAction::Foreign(ForeignKey {
                    columns,
                    name,
                    ..ForeignKey::default()
                }),
            )?;
            note_foreign(lua, &t, action);
            let fk = lua.create_userdata(ForeignBuilder::new(t.clone(), action))?;
            one(LuaValue::UserData(fk))
        }
        TableOp::Check => {
            let raw = check_raw(lua, &args)?;
            let name = args.opt_string(lua, 2, "constraint name")?;
            push_action(lua, &t, TableAction::Check { raw, name })?;
            this(ud)
        }
        TableOp::DropChecks => {
            alter_only(lua, &t, name_of_method)?;
            let names = args.all_names(lua, "constraint names")?;
            push_action(lua, &t, TableAction::DropChecks(names))?;
            this(ud)
        }
        TableOp::SetNullable => {
            alter_only(lua, &t, name_of_method)?;
            let column = args.string(lua, 0, "column name")?;
            push_action(lua, &t, TableAction::SetNullable(column))?;
            this(ud)
        }
        TableOp::DropNullable => {
            alter_only(lua, &t, name_of_method)?;
            let column = args.string(lua, 0, "column name")?;
            push_action(lua, &t, TableAction::DropNullable(column))?;
            this(ud)
        }
        TableOp::Inherits => {
            let create = with_table(lua, &t, "t", |spec| Ok(spec.is_create()))?;
            if !create {
                return Err(usage_error(
                    lua,
                    "`t:inherits` only works inside `createTable` (Knex does not alter inheritance): use `knex.schema:raw`",
                ));
            }
            let parents = args.all_names(lua, "parent table")?;
            with_table(lua, &t, "t", |spec| {
                spec.inherits.extend(parents);
                Ok(())
            })?;
            this(ud)
        }
    }
}

// ---------------------------------------------------------------------------
// Column builders
// ---------------------------------------------------------------------------
