//! `vectra-db lint`: static checks that keep migrations and seeds honest,
//! without running them (the files are parsed with `full_moon`, never executed).
//!
//! What it reports (the `rule` of each [`Finding`]):
//!
//! | rule | where | what |
//! |---|---|---|
//! | `literal-table-name` | migrations, seeds | a string literal used as a table name in a builder call |
//! | `literal-column-name` | migrations, seeds | a string literal (or a `name = …` key of a row table) used as a column name |
//! | `unknown-constant` | migrations, seeds | `C.columns.users.emial`-style paths that `lua/constants.lua` does not define |
//! | `missing-purpose` | migrations, seeds | no leading comment of at least three words saying why the file exists |
//! | `unfilled-purpose` | migrations, seeds | the leading comment still says `Purpose: TODO …` (the template's placeholder) |
//! | `missing-down` | migrations | the returned table has no `down` (rollback would fail) |
//! | `missing-up` / `missing-seed` | migrations / seeds | the file does not return a table with `up` / `seed` |
//! | `syntax-error` | every file | the file is not valid Lua 5.4 |
//! | `unreadable-file` | every file | the file cannot be read as UTF-8 text |
//! | `constants-error` | `lua/constants.lua` | the constants module fails to load or does not return a table |
//!
//! Which arguments of which builder calls are names is not listed here:
//! [`names`] reads it from the argument roles of the Lua API catalogue
//! ([`crate::api`]). The constants are resolved by *evaluating*
//! `lua/constants.lua` (see [`constants`] for why), so a message can name the
//! constant to use: ``use `C.tables.users` instead of "users"``.
//!
//! This module owns the checks and their report; the CLI verb (exit code,
//! `--json`, printing) lives with the other commands.

pub mod constants;
pub mod names;
pub mod purpose;
pub mod shape;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use constants::Constants;

/// What kind of Lua file a target is; decides which rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// A file of a migrations directory: every rule, including `missing-down`.
    Migration,
    /// A file of a seeds directory: every rule except the migration shape ones.
    Seed,
    /// Any other Lua file (constants, templates, LuaLS definitions): syntax only.
    Module,
}

/// One file to lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintTarget {
    pub path: PathBuf,
    pub kind: TargetKind,
}

impl LintTarget {
    pub fn migration(path: impl Into<PathBuf>) -> LintTarget {
        LintTarget {
            path: path.into(),
            kind: TargetKind::Migration,
        }
    }

    pub fn seed(path: impl Into<PathBuf>) -> LintTarget {
        LintTarget {
            path: path.into(),
            kind: TargetKind::Seed,
        }
    }

    pub fn module(path: impl Into<PathBuf>) -> LintTarget {
        LintTarget {
            path: path.into(),
            kind: TargetKind::Module,
        }
    }
}

/// The check that produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    LiteralTableName,
    LiteralColumnName,
    UnknownConstant,
    MissingPurpose,
    UnfilledPurpose,
    MissingDown,
    MissingUp,
    MissingSeed,
    SyntaxError,
    UnreadableFile,
    ConstantsError,
}

impl Rule {
    /// The rule's name as printed and as serialized (`literal-table-name`).
    pub fn name(self) -> &'static str {
        match self {
            Rule::LiteralTableName => "literal-table-name",
            Rule::LiteralColumnName => "literal-column-name",
            Rule::UnknownConstant => "unknown-constant",
            Rule::MissingPurpose => "missing-purpose",
            Rule::UnfilledPurpose => "unfilled-purpose",
            Rule::MissingDown => "missing-down",
            Rule::MissingUp => "missing-up",
            Rule::MissingSeed => "missing-seed",
            Rule::SyntaxError => "syntax-error",
            Rule::UnreadableFile => "unreadable-file",
            Rule::ConstantsError => "constants-error",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One problem, at a 1-based line and column of a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// The path as given in the [`LintTarget`] (or the constants path).
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub rule: Rule,
    pub message: String,
}

impl fmt::Display for Finding {
    /// `migrations/001_x.lua:12:20: literal-table-name: use `C.tables.users` instead of "users"`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, self.rule, self.message
        )
    }
}

