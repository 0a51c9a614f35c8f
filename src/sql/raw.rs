//! `knex.raw(sql, bindings)`: Knex's placeholder language and the final `$n` numbering.
//!
//! Builders compose SQL with Knex's `?` placeholders (so fragments nest without
//! renumbering); [`to_positional`] turns the finished text into `$1…$n` once,
//! turning an escaped `\?` into a literal `?` (jsonb's `?`, `?|`, `?&` operators).
//!
//! Placeholders follow Knex's rule: every `?` / `??` of the text is one,
//! inside quoted strings, dollar-quoted bodies and comments too; only `\?`
//! is a literal question mark. An identifier (`??`) is written in wherever it
//! stands (a PL/pgSQL body built with `??` works as in Knex). A value (`?`)
//! inside quoted text is an error here: PostgreSQL binds no parameter there
//! (Knex sends a `$n` the server rejects). Once compiled, the SQL's own quoted
//! parts are left alone by [`to_positional`], so identifiers built from user
//! strings can contain `?` or `$1` and still reach PostgreSQL literally.

use super::ident::quote_ident;
use super::Value;

/// A raw SQL fragment with its values, `?`-placeholder form.
#[derive(Debug, Clone, PartialEq)]
pub struct Raw {
    pub sql: String,
    pub bindings: Vec<Value>,
}

/// A binding for a `knex.raw` placeholder: a value, or SQL to inline (a nested
/// `knex.raw`, `knex.fn.now()`, a subquery), or a list of identifiers for `??`.
#[derive(Debug, Clone, PartialEq)]
pub enum RawBinding {
    Value(Value),
    /// Inlined with its own bindings (already parenthesised when it is a subquery).
    Sql(Raw),
    /// A list of strings: a comma-separated identifier list for `??`, an
    /// array value (JSON, or a PostgreSQL array by parameter type) for `?`.
    Strings(Vec<String>),
}

impl From<Value> for RawBinding {
    fn from(v: Value) -> RawBinding {
        RawBinding::Value(v)
    }
}

/// Why a raw fragment could not be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RawError {
    #[error(
        "`knex.raw` has {placeholders} placeholder(s) but {bindings} binding(s){}; every `?` counts, in quoted text too (as in Knex): write `\\\\?` in the Lua string for a literal `?`",
        if bindings < placeholders { " (a nil ends a Lua list: use `knex.null` for NULL)" } else { "" }
    )]
    BindingCount {
        placeholders: usize,
        bindings: usize,
    },
    #[error("`??` expects an identifier (a string), got {0}")]
    IdentifierNotText(String),
    #[error(
        "a `?` inside quoted text or a `$$` body cannot take a value (PostgreSQL binds no parameter there): write `\\\\?` in the Lua string for a literal `?`, or `??` for an identifier"
    )]
    ValueInQuotes,
}

impl Raw {
    /// A fragment with no placeholders at all (e.g. `CURRENT_TIMESTAMP`).
    pub fn verbatim(sql: impl Into<String>) -> Raw {
        Raw {
            sql: sql.into(),
            bindings: Vec::new(),
        }
    }

    pub fn new(sql: impl Into<String>, bindings: Vec<Value>) -> Raw {
        Raw {
            sql: sql.into(),
            bindings,
        }
    }

    /// Compiles positional bindings: `?` takes a value, `??` an identifier
    /// (quoted and inlined), `\?` stays a literal question mark.
    pub fn positional(sql: &str, bindings: Vec<Value>) -> Result<Raw, RawError> {
        Raw::with_bindings(sql, bindings.into_iter().map(RawBinding::Value).collect())
    }

