//! PostgreSQL type → TypeScript type, as node-postgres returns values by
//! default, and the matching Zod 4 schema. The one table both `types.ts` and
//! `zod.ts` are rendered from, so they cannot disagree.
//!
//! node-postgres (`pg` 8, through `pg-types` 2) picks a parser by the type OID
//! of each result column; a type without a parser arrives as its text. The
//! OIDs below are `pg-types`' `lib/textParsers.js` list, one for one. Native
//! enums have no parser (a string), so they become a union of their labels;
//! arrays of enums, ranges and other types `pg-types` does not know arrive as
//! the raw array text (`"{a,b}"`), hence `string`.

use super::options::{DateType, Int8Type, JsonType, NumericType, TypeMapping};

/// A TypeScript type, as far as a column needs one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TsType {
    String,
    Number,
    /// A JavaScript number that is always an integer (`int2`, `int4`, `oid`).
    Integer,
    Boolean,
    BigInt,
    Date,
    Buffer,
    Unknown,
    /// The recursive `Json` type (`[schemas] json = "json"`).
    Json,
    /// `postgres-interval`'s object.
    Interval,
    Point,
    Circle,
    /// A native enum, by the TypeScript name of its union type.
    Enum(String),
    Array(Box<TsType>),
}

/// Helper types a column may need, emitted once in each file when used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Helper {
    Json,
    Interval,
    Point,
    Circle,
}

impl Helper {
    /// The TypeScript declaration, for `types.ts`.
    pub fn ts_declaration(self) -> &'static str {
        match self {
            Helper::Json => {
                "/** A JSON value, as `JSON.parse` returns it (json and jsonb columns). */\n\
                 export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };\n"
            }
            Helper::Interval => {
                "/** An `interval`, as postgres-interval parses it: only the non-zero parts are present. */\n\
                 export interface PostgresInterval {\n  years?: number;\n  months?: number;\n  days?: number;\n  hours?: number;\n  minutes?: number;\n  seconds?: number;\n  milliseconds?: number;\n}\n"
            }
            Helper::Point => "/** A `point`. */\nexport interface Point {\n  x: number;\n  y: number;\n}\n",
            Helper::Circle => {
                "/** A `circle`. */\nexport interface Circle {\n  x: number;\n  y: number;\n  radius: number;\n}\n"
            }
        }
    }

    /// The Zod schema declaration, for `zod.ts` (typed with the `types.ts`
    /// helper, so `z.infer` is that type exactly).
    pub fn zod_declaration(self) -> &'static str {
        match self {
            Helper::Json => {
                "export const jsonSchema: z.ZodType<Json> = z.lazy(() =>\n  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonSchema), z.record(z.string(), jsonSchema)]),\n);\n"
            }
            Helper::Interval => {
                "export const postgresIntervalSchema: z.ZodType<PostgresInterval> = z.object({\n  years: z.number().optional(),\n  months: z.number().optional(),\n  days: z.number().optional(),\n  hours: z.number().optional(),\n  minutes: z.number().optional(),\n  seconds: z.number().optional(),\n  milliseconds: z.number().optional(),\n});\n"
            }
            Helper::Point => "export const pointSchema: z.ZodType<Point> = z.object({ x: z.number(), y: z.number() });\n",
            Helper::Circle => {
                "export const circleSchema: z.ZodType<Circle> = z.object({ x: z.number(), y: z.number(), radius: z.number() });\n"
            }
        }
    }

    /// The type name `zod.ts` imports from `types.ts` to annotate the schema.
    pub fn type_name(self) -> &'static str {
        match self {
            Helper::Json => "Json",
            Helper::Interval => "PostgresInterval",
            Helper::Point => "Point",
            Helper::Circle => "Circle",
        }
    }
}

impl TsType {
    /// The type of a column whose wire type has OID `oid`; `enum_name` is the
    /// TypeScript name of its enum union when the type is a native enum.
    pub fn of(oid: u32, enum_name: Option<&str>, mapping: &TypeMapping) -> TsType {
        if let Some(name) = enum_name {
            return TsType::Enum(name.to_string());
        }
        let array = |t: TsType| TsType::Array(Box::new(t));
        match oid {
            16 => TsType::Boolean,
            17 => TsType::Buffer,
            20 => int8(mapping),
            21 | 23 | 26 => TsType::Integer,
            700 | 701 => TsType::Number,
            1700 => match mapping.numeric {
                NumericType::String => TsType::String,
                NumericType::Number => TsType::Number,
            },
            114 | 3802 => json(mapping),
            1082 => date(mapping.date),
            1114 | 1184 => date(mapping.timestamp),
            1186 => TsType::Interval,
            600 => TsType::Point,
            718 => TsType::Circle,
            1000 => array(TsType::Boolean),
            1001 => array(TsType::Buffer),
            1005 | 1007 | 1028 => array(TsType::Integer),
            1016 => array(int8(mapping)),
            1017 => array(TsType::Point),
            // pg-types parses numeric[] with parseFloat, unlike numeric.
            1021 | 1022 | 1231 => array(TsType::Number),
            651 | 791 | 1008 | 1009 | 1014 | 1015 | 1040 | 1041 | 1183 | 1270 | 2951 | 3907 => {
                array(TsType::String)
            }
            1115 | 1185 => array(date(mapping.timestamp)),
            1182 => array(date(mapping.date)),
            1187 => array(TsType::Interval),
            199 | 3807 => array(json(mapping)),
            _ => TsType::String,
        }
    }

