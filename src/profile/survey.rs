//! What the columns of a table actually hold, read before the target table is
//! created, so that the default types hold every stored value exactly: SQLite enforces
//! no declared width, precision or scale, and applications store what they like.
//!
//! One aggregate query per table inside SQLite for widths, integer ranges and 0/1 or
//! JSON checks, and one pass in Rust for what SQL cannot tell (the digits of a
//! DECIMAL's values, text that is not UTF-8), only for the columns that need it.

use crate::types::decimal;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

/// What to find out about one column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// Longest text, in characters (VARCHAR(n)).
    pub text_length: bool,
    /// Smallest and largest integer, and values that are not integers.
    pub integer_range: bool,
    /// Values other than 0 and 1 (a 0/1 boolean).
    pub zero_one: bool,
    /// Values that are not valid JSON.
    pub json: bool,
    /// The digits before and after the point of every value (DECIMAL(p,s)).
    pub decimal: bool,
    /// Blobs, and text that is not UTF-8 or holds NUL (types 'text').
    pub raw: bool,
    /// Whether every value converts to the declaration's mapping, which reads it as
    /// this (None: bytea, which reads everything).
    pub read_as: Option<ReadAs>,
    /// Values a numeric(precision, scale) would have to round or cannot hold.
    pub numeric_fits: Option<(i64, i64)>,
}

/// What the declaration's plain mapping must read every value as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAs {
    Integer,
    Float,
    Numeric,
    Bool,
    Date,
    Timestamp,
    Time,
    Uuid,
    Json,
    Text,
}

