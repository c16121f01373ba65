//! Decimal literals checked against Postgres's numeric before numeric_in sees them,
//! so that numeric_in never raises (a caught ERROR outside a subtransaction is not
//! allowed) and a typmod never rounds: SQLite enforces no scale, and ORMs write
//! unrounded values (19.999 into DECIMAL(10,2)), so a value that does not fit
//! `numeric(p,s)` exactly is an error naming the scale it needs, never a rounding.

use crate::error::{ConversionKind, ValueError};

/// Postgres's numeric limits: 131072 digits before the point, 16383 after
/// (NUMERIC_WEIGHT_MAX and NUMERIC_DSCALE_MAX).
const MAX_INTEGER_DIGITS: i64 = 131_072;
const MAX_DISPLAY_SCALE: i64 = 16_383;

/// A decimal literal's shape: what numeric_in and a typmod would make of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalShape {
    /// Digits before the point once the exponent is applied (0 for |v| < 1).
    pub integer_digits: i64,
    /// The scale needed to hold the value exactly: digits after the point that are not
    /// trailing zeros, or minus the trailing zeros of a whole number (1200 needs -2,
    /// as numeric(p,-2) would hold it).
    pub significant_scale: i64,
    /// Digits after the point as written (after the exponent): numeric_in keeps them.
    pub display_scale: i64,
}

/// The shape of `text` if it is a decimal literal (sign, digits, point, exponent).
pub fn shape(text: &str) -> Option<DecimalShape> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace()).as_bytes();
    let t = t.strip_prefix(b"-").or_else(|| t.strip_prefix(b"+")).unwrap_or(t);
    let int_len = t.iter().take_while(|b| b.is_ascii_digit()).count();
    let (int_part, rest) = t.split_at(int_len);
    let (frac_part, rest) = match rest.strip_prefix(b".") {
        Some(r) => {
            let n = r.iter().take_while(|b| b.is_ascii_digit()).count();
            r.split_at(n)
        }
        None => (&rest[..0], rest),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let exponent: i64 = match rest {
        [] => 0,
        [b'e' | b'E', e @ ..] => {
            let (negative, digits) = match e {
                [b'-', d @ ..] => (true, d),
                [b'+', d @ ..] => (false, d),
                d => (false, d),
            };
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            // Beyond any numeric's range either way; keep the arithmetic small.
            let magnitude = std::str::from_utf8(digits).ok()?.parse::<i64>().unwrap_or(i64::MAX / 4).min(i64::MAX / 4);
            if negative {
                -magnitude
            } else {
                magnitude
            }
        }
        _ => return None,
    };
    // value = digits × 10^(exponent − frac_len), digits = int_part ++ frac_part.
    let all: Vec<u8> = int_part.iter().chain(frac_part.iter()).copied().collect();
    let first_nonzero = all.iter().position(|&b| b != b'0');
    let last_nonzero = all.iter().rposition(|&b| b != b'0');
    let point = int_part.len() as i64 + exponent; // position of the point within `all`
    let display_scale = (frac_part.len() as i64 - exponent).max(0);
    let (integer_digits, significant_scale) = match (first_nonzero, last_nonzero) {
        (Some(first), Some(last)) => ((point - first as i64).max(0), last as i64 + 1 - point),
        _ => (0, 0),
    };
    Some(DecimalShape { integer_digits, significant_scale, display_scale })
}

