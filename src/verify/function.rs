//! `liteport.verify`: does every migrated table hold exactly what SQLite stores?
//!
//! Each side is brought into one canonical form per column independently of the code
//! that loaded it: the SQLite side reads stored values by the documented rules
//! (`normal`, its own parsers), the Postgres side reads what Postgres stored (`datum`:
//! the Datum's bits or the type's output function). A loading rule that changed a
//! value therefore shows as a difference. Both sides run under fixed settings (UTC,
//! ISO, all float digits), never the session's.
//!
//! Per column, an order-independent sum of hashes of (row key, value) in 64 buckets;
//! per row, a sum of row hashes. Where a column differs, a second pass over one
//! differing bucket finds an example row, named by rowid. Rows filed in liteport.rejects
//! are left out of the SQLite side (by rowid).

use super::canon::{Checksum, RowEncoder};
use super::datum::{domain_for, TargetColumn};
use super::normal::{self, Domain, Stored};
use crate::error::{LiteportError, OrReport};
use crate::fdw::deparse::sqlite_ident;
use crate::fdw::options::effective_conversion;
use crate::migrate::ddl::{qualified, TableSpec};
use crate::migrate::function::prepare;
use crate::pg_columns::PgColumn;
use crate::sqlite::connection::SqliteConnection;
use crate::sqlite::statement::RawStatement;
use pgrx::prelude::*;
use pgrx::JsonB;
use rusqlite::ffi;
use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use xxhash_rust::xxh3::{xxh3_128, Xxh3};

const BUCKETS: usize = 64;
const BATCH_ROWS: i64 = 10_000;
/// Rows of one bucket kept in memory while looking for an example.
const EXAMPLE_ROWS_MAX: usize = 1_000_000;
/// Columns explained with an example when several differ.
const EXAMPLES_MAX: usize = 3;

/// One column both sides have.
struct Compared {
    source: String,
    target: PgColumn,
    domain: Domain,
    empty_as_null: bool,
    reader: TargetColumn,
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

/// A row's canonical values (None: NULL).
type Row = Vec<Option<Vec<u8>>>;

fn key_of(row: &Row, key: &Option<Vec<usize>>) -> Option<Vec<u8>> {
    key.as_ref().map(|indices| {
        let mut k = Vec::new();
        for &i in indices {
            push_value(&mut k, row[i].as_deref());
        }
        k
    })
}

fn push_value(buf: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        None => buf.push(b'N'),
        Some(v) => {
            buf.push(b'V');
            buf.extend_from_slice(&(v.len() as u64).to_le_bytes());
            buf.extend_from_slice(v);
        }
    }
}

fn value_hash(column: usize, key: Option<&[u8]>, value: Option<&[u8]>) -> u128 {
    let mut h = Xxh3::new();
    h.update(&(column as u32).to_le_bytes());
    let mut buf = Vec::new();
    push_value(&mut buf, key);
    push_value(&mut buf, value);
    h.update(&buf);
    h.digest128()
}

/// The bucket of one value: by the row's key where there is one (so that one row's
/// columns fall in the same bucket on both sides), else by the value.
fn bucket(key: Option<&[u8]>, hash: u128) -> usize {
    match key {
        Some(k) => (xxh3_128(k) % BUCKETS as u128) as usize,
        None => (hash % BUCKETS as u128) as usize,
    }
}

/// What one side adds up.
struct Sums {
    rows: Checksum,
    columns: Vec<[u128; BUCKETS]>,
}

impl Sums {
    fn new(columns: usize) -> Sums {
        Sums { rows: Checksum::default(), columns: vec![[0u128; BUCKETS]; columns] }
    }
    fn add(&mut self, row: &Row, key: &Option<Vec<usize>>, encoder: &mut RowEncoder) {
        let k = key_of(row, key);
        encoder.start();
        for (c, value) in row.iter().enumerate() {
            let h = value_hash(c, k.as_deref(), value.as_deref());
            let b = bucket(k.as_deref(), h);
            self.columns[c][b] = self.columns[c][b].wrapping_add(h);
            match value {
                None => encoder.null(),
                Some(v) => encoder.bytes(b'v', v),
            }
        }
        self.rows.add(encoder.hash());
    }
}

