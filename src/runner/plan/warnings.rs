//! The warnings of `migrate:plan`, each with the safer way to write the
//! statement. Pure: reads a finished plan.

use super::locks::LockMode;
use super::{human_size, PlannedMigration, PlannedStatement};

/// `--warn-size` default: `ACCESS EXCLUSIVE` on a table larger than this warns.
pub const DEFAULT_WARN_SIZE: i64 = 10 * 1024 * 1024;

/// One thing in the plan that can stall production traffic.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Warning {
    pub migration: String,
    /// The Lua `file:line` of the statement.
    pub at: Option<String>,
    /// `access_exclusive`, `rewrite`, `blocking_index` or `validating_constraint`.
    pub kind: &'static str,
    pub relation: String,
    pub message: String,
    /// How to get the same result with weaker or shorter locks.
    pub safer: String,
}

const CONCURRENTLY: &str = "build it with `create index concurrently` (`knex.schema:raw(...)`) in a migration of its own with `config = { transaction = false }`: it takes SHARE UPDATE EXCLUSIVE, so reads and writes go on while it builds";
const NOT_VALID: &str = "add the constraint `NOT VALID` (checks new rows only, brief lock), then `alter table … validate constraint …` in a later migration: validating takes SHARE UPDATE EXCLUSIVE, so reads and writes go on while it scans";
const NULLABLE_FIRST: &str = "add the column nullable and without a volatile default (no rewrite, brief lock), backfill it in batches, then add `check (col is not null) not valid`, `validate constraint` it and `set not null` (PostgreSQL 12+ uses the validated check and skips the scan)";
const SET_NOT_NULL: &str = "add `check (col is not null) not valid`, `validate constraint` it in a later migration, then `set not null` (PostgreSQL 12+ uses the validated check and skips the full-table scan under ACCESS EXCLUSIVE)";
const NEW_COLUMN: &str = "add a new column of the new type, backfill it in batches, and switch readers and writers over before dropping the old one";
const SHORT_LOCK: &str = "keep the transaction short (one such statement per migration, run with `--per-migration`), set a short `lock_timeout` so it fails fast instead of queueing every query behind it, and run it when traffic is low";

/// The safer form for a statement, by what it does.
pub fn safer_form(sql: &str) -> &'static str {
    let s = sql.to_ascii_lowercase();
    let index = s.starts_with("create index") || s.starts_with("create unique index");
    if index && !s.contains(" concurrently ") {
        CONCURRENTLY
    } else if (s.contains("foreign key") || s.contains(" check ") || s.contains(" check("))
        && s.contains("add constraint")
        && !s.contains("not valid")
    {
        NOT_VALID
    } else if s.contains("add column") && (s.contains("not null") || s.contains(" default ")) {
        NULLABLE_FIRST
    } else if s.contains("set not null") {
        SET_NOT_NULL
    } else if s.contains("alter column") && s.contains(" type ") {
        NEW_COLUMN
    } else {
        SHORT_LOCK
    }
}

/// A foreign key or check added without `NOT VALID`: it scans the table
/// (and for a foreign key, looks up the referenced one) under its lock.
fn is_validating_constraint(sql: &str) -> bool {
    let s = sql.to_ascii_lowercase();
    safer_form(sql) == NOT_VALID && !s.contains("not valid")
}

fn is_plain_index_build(sql: &str) -> bool {
    let s = sql.to_ascii_lowercase();
    (s.starts_with("create index") || s.starts_with("create unique index"))
        && !s.contains(" concurrently ")
}

/// Every warning of the plan, in statement order: `ACCESS EXCLUSIVE` on an
/// existing table larger than `warn_size` bytes (or of unknown size), a
/// rewrite of an existing relation, a plain index build on an existing table.
pub fn warnings(migrations: &[PlannedMigration], warn_size: i64) -> Vec<Warning> {
    let mut out = Vec::new();
    for m in migrations {
        for s in &m.statements {
            statement_warnings(&m.name, s, warn_size, &mut out);
        }
    }
    out
}

