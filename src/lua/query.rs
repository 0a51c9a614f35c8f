//! `knex(table)` queries, `knex.raw(...)`, `knex.batchInsert(...)` and
//! `knex.transaction(...)`: the Lua side of the query builder (SPEC §7.2).
//!
//! A query is a value until `:run()`: each method records into a
//! [`Query`](crate::sql::query::Query) and returns the same builder, and only
//! `:run()` sends SQL. Every query, raw fragment and batch insert remembers the
//! line that built it; one built and neither run nor used inside another
//! statement is an error when `up` / `down` / `seed` returns
//! ([`check_forgotten`]). Rendering lives in `crate::sql::query`; this file only
//! parses Lua arguments and maps results back to Lua.

// `DbError` is large, but it exists only on the failure path, once per run.
#![allow(clippy::result_large_err)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use mlua::{
    AnyUserData, Function, Lua, MetaMethod, MultiValue, ObjectLike, Table, UserData,
    UserDataMethods, Value as LuaValue,
};

use super::error::{caller_location, db_error_at, usage_error};
use super::knex::module_fn;
use super::value::{as_raw, is_null_marker, to_lua, to_value, NullMarker};
use super::{describe, ScriptContext};
use crate::db::Row;
use crate::sql::query::{
    encode_copy_rows, escape_copy, operator, AggregateArg, BatchInsert, BatchStep, Clause, Column,
    Cond, ConflictAction, ConflictTarget, Cte, InList, InsertBody, Join, JoinItem, Limit, Lock,
    LockMode, Method, OnConflict, Operand, Order, Query, SetExpr, Source, Union,
};
use crate::sql::raw::RawBinding;
use crate::sql::{Raw, Sql, Value};

/// Every method a query builder answers to (kept in step with the registrations
/// below by a debug assertion, and with the docs by `tests/query_exec.rs`).
pub const QUERY_METHODS: &[&str] = &[
    "select",
    "column",
    "columns",
    "distinct",
    "distinctOn",
    "first",
    "pluck",
    "count",
    "countDistinct",
    "min",
    "max",
    "sum",
    "sumDistinct",
    "avg",
    "avgDistinct",
    "from",
    "into",
    "table",
    "withSchema",
    "as",
    "where",
    "andWhere",
    "orWhere",
    "whereNot",
    "andWhereNot",
    "orWhereNot",
    "whereIn",
    "orWhereIn",
    "whereNotIn",
    "orWhereNotIn",
    "whereNull",
    "orWhereNull",
    "whereNotNull",
    "orWhereNotNull",
    "whereBetween",
    "orWhereBetween",
    "whereNotBetween",
    "orWhereNotBetween",
    "whereLike",
    "orWhereLike",
    "whereILike",
    "orWhereILike",
    "whereExists",
    "orWhereExists",
    "whereNotExists",
    "orWhereNotExists",
    "whereRaw",
    "orWhereRaw",
    "whereColumn",
    "orWhereColumn",
    "whereJsonPath",
    "whereJsonObject",
    "whereJsonSupersetOf",
    "whereJsonSubsetOf",
    "join",
    "innerJoin",
    "leftJoin",
    "leftOuterJoin",
    "rightJoin",
    "rightOuterJoin",
    "fullOuterJoin",
    "crossJoin",
    "joinRaw",
    "orderBy",
    "orderByRaw",
    "groupBy",
    "groupByRaw",
    "having",
    "orHaving",
    "havingRaw",
    "orHavingRaw",
    "havingIn",
    "havingNotIn",
    "havingNull",
    "havingNotNull",
    "havingBetween",
    "havingNotBetween",
    "limit",
    "offset",
    "insert",
    "update",
    "del",
    "delete",
    "truncate",
    "returning",
    "onConflict",
    "merge",
    "ignore",
    "increment",
    "decrement",
    "updateFrom",
    "with",
    "withRecursive",
    "withMaterialized",
    "withNotMaterialized",
    "union",
    "unionAll",
    "forUpdate",
    "forShare",
    "forNoKeyUpdate",
    "forKeyShare",
    "skipLocked",
    "noWait",
    "clearSelect",
    "clearWhere",
    "clearOrder",
    "clearGroup",
    "clearHaving",
    "modify",
    "timeout",
    "transacting",
    "jsonExtract",
    "columnInfo",
    "upsert",
    "toSQL",
    "run",
];

/// Functions of the `knex` module this file registers (`knex.raw`, …).
pub const KNEX_FUNCTIONS: &[&str] = &[
    "raw",
    "batchInsert",
    "transaction",
    "select",
    "from",
    "table",
    "into",
    "with",
    "withRecursive",
    "withSchema",
    "queryBuilder",
    "ref",
    "jsonArray",
    "jsonObject",
    "null",
    "fn",
];

/// Methods of a join callback's argument (`join("a", function(j) j:on(…) end)`).
pub const JOIN_METHODS: &[&str] = &[
    "on",
    "andOn",
    "orOn",
    "onVal",
    "andOnVal",
    "orOnVal",
    "onIn",
    "andOnIn",
    "orOnIn",
    "onNotIn",
    "orOnNotIn",
    "onNull",
    "andOnNull",
    "orOnNull",
    "onNotNull",
    "andOnNotNull",
    "orOnNotNull",
    "onBetween",
    "orOnBetween",
    "onNotBetween",
    "orOnNotBetween",
];

/// Methods of `knex.raw(...)` values and of `knex.batchInsert(...)`.
pub const RAW_METHODS: &[&str] = &["run", "toSQL"];
pub const BATCH_METHODS: &[&str] = &["returning", "run", "toSQL"];

/// Queries built during one `up`/`down`/`seed` call, to catch a forgotten `:run()`.
#[derive(Default)]
struct Pending(RefCell<Vec<PendingEntry>>);

/// A value's "used" flag and the `file:line` that built it.
type PendingEntry = (Rc<Cell<bool>>, Option<String>);

