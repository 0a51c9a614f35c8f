//! The shape of a migration or seed module: what the file returns.
//!
//! A migration returns a table with `up` and `down` (SPEC §6 makes `down`
//! optional for the runner, but a migration without it cannot be rolled back,
//! so the linter asks for one); a seed returns a table with `seed`.
//!
//! Recognised forms: `return { up = …, down = … }`, and `return M` where `M`
//! is a local table built by `local M = { … }`, `M.down = …` or
//! `function M.down(knex) … end` at the top level. Anything else (a function
//! call, a `require`) cannot be judged without running it and is not reported.

use std::collections::BTreeSet;

use full_moon::ast::{Ast, Expression, Field, LastStmt, Stmt, Var};
use full_moon::node::Node;
use full_moon::tokenizer::TokenReference;

use super::{Rule, TargetKind};

/// A problem with the module's shape, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeIssue {
    pub line: usize,
    pub column: usize,
    pub rule: Rule,
    pub message: String,
}

pub fn check(ast: &Ast, kind: TargetKind) -> Vec<ShapeIssue> {
    let required: &[(&str, Rule)] = match kind {
        TargetKind::Migration => &[("up", Rule::MissingUp), ("down", Rule::MissingDown)],
        TargetKind::Seed => &[("seed", Rule::MissingSeed)],
        TargetKind::Module => return Vec::new(),
    };
    let block = ast.nodes();
    let Some(LastStmt::Return(ret)) = block.last_stmt() else {
        let (rule, example) = match kind {
            TargetKind::Seed => (Rule::MissingSeed, "return { seed = function(knex) … end }"),
            _ => (
                Rule::MissingUp,
                "return { up = function(knex) … end, down = function(knex) … end }",
            ),
        };
        return vec![ShapeIssue {
            line: last_line(ast),
            column: 1,
            rule,
            message: format!("the file returns nothing; end it with `{example}`"),
        }];
    };
    let position = ret.token().start_position().unwrap_or_default();
    let Some(keys) = ret
        .returns()
        .iter()
        .next()
        .and_then(|e| returned_keys(ast, e))
    else {
        return Vec::new();
    };
    required
        .iter()
        .filter(|(key, _)| !keys.contains(*key))
        .map(|(key, rule)| ShapeIssue {
            line: position.line(),
            column: position.character(),
            rule: *rule,
            message: match *key {
                "down" => "the migration has no `down`, so it cannot be rolled back; \
                           add `down = function(knex) … end` that undoes `up` exactly"
                    .to_string(),
                other => format!(
                    "the returned table has no `{other}`; add `{other} = function(knex) … end`"
                ),
            },
        })
        .collect()
}

/// The keys of the returned table, when they can be known without running it.
fn returned_keys(ast: &Ast, returned: &Expression) -> Option<BTreeSet<String>> {
    match returned {
        Expression::TableConstructor(t) => Some(constructor_keys(t.fields().iter())),
        Expression::Parentheses { expression, .. } => returned_keys(ast, expression),
        Expression::Var(Var::Name(name)) => Some(keys_of_local(ast, &ident(name))),
        _ => None,
    }
}

fn constructor_keys<'a>(fields: impl Iterator<Item = &'a Field>) -> BTreeSet<String> {
    fields
        .filter_map(|field| match field {
            Field::NameKey { key, .. } => Some(ident(key)),
            Field::ExpressionKey { key, .. } => string_literal(key),
            _ => None,
        })
        .collect()
}

/// Keys given to local `name` at the top level of the file.
fn keys_of_local(ast: &Ast, name: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for stmt in ast.nodes().stmts() {
        match stmt {
            Stmt::LocalAssignment(local) => {
                for (n, e) in local.names().iter().zip(local.expressions().iter()) {
                    if ident(n) == name {
                        if let Expression::TableConstructor(t) = e {
                            keys.extend(constructor_keys(t.fields().iter()));
                        }
                    }
                }
            }
            Stmt::Assignment(assign) => {
                for var in assign.variables().iter() {
                    if let Some(key) = field_of(var, name) {
                        keys.insert(key);
                    }
                }
            }
            Stmt::FunctionDeclaration(decl) => {
                let names: Vec<String> = decl.name().names().iter().map(ident).collect();
                if decl.name().method_name().is_none() && names.len() == 2 && names[0] == name {
                    keys.insert(names[1].clone());
                }
            }
            _ => {}
        }
    }
    keys
}

/// `M.key` or `M["key"]` → `key` when the prefix is `name`.
fn field_of(var: &Var, name: &str) -> Option<String> {
    let Var::Expression(expr) = var else {
        return None;
    };
    let full_moon::ast::Prefix::Name(prefix) = expr.prefix() else {
        return None;
    };
    if ident(prefix) != name {
        return None;
    }
    let mut suffixes = expr.suffixes();
    let first = suffixes.next()?;
    if suffixes.next().is_some() {
        return None;
    }
    match first {
        full_moon::ast::Suffix::Index(full_moon::ast::Index::Dot { name, .. }) => Some(ident(name)),
        full_moon::ast::Suffix::Index(full_moon::ast::Index::Brackets { expression, .. }) => {
            string_literal(expression)
        }
        _ => None,
    }
}

fn ident(token: &TokenReference) -> String {
    token.token().to_string()
}

/// The text of a string literal expression (quotes removed).
pub fn string_literal(e: &Expression) -> Option<String> {
    match e {
        Expression::String(token) => match token.token().token_type() {
            full_moon::tokenizer::TokenType::StringLiteral { literal, .. } => {
                Some(literal.to_string())
            }
            _ => None,
        },
        Expression::Parentheses { expression, .. } => string_literal(expression),
        _ => None,
    }
}

fn last_line(ast: &Ast) -> usize {
    ast.eof()
        .start_position()
        .map(|p| p.line())
        .unwrap_or(1)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(src: &str, kind: TargetKind) -> Vec<Rule> {
        let ast = full_moon::parse(src).expect("valid Lua");
        check(&ast, kind).into_iter().map(|i| i.rule).collect()
    }

    #[test]
    fn a_table_constructor_is_read_directly() {
        let m = TargetKind::Migration;
        assert_eq!(
            rules("return { up = function() end, down = function() end }", m),
            vec![]
        );
        assert_eq!(
            rules("return { up = function() end }", m),
            vec![Rule::MissingDown]
        );
        assert_eq!(rules("return { [\"up\"] = 1, down = 2 }", m), vec![]);
        assert_eq!(rules("return { seed = 1 }", TargetKind::Seed), vec![]);
        assert_eq!(
            rules("return { up = 1 }", TargetKind::Seed),
            vec![Rule::MissingSeed]
        );
    }

    #[test]
    fn a_returned_local_is_followed() {
        let m = TargetKind::Migration;
        let src = "local M = { up = 1 }\nfunction M.down(knex) end\nreturn M";
        assert_eq!(rules(src, m), vec![]);
        let src = "local M = {}\nM.up = function() end\nreturn M";
        assert_eq!(rules(src, m), vec![Rule::MissingDown]);
    }

    #[test]
    fn no_return_is_reported_and_unknowable_returns_are_not() {
        assert_eq!(
            rules("local x = 1", TargetKind::Migration),
            vec![Rule::MissingUp]
        );
        assert_eq!(
            rules("return require('shared')", TargetKind::Migration),
            vec![]
        );
    }
}
