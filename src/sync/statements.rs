//! The statements one sync run executes, built from names and operators only. Every
//! function, operator, type and collation is schema-qualified; the comparison
//! operators are the column types' own (a citext key compares as citext), found by
//! the caller in the type cache.

use crate::sql_names::pg_ident;

/// The watermark column: its name, its type as SQL (schema-qualified), the type's own
/// `>=` as `OPERATOR(schema.>=)`, and whether it is text compared in byte order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    pub column: String,
    pub sql_type: String,
    pub greater_or_equal: String,
    pub byte_order: bool,
}

/// What a sync reads and writes. `source` and `target` are already-quoted qualified
/// relation names built from their OIDs; columns are plain names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSpec {
    pub source: String,
    pub target: String,
    /// Columns copied (present in both, not generated in the target), key included.
    pub columns: Vec<String>,
    /// Key columns with their type's `=` as `OPERATOR(schema.=)`.
    pub key: Vec<(String, String)>,
    pub watermark: Option<Watermark>,
}

fn list(names: &[String], prefix: &str) -> String {
    names.iter().map(|n| format!("{prefix}{}", pg_ident(n))).collect::<Vec<_>>().join(", ")
}

fn collate_c(w: &Watermark) -> &'static str {
    if w.byte_order {
        " COLLATE pg_catalog.\"C\""
    } else {
        ""
    }
}

/// Which rows a run reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Every row (first run, a new watermark column, a replaced source, `full`).
    All,
    /// Rows at or above the last watermark ($1, text in the type's output form), and
    /// every row whose watermark is NULL (they have no place in the order, so they
    /// are compared by key and content on every run rather than left out).
    FromWatermark,
}

/// Upsert of the rows to read, returning (inserted, updated, rows read with a NULL
/// watermark, new watermark as text). `>=`, not `>`: rows that share the last
/// watermark value but arrived after the last run are read again (the upsert leaves
/// unchanged rows alone). A text watermark is compared under "C" (byte order, as
/// SQLite compares), which also lets the comparison go down to SQLite and its index.
/// Changed rows are found by comparing binary images of the whole row
/// (`*<>`): NULL-safe, and free of any type's own equality.
pub fn upsert_sql(spec: &SyncSpec, reading: Reading) -> String {
    let cols = list(&spec.columns, "");
    let filter = match (&spec.watermark, reading) {
        (Some(w), Reading::FromWatermark) => format!(
            " WHERE ({wm}{c} {ge} CAST($1 AS {ty}) OR {wm} IS NULL)",
            wm = pg_ident(&w.column),
            c = collate_c(w),
            ge = w.greater_or_equal,
            ty = w.sql_type
        ),
        _ => String::new(),
    };
    let key_names: Vec<String> = spec.key.iter().map(|(k, _)| k.clone()).collect();
    let non_key: Vec<String> = spec.columns.iter().filter(|c| !key_names.contains(c)).cloned().collect();
    let conflict = if non_key.is_empty() {
        "DO NOTHING".to_string()
    } else {
        let set = non_key.iter().map(|c| format!("{0} = EXCLUDED.{0}", pg_ident(c))).collect::<Vec<_>>().join(", ");
        format!(
            "DO UPDATE SET {set} WHERE ROW({})::pg_catalog.record OPERATOR(pg_catalog.*<>) ROW({})::pg_catalog.record",
            list(&non_key, "t."),
            list(&non_key, "EXCLUDED.")
        )
    };
    let (max_watermark, null_watermarks) = match &spec.watermark {
        Some(w) => (
            format!(
                "(SELECT {wm}::pg_catalog.text FROM src WHERE {wm} IS NOT NULL ORDER BY {wm}{c} DESC LIMIT 1)",
                wm = pg_ident(&w.column),
                c = collate_c(w)
            ),
            format!("(SELECT pg_catalog.count(*) FROM src WHERE {} IS NULL)", pg_ident(&w.column)),
        ),
        None => ("NULL::pg_catalog.text".into(), "0::bigint".into()),
    };
    format!(
        "WITH src AS MATERIALIZED (SELECT {cols} FROM {source}{filter}), \
         up AS (INSERT INTO {target} AS t ({cols}) SELECT {cols} FROM src ON CONFLICT ({key}) {conflict} RETURNING (t.xmax OPERATOR(pg_catalog.=) 0) AS inserted) \
         SELECT (SELECT pg_catalog.count(*) FILTER (WHERE inserted) FROM up), (SELECT pg_catalog.count(*) FILTER (WHERE NOT inserted) FROM up), {null_watermarks}, {max_watermark}",
        source = spec.source,
        target = spec.target,
        key = list(&key_names, ""),
    )
}

