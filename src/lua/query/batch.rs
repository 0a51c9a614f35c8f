//! `knex.batchInsert(table, rows, chunkSize)`: the rows read once (through the
//! same reader as `insert`), planned by [`BatchInsert::plan`] — `COPY` for runs
//! of plain rows without `returning`, chunked inserts otherwise — and that one
//! plan is what `:toSQL()` shows and `:run()` sends.

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
        BatchOp::Accepted => Ok(LuaValue::UserData(ud)),
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
