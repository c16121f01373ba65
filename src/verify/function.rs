//! `liteport.verify`: per table, rows and checksum on the SQLite side and on the
//! Postgres side.
//!
//! The source side steps a plain SELECT inside SQLite and converts each stored value
//! by liteport's conversion rules into the target column's type (the same rules a
//! load uses, applied here independently of any foreign scan). The target side reads
//! the Postgres table through an SPI cursor. Both encode rows the same way (`canon`),
//! so the checksums are equal exactly when every row arrived holding the value the
//! rules define. Rows that do not convert are counted, and match the rows filed in
//! liteport.rejects; they are not reported as missing.

use super::canon::{Checksum, RowEncoder};
use super::datum::ColumnCodec;
use crate::error::{LiteportError, OrReport};
use crate::fdw::convert::{Cell, Target};
use crate::fdw::deparse::select_sql;
use crate::fdw::options::column_conversion;
use crate::sqlite::statement::RawStatement;
use crate::migrate::ddl::{qualified, TableSpec};
use crate::migrate::function::prepare;
use crate::migrate::rejects;
use crate::pg_columns::PgColumn;
use crate::sqlite::connection::SqliteConnection;
use pgrx::prelude::*;
use pgrx::JsonB;
use rusqlite::ffi;
use std::ffi::CString;

/// The target's columns Postgres stores (generated ones are computed, not compared).
fn target_columns(schema: &str, table: &str) -> Vec<PgColumn> {
    match crate::pg_columns::relation_oid(schema, table) {
        Some(relid) => crate::pg_columns::relation_columns(relid).into_iter().filter(|c| !c.generated).collect(),
        None => vec![],
    }
}

/// A memory context reset after every batch of rows, so that verifying a table of any
/// size uses the memory of one batch.
struct BatchContext(pg_sys::MemoryContext);

impl BatchContext {
    fn new() -> BatchContext {
        BatchContext(unsafe {
            pg_sys::AllocSetContextCreateExtended(
                pg_sys::CurrentMemoryContext,
                c"liteport verify".as_ptr(),
                pg_sys::ALLOCSET_DEFAULT_MINSIZE as usize,
                pg_sys::ALLOCSET_DEFAULT_INITSIZE as usize,
                pg_sys::ALLOCSET_DEFAULT_MAXSIZE as usize,
            )
        })
    }
    /// Run `f` with this context current.
    fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let old = unsafe { pg_sys::MemoryContextSwitchTo(self.0) };
        let r = f();
        unsafe { pg_sys::MemoryContextSwitchTo(old) };
        r
    }
    fn reset(&self) {
        unsafe { pg_sys::MemoryContextReset(self.0) };
    }
}

impl Drop for BatchContext {
    fn drop(&mut self) {
        unsafe { pg_sys::MemoryContextDelete(self.0) };
    }
}

const BATCH_ROWS: i64 = 10_000;

