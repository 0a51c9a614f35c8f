//! `seed:run` and `seed:make` through the real binary: name order, one
//! transaction for all seeds, `--specific`, `--dry-run`, the summary lines.
mod common;

use common::project::Project;
use common::TestDb;

fn seeded_project(db: &TestDb) -> Project {
    let p = Project::new(db);
    p.migration(
        "001_t",
        "return {\n  up = function(knex)\n    knex.schema:raw(\"create table t (v text)\")\n  end,\n}\n",
    );
    p.run(&["migrate:latest"]).ok();
    p
}

fn seed(value: &str) -> String {
    format!(
        "return {{\n  seed = function(knex)\n    knex.raw(\"insert into t (v) values (?)\", {{ \"{value}\" }}):run()\n  end,\n}}\n"
    )
}

#[test]
fn seeds_run_in_name_order() {
    let db = TestDb::new("seed_order");
    let p = seeded_project(&db);
    p.file("seeds/02_second.lua", &seed("second"))
        .file("seeds/01_first.lua", &seed("first"))
        .file("seeds/10_last.lua", &seed("last"));
    let out = p.run(&["seed:run"]);
    out.ok().says(&["Ran 3 seed files"]);
    let a = out.stdout.find("01_first.lua").expect("01 listed");
    let b = out.stdout.find("02_second.lua").expect("02 listed");
    let c = out.stdout.find("10_last.lua").expect("10 listed");
    assert!(a < b && b < c, "{out}");
    assert_eq!(
        db.strings("select v from t order by ctid"),
        vec!["first", "second", "last"]
    );

    let out = p.run(&[
        "seed:run",
        "--specific",
        "02_second.lua",
        "--specific",
        "10_last",
    ]);
    out.ok().says(&["Ran 2 seed files"]);
    assert_eq!(db.strings("select count(*) from t"), vec!["5"]);

    let out = p.run(&["seed:run", "--specific", "nope.lua"]);
    out.code(2).says(&["nope.lua", "01_first.lua"]);
}

#[test]
fn seeds_are_all_or_nothing() {
    let db = TestDb::new("seed_atomic");
    let p = seeded_project(&db);
    p.file("seeds/01_ok.lua", &seed("kept?")).file(
        "seeds/02_bad.lua",
        "return {\n  seed = function(knex)\n    knex.raw(\"insert into nope (v) values (?)\", { 1 }):run()\n  end,\n}\n",
    );
    let out = p.run(&["seed:run"]);
    out.code(1).says(&[
        "seeds/02_bad.lua:3",
        "relation \"nope\" does not exist",
        "rolled back",
    ]);
    assert_eq!(db.strings("select count(*) from t"), vec!["0"]);
}

#[test]
fn seed_dry_run_writes_nothing_and_no_seeds_is_a_message() {
    let db = TestDb::new("seed_dry");
    let p = seeded_project(&db);
    let out = p.run(&["seed:run"]);
    out.ok();
    assert_eq!(out.stdout.trim(), "No seed files exist", "{out}");

    p.file("seeds/01_a.lua", &seed("a"));
    let out = p.run(&["seed:run", "--dry-run"]);
    out.ok().says(&["insert into t (v) values ($1)", "'a'"]);
    assert_eq!(db.strings("select count(*) from t"), vec!["0"]);
}

#[test]
fn seed_make_writes_the_named_file_and_refuses_to_overwrite() {
    let p = Project::bare();
    p.run(&["seed:make", "01_roles"])
        .ok()
        .says(&["Created seed file:", "01_roles.lua"]);
    let text = p.read("seeds/01_roles.lua");
    assert!(text.contains("seed = function(knex)"), "{text}");
    p.run(&["seed:make", "01_roles"])
        .code(2)
        .says(&["01_roles.lua", "exists"]);
    p.run(&["seed:make", "users", "--timestamp-filename-prefix"])
        .ok();
    let stamped: Vec<_> = std::fs::read_dir(p.path("seeds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with("_users.lua"))
        .collect();
    assert_eq!(stamped.len(), 1);
    assert_eq!(
        stamped[0].len(),
        "YYYYMMDDHHMMSS_users.lua".len(),
        "{stamped:?}"
    );
    p.run(&["seed:make", ""]).code(2);
}
