//! `vectra-db lint` at the library level: the repository's own migrations,
//! seeds and examples are clean; the fixture project under
//! `tests/fixtures/lint/` fails with the right rule, position and message;
//! the `migrate:make`/`seed:make` templates pass once their purpose is filled
//! in; and every Lua file of the repository is valid Lua 5.4.
//!
//! The last test also *runs* every migration and seed against a recording
//! stand-in for `knex` (no database): it catches what a parser cannot, such as
//! a misspelt constant that is nil at run time or a Lua error in `down`.

use std::path::{Path, PathBuf};

use vectra_db::lint::{
    constants_in, lint_directories, lint_project, lint_source, targets_in, Constants, Finding,
    LintTarget, Rule, TargetKind,
};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/lint")
}

fn show(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("  {f}\n"))
        .collect::<String>()
}

/// Every `*.lua` below `dir`, sorted.
fn lua_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "lua"))
        .collect();
    out.sort();
    out
}

fn fixture_findings(name: &str) -> Vec<Finding> {
    let root = fixtures();
    let targets = targets_in(&[root.join("migrations")], &[root.join("seeds")]).expect("list");
    let all = lint_project(&targets, Some(&root.join("lua/constants.lua")));
    all.into_iter().filter(|f| f.file.ends_with(name)).collect()
}

// ---------------------------------------------------------------- the repository

#[test]
fn the_repository_migrations_seeds_and_examples_are_clean() {
    let root = repo();
    let mut targets = targets_in(&[root.join("migrations")], &[root.join("seeds")]).expect("list");
    assert!(
        targets
            .iter()
            .filter(|t| t.kind == TargetKind::Migration)
            .count()
            >= 6,
        "the Vectra schema has its migrations"
    );
    assert!(
        targets
            .iter()
            .filter(|t| t.kind == TargetKind::Seed)
            .count()
            >= 3
    );
    targets.push(LintTarget::module(root.join("lua/constants.lua")));
    let mut findings = lint_project(&targets, Some(&root.join("lua/constants.lua")));
    // The porting examples are a project of their own, with their own constants.
    let examples = root.join("docs/examples");
    let example_targets =
        targets_in(&[examples.join("migrations")], &[examples.join("seeds")]).expect("list");
    assert_eq!(example_targets.len(), 2);
    findings.extend(lint_project(
        &example_targets,
        Some(&examples.join("lua/constants.lua")),
    ));
    assert!(findings.is_empty(), "lint findings:\n{}", show(&findings));
}

#[test]
fn every_lua_file_of_the_repository_is_valid_lua() {
    let root = repo();
    let mut files = Vec::new();
    for dir in ["migrations", "seeds", "lua", "docs/examples"] {
        files.extend(lua_files(&root.join(dir)));
    }
    files.extend(lua_files(&fixtures()));
    assert!(files.len() >= 20, "found {} files", files.len());
    let targets: Vec<LintTarget> = files.into_iter().map(LintTarget::module).collect();
    let findings = lint_project(&targets, None);
    assert!(findings.is_empty(), "invalid Lua:\n{}", show(&findings));
}

#[test]
fn the_constants_define_every_table_the_schema_needs() {
    let c = Constants::load(&repo().join("lua/constants.lua")).expect("constants load");
    for table in [
        "users",
        "roles",
        "user_roles",
        "settings",
        "refresh_tokens",
        "api_keys",
        "audit_log",
    ] {
        let key = c
            .table_key(table)
            .unwrap_or_else(|| panic!("C.tables has {table}"));
        assert!(
            c.columns_key_for_table(table).is_some(),
            "C.columns.{key} exists"
        );
    }
    assert_eq!(c.column_key("users", "email"), Some("email"));
}

// ---------------------------------------------------------------- the fixtures

#[test]
fn clean_fixture_files_have_no_findings() {
    assert_eq!(fixture_findings("20240101000000_clean.lua"), vec![]);
    assert_eq!(fixture_findings("01_clean.lua"), vec![]);
}

#[test]
fn a_literal_table_name_is_reported_with_the_constant_to_use() {
    let f = fixture_findings("20240101000100_literal_table.lua");
    assert_eq!(f.len(), 1, "{}", show(&f));
    assert_eq!(f[0].rule, Rule::LiteralTableName);
    assert_eq!((f[0].line, f[0].column), (8, 29));
    assert_eq!(f[0].message, "use `C.tables.users` instead of \"users\"");
}

