//! A SQLite database stored as a Postgres large object, read page by page through a
//! read-only SQLite VFS ("liteport_lo"), for hosts where no file can be put on the
//! server's disk. Nothing is copied to disk and nothing beyond SQLite's page cache
//! stays in memory.
//!
//! The large object is opened with Postgres's own `lo_open(oid, INV_READ)` before
//! SQLite sees it, so a missing object or a missing SELECT privilege is Postgres's own
//! ERROR, and reads see the large object as of this transaction's snapshot. The
//! descriptor lives until the end of the transaction (Postgres closes it), which is
//! why such a connection is never kept across transactions. The VFS callbacks call
//! Postgres (lo_lseek64, loread): they run only on the backend's thread (scans of a
//! large-object server do not read ahead), and catch every ERROR so that nothing
//! unwinds through SQLite's C frames; SQLite reports SQLITE_IOERR instead.
//!
//! Descriptor numbers are reused: after ROLLBACK TO SAVEPOINT closed descriptor 0,
//! the next `lo_open` of another object is descriptor 0 again. Every read therefore
//! checks that its descriptor is still open for its own object (`OPEN_OBJECTS`).

use pgrx::pg_sys;
use pgrx::{IntoDatum, PgTryBuilder};
use rusqlite::ffi;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::Once;

thread_local! {
    /// Descriptor → large object, for the descriptors liteport opened and that are
    /// still open (the VFS runs only on the backend's thread).
    static OPEN_OBJECTS: RefCell<HashMap<i32, u32>> = RefCell::new(HashMap::new());
}

/// The descriptor no longer belongs to us (its subtransaction aborted, or the
/// transaction ended): reads through it fail from now on.
pub fn forget(fd: i32) {
    OPEN_OBJECTS.with(|o| o.borrow_mut().remove(&fd));
}

fn still_open(fd: i32, oid: u32) -> bool {
    OPEN_OBJECTS.with(|o| o.borrow().get(&fd) == Some(&oid))
}

pub const VFS_NAME: &str = "liteport_lo";
const VFS_NAME_C: &CStr = c"liteport_lo";
const INV_READ: i32 = 0x0004_0000;
const SEEK_SET: i32 = 0;
const SEEK_END: i32 = 2;

/// `lo_open(oid, INV_READ)`: Postgres raises the ERROR for a missing object (42704)
/// or a missing privilege (42501).
pub fn open(oid: u32) -> i32 {
    let fd = unsafe {
        pgrx::fcinfo::direct_function_call_as_datum(pg_sys::be_lo_open, &[pg_sys::Oid::from(oid).into_datum(), INV_READ.into_datum()])
            .expect("lo_open returns a descriptor")
            .value() as i32
    };
    OPEN_OBJECTS.with(|o| o.borrow_mut().insert(fd, oid));
    fd
}

unsafe fn seek(fd: i32, offset: i64, whence: i32) -> i64 {
    unsafe {
        pgrx::fcinfo::direct_function_call_as_datum(pg_sys::be_lo_lseek64, &[fd.into_datum(), offset.into_datum(), whence.into_datum()])
            .expect("lo_lseek64 returns a position")
            .value() as i64
    }
}

/// The size of the large object behind `fd`.
pub fn size(fd: i32) -> i64 {
    unsafe { seek(fd, 0, SEEK_END) }
}

/// Read up to `buf.len()` bytes at `offset`; returns how many were read.
pub fn read_at(fd: i32, offset: i64, buf: &mut [u8]) -> usize {
    unsafe {
        seek(fd, offset, SEEK_SET);
        let bytea = pgrx::fcinfo::direct_function_call_as_datum(pg_sys::be_loread, &[fd.into_datum(), (buf.len() as i32).into_datum()])
            .expect("loread returns bytea");
        let varlena = bytea.cast_mut_ptr::<pg_sys::varlena>();
        let len = pgrx::varlena::varsize_any_exhdr(varlena).min(buf.len());
        std::ptr::copy_nonoverlapping(pgrx::varlena::vardata_any(varlena) as *const u8, buf.as_mut_ptr(), len);
        pg_sys::pfree(varlena as *mut c_void);
        len
    }
}

