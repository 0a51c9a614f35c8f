//! Result rows (binary format) to [`Value`]s, per SPEC §7.3.
//!
//! integers → `Int` (bigint exact), numeric → exact decimal text, real/double →
//! `Float`, json/jsonb → `Json`, date/time/timestamp(tz) → ISO-8601 text, uuid →
//! canonical text, bytea → `Bytes`, arrays → `Array`, enums and every text-like
//! or unknown type → `Text` (their binary form is their text).

use std::error::Error;

use postgres_protocol::types as pgt;
use tokio_postgres::types::{FromSql, Kind, Type};

use super::Row;
use crate::sql::Value;

type DecodeResult<T> = Result<T, Box<dyn Error + Sync + Send>>;

/// A column's raw bytes, whatever its type.
struct RawCell<'a>(Option<&'a [u8]>);

impl<'a> FromSql<'a> for RawCell<'a> {
    fn from_sql(_ty: &Type, raw: &'a [u8]) -> DecodeResult<Self> {
        Ok(RawCell(Some(raw)))
    }
    fn from_sql_null(_ty: &Type) -> DecodeResult<Self> {
        Ok(RawCell(None))
    }
    fn accepts(_ty: &Type) -> bool {
        true
    }
}

pub fn rows(rows: &[tokio_postgres::Row]) -> Result<Vec<Row>, String> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let columns: std::sync::Arc<[String]> = first
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    rows.iter()
        .map(|row| {
            let values = row
                .columns()
                .iter()
                .enumerate()
                .map(|(i, col)| {
                    let cell: RawCell<'_> = row.try_get(i).map_err(|e| e.to_string())?;
                    match cell.0 {
                        None => Ok(Value::Null),
                        Some(raw) => value(col.type_(), raw).map_err(|e| {
                            format!("cannot read column `{}` ({}): {e}", col.name(), col.type_())
                        }),
                    }
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(Row {
                columns: columns.clone(),
                values,
            })
        })
        .collect()
}

/// Decodes one non-NULL binary value of type `ty`.
pub fn value(ty: &Type, raw: &[u8]) -> DecodeResult<Value> {
    Ok(match *ty {
        Type::BOOL => Value::Bool(pgt::bool_from_sql(raw)?),
        Type::INT2 => Value::Int(pgt::int2_from_sql(raw)?.into()),
        Type::INT4 => Value::Int(pgt::int4_from_sql(raw)?.into()),
        Type::INT8 => Value::Int(pgt::int8_from_sql(raw)?),
        Type::OID => Value::Int(pgt::oid_from_sql(raw)?.into()),
        Type::FLOAT4 => Value::Float(pgt::float4_from_sql(raw)?.into()),
        Type::FLOAT8 => Value::Float(pgt::float8_from_sql(raw)?),
        Type::NUMERIC => Value::Text(numeric(raw)?),
        Type::JSON => Value::Json(serde_json::from_slice(raw)?),
        Type::JSONB => match raw.split_first() {
            Some((1, rest)) => Value::Json(serde_json::from_slice(rest)?),
            _ => return Err("unsupported jsonb version".into()),
        },
        Type::BYTEA => Value::Bytes(raw.to_vec()),
        Type::UUID => Value::Text(uuid(raw)?),
        Type::DATE => Value::Text(date(pgt::date_from_sql(raw)?)?),
        Type::TIMESTAMP => Value::Text(timestamp(pgt::timestamp_from_sql(raw)?, false)?),
        Type::TIMESTAMPTZ => Value::Text(timestamp(pgt::timestamp_from_sql(raw)?, true)?),
        Type::TIME => Value::Text(time_of_day(pgt::time_from_sql(raw)?)),
        _ => match ty.kind() {
            Kind::Array(member) => array(member, raw)?,
            Kind::Domain(base) => value(base, raw)?,
            // Enums, text, varchar, name, citext and anything else readable as text.
            _ => match std::str::from_utf8(raw) {
                Ok(s) => Value::Text(s.to_string()),
                Err(_) => Value::Bytes(raw.to_vec()),
            },
        },
    })
}

fn array(member: &Type, raw: &[u8]) -> DecodeResult<Value> {
    use tokio_postgres::fallible_iterator::FallibleIterator;
    let arr = pgt::array_from_sql(raw)?;
    let dims: Vec<usize> = arr
        .dimensions()
        .map(|d| Ok(usize::try_from(d.len).unwrap_or(0)))
        .collect()?;
    let flat: Vec<Value> = arr
        .values()
        .map(|v| match v {
            None => Ok(Value::Null),
            Some(bytes) => value(member, bytes),
        })
        .collect()?;
    Ok(nest(&dims, &mut flat.into_iter()))
}

/// Rebuilds a multi-dimensional array from its row-major elements.
fn nest(dims: &[usize], flat: &mut impl Iterator<Item = Value>) -> Value {
    match dims.split_first() {
        None => Value::Array(Vec::new()),
        Some((n, [])) => Value::Array(flat.take(*n).collect()),
        Some((n, rest)) => Value::Array((0..*n).map(|_| nest(rest, flat)).collect()),
    }
}

/// PostgreSQL's binary numeric: base-10000 digits with weight, sign and scale.
fn numeric(raw: &[u8]) -> DecodeResult<String> {
    let word = |i: usize| -> DecodeResult<i16> {
        raw.get(i * 2..i * 2 + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated numeric".into())
    };
    let ndigits = word(0)? as usize;
    let weight = word(1)? as i32;
    let sign = word(2)? as u16;
    let dscale = word(3)? as usize;
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        _ => {}
    }
    let digits = (0..ndigits)
        .map(|i| word(4 + i))
        .collect::<DecodeResult<Vec<i16>>>()?;
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    // Integer part: groups with index 0..=weight.
    if weight < 0 {
        out.push('0');
    } else {
        for g in 0..=weight {
            let d = digits.get(g as usize).copied().unwrap_or(0);
            if g == 0 {
                out.push_str(&d.to_string());
            } else {
                out.push_str(&format!("{d:04}"));
            }
        }
    }
    if dscale > 0 {
        out.push('.');
        let mut frac = String::new();
        let mut g = weight + 1;
        while frac.len() < dscale {
            let d = if g < 0 {
                0
            } else {
                digits.get(g as usize).copied().unwrap_or(0)
            };
            frac.push_str(&format!("{d:04}"));
            g += 1;
        }
        frac.truncate(dscale);
        out.push_str(&frac);
    }
    Ok(out)
}

fn uuid(raw: &[u8]) -> DecodeResult<String> {
    if raw.len() != 16 {
        return Err("uuid must be 16 bytes".into());
    }
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

fn epoch() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

/// PostgreSQL dates reach year 5874897 and timestamps 294276, beyond what
/// chrono can hold; those are an error rather than a panic.
fn out_of_range() -> Box<dyn Error + Sync + Send> {
    "date or timestamp outside the range vectra-db can represent (years -262143 to 262143)".into()
}

fn date(days: i32) -> DecodeResult<String> {
    Ok(match days {
        i32::MAX => "infinity".into(),
        i32::MIN => "-infinity".into(),
        _ => epoch()
            .checked_add_signed(chrono::Duration::days(days.into()))
            .ok_or_else(out_of_range)?
            .format("%Y-%m-%d")
            .to_string(),
    })
}

fn timestamp(micros: i64, with_tz: bool) -> DecodeResult<String> {
    Ok(match micros {
        i64::MAX => "infinity".into(),
        i64::MIN => "-infinity".into(),
        _ => {
            let t = epoch()
                .checked_add_signed(chrono::Duration::microseconds(micros))
                .ok_or_else(out_of_range)?;
            let text = t.format("%Y-%m-%dT%H:%M:%S%.f").to_string();
            if with_tz {
                format!("{text}Z")
            } else {
                text
            }
        }
    })
}

fn time_of_day(micros: i64) -> String {
    let t = chrono::NaiveTime::from_hms_opt(0, 0, 0).unwrap_or_default()
        + chrono::Duration::microseconds(micros);
    t.format("%H:%M:%S%.f").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_bytes(ndigits: i16, weight: i16, sign: u16, dscale: i16, digits: &[i16]) -> Vec<u8> {
        let mut v = Vec::new();
        for w in [ndigits, weight, sign as i16, dscale].iter().chain(digits) {
            v.extend_from_slice(&w.to_be_bytes());
        }
        v
    }

    #[test]
    fn numeric_is_exact() {
        // 12345.678 = [1, 2345, 6780], weight 1, dscale 3
        let raw = numeric_bytes(3, 1, 0, 3, &[1, 2345, 6780]);
        assert_eq!(numeric(&raw).unwrap(), "12345.678");
        // -0.0001 = [1], weight -1, dscale 4
        let raw = numeric_bytes(1, -1, 0x4000, 4, &[1]);
        assert_eq!(numeric(&raw).unwrap(), "-0.0001");
        // 0
        let raw = numeric_bytes(0, 0, 0, 0, &[]);
        assert_eq!(numeric(&raw).unwrap(), "0");
        // 100000000 = [1, 0, 0], weight 2
        let raw = numeric_bytes(1, 2, 0, 0, &[1]);
        assert_eq!(numeric(&raw).unwrap(), "100000000");
    }

    #[test]
    fn timestamps_are_iso() {
        assert_eq!(timestamp(0, true).unwrap(), "2000-01-01T00:00:00Z");
        assert_eq!(
            timestamp(1_500_000, false).unwrap(),
            "2000-01-01T00:00:01.500"
        );
        assert_eq!(date(-1).unwrap(), "1999-12-31");
        // Year 294276 (PostgreSQL's maximum) is beyond chrono: an error, not a panic.
        assert!(timestamp(9_200_000_000_000_000_000, false).is_err());
        assert!(date(2_000_000_000).is_err());
    }
}
