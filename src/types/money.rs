//! Postgres's money is an int64 of cents (lc_monetary's two fraction digits). Its input
//! function reads text by the session's lc_monetary (in de_DE '12.34' is 1234 euros) and
//! rounds a third fraction digit away, so liteport reads amounts itself: the spellings
//! money's input accepts under C (sign, '$', ',' groups, a negative in parentheses),
//! whole cents exactly, anything finer an error.

use crate::error::{ConversionKind, ValueError};

/// The cents of an amount written as text.
pub fn cents_from_text(text: &str) -> Result<i64, ValueError> {
    let invalid = || ValueError::new(ConversionKind::InvalidText, "not an amount of money (digits with an optional sign, '$', ',' groups and two fraction digits)");
    let mut rest = text.trim();
    let mut negative = false;
    if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        negative = true;
        rest = inner.trim();
    }
    // A sign before or after the dollar sign, as cash_in takes it.
    for _ in 0..2 {
        if let Some(r) = rest.strip_prefix('-') {
            negative = !negative;
            rest = r.trim_start();
        } else if let Some(r) = rest.strip_prefix('+') {
            rest = r.trim_start();
        } else if let Some(r) = rest.strip_prefix('$') {
            rest = r.trim_start();
        }
    }
    let (whole, fraction) = match rest.split_once('.') {
        Some((w, f)) => (w, f),
        None => (rest, ""),
    };
    if whole.is_empty() && fraction.is_empty() || whole.starts_with(',') || !whole.bytes().all(|b| b.is_ascii_digit() || b == b',') || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    if fraction.len() > 2 && fraction.bytes().skip(2).any(|b| b != b'0') {
        return Err(ValueError::new(ConversionKind::InvalidText, format!("money keeps two fraction digits; {:?} would be rounded (read the column as numeric)", text.trim())));
    }
    let overflow = || ValueError::new(ConversionKind::OutOfRange, "out of range for money");
    let mut cents: i64 = 0;
    let fraction_digits = fraction.bytes().chain(std::iter::repeat(b'0')).take(2);
    for digit in whole.bytes().filter(|&b| b != b',').chain(fraction_digits) {
        let d = (digit - b'0') as i64;
        // Accumulate negatively so that i64::MIN cents is reachable.
        cents = cents.checked_mul(10).and_then(|c| c.checked_sub(d)).ok_or_else(overflow)?;
    }
    if negative { Ok(cents) } else { cents.checked_neg().ok_or_else(overflow) }
}

/// The cents of a whole number of units.
pub fn cents_from_integer(units: i64) -> Result<i64, ValueError> {
    units.checked_mul(100).ok_or_else(|| ValueError::new(ConversionKind::OutOfRange, "out of range for money"))
}

/// The cents of a REAL: its shortest decimal digits (19.99, not 19.989999...), which must
/// be whole cents.
pub fn cents_from_real(v: f64) -> Result<i64, ValueError> {
    if !v.is_finite() {
        return Err(ValueError::new(ConversionKind::InvalidText, "NaN and infinity are not amounts of money"));
    }
    // Display never uses an exponent: every digit of the shortest representation.
    cents_from_text(&format!("{v}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_cents() {
        let c = |t: &str| cents_from_text(t).ok();
        assert_eq!(c("12.34"), Some(1234));
        assert_eq!(c("-0.5"), Some(-50));
        assert_eq!(c("$1,234.50"), Some(123450));
        assert_eq!(c("-$1.00"), Some(-100));
        assert_eq!(c("$-1.00"), Some(-100));
        assert_eq!(c("(12.00)"), Some(-1200));
        assert_eq!(c(" 7 "), Some(700));
        assert_eq!(c(".5"), Some(50));
        assert_eq!(c("1.2300"), Some(123));
        assert_eq!(c("-92233720368547758.08"), Some(i64::MIN));
        assert_eq!(c("92233720368547758.07"), Some(i64::MAX));
        for bad in ["1.235", "-0.001", "abc", "1e5", "", ".", "$", "1.2.3", ",1", "92233720368547758.08", "12 dollars"] {
            assert!(cents_from_text(bad).is_err(), "{bad}");
        }
        assert_eq!(cents_from_real(19.99).unwrap(), 1999);
        assert_eq!(cents_from_real(0.1).unwrap(), 10);
        assert_eq!(cents_from_real(-1e3).unwrap(), -100000);
        assert!(cents_from_real(12.345).is_err());
        assert!(cents_from_real(f64::NAN).is_err());
        assert!(cents_from_real(1e300).is_err());
        assert_eq!(cents_from_integer(7).unwrap(), 700);
        assert!(cents_from_integer(i64::MAX / 10).is_err());
    }
}