/// A fresh "used" flag for a value built at the caller's line, registered as pending.
fn track(lua: &Lua) -> (Rc<Cell<bool>>, Option<String>) {
    let used = Rc::new(Cell::new(false));
    let location = caller_location(lua);
    if let Some(p) = lua.app_data_ref::<Pending>() {
        p.0.borrow_mut().push((used.clone(), location.clone()));
    }
    (used, location)
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

// ---------------------------------------------------------------------------
// knex.raw

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

impl UserData for RawQuery {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("run", |lua, this, ()| {
            this.used.set(true);
            // Several statements without values go through the simple protocol,
            // as node-postgres sends them (a prepared statement holds only one).
            if this.raw.bindings.is_empty() && crate::sql::raw::is_multi_statement(&this.raw.sql) {
                let text = crate::sql::raw::to_positional(&this.raw.sql);
                with_db(lua, |db| db.batch(&text))?
                    .map_err(|e| db_error_at(caller_location(lua).or(this.location.clone()), e))?;
                return lua.create_table();
            }
            let sql = Sql::new(this.raw.sql.clone(), this.raw.bindings.clone());
            let rows = with_db(lua, |db| db.query(&sql))?
                .map_err(|e| db_error_at(caller_location(lua).or(this.location.clone()), e))?;
            rows_to_lua(lua, &rows)
        });
        methods.add_method("toSQL", |lua, this, ()| {
            this.used.set(true);
            to_sql_table(lua, &this.raw)
        });
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
fn compile_raw(lua: &Lua, sql: &str, bindings: Option<LuaValue>) -> mlua::Result<Raw> {
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
fn raw_binding(lua: &Lua, v: &LuaValue) -> mlua::Result<RawBinding> {
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

fn is_sequence_or_empty(t: &Table) -> bool {
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

// ---------------------------------------------------------------------------
// The query builder

/// `knex("users")`: a query being built.
pub struct QueryBuilder {
    pub query: Query,
    used: Rc<Cell<bool>>,
    location: Option<String>,
}

impl QueryBuilder {
    /// A builder that counts as pending until run or used.
    fn tracked(lua: &Lua, query: Query) -> QueryBuilder {
        let (used, location) = track(lua);
        QueryBuilder {
            query,
            used,
            location,
        }
    }

    /// A builder handed to a callback (`where(function(q) … end)`): never pending.
    fn inner() -> QueryBuilder {
        QueryBuilder {
            query: Query::default(),
            used: Rc::new(Cell::new(true)),
            location: None,
        }
    }
}

type Args = Vec<LuaValue>;

/// Registers a chaining method: `f` edits the query, the builder is returned.
/// The query is moved out while `f` runs, so a callback `f` calls into Lua
/// (a grouped `where`) never meets a borrowed builder.
fn chain<M, F>(methods: &mut M, name: &'static str, f: F)
where
    M: UserDataMethods<QueryBuilder>,
    F: Fn(&Lua, &mut Query, Args) -> mlua::Result<()> + 'static,
{
    debug_assert!(
        QUERY_METHODS.contains(&name),
        "{name} missing from QUERY_METHODS"
    );
    methods.add_function(name, move |lua, (ud, args): (AnyUserData, MultiValue)| {
        let mut query = std::mem::take(&mut ud.borrow_mut::<QueryBuilder>()?.query);
        let result = f(lua, &mut query, args.into_iter().collect());
        ud.borrow_mut::<QueryBuilder>()?.query = query;
        result.map(|()| ud)
    });
}

impl UserData for QueryBuilder {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        // Select list.
        for name in ["select", "column", "columns"] {
            chain(m, name, |lua, q, args| {
                for a in &args {
                    q.columns.extend(columns_of(lua, a)?);
                }
                Ok(())
            });
        }
        chain(m, "distinct", |lua, q, args| {
            q.distinct = true;
            for a in &args {
                q.columns.extend(columns_of(lua, a)?);
            }
            Ok(())
        });
        chain(m, "distinctOn", |lua, q, args| {
            for a in &args {
                q.distinct_on.extend(names(lua, a, "distinctOn")?);
            }
            Ok(())
        });
        chain(m, "first", |lua, q, args| {
            for a in &args {
                q.columns.extend(columns_of(lua, a)?);
            }
            q.method = Method::First;
            q.limit = Some(Limit {
                value: 1,
                skip_binding: false,
            });
            Ok(())
        });
        chain(m, "pluck", |lua, q, args| {
            let column = string_arg(lua, args.first(), "pluck", "a column name")?;
            q.columns = vec![Column::Name(column.clone())];
            q.method = Method::Pluck(column);
            Ok(())
        });
        for (name, function, distinct) in [
            ("count", "count", false),
            ("countDistinct", "count", true),
            ("min", "min", false),
            ("max", "max", false),
            ("sum", "sum", false),
            ("sumDistinct", "sum", true),
            ("avg", "avg", false),
            ("avgDistinct", "avg", true),
        ] {
            chain(m, name, move |lua, q, args| {
                q.columns.push(aggregate(lua, function, distinct, &args)?);
                Ok(())
            });
        }
        chain(m, "jsonExtract", |lua, q, args| {
            let column = string_arg(lua, args.first(), "jsonExtract", "a column name")?;
            let path = string_arg(lua, args.get(1), "jsonExtract", "a JSON path")?;
            let mut sql = format!("jsonb_path_query({}, ?)", crate::sql::raw::wrap(&column));
            if let Some(LuaValue::String(alias)) = args.get(2) {
                sql.push_str(" as ");
                sql.push_str(&crate::sql::quote_ident(&alias.to_str()?));
            }
            q.columns
                .push(Column::Raw(Raw::new(sql, vec![Value::Text(path)])));
            Ok(())
        });

        // Tables.
        for name in ["from", "into", "table"] {
            chain(m, name, move |lua, q, args| {
                q.from = Some(source_of(lua, args.first(), name)?);
                Ok(())
            });
        }
        chain(m, "withSchema", |lua, q, args| {
            q.schema = Some(string_arg(
                lua,
                args.first(),
                "withSchema",
                "a schema name",
            )?);
            Ok(())
        });
        chain(m, "as", |lua, q, args| {
            q.alias = Some(string_arg(lua, args.first(), "as", "an alias")?);
            Ok(())
        });

        // Where.
        for (name, or, not) in [
            ("where", false, false),
            ("andWhere", false, false),
            ("orWhere", true, false),
            ("whereNot", false, true),
            ("andWhereNot", false, true),
            ("orWhereNot", true, true),
        ] {
            chain(m, name, move |lua, q, args| {
                add_where(lua, &mut q.wheres, name, or, not, &args)
            });
        }
        for (name, or, not) in [
            ("whereIn", false, false),
            ("orWhereIn", true, false),
            ("whereNotIn", false, true),
            ("orWhereNotIn", true, true),
            ("havingIn", false, false),
            ("havingNotIn", false, true),
        ] {
            chain(m, name, move |lua, q, args| {
                let clause = Clause {
                    or,
                    not,
                    cond: in_cond(lua, name, &args)?,
                };
                target(q, name).push(clause);
                Ok(())
            });
        }
        for (name, or, not) in [
            ("whereNull", false, false),
            ("orWhereNull", true, false),
            ("whereNotNull", false, true),
            ("orWhereNotNull", true, true),
            ("havingNull", false, false),
            ("havingNotNull", false, true),
        ] {
            chain(m, name, move |lua, q, args| {
                let column = string_arg(lua, args.first(), name, "a column name")?;
                target(q, name).push(Clause {
                    or,
                    not,
                    cond: Cond::Null(column),
                });
                Ok(())
            });
        }
        for (name, or, not) in [
            ("whereBetween", false, false),
            ("orWhereBetween", true, false),
            ("whereNotBetween", false, true),
            ("orWhereNotBetween", true, true),
            ("havingBetween", false, false),
            ("havingNotBetween", false, true),
        ] {
            chain(m, name, move |lua, q, args| {
                let cond = between(lua, name, &args)?;
                target(q, name).push(Clause { or, not, cond });
                Ok(())
            });
        }
        for (name, or, op) in [
            ("whereLike", false, "like"),
            ("orWhereLike", true, "like"),
            ("whereILike", false, "ilike"),
            ("orWhereILike", true, "ilike"),
        ] {
            chain(m, name, move |lua, q, args| {
                let left = column_operand(lua, args.first(), name)?;
                let right = operand(lua, value_arg(lua, args.get(1), name)?)?;
                q.wheres.push(Clause {
                    or,
                    not: false,
                    cond: Cond::Compare {
                        left,
                        op: op.into(),
                        right,
                    },
                });
                Ok(())
            });
        }
        for (name, or, not) in [
            ("whereExists", false, false),
            ("orWhereExists", true, false),
            ("whereNotExists", false, true),
            ("orWhereNotExists", true, true),
        ] {
            chain(m, name, move |lua, q, args| {
                let sub = subquery_arg(lua, args.first(), name)?;
                q.wheres.push(Clause {
                    or,
                    not,
                    cond: Cond::Exists(sub),
                });
                Ok(())
            });
        }
        for (name, or) in [
            ("whereRaw", false),
            ("orWhereRaw", true),
            ("havingRaw", false),
            ("orHavingRaw", true),
        ] {
            chain(m, name, move |lua, q, args| {
                let raw = raw_args(lua, &args, name)?;
                target(q, name).push(Clause {
                    or,
                    not: false,
                    cond: Cond::Raw(raw),
                });
                Ok(())
            });
        }
        for (name, or) in [("whereColumn", false), ("orWhereColumn", true)] {
            chain(m, name, move |lua, q, args| {
                let (left, op, right) = match args.len() {
                    2 => (args.first(), "=".to_string(), args.get(1)),
                    _ => (
                        args.first(),
                        string_arg(lua, args.get(1), name, "an operator")?,
                        args.get(2),
                    ),
                };
                let cond = Cond::Compare {
                    left: Operand::Ident(string_arg(lua, left, name, "a column name")?),
                    op: checked_operator(lua, &op)?,
                    right: Operand::Ident(string_arg(lua, right, name, "a column name")?),
                };
                q.wheres.push(Clause {
                    or,
                    not: false,
                    cond,
                });
                Ok(())
            });
        }
        chain(m, "whereJsonPath", |lua, q, args| {
            let column = string_arg(lua, args.first(), "whereJsonPath", "a column name")?;
            let path = string_arg(lua, args.get(1), "whereJsonPath", "a JSON path")?;
            let op = string_arg(lua, args.get(2), "whereJsonPath", "an operator")?;
            let value = to_value(lua, value_arg(lua, args.get(3), "whereJsonPath")?)?;
            q.and_where(Cond::JsonPath {
                column,
                path,
                op: checked_operator(lua, &op)?,
                value,
            });
            Ok(())
        });
        for (name, op) in [
            ("whereJsonObject", "="),
            ("whereJsonSupersetOf", "@>"),
            ("whereJsonSubsetOf", "<@"),
        ] {
            chain(m, name, move |lua, q, args| {
                let column = string_arg(lua, args.first(), name, "a column name")?;
                let json = match value_arg(lua, args.get(1), name)? {
                    LuaValue::Table(t) => super::value::table_to_json(lua, t, 0)?,
                    other => match to_value(lua, other)? {
                        Value::Text(s) => serde_json::from_str(&s)
                            .map_err(|e| usage_error(lua, format!("`{name}` expects JSON: {e}")))?,
                        v => {
                            return Err(usage_error(
                                lua,
                                format!("`{name}` expects a table, got {v:?}"),
                            ))
                        }
                    },
                };
                // Knex binds the JSON text, which no parameter type turns into an array.
                q.and_where(Cond::Compare {
                    left: Operand::Ident(column),
                    op: op.into(),
                    right: Operand::Value(Value::Text(json.to_string())),
                });
                Ok(())
            });
        }

        // Joins.
        for (name, kind) in [
            ("join", "inner join"),
            ("innerJoin", "inner join"),
            ("leftJoin", "left join"),
            ("leftOuterJoin", "left outer join"),
            ("rightJoin", "right join"),
            ("rightOuterJoin", "right outer join"),
            ("fullOuterJoin", "full outer join"),
            ("crossJoin", "cross join"),
        ] {
            chain(m, name, move |lua, q, args| {
                let join = join_of(lua, name, kind, &args)?;
                q.joins.push(JoinItem::Table(join));
                Ok(())
            });
        }
        chain(m, "joinRaw", |lua, q, args| {
            q.joins
                .push(JoinItem::Raw(raw_args(lua, &args, "joinRaw")?));
            Ok(())
        });

        // Order, group, having.
        chain(m, "orderBy", |lua, q, args| {
            q.orders.extend(orders_of(lua, &args)?);
            Ok(())
        });
        chain(m, "orderByRaw", |lua, q, args| {
            q.orders.push(Order {
                target: Operand::Raw(raw_args(lua, &args, "orderByRaw")?),
                direction: None,
                nulls: None,
            });
            Ok(())
        });
        chain(m, "groupBy", |lua, q, args| {
            for a in &args {
                match as_raw(a) {
                    Some(raw) => q.groups.push(Operand::Raw(raw)),
                    None => q
                        .groups
                        .extend(names(lua, a, "groupBy")?.into_iter().map(Operand::Ident)),
                }
            }
            Ok(())
        });
        chain(m, "groupByRaw", |lua, q, args| {
            q.groups
                .push(Operand::Raw(raw_args(lua, &args, "groupByRaw")?));
            Ok(())
        });
        for (name, or) in [("having", false), ("orHaving", true)] {
            chain(m, name, move |lua, q, args| {
                add_where(lua, &mut q.havings, name, or, false, &args)
            });
        }

        // Limit and offset.
        chain(m, "limit", |lua, q, args| {
            q.limit = match args.first() {
                None | Some(LuaValue::Nil) => None,
                Some(v) => Some(Limit {
                    value: integer_arg(lua, v, "limit")?,
                    skip_binding: option_flag(args.get(1), "skipBinding")?,
                }),
            };
            Ok(())
        });
        chain(m, "offset", |lua, q, args| {
            q.offset = match args.first() {
                None | Some(LuaValue::Nil) => None,
                Some(v) => Some(integer_arg(lua, v, "offset")?),
            };
            Ok(())
        });

        // Writes.
        chain(m, "insert", |lua, q, args| {
            let data = args.first().unwrap_or(&LuaValue::Nil);
            q.method = Method::Insert;
            q.insert = Some(match data {
                LuaValue::UserData(_) => {
                    InsertBody::Select(subquery_arg(lua, Some(data), "insert")?)
                }
                LuaValue::Table(t) => InsertBody::Rows(rows_of(lua, t, "insert")?),
                other => {
                    return Err(usage_error(
                        lua,
                        format!(
                            "`insert` expects a row ({{ col = value }}) or a list of rows, got {}",
                            describe(other)
                        ),
                    ))
                }
            });
            if let Some(r) = args.get(1).filter(|v| !v.is_nil()) {
                q.returning = names(lua, r, "insert")?;
            }
            Ok(())
        });
        chain(m, "update", |lua, q, args| {
            q.method = Method::Update;
            let returning = match args.first() {
                Some(LuaValue::Table(t)) => {
                    for (column, value) in pairs_of(lua, t, "update")? {
                        q.sets.push((column, SetExpr::Value(value)));
                    }
                    args.get(1)
                }
                Some(LuaValue::String(c)) => {
                    let value = operand(lua, value_arg(lua, args.get(1), "update")?)?;
                    q.sets
                        .push((c.to_str()?.to_string(), SetExpr::Value(value)));
                    args.get(2)
                }
                other => {
                    return Err(usage_error(
                        lua,
                        format!(
                            "`update` expects {{ col = value }} or (column, value), got {}",
                            describe(other.unwrap_or(&LuaValue::Nil))
                        ),
                    ))
                }
            };
            if let Some(r) = returning.filter(|v| !v.is_nil()) {
                q.returning = names(lua, r, "update")?;
            }
            Ok(())
        });
        for name in ["del", "delete"] {
            chain(m, name, move |lua, q, args| {
                q.method = Method::Delete;
                if let Some(r) = args.first().filter(|v| !v.is_nil()) {
                    q.returning = names(lua, r, name)?;
                }
                Ok(())
            });
        }
        chain(m, "truncate", |_, q, _| {
            q.method = Method::Truncate;
            Ok(())
        });
        chain(m, "returning", |lua, q, args| {
            q.returning.clear();
            for a in args.iter().take(1) {
                q.returning.extend(names(lua, a, "returning")?);
            }
            Ok(())
        });
        chain(m, "onConflict", |lua, q, args| {
            let target = match args.first() {
                None | Some(LuaValue::Nil) => ConflictTarget::None,
                Some(v) => match as_raw(v) {
                    Some(raw) => ConflictTarget::Raw(raw),
                    None => ConflictTarget::Columns(names(lua, v, "onConflict")?),
                },
            };
            q.on_conflict = Some(OnConflict {
                target,
                action: None,
            });
            Ok(())
        });
        chain(m, "merge", |lua, q, args| {
            let action = match args.first() {
                None | Some(LuaValue::Nil) => ConflictAction::MergeAll,
                Some(LuaValue::Table(t)) if t.raw_len() > 0 => {
                    ConflictAction::MergeColumns(names(lua, &LuaValue::Table(t.clone()), "merge")?)
                }
                Some(LuaValue::Table(t)) => ConflictAction::MergeValues(pairs_of(lua, t, "merge")?),
                Some(v) => ConflictAction::MergeColumns(names(lua, v, "merge")?),
            };
            conflict(lua, q, "merge")?.action = Some(action);
            Ok(())
        });
        chain(m, "ignore", |lua, q, _| {
            conflict(lua, q, "ignore")?.action = Some(ConflictAction::Ignore);
            Ok(())
        });
        for (name, sign) in [("increment", "+"), ("decrement", "-")] {
            chain(m, name, move |lua, q, args| {
                q.method = Method::Update;
                match args.first() {
                    Some(LuaValue::Table(t)) => {
                        for (column, amount) in pairs_of(lua, t, name)? {
                            q.sets.push((column, SetExpr::Step(sign, amount)));
                        }
                    }
                    first => {
                        let column = string_arg(lua, first, name, "a column name")?;
                        let amount = match args.get(1) {
                            None | Some(LuaValue::Nil) => Operand::Value(Value::Int(1)),
                            Some(v) => operand(lua, v)?,
                        };
                        q.sets.push((column, SetExpr::Step(sign, amount)));
                    }
                }
                Ok(())
            });
        }
        chain(m, "updateFrom", |lua, q, args| {
            q.update_from = Some(string_arg(lua, args.first(), "updateFrom", "a table name")?);
            Ok(())
        });
        chain(m, "upsert", |lua, _, _| {
            Err(usage_error(
                lua,
                "`upsert` is not supported on PostgreSQL (Knex neither): use `insert(...):onConflict(cols):merge()`",
            ))
        });

        // CTEs and unions.
        for (name, recursive, materialized) in [
            ("with", false, None),
            ("withRecursive", true, None),
            ("withMaterialized", false, Some(true)),
            ("withNotMaterialized", false, Some(false)),
        ] {
            chain(m, name, move |lua, q, args| {
                q.ctes
                    .push(cte_of(lua, name, recursive, materialized, &args)?);
                Ok(())
            });
        }
        for (name, all) in [("union", false), ("unionAll", true)] {
            chain(m, name, move |lua, q, args| {
                let wrap = matches!(args.last(), Some(LuaValue::Boolean(true)));
                for a in &args {
                    match a {
                        LuaValue::Boolean(_) => {}
                        LuaValue::Table(t) => {
                            for v in t.sequence_values::<LuaValue>() {
                                let body = subquery_arg(lua, Some(&v?), name)?;
                                q.unions.push(Union { all, body, wrap });
                            }
                        }
                        other => {
                            let body = subquery_arg(lua, Some(other), name)?;
                            q.unions.push(Union { all, body, wrap });
                        }
                    }
                }
                Ok(())
            });
        }

        // Locks.
        for (name, mode) in [
            ("forUpdate", LockMode::Update),
            ("forShare", LockMode::Share),
            ("forNoKeyUpdate", LockMode::NoKeyUpdate),
            ("forKeyShare", LockMode::KeyShare),
        ] {
            chain(m, name, move |lua, q, args| {
                let mut tables = Vec::new();
                for a in &args {
                    tables.extend(names(lua, a, name)?);
                }
                q.lock = Some(Lock {
                    mode,
                    tables,
                    wait: None,
                });
                Ok(())
            });
        }
        for (name, wait) in [("skipLocked", "skip locked"), ("noWait", "nowait")] {
            chain(m, name, move |lua, q, _| match q.lock.as_mut() {
                Some(lock) => {
                    lock.wait = Some(wait);
                    Ok(())
                }
                None => Err(usage_error(
                    lua,
                    format!("`{name}` needs a lock first: `:forUpdate():{name}()`"),
                )),
            });
        }

        // Clearing and helpers.
        chain(m, "clearSelect", |_, q, _| {
            q.columns.clear();
            q.distinct = false;
            q.distinct_on.clear();
            if matches!(q.method, Method::First | Method::Pluck(_)) {
                q.method = Method::Select;
            }
            Ok(())
        });
        chain(m, "clearWhere", |_, q, _| {
            q.wheres.clear();
            Ok(())
        });
        chain(m, "clearOrder", |_, q, _| {
            q.orders.clear();
            Ok(())
        });
        chain(m, "clearGroup", |_, q, _| {
            q.groups.clear();
            Ok(())
        });
        chain(m, "clearHaving", |_, q, _| {
            q.havings.clear();
            Ok(())
        });
        // Knex's client-side timeout has no equivalent for a synchronous run; accepted
        // so ported code runs (use `SET LOCAL statement_timeout` to bound a query).
        chain(m, "timeout", |_, _, _| Ok(()));
        // Every statement already runs on the run's one connection and transaction.
        chain(m, "transacting", |_, _, _| Ok(()));
        chain(m, "columnInfo", |lua, q, args| {
            let column = match args.first() {
                None | Some(LuaValue::Nil) => None,
                v => Some(string_arg(lua, v, "columnInfo", "a column name")?),
            };
            q.method = Method::ColumnInfo(column);
            Ok(())
        });

        // Methods that do not chain.
        m.add_function(
            "modify",
            |_, (ud, f, rest): (AnyUserData, Function, MultiValue)| {
                let mut args = MultiValue::new();
                args.push_back(LuaValue::UserData(ud.clone()));
                args.extend(rest);
                f.call::<()>(args)?;
                Ok(ud)
            },
        );
        m.add_function("toSQL", |lua, ud: AnyUserData| {
            let b = ud.borrow::<QueryBuilder>()?;
            b.used.set(true);
            let raw = b
                .query
                .to_raw()
                .map_err(|e| usage_error(lua, e.to_string()))?;
            let t = to_sql_table(lua, &raw)?;
            t.raw_set("method", method_name(&b.query.method))?;
            Ok(t)
        });
        m.add_function("run", |lua, ud: AnyUserData| {
            // Compiled under the borrow (no Lua runs meanwhile), so the rows of a
            // large insert are not copied first.
            let (raw, method, returning, location) = {
                let b = ud.borrow::<QueryBuilder>()?;
                b.used.set(true);
                (
                    b.query.to_raw(),
                    b.query.method.clone(),
                    !b.query.returning.is_empty(),
                    b.location.clone(),
                )
            };
            let raw = raw.map_err(|e| usage_error(lua, e.to_string()))?;
            run_query(lua, raw, &method, returning, location)
        });
        m.add_meta_function(
            MetaMethod::Index,
            |lua, (_, key): (AnyUserData, LuaValue)| {
                Err::<(), _>(unknown_method(lua, "query builder", &key, QUERY_METHODS))
            },
        );
        m.add_meta_function(MetaMethod::ToString, |_, ud: AnyUserData| {
            let b = ud.borrow::<QueryBuilder>()?;
            Ok(match b.query.to_raw() {
                Ok(raw) => format!("knex query: {}", raw.sql),
                Err(e) => format!("knex query (invalid: {e})"),
            })
        });
    }
}

/// "unknown … method `wher`; did you mean `where`?"
fn unknown_method(lua: &Lua, what: &str, key: &LuaValue, known: &[&str]) -> mlua::Error {
    let name = key
        .as_string()
        .map(|s| s.to_string_lossy())
        .unwrap_or_else(|| describe(key));
    let closest = known
        .iter()
        .map(|k| (edit_distance(&k.to_lowercase(), &name.to_lowercase()), *k))
        .min();
    let hint = match closest {
        Some((d, k)) if d <= 3 => format!("; did you mean `{k}`?"),
        _ => String::new(),
    };
    usage_error(lua, format!("unknown {what} method `{name}`{hint}"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn method_name(m: &Method) -> &'static str {
    match m {
        Method::Select | Method::ColumnInfo(_) => "select",
        Method::First => "first",
        Method::Pluck(_) => "pluck",
        Method::Insert => "insert",
        Method::Update => "update",
        Method::Delete => "del",
        Method::Truncate => "truncate",
    }
}

/// Which clause list a `where…` / `having…` method adds to.
fn target<'q>(q: &'q mut Query, name: &str) -> &'q mut Vec<Clause> {
    if name.starts_with("having") || name.starts_with("orHaving") {
        &mut q.havings
    } else {
        &mut q.wheres
    }
}

fn conflict<'q>(lua: &Lua, q: &'q mut Query, name: &str) -> mlua::Result<&'q mut OnConflict> {
    q.on_conflict.as_mut().ok_or_else(|| {
        usage_error(
            lua,
            format!(
                "`{name}` needs `onConflict(...)` first: `insert(...):onConflict(\"id\"):{name}()`"
            ),
        )
    })
}

// ---------------------------------------------------------------------------
// Argument parsing

fn string_arg(lua: &Lua, v: Option<&LuaValue>, method: &str, what: &str) -> mlua::Result<String> {
    match v {
        Some(LuaValue::String(s)) => Ok(s.to_str()?.to_string()),
        other => Err(usage_error(
            lua,
            format!(
                "`{method}` expects {what}, got {}",
                describe(other.unwrap_or(&LuaValue::Nil))
            ),
        )),
    }
}

fn integer_arg(lua: &Lua, v: &LuaValue, method: &str) -> mlua::Result<i64> {
    match v {
        LuaValue::Integer(i) => Ok(*i),
        LuaValue::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok(*n as i64),
        LuaValue::String(s) => s.to_str()?.trim().parse().map_err(|_| {
            usage_error(
                lua,
                format!("`{method}` expects an integer, got {}", describe(v)),
            )
        }),
        other => Err(usage_error(
            lua,
            format!("`{method}` expects an integer, got {}", describe(other)),
        )),
    }
}

fn option_flag(v: Option<&LuaValue>, key: &str) -> mlua::Result<bool> {
    match v {
        Some(LuaValue::Table(t)) => Ok(t.get::<Option<bool>>(key)?.unwrap_or(false)),
        _ => Ok(false),
    }
}

/// A value argument that must be present: Lua `nil` is Knex's `undefined`, which
/// Knex refuses; SQL NULL is `knex.null`.
fn value_arg<'a>(lua: &Lua, v: Option<&'a LuaValue>, method: &str) -> mlua::Result<&'a LuaValue> {
    match v {
        Some(v) if !v.is_nil() => Ok(v),
        _ => Err(usage_error(
            lua,
            format!("`{method}` got nil as a value: use `knex.null` for SQL NULL"),
        )),
    }
}

/// Column names from a string or a sequence of strings.
fn names(lua: &Lua, v: &LuaValue, method: &str) -> mlua::Result<Vec<String>> {
    match v {
        LuaValue::String(s) => Ok(vec![s.to_str()?.to_string()]),
        LuaValue::Table(t) => t
            .sequence_values::<LuaValue>()
            .map(|v| string_arg(lua, Some(&v?), method, "column names"))
            .collect(),
        other => Err(usage_error(
            lua,
            format!(
                "`{method}` expects a column name or a list of them, got {}",
                describe(other)
            ),
        )),
    }
}

/// A value in a statement: a query (subquery), a raw fragment, a reference or a bound value.
fn operand(lua: &Lua, v: &LuaValue) -> mlua::Result<Operand> {
    if let LuaValue::UserData(ud) = v {
        if ud.is::<QueryBuilder>() {
            if let Some(sub) = as_subquery(v) {
                return Ok(Operand::Sub(sub));
            }
        }
        if let Some(raw) = as_raw(v) {
            return Ok(Operand::Raw(raw));
        }
    }
    Ok(Operand::Value(to_value(lua, v)?))
}

/// The left side of a comparison: a column name or a raw expression.
fn column_operand(lua: &Lua, v: Option<&LuaValue>, method: &str) -> mlua::Result<Operand> {
    if let Some(raw) = v.and_then(as_raw) {
        return Ok(Operand::Raw(raw));
    }
    Ok(Operand::Ident(string_arg(lua, v, method, "a column name")?))
}

fn checked_operator(lua: &Lua, op: &str) -> mlua::Result<String> {
    operator(op)
        .map(|_| op.trim().to_lowercase())
        .map_err(|e| usage_error(lua, e.to_string()))
}

/// Select-list entries from one argument of `select(...)`.
fn columns_of(lua: &Lua, v: &LuaValue) -> mlua::Result<Vec<Column>> {
    match v {
        LuaValue::String(s) => Ok(vec![Column::Name(s.to_str()?.to_string())]),
        // `select(1)`: a number is SQL, as in Knex.
        LuaValue::Integer(i) => Ok(vec![Column::Raw(Raw::verbatim(i.to_string()))]),
        LuaValue::Table(t) if t.raw_len() > 0 => {
            let mut out = Vec::new();
            for item in t.sequence_values::<LuaValue>() {
                out.extend(columns_of(lua, &item?)?);
            }
            Ok(out)
        }
        LuaValue::Table(t) => Ok(sorted_pairs(lua, t, "select")?
            .into_iter()
            .map(|(alias, v)| match v {
                LuaValue::String(s) => Ok(Column::Aliased {
                    column: s.to_str()?.to_string(),
                    alias,
                }),
                other => match as_subquery_or_raw(&other) {
                    Some((raw, true)) => Ok(Column::Sub {
                        sql: raw,
                        alias: Some(alias),
                    }),
                    Some((raw, false)) => Ok(Column::Raw(Raw::new(
                        format!("{} as {}", raw.sql, crate::sql::quote_ident(&alias)),
                        raw.bindings,
                    ))),
                    None => Err(usage_error(
                        lua,
                        format!(
                            "`select` expects {{ alias = \"column\" }}, got {}",
                            describe(&other)
                        ),
                    )),
                },
            })
            .collect::<mlua::Result<_>>()?),
        LuaValue::UserData(ud) if ud.is::<QueryBuilder>() => {
            let alias = ud.borrow::<QueryBuilder>()?.query.alias.clone();
            let sql = as_subquery(v).ok_or_else(|| usage_error(lua, "invalid subquery"))?;
            Ok(vec![Column::Sub { sql, alias }])
        }
        other => match as_raw(other) {
            Some(raw) => Ok(vec![Column::Raw(raw)]),
            None => Err(usage_error(
                lua,
                format!("`select` expects column names, got {}", describe(other)),
            )),
        },
    }
}

/// `(raw, is_query_builder)`.
fn as_subquery_or_raw(v: &LuaValue) -> Option<(Raw, bool)> {
    match v {
        LuaValue::UserData(ud) if ud.is::<QueryBuilder>() => as_subquery(v).map(|r| (r, true)),
        other => as_raw(other).map(|r| (r, false)),
    }
}

fn aggregate(lua: &Lua, function: &str, distinct: bool, args: &[LuaValue]) -> mlua::Result<Column> {
    let (arg, alias) = match args.first() {
        None | Some(LuaValue::Nil) => (AggregateArg::All, None),
        Some(LuaValue::String(s)) => {
            let mut cols = vec![s.to_str()?.to_string()];
            for extra in &args[1..] {
                cols.push(string_arg(lua, Some(extra), function, "a column name")?);
            }
            if cols.len() == 1 && cols[0].trim_start().starts_with('*') {
                let alias = cols[0]
                    .to_ascii_lowercase()
                    .find(" as ")
                    .map(|at| cols[0][at + 4..].trim().to_string());
                (AggregateArg::All, alias)
            } else {
                (AggregateArg::Columns(cols), None)
            }
        }
        Some(LuaValue::Table(t)) => {
            let mut pairs = sorted_pairs(lua, t, function)?;
            if pairs.len() != 1 {
                return Err(usage_error(
                    lua,
                    format!("`{function}` expects one {{ alias = \"column\" }} pair"),
                ));
            }
            let (alias, column) = pairs.remove(0);
            let arg = match &column {
                LuaValue::String(s) if s.to_str()?.as_ref() == "*" => AggregateArg::All,
                LuaValue::String(s) => AggregateArg::Columns(vec![s.to_str()?.to_string()]),
                other => match as_raw(other) {
                    Some(raw) => AggregateArg::Raw(raw),
                    None => {
                        return Err(usage_error(
                            lua,
                            format!("`{function}` expects a column name"),
                        ))
                    }
                },
            };
            (arg, Some(alias))
        }
        Some(other) => match as_raw(other) {
            Some(raw) => (AggregateArg::Raw(raw), None),
            None => {
                return Err(usage_error(
                    lua,
                    format!(
                        "`{function}` expects a column name, got {}",
                        describe(other)
                    ),
                ))
            }
        },
    };
    Ok(Column::Aggregate {
        function: function.to_string(),
        distinct,
        arg,
        alias,
    })
}

fn source_of(lua: &Lua, v: Option<&LuaValue>, method: &str) -> mlua::Result<Source> {
    match v {
        Some(LuaValue::String(s)) => Ok(Source::Table(s.to_str()?.to_string())),
        Some(v @ LuaValue::UserData(ud)) if ud.is::<QueryBuilder>() => {
            let alias = ud.borrow::<QueryBuilder>()?.query.alias.clone();
            let sql = as_subquery(v).ok_or_else(|| usage_error(lua, "invalid subquery"))?;
            Ok(Source::Sub { sql, alias })
        }
        Some(v) => match as_raw(v) {
            Some(raw) => Ok(Source::Raw(raw)),
            None => Err(usage_error(
                lua,
                format!("`{method}` expects a table name, got {}", describe(v)),
            )),
        },
        None => Err(usage_error(lua, format!("`{method}` expects a table name"))),
    }
}

/// A query from a builder, a `knex.raw`, or a function filling a fresh builder.
fn subquery_arg(lua: &Lua, v: Option<&LuaValue>, method: &str) -> mlua::Result<Raw> {
    match v {
        Some(LuaValue::Function(f)) => {
            let query = run_callback(lua, f)?;
            query.to_raw().map_err(|e| usage_error(lua, e.to_string()))
        }
        Some(v) => as_raw(v).ok_or_else(|| {
            usage_error(
                lua,
                format!(
                    "`{method}` expects a query (knex(...)), got {}",
                    describe(v)
                ),
            )
        }),
        None => Err(usage_error(lua, format!("`{method}` expects a query"))),
    }
}

/// Calls `f(q)` with a fresh builder and returns what it built.
fn run_callback(lua: &Lua, f: &Function) -> mlua::Result<Query> {
    let ud = lua.create_userdata(QueryBuilder::inner())?;
    f.call::<()>(ud.clone())?;
    let query = std::mem::take(&mut ud.borrow_mut::<QueryBuilder>()?.query);
    Ok(query)
}

/// The (key, value) pairs of a table with string keys, sorted by key: a Lua
/// table has no order, and sorted keys make the SQL the same on every run.
fn sorted_pairs(lua: &Lua, t: &Table, method: &str) -> mlua::Result<Vec<(String, LuaValue)>> {
    let mut out = Vec::new();
    t.for_each(|k: LuaValue, v: LuaValue| {
        out.push((key_name(lua, &k, method)?, v));
        Ok(())
    })?;
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn key_name(lua: &Lua, k: &LuaValue, method: &str) -> mlua::Result<String> {
    match k {
        LuaValue::String(s) => Ok(s.to_str()?.to_string()),
        other => Err(usage_error(
            lua,
            format!(
                "`{method}` expects column names as keys ({{ name = value }}), got the key {}",
                describe(other)
            ),
        )),
    }
}

/// A row's (column, value) pairs, sorted by column. `for_each` walks the table
/// in one protected call, which matters for 100,000-row seeds.
fn pairs_of(lua: &Lua, t: &Table, method: &str) -> mlua::Result<Vec<(String, Operand)>> {
    let mut out = Vec::with_capacity(8);
    t.for_each(|k: LuaValue, v: LuaValue| {
        out.push((key_name(lua, &k, method)?, operand(lua, &v)?));
        Ok(())
    })?;
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Insert rows: one `{ col = value }` table, or a sequence of them. An empty
/// table inserts nothing (Knex's `insert([])`); `{ {} }` is one row of defaults.
fn rows_of(lua: &Lua, t: &Table, method: &str) -> mlua::Result<Vec<Vec<(String, Operand)>>> {
    let len = t.raw_len();
    if len == 0 {
        let row = pairs_of(lua, t, method)?;
        return Ok(if row.is_empty() {
            Vec::new()
        } else {
            vec![row]
        });
    }
    let mut rows = Vec::with_capacity(len);
    for item in t.sequence_values::<LuaValue>() {
        match item? {
            LuaValue::Table(row) => rows.push(pairs_of(lua, &row, method)?),
            other => {
                return Err(usage_error(
                    lua,
                    format!(
                        "`{method}` expects a list of rows ({{ {{ col = value }}, … }}), but an item is {}",
                        describe(&other)
                    ),
                ))
            }
        }
    }
    Ok(rows)
}

/// The arguments of `whereRaw(sql, bindings)` and friends.
fn raw_args(lua: &Lua, args: &[LuaValue], method: &str) -> mlua::Result<Raw> {
    match args.first() {
        Some(LuaValue::String(s)) => compile_raw(lua, &s.to_str()?, args.get(1).cloned()),
        Some(v) => as_raw(v).ok_or_else(|| {
            usage_error(
                lua,
                format!("`{method}` expects SQL text, got {}", describe(v)),
            )
        }),
        None => Err(usage_error(lua, format!("`{method}` expects SQL text"))),
    }
}

/// `where` in all its forms (SPEC §7.2, reference §6.5).
fn add_where(
    lua: &Lua,
    list: &mut Vec<Clause>,
    method: &str,
    or: bool,
    not: bool,
    args: &[LuaValue],
) -> mlua::Result<()> {
    let clause = |cond| Clause { or, not, cond };
    match args {
        [LuaValue::Function(f)] => {
            let inner = run_callback(lua, f)?;
            // `having(function(q) q:having(…) end)` groups havings; `where` groups wheres.
            let group = if method.contains("aving") && !inner.havings.is_empty() {
                inner.havings
            } else {
                inner.wheres
            };
            list.push(clause(Cond::Group(group)));
        }
        [LuaValue::Table(t)] => {
            let pairs = sorted_pairs(lua, t, method)?;
            let mut conds = Vec::with_capacity(pairs.len());
            for (column, v) in pairs {
                conds.push(Query::where_eq(&column, operand(lua, &v)?));
            }
            if or && !not {
                // Knex groups `orWhere({ a = 1, b = 2 })` as `or (a and b)`.
                let group = conds
                    .into_iter()
                    .map(|cond| Clause {
                        or: false,
                        not: false,
                        cond,
                    })
                    .collect();
                list.push(clause(Cond::Group(group)));
            } else {
                list.extend(conds.into_iter().map(clause));
            }
        }
        [single] => match as_raw(single) {
            Some(raw) => list.push(clause(Cond::Raw(raw))),
            None => {
                return Err(usage_error(
                    lua,
                    format!(
                        "`{method}` expects (column, value), (column, operator, value), a table or a function, got {}",
                        describe(single)
                    ),
                ))
            }
        },
        [column, value] => {
            let left = column_operand(lua, Some(column), method)?;
            let value = operand(lua, value_arg(lua, Some(value), method)?)?;
            let cond = match (left, value.is_null()) {
                (Operand::Ident(c), true) => Cond::Null(c),
                (left, _) => Cond::Compare {
                    left,
                    op: "=".into(),
                    right: value,
                },
            };
            list.push(clause(cond));
        }
        [column, op, value] => {
            let op = string_arg(lua, Some(op), method, "an operator")?;
            let value = value_arg(lua, Some(value), method)?;
            let lower = op.trim().to_lowercase();
            let cond = match lower.as_str() {
                "in" | "not in" => {
                    let in_clause = in_cond(lua, method, &[column.clone(), value.clone()])?;
                    list.push(Clause {
                        or,
                        not: not ^ (lower == "not in"),
                        cond: in_clause,
                    });
                    return Ok(());
                }
                "is" | "is not" if is_null_marker(value) => {
                    let c = string_arg(lua, Some(column), method, "a column name")?;
                    list.push(Clause {
                        or,
                        not: not ^ (lower == "is not"),
                        cond: Cond::Null(c),
                    });
                    return Ok(());
                }
                _ => Cond::Compare {
                    left: column_operand(lua, Some(column), method)?,
                    op: checked_operator(lua, &op)?,
                    right: operand(lua, value)?,
                },
            };
            list.push(clause(cond));
        }
        _ => {
            return Err(usage_error(
                lua,
                format!("`{method}` takes 1 to 3 arguments, got {}", args.len()),
            ))
        }
    }
    Ok(())
}

fn in_cond(lua: &Lua, method: &str, args: &[LuaValue]) -> mlua::Result<Cond> {
    let columns = match args.first() {
        Some(v @ LuaValue::Table(_)) => names(lua, v, method)?,
        v => vec![string_arg(lua, v, method, "a column name")?],
    };
    let values = value_arg(lua, args.get(1), method)?;
    let list = match values {
        LuaValue::Function(f) => {
            let query = run_callback(lua, f)?;
            InList::Sub(
                query
                    .to_raw()
                    .map_err(|e| usage_error(lua, e.to_string()))?,
            )
        }
        LuaValue::Table(t) if columns.len() > 1 => {
            let mut rows = Vec::new();
            for row in t.sequence_values::<LuaValue>() {
                match row? {
                    LuaValue::Table(r) => rows.push(
                        r.sequence_values::<LuaValue>()
                            .map(|v| operand(lua, &v?))
                            .collect::<mlua::Result<Vec<_>>>()?,
                    ),
                    other => {
                        return Err(usage_error(
                            lua,
                            format!(
                                "`{method}` on several columns expects a list of tuples, got {}",
                                describe(&other)
                            ),
                        ))
                    }
                }
            }
            InList::Tuples(rows)
        }
        LuaValue::Table(t) => InList::Values(
            t.sequence_values::<LuaValue>()
                .map(|v| operand(lua, &v?))
                .collect::<mlua::Result<Vec<_>>>()?,
        ),
        other => match as_raw(other) {
            Some(raw) => InList::Sub(raw),
            None => {
                return Err(usage_error(
                    lua,
                    format!(
                        "`{method}` expects a list of values or a query, got {}",
                        describe(other)
                    ),
                ))
            }
        },
    };
    Ok(Cond::In { columns, list })
}

fn between(lua: &Lua, method: &str, args: &[LuaValue]) -> mlua::Result<Cond> {
    let column = string_arg(lua, args.first(), method, "a column name")?;
    let range = match args.get(1) {
        Some(LuaValue::Table(t)) if t.raw_len() == 2 => t,
        other => {
            return Err(usage_error(
                lua,
                format!(
                    "`{method}` expects a range {{ low, high }}, got {}",
                    describe(other.unwrap_or(&LuaValue::Nil))
                ),
            ))
        }
    };
    Ok(Cond::Between {
        column,
        low: operand(lua, &range.raw_get::<LuaValue>(1)?)?,
        high: operand(lua, &range.raw_get::<LuaValue>(2)?)?,
    })
}

fn orders_of(lua: &Lua, args: &[LuaValue]) -> mlua::Result<Vec<Order>> {
    let direction = |v: Option<&LuaValue>| -> mlua::Result<&'static str> {
        Ok(match v {
            Some(LuaValue::String(s)) if s.to_str()?.eq_ignore_ascii_case("desc") => "desc",
            _ => "asc",
        })
    };
    let nulls = |v: Option<&LuaValue>| -> mlua::Result<Option<&'static str>> {
        Ok(match v {
            Some(LuaValue::String(s)) => match s.to_str()?.to_ascii_lowercase().as_str() {
                "first" => Some("first"),
                "last" => Some("last"),
                _ => None,
            },
            _ => None,
        })
    };
    match args.first() {
        Some(LuaValue::Table(t)) => {
            let mut out = Vec::new();
            for item in t.sequence_values::<LuaValue>() {
                match item? {
                    LuaValue::Table(spec) => {
                        let column: LuaValue = spec.get("column")?;
                        out.push(Order {
                            target: column_operand(lua, Some(&column), "orderBy")?,
                            direction: Some(direction(Some(&spec.get("order")?))?),
                            nulls: nulls(Some(&spec.get("nulls")?))?,
                        });
                    }
                    other => out.push(Order {
                        target: column_operand(lua, Some(&other), "orderBy")?,
                        direction: Some("asc"),
                        nulls: None,
                    }),
                }
            }
            Ok(out)
        }
        first => Ok(vec![Order {
            target: column_operand(lua, first, "orderBy")?,
            direction: Some(direction(args.get(1))?),
            nulls: nulls(args.get(2))?,
        }]),
    }
}

fn cte_of(
    lua: &Lua,
    method: &str,
    recursive: bool,
    materialized: Option<bool>,
    args: &[LuaValue],
) -> mlua::Result<Cte> {
    let name = string_arg(lua, args.first(), method, "a name")?;
    let (columns, body) = match args {
        [_, cols @ LuaValue::Table(_), body] => (names(lua, cols, method)?, body),
        [_, body] => (Vec::new(), body),
        _ => {
            return Err(usage_error(
                lua,
                format!("`{method}` expects (name, query) or (name, columns, query)"),
            ))
        }
    };
    let body = match body {
        LuaValue::String(s) => Raw::verbatim(s.to_str()?.to_string()),
        other => subquery_arg(lua, Some(other), method)?,
    };
    Ok(Cte {
        name,
        columns,
        body,
        recursive,
        materialized,
    })
}

// ---------------------------------------------------------------------------
// Joins

/// The argument of a join callback: collects `on` conditions.
#[derive(Default)]
pub struct JoinBuilder {
    on: Vec<Clause>,
}

fn join_chain<M, F>(methods: &mut M, name: &'static str, f: F)
where
    M: UserDataMethods<JoinBuilder>,
    F: Fn(&Lua, &mut Vec<Clause>, Args) -> mlua::Result<()> + 'static,
{
    debug_assert!(
        JOIN_METHODS.contains(&name),
        "{name} missing from JOIN_METHODS"
    );
    methods.add_function(name, move |lua, (ud, args): (AnyUserData, MultiValue)| {
        let mut on = std::mem::take(&mut ud.borrow_mut::<JoinBuilder>()?.on);
        let result = f(lua, &mut on, args.into_iter().collect());
        ud.borrow_mut::<JoinBuilder>()?.on = on;
        result.map(|()| ud)
    });
}

impl UserData for JoinBuilder {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        for (name, or) in [("on", false), ("andOn", false), ("orOn", true)] {
            join_chain(m, name, move |lua, on, args| {
                if let [LuaValue::Function(f)] = args.as_slice() {
                    let ud = lua.create_userdata(JoinBuilder::default())?;
                    f.call::<()>(ud.clone())?;
                    let inner = std::mem::take(&mut ud.borrow_mut::<JoinBuilder>()?.on);
                    on.push(Clause {
                        or,
                        not: false,
                        cond: Cond::Group(inner),
                    });
                    return Ok(());
                }
                let cond = on_cond(lua, name, &args)?;
                on.push(Clause {
                    or,
                    not: false,
                    cond,
                });
                Ok(())
            });
        }
        for (name, or) in [("onVal", false), ("andOnVal", false), ("orOnVal", true)] {
            join_chain(m, name, move |lua, on, args| {
                let (op, value) = match args.len() {
                    2 => ("=".to_string(), args.get(1)),
                    _ => (
                        string_arg(lua, args.get(1), name, "an operator")?,
                        args.get(2),
                    ),
                };
                on.push(Clause {
                    or,
                    not: false,
                    cond: Cond::Compare {
                        left: column_operand(lua, args.first(), name)?,
                        op: checked_operator(lua, &op)?,
                        right: operand(lua, value_arg(lua, value, name)?)?,
                    },
                });
                Ok(())
            });
        }
        for (name, or, not) in [
            ("onIn", false, false),
            ("andOnIn", false, false),
            ("orOnIn", true, false),
            ("onNotIn", false, true),
            ("orOnNotIn", true, true),
        ] {
            join_chain(m, name, move |lua, on, args| {
                on.push(Clause {
                    or,
                    not,
                    cond: in_cond(lua, name, &args)?,
                });
                Ok(())
            });
        }
        for (name, or, not) in [
            ("onNull", false, false),
            ("andOnNull", false, false),
            ("orOnNull", true, false),
            ("onNotNull", false, true),
            ("andOnNotNull", false, true),
            ("orOnNotNull", true, true),
        ] {
            join_chain(m, name, move |lua, on, args| {
                on.push(Clause {
                    or,
                    not,
                    cond: Cond::Null(string_arg(lua, args.first(), name, "a column name")?),
                });
                Ok(())
            });
        }
        for (name, or, not) in [
            ("onBetween", false, false),
            ("orOnBetween", true, false),
            ("onNotBetween", false, true),
            ("orOnNotBetween", true, true),
        ] {
            join_chain(m, name, move |lua, on, args| {
                on.push(Clause {
                    or,
                    not,
                    cond: between(lua, name, &args)?,
                });
                Ok(())
            });
        }
        m.add_meta_function(
            MetaMethod::Index,
            |lua, (_, key): (AnyUserData, LuaValue)| {
                Err::<(), _>(unknown_method(lua, "join clause", &key, JOIN_METHODS))
            },
        );
    }
}

/// `on(first, [op,] second)`: both sides are columns (or raw).
fn on_cond(lua: &Lua, method: &str, args: &[LuaValue]) -> mlua::Result<Cond> {
    let (op, second) = match args.len() {
        2 => ("=".to_string(), args.get(1)),
        3 => (
            string_arg(lua, args.get(1), method, "an operator")?,
            args.get(2),
        ),
        n => {
            return Err(usage_error(
                lua,
                format!("`{method}` expects (column, [operator,] column), got {n} arguments"),
            ))
        }
    };
    Ok(Cond::Compare {
        left: column_operand(lua, args.first(), method)?,
        op: checked_operator(lua, &op)?,
        right: column_operand(lua, second, method)?,
    })
}

fn join_of(lua: &Lua, method: &str, kind: &'static str, args: &[LuaValue]) -> mlua::Result<Join> {
    let table = source_of(lua, args.first(), method)?;
    let on = match &args[1.min(args.len())..] {
        [] => Vec::new(),
        [LuaValue::Function(f)] => {
            let ud = lua.create_userdata(JoinBuilder::default())?;
            f.call::<()>(ud.clone())?;
            std::mem::take(&mut ud.borrow_mut::<JoinBuilder>()?.on)
        }
        rest => vec![Clause {
            or: false,
            not: false,
            cond: on_cond(lua, method, rest)?,
        }],
    };
    Ok(Join { kind, table, on })
}

// ---------------------------------------------------------------------------
// Running

fn with_db<T>(
    lua: &Lua,
    f: impl FnOnce(&mut crate::db::Db) -> Result<T, crate::db::DbError>,
) -> mlua::Result<Result<T, crate::db::DbError>> {
    let ctx = lua
        .app_data_ref::<ScriptContext>()
        .ok_or_else(|| mlua::Error::runtime("queries can only run inside up/down/seed"))?;
    let mut db = ctx.db.borrow_mut();
    Ok(f(&mut db))
}

fn rows_to_lua(lua: &Lua, rows: &[Row]) -> mlua::Result<Table> {
    let out = lua.create_table_with_capacity(rows.len(), 0)?;
    for (i, row) in rows.iter().enumerate() {
        out.raw_set(i + 1, row_to_lua(lua, row)?)?;
    }
    Ok(out)
}

fn row_to_lua(lua: &Lua, row: &Row) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(0, row.values.len())?;
    for (col, v) in row.columns.iter().zip(&row.values) {
        t.raw_set(col.as_str(), to_lua(lua, v)?)?;
    }
    Ok(t)
}

