//! Literal table and column names in builder calls, and constant paths that
//! do not exist.
//!
//! A name is reported when it is written as a string literal (or as the
//! `name = …` key of a row table) in one of the argument positions below. The
//! check is syntactic and deliberately pragmatic: it looks at method names,
//! not at types, so `anything:createTable("x", …)` counts, and a name that
//! reaches a builder through a variable is not seen (except row tables bound
//! by `local rows = { … }` and later passed to `insert`/`update`/`where`).
//!
//! | calls | arguments that are names |
//! |---|---|
//! | `knex("t")`, `trx("t")` (a call of a local named `knex` or `trx`) | 1: table |
//! | `createTable`, `createTableIfNotExists`, `alterTable`, `table`, `dropTable`, `dropTableIfExists`, `hasTable`, `from`, `into` | 1: table |
//! | `createTableLike`, `renameTable` | 1, 2: tables |
//! | `hasColumn` | 1: table, 2: column |
//! | `knex.batchInsert` | 1: table, 2: rows (keys are columns) |
//! | column types (`increments`, `bigIncrements`, `integer`, `bigInteger`, `bigint`, `tinyint`, `smallint`, `mediumint`, `text`, `string`, `varchar`, `float`, `double`, `decimal`, `boolean`, `bool`, `date`, `datetime`, `dateTime`, `time`, `timestamp`, `binary`, `enu`, `enum`, `json`, `jsonb`, `uuid`, `specificType`, `geometry`, `geography`, `point`) | 1: column |
//! | `dropColumn`, `dropColumns`, `renameColumn`, `setNullable`, `dropNullable` | every argument: columns (or lists of them) |
//! | `t:primary`, `t:unique`, `t:index`, `foreign`, `dropIndex`, `dropUnique`, `dropForeign` | 1: column or list (as a table-level call; after a column type, `:unique("name")` etc. take a constraint name and are not checked) |
//! | `references` | 1: column of the referenced table (`"users.id"` form too) |
//! | `inTable`, and `on` after `references` | 1: table |
//! | `where`, `andWhere`, `orWhere`, `whereNot`, `orWhereNot`, `andWhereNot` | 1: column, or a table whose keys are columns |
//! | `whereIn`, `whereNotIn`, `whereNull`, `whereNotNull`, `whereBetween`, `whereNotBetween`, `whereLike`, `whereILike`, `whereJson*`, their `or…` forms, `having*`, `pluck`, `orderBy`, `increment`, `decrement` | 1: column (or list, or a table of columns) |
//! | `whereColumn`, `orWhereColumn`, join-clause `on`/`andOn`/`orOn` | first and last: columns |
//! | `select`, `first`, `distinct`, `groupBy`, `returning`, `columns`, `column`, `onConflict`, `count`, `min`, `max`, `sum`, `avg`, `countDistinct`, `sumDistinct`, `avgDistinct` | every argument: columns (`"*"` and `" as alias"` understood) |
//! | `insert` | 1: row or rows (keys are columns), 2: returned columns |
//! | `update` | 1: column (with 2: the value) or a row (keys are columns) |
//! | `merge` | 1: list of columns, or a row (keys are columns) |
//! | `join`, `innerJoin`, `leftJoin`, `leftOuterJoin`, `rightJoin`, `rightOuterJoin`, `fullOuterJoin`, `crossJoin` | 1: table, then the joined columns (the operator is skipped) |
//!
//! Not checked: `raw`, `knex.raw`, `whereRaw` and friends (SQL text), option
//! tables (`enumName`, `indexName`), constraint and index names, values.
//!
//! `unknown-constant`: a path like `COL.users.emial` rooted at a local bound
//! to `require("constants")` (or a field of it, `local T = C.tables`) whose
//! key the evaluated constants do not have. Such a path is nil at run time,
//! and a nil name fails far from the typo.

use std::collections::HashMap;

use full_moon::ast::{
    Ast, Call, Expression, Field, FunctionArgs, FunctionCall, Index, LocalAssignment, Prefix,
    Suffix, TableConstructor, Var, VarExpression,
};
use full_moon::node::Node as _;
use full_moon::tokenizer::{TokenReference, TokenType};
use full_moon::visitors::Visitor;

use super::constants::{Constants, Node};
use super::Rule;

