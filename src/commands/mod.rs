//! The verbs: each resolves settings, opens the one connection it needs,
//! calls the runner, and reports the outcome as text or JSON with an exit code.

mod database;
mod make;
mod plan;
mod port;
mod retry;
mod schema_dump;

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::config::{ConfigError, Overrides, Settings};
use crate::db::{ConnectOptions, ConnectTarget, Db, SharedDb};
use crate::output::{self, OutputMode, Reporter, StatementPrinter};
use crate::runner::files::ReadAhead;
use crate::runner::migrator::{AppliedState, RunOptions, Target};
use crate::runner::seeder::Seeder;
use crate::runner::timeouts;
use crate::runner::{Direction, Migrator, RunnerError};

/// Switches valid with every verb.
#[derive(Debug, Clone, Default)]
pub struct Global {
    pub overrides: Overrides,
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
    /// `-vv`: print long statements in full (`-v` shortens them).
    pub full_statements: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RunFlags {
    pub dry_run: bool,
    pub ignore_missing: bool,
    pub per_migration: bool,
    /// `--allow-drift` (rollback/down only).
    pub allow_drift: bool,
    /// `--lock-retries N`: runs again after a lock timeout, up to N times.
    pub lock_retries: u32,
}

#[derive(Debug, Clone)]
pub enum Command {
    MigrateMake {
        name: String,
        stub: Option<PathBuf>,
    },
    Migrate(Target, RunFlags),
    MigrateStatus {
        check: bool,
    },
    Verify {
        ignore_missing: bool,
    },
    /// `migrate:plan`.
    MigratePlan {
        sizes_from: Option<String>,
        warn_size: i64,
    },
    CurrentVersion,
    Unlock,
    Lint,
    SeedMake {
        name: String,
        stub: Option<PathBuf>,
        timestamp: bool,
    },
    SeedRun {
        specific: Vec<String>,
        dry_run: bool,
        lock_retries: u32,
    },
    DbSetup,
    DbReset {
        force: bool,
    },
    Port {
        paths: Vec<PathBuf>,
        out: Option<PathBuf>,
        constants: Option<PathBuf>,
        force: bool,
        check: bool,
    },
    SchemaDump {
        out: Option<PathBuf>,
        check: bool,
    },
}

impl Command {
    /// Verbs that only read or write files work without the environment's connection.
    fn files_only(&self) -> bool {
        matches!(
            self,
            Command::Lint
                | Command::MigrateMake { .. }
                | Command::SeedMake { .. }
                | Command::Port { .. }
        )
    }

    fn name(&self) -> &'static str {
        match self {
            Command::MigrateMake { .. } => "migrate:make",
            Command::Migrate(Target::Latest, _) => "migrate:latest",
            Command::Migrate(Target::Up(_), _) => "migrate:up",
            Command::Migrate(Target::Down(_), _) => "migrate:down",
            Command::Migrate(Target::To(_), _) => "migrate:to",
            Command::Migrate(Target::Rollback { .. }, _) => "migrate:rollback",
            Command::MigrateStatus { .. } => "migrate:status",
            Command::Verify { .. } => "migrate:verify",
            Command::MigratePlan { .. } => "migrate:plan",
            Command::CurrentVersion => "migrate:currentVersion",
            Command::Unlock => "migrate:unlock",
            Command::SeedMake { .. } => "seed:make",
            Command::SeedRun { .. } => "seed:run",
            Command::Lint => "lint",
            Command::DbSetup => "db:setup",
            Command::DbReset { .. } => "db:reset",
            Command::Port { .. } => "port",
            Command::SchemaDump { .. } => "schema:dump",
        }
    }
}

/// A finished verb: its JSON document and exit code (0, or 3 for `--check`).
struct Done {
    json: serde_json::Value,
    code: u8,
}

impl Done {
    fn ok(json: serde_json::Value) -> Done {
        Done { json, code: 0 }
    }
}

