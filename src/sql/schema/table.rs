//! `createTable` / `alterTable`: a table's columns and table-level actions, and
//! the statements they become, in Knex's order (reference §5.2).

use super::column::Column;
use super::literal::{bare_or_quoted, inline_raw, string_literal};
use super::names;
use super::SchemaError;
use crate::sql::{quote_ident, quote_qualified, Raw, Sql};

/// Whether the builder creates the table or changes it.
#[derive(Debug, Clone, PartialEq)]
pub enum TableKind {
    Create {
        if_not_exists: bool,
        /// `createTableLike(name, like)`.
        like: Option<String>,
    },
    Alter,
}

/// `deferrable initially <mode>` of a constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deferrable {
    Deferred,
    Immediate,
}

impl Deferrable {
    pub fn parse(text: &str) -> Option<Deferrable> {
        match text.to_ascii_lowercase().as_str() {
            "deferred" => Some(Deferrable::Deferred),
            "immediate" => Some(Deferrable::Immediate),
            _ => None,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Deferrable::Deferred => "deferrable initially deferred",
            Deferrable::Immediate => "deferrable initially immediate",
        }
    }
}

/// Referential actions PostgreSQL accepts for `on delete` / `on update`.
pub const REFERENTIAL_ACTIONS: &[&str] = &[
    "CASCADE",
    "RESTRICT",
    "SET NULL",
    "SET DEFAULT",
    "NO ACTION",
];

/// What an index covers: columns, or one expression (`knex.raw('lower(??)', …)`).
#[derive(Debug, Clone, PartialEq)]
pub enum IndexTarget {
    Columns(Vec<String>),
    Expression(Raw),
}

/// A foreign key from `.references()` or `t:foreign()`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub name: Option<String>,
    pub references: Vec<String>,
    pub in_table: Option<String>,
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    pub deferrable: Option<Deferrable>,
}

impl ForeignKey {
    /// The referenced table and columns: `references('users.id')` names both,
    /// `references('id')` needs `inTable('users')`.
    pub fn target(&self) -> Result<(String, Vec<String>), SchemaError> {
        let cols = self.columns.join("`, `");
        match (&self.in_table, self.references.as_slice()) {
            (None, [one]) if one.contains('.') => {
                let (t, c) = one.rsplit_once('.').unwrap_or(("", one));
                Ok((t.to_string(), vec![c.to_string()]))
            }
            (_, []) => Err(SchemaError::new(format!(
                "the foreign key on `{cols}` references nothing: add `:references('table.column')`"
            ))),
            (Some(t), refs) => Ok((t.clone(), refs.to_vec())),
            (None, _) => Err(SchemaError::new(format!(
                "the foreign key on `{cols}` has no table: add `:inTable('users')` or write `:references('users.id')`"
            ))),
        }
    }
}

/// A table-level action, kept in declaration order.
#[derive(Debug, Clone, PartialEq)]
pub enum TableAction {
    Primary {
        columns: Vec<String>,
        name: Option<String>,
        deferrable: Option<Deferrable>,
    },
    Unique {
        columns: Vec<String>,
        name: Option<String>,
        deferrable: Option<Deferrable>,
        use_constraint: bool,
        predicate: Option<Raw>,
    },
    Index {
        target: IndexTarget,
        name: Option<String>,
        /// Words before `index` (`unique`).
        index_type: Option<String>,
        /// `using <method>` (`hash`, `gin`, `btree`).
        using: Option<String>,
        predicate: Option<Raw>,
    },
    Foreign(ForeignKey),
    Check {
        raw: Raw,
        name: Option<String>,
    },
    DropColumns(Vec<String>),
    RenameColumn {
        from: String,
        to: String,
    },
    DropPrimary {
        name: Option<String>,
        if_exists: bool,
    },
    DropUnique {
        columns: Vec<String>,
        name: Option<String>,
        if_exists: bool,
    },
    DropIndex {
        columns: Vec<String>,
        name: Option<String>,
    },
    DropForeign {
        columns: Vec<String>,
        name: Option<String>,
        if_exists: bool,
    },
    SetNullable(String),
    DropNullable(String),
    DropChecks(Vec<String>),
}

