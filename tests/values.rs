//! Values both ways on a real PostgreSQL (SPEC §7.3): every type is inserted
//! from Lua through the query builder, read back, and compared in Lua; hostile
//! strings and extreme integers survive unchanged.
mod common;

use vectra_db::lua::{Script, ScriptEnv};

use common::LUA_PRELUDE as PRELUDE;

/// Runs `body` as the `seed` function of a seed file against a fresh database.
fn seed(tag: &str, body: &str) {
    let test = common::TestDb::new(tag);
    let db = test.db().into_shared();
    let source = format!("{PRELUDE}\nreturn {{ seed = function(knex)\n{body}\nend }}\n");
    let script = Script::load(
        "seeds/values.lua",
        source.as_bytes(),
        &ScriptEnv::default(),
        db,
    )
    .unwrap_or_else(|e| panic!("load: {e}"));
    script.call("seed").unwrap_or_else(|e| panic!("{e}"));
}

/// Creates `t (v TYPE)`, inserts `value`, reads it back and compares it with
/// `want`; then finds the row again with `where("v", value)` when `comparable`.
fn roundtrip(tag: &str, setup: &str, sql_type: &str, value: &str, want: &str, comparable: bool) {
    let find = if comparable {
        format!("check(knex('t'):where('v', {value}):count('* as n'):first():run().n, 1)")
    } else {
        String::new()
    };
    seed(
        tag,
        &format!(
            r#"
            {setup}
            knex.schema:raw('create table t (id serial primary key, v {sql_type})')
            local inserted = knex('t'):insert({{ v = {value} }}):returning('v'):run()
            check(inserted[1].v, {want})
            local row = knex('t'):first('v'):run()
            check(row.v, {want})
            {find}
            "#
        ),
    );
}

macro_rules! roundtrip {
    ($name:ident, $ty:expr, $value:expr, $want:expr) => {
        #[test]
        fn $name() {
            roundtrip(stringify!($name), "", $ty, $value, $want, true);
        }
    };
    ($name:ident, $ty:expr, $value:expr, $want:expr, setup = $setup:expr, comparable = $cmp:expr) => {
        #[test]
        fn $name() {
            roundtrip(stringify!($name), $setup, $ty, $value, $want, $cmp);
        }
    };
}

