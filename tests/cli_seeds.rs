//! `seed:run` and `seed:make` through the real binary (issue 4, items 4 and 7).
mod common;

use common::project::Project;
use common::TestDb;

/// A project with a `log` table that seeds append their names to.
fn seeded_project(db: &TestDb) -> Project {
    db.client()
        .batch_execute("create table log (id serial primary key, seed text not null)")
        .expect("create log table");
    let p = Project::new(db);
    for name in ["01_roles", "02_settings", "03_users"] {
        p.file(
            &format!("seeds/{name}.lua"),
            &format!(
                "return {{\n  seed = function(knex)\n    knex.raw(\"insert into log (seed) values (?)\", {{ \"{name}\" }}):run()\n  end,\n}}\n"
            ),
        );
    }
    p
}

fn log(db: &TestDb) -> Vec<String> {
    db.strings("select seed from log order by id")
}

#[test]
fn seed_run_runs_every_seed_in_name_order() {
    let db = TestDb::new("seeds_all");
    let p = seeded_project(&db);
    p.run(&["seed:run"])
        .ok()
        .says(&["seed 01_roles.lua", "seed 03_users.lua", "Ran 3 seed files"]);
    assert_eq!(log(&db), vec!["01_roles", "02_settings", "03_users"]);
}

/// Enough seeds that their Lua states are made ahead on a thread of their
/// own: every one runs, in order, each with globals of its own (a global
/// one seed sets is not seen by the next).
#[test]
fn many_seeds_run_in_order_each_with_fresh_globals() {
    let db = TestDb::new("seeds_many");
    db.client()
        .batch_execute("create table log (id serial primary key, seed text not null)")
        .expect("create log table");
    let p = Project::new(&db);
    let names: Vec<String> = (0..30).map(|i| format!("{i:02}_seed")).collect();
    for name in &names {
        p.file(
            &format!("seeds/{name}.lua"),
            &format!(
                "return {{\n  seed = function(knex)\n    assert(leaked == nil, \"a global of another seed is visible\")\n    leaked = true\n    knex.raw(\"insert into log (seed) values (?)\", {{ \"{name}\" }}):run()\n  end,\n}}\n"
            ),
        );
    }
    p.run(&["seed:run"]).ok().says(&["Ran 30 seed files"]);
    assert_eq!(log(&db), names);
}

/// A file a seed opens and never closes is complete once the run is over:
/// the run's Lua state is left to the end of the process, not closed (which
/// would have closed the file), and the file is flushed at exit all the same.
#[test]
fn a_file_a_seed_leaves_open_is_written_in_full() {
    let db = TestDb::new("seeds_open_file");
    let p = Project::new(&db);
    let out_file = p.path("export.txt");
    p.file(
        "seeds/01_export.lua",
        &format!(
            "return {{\n  seed = function(knex)\n    local f = assert(io.open({:?}, \"w\"))\n    for i = 1, 1000 do f:write(\"line \", i, \"\\n\") end\n  end,\n}}\n",
            out_file.display().to_string()
        ),
    );
    p.run(&["seed:run"]).ok().says(&["Ran 1 seed file"]);
    let written = std::fs::read_to_string(&out_file).expect("the seed's file");
    assert_eq!(written.lines().count(), 1000, "{written}");
    assert!(written.ends_with("line 1000\n"));
}

#[test]
fn specific_runs_exactly_the_named_seeds_in_name_order() {
    let db = TestDb::new("seeds_specific");
    let p = seeded_project(&db);
    p.run(&["seed:run", "--specific", "02_settings.lua"])
        .ok()
        .says(&["Ran 1 seed file"]);
    assert_eq!(log(&db), vec!["02_settings"]);
    // Two names, given out of order, run in name order; the extension is optional.
    p.run(&[
        "seed:run",
        "--specific",
        "03_users",
        "--specific",
        "01_roles.lua",
    ])
    .ok()
    .says(&["Ran 2 seed files"]);
    assert_eq!(log(&db), vec!["02_settings", "01_roles", "03_users"]);
}