    /// Like [`Raw::positional`], with bindings that may be SQL to inline.
    pub fn with_bindings(sql: &str, bindings: Vec<RawBinding>) -> Result<Raw, RawError> {
        let marks = placeholders(sql);
        if marks.len() != bindings.len() {
            return Err(RawError::BindingCount {
                placeholders: marks.len(),
                bindings: bindings.len(),
            });
        }
        let mut out = String::with_capacity(sql.len());
        let mut values = Vec::with_capacity(bindings.len());
        let mut last = 0;
        let spans = code_spans(sql);
        for (mark, binding) in marks.into_iter().zip(bindings) {
            out.push_str(&sql[last..mark.at]);
            last = mark.at + if mark.identifier { 2 } else { 1 };
            if !mark.identifier && !in_code(&spans, mark.at) {
                return Err(RawError::ValueInQuotes);
            }
            match (mark.identifier, binding) {
                (true, RawBinding::Value(Value::Text(name))) => out.push_str(&wrap(&name)),
                (true, RawBinding::Strings(names)) => {
                    out.push_str(&names.iter().map(|n| wrap(n)).collect::<Vec<_>>().join(", "))
                }
                (true, RawBinding::Sql(raw)) => push_raw(&mut out, &mut values, raw),
                (true, RawBinding::Value(other)) => {
                    return Err(RawError::IdentifierNotText(format!("{other:?}")))
                }
                (false, RawBinding::Value(v)) => {
                    out.push('?');
                    values.push(v);
                }
                (false, RawBinding::Sql(raw)) => push_raw(&mut out, &mut values, raw),
                (false, RawBinding::Strings(names)) => {
                    out.push('?');
                    values.push(Value::Json(serde_json::Value::Array(
                        names.into_iter().map(serde_json::Value::String).collect(),
                    )));
                }
            }
        }
        out.push_str(&sql[last..]);
        Ok(Raw {
            sql: out,
            bindings: values,
        })
    }

    /// Compiles named bindings: `:name` takes a value, `:name:` an identifier.
    /// A name with no binding is left in the SQL as written (as Knex does), so
    /// casts such as `::int` and times such as `'10:30'` are untouched.
    pub fn named(sql: &str, lookup: impl Fn(&str) -> Option<RawBinding>) -> Result<Raw, RawError> {
        let bytes = sql.as_bytes();
        let mut out = String::with_capacity(sql.len());
        let mut values = Vec::new();
        let mut last = 0;
        let mut i = 0;
        let spans = code_spans(sql);
        // Like positional ones, named placeholders count in quoted text too.
        for (start, end) in [(0, sql.len())] {
            i = i.max(start);
            while i < end {
                if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b':') {
                    // `\:name` is an escaped colon: drop the backslash, keep the text.
                    out.push_str(&sql[last..i]);
                    last = i + 1;
                    i += 2;
                    continue;
                }
                if bytes[i] != b':' {
                    i += 1;
                    continue;
                }
                let name_start = i + 1;
                let mut name_end = name_start;
                while name_end < end && is_word(bytes[name_end]) {
                    name_end += 1;
                }
                if name_end == name_start {
                    i += 1;
                    continue;
                }
                // `:name:` is an identifier unless the colon starts a `::` cast.
                let identifier = name_end < end
                    && bytes[name_end] == b':'
                    && bytes.get(name_end + 1) != Some(&b':');
                let name = &sql[name_start..name_end];
                match lookup(name) {
                    None => {
                        i = name_end;
                    }
                    Some(_) if !identifier && !in_code(&spans, i) => {
                        return Err(RawError::ValueInQuotes);
                    }
                    Some(binding) => {
                        out.push_str(&sql[last..i]);
                        let placeholder = if identifier { "??" } else { "?" };
                        let one = Raw::with_bindings(placeholder, vec![binding])?;
                        push_raw(&mut out, &mut values, one);
                        i = if identifier { name_end + 1 } else { name_end };
                        last = i;
                    }
                }
            }
        }
        out.push_str(&sql[last..]);
        Ok(Raw {
            sql: out,
            bindings: values,
        })
    }
}

