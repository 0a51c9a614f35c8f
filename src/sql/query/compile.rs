//! Rendering a [`Query`] to Knex 3.3's PostgreSQL SQL: `?` placeholders, values
//! in text order, every identifier wrapped.
//!
//! Clause order follows Knex's select compiler: with, columns, joins, where,
//! union, group, having, order, limit, offset, lock.

use std::collections::BTreeSet;

use super::*;
use crate::sql::ident::quote_ident;
use crate::sql::raw::wrap;

/// A query that cannot be rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("the operator `{0}` is not permitted")]
    Operator(String),
    #[error("`{0}` needs a table: call it on `knex(\"table\")`")]
    NoTable(&'static str),
    #[error("`onConflict(...)` needs `:merge(...)` or `:ignore()` after it")]
    ConflictWithoutAction,
    #[error("several empty rows cannot be inserted in one statement")]
    EmptyRows,
    #[error("`update` has no columns to set")]
    EmptyUpdate,
}

/// Knex's operator whitelist (compared case-insensitively), as rendered.
const OPERATORS: &[&str] = &[
    "=",
    "<",
    ">",
    "<=",
    "<=>",
    ">=",
    "<>",
    "!=",
    "like",
    "not like",
    "between",
    "not between",
    "ilike",
    "not ilike",
    "exists",
    "not exist",
    "rlike",
    "not rlike",
    "regexp",
    "not regexp",
    "match",
    "similar to",
    "not similar to",
    "&",
    "|",
    "^",
    "<<",
    ">>",
    "~",
    "~=",
    "~*",
    "!~",
    "!~*",
    "#",
    "&&",
    "@>",
    "<@",
    "||",
    "&<",
    "&>",
    "-|-",
    "@@",
    "!!",
    "?",
    "?|",
    "?&",
];

/// Checks an operator against Knex's whitelist and returns its rendered form:
/// lower case, with jsonb's `?` operators escaped so they are not placeholders.
pub fn operator(op: &str) -> Result<String, QueryError> {
    let lower = op.trim().to_lowercase();
    if !OPERATORS.contains(&lower.as_str()) {
        return Err(QueryError::Operator(op.to_string()));
    }
    Ok(match lower.as_str() {
        "?" => "\\?".into(),
        "?|" => "\\?|".into(),
        "?&" => "\\?&".into(),
        _ => lower,
    })
}

/// SQL text under construction plus its bindings, in text order.
#[derive(Default)]
struct Out {
    sql: String,
    bindings: Vec<Value>,
}

impl Out {
    fn push(&mut self, s: &str) {
        self.sql.push_str(s);
    }
    fn value(&mut self, v: &Value) {
        self.sql.push('?');
        self.bindings.push(v.clone());
    }
    fn raw(&mut self, r: &Raw) {
        self.sql.push_str(&r.sql);
        self.bindings.extend(r.bindings.iter().cloned());
    }
    fn sub(&mut self, r: &Raw) {
        self.sql.push('(');
        self.raw(r);
        self.sql.push(')');
    }
    fn operand(&mut self, o: &Operand) {
        match o {
            Operand::Value(v) => self.value(v),
            Operand::Raw(r) => self.raw(r),
            Operand::Sub(r) => self.sub(r),
            Operand::Ident(name) => self.push(&wrap(name)),
        }
    }
    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Out, &T)) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            each(self, item);
        }
    }
    fn finish(self) -> Raw {
        Raw {
            sql: self.sql,
            bindings: self.bindings,
        }
    }
}

