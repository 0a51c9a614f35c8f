//! Statements: expression statements, assignments, `await`, `return`,
//! `switch`, `if`, loops and `try`.

use super::*;

impl<'a> Converter<'a> {
    pub(super) fn expression_statement(&mut self, e: &Expression<'_>) -> R<String> {
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
    pub(super) fn array_statement(&mut self, c: &CallExpression<'_>) -> R<Option<String>> {
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

    pub(super) fn assignment(&mut self, a: &oxc_ast::ast::AssignmentExpression<'_>) -> R<String> {
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

    pub(super) fn simple_target(
        &mut self,
        t: &SimpleAssignmentTarget<'_>,
        span: Span,
    ) -> R<String> {
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
    pub(super) fn awaited_statement(&mut self, e: &Expression<'_>) -> R<String> {
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
    pub(super) fn awaited(&mut self, e: &Expression<'_>) -> R<Expr> {
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

    pub(super) fn return_statement(
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
    pub(super) fn return_value(
        &mut self,
        arg: &Expression<'_>,
        last: bool,
        function_top: bool,
    ) -> R<String> {
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
    pub(super) fn switch_statement(&mut self, sw: &oxc_ast::ast::SwitchStatement<'_>) -> R<String> {
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

    pub(super) fn if_statement(&mut self, i: &oxc_ast::ast::IfStatement<'_>) -> R<String> {
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
    pub(super) fn loop_body(
        &mut self,
        body: &Statement<'_>,
        wrap: impl FnOnce(&str) -> String,
    ) -> R<String> {
        self.scope().loops.push(false);
        let mut inner = self.statements(Self::block_of(body), false);
        let used = self.scope().loops.pop().unwrap_or(false);
        if used {
            // The body may end in `return`/`break`, which must close a block.
            inner = format!("do\n{}\nend\n::continue::", lua_text::indent_all(&inner, 1));
        }
        Ok(wrap(&inner))
    }

    pub(super) fn loop_binding(
        &mut self,
        left: &ForStatementLeft<'_>,
    ) -> R<(String, Option<String>)> {
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
    pub(super) fn iterable(&mut self, e: &Expression<'_>) -> R<String> {
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

    pub(super) fn for_statement(&mut self, f: &oxc_ast::ast::ForStatement<'_>) -> R<String> {
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

    pub(super) fn try_statement(&mut self, t: &oxc_ast::ast::TryStatement<'_>) -> R<String> {
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

    pub(super) fn loop_over(
        &mut self,
        list: &str,
        callback: &Argument<'_>,
        mode: LoopMode,
    ) -> R<String> {
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
}
