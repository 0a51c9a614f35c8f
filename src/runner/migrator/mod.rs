//! Plans and runs migration batches against the ledger.

mod batch;
mod hints;
mod plan;
mod verify;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::files::{self, ReadAhead, SourceFile};
use super::ledger::{AppliedMigration, Ledger, NewRow};
use super::{Direction, Observer, RunnerError};
use crate::config::Settings;
use crate::db::SharedDb;
use crate::lua::{Script, ScriptEnv};

/// Flags that change how a mutating verb runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Run inside a transaction that is always rolled back.
    pub dry_run: bool,
    /// Go on when applied migrations have no file.
    pub ignore_missing: bool,
    /// Each migration in its own transaction (`--per-migration`).
    pub per_migration: bool,
    /// Roll back files whose checksum changed since they ran (`--allow-drift`,
    /// rollback/down only; the command layer refuses it on a protected environment).
    pub allow_drift: bool,
}

/// The state of one applied migration relative to its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AppliedState {
    /// File present, checksum equal.
    Ok,
    /// Recorded without checksum (by Knex): adopted as it is.
    Adopted,
    /// The file changed since it ran.
    Drifted,
    /// No file for this row.
    Missing,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AppliedEntry {
    #[serde(flatten)]
    pub row: AppliedMigration,
    pub state: AppliedState,
    /// The file on disk, when it exists.
    pub file: Option<String>,
}

/// Ledger and directories compared.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    pub applied: Vec<AppliedEntry>,
    pub pending: Vec<String>,
}

impl Status {
    pub fn names_in(&self, state: AppliedState) -> Vec<String> {
        self.applied
            .iter()
            .filter(|a| a.state == state)
            .map(|a| a.row.name.clone())
            .collect()
    }
}

/// What a batch did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BatchOutcome {
    pub batch: i64,
    pub migrations: Vec<RanFile>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RanFile {
    pub name: String,
    pub duration_ms: f64,
}

/// The verdict on one migration of `migrate:verify`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verified {
    pub name: String,
    /// `down` restored exactly the schema `up` started from.
    pub ok: bool,
    /// Catalog lines `down` left different: `- ` missing, `+ ` extra.
    pub differences: Vec<String>,
    /// Why the migration was not run at all (then `ok` says nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// Which migrations a verb should run.
#[derive(Debug, Clone)]
pub enum Target {
    Latest,
    Up(Option<String>),
    To(String),
    Rollback { all: bool },
    Down(Option<String>),
}

/// Everything read at the start of a run, under the lock.
struct Snapshot {
    files: Vec<SourceFile>,
    applied: Vec<AppliedMigration>,
    /// file index → ledger row index
    file_row: HashMap<usize, usize>,
    /// ledger row index → file index
    row_file: HashMap<usize, usize>,
}

pub struct Migrator<'a> {
    settings: &'a Settings,
    db: SharedDb,
    ledger: Ledger,
    env: ScriptEnv,
    files: ReadAhead,
    observer: &'a mut dyn Observer,
}