/// A finding of this module, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameIssue {
    pub line: usize,
    pub column: usize,
    pub rule: Rule,
    pub message: String,
    /// The constant expression that can replace the literal, when there is
    /// exactly one (`vectra-db port --constants` applies it): same value, so
    /// the SQL cannot change.
    pub replacement: Option<Replacement>,
}

/// Lua text to put in place of bytes `start..end` of the checked source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Names of the `knex` value as scripts call it: `knex("users")`, `trx("users")`.
pub const KNEX_NAMES: &[&str] = &["knex", "trx"];

/// The module name whose `require` yields the constants table.
pub const CONSTANTS_MODULE: &str = "constants";

const LUA_LIBRARIES: &[&str] = &[
    "table",
    "string",
    "math",
    "os",
    "io",
    "utf8",
    "coroutine",
    "debug",
    "package",
];

const TABLE_ARG1: &[&str] = &[
    "createTable",
    "createTableIfNotExists",
    "alterTable",
    "table",
    "dropTable",
    "dropTableIfExists",
    "hasTable",
    "from",
    "into",
    "inTable",
];
const TABLE_ARG12: &[&str] = &["createTableLike", "renameTable"];
/// Calls whose callback runs with `arg1` as the current table.
const TABLE_CONTEXT: &[&str] = &[
    "createTable",
    "createTableIfNotExists",
    "createTableLike",
    "alterTable",
    "table",
    "from",
    "into",
];
const COLUMN_TYPES: &[&str] = &[
    "increments",
    "bigIncrements",
    "integer",
    "bigInteger",
    "bigint",
    "tinyint",
    "smallint",
    "mediumint",
    "text",
    "string",
    "varchar",
    "float",
    "double",
    "decimal",
    "boolean",
    "bool",
    "date",
    "datetime",
    "dateTime",
    "time",
    "timestamp",
    "binary",
    "enu",
    "enum",
    "json",
    "jsonb",
    "uuid",
    "specificType",
    "geometry",
    "geography",
    "point",
];
const COLUMN_ALL_ARGS: &[&str] = &[
    "dropColumn",
    "dropColumns",
    "renameColumn",
    "setNullable",
    "dropNullable",
];
/// Table-level when called first on the table builder; modifiers otherwise.
const TABLE_LEVEL_CONSTRAINTS: &[&str] = &["primary", "unique", "index"];
const COLUMN_LIST_ARG1: &[&str] = &["foreign", "dropIndex", "dropUnique", "dropForeign"];
const WHERE_LIKE: &[&str] = &[
    "where",
    "andWhere",
    "orWhere",
    "whereNot",
    "orWhereNot",
    "andWhereNot",
];
const COLUMN_ARG1: &[&str] = &[
    "whereIn",
    "whereNotIn",
    "orWhereIn",
    "orWhereNotIn",
    "whereNull",
    "whereNotNull",
    "orWhereNull",
    "orWhereNotNull",
    "whereBetween",
    "whereNotBetween",
    "orWhereBetween",
    "orWhereNotBetween",
    "whereLike",
    "whereILike",
    "orWhereLike",
    "orWhereILike",
    "whereJsonPath",
    "whereJsonObject",
    "whereJsonSupersetOf",
    "whereJsonSubsetOf",
    "having",
    "orHaving",
    "havingIn",
    "havingNotIn",
    "havingNull",
    "havingNotNull",
    "havingBetween",
    "havingNotBetween",
    "pluck",
    "orderBy",
    "increment",
    "decrement",
];
const FIRST_AND_LAST_COLUMNS: &[&str] = &["whereColumn", "orWhereColumn", "andOn", "orOn"];
const SELECT_LIKE: &[&str] = &[
    "select",
    "first",
    "distinct",
    "groupBy",
    "returning",
    "columns",
    "column",
    "onConflict",
    "count",
    "min",
    "max",
    "sum",
    "avg",
    "countDistinct",
    "sumDistinct",
    "avgDistinct",
];
const JOINS: &[&str] = &[
    "join",
    "innerJoin",
    "leftJoin",
    "leftOuterJoin",
    "rightJoin",
    "rightOuterJoin",
    "fullOuterJoin",
    "crossJoin",
];

/// Runs the name checks over one parsed file.
pub fn check(ast: &Ast, constants: &Constants) -> Vec<NameIssue> {
    let mut visitor = NameVisitor {
        constants,
        aliases: HashMap::new(),
        row_tables: HashMap::new(),
        context: Vec::new(),
        issues: Vec::new(),
    };
    visitor.visit_ast(ast);
    visitor.issues
}