/// Delete target rows whose key no longer exists in the source (reads keys only).
pub fn delete_sql(spec: &SyncSpec) -> String {
    let matches = spec.key.iter().map(|(k, eq)| format!("s.{0} {eq} t.{0}", pg_ident(k))).collect::<Vec<_>>().join(" AND ");
    format!("DELETE FROM {} t WHERE NOT EXISTS (SELECT 1 FROM {} s WHERE {matches})", spec.target, spec.source)
}

/// The number of target rows (to judge how large a share a delete would remove).
pub fn count_sql(spec: &SyncSpec) -> String {
    format!("SELECT pg_catalog.count(*) FROM {}", spec.target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(watermark: Option<(&str, &str, bool)>) -> SyncSpec {
        SyncSpec {
            source: "\"src\".\"items\"".into(),
            target: "\"public\".\"items\"".into(),
            columns: vec!["id".into(), "name".into(), "version".into()],
            key: vec![("id".into(), "OPERATOR(pg_catalog.=)".into())],
            watermark: watermark.map(|(c, t, byte_order)| Watermark {
                column: c.into(),
                sql_type: t.into(),
                greater_or_equal: "OPERATOR(pg_catalog.>=)".into(),
                byte_order,
            }),
        }
    }

    #[test]
    fn upsert_reads_from_the_watermark_with_null_watermarks_and_updates_only_changed_rows() {
        let sql = upsert_sql(&spec(Some(("version", "bigint", false))), Reading::FromWatermark);
        assert!(sql.contains("FROM \"src\".\"items\" WHERE (\"version\" OPERATOR(pg_catalog.>=) CAST($1 AS bigint) OR \"version\" IS NULL)"), "{sql}");
        assert!(sql.contains("ON CONFLICT (\"id\") DO UPDATE SET \"name\" = EXCLUDED.\"name\", \"version\" = EXCLUDED.\"version\" WHERE ROW(t.\"name\", t.\"version\")::pg_catalog.record OPERATOR(pg_catalog.*<>) ROW(EXCLUDED.\"name\", EXCLUDED.\"version\")::pg_catalog.record"), "{sql}");
        assert!(sql.ends_with("(SELECT \"version\"::pg_catalog.text FROM src WHERE \"version\" IS NOT NULL ORDER BY \"version\" DESC LIMIT 1)"), "{sql}");
        assert!(sql.contains("(SELECT pg_catalog.count(*) FROM src WHERE \"version\" IS NULL)"));
        let first = upsert_sql(&spec(Some(("version", "bigint", false))), Reading::All);
        assert!(!first.contains("WHERE (\"version\""));
        let text = upsert_sql(&spec(Some(("version", "pg_catalog.text", true))), Reading::FromWatermark);
        assert!(text.contains("\"version\" COLLATE pg_catalog.\"C\" OPERATOR(pg_catalog.>=) CAST($1 AS pg_catalog.text)"), "{text}");
    }

    #[test]
    fn key_only_tables_do_nothing_on_conflict_and_deletes_read_keys() {
        let mut s = spec(None);
        s.columns = vec!["id".into()];
        assert!(upsert_sql(&s, Reading::All).contains("ON CONFLICT (\"id\") DO NOTHING"));
        assert_eq!(
            delete_sql(&s),
            "DELETE FROM \"public\".\"items\" t WHERE NOT EXISTS (SELECT 1 FROM \"src\".\"items\" s WHERE s.\"id\" OPERATOR(pg_catalog.=) t.\"id\")"
        );
    }
}
