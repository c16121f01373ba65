//! The pieces of `liteport.migrate_resumable` (sql/resumable.sql), a procedure that
//! commits as it goes so that a large file need not be one transaction:
//!
//! - `hold_source_state` / `release_source_state`: the one state of the source every
//!   chunk reads. The calling backend keeps its SQLite read transaction open across
//!   the procedure's commits, and pins the state (src/sqlite/snapshot.rs) so that a
//!   connection opened later — a large object's, a parallel worker's — begins at it or
//!   fails with 40001. A writer may go on meanwhile (WAL) or waits (rollback journal).
//! - `source_chunks`: which tables to load, parents first, each cut into rowid ranges.
//! - `load_next_chunk`: take the next range no one holds (FOR UPDATE SKIP LOCKED), load
//!   at most chunk_rows of it through the bulk path, record how far: the caller commits.
//! - `start_load_workers`: with `parallel: N`, N - 1 background workers running the
//!   same loop as the calling role, in the same database, at the pinned state.
//! - `source_version`: what identifies the source between calls, so that a migration
//!   resumes only on the file it began with.

use super::bulk::{load_part, Chunk};
use super::ddl::{qualified, TableSpec};
use super::function::{prepare, sqlite_rows};
use super::options::{MigrateOptions, OnError};
use crate::error::LiteportError;
use crate::sqlite::cache;
use crate::sqlite::snapshot::SourceState;
use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, DynamicBackgroundWorker};
use pgrx::prelude::*;
use pgrx::JsonB;
use std::cell::RefCell;

/// At most this many rowid ranges per table: enough for any number of workers; each
/// range still loads in transactions of chunk_rows.
const MAX_RANGES: i64 = 1024;

/// The rowid ranges (after, upto] of a table holding `rows` rows with rowids from `min`
/// to `max`: one per chunk_rows rows (at most MAX_RANGES), of equal width, the first
/// open below and the last open above (rows a writer adds later are in it too).
pub fn rowid_ranges(min: i64, max: i64, rows: i64, chunk_rows: i64) -> Vec<(i64, i64)> {
    let count = rows.div_euclid(chunk_rows.max(1)) + i64::from(rows % chunk_rows.max(1) != 0);
    let count = count.clamp(1, MAX_RANGES);
    if count == 1 || max <= min {
        return vec![(i64::MIN, i64::MAX)];
    }
    let span = max as i128 - min as i128 + 1;
    let width = (span + count as i128 - 1) / count as i128;
    let mut ranges = Vec::with_capacity(count as usize);
    let mut after = i64::MIN;
    for n in 1..count {
        let upto = (min as i128 - 1 + n as i128 * width).min(i64::MAX as i128 - 1) as i64;
        if upto <= after {
            continue;
        }
        ranges.push((after, upto));
        after = upto;
    }
    ranges.push((after, i64::MAX));
    ranges
}

/// The tables liteport.migrate(server, target_schema, options) loads, in load order
/// (parents first), with their SQLite row counts, each as its rowid ranges (one for a
/// WITHOUT ROWID table, which loads whole): one row per range.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn source_chunks(
    server: &str,
    target_schema: default!(&str, "'public'"),
    options: default!(JsonB, "'{}'"),
    chunk_rows: default!(i64, 100000),
) -> TableIterator<
    'static,
    (
        name!(load_order, i32),
        name!(table_name, String),
        name!(source_rows, i64),
        name!(chunked, bool),
        name!(chunks, i32),
        name!(chunk_no, i32),
        name!(after_rowid, i64),
        name!(upto_rowid, i64),
    ),
