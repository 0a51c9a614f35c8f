//! Constraint and index names Knex generates (reference §5.7), so a ported
//! migration yields the same database.

/// `lower(<table>_<col1>_<col2>_<kind>)`, with `.` and `-` of the table name
/// (as written in the builder, not `withSchema`) turned into `_`.
pub fn generated(table_raw: &str, columns: &[String], kind: &str) -> String {
    let table = table_raw.replace(['.', '-'], "_");
    let mut name = table;
    for c in columns {
        name.push('_');
        name.push_str(c);
    }
    name.push('_');
    name.push_str(kind);
    name.to_lowercase()
}

/// `<table>_pkey`, case kept as Knex keeps it. A dotted name (`app.users`)
/// gives `app_users_pkey`: Knex would write `"app"."users_pkey"`, which is not
/// a valid constraint name.
pub fn primary(table_raw: &str) -> String {
    format!("{}_pkey", table_raw.replace('.', "_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_knex() {
        let cols = vec!["userId".to_string()];
        assert_eq!(
            generated("My-Table", &cols, "unique"),
            "my_table_userid_unique"
        );
        assert_eq!(
            generated("app.Tbl", &["x".into()], "index"),
            "app_tbl_x_index"
        );
        assert_eq!(primary("My-Table"), "My-Table_pkey");
    }
}