impl ReadAs {
    /// For a Postgres type of the declared mapping (`postgres_type_for`).
    pub fn for_type(pg_type: &str) -> Option<ReadAs> {
        Some(match pg_type {
            "bigint" | "integer" | "smallint" => ReadAs::Integer,
            "double precision" | "real" => ReadAs::Float,
            t if t.starts_with("numeric") => ReadAs::Numeric,
            "boolean" => ReadAs::Bool,
            "date" => ReadAs::Date,
            "timestamp" | "timestamptz" => ReadAs::Timestamp,
            "time" => ReadAs::Time,
            "uuid" => ReadAs::Uuid,
            "jsonb" | "json" => ReadAs::Json,
            "text" => ReadAs::Text,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            ReadAs::Integer => "integers",
            ReadAs::Float => "numbers",
            ReadAs::Numeric => "decimal numbers",
            ReadAs::Bool => "booleans",
            ReadAs::Date => "dates",
            ReadAs::Timestamp => "timestamps",
            ReadAs::Time => "times of day",
            ReadAs::Uuid => "UUIDs",
            ReadAs::Json => "JSON",
            ReadAs::Text => "UTF-8 text",
        }
    }

    /// `reads` for a value of a scan (a value too large to have been read: false, so
    /// that the survey, which reads it, decides). Pure Rust: the read-ahead thread
    /// calls it.
    pub fn reads_cell(self, cell: &crate::fdw::convert::Cell) -> bool {
        cell.value_ref().is_some_and(|v| self.reads(v))
    }

    /// Does the load's conversion read this stored value (by the same parsing rules)?
    fn reads(self, value: ValueRef) -> bool {
        use crate::types::{datetime, scalar};
        fn text(b: &[u8]) -> Option<&str> {
            scalar::check_text(b).ok()
        }
        match (self, value) {
            (_, ValueRef::Null) => true,
            (ReadAs::Text, ValueRef::Text(b) | ValueRef::Blob(b)) => text(b).is_some(),
            (ReadAs::Text, _) => true,
            (ReadAs::Integer, ValueRef::Integer(_)) => true,
            (ReadAs::Integer, ValueRef::Real(r)) => scalar::real_to_int(r).is_ok(),
            (ReadAs::Integer, ValueRef::Text(b)) => text(b).is_some_and(|t| scalar::parse_int(&t).is_ok()),
            (ReadAs::Float, ValueRef::Integer(i)) => scalar::int_to_float(i).is_ok(),
            (ReadAs::Float, ValueRef::Real(_)) => true,
            (ReadAs::Float, ValueRef::Text(b)) => text(b).is_some_and(|t| scalar::text_to_float(&t).is_ok()),
            (ReadAs::Numeric, ValueRef::Integer(_)) => true,
            (ReadAs::Numeric, ValueRef::Real(r)) => r.is_finite(),
            (ReadAs::Numeric, ValueRef::Text(b)) => text(b).is_some_and(|t| decimal::shape(&t).is_some()),
            (ReadAs::Bool, ValueRef::Integer(i)) => i == 0 || i == 1,
            (ReadAs::Bool, ValueRef::Real(r)) => r == 0.0 || r == 1.0,
            (ReadAs::Bool, ValueRef::Text(b)) => text(b).is_some_and(|t| scalar::parse_bool(&t).is_ok()),
            (ReadAs::Date, ValueRef::Text(b)) => text(b).is_some_and(|t| datetime::parse_date(&t).is_ok()),
            (ReadAs::Date, ValueRef::Integer(i)) => datetime::epoch_int_to_usecs(i, datetime::EpochUnit::Auto).and_then(datetime::usecs_to_date).is_ok(),
            (ReadAs::Date, ValueRef::Real(r)) => datetime::epoch_real_to_usecs(r, datetime::EpochUnit::Auto).and_then(datetime::usecs_to_date).is_ok(),
            (ReadAs::Timestamp, ValueRef::Text(b)) => {
                text(b).is_some_and(|t| datetime::parse_timestamp(&t).is_ok_and(|ts| datetime::check_timestamp_range(ts.utc_usecs().unwrap_or(ts.local_usecs)).is_ok()))
            }
            (ReadAs::Timestamp, ValueRef::Integer(i)) => datetime::epoch_int_to_usecs(i, datetime::EpochUnit::Auto).is_ok(),
            (ReadAs::Timestamp, ValueRef::Real(r)) => datetime::epoch_real_to_usecs(r, datetime::EpochUnit::Auto).is_ok(),
            (ReadAs::Time, ValueRef::Text(b)) => text(b).is_some_and(|t| datetime::parse_time(&t).is_ok()),
            (ReadAs::Uuid, ValueRef::Text(b)) => text(b).is_some_and(|t| scalar::parse_uuid_text(&t).is_ok()),
            (ReadAs::Uuid, ValueRef::Blob(b)) => b.len() == 16,
            (ReadAs::Json, ValueRef::Integer(_) | ValueRef::Real(_)) => true,
            (ReadAs::Json, ValueRef::Text(b)) => text(b).is_some_and(|t| crate::profile::stats::is_json(&t)),
            (ReadAs::Json, ValueRef::Blob(b)) => crate::sqlite::jsonb::to_json_text(b).is_some() || text(b).is_some_and(|t| crate::profile::stats::is_json(&t)),
            _ => false,
        }
    }
}

impl Needs {
    pub fn any(&self) -> bool {
        *self != Needs::default()
    }
}

/// What a column holds (only what was asked for is filled in).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holds {
    pub max_text_chars: Option<i64>,
    pub min_integer: Option<i64>,
    pub max_integer: Option<i64>,
    /// Non-NULL values that are not integers.
    pub non_integers: i64,
    pub not_zero_one: i64,
    pub not_json: i64,
    /// The most digits before and after the point, and a rowid (or row number) where
    /// the scale is largest.
    pub decimal: Option<(i64, i64, i64)>,
    /// Non-NULL values that are not decimal literals.
    pub not_decimal: i64,
    pub blobs: i64,
    pub not_text: i64,
    /// Values the declaration's mapping does not read (`Needs::read_as`), the first
    /// one's row and value, and how many of those are numbers or text.
    pub unreadable: i64,
    pub unreadable_example: Option<(i64, String)>,
    pub unreadable_numbers: i64,
    /// Numbers that do not fit `Needs::numeric_fits`, and the first one's row and value.
    pub not_fitting: i64,
    pub not_fitting_example: Option<(i64, String)>,
    /// Values text cannot hold (blobs or text that are not UTF-8, or hold NUL).
    pub not_text_like: i64,
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Survey `columns` (name, needs) of `table`; `rowid`: a rowid alias to name rows by.
pub fn survey(db: &Connection, table: &str, columns: &[(String, Needs)], rowid: Option<&str>) -> rusqlite::Result<Vec<Holds>> {
    let mut out = vec![Holds::default(); columns.len()];
    // 1. Aggregates in SQLite.
    let mut exprs: Vec<(usize, &'static str, String)> = Vec::new();
    for (i, (name, needs)) in columns.iter().enumerate() {
        let c = ident(name);
        if needs.text_length {
            exprs.push((i, "len", format!("max(CASE WHEN typeof({c}) = 'text' THEN length({c}) END)")));
        }
        if needs.integer_range {
            exprs.push((i, "min", format!("min(CASE WHEN typeof({c}) = 'integer' THEN {c} END)")));
            exprs.push((i, "max", format!("max(CASE WHEN typeof({c}) = 'integer' THEN {c} END)")));
            exprs.push((i, "nonint", format!("sum(typeof({c}) NOT IN ('integer', 'null'))")));
        }
        if needs.zero_one {
            exprs.push((i, "zero_one", format!("sum({c} IS NOT NULL AND ({c} NOT IN (0, 1) OR typeof({c}) NOT IN ('integer', 'real')))")));
        }
        if needs.json {
            exprs.push((i, "json", format!("sum({c} IS NOT NULL AND NOT ((typeof({c}) = 'text' AND json_valid({c})) OR (typeof({c}) = 'blob' AND json_valid({c}, 8))))")));
        }
        if needs.raw {
            exprs.push((i, "blobs", format!("sum(typeof({c}) = 'blob')")));
        }
    }
    if !exprs.is_empty() {
        let sql = format!("SELECT {} FROM {}", exprs.iter().map(|(_, _, e)| e.as_str()).collect::<Vec<_>>().join(", "), ident(table));
        db.query_row(&sql, [], |r| {
            for (k, (i, what, _)) in exprs.iter().enumerate() {
                let v: Option<i64> = r.get(k)?;
                let h = &mut out[*i];
                match *what {
                    "len" => h.max_text_chars = v,
                    "min" => h.min_integer = v,
                    "max" => h.max_integer = v,
                    "nonint" => h.non_integers = v.unwrap_or(0),
                    "zero_one" => h.not_zero_one = v.unwrap_or(0),
                    "json" => h.not_json = v.unwrap_or(0),
                    _ => h.blobs = v.unwrap_or(0),
                }
            }
            Ok(())
        })?;
    }
    // 2. One pass in Rust for digits and encodings.
    let rust: Vec<usize> = columns.iter().enumerate().filter(|(_, (_, n))| n.decimal || n.raw || n.read_as.is_some() || n.numeric_fits.is_some()).map(|(i, _)| i).collect();
    if !rust.is_empty() {
        let names: Vec<String> = rust.iter().map(|&i| ident(&columns[i].0)).collect();
        let key = rowid.map(str::to_string).unwrap_or_else(|| "NULL".into());
        let sql = format!("SELECT {key}, {} FROM {}", names.join(", "), ident(table));
        let mut stmt = db.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let mut number = 0i64;
        while let Some(row) = rows.next()? {
            number += 1;
            let at: i64 = row.get::<_, Option<i64>>(0)?.unwrap_or(number);
            for (k, &i) in rust.iter().enumerate() {
                let value = row.get_ref(k + 1)?;
                let needs = columns[i].1;
                let h = &mut out[i];
                if let Some(read_as) = needs.read_as {
                    let text_like = match value {
                        ValueRef::Text(t) | ValueRef::Blob(t) => Some(crate::types::scalar::check_text(t).is_ok()),
                        _ => None,
                    };
                    if text_like == Some(false) {
                        h.not_text_like += 1;
                    }
                    // Text reads exactly what is text-like: no second check.
                    let readable = if read_as == ReadAs::Text { text_like != Some(false) } else { read_as.reads(value) };
                    if !readable {
                        h.unreadable += 1;
                        if h.unreadable_example.is_none() {
                            h.unreadable_example = Some((at, describe(value)));
                        }
                        let number = match value {
                            ValueRef::Integer(_) => true,
                            ValueRef::Real(r) => r.is_finite(),
                            ValueRef::Text(t) => std::str::from_utf8(t).is_ok_and(|t| decimal::shape(t).is_some()),
                            _ => false,
                        };
                        h.unreadable_numbers += number as i64;
                    }
                }
                if let Some((precision, scale)) = needs.numeric_fits {
                    let literal = match value {
                        ValueRef::Integer(v) => Some(v.to_string()),
                        ValueRef::Real(v) if v.is_finite() => Some(format!("{v:?}")),
                        ValueRef::Text(t) => std::str::from_utf8(t).ok().map(str::to_string),
                        _ => None,
                    };
                    if let Some(shape) = literal.as_deref().and_then(decimal::shape) {
                        if shape.significant_scale > scale || shape.integer_digits > precision - scale {
                            h.not_fitting += 1;
                            if h.not_fitting_example.is_none() {
                                h.not_fitting_example = Some((at, describe(value)));
                            }
                        }
                    }
                }
                if needs.raw {
                    if let ValueRef::Text(t) = value {
                        if std::str::from_utf8(t).is_err() || t.contains(&0) {
                            h.not_text += 1;
                        }
                    }
                }
                if needs.decimal {
                    let literal = match value {
                        ValueRef::Null => continue,
                        ValueRef::Integer(v) => v.to_string(),
                        ValueRef::Real(v) if v.is_finite() => format!("{v:?}"),
                        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                        _ => {
                            h.not_decimal += 1;
                            continue;
                        }
                    };
                    match decimal::shape(&literal) {
                        Some(s) => {
                            let scale = s.significant_scale.max(0);
                            let (digits, best, example) = h.decimal.unwrap_or((0, -1, at));
                            h.decimal = Some((digits.max(s.integer_digits), best.max(scale), if scale > best { at } else { example }));
                        }
                        None => h.not_decimal += 1,
                    }
                }
            }
        }
    }
    Ok(out)
}

/// A stored value for a note.
fn describe(value: ValueRef) -> String {
    let short = |s: String| if s.chars().count() > 40 { format!("{}...", s.chars().take(37).collect::<String>()) } else { s };
    match value {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => format!("{r:?}"),
        ValueRef::Text(t) => format!("'{}'", short(String::from_utf8_lossy(t).into_owned())),
        ValueRef::Blob(b) => format!("x'{}'", short(b.iter().map(|x| format!("{x:02x}")).collect())),
    }
}

/// A column's type for a new target table, from its declaration and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub pg_type: String,
    /// Why the type is not the declaration's plain mapping, for the plan and status.
    pub note: Option<String>,
    /// The type itself enforces the column's CHECK (0/1 → boolean, JSON_VALID →
    /// jsonb): the CHECK is not translated.
    pub replaces_check: bool,
}

/// What the SQLite side tells about a column besides its declaration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hints {
    /// A CHECK (col IN (0, 1)) (SQLAlchemy's Boolean).
    pub zero_one_check: bool,
    /// A CHECK (JSON_VALID(col)) (Django's JSONField).
    pub json_check: bool,
    /// A GeoPackage geometry column (gpkg_geometry_columns).
    pub geometry: bool,
}

