//! verify's own reading of stored SQLite values: each value, by its storage class,
//! into the canonical form of the target column's domain (an exact decimal, days,
//! microseconds, bytes, ...). The target side (`datum`) brings each Postgres value into
//! the same form from what Postgres stored, so the two meet only where the value is the
//! same.
//!
//! This is written from the documented conversion rules (README "Conversions"), not
//! with the code that loads: nothing here calls `types`, `coerce` or `fdw::convert`.
//! A wrong loading rule (rounding, a session zone, a unit) then shows as a difference
//! instead of being recomputed the same wrong way on both sides.

/// A stored SQLite value (NULL is handled by the caller).
#[derive(Debug, Clone, Copy)]
pub enum Stored<'a> {
    Integer(i64),
    Real(f64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

impl Stored<'_> {
    /// The value for a message: its storage class and (the start of) its value.
    pub fn describe(&self) -> String {
        fn short(s: &str) -> String {
            if s.chars().count() > 60 {
                format!("{}...", s.chars().take(57).collect::<String>())
            } else {
                s.to_string()
            }
        }
        match self {
            Stored::Integer(v) => format!("{v} (INTEGER)"),
            Stored::Real(v) => format!("{v:?} (REAL)"),
            Stored::Text(b) => format!("'{}' (TEXT)", short(&String::from_utf8_lossy(b))),
            Stored::Blob(b) => format!("x'{}' (BLOB, {} bytes)", short(&b.iter().map(|x| format!("{x:02x}")).collect::<String>()), b.len()),
        }
    }
}

/// What numbers in a date/time column count (the column's epoch_unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epoch {
    Seconds,
    Millis,
    Micros,
    Julian,
    Cocoa,
    /// Seconds below 1e11, milliseconds below 1e14, microseconds above (absolute value).
    Auto,
}

impl Epoch {
    pub fn named(name: &str) -> Option<Epoch> {
        Some(match name {
            "s" | "sec" | "seconds" => Epoch::Seconds,
            "ms" | "milliseconds" => Epoch::Millis,
            "us" | "microseconds" => Epoch::Micros,
            "julian" => Epoch::Julian,
            "cocoa" => Epoch::Cocoa,
            "auto" => Epoch::Auto,
            _ => return None,
        })
    }
    fn concrete(self, magnitude: f64) -> Epoch {
        match self {
            Epoch::Auto if magnitude.abs() < 1e11 => Epoch::Seconds,
            Epoch::Auto if magnitude.abs() < 1e14 => Epoch::Millis,
            Epoch::Auto => Epoch::Micros,
            unit => unit,
        }
    }
}

/// A date/time column's rule: the unit of numbers, and whether numeric text counts in
/// it too (only when the unit was set explicitly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochRule {
    pub unit: Epoch,
    pub numeric_text: bool,
}

/// A numeric column's options: REALs to `float_digits` significant digits (ties to
/// even), then values rounded to `scale` places (`half_even`: ties to even, else away
/// from zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NumberRule {
    pub float_digits: Option<u32>,
    pub round: Option<(i64, bool)>,
}

/// The canonical decimal `c` (see `decimal`) rounded to `scale` places.
fn round_canonical(c: &str, scale: i64, half_even: bool) -> String {
    let Some((mantissa, exp)) = c.rsplit_once('e') else { return c.to_string() };
    let exp: i64 = exp.parse().expect("canonical exponent");
    let (negative, digits) = match mantissa.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, mantissa),
    };
    let cut = -scale - exp; // trailing digits below the scale
    if cut <= 0 {
        return c.to_string();
    }
    let cut = cut as usize;
    // the digits as a number, and what is cut off, compared with half
    let (kept, gone): (String, String) = if cut >= digits.len() {
        (String::new(), format!("{}{digits}", "0".repeat(cut - digits.len())))
    } else {
        (digits[..digits.len() - cut].to_string(), digits[digits.len() - cut..].to_string())
    };
    let half = format!("5{}", "0".repeat(gone.len() - 1));
    let odd = kept.bytes().last().is_some_and(|d| (d - b'0') % 2 == 1);
    let up = match gone.as_str().cmp(half.as_str()) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => !half_even || odd,
        std::cmp::Ordering::Less => false,
    };
    let mut n: Vec<u8> = if kept.is_empty() { vec![b'0'] } else { kept.into_bytes() };
    if up {
        let mut i = n.len();
        loop {
            if i == 0 {
                n.insert(0, b'1');
                break;
            }
            i -= 1;
            if n[i] == b'9' {
                n[i] = b'0';
            } else {
                n[i] += 1;
                break;
            }
        }
    }
    let literal = format!("{}{}e{}", if negative { "-" } else { "" }, String::from_utf8(n).expect("digits"), -scale);
    decimal(&literal).expect("a rounded decimal")
}

