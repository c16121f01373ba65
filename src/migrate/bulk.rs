//! The bulk load path of liteport.migrate: rows go straight from the SQLite scan into
//! a table this migration created, through the table access method's multi-insert
//! with a bulk-insert state, as COPY FROM does (batches of rows, one WAL record per
//! page, the buffer ring of a bulk write), instead of one executor INSERT per row.
//!
//! The scan is the foreign scan's own (`fdw::scan::ScanState`: the same SQLite
//! statement, conversions, errors naming the row, rejects, read-ahead thread, cancel),
//! writing its values into the target table's slots. Only a table created by this
//! migration takes it — no triggers, indexes, row security or foreign keys exist yet,
//! and its CHECKs come after the load — and only without generated columns (those
//! Postgres computes in the executor); every other load is the ordinary INSERT ...
//! SELECT, and the plan says which.

use super::ddl::TableSpec;
use crate::error::{LiteportError, OrReport};
use crate::fdw::options::effective_conversion;
use crate::fdw::plan::PlanData;
use crate::fdw::scan::ScanState;
use crate::sqlite::connection::SqliteConnection;
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::rc::Rc;

/// Rows per multi-insert, as COPY's buffer (MAX_BUFFERED_TUPLES).
const BATCH_ROWS: usize = 1000;

/// Why a table cannot take the bulk path (None: it can).
pub fn unsuitable(spec: &TableSpec, creating: bool) -> Option<&'static str> {
    if !creating {
        return Some("the target exists: the ordinary INSERT honours its triggers, indexes and constraints");
    }
    if spec.columns.iter().any(|c| c.generated.is_some()) {
        return Some("generated columns are computed by the executor's INSERT");
    }
    None
}

/// Part of a table, by rowid: the rows with after < rowid <= upto in rowid order, at
/// most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Chunk {
    pub after: i64,
    pub upto: i64,
    pub limit: i64,
}

fn qualified_name(schema: &str, table: &str) -> String {
    super::ddl::qualified(schema, table)
}

/// Why writing rows into `rel` with table_multi_insert would not be what an INSERT by
/// the current role does (None: it would be). Checked at every bulk load, so that no
/// caller (liteport.load_next_chunk is public) writes past a privilege, a row security
/// policy, a trigger, an index that would miss the rows, a CHECK or a default.
unsafe fn not_like_insert(rel: pg_sys::Relation, attrs: &[pg_sys::FormData_pg_attribute], loaded: &[String]) -> Option<String> {
    unsafe {
        let relid = (*rel).rd_id;
        let form = &*(*rel).rd_rel;
        if form.relkind as u8 != pg_sys::RELKIND_RELATION {
            return Some("it is not a plain table".into());
        }
        if pg_sys::pg_class_aclcheck(relid, pg_sys::GetUserId(), pg_sys::ACL_INSERT as pg_sys::AclMode) != pg_sys::AclResult::ACLCHECK_OK {
            let name = pg_sys::get_rel_name(relid);
            pg_sys::aclcheck_error(pg_sys::AclResult::ACLCHECK_NO_PRIV, pg_sys::ObjectType::OBJECT_TABLE, name);
        }
        if pg_sys::check_enable_rls(relid, pg_sys::InvalidOid, false) as u32 == pg_sys::CheckEnableRlsResult::RLS_ENABLED {
            return Some("row level security applies to it".into());
        }
        if form.relhastriggers || !(*rel).trigdesc.is_null() {
            return Some("it has triggers (foreign keys among them)".into());
        }
        if form.relhasindex {
            return Some("it has indexes, which multi-insert does not maintain".into());
        }
        let constr = (*(*rel).rd_att).constr;
        if !constr.is_null() && (*constr).num_check > 0 {
            return Some("it has CHECK constraints".into());
        }
        for a in attrs.iter().filter(|a| !a.attisdropped) {
            let name = crate::fdw::nodes::cstr_to_string(a.attname.data.as_ptr());
            if a.attgenerated != 0 {
                return Some(format!("column \"{name}\" is generated, which only the executor's INSERT computes"));
            }
            if !loaded.contains(&name) {
                return Some(format!("column \"{name}\" is not loaded, and only the executor's INSERT fills in its default"));
            }
        }
        None
    }
}

