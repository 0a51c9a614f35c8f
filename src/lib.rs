//! vectra-db: Knex-compatible PostgreSQL migrations and seeds written in Lua.
//!
//! Layers, each depending only on the ones after it:
//! `cli` → `commands` → `runner` (ledger, lock, transactions) → `lua` bridge →
//! `sql` builder; `db` is the connection they share and `config` the settings.

pub mod db;
pub mod lint;
pub mod lua;
pub mod sql;