// Issue 12 item 4: a path (what shell completion gives) works as well as a name.
#[test]
fn specific_accepts_a_path_to_the_seed() {
    let db = TestDb::new("seeds_specific_path");
    let p = seeded_project(&db);
    p.run(&["seed:run", "--specific", "seeds/02_settings.lua"])
        .ok()
        .says(&["Ran 1 seed file"]);
    let absolute = p.path("seeds/03_users.lua");
    p.run(&[
        "seed:run",
        "--specific",
        "./seeds/01_roles.lua",
        "--specific",
        absolute.to_str().expect("utf-8 temp path"),
    ])
    .ok()
    .says(&["Ran 2 seed files"]);
    assert_eq!(log(&db), vec!["02_settings", "01_roles", "03_users"]);
    // A path to a file that is not a seed of the project is not taken for its name.
    p.file(
        "elsewhere/01_roles.lua",
        "return { seed = function() end }\n",
    );
    p.run(&["seed:run", "--specific", "elsewhere/01_roles.lua"])
        .code(2)
        .says(&["elsewhere/01_roles.lua", "does not exist"]);
}

#[test]
fn an_unknown_specific_seed_lists_the_available_ones() {
    let db = TestDb::new("seeds_unknown");
    let p = seeded_project(&db);
    p.run(&["seed:run", "--specific", "nope.lua"])
        .code(2)
        .says(&["nope.lua", "01_roles.lua, 02_settings.lua, 03_users.lua"]);
    assert!(log(&db).is_empty());
}

#[test]
fn a_seed_failing_halfway_leaves_no_row_of_the_run_behind() {
    let db = TestDb::new("seeds_fail");
    let p = seeded_project(&db);
    p.file(
        "seeds/02_settings.lua",
        "return {\n  seed = function(knex)\n    knex.raw(\"insert into log (seed) values ('half')\"):run()\n    knex.raw(\"insert into log (seed) values (null)\"):run()\n  end,\n}\n",
    );
    p.run(&["seed:run"]).code(1).says(&[
        "seeds/02_settings.lua:4",
        "insert into log (seed) values (null)",
        "null value in column \"seed\"",
        "rolled back",
    ]);
    assert!(log(&db).is_empty(), "rows left behind: {:?}", log(&db));
}

#[test]
fn no_seed_files_is_said_plainly() {
    let db = TestDb::new("seeds_none");
    let p = Project::new(&db);
    p.run(&["seed:run"]).ok().says(&["No seed files exist"]);
}

#[test]
fn a_seed_without_a_seed_function_stops_before_anything_runs() {
    let db = TestDb::new("seeds_shape");
    let p = seeded_project(&db);
    p.file("seeds/00_bad.lua", "return { sed = function() end }\n");
    p.run(&["seed:run"])
        .code(2)
        .says(&["seeds/00_bad.lua", "`seed` function"]);
    assert!(log(&db).is_empty());
}

#[test]
fn seed_dry_run_writes_nothing_and_prints_the_sql() {
    let db = TestDb::new("seeds_dry");
    let p = seeded_project(&db);
    p.run(&["seed:run", "--dry-run"]).ok().says(&[
        "insert into log (seed) values ($1)",
        "'01_roles'",
        "Dry run",
    ]);
    assert!(log(&db).is_empty());
}

#[test]
fn seed_make_uses_the_template_and_refuses_to_overwrite() {
    let db = TestDb::new("seeds_make");
    let p = Project::new(&db);
    p.file(
        "lua/templates/seed.lua",
        "-- Purpose: {{name}} data\nreturn { seed = function(knex) end }\n",
    );
    p.run(&["seed:make", "widgets"])
        .ok()
        .says(&["seeds/widgets.lua"]);
    assert_eq!(
        p.read("seeds/widgets.lua"),
        "-- Purpose: widgets data\nreturn { seed = function(knex) end }\n"
    );
    p.run(&["seed:make", "widgets"])
        .code(2)
        .says(&["already exists"]);
    p.run(&["seed:make", "--timestamp-filename-prefix", "gadgets"])
        .ok();
    let made: Vec<String> = std::fs::read_dir(p.path("seeds"))
        .expect("seeds dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .filter(|n| n.ends_with("_gadgets.lua"))
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].len(), "YYYYMMDDHHMMSS_gadgets.lua".len());
    p.run(&["seed:run"]).ok().says(&["Ran 2 seed files"]);
}

#[test]
fn a_seed_that_forgets_run_names_the_line_and_inserts_nothing() {
    let db = TestDb::new("seeds_forgot");
    let p = seeded_project(&db);
    p.file(
        "seeds/02_settings.lua",
        "return {\n  seed = function(knex)\n    knex(\"log\"):insert({ seed = \"ran\" }):run()\n    knex(\"log\"):insert({ seed = \"forgotten\" })\n  end,\n}\n",
    );
    p.run(&["seed:run"])
        .code(1)
        .says(&["seeds/02_settings.lua:4", "never run", ":run()"]);
    assert!(log(&db).is_empty(), "rows left behind: {:?}", log(&db));
}
