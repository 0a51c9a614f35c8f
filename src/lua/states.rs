//! The one Lua state a run's files share, and the fresh environment each
//! file runs in.
//!
//! Every file gets globals of its own (its own `_G`, its own copies of the
//! standard library tables, its own `package`, `package.loaded` and
//! `require`, and a string metatable whose `__index` is its own `string`),
//! made from a snapshot of the state's globals taken before any user code
//! ran: nothing one file sets, replaces or adds is visible to the next, as in
//! a fresh state. What the files share is what no Lua code can reach without
//! the `debug` library (the pristine tables behind the snapshot, the
//! registry) and the heap: one state per file cost about 45 µs and 30 KB to
//! make and 25 µs to close, more than the server needs for a small
//! migration, and a batch makes every file's before it sends anything.

use std::rc::Rc;

use mlua::{Function, HookTriggers, Lua, LuaOptions, StdLib, Table, Value as LuaValue};

use super::{
    check_limits, compile, error, load_chunk, lua_tostring, string_dump, vectra, Chunk, LuaClock,
    LuaLimits, Modules, ScriptContext, HOOK_EVERY,
};

/// Where [`batch_state`] keeps the function that makes a file's environment.
const NEW_ENVIRONMENT: &str = "vectra_db.new_environment";

/// The state a run's files share: the safe standard library, the limits'
/// hook and clock, `package.path` from `lua_path` (no native modules),
/// `print` sent to the log, `os.exit` turned into an error, the confirming
/// wrappers, and `require` served from the run's module cache. The memory
/// limit is set for each file when it runs ([`enter`]).
pub(super) fn batch_state(modules: &Rc<Modules>, limits: LuaLimits) -> mlua::Result<Lua> {
    let lua = Lua::new_with(StdLib::ALL_SAFE, LuaOptions::default())?;
    lua.set_app_data(LuaClock {
        limit: limits.time,
        ..LuaClock::default()
    });
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(HOOK_EVERY),
        check_limits,
    )?;
    let globals = lua.globals();
    let package: Table = globals.get("package")?;
    let mut path = String::new();
    for dir in &modules.lua_path {
        let dir = dir.display();
        path.push_str(&format!("{dir}/?.lua;{dir}/?/init.lua;"));
    }
    package.set("path", path)?;
    // No native modules: a migration must not load arbitrary shared objects.
    package.set("cpath", "")?;
    globals.set(
        "print",
        lua.create_function(|lua, args: mlua::MultiValue| {
            let mut line = String::new();
            for (i, v) in args.iter().enumerate() {
                if i > 0 {
                    line.push('\t');
                }
                line.push_str(&lua_tostring(lua, v));
            }
            let file = lua
                .app_data_ref::<ScriptContext>()
                .map(|c| c.file.clone())
                .unwrap_or_default();
            log::info!(target: "vectra_db::lua", "{file}: {line}");
            Ok(())
        })?,
    )?;
    let os: Table = globals.get("os")?;
    os.set(
        "exit",
        lua.create_function(|_, _: mlua::MultiValue| -> mlua::Result<()> {
            Err(mlua::Error::runtime(
                "os.exit is not allowed in a migration or seed: raise an error with error(...) instead",
            ))
        })?,
    )?;
    confirming_wrappers(&lua)?;
    vectra::register(&lua)?;
    let new_environment: Function = lua
        .load(ENVIRONMENTS)
        .set_name("=[vectra-db]")
        .call(module_searcher(&lua, modules)?)?;
    lua.set_named_registry_value(NEW_ENVIRONMENT, new_environment)?;
    Ok(lua)
}

/// Why a file of Lua bytecode is refused (Lua does not check bytecode: a
/// crafted file could crash the run or reach past the sandbox).
pub(super) const BYTECODE_REFUSED: &str =
    "the file is Lua bytecode (made by luac or string.dump); vectra-db runs Lua source only";

/// Whether `chunk` is Lua bytecode rather than source.
pub(super) fn is_bytecode(chunk: &[u8]) -> bool {
    chunk.starts_with(b"\x1bLua")
}

/// A file's globals, and the string metatable that goes with them.
#[derive(Debug)]
pub(super) struct Environment {
    pub globals: Table,
    pub string_meta: Table,
}

