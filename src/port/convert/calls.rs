//! Calls: arguments, Knex builder chains, module functions and the JavaScript
//! functions the port converts.

use super::*;

impl<'a> Converter<'a> {
    pub(super) fn argument(&mut self, a: &Argument<'_>, role: Option<Role>) -> R<Expr> {
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

    pub(super) fn arguments(&mut self, args: &[Argument<'_>], role: Option<Role>) -> R<String> {
        let mut out = Vec::new();
        for a in args {
            out.push(self.argument(a, role)?.text);
        }
        Ok(out.join(", "))
    }

    /// `where({ a: 1, b: 2 })` → `:where("a", 1):where("b", 2)`: what Knex
    /// itself does with the object, in its key order (a Lua table has none,
    /// so vectra-db would sort the keys and the SQL would differ).
    pub(super) fn where_pairs(&mut self, prop: &str, args: &[Argument<'_>]) -> R<Option<String>> {
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

    pub(super) fn call(&mut self, c: &CallExpression<'_>) -> R<Expr> {
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
