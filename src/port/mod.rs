//! `vectra-db port`: Knex JavaScript/TypeScript migrations and seeds converted
//! to Lua files with the same stems (SPEC §3, §8; docs/porting-from-knex.md).
//!
//! | file | owns |
//! |---|---|
//! | `read.rs` | which paths are sources; parsing one with `oxc_parser` |
//! | `convert.rs` | the JavaScript → Lua conversion and its `-- TODO(port):` markers |
//! | `lua_text.rs` | writing Lua text: literals, names, precedence, indentation |
//! | `constants.rs` | literal names → `lua/constants.lua` paths (the lint's rule) |
//!
//! This module puts them together ([`port_source`], pure text in, text out)
//! and decides where each file goes and whether it may be written
//! ([`run`]); the CLI verb only prints the [`Report`].

pub mod constants;
pub mod convert;
pub mod lua_text;
pub mod read;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::lint::Constants;

/// The marker every unconverted place starts with.
pub const TODO_MARKER: &str = "-- TODO(port):";

/// One place left to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Todo {
    /// 1-based line of the marker in the Lua file.
    pub line: usize,
    /// 1-based line of the construct in the original file.
    pub source_line: usize,
    pub reason: String,
}

/// One converted file's text.
#[derive(Debug, Clone)]
pub struct Ported {
    pub lua: String,
    pub todos: Vec<Todo>,
    /// Exports `seed` (goes to the seeds directory) rather than `up`.
    pub is_seed: bool,
}

/// Converts one file's text. `file_name` is shown in the output and picks
/// JavaScript or TypeScript by its extension. The result always loads as Lua
/// (checked here with mlua); a syntax error in the source is an `Err`.
pub fn port_source(file_name: &str, source: &str, names: &Constants) -> Result<Ported, String> {
    let draft = read::parse_and_convert(file_name, source)?;
    // The constants are reached through a local `C`; a file that binds `C`
    // to something else keeps its literals rather than risk the wrong `C`.
    let own_c = draft.body.lines().any(|l| {
        let l = l.trim_start();
        (l.starts_with("local C ")
            || l.starts_with("local C,")
            || l.starts_with("local function C("))
            && l != constants::require_line()
    });
    let (body, replaced) = if own_c {
        (draft.body.clone(), false)
    } else {
        constants::apply(&draft.body, names)
    };
    let mut lua = draft.header.join("\n");
    lua.push('\n');
    if replaced {
        lua.push_str(&constants::require_line());
        lua.push_str("\n\n");
    }
    lua.push_str(&body);
    let check = mlua::Lua::new();
    if let Err(e) = check
        .load(&lua)
        .set_name(format!("@{file_name}"))
        .into_function()
    {
        return Err(format!(
            "{file_name}: the converted Lua does not load ({}); this is a bug in `vectra-db port`, please report it with the file",
            e.to_string().lines().next().unwrap_or_default()
        ));
    }
    let lines: Vec<usize> = lua
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with(TODO_MARKER))
        .map(|(i, _)| i + 1)
        .collect();
    let todos = lines
        .into_iter()
        .zip(draft.markers)
        .map(|(line, m)| Todo {
            line,
            source_line: m.source_line,
            reason: m.reason,
        })
        .collect();
    Ok(Ported {
        lua,
        todos,
        is_seed: draft.is_seed,
    })
}

/// What `port` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct PortOptions {
    /// Where every file goes (`--out`); else by kind, below.
    pub out: Option<PathBuf>,
    pub migrations_dir: Option<PathBuf>,
    pub seeds_dir: Option<PathBuf>,
    /// `lua/constants.lua`, for literal names → constants.
    pub constants: Option<PathBuf>,
    pub force: bool,
    /// Write nothing; report files whose conversion differs from the `.lua` on disk.
    pub check: bool,
}