/// A fresh environment for one file of the batch `lua` runs (made within
/// that file's memory budget).
pub(super) fn environment(lua: &Lua, limits: LuaLimits) -> mlua::Result<Environment> {
    budget(lua, limits)?;
    let new_environment: Function = lua.named_registry_value(NEW_ENVIRONMENT)?;
    let (globals, string_meta) = new_environment.call::<(Table, Table)>(())?;
    Ok(Environment {
        globals,
        string_meta,
    })
}

/// Makes a file's environment the current one before its code runs: its
/// string metatable, and a memory budget of its own (counted again after
/// [`environment`] made it, so the environment is not taken from what the
/// file's code may allocate).
pub(super) fn enter(lua: &Lua, env: &Environment, limits: LuaLimits) -> mlua::Result<()> {
    lua.set_type_metatable::<mlua::LuaString>(Some(env.string_meta.clone()));
    budget(lua, limits)
}

/// The memory limit, counted from what the state holds now (garbage of
/// earlier files included, which Lua collects before it reports running out).
fn budget(lua: &Lua, limits: LuaLimits) -> mlua::Result<()> {
    if let Some(bytes) = limits.memory {
        lua.set_memory_limit(lua.used_memory().saturating_add(bytes))?;
    }
    Ok(())
}

/// `require`'s searcher for modules on `lua_path`: Lua's own file searcher
/// would read and parse a module again for every file; this one reads it once
/// per run and compiles it once, and later files load the bytecode, each
/// with its own environment (`searcher(name, env)`).
fn module_searcher(lua: &Lua, modules: &Rc<Modules>) -> mlua::Result<Function> {
    let modules = modules.clone();
    // Lua's own `string.dump`, taken before any user code could replace it.
    let dump = string_dump(lua)?;
    lua.create_function(
        move |lua, (name, env): (String, Table)| match modules.find(&name) {
            Some(module) => {
                let chunk_name = format!("@{}", module.path);
                let loader = if module.compiled {
                    load_chunk(lua, &chunk_name, Chunk::Compiled(&module.chunk), &env)?
                } else if is_bytecode(&module.chunk) {
                    return Err(mlua::Error::runtime(format!(
                        "error loading module '{name}' from file '{}':\n\t{BYTECODE_REFUSED}",
                        module.path
                    )));
                } else {
                    let (loader, bytecode) = compile(lua, &chunk_name, &module.chunk, &env, &dump)?;
                    modules.compiled(&name, bytecode);
                    loader
                };
                Ok((
                    LuaValue::Function(loader),
                    LuaValue::String(lua.create_string(&module.path)?),
                ))
            }
            None => Ok((
                LuaValue::String(lua.create_string(format!(
                "no file '{name}.lua' in lua_path ({})",
                modules
                    .lua_path
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))?),
                LuaValue::Nil,
            )),
        },
    )
}

/// A Lua function that runs `act` on the run's connection (nothing in a
/// state no run has taken).
fn on_connection(
    lua: &Lua,
    act: fn(&mut crate::db::Db) -> Result<(), crate::db::DbError>,
) -> mlua::Result<Function> {
    lua.create_function(move |lua, ()| {
        let Some(ctx) = lua.app_data_ref::<ScriptContext>() else {
            return Ok(());
        };
        let result = act(&mut ctx.db.borrow_mut());
        result.map_err(|e| error::db_error(lua, e))
    })
}

/// Where Lua could observe a failure differently from a run that waits for
/// every statement, the statements sent ahead are confirmed first (a failure
/// among them is raised there, naming the line that sent it):
/// - `pcall`, `xpcall` and `coroutine.resume` catch errors, so a schema
///   statement called inside one must fail at its own call (Knex's `catch`
///   sees the error at the `await`); while such a frame is open the
///   connection sends nothing ahead;
/// - `print`, `io.write`, `io.open`, `os.remove`, `os.rename` and `os.execute`
///   have effects outside Lua that must not happen after a failed statement.
///
/// The original functions do the work, so results and error values are unchanged.
fn confirming_wrappers(lua: &Lua) -> mlua::Result<()> {
    let confirm = on_connection(lua, |db| db.flush())?;
    let enter = on_connection(lua, |db| db.enter_catching())?;
    let leave = on_connection(lua, |db| {
        db.leave_catching();
        Ok(())
    })?;
    let wrappers = lua
        .load(WRAPPERS)
        .set_name("=[vectra-db]")
        .into_function()?;
    wrappers.call::<()>((confirm, enter, leave))
}

