//! The `knex(table)` query builder userdata: one chaining method per Knex
//! method, each recording into a [`Query`]; `:toSQL()` and `:run()`.

use super::*;

/// `knex("users")`: a query being built.
pub struct QueryBuilder {
    pub query: Query,
    pub(super) used: Rc<Cell<bool>>,
    pub(super) location: Option<String>,
}

impl QueryBuilder {
    /// A builder that counts as pending until run or used.
    pub(super) fn tracked(lua: &Lua, query: Query) -> QueryBuilder {
        let (used, location) = track(lua);
        QueryBuilder {
            query,
            used,
            location,
        }
    }

    /// A builder handed to a callback (`where(function(q) … end)`): never pending.
    pub(super) fn inner() -> QueryBuilder {
        QueryBuilder {
            query: Query::default(),
            used: Rc::new(Cell::new(true)),
            location: None,
        }
    }
}

pub(super) type Args = Vec<LuaValue>;

/// Registers a chaining method: `f` edits the query, the builder is returned.
/// The query is moved out while `f` runs, so a callback `f` calls into Lua
/// (a grouped `where`) never meets a borrowed builder.
pub(super) fn chain<M, F>(methods: &mut M, name: &'static str, f: F)
where
    M: UserDataMethods<QueryBuilder>,
    F: Fn(&Lua, &mut Query, Args) -> mlua::Result<()> + 'static,
{
    debug_assert!(
        QUERY_METHODS.contains(&name),
        "{name} missing from QUERY_METHODS"
    );
    methods.add_function(name, move |lua, (ud, args): (AnyUserData, MultiValue)| {
        let mut query = std::mem::take(&mut ud.borrow_mut::<QueryBuilder>()?.query);
        let result = f(lua, &mut query, args.into_iter().collect());
        ud.borrow_mut::<QueryBuilder>()?.query = query;
        result.map(|()| ud)
    });
}

impl UserData for QueryBuilder {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        // Select list.
        for name in ["select", "column", "columns"] {
            chain(m, name, |lua, q, args| {
                for a in &args {
                    q.columns.extend(columns_of(lua, a)?);
                }
                Ok(())
            });
        }
        chain(m, "distinct", |lua, q, args| {
            q.distinct = true;
            for a in &args {
                q.columns.extend(columns_of(lua, a)?);
            }
            Ok(())
        });
        chain(m, "distinctOn", |lua, q, args| {
            for a in &args {
                q.distinct_on.extend(names(lua, a, "distinctOn")?);
            }
            Ok(())
        });
        chain(m, "first", |lua, q, args| {
            for a in &args {
                q.columns.extend(columns_of(lua, a)?);
            }
            q.method = Method::First;
            q.limit = Some(Limit {
                value: 1,
                skip_binding: false,
            });
            Ok(())
        });
        chain(m, "pluck", |lua, q, args| {
            let column = string_arg(lua, args.first(), "pluck", "a column name")?;
            q.columns = vec![Column::Name(column.clone())];
            q.method = Method::Pluck(column);
            Ok(())
        });
        for (name, function, distinct) in [
            ("count", "count", false),
            ("countDistinct", "count", true),
            ("min", "min", false),
            ("max", "max", false),
            ("sum", "sum", false),
            ("sumDistinct", "sum", true),
            ("avg", "avg", false),
            ("avgDistinct", "avg", true),
        ] {
            chain(m, name, move |lua, q, args| {
                q.columns.push(aggregate(lua, function, distinct, &args)?);
                Ok(())
            });
        }
        chain(m, "jsonExtract", |lua, q, args| {
            let column = string_arg(lua, args.first(), "jsonExtract", "a column name")?;
            let path = string_arg(lua, args.get(1), "jsonExtract", "a JSON path")?;
            let mut sql = format!("jsonb_path_query({}, ?)", crate::sql::raw::wrap(&column));
            if let Some(LuaValue::String(alias)) = args.get(2) {
                sql.push_str(" as ");
                sql.push_str(&crate::sql::quote_ident(&alias.to_str()?));
            }
            q.columns
                .push(Column::Raw(Raw::new(sql, vec![Value::Text(path)])));
            Ok(())
        });

        // Tables.
        for name in ["from", "into", "table"] {
            chain(m, name, move |lua, q, args| {
                q.from = Some(source_of(lua, args.first(), name)?);
                Ok(())
            });
        }
        chain(m, "withSchema", |lua, q, args| {
            q.schema = Some(string_arg(
                lua,
                args.first(),
                "withSchema",
                "a schema name",
            )?);
            Ok(())
        });
        chain(m, "as", |lua, q, args| {
            q.alias = Some(string_arg(lua, args.first(), "as", "an alias")?);
            Ok(())
        });

        // Where.
        for (name, or, not) in [
            ("where", false, false),
            ("andWhere", false, false),
            ("orWhere", true, false),
            ("whereNot", false, true),
            ("andWhereNot", false, true),
            ("orWhereNot", true, true),
        ] {
            chain(m, name, move |lua, q, args| {
                add_where(lua, &mut q.wheres, name, or, not, &args)
            });
        }
        for (name, or, not) in [
            ("whereIn", false, false),
            ("orWhereIn", true, false),
            ("whereNotIn", false, true),
            ("orWhereNotIn", true, true),
            ("havingIn", false, false),
            ("havingNotIn", false, true),
        ] {
            chain(m, name, move |lua, q, args| {
                let clause = Clause {
                    or,
                    not,
                    cond: in_cond(lua, name, &args)?,
                };
                target(q, name).push(clause);
                Ok(())
            });
        }
        for (name, or, not) in [
            ("whereNull", false, false),
            ("orWhereNull", true, false),
            ("whereNotNull", false, true),
            ("orWhereNotNull", true, true),
            ("havingNull", false, false),
            ("havingNotNull", false, true),
        ] {
            chain(m, name, move |lua, q, args| {
                let column = string_arg(lua, args.first(), name, "a column name")?;
                target(q, name).push(Clause {
                    or,
                    not,
                    cond: Cond::Null(column),
                });
                Ok(())
            });
        }
        for (name, or, not) in [
            ("whereBetween", false, false),
            ("orWhereBetween", true, false),
            ("whereNotBetween", false, true),
            ("orWhereNotBetween", true, true),
            ("havingBetween", false, false),
            ("havingNotBetween", false, true),
        ] {
            chain(m, name, move |lua, q, args| {
                let cond = between(lua, name, &args)?;
                target(q, name).push(Clause { or, not, cond });
                Ok(())
            });
        }
        for (name, or, op) in [
            ("whereLike", false, "like"),
            ("orWhereLike", true, "like"),
            ("whereILike", false, "ilike"),
            ("orWhereILike", true, "ilike"),
        ] {
            chain(m, name, move |lua, q, args| {
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
                Ok(())
            });
        }
        for (name, or, not) in [
            ("whereExists", false, false),
            ("orWhereExists", true, false),
            ("whereNotExists", false, true),
            ("orWhereNotExists", true, true),
        ] {
            chain(m, name, move |lua, q, args| {
                let sub = subquery_arg(lua, args.first(), name)?;
                q.wheres.push(Clause {
                    or,
                    not,
                    cond: Cond::Exists(sub),
                });
                Ok(())
            });
        }
        for (name, or) in [
            ("whereRaw", false),
            ("orWhereRaw", true),
            ("havingRaw", false),
            ("orHavingRaw", true),
        ] {
            chain(m, name, move |lua, q, args| {
                let raw = raw_args(lua, &args, name)?;
                target(q, name).push(Clause {
                    or,
                    not: false,
                    cond: Cond::Raw(raw),
                });
                Ok(())
            });
        }
        for (name, or) in [("whereColumn", false), ("orWhereColumn", true)] {
            chain(m, name, move |lua, q, args| {
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
                q.wheres.push(Clause {
                    or,
                    not: false,
                    cond,
                });
                Ok(())
            });
        }
        chain(m, "whereJsonPath", |lua, q, args| {
            let column = string_arg(lua, args.first(), "whereJsonPath", "a column name")?;
            let path = string_arg(lua, args.get(1), "whereJsonPath", "a JSON path")?;
            let op = string_arg(lua, args.get(2), "whereJsonPath", "an operator")?;
            let value = to_value(lua, value_arg(lua, args.get(3), "whereJsonPath")?)?;
            q.and_where(Cond::JsonPath {
                column,
                path,
                op: checked_operator(lua, &op)?,
                value,
            });
            Ok(())
        });
        for (name, op) in [
            ("whereJsonObject", "="),
            ("whereJsonSupersetOf", "@>"),
            ("whereJsonSubsetOf", "<@"),
        ] {
            chain(m, name, move |lua, q, args| {
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
                // Knex binds the JSON text, which no parameter type turns into an array.
                q.and_where(Cond::Compare {
                    left: Operand::Ident(column),
                    op: op.into(),
                    right: Operand::Value(Value::Text(json.to_string())),
                });
                Ok(())
            });
        }

        // Joins.
        for (name, kind) in [
            ("join", "inner join"),
            ("innerJoin", "inner join"),
            ("leftJoin", "left join"),
            ("leftOuterJoin", "left outer join"),
            ("rightJoin", "right join"),
            ("rightOuterJoin", "right outer join"),
            ("fullOuterJoin", "full outer join"),
            ("crossJoin", "cross join"),
        ] {
            chain(m, name, move |lua, q, args| {
                let join = join_of(lua, name, kind, &args)?;
                q.joins.push(JoinItem::Table(join));
                Ok(())
            });
        }
        chain(m, "joinRaw", |lua, q, args| {
            q.joins
                .push(JoinItem::Raw(raw_args(lua, &args, "joinRaw")?));
            Ok(())
        });

        // Order, group, having.
        chain(m, "orderBy", |lua, q, args| {
            q.orders.extend(orders_of(lua, &args)?);
            Ok(())
        });
        chain(m, "orderByRaw", |lua, q, args| {
            q.orders.push(Order {
                target: Operand::Raw(raw_args(lua, &args, "orderByRaw")?),
                direction: None,
                nulls: None,
            });
            Ok(())
        });
        chain(m, "groupBy", |lua, q, args| {
            for a in &args {
                match as_raw(a) {
                    Some(raw) => q.groups.push(Operand::Raw(raw)),
                    None => q
                        .groups
                        .extend(names(lua, a, "groupBy")?.into_iter().map(Operand::Ident)),
                }
            }
            Ok(())
        });
        chain(m, "groupByRaw", |lua, q, args| {
            q.groups
                .push(Operand::Raw(raw_args(lua, &args, "groupByRaw")?));
            Ok(())
        });
        for (name, or) in [("having", false), ("orHaving", true)] {
            chain(m, name, move |lua, q, args| {
                add_where(lua, &mut q.havings, name, or, false, &args)
            });
        }

        // Limit and offset.
        chain(m, "limit", |lua, q, args| {
            q.limit = match args.first() {
                None | Some(LuaValue::Nil) => None,
                Some(v) => Some(Limit {
                    value: integer_arg(lua, v, "limit")?,
                    skip_binding: option_flag(args.get(1), "skipBinding")?,
                }),
            };
            Ok(())
        });
        chain(m, "offset", |lua, q, args| {
            q.offset = match args.first() {
                None | Some(LuaValue::Nil) => None,
                Some(v) => Some(integer_arg(lua, v, "offset")?),
            };
            Ok(())
        });

        // Writes.
        chain(m, "insert", |lua, q, args| {
            let data = args.first().unwrap_or(&LuaValue::Nil);
            q.method = Method::Insert;
            q.insert = Some(match data {
                LuaValue::UserData(_) => {
                    InsertBody::Select(subquery_arg(lua, Some(data), "insert")?)
                }
                LuaValue::Table(t) => InsertBody::Rows(rows_of(lua, t, "insert")?),
                other => {
                    return Err(usage_error(
                        lua,
                        format!(
                            "`insert` expects a row ({{ col = value }}) or a list of rows, got {}",
                            describe(other)
                        ),
                    ))
                }
            });
            if let Some(r) = args.get(1).filter(|v| !v.is_nil()) {
                q.returning = names(lua, r, "insert")?;
            }
            Ok(())
        });
        chain(m, "update", |lua, q, args| {
            q.method = Method::Update;
            let returning = match args.first() {
                Some(LuaValue::Table(t)) => {
                    for (column, value) in pairs_of(lua, t, "update")? {
                        q.sets.push((column, SetExpr::Value(value)));
                    }
                    args.get(1)
                }
                Some(LuaValue::String(c)) => {
                    let value = operand(lua, value_arg(lua, args.get(1), "update")?)?;
                    q.sets
                        .push((c.to_str()?.to_string(), SetExpr::Value(value)));
                    args.get(2)
                }
                other => {
                    return Err(usage_error(
                        lua,
                        format!(
                            "`update` expects {{ col = value }} or (column, value), got {}",
                            describe(other.unwrap_or(&LuaValue::Nil))
                        ),
                    ))
                }
            };
            if let Some(r) = returning.filter(|v| !v.is_nil()) {
                q.returning = names(lua, r, "update")?;
            }
            Ok(())
        });
        for name in ["del", "delete"] {
            chain(m, name, move |lua, q, args| {
                q.method = Method::Delete;
                if let Some(r) = args.first().filter(|v| !v.is_nil()) {
                    q.returning = names(lua, r, name)?;
                }
                Ok(())
            });
        }
        chain(m, "truncate", |_, q, _| {
            q.method = Method::Truncate;
            Ok(())
        });
        chain(m, "returning", |lua, q, args| {
            q.returning.clear();
            for a in args.iter().take(1) {
                q.returning.extend(names(lua, a, "returning")?);
            }
            Ok(())
        });
        chain(m, "onConflict", |lua, q, args| {
            let target = match args.first() {
                None | Some(LuaValue::Nil) => ConflictTarget::None,
                Some(v) => match as_raw(v) {
                    Some(raw) => ConflictTarget::Raw(raw),
                    None => ConflictTarget::Columns(names(lua, v, "onConflict")?),
                },
            };
            q.on_conflict = Some(OnConflict {
                target,
                action: None,
            });
            Ok(())
        });
        chain(m, "merge", |lua, q, args| {
            let action = match args.first() {
                None | Some(LuaValue::Nil) => ConflictAction::MergeAll,
                Some(LuaValue::Table(t)) if t.raw_len() > 0 => {
                    ConflictAction::MergeColumns(names(lua, &LuaValue::Table(t.clone()), "merge")?)
                }
                Some(LuaValue::Table(t)) => ConflictAction::MergeValues(pairs_of(lua, t, "merge")?),
                Some(v) => ConflictAction::MergeColumns(names(lua, v, "merge")?),
            };
            conflict(lua, q, "merge")?.action = Some(action);
            Ok(())
        });
        chain(m, "ignore", |lua, q, _| {
            conflict(lua, q, "ignore")?.action = Some(ConflictAction::Ignore);
            Ok(())
        });
        for (name, sign) in [("increment", "+"), ("decrement", "-")] {
            chain(m, name, move |lua, q, args| {
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
                Ok(())
            });
        }
        chain(m, "updateFrom", |lua, q, args| {
            q.update_from = Some(string_arg(lua, args.first(), "updateFrom", "a table name")?);
            Ok(())
        });
        chain(m, "upsert", |lua, _, _| {
            Err(usage_error(
                lua,
                "`upsert` is not supported on PostgreSQL (Knex neither): use `insert(...):onConflict(cols):merge()`",
            ))
        });

        // CTEs and unions.
        for (name, recursive, materialized) in [
            ("with", false, None),
            ("withRecursive", true, None),
            ("withMaterialized", false, Some(true)),
            ("withNotMaterialized", false, Some(false)),
        ] {
            chain(m, name, move |lua, q, args| {
                q.ctes
                    .push(cte_of(lua, name, recursive, materialized, &args)?);
                Ok(())
            });
        }
        for (name, all) in [("union", false), ("unionAll", true)] {
            chain(m, name, move |lua, q, args| {
                let wrap = matches!(args.last(), Some(LuaValue::Boolean(true)));
                for a in &args {
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
                Ok(())
            });
        }

        // Locks.
        for (name, mode) in [
            ("forUpdate", LockMode::Update),
            ("forShare", LockMode::Share),
            ("forNoKeyUpdate", LockMode::NoKeyUpdate),
            ("forKeyShare", LockMode::KeyShare),
        ] {
            chain(m, name, move |lua, q, args| {
                let mut tables = Vec::new();
                for a in &args {
                    tables.extend(names(lua, a, name)?);
                }
                q.lock = Some(Lock {
                    mode,
                    tables,
                    wait: None,
                });
                Ok(())
            });
        }
        for (name, wait) in [("skipLocked", "skip locked"), ("noWait", "nowait")] {
            chain(m, name, move |lua, q, _| match q.lock.as_mut() {
                Some(lock) => {
                    lock.wait = Some(wait);
                    Ok(())
                }
                None => Err(usage_error(
                    lua,
                    format!("`{name}` needs a lock first: `:forUpdate():{name}()`"),
                )),
            });
        }

        // Clearing and helpers.
        chain(m, "clearSelect", |_, q, _| {
            q.columns.clear();
            q.distinct = false;
            q.distinct_on.clear();
            if matches!(q.method, Method::First | Method::Pluck(_)) {
                q.method = Method::Select;
            }
            Ok(())
        });
        chain(m, "clearWhere", |_, q, _| {
            q.wheres.clear();
            Ok(())
        });
        chain(m, "clearOrder", |_, q, _| {
            q.orders.clear();
            Ok(())
        });
        chain(m, "clearGroup", |_, q, _| {
            q.groups.clear();
            Ok(())
        });
        chain(m, "clearHaving", |_, q, _| {
            q.havings.clear();
            Ok(())
        });
        // Knex's client-side timeout has no equivalent for a synchronous run; accepted
        // so ported code runs (use `SET LOCAL statement_timeout` to bound a query).
        chain(m, "timeout", |_, _, _| Ok(()));
        // Every statement already runs on the run's one connection and transaction.
        chain(m, "transacting", |_, _, _| Ok(()));
        chain(m, "columnInfo", |lua, q, args| {
            let column = match args.first() {
                None | Some(LuaValue::Nil) => None,
                v => Some(string_arg(lua, v, "columnInfo", "a column name")?),
            };
            q.method = Method::ColumnInfo(column);
            Ok(())
        });

        // Methods that do not chain.
        m.add_function(
            "modify",
            |_, (ud, f, rest): (AnyUserData, Function, MultiValue)| {
                let mut args = MultiValue::new();
                args.push_back(LuaValue::UserData(ud.clone()));
                args.extend(rest);
                f.call::<()>(args)?;
                Ok(ud)
            },
        );
        m.add_function("toSQL", |lua, ud: AnyUserData| {
            let b = ud.borrow::<QueryBuilder>()?;
            b.used.set(true);
            let raw = b
                .query
                .to_raw()
                .map_err(|e| usage_error(lua, e.to_string()))?;
            let t = to_sql_table(lua, &raw)?;
            t.raw_set("method", method_name(&b.query.method))?;
            Ok(t)
        });
        m.add_function("run", |lua, ud: AnyUserData| {
            // Compiled under the borrow (no Lua runs meanwhile), so the rows of a
            // large insert are not copied first.
            let (raw, method, returning, location) = {
                let b = ud.borrow::<QueryBuilder>()?;
                b.used.set(true);
                (
                    b.query.to_raw(),
                    b.query.method.clone(),
                    !b.query.returning.is_empty(),
                    b.location.clone(),
                )
            };
            let raw = raw.map_err(|e| usage_error(lua, e.to_string()))?;
            run_query(lua, raw, &method, returning, location)
        });
        m.add_meta_function(
            MetaMethod::Index,
            |lua, (_, key): (AnyUserData, LuaValue)| {
                Err::<(), _>(unknown_method(lua, "query builder", &key, QUERY_METHODS))
            },
        );
        m.add_meta_function(MetaMethod::ToString, |_, ud: AnyUserData| {
            let b = ud.borrow::<QueryBuilder>()?;
            Ok(match b.query.to_raw() {
                Ok(raw) => format!("knex query: {}", raw.sql),
                Err(e) => format!("knex query (invalid: {e})"),
            })
        });
    }
}

/// "unknown … method `wher`; did you mean `where`?"
pub(super) fn unknown_method(lua: &Lua, what: &str, key: &LuaValue, known: &[&str]) -> mlua::Error {
    let name = key
        .as_string()
        .map(|s| s.to_string_lossy())
        .unwrap_or_else(|| describe(key));
    let closest = known
        .iter()
        .map(|k| (edit_distance(&k.to_lowercase(), &name.to_lowercase()), *k))
        .min();
    let hint = match closest {
        Some((d, k)) if d <= 3 => format!("; did you mean `{k}`?"),
        _ => String::new(),
    };
    usage_error(lua, format!("unknown {what} method `{name}`{hint}"))
}

pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

pub(super) fn method_name(m: &Method) -> &'static str {
    match m {
        Method::Select | Method::ColumnInfo(_) => "select",
        Method::First => "first",
        Method::Pluck(_) => "pluck",
        Method::Insert => "insert",
        Method::Update => "update",
        Method::Delete => "del",
        Method::Truncate => "truncate",
    }
}

/// Which clause list a `where…` / `having…` method adds to.
pub(super) fn target<'q>(q: &'q mut Query, name: &str) -> &'q mut Vec<Clause> {
    if name.starts_with("having") || name.starts_with("orHaving") {
        &mut q.havings
    } else {
        &mut q.wheres
    }
}

pub(super) fn conflict<'q>(
    lua: &Lua,
    q: &'q mut Query,
    name: &str,
) -> mlua::Result<&'q mut OnConflict> {
    q.on_conflict.as_mut().ok_or_else(|| {
        usage_error(
            lua,
            format!(
                "`{name}` needs `onConflict(...)` first: `insert(...):onConflict(\"id\"):{name}()`"
            ),
        )
    })
}