struct NameVisitor<'c> {
    constants: &'c Constants,
    /// Local name → path inside the constants (`C` → [], `COL` → ["columns"]).
    aliases: HashMap<String, Vec<String>>,
    /// `local rows = { … }`, so `insert(rows)` can be checked.
    row_tables: HashMap<String, TableConstructor>,
    /// The table the enclosing builder call works on (a name), innermost last.
    context: Vec<Option<String>>,
    issues: Vec<NameIssue>,
}

/// One argument, whatever call syntax carried it.
#[derive(Clone, Copy)]
enum Arg<'a> {
    Expr(&'a Expression),
    Str(&'a TokenReference),
    Table(&'a TableConstructor),
}

/// One call of a chain: `:name(args)`, `.name(args)` or a bare `(args)`.
struct Link<'a> {
    method: Option<String>,
    args: Vec<Arg<'a>>,
}

impl Visitor for NameVisitor<'_> {
    fn visit_local_assignment(&mut self, local: &LocalAssignment) {
        for (name, expr) in local.names().iter().zip(local.expressions().iter()) {
            let name = token_text(name);
            if let Some(path) = self.constants_path(expr) {
                self.aliases.insert(name.clone(), path);
            } else {
                self.aliases.remove(&name);
            }
            if let Expression::TableConstructor(t) = expr {
                self.row_tables.insert(name, t.clone());
            }
        }
    }

    fn visit_function_call(&mut self, call: &FunctionCall) {
        let current = self.current_table();
        let links = chain_links(call);
        let root_name = match call.prefix() {
            Prefix::Name(n) => Some(token_text(n)),
            _ => None,
        };
        let is_library = root_name
            .as_deref()
            .is_some_and(|n| LUA_LIBRARIES.contains(&n));
        let mut chain_table = None;
        if is_library {
            self.context.push(current);
            return;
        }
        // `knex("users")`: the first link is a bare call on a knex-named root.
        if let (Some(first), Some(root)) = (links.first(), root_name.as_deref()) {
            if first.method.is_none() && KNEX_NAMES.contains(&root) {
                if let Some(arg) = first.args.first() {
                    self.check_table(*arg);
                    chain_table = self.table_name_of(*arg);
                }
            }
        }
        for link in &links {
            if let Some(method) = link.method.as_deref() {
                if TABLE_CONTEXT.contains(&method) {
                    if let Some(arg) = link.args.first() {
                        chain_table = self.table_name_of(*arg).or(chain_table);
                    }
                }
            }
        }
        let table = chain_table.or(current);
        // The table named by `inTable`/`on` (for `references`) in this chain.
        let referenced = links.iter().find_map(|l| match l.method.as_deref() {
            Some("inTable") | Some("on") => l.args.first().and_then(|a| self.table_name_of(*a)),
            _ => None,
        });
        let mut seen_references = false;
        for (i, link) in links.iter().enumerate() {
            let Some(method) = link.method.as_deref() else {
                continue;
            };
            self.check_link(
                method,
                &link.args,
                i == 0,
                table.as_deref(),
                referenced.as_deref(),
                seen_references,
            );
            seen_references |= method == "references";
        }
        self.context.push(table);
    }

    fn visit_function_call_end(&mut self, _call: &FunctionCall) {
        self.context.pop();
    }

    fn visit_var_expression(&mut self, var: &VarExpression) {
        let Prefix::Name(root) = var.prefix() else {
            return;
        };
        let Some(base) = self.aliases.get(&token_text(root)).cloned() else {
            return;
        };
        let mut path = base;
        let mut shown = token_text(root);
        for suffix in var.suffixes() {
            let (key, token) = match suffix {
                Suffix::Index(Index::Dot { name, .. }) => (token_text(name), name),
                Suffix::Index(Index::Brackets { expression, .. }) => {
                    match (string_literal(expression), expression) {
                        (Some(key), Expression::String(token)) => (key, token),
                        _ => return,
                    }
                }
                _ => return,
            };
            let Some(Node::Table(map)) = self.node_at(&path) else {
                return;
            };
            if !map.contains_key(&key) {
                let known: Vec<&str> = map.keys().map(String::as_str).collect();
                let hint = closest(&key, &known)
                    .map(|k| format!("; did you mean `{shown}.{k}`?"))
                    .unwrap_or_default();
                self.push(
                    token,
                    Rule::UnknownConstant,
                    format!(
                        "`{shown}.{key}` is not defined in `lua/constants.lua` (it would be nil){hint}"
                    ),
                );
                return;
            }
            shown = format!("{shown}.{key}");
            path.push(key);
        }
    }
}

