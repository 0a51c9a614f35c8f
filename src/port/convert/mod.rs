//! The JavaScript/TypeScript → Lua converter of `vectra-db port`: walks the
//! tree `oxc_parser` built and writes the Lua a teammate would write by hand,
//! following docs/porting-from-knex.md.
//!
//! The rule it never breaks: a construct it cannot convert *faithfully* is not
//! guessed at. The whole statement holding it is kept as the original source
//! in `-- TODO(port): <reason>` comment lines at the same place, and the
//! conversion goes on with the next statement, so the file still loads as Lua
//! and the rest of it is converted.
//!
//! What it knows about Knex: which calls are queries (lazy, so `await` becomes
//! `:run()`), which are schema calls (they run when called, so `await`
//! disappears), which are functions of the `knex` module (a dot) and which are
//! builder methods (a colon; the method lists are the Lua bridge's own). It
//! does not know names: mapping literal names to constants happens afterwards,
//! on the Lua text (see `constants.rs`).

use std::collections::{BTreeSet, HashSet};

use oxc_ast::ast::{
    Argument, ArrayExpressionElement, ArrowFunctionBody, ArrowFunctionExpression,
    AssignmentOperator, AssignmentTarget, BinaryOperator, BindingPattern, CallExpression,
    ChainElement, Declaration, Expression, ForStatementInit, ForStatementLeft, FormalParameters,
    Function, FunctionBody, ImportDeclarationSpecifier, LogicalOperator, MemberExpression,
    ModuleExportName, ObjectPropertyKind, Program, PropertyKey, PropertyKind,
    SimpleAssignmentTarget, Statement, UnaryOperator, UpdateOperator,
};
use oxc_span::{GetSpan, Span};

use super::lua_text::{self, Expr, Prec};
use crate::api::{self, Builder};

/// A construct outside the subset: where, and why.
#[derive(Debug, Clone)]
struct Unsupported {
    span: Span,
    reason: String,
}

type R<T> = Result<T, Unsupported>;

fn unsupported<T>(span: Span, reason: impl Into<String>) -> R<T> {
    Err(Unsupported {
        span,
        reason: reason.into(),
    })
}

/// One `-- TODO(port):` marker: the source line of the construct and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub source_line: usize,
    pub reason: String,
}

/// The converted text, before names are mapped to constants.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Leading comment lines (provenance, the original's own header).
    pub header: Vec<String>,
    /// Everything after the header.
    pub body: String,
    /// One per `-- TODO(port):` line of `body`, in order.
    pub markers: Vec<Marker>,
    /// Whether the file exports `seed` (a seed) rather than `up` (a migration).
    pub is_seed: bool,
}

/// How a value behaves when awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A Knex query or raw: lazy in vectra-db, so `await` becomes `:run()`.
    Query,
    /// A schema call: runs when called; `await` disappears.
    Schema,
    /// Anything else (helpers, `knex.transaction`, values).
    Other,
}

/// What a function is for; decides how `return` and `this` convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// `up`, `down`, `seed`: the first parameter is `knex`, returned promises run.
    Export,
    /// `knex.transaction(cb)`: the first parameter is the transaction.
    Transaction,
    /// A top-level helper function.
    Helper,
    /// Any other callback (`createTable`, `where`, `join`, …).
    Callback,
}

/// Per-function state.
#[derive(Debug, Default)]
struct Scope {
    knex: Vec<String>,
    this_name: Option<String>,
    this_used: bool,
    /// An arrow function: its `this` is the enclosing function's.
    arrow: bool,
    /// Returned queries are awaited by the caller (async functions, exports).
    runs: bool,
    /// A non-async helper returned a query: calls of it are queries.
    returned_query: bool,
    /// Inside a loop made from `forEach`/`Promise.all(xs.map(…))`: a final
    /// `return x` is a statement, an early one cannot be converted.
    returns_are_statements: bool,
    /// Inside a hoisted `map`: a final `return x` stores into this table.
    map_target: Option<String>,
    /// One entry per enclosing loop: whether `continue` was used in it.
    loops: Vec<bool>,
    catch_params: Vec<String>,
}

