//! The migration verbs through the real binary on fixture projects:
//! `migrate:latest` batches and ledger rows, atomic failure, rollback,
//! up / down / to, drift and missing files, `transaction = false`.
mod common;

use common::project::{create_table, raw_up, sha256_hex, Project};
use common::TestDb;

/// `name:batch` of every ledger row, in id order.
fn ledger(db: &TestDb) -> Vec<String> {
    db.strings("select name || ':' || batch from knex_migrations order by id")
}

fn three_tables(db: &TestDb) -> Project {
    let p = Project::new(db);
    p.table_migration("001_a", "a")
        .table_migration("002_b", "b")
        .table_migration("003_c", "c");
    p
}

// 1. latest applies everything as batch 1, with checksums; a second run is a no-op.
#[test]
fn latest_applies_all_pending_as_one_batch_then_is_up_to_date() {
    let db = TestDb::new("latest");
    let p = three_tables(&db);

    let out = p.run(&["migrate:latest"]);
    out.ok();
    for name in ["001_a.lua", "002_b.lua", "003_c.lua"] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.contains(name) && l.contains("ms")),
            "no line with its duration for {name}; {out}"
        );
    }
    assert!(
        out.stdout
            .lines()
            .any(|l| l.trim() == "Batch 1 run: 3 migrations"),
        "{out}"
    );
    assert!(db.table_exists("a") && db.table_exists("b") && db.table_exists("c"));

    let rows = db.strings(
        "select name || ' ' || batch || ' ' || coalesce(checksum, '-') || ' ' || (migration_time is not null) from knex_migrations order by id",
    );
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (row, name) in rows.iter().zip(["001_a.lua", "002_b.lua", "003_c.lua"]) {
        let parts: Vec<&str> = row.split(' ').collect();
        assert_eq!(parts[0], name);
        assert_eq!(parts[1], "1", "batch of {name}");
        let sum = parts[2];
        assert_eq!(sum.len(), 64, "checksum of {name}: {sum}");
        assert!(sum.chars().all(|c| c.is_ascii_hexdigit()), "{sum}");
        let bytes = std::fs::read(p.path(&format!("migrations/{name}"))).unwrap();
        assert_eq!(sum, sha256_hex(&bytes), "checksum is the file's SHA-256");
        assert_eq!(parts[3], "true", "migration_time set");
    }

    let again = p.run(&["migrate:latest"]);
    again.ok();
    assert_eq!(again.stdout.trim(), "Already up to date", "{again}");
    assert_eq!(db.ledger_count(), 3);

    // A new file afterwards is batch 2.
    p.table_migration("004_d", "d");
    let out = p.run(&["migrate:latest"]);
    out.ok().says(&["004_d.lua", "Batch 2 run: 1 migration"]);
    assert_eq!(ledger(&db)[3], "004_d.lua:2");
}

// 2. A failing third migration (Lua error) leaves nothing of the batch.
#[test]
fn a_lua_error_in_the_third_migration_rolls_back_the_whole_batch() {
    let db = TestDb::new("atomic_lua");
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .table_migration("002_b", "b")
        .migration(
            "003_c",
            "return {\n  up = function(knex)\n    error(\"boom\")\n  end,\n}\n",
        );
    let out = p.run(&["migrate:latest"]);
    out.code(1).says(&[
        "migrations/003_c.lua",
        "migrations/003_c.lua:3",
        "boom",
        "rolled back",
    ]);
    assert!(!db.table_exists("a"), "table of migration 1 survived");
    assert!(!db.table_exists("b"), "table of migration 2 survived");
    assert_eq!(db.ledger_count(), 0, "a ledger row was written");
    // The lock row is free again.
    assert_eq!(
        db.strings("select is_locked from knex_migrations_lock"),
        vec!["0"]
    );
}

