//! The SQL liteport sends to SQLite, built from plain data so it can be unit-tested
//! and shown verbatim by EXPLAIN VERBOSE.

/// A SQLite identifier, always quoted: names with spaces, quotes, mixed case and
/// keywords ("order", "select") all come through unchanged.
pub fn sqlite_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `SELECT` of the needed columns (plus the rowid alias, last, when the relation has
/// one: it names the row in error messages). With nothing needed, as in count(*),
/// SQLite still steps every row but decodes no column.
pub fn select_sql(table: &str, columns: &[String], rowid_alias: Option<&str>) -> String {
    let mut list: Vec<String> = columns.iter().map(|c| sqlite_ident(c)).collect();
    if let Some(alias) = rowid_alias {
        list.push(alias.to_string());
    }
    if list.is_empty() {
        list.push("NULL".into());
    }
    format!("SELECT {} FROM {}", list.join(", "), sqlite_ident(table))
}

/// A filter SQLite evaluates exactly as Postgres would (pushdown.rs decides which).
#[derive(Debug, Clone, PartialEq)]
pub enum RemoteExpr {
    /// A SQLite column, by its SQLite name.
    Column(String),
    /// The n-th bound value (1-based), bound at execution from a Const or Param.
    Param(usize),
    /// `a op b` with op one of = <> < <= > >=.
    Compare(Box<RemoteExpr>, &'static str, Box<RemoteExpr>),
    And(Vec<RemoteExpr>),
    Or(Vec<RemoteExpr>),
    Not(Box<RemoteExpr>),
    /// `a IS NULL` (false) or `a IS NOT NULL` (true).
    IsNull(Box<RemoteExpr>, bool),
    /// `a IN (...)`.
    In(Box<RemoteExpr>, Vec<RemoteExpr>),
    /// `a GLOB pattern`, the exact-case equivalent of a Postgres LIKE pattern.
    Glob(Box<RemoteExpr>, String),
    /// A constant of liteport's own (a guard's bound: `''`, `x''`, 9007199254740992).
    Literal(&'static str),
}

impl RemoteExpr {
    pub fn to_sql(&self) -> String {
        match self {
            RemoteExpr::Column(c) => sqlite_ident(c),
            RemoteExpr::Param(n) => format!("?{n}"),
            RemoteExpr::Compare(a, op, b) => format!("{} {op} {}", a.to_sql(), b.to_sql()),
            RemoteExpr::And(items) => format!("({})", items.iter().map(|e| e.to_sql()).collect::<Vec<_>>().join(" AND ")),
            RemoteExpr::Or(items) => format!("({})", items.iter().map(|e| e.to_sql()).collect::<Vec<_>>().join(" OR ")),
            RemoteExpr::Not(e) => format!("NOT ({})", e.to_sql()),
            RemoteExpr::IsNull(e, negated) => format!("{} IS {}NULL", e.to_sql(), if *negated { "NOT " } else { "" }),
            RemoteExpr::In(e, items) => format!("{} IN ({})", e.to_sql(), items.iter().map(|i| i.to_sql()).collect::<Vec<_>>().join(", ")),
            RemoteExpr::Glob(e, pattern) => format!("{} GLOB '{}'", e.to_sql(), pattern.replace('\'', "''")),
            RemoteExpr::Literal(s) => s.to_string(),
        }
    }
}

/// A Postgres LIKE pattern (escape character `\\`) as a SQLite GLOB pattern with the
/// same matches: `%` → `*`, `_` → `?`, and GLOB's own `*`, `?`, `[` matched literally.
/// Both compare exactly, case included. None if the pattern ends in a lone escape.
pub fn like_to_glob(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let literal = match c {
            '%' => {
                out.push('*');
                continue;
            }
            '_' => {
                out.push('?');
                continue;
            }
            '\\' => chars.next()?,
            other => other,
        };
        match literal {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(literal);
                out.push(']');
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// One ORDER BY key: SQLite column, descending, NULLs first. SQLite sorts NULL as
/// the smallest value; an explicit `col IS NULL` key gives Postgres's NULL placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKey {
    pub column: String,
    pub descending: bool,
    pub nulls_first: bool,
}

/// The full statement: columns, filters, order and limit.
pub fn scan_sql(table: &str, columns: &[String], rowid_alias: Option<&str>, filters: &[RemoteExpr], order: &[OrderKey], limit: Option<i64>) -> String {
    let mut sql = select_sql(table, columns, rowid_alias);
    if !filters.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&filters.iter().map(|f| f.to_sql()).collect::<Vec<_>>().join(" AND "));
    }
    if !order.is_empty() {
        let keys: Vec<String> = order
            .iter()
            .map(|k| {
                let col = sqlite_ident(&k.column);
                format!("{col} IS NULL{}, {col}{}", if k.nulls_first { " DESC" } else { "" }, if k.descending { " DESC" } else { "" })
            })
            .collect();
        sql.push_str(" ORDER BY ");
        sql.push_str(&keys.join(", "));
    }
    if let Some(n) = limit {
        sql.push_str(&format!(" LIMIT {n}"));
    }
    sql
}

/// `SELECT count(*), max("c") FROM t WHERE ...`: aggregates Postgres would compute
/// over the rows these filters leave, computed by SQLite.
pub fn aggregate_sql(table: &str, aggregates: &[String], filters: &[RemoteExpr]) -> String {
    let mut sql = format!("SELECT {} FROM {}", aggregates.join(", "), sqlite_ident(table));
    if !filters.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&filters.iter().map(|f| f.to_sql()).collect::<Vec<_>>().join(" AND "));
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_filters_render_as_sqlite_sql() {
        let col = |c: &str| Box::new(RemoteExpr::Column(c.into()));
        let e = RemoteExpr::Or(vec![
            RemoteExpr::Compare(col("id"), ">=", Box::new(RemoteExpr::Param(1))),
            RemoteExpr::And(vec![RemoteExpr::IsNull(col("name"), true), RemoteExpr::Not(Box::new(RemoteExpr::In(col("k"), vec![RemoteExpr::Param(2), RemoteExpr::Param(3)])))]),
        ]);
        assert_eq!(e.to_sql(), "(\"id\" >= ?1 OR (\"name\" IS NOT NULL AND NOT (\"k\" IN (?2, ?3))))");
        let sql = scan_sql(
            "t",
            &["a".into()],
            Some("rowid"),
            &[RemoteExpr::Glob(col("a"), "it's*".into())],
            &[OrderKey { column: "a".into(), descending: false, nulls_first: false }, OrderKey { column: "b".into(), descending: true, nulls_first: true }],
            Some(10),
        );
        assert_eq!(sql, "SELECT \"a\", rowid FROM \"t\" WHERE \"a\" GLOB 'it''s*' ORDER BY \"a\" IS NULL, \"a\", \"b\" IS NULL DESC, \"b\" DESC LIMIT 10");
    }

    #[test]
    fn like_patterns_become_exact_globs() {
        assert_eq!(like_to_glob("abc%").as_deref(), Some("abc*"));
        assert_eq!(like_to_glob("a_c").as_deref(), Some("a?c"));
        assert_eq!(like_to_glob("5\\% off*[x]?").as_deref(), Some("5% off[*][[]x][?]"));
        assert_eq!(like_to_glob("ends\\"), None);
    }

    #[test]
    fn identifiers_round_trip() {
        assert_eq!(sqlite_ident("order"), "\"order\"");
        assert_eq!(sqlite_ident("Order Details"), "\"Order Details\"");
        assert_eq!(sqlite_ident("we\"ird"), "\"we\"\"ird\"");
    }

    #[test]
    fn select_lists_needed_columns_then_rowid() {
        assert_eq!(select_sql("t", &["a".into(), "B c".into()], Some("rowid")), "SELECT \"a\", \"B c\", rowid FROM \"t\"");
        assert_eq!(select_sql("t", &[], Some("_rowid_")), "SELECT _rowid_ FROM \"t\"");
        assert_eq!(select_sql("v", &[], None), "SELECT NULL FROM \"v\"");
    }
}