impl NameVisitor<'_> {
    fn current_table(&self) -> Option<String> {
        self.context.last().cloned().flatten()
    }

    fn node_at(&self, path: &[String]) -> Option<&Node> {
        if path.is_empty() {
            return None;
        }
        self.constants.get(path)
    }

    /// `require("constants")` → `[]`; `C.columns` (with `C` an alias) → `["columns"]`.
    fn constants_path(&self, expr: &Expression) -> Option<Vec<String>> {
        match expr {
            Expression::FunctionCall(call) => {
                let Prefix::Name(name) = call.prefix() else {
                    return None;
                };
                if token_text(name) != "require" {
                    return None;
                }
                let mut path = Vec::new();
                let mut suffixes = call.suffixes();
                let Some(Suffix::Call(Call::AnonymousCall(args))) = suffixes.next() else {
                    return None;
                };
                let module = match args {
                    FunctionArgs::String(token) => string_token(token),
                    FunctionArgs::Parentheses { arguments, .. } => {
                        arguments.iter().next().and_then(string_literal)
                    }
                    _ => None,
                }?;
                if module != CONSTANTS_MODULE {
                    return None;
                }
                for suffix in suffixes {
                    path.push(index_key(suffix)?);
                }
                Some(path)
            }
            Expression::Var(Var::Expression(var)) => {
                let Prefix::Name(name) = var.prefix() else {
                    return None;
                };
                let mut path = self.aliases.get(&token_text(name))?.clone();
                for suffix in var.suffixes() {
                    path.push(index_key(suffix)?);
                }
                Some(path)
            }
            Expression::Var(Var::Name(name)) => self.aliases.get(&token_text(name)).cloned(),
            Expression::Parentheses { expression, .. } => self.constants_path(expression),
            _ => None,
        }
    }

    /// The table name an argument denotes: a literal, or a constant path.
    fn table_name_of(&self, arg: Arg<'_>) -> Option<String> {
        if let Some((text, _)) = arg_string(arg) {
            return Some(split_alias(&text).to_string());
        }
        let Arg::Expr(expr) = arg else {
            return None;
        };
        let path = self.constants_path(expr)?;
        match self.node_at(&path)? {
            Node::Str(name) => Some(name.clone()),
            _ => None,
        }
    }

    fn check_link(
        &mut self,
        method: &str,
        args: &[Arg<'_>],
        first_in_chain: bool,
        table: Option<&str>,
        referenced: Option<&str>,
        after_references: bool,
    ) {
        let arg = |i: usize| args.get(i).copied();
        if TABLE_ARG1.contains(&method) || (method == "on" && after_references) {
            if let Some(a) = arg(0) {
                self.check_table(a);
            }
        } else if TABLE_ARG12.contains(&method) {
            args.iter().take(2).for_each(|a| self.check_table(*a));
        } else if method == "hasColumn" {
            if let Some(a) = arg(0) {
                self.check_table(a);
            }
            let owner = arg(0).and_then(|a| self.table_name_of(a));
            if let Some(a) = arg(1) {
                self.check_columns(a, owner.as_deref().or(table));
            }
        } else if method == "batchInsert" {
            if let Some(a) = arg(0) {
                self.check_table(a);
            }
            let owner = arg(0).and_then(|a| self.table_name_of(a));
            if let Some(a) = arg(1) {
                self.check_rows(a, owner.as_deref());
            }
        } else if COLUMN_TYPES.contains(&method) {
            if let Some(a) = arg(0) {
                self.check_columns(a, table);
            }
        } else if COLUMN_ALL_ARGS.contains(&method) {
            args.iter().for_each(|a| self.check_columns(*a, table));
        } else if TABLE_LEVEL_CONSTRAINTS.contains(&method) {
            if first_in_chain {
                if let Some(a) = arg(0) {
                    self.check_columns(a, table);
                }
            }
        } else if COLUMN_LIST_ARG1.contains(&method) {
            if let Some(a) = arg(0) {
                self.check_columns(a, table);
            }
        } else if method == "references" {
            if let Some(a) = arg(0) {
                self.check_reference(a, referenced);
            }
        } else if WHERE_LIKE.contains(&method) || method == "update" {
            match arg(0) {
                Some(a @ (Arg::Table(_) | Arg::Expr(Expression::TableConstructor(_)))) => {
                    self.check_rows(a, table)
                }
                Some(a @ Arg::Expr(Expression::Var(Var::Name(_)))) => self.check_rows(a, table),
                Some(a) => self.check_columns(a, table),
                None => {}
            }
        } else if COLUMN_ARG1.contains(&method) {
            match arg(0) {
                Some(a) if is_keyed_table(a) => self.check_rows(a, table),
                Some(a) => self.check_columns(a, table),
                None => {}
            }
        } else if FIRST_AND_LAST_COLUMNS.contains(&method) || (method == "on" && !after_references)
        {
            if let Some(a) = arg(0) {
                self.check_columns(a, table);
            }
            if args.len() > 1 {
                if let Some(a) = args.last() {
                    self.check_columns(*a, table);
                }
            }
        } else if SELECT_LIKE.contains(&method) {
            args.iter().for_each(|a| self.check_columns(*a, table));
        } else if method == "insert" {
            if let Some(a) = arg(0) {
                self.check_rows(a, table);
            }
            if let Some(a) = arg(1) {
                self.check_columns(a, table);
            }
        } else if method == "merge" {
            match arg(0) {
                Some(a) if is_keyed_table(a) => self.check_rows(a, table),
                Some(a) => self.check_columns(a, table),
                None => {}
            }
        } else if JOINS.contains(&method) {
            if let Some(a) = arg(0) {
                self.check_table(a);
            }
            // join(t, a, b) or join(t, a, op, b): the operator is a value.
            let columns: Vec<Arg<'_>> = match args.len() {
                3 => vec![args[1], args[2]],
                n if n >= 4 => vec![args[1], args[3]],
                _ => Vec::new(),
            };
            columns
                .into_iter()
                .for_each(|a| self.check_columns(a, None));
        }
    }

    fn check_table(&mut self, arg: Arg<'_>) {
        let Some((text, token)) = arg_string(arg) else {
            return;
        };
        let name = split_alias(&text);
        let bare = name.rsplit('.').next().unwrap_or(name);
        let message = if self.constants.is_empty() {
            format!("\"{text}\" is a literal table name; use a `C.tables` constant from `lua/constants.lua`")
        } else if let Some(key) = self.constants.table_key(bare) {
            format!("use `C.tables.{key}` instead of \"{text}\"")
        } else {
            format!(
                "\"{text}\" is a literal table name and `lua/constants.lua` has no such table; \
                 add it to `C.tables` and use the constant"
            )
        };
        let constant = self.table_constant(&text);
        self.push_with(token, Rule::LiteralTableName, message, constant);
    }

    /// A column, a list of columns (`{ "a", "b" }`), or `"table.column"`.
    fn check_columns(&mut self, arg: Arg<'_>, table: Option<&str>) {
        if let Some(t) = arg_table(arg) {
            for field in t.fields() {
                if let Field::NoKey(e) = field {
                    self.check_columns(Arg::Expr(e), table);
                }
            }
            return;
        }
        let Some((text, token)) = arg_string(arg) else {
            return;
        };
        let name = split_alias(&text);
        if name == "*" || name.is_empty() {
            return;
        }
        let (owner, column) = match name.rsplit_once('.') {
            Some((owner, column)) => {
                let owner = owner.rsplit('.').next().unwrap_or(owner);
                (Some(owner), column)
            }
            None => (None, name),
        };
        if column == "*" {
            // `"users.*"`: only the table part is a name.
            let message = match owner.and_then(|o| self.constants.table_key(o)) {
                Some(key) => format!("use `C.tables.{key} .. \".*\"` instead of \"{text}\""),
                None => format!(
                    "\"{text}\" spells a table name as a literal; use a `C.tables` constant"
                ),
            };
            let constant = self.column_replacement(&text, table);
            self.push_with(token, Rule::LiteralTableName, message, constant);
            return;
        }
        let message = match owner {
            Some(owner) => self.qualified_message(&text, owner, column, "a .. \".\" .. b"),
            None => self.column_message(&text, column, table),
        };
        let constant = self.column_replacement(&text, table);
        self.push_with(token, Rule::LiteralColumnName, message, constant);
    }

    /// `references("id")` (table from `inTable`) or `references("users.id")`.
    fn check_reference(&mut self, arg: Arg<'_>, referenced: Option<&str>) {
        let Some((text, token)) = arg_string(arg) else {
            return;
        };
        let message = match text.rsplit_once('.') {
            Some((owner, column)) => self.qualified_message(&text, owner, column, "inTable"),
            None => self.column_message(&text, &text, referenced),
        };
        let constant = self.column_replacement(&text, referenced);
        self.push_with(token, Rule::LiteralColumnName, message, constant);
    }

    /// Keys of a row (or of each row of a list) are column names.
    fn check_rows(&mut self, arg: Arg<'_>, table: Option<&str>) {
        let constructor = match arg {
            Arg::Table(t) | Arg::Expr(Expression::TableConstructor(t)) => t.clone(),
            Arg::Expr(Expression::Var(Var::Name(name))) => {
                match self.row_tables.get(&token_text(name)) {
                    Some(t) => t.clone(),
                    None => return,
                }
            }
            _ => return,
        };
        for field in constructor.fields() {
            match field {
                Field::NameKey { key, .. } => {
                    let name = token_text(key);
                    let message = match self.column_constant(&name, table) {
                        Some(constant) => format!(
                            "use `[{constant}] = …` instead of the literal column name `{name} = …`"
                        ),
                        None => format!(
                            "`{name} = …` is a literal column name: {}",
                            self.column_message(&name, &name, table)
                        ),
                    };
                    let constant = self
                        .column_constant_path(&name, table)
                        .map(|path| format!("[{path}]"));
                    self.push_with(key, Rule::LiteralColumnName, message, constant);
                }
                Field::ExpressionKey { key, .. } => {
                    if let Expression::String(_) = key {
                        self.check_columns(Arg::Expr(key), table);
                    }
                }
                Field::NoKey(row @ Expression::TableConstructor(_))
                | Field::NoKey(row @ Expression::Var(Var::Name(_))) => {
                    self.check_rows(Arg::Expr(row), table)
                }
                _ => {}
            }
        }
    }

    /// The one constant naming `column` (of `table` when known), if there is one.
    fn column_constant(&self, column: &str, table: Option<&str>) -> Option<String> {
        let in_table = table
            .and_then(|t| self.constants.columns_key_for_table(t))
            .and_then(|tk| {
                self.constants
                    .column_key(&tk, column)
                    .map(|ck| format!("C.columns.{tk}.{ck}"))
            });
        in_table.or_else(
            || match self.constants.column_everywhere(column).as_slice() {
                [(tk, ck)] => Some(format!("C.columns.{tk}.{ck}")),
                _ => None,
            },
        )
    }

    fn column_message(&self, text: &str, column: &str, table: Option<&str>) -> String {
        if self.constants.is_empty() {
            return format!(
                "\"{text}\" is a literal column name; use a `C.columns` constant from `lua/constants.lua`"
            );
        }
        let table_key = table.and_then(|t| self.constants.columns_key_for_table(t));
        if let Some(tk) = &table_key {
            if let Some(ck) = self.constants.column_key(tk, column) {
                return format!("use `C.columns.{tk}.{ck}` instead of \"{text}\"");
            }
        }
        let everywhere = self.constants.column_everywhere(column);
        match everywhere.as_slice() {
            [] => match &table_key {
                Some(tk) => format!(
                    "\"{text}\" is a literal column name and `C.columns.{tk}` has no such column; \
                     add it to `lua/constants.lua` and use the constant"
                ),
                None => format!(
                    "\"{text}\" is a literal column name and `lua/constants.lua` defines no such column; \
                     add it to `C.columns` and use the constant"
                ),
            },
            [(tk, ck)] => format!("use `C.columns.{tk}.{ck}` instead of \"{text}\""),
            many => {
                let shown: Vec<String> = many
                    .iter()
                    .take(3)
                    .map(|(tk, ck)| format!("`C.columns.{tk}.{ck}`"))
                    .collect();
                let more = if many.len() > 3 { ", …" } else { "" };
                format!(
                    "use a `C.columns` constant instead of \"{text}\" ({}{more})",
                    shown.join(", ")
                )
            }
        }
    }

    fn qualified_message(&self, text: &str, owner: &str, column: &str, style: &str) -> String {
        let table_key = self.constants.table_key(owner);
        let column_path = table_key
            .and_then(|_| self.constants.columns_key_for_table(owner))
            .and_then(|tk| {
                self.constants
                    .column_key(&tk, column)
                    .map(|ck| format!("C.columns.{tk}.{ck}"))
            });
        match (table_key, column_path) {
            (Some(tk), Some(col)) if style == "inTable" => format!(
                "\"{text}\" spells a table and a column as a literal; use \
                 `:references({col}):inTable(C.tables.{tk})`"
            ),
            (Some(tk), Some(col)) => format!(
                "\"{text}\" spells a table and a column as a literal; use \
                 `C.tables.{tk} .. \".\" .. {col}`"
            ),
            _ => format!(
                "\"{text}\" spells a table and a column as a literal; use `C.tables` and \
                 `C.columns` constants (add them to `lua/constants.lua` if missing)"
            ),
        }
    }

    fn push(&mut self, token: &TokenReference, rule: Rule, message: String) {
        self.push_with(token, rule, message, None);
    }

    /// A finding whose literal `token` can be replaced by the Lua `constant`.
    fn push_with(
        &mut self,
        token: &TokenReference,
        rule: Rule,
        message: String,
        constant: Option<String>,
    ) {
        let position = token.start_position().unwrap_or_default();
        let replacement = constant.map(|text| Replacement {
            start: token.token().start_position().bytes(),
            end: token.token().end_position().bytes(),
            text,
        });
        self.issues.push(NameIssue {
            line: position.line().max(1),
            column: position.character().max(1),
            rule,
            message,
            replacement,
        });
    }

    /// `C.tables.users` for a table name (keeping a ` as alias` suffix).
    fn table_constant(&self, text: &str) -> Option<String> {
        let name = split_alias(text);
        if name.contains('.') {
            return None;
        }
        let key = self.constants.table_key(name)?;
        with_suffix(text, name, constant_path(&["tables", key]))
    }

    /// `C.columns.users.email` (or `C.tables.users .. "." .. C.columns.users.id`
    /// for a qualified name), keeping a ` as alias` suffix.
    fn column_replacement(&self, text: &str, table: Option<&str>) -> Option<String> {
        let name = split_alias(text);
        let path = match name.split_once('.') {
            None => self.column_constant_path(name, table)?,
            Some((owner, "*")) => {
                let tk = self.constants.table_key(owner)?;
                format!("{} .. \".*\"", constant_path(&["tables", tk]))
            }
            Some((owner, column)) => {
                if column.contains('.') {
                    return None;
                }
                let tk = self.constants.table_key(owner)?;
                let ck_table = self.constants.columns_key_for_table(owner)?;
                let ck = self.constants.column_key(&ck_table, column)?;
                format!(
                    "{} .. \".\" .. {}",
                    constant_path(&["tables", tk]),
                    constant_path(&["columns", &ck_table, ck])
                )
            }
        };
        with_suffix(text, name, path)
    }

    /// The one constant path naming `column` (of `table` when known), as
    /// [`Self::column_constant`] finds it.
    fn column_constant_path(&self, column: &str, table: Option<&str>) -> Option<String> {
        let in_table = table
            .and_then(|t| self.constants.columns_key_for_table(t))
            .and_then(|tk| {
                self.constants
                    .column_key(&tk, column)
                    .map(|ck| constant_path(&["columns", &tk, ck]))
            });
        in_table.or_else(
            || match self.constants.column_everywhere(column).as_slice() {
                [(tk, ck)] => Some(constant_path(&["columns", tk, ck])),
                _ => None,
            },
        )
    }
}

