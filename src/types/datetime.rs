//! Dates, timestamps and times as SQLite applications store them, parsed into the
//! integers Postgres keeps internally: days and microseconds since 2000-01-01.
//!
//! SQLite has no date type. Applications store ISO-8601 text (what SQLite's own
//! date functions produce) or unix epoch numbers. We parse both here, strictly: an
//! impossible date such as 2024-02-30 or 0000-00-00 is an error, never a guess.

use crate::error::{ConversionKind, ValueError};

/// Days from 1970-01-01 to 2000-01-01, Postgres's epoch.
const UNIX_TO_PG_EPOCH_DAYS: i64 = 10_957;
pub const USECS_PER_SEC: i64 = 1_000_000;
pub const USECS_PER_DAY: i64 = 86_400 * USECS_PER_SEC;
const UNIX_TO_PG_EPOCH_USECS: i64 = UNIX_TO_PG_EPOCH_DAYS * USECS_PER_DAY;

/// Postgres's timestamp range: [4714-11-24 BC, 294277-01-01), in µs since 2000-01-01.
const MIN_TIMESTAMP: i64 = -211_813_488_000_000_000;
const END_TIMESTAMP: i64 = 9_223_371_331_200_000_000;

/// A parsed timestamp: local wall-clock µs since 2000-01-01, and the UTC offset
/// in seconds if the text carried one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedTimestamp {
    pub local_usecs: i64,
    pub offset_secs: Option<i32>,
}

impl ParsedTimestamp {
    /// The instant in UTC, when the text said which zone it was in.
    pub fn utc_usecs(&self) -> Option<i64> {
        self.offset_secs.map(|off| self.local_usecs - off as i64 * USECS_PER_SEC)
    }
}

fn invalid(what: &str) -> ValueError {
    ValueError::new(ConversionKind::InvalidDatetime, format!("not a valid {what}"))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A fixed number of ASCII digits at the start of `s`.
fn digits(s: &[u8], n: usize) -> Option<u32> {
    if s.len() < n || !s[..n].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s[..n].iter().fold(0u32, |acc, b| acc * 10 + (b - b'0') as u32))
}

/// `YYYY-MM-DD` at the start of `s`: returns Postgres days and the rest of the input.
fn parse_date_prefix(s: &[u8]) -> Result<(i32, &[u8]), ValueError> {
    let (y, m, d) = match (digits(s, 4), s.get(4), digits(&s[5.min(s.len())..], 2), s.get(7), digits(&s[8.min(s.len())..], 2)) {
        (Some(y), Some(b'-'), Some(m), Some(b'-'), Some(d)) => (y as i64, m, d),
        _ => return Err(invalid("date (expected YYYY-MM-DD)")),
    };
    if y == 0 || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(ValueError::new(
            ConversionKind::InvalidDatetime,
            format!("{y:04}-{m:02}-{d:02} is not a date in the calendar"),
        ));
    }
    let pg_days = days_from_civil(y, m, d) - UNIX_TO_PG_EPOCH_DAYS;
    Ok((pg_days as i32, &s[10..]))
}

/// `HH:MM[:SS[.fraction]]` at the start of `s`: returns µs since midnight and the rest.
/// Fractions beyond microseconds are rounded, as Postgres's own input does.
fn parse_time_prefix(s: &[u8]) -> Result<(i64, &[u8]), ValueError> {
    let (h, mi) = match (digits(s, 2), s.get(2), digits(&s[3.min(s.len())..], 2)) {
        (Some(h), Some(b':'), Some(mi)) => (h, mi),
        _ => return Err(invalid("time (expected HH:MM[:SS[.ffffff]])")),
    };
    let mut rest = &s[5..];
    let mut sec = 0u32;
    let mut frac_usecs = 0i64;
    if rest.first() == Some(&b':') {
        sec = digits(&rest[1..], 2).ok_or_else(|| invalid("time (expected two digits of seconds)"))?;
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let n = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return Err(invalid("time (no digits after the decimal point)"));
            }
            let frac = &rest[1..1 + n];
            let mut usecs = 0i64;
            for i in 0..6 {
                usecs = usecs * 10 + frac.get(i).map_or(0, |b| (b - b'0') as i64);
            }
            if frac.get(6).is_some_and(|b| *b >= b'5') {
                usecs += 1;
            }
            frac_usecs = usecs;
            rest = &rest[1 + n..];
        }
    }
    // 24:00:00 is allowed as end-of-day, as in Postgres; nothing past it.
    let valid = (h < 24 && mi < 60 && sec < 60) || (h == 24 && mi == 0 && sec == 0 && frac_usecs == 0);
    if !valid {
        return Err(ValueError::new(
            ConversionKind::InvalidDatetime,
            format!("{h:02}:{mi:02}:{sec:02} is not a time of day"),
        ));
    }
    let usecs = ((h as i64 * 60 + mi as i64) * 60 + sec as i64) * USECS_PER_SEC + frac_usecs;
    Ok((usecs, rest))
}

