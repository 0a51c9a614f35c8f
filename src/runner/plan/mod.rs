//! `migrate:plan`: what each pending migration's statements really take from
//! the server — measured, not guessed.
//!
//! The migrations run in one transaction that is always rolled back (as
//! `--dry-run`), one statement at a time. After each statement a probe on the
//! same session reads `pg_locks` (the relation locks its backend now holds:
//! the new ones are the statement's) and `pg_class.relfilenode` (a relation
//! whose file changed was rewritten). Locks accumulate in the transaction: a
//! statement asking for a mode its backend already holds on that table shows
//! no new row, so its lock is then taken from PostgreSQL's documented table
//! ([`locks::documented`]) and marked `looked up`.

pub mod locks;
pub mod warnings;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use crate::db::{Catalog, Db, DbError, StatementProbe};
use crate::sql::quote_literal;
use locks::{blocks, Blocks, LockMode};

pub use warnings::{warnings, Warning, DEFAULT_WARN_SIZE};

/// Whether a figure was read from the server or taken from the documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Source {
    #[serde(rename = "measured")]
    Measured,
    #[serde(rename = "looked up")]
    LookedUp,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Measured => "measured",
            Source::LookedUp => "looked up",
        }
    }
}

/// A table's size: where it was read and what it says.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Size {
    /// Bytes on disk: `pg_total_relation_size` here (table, indexes, TOAST);
    /// `relpages × block_size` (the table alone) from `--sizes-from`.
    pub bytes: Option<i64>,
    /// Estimated rows (`pg_class.reltuples`, only from `--sizes-from`;
    /// `None` when never analysed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<i64>,
    /// `this database`, or the environment named by `--sizes-from`.
    pub from: String,
}

/// One relation lock a statement takes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TakenLock {
    /// As `regclass` prints it (schema-qualified when not on the search path).
    pub relation: String,
    pub mode: LockMode,
    pub source: Source,
    /// What ordinary traffic on the table waits while the lock is held.
    pub blocks: Blocks,
    /// Created by a migration of this plan: nobody else can use it yet.
    pub new: bool,
    /// Size before the plan ran (`None` for a new relation).
    pub size: Option<Size>,
    #[serde(skip)]
    pub(crate) schema: String,
    #[serde(skip)]
    pub(crate) name: String,
}

/// One statement a migration sent, and what it took.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlannedStatement {
    /// The Lua `file:line` that sent it.
    pub at: Option<String>,
    pub sql: String,
    pub locks: Vec<TakenLock>,
    /// Existing tables whose file was replaced (every row copied).
    pub rewrites: Vec<String>,
    /// Existing indexes rebuilt (with their table's rewrite, or alone).
    pub rewritten_indexes: Vec<String>,
    /// What the strongest lock on an existing table blocks.
    pub blocks: Blocks,
}

/// One pending migration and its statements.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlannedMigration {
    pub name: String,
    pub statements: Vec<PlannedStatement>,
    /// Why it was not run (`transaction = false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// A relation as last seen in `pg_class`.
#[derive(Debug, Clone)]
struct Relation {
    display: String,
    schema: String,
    name: String,
    /// `pg_class.relkind`: `r` table, `p` partitioned, `m` matview, `f` foreign, `i` index.
    kind: String,
    filenode: String,
}

impl Relation {
    fn is_table(&self) -> bool {
        matches!(self.kind.as_str(), "r" | "p" | "m" | "f")
    }
}

/// What the probe has seen so far.
#[derive(Default)]
pub struct Recording {
    /// Every user relation seen, by oid (dropped ones stay, for their names).
    relations: HashMap<String, Relation>,
    /// Relations that existed before the plan, with their size then.
    existing: HashMap<String, Option<i64>>,
    /// Relation locks held after the last statement: (oid, mode).
    held: HashSet<(String, LockMode)>,
    statements: Vec<PlannedStatement>,
    error: Option<DbError>,
}

/// The recording, shared by the probe on the session and the runner.
pub type Shared = Arc<Mutex<Recording>>;

impl Recording {
    pub fn shared() -> Shared {
        Arc::new(Mutex::new(Recording::default()))
    }

    /// The statements recorded since the last call, or the probe's own failure.
    pub fn take(shared: &Shared) -> Result<Vec<PlannedStatement>, DbError> {
        let mut me = shared.lock().unwrap_or_else(PoisonError::into_inner);
        match me.error.take() {
            Some(e) => Err(e),
            None => Ok(std::mem::take(&mut me.statements)),
        }
    }

