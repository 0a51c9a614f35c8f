//! Joins: `join(table, a, [op,] b)` and the `function(j) j:on(…) end` form.

use super::*;
use crate::api::JoinOp;

/// The argument of a join callback: collects `on` conditions.
#[derive(Default)]
pub struct JoinBuilder {
    pub(super) on: Vec<Clause>,
}

impl UserData for JoinBuilder {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        add_methods(m, Builder::Join, api::JOIN, join_method, |lua, _, key| {
            unknown_method(lua, Builder::Join, key)
        });
    }
}

fn join_method(
    lua: &Lua,
    ud: AnyUserData,
    method: &'static api::Method<JoinOp>,
    args: MultiValue,
) -> mlua::Result<LuaValue> {
    let mut on = std::mem::take(&mut ud.borrow_mut::<JoinBuilder>()?.on);
    let items: Vec<LuaValue> = args.into_iter().collect();
    let result = join_clause(lua, &mut on, method.op, method.name, &items);
    ud.borrow_mut::<JoinBuilder>()?.on = on;
    result.map(|()| LuaValue::UserData(ud))
}

/// Adds the condition of one join-clause call to `on`.
fn join_clause(
    lua: &Lua,
    on: &mut Vec<Clause>,
    op: JoinOp,
    name: &str,
    args: &[LuaValue],
) -> mlua::Result<()> {
    let clause = match op {
        JoinOp::On { or } => {
            if let [LuaValue::Function(f)] = args {
                let ud = lua.create_userdata(JoinBuilder::default())?;
                f.call::<()>(ud.clone())?;
                let inner = std::mem::take(&mut ud.borrow_mut::<JoinBuilder>()?.on);
                Clause {
                    or,
                    not: false,
                    cond: Cond::Group(inner),
                }
            } else {
                Clause {
                    or,
                    not: false,
                    cond: on_cond(lua, name, args)?,
                }
            }
        }
        JoinOp::OnVal { or } => {
            let (op, value) = match args.len() {
                2 => ("=".to_string(), args.get(1)),
                _ => (
                    string_arg(lua, args.get(1), name, "an operator")?,
                    args.get(2),
                ),
            };
            Clause {
                or,
                not: false,
                cond: Cond::Compare {
                    left: column_operand(lua, args.first(), name)?,
                    op: checked_operator(lua, &op)?,
                    right: operand(lua, value_arg(lua, value, name)?)?,
                },
            }
        }
        JoinOp::OnIn { or, not } => Clause {
            or,
            not,
            cond: in_cond(lua, name, args)?,
        },
        JoinOp::OnNull { or, not } => Clause {
            or,
            not,
            cond: Cond::Null(string_arg(lua, args.first(), name, "a column name")?),
        },
        JoinOp::OnExists { or, not } => Clause {
            or,
            not,
            cond: Cond::Exists(subquery_arg(lua, args.first(), name)?),
        },
        JoinOp::OnBetween { or, not } => Clause {
            or,
            not,
            cond: between(lua, name, args)?,
        },
    };
    on.push(clause);
    Ok(())
}

/// `on(first, [op,] second)`: both sides are columns (or raw).
pub(super) fn on_cond(lua: &Lua, method: &str, args: &[LuaValue]) -> mlua::Result<Cond> {
    let (op, second) = match args.len() {
        2 => ("=".to_string(), args.get(1)),
        3 => (
            string_arg(lua, args.get(1), method, "an operator")?,
            args.get(2),
        ),
        n => {
            return Err(usage_error(
                lua,
                format!("`{method}` expects (column, [operator,] column), got {n} arguments"),
            ))
        }
    };
    Ok(Cond::Compare {
        left: column_operand(lua, args.first(), method)?,
        op: checked_operator(lua, &op)?,
        right: column_operand(lua, second, method)?,
    })
}

pub(super) fn join_of(
    lua: &Lua,
    method: &str,
    kind: &'static str,
    args: &[LuaValue],
) -> mlua::Result<Join> {
    let table = source_of(lua, args.first(), method)?;
    let on = match &args[1.min(args.len())..] {
        [] => Vec::new(),
        [LuaValue::Function(f)] => {
            let ud = lua.create_userdata(JoinBuilder::default())?;
            f.call::<()>(ud.clone())?;
            std::mem::take(&mut ud.borrow_mut::<JoinBuilder>()?.on)
        }
        rest => vec![Clause {
            or: false,
            not: false,
            cond: on_cond(lua, method, rest)?,
        }],
    };
    Ok(Join { kind, table, on })
}
