//! `knex.batchInsert(table, rows, chunkSize)`: `COPY` for plain rows without
//! `returning`, chunked inserts otherwise.

use super::*;

// knex.batchInsert

/// `knex.batchInsert(table, rows, chunkSize)`: a value until `:run()`. The
/// rows are read when it runs (as Knex reads them after `await`).
pub struct BatchInsertValue {
    pub(super) table: String,
    pub(super) rows: Table,
    pub(super) chunk_size: usize,
    pub(super) returning: Vec<String>,
    pub(super) used: Rc<Cell<bool>>,
    pub(super) location: Option<String>,
}

impl BatchInsertValue {
    fn batch(&self, lua: &Lua) -> mlua::Result<BatchInsert> {
        Ok(BatchInsert {
            table: self.table.clone(),
            schema: None,
            rows: rows_of(lua, &self.rows, "batchInsert")?,
            chunk_size: self.chunk_size,
            returning: self.returning.clone(),
        })
    }
}

impl UserData for BatchInsertValue {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_function("returning", |lua, (ud, cols): (AnyUserData, LuaValue)| {
            let names = names(lua, &cols, "returning")?;
            ud.borrow_mut::<BatchInsertValue>()?.returning = names;
            Ok(ud)
        });
        m.add_method("toSQL", |lua, this, ()| {
            this.used.set(true);
            let batch = this.batch(lua)?;
            let plan = batch.plan().map_err(|e| usage_error(lua, e.to_string()))?;
            let out = lua.create_table()?;
            for (i, step) in plan.iter().enumerate() {
                let raw = match step {
                    BatchStep::Copy { statement, .. } => Raw::verbatim(statement.clone()),
                    BatchStep::Insert(raw) => raw.clone(),
                };
                out.raw_set(i + 1, to_sql_table(lua, &raw)?)?;
            }
            Ok(out)
        });
        m.add_method("run", |lua, this, ()| {
            this.used.set(true);
            let at = || caller_location(lua).or(this.location.clone());
            if this.returning.is_empty() {
                if let Some(copy) = copy_fast(&this.table, &this.rows)? {
                    let n = with_db(lua, |db| {
                        db.begin()?;
                        match db.copy_in(&copy.statement, &copy.data) {
                            Ok(n) => db.commit().map(|()| n),
                            Err(e) => {
                                let _ = db.rollback();
                                Err(e)
                            }
                        }
                    })?
                    .map_err(|e| db_error_at(at(), e))?;
                    return Ok(LuaValue::Integer(i64::try_from(n).unwrap_or(i64::MAX)));
                }
            }
            let batch = this.batch(lua)?;
            let plan = batch.plan().map_err(|e| usage_error(lua, e.to_string()))?;
            let returning = !this.returning.is_empty();
            let result = with_db(lua, |db| {
                // All chunks or none, as Knex's own transaction around batchInsert.
                db.begin()?;
                let mut count = 0u64;
                let mut rows = Vec::new();
                let mut buffer = Vec::new();
                let outcome = (|| {
                    for step in &plan {
                        match step {
                            BatchStep::Copy {
                                statement,
                                rows: data,
                            } => {
                                buffer.clear();
                                encode_copy_rows(data, &mut buffer);
                                count += db.copy_in(statement, &buffer)?;
                            }
                            BatchStep::Insert(raw) => {
                                let sql = Sql::new(raw.sql.clone(), raw.bindings.clone());
                                if returning {
                                    rows.extend(db.query(&sql)?);
                                } else {
                                    count += db.execute(&sql)?;
                                }
                            }
                        }
                    }
                    Ok(())
                })();
                match outcome {
                    Ok(()) => db.commit().map(|()| (count, rows)),
                    Err(e) => {
                        let _ = db.rollback();
                        Err(e)
                    }
                }
            })?;
            let (count, rows) = result.map_err(|e| db_error_at(at(), e))?;
            if returning {
                Ok(LuaValue::Table(rows_to_lua(lua, &rows)?))
            } else {
                Ok(LuaValue::Integer(i64::try_from(count).unwrap_or(i64::MAX)))
            }
        });
        m.add_meta_function(
            MetaMethod::Index,
            |lua, (_, key): (AnyUserData, LuaValue)| {
                Err::<(), _>(unknown_method(lua, "batchInsert", &key, BATCH_METHODS))
            },
        );
    }
}