/// (rows, rows that do not convert, checksum of the rows that do) on the SQLite side.
fn source_checksum(conn: &SqliteConnection, spec: &TableSpec, columns: &[(String, PgColumn)], with_checksum: bool) -> (i64, i64, Option<Checksum>) {
    let server = conn.options.server_name.clone();
    if !with_checksum || columns.is_empty() {
        let sql = format!("SELECT count(*) FROM {}", crate::fdw::deparse::sqlite_ident(&spec.source));
        let rows = conn.db().query_row(&sql, [], |r| r.get::<_, i64>(0)).map_err(|e| conn.sqlite_error(&format!("counting \"{}\"", spec.source), &e)).or_report();
        return (rows, 0, None);
    }
    let names: Vec<String> = columns.iter().map(|(source, _)| source.clone()).collect();
    let sql = select_sql(&spec.source, &names, None);
    let stmt = RawStatement::prepare(conn, &sql).map_err(|message| LiteportError::Sqlite { server: server.clone(), doing: format!("preparing \"{sql}\""), message }).or_report();
    let spec_columns: Vec<_> = columns
        .iter()
        .map(|(source, _)| spec.columns.iter().find(|c| &c.source == source).map(|c| c.options.clone()).unwrap_or_default())
        .collect();
    let mut targets: Vec<(Target, bool, ColumnCodec)> = columns
        .iter()
        .zip(&spec_columns)
        .map(|((_, col), options)| {
            let conversion = column_conversion(options).or_report();
            let target = unsafe { Target::for_type(col.typoid, col.typmod, &conversion) };
            (target, conversion.empty_as_null, ColumnCodec::for_type(col.typoid))
        })
        .collect();
    let utf8 = unsafe { pg_sys::GetDatabaseEncoding() } == pg_sys::pg_enc::PG_UTF8 as i32;
    let batch = BatchContext::new();
    let mut encoder = RowEncoder::default();
    let mut checksum = Checksum::default();
    let (mut rows, mut unconvertible) = (0i64, 0i64);
    loop {
        conn.pause_readers();
        let rc = unsafe { ffi::sqlite3_step(stmt.ptr()) };
        match rc {
            ffi::SQLITE_ROW => {}
            ffi::SQLITE_DONE => break,
            rc => {
                let message = unsafe { std::ffi::CStr::from_ptr(ffi::sqlite3_errmsg(conn.raw())) }.to_string_lossy().into_owned();
                conn.error_for_code(rc, &format!("reading \"{}\"", spec.source), message).report()
            }
        }
        rows += 1;
        let converted = batch.run(|| {
            encoder.start();
            for (i, (target, empty_as_null, codec)) in targets.iter_mut().enumerate() {
                let class = unsafe { ffi::sqlite3_column_type(stmt.ptr(), i as i32) };
                if class == ffi::SQLITE_NULL || (*empty_as_null && class == ffi::SQLITE_TEXT && unsafe { ffi::sqlite3_column_bytes(stmt.ptr(), i as i32) } == 0) {
                    encoder.null();
                    continue;
                }
                let Ok(cell) = (unsafe { Cell::from_column(stmt.ptr(), i as i32, class) }) else {
                    conn.error_for_code(ffi::SQLITE_NOMEM, &format!("reading \"{}\"", spec.source), String::new()).report()
                };
                match unsafe { target.to_datum(&cell, utf8, true) } {
                    Ok(datum) => unsafe { codec.encode(&mut encoder, datum) },
                    Err(_) => return false,
                }
            }
            true
        });
        if converted {
            checksum.add(encoder.hash());
        } else {
            unconvertible += 1;
        }
        if rows % BATCH_ROWS == 0 {
            batch.reset();
            pgrx::check_for_interrupts!();
        }
    }
    (rows, unconvertible, Some(checksum))
}