// Integers (bigint exact, also at both ends of its range).
roundtrip!(smallint, "smallint", "-32768", "-32768");
roundtrip!(integer, "integer", "2147483647", "2147483647");
roundtrip!(
    bigint_max,
    "bigint",
    "math.maxinteger",
    "9223372036854775807"
);
roundtrip!(bigint_min, "bigint", "math.mininteger", "math.mininteger");
roundtrip!(
    bigint_minus_max,
    "bigint",
    "-9223372036854775807",
    "-9223372036854775807"
);
// A string fills an integer column (PostgreSQL parses the text, as with Knex).
roundtrip!(integer_from_string, "integer", "'42'", "42");
// numeric: exact decimal strings, from strings and from Lua numbers.
roundtrip!(
    numeric_exact,
    "numeric",
    "'12345678901234567890.123456789'",
    "'12345678901234567890.123456789'"
);
roundtrip!(numeric_from_number, "numeric(10,2)", "1.5", "'1.50'");
roundtrip!(numeric_negative_small, "numeric", "'-0.0001'", "'-0.0001'");
roundtrip!(real, "real", "1.5", "1.5");
roundtrip!(double_precision, "double precision", "0.1", "0.1");
roundtrip!(boolean, "boolean", "true", "true");
roundtrip!(text, "text", "'hello'", "'hello'");
roundtrip!(varchar, "varchar(20)", "'hi there'", "'hi there'");
roundtrip!(
    uuid,
    "uuid",
    "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'",
    "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"
);
roundtrip!(
    enum_value,
    "mood",
    "'happy'",
    "'happy'",
    setup = "knex.schema:raw(\"create type mood as enum ('happy', 'sad')\")",
    comparable = true
);
roundtrip!(date, "date", "'2024-02-29'", "'2024-02-29'");
roundtrip!(
    timestamp,
    "timestamp",
    "'2024-01-02 03:04:05.123456'",
    "'2024-01-02T03:04:05.123456'"
);
roundtrip!(
    timestamptz_offset,
    "timestamptz",
    "'2024-01-02T03:04:05+02:00'",
    "'2024-01-02T01:04:05Z'"
);
roundtrip!(time, "time", "'13:14:15.5'", "'13:14:15.500'");
// json / jsonb: Lua tables in, Lua tables out.
roundtrip!(
    json_object,
    "json",
    "{ a = 1, b = { 'x', 'y' }, c = { d = true } }",
    "{ a = 1, b = { 'x', 'y' }, c = { d = true } }",
    setup = "",
    comparable = false
);
roundtrip!(
    jsonb_object,
    "jsonb",
    "{ a = 1, s = \"it's \\\"q\\\"\", f = 1.5 }",
    "{ a = 1, s = \"it's \\\"q\\\"\", f = 1.5 }"
);
roundtrip!(jsonb_array, "jsonb", "{ 1, 2, { 3 } }", "{ 1, 2, { 3 } }");
roundtrip!(jsonb_empty_array, "jsonb", "knex.jsonArray({})", "{}");
roundtrip!(jsonb_empty_object, "jsonb", "knex.jsonObject({})", "{}");
roundtrip!(
    jsonb_nested_empty,
    "jsonb",
    "{ list = knex.jsonArray({}), n = knex.null }",
    "{ list = {} }"
);
// Arrays: the same Lua sequence becomes a PostgreSQL array for array columns.
roundtrip!(
    text_array,
    "text[]",
    "{ 'a', 'b,c', '\"q\"', 'back\\\\slash', '' }",
    "{ 'a', 'b,c', '\"q\"', 'back\\\\slash', '' }"
);
roundtrip!(int_array, "int[]", "{ 1, 2, 3 }", "{ 1, 2, 3 }");
roundtrip!(
    int_array_nested,
    "int[][]",
    "{ { 1, 2 }, { 3, 4 } }",
    "{ { 1, 2 }, { 3, 4 } }"
);
roundtrip!(empty_text_array, "text[]", "{}", "{}");
// NULL inside an array is `knex.null` (a nil would end the Lua sequence).
roundtrip!(
    int_array_with_null,
    "int[]",
    "{ 1, knex.null, 3 }",
    "{ 1, knex.null, 3 }"
);
roundtrip!(
    jsonb_array_with_null,
    "jsonb",
    "{ 1, knex.null, 3 }",
    "{ 1, knex.null, 3 }"
);
// bytea: any bytes (NUL included) travel as bytea's hex form.
roundtrip!(
    bytea,
    "bytea",
    "'\\0\\1\\255binary\\0'",
    "'\\0\\1\\255binary\\0'",
    setup = "",
    comparable = true
);
roundtrip!(
    null_value,
    "text",
    "knex.null",
    "nil",
    setup = "",
    comparable = false
);

#[test]
fn jsonb_and_text_array_from_the_same_sequence_in_one_statement() {
    seed(
        "json_and_array",
        r#"
        knex.schema:raw('create table t (tags text[], doc jsonb)')
        local list = { 'a', 'b' }
        knex('t'):insert({ tags = list, doc = list }):run()
        local row = knex('t'):first():run()
        check(row.tags, { 'a', 'b' })
        check(row.doc, { 'a', 'b' })
        check(knex('t'):where('tags', '@>', { 'a' }):count('* as n'):first():run().n, 1)
        check(knex.raw("select pg_typeof(tags)::text as t, jsonb_typeof(doc) as d from t"):run()[1],
          { t = 'text[]', d = 'array' })
        "#,
    );
}