/// A `COPY` ready to stream.
pub(super) struct CopyData {
    pub(super) statement: String,
    pub(super) data: Vec<u8>,
}

/// The common case of a large seed, encoded straight from the Lua tables into
/// `COPY` text: every row names the same columns and holds only strings,
/// numbers, booleans and `knex.null`. `None` for anything else, which then takes
/// the general path ([`BatchInsert::plan`]) and gives the same rows.
pub(super) fn copy_fast(table: &str, rows: &Table) -> mlua::Result<Option<CopyData>> {
    let len = rows.raw_len();
    let first = match rows.raw_get::<LuaValue>(1)? {
        LuaValue::Table(t) if len > 0 => t,
        _ => return Ok(None),
    };
    let mut columns: Vec<String> = Vec::new();
    let mut keys_ok = true;
    first.for_each(|k: LuaValue, _: LuaValue| {
        match k {
            LuaValue::String(s) => match s.to_str() {
                Ok(name) => columns.push(name.to_string()),
                Err(_) => keys_ok = false,
            },
            _ => keys_ok = false,
        }
        Ok(())
    })?;
    if !keys_ok || columns.is_empty() {
        return Ok(None);
    }
    columns.sort_unstable();
    let mut data = Vec::with_capacity(len * (columns.len() * 12 + 1));
    // Each row's fields land in `scratch` in table order, then go out in column order.
    let mut scratch = Vec::new();
    let mut spans: Vec<Option<(usize, usize)>> = vec![None; columns.len()];
    for i in 1..=len {
        let LuaValue::Table(row) = rows.raw_get::<LuaValue>(i)? else {
            return Ok(None);
        };
        scratch.clear();
        spans.iter_mut().for_each(|s| *s = None);
        let mut fits = true;
        let mut seen = 0;
        row.for_each(|k: LuaValue, v: LuaValue| {
            if !fits {
                return Ok(());
            }
            let position = match &k {
                LuaValue::String(s) => {
                    let key = s.as_bytes();
                    columns.iter().position(|c| c.as_bytes() == &key[..])
                }
                _ => None,
            };
            let Some(at) = position else {
                fits = false;
                return Ok(());
            };
            let start = scratch.len();
            if !copy_field(&v, &mut scratch) {
                fits = false;
                return Ok(());
            }
            spans[at] = Some((start, scratch.len()));
            seen += 1;
            Ok(())
        })?;
        if !fits || seen != columns.len() {
            return Ok(None);
        }
        for (j, span) in spans.iter().enumerate() {
            if j > 0 {
                data.push(b'\t');
            }
            if let Some((a, b)) = span {
                data.extend_from_slice(&scratch[*a..*b]);
            }
        }
        data.push(b'\n');
    }
    let quoted: Vec<String> = columns.iter().map(|c| crate::sql::quote_ident(c)).collect();
    Ok(Some(CopyData {
        statement: format!(
            "COPY {} ({}) FROM STDIN",
            crate::sql::raw::wrap(table),
            quoted.join(", ")
        ),
        data,
    }))
}

/// One field in `COPY` text form, exactly as [`to_value`] would bind it; false
/// for values `COPY` cannot carry (tables, `knex.raw`, …).
pub(super) fn copy_field(v: &LuaValue, out: &mut Vec<u8>) -> bool {
    use std::io::Write;
    match v {
        LuaValue::String(s) => {
            let bytes = s.as_bytes();
            if std::str::from_utf8(&bytes).is_ok() && !bytes.contains(&0) {
                escape_copy(&bytes, out);
            } else {
                // Binary data: bytea's hex form, its backslash escaped for COPY.
                out.extend_from_slice(b"\\\\x");
                for b in bytes.iter() {
                    let _ = write!(out, "{b:02x}");
                }
            }
        }
        LuaValue::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        LuaValue::Number(n) => match Value::Float(*n).to_pg_text() {
            Some(text) => out.extend_from_slice(text.as_bytes()),
            None => return false,
        },
        LuaValue::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        LuaValue::UserData(ud) if ud.is::<NullMarker>() => out.extend_from_slice(b"\\N"),
        _ => return false,
    }
    true
}
