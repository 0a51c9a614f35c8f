//! The SQL of the Knex idioms real ports needed (issue 11), compared with what
//! Knex 3.3 itself produces: each case is written twice, in JavaScript for
//! Knex (installed from npm, `toSQL()` with the pg client) and in Lua for
//! vectra-db, and the SQL text and bindings must be equal.
mod common;

use std::process::Command;

use mlua::{Lua, Table, Value as LuaValue};
use serde_json::{json, Value as Json};
use vectra_db::lua::{knex, schema};
use vectra_db::sql::Value;

/// (JavaScript for Knex, Lua for vectra-db). Schema cases start with `knex.schema`.
const CASES: &[(&str, &str)] = &[
    // 1. every query method is a knex function
    (
        r#"knex.update({ a: 1 }).table("final_entities as f").where("f.id", 3)"#,
        r#"knex.update({ a = 1 }):table("final_entities as f"):where("f.id", 3)"#,
    ),
    (
        r#"knex.insert([{ a: 1 }, { a: 2 }]).into("t")"#,
        r#"knex.insert({ { a = 1 }, { a = 2 } }):into("t")"#,
    ),
    (
        r#"knex.select("id").from("t")"#,
        r#"knex.select("id"):from("t")"#,
    ),
    (
        r#"knex.del().from("t").where("id", 1)"#,
        r#"knex.del():from("t"):where("id", 1)"#,
    ),
    (
        r#"knex.count({ total: "*" }).from("t")"#,
        r#"knex.count({ total = "*" }):from("t")"#,
    ),
    (
        r#"knex.first("id").from("t")"#,
        r#"knex.first("id"):from("t")"#,
    ),
    (
        r#"knex.distinct("a").from("t")"#,
        r#"knex.distinct("a"):from("t")"#,
    ),
    (
        r#"knex.pluck("id").from("t")"#,
        r#"knex.pluck("id"):from("t")"#,
    ),
    (
        r#"knex.join("b", "a.id", "b.a_id").from("a")"#,
        r#"knex.join("b", "a.id", "b.a_id"):from("a")"#,
    ),
    // 3. `??` bound to a list
    (
        r#"knex.raw("insert into ?? (??) select ?? from ??", ["t", ["id", "name"], ["id", "name"], "s"])"#,
        r#"knex.raw("insert into ?? (??) select ?? from ??", { "t", { "id", "name" }, { "id", "name" }, "s" })"#,
    ),
    // 4. placeholders inside dollar quotes
    (
        r#"knex.raw("create function f() returns bigint as $$ select count(*) from ?? $$ language sql", ["users"])"#,
        r#"knex.raw("create function f() returns bigint as $$ select count(*) from ?? $$ language sql", { "users" })"#,
    ),
    (
        r#"knex.raw("select 'a\\?' as q, ?", [1])"#,
        r#"knex.raw("select 'a\\?' as q, ?", { 1 })"#,
    ),
    // 10. aggregate options
    (
        r#"knex("t").count("id", { as: "total" })"#,
        r#"knex("t"):count("id", { as = "total" })"#,
    ),
    (
        r#"knex("t").sum("n", { as: "s" }).avg("m", { as: "a" })"#,
        r#"knex("t"):sum("n", { as = "s" }):avg("m", { as = "a" })"#,
    ),
    (
        r#"knex("t").countDistinct("id", { as: "n" })"#,
        r#"knex("t"):countDistinct("id", { as = "n" })"#,
    ),
    (
        r#"knex("t").min("a", { as: "lo" }).max("a", { as: "hi" })"#,
        r#"knex("t"):min("a", { as = "lo" }):max("a", { as = "hi" })"#,
    ),
    // 5. the sweep: aliases and the methods added with them
    (
        r#"knex("t").where("a", 1).andWhereBetween("b", [1, 2]).andWhereLike("c", "x%")"#,
        r#"knex("t"):where("a", 1):andWhereBetween("b", { 1, 2 }):andWhereLike("c", "x%")"#,
    ),
    (
        r#"knex("t").whereNotColumn("a", "b").orWhereNotColumn("c", ">", "d").andWhereColumn("e", "f")"#,
        r#"knex("t"):whereNotColumn("a", "b"):orWhereNotColumn("c", ">", "d"):andWhereColumn("e", "f")"#,
    ),
    (
        r#"knex("t").whereNotJsonObject("j", { a: 1 }).orWhereJsonSupersetOf("j", { b: 2 })"#,
        r#"knex("t"):whereNotJsonObject("j", { a = 1 }):orWhereJsonSupersetOf("j", { b = 2 })"#,
    ),
    (
        r#"knex("t").whereJsonNotSubsetOf("j", { a: 1 }).andWhereJsonObject("k", { c: 3 })"#,
        r#"knex("t"):whereJsonNotSubsetOf("j", { a = 1 }):andWhereJsonObject("k", { c = 3 })"#,
    ),
    (
        r#"knex("t").whereJsonPath("j", "$.a", ">", 1).orWhereJsonPath("j", "$.b", "=", 2)"#,
        r#"knex("t"):whereJsonPath("j", "$.a", ">", 1):orWhereJsonPath("j", "$.b", "=", 2)"#,
    ),
    (
        r#"knex("t").groupBy("a").having("a", ">", 1).orHavingNull("b").andHavingBetween("c", [1, 2]).orHavingNotIn("d", [3])"#,
        r#"knex("t"):groupBy("a"):having("a", ">", 1):orHavingNull("b"):andHavingBetween("c", { 1, 2 }):orHavingNotIn("d", { 3 })"#,
    ),
    (
        r#"knex("t").groupBy("a").havingExists(knex("u").select("*")).orHavingNotExists(knex("v").select("*"))"#,
        r#"knex("t"):groupBy("a"):havingExists(knex("u"):select("*")):orHavingNotExists(knex("v"):select("*"))"#,
    ),
    (
        r#"knex("a").join("b", function () { this.on("a.id", "b.id").andOnExists(knex("c").select("*")).orOnNotExists(knex("d").select("*")) })"#,
        r#"knex("a"):join("b", function(j) j:on("a.id", "b.id"):andOnExists(knex("c"):select("*")):orOnNotExists(knex("d"):select("*")) end)"#,
    ),
    (
        r#"knex("a").join("b", function () { this.on("a.id", "b.id").andOnBetween("b.n", [1, 2]).andOnNotIn("b.m", [3]) })"#,
        r#"knex("a"):join("b", function(j) j:on("a.id", "b.id"):andOnBetween("b.n", { 1, 2 }):andOnNotIn("b.m", { 3 }) end)"#,
    ),
    (
        r#"knex.select("*").fromRaw("(select 1 as x) as q")"#,
        r#"knex.select("*"):fromRaw("(select 1 as x) as q")"#,
    ),
    (
        r#"knex("t").where("a", 1).orderBy("b").clear("where")"#,
        r#"knex("t"):where("a", 1):orderBy("b"):clear("where")"#,
    ),
    (
        r#"knex("t").where("a", 1).clone().where("b", 2)"#,
        r#"knex("t"):where("a", 1):clone():where("b", 2)"#,
    ),
    // 9. increments drops unique / notNullable / primary
    (
        r#"knex.schema.createTable("p1", (t) => { t.increments("id").unique().primary().notNullable(); })"#,
        r#"knex.schema:createTable("p1", function(t) t:increments("id"):unique():primary():notNullable() end)"#,
    ),
    (
        r#"knex.schema.createTable("p2", (t) => { t.bigIncrements("id").notNullable().unique(); t.string("s").defaultsTo("x"); t.integer("n").default(3); })"#,
        r#"knex.schema:createTable("p2", function(t) t:bigIncrements("id"):notNullable():unique(); t:string("s"):defaultsTo("x"); t:integer("n"):default(3) end)"#,
    ),
];

