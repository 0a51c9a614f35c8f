//! Literal table and column names in builder calls, and constant paths that
//! do not exist.
//!
//! Which arguments are names is read from the catalogue of the Lua API
//! ([`crate::api`]), never from a list here: an argument whose [`Role`] is
//! `Table` or `OtherTable` is a table name; `Column`, `Columns` and the first
//! and last of a `ColumnPair` are columns (a list of them, `"t.column"` and
//! `"x as alias"` understood); `Rows` (and `RowOrColumn` given a
//! `key = value` table) are rows whose keys are columns; `Reference` is the
//! referenced column of a foreign key; `Bindings` are the values of the SQL
//! text before them, and those bound to a `??` placeholder are names. A name is reported when it is written
//! there as a string literal, or as a `name = …` key of a row (also of a row
//! table bound by `local rows = { … }`). `Other` (values, SQL text, options,
//! constraint and index names, schema and extension names) is never a name.
//!
//! The method's builder comes from types (`names/types.rs`): a chain starts at
//! `knex` or `trx` (the `knex` module, unless the code rebinds the name),
//! `knex.schema` is a field of it, `knex(T.users)` is a query on `users`, and
//! each call's `Returns` types the next one, so `t:unique(cols)` (table
//! builder) and `t:string(c):unique(name)` (column builder) differ. A function
//! passed to a method with a `callback` gets that builder as its first
//! parameter, whatever its name (`function(table)` shadows Lua's `table`);
//! `local q = knex(T.users)` keeps the chain's type. On a receiver of unknown
//! type (a helper's parameter, a free name) a method is looked up in a fixed
//! order of builders, the query first, then the table builder (so a first
//! `:unique(…)` there takes columns). Lua's libraries and plain values are
//! never builders.
//!
//! Column messages name the constant of the table the call works on: the one
//! the chain names (`knex(…)`, `createTable`, `from`, …), else the one of the
//! enclosing callback. A join's columns may belong to either table and get
//! no table.
//!
//! A literal that one constant names gets a [`Replacement`] too (the
//! constant's path, `names/replacements.rs`), which `vectra-db port
//! --constants` writes in its place.
//!
//! `unknown-constant`: a path like `COL.users.emial` rooted at a local bound
//! to `require("constants")` (or a field of it, `local T = C.tables`) whose
//! key the evaluated constants do not have. Such a path is nil at run time,
//! and a nil name fails far from the typo.

mod messages;
mod replacements;
mod syntax;
mod types;

use std::collections::HashMap;

use full_moon::ast::{
    Ast, Block, Expression, FunctionBody, FunctionCall, GenericFor, Index, LocalAssignment,
    LocalFunction, NumericFor, Prefix, Suffix, TableConstructor, Var, VarExpression,
};
use full_moon::tokenizer::TokenReference;
use full_moon::visitors::Visitor;

use self::messages::Reporter;
use self::syntax::{
    arg_function, arg_name, arg_string, body_key, function_args, index_key, is_keyed_table,
    parameter_names, split_alias, string_literal, token_text, Arg,
};
use self::types::{Scope, Ty};
use super::constants::{Constants, Node};
use super::Rule;
use crate::api::{Builder, MethodInfo, Role};

/// A finding of this module, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameIssue {
    pub line: usize,
    pub column: usize,
    pub rule: Rule,
    pub message: String,
    /// The constant expression that can replace the literal, when there is
    /// exactly one (`vectra-db port --constants` applies it): same value, so
    /// the SQL cannot change.
    pub replacement: Option<Replacement>,
}

/// Lua text to put in place of bytes `start..end` of the checked source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Names of the `knex` value as scripts call it: `knex("users")`, `trx("users")`.
pub const KNEX_NAMES: &[&str] = &["knex", "trx"];

/// The module name whose `require` yields the constants table.
pub const CONSTANTS_MODULE: &str = "constants";

/// Lua's standard libraries: not builders, unless the code rebinds the name.
const LUA_LIBRARIES: &[&str] = &[
    "table",
    "string",
    "math",
    "os",
    "io",
    "utf8",
    "coroutine",
    "debug",
    "package",
];

