//! SQLite expressions (CHECK constraints, generated columns, index keys and WHERE
//! clauses, DEFAULTs) → Postgres expressions, for the subset whose meaning is the
//! same in both. Anything else is refused with a reason, which the plan reports; a
//! guess that changes meaning is worse than an honest "not translated".

use crate::fdw::import_sql::{pg_ident, pg_literal};
use crate::sqlite::sql_text::{matching_paren, split_top_level, tokenize, Token};
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

/// Scalar functions with the same meaning in both (SQLite name, Postgres name).
const FUNCTIONS: &[(&str, &str)] = &[
    ("lower", "lower"),
    ("upper", "upper"),
    ("length", "length"),
    ("abs", "abs"),
    ("coalesce", "coalesce"),
    ("ifnull", "coalesce"),
    ("nullif", "nullif"),
    ("trim", "btrim"),
    ("ltrim", "ltrim"),
    ("rtrim", "rtrim"),
    ("replace", "replace"),
    ("substr", "substr"),
    ("substring", "substr"),
    ("instr", "strpos"),
];

/// Words passed through as they are: the same operators and syntax in both.
const KEYWORDS: &[&str] = &["AND", "OR", "NOT", "NULL", "IN", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END", "TRUE", "FALSE", "ESCAPE"];

/// Translate an expression. `Err` says why it cannot be.
pub fn translate(tokens: &[Token], columns: &Columns) -> Result<String, String> {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let next = tokens.get(i + 1);
        match t {
            Token::Word(w) if next.is_some_and(|n| n.is_op("(")) && !KEYWORDS.contains(&w.to_ascii_uppercase().as_str()) && columns.target(w).is_none() => {
                let close = matching_paren(tokens, i + 1).ok_or("unbalanced parentheses")?;
                out.push(function_call(w, &tokens[i + 2..close], columns)?);
                i = close + 1;
                continue;
            }
            // table.column: only the table's own columns can appear here.
            Token::Word(_) | Token::Quoted(_) if next.is_some_and(|n| n.is_op(".")) => {
                i += 2;
                continue;
            }
            Token::Word(w) => {
                let upper = w.to_ascii_uppercase();
                if let Some(target) = columns.target(w) {
                    out.push(pg_ident(target));
                } else if KEYWORDS.contains(&upper.as_str()) {
                    out.push(upper);
                } else if upper == "IS" {
                    // a IS b / a IS NOT b compare NULLs as values; IS [NOT] NULL and
                    // IS [NOT] DISTINCT FROM mean the same in Postgres.
                    let negated = next.is_some_and(|n| n.is_kw("NOT"));
                    let after = tokens.get(i + 1 + negated as usize);
                    if after.is_some_and(|a| a.is_kw("NULL") || a.is_kw("DISTINCT")) {
                        out.push(if negated { "IS NOT".into() } else { "IS".into() });
                    } else {
                        out.push(if negated { "IS DISTINCT FROM".into() } else { "IS NOT DISTINCT FROM".into() });
                    }
                    i += 1 + negated as usize;
                    continue;
                } else if upper == "ISNULL" {
                    out.push("IS NULL".into());
                } else if upper == "NOTNULL" {
                    out.push("IS NOT NULL".into());
                } else if upper == "LIKE" {
                    // SQLite's LIKE ignores case (ASCII); ILIKE is the Postgres spelling.
                    out.push("ILIKE".into());
                } else if upper == "COLLATE" {
                    let name = next.and_then(|n| n.name()).ok_or("COLLATE without a name")?;
                    out.push(format!("COLLATE {}", collation(name)?));
                    i += 2;
                    continue;
                } else if matches!(upper.as_str(), "GLOB" | "REGEXP" | "MATCH") {
                    return Err(format!("{upper} has no Postgres equivalent with the same semantics"));
                } else if upper == "CURRENT_TIMESTAMP" || upper == "CURRENT_DATE" || upper == "CURRENT_TIME" {
                    return Err(format!("{upper} yields text in SQLite and a typed value in Postgres"));
                } else {
                    return Err(format!("unknown name {w}"));
                }
            }
            Token::Quoted(q) => match columns.target(q) {
                Some(target) => out.push(pg_ident(target)),
                None => return Err(format!("unknown column \"{q}\"")),
            },
            Token::Str(s) => out.push(pg_literal(s)),
            Token::Blob(hex) => out.push(format!("{}::bytea", pg_literal(&format!("\\x{hex}")))),
            Token::Number(n) => out.push(number(n)?),
            Token::Op(op) => out.push(
                match op.as_str() {
                    "==" => "=",
                    "!=" => "<>",
                    ";" => return Err("more than one statement".into()),
                    other => other,
                }
                .to_string(),
            ),
        }
        i += 1;
    }
    if out.is_empty() {
        return Err("empty expression".into());
    }
    Ok(join(&out))
}

