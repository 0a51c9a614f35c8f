//! What every Lua-facing function shares: the arguments of one call with typed
//! readers, registration of `knex` module functions, and the errors for an
//! unknown method or a misused call.
//!
//! A leaf of the bridge: it knows the catalogue (`crate::api`) for "did you
//! mean", and nothing of the builders.

use mlua::{
    AnyUserData, FromLua, FromLuaMulti, Function, IntoLua, IntoLuaMulti, Lua, LuaSerdeExt,
    MetaMethod, MultiValue, Table, UserData, UserDataMethods, Value as LuaValue,
};
use serde::de::DeserializeOwned;

use super::error::usage_error;
use crate::api::{self, Builder, Method};
use crate::db::SharedDb;

/// What every Lua callback of one file can reach (stored as the state's app data).
pub struct ScriptContext {
    pub db: SharedDb,
    /// The file as shown to the user (relative to the project when possible).
    pub file: String,
}

/// A short description of a Lua value for messages: `the string "x"`, `a table`.
pub fn describe(v: &LuaValue) -> String {
    match v {
        LuaValue::Nil => "nil".into(),
        LuaValue::Boolean(b) => format!("the boolean {b}"),
        LuaValue::Integer(i) => format!("the number {i}"),
        LuaValue::Number(n) => format!("the number {n}"),
        LuaValue::String(s) => format!("the string {:?}", s.to_string_lossy()),
        other => format!("a {}", other.type_name()),
    }
}

/// The arguments of one method call, with typed readers whose errors name
/// the method, the argument and what was passed.
pub struct Args {
    /// The call as the user wrote it: `t:string`, `whereIn`.
    pub what: String,
    pub items: Vec<LuaValue>,
}

impl Args {
    pub fn new(what: impl Into<String>, items: MultiValue) -> Args {
        Args {
            what: what.into(),
            items: items.into_iter().collect(),
        }
    }

    pub fn get(&self, i: usize) -> &LuaValue {
        self.items.get(i).unwrap_or(&LuaValue::Nil)
    }

