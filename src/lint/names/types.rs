//! Builder types through a chain of calls, read from the catalogue
//! ([`crate::api`]): the root's type, then each call's `Returns`.

use full_moon::ast::{Call, Expression, Index, Prefix, Suffix, Var};

use super::syntax::{call_args, token_text, Arg};
use crate::api::{Builder, MethodInfo, Returns, Role, KNEX_FIELDS};

/// What the lint knows of a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) enum Ty {
    /// Could be a builder: its methods are looked up in [`FALLBACK`] order.
    #[default]
    Unknown,
    /// Not a builder: a string, a number, a Lua library, a query's result.
    Value,
    /// A builder, with the table it works on when known.
    Builder(Builder, Option<String>),
}

/// Where a method called on a value of unknown type is looked up, first
/// match wins: a query, then the table builder (so a first `unique`,
/// `primary` or `index` is the table-level one, whose argument is columns),
/// then `knex.schema` and the `knex` module, then the builders reached only
/// through them (a join clause before a column, so a bare `on` takes columns).
const FALLBACK: &[Builder] = &[
    Builder::Query,
    Builder::Table,
    Builder::Schema,
    Builder::Knex,
    Builder::Join,
    Builder::Column,
    Builder::Foreign,
    Builder::View,
    Builder::AlterView,
    Builder::ViewColumn,
    Builder::BatchInsert,
    Builder::Raw,
    Builder::Ref,
    Builder::Fn,
];

/// Calling the `knex` value itself: `knex(table)` starts a query on `table`.
const KNEX_CALL: MethodInfo = MethodInfo {
    name: "knex",
    args: &[Role::Table],
    returns: Returns::Builder(Builder::Query),
    callback: None,
};

/// What the chain needs from its surroundings.
pub(super) trait Scope {
    /// The type of a name as the code at hand sees it.
    fn type_of_name(&self, name: &str) -> Ty;
    /// The table name an argument denotes (a literal, or a constant).
    fn table_name(&self, arg: Arg<'_>) -> Option<String>;
}

/// One call of a chain and what the catalogue says of it.
pub(super) struct Link<'a> {
    /// The method called, when the receiver's type (or the fallback) has it.
    pub method: Option<MethodInfo>,
    pub args: Vec<Arg<'a>>,
    /// The table this call works on: named by this call or an earlier one,
    /// else by the first call of the chain that names one, else the root's.
    pub table: Option<String>,
}

impl Link<'_> {
    /// The table named by the first argument whose role is `role`.
    pub(super) fn named(&self, role: Role, scope: &impl Scope) -> Option<String> {
        let method = self.method?;
        self.args
            .iter()
            .enumerate()
            .find(|(i, _)| method.role(*i) == role)
            .and_then(|(_, a)| scope.table_name(*a))
    }
}

/// The calls of a chain and the type of the whole.
pub(super) struct Chain<'a> {
    pub links: Vec<Link<'a>>,
    pub ty: Ty,
}

/// The method `name` of `builder` and the builder that owns it (the `knex`
/// module's methods include the query starters, `knex.where(…)`, which the
/// catalogue gives as returning a query).
fn method_of(builder: Builder, name: &str) -> Option<(MethodInfo, Builder)> {
    builder.method(name).map(|m| (m, builder))
}

/// The method `name` of a value of type `ty`, and its owner.
fn lookup(ty: &Ty, name: &str) -> Option<(MethodInfo, Builder)> {
    match ty {
        Ty::Builder(b, _) => method_of(*b, name),
        Ty::Unknown => FALLBACK.iter().find_map(|b| method_of(*b, name)),
        Ty::Value => None,
    }
}

/// `knex.schema`, `knex.fn`: a field that is not called.
fn field(ty: &Ty, name: &str) -> Ty {
    match ty {
        Ty::Builder(Builder::Knex, _) => match KNEX_FIELDS.iter().find(|(f, _)| *f == name) {
            Some((_, Returns::Builder(b))) => Ty::Builder(*b, None),
            Some(_) => Ty::Value,
            None => Ty::Unknown,
        },
        Ty::Value => Ty::Value,
        _ => Ty::Unknown,
    }
}

/// The type of an expression.
pub(super) fn type_of(scope: &impl Scope, expr: &Expression) -> Ty {
    match expr {
        Expression::Parentheses { expression, .. } => type_of(scope, expression),
        Expression::Var(Var::Name(name)) => scope.type_of_name(&token_text(name)),
        Expression::Var(Var::Expression(var)) => resolve(scope, var.prefix(), var.suffixes()).ty,
        Expression::FunctionCall(call) => resolve(scope, call.prefix(), call.suffixes()).ty,
        Expression::String(_)
        | Expression::Number(_)
        | Expression::Symbol(_)
        | Expression::TableConstructor(_)
        | Expression::BinaryOperator { .. }
        | Expression::UnaryOperator { .. }
        | Expression::Function(_) => Ty::Value,
        _ => Ty::Unknown,
    }
}

