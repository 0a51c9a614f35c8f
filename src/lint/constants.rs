//! The names `lua/constants.lua` defines, as the linter sees them.
//!
//! The file is *evaluated* (mlua, in a state without `io` and `os`), not parsed:
//! constants modules compute names (`C.values` is built by a loop in ours;
//! teammates alias, `setmetatable`, or `require` helpers), and only running
//! the chunk gives the table the migrations will really see. It is the same
//! trust as `migrate:latest`, which runs the file anyway; without `io`/`os` it
//! cannot touch anything. The result is copied into a plain tree so the
//! linter never holds a Lua state.

use std::collections::BTreeMap;
use std::path::Path;

use mlua::{HookTriggers, Lua, LuaOptions, StdLib, Table, Value as LuaValue, VmState};

/// A value of the constants table, reduced to what the linter needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Str(String),
    /// A table, keyed by its keys' text (integer keys as decimal text).
    Table(BTreeMap<String, Node>),
    /// Numbers, booleans, functions: present, but not names.
    Other,
}

/// The evaluated constants module; empty when there is none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constants {
    root: BTreeMap<String, Node>,
}

/// Deep enough for any sane constants table; stops cycles.
/// The key of `C.tables` (key → table name) in the constants table.
pub const TABLES: &str = "tables";
/// The key of `C.columns` (table key → column key → column name).
pub const COLUMNS: &str = "columns";

const MAX_DEPTH: usize = 16;
/// Lua instructions the constants module may run before it counts as stuck.
const INSTRUCTION_BUDGET: u32 = 50_000_000;
const HOOK_EVERY: u32 = 100_000;

impl Constants {
    /// Evaluates the file and keeps its returned table. The error is a
    /// ready-to-print message.
    pub fn load(path: &Path) -> Result<Constants, String> {
        let source =
            std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        Constants::evaluate(&path.display().to_string(), &source, dir)
    }

    /// Evaluates constants source text; `dir` is where its own `require`s look.
    pub fn evaluate(display: &str, source: &[u8], dir: &Path) -> Result<Constants, String> {
        let libs = StdLib::ALL_SAFE ^ StdLib::IO ^ StdLib::OS;
        let lua = Lua::new_with(libs, LuaOptions::default())
            .map_err(|e| format!("cannot start Lua to read the constants: {e}"))?;
        let dir = dir.display().to_string();
        let set_path = || -> mlua::Result<()> {
            let package: Table = lua.globals().get("package")?;
            package.set("path", format!("{dir}/?.lua;{dir}/?/init.lua"))
        };
        set_path().map_err(|e| format!("cannot set `package.path`: {e}"))?;
        // A constants table takes a few thousand instructions; an endless loop
        // must not hang `lint`.
        let budget = std::cell::Cell::new(INSTRUCTION_BUDGET / HOOK_EVERY);
        lua.set_hook(
            HookTriggers::new().every_nth_instruction(HOOK_EVERY),
            move |_, _| match budget.get() {
                0 => Err(mlua::Error::runtime(
                    "the constants module did not finish (an endless loop?)",
                )),
                left => {
                    budget.set(left - 1);
                    Ok(VmState::Continue)
                }
            },
        )
        .map_err(|e| format!("cannot limit the constants module: {e}"))?;
        let value: LuaValue = lua
            .load(source)
            .set_name(format!("@{display}"))
            .eval()
            .map_err(|e| format!("the constants module failed to load: {}", first_line(&e)))?;
        let LuaValue::Table(table) = value else {
            return Err(format!(
                "the constants module must return a table, but returned a {}",
                value.type_name()
            ));
        };
        match to_node(&table, 0) {
            Node::Table(root) => Ok(Constants { root }),
            _ => Err("the constants module must return a table".to_string()),
        }
    }

    /// Builds constants from a tree (tests, other front ends).
    pub fn from_root(root: BTreeMap<String, Node>) -> Constants {
        Constants { root }
    }

    pub fn is_empty(&self) -> bool {
        self.root.is_empty()
    }

    /// The node at `path` below the root, if every step exists.
    pub fn get(&self, path: &[String]) -> Option<&Node> {
        let (first, rest) = path.split_first()?;
        let mut node = self.root.get(first)?;
        for key in rest {
            match node {
                Node::Table(map) => node = map.get(key)?,
                _ => return None,
            }
        }
        Some(node)
    }

    /// The keys at the root (`tables`, `columns`, …).
    pub fn root(&self) -> &BTreeMap<String, Node> {
        &self.root
    }

    /// `C.tables`: key → table name.
    fn tables(&self) -> impl Iterator<Item = (&str, &str)> {
        strings_of(self.root.get(TABLES))
    }

