//! The builders of `createView` / `createViewOrReplace` /
//! `createMaterializedView` (`v:columns`, `v:as`, check options) and of
//! `alterView` (`v:column(name):rename(...)` / `:defaultTo(...)`).

use mlua::Value as LuaValue;
use mlua::{AnyUserData, Function, Lua, MultiValue, UserData, UserDataMethods};

use super::{add_dispatch, one, this, Args, Scoped};
use crate::api::{self, AlterViewOp, Builder, Method, ViewColumnOp, ViewOp};
use crate::lua::query::{as_raw, as_subquery};
use crate::sql::schema::{AlterViewSpec, CheckOption, ViewChange, ViewSpec};

/// Calls a `createView` callback with a view builder; the filled view.
pub(super) fn build(
    lua: &Lua,
    spec: ViewSpec,
    callback: Function,
) -> mlua::Result<Option<ViewSpec>> {
    Scoped::new(spec).build(lua, Some(callback), |spec| ViewBuilder { spec })
}

/// Calls an `alterView` callback with its builder; the collected changes.
pub(super) fn build_alter(
    lua: &Lua,
    spec: AlterViewSpec,
    callback: Function,
) -> mlua::Result<Option<AlterViewSpec>> {
    Scoped::new(spec).build(lua, Some(callback), |spec| AlterViewBuilder { spec })
}

pub struct ViewBuilder {
    spec: Scoped<ViewSpec>,
}

impl UserData for ViewBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        add_dispatch(methods, Builder::View, api::VIEW, view_method);
    }
}

fn view_method(
    lua: &Lua,
    ud: &AnyUserData,
    method: &'static Method<ViewOp>,
    args: Args,
) -> mlua::Result<MultiValue> {
    let shared = ud.borrow::<ViewBuilder>()?.spec.clone();
    // Arguments are read before the view is borrowed: a query argument may run Lua.
    let columns = match method.op {
        ViewOp::Columns => args.all_names(lua, "columns")?,
        _ => Vec::new(),
    };
    let query = match method.op {
        ViewOp::As => Some(
            as_subquery(args.get(0))
                .or_else(|| as_raw(args.get(0)))
                .ok_or_else(|| {
                    args.wrong(
                        lua,
                        0,
                        "query",
                        "a query such as `knex('users'):select('id')` or `knex.raw(...)`",
                    )
                })?,
        ),
        _ => None,
    };
    shared.with(lua, &args.what, "view", |spec| {
        match method.op {
            ViewOp::Columns => spec.columns = columns,
            ViewOp::As => spec.query = query,
            ViewOp::CheckOption => spec.check_option = Some(CheckOption::Plain),
            ViewOp::LocalCheckOption => spec.check_option = Some(CheckOption::Local),
            ViewOp::CascadedCheckOption => spec.check_option = Some(CheckOption::Cascaded),
        }
        Ok(())
    })?;
    this(ud)
}

pub struct AlterViewBuilder {
    spec: Scoped<AlterViewSpec>,
}

impl UserData for AlterViewBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        add_dispatch(
            methods,
            Builder::AlterView,
            api::ALTER_VIEW,
            alter_view_method,
        );
    }
}

fn alter_view_method(
    lua: &Lua,
    ud: &AnyUserData,
    method: &'static Method<AlterViewOp>,
    args: Args,
) -> mlua::Result<MultiValue> {
    match method.op {
        AlterViewOp::Column => {
            let column = args.string(lua, 0, "column name")?;
            let spec = ud.borrow::<AlterViewBuilder>()?.spec.clone();
            let col = lua.create_userdata(ViewColumnBuilder { spec, column })?;
            one(LuaValue::UserData(col))
        }
    }
}

pub struct ViewColumnBuilder {
    spec: Scoped<AlterViewSpec>,
    column: String,
}

impl UserData for ViewColumnBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        add_dispatch(
            methods,
            Builder::ViewColumn,
            api::VIEW_COLUMN,
            view_column_method,
        );
    }
}

fn view_column_method(
    lua: &Lua,
    ud: &AnyUserData,
    method: &'static Method<ViewColumnOp>,
    args: Args,
) -> mlua::Result<MultiValue> {
    let (shared, column) = {
        let c = ud.borrow::<ViewColumnBuilder>()?;
        (c.spec.clone(), c.column.clone())
    };
    let change = match method.op {
        ViewColumnOp::Rename => ViewChange::Rename {
            from: column,
            to: args.string(lua, 0, "new name")?,
        },
        ViewColumnOp::DefaultTo => {
            // Knex writes this value into the SQL as given (it is SQL text).
            let sql = match as_raw(args.get(0)) {
                Some(raw) => crate::sql::schema::literal::inline_raw(&raw),
                None => args.string(lua, 0, "default SQL")?,
            };
            ViewChange::Default { column, sql }
        }
    };
    shared.with(lua, &args.what, "view", |spec| {
        spec.changes.push(change);
        Ok(())
    })?;
    this(ud)
}
