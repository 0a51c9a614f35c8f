//! The `knex.schema` statements that need no callback (drop, rename, schemas,
//! extensions, views by name, existence checks), as data.

use super::table::qualified;
use crate::sql::{quote_ident, Sql, Value};

/// One `knex.schema:<method>(...)` call without a builder callback.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaStatement {
    DropTable {
        name: String,
        if_exists: bool,
    },
    RenameTable {
        from: String,
        to: String,
    },
    /// `hasTable`: a query whose rows say whether the table exists.
    HasTable {
        name: String,
    },
    HasColumn {
        table: String,
        column: String,
    },
    CreateSchema {
        name: String,
        if_not_exists: bool,
    },
    DropSchema {
        name: String,
        if_exists: bool,
        cascade: bool,
    },
    CreateExtension {
        name: String,
        if_not_exists: bool,
    },
    DropExtension {
        name: String,
        if_exists: bool,
    },
    RenameView {
        from: String,
        to: String,
    },
    DropView {
        name: String,
        if_exists: bool,
        materialized: bool,
    },
    RefreshMaterializedView {
        name: String,
        concurrently: bool,
    },
}

impl SchemaStatement {
    /// The SQL, with `withSchema`'s schema applied where Knex applies it.
    pub fn to_sql(&self, schema: Option<&str>) -> Sql {
        let q = |name: &str| qualified(schema, name);
        let if_exists = |b: bool| if b { "if exists " } else { "" };
        let if_not_exists = |b: bool| if b { "if not exists " } else { "" };
        match self {
            SchemaStatement::DropTable { name, if_exists: e } => {
                Sql::plain(format!("drop table {}{}", if_exists(*e), q(name)))
            }
            SchemaStatement::RenameTable { from, to } => Sql::plain(format!(
                "alter table {} rename to {}",
                q(from),
                quote_ident(to)
            )),
            SchemaStatement::HasTable { name } => {
                let mut bindings = vec![Value::Text(name.clone())];
                let text = match schema {
                    Some(s) => {
                        bindings.push(Value::Text(s.to_string()));
                        "select * from information_schema.tables where table_name = ? and table_schema = ?"
                    }
                    None => "select * from information_schema.tables where table_name = ? and table_schema = current_schema()",
                };
                Sql::new(text, bindings)
            }
            SchemaStatement::HasColumn { table, column } => {
                let mut bindings = vec![Value::Text(table.clone()), Value::Text(column.clone())];
                let text = match schema {
                    Some(s) => {
                        bindings.push(Value::Text(s.to_string()));
                        "select * from information_schema.columns where table_name = ? and column_name = ? and table_schema = ?"
                    }
                    None => "select * from information_schema.columns where table_name = ? and column_name = ? and table_schema = current_schema()",
                };
                Sql::new(text, bindings)
            }
            SchemaStatement::CreateSchema {
                name,
                if_not_exists: n,
            } => Sql::plain(format!(
                "create schema {}{}",
                if_not_exists(*n),
                quote_ident(name)
            )),
            SchemaStatement::DropSchema {
                name,
                if_exists: e,
                cascade,
            } => Sql::plain(format!(
                "drop schema {}{}{}",
                if_exists(*e),
                quote_ident(name),
                if *cascade { " cascade" } else { "" }
            )),
            SchemaStatement::CreateExtension {
                name,
                if_not_exists: n,
            } => Sql::plain(format!(
                "create extension {}{}",
                if_not_exists(*n),
                quote_ident(name)
            )),
            SchemaStatement::DropExtension { name, if_exists: e } => Sql::plain(format!(
                "drop extension {}{}",
                if_exists(*e),
                quote_ident(name)
            )),
            SchemaStatement::RenameView { from, to } => Sql::plain(format!(
                "alter view {} rename to {}",
                q(from),
                quote_ident(to)
            )),
            SchemaStatement::DropView {
                name,
                if_exists: e,
                materialized,
            } => Sql::plain(format!(
                "drop {}view {}{}",
                if *materialized { "materialized " } else { "" },
                if_exists(*e),
                q(name)
            )),
            SchemaStatement::RefreshMaterializedView { name, concurrently } => Sql::plain(format!(
                "refresh materialized view {}{}",
                if *concurrently { "concurrently " } else { "" },
                q(name)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_schema_qualifies_tables_and_binds_existence_checks() {
        let drop = SchemaStatement::DropTable {
            name: "users".into(),
            if_exists: true,
        };
        assert_eq!(
            drop.to_sql(Some("app")).text,
            r#"drop table if exists "app"."users""#
        );
        let has = SchemaStatement::HasTable {
            name: "users".into(),
        };
        let sql = has.to_sql(Some("app"));
        assert!(sql.text.ends_with("and table_schema = ?"));
        assert_eq!(
            sql.bindings,
            vec![Value::Text("users".into()), Value::Text("app".into())]
        );
    }
}
