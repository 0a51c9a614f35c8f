//! `schema:dump` (issue 13, SPEC §8) against real databases built from the
//! repository's own migrations: byte-stable output, exact diffs for a new
//! migration, `--check`, `[schemas] auto`, and the committed `schemas/`.
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::project::Project;
use common::TestDb;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const FILES: [&str; 4] = ["schema.sql", "types.ts", "zod.ts", "constants.ts"];

/// A project that runs the repository's migrations (and optionally seeds)
/// plus its own `extra/` migrations, with a copy of `lua/constants.lua` it
/// may change.
fn vectra_project(db: &TestDb, seeds: bool, schemas: &str) -> Project {
    let p = Project::new(db);
    let repo = repo();
    let seeds = if seeds {
        format!("seeds = \"{}\"\n", repo.join("seeds").display())
    } else {
        "seeds = \"no-seeds\"\n".to_string()
    };
    p.config(&format!(
        "[defaults]\nmigrations = [\"{}\", \"extra\"]\n{seeds}lua_path = [\"lua\"]\nlock_timeout = \"30s\"\n\n\
         [environments.development]\nconnection = \"{}\"\n{schemas}",
        repo.join("migrations").display(),
        db.url
    ));
    std::fs::create_dir_all(p.path("extra")).expect("create extra/");
    let constants =
        std::fs::read_to_string(repo.join("lua/constants.lua")).expect("read lua/constants.lua");
    p.file("lua/constants.lua", &constants);
    p
}

fn read_dir(dir: &Path) -> BTreeMap<&'static str, String> {
    FILES
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(dir.join(f))
                .unwrap_or_else(|e| panic!("read {}: {e}", dir.join(f).display()));
            (*f, text)
        })
        .collect()
}

/// The lines a change removed (`-`) and added (`+`), in order.
fn changed_lines(old: &str, new: &str) -> Vec<String> {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .filter_map(|c| match c.tag() {
            similar::ChangeTag::Delete => Some(format!("-{}", c.value().trim_end_matches('\n'))),
            similar::ChangeTag::Insert => Some(format!("+{}", c.value().trim_end_matches('\n'))),
            similar::ChangeTag::Equal => None,
        })
        .collect()
}

#[test]
fn two_dumps_are_byte_identical_and_a_dump_after_db_reset_equals_the_one_before() {
    let db = TestDb::new("dump_stable");
    let p = vectra_project(&db, true, "");
    p.run(&["db:setup"]).ok();
    p.run(&["schema:dump", "--out", "a"])
        .ok()
        .says(&["Wrote a/schema.sql", "Wrote 4 of 4 files to a/"]);
    p.run(&["schema:dump", "--out", "b"]).ok();
    let (a, b) = (read_dir(&p.path("a")), read_dir(&p.path("b")));
    assert_eq!(a, b, "two dumps of one database differ");
    // A second dump into the same place writes nothing.
    p.run(&["schema:dump", "--out", "a"])
        .ok()
        .says(&["Unchanged a/types.ts", "a/ is up to date"]);

    p.run(&["db:reset"]).ok();
    p.run(&["schema:dump", "--out", "c"]).ok();
    assert_eq!(a, read_dir(&p.path("c")), "the dump after db:reset differs");

    // Nothing that varies between runs or machines: no OIDs, owners, dates,
    // the ledger tables left out.
    let sql = &a["schema.sql"];
    for absent in [
        "TABLE public.knex_migrations",
        "knex_migrations_id_seq",
        "knex_migrations_lock_index_seq",
        "OWNER",
        "GRANT",
        "2026",
        "vt_dump_stable",
    ] {
        assert!(
            !sql.contains(absent),
            "schema.sql contains {absent:?}:\n{sql}"
        );
    }
    assert!(!a["types.ts"].contains("knex_migrations"));
}

#[test]
fn the_committed_schemas_directory_is_what_the_repository_migrations_produce() {
    let db = TestDb::new("dump_repo");
    let out = common::project::run_command({
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vectra-db"));
        cmd.current_dir(repo())
            .env("NO_COLOR", "1")
            .env_remove("VECTRA_ENV")
            .env_remove("NODE_ENV")
            .args(["--database-url", &db.url, "migrate:latest"]);
        cmd
    });
    out.ok();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vectra-db"));
    cmd.current_dir(repo())
        .env("NO_COLOR", "1")
        .env_remove("VECTRA_ENV")
        .env_remove("NODE_ENV")
        .args(["--database-url", &db.url, "schema:dump", "--check"]);
    common::project::run_command(cmd)
        .ok()
        .says(&["schemas/ is up to date"]);
}

