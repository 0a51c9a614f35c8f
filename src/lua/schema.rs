//! `knex.schema`: schema statements that run the moment they are called.
//!
//! The builders Lua sees (`knex.schema`, the table builder `t`, column builders,
//! `t:foreign(...)`, view builders) are userdata whose methods fill the pure
//! statement values of [`crate::sql::schema`]; when a `createTable`-style call's
//! callback returns, its statements are rendered and sent at once, in order,
//! through [`run`]. Methods are looked up through `__index`, so an unknown name
//! is an error naming the closest real one, and both `t:string(...)` and the
//! JavaScript habit `t.string(...)` work (a leading self argument is dropped).
//!
//! This file owns the Lua surface only: SQL text is decided in `crate::sql::schema`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use mlua::{
    AnyUserData, Function, Lua, LuaSerdeExt, MetaMethod, MultiValue, Table, UserData,
    UserDataMethods, Value as LuaValue,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::error::{caller_location, db_error, usage_error, BridgeError};
use super::value::{as_raw, to_value};
use super::ScriptContext;
use crate::sql::schema::column::LENGTH_OPERATORS;
use crate::sql::schema::table::REFERENTIAL_ACTIONS;
use crate::sql::schema::{
    AlterOptions, AlterViewSpec, CheckKind, CheckOption, Column, ColumnCheck, ColumnType,
    DefaultValue, Deferrable, EnumType, ForeignKey, IndexTarget, NativeEnum, SchemaStatement,
    TableAction, TableKind, TableSpec, ViewChange, ViewSpec,
};
use crate::sql::{Raw, Sql, Value};

// ---------------------------------------------------------------------------
// Method lists: the single source for lookup, "did you mean" and the docs test.
// ---------------------------------------------------------------------------

/// Methods of `knex.schema` (and of `knex.schema:withSchema(...)`).
pub const SCHEMA_METHODS: &[&str] = &[
    "createTable",
    "createTableIfNotExists",
    "createTableLike",
    "alterTable",
    "table",
    "dropTable",
    "dropTableIfExists",
    "renameTable",
    "hasTable",
    "hasColumn",
    "createSchema",
    "createSchemaIfNotExists",
    "dropSchema",
    "dropSchemaIfExists",
    "createExtension",
    "createExtensionIfNotExists",
    "dropExtension",
    "dropExtensionIfExists",
    "createView",
    "createViewOrReplace",
    "createMaterializedView",
    "refreshMaterializedView",
    "alterView",
    "view",
    "renameView",
    "dropView",
    "dropViewIfExists",
    "dropMaterializedView",
    "dropMaterializedViewIfExists",
    "withSchema",
    "raw",
];

/// Methods of the table builder `t`.
pub const TABLE_METHODS: &[&str] = &[
    // column types
    "increments",
    "bigIncrements",
    "integer",
    "int",
    "bigInteger",
    "bigint",
    "tinyint",
    "smallint",
    "mediumint",
    "text",
    "string",
    "varchar",
    "char",
    "tinytext",
    "mediumtext",
    "longtext",
    "float",
    "double",
    "real",
    "decimal",
    "boolean",
    "bool",
    "bit",
    "date",
    "datetime",
    "dateTime",
    "time",
    "timestamp",
    "year",
    "binary",
    "varbinary",
    "blob",
    "json",
    "jsonb",
    "uuid",
    "enu",
    "enum",
    "geometry",
    "geography",
    "point",
    "serial",
    "set",
    "specificType",
    "timestamps",
    // table-level
    "dropTimestamps",
    "comment",
    "dropColumn",
    "dropColumns",
    "renameColumn",
    "primary",
    "unique",
    "index",
    "dropIndex",
    "dropUnique",
    "dropUniqueIfExists",
    "dropPrimary",
    "dropPrimaryIfExists",
    "foreign",
    "dropForeign",
    "dropForeignIfExists",
    "check",
    "dropChecks",
    "setNullable",
    "dropNullable",
    "inherits",
];

/// Methods of a column builder (`t:string("email")`).
pub const COLUMN_METHODS: &[&str] = &[
    "notNullable",
    "notNull",
    "nullable",
    "defaultTo",
    "unsigned",
    "first",
    "after",
    "collate",
    "comment",
    "primary",
    "unique",
    "index",
    "references",
    "inTable",
    "on",
    "onDelete",
    "onUpdate",
    "withKeyName",
    "deferrable",
    "alter",
    "check",
    "checkPositive",
    "checkNegative",
    "checkIn",
    "checkNotIn",
    "checkBetween",
    "checkLength",
    "checkRegex",
];

/// Methods of `t:foreign(columns)`.
pub const FOREIGN_METHODS: &[&str] = &[
    "references",
    "inTable",
    "on",
    "onDelete",
    "onUpdate",
    "withKeyName",
    "deferrable",
];

/// Methods of the view builder of `createView` / `createViewOrReplace` / `createMaterializedView`.
pub const VIEW_METHODS: &[&str] = &[
    "columns",
    "as",
    "checkOption",
    "localCheckOption",
    "cascadedCheckOption",
];

