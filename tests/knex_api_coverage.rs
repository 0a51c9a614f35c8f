//! Every public method of Knex 3.3 is implemented by vectra-db (it is in the
//! catalogue of the Lua API) or listed in `docs/knex-differences.md` with the
//! reason. The methods are read from Knex's own files, installed from npm:
//! the TypeScript definitions, and the runtime aliases the definitions leave
//! out (`col.defaultsTo`, `andWhereColumn`, …).
mod common;

use std::collections::{BTreeMap, BTreeSet};

use vectra_db::api::{Builder, KNEX_FIELDS};

/// Knex's interfaces, and the builders of ours that answer for them.
const INTERFACES: &[(&str, &[Builder])] = &[
    ("Knex", &[Builder::Knex]),
    ("QueryInterface", &[Builder::Query]),
    ("QueryBuilder", &[Builder::Query]),
    ("ChainableInterface", &[Builder::Query]),
    ("OnConflictQueryBuilder", &[Builder::Query]),
    ("SchemaBuilder", &[Builder::Schema]),
    ("TableBuilder", &[Builder::Table]),
    ("CreateTableBuilder", &[Builder::Table]),
    ("AlterTableBuilder", &[Builder::Table]),
    ("ColumnBuilder", &[Builder::Column]),
    ("PostgreSqlColumnBuilder", &[Builder::Column]),
    (
        "ReferencingColumnBuilder",
        &[Builder::Column, Builder::Foreign],
    ),
    ("ForeignConstraintBuilder", &[Builder::Foreign]),
    ("MultikeyForeignConstraintBuilder", &[Builder::Foreign]),
    ("JoinClause", &[Builder::Join]),
    ("ViewBuilder", &[Builder::View]),
    ("AlterViewBuilder", &[Builder::AlterView]),
    ("AlterColumnView", &[Builder::ViewColumn]),
    ("BatchInsertBuilder", &[Builder::BatchInsert]),
    ("Raw", &[Builder::Raw]),
];

/// The member names of `interface NAME … { … }` (or `type NAME = { … }`),
/// one level deep: `  select: Select<…>;`, `  where(…): …;`, `  raw?: …`.
fn members(source: &str, name: &str) -> BTreeSet<String> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = BTreeSet::new();
    let headers = [format!("interface {name}"), format!("type {name} = {{")];
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        let is_header = headers.iter().any(|h| {
            trimmed.starts_with(h.as_str())
                && trimmed[h.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric() && c != '_')
        }) || trimmed.starts_with(&format!("export interface {name}"));
        if !is_header {
            i += 1;
            continue;
        }
        let indent = line.len() - trimmed.len();
        // The header may span lines (`extends …`); it ends at a `{` line end.
        let mut j = i;
        while j < lines.len() && !lines[j].trim_end().ends_with('{') {
            if lines[j].trim_end().ends_with("{}") {
                break;
            }
            j += 1;
        }
        if j >= lines.len() || lines[j].trim_end().ends_with("{}") {
            i = j + 1;
            continue;
        }
        let mut depth = 0i32;
        for (k, l) in lines.iter().enumerate().skip(j) {
            if k > j && depth == 1 {
                let member_indent = indent + 2;
                if l.len() > member_indent
                    && l[..member_indent].trim().is_empty()
                    && !l[member_indent..].starts_with(' ')
                {
                    let word: String = l[member_indent..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    let rest = l[member_indent + word.len()..]
                        .trim_start_matches('?')
                        .trim_start();
                    if !word.is_empty()
                        && (rest.starts_with('(') || rest.starts_with('<') || rest.starts_with(':'))
                    {
                        found.insert(word);
                    }
                }
            }
            depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
            if depth <= 0 {
                i = k;
                break;
            }
        }
        i += 1;
    }
    found
}

/// `Builder.prototype.andWhereColumn = Builder.prototype.whereColumn;`
fn prototype_aliases(source: &str) -> BTreeSet<String> {
    source
        .lines()
        .filter_map(|l| l.strip_prefix("Builder.prototype."))
        .filter(|rest| rest.contains("= Builder.prototype."))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The keys of `const aliasMethod = { default: 'defaultTo', … };`.
fn column_aliases(source: &str) -> BTreeSet<String> {
    let start = source
        .find("const aliasMethod = {")
        .expect("aliasMethod in columnbuilder.js");
    let body = &source[start..];
    let body = &body[..body.find("};").expect("end of aliasMethod")];
    body.lines()
        .skip(1)
        .filter_map(|l| l.trim().split(':').next())
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect()
}

/// `| \`Interface.method\` | why |` rows of the "not have" section.
fn listed(doc: &str) -> BTreeSet<String> {
    let section = doc
        .split("## Knex methods vectra-db does not have")
        .nth(1)
        .expect("docs/knex-differences.md has the section");
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_public_knex_method_is_implemented_or_listed_with_a_reason() {
    let dir = common::npm::packages("npm-knex", &["knex@3.3.0"]);
    let knex = dir.join("node_modules/knex");
    let read = |rel: &str| std::fs::read_to_string(knex.join(rel)).expect(rel);
    let types = read("types/index.d.ts");

    let mut knex_methods: BTreeMap<String, (BTreeSet<String>, &[Builder])> = BTreeMap::new();
    for (interface, builders) in INTERFACES {
        let names = members(&types, interface);
        knex_methods.insert(interface.to_string(), (names, builders));
    }
    // Sanity: the parser sees what it should (a broken parse must not pass).
    for (interface, at_least) in [
        ("QueryInterface", 100),
        ("SchemaBuilder", 20),
        ("TableBuilder", 40),
        ("Knex", 10),
    ] {
        let n = knex_methods[interface].0.len();
        assert!(n >= at_least, "parsed only {n} members of {interface}");
    }
    knex_methods.insert(
        "querybuilder.js".into(),
        (
            prototype_aliases(&read("lib/query/querybuilder.js")),
            &[Builder::Query],
        ),
    );
    knex_methods.insert(
        "columnbuilder.js".into(),
        (
            column_aliases(&read("lib/schema/columnbuilder.js")),
            &[Builder::Column],
        ),
    );
    assert!(knex_methods["columnbuilder.js"].0.contains("defaultsTo"));

    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/knex-differences.md"
    ))
    .expect("docs/knex-differences.md");
    let listed = listed(&doc);
    let ours = |b: &Builder| -> BTreeSet<String> {
        let mut names: BTreeSet<String> = b.methods().iter().map(|m| m.name.to_string()).collect();
        if *b == Builder::Knex {
            names.extend(KNEX_FIELDS.iter().map(|(n, _)| n.to_string()));
        }
        names
    };
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    for (interface, (names, builders)) in &knex_methods {
        for name in names {
            let implemented = builders.iter().any(|b| ours(b).contains(name));
            let key = format!("{interface}.{name}");
            let is_listed = listed.contains(&key)
                || (interface.ends_with(".js")
                    && listed.iter().any(|l| l.ends_with(&format!(".{name}"))));
            if !implemented && !is_listed {
                missing.push(key);
            } else if implemented && listed.contains(&key) {
                stale.push(key);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "Knex methods neither implemented nor listed in docs/knex-differences.md:\n{}",
        missing.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed as missing but implemented:\n{}",
        stale.join("\n")
    );
    // Every listed row names a real Knex method.
    let known: BTreeSet<String> = knex_methods
        .iter()
        .flat_map(|(i, (names, _))| names.iter().map(move |n| format!("{i}.{n}")))
        .collect();
    for row in &listed {
        assert!(
            known.contains(row),
            "docs/knex-differences.md lists `{row}`, which Knex 3.3 does not have"
        );
    }
}