// 2. Same with an SQL error: the message has the file, line, SQL and PostgreSQL's text.
#[test]
fn an_sql_error_in_the_third_migration_rolls_back_and_names_sql_and_line() {
    let db = TestDb::new("atomic_sql");
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .table_migration("002_b", "b")
        .migration(
            "003_c",
            "return {\n  up = function(knex)\n    knex.schema:raw(\"create table c (id integer)\")\n    knex.schema:raw(\"insert into missing_table values (1)\")\n  end,\n}\n",
        );
    let out = p.run(&["migrate:latest"]);
    out.code(1).says(&[
        "migrations/003_c.lua:4",
        "insert into missing_table values (1)",
        "relation \"missing_table\" does not exist",
        "rolled back",
    ]);
    for t in ["a", "b", "c"] {
        assert!(!db.table_exists(t), "table {t} survived the failed batch");
    }
    assert_eq!(db.ledger_count(), 0);
}

// 3. rollback undoes only the last batch.
#[test]
fn rollback_undoes_only_the_last_batch_and_all_undoes_everything() {
    let db = TestDb::new("rollback");
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .table_migration("002_b", "b");
    p.run(&["migrate:latest"]).ok();
    p.table_migration("003_c", "c")
        .table_migration("004_d", "d");
    p.run(&["migrate:latest"])
        .ok()
        .says(&["Batch 2 run: 2 migrations"]);

    let out = p.run(&["migrate:rollback"]);
    out.ok().says(&[
        "003_c.lua",
        "004_d.lua",
        "Batch 2 rolled back: 2 migrations",
    ]);
    assert!(!out.stdout.contains("001_a.lua"), "{out}");
    // Newest first.
    let d = out.stdout.find("004_d.lua").unwrap();
    let c = out.stdout.find("003_c.lua").unwrap();
    assert!(d < c, "rollback must undo 004 before 003; {out}");
    assert!(db.table_exists("a") && db.table_exists("b"));
    assert!(!db.table_exists("c") && !db.table_exists("d"));
    assert_eq!(ledger(&db), vec!["001_a.lua:1", "002_b.lua:1"]);

    // The batch number is reused, as in Knex.
    p.run(&["migrate:latest"])
        .ok()
        .says(&["Batch 2 run: 2 migrations"]);
    let out = p.run(&["migrate:rollback", "--all"]);
    out.ok().says(&["rolled back: 4 migrations"]);
    for t in ["a", "b", "c", "d"] {
        assert!(!db.table_exists(t), "{t} still exists after --all");
    }
    assert_eq!(db.ledger_count(), 0);

    let out = p.run(&["migrate:rollback"]);
    out.ok().says(&["Already at the base migration"]);
}

// 3. A failing `down` in the batch leaves everything as it was.
#[test]
fn rollback_is_atomic_when_a_down_fails() {
    let db = TestDb::new("rollback_atomic");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    p.run(&["migrate:latest"]).ok();
    // 003 is undone first (newest), then 002 fails.
    p.migration(
        "002_b",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"create table b (id integer)\")\n  end,\n  down = function(knex)\n    knex.schema:raw(\"drop table b\")\n    error(\"cannot undo b\")\n  end,\n}\n",
    )
    .table_migration("003_c", "c");
    p.run(&["migrate:latest"]).ok();

    let out = p.run(&["migrate:rollback"]);
    out.code(1)
        .says(&["migrations/002_b.lua:7", "cannot undo b", "rolled back"]);
    assert!(db.table_exists("b"), "down of 002 was not rolled back");
    assert!(db.table_exists("c"), "down of 003 was not rolled back");
    assert_eq!(
        ledger(&db),
        vec!["001_a.lua:1", "002_b.lua:2", "003_c.lua:2"]
    );
}

// 3. A migration without `down` cannot be rolled back, and nothing runs.
#[test]
fn rollback_of_a_migration_without_down_fails_before_anything_runs() {
    let db = TestDb::new("rollback_nodown");
    let p = Project::new(&db);
    p.migration(
        "001_a",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"create table a (id integer)\")\n  end,\n}\n",
    )
    .table_migration("002_b", "b");
    p.run(&["migrate:latest"]).ok();
    let out = p.run(&["migrate:rollback"]);
    assert!(out.code == 1 || out.code == 2, "{out}");
    out.no_panic().says(&["migrations/001_a.lua", "down"]);
    // 002 is undone first in the plan; it must not have run.
    assert!(
        db.table_exists("b"),
        "002's down ran although the batch failed"
    );
    assert!(db.table_exists("a"));
    assert_eq!(db.ledger_count(), 2);
}

