//! Shared test support: a throwaway PostgreSQL database per test.
//!
//! Tests connect over the local socket as the OS user (peer auth), or to
//! `VECTRA_TEST_ADMIN_URL` when set. `scripts/test` starts the server and
//! creates the role first.
#![allow(dead_code)]

pub mod npm;
pub mod pgbouncer;
pub mod project;

use std::sync::atomic::{AtomicUsize, Ordering};

use vectra_db::db::{ConnectOptions, ConnectTarget, Db};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The admin connection string (any database on the test server).
pub fn admin_url() -> String {
    std::env::var("VECTRA_TEST_ADMIN_URL").unwrap_or_else(|_| "postgres:///postgres".to_string())
}

/// A database created for one test and dropped when the value goes out of scope.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new(tag: &str) -> TestDb {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let tag: String = tag
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(30)
            .collect();
        let name = format!("vt_{tag}_{}_{n}", std::process::id());
        let mut admin = admin_client();
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .expect("drop stale test database");
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("create test database");
        let url = with_database(&admin_url(), &name);
        TestDb { name, url }
    }

    pub fn client(&self) -> postgres::Client {
        test_client(&self.url).expect("connect to test database")
    }

    pub fn db(&self) -> Db {
        Db::new(
            ConnectTarget::parse(&self.url)
                .expect("parse test url")
                .connect(&ConnectOptions::default())
                .expect("connect to test database"),
        )
    }

    /// Runs a query and returns the first column of each row as text.
    pub fn strings(&self, sql: &str) -> Vec<String> {
        strings(&self.url, sql)
    }

    pub fn table_exists(&self, table: &str) -> bool {
        self.strings(&format!("select to_regclass('{table}') is not null"))[0] == "t"
    }

    /// Rows in the ledger (0 before it exists).
    pub fn ledger_count(&self) -> usize {
        if !self.table_exists("knex_migrations") {
            return 0;
        }
        self.strings("select count(*) from knex_migrations")[0]
            .parse()
            .expect("count")
    }

    /// Advisory locks held on this database (the runner's lock).
    pub fn advisory_locks(&self) -> usize {
        self.strings(&format!(
            "select count(*) from pg_locks l join pg_database d on d.oid = l.database \
             where l.locktype = 'advisory' and d.datname = '{}'",
            self.name
        ))[0]
            .parse()
            .expect("count")
    }

    /// The URL node-postgres understands for this database (socket, OS user).
    pub fn node_url(&self) -> String {
        format!(
            "postgresql://{}@localhost/{}?host=/var/run/postgresql",
            os_user(),
            self.name
        )
    }
}

/// The OS user, which is the database role over the local socket (peer auth).
pub fn os_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "root".to_string())
}

/// `pg_dump ARGS URL` without the `\restrict` / `\unrestrict` lines newer
/// releases wrap around a dump with a random key.
pub fn pg_dump(url: &str, args: &[&str]) -> String {
    let binary = ["/usr/bin/pg_dump", "/usr/lib/postgresql/15/bin/pg_dump"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("pg_dump");
    let out = std::process::Command::new(binary)
        .args(args)
        .arg("-d")
        .arg(url)
        .output()
        .expect("pg_dump must be installed to run this test");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A bound value as JSON, the form Knex's `toSQL()` shows it in.
pub fn value_json(v: &vectra_db::sql::Value) -> serde_json::Value {
    use serde_json::json;
    use vectra_db::sql::Value;
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Text(s) => json!(s),
        // The form Knex's `toSQL()` shows for a Buffer.
        Value::Bytes(b) => json!({ "type": "Buffer", "data": b }),
        Value::Json(j) => j.clone(),
        Value::Array(items) => serde_json::Value::Array(items.iter().map(value_json).collect()),
    }
}

/// `(code):toSQL()` in `lua` (which has a global `knex`): the SQL and its
/// bindings as JSON.
pub fn to_sql(lua: &mlua::Lua, code: &str) -> (String, serde_json::Value) {
    let t: mlua::Table = lua
        .load(format!("return ({code}):toSQL()"))
        .set_name("row.lua")
        .eval()
        .unwrap_or_else(|e| panic!("{code}: {e}"));
    let sql: String = t.get("sql").expect("sql");
    let bindings: mlua::Table = t.get("bindings").expect("bindings");
    let values = bindings
        .sequence_values::<mlua::Value>()
        .map(|v| {
            value_json(&vectra_db::lua::value::to_value(lua, &v.expect("binding")).expect("value"))
        })
        .collect();
    (sql, serde_json::Value::Array(values))
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = std::panic::catch_unwind(admin_client) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Runs a query on the database at `url`; the first column of each row as text.
pub fn strings(url: &str, sql: &str) -> Vec<String> {
    ConnectTarget::parse(url)
        .expect("parse url")
        .connect(&ConnectOptions::default())
        .expect("connect")
        .simple_query(sql)
        .expect("query")
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or("NULL").to_string()),
            _ => None,
        })
        .collect()
}

pub fn admin_client() -> postgres::Client {
    test_client(&admin_url())
        .expect("connect to the test server (run scripts/test, which starts it)")
}

/// The tests' own blocking client, with the settings vectra-db would use.
fn test_client(url: &str) -> Result<postgres::Client, postgres::Error> {
    let target = ConnectTarget::parse(url).expect("parse test url");
    postgres::Config::from(target.driver_config().clone()).connect(postgres::NoTls)
}

/// Replaces the database part of a URL (`postgres:///postgres` → `postgres:///NAME`).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let head = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{head}/{db}?{q}"),
        None => format!("{head}/{db}"),
    }
}

/// Lua helpers for scripts under test: `check(got, want)` compares deeply
/// (integer and float kept apart) and fails with both values shown.
pub const LUA_PRELUDE: &str = r#"
local function show(v)
  if type(v) ~= "table" then
    return (type(v) == "string" and string.format("%q", v) or tostring(v)) .. " (" .. (math.type(v) or type(v)) .. ")"
  end
  local parts = {}
  for k, x in pairs(v) do parts[#parts + 1] = tostring(k) .. "=" .. show(x) end
  table.sort(parts)
  return "{" .. table.concat(parts, ", ") .. "}"
end
local function same(a, b)
  if type(a) ~= type(b) or math.type(a) ~= math.type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end
local function check(got, want)
  if not same(got, want) then error("got " .. show(got) .. ", want " .. show(want), 2) end
end
"#;
