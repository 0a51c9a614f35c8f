//! The `knex(table)` query builder userdata: one method per entry of the
//! catalogue (`crate::api::QUERY`), each recording into a [`Query`]
//! ([`apply`](super::apply)); `:modify()`, `:toSQL()` and `:run()`.

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

impl UserData for QueryBuilder {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        add_methods(m, Builder::Query, api::QUERY, call, not_a_method);
        m.add_meta_function(MetaMethod::ToString, |_, ud: AnyUserData| {
            let b = ud.borrow::<QueryBuilder>()?;
            Ok(match b.query.to_raw() {
                Ok(raw) => format!("knex query: {}", raw.sql),
                Err(e) => format!("knex query (invalid: {e})"),
            })
        });
    }
}

/// Runs one catalogue method on the builder `ud`.
fn call(
    lua: &Lua,
    ud: AnyUserData,
    method: &'static api::Method<QueryOp>,
    args: MultiValue,
) -> mlua::Result<LuaValue> {
    match method.op {
        QueryOp::Modify => {
            let mut rest = args.into_iter();
            let f = match rest.next() {
                Some(LuaValue::Function(f)) => f,
                other => {
                    return Err(usage_error(
                        lua,
                        format!(
                            "`modify` expects a function, got {}",
                            describe(&other.unwrap_or(LuaValue::Nil))
                        ),
                    ))
                }
            };
            let mut call_args = MultiValue::new();
            call_args.push_back(LuaValue::UserData(ud.clone()));
            call_args.extend(rest);
            f.call::<()>(call_args)?;
            Ok(LuaValue::UserData(ud))
        }
        QueryOp::Clone => {
            let query = ud.borrow::<QueryBuilder>()?.query.clone();
            Ok(LuaValue::UserData(
                lua.create_userdata(QueryBuilder::tracked(lua, query))?,
            ))
        }
        QueryOp::ToSql => {
            let b = ud.borrow::<QueryBuilder>()?;
            b.used.set(true);
            let raw = b
                .query
                .to_raw()
                .map_err(|e| usage_error(lua, e.to_string()))?;
            let t = to_sql_table(lua, &raw)?;
            t.raw_set("method", method_name(&b.query.method))?;
            Ok(LuaValue::Table(t))
        }
        QueryOp::Run => {
            // Compiled under the borrow (no Lua runs meanwhile), so the rows of a
            // large insert are not copied first.
            let (raw, query_method, returning, location) = {
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
            run_query(lua, raw, &query_method, returning, location)
        }
        QueryOp::Cursor => cursor::open(lua, ud, args),
        op => {
            // The query is moved out while `apply` runs, so a callback it calls
            // into Lua (a grouped `where`) never meets a borrowed builder.
            let mut query = std::mem::take(&mut ud.borrow_mut::<QueryBuilder>()?.query);
            let items: Vec<LuaValue> = args.into_iter().collect();
            let result = apply(lua, &mut query, op, method.name, &items);
            ud.borrow_mut::<QueryBuilder>()?.query = query;
            result.map(|()| LuaValue::UserData(ud))
        }
    }
}

/// `q.wher` (unknown method), or `q.id` / `q[1]` on a query that was never run.
fn not_a_method(lua: &Lua, ud: &AnyUserData, key: &LuaValue) -> mlua::Error {
    let looks_like_rows = match key {
        LuaValue::Integer(_) | LuaValue::Number(_) => true,
        // A field name that is no near miss of a method (`q.id`, `q.email`,
        // but not `q.wher`) is read as a column of rows never fetched.
        LuaValue::String(s) => {
            let name = s.to_string_lossy().to_lowercase();
            let near = (name.chars().count() / 4).max(1);
            ud.is::<QueryBuilder>()
                && !api::QUERY
                    .iter()
                    .any(|m| strsim::levenshtein(&name, &m.name.to_lowercase()) <= near)
        }
        _ => false,
    };
    if looks_like_rows {
        return usage_error(
            lua,
            format!(
                "this is a query, not rows: add `:run()` to get its rows before reading {}",
                match key {
                    LuaValue::String(s) => format!("`.{}`", s.to_string_lossy()),
                    other => format!("[{}]", describe(other)),
                }
            ),
        );
    }
    unknown_method(lua, Builder::Query, key)
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
