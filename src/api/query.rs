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
    },
    Raw {
        or: bool,
        into: Clauses,
    },
    WhereColumn {
        or: bool,
    },
    JsonPath,
    JsonCompare {
        op: &'static str,
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
    /// Knex options with no meaning for a synchronous run on one connection
    /// (`timeout`, `transacting`): accepted so ported code runs.
    Accepted,
    ColumnInfo,
    Modify,
    ToSql,
    Run,
}

/// Every method of a query builder.
pub static QUERY: &[Method<QueryOp>] = {
    use Clauses::{Having as H, Where as W};
    use QueryOp::*;
    &[
        m("select", Select, COLUMNS).starter(),
        m("column", Select, COLUMNS),
        m("columns", Select, COLUMNS),
        m("distinct", Distinct, COLUMNS),
        m("distinctOn", DistinctOn, COLUMNS),
        m("first", First, COLUMNS),
        m("pluck", Pluck, COLUMN_ARG),
        m(
            "count",
            Aggregate {
                function: "count",
                distinct: false,
            },
            COLUMNS,
        ),
        m(
            "countDistinct",
            Aggregate {
                function: "count",
                distinct: true,
            },
            COLUMNS,
        ),
        m(
            "min",
            Aggregate {
                function: "min",
                distinct: false,
            },
            COLUMNS,
        ),
        m(
            "max",
            Aggregate {
                function: "max",
                distinct: false,
            },
            COLUMNS,
        ),
        m(
            "sum",
            Aggregate {
                function: "sum",
                distinct: false,
            },
            COLUMNS,
        ),
        m(
            "sumDistinct",
            Aggregate {
                function: "sum",
                distinct: true,
            },
            COLUMNS,
        ),
        m(
            "avg",
            Aggregate {
                function: "avg",
                distinct: false,
            },
            COLUMNS,
        ),
        m(
            "avgDistinct",
            Aggregate {
                function: "avg",
                distinct: true,
            },
            COLUMNS,
        ),
        m("jsonExtract", JsonExtract, COLUMN_ARG),
        m("from", From, &[Table]).starter(),
        m("into", From, &[Table]).starter(),
        m("table", From, &[Table]).starter(),
        m("withSchema", WithSchema, OTHER).starter(),
        m("as", As, OTHER),
        m(
            "where",
            Where {
                or: false,
                not: false,
            },
            ROW_OR_COLUMN,
        )
        .callback(QueryB)
        .starter(),
        m(
            "andWhere",
            Where {
                or: false,
                not: false,
            },
            ROW_OR_COLUMN,
        )
        .callback(QueryB),
        m(
            "orWhere",
            Where {
                or: true,
                not: false,
            },
            ROW_OR_COLUMN,
        )
        .callback(QueryB),
        m(
            "whereNot",
            Where {
                or: false,
                not: true,
            },
            ROW_OR_COLUMN,
        )
        .callback(QueryB)
        .starter(),
        m(
            "andWhereNot",
            Where {
                or: false,
                not: true,
            },
            ROW_OR_COLUMN,
        )
        .callback(QueryB),
        m(
            "orWhereNot",
            Where {
                or: true,
                not: true,
            },
            ROW_OR_COLUMN,
        )
        .callback(QueryB),
        m(
            "whereIn",
            In {
                or: false,
                not: false,
                into: W,
            },
            ROW_OR_COLUMN,
        )
        .callback(QueryB)
        .starter(),
        m(
            "orWhereIn",
            In {
                or: true,
                not: false,
                into: W,
            },
            ROW_OR_COLUMN,
        )
        .callback(QueryB),
        m(
            "whereNotIn",
            In {
                or: false,
                not: true,
                into: W,
            },
            ROW_OR_COLUMN,
        )
        .callback(QueryB)
        .starter(),
        m(
            "orWhereNotIn",
            In {
                or: true,
                not: true,
                into: W,
            },
            ROW_OR_COLUMN,
        )
        .callback(QueryB),
        m(
            "whereNull",
            Null {
                or: false,
                not: false,
                into: W,
            },
            COLUMN_ARG,
        )
        .starter(),
        m(
            "orWhereNull",
            Null {
                or: true,
                not: false,
                into: W,
            },
            COLUMN_ARG,
        ),
        m(
            "whereNotNull",
            Null {
                or: false,
                not: true,
                into: W,
            },
            COLUMN_ARG,
        )
        .starter(),
        m(
            "orWhereNotNull",
            Null {
                or: true,
                not: true,
                into: W,
            },
            COLUMN_ARG,
        ),
        m(
            "whereBetween",
            Between {
                or: false,
                not: false,
                into: W,
            },
            COLUMN_ARG,
        )
        .starter(),
        m(
            "orWhereBetween",
            Between {
                or: true,
                not: false,
                into: W,
            },
            COLUMN_ARG,
        ),
        m(
            "whereNotBetween",
            Between {
                or: false,
                not: true,
                into: W,
            },
            COLUMN_ARG,
        ),
        m(
            "orWhereNotBetween",
            Between {
                or: true,
                not: true,
                into: W,
            },
            COLUMN_ARG,
        ),
        m(
            "whereLike",
            Like {
                or: false,
                op: "like",
            },
            COLUMN_ARG,
        )
        .starter(),
        m(
            "orWhereLike",
            Like {
                or: true,
                op: "like",
            },
            COLUMN_ARG,
        ),
        m(
            "whereILike",
            Like {
                or: false,
                op: "ilike",
            },
            COLUMN_ARG,
        )
        .starter(),
        m(
            "orWhereILike",
            Like {
                or: true,
                op: "ilike",
            },
            COLUMN_ARG,
        ),
        m(
            "whereExists",
            Exists {
                or: false,
                not: false,
            },
            OTHER,
        )
        .callback(QueryB),
        m(
            "orWhereExists",
            Exists {
                or: true,
                not: false,
            },
            OTHER,
        )
        .callback(QueryB),
        m(
            "whereNotExists",
            Exists {
                or: false,
                not: true,
            },
            OTHER,
        )
        .callback(QueryB),
        m(
            "orWhereNotExists",
            Exists {
                or: true,
                not: true,
            },
            OTHER,
        )
        .callback(QueryB),
        m("whereRaw", Raw { or: false, into: W }, SQL_BINDINGS).starter(),
        m("orWhereRaw", Raw { or: true, into: W }, SQL_BINDINGS),
        m("whereColumn", WhereColumn { or: false }, &[ColumnPair]),
        m("orWhereColumn", WhereColumn { or: true }, &[ColumnPair]),
        m("whereJsonPath", JsonPath, COLUMN_ARG),
        m("whereJsonObject", JsonCompare { op: "=" }, COLUMN_ARG),
        m("whereJsonSupersetOf", JsonCompare { op: "@>" }, COLUMN_ARG),
        m("whereJsonSubsetOf", JsonCompare { op: "<@" }, COLUMN_ARG),
        m(
            "join",
            Join { kind: "inner join" },
            &[OtherTable, ColumnPair],
        )
        .callback(JoinB),
        m(
            "innerJoin",
            Join { kind: "inner join" },
            &[OtherTable, ColumnPair],
        )
        .callback(JoinB),
        m(
            "leftJoin",
            Join { kind: "left join" },
            &[OtherTable, ColumnPair],
        )
        .callback(JoinB),
        m(
            "leftOuterJoin",
            Join {
                kind: "left outer join",
            },
            &[OtherTable, ColumnPair],
        )
        .callback(JoinB),
        m(
            "rightJoin",
            Join { kind: "right join" },
            &[OtherTable, ColumnPair],
        )
        .callback(JoinB),
        m(
            "rightOuterJoin",
            Join {
                kind: "right outer join",
            },
            &[OtherTable, ColumnPair],
        )
        .callback(JoinB),
        m(
            "fullOuterJoin",
            Join {
                kind: "full outer join",
            },
            &[OtherTable, ColumnPair],
        )
        .callback(JoinB),
        m(
            "crossJoin",
            Join { kind: "cross join" },
            &[OtherTable, ColumnPair],
        )
        .callback(JoinB),
        m("joinRaw", JoinRaw, SQL_BINDINGS),
        m("orderBy", OrderBy, ROW_OR_COLUMN),
        m("orderByRaw", OrderByRaw, SQL_BINDINGS),
        m("groupBy", GroupBy, COLUMNS),
        m("groupByRaw", GroupByRaw, SQL_BINDINGS),
        m("having", Having { or: false }, ROW_OR_COLUMN).callback(QueryB),
        m("orHaving", Having { or: true }, ROW_OR_COLUMN).callback(QueryB),
        m("havingRaw", Raw { or: false, into: H }, SQL_BINDINGS),
        m("orHavingRaw", Raw { or: true, into: H }, SQL_BINDINGS),
        m(
            "havingIn",
            In {
                or: false,
                not: false,
                into: H,
            },
            ROW_OR_COLUMN,
        ),
        m(
            "havingNotIn",
            In {
                or: false,
                not: true,
                into: H,
            },
            ROW_OR_COLUMN,
        ),
        m(
            "havingNull",
            Null {
                or: false,
                not: false,
                into: H,
            },
            COLUMN_ARG,
        ),
        m(
            "havingNotNull",
            Null {
                or: false,
                not: true,
                into: H,
            },
            COLUMN_ARG,
        ),
        m(
            "havingBetween",
            Between {
                or: false,
                not: false,
                into: H,
            },
            COLUMN_ARG,
        ),
        m(
            "havingNotBetween",
            Between {
                or: false,
                not: true,
                into: H,
            },
            COLUMN_ARG,
        ),
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
        m(
            "with",
            With {
                recursive: false,
                materialized: None,
            },
            OTHER,
        )
        .callback(QueryB)
        .starter(),
        m(
            "withRecursive",
            With {
                recursive: true,
                materialized: None,
            },
            OTHER,
        )
        .callback(QueryB)
        .starter(),
        m(
            "withMaterialized",
            With {
                recursive: false,
                materialized: Some(true),
            },
            OTHER,
        )
        .callback(QueryB),
        m(
            "withNotMaterialized",
            With {
                recursive: false,
                materialized: Some(false),
            },
            OTHER,
        )
        .callback(QueryB),
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
        m("modify", Modify, OTHER).callback(QueryB),
        m("timeout", Accepted, OTHER),
        m("transacting", Accepted, OTHER),
        m("columnInfo", ColumnInfo, COLUMN_ARG),
        m("toSQL", ToSql, NONE).returns(Value),
        m("run", Run, NONE).returns(Value),
    ]
};
