//! Fixture projects for the CLI tests: a temp directory with a
//! `vectra-db.toml`, `migrations/*.lua` (and seeds), and a way to run the real
//! `vectra-db` binary in it and capture exit code, stdout and stderr.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::TestDb;

/// What one run of the binary produced.
#[derive(Debug, Clone)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// stdout and stderr together, for "the message names X" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Asserts exit code 0 (printing everything otherwise) and returns self.
    #[track_caller]
    pub fn ok(&self) -> &Output {
        assert_eq!(self.code, 0, "expected success; {self}");
        self.no_panic()
    }

    /// Asserts the given exit code and returns self.
    #[track_caller]
    pub fn code(&self, code: i32) -> &Output {
        assert_eq!(self.code, code, "unexpected exit code; {self}");
        self.no_panic()
    }

    /// Asserts that stdout + stderr contain every one of `needles`.
    #[track_caller]
    pub fn says(&self, needles: &[&str]) -> &Output {
        let all = self.all();
        for n in needles {
            assert!(all.contains(n), "output lacks {n:?}; {self}");
        }
        self
    }

    /// Asserts that nothing looks like a Rust panic or backtrace.
    #[track_caller]
    pub fn no_panic(&self) -> &Output {
        let all = self.all();
        for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
            assert!(!all.contains(bad), "output contains {bad:?}; {self}");
        }
        self
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A fixture project in a temporary directory (removed on drop).
pub struct Project {
    dir: tempfile::TempDir,
    /// The database URL written into `vectra-db.toml` (empty when none).
    pub url: String,
}

impl Project {
    /// A project whose `development` environment connects to `db`, with a
    /// short lock timeout so a stuck lock fails a test quickly.
    pub fn new(db: &TestDb) -> Project {
        let p = Project::bare();
        let mut p = p;
        p.url = db.url.clone();
        p.config(&format!(
            "[defaults]\nlock_timeout = \"30s\"\n\n[environments.development]\nconnection = \"{}\"\n",
            db.url
        ));
        std::fs::create_dir_all(p.path("migrations")).expect("create migrations/");
        p
    }

    /// An empty directory: no config, no migrations.
    pub fn bare() -> Project {
        let dir = tempfile::Builder::new()
            .prefix("vectra-cli-")
            .tempdir()
            .expect("create temp dir");
        Project {
            dir,
            url: String::new(),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// (Re)writes `vectra-db.toml`.
    pub fn config(&self, toml: &str) -> &Project {
        self.file("vectra-db.toml", toml)
    }

    /// Writes any file (creating its directories).
    pub fn file(&self, rel: &str, text: &str) -> &Project {
        let path = self.path(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create fixture directory");
        }
        std::fs::write(&path, text).expect("write fixture file");
        self
    }

    /// Writes `migrations/NAME` (`.lua` appended when NAME has no extension).
    pub fn migration(&self, name: &str, lua: &str) -> &Project {
        let file = if name.contains('.') {
            name.to_string()
        } else {
            format!("{name}.lua")
        };
        self.file(&format!("migrations/{file}"), lua)
    }

    /// A migration that creates `table` (one `id` column) and drops it in `down`.
    pub fn table_migration(&self, name: &str, table: &str) -> &Project {
        self.migration(name, &create_table(table))
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).expect("read fixture file")
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path(rel)).expect("remove fixture file");
    }

    /// The files in `migrations/`, sorted.
    pub fn migration_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path("migrations"))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The binary, ready to run in the project with a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vectra-db"));
        cmd.args(args).current_dir(self.root());
        for var in [
            "VECTRA_ENV",
            "NODE_ENV",
            "DATABASE_URL",
            "NO_COLOR",
            "RUST_LOG",
            "RUST_BACKTRACE",
            "CLICOLOR_FORCE",
            "PGDATABASE",
            "PGPASSWORD",
        ] {
            cmd.env_remove(var);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs the binary to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        run_command(self.command(args))
    }

    /// Runs the binary with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run_command(cmd)
    }
}

pub fn run_command(mut cmd: Command) -> Output {
    let out = cmd.output().expect("run vectra-db");
    to_output(out)
}

pub fn to_output(out: std::process::Output) -> Output {
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

/// Lua for a migration that creates `table` and drops it again.
pub fn create_table(table: &str) -> String {
    format!(
        "return {{\n  up = function(knex)\n    knex.schema:raw(\"create table {table} (id integer)\")\n  end,\n  down = function(knex)\n    knex.schema:raw(\"drop table {table}\")\n  end,\n}}\n"
    )
}

/// Lua for a migration whose `up` runs `sql` (and whose `down` does nothing).
pub fn raw_up(sql: &str) -> String {
    format!(
        "return {{\n  up = function(knex)\n    knex.schema:raw([[{sql}]])\n  end,\n  down = function(knex)\n  end,\n}}\n"
    )
}

/// Hex SHA-256 of a file's bytes (what the ledger's `checksum` holds).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
