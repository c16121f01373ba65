//! The pieces of `liteport.migrate_resumable` (sql/resumable.sql), a procedure that
//! commits as it goes so that a large file need not be one transaction: which tables
//! to load, in what order and how many rows each has (`source_tables`); one chunk of a
//! table, by rowid, through the bulk path (`load_chunk`); and what identifies the
//! source's state (`source_version`), so that a migration resumes only on the file it
//! began with.

use super::bulk::{load_part, Chunk};
use super::ddl::qualified;
use super::function::{prepare, sqlite_rows};
use super::options::OnError;
use crate::error::LiteportError;
use pgrx::prelude::*;
use pgrx::JsonB;

/// The tables liteport.migrate(server, target_schema, options) loads, in load order
/// (parents first), with their SQLite row counts and whether they load in rowid chunks
/// (a rowid table) or whole (WITHOUT ROWID).
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn source_tables(
    server: &str,
    target_schema: default!(&str, "'public'"),
    options: default!(JsonB, "'{}'"),
) -> TableIterator<'static, (name!(load_order, i32), name!(table_name, String), name!(source_table, String), name!(source_rows, i64), name!(chunked, bool))> {
    crate::settings::with_fixed_settings(|| {
        let prepared = prepare(server, target_schema, &options, true);
        let order = super::plan::load_order(&prepared.specs);
        let rows: Vec<_> = order
            .into_iter()
            .enumerate()
            .map(|(n, i)| {
                let spec = &prepared.specs[i];
                let chunked = crate::sqlite::schema::find_relation(prepared.conn.db(), &spec.source)
                    .ok()
                    .flatten()
                    .is_some_and(|r| r.kind == crate::sqlite::schema::RelationKind::Table);
                (n as i32 + 1, spec.target.clone(), spec.source.clone(), sqlite_rows(&prepared.conn, &spec.source), chunked)
            })
            .collect();
        TableIterator::new(rows)
    })
}

/// Load one chunk of `table_name` (a target created by the resumable migration: the
/// bulk path): the rows after rowid `after_rowid`, at most `max_rows` (a WITHOUT ROWID
/// table loads whole). Returns the rows inserted, read (rejected ones too), the last
/// rowid read and whether the table is done.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn load_chunk(
    server: &str,
    target_schema: &str,
    table_name: &str,
    after_rowid: i64,
    max_rows: i64,
    options: default!(JsonB, "'{}'"),
) -> TableIterator<'static, (name!(rows_inserted, i64), name!(rows_read, i64), name!(last_rowid, Option<i64>), name!(done, bool))> {
    crate::settings::with_fixed_settings(|| {
        let prepared = prepare(server, target_schema, &options, true);
        let spec = prepared
            .specs
            .iter()
            .find(|s| s.target == table_name)
            .unwrap_or_else(|| LiteportError::InvalidArgument { what: format!("load_chunk: {} is not a table of this migration", qualified(target_schema, table_name)) }.report());
        let table_options: Vec<(String, String)> = prepared.opts.timezone.iter().map(|z| ("timezone".to_string(), z.clone())).collect();
        let target = qualified(target_schema, &spec.target);
        let reject_target = (prepared.opts.on_error == OnError::Reject).then(|| target.clone());
        let chunked = crate::sqlite::schema::find_relation(prepared.conn.db(), &spec.source).ok().flatten().is_some_and(|r| r.kind == crate::sqlite::schema::RelationKind::Table);
        let chunk = chunked.then_some(Chunk { after: after_rowid, limit: max_rows.max(1) });
        let (inserted, read, last) = load_part(&prepared.conn, spec, target_schema, &table_options, reject_target, chunk);
        let done = !chunked || read < max_rows.max(1);
        TableIterator::new(vec![(inserted, read, last.or(Some(after_rowid)).filter(|_| chunked), done)])
    })
}

/// What a server's source is and its state: for a file its device, inode, size and
/// modification time (and its -wal's), for a large object its oid, and SQLite's file
/// change counter. A resumable migration goes on only while this stays the same.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn source_version(server: &str) -> String {
    let conn = crate::fdw::server::open_server(server);
    let counter = conn.header.get(24..28).map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes"))).unwrap_or(0);
    match conn.options.large_object {
        Some(oid) => format!("large object {oid}, change counter {counter}"),
        None => {
            let path = &conn.options.database;
            let file = crate::sqlite::file_identity::FileIdentity::read(path);
            let wal = std::fs::metadata(format!("{path}-wal")).ok().map(|m| {
                use std::os::unix::fs::MetadataExt;
                format!("{}:{}", m.size(), m.mtime_nsec() + m.mtime() * 1_000_000_000)
            });
            match file {
                Ok(f) => format!("file {}:{} size {} mtime {} wal {} change counter {counter}", f.device, f.inode, f.size, f.mtime_ns, wal.unwrap_or_else(|| "none".into())),
                Err(e) => format!("file {path} ({e})"),
            }
        }
    }
}
