//! Runs seed files: all chosen seeds in one transaction unless one opts out.

use std::time::Instant;

use super::files::{self, SourceFile};
use super::migrator::{duration_ms, script_failed, RanFile};
use super::{Direction, Observer, RunnerError};
use crate::config::Settings;
use crate::db::SharedDb;

pub struct Seeder<'a> {
    settings: &'a Settings,
    db: SharedDb,
    observer: &'a mut dyn Observer,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SeedOutcome {
    pub seeds: Vec<RanFile>,
    pub dry_run: bool,
}

impl<'a> Seeder<'a> {
    pub fn new(settings: &'a Settings, db: SharedDb, observer: &'a mut dyn Observer) -> Seeder<'a> {
        Seeder {
            settings,
            db,
            observer,
        }
    }

    /// The seed files, in name order (a missing directory means none).
    pub fn files(settings: &Settings) -> Result<Vec<SourceFile>, RunnerError> {
        files::discover(&settings.seeds, &settings.root, true)
    }

    /// `seed:run [--specific NAME]...`: the chosen seeds, in name order. NAME
    /// is a file name (Knex's form, extension optional) or a path to the
    /// file (`seeds/05_x.lua`, what shell completion gives).
    pub fn run(&mut self, specific: &[String], dry_run: bool) -> Result<SeedOutcome, RunnerError> {
        let all = Seeder::files(self.settings)?;
        let chosen: Vec<SourceFile> = if specific.is_empty() {
            all
        } else {
            for name in specific {
                if !all.iter().any(|f| names(name, f)) {
                    let available: Vec<&str> = all.iter().map(|f| f.name.as_str()).collect();
                    return Err(RunnerError::Usage(format!(
                        "the specific seed \"{name}\" does not exist (available: {})",
                        if available.is_empty() {
                            "none".to_string()
                        } else {
                            available.join(", ")
                        }
                    )));
                }
            }
            all.into_iter()
                .filter(|f| specific.iter().any(|s| names(s, f)))
                .collect()
        };
        if chosen.is_empty() {
            return Ok(SeedOutcome {
                seeds: Vec::new(),
                dry_run,
            });
        }
        // Seeds change data the migrations' runner may be reading: the same
        // lock, taken in the first transaction (see `runner::lock`).
        let ledger_name = format!(
            "{}.{}",
            self.settings.ledger_schema, self.settings.ledger_table
        );
        self.db.borrow_mut().begin()?;
        let result = super::lock_transaction(
            &self.db,
            &ledger_name,
            self.settings.lock_timeout,
            &mut *self.observer,
        )
        .and_then(|()| self.run_locked(chosen, &ledger_name, dry_run));
        super::end_first_transaction(&self.db, result, !dry_run)
    }

    fn run_locked(
        &mut self,
        chosen: Vec<SourceFile>,
        ledger_name: &str,
        dry_run: bool,
    ) -> Result<SeedOutcome, RunnerError> {
        let env = super::script_env(self.settings);
        let mut loaded = Vec::with_capacity(chosen.len());
        for file in chosen {
            let bytes = file.read()?;
            let (script, tx) = super::load_script("seed", &file, &bytes, &env, &self.db)?;
            if !script.has_function("seed") {
                return Err(RunnerError::Usage(format!(
                    "`{}` must return a table with a `seed` function (`return {{ seed = function(knex) … end }}`); nothing was run",
                    file.display
                )));
            }
            if dry_run && !tx {
                return Err(RunnerError::DryRunImpossible(format!(
                    "`{}` opts out of transactions, so it cannot be dry-run; nothing was run",
                    file.display
                )));
            }
            loaded.push((file, script, tx));
        }
        self.observer.starting(Direction::Seed, loaded.len());
        let mut ran = Vec::with_capacity(loaded.len());
        let flags: Vec<bool> = loaded.iter().map(|(_, _, tx)| *tx).collect();
        let segments = super::segments(&flags);
        // As for migrations: one transactional segment runs in the first
        // transaction; several keep the lock for the session between them.
        let outside = loaded
            .iter()
            .find(|(_, _, tx)| !tx)
            .map(|(file, _, _)| file.display.clone());
        let spans = super::spanning_reason(
            segments.len(),
            dry_run,
            outside.as_deref(),
            "the seeds run in several transactions",
        );
        let segments = super::owned_segments(loaded, segments);
        let db = self.db.clone();
        let environment = &self.settings.environment;
        super::with_lock_across(&db, ledger_name, environment, spans, || {
            self.run_segments(segments, dry_run, &mut ran)
        })?;
        Ok(SeedOutcome {
            seeds: ran,
            dry_run,
        })
    }

    fn run_segments(
        &mut self,
        segments: Vec<super::Segment<(SourceFile, crate::lua::Script, bool)>>,
        dry_run: bool,
        ran: &mut Vec<RanFile>,
    ) -> Result<(), RunnerError> {
        let mut committed = 0;
        for (files, tx) in segments {
            let count = files.len();
            // The first transaction is still open for a single transactional
            // segment (or a dry run, where each segment is a savepoint).
            let open = tx && !dry_run && self.db.borrow().in_transaction();
            if tx && !open {
                self.db.borrow_mut().begin()?;
            }
            for (file, script, _) in files {
                let started = Instant::now();
                if let Err(e) = super::timeouts::call(&self.db, &script, &file.display, "seed") {
                    if tx {
                        let _ = self.db.borrow_mut().rollback();
                    }
                    let note = match (committed, tx) {
                        (0, true) => "the seed run was rolled back: no seed of it left a row behind".to_string(),
                        (0, false) => "it ran outside a transaction (config.transaction = false): what it wrote before the error stays".to_string(),
                        (n, _) => format!("this part was rolled back; the {n} seed file(s) before it were committed separately (a seed opted out of transactions)"),
                    };
                    if let Some(signal) = crate::interrupt::received() {
                        return Err(RunnerError::Interrupted { signal, what: note });
                    }
                    return Err(script_failed("seed", &file, e, note));
                }
                let took = started.elapsed();
                drop(script);
                self.observer.file_done(Direction::Seed, &file.name, took);
                ran.push(RanFile {
                    name: file.name.clone(),
                    duration_ms: duration_ms(took),
                });
            }
            if tx {
                let mut db = self.db.borrow_mut();
                if let Some(signal) = crate::interrupt::received() {
                    // Never commit after Ctrl-C.
                    db.rollback()?;
                    let what = match committed {
                        0 => "the seed run was rolled back: no seed of it left a row behind".to_string(),
                        n => format!("this part was rolled back; the {n} seed file(s) before it were committed separately"),
                    };
                    return Err(RunnerError::Interrupted { signal, what });
                }
                if dry_run {
                    db.rollback()?;
                } else {
                    db.commit()?;
                }
            }
            committed += count;
        }
        Ok(())
    }
}

/// Whether `--specific` `spec` names `file`: by name (with or without the
/// extension), or, when it has a directory part, as a path to the same file.
fn names(spec: &str, file: &SourceFile) -> bool {
    let path = std::path::Path::new(spec);
    if path.components().count() <= 1 {
        return files::stem(spec) == file.stem();
    }
    match (path.canonicalize(), file.path.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => spec.trim_start_matches("./") == file.display,
    }
}
