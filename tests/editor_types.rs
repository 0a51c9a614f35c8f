//! Editor support checked in CI (issue 12 item 1): emmylua_check reads the
//! same LuaLS annotations an editor does (lua/types/, the templates'
//! `---@param knex Knex`, `---@nodiscard`, the `---@class` lines of
//! lua/constants.lua). The repository's own Lua files get no diagnostic; a
//! file made by `migrate:make` / `seed:make` with each typical mistake gets
//! exactly one diagnostic per mistake, at its line.
//!
//! The checker is installed by `scripts/lua-checker` (run by `.ci/run`); a
//! missing checker fails these tests rather than skipping them.
mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::project::Project;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn checker() -> PathBuf {
    let path = std::env::var_os("EMMYLUA_CHECK")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/tools/bin/emmylua_check"));
    assert!(
        path.is_file(),
        "the Lua type checker is missing at {}: run `scripts/lua-checker` (installs it once into target/tools)",
        path.display()
    );
    path
}

/// (file name, 1-based line, code) of every warning or error in `workspace`.
fn diagnostics(workspace: &Path, ignore: &str) -> BTreeSet<(String, usize, String)> {
    let mut cmd = Command::new(checker());
    cmd.arg(workspace)
        .args(["--output-format", "json", "--severity", "warn"]);
    if !ignore.is_empty() {
        cmd.args(["--ignore", ignore]);
    }
    let out = cmd.output().expect("run emmylua_check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json_start = stdout.find('[').unwrap_or_else(|| {
        panic!(
            "no JSON from emmylua_check\nstdout: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let files: serde_json::Value = serde_json::Deserializer::from_str(&stdout[json_start..])
        .into_iter()
        .next()
        .expect("one JSON document")
        .expect("valid JSON");
    let mut found = BTreeSet::new();
    for file in files.as_array().expect("an array of files") {
        let name = file["file"].as_str().unwrap_or_default();
        let name = Path::new(name)
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        for d in file["diagnostics"].as_array().into_iter().flatten() {
            let line = d["range"]["start"]["line"].as_u64().expect("line") as usize + 1;
            let code = d["code"].as_str().unwrap_or_default().to_string();
            found.insert((name.clone(), line, format!("{code}: {}", d["message"])));
        }
    }
    found
}

#[test]
fn the_repositorys_migrations_seeds_templates_and_types_get_no_diagnostic() {
    let found = diagnostics(&root(), "target/**,docs/examples/**,tests/fixtures/**");
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_docs_examples_get_no_diagnostic() {
    let found = diagnostics(&root().join("docs/examples"), "");
    assert!(found.is_empty(), "{found:#?}");
}

/// Whole-file Lua examples (a fenced block with a top-level `return {`) of the
/// README and docs/lua-api/ (the porting guide's blocks are the files of
/// docs/examples/, checked above in their own workspace).
#[test]
fn the_whole_file_examples_of_the_docs_get_no_diagnostic() {
    let p = project();
    let mut docs = vec![root().join("README.md")];
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs/lua-api"))
        .expect("docs/lua-api")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    docs.extend(pages);
    let mut written = 0;
    for doc in &docs {
        let text = std::fs::read_to_string(doc).expect("read doc");
        for block in text.split("```lua\n").skip(1) {
            let block = block.split("```").next().unwrap_or_default();
            if block.lines().any(|l| l.starts_with("return {")) {
                written += 1;
                let stem = doc.file_stem().unwrap_or_default().to_string_lossy();
                p.file(&format!("migrations/{written:02}_{stem}.lua"), block);
            }
        }
    }
    assert!(written >= 3, "only {written} whole-file examples found");
    let found = diagnostics(p.root(), "");
    assert!(found.is_empty(), "{found:#?}");
}

/// Lines put into a file made from the template, each with the diagnostic
/// code it must get (`None`: none).
const MIGRATION_BODY: &[(&str, Option<&str>)] = &[
    ("    knex.schema:createTable(T.users, function(t)", None),
    ("      t:strng(COL.users.email)", Some("undefined-field")),
    ("    end)", None),
    ("    knex(T.users):wher(COL.users.id, 1):first():run()", Some("undefined-field")),
    ("    knex(T.users):insert({ [COL.users.email] = \"a@example.com\" })", Some("discard-returns")),
    ("    local name = COL.users.nmae", Some("undefined-field")),
    ("    print(name)", None),
    ("    knex.raw(\"select 1\")", Some("discard-returns")),
    // What is right stays quiet: a grouped where in a callback, a run query.
    ("    knex(T.users):where(function(q) q:where(COL.users.id, 1):orWhere(COL.users.id, 2) end):del():run()", None),
];

const SEED_BODY: &[(&str, Option<&str>)] = &[
    ("    knex(T.roles):where(COL.roles.name, \"x\"):update({ [COL.roles.description] = \"y\" })", Some("discard-returns")),
    ("    local r = knex(T.roles):first(COL.roles.idd):run()", Some("undefined-field")),
    ("    print(r)", None),
    // `require("vectra")` is typed too (lua/types/vectra.lua).
    ("    local vectra = require(\"vectra\")", None),
    ("    print(vectra.sha256(\"x\"), vectra.json.encode({ 1 }))", None),
    ("    print(vectra.uuid8())", Some("undefined-field")),
];

/// A project with this repository's `lua/` and `.luarc.json`.
fn project() -> Project {
    let p = Project::bare();
    p.config("[environments.development]\nconnection = \"postgres:///unused_by_editor_tests\"\n");
    for rel in [
        ".luarc.json",
        "lua/constants.lua",
        "lua/templates/migration.lua",
        "lua/templates/seed.lua",
        "lua/types/knex.lua",
        "lua/types/schema.lua",
        "lua/types/vectra.lua",
    ] {
        let text = std::fs::read_to_string(root().join(rel)).expect(rel);
        p.file(rel, &text);
    }
    p
}

/// Puts `body` after the line `marker` of `rel`; returns the expected diagnostics.
fn fill(
    p: &Project,
    rel: &str,
    marker: &str,
    body: &[(&str, Option<&str>)],
) -> BTreeSet<(String, usize)> {
    let text = p.read(rel);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let at = lines
        .iter()
        .position(|l| l.trim_end() == marker)
        .unwrap_or_else(|| panic!("no `{marker}` in the file made from the template:\n{text}"))
        + 1;
    let mut expected = BTreeSet::new();
    for (i, (line, code)) in body.iter().enumerate() {
        lines.insert(at + i, line.to_string());
        if let Some(code) = code {
            expected.insert((code.to_string(), at + i + 1));
        }
    }
    p.file(rel, &(lines.join("\n") + "\n"));
    expected
}

#[test]
fn a_file_made_from_the_templates_gets_one_diagnostic_per_mistake() {
    let p = project();
    p.run(&["migrate:make", "widgets"]).ok();
    p.run(&["seed:make", "widgets"]).ok();
    let migration = p.migration_files().pop().expect("a migration was made");
    let rel = format!("migrations/{migration}");
    let mut expected: BTreeSet<(String, usize, String)> = BTreeSet::new();
    for (code, line) in fill(&p, &rel, "  up = function(knex)", MIGRATION_BODY) {
        expected.insert((migration.clone(), line, code));
    }
    for (code, line) in fill(
        &p,
        "seeds/widgets.lua",
        "  seed = function(knex)",
        SEED_BODY,
    ) {
        expected.insert(("widgets.lua".to_string(), line, code));
    }
    let found: BTreeSet<(String, usize, String)> = diagnostics(p.root(), "")
        .into_iter()
        .map(|(file, line, message)| {
            let code = message.split(':').next().unwrap_or_default().to_string();
            (file, line, code)
        })
        .collect();
    assert_eq!(
        found,
        expected,
        "\nmigration:\n{}\nseed:\n{}",
        p.read(&rel),
        p.read("seeds/widgets.lua")
    );
}

#[test]
fn without_the_template_annotation_knex_is_untyped() {
    // Why the templates carry `---@param knex Knex`: without it the same
    // mistakes go unreported (the issue's first finding).
    let p = project();
    p.run(&["migrate:make", "widgets"]).ok();
    let migration = p.migration_files().pop().expect("a migration was made");
    let rel = format!("migrations/{migration}");
    p.file(&rel, &p.read(&rel).replace("  ---@param knex Knex\n", ""));
    let expected = fill(&p, &rel, "  up = function(knex)", MIGRATION_BODY);
    let found = diagnostics(p.root(), "");
    assert!(found.len() < expected.len(), "{found:#?}");
}