    /// Argument `i`, or `None` past the last one (Lua's "no value").
    pub fn at(&self, i: usize) -> Option<&LuaValue> {
        self.items.get(i)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn is_nil(&self, i: usize) -> bool {
        self.get(i).is_nil()
    }

    pub fn wrong(&self, lua: &Lua, i: usize, role: &str, expected: &str) -> mlua::Error {
        usage_error(
            lua,
            format!(
                "`{}` expects argument #{} ({role}) to be {expected}, not {}",
                self.what,
                i + 1,
                describe(self.get(i))
            ),
        )
    }

    pub fn string(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<String> {
        match self.get(i) {
            LuaValue::String(s) => Ok(s.to_str()?.to_string()),
            _ => Err(self.wrong(lua, i, role, "a string")),
        }
    }

    pub fn opt_string(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Option<String>> {
        match self.get(i) {
            LuaValue::Nil => Ok(None),
            LuaValue::String(s) => Ok(Some(s.to_str()?.to_string())),
            _ => Err(self.wrong(lua, i, role, "a string or nil")),
        }
    }

    pub fn opt_int(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Option<i64>> {
        match self.get(i) {
            LuaValue::Nil => Ok(None),
            LuaValue::Integer(n) => Ok(Some(*n)),
            LuaValue::Number(f) if f.fract() == 0.0 => Ok(Some(*f as i64)),
            _ => Err(self.wrong(lua, i, role, "an integer or nil")),
        }
    }

    pub fn opt_bool(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Option<bool>> {
        match self.get(i) {
            LuaValue::Nil => Ok(None),
            LuaValue::Boolean(b) => Ok(Some(*b)),
            _ => Err(self.wrong(lua, i, role, "a boolean or nil")),
        }
    }

    pub fn function(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Function> {
        match self.get(i) {
            LuaValue::Function(f) => Ok(f.clone()),
            LuaValue::Nil => Err(usage_error(
                lua,
                format!(
                    "`{}` needs a callback: `{}({}, function(t) … end)`",
                    self.what,
                    self.what,
                    match self.get(0) {
                        LuaValue::String(s) => format!("{:?}", s.to_string_lossy()),
                        _ => "\"name\"".to_string(),
                    }
                ),
            )),
            _ => Err(self.wrong(lua, i, role, "a function")),
        }
    }

    /// A name or a list of them (`"a"` or `{ "a", "b" }`).
    pub fn names(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Vec<String>> {
        match self.get(i) {
            LuaValue::String(s) => Ok(vec![s.to_str()?.to_string()]),
            LuaValue::Table(t) => {
                let mut out = Vec::new();
                for v in t.sequence_values::<LuaValue>() {
                    match v? {
                        LuaValue::String(s) => out.push(s.to_str()?.to_string()),
                        _ => return Err(self.wrong(lua, i, role, "a list of strings")),
                    }
                }
                Ok(out)
            }
            _ => Err(self.wrong(lua, i, role, "a string or a list of strings")),
        }
    }

    pub fn opt_names(&self, lua: &Lua, i: usize, role: &str) -> mlua::Result<Vec<String>> {
        if self.is_nil(i) {
            Ok(Vec::new())
        } else {
            self.names(lua, i, role)
        }
    }

    /// The names in this and every later argument (`dropColumns("a", { "b", "c" })`).
    pub fn all_names(&self, lua: &Lua, role: &str) -> mlua::Result<Vec<String>> {
        let mut out = Vec::new();
        for i in 0..self.len().max(1) {
            out.extend(self.names(lua, i, role)?);
        }
        Ok(out)
    }

    /// An options table read into `T`; unknown keys are an error naming the valid ones.
    pub fn options<T: DeserializeOwned + Default>(&self, lua: &Lua, i: usize) -> mlua::Result<T> {
        match self.get(i) {
            LuaValue::Nil => Ok(T::default()),
            LuaValue::Table(t) => options_from(lua, &self.what, t),
            _ => Err(self.wrong(lua, i, "options", "a table of options")),
        }
    }
}

/// Reads an options table into `T` (`deny_unknown_fields` names the valid keys).
pub fn options_from<T: DeserializeOwned>(lua: &Lua, what: &str, t: &Table) -> mlua::Result<T> {
    lua.from_value(LuaValue::Table(t.clone())).map_err(|e| {
        let message = match &e {
            mlua::Error::DeserializeError(m) => m.clone(),
            other => other.to_string(),
        };
        usage_error(lua, format!("bad options for `{what}`: {message}"))
    })
}

/// "unknown method `t:strng`; did you mean `t:string`?", from the catalogue.
pub fn unknown_method(lua: &Lua, builder: Builder, key: &LuaValue) -> mlua::Error {
    let prefix = builder.prefix();
    let LuaValue::String(name) = key else {
        return usage_error(
            lua,
            format!(
                "`{}` has methods, not fields: cannot index it with {}",
                prefix.trim_end_matches([':', '.']),
                describe(key)
            ),
        );
    };
    let name = name.to_string_lossy();
    let methods = builder.methods();
    let hint = match api::closest(&name, methods.iter().map(|m| m.name)) {
        Some(m) => format!("; did you mean `{prefix}{m}`?"),
        None => String::new(),
    };
    usage_error(lua, format!("unknown method `{prefix}{name}`{hint}"))
}

/// A builder method called with `.` where `:` was needed (`q.where(...)`).
pub fn dot_call(lua: &Lua, builder: Builder, name: &str) -> mlua::Error {
    let prefix = builder.prefix();
    usage_error(
        lua,
        format!("`{prefix}{name}` is a method: call it with `:` (`q:{name}(...)`), not `.`"),
    )
}

/// The builder a method was called on, checking it is one (`:` not `.`).
pub fn receiver<T: 'static>(
    lua: &Lua,
    builder: Builder,
    name: &str,
    args: &mut MultiValue,
) -> mlua::Result<AnyUserData> {
    match args.pop_front() {
        Some(LuaValue::UserData(ud)) if ud.is::<T>() => Ok(ud),
        other => {
            if let Some(v) = other {
                args.push_front(v);
            }
            Err(dot_call(lua, builder, name))
        }
    }
}

/// Registers `table.NAME` as a module function that also accepts being called
/// with a colon (`knex:raw(...)`): a leading `table` argument is dropped (SPEC §7).
pub fn module_fn<A, R, F>(lua: &Lua, table: &Table, name: &str, f: F) -> mlua::Result<()>
where
    A: FromLuaMulti,
    R: IntoLuaMulti,
    F: Fn(&Lua, A) -> mlua::Result<R> + 'static,
{
    let me = table.clone();
    let function = lua.create_function(move |lua, args: MultiValue| {
        let args = drop_self(args, &me);
        let args = A::from_lua_multi(args, lua)?;
        f(lua, args)
    })?;
    table.raw_set(name, function)
}

/// The value `make` makes, made once per state and kept in the registry
/// under `key` (a function or a marker every file of the run shares).
pub fn once_per_state<T: FromLua + IntoLua + Clone>(
    lua: &Lua,
    key: &str,
    make: impl FnOnce(&Lua) -> mlua::Result<T>,
) -> mlua::Result<T> {
    if let Some(made) = lua.named_registry_value::<Option<T>>(key)? {
        return Ok(made);
    }
    let made = make(lua)?;
    lua.set_named_registry_value(key, made.clone())?;
    Ok(made)
}

/// Removes a leading argument that is `table` itself (a colon call).
pub fn drop_self(mut args: MultiValue, table: &Table) -> MultiValue {
    if let Some(LuaValue::Table(first)) = args.front() {
        if first == table {
            args.pop_front();
        }
    }
    args
}

/// One value returned to Lua.
pub fn one(v: LuaValue) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([v]))
}

/// The builder itself, for chaining.
pub fn this(ud: &AnyUserData) -> mlua::Result<MultiValue> {
    one(LuaValue::UserData(ud.clone()))
}

/// What runs one catalogue method on a value-like builder (a query, a join
/// clause, `knex.raw(...)`, `knex.batchInsert(...)`): the builder, the
/// method's entry, the arguments after the builder.
pub type Handler<Op> =
    fn(&Lua, AnyUserData, &'static Method<Op>, MultiValue) -> mlua::Result<LuaValue>;

/// Registers every method of `list` on `T` (called with `:`; a `.` call is
/// an error saying so), and an `__index` that reports any other name
/// through `unknown`.
pub fn add_methods<T, Op, M>(
    methods: &mut M,
    builder: Builder,
    list: &'static [Method<Op>],
    handler: Handler<Op>,
    unknown: fn(&Lua, &AnyUserData, &LuaValue) -> mlua::Error,
) where
    T: UserData + 'static,
    Op: Copy,
    M: UserDataMethods<T>,
{
    for method in list {
        methods.add_function(method.name, move |lua, mut args: MultiValue| {
            let ud = receiver::<T>(lua, builder, method.name, &mut args)?;
            handler(lua, ud, method, args)
        });
    }
    methods.add_meta_function(
        MetaMethod::Index,
        move |lua, (ud, key): (AnyUserData, LuaValue)| Err::<(), _>(unknown(lua, &ud, &key)),
    );
}
