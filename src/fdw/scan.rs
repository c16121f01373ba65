//! The executor side of a foreign scan: one prepared SQLite statement, stepped row by
//! row, each value converted straight into the scan slot.
//!
//! The `ScanState` is owned by the query's memory context (dropped when the executor
//! state is freed, including after an ERROR), so a scan that fails midway leaks
//! nothing and leaves no statement open for the next query.

use super::convert::{Cell, Target};
use super::plan::PlanData;
use super::pushdown::BindMode;
use super::read_ahead::{Advance, ReadAhead, StepEnd};
use crate::profile::survey::ReadAs;
use crate::error::{shorten_bytes_for_message, shorten_for_message, LiteportError, Result, RowRef, ValueError};
use crate::sqlite::connection::SqliteConnection;
use crate::sqlite::statement::{errmsg, RawStatement};
use pgrx::pg_sys;
use rusqlite::ffi;
use std::ffi::c_int;
use std::rc::Rc;

/// Rows between checks that a file opened immutable did not change under the scan.
const CHANGE_CHECK_ROWS: u64 = 4096;

/// One fetched column: where it is in SQLite's result and in the Postgres tuple.
struct ScanColumn {
    result_index: c_int,
    tuple_index: usize,
    sqlite_name: String,
    target: Target,
    /// Column option `empty_as_null`: an empty TEXT value reads as NULL.
    empty_as_null: bool,
    type_name: String,
}

impl Drop for ScanState {
    /// Before the fields go (the statement is finalized): our own reading thread
    /// joined, and no other scan's thread on the connection.
    fn drop(&mut self) {
        self.read_ahead = None;
        self.conn.pause_readers();
    }
}

/// Column `index` of the current row (None: NULL), from the read-ahead batch or
/// straight from the statement (no read-ahead, or a row the reading thread left to the
/// backend). A free function so that the scan can borrow its columns mutably at the
/// same time. Err: SQLite could not allocate the value.
unsafe fn cell_at<'a>(read_ahead: &'a Option<ReadAhead>, statement: &Option<RawStatement>, index: c_int) -> std::result::Result<Option<Cell<'a>>, ()> {
    if let Some(read_ahead) = read_ahead.as_ref().filter(|r| !r.on_direct_row()) {
        let (batch, row) = read_ahead.row();
        return Ok((batch.class(row, index as usize) != ffi::SQLITE_NULL).then(|| batch.cell(row, index as usize)));
    }
    let Some(stmt) = statement.as_ref().map(|s| s.ptr()) else { return Ok(None) };
    let class = unsafe { ffi::sqlite3_column_type(stmt, index) };
    if class == ffi::SQLITE_NULL {
        return Ok(None);
    }
    unsafe { Cell::from_column(stmt, index, class) }.map(Some)
}

/// Why a row could not be read: a value that does not convert (reject mode may skip
/// the row) or anything else (always an ERROR).
enum RowError {
    Conversion(LiteportError),
    Other(LiteportError),
}

pub struct ScanState {
    // Field order matters: the reading thread must be joined before the statement is
    // finalized, and the statement finalized before its connection can be closed.
    read_ahead: Option<ReadAhead>,
    /// GUC liteport.read_ahead when the scan began.
    use_read_ahead: bool,
    statement: Option<RawStatement>,
    conn: Rc<SqliteConnection>,
    columns: Vec<ScanColumn>,
    rowid_index: Option<c_int>,
    rows_read: u64,
    /// The rowid of the last row read (converted or rejected), when the statement
    /// reads the rowid: where a chunked load goes on from.
    last_rowid: Option<i64>,
    table: String,
    natts: usize,
    utf8_database: bool,
    /// `on_error 'reject'`: where rejected rows are filed (see PlanData).
    reject_target: Option<String>,
    /// Values bound to the statement's ?1, ?2, ... (pushed-down constants, query
    /// parameters, nested-loop parameters), evaluated before the first row and again
    /// after each rescan.
    params: Vec<(*mut pg_sys::ExprState, pg_sys::Oid)>,
    /// The statement's parameters: which of `params` each binds, and how.
    slots: Vec<super::pushdown::Slot>,
    econtext: *mut pg_sys::ExprContext,
    bound: bool,
    /// ANALYZE's sample: rows that do not convert are skipped, not reported.
    skip_bad_rows: bool,
    /// Per result column, the survey's check every value must pass (empty: none):
    /// liteport.migrate's load in place of a survey before it (`check_values`).
    value_checks: Vec<Option<ReadAs>>,
}

