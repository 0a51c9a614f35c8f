//! Functions and the statements of their bodies: declarations, bindings.

use super::*;

impl<'a> Converter<'a> {
    pub(super) fn function(&mut self, f: &Function<'_>, role: Role) -> R<Expr> {
        Ok(self.function_with(f, role)?.0)
    }

    pub(super) fn function_with(&mut self, f: &Function<'_>, role: Role) -> R<(Expr, bool)> {
        if f.generator {
            return unsupported(f.span, "a generator function");
        }
        let Some(body) = &f.body else {
            return unsupported(f.span, "a function without a body");
        };
        self.function_parts(&f.params, Body::Block(body), f.r#async, false, role)
    }

    pub(super) fn arrow(&mut self, a: &ArrowFunctionExpression<'_>, role: Role) -> R<Expr> {
        let body = arrow_body(a);
        Ok(self
            .function_parts(&a.params, body, a.r#async, true, role)?
            .0)
    }

    pub(super) fn params(
        &mut self,
        params: &FormalParameters<'_>,
    ) -> R<(Vec<String>, Vec<String>)> {
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

    pub(super) fn function_parts(
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
    pub(super) fn expression_body(&mut self, e: &Expression<'_>, role: Role) -> R<String> {
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
    pub(super) fn statements(&mut self, list: Vec<&Statement<'_>>, function_top: bool) -> String {
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
    pub(super) fn trailing_comment(&mut self, span: Span) -> Option<String> {
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

    pub(super) fn block_of<'s, 'b>(stmt: &'s Statement<'b>) -> Vec<&'s Statement<'b>> {
        match stmt {
            Statement::BlockStatement(b) => b.body.iter().collect(),
            other => vec![other],
        }
    }

    pub(super) fn statement(
        &mut self,
        stmt: &Statement<'_>,
        last: bool,
        function_top: bool,
    ) -> R<String> {
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
            Statement::FunctionDeclaration(f) => self.local_function(f),
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

    pub(super) fn declaration(&mut self, d: &Declaration<'_>, span: Span) -> R<String> {
        match d {
            Declaration::VariableDeclaration(v) => {
                let mut lines = Vec::new();
                for d in &v.declarations {
                    lines.push(self.declarator(d)?);
                }
                Ok(lines.join("\n"))
            }
            Declaration::FunctionDeclaration(f) => self.local_function(f),
            Declaration::TSTypeAliasDeclaration(_) | Declaration::TSInterfaceDeclaration(_) => {
                Ok(String::new())
            }
            _ => unsupported(span, "a declaration the port does not convert"),
        }
    }

    pub(super) fn declarator(&mut self, d: &oxc_ast::ast::VariableDeclarator<'_>) -> R<String> {
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
    pub(super) fn bind(
        &mut self,
        pattern: &BindingPattern<'_>,
        value: Expr,
        span: Span,
    ) -> R<String> {
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

    /// `function name(…) { … }` → `local function name(…) … end`.
    pub(super) fn local_function(&mut self, f: &Function<'_>) -> R<String> {
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
}
