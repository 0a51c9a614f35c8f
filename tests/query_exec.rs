//! Running queries on a real PostgreSQL through the Lua bridge: what `:run()`
//! returns, forgotten runs, idempotent upserts, injection, transactions,
//! `knex.batchInsert` (COPY and inserts), and the docs covering every method.
mod common;

use vectra_db::lua::{Script, ScriptEnv, ScriptError};

use common::LUA_PRELUDE as PRELUDE;

const USERS: &str = "create table users (id serial primary key, email text unique not null, name text, n int not null default 0, role text default 'member', meta jsonb)";

fn script(test: &common::TestDb, file: &str, body: &str) -> Script {
    let db = test.db().into_shared();
    // The prelude stays on one line so line numbers in `body` are easy to count.
    let prelude = PRELUDE.replace('\n', " ");
    let source = format!("{prelude}\nreturn {{ seed = function(knex)\n{body}\nend }}\n");
    Script::load(file, source.as_bytes(), &ScriptEnv::default(), db)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn run(test: &common::TestDb, body: &str) -> Result<(), ScriptError> {
    script(test, "seeds/test.lua", body).call("seed")
}

fn setup(tag: &str) -> common::TestDb {
    let test = common::TestDb::new(tag);
    test.client().batch_execute(USERS).expect("create users");
    test
}

#[test]
fn run_returns_rows_first_pluck_and_counts() {
    let test = setup("run_results");
    run(
        &test,
        r#"
        local ins = knex('users'):insert({ { email = 'a@x', name = 'A' }, { email = 'b@x', name = 'B' } }):run()
        check(ins, 2)
        local ret = knex('users'):insert({ email = 'c@x', name = 'C' }):returning({ 'id', 'name' }):run()
        check(ret, { { id = 3, name = 'C' } })
        check(knex('users'):insert({ email = 'd@x' }, '*'):run()[1].role, 'member')
        local rows = knex('users'):select('email'):orderBy('id'):run()
        check(rows, { { email = 'a@x' }, { email = 'b@x' }, { email = 'c@x' }, { email = 'd@x' } })
        check(knex('users'):where('email', 'b@x'):first('name'):run(), { name = 'B' })
        check(knex('users'):where('email', 'nobody'):first():run(), nil)
        check(knex('users'):orderBy('id'):pluck('id'):run(), { 1, 2, 3, 4 })
        check(knex('users'):count('* as n'):first():run(), { n = 4 })
        check(knex('users'):count():run(), { { count = 4 } })
        check(knex('users'):where('id', '>', 2):update({ name = 'Z' }):run(), 2)
        check(knex('users'):where('id', 1):increment('n', 5):returning('n'):run(), { { n = 5 } })
        check(knex('users'):where('id', 4):del():run(), 1)
        check(knex('users'):where('id', 3):del():returning('email'):run(), { { email = 'c@x' } })
        check(knex('users'):insert({}):run(), 0)
        check(knex('users'):where('id', 1):columnInfo('email'):run(), { type = 'text', nullable = false })
        local u = knex('users'):as('u')
        check(knex.from(u):count('* as n'):first():run().n, 2)
        -- node-postgres' result shape: rows as the array part, plus rows / rowCount / command.
        local r = knex.raw('select ?::int + ? as s', { 1, 2 }):run()
        check(r.rows, { { s = 3 } })
        check(r[1], { s = 3 })
        check(r.rowCount, 1)
        check(r.command, 'SELECT')
        knex.raw('create table rc (a int)'):run()
        knex.raw('insert into rc values (1), (2), (3)'):run()
        local u = knex.raw('update rc set a = a + ? where a > ?', { 10, 1 }):run()
        check(u.rowCount, 2)
        check(u.command, 'UPDATE')
        check(#u, 0)
        local d = knex.raw('delete from rc where a > ? returning a', { 12 }):run()
        check(d.rowCount, 1)
        check(d.rows, { { a = 13 } })
        check(knex.raw('create table r1 (a int); create table r2 (b int); insert into r1 values (1)'):run(), {})
        check(knex('r1'):pluck('a'):run(), { 1 })
        knex('users'):truncate():run()
        check(knex('users'):count('* as n'):first():run().n, 0)
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn rows_mixing_plain_values_nulls_tables_and_raw_insert_alike() {
    let test = setup("mixed_rows");
    run(
        &test,
        r#"
        check(knex('users'):insert({
          { email = 'p1', name = knex.null, meta = { a = 1 } },
          { email = 'p2', name = knex.null },
          { email = 'p3', name = 'x', n = knex.raw('1 + 1') },
          { email = 'p4', n = 5, role = "it's" },
          { email = 'p5', n = 2.0, name = '\0bin' },
        }):run(), 5)
        check(knex('users'):orderBy('email'):select('email', 'name', 'n', 'role', 'meta'):run(), {
          { email = 'p1', n = 0, role = 'member', meta = { a = 1 } },
          { email = 'p2', n = 0, role = 'member' },
          { email = 'p3', name = 'x', n = 2, role = 'member' },
          { email = 'p4', n = 5, role = "it's" },
          { email = 'p5', name = '\\x0062696e', n = 2, role = 'member' },
        })
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn too_many_values_for_one_statement_is_a_clear_error() {
    let test = setup("too_many");
    let err = run(
        &test,
        "local rows = {}\nfor i = 1, 40000 do rows[i] = { email = 'e' .. i, n = i } end\nknex('users'):insert(rows):run()",
    )
    .unwrap_err();
    assert_eq!(err.location.as_deref(), Some("seeds/test.lua:5"), "{err}");
    let db = err.db.expect("a statement error");
    assert!(db.message.contains("80000 values"), "{db}");
    assert!(db.message.contains("knex.batchInsert"), "{db}");
    assert!(
        db.sql.len() < 200,
        "the error does not repeat the whole statement"
    );
}

#[test]
fn a_forgotten_run_names_its_line_and_inserts_nothing() {
    let test = setup("forgotten");
    let err = run(
        &test,
        "local ok = 1\n  knex('users'):insert({ email = 'x@y' })\nlocal after = 2",
    )
    .unwrap_err();
    // Line 1 is the prelude, 2 `return {`, 3 and 4 the body.
    assert_eq!(err.location.as_deref(), Some("seeds/test.lua:4"), "{err}");
    assert!(err.message.contains("built but never run"), "{err}");
    assert!(err.message.contains(":run()"), "{err}");
    assert_eq!(test.strings("select count(*) from users"), vec!["0"]);
}

#[test]
fn a_query_forgotten_inside_a_transaction_is_caught_too() {
    let test = setup("forgotten_trx");
    let err = run(
        &test,
        "knex.transaction(function(trx)\n  trx('users'):del()\nend)",
    )
    .unwrap_err();
    assert_eq!(err.location.as_deref(), Some("seeds/test.lua:4"), "{err}");
    assert!(err.message.contains("never run"), "{err}");
}

#[test]
fn a_failed_call_leaves_no_stale_pending_query_behind() {
    let test = setup("stale");
    let db = test.db().into_shared();
    let source = b"return {\n up = function(knex) knex('users'):del() error('boom') end,\n down = function(knex) knex('users'):del():run() end }\n";
    let script = Script::load("m/001.lua", source, &ScriptEnv::default(), db).unwrap();
    let err = script.call("up").unwrap_err();
    assert!(err.message.contains("boom"), "{err}");
    script.call("down").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn queries_used_inside_others_count_as_used() {
    let test = setup("used");
    run(
        &test,
        r#"
        local sub = knex('users'):select('id'):where('n', '>', 0)
        local raw = knex.raw('lower(??)', { 'email' })
        local q = knex('users'):whereIn('id', sub):where(raw, 'a@x')
        check(q:run(), {})
        local shown = knex('users'):where('id', 1):toSQL()
        check(shown.sql, 'select * from "users" where "id" = ?')
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn as_subquery_returns_the_sql_of_a_builder() {
    let lua = mlua::Lua::new();
    let knex = vectra_db::lua::knex::create(&lua).unwrap();
    lua.globals().set("knex", knex).unwrap();
    let builder: mlua::Value = lua
        .load("return knex('users'):select('id'):where('active', true)")
        .eval()
        .unwrap();
    let raw = vectra_db::lua::query::as_subquery(&builder).expect("a builder is a subquery");
    assert_eq!(raw.sql, r#"select "id" from "users" where "active" = ?"#);
    assert_eq!(raw.bindings, vec![vectra_db::sql::Value::Bool(true)]);
    let raw = vectra_db::lua::query::as_raw(&builder).expect("as_raw too");
    assert_eq!(raw.sql, r#"select "id" from "users" where "active" = ?"#);
    // Used as a subquery, it is not a forgotten query.
    vectra_db::lua::query::check_forgotten(&lua).unwrap();
}

#[test]
fn an_upsert_seed_is_idempotent() {
    let test = setup("upsert");
    let body = r#"
        knex('users'):insert({
          { email = 'admin@x', name = 'Admin', role = 'admin' },
          { email = 'member@x', name = 'Member' },
        }):onConflict('email'):merge():run()
        knex('users'):insert({ email = 'admin@x', name = 'ignored' }):onConflict('email'):ignore():run()
    "#;
    run(&test, body).unwrap_or_else(|e| panic!("{e}"));
    let first = test.strings("select concat_ws('|', id, email, name, role) from users order by id");
    run(&test, body).unwrap_or_else(|e| panic!("{e}"));
    let second =
        test.strings("select concat_ws('|', id, email, name, role) from users order by email");
    assert_eq!(
        first,
        vec!["1|admin@x|Admin|admin", "2|member@x|Member|member"]
    );
    assert_eq!(
        second, first,
        "running the seed twice must leave the same rows"
    );
}

#[test]
fn hostile_values_and_identifiers_are_stored_and_quoted_literally() {
    let test = setup("injection");
    run(
        &test,
        r#"
        local hostile = { "'; drop table users; --", '"', '\\', '$1', '?', "'; drop table users; --\"$1?\\" }
        for i, h in ipairs(hostile) do
          knex('users'):insert({ email = 'e' .. i, name = h }):run()
          check(knex('users'):where('name', h):first('name'):run(), { name = h })
          check(knex('users'):whereRaw('name = ?', { h }):count('* as n'):first():run().n, 1)
          check(knex.raw('select :v as v', { v = h }):run()[1].v, h)
          -- as identifiers: a table and a column named after the hostile string
          knex.schema:raw('create table ?? (??  text)', { 'tbl' .. h, h })
          knex('tbl' .. h):insert({ [h] = h }):run()
          check(knex('tbl' .. h):select(h):where(h, h):run(), { { [h] = h } })
          check(knex.raw('select ?? from ??', { h, 'tbl' .. h }):run().rows, { { [h] = h } })
        end
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(test.strings("select count(*) from users"), vec!["6"]);
    assert!(test.table_exists("users"));
    assert_eq!(
        test.strings("select count(*) from pg_tables where schemaname = 'public'"),
        vec!["7"]
    );
}

#[test]
fn a_transaction_rolls_back_to_its_savepoint_and_re_raises() {
    let test = setup("transaction");
    let db = test.db().into_shared();
    db.borrow_mut().begin().unwrap();
    let source = format!(
        "{}\nreturn {{ seed = function(knex)\n{}\nend }}\n",
        PRELUDE.replace('\n', " "),
        r#"
        knex('users'):insert({ email = 'outer' }):run()
        local ok, err = pcall(knex.transaction, function(trx)
          trx('users'):insert({ email = 'inner' }):run()
          check(trx('users'):count('* as n'):first():run().n, 2)
          error('boom')
        end)
        assert(not ok and tostring(err):find('boom'), tostring(err))
        check(knex('users'):pluck('email'):run(), { 'outer' })
        local result = knex.transaction(function(trx)
          trx('users'):insert({ email = 'kept' }):run()
          return 42
        end)
        check(result, 42)
        check(knex('users'):orderBy('id'):pluck('email'):run(), { 'outer', 'kept' })
        "#
    );
    let script = Script::load(
        "seeds/trx.lua",
        source.as_bytes(),
        &ScriptEnv::default(),
        db.clone(),
    )
    .unwrap();
    script.call("seed").unwrap_or_else(|e| panic!("{e}"));
    db.borrow_mut().commit().unwrap();
    assert_eq!(
        test.strings("select email from users order by id"),
        vec!["outer", "kept"]
    );
}

#[test]
fn batch_insert_with_copy_gives_the_rows_inserts_would() {
    let test = setup("batch_same");
    run(
        &test,
        r#"
        local rows = {}
        for i = 1, 500 do
          -- every row: email; some rows name = NULL; no row names `role` or `n` (defaults)
          rows[i] = { email = 'u' .. i, name = (i % 3 == 0) and knex.null or ('N\t' .. i .. '\\') }
        end
        check(knex.batchInsert('users', rows, 100):run(), 500)
        -- the same rows through plain inserts, into a twin table
        knex.schema:raw('create table users2 (like users including defaults)')
        for i = 1, 500, 100 do
          local chunk = {}
          for j = i, i + 99 do chunk[#chunk + 1] = rows[j] end
          knex('users2'):insert(chunk):run()
        end
        local a = knex.raw('select email, name, n, role from users order by email'):run()
        local b = knex.raw('select email, name, n, role from users2 order by email'):run()
        check(a, b)
        check(a[1], { email = 'u1', name = 'N\t1\\', n = 0, role = 'member' })
        check(knex('users'):whereNull('name'):count('* as n'):first():run().n, 166)
        -- a key missing from some rows is DEFAULT for those rows, NULL only where asked
        local mixed = {}
        for i = 1, 40 do mixed[i] = { email = 'm' .. i, role = (i > 20) and 'x' or nil } end
        mixed[40].role = knex.null
        check(knex.batchInsert('users', mixed):run(), 40)
        check(knex('users'):where('email', 'm1'):first('role'):run(), { role = 'member' })
        check(knex('users'):where('email', 'm21'):first('role'):run(), { role = 'x' })
        check(knex('users'):where('email', 'm40'):first('role'):run(), {})
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn batch_insert_plans_copy_only_without_returning() {
    let test = setup("batch_plan");
    run(
        &test,
        r#"
        local rows = {}
        for i = 1, 30 do rows[i] = { email = 'p' .. i, meta = { i = i } } end
        local plain = {}
        for i = 1, 30 do plain[i] = { email = 'q' .. i } end
        local copy = knex.batchInsert('users', plain, 10):toSQL()
        check(#copy, 1)
        check(copy[1].sql, 'COPY "users" ("email") FROM STDIN')
        -- Lua tables (JSON or array by column type) and returning go through inserts
        local json = knex.batchInsert('users', rows, 10):toSQL()
        check(#json, 3)
        check(json[1].sql:sub(1, 37), 'insert into "users" ("email", "meta")')
        local ret = knex.batchInsert('users', rows, 7):returning('id'):run()
        check(#ret, 30)
        check(ret[30].id, 30)
        check(knex('users'):where('email', 'p5'):first('meta'):run().meta, { i = 5 })
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_failing_batch_insert_inserts_nothing_and_names_its_line() {
    let test = setup("batch_fail");
    let mut client = test.client();
    client
        .batch_execute("insert into users (email) values ('dup')")
        .unwrap();
    let err = run(
        &test,
        "local rows = {}\nfor i = 1, 100 do rows[i] = { email = (i == 90) and 'dup' or ('r' .. i) } end\nknex.batchInsert('users', rows):run()",
    )
    .unwrap_err();
    assert_eq!(err.location.as_deref(), Some("seeds/test.lua:5"), "{err}");
    let db = err.db.expect("a database error");
    assert!(db.message.contains("duplicate key"), "{db}");
    assert_eq!(test.strings("select count(*) from users"), vec!["1"]);
}

/// A 100,000-row seed in 1,000-row inserts and the same rows through
/// `knex.batchInsert` (COPY) store the same rows. Speed is measured by
/// `scripts/bench`, never by a test.
#[test]
fn a_hundred_thousand_rows_arrive_the_same_through_inserts_and_batch_insert() {
    let test = common::TestDb::new("bulk");
    let table = "(id serial primary key, name text, email text, n int, created_at timestamptz default now())";
    test.client()
        .batch_execute(&format!("create table a {table}; create table b {table}"))
        .unwrap();
    let run = |file: &str, body: &str| {
        let script = script(
            &test,
            file,
            &format!("knex.transaction(function(knex)\n{body}\nend)"),
        );
        script.call("seed").unwrap_or_else(|e| panic!("{e}"));
    };
    run(
        "seeds/chunks.lua",
        r#"
        for chunk = 0, 99 do
          local rows = {}
          for i = 1, 1000 do
            local k = chunk * 1000 + i
            rows[i] = { name = 'user ' .. k, email = 'u' .. k .. '@example.com', n = k }
          end
          knex('a'):insert(rows):run()
        end
        "#,
    );
    run(
        "seeds/batch.lua",
        r#"
        local rows = {}
        for k = 1, 100000 do
          rows[k] = { name = 'user ' .. k, email = 'u' .. k .. '@example.com', n = k }
        end
        knex.batchInsert('b', rows, 1000):run()
        "#,
    );
    for t in ["a", "b"] {
        assert_eq!(
            test.strings(&format!("select count(*) from {t}")),
            vec!["100000"]
        );
        // Defaults were applied to the column no row mentioned.
        assert_eq!(
            test.strings(&format!(
                "select count(*) from {t} where created_at is null"
            )),
            vec!["0"]
        );
    }
    assert_eq!(
        test.strings("select count(*) from (select name, email, n from a except select name, email, n from b) x"),
        vec!["0"]
    );
}