/// The column a CHECK is about when it is `JSON_VALID(col)` (with an optional `col IS
/// NULL OR`, in either order): Django's JSONField.
pub fn json_valid_check(expr: &[crate::sqlite::sql_text::Token]) -> Option<String> {
    use crate::sqlite::sql_text::Token;
    let t: Vec<&Token> = expr.iter().filter(|t| !t.is_op("(") && !t.is_op(")")).collect();
    let f = t.iter().position(|x| x.is_kw("JSON_VALID"))?;
    let column = t.get(f + 1)?.name()?.to_string();
    let rest: Vec<&&Token> = t.iter().enumerate().filter(|(i, _)| *i != f && *i != f + 1).map(|(_, x)| x).collect();
    let null_guard = |r: &[&&Token]| matches!(r, [a, b, c, d] if a.name() == Some(&column) && b.is_kw("IS") && c.is_kw("NULL") && d.is_kw("OR"))
        || matches!(r, [o, a, b, c] if o.is_kw("OR") && a.name() == Some(&column) && b.is_kw("IS") && c.is_kw("NULL"));
    (rest.is_empty() || null_guard(&rest)).then_some(column)
}

/// The column a CHECK is about when it is `col IN (0, 1)` (SQLAlchemy's Boolean).
pub fn zero_one_check(expr: &[crate::sqlite::sql_text::Token]) -> Option<String> {
    use crate::sqlite::sql_text::Token;
    let t: Vec<&Token> = expr.iter().collect();
    let start = usize::from(t.first().is_some_and(|x| x.is_op("(")));
    let t = &t[start..t.len() - start];
    match t {
        [c, i, o, a, k, b, e] if i.is_kw("IN") && o.is_op("(") && k.is_op(",") && e.is_op(")") => {
            let nums: Vec<&str> = [a, b].iter().filter_map(|x| if let Token::Number(n) = x { Some(n.as_str()) } else { None }).collect();
            (nums == ["0", "1"] || nums == ["1", "0"]).then(|| c.name().map(str::to_string)).flatten()
        }
        _ => None,
    }
}

