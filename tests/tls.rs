//! `sslmode` really negotiates TLS: `require` encrypts, `verify-full` checks the
//! certificate chain against `sslrootcert` and the host name.
mod common;

use vectra_db::db::{ConnectOptions, ConnectTarget};

/// A password role for TCP connections (the server uses scram over TCP),
/// created once per test process.
fn tcp_role() -> (String, String) {
    static ROLE: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    ROLE.get_or_init(|| {
        // Fixed: nextest runs each test in its own process, all sharing the role.
        let password = "vectra-tls-test-only".to_string();
        let mut admin = common::admin_client();
        // Serialise with other test processes: role DDL is not race-free.
        admin
            .batch_execute(&format!(
                "begin; select pg_advisory_xact_lock(4242); \
                 do $$ begin if not exists (select 1 from pg_roles where rolname = 'vectra_tls') then create role vectra_tls login; end if; end $$; \
                 alter role vectra_tls password '{password}'; commit"
            ))
            .expect("create the TLS test role");
        ("vectra_tls".into(), password)
    })
    .clone()
}

fn server_cert() -> String {
    let rows = common::admin_client()
        .query_one(
            "select setting from pg_settings where name = 'ssl_cert_file'",
            &[],
        )
        .expect("read ssl_cert_file");
    rows.get(0)
}

fn uses_tls(url: &str) -> Result<bool, String> {
    let target = ConnectTarget::parse(url)?;
    let mut client = target
        .connect(&ConnectOptions::default())
        .map_err(|e| e.to_string())?;
    let rows = client
        .simple_query("select ssl from pg_stat_ssl where pid = pg_backend_pid()")
        .map_err(|e| e.to_string())?;
    rows.iter()
        .find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => Some(row.get(0) == Some("t")),
            _ => None,
        })
        .ok_or_else(|| "pg_stat_ssl has no row for this session".to_string())
}

#[test]
fn require_encrypts_and_disable_does_not() {
    let (user, pw) = tcp_role();
    let base = format!("postgres://{user}:{pw}@127.0.0.1/postgres");
    assert_eq!(uses_tls(&format!("{base}?sslmode=require")), Ok(true));
    assert_eq!(uses_tls(&format!("{base}?sslmode=disable")), Ok(false));
    assert_eq!(
        uses_tls(&format!(
            "host=127.0.0.1 user={user} password={pw} dbname=postgres sslmode=require"
        )),
        Ok(true)
    );
}

#[test]
fn verify_full_checks_chain_and_host_name() {
    let (user, pw) = tcp_role();
    let cert = server_cert();
    // The server's certificate is for `localhost`: verify-full accepts that name…
    let good =
        format!("postgres://{user}:{pw}@localhost/postgres?sslmode=verify-full&sslrootcert={cert}");
    assert_eq!(uses_tls(&good), Ok(true));
    // …and refuses another name for the same server.
    let wrong_host =
        format!("postgres://{user}:{pw}@127.0.0.1/postgres?sslmode=verify-full&sslrootcert={cert}");
    let err = uses_tls(&wrong_host).expect_err("host name mismatch must fail");
    assert!(!err.contains(&pw), "password leaked: {err}");
    // verify-ca checks the chain only, so the IP address is fine there.
    let ca_only =
        format!("postgres://{user}:{pw}@127.0.0.1/postgres?sslmode=verify-ca&sslrootcert={cert}");
    assert_eq!(uses_tls(&ca_only), Ok(true));
}

#[test]
fn verify_full_with_another_root_fails() {
    let (user, pw) = tcp_role();
    // A root that did not sign the server's certificate.
    let dir = tempfile::tempdir().expect("temp dir");
    let other = dir.path().join("other.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(dir.path().join("other.key"))
        .arg("-out")
        .arg(&other)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run openssl");
    assert!(status.success());
    let url = format!(
        "postgres://{user}:{pw}@localhost/postgres?sslmode=verify-full&sslrootcert={}",
        other.display()
    );
    let err = uses_tls(&url).expect_err("a certificate from another issuer must fail");
    assert!(err.contains("certificate"), "{err}");
    assert!(!err.contains(&pw), "password leaked: {err}");
}
