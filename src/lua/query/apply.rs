//! What each query builder method records into the [`Query`]: one arm per
//! operation of the catalogue (`crate::api::QUERY`). `name` is the method as
//! called (an alias included), for messages.

use super::*;
use crate::api::{Clauses, QueryOp};

/// Which clause list a `where…` / `having…` method adds to.
fn clauses(q: &mut Query, into: Clauses) -> &mut Vec<Clause> {
    match into {
        Clauses::Where => &mut q.wheres,
        Clauses::Having => &mut q.havings,
    }
}

/// Records one chaining call `name(args)` into `q`. `Modify`, `ToSql`,
/// `Run` and `Cursor` do not chain; the builder handles them before coming here.
pub(super) fn apply(
    lua: &Lua,
    q: &mut Query,
    op: QueryOp,
    name: &str,
    args: &[LuaValue],
) -> mlua::Result<()> {
    match op {
        QueryOp::Select => {
            for a in args {
                q.columns.extend(columns_of(lua, a)?);
            }
        }
        QueryOp::Distinct => {
            q.distinct = true;
            for a in args {
                q.columns.extend(columns_of(lua, a)?);
            }
        }
        QueryOp::DistinctOn => {
            for a in args {
                q.distinct_on.extend(names(lua, a, name)?);
            }
        }
        QueryOp::First => {
            for a in args {
                q.columns.extend(columns_of(lua, a)?);
            }
            q.method = Method::First;
            q.limit = Some(Limit {
                value: 1,
                skip_binding: false,
            });
        }
        QueryOp::Pluck => {
            let column = string_arg(lua, args.first(), name, "a column name")?;
            q.columns = vec![Column::Name(column.clone())];
            q.method = Method::Pluck(column);
        }
        QueryOp::Aggregate { function, distinct } => {
            q.columns.push(aggregate(lua, function, distinct, args)?);
        }
        QueryOp::JsonExtract => {
            let column = string_arg(lua, args.first(), name, "a column name")?;
            let path = string_arg(lua, args.get(1), name, "a JSON path")?;
            let mut sql = format!("jsonb_path_query({}, ?)", crate::sql::raw::wrap(&column));
            if let Some(LuaValue::String(alias)) = args.get(2) {
                sql.push_str(" as ");
                sql.push_str(&crate::sql::quote_ident(&alias.to_str()?));
            }
            q.columns
                .push(Column::Raw(Raw::new(sql, vec![Value::Text(path)])));
        }
        QueryOp::From => q.from = Some(source_of(lua, args.first(), name)?),
        QueryOp::WithSchema => {
            q.schema = Some(string_arg(lua, args.first(), name, "a schema name")?)
        }
        QueryOp::As => q.alias = Some(string_arg(lua, args.first(), name, "an alias")?),
        QueryOp::Where { or, not } => add_where(lua, &mut q.wheres, name, or, not, args)?,
        QueryOp::Having { or } => add_where(lua, &mut q.havings, name, or, false, args)?,
        QueryOp::In { or, not, into } => {
            let cond = in_cond(lua, name, args)?;
            clauses(q, into).push(Clause { or, not, cond });
        }
        QueryOp::Null { or, not, into } => {
            let column = string_arg(lua, args.first(), name, "a column name")?;
            clauses(q, into).push(Clause {
                or,
                not,
                cond: Cond::Null(column),
            });
        }
        QueryOp::Between { or, not, into } => {
            let cond = between(lua, name, args)?;
            clauses(q, into).push(Clause { or, not, cond });
        }
        QueryOp::Like { or, op } => {
            let left = column_operand(lua, args.first(), name)?;
            let right = operand(lua, value_arg(lua, args.get(1), name)?)?;
            q.wheres.push(Clause {
                or,
                not: false,
                cond: Cond::Compare {
                    left,
                    op: op.into(),
                    right,
                },
            });
        }
        QueryOp::Exists { or, not, into } => {
            let sub = subquery_arg(lua, args.first(), name)?;
            clauses(q, into).push(Clause {
                or,
                not,
                cond: Cond::Exists(sub),
            });
        }
        QueryOp::Raw { or, into } => {
            let raw = raw_args(lua, args, name)?;
            clauses(q, into).push(Clause {
                or,
                not: false,
                cond: Cond::Raw(raw),
            });
        }
        QueryOp::WhereColumn { or, not } => {
            let (left, op, right) = match args.len() {
                2 => (args.first(), "=".to_string(), args.get(1)),
                _ => (
                    args.first(),
                    string_arg(lua, args.get(1), name, "an operator")?,
                    args.get(2),
                ),
            };
            let cond = Cond::Compare {
                left: Operand::Ident(string_arg(lua, left, name, "a column name")?),
                op: checked_operator(lua, &op)?,
                right: Operand::Ident(string_arg(lua, right, name, "a column name")?),
            };
            q.wheres.push(Clause { or, not, cond });
        }
        QueryOp::JsonPath { or } => {
            let column = string_arg(lua, args.first(), name, "a column name")?;
            let path = string_arg(lua, args.get(1), name, "a JSON path")?;
            let op = string_arg(lua, args.get(2), name, "an operator")?;
            let value = to_value(lua, value_arg(lua, args.get(3), name)?)?;
            q.wheres.push(Clause {
                or,
                not: false,
                cond: Cond::JsonPath {
                    column,
                    path,
                    op: checked_operator(lua, &op)?,
                    value,
                },
            });
        }
        QueryOp::JsonCompare { op, or, not } => {
            let column = string_arg(lua, args.first(), name, "a column name")?;
            let json = match value_arg(lua, args.get(1), name)? {
                LuaValue::Table(t) => crate::lua::value::table_to_json(lua, t, 0)?,
                other => match to_value(lua, other)? {
                    Value::Text(s) => serde_json::from_str(&s)
                        .map_err(|e| usage_error(lua, format!("`{name}` expects JSON: {e}")))?,
                    v => {
                        return Err(usage_error(
                            lua,
                            format!("`{name}` expects a table, got {v:?}"),
                        ))
                    }
                },
            };
            // Knex writes a negated `whereJsonObject` as `!=`, the others with `not`.
            let (op, not) = match (op, not) {
                ("=", true) => ("!=", false),
                other => other,
            };
            // Knex binds the JSON text, which no parameter type turns into an array.
            q.wheres.push(Clause {
                or,
                not,
                cond: Cond::Compare {
                    left: Operand::Ident(column),
                    op: op.into(),
                    right: Operand::Value(Value::Text(json.to_string())),
                },
            });
        }
        QueryOp::Join { kind } => {
            let join = join_of(lua, name, kind, args)?;
            q.joins.push(JoinItem::Table(join));
        }
        QueryOp::JoinRaw => q.joins.push(JoinItem::Raw(raw_args(lua, args, name)?)),
        QueryOp::OrderBy => q.orders.extend(orders_of(lua, args)?),
        QueryOp::OrderByRaw => q.orders.push(Order {
            target: Operand::Raw(raw_args(lua, args, name)?),
            direction: None,
            nulls: None,
        }),
        QueryOp::GroupBy => {
            for a in args {
                match as_raw(a) {
                    Some(raw) => q.groups.push(Operand::Raw(raw)),
                    None => q
                        .groups
                        .extend(names(lua, a, name)?.into_iter().map(Operand::Ident)),
                }
            }
        }
        QueryOp::GroupByRaw => q.groups.push(Operand::Raw(raw_args(lua, args, name)?)),
        QueryOp::Limit => {
            q.limit = match args.first() {
                None | Some(LuaValue::Nil) => None,
                Some(v) => Some(Limit {
                    value: integer_arg(lua, v, name)?,
                    skip_binding: option_flag(args.get(1), "skipBinding")?,
                }),
            };
        }
        QueryOp::Offset => {
            q.offset = match args.first() {
                None | Some(LuaValue::Nil) => None,
                Some(v) => Some(integer_arg(lua, v, name)?),
            };
        }
        QueryOp::Insert => insert(lua, q, name, args)?,
        QueryOp::Update => update(lua, q, name, args)?,
        QueryOp::Delete => {
            q.method = Method::Delete;
            if let Some(r) = args.first().filter(|v| !v.is_nil()) {
                q.returning = names(lua, r, name)?;
            }
        }
        QueryOp::Truncate => q.method = Method::Truncate,
        QueryOp::Returning => {
            q.returning.clear();
            for a in args.iter().take(1) {
                q.returning.extend(names(lua, a, name)?);
            }
        }
        QueryOp::OnConflict => {
            let target = match args.first() {
                None | Some(LuaValue::Nil) => ConflictTarget::None,
                Some(v) => match as_raw(v) {
                    Some(raw) => ConflictTarget::Raw(raw),
                    None => ConflictTarget::Columns(names(lua, v, name)?),
                },
            };
            q.on_conflict = Some(OnConflict {
                target,
                action: None,
            });
        }
        QueryOp::Merge => {
            let action = match args.first() {
                None | Some(LuaValue::Nil) => ConflictAction::MergeAll,
                Some(LuaValue::Table(t)) if t.raw_len() > 0 => {
                    ConflictAction::MergeColumns(names(lua, &LuaValue::Table(t.clone()), name)?)
                }
                Some(LuaValue::Table(t)) => ConflictAction::MergeValues(pairs_of(lua, t, name)?),
                Some(v) => ConflictAction::MergeColumns(names(lua, v, name)?),
            };
            conflict(lua, q, name)?.action = Some(action);
        }
        QueryOp::Ignore => conflict(lua, q, name)?.action = Some(ConflictAction::Ignore),
        QueryOp::Step { sign } => {
            q.method = Method::Update;
            match args.first() {
                Some(LuaValue::Table(t)) => {
                    for (column, amount) in pairs_of(lua, t, name)? {
                        q.sets.push((column, SetExpr::Step(sign, amount)));
                    }
                }
                first => {
                    let column = string_arg(lua, first, name, "a column name")?;
                    let amount = match args.get(1) {
                        None | Some(LuaValue::Nil) => Operand::Value(Value::Int(1)),
                        Some(v) => operand(lua, v)?,
                    };
                    q.sets.push((column, SetExpr::Step(sign, amount)));
                }
            }
        }
        QueryOp::UpdateFrom => {
            q.update_from = Some(string_arg(lua, args.first(), name, "a table name")?)
        }
        QueryOp::Upsert => {
            return Err(usage_error(
                lua,
                "`upsert` is not supported on PostgreSQL (Knex neither): use `insert(...):onConflict(cols):merge()`",
            ))
        }
        QueryOp::With {
            recursive,
            materialized,
        } => q
            .ctes
            .push(cte_of(lua, name, recursive, materialized, args)?),
        QueryOp::Union { all } => {
            let wrap = matches!(args.last(), Some(LuaValue::Boolean(true)));
            for a in args {
                match a {
                    LuaValue::Boolean(_) => {}
                    LuaValue::Table(t) => {
                        for v in t.sequence_values::<LuaValue>() {
                            let body = subquery_arg(lua, Some(&v?), name)?;
                            q.unions.push(Union { all, body, wrap });
                        }
                    }
                    other => {
                        let body = subquery_arg(lua, Some(other), name)?;
                        q.unions.push(Union { all, body, wrap });
                    }
                }
            }
        }
        QueryOp::Lock(mode) => {
            let mut tables = Vec::new();
            for a in args {
                tables.extend(names(lua, a, name)?);
            }
            q.lock = Some(Lock {
                mode,
                tables,
                wait: None,
            });
        }
        QueryOp::LockWait(wait) => match q.lock.as_mut() {
            Some(lock) => lock.wait = Some(wait),
            None => {
                return Err(usage_error(
                    lua,
                    format!("`{name}` needs a lock first: `:forUpdate():{name}()`"),
                ))
            }
        },
        QueryOp::ClearSelect => {
            q.columns.clear();
            q.distinct = false;
            q.distinct_on.clear();
            if matches!(q.method, Method::First | Method::Pluck(_)) {
                q.method = Method::Select;
            }
        }
        QueryOp::ClearWhere => q.wheres.clear(),
        QueryOp::ClearOrder => q.orders.clear(),
        QueryOp::ClearGroup => q.groups.clear(),
        QueryOp::ClearHaving => q.havings.clear(),
        QueryOp::Clear => clear(lua, q, name, args)?,
        QueryOp::ClearCounters => q
            .sets
            .retain(|(_, set)| !matches!(set, SetExpr::Step(..))),
        QueryOp::FromRaw => q.from = Some(Source::Raw(raw_args(lua, args, name)?)),
        // Knex's client-side timeout has no equivalent for a synchronous run
        // (the file's `config.statementTimeout` bounds its statements); every statement
        // already runs on the run's one connection and transaction.
        QueryOp::Accepted => {}
        QueryOp::ColumnInfo => {
            let column = match args.first() {
                None | Some(LuaValue::Nil) => None,
                v => Some(string_arg(lua, v, name, "a column name")?),
            };
            q.method = Method::ColumnInfo(column);
        }
        QueryOp::Modify | QueryOp::Clone | QueryOp::ToSql | QueryOp::Run | QueryOp::Cursor => {
            return Err(usage_error(lua, format!("`{name}` does not chain")))
        }
    }
    Ok(())
}