/// The first word of a declared type and its `(n)`, upper-cased.
fn base_and_width(declared: &str) -> (String, Option<i64>) {
    let upper = declared.trim().to_ascii_uppercase();
    let (head, width) = match upper.find('(') {
        Some(o) => (upper[..o].trim().to_string(), upper[o + 1..].split([',', ')']).next().and_then(|n| n.trim().parse().ok())),
        None => (upper.clone(), None),
    };
    (head, width)
}

const VARCHAR_NAMES: &[&str] = &["VARCHAR", "CHARACTER VARYING", "NVARCHAR", "VARYING CHARACTER", "NCHAR", "NATIVE CHARACTER", "CHARACTER", "CHAR", "NVARCHAR2", "VARCHAR2"];

/// What to survey for a column declared `declared` under `mode`.
pub fn needs(declared: &str, mode: crate::types::declared::TypesMode, hints: Hints) -> Needs {
    use crate::types::declared::{affinity, Affinity, TypesMode};
    let (base, width) = base_and_width(declared);
    if mode == TypesMode::Text {
        return Needs { raw: affinity(declared) != Affinity::Blob || declared.trim().is_empty(), ..Default::default() };
    }
    if hints.geometry {
        return Needs::default();
    }
    Needs {
        text_length: width.is_some() && VARCHAR_NAMES.contains(&base.as_str()),
        integer_range: matches!(base.as_str(), "SMALLINT" | "INT2" | "INT" | "INT4" | "MEDIUMINT" | "TINYINT"),
        zero_one: (base == "TINYINT" && width == Some(1)) || hints.zero_one_check,
        json: hints.json_check,
        decimal: matches!(base.as_str(), "DECIMAL" | "NUMERIC") && width.is_some(),
        raw: false,
        read_as: ReadAs::for_type(&crate::types::declared::postgres_type_for(declared)),
        numeric_fits: None,
    }
}

