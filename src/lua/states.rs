//! Making the fresh Lua state each file runs in, ahead of time when a batch
//! has many files.
//!
//! Creating a state with the standard library is most of the cost of loading
//! a file (about 35 µs of the 80, and most of its memory), and a batch loads
//! every file before it sends anything, while the server waits. For a batch
//! of many files a thread of its own makes the bare states while the caller
//! loads files into the ones already made.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;

use mlua::{Function, HookTriggers, Lua, LuaOptions, StdLib, Table};

use super::{
    check_limits, compile, error, load_chunk, lua_tostring, string_dump, vectra, Chunk, LuaLimits,
    ScriptContext, HOOK_EVERY,
};

/// A state with the safe standard library, the limits' hook, `package.path`
/// set from `lua_path` (no native modules), `print` sent to the log,
/// `os.exit` turned into an error and the confirming wrappers. Everything a
/// file's state needs but `require`, which the caller adds (it shares the
/// run's module cache).
pub(super) fn bare_state(lua_path: &[PathBuf], limits: LuaLimits) -> mlua::Result<Lua> {
    let lua = Lua::new_with(StdLib::ALL_SAFE, LuaOptions::default())?;
    if let Some(bytes) = limits.memory {
        lua.set_memory_limit(bytes)?;
    }
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(HOOK_EVERY),
        check_limits,
    )?;
    let globals = lua.globals();
    let package: Table = globals.get("package")?;
    let mut path = String::new();
    for dir in lua_path {
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
    Ok(lua)
}

/// From how many files on a batch's states are made ahead (below, starting
/// the thread costs about what it saves).
pub(super) const AHEAD_FROM: usize = 16;

/// Bare states made on a thread of its own, in parallel with the caller,
/// which takes them one per file ([`StatesAhead::take`]) and makes one itself
/// when none is ready, so neither waits for the other.
#[derive(Debug)]
pub(super) struct StatesAhead {
    made: Receiver<Result<MadeState, String>>,
    /// States nobody has started making yet.
    unclaimed: Arc<AtomicUsize>,
    worker: Option<std::thread::JoinHandle<()>>,
}

/// A bare state moving from the thread that made it to the one that runs it.
struct MadeState(Lua);

// SAFETY: without mlua's `send` feature a `Lua` is `!Send` because its
// handles share reference counts (`Rc`) without atomic operations. A
// `MadeState` is made by `bare_state` on the maker thread, which drops every
// other handle into the state (tables, functions) before sending it, and
// nothing in the state refers to anything outside it (its Rust callbacks
// capture nothing but function pointers; the run's module cache and the
// connection are added after the move). So once it is sent, only the
// receiving thread ever touches those counts, and the channel orders the
// maker's writes before its reads.
unsafe impl Send for MadeState {}

/// Takes one of the states still to make; false when all are taken.
fn claim(unclaimed: &AtomicUsize) -> bool {
    unclaimed
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
        .is_ok()
}

impl StatesAhead {
    /// Starts making `count` states for files with `lua_path` and `limits`.
    pub(super) fn start(count: usize, lua_path: &[PathBuf], limits: LuaLimits) -> StatesAhead {
        let (sender, made) = std::sync::mpsc::channel();
        let unclaimed = Arc::new(AtomicUsize::new(count));
        let worker = {
            let (unclaimed, lua_path) = (unclaimed.clone(), lua_path.to_vec());
            std::thread::Builder::new()
                .name("vectra-db-lua-states".into())
                .spawn(move || {
                    while claim(&unclaimed) {
                        let state = bare_state(&lua_path, limits)
                            .map(MadeState)
                            .map_err(|e| e.to_string());
                        if sender.send(state).is_err() {
                            break;
                        }
                    }
                })
                .ok()
        };
        if worker.is_none() {
            unclaimed.store(0, Ordering::Release);
        }
        StatesAhead {
            made,
            unclaimed,
            worker,
        }
    }

    /// The next state: one already made, or (when all are being made) the
    /// one the thread is finishing; `None` when the caller should make one
    /// itself (none is ready and one is still to make, or the thread ended).
    pub(super) fn take(&mut self) -> Option<mlua::Result<Lua>> {
        let made = match self.made.try_recv() {
            Ok(made) => Some(made),
            Err(TryRecvError::Empty) if !claim(&self.unclaimed) => self.made.recv().ok(),
            Err(_) => None,
        };
        made.map(|made| made.map(|MadeState(lua)| lua).map_err(mlua::Error::runtime))
    }
}

impl Drop for StatesAhead {
    fn drop(&mut self) {
        // Nothing more is made; states made and not taken close here.
        self.unclaimed.store(0, Ordering::Release);
        while self.made.try_recv().is_ok() {}
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
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
    // Compiled once per process: every file's state loads the same code.
    static COMPILED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let wrappers = match COMPILED.get() {
        Some(bytecode) => load_chunk(lua, "=[vectra-db]", Chunk::Compiled(bytecode))?,
        None => {
            let dump = string_dump(lua)?;
            let (wrappers, bytecode) = compile(lua, "=[vectra-db]", WRAPPERS.as_bytes(), &dump)?;
            let _ = COMPILED.set(bytecode);
            wrappers
        }
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every state taken is a working one with the run's settings, however
    /// the work was shared between the thread and the caller, and past the
    /// number asked for.
    #[test]
    fn states_made_ahead_are_complete_and_keep_the_limits() {
        let limits = LuaLimits {
            time: None,
            memory: Some(4 << 20),
        };
        let lua_path = vec![PathBuf::from("/nowhere")];
        let mut ahead = StatesAhead::start(AHEAD_FROM, &lua_path, limits);
        for _ in 0..AHEAD_FROM + 3 {
            let lua = match ahead.take() {
                Some(made) => made.expect("a state made ahead"),
                None => bare_state(&lua_path, limits).expect("a state made here"),
            };
            let path: String = lua.load("return package.path").eval().expect("path");
            assert_eq!(path, "/nowhere/?.lua;/nowhere/?/init.lua;");
            let exit = lua.load("os.exit(1)").exec().expect_err("os.exit");
            assert!(
                exit.to_string().contains("os.exit is not allowed"),
                "{exit}"
            );
            // `pcall` is the confirming wrapper, which still catches.
            let caught: bool = lua
                .load("return not pcall(error, 'x')")
                .eval()
                .expect("pcall");
            assert!(caught);
            let grown = lua
                .load("local s = string.rep('x', 8 << 20) return #s")
                .exec();
            assert!(
                matches!(grown, Err(mlua::Error::MemoryError(_))),
                "the memory limit holds in a state made ahead: {grown:?}"
            );
        }
    }
}
