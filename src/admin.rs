//! Small SQL functions for looking at and managing liteport's connections.

use crate::sqlite::cache as connection;
use pgrx::prelude::*;

/// The SQLite files this backend has open, one row per foreign server, as
/// postgres_fdw_get_connections() does for remote servers.
#[pg_extern]
#[search_path(pg_catalog, pg_temp)]
fn connections() -> TableIterator<'static, (name!(server_name, String), name!(database, String), name!(in_transaction, bool))> {
    TableIterator::new(connection::open_connections())
}

/// Close every SQLite file this backend has open; returns how many were closed.
/// They reopen on next use.
#[pg_extern(volatile)]
#[search_path(pg_catalog, pg_temp)]
fn disconnect() -> i32 {
    connection::close_all() as i32
}

/// The SQLite version number stored in a database header (bytes 96..100: the
/// version of the library that last wrote the file), as "3.45.1".
pub fn header_sqlite_version(header: &[u8]) -> Option<String> {
    let bytes: [u8; 4] = header.get(96..100)?.try_into().ok()?;
    let n = u32::from_be_bytes(bytes);
    (n > 0).then(|| format!("{}.{}.{}", n / 1_000_000, n / 1000 % 1000, n % 1000))
}

/// The journal mode a header records (bytes 18 and 19: 1 rollback journal, 2 WAL).
pub fn header_journal_mode(header: &[u8]) -> Option<&'static str> {
    match header.get(18..20)? {
        [1, 1] => Some("rollback"),
        [2, 2] => Some("wal"),
        _ => Some("unknown"),
    }
}

/// What `liteport.check` reports of a source.
#[derive(Default)]
struct CheckReport {
    source: String,
    sqlite_version: Option<String>,
    page_size: i64,
    page_count: i64,
    size_bytes: i64,
    journal_mode: Option<String>,
    tables: i64,
    integrity_check: String,
    problem: Option<String>,
    written_by: Option<String>,
    notes: Option<String>,
}

fn inspect(conn: &crate::sqlite::connection::SqliteConnection) -> Result<CheckReport, String> {
    let db = conn.db();
    let one = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).map_err(|e| format!("{sql}: {e}"));
    let header = &conn.header;
    let mut report = CheckReport {
        source: conn.options.describe(),
        sqlite_version: header_sqlite_version(header),
        journal_mode: header_journal_mode(header).map(str::to_string),
        ..Default::default()
    };
    if header.is_empty() {
        report.problem = Some("the file is empty (0 bytes): SQLite reads it as a database without tables, which is rarely what a copy of an application's file should be".into());
        return Ok(report);
    }
    report.page_size = one("PRAGMA page_size")?;
    report.page_count = one("PRAGMA page_count")?;
    report.size_bytes = report.page_size * report.page_count;
    report.tables = one("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")?;
    // integrity_check, not quick_check: it also compares every index with its table, and
    // a stale index is exactly what would make pushed-down lookups return wrong rows.
    // Rows it reports before failing are kept, so a damaged file still says where.
    let mut lines: Vec<String> = Vec::new();
    let outcome = (|| -> rusqlite::Result<()> {
        let mut stmt = db.prepare("PRAGMA integrity_check")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            lines.push(row.get::<_, String>(0)?);
        }
        Ok(())
    })();
    if let Err(e) = outcome {
        lines.push(format!("integrity_check stopped: {e}"));
    }
    report.integrity_check = lines.join("; ");
    report.written_by = conn.writer_and_evidence().map(|(w, evidence)| format!("{} ({evidence}): {}", w.name(), w.conventions()));
    let stand_ins = crate::sqlite::connection::STAND_IN_COLLATIONS.with(|s| s.borrow().iter().cloned().collect::<Vec<_>>());
    if !stand_ins.is_empty() {
        report.notes = Some(format!(
            "the application's own collation{} {} {}: liteport reads the file with a stand-in ({})",
            if stand_ins.len() > 1 { "s" } else { "" },
            stand_ins.join(", "),
            if stand_ins.len() > 1 { "are" } else { "is" },
            "unicase: case-insensitive; others: byte order"
        ));
    }
    if report.integrity_check != "ok" {
        report.problem = Some(format!("PRAGMA integrity_check found damage: {}", crate::sql_names::visible(&report.integrity_check)));
    }
    Ok(report)
}

/// Open a liteport server's source and report what it is, before any migration:
/// the SQLite version that last wrote it, page size and count, size, journal mode,
/// number of tables, whether `PRAGMA integrity_check` passes, and the program that
/// wrote the file (with the conventions liteport applies for it). A source that cannot be
/// opened or read is `ok = false` with the reason in `problem` (not an ERROR), so that
/// many files can be checked in one query. Needs USAGE on the server.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn check(
    server: &str,
) -> TableIterator<
    'static,
    (
        name!(source, String),
        name!(sqlite_version, Option<String>),
        name!(page_size, i64),
        name!(page_count, i64),
        name!(size_bytes, i64),
        name!(journal_mode, Option<String>),
        name!(tables, i64),
        name!(integrity_check, String),
        name!(ok, bool),
        name!(problem, Option<String>),
        name!(written_by, Option<String>),
        name!(notes, Option<String>),
    ),
> {
    crate::settings::with_fixed_settings(|| {
        let report = match crate::fdw::server::try_open_server(server) {
            Ok(conn) => inspect(&conn).unwrap_or_else(|problem| CheckReport { source: conn.options.describe(), problem: Some(problem), ..Default::default() }),
            Err(e) => {
                let source = match &e {
                    crate::error::LiteportError::Connect { path, .. } | crate::error::LiteportError::NotSqlite { path, .. } => path.clone(),
                    _ => String::new(),
                };
                CheckReport { source, problem: Some(e.to_string()), ..Default::default() }
            }
        };
        let ok = report.problem.is_none();
        TableIterator::once((
            report.source,
            report.sqlite_version,
            report.page_size,
            report.page_count,
            report.size_bytes,
            report.journal_mode,
            report.tables,
            report.integrity_check,
            ok,
            report.problem,
            report.written_by,
            report.notes,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_read_as_sqlite_writes_them() {
        let mut header = vec![0u8; 100];
        header[18] = 2;
        header[19] = 2;
        header[96..100].copy_from_slice(&3_045_001u32.to_be_bytes());
        assert_eq!(header_sqlite_version(&header).as_deref(), Some("3.45.1"));
        assert_eq!(header_journal_mode(&header), Some("wal"));
        assert_eq!(header_sqlite_version(&[]), None);
    }
}