pub struct Converter<'a> {
    src: &'a str,
    file_name: String,
    line_starts: Vec<usize>,
    comments: Vec<Span>,
    comment_cursor: usize,
    markers: Vec<Marker>,
    scopes: Vec<Scope>,
    queries: HashSet<String>,
    query_factories: HashSet<String>,
    numeric: HashSet<String>,
    /// Names certainly bound to strings (`for (const k of ["a", "b"])`).
    strings: HashSet<String>,
    /// Statements hoisted before the statement being converted (`map` loops).
    pre: Vec<String>,
    temp: usize,
    uses_vectra: bool,
    uses_concat: bool,
    uses_merge: bool,
    uses_append: bool,
    /// `(key, value, comment lines written above it)`, in source order.
    exports: Vec<(String, String, Vec<String>)>,
    top_functions_later: HashSet<String>,
    forward: BTreeSet<String>,
}

const CONSTANTS_MODULE: &str = "constants";

/// `{ ...a, ...b }`: JavaScript's object spread (a `nil` part adds nothing,
/// like spreading `null`).
const MERGE: &str = "-- `{ ...a, ...b }`: the keys of each table in turn, later ones winning.
local function merge(...)
  local out = {}
  for i = 1, select(\"#\", ...) do
    local part = select(i, ...)
    if part ~= nil then
      for k, v in pairs(part) do
        out[k] = v
      end
    end
  end
  return out
end";

/// `[...a, ...b]`: JavaScript's array spread.
const APPEND: &str = "-- `[...a, ...b]`: the items of each list in turn.
local function append(...)
  local out = {}
  for i = 1, select(\"#\", ...) do
    for _, v in ipairs((select(i, ...))) do
      out[#out + 1] = v
    end
  end
  return out
end";

/// Converts one parsed file.
pub fn convert(file_name: &str, src: &str, program: &Program<'_>) -> Draft {
    let mut line_starts = vec![0];
    line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
    let mut c = Converter {
        src,
        file_name: std::path::Path::new(file_name).file_name().map_or_else(
            || file_name.to_string(),
            |n| n.to_string_lossy().to_string(),
        ),
        line_starts,
        comments: program.comments.iter().map(|c| c.span).collect(),
        comment_cursor: 0,
        markers: Vec::new(),
        scopes: vec![Scope::default()],
        queries: HashSet::new(),
        query_factories: HashSet::new(),
        numeric: HashSet::new(),
        strings: HashSet::new(),
        pre: Vec::new(),
        temp: 0,
        uses_vectra: false,
        uses_concat: false,
        uses_merge: false,
        uses_append: false,
        exports: Vec::new(),
        top_functions_later: HashSet::new(),
        forward: BTreeSet::new(),
    };
    c.module(program)
}

impl<'a> Converter<'a> {
    // ------------------------------------------------------------------
    // Positions, comments, markers
    // ------------------------------------------------------------------

    fn line_of(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&(offset as usize)) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    fn text(&self, span: Span) -> &'a str {
        self.src
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default()
    }

    /// The comments before `offset` that have not been written yet.
    fn comments_before(&mut self, offset: u32) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(span) = self.comments.get(self.comment_cursor).copied() {
            if span.end > offset {
                break;
            }
            out.extend(lua_text::comment_lines(self.text(span)));
            self.comment_cursor += 1;
        }
        out
    }

    /// Comments inside `span` are part of its converted text or lost with it.
    fn skip_comments_to(&mut self, offset: u32) {
        while let Some(span) = self.comments.get(self.comment_cursor) {
            if span.start >= offset {
                break;
            }
            self.comment_cursor += 1;
        }
    }

    /// The original source of `span`, as comment lines under a TODO marker.
    fn todo(&mut self, span: Span, problem: Unsupported) -> String {
        let line = self.line_of(problem.span.start);
        self.markers.push(Marker {
            source_line: line,
            reason: problem.reason.clone(),
        });
        let start = self.line_starts[self.line_of(span.start) - 1];
        let lead = &self.src[start..span.start as usize];
        let strip = if lead.trim().is_empty() {
            lead.len()
        } else {
            0
        };
        let mut out = vec![format!(
            "-- TODO(port): {} ({}:{line})",
            problem.reason.replace('\n', " "),
            self.file_name
        )];
        for (i, l) in self.text(span).lines().enumerate() {
            let l = if i == 0 {
                l
            } else {
                let cut = l
                    .char_indices()
                    .take_while(|(n, ch)| *n < strip && ch.is_whitespace())
                    .last()
                    .map_or(0, |(n, ch)| n + ch.len_utf8());
                &l[cut..]
            };
            out.push(format!("-- {l}").trim_end().to_string());
        }
        out.join("\n")
    }

    fn fresh(&mut self, base: &str) -> String {
        self.temp += 1;
        if self.temp == 1 {
            base.to_string()
        } else {
            format!("{base}{}", self.temp)
        }
    }

    // ------------------------------------------------------------------
    // Scopes
    // ------------------------------------------------------------------

    fn scope(&mut self) -> &mut Scope {
        // The module scope is pushed first and never popped.
        let last = self.scopes.len() - 1;
        &mut self.scopes[last]
    }

    fn is_knex(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.knex.iter().any(|k| k == name))
    }

    /// The outermost knex name in scope: `knex.null` needs one.
    fn knex_name(&self) -> Option<String> {
        self.scopes.iter().find_map(|s| s.knex.first().cloned())
    }

    fn knex_null(&self, span: Span) -> R<Expr> {
        match self.knex_name() {
            Some(k) => Ok(Expr::prefix(format!("{}.null", lua_text::local_name(&k)))),
            None => unsupported(
                span,
                "`null` outside `up`/`down`/`seed` (SQL NULL is `knex.null`, which needs `knex`)",
            ),
        }
    }

    // ------------------------------------------------------------------
    // The module
    // ------------------------------------------------------------------

    fn module(&mut self, program: &Program<'_>) -> Draft {
        let first = program
            .body
            .first()
            .map_or(program.span.end, |s| s.span().start);
        let mut header = vec![format!(
            "-- Ported from `{}` by `vectra-db port`.",
            self.file_name
        )];
        header.extend(self.comments_before(first));
        let exported = exported_names(program);
        for stmt in &program.body {
            if let Statement::FunctionDeclaration(f) = stmt {
                if let Some(id) = &f.id {
                    self.top_functions_later.insert(id.name.to_string());
                }
            }
        }
        let mut body = Vec::new();
        for stmt in &program.body {
            let mut lines = self.comments_before(stmt.span().start);
            let exports_before = self.exports.len();
            let outer = std::mem::take(&mut self.pre);
            let result = self.module_statement(stmt, &exported);
            let hoisted = std::mem::replace(&mut self.pre, outer);
            match result {
                Ok(text)
                    if text.is_empty()
                        && hoisted.is_empty()
                        && exports_before < self.exports.len() =>
                {
                    // The comment above `export function up` belongs above `up = …`.
                    if let Some(export) = self.exports.last_mut() {
                        export.2 = std::mem::take(&mut lines);
                    }
                }
                Ok(text) => {
                    lines.extend(hoisted);
                    if !text.is_empty() {
                        lines.push(text);
                    }
                }
                Err(problem) => lines.push(self.todo(stmt.span(), problem)),
            }
            self.skip_comments_to(stmt.span().end);
            if !lines.is_empty() {
                if let Some(trailing) = self.trailing_comment(stmt.span()) {
                    if let Some(last) = lines.last_mut() {
                        last.push_str(&format!(" {trailing}"));
                    }
                }
                body.push(lines.join("\n"));
            }
            if let Statement::FunctionDeclaration(f) = stmt {
                if let Some(id) = &f.id {
                    self.top_functions_later.remove(id.name.as_str());
                }
            }
        }
        let is_seed = self.exports.iter().any(|(k, _, _)| k == "seed");
        if self.exports.is_empty() {
            let problem = Unsupported {
                span: program.span,
                reason: "no `up`, `down` or `seed` export found".to_string(),
            };
            self.markers.push(Marker {
                source_line: self.line_of(problem.span.end),
                reason: problem.reason.clone(),
            });
            body.push(format!("-- TODO(port): {}", problem.reason));
            body.push("return {}".to_string());
        } else {
            let fields: Vec<String> = self
                .exports
                .iter()
                .map(|(k, v, comments)| {
                    let mut field = String::new();
                    for c in comments {
                        field.push_str(&format!("  {c}\n"));
                    }
                    field.push_str(&format!(
                        "  {} = {},",
                        lua_text::table_key(k),
                        lua_text::indent_rest(v, 1)
                    ));
                    field
                })
                .collect();
            body.push(format!("return {{\n{}\n}}", fields.join("\n")));
        }
        let mut prelude = Vec::new();
        if self.uses_vectra {
            prelude.push("local vectra = require(\"vectra\")".to_string());
        }
        if self.uses_concat {
            prelude.push("local concat = table.concat".to_string());
        }
        if self.uses_merge {
            prelude.push(MERGE.to_string());
        }
        if self.uses_append {
            prelude.push(APPEND.to_string());
        }
        if !self.forward.is_empty() {
            let names: Vec<String> = self
                .forward
                .iter()
                .map(|n| lua_text::local_name(n))
                .collect();
            prelude.push(format!("local {}", names.join(", ")));
        }
        if !prelude.is_empty() {
            body.insert(0, prelude.join("\n"));
        }
        Draft {
            header,
            body: body.join("\n\n") + "\n",
            markers: std::mem::take(&mut self.markers),
            is_seed,
        }
    }

    fn module_statement(&mut self, stmt: &Statement<'_>, exported: &HashSet<String>) -> R<String> {
        match stmt {
            Statement::ImportDeclaration(import) => {
                if import.import_kind.is_type() {
                    return Ok(String::new());
                }
                let source = import.source.value.as_str();
                if source == "knex" {
                    return Ok(String::new());
                }
                if !is_constants_module(source) {
                    return unsupported(
                        import.span,
                        format!("import of `{source}`: only the constants module (and `knex`) are mapped; use `require` of a Lua module or the `vectra` library"),
                    );
                }
                let mut lines = Vec::new();
                for spec in import.specifiers.iter().flatten() {
                    match spec {
                        ImportDeclarationSpecifier::ImportSpecifier(sp) => {
                            if sp.import_kind.is_type() {
                                continue;
                            }
                            let imported = match &sp.imported {
                                ModuleExportName::IdentifierName(n) => n.name.to_string(),
                                ModuleExportName::IdentifierReference(n) => n.name.to_string(),
                                ModuleExportName::StringLiteral(s) => s.value.to_string(),
                            };
                            let module = Expr::prefix(format!("require(\"{CONSTANTS_MODULE}\")"));
                            lines.push(format!(
                                "local {} = {}",
                                lua_text::local_name(&sp.local.name),
                                lua_text::field(&module, &imported).text
                            ));
                        }
                        ImportDeclarationSpecifier::ImportDefaultSpecifier(sp) => {
                            lines.push(format!(
                                "local {} = require(\"{CONSTANTS_MODULE}\")",
                                lua_text::local_name(&sp.local.name)
                            ))
                        }
                        ImportDeclarationSpecifier::ImportNamespaceSpecifier(sp) => {
                            lines.push(format!(
                                "local {} = require(\"{CONSTANTS_MODULE}\")",
                                lua_text::local_name(&sp.local.name)
                            ))
                        }
                    }
                }
                Ok(lines.join("\n"))
            }
            Statement::ExportNamedDeclaration(named) => {
                for spec in &named.specifiers {
                    let local = module_export_name(&spec.local);
                    let exported = module_export_name(&spec.exported);
                    self.export(&exported, lua_text::local_name(&local));
                }
                Ok(String::new())
            }
            Statement::ExportDeclaration(decl) => match &decl.declaration {
                Declaration::FunctionDeclaration(f)
                    if f.id.as_ref().is_some_and(|id| is_entry(&id.name)) =>
                {
                    let name =
                        f.id.as_ref()
                            .map(|id| id.name.to_string())
                            .unwrap_or_default();
                    let function = self.function(f, Role::Export)?;
                    self.export(&name, function.text);
                    Ok(String::new())
                }
                Declaration::VariableDeclaration(v) => {
                    let mut rest = Vec::new();
                    for d in &v.declarations {
                        let name = match &d.id {
                            BindingPattern::BindingIdentifier(id) => id.name.to_string(),
                            _ => return unsupported(d.span, "a destructuring `export const`"),
                        };
                        match (&d.init, name.as_str()) {
                            (Some(init), "up" | "down" | "seed" | "config") => {
                                let value = self.export_value(init)?;
                                self.export(&name, value);
                            }
                            _ => rest.push(d),
                        }
                    }
                    let mut lines = Vec::new();
                    for d in rest {
                        lines.push(self.declarator(d)?);
                    }
                    Ok(lines.join("\n"))
                }
                other => self.declaration(other, other.span()),
            },
            Statement::ExportDefaultDeclaration(d) => unsupported(
                d.span,
                "`export default`: Knex reads `up`/`down`/`seed` exports; export them by name",
            ),
            Statement::ExpressionStatement(e) => {
                if let Some(done) = self.commonjs_export(&e.expression)? {
                    return Ok(done);
                }
                self.statement(stmt, false, false)
            }
            Statement::FunctionDeclaration(f) => {
                let name =
                    f.id.as_ref()
                        .map(|id| id.name.to_string())
                        .unwrap_or_default();
                let role = if is_entry(&name) || exported.contains(&name) {
                    Role::Export
                } else {
                    Role::Helper
                };
                let (function, returned_query) = self.function_with(f, role)?;
                if returned_query {
                    self.query_factories.insert(name.clone());
                }
                let lua_name = lua_text::local_name(&name);
                let body = function.text.trim_start_matches("function");
                if self.forward.contains(&name) {
                    Ok(format!("function {lua_name}{body}"))
                } else {
                    Ok(format!("local function {lua_name}{body}"))
                }
            }
            _ => self.statement(stmt, false, false),
        }
    }

    fn export(&mut self, name: &str, value: String) {
        self.exports.retain(|(k, _, _)| k != name);
        self.exports.push((name.to_string(), value, Vec::new()));
    }

    /// The value of `exports.up = …` and friends.
    fn export_value(&mut self, value: &Expression<'_>) -> R<String> {
        match value.get_inner_expression() {
            Expression::FunctionExpression(f) => Ok(self.function(f, Role::Export)?.text),
            Expression::ArrowFunctionExpression(a) => Ok(self.arrow(a, Role::Export)?.text),
            other => Ok(self.expr(other)?.text),
        }
    }

    /// `exports.up = …`, `module.exports.up = …`, `module.exports = { … }`.
    fn commonjs_export(&mut self, e: &Expression<'_>) -> R<Option<String>> {
        let Expression::AssignmentExpression(a) = e.get_inner_expression() else {
            return Ok(None);
        };
        let Some(member) = a
            .left
            .as_simple_assignment_target()
            .and_then(|t| t.as_member_expression())
        else {
            return Ok(None);
        };
        let path = member_path(member);
        match path
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["exports", name] | ["module", "exports", name] => {
                if a.operator != AssignmentOperator::Assign {
                    return unsupported(a.span, "a compound assignment to an export");
                }
                let value = self.export_value(&a.right)?;
                self.export(name, value);
                Ok(Some(String::new()))
            }
            ["module", "exports"] => {
                let Expression::ObjectExpression(obj) = a.right.get_inner_expression() else {
                    return unsupported(
                        a.span,
                        "`module.exports` set to something other than an object literal",
                    );
                };
                for prop in &obj.properties {
                    let ObjectPropertyKind::ObjectProperty(p) = prop else {
                        return unsupported(obj.span, "a spread in `module.exports`");
                    };
                    let Some(key) = property_key_name(&p.key) else {
                        return unsupported(p.span, "a computed key in `module.exports`");
                    };
                    let value = if p.method {
                        match &p.value {
                            Expression::FunctionExpression(f) => {
                                self.function(f, Role::Export)?.text
                            }
                            _ => return unsupported(p.span, "an accessor in `module.exports`"),
                        }
                    } else {
                        self.export_value(&p.value)?
                    };
                    self.export(&key, value);
                }
                Ok(Some(String::new()))
            }
            _ => Ok(None),
        }
    }

    // ------------------------------------------------------------------
    // Functions
    // ------------------------------------------------------------------
}

mod calls;
mod expressions;
mod functions;
mod statements;
mod syntax;
#[cfg(test)]
mod tests;

use syntax::*;