/// Runs one verb and returns the process exit code.
pub fn execute(global: &Global, command: &Command, cwd: &Path) -> u8 {
    let mode = OutputMode {
        json: global.json,
        quiet: global.quiet,
        verbose: global.verbose,
    };
    let mut reporter = Reporter::new(mode);
    if !command.files_only() {
        // Without it Ctrl-C still ends the process (the server rolls back),
        // only less politely: not worth failing the verb for.
        if let Err(e) = crate::interrupt::install() {
            log::warn!("cannot listen for Ctrl-C / SIGTERM: {e}");
        }
    }
    let settings = if command.files_only() {
        Settings::resolve_files_only(&global.overrides, cwd)
    } else {
        Settings::resolve(&global.overrides, cwd)
    };
    let result = settings
        .map_err(|ConfigError(m)| RunnerError::Config(m))
        .and_then(|settings| run(global, command, &settings, cwd, &mut reporter));
    reporter.finish();
    crate::interrupt::set_canceller(None);
    let result = match (result, crate::interrupt::received()) {
        (Err(RunnerError::Interrupted { signal, what }), _) => {
            Err(RunnerError::Interrupted { signal, what })
        }
        // Stopped before anything was committed (waiting for the lock,
        // loading files, or a verb that writes nothing).
        (Err(_), Some(signal)) => Err(RunnerError::Interrupted {
            signal,
            what: "nothing was applied".to_string(),
        }),
        (Ok(_), Some(signal)) => Err(RunnerError::Interrupted {
            signal,
            what: "it arrived after the work was committed; what was printed above stays applied"
                .to_string(),
        }),
        (result, None) => result,
    };
    match result {
        Ok(done) => {
            if global.json {
                let mut doc = done.json;
                if let Some(obj) = doc.as_object_mut() {
                    obj.insert("command".into(), json!(command.name()));
                    obj.insert("ok".into(), json!(true));
                    obj.insert("exit_code".into(), json!(done.code));
                }
                output::json(&doc);
            }
            done.code
        }
        Err(e) => {
            let message = e.to_string();
            output::error(&message);
            if global.json {
                let mut doc = json!({
                    "command": command.name(),
                    "ok": false,
                    "exit_code": e.exit_code(),
                    "error": message,
                });
                if let (Some(blockers), Some(obj)) =
                    (timeouts::blockers_of(&e), doc.as_object_mut())
                {
                    obj.insert("blockers".into(), json!(blockers));
                }
                output::json(&doc);
            }
            e.exit_code()
        }
    }
}

fn run(
    global: &Global,
    command: &Command,
    settings: &Settings,
    cwd: &Path,
    reporter: &mut Reporter,
) -> Result<Done, RunnerError> {
    match command {
        Command::MigrateMake { name, stub } => {
            let path = make::migration(settings, name, stub.as_deref())?;
            reporter.line(&format!("Created Migration: {}", path.display()));
            Ok(Done::ok(json!({ "path": path })))
        }
        Command::SeedMake {
            name,
            stub,
            timestamp,
        } => {
            let path = make::seed(settings, name, stub.as_deref(), *timestamp)?;
            reporter.line(&format!("Created seed file: {}", path.display()));
            Ok(Done::ok(json!({ "path": path })))
        }
        Command::Migrate(target, flags) => {
            let mut done = retry::with_lock_retries(flags.lock_retries, reporter, |reporter| {
                migrate(settings, global, target, *flags, reporter)
            })?;
            if !flags.dry_run {
                schema_dump::auto(settings, global, reporter, &mut done);
            }
            Ok(done)
        }
        Command::MigrateStatus { check } => {
            let db = connect(settings, global, false)?;
            status(settings, db, *check, reporter)
        }
        Command::Verify { ignore_missing } => {
            let db = connect(settings, global, false)?;
            verify(settings, db, *ignore_missing, reporter)
        }
        Command::MigratePlan {
            sizes_from,
            warn_size,
        } => plan::run(
            settings,
            global,
            cwd,
            sizes_from.as_deref(),
            *warn_size,
            reporter,
        ),
        Command::CurrentVersion => {
            let db = connect(settings, global, false)?;
            let version = Migrator::new(settings, db, reporter).current_version()?;
            reporter.line(&format!(
                "Current Version: {}",
                version.as_deref().unwrap_or("none")
            ));
            Ok(Done::ok(json!({ "current_version": version })))
        }
        Command::Unlock => {
            let db = connect(settings, global, false)?;
            let migrator = Migrator::new(settings, db.clone(), reporter);
            let ledger = migrator.ledger().clone();
            let exists = ledger.exists(&mut db.borrow_mut())?;
            if exists {
                ledger.force_unlock(&mut db.borrow_mut())?;
            }
            reporter.summary("Successfully unlocked the migrations lock table");
            Ok(Done::ok(json!({ "unlocked": exists })))
        }
        Command::SeedRun {
            specific,
            dry_run,
            lock_retries,
        } => retry::with_lock_retries(*lock_retries, reporter, |reporter| {
            let db = connect_for_changes(settings, global, *dry_run)?;
            seed(settings, db, specific, *dry_run, reporter)
        }),
        Command::Lint => lint(settings, reporter),
        Command::DbSetup => {
            let mut done = database::setup(settings, global, reporter)?;
            schema_dump::auto(settings, global, reporter, &mut done);
            Ok(done)
        }
        Command::DbReset { force } => {
            let mut done = database::reset(settings, global, *force, reporter)?;
            schema_dump::auto(settings, global, reporter, &mut done);
            Ok(done)
        }
        Command::SchemaDump { out, check } => {
            schema_dump::run(settings, global, out.as_deref(), *check, cwd, reporter)
        }
        Command::Port { .. } => port::run(settings, command, reporter),
    }
}