/// Methods of the builder of `alterView`, and of its `v:column(name)`.
pub const ALTER_VIEW_METHODS: &[&str] = &["column"];
pub const VIEW_COLUMN_METHODS: &[&str] = &["rename", "defaultTo"];

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
    let result = ctx.db.borrow_mut().defer(sql, caller_location(lua));
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
    let result = ctx.db.borrow_mut().query(sql);
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
// Method dispatch through `__index`
// ---------------------------------------------------------------------------

type Dispatch = fn(&Lua, &AnyUserData, &str, Args) -> mlua::Result<MultiValue>;

/// Answers `obj.name` / `obj:name` with a function bound to `obj`, or a usage
/// error naming the closest real method.
fn index(
    lua: &Lua,
    ud: AnyUserData,
    key: LuaValue,
    prefix: &'static str,
    methods: &'static [&'static str],
    dispatch: Dispatch,
) -> mlua::Result<Function> {
    let name = match &key {
        LuaValue::String(s) => s.to_str()?.to_string(),
        other => {
            return Err(usage_error(
                lua,
                format!(
                    "`{prefix}` has methods, not fields: cannot index it with {}",
                    super::describe(other)
                ),
            ))
        }
    };
    let Some(&method) = methods.iter().find(|m| **m == name) else {
        let hint = match closest(&name, methods) {
            Some(m) => format!(" (did you mean `{prefix}:{m}`?)"),
            None => String::new(),
        };
        return Err(usage_error(
            lua,
            format!("unknown method `{prefix}:{name}`{hint}"),
        ));
    };
    lua.create_function(move |lua, mut args: MultiValue| {
        // A colon call passes the builder first; a dot call does not.
        if let Some(LuaValue::UserData(first)) = args.front() {
            if first.to_pointer() == ud.to_pointer() {
                args.pop_front();
            }
        }
        let args = Args {
            what: format!("{prefix}:{method}"),
            items: args.into_iter().collect(),
        };
        dispatch(lua, &ud, method, args)
    })
}

