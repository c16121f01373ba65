//! One open SQLite source, read-only, and the read snapshot it holds for one Postgres
//! transaction. The per-backend cache of these connections is `sqlite::cache`.
//!
//! The file is the application's data, so everything here leans towards leaving it
//! untouched: read-only mode, `query_only`, defensive mode, no extension loading,
//! untrusted schema, and no double-quoted-string fallback (a misspelt column name is an
//! error, never the text of its name). A WAL-mode file whose `-wal`/`-shm` files are
//! absent (the application is not running) is opened `immutable`, because a read-only
//! connection would otherwise create those two files next to the database; such a
//! connection cannot see writers, so it checks that the file did not change under it
//! and fails the transaction (40001) if it did.

use super::file_identity::FileIdentity;
use super::large_object;
use super::readers::PausableReader;
use super::snapshot::{self, SourceState};
use crate::error::{LiteportError, Result};
use rusqlite::{ffi, OpenFlags};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Weak;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// How long the busy handler waits for a writer's lock, and when this wait began
/// (milliseconds on a monotonic clock, 0 while not waiting).
struct BusyWait {
    timeout_ms: u64,
    started_ms: AtomicU64,
}

/// A large object's descriptor and the subtransaction that owns it: Postgres closes
/// the descriptor when that subtransaction aborts (and hands it to the parent when it
/// commits), so the connection must go at the same moment.
pub struct LargeObjectHandle {
    pub fd: i32,
    pub oid: u32,
    pub subtransaction: Cell<u32>,
}

/// An open SQLite database, read-only, belonging to one foreign server and one role.
pub struct SqliteConnection {
    // Dropped first: SQLite's handlers point into `busy` below.
    db: rusqlite::Connection,
    pub options: SourceOptions,
    /// The file's first 100 bytes (the SQLite header; empty for an empty file).
    pub header: Vec<u8>,
    /// Inside `BEGIN` with a read snapshot taken: every scan of this Postgres
    /// transaction reads the same state of the file.
    in_snapshot: Cell<bool>,
    /// Opened with `immutable=1`: SQLite takes no locks and keeps no snapshot against
    /// writers, so liteport watches the file itself and never reuses the connection in
    /// another transaction.
    pub opened_immutable: bool,
    /// File sources: the file as this connection read it.
    identity: RefCell<Option<FileIdentity>>,
    pub large_object: Option<LargeObjectHandle>,
    /// Server options changed or the server was dropped: close at transaction end.
    stale: Cell<bool>,
    /// Reading threads of scans on this connection (liteport.read_ahead).
    readers: RefCell<Vec<Weak<dyn PausableReader>>>,
    /// Row-count estimates by table, for the planner (one lookup per table per connection).
    row_estimates: RefCell<HashMap<String, f64>>,
    /// The program that wrote the file (looked up once).
    writer: std::cell::OnceCell<Option<(super::writer::Writer, String)>>,
    busy: Box<BusyWait>,
}