// 4. up without a name runs the next pending; with a name, that one.
#[test]
fn up_runs_the_next_pending_or_the_named_one() {
    let db = TestDb::new("up");
    let p = three_tables(&db);

    p.run(&["migrate:up"])
        .ok()
        .says(&["001_a.lua", "Batch 1 run: 1 migration"]);
    assert_eq!(ledger(&db), vec!["001_a.lua:1"]);
    assert!(db.table_exists("a") && !db.table_exists("b"));

    // Named, skipping 002; with or without `.lua`.
    p.run(&["migrate:up", "003_c"])
        .ok()
        .says(&["003_c.lua", "Batch 2 run: 1 migration"]);
    assert_eq!(ledger(&db), vec!["001_a.lua:1", "003_c.lua:2"]);
    assert!(!db.table_exists("b"));

    // Already applied: nothing, exit 0.
    let out = p.run(&["migrate:up", "003_c.lua"]);
    out.ok();
    assert_eq!(out.stdout.trim(), "Already up to date", "{out}");
    assert_eq!(db.ledger_count(), 2);

    // Unknown name.
    let out = p.run(&["migrate:up", "999_nope"]);
    out.code(2).says(&["Migration \"999_nope\" not found."]);
    assert_eq!(db.ledger_count(), 2);

    p.run(&["migrate:up"])
        .ok()
        .says(&["002_b.lua", "Batch 3 run: 1 migration"]);
    let out = p.run(&["migrate:up"]);
    out.ok();
    assert_eq!(out.stdout.trim(), "Already up to date", "{out}");
}

// 4. down undoes the applied migration whose file sorts last, or the named one.
#[test]
fn down_undoes_the_last_in_file_order_or_the_named_one() {
    let db = TestDb::new("down");
    let p = three_tables(&db);
    // Apply 001 and 003 first, then 002 last: 002 has the highest id, 003 sorts last.
    p.run(&["migrate:up", "001_a"]).ok();
    p.run(&["migrate:up", "003_c"]).ok();
    p.run(&["migrate:up", "002_b"]).ok();
    assert_eq!(
        ledger(&db),
        vec!["001_a.lua:1", "003_c.lua:2", "002_b.lua:3"]
    );

    let out = p.run(&["migrate:down"]);
    out.ok().says(&["003_c.lua"]);
    assert!(!out.stdout.contains("002_b.lua"), "{out}");
    assert!(!db.table_exists("c") && db.table_exists("b"));
    assert_eq!(ledger(&db), vec!["001_a.lua:1", "002_b.lua:3"]);

    let out = p.run(&["migrate:down", "001_a.lua"]);
    out.ok().says(&["001_a.lua"]);
    assert!(!db.table_exists("a") && db.table_exists("b"));
    assert_eq!(ledger(&db), vec!["002_b.lua:3"]);

    let out = p.run(&["migrate:down", "003_c"]);
    out.code(2).says(&["Migration \"003_c\" was not run."]);
    assert_eq!(ledger(&db), vec!["002_b.lua:3"]);

    p.run(&["migrate:down"]).ok().says(&["002_b.lua"]);
    assert_eq!(db.ledger_count(), 0);
    let out = p.run(&["migrate:down"]);
    out.ok().says(&["Already at the base migration"]);
}

// 4. A failing `down` leaves the migration applied.
#[test]
fn down_is_atomic() {
    let db = TestDb::new("down_atomic");
    let p = Project::new(&db);
    p.migration(
        "001_a",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"create table a (id integer)\")\n  end,\n  down = function(knex)\n    knex.schema:raw(\"drop table a\")\n    knex.schema:raw(\"drop table nope\")\n  end,\n}\n",
    );
    p.run(&["migrate:latest"]).ok();
    p.run(&["migrate:down"]).code(1).says(&[
        "migrations/001_a.lua:7",
        "drop table nope",
        "does not exist",
    ]);
    assert!(db.table_exists("a"));
    assert_eq!(ledger(&db), vec!["001_a.lua:1"]);
}

