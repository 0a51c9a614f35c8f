//! `migrate:plan` (issue 10): what each pending migration's statements lock,
//! rewrite and block, measured on a real server inside a transaction that is
//! rolled back — and the database is left exactly as it was.
mod common;

use common::project::Project;
use common::{pg_dump, TestDb};
use serde_json::Value;

/// A project with an applied migration creating `users` with 500 rows.
fn with_users(db: &TestDb) -> Project {
    let p = Project::new(db);
    p.migration(
        "001_users",
        "return {\n  up = function(knex)\n    knex.schema:createTable(\"users\", function(t)\n      t:increments(\"id\")\n      t:string(\"email\")\n    end)\n    knex.schema:raw(\"insert into users (email) select 'u' || g || '@x' from generate_series(1, 500) g\")\n  end,\n  down = function(knex) knex.schema:dropTable(\"users\") end,\n}\n",
    );
    p.run(&["migrate:latest"]).ok();
    p
}

/// What must not change: the schema and data (pg_dump) and the ledger.
fn state(db: &TestDb) -> (String, usize) {
    (pg_dump(&db.url, &[]), db.ledger_count())
}

fn plan_json(p: &Project, args: &[&str]) -> Value {
    let mut all = vec!["--json", "migrate:plan"];
    all.extend_from_slice(args);
    let out = p.run(&all);
    out.ok();
    serde_json::from_str(&out.stdout).expect("one JSON document")
}

/// The statements of migration `m` whose SQL starts with `prefix`.
fn statement<'a>(doc: &'a Value, m: usize, prefix: &str) -> &'a Value {
    doc["migrations"][m]["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| s["sql"].as_str().is_some_and(|q| q.starts_with(prefix)))
        .unwrap_or_else(|| panic!("no statement starting with {prefix:?} in {doc:#}"))
}

/// (relation, mode, source) of a statement's locks.
fn locks(s: &Value) -> Vec<(String, String, String)> {
    s["locks"]
        .as_array()
        .expect("locks")
        .iter()
        .map(|l| {
            let text = |k: &str| l[k].as_str().unwrap_or_default().to_string();
            (text("relation"), text("mode"), text("source"))
        })
        .collect()
}

fn has_lock(s: &Value, relation: &str, mode: &str, source: &str) -> bool {
    locks(s)
        .iter()
        .any(|(r, m, f)| r == relation && m == mode && f == source)
}