/// Rows of this table filed in liteport.rejects (by the current role).
struct Rejected {
    rowids: HashSet<i64>,
    /// Rejects without a rowid (WITHOUT ROWID tables).
    without_rowid: i64,
}

impl Rejected {
    fn of(target: &str) -> Rejected {
        let mut rowids = HashSet::new();
        let mut without_rowid = 0;
        Spi::connect(|c| {
            let rows = c.select("SELECT DISTINCT rowid FROM liteport.rejects WHERE target OPERATOR(pg_catalog.=) $1", None, &[target.into()])?;
            for r in rows {
                match r.get::<i64>(1)? {
                    Some(id) => {
                        rowids.insert(id);
                    }
                    None => without_rowid = Spi::get_one_with_args::<i64>(
                        "SELECT pg_catalog.count(*) FROM liteport.rejects WHERE target OPERATOR(pg_catalog.=) $1 AND rowid IS NULL",
                        &[target.into()],
                    )?
                    .unwrap_or(0),
                }
            }
            Ok::<_, pgrx::spi::Error>(())
        })
        .unwrap_or_else(|e| panic!("reading liteport.rejects: {e}"));
        Rejected { rowids, without_rowid }
    }
    fn total(&self) -> i64 {
        self.rowids.len() as i64 + self.without_rowid
    }
}

/// A plain SELECT of the compared columns stepped inside SQLite, with the rowid when
/// the table has one.
struct SourceCursor<'c> {
    conn: &'c SqliteConnection,
    stmt: RawStatement,
    table: String,
    has_rowid: bool,
}

impl<'c> SourceCursor<'c> {
    fn open(conn: &'c SqliteConnection, table: &str, columns: &[Compared]) -> SourceCursor<'c> {
        let list: Vec<String> = columns.iter().map(|c| sqlite_ident(&c.source)).collect();
        let list = if list.is_empty() { "NULL".to_string() } else { list.join(", ") };
        // rowid, unless a column of that name hides it (then its other names).
        let names: Vec<String> = columns.iter().map(|c| c.source.to_ascii_lowercase()).collect();
        let rowid_name = ["rowid", "_rowid_", "oid"].into_iter().find(|n| !names.iter().any(|c| c == n));
        if let Some(rowid) = rowid_name {
            let sql = format!("SELECT {list}, {rowid} FROM {}", sqlite_ident(table));
            if let Ok(stmt) = RawStatement::prepare(conn, &sql) {
                return SourceCursor { conn, stmt, table: table.to_string(), has_rowid: true };
            }
        }
        // WITHOUT ROWID
        let sql = format!("SELECT {list} FROM {}", sqlite_ident(table));
        let stmt = RawStatement::prepare(conn, &sql)
            .map_err(|message| LiteportError::Sqlite { server: conn.options.server_name.clone(), doing: format!("preparing \"{sql}\""), message })
            .or_report();
        SourceCursor { conn, stmt, table: table.to_string(), has_rowid: false }
    }

    fn step(&mut self) -> bool {
        self.conn.pause_readers();
        match unsafe { ffi::sqlite3_step(self.stmt.ptr()) } {
            ffi::SQLITE_ROW => true,
            ffi::SQLITE_DONE => false,
            rc => {
                let message = unsafe { std::ffi::CStr::from_ptr(ffi::sqlite3_errmsg(self.conn.raw())) }.to_string_lossy().into_owned();
                self.conn.error_for_code(rc, &format!("reading \"{}\"", self.table), message).report()
            }
        }
    }

    fn rowid(&self, columns: usize) -> Option<i64> {
        self.has_rowid.then(|| unsafe { ffi::sqlite3_column_int64(self.stmt.ptr(), columns as i32) })
    }

    /// Column `i` of the current row; None for NULL. The bytes live until the next step.
    fn stored(&self, i: usize) -> Option<Stored<'_>> {
        let (stmt, i) = (self.stmt.ptr(), i as i32);
        unsafe {
            let bytes = |ptr: *const u8| {
                let len = ffi::sqlite3_column_bytes(stmt, i).max(0) as usize;
                if ptr.is_null() || len == 0 {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(ptr, len)
                }
            };
            match ffi::sqlite3_column_type(stmt, i) {
                ffi::SQLITE_NULL => None,
                ffi::SQLITE_INTEGER => Some(Stored::Integer(ffi::sqlite3_column_int64(stmt, i))),
                ffi::SQLITE_FLOAT => Some(Stored::Real(ffi::sqlite3_column_double(stmt, i))),
                ffi::SQLITE_TEXT => Some(Stored::Text(bytes(ffi::sqlite3_column_text(stmt, i)))),
                _ => Some(Stored::Blob(bytes(ffi::sqlite3_column_blob(stmt, i) as *const u8))),
            }
        }
    }