#[test]
fn a_literal_column_name_is_reported_with_the_constant_of_its_table() {
    let f = fixture_findings("20240101000200_literal_column.lua");
    assert_eq!(f.len(), 1, "{}", show(&f));
    assert_eq!(f[0].rule, Rule::LiteralColumnName);
    assert_eq!((f[0].line, f[0].column), (10, 9));
    assert_eq!(
        f[0].message,
        "use `C.columns.users.email` instead of \"email\""
    );
}

#[test]
fn a_missing_purpose_comment_is_reported() {
    let f = fixture_findings("20240101000300_no_purpose.lua");
    assert_eq!(f.len(), 1, "{}", show(&f));
    assert_eq!(f[0].rule, Rule::MissingPurpose);
    assert_eq!(f[0].line, 1);
    assert!(
        f[0].message.contains("saying why it exists"),
        "{}",
        f[0].message
    );
}

#[test]
fn a_migration_without_down_is_reported() {
    let f = fixture_findings("20240101000400_no_down.lua");
    assert_eq!(f.len(), 1, "{}", show(&f));
    assert_eq!(f[0].rule, Rule::MissingDown);
    assert_eq!(f[0].line, 7);
    assert!(
        f[0].message.contains("cannot be rolled back"),
        "{}",
        f[0].message
    );
}

#[test]
fn a_misspelt_constant_is_reported_with_a_suggestion() {
    let f = fixture_findings("20240101000500_unknown_constant.lua");
    assert_eq!(f.len(), 1, "{}", show(&f));
    assert_eq!(f[0].rule, Rule::UnknownConstant);
    assert_eq!((f[0].line, f[0].column), (10, 19));
    assert_eq!(
        f[0].message,
        "`COL.users.emial` is not defined in `lua/constants.lua` (it would be nil); \
         did you mean `COL.users.email`?"
    );
}

#[test]
fn literal_row_keys_and_conflict_columns_in_a_seed_are_reported() {
    let f = fixture_findings("02_literal_keys.lua");
    assert_eq!(f.len(), 2, "{}", show(&f));
    assert!(f.iter().all(|f| f.rule == Rule::LiteralColumnName));
    assert_eq!((f[0].line, f[0].column), (9, 11));
    assert_eq!(
        f[0].message,
        "use `[C.columns.roles.name] = …` instead of the literal column name `name = …`"
    );
    assert_eq!((f[1].line, f[1].column), (10, 21));
    assert_eq!(
        f[1].message,
        "use `C.columns.roles.name` instead of \"name\""
    );
}

#[test]
fn an_unfilled_template_purpose_in_a_seed_is_reported() {
    let f = fixture_findings("03_unfilled_purpose.lua");
    assert_eq!(f.len(), 1, "{}", show(&f));
    assert_eq!(f[0].rule, Rule::UnfilledPurpose);
    assert_eq!(f[0].line, 1);
}

#[test]
fn the_whole_fixture_project_fails_and_serializes_for_json_output() {
    let root = fixtures();
    let targets = targets_in(&[root.join("migrations")], &[root.join("seeds")]).expect("list");
    assert_eq!(targets.len(), 9);
    let findings = lint_project(&targets, Some(&root.join("lua/constants.lua")));
    let rules: Vec<Rule> = findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        vec![
            Rule::LiteralTableName,
            Rule::LiteralColumnName,
            Rule::MissingPurpose,
            Rule::MissingDown,
            Rule::UnknownConstant,
            Rule::LiteralColumnName,
            Rule::LiteralColumnName,
            Rule::UnfilledPurpose,
        ],
        "{}",
        show(&findings)
    );
    let json = serde_json::to_value(&findings[0]).expect("serialize");
    assert_eq!(json["rule"], "literal-table-name");
    assert_eq!(json["line"], 8);
    assert_eq!(json["column"], 29);
    assert!(json["file"]
        .as_str()
        .is_some_and(|f| f.ends_with("20240101000100_literal_table.lua")));
    assert_eq!(json["message"], "use `C.tables.users` instead of \"users\"");
}

// ---------------------------------------------------------------- other inputs

#[test]
fn without_constants_literals_are_still_reported() {
    let root = fixtures();
    let targets = vec![LintTarget::migration(
        root.join("migrations/20240101000100_literal_table.lua"),
    )];
    let findings = lint_project(&targets, None);
    assert_eq!(findings.len(), 1, "{}", show(&findings));
    assert_eq!(findings[0].rule, Rule::LiteralTableName);
    assert!(findings[0].message.contains("use a `C.tables` constant"));
}