impl Query {
    /// The statement in Knex's `toSQL()` form: `?` placeholders and bindings.
    /// An `insert` of no rows renders as empty text (nothing to run).
    pub fn to_raw(&self) -> Result<Raw, QueryError> {
        let mut out = Out::default();
        self.ctes(&mut out);
        match &self.method {
            Method::Select | Method::First | Method::Pluck(_) => self.select(&mut out)?,
            Method::Insert => {
                if !self.insert_sql(&mut out)? {
                    return Ok(Raw::verbatim(""));
                }
            }
            Method::Update => self.update_sql(&mut out)?,
            Method::Delete => self.delete_sql(&mut out)?,
            Method::Truncate => {
                out.push("truncate ");
                out.push(&self.table_name("truncate")?);
                out.push(" restart identity");
            }
            Method::ColumnInfo(_) => {
                let table = match &self.from {
                    Some(Source::Table(t)) => t.clone(),
                    _ => return Err(QueryError::NoTable("columnInfo")),
                };
                out.push("select * from information_schema.columns where table_name = ");
                out.value(&Value::Text(table));
                out.push(" and table_catalog = current_database() and table_schema = ");
                match &self.schema {
                    Some(s) => out.value(&Value::Text(s.clone())),
                    None => out.push("current_schema()"),
                }
            }
        }
        Ok(out.finish())
    }

    /// The wrapped target table of a write (`"app"."users"`).
    fn table_name(&self, what: &'static str) -> Result<String, QueryError> {
        match &self.from {
            Some(Source::Table(t)) => Ok(self.qualified(t)),
            _ => Err(QueryError::NoTable(what)),
        }
    }