/// SQLite file header: the first 16 bytes of every database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A path as the path part of a `file:` URI: bytes that URI syntax would read
/// differently, and every byte outside printable ASCII (so `ü` is `%C3%BC`, which
/// SQLite decodes back to the same two bytes), are percent-encoded.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    for b in path.bytes() {
        match b {
            b'%' | b'?' | b'#' => out.push_str(&format!("%{b:02X}")),
            0x21..=0x7e | b' ' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Is the file a WAL-mode database with no live -wal/-shm beside it? Then nothing
/// can be writing it, and opening it immutable is what keeps us from creating files.
fn wal_without_sidecars(header: &[u8], identity: &FileIdentity) -> bool {
    // Byte 19, the file format's read version, is what makes SQLite use the WAL (2).
    let is_wal = header.len() >= 20 && header[19] == 2;
    is_wal && !identity.wal_exists && !identity.shm_exists
}

/// The first 100 bytes of the main database file, read through SQLite's own file
/// handle (never a descriptor of our own: see file_identity.rs). Shorter when the
/// file is.
fn read_header(db: &rusqlite::Connection, size: u64) -> std::result::Result<Vec<u8>, String> {
    let mut header = vec![0u8; (size.min(100)) as usize];
    if header.is_empty() {
        return Ok(header);
    }
    unsafe {
        let mut file: *mut ffi::sqlite3_file = std::ptr::null_mut();
        let rc = ffi::sqlite3_file_control(db.handle(), c"main".as_ptr(), ffi::SQLITE_FCNTL_FILE_POINTER, &mut file as *mut _ as *mut std::ffi::c_void);
        if rc != ffi::SQLITE_OK || file.is_null() || (*file).pMethods.is_null() {
            return Err("cannot reach the file's handle".into());
        }
        let read = (*(*file).pMethods).xRead.ok_or("the file cannot be read")?;
        let rc = read(file, header.as_mut_ptr() as *mut std::ffi::c_void, header.len() as std::ffi::c_int, 0);
        if rc != ffi::SQLITE_OK && rc != ffi::SQLITE_IOERR_SHORT_READ {
            return Err(format!("cannot read the header (SQLite error {rc})"));
        }
    }
    Ok(header)
}

/// What SQLite's "unable to open database file" meant, said for the file at hand: an
/// unreadable -wal or a missing -shm in a directory we may not write are the usual
/// causes, and SQLite does not name them.
fn open_failure(path: &str, sqlite_message: String) -> String {
    let wal = format!("{path}-wal");
    // access(), not open(): see file_identity.rs on descriptors of the database's files.
    let readable = std::ffi::CString::new(wal.as_str()).map(|c| unsafe { libc::access(c.as_ptr(), libc::R_OK) } == 0).unwrap_or(false);
    if std::path::Path::new(&wal).exists() && !readable {
        return format!("{sqlite_message}: its write-ahead log \"{wal}\" cannot be read by the database server's OS user");
    }
    sqlite_message
}

/// Does `path` keep its -wal without a -shm for a while (200 ms)? False as soon as
/// either changes.
fn no_shm_stays(path: &str) -> bool {
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        match FileIdentity::read(path) {
            Ok(now) if now.wal_exists && !now.shm_exists => {}
            _ => return false,
        }
    }
    true
}

/// Open a database file: (connection, header, opened immutable, identity).
fn open_file(options: &SourceOptions, busy: &BusyWait) -> Result<(rusqlite::Connection, Vec<u8>, bool, FileIdentity)> {
    let server = options.server_name.clone();
    let path = options.database.clone();
    let connect_err = |reason: String| LiteportError::Connect { server: server.clone(), path: path.clone(), reason };

    let meta = std::fs::metadata(&path).map_err(|e| connect_err(e.to_string()))?;
    if meta.is_dir() {
        return Err(connect_err("it is a directory".into()));
    }
    // The identity is read before SQLite opens the file and again after its first
    // read: if the two differ, something wrote meanwhile, and we open again.
    for _ in 0..5 {
        let before = FileIdentity::read(&path).map_err(|e| connect_err(e.to_string()))?;
        // Multi-thread mode, not serialized: a connection is used by one thread at a
        // time (a read-ahead thread is paused before the backend touches it), and the
        // per-call mutex of serialized mode costs a third of a wide scan.
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open = |immutable: bool| {
            let uri = format!("file:{}?mode=ro{}", uri_path(&path), if immutable { "&immutable=1" } else { "" });
            rusqlite::Connection::open_with_flags(&uri, flags).map_err(|e| connect_err(open_failure(&path, e.to_string())))
        };
        // Opening reads nothing yet: the header decides how to open for real.
        let probe = open(false)?;
        let header = read_header(&probe, before.size).map_err(connect_err)?;
        check_header(options, &header)?;
        // A WAL file with its log but no shared-memory file (a copy, or an application
        // that crashed): SQLite would have to create the -shm beside it to read the
        // log, and liteport never creates files next to the source; reading it
        // immutable would silently miss what the log holds.
        if header.len() >= 20 && header[19] == 2 && before.wal_exists && !before.shm_exists {
            // A live application passes through this state for an instant (its last
            // connection closing removes the -shm, then the -wal): look again before
            // refusing; only a state that stays is a copy or a crash.
            if !no_shm_stays(&path) {
                continue;
            }
            return Err(connect_err(format!(
                "it is in WAL mode and has a write-ahead log (\"{path}-wal\") but no \"{path}-shm\": reading the log would mean creating that file beside the database, which liteport never does. Checkpoint it first (sqlite3 '{path}' 'PRAGMA wal_checkpoint(TRUNCATE)', run where the file may be written), or copy the -shm file with it"
            )));
        }
        let immutable = wal_without_sidecars(&header, &before);
        // SQLite closes the probe's descriptor only when no connection of this process
        // holds locks on the file (its own bookkeeping of POSIX locks).
        let db = if immutable {
            drop(probe);
            open(true)?
        } else {
            probe
        };
        // Before the first read, which may already wait for a writer's lock.
        install_handlers(&db, busy);
        first_read(&db, options).map_err(|e| match e {
            LiteportError::Connect { server, path: p, reason } => LiteportError::Connect { server, path: p, reason: open_failure(&path, reason) },
            other => other,
        })?;
        let after = FileIdentity::read(&path).map_err(|e| connect_err(e.to_string()))?;
        if before.change(&after).is_none() {
            return Ok((db, header, immutable, before));
        }
        // A connection that takes SQLite's locks reads a consistent state whatever was
        // written meanwhile (an application committing all the time, in a rollback
        // journal, would never let the two identities agree): only another file at the
        // path matters, and the identity kept is the later one.
        if !immutable && !before.replaced_by(&after) && before.wal_exists == after.wal_exists {
            return Ok((db, header, immutable, after));
        }
    }
    Err(LiteportError::SourceChanged { server, path, what: "it kept changing while it was being opened".into() })
}

