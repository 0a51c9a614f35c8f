//! `knex(table)` queries: every method of the query builder.

use super::Builder::{Join as JoinB, Query as QueryB};
use super::Returns::Value;
use super::Role::*;
use super::{m, Method, Role};
use crate::sql::query::LockMode;

const NONE: &[Role] = &[];
const COLUMNS: &[Role] = &[Columns];
const COLUMN_ARG: &[Role] = &[Column];
const ROW_OR_COLUMN: &[Role] = &[RowOrColumn];
const OTHER: &[Role] = &[Other];
/// SQL text, then its bindings (`??` ones are names).
const SQL_BINDINGS: &[Role] = &[Other, Bindings];

/// Where a `where…`-style condition goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clauses {
    Where,
    Having,
}

/// What a query builder method does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryOp {
    Select,
    Distinct,
    DistinctOn,
    First,
    Pluck,
    Aggregate {
        function: &'static str,
        distinct: bool,
    },
    JsonExtract,
    From,
    WithSchema,
    As,
    Where {
        or: bool,
        not: bool,
    },
    Having {
        or: bool,
    },
    In {
        or: bool,
        not: bool,
        into: Clauses,
    },
    Null {
        or: bool,
        not: bool,
        into: Clauses,
    },
    Between {
        or: bool,
        not: bool,
        into: Clauses,
    },
    Like {
        or: bool,
        op: &'static str,
    },
    Exists {
        or: bool,
        not: bool,
        into: Clauses,
    },
    Raw {
        or: bool,
        into: Clauses,
    },
    WhereColumn {
        or: bool,
        not: bool,
    },
    JsonPath {
        or: bool,
    },
    JsonCompare {
        op: &'static str,
        or: bool,
        not: bool,
    },
    Join {
        kind: &'static str,
    },
    JoinRaw,
    OrderBy,
    OrderByRaw,
    GroupBy,
    GroupByRaw,
    Limit,
    Offset,
    Insert,
    Update,
    Delete,
    Truncate,
    Returning,
    OnConflict,
    Merge,
    Ignore,
    Step {
        sign: &'static str,
    },
    UpdateFrom,
    Upsert,
    With {
        recursive: bool,
        materialized: Option<bool>,
    },
    Union {
        all: bool,
    },
    Lock(LockMode),
    LockWait(&'static str),
    ClearSelect,
    ClearWhere,
    ClearOrder,
    ClearGroup,
    ClearHaving,
    /// `clear("select" | "where" | …)`: one of the `clear…` methods by name.
    Clear,
    ClearCounters,
    FromRaw,
    Clone,
    /// Knex options with no meaning for a synchronous run on one connection
    /// (`timeout`, `transacting`): accepted so ported code runs.
    Accepted,
    ColumnInfo,
    Modify,
    ToSql,
    Run,
    Cursor,
}

impl QueryOp {
    /// Every query method but `run`, `toSQL` and `cursor` (vectra-db's own) is also a function of the
    /// `knex` module that starts a query, as in Knex (`knex.insert(rows)`).
    pub fn starts_query(self) -> bool {
        !matches!(self, QueryOp::Run | QueryOp::ToSql | QueryOp::Cursor)
    }
}

