//! The Lua bridge: one fresh Lua state per migration or seed file, the `knex`
//! value handed to `up` / `down` / `seed`, and errors that point at the user's
//! `file:line`.
//!
//! This layer turns Lua calls into [`crate::sql`] statements and sends them
//! through the shared [`Db`](crate::db::Db); it never decides about
//! transactions, the ledger or the lock (that is the runner's job).

pub mod call;
pub mod error;
pub mod knex;
pub mod query;
pub mod schema;
pub mod value;
pub mod vectra;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use mlua::{Function, Lua, LuaOptions, StdLib, Table, Value as LuaValue};

use crate::db::SharedDb;
pub use call::{describe, ScriptContext};
pub use error::{BridgeError, ScriptError};

/// The settings a state needs that do not change from file to file.
#[derive(Debug, Clone, Default)]
pub struct ScriptEnv {
    /// Directories added to `package.path` as `DIR/?.lua` and `DIR/?/init.lua`.
    pub lua_path: Vec<PathBuf>,
    /// Module sources already read by `require`, shared by every state of a
    /// run: a batch of 1000 migrations reads `constants.lua` once, not 1000 times.
    modules: ModuleCache,
}

type ModuleCache = Rc<RefCell<HashMap<String, Option<(String, Rc<[u8]>)>>>>;

impl ScriptEnv {
    pub fn new(lua_path: Vec<PathBuf>) -> ScriptEnv {
        ScriptEnv {
            lua_path,
            modules: ModuleCache::default(),
        }
    }

    /// The file `require(name)` loads: `DIR/name.lua` or `DIR/name/init.lua`
    /// in `lua_path` order (dots in `name` are directory separators), read once.
    fn module_source(&self, name: &str) -> Option<(String, Rc<[u8]>)> {
        if let Some(found) = self.modules.borrow().get(name) {
            return found.clone();
        }
        let rel = name.replace('.', "/");
        let found = self.lua_path.iter().find_map(|dir| {
            [format!("{rel}.lua"), format!("{rel}/init.lua")]
                .iter()
                .map(|candidate| dir.join(candidate))
                .find_map(|path| {
                    std::fs::read(&path)
                        .ok()
                        .map(|bytes| (path.display().to_string(), Rc::from(bytes)))
                })
        });
        self.modules
            .borrow_mut()
            .insert(name.to_string(), found.clone());
        found
    }
}

/// One loaded migration or seed file: its own Lua state and the table it returned.
pub struct Script {
    lua: Lua,
    module: Table,
    file: String,
}

/// What a migration file declares besides its functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScriptConfig {
    /// `config = { transaction = false }` opts out of the batch transaction.
    pub transaction: bool,
}

impl Script {
    /// Runs the file's chunk in a fresh state and checks that it returned a table.
    /// `display` is the name used in messages (the chunk name, so Lua's own
    /// errors carry it too).
    pub fn load(
        display: &str,
        source: &[u8],
        env: &ScriptEnv,
        db: SharedDb,
    ) -> Result<Script, ScriptError> {
        let lua = new_state(env).map_err(|e| ScriptError::from_lua(display, e))?;
        lua.set_app_data(ScriptContext {
            db,
            file: display.to_string(),
        });
        let chunk = lua.load(source).set_name(format!("@{display}"));
        let returned: LuaValue = chunk
            .eval()
            .map_err(|e| ScriptError::from_lua(display, e))?;
        let LuaValue::Table(module) = returned else {
            return Err(ScriptError::shape(
                display,
                format!(
                    "the file must return a table (`return {{ up = function(knex) … end }}`), but it returned {}",
                    describe(&returned)
                ),
            ));
        };
        Ok(Script {
            lua,
            module,
            file: display.to_string(),
        })
    }

    /// The named function of the returned table, if it is one.
    pub fn function(&self, name: &str) -> Result<Option<Function>, ScriptError> {
        match self.module.raw_get::<LuaValue>(name) {
            Ok(LuaValue::Function(f)) => Ok(Some(f)),
            Ok(LuaValue::Nil) => Ok(None),
            Ok(other) => Err(ScriptError::shape(
                &self.file,
                format!(
                    "`{name}` must be a function, but it is {}",
                    describe(&other)
                ),
            )),
            Err(e) => Err(ScriptError::from_lua(&self.file, e)),
        }
    }

    pub fn has_function(&self, name: &str) -> bool {
        matches!(
            self.module.raw_get::<LuaValue>(name),
            Ok(LuaValue::Function(_))
        )
    }