/// Open a database stored as a large object, through the liteport_lo VFS.
fn open_large_object(options: &SourceOptions, oid: u32, busy: &BusyWait) -> Result<(rusqlite::Connection, Vec<u8>, LargeObjectHandle)> {
    // Postgres's own ERROR for a missing object or privilege comes from here, for the
    // current role.
    let fd = large_object::open(oid);
    let handle = LargeObjectHandle { fd, oid, subtransaction: Cell::new(unsafe { pgrx::pg_sys::GetCurrentSubTransactionId() }) };
    let size = large_object::size(fd);
    let mut header = [0u8; 100];
    let header_len = large_object::read_at(fd, 0, &mut header);
    check_header(options, &header[..header_len])?;
    large_object::register();
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connect_err = |e: rusqlite::Error| LiteportError::Connect { server: options.server_name.clone(), path: options.describe(), reason: e.to_string() };
    let db = rusqlite::Connection::open_with_flags_and_vfs(large_object::file_name(fd, oid, size), flags, large_object::VFS_NAME).map_err(connect_err)?;
    install_handlers(&db, busy);
    // No temp files: the VFS opens nothing but the database itself. Sorts stay in
    // memory, bounded by liteport.sqlite_memory_limit.
    db.pragma_update(None, "temp_store", "memory").map_err(connect_err)?;
    Ok((db, header[..header_len].to_vec(), handle))
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

/// Reading the schema is the first real read: it tells a database from a
/// non-database or a corrupt file.
fn first_read(db: &rusqlite::Connection, options: &SourceOptions) -> Result<()> {
    let (server, path) = (options.server_name.clone(), options.describe());
    match db.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(()),
        Err(e) => Err(match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt) => LiteportError::NotSqlite { server, path, reason: e.to_string() },
            // A cancel or termination that ended a lock wait: Postgres's own ERROR.
            Some(rusqlite::ErrorCode::OperationInterrupted) | Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked) => {
                pgrx::check_for_interrupts!();
                if matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::OperationInterrupted)) {
                    LiteportError::Interrupted { server }
                } else {
                    LiteportError::Locked { server, path, waited_ms: options.busy_timeout_ms as i64 }
                }
            }
            _ => LiteportError::Connect { server, path, reason: e.to_string() },
        }),
    }
}

