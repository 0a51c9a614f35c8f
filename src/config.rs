//! `vectra-db.toml`: discovery, environments, `${VAR}` expansion, and the one
//! validated [`Settings`] value every command works from.
//!
//! Nothing here connects to a server; the connection string is kept as given
//! (it may hold a password) and is only ever printed through
//! [`crate::db::ConnectTarget`]'s password-free display.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub const CONFIG_FILE: &str = "vectra-db.toml";

/// A configuration problem: always exit code 2, never a password in the text.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(message.into()))
}

/// One value or a list, as TOML allows for `migrations`, `seeds`, `lua_path`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// The keys an environment (or `[defaults]`) may set. Unknown keys are errors.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvironmentKeys {
    connection: Option<String>,
    direct_connection: Option<String>,
    migrations: Option<OneOrMany>,
    seeds: Option<OneOrMany>,
    lua_path: Option<OneOrMany>,
    ledger_table: Option<String>,
    ledger_schema: Option<String>,
    lock_timeout: Option<String>,
    connect_timeout: Option<String>,
    statement_timeout: Option<String>,
    statement_lock_timeout: Option<String>,
    lua_time_limit: Option<String>,
    lua_memory_limit: Option<String>,
    protected: Option<bool>,
}

impl EnvironmentKeys {
    /// `self` over `defaults`, key by key.
    fn over(self, defaults: EnvironmentKeys) -> EnvironmentKeys {
        EnvironmentKeys {
            connection: self.connection.or(defaults.connection),
            direct_connection: self.direct_connection.or(defaults.direct_connection),
            migrations: self.migrations.or(defaults.migrations),
            seeds: self.seeds.or(defaults.seeds),
            lua_path: self.lua_path.or(defaults.lua_path),
            ledger_table: self.ledger_table.or(defaults.ledger_table),
            ledger_schema: self.ledger_schema.or(defaults.ledger_schema),
            lock_timeout: self.lock_timeout.or(defaults.lock_timeout),
            connect_timeout: self.connect_timeout.or(defaults.connect_timeout),
            statement_timeout: self.statement_timeout.or(defaults.statement_timeout),
            statement_lock_timeout: self
                .statement_lock_timeout
                .or(defaults.statement_lock_timeout),
            lua_time_limit: self.lua_time_limit.or(defaults.lua_time_limit),
            lua_memory_limit: self.lua_memory_limit.or(defaults.lua_memory_limit),
            protected: self.protected.or(defaults.protected),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    defaults: EnvironmentKeys,
    #[serde(default)]
    environments: BTreeMap<String, EnvironmentKeys>,
    /// `schema:dump` settings: one per project, not per environment.
    #[serde(default)]
    schemas: crate::schema_dump::SchemasKeys,
}

/// What the command line says about configuration (resolved by `cli`).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub env: Option<String>,
    pub database_url: Option<String>,
}

/// Everything a command needs to know, validated.
#[derive(Clone)]
pub struct Settings {
    pub environment: String,
    /// The config file used, if any.
    pub config_file: Option<PathBuf>,
    /// The directory paths are relative to (the config file's, else the cwd).
    pub root: PathBuf,
    /// The connection string; may contain a password: never print it.
    pub connection: String,
    /// Straight to the server, bypassing a pooler (as Prisma's `directUrl`):
    /// used by the verbs that change the database when set. `--database-url`
    /// replaces both. May contain a password.
    pub direct_connection: Option<String>,
    pub migrations: Vec<PathBuf>,
    pub seeds: Vec<PathBuf>,
    pub lua_path: Vec<PathBuf>,
    pub ledger_table: String,
    pub ledger_schema: String,
    pub lock_timeout: Duration,
    /// Bounds connecting, start-up included (a `connect_timeout` in the URL wins).
    pub connect_timeout: Duration,
    pub statement_timeout: Duration,
    /// PostgreSQL's `lock_timeout` for each statement of a migration or seed
    /// (0 = the server's own setting); `lock_timeout` is the wait for the
    /// run's lock, not this.
    pub statement_lock_timeout: Duration,
    /// Lua time per `up` / `down` / `seed` call, server time excluded (0 = none).
    pub lua_time_limit: Duration,
    /// Bytes one file's Lua state may allocate (0 = none).
    pub lua_memory_limit: u64,
    pub protected: bool,
    /// The `[schemas]` table (`schema:dump`).
    pub schemas: crate::schema_dump::SchemaOptions,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("environment", &self.environment)
            .field("config_file", &self.config_file)
            .field("migrations", &self.migrations)
            .field("connection", &"<hidden>")
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Finds the config (or falls back to `DATABASE_URL` / `PG*`), picks the
    /// environment and expands variables, using the real process environment.
    pub fn resolve(overrides: &Overrides, cwd: &Path) -> Result<Settings, ConfigError> {
        Settings::resolve_with(overrides, cwd, &|k| std::env::var(k).ok())
    }