/// Lua's catching frames and the functions that show progress outside the
/// database, wrapped (see [`confirming_wrappers`]).
const WRAPPERS: &str = r#"
local confirm, enter, leave = ...
local raw_pcall, raw_xpcall, raw_resume = pcall, xpcall, coroutine.resume
local function left(...) leave() return ... end
pcall = function(...) enter() return left(raw_pcall(...)) end
xpcall = function(...) enter() return left(raw_xpcall(...)) end
coroutine.resume = function(...) enter() return left(raw_resume(...)) end
local function confirmed(f)
  if f == nil then return nil end
  return function(...) confirm() return f(...) end
end
print = confirmed(print)
if io then
  io.write = confirmed(io.write)
  io.open = confirmed(io.open)
end
os.remove = confirmed(os.remove)
os.rename = confirmed(os.rename)
os.execute = confirmed(os.execute)
"#;

/// Runs once per state, after the wrappers and before any user code: takes
/// the snapshot of the globals and returns the function that makes a file's
/// environment from it. `require`, the preload searcher and `load`,
/// `loadfile`, `dofile` are Lua's own, bound to the file's tables instead of
/// the state's (same lookups, results and messages), and load text only.
const ENVIRONMENTS: &str = r##"
local lua_path_searcher = ...
local G = _G
local next, type, select, error, rawget, tostring = next, type, select, error, rawget, tostring
local raw_load, raw_loadfile = load, loadfile
local format, concat = string.format, table.concat
local LIBRARIES = { "string", "table", "math", "io", "os", "utf8", "coroutine" }

