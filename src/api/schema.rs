//! `knex.schema` and the builders its callbacks receive: tables, columns,
//! foreign keys, views.

use super::Builder::{Column as ColumnB, Foreign as ForeignB, Table as TableB, View};
use super::Returns::{Builder as To, Value};
use super::Role::*;
use super::{m, Method, Role, COLUMNS, COLUMN_ARG, NONE, OTHER, SQL_BINDINGS};

const TABLE_ARG: &[Role] = &[Table];
const TWO_TABLES: &[Role] = &[Table, OtherTable];

/// What a `knex.schema` method does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaOp {
    CreateTable { if_not_exists: bool },
    CreateTableLike,
    AlterTable,
    DropTable { if_exists: bool },
    RenameTable,
    HasTable,
    HasColumn,
    CreateSchema { if_not_exists: bool },
    DropSchema { if_exists: bool },
    CreateExtension { if_not_exists: bool },
    DropExtension { if_exists: bool },
    CreateView { replace: bool, materialized: bool },
    AlterView,
    RenameView,
    DropView { if_exists: bool, materialized: bool },
    RefreshMaterializedView,
    WithSchema,
    Raw,
}

/// Methods of `knex.schema` (and of `knex.schema:withSchema(...)`).
pub static SCHEMA: &[Method<SchemaOp>] = {
    use SchemaOp::*;
    &[
        m(
            "createTable",
            CreateTable {
                if_not_exists: false,
            },
            TABLE_ARG,
        )
        .callback(TableB),
        m(
            "createTableIfNotExists",
            CreateTable {
                if_not_exists: true,
            },
            TABLE_ARG,
        )
        .callback(TableB),
        m("createTableLike", CreateTableLike, TWO_TABLES).callback(TableB),
        m("alterTable", AlterTable, TABLE_ARG).callback(TableB),
        m("table", AlterTable, TABLE_ARG).callback(TableB),
        m("dropTable", DropTable { if_exists: false }, TABLE_ARG),
        m(
            "dropTableIfExists",
            DropTable { if_exists: true },
            TABLE_ARG,
        ),
        m("renameTable", RenameTable, TWO_TABLES),
        m("hasTable", HasTable, TABLE_ARG).returns(Value),
        m("hasColumn", HasColumn, &[Table, Column]).returns(Value),
        m(
            "createSchema",
            CreateSchema {
                if_not_exists: false,
            },
            OTHER,
        ),
        m(
            "createSchemaIfNotExists",
            CreateSchema {
                if_not_exists: true,
            },
            OTHER,
        ),
        m("dropSchema", DropSchema { if_exists: false }, OTHER),
        m("dropSchemaIfExists", DropSchema { if_exists: true }, OTHER),
        m(
            "createExtension",
            CreateExtension {
                if_not_exists: false,
            },
            OTHER,
        ),
        m(
            "createExtensionIfNotExists",
            CreateExtension {
                if_not_exists: true,
            },
            OTHER,
        ),
        m("dropExtension", DropExtension { if_exists: false }, OTHER),
        m(
            "dropExtensionIfExists",
            DropExtension { if_exists: true },
            OTHER,
        ),
        m(
            "createView",
            CreateView {
                replace: false,
                materialized: false,
            },
            TABLE_ARG,
        )
        .callback(View),
        m(
            "createViewOrReplace",
            CreateView {
                replace: true,
                materialized: false,
            },
            TABLE_ARG,
        )
        .callback(View),
        m(
            "createMaterializedView",
            CreateView {
                replace: false,
                materialized: true,
            },
            TABLE_ARG,
        )
        .callback(View),
        m(
            "refreshMaterializedView",
            RefreshMaterializedView,
            TABLE_ARG,
        ),
        m("alterView", AlterView, TABLE_ARG).callback(super::Builder::AlterView),
        m("view", AlterView, TABLE_ARG).callback(super::Builder::AlterView),
        m("renameView", RenameView, TWO_TABLES),
        m(
            "dropView",
            DropView {
                if_exists: false,
                materialized: false,
            },
            TABLE_ARG,
        ),
        m(
            "dropViewIfExists",
            DropView {
                if_exists: true,
                materialized: false,
            },
            TABLE_ARG,
        ),
        m(
            "dropMaterializedView",
            DropView {
                if_exists: false,
                materialized: true,
            },
            TABLE_ARG,
        ),
        m(
            "dropMaterializedViewIfExists",
            DropView {
                if_exists: true,
                materialized: true,
            },
            TABLE_ARG,
        ),
        m("withSchema", WithSchema, OTHER),
        m("raw", Raw, SQL_BINDINGS),
    ]
};

