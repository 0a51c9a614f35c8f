//! `knex.schema`: schema statements that run the moment they are called.
//!
//! The builders Lua sees (`knex.schema`, the table builder `t`, column
//! builders, `t:foreign(...)`, view builders) are userdata whose methods fill
//! the pure statement values of [`crate::sql::schema`]; when a
//! `createTable`-style call's callback returns, its statements are rendered
//! and sent at once, in order, through [`run`]. Every builder answers the
//! methods of its catalogue entry ([`crate::api`]) through `__index`, which
//! binds the method to the builder: an unknown name is an error naming the
//! closest real one, and both `t:string(...)` and the JavaScript habit
//! `t.string(...)` work.
//!
//! This folder owns the Lua surface only: SQL text is decided in
//! `crate::sql::schema`. `table.rs` holds the table builder, `column.rs`
//! column and foreign-key builders, `actions.rs` the table both fill and the
//! constraints both add, `view.rs` the view builders.

mod actions;
mod column;
mod table;
mod view;

use std::cell::RefCell;
use std::rc::Rc;

use mlua::Value as LuaValue;
use mlua::{AnyUserData, Function, Lua, MetaMethod, MultiValue, Table, UserData, UserDataMethods};
use serde::de::DeserializeOwned;

use super::call::ScriptContext;
use super::call::{describe, one, options_from, this, unknown_method, Args};
use super::error::{db_error, usage_error};
use super::query::as_raw;
use super::value::to_value;
use crate::api::{self, Builder, Method, SchemaOp};
use crate::sql::schema::{
    AlterViewSpec, Deferrable, SchemaStatement, TableKind, TableSpec, ViewSpec,
};
use crate::sql::{Raw, Sql, Value};

pub use column::{ColumnBuilder, ForeignBuilder};
pub use table::TableBuilder;
pub use view::{AlterViewBuilder, ViewBuilder, ViewColumnBuilder};

// ---------------------------------------------------------------------------
// Sending statements
// ---------------------------------------------------------------------------

/// Statements collected instead of sent: installed by tests (and tools) that
/// need the SQL without a server. `hasTable` / `hasColumn` answer `false`.
#[derive(Default)]
pub struct StatementSink(RefCell<Vec<Sql>>);

/// Makes every schema statement of this state go to a [`StatementSink`].
pub fn install_sink(lua: &Lua) {
    lua.set_app_data(StatementSink::default());
}

/// The statements collected so far by [`install_sink`]'s sink (and clears it).
pub fn take_statements(lua: &Lua) -> Vec<Sql> {
    lua.app_data_ref::<StatementSink>()
        .map(|s| std::mem::take(&mut *s.0.borrow_mut()))
        .unwrap_or_default()
}

/// Sends one schema statement now; a failure carries the caller's line.
pub fn run(lua: &Lua, sql: &Sql) -> mlua::Result<()> {
    if let Some(sink) = lua.app_data_ref::<StatementSink>() {
        sink.0.borrow_mut().push(sql.clone());
        return Ok(());
    }
    let ctx = lua
        .app_data_ref::<ScriptContext>()
        .ok_or_else(|| mlua::Error::runtime("no script context"))?;
    // Sent ahead: the server runs it while Lua builds the next statement; a
    // failure is reported by the next statement that waits, with this line.
    let result = ctx
        .db
        .borrow_mut()
        .defer(sql, super::error::caller_location(lua));
    result.map_err(|e| db_error(lua, e))
}

/// Runs an existence query (`hasTable` / `hasColumn`): true when it returns rows.
fn exists(lua: &Lua, sql: &Sql) -> mlua::Result<bool> {
    if let Some(sink) = lua.app_data_ref::<StatementSink>() {
        sink.0.borrow_mut().push(sql.clone());
        return Ok(false);
    }
    let ctx = lua
        .app_data_ref::<ScriptContext>()
        .ok_or_else(|| mlua::Error::runtime("no script context"))?;
    let result = {
        let mut db = ctx.db.borrow_mut();
        if db.probing() {
            db.mark_origin(super::error::caller_location(lua));
        }
        db.query(sql)
    };
    result
        .map(|rows| !rows.is_empty())
        .map_err(|e| db_error(lua, e))
}

