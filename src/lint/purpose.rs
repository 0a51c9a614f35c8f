//! The purpose comment: every migration and seed opens with a comment saying
//! why it exists.
//!
//! What counts as a purpose (the rule, as documented for users):
//! - the comments before the first line of code (`--` lines and `--[[ ]]`
//!   blocks; a `#!` line is skipped);
//! - LuaLS annotation lines (`---@…`) and lines that only name a file
//!   (`-- migrations/2024…_create_users.lua`) do not count;
//! - an optional `Purpose:` label is allowed and not counted;
//! - what remains must have at least [`MIN_WORDS`] words, otherwise the file
//!   has no purpose comment (`missing-purpose`);
//! - if the purpose text starts with `TODO` (the template's
//!   `-- Purpose: TODO describe why this migration exists`), it has not been
//!   filled in (`unfilled-purpose`).

use super::Rule;

/// Fewer words than this do not explain anything ("-- users").
pub const MIN_WORDS: usize = 3;

/// A problem with the purpose comment, at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurposeIssue {
    pub line: usize,
    pub rule: Rule,
    pub message: String,
}

/// A line of comment text and where it was.
struct CommentLine {
    line: usize,
    text: String,
}

/// Checks the leading comment of `source`.
pub fn check(source: &str) -> Option<PurposeIssue> {
    let lines = leading_comment_lines(source);
    let mut words: Vec<&str> = Vec::new();
    let mut first_line = None;
    let mut first_word_line = None;
    for comment in &lines {
        let text = comment.text.trim();
        if text.starts_with('@') || text.starts_with("-@") || is_file_name(text) {
            continue;
        }
        first_line.get_or_insert(comment.line);
        for (i, word) in text.split_whitespace().enumerate() {
            if words.is_empty() && i == 0 && word.eq_ignore_ascii_case("purpose:") {
                continue;
            }
            if word.chars().any(char::is_alphabetic) {
                if words.is_empty() {
                    first_word_line = Some(comment.line);
                }
                words.push(word);
            }
        }
    }
    if let Some(first) = words.first() {
        if first.trim_start_matches(['(', '[']).starts_with("TODO") {
            return Some(PurposeIssue {
                line: first_word_line.unwrap_or(1),
                rule: Rule::UnfilledPurpose,
                message: "the purpose comment is still the template's TODO; \
                          replace it with why this file exists"
                    .to_string(),
            });
        }
    }
    if words.len() >= MIN_WORDS {
        return None;
    }
    let message = if first_line.is_none() {
        "the file does not start with a comment saying why it exists; \
         add one, e.g. `-- Purpose: API keys for machine clients, stored hashed`"
            .to_string()
    } else {
        format!(
            "the leading comment is too short to say why the file exists \
             (at least {MIN_WORDS} words); e.g. `-- Purpose: API keys for machine clients, stored hashed`"
        )
    };
    Some(PurposeIssue {
        line: first_line.unwrap_or(1),
        rule: Rule::MissingPurpose,
        message,
    })
}

/// `migrations/20241125093000_create_users.lua`, `01_roles.lua`: a label, not a purpose.
fn is_file_name(text: &str) -> bool {
    !text.contains(char::is_whitespace) && (text.ends_with(".lua") || text.contains('/'))
}

/// The comment lines before the first token of code.
fn leading_comment_lines(source: &str) -> Vec<CommentLine> {
    let mut out = Vec::new();
    let mut rest = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut line = 1;
    if rest.starts_with("#!") {
        let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        rest = &rest[end..];
        line += 1;
    }
    loop {
        let trimmed = rest.trim_start();
        line += rest[..rest.len() - trimmed.len()].matches('\n').count();
        rest = trimmed;
        let Some(after_dashes) = rest.strip_prefix("--") else {
            break;
        };
        if let Some(level) = long_bracket_level(after_dashes) {
            let open = 2 + level;
            let close = format!("]{}]", "=".repeat(level));
            let body_and_rest = &after_dashes[open..];
            let (body, consumed) = match body_and_rest.find(&close) {
                Some(i) => (&body_and_rest[..i], open + i + close.len()),
                // An unterminated block is a syntax error, reported elsewhere.
                None => (body_and_rest, after_dashes.len()),
            };
            for (i, text) in body.split('\n').enumerate() {
                out.push(CommentLine {
                    line: line + i,
                    text: text.to_string(),
                });
            }
            line += after_dashes[..consumed].matches('\n').count();
            rest = &after_dashes[consumed..];
        } else {
            let end = after_dashes.find('\n').unwrap_or(after_dashes.len());
            out.push(CommentLine {
                line,
                text: after_dashes[..end].to_string(),
            });
            rest = &after_dashes[end..];
        }
    }
    out
}

/// `[[` → 0, `[==[` → 2; `None` when `s` does not open a long bracket.
fn long_bracket_level(s: &str) -> Option<usize> {
    let inner = s.strip_prefix('[')?;
    let level = inner.chars().take_while(|c| *c == '=').count();
    inner[level..].starts_with('[').then_some(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(src: &str) -> Option<Rule> {
        check(src).map(|i| i.rule)
    }

    #[test]
    fn a_sentence_before_the_code_is_a_purpose() {
        assert_eq!(rule("-- Purpose: users sign in by e-mail\nreturn {}"), None);
        assert_eq!(rule("\n\n-- users sign in\n-- by e-mail\nreturn {}"), None);
        assert_eq!(rule("--[[ Users sign in\n by e-mail ]]\nreturn {}"), None);
        assert_eq!(
            rule("#!/usr/bin/env lua\n-- users sign in here\nreturn {}"),
            None
        );
    }

    #[test]
    fn no_comment_or_a_label_only_is_missing() {
        assert_eq!(rule("return {}"), Some(Rule::MissingPurpose));
        assert_eq!(
            rule("local x = 1 -- explains nothing about why\n"),
            Some(Rule::MissingPurpose)
        );
        assert_eq!(
            rule("-- migrations/20241125_users.lua\nreturn {}"),
            Some(Rule::MissingPurpose)
        );
        assert_eq!(
            rule("---@type table\nreturn {}"),
            Some(Rule::MissingPurpose)
        );
        assert_eq!(rule("-- users\nreturn {}"), Some(Rule::MissingPurpose));
        assert_eq!(rule("-- Purpose:\nreturn {}"), Some(Rule::MissingPurpose));
    }

    #[test]
    fn a_comment_after_code_does_not_count() {
        assert_eq!(
            rule("local C = require('constants')\n-- users sign in by e-mail\nreturn {}"),
            Some(Rule::MissingPurpose)
        );
    }

    #[test]
    fn the_template_placeholder_is_unfilled_and_points_at_its_line() {
        let issue = check("\n-- Purpose: TODO describe why this migration exists\nreturn {}")
            .expect("flagged");
        assert_eq!(issue.rule, Rule::UnfilledPurpose);
        assert_eq!(issue.line, 2);
        // A TODO later in a real explanation is fine.
        assert_eq!(
            rule("-- Purpose: adds api keys. TODO: expire them\nreturn {}"),
            None
        );
    }

    #[test]
    fn long_bracket_levels_are_matched() {
        assert_eq!(long_bracket_level("[[x"), Some(0));
        assert_eq!(long_bracket_level("[==[x"), Some(2));
        assert_eq!(long_bracket_level("[=x"), None);
        assert_eq!(long_bracket_level(" x"), None);
        assert_eq!(rule("--[==[ a ]] b c d ]==]\nreturn {}"), None);
    }
}