/// Opens the connection, sets the timeouts every transaction starts with,
/// and attaches the statement printer for `-v` / `--dry-run`.
fn connect(settings: &Settings, global: &Global, dry_run: bool) -> Result<SharedDb, RunnerError> {
    connect_to(&settings.connection, false, settings, global, dry_run)
}

/// Bounds on connecting: the environment's `connect_timeout` (0 = none),
/// unless the connection string sets its own.
fn connect_options(settings: &Settings) -> ConnectOptions {
    ConnectOptions {
        connect_timeout: Some(settings.connect_timeout).filter(|t| !t.is_zero()),
    }
}

/// For the verbs that change the database: `direct_connection` when the
/// environment sets one (bypassing a pooler, as Prisma's `directUrl`), else
/// `connection`.
fn connect_for_changes(
    settings: &Settings,
    global: &Global,
    dry_run: bool,
) -> Result<SharedDb, RunnerError> {
    match &settings.direct_connection {
        Some(direct) => connect_to(direct, true, settings, global, dry_run),
        None => connect(settings, global, dry_run),
    }
}

fn connect_to(
    conninfo: &str,
    direct: bool,
    settings: &Settings,
    global: &Global,
    dry_run: bool,
) -> Result<SharedDb, RunnerError> {
    let target = ConnectTarget::parse(conninfo).map_err(|e| {
        RunnerError::Config(if direct {
            format!("`direct_connection`: {e}")
        } else {
            e
        })
    })?;
    let (client, cancel) = target.connect_cancellable(&connect_options(settings))?;
    crate::interrupt::set_canceller(Some(cancel));
    let mut db = Db::new(client);
    // Internal switch for the differential test: every statement waits for
    // its answer, the reference a pipelined run must be indistinguishable from.
    if std::env::var_os("VECTRA_DB_PIPELINE").is_some_and(|v| v == "off") {
        db.set_pipelining(false);
    }
    // Nothing is set on the session (through a transaction pooler the next
    // client of the server connection would inherit it): the timeouts and
    // client_connection_check_interval (PostgreSQL 14+: a killed runner's
    // statement is cancelled, and its locks freed, within a second) go with
    // each transaction's `BEGIN`.
    // The same round trip tells whether the connection looks pooled.
    let version = db.meet_server(target.endpoint(direct))?;
    db.set_transaction_settings(timeouts::transaction_settings(
        settings.statement_timeout,
        settings.statement_lock_timeout,
        version,
    ));
    if global.verbose || dry_run {
        db.set_log(Some(Box::new(StatementPrinter {
            to_stderr: global.json,
            full: global.full_statements,
        })));
    }
    Ok(db.into_shared())
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Connects (`direct_connection` if set) and runs a migrate verb.
fn migrate(
    settings: &Settings,
    global: &Global,
    target: &Target,
    flags: RunFlags,
    reporter: &mut Reporter,
) -> Result<Done, RunnerError> {
    // Read while connecting, not while holding the lock.
    let files = ReadAhead::start(&settings.migrations, &settings.root);
    // A rollback loads the files it undoes whatever the ledger says: their
    // Lua environments are made while the server starts the session and
    // answers the lock and ledger queries, up to one per listed file (rather
    // than after, with the lock held and the server idle). Not for the other
    // verbs: `latest` often has nothing pending, and a run that loads no Lua
    // would pay for the state and the environments (~5 ms of a 15 ms no-op).
    let env = crate::runner::script_env(settings);
    let _preparing = matches!(target, Target::Rollback { .. }).then(|| {
        let (env, listed) = (env.clone(), files.listed());
        crate::db::idle::while_waiting(Box::new(move || match listed.get() {
            Some(files) => env.prepare(files),
            // Not listed yet (it takes a moment): look again shortly.
            None => {
                std::thread::sleep(std::time::Duration::from_micros(50));
                true
            }
        }))
    });
    let db = connect_for_changes(settings, global, flags.dry_run)?;
    if flags.allow_drift && settings.protected {
        return Err(RunnerError::Usage(format!(
            "environment `{}` is protected: `--allow-drift` is for development only; revert the edit and put the change in a new migration",
            settings.environment
        )));
    }
    let options = RunOptions {
        dry_run: flags.dry_run,
        ignore_missing: flags.ignore_missing,
        per_migration: flags.per_migration,
        allow_drift: flags.allow_drift,
    };
    let outcome = Migrator::new(settings, db.clone(), reporter)
        .with_env(env)
        .reading_ahead(files)
        .run(target, options)
        .map_err(|e| timeouts::explain(&db, e))?;
    let down = matches!(target, Target::Rollback { .. } | Target::Down(_));
    let n = outcome.migrations.len();
    let summary = match (n, down) {
        (0, false) => "Already up to date".to_string(),
        (0, true) => "Already at the base migration".to_string(),
        (_, false) => format!("Batch {} run: {}", outcome.batch, plural(n, "migration")),
        (_, true) => format!(
            "Batch {} rolled back: {}",
            outcome.batch,
            plural(n, "migration")
        ),
    };
    if outcome.dry_run && n > 0 {
        reporter.summary(&format!(
            "Dry run (rolled back, nothing written): {summary}"
        ));
    } else {
        reporter.summary(&summary);
    }
    Ok(Done::ok(json!({
        "direction": if down { Direction::Down } else { Direction::Up },
        "batch": outcome.batch,
        "dry_run": outcome.dry_run,
        "migrations": outcome.migrations,
        "summary": summary,
    })))
}

fn status(
    settings: &Settings,
    db: SharedDb,
    check: bool,
    reporter: &mut Reporter,
) -> Result<Done, RunnerError> {
    let status = Migrator::new(settings, db, reporter).status()?;
    let drifted = status.names_in(AppliedState::Drifted);
    let missing = status.names_in(AppliedState::Missing);
    if status.applied.is_empty() {
        reporter.line("No Completed Migration files Found.");
    } else {
        reporter.line(&format!(
            "Found {} Completed Migration file/files.",
            status.applied.len()
        ));
        for a in &status.applied {
            reporter.applied_row(
                &a.row.name,
                a.row.batch,
                a.row.migration_time.as_deref().unwrap_or("-"),
                a.state,
            );
        }
    }
    if status.pending.is_empty() {
        reporter.line("No Pending Migration files Found.");
    } else {
        reporter.line(&format!(
            "Found {} Pending Migration file/files.",
            status.pending.len()
        ));
        for p in &status.pending {
            reporter.pending_row(p);
        }
        reporter.line("Run `vectra-db migrate:latest` to apply them.");
    }
    if !drifted.is_empty() {
        reporter.line(
            "Drifted files changed after they ran: revert the edit and put the change in a new migration (while developing: `migrate:rollback --allow-drift`, then `migrate:latest`).",
        );
    }
    let up_to_date = status.pending.is_empty() && drifted.is_empty() && missing.is_empty();
    let code = if check && !up_to_date { 3 } else { 0 };
    if check && !up_to_date {
        output::error(&format!(
            "not up to date: {} pending, {} drifted, {} missing",
            status.pending.len(),
            drifted.len(),
            missing.len()
        ));
    }
    Ok(Done {
        json: json!({
            "applied": status.applied,
            "pending": status.pending,
            "drifted": drifted,
            "missing": missing,
            "up_to_date": up_to_date,
        }),
        code,
    })
}

fn seed(
    settings: &Settings,
    db: SharedDb,
    specific: &[String],
    dry_run: bool,
    reporter: &mut Reporter,
) -> Result<Done, RunnerError> {
    let outcome = Seeder::new(settings, db.clone(), reporter)
        .run(specific, dry_run)
        .map_err(|e| timeouts::explain(&db, e))?;
    let n = outcome.seeds.len();
    let summary = if n == 0 {
        "No seed files exist".to_string()
    } else {
        format!("Ran {}", plural(n, "seed file"))
    };
    if dry_run && n > 0 {
        reporter.summary(&format!(
            "Dry run (rolled back, nothing written): {summary}"
        ));
    } else {
        reporter.summary(&summary);
    }
    Ok(Done::ok(json!({
        "seeds": outcome.seeds,
        "dry_run": dry_run,
        "summary": summary,
    })))
}

fn verify(
    settings: &Settings,
    db: SharedDb,
    ignore_missing: bool,
    reporter: &mut Reporter,
) -> Result<Done, RunnerError> {
    let options = RunOptions {
        dry_run: true,
        ignore_missing,
        per_migration: false,
        allow_drift: false,
    };
    let verified = Migrator::new(settings, db, reporter).verify(options)?;
    let failed: Vec<_> = verified.iter().filter(|v| !v.ok).collect();
    let skipped: Vec<&str> = verified
        .iter()
        .filter(|v| v.skipped.is_some())
        .map(|v| v.name.as_str())
        .collect();
    let checked = verified.len() - skipped.len();
    for v in &failed {
        output::error(&format!(
            "`{}`: `down` does not undo `up` (- lost, + left behind):\n  {}",
            v.name,
            v.differences.join("\n  ")
        ));
    }
    let mut summary = match (verified.len(), checked, failed.len()) {
        (0, _, _) => "No pending migrations to verify".to_string(),
        (_, n, 0) => format!("Verified {}: every `down` undoes its `up` (rolled back)", plural(n, "migration")),
        (_, n, _) => format!(
            "`down` does not undo `up` in `{}`; {} verified before it, the rest not checked (rolled back)",
            failed.first().map(|v| v.name.as_str()).unwrap_or_default(),
            plural(n - 1, "migration")
        ),
    };
    if !skipped.is_empty() {
        summary.push_str(&format!(
            "; not verifiable (run outside a transaction): {}",
            skipped.join(", ")
        ));
    }
    reporter.summary(&summary);
    Ok(Done {
        json: json!({ "migrations": verified, "summary": summary }),
        code: if failed.is_empty() { 0 } else { 1 },
    })
}

fn lint(settings: &Settings, reporter: &mut Reporter) -> Result<Done, RunnerError> {
    let mut findings =
        crate::lint::lint_directories(&settings.migrations, &settings.seeds, &settings.lua_path)
            .map_err(|e| RunnerError::Io(format!("cannot read the files to lint: {e}")))?;
    for finding in &mut findings {
        finding.file = crate::lua::display_path(Path::new(&finding.file), &settings.root);
    }
    for finding in &findings {
        reporter.line(&finding.to_string());
    }
    let summary = match findings.len() {
        0 => "No problems found".to_string(),
        n => format!("Found {}", plural(n, "problem")),
    };
    if findings.is_empty() {
        reporter.summary(&summary);
    } else {
        output::error(&summary);
    }
    Ok(Done {
        json: json!({ "findings": findings, "summary": summary }),
        code: if findings.is_empty() { 0 } else { 1 },
    })
}
