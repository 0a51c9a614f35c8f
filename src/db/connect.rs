//! Connection strings (URL or libpq `key=value`), libpq defaults and TLS.
//!
//! The `tokio-postgres` driver parses both forms but knows only `sslmode` disable /
//! prefer / require and reads no `PG*` variables; this module adds what libpq
//! users expect: `verify-ca` / `verify-full` with `sslrootcert`, the `PG*`
//! variables, the Unix-socket default, and a printable form without password.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::mpsc::TryRecvError;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::Config;

use super::client::{self, Client, ConnectFailure};

use super::error::connection_message;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl TlsMode {
    fn parse(text: &str) -> Result<TlsMode, String> {
        Ok(match text {
            "disable" | "allow" => TlsMode::Disable,
            "prefer" => TlsMode::Prefer,
            "require" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" => TlsMode::VerifyFull,
            other => {
                return Err(format!(
                    "unknown sslmode `{other}` (expected disable, prefer, require, verify-ca or verify-full)"
                ))
            }
        })
    }
}

/// Where to connect and how; built from the configured connection string.
#[derive(Clone)]
pub struct ConnectTarget {
    config: Config,
    tls: TlsMode,
    root_cert: Option<PathBuf>,
}

/// How this process reaches the server, as the connection string says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub unix_socket: bool,
    pub port: u16,
    /// Configured as `direct_connection`: straight to the server, never pooled.
    pub direct: bool,
}

/// Why a connection looks like it goes through a pooler or proxy rather than
/// straight to the server, or `None` when it looks direct: the server
/// listens on another port than the one we connected to, or sees its client
/// arrive over TCP where we used a Unix socket (or the other way round).
/// A pooler on the server's own port, reached the same way, is not seen:
/// `direct_connection` is the sure way (docs/deploying-to-production.md).
pub(crate) fn looks_pooled(
    endpoint: Endpoint,
    server_port: &str,
    client_on_socket: bool,
) -> Option<String> {
    if server_port != endpoint.port.to_string() {
        return Some(format!(
            "connected to port {}, but the server listens on port {server_port}",
            endpoint.port
        ));
    }
    match (endpoint.unix_socket, client_on_socket) {
        (true, false) => {
            Some("connected through a Unix socket, but the server sees a TCP client".to_string())
        }
        (false, true) => {
            Some("connected over TCP, but the server sees a Unix-socket client".to_string())
        }
        _ => None,
    }
}

/// What a run asks the server once, in one round trip: its version, and its
/// side of [`looks_pooled`].
pub(crate) const SERVER_QUERY: &str = "select current_setting('server_version_num'), current_setting('port'), inet_client_addr() is null";

/// Knobs that do not belong to the connection string.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub connect_timeout: Option<Duration>,
}

impl fmt::Debug for ConnectTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the password: this is the only printable form.
        write!(f, "{self}")
    }
}

impl fmt::Display for ConnectTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let user = self.config.get_user().unwrap_or("?");
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "?".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let db = self.config.get_dbname().unwrap_or("?");
        write!(f, "{user}@{host}:{port}/{db}")
    }
}

