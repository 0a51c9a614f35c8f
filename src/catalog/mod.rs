//! The migrated database's structure, read from the PostgreSQL catalog into
//! plain data (for `schema:dump`, SPEC §8).
//!
//! It owns the catalog queries and nothing else: no rendering, no files. Every
//! list comes back sorted by name (columns by position), inside one read-only
//! repeatable-read transaction, so two reads of the same database are equal.
//! The search path is set to `pg_catalog` for the read, so every name the
//! server prints (types, defaults, constraint and view text) is qualified with
//! its schema, whatever search path the role or database has.
//!
//! Left out: the system schemas, objects that belong to an extension, and the
//! migration ledger (`<ledger_table>` and `<ledger_table>_lock` in
//! `ledger_schema`, with their sequences).

use crate::db::{Db, DbError};
use crate::sql::quote_literal;

/// Everything `schema:dump` renders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// User schemas other than `public`.
    pub schemas: Vec<String>,
    pub extensions: Vec<Extension>,
    pub enums: Vec<EnumType>,
    pub domains: Vec<Domain>,
    pub sequences: Vec<Sequence>,
    pub tables: Vec<Table>,
    pub views: Vec<View>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub name: String,
    pub schema: String,
}

/// A native enum type (`CREATE TYPE … AS ENUM`), labels in sort order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumType {
    pub schema: String,
    pub name: String,
    pub labels: Vec<String>,
    pub comment: Option<String>,
}

/// A domain (`CREATE DOMAIN`): a base type with constraints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub schema: String,
    pub name: String,
    /// The base type as PostgreSQL writes it.
    pub base_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// `(name, definition)` of its check constraints, by name.
    pub checks: Vec<(String, String)>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    pub schema: String,
    pub name: String,
    /// `smallint`, `integer` or `bigint`.
    pub data_type: String,
    pub start: String,
    pub increment: String,
    pub min: String,
    pub max: String,
    pub cache: String,
    pub cycle: bool,
    /// `(schema, table, column)` of the `serial` column that owns it.
    pub owned_by: Option<(String, String, String)>,
}

/// An ordinary or partitioned table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub comment: Option<String>,
    /// In column order (`attnum`).
    pub columns: Vec<Column>,
    /// Primary, unique, foreign key, check and exclusion constraints, by name.
    pub constraints: Vec<Constraint>,
    /// Indexes that do not back a constraint, by name.
    pub indexes: Vec<Index>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The type as PostgreSQL writes it (`character varying(320)`, `public.user_status`).
    pub sql_type: String,
    /// The OID of the type the server sends for this column: the base type of
    /// a domain (PostgreSQL sends a domain's base type in RowDescription).
    pub wire_type_oid: u32,
    /// Set when the wire type is a native enum: its `(schema, name)`.
    pub enum_type: Option<(String, String)>,
    pub not_null: bool,
    /// The default expression, or the generation expression of a generated column.
    pub default: Option<String>,
    /// `a` (ALWAYS) or `d` (BY DEFAULT) for identity columns.
    pub identity: Option<char>,
    /// A stored generated column: cannot be inserted.
    pub generated: bool,
    pub comment: Option<String>,
}

impl Column {
    /// True when an insert may leave the column out (PostgreSQL fills it in).
    pub fn optional_on_insert(&self) -> bool {
        !self.not_null || self.default.is_some() || self.identity.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub name: String,
    /// `p`, `u`, `f`, `c` or `x`.
    pub kind: char,
    /// `pg_get_constraintdef`, e.g. `PRIMARY KEY (id)`.
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    /// `pg_get_indexdef`, a whole `CREATE INDEX` statement.
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub schema: String,
    pub name: String,
    pub materialized: bool,
    pub definition: String,
    pub comment: Option<String>,
}

/// The migration ledger's place, whose tables are not part of the schema.
#[derive(Debug, Clone)]
pub struct Ledger<'a> {
    pub schema: &'a str,
    pub table: &'a str,
}

impl Ledger<'_> {
    fn owns(&self, schema: &str, table: &str) -> bool {
        schema == self.schema && (table == self.table || table == format!("{}_lock", self.table))
    }
}

/// Namespaces of user objects: not the system ones, not an extension's objects.
const USER_NAMESPACE: &str = "n.nspname not in ('pg_catalog', 'information_schema') \
     and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp\\_%'";

/// `alias.oid` is not a member of an extension.
fn not_extension_member(alias: &str, catalog: &str) -> String {
    format!(
        "not exists (select 1 from pg_depend e where e.classid = '{catalog}'::regclass \
         and e.objid = {alias}.oid and e.deptype = 'e')"
    )
}