> {
    crate::settings::with_fixed_settings(|| {
        let prepared = prepare(server, target_schema, &options, true, false);
        let mut rows = Vec::new();
        for (n, i) in super::plan::load_order(&prepared.specs).into_iter().enumerate() {
            let spec = &prepared.specs[i];
            let source_rows = sqlite_rows(&prepared.conn, &spec.source);
            let ranges = match rowid_of(&prepared.conn, spec) {
                Some(rowid) => {
                    let sql = format!("SELECT min({rowid}), max({rowid}) FROM {}", crate::fdw::deparse::sqlite_ident(&spec.source));
                    let (min, max): (Option<i64>, Option<i64>) = prepared
                        .conn
                        .db()
                        .query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
                        .map_err(|e| prepared.conn.sqlite_error(&format!("reading the rowids of \"{}\"", spec.source), &e))
                        .or_report();
                    match (min, max) {
                        (Some(min), Some(max)) => rowid_ranges(min, max, source_rows, chunk_rows),
                        _ => vec![(i64::MIN, i64::MAX)],
                    }
                }
                None => vec![(i64::MIN, i64::MAX)],
            };
            let chunked = rowid_of(&prepared.conn, spec).is_some();
            let total = ranges.len() as i32;
            for (k, (after, upto)) in ranges.into_iter().enumerate() {
                rows.push((n as i32 + 1, spec.target.clone(), source_rows, chunked, total, k as i32 + 1, after, upto));
            }
        }
        TableIterator::new(rows)
    })
}

use crate::error::OrReport;

/// The name that reads a rowid table's rowid (None: no rowid, the table loads whole).
fn rowid_of(conn: &crate::sqlite::connection::SqliteConnection, spec: &TableSpec) -> Option<&'static str> {
    let relation = crate::sqlite::schema::find_relation(conn.db(), &spec.source).ok().flatten()?;
    let columns = crate::sqlite::schema::columns(conn.db(), &spec.source).unwrap_or_default();
    crate::sqlite::schema::rowid_alias(relation.kind, &columns)
}

fn server_oid(server: &str) -> u32 {
    let name = std::ffi::CString::new(server).expect("a server name holds no NUL byte");
    unsafe { (*pg_sys::GetForeignServerByName(name.as_ptr(), false)).serverid }.to_u32()
}

thread_local! {
    /// The migration's table specs, built once per call (building them reads the
    /// SQLite schema and, for types 'inferred', profiles every table).
    static SPECS: RefCell<Option<(String, Vec<TableSpec>, MigrateOptions)>> = const { RefCell::new(None) };
    /// The workers this backend started, to stop them if its migration fails.
    static WORKERS: RefCell<Vec<DynamicBackgroundWorker>> = const { RefCell::new(Vec::new()) };
}

/// Keep reading the state this transaction reads of `server` for the rest of the
/// calling procedure: this backend's read transaction stays open across its commits,
/// and every later read of the server (here, or by the workers it starts) begins at
/// that state. Ends with `release_source_state`, or with any abort. Returns what names
/// the state.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn hold_source_state(server: &str) -> String {
    let conn = crate::fdw::server::open_server(server);
    let oid = server_oid(server);
    let state = conn.source_state().or_report();
    SPECS.with(|s| s.borrow_mut().take());
    cache::pin(oid, state.clone(), true);
    state.describe()
}

/// The end of `hold_source_state`: the read transaction ends with this transaction.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn release_source_state(server: &str) {
    cache::unpin(server_oid(server));
    SPECS.with(|s| s.borrow_mut().take());
    WORKERS.with(|w| w.borrow_mut().clear());
}

/// Load the next part of a resumable migration into its target: the first rowid range
/// (in load order) that no other backend is loading, at most chunk_rows rows of it, and
/// record it (the caller commits, which releases the range). `wait`: when every range
/// left is being loaded by a worker, wait for one rather than return. Returns no row
/// when nothing is left.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn load_next_chunk(
    server: &str,
    target_schema: &str,
    wait: default!(bool, false),
) -> TableIterator<'static, (name!(table_name, String), name!(rows_inserted, i64), name!(rows_read, i64), name!(range_done, bool))> {
    let server = server.to_string();
    let target_schema = target_schema.to_string();
    TableIterator::new(crate::settings::with_fixed_settings(move || load_next(&server, &target_schema, wait)))
}

/// A claimed range: table, range number, where to go on from, its end, and when the
/// claim was made (the table's start time, for the rate).
struct Claim {
    table: String,
    chunk_no: i32,
    next_rowid: i64,
    upto_rowid: i64,
    claimed_at: String,
}

