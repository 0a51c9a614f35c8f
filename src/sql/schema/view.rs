//! Views and materialized views: `createView`, `createViewOrReplace`,
//! `createMaterializedView` and `alterView`.

use super::literal::inline_raw;
use super::table::qualified;
use super::SchemaError;
use crate::sql::{quote_ident, Raw, Sql};

/// `with [local|cascaded] check option`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOption {
    Plain,
    Local,
    Cascaded,
}

/// What a `createView`-family callback declared.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewSpec {
    pub schema: Option<String>,
    pub name: String,
    pub replace: bool,
    pub materialized: bool,
    pub columns: Vec<String>,
    /// The query of `v:as(...)`; its values are written in (a view takes no parameters).
    pub query: Option<Raw>,
    pub check_option: Option<CheckOption>,
}

impl ViewSpec {
    pub fn new(schema: Option<String>, name: impl Into<String>) -> ViewSpec {
        ViewSpec {
            schema,
            name: name.into(),
            replace: false,
            materialized: false,
            columns: Vec::new(),
            query: None,
            check_option: None,
        }
    }

    pub fn to_sql(&self) -> Result<Vec<Sql>, SchemaError> {
        let query = self.query.as_ref().ok_or_else(|| {
            SchemaError::new(format!(
                "view `{}` has no query: call `v:as(knex('table'):select(...))` in the callback",
                self.name
            ))
        })?;
        let mut sql = format!(
            "create {}{}view {}",
            if self.replace { "or replace " } else { "" },
            if self.materialized {
                "materialized "
            } else {
                ""
            },
            qualified(self.schema.as_deref(), &self.name)
        );
        if !self.columns.is_empty() {
            let cols: Vec<String> = self.columns.iter().map(|c| quote_ident(c)).collect();
            sql.push_str(&format!(" ({})", cols.join(", ")));
        }
        sql.push_str(" as ");
        sql.push_str(&inline_raw(query));
        match self.check_option {
            Some(CheckOption::Plain) => sql.push_str(" with check option"),
            Some(CheckOption::Local) => sql.push_str(" with local check option"),
            Some(CheckOption::Cascaded) => sql.push_str(" with cascaded check option"),
            None => {}
        }
        Ok(vec![Sql::plain(sql)])
    }
}

/// One change inside `alterView`.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewChange {
    Rename {
        from: String,
        to: String,
    },
    /// `v:column('a'):defaultTo(sql)`: the SQL text is written as given (as in Knex).
    Default {
        column: String,
        sql: String,
    },
}

/// What an `alterView` callback declared.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterViewSpec {
    pub schema: Option<String>,
    pub name: String,
    pub changes: Vec<ViewChange>,
}

impl AlterViewSpec {
    pub fn to_sql(&self) -> Vec<Sql> {
        let view = qualified(self.schema.as_deref(), &self.name);
        self.changes
            .iter()
            .map(|c| {
                Sql::plain(match c {
                    ViewChange::Rename { from, to } => format!(
                        "alter view {view} rename {} to {}",
                        quote_ident(from),
                        quote_ident(to)
                    ),
                    ViewChange::Default { column, sql } => format!(
                        "alter view {view} alter {} set default {sql}",
                        quote_ident(column)
                    ),
                })
            })
            .collect()
    }
}