/// How a column type method builds its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableOp {
    /// A column of a fixed SQL type (`t:text`, `t:jsonb`); Knex ignores the
    /// display widths and lengths these take on other databases.
    Plain(&'static str),
    Increments {
        big: bool,
    },
    Serial,
    /// `varchar(n)` / `char(n)`, default length 255.
    Sized(&'static str),
    Decimal,
    Bit,
    Timestamp,
    Uuid,
    Enum,
    SpecificType,
    /// MySQL's `SET`: an error that says what to use instead.
    Set,
    Timestamps,
    DropTimestamps,
    Comment,
    DropColumns,
    RenameColumn,
    Primary,
    Unique,
    Index,
    DropIndex,
    DropUnique {
        if_exists: bool,
    },
    DropPrimary {
        if_exists: bool,
    },
    DropForeign {
        if_exists: bool,
    },
    Foreign,
    Check,
    DropChecks,
    SetNullable,
    DropNullable,
    Inherits,
}

const COLUMN_TYPE: &[Role] = COLUMN_ARG;

/// Methods of the table builder `t`.
pub static TABLE: &[Method<TableOp>] = {
    use TableOp::*;
    let col = To(ColumnB);
    &[
        m("increments", Increments { big: false }, COLUMN_TYPE).returns(col),
        m("bigIncrements", Increments { big: true }, COLUMN_TYPE).returns(col),
        m("integer", Plain("integer"), COLUMN_TYPE).returns(col),
        m("int", Plain("integer"), COLUMN_TYPE).returns(col),
        m("mediumint", Plain("integer"), COLUMN_TYPE).returns(col),
        m("bigInteger", Plain("bigint"), COLUMN_TYPE).returns(col),
        m("bigint", Plain("bigint"), COLUMN_TYPE).returns(col),
        m("tinyint", Plain("smallint"), COLUMN_TYPE).returns(col),
        m("smallint", Plain("smallint"), COLUMN_TYPE).returns(col),
        m("year", Plain("smallint"), COLUMN_TYPE).returns(col),
        m("text", Plain("text"), COLUMN_TYPE).returns(col),
        m("tinytext", Plain("text"), COLUMN_TYPE).returns(col),
        m("mediumtext", Plain("text"), COLUMN_TYPE).returns(col),
        m("longtext", Plain("text"), COLUMN_TYPE).returns(col),
        m("string", Sized("varchar"), COLUMN_TYPE).returns(col),
        m("varchar", Sized("varchar"), COLUMN_TYPE).returns(col),
        m("char", Sized("char"), COLUMN_TYPE).returns(col),
        m("float", Plain("real"), COLUMN_TYPE).returns(col),
        m("real", Plain("real"), COLUMN_TYPE).returns(col),
        m("double", Plain("double precision"), COLUMN_TYPE).returns(col),
        m("decimal", Decimal, COLUMN_TYPE).returns(col),
        m("boolean", Plain("boolean"), COLUMN_TYPE).returns(col),
        m("bool", Plain("boolean"), COLUMN_TYPE).returns(col),
        m("bit", Bit, COLUMN_TYPE).returns(col),
        m("date", Plain("date"), COLUMN_TYPE).returns(col),
        m("datetime", Timestamp, COLUMN_TYPE).returns(col),
        m("dateTime", Timestamp, COLUMN_TYPE).returns(col),
        m("timestamp", Timestamp, COLUMN_TYPE).returns(col),
        m("time", Plain("time"), COLUMN_TYPE).returns(col),
        m("binary", Plain("bytea"), COLUMN_TYPE).returns(col),
        m("varbinary", Plain("bytea"), COLUMN_TYPE).returns(col),
        m("blob", Plain("bytea"), COLUMN_TYPE).returns(col),
        m("json", Plain("json"), COLUMN_TYPE).returns(col),
        m("jsonb", Plain("jsonb"), COLUMN_TYPE).returns(col),
        m("uuid", Uuid, COLUMN_TYPE).returns(col),
        m("enu", Enum, COLUMN_TYPE).returns(col),
        m("enum", Enum, COLUMN_TYPE).returns(col),
        m("geometry", Plain("geometry"), COLUMN_TYPE).returns(col),
        m("geography", Plain("geography"), COLUMN_TYPE).returns(col),
        m("point", Plain("point"), COLUMN_TYPE).returns(col),
        m("serial", Serial, COLUMN_TYPE).returns(col),
        m("set", Set, COLUMN_TYPE).returns(col),
        m("specificType", SpecificType, COLUMN_TYPE).returns(col),
        m("timestamps", Timestamps, NONE).returns(Value),
        m("dropTimestamps", DropTimestamps, NONE),
        m("comment", Comment, OTHER),
        m("dropColumn", DropColumns, COLUMNS),
        m("dropColumns", DropColumns, COLUMNS),
        m("renameColumn", RenameColumn, &[Column, Column]),
        m("primary", Primary, COLUMN_ARG),
        m("unique", Unique, COLUMN_ARG),
        m("index", Index, COLUMN_ARG),
        m("dropIndex", DropIndex, COLUMN_ARG),
        m("dropUnique", DropUnique { if_exists: false }, COLUMN_ARG),
        m(
            "dropUniqueIfExists",
            DropUnique { if_exists: true },
            COLUMN_ARG,
        ),
        m("dropPrimary", DropPrimary { if_exists: false }, OTHER),
        m(
            "dropPrimaryIfExists",
            DropPrimary { if_exists: true },
            OTHER,
        ),
        m("foreign", Foreign, COLUMN_ARG).returns(To(ForeignB)),
        m("dropForeign", DropForeign { if_exists: false }, COLUMN_ARG),
        m(
            "dropForeignIfExists",
            DropForeign { if_exists: true },
            COLUMN_ARG,
        ),
        m("check", Check, OTHER),
        m("dropChecks", DropChecks, OTHER),
        m("setNullable", SetNullable, COLUMNS),
        m("dropNullable", DropNullable, COLUMNS),
        m("inherits", Inherits, &[OtherTable]),
    ]
};

/// What a column modifier does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnOp {
    NotNullable,
    Nullable,
    DefaultTo,
    /// MySQL-only modifiers, accepted and ignored on PostgreSQL as Knex does.
    Ignored,
    After,
    Collate,
    Comment,
    Alter,
    Primary,
    Unique,
    Index,
    References,
    Foreign(ForeignOp),
    Check,
    CheckPositive,
    CheckNegative,
    CheckIn,
    CheckNotIn,
    CheckBetween,
    CheckLength,
    CheckRegex,
}

