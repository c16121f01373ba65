//! What a column really holds: counts per storage class and per recognised pattern,
//! gathered in one pass over the table with the very parsers the scan converts with,
//! so a pattern counted here is a value that will convert.

use crate::types::{datetime, scalar};
use rusqlite::types::ValueRef;

/// Plausible epoch ranges (1900-01-01 to 2100-01-01) for telling what a number means.
const EPOCH_SECONDS: std::ops::Range<f64> = -2_208_988_800.0..4_102_444_800.0;
const EPOCH_MILLIS: std::ops::Range<f64> = 1e11..4_102_444_800_000.0;
const EPOCH_MICROS: std::ops::Range<f64> = 1e14..4_102_444_800_000_000.0;
const JULIAN_DAYS: std::ops::Range<f64> = 2_415_020.5..2_488_069.5;
/// Integers beyond ±2^53 are not exact in double precision.
const EXACT_IN_DOUBLE: i64 = 1 << 53;

/// A stored number, kept exactly for reporting min and max.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Integer(i64),
    Real(f64),
}

impl Number {
    fn as_f64(self) -> f64 {
        match self {
            Number::Integer(i) => i as f64,
            Number::Real(r) => r,
        }
    }

    /// As Postgres numeric input: integers exactly, reals as the shortest text that
    /// reads back to the same double.
    pub fn to_numeric_text(self) -> String {
        match self {
            Number::Integer(i) => i.to_string(),
            Number::Real(r) if r.is_infinite() => if r > 0.0 { "Infinity" } else { "-Infinity" }.to_string(),
            Number::Real(r) => format!("{r:?}"),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnStats {
    pub rows: i64,
    pub nulls: i64,
    pub integers: i64,
    pub reals: i64,
    pub texts: i64,
    pub blobs: i64,
    pub empty_texts: i64,
    pub min_number: Option<Number>,
    pub max_number: Option<Number>,
    /// Longest text in characters, longest blob in bytes.
    pub max_text_length: Option<i64>,
    pub max_blob_length: Option<i64>,
    /// Text that is not valid UTF-8 or holds a NUL byte: only bytea can hold it.
    pub invalid_texts: i64,
    /// Reals with a fractional part, and integers too large to be exact as doubles.
    pub fractional_reals: i64,
    pub inexact_integers: i64,
    /// ±Infinity (SQLite turns NaN into NULL): double precision holds them, numeric is refused.
    pub infinite_reals: i64,
    /// 0 and 1 as numbers, and the boolean spellings Postgres reads as text.
    pub boolean_like: i64,
    /// Text: ISO date only; ISO timestamp without / with a UTC offset; a time of day.
    pub iso_dates: i64,
    pub iso_timestamps: i64,
    pub iso_timestamps_with_offset: i64,
    pub iso_times: i64,
    /// Numbers (INTEGER or REAL) in the plausible range of each epoch unit.
    pub epoch_seconds: i64,
    pub epoch_millis: i64,
    pub epoch_micros: i64,
    pub julian_days: i64,
    /// Text a number spells: any numeric literal; an integer literal in bigint range.
    pub numeric_texts: i64,
    pub integer_texts: i64,
    pub uuid_texts: i64,
    pub uuid_blobs: i64,
    pub json_texts: i64,
    /// Blobs in SQLite's binary JSON format (jsonb(), SQLite 3.45+).
    pub jsonb_blobs: i64,
}

impl ColumnStats {
    pub fn non_null(&self) -> i64 {
        self.rows - self.nulls
    }

    pub fn numbers(&self) -> i64 {
        self.integers + self.reals
    }

    fn note_number(&mut self, n: Number) {
        let v = n.as_f64();
        if self.min_number.is_none_or(|m| v < m.as_f64()) {
            self.min_number = Some(n);
        }
        if self.max_number.is_none_or(|m| v > m.as_f64()) {
            self.max_number = Some(n);
        }
        if EPOCH_SECONDS.contains(&v) {
            self.epoch_seconds += 1;
        }
        if EPOCH_MILLIS.contains(&v) {
            self.epoch_millis += 1;
        }
        if EPOCH_MICROS.contains(&v) {
            self.epoch_micros += 1;
        }
        if JULIAN_DAYS.contains(&v) {
            self.julian_days += 1;
        }
        if v == 0.0 || v == 1.0 {
            self.boolean_like += 1;
        }
    }

    fn note_text(&mut self, bytes: &[u8]) {
        let Ok(text) = scalar::check_text(bytes) else {
            self.invalid_texts += 1;
            return;
        };
        if text.is_empty() {
            self.empty_texts += 1;
        }
        let chars = if text.is_ascii() { text.len() } else { text.chars().count() } as i64;
        self.max_text_length = Some(self.max_text_length.map_or(chars, |m| m.max(chars)));
        if scalar::parse_bool(text).is_ok() {
            self.boolean_like += 1;
        }
        if let Ok(ts) = datetime::parse_timestamp(text) {
            if datetime::parse_date(text).is_ok() && text.trim().len() == 10 {
                self.iso_dates += 1;
            } else if ts.offset_secs.is_some() {
                self.iso_timestamps_with_offset += 1;
            } else {
                self.iso_timestamps += 1;
            }
        } else if datetime::parse_time(text).is_ok() {
            self.iso_times += 1;
        }
        if scalar::is_numeric_literal(text) {
            self.numeric_texts += 1;
            if scalar::parse_int(text).is_ok() {
                self.integer_texts += 1;
            }
        }
        if scalar::parse_uuid_text(text).is_ok() {
            self.uuid_texts += 1;
        }
        if is_json(text) {
            self.json_texts += 1;
        }
    }

    /// Count one stored value.
    pub fn add(&mut self, value: ValueRef<'_>) {
        self.rows += 1;
        match value {
            ValueRef::Null => self.nulls += 1,
            ValueRef::Integer(i) => {
                self.integers += 1;
                if !(-EXACT_IN_DOUBLE..=EXACT_IN_DOUBLE).contains(&i) {
                    self.inexact_integers += 1;
                }
                self.note_number(Number::Integer(i));
            }
            ValueRef::Real(r) => {
                self.reals += 1;
                if !r.is_finite() {
                    self.infinite_reals += 1;
                } else if r.fract() != 0.0 {
                    self.fractional_reals += 1;
                }
                self.note_number(Number::Real(r));
            }
            ValueRef::Text(bytes) => {
                self.texts += 1;
                self.note_text(bytes);
            }
            ValueRef::Blob(bytes) => {
                self.blobs += 1;
                let len = bytes.len() as i64;
                self.max_blob_length = Some(self.max_blob_length.map_or(len, |m| m.max(len)));
                if bytes.len() == 16 {
                    self.uuid_blobs += 1;
                }
                if crate::sqlite::jsonb::to_json_text(bytes).is_some() {
                    self.jsonb_blobs += 1;
                }
            }
        }
    }
}

/// Valid JSON as Postgres's jsonb reads it: the grammar (checked without building
/// the value), and no `\u0000`, which jsonb refuses.
pub fn is_json(text: &str) -> bool {
    let first = text.trim_start().as_bytes().first().copied();
    if !matches!(first, Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')) {
        return false;
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() && !text.contains("\\u0000")
}

/// Profile the given columns of a table in one pass inside SQLite. `interrupted` is
/// polled every 10,000 rows so a long profile honours cancel.
pub fn profile_table(
    db: &rusqlite::Connection,
    select_sql: &str,
    column_count: usize,
    mut interrupted: impl FnMut() -> bool,
) -> rusqlite::Result<Vec<ColumnStats>> {
    let mut stats = vec![ColumnStats::default(); column_count];
    let mut stmt = db.prepare(select_sql)?;
    let mut rows = stmt.query([])?;
    let mut n: u64 = 0;
    while let Some(row) = rows.next()? {
        for (i, s) in stats.iter_mut().enumerate() {
            s.add(row.get_ref(i)?);
        }
        n += 1;
        if n % 10_000 == 0 && interrupted() {
            return Err(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_INTERRUPT), None));
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats_of(values: &[ValueRef<'_>]) -> ColumnStats {
        let mut s = ColumnStats::default();
        for v in values {
            s.add(*v);
        }
        s
    }

    #[test]
    fn classes_and_patterns_are_counted() {
        let s = stats_of(&[
            ValueRef::Null,
            ValueRef::Integer(1),
            ValueRef::Real(2.5),
            ValueRef::Text(b"yes"),
            ValueRef::Text(b""),
            ValueRef::Text(b"2024-02-29"),
            ValueRef::Text(b"2024-02-30"),
            ValueRef::Text(b"2024-01-01 10:00:00"),
            ValueRef::Text(b"2024-01-01T10:00:00+02:00"),
            ValueRef::Text(b"0000-00-00"),
            ValueRef::Text(b"{\"a\": [1, 2]}"),
            ValueRef::Text(b"{broken"),
            ValueRef::Text(b"6F9619FF-8B86-D011-B42D-00C04FC964FF"),
            ValueRef::Text(b"caf\xe9"),
            ValueRef::Blob(&[0u8; 16]),
            ValueRef::Blob(&[1, 2, 3]),
        ]);
        assert_eq!((s.rows, s.nulls, s.integers, s.reals, s.texts, s.blobs), (16, 1, 1, 1, 11, 2));
        assert_eq!(s.empty_texts, 1);
        assert_eq!(s.boolean_like, 2, "1 and 'yes'");
        assert_eq!(s.iso_dates, 1, "2024-02-30 and 0000-00-00 are not dates");
        assert_eq!(s.iso_timestamps, 1);
        assert_eq!(s.iso_timestamps_with_offset, 1);
        assert_eq!(s.json_texts, 1);
        assert_eq!(s.uuid_texts, 1);
        assert_eq!(s.uuid_blobs, 1);
        assert_eq!(s.invalid_texts, 1);
        assert_eq!(s.max_blob_length, Some(16));
        assert_eq!(s.max_text_length, Some(36));
        assert_eq!(s.min_number, Some(Number::Integer(1)));
        assert_eq!(s.max_number, Some(Number::Real(2.5)));
        assert_eq!(s.fractional_reals, 1);
    }

    #[test]
    fn epoch_ranges() {
        let s = stats_of(&[ValueRef::Integer(1_700_000_000), ValueRef::Integer(1_700_000_000_000), ValueRef::Real(2_460_311.25)]);
        assert_eq!((s.epoch_seconds, s.epoch_millis, s.epoch_micros, s.julian_days), (2, 1, 0, 1));
        let s = stats_of(&[ValueRef::Integer(i64::MAX), ValueRef::Integer(i64::MIN)]);
        assert_eq!(s.inexact_integers, 2);
        assert_eq!(s.max_number.unwrap().to_numeric_text(), "9223372036854775807");
    }

    #[test]
    fn json_as_jsonb_reads_it() {
        assert!(is_json("{\"a\":1}") && is_json(" [1, 2.5e400]") && is_json("\"s\"") && is_json("null"));
        assert!(!is_json("{a:1}") && !is_json("") && !is_json("[1,]") && !is_json("\"\\u0000\""));
    }

    #[test]
    fn profile_reads_a_table_in_one_pass() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t(a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), ('two', NULL), (3.5, '');").unwrap();
        let stats = profile_table(&db, "SELECT a, b FROM t", 2, || false).unwrap();
        assert_eq!((stats[0].integers, stats[0].texts, stats[0].reals), (1, 1, 1));
        assert_eq!((stats[1].nulls, stats[1].empty_texts), (1, 1));
        let cancelled = profile_table(&db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i < 20000) SELECT i FROM c", 1, || true);
        assert!(cancelled.is_err());
    }
}
