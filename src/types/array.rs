//! JSON arrays into Postgres arrays: ORMs store a list in SQLite as JSON text
//! (`["a", "b"]`, `[1, 2.50]`), and a Postgres schema declares `text[]` or `integer[]`.
//! The JSON array is rewritten as an array literal (`{"a","b"}`, `{"1","2.50"}`),
//! which the array type's own input function then reads element by element: numbers
//! keep their digits as written, strings are unescaped, `null` is NULL, nested arrays
//! are dimensions. Objects are not array elements (an error).

/// The Postgres array literal for a JSON array, or why it is not one.
pub fn json_array_literal(text: &str) -> Result<String, String> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    p.ws();
    let mut out = String::with_capacity(text.len() + 2);
    p.array(&mut out, 0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("text after the JSON array at byte {}", p.i));
    }
    Ok(out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn array(&mut self, out: &mut String, depth: usize) -> Result<(), String> {
        if depth > 6 {
            return Err("more than 6 nested arrays (Postgres's limit)".into());
        }
        if self.s.get(self.i) != Some(&b'[') {
            return Err(format!("not a JSON array at byte {}", self.i));
        }
        self.i += 1;
        out.push('{');
        self.ws();
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
            out.push('}');
            return Ok(());
        }
        loop {
            self.ws();
            match self.s.get(self.i) {
                Some(b'[') => self.array(out, depth + 1)?,
                Some(b'"') => {
                    let s = self.string()?;
                    out.push('"');
                    for c in s.chars() {
                        if c == '"' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push('"');
                }
                Some(b'{') => return Err(format!("a JSON object at byte {} is not an array element", self.i)),
                Some(_) => {
                    let start = self.i;
                    while self.s.get(self.i).is_some_and(|b| !matches!(b, b',' | b']' | b' ' | b'\t' | b'\n' | b'\r')) {
                        self.i += 1;
                    }
                    let token = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| "not UTF-8".to_string())?;
                    match token {
                        "null" => out.push_str("NULL"),
                        "true" | "false" => out.push_str(token),
                        t if super::decimal::shape(t).is_some() && !t.starts_with('+') && !t.starts_with('.') => {
                            out.push('"');
                            out.push_str(t);
                            out.push('"');
                        }
                        t => return Err(format!("\"{t}\" is not a JSON value")),
                    }
                }
                None => return Err("the JSON array does not end".into()),
            }
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => {
                    self.i += 1;
                    out.push(',');
                }
                Some(b']') => {
                    self.i += 1;
                    out.push('}');
                    return Ok(());
                }
                _ => return Err(format!("expected , or ] at byte {}", self.i)),
            }
        }
    }

    /// A JSON string, unescaped.
    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.s.get(self.i).is_some_and(|b| *b != b'"' && *b != b'\\') {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).map_err(|_| "not UTF-8".to_string())?);
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let c = *self.s.get(self.i + 1).ok_or("a string that does not end")?;
                    self.i += 2;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hex = |p: &mut Self| -> Result<u32, String> {
                                let h = p.s.get(p.i..p.i + 4).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u32::from_str_radix(h, 16).ok()).ok_or("a bad \\u escape")?;
                                p.i += 4;
                                Ok(h)
                            };
                            let mut code = hex(self)?;
                            if (0xd800..0xdc00).contains(&code) && self.s.get(self.i..self.i + 2) == Some(b"\\u") {
                                self.i += 2;
                                let low = hex(self)?;
                                code = 0x10000 + ((code - 0xd800) << 10) + (low.wrapping_sub(0xdc00) & 0x3ff);
                            }
                            if code == 0 {
                                return Err("\\u0000, which Postgres text cannot hold".into());
                            }
                            out.push(char::from_u32(code).ok_or("a bad \\u escape")?);
                        }
                        _ => return Err("a bad escape".into()),
                    }
                }
                _ => return Err("a string that does not end".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_arrays_become_array_literals() {
        assert_eq!(json_array_literal(r#"["a", "b c", "q\"uote", "back\\slash"]"#).unwrap(), r#"{"a","b c","q\"uote","back\\slash"}"#);
        assert_eq!(json_array_literal("[1, 2.50, -3e2, null]").unwrap(), r#"{"1","2.50","-3e2",NULL}"#);
        assert_eq!(json_array_literal("[[1, 2], [3, 4]]").unwrap(), r#"{{"1","2"},{"3","4"}}"#);
        assert_eq!(json_array_literal(" [ ] ").unwrap(), "{}");
        assert_eq!(json_array_literal(r#"["\u00e9\ud83d\ude00"]"#).unwrap(), "{\"é😀\"}");
        assert_eq!(json_array_literal("[true, false]").unwrap(), "{true,false}");
        assert!(json_array_literal(r#"[{"a": 1}]"#).is_err());
        assert!(json_array_literal("[1,").is_err());
        assert!(json_array_literal("[1] x").is_err());
        assert!(json_array_literal("{1,2}").is_err());
    }
}