    fn read_relations(
        &mut self,
        catalog: &mut Catalog<'_>,
    ) -> Result<HashMap<String, Relation>, DbError> {
        let rows = catalog.rows(RELATIONS)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let mut r = r.into_iter().map(Option::unwrap_or_default);
                let oid = r.next()?;
                Some((
                    oid,
                    Relation {
                        filenode: r.next()?,
                        kind: r.next()?,
                        schema: r.next()?,
                        name: r.next()?,
                        display: r.next()?,
                    },
                ))
            })
            .collect())
    }

    fn read_locks(catalog: &mut Catalog<'_>) -> Result<HashSet<(String, LockMode)>, DbError> {
        Ok(catalog
            .rows(LOCKS)?
            .into_iter()
            .filter_map(|r| {
                let oid = r.first()?.clone()?;
                let mode = LockMode::from_pg(r.get(1)?.as_deref()?)?;
                Some((oid, mode))
            })
            .collect())
    }

    fn start(&mut self, catalog: &mut Catalog<'_>) -> Result<(), DbError> {
        self.relations = self.read_relations(catalog)?;
        self.existing = catalog
            .rows(SIZES)?
            .into_iter()
            .filter_map(|r| {
                let oid = r.first()?.clone()?;
                let size = r.get(1).cloned().flatten().and_then(|s| s.parse().ok());
                Some((oid, size))
            })
            .collect();
        self.held = Self::read_locks(catalog)?;
        Ok(())
    }

    fn after(
        &mut self,
        catalog: &mut Catalog<'_>,
        sql: &str,
        origin: Option<&str>,
    ) -> Result<(), DbError> {
        let now = Self::read_locks(catalog)?;
        let relations = self.read_relations(catalog)?;
        let (mut rewrites, mut rewritten_indexes) = (Vec::new(), Vec::new());
        for (oid, r) in &relations {
            let changed = self.existing.contains_key(oid)
                && self
                    .relations
                    .get(oid)
                    .is_some_and(|before| before.filenode != r.filenode && before.filenode != "0");
            if changed && r.is_table() {
                rewrites.push(r.display.clone());
            } else if changed {
                rewritten_indexes.push(r.display.clone());
            }
        }
        rewrites.sort();
        rewritten_indexes.sort();
        self.relations.extend(relations);
        let before = std::mem::replace(&mut self.held, now);
        if is_transaction_control(sql) {
            return Ok(());
        }
        let mut taken: Vec<(String, LockMode, Source)> = self
            .held
            .difference(&before)
            .map(|(oid, mode)| (oid.clone(), *mode, Source::Measured))
            .collect();
        // The statement's own request, hidden by the same mode held already.
        let documented = locks::documented(sql);
        if !documented.is_empty() {
            let names: Vec<String> = documented
                .iter()
                .map(|d| {
                    format!(
                        "pg_catalog.to_regclass({})::oid::text",
                        quote_literal(&d.relation)
                    )
                })
                .collect();
            let rows = catalog.rows(&format!("select {}", names.join(", ")))?;
            let oids = rows.into_iter().next().unwrap_or_default();
            for (d, oid) in documented.iter().zip(oids) {
                let Some(oid) = oid else { continue };
                let key = (oid, d.mode);
                let measured = taken.iter().any(|(o, m, _)| *o == key.0 && *m == key.1);
                if !measured && before.contains(&key) {
                    taken.push((key.0, key.1, Source::LookedUp));
                }
            }
        }
        let mut locks: Vec<TakenLock> = taken
            .into_iter()
            .filter_map(|(oid, mode, source)| {
                let r = self.relations.get(&oid).filter(|r| r.is_table())?;
                let existed = self.existing.get(&oid);
                Some(TakenLock {
                    relation: r.display.clone(),
                    mode,
                    source,
                    blocks: blocks(mode),
                    new: existed.is_none(),
                    size: existed.map(|bytes| Size {
                        bytes: *bytes,
                        rows: None,
                        from: "this database".into(),
                    }),
                    schema: r.schema.clone(),
                    name: r.name.clone(),
                })
            })
            .collect();
        locks.sort_by(|a, b| a.relation.cmp(&b.relation).then(b.mode.cmp(&a.mode)));
        let strongest = locks.iter().filter(|l| !l.new).map(|l| l.mode).max();
        self.statements.push(PlannedStatement {
            at: origin.map(str::to_string),
            sql: sql.to_string(),
            locks,
            rewrites,
            rewritten_indexes,
            blocks: strongest.map(blocks).unwrap_or_default(),
        });
        Ok(())
    }
}

/// User relations (tables and indexes), with their file and display name.
const RELATIONS: &str =
    "select c.oid::text, c.relfilenode::text, c.relkind::text, n.nspname, c.relname, \
     c.oid::regclass::text from pg_catalog.pg_class c \
     join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
     where c.relkind in ('r', 'p', 'm', 'f', 'i') \
     and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'";

/// Every user relation before the plan runs, with the size of each table
/// (a partitioned table's own size says nothing: left unknown).
const SIZES: &str = "select c.oid::text, \
     case when c.relkind in ('r', 'm') then pg_catalog.pg_total_relation_size(c.oid)::text end \
     from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
     where c.relkind in ('r', 'p', 'm', 'f', 'i') \
     and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'";

