//! The catalogue of the Lua API (`vectra_db::api`) is the one list of methods:
//! the bridge answers exactly its methods, the LuaLS definitions declare
//! exactly them, the API reference documents every one, and no other list of
//! method names exists in `src/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use mlua::Lua;
use vectra_db::api::{self, Builder};
use vectra_db::lua::{knex, schema};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn catalogue(b: Builder) -> BTreeSet<&'static str> {
    b.methods().into_iter().map(|m| m.name).collect()
}

/// `function QueryBuilder:where(`, `function knex.raw(` → (table, name).
fn luals_functions() -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in ["lua/types/knex.lua", "lua/types/schema.lua"] {
        let text = std::fs::read_to_string(root().join(file)).expect(file);
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("function ") else {
                continue;
            };
            let Some((head, _)) = rest.split_once('(') else {
                continue;
            };
            let Some((table, name)) = head.split_once([':', '.']) else {
                continue;
            };
            out.entry(table.to_string())
                .or_default()
                .insert(name.to_string());
        }
    }
    out
}

#[test]
fn the_luals_definitions_declare_exactly_the_catalogue() {
    let declared = luals_functions();
    let mut problems = Vec::new();
    for &b in Builder::ALL {
        let class = b.lua_class();
        let have: BTreeSet<&str> = declared
            .get(class)
            .map(|s| s.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let want = catalogue(b);
        for m in want.difference(&have) {
            problems.push(format!("missing from lua/types: {class}:{m}"));
        }
        for m in have.difference(&want) {
            problems.push(format!(
                "declared in lua/types but not in the API: {class}:{m}"
            ));
        }
    }
    let known: BTreeSet<&str> = Builder::ALL.iter().map(|b| b.lua_class()).collect();
    for table in declared.keys() {
        assert!(
            known.contains(table.as_str()),
            "lua/types declares functions on `{table}`, which is no builder"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Which page documents a builder, and how it writes a call on it there.
fn reference(b: Builder) -> (&'static str, Vec<String>) {
    let schema = "docs/lua-api/schema.md";
    let query = "docs/lua-api/query.md";
    let on = |receiver: &str| vec![format!("`{receiver}:NAME(")];
    match b {
        Builder::Schema => (schema, on("knex.schema")),
        Builder::Table => (schema, on("t")),
        Builder::Column => (schema, on("col")),
        Builder::Foreign => (schema, on("fk")),
        Builder::View | Builder::AlterView => (schema, on("v")),
        Builder::ViewColumn => (schema, on("vc")),
        Builder::Knex => (query, vec!["knex.NAME".into()]),
        Builder::Fn => (query, vec!["knex.fn.NAME".into()]),
        Builder::Query | Builder::Join | Builder::Raw | Builder::BatchInsert | Builder::Ref => {
            (query, vec!["`NAME".into(), ":NAME(".into()])
        }
    }
}

#[test]
fn the_api_reference_documents_every_method() {
    let mut missing = Vec::new();
    for &b in Builder::ALL {
        let (page, forms) = reference(b);
        let text = std::fs::read_to_string(root().join(page)).expect(page);
        let starters_documented =
            text.contains("Every query method is also a function of the `knex` module");
        for m in catalogue(b) {
            let starter = b == Builder::Knex && api::find(api::QUERY, m).is_some();
            if starter && starters_documented {
                continue; // documented once, as a rule; the method itself is checked below
            }
            if !forms.iter().any(|f| text.contains(&f.replace("NAME", m))) {
                missing.push(format!("{page}: {}{m}", b.prefix()));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented:\n{}", missing.join("\n"));
}

/// Lua that evaluates to one live object of each builder (schema statements
/// go to a sink, queries are marked used).
fn instance(b: Builder) -> &'static str {
    match b {
        Builder::Knex => "return knex",
        Builder::Fn => "return knex.fn",
        Builder::Schema => "return knex.schema",
        Builder::Table => "local o; knex.schema:createTable('x', function(t) o = t end); return o",
        Builder::Column => {
            "local o; knex.schema:createTable('x', function(t) o = t:string('c') end); return o"
        }
        Builder::Foreign => {
            "local o; knex.schema:createTable('x', function(t) o = t:foreign('c'):references('a.id') end); return o"
        }
        Builder::View => {
            "local o; knex.schema:createView('v', function(v) o = v; v:as(knex.raw('select 1')) end); return o"
        }
        Builder::AlterView => "local o; knex.schema:alterView('v', function(v) o = v end); return o",
        Builder::ViewColumn => {
            "local o; knex.schema:alterView('v', function(v) o = v:column('c') end); return o"
        }
        Builder::Query => "local q = knex('t'); q:toSQL(); return q",
        Builder::Join => {
            "local o; local q = knex('t'):join('a', function(j) o = j end); q:toSQL(); return o"
        }
        Builder::Raw => "local r = knex.raw('select 1'); r:toSQL(); return r",
        Builder::BatchInsert => "local b = knex.batchInsert('t', {}); b:toSQL(); return b",
        Builder::Ref => "return knex.ref('c')",
    }
}

#[test]
fn the_bridge_answers_exactly_the_catalogue() {
    let lua = Lua::new();
    schema::install_sink(&lua);
    let k = knex::create(&lua).expect("knex");
    lua.globals().set("knex", k).expect("global");
    for &b in Builder::ALL {
        let object: mlua::Value = lua
            .load(instance(b))
            .eval()
            .unwrap_or_else(|e| panic!("{b:?}: {e}"));
        lua.globals().set("o", object).expect("global");
        for m in catalogue(b) {
            let kind: String = lua
                .load(format!("return type(o[{m:?}])"))
                .eval()
                .unwrap_or_else(|e| panic!("{b:?}.{m}: {e}"));
            assert_eq!(kind, "function", "{}{m} is not a function", b.prefix());
        }
        // A name that is not in the catalogue is not a method.
        let other = lua
            .load("return o.definitelyNotAMethod")
            .eval::<mlua::Value>();
        match (b, other) {
            // The module tables are plain Lua tables: an unknown name is nil.
            (Builder::Knex | Builder::Fn, Ok(v)) => assert!(v.is_nil(), "{b:?}"),
            (Builder::Ref, Ok(v)) => assert!(v.is_nil(), "{b:?}"),
            // A query also says it may be rows that were never fetched.
            (_, Err(e)) => assert!(
                e.to_string().contains("unknown method")
                    || (b == Builder::Query && e.to_string().contains("not rows")),
                "{b:?}: {e}"
            ),
            (_, Ok(v)) => panic!("{b:?}: an unknown name gave {v:?}"),
        }
    }
}

/// String literals in camelCase that are catalogue method names, three or
/// more within a few lines, make a second list of the API: forbidden
/// outside `src/api/`.
#[test]
fn no_list_of_method_names_exists_outside_the_catalogue() {
    let names: BTreeSet<&str> = Builder::ALL
        .iter()
        .flat_map(|b| b.methods())
        .map(|m| m.name)
        .filter(|n| n.chars().any(|c| c.is_ascii_uppercase()))
        .collect();
    let literal = |line: &str| -> Vec<String> {
        line.split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| names.contains(s))
            .map(str::to_string)
            .collect()
    };
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(root().join("src")) {
        let entry = entry.expect("walk src");
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") || path.starts_with(root().join("src/api")) {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("read");
        // Unit tests may spell out the cases they check.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for (i, _) in lines.iter().enumerate() {
            let window: Vec<String> = lines[i..(i + 5).min(lines.len())]
                .iter()
                .flat_map(|l| literal(l))
                .collect();
            let distinct: BTreeSet<&String> = window.iter().collect();
            if distinct.len() >= 3 {
                found.push(format!(
                    "{}:{}: {:?}",
                    path.strip_prefix(root()).unwrap_or(path).display(),
                    i + 1,
                    distinct
                ));
                break;
            }
        }
    }
    assert!(
        found.is_empty(),
        "method names listed outside src/api:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_closest_method_is_suggested_from_the_catalogue() {
    assert_eq!(api::closest_method(api::TABLE, "strng"), Some("string"));
    assert_eq!(
        api::closest_method(api::SCHEMA, "createTabel"),
        Some("createTable")
    );
}

/// The bridge's modules depend one way: `error` ← `call` ← `value` ←
/// `query` ← `schema` ← `knex` (and inside `schema`: `actions` ← `column` ←
/// `table`). A module may use only those before it.
#[test]
fn the_bridge_modules_depend_one_way() {
    let order = ["error", "call", "value", "query", "schema", "knex"];
    let rank = |m: &str| order.iter().position(|o| *o == m);
    let mut problems = Vec::new();
    for entry in walkdir::WalkDir::new(root().join("src/lua")) {
        let entry = entry.expect("walk");
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(root().join("src/lua")).expect("inside");
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
            .collect();
        let module = parts[0].clone();
        let Some(own) = rank(&module) else {
            continue; // mod.rs: the bridge's root, which assembles the rest
        };
        let text = std::fs::read_to_string(path).expect("read");
        // Unit tests may build a whole `knex` to exercise their module.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        // `super::` names a sibling only in the module's own top file.
        let top = parts.len() == 1 || parts.get(1).is_some_and(|p| p == "mod");
        let code = |line: &str| !line.trim_start().starts_with("//");
        for (i, line) in text.lines().enumerate().filter(|(_, l)| code(l)) {
            for other in order {
                let used = line.contains(&format!("crate::lua::{other}"))
                    || (top && line.contains(&format!("super::{other}")));
                if used && rank(other).is_some_and(|r| r > own) {
                    problems.push(format!(
                        "{}:{}: {module} uses {other}",
                        rel.display(),
                        i + 1
                    ));
                }
            }
        }
        if module == "schema"
            && matches!(parts.get(1).map(String::as_str), Some("actions" | "column"))
        {
            for (i, line) in text.lines().enumerate() {
                if line.contains("super::table")
                    || (parts[1] == "actions" && line.contains("super::column"))
                {
                    problems.push(format!(
                        "{}:{}: uses a later schema file",
                        rel.display(),
                        i + 1
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
#[ignore]
fn dump_catalogue_for_tools() {
    for &b in Builder::ALL {
        let names: Vec<&str> = b.methods().iter().map(|m| m.name).collect();
        println!("{b:?}\t{}", names.join(","));
    }
}
