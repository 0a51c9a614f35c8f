//! `knex.raw(sql, bindings)`: Knex's placeholder language and the final `$n` numbering.
//!
//! Builders compose SQL with Knex's `?` placeholders (so fragments nest without
//! renumbering); [`to_positional`] turns the finished text into `$1…$n` once,
//! turning an escaped `\?` into a literal `?` (jsonb's `?`, `?|`, `?&` operators).

use super::ident::quote_qualified;
use super::Value;

/// A raw SQL fragment with its values, `?`-placeholder form.
#[derive(Debug, Clone, PartialEq)]
pub struct Raw {
    pub sql: String,
    pub bindings: Vec<Value>,
}

/// Why a raw fragment could not be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RawError {
    #[error("`knex.raw` has {placeholders} placeholder(s) but {bindings} binding(s)")]
    BindingCount {
        placeholders: usize,
        bindings: usize,
    },
    #[error("`??` expects an identifier (a string), got {0}")]
    IdentifierNotText(String),
}

impl Raw {
    /// A fragment with no placeholders at all (e.g. `CURRENT_TIMESTAMP`).
    pub fn verbatim(sql: impl Into<String>) -> Raw {
        Raw {
            sql: sql.into(),
            bindings: Vec::new(),
        }
    }

    /// Compiles positional bindings: `?` takes a value, `??` an identifier
    /// (quoted and inlined), `\?` stays a literal question mark.
    pub fn positional(sql: &str, bindings: Vec<Value>) -> Result<Raw, RawError> {
        let placeholders = count_placeholders(sql);
        if placeholders != bindings.len() {
            return Err(RawError::BindingCount {
                placeholders,
                bindings: bindings.len(),
            });
        }
        let mut out = String::with_capacity(sql.len());
        let mut values = Vec::with_capacity(bindings.len());
        let mut given = bindings.into_iter();
        let bytes = sql.as_bytes();
        let (mut i, mut last) = (0, 0);
        while i < bytes.len() {
            match bytes[i] {
                // Keep the escape: `to_positional` resolves it at the very end.
                b'\\' if bytes.get(i + 1) == Some(&b'?') => i += 2,
                b'?' => {
                    out.push_str(&sql[last..i]);
                    let is_ident = bytes.get(i + 1) == Some(&b'?');
                    match (is_ident, given.next()) {
                        (true, Some(Value::Text(name))) => out.push_str(&quote_qualified(&name)),
                        (true, Some(other)) => {
                            return Err(RawError::IdentifierNotText(format!("{other:?}")))
                        }
                        (false, Some(v)) => {
                            out.push('?');
                            values.push(v);
                        }
                        (_, None) => unreachable!("placeholders were counted"),
                    }
                    i += if is_ident { 2 } else { 1 };
                    last = i;
                }
                _ => i += 1,
            }
        }
        out.push_str(&sql[last..]);
        Ok(Raw {
            sql: out,
            bindings: values,
        })
    }
}

/// `?` and `??` each count once; `\?` is not a placeholder.
fn count_placeholders(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) == Some(&b'?') => i += 2,
            b'?' => {
                n += 1;
                i += if bytes.get(i + 1) == Some(&b'?') {
                    2
                } else {
                    1
                };
            }
            _ => i += 1,
        }
    }
    n
}

/// Numbers the `?` placeholders `$1…$n` from left to right and unescapes `\?`.
pub fn to_positional(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'?') => {
                chars.next();
                out.push('?');
            }
            '?' => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_inlined_and_values_bound() {
        let raw = Raw::positional(
            "select ?? from ?? where id = ?",
            vec![
                Value::Text("name".into()),
                Value::Text("app.users".into()),
                Value::Int(1),
            ],
        )
        .unwrap();
        assert_eq!(
            raw.sql,
            "select \"name\" from \"app\".\"users\" where id = ?"
        );
        assert_eq!(raw.bindings, vec![Value::Int(1)]);
        assert_eq!(
            to_positional(&raw.sql),
            "select \"name\" from \"app\".\"users\" where id = $1"
        );
    }

    #[test]
    fn escaped_question_marks_survive() {
        assert_eq!(to_positional("a \\?| ? and ?"), "a ?| $1 and $2");
    }

    #[test]
    fn binding_count_mismatch_is_an_error() {
        assert!(Raw::positional("select ?", vec![]).is_err());
        assert!(Raw::positional("select 1", vec![Value::Int(1)]).is_err());
    }
}
