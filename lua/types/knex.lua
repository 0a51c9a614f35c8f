---@meta knex
-- LuaLS definitions for the `knex` value passed to `up(knex)`, `down(knex)` and
-- `seed(knex)`: queries (lazy until `:run()`), `knex.raw`, `knex.batchInsert`,
-- `knex.transaction` and values. `knex.schema` (runs immediately) is typed in
-- `schema.lua`. See docs/lua-api/query.md.

---SQL NULL (`knex.null`): a Lua table cannot hold nil.
---@class KnexNull

---A fragment of SQL inlined where it is used (`knex.fn.now()`).
---@class KnexFragment

---Any value a statement can bind: string, number, boolean, table (JSON, or an
---array for array columns), `knex.null`, `knex.raw(...)`, `knex.fn.now()`,
---`knex.ref(...)` or a query (a subquery).
---@alias KnexValue string|number|boolean|table|KnexNull|KnexFragment|RawQuery|KnexRef|QueryBuilder

---@alias KnexColumns string|string[]

---A table name, a query (`knex("users"):as("u")`) or `knex.raw(...)`.
---@alias KnexSource string|QueryBuilder|RawQuery

---@class KnexFn
local KnexFn = {}

---`CURRENT_TIMESTAMP` (or `CURRENT_TIMESTAMP(precision)`).
---@param precision? integer
---@return KnexFragment
function KnexFn.now(precision) end

---`(gen_random_uuid())`.
---@return KnexFragment
function KnexFn.uuid() end

---A column reference (`knex.ref("users.id")`): quoted, never bound.
---@class KnexRef
local KnexRef = {}

---@param alias string
---@return KnexRef
function KnexRef:as(alias) end

---@param schema string
---@return KnexRef
function KnexRef:withSchema(schema) end

---The `knex` module. Call it to start a query: `knex("users"):where("id", 1):first():run()`.
---@class Knex
---@overload fun(table?: KnexSource): QueryBuilder
---@field schema knex.SchemaBuilder Schema statements; they run when called.
---@field null KnexNull SQL NULL.
---@field fn KnexFn SQL functions: `knex.fn.now()`, `knex.fn.uuid()`.
---@field client { config: { client: "pg" } } The dialect, for ported `if knex.client.config.client == "pg"` branches.
local knex = {}

---Raw SQL with `?` (value), `??` (identifier), `:name` / `:name:` (named) placeholders;
---`\\?` is a literal question mark. A value until `:run()` or used inside another statement.
---@param sql string
---@param bindings? KnexValue[]|table<string, KnexValue>|KnexValue
---@return RawQuery
---@nodiscard
function knex.raw(sql, bindings) end

---Inserts many rows in chunks (default 1000) inside the current transaction;
---without `:returning()` it streams them with `COPY`. A value until `:run()`.
---`rows` is a list of rows, or a function returning the next row (nil after the
---last), called while the rows before are sent: memory holds one chunk, not the batch.
---@param table string
---@param rows table<string, KnexValue>[]|fun(): table<string, KnexValue>|nil
---@param chunkSize? integer
---@return BatchInsert
---@nodiscard
function knex.batchInsert(table, rows, chunkSize) end

---Runs `fn(trx)` in a savepoint: an error inside rolls back to it and is re-raised.
---Returns what `fn` returns. `trx` works like `knex`.
---@generic T
---@param fn fun(trx: Knex): T
---@return T
function knex.transaction(fn) end

---Starts a query with a select list: `knex.select("id"):from("users")`.
---@param ... KnexColumns|table<string, string>|RawQuery|KnexRef|QueryBuilder
---@return QueryBuilder
---@nodiscard
function knex.select(...) end

---@param source KnexSource
---@return QueryBuilder
---@nodiscard
function knex.from(source) end

---@param table string
---@return QueryBuilder
---@nodiscard
function knex.table(table) end

---@param table string
---@return QueryBuilder
---@nodiscard
function knex.into(table) end

---Starts a query with a CTE: `knex.with("w", knex("users")):select("*"):from("w")`.
---@param name string
---@param columnsOrQuery string[]|QueryBuilder|RawQuery|fun(q: QueryBuilder)|string
---@param query? QueryBuilder|RawQuery|fun(q: QueryBuilder)|string
---@return QueryBuilder
---@nodiscard
function knex.with(name, columnsOrQuery, query) end

---@param name string
---@param columnsOrQuery string[]|QueryBuilder|RawQuery|fun(q: QueryBuilder)|string
---@param query? QueryBuilder|RawQuery|fun(q: QueryBuilder)|string
---@return QueryBuilder
---@nodiscard
function knex.withRecursive(name, columnsOrQuery, query) end

---@param schema string
---@return QueryBuilder
---@nodiscard
function knex.withSchema(schema) end

---Where-only queries, as Knex's index predicates take them:
---`t:index({ "a" }, "ix_a", { predicate = knex.whereNotNull("a") })`.
---Each starts a query and calls the method of the same name on it.
---@return QueryBuilder
---@nodiscard
function knex.where(...) end
---@return QueryBuilder
---@nodiscard
function knex.whereNot(...) end
---@return QueryBuilder
---@nodiscard
function knex.whereNull(column) end
---@return QueryBuilder
---@nodiscard
function knex.whereNotNull(column) end
---@return QueryBuilder
---@nodiscard
function knex.whereIn(column, values) end
---@return QueryBuilder
---@nodiscard
function knex.whereNotIn(column, values) end
---@return QueryBuilder
---@nodiscard
function knex.whereBetween(column, range) end
---@return QueryBuilder
---@nodiscard
function knex.whereLike(column, pattern) end
---@return QueryBuilder
---@nodiscard
function knex.whereILike(column, pattern) end
---@return QueryBuilder
---@nodiscard
function knex.whereRaw(sql, bindings) end