#[test]
fn a_broken_constants_file_is_reported_and_lint_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let constants = dir.path().join("constants.lua");
    std::fs::write(&constants, "return { tables = ").expect("write");
    let targets = vec![LintTarget::migration(
        fixtures().join("migrations/20240101000400_no_down.lua"),
    )];
    let findings = lint_project(&targets, Some(&constants));
    let rules: Vec<Rule> = findings.iter().map(|f| f.rule).collect();
    assert!(rules.contains(&Rule::ConstantsError), "{}", show(&findings));
    assert!(rules.contains(&Rule::MissingDown), "{}", show(&findings));
}

#[test]
fn syntax_errors_and_unreadable_files_are_findings_not_panics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("20240101_bad.lua");
    std::fs::write(
        &bad,
        "-- Purpose: a broken file for the test\nreturn { up = function(knex) end\n",
    )
    .expect("write");
    let missing = dir.path().join("nope.lua");
    let findings = lint_project(
        &[LintTarget::migration(&bad), LintTarget::seed(&missing)],
        None,
    );
    let rules: Vec<Rule> = findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        vec![Rule::SyntaxError, Rule::UnreadableFile],
        "{}",
        show(&findings)
    );
    assert!(findings[0].message.starts_with("not valid Lua 5.4"));
}

/// The text of the string literal (or `name = …` key) a finding points at.
fn literal_at(src: &str, f: &Finding) -> String {
    let line = src.lines().nth(f.line - 1).unwrap_or_default();
    line[f.column - 1..]
        .chars()
        .skip(1)
        .take_while(|ch| *ch != '"' && *ch != ' ')
        .collect()
}

#[test]
fn query_builder_literals_are_found_in_every_documented_position() {
    let c = Constants::load(&fixtures().join("lua/constants.lua")).expect("constants");
    let src = r#"-- Purpose: exercises the query methods that take names.
return {
  seed = function(knex)
    knex("roles"):select("id", "roles.name as n"):where("name", "x"):orderBy("id", "desc"):run()
    knex(C.tables.users):whereIn("email", { "a" }):returning({ "id" }):pluck("email"):run()
    knex(C.tables.users):join("roles", "users.role_id", "=", "roles.id"):run()
    knex(C.tables.users):update({ email = "x" }):count("* as n"):run()
  end,
}
"#;
    let findings = lint_source("s.lua", src, TargetKind::Seed, &c);
    let literals: Vec<(usize, String)> = findings
        .iter()
        .map(|f| (f.line, literal_at(src, f)))
        .collect();
    let expected: Vec<(usize, &str)> = vec![
        (4, "roles"),
        (4, "id"),
        (4, "roles.name"),
        (4, "name"),
        (4, "id"),
        (5, "email"),
        (5, "id"),
        (5, "email"),
        (6, "roles"),
        (6, "users.role_id"),
        (6, "roles.id"),
        // `email = "x"` is a name key: the finding points at `email`.
        (7, "mail"),
    ];
    let expected: Vec<(usize, String)> = expected
        .into_iter()
        .map(|(l, s)| (l, s.to_string()))
        .collect();
    assert_eq!(literals, expected, "{}", show(&findings));
}

// ---------------------------------------------------------------- templates

fn template_lint(template: &str, kind: TargetKind, fill: Option<&str>) -> Vec<Finding> {
    let root = repo();
    let text = std::fs::read_to_string(root.join("lua/templates").join(template)).expect("read");
    let text = match fill {
        Some(purpose) => {
            let placeholder = text
                .lines()
                .next()
                .expect("template has a first line")
                .to_string();
            assert!(placeholder.contains("TODO"), "placeholder: {placeholder}");
            text.replacen(&placeholder, &format!("-- Purpose: {purpose}"), 1)
        }
        None => text,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(match kind {
        TargetKind::Seed => "04_widgets.lua",
        _ => "20261125120000_create_widgets.lua",
    });
    std::fs::write(&file, text).expect("write");
    lint_project(
        &[LintTarget { path: file, kind }],
        Some(&root.join("lua/constants.lua")),
    )
}

#[test]
fn the_migration_template_passes_once_its_purpose_is_filled_in() {
    let filled = template_lint(
        "migration.lua",
        TargetKind::Migration,
        Some("widgets for the dashboard, which the server now lists per user"),
    );
    assert!(filled.is_empty(), "{}", show(&filled));
    let unfilled = template_lint("migration.lua", TargetKind::Migration, None);
    let rules: Vec<Rule> = unfilled.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec![Rule::UnfilledPurpose], "{}", show(&unfilled));
}