fn run_all(lua: &Lua, statements: Vec<Sql>) -> mlua::Result<()> {
    for sql in &statements {
        run(lua, sql)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Method dispatch through `__index`, from the catalogue
// ---------------------------------------------------------------------------

/// What runs one catalogue method on a schema builder.
type Handler<Op> = fn(&Lua, &AnyUserData, &'static Method<Op>, Args) -> mlua::Result<MultiValue>;

/// Answers `obj.name` / `obj:name` with a function bound to `obj` that runs
/// `handler` for the catalogue entry `name` of `list`.
fn bind<Op: Copy>(
    lua: &Lua,
    ud: AnyUserData,
    key: LuaValue,
    builder: Builder,
    list: &'static [Method<Op>],
    handler: Handler<Op>,
) -> mlua::Result<Function> {
    let method = match &key {
        LuaValue::String(s) => api::find(list, &s.to_string_lossy()),
        _ => None,
    };
    let Some(method) = method else {
        return Err(unknown_method(lua, builder, &key));
    };
    lua.create_function(move |lua, mut args: MultiValue| {
        // A colon call passes the builder first; a dot call does not.
        if let Some(LuaValue::UserData(first)) = args.front() {
            if first.to_pointer() == ud.to_pointer() {
                args.pop_front();
            }
        }
        let what = format!("{}{}", builder.prefix(), method.name);
        handler(lua, &ud, method, Args::new(what, args))
    })
}

/// Registers `__index` (catalogue dispatch) on a schema builder type.
fn add_dispatch<T: UserData, Op: Copy, M: UserDataMethods<T>>(
    methods: &mut M,
    builder: Builder,
    list: &'static [Method<Op>],
    handler: Handler<Op>,
) {
    methods.add_meta_function(
        MetaMethod::Index,
        move |lua, (ud, key): (AnyUserData, LuaValue)| bind(lua, ud, key, builder, list, handler),
    );
}

// ---------------------------------------------------------------------------
// A statement built by a callback
// ---------------------------------------------------------------------------

/// The statement a callback is filling (`createTable`'s table, `createView`'s
/// view): `None` once its statements ran, so a builder kept past its callback
/// is an error at the line that used it.
pub(super) struct Scoped<T>(Rc<RefCell<Option<T>>>);

impl<T> Clone for Scoped<T> {
    fn clone(&self) -> Self {
        Scoped(self.0.clone())
    }
}

impl<T> Scoped<T> {
    fn new(spec: T) -> Scoped<T> {
        Scoped(Rc::new(RefCell::new(Some(spec))))
    }

    /// Calls `callback` with the builder `make` wraps around this statement,
    /// then takes the statement out.
    fn build<B: UserData + 'static>(
        self,
        lua: &Lua,
        callback: Option<Function>,
        make: impl FnOnce(Scoped<T>) -> B,
    ) -> mlua::Result<Option<T>> {
        if let Some(callback) = callback {
            callback.call::<()>(lua.create_userdata(make(self.clone()))?)?;
        }
        Ok(self.0.borrow_mut().take())
    }

    /// Runs `f` on the statement still being built, or explains that it already ran.
    fn with<R>(
        &self,
        lua: &Lua,
        what: &str,
        kind: &str,
        f: impl FnOnce(&mut T) -> mlua::Result<R>,
    ) -> mlua::Result<R> {
        let mut guard = self.0.borrow_mut();
        match guard.as_mut() {
            Some(spec) => f(spec),
            None => Err(usage_error(
                lua,
                format!("`{what}` used after its {kind} statement ran: {}", match kind {
                    "table" => "use the table builder and its columns only inside the `createTable` / `alterTable` callback",
                    _ => "use the view builder only inside the callback",
                }),
            )),
        }
    }

    fn peek<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        f(self.0.borrow().as_ref())
    }
}

// ---------------------------------------------------------------------------
// knex.schema
// ---------------------------------------------------------------------------

/// `knex.schema`, or `knex.schema:withSchema(name)`.
pub struct SchemaBuilder {
    schema: Option<String>,
}

impl UserData for SchemaBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        add_dispatch(methods, Builder::Schema, api::SCHEMA, schema_method);
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| {
            Ok(match &this.schema {
                Some(s) => format!("knex.schema (withSchema {s:?})"),
                None => "knex.schema".to_string(),
            })
        });
    }
}