/// Knex's `toSQL()` of each case, as `[[{ sql, bindings }, …], …]`.
fn knex_sql() -> Vec<Vec<(String, Json)>> {
    let dir = common::npm::packages("npm-knex-pg", &["knex@3.3.0", "pg@8"]);
    let cases: Vec<&str> = CASES.iter().map(|(js, _)| *js).collect();
    let script = format!(
        r#"const knex = require("knex")({{ client: "pg" }});
const cases = {cases};
const out = cases.map((code) => {{
  const q = eval(code);
  const s = q.toSQL();
  return (Array.isArray(s) ? s : [s]).map((x) => [x.sql, x.bindings]);
}});
console.log(JSON.stringify(out));
"#,
        cases = serde_json::to_string(&cases).expect("json")
    );
    let out = Command::new("node")
        .current_dir(&dir)
        .args(["-e", &script])
        .output()
        .expect("node must be installed to run this test");
    assert!(
        out.status.success(),
        "node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Vec<Vec<(String, Json)>> =
        serde_json::from_slice(&out.stdout).expect("knex output is JSON");
    parsed
}

fn value_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Text(s) => json!(s),
        Value::Bytes(b) => json!({ "type": "Buffer", "data": b }),
        Value::Json(j) => j.clone(),
        Value::Array(items) => Json::Array(items.iter().map(value_json).collect()),
    }
}

/// vectra-db's statements for one Lua case.
fn vectra_sql(code: &str) -> Vec<(String, Json)> {
    let lua = Lua::new();
    schema::install_sink(&lua);
    let k = knex::create(&lua).expect("knex");
    lua.globals().set("knex", k).expect("global");
    if code.starts_with("knex.schema") {
        lua.load(code)
            .exec()
            .unwrap_or_else(|e| panic!("{code}: {e}"));
        return schema::take_statements(&lua)
            .into_iter()
            .map(|s| {
                (
                    s.text,
                    Json::Array(s.bindings.iter().map(value_json).collect()),
                )
            })
            .collect();
    }
    let t: Table = lua
        .load(format!("return ({code}):toSQL()"))
        .eval()
        .unwrap_or_else(|e| panic!("{code}: {e}"));
    let sql: String = t.get("sql").expect("sql");
    let bindings: Table = t.get("bindings").expect("bindings");
    let values = bindings
        .sequence_values::<LuaValue>()
        .map(|v| {
            value_json(&vectra_db::lua::value::to_value(&lua, &v.expect("binding")).expect("value"))
        })
        .collect();
    vec![(sql, Json::Array(values))]
}

#[test]
fn the_ported_idioms_give_knexs_own_sql() {
    let knex = knex_sql();
    assert_eq!(knex.len(), CASES.len());
    let mut differ = Vec::new();
    for ((js, lua), theirs) in CASES.iter().zip(knex) {
        let ours = vectra_sql(lua);
        if ours != theirs {
            differ.push(format!(
                "  js:   {js}\n  knex: {theirs:?}\n  ours: {ours:?}"
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "SQL differs from Knex 3.3:\n{}",
        differ.join("\n\n")
    );
}
