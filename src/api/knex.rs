//! The `knex` module: its functions (`knex.raw`, `knex.batchInsert`, …), its
//! fields (`knex.schema`, `knex.fn`, `knex.null`) and `knex.fn`'s functions.
//! Query starters (`knex.select(...)`, `knex.insert(...)`) are the query
//! methods of [`super::QUERY`] (all but `run` and `toSQL`).

use super::Builder::{self, Knex, Query, Raw as RawB, Ref as RefB};
use super::Returns::{self, Builder as To, Value};
use super::Role::*;
use super::{m, Method, NONE, OTHER, SQL_BINDINGS};

/// What a function of the `knex` module does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnexOp {
    Raw,
    BatchInsert,
    Transaction,
    QueryBuilder,
    Ref,
    JsonArray,
    JsonObject,
}

/// Functions of the `knex` module (besides the query starters).
pub static KNEX: &[Method<KnexOp>] = {
    use KnexOp::*;
    &[
        m("raw", Raw, SQL_BINDINGS).returns(To(RawB)),
        m("batchInsert", BatchInsert, &[Table, Rows]).returns(To(super::Builder::BatchInsert)),
        m("transaction", Transaction, NONE)
            .callback(Knex)
            .returns(Value),
        m("queryBuilder", QueryBuilder, NONE).returns(To(Query)),
        m("ref", Ref, &[Column]).returns(To(RefB)),
        m("jsonArray", JsonArray, OTHER).returns(Value),
        m("jsonObject", JsonObject, OTHER).returns(Value),
    ]
};

/// Fields of the `knex` module and what they hold.
pub static KNEX_FIELDS: &[(&str, Returns)] = &[
    ("schema", To(Builder::Schema)),
    ("fn", To(Builder::Fn)),
    ("null", Value),
    // `{ config = { client = "pg" } }`, for the dialect branches ported files keep.
    ("client", Value),
];

/// What a function of `knex.fn` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FnOp {
    Now,
    Uuid,
}

/// Functions of `knex.fn`: SQL fragments for defaults and values.
pub static FN: &[Method<FnOp>] = &[
    m("now", FnOp::Now, OTHER).returns(Value),
    m("uuid", FnOp::Uuid, NONE).returns(Value),
];