    /// For verbs that only touch files (`lint`, `migrate:make`, `seed:make`):
    /// an environment the file does not define falls back to `[defaults]`.
    pub fn resolve_files_only(overrides: &Overrides, cwd: &Path) -> Result<Settings, ConfigError> {
        Settings::resolve_inner(overrides, cwd, &|k| std::env::var(k).ok(), false)
    }

    /// [`Settings::resolve`] with an explicit variable lookup (for tests).
    pub fn resolve_with(
        overrides: &Overrides,
        cwd: &Path,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        Settings::resolve_inner(overrides, cwd, var, true)
    }

    fn resolve_inner(
        overrides: &Overrides,
        cwd: &Path,
        var: &dyn Fn(&str) -> Option<String>,
        require_environment: bool,
    ) -> Result<Settings, ConfigError> {
        let config_file = match &overrides.config {
            Some(path) => {
                let path = cwd.join(path);
                if !path.is_file() {
                    return err(format!("config file `{}` does not exist", path.display()));
                }
                Some(path)
            }
            None => discover(cwd),
        };
        let environment = overrides
            .env
            .clone()
            .or_else(|| var("VECTRA_ENV").filter(|v| !v.is_empty()))
            .or_else(|| var("NODE_ENV").filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "development".to_string());

        let mut schemas = crate::schema_dump::SchemasKeys::default();
        let (root, keys) = match &config_file {
            Some(path) => {
                let root = path
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| cwd.to_path_buf());
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError(format!("cannot read `{}`: {e}", path.display())))?;
                let file: ConfigFile =
                    toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?;
                let found = file.environments.get(&environment).cloned();
                let found = match found {
                    None if !require_environment => Some(EnvironmentKeys::default()),
                    other => other,
                };
                let Some(env_keys) = found else {
                    let known: Vec<&str> = file.environments.keys().map(String::as_str).collect();
                    return err(format!(
                        "unknown environment `{environment}` in `{}` (defined: {})",
                        path.display(),
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ));
                };
                schemas = file.schemas;
                (root, env_keys.over(file.defaults))
            }
            None => (
                cwd.to_path_buf(),
                EnvironmentKeys {
                    // libpq users expect DATABASE_URL, then PG* variables and defaults.
                    connection: var("DATABASE_URL").filter(|v| !v.is_empty()),
                    ..EnvironmentKeys::default()
                },
            ),
        };
        let where_ = config_file
            .as_ref()
            .map(|p| format!("`{}` [environments.{environment}]", p.display()))
            .unwrap_or_else(|| "the environment".to_string());
        let expand_key =
            |key: &str, value: Option<String>| -> Result<Option<String>, ConfigError> {
                value
                    .map(|v| {
                        expand(&v, var).map_err(|e| ConfigError(format!("{where_}: `{key}`: {e}")))
                    })
                    .transpose()
            };
        let expand_list = |key: &str,
                           value: Option<OneOrMany>,
                           default: &str|
         -> Result<Vec<PathBuf>, ConfigError> {
            let items = value
                .map(OneOrMany::into_vec)
                .unwrap_or_else(|| vec![default.to_string()]);
            items
                .into_iter()
                .map(|item| expand_key(key, Some(item)).map(|v| root.join(v.unwrap_or_default())))
                .collect()
        };
        // Migration and seed directories may be patterns (`plugins/*/migrations`).
        let expand_dirs = |key: &str,
                           value: Option<OneOrMany>,
                           default: &str|
         -> Result<Vec<PathBuf>, ConfigError> {
            let mut dirs = Vec::new();
            for dir in expand_list(key, value, default)? {
                dirs.extend(
                    matching_dirs(&dir)
                        .map_err(|e| ConfigError(format!("{where_}: `{key}`: {e}")))?,
                );
            }
            Ok(dirs)
        };