#[test]
fn the_seed_template_passes_once_its_purpose_is_filled_in() {
    let filled = template_lint(
        "seed.lua",
        TargetKind::Seed,
        Some("the two demo widgets every new installation shows"),
    );
    assert!(filled.is_empty(), "{}", show(&filled));
    let unfilled = template_lint("seed.lua", TargetKind::Seed, None);
    let rules: Vec<Rule> = unfilled.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec![Rule::UnfilledPurpose], "{}", show(&unfilled));
}

// ---------------------------------------------------------------- a dry run without a database

/// A stand-in for `knex`: every field is another stand-in, every call records
/// itself, runs function arguments with a fresh stand-in (the table builder),
/// and fails on a nil argument (a misspelt constant) or a nil row key.
const RECORDER: &str = r##"
local calls = {}
local function recorder(path)
  local r = {}
  return setmetatable(r, {
    __index = function(_, key) return recorder(path .. "." .. tostring(key)) end,
    __call = function(_, ...)
      local n = select("#", ...)
      for i = 1, n do
        local a = select(i, ...)
        if a == nil then error(path .. ": argument " .. i .. " is nil", 2) end
        if type(a) == "function" then a(recorder("t")) end
      end
      calls[#calls + 1] = path
      return recorder(path .. "()")
    end,
  })
end
return recorder, calls
"##;

fn run_with_recorder(
    lua_dir: &Path,
    file: &Path,
    function: &str,
    env: &[(&str, &str)],
) -> Result<usize, String> {
    let lua = mlua::Lua::new();
    let setup = || -> mlua::Result<(mlua::Function, mlua::Table)> {
        let package: mlua::Table = lua.globals().get("package")?;
        package.set("path", format!("{}/?.lua", lua_dir.display()))?;
        let fake_env = lua.create_table()?;
        for (k, v) in env {
            fake_env.set(*k, *v)?;
        }
        let os: mlua::Table = lua.globals().get("os")?;
        os.set(
            "getenv",
            lua.create_function(move |_, name: String| fake_env.get::<Option<String>>(name))?,
        )?;
        lua.globals().set(
            "print",
            lua.create_function(|_, _: mlua::MultiValue| Ok(()))?,
        )?;
        lua.load(RECORDER).eval::<(mlua::Function, mlua::Table)>()
    };
    let (recorder, calls) = setup().map_err(|e| e.to_string())?;
    let source = std::fs::read(file).map_err(|e| e.to_string())?;
    let module: mlua::Table = lua
        .load(&source[..])
        .set_name(format!("@{}", file.display()))
        .eval()
        .map_err(|e| e.to_string())?;
    let f: mlua::Function = module.get(function).map_err(|e| e.to_string())?;
    let knex: mlua::Value = recorder.call("knex").map_err(|e| e.to_string())?;
    f.call::<()>(knex).map_err(|e| e.to_string())?;
    Ok(calls.raw_len())
}

#[test]
fn every_migration_and_seed_runs_against_a_recording_knex_without_nil_names() {
    let admin = [
        ("VECTRA_ADMIN_EMAIL", "Admin@Example.com"),
        (
            "VECTRA_ADMIN_PASSWORD_HASH",
            "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        ),
    ];
    let mut checked = 0;
    for project in [repo(), repo().join("docs/examples")] {
        let lua_dir = project.join("lua");
        for file in lua_files(&project.join("migrations")) {
            for function in ["up", "down"] {
                let calls = run_with_recorder(&lua_dir, &file, function, &[])
                    .unwrap_or_else(|e| panic!("{}:{function}: {e}", file.display()));
                assert!(
                    calls > 0,
                    "{}:{function} made no builder call",
                    file.display()
                );
            }
            checked += 1;
        }
        for file in lua_files(&project.join("seeds")) {
            let calls = run_with_recorder(&lua_dir, &file, "seed", &admin)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(calls > 0, "{} made no builder call", file.display());
            checked += 1;
        }
    }
    assert!(checked >= 11, "checked {checked} files");
}

#[test]
fn the_admin_seed_skips_without_an_email_and_refuses_a_plain_password() {
    let lua_dir = repo().join("lua");
    let seed = repo().join("seeds/03_admin_user.lua");
    assert_eq!(run_with_recorder(&lua_dir, &seed, "seed", &[]), Ok(0));
    let err = run_with_recorder(
        &lua_dir,
        &seed,
        "seed",
        &[
            ("VECTRA_ADMIN_EMAIL", "admin@example.com"),
            ("VECTRA_ADMIN_PASSWORD_HASH", "hunter2"),
        ],
    )
    .unwrap_err();
    assert!(err.contains("must be an argon2 or bcrypt hash"), "{err}");
}

// ---------------------------------------------------------------- the porting guide

#[test]
fn the_porting_guide_shows_the_example_files_exactly() {
    let root = repo();
    let guide = std::fs::read_to_string(root.join("docs/porting-from-knex.md")).expect("guide");
    let blocks: Vec<&str> = guide
        .split("```lua\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .collect();
    let files = [
        "docs/examples/migrations/20240315120000_create_projects_and_tasks.lua",
        "docs/examples/seeds/01_demo_project.lua",
    ];
    // Each example file appears whole as one of the guide's Lua blocks (the
    // guide has smaller snippets too).
    for file in files {
        let text = std::fs::read_to_string(root.join(file)).expect("example");
        let first_line = text.lines().next().unwrap_or_default();
        let block = blocks
            .iter()
            .find(|b| b.lines().next() == Some(first_line))
            .unwrap_or_else(|| panic!("the guide has no copy of {file}"));
        assert_eq!(*block, text, "the guide's copy of {file} is out of date");
    }
}

#[test]
fn values_options_raw_sql_and_lua_library_calls_are_not_names() {
    let c = Constants::load(&fixtures().join("lua/constants.lua")).expect("constants");
    let src = r##"-- Purpose: strings that are values, options, SQL or plain Lua, never names.
local C = require("constants")
local T, COL = C.tables, C.columns
return {
  up = function(knex)
    knex.schema:createTable(T.users, function(t)
      t:increments(COL.users.id)
      t:string(COL.users.email, 320):notNullable():defaultTo("nobody@example.com"):unique("users_email_key")
      t:enu(COL.users.role_id, { "a", "b" }, { useNative = true, enumName = "role_kind" })
      t:index({ COL.users.email }, "users_email_idx", { indexType = "hash" })
      t:integer(COL.users.role_id):references(COL.roles.id):inTable(T.roles):onDelete("SET NULL")
    end)
    knex.schema:raw("CREATE INDEX ?? ON ?? (lower(??))", { "ix", T.users, COL.users.email })
    local rows = {}
    table.insert(rows, { [COL.users.email] = ("%s@example.com"):format("x") })
    knex(T.users):insert(rows):run()
    knex(T.users):where(COL.users.email, "like", "%@example.com"):whereIn(COL.users.id, { 1, 2 })
      :update({ [COL.users.email] = string.lower("X@Y") }):run()
    knex.raw("select * from users where email = ?", { "a" }):run()
    local n = select("#", 1, 2)
    print(("%d rows"):format(n), os.date("%Y"))
  end,
  down = function(knex)
    knex.schema:dropTable(T.users)
  end,
}
"##;
    let findings = lint_source("m.lua", src, TargetKind::Migration, &c);
    assert!(findings.is_empty(), "{}", show(&findings));
}

#[test]
fn lint_directories_finds_files_and_constants_like_the_runner() {
    let root = fixtures();
    let findings = lint_directories(
        &[root.join("migrations"), root.join("no-such-dir")],
        &[root.join("seeds")],
        &[root.join("no-such-lua-dir"), root.join("lua")],
    )
    .expect("lint");
    assert_eq!(findings.len(), 8, "{}", show(&findings));
    // With the constants found, the message names the constant.
    assert!(findings
        .iter()
        .any(|f| f.message == "use `C.tables.users` instead of \"users\""));
    assert_eq!(
        constants_in(&[root.join("lua")]),
        Some(root.join("lua/constants.lua"))
    );
    assert_eq!(constants_in(&[root.join("migrations")]), None);

    let clean = lint_directories(
        &[repo().join("migrations")],
        &[repo().join("seeds")],
        &[repo().join("lua")],
    )
    .expect("lint");
    assert!(clean.is_empty(), "{}", show(&clean));
}

// ---------------------------------------------------------------- the catalogue decides

/// Which arguments are names, read from the API catalogue (issue 8).
#[path = "lint/names.rs"]
mod names;

// ---------------------------------------------------------------- qualified names (issue 12)

#[test]
fn qualified_names_from_constants_are_short_and_the_lint_suggests_them() {
    let c = Constants::load(&repo().join("lua/constants.lua")).expect("constants");
    let src = r#"-- Purpose: joins users to their roles by qualified names.
local C = require("constants")
local T, COL = C.tables, C.columns
return {
  seed = function(knex)
    knex(T.users):join(T.user_roles, "user_roles.user_id", "users.id"):run()
    knex(T.users):join(T.user_roles, C.qualified(T.user_roles, COL.user_roles.user_id), C.qualified(T.users, COL.users.id)):run()
    knex(T.users):select(C.qualified(T.users, COL.users.emial)):run()
  end,
}
"#;
    let findings = lint_source("s.lua", src, TargetKind::Seed, &c);
    let lines: Vec<(usize, Rule)> = findings.iter().map(|f| (f.line, f.rule)).collect();
    assert_eq!(
        lines,
        vec![
            (6, Rule::LiteralColumnName),
            (6, Rule::LiteralColumnName),
            (8, Rule::UnknownConstant)
        ],
        "{}",
        show(&findings)
    );
    assert!(
        findings[1]
            .message
            .contains("use `C.qualified(C.tables.users, C.columns.users.id)`"),
        "{}",
        findings[1].message
    );
    // And it evaluates to the qualified name; a nil part is an error at the caller.
    let lua = mlua::Lua::new();
    let dir = repo().join("lua");
    let v: String = lua
        .load(format!(
            "package.path = '{}/?.lua'\nlocal C = require('constants')\nreturn C.qualified(C.tables.users, C.columns.users.id)",
            dir.display()
        ))
        .eval()
        .expect("evaluate");
    assert_eq!(v, "users.id");
    let err = lua
        .load("local C = require('constants')\nreturn C.qualified(C.tables.users, C.columns.users.nope)")
        .eval::<String>()
        .expect_err("nil part");
    assert!(err.to_string().contains("misspelt constant"), "{err}");
}

// ---------------------------------------------------------------- `??` bindings and alias tables (issue 12)

#[test]
fn names_bound_to_identifier_placeholders_and_in_alias_tables_are_found() {
    let c = Constants::load(&fixtures().join("lua/constants.lua")).expect("constants");
    let src = r#"-- Purpose: exercises raw bindings and select aliases.
return {
  seed = function(knex)
    knex.raw("select ?? from ?? where ?? = ?", { "email", "users", "id", "users" }):run()
    knex.raw("create index ?? on ?? (??)", { "users_email_idx", C.tables.users, C.columns.users.email }):run()
    knex.raw("truncate ??", "roles"):run()
    knex(C.tables.users):whereRaw("?? = ?", { "email", "plain value" }):run()
    knex.raw("select '??', ?", { "not a placeholder" }):run()
    knex.schema:raw("drop table if exists ??", { "roles" })
    knex(C.tables.users):select({ n = "email" }):count({ c = "id" }):run()
    knex(C.tables.users):orderBy({ { column = C.columns.users.email, order = "desc" } }):run()
    knex.raw("select ?? from ??", { C.columns.users.email, C.tables.users }):run()
  end,
}
"#;
    let findings = lint_source("s.lua", src, TargetKind::Seed, &c);
    let found: Vec<(usize, Rule, String)> = findings
        .iter()
        .map(|f| (f.line, f.rule, literal_at(src, f)))
        .collect();
    let expected: Vec<(usize, Rule, String)> = [
        (4, Rule::LiteralColumnName, "email"),
        (4, Rule::LiteralTableName, "users"),
        (4, Rule::LiteralColumnName, "id"),
        (6, Rule::LiteralTableName, "roles"),
        (7, Rule::LiteralColumnName, "email"),
        (9, Rule::LiteralTableName, "roles"),
        (10, Rule::LiteralColumnName, "email"),
        (10, Rule::LiteralColumnName, "id"),
    ]
    .into_iter()
    .map(|(l, r, s)| (l, r, s.to_string()))
    .collect();
    assert_eq!(found, expected, "{}", show(&findings));
    assert!(
        findings[0].message.contains("C.columns.users.email"),
        "{}",
        findings[0].message
    );
}
