//! SQLite expressions (CHECK constraints, generated columns, index keys and WHERE
//! clauses, DEFAULTs) → Postgres expressions, for the subset whose meaning is the
//! same in both. Anything else is refused with a reason, which the plan reports; a
//! guess that changes meaning is worse than an honest "not translated".
//!
//! The SQLite text is parsed into a small syntax tree with SQLite's own operator
//! precedence (https://sqlite.org/lang_expr.html, and `parse.y`'s precedence table),
//! then printed as Postgres SQL that does not depend on `search_path`: the plan's
//! statements are meant to be run by hand, outside liteport's pinned path. So
//!
//! * every operator is written `OPERATOR(pg_catalog.op)`, with each operation in
//!   parentheses (OPERATOR() parses at one precedence for every operator);
//! * constructs that look up an operator implicitly (`IN`, `BETWEEN`, `CASE x WHEN`,
//!   `NULLIF`, `IS [NOT] DISTINCT FROM`, `ILIKE`) are written out with explicit ones;
//! * functions are `pg_catalog.f(...)` (`coalesce`, `greatest` and `least` are
//!   grammar, not functions, and cannot be qualified);
//! * types are grammar keywords (`bigint`, `double precision`, ...) or
//!   `pg_catalog.`-qualified, and collations are `pg_catalog."C"` or `liteport.nocase`.
//!
//! The result has no parentheses around it at the top: callers embed it as
//! `CHECK (e)`, `((e))` for an index key, `GENERATED ALWAYS AS (e)`, `WHERE e`; the
//! DEFAULT of an expression comes parenthesized from `translate_default`.
//!
//! Where SQLite and Postgres give different results the printer writes the
//! expression so that they agree (division by zero gives NULL, integer arithmetic is
//! 64-bit, a condition used as a number is 0/1, multi-argument max/min are NULL when
//! an argument is, CAST(x AS INTEGER) truncates, LIKE folds ASCII case only and has
//! no escape character by default, lower/upper fold ASCII only) or refuses it. What
//! it cannot see is column types (`Columns` holds names only), so three differences
//! remain, all decided by the column mapping rather than by the expression:
//! ordering comparisons (`<`, BETWEEN, max/min) of text follow the Postgres column's
//! collation (the database default for BINARY columns, liteport.nocase for NOCASE),
//! arithmetic on `numeric` columns is exact decimal arithmetic where SQLite's is on
//! 64-bit integers or doubles (5 / 2 is 2 in SQLite, 2.5 on a numeric column), and a
//! column's text form (`col || ''`) is Postgres's (a double 100.0 is '100', a boolean
//! 'true'). Errors Postgres raises where SQLite would not (a bigint overflow, text that
//! is not a number in a CAST) fail the statement rather than change its meaning.

use crate::fdw::import_sql::{pg_ident, pg_literal};
use crate::sqlite::sql_text::{matching_paren, render, tokenize, Token};
use crate::types::{datetime, declared, scalar};

/// Names an expression may use: SQLite column name → Postgres column name.
pub struct Columns<'a> {
    pub names: &'a [(String, String)],
}

impl Columns<'_> {
    fn target(&self, name: &str) -> Option<&str> {
        self.names.iter().find(|(s, _)| s.eq_ignore_ascii_case(name)).map(|(_, t)| t.as_str())
    }
}

/// Translate an expression. `Err` says why it cannot be.
pub fn translate(tokens: &[Token], columns: &Columns) -> Result<String, String> {
    let expr = parse(tokens, columns, Mode::Expression)?;
    Ok(print(&expr)?.text)
}

/// NOCASE keeps its case-insensitive meaning through liteport's ICU collation.
pub fn collation(name: &str) -> Result<&'static str, String> {
    match name.to_ascii_uppercase().as_str() {
        "NOCASE" => crate::pg_compat::nocase_collation().ok_or_else(|| "collation NOCASE needs ICU, which this PostgreSQL was built without".to_string()),
        "BINARY" => Ok(BINARY),
        other => Err(format!("collation {other} has no Postgres equivalent")),
    }
}

/// Byte order, as SQLite's BINARY.
const BINARY: &str = "pg_catalog.\"C\"";