---Every other query method also starts a query, as in Knex: `knex.NAME(...)`
---is `knex():NAME(...)` (`knex.insert(rows):into(t)`, `knex.update(v):table(t)`).
---@return QueryBuilder
function knex.column(...) end
---@return QueryBuilder
function knex.columns(...) end
---@return QueryBuilder
function knex.distinct(...) end
---@return QueryBuilder
function knex.distinctOn(...) end
---@return QueryBuilder
function knex.first(...) end
---@return QueryBuilder
function knex.pluck(...) end
---@return QueryBuilder
function knex.count(...) end
---@return QueryBuilder
function knex.countDistinct(...) end
---@return QueryBuilder
function knex.min(...) end
---@return QueryBuilder
function knex.max(...) end
---@return QueryBuilder
function knex.sum(...) end
---@return QueryBuilder
function knex.sumDistinct(...) end
---@return QueryBuilder
function knex.avg(...) end
---@return QueryBuilder
function knex.avgDistinct(...) end
---@return QueryBuilder
function knex.jsonExtract(...) end
---@return QueryBuilder
function knex.as(...) end
---@return QueryBuilder
function knex.andWhere(...) end
---@return QueryBuilder
function knex.orWhere(...) end
---@return QueryBuilder
function knex.andWhereNot(...) end
---@return QueryBuilder
function knex.orWhereNot(...) end
---@return QueryBuilder
function knex.orWhereIn(...) end
---@return QueryBuilder
function knex.orWhereNotIn(...) end
---@return QueryBuilder
function knex.orWhereNull(...) end
---@return QueryBuilder
function knex.orWhereNotNull(...) end
---@return QueryBuilder
function knex.orWhereBetween(...) end
---@return QueryBuilder
function knex.whereNotBetween(...) end
---@return QueryBuilder
function knex.orWhereNotBetween(...) end
---@return QueryBuilder
function knex.orWhereLike(...) end
---@return QueryBuilder
function knex.orWhereILike(...) end
---@return QueryBuilder
function knex.whereExists(...) end
---@return QueryBuilder
function knex.orWhereExists(...) end
---@return QueryBuilder
function knex.whereNotExists(...) end
---@return QueryBuilder
function knex.orWhereNotExists(...) end
---@return QueryBuilder
function knex.orWhereRaw(...) end
---@return QueryBuilder
function knex.whereColumn(...) end
---@return QueryBuilder
function knex.orWhereColumn(...) end
---@return QueryBuilder
function knex.whereJsonPath(...) end
---@return QueryBuilder
function knex.whereJsonObject(...) end
---@return QueryBuilder
function knex.whereJsonSupersetOf(...) end
---@return QueryBuilder
function knex.whereJsonSubsetOf(...) end
---@return QueryBuilder
function knex.join(...) end
---@return QueryBuilder
function knex.innerJoin(...) end
---@return QueryBuilder
function knex.leftJoin(...) end
---@return QueryBuilder
function knex.leftOuterJoin(...) end
---@return QueryBuilder
function knex.rightJoin(...) end
---@return QueryBuilder
function knex.rightOuterJoin(...) end
---@return QueryBuilder
function knex.fullOuterJoin(...) end
---@return QueryBuilder
function knex.crossJoin(...) end
---@return QueryBuilder
function knex.joinRaw(...) end
---@return QueryBuilder
function knex.orderBy(...) end
---@return QueryBuilder
function knex.orderByRaw(...) end
---@return QueryBuilder
function knex.groupBy(...) end
---@return QueryBuilder
function knex.groupByRaw(...) end
---@return QueryBuilder
function knex.having(...) end
---@return QueryBuilder
function knex.orHaving(...) end
---@return QueryBuilder
function knex.havingRaw(...) end
---@return QueryBuilder
function knex.orHavingRaw(...) end
---@return QueryBuilder
function knex.havingIn(...) end
---@return QueryBuilder
function knex.havingNotIn(...) end
---@return QueryBuilder
function knex.havingNull(...) end
---@return QueryBuilder
function knex.havingNotNull(...) end
---@return QueryBuilder
function knex.havingBetween(...) end
---@return QueryBuilder
function knex.havingNotBetween(...) end
---@return QueryBuilder
function knex.limit(...) end
---@return QueryBuilder
function knex.offset(...) end
---@return QueryBuilder
function knex.insert(...) end
---@return QueryBuilder
function knex.update(...) end
---@return QueryBuilder
function knex.del(...) end
---@return QueryBuilder
function knex.delete(...) end
---@return QueryBuilder
function knex.truncate(...) end
---@return QueryBuilder
function knex.returning(...) end
---@return QueryBuilder
function knex.onConflict(...) end
---@return QueryBuilder
function knex.merge(...) end
---@return QueryBuilder
function knex.ignore(...) end
---@return QueryBuilder
function knex.increment(...) end
---@return QueryBuilder
function knex.decrement(...) end
---@return QueryBuilder
function knex.updateFrom(...) end
---@return QueryBuilder
function knex.upsert(...) end
---@return QueryBuilder
function knex.withMaterialized(...) end
---@return QueryBuilder
function knex.withNotMaterialized(...) end
---@return QueryBuilder
function knex.union(...) end
---@return QueryBuilder
function knex.unionAll(...) end
---@return QueryBuilder
function knex.forUpdate(...) end
---@return QueryBuilder
function knex.forShare(...) end
---@return QueryBuilder
function knex.forNoKeyUpdate(...) end
---@return QueryBuilder
function knex.forKeyShare(...) end
---@return QueryBuilder
function knex.skipLocked(...) end
---@return QueryBuilder
function knex.noWait(...) end
---@return QueryBuilder
function knex.clearSelect(...) end
---@return QueryBuilder
function knex.clearWhere(...) end
---@return QueryBuilder
function knex.clearOrder(...) end
---@return QueryBuilder
function knex.clearGroup(...) end
---@return QueryBuilder
function knex.clearHaving(...) end
---@return QueryBuilder
function knex.modify(...) end
---@return QueryBuilder
function knex.timeout(...) end
---@return QueryBuilder
function knex.transacting(...) end
---@return QueryBuilder
function knex.columnInfo(...) end
---@return QueryBuilder
function knex.andHaving(...) end
---@return QueryBuilder
function knex.andHavingBetween(...) end
---@return QueryBuilder
function knex.andHavingExists(...) end
---@return QueryBuilder
function knex.andHavingIn(...) end
---@return QueryBuilder
function knex.andHavingNotBetween(...) end
---@return QueryBuilder
function knex.andHavingNotExists(...) end
---@return QueryBuilder
function knex.andHavingNotIn(...) end
---@return QueryBuilder
function knex.andHavingNotNull(...) end
---@return QueryBuilder
function knex.andHavingNull(...) end
---@return QueryBuilder
function knex.andWhereBetween(...) end
---@return QueryBuilder
function knex.andWhereColumn(...) end
---@return QueryBuilder
function knex.andWhereILike(...) end
---@return QueryBuilder
function knex.andWhereJsonNotSubsetOf(...) end
---@return QueryBuilder
function knex.andWhereJsonNotSupersetOf(...) end
---@return QueryBuilder
function knex.andWhereJsonObject(...) end
---@return QueryBuilder
function knex.andWhereJsonPath(...) end
---@return QueryBuilder
function knex.andWhereJsonSubsetOf(...) end
---@return QueryBuilder
function knex.andWhereJsonSupersetOf(...) end
---@return QueryBuilder
function knex.andWhereLike(...) end
---@return QueryBuilder
function knex.andWhereNotBetween(...) end
---@return QueryBuilder
function knex.andWhereNotColumn(...) end
---@return QueryBuilder
function knex.andWhereNotJsonObject(...) end
---@return QueryBuilder
function knex.andWhereRaw(...) end
---@return QueryBuilder
function knex.fromRaw(...) end
---@return QueryBuilder
function knex.havingExists(...) end
---@return QueryBuilder
function knex.havingNotExists(...) end
---@return QueryBuilder
function knex.orHavingBetween(...) end
---@return QueryBuilder
function knex.orHavingExists(...) end
---@return QueryBuilder
function knex.orHavingIn(...) end
---@return QueryBuilder
function knex.orHavingNotBetween(...) end
---@return QueryBuilder
function knex.orHavingNotExists(...) end
---@return QueryBuilder
function knex.orHavingNotIn(...) end
---@return QueryBuilder
function knex.orHavingNotNull(...) end
---@return QueryBuilder
function knex.orHavingNull(...) end
---@return QueryBuilder
function knex.orWhereJsonNotSubsetOf(...) end
---@return QueryBuilder
function knex.orWhereJsonNotSupersetOf(...) end
---@return QueryBuilder
function knex.orWhereJsonObject(...) end
---@return QueryBuilder
function knex.orWhereJsonPath(...) end
---@return QueryBuilder
function knex.orWhereJsonSubsetOf(...) end
---@return QueryBuilder
function knex.orWhereJsonSupersetOf(...) end
---@return QueryBuilder
function knex.orWhereNotColumn(...) end
---@return QueryBuilder
function knex.orWhereNotJsonObject(...) end
---@return QueryBuilder
function knex.whereJsonNotSubsetOf(...) end
---@return QueryBuilder
function knex.whereJsonNotSupersetOf(...) end
---@return QueryBuilder
function knex.whereNotColumn(...) end
---@return QueryBuilder
function knex.whereNotJsonObject(...) end
---@return QueryBuilder
function knex.clear(...) end
---@return QueryBuilder
function knex.clearCounters(...) end
---@return QueryBuilder
function knex.clone(...) end