fn statement_warnings(
    migration: &str,
    s: &PlannedStatement,
    warn_size: i64,
    out: &mut Vec<Warning>,
) {
    let warn = |kind, relation: &str, message: String| Warning {
        migration: migration.to_string(),
        at: s.at.clone(),
        kind,
        relation: relation.to_string(),
        message,
        safer: safer_form(&s.sql).to_string(),
    };
    // A constraint added to a table this plan created has no rows to check.
    let on_new_table = s.locks.iter().any(|l| l.new && l.mode >= LockMode::Share);
    for lock in s.locks.iter().filter(|l| !l.new) {
        let bytes = lock.size.as_ref().and_then(|z| z.bytes);
        if lock.mode == LockMode::AccessExclusive && bytes.is_none_or(|b| b > warn_size) {
            let size = match (&lock.size, bytes) {
                (Some(z), Some(b)) => format!("{}, {}", human_size(b), z.from),
                (Some(z), None) => format!("size unknown in {}", z.from),
                _ => "size unknown".to_string(),
            };
            out.push(warn(
                "access_exclusive",
                &lock.relation,
                format!(
                    "ACCESS EXCLUSIVE on `{}` ({size}): every read and write of it waits until the transaction ends, and queues behind this statement while it waits for its lock",
                    lock.relation
                ),
            ));
        }
        if lock.mode >= LockMode::Share
            && !on_new_table
            && is_validating_constraint(&s.sql)
            && !out.iter().any(|w: &Warning| {
                w.kind == "validating_constraint" && w.relation == lock.relation && w.at == s.at
            })
        {
            out.push(warn(
                "validating_constraint",
                &lock.relation,
                format!(
                    "the constraint is checked against every existing row while `{}` holds {}: writes to it wait for the whole check",
                    lock.relation, lock.mode
                ),
            ));
        }
        if lock.mode == LockMode::Share && is_plain_index_build(&s.sql) {
            out.push(warn(
                "blocking_index",
                &lock.relation,
                format!(
                    "a plain index build on `{}` holds SHARE: writes to it wait for the whole build",
                    lock.relation
                ),
            ));
        }
    }
    // `truncate` gives the table a new, empty file: nothing is copied (its
    // ACCESS EXCLUSIVE is warned about above). An index is rebuilt with its
    // table: worth its own warning only alone.
    let truncate = s
        .sql
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("truncate");
    let rewritten = if truncate {
        &Vec::new()
    } else if s.rewrites.is_empty() {
        &s.rewritten_indexes
    } else {
        &s.rewrites
    };
    for relation in rewritten {
        out.push(warn(
            "rewrite",
            relation,
            format!(
                "`{relation}` is rewritten: every row is copied to a new file while it is locked"
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Blocks, Size, Source, TakenLock};
    use super::*;

    fn lock(mode: LockMode, bytes: i64, new: bool) -> TakenLock {
        TakenLock {
            relation: "users".into(),
            mode,
            source: Source::Measured,
            blocks: Blocks::default(),
            new,
            size: (!new).then(|| Size {
                bytes: Some(bytes),
                rows: None,
                from: "this database".into(),
            }),
            schema: "public".into(),
            name: "users".into(),
        }
    }

    fn plan(sql: &str, locks: Vec<TakenLock>, rewrites: Vec<String>) -> Vec<PlannedMigration> {
        vec![PlannedMigration {
            name: "002_x.lua".into(),
            statements: vec![PlannedStatement {
                at: Some("migrations/002_x.lua:3".into()),
                sql: sql.into(),
                locks,
                rewrites,
                rewritten_indexes: Vec::new(),
                blocks: Blocks::default(),
            }],
            skipped: None,
        }]
    }

    #[test]
    fn access_exclusive_warns_only_over_the_size_and_on_existing_tables() {
        let sql =
            r#"alter table "users" add column "token" uuid not null default gen_random_uuid()"#;
        let big = plan(
            sql,
            vec![lock(LockMode::AccessExclusive, 20 << 20, false)],
            vec![],
        );
        let found = warnings(&big, DEFAULT_WARN_SIZE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, "access_exclusive");
        assert_eq!(found[0].safer, NULLABLE_FIRST);
        let small = plan(
            sql,
            vec![lock(LockMode::AccessExclusive, 8192, false)],
            vec![],
        );
        assert!(warnings(&small, DEFAULT_WARN_SIZE).is_empty());
        assert_eq!(warnings(&small, 0).len(), 1);
        let new = plan(sql, vec![lock(LockMode::AccessExclusive, 0, true)], vec![]);
        assert!(warnings(&new, 0).is_empty());
    }

    #[test]
    fn rewrites_and_plain_index_builds_always_warn() {
        let rewrite = plan(
            "alter table \"users\" alter column \"a\" type bigint",
            vec![],
            vec!["users".into()],
        );
        let found = warnings(&rewrite, DEFAULT_WARN_SIZE);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].kind, found[0].safer.as_str()),
            ("rewrite", NEW_COLUMN)
        );
        let index = plan(
            r#"create index "users_email_index" on "users" ("email")"#,
            vec![lock(LockMode::Share, 10, false)],
            vec![],
        );
        let found = warnings(&index, DEFAULT_WARN_SIZE);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].kind, found[0].safer.as_str()),
            ("blocking_index", CONCURRENTLY)
        );
        let concurrent = plan(
            r#"create index concurrently "i" on "users" ("email")"#,
            vec![lock(LockMode::ShareUpdateExclusive, 10, false)],
            vec![],
        );
        assert!(warnings(&concurrent, DEFAULT_WARN_SIZE).is_empty());
    }

    #[test]
    fn an_index_rebuilt_with_its_table_is_not_warned_twice() {
        let mut with_table = plan(
            "alter table \"users\" alter column \"a\" type bigint",
            vec![],
            vec!["users".into()],
        );
        with_table[0].statements[0].rewritten_indexes = vec!["users_pkey".into()];
        let found = warnings(&with_table, DEFAULT_WARN_SIZE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].relation, "users");
        let truncate = plan("truncate \"users\"", vec![], vec!["users".into()]);
        assert!(warnings(&truncate, DEFAULT_WARN_SIZE).is_empty());
        let mut alone = plan("reindex index \"users_pkey\"", vec![], vec![]);
        alone[0].statements[0].rewritten_indexes = vec!["users_pkey".into()];
        let found = warnings(&alone, DEFAULT_WARN_SIZE);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].kind, found[0].relation.as_str()),
            ("rewrite", "users_pkey")
        );
    }

    #[test]
    fn a_validated_foreign_key_warns_on_each_table_it_blocks_writes_of() {
        let sql =
            r#"alter table "posts" add constraint "f" foreign key ("u") references "users" ("id")"#;
        let mut posts = lock(LockMode::ShareRowExclusive, 10, false);
        posts.relation = "posts".into();
        let users = lock(LockMode::ShareRowExclusive, 10, false);
        let mut share = lock(LockMode::RowShare, 10, false);
        share.relation = "posts".into();
        let found = warnings(
            &plan(sql, vec![posts, users, share], vec![]),
            DEFAULT_WARN_SIZE,
        );
        let kinds: Vec<(&str, &str)> = found
            .iter()
            .map(|w| (w.kind, w.relation.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("validating_constraint", "posts"),
                ("validating_constraint", "users")
            ]
        );
        assert!(found.iter().all(|w| w.safer == NOT_VALID));
        // From a new table: nothing to check.
        let mut new_posts = lock(LockMode::ShareRowExclusive, 0, true);
        new_posts.relation = "posts".into();
        let users = lock(LockMode::ShareRowExclusive, 10, false);
        assert!(warnings(
            &plan(sql, vec![new_posts, users], vec![]),
            DEFAULT_WARN_SIZE
        )
        .is_empty());
        let not_valid = format!("{sql} not valid");
        let mut posts = lock(LockMode::ShareRowExclusive, 10, false);
        posts.relation = "posts".into();
        assert!(warnings(&plan(&not_valid, vec![posts], vec![]), DEFAULT_WARN_SIZE).is_empty());
    }

    #[test]
    fn constraints_are_advised_not_valid_then_validate() {
        assert_eq!(
            safer_form(
                r#"alter table "posts" add constraint "f" foreign key ("u") references "users" ("id")"#
            ),
            NOT_VALID
        );
        assert_eq!(
            safer_form(r#"alter table "posts" add constraint "c" check ("n" > 0)"#),
            NOT_VALID
        );
        assert_eq!(
            safer_form(r#"alter table "t" alter column "a" set not null"#),
            SET_NOT_NULL
        );
        assert_eq!(safer_form("drop table \"t\""), SHORT_LOCK);
    }
}
