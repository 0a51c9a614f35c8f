//! Reading Lua arguments the way Knex reads JavaScript ones: column names,
//! values, subqueries, row tables (sorted by key), and every `where` form.

use super::*;

pub(super) fn string_arg(
    lua: &Lua,
    v: Option<&LuaValue>,
    method: &str,
    what: &str,
) -> mlua::Result<String> {
    match v {
        Some(LuaValue::String(s)) => Ok(s.to_str()?.to_string()),
        other => Err(usage_error(
            lua,
            format!(
                "`{method}` expects {what}, got {}",
                describe(other.unwrap_or(&LuaValue::Nil))
            ),
        )),
    }
}

pub(super) fn integer_arg(lua: &Lua, v: &LuaValue, method: &str) -> mlua::Result<i64> {
    match v {
        LuaValue::Integer(i) => Ok(*i),
        LuaValue::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok(*n as i64),
        LuaValue::String(s) => s.to_str()?.trim().parse().map_err(|_| {
            usage_error(
                lua,
                format!("`{method}` expects an integer, got {}", describe(v)),
            )
        }),
        other => Err(usage_error(
            lua,
            format!("`{method}` expects an integer, got {}", describe(other)),
        )),
    }
}

pub(super) fn option_flag(v: Option<&LuaValue>, key: &str) -> mlua::Result<bool> {
    match v {
        Some(LuaValue::Table(t)) => Ok(t.get::<Option<bool>>(key)?.unwrap_or(false)),
        _ => Ok(false),
    }
}

/// A value argument that must be present: Lua `nil` is Knex's `undefined`, which
/// Knex refuses; SQL NULL is `knex.null`.
pub(super) fn value_arg<'a>(
    lua: &Lua,
    v: Option<&'a LuaValue>,
    method: &str,
) -> mlua::Result<&'a LuaValue> {
    match v {
        Some(v) if !v.is_nil() => Ok(v),
        _ => Err(usage_error(
            lua,
            format!("`{method}` got nil as a value: use `knex.null` for SQL NULL"),
        )),
    }
}

/// Column names from a string or a sequence of strings.
pub(super) fn names(lua: &Lua, v: &LuaValue, method: &str) -> mlua::Result<Vec<String>> {
    match v {
        LuaValue::String(s) => Ok(vec![s.to_str()?.to_string()]),
        LuaValue::Table(t) => t
            .sequence_values::<LuaValue>()
            .map(|v| string_arg(lua, Some(&v?), method, "column names"))
            .collect(),
        other => Err(usage_error(
            lua,
            format!(
                "`{method}` expects a column name or a list of them, got {}",
                describe(other)
            ),
        )),
    }
}

/// A value in a statement: a query (subquery), a raw fragment, a reference or a bound value.
pub(super) fn operand(lua: &Lua, v: &LuaValue) -> mlua::Result<Operand> {
    if let LuaValue::UserData(ud) = v {
        if ud.is::<QueryBuilder>() {
            if let Some(sub) = as_subquery(v) {
                return Ok(Operand::Sub(sub));
            }
        }
        if let Some(raw) = as_raw(v) {
            return Ok(Operand::Raw(raw));
        }
    }
    Ok(Operand::Value(to_value(lua, v)?))
}

/// The left side of a comparison: a column name or a raw expression.
pub(super) fn column_operand(
    lua: &Lua,
    v: Option<&LuaValue>,
    method: &str,
) -> mlua::Result<Operand> {
    if let Some(raw) = v.and_then(as_raw) {
        return Ok(Operand::Raw(raw));
    }
    Ok(Operand::Ident(string_arg(lua, v, method, "a column name")?))
}

pub(super) fn checked_operator(lua: &Lua, op: &str) -> mlua::Result<String> {
    operator(op)
        .map(|_| op.trim().to_lowercase())
        .map_err(|e| usage_error(lua, e.to_string()))
}