// 4. to NAME runs the pending migrations up to and including NAME, atomically.
#[test]
fn to_runs_pending_up_to_the_named_one() {
    let db = TestDb::new("to");
    let p = three_tables(&db);
    p.table_migration("004_d", "d");

    let out = p.run(&["migrate:to", "002_b"]);
    out.ok()
        .says(&["001_a.lua", "002_b.lua", "Batch 1 run: 2 migrations"]);
    assert!(!out.stdout.contains("003_c"), "{out}");
    assert_eq!(ledger(&db), vec!["001_a.lua:1", "002_b.lua:1"]);

    // Target already behind: nothing (Knex does not roll back).
    let out = p.run(&["migrate:to", "001_a.lua"]);
    out.ok();
    assert_eq!(out.stdout.trim(), "Already up to date", "{out}");

    let out = p.run(&["migrate:to", "nope"]);
    out.code(2).says(&["Migration \"nope\" not found."]);

    // Without a name: a usage error.
    let out = p.run(&["migrate:to"]);
    out.code(2).says(&["NAME"]);

    // Atomic: 004 fails, so 003 is not applied either.
    p.migration("004_d", "return {\n  up = function(knex)\n    knex.schema:raw(\"create table d (id integer)\")\n    error(\"d fails\")\n  end,\n}\n");
    p.run(&["migrate:to", "004_d"])
        .code(1)
        .says(&["migrations/004_d.lua:4", "d fails"]);
    assert!(!db.table_exists("c") && !db.table_exists("d"));
    assert_eq!(db.ledger_count(), 2);

    p.migration("004_d", &create_table("d"));
    p.run(&["migrate:to", "004_d"])
        .ok()
        .says(&["Batch 2 run: 2 migrations"]);
}

// 6. An edited applied file stops latest (exit 1) and status --check (exit 3).
#[test]
fn an_edited_applied_file_is_drift() {
    let db = TestDb::new("drift");
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .table_migration("002_b", "b");
    p.run(&["migrate:latest"]).ok();
    p.run(&["migrate:status", "--check"]).ok();

    p.file(
        "migrations/002_b.lua",
        &format!("{}-- edited\n", create_table("b")),
    );
    p.table_migration("003_c", "c");
    let out = p.run(&["migrate:latest"]);
    out.code(1).says(&["002_b.lua", "changed"]);
    assert!(!db.table_exists("c"), "latest ran despite drift");
    assert_eq!(db.ledger_count(), 2);

    let out = p.run(&["migrate:status", "--check"]);
    out.code(3).says(&["002_b.lua", "DRIFTED"]);
    // Without --check, status only reports.
    p.run(&["migrate:status"])
        .ok()
        .says(&["002_b.lua", "DRIFTED"]);
}

// 6. A missing applied file fails the same way unless --ignore-missing.
#[test]
fn a_missing_applied_file_fails_unless_ignore_missing() {
    let db = TestDb::new("missing");
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .table_migration("002_b", "b");
    p.run(&["migrate:latest"]).ok();
    p.remove("migrations/002_b.lua");
    p.table_migration("003_c", "c");

    let out = p.run(&["migrate:latest"]);
    out.code(1)
        .says(&["002_b.lua", "missing", "--ignore-missing"]);
    assert!(!db.table_exists("c"));

    p.run(&["migrate:status", "--check"])
        .code(3)
        .says(&["002_b.lua", "MISSING"]);

    let out = p.run(&["migrate:latest", "--ignore-missing"]);
    out.ok().says(&["003_c.lua", "Batch 2 run: 1 migration"]);
    assert!(db.table_exists("c"));
    assert_eq!(
        ledger(&db),
        vec!["001_a.lua:1", "002_b.lua:1", "003_c.lua:2"]
    );
}