    /// The current row in canonical form, or the first column verify cannot read.
    fn row(&self, columns: &mut [Compared]) -> Result<Row, (usize, &'static str)> {
        let mut row = Vec::with_capacity(columns.len());
        for (i, col) in columns.iter_mut().enumerate() {
            let value = match self.stored(i) {
                None => None,
                Some(v) => normal::read(&col.domain, v, col.empty_as_null).and_then(|canon| col.reader.finish(canon)).map_err(|e| (i, e.0))?,
            };
            row.push(value);
        }
        Ok(row)
    }

    fn describe(&self, i: usize) -> String {
        self.stored(i).map_or("NULL".to_string(), |v| v.describe())
    }
}

/// The SQLite side: sums of the rows verify reads, rejected rows left out.
struct SourceSide {
    sums: Sums,
    /// Rows in SQLite (all of them).
    rows: i64,
    /// Rows verify cannot read into the target's types and that are not filed as
    /// rejected by rowid, with the first one's description.
    unreadable: i64,
    unreadable_example: Option<String>,
}

/// The current source row for a message: its rowid, else (WITHOUT ROWID) its key.
fn row_name(cursor: &SourceCursor, columns: &[Compared], key: &Option<Vec<usize>>) -> String {
    if let Some(r) = cursor.rowid(columns.len()) {
        return format!("rowid {r}");
    }
    match key {
        Some(indices) => format!(
            "the row with {}",
            indices.iter().map(|&i| format!("\"{}\" = {}", columns[i].source, cursor.describe(i))).collect::<Vec<_>>().join(", ")
        ),
        None => "a row".to_string(),
    }
}

fn read_source(conn: &SqliteConnection, spec: &TableSpec, columns: &mut [Compared], key: &Option<Vec<usize>>, rejected: &Rejected) -> SourceSide {
    let mut cursor = SourceCursor::open(conn, &spec.source, columns);
    let batch = BatchContext::new();
    let mut encoder = RowEncoder::default();
    let mut side = SourceSide { sums: Sums::new(columns.len()), rows: 0, unreadable: 0, unreadable_example: None };
    while cursor.step() {
        side.rows += 1;
        let rowid = cursor.rowid(columns.len());
        if rowid.is_some_and(|r| rejected.rowids.contains(&r)) {
            continue;
        }
        match batch.run(|| cursor.row(columns)) {
            Ok(row) => side.sums.add(&row, key, &mut encoder),
            Err((i, why)) => {
                side.unreadable += 1;
                if side.unreadable_example.is_none() {
                    side.unreadable_example =
                        Some(format!("{}, column \"{}\": {}: {why} as {}", row_name(&cursor, columns, key), columns[i].source, cursor.describe(i), columns[i].target.pg_type));
                }
            }
        }
        if side.rows % BATCH_ROWS == 0 {
            batch.reset();
            pgrx::check_for_interrupts!();
        }
    }
    side
}