/// `Z`, `±HH`, `±HHMM` or `±HH:MM`, optionally after one space; returns seconds east of UTC.
fn parse_offset(s: &[u8]) -> Result<Option<i32>, ValueError> {
    let s = s.strip_prefix(b" ").unwrap_or(s);
    match s {
        [] => Ok(None),
        [b'Z'] | [b'z'] => Ok(Some(0)),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let h = digits(rest, 2).ok_or_else(|| invalid("UTC offset"))?;
            let m = match &rest[2..] {
                [] => 0,
                [b':', mm @ ..] | mm if mm.len() == 2 => digits(mm, 2).ok_or_else(|| invalid("UTC offset"))?,
                _ => return Err(invalid("UTC offset")),
            };
            if h > 15 || m > 59 {
                return Err(invalid("UTC offset"));
            }
            let secs = (h * 3600 + m * 60) as i32;
            Ok(Some(if *sign == b'-' { -secs } else { secs }))
        }
        _ => Err(invalid("timestamp (unexpected text after the time)")),
    }
}

/// An ISO-8601 date: `YYYY-MM-DD`, or a timestamp at exactly midnight (time parts zero).
/// A timestamp with a non-zero time is an error: a date column must not drop the time.
pub fn parse_date(text: &str) -> Result<i32, ValueError> {
    let s = text.trim().as_bytes();
    let (days, rest) = parse_date_prefix(s)?;
    if rest.is_empty() {
        return Ok(days);
    }
    let ts = parse_timestamp(text)?;
    if ts.offset_secs.is_some() || ts.local_usecs.rem_euclid(USECS_PER_DAY) != 0 {
        return Err(ValueError::new(
            ConversionKind::InvalidDatetime,
            "has a time of day; a date column would lose it (declare the column timestamp)",
        ));
    }
    Ok(days)
}

/// An ISO-8601 timestamp: `YYYY-MM-DD`, then optionally `T` or a space and a time,
/// then optionally a UTC offset (`Z`, `+02:00`, `-0500`, `+02`).
pub fn parse_timestamp(text: &str) -> Result<ParsedTimestamp, ValueError> {
    let s = text.trim().as_bytes();
    let (days, rest) = parse_date_prefix(s)?;
    let (time_usecs, rest) = match rest {
        [] => (0, rest),
        [b'T' | b't' | b' ', tail @ ..] => parse_time_prefix(tail)?,
        _ => return Err(invalid("timestamp (expected 'T' or a space after the date)")),
    };
    let offset_secs = parse_offset(rest)?;
    Ok(ParsedTimestamp { local_usecs: days as i64 * USECS_PER_DAY + time_usecs, offset_secs })
}

/// A time of day: `HH:MM[:SS[.ffffff]]`, µs since midnight.
pub fn parse_time(text: &str) -> Result<i64, ValueError> {
    let (usecs, rest) = parse_time_prefix(text.trim().as_bytes())?;
    if !rest.is_empty() {
        return Err(invalid("time (unexpected text after the time)"));
    }
    Ok(usecs)
}

/// Check a timestamp against Postgres's range.
pub fn check_timestamp_range(usecs: i64) -> Result<i64, ValueError> {
    if (MIN_TIMESTAMP..END_TIMESTAMP).contains(&usecs) {
        Ok(usecs)
    } else {
        Err(ValueError::new(ConversionKind::DatetimeOverflow, "timestamp out of range"))
    }
}

/// Unix epoch seconds (an SQLite INTEGER) → µs since 2000-01-01 UTC.
pub fn epoch_seconds_to_usecs(secs: i64) -> Result<i64, ValueError> {
    epoch_int_to_usecs(secs, EpochUnit::Seconds)
}

/// Unix epoch seconds with a fraction (an SQLite REAL) → µs since 2000-01-01 UTC,
/// rounded to the microsecond.
pub fn epoch_real_seconds_to_usecs(secs: f64) -> Result<i64, ValueError> {
    epoch_real_to_usecs(secs, EpochUnit::Seconds)
}

