//! The Lua bridge: one Lua state per run with a fresh environment per
//! migration or seed file (see [`states`]), the `knex`
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
mod states;
pub mod value;
pub mod vectra;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use std::cell::Cell;
use std::time::{Duration, Instant};

use mlua::{Function, Lua, Table, Value as LuaValue, VmState};

use crate::db::SharedDb;
pub use call::{describe, ScriptContext};
pub use error::{BridgeError, ScriptError};

/// Bounds on one file's Lua code (`lua_time_limit`, `lua_memory_limit` in
/// `vectra-db.toml`): a runaway loop must not hold the batch's locks forever.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LuaLimits {
    /// Lua time per call of `up` / `down` / `seed` (and for loading the file);
    /// time spent waiting for the server does not count.
    pub time: Option<Duration>,
    /// Bytes one file's Lua code may allocate (on top of what the run's
    /// state holds when the file starts).
    pub memory: Option<usize>,
}

/// How often (in Lua VM instructions) the limits and Ctrl-C are checked.
const HOOK_EVERY: u32 = 4096;

/// The clock of the call in progress, and where the Lua code was last seen
/// (a memory error carries no position of its own).
#[derive(Default)]
struct LuaClock {
    limit: Option<Duration>,
    /// When the call started, and the server wait counted by then.
    started: Cell<Option<(Instant, Duration)>>,
    last_seen: std::cell::RefCell<Option<String>>,
}

/// What a run's files share: `lua_path`, the limits, the module cache, and
/// the one Lua state they run in (made when the first file loads; each file
/// gets an environment of its own in it, see [`states`]).
#[derive(Debug, Clone, Default)]
pub struct ScriptEnv {
    pub limits: LuaLimits,
    modules: Rc<Modules>,
    state: Rc<RefCell<Option<Lua>>>,
    /// Environments made ahead of the files ([`ScriptEnv::prepare`]).
    spare: Rc<RefCell<Vec<states::Environment>>>,
    /// A file has taken its environment: nothing more is made ahead.
    loading: Rc<Cell<bool>>,
}

/// The modules `require` finds on `lua_path`, read once per run.
#[derive(Debug, Default)]
struct Modules {
    /// Directories searched as `DIR/?.lua` and `DIR/?/init.lua`, in order.
    lua_path: Vec<PathBuf>,
    /// By name; `None` for a name found nowhere.
    found: RefCell<HashMap<String, Option<Module>>>,
}

/// A module `require` found: its path, and its text until the first file
/// compiled it, then its bytecode (line information kept), which every later
/// file loads instead of parsing the same text again.
#[derive(Debug, Clone)]
struct Module {
    path: String,
    chunk: Rc<[u8]>,
    compiled: bool,
}

impl ScriptEnv {
    pub fn new(lua_path: Vec<PathBuf>) -> ScriptEnv {
        ScriptEnv {
            limits: LuaLimits::default(),
            modules: Rc::new(Modules {
                lua_path,
                found: RefCell::default(),
            }),
            state: Rc::default(),
            spare: Rc::default(),
            loading: Rc::default(),
        }
    }

    pub fn with_limits(mut self, limits: LuaLimits) -> ScriptEnv {
        self.limits = limits;
        self
    }

    /// One step of the work a run can do before its files load, while it
    /// waits for the server (see [`crate::db::idle`]): makes the state, then
    /// one file environment, up to `files` of them. Every environment is
    /// made the same way from the same snapshot, so one made now is the one
    /// the file would get when it loads. False when there is nothing more to
    /// do: `files` are made, a file has started loading, or making failed
    /// (the file that needs it then meets the same error, and reports it).
    pub fn prepare(&self, files: usize) -> bool {
        if self.loading.get() || self.spare.borrow().len() >= files {
            return false;
        }
        let made = self
            .state()
            .and_then(|lua| states::environment(&lua, self.limits));
        match made {
            Ok(environment) => {
                let mut spare = self.spare.borrow_mut();
                spare.push(environment);
                spare.len() < files
            }
            Err(_) => false,
        }
    }

    /// How many environments [`ScriptEnv::prepare`] has made that no file has taken.
    pub fn prepared(&self) -> usize {
        self.spare.borrow().len()
    }

    /// A fresh environment for the file about to load: one made ahead, or a new one.
    fn take_environment(&self, lua: &Lua) -> mlua::Result<states::Environment> {
        self.loading.set(true);
        match self.spare.borrow_mut().pop() {
            Some(environment) => Ok(environment),
            None => states::environment(lua, self.limits),
        }
    }

