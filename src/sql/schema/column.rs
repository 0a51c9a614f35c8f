//! Columns: their types, modifiers and checks, and how one renders inside
//! `create table` / `add column`, or as Knex's `.alter()` statement sequence.

use super::literal::{bare_or_quoted, inline_raw, string_literal, value_literal, value_text};
use super::SchemaError;
use crate::sql::{quote_ident, Raw, Value};

/// A column's type as Knex maps it on PostgreSQL.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnType {
    /// `increments` / `bigIncrements`: `serial` / `bigserial`, inline primary
    /// key unless `primaryKey = false` or the table declares its own.
    Serial { big: bool, primary_key: bool },
    /// `uuid`, optionally with an inline `primary key`.
    Uuid { primary_key: bool },
    /// `enu` / `enum`: a `text check (…)` column or a native enum type.
    Enum(EnumType),
    /// Every other type, as SQL text (`integer`, `varchar(255)`, `timestamptz(3)`, `text[]`).
    Plain(String),
}

/// The values of an `enu` column and, for a native one, its type.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumType {
    pub values: Vec<String>,
    pub native: Option<NativeEnum>,
}

/// `useNative = true`: `create type … as enum (…)` unless `existingType`.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeEnum {
    pub name: String,
    pub schema: Option<String>,
    pub existing: bool,
}

impl NativeEnum {
    /// The type name, schema-qualified by `schemaName` or else `withSchema`.
    pub fn qualified(&self, table_schema: Option<&str>) -> String {
        match self.schema.as_deref().or(table_schema) {
            Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&self.name)),
            None => quote_ident(&self.name),
        }
    }

    /// `create type "e_t" as enum ('a', 'b')`.
    pub fn create_sql(&self, values: &[String], table_schema: Option<&str>) -> String {
        let list: Vec<String> = values.iter().map(|v| string_literal(v)).collect();
        format!(
            "create type {} as enum ({})",
            self.qualified(table_schema),
            list.join(", ")
        )
    }
}

impl ColumnType {
    pub fn is_bool(&self) -> bool {
        matches!(self, ColumnType::Plain(t) if t == "boolean")
    }

    pub fn is_json(&self) -> bool {
        matches!(self, ColumnType::Plain(t) if t == "json" || t == "jsonb")
    }

    /// The type as written in a column definition (with the check of a
    /// check-style enum and the inline primary key of `increments`).
    fn definition(&self, column: &str, schema: Option<&str>, inline_pk: bool) -> String {
        match self {
            ColumnType::Serial { big, primary_key } => {
                let ty = if *big { "bigserial" } else { "serial" };
                if *primary_key && inline_pk {
                    format!("{ty} primary key")
                } else {
                    ty.to_string()
                }
            }
            ColumnType::Uuid { primary_key } => {
                if *primary_key && inline_pk {
                    "uuid primary key".to_string()
                } else {
                    "uuid".to_string()
                }
            }
            ColumnType::Enum(e) => match &e.native {
                Some(native) => native.qualified(schema),
                None => format!("text check ({})", enum_check(column, &e.values)),
            },
            ColumnType::Plain(t) => t.clone(),
        }
    }

    /// The type for `alter column … type`: no inline constraints; `serial` is
    /// not a type PostgreSQL can convert to, its underlying integer is.
    fn alter_type(&self, schema: Option<&str>) -> String {
        match self {
            ColumnType::Serial { big: true, .. } => "bigint".to_string(),
            ColumnType::Serial { big: false, .. } => "integer".to_string(),
            ColumnType::Uuid { .. } => "uuid".to_string(),
            ColumnType::Enum(EnumType {
                native: Some(native),
                ..
            }) => native.qualified(schema),
            ColumnType::Enum(_) => "text".to_string(),
            ColumnType::Plain(t) => t.clone(),
        }
    }
}

/// `"status" in ('a', 'b')`, the check of a check-style enum.
fn enum_check(column: &str, values: &[String]) -> String {
    let list: Vec<String> = values.iter().map(|v| string_literal(v)).collect();
    format!("{} in ({})", quote_ident(column), list.join(", "))
}

/// A `defaultTo(...)` value: a plain value (formatted per column type) or SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    Value(Value),
    Raw(Raw),
}

