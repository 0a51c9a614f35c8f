//! Advice added to errors whose plain PostgreSQL message leaves the user stuck.

use crate::db::SharedDb;
use crate::runner::RunnerError;
use crate::sql::quote_ident;

/// PostgreSQL's `out of shared memory` (SQLSTATE 53200, hint about
/// `max_locks_per_transaction`): one transaction holds a lock per table,
/// index and sequence it touched, and a big batch runs out of them.
pub(super) fn too_many_locks(error: RunnerError, per_migration: bool) -> RunnerError {
    if !error.db_error().is_some_and(|d| d.is("53200")) {
        return error;
    }
    let advice = if per_migration {
        "PostgreSQL ran out of lock slots (`max_locks_per_transaction`) even for one migration: raise `max_locks_per_transaction` on the server (a restart is needed), or split this migration"
    } else {
        "the batch takes more locks than one transaction can hold (every table, index and sequence a migration touches stays locked until the batch commits; PostgreSQL's `max_locks_per_transaction` bounds them): run it again with `--per-migration` (each migration in its own transaction, as Knex does), or raise `max_locks_per_transaction` on the server"
    };
    RunnerError::Advised {
        error: Box::new(error),
        advice: advice.to_string(),
    }
}

/// `CREATE INDEX` failing with "relation … already exists" (42P07) because a
/// `CREATE INDEX CONCURRENTLY` was interrupted and left its index INVALID:
/// name it and the statement that clears it, as PostgreSQL's message does
/// not. Asked after the batch was rolled back, on the run's connection.
pub(super) fn invalid_index(error: &mut RunnerError, db: &SharedDb) {
    let Some(failed) = error.db_error_mut() else {
        return;
    };
    let creates_index = {
        let words: Vec<String> = failed
            .sql
            .split_whitespace()
            .take(3)
            .map(str::to_ascii_lowercase)
            .collect();
        words.first().map(String::as_str) == Some("create")
            && (words.get(1).map(String::as_str) == Some("index")
                || words.get(2).map(String::as_str) == Some("index"))
    };
    if !failed.is("42P07") || !creates_index {
        return;
    }
    let Some(name) = failed.message.split('"').nth(1).map(str::to_string) else {
        return;
    };
    let query = format!(
        "select n.nspname from pg_index i join pg_class c on c.oid = i.indexrelid \
         join pg_namespace n on n.oid = c.relnamespace \
         where not i.indisvalid and c.relname = {} and pg_table_is_visible(c.oid)",
        crate::sql::quote_literal(&name)
    );
    let Ok(rows) = db.borrow_mut().simple_rows(&query) else {
        return;
    };
    let Some(schema) = rows.first().and_then(|r| r[0].clone()) else {
        return;
    };
    let qualified = format!("{}.{}", quote_ident(&schema), quote_ident(&name));
    let advice = format!(
        "index {qualified} exists but is INVALID: an earlier `CREATE INDEX CONCURRENTLY` was interrupted and left it behind; \
         drop it with `DROP INDEX CONCURRENTLY {qualified};` and run again"
    );
    failed.hint = Some(match failed.hint.take() {
        Some(h) => format!("{h}\n  {advice}"),
        None => advice,
    });
}
