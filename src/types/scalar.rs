//! Parsing of SQLite text into Postgres scalars, with Postgres's own spelling rules.

use crate::error::{ConversionKind, ValueError};

/// Postgres's `boolin` spellings (case-insensitive, surrounding spaces ignored), plus
/// the ones applications commonly store: `t/f`, `true/false`, `yes/no`, `y/n`,
/// `on/off`, `1/0`.
pub fn parse_bool(text: &str) -> Result<bool, ValueError> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    match lower.as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => Ok(true),
        "f" | "false" | "n" | "no" | "off" | "0" => Ok(false),
        _ => Err(ValueError::new(ConversionKind::InvalidText, "not a boolean (expected true/false, t/f, yes/no, y/n, on/off or 1/0)")),
    }
}

/// A number stored as INTEGER → boolean: only 0 and 1 have a meaning.
pub fn int_to_bool(v: i64) -> Result<bool, ValueError> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(ValueError::new(ConversionKind::InvalidText, "only 0 and 1 are booleans")),
    }
}

/// A decimal integer as Postgres's int8in accepts it: optional spaces, an optional
/// sign, digits, optional spaces. Anything else (`12abc`, `1.5`, `''`) is an error.
pub fn parse_int(text: &str) -> Result<i64, ValueError> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValueError::new(ConversionKind::InvalidText, "not an integer"));
    }
    // Accumulate negatively so that i64::MIN parses.
    let mut acc: i64 = 0;
    for b in digits.bytes() {
        acc = acc
            .checked_mul(10)
            .and_then(|a| a.checked_sub((b - b'0') as i64))
            .ok_or_else(|| ValueError::new(ConversionKind::OutOfRange, "out of range for bigint"))?;
    }
    if neg {
        Ok(acc)
    } else {
        acc.checked_neg().ok_or_else(|| ValueError::new(ConversionKind::OutOfRange, "out of range for bigint"))
    }
}

/// A REAL that holds an exact integer → that integer; a fraction or a value outside
/// bigint is an error, never a truncation.
pub fn real_to_int(v: f64) -> Result<i64, ValueError> {
    if v.is_nan() || v.fract() != 0.0 {
        return Err(ValueError::new(ConversionKind::InvalidText, "has a fractional part; an integer column would lose it"));
    }
    // 2^63 as f64 is exact; every integral f64 strictly inside (-2^63, 2^63) fits, and -2^63 too.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v) {
        return Err(ValueError::new(ConversionKind::OutOfRange, "out of range for bigint"));
    }
    Ok(v as i64)
}

/// Narrow a bigint to the column's integer width, refusing what does not fit.
pub fn narrow_int(v: i64, bits: u32) -> Result<i64, ValueError> {
    let (min, max, name) = match bits {
        16 => (i16::MIN as i64, i16::MAX as i64, "smallint"),
        32 => (i32::MIN as i64, i32::MAX as i64, "integer"),
        _ => return Ok(v),
    };
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(ValueError::new(ConversionKind::OutOfRange, format!("out of range for {name}")))
    }
}

/// A floating-point literal as Postgres's float8in accepts it, including
/// `Infinity`, `-Infinity` and `NaN` in any case.
pub fn parse_float(text: &str) -> Result<f64, ValueError> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let lower = t.to_ascii_lowercase();
    let special = match lower.trim_start_matches(['+', '-']) {
        "infinity" | "inf" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = special {
        return Ok(if lower.starts_with('-') { -v } else { v });
    }
    // Rust accepts forms Postgres does not ("1_0" no, but "1e5", ".5", "5." yes: same as Postgres).
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E')) {
        return Err(ValueError::new(ConversionKind::InvalidText, "not a number"));
    }
    let v: f64 = t.parse().map_err(|_| ValueError::new(ConversionKind::InvalidText, "not a number"))?;
    if v.is_infinite() {
        return Err(ValueError::new(ConversionKind::OutOfRange, "out of range for double precision"));
    }
    Ok(v)
}

