//! Lua source text for the converter: string and number literals, names that
//! are valid Lua, operator precedence (so parentheses appear only where Lua
//! needs them), indentation of nested blocks, and comment lines.
//!
//! Nothing here knows about JavaScript or Knex; the converter decides *what*
//! to write, this module only writes it correctly.

/// Lua's reserved words: a JavaScript name that is one gets a trailing `_`.
const LUA_KEYWORDS: &[&str] = &[
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
    "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
];

/// Globals the converted code calls (`error(...)`, `print(...)`, …): a
/// JavaScript binding of the same name is renamed so it cannot shadow them.
const USED_GLOBALS: &[&str] = &[
    "error", "print", "tostring", "tonumber", "ipairs", "pairs", "pcall", "os", "math", "vectra",
    "concat", "merge", "append",
];

/// A Lua expression and how tightly it binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub text: String,
    pub prec: Prec,
}

/// Precedence levels of Lua 5.4 (§3.4.8), plus the two kinds of operand that
/// are not operators: a prefix expression (name, call, index, parentheses),
/// which can be called and indexed, and an atom (literal, table, function).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Prec {
    Or = 1,
    And = 2,
    Compare = 3,
    Concat = 9,
    Add = 10,
    Mul = 11,
    Unary = 12,
    Pow = 14,
    Atom = 20,
    Prefix = 21,
}

impl Expr {
    pub fn prefix(text: impl Into<String>) -> Expr {
        Expr {
            text: text.into(),
            prec: Prec::Prefix,
        }
    }

    pub fn atom(text: impl Into<String>) -> Expr {
        Expr {
            text: text.into(),
            prec: Prec::Atom,
        }
    }

    /// The text usable before `:m()`, `.k` or `(...)`: wrapped unless it
    /// already is a prefix expression (`("x"):upper()`, `({ … })[1]`).
    pub fn as_prefix(&self) -> String {
        if self.prec == Prec::Prefix {
            self.text.clone()
        } else {
            format!("({})", self.text)
        }
    }

    /// The text usable as an operand of an operator of precedence `outer`.
    /// `right_assoc_side` is true for the side where equal precedence still
    /// needs no parentheses (`..` and `^` associate to the right).
    pub fn operand(&self, outer: Prec, same_ok: bool) -> String {
        if self.prec > outer || (self.prec == outer && same_ok) {
            self.text.clone()
        } else {
            format!("({})", self.text)
        }
    }

    /// `left op right` at precedence `prec` (left-associative unless `..`/`^`).
    pub fn binary(left: &Expr, op: &str, right: &Expr, prec: Prec) -> Expr {
        // `..` is associative (either grouping gives the same string); `^`
        // groups to the right; `a == b == c` is never what the source meant.
        let (left_ok, right_ok) = match prec {
            Prec::Concat => (true, true),
            Prec::Pow => (false, true),
            Prec::Compare => (false, false),
            _ => (true, false),
        };
        Expr {
            text: format!(
                "{} {op} {}",
                left.operand(prec, left_ok),
                right.operand(prec, right_ok)
            ),
            prec,
        }
    }
}

/// A Lua string literal with the same bytes as `value`.
pub fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\{:03}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JavaScript number as Lua text: whole numbers become Lua integers (a
/// bound integer and a bound float render differently in SQL), others keep
/// the shortest text that round-trips.
pub fn number(value: f64) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    if value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 {
        // The guard keeps the value inside i64: the cast is exact.
        Some(format!("{}", value as i64))
    } else {
        Some(format!("{value:?}"))
    }
}

/// Whether `name` can be written bare in Lua (`t.name`, `{ name = … }`).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !LUA_KEYWORDS.contains(&name)
}

/// A JavaScript binding name as a Lua local: keywords and the globals the
/// converted code needs get a trailing `_`, `$` becomes `_S`.
pub fn local_name(js: &str) -> String {
    let name = js.replace('$', "_S");
    if LUA_KEYWORDS.contains(&name.as_str()) || USED_GLOBALS.contains(&name.as_str()) {
        format!("{name}_")
    } else {
        name
    }
}

