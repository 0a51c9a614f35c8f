//! The migration ledger: Knex's two tables, exactly, plus one nullable column of ours.
//!
//! `knex_migrations (id serial primary key, name varchar(255), batch integer,
//! migration_time timestamptz)` and `knex_migrations_lock (index serial primary
//! key, is_locked integer)` with one row; we add `checksum varchar(64)` (NULL
//! for rows Knex wrote), which Knex ignores because it names its columns.

use crate::db::{Db, DbError};
use crate::sql::{quote_ident, quote_literal};

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AppliedMigration {
    pub id: i64,
    pub name: String,
    pub batch: i64,
    /// As PostgreSQL prints it (ISO-8601 with offset).
    pub migration_time: Option<String>,
    pub checksum: Option<String>,
}

/// A row to insert after a migration ran.
#[derive(Debug, Clone)]
pub struct NewRow {
    pub name: String,
    pub checksum: String,
    /// UTC time right after `up` finished (Knex uses the client clock too).
    pub time: chrono::DateTime<chrono::Utc>,
}

/// Names and SQL of one configured ledger.
#[derive(Debug, Clone)]
pub struct Ledger {
    schema: String,
    table: String,
    /// `"schema"."table"`
    qualified: String,
    /// `"schema"."table_lock"`
    lock_qualified: String,
}

