//! Streaming data (issue 14): `knex.batchInsert` fed by a producer function,
//! and `:cursor(n)` loops, on a real PostgreSQL. Speed and memory are
//! measured by `scripts/bench`, never by a test.
mod common;

use common::project::Project;
use common::TestDb;
use vectra_db::lua::{Script, ScriptEnv, ScriptError};

use common::LUA_PRELUDE as PRELUDE;

const ITEMS: &str =
    "create table items (id int primary key, name text not null, score float8, active boolean, n int not null default 0)";

/// A seed script whose body starts on line 3 of `seeds/test.lua`.
fn script(test: &TestDb, body: &str) -> Script {
    let db = test.db().into_shared();
    let prelude = PRELUDE.replace('\n', " ");
    let source = format!("{prelude}\nreturn {{ seed = function(knex)\n{body}\nend }}\n");
    Script::load(
        "seeds/test.lua",
        source.as_bytes(),
        &ScriptEnv::default(),
        db,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `body` inside a transaction, as `seed:run` does.
fn run_in_transaction(test: &TestDb, body: &str) -> Result<(), ScriptError> {
    script(
        test,
        &format!("knex.transaction(function(knex)\n{body}\nend)"),
    )
    .call("seed")
}

fn setup(tag: &str) -> TestDb {
    let test = TestDb::new(tag);
    test.client().batch_execute(ITEMS).expect("create items");
    test
}

const PRODUCER_SEED: &str = r#"-- Purpose: a million rows from a producer.
return {
  seed = function(knex)
    local i = 0
    local n = knex.batchInsert("items", function()
      i = i + 1
      if i > 1000000 then return nil end
      return { id = i, name = "name " .. i, score = i * 0.5, active = (i % 2 == 0) }
    end, 1000):run()
    assert(n == 1000000, "batchInsert returned " .. tostring(n))
  end,
}
"#;

#[test]
fn a_producer_of_a_million_rows_inserts_them_all_inside_the_seed_transaction() {
    let db = setup("producer_million");
    let p = Project::new(&db);
    p.file("seeds/01_items.lua", PRODUCER_SEED);
    // A later seed fails: the batch rolls back, and none of the rows stay.
    p.file(
        "seeds/02_fails.lua",
        "-- Purpose: fails.\nreturn { seed = function(knex)\n  knex.raw('select 1/0'):run()\nend }\n",
    );
    p.run(&["seed:run"]).code(1).says(&["division by zero"]);
    assert_eq!(db.strings("select count(*) from items"), vec!["0"]);

    p.remove("seeds/02_fails.lua");
    p.run(&["seed:run"]).ok();
    assert_eq!(
        db.strings("select count(*), count(distinct id), min(id), max(id) from items")[0],
        "1000000"
    );
    assert_eq!(
        db.strings("select concat_ws('|', count(distinct id), min(id), max(id), sum(id::bigint)) from items"),
        vec!["1000000|1|1000000|500000500000"]
    );
    for id in [1, 2, 499_999, 1_000_000] {
        let row = db.strings(&format!(
            "select concat_ws('|', name, score, active, n) from items where id = {id}"
        ));
        let score = f64::from(id) * 0.5;
        assert_eq!(
            row,
            vec![format!(
                "name {id}|{score}|{}|0",
                if id % 2 == 0 { "t" } else { "f" }
            )],
            "row {id}"
        );
    }
    assert_eq!(
        db.strings("select count(*) from items where name <> 'name ' || id or score <> id * 0.5 or active <> (id % 2 = 0)"),
        vec!["0"]
    );
}

#[test]
fn a_producer_batch_shows_its_first_window_and_sends_it_once() {
    let test = setup("producer_tosql");
    run_in_transaction(
        &test,
        r#"
        local i = 0
        local function producer()
          i = i + 1
          if i > 2500 then return nil end
          if i == 2000 then return { id = i, name = knex.raw("'raw ' || ?", { i }) } end
          return { id = i, name = 'n' .. i }
        end
        local b = knex.batchInsert('items', producer, 1000)
        local sql = b:toSQL()
        check(#sql, 1)
        check(sql[1].sql, 'COPY "items" ("id", "name") FROM STDIN')
        check(i, 1000) -- the first window only, kept for :run()
        check(b:run(), 2500)
        check(knex('items'):count('* as n'):first():run().n, 2500)
        check(knex('items'):where('id', 1):first('name'):run().name, 'n1')
        check(knex('items'):where('id', 2000):first('name'):run().name, 'raw 2000')
        -- returning: chunked inserts, every returned row
        local j = 0
        local ids = knex.batchInsert('items', function()
          j = j + 1
          if j <= 30 then return { id = 10000 + j, name = 'r' } end
        end, 7):returning('id'):run()
        check(#ids, 30)
        check(ids[30].id, 10030)
        -- a producer may run queries: each one finishes the COPY under way first
        local k = 0
        check(knex.batchInsert('items', function()
          k = k + 1
          if k > 3000 then return nil end
          if k % 1000 == 0 then
            check(knex('items'):where('id', '>', 20000):count('* as n'):first():run().n, k - 1000) -- the window being produced is not sent yet
          end
          return { id = 20000 + k, name = 'q' }
        end):run(), 3000)
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_failing_producer_batch_names_its_line_and_inserts_nothing() {
    let test = setup("producer_fail");
    let err = run_in_transaction(
        &test,
        "local i = 0\nknex.batchInsert('items', function()\n  i = i + 1\n  if i <= 5000 then return { id = (i == 4000) and 1 or i, name = 'x' } end\nend):run()",
    )
    .unwrap_err();
    assert_eq!(err.location.as_deref(), Some("seeds/test.lua:8"), "{err}");
    assert!(
        err.db
            .as_ref()
            .is_some_and(|d| d.message.contains("duplicate key")),
        "{err}"
    );
    assert_eq!(test.strings("select count(*) from items"), vec!["0"]);
    // A producer that raises: its own line, nothing inserted.
    let err = run_in_transaction(
        &test,
        "local i = 0\nknex.batchInsert('items', function()\n  i = i + 1\n  if i == 1500 then error('no more') end\n  return { id = i, name = 'x' }\nend):run()",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("seeds/test.lua:7: no more"),
        "{err}"
    );
    assert_eq!(test.strings("select count(*) from items"), vec!["0"]);
}

#[test]
fn a_cursor_loop_sees_every_row_once_while_it_writes_to_the_same_table() {
    let test = setup("cursor_writes");
    test.client()
        .batch_execute(
            "insert into items (id, name) select g, 'n' || g from generate_series(1, 10000) g",
        )
        .unwrap();
    run_in_transaction(
        &test,
        r#"
        local seen, count, ids = {}, 0, {}
        for row in knex('items'):where('id', '>', 0):orderBy('id'):cursor(700) do
          assert(not seen[row.id], 'row ' .. row.id .. ' seen twice')
          seen[row.id] = true
          count = count + 1
          ids[#ids + 1] = row.id
          if #ids == 500 then
            knex('items'):whereIn('id', ids):update({ n = knex.raw('n + 1') }):run()
            -- new rows and rows moved past the cursor are not seen again
            knex('items'):insert({ id = 100000 + count, name = 'new' }):run()
            knex('items'):where('id', ids[1]):update({ id = 200000 + count }):run()
            ids = {}
          end
        end
        knex('items'):whereIn('id', ids):update({ n = knex.raw('n + 1') }):run()
        check(count, 10000)
        check(knex('items'):where('n', 1):count('* as n'):first():run().n, 10000)
        -- every row with a cursor of the exact size, and of an empty result
        local n = 0
        for _ in knex('items'):where('name', 'new'):cursor(20) do n = n + 1 end
        check(n, 20)
        for _ in knex('items'):where('id', -1):cursor(5) do error('no rows expected') end
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_cursor_left_unfinished_is_closed_when_the_file_returns() {
    let test = setup("cursor_break");
    test.client()
        .batch_execute(
            "insert into items (id, name) select g, 'n' || g from generate_series(1, 100) g",
        )
        .unwrap();
    let db = test.db().into_shared();
    let source = format!(
        "{}\nreturn {{ seed = function(knex)\nfor row in knex('items'):cursor(10) do break end\nlocal it = knex('items'):cursor(10)\nit()\nend }}\n",
        PRELUDE.replace('\n', " ")
    );
    let script = Script::load(
        "seeds/test.lua",
        source.as_bytes(),
        &ScriptEnv::default(),
        db.clone(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    db.borrow_mut().begin().unwrap();
    script.call("seed").unwrap_or_else(|e| panic!("{e}"));
    let open = db
        .borrow_mut()
        .simple_rows("select count(*) from pg_cursors")
        .unwrap();
    assert_eq!(open, vec![vec![Some("0".to_string())]]);
    db.borrow_mut().commit().unwrap();
}

#[test]
fn cursor_errors_name_the_users_line() {
    let test = setup("cursor_errors");
    // Outside a transaction (a file with `transaction = false`).
    let err = script(&test, "for row in knex('items'):cursor(10) do end")
        .call("seed")
        .unwrap_err();
    assert_eq!(err.location.as_deref(), Some("seeds/test.lua:3"), "{err}");
    assert!(err.to_string().contains("knex.transaction"), "{err}");
    let err = run_in_transaction(&test, "knex('items'):insert({ id = 1 }):cursor(10)").unwrap_err();
    assert_eq!(err.location.as_deref(), Some("seeds/test.lua:4"), "{err}");
    assert!(
        err.to_string().contains("reads the rows of a select"),
        "{err}"
    );
    let err = run_in_transaction(&test, "for r in knex('nope'):cursor(10) do end").unwrap_err();
    assert_eq!(err.location.as_deref(), Some("seeds/test.lua:4"), "{err}");
    assert!(
        err.db.as_ref().is_some_and(|d| d.message.contains("nope")),
        "{err}"
    );
    let err = run_in_transaction(
        &test,
        "for r in knex('items'):select(knex.raw('1 / (id - 3) as x')):orderBy('id'):cursor(2) do\nend",
    );
    assert!(err.is_ok(), "no rows, no division: {err:?}");
    test.client()
        .batch_execute("insert into items (id, name) select g, 'n' from generate_series(1, 5) g")
        .unwrap();
    let err = run_in_transaction(
        &test,
        "local n = 0\nfor r in knex('items'):select(knex.raw('1 / (id - 3) as x')):orderBy('id'):cursor(2) do\n  n = n + 1\nend",
    )
    .unwrap_err();
    assert_eq!(err.location.as_deref(), Some("seeds/test.lua:5"), "{err}");
    assert!(
        err.db
            .as_ref()
            .is_some_and(|d| d.message.contains("division by zero")),
        "{err}"
    );
    // The next FETCH is sent ahead while the loop writes: its failure still
    // names the `for` line, not the write queued behind it.
    let err = run_in_transaction(
        &test,
        "for r in knex('items'):select('id', knex.raw('1 / (id - 3) as x')):orderBy('id'):cursor(2) do\n  knex('items'):where('id', r.id):update({ n = 1 }):run()\nend",
    )
    .unwrap_err();
    assert_eq!(err.location.as_deref(), Some("seeds/test.lua:4"), "{err}");
    assert!(
        err.db
            .as_ref()
            .is_some_and(|d| d.message.contains("division by zero")),
        "{err}"
    );
}