impl<'a> Migrator<'a> {
    pub fn new(
        settings: &'a Settings,
        db: SharedDb,
        observer: &'a mut dyn Observer,
    ) -> Migrator<'a> {
        Migrator {
            ledger: Ledger::new(&settings.ledger_schema, &settings.ledger_table),
            env: crate::runner::script_env(settings),
            files: ReadAhead::none(&settings.migrations, &settings.root),
            settings,
            db,
            observer,
        }
    }

    /// Takes the migration files from `files` (started before connecting).
    pub fn reading_ahead(mut self, files: ReadAhead) -> Self {
        self.files = files;
        self
    }

    /// Loads the files in `env` (made with [`crate::runner::script_env`] before
    /// connecting, to prepare it while the server starts the session).
    pub fn with_env(mut self, env: ScriptEnv) -> Self {
        self.env = env;
        self
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Takes the run's lock inside the open transaction (freed when it ends).
    pub fn lock_transaction(&mut self) -> Result<(), RunnerError> {
        super::lock_transaction(
            &self.db,
            &self.ledger.display_name(),
            self.settings.lock_timeout,
            &mut *self.observer,
        )
    }

    /// Opens the run's first transaction and takes the lock in it: the ledger
    /// is read, and the batch planned, only with the lock held. On failure
    /// nothing stays open.
    fn begin_locked(&mut self) -> Result<(), RunnerError> {
        self.db.borrow_mut().begin()?;
        self.lock_transaction().inspect_err(|_| {
            let _ = self.db.borrow_mut().rollback();
        })
    }

    /// Reads the ledger and the files. `Ledger::Create` makes missing ledger
    /// tables, and `Ledger::CreateAndCommit` commits them at once (as Knex
    /// does, before its batch), so a failing first batch still leaves them.
    fn snapshot(&mut self, ledger: LedgerUse) -> Result<(bool, Snapshot), RunnerError> {
        let (knex_locked, applied) = if ledger != LedgerUse::ReadOnly {
            let (locked, rows, created) = self.ledger.load(&mut self.db.borrow_mut())?;
            if created && ledger == LedgerUse::CreateAndCommit {
                self.db.borrow_mut().commit()?;
                // Read again under the lock: another runner may have gone
                // between the commit and taking it again.
                self.begin_locked()?;
                let (locked, rows, _) = self.ledger.load(&mut self.db.borrow_mut())?;
                (locked, rows)
            } else {
                (locked, rows)
            }
        } else {
            self.ledger.load_read_only(&mut self.db.borrow_mut())?
        };
        let files = self.files.listing()?;
        // A row matches its file by exact name, or by stem (`x.js` ↔ `x.lua`).
        let mut by_stem: HashMap<&str, usize> = HashMap::with_capacity(files.len());
        for (i, f) in files.iter().enumerate() {
            by_stem.insert(f.stem(), i);
        }
        let mut file_row = HashMap::new();
        let mut row_file = HashMap::new();
        for (r, row) in applied.iter().enumerate() {
            if let Some(&f) = by_stem.get(files::stem(&row.name)) {
                file_row.entry(f).or_insert(r);
                row_file.insert(r, f);
            }
        }
        Ok((
            knex_locked,
            Snapshot {
                files,
                applied,
                file_row,
                row_file,
            },
        ))
    }

    /// Compares applied rows with files; reads each applied file once for its
    /// checksum and returns the bytes of those in `keep`.
    fn classify(
        &mut self,
        snap: &Snapshot,
        keep: &HashSet<usize>,
    ) -> Result<(Status, HashMap<usize, Vec<u8>>), RunnerError> {
        let mut kept = HashMap::new();
        let mut applied = Vec::with_capacity(snap.applied.len());
        for (r, row) in snap.applied.iter().enumerate() {
            let (state, file) = match snap.row_file.get(&r) {
                None => (AppliedState::Missing, None),
                Some(&f) => {
                    let file = &snap.files[f];
                    let state = match &row.checksum {
                        None => {
                            if keep.contains(&f) {
                                kept.insert(f, self.files.contents(file)?.bytes);
                            }
                            AppliedState::Adopted
                        }
                        Some(recorded) => {
                            let contents = self.files.contents(file)?;
                            let state = if *recorded == contents.checksum {
                                AppliedState::Ok
                            } else {
                                AppliedState::Drifted
                            };
                            if keep.contains(&f) {
                                kept.insert(f, contents.bytes);
                            }
                            state
                        }
                    };
                    (state, Some(file.display.clone()))
                }
            };
            applied.push(AppliedEntry {
                row: row.clone(),
                state,
                file,
            });
        }
        let pending = (0..snap.files.len())
            .filter(|f| !snap.file_row.contains_key(f))
            .map(|f| snap.files[f].name.clone())
            .collect();
        Ok((Status { applied, pending }, kept))
    }

    /// The pending files read for a run that is rolled back (`migrate:verify`,
    /// `migrate:plan`): the ledger read (created if missing, inside the open
    /// transaction), applied rows without a file refused unless
    /// `ignore_missing`. Also says whether the Knex lock row is set.
    fn pending_steps(&mut self, ignore_missing: bool) -> Result<(bool, Vec<Step>), RunnerError> {
        let (knex_locked, snap) = self.snapshot(LedgerUse::Create)?;
        let (status, _) = self.classify(&snap, &HashSet::new())?;
        let missing = status.names_in(AppliedState::Missing);
        if !missing.is_empty() && !ignore_missing {
            return Err(RunnerError::Missing(missing));
        }
        let mut steps = Vec::new();
        for f in (0..snap.files.len()).filter(|f| !snap.file_row.contains_key(f)) {
            let file = snap.files[f].clone();
            let contents = self.files.contents(&file)?;
            steps.push(Step {
                checksum: contents.checksum,
                bytes: contents.bytes,
                file,
                row_id: None,
            });
        }
        Ok((knex_locked, steps))
    }

    /// `migrate:list` / `migrate:status`: read only, no lock, creates nothing.
    pub fn status(&mut self) -> Result<Status, RunnerError> {
        let (_, snap) = self.snapshot(LedgerUse::ReadOnly)?;
        Ok(self.classify(&snap, &HashSet::new())?.0)
    }

    /// `migrate:currentVersion`: the prefix before `_` of the newest applied name.
    pub fn current_version(&mut self) -> Result<Option<String>, RunnerError> {
        let (_, applied) = self.ledger.load_read_only(&mut self.db.borrow_mut())?;
        Ok(applied
            .iter()
            .map(|m| m.name.split('_').next().unwrap_or_default().to_string())
            .max())
    }

    /// Runs one mutating verb: lock, plan, execute. Everything happens in
    /// transactions that hold the lock (a dry run: in one transaction that is
    /// rolled back at the end, each segment's own transaction a savepoint, so
    /// not even the ledger tables it may have to create are written).
    pub fn run(
        &mut self,
        target: &Target,
        options: RunOptions,
    ) -> Result<BatchOutcome, RunnerError> {
        self.begin_locked()?;
        let result = self.run_locked(target, options);
        super::end_first_transaction(&self.db, result, !options.dry_run)
    }

    fn run_locked(
        &mut self,
        target: &Target,
        options: RunOptions,
    ) -> Result<BatchOutcome, RunnerError> {
        let (knex_locked, snap) = self.snapshot(if options.dry_run {
            LedgerUse::Create
        } else {
            LedgerUse::CreateAndCommit
        })?;
        if knex_locked {
            return Err(RunnerError::KnexLocked(self.ledger.lock_table()));
        }
        let last_batch = Ledger::last_batch(&snap.applied);
        let direction = match target {
            Target::Latest | Target::Up(_) | Target::To(_) => Direction::Up,
            Target::Rollback { .. } | Target::Down(_) => Direction::Down,
        };
        let plan = self.plan(target, &snap)?;
        let keep: HashSet<usize> = if direction == Direction::Down {
            plan.iter().filter_map(|step| step.file).collect()
        } else {
            HashSet::new()
        };
        let started = Instant::now();
        let (status, mut kept) = self.classify(&snap, &keep)?;
        log::debug!(
            "checked {} applied files in {:?}",
            snap.applied.len(),
            started.elapsed()
        );
        let missing = status.names_in(AppliedState::Missing);
        if !missing.is_empty() && !options.ignore_missing {
            return Err(RunnerError::Missing(missing));
        }
        let mut drifted = status.names_in(AppliedState::Drifted);
        if options.allow_drift && direction == Direction::Down {
            // Only the files being undone may have drifted: their current
            // `down` runs and the ledger row goes, so the next `up` records
            // the new checksum. Drift anywhere else still stops the run.
            let undone: HashSet<&str> = plan
                .iter()
                .filter_map(|step| step.row.map(|r| snap.applied[r].name.as_str()))
                .collect();
            drifted.retain(|name| {
                let tolerated = undone.contains(name.as_str());
                if tolerated {
                    self.observer.warning(&format!(
                        "`{name}` changed since it ran; undoing it with the current file (--allow-drift)"
                    ));
                }
                !tolerated
            });
        }
        if !drifted.is_empty() {
            return Err(RunnerError::Drift(drifted));
        }
        if direction == Direction::Up {
            self.warn_out_of_order(&snap, &plan);
        }
        let mut steps = Vec::with_capacity(plan.len());
        for step in plan {
            let Some(f) = step.file else {
                let name = snap.applied[step.row.unwrap_or(0)].name.clone();
                return Err(RunnerError::Missing(vec![name]));
            };
            let file = &snap.files[f];
            let (bytes, checksum) = match kept.remove(&f) {
                // Applied (going down): only a new ledger row needs a checksum.
                Some(bytes) => (bytes, String::new()),
                None => {
                    let contents = self.files.contents(file)?;
                    (contents.bytes, contents.checksum)
                }
            };
            steps.push(Step {
                checksum,
                bytes,
                file: file.clone(),
                row_id: step.row.map(|r| snap.applied[r].id),
            });
        }
        let batch = match direction {
            Direction::Up if !steps.is_empty() => last_batch + 1,
            _ => last_batch,
        };
        let migrations = self.execute(direction, steps, batch, options)?;
        Ok(BatchOutcome {
            batch,
            migrations,
            dry_run: options.dry_run,
        })
    }

    fn warn_out_of_order(&mut self, snap: &Snapshot, plan: &[PlanStep]) {
        let newest_applied = snap.file_row.keys().max().copied();
        if let Some(newest) = newest_applied {
            for step in plan {
                if let Some(f) = step.file {
                    if f < newest {
                        let msg = format!(
                            "`{}` sorts before `{}`, which is already applied; running it anyway (as Knex does)",
                            snap.files[f].name, snap.files[newest].name
                        );
                        self.observer.warning(&msg);
                    }
                }
            }
        }
    }

    fn plan(&self, target: &Target, snap: &Snapshot) -> Result<Vec<PlanStep>, RunnerError> {
        let pending: Vec<usize> = (0..snap.files.len())
            .filter(|f| !snap.file_row.contains_key(f))
            .collect();
        let up = |f: usize| PlanStep {
            file: Some(f),
            row: None,
        };
        let down = |r: usize| PlanStep {
            file: snap.row_file.get(&r).copied(),
            row: Some(r),
        };
        let find_file = |name: &str| -> Option<usize> {
            snap.files
                .iter()
                .position(|f| files::names_match(name, &f.name))
        };
        Ok(match target {
            Target::Latest => pending.into_iter().map(up).collect(),
            Target::Up(None) => pending.into_iter().take(1).map(up).collect(),
            Target::Up(Some(name)) => {
                let f = find_file(name).ok_or_else(|| not_found(name))?;
                if snap.file_row.contains_key(&f) {
                    Vec::new()
                } else {
                    vec![up(f)]
                }
            }
            Target::To(name) => {
                let f = find_file(name).ok_or_else(|| not_found(name))?;
                pending.into_iter().filter(|&p| p <= f).map(up).collect()
            }
            Target::Rollback { all: false } => {
                let last = Ledger::last_batch(&snap.applied);
                let mut rows: Vec<usize> = (0..snap.applied.len())
                    .filter(|&r| snap.applied[r].batch == last)
                    .collect();
                rows.sort_by_key(|&r| std::cmp::Reverse(snap.applied[r].id));
                rows.into_iter().map(down).collect()
            }
            Target::Rollback { all: true } => {
                // Knex: every applied migration in reverse file-name order.
                let mut rows: Vec<usize> = (0..snap.applied.len()).collect();
                rows.sort_by(|&a, &b| {
                    snap.applied[b]
                        .name
                        .as_bytes()
                        .cmp(snap.applied[a].name.as_bytes())
                });
                rows.into_iter().map(down).collect()
            }
            Target::Down(None) => {
                // Knex: the applied migration whose file sorts last.
                let last = (0..snap.applied.len()).max_by(|&a, &b| {
                    let key = |r: usize| {
                        snap.row_file
                            .get(&r)
                            .map(|&f| snap.files[f].name.clone())
                            .unwrap_or_else(|| snap.applied[r].name.clone())
                    };
                    key(a).as_bytes().cmp(key(b).as_bytes())
                });
                last.into_iter().map(down).collect()
            }
            Target::Down(Some(name)) => {
                let r = (0..snap.applied.len())
                    .find(|&r| files::names_match(name, &snap.applied[r].name))
                    .ok_or_else(|| {
                        RunnerError::Usage(format!("Migration \"{name}\" was not run."))
                    })?;
                vec![down(r)]
            }
        })
    }
}

/// What reading the ledger may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LedgerUse {
    ReadOnly,
    Create,
    CreateAndCommit,
}

struct PlanStep {
    file: Option<usize>,
    row: Option<usize>,
}

struct Step {
    file: SourceFile,
    bytes: Vec<u8>,
    checksum: String,
    /// The ledger row to delete when going down.
    row_id: Option<i64>,
}

fn not_found(name: &str) -> RunnerError {
    RunnerError::Usage(format!("Migration \"{name}\" not found."))
}

pub(crate) fn script_failed(
    what: &'static str,
    file: &SourceFile,
    error: crate::lua::ScriptError,
    rolled_back: String,
) -> RunnerError {
    RunnerError::Script {
        what,
        file: file.display.clone(),
        error: Box::new(error),
        rolled_back,
    }
}

pub(crate) fn duration_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}