impl ConnectTarget {
    /// Parses a URL or `key=value` string; what it leaves out comes from the
    /// `PG*` variables, then libpq's defaults (local socket, OS user).
    pub fn parse(conninfo: &str) -> Result<ConnectTarget, String> {
        let (rest, mut tls_text, mut root_cert) = split_tls_options(conninfo);
        let mut config = if rest.trim().is_empty() {
            Config::new()
        } else {
            Config::from_str(&rest).map_err(|e| {
                // The driver's own message is generic; its source names the part.
                let detail = std::error::Error::source(&e)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| e.to_string());
                format!("invalid connection string: {detail} (expected `postgres://user@host:port/db?option=value` or `host=… dbname=…`)")
            })?
        };
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if config.get_hosts().is_empty() {
            match env("PGHOST") {
                Some(h) if h.starts_with('/') => config.host_path(h),
                Some(h) => config.host(&h),
                None => config.host_path(default_socket_dir()),
            };
        }
        if config.get_ports().is_empty() {
            if let Some(port) = env("PGPORT") {
                let port = port
                    .parse::<u16>()
                    .map_err(|_| format!("PGPORT `{port}` is not a port number"))?;
                config.port(port);
            }
        }
        if config.get_user().is_none() {
            config.user(env("PGUSER").unwrap_or_else(os_user).as_str());
        }
        if config.get_password().is_none() {
            if let Some(pw) = env("PGPASSWORD") {
                config.password(pw);
            }
        }
        if config.get_dbname().is_none() {
            let db = env("PGDATABASE")
                .unwrap_or_else(|| config.get_user().unwrap_or("postgres").to_string());
            config.dbname(&db);
        }
        if tls_text.is_none() {
            tls_text = env("PGSSLMODE");
        }
        if root_cert.is_none() {
            root_cert = env("PGSSLROOTCERT");
        }
        let tls = match tls_text {
            Some(t) => TlsMode::parse(&t)?,
            // libpq's default is `prefer`; over a Unix socket TLS never applies.
            None => TlsMode::Prefer,
        };
        config.ssl_mode(match tls {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            _ => SslMode::Require,
        });
        if config.get_application_name().is_none() {
            config.application_name("vectra-db");
        }
        Ok(ConnectTarget {
            config,
            tls,
            root_cert: root_cert.map(PathBuf::from),
        })
    }

    pub fn database(&self) -> &str {
        self.config.get_dbname().unwrap_or("postgres")
    }

    /// The same server and credentials, another database (`postgres` for `db:setup`).
    pub fn with_database(&self, db: &str) -> ConnectTarget {
        let mut other = self.clone();
        other.config.dbname(db);
        other
    }

    /// True when every host is this machine: a Unix socket, `localhost`,
    /// `127.0.0.1` or `::1` (what `db:reset` may drop without `--force`).
    pub fn is_local(&self) -> bool {
        self.config.get_hosts().iter().all(|h| match h {
            Host::Unix(_) => true,
            Host::Tcp(name) => {
                let name = name.trim_start_matches('[').trim_end_matches(']');
                name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1" || name == "::1"
            }
        })
    }

    /// The first host and port (the one a run reaches when it is up), for
    /// telling a pooler from the server; `direct` as configured.
    pub fn endpoint(&self, direct: bool) -> Endpoint {
        Endpoint {
            unix_socket: matches!(self.config.get_hosts().first(), Some(Host::Unix(_))),
            port: self.config.get_ports().first().copied().unwrap_or(5432),
            direct,
        }
    }

    pub fn tls_mode(&self) -> TlsMode {
        self.tls
    }

    /// The resolved settings (the `PG*` variables and libpq's defaults
    /// applied), for a client of another kind (the tests' own).
    pub fn driver_config(&self) -> &Config {
        &self.config
    }

    /// Connects, bounded by `connect_timeout` (the URL's, else `options`'):
    /// the driver's timeout covers only the TCP connect, so a server that
    /// accepts and never answers would hang the run; the whole start-up runs
    /// on a helper thread and is given up after the limit.
    pub fn connect(&self, options: &ConnectOptions) -> Result<Client, ConnectError> {
        self.connect_cancellable(options).map(|(client, _)| client)
    }

    /// Connects, and returns with the client a way to cancel the statement it
    /// is running (sent over a connection of its own, as libpq's `PQcancel`).
    /// Bounded by `connect_timeout` as [`ConnectTarget::connect`] is.
    pub fn connect_cancellable(
        &self,
        options: &ConnectOptions,
    ) -> Result<(Client, crate::interrupt::Canceller), ConnectError> {
        let limit = self
            .config
            .get_connect_timeout()
            .copied()
            .or(options.connect_timeout);
        let Some(limit) = limit else {
            return self.connect_now(None);
        };
        let (reply, answer) = std::sync::mpsc::channel();
        let target = self.clone();
        std::thread::spawn(move || {
            // The run's thread works meanwhile (below), and the server is
            // starting a session: polling here would take a CPU from them.
            super::socket::never_poll_on_this_thread();
            let _ = reply.send(target.connect_now(Some(limit)));
        });
        let deadline = std::time::Instant::now() + limit + Duration::from_millis(250);
        // The thread's idle work (see `idle`) while the server starts the session.
        let mut waited = answer.try_recv();
        while matches!(waited, Err(TryRecvError::Empty)) && super::idle::step() {
            waited = answer.try_recv();
        }
        let waited = match waited {
            Ok(result) => Ok(result),
            Err(_) => {
                answer.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            }
        };
        match waited {
            Ok(result) => result,
            Err(_) => Err(ConnectError::Unreachable {
                target: self.to_string(),
                message: format!(
                    "no answer within {} s (`connect_timeout`): the server accepted the connection but did not complete the start-up",
                    limit.as_secs_f32()
                ),
            }),
        }
    }

    fn connect_now(
        &self,
        limit: Option<Duration>,
    ) -> Result<(Client, crate::interrupt::Canceller), ConnectError> {
        let mut config = self.config.clone();
        if let Some(t) = limit {
            config.connect_timeout(t);
        }
        // TLS never applies over a Unix socket; skipping the connector also
        // skips loading the system's root certificates (tens of milliseconds).
        let socket_only = config
            .get_hosts()
            .iter()
            .all(|h| matches!(h, Host::Unix(_)));
        let local = super::socket::socket_path(&config)
            .and_then(|path| Some((Client::connect_socket(&config, &path)?, path)));
        let result = if let Some((connected, path)) = local {
            connected.map(|c| cancellable(c, move |token| client::cancel_socket(token, &path)))
        } else if self.tls == TlsMode::Disable || socket_only {
            Client::connect(&config, tokio_postgres::NoTls)
                .map(|c| cancellable(c, |token| client::cancel(token, tokio_postgres::NoTls)))
        } else {
            let mut builder = native_tls::TlsConnector::builder();
            match self.tls {
                // libpq's `require` (without a root certificate) encrypts but does not verify.
                TlsMode::Prefer | TlsMode::Require if self.root_cert.is_none() => {
                    builder.danger_accept_invalid_certs(true);
                    builder.danger_accept_invalid_hostnames(true);
                }
                TlsMode::VerifyCa => {
                    builder.danger_accept_invalid_hostnames(true);
                }
                _ => {}
            }
            if let Some(path) = &self.root_cert {
                let pem = std::fs::read(path).map_err(|e| {
                    ConnectError::Tls(format!("cannot read sslrootcert `{}`: {e}", path.display()))
                })?;
                let cert = native_tls::Certificate::from_pem(&pem).map_err(|e| {
                    ConnectError::Tls(format!(
                        "sslrootcert `{}` is not a PEM certificate: {e}",
                        path.display()
                    ))
                })?;
                builder.add_root_certificate(cert);
            }
            let connector = builder
                .build()
                .map_err(|e| ConnectError::Tls(format!("cannot set up TLS: {e}")))?;
            let tls = postgres_native_tls::MakeTlsConnector::new(connector);
            Client::connect(&config, tls.clone())
                .map(|c| cancellable(c, move |token| client::cancel(token, tls.clone())))
        };
        result.map_err(|e| ConnectError::classify(e, self))
    }
}

