//! TypeScript names for database objects: `user_roles` → `UserRoles` (types),
//! `userRolesRowSchema` (Zod), property keys quoted only where JavaScript needs it.
//!
//! Objects in `public` keep their bare name; in another schema the schema is
//! prefixed (`auth.users` → `AuthUsers`, Knex key `"auth.users"`).

/// `user_roles` → `UserRoles`; a name starting with a digit gets a `T` in front.
pub fn pascal(name: &str) -> String {
    let mut out = String::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

/// The TypeScript base name of an object: `public.users` → `Users`, `auth.users` → `AuthUsers`.
pub fn type_base(schema: &str, name: &str) -> String {
    if schema == "public" {
        pascal(name)
    } else {
        format!("{}{}", pascal(schema), pascal(name))
    }
}

/// `UserStatus` → `userStatusSchema`, `UsersRow` → `usersRowSchema`.
pub fn schema_name(type_name: &str) -> String {
    let mut chars = type_name.chars();
    let first = chars.next().map(|c| c.to_ascii_lowercase());
    format!(
        "{}{}Schema",
        first.map(String::from).unwrap_or_default(),
        chars.as_str()
    )
}

/// The key Knex's `Tables` interface uses: the name as passed to `knex(...)`.
pub fn table_key(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

/// A property key: bare when it is an identifier, a JSON string otherwise.
pub fn property(name: &str) -> String {
    let identifier = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        name.to_string()
    } else {
        string(name)
    }
}

/// A TypeScript string literal (JSON's escaping is valid TypeScript).
pub fn string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// Text for inside a `/** … */` comment: no `*/`, one line per line.
pub fn doc_text(text: &str) -> String {
    text.replace("*/", "*\\/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal("user_roles"), "UserRoles");
        assert_eq!(pascal("api-keys v2"), "ApiKeysV2");
        assert_eq!(pascal("2fa_codes"), "T2faCodes");
        assert_eq!(type_base("auth", "users"), "AuthUsers");
        assert_eq!(schema_name("UsersRow"), "usersRowSchema");
        assert_eq!(table_key("auth", "users"), "auth.users");
        assert_eq!(property("email"), "email");
        assert_eq!(property("first name"), "\"first name\"");
        assert_eq!(property("1st"), "\"1st\"");
    }
}