/// Run `f` on every row of the target (Datums; None for NULL), in batches through an
/// SPI cursor, each batch in a memory context reset after it.
fn scan_target(schema: &str, spec: &TableSpec, columns: &[Compared], mut f: impl FnMut(&[Option<pg_sys::Datum>])) {
    let table = qualified(schema, &spec.target);
    let list: Vec<String> = columns.iter().map(|c| crate::fdw::import_sql::pg_ident(&c.target.name)).collect();
    let list = if list.is_empty() { "NULL".to_string() } else { list.join(", ") };
    let sql = CString::new(format!("SELECT {list} FROM {table}")).expect("no NUL in SQL");
    let batch = BatchContext::new();
    let mut values: Vec<Option<pg_sys::Datum>> = Vec::with_capacity(columns.len());
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
                    values.clear();
                    for i in 0..columns.len() {
                        let mut isnull = false;
                        let datum = pg_sys::SPI_getbinval(tuple, (*tuptable).tupdesc, i as i32 + 1, &mut isnull);
                        values.push((!isnull).then_some(datum));
                    }
                    f(&values);
                }
            });
            pg_sys::SPI_freetuptable(tuptable);
            batch.reset();
            pgrx::check_for_interrupts!();
        }
        pg_sys::SPI_cursor_close(portal);
        pg_sys::SPI_finish();
    }
}

fn read_target(schema: &str, spec: &TableSpec, columns: &mut [Compared], key: &Option<Vec<usize>>) -> Sums {
    let mut sums = Sums::new(columns.len());
    let mut encoder = RowEncoder::default();
    let readers: Vec<*mut TargetColumn> = columns.iter_mut().map(|c| &mut c.reader as *mut TargetColumn).collect();
    scan_target(schema, spec, columns, |values| {
        let row: Row = values.iter().zip(&readers).map(|(v, r)| v.map(|d| unsafe { (**r).canonical(d) })).collect();
        sums.add(&row, key, &mut encoder);
    });
    sums
}

/// An example of column `c` differing in bucket `b`: a second pass over both sides
/// keeping only that bucket's rows.
fn example(
    conn: &SqliteConnection,
    schema: &str,
    spec: &TableSpec,
    columns: &mut [Compared],
    key: &Option<Vec<usize>>,
    rejected: &Rejected,
    c: usize,
    b: usize,
) -> Option<String> {
    // Postgres side: (key or value) → (value, its display, count)
    let mut target: HashMap<Vec<u8>, (Option<Vec<u8>>, String, i64)> = HashMap::new();
    let mut overflow = false;
    let readers: Vec<*mut TargetColumn> = columns.iter_mut().map(|col| &mut col.reader as *mut TargetColumn).collect();
    scan_target(schema, spec, columns, |values| {
        if overflow {
            return;
        }
        let row: Row = values.iter().zip(&readers).map(|(v, r)| v.map(|d| unsafe { (**r).canonical(d) })).collect();
        let k = key_of(&row, key);
        let h = value_hash(c, k.as_deref(), row[c].as_deref());
        if bucket(k.as_deref(), h) != b {
            return;
        }
        let reader = readers[c];
        let display = || values[c].map_or("NULL".to_string(), |d| unsafe { (*reader).display(d) });
        let entry = k.clone().unwrap_or_else(|| h.to_le_bytes().to_vec());
        target.entry(entry).and_modify(|e| e.2 += 1).or_insert_with(|| (row[c].clone(), display(), 1));
        overflow = target.len() > EXAMPLE_ROWS_MAX;
    });
    if overflow {
        return None;
    }
    let mut cursor = SourceCursor::open(conn, &spec.source, columns);
    let mut found = None;
    while found.is_none() && cursor.step() {
        let rowid = cursor.rowid(columns.len());
        if rowid.is_some_and(|r| rejected.rowids.contains(&r)) {
            continue;
        }
        let Ok(row) = cursor.row(columns) else { continue };
        let k = key_of(&row, key);
        let h = value_hash(c, k.as_deref(), row[c].as_deref());
        if bucket(k.as_deref(), h) != b {
            continue;
        }
        let entry = k.clone().unwrap_or_else(|| h.to_le_bytes().to_vec());
        match target.get_mut(&entry) {
            Some(t) if k.is_some() && t.0 != row[c] => found = Some(format!("{}: SQLite {}, Postgres {}", row_name(&cursor, columns, key), cursor.describe(c), t.1)),
            Some(t) if t.2 > 0 => t.2 -= 1,
            _ if k.is_some() => found = Some(format!("{} has no row with its key in Postgres", row_name(&cursor, columns, key))),
            _ => found = Some(format!("{} holds {}, which no Postgres row holds", row_name(&cursor, columns, key), cursor.describe(c))),
        }
        if k.is_some() && found.is_none() {
            target.remove(&entry);
        }
    }
    found.or_else(|| target.values().find(|t| t.2 > 0).map(|t| format!("Postgres holds {} in a row SQLite does not have", t.1)))
}

