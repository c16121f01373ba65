//! The type IMPORT FOREIGN SCHEMA (types 'inferred') and liteport.plan choose from a
//! column's profile: the narrowest Postgres type that reads every stored value without
//! error, and the column options that make it so. Each rule says why in one line.
//!
//! Faithfulness comes first: a rule only narrows when the scan's conversion of every
//! counted value is known to succeed (the profile counts with the scan's own parsers),
//! and text that merely looks like something else (zip codes, yes/no codes) stays text
//! unless the declared type says what the application meant.

use super::stats::ColumnStats;
use crate::types::declared::postgres_type_for;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub pg_type: String,
    /// Column options (name, value) the type needs, e.g. epoch_unit, empty_as_null.
    pub options: Vec<(String, String)>,
    pub reason: String,
}

fn suggest(pg_type: &str, reason: impl Into<String>) -> Suggestion {
    Suggestion { pg_type: pg_type.into(), options: vec![], reason: reason.into() }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The epoch unit every stored number fits, if one does (Julian days only when some
/// value is a REAL, as julianday() stores them: integers that small are more likely
/// seconds).
fn epoch_unit_of(s: &ColumnStats) -> Option<&'static str> {
    let numbers = s.numbers();
    if s.julian_days == numbers && s.reals > 0 {
        Some("julian")
    } else if s.epoch_seconds == numbers {
        Some("s")
    } else if s.epoch_millis == numbers {
        Some("ms")
    } else if s.epoch_micros == numbers {
        Some("us")
    } else {
        None
    }
}

/// Suggest a type for a column declared `declared` (a view's computed column has ""),
/// holding what `s` counted.
pub fn infer(declared: &str, typeless_is_text: bool, s: &ColumnStats) -> Suggestion {
    let declared_pg = if typeless_is_text && declared.trim().is_empty() { "text".to_string() } else { postgres_type_for(declared) };
    let non_null = s.non_null();
    if non_null == 0 {
        return suggest(&declared_pg, "no values stored: the declared type");
    }
    if s.invalid_texts > 0 {
        return suggest("bytea", format!("{} not valid UTF-8 or holding NUL bytes: only bytea keeps them", plural(s.invalid_texts, "text is", "texts are")));
    }
    if s.blobs > 0 {
        if declared_pg == "jsonb" && s.jsonb_blobs == s.blobs && s.json_texts + s.jsonb_blobs == non_null {
            return suggest("jsonb", "declared JSON and every value is JSON (text, or SQLite's binary JSONB)");
        }
        if s.blobs == non_null && s.uuid_blobs == s.blobs && declared_pg == "uuid" {
            return suggest("uuid", "every value is a 16-byte UUID blob");
        }
        if s.blobs == non_null {
            return suggest("bytea", "every value is a blob");
        }
        return suggest("bytea", "blobs mixed with other storage classes: bytea keeps every value's bytes (numbers and text as their text)");
    }

    let texts = s.texts - s.empty_texts; // non-empty texts
    let numbers = s.numbers();
    if texts + numbers == 0 {
        return suggest("text", "only empty strings stored");
    }
    let mut chosen = choose(&declared_pg, s, texts, numbers);
    if s.empty_texts > 0 && chosen.pg_type != "text" {
        chosen.options.push(("empty_as_null".into(), "true".into()));
        chosen.reason.push_str(&format!("; {} read as NULL", plural(s.empty_texts, "empty string", "empty strings")));
    }
    chosen
}

/// The choice among numbers and non-empty texts.
fn choose(declared_pg: &str, s: &ColumnStats, texts: i64, numbers: i64) -> Suggestion {
    let values = texts + numbers;
    let declared_temporal = matches!(declared_pg, "date" | "timestamp" | "timestamptz");

    if declared_pg == "boolean" && s.boolean_like == values {
        return suggest("boolean", "declared BOOLEAN and every value is 0/1 or a boolean spelling");
    }

    let iso = s.iso_dates + s.iso_timestamps + s.iso_timestamps_with_offset;
    if iso == texts && (texts > 0 || declared_temporal) && (numbers == 0 || declared_temporal) {
        let unit = if numbers > 0 { epoch_unit_of(s) } else { None };
        if numbers == 0 || unit.is_some() {
            let mut chosen = if numbers == 0 && s.iso_dates == texts {
                suggest("date", "every value is an ISO date without a time")
            } else if s.iso_timestamps_with_offset == texts && numbers == 0 {
                suggest("timestamptz", "every value is an ISO timestamp with a UTC offset")
            } else if declared_pg == "timestamptz" {
                suggest("timestamptz", "declared with time zone; naive values are read in the session's TimeZone")
            } else if s.iso_timestamps_with_offset > 0 {
                suggest("timestamp", "ISO timestamps, some with a UTC offset (converted to UTC, as SQLite's datetime() does)")
            } else {
                suggest("timestamp", "every value is an ISO date or timestamp")
            };
            if let Some(unit) = unit {
                let what = match unit {
                    "julian" => "Julian day numbers",
                    "s" => "unix epoch seconds",
                    "ms" => "unix epoch milliseconds",
                    _ => "unix epoch microseconds",
                };
                chosen.options.push(("epoch_unit".into(), unit.into()));
                chosen.reason = if texts > 0 { format!("ISO text and {what}") } else { format!("every value is {what}") };
                if chosen.pg_type == "date" {
                    chosen.pg_type = "timestamp".into();
                }
            }
            return chosen;
        }
    }
    if declared_pg == "time" && numbers == 0 && s.iso_times == texts {
        return suggest("time", "every value is a time of day");
    }
    if numbers == 0 && s.uuid_texts == texts {
        return suggest("uuid", "every value is a UUID in text");
    }
    if declared_pg == "jsonb" && s.json_texts == texts {
        return suggest("jsonb", "declared JSON and every value is valid JSON");
    }

    let declared_numeric = matches!(declared_pg, "bigint" | "double precision") || declared_pg.starts_with("numeric");
    let text_numbers_ok = texts == 0 || (declared_numeric && s.numeric_texts == texts);
    if numbers + texts > 0 && text_numbers_ok {
        let all_integers = s.reals == 0 && s.integer_texts == texts;
        if all_integers {
            return if texts > 0 {
                suggest("bigint", format!("integers, {} stored as text", plural(texts, "value", "values")))
            } else {
                suggest("bigint", "every value is an integer")
            };
        }
        if s.infinite_reals > 0 && texts == 0 && s.inexact_integers == 0 {
            return suggest("double precision", "reals including ±Infinity, which numeric refuses");
        }
        if declared_pg.starts_with("numeric") || texts > 0 || (s.inexact_integers > 0 && s.infinite_reals == 0) {
            let why = if declared_pg.starts_with("numeric") {
                "declared NUMERIC: numeric keeps every stored number exactly"
            } else if texts > 0 {
                "numbers, some stored as text: numeric reads every literal exactly"
            } else {
                "integers beyond 2^53 mixed with reals: numeric holds both exactly"
            };
            if s.infinite_reals == 0 {
                return suggest("numeric", why);
            }
        }
        if s.inexact_integers == 0 {
            return if s.integers > 0 {
                suggest("double precision", "integers and reals; every integer is exact in double precision")
            } else {
                suggest("double precision", "every value is a real")
            };
        }
    }
    if numbers > 0 && texts > 0 {
        return suggest("text", "mixed text and numbers: text keeps every value as stored");
    }
    if numbers > 0 {
        return suggest("text", "numbers no single numeric type holds exactly: text keeps every value as stored");
    }
    suggest("text", "every value is text")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::types::ValueRef;

    fn infer_values(declared: &str, values: &[ValueRef<'_>]) -> Suggestion {
        let mut s = ColumnStats::default();
        for v in values {
            s.add(*v);
        }
        infer(declared, false, &s)
    }
    use ValueRef::{Blob, Integer as I, Null, Real as R, Text as T};

    #[test]
    fn booleans_stay_booleans_only_when_declared() {
        let yes_no = [T(b"yes"), T(b"no"), I(1), Null];
        assert_eq!(infer_values("BOOLEAN", &yes_no).pg_type, "boolean");
        assert_eq!(infer_values("TEXT", &[T(b"yes"), T(b"no")]).pg_type, "text");
        assert_eq!(infer_values("BOOLEAN", &[I(0), I(2)]).pg_type, "bigint");
    }

    #[test]
    fn epochs_get_their_unit() {
        let s = infer_values("DATETIME", &[I(1_700_000_000_000), I(1_600_000_000_000)]);
        assert_eq!((s.pg_type.as_str(), s.options.clone()), ("timestamp", vec![("epoch_unit".to_string(), "ms".to_string())]));
        assert_eq!(infer_values("DATETIME", &[I(1_700_000_000)]).options[0].1, "s");
        assert_eq!(infer_values("DATE", &[R(2_460_311.5)]).options[0].1, "julian");
        assert_eq!(infer_values("DATETIME", &[T(b"2024-01-01 10:00:00"), I(1_700_000_000)]).pg_type, "timestamp");
        // Mixed units fit no single unit: they stay numbers.
        assert_eq!(infer_values("DATETIME", &[I(1_700_000_000), I(1_700_000_000_000)]).pg_type, "bigint");
        // An INTEGER column of epochs stays an integer: only the declared type says "time".
        assert_eq!(infer_values("INTEGER", &[I(1_700_000_000)]).pg_type, "bigint");
    }

    #[test]
    fn iso_text_and_junk() {
        assert_eq!(infer_values("TEXT", &[T(b"2024-01-01"), T(b"2024-02-29")]).pg_type, "date");
        assert_eq!(infer_values("TEXT", &[T(b"2024-01-01"), T(b"2024-02-29 10:00")]).pg_type, "timestamp");
        assert_eq!(infer_values("", &[T(b"2024-01-01T00:00:00Z"), T(b"2024-02-29 10:00+02:00")]).pg_type, "timestamptz");
        assert_eq!(infer_values("DATE", &[T(b"2024-01-01"), T(b"0000-00-00")]).pg_type, "text");
        assert_eq!(infer_values("DATE", &[T(b"2024-02-30")]).pg_type, "text");
    }

    #[test]
    fn empty_strings_become_nulls_only_for_non_text() {
        let s = infer_values("INTEGER", &[I(5), T(b"")]);
        assert_eq!(s.pg_type, "bigint");
        assert_eq!(s.options, vec![("empty_as_null".to_string(), "true".to_string())]);
        assert!(s.reason.contains("1 empty string read as NULL"), "{}", s.reason);
        let s = infer_values("TEXT", &[T(b"a"), T(b"")]);
        assert_eq!((s.pg_type.as_str(), s.options.len()), ("text", 0));
        assert_eq!(infer_values("TEXT", &[T(b"")]).pg_type, "text");
    }

    #[test]
    fn numbers() {
        assert_eq!(infer_values("INTEGER", &[I(1), I(i64::MAX)]).pg_type, "bigint");
        assert_eq!(infer_values("REAL", &[I(1), R(2.5)]).pg_type, "double precision");
        assert_eq!(infer_values("", &[I(i64::MAX), R(2.5)]).pg_type, "numeric");
        assert_eq!(infer_values("NUMERIC(10,2)", &[R(19.99), I(3)]).pg_type, "numeric");
        assert_eq!(infer_values("NUMERIC", &[R(f64::INFINITY), I(3)]).pg_type, "double precision");
        assert_eq!(infer_values("INTEGER", &[I(1), T(b"two")]).pg_type, "text");
        assert_eq!(infer_values("INTEGER", &[I(1), T(b" 42 ")]).pg_type, "bigint");
        assert_eq!(infer_values("TEXT", &[T(b"00123")]).pg_type, "text", "zip codes stay text");
    }

    #[test]
    fn blobs_text_and_the_rest() {
        assert_eq!(infer_values("TEXT", &[T(b"caf\xe9")]).pg_type, "bytea");
        assert_eq!(infer_values("UUID", &[Blob(&[7; 16])]).pg_type, "uuid");
        assert_eq!(infer_values("BLOB", &[Blob(&[7; 16])]).pg_type, "bytea");
        assert_eq!(infer_values("TEXT", &[Blob(b"x"), T(b"y")]).pg_type, "bytea");
        assert_eq!(infer_values("TEXT", &[T(b"6f9619ff-8b86-d011-b42d-00c04fc964ff")]).pg_type, "uuid");
        assert_eq!(infer_values("JSON", &[T(b"{\"a\":1}"), I(3)]).pg_type, "jsonb");
        assert_eq!(infer_values("JSON", &[T(b"{\"a\":1}"), T(b"{broken")]).pg_type, "text");
        assert_eq!(infer_values("INTEGER", &[Null]).pg_type, "bigint");
        assert_eq!(infer_values("TIME", &[T(b"10:30"), T(b"23:59:59.5")]).pg_type, "time");
    }
}
