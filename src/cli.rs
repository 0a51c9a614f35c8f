//! Command-line definitions (clap) and their resolution into what the
//! commands need. Nothing below this module sees clap types.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::commands::{Command, Global};
use crate::config::Overrides;

/// Knex-compatible PostgreSQL migrations and seeds, written in Lua.
///
/// Configuration comes from `vectra-db.toml` (searched upwards from the current
/// directory), the environment from `--env`, `VECTRA_ENV`, `NODE_ENV`, else
/// `development`. Exit codes: 0 done, 1 failed (nothing of the failed batch is
/// applied), 2 usage or configuration error, 3 `--check` found pending,
/// drifted or missing migrations, or `schema:dump --check` found `schemas/` out of date.
#[derive(Debug, Parser)]
#[command(name = "vectra-db", version, about, long_about)]
pub struct Cli {
    /// Environment of the config file to use (default: VECTRA_ENV, NODE_ENV, `development`).
    #[arg(long, global = true, value_name = "NAME")]
    pub env: Option<String>,
    /// Config file (default: `vectra-db.toml` here or in a parent directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Connection URL or libpq `key=value` string; overrides the config's `connection`.
    #[arg(long, global = true, value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Show every SQL statement sent (long ones shortened, with their row count); `-vv` in full.
    #[arg(short, long, global = true, conflicts_with = "quiet", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Never use colour (also when NO_COLOR is set).
    #[arg(long, global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Verb,
}

