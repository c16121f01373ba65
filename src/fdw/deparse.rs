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

#[cfg(test)]
mod tests {
    use super::*;

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
