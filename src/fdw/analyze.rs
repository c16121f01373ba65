//! ANALYZE of a foreign table: a uniform random sample of rows chosen by SQLite
//! (`ORDER BY random() LIMIT n`, one pass keeping n rows) converted like any scan,
//! and the exact row count, so that joins with local tables get sane plans.

use super::options;
use super::plan::{ForeignTarget, PlanData};
use super::scan::ScanState;
use crate::error::{LiteportError, OrReport};
use crate::sqlite::schema;
use pgrx::pg_sys;
use pgrx::prelude::*;

#[pg_guard]
pub unsafe extern "C-unwind" fn analyze_foreign_table(
    relation: pg_sys::Relation,
    func: *mut pg_sys::AcquireSampleRowsFunc,
    totalpages: *mut pg_sys::BlockNumber,
) -> bool {
    unsafe {
        let target = ForeignTarget::load((*relation).rd_id).or_report();
        let conn = target.connect().or_report();
        let pages: i64 = conn.db().query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap_or(1);
        *func = Some(acquire_sample_rows);
        *totalpages = pages.clamp(1, u32::MAX as i64) as pg_sys::BlockNumber;
        true
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn acquire_sample_rows(
    relation: pg_sys::Relation,
    _elevel: std::ffi::c_int,
    rows: *mut pg_sys::HeapTuple,
    targrows: std::ffi::c_int,
    totalrows: *mut f64,
    totaldeadrows: *mut f64,
) -> std::ffi::c_int {
    unsafe {
        let relid = (*relation).rd_id;
        let target = ForeignTarget::load(relid).or_report();
        let conn = target.connect().or_report();
        let server = target.source.server_name.clone();
        let found = schema::find_relation(conn.db(), &target.table)
            .map_err(|e| conn.sqlite_error("reading the catalog", &e))
            .and_then(|r| r.ok_or_else(|| LiteportError::TableNotFound { server: server.clone(), table: target.table.clone() }))
            .or_report();
        let sqlite_columns = schema::columns(conn.db(), &found.name).map_err(|e| conn.columns_error(&found.name, &e)).or_report();
        let rowid = schema::rowid_alias(found.kind, &sqlite_columns);

        let tupdesc = (*relation).rd_att;
        let attrs = crate::pg_compat::tupdesc_attrs(tupdesc);
        let (mut attnums, mut names, mut conversions) = (Vec::new(), Vec::new(), Vec::new());
        for (i, attr) in attrs.iter().enumerate() {
            if attr.attisdropped {
                continue;
            }
            let (name, column_options) = super::plan::column_source(relid, (i + 1) as i16, attr);
            names.push(name);
            conversions.push(options::column_conversion(&column_options).or_report());
            attnums.push((i + 1) as i32);
        }
        let table_sql = super::deparse::sqlite_ident(&found.name);
        let total: i64 = conn
            .db()
            .query_row(&format!("SELECT count(*) FROM {table_sql}"), [], |r| r.get(0))
            .map_err(|e| conn.sqlite_error(&format!("counting \"{}\"", found.name), &e))
            .or_report();
        conn.cache_rows(&found.name, total as f64);
        let sql = format!("{} ORDER BY random() LIMIT {targrows}", super::deparse::select_sql(&found.name, &names, rowid));
        let plan = PlanData { sql, table: found.name.clone(), attnums, column_names: names, has_rowid: rowid.is_some(), foreign_table: 0, conversions, reject_target: None, slots: vec![] };
        let mut state = ScanState::begin(conn, &plan, tupdesc).or_report();
        // Statistics only: a value that does not convert leaves its row out of the sample.
        state.skip_bad_rows();
        let slot = pg_sys::MakeSingleTupleTableSlot(tupdesc, &pg_sys::TTSOpsVirtual);
        let mut n = 0usize;
        while (n as i32) < targrows {
            pg_sys::ExecClearTuple(slot);
            if !state.next_row(slot).or_report() {
                break;
            }
            pg_sys::ExecStoreVirtualTuple(slot);
            *rows.add(n) = pg_sys::ExecCopySlotHeapTuple(slot);
            n += 1;
            pgrx::check_for_interrupts!();
        }
        pg_sys::ExecDropSingleTupleTableSlot(slot);
        state.finish();
        *totalrows = total as f64;
        *totaldeadrows = 0.0;
        n as std::ffi::c_int
    }
}