/// Select-list entries from one argument of `select(...)`.
pub(super) fn columns_of(lua: &Lua, v: &LuaValue) -> mlua::Result<Vec<Column>> {
    match v {
        LuaValue::String(s) => Ok(vec![Column::Name(s.to_str()?.to_string())]),
        // `select(1)`: a number is SQL, as in Knex.
        LuaValue::Integer(i) => Ok(vec![Column::Raw(Raw::verbatim(i.to_string()))]),
        LuaValue::Table(t) if t.raw_len() > 0 => {
            let mut out = Vec::new();
            for item in t.sequence_values::<LuaValue>() {
                out.extend(columns_of(lua, &item?)?);
            }
            Ok(out)
        }
        LuaValue::Table(t) => Ok(sorted_pairs(lua, t, "select")?
            .into_iter()
            .map(|(alias, v)| match v {
                LuaValue::String(s) => Ok(Column::Aliased {
                    column: s.to_str()?.to_string(),
                    alias,
                }),
                other => match as_subquery_or_raw(&other) {
                    Some((raw, true)) => Ok(Column::Sub {
                        sql: raw,
                        alias: Some(alias),
                    }),
                    Some((raw, false)) => Ok(Column::Raw(Raw::new(
                        format!("{} as {}", raw.sql, crate::sql::quote_ident(&alias)),
                        raw.bindings,
                    ))),
                    None => Err(usage_error(
                        lua,
                        format!(
                            "`select` expects {{ alias = \"column\" }}, got {}",
                            describe(&other)
                        ),
                    )),
                },
            })
            .collect::<mlua::Result<_>>()?),
        LuaValue::UserData(ud) if ud.is::<QueryBuilder>() => {
            let alias = ud.borrow::<QueryBuilder>()?.query.alias.clone();
            let sql = as_subquery(v).ok_or_else(|| usage_error(lua, "invalid subquery"))?;
            Ok(vec![Column::Sub { sql, alias }])
        }
        other => match as_raw(other) {
            Some(raw) => Ok(vec![Column::Raw(raw)]),
            None => Err(usage_error(
                lua,
                format!("`select` expects column names, got {}", describe(other)),
            )),
        },
    }
}

/// `(raw, is_query_builder)`.
pub(super) fn as_subquery_or_raw(v: &LuaValue) -> Option<(Raw, bool)> {
    match v {
        LuaValue::UserData(ud) if ud.is::<QueryBuilder>() => as_subquery(v).map(|r| (r, true)),
        other => as_raw(other).map(|r| (r, false)),
    }
}

pub(super) fn aggregate(
    lua: &Lua,
    function: &str,
    distinct: bool,
    args: &[LuaValue],
) -> mlua::Result<Column> {
    // Knex's options form: `count("id", { as = "total" })`.
    let (args, as_option) = match args.split_last() {
        Some((LuaValue::Table(t), rest)) if !rest.is_empty() => {
            let o: AggregateOptions = crate::lua::call::options_from(lua, function, t)?;
            (rest, Some(o.alias))
        }
        _ => (args, None),
    };
    let (arg, alias) = match args.first() {
        None | Some(LuaValue::Nil) => (AggregateArg::All, None),
        Some(LuaValue::String(s)) => {
            let mut cols = vec![s.to_str()?.to_string()];
            for extra in &args[1..] {
                cols.push(string_arg(lua, Some(extra), function, "a column name")?);
            }
            if cols.len() == 1 && cols[0].trim_start().starts_with('*') {
                let alias = cols[0]
                    .to_ascii_lowercase()
                    .find(" as ")
                    .map(|at| cols[0][at + 4..].trim().to_string());
                (AggregateArg::All, alias)
            } else {
                (AggregateArg::Columns(cols), None)
            }
        }
        Some(LuaValue::Table(t)) => {
            let mut pairs = sorted_pairs(lua, t, function)?;
            if pairs.len() != 1 {
                return Err(usage_error(
                    lua,
                    format!("`{function}` expects one {{ alias = \"column\" }} pair"),
                ));
            }
            let (alias, column) = pairs.remove(0);
            let arg = match &column {
                LuaValue::String(s) if s.to_str()?.as_ref() == "*" => AggregateArg::All,
                LuaValue::String(s) => AggregateArg::Columns(vec![s.to_str()?.to_string()]),
                other => match as_raw(other) {
                    Some(raw) => AggregateArg::Raw(raw),
                    None => {
                        return Err(usage_error(
                            lua,
                            format!("`{function}` expects a column name"),
                        ))
                    }
                },
            };
            (arg, Some(alias))
        }
        Some(other) => match as_raw(other) {
            Some(raw) => (AggregateArg::Raw(raw), None),
            None => {
                return Err(usage_error(
                    lua,
                    format!(
                        "`{function}` expects a column name, got {}",
                        describe(other)
                    ),
                ))
            }
        },
    };
    Ok(Column::Aggregate {
        function: function.to_string(),
        distinct,
        arg,
        alias: as_option.or(alias),
    })
}