        let (connection, direct_connection) = match overrides.database_url.clone() {
            Some(url) => (url, None),
            None => (
                expand_key("connection", keys.connection)?.unwrap_or_default(),
                expand_key("direct_connection", keys.direct_connection)?
                    .filter(|d| !d.trim().is_empty()),
            ),
        };
        let ledger_table = expand_key("ledger_table", keys.ledger_table)?
            .unwrap_or_else(|| "knex_migrations".into());
        let ledger_schema =
            expand_key("ledger_schema", keys.ledger_schema)?.unwrap_or_else(|| "public".into());
        if ledger_table.is_empty() || ledger_schema.is_empty() {
            return err(format!(
                "{where_}: `ledger_table` and `ledger_schema` must not be empty"
            ));
        }
        let lock_timeout = parse_duration(
            &expand_key("lock_timeout", keys.lock_timeout)?.unwrap_or_else(|| "60s".into()),
        )
        .map_err(|e| ConfigError(format!("{where_}: `lock_timeout`: {e}")))?;
        let connect_timeout = parse_duration(
            &expand_key("connect_timeout", keys.connect_timeout)?.unwrap_or_else(|| "10s".into()),
        )
        .map_err(|e| ConfigError(format!("{where_}: `connect_timeout`: {e}")))?;
        let statement_timeout = parse_duration(
            &expand_key("statement_timeout", keys.statement_timeout)?.unwrap_or_else(|| "0".into()),
        )
        .map_err(|e| ConfigError(format!("{where_}: `statement_timeout`: {e}")))?;
        let statement_lock_timeout = parse_duration(
            &expand_key("statement_lock_timeout", keys.statement_lock_timeout)?
                .unwrap_or_else(|| "0".into()),
        )
        .map_err(|e| ConfigError(format!("{where_}: `statement_lock_timeout`: {e}")))?;
        let lua_time_limit = parse_duration(
            &expand_key("lua_time_limit", keys.lua_time_limit)?
                .unwrap_or_else(|| DEFAULT_LUA_TIME_LIMIT.into()),
        )
        .map_err(|e| ConfigError(format!("{where_}: `lua_time_limit`: {e}")))?;
        let lua_memory_limit = parse_size(
            &expand_key("lua_memory_limit", keys.lua_memory_limit)?
                .unwrap_or_else(|| DEFAULT_LUA_MEMORY_LIMIT.into()),
        )
        .map_err(|e| ConfigError(format!("{where_}: `lua_memory_limit`: {e}")))?;

        let schemas = schemas.resolve(&root);
        Ok(Settings {
            migrations: expand_dirs("migrations", keys.migrations, "migrations")?,
            seeds: expand_dirs("seeds", keys.seeds, "seeds")?,
            lua_path: expand_list("lua_path", keys.lua_path, "lua")?,
            environment,
            config_file,
            root,
            connection,
            direct_connection,
            ledger_table,
            ledger_schema,
            lock_timeout,
            connect_timeout,
            statement_timeout,
            statement_lock_timeout,
            lua_time_limit,
            lua_memory_limit,
            protected: keys.protected.unwrap_or(false),
            schemas,
        })
    }
}

