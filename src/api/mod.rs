//! The catalogue of the Lua API: every method of every builder and of the
//! `knex` module, once, as data.
//!
//! Each entry names a method (aliases are entries that share an operation),
//! the operation it performs (a plain value with its flags, so nothing is read
//! back from the name), the role of each argument (which ones are table or
//! column names), what it returns, and which builder a function argument
//! receives. Everything that needs the list reads it from here:
//!
//! - the Lua bridge registers one handler per entry and dispatches on the
//!   operation (`crate::lua`);
//! - "did you mean" hints search it ([`closest`]);
//! - the lint decides from the roles which literals must be constants, and
//!   follows builder types through chains and callbacks (`crate::lint`);
//! - tests check `docs/lua-api/*.md` and `lua/types/*.lua` against it.
//!
//! No mlua and no I/O here: adding a Knex alias is one line in this folder.

mod knex;
mod query;
mod schema;
mod values;

pub use knex::{FnOp, KnexOp, FN, KNEX, KNEX_FIELDS};
pub use query::{Clauses, QueryOp, QUERY};
pub use schema::{
    AlterViewOp, ColumnOp, ForeignOp, SchemaOp, TableOp, ViewColumnOp, ViewOp, ALTER_VIEW, COLUMN,
    FOREIGN, SCHEMA, TABLE, VIEW, VIEW_COLUMN,
};
pub use values::{BatchOp, JoinOp, RawOp, RefOp, BATCH, JOIN, RAW, REF};

/// The objects Lua code calls methods on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builder {
    /// The `knex` value handed to `up` / `down` / `seed` (and `trx`).
    Knex,
    /// `knex.fn`.
    Fn,
    /// `knex.schema` and `knex.schema:withSchema(...)`.
    Schema,
    /// The table builder `t` of `createTable` / `alterTable`.
    Table,
    /// A column builder (`t:string("email")`).
    Column,
    /// `t:foreign(columns)`.
    Foreign,
    /// The builder of `createView` and friends.
    View,
    /// The builder of `alterView`.
    AlterView,
    /// `v:column(name)` inside `alterView`.
    ViewColumn,
    /// `knex(table)`: a query.
    Query,
    /// The argument of a join callback.
    Join,
    /// `knex.raw(...)`.
    Raw,
    /// `knex.batchInsert(...)`.
    BatchInsert,
    /// `knex.ref(column)`.
    Ref,
}

impl Builder {
    /// Every builder, in the order the docs present them.
    pub const ALL: &'static [Builder] = &[
        Builder::Knex,
        Builder::Fn,
        Builder::Schema,
        Builder::Table,
        Builder::Column,
        Builder::Foreign,
        Builder::View,
        Builder::AlterView,
        Builder::ViewColumn,
        Builder::Query,
        Builder::Join,
        Builder::Raw,
        Builder::BatchInsert,
        Builder::Ref,
    ];

    /// How messages write a call on it: `t:string`, `knex.raw`.
    pub fn prefix(self) -> &'static str {
        match self {
            Builder::Knex => "knex.",
            Builder::Fn => "knex.fn.",
            Builder::Schema => "knex.schema:",
            Builder::Table => "t:",
            Builder::Column => "column:",
            Builder::Foreign => "foreign:",
            Builder::View | Builder::AlterView => "view:",
            Builder::ViewColumn => "view column:",
            Builder::Query => "query:",
            Builder::Join => "join clause:",
            Builder::Raw => "knex.raw(...):",
            Builder::BatchInsert => "knex.batchInsert(...):",
            Builder::Ref => "knex.ref(...):",
        }
    }

    /// The table of `lua/types/*.lua` that declares its methods
    /// (`function QueryBuilder:where(...)`, `function knex.raw(...)`).
    pub fn lua_class(self) -> &'static str {
        match self {
            Builder::Knex => "knex",
            Builder::Fn => "KnexFn",
            Builder::Schema => "SchemaBuilder",
            Builder::Table => "TableBuilder",
            Builder::Column => "ColumnBuilder",
            Builder::Foreign => "ForeignBuilder",
            Builder::View => "ViewBuilder",
            Builder::AlterView => "AlterViewBuilder",
            Builder::ViewColumn => "ViewColumnBuilder",
            Builder::Query => "QueryBuilder",
            Builder::Join => "JoinClause",
            Builder::Raw => "RawQuery",
            Builder::BatchInsert => "BatchInsert",
            Builder::Ref => "KnexRef",
        }
    }

    /// True for the tables of functions called with a dot (`knex.raw`, `knex.fn.now`).
    pub fn is_module(self) -> bool {
        matches!(self, Builder::Knex | Builder::Fn)
    }

    /// Its methods, as the lint and the docs tests see them.
    pub fn methods(self) -> Vec<MethodInfo> {
        self.infos().collect()
    }

    /// The method called `name`, if this builder has one (found without
    /// building the whole list: the lint asks for every call it reads).
    pub fn method(self, name: &str) -> Option<MethodInfo> {
        self.infos().find(|m| m.name == name)
    }

    fn infos(self) -> Box<dyn Iterator<Item = MethodInfo>> {
        fn of<Op: Copy>(list: &'static [Method<Op>]) -> Box<dyn Iterator<Item = MethodInfo>> {
            Box::new(list.iter().map(Method::info))
        }
        match self {
            Builder::Knex => {
                // `knex.select(...)` and the other starters return a query.
                let starters = QUERY
                    .iter()
                    .filter(|m| m.op.starts_query())
                    .map(|m| MethodInfo {
                        returns: Returns::Builder(Builder::Query),
                        ..m.info()
                    });
                Box::new(of(KNEX).chain(starters))
            }
            Builder::Fn => of(FN),
            Builder::Schema => of(SCHEMA),
            Builder::Table => of(TABLE),
            Builder::Column => of(COLUMN),
            Builder::Foreign => of(FOREIGN),
            Builder::View => of(VIEW),
            Builder::AlterView => of(ALTER_VIEW),
            Builder::ViewColumn => of(VIEW_COLUMN),
            Builder::Query => of(QUERY),
            Builder::Join => of(JOIN),
            Builder::Raw => of(RAW),
            Builder::BatchInsert => of(BATCH),
            Builder::Ref => of(REF),
        }
    }
}