impl SqliteConnection {
    /// Open the source read-only, with the safety settings, and check that it is a
    /// SQLite database we can read.
    pub fn open(options: &SourceOptions) -> Result<SqliteConnection> {
        apply_memory_limit();
        let connect_err = |reason: String| LiteportError::Connect { server: options.server_name.clone(), path: options.describe(), reason };
        let busy = Box::new(BusyWait { timeout_ms: options.busy_timeout_ms.max(0) as u64, started_ms: AtomicU64::new(0) });
        let (db, header, immutable, identity, large_object) = match options.large_object {
            Some(oid) => {
                let (db, header, handle) = open_large_object(options, oid, &busy)?;
                (db, header, true, None, Some(handle))
            }
            None => {
                let (db, header, immutable, identity) = open_file(options, &busy)?;
                (db, header, immutable, Some(identity), None)
            }
        };
        harden(&db).map_err(|e| connect_err(format!("cannot apply safety settings: {e}")))?;
        if large_object.is_some() {
            first_read(&db, options)?;
        }
        Ok(SqliteConnection {
            db,
            options: options.clone(),
            header,
            in_snapshot: Cell::new(false),
            opened_immutable: immutable,
            identity: RefCell::new(identity),
            // A large object's descriptor ends with the transaction: so does the connection.
            stale: Cell::new(large_object.is_some()),
            large_object,
            readers: RefCell::new(Vec::new()),
            row_estimates: RefCell::new(HashMap::new()),
            writer: std::cell::OnceCell::new(),
            busy,
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

    pub fn register_reader(&self, reader: Weak<dyn PausableReader>) {
        let mut readers = self.readers.borrow_mut();
        readers.retain(|r| r.strong_count() > 0);
        readers.push(reader);
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

    /// The program that wrote the file, told by its metadata tables.
    pub fn writer(&self) -> Option<super::writer::Writer> {
        self.writer_and_evidence().map(|(w, _)| w)
    }

    pub fn writer_and_evidence(&self) -> Option<(super::writer::Writer, String)> {
        self.writer.get_or_init(|| super::writer::detect(self.db())).clone()
    }

    pub fn is_large_object(&self) -> bool {
        self.large_object.is_some()
    }

    pub fn in_snapshot(&self) -> bool {
        self.in_snapshot.get()
    }

    pub(crate) fn mark_stale(&self) {
        self.stale.set(true);
    }

    pub(crate) fn is_stale(&self) -> bool {
        self.stale.get()
    }

    /// Was the file at this path replaced or written since this connection read it?
    /// (At the start of a transaction: then the connection is reopened.)
    pub(crate) fn file_changed(&self) -> bool {
        let identity = self.identity.borrow();
        let Some(known) = identity.as_ref() else { return false };
        match FileIdentity::read(&self.options.database) {
            Ok(now) => known.replaced_by(&now) || known.size != now.size || known.mtime_ns != now.mtime_ns,
            Err(_) => true,
        }
    }

    /// For a connection that cannot see writers (immutable): fail if the file changed
    /// since it was opened, because the rows read so far may mix two states of it.
    /// Every other connection holds a real SQLite snapshot and always passes.
    pub fn check_unchanged(&self) -> Result<()> {
        if !self.opened_immutable {
            return Ok(());
        }
        let identity = self.identity.borrow();
        let Some(known) = identity.as_ref() else { return Ok(()) };
        let what = match FileIdentity::read(&self.options.database) {
            Ok(now) => known.change(&now),
            Err(e) => Some(format!("it can no longer be read: {e}")),
        };
        match what {
            None => Ok(()),
            Some(what) => Err(LiteportError::SourceChanged { server: self.options.server_name.clone(), path: self.options.describe(), what }),
        }
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

    /// The state this connection's read transaction reads, for other readers to begin
    /// at (src/sqlite/snapshot.rs).
    pub fn source_state(&self) -> Result<SourceState> {
        self.ensure_snapshot()?;
        let db = self.raw();
        let failed = |doing: &str, rc: i32| self.error_for_code(rc, doing, format!("SQLite error {rc}"));
        if let Some(lo) = &self.large_object {
            let counter = unsafe { snapshot::change_counter(db) }.map_err(|rc| failed("reading the change counter", rc))?;
            return Ok(SourceState::Counter { counter, device: 0, inode: lo.oid as u64 });
        }
        let identity = self.identity.borrow().clone().expect("a file source has its identity");
        if self.opened_immutable {
            return Ok(SourceState::of_file(&identity));
        }
        let mode: String = self.db.query_row("PRAGMA main.journal_mode", [], |r| r.get(0)).map_err(|e| self.sqlite_error("reading the journal mode", &e))?;
        if mode.eq_ignore_ascii_case("wal") {
            let bytes = unsafe { snapshot::wal_snapshot(db) }.map_err(|rc| failed("taking a WAL snapshot", rc))?;
            return Ok(SourceState::Wal(bytes));
        }
        let counter = unsafe { snapshot::change_counter(db) }.map_err(|rc| failed("reading the change counter", rc))?;
        Ok(SourceState::Counter { counter, device: identity.device, inode: identity.inode })
    }

    /// Begin the read transaction at `leader`'s state (another transaction's or
    /// process's, see `source_state`), or fail with 40001 saying what changed since.
    pub fn begin_at(&self, leader: &SourceState) -> Result<()> {
        if !self.in_snapshot.get() {
            self.pause_readers();
            let run = || -> std::result::Result<(), String> {
                self.db.execute_batch("BEGIN DEFERRED").map_err(|e| e.to_string())?;
                if let SourceState::Wal(bytes) = leader {
                    let rc = unsafe { snapshot::open_wal_snapshot(self.raw(), bytes) };
                    if rc != ffi::SQLITE_OK {
                        return Err(format!("the state the migration began on is no longer in its write-ahead log (SQLite error {rc})"));
                    }
                }
                self.db.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)).map_err(|e| e.to_string())?;
                Ok(())
            };
            if let Err(what) = run() {
                let _ = self.db.execute_batch("ROLLBACK");
                return Err(LiteportError::StateLost { server: self.options.server_name.clone(), path: self.options.describe(), what });
            }
            self.in_snapshot.set(true);
        }
        let now = self.source_state()?;
        match leader.difference(&now) {
            None => Ok(()),
            Some(what) => {
                self.end_snapshot();
                Err(LiteportError::StateLost { server: self.options.server_name.clone(), path: self.options.describe(), what })
            }
        }
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
        let code = match e {
            rusqlite::Error::SqliteFailure(f, _) => f.extended_code,
            _ => ffi::SQLITE_ERROR,
        };
        self.error_for_code(code, doing, e.to_string())
    }

    /// The error for a SQLite result code: a pending cancel is Postgres's own ERROR
    /// (raised here), a lock held too long, memory, a file that changed under an
    /// immutable connection, or SQLite's message.
    pub fn error_for_code(&self, code: i32, doing: &str, message: String) -> LiteportError {
        pgrx::check_for_interrupts!();
        let server = self.options.server_name.clone();
        if let Err(changed) = self.check_unchanged() {
            return changed;
        }
        match code & 0xff {
            ffi::SQLITE_INTERRUPT => LiteportError::Interrupted { server },
            ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED => {
                LiteportError::Locked { server, path: self.options.describe(), waited_ms: self.busy.timeout_ms as i64 }
            }
            ffi::SQLITE_NOMEM => LiteportError::OutOfMemory { server, doing: doing.to_string(), limit_kb: crate::gucs::SQLITE_MEMORY_LIMIT_KB.get() as i64 },
            _ => LiteportError::Sqlite { server, doing: doing.to_string(), message },
        }
    }
}

/// The settings that keep a file we do not own safe from us and from itself.
fn harden(db: &rusqlite::Connection) -> rusqlite::Result<()> {
    use rusqlite::config::DbConfig;
    // Defensive mode: no writable_schema, no shadow-table writes, no corruption tricks.
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    // Functions in views and triggers of an untrusted file must be side-effect free.
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    // A double-quoted name that is no column is an error, not a string: otherwise a
    // foreign column whose SQLite column was renamed reads its own name on every row.
    // (SQLite still reads legacy schemas that relied on it.)
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
    // The statement form of query_only: every write is refused by SQLite itself.
    db.pragma_update(None, "query_only", true)?;
    // Extension loading is off by default; make that explicit for both the C API and
    // SQL's load_extension(). rusqlite is built without the load_extension feature.
    unsafe {
        ffi::sqlite3_db_config(db.handle(), ffi::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0 as std::ffi::c_int, std::ptr::null_mut::<std::ffi::c_int>());
    }
    Ok(())
}

/// Is a query cancel or backend termination pending? Only reads Postgres's signal
/// flags, so it may run on any thread and inside SQLite.
fn interrupt_pending() -> bool {
    unsafe { pgrx::pg_sys::QueryCancelPending != 0 || pgrx::pg_sys::ProcDiePending != 0 }
}

/// SQLite calls this every few hundred VM steps; a non-zero return aborts the running
/// statement with SQLITE_INTERRUPT. No Postgres call may happen inside SQLite: the
/// caller raises Postgres's own cancel ERROR afterwards.
unsafe extern "C" fn interrupt_requested(_arg: *mut std::ffi::c_void) -> std::ffi::c_int {
    interrupt_pending() as std::ffi::c_int
}

fn monotonic_ms() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_millis() as u64 + 1
}

/// SQLite's busy handler: wait for a writer's lock in short steps, up to the server's
/// busy_timeout_ms, and give up at once when a cancel or termination is pending (the
/// plain busy timeout sleeps through them).
unsafe extern "C" fn wait_for_lock(arg: *mut std::ffi::c_void, attempts: std::ffi::c_int) -> std::ffi::c_int {
    let wait = unsafe { &*(arg as *const BusyWait) };
    if interrupt_pending() {
        return 0;
    }
    let now = monotonic_ms();
    if attempts == 0 {
        wait.started_ms.store(now, Ordering::Relaxed);
    }
    let elapsed = now.saturating_sub(wait.started_ms.load(Ordering::Relaxed));
    if elapsed >= wait.timeout_ms {
        return 0;
    }
    let step = [1u64, 2, 5].get(attempts as usize).copied().unwrap_or(5).min(wait.timeout_ms - elapsed);
    std::thread::sleep(std::time::Duration::from_millis(step));
    1
}

/// Collations an application registers in its own process (Anki's `unicase`), which
/// this SQLite does not have: without one, any statement touching a column or index
/// that uses it fails ("no such collation sequence"). A stand-in is registered when
/// SQLite asks: `unicase` compares case-insensitively (Unicode lowercase), as Anki's
/// does; any other compares bytes. liteport reads by full scans of such columns (no
/// pushdown on them), so a stand-in's order never decides which rows are read.
unsafe extern "C" fn collation_needed(_arg: *mut std::ffi::c_void, db: *mut ffi::sqlite3, _encoding: std::ffi::c_int, name: *const std::ffi::c_char) {
    let label = unsafe { std::ffi::CStr::from_ptr(name) }.to_string_lossy().to_ascii_lowercase();
    let compare: unsafe extern "C" fn(*mut std::ffi::c_void, std::ffi::c_int, *const std::ffi::c_void, std::ffi::c_int, *const std::ffi::c_void) -> std::ffi::c_int =
        if label == "unicase" { compare_unicase } else { compare_bytes };
    STAND_IN_COLLATIONS.with(|s| s.borrow_mut().insert(label));
    unsafe { ffi::sqlite3_create_collation_v2(db, name, ffi::SQLITE_UTF8, std::ptr::null_mut(), Some(compare), None) };
}

thread_local! {
    /// Application collations stood in for, by lower-cased name (for check and plan).
    pub static STAND_IN_COLLATIONS: RefCell<std::collections::BTreeSet<String>> = const { RefCell::new(std::collections::BTreeSet::new()) };
}

unsafe fn collation_args<'a>(l1: std::ffi::c_int, p1: *const std::ffi::c_void, l2: std::ffi::c_int, p2: *const std::ffi::c_void) -> (&'a [u8], &'a [u8]) {
    let part = |l: std::ffi::c_int, p: *const std::ffi::c_void| if p.is_null() || l <= 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(p as *const u8, l as usize) } };
    (part(l1, p1), part(l2, p2))
}