/// Adds a column, an enum value and an index, and the matching constants.
fn add_nickname_and_suspended(p: &Project) {
    p.file(
        "extra/20990101000000_add_nickname.lua",
        r#"-- Purpose: test migration.
local C = require("constants")
return {
  up = function(knex)
    knex.schema:raw("ALTER TYPE ?? ADD VALUE 'suspended'", { C.types.user_status })
    knex.schema:alterTable(C.tables.users, function(t)
      t:string(C.columns.users.nickname, 50):nullable()
      t:index({ C.columns.users.display_name })
    end)
  end,
  down = function(knex) end,
}
"#,
    );
    let constants = p.read("lua/constants.lua").replace(
        "C.values = {}",
        "table.insert(C.enums.user_status, \"suspended\")\nC.columns.users.nickname = \"nickname\"\nC.values = {}",
    );
    p.file("lua/constants.lua", &constants);
}

#[test]
fn a_migration_adding_a_column_an_enum_value_and_an_index_changes_exactly_those_lines() {
    let db = TestDb::new("dump_diff");
    let p = vectra_project(&db, false, "");
    p.run(&["migrate:latest"]).ok();
    p.run(&["schema:dump", "--out", "before"]).ok();
    add_nickname_and_suspended(&p);
    p.run(&["migrate:latest"])
        .ok()
        .says(&["Batch 2 run: 1 migration"]);
    p.run(&["schema:dump", "--out", "after"]).ok();
    let (before, after) = (read_dir(&p.path("before")), read_dir(&p.path("after")));
    let diff = |file: &str| changed_lines(&before[file], &after[file]);

    assert_eq!(
        diff("schema.sql"),
        [
            "-CREATE TYPE public.user_status AS ENUM ('invited', 'active', 'disabled');",
            "+CREATE TYPE public.user_status AS ENUM ('invited', 'active', 'disabled', 'suspended');",
            "+  , nickname character varying(50)",
            "+CREATE INDEX users_display_name_index ON public.users USING btree (display_name);",
        ]
    );
    assert_eq!(
        diff("types.ts"),
        [
            "-export type UserStatus = \"invited\" | \"active\" | \"disabled\";",
            "+export type UserStatus = \"invited\" | \"active\" | \"disabled\" | \"suspended\";",
            "+  nickname: string | null;",
            "+  nickname?: string | null;",
        ]
    );
    assert_eq!(
        diff("zod.ts"),
        [
            "-export const userStatusSchema = z.enum([\"invited\", \"active\", \"disabled\"]);",
            "+export const userStatusSchema = z.enum([\"invited\", \"active\", \"disabled\", \"suspended\"]);",
            "+  nickname: z.string().nullable(),",
            "+  nickname: z.string().nullable().optional(),",
        ]
    );
    assert_eq!(
        diff("constants.ts"),
        [
            "+      nickname: \"nickname\",",
            "-    user_status: [\"invited\", \"active\", \"disabled\"],",
            "+    user_status: [\"invited\", \"active\", \"disabled\", \"suspended\"],",
            "+      suspended: \"suspended\",",
        ]
    );
}

#[test]
fn check_exits_3_with_a_unified_diff_after_a_new_migration_and_0_once_regenerated() {
    let db = TestDb::new("dump_check");
    let p = vectra_project(&db, false, "");
    p.run(&["migrate:latest"]).ok();
    p.run(&["schema:dump"]).ok();
    p.run(&["schema:dump", "--check"])
        .ok()
        .says(&["schemas/ is up to date"]);

    p.file(
        "extra/20990101000000_add_nickname.lua",
        "return {\n  up = function(knex)\n    knex.schema:raw('alter table users add column nickname text')\n  end,\n  down = function(knex) end,\n}\n",
    );
    p.run(&["migrate:latest"]).ok();
    let before = read_dir(&p.path("schemas"));
    let out = p.run(&["schema:dump", "--check"]);
    out.code(3).says(&[
        "--- a/schemas/schema.sql",
        "+++ b/schemas/schema.sql",
        "@@ ",
        "+  , nickname text",
        "--- a/schemas/types.ts",
        "+  nickname: string | null;",
        "schemas/ is out of date (schema.sql, types.ts, zod.ts)",
        "run `vectra-db schema:dump`",
    ]);
    assert!(!out.stdout.contains("constants.ts"), "{out}");
    // --check writes nothing.
    assert_eq!(before, read_dir(&p.path("schemas")));

    let json = p.run(&["--json", "schema:dump", "--check"]);
    json.code(3);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    assert_eq!(doc["up_to_date"], false);
    assert_eq!(doc["exit_code"], 3);
    assert!(doc["diff"]
        .as_str()
        .is_some_and(|d| d.contains("+  , nickname text")));

    p.run(&["schema:dump"]).ok().says(&["Wrote 3 of 4 files"]);
    p.run(&["schema:dump", "--check"]).ok();
}

