//! The rules behind liteport's SQL coercion helpers (`liteport.to_boolean(text)` and
//! friends, in `sql.rs`): text from a raw staging column → a typed value, strictly.
//! They use the same parsers as the foreign-table scan, so a value coerces in SQL
//! exactly as it would have converted on read.

pub mod sql;

use crate::error::{ConversionKind, ValueError};
use crate::types::datetime::{self, EpochUnit, ParsedTimestamp};
use crate::types::scalar;

/// What a date/time text says: an ISO timestamp (maybe with an offset), or an epoch
/// number already resolved to µs since 2000-01-01 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    Iso(ParsedTimestamp),
    Epoch(i64),
}

/// Numeric text as an epoch number in `unit` → µs since 2000-01-01 UTC; None when
/// the text is not a number. Shared with the scan (columns with an `epoch_unit`).
pub fn epoch_text_usecs(text: &str, unit: EpochUnit) -> Option<Result<i64, ValueError>> {
    if let Ok(v) = scalar::parse_int(text) {
        return Some(datetime::epoch_int_to_usecs(v, unit));
    }
    if scalar::is_numeric_literal(text) {
        return Some(scalar::parse_float(text).and_then(|v| datetime::epoch_real_to_usecs(v, unit)));
    }
    None
}

/// Numeric text is an epoch number in `unit` (`auto`: by magnitude); anything else
/// must be an ISO-8601 date or timestamp.
pub fn moment(text: &str, unit: EpochUnit) -> Result<Moment, ValueError> {
    match epoch_text_usecs(text, unit) {
        Some(usecs) => usecs.map(Moment::Epoch),
        None => datetime::parse_timestamp(text).map(Moment::Iso),
    }
}

/// `to_timestamp`: wall-clock µs. Text with an offset becomes UTC (as SQLite's own
/// datetime() does), naive text stays as written, epochs are UTC.
pub fn timestamp(text: &str, unit: EpochUnit) -> Result<i64, ValueError> {
    match moment(text, unit)? {
        Moment::Epoch(us) => Ok(us),
        Moment::Iso(ts) => datetime::check_timestamp_range(ts.utc_usecs().unwrap_or(ts.local_usecs)),
    }
}

/// `to_date`: days since 2000-01-01. An ISO date, a timestamp at midnight, or an epoch
/// at midnight UTC; a time of day would be lost, so it is an error.
pub fn date(text: &str, unit: EpochUnit) -> Result<i32, ValueError> {
    match moment(text, unit)? {
        Moment::Epoch(us) => datetime::usecs_to_date(us),
        Moment::Iso(_) => datetime::parse_date(text),
    }
}

/// `to_bigint`: an integer literal, or a decimal whose fraction is all zeros (`42.0`).
/// Exponents and fractions are refused rather than rounded through a double.
pub fn bigint(text: &str) -> Result<i64, ValueError> {
    match scalar::parse_int(text) {
        Ok(v) => return Ok(v),
        Err(e) if e.kind == ConversionKind::OutOfRange => return Err(e),
        Err(_) => {}
    }
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if let Some((whole, fraction)) = t.split_once('.') {
        if !fraction.is_empty() && fraction.bytes().all(|b| b == b'0') {
            return scalar::parse_int(whole);
        }
    }
    if scalar::is_numeric_literal(t) {
        return Err(ValueError::new(ConversionKind::InvalidText, "has a fractional part or an exponent; bigint would lose or round it"));
    }
    Err(ValueError::new(ConversionKind::InvalidText, "not an integer"))
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_and_units() {
        let noon = datetime::parse_timestamp("2024-01-01 12:00:00").unwrap().local_usecs;
        for (text, unit) in [
            ("1704110400", EpochUnit::Auto),
            ("1704110400000", EpochUnit::Auto),
            ("1704110400000000", EpochUnit::Auto),
            ("1704110400", EpochUnit::Seconds),
            ("2460311.0", EpochUnit::Julian),
            (" 1704110400.0 ", EpochUnit::Auto),
            ("2024-01-01T14:00:00+02:00", EpochUnit::Auto),
            ("2024-01-01 12:00", EpochUnit::Auto),
        ] {
            assert_eq!(timestamp(text, unit), Ok(noon), "{text} {unit:?}");
        }
        assert_eq!(date("2024-01-01", EpochUnit::Auto), Ok(8766));
        assert_eq!(date("1704067200", EpochUnit::Auto), Ok(8766));
        assert!(date("1704110400", EpochUnit::Auto).is_err(), "noon is not a date");
        assert!(date("2024-02-30", EpochUnit::Auto).is_err());
        assert!(timestamp("0000-00-00", EpochUnit::Auto).is_err());
        assert!(timestamp("9223372036854775807", EpochUnit::Seconds).is_err());
        assert!(timestamp("yesterday", EpochUnit::Auto).is_err());
    }

    #[test]
    fn bigints() {
        assert_eq!(bigint(" -42 "), Ok(-42));
        assert_eq!(bigint("42.000"), Ok(42));
        assert_eq!(bigint("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(bigint("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(bigint("9223372036854775808").unwrap_err().kind, ConversionKind::OutOfRange);
        assert!(bigint("42.5").is_err());
        assert!(bigint("1e3").is_err());
        assert!(bigint("").is_err());
        assert!(bigint("4 2").is_err());
    }
}