/// Join with spaces, but not inside parentheses or before commas, for readable SQL.
fn join(parts: &[String]) -> String {
    let mut s = String::new();
    for (i, p) in parts.iter().enumerate() {
        let tight = p == ")" || p == "," || (i > 0 && parts[i - 1] == "(");
        if i > 0 && !tight {
            s.push(' ');
        }
        s.push_str(p);
    }
    s
}

fn number(n: &str) -> Result<String, String> {
    if let Some(hex) = n.strip_prefix("0x").or_else(|| n.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).map(|v| (v as i64).to_string()).map_err(|_| format!("bad hex number {n}"));
    }
    if scalar::is_numeric_literal(n) {
        Ok(n.to_string())
    } else {
        Err(format!("bad number {n}"))
    }
}

/// NOCASE keeps its case-insensitive meaning through liteport's ICU collation.
pub fn collation(name: &str) -> Result<&'static str, String> {
    match name.to_ascii_uppercase().as_str() {
        "NOCASE" => crate::pg_compat::nocase_collation().ok_or_else(|| "collation NOCASE needs ICU, which this PostgreSQL was built without".to_string()),
        "BINARY" => Ok("\"C\""),
        other => Err(format!("collation {other} has no Postgres equivalent")),
    }
}

fn function_call(name: &str, args: &[Token], columns: &Columns) -> Result<String, String> {
    let lower = name.to_ascii_lowercase();
    if lower == "cast" {
        let parts: Vec<usize> = {
            let mut depth = 0;
            let mut at = Vec::new();
            for (i, t) in args.iter().enumerate() {
                if t.is_op("(") {
                    depth += 1;
                } else if t.is_op(")") {
                    depth -= 1;
                } else if depth == 0 && t.is_kw("AS") {
                    at.push(i);
                }
            }
            at
        };
        let as_at = *parts.last().ok_or("CAST without AS")?;
        let type_name = crate::sqlite::sql_text::render(&args[as_at + 1..]);
        return Ok(format!("CAST({} AS {})", translate(&args[..as_at], columns)?, declared::postgres_type_for(&type_name)));
    }
    let translated_args = split_top_level(args).iter().map(|a| translate(a, columns)).collect::<Result<Vec<_>, _>>()?;
    let pg_name = match (lower.as_str(), translated_args.len()) {
        ("max", n) if n >= 2 => "greatest",
        ("min", n) if n >= 2 => "least",
        ("round", 1) => "round",
        _ => FUNCTIONS.iter().find(|(s, _)| *s == lower).map(|(_, p)| *p).ok_or_else(|| format!("function {name}() has no Postgres equivalent"))?,
    };
    Ok(format!("{pg_name}({})", translated_args.join(", ")))
}

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

/// SQLite's "now" in UTC, as SQLite's CURRENT_* keywords give it, in the column's type.
fn now_default(which: &str, class: TypeClass) -> Result<String, String> {
    const UTC_NOW: &str = "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')";
    let sql = match (which, class) {
        ("CURRENT_TIMESTAMP", TypeClass::Timestamptz) => "CURRENT_TIMESTAMP".to_string(),
        ("CURRENT_TIMESTAMP", TypeClass::Timestamp) => format!("date_trunc('second', {UTC_NOW})"),
        ("CURRENT_TIMESTAMP", TypeClass::Text) => format!("to_char({UTC_NOW}, 'YYYY-MM-DD HH24:MI:SS')"),
        ("CURRENT_TIMESTAMP" | "CURRENT_DATE", TypeClass::Date) => format!("{UTC_NOW}::date"),
        ("CURRENT_DATE", TypeClass::Timestamp) => format!("{UTC_NOW}::date::timestamp"),
        ("CURRENT_DATE", TypeClass::Text) => format!("to_char({UTC_NOW}, 'YYYY-MM-DD')"),
        ("CURRENT_TIME", TypeClass::Time) => format!("{UTC_NOW}::time(0)"),
        ("CURRENT_TIME", TypeClass::Text) => format!("to_char({UTC_NOW}, 'HH24:MI:SS')"),
        ("EPOCH", TypeClass::Integer) => "extract(epoch FROM CURRENT_TIMESTAMP)::bigint".to_string(),
        _ => return Err(format!("{which} does not fit a column of this type")),
    };
    Ok(sql)
}

