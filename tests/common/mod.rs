//! Shared test support: a throwaway PostgreSQL database per test.
//!
//! Tests connect over the local socket as the OS user (peer auth), or to
//! `VECTRA_TEST_ADMIN_URL` when set. `scripts/test` starts the server and
//! creates the role first.
#![allow(dead_code)]

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
        ConnectTarget::parse(&self.url)
            .expect("parse test url")
            .connect(&ConnectOptions::default())
            .expect("connect to test database")
    }

    pub fn db(&self) -> Db {
        Db::new(self.client())
    }

    /// Runs a query and returns the first column of each row as text.
    pub fn strings(&self, sql: &str) -> Vec<String> {
        self.client()
            .simple_query(sql)
            .expect("query")
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => {
                    Some(r.get(0).unwrap_or("NULL").to_string())
                }
                _ => None,
            })
            .collect()
    }

    pub fn table_exists(&self, table: &str) -> bool {
        self.strings(&format!("select to_regclass('{table}') is not null"))[0] == "t"
    }
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

pub fn admin_client() -> postgres::Client {
    ConnectTarget::parse(&admin_url())
        .expect("parse admin url")
        .connect(&ConnectOptions::default())
        .expect("connect to the test server (run scripts/test, which starts it)")
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