/// The type for a column declared `declared` that holds `holds` (surveyed as `needs`
/// says). `base`: the declaration's plain mapping (`postgres_type_for`/`raw_type_for`).
pub fn choose(column: &str, declared: &str, base: &str, mode: crate::types::declared::TypesMode, hints: Hints, holds: &Holds) -> Choice {
    use crate::types::declared::TypesMode;
    let plain = |t: &str| Choice { pg_type: t.to_string(), note: None, replaces_check: false };
    let noted = |t: &str, note: String| Choice { pg_type: t.to_string(), note: Some(format!("column \"{column}\": {note}")), replaces_check: false };
    if mode == TypesMode::Text {
        if base == "text" && (holds.blobs > 0 || holds.not_text > 0) {
            return noted("bytea", format!("holds {} blob(s) and {} text value(s) that are not UTF-8 or hold NUL: bytea keeps every byte", holds.blobs, holds.not_text));
        }
        return plain(base);
    }
    if hints.geometry {
        return noted("bytea", "GeoPackage geometry: the blobs as they are (bytea)".into());
    }
    // Values the declaration's type cannot read: a type that holds them all, so that
    // the default migration never fails on what SQLite let the application store.
    if holds.unreadable > 0 {
        let (at, example) = holds.unreadable_example.clone().unwrap_or_default();
        let read_as = needs(declared, mode, hints).read_as;
        // numeric holds every integer and finite double exactly; text every number and text
        let fallback = match read_as {
            Some(ReadAs::Integer) if holds.unreadable_numbers == holds.unreadable => "numeric",
            _ if holds.not_text_like == 0 => "text",
            _ => "bytea",
        };
        let what = read_as.map_or("values of its type", ReadAs::name);
        return noted(
            fallback,
            format!("declared {declared}, holds {} value(s) that are not {what} (e.g. row {at}: {example}; SQLite does not enforce declared types): {fallback}, which holds every value as stored", holds.unreadable),
        );
    }
    let (name, width) = base_and_width(declared);
    let fits = |lo: i64, hi: i64| holds.non_integers == 0 && holds.min_integer.is_none_or(|v| v >= lo) && holds.max_integer.is_none_or(|v| v <= hi);
    if (name == "TINYINT" && width == Some(1)) || hints.zero_one_check {
        if holds.not_zero_one == 0 {
            return Choice {
                pg_type: "boolean".into(),
                note: Some(format!("column \"{column}\": {declared}{} holds only 0 and 1: boolean", if hints.zero_one_check { " with CHECK IN (0, 1)" } else { "" })),
                replaces_check: hints.zero_one_check,
            };
        }
    }
    if hints.json_check && holds.not_json == 0 {
        return Choice { pg_type: "jsonb".into(), note: Some(format!("column \"{column}\": CHECK (JSON_VALID(...)): jsonb, which only holds valid JSON")), replaces_check: true };
    }
    match name.as_str() {
        "SMALLINT" | "INT2" | "TINYINT" if fits(i16::MIN as i64, i16::MAX as i64) => return plain("smallint"),
        "INT" | "INT4" | "MEDIUMINT" if fits(i32::MIN as i64, i32::MAX as i64) => return plain("integer"),
        "SMALLINT" | "INT2" | "TINYINT" | "INT" | "INT4" | "MEDIUMINT" => {
            return noted("bigint", format!("declared {declared}, holds {} (SQLite does not enforce the width): bigint", describe_range(holds)));
        }
        _ => {}
    }
    if let (Some(n), true) = (width, VARCHAR_NAMES.contains(&name.as_str())) {
        return match holds.max_text_chars {
            Some(longest) if longest > n => noted("text", format!("declared {declared}, holds text up to {longest} characters (SQLite does not enforce the length): text")),
            _ => plain(&format!("varchar({n})")),
        };
    }
    if let (Some((digits, scale, at)), true) = (holds.decimal, base.starts_with("numeric(")) {
        let (p, s) = crate::types::declared::precision_scale(base).expect("numeric(p,s)");
        if scale <= s && digits <= p - s {
            return plain(base);
        }
        let new_scale = s.max(scale);
        let new_precision = (p - s).max(digits) + new_scale;
        let widened = if new_precision <= 1000 { format!("numeric({new_precision},{new_scale})") } else { "numeric".into() };
        return noted(
            &widened,
            format!("declared {declared}, holds values with {digits} digits before and {scale} after the point (e.g. row {at}; SQLite does not enforce precision or scale): {widened}, so no value is rounded"),
        );
    }
    plain(base)
}

