//! Small questions about the JavaScript tree, answered without a converter.

use super::*;

pub(super) fn arrow_body<'s, 'b>(a: &'s ArrowFunctionExpression<'b>) -> Body<'s, 'b> {
    match &a.body {
        ArrowFunctionBody::FunctionBody(b) => Body::Block(b),
        other => match other.as_expression() {
            Some(e) => Body::Expression(e),
            None => Body::Empty,
        },
    }
}

pub(super) enum Body<'s, 'b> {
    Empty,
    Block(&'s FunctionBody<'b>),
    Expression(&'s Expression<'b>),
}

pub(super) enum LoopMode {
    /// `await Promise.all(xs.map(cb))`: each callback's work, awaited, in order.
    Awaited,
    /// `xs.forEach(cb)`.
    Statements,
    /// `xs.map(cb)` as a value, collected into the named table.
    Map(String),
}

/// Every method of the catalogue's builders (not of the `knex` and
/// `knex.fn` modules, called with a dot): these take a colon.
pub(super) fn is_builder_method(name: &str) -> bool {
    Builder::ALL
        .iter()
        .any(|b| !b.is_module() && b.method(name).is_some())
}

/// `knex.NAME(…)` starts a query (every query method but `run` and `toSQL`).
pub(super) fn starts_query(name: &str) -> bool {
    api::find(api::QUERY, name).is_some_and(|m| m.op.starts_query())
}

pub(super) fn property_start(m: &MemberExpression<'_>) -> u32 {
    match m {
        MemberExpression::StaticMemberExpression(s) => s.property.span.start,
        other => other.span().start,
    }
}

pub(super) fn is_entry(name: &str) -> bool {
    matches!(name, "up" | "down" | "seed")
}

/// `a.b.c` as `["a", "b", "c"]` (empty when any part is not a plain name).
pub(super) fn member_path(m: &MemberExpression<'_>) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = m;
    loop {
        let Some(name) = current.static_property_name() else {
            return Vec::new();
        };
        parts.push(name.to_string());
        match current.object().get_inner_expression() {
            Expression::Identifier(id) => {
                parts.push(id.name.to_string());
                break;
            }
            other => match other.as_member_expression() {
                Some(inner) => current = inner,
                None => return Vec::new(),
            },
        }
    }
    parts.reverse();
    parts
}

pub(super) fn module_export_name(n: &ModuleExportName<'_>) -> String {
    match n {
        ModuleExportName::IdentifierName(n) => n.name.to_string(),
        ModuleExportName::IdentifierReference(n) => n.name.to_string(),
        ModuleExportName::StringLiteral(s) => s.value.to_string(),
    }
}

pub(super) fn property_key_name(key: &PropertyKey<'_>) -> Option<String> {
    match key {
        PropertyKey::StaticIdentifier(id) => Some(id.name.to_string()),
        PropertyKey::StringLiteral(s) => Some(s.value.to_string()),
        PropertyKey::NumericLiteral(n) => lua_text::number(n.value),
        _ => None,
    }
}

/// `../constants`, `./constants.js`, `@/database/constants`: the constants module.
pub(super) fn is_constants_module(source: &str) -> bool {
    let last = source.rsplit('/').next().unwrap_or(source);
    let stem = last.split('.').next().unwrap_or(last);
    stem == CONSTANTS_MODULE
}

/// `require("x")` → `x`.
pub(super) fn require_of(e: &Expression<'_>) -> Option<String> {
    let mut e = e.get_inner_expression();
    // `require("x").default` and `require("x").tables` keep their field.
    if let Some(m) = e.as_member_expression() {
        if matches!(
            m.object().get_inner_expression(),
            Expression::CallExpression(_)
        ) {
            e = m.object().get_inner_expression();
        }
    }
    let Expression::CallExpression(c) = e else {
        return None;
    };
    let Expression::Identifier(id) = c.callee.get_inner_expression() else {
        return None;
    };
    if id.name != "require" {
        return None;
    }
    match c.arguments.first().and_then(|a| a.as_expression()) {
        Some(Expression::StringLiteral(s)) => Some(s.value.to_string()),
        // A computed module name: reported as a dynamic `require`.
        _ => Some(String::new()),
    }
}

/// The items of `Promise.all([a, b])`.
pub(super) fn promise_all_items<'s, 'b>(e: &'s Expression<'b>) -> Option<Vec<&'s Expression<'b>>> {
    let Expression::CallExpression(c) = e.get_inner_expression() else {
        return None;
    };
    let m = c.callee.get_inner_expression().as_member_expression()?;
    if member_path(m) != ["Promise", "all"] {
        return None;
    }
    let Some(Expression::ArrayExpression(a)) = c
        .arguments
        .first()
        .and_then(|a| a.as_expression())
        .map(|e| e.get_inner_expression())
    else {
        return None;
    };
    a.elements.iter().map(|el| el.as_expression()).collect()
}

