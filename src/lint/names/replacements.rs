//! Constant paths for the literals the name checks report: the Lua
//! expression with the literal's value that `vectra-db port --constants`
//! writes in its place (`"users"` → `C.tables.users`, `"users.id"` →
//! `C.tables.users .. "." .. C.columns.users.id`, `"users as u"` →
//! `C.tables.users .. " as u"`). A literal gets one only when exactly one
//! constant names it; a schema-qualified name (`"public.users"`) gets none,
//! since no constant holds it whole.

use super::messages::Reporter;
use super::syntax::split_alias;
use crate::lint::constants::{COLUMNS, TABLES};
use crate::port::lua_text::{is_identifier, string};

impl Reporter<'_> {
    /// `C.tables.users` for a table name (keeping a ` as alias` suffix).
    pub(super) fn table_replacement(&self, text: &str) -> Option<String> {
        let name = split_alias(text);
        if name.contains('.') {
            return None;
        }
        let key = self.constants.table_key(name)?;
        with_suffix(text, name, table_path(key))
    }

    /// `C.columns.users.email`, `C.tables.users .. "." .. C.columns.users.id`
    /// for a qualified name, `C.tables.users .. ".*"`; keeping a ` as alias`
    /// suffix.
    pub(super) fn column_replacement(&self, text: &str, table: Option<&str>) -> Option<String> {
        let name = split_alias(text);
        let path = match name.split_once('.') {
            None => self.column_constant(name, table)?,
            Some((_, column)) if column.contains('.') => return None,
            Some((owner, "*")) => {
                let tk = self.constants.table_key(owner)?;
                format!("{} .. \".*\"", table_path(tk))
            }
            Some((owner, column)) => {
                let tk = self.constants.table_key(owner)?;
                let column = self.constant_of(owner, column)?;
                format!("{} .. \".\" .. {column}", table_path(tk))
            }
        };
        with_suffix(text, name, path)
    }
}

/// `C.tables.<key>`.
pub(super) fn table_path(key: &str) -> String {
    constant_path(&[TABLES, key])
}

/// `C.columns.<table key>.<column key>`.
pub(super) fn column_path(table_key: &str, column_key: &str) -> String {
    constant_path(&[COLUMNS, table_key, column_key])
}

/// `C.tables.users`, or `C.tables["odd-key"]` where a key is not a Lua name.
fn constant_path(keys: &[&str]) -> String {
    let mut out = String::from("C");
    for key in keys {
        if is_identifier(key) {
            out.push('.');
            out.push_str(key);
        } else {
            out.push_str(&format!("[{}]", string(key)));
        }
    }
    out
}

/// `path` plus what followed `name` in `text` (`" as u"`), as Lua.
fn with_suffix(text: &str, name: &str, path: String) -> Option<String> {
    // `split_alias` trims: leading blanks are part of the literal's value.
    let rest = text.strip_prefix(name)?;
    if rest.is_empty() {
        Some(path)
    } else {
        Some(format!("{path} .. {}", string(rest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_are_not_lua_names_are_indexed_with_strings() {
        assert_eq!(table_path("users"), "C.tables.users");
        assert_eq!(table_path("odd-key"), "C.tables[\"odd-key\"]");
        assert_eq!(column_path("t", "end"), "C.columns.t[\"end\"]");
        assert_eq!(
            with_suffix("users as u", "users", table_path("users")),
            Some("C.tables.users .. \" as u\"".to_string())
        );
        assert_eq!(with_suffix(" users", "users", table_path("users")), None);
    }
}
