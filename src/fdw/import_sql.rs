//! The CREATE FOREIGN TABLE statements of IMPORT FOREIGN SCHEMA, as plain strings.

/// Postgres truncates identifiers to NAMEDATALEN-1 bytes.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportColumn {
    pub name: String,
    pub pg_type: String,
    pub not_null: bool,
    /// Conversion options (epoch_unit, empty_as_null, ...) the type needs.
    pub options: Vec<(String, String)>,
}

pub use crate::sql_names::{pg_ident, pg_literal};
use crate::sql_names::sql_type;

/// One `CREATE FOREIGN TABLE`. The SQLite name is always kept in the `table` option
/// (and in `column_name` where Postgres would truncate the name), so the foreign table
/// still reads the right data if renamed.
pub fn create_foreign_table(local_schema: &str, server: &str, table: &str, columns: &[ImportColumn]) -> String {
    create_foreign_table_as(local_schema, table, server, table, columns, &[])
}

/// `CREATE FOREIGN TABLE local_schema.local_name` reading SQLite table `table`, with
/// extra table options (after `table`).
pub fn create_foreign_table_as(
    local_schema: &str,
    local_name: &str,
    server: &str,
    table: &str,
    columns: &[ImportColumn],
    table_options: &[(String, String)],
) -> String {
    let cols: Vec<String> = columns
        .iter()
        .map(|c| {
            let mut def = format!("{} {}", pg_ident(&c.name), sql_type(&c.pg_type));
            let mut options: Vec<String> = Vec::new();
            if c.name.len() > MAX_IDENTIFIER_BYTES && !c.options.iter().any(|(k, _)| k == "column_name") {
                options.push(format!("column_name {}", pg_literal(&c.name)));
            }
            options.extend(c.options.iter().map(|(k, v)| format!("{k} {}", pg_literal(v))));
            if !options.is_empty() {
                def.push_str(&format!(" OPTIONS ({})", options.join(", ")));
            }
            if c.not_null {
                def.push_str(" NOT NULL");
            }
            def
        })
        .collect();
    let extra: String = table_options.iter().map(|(k, v)| format!(", {k} {}", pg_literal(v))).collect();
    format!(
        "CREATE FOREIGN TABLE {}.{} (\n  {}\n) SERVER {} OPTIONS (table {}{extra})",
        pg_ident(local_schema),
        pg_ident(local_name),
        cols.join(",\n  "),
        pg_ident(server),
        pg_literal(table)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_statement_quotes_everything() {
        let sql = create_foreign_table(
            "Import Here",
            "my server",
            "Order Details",
            &[
                ImportColumn { name: "select".into(), pg_type: "bigint".into(), not_null: true, options: vec![] },
                ImportColumn { name: "Mixed\"Case".into(), pg_type: "text".into(), not_null: false, options: vec![] },
            ],
        );
        assert_eq!(
            sql,
            "CREATE FOREIGN TABLE \"Import Here\".\"Order Details\" (\n  \"select\" bigint NOT NULL,\n  \"Mixed\"\"Case\" pg_catalog.text\n) SERVER \"my server\" OPTIONS (table 'Order Details')"
        );
    }

    #[test]
    fn conversion_options_follow_the_type() {
        let c = ImportColumn { name: "at".into(), pg_type: "timestamp".into(), not_null: false, options: vec![("epoch_unit".into(), "ms".into())] };
        assert!(create_foreign_table("s", "srv", "t", &[c]).contains("\"at\" timestamp OPTIONS (epoch_unit 'ms')"));
    }

    #[test]
    fn long_names_keep_the_full_sqlite_name() {
        let long = "c".repeat(70);
        let sql = create_foreign_table("s", "srv", "t", &[ImportColumn { name: long.clone(), pg_type: "text".into(), not_null: false, options: vec![] }]);
        assert!(sql.contains(&format!("pg_catalog.text OPTIONS (column_name '{long}')")), "{sql}");
    }
}
