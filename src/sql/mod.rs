//! SQL generation: statements as data, rendered to SQL text plus bound values.
//!
//! Nothing in here does I/O or knows about Lua or the database driver: the
//! builders reproduce the SQL Knex 3.3 emits on PostgreSQL, and the runner and
//! the Lua bridge decide when and where it runs.

pub mod ident;
pub mod query;
pub mod raw;
pub mod schema;
pub mod value;

pub use ident::{quote_ident, quote_literal, quote_qualified};
pub use raw::Raw;
pub use value::Value;

/// The first word of a statement, lower-cased (`create`, `select`, `begin`):
/// enough to tell DDL from data and transaction control.
pub fn first_word(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// One statement ready to send: text with `$1…$n` placeholders and the values for them.
#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    pub text: String,
    pub bindings: Vec<Value>,
}

impl Sql {
    /// A statement without bindings (DDL, where values are inlined as quoted literals).
    pub fn plain(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            bindings: Vec::new(),
        }
    }

    pub fn new(text: impl Into<String>, bindings: Vec<Value>) -> Sql {
        Sql {
            text: text.into(),
            bindings,
        }
    }
}

impl std::fmt::Display for Sql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}