/// `C.tables.users`, or `C.tables["odd-key"]` where a key is not a Lua name.
fn constant_path(keys: &[&str]) -> String {
    let mut out = String::from("C");
    for key in keys {
        let plain = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !full_moon_keyword(key);
        if plain {
            out.push('.');
            out.push_str(key);
        } else {
            out.push_str(&format!("[{key:?}]"));
        }
    }
    out
}

fn full_moon_keyword(key: &str) -> bool {
    matches!(
        key,
        "and"
            | "break"
            | "do"
            | "else"
            | "elseif"
            | "end"
            | "false"
            | "for"
            | "function"
            | "goto"
            | "if"
            | "in"
            | "local"
            | "nil"
            | "not"
            | "or"
            | "repeat"
            | "return"
            | "then"
            | "true"
            | "until"
            | "while"
    )
}

/// `path` plus what followed `name` in `text` (`" as u"`), as Lua.
fn with_suffix(text: &str, name: &str, path: String) -> Option<String> {
    let rest = text.strip_prefix(name)?;
    if rest.is_empty() {
        Some(path)
    } else if rest.chars().all(|c| c.is_ascii_graphic() || c == ' ') && !rest.contains(['"', '\\'])
    {
        Some(format!("{path} .. \"{rest}\""))
    } else {
        None
    }
}