impl Ledger {
    pub fn new(schema: &str, table: &str) -> Ledger {
        Ledger {
            schema: schema.to_string(),
            table: table.to_string(),
            qualified: format!("{}.{}", quote_ident(schema), quote_ident(table)),
            lock_qualified: format!(
                "{}.{}",
                quote_ident(schema),
                quote_ident(&format!("{table}_lock"))
            ),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn lock_table(&self) -> String {
        format!("{}_lock", self.table)
    }

    /// `schema.table`, for messages and the advisory-lock key.
    pub fn display_name(&self) -> String {
        format!("{}.{}", self.schema, self.table)
    }

    /// Reads `(is_locked, rows)` in one round trip, creating the tables (or our
    /// column) first when missing. Called with the advisory lock held, so the
    /// check-then-create cannot race another vectra-db runner.
    /// Also says whether it created something.
    pub fn load(&self, db: &mut Db) -> Result<(bool, Vec<AppliedMigration>, bool), DbError> {
        // Inside a transaction (a dry run) a failed read would abort it: try
        // the read under a savepoint so the tables can still be created.
        let guarded = db.in_transaction();
        if guarded {
            db.begin()?;
        }
        let first = self.read(db);
        if guarded {
            if first.is_ok() {
                db.commit()?;
            } else {
                db.rollback()?;
            }
        }
        match first {
            Ok((locked, rows)) => Ok((locked, rows, false)),
            // 42P01: a table is missing; 42703: our checksum column is missing.
            Err(e) if e.is("42P01") || e.is("42703") => {
                self.create(db)?;
                let (locked, rows) = self.read(db)?;
                Ok((locked, rows, true))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether the ledger table exists at all (read-only commands do not create it).
    pub fn exists(&self, db: &mut Db) -> Result<bool, DbError> {
        let rows = db.simple_rows(&format!(
            "select to_regclass({}) is not null",
            quote_literal(&self.qualified)
        ))?;
        Ok(rows.first().and_then(|r| r[0].as_deref()) == Some("t"))
    }

    /// Reads without creating anything; an empty ledger when the table is missing.
    pub fn load_read_only(&self, db: &mut Db) -> Result<(bool, Vec<AppliedMigration>), DbError> {
        match self.read(db) {
            Ok(found) => Ok(found),
            Err(e) if e.is("42P01") => Ok((false, Vec::new())),
            Err(e) if e.is("42703") => self.read_without_checksum(db),
            Err(e) => Err(e),
        }
    }

    fn read(&self, db: &mut Db) -> Result<(bool, Vec<AppliedMigration>), DbError> {
        self.read_columns(db, "checksum")
    }

    /// For a ledger Knex created, which read-only verbs must not alter.
    fn read_without_checksum(&self, db: &mut Db) -> Result<(bool, Vec<AppliedMigration>), DbError> {
        self.read_columns(db, "null")
    }

    /// The lock flag and every row, in one round trip.
    fn read_columns(
        &self,
        db: &mut Db,
        checksum: &str,
    ) -> Result<(bool, Vec<AppliedMigration>), DbError> {
        let text = format!(
            "select coalesce(max(is_locked), 0) from {lock}; \
             select id, name, batch, to_char(migration_time at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), {checksum} from {t} order by id",
            lock = self.lock_qualified,
            t = self.qualified
        );
        self.parse(db.simple_rows(&text)?)
    }

    fn parse(
        &self,
        mut rows: Vec<Vec<Option<String>>>,
    ) -> Result<(bool, Vec<AppliedMigration>), DbError> {
        if rows.is_empty() {
            return Err(DbError::decode("ledger read returned nothing".into(), ""));
        }
        let lock_row = rows.remove(0);
        let locked = lock_row.first().cloned().flatten().as_deref() != Some("0");
        let applied = rows
            .into_iter()
            .map(|r| {
                let int = |i: usize| {
                    r.get(i)
                        .cloned()
                        .flatten()
                        .and_then(|v| v.parse::<i64>().ok())
                        .unwrap_or(0)
                };
                AppliedMigration {
                    id: int(0),
                    name: r.get(1).cloned().flatten().unwrap_or_default(),
                    batch: int(2),
                    migration_time: r.get(3).cloned().flatten(),
                    checksum: r.get(4).cloned().flatten(),
                }
            })
            .collect();
        Ok((locked, applied))
    }

    /// Creates whatever is missing: both tables exactly as Knex does, the lock
    /// row, and our checksum column.
    fn create(&self, db: &mut Db) -> Result<(), DbError> {
        // Knex leaves a missing schema to the user; creating it is kinder.
        let schema = if self.schema == "public" {
            String::new()
        } else {
            format!(
                "create schema if not exists {}; ",
                quote_ident(&self.schema)
            )
        };
        db.batch(&format!(
            "{schema}create table if not exists {t} (\"id\" serial primary key, \"name\" varchar(255), \"batch\" integer, \"migration_time\" timestamptz); \
             create table if not exists {lock} (\"index\" serial primary key, \"is_locked\" integer); \
             insert into {lock} (\"is_locked\") select 0 where not exists (select 1 from {lock}); \
             alter table {t} add column if not exists \"checksum\" varchar(64)",
            t = self.qualified,
            lock = self.lock_qualified
        ))
    }

    /// Knex's lock protocol inside our transaction, so a Knex process and a
    /// vectra-db process exclude each other: exactly one row must change.
    pub fn take_knex_lock(&self, db: &mut Db) -> Result<bool, DbError> {
        let n = db.execute(&crate::sql::Sql::plain(format!(
            "update {} set \"is_locked\" = 1 where \"is_locked\" = 0",
            self.lock_qualified
        )))?;
        // Knex insists on exactly one row; several free rows (its first-start
        // race, knex/knex#3538) are as free as one.
        if n >= 1 {
            return Ok(true);
        }
        // Nothing free: Knex holds it, or the rows were deleted by hand; then
        // put Knex's one row back (taken now, freed at commit).
        let rows = db.simple_rows(&format!("select count(*) from {}", self.lock_qualified))?;
        if rows.first().and_then(|r| r[0].as_deref()) == Some("0") {
            db.batch(&format!(
                "insert into {} (\"is_locked\") values (1)",
                self.lock_qualified
            ))?;
            return Ok(true);
        }
        Ok(false)
    }

    pub fn free_knex_lock(&self, db: &mut Db) -> Result<(), DbError> {
        db.batch(&format!(
            "update {} set \"is_locked\" = 0",
            self.lock_qualified
        ))
    }

    /// `migrate:unlock`: Knex's own recovery (delete all rows, insert one free row).
    pub fn force_unlock(&self, db: &mut Db) -> Result<(), DbError> {
        db.batch(&format!(
            "delete from {lock}; insert into {lock} (\"is_locked\") values (0)",
            lock = self.lock_qualified
        ))
    }

    /// `max(batch)`, 0 for an empty ledger.
    pub fn last_batch(applied: &[AppliedMigration]) -> i64 {
        applied.iter().map(|m| m.batch).max().unwrap_or(0)
    }

    /// One multi-row insert for a whole batch (one round trip, not one per file).
    pub fn insert(&self, db: &mut Db, batch: i64, rows: &[NewRow]) -> Result<(), DbError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut text = format!(
            "insert into {} (\"batch\", \"migration_time\", \"name\", \"checksum\") values ",
            self.qualified
        );
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(&format!(
                "({batch}, {}, {}, {})",
                quote_literal(
                    &row.time
                        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                ),
                quote_literal(&row.name),
                quote_literal(&row.checksum)
            ));
        }
        db.batch(&text)
    }

    pub fn delete(&self, db: &mut Db, ids: &[i64]) -> Result<(), DbError> {
        if ids.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        db.batch(&format!(
            "delete from {} where \"id\" in ({})",
            self.qualified,
            list.join(", ")
        ))
    }
}
