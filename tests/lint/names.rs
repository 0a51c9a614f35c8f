//! Which arguments are names comes from the API catalogue (`src/api`): cases
//! derived from it, and the builder types the lint follows through chains,
//! callbacks and locals.

use super::{fixtures, show};
use vectra_db::api::{Builder, MethodInfo, Returns, Role};
use vectra_db::lint::{lint_source, Constants, Finding, Rule, TargetKind};

fn fixture_constants() -> Constants {
    Constants::load(&fixtures().join("lua/constants.lua")).expect("constants")
}

/// A migration whose `up` is `body` (one statement a line, from line 6 on).
fn migration(body: &[String]) -> String {
    let mut src = String::from(
        "-- Purpose: exercises the lint on calls the catalogue lists.\n\
         local C = require(\"constants\")\n\
         local T, COL = C.tables, C.columns\n\
         return {\n\
         \x20 up = function(knex)\n",
    );
    for line in body {
        src.push_str("    ");
        src.push_str(line);
        src.push('\n');
    }
    src.push_str("  end,\n  down = function(knex) knex.schema:dropTable(T.users) end,\n}\n");
    src
}

/// The first line of `body` in [`migration`]'s text.
const FIRST_BODY_LINE: usize = 6;

/// `(line, rule, message)` of each finding.
fn findings_of(src: &str) -> Vec<(usize, Rule, String)> {
    lint_source("m.lua", src, TargetKind::Migration, &fixture_constants())
        .into_iter()
        .map(|f| (f.line, f.rule, f.message))
        .collect()
}

/// `(line, rule)` of each finding.
fn rules_of(src: &str) -> Vec<(usize, Rule)> {
    findings_of(src)
        .into_iter()
        .map(|(l, r, _)| (l, r))
        .collect()
}

/// A call of the table builder, `{}` standing for the method.
const ON_THE_TABLE_BUILDER: &str =
    "knex.schema:alterTable(T.users, function(t) t:{}(\"widgets\") end)";

/// One line of `up` per method of `builder` that `keep` selects: `template`
/// with the method's name for `{}`. The names must include `expected`.
fn cases(
    builder: Builder,
    keep: impl Fn(&MethodInfo) -> bool,
    template: &str,
    expected: &[&str],
) -> Vec<(&'static str, String)> {
    let cases: Vec<(&'static str, String)> = builder
        .methods()
        .into_iter()
        .filter(|m| keep(m))
        .map(|m| (m.name, template.replace("{}", m.name)))
        .collect();
    let names: Vec<&str> = cases.iter().map(|(n, _)| *n).collect();
    for name in expected {
        assert!(names.contains(name), "{name} in {names:?}");
    }
    cases
}

/// Each case is one line of `up` that must give exactly one finding of `rule`
/// at the literal `"widgets"`, and nothing else.
fn assert_one_finding_per_line(cases: &[(&str, String)], rule: Rule) {
    let body: Vec<String> = cases.iter().map(|(_, line)| line.clone()).collect();
    let src = migration(&body);
    let findings = lint_source("m.lua", &src, TargetKind::Migration, &fixture_constants());
    for (i, (name, line)) in cases.iter().enumerate() {
        let at: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.line == FIRST_BODY_LINE + i)
            .collect();
        assert_eq!(at.len(), 1, "`{line}` ({name}): {}", show(&findings));
        assert_eq!(at[0].rule, rule, "`{line}`: {}", at[0]);
        let column = line.find("\"widgets\"").expect("a literal") + 5;
        assert_eq!(at[0].column, column, "`{line}`: {}", at[0]);
    }
    assert_eq!(findings.len(), cases.len(), "{}", show(&findings));
}

#[test]
fn every_column_type_of_the_catalogue_is_linted_like_string() {
    let cases = cases(
        Builder::Table,
        |m| m.args.first() == Some(&Role::Column) && m.returns == Returns::Builder(Builder::Column),
        ON_THE_TABLE_BUILDER,
        &["string", "char", "tinytext", "real", "specificType"],
    );
    assert_one_finding_per_line(&cases, Rule::LiteralColumnName);
}