impl TableAction {
    /// What an action that only `ALTER TABLE` can do is, for the error when
    /// a `createTable` holds one (the Lua bridge refuses it first, at its line).
    pub fn only_in_alter(&self) -> Option<&'static str> {
        Some(match self {
            TableAction::DropColumns(_) => "dropping a column",
            TableAction::RenameColumn { .. } => "renaming a column",
            TableAction::DropPrimary { .. } => "dropping the primary key",
            TableAction::DropUnique { .. } => "dropping a unique constraint",
            TableAction::DropIndex { .. } => "dropping an index",
            TableAction::DropForeign { .. } => "dropping a foreign key",
            TableAction::SetNullable(_) => "making a column nullable",
            TableAction::DropNullable(_) => "making a column not nullable",
            TableAction::DropChecks(_) => "dropping check constraints",
            _ => return None,
        })
    }
}

/// Everything one `createTable` / `alterTable` callback declared.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub kind: TableKind,
    /// `withSchema(...)`.
    pub schema: Option<String>,
    /// The name as written (may be dotted: `app.users`).
    pub name: String,
    pub columns: Vec<Column>,
    pub actions: Vec<TableAction>,
    pub comment: Option<String>,
    pub inherits: Vec<String>,
}

impl TableSpec {
    pub fn new(kind: TableKind, schema: Option<String>, name: impl Into<String>) -> TableSpec {
        TableSpec {
            kind,
            schema,
            name: name.into(),
            columns: Vec::new(),
            actions: Vec::new(),
            comment: None,
            inherits: Vec::new(),
        }
    }

    pub fn is_create(&self) -> bool {
        matches!(self.kind, TableKind::Create { .. })
    }

    /// The quoted, possibly schema-qualified table name.
    pub fn table_sql(&self) -> String {
        qualified(self.schema.as_deref(), &self.name)
    }

    /// The relation's own name (last dotted part), as PostgreSQL names things after it.
    fn relation(&self) -> &str {
        self.name.rsplit('.').next().unwrap_or(&self.name)
    }

    /// The statements, in Knex's order.
    pub fn to_sql(&self) -> Result<Vec<Sql>, SchemaError> {
        let texts = if self.is_create() {
            self.create_sql()?
        } else {
            self.alter_sql()?
        };
        Ok(texts.into_iter().map(Sql::plain).collect())
    }

    fn native_enums(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter_map(|c| c.native_enum())
            .map(|(native, values)| native.create_sql(values, self.schema.as_deref()))
            .collect()
    }

    fn table_comment(&self) -> Option<String> {
        self.comment.as_ref().map(|c| {
            format!(
                "comment on table {} is {}",
                self.table_sql(),
                string_literal(c)
            )
        })
    }

    fn create_sql(&self) -> Result<Vec<String>, SchemaError> {
        let TableKind::Create {
            if_not_exists,
            like,
        } = &self.kind
        else {
            return Err(SchemaError::new("not a create statement"));
        };
        if let Some(action) = self.actions.iter().find_map(TableAction::only_in_alter) {
            return Err(SchemaError::new(format!(
                "{action} only works inside `alterTable`, not `createTable`"
            )));
        }
        if let Some(col) = self.columns.iter().find(|c| c.alter.is_some()) {
            return Err(SchemaError::new(format!(
                "`:alter()` on column `{}` only works inside `alterTable`",
                col.name
            )));
        }
        let table = self.table_sql();
        let schema = self.schema.as_deref();
        let mut out = self.native_enums();

        let primary = self.actions.iter().rev().find_map(|a| match a {
            TableAction::Primary {
                columns,
                name,
                deferrable,
            } => Some((columns, name, deferrable)),
            _ => None,
        });
        let mut items = Vec::new();
        if let Some(like) = like {
            items.push(format!("like {} including all", quote_qualified(like)));
        }
        for c in &self.columns {
            items.push(c.definition(schema, primary.is_none()));
        }
        if let Some((columns, name, deferrable)) = primary {
            let name = name.clone().unwrap_or_else(|| names::primary(&self.name));
            let mut pk = format!(
                "constraint {} primary key ({})",
                quote_ident(&name),
                column_list(columns)
            );
            if let Some(d) = deferrable {
                pk.push(' ');
                pk.push_str(d.sql());
            }
            items.push(pk);
        }
        for a in &self.actions {
            if let TableAction::Check { raw, name } = a {
                items.push(match name {
                    Some(n) => format!(
                        "constraint {} check ({})",
                        bare_or_quoted(n),
                        inline_raw(raw)
                    ),
                    None => format!("check ({})", inline_raw(raw)),
                });
            }
        }
        let mut create = format!(
            "create table {}{table} ({})",
            if *if_not_exists { "if not exists " } else { "" },
            items.join(", ")
        );
        if !self.inherits.is_empty() {
            let parents: Vec<String> = self.inherits.iter().map(|p| quote_qualified(p)).collect();
            create.push_str(&format!(" inherits ({})", parents.join(", ")));
        }
        out.push(create);
        out.extend(self.table_comment());
        out.extend(self.columns.iter().filter_map(|c| c.comment_sql(&table)));
        for a in &self.actions {
            match a {
                TableAction::Primary { .. } | TableAction::Check { .. } => {}
                other => out.extend(self.action_sql(other, 0)?),
            }
        }
        Ok(out)
    }

