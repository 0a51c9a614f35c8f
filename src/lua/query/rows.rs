//! Rows for `insert` and `knex.batchInsert`: `{ col = value }` tables read
//! into (column, value) pairs sorted by column.
//!
//! Two readers give the same rows: [`pairs_of`] through mlua's safe API
//! (every value through [`to_value`] / [`operand`]), and [`plain_rows`],
//! which reads the common plain rows straight off the Lua stack in one
//! protected call. The unit tests below hold them equal for every Lua type.

use super::*;

/// A row's (column, value) pairs, sorted by column. `for_each` walks the table
/// in one protected call, which matters for 100,000-row seeds.
pub(super) fn pairs_of(lua: &Lua, t: &Table, method: &str) -> mlua::Result<Vec<(String, Operand)>> {
    let mut out = Vec::with_capacity(8);
    t.for_each(|k: LuaValue, v: LuaValue| {
        out.push((key_name(lua, &k, method)?, operand(lua, &v)?));
        Ok(())
    })?;
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// One insert row: (column, value) pairs sorted by column.
pub(super) type InsertRow = Vec<(String, Operand)>;

/// Insert rows: one `{ col = value }` table, or a sequence of them. An empty
/// table inserts nothing (Knex's `insert([])`); `{ {} }` is one row of defaults.
pub(super) fn rows_of(
    lua: &Lua,
    t: &Table,
    method: &str,
) -> mlua::Result<Vec<Vec<(String, Operand)>>> {
    let len = t.raw_len();
    if len == 0 {
        let row = pairs_of(lua, t, method)?;
        return Ok(if row.is_empty() {
            Vec::new()
        } else {
            vec![row]
        });
    }
    rows_in(lua, t, 1, len, method)
}

/// Rows `first..=last` of a sequence of `{ col = value }` tables (a window of
/// `knex.batchInsert`'s rows, or all of an insert's).
pub(super) fn rows_in(
    lua: &Lua,
    t: &Table,
    first: usize,
    last: usize,
    method: &str,
) -> mlua::Result<Vec<InsertRow>> {
    let plain = plain_rows(lua, t, first, last)?;
    let mut rows = Vec::with_capacity(plain.len());
    for (i, row) in (first..).zip(plain) {
        if let Some(row) = row {
            rows.push(row);
            continue;
        }
        // Anything else (`knex.null`, tables, raw fragments, bad keys) takes the
        // general path, which also words the errors.
        match t.raw_get::<LuaValue>(i)? {
            LuaValue::Table(row) => rows.push(pairs_of(lua, &row, method)?),
            other => {
                return Err(usage_error(
                    lua,
                    format!(
                        "`{method}` expects a list of rows ({{ {{ col = value }}, … }}), but an item is {}",
                        describe(&other)
                    ),
                ))
            }
        }
    }
    Ok(rows)
}

/// Rows `first..=last` of a sequence, those whose keys are strings and whose
/// values are strings, numbers, booleans or `knex.null` read straight off the
/// Lua stack; `None` for any other row (and for an index past the end). Converting a 1,000-row insert through mlua's safe API costs a
/// protected call per row and a registry reference per value, more than the
/// server takes to insert the rows; this reads them in one protected call.
/// Values convert exactly as [`to_value`] converts them.
fn plain_rows(
    lua: &Lua,
    t: &Table,
    first: usize,
    last: usize,
) -> mlua::Result<Vec<Option<InsertRow>>> {
    use mlua::ffi;
    let mut out: Vec<Option<InsertRow>> = Vec::new();
    // SAFETY: `exec_raw` runs the closure in a protected call with the rows table
    // at index 1, `knex.null` at index 2, and room for at least `LUA_MINSTACK` (20) values; the closure
    // pushes at most three (row, key, value) and pops them all. It calls nothing
    // that can raise a Lua error: raw gets (an index past the end gives nil,
    // which is no table), `lua_next` with keys `lua_next` itself
    // produced, and `lua_tolstring` only on values that are already strings (so
    // it neither converts nor allocates). Byte slices are copied before the value
    // is popped.
    unsafe {
        let null = crate::lua::value::null_value(lua)?;
        lua.exec_raw::<()>((t, null), |state| {
            out.reserve((last + 1).saturating_sub(first));
            let mut width = 4;
            for i in first..=last {
                ffi::lua_rawgeti(state, 1, i as ffi::lua_Integer);
                if ffi::lua_type(state, -1) != ffi::LUA_TTABLE {
                    ffi::lua_pop(state, 1);
                    out.push(None);
                    continue;
                }
                let mut row: Vec<(String, Operand)> = Vec::with_capacity(width);
                let mut plain = true;
                ffi::lua_pushnil(state);
                while ffi::lua_next(state, -2) != 0 {
                    let key = if ffi::lua_type(state, -2) == ffi::LUA_TSTRING {
                        let mut n = 0usize;
                        let p = ffi::lua_tolstring(state, -2, &mut n);
                        std::str::from_utf8(std::slice::from_raw_parts(p as *const u8, n))
                            .ok()
                            .map(str::to_string)
                    } else {
                        None
                    };
                    let value = match ffi::lua_type(state, -1) {
                        ffi::LUA_TSTRING => {
                            let mut n = 0usize;
                            let p = ffi::lua_tolstring(state, -1, &mut n);
                            let bytes = std::slice::from_raw_parts(p as *const u8, n);
                            Some(match std::str::from_utf8(bytes) {
                                Ok(text) if !bytes.contains(&0) => Value::Text(text.to_string()),
                                _ => Value::Bytes(bytes.to_vec()),
                            })
                        }
                        ffi::LUA_TNUMBER => Some(if ffi::lua_isinteger(state, -1) != 0 {
                            Value::Int(ffi::lua_tointegerx(state, -1, std::ptr::null_mut()))
                        } else {
                            Value::Float(ffi::lua_tonumberx(state, -1, std::ptr::null_mut()))
                        }),
                        ffi::LUA_TBOOLEAN => Some(Value::Bool(ffi::lua_toboolean(state, -1) != 0)),
                        // `knex.null` (argument 2)
                        ffi::LUA_TUSERDATA if ffi::lua_rawequal(state, -1, 2) != 0 => {
                            Some(Value::Null)
                        }
                        _ => None,
                    };
                    match (key, value) {
                        (Some(k), Some(v)) => {
                            row.push((k, Operand::Value(v)));
                            ffi::lua_pop(state, 1);
                        }
                        _ => {
                            plain = false;
                            ffi::lua_pop(state, 2);
                            break;
                        }
                    }
                }
                ffi::lua_pop(state, 1);
                if plain {
                    width = row.len();
                    row.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                    out.push(Some(row));
                } else {
                    out.push(None);
                }
            }
        })?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows holding every value the stack reader takes, and some it leaves to
    /// the safe path.
    const ROWS: &str = r#"
        local big = 9223372036854775807
        return {
          { s = "text", e = "", u = "ünïcødé ✓", q = "it's \"quoted\"\t\n" },
          { nul = "a\0b", bin = "\xff\xfe", n = 0, neg = -1, max = big, min = -big - 1 },
          { f = 1.5, tenth = 0.1, tiny = 1e-300, huge = 1e300, negz = -0.0, whole = 2.0 },
          { t = true, f = false, null = knex.null },
          { nested = { 1, 2 } },
          { [1] = "positional" },
          { frag = knex.fn.now() },
        }
    "#;

    #[test]
    fn the_stack_reader_gives_what_the_safe_reader_gives() {
        let lua = Lua::new();
        let knex = crate::lua::knex::create(&lua).expect("knex");
        lua.globals().set("knex", knex).expect("global");
        let rows: Table = lua.load(ROWS).eval().expect("rows");
        let fast = plain_rows(&lua, &rows, 1, 7).expect("stack reader");
        assert_eq!(fast.len(), 7);
        let mut plain = 0;
        for (i, row) in fast.into_iter().enumerate() {
            let table: Table = rows.raw_get(i + 1).expect("row");
            let safe = pairs_of(&lua, &table, "insert");
            match row {
                Some(fast) => {
                    plain += 1;
                    assert_eq!(Ok(fast), safe.map_err(|e| e.to_string()), "row {}", i + 1);
                }
                // Rows the stack reader leaves alone: nested tables, non-string
                // keys, fragments (the safe path reads or refuses them).
                None => assert!(i >= 4, "row {} should be plain", i + 1),
            }
        }
        assert_eq!(plain, 4, "the first four rows are plain");
        // A window of rows reads the same rows; indexes past the end are no rows.
        let window = plain_rows(&lua, &rows, 2, 9).expect("window");
        let whole = plain_rows(&lua, &rows, 1, 7).expect("stack reader");
        assert_eq!(window[..6], whole[1..]);
        assert_eq!(window[6..], [None, None]);
    }

    #[test]
    fn a_batch_shows_in_to_sql_what_it_sends() {
        let lua = Lua::new();
        let knex = crate::lua::knex::create(&lua).expect("knex");
        lua.globals().set("knex", knex).expect("global");
        // 3 rows: too few for COPY, so both show and send inserts; 20: COPY.
        for (n, first) in [(3, "insert into"), (20, "COPY")] {
            let sql: String = lua
                .load(format!(
                    "local rows = {{}} for i = 1, {n} do rows[i] = {{ a = i }} end
                     return knex.batchInsert('t', rows):toSQL()[1].sql"
                ))
                .eval()
                .expect("toSQL");
            assert!(sql.starts_with(first), "{n} rows: {sql}");
        }
    }
}
