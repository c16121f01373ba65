//! Opening SQLite files safely, one connection per foreign server per backend, and
//! one read snapshot per Postgres transaction.
//!
//! The file is the application's data, so everything here leans towards leaving it
//! untouched: read-only mode, `query_only`, defensive mode, no extension loading,
//! untrusted schema. A WAL-mode file whose `-wal`/`-shm` files are absent (the
//! application is not running) is opened `immutable`, because a read-only connection
//! would otherwise create those two files next to the database.

use crate::error::{LiteportError, Result};
use rusqlite::{ffi, OpenFlags};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::Path;
use std::rc::{Rc, Weak};
use crate::fdw::read_ahead::ReaderControl;

/// What identifies a SQLite source: the options of one foreign server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOptions {
    pub server_name: String,
    /// The file's path (empty for a large-object source).
    pub database: String,
    /// The large object holding the database (server option `large_object`).
    pub large_object: Option<u32>,
    pub busy_timeout_ms: i32,
}

impl SourceOptions {
    /// What the source is, for messages: the path, or "large object N".
    pub fn describe(&self) -> String {
        match self.large_object {
            Some(oid) => format!("large object {oid}"),
            None => self.database.clone(),
        }
    }
}

/// An open SQLite database, read-only, belonging to one foreign server.
pub struct SqliteConnection {
    db: rusqlite::Connection,
    pub options: SourceOptions,
    /// The file's first 100 bytes (the SQLite header; empty for an empty file).
    pub header: Vec<u8>,
    /// Inside `BEGIN` with a read snapshot taken: every scan of this Postgres
    /// transaction reads the same state of the file.
    in_snapshot: Cell<bool>,
    /// Opened with `immutable=1` (WAL file with no -wal/-shm): reopen at the next
    /// transaction so that an application that started meanwhile is seen correctly.
    pub opened_immutable: bool,
    /// Server options changed or the server was dropped: close at transaction end.
    stale: Cell<bool>,
    /// Reading threads of scans on this connection (liteport.read_ahead).
    readers: RefCell<Vec<Weak<ReaderControl>>>,
    /// Row-count estimates by table, for the planner (one lookup per table per connection).
    row_estimates: RefCell<HashMap<String, f64>>,
}

/// SQLite file header: the first 16 bytes of every database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Percent-encode what a `file:` URI would otherwise read as syntax.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    for b in path.bytes() {
        match b {
            b'%' | b'?' | b'#' => out.push_str(&format!("%{b:02X}")),
            _ => out.push(b as char),
        }
    }
    out
}

/// Is the file a WAL-mode database with no live -wal/-shm beside it? Then nothing
/// can be writing it, and opening it immutable is what keeps us from creating files.
fn wal_without_sidecars(path: &str, header: &[u8]) -> bool {
    // Bytes 18 and 19: file format write/read version, 2 = WAL.
    let is_wal = header.len() >= 20 && header[18] == 2;
    is_wal && !Path::new(&format!("{path}-wal")).exists() && !Path::new(&format!("{path}-shm")).exists()
}

/// Open a database file: (connection, header, opened immutable).
fn open_file(options: &SourceOptions) -> Result<(rusqlite::Connection, Vec<u8>, bool)> {
    let server = options.server_name.clone();
    let path = options.database.clone();
    let connect_err = |reason: String| LiteportError::Connect { server: server.clone(), path: path.clone(), reason };

    let meta = std::fs::metadata(&path).map_err(|e| connect_err(e.to_string()))?;
    if meta.is_dir() {
        return Err(connect_err("it is a directory".into()));
    }
    let mut header = [0u8; 100];
    let header_len = {
        use std::io::Read;
        let mut f = std::fs::File::open(&path).map_err(|e| connect_err(e.to_string()))?;
        let mut n = 0;
        while n < header.len() {
            match f.read(&mut header[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) => return Err(connect_err(e.to_string())),
            }
        }
        n
    };
    check_header(options, &header[..header_len])?;
    let immutable = wal_without_sidecars(&path, &header[..header_len]);
    let uri = format!("file:{}?mode=ro{}", uri_path(&path), if immutable { "&immutable=1" } else { "" });
    // Multi-thread mode, not serialized: a connection is used by one thread at a
    // time (a read-ahead thread is paused before the backend touches it), and the
    // per-call mutex of serialized mode costs a third of a wide scan.
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db = rusqlite::Connection::open_with_flags(&uri, flags).map_err(|e| connect_err(e.to_string()))?;
    Ok((db, header[..header_len].to_vec(), immutable))
}