/// COPY FREEZE's rule: rows may be written frozen only into a table created in the
/// current subtransaction, and only when no earlier snapshot is still registered and
/// no portal is open that could read the table (either would see rows it must not).
/// Frozen rows need no later VACUUM to freeze them nor a first read to set hint bits.
unsafe fn may_freeze(rel: pg_sys::Relation) -> bool {
    unsafe {
        if (*rel).rd_createSubid != pg_sys::GetCurrentSubTransactionId() {
            return false;
        }
        pg_sys::InvalidateCatalogSnapshot();
        pg_sys::ThereAreNoPriorRegisteredSnapshots() && pg_sys::ThereAreNoReadyPortals()
    }
}

/// Load `spec` into `schema.target` on the bulk path: (rows inserted, rows rejected).
/// `freeze`: write the rows frozen where COPY FREEZE would (`may_freeze`).
/// Err(DeclaredTypeUnreadable): a value failed one of `spec.deferred_checks` (the rows
/// before it are in the table: the caller rolls them back).
pub fn load(
    conn: &Rc<SqliteConnection>,
    spec: &TableSpec,
    schema: &str,
    table_options: &[(String, String)],
    reject_target: Option<String>,
    freeze: bool,
) -> Result<(i64, i64), LiteportError> {
    let (inserted, _, _) = load_part(conn, spec, schema, table_options, reject_target, None, freeze)?;
    Ok((inserted, 0))
}

