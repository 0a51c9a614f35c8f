//! The `[schemas]` table of `vectra-db.toml`: where `schema:dump` writes,
//! whether the migrate verbs regenerate the files, and the TypeScript types
//! of the PostgreSQL types whose node-postgres parser a server often replaces.
//!
//! ```toml
//! [schemas]
//! dir = "schemas"       # relative to vectra-db.toml; `--out DIR` overrides
//! auto = false          # migrate:* and db:setup/db:reset regenerate the files
//! int8 = "string"       # "number" | "bigint"
//! numeric = "string"    # "number"
//! date = "Date"         # "string"
//! timestamp = "Date"    # "string" (timestamp and timestamptz)
//! json = "unknown"      # "json": a recursive `Json` type instead
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The keys as written in the file; unknown keys are an error naming the valid ones.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemasKeys {
    dir: Option<String>,
    auto: Option<bool>,
    #[serde(default)]
    int8: Int8Type,
    #[serde(default)]
    numeric: NumericType,
    #[serde(default)]
    date: DateType,
    #[serde(default)]
    timestamp: DateType,
    #[serde(default)]
    json: JsonType,
}

/// `int8` / `bigint` (node-postgres: a string, since it may not fit a JS number).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Int8Type {
    #[default]
    String,
    Number,
    Bigint,
}

/// `numeric` (node-postgres: a string, exact).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumericType {
    #[default]
    String,
    Number,
}

/// `date`, `timestamp`, `timestamptz` (node-postgres: a `Date`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum DateType {
    #[default]
    Date,
    #[serde(rename = "string")]
    String,
}

/// `json` / `jsonb` (node-postgres: whatever `JSON.parse` returns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonType {
    #[default]
    Unknown,
    Json,
}

/// How PostgreSQL types become TypeScript types (see [`super::mapping`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeMapping {
    pub int8: Int8Type,
    pub numeric: NumericType,
    pub date: DateType,
    pub timestamp: DateType,
    pub json: JsonType,
}

/// The resolved `[schemas]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaOptions {
    /// Absolute (joined to the config file's directory).
    pub dir: PathBuf,
    pub auto: bool,
    pub mapping: TypeMapping,
}

impl SchemasKeys {
    /// Resolves paths against `root`, the config file's directory.
    pub fn resolve(self, root: &Path) -> SchemaOptions {
        SchemaOptions {
            dir: root.join(self.dir.unwrap_or_else(|| "schemas".to_string())),
            auto: self.auto.unwrap_or(false),
            mapping: TypeMapping {
                int8: self.int8,
                numeric: self.numeric,
                date: self.date,
                timestamp: self.timestamp,
                json: self.json,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_node_postgres_defaults() {
        let o: SchemasKeys = toml::from_str("").expect("empty table");
        let o = o.resolve(Path::new("/p"));
        assert_eq!(o.dir, PathBuf::from("/p/schemas"));
        assert!(!o.auto);
        assert_eq!(o.mapping, TypeMapping::default());
    }

    #[test]
    fn values_and_keys_are_checked() {
        let o: SchemasKeys =
            toml::from_str("int8 = \"bigint\"\ndate = \"string\"\njson = \"json\"\nauto = true")
                .expect("valid");
        let o = o.resolve(Path::new("/p"));
        assert!(o.auto);
        assert_eq!(o.mapping.int8, Int8Type::Bigint);
        assert_eq!(o.mapping.date, DateType::String);
        assert_eq!(o.mapping.timestamp, DateType::Date);
        assert_eq!(o.mapping.json, JsonType::Json);
        let e = toml::from_str::<SchemasKeys>("int8 = \"long\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `long`"), "{e}");
        let e = toml::from_str::<SchemasKeys>("outdir = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `outdir`"), "{e}");
    }
}