/// How a number stored in a date/time column counts time since the unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpochUnit {
    Seconds,
    Millis,
    Micros,
    /// Julian day number, as SQLite's `julianday()` stores it (days since noon UTC,
    /// 24 November 4714 BC); rounded to the millisecond as SQLite's own functions do.
    Julian,
    /// Seconds since 2001-01-01 00:00:00 UTC: Apple's reference date (Core Data,
    /// NSDate's timeIntervalSinceReferenceDate), 978,307,200 s after the unix epoch.
    Cocoa,
    /// Seconds, milliseconds or microseconds, told apart by magnitude (see `resolve`).
    Auto,
}

/// |value| below this is seconds under `auto` (up to the year 5138).
pub const AUTO_MILLIS_FROM: f64 = 1e11;
/// |value| from this on is microseconds under `auto` (ms would be past the year 5138).
pub const AUTO_MICROS_FROM: f64 = 1e14;
const UNIX_EPOCH_JULIAN_DAY: f64 = 2_440_587.5;
/// Apple's reference date, 2001-01-01 UTC, in unix seconds.
const COCOA_EPOCH_UNIX_SECONDS: i64 = 978_307_200;

impl EpochUnit {
    pub const NAMES: &'static str = "s, ms, us, julian, cocoa or auto";

    pub fn parse(name: &str) -> Option<EpochUnit> {
        match name.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "seconds" => Some(EpochUnit::Seconds),
            "ms" | "milliseconds" => Some(EpochUnit::Millis),
            "us" | "microseconds" => Some(EpochUnit::Micros),
            "julian" => Some(EpochUnit::Julian),
            "cocoa" => Some(EpochUnit::Cocoa),
            "auto" => Some(EpochUnit::Auto),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            EpochUnit::Seconds => "s",
            EpochUnit::Millis => "ms",
            EpochUnit::Micros => "us",
            EpochUnit::Julian => "julian",
            EpochUnit::Cocoa => "cocoa",
            EpochUnit::Auto => "auto",
        }
    }

    /// `Auto` made concrete for one value: seconds below 1e11, milliseconds below
    /// 1e14, microseconds above (by absolute value). Julian days are never guessed.
    pub fn resolve(self, value: f64) -> EpochUnit {
        match self {
            EpochUnit::Auto if value.abs() < AUTO_MILLIS_FROM => EpochUnit::Seconds,
            EpochUnit::Auto if value.abs() < AUTO_MICROS_FROM => EpochUnit::Millis,
            EpochUnit::Auto => EpochUnit::Micros,
            unit => unit,
        }
    }
}

fn timestamp_overflow() -> ValueError {
    ValueError::new(ConversionKind::DatetimeOverflow, "timestamp out of range")
}

/// An integer epoch value in `unit` → µs since 2000-01-01 UTC, exact.
pub fn epoch_int_to_usecs(value: i64, unit: EpochUnit) -> Result<i64, ValueError> {
    let unix_usecs = match unit.resolve(value as f64) {
        EpochUnit::Seconds => value.checked_mul(USECS_PER_SEC),
        EpochUnit::Millis => value.checked_mul(1000),
        EpochUnit::Micros => Some(value),
        EpochUnit::Cocoa => value.checked_add(COCOA_EPOCH_UNIX_SECONDS).and_then(|s| s.checked_mul(USECS_PER_SEC)),
        _ => return epoch_real_to_usecs(value as f64, unit),
    };
    unix_usecs
        .and_then(|u| u.checked_sub(UNIX_TO_PG_EPOCH_USECS))
        .ok_or_else(timestamp_overflow)
        .and_then(check_timestamp_range)
}

/// A fractional epoch value in `unit` → µs since 2000-01-01 UTC, rounded to the
/// microsecond (Julian days: to the millisecond, as SQLite's datetime() does).
pub fn epoch_real_to_usecs(value: f64, unit: EpochUnit) -> Result<i64, ValueError> {
    if !value.is_finite() {
        return Err(timestamp_overflow());
    }
    let unix_usecs = match unit.resolve(value) {
        EpochUnit::Seconds => (value * USECS_PER_SEC as f64).round(),
        EpochUnit::Millis => (value * 1000.0).round(),
        EpochUnit::Micros => value.round(),
        // Whole seconds added exactly, then the fraction rounded to the microsecond.
        EpochUnit::Cocoa => (value * USECS_PER_SEC as f64).round() + (COCOA_EPOCH_UNIX_SECONDS * USECS_PER_SEC) as f64,
        _ => ((value - UNIX_EPOCH_JULIAN_DAY) * 86_400_000.0).round() * 1000.0,
    };
    if unix_usecs.abs() >= 9.2e18 {
        return Err(timestamp_overflow());
    }
    check_timestamp_range(unix_usecs as i64 - UNIX_TO_PG_EPOCH_USECS)
}