// 9. A `transaction = false` migration between two transactional ones.
#[test]
fn a_non_transactional_migration_can_create_an_index_concurrently() {
    let db = TestDb::new("concurrently");
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .migration(
            "002_index",
            "return {\n  config = { transaction = false },\n  up = function(knex)\n    knex.schema:raw(\"create index concurrently a_id_idx on a (id)\")\n  end,\n  down = function(knex)\n    knex.schema:raw(\"drop index concurrently a_id_idx\")\n  end,\n}\n",
        )
        .table_migration("003_c", "c");
    let out = p.run(&["migrate:latest"]);
    out.ok()
        .says(&["002_index.lua", "Batch 1 run: 3 migrations"]);
    assert_eq!(
        db.strings("select indexname from pg_indexes where tablename = 'a'"),
        vec!["a_id_idx"]
    );
    assert!(db.table_exists("c"));
    assert_eq!(
        ledger(&db),
        vec!["001_a.lua:1", "002_index.lua:1", "003_c.lua:1"]
    );
    // And it rolls back, again outside a transaction.
    p.run(&["migrate:rollback"])
        .ok()
        .says(&["rolled back: 3 migrations"]);
    assert!(!db.table_exists("a"));
    assert_eq!(db.ledger_count(), 0);
}

// Used by several tests: a raw statement migration stays valid Lua.
#[test]
fn raw_up_fixture_runs() {
    let db = TestDb::new("raw_up");
    let p = Project::new(&db);
    p.migration("001_x", &raw_up("create table x (v text default 'it''s')"));
    p.run(&["migrate:latest"]).ok();
    assert!(db.table_exists("x"));
}

// §4: a pending file older than the newest applied one still runs, with a warning.
#[test]
fn an_out_of_order_pending_file_runs_with_a_warning() {
    let db = TestDb::new("out_of_order");
    let p = Project::new(&db);
    p.table_migration("002_b", "b");
    p.run(&["migrate:latest"]).ok();
    p.table_migration("001_a", "a");
    let out = p.run(&["migrate:latest"]);
    out.ok().says(&[
        "Batch 2 run: 1 migration",
        "warning",
        "001_a.lua",
        "002_b.lua",
    ]);
    assert!(
        out.stderr.contains("001_a.lua"),
        "the warning goes to stderr; {out}"
    );
    assert_eq!(ledger(&db), vec!["002_b.lua:1", "001_a.lua:2"]);
}

// §4: several directories are ordered together by base name; a base name in
// two directories is an error.
#[test]
fn several_directories_sort_together_and_duplicates_are_refused() {
    let db = TestDb::new("dirs");
    let p = Project::new(&db);
    p.config(&format!(
        "[defaults]\nmigrations = [\"db/a\", \"db/b\"]\n\n[environments.development]\nconnection = \"{}\"\n",
        db.url
    ));
    p.file("db/a/002_x.lua", &create_table("x"))
        .file("db/a/010_y.lua", &create_table("y"))
        .file("db/b/001_z.lua", &create_table("z"))
        .file("db/b/003_w.lua", &create_table("w"));
    let out = p.run(&["migrate:latest"]);
    out.ok().says(&["Batch 1 run: 4 migrations"]);
    assert_eq!(
        ledger(&db),
        vec!["001_z.lua:1", "002_x.lua:1", "003_w.lua:1", "010_y.lua:1"]
    );

    p.file("db/b/004_v.lua", &create_table("v"))
        .file("db/a/004_v.lua", &create_table("v"));
    let out = p.run(&["migrate:latest"]);
    assert!(out.code == 1 || out.code == 2, "{out}");
    out.no_panic()
        .says(&["004_v.lua", "db/a/004_v.lua", "db/b/004_v.lua"]);
    assert!(!db.table_exists("v"));
}

// Knex's list and currentVersion output.
#[test]
fn list_and_current_version_print_like_knex() {
    let db = TestDb::new("list");
    let p = Project::new(&db);
    p.table_migration("20240101000000_a", "a")
        .table_migration("20240102000000_b", "b");
    let out = p.run(&["migrate:currentVersion"]);
    out.ok();
    assert_eq!(out.stdout.trim(), "Current Version: none", "{out}");
    let out = p.run(&["migrate:list"]);
    out.ok().says(&[
        "No Completed Migration files Found.",
        "Found 2 Pending Migration file/files.",
        "20240101000000_a.lua",
    ]);
    // Read-only: it created nothing.
    assert!(!db.table_exists("knex_migrations"));

    p.run(&["migrate:up"]).ok();
    let out = p.run(&["migrate:currentVersion"]);
    out.ok();
    assert_eq!(
        out.stdout.trim(),
        "Current Version: 20240101000000",
        "{out}"
    );
    let out = p.run(&["migrate:status"]);
    out.ok().says(&[
        "Found 1 Completed Migration file/files.",
        "20240101000000_a.lua",
        "Found 1 Pending Migration file/files.",
        "20240102000000_b.lua",
    ]);
}

