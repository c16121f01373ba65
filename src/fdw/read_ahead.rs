//! Stepping SQLite on a plain Rust thread while the backend converts and inserts
//! (GUC `liteport.read_ahead`): the reader fills batches of raw values, the backend
//! converts from them. On two cores the copy then costs about the slower of the two
//! halves instead of their sum.
//!
//! Rules that keep this safe inside a Postgres backend:
//! - the thread never calls Postgres: it only steps the statement and copies values;
//! - it is started with every signal blocked, so Postgres's signal handlers keep
//!   running on the backend's own thread;
//! - the backend never uses the connection while a thread steps it: every use goes
//!   through `SqliteConnection::db()`/`raw()`, which first pause the connection's
//!   reading threads (they stop between rows and hand back what they read; the scan
//!   starts a new thread when it needs more), so SQLite's cheaper multi-thread mode
//!   suffices;
//! - a query cancel stops it through the connection's progress handler (which only
//!   reads Postgres's interrupt flags), and the scan's end or an ERROR stops it
//!   through a flag, and joins it before the statement is finalized;
//! - memory is bounded by bytes, not rows: a batch is handed over once it holds
//!   BATCH_BYTES, and a row with a value over DIRECT_BYTES is not copied at all — the
//!   thread stops on it and the backend converts it straight from SQLite's buffer, so
//!   a 100 MB value costs SQLite's copy and the Datum, nothing more. No size read from
//!   the file reaches an infallible allocation.

use super::convert::Cell;
use crate::profile::survey::ReadAs;
use crate::sqlite::connection::SqliteConnection;
use crate::sqlite::readers::PausableReader;
use rusqlite::ffi;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::ffi::c_int;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Rows per batch, and the text/blob bytes after which a batch is handed over.
const BATCH_ROWS: usize = 1024;
const BATCH_BYTES: usize = 1 << 20;
/// A row holding more text/blob bytes than this is read by the backend directly.
const DIRECT_BYTES: usize = 1 << 20;

/// How the statement ended after a batch's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepEnd {
    Done,
    /// SQLite's result code and message (SQLITE_INTERRUPT for a cancel).
    Failed(c_int, String),
    /// A value of this result column fails its check (`ReadAhead::new`'s `checks`):
    /// returned before any row of the batch that holds it.
    Unreadable(usize),
}

/// What `ReadAhead::advance` moved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advance {
    /// A row of the current batch: read it with `row()`.
    Batched,
    /// The statement's current row, which the thread did not copy (a large value):
    /// read it from the statement itself.
    Direct,
    End,
}

/// Raw values of up to BATCH_ROWS rows: per value its storage class and a number —
/// the integer, the double's bits, or (offset << 32 | length) into `bytes`.
#[derive(Default)]
pub struct Batch {
    ncols: usize,
    rows: usize,
    classes: Vec<u8>,
    numbers: Vec<u64>,
    bytes: Vec<u8>,
    /// After these rows the statement stands on a row the thread left for the
    /// backend to read directly.
    direct_row: bool,
    end: Option<StepEnd>,
    /// The result column of the last row whose value failed its check; the thread
    /// stopped after that row.
    unreadable: Option<usize>,
}

/// How the thread takes the statement's current row.
enum RowFit {
    /// Copy it into this batch.
    Copy(usize),
    /// Hand this batch over first, then copy it into the next.
    NextBatch(usize),
    /// Leave it for the backend.
    Direct,
}

impl Batch {
    fn clear(&mut self, ncols: usize) {
        self.ncols = ncols;
        self.rows = 0;
        self.classes.clear();
        self.numbers.clear();
        self.bytes.clear();
        self.direct_row = false;
        self.end = None;
        self.unreadable = None;
    }

    /// The first result column of row `row` whose value `checks` refuses.
    fn first_unreadable(&self, row: usize, checks: &[Option<ReadAs>]) -> Option<usize> {
        first_unreadable(checks, |col| (self.class(row, col) != ffi::SQLITE_NULL).then(|| self.cell(row, col)))
    }

