//! A prepared SQLite statement driven through the C API, for the hot paths (scans,
//! verify) where rusqlite's per-row allocations would cost too much.

use super::connection::SqliteConnection;
use rusqlite::ffi;
use std::ffi::{CStr, CString};

/// A prepared statement, finalized on drop.
pub struct RawStatement {
    ptr: *mut ffi::sqlite3_stmt,
}

impl RawStatement {
    pub fn prepare(conn: &SqliteConnection, sql: &str) -> Result<RawStatement, String> {
        let c_sql = CString::new(sql).map_err(|e| e.to_string())?;
        let mut ptr = std::ptr::null_mut();
        let rc = unsafe { ffi::sqlite3_prepare_v2(conn.raw(), c_sql.as_ptr(), -1, &mut ptr, std::ptr::null_mut()) };
        if rc != ffi::SQLITE_OK {
            return Err(errmsg(conn));
        }
        Ok(RawStatement { ptr })
    }

    pub fn ptr(&self) -> *mut ffi::sqlite3_stmt {
        self.ptr
    }
}

impl Drop for RawStatement {
    fn drop(&mut self) {
        unsafe { ffi::sqlite3_finalize(self.ptr) };
    }
}

/// SQLite's message for the connection's last error.
pub fn errmsg(conn: &SqliteConnection) -> String {
    unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(conn.raw())) }.to_string_lossy().into_owned()
}