#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Write `migrations/YYYYMMDDHHMMSS_NAME.lua` (UTC) from the template.
    #[command(name = "migrate:make")]
    MigrateMake {
        /// Name of the migration: letters, digits, `_` and `-`.
        name: String,
        /// Template file to use instead of `lua/templates/migration.lua`.
        #[arg(long, value_name = "FILE")]
        stub: Option<PathBuf>,
    },
    /// Run every pending migration as one new batch, in one transaction.
    #[command(name = "migrate:latest")]
    MigrateLatest(RunFlags),
    /// Undo the last batch (or all batches), newest first, in one transaction.
    #[command(name = "migrate:rollback")]
    MigrateRollback {
        /// Undo every applied migration.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        flags: RunFlags,
        #[command(flatten)]
        drift: DriftFlag,
    },
    /// Run the next pending migration (or the named one) as a new batch.
    #[command(name = "migrate:up")]
    MigrateUp {
        /// File name (with or without `.lua`).
        name: Option<String>,
        #[command(flatten)]
        flags: RunFlags,
    },
    /// Undo the applied migration whose file name sorts last (or the named one).
    #[command(name = "migrate:down")]
    MigrateDown {
        name: Option<String>,
        #[command(flatten)]
        flags: RunFlags,
        #[command(flatten)]
        drift: DriftFlag,
    },
    /// Run the pending migrations up to and including NAME as a new batch.
    #[command(name = "migrate:to")]
    MigrateTo {
        name: String,
        #[command(flatten)]
        flags: RunFlags,
    },
    /// List applied (with batch and time) and pending migrations.
    #[command(name = "migrate:list", visible_alias = "migrate:status")]
    MigrateList {
        /// Exit with code 3 when migrations are pending, drifted or missing (deploy gate).
        #[arg(long)]
        check: bool,
    },
    /// Check, in a transaction that is rolled back, that each pending migration's `down` undoes its `up`.
    #[command(name = "migrate:verify")]
    MigrateVerify {
        /// Go on although applied migrations have no file.
        #[arg(long)]
        ignore_missing: bool,
    },
    /// Show what each pending migration's statements lock, rewrite and block,
    /// measured in a transaction that is rolled back (nothing is applied).
    ///
    /// Per statement: its Lua `file:line`, the relation locks it took (from
    /// `pg_locks`, or from PostgreSQL's documented table where an earlier
    /// statement already held the same lock: marked `looked up`), whether it
    /// rewrote a table, what it blocks and the table's size; then warnings
    /// with the safer form. Warnings do not change the exit code (0).
    #[command(name = "migrate:plan")]
    MigratePlan {
        /// Read table sizes from this environment's catalog (`pg_class`
        /// only: no table is read or locked there) instead of this database.
        #[arg(long, value_name = "ENV")]
        sizes_from: Option<String>,
        /// Warn about ACCESS EXCLUSIVE on tables larger than this (`10MB`, `512kB`, `1GB`).
        #[arg(long, value_name = "SIZE", default_value = "10MB", value_parser = crate::runner::plan::parse_size)]
        warn_size: i64,
    },
    /// Print the timestamp prefix of the newest applied migration.
    #[command(name = "migrate:currentVersion")]
    MigrateCurrentVersion,
    /// Free the Knex lock row left behind by a crashed Knex process.
    #[command(name = "migrate:unlock")]
    MigrateUnlock,
    /// Write `seeds/NAME.lua` from the template.
    #[command(name = "seed:make")]
    SeedMake {
        name: String,
        #[arg(long, value_name = "FILE")]
        stub: Option<PathBuf>,
        /// Prefix the file name with a UTC timestamp, like migrations.
        #[arg(long)]
        timestamp_filename_prefix: bool,
    },
    /// Run all seeds in name order (or only the named ones), in one transaction.
    #[command(name = "seed:run")]
    SeedRun {
        /// Run only this seed file (repeatable).
        #[arg(long, value_name = "FILE")]
        specific: Vec<String>,
        /// Run in a transaction that is rolled back, printing every statement.
        #[arg(long)]
        dry_run: bool,
        /// After a lock timeout, run the seeds again, up to N more times, with
        /// a doubling wait in between (1 s, 2 s, … at most 30 s).
        #[arg(long, value_name = "N", default_value_t = 0)]
        lock_retries: u32,
    },
    /// Check migrations and seeds without running them: literal table or column
    /// names (use `lua/constants.lua`), a leading purpose comment, a `down`.
    Lint,
    /// Convert Knex migrations and seeds (.js .ts .mjs .cjs, or directories of
    /// them) to Lua files with the same stems; what cannot be converted is kept
    /// as a `-- TODO(port):` comment, and the exit code is 1.
    Port {
        /// Files or directories to convert.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Directory for every converted file (default: the configured
        /// migrations or seeds directory, by whether the file exports `seed`).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Constants module whose names replace literal table and column names
        /// (default: `constants.lua` on the configured `lua_path`, if any).
        #[arg(long, value_name = "FILE")]
        constants: Option<PathBuf>,
        /// Overwrite existing `.lua` files.
        #[arg(long)]
        force: bool,
        /// Write nothing; exit 1 if converting again would change a `.lua` file.
        #[arg(long)]
        check: bool,
    },
    /// Create the database if it does not exist, then migrate:latest, then seed:run.
    #[command(name = "db:setup")]
    DbSetup,
    /// Write `schemas/` (schema.sql, types.ts, zod.ts, constants.ts) from the
    /// migrated database and `lua/constants.lua`.
    #[command(name = "schema:dump")]
    SchemaDump {
        /// Directory to write to (default: `[schemas] dir` of the config, else `schemas`).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Write nothing; exit with code 3 and print a diff when the files are out of date.
        #[arg(long)]
        check: bool,
    },
    /// Drop the database (terminating its connections), then db:setup.
    #[command(name = "db:reset")]
    DbReset {
        /// Required on a `protected` environment.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, clap::Args, Clone, Copy)]
pub struct RunFlags {
    /// Run in a transaction that is rolled back, printing every statement with its values.
    #[arg(long)]
    pub dry_run: bool,
    /// Go on although applied migrations have no file.
    #[arg(long)]
    pub ignore_missing: bool,
    /// Run each migration in its own transaction (as Knex's rollback does), for
    /// batches too large for one transaction's locks.
    #[arg(long)]
    pub per_migration: bool,
    /// After a lock timeout (a statement waited longer than its `lockTimeout` /
    /// `statement_lock_timeout`, or the run waited longer than `lock_timeout`
    /// for another runner), run the whole batch again, up to N more times,
    /// waiting 1 s, 2 s, 4 s … (at most 30 s) in between; each retry is printed.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub lock_retries: u32,
}

#[derive(Debug, clap::Args, Clone, Copy)]
pub struct DriftFlag {
    /// Undo migrations whose file changed since they ran, with the current file
    /// (the edit–rollback–rerun loop while developing; refused on a `protected` environment).
    #[arg(long)]
    pub allow_drift: bool,
}

impl Cli {
    /// Splits the parsed line into the global switches and the command.
    pub fn resolve(self) -> (Global, Command) {
        let global = Global {
            overrides: Overrides {
                config: self.config,
                env: self.env,
                database_url: self.database_url,
            },
            json: self.json,
            quiet: self.quiet,
            verbose: self.verbose > 0,
            full_statements: self.verbose > 1,
        };
        let run = |f: RunFlags| crate::commands::RunFlags {
            dry_run: f.dry_run,
            ignore_missing: f.ignore_missing,
            per_migration: f.per_migration,
            allow_drift: false,
            lock_retries: f.lock_retries,
        };
        let undo = |f: RunFlags, d: DriftFlag| crate::commands::RunFlags {
            allow_drift: d.allow_drift,
            ..run(f)
        };
        use crate::runner::migrator::Target;
        let command = match self.command {
            Verb::MigrateMake { name, stub } => Command::MigrateMake { name, stub },
            Verb::MigrateLatest(f) => Command::Migrate(Target::Latest, run(f)),
            Verb::MigrateRollback { all, flags, drift } => {
                Command::Migrate(Target::Rollback { all }, undo(flags, drift))
            }
            Verb::MigrateUp { name, flags } => Command::Migrate(Target::Up(name), run(flags)),
            Verb::MigrateDown { name, flags, drift } => {
                Command::Migrate(Target::Down(name), undo(flags, drift))
            }
            Verb::MigrateTo { name, flags } => Command::Migrate(Target::To(name), run(flags)),
            Verb::MigrateList { check } => Command::MigrateStatus { check },
            Verb::MigrateVerify { ignore_missing } => Command::Verify { ignore_missing },
            Verb::MigratePlan {
                sizes_from,
                warn_size,
            } => Command::MigratePlan {
                sizes_from,
                warn_size,
            },
            Verb::MigrateCurrentVersion => Command::CurrentVersion,
            Verb::MigrateUnlock => Command::Unlock,
            Verb::SeedMake {
                name,
                stub,
                timestamp_filename_prefix,
            } => Command::SeedMake {
                name,
                stub,
                timestamp: timestamp_filename_prefix,
            },
            Verb::SeedRun {
                specific,
                dry_run,
                lock_retries,
            } => Command::SeedRun {
                specific,
                dry_run,
                lock_retries,
            },
            Verb::Lint => Command::Lint,
            Verb::Port {
                paths,
                out,
                constants,
                force,
                check,
            } => Command::Port {
                paths,
                out,
                constants,
                force,
                check,
            },
            Verb::DbSetup => Command::DbSetup,
            Verb::DbReset { force } => Command::DbReset { force },
            Verb::SchemaDump { out, check } => Command::SchemaDump { out, check },
        };
        (global, command)
    }
}