/// Lints every target. `constants` is the path of `lua/constants.lua`; with
/// `None` (or when it fails to load, which is itself reported) literal names
/// are still reported, only without the constant to use instead.
///
/// Findings come back sorted by file, line and column; an empty vector means
/// the project is clean.
pub fn lint_project(files: &[LintTarget], constants: Option<&Path>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let loaded = match constants {
        None => Constants::default(),
        Some(path) => match Constants::load(path) {
            Ok(c) => c,
            Err(message) => {
                findings.push(Finding {
                    file: path.display().to_string(),
                    line: 1,
                    column: 1,
                    rule: Rule::ConstantsError,
                    message,
                });
                Constants::default()
            }
        },
    };
    for target in files {
        let display = target.path.display().to_string();
        match std::fs::read(&target.path) {
            Err(e) => findings.push(Finding {
                file: display,
                line: 1,
                column: 1,
                rule: Rule::UnreadableFile,
                message: format!("cannot read the file: {e}"),
            }),
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(_) => findings.push(Finding {
                    file: display,
                    line: 1,
                    column: 1,
                    rule: Rule::UnreadableFile,
                    message: "the file is not UTF-8 text".to_string(),
                }),
                Ok(source) => findings.extend(lint_source(&display, &source, target.kind, &loaded)),
            },
        }
    }
    findings.sort();
    findings.dedup();
    findings
}

/// Lints one file's text (`file` is only used in the findings). The building
/// block of [`lint_project`], public for editors and tests.
pub fn lint_source(
    file: &str,
    source: &str,
    kind: TargetKind,
    constants: &Constants,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |line: usize, column: usize, rule: Rule, message: String| {
        out.push(Finding {
            file: file.to_string(),
            line,
            column,
            rule,
            message,
        })
    };
    let parsed = full_moon::parse_fallible(source, full_moon::LuaVersion::lua54());
    if let Some(error) = parsed.errors().first() {
        let (start, _) = error.range();
        push(
            start.line().max(1),
            start.character().max(1),
            Rule::SyntaxError,
            format!("not valid Lua 5.4: {}", error.error_message()),
        );
        // A partial tree would only add noise on top of the real problem.
        return out;
    }
    if kind == TargetKind::Module {
        return out;
    }
    if let Some(issue) = purpose::check(source) {
        push(issue.line, 1, issue.rule, issue.message);
    }
    for issue in shape::check(parsed.ast(), kind) {
        push(issue.line, issue.column, issue.rule, issue.message);
    }
    for issue in names::check(parsed.ast(), constants) {
        push(issue.line, issue.column, issue.rule, issue.message);
    }
    out.sort();
    out.dedup();
    out
}

/// Lints a project as the CLI sees it: the `*.lua` files of the migrations and
/// seeds directories, with the constants found on `lua_path` (the first
/// `DIR/constants.lua` that exists, see [`constants_in`]). This is the one
/// call the `lint` verb needs; exit 1 when the result is not empty.
pub fn lint_directories(
    migrations: &[PathBuf],
    seeds: &[PathBuf],
    lua_path: &[PathBuf],
) -> std::io::Result<Vec<Finding>> {
    let targets = targets_in(migrations, seeds)?;
    let constants = constants_in(lua_path);
    Ok(lint_project(&targets, constants.as_deref()))
}

/// Where `require("constants")` would find the constants module: the first
/// `DIR/constants.lua` (then `DIR/constants/init.lua`) of `lua_path` that exists.
pub fn constants_in(lua_path: &[PathBuf]) -> Option<PathBuf> {
    lua_path.iter().find_map(|dir| {
        let module = names::CONSTANTS_MODULE;
        [
            dir.join(format!("{module}.lua")),
            dir.join(module).join("init.lua"),
        ]
        .into_iter()
        .find(|p| p.is_file())
    })
}

/// The `*.lua` files of the given migrations and seeds directories (not
/// recursive, sorted by file name, as the runner finds them). A missing
/// directory contributes no files.
pub fn targets_in(migrations: &[PathBuf], seeds: &[PathBuf]) -> std::io::Result<Vec<LintTarget>> {
    let mut out = Vec::new();
    for (dirs, kind) in [
        (migrations, TargetKind::Migration),
        (seeds, TargetKind::Seed),
    ] {
        for dir in dirs {
            if !dir.is_dir() {
                continue;
            }
            let mut files = Vec::new();
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_file() && path.extension().is_some_and(|e| e == "lua") {
                    files.push(path);
                }
            }
            files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
            out.extend(files.into_iter().map(|path| LintTarget { path, kind }));
        }
    }
    Ok(out)
}