---An empty query (same as `knex()`).
---@return QueryBuilder
---@nodiscard
function knex.queryBuilder() end

---@param column string
---@return KnexRef
function knex.ref(column) end

---Forces JSON for a sequence (and `[]` for an empty table).
---@param t? any[]
---@return KnexFragment
function knex.jsonArray(t) end

---Forces a JSON object (and `{}` for an empty table).
---@param t? table<string, any>
---@return KnexFragment
function knex.jsonObject(t) end

---A `knex.raw(...)` value.
---@class RawQuery
local RawQuery = {}

---Runs it; returns the rows (an array of tables keyed by column).
---@return table[]
function RawQuery:run() end

---@return { sql: string, bindings: any[] }
function RawQuery:toSQL() end

---A `knex.batchInsert(...)` value.
---@class BatchInsert
local BatchInsert = {}

---@param columns KnexColumns
---@return BatchInsert
---@nodiscard
function BatchInsert:returning(columns) end

---Runs it; returns the number of rows inserted, or the returned rows.
---@return integer|table[]
function BatchInsert:run() end

---The statements it would send (`COPY … FROM STDIN` or inserts).
---@return { sql: string, bindings: any[] }[]
function BatchInsert:toSQL() end

---The argument of a join callback: `join("a", function(j) j:on("users.id", "a.uid") end)`.
---@class JoinClause
local JoinClause = {}

