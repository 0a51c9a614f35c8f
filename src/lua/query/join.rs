//! Joins: `join(table, a, [op,] b)` and the `function(j) j:on(…) end` form.

use super::*;

/// The argument of a join callback: collects `on` conditions.
#[derive(Default)]
pub struct JoinBuilder {
    pub(super) on: Vec<Clause>,
}

pub(super) fn join_chain<M, F>(methods: &mut M, name: &'static str, f: F)
where
    M: UserDataMethods<JoinBuilder>,
    F: Fn(&Lua, &mut Vec<Clause>, Args) -> mlua::Result<()> + 'static,
{
    debug_assert!(
        JOIN_METHODS.contains(&name),
        "{name} missing from JOIN_METHODS"
    );
    methods.add_function(name, move |lua, (ud, args): (AnyUserData, MultiValue)| {
        let mut on = std::mem::take(&mut ud.borrow_mut::<JoinBuilder>()?.on);
        let result = f(lua, &mut on, args.into_iter().collect());
        ud.borrow_mut::<JoinBuilder>()?.on = on;
        result.map(|()| ud)
    });
}

impl UserData for JoinBuilder {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        for (name, or) in [("on", false), ("andOn", false), ("orOn", true)] {
            join_chain(m, name, move |lua, on, args| {
                if let [LuaValue::Function(f)] = args.as_slice() {
                    let ud = lua.create_userdata(JoinBuilder::default())?;
                    f.call::<()>(ud.clone())?;
                    let inner = std::mem::take(&mut ud.borrow_mut::<JoinBuilder>()?.on);
                    on.push(Clause {
                        or,
                        not: false,
                        cond: Cond::Group(inner),
                    });
                    return Ok(());
                }
                let cond = on_cond(lua, name, &args)?;
                on.push(Clause {
                    or,
                    not: false,
                    cond,
                });
                Ok(())
            });
        }
        for (name, or) in [("onVal", false), ("andOnVal", false), ("orOnVal", true)] {
            join_chain(m, name, move |lua, on, args| {
                let (op, value) = match args.len() {
                    2 => ("=".to_string(), args.get(1)),
                    _ => (
                        string_arg(lua, args.get(1), name, "an operator")?,
                        args.get(2),
                    ),
                };
                on.push(Clause {
                    or,
                    not: false,
                    cond: Cond::Compare {
                        left: column_operand(lua, args.first(), name)?,
                        op: checked_operator(lua, &op)?,
                        right: operand(lua, value_arg(lua, value, name)?)?,
                    },
                });
                Ok(())
            });
        }
        for (name, or, not) in [
            ("onIn", false, false),
            ("andOnIn", false, false),
            ("orOnIn", true, false),
            ("onNotIn", false, true),
            ("orOnNotIn", true, true),
        ] {
            join_chain(m, name, move |lua, on, args| {
                on.push(Clause {
                    or,
                    not,
                    cond: in_cond(lua, name, &args)?,
                });
                Ok(())
            });
        }
        for (name, or, not) in [
            ("onNull", false, false),
            ("andOnNull", false, false),
            ("orOnNull", true, false),
            ("onNotNull", false, true),
            ("andOnNotNull", false, true),
            ("orOnNotNull", true, true),
        ] {
            join_chain(m, name, move |lua, on, args| {
                on.push(Clause {
                    or,
                    not,
                    cond: Cond::Null(string_arg(lua, args.first(), name, "a column name")?),
                });
                Ok(())
            });
        }
        for (name, or, not) in [
            ("onBetween", false, false),
            ("orOnBetween", true, false),
            ("onNotBetween", false, true),
            ("orOnNotBetween", true, true),
        ] {
            join_chain(m, name, move |lua, on, args| {
                on.push(Clause {
                    or,
                    not,
                    cond: between(lua, name, &args)?,
                });
                Ok(())
            });
        }
        m.add_meta_function(
            MetaMethod::Index,
            |lua, (_, key): (AnyUserData, LuaValue)| {
                Err::<(), _>(unknown_method(lua, "join clause", &key, JOIN_METHODS))
            },
        );
    }
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
