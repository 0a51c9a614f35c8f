//! Knex's query builder as plain data: a [`Query`] records what `knex("users")`
//! calls asked for, and [`Query::to_raw`] renders it to the SQL Knex 3.3 emits on
//! PostgreSQL, with `?` placeholders and the bound values in order.
//!
//! No Lua, no connection, no I/O: the Lua bridge (`crate::lua::query`) fills a
//! `Query` from method calls; the runner sends what this renders. Lists that
//! come from Lua tables (insert rows, update sets) arrive already ordered, so
//! rendering is deterministic.

mod batch;
mod compile;

pub use batch::{encode_copy_rows, escape_copy, BatchInsert, BatchStep};
pub use compile::{operator, QueryError};

use crate::sql::{Raw, Value};

/// Something that stands for a value in a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A bound parameter.
    Value(Value),
    /// SQL inlined as it is, with its own bindings (`knex.raw`, `knex.fn.now()`).
    Raw(Raw),
    /// A compiled query used as a value: rendered in parentheses.
    Sub(Raw),
    /// A column reference (`knex.ref`, `whereColumn`, join `on`): wrapped, not bound.
    Ident(String),
}

impl From<Value> for Operand {
    fn from(v: Value) -> Operand {
        Operand::Value(v)
    }
}

impl Operand {
    pub fn is_null(&self) -> bool {
        matches!(self, Operand::Value(Value::Null))
    }
}

/// A table to read from or write to.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A (possibly dotted, possibly `x as y`) table name.
    Table(String),
    /// A subquery, with the alias given by `:as(...)`.
    Sub {
        sql: Raw,
        alias: Option<String>,
    },
    Raw(Raw),
}

/// The argument of an aggregate function.
#[derive(Debug, Clone, PartialEq)]
pub enum AggregateArg {
    /// `count()` → `count(*)`.
    All,
    /// Column names (`count('a')`, `count('a', 'b')`).
    Columns(Vec<String>),
    Raw(Raw),
}

/// One entry of the select list.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// A column name, wrapped the Knex way (`"id" as "uid"`, `"users".*`).
    Name(String),
    /// `{ alias = "column" }`.
    Aliased {
        column: String,
        alias: String,
    },
    Raw(Raw),
    Sub {
        sql: Raw,
        alias: Option<String>,
    },
    Aggregate {
        function: String,
        distinct: bool,
        arg: AggregateArg,
        alias: Option<String>,
    },
}

/// A condition in `where`, `having` or a join's `on`.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// Joined to the previous clause with `or` instead of `and`.
    pub or: bool,
    /// `whereNot…`: negated.
    pub not: bool,
    pub cond: Cond,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// `left op right`; `left` is an `Ident` or `Raw`, `op` checked and normalised.
    Compare {
        left: Operand,
        op: String,
        right: Operand,
    },
    In {
        columns: Vec<String>,
        list: InList,
    },
    Null(String),
    Between {
        column: String,
        low: Operand,
        high: Operand,
    },
    Exists(Raw),
    Raw(Raw),
    /// `where(function(q) … end)`: parenthesised; empty groups vanish.
    Group(Vec<Clause>),
    /// `whereJsonPath(column, path, op, value)`.
    JsonPath {
        column: String,
        path: String,
        op: String,
        value: Value,
    },
}

/// What `whereIn` tests membership in.
#[derive(Debug, Clone, PartialEq)]
pub enum InList {
    Values(Vec<Operand>),
    /// Multi-column `whereIn(['a','b'], [[1,2],[3,4]])`.
    Tuples(Vec<Vec<Operand>>),
    Sub(Raw),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// `inner join`, `left join`, … ; `cross join` has no conditions.
    pub kind: &'static str,
    pub table: Source,
    pub on: Vec<Clause>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JoinItem {
    Table(Join),
    /// `joinRaw('natural join a')`.
    Raw(Raw),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub target: Operand,
    /// `asc` / `desc`; `None` for `orderByRaw`.
    pub direction: Option<&'static str>,
    pub nulls: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub value: i64,
    /// `limit(10, { skipBinding = true })` inlines the number.
    pub skip_binding: bool,
}

/// `insert(...)`'s payload.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertBody {
    /// Rows as ordered (column, value) lists; a missing column is `DEFAULT`.
    Rows(Vec<Vec<(String, Operand)>>),
    /// `insert(knex.select(...))`.
    Select(Raw),
}

