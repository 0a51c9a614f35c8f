//! A failed statement: PostgreSQL's message with the SQL that caused it.

use std::fmt;

/// Everything a user needs to fix a failing statement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DbError {
    pub sql: String,
    pub message: String,
    pub code: Option<String>,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// 1-based character position in `sql`, as PostgreSQL reports it.
    pub position: Option<u32>,
    /// The Lua `file:line` that sent the statement, when it was sent ahead
    /// (pipelined) and its error surfaced later.
    pub origin: Option<String>,
}

impl DbError {
    pub fn from_pg(err: tokio_postgres::Error, sql: &str) -> DbError {
        match err.as_db_error() {
            Some(db) => DbError {
                sql: sql.to_string(),
                message: db.message().to_string(),
                code: Some(db.code().code().to_string()),
                detail: db.detail().map(str::to_string),
                hint: db.hint().map(str::to_string),
                position: match db.position() {
                    Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p),
                    _ => None,
                },
                origin: None,
            },
            None => DbError {
                sql: sql.to_string(),
                message: connection_message(&err),
                ..DbError::default()
            },
        }
    }

    pub fn decode(message: String, sql: &str) -> DbError {
        DbError {
            sql: sql.to_string(),
            message,
            ..DbError::default()
        }
    }

    /// True for SQLSTATE `code`.
    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

/// The message of a non-server error (closed connection, I/O), with its causes.
pub fn connection_message(err: &tokio_postgres::Error) -> String {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(code) = &self.code {
            write!(f, " (SQLSTATE {code})")?;
        }
        if let Some(origin) = &self.origin {
            write!(f, "\n  --> {origin}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, "\n  detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        if !self.sql.is_empty() {
            write!(f, "\n  sql: {}", self.sql)?;
            if let Some(pos) = self.position {
                // Point at the character PostgreSQL blamed, when the SQL is one line.
                if !self.sql.contains('\n') {
                    let col = self
                        .sql
                        .chars()
                        .take((pos as usize).saturating_sub(1))
                        .count();
                    write!(f, "\n       {}^", " ".repeat(col))?;
                }
            }
        }
        Ok(())
    }
}

impl std::error::Error for DbError {}