---@param first string|RawQuery|fun(j: JoinClause)
---@param operatorOrSecond? string|RawQuery
---@param second? string|RawQuery
---@return JoinClause
function JoinClause:on(first, operatorOrSecond, second) end
---@return JoinClause
function JoinClause:andOn(first, operatorOrSecond, second) end
---@return JoinClause
function JoinClause:orOn(first, operatorOrSecond, second) end
---Compares a column with a bound value.
---@param column string
---@param operatorOrValue any
---@param value? KnexValue
---@return JoinClause
function JoinClause:onVal(column, operatorOrValue, value) end
---@return JoinClause
function JoinClause:andOnVal(column, operatorOrValue, value) end
---@return JoinClause
function JoinClause:orOnVal(column, operatorOrValue, value) end
---@param column string
---@param values KnexValue[]|QueryBuilder
---@return JoinClause
function JoinClause:onIn(column, values) end
---@return JoinClause
function JoinClause:andOnIn(column, values) end
---@return JoinClause
function JoinClause:orOnIn(column, values) end
---@return JoinClause
function JoinClause:onNotIn(column, values) end
---@return JoinClause
function JoinClause:orOnNotIn(column, values) end
---@param column string
---@return JoinClause
function JoinClause:onNull(column) end
---@return JoinClause
function JoinClause:andOnNull(column) end
---@return JoinClause
function JoinClause:orOnNull(column) end
---@return JoinClause
function JoinClause:onNotNull(column) end
---@return JoinClause
function JoinClause:andOnNotNull(column) end
---@return JoinClause
function JoinClause:orOnNotNull(column) end
---@param column string
---@param range KnexValue[]
---@return JoinClause
function JoinClause:onBetween(column, range) end
---@return JoinClause
function JoinClause:orOnBetween(column, range) end
---@return JoinClause
function JoinClause:onNotBetween(column, range) end
---@return JoinClause
function JoinClause:orOnNotBetween(column, range) end

---A query: every method but `run`, `toSQL` and `modify`'s callback returns the
---same builder. Nothing is sent until `:run()`.
---@class QueryBuilder
local QueryBuilder = {}

---@alias WhereArg string|table<string, KnexValue>|fun(q: QueryBuilder)|RawQuery

---@param ... KnexColumns|table<string, string>|RawQuery|KnexRef|QueryBuilder
---@return QueryBuilder
function QueryBuilder:select(...) end
---@return QueryBuilder
function QueryBuilder:column(...) end
---@return QueryBuilder
function QueryBuilder:columns(...) end
---@return QueryBuilder
function QueryBuilder:distinct(...) end
---@param ... KnexColumns
---@return QueryBuilder
function QueryBuilder:distinctOn(...) end
---`limit 1`; `:run()` returns one row or nil.
---@param ... KnexColumns
---@return QueryBuilder
---@nodiscard
function QueryBuilder:first(...) end
---`:run()` returns an array of the column's values.
---@param column string
---@return QueryBuilder
---@nodiscard
function QueryBuilder:pluck(column) end
---@param column? string|table<string, string>|RawQuery  `"id as n"` or `{ n = "id" }` alias the result
---@return QueryBuilder
---@nodiscard
function QueryBuilder:count(column) end
---@return QueryBuilder
---@nodiscard
function QueryBuilder:countDistinct(column) end
---@return QueryBuilder
---@nodiscard
function QueryBuilder:min(column) end
---@return QueryBuilder
---@nodiscard
function QueryBuilder:max(column) end
---@return QueryBuilder
---@nodiscard
function QueryBuilder:sum(column) end
---@return QueryBuilder
---@nodiscard
function QueryBuilder:sumDistinct(column) end
---@return QueryBuilder
---@nodiscard
function QueryBuilder:avg(column) end
---@return QueryBuilder
---@nodiscard
function QueryBuilder:avgDistinct(column) end
---@param source KnexSource
---@return QueryBuilder
function QueryBuilder:from(source) end
---@param table string
---@return QueryBuilder
function QueryBuilder:into(table) end
---@param table string
---@return QueryBuilder
function QueryBuilder:table(table) end
---@param schema string
---@return QueryBuilder
function QueryBuilder:withSchema(schema) end
---The alias this query gets as a subquery.
---@param alias string
---@return QueryBuilder
function QueryBuilder:as(alias) end

