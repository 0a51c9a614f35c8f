//! `knex.schema`'s SQL: tables, columns, constraints, indexes, views and the
//! other schema statements, as plain data rendered to the statements Knex 3.3
//! sends to PostgreSQL (reference §5), in the same order and with the same
//! generated names. Where Knex emits broken SQL, the correct statement is
//! produced instead (`docs/knex-differences.md`).
//!
//! No Lua, no connection, no I/O: the Lua bridge (`crate::lua::schema`) fills
//! these values and sends what they render.

pub mod column;
pub mod literal;
pub mod names;
pub mod statement;
pub mod table;
pub mod view;

pub use column::{
    AlterOptions, CheckKind, Column, ColumnCheck, ColumnType, DefaultValue, EnumType, NativeEnum,
};
pub use statement::SchemaStatement;
pub use table::{Deferrable, ForeignKey, IndexTarget, TableAction, TableKind, TableSpec};
pub use view::{AlterViewSpec, CheckOption, ViewChange, ViewSpec};

/// A schema call that cannot become valid SQL (a foreign key without a
/// target table, an expression index without a name, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SchemaError(pub String);

impl SchemaError {
    pub fn new(message: impl Into<String>) -> SchemaError {
        SchemaError(message.into())
    }
}