/// `Promise.all(xs.map(cb))` → `(xs, cb)`.
pub(super) fn promise_all_map<'s, 'b>(
    e: &'s Expression<'b>,
) -> Option<(&'s Expression<'b>, &'s Argument<'b>)> {
    let Expression::CallExpression(c) = e.get_inner_expression() else {
        return None;
    };
    let m = c.callee.get_inner_expression().as_member_expression()?;
    if member_path(m) != ["Promise", "all"] {
        return None;
    }
    let Expression::CallExpression(map) =
        c.arguments.first()?.as_expression()?.get_inner_expression()
    else {
        return None;
    };
    let mm = map.callee.get_inner_expression().as_member_expression()?;
    if mm.static_property_name() != Some("map") || map.arguments.len() != 1 {
        return None;
    }
    Some((mm.object(), &map.arguments[0]))
}

/// A `break` that would leave a `switch` early (not one inside a nested loop).
pub(super) fn breaks_out(stmt: &Statement<'_>) -> bool {
    match stmt {
        Statement::BreakStatement(_) => true,
        Statement::BlockStatement(b) => b.body.iter().any(|s| breaks_out(s)),
        Statement::IfStatement(i) => {
            breaks_out(&i.consequent) || i.alternate.as_ref().is_some_and(|a| breaks_out(a))
        }
        Statement::TryStatement(t) => {
            t.block.body.iter().any(|s| breaks_out(s))
                || t.handler
                    .as_ref()
                    .is_some_and(|h| h.body.body.iter().any(|s| breaks_out(s)))
        }
        Statement::LabeledStatement(l) => breaks_out(&l.body),
        _ => false,
    }
}

/// `typeof x` compared with a string literal: `(x, "string")`.
pub(super) fn typeof_test<'s, 'b>(
    a: &'s Expression<'b>,
    b: &'s Expression<'b>,
) -> Option<(&'s Expression<'b>, &'s str)> {
    let Expression::UnaryExpression(u) = a.get_inner_expression() else {
        return None;
    };
    let Expression::StringLiteral(name) = b.get_inner_expression() else {
        return None;
    };
    (u.operator == UnaryOperator::Typeof).then_some((&u.argument, name.value.as_str()))
}

/// A bare local name: destructuring reads it directly, without a temporary.
pub(super) fn is_simple_name(e: &Expr) -> bool {
    e.prec == Prec::Prefix && lua_text::is_identifier(&e.text)
}

/// `["a", "b"]`: a list of string literals.
pub(super) fn all_strings(e: &Expression<'_>) -> bool {
    matches!(e.get_inner_expression(), Expression::ArrayExpression(a)
        if a.elements.iter().all(|el| matches!(el.as_expression(), Some(Expression::StringLiteral(_)))))
}

/// Whether the value is certainly a string (so `+` is concatenation).
pub(super) fn is_stringy(e: &Expression<'_>) -> bool {
    match e.get_inner_expression() {
        Expression::StringLiteral(_) | Expression::TemplateLiteral(_) => true,
        Expression::BinaryExpression(b) => {
            b.operator == BinaryOperator::Addition && (is_stringy(&b.left) || is_stringy(&b.right))
        }
        Expression::CallExpression(c) => {
            matches!(c.callee.get_inner_expression(), Expression::Identifier(id) if id.name == "String")
        }
        _ => false,
    }
}

/// A value that is never `nil` or `false` in Lua (literal strings, numbers, tables, functions).
pub(super) fn never_falsy(e: &Expression<'_>) -> bool {
    matches!(
        e.get_inner_expression(),
        Expression::StringLiteral(_)
            | Expression::TemplateLiteral(_)
            | Expression::NumericLiteral(_)
            | Expression::ObjectExpression(_)
            | Expression::ArrayExpression(_)
            | Expression::ArrowFunctionExpression(_)
            | Expression::FunctionExpression(_)
    ) || matches!(e.get_inner_expression(), Expression::BooleanLiteral(b) if b.value)
}

/// Names exported by `module.exports = { up, down }` or `export { up }`: their
/// function declarations are the migration's entry points.
pub(super) fn exported_names(program: &Program<'_>) -> HashSet<String> {
    let mut out = HashSet::new();
    for stmt in &program.body {
        match stmt {
            Statement::ExportNamedDeclaration(n) => {
                for spec in &n.specifiers {
                    out.insert(module_export_name(&spec.local));
                }
            }
            Statement::ExpressionStatement(e) => {
                if let Expression::AssignmentExpression(a) = e.expression.get_inner_expression() {
                    if let Expression::ObjectExpression(o) = a.right.get_inner_expression() {
                        for p in &o.properties {
                            if let ObjectPropertyKind::ObjectProperty(p) = p {
                                if let Expression::Identifier(id) = p.value.get_inner_expression() {
                                    out.insert(id.name.to_string());
                                }
                            }
                        }
                    }
                    if let Expression::Identifier(id) = a.right.get_inner_expression() {
                        out.insert(id.name.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    out
}