---`where(col, value)`, `where(col, op, value)`, `where({ col = value })`, `where(function(q) … end)`.
---@param column WhereArg
---@param operatorOrValue? KnexValue
---@param value? KnexValue
---@return QueryBuilder
function QueryBuilder:where(column, operatorOrValue, value) end
---@return QueryBuilder
function QueryBuilder:andWhere(column, operatorOrValue, value) end
---@return QueryBuilder
function QueryBuilder:orWhere(column, operatorOrValue, value) end
---@return QueryBuilder
function QueryBuilder:whereNot(column, operatorOrValue, value) end
---@return QueryBuilder
function QueryBuilder:andWhereNot(column, operatorOrValue, value) end
---@return QueryBuilder
function QueryBuilder:orWhereNot(column, operatorOrValue, value) end
---@param column string|string[]
---@param values KnexValue[]|KnexValue[][]|QueryBuilder|RawQuery|fun(q: QueryBuilder)
---@return QueryBuilder
function QueryBuilder:whereIn(column, values) end
---@return QueryBuilder
function QueryBuilder:orWhereIn(column, values) end
---@return QueryBuilder
function QueryBuilder:whereNotIn(column, values) end
---@return QueryBuilder
function QueryBuilder:orWhereNotIn(column, values) end
---@param column string
---@return QueryBuilder
function QueryBuilder:whereNull(column) end
---@return QueryBuilder
function QueryBuilder:orWhereNull(column) end
---@return QueryBuilder
function QueryBuilder:whereNotNull(column) end
---@return QueryBuilder
function QueryBuilder:orWhereNotNull(column) end
---@param column string
---@param range KnexValue[] `{ low, high }`
---@return QueryBuilder
function QueryBuilder:whereBetween(column, range) end
---@return QueryBuilder
function QueryBuilder:orWhereBetween(column, range) end
---@return QueryBuilder
function QueryBuilder:whereNotBetween(column, range) end
---@return QueryBuilder
function QueryBuilder:orWhereNotBetween(column, range) end
---@param column string|RawQuery
---@param pattern string
---@return QueryBuilder
function QueryBuilder:whereLike(column, pattern) end
---@return QueryBuilder
function QueryBuilder:orWhereLike(column, pattern) end
---@return QueryBuilder
function QueryBuilder:whereILike(column, pattern) end
---@return QueryBuilder
function QueryBuilder:orWhereILike(column, pattern) end
---@param query QueryBuilder|RawQuery|fun(q: QueryBuilder)
---@return QueryBuilder
function QueryBuilder:whereExists(query) end
---@return QueryBuilder
function QueryBuilder:orWhereExists(query) end
---@return QueryBuilder
function QueryBuilder:whereNotExists(query) end
---@return QueryBuilder
function QueryBuilder:orWhereNotExists(query) end
---@param sql string
---@param bindings? KnexValue[]|table<string, KnexValue>
---@return QueryBuilder
function QueryBuilder:whereRaw(sql, bindings) end
---@return QueryBuilder
function QueryBuilder:orWhereRaw(sql, bindings) end
---@param first string
---@param operatorOrSecond string
---@param second? string
---@return QueryBuilder
function QueryBuilder:whereColumn(first, operatorOrSecond, second) end
---@return QueryBuilder
function QueryBuilder:orWhereColumn(first, operatorOrSecond, second) end
---@param column string
---@param path string
---@param operator string
---@param value KnexValue
---@return QueryBuilder
function QueryBuilder:whereJsonPath(column, path, operator, value) end
---@param column string
---@param value table
---@return QueryBuilder
function QueryBuilder:whereJsonObject(column, value) end
---@return QueryBuilder
function QueryBuilder:whereJsonSupersetOf(column, value) end
---@return QueryBuilder
function QueryBuilder:whereJsonSubsetOf(column, value) end

---@param table KnexSource
---@param first string|RawQuery|fun(j: JoinClause)
---@param operatorOrSecond? string|RawQuery
---@param second? string|RawQuery
---@return QueryBuilder
function QueryBuilder:join(table, first, operatorOrSecond, second) end
---@return QueryBuilder
function QueryBuilder:innerJoin(table, first, operatorOrSecond, second) end
---@return QueryBuilder
function QueryBuilder:leftJoin(table, first, operatorOrSecond, second) end
---@return QueryBuilder
function QueryBuilder:leftOuterJoin(table, first, operatorOrSecond, second) end
---@return QueryBuilder
function QueryBuilder:rightJoin(table, first, operatorOrSecond, second) end
---@return QueryBuilder
function QueryBuilder:rightOuterJoin(table, first, operatorOrSecond, second) end
---@return QueryBuilder
function QueryBuilder:fullOuterJoin(table, first, operatorOrSecond, second) end
---@param table KnexSource
---@return QueryBuilder
function QueryBuilder:crossJoin(table) end
---@param sql string
---@param bindings? KnexValue[]
---@return QueryBuilder
function QueryBuilder:joinRaw(sql, bindings) end

---@param column string|RawQuery|({ column: string, order?: "asc"|"desc", nulls?: "first"|"last" }|string)[]
---@param direction? "asc"|"desc"
---@param nulls? "first"|"last"
---@return QueryBuilder
function QueryBuilder:orderBy(column, direction, nulls) end
---@return QueryBuilder
function QueryBuilder:orderByRaw(sql, bindings) end
---@param ... KnexColumns|RawQuery
---@return QueryBuilder
function QueryBuilder:groupBy(...) end
---@return QueryBuilder
function QueryBuilder:groupByRaw(sql, bindings) end
---@return QueryBuilder
function QueryBuilder:having(column, operatorOrValue, value) end
---@return QueryBuilder
function QueryBuilder:orHaving(column, operatorOrValue, value) end
---@return QueryBuilder
function QueryBuilder:havingRaw(sql, bindings) end
---@return QueryBuilder
function QueryBuilder:orHavingRaw(sql, bindings) end
---@return QueryBuilder
function QueryBuilder:havingIn(column, values) end
---@return QueryBuilder
function QueryBuilder:havingNotIn(column, values) end
---@return QueryBuilder
function QueryBuilder:havingNull(column) end
---@return QueryBuilder
function QueryBuilder:havingNotNull(column) end
---@return QueryBuilder
function QueryBuilder:havingBetween(column, range) end
---@return QueryBuilder
function QueryBuilder:havingNotBetween(column, range) end
---@param n integer|nil nil removes the limit
---@param options? { skipBinding?: boolean }
---@return QueryBuilder
function QueryBuilder:limit(n, options) end
---@param n integer|nil
---@return QueryBuilder
function QueryBuilder:offset(n) end