const CLAIM_SQL: &str = "SELECT c.table_name, c.chunk_no, c.next_rowid, c.upto_rowid, pg_catalog.clock_timestamp()::pg_catalog.text \
     FROM liteport.resumable_chunks c JOIN liteport.resumable_tables t \
       ON t.owner OPERATOR(pg_catalog.=) c.owner AND t.server OPERATOR(pg_catalog.=) c.server \
      AND t.target_schema OPERATOR(pg_catalog.=) c.target_schema AND t.table_name OPERATOR(pg_catalog.=) c.table_name \
    WHERE c.owner OPERATOR(pg_catalog.=) CURRENT_USER AND c.server OPERATOR(pg_catalog.=) $1 \
      AND c.target_schema OPERATOR(pg_catalog.=) $2 AND c.status OPERATOR(pg_catalog.=) 'pending' \
    ORDER BY t.load_order, c.chunk_no LIMIT 1 FOR UPDATE OF c";

fn claim(server: &str, target_schema: &str, skip_locked: bool) -> Option<Claim> {
    let sql = if skip_locked { format!("{CLAIM_SQL} SKIP LOCKED") } else { CLAIM_SQL.to_string() };
    Spi::connect_mut(|c| {
        let rows = c.update(&sql, Some(1), &[server.into(), target_schema.into()])?;
        let Some(row) = rows.into_iter().next() else { return Ok::<_, pgrx::spi::Error>(None) };
        Ok(Some(Claim {
            table: row.get::<String>(1)?.expect("not null"),
            chunk_no: row.get::<i32>(2)?.expect("not null"),
            next_rowid: row.get::<i64>(3)?.expect("not null"),
            upto_rowid: row.get::<i64>(4)?.expect("not null"),
            claimed_at: row.get::<String>(5)?.expect("not null"),
        }))
    })
    .unwrap_or_else(|e| panic!("claiming a chunk: {e}"))
}