/// Every method of a query builder, one line each (aliases share an operation).
#[rustfmt::skip]
pub static QUERY: &[Method<QueryOp>] = {
    use Clauses::{Having as H, Where as W};
    use QueryOp::*;
    const fn agg(function: &'static str, distinct: bool) -> QueryOp {
        Aggregate { function, distinct }
    }
    const fn json(op: &'static str, or: bool, not: bool) -> QueryOp {
        JsonCompare { op, or, not }
    }
    &[
        m("select", Select, COLUMNS),
        m("column", Select, COLUMNS),
        m("columns", Select, COLUMNS),
        m("distinct", Distinct, COLUMNS),
        m("distinctOn", DistinctOn, COLUMNS),
        m("first", First, COLUMNS),
        m("pluck", Pluck, COLUMN_ARG),
        m("count", agg("count", false), COLUMNS),
        m("countDistinct", agg("count", true), COLUMNS),
        m("min", agg("min", false), COLUMNS),
        m("max", agg("max", false), COLUMNS),
        m("sum", agg("sum", false), COLUMNS),
        m("sumDistinct", agg("sum", true), COLUMNS),
        m("avg", agg("avg", false), COLUMNS),
        m("avgDistinct", agg("avg", true), COLUMNS),
        m("jsonExtract", JsonExtract, COLUMN_ARG),
        m("from", From, &[Table]),
        m("into", From, &[Table]),
        m("table", From, &[Table]),
        m("fromRaw", FromRaw, SQL_BINDINGS),
        m("withSchema", WithSchema, OTHER),
        m("as", As, OTHER),
        m("where", Where { or: false, not: false }, ROW_OR_COLUMN).callback(QueryB),
        m("andWhere", Where { or: false, not: false }, ROW_OR_COLUMN).callback(QueryB),
        m("orWhere", Where { or: true, not: false }, ROW_OR_COLUMN).callback(QueryB),
        m("whereNot", Where { or: false, not: true }, ROW_OR_COLUMN).callback(QueryB),
        m("andWhereNot", Where { or: false, not: true }, ROW_OR_COLUMN).callback(QueryB),
        m("orWhereNot", Where { or: true, not: true }, ROW_OR_COLUMN).callback(QueryB),
        m("whereIn", In { or: false, not: false, into: W }, ROW_OR_COLUMN).callback(QueryB),
        m("orWhereIn", In { or: true, not: false, into: W }, ROW_OR_COLUMN).callback(QueryB),
        m("whereNotIn", In { or: false, not: true, into: W }, ROW_OR_COLUMN).callback(QueryB),
        m("orWhereNotIn", In { or: true, not: true, into: W }, ROW_OR_COLUMN).callback(QueryB),
        m("whereNull", Null { or: false, not: false, into: W }, COLUMN_ARG),
        m("orWhereNull", Null { or: true, not: false, into: W }, COLUMN_ARG),
        m("whereNotNull", Null { or: false, not: true, into: W }, COLUMN_ARG),
        m("orWhereNotNull", Null { or: true, not: true, into: W }, COLUMN_ARG),
        m("whereBetween", Between { or: false, not: false, into: W }, COLUMN_ARG),
        m("andWhereBetween", Between { or: false, not: false, into: W }, COLUMN_ARG),
        m("orWhereBetween", Between { or: true, not: false, into: W }, COLUMN_ARG),
        m("whereNotBetween", Between { or: false, not: true, into: W }, COLUMN_ARG),
        m("andWhereNotBetween", Between { or: false, not: true, into: W }, COLUMN_ARG),
        m("orWhereNotBetween", Between { or: true, not: true, into: W }, COLUMN_ARG),
        m("whereLike", Like { or: false, op: "like" }, COLUMN_ARG),
        m("andWhereLike", Like { or: false, op: "like" }, COLUMN_ARG),
        m("orWhereLike", Like { or: true, op: "like" }, COLUMN_ARG),
        m("whereILike", Like { or: false, op: "ilike" }, COLUMN_ARG),
        m("andWhereILike", Like { or: false, op: "ilike" }, COLUMN_ARG),
        m("orWhereILike", Like { or: true, op: "ilike" }, COLUMN_ARG),
        m("whereExists", Exists { or: false, not: false, into: W }, OTHER).callback(QueryB),
        m("orWhereExists", Exists { or: true, not: false, into: W }, OTHER).callback(QueryB),
        m("whereNotExists", Exists { or: false, not: true, into: W }, OTHER).callback(QueryB),
        m("orWhereNotExists", Exists { or: true, not: true, into: W }, OTHER).callback(QueryB),
        m("whereRaw", Raw { or: false, into: W }, SQL_BINDINGS),
        m("andWhereRaw", Raw { or: false, into: W }, SQL_BINDINGS),
        m("orWhereRaw", Raw { or: true, into: W }, SQL_BINDINGS),
        m("whereColumn", WhereColumn { or: false, not: false }, &[ColumnPair]),
        m("andWhereColumn", WhereColumn { or: false, not: false }, &[ColumnPair]),
        m("orWhereColumn", WhereColumn { or: true, not: false }, &[ColumnPair]),
        m("whereNotColumn", WhereColumn { or: false, not: true }, &[ColumnPair]),
        m("andWhereNotColumn", WhereColumn { or: false, not: true }, &[ColumnPair]),
        m("orWhereNotColumn", WhereColumn { or: true, not: true }, &[ColumnPair]),
        m("whereJsonPath", JsonPath { or: false }, COLUMN_ARG),
        m("andWhereJsonPath", JsonPath { or: false }, COLUMN_ARG),
        m("orWhereJsonPath", JsonPath { or: true }, COLUMN_ARG),
        m("whereJsonObject", json("=", false, false), COLUMN_ARG),
        m("andWhereJsonObject", json("=", false, false), COLUMN_ARG),
        m("orWhereJsonObject", json("=", true, false), COLUMN_ARG),
        m("whereNotJsonObject", json("=", false, true), COLUMN_ARG),
        m("andWhereNotJsonObject", json("=", false, true), COLUMN_ARG),
        m("orWhereNotJsonObject", json("=", true, true), COLUMN_ARG),
        m("whereJsonSupersetOf", json("@>", false, false), COLUMN_ARG),
        m("andWhereJsonSupersetOf", json("@>", false, false), COLUMN_ARG),
        m("orWhereJsonSupersetOf", json("@>", true, false), COLUMN_ARG),
        m("whereJsonNotSupersetOf", json("@>", false, true), COLUMN_ARG),
        m("andWhereJsonNotSupersetOf", json("@>", false, true), COLUMN_ARG),
        m("orWhereJsonNotSupersetOf", json("@>", true, true), COLUMN_ARG),
        m("whereJsonSubsetOf", json("<@", false, false), COLUMN_ARG),
        m("andWhereJsonSubsetOf", json("<@", false, false), COLUMN_ARG),
        m("orWhereJsonSubsetOf", json("<@", true, false), COLUMN_ARG),
        m("whereJsonNotSubsetOf", json("<@", false, true), COLUMN_ARG),
        m("andWhereJsonNotSubsetOf", json("<@", false, true), COLUMN_ARG),
        m("orWhereJsonNotSubsetOf", json("<@", true, true), COLUMN_ARG),
        m("join", Join { kind: "inner join" }, &[OtherTable, ColumnPair]).callback(JoinB),
        m("innerJoin", Join { kind: "inner join" }, &[OtherTable, ColumnPair]).callback(JoinB),
        m("leftJoin", Join { kind: "left join" }, &[OtherTable, ColumnPair]).callback(JoinB),
        m("leftOuterJoin", Join { kind: "left outer join" }, &[OtherTable, ColumnPair]).callback(JoinB),
        m("rightJoin", Join { kind: "right join" }, &[OtherTable, ColumnPair]).callback(JoinB),
        m("rightOuterJoin", Join { kind: "right outer join" }, &[OtherTable, ColumnPair]).callback(JoinB),
        m("fullOuterJoin", Join { kind: "full outer join" }, &[OtherTable, ColumnPair]).callback(JoinB),
        m("crossJoin", Join { kind: "cross join" }, &[OtherTable, ColumnPair]).callback(JoinB),
        m("joinRaw", JoinRaw, SQL_BINDINGS),
        m("orderBy", OrderBy, ROW_OR_COLUMN),
        m("orderByRaw", OrderByRaw, SQL_BINDINGS),
        m("groupBy", GroupBy, COLUMNS),
        m("groupByRaw", GroupByRaw, SQL_BINDINGS),
        m("having", Having { or: false }, ROW_OR_COLUMN).callback(QueryB),
        m("andHaving", Having { or: false }, ROW_OR_COLUMN).callback(QueryB),
        m("orHaving", Having { or: true }, ROW_OR_COLUMN).callback(QueryB),
        m("havingRaw", Raw { or: false, into: H }, SQL_BINDINGS),
        m("orHavingRaw", Raw { or: true, into: H }, SQL_BINDINGS),
        m("havingIn", In { or: false, not: false, into: H }, ROW_OR_COLUMN),
        m("andHavingIn", In { or: false, not: false, into: H }, ROW_OR_COLUMN),
        m("orHavingIn", In { or: true, not: false, into: H }, ROW_OR_COLUMN),
        m("havingNotIn", In { or: false, not: true, into: H }, ROW_OR_COLUMN),
        m("andHavingNotIn", In { or: false, not: true, into: H }, ROW_OR_COLUMN),
        m("orHavingNotIn", In { or: true, not: true, into: H }, ROW_OR_COLUMN),
        m("havingNull", Null { or: false, not: false, into: H }, COLUMN_ARG),
        m("andHavingNull", Null { or: false, not: false, into: H }, COLUMN_ARG),
        m("orHavingNull", Null { or: true, not: false, into: H }, COLUMN_ARG),
        m("havingNotNull", Null { or: false, not: true, into: H }, COLUMN_ARG),
        m("andHavingNotNull", Null { or: false, not: true, into: H }, COLUMN_ARG),
        m("orHavingNotNull", Null { or: true, not: true, into: H }, COLUMN_ARG),
        m("havingBetween", Between { or: false, not: false, into: H }, COLUMN_ARG),
        m("andHavingBetween", Between { or: false, not: false, into: H }, COLUMN_ARG),
        m("orHavingBetween", Between { or: true, not: false, into: H }, COLUMN_ARG),
        m("havingNotBetween", Between { or: false, not: true, into: H }, COLUMN_ARG),
        m("andHavingNotBetween", Between { or: false, not: true, into: H }, COLUMN_ARG),
        m("orHavingNotBetween", Between { or: true, not: true, into: H }, COLUMN_ARG),
        m("havingExists", Exists { or: false, not: false, into: H }, OTHER).callback(QueryB),
        m("andHavingExists", Exists { or: false, not: false, into: H }, OTHER).callback(QueryB),
        m("orHavingExists", Exists { or: true, not: false, into: H }, OTHER).callback(QueryB),
        m("havingNotExists", Exists { or: false, not: true, into: H }, OTHER).callback(QueryB),
        m("andHavingNotExists", Exists { or: false, not: true, into: H }, OTHER).callback(QueryB),
        m("orHavingNotExists", Exists { or: true, not: true, into: H }, OTHER).callback(QueryB),
        m("limit", Limit, OTHER),
        m("offset", Offset, OTHER),
        m("insert", Insert, &[Rows, Column]),
        m("update", Update, ROW_OR_COLUMN),
        m("del", Delete, COLUMN_ARG),
        m("delete", Delete, COLUMN_ARG),
        m("truncate", Truncate, NONE),
        m("returning", Returning, COLUMNS),
        m("onConflict", OnConflict, COLUMNS),
        m("merge", Merge, ROW_OR_COLUMN),
        m("ignore", Ignore, NONE),
        m("increment", Step { sign: "+" }, ROW_OR_COLUMN),
        m("decrement", Step { sign: "-" }, ROW_OR_COLUMN),
        m("updateFrom", UpdateFrom, &[OtherTable]),
        m("upsert", Upsert, &[Rows]),
        m("with", With { recursive: false, materialized: None }, OTHER).callback(QueryB),
        m("withRecursive", With { recursive: true, materialized: None }, OTHER).callback(QueryB),
        m("withMaterialized", With { recursive: false, materialized: Some(true) }, OTHER).callback(QueryB),
        m("withNotMaterialized", With { recursive: false, materialized: Some(false) }, OTHER).callback(QueryB),
        m("union", Union { all: false }, OTHER).callback(QueryB),
        m("unionAll", Union { all: true }, OTHER).callback(QueryB),
        m("forUpdate", Lock(LockMode::Update), OTHER),
        m("forShare", Lock(LockMode::Share), OTHER),
        m("forNoKeyUpdate", Lock(LockMode::NoKeyUpdate), OTHER),
        m("forKeyShare", Lock(LockMode::KeyShare), OTHER),
        m("skipLocked", LockWait("skip locked"), NONE),
        m("noWait", LockWait("nowait"), NONE),
        m("clearSelect", ClearSelect, NONE),
        m("clearWhere", ClearWhere, NONE),
        m("clearOrder", ClearOrder, NONE),
        m("clearGroup", ClearGroup, NONE),
        m("clearHaving", ClearHaving, NONE),
        m("clear", Clear, OTHER),
        m("clearCounters", ClearCounters, NONE),
        m("modify", Modify, OTHER).callback(QueryB),
        m("clone", Clone, NONE).returns(super::Returns::Builder(QueryB)),
        m("timeout", Accepted, OTHER),
        m("transacting", Accepted, OTHER),
        m("columnInfo", ColumnInfo, COLUMN_ARG),
        m("toSQL", ToSql, NONE).returns(Value),
        m("run", Run, NONE).returns(Value),
        m("cursor", Cursor, OTHER).returns(Value),
    ]
};
