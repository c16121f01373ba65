//! JSON text checked by the rules of Postgres's own JSON parser (src/common/jsonapi.c)
//! before json_in/jsonb_in see it, so that those input functions do not raise for a
//! value liteport can reject itself: a caught ERROR outside a subtransaction is not
//! allowed, and a subtransaction per value would cost too much. What this cannot
//! decide for certain (extreme nesting, sizes at jsonb's limits) is `Uncertain`, and
//! the caller then runs the input function where an ERROR is safe to catch.

use super::decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid(String),
    Uncertain,
}

/// Nesting up to this depth is well within Postgres's stack-depth check.
const SAFE_DEPTH: usize = 1000;
/// jsonb's limits: a string's length and a container's element count (JENTRY_OFFLENMASK).
const JSONB_MAX: usize = 0x0fff_ffff;

struct Checker<'a> {
    s: &'a [u8],
    i: usize,
    jsonb: bool,
    uncertain: bool,
}

type Step = Result<(), String>;

impl Checker<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn fail<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }

    fn value(&mut self, depth: usize) -> Step {
        if depth > SAFE_DEPTH {
            // Stop here: recursing deeper could exhaust this thread's stack.
            self.uncertain = true;
            return Err(String::new());
        }
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => self.container(depth, b'}', true),
            Some(b'[') => self.container(depth, b']', false),
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => self.literal(),
            None => self.fail("the input ends where a value should be"),
        }
    }

    fn container(&mut self, depth: usize, close: u8, object: bool) -> Step {
        self.i += 1;
        self.ws();
        if self.s.get(self.i) == Some(&close) {
            self.i += 1;
            return Ok(());
        }
        let mut elements = 0usize;
        loop {
            if object {
                self.ws();
                if self.s.get(self.i) != Some(&b'"') {
                    return self.fail("an object key must be a string");
                }
                self.string()?;
                self.ws();
                if self.s.get(self.i) != Some(&b':') {
                    return self.fail("expected \":\"");
                }
                self.i += 1;
            }
            self.value(depth + 1)?;
            elements += 1;
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(c) if *c == close => {
                    self.i += 1;
                    break;
                }
                _ => return self.fail(if object { "expected \",\" or \"}\"" } else { "expected \",\" or \"]\"" }),
            }
        }
        if self.jsonb && elements >= JSONB_MAX {
            self.uncertain = true;
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.s.get(self.i..self.i + 4).ok_or_else(|| format!("\"\\u\" must be followed by four hex digits at byte {}", self.i))?;
        let text = std::str::from_utf8(digits).map_err(|_| "bad \\u escape".to_string())?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return self.fail("\"\\u\" must be followed by four hex digits");
        }
        self.i += 4;
        Ok(u32::from_str_radix(text, 16).expect("checked hex"))
    }

    fn string(&mut self) -> Step {
        let start = self.i;
        self.i += 1;
        let mut high_surrogate = false;
        loop {
            let Some(&c) = self.s.get(self.i) else { return self.fail("unterminated string") };
            match c {
                b'"' => {
                    if self.jsonb && high_surrogate {
                        return self.fail("a high surrogate must be followed by a low one");
                    }
                    self.i += 1;
                    break;
                }
                0..=0x1f => return self.fail("a control character must be escaped"),
                b'\\' => {
                    self.i += 1;
                    match self.s.get(self.i) {
                        Some(b'u') => {
                            self.i += 1;
                            let ch = self.hex4()?;
                            // json keeps the escape as written; jsonb decodes it.
                            if self.jsonb {
                                if (0xd800..=0xdbff).contains(&ch) {
                                    if high_surrogate {
                                        return self.fail("two high surrogates in a row");
                                    }
                                    high_surrogate = true;
                                    continue;
                                } else if (0xdc00..=0xdfff).contains(&ch) {
                                    if !high_surrogate {
                                        return self.fail("a low surrogate without a high one");
                                    }
                                    high_surrogate = false;
                                    continue;
                                }
                                if high_surrogate {
                                    return self.fail("a high surrogate must be followed by a low one");
                                }
                                if ch == 0 {
                                    return self.fail("\\u0000 cannot be converted to text");
                                }
                            }
                        }
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            if self.jsonb && high_surrogate {
                                return self.fail("a high surrogate must be followed by a low one");
                            }
                            self.i += 1;
                        }
                        _ => return self.fail("invalid escape sequence"),
                    }
                }
                _ => {
                    if self.jsonb && high_surrogate {
                        return self.fail("a high surrogate must be followed by a low one");
                    }
                    self.i += 1;
                }
            }
        }
        if self.jsonb && self.i - start >= JSONB_MAX {
            self.uncertain = true;
        }
        Ok(())
    }

    fn number(&mut self) -> Step {
        let start = self.i;
        let digits = |c: &mut Checker| {
            let n = c.s[c.i..].iter().take_while(|b| b.is_ascii_digit()).count();
            c.i += n;
            n
        };
        if self.s.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.s.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return self.fail("invalid number"),
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return self.fail("invalid number");
            }
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return self.fail("invalid number");
            }
        }
        // Postgres reads trailing letters and digits as part of the token: "0123", "1x".
        if self.s.get(self.i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80) {
            return self.fail("invalid number");
        }
        if self.jsonb {
            // jsonb stores numbers as numeric: the same limits.
            let text = std::str::from_utf8(&self.s[start..self.i]).expect("ASCII");
            if let Err(e) = decimal::check(text, -1) {
                return Err(format!("{} ({text})", e.reason));
            }
        }
        Ok(())
    }

    fn literal(&mut self) -> Step {
        let start = self.i;
        while self.s.get(self.i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80) {
            self.i += 1;
        }
        match &self.s[start..self.i] {
            b"true" | b"false" | b"null" => Ok(()),
            [] => {
                self.i = start;
                self.fail("unexpected character")
            }
            _ => {
                self.i = start;
                self.fail("invalid token")
            }
        }
    }
}