    /// Text and blob bytes of the current row of `stmt` (sizes only: a zeroblob is not
    /// expanded, and numbers are not rendered).
    unsafe fn fit(&self, stmt: *mut ffi::sqlite3_stmt) -> RowFit {
        let mut total = 0usize;
        for i in 0..self.ncols as c_int {
            let class = unsafe { ffi::sqlite3_column_type(stmt, i) };
            if class == ffi::SQLITE_TEXT || class == ffi::SQLITE_BLOB {
                total += unsafe { ffi::sqlite3_column_bytes(stmt, i) }.max(0) as usize;
            }
        }
        if total > DIRECT_BYTES {
            RowFit::Direct
        } else if self.rows > 0 && self.bytes.len() + total > BATCH_BYTES {
            RowFit::NextBatch(total)
        } else {
            RowFit::Copy(total)
        }
    }

    /// Copy the current row of `stmt`, whose text and blob values hold `bytes` bytes.
    /// Err: SQLite or the allocator ran out of memory.
    unsafe fn push_row(&mut self, stmt: *mut ffi::sqlite3_stmt, bytes: usize) -> Result<(), ()> {
        self.bytes.try_reserve(bytes).map_err(|_| ())?;
        self.classes.try_reserve(self.ncols).map_err(|_| ())?;
        self.numbers.try_reserve(self.ncols).map_err(|_| ())?;
        for i in 0..self.ncols as c_int {
            let class = unsafe { ffi::sqlite3_column_type(stmt, i) };
            let number = match class {
                ffi::SQLITE_INTEGER => (unsafe { ffi::sqlite3_column_int64(stmt, i) }) as u64,
                ffi::SQLITE_FLOAT => unsafe { ffi::sqlite3_column_double(stmt, i) }.to_bits(),
                ffi::SQLITE_TEXT | ffi::SQLITE_BLOB => {
                    let cell = unsafe { Cell::from_column(stmt, i, class) }?;
                    let offset = self.bytes.len() as u64;
                    self.bytes.extend_from_slice(cell.raw_bytes());
                    (offset << 32) | cell.raw_bytes().len() as u64
                }
                _ => 0,
            };
            self.classes.push(class as u8);
            self.numbers.push(number);
        }
        self.rows += 1;
        Ok(())
    }

    pub fn class(&self, row: usize, col: usize) -> c_int {
        self.classes[row * self.ncols + col] as c_int
    }

    /// The value at (row, col); not for NULL.
    pub fn cell(&self, row: usize, col: usize) -> Cell<'_> {
        let i = row * self.ncols + col;
        let n = self.numbers[i];
        match self.classes[i] as c_int {
            ffi::SQLITE_INTEGER => Cell::integer_value(n as i64),
            ffi::SQLITE_FLOAT => Cell::real_value(f64::from_bits(n)),
            class => {
                let (offset, len) = ((n >> 32) as usize, (n & 0xffff_ffff) as usize);
                Cell::bytes_value(&self.bytes[offset..offset + len], class == ffi::SQLITE_BLOB)
            }
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

/// The first result column whose value (`cell_at`; None: NULL) fails its check in
/// `checks`: for the rows the thread copies and those the backend reads itself.
pub fn first_unreadable<'a>(checks: &[Option<ReadAs>], cell_at: impl Fn(usize) -> Option<Cell<'a>>) -> Option<usize> {
    checks.iter().enumerate().find_map(|(col, check)| {
        let check = (*check)?;
        cell_at(col).is_some_and(|cell| !check.reads_cell(&cell)).then_some(col)
    })
}

struct StatementPtr(*mut ffi::sqlite3_stmt, *mut ffi::sqlite3);
// SAFETY: while the thread runs, the backend does not use the connection: every
// backend-side use goes through SqliteConnection's accessors, which pause readers first.
unsafe impl Send for StatementPtr {}

/// Hand `batch` over; while the backend is behind, wait (it unparks us after each
/// batch). Err: stopped (the batch comes back) or the scan is gone (None).
fn hand_over(full: &SyncSender<Batch>, batch: Batch, stop: &AtomicBool) -> Result<(), Option<Batch>> {
    let mut handing = batch;
    loop {
        match full.try_send(handing) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(b)) => {
                if stop.load(Ordering::Relaxed) {
                    return Err(Some(b));
                }
                handing = b;
                // Woken by the backend after it takes a batch, or to stop. (An unpark
                // that came first makes this return at once.)
                std::thread::park();
            }
            Err(TrySendError::Disconnected(_)) => return Err(None),
        }
    }
}

