//! The pieces of Lua syntax the name checks read: call arguments, string
//! literals, identifiers, function bodies.

use full_moon::ast::{
    Call, Expression, Field, FunctionArgs, FunctionBody, Index, Parameter, Suffix, TableConstructor,
};
use full_moon::node::Node as _;
use full_moon::tokenizer::{TokenReference, TokenType};

/// One argument, whatever call syntax carried it.
#[derive(Clone, Copy)]
pub(super) enum Arg<'a> {
    Expr(&'a Expression),
    Str(&'a TokenReference),
    Table(&'a TableConstructor),
}

/// The arguments of a call: `(a, b)`, `"s"` or `{ … }`.
pub(super) fn function_args(args: &FunctionArgs) -> Vec<Arg<'_>> {
    match args {
        FunctionArgs::Parentheses { arguments, .. } => arguments.iter().map(Arg::Expr).collect(),
        FunctionArgs::String(token) => vec![Arg::Str(token)],
        FunctionArgs::TableConstructor(t) => vec![Arg::Table(t)],
        _ => Vec::new(),
    }
}

/// The arguments of a call suffix, `:name(…)` or `(…)`.
pub(super) fn call_args(call: &Call) -> Vec<Arg<'_>> {
    match call {
        Call::AnonymousCall(args) => function_args(args),
        Call::MethodCall(m) => function_args(m.args()),
        _ => Vec::new(),
    }
}

/// A string literal argument, with its token (for the finding's position).
pub(super) fn arg_string(arg: Arg<'_>) -> Option<(String, &TokenReference)> {
    match arg {
        Arg::Str(token) => string_token(token).map(|s| (s, token)),
        Arg::Expr(Expression::String(token)) => string_token(token).map(|s| (s, token)),
        Arg::Expr(Expression::Parentheses { expression, .. }) => arg_string(Arg::Expr(expression)),
        _ => None,
    }
}

/// A table constructor argument.
pub(super) fn arg_table(arg: Arg<'_>) -> Option<&TableConstructor> {
    match arg {
        Arg::Table(t) | Arg::Expr(Expression::TableConstructor(t)) => Some(t),
        _ => None,
    }
}

/// A bare name argument (`rows`).
pub(super) fn arg_name(arg: Arg<'_>) -> Option<String> {
    match arg {
        Arg::Expr(Expression::Var(full_moon::ast::Var::Name(name))) => Some(token_text(name)),
        _ => None,
    }
}

/// A table constructor with `key = value` fields (a row), not a list.
pub(super) fn is_keyed_table(arg: Arg<'_>) -> bool {
    arg_table(arg).is_some_and(|t| {
        t.fields()
            .iter()
            .any(|f| matches!(f, Field::NameKey { .. } | Field::ExpressionKey { .. }))
    })
}

/// A function written in place as an argument: `function(t) … end`.
pub(super) fn arg_function(arg: Arg<'_>) -> Option<&FunctionBody> {
    match arg {
        Arg::Expr(Expression::Function(f)) => Some(&f.1),
        Arg::Expr(Expression::Parentheses { expression, .. }) => {
            arg_function(Arg::Expr(expression))
        }
        _ => None,
    }
}

/// Where a function body starts (its parameter list), to recognise it when
/// the visitor reaches it.
pub(super) fn body_key(body: &FunctionBody) -> Option<usize> {
    let (open, _) = body.parameters_parentheses().tokens();
    open.start_position().map(|p| p.bytes())
}

/// The names of a function's parameters, in order (`...` has none).
pub(super) fn parameter_names(body: &FunctionBody) -> Vec<Option<String>> {
    body.parameters()
        .iter()
        .map(|p| match p {
            Parameter::Name(name) => Some(token_text(name)),
            _ => None,
        })
        .collect()
}

/// `.key` or `["key"]`.
pub(super) fn index_key(suffix: &Suffix) -> Option<String> {
    match suffix {
        Suffix::Index(Index::Dot { name, .. }) => Some(token_text(name)),
        Suffix::Index(Index::Brackets { expression, .. }) => string_literal(expression),
        _ => None,
    }
}

pub(super) fn string_literal(e: &Expression) -> Option<String> {
    super::super::shape::string_literal(e)
}

pub(super) fn string_token(token: &TokenReference) -> Option<String> {
    match token.token().token_type() {
        TokenType::StringLiteral { literal, .. } => Some(literal.to_string()),
        _ => None,
    }
}

pub(super) fn token_text(token: &TokenReference) -> String {
    token.token().to_string()
}

/// `"users as u"` → `"users"`; `"count(*) as n"` stays whole before ` as `.
pub(super) fn split_alias(text: &str) -> &str {
    let lower = text.to_ascii_lowercase();
    match lower.find(" as ") {
        Some(i) => text[..i].trim(),
        None => text.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_split_off() {
        assert_eq!(split_alias("users as u"), "users");
        assert_eq!(split_alias("email AS e"), "email");
        assert_eq!(split_alias("id"), "id");
    }
}