/// The target column's domain: what its values are compared as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Domain {
    /// smallint, integer, bigint, numeric, real, double precision: the exact value, or
    /// the value the column's rounding options make of it.
    Number(NumberRule),
    Bool,
    /// text, varchar; `blank_padded` for char(n), whose trailing spaces do not count.
    Text { blank_padded: bool },
    Bytes,
    Uuid,
    Date(EpochRule),
    Timestamp(EpochRule),
    /// `utc_zone`: naive text is UTC (no zone option, or 'UTC'); else Postgres places it
    /// in the column's zone (`Canon::Naive`).
    Timestamptz { rule: EpochRule, utc_zone: bool },
    Time,
    /// µs per number (interval_unit); None: numbers do not convert.
    Interval(Option<i64>),
    /// json: the text as stored.
    Json,
    /// money: the exact amount (text may carry a '$' and ',' groups as money's input
    /// under C reads them); Postgres keeps cents, so a finer amount does not match.
    Money,
    /// jsonb and every type without a rule here: Postgres's input function reads the
    /// text (`Canon::Input`).
    Input,
}

/// A value in canonical form, or what is left for Postgres to finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Canon {
    Null,
    Value(Vec<u8>),
    /// A naive timestamp (µs since 1970-01-01, wall clock) to place in the column's zone.
    Naive(i64),
    /// Text for the type's input function (then canonical like the target's values).
    Input(String),
    /// A GeoPackage geometry blob, for a PostGIS column (its WKB with the column's SRID).
    GeoPackage(Vec<u8>),
}

/// Why verify cannot read a stored value into the column's domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub &'static str);

pub const USECS_PER_DAY: i64 = 86_400_000_000;
const COCOA_UNIX_SECONDS: i64 = 978_307_200;
const JULIAN_UNIX_EPOCH: f64 = 2_440_587.5;

/// Canonical encodings, one tag byte then the payload.
pub mod tag {
    pub const NUMBER: u8 = b'n';
    pub const BOOL: u8 = b'b';
    pub const TEXT: u8 = b's';
    pub const BYTES: u8 = b'x';
    pub const UUID: u8 = b'u';
    pub const DAYS: u8 = b'd';
    pub const MICROS: u8 = b't';
    pub const TIME: u8 = b'h';
    pub const INTERVAL: u8 = b'i';
    pub const INTERVAL_MONTHS: u8 = b'I';
    pub const OUTPUT: u8 = b'o';
    /// ±infinity of a date or timestamp.
    pub const INFINITE: u8 = b'~';
}

pub fn tagged(tag: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len() + 1);
    v.push(tag);
    v.extend_from_slice(payload);
    v
}

pub fn number(canonical: &str) -> Vec<u8> {
    tagged(tag::NUMBER, canonical.as_bytes())
}

pub fn micros(tag: u8, v: i64) -> Vec<u8> {
    tagged(tag, &v.to_le_bytes())
}

/// An interval: months, days and µs; without months, days count 24 hours (so 1 day
/// and 24:00:00 are the same duration, as an integer of µs has it).
pub fn interval(months: i32, days: i32, time: i64) -> Vec<u8> {
    if months == 0 {
        let total = days as i128 * USECS_PER_DAY as i128 + time as i128;
        return tagged(tag::INTERVAL, &total.to_le_bytes());
    }
    let mut v = vec![tag::INTERVAL_MONTHS];
    v.extend_from_slice(&months.to_le_bytes());
    v.extend_from_slice(&days.to_le_bytes());
    v.extend_from_slice(&time.to_le_bytes());
    v
}