    /// The key `k` with `C.tables[k] == name`.
    pub fn table_key(&self, name: &str) -> Option<&str> {
        self.tables().find(|(_, v)| *v == name).map(|(k, _)| k)
    }

    /// The table key whose columns are `C.columns[key]`, for a table *name*.
    /// Falls back to the name itself when `C.columns` is keyed by names.
    pub fn columns_key_for_table(&self, table_name: &str) -> Option<String> {
        let columns = match self.root.get(COLUMNS) {
            Some(Node::Table(map)) => map,
            _ => return None,
        };
        if let Some(key) = self.table_key(table_name) {
            if columns.contains_key(key) {
                return Some(key.to_string());
            }
        }
        columns
            .contains_key(table_name)
            .then(|| table_name.to_string())
    }

    /// The column key `k` with `C.columns[table_key][k] == column`.
    pub fn column_key(&self, table_key: &str, column: &str) -> Option<&str> {
        let columns = match self.root.get(COLUMNS) {
            Some(Node::Table(map)) => map.get(table_key),
            _ => None,
        };
        strings_of(columns)
            .find(|(_, v)| *v == column)
            .map(|(k, _)| k)
    }

    /// Every `(table_key, column_key)` whose column is named `column`.
    pub fn column_everywhere(&self, column: &str) -> Vec<(String, String)> {
        let Some(Node::Table(columns)) = self.root.get(COLUMNS) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (table_key, node) in columns {
            for (k, v) in strings_of(Some(node)) {
                if v == column {
                    out.push((table_key.clone(), k.to_string()));
                }
            }
        }
        out
    }
}

fn strings_of(node: Option<&Node>) -> impl Iterator<Item = (&str, &str)> {
    let map = match node {
        Some(Node::Table(map)) => Some(map),
        _ => None,
    };
    map.into_iter().flat_map(|m| {
        m.iter().filter_map(|(k, v)| match v {
            Node::Str(s) => Some((k.as_str(), s.as_str())),
            _ => None,
        })
    })
}

fn to_node(table: &Table, depth: usize) -> Node {
    if depth > MAX_DEPTH {
        return Node::Other;
    }
    let mut map = BTreeMap::new();
    for (key, value) in table.pairs::<LuaValue, LuaValue>().flatten() {
        let key = match key {
            LuaValue::String(s) => match s.to_str() {
                Ok(s) => s.to_string(),
                Err(_) => continue,
            },
            LuaValue::Integer(i) => i.to_string(),
            _ => continue,
        };
        let node = match value {
            LuaValue::String(s) => match s.to_str() {
                Ok(s) => Node::Str(s.to_string()),
                Err(_) => Node::Other,
            },
            LuaValue::Table(t) => to_node(&t, depth + 1),
            _ => Node::Other,
        };
        map.insert(key, node);
    }
    Node::Table(map)
}

/// Lua errors carry a traceback; the first line holds `file:line: message`.
fn first_line(e: &mlua::Error) -> String {
    let text = e.to_string();
    text.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str) -> Result<Constants, String> {
        Constants::evaluate("constants.lua", src.as_bytes(), Path::new("."))
    }

    #[test]
    fn computed_tables_are_seen_as_evaluated() {
        let c = eval(
            r#"local C = { tables = { users = "users" }, columns = {} }
               C.columns.users = {}
               for _, n in ipairs({ "id", "email" }) do C.columns.users[n] = n end
               return C"#,
        )
        .expect("loads");
        assert_eq!(c.table_key("users"), Some("users"));
        assert_eq!(c.column_key("users", "email"), Some("email"));
        assert_eq!(c.columns_key_for_table("users").as_deref(), Some("users"));
    }

    #[test]
    fn keys_and_names_may_differ() {
        let c = eval(
            r#"return { tables = { people = "app_users" },
                        columns = { people = { mail = "email_address" } } }"#,
        )
        .expect("loads");
        assert_eq!(c.table_key("app_users"), Some("people"));
        assert_eq!(
            c.columns_key_for_table("app_users").as_deref(),
            Some("people")
        );
        assert_eq!(c.column_key("people", "email_address"), Some("mail"));
        assert_eq!(
            c.column_everywhere("email_address"),
            vec![("people".to_string(), "mail".to_string())]
        );
    }

    #[test]
    fn io_and_os_are_not_available() {
        let err = eval("os.remove('x') return {}").unwrap_err();
        assert!(err.contains("failed to load"), "{err}");
    }

    #[test]
    fn an_endless_loop_is_stopped() {
        let err = eval("while true do end return {}").unwrap_err();
        assert!(err.contains("did not finish"), "{err}");
    }

    #[test]
    fn a_module_that_returns_no_table_is_an_error() {
        let err = eval("return 42").unwrap_err();
        assert!(err.contains("must return a table"), "{err}");
    }
}