-- Lua does not check bytecode: a crafted binary chunk can crash the process
-- or reach past the sandbox. Only text is loaded (the one binary vectra-db
-- loads is the bytecode it compiles itself from a module's text).
local NO_BINARY = "binary chunks cannot be loaded in a migration or seed (use Lua source)"
local function text_mode(mode)
  if mode == nil then return "t" end
  if type(mode) ~= "string" then return mode end -- Lua's own argument error
  if not mode:find("t", 1, true) then return nil end
  return "t"
end

local function copy(t)
  local c = {}
  for k, v in next, t do c[k] = v end
  return c
end

-- A function that returns a copy of `t` as it is now, made with one table
-- constructor (sized once; a loop of assignments would grow it step by step).
local function copier(t)
  local fields = {}
  for k in next, t do
    if type(k) ~= "string" then
      return function() return copy(t) end
    end
    fields[#fields + 1] = format("[%q] = t[%q]", k, k)
  end
  local source = format("local t = ... return function() return { %s } end", concat(fields, ", "))
  return raw_load(source, "=[vectra-db]", "t", {})(copy(t))
end

local copy_globals = copier(G)
local copy_library = {}
for _, name in next, LIBRARIES do copy_library[name] = copier(G[name]) end
local copy_string_meta = copier(getmetatable(""))
local shared_package = G.package
local c_searcher = shared_package.searchers[3]

return function()
  -- Every key of the snapshot is replaced below where it must not be shared.
  local env = copy_globals()
  env._G = env
  local loaded = { _G = env }
  for name, copy_of in next, copy_library do
    local own = copy_of()
    env[name] = own
    loaded[name] = own
  end
  local preload = copy(shared_package.preload)
  local package = {
    path = shared_package.path,
    cpath = shared_package.cpath,
    config = shared_package.config,
    searchpath = shared_package.searchpath,
    loadlib = shared_package.loadlib,
    loaded = loaded,
    preload = preload,
  }
  package.searchers = {
    function(name)
      if preload[name] == nil then
        return format("no field package.preload['%s']", name)
      end
      return preload[name], ":preload:"
    end,
    function(name) return lua_path_searcher(name, env) end,
    c_searcher,
  }
  loaded.package = package
  env.package = package

  env.require = function(...)
    local name = ...
    if type(name) == "number" then name = tostring(name) end
    if type(name) ~= "string" then
      local got = select("#", ...) == 0 and "no value" or type(name)
      error(format("bad argument #1 to 'require' (string expected, got %s)", got), 2)
    end
    local value = loaded[name]
    if value then return value end
    local searchers = package.searchers
    if type(searchers) ~= "table" then error("'package.searchers' must be a table", 2) end
    local messages = {}
    for i = 1, math.huge do
      local searcher = rawget(searchers, i)
      if searcher == nil then
        error(format("module '%s' not found:%s", name, concat(messages)), 2)
      end
      local loader, extra = searcher(name)
      if type(loader) == "function" then
        local result = loader(name, extra)
        if result ~= nil then loaded[name] = result end
        if loaded[name] == nil then loaded[name] = true end
        return loaded[name], extra
      elseif type(loader) == "string" or type(loader) == "number" then
        messages[#messages + 1] = "\n\t" .. loader
      end
    end
  end

  env.load = function(chunk, chunkname, mode, ...)
    local text = text_mode(mode)
    if text == nil then return nil, NO_BINARY end
    if select("#", ...) == 0 then return raw_load(chunk, chunkname, text, env) end
    return raw_load(chunk, chunkname, text, ...)
  end
  env.loadfile = function(filename, mode, ...)
    local text = text_mode(mode)
    if text == nil then return nil, NO_BINARY end
    if select("#", ...) == 0 then return raw_loadfile(filename, text, env) end
    return raw_loadfile(filename, text, ...)
  end
  env.dofile = function(filename)
    local f, message = raw_loadfile(filename, "t", env)
    if f == nil then error(message, 0) end
    return f()
  end

  -- Lua 5.4's string metatable also holds the arithmetic on numeric strings.
  local own_string_meta = copy_string_meta()
  own_string_meta.__index = env.string
  return env, own_string_meta
end
"##;

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with_modules(dir: &std::path::Path, limits: LuaLimits) -> Lua {
        let modules = Rc::new(Modules {
            lua_path: vec![dir.to_path_buf()],
            found: Default::default(),
        });
        batch_state(&modules, limits).expect("state")
    }

    /// Runs `code` as a file of the batch: a new environment, entered.
    fn run_file<R: mlua::FromLuaMulti>(lua: &Lua, code: &str) -> mlua::Result<R> {
        let env = environment(lua, LuaLimits::default())?;
        enter(lua, &env, LuaLimits::default())?;
        lua.load(code)
            .set_name("@file.lua")
            .set_environment(env.globals)
            .call(())
    }

    /// What one file sets, replaces or adds (globals, library functions,
    /// string methods, metatables, loaded modules) is not there for the next.
    #[test]
    fn nothing_a_file_changes_reaches_the_next() {
        let dir = tempfile::tempdir().expect("dir");
        let lua = state_with_modules(dir.path(), LuaLimits::default());
        run_file::<()>(
            &lua,
            r#"
            x = 1
            function string.shout(s) return s:upper() .. "!" end
            assert(("a"):shout() == "A!")
            table.insert = nil
            os.getenv = function() return "mine" end
            print = function() end
            getmetatable("").__index = { custom = true }
            package.loaded.constants = { mine = true }
            package.path = "/elsewhere/?.lua"
            load("loaded_global = true")()
            setmetatable(_G, { __index = function() error("strict") end })
            "#,
        )
        .expect("first file");
        let seen: String = run_file(
            &lua,
            r#"
            assert(getmetatable(_G) == nil, "the globals' metatable")
            assert(rawget(_G, "x") == nil and loaded_global == nil, "globals")
            assert(string.shout == nil and table.insert ~= nil, "library tables")
            assert(os.getenv("HOME") ~= "mine", "os")
            assert(("a"):upper() == "A" and not pcall(function() return ("a"):shout() end), "string methods")
            assert("10" + 1 == 11, "arithmetic on numeric strings")
            assert(package.loaded.constants == nil and package.path:find("/elsewhere") == nil, "package")
            assert(_G._G == _G and package.loaded._G == _G and package.loaded.string == string, "own tables")
            return print ~= nil and "clean" or "print"
            "#,
        )
        .expect("second file");
        assert_eq!(seen, "clean");
    }

    /// `require` runs a module once per file, in that file's globals, from
    /// bytecode after the first; a missing one gets Lua's message.
    #[test]
    fn modules_run_once_per_file_in_its_globals() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("counter.lua"),
            "runs = (runs or 0) + 1\nreturn { runs = function() return runs end }\n",
        )
        .expect("module");
        let lua = state_with_modules(dir.path(), LuaLimits::default());
        for file in 0..3 {
            let (runs, same): (i64, bool) = run_file(
                &lua,
                r#"
                local a = require("counter")
                local b = require("counter")
                return a.runs(), a == b and runs == 1
                "#,
            )
            .unwrap_or_else(|e| panic!("file {file}: {e}"));
            assert_eq!((runs, same), (1, true), "file {file}");
        }
        let missing = run_file::<()>(&lua, "require('nowhere')").expect_err("missing");
        let text = missing.to_string();
        let expected = format!(
            "file.lua:1: module 'nowhere' not found:\n\tno field package.preload['nowhere']\n\tno file 'nowhere.lua' in lua_path ({})",
            dir.path().display()
        );
        assert!(text.contains(&expected), "{text}");
        let vectra: bool =
            run_file(&lua, "return type(require('vectra').uuid) == 'function'").expect("vectra");
        assert!(vectra);
    }

    /// `load`, `loadfile` and `dofile` take Lua source and refuse bytecode
    /// (Lua does not check it), whatever mode is asked for.
    #[test]
    fn files_load_text_and_never_bytecode() {
        let dir = tempfile::tempdir().expect("dir");
        let binary = dir.path().join("f.luac");
        let lua = state_with_modules(dir.path(), LuaLimits::default());
        let checks: Vec<String> = run_file(
            &lua,
            &format!(
                r#"
                local dumped = string.dump(function() return 1 end)
                local f = assert(io.open({path:?}, "wb")) f:write(dumped) f:close()
                local out = {{}}
                local function refused(f, message)
                  out[#out + 1] = tostring(f == nil) .. " " .. tostring(message)
                end
                refused(load(dumped))
                refused(load(dumped, "x", "b"))
                refused(load(dumped, "x", "bt"))
                refused(loadfile({path:?}))
                local ok, message = pcall(dofile, {path:?})
                refused(ok or nil, message)
                out[#out + 1] = tostring(load("return 41 + 1")())
                return out
                "#,
                path = binary.display().to_string()
            ),
        )
        .expect("file");
        assert_eq!(checks.len(), 6, "{checks:?}");
        for refusal in &checks[..5] {
            assert!(
                refusal.contains("binary chunk"),
                "every way in refuses bytecode: {checks:?}"
            );
        }
        assert_eq!(checks[5], "42");
    }

    /// The settings every file's code runs with: `package.path` from
    /// `lua_path`, `os.exit` refused, the confirming `pcall`, and a memory
    /// limit per file that garbage of earlier files does not use up.
    #[test]
    fn every_file_keeps_the_runs_settings_and_its_own_memory_limit() {
        let dir = tempfile::tempdir().expect("dir");
        let limits = LuaLimits {
            time: None,
            memory: Some(4 << 20),
        };
        let lua = state_with_modules(dir.path(), limits);
        let expected_path = format!("{0}/?.lua;{0}/?/init.lua;", dir.path().display());
        for file in 0..5 {
            let env = environment(&lua, limits).expect("env");
            enter(&lua, &env, limits).expect("enter");
            let run = |code: &str| {
                lua.load(code)
                    .set_name("@file.lua")
                    .set_environment(env.globals.clone())
                    .eval::<LuaValue>()
            };
            let path = run("return package.path").expect("path");
            assert_eq!(
                path.as_string().map(|s| s.to_string_lossy()),
                Some(expected_path.clone())
            );
            let exit = run("os.exit(1)").expect_err("os.exit");
            assert!(
                exit.to_string().contains("os.exit is not allowed"),
                "{exit}"
            );
            let caught = run("return not pcall(error, 'x')").expect("pcall");
            assert_eq!(caught, LuaValue::Boolean(true));
            // 3 MB of garbage per file: five files together pass any one limit.
            run("local t = {} for i = 1, 3 do t[i] = string.rep('x', 1 << 20) .. i end")
                .unwrap_or_else(|e| panic!("file {file}: {e}"));
            let grown = run("local s = string.rep('x', 8 << 20) return #s");
            assert!(
                matches!(grown, Err(mlua::Error::MemoryError(_))),
                "file {file}: {grown:?}"
            );
        }
    }
}