/// Reads the catalog. Runs in its own read-only transaction, so `db` must not
/// be inside one.
pub fn read(db: &mut Db, ledger: &Ledger<'_>) -> Result<Catalog, DbError> {
    db.batch(
        "begin isolation level repeatable read read only; set local search_path = pg_catalog",
    )?;
    let result = read_in_transaction(db, ledger);
    match result {
        Ok(catalog) => {
            db.batch("commit")?;
            Ok(catalog)
        }
        Err(e) => {
            let _ = db.batch("rollback");
            Err(e)
        }
    }
}

/// A row of text cells; missing cells read as empty.
struct Cells(Vec<Option<String>>);

impl Cells {
    fn text(&self, i: usize) -> String {
        self.0.get(i).cloned().flatten().unwrap_or_default()
    }
    fn opt(&self, i: usize) -> Option<String> {
        self.0.get(i).cloned().flatten()
    }
    fn flag(&self, i: usize) -> bool {
        self.text(i) == "t"
    }
}

fn rows(db: &mut Db, sql: &str) -> Result<Vec<Cells>, DbError> {
    Ok(db.simple_rows(sql)?.into_iter().map(Cells).collect())
}

fn read_in_transaction(db: &mut Db, ledger: &Ledger<'_>) -> Result<Catalog, DbError> {
    let mut catalog = Catalog::default();

    let schemas = format!(
        "select n.nspname from pg_namespace n where {USER_NAMESPACE} and n.nspname <> 'public' \
         and {} order by 1",
        not_extension_member("n", "pg_namespace")
    );
    catalog.schemas = rows(db, &schemas)?.iter().map(|r| r.text(0)).collect();

    // plpgsql is in every database; listing it would only be noise.
    let extensions = "select x.extname, n.nspname from pg_extension x \
         join pg_namespace n on n.oid = x.extnamespace where x.extname <> 'plpgsql' order by 1";
    catalog.extensions = rows(db, extensions)?
        .iter()
        .map(|r| Extension {
            name: r.text(0),
            schema: r.text(1),
        })
        .collect();

    let enums = format!(
        "select n.nspname, t.typname, e.enumlabel, obj_description(t.oid, 'pg_type') \
         from pg_type t join pg_namespace n on n.oid = t.typnamespace \
         join pg_enum e on e.enumtypid = t.oid \
         where {USER_NAMESPACE} and {} order by n.nspname, t.typname, e.enumsortorder",
        not_extension_member("t", "pg_type")
    );
    for r in rows(db, &enums)? {
        let (schema, name) = (r.text(0), r.text(1));
        match catalog.enums.last_mut() {
            Some(last) if last.schema == schema && last.name == name => last.labels.push(r.text(2)),
            _ => catalog.enums.push(EnumType {
                schema,
                name,
                labels: vec![r.text(2)],
                comment: r.opt(3),
            }),
        }
    }

    let domains = format!(
        "select n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod), t.typnotnull, \
           t.typdefault, k.conname, pg_get_constraintdef(k.oid), obj_description(t.oid, 'pg_type') \
         from pg_type t join pg_namespace n on n.oid = t.typnamespace \
         left join pg_constraint k on k.contypid = t.oid and k.contype = 'c' \
         where t.typtype = 'd' and {USER_NAMESPACE} and {} order by n.nspname, t.typname, k.conname",
        not_extension_member("t", "pg_type")
    );
    for r in rows(db, &domains)? {
        let (schema, name) = (r.text(0), r.text(1));
        let check = r.opt(5).zip(r.opt(6));
        match catalog.domains.last_mut() {
            Some(last) if last.schema == schema && last.name == name => last.checks.extend(check),
            _ => catalog.domains.push(Domain {
                schema,
                name,
                base_type: r.text(2),
                not_null: r.flag(3),
                default: r.opt(4),
                checks: check.into_iter().collect(),
                comment: r.opt(7),
            }),
        }
    }

    // The owner of a sequence: the column of a `serial` (dependency `a`) or of
    // an identity column (`i`).
    let sequences = format!(
        "select n.nspname, c.relname, format_type(s.seqtypid, null), s.seqstart, s.seqincrement, \
           s.seqmin, s.seqmax, s.seqcache, s.seqcycle, o.nspname, o.relname, o.attname, o.deptype::text \
         from pg_sequence s join pg_class c on c.oid = s.seqrelid \
         join pg_namespace n on n.oid = c.relnamespace \
         left join lateral (select tn.nspname, t.relname, a.attname, d.deptype \
              from pg_depend d join pg_class t on t.oid = d.refobjid \
              join pg_namespace tn on tn.oid = t.relnamespace \
              join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid \
             where d.classid = 'pg_class'::regclass and d.objid = c.oid \
               and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i') limit 1) o on true \
         where {USER_NAMESPACE} and {} order by 1, 2",
        not_extension_member("c", "pg_class")
    );
    for r in rows(db, &sequences)? {
        let owner = r.opt(9).zip(r.opt(10)).zip(r.opt(11));
        if let Some(((schema, table), _)) = &owner {
            if ledger.owns(schema, table) {
                continue;
            }
        }
        // An identity column's sequence is implied by the column.
        if r.opt(12).as_deref() == Some("i") {
            continue;
        }
        catalog.sequences.push(Sequence {
            schema: r.text(0),
            name: r.text(1),
            data_type: r.text(2),
            start: r.text(3),
            increment: r.text(4),
            min: r.text(5),
            max: r.text(6),
            cache: r.text(7),
            cycle: r.flag(8),
            owned_by: owner.map(|((schema, table), column)| (schema, table, column)),
        });
    }

    let tables = format!(
        "select n.nspname, c.relname, obj_description(c.oid, 'pg_class') \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('r', 'p') and {USER_NAMESPACE} and {} order by 1, 2",
        not_extension_member("c", "pg_class")
    );
    for r in rows(db, &tables)? {
        let (schema, name) = (r.text(0), r.text(1));
        if ledger.owns(&schema, &name) {
            continue;
        }
        catalog.tables.push(Table {
            schema,
            name,
            comment: r.opt(2),
            columns: Vec::new(),
            constraints: Vec::new(),
            indexes: Vec::new(),
        });
    }

    let relation_filter = format!(
        "c.relkind in ('r', 'p') and {USER_NAMESPACE} and {}",
        not_extension_member("c", "pg_class")
    );
    // A domain column travels as its base type (PostgreSQL's printtup sends
    // getBaseTypeAndTypmod), so that is the type node-postgres parses.
    let columns = format!(
        "select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), \
           b.oid::int8, case when b.typtype = 'e' then bn.nspname end, \
           case when b.typtype = 'e' then b.typname end, \
           a.attnotnull or (t.typtype = 'd' and t.typnotnull), \
           pg_get_expr(d.adbin, d.adrelid), nullif(a.attidentity, ''), a.attgenerated = 's', \
           col_description(c.oid, a.attnum) \
         from pg_attribute a join pg_class c on c.oid = a.attrelid \
         join pg_namespace n on n.oid = c.relnamespace \
         join pg_type t on t.oid = a.atttypid \
         join pg_type b on b.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end \
         join pg_namespace bn on bn.oid = b.typnamespace \
         left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum \
         where a.attnum > 0 and not a.attisdropped and {relation_filter} \
         order by n.nspname, c.relname, a.attnum"
    );
    for r in rows(db, &columns)? {
        let Some(table) = find(&mut catalog.tables, &r.text(0), &r.text(1)) else {
            continue;
        };
        let enum_type = match (r.opt(5), r.opt(6)) {
            (Some(s), Some(n)) => Some((s, n)),
            _ => None,
        };
        table.columns.push(Column {
            name: r.text(2),
            sql_type: r.text(3),
            wire_type_oid: r.text(4).parse().unwrap_or(0),
            enum_type,
            not_null: r.flag(7),
            default: r.opt(8),
            identity: r.opt(9).and_then(|s| s.chars().next()),
            generated: r.flag(10),
            comment: r.opt(11),
        });
    }

    // NOT NULL constraints (`n`, PostgreSQL 18+) repeat the columns' flag.
    let constraints = format!(
        "select n.nspname, c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid) \
         from pg_constraint k join pg_class c on c.oid = k.conrelid \
         join pg_namespace n on n.oid = c.relnamespace \
         where k.contype in ('p', 'u', 'f', 'c', 'x') and {relation_filter} \
         order by n.nspname, c.relname, k.conname"
    );
    for r in rows(db, &constraints)? {
        if let Some(table) = find(&mut catalog.tables, &r.text(0), &r.text(1)) {
            table.constraints.push(Constraint {
                name: r.text(2),
                kind: r.text(3).chars().next().unwrap_or('?'),
                definition: r.text(4),
            });
        }
    }

    // Indexes behind a primary key, unique or exclusion constraint are the
    // constraint's; a foreign key's `conindid` is the referenced table's index.
    let indexes = format!(
        "select n.nspname, c.relname, i.relname, pg_get_indexdef(i.oid) \
         from pg_index x join pg_class i on i.oid = x.indexrelid \
         join pg_class c on c.oid = x.indrelid join pg_namespace n on n.oid = c.relnamespace \
         where {relation_filter} and not exists (select 1 from pg_constraint k \
           where k.conindid = x.indexrelid and k.contype in ('p', 'u', 'x')) \
         order by n.nspname, c.relname, i.relname"
    );
    for r in rows(db, &indexes)? {
        if let Some(table) = find(&mut catalog.tables, &r.text(0), &r.text(1)) {
            table.indexes.push(Index {
                name: r.text(2),
                definition: r.text(3),
            });
        }
    }

    let views = format!(
        "select n.nspname, c.relname, c.relkind = 'm', pg_get_viewdef(c.oid, true), \
           obj_description(c.oid, 'pg_class') \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('v', 'm') and {USER_NAMESPACE} and {} order by 1, 2",
        not_extension_member("c", "pg_class")
    );
    catalog.views = rows(db, &views)?
        .iter()
        .map(|r| View {
            schema: r.text(0),
            name: r.text(1),
            materialized: r.flag(2),
            definition: r.text(3).trim().trim_end_matches(';').to_string(),
            comment: r.opt(4),
        })
        .collect();
    // A schema made only to hold the ledger is part of the ledger.
    let used = |schema: &str| {
        catalog.tables.iter().any(|t| t.schema == schema)
            || catalog.enums.iter().any(|e| e.schema == schema)
            || catalog.domains.iter().any(|d| d.schema == schema)
            || catalog.sequences.iter().any(|q| q.schema == schema)
            || catalog.views.iter().any(|v| v.schema == schema)
            || catalog.extensions.iter().any(|x| x.schema == schema)
    };
    if !used(ledger.schema) {
        let ledger_schema = ledger.schema.to_string();
        catalog.schemas.retain(|s| *s != ledger_schema);
    }
    Ok(catalog)
}

