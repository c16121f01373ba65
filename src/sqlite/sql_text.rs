//! Reading the parts of SQLite's stored CREATE statements that no PRAGMA reports:
//! CHECK constraints, generated-column expressions, and the key expressions and WHERE
//! clause of an index. A tokenizer that knows SQLite's quoting and comments, and a
//! splitter at top-level commas; no full SQL grammar is needed for these.

/// One SQLite token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A bare word: keyword or identifier (SQLite decides which by context).
    Word(String),
    /// An identifier in "double quotes", `backticks` or [brackets].
    Quoted(String),
    /// A 'string literal', unescaped.
    Str(String),
    /// A blob literal X'hex', the hex digits.
    Blob(String),
    Number(String),
    /// Punctuation and operators: ( ) , . ; || == != <> <= >= << >> = < > + - * / % & | ~
    Op(String),
}

impl Token {
    /// Is this the bare word `kw` (case-insensitively)?
    pub fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(kw))
    }
    pub fn is_op(&self, op: &str) -> bool {
        matches!(self, Token::Op(o) if o == op)
    }
    /// The name this token gives when it names a column or table (bare or quoted).
    pub fn name(&self) -> Option<&str> {
        match self {
            Token::Word(w) | Token::Quoted(w) => Some(w),
            // SQLite accepts 'name' where an identifier is expected.
            Token::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Split SQL text into tokens, skipping whitespace and comments.
pub fn tokenize(sql: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    // Read a quoted run ending at `close`, where a doubled `close` is an escaped one.
    let quoted = |i: &mut usize, close: char, doubling: bool| -> Result<String, String> {
        let mut out = String::new();
        *i += 1;
        loop {
            let c = *chars.get(*i).ok_or_else(|| format!("unterminated quote {close}"))?;
            *i += 1;
            if c == close {
                if doubling && chars.get(*i) == Some(&close) {
                    out.push(close);
                    *i += 1;
                    continue;
                }
                return Ok(out);
            }
            out.push(c);
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if (c == 'x' || c == 'X') && chars.get(i + 1) == Some(&'\'') {
            i += 1;
            tokens.push(Token::Blob(quoted(&mut i, '\'', false)?));
        } else if c == '\'' {
            tokens.push(Token::Str(quoted(&mut i, '\'', true)?));
        } else if c == '"' {
            tokens.push(Token::Quoted(quoted(&mut i, '"', true)?));
        } else if c == '`' {
            tokens.push(Token::Quoted(quoted(&mut i, '`', true)?));
        } else if c == '[' {
            tokens.push(Token::Quoted(quoted(&mut i, ']', false)?));
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            while i < chars.len() {
                let d = chars[i];
                let exponent_sign = (d == '+' || d == '-') && matches!(chars[i - 1], 'e' | 'E') && !chars[start..i].iter().any(|c| matches!(c, 'x' | 'X'));
                if d.is_ascii_alphanumeric() || d == '.' || d == '_' || exponent_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            tokens.push(Token::Number(chars[start..i].iter().collect()));
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if ["||", "==", "!=", "<>", "<=", ">=", "<<", ">>"].contains(&two.as_str()) {
                tokens.push(Token::Op(two));
                i += 2;
            } else if "(),.;=<>+-*/%&|~".contains(c) {
                tokens.push(Token::Op(c.to_string()));
                i += 1;
            } else {
                return Err(format!("unexpected character {c:?}"));
            }
        }
    }
    Ok(tokens)
}

/// The index of the `)` matching the `(` at `open`.
pub fn matching_paren(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        if t.is_op("(") {
            depth += 1;
        } else if t.is_op(")") {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Split at commas outside parentheses.
pub fn split_top_level(tokens: &[Token]) -> Vec<Vec<Token>> {
    let mut parts = vec![Vec::new()];
    let mut depth = 0i32;
    for t in tokens {
        if t.is_op("(") {
            depth += 1;
        } else if t.is_op(")") {
            depth -= 1;
        }
        if depth == 0 && t.is_op(",") {
            parts.push(Vec::new());
        } else {
            parts.last_mut().expect("never empty").push(t.clone());
        }
    }
    parts.retain(|p| !p.is_empty());
    parts
}

/// A CHECK constraint: its name (CONSTRAINT x CHECK ...) and expression tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: Option<String>,
    /// The column it was declared on, for column constraints.
    pub column: Option<String>,
    pub expr: Vec<Token>,
}

/// A generated column's expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub column: String,
    pub expr: Vec<Token>,
    pub stored: bool,
}

/// A foreign key's clauses that SQLite's pragmas do not report: whether it may be
/// deferred, and whether it is by default (Django declares every one `DEFERRABLE
/// INITIALLY DEFERRED`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyClause {
    pub columns: Vec<String>,
    pub deferrable: bool,
    pub initially_deferred: bool,
}

/// What liteport reads from a CREATE TABLE statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateTable {
    pub checks: Vec<Check>,
    pub generated: Vec<Generated>,
    pub foreign_keys: Vec<ForeignKeyClause>,
}

/// The deferral words after a REFERENCES clause starting at `from`.
fn deferral(item: &[Token], from: usize) -> (bool, bool) {
    let mut deferrable = false;
    let mut deferred = false;
    let mut i = from;
    while i < item.len() {
        if item[i].is_kw("NOT") && item.get(i + 1).is_some_and(|t| t.is_kw("DEFERRABLE")) {
            deferrable = false;
            i += 2;
            continue;
        }
        if item[i].is_kw("DEFERRABLE") {
            deferrable = true;
        }
        if item[i].is_kw("INITIALLY") {
            deferred = item.get(i + 1).is_some_and(|t| t.is_kw("DEFERRED"));
        }
        i += 1;
    }
    (deferrable, deferrable && deferred)
}

const TABLE_CONSTRAINT_WORDS: &[&str] = &["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

/// CHECK constraints and generated columns of a `CREATE TABLE name (...)` statement.
pub fn parse_create_table(sql: &str) -> Result<CreateTable, String> {
    let tokens = tokenize(sql)?;
    let open = tokens.iter().position(|t| t.is_op("(")).ok_or("no column list")?;
    let close = matching_paren(&tokens, open).ok_or("unbalanced parentheses")?;
    let mut out = CreateTable::default();
    for item in split_top_level(&tokens[open + 1..close]) {
        let is_table_constraint = TABLE_CONSTRAINT_WORDS.iter().any(|w| item[0].is_kw(w));
        let column = if is_table_constraint { None } else { item[0].name().map(str::to_string) };
        let mut constraint_name = None;
        // Foreign keys: a column's REFERENCES, or FOREIGN KEY (columns) REFERENCES.
        if let Some(r) = item.iter().position(|t| t.is_kw("REFERENCES")) {
            let columns = if item[0].is_kw("FOREIGN") || (item[0].is_kw("CONSTRAINT") && item.get(2).is_some_and(|t| t.is_kw("FOREIGN"))) {
                let open = item.iter().position(|t| t.is_op("(")).filter(|&o| o < r);
                open.and_then(|o| matching_paren(&item, o).map(|c| (o, c)))
                    .map(|(o, c)| item[o + 1..c].iter().filter_map(|t| t.name().map(str::to_string)).collect())
                    .unwrap_or_default()
            } else {
                column.iter().cloned().collect()
            };
            let (deferrable, initially_deferred) = deferral(&item, r);
            out.foreign_keys.push(ForeignKeyClause { columns, deferrable, initially_deferred });
        }
        let mut i = if is_table_constraint { 0 } else { 1 };
        while i < item.len() {
            if item[i].is_kw("CONSTRAINT") {
                constraint_name = item.get(i + 1).and_then(|t| t.name()).map(str::to_string);
                i += 2;
                continue;
            }
            let starts_check = item[i].is_kw("CHECK") && item.get(i + 1).is_some_and(|t| t.is_op("("));
            let starts_generated = column.is_some() && item[i].is_kw("AS") && item.get(i + 1).is_some_and(|t| t.is_op("("));
            if starts_check || starts_generated {
                let close = matching_paren(&item, i + 1).ok_or("unbalanced parentheses")?;
                let expr = item[i + 2..close].to_vec();
                if starts_check {
                    out.checks.push(Check { name: constraint_name.take(), column: column.clone(), expr });
                } else {
                    let stored = item.get(close + 1).is_some_and(|t| t.is_kw("STORED"));
                    out.generated.push(Generated { column: column.clone().expect("checked"), expr, stored });
                }
                i = close + 1;
                continue;
            }
            i += 1;
        }
    }
    Ok(out)
}

/// What liteport reads from a CREATE INDEX statement: each key's expression tokens
/// (COLLATE and ASC/DESC removed; PRAGMA index_xinfo reports those) and the WHERE
/// clause of a partial index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateIndex {
    pub keys: Vec<Vec<Token>>,
    pub where_clause: Option<Vec<Token>>,
}

pub fn parse_create_index(sql: &str) -> Result<CreateIndex, String> {
    let tokens = tokenize(sql)?;
    let on = tokens.iter().position(|t| t.is_kw("ON")).ok_or("no ON clause")?;
    let open = tokens[on..].iter().position(|t| t.is_op("(")).ok_or("no key list")? + on;
    let close = matching_paren(&tokens, open).ok_or("unbalanced parentheses")?;
    let keys = split_top_level(&tokens[open + 1..close])
        .into_iter()
        .map(|mut key| {
            if key.last().is_some_and(|t| t.is_kw("ASC") || t.is_kw("DESC")) {
                key.pop();
            }
            if key.len() >= 2 && key[key.len() - 2].is_kw("COLLATE") {
                key.truncate(key.len() - 2);
            }
            key
        })
        .collect();
    let rest = &tokens[close + 1..];
    let where_clause = match rest.iter().position(|t| t.is_kw("WHERE")) {
        Some(w) => {
            let mut clause = rest[w + 1..].to_vec();
            if clause.last().is_some_and(|t| t.is_op(";")) {
                clause.pop();
            }
            Some(clause)
        }
        None => None,
    };
    Ok(CreateIndex { keys, where_clause })
}

/// Tokens back to SQLite text, for notes that show what was not translated.
pub fn render(tokens: &[Token]) -> String {
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        let text = match t {
            Token::Word(w) | Token::Number(w) | Token::Op(w) => w.clone(),
            Token::Quoted(q) => format!("\"{}\"", q.replace('"', "\"\"")),
            Token::Str(s) => format!("'{}'", s.replace('\'', "''")),
            Token::Blob(b) => format!("X'{b}'"),
        };
        let no_space_before = matches!(t, Token::Op(o) if o == ")" || o == "," || o == ".")
            || (i > 0 && matches!(&tokens[i - 1], Token::Op(o) if o == "(" || o == "."))
            || (t.is_op("(") && i > 0 && matches!(tokens[i - 1], Token::Word(_)));
        if i > 0 && !no_space_before {
            out.push(' ');
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_know_every_quoting_style_and_comments() {
        let t = tokenize("SELECT [a b], `c``d`, \"e\"\"f\", 'it''s', X'00ff', 1.5e-3 -- note\n /* x */ >= 2").unwrap();
        assert_eq!(
            t,
            vec![
                Token::Word("SELECT".into()),
                Token::Quoted("a b".into()),
                Token::Op(",".into()),
                Token::Quoted("c`d".into()),
                Token::Op(",".into()),
                Token::Quoted("e\"f".into()),
                Token::Op(",".into()),
                Token::Str("it's".into()),
                Token::Op(",".into()),
                Token::Blob("00ff".into()),
                Token::Op(",".into()),
                Token::Number("1.5e-3".into()),
                Token::Op(">=".into()),
                Token::Number("2".into()),
            ]
        );
        assert!(tokenize("'open").is_err());
    }

    #[test]
    fn create_table_yields_checks_and_generated_columns() {
        let sql = "CREATE TABLE [Order Details](
            [Discount] REAL NOT NULL DEFAULT 0 CHECK ([Discount] >= (0)),
            qty INT CONSTRAINT qty_positive CHECK (qty > 0),
            total INT GENERATED ALWAYS AS (qty * 2) STORED,
            half INT AS (qty / 2),
            CONSTRAINT pk PRIMARY KEY (qty),
            CHECK (qty < 1000 AND [Discount] <= 1)
        )";
        let ct = parse_create_table(sql).unwrap();
        assert_eq!(ct.checks.len(), 3);
        assert_eq!(ct.checks[0].column.as_deref(), Some("Discount"));
        assert_eq!(render(&ct.checks[0].expr), "\"Discount\" >= (0)");
        assert_eq!(ct.checks[1].name.as_deref(), Some("qty_positive"));
        assert_eq!(ct.checks[2].column, None);
        assert_eq!(render(&ct.checks[2].expr), "qty < 1000 AND \"Discount\" <= 1");
        assert_eq!(ct.generated.len(), 2);
        assert!(ct.generated[0].stored && !ct.generated[1].stored);
        assert_eq!(render(&ct.generated[1].expr), "qty / 2");
    }

    #[test]
    fn create_index_yields_keys_and_where() {
        let ix = parse_create_index("CREATE UNIQUE INDEX i ON t (lower(name) COLLATE NOCASE DESC, b) WHERE deleted IS NULL;").unwrap();
        assert_eq!(ix.keys.len(), 2);
        assert_eq!(render(&ix.keys[0]), "lower(name)");
        assert_eq!(render(ix.where_clause.as_ref().unwrap()), "deleted IS NULL");
        assert_eq!(parse_create_index("CREATE INDEX j ON t(a)").unwrap().where_clause, None);
    }
}
