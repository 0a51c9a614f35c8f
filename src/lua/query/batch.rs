//! `knex.batchInsert(table, rows, chunkSize)`: `COPY` for plain rows without
//! `returning`, chunked inserts otherwise.

use super::*;
use crate::api::BatchOp;

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
        add_methods(
            m,
            Builder::BatchInsert,
            api::BATCH,
            batch_method,
            |lua, _, key| unknown_method(lua, Builder::BatchInsert, key),
        );
    }
}

fn batch_method(
    lua: &Lua,
    ud: AnyUserData,
    method: &'static api::Method<BatchOp>,
    mut args: MultiValue,
) -> mlua::Result<LuaValue> {
    match method.op {
        BatchOp::Returning => {
            let cols = args.pop_front().unwrap_or(LuaValue::Nil);
            let names = names(lua, &cols, method.name)?;
            ud.borrow_mut::<BatchInsertValue>()?.returning = names;
            Ok(LuaValue::UserData(ud))
        }
        BatchOp::ToSql => Ok(LuaValue::Table(
            ud.borrow::<BatchInsertValue>()?.to_sql(lua)?,
        )),
        BatchOp::Run => ud.borrow::<BatchInsertValue>()?.run(lua),
    }
}

impl BatchInsertValue {
    fn to_sql(&self, lua: &Lua) -> mlua::Result<Table> {
        let this = self;
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
    }

    fn run(&self, lua: &Lua) -> mlua::Result<LuaValue> {
        let this = self;
        this.used.set(true);
        let at = || caller_location(lua).or(this.location.clone());
        if this.returning.is_empty() {
            if let Some(copy) = copy_fast(lua, &this.table, &this.rows)? {
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
/// the general path ([`BatchInsert::plan`]) and gives the same rows. Values are
/// written exactly as [`to_value`] would bind them.
pub(super) fn copy_fast(lua: &Lua, table: &str, rows: &Table) -> mlua::Result<Option<CopyData>> {
    use mlua::ffi;
    let null = crate::lua::value::null_value(lua)?;
    let mut columns: Vec<Vec<u8>> = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    let mut plain = true;
    // SAFETY: as in `args::plain_rows`: a protected call with the rows at index 1
    // and `knex.null` at index 2; at most three values pushed and all popped;
    // only raw accesses, `lua_next` with its own keys, and `lua_tolstring` on
    // strings (no conversion, no allocation); bytes copied before popping.
    unsafe {
        lua.exec_raw::<()>((rows, null), |state| {
            let len = ffi::lua_rawlen(state, 1);
            if len == 0 {
                plain = false;
                return;
            }
            // Columns: the first row's keys, sorted (the insert's column order).
            ffi::lua_rawgeti(state, 1, 1);
            if ffi::lua_type(state, -1) != ffi::LUA_TTABLE {
                ffi::lua_pop(state, 1);
                plain = false;
                return;
            }
            ffi::lua_pushnil(state);
            while ffi::lua_next(state, -2) != 0 {
                if ffi::lua_type(state, -2) != ffi::LUA_TSTRING {
                    ffi::lua_pop(state, 2);
                    plain = false;
                    break;
                }
                let mut n = 0usize;
                let p = ffi::lua_tolstring(state, -2, &mut n);
                columns.push(std::slice::from_raw_parts(p as *const u8, n).to_vec());
                ffi::lua_pop(state, 1);
            }
            ffi::lua_pop(state, 1);
            if !plain
                || columns.is_empty()
                || columns.iter().any(|c| std::str::from_utf8(c).is_err())
            {
                plain = false;
                return;
            }
            columns.sort_unstable();
            data.reserve(len * (columns.len() * 12 + 1));
            // Each row's fields land in `scratch` in table order, then go out in column order.
            let mut scratch: Vec<u8> = Vec::new();
            let mut spans: Vec<Option<(usize, usize)>> = vec![None; columns.len()];
            'rows: for i in 1..=len {
                ffi::lua_rawgeti(state, 1, i as ffi::lua_Integer);
                if ffi::lua_type(state, -1) != ffi::LUA_TTABLE {
                    ffi::lua_pop(state, 1);
                    plain = false;
                    break;
                }
                scratch.clear();
                spans.iter_mut().for_each(|s| *s = None);
                let mut seen = 0;
                ffi::lua_pushnil(state);
                while ffi::lua_next(state, -2) != 0 {
                    let at = if ffi::lua_type(state, -2) == ffi::LUA_TSTRING {
                        let mut n = 0usize;
                        let p = ffi::lua_tolstring(state, -2, &mut n);
                        let key = std::slice::from_raw_parts(p as *const u8, n);
                        columns.iter().position(|c| c.as_slice() == key)
                    } else {
                        None
                    };
                    let start = scratch.len();
                    let ok = match at {
                        Some(_) => raw_copy_field(state, &mut scratch),
                        None => false,
                    };
                    match at {
                        Some(at) if ok && spans[at].is_none() => {
                            spans[at] = Some((start, scratch.len()));
                            seen += 1;
                            ffi::lua_pop(state, 1);
                        }
                        _ => {
                            ffi::lua_pop(state, 3);
                            plain = false;
                            break 'rows;
                        }
                    }
                }
                ffi::lua_pop(state, 1);
                if seen != columns.len() {
                    plain = false;
                    break;
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
        })?;
    }
    if !plain {
        return Ok(None);
    }
    let quoted: Vec<String> = columns
        .iter()
        .map(|c| crate::sql::quote_ident(&String::from_utf8_lossy(c)))
        .collect();
    Ok(Some(CopyData {
        statement: format!(
            "COPY {} ({}) FROM STDIN",
            crate::sql::raw::wrap(table),
            quoted.join(", ")
        ),
        data,
    }))
}

/// The value on top of the stack as one `COPY` field; false for values `COPY`
/// cannot carry (tables, `knex.raw`, …). `knex.null` is at index 2.
///
/// # Safety
/// Called only from `copy_fast`'s raw closure, with a value on top of the stack.
unsafe fn raw_copy_field(state: *mut mlua::lua_State, out: &mut Vec<u8>) -> bool {
    use mlua::ffi;
    use std::io::Write;
    match ffi::lua_type(state, -1) {
        ffi::LUA_TSTRING => {
            let mut n = 0usize;
            let p = ffi::lua_tolstring(state, -1, &mut n);
            let bytes = std::slice::from_raw_parts(p as *const u8, n);
            if std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0) {
                escape_copy(bytes, out);
            } else {
                // Binary data: bytea's hex form, its backslash escaped for COPY.
                out.extend_from_slice(b"\\\\x");
                for b in bytes {
                    let _ = write!(out, "{b:02x}");
                }
            }
        }
        ffi::LUA_TNUMBER => {
            if ffi::lua_isinteger(state, -1) != 0 {
                let _ = write!(
                    out,
                    "{}",
                    ffi::lua_tointegerx(state, -1, std::ptr::null_mut())
                );
            } else {
                let f = ffi::lua_tonumberx(state, -1, std::ptr::null_mut());
                match Value::Float(f).to_pg_text() {
                    Some(text) => out.extend_from_slice(text.as_bytes()),
                    None => return false,
                }
            }
        }
        ffi::LUA_TBOOLEAN => out.extend_from_slice(if ffi::lua_toboolean(state, -1) != 0 {
            b"true"
        } else {
            b"false"
        }),
        ffi::LUA_TUSERDATA if ffi::lua_rawequal(state, -1, 2) != 0 => out.extend_from_slice(b"\\N"),
        _ => return false,
    }
    true
}