/// Open a database stored as a large object, through the liteport_lo VFS.
fn open_large_object(options: &SourceOptions, oid: u32) -> Result<(rusqlite::Connection, Vec<u8>, bool)> {
    use crate::fdw::large_object;
    // Postgres's own ERROR for a missing object or privilege comes from here.
    let fd = large_object::open(oid);
    let size = large_object::size(fd);
    let mut header = [0u8; 100];
    let header_len = large_object::read_at(fd, 0, &mut header);
    check_header(options, &header[..header_len])?;
    large_object::register();
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db = rusqlite::Connection::open_with_flags_and_vfs(large_object::file_name(fd, size), flags, large_object::VFS_NAME).map_err(|e| {
        LiteportError::Connect { server: options.server_name.clone(), path: options.describe(), reason: e.to_string() }
    })?;
    // No temp files: the VFS opens nothing but the database itself.
    db.pragma_update(None, "temp_store", "memory").map_err(|e| LiteportError::Connect {
        server: options.server_name.clone(),
        path: options.describe(),
        reason: e.to_string(),
    })?;
    Ok((db, header[..header_len].to_vec(), true))
}

/// A non-empty source must start with the SQLite header.
fn check_header(options: &SourceOptions, header: &[u8]) -> Result<()> {
    if !header.is_empty() && (header.len() < 100 || &header[..16] != SQLITE_HEADER) {
        return Err(LiteportError::NotSqlite {
            server: options.server_name.clone(),
            path: options.describe(),
            reason: "it does not start with the SQLite header".into(),
        });
    }
    Ok(())
}