fn load_next(server: &str, target_schema: &str, wait: bool) -> Vec<(String, i64, i64, bool)> {
    let oid = server_oid(server);
    if cache::pinned(oid).is_none() {
        LiteportError::InvalidArgument {
            what: format!("liteport.load_next_chunk: no state of server \"{server}\" is held in this session (liteport.migrate_resumable calls liteport.hold_source_state first)"),
        }
        .report();
    }
    let (options, chunk_rows) = Spi::connect(|c| {
        let rows = c.select(
            "SELECT m.options, m.chunk_rows FROM liteport.resumable_migrations m \
              WHERE m.owner OPERATOR(pg_catalog.=) CURRENT_USER AND m.server OPERATOR(pg_catalog.=) $1 AND m.target_schema OPERATOR(pg_catalog.=) $2",
            Some(1),
            &[server.into(), target_schema.into()],
        )?;
        let Some(row) = rows.into_iter().next() else { return Ok::<_, pgrx::spi::Error>(None) };
        Ok(Some((row.get::<JsonB>(1)?.expect("not null"), row.get::<i64>(2)?.expect("not null"))))
    })
    .unwrap_or_else(|e| panic!("reading the migration: {e}"))
    .unwrap_or_else(|| LiteportError::InvalidArgument { what: format!("liteport.load_next_chunk: no resumable migration of server \"{server}\" into \"{target_schema}\"") }.report());
    let Some(claim) = claim(server, target_schema, true).or_else(|| if wait { claim(server, target_schema, false) } else { None }) else {
        return vec![];
    };

    // The specs, once per call; the connection, this transaction's (at the pinned state).
    let key = format!("{}\u{0}{server}\u{0}{target_schema}\u{0}{}", unsafe { pg_sys::GetUserId() }.to_u32(), options.0);
    let cached = SPECS.with(|s| s.borrow().as_ref().filter(|(k, _, _)| *k == key).map(|(_, specs, opts)| (specs.clone(), opts.clone())));
    let (conn, specs, opts) = match cached {
        Some((specs, opts)) => (crate::fdw::server::open_server(server), specs, opts),
        None => {
            let prepared = prepare(server, target_schema, &options, true, false);
            SPECS.with(|s| *s.borrow_mut() = Some((key, prepared.specs.clone(), prepared.opts.clone())));
            (prepared.conn, prepared.specs, prepared.opts)
        }
    };
    let spec = specs
        .iter()
        .find(|s| s.target == claim.table)
        .unwrap_or_else(|| LiteportError::InvalidArgument { what: format!("liteport.load_next_chunk: {} is not a table of this migration", qualified(target_schema, &claim.table)) }.report());
    let table_options: Vec<(String, String)> = opts.timezone.iter().map(|z| ("timezone".to_string(), z.clone())).collect();
    let reject_target = (opts.on_error == OnError::Reject).then(|| qualified(target_schema, &spec.target));
    let chunked = rowid_of(&conn, spec).is_some();
    let limit = chunk_rows.max(1);
    let chunk = chunked.then_some(Chunk { after: claim.next_rowid, upto: claim.upto_rowid, limit });
    let (inserted, read, last) = load_part(&conn, spec, target_schema, &table_options, reject_target, chunk, false).or_report();
    let range_done = !chunked || read < limit;
    let next_rowid = last.unwrap_or(claim.next_rowid);

    Spi::connect_mut(|c| {
        c.update(
            "UPDATE liteport.resumable_chunks c SET next_rowid = $5, rows_loaded = c.rows_loaded OPERATOR(pg_catalog.+) $6, \
                    rows_read = c.rows_read OPERATOR(pg_catalog.+) $7, status = CASE WHEN $8 THEN 'loaded' ELSE 'pending' END, \
                    loaded_by = pg_catalog.pg_backend_pid(), updated_at = pg_catalog.clock_timestamp() \
              WHERE c.owner OPERATOR(pg_catalog.=) CURRENT_USER AND c.server OPERATOR(pg_catalog.=) $1 AND c.target_schema OPERATOR(pg_catalog.=) $2 \
                AND c.table_name OPERATOR(pg_catalog.=) $3 AND c.chunk_no OPERATOR(pg_catalog.=) $4",
            None,
            &[server.into(), target_schema.into(), claim.table.as_str().into(), claim.chunk_no.into(), next_rowid.into(), inserted.into(), read.into(), range_done.into()],
        )?;
        // Concurrent loaders of one table meet here: the row lock makes each addition
        // see the last (READ COMMITTED re-reads the updated row).
        c.update(
            "UPDATE liteport.resumable_tables t SET rows_loaded = t.rows_loaded OPERATOR(pg_catalog.+) $4, rows_read = t.rows_read OPERATOR(pg_catalog.+) $5, \
                    chunks_loaded = t.chunks_loaded OPERATOR(pg_catalog.+) $6, \
                    status = CASE WHEN t.chunks_loaded OPERATOR(pg_catalog.+) $6 OPERATOR(pg_catalog.>=) t.chunks_total THEN 'loaded' ELSE 'loading' END, \
                    started_at = COALESCE(t.started_at, $7::pg_catalog.timestamptz), updated_at = pg_catalog.clock_timestamp() \
              WHERE t.owner OPERATOR(pg_catalog.=) CURRENT_USER AND t.server OPERATOR(pg_catalog.=) $1 AND t.target_schema OPERATOR(pg_catalog.=) $2 \
                AND t.table_name OPERATOR(pg_catalog.=) $3",
            None,
            &[server.into(), target_schema.into(), claim.table.as_str().into(), inserted.into(), read.into(), i32::from(range_done).into(), claim.claimed_at.as_str().into()],
        )?;
        Ok::<_, pgrx::spi::Error>(())
    })
    .unwrap_or_else(|e| panic!("recording a chunk: {e}"));
    vec![(claim.table, inserted, read, range_done)]
}