/// What an argument is, for the lint: names that must come from constants,
/// and everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A table name; the first one of a call becomes the table its columns belong to.
    Table,
    /// A table name that does not change whose columns follow (`renameTable`'s
    /// new name, `inTable`, a joined table).
    OtherTable,
    /// A column name, a list of them, or `"table.column"`.
    Column,
    /// This and every later argument: columns.
    Columns,
    /// A row or a list of rows (keys are columns).
    Rows,
    /// A row of `column = value` pairs, or a column name (`where`, `update`).
    RowOrColumn,
    /// The referenced column of a foreign key (`"users.id"` too).
    Reference,
    /// The rest: column, optional operator, column (`join(t, a, op, b)`,
    /// `whereColumn`, `on`): the first and the last are columns.
    ColumnPair,
    /// The bindings of the SQL text just before it (`knex.raw(sql, bindings)`):
    /// values, except that those bound to `??` are identifiers (tables or columns).
    Bindings,
    /// Not a name: a value, SQL text, an option table, a constraint name, a callback.
    Other,
}

// Argument-role lists the builders share.
const NONE: &[Role] = &[];
const OTHER: &[Role] = &[Role::Other];
const COLUMN_ARG: &[Role] = &[Role::Column];
const COLUMNS: &[Role] = &[Role::Columns];
const ROW_OR_COLUMN: &[Role] = &[Role::RowOrColumn];
/// SQL text, then its bindings (`??` ones are names).
const SQL_BINDINGS: &[Role] = &[Role::Other, Role::Bindings];

/// What a method call evaluates to, for following chains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// The builder it was called on (chaining).
    Same,
    /// Another builder.
    Builder(Builder),
    /// A plain value (rows, a boolean, a SQL table).
    Value,
}

/// One method of a builder: its name, what it does, and how to read its arguments.
#[derive(Debug, Clone, Copy)]
pub struct Method<Op: 'static> {
    pub name: &'static str,
    pub op: Op,
    pub args: &'static [Role],
    pub returns: Returns,
    /// The builder a function argument of this method receives (`createTable`'s `t`).
    pub callback: Option<Builder>,
}

/// A chaining method taking `args`.
pub const fn m<Op: Copy>(name: &'static str, op: Op, args: &'static [Role]) -> Method<Op> {
    Method {
        name,
        op,
        args,
        returns: Returns::Same,
        callback: None,
    }
}

impl<Op: Copy> Method<Op> {
    /// The same method, returning `r` instead of its builder.
    pub const fn returns(self, r: Returns) -> Self {
        Method { returns: r, ..self }
    }

    /// The same method, whose function arguments receive a `b`.
    pub const fn callback(self, b: Builder) -> Self {
        Method {
            callback: Some(b),
            ..self
        }
    }

    pub fn info(&self) -> MethodInfo {
        MethodInfo {
            name: self.name,
            args: self.args,
            returns: self.returns,
            callback: self.callback,
        }
    }
}

/// A method without its operation: what the lint and the docs need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodInfo {
    pub name: &'static str,
    pub args: &'static [Role],
    pub returns: Returns,
    pub callback: Option<Builder>,
}

impl MethodInfo {
    /// The role of argument `i` (0-based): `Columns` and `ColumnPair` cover the rest.
    pub fn role(&self, i: usize) -> Role {
        match self.args.get(i) {
            Some(role) => *role,
            None => match self.args.last() {
                Some(r @ (Role::Columns | Role::ColumnPair)) => *r,
                _ => Role::Other,
            },
        }
    }
}

/// The entry of `list` called `name`.
pub fn find<Op>(list: &'static [Method<Op>], name: &str) -> Option<&'static Method<Op>> {
    list.iter().find(|m| m.name == name)
}

/// The known name nearest to `name` for "did you mean": a small
/// case-insensitive edit distance (at most 3, or a third of the name).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The closest method of `list` to `name`.
pub fn closest_method<Op>(list: &'static [Method<Op>], name: &str) -> Option<&'static str> {
    closest(name, list.iter().map(|m| m.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_builder_lists_a_name_twice() {
        for b in Builder::ALL {
            let mut seen = HashSet::new();
            for m in b.methods() {
                assert!(seen.insert(m.name), "{b:?} lists `{}` twice", m.name);
            }
        }
    }

    #[test]
    fn the_closest_name_is_suggested() {
        assert_eq!(closest_method(TABLE, "strng"), Some("string"));
        assert_eq!(closest_method(QUERY, "wher"), Some("where"));
        assert_eq!(closest_method(QUERY, "zzzzzzzzzz"), None);
    }

    #[test]
    fn callbacks_name_a_builder_with_methods() {
        for b in Builder::ALL {
            for m in b.methods() {
                if let Some(cb) = m.callback {
                    assert!(!cb.methods().is_empty(), "{b:?}.{} → {cb:?}", m.name);
                }
            }
        }
    }
}