/// Step and copy rows until the statement ends, `stop` is set, a row is left for the
/// backend, or the scan is gone. Returns the rows read but not handed over when
/// stopped, so none is lost.
fn fill(statement: StatementPtr, ncols: usize, checks: Arc<Vec<Option<ReadAs>>>, full: SyncSender<Batch>, recycled: Receiver<Batch>, stop: Arc<AtomicBool>) -> Option<Batch> {
    let StatementPtr(stmt, db) = statement;
    let new_batch = || {
        let mut b = recycled.try_recv().unwrap_or_default();
        b.clear(ncols);
        b
    };
    let mut batch = new_batch();
    loop {
        if stop.load(Ordering::Relaxed) {
            return (batch.rows > 0).then_some(batch);
        }
        let mut last = false;
        match unsafe { ffi::sqlite3_step(stmt) } {
            ffi::SQLITE_ROW => match unsafe { batch.fit(stmt) } {
                RowFit::Direct => {
                    batch.direct_row = true;
                    last = true;
                }
                fit => {
                    let bytes = match fit {
                        RowFit::NextBatch(bytes) => {
                            if let Err(back) = hand_over(&full, std::mem::replace(&mut batch, new_batch()), &stop) {
                                // Stopped with the row stepped but not copied: it goes
                                // to the backend as a direct row.
                                return back.map(|mut b| {
                                    b.direct_row = true;
                                    b
                                });
                            }
                            bytes
                        }
                        RowFit::Copy(bytes) => bytes,
                        RowFit::Direct => unreachable!(),
                    };
                    if unsafe { batch.push_row(stmt, bytes) }.is_err() {
                        batch.end = Some(StepEnd::Failed(ffi::SQLITE_NOMEM, "out of memory copying a row".into()));
                        last = true;
                    } else if !checks.is_empty() {
                        // The checks run here, on the core the backend is not using.
                        if let Some(col) = batch.first_unreadable(batch.rows - 1, &checks) {
                            batch.unreadable = Some(col);
                            last = true;
                        }
                    }
                }
            },
            ffi::SQLITE_DONE => {
                batch.end = Some(StepEnd::Done);
                last = true;
            }
            rc => {
                let message = unsafe { std::ffi::CStr::from_ptr(ffi::sqlite3_errmsg(db)) }.to_string_lossy().into_owned();
                batch.end = Some(StepEnd::Failed(rc, message));
                last = true;
            }
        }
        if last || batch.rows >= BATCH_ROWS || batch.bytes.len() >= BATCH_BYTES {
            if let Err(back) = hand_over(&full, std::mem::replace(&mut batch, new_batch()), &stop) {
                return back;
            }
            if last {
                return None;
            }
        }
    }
}

/// What the connection needs to pause a scan's reading thread before the backend
/// uses the connection itself.
#[derive(Default)]
pub struct ReaderControl {
    stop: Arc<AtomicBool>,
    thread: RefCell<Option<JoinHandle<Option<Batch>>>>,
    /// Rows the paused thread had read but not handed over.
    leftover: RefCell<Option<Batch>>,
}

impl PausableReader for ReaderControl {
    /// Stop the thread, wait for it, and keep the rows it had read. The statement
    /// stays where it is; the scan starts a new thread when it needs more rows.
    fn pause(&self) {
        let Some(handle) = self.thread.borrow_mut().take() else { return };
        self.stop.store(true, Ordering::Relaxed);
        handle.thread().unpark();
        let leftover = handle.join().ok().flatten();
        if leftover.is_some() {
            *self.leftover.borrow_mut() = leftover;
        }
    }
}

impl ReaderControl {
    fn running(&self) -> bool {
        self.thread.borrow().is_some()
    }
}

/// The reading thread of one scan, and the batch being converted.
pub struct ReadAhead {
    conn: Rc<SqliteConnection>,
    stmt: *mut ffi::sqlite3_stmt,
    ncols: usize,
    /// Per result column, the check every value must pass (empty: none).
    checks: Arc<Vec<Option<ReadAs>>>,
    control: Rc<ReaderControl>,
    full: Option<Receiver<Batch>>,
    recycle: Option<SyncSender<Batch>>,
    /// Batches collected from a paused thread, in order.
    pending: VecDeque<Batch>,
    current: Batch,
    position: usize,
    /// The scan is on a direct row (read from the statement).
    on_direct_row: bool,
}