    /// Reads `config = { transaction = … }` (default: transactional).
    pub fn config(&self) -> Result<ScriptConfig, ScriptError> {
        let mut config = ScriptConfig { transaction: true };
        match self.module.raw_get::<LuaValue>("config") {
            Ok(LuaValue::Nil) => {}
            Ok(LuaValue::Table(t)) => {
                for pair in t.pairs::<LuaValue, LuaValue>() {
                    let (k, v) = pair.map_err(|e| ScriptError::from_lua(&self.file, e))?;
                    let key = k.as_string().map(|s| s.to_string_lossy());
                    match (key.as_deref(), v) {
                        (Some("transaction"), LuaValue::Boolean(b)) => config.transaction = b,
                        (Some("transaction"), other) => {
                            return Err(ScriptError::shape(
                                &self.file,
                                format!(
                                    "`config.transaction` must be true or false, not {}",
                                    describe(&other)
                                ),
                            ))
                        }
                        (key, _) => {
                            return Err(ScriptError::shape(
                                &self.file,
                                format!(
                                    "unknown key `{}` in `config` (valid keys: `transaction`)",
                                    key.unwrap_or("?")
                                ),
                            ))
                        }
                    }
                }
            }
            Ok(other) => {
                return Err(ScriptError::shape(
                    &self.file,
                    format!("`config` must be a table, not {}", describe(&other)),
                ))
            }
            Err(e) => return Err(ScriptError::from_lua(&self.file, e)),
        }
        Ok(config)
    }

    /// Calls `name(knex)`; afterwards, a query that was built and never run is an error.
    /// Every statement it sent has run when this returns: a failure is this
    /// call's error.
    pub fn call(&self, name: &str) -> Result<(), ScriptError> {
        self.call_pipelined(name)?;
        self.flush()
    }

    /// Waits for the statements sent ahead; the first failure, if any.
    pub fn flush(&self) -> Result<(), ScriptError> {
        let ctx = self
            .lua
            .app_data_ref::<ScriptContext>()
            .ok_or_else(|| ScriptError::shape(&self.file, "no script context"))?;
        let flushed = ctx.db.borrow_mut().flush();
        flushed.map_err(|e| ScriptError::from_db(&self.file, e))
    }

    /// Like [`Script::call`], but schema statements sent ahead may still be
    /// running when it returns (the runner waits for them before it writes
    /// the ledger); their failure then surfaces on a later call or wait,
    /// naming this file's line. When the call itself fails, a statement sent
    /// ahead that failed before is the error reported: it came first.
    pub fn call_pipelined(&self, name: &str) -> Result<(), ScriptError> {
        let Some(function) = self.function(name)? else {
            return Err(ScriptError::shape(
                &self.file,
                format!("the file has no `{name}` function"),
            ));
        };
        let knex = knex::create(&self.lua).map_err(|e| ScriptError::from_lua(&self.file, e))?;
        let result = function
            .call::<()>(knex)
            .and_then(|()| query::check_forgotten(&self.lua))
            .and_then(|()| query::close_cursors(&self.lua));
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                self.flush()?;
                Err(ScriptError::from_lua(&self.file, e))
            }
        }
    }
}

/// A state with the safe standard library, `require` limited to `lua_path`,
/// `print` sent to the log, and `os.exit` turned into an error.
fn new_state(env: &ScriptEnv) -> mlua::Result<Lua> {
    let lua = Lua::new_with(StdLib::ALL_SAFE, LuaOptions::default())?;
    let globals = lua.globals();
    let package: Table = globals.get("package")?;
    let mut path = String::new();
    for dir in &env.lua_path {
        let dir = dir.display();
        path.push_str(&format!("{dir}/?.lua;{dir}/?/init.lua;"));
    }
    package.set("path", path)?;
    // No native modules: a migration must not load arbitrary shared objects.
    package.set("cpath", "")?;
    // Lua's own file searcher re-reads a module in every state; this one
    // serves it from the run's cache (same lookup order as `package.path`).
    let searchers: Table = package.get("searchers")?;
    let cached = env.clone();
    searchers.raw_set(
        2,
        lua.create_function(move |lua, name: String| match cached.module_source(&name) {
            Some((path, bytes)) => {
                let loader = lua
                    .load(&bytes[..])
                    .set_name(format!("@{path}"))
                    .into_function()?;
                Ok((
                    LuaValue::Function(loader),
                    LuaValue::String(lua.create_string(&path)?),
                ))
            }
            None => Ok((
                LuaValue::String(lua.create_string(format!(
                        "no file '{name}.lua' in lua_path ({})",
                        cached
                            .lua_path
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))?),
                LuaValue::Nil,
            )),
        })?,
    )?;
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
    vectra::register(&lua)?;
    Ok(lua)
}

fn lua_tostring(lua: &Lua, v: &LuaValue) -> String {
    let tostring: Option<Function> = lua.globals().get("tostring").ok();
    tostring
        .and_then(|f| f.call::<String>(v.clone()).ok())
        .unwrap_or_else(|| format!("{v:?}"))
}

/// Resolves `path` for display: relative to `base` when it is inside it.
pub fn display_path(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}