/// The calls of a chain, in order, with the method name each one invokes.
fn chain_links(call: &FunctionCall) -> Vec<Link<'_>> {
    let mut links = Vec::new();
    let mut last_field: Option<String> = None;
    for suffix in call.suffixes() {
        match suffix {
            Suffix::Index(Index::Dot { name, .. }) => last_field = Some(token_text(name)),
            Suffix::Index(_) => last_field = None,
            Suffix::Call(Call::AnonymousCall(args)) => links.push(Link {
                method: last_field.take(),
                args: function_args(args),
            }),
            Suffix::Call(Call::MethodCall(m)) => {
                last_field = None;
                links.push(Link {
                    method: Some(token_text(m.name())),
                    args: function_args(m.args()),
                });
            }
            _ => last_field = None,
        }
    }
    links
}

fn function_args(args: &FunctionArgs) -> Vec<Arg<'_>> {
    match args {
        FunctionArgs::Parentheses { arguments, .. } => arguments.iter().map(Arg::Expr).collect(),
        FunctionArgs::String(token) => vec![Arg::Str(token)],
        FunctionArgs::TableConstructor(t) => vec![Arg::Table(t)],
        _ => Vec::new(),
    }
}

fn arg_string(arg: Arg<'_>) -> Option<(String, &TokenReference)> {
    match arg {
        Arg::Str(token) => string_token(token).map(|s| (s, token)),
        Arg::Expr(Expression::String(token)) => string_token(token).map(|s| (s, token)),
        Arg::Expr(Expression::Parentheses { expression, .. }) => arg_string(Arg::Expr(expression)),
        _ => None,
    }
}

