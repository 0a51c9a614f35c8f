//! `require("vectra")` (SPEC §7.4, issue 12 item 3): known digests, UUID
//! versions, JavaScript number formatting, passwords; a seed using every
//! helper through the CLI; and the LuaLS file and docs page agreeing with the
//! module as registered.
mod common;

use std::collections::BTreeSet;

use common::project::Project;
use common::TestDb;
use mlua::{Lua, Table, Value};

/// A bare state with the module preloaded, as the bridge registers it.
fn lua() -> Lua {
    let lua = Lua::new();
    vectra_db::lua::vectra::register(&lua).expect("register vectra");
    lua
}

/// Runs a Lua chunk that has `vectra` in scope and asserts with `assert`.
#[track_caller]
fn check(code: &str) {
    let lua = lua();
    let chunk = format!("local vectra = require('vectra')\n{code}");
    if let Err(e) = lua.load(&chunk).set_name("=check").exec() {
        panic!("{e}\n--- in ---\n{chunk}");
    }
}

/// Runs `code`, which must fail with an error containing `needle`.
#[track_caller]
fn fails(code: &str, needle: &str) {
    match lua().load(code).exec() {
        Ok(()) => panic!("`{code}` did not fail"),
        Err(e) => assert!(e.to_string().contains(needle), "`{code}`: {e}"),
    }
}

fn eval(code: &str) -> String {
    lua()
        .load(format!("local vectra = require('vectra')\nreturn {code}"))
        .eval::<String>()
        .unwrap_or_else(|e| panic!("{code}: {e}"))
}