    fn alter_sql(&self) -> Result<Vec<String>, SchemaError> {
        if !self.inherits.is_empty() {
            return Err(SchemaError::new(
                "`t:inherits` only works inside `createTable` (Knex does not alter inheritance); use `knex.schema:raw`",
            ));
        }
        let table = self.table_sql();
        let schema = self.schema.as_deref();
        let mut out = self.native_enums();
        let (altered, added): (Vec<&Column>, Vec<&Column>) =
            self.columns.iter().partition(|c| c.alter.is_some());
        if !added.is_empty() {
            let defs: Vec<String> = added
                .iter()
                .map(|c| format!("add column {}", c.definition(schema, true)))
                .collect();
            out.push(format!("alter table {table} {}", defs.join(", ")));
        }
        for c in &altered {
            out.extend(c.alter_sql(&table, self.relation(), schema)?);
        }
        out.extend(added.iter().filter_map(|c| c.comment_sql(&table)));
        for c in &altered {
            out.extend(c.alter_extras(&table, &self.name));
        }
        let mut checks = 0;
        for a in &self.actions {
            if matches!(a, TableAction::Check { name: None, .. }) {
                checks += 1;
            }
            out.extend(self.action_sql(a, checks)?);
        }
        out.extend(self.table_comment());
        Ok(out)
    }

