//! Errors raised inside Lua callbacks, and the one error type a script run returns.

use std::fmt;

use mlua::Lua;

use crate::db::DbError;

/// An error a Rust callback raises into Lua, stamped with the caller's `file:line`.
#[derive(Debug, Clone)]
pub struct BridgeError {
    pub location: Option<String>,
    pub message: String,
    pub db: Option<Box<DbError>>,
}

impl fmt::Display for BridgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(db) = &self.db {
            write!(f, ": {db}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BridgeError {}

/// The innermost frame of the user's Lua that called into Rust:
/// `migrations/001_users.lua:5`. Only chunks loaded from files count (their
/// names start with `@`): C functions and mlua's own helper chunks
/// (`__mlua_index`, …) are stepped over.
pub fn caller_location(lua: &Lua) -> Option<String> {
    (1..32).find_map(|level| {
        lua.inspect_stack(level, |d| {
            let line = d.current_line()?;
            let src = d.source();
            if src.what == "C" || !src.source.as_deref().is_some_and(|s| s.starts_with('@')) {
                return None;
            }
            Some(format!("{}:{line}", src.short_src?))
        })
        .flatten()
    })
}

/// A misuse of the API (bad argument, unknown option) at the caller's line.
pub fn usage_error(lua: &Lua, message: impl Into<String>) -> mlua::Error {
    mlua::Error::external(BridgeError {
        location: caller_location(lua),
        message: message.into(),
        db: None,
    })
}

/// A statement that PostgreSQL rejected, at the line of the builder call that made it.
pub fn db_error(lua: &Lua, err: DbError) -> mlua::Error {
    db_error_at(caller_location(lua), err)
}

/// Same as [`db_error`] with a location recorded earlier (where a query was
/// built). A statement sent ahead that failed is blamed on the line that sent
/// it (its `origin`), whichever call reports it.
pub fn db_error_at(location: Option<String>, err: DbError) -> mlua::Error {
    mlua::Error::external(BridgeError {
        location: err.origin.clone().or(location),
        message: "statement failed".into(),
        db: Some(Box::new(err)),
    })
}

/// Why a migration or seed file failed: where, what, and the SQL if any.
#[derive(Debug, Clone)]
pub struct ScriptError {
    pub file: String,
    /// `file:line` of the Lua code at fault, when known.
    pub location: Option<String>,
    pub message: String,
    pub db: Option<Box<DbError>>,
}

impl ScriptError {
    pub fn shape(file: &str, message: impl Into<String>) -> ScriptError {
        ScriptError {
            file: file.to_string(),
            location: None,
            message: message.into(),
            db: None,
        }
    }

    /// A statement that failed while no Lua call was waiting for it (it was
    /// sent ahead): its `origin` says which line sent it.
    pub fn from_db(file: &str, err: DbError) -> ScriptError {
        ScriptError {
            file: origin_file(err.origin.as_deref())
                .unwrap_or(file)
                .to_string(),
            location: err.origin.clone(),
            message: "statement failed".into(),
            db: Some(Box::new(err)),
        }
    }

    pub fn from_lua(file: &str, err: mlua::Error) -> ScriptError {
        if let Some(bridge) = err.downcast_ref::<BridgeError>() {
            return ScriptError {
                file: file.to_string(),
                location: bridge.location.clone(),
                message: bridge.message.clone(),
                db: bridge.db.clone(),
            };
        }
        let (message, traceback) = match &err {
            mlua::Error::SyntaxError { message, .. } => {
                let (location, rest) = match leading_location(message, file) {
                    Some((loc, rest)) => (Some(loc), rest),
                    None => (None, message.clone()),
                };
                return ScriptError {
                    file: file.to_string(),
                    location,
                    message: format!("syntax error: {rest}"),
                    db: None,
                };
            }
            mlua::Error::RuntimeError(m) => split_traceback(m),
            mlua::Error::CallbackError { cause, traceback } => {
                (innermost(cause).to_string(), Some(traceback.clone()))
            }
            other => (other.to_string(), None),
        };
        // Lua's own messages start with `file:line:`; take the location from
        // there, else from the first frame of the traceback in the user's file.
        let (location, message) = match leading_location(&message, file) {
            Some((loc, rest)) => (Some(loc), rest),
            None => (
                traceback.as_deref().and_then(|t| frame_in(t, file)),
                message,
            ),
        };
        ScriptError {
            file: file.to_string(),
            location,
            message,
            db: None,
        }
    }
}

/// `migrations/001_a.lua:12` → `migrations/001_a.lua`.
pub fn origin_file(location: Option<&str>) -> Option<&str> {
    location
        .and_then(|l| l.rsplit_once(':'))
        .map(|(file, _)| file)
}

fn innermost(err: &mlua::Error) -> &mlua::Error {
    match err {
        mlua::Error::CallbackError { cause, .. } | mlua::Error::WithContext { cause, .. } => {
            innermost(cause)
        }
        other => other,
    }
}

fn split_traceback(message: &str) -> (String, Option<String>) {
    match message.split_once("\nstack traceback:") {
        Some((m, t)) => (m.to_string(), Some(t.to_string())),
        None => (message.to_string(), None),
    }
}

/// `migrations/x.lua:12: boom` → (`migrations/x.lua:12`, `boom`).
fn leading_location(message: &str, file: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix(file)?.strip_prefix(':')?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let text = rest[digits.len()..].trim_start_matches(':').trim_start();
    Some((format!("{file}:{digits}"), text.to_string()))
}

fn frame_in(traceback: &str, file: &str) -> Option<String> {
    traceback.lines().find_map(|line| {
        let line = line.trim();
        let rest = line.strip_prefix(file)?.strip_prefix(':')?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        (!digits.is_empty()).then(|| format!("{file}:{digits}"))
    })
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(db) = &self.db else {
            write!(f, "{}", self.message)?;
            return write!(
                f,
                "\n  --> {}",
                self.location.as_deref().unwrap_or(&self.file)
            );
        };
        // PostgreSQL's own words first, then where, then the statement.
        write!(f, "{}", db.message)?;
        if let Some(code) = &db.code {
            write!(f, " (SQLSTATE {code})")?;
        }
        write!(
            f,
            "\n  --> {}",
            self.location.as_deref().unwrap_or(&self.file)
        )?;
        if !db.sql.is_empty() {
            write!(f, "\n  sql: {}", db.sql)?;
            if let Some(pos) = db.position {
                // A caret under the spot when the statement is one line.
                if db.sql.contains('\n') {
                    write!(f, "\n  position: {pos}")?;
                } else {
                    let col = db.sql.chars().take(pos.saturating_sub(1) as usize).count();
                    write!(f, "\n       {}^ position: {pos}", " ".repeat(col))?;
                }
            }
        }
        if let Some(detail) = &db.detail {
            write!(f, "\n  detail: {detail}")?;
        }
        if let Some(hint) = &db.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScriptError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lua_locations_are_parsed() {
        let (loc, rest) =
            leading_location("migrations/a.lua:12: boom", "migrations/a.lua").unwrap();
        assert_eq!(loc, "migrations/a.lua:12");
        assert_eq!(rest, "boom");
        assert_eq!(
            frame_in(
                "\n\tmigrations/a.lua:7: in function 'up'",
                "migrations/a.lua"
            )
            .as_deref(),
            Some("migrations/a.lua:7")
        );
    }
}