---One row `{ col = value }`, a list of rows, or a query (insert … select). An
---empty table inserts nothing; `{ {} }` inserts one row of defaults.
---@param data table<string, KnexValue>|table<string, KnexValue>[]|QueryBuilder
---@param returning? KnexColumns
---@return QueryBuilder
---@nodiscard
function QueryBuilder:insert(data, returning) end
---`update({ col = value })` or `update(col, value)`.
---@param data table<string, KnexValue>|string
---@param value? KnexValue
---@param returning? KnexColumns
---@return QueryBuilder
---@nodiscard
function QueryBuilder:update(data, value, returning) end
---@param returning? KnexColumns
---@return QueryBuilder
---@nodiscard
function QueryBuilder:del(returning) end
---@param returning? KnexColumns
---@return QueryBuilder
---@nodiscard
function QueryBuilder:delete(returning) end
---`truncate "t" restart identity`.
---@return QueryBuilder
---@nodiscard
function QueryBuilder:truncate() end
---@param columns KnexColumns
---@return QueryBuilder
---@nodiscard
function QueryBuilder:returning(columns) end
---@param target? KnexColumns|RawQuery
---@return QueryBuilder
---@nodiscard
function QueryBuilder:onConflict(target) end
---No argument: every inserted column; a list: those columns; a table: those values.
---@param update? string[]|table<string, KnexValue>
---@return QueryBuilder
---@nodiscard
function QueryBuilder:merge(update) end
---@return QueryBuilder
---@nodiscard
function QueryBuilder:ignore() end
---@param column string|table<string, number>
---@param amount? number
---@return QueryBuilder
---@nodiscard
function QueryBuilder:increment(column, amount) end
---@return QueryBuilder
---@nodiscard
function QueryBuilder:decrement(column, amount) end
---@param table string
---@return QueryBuilder
---@nodiscard
function QueryBuilder:updateFrom(table) end
---Not supported on PostgreSQL (as in Knex): raises an error naming `onConflict():merge()`.
---@return QueryBuilder
---@nodiscard
function QueryBuilder:upsert(data) end

---@param name string
---@param columnsOrQuery string[]|QueryBuilder|RawQuery|fun(q: QueryBuilder)|string
---@param query? QueryBuilder|RawQuery|fun(q: QueryBuilder)|string
---@return QueryBuilder
function QueryBuilder:with(name, columnsOrQuery, query) end
---@return QueryBuilder
function QueryBuilder:withRecursive(name, columnsOrQuery, query) end
---@return QueryBuilder
function QueryBuilder:withMaterialized(name, columnsOrQuery, query) end
---@return QueryBuilder
function QueryBuilder:withNotMaterialized(name, columnsOrQuery, query) end
---@param queries QueryBuilder|RawQuery|fun(q: QueryBuilder)|(QueryBuilder|RawQuery)[]
---@param wrap? boolean
---@return QueryBuilder
function QueryBuilder:union(queries, wrap) end
---@return QueryBuilder
function QueryBuilder:unionAll(queries, wrap) end

---@param ... string tables (`for update of …`)
---@return QueryBuilder
function QueryBuilder:forUpdate(...) end
---@return QueryBuilder
function QueryBuilder:forShare(...) end
---@return QueryBuilder
function QueryBuilder:forNoKeyUpdate(...) end
---@return QueryBuilder
function QueryBuilder:forKeyShare(...) end
---@return QueryBuilder
function QueryBuilder:skipLocked() end
---@return QueryBuilder
function QueryBuilder:noWait() end

---@return QueryBuilder
function QueryBuilder:clearSelect() end
---@return QueryBuilder
function QueryBuilder:clearWhere() end
---@return QueryBuilder
function QueryBuilder:clearOrder() end
---@return QueryBuilder
function QueryBuilder:clearGroup() end
---@return QueryBuilder
function QueryBuilder:clearHaving() end
---Calls `fn(query, ...)` and returns the query.
---@param fn fun(q: QueryBuilder, ...)
---@return QueryBuilder
function QueryBuilder:modify(fn, ...) end
---Accepted for compatibility; it does not limit the query.
---@return QueryBuilder
function QueryBuilder:timeout(ms, options) end
---Accepted for compatibility: every statement already runs in the run's transaction.
---@return QueryBuilder
function QueryBuilder:transacting(trx) end
---@param column string
---@param path string
---@param alias? string
---@return QueryBuilder
---@nodiscard
function QueryBuilder:jsonExtract(column, path, alias) end
---`:run()` returns `{ [column] = { type, maxLength, nullable, defaultValue } }`, or one entry.
---@param column? string
---@return QueryBuilder
---@nodiscard
function QueryBuilder:columnInfo(column) end

---Iterates a select `size` rows at a time (default 1000) through a server-side cursor in
---the run's transaction: `for row in knex("items"):orderBy("id"):cursor(1000) do … end`.
---Memory holds one `size` of rows; writes inside the loop work.
---@param size? integer
---@return fun(): table|nil
function QueryBuilder:cursor(size) end
---The SQL without running it.
---@return { sql: string, bindings: any[], method: string }
function QueryBuilder:toSQL() end
---Runs the query. Selects and writes with `returning`: rows. After `first`: one row
---or nil. After `pluck`: an array of values. Writes without `returning`: the row count.
---@return table[]|table|any[]|integer|nil
function QueryBuilder:run() end



-- Knex's other spellings and the methods added for parity (issue 11).
---Accepted for ported code: the batch already runs in the run's transaction.
---@return BatchInsert
function BatchInsert:transacting(trx) end

---Knex's `andOnBetween`: the same as `onBetween`.
---@param column string
---@param range KnexValue[]
---@return JoinClause
function JoinClause:andOnBetween(column, range) end

---Knex's `andOnExists`: the same as `whereExists`.
---@param query QueryBuilder|RawQuery|fun(q: QueryBuilder)
---@return JoinClause
function JoinClause:andOnExists(query) end

---Knex's `andOnNotBetween`: the same as `onNotBetween`.
---@return JoinClause
function JoinClause:andOnNotBetween(column, range) end

---Knex's `andOnNotExists`: the same as `whereNotExists`.
---@return JoinClause
function JoinClause:andOnNotExists(query) end

---Knex's `andOnNotIn`: the same as `onNotIn`.
---@return JoinClause
function JoinClause:andOnNotIn(column, values) end