/// A decimal number written any way (`19.9990`, `+1E+2`, ` 7 `, `-0.0`, `NaN`, `inf`)
/// in one canonical spelling: significant digits without leading or trailing zeros,
/// then `e` and the exponent of the last digit (`19999e-3`, `1e2`, `7e0`, `0`), or
/// `NaN`, `Infinity`, `-Infinity`. None if it is not a number.
pub fn decimal(text: &str) -> Option<String> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (negative, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    match body.to_ascii_lowercase().as_str() {
        "nan" => return Some("NaN".into()),
        "inf" | "infinity" => return Some(if negative { "-Infinity" } else { "Infinity" }.into()),
        _ => {}
    }
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut digits = String::new();
    let mut exponent: i64 = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        digits.push(bytes[i] as char);
        i += 1;
    }
    let mut any_digit = !digits.is_empty();
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            digits.push(bytes[i] as char);
            exponent -= 1;
            i += 1;
            any_digit = true;
        }
    }
    if !any_digit {
        return None;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        let (exp_negative, start) = match bytes.get(i) {
            Some(b'-') => (true, i + 1),
            Some(b'+') => (false, i + 1),
            _ => (false, i),
        };
        let exp_digits = &body[start..];
        if exp_digits.is_empty() || !exp_digits.bytes().all(|b| b.is_ascii_digit()) || exp_digits.len() > 12 {
            return None;
        }
        let e: i64 = exp_digits.parse().ok()?;
        exponent += if exp_negative { -e } else { e };
        i = bytes.len();
    }
    if i != bytes.len() {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Some("0".into());
    }
    let trimmed = significant.trim_end_matches('0');
    exponent += (significant.len() - trimmed.len()) as i64;
    Some(format!("{}{trimmed}e{exponent}", if negative { "-" } else { "" }))
}

/// A double in canonical decimal form: its shortest round-trip digits, which name it
/// exactly among doubles.
/// An amount as money's input reads it under lc_monetary C: an optional sign before or
/// after a '$', digits grouped by ',' (or a sign in parentheses), in canonical form.
pub fn money_amount(text: &str) -> Option<String> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) => (true, inner.trim()),
        None => (false, t),
    };
    let (sign, t) = match t.as_bytes().first()? {
        b'-' => ("-", t[1..].trim_start()),
        b'+' => ("", t[1..].trim_start()),
        _ => ("", t),
    };
    let t = t.strip_prefix('$').map(str::trim_start).unwrap_or(t);
    let (sign, t) = match (sign, t.as_bytes().first()?) {
        ("", b'-') => ("-", &t[1..]),
        _ => (sign, t),
    };
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',') || t.starts_with(',') {
        return None;
    }
    let digits: String = t.chars().filter(|&c| c != ',').collect();
    let sign = if negative { if sign == "-" { "" } else { "-" } } else { sign };
    decimal(&format!("{sign}{digits}"))
}

pub fn double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    decimal(&format!("{v:e}")).expect("a formatted double is a decimal")
}

/// A real (float4) in canonical decimal form: its own shortest digits.
pub fn single(v: f32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    decimal(&format!("{v:e}")).expect("a formatted float is a decimal")
}

/// A REAL as the text a text, bytea or json column receives: the shortest digits that
/// read back to the same double, in plain notation from 1e-4 to below 1e16 (with `.0`
/// when integral), otherwise as `1e16`, `1.5e-7`.
pub fn real_text(v: f64) -> String {
    format!("{v:?}")
}

/// Text must be UTF-8 without NUL bytes to be a Postgres text value.
fn text_of(bytes: &[u8]) -> Result<&str, Unreadable> {
    let s = std::str::from_utf8(bytes).map_err(|_| Unreadable("not UTF-8"))?;
    if s.contains('\0') {
        return Err(Unreadable("contains a NUL byte"));
    }
    Ok(s)
}

/// The value as text for a text-like target (text, bytea's bytes, json, input functions).
fn rendered(v: Stored<'_>) -> Result<std::borrow::Cow<'_, [u8]>, Unreadable> {
    Ok(match v {
        Stored::Integer(i) => i.to_string().into_bytes().into(),
        Stored::Real(r) => real_text(r).into_bytes().into(),
        Stored::Text(b) | Stored::Blob(b) => b.into(),
    })
}

fn two(b: &[u8]) -> Option<u32> {
    (b.len() >= 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit()).then(|| (b[0] - b'0') as u32 * 10 + (b[1] - b'0') as u32)
}

/// Days since 1970-01-01 of a proleptic Gregorian date, counted month by month from a
/// 400-year cycle (146097 days).
fn days_since_1970(year: i64, month: u32, day: u32) -> i64 {
    const CUMULATIVE: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    // days before 1 January of `year`, from 1 January 1970
    let y = year - 1;
    let before_year = y * 365 + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400) - 719_162;
    let mut d = before_year + CUMULATIVE[month as usize - 1] + day as i64 - 1;
    if month > 2 && leap(year) {
        d += 1;
    }
    d
}

