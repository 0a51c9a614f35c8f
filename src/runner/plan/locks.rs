//! PostgreSQL's table-level lock modes, what each blocks, and the lock a
//! statement requests according to PostgreSQL's documented per-command table
//! (<https://www.postgresql.org/docs/15/explicit-locking.html> and the
//! `ALTER TABLE` page). Pure: no I/O.
//!
//! `migrate:plan` measures locks from `pg_locks`; this table is only used
//! where a measurement cannot show a statement's own request: its backend
//! already held the same mode on that table from an earlier statement of the
//! same transaction, so no new row appears.

use std::fmt;

/// A table-level lock mode, weakest first (the order is the conflict order
/// PostgreSQL documents: each conflicts with at least what the previous does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockMode {
    /// From `pg_locks.mode` (`AccessExclusiveLock`).
    pub fn from_pg(mode: &str) -> Option<LockMode> {
        Some(match mode {
            "AccessShareLock" => LockMode::AccessShare,
            "RowShareLock" => LockMode::RowShare,
            "RowExclusiveLock" => LockMode::RowExclusive,
            "ShareUpdateExclusiveLock" => LockMode::ShareUpdateExclusive,
            "ShareLock" => LockMode::Share,
            "ShareRowExclusiveLock" => LockMode::ShareRowExclusive,
            "ExclusiveLock" => LockMode::Exclusive,
            "AccessExclusiveLock" => LockMode::AccessExclusive,
            _ => return None,
        })
    }

    /// As the documentation and `LOCK TABLE … IN … MODE` spell it.
    pub fn name(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    fn from_words(words: &[String]) -> Option<LockMode> {
        let text = words.join(" ");
        [
            LockMode::AccessExclusive,
            LockMode::ShareRowExclusive,
            LockMode::ShareUpdateExclusive,
            LockMode::RowExclusive,
            LockMode::AccessShare,
            LockMode::RowShare,
            LockMode::Exclusive,
            LockMode::Share,
        ]
        .into_iter()
        .find(|m| text == m.name().to_ascii_lowercase())
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for LockMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// What ordinary traffic a lock held on a table makes wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Blocks {
    /// `SELECT` waits.
    pub reads: bool,
    /// `INSERT` / `UPDATE` / `DELETE` wait.
    pub writes: bool,
}

impl Blocks {
    pub fn describe(self) -> &'static str {
        match (self.reads, self.writes) {
            (true, _) => "reads, writes",
            (false, true) => "writes",
            (false, false) => "-",
        }
    }
}

/// What `mode` blocks: `ACCESS EXCLUSIVE` conflicts with `ACCESS SHARE`
/// (reads); `SHARE` and stronger conflict with `ROW EXCLUSIVE` (writes);
/// the weaker modes conflict with neither (only with DDL and each other).
pub fn blocks(mode: LockMode) -> Blocks {
    Blocks {
        reads: mode == LockMode::AccessExclusive,
        writes: mode >= LockMode::Share,
    }
}

/// A lock a statement requests by PostgreSQL's documentation, on a relation
/// named as in the SQL (quotes kept, possibly schema-qualified: resolve it
/// with `to_regclass`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Documented {
    pub relation: String,
    pub mode: LockMode,
}

/// A token of SQL text: a lower-cased word, an identifier as written (quotes
/// kept) or one punctuation character.
fn tokens(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            let mut ident = String::from('"');
            chars.next();
            while let Some(c) = chars.next() {
                ident.push(c);
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        ident.push('"');
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
            out.push(ident);
        } else if c == '\'' {
            // A string literal: skipped (its words are not SQL).
            chars.next();
            while let Some(c) = chars.next() {
                if c == '\'' && chars.peek() != Some(&'\'') {
                    break;
                }
                if c == '\'' {
                    chars.next();
                }
            }
            out.push("'…'".into());
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_alphanumeric() || c == '_' || c == '$' {
                    word.push(c.to_ascii_lowercase());
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(word);
        } else {
            out.push(c.to_string());
            chars.next();
        }
    }
    out
}

/// Reads a possibly schema-qualified name at `at`: the name and the index after it.
fn name_at(t: &[String], at: usize) -> Option<(String, usize)> {
    let first = t.get(at)?;
    if !is_name(first) {
        return None;
    }
    if t.get(at + 1).is_some_and(|d| d == ".") {
        if let Some(second) = t.get(at + 2).filter(|s| is_name(s)) {
            return Some((format!("{first}.{second}"), at + 3));
        }
    }
    Some((first.clone(), at + 1))
}