impl ReadAhead {
    /// Read `stmt` (which has `ncols` result columns) ahead on a thread, checking
    /// every value of result column i with `checks[i]` (`checks` empty: none).
    pub fn new(conn: Rc<SqliteConnection>, stmt: *mut ffi::sqlite3_stmt, ncols: usize, checks: Arc<Vec<Option<ReadAs>>>) -> std::io::Result<ReadAhead> {
        let control = Rc::new(ReaderControl::default());
        let weak: std::rc::Weak<ReaderControl> = Rc::downgrade(&control);
        conn.register_reader(weak);
        let mut read_ahead = ReadAhead {
            conn,
            stmt,
            ncols,
            checks,
            control,
            full: None,
            recycle: None,
            pending: VecDeque::new(),
            current: Batch::default(),
            position: 0,
            on_direct_row: false,
        };
        read_ahead.spawn()?;
        Ok(read_ahead)
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        // Taking the raw handle pauses any other scan's thread on this connection.
        let db = self.conn.raw();
        let (full_tx, full_rx) = sync_channel::<Batch>(2);
        let (recycle_tx, recycle_rx) = sync_channel::<Batch>(4);
        self.control.stop.store(false, Ordering::Relaxed);
        let stop = Arc::clone(&self.control.stop);
        let statement = StatementPtr(self.stmt, db);
        let ncols = self.ncols;
        let checks = Arc::clone(&self.checks);
        // The thread inherits the signal mask of its creator: block everything while
        // spawning, then restore the backend's own mask.
        let handle = unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut previous: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut previous);
            let spawned = std::thread::Builder::new()
                .name("liteport-read".into())
                .spawn(move || fill(statement, ncols, checks, full_tx, recycle_rx, stop));
            libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut());
            spawned?
        };
        *self.control.thread.borrow_mut() = Some(handle);
        self.full = Some(full_rx);
        self.recycle = Some(recycle_tx);
        Ok(())
    }

    /// The next batch: from a paused thread's rows, from the running thread, or from
    /// a new thread. None: the thread ended without a last batch (the scan went away).
    fn next_batch(&mut self) -> Option<std::io::Result<Batch>> {
        loop {
            if let Some(batch) = self.pending.pop_front() {
                return Some(Ok(batch));
            }
            if self.control.running() {
                let received = self.full.as_ref().and_then(|rx| rx.recv().ok());
                if let Some(handle) = self.control.thread.borrow().as_ref() {
                    handle.thread().unpark();
                }
                match received {
                    Some(batch) => return Some(Ok(batch)),
                    None => return None,
                }
            }
            // Paused: what it sent, then what it held, then a new thread.
            if let Some(rx) = self.full.take() {
                self.pending.extend(rx.try_iter());
            }
            self.pending.extend(self.control.leftover.borrow_mut().take());
            if self.pending.is_empty() {
                if let Err(e) = self.spawn() {
                    return Some(Err(e));
                }
            }
        }
    }

    /// Advance to the next row.
    pub fn advance(&mut self) -> Result<Advance, StepEnd> {
        if self.on_direct_row {
            // Past the direct row: the next thread steps on from it.
            self.on_direct_row = false;
        } else {
            self.position += 1;
        }
        loop {
            if self.position < self.current.rows {
                return Ok(Advance::Batched);
            }
            if self.current.direct_row {
                self.current.direct_row = false;
                // The thread stopped on this row and ends; join it before the backend
                // reads the statement, and stop every other reader of the connection.
                self.control.pause();
                self.conn.pause_readers();
                self.on_direct_row = true;
                return Ok(Advance::Direct);
            }
            if let Some(end) = self.current.end.clone() {
                return match end {
                    StepEnd::Done => Ok(Advance::End),
                    failed => Err(failed),
                };
            }
            let next = match self.next_batch() {
                Some(Ok(batch)) => batch,
                Some(Err(e)) => return Err(StepEnd::Failed(ffi::SQLITE_ERROR, format!("cannot start the read-ahead thread: {e}"))),
                None => return Ok(Advance::End),
            };
            if let Some(col) = next.unreadable {
                return Err(StepEnd::Unreadable(col));
            }
            let used = std::mem::replace(&mut self.current, next);
            if let Some(recycle) = &self.recycle {
                let _ = recycle.try_send(used);
            }
            self.position = 0;
        }
    }

    /// The current batch and the current row's index in it (for `Advance::Batched`).
    pub fn row(&self) -> (&Batch, usize) {
        (&self.current, self.position)
    }

    /// The scan stands on a direct row: its values are in the statement.
    pub fn on_direct_row(&self) -> bool {
        self.on_direct_row
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.control.pause();
    }
}