/// The directories a `migrations` / `seeds` entry names: itself, or, when
/// it holds a glob pattern (`*`, `?`, `[`), every directory matching it, in
/// path order (none is fine: a plugin folder may have no migrations yet).
fn matching_dirs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let text = dir.to_string_lossy();
    if !text.contains(['*', '?', '[']) {
        return Ok(vec![dir.to_path_buf()]);
    }
    let paths = glob::glob(&text).map_err(|e| format!("bad pattern `{text}`: {e}"))?;
    let mut dirs = Vec::new();
    for path in paths {
        let path = path.map_err(|e| format!("cannot read `{}`: {e}", e.path().display()))?;
        if path.is_dir() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// `vectra-db.toml` in `start` or the nearest parent, like Cargo.toml.
pub fn discover(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(CONFIG_FILE))
        .find(|p| p.is_file())
}

/// Expands `${VAR}` and `${VAR:-default}`; `$$` is a literal `$`.
pub fn expand(text: &str, var: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(end) = body.find('}') else {
                return Err(format!("unclosed `${{` in `{}`", redact_passwords(text)));
            };
            let inner = &body[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`${{{inner}}}` is not a valid variable reference"));
            }
            match (var(name).filter(|v| !v.is_empty()), default) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => {
                    return Err(format!(
                        "environment variable `{name}` is not set (use `${{{name}:-default}}` for a fallback)"
                    ))
                }
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A TOML error with its line, without the `toml` crate's rendering, which
/// quotes the source line as it is (and a connection line may hold a password).
fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let message = e.message().trim_end();
    let Some(start) = e.span().map(|s| s.start) else {
        return ConfigError(format!("invalid config `{}`: {message}", path.display()));
    };
    let before = text.get(..start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let source = text.lines().nth(line - 1).unwrap_or_default();
    ConfigError(format!(
        "invalid config `{}` at line {line}, column {column}: {message}\n  {line} | {}",
        path.display(),
        redact_passwords(source)
    ))
}

/// Hides URL passwords and `password=` values anywhere in a line of text.
pub fn redact_passwords(line: &str) -> String {
    let ends_token = |c: char| c == '"' || c == '\'' || c.is_whitespace();
    // `scheme://user:secret@host` → `scheme://user:***@host`
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let (token, after) = tail.split_at(tail.find(ends_token).unwrap_or(tail.len()));
        match (token.find(':'), token.rfind('@')) {
            (Some(colon), Some(at)) if colon < at => {
                out.push_str(&token[..colon]);
                out.push_str(":***");
                out.push_str(&token[at..]);
            }
            _ => out.push_str(token),
        }
        rest = after;
    }
    out.push_str(rest);
    // libpq `password=secret` or `password='s e c'`
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find("password=") {
        let (head, tail) = rest.split_at(i + "password=".len());
        result.push_str(head);
        result.push_str("***");
        rest = match tail.strip_prefix('\'') {
            Some(quoted) => quoted.find('\'').map_or("", |q| &quoted[q + 1..]),
            None => &tail[tail.find(ends_token).unwrap_or(tail.len())..],
        };
    }
    result.push_str(rest);
    result
}

/// Lua time per file call unless `lua_time_limit` says otherwise: a minute of
/// pure Lua (server time excluded) is far beyond any real migration or seed,
/// and short enough that a runaway loop does not hold the batch's locks for long.
pub const DEFAULT_LUA_TIME_LIMIT: &str = "60s";
/// Memory one file's Lua code may allocate unless `lua_memory_limit` says otherwise.
pub const DEFAULT_LUA_MEMORY_LIMIT: &str = "1GB";

impl Settings {
    /// The Lua limits as the bridge takes them (0 = none).
    pub fn lua_limits(&self) -> crate::lua::LuaLimits {
        crate::lua::LuaLimits {
            time: (!self.lua_time_limit.is_zero()).then_some(self.lua_time_limit),
            memory: usize::try_from(self.lua_memory_limit)
                .ok()
                .filter(|&m| m > 0),
        }
    }
}

/// `"1.5GB"` → `(1.5, "GB")`: the leading number and the unit after it.
fn number_and_unit(text: &str) -> Option<(f64, &str)> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    Some((num.parse().ok()?, unit.trim()))
}