impl DefaultValue {
    /// Knex's default formatting: every plain value quoted (`'0'`), booleans as
    /// `'1'`/`'0'` on boolean columns, tables as JSON.
    fn sql(&self, ty: &ColumnType) -> String {
        match self {
            DefaultValue::Raw(raw) => inline_raw(raw),
            DefaultValue::Value(Value::Null) => "null".to_string(),
            DefaultValue::Value(v) if ty.is_bool() => {
                let truthy = match v {
                    Value::Bool(b) => *b,
                    Value::Int(i) => *i != 0,
                    Value::Float(f) => *f != 0.0,
                    Value::Text(s) => !s.is_empty() && s != "false",
                    _ => true,
                };
                format!("'{}'", if truthy { 1 } else { 0 })
            }
            DefaultValue::Value(v) => string_literal(&value_text(v)),
        }
    }
}

/// One `check*` modifier of a column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnCheck {
    pub name: Option<String>,
    pub kind: CheckKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    Positive,
    Negative,
    In(Vec<Value>),
    NotIn(Vec<Value>),
    Between(Vec<(Value, Value)>),
    Length(String, i64),
    Regex(String),
    /// `col:check(sql, bindings, name)` (Knex throws on PostgreSQL; here it works).
    Raw(Raw),
}

/// Comparison operators `checkLength` accepts (they are written into the SQL).
pub const LENGTH_OPERATORS: &[&str] = &["=", "!=", "<>", "<", "<=", ">", ">="];

impl ColumnCheck {
    /// The boolean expression, e.g. `"n" > 0`.
    pub fn expr(&self, column: &str) -> String {
        let col = quote_ident(column);
        let list = |vs: &[Value]| vs.iter().map(value_literal).collect::<Vec<_>>().join(",");
        match &self.kind {
            CheckKind::Positive => format!("{col} > 0"),
            CheckKind::Negative => format!("{col} < 0"),
            CheckKind::In(vs) => format!("{col} in ({})", list(vs)),
            CheckKind::NotIn(vs) => format!("{col} not in ({})", list(vs)),
            CheckKind::Between(ranges) => ranges
                .iter()
                .map(|(lo, hi)| {
                    format!(
                        "{col} between {} and {}",
                        value_literal(lo),
                        value_literal(hi)
                    )
                })
                .collect::<Vec<_>>()
                .join(" or "),
            CheckKind::Length(op, n) => format!("length({col}) {op} {n}"),
            CheckKind::Regex(re) => format!("{col} ~ {}", string_literal(re)),
            CheckKind::Raw(raw) => inline_raw(raw),
        }
    }

    /// ` check (…)` or ` constraint name check (…)` inside a column definition.
    fn inline(&self, column: &str) -> String {
        match &self.name {
            Some(name) => format!(
                " constraint {} check ({})",
                bare_or_quoted(name),
                self.expr(column)
            ),
            None => format!(" check ({})", self.expr(column)),
        }
    }
}

/// `.alter({ alterNullable, alterType })`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlterOptions {
    pub alter_nullable: bool,
    pub alter_type: bool,
}

impl Default for AlterOptions {
    fn default() -> Self {
        AlterOptions {
            alter_nullable: true,
            alter_type: true,
        }
    }
}

/// A column added by `createTable` / `alterTable`, or changed by `.alter()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    /// `Some(true)` `null`, `Some(false)` `not null`, `None` unsaid.
    pub nullable: Option<bool>,
    pub default: Option<DefaultValue>,
    pub comment: Option<String>,
    pub collate: Option<String>,
    pub checks: Vec<ColumnCheck>,
    /// `Some` when `.alter()` was called: the column is changed, not added.
    pub alter: Option<AlterOptions>,
}

impl Column {
    pub fn new(name: impl Into<String>, ty: ColumnType) -> Column {
        Column {
            name: name.into(),
            ty,
            nullable: None,
            default: None,
            comment: None,
            collate: None,
            checks: Vec::new(),
            alter: None,
        }
    }

    /// The native enum this column creates first, if any.
    pub fn native_enum(&self) -> Option<(&NativeEnum, &[String])> {
        match &self.ty {
            ColumnType::Enum(EnumType {
                values,
                native: Some(native),
            }) if !native.existing => Some((native, values)),
            _ => None,
        }
    }