/// The columns of the target's primary key, as indices into `columns`, if all are compared.
fn key_columns(schema: &str, spec: &TableSpec, columns: &[Compared]) -> Option<Vec<usize>> {
    let relid = crate::pg_columns::relation_oid(schema, &spec.target)?;
    let names: Vec<String> = Spi::connect(|c| {
        let rows = c.select(
            "SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey) \
             WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisprimary ORDER BY a.attnum",
            None,
            &[relid.into()],
        )?;
        rows.map(|r| r.get::<String>(1).map(|n| n.unwrap_or_default())).collect::<Result<Vec<_>, _>>()
    })
    .unwrap_or_else(|e| panic!("reading the primary key of {}: {e}", spec.target));
    if names.is_empty() {
        return None;
    }
    names.iter().map(|n| columns.iter().position(|c| &c.target.name == n)).collect()
}

/// The columns both sides have, in the target's order, with their domains and rules.
fn compared_columns(conn: &SqliteConnection, spec: &TableSpec, target: Vec<PgColumn>, table_options: &[(String, String)], server_options: &[(String, String)]) -> Vec<Compared> {
    let writer_interval = conn.writer().and_then(|w| w.interval_unit()).and_then(crate::fdw::options::IntervalUnit::parse);
    target
        .into_iter()
        .filter(|tc| !tc.generated)
        .filter_map(|tc| {
            let spec_col = spec.columns.iter().find(|c| c.target == tc.name && c.generated.is_none())?;
            let mut conversion = effective_conversion(&spec_col.options, table_options, server_options).or_report();
            if conversion.interval_unit.is_none() && tc.typoid == pg_sys::INTERVALOID {
                conversion.interval_unit = writer_interval;
            }
            let domain = domain_for(tc.typoid, tc.typmod, &conversion);
            let reader = TargetColumn::new(tc.typoid, tc.typmod, conversion.timezone.clone(), conversion.srid);
            Some(Compared { source: spec_col.source.clone(), target: tc, domain, empty_as_null: conversion.empty_as_null, reader })
        })
        .collect()
}

fn server_options(server: &str) -> Vec<(String, String)> {
    let name = CString::new(server).expect("no NUL in a server name");
    unsafe { crate::fdw::nodes::def_elems((*pg_sys::GetForeignServerByName(name.as_ptr(), false)).options) }
}

struct Outcome {
    source_rows: i64,
    target_rows: i64,
    rejected: i64,
    source_sum: Option<String>,
    target_sum: Option<String>,
    matches: bool,
    note: Option<String>,
}

fn source_count(conn: &SqliteConnection, spec: &TableSpec) -> i64 {
    let sql = format!("SELECT count(*) FROM {}", sqlite_ident(&spec.source));
    conn.db().query_row(&sql, [], |r| r.get::<_, i64>(0)).map_err(|e| conn.sqlite_error(&format!("counting \"{}\"", spec.source), &e)).or_report()
}

fn counts_only(conn: &SqliteConnection, schema: &str, spec: &TableSpec) -> Outcome {
    let source_rows = source_count(conn, spec);
    let target_rows = Spi::get_one::<i64>(&format!("SELECT pg_catalog.count(*) FROM {}", qualified(schema, &spec.target))).unwrap_or_else(|e| panic!("{e}")).unwrap_or(0);
    let rejected = Rejected::of(&qualified(schema, &spec.target)).total();
    let matches = source_rows == target_rows + rejected;
    let note = (!matches).then(|| format!("{source_rows} rows in SQLite, {target_rows} in Postgres and {rejected} rejected"));
    Outcome { source_rows, target_rows, rejected, source_sum: None, target_sum: None, matches, note }
}