/// Start `workers` background workers loading the ranges of this session's resumable
/// migration of `server` into `target_schema` (held with `hold_source_state`), as the
/// current role, at the held state. Returns how many started; a worker that cannot
/// (max_worker_processes reached) leaves its share to the others and the caller.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn start_load_workers(server: &str, target_schema: &str, workers: i32) -> i32 {
    let state = cache::pinned(server_oid(server)).unwrap_or_else(|| {
        LiteportError::InvalidArgument { what: format!("liteport.start_load_workers: no state of server \"{server}\" is held in this session (call liteport.hold_source_state first)") }.report()
    });
    let id = Spi::get_one_with_args::<i64>(
        "SELECT m.id FROM liteport.resumable_migrations m \
          WHERE m.owner OPERATOR(pg_catalog.=) CURRENT_USER AND m.server OPERATOR(pg_catalog.=) $1 AND m.target_schema OPERATOR(pg_catalog.=) $2",
        &[server.into(), target_schema.into()],
    )
    .ok()
    .flatten()
    .unwrap_or_else(|| LiteportError::InvalidArgument { what: format!("liteport.start_load_workers: no resumable migration of server \"{server}\" into \"{target_schema}\"") }.report());
    register_abort_callback();
    // The worker learns its database, role and state from its bgw_extra (127 bytes),
    // never from a table a role could write.
    let extra = WorkerExtra { database: unsafe { pg_sys::MyDatabaseId }.to_u32(), role: unsafe { pg_sys::GetUserId() }.to_u32(), state }.encode();
    let mut started = 0;
    for n in 1..=workers.max(0) {
        let name = format!("liteport load worker {n} for migration {id}");
        // The handle outlives this transaction: it lives in TopMemoryContext.
        let worker = unsafe {
            let old = pg_sys::MemoryContextSwitchTo(pg_sys::TopMemoryContext);
            let worker = BackgroundWorkerBuilder::new(&name)
                .set_type("liteport load worker")
                .set_library("liteport")
                .set_function("liteport_load_worker")
                .enable_spi_access()
                .set_restart_time(None)
                .set_argument(id.into_datum())
                .set_extra(&extra)
                .set_notify_pid(pg_sys::MyProcPid)
                .load_dynamic();
            pg_sys::MemoryContextSwitchTo(old);
            worker
        };
        match worker {
            Ok(w) => {
                WORKERS.with(|ws| ws.borrow_mut().push(w));
                started += 1;
            }
            Err(_) => {
                pgrx::notice!("liteport: {} of {} load workers started (max_worker_processes): the others' share falls to those running", started, workers);
                break;
            }
        }
    }
    started
}

/// What a load worker is told: the database and role to connect as, and the state of
/// the source to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerExtra {
    pub database: u32,
    pub role: u32,
    pub state: SourceState,
}

impl WorkerExtra {
    pub fn encode(&self) -> String {
        format!("{:x}.{:x}.{}", self.database, self.role, self.state.encode())
    }

    pub fn parse(text: &str) -> Option<WorkerExtra> {
        let mut parts = text.splitn(3, '.');
        let database = u32::from_str_radix(parts.next()?, 16).ok()?;
        let role = u32::from_str_radix(parts.next()?, 16).ok()?;
        let state = SourceState::parse(parts.next()?)?;
        Some(WorkerExtra { database, role, state })
    }
}

