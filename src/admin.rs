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

/// Open a liteport server's source and report what it is, before any migration:
/// the SQLite version that last wrote it, page size and count, size, journal mode,
/// number of tables, and whether `PRAGMA quick_check` passes. Needs USAGE on the server.
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
        name!(quick_check, String),
        name!(ok, bool),
    ),
> {
    crate::settings::with_fixed_settings(|| {
        use crate::error::OrReport;
        let conn = crate::fdw::server::open_server(server);
        let sqlite_err = |doing: &str, e: rusqlite::Error| conn.sqlite_error(doing, &e);
        let page_size: i64 = conn.db().query_row("PRAGMA page_size", [], |r| r.get(0)).map_err(|e| sqlite_err("reading page_size", e)).or_report();
        let page_count: i64 = conn.db().query_row("PRAGMA page_count", [], |r| r.get(0)).map_err(|e| sqlite_err("reading page_count", e)).or_report();
        let tables: i64 = conn
            .db()
            .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", [], |r| r.get(0))
            .map_err(|e| sqlite_err("counting tables", e))
            .or_report();
        let quick_check: String = {
            let mut stmt = conn.db().prepare("PRAGMA quick_check").map_err(|e| sqlite_err("running quick_check", e)).or_report();
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(|e| sqlite_err("running quick_check", e)).or_report();
            let lines: Vec<String> = rows.collect::<Result<_, _>>().map_err(|e| sqlite_err("running quick_check", e)).or_report();
            lines.join("; ")
        };
        let ok = quick_check == "ok";
        let header = &conn.header;
        TableIterator::once((
            conn.options.describe(),
            header_sqlite_version(header),
            page_size,
            page_count,
            page_size * page_count,
            header_journal_mode(header).map(str::to_string),
            tables,
            quick_check,
            ok,
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