/// A column's DEFAULT (as SQLite stores it in table_xinfo) for a Postgres column of
/// type `pg_type`. `Ok(None)`: no default (DEFAULT NULL).
pub fn translate_default(default: &str, pg_type: &str, columns: &Columns) -> Result<Option<String>, String> {
    let mut tokens = tokenize(default)?;
    while tokens.len() >= 2 && tokens[0].is_op("(") && matching_paren(&tokens, 0) == Some(tokens.len() - 1) {
        tokens = tokens[1..tokens.len() - 1].to_vec();
    }
    let class = type_class(pg_type);
    if tokens.len() == 1 && tokens[0].is_kw("NULL") {
        return Ok(None);
    }
    // The spellings of "now" applications use.
    let now = match tokens.as_slice() {
        [Token::Word(w)] if ["CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"].contains(&w.to_ascii_uppercase().as_str()) => Some(w.to_ascii_uppercase()),
        [Token::Word(f), Token::Op(o), Token::Str(now), Token::Op(c)] if o == "(" && c == ")" && now.eq_ignore_ascii_case("now") => {
            match f.to_ascii_lowercase().as_str() {
                "datetime" => Some("CURRENT_TIMESTAMP".into()),
                "date" => Some("CURRENT_DATE".into()),
                "time" => Some("CURRENT_TIME".into()),
                _ => None,
            }
        }
        [Token::Word(f), Token::Op(o), Token::Str(fmt), Token::Op(comma), Token::Str(now), Token::Op(c)]
            if f.eq_ignore_ascii_case("strftime") && o == "(" && comma == "," && c == ")" && fmt == "%s" && now.eq_ignore_ascii_case("now") =>
        {
            Some("EPOCH".into())
        }
        _ => None,
    };
    if let Some(which) = now {
        return now_default(&which, class).map(Some);
    }
    // A literal, optionally signed.
    let (sign, literal) = match tokens.as_slice() {
        [Token::Op(s), lit] if s == "-" || s == "+" => (s.as_str(), Some(lit)),
        [lit] => ("", Some(lit)),
        _ => ("", None),
    };
    if let Some(lit) = literal {
        if let Some(sql) = literal_default(sign, lit, class)? {
            return Ok(Some(sql));
        }
    }
    translate(&tokens, columns).map(|e| Some(format!("({e})")))
}