fn find<'a>(tables: &'a mut [Table], schema: &str, name: &str) -> Option<&'a mut Table> {
    tables
        .iter_mut()
        .find(|t| t.schema == schema && t.name == name)
}

/// `schema.name` with each part quoted only where PostgreSQL needs it.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// An identifier as `pg_dump` writes it: bare when it is a lower-case word
/// that needs no quotes, quoted otherwise.
pub fn ident(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&name);
    if plain {
        name.to_string()
    } else {
        crate::sql::quote_ident(name)
    }
}

/// A string as an SQL literal (for comments).
pub fn literal(text: &str) -> String {
    quote_literal(text)
}

/// Reserved key words that must be quoted as names (PostgreSQL's
/// `RESERVED_KEYWORD` list plus the column-name ones a table is likely to use).
#[rustfmt::skip]
const RESERVED: &[&str] = &[
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both",
    "case", "cast", "check", "collate", "column", "constraint", "create", "current_catalog",
    "current_date", "current_role", "current_time", "current_timestamp", "current_user",
    "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false",
    "fetch", "for", "foreign", "from", "grant", "group", "having", "in", "initially",
    "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
    "null", "offset", "on", "only", "or", "order", "placing", "primary", "references",
    "returning", "select", "session_user", "some", "symmetric", "table", "then", "to",
    "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where",
    "window", "with", "authorization", "binary", "collation", "concurrently", "cross",
    "current_schema", "freeze", "full", "ilike", "inner", "is", "isnull", "join", "left",
    "like", "natural", "notnull", "outer", "overlaps", "right", "similar", "tablesample",
    "verbose", "between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec",
    "decimal", "exists", "extract", "float", "greatest", "grouping", "inout", "int", "integer",
    "interval", "least", "national", "nchar", "none", "normalize", "nullif", "numeric", "out",
    "overlay", "position", "precision", "real", "row", "setof", "smallint", "substring", "time",
    "timestamp", "treat", "trim", "values", "varchar", "xmlattributes", "xmlconcat",
    "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot",
    "xmlserialize", "xmltable",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("Users"), "\"Users\"");
        assert_eq!(ident("a b"), "\"a b\"");
        assert_eq!(qualified("public", "key"), "public.key");
    }

    #[test]
    fn the_ledger_and_its_lock_table_are_recognised() {
        let ledger = Ledger {
            schema: "public",
            table: "knex_migrations",
        };
        assert!(ledger.owns("public", "knex_migrations"));
        assert!(ledger.owns("public", "knex_migrations_lock"));
        assert!(!ledger.owns("other", "knex_migrations"));
        assert!(!ledger.owns("public", "users"));
    }
}