// ---------------------------------------------------------------------------
// Syntax tree
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    /// A column, by its Postgres name.
    Column(String),
    Int(i64),
    /// A REAL literal, as SQLite wrote it (sign included).
    Real(String),
    Str(String),
    /// A blob literal's hex digits.
    Blob(String),
    Null,
    /// TRUE / FALSE (the integers 1 and 0 in SQLite).
    Bool(bool),
    Unary(Unary, Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a IS b`, `a IS NOT b` (and `IS [NOT] DISTINCT FROM`, its other spelling).
    Is { negated: bool, left: Box<Expr>, right: Box<Expr> },
    /// `x IS [NOT] NULL`, `ISNULL`, `NOTNULL`, `NOT NULL`.
    IsNull { negated: bool, expr: Box<Expr> },
    /// `x IS [NOT] TRUE|FALSE`: a truth test, not a comparison with 1 or 0.
    Truth { negated: bool, value: bool, expr: Box<Expr> },
    Like { negated: bool, expr: Box<Expr>, pattern: Box<Expr>, escape: Option<Box<Expr>> },
    Between { negated: bool, expr: Box<Expr>, low: Box<Expr>, high: Box<Expr> },
    In { negated: bool, expr: Box<Expr>, list: Vec<Expr> },
    Case { base: Option<Box<Expr>>, whens: Vec<(Expr, Expr)>, otherwise: Option<Box<Expr>> },
    Cast { expr: Box<Expr>, type_name: String },
    /// A function call; the name in lower case.
    Call { name: String, args: Vec<Expr> },
    Collate { expr: Box<Expr>, collation: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unary {
    Neg,
    Pos,
    BitNot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BinOp {
    Concat,
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    BitAnd,
    BitOr,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinOp {
    /// The pg_catalog operator.
    fn symbol(self) -> &'static str {
        match self {
            BinOp::Concat => "||",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "=",
            BinOp::Ne => "<>",
            BinOp::And => "AND",
            BinOp::Or => "OR",
        }
    }
}

// ---------------------------------------------------------------------------
// Parser: precedence climbing over SQLite's precedence table (parse.y), loosest
// first. Binary operators are left-associative; `x BETWEEN a AND b`, `IS`, `IN`,
// `LIKE`, `ISNULL`, `NOTNULL` and `NOT NULL` share the level of `=`.
// ---------------------------------------------------------------------------

const BP_OR: u8 = 1;
const BP_AND: u8 = 2;
const BP_NOT: u8 = 3;
const BP_EQUALITY: u8 = 4;
const BP_COMPARISON: u8 = 5;
const BP_BITWISE: u8 = 7;
const BP_ADD: u8 = 8;
const BP_MUL: u8 = 9;
const BP_CONCAT: u8 = 10;
const BP_COLLATE: u8 = 11;
/// Unary `-`, `+` and `~` bind tighter than COLLATE (parse.y: `%right BITNOT`).
const BP_UNARY: u8 = 12;

/// Deeper nesting is refused rather than risking the backend's stack (SQLite itself
/// stops at 1000 levels).
const MAX_DEPTH: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// CHECK, generated column, index key or WHERE clause: columns may be named.
    Expression,
    /// A DEFAULT: SQLite allows no column there.
    Default,
}

/// What follows an operand.
enum Infix {
    Binary(BinOp),
    Is,
    IsNull { negated: bool },
    In { negated: bool },
    Like { negated: bool },
    Between { negated: bool },
    Collate,
}

struct Parser<'t, 'c> {
    tokens: &'t [Token],
    pos: usize,
    columns: &'c Columns<'c>,
    mode: Mode,
    depth: usize,
}

fn parse(tokens: &[Token], columns: &Columns, mode: Mode) -> Result<Expr, String> {
    if tokens.is_empty() {
        return Err("empty expression".into());
    }
    if tokens.iter().any(|t| t.is_op(";")) {
        return Err("more than one statement".into());
    }
    let mut p = Parser { tokens, pos: 0, columns, mode, depth: 0 };
    let e = p.expr(0)?;
    match p.peek() {
        None => Ok(e),
        Some(t) => Err(format!("unexpected {}", render(std::slice::from_ref(t)))),
    }
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.pos + ahead)
    }

    fn peek_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_kw(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.peek_kw(kw);
        self.pos += yes as usize;
        yes
    }

    fn eat_op(&mut self, op: &str) -> bool {
        let yes = self.peek().is_some_and(|t| t.is_op(op));
        self.pos += yes as usize;
        yes
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), String> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(format!("expected {kw}{}", self.found()))
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<(), String> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(format!("expected {op}{}", self.found()))
        }
    }

    fn found(&self) -> String {
        match self.peek() {
            Some(t) => format!(", found {}", render(std::slice::from_ref(t))),
            None => " at the end".into(),
        }
    }

    /// An expression whose operators all bind at least as tightly as `min_bp`.
    fn expr(&mut self, min_bp: u8) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("the expression is nested too deeply".into());
        }
        let mut left = self.prefix()?;
        while let Some((op, bp, len)) = self.infix()? {
            if bp < min_bp {
                break;
            }
            self.pos += len;
            left = self.apply(op, bp, left)?;
        }
        self.depth -= 1;
        Ok(left)
    }

    /// The operator at the current position, its binding power and its length in tokens.
    fn infix(&self) -> Result<Option<(Infix, u8, usize)>, String> {
        let Some(t) = self.peek() else { return Ok(None) };
        let next = self.peek_at(1);
        let binary = |op, bp| Ok(Some((Infix::Binary(op), bp, 1)));
        match t {
            Token::Op(o) => match o.as_str() {
                "||" => binary(BinOp::Concat, BP_CONCAT),
                // The tokenizer splits `->` and `->>`; a `-` directly followed by `>`
                // cannot be anything else.
                "-" if next.is_some_and(|n| n.is_op(">") || n.is_op(">>")) => Err("the JSON operators -> and ->> have no Postgres equivalent with the same semantics".into()),
                "*" => binary(BinOp::Mul, BP_MUL),
                "/" => binary(BinOp::Div, BP_MUL),
                "%" => binary(BinOp::Rem, BP_MUL),
                "+" => binary(BinOp::Add, BP_ADD),
                "-" => binary(BinOp::Sub, BP_ADD),
                "&" => binary(BinOp::BitAnd, BP_BITWISE),
                "|" => binary(BinOp::BitOr, BP_BITWISE),
                "<<" => binary(BinOp::Shl, BP_BITWISE),
                ">>" => binary(BinOp::Shr, BP_BITWISE),
                "<" => binary(BinOp::Lt, BP_COMPARISON),
                "<=" => binary(BinOp::Le, BP_COMPARISON),
                ">" => binary(BinOp::Gt, BP_COMPARISON),
                ">=" => binary(BinOp::Ge, BP_COMPARISON),
                "=" | "==" => binary(BinOp::Eq, BP_EQUALITY),
                "!=" | "<>" => binary(BinOp::Ne, BP_EQUALITY),
                _ => Ok(None),
            },
            Token::Word(w) => {
                let negated_op = |op: Infix| Ok(Some((op, BP_EQUALITY, 2)));
                match w.to_ascii_uppercase().as_str() {
                    "OR" => binary(BinOp::Or, BP_OR),
                    "AND" => binary(BinOp::And, BP_AND),
                    "IS" => Ok(Some((Infix::Is, BP_EQUALITY, 1))),
                    "ISNULL" => Ok(Some((Infix::IsNull { negated: false }, BP_EQUALITY, 1))),
                    "NOTNULL" => Ok(Some((Infix::IsNull { negated: true }, BP_EQUALITY, 1))),
                    "IN" => Ok(Some((Infix::In { negated: false }, BP_EQUALITY, 1))),
                    "LIKE" => Ok(Some((Infix::Like { negated: false }, BP_EQUALITY, 1))),
                    "BETWEEN" => Ok(Some((Infix::Between { negated: false }, BP_EQUALITY, 1))),
                    "COLLATE" => Ok(Some((Infix::Collate, BP_COLLATE, 1))),
                    kw @ ("GLOB" | "REGEXP" | "MATCH") => Err(no_equivalent(kw)),
                    "NOT" => match next.map(|n| if let Token::Word(n) = n { n.to_ascii_uppercase() } else { String::new() }).as_deref() {
                        Some("NULL") => negated_op(Infix::IsNull { negated: true }),
                        Some("IN") => negated_op(Infix::In { negated: true }),
                        Some("LIKE") => negated_op(Infix::Like { negated: true }),
                        Some("BETWEEN") => negated_op(Infix::Between { negated: true }),
                        Some(kw @ ("GLOB" | "REGEXP" | "MATCH")) => Err(no_equivalent(&format!("NOT {kw}"))),
                        _ => Err(format!("unexpected NOT after an operand{}", self.found())),
                    },
                    _ => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }

    fn apply(&mut self, op: Infix, bp: u8, left: Expr) -> Result<Expr, String> {
        let left = Box::new(left);
        Ok(match op {
            Infix::Binary(op) => Expr::Binary(op, left, Box::new(self.expr(bp + 1)?)),
            Infix::IsNull { negated } => Expr::IsNull { negated, expr: left },
            Infix::Is => {
                let mut negated = self.eat_kw("NOT");
                if self.eat_kw("DISTINCT") {
                    self.expect_kw("FROM")?;
                    negated = !negated;
                }
                match self.expr(bp + 1)? {
                    Expr::Null => Expr::IsNull { negated, expr: left },
                    Expr::Bool(value) => Expr::Truth { negated, value, expr: left },
                    right if *left == Expr::Null => Expr::IsNull { negated, expr: Box::new(right) },
                    right => Expr::Is { negated, left, right: Box::new(right) },
                }
            }
            Infix::In { negated } => {
                if !self.eat_op("(") {
                    return Err("IN a table or a table-valued function is not translated".into());
                }
                if ["SELECT", "WITH", "VALUES"].iter().any(|kw| self.peek_kw(kw)) {
                    return Err("IN (SELECT ...): subqueries are not translated".into());
                }
                let list = if self.eat_op(")") { Vec::new() } else { self.list()? };
                Expr::In { negated, expr: left, list }
            }
            Infix::Like { negated } => {
                let pattern = Box::new(self.expr(bp + 1)?);
                let escape = if self.eat_kw("ESCAPE") { Some(Box::new(self.expr(bp + 1)?)) } else { None };
                Expr::Like { negated, expr: left, pattern, escape }
            }
            Infix::Between { negated } => {
                let low = Box::new(self.expr(BP_NOT)?);
                self.expect_kw("AND")?;
                let high = Box::new(self.expr(bp + 1)?);
                Expr::Between { negated, expr: left, low, high }
            }
            Infix::Collate => {
                let name = self.peek().and_then(|t| t.name()).ok_or("COLLATE without a name")?.to_string();
                self.pos += 1;
                Expr::Collate { expr: left, collation: name }
            }
        })
    }

    /// `a, b, c)`: expressions up to and including the closing parenthesis.
    fn list(&mut self) -> Result<Vec<Expr>, String> {
        let mut items = vec![self.expr(0)?];
        while self.eat_op(",") {
            items.push(self.expr(0)?);
        }
        self.expect_op(")")?;
        Ok(items)
    }

    fn prefix(&mut self) -> Result<Expr, String> {
        let t = self.peek().ok_or("the expression ends too early")?.clone();
        self.pos += 1;
        match t {
            Token::Number(n) => number(&n),
            Token::Str(s) => Ok(Expr::Str(s)),
            Token::Blob(hex) => blob(&hex).map(|()| Expr::Blob(hex)),
            Token::Word(w) => self.word(&w),
            Token::Quoted(q) => self.column(&q, true),
            Token::Op(o) => match o.as_str() {
                "-" => Ok(negate(self.expr(BP_UNARY)?)),
                "+" => Ok(match self.expr(BP_UNARY)? {
                    // Unary plus does nothing to a literal.
                    e @ (Expr::Int(_) | Expr::Real(_) | Expr::Str(_) | Expr::Blob(_) | Expr::Null) => e,
                    e => Expr::Unary(Unary::Pos, Box::new(e)),
                }),
                "~" => Ok(Expr::Unary(Unary::BitNot, Box::new(self.expr(BP_UNARY)?))),
                "(" => {
                    if ["SELECT", "WITH", "VALUES"].iter().any(|kw| self.peek_kw(kw)) {
                        return Err("subqueries are not translated".into());
                    }
                    let e = self.expr(0)?;
                    if self.peek().is_some_and(|t| t.is_op(",")) {
                        return Err("row values are not translated".into());
                    }
                    self.expect_op(")")?;
                    Ok(e)
                }
                other => Err(format!("unexpected {other}")),
            },
        }
    }

    fn word(&mut self, w: &str) -> Result<Expr, String> {
        let upper = w.to_ascii_uppercase();
        let call = self.peek().is_some_and(|t| t.is_op("("));
        match upper.as_str() {
            "NOT" => Ok(Expr::Not(Box::new(self.expr(BP_NOT)?))),
            "NULL" => Ok(Expr::Null),
            "CASE" => self.case(),
            "CAST" if call => self.cast(),
            "EXISTS" | "SELECT" | "WITH" | "VALUES" => Err("subqueries are not translated".into()),
            "RAISE" => Err("RAISE() belongs in triggers".into()),
            "CURRENT_TIMESTAMP" | "CURRENT_DATE" | "CURRENT_TIME" => Err(format!("{upper} yields text in SQLite and a typed value in Postgres")),
            // A column named "true" wins over the keyword, as in SQLite.
            "TRUE" | "FALSE" if !call && self.columns.target(w).is_none() => Ok(Expr::Bool(upper == "TRUE")),
            _ if call => self.call(w),
            _ => self.column(w, false),
        }
    }

    /// `name`, `table.name` or `schema.table.name`: only the table's own columns can
    /// appear in its expressions, so the qualifiers are dropped.
    fn column(&mut self, first: &str, quoted: bool) -> Result<Expr, String> {
        let mut name = first.to_string();
        while self.peek().is_some_and(|t| t.is_op(".")) {
            match self.peek_at(1) {
                Some(Token::Word(n) | Token::Quoted(n)) => {
                    name = n.clone();
                    self.pos += 2;
                }
                _ => return Err(format!("unexpected .{}", self.found())),
            }
        }
        if self.mode == Mode::Default {
            return Err(format!("a DEFAULT cannot refer to a column (\"{name}\")"));
        }
        match self.columns.target(&name) {
            Some(target) => Ok(Expr::Column(target.to_string())),
            // With SQLite's legacy double-quoted strings, "x" that names no column is
            // the text 'x'; whether it was depends on how SQLite was built.
            None if quoted && first == name => Err(format!("unknown column \"{name}\" (SQLite may have read it as the string '{name}')")),
            None => Err(format!("unknown name {name}")),
        }
    }

    fn call(&mut self, name: &str) -> Result<Expr, String> {
        self.expect_op("(")?;
        if self.peek().is_some_and(|t| t.is_op("*")) || self.peek_kw("DISTINCT") {
            return Err(format!("aggregate {name}() is not translated"));
        }
        let args = if self.eat_op(")") { Vec::new() } else { self.list()? };
        if self.peek_kw("FILTER") || self.peek_kw("OVER") {
            return Err(format!("aggregate or window function {name}() is not translated"));
        }
        Ok(Expr::Call { name: name.to_ascii_lowercase(), args })
    }

    fn case(&mut self) -> Result<Expr, String> {
        if self.peek_kw("END") {
            return Err("CASE without WHEN".into());
        }
        let base = if self.peek_kw("WHEN") { None } else { Some(Box::new(self.expr(0)?)) };
        let mut whens = Vec::new();
        while self.eat_kw("WHEN") {
            let condition = self.expr(0)?;
            self.expect_kw("THEN")?;
            whens.push((condition, self.expr(0)?));
        }
        if whens.is_empty() {
            return Err(format!("CASE without WHEN{}", self.found()));
        }
        let otherwise = if self.eat_kw("ELSE") { Some(Box::new(self.expr(0)?)) } else { None };
        self.expect_kw("END")?;
        Ok(Expr::Case { base, whens, otherwise })
    }

    fn cast(&mut self) -> Result<Expr, String> {
        self.expect_op("(")?;
        let expr = Box::new(self.expr(0)?);
        self.expect_kw("AS")?;
        let start = self.pos;
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return Err("CAST without a closing parenthesis".into()),
                Some(t) if t.is_op(")") && depth == 0 => break,
                Some(t) if t.is_op(")") => depth -= 1,
                Some(t) if t.is_op("(") => depth += 1,
                Some(_) => {}
            }
            self.pos += 1;
        }
        let type_name = render(&self.tokens[start..self.pos]);
        self.pos += 1;
        if type_name.is_empty() {
            return Err("CAST without a type".into());
        }
        Ok(Expr::Cast { expr, type_name })
    }
}

fn no_equivalent(what: &str) -> String {
    format!("{what} has no Postgres equivalent with the same semantics")
}

/// A numeric literal, as SQLite reads it: decimal digits that fit 64 bits are an
/// INTEGER, hex is a 64-bit two's complement INTEGER, anything else is a REAL.
fn number(n: &str) -> Result<Expr, String> {
    if let Some(hex) = n.strip_prefix("0x").or_else(|| n.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).map(|v| Expr::Int(v as i64)).map_err(|_| format!("bad hex number {n}"));
    }
    if n.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = n.parse::<i64>() {
            return Ok(Expr::Int(v));
        }
    }
    if !scalar::is_numeric_literal(n) {
        return Err(format!("bad number {n}"));
    }
    // Postgres reads `1.` and `.5` too, but spelled out they are clearer.
    let mut text = n.to_string();
    if text.starts_with('.') {
        text.insert(0, '0');
    }
    if let Some(dot) = text.find('.') {
        if !text[dot + 1..].starts_with(|c: char| c.is_ascii_digit()) {
            text.insert(dot + 1, '0');
        }
    }
    Ok(Expr::Real(text))
}

/// Blob literals must be hex digits in pairs (SQLite refuses anything else).
fn blob(hex: &str) -> Result<(), String> {
    if hex.len().is_multiple_of(2) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!("bad blob literal X'{hex}'"))
    }
}

/// `-x`, with a minus before a numeric literal folded into it (SQLite reads
/// `-9223372036854775808` as the smallest INTEGER).
fn negate(e: Expr) -> Expr {
    match e {
        Expr::Int(v) => match v.checked_neg() {
            Some(n) => Expr::Int(n),
            None => Expr::Real("9223372036854775808".into()),
        },
        Expr::Real(t) if t == "9223372036854775808" => Expr::Int(i64::MIN),
        Expr::Real(t) => Expr::Real(match t.strip_prefix('-') {
            Some(positive) => positive.to_string(),
            None => format!("-{t}"),
        }),
        other => Expr::Unary(Unary::Neg, Box::new(other)),
    }
}

// ---------------------------------------------------------------------------
// Printer
// ---------------------------------------------------------------------------

/// What is known of a value's type without knowing column types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A comparison or logical result: an INTEGER 0/1 in SQLite, a boolean in Postgres.
    Bool,
    Int,
    Real,
    Text,
    Blob,
    Null,
    /// A column, or anything built from one whose type matters.
    Any,
}

impl Kind {
    fn numeric(self) -> bool {
        matches!(self, Kind::Int | Kind::Real)
    }
}

/// How a printed expression combines with what surrounds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Safe anywhere: a name, literal, function call, CAST or CASE.
    Atom,
    /// A negative literal or `x COLLATE c`: safe as an operand of OPERATOR(), but
    /// parenthesized under COLLATE (which binds tighter than unary minus).
    Tight,
    /// Needs parentheses as an operand.
    Loose,
}

/// What a literal is, for simplifications that depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Constant {
    No,
    Null,
    Zero,
    NonZero,
    /// A non-NULL literal that is not a number.
    Other,
}

#[derive(Debug, Clone)]
struct Sql {
    text: String,
    shape: Shape,
    kind: Kind,
    /// Postgres may type it `integer` (integer literals, length(), strpos()): two of
    /// these in `+ - *` would overflow where SQLite's 64-bit arithmetic does not.
    int4: bool,
    /// The value of an integer constant (a literal or arithmetic on literals).
    int_value: Option<i64>,
    /// An explicit collation on it.
    collation: Option<&'static str>,
    constant: Constant,
    /// `A AND B ...` / `A OR B ...` at its top, which the same operator needs no
    /// parentheses around.
    logic: Option<BinOp>,
}

impl Sql {
    fn new(text: String, shape: Shape, kind: Kind) -> Sql {
        Sql { text, shape, kind, int4: false, int_value: None, collation: None, constant: Constant::No, logic: None }
    }

    fn atom(text: impl Into<String>, kind: Kind) -> Sql {
        Sql::new(text.into(), Shape::Atom, kind)
    }

    fn loose(text: String, kind: Kind) -> Sql {
        Sql::new(text, Shape::Loose, kind)
    }

    /// As an operand of an operator.
    fn operand(&self) -> String {
        match self.shape {
            Shape::Loose => format!("({})", self.text),
            _ => self.text.clone(),
        }
    }

    /// As the operand of COLLATE.
    fn tight_operand(&self) -> String {
        match self.shape {
            Shape::Atom => self.text.clone(),
            _ => format!("({})", self.text),
        }
    }

    /// A literal that is not NULL.
    fn non_null_literal(&self) -> bool {
        matches!(self.constant, Constant::Zero | Constant::NonZero | Constant::Other)
    }
}

fn print(e: &Expr) -> Result<Sql, String> {
    Ok(match e {
        Expr::Column(name) => Sql::atom(pg_ident(name), Kind::Any),
        Expr::Int(v) => Sql {
            text: v.to_string(),
            shape: if *v < 0 { Shape::Tight } else { Shape::Atom },
            kind: Kind::Int,
            int4: i32::try_from(*v).is_ok(),
            int_value: Some(*v),
            collation: None,
            constant: if *v == 0 { Constant::Zero } else { Constant::NonZero },
            logic: None,
        },
        // SQLite's REAL is a double; a bare 1.5 would be numeric in Postgres.
        Expr::Real(t) => {
            let zero = t.parse::<f64>().is_ok_and(|f| f == 0.0);
            let text = if t.starts_with('-') { format!("({t})::double precision") } else { format!("{t}::double precision") };
            Sql { constant: if zero { Constant::Zero } else { Constant::NonZero }, ..Sql::atom(text, Kind::Real) }
        }
        Expr::Str(s) => Sql { constant: Constant::Other, ..Sql::atom(pg_literal(s), Kind::Text) },
        Expr::Blob(hex) => Sql { constant: Constant::Other, ..Sql::atom(bytea_literal(hex), Kind::Blob) },
        Expr::Null => Sql { constant: Constant::Null, ..Sql::atom("NULL", Kind::Null) },
        Expr::Bool(b) => Sql { constant: Constant::Other, ..Sql::atom(if *b { "true" } else { "false" }, Kind::Bool) },
        Expr::Unary(op, x) => {
            let x = value(print(x)?);
            let (symbol, kind, int4) = match op {
                Unary::Neg => ("-", if x.kind.numeric() { x.kind } else { Kind::Any }, x.int4),
                Unary::Pos => ("+", x.kind, x.int4),
                Unary::BitNot => ("~", Kind::Int, x.int4),
            };
            // Prefix OPERATOR() binds more loosely than unary minus: always parenthesized.
            Sql { int4, ..Sql::loose(format!("OPERATOR(pg_catalog.{symbol}) {}", x.operand()), kind) }
        }
        Expr::Not(x) => {
            let x = condition(print(x)?)?;
            Sql::loose(format!("NOT {}", x.operand()), Kind::Bool)
        }
        Expr::Binary(op, l, r) => binary(*op, l, r)?,
        Expr::IsNull { negated, expr } => {
            let x = print(expr)?;
            Sql::loose(format!("{} IS {}NULL", x.operand(), if *negated { "NOT " } else { "" }), Kind::Bool)
        }
        Expr::Truth { negated, value, expr } => {
            let x = condition(print(expr)?)?;
            Sql::loose(format!("{} IS {}{}", x.operand(), if *negated { "NOT " } else { "" }, if *value { "TRUE" } else { "FALSE" }), Kind::Bool)
        }
        Expr::Is { negated, left, right } => {
            let (l, r) = comparable(print(left)?, print(right)?)?;
            let eq = format!("({} OPERATOR(pg_catalog.=) {})", l.operand(), r.operand());
            if l.non_null_literal() || r.non_null_literal() {
                // One side is a literal that is not NULL: the two are never both NULL.
                Sql::loose(format!("{eq} IS {}TRUE", if *negated { "NOT " } else { "" }), Kind::Bool)
            } else {
                let same = format!("{eq} IS TRUE OR ({} IS NULL AND {} IS NULL)", l.operand(), r.operand());
                if *negated {
                    Sql::loose(format!("NOT ({same})"), Kind::Bool)
                } else {
                    Sql { logic: Some(BinOp::Or), ..Sql::loose(same, Kind::Bool) }
                }
            }
        }
        Expr::Like { negated, expr, pattern, escape } => like(*negated, expr, pattern, escape.as_deref())?,
        Expr::Between { negated, expr, low, high } => {
            let x = print(expr)?;
            let (x1, low) = comparable(x.clone(), print(low)?)?;
            let (x2, high) = comparable(x, print(high)?)?;
            let (op1, op2, join, logic) = if *negated { ("<", ">", "OR", BinOp::Or) } else { (">=", "<=", "AND", BinOp::And) };
            let text = format!(
                "({} OPERATOR(pg_catalog.{op1}) {}) {join} ({} OPERATOR(pg_catalog.{op2}) {})",
                x1.operand(),
                low.operand(),
                x2.operand(),
                high.operand()
            );
            Sql { logic: Some(logic), ..Sql::loose(text, Kind::Bool) }
        }
        Expr::In { negated, expr, list } => {
            // SQLite: x IN () is false, even for a NULL x.
            if list.is_empty() {
                return Ok(Sql { constant: Constant::Other, ..Sql::atom(if *negated { "true" } else { "false" }, Kind::Bool) });
            }
            let x = print(expr)?;
            let mut tests = Vec::new();
            for item in list {
                let (x, v) = comparable(x.clone(), print(item)?)?;
                tests.push(format!("{} OPERATOR(pg_catalog.=) {}", x.operand(), v.operand()));
            }
            let any = if tests.len() == 1 { tests.remove(0) } else { tests.iter().map(|t| format!("({t})")).collect::<Vec<_>>().join(" OR ") };
            if *negated {
                Sql::loose(format!("NOT ({any})"), Kind::Bool)
            } else {
                Sql { logic: (list.len() > 1).then_some(BinOp::Or), ..Sql::loose(any, Kind::Bool) }
            }
        }
        Expr::Case { base, whens, otherwise } => {
            let base = base.as_deref().map(print).transpose()?;
            let mut conditions = Vec::new();
            let mut results = Vec::new();
            for (w, r) in whens {
                conditions.push(match &base {
                    Some(b) => {
                        let (b, v) = comparable(b.clone(), print(w)?)?;
                        format!("({} OPERATOR(pg_catalog.=) {})", b.operand(), v.operand())
                    }
                    None => condition(print(w)?)?.operand(),
                });
                results.push(print(r)?);
            }
            if let Some(o) = otherwise {
                results.push(print(o)?);
            }
            let (results, kind) = unify(results)?;
            let mut text = String::from("CASE");
            for (c, r) in conditions.iter().zip(&results) {
                text.push_str(&format!(" WHEN {c} THEN {}", r.text));
            }
            if otherwise.is_some() {
                text.push_str(&format!(" ELSE {}", results.last().expect("pushed").text));
            }
            text.push_str(" END");
            Sql::atom(text, kind)
        }
        Expr::Cast { expr, type_name } => cast(expr, type_name)?,
        Expr::Call { name, args } => call(name, args)?,
        Expr::Collate { expr, collation: name } => {
            let x = print(expr)?;
            let c = collation(name)?;
            Sql { collation: Some(c), ..Sql::new(format!("{} COLLATE {c}", x.tight_operand()), Shape::Tight, x.kind) }
        }
    })
}

/// A bytea literal that reads the same whatever standard_conforming_strings says.
fn bytea_literal(hex: &str) -> String {
    format!("{}::pg_catalog.bytea", pg_literal(&format!("\\x{hex}")))
}

/// A value where SQLite would use a comparison's 0/1 as a number.
fn value(s: Sql) -> Sql {
    if s.kind != Kind::Bool {
        return s;
    }
    match s.text.as_str() {
        "true" | "false" => {
            let v = (s.text == "true") as i64;
            Sql { int4: true, int_value: Some(v), constant: if v == 0 { Constant::Zero } else { Constant::NonZero }, ..Sql::atom(v.to_string(), Kind::Int) }
        }
        // An integer, but only ever 0 or 1: nothing to overflow.
        _ => Sql::atom(format!("CAST({} AS integer)", s.text), Kind::Int),
    }
}

/// A condition where SQLite tests a value for truth: a number is true when not zero.
fn condition(s: Sql) -> Result<Sql, String> {
    match s.kind {
        Kind::Bool | Kind::Null | Kind::Any => Ok(s),
        Kind::Int | Kind::Real => Ok(match s.constant {
            Constant::Zero => Sql { constant: Constant::Other, ..Sql::atom("false", Kind::Bool) },
            Constant::NonZero => Sql { constant: Constant::Other, ..Sql::atom("true", Kind::Bool) },
            _ => Sql::loose(format!("{} OPERATOR(pg_catalog.<>) 0", s.operand()), Kind::Bool),
        }),
        Kind::Text | Kind::Blob => Err("a text or blob value used as a condition (SQLite reads a number from its start) is not translated".into()),
    }
}

/// Operands of one comparison: a condition compared with a number becomes 0/1.
fn comparable(a: Sql, b: Sql) -> Result<(Sql, Sql), String> {
    let textual = |k: Kind| matches!(k, Kind::Text | Kind::Blob);
    if (a.kind == Kind::Bool && textual(b.kind)) || (b.kind == Kind::Bool && textual(a.kind)) {
        return Err("a condition compared with text: SQLite compares its 0/1 with the text, which never matches".into());
    }
    Ok(match (a.kind, b.kind) {
        (Kind::Bool, k) if k.numeric() => (value(a), b),
        (k, Kind::Bool) if k.numeric() => (a, value(b)),
        _ => (a, b),
    })
}

/// Values that become one (CASE results, coalesce, max): conditions among numbers
/// become 0/1. Returns them and their common kind.
fn unify(items: Vec<Sql>) -> Result<(Vec<Sql>, Kind), String> {
    let has = |f: &dyn Fn(Kind) -> bool| items.iter().any(|s| f(s.kind));
    if has(&|k| k == Kind::Bool) && has(&|k| matches!(k, Kind::Text | Kind::Blob)) {
        return Err("a condition's 0/1 mixed with text is not translated".into());
    }
    let items: Vec<Sql> = if has(&|k| k == Kind::Bool) && has(&|k| k.numeric()) { items.into_iter().map(value).collect() } else { items };
    let mut kinds = items.iter().map(|s| s.kind).filter(|k| *k != Kind::Null);
    let kind = match kinds.next() {
        None => Kind::Null,
        Some(first) if kinds.all(|k| k == first) => first,
        Some(_) => Kind::Any,
    };
    Ok((items, kind))
}

fn to_bigint(s: Sql) -> Sql {
    Sql::atom(format!("CAST({} AS bigint)", s.text), Kind::Int)
}

fn binary(op: BinOp, l: &Expr, r: &Expr) -> Result<Sql, String> {
    let operator = |l: &Sql, r: &Sql| format!("{} OPERATOR(pg_catalog.{}) {}", l.operand(), op.symbol(), r.operand());
    match op {
        BinOp::And | BinOp::Or => {
            let l = condition(print(l)?)?;
            let r = condition(print(r)?)?;
            let side = |s: &Sql| if s.logic == Some(op) { s.text.clone() } else { s.operand() };
            Ok(Sql { logic: Some(op), ..Sql::loose(format!("{} {} {}", side(&l), op.symbol(), side(&r)), Kind::Bool) })
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => {
            let (l, r) = comparable(print(l)?, print(r)?)?;
            Ok(Sql::loose(operator(&l, &r), Kind::Bool))
        }
        BinOp::Concat => {
            let mut l = value(print(l)?);
            let r = value(print(r)?);
            if l.kind == Kind::Real || r.kind == Kind::Real {
                return Err("|| with a real number: SQLite writes reals with 15 significant digits, Postgres with as many as needed".into());
            }
            if l.kind == Kind::Blob || r.kind == Kind::Blob {
                return Err("|| with a blob: SQLite reads the bytes as text, Postgres concatenates bytea".into());
            }
            // Postgres has no integer || integer.
            if l.kind == Kind::Int && r.kind == Kind::Int {
                l = Sql::atom(format!("CAST({} AS pg_catalog.text)", l.text), Kind::Text);
            }
            Ok(Sql::loose(operator(&l, &r), Kind::Text))
        }
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
            let mut l = value(print(l)?);
            let r = value(print(r)?);
            let both_int4 = l.int4 && r.int4;
            let kind = match (l.kind, r.kind) {
                (Kind::Int, Kind::Int) => Kind::Int,
                (a, b) if a.numeric() && b.numeric() => Kind::Real,
                _ => Kind::Any,
            };
            if matches!(op, BinOp::Div | BinOp::Rem) {
                // Integer division truncates toward zero in both, and % takes the sign
                // of the dividend in both. Division by zero is NULL in SQLite and an
                // error in Postgres: a divisor that may be zero is made NULL first.
                let divisor = match r.constant {
                    Constant::NonZero | Constant::Null => r,
                    Constant::Zero => Sql { constant: Constant::Null, ..Sql::atom("NULL", Kind::Null) },
                    _ => Sql { int4: r.int4, ..Sql::atom(format!("CASE WHEN ({} OPERATOR(pg_catalog.=) 0) THEN NULL ELSE {} END", r.operand(), r.text), r.kind) },
                };
                return Ok(Sql { int4: both_int4, ..Sql::loose(operator(&l, &divisor), kind) });
            }
            // SQLite computes on 64 bits; Postgres on 32 when both sides are `integer`.
            // Constants say whether that matters; anything else is widened.
            let known = match (l.int_value, r.int_value) {
                (Some(a), Some(b)) => Some(match op {
                    BinOp::Add => a.checked_add(b),
                    BinOp::Sub => a.checked_sub(b),
                    _ => a.checked_mul(b),
                }
                .ok_or("integer overflow: SQLite turns the result into a real, Postgres fails")?),
                _ => None,
            };
            let int4 = match known {
                Some(v) => both_int4 && i32::try_from(v).is_ok(),
                None => false,
            };
            if both_int4 && !int4 {
                l = to_bigint(l);
            }
            Ok(Sql { int4, int_value: known, ..Sql::loose(operator(&l, &r), kind) })
        }
        BinOp::BitAnd | BinOp::BitOr => {
            let l = value(print(l)?);
            let r = value(print(r)?);
            Ok(Sql { int4: l.int4 && r.int4, ..Sql::loose(operator(&l, &r), Kind::Int) })
        }
        BinOp::Shl | BinOp::Shr => {
            // SQLite shifts the other way for a negative amount and gives 0 (or -1) from
            // 64 on; Postgres takes the amount modulo 64 (modulo 32 for an integer).
            if !matches!(r, Expr::Int(0..=63)) {
                return Err(format!("{} by an amount other than a constant from 0 to 63: SQLite and Postgres differ outside that range", op.symbol()));
            }
            let Expr::Int(amount) = r else { unreachable!("checked") };
            let l = value(print(l)?);
            // An `integer` shifts modulo 32: widened unless the constant result fits.
            let known = l.int_value.map(|v| if op == BinOp::Shl { ((v as u64) << amount) as i64 } else { v >> amount });
            let int4 = l.int4 && *amount < 32 && known.is_some_and(|v| i32::try_from(v).is_ok());
            let l = if l.int4 && !int4 { to_bigint(l) } else { l };
            Ok(Sql { int4, int_value: known, ..Sql::loose(operator(&l, &print(r)?), Kind::Int) })
        }
    }
}

/// SQLite's LIKE: case-insensitive for ASCII letters only, no escape character unless
/// ESCAPE gives one, and blind to collations. `ILIKE` under the "C" collation folds
/// ASCII only (and runs on liteport.nocase columns, where Postgres refuses ILIKE).
fn like(negated: bool, expr: &Expr, pattern: &Expr, escape: Option<&Expr>) -> Result<Sql, String> {
    fn strip_collate(e: &Expr) -> &Expr {
        match e {
            Expr::Collate { expr, .. } => strip_collate(expr),
            other => other,
        }
    }
    let x = value(print(strip_collate(expr))?);
    let x = if x.collation == Some(BINARY) { x.operand() } else { format!("{} COLLATE {BINARY}", x.tight_operand()) };
    let pattern_expr = strip_collate(pattern);
    let p = value(print(pattern_expr)?);
    let p = match escape {
        Some(e) => format!("pg_catalog.like_escape({}, {})", p.text, print(strip_collate(e))?.text),
        // Postgres's default escape is a backslash; SQLite has none.
        None if matches!(pattern_expr, Expr::Str(s) if !s.contains('\\')) => p.operand(),
        None => format!("pg_catalog.like_escape({}, '')", p.text),
    };
    let op = if negated { "!~~*" } else { "~~*" };
    Ok(Sql::loose(format!("{x} OPERATOR(pg_catalog.{op}) {p}"), Kind::Bool))
}

/// SQLite's CAST converts by the type name's affinity (datatype3.html §3.1), so
/// `CAST(x AS DATE)` is a NUMERIC conversion there, not a date.
fn cast(expr: &Expr, type_name: &str) -> Result<Sql, String> {
    let x = value(print(expr)?);
    match declared::affinity(type_name) {
        declared::Affinity::Integer => {
            // SQLite truncates a real toward zero; Postgres's cast rounds.
            let text = if x.kind == Kind::Int {
                format!("CAST({} AS {})", x.text, pg_type_sql("bigint"))
            } else {
                format!("CAST(pg_catalog.trunc(CAST({} AS numeric)) AS {})", x.text, pg_type_sql("bigint"))
            };
            Ok(Sql::atom(text, Kind::Int))
        }
        declared::Affinity::Real => Ok(Sql::atom(format!("CAST({} AS {})", x.text, pg_type_sql("double precision")), Kind::Real)),
        declared::Affinity::Text => match x.kind {
            Kind::Int | Kind::Text | Kind::Null => Ok(Sql::atom(format!("CAST({} AS {})", x.text, pg_type_sql("text")), Kind::Text)),
            _ => Err(format!(
                "CAST(... AS {type_name}) of a value whose type is not known here: reals, numerics, booleans and blobs turn into different text in SQLite and Postgres"
            )),
        },
        declared::Affinity::Numeric => Err(format!(
            "CAST(... AS {type_name}) is a NUMERIC conversion in SQLite (an integer or a real, whichever the value fits): no Postgres type does the same"
        )),
        declared::Affinity::Blob => Err(format!("CAST(... AS {type_name}) reinterprets text as bytes in SQLite: not translated")),
    }
}

/// Postgres type names that are grammar keywords, so never looked up in search_path.
const KEYWORD_TYPES: &[&str] = &[
    "bigint",
    "int",
    "integer",
    "smallint",
    "real",
    "float",
    "double precision",
    "numeric",
    "decimal",
    "boolean",
    "char",
    "character",
    "varchar",
    "character varying",
    "timestamp",
    "timestamp without time zone",
    "timestamp with time zone",
    "time",
    "time without time zone",
    "time with time zone",
    "interval",
    "bit",
];

/// A Postgres type of liteport's vocabulary (`declared::postgres_type_for`, profile
/// suggestions) as SQL that does not depend on search_path: keywords as they are,
/// other names qualified with pg_catalog (`pg_catalog.text`, `pg_catalog.jsonb`, ...).
/// For rendering only: the stored type strings stay unqualified (audit R8).
pub fn pg_type_sql(pg_type: &str) -> String {
    let base = pg_type.split('(').next().unwrap_or("").trim().to_ascii_lowercase();
    if KEYWORD_TYPES.contains(&base.as_str()) {
        pg_type.to_string()
    } else {
        format!("pg_catalog.{pg_type}")
    }
}

fn call(name: &str, args: &[Expr]) -> Result<Sql, String> {
    let arity = |ok: bool| if ok { Ok(()) } else { Err(format!("{name}() with {} arguments is not translated", args.len())) };
    let printed = || args.iter().map(|a| print(a).map(value)).collect::<Result<Vec<_>, _>>();
    let function = |pg: &str, args: &[Sql]| format!("pg_catalog.{pg}({})", args.iter().map(|a| a.text.clone()).collect::<Vec<_>>().join(", "));
    // Text that must be compared byte by byte: SQLite's lower/upper/replace/instr know
    // no collation (and fold ASCII letters only); Postgres's follow the argument's
    // collation, and refuse liteport.nocase for substring searches. The explicit "C"
    // also orders and compares the result bytewise, as SQLite does a function's
    // result; only against a NOCASE column (upper(x) = x) would SQLite use NOCASE.
    let bytewise = |s: &Sql| -> Result<String, String> {
        if let Some(Expr::Collate { .. }) = args.first() {
            return Err(format!("COLLATE inside {name}() is not translated"));
        }
        Ok(if s.collation == Some(BINARY) { s.text.clone() } else { format!("{} COLLATE {BINARY}", s.tight_operand()) })
    };
    match name {
        "lower" | "upper" => {
            arity(args.len() == 1)?;
            let a = printed()?;
            Ok(Sql { collation: Some(BINARY), ..Sql::atom(format!("pg_catalog.{name}({})", bytewise(&a[0])?), Kind::Text) })
        }
        "length" => {
            arity(args.len() == 1)?;
            Ok(Sql { int4: true, ..Sql::atom(function("length", &printed()?), Kind::Int) })
        }
        "abs" => {
            arity(args.len() == 1)?;
            let a = printed()?;
            let kind = if a[0].kind.numeric() { a[0].kind } else { Kind::Any };
            Ok(Sql { int4: a[0].int4, ..Sql::atom(function("abs", &a), kind) })
        }
        "trim" | "ltrim" | "rtrim" => {
            arity(matches!(args.len(), 1 | 2))?;
            Ok(Sql::atom(function(if name == "trim" { "btrim" } else { name }, &printed()?), Kind::Text))
        }
        "replace" => {
            arity(args.len() == 3)?;
            let a = printed()?;
            let text = format!("pg_catalog.replace({}, {}, {})", bytewise(&a[0])?, a[1].text, a[2].text);
            Ok(Sql { collation: Some(BINARY), ..Sql::atom(text, Kind::Text) })
        }
        "instr" => {
            arity(args.len() == 2)?;
            let a = printed()?;
            Ok(Sql { int4: true, ..Sql::atom(format!("pg_catalog.strpos({}, {})", bytewise(&a[0])?, a[1].text), Kind::Int) })
        }
        "substr" | "substring" => {
            arity(matches!(args.len(), 2 | 3))?;
            // SQLite counts a negative start from the end and takes a negative length
            // backwards; Postgres does neither. Constants within range only.
            let start_ok = matches!(args[1], Expr::Int(s) if s >= 1);
            let length_ok = args.get(2).is_none_or(|l| matches!(l, Expr::Int(n) if *n >= 0));
            if !start_ok || !length_ok {
                return Err(format!("{name}() with a start other than a constant from 1, or a length other than a constant from 0, is not translated"));
            }
            let a = printed()?;
            let kind = if a[0].kind == Kind::Blob { Kind::Blob } else { Kind::Text };
            Ok(Sql::atom(function("substr", &a), kind))
        }
        "round" => {
            arity(args.len() == 1)?;
            // SQLite rounds halves away from zero; Postgres's round(double precision)
            // rounds them to even, its round(numeric) away from zero.
            let a = printed()?;
            Ok(Sql::atom(format!("pg_catalog.round(CAST({} AS numeric))", a[0].text), Kind::Real))
        }
        "coalesce" | "ifnull" => {
            arity(if name == "ifnull" { args.len() == 2 } else { args.len() >= 2 })?;
            let (a, kind) = unify(args.iter().map(print).collect::<Result<Vec<_>, _>>()?)?;
            Ok(Sql::atom(format!("coalesce({})", a.iter().map(|s| s.text.clone()).collect::<Vec<_>>().join(", ")), kind))
        }
        "nullif" => {
            arity(args.len() == 2)?;
            let (a, b) = comparable(print(&args[0])?, print(&args[1])?)?;
            let text = format!("CASE WHEN ({} OPERATOR(pg_catalog.=) {}) THEN NULL ELSE {} END", a.operand(), b.operand(), a.text);
            Ok(Sql::atom(text, a.kind))
        }
        "iif" => {
            arity(args.len() == 3)?;
            let c = condition(print(&args[0])?)?;
            let (r, kind) = unify(vec![print(&args[1])?, print(&args[2])?])?;
            Ok(Sql::atom(format!("CASE WHEN {} THEN {} ELSE {} END", c.operand(), r[0].text, r[1].text), kind))
        }
        "max" | "min" if args.len() >= 2 => {
            // SQLite's multi-argument max/min is NULL when any argument is; Postgres's
            // greatest/least ignore NULLs.
            let (a, kind) = unify(args.iter().map(print).collect::<Result<Vec<_>, _>>()?)?;
            if a.iter().any(|s| s.constant == Constant::Null) {
                return Ok(Sql { constant: Constant::Null, ..Sql::atom("NULL", kind) });
            }
            let pg = if name == "max" { "greatest" } else { "least" };
            let list = format!("{pg}({})", a.iter().map(|s| s.text.clone()).collect::<Vec<_>>().join(", "));
            let nullable: Vec<String> = a.iter().filter(|s| !s.non_null_literal()).map(|s| format!("{} IS NULL", s.operand())).collect();
            if nullable.is_empty() {
                return Ok(Sql::atom(list, kind));
            }
            let any_null = if nullable.len() == 1 { nullable[0].clone() } else { nullable.iter().map(|n| format!("({n})")).collect::<Vec<_>>().join(" OR ") };
            Ok(Sql::atom(format!("CASE WHEN {any_null} THEN NULL ELSE {list} END"), kind))
        }
        "max" | "min" | "count" | "sum" | "total" | "avg" | "group_concat" | "string_agg" => Err(format!("aggregate {name}() is not translated")),
        "typeof" => Err("typeof() reports SQLite's storage classes, which Postgres does not have".into()),
        "date" | "time" | "datetime" | "julianday" | "unixepoch" | "strftime" | "timediff" => {
            Err(format!("{name}() computes on SQLite's date text (and 'now' is not allowed in a CHECK or index): not translated"))
        }
        "glob" | "like" | "regexp" | "match" => Err(no_equivalent(&format!("{name}()"))),
        _ => Err(format!("function {name}() has no Postgres equivalent")),
    }
}

// ---------------------------------------------------------------------------
// DEFAULTs
// ---------------------------------------------------------------------------

/// What kind of value a Postgres column type holds, for DEFAULTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypeClass {
    Bool,
    Integer,
    Number,
    Text,
    Date,
    Timestamp,
    Timestamptz,
    Time,
    Bytes,
    Uuid,
    Json,
    Other,
}

fn type_class(pg_type: &str) -> TypeClass {
    let t = pg_type.to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or("").trim();
    match base {
        "boolean" => TypeClass::Bool,
        "bigint" | "integer" | "smallint" => TypeClass::Integer,
        "double precision" | "real" | "numeric" => TypeClass::Number,
        "text" | "character varying" | "varchar" | "character" | "char" | "bpchar" => TypeClass::Text,
        "date" => TypeClass::Date,
        "timestamp" | "timestamp without time zone" => TypeClass::Timestamp,
        "timestamptz" | "timestamp with time zone" => TypeClass::Timestamptz,
        "time" | "time without time zone" => TypeClass::Time,
        "bytea" => TypeClass::Bytes,
        "uuid" => TypeClass::Uuid,
        "jsonb" | "json" => TypeClass::Json,
        _ => TypeClass::Other,
    }
}

/// A column's DEFAULT (as SQLite stores it in table_xinfo) for a Postgres column of
/// type `pg_type`. `Ok(None)`: no default (DEFAULT NULL).
pub fn translate_default(default: &str, pg_type: &str, columns: &Columns) -> Result<Option<String>, String> {
    let mut tokens = tokenize(default)?;
    let mut parenthesized = false;
    while tokens.len() >= 2 && tokens[0].is_op("(") && matching_paren(&tokens, 0) == Some(tokens.len() - 1) {
        tokens = tokens[1..tokens.len() - 1].to_vec();
        parenthesized = true;
    }
    let class = type_class(pg_type);
    if tokens.len() == 1 && tokens[0].is_kw("NULL") {
        return Ok(None);
    }
    if let Some(now) = now_call(&tokens) {
        return now_default(&now?, class).map(Some);
    }
    // SQLite's grammar reads `DEFAULT name`, `DEFAULT "name"`, [name] or `name` as a
    // string (even when a column has that name), and TRUE/FALSE as 1/0.
    let literal = match tokens.as_slice() {
        [Token::Word(w)] if w.eq_ignore_ascii_case("TRUE") || w.eq_ignore_ascii_case("FALSE") => {
            if class == TypeClass::Bool {
                return Ok(Some(w.to_ascii_lowercase()));
            }
            Some(("", Token::Number(if w.eq_ignore_ascii_case("TRUE") { "1" } else { "0" }.into())))
        }
        [Token::Word(w) | Token::Quoted(w)] if !parenthesized => Some(("", Token::Str(w.clone()))),
        [Token::Op(s), lit] if s == "-" || s == "+" => Some((s.as_str(), lit.clone())),
        [lit] => Some(("", lit.clone())),
        _ => None,
    };
    if let Some((sign, lit)) = literal {
        if let Some(sql) = literal_default(sign, &lit, class)? {
            return Ok(Some(sql));
        }
    }
    let expr = parse(&tokens, columns, Mode::Default)?;
    Ok(Some(format!("({})", print(&expr)?.text)))
}

/// One piece of an strftime() format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// %Y
    Year,
    /// %m
    Month,
    /// %d
    Day,
    /// %H
    Hour,
    /// %M
    Minute,
    /// %S
    Second,
    /// %f: seconds with milliseconds, SS.SSS
    SecondMillis,
    /// %j
    DayOfYear,
    /// %s: seconds since 1970
    Epoch,
    Text(String),
}

fn strftime_parts(format: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut chars = format.chars();
    let text = |parts: &mut Vec<Part>, c: char| match parts.last_mut() {
        Some(Part::Text(t)) => t.push(c),
        _ => parts.push(Part::Text(c.to_string())),
    };
    while let Some(c) = chars.next() {
        if c != '%' {
            text(&mut parts, c);
            continue;
        }
        parts.push(match chars.next() {
            Some('Y') => Part::Year,
            Some('m') => Part::Month,
            Some('d') => Part::Day,
            Some('H') => Part::Hour,
            Some('M') => Part::Minute,
            Some('S') => Part::Second,
            Some('f') => Part::SecondMillis,
            Some('j') => Part::DayOfYear,
            Some('s') => Part::Epoch,
            Some('%') => {
                text(&mut parts, '%');
                continue;
            }
            Some(other) => return Err(format!("strftime() format %{other} is not translated")),
            None => return Err("strftime() format ends with %".into()),
        });
    }
    Ok(parts)
}

/// The current time as SQLite's date functions give it: `CURRENT_TIMESTAMP`,
/// `datetime('now')`, `strftime(format, 'now')`, ... as strftime() format parts.
/// `None`: not one of these.
fn now_call(tokens: &[Token]) -> Option<Result<Vec<Part>, String>> {
    if let [Token::Word(w)] = tokens {
        return match w.to_ascii_uppercase().as_str() {
            "CURRENT_TIMESTAMP" => Some(strftime_parts("%Y-%m-%d %H:%M:%S")),
            "CURRENT_DATE" => Some(strftime_parts("%Y-%m-%d")),
            "CURRENT_TIME" => Some(strftime_parts("%H:%M:%S")),
            _ => None,
        };
    }
    let [Token::Word(f), open, inner @ .., _] = tokens else { return None };
    if !open.is_op("(") || matching_paren(tokens, 1) != Some(tokens.len() - 1) {
        return None;
    }
    let f = f.to_ascii_lowercase();
    if !["datetime", "date", "time", "strftime", "unixepoch", "julianday"].contains(&f.as_str()) {
        return None;
    }
    Some((|| {
        let mut args = Vec::new();
        for (i, t) in inner.iter().enumerate() {
            match t {
                Token::Str(s) if i % 2 == 0 => args.push(s.as_str()),
                Token::Op(c) if i % 2 == 1 && c == "," => {}
                _ => return Err(format!("{f}() with arguments other than text literals is not translated")),
            }
        }
        if f == "julianday" {
            return Err("julianday() is a real number of days: not translated".into());
        }
        let (mut format, rest) = match f.as_str() {
            "strftime" => {
                let (format, rest) = args.split_first().ok_or("strftime() without a format")?;
                (format.to_string(), rest)
            }
            "datetime" => ("%Y-%m-%d %H:%M:%S".to_string(), &args[..]),
            "date" => ("%Y-%m-%d".to_string(), &args[..]),
            "time" => ("%H:%M:%S".to_string(), &args[..]),
            _ => ("%s".to_string(), &args[..]),
        };
        // No time value means 'now'.
        let (when, modifiers) = rest.split_first().map_or(("now", &[][..]), |(w, m)| (*w, m));
        if !when.eq_ignore_ascii_case("now") {
            return Err(format!("{f}() of a time other than 'now' is not translated"));
        }
        for m in modifiers {
            match m.trim().to_ascii_lowercase().as_str() {
                "localtime" => return Err("'localtime' is the time zone of the machine running SQLite, which is not known here".into()),
                "utc" => return Err("'utc' converts from the local time of the machine running SQLite, which is not known here".into()),
                "subsec" | "subsecond" if f == "datetime" || f == "time" => format = format.replace("%S", "%f"),
                _ => return Err(format!("{f}() with the modifier '{m}' is not translated")),
            }
        }
        strftime_parts(&format)
    })())
}

/// SQLite's "now" is UTC, at millisecond precision.
const UTC_NOW: &str = "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')";
/// Seconds since 1970, truncated as SQLite's %s (EXTRACT gives a fraction).
const EPOCH_NOW: &str = "pg_catalog.floor(extract(epoch FROM CURRENT_TIMESTAMP))::bigint";

/// The current time in the form `parts` gives it, as a value of the column's type
/// that equals what SQLite's text would load as.
fn now_default(parts: &[Part], class: TypeClass) -> Result<String, String> {
    use Part::*;
    let t = |s: &str| Text(s.to_string());
    let date = [Year, t("-"), Month, t("-"), Day];
    // HH:MM:SS or HH:MM:SS.SSS, and its precision for date_trunc.
    let time = |p: &[Part]| match p {
        [Hour, Text(c1), Minute, Text(c2), Second] if c1 == ":" && c2 == ":" => Some("second"),
        [Hour, Text(c1), Minute, Text(c2), SecondMillis] if c1 == ":" && c2 == ":" => Some("milliseconds"),
        _ => None,
    };
    let timestamp = (parts.len() > 5 && parts[..5] == date).then(|| &parts[5..]).and_then(|rest| match rest {
        [Text(sep), tail @ ..] if sep == " " || sep == "T" => {
            let tail = tail.strip_suffix(&[t("Z")]).unwrap_or(tail);
            time(tail)
        }
        _ => None,
    });
    let is_date = parts == date;
    let epoch = parts == [Epoch];
    let sql = match class {
        TypeClass::Text if epoch => format!("CAST({EPOCH_NOW} AS {})", pg_type_sql("text")),
        TypeClass::Text => format!("pg_catalog.to_char({UTC_NOW}, {})", pg_literal(&to_char_format(parts)?)),
        TypeClass::Integer | TypeClass::Number if epoch => EPOCH_NOW.to_string(),
        TypeClass::Timestamptz if timestamp.is_some() => "CURRENT_TIMESTAMP".to_string(),
        TypeClass::Timestamp if is_date => format!("{UTC_NOW}::{}::timestamp", pg_type_sql("date")),
        TypeClass::Timestamp if timestamp.is_some() => format!("pg_catalog.date_trunc('{}', {UTC_NOW})", timestamp.expect("checked")),
        TypeClass::Date if is_date || timestamp.is_some() => format!("{UTC_NOW}::{}", pg_type_sql("date")),
        TypeClass::Time if time(parts).is_some() => format!("pg_catalog.date_trunc('{}', {UTC_NOW})::time", time(parts).expect("checked")),
        _ => return Err(format!("the current time as strftime('{}') does not fit a column of this type", render_format(parts))),
    };
    Ok(sql)
}

/// The to_char() pattern giving the same text as an strftime() format.
fn to_char_format(parts: &[Part]) -> Result<String, String> {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Year => out.push_str("YYYY"),
            Part::Month => out.push_str("MM"),
            Part::Day => out.push_str("DD"),
            Part::Hour => out.push_str("HH24"),
            Part::Minute => out.push_str("MI"),
            Part::Second => out.push_str("SS"),
            Part::SecondMillis => out.push_str("SS.MS"),
            Part::DayOfYear => out.push_str("DDD"),
            Part::Epoch => return Err("strftime() %s together with other fields is not translated".into()),
            Part::Text(t) => {
                if t.contains(['"', '\\']) {
                    return Err("strftime() format with \" or \\ is not translated".into());
                }
                // Separators pass through; anything else is quoted so that to_char
                // does not read it as a pattern.
                for run in t.split_inclusive(|_| true) {
                    if run.chars().all(|c| "-:/., ".contains(c)) {
                        out.push_str(run);
                    } else {
                        out.push_str(&format!("\"{run}\""));
                    }
                }
            }
        }
    }
    Ok(out.replace("\"\"", ""))
}

fn render_format(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Part::Year => "%Y".into(),
            Part::Month => "%m".into(),
            Part::Day => "%d".into(),
            Part::Hour => "%H".into(),
            Part::Minute => "%M".into(),
            Part::Second => "%S".into(),
            Part::SecondMillis => "%f".into(),
            Part::DayOfYear => "%j".into(),
            Part::Epoch => "%s".into(),
            Part::Text(t) => t.replace('%', "%%"),
        })
        .collect()
}

/// The text SQLite stores for a REAL in a TEXT column ("%!.15g"), for the values where
/// it is certain: 15 significant digits or fewer, written without an exponent.
fn sqlite_real_text(v: f64) -> Option<String> {
    if !v.is_finite() || (v == 0.0 && v.is_sign_negative()) {
        return None;
    }
    if v != 0.0 && !(1e-4..1e15).contains(&v.abs()) {
        return None;
    }
    let shortest = format!("{v}");
    let digits = shortest.trim_start_matches('-').replace('.', "");
    if digits.trim_start_matches('0').len() > 15 {
        return None;
    }
    Some(if shortest.contains('.') { shortest } else { format!("{shortest}.0") })
}

/// A literal DEFAULT, checked against the column type the way a value would be, so
/// that CREATE TABLE never fails on it. `Ok(None)`: not a literal.
fn literal_default(sign: &str, lit: &Token, class: TypeClass) -> Result<Option<String>, String> {
    let refuse = |why: &str| Err(format!("default {} {why}", render(std::slice::from_ref(lit))));
    let sql = match (lit, class) {
        (Token::Number(n), _) => {
            let value = match number(n)? {
                Expr::Int(v) if sign == "-" => negate(Expr::Int(v)),
                Expr::Real(r) if sign == "-" => negate(Expr::Real(r)),
                other => other,
            };
            let text = match &value {
                Expr::Int(v) => v.to_string(),
                Expr::Real(r) => r.clone(),
                _ => unreachable!("number() gives numbers"),
            };
            match class {
                TypeClass::Integer => match scalar::parse_int(&text) {
                    Ok(v) => v.to_string(),
                    Err(_) => return refuse("is not an integer"),
                },
                TypeClass::Number => text,
                // SQLite stores the number's own text: 007 is 7, 1.50 is 1.5, 1e3 is 1000.0.
                TypeClass::Text => match value {
                    Expr::Int(v) => pg_literal(&v.to_string()),
                    _ => match text.parse::<f64>().ok().and_then(sqlite_real_text) {
                        Some(t) => pg_literal(&t),
                        None => return refuse("is a real whose text in SQLite is not certain here"),
                    },
                },
                TypeClass::Bool => match scalar::parse_int(&text).and_then(scalar::int_to_bool) {
                    Ok(b) => b.to_string(),
                    Err(_) => return refuse("is not 0 or 1"),
                },
                _ => return refuse("is a number, and the column type is not numeric"),
            }
        }
        (Token::Str(s), _) if !sign.is_empty() => return refuse(&format!("has a sign before text {s:?}")),
        (Token::Str(s), TypeClass::Text | TypeClass::Bytes | TypeClass::Other) => pg_literal(s),
        (Token::Str(s), TypeClass::Bool) => match scalar::parse_bool(s) {
            Ok(b) => b.to_string(),
            Err(_) => return refuse("is not a boolean"),
        },
        (Token::Str(s), TypeClass::Integer) => match scalar::parse_int(s) {
            Ok(v) => v.to_string(),
            Err(_) => return refuse("is not an integer"),
        },
        (Token::Str(s), TypeClass::Number) if scalar::is_numeric_literal(s) => pg_literal(s.trim()),
        (Token::Str(s), TypeClass::Date) if datetime::parse_date(s).is_ok() => pg_literal(s),
        (Token::Str(s), TypeClass::Timestamp | TypeClass::Timestamptz) if datetime::parse_timestamp(s).is_ok() => pg_literal(s),
        (Token::Str(s), TypeClass::Time) if datetime::parse_time(s).is_ok() => pg_literal(s),
        (Token::Str(s), TypeClass::Uuid) if scalar::parse_uuid_text(s).is_ok() => pg_literal(s),
        (Token::Str(s), TypeClass::Json) if serde_json::from_str::<serde_json::Value>(s).is_ok() => pg_literal(s),
        (Token::Str(_), _) => return refuse("is not a value of the column's type"),
        (Token::Blob(hex), _) if blob(hex).is_err() => return refuse("is not a blob literal"),
        (Token::Blob(_), _) if !sign.is_empty() => return refuse("has a sign before a blob"),
        (Token::Blob(hex), TypeClass::Bytes) => bytea_literal(hex),
        (Token::Blob(_), _) => return refuse("is a blob, and the column is not bytea"),
        (Token::Word(w), TypeClass::Bool) if sign.is_empty() && (w.eq_ignore_ascii_case("TRUE") || w.eq_ignore_ascii_case("FALSE")) => w.to_ascii_lowercase(),
        _ => return Ok(None),
    };
    Ok(Some(sql))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<(String, String)> {
        let mut c: Vec<(String, String)> = vec![("Discount".into(), "discount".into()), ("name".into(), "name".into()), ("qty".into(), "qty".into())];
        c.extend(["a", "b", "c", "d", "x"].iter().map(|n| (n.to_string(), n.to_string())));
        c
    }

    fn tr(sql: &str) -> Result<String, String> {
        let names = cols();
        translate(&tokenize(sql).unwrap(), &Columns { names: &names })
    }

    fn ok(sql: &str) -> String {
        tr(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn refused(sql: &str) -> String {
        match tr(sql) {
            Ok(t) => panic!("{sql} translated to {t}"),
            Err(e) => e,
        }
    }

    fn dflt(sql: &str, ty: &str) -> Result<Option<String>, String> {
        let names = cols();
        translate_default(sql, ty, &Columns { names: &names })
    }

    fn d(sql: &str, ty: &str) -> String {
        dflt(sql, ty).unwrap_or_else(|e| panic!("{sql}: {e}")).unwrap_or_else(|| panic!("{sql}: no default"))
    }

    #[test]
    fn checks_translate_with_renamed_columns() {
        assert_eq!(ok("[Discount]>=(0) AND [Discount]<=(1)"), "(\"discount\" OPERATOR(pg_catalog.>=) 0) AND (\"discount\" OPERATOR(pg_catalog.<=) 1)");
        assert_eq!(ok("length(name) > 0 AND qty != 3"), "(pg_catalog.length(\"name\") OPERATOR(pg_catalog.>) 0) AND (\"qty\" OPERATOR(pg_catalog.<>) 3)");
        assert_eq!(ok("name IN ('a', 'b''c')"), "(\"name\" OPERATOR(pg_catalog.=) 'a') OR (\"name\" OPERATOR(pg_catalog.=) 'b''c')");
        assert_eq!(ok("qty IS NOT NULL"), "\"qty\" IS NOT NULL");
        assert_eq!(ok("qty IS 3"), "(\"qty\" OPERATOR(pg_catalog.=) 3) IS TRUE");
        assert_eq!(ok("qty IS NOT 3"), "(\"qty\" OPERATOR(pg_catalog.=) 3) IS NOT TRUE");
        assert_eq!(ok("ifnull(qty, 0) == 0x10"), "coalesce(\"qty\", 0) OPERATOR(pg_catalog.=) 16");
        assert_eq!(ok("CAST(qty AS REAL) = 1"), "CAST(\"qty\" AS double precision) OPERATOR(pg_catalog.=) 1");
        assert_eq!(ok("name LIKE 'a%'"), "\"name\" COLLATE pg_catalog.\"C\" OPERATOR(pg_catalog.~~*) 'a%'");
        assert_eq!(ok("t.qty > 1"), "\"qty\" OPERATOR(pg_catalog.>) 1");
        assert_eq!(ok("main.t.\"qty\" > 1"), "\"qty\" OPERATOR(pg_catalog.>) 1");
        assert_eq!(ok("max(qty, 1) < 5"), "CASE WHEN \"qty\" IS NULL THEN NULL ELSE greatest(\"qty\", 1) END OPERATOR(pg_catalog.<) 5");
        assert_eq!(ok("x'00ff' = qty"), "E'\\\\x00ff'::pg_catalog.bytea OPERATOR(pg_catalog.=) \"qty\"");
    }

    #[test]
    fn operators_follow_sqlite_precedence() {
        let cases = [
            ("a + b * c", "\"a\" OPERATOR(pg_catalog.+) (\"b\" OPERATOR(pg_catalog.*) \"c\")"),
            ("a * b + c", "(\"a\" OPERATOR(pg_catalog.*) \"b\") OPERATOR(pg_catalog.+) \"c\""),
            ("a - b - c", "(\"a\" OPERATOR(pg_catalog.-) \"b\") OPERATOR(pg_catalog.-) \"c\""),
            ("a - (b - c)", "\"a\" OPERATOR(pg_catalog.-) (\"b\" OPERATOR(pg_catalog.-) \"c\")"),
            ("-a * b", "(OPERATOR(pg_catalog.-) \"a\") OPERATOR(pg_catalog.*) \"b\""),
            ("a || b = c", "(\"a\" OPERATOR(pg_catalog.||) \"b\") OPERATOR(pg_catalog.=) \"c\""),
            ("a || b * c", "(\"a\" OPERATOR(pg_catalog.||) \"b\") OPERATOR(pg_catalog.*) \"c\""),
            ("NOT a = b", "NOT (\"a\" OPERATOR(pg_catalog.=) \"b\")"),
            ("a = b AND c OR d", "((\"a\" OPERATOR(pg_catalog.=) \"b\") AND \"c\") OR \"d\""),
            ("a OR b AND c", "\"a\" OR (\"b\" AND \"c\")"),
            ("a AND b AND c", "\"a\" AND \"b\" AND \"c\""),
            ("a & b = c", "(\"a\" OPERATOR(pg_catalog.&) \"b\") OPERATOR(pg_catalog.=) \"c\""),
            ("a + b & c", "(\"a\" OPERATOR(pg_catalog.+) \"b\") OPERATOR(pg_catalog.&) \"c\""),
            ("a < b = c", "(\"a\" OPERATOR(pg_catalog.<) \"b\") OPERATOR(pg_catalog.=) \"c\""),
            ("a = b ISNULL", "(\"a\" OPERATOR(pg_catalog.=) \"b\") IS NULL"),
            ("NOT a ISNULL", "NOT (\"a\" IS NULL)"),
            ("((a + (b)) * ((c)))", "(\"a\" OPERATOR(pg_catalog.+) \"b\") OPERATOR(pg_catalog.*) \"c\""),
            ("x BETWEEN 1 AND 2 + 3", "(\"x\" OPERATOR(pg_catalog.>=) 1) AND (\"x\" OPERATOR(pg_catalog.<=) (2 OPERATOR(pg_catalog.+) 3))"),
            ("x BETWEEN 1 AND 2 AND a", "(\"x\" OPERATOR(pg_catalog.>=) 1) AND (\"x\" OPERATOR(pg_catalog.<=) 2) AND \"a\""),
            // (a = x) is 0 or 1 in SQLite, compared with numbers.
            ("a = x BETWEEN 1 AND 2", "(CAST(\"a\" OPERATOR(pg_catalog.=) \"x\" AS integer) OPERATOR(pg_catalog.>=) 1) AND (CAST(\"a\" OPERATOR(pg_catalog.=) \"x\" AS integer) OPERATOR(pg_catalog.<=) 2)"),
            ("-x COLLATE BINARY", "(OPERATOR(pg_catalog.-) \"x\") COLLATE pg_catalog.\"C\""),
            ("x COLLATE NOCASE = 'abc'", "\"x\" COLLATE liteport.nocase OPERATOR(pg_catalog.=) 'abc'"),
            ("a || b COLLATE NOCASE", "\"a\" OPERATOR(pg_catalog.||) \"b\" COLLATE liteport.nocase"),
            ("~a + 1", "(OPERATOR(pg_catalog.~) \"a\") OPERATOR(pg_catalog.+) 1"),
            ("- -5", "5"),
            ("x > -1", "\"x\" OPERATOR(pg_catalog.>) -1"),
            ("-9223372036854775808 < x", "-9223372036854775808 OPERATOR(pg_catalog.<) \"x\""),
        ];
        for (sqlite, pg) in cases {
            assert_eq!(ok(sqlite), pg, "{sqlite}");
        }
    }

    #[test]
    fn implied_operators_are_written_out() {
        assert_eq!(ok("x IN (1)"), "\"x\" OPERATOR(pg_catalog.=) 1");
        assert_eq!(ok("x NOT IN (1, 2)"), "NOT ((\"x\" OPERATOR(pg_catalog.=) 1) OR (\"x\" OPERATOR(pg_catalog.=) 2))");
        assert_eq!(ok("x IN ()"), "false", "SQLite: x IN () is false even for NULL");
        assert_eq!(ok("x NOT IN ()"), "true");
        assert_eq!(ok("x NOT BETWEEN 1 AND 2"), "(\"x\" OPERATOR(pg_catalog.<) 1) OR (\"x\" OPERATOR(pg_catalog.>) 2)");
        assert_eq!(ok("a IS b"), "(\"a\" OPERATOR(pg_catalog.=) \"b\") IS TRUE OR (\"a\" IS NULL AND \"b\" IS NULL)");
        assert_eq!(ok("a IS NOT b"), "NOT ((\"a\" OPERATOR(pg_catalog.=) \"b\") IS TRUE OR (\"a\" IS NULL AND \"b\" IS NULL))");
        assert_eq!(ok("a IS NOT DISTINCT FROM b"), ok("a IS b"));
        assert_eq!(ok("a IS DISTINCT FROM b"), ok("a IS NOT b"));
        assert_eq!(ok("a IS DISTINCT FROM 1"), "(\"a\" OPERATOR(pg_catalog.=) 1) IS NOT TRUE");
        assert_eq!(ok("a + 1 IS b"), "((\"a\" OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.=) \"b\") IS TRUE OR ((\"a\" OPERATOR(pg_catalog.+) 1) IS NULL AND \"b\" IS NULL)");
        assert_eq!(ok("NULL IS a"), "\"a\" IS NULL");
        assert_eq!(ok("a ISNULL"), "\"a\" IS NULL");
        assert_eq!(ok("a NOTNULL"), "\"a\" IS NOT NULL");
        assert_eq!(ok("a NOT NULL"), "\"a\" IS NOT NULL");
        assert_eq!(ok("a IS NOT NULL AND b IS NULL"), "(\"a\" IS NOT NULL) AND (\"b\" IS NULL)");
        // IS TRUE tests truth (2 IS TRUE), unlike IS 1.
        assert_eq!(ok("a IS TRUE"), "\"a\" IS TRUE");
        assert_eq!(ok("a > 0 IS NOT FALSE"), "(\"a\" OPERATOR(pg_catalog.>) 0) IS NOT FALSE");
        assert_eq!(ok("length(a) IS TRUE"), "(pg_catalog.length(\"a\") OPERATOR(pg_catalog.<>) 0) IS TRUE");
        assert_eq!(ok("CASE x WHEN 1 THEN 'a' END"), "CASE WHEN (\"x\" OPERATOR(pg_catalog.=) 1) THEN 'a' END");
        assert_eq!(
            ok("CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b' ELSE 'c' END = 'a'"),
            "CASE WHEN (\"x\" OPERATOR(pg_catalog.=) 1) THEN 'a' WHEN (\"x\" OPERATOR(pg_catalog.=) 2) THEN 'b' ELSE 'c' END OPERATOR(pg_catalog.=) 'a'"
        );
        assert_eq!(ok("CASE WHEN a > 0 THEN 1 ELSE 0 END"), "CASE WHEN (\"a\" OPERATOR(pg_catalog.>) 0) THEN 1 ELSE 0 END");
        assert_eq!(ok("nullif(a, b)"), "CASE WHEN (\"a\" OPERATOR(pg_catalog.=) \"b\") THEN NULL ELSE \"a\" END");
        assert_eq!(ok("iif(a > 0, 'pos', 'neg')"), "CASE WHEN (\"a\" OPERATOR(pg_catalog.>) 0) THEN 'pos' ELSE 'neg' END");
        assert_eq!(
            ok("lower(x) LIKE 'a%' ESCAPE '\\'"),
            "pg_catalog.lower(\"x\" COLLATE pg_catalog.\"C\") OPERATOR(pg_catalog.~~*) pg_catalog.like_escape('a%', E'\\\\')"
        );
        assert_eq!(ok("name NOT LIKE 'a_'"), "\"name\" COLLATE pg_catalog.\"C\" OPERATOR(pg_catalog.!~~*) 'a_'");
        // SQLite's LIKE has no escape character unless ESCAPE names one; Postgres's is \.
        assert_eq!(ok("name LIKE 'a\\%'"), "\"name\" COLLATE pg_catalog.\"C\" OPERATOR(pg_catalog.~~*) pg_catalog.like_escape(E'a\\\\%', '')");
        assert_eq!(ok("name LIKE a"), "\"name\" COLLATE pg_catalog.\"C\" OPERATOR(pg_catalog.~~*) pg_catalog.like_escape(\"a\", '')");
        // LIKE ignores collations in SQLite.
        assert_eq!(ok("name COLLATE NOCASE LIKE 'a%'"), ok("name LIKE 'a%'"));
    }

    #[test]
    fn functions_and_types_are_qualified() {
        assert_eq!(ok("upper(name) = name"), "pg_catalog.upper(\"name\" COLLATE pg_catalog.\"C\") OPERATOR(pg_catalog.=) \"name\"");
        assert_eq!(ok("abs(qty) < 10"), "pg_catalog.abs(\"qty\") OPERATOR(pg_catalog.<) 10");
        assert_eq!(ok("trim(name) <> ''"), "pg_catalog.btrim(\"name\") OPERATOR(pg_catalog.<>) ''");
        assert_eq!(ok("ltrim(name, 'x')"), "pg_catalog.ltrim(\"name\", 'x')");
        assert_eq!(ok("rtrim(name)"), "pg_catalog.rtrim(\"name\")");
        assert_eq!(ok("replace(name, 'a', 'b')"), "pg_catalog.replace(\"name\" COLLATE pg_catalog.\"C\", 'a', 'b')");
        assert_eq!(ok("instr(name, 'x') > 0"), "pg_catalog.strpos(\"name\" COLLATE pg_catalog.\"C\", 'x') OPERATOR(pg_catalog.>) 0");
        assert_eq!(ok("substr(name, 1, 3) = 'abc'"), "pg_catalog.substr(\"name\", 1, 3) OPERATOR(pg_catalog.=) 'abc'");
        assert_eq!(ok("substring(name, 2)"), "pg_catalog.substr(\"name\", 2)");
        assert_eq!(ok("round(qty)"), "pg_catalog.round(CAST(\"qty\" AS numeric))");
        assert_eq!(ok("coalesce(a, b, 0)"), "coalesce(\"a\", \"b\", 0)");
        assert_eq!(ok("min(a, b, 3)"), "CASE WHEN (\"a\" IS NULL) OR (\"b\" IS NULL) THEN NULL ELSE least(\"a\", \"b\", 3) END");
        assert_eq!(ok("max(1, 2)"), "greatest(1, 2)");
        assert_eq!(ok("max(a, NULL)"), "NULL");
        assert_eq!(ok("CAST(qty AS INTEGER) = qty"), "CAST(pg_catalog.trunc(CAST(\"qty\" AS numeric)) AS bigint) OPERATOR(pg_catalog.=) \"qty\"");
        assert_eq!(ok("CAST(length(name) AS INT)"), "CAST(pg_catalog.length(\"name\") AS bigint)");
        assert_eq!(ok("CAST(length(name) AS VARCHAR(10)) = '3'"), "CAST(pg_catalog.length(\"name\") AS pg_catalog.text) OPERATOR(pg_catalog.=) '3'");
        assert_eq!(ok("CAST(a AS DOUBLE PRECISION)"), "CAST(\"a\" AS double precision)");
        assert_eq!(ok("x * 1.5"), "\"x\" OPERATOR(pg_catalog.*) 1.5::double precision");
        assert_eq!(ok("x > -.5"), "\"x\" OPERATOR(pg_catalog.>) (-0.5)::double precision");
        assert_eq!(ok("x < 1e3"), "\"x\" OPERATOR(pg_catalog.<) 1e3::double precision");
        assert_eq!(ok("x < 9223372036854775808"), "\"x\" OPERATOR(pg_catalog.<) 9223372036854775808::double precision");
        assert_eq!(pg_type_sql("text"), "pg_catalog.text");
        assert_eq!(pg_type_sql("bytea"), "pg_catalog.bytea");
        assert_eq!(pg_type_sql("jsonb"), "pg_catalog.jsonb");
        assert_eq!(pg_type_sql("uuid"), "pg_catalog.uuid");
        assert_eq!(pg_type_sql("timestamptz"), "pg_catalog.timestamptz");
        assert_eq!(pg_type_sql("date"), "pg_catalog.date");
        assert_eq!(pg_type_sql("numeric(10,2)"), "numeric(10,2)");
        assert_eq!(pg_type_sql("double precision"), "double precision");
        assert_eq!(pg_type_sql("timestamp"), "timestamp");
        assert_eq!(pg_type_sql("boolean"), "boolean");
        assert_eq!(collation("binary").unwrap(), "pg_catalog.\"C\"");
        assert_eq!(collation("NoCase").unwrap(), "liteport.nocase");
    }

    #[test]
    fn sqlite_semantics_are_kept() {
        // Division by zero is NULL in SQLite, an error in Postgres.
        assert_eq!(ok("a / b"), "\"a\" OPERATOR(pg_catalog./) CASE WHEN (\"b\" OPERATOR(pg_catalog.=) 0) THEN NULL ELSE \"b\" END");
        assert_eq!(ok("a % 2 = 0"), "(\"a\" OPERATOR(pg_catalog.%) 2) OPERATOR(pg_catalog.=) 0");
        assert_eq!(ok("a / 0"), "\"a\" OPERATOR(pg_catalog./) NULL");
        assert_eq!(ok("a % (b + 1)"), "\"a\" OPERATOR(pg_catalog.%) CASE WHEN ((\"b\" OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.=) 0) THEN NULL ELSE \"b\" OPERATOR(pg_catalog.+) 1 END");
        // 64-bit arithmetic where Postgres would use 32 bits.
        assert_eq!(ok("60 * 60 * 24"), "(60 OPERATOR(pg_catalog.*) 60) OPERATOR(pg_catalog.*) 24");
        assert_eq!(ok("x < 86400 * 100000"), "\"x\" OPERATOR(pg_catalog.<) (CAST(86400 AS bigint) OPERATOR(pg_catalog.*) 100000)");
        assert_eq!(ok("length(a) + length(b)"), "CAST(pg_catalog.length(\"a\") AS bigint) OPERATOR(pg_catalog.+) pg_catalog.length(\"b\")");
        assert_eq!(ok("1 << 40"), "CAST(1 AS bigint) OPERATOR(pg_catalog.<<) 40");
        assert_eq!(ok("a >> 3"), "\"a\" OPERATOR(pg_catalog.>>) 3");
        // A condition's result is the integer 0 or 1 in SQLite.
        assert_eq!(ok("(a IS NULL) + (b IS NULL) = 1"), "(CAST(\"a\" IS NULL AS integer) OPERATOR(pg_catalog.+) CAST(\"b\" IS NULL AS integer)) OPERATOR(pg_catalog.=) 1");
        assert_eq!(ok("(a > 0) = 1"), "CAST(\"a\" OPERATOR(pg_catalog.>) 0 AS integer) OPERATOR(pg_catalog.=) 1");
        assert_eq!(ok("(a > 0) = (b > 0)"), "(\"a\" OPERATOR(pg_catalog.>) 0) OPERATOR(pg_catalog.=) (\"b\" OPERATOR(pg_catalog.>) 0)");
        assert_eq!(ok("(a > 0) || 'x'"), "CAST(\"a\" OPERATOR(pg_catalog.>) 0 AS integer) OPERATOR(pg_catalog.||) 'x'");
        assert_eq!(ok("TRUE + 1"), "1 OPERATOR(pg_catalog.+) 1");
        // A column may be boolean in Postgres: compared as it is.
        assert_eq!(ok("a = TRUE"), "\"a\" OPERATOR(pg_catalog.=) true");
    }

    #[test]
    fn numbers_used_as_conditions_test_for_zero() {
        assert_eq!(ok("length(name) AND a"), "(pg_catalog.length(\"name\") OPERATOR(pg_catalog.<>) 0) AND \"a\"");
        assert_eq!(ok("NOT 5"), "NOT true");
        assert_eq!(ok("CASE WHEN length(a) THEN 1 END"), "CASE WHEN (pg_catalog.length(\"a\") OPERATOR(pg_catalog.<>) 0) THEN 1 END");
        // A column may be boolean in Postgres: left as it is.
        assert_eq!(ok("NOT a"), "NOT \"a\"");
        assert_eq!(ok("a"), "\"a\"");
    }

    #[test]
    fn untranslatable_expressions_say_why() {
        let cases = [
            ("typeof(qty) = 'integer'", "typeof"),
            ("name GLOB 'a*'", "GLOB"),
            ("name NOT GLOB 'a*'", "GLOB"),
            ("name REGEXP 'a'", "REGEXP"),
            ("name MATCH 'a'", "MATCH"),
            ("glob('a*', name)", "glob"),
            ("nosuch > 1", "nosuch"),
            ("\"nosuch\" = 1", "may have read it as the string 'nosuch'"),
            ("qty > 1; DROP TABLE t", "more than one statement"),
            ("CURRENT_TIMESTAMP > a", "CURRENT_TIMESTAMP"),
            ("a < CURRENT_DATE", "CURRENT_DATE"),
            ("datetime('now') > a", "datetime"),
            ("hex(a) = 'A'", "hex"),
            ("json_extract(a, '$.b') = 1", "json_extract"),
            ("a -> 'b'", "JSON"),
            ("a ->> 'b' = 1", "JSON"),
            ("x IN (SELECT 1)", "subquer"),
            ("EXISTS (SELECT 1)", "subquer"),
            ("(SELECT 1) = a", "subquer"),
            ("x IN t", "table"),
            ("(a, b) = (1, 2)", "row values"),
            ("count(*) > 0", "aggregate"),
            ("max(a) > 0", "aggregate"),
            ("name COLLATE RTRIM = 'a'", "RTRIM"),
            ("CAST(a AS DATE) = 2020", "NUMERIC"),
            ("CAST(a AS NUMERIC)", "NUMERIC"),
            ("CAST(a AS BOOLEAN)", "NUMERIC"),
            ("CAST(a AS BLOB)", "bytes"),
            ("CAST(a AS TEXT) = '1'", "text"),
            ("CAST(1.5 AS TEXT)", "text"),
            ("'a' || 1.5", "real"),
            ("a || x'00'", "blob"),
            ("a << b", "0 to 63"),
            ("a >> 64", "0 to 63"),
            ("substr(name, -1)", "start"),
            ("substr(name, a, 2)", "start"),
            ("substr(name, 1, -2)", "length"),
            ("round(a, 2)", "round"),
            ("lower(name COLLATE NOCASE) = 'a'", "COLLATE"),
            ("NOT 'x'", "text"),
            ("'a' AND b", "text"),
            ("(a > 0) = 'x'", "text"),
            ("9223372036854775807 + 1 > a", "overflow"),
            ("a NOT b", "NOT"),
            ("a b", "unexpected"),
            ("a +", "ends"),
            ("(a", "expected )"),
            ("CASE END", "WHEN"),
            ("RAISE(ABORT, 'x')", "RAISE"),
            ("x'0g' = a", "blob"),
            ("0x1ffffffffffffffff = a", "hex"),
            ("", "empty"),
        ];
        for (sql, why) in cases {
            let names = cols();
            let e = tokenize(sql).and_then(|t| translate(&t, &Columns { names: &names })).expect_err(sql);
            assert!(e.contains(why), "{sql}: {e}");
        }
        let deep = format!("{}a{}", "(".repeat(150), ")".repeat(150));
        assert!(refused(&deep).contains("nested too deeply"));
        assert!(tr("x'00' = qty").is_ok());
    }

    #[test]
    fn defaults_follow_the_column_type() {
        assert_eq!(d("0", "boolean"), "false");
        assert_eq!(d("'Y'", "text"), "'Y'");
        assert_eq!(d("-1", "bigint"), "-1");
        assert_eq!(d("0", "numeric(10,2)"), "0");
        assert_eq!(d("1", "text"), "'1'");
        assert_eq!(dflt("NULL", "text").unwrap(), None);
        assert_eq!(dflt("(NULL)", "bigint").unwrap(), None);
        assert_eq!(d("CURRENT_TIMESTAMP", "timestamp"), "pg_catalog.date_trunc('second', (CURRENT_TIMESTAMP AT TIME ZONE 'UTC'))");
        assert_eq!(d("CURRENT_TIMESTAMP", "timestamptz"), "CURRENT_TIMESTAMP");
        assert_eq!(d("(datetime('now'))", "text"), "pg_catalog.to_char((CURRENT_TIMESTAMP AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:MI:SS')");
        assert_eq!(d("CURRENT_DATE", "date"), "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')::pg_catalog.date");
        assert_eq!(d("CURRENT_DATE", "timestamp"), "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')::pg_catalog.date::timestamp");
        assert_eq!(d("CURRENT_DATE", "text"), "pg_catalog.to_char((CURRENT_TIMESTAMP AT TIME ZONE 'UTC'), 'YYYY-MM-DD')");
        assert_eq!(d("CURRENT_TIME", "time"), "pg_catalog.date_trunc('second', (CURRENT_TIMESTAMP AT TIME ZONE 'UTC'))::time");
        assert_eq!(d("CURRENT_TIME", "text"), "pg_catalog.to_char((CURRENT_TIMESTAMP AT TIME ZONE 'UTC'), 'HH24:MI:SS')");
        assert_eq!(d("strftime('%s','now')", "bigint"), "pg_catalog.floor(extract(epoch FROM CURRENT_TIMESTAMP))::bigint");
        assert_eq!(d("'2020-01-02'", "date"), "'2020-01-02'");
        assert_eq!(d("(1 + 2)", "bigint"), "(1 OPERATOR(pg_catalog.+) 2)");
        assert_eq!(d("(-5)", "bigint"), "-5");
        assert_eq!(d("-1.5", "double precision"), "-1.5");
        assert_eq!(d("'Y'", "boolean"), "true");
        assert_eq!(d("TRUE", "boolean"), "true");
        assert_eq!(d("x'00ff'", "bytea"), "E'\\\\x00ff'::pg_catalog.bytea");
        assert_eq!(d("'{\"a\": 1}'", "jsonb"), "'{\"a\": 1}'");
        assert!(dflt("'maybe'", "boolean").is_err(), "a default that would fail CREATE TABLE is refused");
        assert!(dflt("'soon'", "timestamp").is_err());
        assert!(dflt("2", "boolean").is_err());
        assert!(dflt("CURRENT_TIMESTAMP", "bigint").is_err());
        assert!(dflt("x'0g'", "bytea").unwrap_err().contains("blob"));
        assert!(dflt("x'00'", "text").unwrap_err().contains("blob"));
        // SQLite allows no column in a DEFAULT.
        assert!(dflt("(qty * 2)", "bigint").unwrap_err().contains("column"));
        assert!(dflt("(hex(randomblob(16)))", "text").unwrap_err().contains("hex"));
    }

    #[test]
    fn names_and_numbers_as_sqlite_stores_them_in_defaults() {
        // SQLite's grammar reads DEFAULT "x", [x], `x` and a bare name as text, even
        // when a column has that name (Calibre: DEFAULT "").
        assert_eq!(d("\"some text\"", "text"), "'some text'");
        assert_eq!(d("\"\"", "text"), "''");
        assert_eq!(d("\"name\"", "text"), "'name'");
        assert_eq!(d("[abc]", "text"), "'abc'");
        assert_eq!(d("`abc`", "text"), "'abc'");
        assert_eq!(d("active", "text"), "'active'");
        assert_eq!(d("\"12\"", "bigint"), "12", "checked against the column type as a literal");
        assert!(dflt("\"soon\"", "date").is_err());
        assert!(dflt("(\"abc\")", "text").is_err(), "in parentheses it is a column name, which SQLite refuses");
        // TRUE and FALSE are 1 and 0.
        assert_eq!(d("TRUE", "bigint"), "1");
        assert_eq!(d("(TRUE)", "bigint"), "1");
        assert_eq!(d("(false)", "boolean"), "false");
        assert_eq!(d("FALSE", "text"), "'0'");
        // A number in a TEXT column is stored as SQLite's text for it.
        assert_eq!(d("007", "text"), "'7'");
        assert_eq!(d("0x10", "text"), "'16'");
        assert_eq!(d("1.50", "text"), "'1.5'");
        assert_eq!(d("1e3", "text"), "'1000.0'");
        assert_eq!(d("0.0005", "text"), "'0.0005'");
        assert_eq!(d("123456789012345.0", "text"), "'123456789012345.0'");
        assert!(dflt("1e20", "text").is_err(), "1.0e+20 in SQLite");
        assert!(dflt("100000000000000.5", "text").is_err(), "rounded to 15 digits in SQLite");
    }

    #[test]
    fn the_current_time_in_every_spelling() {
        const TEXT_NOW: &str = "pg_catalog.to_char((CURRENT_TIMESTAMP AT TIME ZONE 'UTC'), ";
        let text = |f: &str| format!("{TEXT_NOW}'{f}')");
        assert_eq!(d("strftime('%Y-%m-%dT%H:%M:%fZ','now')", "text"), text("YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\""));
        assert_eq!(d("strftime('%Y-%m-%d %H:%M:%S','now')", "text"), text("YYYY-MM-DD HH24:MI:SS"));
        assert_eq!(d("(strftime('%Y-%m-%dT%H:%M:%S', 'now'))", "text"), text("YYYY-MM-DD\"T\"HH24:MI:SS"));
        assert_eq!(d("strftime('%Y-%m-%dT%H:%M:%SZ','now')", "text"), text("YYYY-MM-DD\"T\"HH24:MI:SS\"Z\""));
        assert_eq!(d("strftime('%Y-%m-%d','now')", "text"), text("YYYY-MM-DD"));
        assert_eq!(d("strftime('%H:%M:%S','now')", "text"), text("HH24:MI:SS"));
        assert_eq!(d("strftime('%j, %Y%%','now')", "text"), text("DDD, YYYY\"%\""));
        assert_eq!(d("strftime('week of %Y','now')", "text"), text("\"week\" \"of\" YYYY"));
        assert_eq!(d("datetime('now')", "text"), text("YYYY-MM-DD HH24:MI:SS"));
        assert_eq!(d("datetime()", "text"), text("YYYY-MM-DD HH24:MI:SS"));
        assert_eq!(d("datetime('NOW','subsec')", "text"), text("YYYY-MM-DD HH24:MI:SS.MS"));
        assert_eq!(d("date('now')", "text"), text("YYYY-MM-DD"));
        assert_eq!(d("time('now')", "text"), text("HH24:MI:SS"));
        assert_eq!(d("strftime('%s','now')", "text"), "CAST(pg_catalog.floor(extract(epoch FROM CURRENT_TIMESTAMP))::bigint AS pg_catalog.text)");
        assert_eq!(d("strftime('%s')", "double precision"), "pg_catalog.floor(extract(epoch FROM CURRENT_TIMESTAMP))::bigint");
        assert_eq!(d("unixepoch('now')", "bigint"), "pg_catalog.floor(extract(epoch FROM CURRENT_TIMESTAMP))::bigint");
        // Typed columns get the value SQLite's text would load as.
        assert_eq!(d("strftime('%Y-%m-%dT%H:%M:%fZ','now')", "timestamp"), "pg_catalog.date_trunc('milliseconds', (CURRENT_TIMESTAMP AT TIME ZONE 'UTC'))");
        assert_eq!(d("strftime('%Y-%m-%dT%H:%M:%SZ','now')", "timestamp"), "pg_catalog.date_trunc('second', (CURRENT_TIMESTAMP AT TIME ZONE 'UTC'))");
        assert_eq!(d("datetime('now')", "timestamp"), "pg_catalog.date_trunc('second', (CURRENT_TIMESTAMP AT TIME ZONE 'UTC'))");
        assert_eq!(d("strftime('%Y-%m-%dT%H:%M:%fZ','now')", "timestamptz"), "CURRENT_TIMESTAMP");
        assert_eq!(d("date('now')", "date"), "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')::pg_catalog.date");
        assert_eq!(d("time('now')", "time"), "pg_catalog.date_trunc('second', (CURRENT_TIMESTAMP AT TIME ZONE 'UTC'))::time");
        assert_eq!(d("time('now','subsec')", "time"), "pg_catalog.date_trunc('milliseconds', (CURRENT_TIMESTAMP AT TIME ZONE 'UTC'))::time");
        // Refused, with the reason.
        let why = |sql: &str, ty: &str| dflt(sql, ty).expect_err(sql);
        assert!(why("datetime('now','localtime')", "text").contains("localtime"));
        assert!(why("datetime('now','utc')", "timestamp").contains("utc"));
        assert!(why("datetime('now','+1 day')", "text").contains("+1 day"));
        assert!(why("datetime('2020-01-01')", "text").contains("'now'"));
        assert!(why("julianday('now')", "double precision").contains("julianday"));
        assert!(why("strftime('%w','now')", "text").contains("%w"));
        assert!(why("strftime('%s.%f','now')", "text").contains("%s"));
        assert!(why("strftime('%H:%M:%S','now')", "timestamp").contains("does not fit"));
        assert!(why("strftime('%Y','now')", "bigint").contains("does not fit"));
        assert!(why("strftime('%s','now')", "timestamp").contains("does not fit"));
        assert!(why("CURRENT_DATE", "timestamptz").contains("does not fit"));
        assert!(why("strftime('\"%Y\"','now')", "text").contains("\""));
        assert!(why("strftime(a,'now')", "text").contains("text literals"));
    }

    /// Fully parenthesized SQLite text of a tree: evaluated in SQLite, it must give
    /// what the original text gives, so the tree has SQLite's precedence.
    fn sqlite_text(e: &Expr) -> String {
        let b = |e: &Expr| sqlite_text(e);
        let not = |n: bool| if n { "NOT " } else { "" };
        match e {
            Expr::Column(c) => format!("\"{c}\""),
            Expr::Int(v) => format!("({v})"),
            Expr::Real(t) => format!("({t})"),
            Expr::Str(s) => format!("'{}'", s.replace('\'', "''")),
            Expr::Blob(h) => format!("X'{h}'"),
            Expr::Null => "NULL".into(),
            Expr::Bool(v) => (if *v { "TRUE" } else { "FALSE" }).into(),
            Expr::Unary(op, x) => format!("({}{})", match op { Unary::Neg => "- ", Unary::Pos => "+ ", Unary::BitNot => "~ " }, b(x)),
            Expr::Not(x) => format!("(NOT {})", b(x)),
            Expr::Binary(op, l, r) => format!("({} {} {})", b(l), op.symbol(), b(r)),
            Expr::Is { negated, left, right } => format!("({} IS {}{})", b(left), not(*negated), b(right)),
            Expr::IsNull { negated, expr } => format!("({} IS {}NULL)", b(expr), not(*negated)),
            Expr::Truth { negated, value, expr } => format!("({} IS {}{})", b(expr), not(*negated), if *value { "TRUE" } else { "FALSE" }),
            Expr::Like { negated, expr, pattern, escape } => {
                format!("({} {}LIKE {}{})", b(expr), not(*negated), b(pattern), escape.as_ref().map(|e| format!(" ESCAPE {}", b(e))).unwrap_or_default())
            }
            Expr::Between { negated, expr, low, high } => format!("({} {}BETWEEN {} AND {})", b(expr), not(*negated), b(low), b(high)),
            Expr::In { negated, expr, list } => format!("({} {}IN ({}))", b(expr), not(*negated), list.iter().map(b).collect::<Vec<_>>().join(", ")),
            Expr::Case { base, whens, otherwise } => format!(
                "(CASE {}{}{} END)",
                base.as_ref().map(|x| b(x) + " ").unwrap_or_default(),
                whens.iter().map(|(w, t)| format!("WHEN {} THEN {}", b(w), b(t))).collect::<Vec<_>>().join(" "),
                otherwise.as_ref().map(|o| format!(" ELSE {}", b(o))).unwrap_or_default()
            ),
            Expr::Cast { expr, type_name } => format!("CAST({} AS {type_name})", b(expr)),
            Expr::Call { name, args } => format!("{name}({})", args.iter().map(b).collect::<Vec<_>>().join(", ")),
            Expr::Collate { expr, collation } => format!("({} COLLATE {collation})", b(expr)),
        }
    }

    #[test]
    fn the_tree_has_sqlite_precedence() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE v(a, b, c, d, x);
             INSERT INTO v VALUES (1, 2, 3, 0, 5), (0, 0, 1, NULL, -2), (NULL, 1, 0, 7, 3), (2, 2, 2, 2, 2), ('a', 'B', 'ab', 'a%', 0), (2.5, -1, 4, 3, 10);",
        )
        .unwrap();
        let names: Vec<(String, String)> = ["a", "b", "c", "d", "x"].iter().map(|n| (n.to_string(), n.to_string())).collect();
        let columns = Columns { names: &names };
        let exprs = [
            "a + b * c - d / 2",
            "-a * b || c",
            "a || b = c",
            "a || b * c",
            "1 + 2 || 3",
            "NOT a = b",
            "NOT a AND b OR c",
            "a = b AND c OR d",
            "a OR b AND c",
            "a & b | c << 1 >> 1",
            "a + b & c",
            "a < b = c",
            "a = b < c",
            "a = b ISNULL",
            "a ISNULL = b",
            "a NOT NULL = b NOTNULL",
            "NOT a ISNULL",
            "a IS b = c",
            "a IS NOT b + 1",
            "a = 1 IS TRUE",
            "x BETWEEN 1 AND 2 + 3",
            "x BETWEEN a = b AND c",
            "a = x BETWEEN 1 AND 5",
            "x NOT BETWEEN b AND c = 1",
            "x IN (1, 2) = a",
            "a + 1 NOT IN (1, 2, NULL)",
            "c LIKE d = a",
            "c LIKE 'a' || '%' ESCAPE '\\' = 1",
            "~a + 1",
            "- a COLLATE NOCASE",
            "a COLLATE NOCASE = b",
            "CASE a WHEN 1 THEN b + 1 ELSE c END * 2",
            "CASE WHEN a > 1 THEN 'x' WHEN b THEN 'y' END || 'z'",
            "a - - - b",
            "a - -b * c",
            "a % 3 * 2",
            "(a + b) * (c - d)",
            "coalesce(a, b) + nullif(c, 2)",
        ];
        for sql in exprs {
            let tree = parse(&tokenize(sql).unwrap(), &columns, Mode::Expression).unwrap();
            let rebuilt = sqlite_text(&tree);
            let query = format!("SELECT count(*) FROM v WHERE ({sql}) IS NOT ({rebuilt})");
            let differ: i64 = db.query_row(&query, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{query}: {e}"));
            assert_eq!(differ, 0, "{sql} parsed as {rebuilt}");
        }
    }

    /// The printed SQL names nothing that search_path could resolve: every operator
    /// is OPERATOR(pg_catalog.x), every function pg_catalog.f( or a grammar form, every
    /// type a keyword or pg_catalog.t, every collation qualified.
    fn assert_qualified(sql: &str) {
        let chars: Vec<char> = sql.chars().collect();
        let mut i = 0;
        let mut words: Vec<String> = Vec::new();
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' || (c == 'E' && chars.get(i + 1) == Some(&'\'')) {
                i += if c == 'E' { 2 } else { 1 };
                while i < chars.len() {
                    if chars[i] == '\\' && c == 'E' {
                        i += 2;
                        continue;
                    }
                    if chars[i] == '\'' {
                        if chars.get(i + 1) == Some(&'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
                words.push("'lit'".into());
            } else if c == '"' {
                let start = i;
                i += 1;
                while i < chars.len() && !(chars[i] == '"' && chars.get(i + 1) != Some(&'"')) {
                    i += if chars[i] == '"' { 2 } else { 1 };
                }
                i += 1;
                words.push(chars[start..i].iter().collect());
            } else if c.is_alphanumeric() || c == '_' || c == '.' {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.' || (chars[i] == '"' && chars[i - 1] == '.')) {
                    if chars[i] == '"' {
                        i += 1;
                        while chars[i] != '"' {
                            i += 1;
                        }
                    }
                    i += 1;
                }
                words.push(chars[start..i].iter().collect());
            } else if c.is_whitespace() {
                i += 1;
            } else if "(),".contains(c) {
                words.push(c.to_string());
                i += 1;
            } else if c == ':' && chars.get(i + 1) == Some(&':') {
                words.push("::".into());
                i += 2;
            } else if c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()) && words.last().is_some_and(|w| w == "(" || w == ")" || w == "," || w.ends_with(')') || w == "THEN" || w == "ELSE" || w == "WHEN") {
                // A negative constant (folded by the grammar, no operator lookup).
                i += 1;
            } else {
                let start = i;
                while i < chars.len() && "+-*/<>=~!@#%^&|`?".contains(chars[i]) {
                    i += 1;
                }
                let op: String = chars[start..i].iter().collect();
                let n = words.len();
                assert!(n >= 3 && words[n - 1] == "pg_catalog." && words[n - 2] == "(" && words[n - 3] == "OPERATOR" && chars.get(i) == Some(&')'), "bare operator {op:?} in {sql}");
                words.push(format!("op{op}"));
            }
        }
        const GRAMMAR: &[&str] = &["OPERATOR", "CAST", "coalesce", "greatest", "least", "extract"];
        for (j, w) in words.iter().enumerate() {
            let next = words.get(j + 1).map(String::as_str);
            if next == Some("(") && !w.starts_with('"') && w != "(" && w != "," && w != ")" && w != "'lit'" && !w.starts_with("op") {
                let keyword = ["AND", "OR", "NOT", "WHEN", "THEN", "ELSE", "IN", "TRUE", "FALSE", "NULL", "IS", "AS", "CASE", "END"].contains(&w.as_str());
                assert!(keyword || GRAMMAR.contains(&w.as_str()) || w.starts_with("pg_catalog."), "unqualified function {w} in {sql}");
            }
            if w == "OPERATOR" {
                assert!(words.get(j + 2).is_some_and(|o| o == "pg_catalog."), "OPERATOR without pg_catalog in {sql}");
            }
            if w == "COLLATE" {
                assert!(next.is_some_and(|c| c == "pg_catalog.\"C\"" || c == "liteport.nocase"), "collation {next:?} in {sql}");
            }
            if w == "::" || (w == "AS" && j > 0) {
                let t = next.unwrap_or("");
                let keyword = ["bigint", "integer", "double", "numeric", "timestamp", "time", "boolean"].contains(&t);
                assert!(keyword || t.starts_with("pg_catalog."), "type {t} in {sql}");
            }
        }
    }

    #[test]
    fn nothing_depends_on_search_path() {
        let exprs = [
            "a + b * c - d / 2 % x",
            "-a * ~b || c",
            "a & b | c << 1 >> 2",
            "NOT a = b AND c <> d OR x != 1 AND a == 2",
            "a < 1 AND b <= 2 AND c > 3 AND d >= -4",
            "x IN (1, 2.5, 'a') AND x NOT IN (3)",
            "x BETWEEN -1 AND 1 OR x NOT BETWEEN 2 AND 3",
            "CASE x WHEN 1 THEN -1 WHEN 2 THEN 'b' ELSE nullif(a, b) END",
            "a IS b OR a IS NOT b OR a IS DISTINCT FROM 1 OR a IS TRUE",
            "name LIKE 'a\\%' OR name NOT LIKE 'b%' ESCAPE '\\' OR lower(name) LIKE upper(a)",
            "length(name) + instr(name, 'x') + abs(qty) > round(qty)",
            "replace(trim(name), 'a', 'b') || ltrim(name) || rtrim(name, 'x') || substr(name, 1, 2) = ''",
            "coalesce(a, b) + ifnull(c, 0) + max(a, b) + min(a, 2) + iif(a, 1, 2)",
            "CAST(a AS INTEGER) + CAST(b AS REAL) + CAST(length(c) AS TEXT) = 1",
            "x'00ff' = a COLLATE BINARY OR a = b COLLATE NOCASE",
            "(a IS NULL) + (b ISNULL) + (c NOTNULL) + (d NOT NULL) = 1",
            "1 << 40 > 60 * 60 * 24 * 365 * 1000",
            "-a COLLATE NOCASE = 'x'",
            "a / b > 1.5e3",
        ];
        for sql in exprs {
            assert_qualified(&ok(sql));
        }
        for (sql, ty) in [
            ("CURRENT_TIMESTAMP", "timestamp"),
            ("CURRENT_TIMESTAMP", "text"),
            ("CURRENT_DATE", "date"),
            ("CURRENT_DATE", "timestamp"),
            ("CURRENT_TIME", "time"),
            ("strftime('%s','now')", "bigint"),
            ("strftime('%s','now')", "text"),
            ("x'00'", "bytea"),
            ("(1 + 2 * 3)", "bigint"),
            ("(lower('A') || 'b')", "text"),
        ] {
            assert_qualified(&d(sql, ty));
        }
    }
}