#[test]
fn digests_are_lower_case_hex_of_known_values() {
    assert_eq!(
        eval("vectra.sha256('abc')"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        eval("vectra.sha256('')"),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        eval("vectra.sha1('abc')"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        eval("vectra.md5('abc')"),
        "900150983cd24fb0d6963f7d28e17f72"
    );
    // Bytes, not characters: a Lua string may hold any byte.
    assert_eq!(
        eval("vectra.md5('\\0')"),
        "93b885adfe0da089cdf634904fd59f71"
    );
}

#[test]
fn uuids_have_their_version_and_variant() {
    for (f, version) in [("uuid", '4'), ("uuid7", '7')] {
        let u = eval(&format!("vectra.{f}()"));
        assert_eq!(u.len(), 36, "{u}");
        let chars: Vec<char> = u.chars().collect();
        for i in [8, 13, 18, 23] {
            assert_eq!(chars[i], '-', "{u}");
        }
        assert_eq!(chars[14], version, "{f}: {u}");
        assert!("89ab".contains(chars[19]), "{f} variant: {u}");
        assert!(u
            .chars()
            .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
    check("assert(vectra.uuid() ~= vectra.uuid())");
    // v7 starts with the time, so later ones sort after earlier ones.
    check("local a = vectra.uuid7(); local b = vectra.uuid7(); assert(a < b, a .. ' ' .. b)");
}

#[test]
fn number_formats_like_javascript_string() {
    for (lua, js) in [
        ("0.1 + 0.2", "0.30000000000000004"),
        ("1", "1"),
        ("1.0", "1"),
        ("-0.0", "0"),
        ("1.5", "1.5"),
        ("100", "100"),
        ("1e20", "100000000000000000000"),
        ("1e21", "1e+21"),
        ("1.5e300", "1.5e+300"),
        ("1e-6", "0.000001"),
        ("1e-7", "1e-7"),
        ("2^53", "9007199254740992"),
        ("0/0", "NaN"),
        ("1/0", "Infinity"),
        ("-1/0", "-Infinity"),
        // A Lua integer is exact; JavaScript would round it (documented).
        ("math.maxinteger", "9223372036854775807"),
    ] {
        assert_eq!(
            eval(&format!("vectra.number({lua})")),
            js,
            "vectra.number({lua})"
        );
    }
    fails("require('vectra').number('1')", "expects a number");
}

#[test]
fn now_is_iso_8601_utc_with_milliseconds() {
    let now = eval("vectra.now()");
    assert_eq!(now.len(), 24, "{now}");
    let parsed = chrono::DateTime::parse_from_rfc3339(&now).expect("RFC 3339");
    assert_eq!(parsed.offset().local_minus_utc(), 0);
    assert!(now.ends_with('Z') && now.as_bytes()[19] == b'.', "{now}");
    let age = chrono::Utc::now().signed_duration_since(parsed);
    assert!(age.num_seconds().abs() < 60, "{now}");
}

#[test]
fn random_hex_gives_n_bytes_and_refuses_bad_counts() {
    check(
        "local h = vectra.random_hex(16); assert(#h == 32 and h:match('^[0-9a-f]+$'), h)
         assert(vectra.random_hex(16) ~= h)
         assert(vectra.random_hex(0) == '')",
    );
    for n in ["-1", "4096"] {
        let err = lua()
            .load(format!("require('vectra').random_hex({n})"))
            .exec()
            .expect_err(n);
        assert!(
            err.to_string().contains("byte count from 0 to 1024"),
            "{err}"
        );
    }
}

#[test]
fn json_encodes_and_decodes() {
    check(
        r#"
        assert(vectra.json.encode({ a = 1 }) == '{"a":1}')
        assert(vectra.json.encode({ 1, "two", true }) == '[1,"two",true]')
        assert(vectra.json.encode("x\n") == '"x\\n"')
        assert(vectra.json.encode(1.5) == '1.5')
        local v = vectra.json.decode('{"a":[1,2.5,"x"],"b":{"c":false},"n":null}')
        assert(v.a[1] == 1 and math.type(v.a[1]) == "integer")
        assert(v.a[2] == 2.5 and v.a[3] == "x" and v.b.c == false and v.n == nil)
        -- Round trip.
        local s = '{"k":[1,{"z":"y"}]}'
        assert(vectra.json.encode(vectra.json.decode(s)) == s)
        "#,
    );
    fails("require('vectra').json.decode('{nope')", "invalid JSON");
}

#[test]
fn passwords_hash_with_argon2id_and_verify() {
    check(
        r#"
        local h = vectra.hash_password("correct horse")
        assert(h:match("^%$argon2id%$v=19%$"), h)
        assert(vectra.verify_password("correct horse", h) == true)
        assert(vectra.verify_password("wrong horse", h) == false)
        -- A new salt each time.
        assert(vectra.hash_password("correct horse") ~= h)
        "#,
    );
    fails(
        "require('vectra').verify_password('p', 'plain text')",
        "not a PHC string",
    );
}

/// Every function of the module as registered: `sha256`, `json.encode`, ...
fn module_functions() -> BTreeSet<String> {
    let lua = lua();
    let m: Table = lua.load("return require('vectra')").eval().expect("module");
    let mut names = BTreeSet::new();
    collect(&m, "", &mut names);
    names
}

fn collect(t: &Table, prefix: &str, names: &mut BTreeSet<String>) {
    for pair in t.pairs::<String, Value>() {
        let (k, v) = pair.expect("string keys");
        match v {
            Value::Function(_) => {
                names.insert(format!("{prefix}{k}"));
            }
            Value::Table(inner) => collect(&inner, &format!("{prefix}{k}."), names),
            other => panic!("unexpected {other:?} at vectra.{prefix}{k}"),
        }
    }
}

#[test]
fn luals_definitions_and_docs_cover_exactly_the_module() {
    let names = module_functions();
    assert!(names.contains("json.encode") && names.contains("hash_password"));
    let root = env!("CARGO_MANIFEST_DIR");
    let types = std::fs::read_to_string(format!("{root}/lua/types/vectra.lua")).expect("types");
    let declared: BTreeSet<String> = types
        .lines()
        .filter_map(|l| l.strip_prefix("function vectra."))
        .filter_map(|l| l.split('(').next())
        .map(str::to_string)
        .collect();
    assert_eq!(declared, names, "lua/types/vectra.lua vs the module");
    let docs = std::fs::read_to_string(format!("{root}/docs/lua-api/vectra.md")).expect("docs");
    for name in &names {
        assert!(
            docs.contains(&format!("`vectra.{name}(")),
            "docs/lua-api/vectra.md does not document `vectra.{name}(`"
        );
    }
}

#[test]
fn a_seed_using_every_helper_runs_through_the_cli() {
    let db = TestDb::new("vectra_seed");
    db.client()
        .batch_execute("create table helpers (name text primary key, value text not null)")
        .expect("create table");
    let p = Project::new(&db);
    p.file("seeds/01_helpers.lua", SEED);
    p.run(&["seed:run"]).ok().says(&["Ran 1 seed file"]);
    let rows = db.strings("select name || '=' || value from helpers order by name");
    let get = |name: &str| {
        rows.iter()
            .find_map(|r| r.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {rows:?}"))
            .to_string()
    };
    assert_eq!(get("json"), r#"{"n":0.30000000000000004}"#);
    assert_eq!(
        get("sha256"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(get("sha1"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(get("md5"), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(get("number"), "0.30000000000000004");
    assert_eq!(get("verified"), "true");
    assert_eq!(get("random_hex").len(), 16);
    assert!(get("hash").starts_with("$argon2id$"));
    // PostgreSQL reads the strings as its own types.
    let typed = db.strings(
        "select (select value::uuid from helpers where name = 'uuid')::text
              || (select value::uuid from helpers where name = 'uuid7')::text
              || (select value::timestamptz from helpers where name = 'now')::text",
    );
    assert_eq!(typed.len(), 1);
}

const SEED: &str = r#"-- Purpose: uses every vectra helper once
local vectra = require("vectra")

return {
  seed = function(knex)
    local decoded = vectra.json.decode(vectra.json.encode({ n = 0.1 + 0.2 }))
    local hash = vectra.hash_password("s3cret")
    local rows = {
      { name = "json", value = vectra.json.encode(decoded) },
      { name = "sha256", value = vectra.sha256("abc") },
      { name = "sha1", value = vectra.sha1("abc") },
      { name = "md5", value = vectra.md5("abc") },
      { name = "uuid", value = vectra.uuid() },
      { name = "uuid7", value = vectra.uuid7() },
      { name = "now", value = vectra.now() },
      { name = "number", value = vectra.number(0.1 + 0.2) },
      { name = "random_hex", value = vectra.random_hex(8) },
      { name = "hash", value = hash },
      { name = "verified", value = tostring(vectra.verify_password("s3cret", hash)) },
    }
    knex("helpers"):insert(rows):onConflict("name"):merge():run()
  end,
}
"#;