/// `{ sql = "...", bindings = { ... } }`; NULL bindings are `knex.null` so the
/// list has no holes.
fn to_sql_table(lua: &Lua, raw: &Raw) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("sql", raw.sql.as_str())?;
    let bindings = lua.create_table_with_capacity(raw.bindings.len(), 0)?;
    for (i, v) in raw.bindings.iter().enumerate() {
        let lv = match v {
            Value::Null => LuaValue::UserData(lua.create_userdata(NullMarker)?),
            other => to_lua(lua, other)?,
        };
        bindings.raw_set(i + 1, lv)?;
    }
    t.raw_set("bindings", bindings)?;
    Ok(t)
}

/// `:run()`: sends the statement and shapes the result as SPEC §7.2 says.
fn run_query(
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

// ---------------------------------------------------------------------------
// knex.batchInsert

/// `knex.batchInsert(table, rows, chunkSize)`: a value until `:run()`. The
/// rows are read when it runs (as Knex reads them after `await`).
pub struct BatchInsertValue {
    table: String,
    rows: Table,
    chunk_size: usize,
    returning: Vec<String>,
    used: Rc<Cell<bool>>,
    location: Option<String>,
}

impl BatchInsertValue {
    fn batch(&self, lua: &Lua) -> mlua::Result<BatchInsert> {
        Ok(BatchInsert {
            table: self.table.clone(),
            schema: None,
            rows: rows_of(lua, &self.rows, "batchInsert")?,
            chunk_size: self.chunk_size,
            returning: self.returning.clone(),
        })
    }
}

impl UserData for BatchInsertValue {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_function("returning", |lua, (ud, cols): (AnyUserData, LuaValue)| {
            let names = names(lua, &cols, "returning")?;
            ud.borrow_mut::<BatchInsertValue>()?.returning = names;
            Ok(ud)
        });
        m.add_method("toSQL", |lua, this, ()| {
            this.used.set(true);
            let batch = this.batch(lua)?;
            let plan = batch.plan().map_err(|e| usage_error(lua, e.to_string()))?;
            let out = lua.create_table()?;
            for (i, step) in plan.iter().enumerate() {
                let raw = match step {
                    BatchStep::Copy { statement, .. } => Raw::verbatim(statement.clone()),
                    BatchStep::Insert(raw) => raw.clone(),
                };
                out.raw_set(i + 1, to_sql_table(lua, &raw)?)?;
            }
            Ok(out)
        });
        m.add_method("run", |lua, this, ()| {
            this.used.set(true);
            let at = || caller_location(lua).or(this.location.clone());
            if this.returning.is_empty() {
                if let Some(copy) = copy_fast(&this.table, &this.rows)? {
                    let n = with_db(lua, |db| {
                        db.begin()?;
                        match db.copy_in(&copy.statement, &copy.data) {
                            Ok(n) => db.commit().map(|()| n),
                            Err(e) => {
                                let _ = db.rollback();
                                Err(e)
                            }
                        }
                    })?
                    .map_err(|e| db_error_at(at(), e))?;
                    return Ok(LuaValue::Integer(i64::try_from(n).unwrap_or(i64::MAX)));
                }
            }
            let batch = this.batch(lua)?;
            let plan = batch.plan().map_err(|e| usage_error(lua, e.to_string()))?;
            let returning = !this.returning.is_empty();
            let result = with_db(lua, |db| {
                // All chunks or none, as Knex's own transaction around batchInsert.
                db.begin()?;
                let mut count = 0u64;
                let mut rows = Vec::new();
                let mut buffer = Vec::new();
                let outcome = (|| {
                    for step in &plan {
                        match step {
                            BatchStep::Copy {
                                statement,
                                rows: data,
                            } => {
                                buffer.clear();
                                encode_copy_rows(data, &mut buffer);
                                count += db.copy_in(statement, &buffer)?;
                            }
                            BatchStep::Insert(raw) => {
                                let sql = Sql::new(raw.sql.clone(), raw.bindings.clone());
                                if returning {
                                    rows.extend(db.query(&sql)?);
                                } else {
                                    count += db.execute(&sql)?;
                                }
                            }
                        }
                    }
                    Ok(())
                })();
                match outcome {
                    Ok(()) => db.commit().map(|()| (count, rows)),
                    Err(e) => {
                        let _ = db.rollback();
                        Err(e)
                    }
                }
            })?;
            let (count, rows) = result.map_err(|e| db_error_at(at(), e))?;
            if returning {
                Ok(LuaValue::Table(rows_to_lua(lua, &rows)?))
            } else {
                Ok(LuaValue::Integer(i64::try_from(count).unwrap_or(i64::MAX)))
            }
        });
        m.add_meta_function(
            MetaMethod::Index,
            |lua, (_, key): (AnyUserData, LuaValue)| {
                Err::<(), _>(unknown_method(lua, "batchInsert", &key, BATCH_METHODS))
            },
        );
    }
}