---Knex's `onExists`: `on … exists (subquery)` in a join clause.
---@param query QueryBuilder|RawQuery|fun(q: QueryBuilder)
---@return JoinClause
function JoinClause:onExists(query) end

---Knex's `onNotExists`: `on … not exists (subquery)` in a join clause.
---@return JoinClause
function JoinClause:onNotExists(query) end

---Knex's `orOnExists`: the same as `whereExists` (or).
---@param query QueryBuilder|RawQuery|fun(q: QueryBuilder)
---@return JoinClause
function JoinClause:orOnExists(query) end

---Knex's `orOnNotExists`: the same as `whereNotExists` (or).
---@return JoinClause
function JoinClause:orOnNotExists(query) end

---Knex's `andHaving`: the same as `having`.
---@return QueryBuilder
function QueryBuilder:andHaving(column, operatorOrValue, value) end

---Knex's `andHavingBetween`: the same as `havingBetween`.
---@return QueryBuilder
function QueryBuilder:andHavingBetween(column, range) end

---Knex's `andHavingExists`: the same as `whereExists`.
---@param query QueryBuilder|RawQuery|fun(q: QueryBuilder)
---@return QueryBuilder
function QueryBuilder:andHavingExists(query) end

---Knex's `andHavingIn`: the same as `havingIn`.
---@return QueryBuilder
function QueryBuilder:andHavingIn(column, values) end

---Knex's `andHavingNotBetween`: the same as `havingNotBetween`.
---@return QueryBuilder
function QueryBuilder:andHavingNotBetween(column, range) end

---Knex's `andHavingNotExists`: the same as `whereNotExists`.
---@return QueryBuilder
function QueryBuilder:andHavingNotExists(query) end

---Knex's `andHavingNotIn`: the same as `havingNotIn`.
---@return QueryBuilder
function QueryBuilder:andHavingNotIn(column, values) end

---Knex's `andHavingNotNull`: the same as `havingNotNull`.
---@return QueryBuilder
function QueryBuilder:andHavingNotNull(column) end

---Knex's `andHavingNull`: the same as `havingNull`.
---@return QueryBuilder
function QueryBuilder:andHavingNull(column) end

---Knex's `andWhereBetween`: the same as `whereBetween`.
---@param column string
---@param range KnexValue[] `{ low, high }`
---@return QueryBuilder
function QueryBuilder:andWhereBetween(column, range) end

---Knex's `andWhereColumn`: the same as `whereColumn`.
---@param first string
---@param operatorOrSecond string
---@param second? string
---@return QueryBuilder
function QueryBuilder:andWhereColumn(first, operatorOrSecond, second) end

---Knex's `andWhereILike`: the same as `whereILike`.
---@return QueryBuilder
function QueryBuilder:andWhereILike(column, pattern) end

---Knex's `andWhereJsonNotSubsetOf`: the same as `whereJsonSubsetOf`.
---@return QueryBuilder
function QueryBuilder:andWhereJsonNotSubsetOf(column, value) end

---Knex's `andWhereJsonNotSupersetOf`: the same as `whereJsonSupersetOf`.
---@return QueryBuilder
function QueryBuilder:andWhereJsonNotSupersetOf(column, value) end

---Knex's `andWhereJsonObject`: the same as `whereJsonObject`.
---@param column string
---@param value table
---@return QueryBuilder
function QueryBuilder:andWhereJsonObject(column, value) end

---Knex's `andWhereJsonPath`: the same as `whereJsonPath`.
---@param column string
---@param path string
---@param operator string
---@param value KnexValue
---@return QueryBuilder
function QueryBuilder:andWhereJsonPath(column, path, operator, value) end

---Knex's `andWhereJsonSubsetOf`: the same as `whereJsonSubsetOf`.
---@return QueryBuilder
function QueryBuilder:andWhereJsonSubsetOf(column, value) end

---Knex's `andWhereJsonSupersetOf`: the same as `whereJsonSupersetOf`.
---@return QueryBuilder
function QueryBuilder:andWhereJsonSupersetOf(column, value) end

---Knex's `andWhereLike`: the same as `whereLike`.
---@param column string|RawQuery
---@param pattern string
---@return QueryBuilder
function QueryBuilder:andWhereLike(column, pattern) end

---Knex's `andWhereNotBetween`: the same as `whereNotBetween`.
---@return QueryBuilder
function QueryBuilder:andWhereNotBetween(column, range) end

---Knex's `andWhereNotColumn`: the same as `whereColumn`.
---@param first string
---@param operatorOrSecond string
---@param second? string
---@return QueryBuilder
function QueryBuilder:andWhereNotColumn(first, operatorOrSecond, second) end

---Knex's `andWhereNotJsonObject`: the same as `whereJsonObject`.
---@param column string
---@param value table
---@return QueryBuilder
function QueryBuilder:andWhereNotJsonObject(column, value) end

---Knex's `andWhereRaw`: the same as `whereRaw`.
---@param sql string
---@param bindings? KnexValue[]|table<string, KnexValue>
---@return QueryBuilder
function QueryBuilder:andWhereRaw(sql, bindings) end

---Clears one part of the query by name: "select", "where", "order", "group", "having" or "counters".
---@param statement "select"|"columns"|"where"|"order"|"group"|"having"|"counters"
---@return QueryBuilder
function QueryBuilder:clear(statement) end

---Removes the `increment`/`decrement` steps recorded so far.
---@return QueryBuilder
function QueryBuilder:clearCounters() end

---A copy of this query, to build on without changing this one (pending until run, like any query).
---@return QueryBuilder
function QueryBuilder:clone() end

---Knex's `fromRaw`: `from <raw SQL>`.
---@param sql string
---@param bindings? KnexValue[]|table<string, KnexValue>
---@return QueryBuilder
function QueryBuilder:fromRaw(sql, bindings) end