impl SqliteConnection {
    /// Open the source read-only, with the safety settings, and check that it is a
    /// SQLite database we can read.
    pub fn open(options: &SourceOptions) -> Result<SqliteConnection> {
        let server = options.server_name.clone();
        let path = options.describe();
        let connect_err = |reason: String| LiteportError::Connect { server: server.clone(), path: path.clone(), reason };
        let (db, header, immutable) = match options.large_object {
            Some(oid) => open_large_object(options, oid)?,
            None => open_file(options)?,
        };
        harden(&db).map_err(|e| connect_err(format!("cannot apply safety settings: {e}")))?;
        db.busy_timeout(std::time::Duration::from_millis(options.busy_timeout_ms.max(0) as u64))
            .map_err(|e| connect_err(e.to_string()))?;
        install_interrupt_handler(&db);

        // Reading the schema is the first real read: it tells a database from a
        // non-database or a corrupt file.
        if let Err(e) = db.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)) {
            return Err(match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
                    LiteportError::NotSqlite { server, path, reason: e.to_string() }
                }
                _ => connect_err(e.to_string()),
            });
        }

        Ok(SqliteConnection {
            db,
            options: options.clone(),
            header,
            in_snapshot: Cell::new(false),
            opened_immutable: immutable,
            // A large object's descriptor ends with the transaction: so does the connection.
            stale: Cell::new(options.large_object.is_some()),
            readers: RefCell::new(Vec::new()),
            row_estimates: RefCell::new(HashMap::new()),
        })
    }

    /// The connection, for the backend's use: no reading thread runs while it is used.
    pub fn db(&self) -> &rusqlite::Connection {
        self.pause_readers();
        &self.db
    }

    /// The raw handle (no reading thread runs on it until the caller's next step).
    pub fn raw(&self) -> *mut ffi::sqlite3 {
        self.pause_readers();
        // SAFETY: the handle lives as long as `self.db`, and callers hold `self` (by Rc).
        unsafe { self.db.handle() }
    }

    pub fn register_reader(&self, reader: &Rc<ReaderControl>) {
        let mut readers = self.readers.borrow_mut();
        readers.retain(|r| r.strong_count() > 0);
        readers.push(Rc::downgrade(reader));
    }

    /// Stop every reading thread on this connection (they keep what they read).
    /// Call before any use of a statement of this connection on the backend's thread.
    pub fn pause_readers(&self) {
        let mut readers = self.readers.borrow_mut();
        if readers.is_empty() {
            return;
        }
        readers.retain(|r| match r.upgrade() {
            Some(reader) => {
                reader.pause();
                true
            }
            None => false,
        });
    }

    pub fn cached_rows(&self, table: &str) -> Option<f64> {
        self.row_estimates.borrow().get(table).copied()
    }

    pub fn cache_rows(&self, table: &str, rows: f64) {
        self.row_estimates.borrow_mut().insert(table.to_string(), rows);
    }

    pub fn is_large_object(&self) -> bool {
        self.options.large_object.is_some()
    }

    pub fn in_snapshot(&self) -> bool {
        self.in_snapshot.get()
    }

    /// Start the read transaction that pins this Postgres transaction's view of the
    /// file. `BEGIN` alone takes no snapshot in SQLite; the first read does.
    pub fn ensure_snapshot(&self) -> Result<()> {
        if self.in_snapshot.get() {
            return Ok(());
        }
        self.pause_readers();
        let run = || -> rusqlite::Result<()> {
            self.db.execute_batch("BEGIN DEFERRED")?;
            self.db.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0))?;
            Ok(())
        };
        if let Err(e) = run() {
            let _ = self.db.execute_batch("ROLLBACK");
            return Err(self.sqlite_error("starting a read transaction", &e));
        }
        self.in_snapshot.set(true);
        Ok(())
    }

    /// End the read transaction. Read-only, so there is nothing to commit: ROLLBACK
    /// also works while a statement is still open (an aborted scan), COMMIT may not.
    pub fn end_snapshot(&self) {
        if self.in_snapshot.replace(false) {
            self.pause_readers();
            let _ = self.db.execute_batch("ROLLBACK");
        }
    }

    /// The error for a failed read of a relation's columns: a view that calls a
    /// function only the application defines says which, anything else is SQLite's.
    pub fn columns_error(&self, relation: &str, e: &rusqlite::Error) -> LiteportError {
        match crate::sqlite::schema::missing_function(&e.to_string()) {
            Some(function) => LiteportError::MissingFunction {
                server: self.options.server_name.clone(),
                table: relation.to_string(),
                function,
            },
            None => self.sqlite_error(&format!("reading the columns of \"{relation}\""), e),
        }
    }

    pub fn sqlite_error(&self, doing: &str, e: &rusqlite::Error) -> LiteportError {
        LiteportError::Sqlite { server: self.options.server_name.clone(), doing: doing.to_string(), message: e.to_string() }
    }
}

/// The settings that keep a file we do not own safe from us and from itself.
fn harden(db: &rusqlite::Connection) -> rusqlite::Result<()> {
    use rusqlite::config::DbConfig;
    // Defensive mode: no writable_schema, no shadow-table writes, no corruption tricks.
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    // Functions in views and triggers of an untrusted file must be side-effect free.
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    // The statement form of query_only: every write is refused by SQLite itself.
    db.pragma_update(None, "query_only", true)?;
    // Extension loading is off by default; make that explicit for both the C API and
    // SQL's load_extension(). rusqlite is built without the load_extension feature.
    unsafe {
        ffi::sqlite3_db_config(db.handle(), ffi::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0 as std::ffi::c_int, std::ptr::null_mut::<std::ffi::c_int>());
    }
    Ok(())
}

