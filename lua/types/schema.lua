---@meta
-- LuaLS definitions for `knex.schema` and its builders (vectra-db).
-- Editors read this file for completion and type checks; it is never run.
-- Every statement runs when its method is called (a `createTable` runs when
-- its callback returns); there is nothing to `:run()`.

---@class Knex
---@field schema knex.SchemaBuilder  Schema statements; they run at once.

---A `knex.raw(...)` or `knex.fn.now()` value: SQL written into the statement.
---@alias knex.RawSql userdata

---A value for `defaultTo`, `checkIn`, …: written into the DDL as a quoted literal.
---@alias knex.Literal string|number|boolean|table|knex.RawSql

---`"deferred"` or `"immediate"`: `deferrable initially <mode>`.
---@alias knex.Deferrable "deferred"|"immediate"

---What PostgreSQL does to referencing rows.
---@alias knex.ReferentialAction "CASCADE"|"RESTRICT"|"SET NULL"|"SET DEFAULT"|"NO ACTION"|"cascade"|"restrict"|"set null"|"set default"|"no action"

-------------------------------------------------------------------------------
-- knex.schema
-------------------------------------------------------------------------------

---`knex.schema`: Knex's PostgreSQL schema builder. Each method runs its
---statements immediately and returns the builder, so calls chain.
---@class knex.SchemaBuilder
local SchemaBuilder = {}

---`create table`. The callback declares columns and constraints on `t`.
---```lua
---knex.schema:createTable("users", function(t)
---  t:increments()
---  t:string("email"):notNullable():unique()
---end)
---```
---@param name string  table name (`"app.users"` is schema-qualified)
---@param callback fun(t: knex.TableBuilder)
---@return knex.SchemaBuilder
function SchemaBuilder:createTable(name, callback) end

---`create table if not exists` (follow-up statements such as indexes still run).
---@param name string
---@param callback fun(t: knex.TableBuilder)
---@return knex.SchemaBuilder
function SchemaBuilder:createTableIfNotExists(name, callback) end

---`create table name (like other including all, …)`.
---@param name string
---@param like string  the table to copy
---@param callback? fun(t: knex.TableBuilder)  extra columns
---@return knex.SchemaBuilder
function SchemaBuilder:createTableLike(name, like, callback) end

---`alter table`: add, change (`:alter()`), rename and drop columns, constraints, indexes.
---@param name string
---@param callback fun(t: knex.TableBuilder)
---@return knex.SchemaBuilder
function SchemaBuilder:alterTable(name, callback) end

