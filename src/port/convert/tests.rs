//! Unit tests of the converter on small JavaScript snippets.

use super::super::{port_source, Ported};
use crate::lint::Constants;

fn port(file: &str, js: &str) -> Ported {
    port_source(file, js, &Constants::default()).expect("converts")
}

#[test]
fn await_runs_queries_and_drops_for_schema_calls() {
    let p = port(
        "a.js",
        "exports.up = async (knex) => {\n  await knex.schema.createTable('t', (t) => { t.increments('id'); });\n  await knex('t').insert({ a: 1 });\n};\n",
    );
    assert!(p.todos.is_empty(), "{:?}", p.todos);
    assert!(
        p.lua.contains("knex.schema:createTable(\"t\", function(t)"),
        "{}",
        p.lua
    );
    assert!(
        p.lua.contains("knex(\"t\"):insert({ a = 1 }):run()"),
        "{}",
        p.lua
    );
}

#[test]
fn this_in_a_function_callback_becomes_its_argument() {
    let p = port(
        "a.js",
        "exports.seed = async function (knex) {\n  await knex('t').where(function () { this.where('a', 1).orWhere('b', null); }).del();\n};\n",
    );
    assert!(p.lua.contains("where(function(q)\n"), "{}", p.lua);
    assert!(
        p.lua
            .contains("q:where(\"a\", 1):orWhere(\"b\", knex.null)"),
        "{}",
        p.lua
    );
}

#[test]
fn a_statement_outside_the_subset_is_kept_as_a_todo_at_its_line() {
    let p = port(
        "a.ts",
        "export async function up(knex) {\n  await knex('a').del();\n  const rows = await fetch('http://x');\n  await knex('b').del();\n}\n",
    );
    assert_eq!(p.todos.len(), 1, "{:?}", p.todos);
    assert_eq!(p.todos[0].source_line, 3);
    assert!(p.lua.contains("-- TODO(port): `fetch(…)`"), "{}", p.lua);
    assert!(
        p.lua.contains("-- const rows = await fetch('http://x');"),
        "{}",
        p.lua
    );
    assert!(p.lua.contains("knex(\"b\"):del():run()"), "{}", p.lua);
    let marker = p.lua.lines().nth(p.todos[0].line - 1).unwrap_or_default();
    assert!(
        marker.trim_start().starts_with("-- TODO(port):"),
        "{marker}"
    );
}

#[test]
fn this_inside_an_arrow_belongs_to_the_enclosing_function() {
    let p = port(
        "a.js",
        "exports.seed = async (knex) => {\n  await knex('t').where(function () { [1].forEach(() => { this.orWhere('a', 1); }); }).del();\n};\n",
    );
    assert!(p.todos.is_empty(), "{:?}", p.todos);
    assert!(p.lua.contains("where(function(q)"), "{}", p.lua);
    assert!(p.lua.contains("q:orWhere(\"a\", 1)"), "{}", p.lua);
}

#[test]
fn continue_before_a_final_return_still_loads_as_lua() {
    // `port_source` loads the result with mlua: Ok means valid Lua.
    let p = port(
        "a.js",
        "exports.seed = async (knex) => {\n  const xs = [1, 2];\n  for (const x of xs) {\n    if (x === 1) {\n      continue;\n    }\n    return;\n  }\n  xs.length = 0;\n};\n",
    );
    assert!(p.lua.contains("goto continue"), "{}", p.lua);
    assert!(p.lua.contains("::continue::"), "{}", p.lua);
    assert_eq!(p.todos.len(), 1, "{:?}", p.todos);
    assert!(p.todos[0].reason.contains("assignment"), "{:?}", p.todos);
}

#[test]
fn plus_is_addition_or_concatenation_only_when_known() {
    let p = port(
        "a.js",
        "exports.seed = async (knex) => {\n  const rows = await knex('t');\n  const a = rows.length + 1;\n  const b = 'n=' + a;\n  const c = rows[0].x + rows[1].y;\n};\n",
    );
    assert!(p.lua.contains("local a = #rows + 1"), "{}", p.lua);
    assert!(
        p.lua.contains("local b = \"n=\" .. tostring(a)"),
        "{}",
        p.lua
    );
    assert_eq!(p.todos.len(), 1, "{:?}", p.todos);
    assert_eq!(p.todos[0].source_line, 5);
}

#[test]
fn spreads_merge_and_append_in_javascript_order() {
    let p = port(
        "a.js",
        "const base = { a: 1, b: 1 };\nexports.seed = async (knex) => {\n  await knex('t').insert({ ...base, b: 2 });\n  await knex('t').whereIn('a', [...[1, 2], 3]).del();\n};\n",
    );
    assert!(p.todos.is_empty(), "{:?}", p.todos);
    assert!(
        p.lua.contains("insert(merge(base, { b = 2 }))"),
        "{}",
        p.lua
    );
    assert!(
        p.lua.contains("whereIn(\"a\", append({ 1, 2 }, { 3 }))"),
        "{}",
        p.lua
    );
    let lua = mlua::Lua::new();
    let check = format!(
        "{}\n{}\nlocal m = merge({{ a = 1, b = 1 }}, nil, {{ b = 2 }})\nlocal l = append({{ 1, 2 }}, {{}}, {{ 3 }})\nreturn m.a, m.b, #l, l[3]",
        super::MERGE,
        super::APPEND
    );
    let got: (i64, i64, i64, i64) = lua.load(&check).eval().expect("helpers run");
    assert_eq!(got, (1, 2, 3, 3));
}

#[test]
fn typeof_tests_become_type_calls() {
    let p = port(
        "a.js",
        "exports.seed = async (knex) => {\n  const v = process.env.X;\n  if (typeof v === 'string' && typeof w !== 'undefined') {\n    await knex('t').del();\n  }\n  if (typeof v === 'object') {\n    await knex('t').del();\n  }\n};\n",
    );
    assert!(
        p.lua.contains("if type(v) == \"string\" and w ~= nil then"),
        "{}",
        p.lua
    );
    assert_eq!(p.todos.len(), 1, "{:?}", p.todos);
    assert_eq!(p.todos[0].source_line, 6);
}

#[test]
fn a_switch_without_fallthrough_becomes_an_if_chain() {
    let p = port(
        "a.js",
        "exports.up = async (knex) => {\n  switch (knex.client.config.client) {\n    case 'pg':\n    case 'postgres':\n      await knex.raw('select 1');\n      break;\n    case 'mysql':\n      throw new Error('no');\n    default:\n      await knex.raw('select 2');\n  }\n  switch (1) {\n    case 1:\n      if (true) break;\n      await knex.raw('x');\n      break;\n  }\n};\n",
    );
    assert!(p.lua.contains("local subject = knex.client.config.client\n    if subject == \"pg\" or subject == \"postgres\" then\n      knex.raw(\"select 1\"):run()\n    elseif subject == \"mysql\" then\n      error(\"no\")\n    else\n      knex.raw(\"select 2\"):run()\n    end"), "{}", p.lua);
    assert_eq!(p.todos.len(), 1, "{:?}", p.todos);
    assert!(p.todos[0].reason.contains("falls through"), "{:?}", p.todos);
}

#[test]
fn an_unawaited_builder_is_not_guessed() {
    let p = port(
        "a.js",
        "exports.up = async (knex) => {\n  knex.schema.dropTable('x');\n};\n",
    );
    assert_eq!(p.todos.len(), 1);
    assert!(p.todos[0].reason.contains("not awaited"), "{:?}", p.todos);
}