fn push_raw(out: &mut String, values: &mut Vec<Value>, raw: Raw) {
    out.push_str(&raw.sql);
    values.extend(raw.bindings);
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A `?` (value) or `??` (identifier) placeholder at byte offset `at`.
struct Mark {
    at: usize,
    identifier: bool,
}

/// For each positional placeholder of `sql` in order, whether it is `??`
/// (an identifier) rather than `?` (a value). The lint reads it to find
/// literal names bound to `??`.
pub fn identifier_placeholders(sql: &str) -> Vec<bool> {
    placeholders(sql).iter().map(|m| m.identifier).collect()
}

/// The placeholders of `sql`, wherever they stand (Knex's rule); `\?` is not one.
fn placeholders(sql: &str) -> Vec<Mark> {
    let bytes = sql.as_bytes();
    let mut marks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) == Some(&b'?') => i += 2,
            b'?' => {
                let identifier = bytes.get(i + 1) == Some(&b'?');
                marks.push(Mark { at: i, identifier });
                i += if identifier { 2 } else { 1 };
            }
            _ => i += 1,
        }
    }
    marks
}

/// True when byte `at` is SQL code (not inside quotes, a `$$` body or a comment).
fn in_code(spans: &[(usize, usize)], at: usize) -> bool {
    spans
        .iter()
        .any(|(start, end)| (*start..*end).contains(&at))
}

/// Byte ranges of `sql` that are SQL code: everything except quoted
/// identifiers, string literals (`'…'`, `E'…'`), dollar-quoted strings and comments.
pub fn code_spans(sql: &str) -> Vec<(usize, usize)> {
    let bytes = sql.as_bytes();
    let mut spans = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let skip_to = match bytes[i] {
            b'"' => Some(closing_quote(bytes, i + 1, b'"', false)),
            b'\'' => {
                let escapes = i > 0
                    && matches!(bytes[i - 1], b'E' | b'e')
                    && (i < 2 || !is_word(bytes[i - 2]));
                Some(closing_quote(bytes, i + 1, b'\'', escapes))
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => Some(
                bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |p| i + p + 1),
            ),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                Some(find(bytes, i + 2, b"*/").map_or(bytes.len(), |p| p + 2))
            }
            b'$' if i == 0 || !is_word(bytes[i - 1]) => dollar_tag(bytes, i)
                .map(|tag| find(bytes, i + tag.len(), tag).map_or(bytes.len(), |p| p + tag.len())),
            _ => None,
        };
        match skip_to {
            Some(to) => {
                if i > start {
                    spans.push((start, i));
                }
                i = to;
                start = to;
            }
            None => i += 1,
        }
    }
    if start < bytes.len() {
        spans.push((start, bytes.len()));
    }
    spans
}