fn insert(lua: &Lua, q: &mut Query, name: &str, args: &[LuaValue]) -> mlua::Result<()> {
    let data = args.first().unwrap_or(&LuaValue::Nil);
    q.method = Method::Insert;
    q.insert = Some(match data {
        LuaValue::UserData(_) => InsertBody::Select(subquery_arg(lua, Some(data), name)?),
        LuaValue::Table(t) => InsertBody::Rows(rows_of(lua, t, name)?),
        other => {
            return Err(usage_error(
                lua,
                format!(
                    "`{name}` expects a row ({{ col = value }}) or a list of rows, got {}",
                    describe(other)
                ),
            ))
        }
    });
    if let Some(r) = args.get(1).filter(|v| !v.is_nil()) {
        q.returning = names(lua, r, name)?;
    }
    Ok(())
}

fn update(lua: &Lua, q: &mut Query, name: &str, args: &[LuaValue]) -> mlua::Result<()> {
    q.method = Method::Update;
    let returning = match args.first() {
        Some(LuaValue::Table(t)) => {
            for (column, value) in pairs_of(lua, t, name)? {
                q.sets.push((column, SetExpr::Value(value)));
            }
            args.get(1)
        }
        Some(LuaValue::String(c)) => {
            let value = operand(lua, value_arg(lua, args.get(1), name)?)?;
            q.sets
                .push((c.to_str()?.to_string(), SetExpr::Value(value)));
            args.get(2)
        }
        other => {
            return Err(usage_error(
                lua,
                format!(
                    "`{name}` expects {{ col = value }} or (column, value), got {}",
                    describe(other.unwrap_or(&LuaValue::Nil))
                ),
            ))
        }
    };
    if let Some(r) = returning.filter(|v| !v.is_nil()) {
        q.returning = names(lua, r, name)?;
    }
    Ok(())
}

fn conflict<'q>(lua: &Lua, q: &'q mut Query, name: &str) -> mlua::Result<&'q mut OnConflict> {
    q.on_conflict.as_mut().ok_or_else(|| {
        usage_error(
            lua,
            format!(
                "`{name}` needs `onConflict(...)` first: `insert(...):onConflict(\"id\"):{name}()`"
            ),
        )
    })
}

/// `clear("select")`: Knex's generic form of the `clear…` methods.
fn clear(lua: &Lua, q: &mut Query, name: &str, args: &[LuaValue]) -> mlua::Result<()> {
    let what = string_arg(lua, args.first(), name, "a statement kind")?;
    let op = match what.as_str() {
        "select" | "columns" => QueryOp::ClearSelect,
        "where" => QueryOp::ClearWhere,
        "order" => QueryOp::ClearOrder,
        "group" => QueryOp::ClearGroup,
        "having" => QueryOp::ClearHaving,
        "counter" | "counters" => QueryOp::ClearCounters,
        other => {
            return Err(usage_error(
                lua,
                format!(
                    "`{name}` clears one of \"select\", \"where\", \"order\", \"group\", \"having\", \"counters\", not {other:?}"
                ),
            ))
        }
    };
    apply(lua, q, op, name, &[])
}