/// Runs the name checks over one parsed file.
pub fn check(ast: &Ast, constants: &Constants) -> Vec<NameIssue> {
    let mut visitor = NameVisitor {
        env: Env {
            constants,
            frames: vec![Frame::default()],
        },
        callbacks: HashMap::new(),
        report: Reporter {
            constants,
            issues: Vec::new(),
        },
    };
    visitor.visit_ast(ast);
    visitor.report.issues
}

/// What the check knows of a local name.
#[derive(Clone, Default)]
struct Local {
    ty: Ty,
    /// A path into the constants (`C` → `[]`, `COL` → `["columns"]`).
    constants: Option<Vec<String>>,
    /// The table constructor it was bound to (`local rows = { … }`).
    rows: Option<TableConstructor>,
}

/// The locals of one block or function, and the table its code works on.
#[derive(Default)]
struct Frame {
    locals: HashMap<String, Local>,
    table: Option<String>,
}

/// The names in scope at the code being visited.
struct Env<'c> {
    constants: &'c Constants,
    frames: Vec<Frame>,
}

/// What a function written as an argument receives.
struct Callback {
    /// The type of its first parameter, when the method says.
    first: Option<Ty>,
    /// The table of the call it was passed to.
    table: Option<String>,
}

struct NameVisitor<'c> {
    env: Env<'c>,
    /// Functions passed as arguments, by [`body_key`], until the visitor reaches them.
    callbacks: HashMap<usize, Callback>,
    report: Reporter<'c>,
}

impl Visitor for NameVisitor<'_> {
    fn visit_block(&mut self, _block: &Block) {
        self.env.push(None);
    }

    fn visit_block_end(&mut self, _block: &Block) {
        self.env.pop();
    }

    fn visit_function_body(&mut self, body: &FunctionBody) {
        let callback = body_key(body).and_then(|k| self.callbacks.remove(&k));
        let (mut first, table) = match callback {
            Some(c) => (c.first, c.table),
            None => (None, None),
        };
        self.env.push(table);
        for name in parameter_names(body) {
            let ty = first.take();
            let Some(name) = name else { continue };
            let ty = ty.unwrap_or_else(|| knex_by_name(&name));
            self.env.bind(
                name,
                Local {
                    ty,
                    ..Local::default()
                },
            );
        }
    }

    fn visit_function_body_end(&mut self, _body: &FunctionBody) {
        self.env.pop();
    }

    fn visit_generic_for(&mut self, node: &GenericFor) {
        self.env.push(None);
        for name in node.names() {
            self.env.bind(token_text(name), Local::default());
        }
    }

    fn visit_generic_for_end(&mut self, _node: &GenericFor) {
        self.env.pop();
    }

    fn visit_numeric_for(&mut self, node: &NumericFor) {
        self.env.push(None);
        let index = Local {
            ty: Ty::Value,
            ..Local::default()
        };
        self.env.bind(token_text(node.index_variable()), index);
    }

    fn visit_numeric_for_end(&mut self, _node: &NumericFor) {
        self.env.pop();
    }

    fn visit_local_function(&mut self, node: &LocalFunction) {
        self.env.bind(token_text(node.name()), Local::default());
    }

    fn visit_local_assignment(&mut self, local: &LocalAssignment) {
        let mut expressions = local.expressions().iter();
        for name in local.names() {
            let described = match expressions.next() {
                Some(expr) => self.env.describe(expr),
                None => Local::default(),
            };
            self.env.bind(token_text(name), described);
        }
    }

    fn visit_function_call(&mut self, call: &FunctionCall) {
        self.check_chain(call.prefix(), call.suffixes());
    }

    fn visit_var_expression(&mut self, var: &VarExpression) {
        self.check_constant_path(var);
        // `knex(T.x):insert(…):returning(…):run()[1]` ends in an index, not a call.
        if var.suffixes().any(|s| matches!(s, Suffix::Call(_))) {
            self.check_chain(var.prefix(), var.suffixes());
        }
    }
}

/// The type a parameter or free name has by its name alone.
fn knex_by_name(name: &str) -> Ty {
    if KNEX_NAMES.contains(&name) {
        Ty::Builder(Builder::Knex, None)
    } else {
        Ty::Unknown
    }
}