/// The relation locks this backend holds in this database.
const LOCKS: &str = "select relation::text, mode from pg_catalog.pg_locks \
     where pid = pg_catalog.pg_backend_pid() and locktype = 'relation' and granted \
     and database = (select oid from pg_catalog.pg_database where datname = pg_catalog.current_database())";

/// `BEGIN`, savepoints and their ends (`knex.transaction` inside a migration):
/// not statements of the migration's own.
fn is_transaction_control(sql: &str) -> bool {
    matches!(
        crate::sql::first_word(sql).as_str(),
        "begin" | "commit" | "rollback" | "savepoint" | "release" | "start" | "end"
    )
}

/// The probe attached to the session while the plan runs.
pub struct Probe(pub Shared);

impl StatementProbe for Probe {
    fn start(&mut self, catalog: &mut Catalog<'_>) {
        let mut me = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(e) = me.start(catalog) {
            me.error.get_or_insert(e);
        }
    }

    fn after(&mut self, catalog: &mut Catalog<'_>, sql: &str, origin: Option<&str>) {
        let mut me = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if me.error.is_some() {
            return;
        }
        if let Err(e) = me.after(catalog, sql, origin) {
            me.error = Some(e);
        }
    }
}

/// Replaces each existing table's size with the catalog's figures in another
/// database (`--sizes-from`): `relpages × block_size` and `reltuples`, read
/// from `pg_class` only (no table is touched, no lock taken on one).
pub fn sizes_from(
    db: &mut Db,
    environment: &str,
    migrations: &mut [PlannedMigration],
) -> Result<(), DbError> {
    let mut wanted: Vec<(String, String)> = migrations
        .iter()
        .flat_map(|m| &m.statements)
        .flat_map(|s| &s.locks)
        .filter(|l| !l.new)
        .map(|l| (l.schema.clone(), l.name.clone()))
        .collect();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = wanted
        .iter()
        .map(|(s, n)| format!("({}, {})", quote_literal(s), quote_literal(n)))
        .collect();
    let text = format!(
        "select n.nspname, c.relname, (c.relpages::bigint * pg_catalog.current_setting('block_size')::bigint)::text, \
         case when c.reltuples < 0 then null else c.reltuples::bigint::text end \
         from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
         where (n.nspname, c.relname) in ({}) and c.relkind in ('r', 'p', 'm', 'f')",
        list.join(", ")
    );
    let mut found: HashMap<(String, String), (Option<i64>, Option<i64>)> = HashMap::new();
    for row in db.simple_rows(&text)? {
        let get = |i: usize| row.get(i).cloned().flatten();
        if let (Some(s), Some(n)) = (get(0), get(1)) {
            let number = |i: usize| get(i).and_then(|v| v.parse().ok());
            found.insert((s, n), (number(2), number(3)));
        }
    }
    for lock in migrations
        .iter_mut()
        .flat_map(|m| &mut m.statements)
        .flat_map(|s| &mut s.locks)
        .filter(|l| !l.new)
    {
        let (bytes, rows) = found
            .get(&(lock.schema.clone(), lock.name.clone()))
            .copied()
            .unwrap_or((None, None));
        lock.size = Some(Size {
            bytes,
            rows,
            from: environment.to_string(),
        });
    }
    Ok(())
}

/// `12.3 MB`, `512 kB`, `80 bytes` (powers of 1024, as `pg_size_pretty`).
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes.abs() < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Reads `10MB`, `512 kB`, `1GB`, `2048` (bytes) for `--warn-size`.
pub fn parse_size(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().map_err(|_| {
        format!("`{text}` is not a size: write a number and a unit, as `10MB`, `512kB` or `1GB`")
    })?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1.0,
        "k" | "kb" => 1024.0,
        "m" | "mb" => 1024.0 * 1024.0,
        "g" | "gb" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{text}`: use bytes, kB, MB, GB or TB"
            ))
        }
    };
    Ok((number * factor) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_and_print_in_powers_of_1024() {
        assert_eq!(parse_size("10MB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("512 kB"), Ok(512 * 1024));
        assert_eq!(parse_size("2048"), Ok(2048));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10 parsecs").is_err());
        assert_eq!(human_size(80), "80 bytes");
        assert_eq!(human_size(1536), "1.5 kB");
        assert_eq!(human_size(12 * 1024 * 1024), "12 MB");
    }

    #[test]
    fn transaction_control_is_not_a_statement_of_the_migration() {
        assert!(is_transaction_control("SAVEPOINT vectra_sp_1"));
        assert!(is_transaction_control("RELEASE SAVEPOINT vectra_sp_1"));
        assert!(!is_transaction_control(
            "alter table \"t\" add column \"a\" int"
        ));
    }
}