    /// The TypeScript spelling.
    pub fn ts(&self) -> String {
        match self {
            TsType::String => "string".into(),
            TsType::Number | TsType::Integer => "number".into(),
            TsType::Boolean => "boolean".into(),
            TsType::BigInt => "bigint".into(),
            TsType::Date => "Date".into(),
            TsType::Buffer => "Buffer".into(),
            TsType::Unknown => "unknown".into(),
            TsType::Json => "Json".into(),
            TsType::Interval => "PostgresInterval".into(),
            TsType::Point => "Point".into(),
            TsType::Circle => "Circle".into(),
            TsType::Enum(name) => name.clone(),
            TsType::Array(inner) => format!("{}[]", inner.ts()),
        }
    }

    /// The Zod 4 schema expression. Strings carry no `.max(n)` for
    /// `varchar(n)`: PostgreSQL counts characters, JavaScript UTF-16 units, so
    /// a valid row with emoji could fail it.
    pub fn zod(&self) -> String {
        match self {
            TsType::String => "z.string()".into(),
            TsType::Number => "z.number()".into(),
            TsType::Integer => "z.number().int()".into(),
            TsType::Boolean => "z.boolean()".into(),
            TsType::BigInt => "z.bigint()".into(),
            TsType::Date => "z.date()".into(),
            TsType::Buffer => "z.instanceof(Buffer)".into(),
            TsType::Unknown => "z.unknown()".into(),
            TsType::Json => "jsonSchema".into(),
            TsType::Interval => "postgresIntervalSchema".into(),
            TsType::Point => "pointSchema".into(),
            TsType::Circle => "circleSchema".into(),
            TsType::Enum(name) => super::names::schema_name(name),
            TsType::Array(inner) => format!("z.array({})", inner.zod()),
        }
    }

    /// The helper declaration this type needs, if any.
    pub fn helper(&self) -> Option<Helper> {
        match self {
            TsType::Json => Some(Helper::Json),
            TsType::Interval => Some(Helper::Interval),
            TsType::Point => Some(Helper::Point),
            TsType::Circle => Some(Helper::Circle),
            TsType::Array(inner) => inner.helper(),
            _ => None,
        }
    }
}

fn int8(mapping: &TypeMapping) -> TsType {
    match mapping.int8 {
        Int8Type::String => TsType::String,
        Int8Type::Number => TsType::Integer,
        Int8Type::Bigint => TsType::BigInt,
    }
}

fn json(mapping: &TypeMapping) -> TsType {
    match mapping.json {
        JsonType::Unknown => TsType::Unknown,
        JsonType::Json => TsType::Json,
    }
}

fn date(kind: DateType) -> TsType {
    match kind {
        DateType::Date => TsType::Date,
        DateType::String => TsType::String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_postgres_defaults() {
        let m = TypeMapping::default();
        let ts = |oid| TsType::of(oid, None, &m).ts();
        assert_eq!(ts(20), "string"); // int8
        assert_eq!(ts(1700), "string"); // numeric
        assert_eq!(ts(23), "number");
        assert_eq!(ts(1184), "Date");
        assert_eq!(ts(1082), "Date");
        assert_eq!(ts(3802), "unknown");
        assert_eq!(ts(17), "Buffer");
        assert_eq!(ts(1007), "number[]");
        assert_eq!(ts(1016), "string[]");
        assert_eq!(ts(1231), "number[]");
        assert_eq!(ts(2950), "string"); // uuid
        assert_eq!(ts(3904), "string"); // int4range: no parser
        assert_eq!(TsType::of(99999, Some("UserStatus"), &m).ts(), "UserStatus");
    }

    #[test]
    fn options_change_the_parsed_types() {
        let m = TypeMapping {
            int8: Int8Type::Bigint,
            numeric: NumericType::Number,
            date: DateType::String,
            timestamp: DateType::String,
            json: JsonType::Json,
        };
        let ts = |oid| TsType::of(oid, None, &m).ts();
        assert_eq!(ts(20), "bigint");
        assert_eq!(ts(1700), "number");
        assert_eq!(ts(1082), "string");
        assert_eq!(ts(1185), "string[]");
        assert_eq!(ts(3807), "Json[]");
        assert_eq!(TsType::of(3807, None, &m).helper(), Some(Helper::Json));
    }

    #[test]
    fn zod_schemas_match() {
        let m = TypeMapping::default();
        let zod = |oid| TsType::of(oid, None, &m).zod();
        assert_eq!(zod(1043), "z.string()");
        assert_eq!(zod(23), "z.number().int()");
        assert_eq!(zod(1115), "z.array(z.date())");
        assert_eq!(zod(17), "z.instanceof(Buffer)");
    }
}