/// `client`, with a way to cancel the statement it is running: `cancel`
/// given the connection's token (over a connection of its own, as libpq's
/// `PQcancel`).
fn cancellable(
    client: Client,
    cancel: impl Fn(&tokio_postgres::CancelToken) + Send + 'static,
) -> (Client, crate::interrupt::Canceller) {
    let token = client.cancel_token();
    (client, Box::new(move || cancel(&token)))
}

/// Why a connection failed, classified so commands can give the right advice.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "database `{database}` does not exist on {target}; run `vectra-db db:setup` to create it"
    )]
    MissingDatabase { database: String, target: String },
    #[error("authentication failed for {target}: {message}")]
    Auth { target: String, message: String },
    #[error("cannot connect to {target}: {message}")]
    Unreachable { target: String, message: String },
    #[error("{0}")]
    Tls(String),
}

impl ConnectError {
    fn classify(failure: ConnectFailure, target: &ConnectTarget) -> ConnectError {
        let target_text = target.to_string();
        let err = match failure {
            ConnectFailure::Postgres(err) => err,
            ConnectFailure::Runtime(e) => {
                return ConnectError::Unreachable {
                    target: target_text,
                    message: format!("cannot start the connection's I/O: {e}"),
                }
            }
        };
        if let Some(db) = err.as_db_error() {
            let code = db.code().code();
            if code == "3D000" {
                return ConnectError::MissingDatabase {
                    database: target.database().to_string(),
                    target: target_text,
                };
            }
            if code == "28P01" || code == "28000" {
                return ConnectError::Auth {
                    target: target_text,
                    message: db.message().to_string(),
                };
            }
        }
        let message = connection_message(&err);
        if message.contains("password") {
            return ConnectError::Auth {
                target: target_text,
                message,
            };
        }
        ConnectError::Unreachable {
            target: target_text,
            message,
        }
    }
}

