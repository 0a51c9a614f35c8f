//! Migration and seed files on disk: discovery, ordering, checksums.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

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
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(DIGITS[usize::from(b >> 4)].into());
        hex.push(DIGITS[usize::from(b & 15)].into());
    }
    hex
}

/// A file's bytes and their [`checksum`].
pub struct Contents {
    pub bytes: Vec<u8>,
    pub checksum: String,
}

impl Contents {
    fn of(file: &SourceFile) -> Result<Contents, RunnerError> {
        let bytes = file.read()?;
        Ok(Contents {
            checksum: checksum(&bytes),
            bytes,
        })
    }
}

/// What [`ReadAhead`]'s thread found: the listing (until it is taken), and
/// every listed file's contents (or why it could not be read).
struct ReadFiles {
    listing: Option<Result<Vec<SourceFile>, RunnerError>>,
    contents: HashMap<PathBuf, Result<Contents, RunnerError>>,
}

/// The migration directories listed, and every file read and hashed, on a
/// thread of its own that starts before the run connects. A run needs the
/// applied files' checksums and the files it runs only once it holds the
/// lock; read then, 1000 files take ~15 ms with the lock held and the server
/// idle, read ahead they are ready by the time the ledger is.
///
/// Invisible to the user: a missing directory or a file that cannot be read
/// is reported where and when it would be without reading ahead (when the
/// listing or that file is needed); a file asked for twice, or not found in
/// the listing, is read from disk again.
pub struct ReadAhead {
    dirs: Vec<PathBuf>,
    root: PathBuf,
    thread: Option<JoinHandle<ReadFiles>>,
    read: Option<ReadFiles>,
    listed: ListedCount,
}

/// How many files a [`ReadAhead`] listed, known as soon as it has listed
/// them (before it has read them): for work sized by the number of files.
#[derive(Debug, Clone, Default)]
pub struct ListedCount(Arc<OnceLock<usize>>);

impl ListedCount {
    /// `None` until the directories are listed (0 if they could not be).
    pub fn get(&self) -> Option<usize> {
        self.0.get().copied()
    }

    fn set(&self, count: usize) {
        let _ = self.0.set(count);
    }
}

impl ReadAhead {
    /// Starts reading `dirs` (the `migrations` setting, a missing directory
    /// an error as in [`discover`]).
    pub fn start(dirs: &[PathBuf], root: &Path) -> ReadAhead {
        let (owned_dirs, owned_root) = (dirs.to_vec(), root.to_path_buf());
        let listed = ListedCount::default();
        let count = listed.clone();
        let thread = std::thread::Builder::new()
            .name("vectra-db-read-ahead".into())
            .spawn(move || {
                let listing = discover(&owned_dirs, &owned_root, false);
                count.set(listing.as_ref().map_or(0, Vec::len));
                let contents = match &listing {
                    Ok(files) => files
                        .iter()
                        .map(|f| (f.path.clone(), Contents::of(f)))
                        .collect(),
                    Err(_) => HashMap::new(),
                };
                ReadFiles {
                    listing: Some(listing),
                    contents,
                }
            })
            // No thread to be had: everything is read when needed instead.
            .ok();
        if thread.is_none() {
            listed.set(0);
        }
        ReadAhead {
            thread,
            listed,
            ..ReadAhead::none(dirs, root)
        }
    }

    /// How many files the thread listed, once it has.
    pub fn listed(&self) -> ListedCount {
        self.listed.clone()
    }

    /// Reads nothing ahead: every file is read when it is needed.
    pub fn none(dirs: &[PathBuf], root: &Path) -> ReadAhead {
        ReadAhead {
            dirs: dirs.to_vec(),
            root: root.to_path_buf(),
            thread: None,
            read: None,
            listed: {
                let listed = ListedCount::default();
                listed.set(0);
                listed
            },
        }
    }

    /// Waits for the thread (doing the calling thread's idle work, see
    /// [`crate::db::idle`], meanwhile); `None` if it could not start or panicked.
    fn finished(&mut self) -> Option<&mut ReadFiles> {
        if let Some(thread) = self.thread.take() {
            while !thread.is_finished() && crate::db::idle::step() {}
            self.read = thread.join().ok();
        }
        self.read.as_mut()
    }

    /// The files of the directories, as [`discover`] lists them: listed
    /// ahead once, listed again after that.
    pub fn listing(&mut self) -> Result<Vec<SourceFile>, RunnerError> {
        match self.finished().and_then(|read| read.listing.take()) {
            Some(listing) => listing,
            None => discover(&self.dirs, &self.root, false),
        }
    }

    /// One file's contents: read ahead once, from disk after that.
    pub fn contents(&mut self, file: &SourceFile) -> Result<Contents, RunnerError> {
        match self
            .finished()
            .and_then(|read| read.contents.remove(&file.path))
        {
            Some(contents) => contents,
            None => Contents::of(file),
        }
    }
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
    fn read_ahead_gives_what_the_disk_gives_and_rereads_after() {
        let dir = tempfile::tempdir().unwrap();
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).unwrap();
        for (name, text) in [
            ("002_b.lua", "return {}"),
            ("001_a.lua", "-- a"),
            ("x.txt", ""),
        ] {
            std::fs::write(migrations.join(name), text).unwrap();
        }
        let dirs = [migrations.clone()];
        let mut ahead = ReadAhead::start(&dirs, dir.path());
        let listed = ahead.listing().unwrap();
        let names: Vec<&str> = listed.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["001_a.lua", "002_b.lua"]);
        let on_disk = discover(&dirs, dir.path(), false).unwrap();
        assert_eq!(listed[1].display, on_disk[1].display);
        let first = ahead.contents(&listed[1]).unwrap();
        assert_eq!(first.bytes, b"return {}");
        assert_eq!(first.checksum, checksum(b"return {}"));
        // Asked again, the file is read again: what it holds now.
        std::fs::write(&listed[1].path, "return { up = 1 }").unwrap();
        assert_eq!(
            ahead.contents(&listed[1]).unwrap().bytes,
            b"return { up = 1 }"
        );
        // Reading nothing ahead gives the same.
        let mut lazy = ReadAhead::none(&dirs, dir.path());
        assert_eq!(lazy.listing().unwrap().len(), 2);
        assert_eq!(lazy.contents(&listed[0]).unwrap().bytes, b"-- a");
    }

    #[test]
    fn read_ahead_reports_a_missing_directory_as_discover_does() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = [dir.path().join("nowhere")];
        let expected = discover(&dirs, dir.path(), false).unwrap_err().to_string();
        let got = ReadAhead::start(&dirs, dir.path()).listing().unwrap_err();
        assert_eq!(got.to_string(), expected);
        assert!(
            expected.contains("directory `nowhere` does not exist"),
            "{expected}"
        );
    }

    #[test]
    fn checksum_is_sha256_hex() {
        assert_eq!(
            checksum(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
