//! Expressions: literals, templates, conditions, operators, member access.

use super::*;

impl<'a> Converter<'a> {
    /// What awaiting `e` means (see [`Kind`]).
    pub(super) fn kind(&self, e: &Expression<'_>) -> Kind {
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

    pub(super) fn identifier(&mut self, name: &str) -> String {
        if self.top_functions_later.contains(name) && self.scopes.len() > 1 {
            self.forward.insert(name.to_string());
        }
        lua_text::local_name(name)
    }

    pub(super) fn is_module_object(&self, e: &Expression<'_>) -> bool {
        matches!(e.get_inner_expression(), Expression::Identifier(id) if matches!(id.name.as_str(), "console" | "JSON" | "Math" | "Object" | "Array" | "Promise" | "process" | "Number" | "String" | "Date"))
    }

    pub(super) fn expr(&mut self, e: &Expression<'_>) -> R<Expr> {
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
    pub(super) fn table_text(&self, items: &[String], span: Span) -> String {
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

    pub(super) fn template(&mut self, t: &oxc_ast::ast::TemplateLiteral<'_>) -> R<Expr> {
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
    pub(super) fn to_string_expr(&self, e: &Expression<'_>, value: Expr) -> Expr {
        if is_stringy(e) {
            value
        } else {
            Expr::prefix(format!("tostring({})", value.text))
        }
    }

    pub(super) fn condition(&mut self, e: &Expression<'_>) -> R<Expr> {
        let inner = e.get_inner_expression();
        // JavaScript treats 0 as false, Lua as true: lengths are compared.
        if let Expression::StaticMemberExpression(m) = inner {
            if m.property.name == "length" {
                return self.length_compare(&m.object, ">");
            }
        }
        if let Expression::UnaryExpression(u) = inner {
            if u.operator == UnaryOperator::LogicalNot {
                if let Expression::StaticMemberExpression(m) = u.argument.get_inner_expression() {
                    if m.property.name == "length" {
                        return self.length_compare(&m.object, "==");
                    }
                }
            }
        }
        self.expr(e)
    }

    pub(super) fn binary(&mut self, b: &oxc_ast::ast::BinaryExpression<'_>) -> R<Expr> {
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

    pub(super) fn logical(&mut self, l: &oxc_ast::ast::LogicalExpression<'_>) -> R<Expr> {
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

    pub(super) fn chain(&mut self, c: &oxc_ast::ast::ChainExpression<'_>) -> R<Expr> {
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

    pub(super) fn member(&mut self, m: &MemberExpression<'_>) -> R<Expr> {
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

    pub(super) fn member_static(
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

    pub(super) fn is_numeric(&self, e: &Expression<'_>) -> bool {
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

    /// `#list > 0` / `#list == 0`: a JavaScript length tested for truth.
    pub(super) fn length_compare(&mut self, list: &Expression<'_>, op: &str) -> R<Expr> {
        let v = self.expr(list)?;
        let length = Expr {
            text: format!("#{}", v.as_prefix()),
            prec: Prec::Unary,
        };
        Ok(Expr::binary(&length, op, &Expr::atom("0"), Prec::Compare))
    }
}