/// Load `spec`, or one chunk of it (a table with a rowid): (rows inserted, rows read,
/// the last rowid read).
pub fn load_part(
    conn: &Rc<SqliteConnection>,
    spec: &TableSpec,
    schema: &str,
    table_options: &[(String, String)],
    reject_target: Option<String>,
    chunk: Option<Chunk>,
    freeze: bool,
) -> Result<(i64, i64, Option<i64>), LiteportError> {
    let relid = crate::pg_columns::relation_oid(schema, &spec.target).unwrap_or_else(|| LiteportError::Internal(format!("{} vanished", spec.target)).report());
    let server_options = unsafe {
        let server = pg_sys::GetForeignServerByName(std::ffi::CString::new(conn.options.server_name.as_str()).expect("no NUL").as_ptr(), false);
        crate::fdw::nodes::def_elems((*server).options)
    };
    let writer_interval = conn.writer().and_then(|w| w.interval_unit()).and_then(crate::fdw::options::IntervalUnit::parse);
    unsafe {
        let rel = pg_sys::table_open(relid, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
        let tupdesc = (*rel).rd_att;
        let attrs = crate::pg_compat::tupdesc_attrs(tupdesc);
        let natts = (*tupdesc).natts as usize;
        if let Some(why) = not_like_insert(rel, &attrs, &spec.loaded_columns().map(|c| c.target.clone()).collect::<Vec<_>>()) {
            pg_sys::table_close(rel, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
            LiteportError::InvalidArgument { what: format!("{} cannot take the bulk path: {why}", qualified_name(schema, &spec.target)) }.report();
        }
        let attnum_of = |name: &str| attrs.iter().position(|a| !a.attisdropped && crate::fdw::nodes::cstr_to_string(a.attname.data.as_ptr()) == name).map(|i| i as i32 + 1);
        let mut attnums = Vec::new();
        let mut names = Vec::new();
        let mut conversions = Vec::new();
        for c in spec.loaded_columns() {
            let attnum = attnum_of(&c.target).unwrap_or_else(|| LiteportError::Internal(format!("column {} of {} vanished", c.target, spec.target)).report());
            let mut conversion = effective_conversion(&c.options, table_options, &server_options).or_report();
            if conversion.interval_unit.is_none() && attrs[attnum as usize - 1].atttypid == pg_sys::INTERVALOID {
                conversion.interval_unit = writer_interval;
            }
            attnums.push(attnum);
            names.push(c.source.clone());
            conversions.push(conversion);
        }
        let relation = crate::sqlite::schema::find_relation(conn.db(), &spec.source).ok().flatten();
        let columns = crate::sqlite::schema::columns(conn.db(), &spec.source).unwrap_or_default();
        let rowid = relation.and_then(|r| crate::sqlite::schema::rowid_alias(r.kind, &columns));
        let mut sql = crate::fdw::deparse::select_sql(&spec.source, &names, rowid);
        if let (Some(c), Some(rowid)) = (chunk, rowid) {
            // rowid order is the table's own b-tree order: a range read, no sort
            sql.push_str(&format!(" WHERE {rowid} > {} AND {rowid} <= {} ORDER BY {rowid} LIMIT {}", c.after, c.upto, c.limit));
        }
        let plan = PlanData {
            sql,
            table: spec.source.clone(),
            attnums,
            column_names: names,
            has_rowid: rowid.is_some(),
            conversions,
            reject_target,
            slots: vec![],
            foreign_table: 0,
        };
        let not_null: Vec<(usize, String)> = attrs
            .iter()
            .enumerate()
            .filter(|(_, a)| a.attnotnull && !a.attisdropped)
            .map(|(i, a)| (i, crate::fdw::nodes::cstr_to_string(a.attname.data.as_ptr())))
            .collect();
        let mut scan = ScanState::begin(Rc::clone(conn), &plan, tupdesc).or_report();
        let checks: Vec<_> = plan.column_names.iter().map(|name| spec.deferred_checks.iter().find(|(c, _)| c == name).map(|(_, check)| *check)).collect();
        scan.check_values(&checks);
        let mut unreadable = None;
        let slots: Vec<*mut pg_sys::TupleTableSlot> = (0..BATCH_ROWS).map(|_| pg_sys::table_slot_create(rel, std::ptr::null_mut())).collect();
        let bistate = pg_sys::GetBulkInsertState();
        let cid = pg_sys::GetCurrentCommandId(true);
        let options = pg_sys::TABLE_INSERT_SKIP_FSM as i32 | if freeze && may_freeze(rel) { pg_sys::TABLE_INSERT_FROZEN as i32 } else { 0 };
        let batch_context = pg_sys::AllocSetContextCreateExtended(
            pg_sys::CurrentMemoryContext,
            c"liteport bulk load".as_ptr(),
            pg_sys::ALLOCSET_DEFAULT_MINSIZE as usize,
            pg_sys::ALLOCSET_DEFAULT_INITSIZE as usize,
            pg_sys::ALLOCSET_DEFAULT_MAXSIZE as usize,
        );
        let mut inserted: i64 = 0;
        let mut done = false;
        while !done {
            let old = pg_sys::MemoryContextSwitchTo(batch_context);
            let mut n = 0;
            while n < BATCH_ROWS {
                let slot = slots[n];
                pg_sys::ExecClearTuple(slot);
                match scan.next_row(slot) {
                    Ok(true) => {}
                    Ok(false) => {
                        done = true;
                        break;
                    }
                    Err(e @ LiteportError::DeclaredTypeUnreadable { .. }) => {
                        unreadable = Some(e);
                        done = true;
                        break;
                    }
                    Err(e) => e.report(),
                }
                let isnull = std::slice::from_raw_parts((*slot).tts_isnull, natts);
                if let Some((_, name)) = not_null.iter().find(|(i, _)| isnull[*i]) {
                    pg_sys::MemoryContextSwitchTo(old);
                    // Named like every bad value: server, SQLite table, column and rowid
                    // (SQLite enforces NOT NULL, so this is a damaged file, or a column
                    // the migration declared NOT NULL that SQLite did not).
                    let source_column = spec.loaded_columns().find(|c| &c.target == name).map_or(name.as_str(), |c| c.source.as_str());
                    let row = scan.last_rowid().map_or_else(|| format!("row {}", scan.rows_read()), |r| format!("rowid {r}"));
                    ereport!(
                        ERROR,
                        PgSqlErrorCode::ERRCODE_NOT_NULL_VIOLATION,
                        format!(
                            "liteport server \"{}\", table \"{}\", column \"{source_column}\", {row}: null value in column \"{name}\" of relation \"{}\" violates not-null constraint",
                            conn.options.server_name, spec.source, spec.target
                        )
                    );
                }
                pg_sys::ExecStoreVirtualTuple(slot);
                n += 1;
            }
            if n > 0 {
                pg_sys::table_multi_insert(rel, slots.as_ptr() as *mut *mut pg_sys::TupleTableSlot, n as i32, cid, options, bistate);
                inserted += n as i64;
            }
            for &slot in &slots[..n] {
                pg_sys::ExecClearTuple(slot);
            }
            pg_sys::MemoryContextSwitchTo(old);
            pg_sys::MemoryContextReset(batch_context);
            pgrx::check_for_interrupts!();
        }
        let read = scan.rows_read() as i64;
        let last_rowid = scan.last_rowid();
        scan.finish();
        pg_sys::FreeBulkInsertState(bistate);
        for slot in slots {
            pg_sys::ExecDropSingleTupleTableSlot(slot);
        }
        pg_sys::MemoryContextDelete(batch_context);
        pg_sys::table_close(rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        if let Some(e) = unreadable {
            return Err(e);
        }
        // The next steps (the identity restart, constraints) see the rows.
        pg_sys::CommandCounterIncrement();
        Ok((inserted, read, last_rowid))
    }
}
