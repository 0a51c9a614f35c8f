//! Migration and seed files on disk: discovery, ordering, checksums.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::RunnerError;

/// A `.lua` file found in one of the configured directories.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The base name, e.g. `20241125093000_create_users.lua` (the ledger `name`).
    pub name: String,
    pub path: PathBuf,
    /// How messages show it: relative to the project root.
    pub display: String,
}

impl SourceFile {
    /// The name without its extension: what a Knex row `….js` / `….ts` matches.
    pub fn stem(&self) -> &str {
        stem(&self.name)
    }

    /// Reads the file once; the bytes serve both the checksum and the Lua loader.
    pub fn read(&self) -> Result<Vec<u8>, RunnerError> {
        std::fs::read(&self.path)
            .map_err(|e| RunnerError::Io(format!("cannot read `{}`: {e}", self.display)))
    }
}

/// A ledger name without the extensions Knex records (`.js .ts .cjs .mjs`) or ours (`.lua`).
pub fn stem(name: &str) -> &str {
    for ext in [".lua", ".js", ".ts", ".cjs", ".mjs"] {
        if let Some(s) = name.strip_suffix(ext) {
            return s;
        }
    }
    name
}

/// Whether a name given on the command line means the file or ledger row
/// `candidate`: the name as the ledger has it (`…_types.js.js`), the file
/// stem (`…_types.js`), or the file name (`…_types.js.lua`).
pub fn names_match(given: &str, candidate: &str) -> bool {
    given == candidate || given == stem(candidate) || stem(given) == stem(candidate)
}

/// Every `*.lua` file directly inside `dirs`, sorted by base name (byte order,
/// as Knex sorts across directories). Two files with one base name are an error:
/// the ledger could not tell them apart. A missing directory counts as empty
/// when `missing_ok`.
pub fn discover(
    dirs: &[PathBuf],
    root: &Path,
    missing_ok: bool,
) -> Result<Vec<SourceFile>, RunnerError> {
    let mut files: Vec<SourceFile> = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            if missing_ok {
                continue;
            }
            return Err(RunnerError::Config(format!(
                "directory `{}` does not exist (check `migrations` / `seeds` in the config)",
                crate::lua::display_path(dir, root)
            )));
        }
        for entry in walkdir::WalkDir::new(dir).min_depth(1).max_depth(1) {
            let entry = entry
                .map_err(|e| RunnerError::Io(format!("cannot list `{}`: {e}", dir.display())))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().to_string();
            if !name.ends_with(".lua") || name.starts_with('.') {
                continue;
            }
            files.push(SourceFile {
                display: crate::lua::display_path(entry.path(), root),
                path: entry.into_path(),
                name,
            });
        }
    }
    files.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    for pair in files.windows(2) {
        if pair[0].stem() == pair[1].stem() {
            return Err(RunnerError::Config(format!(
                "duplicate name `{}`: `{}` and `{}` (the ledger records base names only)",
                pair[0].name, pair[0].display, pair[1].display
            )));
        }
    }
    Ok(files)
}

/// Hex SHA-256 of a file's bytes: what the ledger's `checksum` column holds.
pub fn checksum(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_ignore_knex_and_lua_extensions() {
        assert_eq!(stem("001_a.js"), "001_a");
        assert_eq!(stem("001_a.ts"), "001_a");
        assert_eq!(stem("001_a.lua"), "001_a");
        assert_eq!(stem("001_a.sql"), "001_a.sql");
        // A Knex ledger row `…_types.js.js`, ported to `…_types.js.lua`.
        for given in ["001_types.js.js", "001_types.js", "001_types.js.lua"] {
            assert!(names_match(given, "001_types.js.lua"), "{given}");
            assert!(names_match(given, "001_types.js.js"), "{given}");
        }
        assert!(!names_match("001_types", "001_types.js.lua"));
        assert!(names_match("001_a", "001_a.lua"));
    }

    #[test]
    fn checksum_is_sha256_hex() {
        assert_eq!(
            checksum(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