    fn qualified(&self, table: &str) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", quote_ident(schema), wrap(table)),
            None => wrap(table),
        }
    }

    fn source(&self, out: &mut Out, source: &Source) {
        match source {
            Source::Table(t) => out.push(&self.qualified(t)),
            Source::Sub { sql, alias } => {
                out.sub(sql);
                if let Some(a) = alias {
                    out.push(" as ");
                    out.push(&quote_ident(a));
                }
            }
            Source::Raw(r) => out.raw(r),
        }
    }

    fn ctes(&self, out: &mut Out) {
        if self.ctes.is_empty() {
            return;
        }
        out.push("with ");
        if self.ctes.iter().any(|c| c.recursive) {
            out.push("recursive ");
        }
        out.list(&self.ctes, |out, cte| {
            out.push(&quote_ident(&cte.name));
            if !cte.columns.is_empty() {
                out.push("(");
                out.push(
                    &cte.columns
                        .iter()
                        .map(|c| quote_ident(c))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                out.push(")");
            }
            out.push(" as ");
            match cte.materialized {
                Some(true) => out.push("materialized "),
                Some(false) => out.push("not materialized "),
                None => {}
            }
            out.sub(&cte.body);
        });
        out.push(" ");
    }

    fn select(&self, out: &mut Out) -> Result<(), QueryError> {
        let wrap_main = self.unions.iter().any(|u| u.wrap);
        if wrap_main {
            out.push("(");
        }
        out.push("select ");
        if self.distinct {
            out.push("distinct ");
        }
        if !self.distinct_on.is_empty() {
            out.push("distinct on (");
            out.push(
                &self
                    .distinct_on
                    .iter()
                    .map(|c| wrap(c))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            out.push(") ");
        }
        if self.columns.is_empty() {
            out.push("*");
        } else {
            out.list(&self.columns, column);
        }
        if let Some(from) = &self.from {
            out.push(" from ");
            self.source(out, from);
        }
        self.joins_sql(out)?;
        self.where_sql(out)?;
        if wrap_main {
            out.push(")");
        }
        for union in &self.unions {
            out.push(if union.all { " union all " } else { " union " });
            if union.wrap {
                out.sub(&union.body);
            } else {
                out.raw(&union.body);
            }
        }
        if !self.groups.is_empty() {
            out.push(" group by ");
            out.list(&self.groups, |out, g| out.operand(g));
        }
        if !self.havings.is_empty() {
            out.push(" having ");
            clauses(out, &self.havings)?;
        }
        if !self.orders.is_empty() {
            out.push(" order by ");
            out.list(&self.orders, |out, o| {
                out.operand(&o.target);
                if let Some(d) = o.direction {
                    out.push(" ");
                    out.push(d);
                }
                if let Some(n) = o.nulls {
                    out.push(" nulls ");
                    out.push(n);
                }
            });
        }
        if let Some(limit) = &self.limit {
            out.push(" limit ");
            if limit.skip_binding {
                out.push(&limit.value.to_string());
            } else {
                out.value(&Value::Int(limit.value));
            }
        }
        if let Some(offset) = self.offset.filter(|o| *o != 0) {
            out.push(" offset ");
            out.value(&Value::Int(offset));
        }
        if let Some(lock) = &self.lock {
            out.push(match lock.mode {
                LockMode::Update => " for update",
                LockMode::Share => " for share",
                LockMode::NoKeyUpdate => " for no key update",
                LockMode::KeyShare => " for key share",
            });
            if !lock.tables.is_empty() {
                out.push(" of ");
                out.push(
                    &lock
                        .tables
                        .iter()
                        .map(|t| wrap(t))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            if let Some(w) = lock.wait {
                out.push(" ");
                out.push(w);
            }
        }
        Ok(())
    }

    fn joins_sql(&self, out: &mut Out) -> Result<(), QueryError> {
        for join in &self.joins {
            out.push(" ");
            match join {
                JoinItem::Raw(r) => out.raw(r),
                JoinItem::Table(j) => {
                    out.push(j.kind);
                    out.push(" ");
                    self.source(out, &j.table);
                    if !j.on.is_empty() {
                        out.push(" on ");
                        clauses(out, &j.on)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn where_sql(&self, out: &mut Out) -> Result<(), QueryError> {
        if has_content(&self.wheres) {
            out.push(" where ");
            clauses(out, &self.wheres)?;
        }
        Ok(())
    }

    fn returning_sql(&self, out: &mut Out) {
        if !self.returning.is_empty() {
            out.push(" returning ");
            out.push(
                &self
                    .returning
                    .iter()
                    .map(|c| wrap(c))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
    }

    /// Writes the insert; `false` when there is nothing to insert (`insert({})` of no rows).
    fn insert_sql(&self, out: &mut Out) -> Result<bool, QueryError> {
        let table = self.table_name("insert")?;
        let columns: Vec<&str>;
        match &self.insert {
            None => return Ok(false),
            Some(InsertBody::Select(sub)) => {
                out.push("insert into ");
                out.push(&table);
                out.push(" ");
                out.raw(sub);
                columns = Vec::new();
            }
            Some(InsertBody::Rows(rows)) => {
                if rows.is_empty() {
                    return Ok(false);
                }
                out.push("insert into ");
                out.push(&table);
                columns = insert_columns(rows);
                if columns.is_empty() {
                    if rows.len() > 1 {
                        return Err(QueryError::EmptyRows);
                    }
                    out.push(" default values");
                } else {
                    out.push(" (");
                    out.push(
                        &columns
                            .iter()
                            .map(|c| wrap(c))
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                    out.push(") values ");
                    values_rows(out, rows, &columns);
                }
            }
        }
        if let Some(conflict) = &self.on_conflict {
            out.push(" on conflict");
            match &conflict.target {
                ConflictTarget::None => {}
                ConflictTarget::Columns(cols) => {
                    out.push(" (");
                    out.push(&cols.iter().map(|c| wrap(c)).collect::<Vec<_>>().join(", "));
                    out.push(")");
                }
                ConflictTarget::Raw(r) => {
                    out.push(" ");
                    out.raw(r);
                }
            }
            match &conflict.action {
                None => return Err(QueryError::ConflictWithoutAction),
                Some(ConflictAction::Ignore) => out.push(" do nothing"),
                Some(action) => {
                    out.push(" do update set ");
                    match action {
                        ConflictAction::MergeValues(sets) => out.list(sets, |out, (c, v)| {
                            out.push(&wrap(c));
                            out.push(" = ");
                            out.operand(v);
                        }),
                        ConflictAction::MergeColumns(cols) => {
                            out.list(cols, |out, c| excluded(out, c))
                        }
                        _ => out.list(&columns, |out, c| excluded(out, c)),
                    }
                    self.where_sql(out)?;
                }
            }
        }
        self.returning_sql(out);
        Ok(true)
    }

    fn update_sql(&self, out: &mut Out) -> Result<(), QueryError> {
        if self.sets.is_empty() {
            return Err(QueryError::EmptyUpdate);
        }
        out.push("update ");
        out.push(&self.table_name("update")?);
        out.push(" set ");
        out.list(&self.sets, |out, (column, set)| {
            out.push(&wrap(column));
            out.push(" = ");
            match set {
                SetExpr::Value(v) => out.operand(v),
                SetExpr::Step(sign, v) => {
                    out.push(&wrap(column));
                    out.push(" ");
                    out.push(sign);
                    out.push(" ");
                    out.operand(v);
                }
            }
        });
        if let Some(from) = &self.update_from {
            out.push(" from ");
            out.push(&wrap(from));
        }
        self.where_sql(out)?;
        self.returning_sql(out);
        Ok(())
    }

    /// `delete`; joins become `using` tables whose `on` conditions join the where
    /// clause (Knex's PostgreSQL rule).
    fn delete_sql(&self, out: &mut Out) -> Result<(), QueryError> {
        out.push("delete from ");
        out.push(&self.table_name("del")?);
        let joins: Vec<&Join> = self
            .joins
            .iter()
            .filter_map(|j| match j {
                JoinItem::Table(j) => Some(j),
                JoinItem::Raw(_) => None,
            })
            .collect();
        if !joins.is_empty() {
            out.push(" using ");
            for (i, j) in joins.iter().enumerate() {
                if i > 0 {
                    out.push(",");
                }
                self.source(out, &j.table);
            }
        }
        let mut wrote = false;
        if has_content(&self.wheres) {
            out.push(" where ");
            clauses(out, &self.wheres)?;
            wrote = true;
        }
        for join in joins {
            for clause in &join.on {
                out.push(if wrote { " and " } else { " where " });
                wrote = true;
                let mut c = clause.clone();
                c.or = false;
                cond(out, &c)?;
            }
        }
        self.returning_sql(out);
        Ok(())
    }
}

fn excluded(out: &mut Out, column: &str) {
    let w = wrap(column);
    out.push(&w);
    out.push(" = excluded.");
    out.push(&w);
}

/// The union of the rows' columns, sorted (Knex sorts insert columns).
fn insert_columns(rows: &[Vec<(String, Operand)>]) -> Vec<&str> {
    let first: Vec<&str> = rows[0].iter().map(|(c, _)| c.as_str()).collect();
    let sorted_first = first.windows(2).all(|w| w[0] < w[1]);
    // Fast path for the common case: every row has the same sorted columns.
    if sorted_first
        && rows
            .iter()
            .all(|r| r.len() == first.len() && r.iter().zip(&first).all(|((c, _), f)| c == f))
    {
        return first;
    }
    let set: BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| r.iter().map(|(c, _)| c.as_str()))
        .collect();
    set.into_iter().collect()
}

fn values_rows(out: &mut Out, rows: &[Vec<(String, Operand)>], columns: &[&str]) {
    out.sql.reserve(rows.len() * (columns.len() * 3 + 4));
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(", ");
        }
        out.push("(");
        let aligned =
            row.len() == columns.len() && row.iter().zip(columns).all(|((c, _), k)| c == k);
        for (j, column) in columns.iter().enumerate() {
            if j > 0 {
                out.push(", ");
            }
            let value = if aligned {
                Some(&row[j].1)
            } else {
                row.iter().find(|(c, _)| c == column).map(|(_, v)| v)
            };
            match value {
                Some(v) => out.operand(v),
                None => out.push("DEFAULT"),
            }
        }
        out.push(")");
    }
}

fn column(out: &mut Out, c: &Column) {
    match c {
        Column::Name(n) => out.push(&wrap(n)),
        Column::Aliased { column, alias } => {
            out.push(&wrap(column));
            out.push(" as ");
            out.push(&quote_ident(alias));
        }
        Column::Raw(r) => out.raw(r),
        Column::Sub { sql, alias } => {
            out.sub(sql);
            if let Some(a) = alias {
                out.push(" as ");
                out.push(&quote_ident(a));
            }
        }
        Column::Aggregate {
            function,
            distinct,
            arg,
            alias,
        } => {
            // `count('id as n')`: the alias rides on the column name.
            let mut alias = alias.clone();
            out.push(function);
            out.push("(");
            if *distinct {
                out.push("distinct ");
            }
            match arg {
                AggregateArg::All => out.push("*"),
                AggregateArg::Raw(r) => out.raw(r),
                AggregateArg::Columns(cols) => {
                    let names: Vec<String> = cols
                        .iter()
                        .map(|c| {
                            let lower = c.to_ascii_lowercase();
                            match lower.find(" as ") {
                                Some(at) if cols.len() == 1 => {
                                    alias = Some(c[at + 4..].trim().to_string());
                                    wrap(c[..at].trim())
                                }
                                _ => wrap(c),
                            }
                        })
                        .collect();
                    out.push(&names.join(", "));
                }
            }
            out.push(")");
            if let Some(a) = alias {
                out.push(" as ");
                out.push(&quote_ident(&a));
            }
        }
    }
}

/// True when rendering `list` writes anything (empty groups vanish).
fn has_content(list: &[Clause]) -> bool {
    list.iter().any(|c| match &c.cond {
        Cond::Group(g) => has_content(g),
        _ => true,
    })
}

fn clauses(out: &mut Out, list: &[Clause]) -> Result<(), QueryError> {
    let mut first = true;
    for c in list {
        if let Cond::Group(g) = &c.cond {
            if !has_content(g) {
                continue;
            }
        }
        if !first {
            out.push(if c.or { " or " } else { " and " });
        }
        first = false;
        cond(out, c)?;
    }
    Ok(())
}

fn cond(out: &mut Out, c: &Clause) -> Result<(), QueryError> {
    let not = c.not;
    match &c.cond {
        Cond::Compare { left, op, right } => {
            if not {
                out.push("not ");
            }
            out.operand(left);
            out.push(" ");
            out.push(&operator(op)?);
            out.push(" ");
            out.operand(right);
        }
        Cond::In { columns, list } => {
            let lhs = if columns.len() == 1 {
                wrap(&columns[0])
            } else {
                format!(
                    "({})",
                    columns
                        .iter()
                        .map(|c| wrap(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let keyword = if not { " not in " } else { " in " };
            match list {
                InList::Values(values) if values.is_empty() => {
                    // Knex's always-false (`in`) / always-true (`not in`) test.
                    out.push("1 = ");
                    out.value(&Value::Int(if not { 1 } else { 0 }));
                }
                InList::Tuples(rows) if rows.is_empty() => {
                    out.push("1 = ");
                    out.value(&Value::Int(if not { 1 } else { 0 }));
                }
                InList::Values(values) => {
                    out.push(&lhs);
                    out.push(keyword);
                    out.push("(");
                    out.list(values, |out, v| out.operand(v));
                    out.push(")");
                }
                InList::Tuples(rows) => {
                    out.push(&lhs);
                    out.push(keyword);
                    out.push("(");
                    out.list(rows, |out, row| {
                        out.push("(");
                        out.list(row, |out, v| out.operand(v));
                        out.push(")");
                    });
                    out.push(")");
                }
                InList::Sub(sub) => {
                    out.push(&lhs);
                    out.push(keyword);
                    out.sub(sub);
                }
            }
        }
        Cond::Null(column) => {
            out.push(&wrap(column));
            out.push(if not { " is not null" } else { " is null" });
        }
        Cond::Between { column, low, high } => {
            out.push(&wrap(column));
            out.push(if not { " not between " } else { " between " });
            out.operand(low);
            out.push(" and ");
            out.operand(high);
        }
        Cond::Exists(sub) => {
            out.push(if not { "not exists " } else { "exists " });
            out.sub(sub);
        }
        Cond::Raw(r) => {
            if not {
                out.push("not ");
            }
            out.raw(r);
        }
        Cond::Group(list) => {
            if not {
                out.push("not ");
            }
            out.push("(");
            clauses(out, list)?;
            out.push(")");
        }
        Cond::JsonPath {
            column,
            path,
            op,
            value,
        } => {
            if not {
                out.push("not ");
            }
            out.push("jsonb_path_query_first(");
            out.push(&wrap(column));
            out.push(", ");
            out.value(&Value::Text(path.clone()));
            out.push(")");
            // Knex casts numbers and compares anything else as unquoted text.
            out.push(match value {
                Value::Int(_) => "::int",
                Value::Float(_) => "::float",
                _ => " #>> '{}'",
            });
            out.push(" ");
            out.push(&operator(op)?);
            out.push(" ");
            out.value(value);
        }
    }
    Ok(())
}
