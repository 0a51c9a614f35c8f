//! `migrate:plan`: every pending migration's `up`, inside one transaction
//! that is always rolled back, with a probe on the session recording what
//! each statement takes (see `crate::runner::plan`).

use super::*;
use crate::runner::plan::{PlannedMigration, Probe, Recording};

impl<'a> Migrator<'a> {
    /// Runs every pending `up` with the probe attached and rolls everything
    /// back, even a ledger it had to create: the database is left as it was.
    pub fn plan_pending(&mut self) -> Result<Vec<PlannedMigration>, RunnerError> {
        self.begin_locked()?;
        let result = self.plan_locked();
        let detached = self.db.borrow_mut().set_probe(None);
        let rollback = self.db.borrow_mut().rollback();
        let planned = result?;
        detached?;
        rollback?;
        Ok(planned)
    }

    fn plan_locked(&mut self) -> Result<Vec<PlannedMigration>, RunnerError> {
        let (knex_locked, steps) = self.pending_steps(false)?;
        if knex_locked {
            return Err(RunnerError::KnexLocked(self.ledger.lock_table()));
        }
        let loaded = self.load(steps, &["up"])?;
        let recording = Recording::shared();
        // Attached after the ledger was read (or created): the probe's
        // baseline is the database as the migrations will find it.
        self.db
            .borrow_mut()
            .set_probe(Some(Box::new(Probe(recording.clone()))))?;
        self.observer.starting(Direction::Up, loaded.len());
        let mut planned = Vec::with_capacity(loaded.len());
        for (step, script, transactional) in &loaded {
            if !transactional {
                let reason = "not planned: it runs outside a transaction (`config = { transaction = false }`), and the plan runs everything inside one that is rolled back; the migrations after it are planned without it".to_string();
                self.observer
                    .warning(&format!("`{}`: {reason}", step.file.name));
                planned.push(PlannedMigration {
                    name: step.file.name.clone(),
                    statements: Vec::new(),
                    skipped: Some(reason),
                });
                continue;
            }
            let started = Instant::now();
            let called = script.call("up");
            // A failed catalog read aborts the transaction, and the next
            // statement fails for it: the probe's own error comes first.
            let statements = Recording::take(&recording).map_err(|e| RunnerError::Advised {
                error: Box::new(e.into()),
                advice: "migrate:plan could not read `pg_locks` / `pg_class` after a statement; nothing was applied".into(),
            })?;
            called.map_err(|error| {
                script_failed(
                    "migration",
                    &step.file,
                    error,
                    "the plan always rolls back: nothing was applied".into(),
                )
            })?;
            self.observer
                .file_done(Direction::Up, &step.file.name, started.elapsed());
            planned.push(PlannedMigration {
                name: step.file.name.clone(),
                statements,
                skipped: None,
            });
        }
        Ok(planned)
    }
}