/// The known name nearest to `name` (case-insensitive edit distance ≤ 3).
fn closest(name: &str, candidates: &[&'static str]) -> Option<&'static str> {
    let lower = name.to_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), *c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The arguments of one method call, with typed accessors whose errors name
/// the method, the argument and what was passed.
struct Args {
    what: String,
    items: Vec<LuaValue>,
}

impl Args {
    fn get(&self, i: usize) -> &LuaValue {
        self.items.get(i).unwrap_or(&LuaValue::Nil)
    }

    fn is_nil(&self, i: usize) -> bool {
        self.get(i).is_nil()
    }

    fn wrong(&self, lua: &Lua, i: usize, role: &str, expected: &str) -> mlua::Error {
        usage_error(
            lua,
            format!(
                "`{}` expects argument #{} ({role}) to be {expected}, not {}",
                self.what,
                i + 1,
                super::describe(self.get(i))
            ),
        )
    }

    fn string(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<String> {
        match self.get(i) {
            LuaValue::String(s) => Ok(s.to_str()?.to_string()),
            _ => Err(self.wrong(lua, i, role, "a string")),
        }
    }

    fn opt_string(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Option<String>> {
        match self.get(i) {
            LuaValue::Nil => Ok(None),
            LuaValue::String(s) => Ok(Some(s.to_str()?.to_string())),
            _ => Err(self.wrong(lua, i, role, "a string or nil")),
        }
    }

    fn opt_int(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Option<i64>> {
        match self.get(i) {
            LuaValue::Nil => Ok(None),
            LuaValue::Integer(n) => Ok(Some(*n)),
            LuaValue::Number(f) if f.fract() == 0.0 => Ok(Some(*f as i64)),
            _ => Err(self.wrong(lua, i, role, "an integer or nil")),
        }
    }

    fn opt_bool(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Option<bool>> {
        match self.get(i) {
            LuaValue::Nil => Ok(None),
            LuaValue::Boolean(b) => Ok(Some(*b)),
            _ => Err(self.wrong(lua, i, role, "a boolean or nil")),
        }
    }

    fn function(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Function> {
        match self.get(i) {
            LuaValue::Function(f) => Ok(f.clone()),
            LuaValue::Nil => Err(usage_error(
                lua,
                format!(
                    "`{}` needs a callback: `{}({}, function(t) … end)`",
                    self.what,
                    self.what,
                    match self.get(0) {
                        LuaValue::String(s) => format!("{:?}", s.to_string_lossy()),
                        _ => "\"name\"".to_string(),
                    }
                ),
            )),
            _ => Err(self.wrong(lua, i, role, "a function")),
        }
    }

    /// A column name or a list of them (`"a"` or `{ "a", "b" }`).
    fn names(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Vec<String>> {
        match self.get(i) {
            LuaValue::String(s) => Ok(vec![s.to_str()?.to_string()]),
            LuaValue::Table(t) => self.name_list(lua, i, role, t),
            _ => Err(self.wrong(lua, i, role, "a string or a list of strings")),
        }
    }

    fn opt_names(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Vec<String>> {
        if self.is_nil(i) {
            Ok(Vec::new())
        } else {
            self.names(lua, i, role)
        }
    }

    fn name_list(&self, lua: &Lua, i: usize, role: &str, t: &Table) -> mlua::Result<Vec<String>> {
        let mut out = Vec::new();
        for v in t.sequence_values::<LuaValue>() {
            match v? {
                LuaValue::String(s) => out.push(s.to_str()?.to_string()),
                _ => return Err(self.wrong(lua, i, role, "a list of strings")),
            }
        }
        Ok(out)
    }

    /// A list of SQL values (`{ "a", "b" }`, `{ 1, 2 }`).
    fn values(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Vec<Value>> {
        match self.get(i) {
            LuaValue::Table(t) => t
                .sequence_values::<LuaValue>()
                .map(|v| v.and_then(|v| to_value(lua, &v)))
                .collect(),
            _ => Err(self.wrong(lua, i, role, "a list of values")),
        }
    }

    /// An options table read into `T`; unknown keys are an error naming the valid ones.
    fn options<T: DeserializeOwned + Default>(&self, lua: &Lua, i: usize) -> mlua::Result<T> {
        match self.get(i) {
            LuaValue::Nil => Ok(T::default()),
            LuaValue::Table(t) => options_from(lua, &self.what, t),
            _ => Err(self.wrong(lua, i, "options", "a table of options")),
        }
    }
}

/// Reads an options table into `T` (`deny_unknown_fields` names the valid keys).
fn options_from<T: DeserializeOwned>(lua: &Lua, what: &str, t: &Table) -> mlua::Result<T> {
    lua.from_value(LuaValue::Table(t.clone())).map_err(|e| {
        let message = match &e {
            mlua::Error::DeserializeError(m) => m.clone(),
            other => other.to_string(),
        };
        usage_error(lua, format!("bad options for `{what}`: {message}"))
    })
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
                super::describe(v)
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

/// One value returned to Lua.
fn one(v: LuaValue) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([v]))
}

fn this(ud: &AnyUserData) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([LuaValue::UserData(ud.clone())]))
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
        methods.add_meta_function(
            MetaMethod::Index,
            |lua, (ud, key): (AnyUserData, LuaValue)| {
                index(lua, ud, key, "knex.schema", SCHEMA_METHODS, schema_method)
            },
        );
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
    method: &str,
    args: Args,
) -> mlua::Result<MultiValue> {
    let schema = ud.borrow::<SchemaBuilder>()?.schema.clone();
    let simple = |stmt: SchemaStatement| -> mlua::Result<MultiValue> {
        run(lua, &stmt.to_sql(schema.as_deref()))?;
        this(ud)
    };
    match method {
        "createTable" | "createTableIfNotExists" => {
            let name = args.string(lua, 0, "table name")?;
            let callback = args.function(lua, 1, "callback")?;
            let kind = TableKind::Create {
                if_not_exists: method == "createTableIfNotExists",
                like: None,
            };
            build_table(lua, TableSpec::new(kind, schema, name), Some(callback))?;
            this(ud)
        }
        "createTableLike" => {
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
            build_table(lua, TableSpec::new(kind, schema, name), callback)?;
            this(ud)
        }
        "alterTable" | "table" => {
            let name = args.string(lua, 0, "table name")?;
            let callback = args.function(lua, 1, "callback")?;
            build_table(
                lua,
                TableSpec::new(TableKind::Alter, schema, name),
                Some(callback),
            )?;
            this(ud)
        }
        "dropTable" | "dropTableIfExists" => simple(SchemaStatement::DropTable {
            name: args.string(lua, 0, "table name")?,
            if_exists: method == "dropTableIfExists",
        }),
        "renameTable" => simple(SchemaStatement::RenameTable {
            from: args.string(lua, 0, "table name")?,
            to: args.string(lua, 1, "new name")?,
        }),
        "hasTable" => {
            let stmt = SchemaStatement::HasTable {
                name: args.string(lua, 0, "table name")?,
            };
            one(LuaValue::Boolean(exists(
                lua,
                &stmt.to_sql(schema.as_deref()),
            )?))
        }
        "hasColumn" => {
            let stmt = SchemaStatement::HasColumn {
                table: args.string(lua, 0, "table name")?,
                column: args.string(lua, 1, "column name")?,
            };
            one(LuaValue::Boolean(exists(
                lua,
                &stmt.to_sql(schema.as_deref()),
            )?))
        }
        "createSchema" | "createSchemaIfNotExists" => simple(SchemaStatement::CreateSchema {
            name: args.string(lua, 0, "schema name")?,
            if_not_exists: method == "createSchemaIfNotExists",
        }),
        "dropSchema" | "dropSchemaIfExists" => simple(SchemaStatement::DropSchema {
            name: args.string(lua, 0, "schema name")?,
            if_exists: method == "dropSchemaIfExists",
            cascade: args.opt_bool(lua, 1, "cascade")?.unwrap_or(false),
        }),
        "createExtension" | "createExtensionIfNotExists" => {
            simple(SchemaStatement::CreateExtension {
                name: args.string(lua, 0, "extension name")?,
                if_not_exists: method == "createExtensionIfNotExists",
            })
        }
        "dropExtension" | "dropExtensionIfExists" => simple(SchemaStatement::DropExtension {
            name: args.string(lua, 0, "extension name")?,
            if_exists: method == "dropExtensionIfExists",
        }),
        "createView" | "createViewOrReplace" | "createMaterializedView" => {
            let mut spec = ViewSpec::new(schema, args.string(lua, 0, "view name")?);
            spec.replace = method == "createViewOrReplace";
            spec.materialized = method == "createMaterializedView";
            let callback = args.function(lua, 1, "callback")?;
            let shared = Rc::new(RefCell::new(Some(spec)));
            callback.call::<()>(lua.create_userdata(ViewBuilder {
                spec: shared.clone(),
            })?)?;
            let spec = shared.borrow_mut().take();
            if let Some(spec) = spec {
                run_all(lua, spec.to_sql().map_err(|e| usage_error(lua, e.0))?)?;
            }
            this(ud)
        }
        "alterView" | "view" => {
            let spec = AlterViewSpec {
                schema,
                name: args.string(lua, 0, "view name")?,
                changes: Vec::new(),
            };
            let callback = args.function(lua, 1, "callback")?;
            let shared = Rc::new(RefCell::new(Some(spec)));
            callback.call::<()>(lua.create_userdata(AlterViewBuilder {
                spec: shared.clone(),
            })?)?;
            let spec = shared.borrow_mut().take();
            if let Some(spec) = spec {
                run_all(lua, spec.to_sql())?;
            }
            this(ud)
        }
        "renameView" => simple(SchemaStatement::RenameView {
            from: args.string(lua, 0, "view name")?,
            to: args.string(lua, 1, "new name")?,
        }),
        "dropView"
        | "dropViewIfExists"
        | "dropMaterializedView"
        | "dropMaterializedViewIfExists" => simple(SchemaStatement::DropView {
            name: args.string(lua, 0, "view name")?,
            if_exists: method.ends_with("IfExists"),
            materialized: method.contains("Materialized"),
        }),
        "refreshMaterializedView" => simple(SchemaStatement::RefreshMaterializedView {
            name: args.string(lua, 0, "view name")?,
            concurrently: args.opt_bool(lua, 1, "concurrently")?.unwrap_or(false),
        }),
        "withSchema" => {
            let schema = args.string(lua, 0, "schema name")?;
            one(LuaValue::UserData(lua.create_userdata(SchemaBuilder {
                schema: Some(schema),
            })?))
        }
        "raw" => {
            let sql = args.string(lua, 0, "SQL text")?;
            let bindings = match args.get(1) {
                LuaValue::Nil => Vec::new(),
                LuaValue::Table(t) => t
                    .sequence_values::<LuaValue>()
                    .map(|v| v.and_then(|v| to_value(lua, &v)))
                    .collect::<mlua::Result<Vec<Value>>>()?,
                other => vec![to_value(lua, other)?],
            };
            let raw =
                Raw::positional(&sql, bindings).map_err(|e| usage_error(lua, e.to_string()))?;
            run(lua, &Sql::new(raw.sql, raw.bindings))?;
            this(ud)
        }
        other => Err(usage_error(
            lua,
            format!("unknown method `knex.schema:{other}`"),
        )),
    }
}

// ---------------------------------------------------------------------------
// The table builder `t`
// ---------------------------------------------------------------------------

/// The table a `createTable` / `alterTable` callback is filling (`None` once
/// its statements ran, so a builder kept past its callback is an error), and
/// where each foreign key was declared (its errors point there, not at the
/// `createTable` line).
struct TableCell {
    spec: RefCell<Option<TableSpec>>,
    foreign_origins: RefCell<Vec<(usize, Option<String>)>>,
}

type SharedTable = Rc<TableCell>;

pub struct TableBuilder {
    spec: SharedTable,
}

/// Notes where the foreign key `action` was declared.
fn note_foreign(lua: &Lua, t: &SharedTable, action: usize) {
    t.foreign_origins
        .borrow_mut()
        .push((action, caller_location(lua)));
}

/// Calls the callback with a fresh `t`, then takes the table out and runs it.
fn build_table(lua: &Lua, spec: TableSpec, callback: Option<Function>) -> mlua::Result<()> {
    let shared: SharedTable = Rc::new(TableCell {
        spec: RefCell::new(Some(spec)),
        foreign_origins: RefCell::new(Vec::new()),
    });
    if let Some(callback) = callback {
        let t = lua.create_userdata(TableBuilder {
            spec: shared.clone(),
        })?;
        callback.call::<()>(t)?;
    }
    let spec = shared.spec.borrow_mut().take();
    let Some(spec) = spec else {
        return Ok(());
    };
    for (action, origin) in shared.foreign_origins.borrow().iter() {
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

/// Runs `f` on the table still being built, or explains that it already ran.
fn with_table<R>(
    lua: &Lua,
    shared: &SharedTable,
    what: &str,
    f: impl FnOnce(&mut TableSpec) -> mlua::Result<R>,
) -> mlua::Result<R> {
    let mut guard = shared.spec.borrow_mut();
    match guard.as_mut() {
        Some(spec) => f(spec),
        None => Err(usage_error(
            lua,
            format!(
                "`{what}` used after its table statement ran: use the table builder and its columns only inside the `createTable` / `alterTable` callback"
            ),
        )),
    }
}

impl UserData for TableBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_function(
            MetaMethod::Index,
            |lua, (ud, key): (AnyUserData, LuaValue)| {
                index(lua, ud, key, "t", TABLE_METHODS, table_method)
            },
        );
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| {
            Ok(match this.spec.spec.borrow().as_ref() {
                Some(spec) => format!("table builder ({})", spec.name),
                None => "table builder (finished)".to_string(),
            })
        });
    }
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

/// Adds a column and returns its builder.
fn add_column(lua: &Lua, t: &SharedTable, column: Column) -> mlua::Result<MultiValue> {
    let index = with_table(lua, t, "t", |spec| {
        spec.columns.push(column);
        Ok(spec.columns.len() - 1)
    })?;
    let col = lua.create_userdata(ColumnBuilder {
        table: t.clone(),
        index,
        foreign: Cell::new(None),
    })?;
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
fn index_action(
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
fn unique_action(
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
fn primary_action(
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
fn check_raw(lua: &Lua, args: &Args) -> mlua::Result<Raw> {
    if let Some(raw) = as_raw(args.get(0)) {
        return Ok(raw);
    }
    let sql = args.string(lua, 0, "check expression")?;
    let bindings = match args.get(1) {
        LuaValue::Nil => Vec::new(),
        _ => args.values(lua, 1, "bindings")?,
    };
    Raw::positional(&sql, bindings).map_err(|e| usage_error(lua, format!("`{}`: {e}", args.what)))
}

fn push_action(lua: &Lua, t: &SharedTable, action: TableAction) -> mlua::Result<usize> {
    with_table(lua, t, "t", |spec| {
        spec.actions.push(action);
        Ok(spec.actions.len() - 1)
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

fn table_method(lua: &Lua, ud: &AnyUserData, method: &str, args: Args) -> mlua::Result<MultiValue> {
    let t = ud.borrow::<TableBuilder>()?.spec.clone();
    // Every column type takes its name first.
    let name = || args.string(lua, 0, "column name");
    match method {
        "increments" | "bigIncrements" => {
            let column = args.opt_string(lua, 0, "column name")?.unwrap_or_else(|| "id".into());
            let o: PrimaryKeyOpts = args.options(lua, 1)?;
            add_column(
                lua,
                &t,
                Column::new(
                    column,
                    ColumnType::Serial {
                        big: method == "bigIncrements",
                        primary_key: o.primary_key.unwrap_or(true),
                    },
                ),
            )
        }
        // Knex ignores the display width on PostgreSQL; `int` is Knex's
        // `undefined` type, mapped to what it means.
        "integer" | "int" | "mediumint" => add_column(lua, &t, plain(name()?, "integer")),
        "bigInteger" | "bigint" => add_column(lua, &t, plain(name()?, "bigint")),
        "tinyint" | "smallint" => add_column(lua, &t, plain(name()?, "smallint")),
        "year" => add_column(lua, &t, plain(name()?, "smallint")),
        "text" | "tinytext" | "mediumtext" | "longtext" => add_column(lua, &t, plain(name()?, "text")),
        "string" | "varchar" => {
            let column = name()?;
            let length = args.opt_int(lua, 1, "length")?.unwrap_or(255);
            add_column(lua, &t, plain(column, format!("varchar({length})")))
        }
        "char" => {
            let column = name()?;
            let length = args.opt_int(lua, 1, "length")?.unwrap_or(255);
            add_column(lua, &t, plain(column, format!("char({length})")))
        }
        "float" | "real" => add_column(lua, &t, plain(name()?, "real")),
        "double" => add_column(lua, &t, plain(name()?, "double precision")),
        "decimal" => {
            let column = name()?;
            // `decimal(name, nil)` as a Lua call cannot be told from `decimal(name)`;
            // an explicit `false` (or knex.null) asks for an unconstrained decimal.
            let unconstrained = matches!(args.get(1), LuaValue::Boolean(false))
                || super::value::is_null_marker(args.get(1));
            let ty = if unconstrained {
                "decimal".to_string()
            } else {
                let precision = args.opt_int(lua, 1, "precision")?.unwrap_or(8);
                let scale = args.opt_int(lua, 2, "scale")?.unwrap_or(2);
                format!("decimal({precision}, {scale})")
            };
            add_column(lua, &t, plain(column, ty))
        }
        "boolean" | "bool" => add_column(lua, &t, plain(name()?, "boolean")),
        "bit" => {
            let column = name()?;
            let ty = match args.opt_int(lua, 1, "length")? {
                Some(n) => format!("bit({n})"),
                None => "bit".to_string(),
            };
            add_column(lua, &t, plain(column, ty))
        }
        "date" => add_column(lua, &t, plain(name()?, "date")),
        "datetime" | "dateTime" | "timestamp" => {
            let column = name()?;
            let ty = timestamp_type(lua, &args)?;
            add_column(lua, &t, plain(column, ty))
        }
        "time" => add_column(lua, &t, plain(name()?, "time")),
        "binary" | "varbinary" | "blob" => add_column(lua, &t, plain(name()?, "bytea")),
        "json" => add_column(lua, &t, plain(name()?, "json")),
        "jsonb" => add_column(lua, &t, plain(name()?, "jsonb")),
        "uuid" => {
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
        "geometry" | "geography" | "point" => add_column(lua, &t, plain(name()?, method)),
        "serial" => add_column(
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
        "set" => Err(usage_error(
            lua,
            "`t:set` is MySQL's SET type, which PostgreSQL does not have: use `t:enu(...)` for one value or `t:specificType(name, \"text[]\")` for several",
        )),
        "specificType" => {
            let column = name()?;
            let ty = args.string(lua, 1, "SQL type")?;
            add_column(lua, &t, plain(column, ty))
        }
        "enu" | "enum" => {
            let column = name()?;
            let values: Vec<String> = match args.get(1) {
                LuaValue::Nil => Vec::new(),
                LuaValue::Table(_) => args
                    .values(lua, 1, "values")?
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
                        format!("`t:{method}` with `useNative = true` needs `enumName` (the type's name)"),
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
        "timestamps" => {
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
        "dropTimestamps" => {
            alter_only(lua, &t, method)?;
            let camel = args.opt_bool(lua, 0, "useCamelCase")?.unwrap_or(false);
            let cols = if camel {
                vec!["createdAt".to_string(), "updatedAt".to_string()]
            } else {
                vec!["created_at".to_string(), "updated_at".to_string()]
            };
            push_action(lua, &t, TableAction::DropColumns(cols))?;
            this(ud)
        }
        "comment" => {
            let text = args.string(lua, 0, "comment")?;
            with_table(lua, &t, "t", |spec| {
                spec.comment = Some(text);
                Ok(())
            })?;
            this(ud)
        }
        "dropColumn" | "dropColumns" => {
            alter_only(lua, &t, method)?;
            let mut cols = Vec::new();
            for i in 0..args.items.len().max(1) {
                cols.extend(args.names(lua, i, "column name")?);
            }
            push_action(lua, &t, TableAction::DropColumns(cols))?;
            this(ud)
        }
        "renameColumn" => {
            alter_only(lua, &t, method)?;
            let from = args.string(lua, 0, "column name")?;
            let to = args.string(lua, 1, "new name")?;
            push_action(lua, &t, TableAction::RenameColumn { from, to })?;
            this(ud)
        }
        "primary" => {
            let cols = args.names(lua, 0, "columns")?;
            let action = primary_action(lua, &args, cols, 1)?;
            push_action(lua, &t, action)?;
            this(ud)
        }
        "unique" => {
            let cols = args.names(lua, 0, "columns")?;
            let action = unique_action(lua, &args, cols, 1)?;
            push_action(lua, &t, action)?;
            this(ud)
        }
        "index" => {
            let target = match as_raw(args.get(0)) {
                Some(raw) => IndexTarget::Expression(raw),
                None => IndexTarget::Columns(args.names(lua, 0, "columns")?),
            };
            let action = index_action(lua, &args, target, 1)?;
            push_action(lua, &t, action)?;
            this(ud)
        }
        "dropIndex" => {
            alter_only(lua, &t, method)?;
            let columns = args.opt_names(lua, 0, "columns")?;
            let name = args.opt_string(lua, 1, "index name")?;
            push_action(lua, &t, TableAction::DropIndex { columns, name })?;
            this(ud)
        }
        "dropUnique" | "dropUniqueIfExists" => {
            alter_only(lua, &t, method)?;
            let columns = args.opt_names(lua, 0, "columns")?;
            let name = args.opt_string(lua, 1, "index name")?;
            let if_exists = method.ends_with("IfExists");
            push_action(lua, &t, TableAction::DropUnique { columns, name, if_exists })?;
            this(ud)
        }
        "dropPrimary" | "dropPrimaryIfExists" => {
            alter_only(lua, &t, method)?;
            let name = args.opt_string(lua, 0, "constraint name")?;
            let if_exists = method.ends_with("IfExists");
            push_action(lua, &t, TableAction::DropPrimary { name, if_exists })?;
            this(ud)
        }
        "dropForeign" | "dropForeignIfExists" => {
            alter_only(lua, &t, method)?;
            let columns = args.opt_names(lua, 0, "columns")?;
            let name = args.opt_string(lua, 1, "constraint name")?;
            let if_exists = method.ends_with("IfExists");
            push_action(lua, &t, TableAction::DropForeign { columns, name, if_exists })?;
            this(ud)
        }
        "foreign" => {
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
            let fk = lua.create_userdata(ForeignBuilder { table: t.clone(), action })?;
            one(LuaValue::UserData(fk))
        }
        "check" => {
            let raw = check_raw(lua, &args)?;
            let name = args.opt_string(lua, 2, "constraint name")?;
            push_action(lua, &t, TableAction::Check { raw, name })?;
            this(ud)
        }
        "dropChecks" => {
            alter_only(lua, &t, method)?;
            let mut names = Vec::new();
            for i in 0..args.items.len().max(1) {
                names.extend(args.names(lua, i, "constraint names")?);
            }
            push_action(lua, &t, TableAction::DropChecks(names))?;
            this(ud)
        }
        "setNullable" | "dropNullable" => {
            alter_only(lua, &t, method)?;
            let column = args.string(lua, 0, "column name")?;
            let action = if method == "setNullable" {
                TableAction::SetNullable(column)
            } else {
                TableAction::DropNullable(column)
            };
            push_action(lua, &t, action)?;
            this(ud)
        }
        "inherits" => {
            let create = with_table(lua, &t, "t", |spec| Ok(spec.is_create()))?;
            if !create {
                return Err(usage_error(
                    lua,
                    "`t:inherits` only works inside `createTable` (Knex does not alter inheritance): use `knex.schema:raw`",
                ));
            }
            let mut parents = Vec::new();
            for i in 0..args.items.len().max(1) {
                parents.extend(args.names(lua, i, "parent table")?);
            }
            with_table(lua, &t, "t", |spec| {
                spec.inherits.extend(parents);
                Ok(())
            })?;
            this(ud)
        }
        other => Err(usage_error(lua, format!("unknown method `t:{other}`"))),
    }
}

// ---------------------------------------------------------------------------
// Column builders
// ---------------------------------------------------------------------------

/// A column of the table being built; `foreign` is the action its
/// `references(...)` created, which `inTable`, `onDelete`, … then change.
pub struct ColumnBuilder {
    table: SharedTable,
    index: usize,
    foreign: Cell<Option<usize>>,
}

impl UserData for ColumnBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_function(
            MetaMethod::Index,
            |lua, (ud, key): (AnyUserData, LuaValue)| {
                index(lua, ud, key, "column", COLUMN_METHODS, column_method)
            },
        );
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| {
            Ok(match this.table.spec.borrow().as_ref() {
                Some(spec) => format!(
                    "column builder ({}.{})",
                    spec.name,
                    spec.columns
                        .get(this.index)
                        .map(|c| c.name.as_str())
                        .unwrap_or("?")
                ),
                None => "column builder (finished)".to_string(),
            })
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
    method: &str,
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
    match method {
        "notNullable" | "notNull" => edit(&mut |c| c.nullable = Some(false)),
        "nullable" => edit(&mut |c| c.nullable = Some(true)),
        "defaultTo" => {
            let d = default_value(lua, args.get(0))?;
            edit(&mut |c| c.default = Some(d.clone()))
        }
        // MySQL-only modifiers, ignored on PostgreSQL exactly as Knex ignores them.
        "unsigned" | "first" => this(ud),
        "after" => {
            args.string(lua, 0, "column name")?;
            this(ud)
        }
        "collate" => {
            let collation = args.string(lua, 0, "collation")?;
            edit(&mut |c| c.collate = Some(collation.clone()))
        }
        "comment" => {
            let text = args.string(lua, 0, "comment")?;
            edit(&mut |c| c.comment = Some(text.clone()))
        }
        "alter" => {
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
        "primary" => {
            // `.primary()` on `increments` (already the key) is a no-op, as in Knex.
            let inline = with_table(lua, &table, &what, |spec| {
                Ok(matches!(
                    spec.columns.get(index).map(|c| &c.ty),
                    Some(ColumnType::Serial {
                        primary_key: true,
                        ..
                    })
                ))
            })?;
            if !inline {
                let action = primary_action(lua, &args, vec![column_name], 0)?;
                push_action(lua, &table, action)?;
            }
            this(ud)
        }
        "unique" => {
            let action = unique_action(lua, &args, vec![column_name], 0)?;
            push_action(lua, &table, action)?;
            this(ud)
        }
        "index" => {
            let action = index_action(lua, &args, IndexTarget::Columns(vec![column_name]), 0)?;
            push_action(lua, &table, action)?;
            this(ud)
        }
        "references" => {
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
        "inTable" | "on" | "onDelete" | "onUpdate" | "withKeyName" | "deferrable" => {
            let Some(action) = foreign else {
                return Err(usage_error(
                    lua,
                    format!("`{what}` needs a foreign key first: call `:references('table.column')` before it"),
                ));
            };
            foreign_change(lua, &table, action, method, &args)?;
            this(ud)
        }
        "check" => {
            let raw = check_raw(lua, &args)?;
            let name = args.opt_string(lua, 2, "constraint name")?;
            add_check(name, CheckKind::Raw(raw))
        }
        "checkPositive" | "checkNegative" => {
            let name = args.opt_string(lua, 0, "constraint name")?;
            let kind = if method == "checkPositive" {
                CheckKind::Positive
            } else {
                CheckKind::Negative
            };
            add_check(name, kind)
        }
        "checkIn" | "checkNotIn" => {
            let vals = args.values(lua, 0, "values")?;
            let name = args.opt_string(lua, 1, "constraint name")?;
            let kind = if method == "checkIn" {
                CheckKind::In(vals)
            } else {
                CheckKind::NotIn(vals)
            };
            add_check(name, kind)
        }
        "checkBetween" => {
            let ranges = between_ranges(lua, &args)?;
            let name = args.opt_string(lua, 1, "constraint name")?;
            add_check(name, CheckKind::Between(ranges))
        }
        "checkLength" => {
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
        "checkRegex" => {
            let re = args.string(lua, 0, "regular expression")?;
            let name = args.opt_string(lua, 1, "constraint name")?;
            add_check(name, CheckKind::Regex(re))
        }
        other => Err(usage_error(lua, format!("unknown method `column:{other}`"))),
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
    method: &str,
    args: &Args,
) -> mlua::Result<()> {
    let value = match method {
        "references" => None,
        _ => Some(args.string(lua, 0, method)?),
    };
    let references = if method == "references" {
        Some(args.names(lua, 0, "referenced column")?)
    } else {
        None
    };
    let deferrable = if method == "deferrable" {
        deferrable_of(lua, &args.what, value.clone())?
    } else {
        None
    };
    if matches!(method, "onDelete" | "onUpdate") {
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
            match method {
                "references" => fk.references = references.unwrap_or_default(),
                "inTable" | "on" => fk.in_table = value,
                "onDelete" => fk.on_delete = value,
                "onUpdate" => fk.on_update = value,
                "withKeyName" => fk.name = value,
                "deferrable" => fk.deferrable = deferrable,
                _ => {}
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

impl UserData for ForeignBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_function(
            MetaMethod::Index,
            |lua, (ud, key): (AnyUserData, LuaValue)| {
                index(lua, ud, key, "foreign", FOREIGN_METHODS, foreign_method)
            },
        );
    }
}

fn foreign_method(
    lua: &Lua,
    ud: &AnyUserData,
    method: &str,
    args: Args,
) -> mlua::Result<MultiValue> {
    let (table, action) = {
        let f = ud.borrow::<ForeignBuilder>()?;
        (f.table.clone(), f.action)
    };
    foreign_change(lua, &table, action, method, &args)?;
    this(ud)
}

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

pub struct ViewBuilder {
    spec: Rc<RefCell<Option<ViewSpec>>>,
}

impl UserData for ViewBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_function(
            MetaMethod::Index,
            |lua, (ud, key): (AnyUserData, LuaValue)| {
                index(lua, ud, key, "view", VIEW_METHODS, view_method)
            },
        );
    }
}

fn view_method(lua: &Lua, ud: &AnyUserData, method: &str, args: Args) -> mlua::Result<MultiValue> {
    let shared = ud.borrow::<ViewBuilder>()?.spec.clone();
    let columns = if method == "columns" {
        let mut cols = Vec::new();
        for i in 0..args.items.len().max(1) {
            cols.extend(args.names(lua, i, "columns")?);
        }
        cols
    } else {
        Vec::new()
    };
    let query = if method == "as" {
        Some(
            super::query::as_subquery(args.get(0))
                .or_else(|| as_raw(args.get(0)))
                .ok_or_else(|| {
                    args.wrong(
                        lua,
                        0,
                        "query",
                        "a query such as `knex('users'):select('id')` or `knex.raw(...)`",
                    )
                })?,
        )
    } else {
        None
    };
    let mut guard = shared.borrow_mut();
    let Some(spec) = guard.as_mut() else {
        return Err(usage_error(
            lua,
            format!("`{}` used after its view statement ran: use the view builder only inside the callback", args.what),
        ));
    };
    match method {
        "columns" => spec.columns = columns,
        "as" => spec.query = query,
        "checkOption" => spec.check_option = Some(CheckOption::Plain),
        "localCheckOption" => spec.check_option = Some(CheckOption::Local),
        "cascadedCheckOption" => spec.check_option = Some(CheckOption::Cascaded),
        other => return Err(usage_error(lua, format!("unknown method `view:{other}`"))),
    }
    drop(guard);
    this(ud)
}

pub struct AlterViewBuilder {
    spec: Rc<RefCell<Option<AlterViewSpec>>>,
}

impl UserData for AlterViewBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_function(
            MetaMethod::Index,
            |lua, (ud, key): (AnyUserData, LuaValue)| {
                index(lua, ud, key, "view", ALTER_VIEW_METHODS, alter_view_method)
            },
        );
    }
}

fn alter_view_method(
    lua: &Lua,
    ud: &AnyUserData,
    _method: &str,
    args: Args,
) -> mlua::Result<MultiValue> {
    let column = args.string(lua, 0, "column name")?;
    let spec = ud.borrow::<AlterViewBuilder>()?.spec.clone();
    let col = lua.create_userdata(ViewColumnBuilder { spec, column })?;
    one(LuaValue::UserData(col))
}

pub struct ViewColumnBuilder {
    spec: Rc<RefCell<Option<AlterViewSpec>>>,
    column: String,
}

impl UserData for ViewColumnBuilder {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_function(
            MetaMethod::Index,
            |lua, (ud, key): (AnyUserData, LuaValue)| {
                index(
                    lua,
                    ud,
                    key,
                    "view column",
                    VIEW_COLUMN_METHODS,
                    view_column_method,
                )
            },
        );
    }
}

fn view_column_method(
    lua: &Lua,
    ud: &AnyUserData,
    method: &str,
    args: Args,
) -> mlua::Result<MultiValue> {
    let (shared, column) = {
        let c = ud.borrow::<ViewColumnBuilder>()?;
        (c.spec.clone(), c.column.clone())
    };
    let change = match method {
        "rename" => ViewChange::Rename {
            from: column,
            to: args.string(lua, 0, "new name")?,
        },
        _ => {
            // Knex writes this value into the SQL as given (it is SQL text).
            let sql = match as_raw(args.get(0)) {
                Some(raw) => crate::sql::schema::literal::inline_raw(&raw),
                None => args.string(lua, 0, "default SQL")?,
            };
            ViewChange::Default { column, sql }
        }
    };
    let mut guard = shared.borrow_mut();
    let Some(spec) = guard.as_mut() else {
        return Err(usage_error(
            lua,
            format!("`{}` used after its view statement ran", args.what),
        ));
    };
    spec.changes.push(change);
    drop(guard);
    this(ud)
}
