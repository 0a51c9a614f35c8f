//! Identifier and literal quoting, the way Knex's PostgreSQL dialect does it.

/// Quotes one identifier part: `we"ird` → `"we""ird"`. `*` stays bare, as in Knex.
pub fn quote_ident(name: &str) -> String {
    if name == "*" {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Quotes a possibly dotted name: `app.users` → `"app"."users"` (Knex splits on dots).
pub fn quote_qualified(name: &str) -> String {
    name.split('.')
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(".")
}

/// Quotes a string literal for places where PostgreSQL takes no parameter (DDL
/// defaults, comments, check constraints). `standard_conforming_strings` is on
/// (the default since 9.1), so only `'` needs doubling; a backslash is ordinary.
pub fn quote_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_identifiers_like_knex() {
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(quote_ident("*"), "*");
        assert_eq!(quote_qualified("app.users"), "\"app\".\"users\"");
    }

    #[test]
    fn quotes_literals() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "'a\\b'");
    }
}