    /// One table-level action as its own statement(s). `check_n` numbers
    /// unnamed checks (`<table>_<n>`).
    fn action_sql(&self, action: &TableAction, check_n: usize) -> Result<Vec<String>, SchemaError> {
        let table = self.table_sql();
        let alter = format!("alter table {table}");
        let generated = |cols: &[String], kind| names::generated(&self.name, cols, kind);
        let deferrable =
            |d: &Option<Deferrable>| d.map(|d| format!(" {}", d.sql())).unwrap_or_default();
        Ok(vec![match action {
            TableAction::Primary {
                columns,
                name,
                deferrable: d,
            } => {
                let name = name.clone().unwrap_or_else(|| names::primary(&self.name));
                format!(
                    "{alter} add constraint {} primary key ({}){}",
                    quote_ident(&name),
                    column_list(columns),
                    deferrable(d)
                )
            }
            TableAction::Unique {
                columns,
                name,
                deferrable: d,
                use_constraint,
                predicate,
            } => {
                let name =
                    quote_ident(&name.clone().unwrap_or_else(|| generated(columns, "unique")));
                if *use_constraint {
                    if predicate.is_some() {
                        return Err(SchemaError::new(
                            "postgres cannot create a unique constraint with a predicate: pass `useConstraint = false`",
                        ));
                    }
                    format!(
                        "{alter} add constraint {name} unique ({}){}",
                        column_list(columns),
                        deferrable(d)
                    )
                } else {
                    if d.is_some() {
                        return Err(SchemaError::new(
                            "postgres cannot create a deferrable unique index: leave out `deferrable` or use a constraint",
                        ));
                    }
                    format!(
                        "create unique index {name} on {table} ({}){}",
                        column_list(columns),
                        where_clause(predicate)
                    )
                }
            }
            TableAction::Index {
                target,
                name,
                index_type,
                using,
                predicate,
            } => {
                let (cols, name) = match target {
                    IndexTarget::Columns(cols) => (
                        column_list(cols),
                        name.clone().unwrap_or_else(|| generated(cols, "index")),
                    ),
                    IndexTarget::Expression(raw) => (
                        inline_raw(raw),
                        name.clone().ok_or_else(|| {
                            SchemaError::new("an index on an expression needs a name")
                        })?,
                    ),
                };
                format!(
                    "create {}index {} on {table}{} ({cols}){}",
                    index_type
                        .as_ref()
                        .map(|t| format!("{t} "))
                        .unwrap_or_default(),
                    quote_ident(&name),
                    using
                        .as_ref()
                        .map(|u| format!(" using {u}"))
                        .unwrap_or_default(),
                    where_clause(predicate)
                )
            }
            TableAction::Foreign(fk) => self.foreign_sql(fk)?,
            TableAction::Check { raw, name } => {
                let name = name
                    .clone()
                    .unwrap_or_else(|| format!("{}_{check_n}", self.name));
                format!(
                    "{alter} add constraint {} check({})",
                    bare_or_quoted(&name),
                    inline_raw(raw)
                )
            }
            TableAction::DropColumns(cols) => {
                let drops: Vec<String> = cols
                    .iter()
                    .map(|c| format!("drop column {}", quote_ident(c)))
                    .collect();
                format!("{alter} {}", drops.join(", "))
            }
            TableAction::RenameColumn { from, to } => format!(
                "{alter} rename {} to {}",
                quote_ident(from),
                quote_ident(to)
            ),
            TableAction::DropPrimary { name, if_exists } => {
                let name = name.clone().unwrap_or_else(|| names::primary(&self.name));
                drop_constraint(&alter, &name, *if_exists)
            }
            TableAction::DropUnique {
                columns,
                name,
                if_exists,
            } => {
                let name = name.clone().unwrap_or_else(|| generated(columns, "unique"));
                drop_constraint(&alter, &name, *if_exists)
            }
            TableAction::DropForeign {
                columns,
                name,
                if_exists,
            } => {
                let name = name
                    .clone()
                    .unwrap_or_else(|| generated(columns, "foreign"));
                drop_constraint(&alter, &name, *if_exists)
            }
            TableAction::DropIndex { columns, name } => {
                // An index lives in its table's schema; Knex qualifies it with `withSchema`.
                let index = match name {
                    Some(n) => quote_qualified(n),
                    None => quote_ident(&generated(columns, "index")),
                };
                match &self.schema {
                    Some(s) => format!("drop index {}.{index}", quote_ident(s)),
                    None => format!("drop index {index}"),
                }
            }
            TableAction::SetNullable(c) => {
                format!("{alter} alter column {} drop not null", quote_ident(c))
            }
            TableAction::DropNullable(c) => {
                format!("{alter} alter column {} set not null", quote_ident(c))
            }
            TableAction::DropChecks(names) => {
                let drops: Vec<String> = names
                    .iter()
                    .map(|n| format!("drop constraint {}", bare_or_quoted(n)))
                    .collect();
                format!("{alter} {}", drops.join(", "))
            }
        }])
    }

    fn foreign_sql(&self, fk: &ForeignKey) -> Result<String, SchemaError> {
        let (target_table, target_cols) = fk.target()?;
        let name = fk
            .name
            .clone()
            .unwrap_or_else(|| names::generated(&self.name, &fk.columns, "foreign"));
        let mut sql = format!(
            "alter table {} add constraint {} foreign key ({}) references {} ({})",
            self.table_sql(),
            quote_ident(&name),
            column_list(&fk.columns),
            quote_qualified(&target_table),
            column_list(&target_cols)
        );
        if let Some(u) = &fk.on_update {
            sql.push_str(&format!(" on update {u}"));
        }
        if let Some(d) = &fk.on_delete {
            sql.push_str(&format!(" on delete {d}"));
        }
        if let Some(d) = fk.deferrable {
            // Knex leaves a trailing space here; kept so the text matches.
            sql.push_str(&format!(" {} ", d.sql()));
        }
        Ok(sql)
    }
}