#[test]
fn plan_reports_access_exclusive_the_rewrite_and_the_index_share_lock_and_changes_nothing() {
    let db = TestDb::new("plan_accept");
    let p = with_users(&db);
    p.migration(
        "002_token",
        "return {\n  up = function(knex)\n    knex.schema:alterTable(\"users\", function(t)\n      t:uuid(\"token\"):notNullable():defaultTo(knex.raw(\"gen_random_uuid()\"))\n    end)\n    knex.schema:raw(\"create index users_email_index on users (email)\")\n  end,\n  down = function(knex) end,\n}\n",
    );
    let before = state(&db);

    let out = p.run(&["migrate:plan"]);
    out.ok().says(&[
        "002_token.lua",
        "migrations/002_token.lua:3",
        "migrations/002_token.lua:6",
        "users ACCESS EXCLUSIVE",
        "users SHARE",
        "yes: users",
        "reads, writes",
        "Warnings",
        "is rewritten",
        "a plain index build on `users` holds SHARE",
        "create index concurrently",
        "transaction = false",
        "add the column nullable",
        "nothing was applied",
    ]);
    assert_eq!(state(&db), before, "the plan changed the database");

    let doc = plan_json(&p, &["--warn-size", "1kB"]);
    assert_eq!(doc["migrations"].as_array().map(Vec::len), Some(1));
    let alter = statement(&doc, 0, "alter table \"users\" add column \"token\"");
    assert_eq!(alter["at"], "migrations/002_token.lua:3");
    assert!(
        has_lock(alter, "users", "ACCESS EXCLUSIVE", "measured"),
        "{alter:#}"
    );
    assert_eq!(alter["rewrites"], serde_json::json!(["users"]));
    assert_eq!(alter["blocks"]["reads"], true);
    assert!(alter["locks"][0]["size"]["bytes"]
        .as_i64()
        .is_some_and(|b| b > 8192));
    // The rewrite rebuilt `users_pkey` under SHARE already, so the index
    // build's own SHARE request shows no new row: it is looked up.
    let index = statement(&doc, 0, "create index users_email_index");
    assert_eq!(index["at"], "migrations/002_token.lua:6");
    assert!(has_lock(alter, "users", "SHARE", "measured"), "{alter:#}");
    assert_eq!(
        locks(index),
        vec![(
            "users".to_string(),
            "SHARE".to_string(),
            "looked up".to_string()
        )]
    );
    assert_eq!(index["blocks"]["writes"], true);
    assert_eq!(index["blocks"]["reads"], false);
    let kinds: Vec<&str> = doc["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["kind"].as_str())
        .collect();
    for kind in ["access_exclusive", "rewrite", "blocking_index"] {
        assert!(kinds.contains(&kind), "no {kind} warning in {kinds:?}");
    }
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(state(&db), before, "the plan changed the database");
}

#[test]
fn a_lock_already_held_is_looked_up_and_a_new_mode_is_measured() {
    let db = TestDb::new("plan_hidden");
    let p = with_users(&db);
    p.migration(
        "002_indexes",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"alter table users add column nick text\")\n    knex.schema:raw(\"create index users_nick on users (nick)\")\n    knex.schema:raw(\"alter table users add column age integer\")\n    knex.schema:raw(\"create index users_age on users (age)\")\n  end,\n  down = function(knex) end,\n}\n",
    );
    let doc = plan_json(&p, &[]);
    let first_alter = statement(&doc, 0, "alter table users add column nick");
    assert!(
        has_lock(first_alter, "users", "ACCESS EXCLUSIVE", "measured"),
        "{first_alter:#}"
    );
    assert_eq!(first_alter["rewrites"], serde_json::json!([]));
    // ACCESS EXCLUSIVE held does not hide SHARE: PostgreSQL records each mode.
    let first_index = statement(&doc, 0, "create index users_nick");
    assert!(
        has_lock(first_index, "users", "SHARE", "measured"),
        "{first_index:#}"
    );
    // The same modes again: no new row, so both come from the documented table.
    let second_alter = statement(&doc, 0, "alter table users add column age");
    assert!(
        has_lock(second_alter, "users", "ACCESS EXCLUSIVE", "looked up"),
        "{second_alter:#}"
    );
    let second_index = statement(&doc, 0, "create index users_age");
    assert_eq!(
        locks(second_index),
        vec![(
            "users".to_string(),
            "SHARE".to_string(),
            "looked up".to_string()
        )]
    );
    p.run(&["migrate:plan"]).ok().says(&[
        "users SHARE",
        "looked up",
        "migrations/002_indexes.lua:5",
    ]);
}

#[test]
fn sizes_from_reads_the_other_environments_catalog_only() {
    let db = TestDb::new("plan_sizes");
    let prod = TestDb::new("plan_sizes_prod");
    let p = with_users(&db);
    p.config(&format!(
        "[defaults]\nlock_timeout = \"30s\"\n\n[environments.development]\nconnection = \"{}\"\n\n[environments.production]\nconnection = \"{}\"\n",
        db.url, prod.url
    ));
    let mut client = prod.client();
    client
        .batch_execute(
            "create table users (id serial primary key, email text); \
             insert into users (email) select 'user' || g || '@example.com' from generate_series(1, 20000) g; \
             analyze users",
        )
        .expect("fill the production table");
    let prod_before = pg_dump(&prod.url, &[]);
    let pages: i64 = prod.strings("select relpages::bigint * current_setting('block_size')::bigint from pg_class where relname = 'users'")[0]
        .parse()
        .expect("relpages");
    p.migration(
        "002_flag",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"alter table users add column flag boolean\")\n  end,\n  down = function(knex) end,\n}\n",
    );
    let doc = plan_json(&p, &["--sizes-from", "production", "--warn-size", "100kB"]);
    let alter = statement(&doc, 0, "alter table users");
    let size = &alter["locks"][0]["size"];
    assert_eq!(size["from"], "production", "{alter:#}");
    assert_eq!(size["bytes"].as_i64(), Some(pages));
    assert!(size["rows"].as_i64().is_some_and(|r| r > 15_000), "{size}");
    assert_eq!(doc["sizes_from"], "production");
    assert!(doc["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|w| w["kind"] == "access_exclusive"
            && w["message"]
                .as_str()
                .is_some_and(|m| m.contains("production"))));
    // Nothing read from the table itself, nothing created there.
    assert_eq!(pg_dump(&prod.url, &[]), prod_before);
    p.run(&["migrate:plan", "--sizes-from", "production"])
        .ok()
        .says(&["(production)", "~20000 rows"]);
    p.run(&["migrate:plan", "--sizes-from", "nowhere"])
        .code(2)
        .says(&["--sizes-from `nowhere`"]);
}

#[test]
fn a_failing_migration_names_its_line_and_changes_nothing() {
    let db = TestDb::new("plan_fail");
    let p = Project::new(&db);
    p.migration(
        "001_ok",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"create table a (id integer)\")\n  end,\n  down = function(knex) end,\n}\n",
    );
    p.migration(
        "002_bad",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"alter table a add column b integer\")\n    knex.schema:raw(\"alter table missing add column c integer\")\n  end,\n  down = function(knex) end,\n}\n",
    );
    let before = state(&db);
    p.run(&["migrate:plan"]).code(1).says(&[
        "migrations/002_bad.lua:4",
        "relation \"missing\" does not exist",
        "nothing was applied",
    ]);
    assert_eq!(state(&db), before);
    // Not even the ledger tables it needed were kept.
    assert!(!db.table_exists("knex_migrations") && !db.table_exists("a"));
}

#[test]
fn a_migration_outside_a_transaction_is_listed_as_not_planned() {
    let db = TestDb::new("plan_notx");
    let p = with_users(&db);
    p.migration(
        "002_concurrently",
        "return {\n  config = { transaction = false },\n  up = function(knex)\n    knex.schema:raw('create index concurrently users_email on users (email)')\n  end,\n  down = function(knex) end,\n}\n",
    );
    p.migration(
        "003_index",
        "return {\n  up = function(knex)\n    knex.schema:raw('create index users_id2 on users (id)')\n  end,\n  down = function(knex) end,\n}\n",
    );
    let before = state(&db);
    let doc = plan_json(&p, &[]);
    assert!(doc["migrations"][0]["skipped"]
        .as_str()
        .is_some_and(|s| s.contains("not planned")));
    let index = statement(&doc, 1, "create index users_id2");
    assert!(has_lock(index, "users", "SHARE", "measured"), "{index:#}");
    assert_eq!(state(&db), before);
}

#[test]
fn help_lists_migrate_plan_and_its_options() {
    let p = Project::bare();
    p.run(&["--help"]).ok().says(&["migrate:plan"]);
    p.run(&["migrate:plan", "--help"]).ok().says(&[
        "--sizes-from",
        "--warn-size",
        "10MB",
        "exit code",
    ]);
    p.run(&["migrate:plan", "--warn-size", "lots"])
        .code(2)
        .says(&["not a size"]);
}

#[test]
fn a_foreign_key_locks_both_tables_and_is_advised_not_valid() {
    let db = TestDb::new("plan_fk");
    let p = with_users(&db);
    p.migration(
        "002_posts",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"create table posts (id serial primary key, user_id integer)\")\n  end,\n  down = function(knex) end,\n}\n",
    );
    p.run(&["migrate:latest"]).ok();
    p.migration(
        "003_posts_user",
        "return {\n  up = function(knex)\n    knex.schema:alterTable(\"posts\", function(t)\n      t:integer(\"author_id\"):references(\"users.id\")\n    end)\n  end,\n  down = function(knex) end,\n}\n",
    );
    let before = state(&db);
    let doc = plan_json(&p, &["--warn-size", "0"]);
    let fk = statement(&doc, 0, "alter table \"posts\" add constraint");
    assert_eq!(fk["at"], "migrations/003_posts_user.lua:3");
    assert!(
        has_lock(fk, "users", "SHARE ROW EXCLUSIVE", "measured"),
        "{fk:#}"
    );
    // `posts` holds ACCESS EXCLUSIVE from adding the column; SHARE ROW
    // EXCLUSIVE is another mode, so it shows as a new row.
    assert!(
        has_lock(fk, "posts", "SHARE ROW EXCLUSIVE", "measured"),
        "{fk:#}"
    );
    assert_eq!(fk["blocks"]["writes"], true);
    assert_eq!(fk["blocks"]["reads"], false);
    let advice: Vec<(&str, &str, &str)> = doc["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["kind"] == "validating_constraint")
        .filter_map(|w| {
            Some((
                w["relation"].as_str()?,
                w["at"].as_str()?,
                w["safer"].as_str()?,
            ))
        })
        .collect();
    assert_eq!(advice.len(), 2, "{advice:?}");
    for (relation, at, safer) in advice {
        assert!(relation == "posts" || relation == "users");
        assert_eq!(at, "migrations/003_posts_user.lua:3");
        assert!(safer.contains("NOT VALID"), "{safer}");
    }
    assert_eq!(state(&db), before);
}