/// Methods of a column builder (`t:string("email")`).
pub static COLUMN: &[Method<ColumnOp>] = {
    use ColumnOp::*;
    &[
        m("notNullable", NotNullable, NONE),
        m("notNull", NotNullable, NONE),
        m("nullable", Nullable, NONE),
        m("defaultTo", DefaultTo, OTHER),
        m("default", DefaultTo, OTHER),
        m("defaultsTo", DefaultTo, OTHER),
        m("unsigned", Ignored, NONE),
        m("first", Ignored, NONE),
        m("after", After, COLUMN_ARG),
        m("collate", Collate, OTHER),
        m("comment", Comment, OTHER),
        m("primary", Primary, OTHER),
        m("unique", Unique, OTHER),
        m("index", Index, OTHER),
        m("references", References, &[Reference]),
        m("inTable", Foreign(ForeignOp::InTable), &[OtherTable]),
        m("on", Foreign(ForeignOp::InTable), &[OtherTable]),
        m("onDelete", Foreign(ForeignOp::OnDelete), OTHER),
        m("onUpdate", Foreign(ForeignOp::OnUpdate), OTHER),
        m("withKeyName", Foreign(ForeignOp::WithKeyName), OTHER),
        m("deferrable", Foreign(ForeignOp::Deferrable), OTHER),
        m("alter", Alter, OTHER),
        m("check", Check, OTHER),
        m("checkPositive", CheckPositive, OTHER),
        m("checkNegative", CheckNegative, OTHER),
        m("checkIn", CheckIn, OTHER),
        m("checkNotIn", CheckNotIn, OTHER),
        m("checkBetween", CheckBetween, OTHER),
        m("checkLength", CheckLength, OTHER),
        m("checkRegex", CheckRegex, OTHER),
    ]
};

/// A change to a foreign key, from `t:foreign(...)` or a column's `references`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForeignOp {
    References,
    InTable,
    OnDelete,
    OnUpdate,
    WithKeyName,
    Deferrable,
}

/// Methods of `t:foreign(columns)`.
pub static FOREIGN: &[Method<ForeignOp>] = {
    use ForeignOp::*;
    &[
        m("references", References, &[Reference]),
        m("inTable", InTable, &[OtherTable]),
        m("on", InTable, &[OtherTable]),
        m("onDelete", OnDelete, OTHER),
        m("onUpdate", OnUpdate, OTHER),
        m("withKeyName", WithKeyName, OTHER),
        m("deferrable", Deferrable, OTHER),
    ]
};

/// What a view builder method sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewOp {
    Columns,
    As,
    CheckOption,
    LocalCheckOption,
    CascadedCheckOption,
}

/// Methods of the builder of `createView` / `createViewOrReplace` / `createMaterializedView`.
pub static VIEW: &[Method<ViewOp>] = {
    use ViewOp::*;
    &[
        m("columns", Columns, COLUMNS),
        m("as", As, OTHER),
        m("checkOption", CheckOption, NONE),
        m("localCheckOption", LocalCheckOption, NONE),
        m("cascadedCheckOption", CascadedCheckOption, NONE),
    ]
};

/// `alterView`'s builder: one method, `column(name)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlterViewOp {
    Column,
}

pub static ALTER_VIEW: &[Method<AlterViewOp>] =
    &[m("column", AlterViewOp::Column, COLUMN_ARG).returns(To(super::Builder::ViewColumn))];

/// What `v:column(name):…` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewColumnOp {
    Rename,
    DefaultTo,
}

pub static VIEW_COLUMN: &[Method<ViewColumnOp>] = &[
    m("rename", ViewColumnOp::Rename, COLUMN_ARG),
    m("defaultTo", ViewColumnOp::DefaultTo, OTHER),
];