fn describe_range(h: &Holds) -> String {
    match (h.min_integer, h.max_integer, h.non_integers) {
        (_, _, n) if n > 0 => format!("{n} value(s) that are not integers"),
        (Some(lo), Some(hi), _) => format!("integers from {lo} to {hi}"),
        _ => "no integers".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The load's check of a scan value (`reads_cell`, on the read-ahead thread) is the
    /// survey's rule for the same stored value: the deferred survey chooses the same.
    #[test]
    fn the_loads_check_is_the_surveys_rule() {
        use crate::fdw::convert::Cell;
        let cases: Vec<(Cell, ValueRef)> = vec![
            (Cell::integer_value(7), ValueRef::Integer(7)),
            (Cell::real_value(2.5), ValueRef::Real(2.5)),
            (Cell::real_value(f64::NAN), ValueRef::Real(f64::NAN)),
            (Cell::bytes_value(b"abc", false), ValueRef::Text(b"abc")),
            (Cell::bytes_value(b"42", false), ValueRef::Text(b"42")),
            (Cell::bytes_value(b"2024-02-29 10:00:00", false), ValueRef::Text(b"2024-02-29 10:00:00")),
            (Cell::bytes_value(b"2024-13-45", false), ValueRef::Text(b"2024-13-45")),
            (Cell::bytes_value(b"ca\xfe", false), ValueRef::Text(b"ca\xfe")),
            (Cell::bytes_value(b"t", false), ValueRef::Text(b"t")),
            (Cell::bytes_value(&[1, 2, 3], true), ValueRef::Blob(&[1, 2, 3])),
            (Cell::bytes_value(b"{\"a\": 1}", true), ValueRef::Blob(b"{\"a\": 1}")),
        ];
        let rules = [ReadAs::Integer, ReadAs::Float, ReadAs::Numeric, ReadAs::Bool, ReadAs::Date, ReadAs::Timestamp, ReadAs::Time, ReadAs::Uuid, ReadAs::Json, ReadAs::Text];
        let mut refused = 0;
        for rule in rules {
            for (cell, value) in &cases {
                assert_eq!(rule.reads_cell(cell), rule.reads(*value), "{rule:?} on {value:?}");
                refused += !rule.reads(*value) as usize;
            }
        }
        assert!(refused > 20, "the cases must include values the rules refuse");
    }

    #[test]
    fn surveys_widths_ranges_flags_and_digits() {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, name VARCHAR(5), n INT, flag TINYINT(1), doc TEXT, amount DECIMAL(10,2), raw TEXT);
             INSERT INTO t VALUES (1, 'abcdef', 7, 0, '{\"a\": 1}', 19.999, 'ok'),
                                  (2, 'ü', 70000, 1, 'not json', '1.005', x'00ff'),
                                  (3, NULL, 'x', 2, NULL, 12345678, NULL);",
        )
        .unwrap();
        let all = Needs { text_length: true, integer_range: true, zero_one: true, json: true, decimal: true, raw: true, read_as: None, numeric_fits: None };
        let cols: Vec<(String, Needs)> = ["name", "n", "flag", "doc", "amount", "raw"].iter().map(|c| (c.to_string(), all)).collect();
        let h = survey(&db, "t", &cols, Some("id")).unwrap();
        assert_eq!(h[0].max_text_chars, Some(6));
        assert_eq!((h[1].min_integer, h[1].max_integer, h[1].non_integers), (Some(7), Some(70000), 1));
        assert_eq!(h[2].not_zero_one, 1);
        assert_eq!(h[3].not_json, 1);
        assert_eq!(h[4].decimal, Some((8, 3, 1)), "19.999 has the largest scale, at rowid 1");
        assert_eq!(h[5].blobs, 1);
        let mut bad = Connection::open_in_memory().unwrap();
        bad.execute_batch("CREATE TABLE u(s TEXT)").unwrap();
        bad.execute("INSERT INTO u VALUES (CAST(x'ff41' AS TEXT))", []).unwrap();
        let tx = bad.transaction().unwrap();
        tx.commit().unwrap();
        let h = survey(&bad, "u", &[("s".into(), Needs { raw: true, ..Default::default() })], None).unwrap();
        assert_eq!(h[0].not_text, 1);
    }

    #[test]
    fn checks_that_a_type_enforces_are_recognized() {
        let t = |sql: &str| crate::sqlite::sql_text::tokenize(sql).unwrap();
        assert_eq!(json_valid_check(&t("(JSON_VALID(\"data\") OR \"data\" IS NULL)")).as_deref(), Some("data"));
        assert_eq!(json_valid_check(&t("json_valid(doc)")).as_deref(), Some("doc"));
        assert_eq!(json_valid_check(&t("json_valid(doc) AND length(doc) > 2")), None);
        assert_eq!(zero_one_check(&t("is_active IN (0, 1)")).as_deref(), Some("is_active"));
        assert_eq!(zero_one_check(&t("(flag IN (1,0))")).as_deref(), Some("flag"));
        assert_eq!(zero_one_check(&t("flag IN (0, 2)")), None);
    }

    #[test]
    fn choices_hold_every_stored_value() {
        use crate::types::declared::TypesMode::*;
        let h = |f: fn(&mut Holds)| {
            let mut x = Holds::default();
            f(&mut x);
            x
        };
        let none = Hints::default();
        let amount = h(|x| x.decimal = Some((2, 3, 17)));
        let c = choose("amount", "DECIMAL(10,2)", "numeric(10,2)", Declared, none, &amount);
        assert_eq!(c.pg_type, "numeric(11,3)");
        assert!(c.note.unwrap().contains("e.g. row 17"));
        assert_eq!(choose("amount", "DECIMAL(10,2)", "numeric(10,2)", Declared, none, &h(|x| x.decimal = Some((8, 2, 1)))).pg_type, "numeric(10,2)");
        assert_eq!(choose("n", "SMALLINT", "bigint", Declared, none, &h(|x| { x.min_integer = Some(-5); x.max_integer = Some(300) })).pg_type, "smallint");
        assert_eq!(choose("n", "INT", "bigint", Declared, none, &h(|x| x.max_integer = Some(3_000_000_000))).pg_type, "bigint");
        assert_eq!(choose("n", "INTEGER", "bigint", Declared, none, &h(|x| x.max_integer = Some(5))).pg_type, "bigint", "INTEGER is SQLite's 64-bit type");
        assert_eq!(choose("f", "TINYINT(1)", "bigint", Declared, none, &Holds::default()).pg_type, "boolean");
        assert_eq!(choose("f", "TINYINT(1)", "bigint", Declared, none, &h(|x| { x.not_zero_one = 1; x.max_integer = Some(2) })).pg_type, "smallint");
        let checked = Hints { zero_one_check: true, ..none };
        assert!(choose("f", "INTEGER", "bigint", Declared, checked, &Holds::default()).replaces_check);
        assert_eq!(choose("d", "TEXT", "text", Declared, Hints { json_check: true, ..none }, &Holds::default()).pg_type, "jsonb");
        assert_eq!(choose("d", "TEXT", "text", Declared, Hints { json_check: true, ..none }, &h(|x| x.not_json = 2)).pg_type, "text");
        assert_eq!(choose("s", "VARCHAR(5)", "text", Declared, none, &h(|x| x.max_text_chars = Some(5))).pg_type, "varchar(5)");
        assert_eq!(choose("s", "VARCHAR(5)", "text", Declared, none, &h(|x| x.max_text_chars = Some(6))).pg_type, "text");
        assert_eq!(choose("b", "TEXT", "text", Text, none, &h(|x| x.blobs = 1)).pg_type, "bytea");
        assert_eq!(choose("g", "POINT", "numeric", Declared, Hints { geometry: true, ..none }, &Holds::default()).pg_type, "bytea");
    }
}