    /// `"s" varchar(255) collate "C" not null default 'x' check (…)`: Knex's
    /// fixed modifier order (null, default, checks), whatever the call order.
    pub fn definition(&self, schema: Option<&str>, inline_pk: bool) -> String {
        let mut out = format!(
            "{} {}",
            quote_ident(&self.name),
            self.ty.definition(&self.name, schema, inline_pk)
        );
        if let Some(c) = &self.collate {
            out.push_str(&format!(" collate {}", quote_ident(c)));
        }
        match self.nullable {
            Some(true) => out.push_str(" null"),
            Some(false) => out.push_str(" not null"),
            None => {}
        }
        if let Some(d) = &self.default {
            out.push_str(" default ");
            out.push_str(&d.sql(&self.ty));
        }
        for check in &self.checks {
            out.push_str(&check.inline(&self.name));
        }
        out
    }

    /// `comment on column "t"."c" is '…'` (an empty comment removes it: `NULL`).
    pub fn comment_sql(&self, table: &str) -> Option<String> {
        self.comment.as_ref().map(|c| {
            let text = if c.is_empty() {
                "NULL".to_string()
            } else {
                string_literal(c)
            };
            format!(
                "comment on column {table}.{} is {text}",
                quote_ident(&self.name)
            )
        })
    }

    /// The `.alter()` sequence (reference §5.6): drop default, drop not null,
    /// change type, set default, set not null. `relation` is the bare table name
    /// (for the check-style enum's constraint name).
    pub fn alter_sql(
        &self,
        table: &str,
        relation: &str,
        schema: Option<&str>,
    ) -> Result<Vec<String>, SchemaError> {
        let opts = self.alter.unwrap_or_default();
        let col = quote_ident(&self.name);
        let prefix = format!("alter table {table} alter column {col}");
        let mut out = vec![format!("{prefix} drop default")];
        if opts.alter_nullable {
            out.push(format!("{prefix} drop not null"));
        }
        if opts.alter_type {
            let ty = self.ty.alter_type(schema);
            let collate = self
                .collate
                .as_ref()
                .map(|c| format!(" collate {}", quote_ident(c)))
                .unwrap_or_default();
            // Knex casts enums through text (`"e"::text::"e_t"`), which also
            // converts from a native enum to another type or back.
            let cast = match &self.ty {
                ColumnType::Enum(EnumType {
                    native: Some(_), ..
                }) => format!("{col}::text::{ty}"),
                _ => format!("{col}::{ty}"),
            };
            out.push(format!("{prefix} type {ty}{collate} using ({cast})"));
            // Knex puts the `check (…)` inside `type … using (…)` (a syntax
            // error); replacing the constraint PostgreSQL named for the
            // column's original inline check changes the allowed values.
            if let ColumnType::Enum(EnumType {
                values,
                native: None,
            }) = &self.ty
            {
                let name = quote_ident(&format!("{relation}_{}_check", self.name));
                out.push(format!(
                    "alter table {table} drop constraint if exists {name}"
                ));
                out.push(format!(
                    "alter table {table} add constraint {name} check ({})",
                    enum_check(&self.name, values)
                ));
            }
        }
        if let Some(d) = &self.default {
            out.push(format!("{prefix} set default {}", d.sql(&self.ty)));
        }
        if opts.alter_nullable && self.nullable == Some(false) {
            out.push(format!("{prefix} set not null"));
        }
        Ok(out)
    }

    /// After an `.alter()`: comment, then each check as its own constraint
    /// named `<table>_<column>_<n>` as Knex names them.
    pub fn alter_extras(&self, table: &str, table_raw: &str) -> Vec<String> {
        let mut out: Vec<String> = self.comment_sql(table).into_iter().collect();
        for (i, check) in self.checks.iter().enumerate() {
            let name = check
                .name
                .clone()
                .unwrap_or_else(|| format!("{table_raw}_{}_{}", self.name, i + 1));
            out.push(format!(
                "alter table {table} add constraint {} check({})",
                bare_or_quoted(&name),
                check.expr(&self.name)
            ));
        }
        out
    }
}
