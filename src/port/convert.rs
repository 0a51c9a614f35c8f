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

    fn function(&mut self, f: &Function<'_>, role: Role) -> R<Expr> {
        Ok(self.function_with(f, role)?.0)
    }

    fn function_with(&mut self, f: &Function<'_>, role: Role) -> R<(Expr, bool)> {
        if f.generator {
            return unsupported(f.span, "a generator function");
        }
        let Some(body) = &f.body else {
            return unsupported(f.span, "a function without a body");
        };
        self.function_parts(&f.params, Body::Block(body), f.r#async, false, role)
    }

    fn arrow(&mut self, a: &ArrowFunctionExpression<'_>, role: Role) -> R<Expr> {
        let body = arrow_body(a);
        Ok(self
            .function_parts(&a.params, body, a.r#async, true, role)?
            .0)
    }

    fn params(&mut self, params: &FormalParameters<'_>) -> R<(Vec<String>, Vec<String>)> {
        if let Some(rest) = &params.rest {
            return unsupported(rest.span, "a rest parameter (`...args`)");
        }
        let mut names = Vec::new();
        let mut defaults = Vec::new();
        for p in &params.items {
            let BindingPattern::BindingIdentifier(id) = &p.pattern else {
                return unsupported(p.span, "a destructured parameter");
            };
            let name = lua_text::local_name(&id.name);
            if let Some(init) = &p.initializer {
                let value = self.expr(init)?;
                defaults.push(format!("if {name} == nil then {name} = {} end", value.text));
            }
            names.push(name);
        }
        Ok((names, defaults))
    }

    fn function_parts(
        &mut self,
        params: &FormalParameters<'_>,
        body: Body<'_, '_>,
        is_async: bool,
        is_arrow: bool,
        role: Role,
    ) -> R<(Expr, bool)> {
        let mut scope = Scope {
            runs: is_async || matches!(role, Role::Export | Role::Transaction),
            arrow: is_arrow,
            ..Scope::default()
        };
        let first = params.items.first().and_then(|p| match &p.pattern {
            BindingPattern::BindingIdentifier(id) => Some(id.name.to_string()),
            _ => None,
        });
        if matches!(role, Role::Export | Role::Transaction) {
            scope.knex.extend(first.clone());
        }
        for p in &params.items {
            if let BindingPattern::BindingIdentifier(id) = &p.pattern {
                if matches!(id.name.as_str(), "knex" | "trx") {
                    scope.knex.push(id.name.to_string());
                }
            }
        }
        if !is_arrow {
            scope.this_name = Some(first.clone().unwrap_or_else(|| "q".to_string()));
        } else if let Some(outer) = self.scopes.last() {
            scope.this_name = outer.this_name.clone();
        }
        self.scopes.push(scope);
        let result = (|| -> R<(Vec<String>, String)> {
            let (names, defaults) = self.params(params)?;
            let mut text = defaults.join("\n");
            let body_text = match body {
                Body::Block(b) => self.statements(b.statements.iter().collect(), true),
                Body::Expression(e) => self.expression_body(e, role)?,
                Body::Empty => String::new(),
            };
            if !text.is_empty() && !body_text.is_empty() {
                text.push('\n');
            }
            text.push_str(&body_text);
            Ok((names, text))
        })();
        let scope = self.scopes.pop().unwrap_or_default();
        let (mut names, text) = result?;
        if scope.this_used && names.is_empty() {
            names.push(scope.this_name.clone().unwrap_or_else(|| "q".to_string()));
        }
        let head = format!("function({})", names.join(", "));
        let returned_query = scope.returned_query && !scope.runs && role == Role::Helper;
        if text.trim().is_empty() {
            return Ok((Expr::atom(format!("{head} end")), returned_query));
        }
        Ok((
            Expr::atom(format!("{head}\n{}\nend", lua_text::indent_all(&text, 1))),
            returned_query,
        ))
    }

    /// `(x) => expr`: a returned value, a statement, or awaited work.
    fn expression_body(&mut self, e: &Expression<'_>, role: Role) -> R<String> {
        let runs = self.scopes.last().is_some_and(|s| s.runs);
        if runs || self.scopes.last().is_some_and(|s| s.returns_are_statements) {
            return self.return_value(e, true, true);
        }
        if let Some(target) = self.scopes.last().and_then(|s| s.map_target.clone()) {
            let value = self.expr(e)?;
            return Ok(format!("{target}[#{target} + 1] = {}", value.text));
        }
        let inner = e.get_inner_expression();
        if role == Role::Callback && matches!(inner, Expression::CallExpression(_)) {
            // Knex ignores what a `createTable`/`where`/`join` callback returns.
            return Ok(self.expr(inner)?.text);
        }
        Ok(format!("return {}", self.expr(e)?.text))
    }

    // ------------------------------------------------------------------
    // Statements
    // ------------------------------------------------------------------

    /// A block: each statement converted on its own, a failing one kept as a TODO.
    fn statements(&mut self, list: Vec<&Statement<'_>>, function_top: bool) -> String {
        let mut out = Vec::new();
        let n = list.len();
        let mut previous_end: Option<u32> = None;
        for (i, stmt) in list.into_iter().enumerate() {
            // Keep the blank lines that separated statements in the source.
            if let Some(end) = previous_end {
                let gap: Vec<&str> = self
                    .text(Span::new(end, stmt.span().start))
                    .split('\n')
                    .collect();
                if gap.len() > 2 && gap[1..gap.len() - 1].iter().any(|l| l.trim().is_empty()) {
                    out.push(String::new());
                }
            }
            previous_end = Some(stmt.span().end);
            out.extend(self.comments_before(stmt.span().start));
            let outer = std::mem::take(&mut self.pre);
            let result = self.statement(stmt, i + 1 == n, function_top);
            let hoisted = std::mem::replace(&mut self.pre, outer);
            let produced = match result {
                Ok(text) => {
                    out.extend(hoisted);
                    let produced = !text.is_empty();
                    if produced {
                        out.push(text);
                    }
                    produced
                }
                Err(problem) => {
                    let todo = self.todo(stmt.span(), problem);
                    out.push(todo);
                    true
                }
            };
            self.skip_comments_to(stmt.span().end);
            if produced {
                if let (Some(trailing), Some(last)) =
                    (self.trailing_comment(stmt.span()), out.last_mut())
                {
                    last.push_str(&format!(" {trailing}"));
                }
            }
        }
        out.join("\n")
    }

    /// A `// comment` on the line where `span` ends, after it: it stays on
    /// that line of the Lua text.
    fn trailing_comment(&mut self, span: Span) -> Option<String> {
        let comment = *self.comments.get(self.comment_cursor)?;
        let text = self.text(comment);
        if !text.starts_with("//")
            || self.line_of(comment.start) != self.line_of(span.end.saturating_sub(1))
        {
            return None;
        }
        self.comment_cursor += 1;
        lua_text::comment_lines(text).into_iter().next()
    }

    fn block_of<'s, 'b>(stmt: &'s Statement<'b>) -> Vec<&'s Statement<'b>> {
        match stmt {
            Statement::BlockStatement(b) => b.body.iter().collect(),
            other => vec![other],
        }
    }

    fn statement(&mut self, stmt: &Statement<'_>, last: bool, function_top: bool) -> R<String> {
        match stmt {
            Statement::EmptyStatement(_) => Ok(String::new()),
            Statement::ExpressionStatement(e) => self.expression_statement(&e.expression),
            Statement::VariableDeclaration(v) => {
                let mut lines = Vec::new();
                for d in &v.declarations {
                    lines.push(self.declarator(d)?);
                }
                Ok(lines
                    .into_iter()
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n"))
            }
            Statement::FunctionDeclaration(f) => {
                let name =
                    f.id.as_ref()
                        .map(|id| id.name.to_string())
                        .unwrap_or_default();
                let function = self.function(f, Role::Helper)?;
                let body = function.text.trim_start_matches("function");
                Ok(format!(
                    "local function {}{body}",
                    lua_text::local_name(&name)
                ))
            }
            Statement::ReturnStatement(r) => {
                self.return_statement(r.argument.as_ref(), r.span, last, function_top)
            }
            Statement::IfStatement(i) => self.if_statement(i),
            Statement::BlockStatement(b) => {
                let inner = self.statements(b.body.iter().collect(), false);
                Ok(format!("do\n{}\nend", lua_text::indent_all(&inner, 1)))
            }
            Statement::ForOfStatement(f) => {
                if f.r#await {
                    return unsupported(f.span, "`for await`");
                }
                let (var, destructure) = self.loop_binding(&f.left)?;
                let list = self.iterable(&f.right)?;
                if destructure.is_none() && all_strings(&f.right) {
                    self.strings.insert(var.clone());
                }
                self.loop_body(&f.body, |inner| {
                    let mut head = format!("for _, {var} in ipairs({list}) do");
                    if let Some(d) = &destructure {
                        head.push_str(&format!("\n  {}", lua_text::indent_rest(d, 1)));
                    }
                    format!("{head}\n{}\nend", lua_text::indent_all(inner, 1))
                })
            }
            Statement::ForStatement(f) => self.for_statement(f),
            Statement::WhileStatement(w) => {
                let test = self.condition(&w.test)?;
                self.loop_body(&w.body, |inner| {
                    format!(
                        "while {} do\n{}\nend",
                        test.text,
                        lua_text::indent_all(inner, 1)
                    )
                })
            }
            Statement::DoWhileStatement(w) => {
                let test = self.condition(&w.test)?;
                let negated = Expr {
                    text: format!("not {}", test.operand(Prec::Unary, true)),
                    prec: Prec::Unary,
                };
                self.loop_body(&w.body, |inner| {
                    format!(
                        "repeat\n{}\nuntil {}",
                        lua_text::indent_all(inner, 1),
                        negated.text
                    )
                })
            }
            Statement::BreakStatement(b) => {
                if b.label.is_some() {
                    return unsupported(b.span, "a labelled `break`");
                }
                Ok(if last {
                    "break".into()
                } else {
                    "do break end".into()
                })
            }
            Statement::ContinueStatement(c) => {
                if c.label.is_some() {
                    return unsupported(c.span, "a labelled `continue`");
                }
                match self.scope().loops.last_mut() {
                    Some(used) => {
                        *used = true;
                        Ok("goto continue".into())
                    }
                    None => unsupported(c.span, "`continue` outside a loop the port converted"),
                }
            }
            Statement::ThrowStatement(t) => {
                if let Expression::NewExpression(n) = t.argument.get_inner_expression() {
                    if matches!(n.callee.get_inner_expression(), Expression::Identifier(id) if id.name.ends_with("Error"))
                    {
                        let message = match n.arguments.first() {
                            Some(a) => self.argument(a, None)?.text,
                            None => "\"error\"".to_string(),
                        };
                        return Ok(format!("error({message})"));
                    }
                }
                let value = self.expr(&t.argument)?;
                Ok(format!("error({}, 0)", value.text))
            }
            Statement::TryStatement(t) => self.try_statement(t),
            Statement::SwitchStatement(s) => self.switch_statement(s),
            Statement::ForInStatement(f) => unsupported(
                f.span,
                "`for … in`: Lua's `pairs` order differs from JavaScript's key order",
            ),
            Statement::LabeledStatement(l) => unsupported(l.span, "a labelled statement"),
            Statement::WithStatement(w) => unsupported(w.span, "a `with` statement"),
            Statement::DebuggerStatement(_) => Ok(String::new()),
            Statement::TSTypeAliasDeclaration(_)
            | Statement::TSInterfaceDeclaration(_)
            | Statement::TSGlobalDeclaration(_) => Ok(String::new()),
            Statement::ClassDeclaration(c) => unsupported(c.span, "a class"),
            Statement::TSEnumDeclaration(e) => unsupported(e.span, "a TypeScript `enum`"),
            other => unsupported(
                other.span(),
                "a module-level declaration the port does not convert",
            ),
        }
    }

    fn declaration(&mut self, d: &Declaration<'_>, span: Span) -> R<String> {
        match d {
            Declaration::VariableDeclaration(v) => {
                let mut lines = Vec::new();
                for d in &v.declarations {
                    lines.push(self.declarator(d)?);
                }
                Ok(lines.join("\n"))
            }
            Declaration::FunctionDeclaration(f) => {
                let name =
                    f.id.as_ref()
                        .map(|id| id.name.to_string())
                        .unwrap_or_default();
                let function = self.function(f, Role::Helper)?;
                let body = function.text.trim_start_matches("function");
                Ok(format!(
                    "local function {}{body}",
                    lua_text::local_name(&name)
                ))
            }
            Declaration::TSTypeAliasDeclaration(_) | Declaration::TSInterfaceDeclaration(_) => {
                Ok(String::new())
            }
            _ => unsupported(span, "a declaration the port does not convert"),
        }
    }

    fn declarator(&mut self, d: &oxc_ast::ast::VariableDeclarator<'_>) -> R<String> {
        let Some(init) = &d.init else {
            return match &d.id {
                BindingPattern::BindingIdentifier(id) => {
                    Ok(format!("local {}", lua_text::local_name(&id.name)))
                }
                _ => unsupported(d.span, "a destructuring declaration without a value"),
            };
        };
        // `const C = require("../constants")` and `const Knex = require("knex")`.
        if let Some(module) = require_of(init) {
            if module == "knex" {
                return Ok(String::new());
            }
            if module.is_empty() {
                return unsupported(
                    d.span,
                    "a dynamic `require` (its module is computed at run time)",
                );
            }
            if !is_constants_module(&module) {
                return unsupported(
                    d.span,
                    format!("`require(\"{module}\")`: only the constants module (and `knex`) are mapped"),
                );
            }
            let source = Expr::prefix(format!("require(\"{CONSTANTS_MODULE}\")"));
            return self.bind(&d.id, source, d.span);
        }
        let inner = init.get_inner_expression();
        if let (Expression::AwaitExpression(a), BindingPattern::ArrayPattern(p)) = (inner, &d.id) {
            if let Some(items) = promise_all_items(&a.argument) {
                // `const [a, b] = await Promise.all([x, y])`: one after the other.
                let mut lines = Vec::new();
                for (i, el) in p.elements.iter().enumerate() {
                    let Some(item) = items.get(i) else { break };
                    match el {
                        Some(BindingPattern::BindingIdentifier(id)) => {
                            let value = self.awaited(item)?;
                            lines.push(format!(
                                "local {} = {}",
                                lua_text::local_name(&id.name),
                                value.text
                            ));
                        }
                        None => lines.push(self.awaited_statement(item)?),
                        Some(_) => {
                            return unsupported(d.span, "a nested destructuring of `Promise.all`")
                        }
                    }
                }
                return Ok(lines.join("\n"));
            }
        }
        let is_query = self.kind(inner) == Kind::Query;
        let value = self.expr(init)?;
        if let BindingPattern::BindingIdentifier(id) = &d.id {
            if is_query {
                self.queries.insert(id.name.to_string());
            } else {
                self.queries.remove(id.name.as_str());
            }
        }
        self.bind(&d.id, value, d.span)
    }

    /// `local x = v`, `local row = v[1]`, `local rows = v.rows`, or through a temporary.
    fn bind(&mut self, pattern: &BindingPattern<'_>, value: Expr, span: Span) -> R<String> {
        match pattern {
            BindingPattern::BindingIdentifier(id) => Ok(format!(
                "local {} = {}",
                lua_text::local_name(&id.name),
                value.text
            )),
            BindingPattern::ArrayPattern(p) => {
                if p.rest.is_some() {
                    return unsupported(span, "a rest element in a destructuring");
                }
                let mut names = Vec::new();
                for el in &p.elements {
                    match el {
                        Some(BindingPattern::BindingIdentifier(id)) => {
                            names.push(Some(lua_text::local_name(&id.name)))
                        }
                        None => names.push(None),
                        Some(_) => return unsupported(span, "a nested or defaulted destructuring"),
                    }
                }
                if let [Some(name)] = names.as_slice() {
                    return Ok(format!("local {name} = {}[1]", value.as_prefix()));
                }
                let simple = is_simple_name(&value);
                let tmp = if simple {
                    value.text.clone()
                } else {
                    self.fresh("result")
                };
                let mut lines = Vec::new();
                if !simple {
                    lines.push(format!("local {tmp} = {}", value.text));
                }
                let (ls, rs): (Vec<String>, Vec<String>) = names
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| {
                        n.as_ref().map(|n| (n.clone(), format!("{tmp}[{}]", i + 1)))
                    })
                    .unzip();
                lines.push(format!("local {} = {}", ls.join(", "), rs.join(", ")));
                Ok(lines.join("\n"))
            }
            BindingPattern::ObjectPattern(p) => {
                if p.rest.is_some() {
                    return unsupported(span, "a rest element in a destructuring");
                }
                let mut pairs = Vec::new();
                for prop in &p.properties {
                    let Some(key) = property_key_name(&prop.key).filter(|_| !prop.computed) else {
                        return unsupported(span, "a computed key in a destructuring");
                    };
                    let BindingPattern::BindingIdentifier(id) = &prop.value else {
                        return unsupported(span, "a nested or defaulted destructuring");
                    };
                    pairs.push((lua_text::local_name(&id.name), key));
                }
                if let [(name, key)] = pairs.as_slice() {
                    return Ok(format!(
                        "local {name} = {}",
                        lua_text::field(&value, key).text
                    ));
                }
                let simple = is_simple_name(&value);
                let tmp = if simple {
                    value.text.clone()
                } else {
                    self.fresh("result")
                };
                let holder = Expr::prefix(tmp.clone());
                let mut lines = Vec::new();
                if !simple {
                    lines.push(format!("local {tmp} = {}", value.text));
                }
                let ls: Vec<String> = pairs.iter().map(|(n, _)| n.clone()).collect();
                let rs: Vec<String> = pairs
                    .iter()
                    .map(|(_, k)| lua_text::field(&holder, k).text)
                    .collect();
                lines.push(format!("local {} = {}", ls.join(", "), rs.join(", ")));
                Ok(lines.join("\n"))
            }
            BindingPattern::AssignmentPattern(_) => unsupported(span, "a destructuring default"),
        }
    }

    fn expression_statement(&mut self, e: &Expression<'_>) -> R<String> {
        let inner = e.get_inner_expression();
        match inner {
            Expression::AwaitExpression(a) => self.awaited_statement(&a.argument),
            Expression::AssignmentExpression(a) => self.assignment(a),
            Expression::UpdateExpression(u) => {
                let target = self.simple_target(&u.argument, u.span)?;
                let op = if u.operator == UpdateOperator::Increment {
                    "+"
                } else {
                    "-"
                };
                Ok(format!("{target} = {target} {op} 1"))
            }
            Expression::CallExpression(c) => {
                if let Some(done) = self.array_statement(c)? {
                    return Ok(done);
                }
                match self.kind(inner) {
                    Kind::Query | Kind::Schema => unsupported(
                        c.span,
                        "not awaited or returned: Knex never runs a builder nobody awaits; add `await` if it should run",
                    ),
                    Kind::Other => Ok(self.expr(inner)?.text),
                }
            }
            _ => unsupported(
                inner.span(),
                "an expression statement that is not a call or an assignment",
            ),
        }
    }

    /// `xs.forEach(cb)` → a loop; `xs.push(a)` → `xs[#xs + 1] = a`.
    fn array_statement(&mut self, c: &CallExpression<'_>) -> R<Option<String>> {
        let Some(MemberExpression::StaticMemberExpression(m)) =
            c.callee.get_inner_expression().as_member_expression()
        else {
            return Ok(None);
        };
        if self.kind(&m.object) != Kind::Other || self.is_module_object(&m.object) {
            return Ok(None);
        }
        match m.property.name.as_str() {
            "forEach" => {
                let [Argument::ArrowFunctionExpression(_) | Argument::FunctionExpression(_)] =
                    c.arguments.as_slice()
                else {
                    return unsupported(
                        c.span,
                        "`forEach` with something other than one inline function",
                    );
                };
                let list = self.iterable(&m.object)?;
                let text = self.loop_over(&list, &c.arguments[0], LoopMode::Statements)?;
                Ok(Some(text))
            }
            "push" => {
                let list = self.expr(&m.object)?;
                if !matches!(list.prec, Prec::Prefix) || list.text.contains('(') {
                    return unsupported(
                        c.span,
                        "`push` onto something other than a variable or field",
                    );
                }
                let mut lines = Vec::new();
                for a in &c.arguments {
                    let v = self.argument(a, None)?;
                    lines.push(format!("{0}[#{0} + 1] = {1}", list.text, v.text));
                }
                Ok(Some(lines.join("\n")))
            }
            _ => Ok(None),
        }
    }

    fn assignment(&mut self, a: &oxc_ast::ast::AssignmentExpression<'_>) -> R<String> {
        let Some(target) = a.left.as_simple_assignment_target() else {
            return unsupported(a.span, "a destructuring assignment");
        };
        let target = self.simple_target(target, a.span)?;
        let value = self.expr(&a.right)?;
        let current = Expr::prefix(target.clone());
        let text = match a.operator {
            AssignmentOperator::Assign => value.text,
            AssignmentOperator::Addition if is_stringy(&a.right) => {
                Expr::binary(
                    &current,
                    "..",
                    &self.to_string_expr(&a.right, value),
                    Prec::Concat,
                )
                .text
            }
            AssignmentOperator::Addition if self.is_numeric(&a.right) => {
                Expr::binary(&current, "+", &value, Prec::Add).text
            }
            AssignmentOperator::Addition => {
                return unsupported(
                    a.span,
                    "`+=` of a value the port cannot tell apart: number addition or string concatenation",
                )
            }
            AssignmentOperator::Subtraction => Expr::binary(&current, "-", &value, Prec::Add).text,
            AssignmentOperator::Multiplication => {
                Expr::binary(&current, "*", &value, Prec::Mul).text
            }
            _ => return unsupported(a.span, "this compound assignment operator"),
        };
        if let AssignmentTarget::AssignmentTargetIdentifier(id) = &a.left {
            if self.kind(a.right.get_inner_expression()) == Kind::Query {
                self.queries.insert(id.name.to_string());
            } else {
                self.queries.remove(id.name.as_str());
            }
        }
        Ok(format!("{target} = {text}"))
    }

    fn simple_target(&mut self, t: &SimpleAssignmentTarget<'_>, span: Span) -> R<String> {
        match t {
            SimpleAssignmentTarget::AssignmentTargetIdentifier(id) => Ok(self.identifier(&id.name)),
            other => match other.as_member_expression() {
                // `xs.length = 0` and `process.env.X = …` have no Lua target.
                Some(m) => match self.member(m)? {
                    Expr {
                        text,
                        prec: Prec::Prefix,
                    } if text.ends_with(']') || !text.ends_with(')') => Ok(text),
                    _ => unsupported(span, "an assignment to this kind of target"),
                },
                None => unsupported(span, "an assignment to this kind of target"),
            },
        }
    }

    /// `await x` as a statement: run it, or just call it.
    fn awaited_statement(&mut self, e: &Expression<'_>) -> R<String> {
        if let Some(items) = promise_all_items(e) {
            let mut lines = Vec::new();
            for item in items {
                lines.push(self.awaited_statement(item)?);
            }
            return Ok(lines.join("\n"));
        }
        if let Some((list, callback)) = promise_all_map(e) {
            let list = self.iterable(list)?;
            return self.loop_over(&list, callback, LoopMode::Awaited);
        }
        let inner = e.get_inner_expression();
        let value = self.awaited(inner)?;
        if value.prec == Prec::Prefix && value.text.ends_with(')') {
            Ok(value.text)
        } else {
            unsupported(
                inner.span(),
                "`await` of a value that is neither a query nor a call",
            )
        }
    }

    /// `await x` as a value.
    fn awaited(&mut self, e: &Expression<'_>) -> R<Expr> {
        let inner = e.get_inner_expression();
        if promise_all_items(inner).is_some() || promise_all_map(inner).is_some() {
            return unsupported(
                inner.span(),
                "the value of `Promise.all` (only its statement form is converted)",
            );
        }
        match self.kind(inner) {
            Kind::Query => {
                let value = self.expr(inner)?;
                Ok(Expr::prefix(format!("{}:run()", value.as_prefix())))
            }
            _ => self.expr(inner),
        }
    }

    fn return_statement(
        &mut self,
        arg: Option<&Expression<'_>>,
        span: Span,
        last: bool,
        function_top: bool,
    ) -> R<String> {
        let statements = self.scopes.last().is_some_and(|s| s.returns_are_statements);
        let map_target = self.scopes.last().and_then(|s| s.map_target.clone());
        if statements || map_target.is_some() {
            if !(last && function_top) {
                return unsupported(
                    span,
                    "an early `return` inside a callback turned into a loop",
                );
            }
            let Some(arg) = arg else {
                return Ok(String::new());
            };
            if let Some(target) = map_target {
                let value = self.expr(arg)?;
                return Ok(format!("{target}[#{target} + 1] = {}", value.text));
            }
            return self.return_value(arg, true, true);
        }
        let text = match arg {
            None => String::new(),
            Some(arg) => self.return_value(arg, last, function_top)?,
        };
        if text.is_empty() {
            return Ok(match (last && function_top, last) {
                (true, _) => String::new(),
                (false, true) => "return".into(),
                (false, false) => "do return end".into(),
            });
        }
        if text.starts_with("return") && !last {
            return Ok(format!("do {text} end"));
        }
        Ok(text)
    }

    /// `return x` in a function whose returned promise is awaited (or a loop
    /// body): queries run, schema calls and `Promise.all` become statements.
    fn return_value(&mut self, arg: &Expression<'_>, last: bool, function_top: bool) -> R<String> {
        let runs = self
            .scopes
            .last()
            .is_some_and(|s| s.runs || s.returns_are_statements);
        let as_statement = self.scopes.last().is_some_and(|s| s.returns_are_statements);
        let inner = arg.get_inner_expression();
        let inner = match inner {
            Expression::AwaitExpression(a) => a.argument.get_inner_expression(),
            other => other,
        };
        let kind = self.kind(inner);
        let plain_return = |text: String| -> String {
            if as_statement {
                text
            } else {
                format!("return {text}")
            }
        };
        if runs
            && (promise_all_items(inner).is_some()
                || promise_all_map(inner).is_some()
                || kind == Kind::Schema)
        {
            let statement = self.awaited_statement(inner)?;
            let tail = if as_statement || (last && function_top) {
                ""
            } else if last {
                "\nreturn"
            } else {
                "\ndo return end"
            };
            return Ok(format!("{statement}{tail}"));
        }
        if kind == Kind::Query {
            if runs {
                let value = self.awaited(inner)?;
                return Ok(plain_return(value.text));
            }
            self.scope().returned_query = true;
        }
        let value = self.expr(arg)?;
        if as_statement {
            if value.prec == Prec::Prefix && value.text.ends_with(')') {
                return Ok(value.text);
            }
            return unsupported(
                arg.span(),
                "a returned value inside a callback turned into a loop",
            );
        }
        Ok(plain_return(value.text))
    }

    /// A `switch` whose cases each end in `break` (or `return`/`throw`), with
    /// empty cases sharing the next body: an `if`/`elseif` chain comparing
    /// with `==` (JavaScript's `switch` compares with `===`).
    fn switch_statement(&mut self, sw: &oxc_ast::ast::SwitchStatement<'_>) -> R<String> {
        let fallthrough = "a `switch` case that falls through to the next one, or `break`s early";
        let value = self.expr(&sw.discriminant)?;
        let mut pre = Vec::new();
        let subject = if is_simple_name(&value) {
            value
        } else {
            let name = self.fresh("subject");
            pre.push(format!("local {name} = {}", value.text));
            Expr::prefix(name)
        };
        // (tests, body) per branch; an empty test list is `default`.
        let mut branches: Vec<(Vec<&Expression<'_>>, Vec<&Statement<'_>>)> = Vec::new();
        let mut pending: Vec<&Expression<'_>> = Vec::new();
        let mut default_seen = false;
        for (i, case) in sw.cases.iter().enumerate() {
            match &case.test {
                Some(t) => pending.push(t),
                None => default_seen = true,
            }
            if case.consequent.is_empty() {
                if default_seen || i + 1 == sw.cases.len() {
                    return unsupported(sw.span, fallthrough);
                }
                continue;
            }
            let mut body: Vec<&Statement<'_>> = case.consequent.iter().collect();
            let ends = match body.last() {
                Some(Statement::BreakStatement(b)) if b.label.is_none() => {
                    body.pop();
                    true
                }
                Some(Statement::ReturnStatement(_) | Statement::ThrowStatement(_)) => true,
                _ => i + 1 == sw.cases.len(),
            };
            if !ends || body.iter().any(|s| breaks_out(s)) {
                return unsupported(sw.span, fallthrough);
            }
            if default_seen && (i + 1 != sw.cases.len() || !pending.is_empty()) {
                return unsupported(
                    case.span,
                    "a `default` that is not the last case on its own",
                );
            }
            branches.push((std::mem::take(&mut pending), body));
        }
        let mut text = String::new();
        for (i, (tests, body)) in branches.into_iter().enumerate() {
            let inner = self.statements(body, false);
            if tests.is_empty() {
                if i == 0 {
                    text.push_str(&format!("do\n{}\nend", lua_text::indent_all(&inner, 1)));
                    break;
                }
                text.push_str(&format!("\nelse\n{}", lua_text::indent_all(&inner, 1)));
                continue;
            }
            let mut conditions = Vec::new();
            for t in tests {
                let v = self.expr(t)?;
                conditions.push(Expr::binary(&subject, "==", &v, Prec::Compare));
            }
            let condition = conditions
                .iter()
                .skip(1)
                .fold(conditions[0].clone(), |acc, c| {
                    Expr::binary(&acc, "or", c, Prec::Or)
                });
            let keyword = if i == 0 { "if" } else { "\nelseif" };
            text.push_str(&format!(
                "{keyword} {} then\n{}",
                condition.text,
                lua_text::indent_all(&inner, 1)
            ));
        }
        if text.starts_with("if") {
            text.push_str("\nend");
        }
        pre.push(text);
        Ok(pre.join("\n"))
    }

    fn if_statement(&mut self, i: &oxc_ast::ast::IfStatement<'_>) -> R<String> {
        let test = self.condition(&i.test)?;
        let then = self.statements(Self::block_of(&i.consequent), false);
        let mut text = format!("if {} then\n{}", test.text, lua_text::indent_all(&then, 1));
        let mut alternate = i.alternate.as_ref();
        while let Some(alt) = alternate {
            if let Statement::IfStatement(next) = alt {
                let test = self.condition(&next.test)?;
                let body = self.statements(Self::block_of(&next.consequent), false);
                text.push_str(&format!(
                    "\nelseif {} then\n{}",
                    test.text,
                    lua_text::indent_all(&body, 1)
                ));
                alternate = next.alternate.as_ref();
            } else {
                let body = self.statements(Self::block_of(alt), false);
                text.push_str(&format!("\nelse\n{}", lua_text::indent_all(&body, 1)));
                alternate = None;
            }
        }
        text.push_str("\nend");
        Ok(text)
    }

    /// A loop body with `continue` support: `goto continue` and a label at its end.
    fn loop_body(&mut self, body: &Statement<'_>, wrap: impl FnOnce(&str) -> String) -> R<String> {
        self.scope().loops.push(false);
        let mut inner = self.statements(Self::block_of(body), false);
        let used = self.scope().loops.pop().unwrap_or(false);
        if used {
            // The body may end in `return`/`break`, which must close a block.
            inner = format!("do\n{}\nend\n::continue::", lua_text::indent_all(&inner, 1));
        }
        Ok(wrap(&inner))
    }

    fn loop_binding(&mut self, left: &ForStatementLeft<'_>) -> R<(String, Option<String>)> {
        let ForStatementLeft::VariableDeclaration(v) = left else {
            return unsupported(left.span(), "a `for … of` over an existing variable");
        };
        let Some(d) = v.declarations.first() else {
            return unsupported(v.span, "an empty `for … of` declaration");
        };
        match &d.id {
            BindingPattern::BindingIdentifier(id) => Ok((lua_text::local_name(&id.name), None)),
            pattern => {
                let item = self.fresh("item");
                let bound = self.bind(pattern, Expr::prefix(item.clone()), d.span)?;
                Ok((item, Some(bound)))
            }
        }
    }

    /// The list a loop walks: `Object.entries/keys` iterate in an order Lua cannot keep.
    fn iterable(&mut self, e: &Expression<'_>) -> R<String> {
        if let Expression::CallExpression(c) = e.get_inner_expression() {
            let path = c
                .callee
                .get_inner_expression()
                .as_member_expression()
                .map(member_path);
            if let Some(["Object", _]) = path
                .as_ref()
                .map(|p| p.iter().map(String::as_str).collect::<Vec<_>>())
                .as_deref()
            {
                return unsupported(c.span, "iterating `Object.keys/values/entries`: Lua's `pairs` order differs from JavaScript's key order");
            }
        }
        Ok(self.expr(e)?.text)
    }

    fn for_statement(&mut self, f: &oxc_ast::ast::ForStatement<'_>) -> R<String> {
        let shape = || -> Option<(&str, &Expression<'_>, &Expression<'_>, bool)> {
            let Some(ForStatementInit::VariableDeclaration(v)) = &f.init else {
                return None;
            };
            let [d] = v.declarations.as_slice() else {
                return None;
            };
            let BindingPattern::BindingIdentifier(id) = &d.id else {
                return None;
            };
            let start = d.init.as_ref()?;
            let Some(Expression::BinaryExpression(test)) = &f.test else {
                return None;
            };
            let Expression::Identifier(left) = test.left.get_inner_expression() else {
                return None;
            };
            if left.name != id.name {
                return None;
            }
            let inclusive = match test.operator {
                BinaryOperator::LessThan => false,
                BinaryOperator::LessEqualThan => true,
                _ => return None,
            };
            let step_ok = match f.update.as_ref().map(|u| u.get_inner_expression()) {
                Some(Expression::UpdateExpression(u)) => {
                    u.operator == UpdateOperator::Increment
                        && matches!(&u.argument, SimpleAssignmentTarget::AssignmentTargetIdentifier(t) if t.name == id.name)
                }
                Some(Expression::AssignmentExpression(a)) => {
                    a.operator == AssignmentOperator::Addition
                        && matches!(&a.left, AssignmentTarget::AssignmentTargetIdentifier(t) if t.name == id.name)
                        && matches!(a.right.get_inner_expression(), Expression::NumericLiteral(n) if n.value == 1.0)
                }
                _ => false,
            };
            step_ok.then_some((id.name.as_str(), start, &test.right, inclusive))
        };
        let Some((name, start, limit, inclusive)) = shape() else {
            return unsupported(
                f.span,
                "a `for (;;)` loop other than `for (let i = a; i < b; i++)`",
            );
        };
        let var = lua_text::local_name(name);
        let start = self.expr(start)?;
        let limit = self.expr(limit)?;
        let limit = if inclusive {
            limit.text
        } else {
            Expr::binary(&limit, "-", &Expr::atom("1"), Prec::Add).text
        };
        self.numeric.insert(name.to_string());
        self.loop_body(&f.body, |inner| {
            format!(
                "for {var} = {}, {limit} do\n{}\nend",
                start.text,
                lua_text::indent_all(inner, 1)
            )
        })
    }

    fn try_statement(&mut self, t: &oxc_ast::ast::TryStatement<'_>) -> R<String> {
        if t.finalizer.is_some() {
            return unsupported(t.span, "`finally`");
        }
        let reason = "`try`/`catch` around something other than one `await knex.transaction(…)`: inside a migration's transaction only a savepoint (`knex.transaction`) can recover from an error";
        let [Statement::ExpressionStatement(e)] = t.block.body.as_slice() else {
            return unsupported(t.span, reason);
        };
        let Expression::AwaitExpression(a) = e.expression.get_inner_expression() else {
            return unsupported(t.span, reason);
        };
        let Expression::CallExpression(call) = a.argument.get_inner_expression() else {
            return unsupported(t.span, reason);
        };
        let Some(m) = call.callee.get_inner_expression().as_member_expression() else {
            return unsupported(t.span, reason);
        };
        let is_transaction = matches!(m.object().get_inner_expression(), Expression::Identifier(id) if self.is_knex(&id.name))
            && m.static_property_name() == Some("transaction");
        let [Argument::ArrowFunctionExpression(_) | Argument::FunctionExpression(_)] =
            call.arguments.as_slice()
        else {
            return unsupported(t.span, reason);
        };
        if !is_transaction {
            return unsupported(t.span, reason);
        }
        let knex = self.expr(m.object())?;
        let callback = self.argument(&call.arguments[0], Some(Role::Transaction))?;
        let Some(handler) = &t.handler else {
            return unsupported(t.span, "`try` without `catch`");
        };
        let err = match handler.param.as_ref().map(|p| &p.pattern) {
            Some(BindingPattern::BindingIdentifier(id)) => id.name.to_string(),
            None => "_".to_string(),
            Some(_) => return unsupported(handler.span, "a destructured `catch` parameter"),
        };
        self.scope().catch_params.push(err.clone());
        let body = self.statements(handler.body.body.iter().collect(), false);
        self.scope().catch_params.pop();
        let mut text = format!(
            "local ok, {} = pcall({}.transaction, {})",
            lua_text::local_name(&err),
            knex.as_prefix(),
            callback.text
        );
        if body.trim().is_empty() {
            return Ok(text);
        }
        text.push_str(&format!(
            "\nif not ok then\n{}\nend",
            lua_text::indent_all(&body, 1)
        ));
        Ok(text)
    }

    // ------------------------------------------------------------------
    // Loops made from callbacks
    // ------------------------------------------------------------------

    fn loop_over(&mut self, list: &str, callback: &Argument<'_>, mode: LoopMode) -> R<String> {
        let (params, body, span) = match callback {
            Argument::ArrowFunctionExpression(a) => (&a.params, arrow_body(a), a.span),
            Argument::FunctionExpression(f) => match &f.body {
                Some(b) => (&f.params, Body::Block(b), f.span),
                None => return unsupported(f.span, "a function without a body"),
            },
            other => return unsupported(other.span(), "a callback that is not an inline function"),
        };
        if params.rest.is_some() || params.items.len() > 2 {
            return unsupported(
                span,
                "a loop callback with more than (item, index) parameters",
            );
        }
        let name_of = |i: usize| -> R<Option<String>> {
            match params.items.get(i).map(|p| &p.pattern) {
                None => Ok(None),
                Some(BindingPattern::BindingIdentifier(id)) => Ok(Some(id.name.to_string())),
                Some(_) => unsupported(span, "a destructured loop callback parameter"),
            }
        };
        let item = name_of(0)?;
        let index = name_of(1)?;
        let target = match &mode {
            LoopMode::Map(t) => Some(t.clone()),
            _ => None,
        };
        let outer_this = self.scopes.last().and_then(|s| s.this_name.clone());
        let outer_runs = self.scopes.last().is_some_and(|s| s.runs);
        self.scopes.push(Scope {
            runs: outer_runs,
            returns_are_statements: matches!(mode, LoopMode::Awaited | LoopMode::Statements),
            map_target: target.clone(),
            this_name: outer_this,
            // A loop body is not a function: `this` belongs to the enclosing one.
            arrow: true,
            ..Scope::default()
        });
        if let Some(i) = &index {
            self.numeric.insert(i.clone());
        }
        let result = match body {
            Body::Empty => Ok(String::new()),
            Body::Block(b) => Ok(self.statements(b.statements.iter().collect(), true)),
            Body::Expression(e) => match &mode {
                LoopMode::Map(t) => self.expr(e).map(|v| format!("{t}[#{t} + 1] = {}", v.text)),
                LoopMode::Awaited => self.awaited_statement(e),
                LoopMode::Statements => self.expression_statement(e),
            },
        };
        self.scopes.pop();
        let inner = result?;
        let item = item.map_or("_".to_string(), |n| lua_text::local_name(&n));
        let mut head = String::new();
        let position = if let Some(i) = &index {
            let i = lua_text::local_name(i);
            head = format!("\n  local {i} = {i}1 - 1 -- JavaScript indexes from 0");
            format!("{i}1")
        } else {
            "_".to_string()
        };
        Ok(format!(
            "for {position}, {item} in ipairs({list}) do{head}\n{}\nend",
            lua_text::indent_all(&inner, 1)
        ))
    }

    // ------------------------------------------------------------------
    // Expressions
    // ------------------------------------------------------------------

    /// What awaiting `e` means (see [`Kind`]).
    fn kind(&self, e: &Expression<'_>) -> Kind {
        match e.get_inner_expression() {
            Expression::Identifier(id) if self.queries.contains(id.name.as_str()) => Kind::Query,
            Expression::StaticMemberExpression(m) => match m.object.get_inner_expression() {
                Expression::Identifier(id)
                    if self.is_knex(&id.name) && m.property.name == "schema" =>
                {
                    Kind::Schema
                }
                _ => Kind::Other,
            },
            Expression::CallExpression(c) => match c.callee.get_inner_expression() {
                Expression::Identifier(id) if self.is_knex(&id.name) => Kind::Query,
                Expression::Identifier(id) if self.query_factories.contains(id.name.as_str()) => {
                    Kind::Query
                }
                callee => {
                    let Some(m) = callee.as_member_expression() else {
                        return Kind::Other;
                    };
                    let prop = m.static_property_name().unwrap_or_default();
                    if let Expression::Identifier(id) = m.object().get_inner_expression() {
                        if self.is_knex(&id.name) {
                            return if prop == "raw" || prop == "batchInsert" || starts_query(prop) {
                                Kind::Query
                            } else {
                                Kind::Other
                            };
                        }
                    }
                    match self.kind(m.object()) {
                        Kind::Query if matches!(prop, "toSQL" | "run") => Kind::Other,
                        k => k,
                    }
                }
            },
            _ => Kind::Other,
        }
    }

    fn identifier(&mut self, name: &str) -> String {
        if self.top_functions_later.contains(name) && self.scopes.len() > 1 {
            self.forward.insert(name.to_string());
        }
        lua_text::local_name(name)
    }

    fn is_module_object(&self, e: &Expression<'_>) -> bool {
        matches!(e.get_inner_expression(), Expression::Identifier(id) if matches!(id.name.as_str(), "console" | "JSON" | "Math" | "Object" | "Array" | "Promise" | "process" | "Number" | "String" | "Date"))
    }

    fn expr(&mut self, e: &Expression<'_>) -> R<Expr> {
        match e {
            Expression::ParenthesizedExpression(p) => {
                let inner = self.expr(&p.expression)?;
                Ok(inner)
            }
            Expression::TSAsExpression(x) => self.expr(&x.expression),
            Expression::TSSatisfiesExpression(x) => self.expr(&x.expression),
            Expression::TSNonNullExpression(x) => self.expr(&x.expression),
            Expression::TSTypeAssertion(x) => self.expr(&x.expression),
            Expression::TSInstantiationExpression(x) => self.expr(&x.expression),
            Expression::BooleanLiteral(b) => Ok(Expr::atom(if b.value { "true" } else { "false" })),
            Expression::NullLiteral(n) => self.knex_null(n.span),
            Expression::NumericLiteral(n) => match lua_text::number(n.value) {
                Some(t) if n.value < 0.0 => Ok(Expr {
                    text: t,
                    prec: Prec::Unary,
                }),
                Some(t) => Ok(Expr::atom(t)),
                None => unsupported(n.span, "a number Lua cannot write"),
            },
            Expression::StringLiteral(s) => Ok(Expr::atom(lua_text::string(&s.value))),
            Expression::TemplateLiteral(t) => self.template(t),
            Expression::Identifier(id) => match id.name.as_str() {
                "undefined" => Ok(Expr::atom("nil")),
                "NaN" | "Infinity" => unsupported(id.span, format!("`{}`", id.name)),
                name => Ok(Expr::prefix(self.identifier(name))),
            },
            Expression::ThisExpression(t) => {
                // The function that binds `this`: the nearest one that is not an arrow.
                let owner = self.scopes.iter_mut().rev().find(|s| !s.arrow);
                match owner {
                    Some(scope) if scope.this_name.is_some() => {
                        scope.this_used = true;
                        let name = scope.this_name.clone().unwrap_or_default();
                        Ok(Expr::prefix(lua_text::local_name(&name)))
                    }
                    _ => unsupported(t.span, "`this` outside a `function` callback"),
                }
            }
            Expression::ArrayExpression(a) => {
                let mut items = Vec::new();
                // `[...xs, y]`: the literal runs and the spread lists, in order.
                let mut parts: Vec<String> = Vec::new();
                for el in &a.elements {
                    match el {
                        ArrayExpressionElement::SpreadElement(s) => {
                            if !items.is_empty() {
                                parts.push(self.table_text(&std::mem::take(&mut items), a.span));
                            }
                            parts.push(self.expr(&s.argument)?.text);
                        }
                        ArrayExpressionElement::Elision(s) => {
                            return unsupported(s.span, "a hole in an array")
                        }
                        other => {
                            let Some(e) = other.as_expression() else {
                                return unsupported(
                                    a.span,
                                    "an array element the port does not convert",
                                );
                            };
                            items.push(self.expr(e)?.text);
                        }
                    }
                }
                if parts.is_empty() {
                    return Ok(Expr::atom(self.table_text(&items, a.span)));
                }
                if !items.is_empty() {
                    parts.push(self.table_text(&items, a.span));
                }
                self.uses_append = true;
                Ok(Expr::prefix(format!("append({})", parts.join(", "))))
            }
            Expression::ObjectExpression(o) => {
                let mut items = Vec::new();
                // `{ ...row, b: 2 }`: later keys win, as in JavaScript.
                let mut parts: Vec<String> = Vec::new();
                for prop in &o.properties {
                    let p = match prop {
                        ObjectPropertyKind::ObjectProperty(p) => p,
                        ObjectPropertyKind::SpreadProperty(s) => {
                            if !items.is_empty() {
                                parts.push(self.table_text(&std::mem::take(&mut items), o.span));
                            }
                            parts.push(self.expr(&s.argument)?.text);
                            continue;
                        }
                    };
                    if p.kind != PropertyKind::Init {
                        return unsupported(p.span, "a getter or setter");
                    }
                    if matches!(p.value.get_inner_expression(), Expression::Identifier(id) if id.name == "undefined")
                    {
                        continue; // `{ a: undefined }` has no key `a` for Knex either.
                    }
                    let key = if p.computed {
                        let Some(k) = p.key.as_expression() else {
                            return unsupported(p.span, "a computed key the port does not convert");
                        };
                        format!("[{}]", self.expr(k)?.text)
                    } else {
                        match property_key_name(&p.key) {
                            Some(k) => lua_text::table_key(&k),
                            None => return unsupported(p.span, "a private key"),
                        }
                    };
                    let value = match &p.value {
                        Expression::FunctionExpression(f) => self.function(f, Role::Callback)?,
                        v => self.expr(v)?,
                    };
                    items.push(format!("{key} = {}", value.text));
                }
                if parts.is_empty() {
                    return Ok(Expr::atom(self.table_text(&items, o.span)));
                }
                if !items.is_empty() {
                    parts.push(self.table_text(&items, o.span));
                }
                self.uses_merge = true;
                Ok(Expr::prefix(format!("merge({})", parts.join(", "))))
            }
            Expression::ArrowFunctionExpression(a) => self.arrow(a, Role::Callback),
            Expression::FunctionExpression(f) => self.function(f, Role::Callback),
            Expression::AwaitExpression(a) => self.awaited(&a.argument),
            Expression::CallExpression(c) => self.call(c),
            Expression::StaticMemberExpression(_)
            | Expression::ComputedMemberExpression(_)
            | Expression::PrivateFieldExpression(_) => match e.as_member_expression() {
                Some(m) => self.member(m),
                None => unsupported(e.span(), "a member access"),
            },
            Expression::ChainExpression(c) => self.chain(c),
            Expression::BinaryExpression(b) => self.binary(b),
            Expression::LogicalExpression(l) => self.logical(l),
            Expression::UnaryExpression(u) => {
                let value = self.expr(&u.argument)?;
                match u.operator {
                    UnaryOperator::LogicalNot => Ok(Expr {
                        text: format!("not {}", value.operand(Prec::Unary, true)),
                        prec: Prec::Unary,
                    }),
                    UnaryOperator::UnaryNegation => Ok(Expr {
                        text: format!("-{}", value.operand(Prec::Unary, true)),
                        prec: Prec::Unary,
                    }),
                    UnaryOperator::UnaryPlus => {
                        Ok(Expr::prefix(format!("tonumber({})", value.text)))
                    }
                    _ => unsupported(u.span, format!("the `{}` operator", u.operator.as_str())),
                }
            }
            Expression::ConditionalExpression(c) => {
                let test = self.condition(&c.test)?;
                let yes = self.expr(&c.consequent)?;
                let no = self.expr(&c.alternate)?;
                if never_falsy(&c.consequent) {
                    // `a and b or c` is `a ? b : c` exactly when `b` can be neither nil nor false.
                    let and = Expr::binary(&test, "and", &yes, Prec::And);
                    return Ok(Expr::binary(&and, "or", &no, Prec::Or));
                }
                Ok(Expr::prefix(format!(
                    "(function() if {} then return {} else return {} end end)()",
                    test.text, yes.text, no.text
                )))
            }
            Expression::NewExpression(n) => unsupported(
                n.span,
                "`new` (only `new Date().toISOString()` and `throw new Error(…)` are converted)",
            ),
            Expression::AssignmentExpression(a) => {
                unsupported(a.span, "an assignment used as a value")
            }
            Expression::UpdateExpression(u) => unsupported(u.span, "`++`/`--` used as a value"),
            Expression::SequenceExpression(s) => unsupported(s.span, "a comma expression"),
            Expression::TaggedTemplateExpression(t) => unsupported(t.span, "a tagged template"),
            Expression::RegExpLiteral(r) => unsupported(r.span, "a regular expression"),
            Expression::BigIntLiteral(b) => unsupported(b.span, "a BigInt literal"),
            Expression::ImportExpression(i) => unsupported(i.span, "a dynamic `import()`"),
            Expression::ClassExpression(c) => unsupported(c.span, "a class"),
            other => unsupported(other.span(), "an expression the port does not convert"),
        }
    }

    /// `{ a, b }` on one line, or one item per line when the source spread it over lines.
    fn table_text(&self, items: &[String], span: Span) -> String {
        if items.is_empty() {
            return "{}".to_string();
        }
        let multiline = self.line_of(span.start) != self.line_of(span.end.saturating_sub(1))
            || items.iter().any(|i| i.contains('\n'));
        if multiline {
            let lines: Vec<String> = items
                .iter()
                .map(|i| format!("  {},", lua_text::indent_rest(i, 1)))
                .collect();
            format!("{{\n{}\n}}", lines.join("\n"))
        } else {
            format!("{{ {} }}", items.join(", "))
        }
    }

    fn template(&mut self, t: &oxc_ast::ast::TemplateLiteral<'_>) -> R<Expr> {
        let mut parts: Vec<Expr> = Vec::new();
        for (i, quasi) in t.quasis.iter().enumerate() {
            let Some(cooked) = &quasi.value.cooked else {
                return unsupported(t.span, "a template with an invalid escape");
            };
            if !cooked.is_empty() {
                parts.push(Expr::atom(lua_text::string(cooked)));
            }
            if let Some(e) = t.expressions.get(i) {
                let value = self.expr(e)?;
                parts.push(self.to_string_expr(e, value));
            }
        }
        let Some(first) = parts.first().cloned() else {
            return Ok(Expr::atom("\"\""));
        };
        if parts.len() == 1 {
            return Ok(first);
        }
        Ok(parts[1..]
            .iter()
            .fold(first, |acc, p| Expr::binary(&acc, "..", p, Prec::Concat)))
    }

    /// A value as JavaScript would turn it into text inside a string.
    fn to_string_expr(&self, e: &Expression<'_>, value: Expr) -> Expr {
        if is_stringy(e) {
            value
        } else {
            Expr::prefix(format!("tostring({})", value.text))
        }
    }

    fn condition(&mut self, e: &Expression<'_>) -> R<Expr> {
        let inner = e.get_inner_expression();
        // JavaScript treats 0 as false, Lua as true: lengths are compared.
        if let Expression::StaticMemberExpression(m) = inner {
            if m.property.name == "length" {
                let v = self.expr(&m.object)?;
                return Ok(Expr::binary(
                    &Expr {
                        text: format!("#{}", v.as_prefix()),
                        prec: Prec::Unary,
                    },
                    ">",
                    &Expr::atom("0"),
                    Prec::Compare,
                ));
            }
        }
        if let Expression::UnaryExpression(u) = inner {
            if u.operator == UnaryOperator::LogicalNot {
                if let Expression::StaticMemberExpression(m) = u.argument.get_inner_expression() {
                    if m.property.name == "length" {
                        let v = self.expr(&m.object)?;
                        return Ok(Expr::binary(
                            &Expr {
                                text: format!("#{}", v.as_prefix()),
                                prec: Prec::Unary,
                            },
                            "==",
                            &Expr::atom("0"),
                            Prec::Compare,
                        ));
                    }
                }
            }
        }
        self.expr(e)
    }

    fn binary(&mut self, b: &oxc_ast::ast::BinaryExpression<'_>) -> R<Expr> {
        use BinaryOperator as B;
        let nullish = |e: &Expression<'_>| {
            matches!(e.get_inner_expression(), Expression::NullLiteral(_))
                || matches!(e.get_inner_expression(), Expression::Identifier(id) if id.name == "undefined")
        };
        if matches!(
            b.operator,
            B::Equality | B::StrictEquality | B::Inequality | B::StrictInequality
        ) {
            let op = if matches!(b.operator, B::Equality | B::StrictEquality) {
                "=="
            } else {
                "~="
            };
            // `typeof x === "string"`: Lua's `type` names strings, numbers,
            // booleans and functions the same way; `"undefined"` is nil.
            if let Some((operand, name)) =
                typeof_test(&b.left, &b.right).or_else(|| typeof_test(&b.right, &b.left))
            {
                let value = self.expr(operand)?;
                return match name {
                    "undefined" => Ok(Expr::binary(&value, op, &Expr::atom("nil"), Prec::Compare)),
                    "string" | "number" | "boolean" | "function" => Ok(Expr::binary(
                        &Expr::prefix(format!("type({})", value.text)),
                        op,
                        &Expr::atom(lua_text::string(name)),
                        Prec::Compare,
                    )),
                    _ => unsupported(b.span, format!("`typeof … === \"{name}\"`: Lua's types differ (null, arrays and objects are all tables or nil)")),
                };
            }
            // A NULL from the database is nil in Lua: `x === null` is `x == nil`.
            if nullish(&b.right) || nullish(&b.left) {
                let other = if nullish(&b.right) { &b.left } else { &b.right };
                let value = self.expr(other)?;
                return Ok(Expr::binary(&value, op, &Expr::atom("nil"), Prec::Compare));
            }
            let l = self.expr(&b.left)?;
            let r = self.expr(&b.right)?;
            return Ok(Expr::binary(&l, op, &r, Prec::Compare));
        }
        if b.operator == B::Addition && (is_stringy(&b.left) || is_stringy(&b.right)) {
            let l = self.expr(&b.left)?;
            let r = self.expr(&b.right)?;
            let l = self.to_string_expr(&b.left, l);
            let r = self.to_string_expr(&b.right, r);
            return Ok(Expr::binary(&l, "..", &r, Prec::Concat));
        }
        if b.operator == B::Addition && !self.is_numeric(&b.left) && !self.is_numeric(&b.right) {
            // Lua's `+` adds "1" + "2" to 3 where JavaScript concatenates.
            return unsupported(
                b.span,
                "`+` of two values the port cannot tell apart: number addition (`+`) or string concatenation (`..`)",
            );
        }
        let (op, prec) = match b.operator {
            B::Addition => ("+", Prec::Add),
            B::Subtraction => ("-", Prec::Add),
            B::Multiplication => ("*", Prec::Mul),
            B::Division => ("/", Prec::Mul),
            B::LessThan => ("<", Prec::Compare),
            B::LessEqualThan => ("<=", Prec::Compare),
            B::GreaterThan => (">", Prec::Compare),
            B::GreaterEqualThan => (">=", Prec::Compare),
            B::Remainder => {
                let l = self.expr(&b.left)?;
                let r = self.expr(&b.right)?;
                // JavaScript's `%` keeps the dividend's sign, like `math.fmod`.
                return Ok(Expr::prefix(format!("math.fmod({}, {})", l.text, r.text)));
            }
            other => return unsupported(b.span, format!("the `{}` operator", other.as_str())),
        };
        let l = self.expr(&b.left)?;
        let r = self.expr(&b.right)?;
        Ok(Expr::binary(&l, op, &r, prec))
    }

    fn logical(&mut self, l: &oxc_ast::ast::LogicalExpression<'_>) -> R<Expr> {
        match l.operator {
            LogicalOperator::And => {
                let a = self.condition(&l.left)?;
                let b = self.expr(&l.right)?;
                Ok(Expr::binary(&a, "and", &b, Prec::And))
            }
            LogicalOperator::Or => {
                let a = self.condition(&l.left)?;
                let b = self.expr(&l.right)?;
                Ok(Expr::binary(&a, "or", &b, Prec::Or))
            }
            LogicalOperator::Coalesce => {
                // `??` is `or` only where the left side can never be `false`.
                let is_env = matches!(l.left.get_inner_expression().as_member_expression(), Some(m) if matches!(m.object().get_inner_expression().as_member_expression().map(member_path).as_deref(), Some([a, b]) if a == "process" && b == "env"));
                if !is_env && !never_falsy(&l.left) {
                    return unsupported(
                        l.span,
                        "`??`: Lua's `or` also replaces `false`; write an explicit `if … == nil`",
                    );
                }
                let a = self.expr(&l.left)?;
                let b = self.expr(&l.right)?;
                Ok(Expr::binary(&a, "or", &b, Prec::Or))
            }
        }
    }

    fn chain(&mut self, c: &oxc_ast::ast::ChainExpression<'_>) -> R<Expr> {
        match &c.expression {
            ChainElement::StaticMemberExpression(m) if m.optional => {
                let object = self.expr(&m.object)?;
                if object.prec != Prec::Prefix || object.text.contains('(') {
                    return unsupported(c.span, "`?.` after a call (it would run twice)");
                }
                let inner = self.member_static(&object, &m.object, &m.property.name, m.span)?;
                Ok(Expr {
                    text: format!("{} and {}", object.text, inner.operand(Prec::And, false)),
                    prec: Prec::And,
                })
            }
            ChainElement::StaticMemberExpression(_)
            | ChainElement::ComputedMemberExpression(_)
            | ChainElement::PrivateFieldExpression(_) => {
                unsupported(c.span, "optional chaining (`?.`) other than `x?.field`")
            }
            ChainElement::CallExpression(call) => {
                unsupported(call.span, "optional chaining (`?.`) in a call")
            }
            ChainElement::TSNonNullExpression(x) => self.expr(&x.expression),
        }
    }

    fn member(&mut self, m: &MemberExpression<'_>) -> R<Expr> {
        match m {
            MemberExpression::StaticMemberExpression(s) => {
                if s.optional {
                    return unsupported(s.span, "optional chaining (`?.`)");
                }
                let path = member_path(m);
                if let [a, b, name] = path
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .as_slice()
                {
                    if *a == "process" && *b == "env" {
                        return Ok(Expr::prefix(format!(
                            "os.getenv({})",
                            lua_text::string(name)
                        )));
                    }
                }
                if path.len() >= 2 && self.is_knex(&path[0]) && path[1] == "client" {
                    let whole = path.join(".");
                    if path.len() == 4 && path[2] == "config" && path[3] == "client" {
                        return Ok(Expr::prefix(format!(
                            "{}.client.config.client",
                            lua_text::local_name(&path[0])
                        )));
                    }
                    return unsupported(s.span, format!("`{whole}`: Knex client internals do not exist in vectra-db (only `knex.client.config.client`, which is \"pg\")"));
                }
                if let Expression::Identifier(id) = s.object.get_inner_expression() {
                    if self
                        .scopes
                        .last()
                        .is_some_and(|sc| sc.catch_params.iter().any(|c| c == id.name.as_str()))
                        && s.property.name == "message"
                    {
                        return Ok(Expr::prefix(format!(
                            "tostring({})",
                            lua_text::local_name(&id.name)
                        )));
                    }
                }
                let object = self.expr(&s.object)?;
                self.member_static(&object, &s.object, &s.property.name, s.span)
            }
            MemberExpression::ComputedMemberExpression(c) => {
                if c.optional {
                    return unsupported(c.span, "optional chaining (`?.[]`)");
                }
                let object = self.expr(&c.object)?;
                let index = c.expression.get_inner_expression();
                match index {
                    Expression::StringLiteral(s) => Ok(lua_text::field(&object, &s.value)),
                    Expression::Identifier(id) if self.strings.contains(id.name.as_str()) => {
                        Ok(Expr::prefix(format!("{}[{}]", object.as_prefix(), lua_text::local_name(&id.name))))
                    }
                    Expression::NumericLiteral(n) if n.value.fract() == 0.0 && n.value >= 0.0 => {
                        Ok(Expr::prefix(format!("{}[{}]", object.as_prefix(), lua_text::number(n.value + 1.0).unwrap_or_default())))
                    }
                    e if self.is_numeric(e) => {
                        let value = self.expr(e)?;
                        let text = match value.text.strip_suffix(" - 1") {
                            Some(t) if value.prec == Prec::Add => t.to_string(),
                            _ => Expr::binary(&value, "+", &Expr::atom("1"), Prec::Add).text,
                        };
                        Ok(Expr::prefix(format!("{}[{text}]", object.as_prefix())))
                    }
                    _ => unsupported(c.span, "`x[k]`: a number index is 0-based in JavaScript and 1-based in Lua, and the port cannot tell which this is"),
                }
            }
            MemberExpression::PrivateFieldExpression(p) => unsupported(p.span, "a private field"),
        }
    }

    fn member_static(
        &mut self,
        object: &Expr,
        js_object: &Expression<'_>,
        prop: &str,
        span: Span,
    ) -> R<Expr> {
        if prop == "length" && !self.is_module_object(js_object) {
            return Ok(Expr {
                text: format!("#{}", object.as_prefix()),
                prec: Prec::Unary,
            });
        }
        if self.is_module_object(js_object) {
            return unsupported(span, format!("`{}.{prop}`", object.text));
        }
        Ok(lua_text::field(object, prop))
    }

    fn is_numeric(&self, e: &Expression<'_>) -> bool {
        match e.get_inner_expression() {
            Expression::NumericLiteral(_) => true,
            Expression::Identifier(id) => self.numeric.contains(id.name.as_str()),
            Expression::StaticMemberExpression(m) => m.property.name == "length",
            // `-`, `*`, `/`, `%` always give a number in JavaScript; `+` only of numbers.
            Expression::BinaryExpression(b) => match b.operator {
                BinaryOperator::Subtraction
                | BinaryOperator::Multiplication
                | BinaryOperator::Division
                | BinaryOperator::Remainder => true,
                BinaryOperator::Addition => self.is_numeric(&b.left) && self.is_numeric(&b.right),
                _ => false,
            },
            Expression::UnaryExpression(u) => matches!(
                u.operator,
                UnaryOperator::UnaryNegation | UnaryOperator::UnaryPlus
            ),
            Expression::CallExpression(c) => {
                matches!(c.callee.get_inner_expression(), Expression::Identifier(id) if id.name == "Number")
                    || matches!(c.callee.get_inner_expression().as_member_expression().map(member_path).as_deref(), Some([m, _]) if m == "Math")
            }
            _ => false,
        }
    }

    fn argument(&mut self, a: &Argument<'_>, role: Option<Role>) -> R<Expr> {
        match a {
            Argument::SpreadElement(s) => unsupported(s.span, "a spread (`...`) argument"),
            Argument::ArrowFunctionExpression(f) => self.arrow(f, role.unwrap_or(Role::Callback)),
            Argument::FunctionExpression(f) => self.function(f, role.unwrap_or(Role::Callback)),
            other => match other.as_expression() {
                Some(e) => self.expr(e),
                None => unsupported(other.span(), "an argument the port does not convert"),
            },
        }
    }

    fn arguments(&mut self, args: &[Argument<'_>], role: Option<Role>) -> R<String> {
        let mut out = Vec::new();
        for a in args {
            out.push(self.argument(a, role)?.text);
        }
        Ok(out.join(", "))
    }

    /// `where({ a: 1, b: 2 })` → `:where("a", 1):where("b", 2)`: what Knex
    /// itself does with the object, in its key order (a Lua table has none,
    /// so vectra-db would sort the keys and the SQL would differ).
    fn where_pairs(&mut self, prop: &str, args: &[Argument<'_>]) -> R<Option<String>> {
        if !matches!(prop, "where" | "andWhere") {
            return Ok(None);
        }
        let [Argument::ObjectExpression(o)] = args else {
            return Ok(None);
        };
        if o.properties.len() < 2 {
            return Ok(None);
        }
        let mut pairs = Vec::new();
        for p in &o.properties {
            let ObjectPropertyKind::ObjectProperty(p) = p else {
                return Ok(None);
            };
            if p.computed || p.method || p.kind != PropertyKind::Init {
                return Ok(None);
            }
            let Some(key) = property_key_name(&p.key) else {
                return Ok(None);
            };
            if matches!(p.value.get_inner_expression(), Expression::Identifier(id) if id.name == "undefined")
            {
                return Ok(None);
            }
            pairs.push((key, &p.value));
        }
        let mut out = String::new();
        for (key, value) in pairs {
            let value = self.expr(value)?;
            out.push_str(&format!(
                ":{prop}({}, {})",
                lua_text::string(&key),
                value.text
            ));
        }
        Ok(Some(out))
    }

    fn call(&mut self, c: &CallExpression<'_>) -> R<Expr> {
        if c.optional {
            return unsupported(c.span, "optional call (`?.()`)");
        }
        let callee = c.callee.get_inner_expression();
        if let Expression::Identifier(id) = callee {
            let name = id.name.as_str();
            return match name {
                "require" => unsupported(
                    c.span,
                    "`require` outside a declaration, or of a computed module name",
                ),
                "String" => Ok(Expr::prefix(format!(
                    "tostring({})",
                    self.arguments(&c.arguments, None)?
                ))),
                "Number" => Ok(Expr::prefix(format!(
                    "tonumber({})",
                    self.arguments(&c.arguments, None)?
                ))),
                "Boolean" | "parseInt" | "parseFloat" | "setTimeout" | "fetch" | "Symbol"
                | "BigInt" | "eval" => unsupported(
                    c.span,
                    format!("`{name}(…)` has no exact Lua equivalent here"),
                ),
                _ => {
                    let args = self.arguments(&c.arguments, None)?;
                    Ok(Expr::prefix(format!("{}({args})", self.identifier(name))))
                }
            };
        }
        let Some(m) = callee.as_member_expression() else {
            return unsupported(c.span, "a call of a computed function");
        };
        let Some(prop) = m.static_property_name() else {
            return unsupported(c.span, "a method called through `[…]`");
        };
        let object = m.object().get_inner_expression();
        // `new Date().toISOString()`
        if prop == "toISOString" {
            if let Expression::NewExpression(n) = object {
                if matches!(n.callee.get_inner_expression(), Expression::Identifier(id) if id.name == "Date")
                    && n.arguments.is_empty()
                {
                    self.uses_vectra = true;
                    return Ok(Expr::prefix("vectra.now()"));
                }
            }
        }
        if let Expression::Identifier(id) = object {
            let obj = id.name.as_str();
            match (obj, prop) {
                ("console", "log" | "info" | "warn" | "error" | "debug") => {
                    return Ok(Expr::prefix(format!(
                        "print({})",
                        self.arguments(&c.arguments, None)?
                    )));
                }
                ("JSON", "stringify") if c.arguments.len() == 1 => {
                    self.uses_vectra = true;
                    return Ok(Expr::prefix(format!(
                        "vectra.json.encode({})",
                        self.arguments(&c.arguments, None)?
                    )));
                }
                ("JSON", "parse") if c.arguments.len() == 1 => {
                    self.uses_vectra = true;
                    return Ok(Expr::prefix(format!(
                        "vectra.json.decode({})",
                        self.arguments(&c.arguments, None)?
                    )));
                }
                ("Math", "floor" | "ceil" | "max" | "min" | "abs") => {
                    return Ok(Expr::prefix(format!(
                        "math.{prop}({})",
                        self.arguments(&c.arguments, None)?
                    )));
                }
                ("Promise", _) => {
                    return unsupported(
                        c.span,
                        format!(
                            "`Promise.{prop}` outside `await Promise.all([...])` as a statement"
                        ),
                    );
                }
                _ if self.is_module_object(object) => {
                    return unsupported(
                        c.span,
                        format!("`{obj}.{prop}(…)` has no exact Lua equivalent here"),
                    );
                }
                _ if self.is_knex(obj) => {
                    if prop == "transaction" {
                        let args = self.arguments(&c.arguments, Some(Role::Transaction))?;
                        return Ok(Expr::prefix(format!(
                            "{}.transaction({args})",
                            lua_text::local_name(obj)
                        )));
                    }
                    if Builder::Knex.method(prop).is_some() {
                        let args = self.arguments(&c.arguments, None)?;
                        return Ok(Expr::prefix(format!(
                            "{}.{prop}({args})",
                            lua_text::local_name(obj)
                        )));
                    }
                    return unsupported(
                        c.span,
                        format!("`{obj}.{prop}(…)` is not a function of vectra-db's `knex` module"),
                    );
                }
                _ => {}
            }
        }
        // `knex.fn.now()`, `knex.schema.createTable(…)`.
        if let Some(inner) = object.as_member_expression() {
            if let Expression::Identifier(id) = inner.object().get_inner_expression() {
                if self.is_knex(&id.name) {
                    let knex = lua_text::local_name(&id.name);
                    match inner.static_property_name() {
                        Some("fn") => {
                            return Ok(Expr::prefix(format!(
                                "{knex}.fn.{prop}({})",
                                self.arguments(&c.arguments, None)?
                            )));
                        }
                        Some("schema") if Builder::Schema.method(prop).is_some() => {
                            return Ok(Expr::prefix(format!(
                                "{knex}.schema:{prop}({})",
                                self.arguments(&c.arguments, None)?
                            )));
                        }
                        Some("client") => {
                            return unsupported(
                                c.span,
                                "`knex.client` internals do not exist in vectra-db",
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
        match prop {
            "then" | "catch" | "finally" => {
                return unsupported(
                    c.span,
                    format!("a promise chain (`.{prop}`): write it with `await`"),
                );
            }
            "map" if self.kind(object) == Kind::Other => {
                let list = self.iterable(object)?;
                let [callback] = c.arguments.as_slice() else {
                    return unsupported(c.span, "`map` with more than one argument");
                };
                let target = self.fresh("mapped");
                let body = self.loop_over(&list, callback, LoopMode::Map(target.clone()))?;
                self.pre.push(format!("local {target} = {{}}\n{body}"));
                return Ok(Expr::prefix(target));
            }
            "join" if c.arguments.len() <= 1 && self.kind(object) == Kind::Other => {
                let list = self.expr(object)?;
                let sep = match c.arguments.first() {
                    Some(a) => self.argument(a, None)?.text,
                    None => "\",\"".to_string(),
                };
                // `table` is a common name for the table builder: the library
                // function is bound once at the top, where nothing shadows it.
                self.uses_concat = true;
                return Ok(Expr::prefix(format!("concat({}, {sep})", list.text)));
            }
            "toUpperCase" | "toLowerCase" if c.arguments.is_empty() => {
                let v = self.expr(object)?;
                let f = if prop == "toUpperCase" {
                    "upper"
                } else {
                    "lower"
                };
                return Ok(Expr::prefix(format!("{}:{f}()", v.as_prefix())));
            }
            "toString" if c.arguments.is_empty() => {
                let v = self.expr(object)?;
                return Ok(Expr::prefix(format!("tostring({})", v.text)));
            }
            _ => {}
        }
        if is_builder_method(prop) {
            let receiver = self.expr(m.object())?;
            let call = match self.where_pairs(prop, &c.arguments)? {
                Some(chained) => chained,
                None => format!(":{prop}({})", self.arguments(&c.arguments, None)?),
            };
            // Keep a chain on several lines where the source had it so.
            let property_line = self.line_of(property_start(m));
            let object_line = self.line_of(m.object().span().end.saturating_sub(1));
            if property_line > object_line {
                return Ok(Expr::prefix(format!(
                    "{}\n  {}",
                    receiver.as_prefix(),
                    lua_text::indent_rest(&call, 1)
                )));
            }
            return Ok(Expr::prefix(format!("{}{call}", receiver.as_prefix())));
        }
        unsupported(
            c.span,
            format!("`.{prop}(…)` is neither a Knex builder method nor a JavaScript function the port converts"),
        )
    }
}

fn arrow_body<'s, 'b>(a: &'s ArrowFunctionExpression<'b>) -> Body<'s, 'b> {
    match &a.body {
        ArrowFunctionBody::FunctionBody(b) => Body::Block(b),
        other => match other.as_expression() {
            Some(e) => Body::Expression(e),
            None => Body::Empty,
        },
    }
}

enum Body<'s, 'b> {
    Empty,
    Block(&'s FunctionBody<'b>),
    Expression(&'s Expression<'b>),
}

enum LoopMode {
    /// `await Promise.all(xs.map(cb))`: each callback's work, awaited, in order.
    Awaited,
    /// `xs.forEach(cb)`.
    Statements,
    /// `xs.map(cb)` as a value, collected into the named table.
    Map(String),
}

/// Every method of the catalogue's builders (not of the `knex` and
/// `knex.fn` modules, called with a dot): these take a colon.
fn is_builder_method(name: &str) -> bool {
    Builder::ALL
        .iter()
        .any(|b| !b.is_module() && b.method(name).is_some())
}

/// `knex.NAME(…)` starts a query (every query method but `run` and `toSQL`).
fn starts_query(name: &str) -> bool {
    api::find(api::QUERY, name).is_some_and(|m| m.op.starts_query())
}

fn property_start(m: &MemberExpression<'_>) -> u32 {
    match m {
        MemberExpression::StaticMemberExpression(s) => s.property.span.start,
        other => other.span().start,
    }
}

fn is_entry(name: &str) -> bool {
    matches!(name, "up" | "down" | "seed")
}

/// `a.b.c` as `["a", "b", "c"]` (empty when any part is not a plain name).
fn member_path(m: &MemberExpression<'_>) -> Vec<String> {
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

fn module_export_name(n: &ModuleExportName<'_>) -> String {
    match n {
        ModuleExportName::IdentifierName(n) => n.name.to_string(),
        ModuleExportName::IdentifierReference(n) => n.name.to_string(),
        ModuleExportName::StringLiteral(s) => s.value.to_string(),
    }
}

fn property_key_name(key: &PropertyKey<'_>) -> Option<String> {
    match key {
        PropertyKey::StaticIdentifier(id) => Some(id.name.to_string()),
        PropertyKey::StringLiteral(s) => Some(s.value.to_string()),
        PropertyKey::NumericLiteral(n) => lua_text::number(n.value),
        _ => None,
    }
}

/// `../constants`, `./constants.js`, `@/database/constants`: the constants module.
fn is_constants_module(source: &str) -> bool {
    let last = source.rsplit('/').next().unwrap_or(source);
    let stem = last.split('.').next().unwrap_or(last);
    stem == CONSTANTS_MODULE
}

/// `require("x")` → `x`.
fn require_of(e: &Expression<'_>) -> Option<String> {
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
fn promise_all_items<'s, 'b>(e: &'s Expression<'b>) -> Option<Vec<&'s Expression<'b>>> {
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
fn promise_all_map<'s, 'b>(
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
fn breaks_out(stmt: &Statement<'_>) -> bool {
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
fn typeof_test<'s, 'b>(
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
fn is_simple_name(e: &Expr) -> bool {
    e.prec == Prec::Prefix && lua_text::is_identifier(&e.text)
}

/// `["a", "b"]`: a list of string literals.
fn all_strings(e: &Expression<'_>) -> bool {
    matches!(e.get_inner_expression(), Expression::ArrayExpression(a)
        if a.elements.iter().all(|el| matches!(el.as_expression(), Some(Expression::StringLiteral(_)))))
}

/// Whether the value is certainly a string (so `+` is concatenation).
fn is_stringy(e: &Expression<'_>) -> bool {
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
fn never_falsy(e: &Expression<'_>) -> bool {
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
fn exported_names(program: &Program<'_>) -> HashSet<String> {
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

#[cfg(test)]
mod tests {
    use super::super::{port_source, Ported};
    use crate::lint::Constants;

    fn port(file: &str, js: &str) -> Ported {
        port_source(file, js, &Constants::default()).expect("converts")
    }

    #[test]
    fn await_runs_queries_and_drops_for_schema_calls() {
        let p = port(
            "a.js",
            "exports.up = async (knex) => {\n  await knex.schema.createTable('t', (t) => { t.increments('id'); });\n  await knex('t').insert({ a: 1 });\n};\n",
        );
        assert!(p.todos.is_empty(), "{:?}", p.todos);
        assert!(
            p.lua.contains("knex.schema:createTable(\"t\", function(t)"),
            "{}",
            p.lua
        );
        assert!(
            p.lua.contains("knex(\"t\"):insert({ a = 1 }):run()"),
            "{}",
            p.lua
        );
    }

    #[test]
    fn this_in_a_function_callback_becomes_its_argument() {
        let p = port(
            "a.js",
            "exports.seed = async function (knex) {\n  await knex('t').where(function () { this.where('a', 1).orWhere('b', null); }).del();\n};\n",
        );
        assert!(p.lua.contains("where(function(q)\n"), "{}", p.lua);
        assert!(
            p.lua
                .contains("q:where(\"a\", 1):orWhere(\"b\", knex.null)"),
            "{}",
            p.lua
        );
    }

    #[test]
    fn a_statement_outside_the_subset_is_kept_as_a_todo_at_its_line() {
        let p = port(
            "a.ts",
            "export async function up(knex) {\n  await knex('a').del();\n  const rows = await fetch('http://x');\n  await knex('b').del();\n}\n",
        );
        assert_eq!(p.todos.len(), 1, "{:?}", p.todos);
        assert_eq!(p.todos[0].source_line, 3);
        assert!(p.lua.contains("-- TODO(port): `fetch(…)`"), "{}", p.lua);
        assert!(
            p.lua.contains("-- const rows = await fetch('http://x');"),
            "{}",
            p.lua
        );
        assert!(p.lua.contains("knex(\"b\"):del():run()"), "{}", p.lua);
        let marker = p.lua.lines().nth(p.todos[0].line - 1).unwrap_or_default();
        assert!(
            marker.trim_start().starts_with("-- TODO(port):"),
            "{marker}"
        );
    }

    #[test]
    fn this_inside_an_arrow_belongs_to_the_enclosing_function() {
        let p = port(
            "a.js",
            "exports.seed = async (knex) => {\n  await knex('t').where(function () { [1].forEach(() => { this.orWhere('a', 1); }); }).del();\n};\n",
        );
        assert!(p.todos.is_empty(), "{:?}", p.todos);
        assert!(p.lua.contains("where(function(q)"), "{}", p.lua);
        assert!(p.lua.contains("q:orWhere(\"a\", 1)"), "{}", p.lua);
    }

    #[test]
    fn continue_before_a_final_return_still_loads_as_lua() {
        // `port_source` loads the result with mlua: Ok means valid Lua.
        let p = port(
            "a.js",
            "exports.seed = async (knex) => {\n  const xs = [1, 2];\n  for (const x of xs) {\n    if (x === 1) {\n      continue;\n    }\n    return;\n  }\n  xs.length = 0;\n};\n",
        );
        assert!(p.lua.contains("goto continue"), "{}", p.lua);
        assert!(p.lua.contains("::continue::"), "{}", p.lua);
        assert_eq!(p.todos.len(), 1, "{:?}", p.todos);
        assert!(p.todos[0].reason.contains("assignment"), "{:?}", p.todos);
    }

    #[test]
    fn plus_is_addition_or_concatenation_only_when_known() {
        let p = port(
            "a.js",
            "exports.seed = async (knex) => {\n  const rows = await knex('t');\n  const a = rows.length + 1;\n  const b = 'n=' + a;\n  const c = rows[0].x + rows[1].y;\n};\n",
        );
        assert!(p.lua.contains("local a = #rows + 1"), "{}", p.lua);
        assert!(
            p.lua.contains("local b = \"n=\" .. tostring(a)"),
            "{}",
            p.lua
        );
        assert_eq!(p.todos.len(), 1, "{:?}", p.todos);
        assert_eq!(p.todos[0].source_line, 5);
    }

    #[test]
    fn spreads_merge_and_append_in_javascript_order() {
        let p = port(
            "a.js",
            "const base = { a: 1, b: 1 };\nexports.seed = async (knex) => {\n  await knex('t').insert({ ...base, b: 2 });\n  await knex('t').whereIn('a', [...[1, 2], 3]).del();\n};\n",
        );
        assert!(p.todos.is_empty(), "{:?}", p.todos);
        assert!(
            p.lua.contains("insert(merge(base, { b = 2 }))"),
            "{}",
            p.lua
        );
        assert!(
            p.lua.contains("whereIn(\"a\", append({ 1, 2 }, { 3 }))"),
            "{}",
            p.lua
        );
        let lua = mlua::Lua::new();
        let check = format!(
            "{}\n{}\nlocal m = merge({{ a = 1, b = 1 }}, nil, {{ b = 2 }})\nlocal l = append({{ 1, 2 }}, {{}}, {{ 3 }})\nreturn m.a, m.b, #l, l[3]",
            super::MERGE,
            super::APPEND
        );
        let got: (i64, i64, i64, i64) = lua.load(&check).eval().expect("helpers run");
        assert_eq!(got, (1, 2, 3, 3));
    }

    #[test]
    fn typeof_tests_become_type_calls() {
        let p = port(
            "a.js",
            "exports.seed = async (knex) => {\n  const v = process.env.X;\n  if (typeof v === 'string' && typeof w !== 'undefined') {\n    await knex('t').del();\n  }\n  if (typeof v === 'object') {\n    await knex('t').del();\n  }\n};\n",
        );
        assert!(
            p.lua.contains("if type(v) == \"string\" and w ~= nil then"),
            "{}",
            p.lua
        );
        assert_eq!(p.todos.len(), 1, "{:?}", p.todos);
        assert_eq!(p.todos[0].source_line, 6);
    }

    #[test]
    fn a_switch_without_fallthrough_becomes_an_if_chain() {
        let p = port(
            "a.js",
            "exports.up = async (knex) => {\n  switch (knex.client.config.client) {\n    case 'pg':\n    case 'postgres':\n      await knex.raw('select 1');\n      break;\n    case 'mysql':\n      throw new Error('no');\n    default:\n      await knex.raw('select 2');\n  }\n  switch (1) {\n    case 1:\n      if (true) break;\n      await knex.raw('x');\n      break;\n  }\n};\n",
        );
        assert!(p.lua.contains("local subject = knex.client.config.client\n    if subject == \"pg\" or subject == \"postgres\" then\n      knex.raw(\"select 1\"):run()\n    elseif subject == \"mysql\" then\n      error(\"no\")\n    else\n      knex.raw(\"select 2\"):run()\n    end"), "{}", p.lua);
        assert_eq!(p.todos.len(), 1, "{:?}", p.todos);
        assert!(p.todos[0].reason.contains("falls through"), "{:?}", p.todos);
    }

    #[test]
    fn an_unawaited_builder_is_not_guessed() {
        let p = port(
            "a.js",
            "exports.up = async (knex) => {\n  knex.schema.dropTable('x');\n};\n",
        );
        assert_eq!(p.todos.len(), 1);
        assert!(p.todos[0].reason.contains("not awaited"), "{:?}", p.todos);
    }
}