#[test]
fn auto_regenerates_after_migrate_and_rollback_and_db_setup_but_not_dry_runs() {
    let db = TestDb::new("dump_auto");
    let p = vectra_project(
        &db,
        false,
        "\n[schemas]\ndir = \"generated\"\nauto = true\n",
    );
    p.run(&["migrate:latest", "--dry-run"]).ok();
    assert!(!p.path("generated").exists(), "a dry run regenerated");
    p.run(&["migrate:latest"])
        .ok()
        .says(&["Regenerated generated/ (4 of 4 files changed)"]);
    assert!(p.read("generated/types.ts").contains("locked_until"));
    p.run(&["migrate:rollback"])
        .ok()
        .says(&["Regenerated generated/"]);
    assert!(!p.read("generated/types.ts").contains("locked_until"));
    let out = p.run(&["--json", "db:setup"]);
    out.ok();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(doc["schemas"]["files"][1]["file"], "types.ts");
    assert_eq!(doc["schemas"]["files"][1]["changed"], true);
    assert!(p.read("generated/types.ts").contains("locked_until"));
    p.run(&["schema:dump", "--check"]).ok();
}

#[test]
fn without_auto_the_migrate_verbs_write_nothing() {
    let db = TestDb::new("dump_noauto");
    let p = vectra_project(&db, false, "");
    p.run(&["migrate:latest"]).ok();
    assert!(!p.path("schemas").exists());
}

#[test]
fn a_bad_schemas_key_or_value_is_a_configuration_error() {
    let db = TestDb::new("dump_config");
    let p = vectra_project(&db, false, "\n[schemas]\nautomatic = true\n");
    p.run(&["schema:dump"])
        .code(2)
        .says(&["unknown field `automatic`", "vectra-db.toml"]);
    let p = vectra_project(&db, false, "\n[schemas]\nint8 = \"long\"\n");
    p.run(&["schema:dump"])
        .code(2)
        .says(&["unknown variant `long`", "bigint"]);
}

#[test]
fn type_options_change_types_and_zod_together() {
    let db = TestDb::new("dump_options");
    let p = vectra_project(
        &db,
        false,
        "\n[schemas]\nint8 = \"bigint\"\ntimestamp = \"string\"\njson = \"json\"\n",
    );
    p.run(&["migrate:latest"]).ok();
    p.run(&["schema:dump"]).ok();
    let types = p.read("schemas/types.ts");
    let zod = p.read("schemas/zod.ts");
    assert!(types.contains("export type Json = "), "{types}");
    assert!(
        types.contains("  id: bigint;\n  actor_type: AuditActorType;"),
        "{types}"
    );
    assert!(types.contains("  created_at: string;"), "{types}");
    assert!(types.contains("  metadata: Json;"), "{types}");
    assert!(
        zod.contains("import type { Json } from \"./types\";"),
        "{zod}"
    );
    assert!(zod.contains("  metadata: jsonSchema,"), "{zod}");
    assert!(
        zod.contains("  id: z.bigint(),\n  actor_type: auditActorTypeSchema,"),
        "{zod}"
    );
}

#[test]
fn a_broken_constants_module_fails_the_dump_naming_the_file() {
    let db = TestDb::new("dump_broken");
    let p = vectra_project(&db, false, "");
    p.run(&["migrate:latest"]).ok();
    p.file("lua/constants.lua", "return {\n  tables = { x = \n}\n");
    p.run(&["schema:dump"])
        .code(1)
        .says(&["constants.lua", "failed to load"]);
    assert!(!p.path("schemas").exists());
}

#[test]
fn a_ledger_in_its_own_schema_is_left_out_and_a_protected_environment_never_regenerates() {
    let db = TestDb::new("dump_ledger");
    let p = vectra_project(&db, false, "\n[schemas]\nauto = true\n");
    p.config(
        &p.read("vectra-db.toml")
            .replace(
                "[defaults]\n",
                "[defaults]\nledger_schema = \"ops\"\nledger_table = \"ledger\"\n",
            )
            .replace("\n\n[schemas]", "\nprotected = true\n\n[schemas]"),
    );
    p.run(&["migrate:latest"]).ok();
    assert!(db.table_exists("ops.ledger"));
    assert!(
        !p.path("schemas").exists(),
        "auto wrote in a protected environment"
    );
    p.run(&["schema:dump"]).ok();
    let sql = p.read("schemas/schema.sql");
    assert!(sql.contains("-- The migration ledger (ops.ledger, ops.ledger_lock) is left out."));
    let body: Vec<&str> = sql.lines().filter(|l| !l.starts_with("--")).collect();
    assert!(!body.iter().any(|l| l.contains("ops")), "{sql}");
    assert!(sql.contains("CREATE TABLE public.users ("), "{sql}");
}