fn arg_table(arg: Arg<'_>) -> Option<&TableConstructor> {
    match arg {
        Arg::Table(t) | Arg::Expr(Expression::TableConstructor(t)) => Some(t),
        _ => None,
    }
}

/// A table constructor with `key = value` fields (a row), not a list.
fn is_keyed_table(arg: Arg<'_>) -> bool {
    arg_table(arg).is_some_and(|t| {
        t.fields()
            .iter()
            .any(|f| matches!(f, Field::NameKey { .. } | Field::ExpressionKey { .. }))
    })
}

fn index_key(suffix: &Suffix) -> Option<String> {
    match suffix {
        Suffix::Index(Index::Dot { name, .. }) => Some(token_text(name)),
        Suffix::Index(Index::Brackets { expression, .. }) => string_literal(expression),
        _ => None,
    }
}

fn string_literal(e: &Expression) -> Option<String> {
    super::shape::string_literal(e)
}

fn string_token(token: &TokenReference) -> Option<String> {
    match token.token().token_type() {
        TokenType::StringLiteral { literal, .. } => Some(literal.to_string()),
        _ => None,
    }
}

fn token_text(token: &TokenReference) -> String {
    token.token().to_string()
}

/// `"users as u"` → `"users"`; `"count(*) as n"` stays whole before ` as `.
fn split_alias(text: &str) -> &str {
    let lower = text.to_ascii_lowercase();
    match lower.find(" as ") {
        Some(i) => text[..i].trim(),
        None => text.trim(),
    }
}

/// The known key nearest to `key` (edit distance at most 2), for "did you mean".
fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_split_off() {
        assert_eq!(split_alias("users as u"), "users");
        assert_eq!(split_alias("email AS e"), "email");
        assert_eq!(split_alias("id"), "id");
    }

    #[test]
    fn the_closest_key_is_suggested() {
        assert_eq!(closest("emial", &["email", "id"]), Some("email"));
        assert_eq!(closest("zzzzzz", &["email", "id"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
