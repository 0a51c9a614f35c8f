//! Configuration as the binary resolves it (SPEC §2): discovery upwards,
//! `--config`, paths relative to the file, environment choice, no config at
//! all, timeouts; and the Lua environment a migration runs in (SPEC §6).
mod common;

use common::project::{create_table, Project};
use common::TestDb;

#[test]
fn the_config_is_found_in_a_parent_directory_and_paths_are_relative_to_it() {
    let db = TestDb::new("cfg_parent");
    let p = Project::new(&db);
    p.table_migration("001_a", "a");
    std::fs::create_dir_all(p.path("src/deep/er")).unwrap();
    let mut cmd = p.command(&["migrate:latest"]);
    cmd.current_dir(p.path("src/deep/er"));
    let out = common::project::run_command(cmd);
    out.ok().says(&["001_a.lua", "Batch 1 run: 1 migration"]);
    assert!(db.table_exists("a"));
}

#[test]
fn config_flag_points_at_another_file() {
    let db = TestDb::new("cfg_flag");
    let p = Project::bare();
    p.file(
        "ops/db.toml",
        &format!(
            "[defaults]\nmigrations = \"../schema\"\n[environments.development]\nconnection = \"{}\"\n",
            db.url
        ),
    )
    .file("schema/001_a.lua", &create_table("a"));
    let out = p.run(&["--config", "ops/db.toml", "migrate:latest"]);
    out.ok().says(&["001_a.lua"]);
    assert!(db.table_exists("a"));

    let out = p.run(&["--config", "ops/nope.toml", "migrate:latest"]);
    out.code(2).says(&["nope.toml"]);
}

#[test]
fn the_environment_comes_from_env_then_vectra_env_then_node_env() {
    let db_dev = TestDb::new("cfg_dev");
    let db_test = TestDb::new("cfg_test");
    let db_ci = TestDb::new("cfg_ci");
    let p = Project::bare();
    p.config(&format!(
        "[environments.development]\nconnection = \"{}\"\n[environments.test]\nconnection = \"{}\"\n[environments.ci]\nconnection = \"{}\"\n",
        db_dev.url, db_test.url, db_ci.url
    ))
    .migration("001_a", &create_table("a"));

    p.run_env(&["migrate:latest"], &[("NODE_ENV", "test")]).ok();
    assert!(db_test.table_exists("a") && !db_dev.table_exists("a"));

    p.run_env(
        &["migrate:latest"],
        &[("NODE_ENV", "test"), ("VECTRA_ENV", "ci")],
    )
    .ok();
    assert!(db_ci.table_exists("a") && !db_dev.table_exists("a"));

    p.run_env(
        &["--env", "development", "migrate:latest"],
        &[("VECTRA_ENV", "ci")],
    )
    .ok();
    assert!(db_dev.table_exists("a"));
}

#[test]
fn database_url_overrides_the_config_and_works_without_one() {
    let db = TestDb::new("cfg_url");
    let other = TestDb::new("cfg_url_other");
    let p = Project::new(&other);
    p.table_migration("001_a", "a");
    p.run(&["--database-url", &db.url, "migrate:latest"]).ok();
    assert!(db.table_exists("a") && !other.table_exists("a"));

    // No config file at all: DATABASE_URL, and `migrations/` under the cwd.
    let third = TestDb::new("cfg_url_env");
    let bare = Project::bare();
    bare.migration("001_b", &create_table("b"));
    bare.run_env(&["migrate:latest"], &[("DATABASE_URL", &third.url)])
        .ok()
        .says(&["001_b.lua"]);
    assert!(third.table_exists("b"));

    // Neither: libpq's PG* variables and defaults (local socket, OS user).
    let fourth = TestDb::new("cfg_url_pg");
    bare.run_env(&["migrate:latest"], &[("PGDATABASE", &fourth.name)])
        .ok()
        .says(&["001_b.lua"]);
    assert!(fourth.table_exists("b"));
}

#[test]
fn expanded_variables_fill_the_connection() {
    let db = TestDb::new("cfg_expand");
    let p = Project::bare();
    p.config("[environments.development]\nconnection = \"postgres:///${VECTRA_TEST_DB_NAME}\"\n")
        .migration("001_a", &create_table("a"));
    p.run_env(&["migrate:latest"], &[("VECTRA_TEST_DB_NAME", &db.name)])
        .ok();
    assert!(db.table_exists("a"));
}

