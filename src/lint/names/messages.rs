//! The findings of the name checks: one function per kind of argument
//! (table, columns, rows, referenced column), each with a message that names
//! the constant to use when `lua/constants.lua` has one, and the
//! [`Replacement`] that writes it (`names/replacements.rs`).

use full_moon::ast::{Expression, Field, TableConstructor, Var};
use full_moon::node::Node as _;
use full_moon::tokenizer::TokenReference;

use super::replacements::{column_path, table_path};
use super::syntax::{arg_name, arg_string, arg_table, split_alias, token_text, Arg};
use super::{NameIssue, Replacement};
use crate::lint::{Constants, Rule};
use crate::sql::raw::identifier_placeholders;

/// `C.qualified(table, column)` in `lua/constants.lua`: `"table.column"` from constants.
const QUALIFIED: &str = "qualified";

/// How a `"table.column"` literal is better written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spelling {
    /// `C.tables.t .. "." .. C.columns.t.c`
    Concatenated,
    /// `:references(C.columns.t.c):inTable(C.tables.t)`
    Reference,
}

/// Turns literal names into findings.
pub(super) struct Reporter<'c> {
    pub constants: &'c Constants,
    pub issues: Vec<NameIssue>,
}

impl Reporter<'_> {
    /// A table name.
    pub(super) fn table(&mut self, arg: Arg<'_>) {
        let Some((text, token)) = arg_string(arg) else {
            return;
        };
        let name = split_alias(&text);
        let bare = name.rsplit('.').next().unwrap_or(name);
        let message = if self.constants.is_empty() {
            format!("\"{text}\" is a literal table name; use a `C.tables` constant from `lua/constants.lua`")
        } else if let Some(key) = self.constants.table_key(bare) {
            format!("use `{}` instead of \"{text}\"", table_path(key))
        } else {
            format!(
                "\"{text}\" is a literal table name and `lua/constants.lua` has no such table; \
                 add it to `C.tables` and use the constant"
            )
        };
        let constant = self.table_replacement(&text);
        self.push_with(token, Rule::LiteralTableName, message, constant);
    }

    /// A column, a list of columns (`{ "a", "b" }`), or `"table.column"`; an
    /// alias table (`select({ n = "name" })`, Knex's `{ n: 'name' }`) names
    /// columns in its values (its keys are aliases, not names).
    pub(super) fn columns(&mut self, arg: Arg<'_>, table: Option<&str>) {
        self.columns_at(arg, table, true)
    }

    fn columns_at(&mut self, arg: Arg<'_>, table: Option<&str>, top: bool) {
        if let Some(t) = arg_table(arg) {
            for field in t.fields() {
                match field {
                    Field::NoKey(e) => self.columns_at(Arg::Expr(e), table, false),
                    // Only the argument's own table is an alias table: a nested
                    // `{ column = "a", order = "desc" }` is an option table.
                    Field::NameKey { value, .. } | Field::ExpressionKey { value, .. } if top => {
                        self.columns_at(Arg::Expr(value), table, false)
                    }
                    _ => {}
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
                Some(key) => format!("use `{} .. \".*\"` instead of \"{text}\"", table_path(key)),
                None => format!(
                    "\"{text}\" spells a table name as a literal; use a `C.tables` constant"
                ),
            };
            let constant = self.column_replacement(&text, table);
            self.push_with(token, Rule::LiteralTableName, message, constant);
            return;
        }
        let message = match owner {
            Some(owner) => self.qualified_message(&text, owner, column, Spelling::Concatenated),
            None => self.column_message(&text, column, table),
        };
        let constant = self.column_replacement(&text, table);
        self.push_with(token, Rule::LiteralColumnName, message, constant);
    }

    /// `references("id")` (table from `inTable`) or `references("users.id")`.
    pub(super) fn reference(&mut self, arg: Arg<'_>, referenced: Option<&str>) {
        let Some((text, token)) = arg_string(arg) else {
            return;
        };
        let message = match text.rsplit_once('.') {
            Some((owner, column)) => {
                self.qualified_message(&text, owner, column, Spelling::Reference)
            }
            None => self.column_message(&text, &text, referenced),
        };
        let constant = self.column_replacement(&text, referenced);
        self.push_with(token, Rule::LiteralColumnName, message, constant);
    }

    /// Keys of a row (or of each row of a list) are column names; `rows_of`
    /// gives the table a local name was bound to (`local rows = { … }`).
    pub(super) fn rows(
        &mut self,
        arg: Arg<'_>,
        table: Option<&str>,
        rows_of: &dyn Fn(&str) -> Option<TableConstructor>,
    ) {
        let constructor = match arg_table(arg) {
            Some(t) => t.clone(),
            None => match arg_name(arg).and_then(|name| rows_of(&name)) {
                Some(t) => t,
                None => return,
            },
        };
        for field in constructor.fields() {
            match field {
                Field::NameKey { key, .. } => {
                    let name = token_text(key);
                    let constant = self.column_constant(&name, table).map(|c| format!("[{c}]"));
                    let message = match &constant {
                        Some(constant) => format!(
                            "use `{constant} = …` instead of the literal column name `{name} = …`"
                        ),
                        None => format!(
                            "`{name} = …` is a literal column name: {}",
                            self.column_message(&name, &name, table)
                        ),
                    };
                    self.push_with(key, Rule::LiteralColumnName, message, constant);
                }
                Field::ExpressionKey { key, .. } => {
                    if let Expression::String(_) = key {
                        self.columns(Arg::Expr(key), table);
                    }
                }
                Field::NoKey(row @ Expression::TableConstructor(_))
                | Field::NoKey(row @ Expression::Var(Var::Name(_))) => {
                    self.rows(Arg::Expr(row), table, rows_of)
                }
                _ => {}
            }
        }
    }

    /// The bindings of `sql` (`knex.raw(sql, bindings)`): each string literal
    /// bound to a `??` placeholder is a table or column name.
    pub(super) fn bindings(&mut self, sql: Option<Arg<'_>>, arg: Arg<'_>, table: Option<&str>) {
        let Some((sql, _)) = sql.and_then(arg_string) else {
            return;
        };
        let identifiers = identifier_placeholders(&sql);
        if !identifiers.contains(&true) {
            return;
        }
        match arg_table(arg) {
            Some(t) => {
                let positional = t.fields().iter().filter_map(|f| match f {
                    Field::NoKey(e) => Some(e),
                    _ => None,
                });
                for (e, identifier) in positional.zip(identifiers) {
                    if identifier {
                        self.identifier(Arg::Expr(e), table);
                    }
                }
            }
            // A single binding may be given bare: `knex.raw("drop table ??", "x")`.
            None if identifiers == [true] => self.identifier(arg, table),
            None => {}
        }
    }

    /// A literal bound to `??` that spells a table or column the constants
    /// define. Other identifiers (index, constraint, type and schema names)
    /// are not names the constants hold, so they are left alone.
    fn identifier(&mut self, arg: Arg<'_>, table: Option<&str>) {
        let Some((text, _)) = arg_string(arg) else {
            return;
        };
        let name = split_alias(&text);
        let bare = name.rsplit('.').next().unwrap_or(name);
        if self.constants.table_key(bare).is_some() {
            self.table(arg);
        } else if !self.constants.column_everywhere(bare).is_empty() {
            self.columns(arg, table);
        }
    }

    /// The one constant naming `column` (of `table` when known), if there is one.
    pub(super) fn column_constant(&self, column: &str, table: Option<&str>) -> Option<String> {
        let in_table = table.and_then(|t| self.constant_of(t, column));
        in_table.or_else(
            || match self.constants.column_everywhere(column).as_slice() {
                [(tk, ck)] => Some(column_path(tk, ck)),
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
        if let Some(constant) = table.and_then(|t| self.constant_of(t, column)) {
            return format!("use `{constant}` instead of \"{text}\"");
        }
        let table_key = table.and_then(|t| self.constants.columns_key_for_table(t));
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
            [(tk, ck)] => format!(
                "use `{}` instead of \"{text}\"",
                column_path(tk, ck)
            ),
            many => {
                let shown: Vec<String> = many
                    .iter()
                    .take(3)
                    .map(|(tk, ck)| format!("`{}`", column_path(tk, ck)))
                    .collect();
                let more = if many.len() > 3 { ", …" } else { "" };
                format!(
                    "use a `C.columns` constant instead of \"{text}\" ({}{more})",
                    shown.join(", ")
                )
            }
        }
    }

    /// `C.columns.<table>.<column>` when the constants name `column` of `table`.
    pub(super) fn constant_of(&self, table: &str, column: &str) -> Option<String> {
        let tk = self.constants.columns_key_for_table(table)?;
        let ck = self.constants.column_key(&tk, column)?;
        Some(column_path(&tk, ck))
    }

    fn qualified_message(
        &self,
        text: &str,
        owner: &str,
        column: &str,
        spelling: Spelling,
    ) -> String {
        let table_key = self.constants.table_key(owner);
        let column_path = table_key.and_then(|_| self.constant_of(owner, column));
        match (table_key, column_path) {
            (Some(tk), Some(col)) if spelling == Spelling::Reference => format!(
                "\"{text}\" spells a table and a column as a literal; use \
                 `:references({col}):inTable({})`",
                table_path(tk)
            ),
            // The constants module's own helper when it has one (ours does).
            (Some(tk), Some(col)) if self.constants.root().contains_key(QUALIFIED) => format!(
                "\"{text}\" spells a table and a column as a literal; use \
                 `C.{QUALIFIED}(C.tables.{tk}, {col})`"
            ),
            (Some(tk), Some(col)) => format!(
                "\"{text}\" spells a table and a column as a literal; use \
                 `{} .. \".\" .. {col}`",
                table_path(tk)
            ),
            _ => format!(
                "\"{text}\" spells a table and a column as a literal; use `C.tables` and \
                 `C.columns` constants (add them to `lua/constants.lua` if missing)"
            ),
        }
    }

    pub(super) fn push(&mut self, token: &TokenReference, rule: Rule, message: String) {
        self.push_with(token, rule, message, None);
    }

    /// A finding whose literal `token` the Lua `constant` can replace.
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
}