    /// The run's state, made on first use.
    fn state(&self) -> mlua::Result<Lua> {
        let mut state = self.state.borrow_mut();
        if let Some(lua) = state.as_ref() {
            return Ok(lua.clone());
        }
        let lua = states::batch_state(&self.modules, self.limits)?;
        let handle = lua.clone();
        *state = Some(lua);
        Ok(handle)
    }
}

impl Modules {
    /// The file `require(name)` loads: `DIR/name.lua` or `DIR/name/init.lua`
    /// in `lua_path` order (dots in `name` are directory separators), read once.
    fn find(&self, name: &str) -> Option<Module> {
        if let Some(found) = self.found.borrow().get(name) {
            return found.clone();
        }
        let rel = name.replace('.', "/");
        let found = self.lua_path.iter().find_map(|dir| {
            [format!("{rel}.lua"), format!("{rel}/init.lua")]
                .iter()
                .map(|candidate| dir.join(candidate))
                .find_map(|path| {
                    std::fs::read(&path).ok().map(|bytes| Module {
                        path: path.display().to_string(),
                        chunk: Rc::from(bytes),
                        compiled: false,
                    })
                })
        });
        self.found
            .borrow_mut()
            .insert(name.to_string(), found.clone());
        found
    }

    /// Keeps the bytecode of module `name` for the next files.
    fn compiled(&self, name: &str, bytecode: Vec<u8>) {
        if let Some(Some(module)) = self.found.borrow_mut().get_mut(name) {
            module.chunk = Rc::from(bytecode);
            module.compiled = true;
        }
    }
}

/// One loaded migration or seed file: its environment in the run's state,
/// and the table it returned.
pub struct Script {
    lua: Lua,
    env: states::Environment,
    module: Table,
    file: String,
    limits: LuaLimits,
    db: SharedDb,
    /// `config`, once read (no other file's code can reach the table it is in).
    config: Cell<Option<ScriptConfig>>,
}

/// What a migration file declares besides its functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScriptConfig {
    /// `config = { transaction = false }` opts out of the batch transaction.
    pub transaction: bool,
    /// `lockTimeout`: PostgreSQL's `lock_timeout` for this file's statements.
    pub lock_timeout: Option<std::time::Duration>,
    /// `statementTimeout`: PostgreSQL's `statement_timeout` for them.
    pub statement_timeout: Option<std::time::Duration>,
}

/// `"5s"`, `"10min"` (as in `vectra-db.toml`) or a number of milliseconds.
fn config_duration(key: &str, value: &LuaValue) -> Result<std::time::Duration, String> {
    let millis = |n: f64| {
        (n.is_finite() && n >= 0.0).then(|| std::time::Duration::from_secs_f64(n / 1000.0))
    };
    let parsed = match value {
        LuaValue::String(s) => crate::config::parse_duration(&s.to_string_lossy())
            .map_err(|e| format!("`config.{key}`: {e}")),
        LuaValue::Integer(n) => millis(*n as f64).ok_or_else(String::new),
        LuaValue::Number(n) => millis(*n).ok_or_else(String::new),
        _ => Err(String::new()),
    };
    parsed.map_err(|e| {
        if e.is_empty() {
            format!(
                "`config.{key}` must be a duration such as \"5s\", \"500ms\" or \"10min\", or a number of milliseconds (0 or more), not {}",
                describe(value)
            )
        } else {
            e
        }
    })
}

