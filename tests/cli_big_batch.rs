//! A batch too large for one transaction's locks (SPEC §5, issue 9): on a
//! server with default settings (`max_locks_per_transaction = 64`), 1000
//! migrations of a table with a foreign key, a unique and an index either run
//! in one transaction or fail with an error that names `--per-migration` and
//! applies nothing; with `--per-migration` they then run.
//!
//! It fills the server's shared lock table, so it is the only test of this
//! binary (`cargo test` runs binaries one after the other) and nextest runs it
//! alone (`.config/nextest.toml`).
mod common;

use common::project::{Output, Project};
use common::TestDb;

const N: usize = 1000;

fn migration(i: usize) -> String {
    format!(
        "return {{
  up = function(knex)
    knex.schema:createTable('t{i}', function(t)
      t:increments('id')
      t:integer('parent_id'):references('id'):inTable('parent')
      t:string('code'):unique()
      t:string('name'):index()
    end)
  end,
  down = function(knex)
    knex.schema:dropTable('t{i}')
  end,
}}
"
    )
}

/// Runs `args`; when the one-transaction batch ran out of locks, checks the
/// error and that nothing was applied, then runs it again per migration.
#[track_caller]
fn run_or_per_migration(p: &Project, db: &TestDb, args: &[&str], ledger_before: usize) -> Output {
    let out = p.run(args);
    if out.code == 0 {
        eprintln!("{args:?}: ran in one transaction");
        return out;
    }
    eprintln!(
        "{args:?}: out of locks in one transaction, as described; again with --per-migration"
    );
    out.code(1).says(&[
        "out of shared memory",
        "max_locks_per_transaction",
        "--per-migration",
        "nothing of it was applied",
    ]);
    assert_eq!(db.ledger_count(), ledger_before, "nothing applied; {out}");
    let mut again: Vec<&str> = args.to_vec();
    again.push("--per-migration");
    let out = p.run(&again);
    out.ok();
    out
}

#[test]
fn a_thousand_migrations_with_foreign_keys_run_and_roll_back_or_say_per_migration() {
    let db = TestDb::new("big_batch");
    let p = Project::new(&db);
    p.migration(
        "0000_parent",
        "return {\n  up = function(knex) knex.schema:createTable('parent', function(t) t:increments('id') end) end,\n  down = function(knex) knex.schema:dropTable('parent') end,\n}\n",
    );
    for i in 1..=N {
        p.migration(&format!("{i:04}_t{i}"), &migration(i));
    }
    // The ledger table exists from the start, so "nothing applied" is a count.
    p.run(&["migrate:up", "0000_parent"]).ok();
    run_or_per_migration(&p, &db, &["-q", "migrate:latest"], 1);
    assert_eq!(db.ledger_count(), N + 1);
    assert!(db.table_exists("t1000"));
    run_or_per_migration(&p, &db, &["-q", "migrate:rollback", "--all"], N + 1);
    assert_eq!(db.ledger_count(), 0);
    assert!(!db.table_exists("t1") && !db.table_exists("parent"));
}