impl ScanState {
    /// Prepare the planned statement and choose each column's conversion.
    pub unsafe fn begin(conn: Rc<SqliteConnection>, plan: &PlanData, tupdesc: pg_sys::TupleDesc) -> Result<ScanState> {
        let statement = RawStatement::prepare(&conn, &plan.sql).map_err(|message| plan.prepare_error(&conn.options.server_name, message))?;
        let natts = unsafe { (*tupdesc).natts } as usize;
        let attrs = unsafe { crate::pg_compat::tupdesc_attrs(tupdesc) };
        let columns = plan
            .attnums
            .iter()
            .zip(&plan.column_names)
            .enumerate()
            .map(|(i, (&attnum, name))| {
                let attr = &attrs[attnum as usize - 1];
                let type_name = unsafe { super::nodes::cstr_to_string(pg_sys::format_type_with_typemod(attr.atttypid, attr.atttypmod)) };
                ScanColumn {
                    result_index: i as c_int,
                    tuple_index: attnum as usize - 1,
                    sqlite_name: name.clone(),
                    target: unsafe { Target::for_type(attr.atttypid, attr.atttypmod, &plan.conversions[i]) },
                    empty_as_null: plan.conversions[i].empty_as_null,
                    type_name,
                }
            })
            .collect::<Vec<_>>();
        let rowid_index = plan.has_rowid.then_some(columns.len() as c_int);
        Ok(ScanState {
            read_ahead: None,
            // Worth a thread only when there are values to copy (not for count(*)).
            // A large-object source reads through Postgres: only on the backend's thread.
            use_read_ahead: crate::gucs::READ_AHEAD.get() && !plan.attnums.is_empty() && !conn.is_large_object(),
            statement: Some(statement),
            conn,
            columns,
            rowid_index,
            rows_read: 0,
            last_rowid: None,
            table: plan.table.clone(),
            natts,
            utf8_database: unsafe { pg_sys::GetDatabaseEncoding() } == pg_sys::pg_enc::PG_UTF8 as c_int,
            reject_target: plan.reject_target.clone(),
            params: Vec::new(),
            slots: plan.slots.clone(),
            econtext: std::ptr::null_mut(),
            bound: false,
            skip_bad_rows: false,
            value_checks: Vec::new(),
        })
    }

    /// Check every value of plan column i with `checks[i]` before it is converted:
    /// the first that fails stops the scan with `LiteportError::DeclaredTypeUnreadable`.
    /// The read-ahead thread runs the checks on the rows it copies, the backend on the
    /// rest. Call before the first row.
    pub fn check_values(&mut self, checks: &[Option<ReadAs>]) {
        let ncols = self.columns.len() + self.rowid_index.is_some() as usize;
        let mut by_result = vec![None; ncols];
        for (col, check) in self.columns.iter().zip(checks) {
            by_result[col.result_index as usize] = *check;
        }
        self.value_checks = if by_result.iter().any(Option::is_some) { by_result } else { Vec::new() };
    }

    fn unreadable(&self, result_index: usize) -> LiteportError {
        let column = self.columns.iter().find(|c| c.result_index as usize == result_index).map(|c| c.sqlite_name.clone()).unwrap_or_default();
        LiteportError::DeclaredTypeUnreadable { table: self.table.clone(), column }
    }

    /// The expressions whose values the statement's parameters take, in order.
    pub unsafe fn set_params(&mut self, params: Vec<(*mut pg_sys::ExprState, pg_sys::Oid)>, econtext: *mut pg_sys::ExprContext) {
        self.params = params;
        self.econtext = econtext;
    }

    /// For ANALYZE: skip rows that do not convert.
    pub fn skip_bad_rows(&mut self) {
        self.skip_bad_rows = true;
    }