fn month_days(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// ISO-8601 text: `YYYY-MM-DD`, optionally `T`/`t`/space and `HH:MM[:SS[.fraction]]`,
/// optionally an offset (`Z`, `±HH`, `±HHMM`, `±HH:MM`, after at most one space).
/// Returns (wall-clock µs since 1970, offset seconds east). Fractions past µs round
/// half up at the seventh digit; 24:00:00 is the end of the day.
pub fn iso_timestamp(text: &str) -> Option<(i64, Option<i64>)> {
    let s = text.trim_matches(|c: char| c.is_ascii_whitespace()).as_bytes();
    if s.len() < 10 || s[4] != b'-' || s[7] != b'-' || !s[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let year: i64 = std::str::from_utf8(&s[..4]).ok()?.parse().ok()?;
    let (month, day) = (two(&s[5..7])?, two(&s[8..10])?);
    if year == 0 || !(1..=12).contains(&month) || day == 0 || day > month_days(year, month) {
        return None;
    }
    let mut micros = days_since_1970(year, month, day) * USECS_PER_DAY;
    let mut rest = &s[10..];
    if let [b'T' | b't' | b' ', tail @ ..] = rest {
        if tail.len() < 5 || tail[2] != b':' {
            return None;
        }
        let (h, mi) = (two(tail)?, two(&tail[3..])?);
        let mut sec = 0;
        let mut frac: i64 = 0;
        rest = &tail[5..];
        if let [b':', after @ ..] = rest {
            sec = two(after)?;
            rest = &after[2..];
            if let [b'.', after @ ..] = rest {
                let n = after.iter().take_while(|b| b.is_ascii_digit()).count();
                if n == 0 {
                    return None;
                }
                let digits = &after[..n];
                for i in 0..6 {
                    frac = frac * 10 + digits.get(i).map_or(0, |d| (d - b'0') as i64);
                }
                if digits.get(6).is_some_and(|d| *d >= b'5') {
                    frac += 1;
                }
                rest = &after[n..];
            }
        }
        let in_day = h < 24 && mi < 60 && sec < 60;
        let end_of_day = h == 24 && mi == 0 && sec == 0 && frac == 0;
        if !in_day && !end_of_day {
            return None;
        }
        micros += ((h as i64 * 60 + mi as i64) * 60 + sec as i64) * 1_000_000 + frac;
    }
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    let offset = match rest {
        [] => None,
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let h = two(tail)? as i64;
            let m = match &tail[2..] {
                [] => 0,
                [b':', a, b] | [a, b] => two(&[*a, *b])? as i64,
                _ => return None,
            };
            if h > 15 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => return None,
    };
    Some((micros, offset))
}

/// `HH:MM[:SS[.fraction]]` alone: µs since midnight.
fn time_of_day(text: &str) -> Option<i64> {
    let (micros, offset) = iso_timestamp(&format!("1970-01-01T{}", text.trim_matches(|c: char| c.is_ascii_whitespace())))?;
    offset.is_none().then_some(micros)
}

fn integer_literal(text: &str) -> Option<i64> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// An epoch number in `unit` as µs since 1970-01-01 UTC (Julian days to the
/// millisecond, as SQLite's own datetime() has them).
fn epoch_micros(v: Stored, unit: Epoch) -> Option<i64> {
    match v {
        Stored::Integer(i) => match unit.concrete(i as f64) {
            Epoch::Seconds => i.checked_mul(1_000_000),
            Epoch::Millis => i.checked_mul(1000),
            Epoch::Micros => Some(i),
            Epoch::Cocoa => i.checked_add(COCOA_UNIX_SECONDS)?.checked_mul(1_000_000),
            _ => epoch_micros(Stored::Real(i as f64), Epoch::Julian),
        },
        Stored::Real(r) if r.is_finite() => {
            let micros = match unit.concrete(r) {
                Epoch::Seconds => (r * 1e6).round(),
                Epoch::Millis => (r * 1e3).round(),
                Epoch::Micros => r.round(),
                Epoch::Cocoa => (r * 1e6).round() + (COCOA_UNIX_SECONDS as f64) * 1e6,
                _ => ((r - JULIAN_UNIX_EPOCH) * 86_400_000.0).round() * 1000.0,
            };
            (micros.abs() < 9.2e18).then_some(micros as i64)
        }
        _ => None,
    }
}

/// Numeric text as an epoch number, when the column's unit was set explicitly.
fn epoch_text(text: &str, rule: EpochRule) -> Option<Option<i64>> {
    if !rule.numeric_text {
        return None;
    }
    if let Some(i) = integer_literal(text) {
        return Some(epoch_micros(Stored::Integer(i), rule.unit));
    }
    let canonical = decimal(text)?;
    if canonical.contains("Infinity") || canonical == "NaN" {
        return None;
    }
    Some(text.trim().parse::<f64>().ok().and_then(|r| epoch_micros(Stored::Real(r), rule.unit)))
}

/// The instant a date/time value names, µs since 1970: (µs, whether it is wall-clock
/// time without an offset).
fn moment(v: Stored, rule: EpochRule) -> Result<(i64, bool), Unreadable> {
    match v {
        Stored::Text(b) => {
            let text = text_of(b)?;
            if let Some(epoch) = epoch_text(text, rule) {
                return epoch.map(|m| (m, false)).ok_or(Unreadable("epoch out of range"));
            }
            let (local, offset) = iso_timestamp(text).ok_or(Unreadable("not an ISO-8601 date or timestamp"))?;
            Ok(match offset {
                Some(secs) => (local - secs * 1_000_000, false),
                None => (local, true),
            })
        }
        Stored::Blob(_) => Err(Unreadable("a blob is not a date or time")),
        number => epoch_micros(number, rule.unit).map(|m| (m, false)).ok_or(Unreadable("epoch out of range")),
    }
}

/// A JSONB blob as the JSON text SQLite's own json() gives it (SQLite's decoder, the
/// documented meaning of such a blob).
fn jsonb_text(v: Stored) -> Option<String> {
    match v {
        Stored::Blob(b) => crate::sqlite::jsonb::to_json_text(b),
        _ => None,
    }
}

/// Read one stored value into the canonical form of `domain`. `empty_as_null`: the
/// column option of that name (an empty TEXT is NULL).
pub fn read(domain: &Domain, v: Stored, empty_as_null: bool) -> Result<Canon, Unreadable> {
    if empty_as_null && matches!(v, Stored::Text(b) if b.is_empty()) {
        return Ok(Canon::Null);
    }
    let value = |bytes: Vec<u8>| Ok(Canon::Value(bytes));
    match domain {
        Domain::Number(rule) => {
            let exact = match v {
                Stored::Integer(i) => decimal(&i.to_string()).expect("digits"),
                Stored::Real(r) if r.is_finite() && rule.float_digits.is_some() => {
                    decimal(&format!("{r:.prec$e}", prec = rule.float_digits.expect("checked").saturating_sub(1) as usize)).expect("a formatted double")
                }
                Stored::Real(r) => double(r),
                Stored::Text(b) => decimal(text_of(b)?).ok_or(Unreadable("not a number"))?,
                Stored::Blob(_) => return Err(Unreadable("a blob is not a number")),
            };
            let rounded = match rule.round {
                Some((scale, half_even)) if !exact.contains("Infinity") && exact != "NaN" => round_canonical(&exact, scale, half_even),
                _ => exact,
            };
            value(number(&rounded))
        }
        Domain::Money => {
            let exact = match v {
                Stored::Integer(i) => decimal(&i.to_string()).expect("digits"),
                Stored::Real(r) => double(r),
                Stored::Text(b) => money_amount(text_of(b)?).ok_or(Unreadable("not an amount of money"))?,
                Stored::Blob(_) => return Err(Unreadable("a blob is not an amount of money")),
            };
            value(number(&exact))
        }
        Domain::Bool => {
            let truth = match v {
                Stored::Integer(0) => false,
                Stored::Integer(1) => true,
                Stored::Real(r) if r == 0.0 => false,
                Stored::Real(r) if r == 1.0 => true,
                Stored::Text(b) => match text_of(b)?.trim().to_ascii_lowercase().as_str() {
                    "t" | "true" | "y" | "yes" | "on" | "1" => true,
                    "f" | "false" | "n" | "no" | "off" | "0" => false,
                    _ => return Err(Unreadable("not a boolean spelling")),
                },
                _ => return Err(Unreadable("not 0 or 1")),
            };
            value(tagged(tag::BOOL, &[truth as u8]))
        }
        Domain::Text { blank_padded } => {
            let bytes = rendered(v)?;
            let text = text_of(&bytes)?;
            let text = if *blank_padded { text.trim_end_matches(' ') } else { text };
            value(tagged(tag::TEXT, text.as_bytes()))
        }
        Domain::Bytes => value(tagged(tag::BYTES, &rendered(v)?)),
        Domain::Json => {
            if let Some(text) = jsonb_text(v) {
                return value(tagged(tag::TEXT, text.as_bytes()));
            }
            let bytes = rendered(v)?;
            value(tagged(tag::TEXT, text_of(&bytes)?.as_bytes()))
        }
        Domain::Uuid => {
            let bytes: Vec<u8> = match v {
                Stored::Blob(b) if b.len() == 16 => b.to_vec(),
                Stored::Text(b) => {
                    let t = text_of(b)?.trim();
                    let t = t.strip_prefix('{').and_then(|x| x.strip_suffix('}')).unwrap_or(t);
                    let hex: String = t.chars().filter(|c| *c != '-').collect();
                    // hyphens only between groups of four digits, never doubled or at the ends
                    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) || t.starts_with('-') || t.ends_with('-') || t.contains("--") {
                        return Err(Unreadable("not a UUID"));
                    }
                    let mut pos = 0;
                    for c in t.chars() {
                        if c == '-' && pos % 4 != 0 {
                            return Err(Unreadable("not a UUID"));
                        }
                        if c != '-' {
                            pos += 1;
                        }
                    }
                    (0..16).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex")).collect()
                }
                _ => return Err(Unreadable("not a UUID")),
            };
            value(tagged(tag::UUID, &bytes))
        }
        Domain::Date(rule) => {
            let (m, naive) = match v {
                Stored::Text(b) => {
                    let text = text_of(b)?;
                    match epoch_text(text, *rule) {
                        Some(epoch) => (epoch.ok_or(Unreadable("epoch out of range"))?, false),
                        None => {
                            let (local, offset) = iso_timestamp(text).ok_or(Unreadable("not an ISO-8601 date"))?;
                            if offset.is_some() {
                                return Err(Unreadable("a date with an offset"));
                            }
                            (local, true)
                        }
                    }
                }
                other => moment(other, *rule)?,
            };
            let _ = naive;
            if m.rem_euclid(USECS_PER_DAY) != 0 {
                return Err(Unreadable("has a time of day"));
            }
            value(micros(tag::DAYS, m.div_euclid(USECS_PER_DAY)))
        }
        Domain::Timestamp(rule) => value(micros(tag::MICROS, moment(v, *rule)?.0)),
        Domain::Timestamptz { rule, utc_zone } => {
            let (m, naive) = moment(v, *rule)?;
            if naive && !utc_zone {
                return Ok(Canon::Naive(m));
            }
            value(micros(tag::MICROS, m))
        }
        Domain::Time => match v {
            Stored::Text(b) => value(micros(tag::TIME, time_of_day(text_of(b)?).ok_or(Unreadable("not a time of day"))?)),
            _ => Err(Unreadable("a time of day is text")),
        },
        Domain::Interval(unit) => {
            let scaled = |n: f64, per: i64| {
                let m = (n * per as f64).round();
                (m.is_finite() && m.abs() < 9.2e18).then_some(m as i64).ok_or(Unreadable("interval out of range"))
            };
            let total = match (v, unit) {
                (Stored::Integer(i), Some(per)) => i.checked_mul(*per).ok_or(Unreadable("interval out of range"))?,
                (Stored::Real(r), Some(per)) => scaled(r, *per)?,
                (Stored::Text(b), Some(per)) if decimal(text_of(b)?).is_some_and(|d| !d.contains("Infinity") && d != "NaN") => {
                    scaled(text_of(b)?.trim().parse::<f64>().map_err(|_| Unreadable("not a number"))?, *per)?
                }
                (Stored::Text(b), _) => return Ok(Canon::Input(text_of(b)?.to_string())),
                _ => return Err(Unreadable("a number into interval without a unit")),
            };
            value(interval(0, total.div_euclid(USECS_PER_DAY) as i32, total.rem_euclid(USECS_PER_DAY)))
        }
        Domain::Input => match v {
            Stored::Blob(b) if b.len() >= 8 && b.starts_with(b"GP") && b[2] == 0 => Ok(Canon::GeoPackage(b.to_vec())),
            Stored::Blob(_) if jsonb_text(v).is_some() => Ok(Canon::Input(jsonb_text(v).expect("checked"))),
            Stored::Blob(_) => Err(Unreadable("a blob for an input function")),
            other => Ok(Canon::Input(text_of(&rendered(other)?)?.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_have_one_spelling() {
        for (a, b) in [("19.999", "19.9990"), ("100", "1E+2"), ("+7", " 7 "), ("0", "-0.000"), ("0.1", ".1"), ("-12.5e-1", "-1.25"), ("5.", "5")] {
            assert_eq!(decimal(a), decimal(b), "{a} {b}");
        }
        assert_eq!(decimal("19.999").unwrap(), "19999e-3");
        assert_eq!(decimal("20.00").unwrap(), "2e1");
        assert_ne!(decimal("19.999"), decimal("20.00"));
        assert_eq!(decimal("-inf").unwrap(), "-Infinity");
        for bad in ["", "abc", "1.2.3", "1e", "e5", "12abc", "--1", "."] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn doubles_and_reals_compare_by_their_digits() {
        assert_eq!(double(0.1), decimal("0.1").unwrap());
        assert_eq!(double(2.0), decimal("2").unwrap());
        assert_eq!(double(9007199254740992.0), decimal("9007199254740992").unwrap());
        assert_ne!(double(9007199254740992.0), decimal("9007199254740993").unwrap());
        assert_eq!(single(0.1f32), double(0.1), "0.1 keeps its digits in a real");
        assert_ne!(single(0.123456789f64 as f32), double(0.123456789), "narrowing shows");
        assert_eq!(real_text(1e20), "1e20");
        assert_eq!(real_text(2.0), "2.0");
    }

    #[test]
    fn numbers_read_the_same_from_every_storage_class() {
        let n = |v| read(&Domain::Number(NumberRule::default()), v, false).unwrap();
        assert_eq!(n(Stored::Integer(20)), n(Stored::Real(20.0)));
        assert_eq!(n(Stored::Text(b"20.0")), n(Stored::Integer(20)));
        assert_ne!(n(Stored::Real(19.999)), n(Stored::Text(b"20.00")));
        assert!(read(&Domain::Number(NumberRule::default()), Stored::Blob(b"1"), false).is_err());
        assert_eq!(read(&Domain::Number(NumberRule::default()), Stored::Text(b""), true).unwrap(), Canon::Null);
    }

    #[test]
    fn amounts_of_money() {
        let m = |t| money_amount(t);
        assert_eq!(m("$1,234.50"), decimal("1234.5"));
        assert_eq!(m("-$0.50"), decimal("-0.5"));
        assert_eq!(m("$-0.50"), decimal("-0.5"));
        assert_eq!(m("(12.00)"), decimal("-12"));
        assert_eq!(m(" 7 "), decimal("7"));
        assert_eq!(m("1.235"), decimal("1.235"));
        assert_eq!(m("12 dollars"), None);
        assert_eq!(m("1e5"), None);
        assert_eq!(read(&Domain::Money, Stored::Real(19.99), false).unwrap(), read(&Domain::Money, Stored::Text(b"$19.99"), false).unwrap());
    }

    #[test]
    fn rounding_as_the_column_says() {
        let r = |c: &str, s, e| round_canonical(&decimal(c).unwrap(), s, e);
        assert_eq!(r("19.999", 2, true), decimal("20").unwrap());
        assert_eq!(r("19.985", 2, true), decimal("19.98").unwrap());
        assert_eq!(r("19.985", 2, false), decimal("19.99").unwrap());
        assert_eq!(r("0.125", 2, true), decimal("0.12").unwrap());
        assert_eq!(r("-0.005", 2, true), "0");
        assert_eq!(r("-0.005", 2, false), decimal("-0.01").unwrap());
        assert_eq!(r("99.995", 2, false), decimal("100").unwrap());
        assert_eq!(r("0.0004", 2, false), "0");
        let django = Domain::Number(NumberRule { float_digits: Some(15), round: Some((17, true)) });
        assert_eq!(read(&django, Stored::Real(1.23456789012345678), false).unwrap(), Canon::Value(number(&decimal("1.23456789012346").unwrap())));
    }

    #[test]
    fn calendar_days() {
        assert_eq!(days_since_1970(1970, 1, 1), 0);
        assert_eq!(days_since_1970(2000, 1, 1), 10_957);
        assert_eq!(days_since_1970(2024, 3, 1), 19_783);
        assert_eq!(days_since_1970(1, 1, 1), -719_162);
        assert_eq!(days_since_1970(1600, 2, 29), -135_081);
        assert_eq!(iso_timestamp("2024-02-30"), None);
        assert_eq!(iso_timestamp("0000-01-01"), None);
    }

    #[test]
    fn timestamps_and_offsets() {
        let noon = days_since_1970(2024, 3, 31) * USECS_PER_DAY + 12 * 3_600_000_000;
        assert_eq!(iso_timestamp("2024-03-31 12:00:00"), Some((noon, None)));
        assert_eq!(iso_timestamp("2024-03-31T12:00"), Some((noon, None)));
        assert_eq!(iso_timestamp("2024-03-31 12:00:00.000 +05:30"), Some((noon, Some(19_800))));
        assert_eq!(iso_timestamp("2024-03-31T12:00:00Z"), Some((noon, Some(0))));
        assert_eq!(iso_timestamp("2024-03-31T12:00:00-0700"), Some((noon, Some(-25_200))));
        assert_eq!(iso_timestamp("2024-03-31T12:00:00.1234565"), Some((noon + 123_457, None)));
        let tz = Domain::Timestamptz { rule: EpochRule { unit: Epoch::Auto, numeric_text: false }, utc_zone: true };
        let utc = read(&tz, Stored::Text(b"2024-03-31 17:30:00+05:30"), false).unwrap();
        assert_eq!(utc, read(&tz, Stored::Text(b"2024-03-31 12:00:00"), false).unwrap());
        let berlin = Domain::Timestamptz { rule: EpochRule { unit: Epoch::Auto, numeric_text: false }, utc_zone: false };
        assert_eq!(read(&berlin, Stored::Text(b"2024-03-31 12:00:00"), false).unwrap(), Canon::Naive(noon));
        assert_eq!(read(&tz, Stored::Integer(1_711_886_400), false).unwrap(), Canon::Value(micros(tag::MICROS, noon)));
        assert_eq!(read(&tz, Stored::Integer(1_711_886_400_000), false).unwrap(), Canon::Value(micros(tag::MICROS, noon)), "auto: ms");
        let cocoa = Domain::Timestamp(EpochRule { unit: Epoch::Cocoa, numeric_text: false });
        assert_eq!(read(&cocoa, Stored::Integer(1_711_886_400 - 978_307_200), false).unwrap(), Canon::Value(micros(tag::MICROS, noon)));
    }

    #[test]
    fn dates_refuse_times_of_day() {
        let d = Domain::Date(EpochRule { unit: Epoch::Auto, numeric_text: false });
        assert_eq!(read(&d, Stored::Text(b"2024-03-31"), false).unwrap(), read(&d, Stored::Text(b"2024-03-31 00:00:00"), false).unwrap());
        assert!(read(&d, Stored::Text(b"2024-03-31 00:00:01"), false).is_err());
    }

    #[test]
    fn intervals_need_their_unit() {
        let us = Domain::Interval(Some(1));
        assert_eq!(read(&us, Stored::Integer(90_000_000), false).unwrap(), Canon::Value(interval(0, 0, 90_000_000)));
        assert_eq!(read(&us, Stored::Integer(90_000_000_000), false).unwrap(), Canon::Value(interval(0, 1, 3_600_000_000)));
        assert_eq!(interval(0, 1, 0), interval(0, 0, USECS_PER_DAY));
        assert!(read(&Domain::Interval(None), Stored::Integer(5), false).is_err());
        assert_eq!(read(&Domain::Interval(None), Stored::Text(b"1 day"), false).unwrap(), Canon::Input("1 day".into()));
    }

    #[test]
    fn uuids_in_every_spelling() {
        let u = |t: &[u8]| read(&Domain::Uuid, Stored::Text(t), false);
        let canonical = u(b"e973d954-e675-4091-b169-560d943678d7").unwrap();
        assert_eq!(u(b"e973d954e6754091b169560d943678d7").unwrap(), canonical);
        assert_eq!(u(b"{E973D954-E675-4091-B169-560D943678D7}").unwrap(), canonical);
        assert_eq!(u(b"e973-d954-e675-4091-b169-560d-9436-78d7").unwrap(), canonical);
        assert!(u(b"e973d954-e675-4091-b169-560d943678d").is_err());
        assert!(u(b"e97-3d954e6754091b169560d943678d7").is_err());
        let blob: Vec<u8> = (0..16).collect();
        assert!(read(&Domain::Uuid, Stored::Blob(&blob), false).is_ok());
    }

    #[test]
    fn text_and_booleans() {
        let t = Domain::Text { blank_padded: false };
        assert_eq!(read(&t, Stored::Real(0.30000000000000004), false).unwrap(), Canon::Value(tagged(tag::TEXT, b"0.30000000000000004")));
        assert!(read(&t, Stored::Blob(&[0xff]), false).is_err());
        let padded = Domain::Text { blank_padded: true };
        assert_eq!(read(&padded, Stored::Text(b"ab  "), false).unwrap(), read(&padded, Stored::Text(b"ab"), false).unwrap());
        assert_eq!(read(&Domain::Bool, Stored::Text(b" YES "), false).unwrap(), read(&Domain::Bool, Stored::Integer(1), false).unwrap());
        assert!(read(&Domain::Bool, Stored::Integer(2), false).is_err());
    }
}