#[test]
fn statement_timeout_applies_to_migrations() {
    let db = TestDb::new("cfg_stmt_timeout");
    let p = Project::new(&db);
    p.config(&format!(
        "[defaults]\nstatement_timeout = \"300ms\"\n[environments.development]\nconnection = \"{}\"\n",
        db.url
    ))
    .table_migration("001_a", "a")
    .migration(
        "002_slow",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"select pg_sleep(5)\")\n  end,\n}\n",
    );
    let started = std::time::Instant::now();
    let out = p.run(&["migrate:latest"]);
    out.code(1).says(&[
        "migrations/002_slow.lua:3",
        "statement timeout",
        "rolled back",
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert!(!db.table_exists("a"));
}

#[test]
fn a_custom_ledger_table_and_schema_are_used() {
    let db = TestDb::new("cfg_ledger");
    let p = Project::new(&db);
    p.config(&format!(
        "[defaults]\nledger_table = \"schema_history\"\nledger_schema = \"meta\"\n[environments.development]\nconnection = \"{}\"\n",
        db.url
    ))
    .table_migration("001_a", "a");
    p.run(&["migrate:latest"]).ok();
    assert_eq!(
        db.strings("select name from meta.schema_history"),
        vec!["001_a.lua"]
    );
    assert_eq!(
        db.strings("select is_locked from meta.schema_history_lock"),
        vec!["0"]
    );
    assert!(!db.table_exists("knex_migrations"));
}

#[test]
fn lua_modules_print_and_os_exit() {
    let db = TestDb::new("cfg_lua");
    let p = Project::new(&db);
    p.file(
        "lua/constants.lua",
        "return { tables = { users = \"app_users\" } }\n",
    )
    .migration(
        "001_users",
        "local C = require(\"constants\")\nreturn {\n  up = function(knex)\n    print(\"creating\", C.tables.users)\n    knex.schema:raw(\"create table \" .. C.tables.users .. \" (id integer)\")\n  end,\n}\n",
    );
    let out = p.run(&["migrate:latest"]);
    out.ok().says(&["creating\tapp_users"]);
    assert!(db.table_exists("app_users"));

    let out = p.run(&["-q", "migrate:rollback", "--all"]);
    out.no_panic();

    p.migration(
        "002_exit",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"create table e (id integer)\")\n    os.exit(1)\n  end,\n}\n",
    );
    let out = p.run(&["migrate:latest"]);
    out.code(1).says(&["migrations/002_exit.lua:4", "os.exit"]);
    assert!(!db.table_exists("e"));
}

/// A module is compiled once per run and later files load its bytecode: an
/// error raised in it still names the module's own line, in every file.
#[test]
fn a_module_shared_by_many_files_still_names_its_lines() {
    let db = TestDb::new("cfg_module_lines");
    let p = Project::new(&db);
    p.file(
        "lua/helpers.lua",
        "local M = {}\nfunction M.table_name(n)\n  if n > 2 then\n    error(\"no table number \" .. n)\n  end\n  return \"t\" .. n\nend\nreturn M\n",
    );
    for n in 1..=3 {
        p.migration(
            &format!("00{n}_t{n}"),
            &format!(
                "local H = require(\"helpers\")\nreturn {{\n  up = function(knex)\n    knex.schema:raw(\"create table \" .. H.table_name({n}) .. \" (id integer)\")\n  end,\n}}\n"
            ),
        );
    }
    let out = p.run(&["migrate:latest"]);
    out.code(1)
        .says(&["lua/helpers.lua:4", "no table number 3", "003_t3.lua"]);
    assert!(!db.table_exists("t1"));
    assert!(!db.table_exists("t2"));
}

/// The files of a batch share one Lua state, each with globals of its own:
/// what the first file sets or replaces (a global, a library function, a
/// string method added by a module, a loaded module) is not there for the
/// second, whose own `require` runs the module again.
#[test]
fn files_of_a_batch_see_nothing_the_earlier_ones_changed() {
    let db = TestDb::new("cfg_file_globals");
    let p = Project::new(&db);
    p.file(
        "lua/strings.lua",
        "loads = (loads or 0) + 1\nfunction string.snake(s) return (s:gsub(\"%u\", function(c) return \"_\" .. c:lower() end)) end\nreturn { loads = function() return loads end }\n",
    );
    p.migration(
        "001_first",
        "local S = require(\"strings\")\nreturn {\n  up = function(knex)\n    assert(S.loads() == 1)\n    marker = true\n    table.concat = nil\n    package.loaded.strings.extra = true\n    knex.schema:raw(\"create table \" .. (\"firstTable\"):snake() .. \" (id integer)\")\n  end,\n}\n",
    );
    p.migration(
        "002_second",
        "local S = require(\"strings\")\nreturn {\n  up = function(knex)\n    assert(marker == nil, \"a global of the first file\")\n    assert(table.concat ~= nil, \"the first file's table library\")\n    assert(S.extra == nil and S.loads() == 1, \"the first file's module\")\n    knex.schema:raw(\"create table \" .. (\"secondTable\"):snake() .. \" (id integer)\")\n  end,\n}\n",
    );
    p.run(&["migrate:latest"])
        .ok()
        .says(&["001_first.lua", "002_second.lua"]);
    assert!(db.table_exists("first_table"));
    assert!(db.table_exists("second_table"));
}

/// `migrations` may name glob patterns: a monorepo's `plugins/*/migrations`
/// run with the project's own, in file-name order across all of them.
#[test]
fn migration_directories_may_be_glob_patterns() {
    let db = TestDb::new("cfg_glob");
    let p = Project::new(&db);
    p.config(&format!(
        "[defaults]\nmigrations = [\"migrations\", \"plugins/*/migrations\"]\n\n[environments.development]\nconnection = \"{}\"\n",
        db.url
    ));
    p.table_migration("001_core", "core");
    p.file(
        "plugins/billing/migrations/002_billing.lua",
        &create_table("billing"),
    );
    p.file(
        "plugins/audit/migrations/003_audit.lua",
        &create_table("audit"),
    );
    p.file("plugins/empty/README.md", "no migrations here\n");
    p.run(&["migrate:latest"]).ok().says(&[
        "001_core.lua",
        "002_billing.lua",
        "003_audit.lua",
        "Batch 1 run: 3 migrations",
    ]);
    for t in ["core", "billing", "audit"] {
        assert!(db.table_exists(t), "{t}");
    }
}
