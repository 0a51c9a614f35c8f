//! Literal table and column names → constant paths (`--constants FILE`).
//!
//! The rule is the lint's own, not a copy: the converted Lua is checked with
//! [`crate::lint::names::check`], and every literal it reports *and* can name
//! one constant for is replaced by that constant (`"users"` →
//! `C.tables.users`, `email = …` → `[C.columns.users.email] = …`). The
//! constant's value is the literal itself, so the SQL cannot change; a name
//! the constants do not have (or have under several keys, with no table to
//! choose by) stays a literal, and `vectra-db lint` goes on reporting it.

use crate::lint::names;
use crate::lint::Constants;

/// The local the converted file binds to `require("constants")`.
const LOCAL: &str = "C";

/// Replaces the literal names of `lua` that `constants` defines. Returns the
/// new text and whether anything was replaced (then the file needs
/// `local C = require("constants")`, which the caller adds).
pub fn apply(lua: &str, constants: &Constants) -> (String, bool) {
    if constants.is_empty() {
        return (lua.to_string(), false);
    }
    let parsed = full_moon::parse_fallible(lua, full_moon::LuaVersion::lua54());
    if !parsed.errors().is_empty() {
        // The converter writes valid Lua; if it ever did not, keep the literals.
        return (lua.to_string(), false);
    }
    let mut replacements: Vec<names::Replacement> = names::check(parsed.ast(), constants)
        .into_iter()
        .filter_map(|issue| issue.replacement)
        .filter(|r| r.start < r.end && r.end <= lua.len())
        .collect();
    replacements.sort_by_key(|r| std::cmp::Reverse(r.start));
    replacements.dedup_by_key(|r| r.start);
    let mut out = lua.to_string();
    let mut last_start = usize::MAX;
    for r in &replacements {
        // Overlapping findings (never expected) would corrupt the text: skip.
        if r.end > last_start || !out.is_char_boundary(r.start) || !out.is_char_boundary(r.end) {
            continue;
        }
        out.replace_range(r.start..r.end, &r.text);
        last_start = r.start;
    }
    let changed = !replacements.is_empty();
    (out, changed)
}

/// The line that binds the constants module, as the replacements spell it.
pub fn require_line() -> String {
    format!("local {LOCAL} = require(\"{}\")", names::CONSTANTS_MODULE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn constants() -> Constants {
        Constants::evaluate(
            "constants.lua",
            br#"return {
                tables = { users = "users", posts = "posts" },
                columns = {
                    users = { id = "id", email = "email" },
                    posts = { id = "id", user_id = "user_id" },
                },
            }"#,
            Path::new("."),
        )
        .expect("constants load")
    }

    #[test]
    fn literal_names_become_constants_with_the_same_value() {
        let lua = r#"return { up = function(knex)
  knex.schema:createTable("posts", function(t)
    t:integer("user_id"):references("users.id")
  end)
  knex("users"):insert({ email = "a@b.c" }):returning({ "id" }):run()
  knex("users as u"):where("u.email", "x"):select("email"):run()
end }"#;
        let (out, changed) = apply(lua, &constants());
        assert!(changed);
        assert!(out.contains("createTable(C.tables.posts,"), "{out}");
        assert!(out.contains("t:integer(C.columns.posts.user_id)"), "{out}");
        assert!(
            out.contains(r#":references(C.tables.users .. "." .. C.columns.users.id)"#),
            "{out}"
        );
        assert!(
            out.contains("knex(C.tables.users):insert({ [C.columns.users.email] = \"a@b.c\" })"),
            "{out}"
        );
        assert!(out.contains(r#"knex(C.tables.users .. " as u")"#), "{out}");
        // `id` is a column of two tables; the table of the chain decides.
        assert!(out.contains("returning({ C.columns.users.id })"), "{out}");
    }

    /// The lint follows chains that end in an index (`…:run()[1]`), so their
    /// names are constants too, of the table the chain names.
    #[test]
    fn chains_ending_in_an_index_are_mapped_like_calls() {
        let lua = r#"return { up = function(knex)
  local post = knex("posts"):insert({ user_id = 1 }):returning({ "id" }):run()[1]
  local n = knex("users"):where("email", "x"):count("id", { as = "n" }):run()[1].n
  local rows = knex.raw("select id from users"):run().rows
end }"#;
        let (out, changed) = apply(lua, &constants());
        assert!(changed);
        assert!(
            out.contains(
                "knex(C.tables.posts):insert({ [C.columns.posts.user_id] = 1 })\
                 :returning({ C.columns.posts.id }):run()[1]\n"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                "knex(C.tables.users):where(C.columns.users.email, \"x\")\
                 :count(C.columns.users.id, { as = \"n\" }):run()[1].n\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("knex.raw(\"select id from users\"):run().rows"),
            "{out}"
        );
    }

    #[test]
    fn unknown_names_stay_literals() {
        let (out, changed) = apply(
            r#"return { up = function(knex) knex("nope"):del():run() end }"#,
            &constants(),
        );
        assert!(!changed);
        assert!(out.contains(r#"knex("nope")"#));
    }
}