/// A failed (or cancelled) migration stops its workers: their current chunk rolls back.
fn register_abort_callback() {
    thread_local! {
        static REGISTERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    #[pg_guard]
    unsafe extern "C-unwind" fn on_event(event: pg_sys::XactEvent::Type, _arg: *mut std::ffi::c_void) {
        if matches!(event, pg_sys::XactEvent::XACT_EVENT_ABORT | pg_sys::XactEvent::XACT_EVENT_PARALLEL_ABORT) {
            WORKERS.with(|w| {
                for worker in w.borrow_mut().drain(..) {
                    let _ = worker.terminate();
                }
            });
            SPECS.with(|s| s.borrow_mut().take());
        }
    }
    if !REGISTERED.with(|r| r.replace(true)) {
        unsafe { pg_sys::RegisterXactCallback(Some(on_event), std::ptr::null_mut()) };
    }
}

/// A load worker: connects as the role that started it, then loads ranges of its
/// migration (one transaction each, at the leader's state of the source) until none is
/// left to take or the leader is gone.
#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn liteport_load_worker(arg: pg_sys::Datum) {
    unsafe {
        crate::pg_compat::die_on_sigterm();
        pg_sys::BackgroundWorkerUnblockSignals();
    }
    let id = arg.value() as i64;
    let Some(extra) = WorkerExtra::parse(BackgroundWorker::get_extra()) else {
        pgrx::error!("liteport load worker: unreadable start data");
    };
    BackgroundWorker::connect_worker_to_spi_by_oid(Some(pg_sys::Oid::from(extra.database)), Some(pg_sys::Oid::from(extra.role)));
    let leader = unsafe { (*pg_sys::MyBgworkerEntry).bgw_notify_pid };
    loop {
        if unsafe { pg_sys::BackendPidGetProc(leader) }.is_null() {
            break;
        }
        let state = extra.state.clone();
        let loaded = BackgroundWorker::transaction(move || {
            crate::settings::with_settings(&[("search_path", "pg_catalog, pg_temp")], || {
                crate::settings::with_fixed_settings(|| {
                    let found = Spi::connect(|c| {
                        let rows = c.select("SELECT m.server, m.target_schema FROM liteport.resumable_migrations m WHERE m.id OPERATOR(pg_catalog.=) $1 AND m.finished_at IS NULL", Some(1), &[id.into()])?;
                        let Some(row) = rows.into_iter().next() else { return Ok::<_, pgrx::spi::Error>(None) };
                        Ok(Some((row.get::<String>(1)?.expect("not null"), row.get::<String>(2)?.expect("not null"))))
                    })
                    .unwrap_or_else(|e| panic!("reading migration {id}: {e}"));
                    let Some((server, target_schema)) = found else { return false };
                    let oid = server_oid(&server);
                    if cache::pinned(oid).is_none() {
                        cache::pin(oid, state, true);
                    }
                    !load_next(&server, &target_schema, false).is_empty()
                })
            })
        });
        if !loaded {
            break;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_rowid_once() {
        assert_eq!(rowid_ranges(1, 10, 10, 100), vec![(i64::MIN, i64::MAX)]);
        assert_eq!(rowid_ranges(1, 10, 10, 5), vec![(i64::MIN, 5), (5, i64::MAX)]);
        assert_eq!(rowid_ranges(1, 10, 10, 3), vec![(i64::MIN, 3), (3, 6), (6, 9), (9, i64::MAX)]);
        for (min, max, rows, chunk) in [(i64::MIN, i64::MAX, 5_000_000, 1000), (-5, 5, 11, 1), (3, 1_200_000, 400_000, 20_000), (7, 7, 1, 1), (0, 1 << 62, 2, 1)] {
            let ranges = rowid_ranges(min, max, rows, chunk);
            assert!(ranges.len() as i64 <= MAX_RANGES);
            assert_eq!(ranges.first().unwrap().0, i64::MIN);
            assert_eq!(ranges.last().unwrap().1, i64::MAX);
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].1, pair[1].0, "adjacent");
                assert!(pair[0].0 < pair[0].1, "not empty");
            }
        }
    }

    #[test]
    fn worker_extra_fits_and_reads_back() {
        let extra = WorkerExtra { database: u32::MAX, role: u32::MAX, state: SourceState::Wal([0xab; 48]) };
        let text = extra.encode();
        assert!(text.len() <= 127, "{} bytes", text.len());
        assert_eq!(WorkerExtra::parse(&text), Some(extra));
        let extra = WorkerExtra { database: 5, role: 10, state: SourceState::File { device: u64::MAX, inode: u64::MAX, size: u64::MAX, mtime_ns: i128::MIN } };
        assert!(extra.encode().len() <= 127);
        assert_eq!(WorkerExtra::parse(&extra.encode()), Some(extra));
        assert_eq!(WorkerExtra::parse("zz.1.c1.2.3"), None);
    }
}