/// One assignment of an `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum SetExpr {
    Value(Operand),
    /// `increment` (`+`) / `decrement` (`-`).
    Step(&'static str, Operand),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConflictTarget {
    None,
    Columns(Vec<String>),
    Raw(Raw),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConflictAction {
    Ignore,
    /// `merge()`: every inserted column.
    MergeAll,
    MergeColumns(Vec<String>),
    MergeValues(Vec<(String, Operand)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct OnConflict {
    pub target: ConflictTarget,
    pub action: Option<ConflictAction>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cte {
    pub name: String,
    pub columns: Vec<String>,
    pub body: Raw,
    pub recursive: bool,
    pub materialized: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Union {
    pub all: bool,
    pub body: Raw,
    pub wrap: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    Update,
    Share,
    NoKeyUpdate,
    KeyShare,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lock {
    pub mode: LockMode,
    pub tables: Vec<String>,
    /// `skip locked` / `nowait`.
    pub wait: Option<&'static str>,
}

/// What the statement does; the last of `insert`/`update`/`del`/… wins, as in Knex.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Method {
    #[default]
    Select,
    /// `first()`: `limit 1`, one row back.
    First,
    /// `pluck(col)`: the values of one column.
    Pluck(String),
    Insert,
    Update,
    Delete,
    Truncate,
    /// `columnInfo([col])`.
    ColumnInfo(Option<String>),
}

/// Everything a query builder has been told, in Knex's terms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    pub method: Method,
    pub from: Option<Source>,
    pub schema: Option<String>,
    /// `:as('u')`: the alias this query gets when used as a subquery.
    pub alias: Option<String>,
    pub columns: Vec<Column>,
    pub distinct: bool,
    pub distinct_on: Vec<String>,
    pub joins: Vec<JoinItem>,
    pub wheres: Vec<Clause>,
    pub groups: Vec<Operand>,
    pub havings: Vec<Clause>,
    pub orders: Vec<Order>,
    pub limit: Option<Limit>,
    pub offset: Option<i64>,
    pub insert: Option<InsertBody>,
    pub sets: Vec<(String, SetExpr)>,
    pub update_from: Option<String>,
    pub returning: Vec<String>,
    pub on_conflict: Option<OnConflict>,
    pub ctes: Vec<Cte>,
    pub unions: Vec<Union>,
    pub lock: Option<Lock>,
}

impl Query {
    /// `knex(table)`.
    pub fn table(name: impl Into<String>) -> Query {
        Query {
            from: Some(Source::Table(name.into())),
            ..Query::default()
        }
    }

    /// Adds a where clause (`and`, not negated).
    pub fn and_where(&mut self, cond: Cond) -> &mut Query {
        self.wheres.push(Clause {
            or: false,
            not: false,
            cond,
        });
        self
    }

    /// `where(column, value)`: `=`, or `is null` for NULL (Knex's rule).
    pub fn where_eq(column: &str, value: Operand) -> Cond {
        if value.is_null() {
            Cond::Null(column.to_string())
        } else {
            Cond::Compare {
                left: Operand::Ident(column.to_string()),
                op: "=".into(),
                right: value,
            }
        }
    }

    /// Adds one insert row (ordered column/value pairs).
    pub fn insert_rows(&mut self, rows: Vec<Vec<(String, Operand)>>) -> &mut Query {
        self.method = Method::Insert;
        self.insert = Some(InsertBody::Rows(rows));
        self
    }

    /// Sets `update` assignments in the given order.
    pub fn update(&mut self, sets: Vec<(String, Operand)>) -> &mut Query {
        self.method = Method::Update;
        self.sets
            .extend(sets.into_iter().map(|(c, v)| (c, SetExpr::Value(v))));
        self
    }
}