fn is_name(token: &str) -> bool {
    token.starts_with('"')
        || token
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Skips the optional words in `optional` (in any order) from `at`.
fn skip(t: &[String], mut at: usize, optional: &[&str]) -> usize {
    while t.get(at).is_some_and(|w| optional.contains(&w.as_str())) {
        at += 1;
    }
    at
}

fn word(t: &[String], at: usize, w: &str) -> bool {
    t.get(at).is_some_and(|x| x == w)
}

/// Names after `from`/`table`-like keywords, comma-separated (`drop table a, b`).
fn name_list(t: &[String], mut at: usize) -> Vec<String> {
    let mut names = Vec::new();
    while let Some((name, next)) = name_at(t, at) {
        if matches!(
            name.as_str(),
            "cascade" | "restrict" | "restart" | "continue" | "only"
        ) {
            at = next;
            if name == "only" {
                continue;
            }
            break;
        }
        names.push(name);
        at = next;
        if word(t, at, "*") {
            at += 1;
        }
        if !word(t, at, ",") {
            break;
        }
        at += 1;
    }
    names
}

/// Every table named after `references` (foreign keys, inline or as constraints).
fn referenced(t: &[String]) -> Vec<String> {
    (0..t.len())
        .filter(|&i| t[i] == "references")
        .filter_map(|i| name_at(t, i + 1).map(|(n, _)| n))
        .collect()
}

/// The lock mode one `ALTER TABLE` action takes, from the words after
/// `alter table NAME` up to the next top-level comma.
fn alter_action(action: &[String]) -> LockMode {
    let has = |w: &str| action.iter().any(|x| x == w);
    let starts = |words: &[&str]| {
        words.len() <= action.len() && words.iter().zip(action).all(|(w, a)| *w == a.as_str())
    };
    if starts(&["validate", "constraint"]) {
        LockMode::ShareUpdateExclusive
    } else if starts(&["add"]) && has("foreign") && !has("column") {
        LockMode::ShareRowExclusive
    } else if starts(&["attach", "partition"])
        || starts(&["cluster", "on"])
        || starts(&["set", "without", "cluster"])
        || starts(&["set", "statistics"])
        || (starts(&["alter"]) && has("statistics"))
        || (starts(&["set"]) && action.get(1).is_some_and(|w| w == "("))
        || starts(&["reset"])
    {
        LockMode::ShareUpdateExclusive
    } else if (starts(&["enable"]) || starts(&["disable"])) && has("trigger") {
        LockMode::ShareRowExclusive
    } else {
        LockMode::AccessExclusive
    }
}

/// The locks `sql` requests by PostgreSQL's documentation, or nothing for a
/// statement this table does not know (it is then only measured).
pub fn documented(sql: &str) -> Vec<Documented> {
    let t = tokens(sql);
    let on = |relation: String, mode: LockMode| Documented { relation, mode };
    let first = t.first().map(String::as_str).unwrap_or_default();
    let mut out = Vec::new();
    match first {
        "create" => {
            let at = skip(&t, 1, &["unique", "or", "replace"]);
            if word(&t, at, "index") {
                let concurrently = word(&t, at + 1, "concurrently");
                let on_at = (at..t.len()).find(|&i| t[i] == "on");
                if let Some((table, _)) =
                    on_at.and_then(|i| name_at(&t, skip(&t, i + 1, &["only"])))
                {
                    let mode = if concurrently {
                        LockMode::ShareUpdateExclusive
                    } else {
                        LockMode::Share
                    };
                    out.push(on(table, mode));
                }
            } else if word(&t, at, "trigger") || word(&t, at, "constraint") {
                if let Some(i) = (at..t.len()).find(|&i| t[i] == "on") {
                    if let Some((table, _)) = name_at(&t, i + 1) {
                        out.push(on(table, LockMode::ShareRowExclusive));
                    }
                }
            } else {
                let at = skip(&t, at, &["temporary", "temp", "unlogged"]);
                if word(&t, at, "table") {
                    let at = skip(&t, at + 1, &["if", "not", "exists"]);
                    if let Some((table, _)) = name_at(&t, at) {
                        out.push(on(table, LockMode::AccessExclusive));
                    }
                    out.extend(
                        referenced(&t)
                            .into_iter()
                            .map(|r| on(r, LockMode::ShareRowExclusive)),
                    );
                }
            }
        }
        "alter" if word(&t, 1, "table") => {
            let at = skip(&t, 2, &["if", "exists", "only"]);
            if let Some((table, mut at)) = name_at(&t, at) {
                if word(&t, at, "*") {
                    at += 1;
                }
                let mut strongest: Option<LockMode> = None;
                let mut depth = 0usize;
                let mut start = at;
                for i in at..=t.len() {
                    let end = i == t.len() || (depth == 0 && t[i] == ",");
                    if end {
                        if start < i {
                            let mode = alter_action(&t[start..i]);
                            strongest = Some(strongest.map_or(mode, |s| s.max(mode)));
                        }
                        start = i + 1;
                    } else if t[i] == "(" {
                        depth += 1;
                    } else if t[i] == ")" {
                        depth = depth.saturating_sub(1);
                    }
                }
                out.push(on(table, strongest.unwrap_or(LockMode::AccessExclusive)));
                out.extend(
                    referenced(&t)
                        .into_iter()
                        .map(|r| on(r, LockMode::ShareRowExclusive)),
                );
            }
        }
        "drop" if word(&t, 1, "table") => {
            let at = skip(&t, 2, &["if", "exists"]);
            out.extend(
                name_list(&t, at)
                    .into_iter()
                    .map(|n| on(n, LockMode::AccessExclusive)),
            );
        }
        "truncate" => {
            let at = skip(&t, 1, &["table", "only"]);
            out.extend(
                name_list(&t, at)
                    .into_iter()
                    .map(|n| on(n, LockMode::AccessExclusive)),
            );
        }
        "lock" => {
            let at = skip(&t, 1, &["table", "only"]);
            let names = name_list(&t, at);
            let mode = match (
                t.iter().position(|w| w == "in"),
                t.iter().position(|w| w == "mode"),
            ) {
                (Some(i), Some(m)) if i < m => LockMode::from_words(&t[i + 1..m]),
                (None, None) => Some(LockMode::AccessExclusive),
                _ => None,
            };
            if let Some(mode) = mode {
                out.extend(names.into_iter().map(|n| on(n, mode)));
            }
        }
        "insert" if word(&t, 1, "into") => {
            if let Some((table, _)) = name_at(&t, 2) {
                out.push(on(table, LockMode::RowExclusive));
            }
        }
        "update" => {
            if let Some((table, _)) = name_at(&t, skip(&t, 1, &["only"])) {
                out.push(on(table, LockMode::RowExclusive));
            }
        }
        "delete" if word(&t, 1, "from") => {
            if let Some((table, _)) = name_at(&t, skip(&t, 2, &["only"])) {
                out.push(on(table, LockMode::RowExclusive));
            }
        }
        "select" => {
            let locking = t.iter().any(|w| w == "for")
                && t.iter().any(|w| matches!(w.as_str(), "update" | "share"));
            let mode = if locking {
                LockMode::RowShare
            } else {
                LockMode::AccessShare
            };
            if let Some(i) = t.iter().position(|w| w == "from") {
                if let Some((table, _)) = name_at(&t, skip(&t, i + 1, &["only"])) {
                    out.push(on(table, mode));
                }
            }
        }
        "vacuum" | "analyze" => {
            out.extend(
                name_list(&t, skip(&t, 1, &["full", "verbose", "analyze"]))
                    .into_iter()
                    .map(|n| on(n, LockMode::ShareUpdateExclusive)),
            );
        }
        "refresh" if word(&t, 1, "materialized") => {
            let concurrently = word(&t, 3, "concurrently");
            let at = if concurrently { 4 } else { 3 };
            if let Some((view, _)) = name_at(&t, at) {
                let mode = if concurrently {
                    LockMode::Exclusive
                } else {
                    LockMode::AccessExclusive
                };
                out.push(on(view, mode));
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locks(sql: &str) -> Vec<(String, LockMode)> {
        documented(sql)
            .into_iter()
            .map(|d| (d.relation, d.mode))
            .collect()
    }

    fn one(relation: &str, mode: LockMode) -> Vec<(String, LockMode)> {
        vec![(relation.to_string(), mode)]
    }

    #[test]
    fn only_access_exclusive_blocks_reads_and_share_and_stronger_block_writes() {
        use LockMode::*;
        let expected = [
            (AccessShare, false, false),
            (RowShare, false, false),
            (RowExclusive, false, false),
            (ShareUpdateExclusive, false, false),
            (Share, false, true),
            (ShareRowExclusive, false, true),
            (Exclusive, false, true),
            (AccessExclusive, true, true),
        ];
        for (mode, reads, writes) in expected {
            assert_eq!(blocks(mode), Blocks { reads, writes }, "{mode}");
        }
        assert_eq!(blocks(AccessExclusive).describe(), "reads, writes");
        assert_eq!(blocks(Share).describe(), "writes");
        assert_eq!(blocks(RowExclusive).describe(), "-");
    }

    #[test]
    fn pg_locks_modes_read_back_by_name() {
        assert_eq!(
            LockMode::from_pg("ShareRowExclusiveLock"),
            Some(LockMode::ShareRowExclusive)
        );
        assert_eq!(
            LockMode::from_pg("AccessExclusiveLock").map(LockMode::name),
            Some("ACCESS EXCLUSIVE")
        );
        assert_eq!(LockMode::from_pg("SIReadLock"), None);
    }

    #[test]
    fn index_builds_take_share_or_share_update_exclusive_when_concurrent() {
        assert_eq!(
            locks(r#"create index "users_email_index" on "users" ("email")"#),
            one("\"users\"", LockMode::Share)
        );
        assert_eq!(
            locks(r#"create unique index "u" on "app"."users" ("email")"#),
            one("\"app\".\"users\"", LockMode::Share)
        );
        assert_eq!(
            locks(
                r#"create index concurrently if not exists "i" on only "users" using btree ("a")"#
            ),
            one("\"users\"", LockMode::ShareUpdateExclusive)
        );
    }

    #[test]
    fn alter_table_forms_follow_the_alter_table_page() {
        assert_eq!(
            locks(
                r#"alter table "users" add column "token" uuid not null default gen_random_uuid()"#
            ),
            one("\"users\"", LockMode::AccessExclusive)
        );
        assert_eq!(
            locks(
                r#"alter table "posts" add constraint "posts_user_id_foreign" foreign key ("user_id") references "users" ("id")"#
            ),
            vec![
                ("\"posts\"".to_string(), LockMode::ShareRowExclusive),
                ("\"users\"".to_string(), LockMode::ShareRowExclusive)
            ]
        );
        assert_eq!(
            locks(r#"alter table "posts" validate constraint "posts_user_id_foreign""#),
            one("\"posts\"", LockMode::ShareUpdateExclusive)
        );
        assert_eq!(
            locks(r#"alter table "t" set (fillfactor = 70)"#),
            one("\"t\"", LockMode::ShareUpdateExclusive)
        );
        // The strongest action of several wins.
        assert_eq!(
            locks(
                r#"alter table "t" alter column "a" set statistics 100, alter column "b" set not null"#
            ),
            one("\"t\"", LockMode::AccessExclusive)
        );
        // A column with an inline reference locks the referenced table too.
        assert_eq!(
            locks(r#"alter table "posts" add column "user_id" integer references "users" ("id")"#),
            vec![
                ("\"posts\"".to_string(), LockMode::AccessExclusive),
                ("\"users\"".to_string(), LockMode::ShareRowExclusive)
            ]
        );
    }

    #[test]
    fn drops_and_truncates_take_access_exclusive_on_every_table() {
        assert_eq!(
            locks(r#"drop table if exists "a", "s"."b" cascade"#),
            vec![
                ("\"a\"".to_string(), LockMode::AccessExclusive),
                ("\"s\".\"b\"".to_string(), LockMode::AccessExclusive)
            ]
        );
        assert_eq!(
            locks(r#"truncate "a" restart identity"#),
            one("\"a\"", LockMode::AccessExclusive)
        );
    }

    #[test]
    fn data_statements_take_row_exclusive_and_reads_access_share() {
        assert_eq!(
            locks(r#"insert into "users" ("a") values ($1)"#),
            one("\"users\"", LockMode::RowExclusive)
        );
        assert_eq!(
            locks(r#"update "users" set "a" = 'x, from y' where "id" = 1"#),
            one("\"users\"", LockMode::RowExclusive)
        );
        assert_eq!(
            locks(r#"delete from "users" where "id" = 1"#),
            one("\"users\"", LockMode::RowExclusive)
        );
        assert_eq!(
            locks(r#"select * from "users" where "id" = 1"#),
            one("\"users\"", LockMode::AccessShare)
        );
        assert_eq!(
            locks(r#"select * from "users" for update"#),
            one("\"users\"", LockMode::RowShare)
        );
    }

    #[test]
    fn new_tables_and_explicit_locks() {
        assert_eq!(
            locks(
                r#"create table "posts" ("id" serial primary key, "user_id" integer references "users" ("id"))"#
            ),
            vec![
                ("\"posts\"".to_string(), LockMode::AccessExclusive),
                ("\"users\"".to_string(), LockMode::ShareRowExclusive)
            ]
        );
        assert_eq!(
            locks("lock table users in share row exclusive mode"),
            one("users", LockMode::ShareRowExclusive)
        );
        assert_eq!(locks("lock users"), one("users", LockMode::AccessExclusive));
    }

    #[test]
    fn statements_the_table_does_not_know_give_nothing() {
        assert!(locks("comment on table \"users\" is 'x'").is_empty());
        assert!(locks("create extension if not exists pgcrypto").is_empty());
        assert!(locks("").is_empty());
    }
}
