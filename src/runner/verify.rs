//! `migrate:verify` (SPEC §8): does each pending migration's `down` undo its `up`?
//!
//! Inside one transaction that is always rolled back: snapshot the catalog,
//! run `up`, run `down`, snapshot again and compare; then `up` once more so
//! later migrations see the schema they expect.

use std::collections::BTreeSet;

use crate::db::{Db, DbError};
use crate::sql::quote_literal;

/// One line per catalog object (and per column, constraint, index …), so two
/// snapshots compare as sets and a difference reads like a diff line.
pub type Snapshot = BTreeSet<String>;

/// Reads the user-visible schema, leaving out the system schemas and the ledger.
pub fn snapshot(db: &mut Db, ledger_table: &str) -> Result<Snapshot, DbError> {
    let skip_schemas = "('pg_catalog', 'information_schema', 'pg_toast')";
    let lock = format!("{ledger_table}_lock");
    let skip_tables = format!(
        "({}, {})",
        quote_literal(ledger_table),
        quote_literal(&lock)
    );
    let skip_relations = format!(
        "({}, {}, {}, {}, {}, {})",
        quote_literal(ledger_table),
        quote_literal(&lock),
        quote_literal(&format!("{ledger_table}_pkey")),
        quote_literal(&format!("{lock}_pkey")),
        quote_literal(&format!("{ledger_table}_id_seq")),
        quote_literal(&format!("{lock}_index_seq")),
    );
    let text = format!(
        "select 'table ' || schemaname || '.' || tablename from pg_tables \
           where schemaname not in {skip_schemas} and tablename not in {skip_tables}; \
         select 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type \
           || coalesce('(' || character_maximum_length || ')', '') || ' null=' || is_nullable \
           || coalesce(' default ' || column_default, '') from information_schema.columns \
           where table_schema not in {skip_schemas} and table_name not in {skip_tables}; \
         select 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
           from pg_constraint where connamespace::regnamespace::text not in {skip_schemas} \
           and conname not in {skip_relations}; \
         select 'index ' || schemaname || '.' || indexname || ' ' || indexdef from pg_indexes \
           where schemaname not in {skip_schemas} and indexname not in {skip_relations}; \
         select 'type ' || n.nspname || '.' || t.typname || ' enum(' || string_agg(e.enumlabel, ', ' order by e.enumsortorder) || ')' \
           from pg_type t join pg_enum e on e.enumtypid = t.oid join pg_namespace n on n.oid = t.typnamespace \
           group by n.nspname, t.typname; \
         select 'sequence ' || schemaname || '.' || sequencename from pg_sequences \
           where schemaname not in {skip_schemas} and sequencename not in {skip_relations}; \
         select 'view ' || schemaname || '.' || viewname || ' ' || definition from pg_views \
           where schemaname not in {skip_schemas}; \
         select 'materialized view ' || schemaname || '.' || matviewname || ' ' || definition from pg_matviews; \
         select 'comment ' || c.relname || coalesce('.' || a.attname, '') || ' ' || d.description \
           from pg_description d join pg_class c on c.oid = d.objoid \
           left join pg_attribute a on a.attrelid = c.oid and a.attnum = d.objsubid and d.objsubid > 0 \
           where c.relnamespace::regnamespace::text not in {skip_schemas}; \
         select 'schema ' || nspname from pg_namespace where nspname not in {skip_schemas} and nspname not like 'pg_%'; \
         select 'extension ' || extname from pg_extension"
    );
    Ok(db
        .simple_rows(&text)?
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .collect())
}

/// Lines only in `before` (prefixed `-`) and only in `after` (prefixed `+`).
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    before
        .difference(after)
        .map(|l| format!("- {l}"))
        .chain(after.difference(before).map(|l| format!("+ {l}")))
        .collect()
}