---Knex's `havingExists`: `having exists (subquery)`.
---@param query QueryBuilder|RawQuery|fun(q: QueryBuilder)
---@return QueryBuilder
function QueryBuilder:havingExists(query) end

---Knex's `havingNotExists`: `having not exists (subquery)`.
---@return QueryBuilder
function QueryBuilder:havingNotExists(query) end

---Knex's `orHavingBetween`: the same as `havingBetween` (or).
---@return QueryBuilder
function QueryBuilder:orHavingBetween(column, range) end

---Knex's `orHavingExists`: the same as `whereExists` (or).
---@param query QueryBuilder|RawQuery|fun(q: QueryBuilder)
---@return QueryBuilder
function QueryBuilder:orHavingExists(query) end

---Knex's `orHavingIn`: the same as `havingIn` (or).
---@return QueryBuilder
function QueryBuilder:orHavingIn(column, values) end

---Knex's `orHavingNotBetween`: the same as `havingNotBetween` (or).
---@return QueryBuilder
function QueryBuilder:orHavingNotBetween(column, range) end

---Knex's `orHavingNotExists`: the same as `whereNotExists` (or).
---@return QueryBuilder
function QueryBuilder:orHavingNotExists(query) end

---Knex's `orHavingNotIn`: the same as `havingNotIn` (or).
---@return QueryBuilder
function QueryBuilder:orHavingNotIn(column, values) end

---Knex's `orHavingNotNull`: the same as `havingNotNull` (or).
---@return QueryBuilder
function QueryBuilder:orHavingNotNull(column) end

---Knex's `orHavingNull`: the same as `havingNull` (or).
---@return QueryBuilder
function QueryBuilder:orHavingNull(column) end

---Knex's `orWhereJsonNotSubsetOf`: the same as `whereJsonSubsetOf` (or).
---@return QueryBuilder
function QueryBuilder:orWhereJsonNotSubsetOf(column, value) end

---Knex's `orWhereJsonNotSupersetOf`: the same as `whereJsonSupersetOf` (or).
---@return QueryBuilder
function QueryBuilder:orWhereJsonNotSupersetOf(column, value) end

---Knex's `orWhereJsonObject`: the same as `whereJsonObject` (or).
---@param column string
---@param value table
---@return QueryBuilder
function QueryBuilder:orWhereJsonObject(column, value) end

---Knex's `orWhereJsonPath`: the same as `whereJsonPath` (or).
---@param column string
---@param path string
---@param operator string
---@param value KnexValue
---@return QueryBuilder
function QueryBuilder:orWhereJsonPath(column, path, operator, value) end

---Knex's `orWhereJsonSubsetOf`: the same as `whereJsonSubsetOf` (or).
---@return QueryBuilder
function QueryBuilder:orWhereJsonSubsetOf(column, value) end

---Knex's `orWhereJsonSupersetOf`: the same as `whereJsonSupersetOf` (or).
---@return QueryBuilder
function QueryBuilder:orWhereJsonSupersetOf(column, value) end

---Knex's `orWhereNotColumn`: the same as `whereColumn` (or).
---@param first string
---@param operatorOrSecond string
---@param second? string
---@return QueryBuilder
function QueryBuilder:orWhereNotColumn(first, operatorOrSecond, second) end

---Knex's `orWhereNotJsonObject`: the same as `whereJsonObject` (or).
---@param column string
---@param value table
---@return QueryBuilder
function QueryBuilder:orWhereNotJsonObject(column, value) end

---Knex's `whereJsonNotSubsetOf`: `not` of `whereJsonSubsetOf`.
---@return QueryBuilder
function QueryBuilder:whereJsonNotSubsetOf(column, value) end

---Knex's `whereJsonNotSupersetOf`: `not` of `whereJsonSupersetOf`.
---@return QueryBuilder
function QueryBuilder:whereJsonNotSupersetOf(column, value) end

---Knex's `whereNotColumn`: `not` of `whereColumn`.
---@param first string
---@param operatorOrSecond string
---@param second? string
---@return QueryBuilder
function QueryBuilder:whereNotColumn(first, operatorOrSecond, second) end

---Knex's `whereNotJsonObject`: `not` of `whereJsonObject`.
---@param column string
---@param value table
---@return QueryBuilder
function QueryBuilder:whereNotJsonObject(column, value) end

---Accepted for ported code; bound the file's statements with `config = { statementTimeout = "5s" }` instead.
---@return RawQuery
function RawQuery:timeout(ms) end

---What a migration or seed file may set besides its functions: `config = { … }`.
---Durations are strings as in vectra-db.toml (`"5s"`, `"500ms"`, `"2m"`, `"10min"`;
---a bare number in a string is seconds) or Lua numbers of milliseconds.
---@class knex.FileConfig
---@field transaction? boolean `false`: run outside the batch transaction (e.g. `CREATE INDEX CONCURRENTLY`); such a file cannot be dry-run.
---@field lockTimeout? string|integer How long each statement of this file may wait for a lock (`SET LOCAL lock_timeout`; the environment's `statement_lock_timeout` otherwise); past it the statement fails, naming the sessions that held the lock. `0`: no limit.
---@field statementTimeout? string|integer How long each statement of this file may run (`SET LOCAL statement_timeout`; the environment's `statement_timeout` otherwise). `0`: no limit.

---The table a migration file returns (`---@type knex.Migration` on a local you return).
---@class knex.Migration
---@field up fun(knex: Knex)
---@field down? fun(knex: Knex)
---@field config? knex.FileConfig

---The table a seed file returns.
---@class knex.Seed
---@field seed fun(knex: Knex)
---@field config? knex.FileConfig

return knex