/// A double narrowed to real (float4): only when the real has the same shortest
/// decimal digits (0.1 stays 0.1); 0.123456789 would become 0.12345679, so it is an
/// error, as are overflow and underflow.
pub fn narrow_float4(v: f64) -> Result<f32, ValueError> {
    let f = v as f32;
    if f.is_infinite() && v.is_finite() {
        return Err(ValueError::new(ConversionKind::OutOfRange, "out of range for real"));
    }
    if f == 0.0 && v != 0.0 {
        return Err(ValueError::new(ConversionKind::OutOfRange, "underflows real"));
    }
    if v.is_finite() && !crate::types::decimal::same_value(&format!("{f:e}"), &format!("{v:e}")) {
        return Err(ValueError::new(
            ConversionKind::OutOfRange,
            format!("real (float4) would make it {f:?}: it has more digits than real holds (use double precision)"),
        ));
    }
    Ok(f)
}

/// An INTEGER into double precision: exactly, or an error (beyond 2^53 not every
/// integer is a double: 9007199254740993 would become ...992).
pub fn int_to_float(v: i64) -> Result<f64, ValueError> {
    let f = v as f64;
    if f as i128 != v as i128 {
        return Err(ValueError::new(
            ConversionKind::OutOfRange,
            format!("double precision would make it {}: it has more digits than a double holds (use bigint or numeric)", f as i128),
        ));
    }
    Ok(f)
}

/// Text into double precision: only when the double has the same decimal value as the
/// text (`0.1`, `1.50`, `1e300`), not when digits would be lost
/// (`3.14159265358979323846`: SQLite itself kept it as text because a REAL would
/// lose them).
pub fn text_to_float(text: &str) -> Result<f64, ValueError> {
    let v = parse_float(text)?;
    if v.is_finite() && !crate::types::decimal::same_value(text, &format!("{v:e}")) {
        return Err(ValueError::new(
            ConversionKind::OutOfRange,
            format!("double precision would make it {v:?}: it has more digits than a double holds (use numeric)"),
        ));
    }
    Ok(v)
}