pub fn register(lua: &Lua, knex: &Table) -> mlua::Result<()> {
    knex.raw_set(
        "schema",
        lua.create_userdata(SchemaBuilder { schema: None })?,
    )
}

fn schema_method(
    lua: &Lua,
    ud: &AnyUserData,
    method: &'static Method<SchemaOp>,
    args: Args,
) -> mlua::Result<MultiValue> {
    let schema = ud.borrow::<SchemaBuilder>()?.schema.clone();
    let simple = |stmt: SchemaStatement| -> mlua::Result<MultiValue> {
        run(lua, &stmt.to_sql(schema.as_deref()))?;
        this(ud)
    };
    let has = |stmt: SchemaStatement| -> mlua::Result<MultiValue> {
        one(LuaValue::Boolean(exists(
            lua,
            &stmt.to_sql(schema.as_deref()),
        )?))
    };
    match method.op {
        SchemaOp::CreateTable { if_not_exists } => {
            let name = args.string(lua, 0, "table name")?;
            let callback = args.function(lua, 1, "callback")?;
            let kind = TableKind::Create {
                if_not_exists,
                like: None,
            };
            table::build(lua, TableSpec::new(kind, schema, name), Some(callback))?;
            this(ud)
        }
        SchemaOp::CreateTableLike => {
            let name = args.string(lua, 0, "table name")?;
            let like = args.string(lua, 1, "table to copy")?;
            let callback = match args.get(2) {
                LuaValue::Nil => None,
                _ => Some(args.function(lua, 2, "callback")?),
            };
            let kind = TableKind::Create {
                if_not_exists: false,
                like: Some(like),
            };
            table::build(lua, TableSpec::new(kind, schema, name), callback)?;
            this(ud)
        }
        SchemaOp::AlterTable => {
            let name = args.string(lua, 0, "table name")?;
            let callback = args.function(lua, 1, "callback")?;
            let spec = TableSpec::new(TableKind::Alter, schema, name);
            table::build(lua, spec, Some(callback))?;
            this(ud)
        }
        SchemaOp::DropTable { if_exists } => simple(SchemaStatement::DropTable {
            name: args.string(lua, 0, "table name")?,
            if_exists,
        }),
        SchemaOp::RenameTable => simple(SchemaStatement::RenameTable {
            from: args.string(lua, 0, "table name")?,
            to: args.string(lua, 1, "new name")?,
        }),
        SchemaOp::HasTable => has(SchemaStatement::HasTable {
            name: args.string(lua, 0, "table name")?,
        }),
        SchemaOp::HasColumn => has(SchemaStatement::HasColumn {
            table: args.string(lua, 0, "table name")?,
            column: args.string(lua, 1, "column name")?,
        }),
        SchemaOp::CreateSchema { if_not_exists } => simple(SchemaStatement::CreateSchema {
            name: args.string(lua, 0, "schema name")?,
            if_not_exists,
        }),
        SchemaOp::DropSchema { if_exists } => simple(SchemaStatement::DropSchema {
            name: args.string(lua, 0, "schema name")?,
            if_exists,
            cascade: args.opt_bool(lua, 1, "cascade")?.unwrap_or(false),
        }),
        SchemaOp::CreateExtension { if_not_exists } => simple(SchemaStatement::CreateExtension {
            name: args.string(lua, 0, "extension name")?,
            if_not_exists,
        }),
        SchemaOp::DropExtension { if_exists } => simple(SchemaStatement::DropExtension {
            name: args.string(lua, 0, "extension name")?,
            if_exists,
        }),
        SchemaOp::CreateView {
            replace,
            materialized,
        } => {
            let mut spec = ViewSpec::new(schema, args.string(lua, 0, "view name")?);
            spec.replace = replace;
            spec.materialized = materialized;
            let callback = args.function(lua, 1, "callback")?;
            if let Some(spec) = view::build(lua, spec, callback)? {
                run_all(lua, spec.to_sql().map_err(|e| usage_error(lua, e.0))?)?;
            }
            this(ud)
        }
        SchemaOp::AlterView => {
            let spec = AlterViewSpec {
                schema,
                name: args.string(lua, 0, "view name")?,
                changes: Vec::new(),
            };
            let callback = args.function(lua, 1, "callback")?;
            if let Some(spec) = view::build_alter(lua, spec, callback)? {
                run_all(lua, spec.to_sql())?;
            }
            this(ud)
        }
        SchemaOp::RenameView => simple(SchemaStatement::RenameView {
            from: args.string(lua, 0, "view name")?,
            to: args.string(lua, 1, "new name")?,
        }),
        SchemaOp::DropView {
            if_exists,
            materialized,
        } => simple(SchemaStatement::DropView {
            name: args.string(lua, 0, "view name")?,
            if_exists,
            materialized,
        }),
        SchemaOp::RefreshMaterializedView => simple(SchemaStatement::RefreshMaterializedView {
            name: args.string(lua, 0, "view name")?,
            concurrently: args.opt_bool(lua, 1, "concurrently")?.unwrap_or(false),
        }),
        SchemaOp::WithSchema => {
            let schema = args.string(lua, 0, "schema name")?;
            one(LuaValue::UserData(lua.create_userdata(SchemaBuilder {
                schema: Some(schema),
            })?))
        }
        SchemaOp::Raw => {
            let sql = args.string(lua, 0, "SQL text")?;
            let bindings = match args.get(1) {
                LuaValue::Nil => Vec::new(),
                LuaValue::Table(_) => values(lua, &args, 1, "bindings")?,
                other => vec![to_value(lua, other)?],
            };
            let raw =
                Raw::positional(&sql, bindings).map_err(|e| usage_error(lua, e.to_string()))?;
            run(lua, &Sql::new(raw.sql, raw.bindings))?;
            this(ud)
        }
    }
}

