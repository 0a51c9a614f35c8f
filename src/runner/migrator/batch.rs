//! Running a planned batch: every file loaded first, then the segments that
//! share a transaction, each file confirmed before the next runs.

use super::*;

impl<'a> Migrator<'a> {
    /// Loads every file first (a syntax error or a missing `down` stops the run
    /// before anything is sent), then runs them in transaction segments.
    pub(super) fn execute(
        &mut self,
        direction: Direction,
        steps: Vec<Step>,
        batch: i64,
        options: RunOptions,
    ) -> Result<Vec<RanFile>, RunnerError> {
        let dry_run = options.dry_run;
        let required: &[&str] = if direction == Direction::Down {
            &["down"]
        } else {
            &["up"]
        };
        let started = Instant::now();
        let prepared = self.env.prepared();
        let loaded = self.load(steps, required)?;
        log::debug!(
            "loaded {} files in {:?} ({prepared} environments made while waiting for the server)",
            loaded.len(),
            started.elapsed()
        );
        if dry_run {
            if let Some((step, _, _)) = loaded.iter().find(|(_, _, tx)| !tx) {
                return Err(RunnerError::DryRunImpossible(format!(
                    "`{}` opts out of transactions (`config = {{ transaction = false }}`), so it cannot be dry-run; nothing was run",
                    step.file.display
                )));
            }
        }
        self.observer.starting(direction, loaded.len());
        let mut ran: Vec<RanFile> = Vec::with_capacity(loaded.len());
        let flags: Vec<bool> = loaded.iter().map(|(_, _, tx)| *tx).collect();
        let segments = if options.per_migration {
            crate::runner::one_per_file(&flags)
        } else {
            crate::runner::segments(&flags)
        };
        // The first transaction (lock held, ledger read) carries the batch
        // when it is one transactional segment. A run of several
        // transactions keeps the lock for the session between them.
        let outside = loaded
            .iter()
            .find(|(_, _, tx)| !tx)
            .map(|(step, _, _)| step.file.display.clone());
        let spans = crate::runner::spanning_reason(
            segments.len(),
            dry_run,
            outside.as_deref(),
            "`--per-migration` runs each migration in its own transaction",
        );
        let segments = crate::runner::owned_segments(loaded, segments);
        let (db, ledger_name) = (self.db.clone(), self.ledger.display_name());
        let environment = &self.settings.environment;
        let (ran_at, waited_before) = (Instant::now(), db.borrow().waited());
        crate::runner::with_lock_across(&db, &ledger_name, environment, spans, || {
            self.run_segments(direction, segments, batch, options, &mut ran)
        })?;
        log::debug!(
            "ran {} files in {:?}, {:?} of it waiting for the server",
            ran.len(),
            ran_at.elapsed(),
            db.borrow().waited() - waited_before
        );
        Ok(ran)
    }

    /// Runs the segments in order; on failure, says what was rolled back.
    fn run_segments(
        &mut self,
        direction: Direction,
        segments: Vec<crate::runner::Segment<(Step, Script, bool)>>,
        batch: i64,
        options: RunOptions,
        ran: &mut Vec<RanFile>,
    ) -> Result<(), RunnerError> {
        let dry_run = options.dry_run;
        let mut committed = 0usize;
        for (segment, transactional) in segments {
            let files = segment.len();
            let tx = match transactional {
                false => SegmentTx::Outside,
                // The run's first transaction, which holds the lock; later
                // ones are covered by the session's hold on it.
                true if self.db.borrow().in_transaction() && !dry_run => SegmentTx::Open,
                true => SegmentTx::Begin,
            };
            let result = self.run_segment(direction, segment, batch, tx, dry_run, ran);
            if let Err(e) = result {
                let rolled_back = if committed == 0 {
                    if transactional {
                        "the batch was rolled back: nothing of it was applied".to_string()
                    } else {
                        "it ran outside a transaction (config.transaction = false), so statements that succeeded before the error stay applied; no ledger row was written".to_string()
                    }
                } else if options.per_migration {
                    format!(
                        "this migration was rolled back; the {committed} migration(s) before it were committed, each in its own transaction (`--per-migration`)"
                    )
                } else {
                    format!(
                        "this part of the batch was rolled back; the {committed} migration(s) before it were committed separately (the batch was split around a `transaction = false` migration)"
                    )
                };
                let error = match e {
                    SegmentError::Script(file, error) => {
                        script_failed("migration", &file, error, rolled_back.clone())
                    }
                    SegmentError::Runner(r) => r,
                };
                if let Some(signal) = crate::interrupt::received() {
                    let at = match &error {
                        RunnerError::Script { file, error, .. } => {
                            format!(
                                "stopped in `{}`; ",
                                error.location.as_deref().unwrap_or(file)
                            )
                        }
                        _ => String::new(),
                    };
                    return Err(RunnerError::Interrupted {
                        signal,
                        what: format!("{at}{rolled_back}"),
                    });
                }
                let mut error = hints::too_many_locks(error, options.per_migration);
                hints::invalid_index(&mut error, &self.db);
                return Err(error);
            }
            committed += files;
        }
        Ok(())
    }

