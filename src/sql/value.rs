//! Values that travel between Lua and PostgreSQL, independent of both.

/// A value bound to a statement, or read back from a result row.
///
/// Values are sent in PostgreSQL's text format and the server parses them as
/// whatever type it inferred for the parameter, as Knex's `pg` driver does; so a
/// Lua string can fill an integer, timestamp, enum or uuid column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    /// Bytes that are not UTF-8 (bytea); sent in PostgreSQL's `\x…` hex form.
    Bytes(Vec<u8>),
    /// A Lua table bound to a json/jsonb parameter, or a decoded json result.
    Json(serde_json::Value),
    /// A PostgreSQL array (`text[]`, `int[]`, …).
    Array(Vec<Value>),
}

impl Value {
    /// The text form PostgreSQL parses for this value; `None` for NULL.
    pub fn to_pg_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(if *b { "true" } else { "false" }.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(format_float(*f)),
            Value::Text(s) => Some(s.clone()),
            Value::Bytes(b) => {
                let mut s = String::with_capacity(2 + b.len() * 2);
                s.push_str("\\x");
                for byte in b {
                    s.push_str(&format!("{byte:02x}"));
                }
                Some(s)
            }
            Value::Json(j) => Some(j.to_string()),
            Value::Array(items) => Some(array_literal(items)),
        }
    }
}

impl Value {
    /// A JSON array (a Lua sequence table) as a PostgreSQL array: nested arrays
    /// stay arrays, scalars become their values, objects stay JSON.
    pub fn from_json_array(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Value::Int(i),
                (None, Some(f)) if n.is_f64() => Value::Float(f),
                _ => Value::Text(n.to_string()),
            },
            serde_json::Value::String(s) => Value::Text(s.clone()),
            serde_json::Value::Array(items) => {
                Value::Array(items.iter().map(Value::from_json_array).collect())
            }
            object => Value::Json(object.clone()),
        }
    }
}

fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        // `{}` prints the shortest text that round-trips, never an exponent-less loss.
        format!("{f}")
    }
}

/// PostgreSQL array literal: `{"a","b\"c",NULL}`; every element quoted so commas,
/// braces and spaces inside strings survive.
fn array_literal(items: &[Value]) -> String {
    let mut out = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            Value::Null => out.push_str("NULL"),
            Value::Array(inner) => out.push_str(&array_literal(inner)),
            other => {
                let text = other.to_pg_text().unwrap_or_default();
                out.push('"');
                for c in text.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_literals_escape_elements() {
        let v = Value::Array(vec![
            Value::Text("a,b".into()),
            Value::Text("q\"\\".into()),
            Value::Null,
        ]);
        assert_eq!(
            v.to_pg_text().as_deref(),
            Some("{\"a,b\",\"q\\\"\\\\\",NULL}")
        );
    }

    #[test]
    fn bytes_use_hex_form() {
        assert_eq!(
            Value::Bytes(vec![0, 255]).to_pg_text().as_deref(),
            Some("\\x00ff")
        );
    }
}