// ---------------------------------------------------------------------------
// Argument readers shared by the schema builders
// ---------------------------------------------------------------------------

/// A list of SQL values (`{ "a", "b" }`, `{ 1, 2 }`).
fn values(lua: &Lua, args: &Args, i: usize, role: &str) -> mlua::Result<Vec<Value>> {
    match args.get(i) {
        LuaValue::Table(t) => t
            .sequence_values::<LuaValue>()
            .map(|v| v.and_then(|v| to_value(lua, &v)))
            .collect(),
        _ => Err(args.wrong(lua, i, role, "a list of values")),
    }
}

/// An options table holding a `predicate` (a `knex.raw` or where-only query,
/// which serde cannot read): the predicate, and the other keys read into `T`.
fn options_with_predicate<T: DeserializeOwned>(
    lua: &Lua,
    what: &str,
    t: &Table,
) -> mlua::Result<(T, Option<Raw>)> {
    let predicate: LuaValue = t.raw_get("predicate")?;
    let copy = lua.create_table()?;
    for pair in t.pairs::<LuaValue, LuaValue>() {
        let (k, v) = pair?;
        if !matches!(&k, LuaValue::String(s) if s.as_bytes().as_ref() == b"predicate") {
            copy.raw_set(k, v)?;
        }
    }
    let opts = options_from(lua, what, &copy)?;
    let predicate = match predicate {
        LuaValue::Nil => None,
        v => Some(predicate_of(lua, what, &v)?),
    };
    Ok((opts, predicate))
}

/// An index predicate: `knex.raw('"a" is not null')`, or a where-only query
/// (`knex:whereNotNull('a')`, whose SQL is `select * where …`).
fn predicate_of(lua: &Lua, what: &str, v: &LuaValue) -> mlua::Result<Raw> {
    match as_raw(v) {
        Some(mut raw) => {
            if let Some(rest) = raw.sql.strip_prefix("select * where ") {
                raw.sql = rest.to_string();
            }
            Ok(raw)
        }
        None => Err(usage_error(
            lua,
            format!(
                "`{what}`: `predicate` must be `knex.raw(...)` or a where-only query, not {}",
                describe(v)
            ),
        )),
    }
}

fn deferrable_of(lua: &Lua, what: &str, text: Option<String>) -> mlua::Result<Option<Deferrable>> {
    match text {
        None => Ok(None),
        Some(t) => Deferrable::parse(&t).map(Some).ok_or_else(|| {
            usage_error(
                lua,
                format!("`{what}`: `deferrable` must be \"deferred\" or \"immediate\", not {t:?}"),
            )
        }),
    }
}