    /// Loads every file in a fresh state and checks it has the `required`
    /// functions: a syntax error or a missing `down` stops the run before
    /// anything is sent.
    pub(super) fn load(
        &self,
        steps: Vec<Step>,
        required: &[&str],
    ) -> Result<Vec<(Step, Script, bool)>, RunnerError> {
        let mut loaded = Vec::with_capacity(steps.len());
        for step in steps {
            let (script, transactional) = crate::runner::load_script(
                "migration",
                &step.file,
                &step.bytes,
                &self.env,
                &self.db,
            )?;
            for function in required {
                if !script.has_function(function) {
                    if *function == "down" {
                        return Err(RunnerError::NoDown {
                            file: step.file.display.clone(),
                        });
                    }
                    return Err(RunnerError::Usage(format!(
                        "`{}` has no `{function}` function; nothing was run",
                        step.file.display
                    )));
                }
            }
            loaded.push((step, script, transactional));
        }
        Ok(loaded)
    }

    fn run_segment(
        &mut self,
        direction: Direction,
        segment: Vec<(Step, Script, bool)>,
        batch: i64,
        tx: SegmentTx,
        dry_run: bool,
        ran: &mut Vec<RanFile>,
    ) -> Result<(), SegmentError> {
        let transactional = tx != SegmentTx::Outside;
        if transactional {
            let mut db = self.db.borrow_mut();
            if tx == SegmentTx::Begin {
                db.begin().map_err(|e| SegmentError::Runner(e.into()))?;
            }
            match self.ledger.take_knex_lock(&mut db) {
                Ok(true) => {}
                Ok(false) => {
                    let _ = db.rollback();
                    return Err(SegmentError::Runner(RunnerError::KnexLocked(
                        self.ledger.lock_table(),
                    )));
                }
                Err(e) => {
                    let _ = db.rollback();
                    return Err(SegmentError::Runner(e.into()));
                }
            }
        }
        let result = self.run_files(direction, segment, batch, ran);
        let mut db = self.db.borrow_mut();
        match result {
            Ok(()) if transactional && crate::interrupt::received().is_some() => {
                // Ctrl-C arrived while the segment ran: never commit after it.
                let _ = db.rollback();
                Err(SegmentError::Runner(RunnerError::Usage(
                    "interrupted".into(),
                )))
            }
            Ok(()) if transactional => {
                let finish = self.ledger.free_knex_lock(&mut db).and_then(|()| {
                    if dry_run {
                        db.rollback()
                    } else {
                        db.commit()
                    }
                });
                finish.map_err(|e| {
                    let _ = db.rollback();
                    SegmentError::Runner(e.into())
                })
            }
            Ok(()) => Ok(()),
            Err(e) => {
                if transactional {
                    let _ = db.rollback();
                }
                Err(e)
            }
        }
    }

    fn run_files(
        &mut self,
        direction: Direction,
        segment: Vec<(Step, Script, bool)>,
        batch: i64,
        ran: &mut Vec<RanFile>,
    ) -> Result<(), SegmentError> {
        let function = if direction == Direction::Down {
            "down"
        } else {
            "up"
        };
        let mut new_rows = Vec::new();
        let mut removed = Vec::new();
        for (step, script, _) in segment {
            let started = Instant::now();
            // `call` confirms every statement the file sent before it returns:
            // the success line, the duration and the blame are the file's own.
            // With the file's own `lockTimeout` / `statementTimeout`, if any.
            crate::runner::timeouts::call(&self.db, &script, &step.file.display, function)
                .map_err(|e| SegmentError::Script(step.file.clone(), e))?;
            let took = started.elapsed();
            drop(script);
            match direction {
                Direction::Down => removed.extend(step.row_id),
                _ => new_rows.push(NewRow {
                    name: step.file.name.clone(),
                    checksum: step.checksum.clone(),
                    time: chrono::Utc::now(),
                }),
            }
            self.observer.file_done(direction, &step.file.name, took);
            ran.push(RanFile {
                name: step.file.name.clone(),
                duration_ms: duration_ms(took),
            });
        }
        let mut db = self.db.borrow_mut();
        self.ledger
            .insert(&mut db, batch, &new_rows)
            .and_then(|()| self.ledger.delete(&mut db, &removed))
            .map_err(|e| SegmentError::Runner(e.into()))
    }
}

/// The transaction a segment runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegmentTx {
    /// None: a `transaction = false` file.
    Outside,
    /// A new one (a savepoint in a dry run).
    Begin,
    /// The one already open.
    Open,
}

enum SegmentError {
    Script(SourceFile, crate::lua::ScriptError),
    Runner(RunnerError),
}