impl NameVisitor<'_> {
    /// Checks every call of a chain against the roles of its method.
    fn check_chain<'a>(&mut self, prefix: &'a Prefix, suffixes: impl Iterator<Item = &'a Suffix>) {
        let chain = types::resolve(&self.env, prefix, suffixes);
        let enclosing = self.env.table();
        for (i, link) in chain.links.iter().enumerate() {
            let Some(method) = link.method else {
                continue;
            };
            let table = link.table.clone().or_else(|| enclosing.clone());
            // `references("id")` is a column of the table a later `inTable` names.
            let referenced = chain.links[i..]
                .iter()
                .find_map(|l| l.named(Role::OtherTable, &self.env));
            self.check_call(&method, &link.args, table, referenced.as_deref());
        }
    }

    fn check_call(
        &mut self,
        method: &MethodInfo,
        args: &[Arg<'_>],
        table: Option<String>,
        referenced: Option<&str>,
    ) {
        let pair_start = method.args.iter().position(|r| *r == Role::ColumnPair);
        // A join's columns may belong to either table.
        let pair_table = match method.args.contains(&Role::OtherTable) {
            true => None,
            false => table.as_deref(),
        };
        let env = &self.env;
        let rows_of = |name: &str| env.rows_of(name);
        for (i, arg) in args.iter().copied().enumerate() {
            let report = &mut self.report;
            match method.role(i) {
                Role::Table | Role::OtherTable => report.table(arg),
                Role::Column | Role::Columns => report.columns(arg, table.as_deref()),
                Role::Rows => report.rows(arg, table.as_deref(), &rows_of),
                Role::RowOrColumn if is_keyed_table(arg) || arg_name(arg).is_some() => {
                    report.rows(arg, table.as_deref(), &rows_of)
                }
                Role::RowOrColumn => report.columns(arg, table.as_deref()),
                Role::Reference => report.reference(arg, referenced),
                // The first and the last: `on(a, b)`, `on(a, "=", b)`.
                Role::ColumnPair if Some(i) == pair_start || i + 1 == args.len() => {
                    report.columns(arg, pair_table)
                }
                Role::Bindings => {
                    let sql = i.checked_sub(1).and_then(|j| args.get(j)).copied();
                    report.bindings(sql, arg, table.as_deref())
                }
                Role::ColumnPair | Role::Other => {}
            }
            if let Some(key) = arg_function(arg).and_then(body_key) {
                let callback = Callback {
                    first: method.callback.map(|b| Ty::Builder(b, table.clone())),
                    table: table.clone(),
                };
                self.callbacks.insert(key, callback);
            }
        }
    }

    /// `unknown-constant`: `COL.users.emial` with `COL` bound to the constants.
    fn check_constant_path(&mut self, var: &VarExpression) {
        let Prefix::Name(root) = var.prefix() else {
            return;
        };
        let Some(mut path) = self
            .env
            .local(&token_text(root))
            .and_then(|l| l.constants.clone())
        else {
            return;
        };
        let mut shown = token_text(root);
        for suffix in var.suffixes() {
            let (key, token): (String, &TokenReference) = match suffix {
                Suffix::Index(Index::Dot { name, .. }) => (token_text(name), name),
                Suffix::Index(Index::Brackets { expression, .. }) => {
                    match (string_literal(expression), expression) {
                        (Some(key), Expression::String(token)) => (key, token),
                        _ => return,
                    }
                }
                _ => return,
            };
            let Some(Node::Table(map)) = self.env.node_at(&path) else {
                return;
            };
            if !map.contains_key(&key) {
                let hint = crate::api::closest(&key, map.keys().map(String::as_str))
                    .map(|k| format!("; did you mean `{shown}.{k}`?"))
                    .unwrap_or_default();
                self.report.push(
                    token,
                    Rule::UnknownConstant,
                    format!(
                        "`{shown}.{key}` is not defined in `lua/constants.lua` (it would be nil){hint}"
                    ),
                );
                return;
            }
            shown = format!("{shown}.{key}");
            path.push(key);
        }
    }
}

