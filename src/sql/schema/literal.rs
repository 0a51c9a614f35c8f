//! Values written into DDL text, where PostgreSQL takes no bound parameters
//! (defaults, checks, index predicates, view queries), and constraint names
//! Knex leaves unquoted.
//!
//! Every literal is escaped here, once: a `'` is doubled, a backslash doubled
//! with the `E'…'` prefix (Knex's own PostgreSQL escape, correct whatever
//! `standard_conforming_strings` says), and a `?` is written `\?` so the final
//! `?` → `$n` numbering ([`crate::sql::raw::to_positional`]) leaves it alone.

use crate::sql::{quote_ident, Raw, Value};

/// A string literal the way Knex's pg client escapes one (`'it''s'`, `E'a\\b'`).
pub fn string_literal(text: &str) -> String {
    let mut has_backslash = false;
    let mut out = String::with_capacity(text.len() + 3);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => {
                out.push_str("\\\\");
                has_backslash = true;
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    if has_backslash {
        out.insert(0, 'E');
    }
    out
}

/// A number as JavaScript prints it: `1.0` is `1`, so `defaultTo(1.0)` matches Knex.
pub fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// A value inlined as SQL: numbers and booleans bare, everything else quoted.
pub fn value_literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => number_text(*f),
        Value::Text(s) => string_literal(s),
        Value::Json(j) => string_literal(&j.to_string()),
        other => string_literal(&other.to_pg_text().unwrap_or_default()),
    }
}

/// The text of a value as Knex's `value.toString()` gives it (defaults quote it).
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Float(f) => number_text(*f),
        Value::Json(j) => j.to_string(),
        other => other.to_pg_text().unwrap_or_default(),
    }
}

/// A raw fragment with its `?` values written in as literals (DDL has no
/// parameters; Knex drops these bindings in several places, see
/// `docs/knex-differences.md`). `\?` escapes stay for the final numbering.
pub fn inline_raw(raw: &Raw) -> String {
    let mut out = String::with_capacity(raw.sql.len());
    let mut values = raw.bindings.iter();
    let mut chars = raw.sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'?') => {
                chars.next();
                out.push_str("\\?");
            }
            '?' => match values.next() {
                Some(v) => out.push_str(&value_literal(v)),
                None => out.push('?'),
            },
            c => out.push(c),
        }
    }
    out
}

/// A name Knex writes unquoted (check constraint names): kept bare when
/// PostgreSQL reads it back unchanged, quoted otherwise (upper case, spaces,
/// quotes, reserved words), so the SQL stays valid and Knex's text is kept
/// for the ordinary case.
pub fn bare_or_quoted(name: &str) -> String {
    let mut chars = name.chars();
    let plain = matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_lowercase())
        && chars.all(|c| c == '_' || c.is_ascii_lowercase() || c.is_ascii_digit());
    if plain && !RESERVED.contains(&name) {
        name.to_string()
    } else {
        quote_ident(name)
    }
}

/// PostgreSQL 15's reserved key words (and those reserved as names), which a
/// bare identifier may not be.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_quotes_backslashes_and_placeholders() {
        assert_eq!(string_literal("it's"), "'it''s'");
        assert_eq!(string_literal("a\\b"), "E'a\\\\b'");
        assert_eq!(string_literal("why?"), "'why?'");
    }

    #[test]
    fn raw_bindings_are_inlined() {
        let raw = Raw::positional(
            "?? > ? and ?? = ?",
            vec![
                Value::Text("a".into()),
                Value::Int(5),
                Value::Text("b".into()),
                Value::Text("x'y".into()),
            ],
        )
        .unwrap();
        assert_eq!(inline_raw(&raw), "\"a\" > 5 and \"b\" = 'x''y'");
    }

    #[test]
    fn names_stay_bare_only_when_safe() {
        assert_eq!(bare_or_quoted("n_pos"), "n_pos");
        assert_eq!(bare_or_quoted("Npos"), "\"Npos\"");
        assert_eq!(bare_or_quoted("order"), "\"order\"");
        assert_eq!(bare_or_quoted("we\"ird_1"), "\"we\"\"ird_1\"");
    }
}
