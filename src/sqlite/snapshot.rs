//! One state of a source, read by several Postgres transactions (the chunks of a
//! resumable migration commit one by one) and by several processes (its parallel
//! workers). The leader takes a read transaction and describes its state as a
//! `SourceState`; every later reader begins at that state or fails with 40001:
//!
//! - WAL mode: SQLite's own snapshot (`sqlite3_snapshot_get`, 48 opaque bytes naming a
//!   point of the write-ahead log), which `sqlite3_snapshot_open` reopens in another
//!   connection while the leader's read transaction keeps it from being checkpointed
//!   away. Writers go on meanwhile.
//! - Rollback journal, and large objects: no writer can commit while the leader holds
//!   its shared lock, so the state is the file's change counter (header bytes 24..28,
//!   read through SQLite's own file handle: opening the file ourselves would drop
//!   SQLite's locks), with the file's device and inode.
//! - Immutable opens (a WAL file without its -wal and -shm): nothing is locked; the
//!   state is the file's identity, size and modification time.

use super::file_identity::FileIdentity;
use rusqlite::ffi;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceState {
    Wal([u8; 48]),
    Counter { counter: u32, device: u64, inode: u64 },
    File { device: u64, inode: u64, size: u64, mtime_ns: i128 },
}

impl SourceState {
    /// Text that `parse` reads back: it travels to a parallel worker in its `bgw_extra`
    /// (127 bytes at most: the longest form, WAL's, takes 97).
    pub fn encode(&self) -> String {
        match self {
            SourceState::Wal(bytes) => format!("w{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()),
            SourceState::Counter { counter, device, inode } => format!("c{counter:x}.{device:x}.{inode:x}"),
            SourceState::File { device, inode, size, mtime_ns } => format!("f{device:x}.{inode:x}.{size:x}.{:x}", *mtime_ns as u128),
        }
    }

    pub fn parse(text: &str) -> Option<SourceState> {
        let (kind, rest) = text.split_at_checked(1)?;
        let numbers = || rest.split('.').map(|p| u128::from_str_radix(p, 16).ok()).collect::<Option<Vec<u128>>>();
        match kind {
            "w" if rest.len() == 96 => {
                let mut bytes = [0u8; 48];
                for (i, b) in bytes.iter_mut().enumerate() {
                    *b = u8::from_str_radix(rest.get(2 * i..2 * i + 2)?, 16).ok()?;
                }
                Some(SourceState::Wal(bytes))
            }
            "c" => match numbers()?.as_slice() {
                &[counter, device, inode] => Some(SourceState::Counter { counter: counter.try_into().ok()?, device: device.try_into().ok()?, inode: inode.try_into().ok()? }),
                _ => None,
            },
            "f" => match numbers()?.as_slice() {
                &[device, inode, size, mtime_ns] => Some(SourceState::File {
                    device: device.try_into().ok()?,
                    inode: inode.try_into().ok()?,
                    size: size.try_into().ok()?,
                    mtime_ns: mtime_ns as i128,
                }),
                _ => None,
            },
            _ => None,
        }
    }

    /// In words, for liteport.hold_source_state.
    pub fn describe(&self) -> String {
        match self {
            SourceState::Wal(_) => "a WAL snapshot (writers go on; this migration reads the state it began on)".into(),
            SourceState::Counter { counter, .. } => format!("change counter {counter} (rollback journal: writers wait until the migration ends)"),
            SourceState::File { size, .. } => format!("the file as opened ({size} bytes, read without locks: a change fails the migration)"),
        }
    }

    /// How `now` (this reader's state) differs from `self` (the leader's), in words.
    pub fn difference(&self, now: &SourceState) -> Option<String> {
        match (self, now) {
            _ if self == now => None,
            (SourceState::Counter { device, inode, .. }, SourceState::Counter { device: d, inode: i, .. }) if (device, inode) != (d, i) => Some("the file was replaced by another file".into()),
            (SourceState::Counter { counter, .. }, SourceState::Counter { counter: c, .. }) => Some(format!("a writer committed (change counter {counter} then, {c} now)")),
            (SourceState::File { device, inode, .. }, SourceState::File { device: d, inode: i, .. }) if (device, inode) != (d, i) => Some("the file was replaced by another file".into()),
            (SourceState::File { .. }, SourceState::File { .. }) => Some("it was written".into()),
            _ => Some("its journal mode changed".into()),
        }
    }

    pub fn of_file(identity: &FileIdentity) -> SourceState {
        SourceState::File { device: identity.device, inode: identity.inode, size: identity.size, mtime_ns: identity.mtime_ns }
    }
}

/// The WAL snapshot of the read transaction open on `db` (SQLite's error code if it has
/// none, or the database is not in WAL mode).
///
/// # Safety
/// `db` is an open connection inside a read transaction, used by this thread only.
pub unsafe fn wal_snapshot(db: *mut ffi::sqlite3) -> Result<[u8; 48], i32> {
    let mut snapshot: *mut ffi::sqlite3_snapshot = std::ptr::null_mut();
    let rc = unsafe { ffi::sqlite3_snapshot_get(db, c"main".as_ptr(), &mut snapshot) };
    if rc != ffi::SQLITE_OK {
        return Err(rc);
    }
    let bytes = unsafe { (*snapshot).hidden };
    unsafe { ffi::sqlite3_snapshot_free(snapshot) };
    Ok(bytes)
}

/// Make the read transaction begun (BEGIN, nothing read yet) on `db` read `bytes`' state.
///
/// # Safety
/// As for `wal_snapshot`; `db` is inside BEGIN with no statement run since.
pub unsafe fn open_wal_snapshot(db: *mut ffi::sqlite3, bytes: &[u8; 48]) -> i32 {
    let mut snapshot = ffi::sqlite3_snapshot { hidden: *bytes };
    unsafe { ffi::sqlite3_snapshot_open(db, c"main".as_ptr(), &mut snapshot) }
}

/// The change counter in the main file's header, read through SQLite's own file handle
/// (for a large object, its VFS), which holds the reader's lock.
///
/// # Safety
/// As for `wal_snapshot`.
pub unsafe fn change_counter(db: *mut ffi::sqlite3) -> Result<u32, i32> {
    let mut file: *mut ffi::sqlite3_file = std::ptr::null_mut();
    let rc = unsafe { ffi::sqlite3_file_control(db, c"main".as_ptr(), ffi::SQLITE_FCNTL_FILE_POINTER, &mut file as *mut _ as *mut std::ffi::c_void) };
    if rc != ffi::SQLITE_OK || file.is_null() || unsafe { (*file).pMethods.is_null() } {
        return Err(if rc == ffi::SQLITE_OK { ffi::SQLITE_ERROR } else { rc });
    }
    let read = unsafe { (*(*file).pMethods).xRead }.ok_or(ffi::SQLITE_ERROR)?;
    let mut buf = [0u8; 4];
    let rc = unsafe { read(file, buf.as_mut_ptr() as *mut std::ffi::c_void, 4, 24) };
    if rc != ffi::SQLITE_OK {
        return Err(rc);
    }
    Ok(u32::from_be_bytes(buf))
}

#[cfg(test)]
mod tests {
    use super::SourceState;