fn verify_table(conn: &SqliteConnection, schema: &str, spec: &TableSpec, mut columns: Vec<Compared>) -> Outcome {
    let key = key_columns(schema, spec, &columns);
    let rejected = Rejected::of(&qualified(schema, &spec.target));
    let source = read_source(conn, spec, &mut columns, &key, &rejected);
    let target = read_target(schema, spec, &mut columns, &key);
    let mut notes = Vec::new();
    let counts_match = source.rows == target.rows.rows + rejected.total();
    if !counts_match {
        notes.push(format!("{} rows in SQLite, {} in Postgres and {} rejected", source.rows, target.rows.rows, rejected.total()));
    }
    // Rows verify cannot read: rejected ones of a WITHOUT ROWID table have no rowid to
    // leave them out by, so they count against its rejects.
    let unexplained = source.unreadable - rejected.without_rowid;
    if unexplained > 0 {
        notes.push(format!(
            "{unexplained} SQLite rows hold values that are not exactly the target's types and are not filed in liteport.rejects, e.g. {}",
            source.unreadable_example.clone().unwrap_or_default()
        ));
    }
    let mut differing: Vec<usize> = (0..columns.len()).filter(|&c| source.sums.columns[c] != target.columns[c]).collect();
    // Every column's hash includes the row's key: a changed key changes them all, so
    // it is reported once, as rows whose key is on one side only.
    if let Some(k) = key.as_ref().and_then(|k| k.iter().find(|i| differing.contains(i))) {
        differing = vec![*k];
    }
    for &c in differing.iter().take(EXAMPLES_MAX) {
        let b = (0..BUCKETS).find(|&b| source.sums.columns[c][b] != target.columns[c][b]).expect("a differing column has a differing bucket");
        let e = example(conn, schema, spec, &mut columns, &key, &rejected, c, b);
        let what = if key.as_ref().is_some_and(|k| k.contains(&c)) {
            "rows whose key is not on both sides".to_string()
        } else {
            format!("column \"{}\" ({}) holds different values", columns[c].target.name, columns[c].target.pg_type)
        };
        notes.push(format!("{what}{}", e.map_or(String::new(), |e| format!(", e.g. {e}"))));
    }
    if differing.len() > EXAMPLES_MAX {
        notes.push(format!("and {} more columns", differing.len() - EXAMPLES_MAX));
    }
    if differing.is_empty() && counts_match && unexplained <= 0 && source.sums.rows != target.rows {
        notes.push("every column holds the same values, but rows pair them differently".to_string());
    }
    Outcome {
        source_rows: source.rows,
        target_rows: target.rows.rows,
        rejected: rejected.total(),
        source_sum: Some(source.sums.rows.hex()),
        target_sum: Some(target.rows.hex()),
        matches: notes.is_empty(),
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// Compare every migrated table with its SQLite source: rows, rejected rows, and every
/// value, independently of the rules that loaded them (see the module comment). Pass
/// the options given to liteport.migrate (tables, identifier_case, types, timezone);
/// `"checksum": false` compares counts only.
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
        let prepared = prepare(server, target_schema, &options, true, false);
        let server_opts = server_options(server);
        let table_opts: Vec<(String, String)> = prepared.opts.timezone.iter().map(|z| ("timezone".to_string(), z.clone())).collect();
        let mut out = Vec::new();
        for spec in &prepared.specs {
            let target_cols = match crate::pg_columns::relation_oid(target_schema, &spec.target) {
                Some(relid) => crate::pg_columns::relation_columns(relid),
                None => {
                    out.push((spec.target.clone(), source_count(&prepared.conn, spec), None, 0, None, None, false, Some("the target table does not exist".to_string())));
                    continue;
                }
            };
            let outcome = if prepared.opts.checksum {
                let columns = compared_columns(&prepared.conn, spec, target_cols, &table_opts, &server_opts);
                verify_table(&prepared.conn, target_schema, spec, columns)
            } else {
                counts_only(&prepared.conn, target_schema, spec)
            };
            out.push((
                spec.target.clone(),
                outcome.source_rows,
                Some(outcome.target_rows),
                outcome.rejected,
                outcome.source_sum,
                outcome.target_sum,
                outcome.matches,
                outcome.note,
            ));
        }
        TableIterator::new(out)
    })
}