unsafe extern "C" fn compare_bytes(_: *mut std::ffi::c_void, l1: std::ffi::c_int, p1: *const std::ffi::c_void, l2: std::ffi::c_int, p2: *const std::ffi::c_void) -> std::ffi::c_int {
    let (a, b) = unsafe { collation_args(l1, p1, l2, p2) };
    a.cmp(b) as std::ffi::c_int
}

unsafe extern "C" fn compare_unicase(_: *mut std::ffi::c_void, l1: std::ffi::c_int, p1: *const std::ffi::c_void, l2: std::ffi::c_int, p2: *const std::ffi::c_void) -> std::ffi::c_int {
    let (a, b) = unsafe { collation_args(l1, p1, l2, p2) };
    let folded = |s: &[u8]| String::from_utf8_lossy(s).chars().flat_map(char::to_lowercase).collect::<Vec<char>>();
    folded(a).cmp(&folded(b)) as std::ffi::c_int
}

fn install_handlers(db: &rusqlite::Connection, busy: &BusyWait) {
    unsafe {
        // Replaces rusqlite's default 5 s busy timeout, which sleeps through interrupts.
        ffi::sqlite3_collation_needed(db.handle(), std::ptr::null_mut(), Some(collation_needed));
        // 1000 VM instructions is microseconds: prompt without measurable overhead.
        ffi::sqlite3_progress_handler(db.handle(), 1000, Some(interrupt_requested), std::ptr::null_mut());
        ffi::sqlite3_busy_handler(db.handle(), Some(wait_for_lock), busy as *const BusyWait as *mut std::ffi::c_void);
    }
}

