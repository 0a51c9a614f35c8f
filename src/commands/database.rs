//! `db:setup` and `db:reset`: create or drop the database through the server's
//! `postgres` maintenance database, then migrate and seed.

use serde_json::json;

use super::{connect, migrate, seed, Done, Global, RunFlags};
use crate::config::Settings;
use crate::db::{ConnectOptions, ConnectTarget, Db};
use crate::output::Reporter;
use crate::runner::migrator::Target;
use crate::runner::seeder::Seeder;
use crate::runner::RunnerError;
use crate::sql::{quote_ident, quote_literal};

fn maintenance(target: &ConnectTarget) -> Result<Db, RunnerError> {
    let options = ConnectOptions {
        connect_timeout: Some(std::time::Duration::from_secs(10)),
    };
    let client = target.with_database("postgres").connect(&options)?;
    Ok(Db::new(client))
}

pub fn setup(
    settings: &Settings,
    global: &Global,
    reporter: &mut Reporter,
) -> Result<Done, RunnerError> {
    let target = ConnectTarget::parse(&settings.connection).map_err(RunnerError::Config)?;
    let name = target.database().to_string();
    let mut admin = maintenance(&target)?;
    let exists = !admin
        .simple_rows(&format!(
            "select 1 from pg_database where datname = {}",
            quote_literal(&name)
        ))?
        .is_empty();
    if exists {
        reporter.line(&format!("Database `{name}` already exists"));
    } else {
        admin.batch(&format!("create database {}", quote_ident(&name)))?;
        reporter.line(&format!("Created database `{name}`"));
    }
    drop(admin);
    let db = connect(settings, global, false)?;
    let migrated = migrate(
        settings,
        db.clone(),
        &Target::Latest,
        RunFlags::default(),
        reporter,
    )?;
    let seeded = if Seeder::files(settings)?.is_empty() {
        None
    } else {
        Some(seed(settings, db, &[], false, reporter)?.json)
    };
    Ok(Done::ok(json!({
        "database": name,
        "created": !exists,
        "migrate": migrated.json,
        "seed": seeded,
    })))
}

pub fn reset(
    settings: &Settings,
    global: &Global,
    force: bool,
    reporter: &mut Reporter,
) -> Result<Done, RunnerError> {
    let target = ConnectTarget::parse(&settings.connection).map_err(RunnerError::Config)?;
    let name = target.database().to_string();
    if settings.protected && !force {
        return Err(RunnerError::Usage(format!(
            "environment `{}` is protected: `db:reset` would drop database `{name}`; pass `--force` if you mean it",
            settings.environment
        )));
    }
    let mut admin = maintenance(&target)?;
    // WITH (FORCE) terminates the database's other connections (PostgreSQL 13+).
    admin.batch(&format!(
        "drop database if exists {} with (force)",
        quote_ident(&name)
    ))?;
    reporter.line(&format!("Dropped database `{name}`"));
    drop(admin);
    let mut done = setup(settings, global, reporter)?;
    if let Some(obj) = done.json.as_object_mut() {
        obj.insert("dropped".into(), json!(true));
    }
    Ok(done)
}
