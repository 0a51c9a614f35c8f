//! `db:setup` and `db:reset`: create or drop the database through the server's
//! `postgres` maintenance database, then migrate and seed.

use serde_json::json;

use super::{connect_for_changes, migrate, seed, Done, Global, RunFlags};
use crate::config::Settings;
use crate::db::{ConnectTarget, Db};
use crate::output::Reporter;
use crate::runner::migrator::Target;
use crate::runner::seeder::Seeder;
use crate::runner::{files, RunnerError};
use crate::sql::{quote_ident, quote_literal};

fn maintenance(target: &ConnectTarget, settings: &Settings) -> Result<Db, RunnerError> {
    let client = target
        .with_database("postgres")
        .connect(&super::connect_options(settings))?;
    Ok(Db::new(client))
}

/// The server and database the changing verbs use (`direct_connection` when set).
fn changes_target(settings: &Settings) -> Result<ConnectTarget, RunnerError> {
    let conninfo = settings
        .direct_connection
        .as_deref()
        .unwrap_or(&settings.connection);
    ConnectTarget::parse(conninfo).map_err(RunnerError::Config)
}

pub fn setup(
    settings: &Settings,
    global: &Global,
    reporter: &mut Reporter,
) -> Result<Done, RunnerError> {
    let target = changes_target(settings)?;
    let name = target.database().to_string();
    let mut admin = maintenance(&target, settings)?;
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
    let migrated = migrate(
        settings,
        global,
        &Target::Latest,
        RunFlags::default(),
        reporter,
    )?;
    // A connection of its own, as `seed:run` would have: through a pooler,
    // the driver's cached type lookups do not survive a transaction's end.
    let seeded = if Seeder::files(settings)?.is_empty() {
        None
    } else {
        let db = connect_for_changes(settings, global, false)?;
        Some(seed(settings, db, &[], false, reporter)?.json)
    };
    Ok(Done::ok(json!({
        "database": name,
        "created": !exists,
        "migrate": migrated.json,
        "seed": seeded,
    })))
}

/// `db:reset`: drops the database and runs `db:setup`. Nothing is dropped
/// before everything `db:setup` needs has been checked (the migration and
/// seed directories exist, every file loads), and without `--force` it
/// refuses a protected environment, a server that is not this machine, and a
/// database other sessions are using (listing them).
pub fn reset(
    settings: &Settings,
    global: &Global,
    force: bool,
    reporter: &mut Reporter,
) -> Result<Done, RunnerError> {
    let target = changes_target(settings)?;
    let name = target.database().to_string();
    if settings.protected && !force {
        return Err(RunnerError::Usage(format!(
            "environment `{}` is protected: `db:reset` would drop database `{name}`; pass `--force` if you mean it",
            settings.environment
        )));
    }
    if !target.is_local() && !force {
        return Err(RunnerError::Usage(format!(
            "`db:reset` would drop database `{name}` on `{target}`, which is not a local server (Unix socket, localhost, 127.0.0.1, ::1); pass `--force` if you mean it"
        )));
    }
    let admin = maintenance(&target, settings)?.into_shared();
    validate_files(settings, &admin)?;
    if !force {
        let others = admin.borrow_mut().simple_rows(&format!(
            "select pid::text, coalesce(nullif(application_name, ''), '-'), \
             coalesce(client_addr::text, 'local socket'), coalesce(state, '-') \
             from pg_stat_activity where datname = {} and pid <> pg_backend_pid() order by pid",
            quote_literal(&name)
        ))?;
        if !others.is_empty() {
            let list: Vec<String> = others
                .iter()
                .map(|row| {
                    let field = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
                    format!(
                        "pid {} ({}, from {}, {})",
                        field(0),
                        field(1),
                        field(2),
                        field(3)
                    )
                })
                .collect();
            return Err(RunnerError::Usage(format!(
                "`db:reset` would drop database `{name}`, which {} other session(s) are using: {}; close them or pass `--force` to terminate them",
                others.len(),
                list.join("; ")
            )));
        }
    }
    let mut admin = admin.borrow_mut();
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

/// Everything `db:setup` will need after the drop: the migration directories
/// exist, and every migration and seed file loads (runs its top level and
/// returns a table), checked through the maintenance connection, which no
/// file can touch at load time.
fn validate_files(settings: &Settings, admin: &crate::db::SharedDb) -> Result<(), RunnerError> {
    let env = crate::lua::ScriptEnv::new(settings.lua_path.clone());
    let migrations = files::discover(&settings.migrations, &settings.root, false)?;
    let seeds = files::discover(&settings.seeds, &settings.root, true)?;
    for (what, list) in [("migration", migrations), ("seed", seeds)] {
        for file in &list {
            let bytes = file.read()?;
            crate::runner::load_script(what, file, &bytes, &env, admin)?;
        }
    }
    Ok(())
}