---Same as `alterTable` (Knex's alias).
---@param name string
---@param callback fun(t: knex.TableBuilder)
---@return knex.SchemaBuilder
function SchemaBuilder:table(name, callback) end

---`drop table`.
---@param name string
---@return knex.SchemaBuilder
function SchemaBuilder:dropTable(name) end

---`drop table if exists`.
---@param name string
---@return knex.SchemaBuilder
function SchemaBuilder:dropTableIfExists(name) end

---`alter table … rename to …`.
---@param from string
---@param to string
---@return knex.SchemaBuilder
function SchemaBuilder:renameTable(from, to) end

---True when the table exists (in the current schema, or `withSchema`'s).
---@param name string
---@return boolean
function SchemaBuilder:hasTable(name) end

---True when the table has the column.
---@param table string
---@param column string
---@return boolean
function SchemaBuilder:hasColumn(table, column) end

---`create schema`.
---@param name string
---@return knex.SchemaBuilder
function SchemaBuilder:createSchema(name) end

---`create schema if not exists`.
---@param name string
---@return knex.SchemaBuilder
function SchemaBuilder:createSchemaIfNotExists(name) end

---`drop schema [cascade]`.
---@param name string
---@param cascade? boolean
---@return knex.SchemaBuilder
function SchemaBuilder:dropSchema(name, cascade) end

---`drop schema if exists [cascade]`.
---@param name string
---@param cascade? boolean
---@return knex.SchemaBuilder
function SchemaBuilder:dropSchemaIfExists(name, cascade) end

---`create extension`.
---@param name string
---@return knex.SchemaBuilder
function SchemaBuilder:createExtension(name) end

---`create extension if not exists`.
---@param name string
---@return knex.SchemaBuilder
function SchemaBuilder:createExtensionIfNotExists(name) end

---`drop extension`.
---@param name string
---@return knex.SchemaBuilder
function SchemaBuilder:dropExtension(name) end

---`drop extension if exists`.
---@param name string
---@return knex.SchemaBuilder
function SchemaBuilder:dropExtensionIfExists(name) end

---`create view`.
---```lua
---knex.schema:createView("active_users", function(v)
---  v:columns({ "id", "email" })
---  v:as(knex("users"):select("id", "email"):where("active", true))
---end)
---```
---@param name string
---@param callback fun(v: knex.ViewBuilder)
---@return knex.SchemaBuilder
function SchemaBuilder:createView(name, callback) end

---`create or replace view`.
---@param name string
---@param callback fun(v: knex.ViewBuilder)
---@return knex.SchemaBuilder
function SchemaBuilder:createViewOrReplace(name, callback) end

---`create materialized view`.
---@param name string
---@param callback fun(v: knex.ViewBuilder)
---@return knex.SchemaBuilder
function SchemaBuilder:createMaterializedView(name, callback) end

---`refresh materialized view [concurrently]`.
---@param name string
---@param concurrently? boolean
---@return knex.SchemaBuilder
function SchemaBuilder:refreshMaterializedView(name, concurrently) end

---`alter view`: rename columns, set column defaults.
---@param name string
---@param callback fun(v: knex.AlterViewBuilder)
---@return knex.SchemaBuilder
function SchemaBuilder:alterView(name, callback) end

---Same as `alterView` (Knex's alias).
---@param name string
---@param callback fun(v: knex.AlterViewBuilder)
---@return knex.SchemaBuilder
function SchemaBuilder:view(name, callback) end

---`alter view … rename to …`.
---@param from string
---@param to string
---@return knex.SchemaBuilder
function SchemaBuilder:renameView(from, to) end

---`drop view`.
---@param name string
---@return knex.SchemaBuilder
function SchemaBuilder:dropView(name) end

---`drop view if exists`.
---@param name string
---@return knex.SchemaBuilder
function SchemaBuilder:dropViewIfExists(name) end

---`drop materialized view`.
---@param name string
---@return knex.SchemaBuilder
function SchemaBuilder:dropMaterializedView(name) end

---`drop materialized view if exists`.
---@param name string
---@return knex.SchemaBuilder
function SchemaBuilder:dropMaterializedViewIfExists(name) end

---A schema builder whose tables, views and checks are in `schema`.
---@param schema string
---@return knex.SchemaBuilder
function SchemaBuilder:withSchema(schema) end

---Runs SQL now: `?` binds a value, `??` quotes an identifier.
---@param sql string
---@param bindings? any[]|any
---@return knex.SchemaBuilder
function SchemaBuilder:raw(sql, bindings) end

-------------------------------------------------------------------------------
-- The table builder `t`
-------------------------------------------------------------------------------

---@class knex.PrimaryKeyOptions
---@field primaryKey? boolean  false: no inline `primary key`

---@class knex.UuidOptions
---@field primaryKey? boolean
---@field useBinaryUuid? boolean  MySQL only; ignored

---@class knex.DateTimeOptions
---@field useTz? boolean  false: `timestamp` instead of `timestamptz`
---@field precision? integer  fractional second digits

---@class knex.EnumOptions
---@field useNative? boolean  a PostgreSQL enum type instead of a text check
---@field enumName? string  the type's name (required with `useNative`)
---@field existingType? boolean  the type exists: do not create it
---@field schemaName? string  the type's schema

---@class knex.TimestampsOptions
---@field useTimestamps? boolean
---@field defaultToNow? boolean  `not null default CURRENT_TIMESTAMP`
---@field useCamelCase? boolean  `createdAt`/`updatedAt`

---@class knex.PrimaryOptions
---@field constraintName? string
---@field deferrable? knex.Deferrable

---@class knex.UniqueOptions
---@field indexName? string
---@field deferrable? knex.Deferrable
---@field useConstraint? boolean  false: a unique index instead of a constraint
---@field predicate? knex.RawSql  partial index (`useConstraint = false`)

---@class knex.IndexOptions
---@field indexName? string
---@field indexType? "unique"
---@field storageEngineIndexType? string  `using <method>`: btree, hash, gin, gist, brin
---@field predicate? knex.RawSql  partial index `where …`

---@class knex.AlterOptions
---@field alterNullable? boolean  false: leave nullability alone
---@field alterType? boolean  false: leave the type alone

---The `t` of a `createTable` / `alterTable` callback. Column methods return a
---column builder; the others return `t`.
---@class knex.TableBuilder
local TableBuilder = {}

---`serial primary key` (default name `id`).
---@param name? string
---@param options? knex.PrimaryKeyOptions
---@return knex.ColumnBuilder
function TableBuilder:increments(name, options) end

---`bigserial primary key` (default name `id`).
---@param name? string
---@param options? knex.PrimaryKeyOptions
---@return knex.ColumnBuilder
function TableBuilder:bigIncrements(name, options) end

---`integer` (the length is ignored on PostgreSQL).
---@param name string
---@param length? integer
---@return knex.ColumnBuilder
function TableBuilder:integer(name, length) end

---`integer` (Knex emits `undefined`; see docs/knex-differences.md).
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:int(name) end

---`bigint`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:bigInteger(name) end

---`bigint`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:bigint(name) end

---`smallint`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:tinyint(name) end

---`smallint`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:smallint(name) end

---`integer`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:mediumint(name) end

---`text` (MySQL's text size hint is ignored).
---@param name string
---@param textType? string
---@return knex.ColumnBuilder
function TableBuilder:text(name, textType) end

---`varchar(length)`, 255 by default.
---@param name string
---@param length? integer
---@return knex.ColumnBuilder
function TableBuilder:string(name, length) end

---`varchar(length)`, 255 by default.
---@param name string
---@param length? integer
---@return knex.ColumnBuilder
function TableBuilder:varchar(name, length) end

---`char(length)`, 255 by default.
---@param name string
---@param length? integer
---@return knex.ColumnBuilder
function TableBuilder:char(name, length) end

---`text`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:tinytext(name) end

---`text`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:mediumtext(name) end

---`text`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:longtext(name) end

---`real` (precision and scale are ignored, as in Knex).
---@param name string
---@param precision? integer
---@param scale? integer
---@return knex.ColumnBuilder
function TableBuilder:float(name, precision, scale) end

---`double precision`.
---@param name string
---@param precision? integer
---@param scale? integer
---@return knex.ColumnBuilder
function TableBuilder:double(name, precision, scale) end

---`real`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:real(name) end

---`decimal(precision, scale)`, `decimal(8, 2)` by default; `knex.null` or
---`false` as precision gives an unconstrained `decimal`.
---@param name string
---@param precision? integer|false|userdata
---@param scale? integer
---@return knex.ColumnBuilder
function TableBuilder:decimal(name, precision, scale) end

---`boolean`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:boolean(name) end

---`boolean`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:bool(name) end

---`bit` / `bit(length)`.
---@param name string
---@param length? integer
---@return knex.ColumnBuilder
function TableBuilder:bit(name, length) end

---`date`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:date(name) end

---`timestamptz` (`timestamp` with `useTz = false`).
---@param name string
---@param options? knex.DateTimeOptions|boolean  `true`: without time zone
---@return knex.ColumnBuilder
function TableBuilder:datetime(name, options) end

---Same as `datetime`.
---@param name string
---@param options? knex.DateTimeOptions|boolean
---@return knex.ColumnBuilder
function TableBuilder:dateTime(name, options) end

---`time`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:time(name) end

---`timestamptz` (`timestamp` with `useTz = false` or `true` as second argument).
---@param name string
---@param options? knex.DateTimeOptions|boolean
---@return knex.ColumnBuilder
function TableBuilder:timestamp(name, options) end

---`smallint` (MySQL's YEAR).
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:year(name) end

---`bytea` (the length is ignored).
---@param name string
---@param length? integer
---@return knex.ColumnBuilder
function TableBuilder:binary(name, length) end

---`bytea`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:varbinary(name) end

---`bytea`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:blob(name) end

---`json`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:json(name) end

---`jsonb`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:jsonb(name) end

---`uuid` (inline `primary key` with `primaryKey = true`).
---@param name string
---@param options? knex.UuidOptions
---@return knex.ColumnBuilder
function TableBuilder:uuid(name, options) end

---`text check (col in (…))`, or a native enum type with `useNative = true`.
---```lua
---t:enu("role", { "admin", "member" }, { useNative = true, enumName = "user_role" })
---```
---@param name string
---@param values string[]|nil  nil only with `existingType = true`
---@param options? knex.EnumOptions
---@return knex.ColumnBuilder
function TableBuilder:enu(name, values, options) end

---Same as `enu`.
---@param name string
---@param values string[]|nil
---@param options? knex.EnumOptions
---@return knex.ColumnBuilder
function TableBuilder:enum(name, values, options) end

---`geometry` (PostGIS).
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:geometry(name) end

---`geography` (PostGIS).
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:geography(name) end

---`point`.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:point(name) end

---`serial` without a primary key.
---@param name string
---@return knex.ColumnBuilder
function TableBuilder:serial(name) end

---MySQL's SET type: PostgreSQL has none, so this is an error pointing at `enu` or `text[]`.
---@param name string
---@param values string[]
---@return knex.ColumnBuilder
function TableBuilder:set(name, values) end

---Any SQL type, written as given.
---@param name string
---@param type string  e.g. `"text[]"`, `"citext"`, `"integer generated always as identity"`
---@return knex.ColumnBuilder
function TableBuilder:specificType(name, type) end

---`created_at` and `updated_at` (`timestamptz`); with `defaultToNow` they are
---`not null default CURRENT_TIMESTAMP`.
---@param useTimestamps? boolean|knex.TimestampsOptions
---@param defaultToNow? boolean
---@param useCamelCase? boolean
function TableBuilder:timestamps(useTimestamps, defaultToNow, useCamelCase) end

---Drops `created_at`/`updated_at` (`createdAt`/`updatedAt` with `true`). alterTable only.
---@param useCamelCase? boolean
---@return knex.TableBuilder
function TableBuilder:dropTimestamps(useCamelCase) end

---`comment on table`.
---@param text string
---@return knex.TableBuilder
function TableBuilder:comment(text) end

---`drop column`. alterTable only.
---@param ... string|string[]
---@return knex.TableBuilder
function TableBuilder:dropColumn(...) end

---`drop column a, drop column b`. alterTable only.
---@param ... string|string[]
---@return knex.TableBuilder
function TableBuilder:dropColumns(...) end

---`rename "from" to "to"`. alterTable only.
---@param from string
---@param to string
---@return knex.TableBuilder
function TableBuilder:renameColumn(from, to) end

---Primary key `<table>_pkey` (or the given name).
---@param columns string|string[]
---@param nameOrOptions? string|knex.PrimaryOptions
---@return knex.TableBuilder
function TableBuilder:primary(columns, nameOrOptions) end

---Unique constraint `<table>_<cols>_unique` (or a unique index with `useConstraint = false`).
---@param columns string|string[]
---@param nameOrOptions? string|knex.UniqueOptions
---@return knex.TableBuilder
function TableBuilder:unique(columns, nameOrOptions) end

---`create index <table>_<cols>_index`; columns or one `knex.raw` expression (then a name is required).
---@param columns string|string[]|knex.RawSql
---@param name? string|knex.IndexOptions
---@param typeOrOptions? string|knex.IndexOptions  a string is the `using` method
---@return knex.TableBuilder
function TableBuilder:index(columns, name, typeOrOptions) end

---`drop index`. alterTable only.
---@param columns string|string[]|nil
---@param name? string
---@return knex.TableBuilder
function TableBuilder:dropIndex(columns, name) end

---`drop constraint <table>_<cols>_unique`. alterTable only.
---@param columns string|string[]|nil
---@param name? string
---@return knex.TableBuilder
function TableBuilder:dropUnique(columns, name) end

---`drop constraint if exists …`. alterTable only.
---@param columns string|string[]|nil
---@param name? string
---@return knex.TableBuilder
function TableBuilder:dropUniqueIfExists(columns, name) end

---`drop constraint <table>_pkey`. alterTable only.
---@param name? string
---@return knex.TableBuilder
function TableBuilder:dropPrimary(name) end

---`drop constraint if exists <table>_pkey`. alterTable only.
---@param name? string
---@return knex.TableBuilder
function TableBuilder:dropPrimaryIfExists(name) end

---A foreign key on `columns`: continue with `:references(...)`.
---```lua
---t:foreign("author_id"):references("users.id"):onDelete("CASCADE")
---```
---@param columns string|string[]
---@param name? string
---@return knex.ForeignBuilder
function TableBuilder:foreign(columns, name) end

---`drop constraint <table>_<cols>_foreign`. alterTable only.
---@param columns string|string[]|nil
---@param name? string
---@return knex.TableBuilder
function TableBuilder:dropForeign(columns, name) end

---`drop constraint if exists …`. alterTable only.
---@param columns string|string[]|nil
---@param name? string
---@return knex.TableBuilder
function TableBuilder:dropForeignIfExists(columns, name) end

---A table check constraint: `??` identifiers and `?` values are written in.
---```lua
---t:check("?? < ??", { "starts_at", "ends_at" }, "period_order")
---```
---@param sql string|knex.RawSql
---@param bindings? any[]
---@param name? string
---@return knex.TableBuilder
function TableBuilder:check(sql, bindings, name) end

---`drop constraint a, drop constraint b`. alterTable only.
---@param ... string|string[]
---@return knex.TableBuilder
function TableBuilder:dropChecks(...) end

---`alter column … drop not null`. alterTable only.
---@param column string
---@return knex.TableBuilder
function TableBuilder:setNullable(column) end

---`alter column … set not null`. alterTable only.
---@param column string
---@return knex.TableBuilder
function TableBuilder:dropNullable(column) end

---`inherits (parent, …)`. createTable only.
---@param ... string|string[]
---@return knex.TableBuilder
function TableBuilder:inherits(...) end

-------------------------------------------------------------------------------
-- Column builders
-------------------------------------------------------------------------------

---A column of `t`; every method returns the column, so modifiers chain.
---@class knex.ColumnBuilder
local ColumnBuilder = {}

---`not null`.
---@return knex.ColumnBuilder
function ColumnBuilder:notNullable() end

---`not null`.
---@return knex.ColumnBuilder
function ColumnBuilder:notNull() end

---`null`.
---@return knex.ColumnBuilder
function ColumnBuilder:nullable() end

---`default …`: values are quoted literals (tables become JSON); `knex.fn.now()`
---and `knex.raw(...)` are SQL; `nil` or `knex.null` is `default null`.
---@param value knex.Literal|nil
---@return knex.ColumnBuilder
function ColumnBuilder:defaultTo(value) end

---MySQL only: ignored, as in Knex.
---@return knex.ColumnBuilder
function ColumnBuilder:unsigned() end

---MySQL only: ignored, as in Knex.
---@return knex.ColumnBuilder
function ColumnBuilder:first() end

---MySQL only: ignored, as in Knex.
---@param column string
---@return knex.ColumnBuilder
function ColumnBuilder:after(column) end

---`collate "<collation>"`.
---@param collation string
---@return knex.ColumnBuilder
function ColumnBuilder:collate(collation) end

---`comment on column` (an empty string removes the comment).
---@param text string
---@return knex.ColumnBuilder
function ColumnBuilder:comment(text) end

---Makes this column the primary key (a no-op on `increments`).
---@param nameOrOptions? string|knex.PrimaryOptions
---@return knex.ColumnBuilder
function ColumnBuilder:primary(nameOrOptions) end

---A unique constraint on this column.
---@param nameOrOptions? string|knex.UniqueOptions
---@return knex.ColumnBuilder
function ColumnBuilder:unique(nameOrOptions) end

---An index on this column.
---@param name? string|knex.IndexOptions
---@param typeOrOptions? string|knex.IndexOptions
---@return knex.ColumnBuilder
function ColumnBuilder:index(name, typeOrOptions) end

---A foreign key: `"users.id"`, or `"id"` with `:inTable("users")`.
---@param column string|string[]
---@return knex.ColumnBuilder
function ColumnBuilder:references(column) end

---The referenced table.
---@param table string
---@return knex.ColumnBuilder
function ColumnBuilder:inTable(table) end

---Same as `inTable`.
---@param table string
---@return knex.ColumnBuilder
function ColumnBuilder:on(table) end

---`on delete <action>`.
---@param action knex.ReferentialAction
---@return knex.ColumnBuilder
function ColumnBuilder:onDelete(action) end

---`on update <action>`.
---@param action knex.ReferentialAction
---@return knex.ColumnBuilder
function ColumnBuilder:onUpdate(action) end

---The foreign key's constraint name.
---@param name string
---@return knex.ColumnBuilder
function ColumnBuilder:withKeyName(name) end

---`deferrable initially <mode>` for the foreign key.
---@param mode knex.Deferrable
---@return knex.ColumnBuilder
function ColumnBuilder:deferrable(mode) end

---Changes an existing column instead of adding it (alterTable only). Restate
---everything: the default and `not null` are dropped first, as in Knex.
---@param options? knex.AlterOptions
---@return knex.ColumnBuilder
function ColumnBuilder:alter(options) end

---A check on this column (works on PostgreSQL, unlike Knex).
---@param sql string|knex.RawSql
---@param bindings? any[]
---@param name? string
---@return knex.ColumnBuilder
function ColumnBuilder:check(sql, bindings, name) end

---`check (col > 0)`.
---@param name? string
---@return knex.ColumnBuilder
function ColumnBuilder:checkPositive(name) end

---`check (col < 0)`.
---@param name? string
---@return knex.ColumnBuilder
function ColumnBuilder:checkNegative(name) end

---`check (col in (…))`.
---@param values any[]
---@param name? string
---@return knex.ColumnBuilder
function ColumnBuilder:checkIn(values, name) end

---`check (col not in (…))`.
---@param values any[]
---@param name? string
---@return knex.ColumnBuilder
function ColumnBuilder:checkNotIn(values, name) end

---`check (col between a and b [or …])`: `{0, 10}` or `{{0, 10}, {20, 30}}`.
---@param range any[]
---@param name? string
---@return knex.ColumnBuilder
function ColumnBuilder:checkBetween(range, name) end

---`check (length(col) <op> n)`.
---@param operator "="|"!="|"<>"|"<"|"<="|">"|">="
---@param length integer
---@param name? string
---@return knex.ColumnBuilder
function ColumnBuilder:checkLength(operator, length, name) end

---`check (col ~ 'regex')`.
---@param regex string
---@param name? string
---@return knex.ColumnBuilder
function ColumnBuilder:checkRegex(regex, name) end

---What `t:foreign(...)` returns.
---@class knex.ForeignBuilder
local ForeignBuilder = {}

---The referenced column(s): `"users.id"`, `"id"`, or `{ "x", "y" }`.
---@param columns string|string[]
---@return knex.ForeignBuilder
function ForeignBuilder:references(columns) end

---@param table string
---@return knex.ForeignBuilder
function ForeignBuilder:inTable(table) end

---@param table string
---@return knex.ForeignBuilder
function ForeignBuilder:on(table) end

---@param action knex.ReferentialAction
---@return knex.ForeignBuilder
function ForeignBuilder:onDelete(action) end

---@param action knex.ReferentialAction
---@return knex.ForeignBuilder
function ForeignBuilder:onUpdate(action) end

---@param name string
---@return knex.ForeignBuilder
function ForeignBuilder:withKeyName(name) end

---@param mode knex.Deferrable
---@return knex.ForeignBuilder
function ForeignBuilder:deferrable(mode) end

-------------------------------------------------------------------------------
-- Views
-------------------------------------------------------------------------------

---The `v` of `createView` / `createViewOrReplace` / `createMaterializedView`.
---@class knex.ViewBuilder
local ViewBuilder = {}

---The view's column names.
---@param columns string[]
---@return knex.ViewBuilder
function ViewBuilder:columns(columns) end

---The view's query: `knex("t"):select(...)` or `knex.raw(...)` (values are written in).
---@param query userdata
---@return knex.ViewBuilder
function ViewBuilder:as(query) end

---`with check option`.
---@return knex.ViewBuilder
function ViewBuilder:checkOption() end

---`with local check option`.
---@return knex.ViewBuilder
function ViewBuilder:localCheckOption() end

---`with cascaded check option`.
---@return knex.ViewBuilder
function ViewBuilder:cascadedCheckOption() end

---The `v` of `alterView`.
---@class knex.AlterViewBuilder
local AlterViewBuilder = {}

---A column of the view, to rename or give a default.
---@param name string
---@return knex.ViewColumnBuilder
function AlterViewBuilder:column(name) end

---@class knex.ViewColumnBuilder
local ViewColumnBuilder = {}

---`alter view … rename "col" to "name"`.
---@param name string
---@return knex.ViewColumnBuilder
function ViewColumnBuilder:rename(name) end

---`alter view … alter "col" set default <sql>`: the string is SQL, written as given.
---@param sql string|knex.RawSql
---@return knex.ViewColumnBuilder
function ViewColumnBuilder:defaultTo(sql) end


-- Knex's other spellings and the methods added for parity (issue 11).
---Knex's `default`: Knex's alias of `defaultTo`.
---@param value knex.Literal|nil
---@return knex.ColumnBuilder
function ColumnBuilder:default(value) end

---Knex's `defaultsTo`: Knex's alias of `defaultTo`.
---@param value knex.Literal|nil
---@return knex.ColumnBuilder
function ColumnBuilder:defaultsTo(value) end