/// (rows, checksum) of the Postgres table, read through an SPI cursor in batches.
fn target_checksum(schema: &str, spec: &TableSpec, columns: &[(String, PgColumn)], with_checksum: bool) -> (i64, Option<Checksum>) {
    let table = qualified(schema, &spec.target);
    if !with_checksum || columns.is_empty() {
        let rows = Spi::get_one::<i64>(&format!("SELECT pg_catalog.count(*) FROM {table}")).unwrap_or_else(|e| panic!("{e}")).unwrap_or(0);
        return (rows, None);
    }
    let list: Vec<String> = columns.iter().map(|(_, c)| crate::fdw::import_sql::pg_ident(&c.name)).collect();
    let sql = CString::new(format!("SELECT {} FROM {table}", list.join(", "))).expect("no NUL in SQL");
    let mut codecs: Vec<ColumnCodec> = columns.iter().map(|(_, c)| ColumnCodec::for_type(c.typoid)).collect();
    let batch = BatchContext::new();
    let mut encoder = RowEncoder::default();
    let mut checksum = Checksum::default();
    unsafe {
        pg_sys::SPI_connect();
        let plan = pg_sys::SPI_prepare(sql.as_ptr(), 0, std::ptr::null_mut());
        let portal = pg_sys::SPI_cursor_open(std::ptr::null(), plan, std::ptr::null_mut(), std::ptr::null(), true);
        loop {
            pg_sys::SPI_cursor_fetch(portal, true, BATCH_ROWS as _);
            let n = pg_sys::SPI_processed as usize;
            if n == 0 {
                break;
            }
            let tuptable = pg_sys::SPI_tuptable;
            let tuples = std::slice::from_raw_parts((*tuptable).vals, n);
            batch.run(|| {
                for &tuple in tuples {
                    encoder.start();
                    for (i, codec) in codecs.iter_mut().enumerate() {
                        let mut isnull = false;
                        let datum = pg_sys::SPI_getbinval(tuple, (*tuptable).tupdesc, i as i32 + 1, &mut isnull);
                        if isnull {
                            encoder.null();
                        } else {
                            codec.encode(&mut encoder, datum);
                        }
                    }
                    checksum.add(encoder.hash());
                }
            });
            pg_sys::SPI_freetuptable(tuptable);
            batch.reset();
            pgrx::check_for_interrupts!();
        }
        pg_sys::SPI_cursor_close(portal);
        pg_sys::SPI_finish();
    }
    (checksum.rows, Some(checksum))
}

/// Compare every migrated table with its SQLite source: rows, rejected rows and
/// checksums. Pass the options given to liteport.migrate (tables, identifier_case,
/// types); `"checksum": false` compares counts only.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn verify(
    server: &str,
    target_schema: default!(&str, "'public'"),
    options: default!(JsonB, "'{}'"),
) -> TableIterator<
    'static,
    (
        name!(table_name, String),
        name!(source_rows, i64),
        name!(target_rows, Option<i64>),
        name!(rejected_rows, i64),
        name!(source_checksum, Option<String>),
        name!(target_checksum, Option<String>),
        name!(matches, bool),
        name!(note, Option<String>),
    ),
> {
    crate::settings::with_fixed_settings(|| {
        let prepared = prepare(server, target_schema, &options, true);
        let with_checksum = prepared.opts.checksum;
        let mut out = Vec::new();
        for spec in &prepared.specs {
            let target_cols = target_columns(target_schema, &spec.target);
            if target_cols.is_empty() {
                let (rows, _, _) = source_checksum(&prepared.conn, spec, &[], false);
                out.push((spec.target.clone(), rows, None, 0, None, None, false, Some("the target table does not exist".to_string())));
                continue;
            }
            // Columns both sides have, in the target's order.
            let columns: Vec<(String, PgColumn)> = target_cols
                .into_iter()
                .filter_map(|tc| spec.columns.iter().find(|c| c.target == tc.name && c.generated.is_none()).map(|c| (c.source.clone(), tc)))
                .collect();
            let (source_rows, unconvertible, source_sum) = source_checksum(&prepared.conn, spec, &columns, with_checksum);
            let (target_rows, target_sum) = target_checksum(target_schema, spec, &columns, with_checksum);
            let rejected = rejects::count_for(&qualified(target_schema, &spec.target));
            let counts_match = source_rows == target_rows + rejected;
            let matches = counts_match && source_sum == target_sum && (!with_checksum || unconvertible == rejected);
            let note = if matches {
                None
            } else if !counts_match {
                Some(format!("{source_rows} rows in SQLite, {target_rows} in Postgres and {rejected} rejected"))
            } else if unconvertible != rejected {
                Some(format!("{unconvertible} SQLite rows do not convert, {rejected} are filed in liteport.rejects"))
            } else {
                Some("the same number of rows, with different values".to_string())
            };
            out.push((
                spec.target.clone(),
                source_rows,
                Some(target_rows),
                rejected,
                source_sum.map(|s| s.hex()),
                target_sum.map(|s| s.hex()),
                matches,
                note,
            ));
        }
        TableIterator::new(out)
    })
}