// §9: PostgreSQL's detail, hint and position reach the user.
#[test]
fn sql_errors_carry_detail_hint_and_position() {
    let db = TestDb::new("sql_detail");
    let p = Project::new(&db);
    p.migration(
        "001_dup",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"create table t (id integer primary key)\")\n    knex.raw(\"insert into t (id) values (?), (?)\", { 1, 1 }):run()\n  end,\n}\n",
    );
    let out = p.run(&["migrate:latest"]);
    out.code(1).says(&[
        "migrations/001_dup.lua:4",
        "insert into t (id) values ($1), ($2)",
        "duplicate key value violates unique constraint \"t_pkey\"",
        "Key (id)=(1) already exists.",
        "23505",
    ]);

    p.migration(
        "001_dup",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"select lenght('x')\")\n  end,\n}\n",
    );
    let out = p.run(&["migrate:latest"]);
    out.code(1).says(&[
        "migrations/001_dup.lua:3",
        "function lenght(unknown) does not exist",
        "hint",
        "No function matches",
        "select lenght('x')",
    ]);
    // PostgreSQL's position: `lenght` starts at character 8.
    out.says(&["position: 8"]);
    assert!(!db.table_exists("t"));
}

// §5: a `transaction = false` migration that fails: the migrations before it
// were committed separately and say so; it gets no ledger row.
#[test]
fn a_failing_non_transactional_migration_keeps_what_was_committed_before_it() {
    let db = TestDb::new("notx_fail");
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .migration(
            "002_idx",
            "return {\n  config = { transaction = false },\n  up = function(knex)\n    knex.schema:raw(\"create index concurrently a_idx on a (id)\")\n    knex.schema:raw(\"create index concurrently b_idx on missing (id)\")\n  end,\n}\n",
        )
        .table_migration("003_c", "c");
    let out = p.run(&["migrate:latest"]);
    out.code(1).says(&[
        "migrations/002_idx.lua:5",
        "relation \"missing\" does not exist",
        "committed",
    ]);
    assert!(db.table_exists("a"), "001 ran in its own committed segment");
    assert!(!db.table_exists("c"), "003 must not run after the failure");
    assert_eq!(ledger(&db), vec!["001_a.lua:1"]);
    assert_eq!(
        db.strings("select is_locked from knex_migrations_lock"),
        vec!["0"]
    );
}

// 3. `--all` is atomic too: a failing `down` in an older batch undoes nothing.
#[test]
fn rollback_all_is_atomic() {
    let db = TestDb::new("rollback_all_atomic");
    let p = Project::new(&db);
    p.migration(
        "001_a",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"create table a (id integer)\")\n  end,\n  down = function(knex)\n    knex.schema:raw(\"drop table a\")\n    knex.schema:raw(\"drop table not_there\")\n  end,\n}\n",
    );
    p.run(&["migrate:latest"]).ok();
    p.table_migration("002_b", "b");
    p.run(&["migrate:latest"]).ok();
    p.run(&["migrate:rollback", "--all"]).code(1).says(&[
        "migrations/001_a.lua:7",
        "not_there",
        "rolled back",
    ]);
    assert!(db.table_exists("a") && db.table_exists("b"));
    assert_eq!(ledger(&db), vec!["001_a.lua:1", "002_b.lua:2"]);
}