/// The index just past the quote closing a quoted run that started before `from`.
fn closing_quote(bytes: &[u8], from: usize, quote: u8, backslash_escapes: bool) -> usize {
    let mut i = from;
    while i < bytes.len() {
        if backslash_escapes && bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] == quote {
            // A doubled quote is an escaped quote, not the end.
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// `$tag$` or `$$` starting at `at`, if there is one.
fn dollar_tag(bytes: &[u8], at: usize) -> Option<&[u8]> {
    let mut j = at + 1;
    if bytes.get(j).is_some_and(|b| b.is_ascii_digit()) {
        return None; // `$1`: a numbered parameter, not a quote
    }
    while j < bytes.len() && is_word(bytes[j]) {
        j += 1;
    }
    (bytes.get(j) == Some(&b'$')).then(|| &bytes[at..=j])
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from > bytes.len() {
        return None;
    }
    bytes[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// True when `sql` holds more than one statement (a `;` in code before the end).
pub fn is_multi_statement(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    code_spans(sql).iter().any(|&(start, end)| {
        bytes[start..end].iter().enumerate().any(|(i, &b)| {
            b == b';'
                && !sql[start + i + 1..]
                    .trim()
                    .trim_matches(';')
                    .trim()
                    .is_empty()
        })
    })
}

/// Numbers the `?` placeholders `$1…$n` from left to right and unescapes `\?`.
/// The command a statement runs, as PostgreSQL names it in its reply
/// (`SELECT`, `UPDATE`, …): the first keyword, or after a `WITH` the first
/// statement keyword outside the parentheses of its common table expressions.
pub fn command_of(sql: &str) -> String {
    let code = code_spans(sql)
        .iter()
        .map(|(start, end)| &sql[*start..*end])
        .collect::<Vec<_>>()
        .join(" ");
    let mut depth = 0i32;
    let mut first: Option<String> = None;
    let mut word = String::new();
    let take = |w: &mut String, depth: i32, first: &mut Option<String>| -> Option<String> {
        let upper = w.to_ascii_uppercase();
        w.clear();
        if upper.is_empty() || depth > 0 {
            return None;
        }
        match first {
            None => {
                *first = Some(upper.clone());
                (upper != "WITH").then_some(upper)
            }
            Some(_) => matches!(
                upper.as_str(),
                "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "VALUES"
            )
            .then_some(upper),
        }
    };
    for c in code.chars() {
        if c.is_ascii_alphabetic() || c == '_' {
            word.push(c);
            continue;
        }
        if let Some(found) = take(&mut word, depth, &mut first) {
            return found;
        }
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
    }
    take(&mut word, depth, &mut first).unwrap_or_else(|| first.unwrap_or_default())
}

/// Quoted identifiers, literals, dollar-quoted bodies and comments are copied as they are.
pub fn to_positional(sql: &str) -> String {
    let bytes = sql.as_bytes();
    let spans = code_spans(sql);
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        let code = in_code(&spans, i);
        match bytes[i] {
            // `\?` is a literal `?` (Knex's escape), in quoted text too, unless
            // the backslash is itself escaped there (`E'\\?'`).
            b'\\'
                if bytes.get(i + 1) == Some(&b'?') && (code || i == 0 || bytes[i - 1] != b'\\') =>
            {
                out.push_str(&sql[last..i]);
                out.push('?');
                i += 2;
                last = i;
            }
            b'?' if code => {
                out.push_str(&sql[last..i]);
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
                i += 1;
                last = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[last..]);
    out
}

/// Wraps an identifier the way Knex does: `users.id` → `"users"."id"`,
/// `id as uid` → `"id" as "uid"`, `users.*` → `"users".*`, `tags[1]` →
/// `"tags"[1]`. Every part is quoted with `"` doubled, so no user string can
/// end the identifier.
pub fn wrap(name: &str) -> String {
    if let Some(at) = find_as(name) {
        let (column, alias) = (&name[..at], &name[at + 4..]);
        return format!("{} as {}", wrap(column), wrap_part(alias.trim()));
    }
    name.split('.')
        .map(|part| wrap_part(part.trim()))
        .collect::<Vec<_>>()
        .join(".")
}

/// The byte offset of ` as ` (any case) in `name`.
fn find_as(name: &str) -> Option<usize> {
    let lower = name.to_ascii_lowercase();
    lower.find(" as ")
}

/// One identifier part; `*` stays bare and a trailing `[n]` accessor stays outside the quotes.
fn wrap_part(part: &str) -> String {
    if let Some(open) = part.rfind('[') {
        let accessor = &part[open..];
        if accessor.len() > 2
            && accessor.ends_with(']')
            && accessor[1..accessor.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_digit())
        {
            return format!("{}{accessor}", quote_ident(&part[..open]));
        }
    }
    quote_ident(part)
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

    #[test]
    fn placeholders_count_in_quoted_text_as_in_knex() {
        // `??` is written in wherever it stands, a PL/pgSQL body included.
        let raw = Raw::with_bindings(
            "create function f() returns int as $$ select count(*) from ?? $$ language sql",
            vec![RawBinding::Value(Value::Text("users".into()))],
        )
        .unwrap();
        assert_eq!(
            raw.sql,
            "create function f() returns int as $$ select count(*) from \"users\" $$ language sql"
        );
        // An unbound `?` in a string literal counts (Knex sends `$1` there).
        let err = Raw::positional("comment on table t is 'why?'", vec![]).unwrap_err();
        assert!(matches!(
            err,
            RawError::BindingCount {
                placeholders: 1,
                bindings: 0
            }
        ));
        assert!(err.to_string().contains(r"`\\?`"), "{err}");
        // A value there cannot be bound: a clear error, not a server one.
        let err = Raw::positional("select '?'", vec![Value::Int(1)]).unwrap_err();
        assert_eq!(err, RawError::ValueInQuotes);
        // `\?` is a literal question mark, in quotes and in code.
        let raw = Raw::positional("select 'why\\?', a \\? 'k', ?", vec![Value::Int(1)]).unwrap();
        assert_eq!(raw.sql, "select 'why\\?', a \\? 'k', ?");
        assert_eq!(to_positional(&raw.sql), "select 'why?', a ? 'k', $1");
        // Named identifiers too; named values in quotes are refused.
        let raw = Raw::named("$$ select :t: $$", |k| {
            (k == "t").then(|| Value::Text("x".into()).into())
        })
        .unwrap();
        assert_eq!(raw.sql, "$$ select \"x\" $$");
        let err = Raw::named("select ':v'", |_| Some(Value::Int(1).into())).unwrap_err();
        assert_eq!(err, RawError::ValueInQuotes);
    }

    #[test]
    fn the_command_is_the_statement_keyword() {
        assert_eq!(command_of("update t set a = 1"), "UPDATE");
        assert_eq!(command_of("  Select 1"), "SELECT");
        assert_eq!(
            command_of("with x as (select 1), y as (delete from z returning *) insert into t select * from x"),
            "INSERT"
        );
        assert_eq!(command_of("/* select */ delete from t"), "DELETE");
        assert_eq!(command_of("create table t (a int)"), "CREATE");
    }

    #[test]
    fn an_identifier_list_binds_to_one_double_question_mark() {
        let raw = Raw::with_bindings(
            "insert into ?? (??) select ?? from ??",
            vec![
                RawBinding::Value(Value::Text("t".into())),
                RawBinding::Strings(vec!["id".into(), "name".into()]),
                RawBinding::Strings(vec!["id".into(), "n as name".into()]),
                RawBinding::Value(Value::Text("s".into())),
            ],
        )
        .unwrap();
        assert_eq!(
            raw.sql,
            "insert into \"t\" (\"id\", \"name\") select \"id\", \"n\" as \"name\" from \"s\""
        );
    }

    #[test]
    fn quoted_text_holds_no_placeholders_after_compiling() {
        assert_eq!(
            to_positional("select \"a?b\", 'c?''?', $$ ? $$, $f$?$f$, ? -- ?\n, ? /* ? */"),
            "select \"a?b\", 'c?''?', $$ ? $$, $f$?$f$, $1 -- ?\n, $2 /* ? */"
        );
        assert_eq!(to_positional("E'\\'?' = ?"), "E'\\'?' = $1");
        let raw = Raw::positional(
            "select ??, ?",
            vec![Value::Text("a?".into()), Value::Int(1)],
        )
        .unwrap();
        assert_eq!(to_positional(&raw.sql), "select \"a?\", $1");
    }

    #[test]
    fn named_bindings() {
        let raw = Raw::named("select :a, :a::int, :t:, '10:30', :missing", |k| match k {
            "a" => Some(Value::Int(1).into()),
            "t" => Some(Value::Text("x.y".into()).into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(raw.sql, "select ?, ?::int, \"x\".\"y\", '10:30', :missing");
        assert_eq!(raw.bindings, vec![Value::Int(1), Value::Int(1)]);
    }

    #[test]
    fn multi_statements_are_recognised() {
        assert!(is_multi_statement("create table a (); create table b ()"));
        assert!(!is_multi_statement("select 1;"));
        assert!(!is_multi_statement("select ';' as x"));
        assert!(!is_multi_statement(
            "create function f() returns int as $$ select 1; $$ language sql"
        ));
    }

    #[test]
    fn wraps_like_knex() {
        assert_eq!(wrap("id as user_id"), "\"id\" as \"user_id\"");
        assert_eq!(wrap("users.*"), "\"users\".*");
        assert_eq!(wrap("tags[1]"), "\"tags\"[1]");
        assert_eq!(wrap("a\"b"), "\"a\"\"b\"");
    }
}