/// The SQLite file name that tells the VFS which descriptor, object and size to read.
pub fn file_name(fd: i32, oid: u32, size: i64) -> String {
    format!("file:liteport-lo-{fd}-{oid}-{size}?immutable=1&mode=ro")
}

fn parse_name(name: &str) -> Option<(i32, u32, i64)> {
    let mut parts = name.strip_prefix("liteport-lo-")?.splitn(3, '-');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[repr(C)]
struct LoFile {
    base: ffi::sqlite3_file,
    fd: i32,
    oid: u32,
    size: i64,
}

/// Run a VFS callback body: an ERROR or a panic becomes `on_error`.
fn guarded(on_error: c_int, f: impl FnOnce() -> c_int + std::panic::UnwindSafe) -> c_int {
    PgTryBuilder::new(f).catch_others(move |_| on_error).execute()
}

unsafe extern "C" fn x_close(_file: *mut ffi::sqlite3_file) -> c_int {
    // Postgres closes the descriptor at the end of the transaction.
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_read(file: *mut ffi::sqlite3_file, buf: *mut c_void, amount: c_int, offset: ffi::sqlite3_int64) -> c_int {
    let (fd, oid, size) = unsafe { ((*(file as *mut LoFile)).fd, (*(file as *mut LoFile)).oid, (*(file as *mut LoFile)).size) };
    if !still_open(fd, oid) {
        return ffi::SQLITE_IOERR_READ;
    }
    let out = unsafe { std::slice::from_raw_parts_mut(buf as *mut u8, amount as usize) };
    let out_ptr = out.as_mut_ptr() as usize;
    guarded(ffi::SQLITE_IOERR_READ, move || {
        let out = unsafe { std::slice::from_raw_parts_mut(out_ptr as *mut u8, amount as usize) };
        let wanted = if offset >= size { 0 } else { (size - offset).min(amount as i64) as usize };
        let got = if wanted > 0 { read_at(fd, offset, &mut out[..wanted]) } else { 0 };
        if got < out.len() {
            // SQLite requires the unread part zeroed on a short read.
            out[got..].fill(0);
            return ffi::SQLITE_IOERR_SHORT_READ;
        }
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_write(_: *mut ffi::sqlite3_file, _: *const c_void, _: c_int, _: ffi::sqlite3_int64) -> c_int {
    ffi::SQLITE_READONLY
}

unsafe extern "C" fn x_truncate(_: *mut ffi::sqlite3_file, _: ffi::sqlite3_int64) -> c_int {
    ffi::SQLITE_READONLY
}

unsafe extern "C" fn x_sync(_: *mut ffi::sqlite3_file, _: c_int) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_file_size(file: *mut ffi::sqlite3_file, size: *mut ffi::sqlite3_int64) -> c_int {
    unsafe { *size = (*(file as *mut LoFile)).size };
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_lock(_: *mut ffi::sqlite3_file, _: c_int) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_check_reserved_lock(_: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    unsafe { *out = 0 };
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_file_control(_: *mut ffi::sqlite3_file, _: c_int, _: *mut c_void) -> c_int {
    ffi::SQLITE_NOTFOUND
}

unsafe extern "C" fn x_sector_size(_: *mut ffi::sqlite3_file) -> c_int {
    4096
}

unsafe extern "C" fn x_device_characteristics(_: *mut ffi::sqlite3_file) -> c_int {
    ffi::SQLITE_IOCAP_IMMUTABLE
}

static IO_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_lock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

/// Only the main database opens here: journals, WAL and temp files are refused (the
/// connection is read-only, immutable, with temp_store in memory).
unsafe extern "C" fn x_open(_vfs: *mut ffi::sqlite3_vfs, name: ffi::sqlite3_filename, file: *mut ffi::sqlite3_file, flags: c_int, out_flags: *mut c_int) -> c_int {
    unsafe { (*file).pMethods = std::ptr::null() };
    if flags & ffi::SQLITE_OPEN_MAIN_DB == 0 || name.is_null() {
        return ffi::SQLITE_CANTOPEN;
    }
    let Some((fd, oid, size)) = parse_name(&unsafe { CStr::from_ptr(name) }.to_string_lossy()) else {
        return ffi::SQLITE_CANTOPEN;
    };
    unsafe {
        let lo = file as *mut LoFile;
        (*lo).fd = fd;
        (*lo).oid = oid;
        (*lo).size = size;
        (*lo).base.pMethods = &IO_METHODS;
        if !out_flags.is_null() {
            *out_flags = ffi::SQLITE_OPEN_READONLY;
        }
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_delete(_: *mut ffi::sqlite3_vfs, _: *const c_char, _: c_int) -> c_int {
    ffi::SQLITE_READONLY
}

unsafe extern "C" fn x_access(_: *mut ffi::sqlite3_vfs, _: *const c_char, _: c_int, out: *mut c_int) -> c_int {
    // No journal, WAL or other file exists beside a large object.
    unsafe { *out = 0 };
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_full_pathname(_: *mut ffi::sqlite3_vfs, name: *const c_char, n_out: c_int, out: *mut c_char) -> c_int {
    let bytes = unsafe { CStr::from_ptr(name) }.to_bytes_with_nul();
    if bytes.len() > n_out as usize {
        return ffi::SQLITE_CANTOPEN;
    }
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr() as *const c_char, out, bytes.len()) };
    ffi::SQLITE_OK
}

/// Randomness, sleep and time come from SQLite's default VFS (kept in pAppData).
unsafe fn default_vfs(vfs: *mut ffi::sqlite3_vfs) -> *mut ffi::sqlite3_vfs {
    unsafe { (*vfs).pAppData as *mut ffi::sqlite3_vfs }
}

unsafe extern "C" fn x_randomness(vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) -> c_int {
    unsafe {
        let d = default_vfs(vfs);
        (*d).xRandomness.map(|f| f(d, n, out)).unwrap_or(0)
    }
}

unsafe extern "C" fn x_sleep(vfs: *mut ffi::sqlite3_vfs, micros: c_int) -> c_int {
    unsafe {
        let d = default_vfs(vfs);
        (*d).xSleep.map(|f| f(d, micros)).unwrap_or(0)
    }
}

unsafe extern "C" fn x_current_time(vfs: *mut ffi::sqlite3_vfs, out: *mut f64) -> c_int {
    unsafe {
        let d = default_vfs(vfs);
        (*d).xCurrentTime.map(|f| f(d, out)).unwrap_or(ffi::SQLITE_ERROR)
    }
}

struct VfsCell(std::cell::UnsafeCell<ffi::sqlite3_vfs>);
// SAFETY: written once under `REGISTER`, then only read by SQLite.
unsafe impl Sync for VfsCell {}

static VFS: VfsCell = VfsCell(std::cell::UnsafeCell::new(ffi::sqlite3_vfs {
    iVersion: 1,
    szOsFile: std::mem::size_of::<LoFile>() as c_int,
    mxPathname: 512,
    pNext: std::ptr::null_mut(),
    zName: VFS_NAME_C.as_ptr(),
    pAppData: std::ptr::null_mut(),
    xOpen: Some(x_open),
    xDelete: Some(x_delete),
    xAccess: Some(x_access),
    xFullPathname: Some(x_full_pathname),
    xDlOpen: None,
    xDlError: None,
    xDlSym: None,
    xDlClose: None,
    xRandomness: Some(x_randomness),
    xSleep: Some(x_sleep),
    xCurrentTime: Some(x_current_time),
    xGetLastError: None,
    xCurrentTimeInt64: None,
    xSetSystemCall: None,
    xGetSystemCall: None,
    xNextSystemCall: None,
}));

static REGISTER: Once = Once::new();

/// Register the VFS with SQLite (once per backend), not as the default.
pub fn register() {
    REGISTER.call_once(|| unsafe {
        let vfs = VFS.0.get();
        (*vfs).pAppData = ffi::sqlite3_vfs_find(std::ptr::null()) as *mut c_void;
        ffi::sqlite3_vfs_register(vfs, 0);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_descriptor_and_size() {
        assert_eq!(file_name(3, 16384, 4096), "file:liteport-lo-3-16384-4096?immutable=1&mode=ro");
        assert_eq!(parse_name("liteport-lo-3-16384-4096"), Some((3, 16384, 4096)));
        assert_eq!(parse_name("liteport-lo-x-1"), None);
        assert_eq!(parse_name("/tmp/app.db"), None);
    }
}
