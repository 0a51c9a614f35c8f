//! A no-op `migrate:latest` loads no Lua (issue 2, item 14): a file that will
//! not run gets no Lua state, so its top-level code never executes.
mod common;

use common::project::Project;
use common::TestDb;

#[test]
fn a_no_op_run_creates_no_lua_state() {
    let db = TestDb::new("noop_nolua");
    let p = Project::new(&db);
    let marker = p.path("loaded.txt");
    for i in 0..50 {
        // Top-level code: runs whenever the file is loaded into a Lua state.
        p.migration(
            &format!("{i:03}_t{i}"),
            &format!(
                "local f = assert(io.open(os.getenv('VECTRA_MARKER'), 'a'))\nf:write('{i}\\n')\nf:close()\n\
                 return {{\n  up = function(knex) knex.schema:raw('create table t{i} (id int)') end,\n  \
                 down = function(knex) knex.schema:raw('drop table t{i}') end,\n}}\n"
            ),
        );
    }
    let marker_env = marker.display().to_string();
    let env = [("VECTRA_MARKER", marker_env.as_str())];
    p.run_env(&["migrate:latest"], &env)
        .ok()
        .says(&["Batch 1 run: 50 migrations"]);
    let loads = std::fs::read_to_string(&marker).expect("marker written by the first run");
    assert_eq!(loads.lines().count(), 50, "each file loaded once: {loads}");

    std::fs::remove_file(&marker).expect("remove marker");
    p.run_env(&["migrate:latest"], &env)
        .ok()
        .says(&["Already up to date"]);
    p.run_env(&["migrate:status", "--check"], &env).ok();
    assert!(
        !marker.exists(),
        "a no-op run loaded Lua: {:?}",
        std::fs::read_to_string(&marker)
    );

    // Rolling back one migration loads exactly that file.
    p.run_env(&["migrate:down"], &env).ok();
    assert_eq!(
        std::fs::read_to_string(&marker).expect("marker").trim(),
        "49"
    );
}
