//! Reading the Knex files: which paths are sources (`.js .ts .mjs .cjs`, or
//! directories of them), and parsing one with `oxc_parser` (TypeScript is read
//! natively; type syntax is in the tree and the converter drops it).
//!
//! It does not convert anything; see `convert.rs`.

use std::path::{Path, PathBuf};

use oxc_allocator::Allocator;
use oxc_parser::Parser;
use oxc_span::SourceType;

use super::convert::{self, Draft};

/// Extensions of the files Knex loads that `port` reads.
pub const EXTENSIONS: &[&str] = &["js", "ts", "mjs", "cjs"];

/// The source files named by `paths`: files as given, directories expanded to
/// their direct children with a Knex extension (sorted by name, like Knex;
/// `.d.ts` declaration files skipped). A path that is neither is an error.
pub fn sources(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| format!("cannot read the directory `{}`: {e}", path.display()))?;
            let mut found = Vec::new();
            for entry in entries {
                let entry = entry
                    .map_err(|e| format!("cannot read the directory `{}`: {e}", path.display()))?;
                let p = entry.path();
                if p.is_file() && is_source(&p) {
                    found.push(p);
                }
            }
            found.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
            out.extend(found);
        } else if path.is_file() {
            if !is_source(path) {
                return Err(format!(
                    "`{}` is not a JavaScript or TypeScript file (.js .ts .mjs .cjs)",
                    path.display()
                ));
            }
            out.push(path.clone());
        } else {
            return Err(format!("`{}` does not exist", path.display()));
        }
    }
    Ok(out)
}

fn is_source(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    !name.ends_with(".d.ts")
        && path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
}

/// Parses `source` (named `file_name`, whose extension picks JavaScript or
/// TypeScript) and converts it. A syntax error is returned as a ready-to-print
/// message with its line.
pub fn parse_and_convert(file_name: &str, source: &str) -> Result<Draft, String> {
    let allocator = Allocator::default();
    let extension = Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("js");
    let source_type = SourceType::from_extension(extension)
        .map_err(|_| format!("`{file_name}`: unknown extension `{extension}`"))?;
    // CommonJS files (`exports.up = …`) parse as modules too: oxc accepts both.
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if parsed.panicked || !parsed.diagnostics.is_empty() {
        let first = parsed.diagnostics.first();
        let line = first
            .and_then(|d| d.labels.first())
            .map(|l| {
                source[..(l.offset() as usize).min(source.len())]
                    .matches('\n')
                    .count()
                    + 1
            })
            .unwrap_or(1);
        let message = first
            .map(|d| d.message.to_string())
            .unwrap_or_else(|| "the parser gave up".to_string());
        return Err(format!(
            "{file_name}:{line}: not valid JavaScript/TypeScript: {message}"
        ));
    }
    Ok(convert::convert(file_name, source, &parsed.program))
}