/// Schema statements are sent ahead of the Lua that follows them; a failure
/// still names the file and line that sent the statement, even when it comes
/// to light while a later file runs, and it wins over a later Lua error.
#[test]
fn a_failure_of_a_statement_sent_ahead_names_its_own_file_and_line() {
    let db = TestDb::new("pipelined_fail");
    let p = Project::new(&db);
    let create =
        |t: &str| format!("knex.schema:createTable('{t}', function(t) t:increments() end)");
    p.migration(
        "001_a",
        &format!(
            "return {{\n  up = function(knex)\n    {}\n  end,\n}}\n",
            create("a")
        ),
    )
    .migration(
        "002_dup",
        &format!(
            "return {{\n  up = function(knex)\n\n    {}\n  end,\n}}\n",
            create("a")
        ),
    )
    .migration(
        "003_later",
        &format!(
            "return {{\n  up = function(knex)\n    {}\n    error('later')\n  end,\n}}\n",
            create("c")
        ),
    );
    let out = p.run(&["migrate:latest"]);
    out.code(1).says(&[
        "migrations/002_dup.lua:4",
        "relation \"a\" already exists",
        "rolled back",
    ]);
    assert!(!out.all().contains("later"), "{out}");
    assert!(!db.table_exists("a") && !db.table_exists("c"));
    assert_eq!(
        db.strings("select count(*) from knex_migrations"),
        vec!["0"]
    );

    // A later file that waits for a result (hasTable) reports it the same way.
    p.migration(
        "003_later",
        "return {\n  up = function(knex)\n    assert(knex.schema:hasTable('a'))\n  end,\n}\n",
    );
    p.run(&["migrate:latest"])
        .code(1)
        .says(&["migrations/002_dup.lua:4", "already exists"]);
    assert!(!db.table_exists("a"));
}

#[test]
fn per_migration_commits_each_migration_on_its_own() {
    let db = TestDb::new("per_migration");
    let p = Project::new(&db);
    p.table_migration("001_a", "a")
        .table_migration("002_b", "b")
        .migration(
            "003_bad",
            "return {\n  up = function(knex)\n    knex.schema:raw('create table broken (')\n  end,\n  down = function(knex) end,\n}\n",
        );
    let out = p.run(&["migrate:latest", "--per-migration"]);
    out.code(1).says(&[
        "migrations/003_bad.lua:3",
        "the 2 migration(s) before it were committed, each in its own transaction (`--per-migration`)",
    ]);
    assert!(db.table_exists("a") && db.table_exists("b"));
    assert_eq!(
        db.strings("select name || ':' || batch from knex_migrations order by id"),
        vec!["001_a.lua:1", "002_b.lua:1"]
    );
    p.remove("migrations/003_bad.lua");
    for verb in [
        &["migrate:rollback", "--per-migration"][..],
        &["migrate:up", "--per-migration"][..],
        &["migrate:to", "002_b", "--per-migration"][..],
        &["migrate:down", "--per-migration"][..],
        &["migrate:latest", "--per-migration", "--dry-run"][..],
    ] {
        p.run(verb).ok();
    }
    assert!(db.table_exists("a") && !db.table_exists("b"));
}

/// A migration named as a Knex ledger has it (`…_types.js.js`), as its file
/// stem (`…_types.js`) or as its `.lua` file name: all three mean the file.
#[test]
fn a_migration_is_named_by_ledger_name_file_stem_or_file_name() {
    let db = TestDb::new("mig_names_js");
    let p = Project::new(&db);
    p.table_migration("20200101000000_types.js.lua", "types_t");
    p.run(&["migrate:latest"]).ok();
    // As if Knex had applied the TypeScript original compiled to `.js`.
    db.client()
        .batch_execute("update knex_migrations set name = '20200101000000_types.js.js'")
        .expect("rename ledger row");
    p.run(&["migrate:down", "20200101000000_types.js"]).ok();
    assert!(!db.table_exists("types_t"));
    p.run(&["migrate:up", "20200101000000_types.js.js"]).ok();
    assert!(db.table_exists("types_t"));
    p.run(&["migrate:down", "20200101000000_types.js.lua"]).ok();
    assert!(!db.table_exists("types_t"));
    p.run(&["migrate:to", "20200101000000_types.js"]).ok();
    assert!(db.table_exists("types_t"));
    p.run(&["migrate:up", "20200101000000_types"]).code(2);
}