/// Would Postgres's json (`jsonb` false) or jsonb input accept `text`?
pub fn check(text: &str, jsonb: bool) -> Verdict {
    let mut c = Checker { s: text.as_bytes(), i: 0, jsonb, uncertain: false };
    let result = c.value(0).and_then(|_| {
        c.ws();
        if c.i < c.s.len() {
            c.fail("unexpected text after the value")
        } else {
            Ok(())
        }
    });
    match result {
        _ if c.uncertain && result.as_ref().err().is_none_or(|e| e.is_empty()) => Verdict::Uncertain,
        Err(e) => Verdict::Invalid(e),
        Ok(()) => Verdict::Valid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_postgres_accepts() {
        for ok in ["1", "-0.5e+10", "\"a\\u00e9\\n\"", "[]", "{}", " {\"a\": [1, true, null, false, {\"b\": \"c\"}]} ", "\"\\ud83d\\ude00\"", "0", "\"\\/\""] {
            assert_eq!(check(ok, true), Verdict::Valid, "{ok}");
            assert_eq!(check(ok, false), Verdict::Valid, "{ok}");
        }
        for bad in ["", "01", "1.", ".5", "+1", "1e", "tru", "True", "[1,]", "{\"a\" 1}", "{1: 2}", "\"a", "\"\t\"", "\"\\x\"", "\"\\u12\"", "1 2", "NaN", "[", "nul", "1x", "-"] {
            assert!(matches!(check(bad, true), Verdict::Invalid(_)), "{bad}");
            assert!(matches!(check(bad, false), Verdict::Invalid(_)), "{bad}");
        }
    }

    #[test]
    fn jsonb_decodes_what_json_keeps() {
        // json accepts these as written; jsonb refuses them.
        for text in ["\"\\u0000\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83dx\"", "1e1000000"] {
            assert_eq!(check(text, false), Verdict::Valid, "{text}");
            assert!(matches!(check(text, true), Verdict::Invalid(_)), "{text}");
        }
    }

    #[test]
    fn extreme_nesting_is_left_to_postgres() {
        let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
        assert_eq!(check(&deep, true), Verdict::Uncertain);
        assert_eq!(check(&format!("{}{}", "[".repeat(100), "]".repeat(100)), true), Verdict::Valid);
    }
}
