//! vectra-db: Knex-compatible PostgreSQL migrations and seeds written in Lua.
//!
//! Layers, each depending only on the ones after it:
//! `cli` → `commands` → `runner` (ledger, lock, transactions) → `lua` bridge →
//! `sql` builder; `db` is the connection they share, `config` the settings,
//! `output` what the user sees.

// Errors carry the failing SQL and PostgreSQL's fields by value; they are the
// cold path of a run, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod interrupt;
pub mod lint;
pub mod lua;
pub mod output;
pub mod port;
pub mod runner;
pub mod schema_dump;
pub mod sql;
