//! A private PgBouncer for one test, in transaction pooling mode (what managed
//! PostgreSQL services put in front of a database).
//!
//! It listens on a free port of 127.0.0.1 with `auth_type = trust`, and
//! reaches the local server over its Unix socket. Peer authentication ties the
//! server role to the OS user PgBouncer runs as, and PgBouncer refuses to run
//! as root: as root it runs as `postgres` and logs in as role `postgres`
//! (every client's server connections use that role); otherwise it runs as
//! the current user and logs in as that user's role. Stopped on drop. The
//! server is the one on Debian's socket directory, whatever
//! `VECTRA_TEST_ADMIN_URL` says.
//! `scripts/pgbouncer-install` installs it (`scripts/test` runs it first).
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{os_user, TestDb};

/// Where the local server's socket is (Debian's default).
const SOCKET_DIR: &str = "/var/run/postgresql";

/// A running PgBouncer, killed on drop.
pub struct PgBouncer {
    dir: tempfile::TempDir,
    child: Child,
    pub port: u16,
    /// Server connections per database/user pair (`default_pool_size`).
    pub pool_size: u32,
}

impl PgBouncer {
    /// Starts PgBouncer with `pool_size` server connections per database (1
    /// makes every client of a database share one server connection, so what
    /// one client leaves on it the next one surely meets) and waits until it
    /// hands out connections to `db`.
    pub fn start(db: &TestDb, pool_size: u32) -> PgBouncer {
        let binary = binary();
        // Another test may take the free port between the probe and the bind:
        // try a few ports.
        let mut last_log = String::new();
        for _ in 0..5 {
            let mut bouncer = PgBouncer::spawn(&binary, pool_size);
            match bouncer.wait_ready(db) {
                Ok(()) => return bouncer,
                Err(log) if log.contains("Address already in use") => last_log = log,
                Err(log) => panic!(
                    "PgBouncer did not start (config {}):\n{log}",
                    bouncer.dir.path().join("pgbouncer.ini").display()
                ),
            }
        }
        panic!("PgBouncer found no free port:\n{last_log}");
    }

    fn spawn(binary: &str, pool_size: u32) -> PgBouncer {
        let dir = tempfile::Builder::new()
            .prefix("vectra-pgbouncer-")
            .tempdir()
            .expect("create PgBouncer temp dir");
        let as_root = is_root();
        let server_user = if as_root {
            "postgres".to_string()
        } else {
            os_user()
        };
        let port = free_port();
        let path = |f: &str| dir.path().join(f).display().to_string();
        let ini = format!(
            "[databases]\n\
             * = host={SOCKET_DIR} user={server_user}\n\
             \n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {auth}\n\
             pool_mode = transaction\n\
             default_pool_size = {pool_size}\n\
             min_pool_size = 0\n\
             reserve_pool_size = 0\n\
             max_client_conn = 100\n\
             ; a hang fails fast: a client waits at most this long for a server connection\n\
             query_wait_timeout = 30\n\
             server_login_retry = 1\n\
             logfile = {log}\n\
             pidfile = {pid}\n",
            auth = path("userlist.txt"),
            log = path("pgbouncer.log"),
            pid = path("pgbouncer.pid"),
        );
        write(&path("pgbouncer.ini"), &ini);
        // With trust the password is not checked, but the user must be listed.
        write(&path("userlist.txt"), &format!("\"{}\" \"\"\n", os_user()));
        let mut cmd = if as_root {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("run chown");
            assert!(status.success(), "chown of the PgBouncer dir failed");
            // setpriv execs PgBouncer itself (runuser would stay in between as
            // its parent), so killing the child stops PgBouncer.
            let mut cmd = Command::new("setpriv");
            cmd.args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                binary,
            ]);
            cmd
        } else {
            Command::new(binary)
        };
        let child = cmd
            .arg(path("pgbouncer.ini"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {binary}: {e}"));
        PgBouncer {
            dir,
            child,
            port,
            pool_size,
        }
    }

    /// Waits until a client gets through to `db`; the log when it cannot.
    fn wait_ready(&mut self, db: &TestDb) -> Result<(), String> {
        let started = Instant::now();
        let url = self.url(db);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("PgBouncer exited ({status}):\n{}", self.log()));
            }
            let last = match postgres::Client::connect(&url, postgres::NoTls)
                .and_then(|mut c| c.simple_query("select 1"))
            {
                Ok(_) => return Ok(()),
                Err(e) => e.to_string(),
            };
            if started.elapsed() > Duration::from_secs(10) {
                return Err(format!(
                    "PgBouncer did not answer within 10 s ({last}):\n{}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The URL that reaches `db` through this PgBouncer.
    pub fn url(&self, db: &TestDb) -> String {
        format!(
            "postgres://{}@127.0.0.1:{}/{}",
            os_user(),
            self.port,
            db.name
        )
    }

    /// A new client connection to `db` through this PgBouncer.
    pub fn client(&self, db: &TestDb) -> postgres::Client {
        postgres::Client::connect(&self.url(db), postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect through PgBouncer: {e}\n{}", self.log()))
    }

    /// PgBouncer's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The pgbouncer binary; a clear failure (never a skip) when it is missing.
fn binary() -> String {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<PathBuf>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|d| d.join("pgbouncer"))
        .find(|p| p.is_file());
    match on_path {
        Some(p) => p.display().to_string(),
        None => panic!(
            "pgbouncer is not installed, and the pooler tests need it: run scripts/pgbouncer-install \
             (scripts/test runs it), or `apt-get install pgbouncer`"
        ),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

fn write(path: &str, text: &str) {
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .unwrap_or_else(|e| panic!("write {path}: {e}"));
}