/// The options table of an aggregate (`{ as = "total" }`).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AggregateOptions {
    #[serde(rename = "as")]
    alias: String,
}

pub(super) fn source_of(lua: &Lua, v: Option<&LuaValue>, method: &str) -> mlua::Result<Source> {
    match v {
        Some(LuaValue::String(s)) => Ok(Source::Table(s.to_str()?.to_string())),
        Some(v @ LuaValue::UserData(ud)) if ud.is::<QueryBuilder>() => {
            let alias = ud.borrow::<QueryBuilder>()?.query.alias.clone();
            let sql = as_subquery(v).ok_or_else(|| usage_error(lua, "invalid subquery"))?;
            Ok(Source::Sub { sql, alias })
        }
        Some(v) => match as_raw(v) {
            Some(raw) => Ok(Source::Raw(raw)),
            None => Err(usage_error(
                lua,
                format!("`{method}` expects a table name, got {}", describe(v)),
            )),
        },
        None => Err(usage_error(lua, format!("`{method}` expects a table name"))),
    }
}

/// A query from a builder, a `knex.raw`, or a function filling a fresh builder.
pub(super) fn subquery_arg(lua: &Lua, v: Option<&LuaValue>, method: &str) -> mlua::Result<Raw> {
    match v {
        Some(LuaValue::Function(f)) => {
            let query = run_callback(lua, f)?;
            query.to_raw().map_err(|e| usage_error(lua, e.to_string()))
        }
        Some(v) => as_raw(v).ok_or_else(|| {
            usage_error(
                lua,
                format!(
                    "`{method}` expects a query (knex(...)), got {}",
                    describe(v)
                ),
            )
        }),
        None => Err(usage_error(lua, format!("`{method}` expects a query"))),
    }
}

/// Calls `f(q)` with a fresh builder and returns what it built.
pub(super) fn run_callback(lua: &Lua, f: &Function) -> mlua::Result<Query> {
    let ud = lua.create_userdata(QueryBuilder::inner())?;
    f.call::<()>(ud.clone())?;
    let query = std::mem::take(&mut ud.borrow_mut::<QueryBuilder>()?.query);
    Ok(query)
}