/// `obj.key` or `obj["key"]`, whichever Lua accepts.
pub fn field(object: &Expr, key: &str) -> Expr {
    if is_identifier(key) {
        Expr::prefix(format!("{}.{key}", object.as_prefix()))
    } else {
        Expr::prefix(format!("{}[{}]", object.as_prefix(), string(key)))
    }
}

/// A table key: `key = ` or `["key"] = `.
pub fn table_key(key: &str) -> String {
    if is_identifier(key) {
        key.to_string()
    } else {
        format!("[{}]", string(key))
    }
}

/// Indents every line after the first by `levels` steps: an expression
/// spanning lines is written relative to the line it starts on.
pub fn indent_rest(text: &str, levels: usize) -> String {
    let pad = "  ".repeat(levels);
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
            }
        }
        out.push_str(line);
    }
    out
}

/// Indents every line by `levels` steps (a block inside `function … end`).
pub fn indent_all(text: &str, levels: usize) -> String {
    let pad = "  ".repeat(levels);
    text.split('\n')
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                format!("{pad}{line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// JavaScript comment text as `--` lines (block comments line by line).
pub fn comment_lines(js_comment: &str) -> Vec<String> {
    let body = if let Some(rest) = js_comment.strip_prefix("//") {
        rest.to_string()
    } else {
        js_comment
            .trim_start_matches("/*")
            .trim_end_matches("*/")
            .to_string()
    };
    body.lines()
        .map(|l| {
            let l = l.trim_end();
            let l = l.trim_start().strip_prefix('*').map_or(l, |r| r);
            let l = l.strip_prefix(' ').unwrap_or(l);
            if l.is_empty() {
                "--".to_string()
            } else {
                format!("-- {l}")
            }
        })
        .skip_while(|l| l == "--")
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .skip_while(|l| l == "--")
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_what_lua_needs() {
        assert_eq!(string("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(string("é ?? \u{1}"), "\"é ?? \\001\"");
    }

    #[test]
    fn whole_numbers_are_integers() {
        assert_eq!(number(1000.0).as_deref(), Some("1000"));
        assert_eq!(number(-2.5).as_deref(), Some("-2.5"));
        assert_eq!(number(0.1).as_deref(), Some("0.1"));
        assert_eq!(number(f64::NAN), None);
    }

    #[test]
    fn names_avoid_keywords_and_needed_globals() {
        assert_eq!(local_name("end"), "end_");
        assert_eq!(local_name("error"), "error_");
        assert_eq!(local_name("$x"), "_Sx");
        assert_eq!(local_name("table"), "table");
        assert!(!is_identifier("end"));
        assert!(!is_identifier("a-b"));
    }

    #[test]
    fn parentheses_only_where_lua_needs_them() {
        let a = Expr::prefix("a");
        let sum = Expr::binary(&a, "+", &Expr::prefix("b"), Prec::Add);
        let product = Expr::binary(&sum, "*", &Expr::prefix("c"), Prec::Mul);
        assert_eq!(product.text, "(a + b) * c");
        let concat = Expr::binary(&Expr::atom("\"x\""), "..", &sum, Prec::Concat);
        assert_eq!(concat.text, "\"x\" .. a + b");
        let more = Expr::binary(&concat, "..", &Expr::atom("\"y\""), Prec::Concat);
        assert_eq!(more.text, "\"x\" .. a + b .. \"y\"");
        let minus = Expr::binary(&a, "-", &sum, Prec::Add);
        assert_eq!(minus.text, "a - (a + b)");
        assert_eq!(Expr::atom("\"s\"").as_prefix(), "(\"s\")");
    }

    #[test]
    fn comments_become_lua_comments() {
        assert_eq!(comment_lines("// hello"), vec!["-- hello"]);
        assert_eq!(
            comment_lines("/**\n * one\n * two\n */"),
            vec!["-- one", "-- two"]
        );
    }
}
