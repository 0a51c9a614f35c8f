//! `knex.batchInsert(table, rows, chunkSize)`: the plan of statements that load
//! many rows, and the `COPY` text format they stream in.
//!
//! Without `returning`, runs of consecutive rows that share the same columns and
//! hold only plain values are loaded with `COPY … FROM STDIN`, which is how
//! PostgreSQL loads data fastest. Columns a row does not name are left out of
//! the `COPY` column list, so they get their defaults exactly as the `DEFAULT`
//! of an `insert` would. Anything else (short runs, `knex.raw` values, Lua
//! tables whose type depends on the column, `returning`) becomes ordinary
//! chunked inserts, as Knex sends them.

use super::{InsertBody, Method, Operand, Query, QueryError};
use crate::sql::raw::wrap;
use crate::sql::{ident::quote_ident, Raw, Value};

/// Runs shorter than this are cheaper as part of an `insert` than as their own `COPY`.
const MIN_COPY_RUN: usize = 16;

/// A batch insert as built by `knex.batchInsert`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchInsert {
    pub table: String,
    pub schema: Option<String>,
    /// Rows as ordered (column, value) lists, columns sorted.
    pub rows: Vec<Vec<(String, Operand)>>,
    pub chunk_size: usize,
    pub returning: Vec<String>,
}

/// One statement of a batch insert's plan.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchStep<'a> {
    /// `COPY … FROM STDIN` of these rows (every row has exactly the statement's columns).
    Copy {
        statement: String,
        rows: &'a [Vec<(String, Operand)>],
    },
    Insert(Raw),
}

impl BatchInsert {
    /// The statements to send, in order.
    pub fn plan(&self) -> Result<Vec<BatchStep<'_>>, QueryError> {
        let chunk = self.chunk_size.max(1);
        let mut steps = Vec::new();
        if !self.returning.is_empty() {
            for rows in self.rows.chunks(chunk) {
                steps.push(BatchStep::Insert(self.insert(rows)?));
            }
            return Ok(steps);
        }
        let mut pending_start = 0; // rows not yet planned that go into inserts
        let mut i = 0;
        while i < self.rows.len() {
            if !copyable(&self.rows[i]) {
                i += 1;
                continue;
            }
            let mut end = i + 1;
            while end < self.rows.len()
                && copyable(&self.rows[end])
                && same_columns(&self.rows[i], &self.rows[end])
            {
                end += 1;
            }
            if end - i >= MIN_COPY_RUN {
                for rows in self.rows[pending_start..i].chunks(chunk) {
                    steps.push(BatchStep::Insert(self.insert(rows)?));
                }
                steps.push(BatchStep::Copy {
                    statement: self.copy_statement(&self.rows[i]),
                    rows: &self.rows[i..end],
                });
                pending_start = end;
            }
            i = end;
        }
        for rows in self.rows[pending_start..].chunks(chunk) {
            steps.push(BatchStep::Insert(self.insert(rows)?));
        }
        Ok(steps)
    }

    fn table_sql(&self) -> String {
        match &self.schema {
            Some(s) => format!("{}.{}", quote_ident(s), wrap(&self.table)),
            None => wrap(&self.table),
        }
    }

    fn copy_statement(&self, row: &[(String, Operand)]) -> String {
        let columns: Vec<String> = row.iter().map(|(c, _)| quote_ident(c)).collect();
        format!(
            "COPY {} ({}) FROM STDIN",
            self.table_sql(),
            columns.join(", ")
        )
    }

    fn insert(&self, rows: &[Vec<(String, Operand)>]) -> Result<Raw, QueryError> {
        let query = Query {
            method: Method::Insert,
            from: Some(super::Source::Table(self.table.clone())),
            schema: self.schema.clone(),
            insert: Some(InsertBody::Rows(rows.to_vec())),
            returning: self.returning.clone(),
            ..Query::default()
        };
        query.to_raw()
    }
}

/// A row `COPY` can carry: named columns, plain values only. A Lua table (JSON
/// that may have to become a PostgreSQL array) depends on the column type, which
/// only an `insert` lets the server decide.
fn copyable(row: &[(String, Operand)]) -> bool {
    !row.is_empty()
        && row
            .iter()
            .all(|(_, v)| matches!(v, Operand::Value(v) if !matches!(v, Value::Json(_) | Value::Array(_))))
}

fn same_columns(a: &[(String, Operand)], b: &[(String, Operand)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|((x, _), (y, _))| x == y)
}

/// Appends rows in `COPY`'s text format: tab-separated, `\N` for NULL, and
/// backslash, tab, newline and carriage return escaped.
pub fn encode_copy_rows(rows: &[Vec<(String, Operand)>], out: &mut Vec<u8>) {
    use std::io::Write;
    for row in rows {
        for (i, (_, operand)) in row.iter().enumerate() {
            if i > 0 {
                out.push(b'\t');
            }
            let Operand::Value(value) = operand else {
                out.extend_from_slice(b"\\N");
                continue;
            };
            match value {
                Value::Null => out.extend_from_slice(b"\\N"),
                Value::Text(s) => escape_copy(s.as_bytes(), out),
                Value::Int(n) => {
                    let _ = write!(out, "{n}");
                }
                other => match other.to_pg_text() {
                    Some(text) => escape_copy(text.as_bytes(), out),
                    None => out.extend_from_slice(b"\\N"),
                },
            }
        }
        out.push(b'\n');
    }
}

/// Escapes one field for `COPY`'s text format.
pub fn escape_copy(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, Value)]) -> Vec<(String, Operand)> {
        pairs
            .iter()
            .map(|(c, v)| (c.to_string(), Operand::Value(v.clone())))
            .collect()
    }

    #[test]
    fn long_uniform_runs_are_copied_the_rest_inserted() {
        let mut rows = vec![row(&[("a", Value::Int(0))])];
        rows.extend((0..20).map(|i| row(&[("a", Value::Int(i)), ("b", Value::Null)])));
        let batch = BatchInsert {
            table: "t".into(),
            schema: None,
            rows,
            chunk_size: 1000,
            returning: vec![],
        };
        let plan = batch.plan().unwrap();
        assert_eq!(plan.len(), 2);
        assert!(
            matches!(&plan[0], BatchStep::Insert(r) if r.sql == "insert into \"t\" (\"a\") values (?)")
        );
        assert!(
            matches!(&plan[1], BatchStep::Copy { statement, rows } if statement == "COPY \"t\" (\"a\", \"b\") FROM STDIN" && rows.len() == 20)
        );
    }

    #[test]
    fn copy_text_escapes() {
        let mut out = Vec::new();
        encode_copy_rows(
            &[row(&[
                ("a", Value::Text("x\ty\\z\n".into())),
                ("b", Value::Null),
                ("c", Value::Bool(true)),
            ])],
            &mut out,
        );
        assert_eq!(out, b"x\\ty\\\\z\\n\t\\N\ttrue\n");
    }
}