    /// Evaluate the parameter expressions and bind their values (types as pushdown.rs
    /// allows: integers, floats, text).
    unsafe fn bind_params(&mut self) -> Result<()> {
        let Some(stmt) = self.statement.as_ref().map(|s| s.ptr()) else { return Ok(()) };
        if self.slots.is_empty() {
            return Ok(());
        }
        self.conn.pause_readers();
        use pg_sys::BuiltinOid::*;
        unsafe {
            let old = pg_sys::MemoryContextSwitchTo((*self.econtext).ecxt_per_tuple_memory);
            // Each expression once, then each slot as its mode says.
            let values: Vec<(pg_sys::Datum, bool)> = self
                .params
                .iter()
                .map(|(state, _)| {
                    let mut isnull = false;
                    let eval = (**state).evalfunc.expect("an initialized expression has an evaluation function");
                    (eval(*state, self.econtext, &mut isnull), isnull)
                })
                .collect();
            for (i, slot) in self.slots.iter().enumerate() {
                let (datum, isnull) = values[slot.expr];
                let typ = self.params[slot.expr].1;
                let index = (i + 1) as c_int;
                let float = |d: pg_sys::Datum| match pg_sys::BuiltinOid::from_u32(typ.to_u32()) {
                    Ok(FLOAT4OID) => Some(f32::from_bits(d.value() as u32) as f64),
                    Ok(FLOAT8OID) => Some(f64::from_bits(d.value() as u64)),
                    _ => None,
                };
                let rc = match slot.mode {
                    // 1 for a float NaN: the pushed SQL then lets every row through.
                    BindMode::IsNan => ffi::sqlite3_bind_int64(stmt, index, (!isnull && float(datum).is_some_and(f64::is_nan)) as i64),
                    BindMode::Value if isnull => ffi::sqlite3_bind_null(stmt, index),
                    BindMode::Value => match pg_sys::BuiltinOid::from_u32(typ.to_u32()) {
                        Ok(INT2OID) => ffi::sqlite3_bind_int64(stmt, index, datum.value() as i16 as i64),
                        Ok(INT4OID) => ffi::sqlite3_bind_int64(stmt, index, datum.value() as i32 as i64),
                        Ok(INT8OID) => ffi::sqlite3_bind_int64(stmt, index, datum.value() as i64),
                        // SQLite binds a NaN as NULL; the SQL around it allows for that.
                        Ok(FLOAT4OID | FLOAT8OID) => ffi::sqlite3_bind_double(stmt, index, float(datum).expect("a float type")),
                        Ok(UNKNOWNOID) => {
                            let bytes = std::ffi::CStr::from_ptr(datum.cast_mut_ptr::<std::ffi::c_char>()).to_bytes();
                            ffi::sqlite3_bind_text(stmt, index, bytes.as_ptr() as *const _, bytes.len() as c_int, ffi::SQLITE_TRANSIENT())
                        }
                        _ => {
                            let v = pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr());
                            let len = pgrx::varlena::varsize_any_exhdr(v);
                            ffi::sqlite3_bind_text(stmt, index, pgrx::varlena::vardata_any(v), len as c_int, ffi::SQLITE_TRANSIENT())
                        }
                    },
                };
                if rc != ffi::SQLITE_OK {
                    pg_sys::MemoryContextSwitchTo(old);
                    return Err(self.read_error(rc, format!("binding parameter {index}: {}", errmsg(&self.conn))));
                }
            }
            pg_sys::MemoryContextSwitchTo(old);
        }
        Ok(())
    }

    /// Step to the next row and fill the slot's values. Returns false at the end.
    /// In reject mode a row with a value that does not convert is filed in
    /// liteport.rejects and skipped.
    pub unsafe fn next_row(&mut self, slot: *mut pg_sys::TupleTableSlot) -> Result<bool> {
        if !self.bound {
            unsafe { self.bind_params()? };
            self.bound = true;
        }
        loop {
            match unsafe { self.step_and_convert(slot) } {
                Err(RowError::Conversion(_)) if self.skip_bad_rows => {}
                Err(RowError::Conversion(e)) if self.reject_target.is_some() => {
                    pgrx::check_for_interrupts!();
                    let reject = self.reject(e);
                    crate::migrate::rejects::record(&reject)?;
                }
                Err(RowError::Conversion(e)) | Err(RowError::Other(e)) => return Err(e),
                Ok(more) => return Ok(more),
            }
        }
    }

    /// Step to the next row: Ok(true) with a row to read, Ok(false) at the end.
    unsafe fn step(&mut self, stmt: *mut ffi::sqlite3_stmt) -> Result<bool> {
        if !self.use_read_ahead {
            self.conn.pause_readers();
            return match unsafe { ffi::sqlite3_step(stmt) } {
                ffi::SQLITE_ROW => Ok(true),
                ffi::SQLITE_DONE => Ok(false),
                rc => Err(self.read_error(rc, errmsg(&self.conn))),
            };
        }
        if self.read_ahead.is_none() {
            let ncols = self.columns.len() + self.rowid_index.is_some() as usize;
            let started = ReadAhead::new(Rc::clone(&self.conn), stmt, ncols, std::sync::Arc::new(self.value_checks.clone()))
                .map_err(|e| LiteportError::Internal(format!("cannot start the read-ahead thread: {e}")))?;
            self.read_ahead = Some(started);
        }
        match self.read_ahead.as_mut().expect("started above").advance() {
            Ok(Advance::Batched | Advance::Direct) => Ok(true),
            Ok(Advance::End) | Err(StepEnd::Done) => Ok(false),
            Err(StepEnd::Failed(rc, message)) => Err(self.read_error(rc, message)),
            Err(StepEnd::Unreadable(col)) => Err(self.unreadable(col)),
        }
    }

    unsafe fn step_and_convert(&mut self, slot: *mut pg_sys::TupleTableSlot) -> std::result::Result<bool, RowError> {
        let Some(stmt) = self.statement.as_ref().map(|s| s.ptr()) else {
            return Ok(false);
        };
        let more = unsafe { self.step(stmt) }.map_err(RowError::Other)?;
        // A connection that cannot see writers (immutable) checks its file now and
        // then, and at the end of the scan: rows from two states of the file must
        // never make up one result.
        if !more || self.rows_read % CHANGE_CHECK_ROWS == CHANGE_CHECK_ROWS - 1 {
            self.conn.check_unchanged().map_err(RowError::Other)?;
        }
        if !more {
            return Ok(false);
        }
        self.rows_read += 1;
        if self.rowid_index.is_some() {
            self.last_rowid = self.current_rowid();
        }
        // Rows the read-ahead thread did not copy (or all, without it) are checked here.
        if !self.value_checks.is_empty() && self.read_ahead.as_ref().is_none_or(|r| r.on_direct_row()) {
            let cell = |index: usize| unsafe { cell_at(&self.read_ahead, &self.statement, index as c_int) }.ok().flatten();
            if let Some(index) = super::read_ahead::first_unreadable(&self.value_checks, cell) {
                return Err(RowError::Other(self.unreadable(index)));
            }
        }
        let values = unsafe { std::slice::from_raw_parts_mut((*slot).tts_values, self.natts) };
        let isnull = unsafe { std::slice::from_raw_parts_mut((*slot).tts_isnull, self.natts) };
        isnull.fill(true);
        // Reject mode and ANALYZE go on after a value that does not convert.
        let protect = self.reject_target.is_some() || self.skip_bad_rows;
        for i in 0..self.columns.len() {
            let col = &mut self.columns[i];
            let cell = match unsafe { cell_at(&self.read_ahead, &self.statement, col.result_index) } {
                Ok(Some(cell)) => cell,
                Ok(None) => continue,
                Err(()) => return Err(RowError::Other(self.read_error(ffi::SQLITE_NOMEM, "out of memory reading a value".into()))),
            };
            if col.empty_as_null && cell.class == ffi::SQLITE_TEXT && cell.raw_bytes().is_empty() && cell.oversized().is_none() {
                continue;
            }
            match unsafe { col.target.to_datum(&cell, self.utf8_database, protect) } {
                Ok(datum) => {
                    values[col.tuple_index] = datum;
                    isnull[col.tuple_index] = false;
                }
                Err(e) => return Err(RowError::Conversion(self.conversion_error(i, &cell, e))),
            }
        }
        Ok(true)
    }

    /// Column `index` of the current row (None: NULL, or a value SQLite could not
    /// allocate again), from the read-ahead batch or straight from the statement.
    unsafe fn current_cell(&self, index: c_int) -> Option<Cell<'_>> {
        unsafe { cell_at(&self.read_ahead, &self.statement, index) }.ok().flatten()
    }

    /// The error for SQLite result code `rc` while reading: a cancel, a lock held too
    /// long, memory, a file changed under an immutable connection, or SQLite's message.
    fn read_error(&self, rc: c_int, message: String) -> LiteportError {
        self.conn.error_for_code(rc, &format!("reading \"{}\"", self.table), message)
    }

    /// The current row as a reject: the error, and every fetched value as SQLite
    /// stores it (see `rejects::stored_value_json`).
    fn reject(&self, error: LiteportError) -> crate::migrate::rejects::Reject {
        let mut row = serde_json::Map::new();
        for col in &self.columns {
            let value = match unsafe { self.current_cell(col.result_index) } {
                None => serde_json::Value::Null,
                Some(cell) => match cell.class {
                    ffi::SQLITE_INTEGER => serde_json::Value::from(cell.integer()),
                    ffi::SQLITE_FLOAT => crate::migrate::rejects::real_json(cell.real()),
                    _ if cell.oversized().is_some() => crate::migrate::rejects::oversized_json(cell.class == ffi::SQLITE_BLOB, cell.oversized().unwrap_or(0)),
                    ffi::SQLITE_TEXT => crate::migrate::rejects::text_json(cell.raw_bytes()),
                    _ => crate::migrate::rejects::blob_json(cell.raw_bytes()),
                },
            };
            row.insert(col.sqlite_name.clone(), value);
        }
        let (column, rowid) = match &error {
            LiteportError::Conversion { column, row, .. } => (column.clone(), match row {
                RowRef::Rowid(id) => Some(*id),
                RowRef::RowNumber(_) => None,
            }),
            _ => (String::new(), None),
        };
        crate::migrate::rejects::Reject {
            server: self.conn.options.server_name.clone(),
            source_table: self.table.clone(),
            target: self.reject_target.clone().unwrap_or_default(),
            rowid,
            column,
            sqlstate: error.sqlstate(),
            error: error.to_string(),
            row: serde_json::Value::Object(row),
        }
    }

    fn conversion_error(&self, column: usize, cell: &Cell, e: ValueError) -> LiteportError {
        let col = &self.columns[column];
        let value = match (cell.oversized(), cell.class) {
            (Some(len), ffi::SQLITE_BLOB) => format!("a BLOB of {len} bytes"),
            (Some(len), _) => format!("a TEXT of {len} bytes"),
            (None, ffi::SQLITE_BLOB) => shorten_bytes_for_message(&cell.bytes()),
            (None, _) => match std::str::from_utf8(&cell.bytes()) {
                Ok(s) if cell.class == ffi::SQLITE_TEXT => shorten_for_message(s),
                Ok(s) => s.to_string(),
                Err(_) => shorten_bytes_for_message(&cell.bytes()),
            },
        };
        let rowid = self.rowid_index.and_then(|idx| unsafe { self.current_cell(idx) }).map(|c| c.integer());
        let row = match rowid {
            Some(id) => RowRef::Rowid(id),
            None => RowRef::RowNumber(self.rows_read),
        };
        LiteportError::Conversion {
            server: self.conn.options.server_name.clone(),
            table: self.table.clone(),
            column: col.sqlite_name.clone(),
            row,
            value,
            target: col.type_name.clone(),
            kind: e.kind,
            reason: e.reason,
        }
    }

    /// Rows read so far (rejected ones included).
    pub fn rows_read(&self) -> u64 {
        self.rows_read
    }

    /// The rowid of the last row read (see `last_rowid`).
    pub fn last_rowid(&self) -> Option<i64> {
        self.last_rowid
    }

    /// The current row's rowid, when the statement reads it.
    pub fn current_rowid(&self) -> Option<i64> {
        self.rowid_index.and_then(|idx| unsafe { self.current_cell(idx) }).map(|c| c.integer())
    }

    /// Start over (ReScan): same statement, same snapshot.
    pub fn rewind(&mut self) {
        // Join the reading thread before touching the statement. A rescanned scan is
        // usually the small inner side of a nested loop, where a thread per rescan
        // costs more than it saves: read it directly from now on.
        self.read_ahead = None;
        self.use_read_ahead = false;
        self.bound = false;
        self.conn.pause_readers();
        if let Some(stmt) = &self.statement {
            unsafe { ffi::sqlite3_reset(stmt.ptr()) };
        }
        self.rows_read = 0;
    }

    /// Finalize the statement now (EndForeignScan); the rest goes with the memory context.
    pub fn finish(&mut self) {
        self.read_ahead = None;
        self.conn.pause_readers();
        self.statement = None;
    }
}