/// A `COPY` ready to stream.
struct CopyData {
    statement: String,
    data: Vec<u8>,
}

/// The common case of a large seed, encoded straight from the Lua tables into
/// `COPY` text: every row names the same columns and holds only strings,
/// numbers, booleans and `knex.null`. `None` for anything else, which then takes
/// the general path ([`BatchInsert::plan`]) and gives the same rows.
fn copy_fast(table: &str, rows: &Table) -> mlua::Result<Option<CopyData>> {
    let len = rows.raw_len();
    let first = match rows.raw_get::<LuaValue>(1)? {
        LuaValue::Table(t) if len > 0 => t,
        _ => return Ok(None),
    };
    let mut columns: Vec<String> = Vec::new();
    let mut keys_ok = true;
    first.for_each(|k: LuaValue, _: LuaValue| {
        match k {
            LuaValue::String(s) => match s.to_str() {
                Ok(name) => columns.push(name.to_string()),
                Err(_) => keys_ok = false,
            },
            _ => keys_ok = false,
        }
        Ok(())
    })?;
    if !keys_ok || columns.is_empty() {
        return Ok(None);
    }
    columns.sort_unstable();
    let mut data = Vec::with_capacity(len * (columns.len() * 12 + 1));
    // Each row's fields land in `scratch` in table order, then go out in column order.
    let mut scratch = Vec::new();
    let mut spans: Vec<Option<(usize, usize)>> = vec![None; columns.len()];
    for i in 1..=len {
        let LuaValue::Table(row) = rows.raw_get::<LuaValue>(i)? else {
            return Ok(None);
        };
        scratch.clear();
        spans.iter_mut().for_each(|s| *s = None);
        let mut fits = true;
        let mut seen = 0;
        row.for_each(|k: LuaValue, v: LuaValue| {
            if !fits {
                return Ok(());
            }
            let position = match &k {
                LuaValue::String(s) => {
                    let key = s.as_bytes();
                    columns.iter().position(|c| c.as_bytes() == &key[..])
                }
                _ => None,
            };
            let Some(at) = position else {
                fits = false;
                return Ok(());
            };
            let start = scratch.len();
            if !copy_field(&v, &mut scratch) {
                fits = false;
                return Ok(());
            }
            spans[at] = Some((start, scratch.len()));
            seen += 1;
            Ok(())
        })?;
        if !fits || seen != columns.len() {
            return Ok(None);
        }
        for (j, span) in spans.iter().enumerate() {
            if j > 0 {
                data.push(b'\t');
            }
            if let Some((a, b)) = span {
                data.extend_from_slice(&scratch[*a..*b]);
            }
        }
        data.push(b'\n');
    }
    let quoted: Vec<String> = columns.iter().map(|c| crate::sql::quote_ident(c)).collect();
    Ok(Some(CopyData {
        statement: format!(
            "COPY {} ({}) FROM STDIN",
            crate::sql::raw::wrap(table),
            quoted.join(", ")
        ),
        data,
    }))
}

