//! The objects that come with queries: join clauses, `knex.raw(...)`,
//! `knex.batchInsert(...)`, `knex.ref(...)`.

use super::Builder::Join as JoinB;
use super::Returns::Value;
use super::Role::*;
use super::{m, Method, COLUMNS, COLUMN_ARG, NONE, OTHER};

/// What a join clause method adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOp {
    On { or: bool },
    OnVal { or: bool },
    OnIn { or: bool, not: bool },
    OnNull { or: bool, not: bool },
    OnBetween { or: bool, not: bool },
    OnExists { or: bool, not: bool },
}

/// Methods of a join callback's argument (`join("a", function(j) j:on(…) end)`).
#[rustfmt::skip]
pub static JOIN: &[Method<JoinOp>] = {
    use JoinOp::*;
    &[
        m("on", On { or: false }, &[ColumnPair]).callback(JoinB),
        m("andOn", On { or: false }, &[ColumnPair]).callback(JoinB),
        m("orOn", On { or: true }, &[ColumnPair]).callback(JoinB),
        m("onVal", OnVal { or: false }, COLUMN_ARG),
        m("andOnVal", OnVal { or: false }, COLUMN_ARG),
        m("orOnVal", OnVal { or: true }, COLUMN_ARG),
        m("onIn", OnIn { or: false, not: false }, COLUMN_ARG),
        m("andOnIn", OnIn { or: false, not: false }, COLUMN_ARG),
        m("orOnIn", OnIn { or: true, not: false }, COLUMN_ARG),
        m("onNotIn", OnIn { or: false, not: true }, COLUMN_ARG),
        m("andOnNotIn", OnIn { or: false, not: true }, COLUMN_ARG),
        m("orOnNotIn", OnIn { or: true, not: true }, COLUMN_ARG),
        m("onNull", OnNull { or: false, not: false }, COLUMN_ARG),
        m("andOnNull", OnNull { or: false, not: false }, COLUMN_ARG),
        m("orOnNull", OnNull { or: true, not: false }, COLUMN_ARG),
        m("onNotNull", OnNull { or: false, not: true }, COLUMN_ARG),
        m("andOnNotNull", OnNull { or: false, not: true }, COLUMN_ARG),
        m("orOnNotNull", OnNull { or: true, not: true }, COLUMN_ARG),
        m("onBetween", OnBetween { or: false, not: false }, COLUMN_ARG),
        m("andOnBetween", OnBetween { or: false, not: false }, COLUMN_ARG),
        m("orOnBetween", OnBetween { or: true, not: false }, COLUMN_ARG),
        m("onNotBetween", OnBetween { or: false, not: true }, COLUMN_ARG),
        m("andOnNotBetween", OnBetween { or: false, not: true }, COLUMN_ARG),
        m("orOnNotBetween", OnBetween { or: true, not: true }, COLUMN_ARG),
        m("onExists", OnExists { or: false, not: false }, OTHER).callback(super::Builder::Query),
        m("andOnExists", OnExists { or: false, not: false }, OTHER).callback(super::Builder::Query),
        m("orOnExists", OnExists { or: true, not: false }, OTHER).callback(super::Builder::Query),
        m("onNotExists", OnExists { or: false, not: true }, OTHER).callback(super::Builder::Query),
        m("andOnNotExists", OnExists { or: false, not: true }, OTHER).callback(super::Builder::Query),
        m("orOnNotExists", OnExists { or: true, not: true }, OTHER).callback(super::Builder::Query),
    ]
};

/// Methods of `knex.raw(...)` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawOp {
    Run,
    ToSql,
    /// Knex's client-side timeout: accepted, as on queries.
    Accepted,
}

pub static RAW: &[Method<RawOp>] = &[
    m("run", RawOp::Run, NONE).returns(Value),
    m("toSQL", RawOp::ToSql, NONE).returns(Value),
    m("timeout", RawOp::Accepted, OTHER),
];

/// Methods of `knex.batchInsert(...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOp {
    Returning,
    Run,
    ToSql,
    /// Every statement already runs in the run's one transaction.
    Accepted,
}

pub static BATCH: &[Method<BatchOp>] = &[
    m("returning", BatchOp::Returning, COLUMNS),
    m("run", BatchOp::Run, NONE).returns(Value),
    m("toSQL", BatchOp::ToSql, NONE).returns(Value),
    m("transacting", BatchOp::Accepted, OTHER),
];

/// Methods of `knex.ref(column)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefOp {
    As,
    WithSchema,
}

pub static REF: &[Method<RefOp>] = &[
    m("as", RefOp::As, OTHER),
    m("withSchema", RefOp::WithSchema, OTHER),
];