/// `"64MB"`, `"1GB"`, `"512kB"`, `"0"` (a bare number is bytes; units are
/// binary: 1 MB = 1024 × 1024 bytes, as PostgreSQL's own settings count).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (value, unit) = number_and_unit(text)
        .ok_or_else(|| format!("`{text}` is not a size (examples: `512MB`, `1GB`, `0`)"))?;
    let factor: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1024.0,
        "mb" | "m" => 1024.0 * 1024.0,
        "gb" | "g" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (use kB, MB or GB)"
            ))
        }
    };
    Ok((value * factor) as u64)
}

/// `"60s"`, `"500ms"`, `"2m"`, `"1h"`, `"0"` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let (value, unit) = number_and_unit(text).ok_or_else(|| {
        format!("`{text}` is not a duration (examples: `60s`, `500ms`, `2m`, `0`)")
    })?;
    let secs = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (use ms, s, m or h)"
            ))
        }
    };
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn sizes_are_parsed() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64MB"), Ok(64 * 1024 * 1024));
        assert_eq!(parse_size("1GB"), Ok(1024 * 1024 * 1024));
        assert_eq!(parse_size("512kB"), Ok(512 * 1024));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3 parsecs").is_err());
    }

    #[test]
    fn expands_variables_with_defaults() {
        let v = vars(&[("A", "x")]);
        assert_eq!(expand("p-${A}-${B:-d}-$$", &v).unwrap(), "p-x-d-$");
        let e = expand("${MISSING}", &v).unwrap_err();
        assert!(e.contains("`MISSING` is not set"), "{e}");
    }

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("60s").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_passwords("postgres://u:pw@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            redact_passwords("connection = \"postgres://u:p@w@h/db\" # postgres://x@y"),
            "connection = \"postgres://u:***@h/db\" # postgres://x@y"
        );
        assert_eq!(
            redact_passwords("connection = \"host=h password='s e' password=t port=1\""),
            "connection = \"host=h password=*** password=*** port=1\""
        );
    }

    #[test]
    fn environments_inherit_defaults_and_reject_unknown_keys() {
        let dir = std::env::temp_dir().join(format!("vectra-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(CONFIG_FILE),
            "[defaults]\nledger_table = \"my_ledger\"\n[environments.dev]\nconnection = \"${U:-postgres:///x}\"\n",
        )
        .unwrap();
        let o = Overrides {
            env: Some("dev".into()),
            ..Overrides::default()
        };
        let s = Settings::resolve_with(&o, &dir, &vars(&[])).unwrap();
        assert_eq!(s.ledger_table, "my_ledger");
        assert_eq!(s.connection, "postgres:///x");
        assert_eq!(s.migrations, vec![dir.join("migrations")]);

        std::fs::write(
            dir.join(CONFIG_FILE),
            "[environments.dev]\nconection = \"x\"\n",
        )
        .unwrap();
        let e = Settings::resolve_with(&o, &dir, &vars(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `conection`"), "{e}");
        assert!(e.contains(CONFIG_FILE), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn migration_directories_may_be_glob_patterns() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        for d in [
            "migrations",
            "plugins/b/migrations",
            "plugins/a/migrations",
            "plugins/c",
        ] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        std::fs::write(dir.join("plugins/not_a_dir"), "").unwrap();
        std::fs::write(
            dir.join(CONFIG_FILE),
            "[defaults]\nmigrations = [\"migrations\", \"plugins/*/migrations\"]\nseeds = \"none/*/seeds\"\n[environments.development]\n",
        )
        .unwrap();
        let s = Settings::resolve_with(&Overrides::default(), dir, &vars(&[])).unwrap();
        assert_eq!(
            s.migrations,
            vec![
                dir.join("migrations"),
                dir.join("plugins/a/migrations"),
                dir.join("plugins/b/migrations"),
            ]
        );
        assert!(s.seeds.is_empty(), "{:?}", s.seeds);

        std::fs::write(
            dir.join(CONFIG_FILE),
            "[defaults]\nmigrations = \"a/[b\"\n[environments.development]\n",
        )
        .unwrap();
        let e = Settings::resolve_with(&Overrides::default(), dir, &vars(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`migrations`") && e.contains("bad pattern"),
            "{e}"
        );
    }
}