/// `"app"."users"` from `withSchema('app')` + `users`, or a dotted name alone.
pub fn qualified(schema: Option<&str>, name: &str) -> String {
    match schema {
        Some(s) => format!("{}.{}", quote_ident(s), quote_qualified(name)),
        None => quote_qualified(name),
    }
}

fn column_list(cols: &[String]) -> String {
    cols.iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn where_clause(predicate: &Option<Raw>) -> String {
    predicate
        .as_ref()
        .map(|p| format!(" where {}", inline_raw(p)))
        .unwrap_or_default()
}

fn drop_constraint(alter: &str, name: &str, if_exists: bool) -> String {
    format!(
        "{alter} drop constraint {}{}",
        if if_exists { "if exists " } else { "" },
        quote_ident(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::schema::{ColumnType, DefaultValue};
    use crate::sql::Value;

    fn texts(spec: &TableSpec) -> Vec<String> {
        spec.to_sql()
            .expect("valid table")
            .into_iter()
            .map(|s| s.text)
            .collect()
    }

    #[test]
    fn create_table_puts_keys_inline_and_the_rest_after() {
        let mut spec = TableSpec::new(
            TableKind::Create {
                if_not_exists: false,
                like: None,
            },
            None,
            "posts",
        );
        let mut title = Column::new("title", ColumnType::Plain("varchar(200)".into()));
        title.nullable = Some(false);
        title.default = Some(DefaultValue::Value(Value::Text("it's".into())));
        spec.columns.push(Column::new(
            "id",
            ColumnType::Serial {
                big: false,
                primary_key: true,
            },
        ));
        spec.columns.push(title);
        spec.actions.push(TableAction::Foreign(ForeignKey {
            columns: vec!["id".into()],
            references: vec!["users.id".into()],
            on_delete: Some("CASCADE".into()),
            ..ForeignKey::default()
        }));
        spec.actions.push(TableAction::Primary {
            columns: vec!["id".into(), "title".into()],
            name: None,
            deferrable: None,
        });
        assert_eq!(
            texts(&spec),
            vec![
                r#"create table "posts" ("id" serial, "title" varchar(200) not null default 'it''s', constraint "posts_pkey" primary key ("id", "title"))"#,
                r#"alter table "posts" add constraint "posts_id_foreign" foreign key ("id") references "users" ("id") on delete CASCADE"#,
            ]
        );
    }

    #[test]
    fn alter_table_adds_columns_first_and_comments_last() {
        let mut spec = TableSpec::new(TableKind::Alter, Some("app".into()), "users");
        spec.comment = Some("c".into());
        spec.actions.push(TableAction::DropIndex {
            columns: vec!["a".into()],
            name: None,
        });
        spec.columns
            .push(Column::new("n", ColumnType::Plain("integer".into())));
        assert_eq!(
            texts(&spec),
            vec![
                r#"alter table "app"."users" add column "n" integer"#,
                r#"drop index "app"."users_a_index""#,
                r#"comment on table "app"."users" is 'c'"#,
            ]
        );
    }

    #[test]
    fn drops_are_refused_in_create_table() {
        let mut spec = TableSpec::new(
            TableKind::Create {
                if_not_exists: false,
                like: None,
            },
            None,
            "t",
        );
        spec.actions.push(TableAction::SetNullable("a".into()));
        assert!(spec.to_sql().is_err());
    }

    #[test]
    fn a_foreign_key_needs_a_table() {
        let fk = ForeignKey {
            columns: vec!["u".into()],
            references: vec!["id".into()],
            ..ForeignKey::default()
        };
        assert!(fk.target().is_err());
        let fk = ForeignKey {
            in_table: Some("app.users".into()),
            ..fk
        };
        assert_eq!(
            fk.target(),
            Ok(("app.users".to_string(), vec!["id".to_string()]))
        );
    }
}