/// SQLite's memory for the whole backend (every connection, and the read-ahead
/// threads' statements) is capped at liteport.sqlite_memory_limit: past the soft limit
/// SQLite gives back page cache, past the hard limit an allocation fails and the
/// statement ends with SQLITE_NOMEM, which liteport raises as 53200.
pub fn apply_memory_limit() {
    thread_local!(static APPLIED: Cell<i64> = const { Cell::new(-1) });
    let limit = crate::gucs::sqlite_memory_limit_bytes();
    if APPLIED.with(|a| a.replace(limit)) != limit {
        unsafe {
            ffi::sqlite3_hard_heap_limit64(limit);
            ffi::sqlite3_soft_heap_limit64(limit / 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_path_escapes_uri_syntax_and_non_ascii_bytes() {
        assert_eq!(uri_path("/tmp/a b.db"), "/tmp/a b.db");
        assert_eq!(uri_path("/tmp/what?.db"), "/tmp/what%3F.db");
        assert_eq!(uri_path("/tmp/100%#.db"), "/tmp/100%25%23.db");
        assert_eq!(uri_path("/tmp/ü.db"), "/tmp/%C3%BC.db");
        assert_eq!(uri_path("/tmp/a\nb"), "/tmp/a%0Ab");
    }

    #[test]
    fn non_ascii_paths_open_through_the_uri() {
        let dir = std::env::temp_dir().join(format!("liteport_uri_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ü 100%.db");
        rusqlite::Connection::open(&path).unwrap().execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (42)").unwrap();
        let uri = format!("file:{}?mode=ro", uri_path(path.to_str().unwrap()));
        let db = rusqlite::Connection::open_with_flags(&uri, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI).unwrap();
        assert_eq!(db.query_row("SELECT x FROM t", [], |r| r.get::<_, i64>(0)).unwrap(), 42);
        drop(db);
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn double_quoted_strings_are_not_names() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t(name)").unwrap();
        harden(&db).unwrap();
        let err = db.prepare("SELECT \"Nmae\" FROM t").err().unwrap().to_string();
        assert!(err.contains("no such column: \"Nmae\""), "{err}");
        assert_eq!(crate::sqlite::schema::missing_column(&err).as_deref(), Some("Nmae"));
    }
}
