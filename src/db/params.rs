//! Binding [`Value`]s as text-format parameters whatever type the server inferred.
//!
//! Knex's `pg` driver sends every value as text and lets PostgreSQL parse it as
//! the parameter's inferred type; this wrapper does the same, so a Lua string
//! fills an integer, timestamp, enum or uuid column and a real mismatch gets
//! PostgreSQL's own error message.

use tokio_postgres::types::{to_sql_checked, Format, IsNull, ToSql, Type};

use crate::sql::Value;

#[derive(Debug)]
pub struct TextParam<'a>(pub &'a Value);

impl ToSql for TextParam<'_> {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // The common cases are written straight into the buffer: a 1,000-row
        // insert binds thousands of values.
        match self.0 {
            Value::Null => return Ok(IsNull::Yes),
            Value::Text(s) => out.extend_from_slice(s.as_bytes()),
            Value::Int(i) => {
                use std::fmt::Write;
                let _ = write!(out, "{i}");
            }
            other => match other.to_pg_text() {
                None => return Ok(IsNull::Yes),
                Some(text) => out.extend_from_slice(text.as_bytes()),
            },
        }
        Ok(IsNull::No)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}
