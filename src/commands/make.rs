//! `migrate:make` and `seed:make`: new files from the project's templates.

use std::path::{Path, PathBuf};

use crate::config::Settings;
use crate::runner::files;
use crate::runner::RunnerError;

// The built-in stubs are for projects without `lua/templates/`; they do not
// `require("constants")`, which such a project may not have. The
// `---@param knex Knex` lines let LuaLS / emmylua type `knex` (lua/types/).
const MIGRATION_STUB: &str = r#"-- Purpose: TODO say why this migration exists.
return {
  ---@param knex Knex
  up = function(knex)
  end,

  ---@param knex Knex
  down = function(knex)
  end,
}
"#;

const SEED_STUB: &str = r#"-- Purpose: TODO say what data this seed provides.
return {
  ---@param knex Knex
  seed = function(knex)
  end,
}
"#;

/// Checks a user-given name: non-empty, one leading `-` dropped (as Knex
/// does), then letters, digits, `_` and `-` only, so it is a safe file name.
fn validate(kind: &str, raw: &str) -> Result<String, RunnerError> {
    let name = raw.trim();
    let name = name.strip_prefix('-').unwrap_or(name);
    let name = name.strip_suffix(".lua").unwrap_or(name);
    if name.is_empty() {
        return Err(RunnerError::Usage(format!(
            "the {kind} name must not be empty"
        )));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(RunnerError::Usage(format!(
            "invalid {kind} name `{raw}`: `{bad}` is not allowed (use letters, digits, `_` and `-`)"
        )));
    }
    Ok(name.to_string())
}

/// The template: `--stub FILE`, else `templates/<kind>.lua` in a `lua_path`
/// directory, else the built-in one. `{{name}}` is replaced by the name.
fn template(
    settings: &Settings,
    kind: &str,
    stub: Option<&Path>,
    builtin: &str,
) -> Result<String, RunnerError> {
    let path = match stub {
        Some(p) => Some(p.to_path_buf()),
        None => settings
            .lua_path
            .iter()
            .map(|dir| dir.join("templates").join(format!("{kind}.lua")))
            .find(|p| p.is_file()),
    };
    match path {
        Some(p) => std::fs::read_to_string(&p).map_err(|e| {
            RunnerError::Usage(format!("cannot read template `{}`: {e}", p.display()))
        }),
        None => Ok(builtin.to_string()),
    }
}

fn write_new(path: &Path, text: &str) -> Result<(), RunnerError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| RunnerError::Io(format!("cannot create `{}`: {e}", dir.display())))?;
    }
    // create_new: never overwrite (Knex silently does).
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| RunnerError::Usage(format!("cannot create `{}`: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .map_err(|e| RunnerError::Io(format!("cannot write `{}`: {e}", path.display())))
}

fn last_dir(dirs: &[PathBuf], what: &str) -> Result<PathBuf, RunnerError> {
    dirs.last()
        .cloned()
        .ok_or_else(|| RunnerError::Config(format!("no {what} directory configured")))
}

/// `YYYYMMDDHHMMSS` in UTC, bumped by a second while it would reuse a file name.
fn free_timestamp(dir: &Path, name: &str) -> String {
    let mut t = chrono::Utc::now();
    loop {
        let stamp = t.format("%Y%m%d%H%M%S").to_string();
        if !dir.join(format!("{stamp}_{name}.lua")).exists() {
            return stamp;
        }
        t += chrono::Duration::seconds(1);
    }
}

pub fn migration(
    settings: &Settings,
    raw_name: &str,
    stub: Option<&Path>,
) -> Result<PathBuf, RunnerError> {
    let name = validate("migration", raw_name)?;
    let existing = files::discover(&settings.migrations, &settings.root, true)?;
    if let Some(clash) = existing.iter().find(|f| {
        f.stem()
            .split_once('_')
            .map(|(_, rest)| rest == name)
            .unwrap_or(false)
    }) {
        return Err(RunnerError::Usage(format!(
            "a migration named `{name}` already exists: `{}`; choose another name",
            clash.display
        )));
    }
    let dir = last_dir(&settings.migrations, "migrations")?;
    let text = template(settings, "migration", stub, MIGRATION_STUB)?.replace("{{name}}", &name);
    let path = dir.join(format!("{}_{name}.lua", free_timestamp(&dir, &name)));
    write_new(&path, &text)?;
    Ok(path)
}

pub fn seed(
    settings: &Settings,
    raw_name: &str,
    stub: Option<&Path>,
    timestamp: bool,
) -> Result<PathBuf, RunnerError> {
    let name = validate("seed", raw_name)?;
    let dir = last_dir(&settings.seeds, "seeds")?;
    let file = if timestamp {
        format!("{}_{name}.lua", free_timestamp(&dir, &name))
    } else {
        format!("{name}.lua")
    };
    let path = dir.join(file);
    if path.exists() {
        return Err(RunnerError::Usage(format!(
            "`{}` already exists; choose another name",
            path.display()
        )));
    }
    let text = template(settings, "seed", stub, SEED_STUB)?.replace("{{name}}", &name);
    write_new(&path, &text)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn names_are_validated() {
        assert_eq!(
            validate("migration", "create_users").unwrap(),
            "create_users"
        );
        assert_eq!(validate("migration", "-dash").unwrap(), "dash");
        assert!(validate("migration", "").is_err());
        assert!(validate("migration", "  ").is_err());
        assert!(validate("migration", "../evil").is_err());
        assert!(validate("migration", "with space").is_err());
    }
}
