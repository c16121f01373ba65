//! The statements one sync run executes, built from names only.

use crate::fdw::import_sql::pg_ident;

/// What a sync reads and writes. Names are already-quoted qualified relation names
/// (`source`, `target`) and plain column names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSpec {
    pub source: String,
    pub target: String,
    /// Columns copied (present in both, not generated in the target), key included.
    pub columns: Vec<String>,
    pub key: Vec<String>,
    /// The watermark column and its type in the foreign table.
    pub watermark: Option<(String, String)>,
}

fn list(names: &[String], prefix: &str) -> String {
    names.iter().map(|n| format!("{prefix}{}", pg_ident(n))).collect::<Vec<_>>().join(", ")
}

/// Upsert of the rows at or above the last watermark ($1; all rows when there is
/// none), returning (inserted, updated, new watermark as text). `>=`, not `>`: rows
/// that share the last watermark value but arrived after the last run are read again
/// (the upsert leaves unchanged rows alone, so re-reading costs nothing). A text
/// watermark is compared under "C" (byte order, as SQLite compares), which also lets
/// the comparison go down to SQLite and its index.
pub fn upsert_sql(spec: &SyncSpec, from_watermark: bool) -> String {
    let cols = list(&spec.columns, "");
    let filter = match (&spec.watermark, from_watermark) {
        (Some((wm, ty)), true) => {
            let collate = if ty == "text" || ty.starts_with("character varying") { " COLLATE \"C\"" } else { "" };
            format!(" WHERE {}{collate} >= $1::{ty}", pg_ident(wm))
        }
        _ => String::new(),
    };
    let non_key: Vec<String> = spec.columns.iter().filter(|c| !spec.key.contains(c)).cloned().collect();
    let conflict = if non_key.is_empty() {
        "DO NOTHING".to_string()
    } else {
        let set = non_key.iter().map(|c| format!("{0} = EXCLUDED.{0}", pg_ident(c))).collect::<Vec<_>>().join(", ");
        format!("DO UPDATE SET {set} WHERE ({}) IS DISTINCT FROM ({})", list(&non_key, "t."), list(&non_key, "EXCLUDED."))
    };
    let max_watermark = match &spec.watermark {
        Some((wm, _)) => format!("(SELECT max({})::text FROM src)", pg_ident(wm)),
        None => "NULL::text".into(),
    };
    format!(
        "WITH src AS MATERIALIZED (SELECT {cols} FROM {source}{filter}), \
         up AS (INSERT INTO {target} AS t ({cols}) SELECT {cols} FROM src ON CONFLICT ({key}) {conflict} RETURNING (xmax = 0) AS inserted) \
         SELECT (SELECT count(*) FILTER (WHERE inserted) FROM up), (SELECT count(*) FILTER (WHERE NOT inserted) FROM up), {max_watermark}",
        source = spec.source,
        target = spec.target,
        key = list(&spec.key, ""),
    )
}

/// Delete target rows whose key no longer exists in the source (reads keys only).
pub fn delete_sql(spec: &SyncSpec) -> String {
    let matches = spec.key.iter().map(|k| format!("s.{0} = t.{0}", pg_ident(k))).collect::<Vec<_>>().join(" AND ");
    format!("DELETE FROM {} t WHERE NOT EXISTS (SELECT 1 FROM {} s WHERE {matches})", spec.target, spec.source)
}

/// A 64-bit advisory lock key for one (foreign table, target) pair.
pub fn lock_key(source_oid: u32, target_oid: u32) -> i64 {
    ((source_oid as i64) << 32) | target_oid as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(watermark: Option<(&str, &str)>) -> SyncSpec {
        SyncSpec {
            source: "\"src\".\"items\"".into(),
            target: "\"public\".\"items\"".into(),
            columns: vec!["id".into(), "name".into(), "version".into()],
            key: vec!["id".into()],
            watermark: watermark.map(|(a, b)| (a.to_string(), b.to_string())),
        }
    }

    #[test]
    fn upsert_reads_from_the_watermark_and_updates_only_changed_rows() {
        let sql = upsert_sql(&spec(Some(("version", "bigint"))), true);
        assert!(sql.contains("FROM \"src\".\"items\" WHERE \"version\" >= $1::bigint"), "{sql}");
        assert!(sql.contains("ON CONFLICT (\"id\") DO UPDATE SET \"name\" = EXCLUDED.\"name\", \"version\" = EXCLUDED.\"version\" WHERE (t.\"name\", t.\"version\") IS DISTINCT FROM (EXCLUDED.\"name\", EXCLUDED.\"version\")"), "{sql}");
        assert!(sql.ends_with("(SELECT max(\"version\")::text FROM src)"), "{sql}");
        let first = upsert_sql(&spec(Some(("version", "bigint"))), false);
        assert!(!first.contains("WHERE \"version\""));
        let text = upsert_sql(&spec(Some(("version", "text"))), true);
        assert!(text.contains("\"version\" COLLATE \"C\" >= $1::text"), "{text}");
    }

    #[test]
    fn key_only_tables_do_nothing_on_conflict_and_deletes_read_keys() {
        let mut s = spec(None);
        s.columns = vec!["id".into()];
        assert!(upsert_sql(&s, false).contains("ON CONFLICT (\"id\") DO NOTHING"));
        assert_eq!(delete_sql(&s), "DELETE FROM \"public\".\"items\" t WHERE NOT EXISTS (SELECT 1 FROM \"src\".\"items\" s WHERE s.\"id\" = t.\"id\")");
        assert_eq!(lock_key(1, 2), (1i64 << 32) | 2);
    }
}