#[test]
fn every_schema_call_of_the_catalogue_that_takes_a_table_is_linted_like_drop_table() {
    let cases = cases(
        Builder::Schema,
        |m| matches!(m.args.first(), Some(Role::Table | Role::OtherTable)),
        "knex.schema:{}(\"widgets\")",
        &[
            "dropTable",
            "dropViewIfExists",
            "dropMaterializedViewIfExists",
            "createViewOrReplace",
        ],
    );
    // Schema and extension names are not table names.
    assert!(cases.iter().all(|(name, _)| *name != "dropSchemaIfExists"));
    assert_one_finding_per_line(&cases, Rule::LiteralTableName);
}

#[test]
fn every_table_builder_call_whose_first_argument_is_a_column_is_linted() {
    let cases = cases(
        Builder::Table,
        |m| matches!(m.args.first(), Some(Role::Column | Role::Columns)),
        ON_THE_TABLE_BUILDER,
        &["unique", "primary", "index", "foreign", "dropColumn"],
    );
    assert_one_finding_per_line(&cases, Rule::LiteralColumnName);
}

#[test]
fn schema_and_extension_names_are_not_table_names() {
    let body = [
        "knex.schema:createSchemaIfNotExists(\"audit\")",
        "knex.schema:dropSchemaIfExists(\"audit\")",
        "knex.schema:createExtensionIfNotExists(\"pgcrypto\")",
        "knex.schema:withSchema(\"audit\"):dropTableIfExists(T.users)",
    ]
    .map(String::from);
    assert_eq!(findings_of(&migration(&body)), vec![]);
}

#[test]
fn a_table_builder_parameter_is_checked_whatever_its_name() {
    let body = [
        "knex.schema:createTable(T.users, function(table) table:string(\"email\", 32) end)",
        "knex.schema:alterTable(T.users, function(builder)",
        "  builder:integer(\"role_id\"):notNullable()",
        "end)",
        "local rows = {}",
        "table.insert(rows, { email = \"not a column: table is Lua's library here\" })",
    ]
    .map(String::from);
    assert_eq!(
        findings_of(&migration(&body)),
        vec![
            (
                6,
                Rule::LiteralColumnName,
                "use `C.columns.users.email` instead of \"email\"".to_string()
            ),
            (
                8,
                Rule::LiteralColumnName,
                "use `C.columns.users.role_id` instead of \"role_id\"".to_string()
            ),
        ]
    );
}

#[test]
fn a_query_callback_parameter_is_a_query_whatever_its_name() {
    let body = [
        "knex(T.users):where(function(qb) qb:where(\"email\", 1):orWhere(\"role_id\", 2) end):run()",
        "knex(T.users):whereExists(function(sub) sub:select(\"id\"):from(T.roles) end):run()",
    ]
    .map(String::from);
    let found: Vec<(usize, String)> = findings_of(&migration(&body))
        .into_iter()
        .map(|(line, _, message)| (line, message))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                6,
                "use `C.columns.users.email` instead of \"email\"".to_string()
            ),
            (
                6,
                "use `C.columns.users.role_id` instead of \"role_id\"".to_string()
            ),
            // The subquery works on its own table.
            (7, "use `C.columns.roles.id` instead of \"id\"".to_string()),
        ]
    );
}

#[test]
fn join_clause_on_takes_columns_and_foreign_key_on_takes_a_table() {
    let body = [
        "knex(T.users):join(T.roles, function(j) j:on(\"users.role_id\", \"=\", \"roles.id\") end):run()",
        "knex(T.users):leftJoin(T.roles, function(j) j:on(COL.users.role_id, COL.roles.id):orOn(\"email\", \"name\") end):run()",
        "knex.schema:alterTable(T.users, function(t)",
        "  t:integer(COL.users.role_id):references(COL.roles.id):on(\"roles\")",
        "  t:foreign(COL.users.role_id):references(\"id\"):inTable(T.roles)",
        "end)",
    ]
    .map(String::from);
    let found = findings_of(&migration(&body));
    let rules: Vec<(usize, Rule)> = found.iter().map(|(l, r, _)| (*l, *r)).collect();
    assert_eq!(
        rules,
        vec![
            (6, Rule::LiteralColumnName),
            (6, Rule::LiteralColumnName),
            (7, Rule::LiteralColumnName),
            (7, Rule::LiteralColumnName),
            (9, Rule::LiteralTableName),
            (10, Rule::LiteralColumnName),
        ],
        "{found:?}"
    );
    assert_eq!(found[4].2, "use `C.tables.roles` instead of \"roles\"");
    // The referenced column belongs to the table `inTable` names.
    assert_eq!(found[5].2, "use `C.columns.roles.id` instead of \"id\"");
}