/// Follows `prefix` through `suffixes`: each call is looked up on the type
/// its receiver has, and its `Returns` types the next one.
pub(super) fn resolve<'a>(
    scope: &impl Scope,
    prefix: &'a Prefix,
    suffixes: impl Iterator<Item = &'a Suffix>,
) -> Chain<'a> {
    let mut ty = match prefix {
        Prefix::Name(name) => scope.type_of_name(&token_text(name)),
        Prefix::Expression(e) => type_of(scope, e),
        _ => Ty::Unknown,
    };
    let inherited = match &ty {
        Ty::Builder(_, t) => t.clone(),
        _ => None,
    };
    let mut table = None;
    let mut links = Vec::new();
    // `.name` is a field until a call follows it: then it is a method.
    let mut pending: Option<String> = None;
    for suffix in suffixes {
        let (name, call) = match suffix {
            Suffix::Index(index) => {
                if let Some(f) = pending.take() {
                    ty = field(&ty, &f);
                }
                match index {
                    Index::Dot { name, .. } => pending = Some(token_text(name)),
                    _ if ty == Ty::Value => {}
                    _ => ty = Ty::Unknown,
                }
                continue;
            }
            Suffix::Call(call @ Call::MethodCall(m)) => {
                if let Some(f) = pending.take() {
                    ty = field(&ty, &f);
                }
                (Some(token_text(m.name())), call)
            }
            Suffix::Call(call) => (pending.take(), call),
            _ => {
                pending = None;
                ty = Ty::Unknown;
                continue;
            }
        };
        let found = match (&name, &ty) {
            (Some(name), _) => lookup(&ty, name),
            (None, Ty::Builder(Builder::Knex, _)) => Some((KNEX_CALL, Builder::Query)),
            (None, _) => None,
        };
        let mut link = Link {
            method: found.map(|(m, _)| m),
            args: call_args(call),
            table: None,
        };
        table = link.named(Role::Table, scope).or(table);
        link.table = table.clone();
        links.push(link);
        ty = match (&found, &ty) {
            (Some((method, owner)), _) => match method.returns {
                Returns::Same => Ty::Builder(*owner, table.clone()),
                Returns::Builder(b) => Ty::Builder(b, table.clone()),
                Returns::Value => Ty::Value,
            },
            // A method of a plain value (`("%s"):format(…)`) is plain too; what
            // a function returns (`helper()`) could be a builder.
            (None, Ty::Value) if name.is_some() => Ty::Value,
            (None, _) => Ty::Unknown,
        };
    }
    if let Some(f) = pending {
        ty = field(&ty, &f);
    }
    // The calls before the first that names a table work on it too
    // (`knex.select(…):from(T.users)`); a chain that names none works on its
    // root's (`q:where(…)` after `local q = knex(T.users)`).
    let first = links.iter().find_map(|l| l.table.clone()).or(inherited);
    for link in links.iter_mut().filter(|l| l.table.is_none()) {
        link.table = first.clone();
    }
    if let Ty::Builder(_, t @ None) = &mut ty {
        *t = first;
    }
    Chain { links, ty }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(ty: &Ty, name: &str) -> Option<Builder> {
        lookup(ty, name).map(|(_, b)| b)
    }

    #[test]
    fn an_unknown_receiver_looks_methods_up_in_the_fallback_order() {
        let unknown = Ty::Unknown;
        assert_eq!(owner(&unknown, "where"), Some(Builder::Query));
        assert_eq!(owner(&unknown, "unique"), Some(Builder::Table));
        assert_eq!(owner(&unknown, "createTable"), Some(Builder::Schema));
        assert_eq!(owner(&unknown, "on"), Some(Builder::Join));
        assert_eq!(owner(&unknown, "format"), None);
        assert_eq!(owner(&Ty::Value, "where"), None);
    }

    #[test]
    fn the_knex_module_starts_queries_with_the_marked_query_methods_only() {
        let knex = Ty::Builder(Builder::Knex, None);
        assert_eq!(owner(&knex, "batchInsert"), Some(Builder::Knex));
        let starter = lookup(&knex, "whereIn").map(|(m, _)| m.returns);
        assert_eq!(starter, Some(Returns::Builder(Builder::Query)));
        assert_eq!(owner(&knex, "run"), None);
        assert_eq!(field(&knex, "schema"), Ty::Builder(Builder::Schema, None));
        assert_eq!(field(&knex, "null"), Ty::Value);
    }
}
