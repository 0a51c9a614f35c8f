//! `migrate:verify`: every pending migration's `up`, `down` and `up` again,
//! inside one transaction that is always rolled back, with the catalog
//! compared before and after `down` (SPEC §8).

use super::*;

impl<'a> Migrator<'a> {
    /// `migrate:verify`: for each pending migration, inside one transaction
    /// that is always rolled back, check that `down` undoes `up` (SPEC §8).
    pub fn verify(&mut self, options: RunOptions) -> Result<Vec<Verified>, RunnerError> {
        // Everything, even creating a missing ledger, happens in one transaction
        // that holds the lock and is rolled back: verify never writes.
        self.begin_locked()?;
        let result = self.verify_locked(options);
        let rollback = self.db.borrow_mut().rollback();
        let verified = result?;
        rollback?;
        Ok(verified)
    }

    fn verify_locked(&mut self, options: RunOptions) -> Result<Vec<Verified>, RunnerError> {
        let (_, steps) = self.pending_steps(options.ignore_missing)?;
        let loaded = self.load(steps, &["up", "down"])?;
        self.observer.starting(Direction::Up, loaded.len());
        self.verify_each(&loaded)
    }

    fn verify_each(
        &mut self,
        loaded: &[(Step, Script, bool)],
    ) -> Result<Vec<Verified>, RunnerError> {
        let table = self.settings.ledger_table.clone();
        let snapshot =
            |db: &SharedDb| crate::runner::verify::snapshot(&mut db.borrow_mut(), &table);
        let mut verified = Vec::with_capacity(loaded.len());
        for (step, script, transactional) in loaded {
            if !transactional {
                // Its statements may refuse a transaction (`CREATE INDEX
                // CONCURRENTLY`), and verify runs everything in one that is
                // rolled back: it is left out, and said so.
                let reason = "not verifiable: it runs outside a transaction (`config = { transaction = false }`), and verify runs everything inside one that is rolled back; its `up` was not run, so the migrations after it are verified without it".to_string();
                self.observer
                    .warning(&format!("`{}`: {reason}", step.file.name));
                verified.push(Verified {
                    name: step.file.name.clone(),
                    ok: true,
                    differences: Vec::new(),
                    skipped: Some(reason),
                });
                continue;
            }
            let started = Instant::now();
            let call = |function: &str| {
                script.call(function).map_err(|error| {
                    script_failed(
                        "migration",
                        &step.file,
                        error,
                        format!(
                            "(during `{function}`; verify always rolls back: nothing was applied)"
                        ),
                    )
                })
            };
            let before = snapshot(&self.db)?;
            call("up")?;
            call("down")?;
            let after = snapshot(&self.db)?;
            let differences = crate::runner::verify::diff(&before, &after);
            let ok = differences.is_empty();
            if ok {
                // Up again, so the next migration finds the schema it was written for.
                call("up")?;
            }
            self.observer
                .file_done(Direction::Up, &step.file.name, started.elapsed());
            verified.push(Verified {
                name: step.file.name.clone(),
                ok,
                differences,
                skipped: None,
            });
            if !ok {
                // The schema is now half-undone: later migrations cannot be judged on it.
                break;
            }
        }
        Ok(verified)
    }
}