/// The (key, value) pairs of a table with string keys, sorted by key: a Lua
/// table has no order, and sorted keys make the SQL the same on every run.
pub(super) fn sorted_pairs(
    lua: &Lua,
    t: &Table,
    method: &str,
) -> mlua::Result<Vec<(String, LuaValue)>> {
    let mut out = Vec::new();
    t.for_each(|k: LuaValue, v: LuaValue| {
        out.push((key_name(lua, &k, method)?, v));
        Ok(())
    })?;
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

pub(super) fn key_name(lua: &Lua, k: &LuaValue, method: &str) -> mlua::Result<String> {
    match k {
        LuaValue::String(s) => Ok(s.to_str()?.to_string()),
        other => Err(usage_error(
            lua,
            format!(
                "`{method}` expects column names as keys ({{ name = value }}), got the key {}",
                describe(other)
            ),
        )),
    }
}

/// The arguments of `whereRaw(sql, bindings)` and friends.
pub(super) fn raw_args(lua: &Lua, args: &[LuaValue], method: &str) -> mlua::Result<Raw> {
    match args.first() {
        Some(LuaValue::String(s)) => compile_raw(lua, &s.to_str()?, args.get(1).cloned()),
        Some(v) => as_raw(v).ok_or_else(|| {
            usage_error(
                lua,
                format!("`{method}` expects SQL text, got {}", describe(v)),
            )
        }),
        None => Err(usage_error(lua, format!("`{method}` expects SQL text"))),
    }
}

/// `where` in all its forms (SPEC §7.2, reference §6.5).
pub(super) fn add_where(
    lua: &Lua,
    list: &mut Vec<Clause>,
    method: &str,
    or: bool,
    not: bool,
    args: &[LuaValue],
) -> mlua::Result<()> {
    let clause = |cond| Clause { or, not, cond };
    match args {
        [LuaValue::Function(f)] => {
            let inner = run_callback(lua, f)?;
            // `having(function(q) q:having(…) end)` groups havings; `where` groups wheres.
            let group = if method.contains("aving") && !inner.havings.is_empty() {
                inner.havings
            } else {
                inner.wheres
            };
            list.push(clause(Cond::Group(group)));
        }
        [LuaValue::Table(t)] => {
            let pairs = sorted_pairs(lua, t, method)?;
            let mut conds = Vec::with_capacity(pairs.len());
            for (column, v) in pairs {
                conds.push(Query::where_eq(&column, operand(lua, &v)?));
            }
            if or && !not {
                // Knex groups `orWhere({ a = 1, b = 2 })` as `or (a and b)`.
                let group = conds
                    .into_iter()
                    .map(|cond| Clause {
                        or: false,
                        not: false,
                        cond,
                    })
                    .collect();
                list.push(clause(Cond::Group(group)));
            } else {
                list.extend(conds.into_iter().map(clause));
            }
        }
        [single] => match as_raw(single) {
            Some(raw) => list.push(clause(Cond::Raw(raw))),
            None => {
                return Err(usage_error(
                    lua,
                    format!(
                        "`{method}` expects (column, value), (column, operator, value), a table or a function, got {}",
                        describe(single)
                    ),
                ))
            }
        },
        [column, value] => {
            let left = column_operand(lua, Some(column), method)?;
            let value = operand(lua, value_arg(lua, Some(value), method)?)?;
            let cond = match (left, value.is_null()) {
                (Operand::Ident(c), true) => Cond::Null(c),
                (left, _) => Cond::Compare {
                    left,
                    op: "=".into(),
                    right: value,
                },
            };
            list.push(clause(cond));
        }
        [column, op, value] => {
            let op = string_arg(lua, Some(op), method, "an operator")?;
            let value = value_arg(lua, Some(value), method)?;
            let lower = op.trim().to_lowercase();
            let cond = match lower.as_str() {
                "in" | "not in" => {
                    let in_clause = in_cond(lua, method, &[column.clone(), value.clone()])?;
                    list.push(Clause {
                        or,
                        not: not ^ (lower == "not in"),
                        cond: in_clause,
                    });
                    return Ok(());
                }
                "is" | "is not" if is_null_marker(value) => {
                    let c = string_arg(lua, Some(column), method, "a column name")?;
                    list.push(Clause {
                        or,
                        not: not ^ (lower == "is not"),
                        cond: Cond::Null(c),
                    });
                    return Ok(());
                }
                _ => Cond::Compare {
                    left: column_operand(lua, Some(column), method)?,
                    op: checked_operator(lua, &op)?,
                    right: operand(lua, value)?,
                },
            };
            list.push(clause(cond));
        }
        _ => {
            return Err(usage_error(
                lua,
                format!("`{method}` takes 1 to 3 arguments, got {}", args.len()),
            ))
        }
    }
    Ok(())
}

pub(super) fn in_cond(lua: &Lua, method: &str, args: &[LuaValue]) -> mlua::Result<Cond> {
    let columns = match args.first() {
        Some(v @ LuaValue::Table(_)) => names(lua, v, method)?,
        v => vec![string_arg(lua, v, method, "a column name")?],
    };
    let values = value_arg(lua, args.get(1), method)?;
    let list = match values {
        LuaValue::Function(f) => {
            let query = run_callback(lua, f)?;
            InList::Sub(
                query
                    .to_raw()
                    .map_err(|e| usage_error(lua, e.to_string()))?,
            )
        }
        LuaValue::Table(t) if columns.len() > 1 => {
            let mut rows = Vec::new();
            for row in t.sequence_values::<LuaValue>() {
                match row? {
                    LuaValue::Table(r) => rows.push(
                        r.sequence_values::<LuaValue>()
                            .map(|v| operand(lua, &v?))
                            .collect::<mlua::Result<Vec<_>>>()?,
                    ),
                    other => {
                        return Err(usage_error(
                            lua,
                            format!(
                                "`{method}` on several columns expects a list of tuples, got {}",
                                describe(&other)
                            ),
                        ))
                    }
                }
            }
            InList::Tuples(rows)
        }
        LuaValue::Table(t) => InList::Values(
            t.sequence_values::<LuaValue>()
                .map(|v| operand(lua, &v?))
                .collect::<mlua::Result<Vec<_>>>()?,
        ),
        other => match as_raw(other) {
            Some(raw) => InList::Sub(raw),
            None => {
                return Err(usage_error(
                    lua,
                    format!(
                        "`{method}` expects a list of values or a query, got {}",
                        describe(other)
                    ),
                ))
            }
        },
    };
    Ok(Cond::In { columns, list })
}

pub(super) fn between(lua: &Lua, method: &str, args: &[LuaValue]) -> mlua::Result<Cond> {
    let column = string_arg(lua, args.first(), method, "a column name")?;
    let range = match args.get(1) {
        Some(LuaValue::Table(t)) if t.raw_len() == 2 => t,
        other => {
            return Err(usage_error(
                lua,
                format!(
                    "`{method}` expects a range {{ low, high }}, got {}",
                    describe(other.unwrap_or(&LuaValue::Nil))
                ),
            ))
        }
    };
    Ok(Cond::Between {
        column,
        low: operand(lua, &range.raw_get::<LuaValue>(1)?)?,
        high: operand(lua, &range.raw_get::<LuaValue>(2)?)?,
    })
}

pub(super) fn orders_of(lua: &Lua, args: &[LuaValue]) -> mlua::Result<Vec<Order>> {
    let direction = |v: Option<&LuaValue>| -> mlua::Result<&'static str> {
        Ok(match v {
            Some(LuaValue::String(s)) if s.to_str()?.eq_ignore_ascii_case("desc") => "desc",
            _ => "asc",
        })
    };
    let nulls = |v: Option<&LuaValue>| -> mlua::Result<Option<&'static str>> {
        Ok(match v {
            Some(LuaValue::String(s)) => match s.to_str()?.to_ascii_lowercase().as_str() {
                "first" => Some("first"),
                "last" => Some("last"),
                _ => None,
            },
            _ => None,
        })
    };
    match args.first() {
        Some(LuaValue::Table(t)) => {
            let mut out = Vec::new();
            for item in t.sequence_values::<LuaValue>() {
                match item? {
                    LuaValue::Table(spec) => {
                        let column: LuaValue = spec.get("column")?;
                        out.push(Order {
                            target: column_operand(lua, Some(&column), "orderBy")?,
                            direction: Some(direction(Some(&spec.get("order")?))?),
                            nulls: nulls(Some(&spec.get("nulls")?))?,
                        });
                    }
                    other => out.push(Order {
                        target: column_operand(lua, Some(&other), "orderBy")?,
                        direction: Some("asc"),
                        nulls: None,
                    }),
                }
            }
            Ok(out)
        }
        first => Ok(vec![Order {
            target: column_operand(lua, first, "orderBy")?,
            direction: Some(direction(args.get(1))?),
            nulls: nulls(args.get(2))?,
        }]),
    }
}

pub(super) fn cte_of(
    lua: &Lua,
    method: &str,
    recursive: bool,
    materialized: Option<bool>,
    args: &[LuaValue],
) -> mlua::Result<Cte> {
    let name = string_arg(lua, args.first(), method, "a name")?;
    let (columns, body) = match args {
        [_, cols @ LuaValue::Table(_), body] => (names(lua, cols, method)?, body),
        [_, body] => (Vec::new(), body),
        _ => {
            return Err(usage_error(
                lua,
                format!("`{method}` expects (name, query) or (name, columns, query)"),
            ))
        }
    };
    let body = match body {
        LuaValue::String(s) => Raw::verbatim(s.to_str()?.to_string()),
        other => subquery_arg(lua, Some(other), method)?,
    };
    Ok(Cte {
        name,
        columns,
        body,
        recursive,
        materialized,
    })
}