/// What happened to one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Written,
    /// The `.lua` file already holds exactly this conversion.
    Unchanged,
    /// `--check`: converting again would change (or create) the `.lua` file.
    WouldChange,
    /// The `.lua` file exists with other content and `--force` was not given.
    Refused,
    /// The source could not be read or parsed.
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub source: PathBuf,
    pub target: Option<PathBuf>,
    pub status: Status,
    pub todos: Vec<Todo>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub files: Vec<FileReport>,
}

impl Report {
    pub fn todo_count(&self) -> usize {
        self.files.iter().map(|f| f.todos.len()).sum()
    }

    /// 0 when every file converted completely, 1 otherwise. With `--check`
    /// only drift counts: a `.lua` file that equals its conversion passes,
    /// markers and all (they were reported when it was written).
    pub fn exit_code(&self, check: bool) -> u8 {
        let bad = self.files.iter().any(|f| {
            (!check && !f.todos.is_empty())
                || matches!(
                    f.status,
                    Status::WouldChange | Status::Refused | Status::Failed
                )
        });
        u8::from(bad)
    }
}

/// Converts every source under `paths`. An `Err` is a usage problem (a path
/// that does not exist, constants that do not load, nowhere to write).
pub fn run(paths: &[PathBuf], options: &PortOptions) -> Result<Report, String> {
    let sources = read::sources(paths)?;
    if sources.is_empty() {
        return Err("no .js, .ts, .mjs or .cjs files found in the given paths".to_string());
    }
    let names = match &options.constants {
        Some(path) => Constants::load(path)?,
        None => Constants::default(),
    };
    let mut report = Report::default();
    let mut seen = std::collections::HashMap::new();
    for source in sources {
        // `a.js` and `a.ts` would both become `a.lua`: neither is chosen.
        let stem = source.file_stem().map(|s| s.to_os_string());
        if let Some(first) = seen.insert(stem, source.clone()) {
            report.files.push(FileReport {
                source: source.clone(),
                target: None,
                status: Status::Failed,
                todos: Vec::new(),
                error: Some(format!(
                    "`{}` and `{}` would both become the same `.lua` file; port one of them",
                    first.display(),
                    source.display()
                )),
            });
            continue;
        }
        report.files.push(port_file(&source, &names, options)?);
    }
    Ok(report)
}

fn port_file(
    source: &Path,
    names: &Constants,
    options: &PortOptions,
) -> Result<FileReport, String> {
    let failed = |error: String| FileReport {
        source: source.to_path_buf(),
        target: None,
        status: Status::Failed,
        todos: Vec::new(),
        error: Some(error),
    };
    let text = match std::fs::read(source) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => return Ok(failed(format!("`{}` is not UTF-8 text", source.display()))),
        },
        Err(e) => return Ok(failed(format!("cannot read `{}`: {e}", source.display()))),
    };
    let display = source.display().to_string();
    let ported = match port_source(&display, &text, names) {
        Ok(p) => p,
        Err(e) => return Ok(failed(e)),
    };
    let dir = match (&options.out, ported.is_seed) {
        (Some(out), _) => out.clone(),
        (None, true) => options.seeds_dir.clone().ok_or_else(|| {
            format!("`{display}` is a seed and no seeds directory is configured; give `--out DIR`")
        })?,
        (None, false) => options.migrations_dir.clone().ok_or_else(|| {
            format!("`{display}` is a migration and no migrations directory is configured; give `--out DIR`")
        })?,
    };
    let stem = source
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let target = dir.join(format!("{stem}.lua"));
    let existing = std::fs::read_to_string(&target).ok();
    let status = if existing.as_deref() == Some(ported.lua.as_str()) {
        Status::Unchanged
    } else if options.check {
        Status::WouldChange
    } else if existing.is_some() && !options.force {
        Status::Refused
    } else {
        if let Err(e) =
            std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&target, &ported.lua))
        {
            return Ok(FileReport {
                error: Some(format!("cannot write `{}`: {e}", target.display())),
                ..failed(String::new())
            });
        }
        Status::Written
    };
    Ok(FileReport {
        source: source.to_path_buf(),
        target: Some(target),
        status,
        todos: ported.todos,
        error: None,
    })
}