/// Do two decimal literals name the same number (`1.50` and `15e-1`)? Compared by
/// their digits without leading and trailing zeros and the power of ten of the first
/// digit. False when either is not a decimal literal.
pub fn same_value(a: &str, b: &str) -> bool {
    fn digits_and_power(text: &str) -> Option<(bool, Vec<u8>, i64)> {
        let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
        let negative = t.starts_with('-');
        let t = t.trim_start_matches(['-', '+']);
        let (mantissa, exponent) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?.clamp(-i64::MAX / 4, i64::MAX / 4)),
            None => (t, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int_part.is_empty() && frac_part.is_empty() || !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let all: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
        let Some(first) = all.iter().position(|&d| d != b'0') else { return Some((false, vec![], 0)) };
        let last = all.iter().rposition(|&d| d != b'0').expect("a nonzero digit");
        // power of ten of the first significant digit
        let power = int_part.len() as i64 - 1 - first as i64 + exponent;
        Some((negative, all[first..=last].to_vec(), power))
    }
    match (digits_and_power(a), digits_and_power(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// How a value with more digits than a column keeps is rounded, when the column says
/// so (option `numeric_rounding`; never by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Ties to the even digit (Python's decimal default: what Django shows).
    HalfEven,
    /// Ties away from zero (what Postgres's own numeric rounding does).
    HalfUp,
}

impl Rounding {
    pub const NAMES: &'static str = "half_even or half_up";
    pub fn parse(name: &str) -> Option<Rounding> {
        match name.trim().to_ascii_lowercase().as_str() {
            "half_even" => Some(Rounding::HalfEven),
            "half_up" => Some(Rounding::HalfUp),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Rounding::HalfEven => "half_even",
            Rounding::HalfUp => "half_up",
        }
    }
}

/// A decimal literal rounded to `scale` digits after the point (a negative scale
/// rounds to tens, hundreds, ...), as a plain decimal literal; None if it is not one.
pub fn round_to_scale(text: &str, scale: i64, rounding: Rounding) -> Option<String> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let negative = t.starts_with('-');
    let t = t.trim_start_matches(['-', '+']);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?),
        None => (t, 0),
    };
    if exponent.abs() > 1_000_000 || scale.abs() > 1_000_000 {
        return None;
    }
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() || !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    // value = digits × 10^power
    let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).map(|b| b - b'0').collect();
    let power = exponent - frac_part.len() as i64;
    let drop = -scale - power; // digits to drop from the end
    if drop > 0 {
        let drop = drop as usize;
        let kept_len = digits.len().saturating_sub(drop);
        let dropped: Vec<u8> = if drop > digits.len() { vec![0; drop - digits.len()].into_iter().chain(digits.iter().copied()).collect() } else { digits[kept_len..].to_vec() };
        digits.truncate(kept_len);
        let first = dropped[0];
        let rest_nonzero = dropped[1..].iter().any(|&d| d != 0);
        let last_odd = digits.last().is_some_and(|d| d % 2 == 1);
        let up = match rounding {
            Rounding::HalfUp => first >= 5,
            Rounding::HalfEven => first > 5 || (first == 5 && (rest_nonzero || last_odd)),
        };
        if up {
            let mut i = digits.len();
            loop {
                if i == 0 {
                    digits.insert(0, 1);
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
    } else {
        // pad to `scale` places
        digits.extend(std::iter::repeat_n(0, (-drop) as usize));
    }
    // digits × 10^-scale
    let mut text: String = digits.iter().map(|d| (b'0' + d) as char).collect();
    if scale < 0 {
        text.extend(std::iter::repeat_n('0', (-scale) as usize));
    } else if scale > 0 {
        let scale = scale as usize;
        if text.len() <= scale {
            text = format!("{}{text}", "0".repeat(scale + 1 - text.len()));
        }
        text.insert(text.len() - scale, '.');
    }
    if text.is_empty() {
        text.push('0');
    }
    let zero = text.bytes().all(|b| b == b'0' || b == b'.');
    Some(if negative && !zero { format!("-{text}") } else { text })
}

/// (precision, scale) of a numeric typmod; None for an unconstrained numeric.
pub fn typmod_precision_scale(typmod: i32) -> Option<(i64, i64)> {
    if typmod < 4 {
        return None;
    }
    let t = typmod - 4;
    let precision = ((t >> 16) & 0xffff) as i64;
    // The scale is an 11-bit signed number (Postgres 15 allows negative scales).
    let raw = (t & 0x7ff) as i64;
    let scale = if raw & 0x400 != 0 { raw - 0x800 } else { raw };
    Some((precision, scale))
}

/// Check `text` for numeric with `typmod` (-1: unconstrained): Ok when numeric_in
/// accepts it and, with a typmod, keeps its value exactly.
pub fn check(text: &str, typmod: i32) -> Result<DecimalShape, ValueError> {
    let s = shape(text).ok_or_else(|| ValueError::new(ConversionKind::InvalidText, "not a number"))?;
    if s.integer_digits > MAX_INTEGER_DIGITS || s.display_scale > MAX_DISPLAY_SCALE {
        return Err(ValueError::new(ConversionKind::OutOfRange, "value overflows numeric format"));
    }
    if let Some((precision, scale)) = typmod_precision_scale(typmod) {
        if s.significant_scale > scale {
            let needed = s.significant_scale.max(0);
            return Err(ValueError::new(
                ConversionKind::OutOfRange,
                format!(
                    "it has {needed} digit{} after the point and numeric({precision},{scale}) would round it (SQLite does not enforce a DECIMAL's scale); use numeric({},{needed}) or numeric, or round it on purpose with the column option numeric_rounding (liteport.migrate: {{\"numeric_rounding\": \"half_even\"}})",
                    if needed == 1 { "" } else { "s" },
                    (s.integer_digits.max(precision - scale) + needed).min(1000),
                ),
            ));
        }
        if s.integer_digits > precision - scale {
            return Err(ValueError::new(
                ConversionKind::OutOfRange,
                format!("numeric field overflow: {} digits before the point do not fit numeric({precision},{scale})", s.integer_digits),
            ));
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typmod(p: i32, s: i32) -> i32 {
        ((p << 16) | (s & 0x7ff)) + 4
    }

    #[test]
    fn rounding_to_a_scale() {
        let r = |t: &str, s: i64, m: Rounding| round_to_scale(t, s, m).unwrap();
        assert_eq!(r("19.999", 2, Rounding::HalfEven), "20.00");
        assert_eq!(r("19.985", 2, Rounding::HalfEven), "19.98");
        assert_eq!(r("19.985", 2, Rounding::HalfUp), "19.99");
        assert_eq!(r("0.125", 2, Rounding::HalfEven), "0.12");
        assert_eq!(r("0.135", 2, Rounding::HalfEven), "0.14");
        assert_eq!(r("0.1251", 2, Rounding::HalfEven), "0.13");
        assert_eq!(r("-0.005", 2, Rounding::HalfEven), "0.00");
        assert_eq!(r("-0.005", 2, Rounding::HalfUp), "-0.01");
        assert_eq!(r("1E+2", 2, Rounding::HalfEven), "100.00");
        assert_eq!(r("7", 0, Rounding::HalfEven), "7");
        assert_eq!(r("0.0004", 2, Rounding::HalfUp), "0.00");
        assert_eq!(r("1.23456789012346e0", 17, Rounding::HalfEven), "1.23456789012346000");
        assert_eq!(r("1250", -2, Rounding::HalfEven), "1200");
        assert_eq!(r("99.995", 2, Rounding::HalfUp), "100.00");
        assert_eq!(round_to_scale("abc", 2, Rounding::HalfUp), None);
    }

    #[test]
    fn same_value_ignores_spelling_only() {
        for (a, b) in [("1.50", "15e-1"), ("0.1", "1e-1"), ("100", "1E+2"), ("-0", "0.000"), ("007", "7"), ("1e300", "1.0e300")] {
            assert!(same_value(a, b), "{a} {b}");
        }
        for (a, b) in [("19.999", "20.00"), ("0.1", "0.10000000149011612"), ("-1", "1"), ("x", "x"), ("1e5", "1e6")] {
            assert!(!same_value(a, b), "{a} {b}");
        }
    }

    #[test]
    fn shapes_count_digits_around_the_point() {
        assert_eq!(shape("19.999"), Some(DecimalShape { integer_digits: 2, significant_scale: 3, display_scale: 3 }));
        assert_eq!(shape("3.140"), Some(DecimalShape { integer_digits: 1, significant_scale: 2, display_scale: 3 }));
        assert_eq!(shape("-0.005"), Some(DecimalShape { integer_digits: 0, significant_scale: 3, display_scale: 3 }));
        assert_eq!(shape("1.5e3"), Some(DecimalShape { integer_digits: 4, significant_scale: -2, display_scale: 0 }));
        assert_eq!(shape("1e-300").unwrap().significant_scale, 300);
        assert_eq!(shape("0.000"), Some(DecimalShape { integer_digits: 0, significant_scale: 0, display_scale: 3 }));
        assert_eq!(shape(" 12 "), Some(DecimalShape { integer_digits: 2, significant_scale: 0, display_scale: 0 }));
        assert_eq!(shape("1200").unwrap().significant_scale, -2);
        assert_eq!(shape(".5").unwrap().significant_scale, 1);
        assert_eq!(shape("5.").unwrap().integer_digits, 1);
        for bad in ["", ".", "abc", "1e", "1e+", "NaN", "Infinity", "1.2.3", "--1", "0x10"] {
            assert_eq!(shape(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_scale_that_would_round_is_refused() {
        assert!(check("19.999", typmod(10, 2)).unwrap_err().reason.contains("would round"));
        assert!(check("1.005", typmod(10, 2)).is_err());
        assert!(check("2.5", typmod(5, 0)).is_err());
        assert!(check("3.14", typmod(10, 2)).is_ok());
        assert!(check("3.1400", typmod(10, 2)).is_ok());
        assert!(check("12345678.9", typmod(10, 2)).is_ok());
        assert!(check("123456789", typmod(10, 2)).unwrap_err().reason.contains("numeric field overflow"));
        assert!(check("1200", typmod(4, -2)).is_ok());
        assert!(check("1250", typmod(4, -2)).is_err());
        assert!(check("1e200000", -1).is_err());
        assert!(check("1e-17000", -1).is_err());
        assert!(check("1e-300", -1).is_ok());
        assert_eq!(typmod_precision_scale(typmod(4, -2)), Some((4, -2)));
        assert_eq!(typmod_precision_scale(-1), None);
    }
}