#[test]
fn batch_insert_rows_are_columns_of_its_table() {
    let body = [
        "knex.batchInsert(T.roles, { { name = \"admin\" }, { [\"name\"] = \"editor\" } }, 100):run()",
        "local rows = { { name = \"viewer\" } }",
        "knex.batchInsert(\"roles\", rows):run()",
    ]
    .map(String::from);
    assert_eq!(
        findings_of(&migration(&body)),
        vec![
            (
                6,
                Rule::LiteralColumnName,
                "use `[C.columns.roles.name] = …` instead of the literal column name `name = …`"
                    .to_string()
            ),
            (
                6,
                Rule::LiteralColumnName,
                "use `C.columns.roles.name` instead of \"name\"".to_string()
            ),
            (
                7,
                Rule::LiteralColumnName,
                "use `[C.columns.roles.name] = …` instead of the literal column name `name = …`"
                    .to_string()
            ),
            (
                8,
                Rule::LiteralTableName,
                "use `C.tables.roles` instead of \"roles\"".to_string()
            ),
        ]
    );
}

#[test]
fn a_chain_assigned_to_a_local_keeps_its_type_and_table() {
    let body = [
        "local q = knex(T.roles):where(COL.roles.id, 1)",
        "q:orWhere(\"name\", \"admin\"):run()",
        "local schema = knex.schema",
        "schema:dropTableIfExists(\"roles\")",
        "local id = knex(T.roles):insert({ [COL.roles.name] = \"x\" }):returning(\"id\"):run()[1]",
    ]
    .map(String::from);
    assert_eq!(
        findings_of(&migration(&body)),
        vec![
            (
                7,
                Rule::LiteralColumnName,
                "use `C.columns.roles.name` instead of \"name\"".to_string()
            ),
            (
                9,
                Rule::LiteralTableName,
                "use `C.tables.roles` instead of \"roles\"".to_string()
            ),
            // A chain that ends in an index is a chain too.
            (
                10,
                Rule::LiteralColumnName,
                "use `C.columns.roles.id` instead of \"id\"".to_string()
            ),
        ]
    );
}

#[test]
fn unique_on_the_table_takes_columns_and_after_a_column_type_a_constraint_name() {
    let body = [
        "knex.schema:alterTable(T.users, function(t)",
        "  t:unique(\"email\")",
        "  t:string(COL.users.email):notNullable():unique(\"users_email_key\"):index(\"users_email_idx\")",
        "  t:primary({ \"id\" }, { constraintName = \"users_pkey\" })",
        "end)",
        "local function helper(tbl) tbl:index(\"email\") end",
    ]
    .map(String::from);
    assert_eq!(
        rules_of(&migration(&body)),
        vec![
            (7, Rule::LiteralColumnName),
            (9, Rule::LiteralColumnName),
            // An unknown receiver's first `index` is the table-level one.
            (11, Rule::LiteralColumnName),
        ]
    );
}

#[test]
fn helpers_and_receivers_of_unknown_type_fall_back_to_the_catalogue_order() {
    let body = [
        "local function users() return knex(T.users) end",
        "users():where(\"email\", 1):run()",
        "local function add_email(builder) builder:string(\"email\"):unique(\"users_email_key\") end",
        "local db = knex",
        "db.schema:dropTable(\"users\")",
        "local s = (\"%s rows\"):format(3):upper()",
    ]
    .map(String::from);
    assert_eq!(
        rules_of(&migration(&body)),
        vec![
            (7, Rule::LiteralColumnName),
            (8, Rule::LiteralColumnName),
            (10, Rule::LiteralTableName),
        ]
    );
}
