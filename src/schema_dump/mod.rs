//! `schema:dump` (SPEC §8): the TypeScript server's view of the database,
//! rendered from the catalog ([`crate::catalog`]) and `lua/constants.lua`.
//!
//! Four files, each a pure function of its inputs: `schema.sql`
//! ([`sql`]), `types.ts` and `zod.ts` ([`typescript`], from one type
//! [`mapping`]), `constants.ts` ([`constants`]). This module also compares
//! them with the files on disk (a unified diff for `--check`) and writes the
//! ones that changed. It prints nothing; the command decides what the user sees.

pub mod constants;
pub mod mapping;
pub mod names;
pub mod options;
pub mod sql;
pub mod typescript;

use std::path::{Path, PathBuf};

use crate::catalog::{self, Catalog, Ledger};
use crate::db::{Db, DbError};
use crate::lint::constants::Constants;

pub use options::{SchemaOptions, SchemasKeys, TypeMapping};

/// The generated files, in a fixed order: `(file name, content)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files(pub Vec<(&'static str, String)>);

/// Why the files could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("{0}")]
    Db(Box<DbError>),
    /// The constants module failed to load, or names collide.
    #[error("{0}")]
    Input(String),
}

impl From<DbError> for DumpError {
    fn from(e: DbError) -> Self {
        DumpError::Db(Box::new(e))
    }
}

/// Where the inputs come from.
pub struct Sources<'a> {
    pub ledger: Ledger<'a>,
    /// `lua_path`: `constants.lua` is looked up there as `require` would.
    pub lua_path: &'a [PathBuf],
    /// Paths in headers are shown relative to this directory.
    pub root: &'a Path,
    pub mapping: TypeMapping,
}

/// Reads the catalog and the constants and renders the four files.
pub fn generate(db: &mut Db, sources: &Sources<'_>) -> Result<Files, DumpError> {
    let catalog = catalog::read(db, &sources.ledger)?;
    let (constants, source) = match crate::lint::constants_in(sources.lua_path) {
        Some(path) => {
            let shown = path
                .strip_prefix(sources.root)
                .unwrap_or(&path)
                .display()
                .to_string();
            (
                Constants::load(&path).map_err(DumpError::Input)?,
                Some(shown),
            )
        }
        None => (Constants::default(), None),
    };
    let ledger = format!(
        "{0}.{1}, {0}.{1}_lock",
        sources.ledger.schema, sources.ledger.table
    );
    render(
        &catalog,
        &constants,
        source.as_deref(),
        &sources.mapping,
        &ledger,
    )
    .map_err(DumpError::Input)
}

/// Renders the four files from already-read inputs (no I/O).
pub fn render(
    catalog: &Catalog,
    constants: &Constants,
    constants_source: Option<&str>,
    mapping: &TypeMapping,
    ledger: &str,
) -> Result<Files, String> {
    let model = typescript::Model::new(catalog, mapping)?;
    Ok(Files(vec![
        ("schema.sql", sql::schema_sql(catalog, ledger)),
        ("types.ts", typescript::types_ts(&model)),
        ("zod.ts", typescript::zod_ts(&model)),
        (
            "constants.ts",
            constants::constants_ts(constants, constants_source),
        ),
    ]))
}

/// One generated file compared with the disk.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileStatus {
    pub file: &'static str,
    /// False when the file on disk already has exactly this content.
    pub changed: bool,
}

impl Files {
    /// Which files differ from those in `dir` (a missing file differs).
    pub fn compare(&self, dir: &Path) -> Vec<FileStatus> {
        self.0
            .iter()
            .map(|(file, content)| FileStatus {
                file,
                changed: std::fs::read(dir.join(file)).ok().as_deref() != Some(content.as_bytes()),
            })
            .collect()
    }

    /// A unified diff from the files in `dir` to these; `shown` is how `dir`
    /// is named in the `---`/`+++` lines. Empty when nothing differs.
    pub fn diff(&self, dir: &Path, shown: &str) -> String {
        let mut out = String::new();
        for (file, content) in &self.0 {
            let old = std::fs::read(dir.join(file))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            if old == *content {
                continue;
            }
            let path = format!("{}/{file}", shown.trim_end_matches('/'));
            let diff = similar::TextDiff::from_lines(&old, content);
            let text = diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string();
            out.push_str(&text);
            if !text.ends_with('\n') {
                out.push('\n');
            }
        }
        out
    }

    /// Writes the files that differ (creating `dir`), leaving identical ones
    /// untouched so their modification times stay.
    pub fn write(&self, dir: &Path) -> Result<Vec<FileStatus>, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        let status = self.compare(dir);
        for ((file, content), s) in self.0.iter().zip(&status) {
            if s.changed {
                let path = dir.join(file);
                std::fs::write(&path, content)
                    .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            }
        }
        Ok(status)
    }
}