/// Is `text` a decimal literal that Postgres's numeric_in accepts? Checked before
/// calling numeric_in so that a bad value gets our message naming its row.
pub fn is_numeric_literal(text: &str) -> bool {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace()).as_bytes();
    let t = t.strip_prefix(b"-").or_else(|| t.strip_prefix(b"+")).unwrap_or(t);
    let mut i = 0;
    let int_digits = t.iter().take_while(|b| b.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if t.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = t[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    if matches!(t.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(t.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = t[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == t.len()
}

/// A UUID as text, in every form Postgres's own uuid input reads: 32 hex digits in
/// any case, optionally in braces, with a hyphen allowed after any group of four
/// digits — so the canonical 8-4-4-4-12 form, and the 32 digits without hyphens that
/// Django, SQLAlchemy and peewee store.
pub fn parse_uuid_text(text: &str) -> Result<[u8; 16], ValueError> {
    let bad = || ValueError::new(ConversionKind::InvalidText, "not a UUID (expected 32 hex digits, as 8-4-4-4-12 or without hyphens)");
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace()).as_bytes();
    let t = match t {
        [b'{', inner @ .., b'}'] => inner,
        _ => t,
    };
    let mut out = [0u8; 16];
    let mut i = 0;
    for (n, byte) in out.iter_mut().enumerate() {
        // Postgres: an optional hyphen after each group of four digits but the last.
        if n > 0 && n % 2 == 0 && t.get(i) == Some(&b'-') {
            i += 1;
        }
        let hi = t.get(i).and_then(|c| (*c as char).to_digit(16)).ok_or_else(bad)?;
        let lo = t.get(i + 1).and_then(|c| (*c as char).to_digit(16)).ok_or_else(bad)?;
        *byte = (hi * 16 + lo) as u8;
        i += 2;
    }
    if i != t.len() {
        return Err(bad());
    }
    Ok(out)
}

/// A UUID stored as a blob: exactly 16 bytes.
pub fn uuid_from_blob(bytes: &[u8]) -> Result<[u8; 16], ValueError> {
    bytes
        .try_into()
        .map_err(|_| ValueError::new(ConversionKind::InvalidText, format!("a UUID blob has 16 bytes, this one {}", bytes.len())))
}

/// Text must be UTF-8 without NUL bytes to become a Postgres text value; say which rule
/// it broke rather than altering it.
pub fn check_text(bytes: &[u8]) -> Result<&str, ValueError> {
    if is_ascii_without_nul(bytes) {
        // SAFETY: ASCII is valid UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    let s = std::str::from_utf8(bytes).map_err(|e| {
        ValueError::new(
            ConversionKind::BadEncoding,
            format!("invalid UTF-8 at byte {} (read the column as bytea to keep the raw bytes)", e.valid_up_to()),
        )
    })?;
    if let Some(pos) = bytes.iter().position(|b| *b == 0) {
        return Err(ValueError::new(
            ConversionKind::BadEncoding,
            format!("contains a NUL byte at byte {pos}, which Postgres text cannot hold (read the column as bytea)"),
        ));
    }
    Ok(s)
}

/// Every byte ASCII and none NUL: nearly all stored text, checked eight bytes at a
/// time because the scan does this for every text value it reads.
pub fn is_ascii_without_nul(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let w = u64::from_le_bytes(chunk.try_into().expect("chunk of 8"));
        // With no high bit set, `(w - ONES) & !w & HIGH_BITS` is non-zero exactly when
        // some byte is zero (the classic has-zero-byte test).
        if w & HIGH_BITS != 0 || w.wrapping_sub(ONES) & !w & HIGH_BITS != 0 {
            return false;
        }
    }
    chunks.remainder().iter().all(|&b| b != 0 && b < 0x80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_exact_or_an_error() {
        assert_eq!(int_to_float(9_007_199_254_740_992), Ok(9_007_199_254_740_992.0));
        assert!(int_to_float(9_007_199_254_740_993).is_err());
        assert!(int_to_float(i64::MAX).is_err(), "2^63 - 1 is no double");
        assert_eq!(text_to_float("0.1"), Ok(0.1));
        assert_eq!(text_to_float(" 1.50 "), Ok(1.5));
        assert_eq!(text_to_float("1e300"), Ok(1e300));
        assert!(text_to_float("3.14159265358979323846").is_err());
        assert!(text_to_float("NaN").unwrap().is_nan());
        assert_eq!(narrow_float4(0.1), Ok(0.1f32));
        assert_eq!(narrow_float4(16_777_216.0), Ok(16_777_216.0f32));
        assert!(narrow_float4(0.123456789).is_err());
        assert!(narrow_float4(16_777_217.0).is_err());
        assert!(narrow_float4(f64::INFINITY).unwrap().is_infinite());
    }

    #[test]
    fn booleans() {
        for t in ["t", "TRUE", " yes ", "Y", "on", "1"] {
            assert_eq!(parse_bool(t), Ok(true), "{t}");
        }
        for f in ["f", "False", "no", "N", "OFF", "0"] {
            assert_eq!(parse_bool(f), Ok(false), "{f}");
        }
        for bad in ["", "2", "maybe", "tru"] {
            assert!(parse_bool(bad).is_err(), "{bad}");
        }
        assert_eq!(int_to_bool(1), Ok(true));
        assert!(int_to_bool(2).is_err());
    }

    #[test]
    fn integers_are_strict_and_range_checked() {
        assert_eq!(parse_int("42"), Ok(42));
        assert_eq!(parse_int(" -7 "), Ok(-7));
        assert_eq!(parse_int("+7"), Ok(7));
        assert_eq!(parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_int("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_int("9223372036854775808").unwrap_err().kind, ConversionKind::OutOfRange);
        for bad in ["", "-", "12abc", "1.5", "1e3", "0x10"] {
            assert_eq!(parse_int(bad).unwrap_err().kind, ConversionKind::InvalidText, "{bad}");
        }
        assert_eq!(narrow_int(32767, 16), Ok(32767));
        assert!(narrow_int(32768, 16).is_err());
        assert!(narrow_int(2_147_483_648, 32).is_err());
        assert_eq!(narrow_int(-2_147_483_648, 32), Ok(-2_147_483_648));
    }

    #[test]
    fn reals_into_integers_only_when_exact() {
        assert_eq!(real_to_int(3.0), Ok(3));
        assert_eq!(real_to_int(-0.0), Ok(0));
        assert!(real_to_int(3.5).is_err());
        assert!(real_to_int(f64::NAN).is_err());
        assert!(real_to_int(f64::INFINITY).is_err());
        assert!(real_to_int(9.3e18).is_err());
        assert_eq!(real_to_int(-9_223_372_036_854_775_808.0), Ok(i64::MIN));
    }

    #[test]
    fn floats_follow_float8in() {
        assert_eq!(parse_float("1.5"), Ok(1.5));
        assert_eq!(parse_float(" -2e3 "), Ok(-2000.0));
        assert_eq!(parse_float("Infinity"), Ok(f64::INFINITY));
        assert_eq!(parse_float("-inf"), Ok(f64::NEG_INFINITY));
        assert!(parse_float("NaN").unwrap().is_nan());
        assert!(parse_float("abc").is_err());
        assert!(parse_float("").is_err());
        assert_eq!(parse_float("1e999").unwrap_err().kind, ConversionKind::OutOfRange);
        assert!(narrow_float4(1e39).is_err());
        assert!(narrow_float4(1e-50).is_err());
        assert_eq!(narrow_float4(0.5), Ok(0.5));
        assert!(narrow_float4(f64::INFINITY).unwrap().is_infinite());
    }

    #[test]
    fn numeric_literals() {
        for ok in ["1", "-1.50", ".5", "5.", "1e10", "1.5E-3", " 12 ", "+3"] {
            assert!(is_numeric_literal(ok), "{ok}");
        }
        for bad in ["", ".", "e5", "1e", "1.2.3", "12abc", "--1", "1 2"] {
            assert!(!is_numeric_literal(bad), "{bad}");
        }
    }

    #[test]
    fn uuids_from_text() {
        let u = parse_uuid_text("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11").unwrap();
        assert_eq!(u[0], 0xa0);
        assert_eq!(u[15], 0x11);
        // Every form Postgres's uuid_in reads (its documentation's examples).
        for same in [
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
            "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
        ] {
            assert_eq!(parse_uuid_text(same).unwrap(), u, "{same}");
        }
        for bad in ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g", "", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", "{a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0e-ebc999c0b4ef8bb6d6bb9bd380a11", "a0eebc999c0b4ef8bb6d6bb9bd380a1"] {
            assert!(parse_uuid_text(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_must_be_utf8_without_nul() {
        assert_eq!(check_text(b"caf\xc3\xa9"), Ok("café"));
        let e = check_text(b"caf\xe9").unwrap_err();
        assert_eq!(e.kind, ConversionKind::BadEncoding);
        assert!(e.reason.contains("byte 3"), "{}", e.reason);
        for len in 0..40 {
            let ascii = vec![b'a'; len];
            assert!(is_ascii_without_nul(&ascii));
            for at in 0..len {
                for bad in [0u8, 0x80, 0xff] {
                    let mut v = ascii.clone();
                    v[at] = bad;
                    assert!(!is_ascii_without_nul(&v), "len {len} at {at} byte {bad}");
                }
            }
        }
        assert_eq!(check_text(b"0123456789abcdef\xc3\xa9"), Ok("0123456789abcdef\u{e9}"));
        assert!(check_text(b"0123456789abcdef\0").is_err());
        let e = check_text(b"a\0b").unwrap_err();
        assert!(e.reason.contains("NUL"), "{}", e.reason);
    }

    #[test]
    fn uuid_blobs() {
        assert_eq!(uuid_from_blob(&[1; 16]), Ok([1; 16]));
        assert!(uuid_from_blob(&[1; 15]).unwrap_err().reason.contains("this one 15"));
    }
}