impl Script {
    /// Runs the file's chunk in a fresh environment and checks that it
    /// returned a table. `display` is the name used in messages (the chunk
    /// name, so Lua's own errors carry it too).
    pub fn load(
        display: &str,
        source: &[u8],
        env: &ScriptEnv,
        db: SharedDb,
    ) -> Result<Script, ScriptError> {
        if states::is_bytecode(source) {
            return Err(ScriptError::shape(display, states::BYTECODE_REFUSED));
        }
        let fail = |e| ScriptError::from_lua(display, e);
        let lua = env.state().map_err(fail)?;
        let file_env = env.take_environment(&lua).map_err(fail)?;
        enter(&lua, &file_env, &db, display, env.limits).map_err(fail)?;
        let chunk = lua
            .load(source)
            .set_name(format!("@{display}"))
            .set_mode(mlua::chunk::ChunkMode::Text)
            .set_environment(file_env.globals.clone());
        start_clock(&lua);
        let returned = chunk.eval::<LuaValue>();
        let returned = returned.map_err(|e| stopped_or(&lua, display, env.limits, e))?;
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
            env: file_env,
            module,
            file: display.to_string(),
            limits: env.limits,
            db,
            config: Cell::new(None),
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

    /// Reads `config = { transaction = …, lockTimeout = …, statementTimeout = … }`
    /// (default: transactional, the environment's timeouts).
    pub fn config(&self) -> Result<ScriptConfig, ScriptError> {
        if let Some(config) = self.config.get() {
            return Ok(config);
        }
        let config = self.read_config()?;
        self.config.set(Some(config));
        Ok(config)
    }

    fn read_config(&self) -> Result<ScriptConfig, ScriptError> {
        let mut config = ScriptConfig {
            transaction: true,
            ..ScriptConfig::default()
        };
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
                        (Some(key @ ("lockTimeout" | "statementTimeout")), value) => {
                            let duration = config_duration(key, &value)
                                .map_err(|m| ScriptError::shape(&self.file, m))?;
                            if key == "lockTimeout" {
                                config.lock_timeout = Some(duration);
                            } else {
                                config.statement_timeout = Some(duration);
                            }
                        }
                        (key, _) => {
                            return Err(ScriptError::shape(
                                &self.file,
                                format!(
                                    "unknown key `{}` in `config` (valid keys: `transaction`, `lockTimeout`, `statementTimeout`)",
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
    /// Every statement it sent has run when this returns (statements sent
    /// ahead are confirmed here): a failure is this call's error, and the
    /// time the caller measures includes the server's.
    pub fn call(&self, name: &str) -> Result<(), ScriptError> {
        let Some(function) = self.function(name)? else {
            return Err(ScriptError::shape(
                &self.file,
                format!("the file has no `{name}` function"),
            ));
        };
        if let Some(signal) = crate::interrupt::received() {
            return Err(ScriptError::shape(
                &self.file,
                format!("interrupted by {}", crate::interrupt::name(signal)),
            ));
        }
        enter(&self.lua, &self.env, &self.db, &self.file, self.limits)
            .map_err(|e| ScriptError::from_lua(&self.file, e))?;
        let knex = knex::create(&self.lua).map_err(|e| ScriptError::from_lua(&self.file, e))?;
        start_clock(&self.lua);
        let result = function
            .call::<()>(knex)
            .and_then(|()| query::check_forgotten(&self.lua))
            .and_then(|()| query::close_cursors(&self.lua));
        // A statement sent ahead failed before whatever happened next: its
        // error is the one to report, as a run that waited would have.
        let flushed = self.flush();
        self.db.borrow_mut().leave_all_catching();
        flushed?;
        result.map_err(|e| stopped_or(&self.lua, &self.file, self.limits, e))
    }

    /// Waits for the statements sent ahead; the first failure, if any.
    pub fn flush(&self) -> Result<(), ScriptError> {
        let flushed = self.db.borrow_mut().flush();
        flushed.map_err(|e| ScriptError::from_db(&self.file, e))
    }
}

/// Before a file's code runs (its chunk, or a call of `up` / `down` /
/// `seed`): its environment, and the connection and name its callbacks use.
fn enter(
    lua: &Lua,
    env: &states::Environment,
    db: &SharedDb,
    file: &str,
    limits: LuaLimits,
) -> mlua::Result<()> {
    lua.set_app_data(ScriptContext {
        db: db.clone(),
        file: file.to_string(),
    });
    states::enter(lua, env, limits)
}

/// Starts the Lua time limit's clock for the call about to run.
fn start_clock(lua: &Lua) {
    let waited = lua
        .app_data_ref::<ScriptContext>()
        .and_then(|c| c.db.try_borrow().ok().map(|db| db.waited()))
        .unwrap_or_default();
    if let Some(clock) = lua.app_data_ref::<LuaClock>() {
        clock.started.set(Some((Instant::now(), waited)));
        clock.last_seen.borrow_mut().take();
    }
}

/// The instruction hook: stops the Lua code when Ctrl-C / SIGTERM arrived or
/// its time limit is spent, at the line it was running.
fn check_limits(lua: &Lua, debug: &mlua::debug::Debug) -> mlua::Result<VmState> {
    let here = || {
        let line = debug.current_line()?;
        let src = debug.source().short_src?.to_string();
        Some(format!("{src}:{line}"))
    };
    let stop = |message: String| {
        Err(mlua::Error::external(BridgeError {
            location: here(),
            message,
            db: None,
        }))
    };
    if let Some(signal) = crate::interrupt::received() {
        return stop(format!("interrupted by {}", crate::interrupt::name(signal)));
    }
    let Some(clock) = lua.app_data_ref::<LuaClock>() else {
        return Ok(VmState::Continue);
    };
    if debug.source().what != "C" {
        *clock.last_seen.borrow_mut() = here();
    }
    let (Some(limit), Some((started, waited_before))) = (clock.limit, clock.started.get()) else {
        return Ok(VmState::Continue);
    };
    let waited = lua
        .app_data_ref::<ScriptContext>()
        .and_then(|c| c.db.try_borrow().ok().map(|db| db.waited()))
        .unwrap_or(waited_before);
    let lua_time = started
        .elapsed()
        .saturating_sub(waited.saturating_sub(waited_before));
    if lua_time > limit {
        return stop(format!(
            "the Lua code ran longer than the Lua time limit ({}) and was stopped here; \
             fix the loop, or raise `lua_time_limit` in vectra-db.toml",
            show_duration(limit)
        ));
    }
    Ok(VmState::Continue)
}

fn show_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

/// A Lua error as the user should read it; running out of the memory limit
/// says so, with the last line the Lua code was seen at.
fn stopped_or(lua: &Lua, file: &str, limits: LuaLimits, e: mlua::Error) -> ScriptError {
    let out_of_memory = e.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<mlua::Error>(),
            Some(mlua::Error::MemoryError(_))
        )
    }) || matches!(e, mlua::Error::MemoryError(_));
    if !out_of_memory {
        return ScriptError::from_lua(file, e);
    }
    let seen = lua
        .app_data_ref::<LuaClock>()
        .and_then(|c| c.last_seen.borrow().clone());
    let limit = limits
        .memory
        .map(|m| format!(" ({} MB)", m / (1024 * 1024)))
        .unwrap_or_default();
    ScriptError {
        file: file.to_string(),
        location: seen,
        message: format!(
            "the Lua code used more memory than the Lua memory limit{limit} and was stopped \
             (last seen at this line); fix what grows, or raise `lua_memory_limit` in vectra-db.toml"
        ),
        db: None,
    }
}

/// A chunk to load: source text (whatever the user's file holds, loaded as
/// text only), or bytecode that [`compile`] made from a module's text.
enum Chunk<'a> {
    Source(&'a [u8]),
    Compiled(&'a [u8]),
}

/// Loads `chunk` under `name` as a function with globals `env`, without running it.
fn load_chunk(lua: &Lua, name: &str, chunk: Chunk<'_>, env: &Table) -> mlua::Result<Function> {
    let loaded = match chunk {
        // Text only: Lua does not check bytecode, so a binary file could
        // crash the process or reach past the sandbox.
        Chunk::Source(source) => lua.load(source).set_mode(mlua::chunk::ChunkMode::Text),
        Chunk::Compiled(bytecode) => lua.load(bytecode).set_mode(mlua::chunk::ChunkMode::Binary),
    };
    loaded
        .set_name(name)
        .set_environment(env.clone())
        .into_function()
}

/// Loads `source` with globals `env` and returns it with its bytecode (line
/// information kept), for later files to load instead of parsing the same
/// text again. `dump` is Lua's own `string.dump` ([`string_dump`]).
fn compile(
    lua: &Lua,
    name: &str,
    source: &[u8],
    env: &Table,
    dump: &Function,
) -> mlua::Result<(Function, Vec<u8>)> {
    let function = load_chunk(lua, name, Chunk::Source(source), env)?;
    let bytecode: mlua::LuaString = dump.call(&function)?;
    Ok((function, bytecode.as_bytes().to_vec()))
}

/// The state's `string.dump`: take it before any user code runs.
fn string_dump(lua: &Lua) -> mlua::Result<Function> {
    lua.globals().get::<Table>("string")?.get("dump")
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

/// Set by the command-line tool, which exits when its command is done.
static LEAVE_STATES_TO_EXIT: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Leaves a run's Lua state to the end of the process instead of closing it
/// when the run is done: closing frees every object one by one (about 5 ms
/// for a batch of 1000 files) right before the process exits and the system
/// takes the memory back at once. As with Lua's own `os.exit`, `__gc`
/// finalizers still pending then do not run; files opened with `io.open`
/// are still flushed (by the C library, at exit).
pub fn leave_states_to_exit() {
    LEAVE_STATES_TO_EXIT.store(true, std::sync::atomic::Ordering::Relaxed);
}

impl Drop for ScriptEnv {
    fn drop(&mut self) {
        let last = Rc::strong_count(&self.state) == 1;
        if last && LEAVE_STATES_TO_EXIT.load(std::sync::atomic::Ordering::Relaxed) {
            if let Some(lua) = self.state.borrow_mut().take() {
                // The connection is not the state's to keep: the last file's
                // context holds the run's `Db`, which must still be dropped
                // (and the session ended with a goodbye) by its owner.
                lua.remove_app_data::<call::ScriptContext>();
                std::mem::forget(lua);
            }
        }
    }
}