/// A literal DEFAULT, checked against the column type the way a value would be, so
/// that CREATE TABLE never fails on it. `Ok(None)`: not a literal.
fn literal_default(sign: &str, lit: &Token, class: TypeClass) -> Result<Option<String>, String> {
    let refuse = |why: &str| Err(format!("default {} {why}", crate::sqlite::sql_text::render(std::slice::from_ref(lit))));
    let sql = match (lit, class) {
        (Token::Number(n), _) => {
            let text = format!("{}{}", if sign == "-" { "-" } else { "" }, number(n)?);
            match class {
                TypeClass::Integer => match scalar::parse_int(&text) {
                    Ok(v) => v.to_string(),
                    Err(_) => return refuse("is not an integer"),
                },
                TypeClass::Number => text,
                TypeClass::Text => pg_literal(&text),
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
        (Token::Blob(hex), TypeClass::Bytes) => format!("{}::bytea", pg_literal(&format!("\\x{hex}"))),
        (Token::Blob(_), _) => return refuse("is a blob, and the column is not bytea"),
        (Token::Word(w), TypeClass::Bool) if w.eq_ignore_ascii_case("TRUE") || w.eq_ignore_ascii_case("FALSE") => w.to_ascii_lowercase(),
        _ => return Ok(None),
    };
    Ok(Some(sql))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<(String, String)> {
        vec![("Discount".into(), "discount".into()), ("name".into(), "name".into()), ("qty".into(), "qty".into())]
    }

    fn tr(sql: &str) -> Result<String, String> {
        let names = cols();
        translate(&tokenize(sql).unwrap(), &Columns { names: &names })
    }

    fn dflt(sql: &str, ty: &str) -> Result<Option<String>, String> {
        let names = cols();
        translate_default(sql, ty, &Columns { names: &names })
    }

    #[test]
    fn checks_translate_with_renamed_columns() {
        assert_eq!(tr("[Discount]>=(0) AND [Discount]<=(1)").unwrap(), "\"discount\" >= (0) AND \"discount\" <= (1)");
        assert_eq!(tr("length(name) > 0 AND qty != 3").unwrap(), "length(\"name\") > 0 AND \"qty\" <> 3");
        assert_eq!(tr("name IN ('a', 'b''c')").unwrap(), "\"name\" IN ('a', 'b''c')");
        assert_eq!(tr("qty IS NOT NULL").unwrap(), "\"qty\" IS NOT NULL");
        assert_eq!(tr("qty IS 3").unwrap(), "\"qty\" IS NOT DISTINCT FROM 3");
        assert_eq!(tr("qty IS NOT 3").unwrap(), "\"qty\" IS DISTINCT FROM 3");
        assert_eq!(tr("ifnull(qty, 0) == 0x10").unwrap(), "coalesce(\"qty\", 0) = 16");
        assert_eq!(tr("CAST(qty AS TEXT) = '1'").unwrap(), "CAST(\"qty\" AS text) = '1'");
        assert_eq!(tr("name LIKE 'a%'").unwrap(), "\"name\" ILIKE 'a%'");
        assert_eq!(tr("t.qty > 1").unwrap(), "\"qty\" > 1");
        assert_eq!(tr("max(qty, 1) < 5").unwrap(), "greatest(\"qty\", 1) < 5");
    }

    #[test]
    fn untranslatable_expressions_say_why() {
        assert!(tr("typeof(qty) = 'integer'").unwrap_err().contains("typeof"));
        assert!(tr("name GLOB 'a*'").unwrap_err().contains("GLOB"));
        assert!(tr("nosuch > 1").unwrap_err().contains("nosuch"));
        assert!(tr("x'00' = qty").is_ok());
    }

    #[test]
    fn defaults_follow_the_column_type() {
        assert_eq!(dflt("0", "boolean").unwrap().unwrap(), "false");
        assert_eq!(dflt("'Y'", "text").unwrap().unwrap(), "'Y'");
        assert_eq!(dflt("-1", "bigint").unwrap().unwrap(), "-1");
        assert_eq!(dflt("0", "numeric(10,2)").unwrap().unwrap(), "0");
        assert_eq!(dflt("1", "text").unwrap().unwrap(), "'1'");
        assert_eq!(dflt("NULL", "text").unwrap(), None);
        assert_eq!(dflt("CURRENT_TIMESTAMP", "timestamp").unwrap().unwrap(), "date_trunc('second', (CURRENT_TIMESTAMP AT TIME ZONE 'UTC'))");
        assert_eq!(dflt("CURRENT_TIMESTAMP", "timestamptz").unwrap().unwrap(), "CURRENT_TIMESTAMP");
        assert_eq!(dflt("(datetime('now'))", "text").unwrap().unwrap(), "to_char((CURRENT_TIMESTAMP AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:MI:SS')");
        assert_eq!(dflt("CURRENT_DATE", "date").unwrap().unwrap(), "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')::date");
        assert_eq!(dflt("strftime('%s','now')", "bigint").unwrap().unwrap(), "extract(epoch FROM CURRENT_TIMESTAMP)::bigint");
        assert_eq!(dflt("'2020-01-02'", "date").unwrap().unwrap(), "'2020-01-02'");
        assert_eq!(dflt("(qty * 2)", "bigint").unwrap().unwrap(), "(\"qty\" * 2)");
        assert_eq!(dflt("'Y'", "boolean").unwrap().unwrap(), "true");
        assert!(dflt("'maybe'", "boolean").is_err(), "a default that would fail CREATE TABLE is refused");
        assert!(dflt("'soon'", "timestamp").is_err());
        assert!(dflt("2", "boolean").is_err());
        assert!(dflt("CURRENT_TIMESTAMP", "bigint").is_err());
    }
}