/// SQLite calls this every few hundred VM steps; a non-zero return aborts the running
/// statement with SQLITE_INTERRUPT. It only reads Postgres's signal flags: no Postgres
/// call may happen inside SQLite. The scan then raises Postgres's own cancel ERROR.
unsafe extern "C" fn interrupt_requested(_arg: *mut std::ffi::c_void) -> std::ffi::c_int {
    let pending = unsafe { pgrx::pg_sys::QueryCancelPending != 0 || pgrx::pg_sys::ProcDiePending != 0 };
    pending as std::ffi::c_int
}

fn install_interrupt_handler(db: &rusqlite::Connection) {
    // 1000 VM instructions is microseconds: prompt without measurable overhead.
    unsafe { ffi::sqlite3_progress_handler(db.handle(), 1000, Some(interrupt_requested), std::ptr::null_mut()) };
}

thread_local! {
    /// The backend's open SQLite connections, by foreign server OID. A backend is
    /// single-threaded; the Rc lets a running scan keep its connection alive even if
    /// the cache drops it (options changed mid-transaction).
    static CONNECTIONS: RefCell<HashMap<u32, Rc<SqliteConnection>>> = RefCell::new(HashMap::new());
}

/// The connection for a server with these options, opened or reused, with this
/// transaction's snapshot taken.
pub fn connection_for(server_oid: u32, options: &SourceOptions) -> Result<Rc<SqliteConnection>> {
    let cached = CONNECTIONS.with(|c| c.borrow().get(&server_oid).cloned());
    if let Some(conn) = cached {
        // An immutable open is only trusted within the transaction that made it: the
        // application may have started writing since.
        let reusable = conn.options == *options && (conn.in_snapshot() || !conn.opened_immutable);
        if reusable {
            conn.ensure_snapshot()?;
            return Ok(conn);
        }
        conn.end_snapshot();
        CONNECTIONS.with(|c| c.borrow_mut().remove(&server_oid));
    }
    let conn = Rc::new(SqliteConnection::open(options)?);
    conn.ensure_snapshot()?;
    CONNECTIONS.with(|c| c.borrow_mut().insert(server_oid, Rc::clone(&conn)));
    Ok(conn)
}

/// At commit or abort: end every snapshot, and close what became stale.
pub fn end_of_transaction() {
    CONNECTIONS.with(|c| {
        let mut map = c.borrow_mut();
        for conn in map.values() {
            conn.end_snapshot();
        }
        map.retain(|_, conn| !conn.stale.get());
    });
}

/// A foreign server changed or was dropped (we do not learn which from the hash
/// value cheaply): mark every connection stale, to be closed at transaction end.
/// Reopening is cheap; reading with old options is not acceptable.
pub fn mark_all_stale() {
    CONNECTIONS.with(|c| {
        for conn in c.borrow().values() {
            conn.stale.set(true);
        }
    });
}

/// (server name, database, in a snapshot) of every open connection, for
/// `liteport.connections()`.
pub fn open_connections() -> Vec<(String, String, bool)> {
    CONNECTIONS.with(|c| {
        let mut v: Vec<_> = c
            .borrow()
            .values()
            .map(|conn| (conn.options.server_name.clone(), conn.options.describe(), conn.in_snapshot()))
            .collect();
        v.sort();
        v
    })
}

/// Close every connection (used by `liteport.disconnect()`), ending snapshots first.
pub fn close_all() -> usize {
    CONNECTIONS.with(|c| {
        let mut map = c.borrow_mut();
        for conn in map.values() {
            conn.end_snapshot();
        }
        let n = map.len();
        map.clear();
        n
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_path_escapes_uri_syntax() {
        assert_eq!(uri_path("/tmp/a b.db"), "/tmp/a b.db");
        assert_eq!(uri_path("/tmp/what?.db"), "/tmp/what%3F.db");
        assert_eq!(uri_path("/tmp/100%#.db"), "/tmp/100%25%23.db");
    }
}