    #[test]
    fn states_read_back_and_fit_a_worker_extra() {
        let mut wal = [0u8; 48];
        wal.iter_mut().enumerate().for_each(|(i, b)| *b = (i * 37 % 256) as u8);
        let states = [
            SourceState::Wal(wal),
            SourceState::Wal([255; 48]),
            SourceState::Counter { counter: u32::MAX, device: u64::MAX, inode: u64::MAX },
            SourceState::File { device: 2049, inode: 12, size: 1 << 40, mtime_ns: 1_764_000_000_123_456_789 },
            SourceState::File { device: u64::MAX, inode: u64::MAX, size: u64::MAX, mtime_ns: -1 },
        ];
        for s in &states {
            let text = s.encode();
            assert!(text.len() <= 100, "{text}");
            assert_eq!(SourceState::parse(&text).as_ref(), Some(s));
        }
        for bad in ["", "w", "wzz", "c1.2", "c1.2.3.4", "x1", "f-1.2.3.4", "f1.2.3", "c100000000.1.1"] {
            assert_eq!(SourceState::parse(bad), None, "{bad}");
        }
        let a = SourceState::Counter { counter: 7, device: 1, inode: 2 };
        assert_eq!(a.difference(&a), None);
        assert!(a.difference(&SourceState::Counter { counter: 8, device: 1, inode: 2 }).unwrap().contains("change counter 7 then, 8 now"));
        assert!(a.difference(&SourceState::Counter { counter: 7, device: 1, inode: 3 }).unwrap().contains("replaced"));
    }
}