#[test]
fn hostile_strings_survive_unchanged() {
    seed(
        "strings",
        r#"
        knex.schema:raw('create table t (id serial primary key, v text)')
        local controls = {}
        for c = 1, 31 do controls[#controls + 1] = string.char(c) end
        local values = {
          "it's", [["quoted"]], [[back\slash]], [[\\double]], "\\x41", "E'\\n'",
          table.concat(controls), "tab\tnew\nline\rcr", "emoji 😀 🇫🇷 ñ 中文",
          "'; drop table t; --", "$1", "?", "??", ":name", "\\?", "$$", "-- comment", "/* c */",
          string.rep("0123456789abcdef", 65536),
        }
        for _, v in ipairs(values) do knex('t'):insert({ v = v }):run() end
        local rows = knex('t'):orderBy('id'):pluck('v'):run()
        check(#rows, #values)
        for i, v in ipairs(values) do check(rows[i], v) end
        -- and as where values, and through knex.raw
        for _, v in ipairs(values) do
          check(knex('t'):where('v', v):count('* as n'):first():run().n, 1)
          check(knex.raw('select ? as v', { v }):run()[1].v, v)
        end
        check(#rows[#rows], 1024 * 1024)
        "#,
    );
}

#[test]
fn integers_at_the_ends_of_bigint_survive_exactly() {
    seed(
        "bigint_edges",
        r#"
        knex.schema:raw('create table t (v bigint)')
        knex('t'):insert({ { v = math.maxinteger }, { v = -math.maxinteger }, { v = math.mininteger } }):run()
        local got = knex('t'):orderBy('v'):pluck('v'):run()
        check(got, { math.mininteger, -math.maxinteger, math.maxinteger })
        check(knex.raw('select ?::bigint + 0 as v', { math.maxinteger }):run()[1].v, math.maxinteger)
        check(knex('t'):max('v as m'):first():run().m, 9223372036854775807)
        check(knex('t'):where('v', math.maxinteger):count('* as n'):first():run().n, 1)
        -- sum of bigints is numeric in PostgreSQL: an exact string
        check(knex('t'):sum('v as s'):where('v', '>', 0):first():run().s, '9223372036854775807')
        "#,
    );
}

#[test]
fn strings_fill_timestamp_enum_uuid_and_numeric_parameters() {
    seed(
        "inferred_types",
        r#"
        knex.schema:raw("create type kind as enum ('a', 'b')")
        knex.schema:raw('create table t (at timestamptz, k kind, u uuid, n numeric, i int)')
        knex('t'):insert({ at = '2024-05-06 07:08:09Z', k = 'b', u = '00000000-0000-0000-0000-000000000001', n = 3, i = '7' }):run()
        local row = knex('t'):where({ k = 'b', u = '00000000-0000-0000-0000-000000000001' })
          :where('at', '>', '2024-01-01'):where('n', 3):where('i', 7):first():run()
        check(row, { at = '2024-05-06T07:08:09Z', k = 'b', u = '00000000-0000-0000-0000-000000000001', n = '3', i = 7 })
        "#,
    );
}

#[test]
fn a_wrong_value_gets_postgres_own_error() {
    let test = common::TestDb::new("bad_value");
    let db = test.db().into_shared();
    let source = b"return { seed = function(knex)\n knex.schema:raw('create table t (i int)')\n knex('t'):insert({ i = 'abc' }):run()\nend }\n";
    let script = Script::load("seeds/bad.lua", source, &ScriptEnv::default(), db).unwrap();
    let err = script.call("seed").unwrap_err();
    assert_eq!(err.location.as_deref(), Some("seeds/bad.lua:3"), "{err}");
    let db_err = err.db.expect("a database error");
    assert!(
        db_err
            .message
            .contains("invalid input syntax for type integer"),
        "{db_err}"
    );
    assert_eq!(db_err.sql, "insert into \"t\" (\"i\") values ($1)");
}
