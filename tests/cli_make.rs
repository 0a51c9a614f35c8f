//! `migrate:make`: UTC-stamped file names, templates, `--stub`, and the
//! names it refuses.
mod common;

use common::project::Project;
use common::TestDb;

/// The one file in `migrations/` ending in `_{name}.lua`.
fn made(p: &Project, name: &str) -> String {
    let found: Vec<String> = p
        .migration_files()
        .into_iter()
        .filter(|f| f.ends_with(&format!("_{name}.lua")))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

#[test]
fn make_writes_a_utc_stamped_file_from_the_builtin_template() {
    let p = Project::bare();
    let before = chrono::Utc::now();
    let out = p.run(&["migrate:make", "create_users"]);
    let after = chrono::Utc::now();
    out.ok().says(&["Created Migration:", "_create_users.lua"]);

    let file = made(&p, "create_users");
    let (stamp, rest) = file.split_at(14);
    assert_eq!(rest, "_create_users.lua");
    assert!(stamp.chars().all(|c| c.is_ascii_digit()), "{file}");
    let lo = before.format("%Y%m%d%H%M%S").to_string();
    let hi = after.format("%Y%m%d%H%M%S").to_string();
    assert!(
        lo.as_str() <= stamp && stamp <= hi.as_str(),
        "{stamp} is not the UTC time ({lo}..{hi})"
    );
    assert!(
        out.stdout
            .contains(&p.path(&format!("migrations/{file}")).display().to_string()),
        "the path printed is not the file's; {out}"
    );
    let text = p.read(&format!("migrations/{file}"));
    assert!(text.contains("up = function(knex)"), "{text}");
    assert!(text.contains("down = function(knex)"), "{text}");
}

#[test]
fn a_made_migration_runs_as_it_is() {
    let db = TestDb::new("make_runs");
    let p = Project::new(&db);
    p.file(
        "lua/constants.lua",
        "return { tables = {}, columns = {} }\n",
    );
    p.run(&["migrate:make", "empty_one"]).ok();
    p.run(&["migrate:latest"])
        .ok()
        .says(&["_empty_one.lua", "Batch 1 run: 1 migration"]);
    p.run(&["migrate:rollback"])
        .ok()
        .says(&["rolled back: 1 migration"]);
}

#[test]
fn make_uses_the_project_template_and_stub() {
    let p = Project::bare();
    p.file(
        "lua/templates/migration.lua",
        "-- project template for {{name}}\nreturn { up = function(knex) end, down = function(knex) end }\n",
    );
    p.run(&["migrate:make", "add_posts"]).ok();
    let text = p.read(&format!("migrations/{}", made(&p, "add_posts")));
    assert!(
        text.starts_with("-- project template for add_posts\n"),
        "{text}"
    );

    p.file("stubs/custom.lua", "-- custom stub {{name}}\nreturn {}\n");
    p.run(&["migrate:make", "add_tags", "--stub", "stubs/custom.lua"])
        .ok();
    let text = p.read(&format!("migrations/{}", made(&p, "add_tags")));
    assert!(text.starts_with("-- custom stub add_tags\n"), "{text}");

    let out = p.run(&["migrate:make", "add_more", "--stub", "stubs/nope.lua"]);
    assert!(out.code == 1 || out.code == 2, "{out}");
    out.no_panic().says(&["nope.lua"]);
}

#[test]
fn make_goes_into_the_configured_directory() {
    let p = Project::bare();
    p.config("[defaults]\nmigrations = [\"db/old\", \"db/new\"]\n[environments.development]\nconnection = \"postgres:///x\"\n");
    let out = p.run(&["migrate:make", "into_last"]);
    out.ok();
    let names: Vec<String> = std::fs::read_dir(p.path("db/new"))
        .expect("db/new created")
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].ends_with("_into_last.lua"));
}

#[test]
fn make_refuses_empty_invalid_and_colliding_names() {
    let p = Project::bare();
    p.migration(
        "20240101000000_create_users",
        "return { up = function(knex) end }\n",
    );
    for bad in ["", "  ", "../evil", "with space"] {
        let out = p.run(&["migrate:make", bad]);
        out.code(2);
        assert!(out.stderr.contains("name"), "{bad:?}: {out}");
    }
    let out = p.run(&["migrate:make", "create_users"]);
    out.code(2)
        .says(&["create_users", "20240101000000_create_users.lua"]);
    assert_eq!(
        p.migration_files(),
        vec!["20240101000000_create_users.lua"],
        "a refused make wrote a file"
    );
    // Without a name at all: usage error.
    p.run(&["migrate:make"]).code(2);
}

#[test]
fn two_makes_in_the_same_second_do_not_overwrite() {
    let p = Project::bare();
    p.run(&["migrate:make", "first"]).ok();
    p.run(&["migrate:make", "second"]).ok();
    p.run(&["migrate:make", "third"]).ok();
    assert_eq!(p.migration_files().len(), 3, "{:?}", p.migration_files());
}