impl Env<'_> {
    fn local(&self, name: &str) -> Option<&Local> {
        self.frames.iter().rev().find_map(|f| f.locals.get(name))
    }

    fn bind(&mut self, name: String, local: Local) {
        if let Some(frame) = self.frames.last_mut() {
            frame.locals.insert(name, local);
        }
    }

    /// A new scope working on `table`, or on the enclosing one's.
    fn push(&mut self, table: Option<String>) {
        let table = table.or_else(|| self.table());
        self.frames.push(Frame {
            locals: HashMap::new(),
            table,
        });
    }

    fn pop(&mut self) {
        if self.frames.len() > 1 {
            self.frames.pop();
        }
    }

    /// The table the enclosing callback works on.
    fn table(&self) -> Option<String> {
        self.frames.last().and_then(|f| f.table.clone())
    }

    fn rows_of(&self, name: &str) -> Option<TableConstructor> {
        self.local(name).and_then(|l| l.rows.clone())
    }

    fn node_at(&self, path: &[String]) -> Option<&Node> {
        if path.is_empty() {
            return None;
        }
        self.constants.get(path)
    }

    /// What `local name = expr` tells about `name`.
    fn describe(&self, expr: &Expression) -> Local {
        if let Some(path) = self.constants_path(expr) {
            return Local {
                ty: Ty::Value,
                constants: Some(path),
                rows: None,
            };
        }
        Local {
            ty: types::type_of(self, expr),
            constants: None,
            rows: match expr {
                Expression::TableConstructor(t) => Some(t.clone()),
                _ => None,
            },
        }
    }

    /// `require("constants")` → `[]`; `C.columns` (with `C` an alias) → `["columns"]`.
    fn constants_path(&self, expr: &Expression) -> Option<Vec<String>> {
        let (root, suffixes) = match expr {
            Expression::FunctionCall(call) => (call.prefix(), call.suffixes().collect::<Vec<_>>()),
            Expression::Var(Var::Expression(var)) => {
                (var.prefix(), var.suffixes().collect::<Vec<_>>())
            }
            Expression::Var(Var::Name(name)) => {
                return self.local(&token_text(name))?.constants.clone()
            }
            Expression::Parentheses { expression, .. } => return self.constants_path(expression),
            _ => return None,
        };
        let Prefix::Name(root) = root else {
            return None;
        };
        let mut suffixes = suffixes.into_iter().peekable();
        let root = token_text(root);
        let mut path = match suffixes.peek() {
            Some(Suffix::Call(full_moon::ast::Call::AnonymousCall(args))) if root == "require" => {
                let module = function_args(args).first().and_then(|a| arg_string(*a));
                if module.map(|(m, _)| m).as_deref() != Some(CONSTANTS_MODULE) {
                    return None;
                }
                suffixes.next();
                Vec::new()
            }
            _ => self.local(&root)?.constants.clone()?,
        };
        for suffix in suffixes {
            path.push(index_key(suffix)?);
        }
        Some(path)
    }
}

impl Scope for Env<'_> {
    fn type_of_name(&self, name: &str) -> Ty {
        match self.local(name) {
            Some(local) if local.ty != Ty::Unknown => local.ty.clone(),
            // `local knex = require(…)`: still the knex value by its name.
            Some(_) => knex_by_name(name),
            None if LUA_LIBRARIES.contains(&name) => Ty::Value,
            None => knex_by_name(name),
        }
    }

    /// The table name an argument denotes: a literal, or a constant path.
    fn table_name(&self, arg: Arg<'_>) -> Option<String> {
        if let Some((text, _)) = arg_string(arg) {
            return Some(split_alias(&text).to_string());
        }
        let Arg::Expr(expr) = arg else {
            return None;
        };
        let path = self.constants_path(expr)?;
        match self.node_at(&path)? {
            Node::Str(name) => Some(name.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 8: the name checks keep no list of builder methods. The only
    /// string literals of their code that are method names are Lua's library
    /// names.
    #[test]
    fn no_method_name_is_written_in_the_lint() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("types.rs"),
            include_str!("messages.rs"),
            include_str!("replacements.rs"),
            include_str!("syntax.rs"),
        ];
        let methods: Vec<&str> = Builder::ALL
            .iter()
            .flat_map(|b| b.methods())
            .map(|m| m.name)
            .collect();
        for source in sources {
            let before_tests = source.split("#[cfg(test)]").next().unwrap_or_default();
            let code = before_tests
                .lines()
                .map(str::trim)
                .filter(|l| !l.starts_with("//"));
            for line in code {
                for literal in line.split('"').skip(1).step_by(2) {
                    assert!(
                        !methods.contains(&literal) || LUA_LIBRARIES.contains(&literal),
                        "`{literal}` is a method name: read it from crate::api\n{line}"
                    );
                }
            }
        }
    }
}