/// Pulls `sslmode` and `sslrootcert` out of either connection-string form, since
/// the driver rejects `verify-ca` / `verify-full`.
fn split_tls_options(conninfo: &str) -> (String, Option<String>, Option<String>) {
    let (mut mode, mut root) = (None, None);
    let is_url = conninfo.starts_with("postgres://") || conninfo.starts_with("postgresql://");
    if is_url {
        let Some((base, query)) = conninfo.split_once('?') else {
            return (conninfo.to_string(), None, None);
        };
        let mut kept = Vec::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("sslmode", v)) => mode = Some(v.to_string()),
                Some(("sslrootcert", v)) => root = Some(v.to_string()),
                _ => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return (rest, mode, root);
    }
    let mut kept = Vec::new();
    for token in conninfo.split_whitespace() {
        match token.split_once('=') {
            Some(("sslmode", v)) => mode = Some(v.trim_matches('\'').to_string()),
            Some(("sslrootcert", v)) => root = Some(v.trim_matches('\'').to_string()),
            _ => kept.push(token),
        }
    }
    (kept.join(" "), mode, root)
}

fn default_socket_dir() -> PathBuf {
    // Debian's libpq looks in /var/run/postgresql; upstream builds use /tmp.
    let debian = PathBuf::from("/var/run/postgresql");
    if debian.is_dir() {
        debian
    } else {
        PathBuf::from("/tmp")
    }
}

/// The operating-system user name, libpq's default role name.
fn os_user() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(u) = std::env::var(var) {
            if !u.is_empty() {
                return u;
            }
        }
    }
    // Containers often run without USER: look the uid up in /etc/passwd.
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().next().map(str::to_string))
        });
    if let (Some(uid), Ok(passwd)) = (uid, std::fs::read_to_string("/etc/passwd")) {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() > 2 && fields[2] == uid {
                return fields[0].to_string();
            }
        }
    }
    "postgres".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_shows_in_the_port_or_the_way_the_server_sees_its_client() {
        let tcp = |port| Endpoint {
            unix_socket: false,
            port,
            direct: false,
        };
        let socket = Endpoint {
            unix_socket: true,
            port: 5432,
            direct: false,
        };
        assert_eq!(looks_pooled(tcp(5432), "5432", false), None);
        assert_eq!(looks_pooled(socket, "5432", true), None);
        assert!(looks_pooled(tcp(6432), "5432", false)
            .is_some_and(|why| why.contains("port 6432") && why.contains("port 5432")));
        assert!(looks_pooled(tcp(5432), "5432", true).is_some());
        assert!(looks_pooled(socket, "5432", false).is_some());
    }

    #[test]
    fn a_malformed_connection_string_names_the_wrong_part() {
        for (url, part) in [
            ("postgres://host:abc/db", "invalid value for option `port`"),
            (
                "postgres://host/db?sslmod=require",
                "unknown option `sslmod`",
            ),
            (
                "postgres://host/db?connect_timeout=x",
                "invalid value for option `connect_timeout`",
            ),
            ("host='x", "unterminated quoted"),
        ] {
            let err = ConnectTarget::parse(url).err().unwrap_or_default();
            assert!(err.contains(part), "{url}: {err}");
        }
    }

    #[test]
    fn tls_options_are_split_from_urls() {
        let (rest, mode, root) = split_tls_options(
            "postgres://u:pw@h/db?sslmode=verify-full&sslrootcert=/ca.pem&connect_timeout=5",
        );
        assert_eq!(rest, "postgres://u:pw@h/db?connect_timeout=5");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/ca.pem"));
    }

    #[test]
    fn tls_options_are_split_from_key_values() {
        let (rest, mode, _) = split_tls_options("host=h dbname=d sslmode=require");
        assert_eq!(rest, "host=h dbname=d");
        assert_eq!(mode.as_deref(), Some("require"));
    }

    #[test]
    fn display_hides_the_password() {
        let t = ConnectTarget::parse("postgres://alice:s3cret@db.example:6543/app").unwrap();
        let shown = format!("{t} {t:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("alice@db.example:6543/app"), "{shown}");
    }
}