/// A timestamp known to fall on midnight → Postgres days; otherwise an error.
pub fn usecs_to_date(usecs: i64) -> Result<i32, ValueError> {
    if usecs.rem_euclid(USECS_PER_DAY) != 0 {
        return Err(ValueError::new(
            ConversionKind::InvalidDatetime,
            "is not midnight UTC; a date column would lose the time of day",
        ));
    }
    Ok(usecs.div_euclid(USECS_PER_DAY) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> ParsedTimestamp {
        parse_timestamp(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn cocoa_seconds_count_from_2001() {
        assert_eq!(epoch_int_to_usecs(0, EpochUnit::Cocoa), Ok(366 * USECS_PER_DAY));
        assert_eq!(epoch_real_to_usecs(0.5, EpochUnit::Cocoa), Ok(366 * USECS_PER_DAY + 500_000));
        assert_eq!(epoch_real_to_usecs(-86400.0, EpochUnit::Cocoa), Ok(365 * USECS_PER_DAY));
        assert_eq!(EpochUnit::parse("cocoa"), Some(EpochUnit::Cocoa));
    }

    #[test]
    fn dates_count_days_from_2000() {
        assert_eq!(parse_date("2000-01-01"), Ok(0));
        assert_eq!(parse_date("2000-01-02"), Ok(1));
        assert_eq!(parse_date("1999-12-31"), Ok(-1));
        assert_eq!(parse_date("1970-01-01"), Ok(-10_957));
        assert_eq!(parse_date("2024-02-29"), Ok(8825));
        assert_eq!(parse_date(" 2024-02-29 "), Ok(8825));
        assert_eq!(parse_date("2024-02-29 00:00:00"), Ok(8825));
        assert_eq!(parse_date("0001-01-01"), Ok(-730_119));
    }

    #[test]
    fn impossible_dates_are_errors() {
        for bad in ["2024-02-30", "2023-02-29", "0000-00-00", "2024-13-01", "2024-00-10", "1900-02-29", "24-01-01", "2024/01/01", "", "yesterday", "2024-01-01 10:00:00"] {
            let err = parse_date(bad).expect_err(bad);
            assert_eq!(err.kind, ConversionKind::InvalidDatetime, "{bad}");
        }
        assert_eq!(parse_date("2000-02-29"), Ok(59));
    }

    #[test]
    fn timestamps_in_the_forms_applications_write() {
        assert_eq!(ts("2000-01-01 00:00:00").local_usecs, 0);
        assert_eq!(ts("2000-01-01T00:00:01").local_usecs, 1_000_000);
        assert_eq!(ts("2000-01-01 00:01").local_usecs, 60_000_000);
        assert_eq!(ts("2000-01-01").local_usecs, 0);
        assert_eq!(ts("2000-01-01 00:00:00.5").local_usecs, 500_000);
        assert_eq!(ts("2000-01-01 00:00:00.123456").local_usecs, 123_456);
        // Nanoseconds round to the nearest microsecond, as Postgres's input does.
        assert_eq!(ts("2000-01-01 00:00:00.1234565").local_usecs, 123_457);
        assert_eq!(ts("2000-01-01 00:00:00.123456789").local_usecs, 123_457);
        assert_eq!(ts("2000-01-01 00:00:00").offset_secs, None);
        assert_eq!(ts("2000-01-01T00:00:00Z").offset_secs, Some(0));
        assert_eq!(ts("2000-01-01T00:00:00+02:00").offset_secs, Some(7200));
        assert_eq!(ts("2000-01-01T00:00:00-0530").offset_secs, Some(-19_800));
        assert_eq!(ts("2000-01-01 00:00:00 +01").offset_secs, Some(3600));
        assert_eq!(ts("2000-01-01T02:00:00+02:00").utc_usecs(), Some(0));
        assert_eq!(ts("2000-01-01 24:00:00").local_usecs, USECS_PER_DAY);
    }

    #[test]
    fn malformed_timestamps_are_errors() {
        for bad in ["2000-01-01 25:00:00", "2000-01-01 10:60", "2000-01-01 10:00:61", "2000-01-01X10:00", "2000-01-01 10", "2000-01-01 10:00:00 nonsense", "2000-01-01 10:00:00+99:00", "2000-01-01 10:00:00.", "1700000000"] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_of_day() {
        assert_eq!(parse_time("00:00"), Ok(0));
        assert_eq!(parse_time("12:34:56.789"), Ok(((12 * 60 + 34) * 60 + 56) * USECS_PER_SEC + 789_000));
        assert!(parse_time("12:34:56 extra").is_err());
        assert!(parse_time("1:00").is_err());
    }

    #[test]
    fn epoch_numbers() {
        assert_eq!(epoch_seconds_to_usecs(946_684_800), Ok(0));
        assert_eq!(epoch_seconds_to_usecs(0), Ok(-UNIX_TO_PG_EPOCH_USECS));
        assert_eq!(epoch_real_seconds_to_usecs(946_684_800.25), Ok(250_000));
        assert_eq!(epoch_seconds_to_usecs(i64::MAX).unwrap_err().kind, ConversionKind::DatetimeOverflow);
        assert_eq!(epoch_seconds_to_usecs(i64::MIN).unwrap_err().kind, ConversionKind::DatetimeOverflow);
        assert!(epoch_real_seconds_to_usecs(f64::INFINITY).is_err());
        assert!(epoch_real_seconds_to_usecs(f64::NAN).is_err());
        assert!(epoch_real_seconds_to_usecs(1e300).is_err());
        // 300000 AD is past Postgres's range.
        assert!(epoch_seconds_to_usecs(9_400_000_000_000).is_err());
    }

    #[test]
    fn dates_from_timestamps_keep_every_bit_or_refuse() {
        assert_eq!(usecs_to_date(USECS_PER_DAY * 3), Ok(3));
        assert_eq!(usecs_to_date(-USECS_PER_DAY), Ok(-1));
        assert!(usecs_to_date(1).is_err());
    }

    #[test]
    fn epoch_units() {
        let noon_2024 = ts("2024-01-01 12:00:00").local_usecs;
        assert_eq!(epoch_int_to_usecs(1_704_110_400, EpochUnit::Seconds), Ok(noon_2024));
        assert_eq!(epoch_int_to_usecs(1_704_110_400_000, EpochUnit::Millis), Ok(noon_2024));
        assert_eq!(epoch_int_to_usecs(1_704_110_400_000_000, EpochUnit::Micros), Ok(noon_2024));
        assert_eq!(epoch_real_to_usecs(2_460_311.0, EpochUnit::Julian), Ok(noon_2024));
        assert_eq!(epoch_int_to_usecs(2_460_311, EpochUnit::Julian), Ok(noon_2024));
        // auto: by magnitude
        for v in [1_704_110_400i64, 1_704_110_400_000, 1_704_110_400_000_000] {
            assert_eq!(epoch_int_to_usecs(v, EpochUnit::Auto), Ok(noon_2024), "{v}");
            assert_eq!(epoch_real_to_usecs(v as f64, EpochUnit::Auto), Ok(noon_2024), "{v}");
        }
        assert_eq!(EpochUnit::Auto.resolve(99_999_999_999.0), EpochUnit::Seconds);
        assert_eq!(EpochUnit::Auto.resolve(-1e12), EpochUnit::Millis);
        assert_eq!(epoch_real_to_usecs(1_704_110_400.25, EpochUnit::Seconds), Ok(noon_2024 + 250_000));
        assert_eq!(epoch_real_to_usecs(1_704_110_400_000.5, EpochUnit::Millis), Ok(noon_2024 + 500));
        // overflow is an error, never a wrap
        assert!(epoch_int_to_usecs(i64::MAX, EpochUnit::Seconds).is_err());
        assert!(epoch_int_to_usecs(i64::MIN, EpochUnit::Millis).is_err());
        assert!(epoch_real_to_usecs(f64::INFINITY, EpochUnit::Julian).is_err());
        assert!(epoch_real_to_usecs(1e300, EpochUnit::Micros).is_err());
        assert_eq!(EpochUnit::parse(" MS "), Some(EpochUnit::Millis));
        assert_eq!(EpochUnit::parse("hours"), None);
    }
}