/// One field in `COPY` text form, exactly as [`to_value`] would bind it; false
/// for values `COPY` cannot carry (tables, `knex.raw`, …).
fn copy_field(v: &LuaValue, out: &mut Vec<u8>) -> bool {
    use std::io::Write;
    match v {
        LuaValue::String(s) => {
            let bytes = s.as_bytes();
            if std::str::from_utf8(&bytes).is_ok() && !bytes.contains(&0) {
                escape_copy(&bytes, out);
            } else {
                // Binary data: bytea's hex form, its backslash escaped for COPY.
                out.extend_from_slice(b"\\\\x");
                for b in bytes.iter() {
                    let _ = write!(out, "{b:02x}");
                }
            }
        }
        LuaValue::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        LuaValue::Number(n) => match Value::Float(*n).to_pg_text() {
            Some(text) => out.extend_from_slice(text.as_bytes()),
            None => return false,
        },
        LuaValue::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        LuaValue::UserData(ud) if ud.is::<NullMarker>() => out.extend_from_slice(b"\\N"),
        _ => return false,
    }
    true
}

// ---------------------------------------------------------------------------
// Registration

pub fn register(lua: &Lua, knex: &Table) -> mlua::Result<()> {
    // A fresh list for each `up` / `down` / `seed` call, so a call that failed
    // leaves nothing behind for the next one (`knex.transaction` keeps its caller's).
    lua.set_app_data(Pending::default());
    // `knex("users")` starts a query.
    let meta = match knex.metatable() {
        Some(m) => m,
        None => {
            let m = lua.create_table()?;
            knex.set_metatable(Some(m.clone()))?;
            m
        }
    };
    meta.raw_set(
        "__call",
        lua.create_function(|lua, (_, table): (LuaValue, LuaValue)| {
            let mut query = Query::default();
            if !table.is_nil() {
                query.from = Some(source_of(lua, Some(&table), "knex")?);
            }
            lua.create_userdata(QueryBuilder::tracked(lua, query))
        })?,
    )?;

    module_fn(
        lua,
        knex,
        "raw",
        |lua, (sql, bindings): (String, Option<LuaValue>)| {
            let raw = compile_raw(lua, &sql, bindings)?;
            let (used, location) = track(lua);
            lua.create_userdata(RawQuery {
                raw,
                location,
                used,
            })
        },
    )?;

    // Module-level starts of a query: `knex.select("id"):from("users")`, …
    for name in [
        "select",
        "from",
        "table",
        "into",
        "with",
        "withRecursive",
        "withSchema",
    ] {
        let start: Function = lua.create_function(move |lua, args: MultiValue| {
            let ud = lua.create_userdata(QueryBuilder::tracked(lua, Query::default()))?;
            let method: Function = ud.get(name)?;
            let mut call = MultiValue::new();
            call.push_back(LuaValue::UserData(ud));
            call.extend(args);
            method.call::<LuaValue>(call)
        })?;
        let me = knex.clone();
        knex.raw_set(
            name,
            lua.create_function(move |_, args: MultiValue| {
                start.call::<LuaValue>(super::knex::drop_self(args, &me))
            })?,
        )?;
    }
    module_fn(lua, knex, "queryBuilder", |lua, ()| {
        lua.create_userdata(QueryBuilder::tracked(lua, Query::default()))
    })?;

    module_fn(
        lua,
        knex,
        "batchInsert",
        |lua, (table, rows, chunk): (String, Table, Option<i64>)| {
            let chunk_size = match chunk {
                None => 1000,
                Some(n) if n > 0 => n as usize,
                Some(n) => {
                    return Err(usage_error(
                        lua,
                        format!("`batchInsert` chunk size must be positive, got {n}"),
                    ))
                }
            };
            let (used, location) = track(lua);
            lua.create_userdata(BatchInsertValue {
                table,
                rows,
                chunk_size,
                returning: Vec::new(),
                used,
                location,
            })
        },
    )?;

    module_fn(lua, knex, "transaction", |lua, f: Function| {
        let outer = lua.remove_app_data::<Pending>().unwrap_or_default();
        let trx = super::knex::create(lua);
        // Queries built inside the transaction join the caller's list.
        if let Some(inner) = lua.remove_app_data::<Pending>() {
            outer.0.borrow_mut().extend(inner.0.into_inner());
        }
        lua.set_app_data(outer);
        let trx = trx?;
        with_db(lua, |db| db.begin())?.map_err(|e| super::error::db_error(lua, e))?;
        match f.call::<MultiValue>(trx) {
            Ok(values) => {
                with_db(lua, |db| db.commit())?.map_err(|e| super::error::db_error(lua, e))?;
                Ok(values)
            }
            Err(err) => {
                // Roll back to the savepoint; the original error is what the user needs.
                let _ = with_db(lua, |db| db.rollback());
                Err(err)
            }
        }
    })?;
    Ok(())
}
