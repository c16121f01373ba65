//! The entry points Postgres calls: the handler returning the FdwRoutine, the option
//! validator, the executor callbacks, and the transaction hooks. Each is a thin
//! `extern "C-unwind"` shim that hands over to safe Rust at once; `#[pg_guard]` turns
//! any Rust panic into a Postgres ERROR, so nothing unwinds into C.

use super::import::import_foreign_schema;
use super::nodes::*;
use super::options::{validate, OptionContext};
use super::plan::{get_foreign_paths, get_foreign_plan, get_foreign_rel_size, ForeignTarget, PlanData};
use super::scan::ScanState;
use crate::error::{LiteportError, OrReport};
use crate::sqlite::cache as connection;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgMemoryContexts;
use std::ffi::CString;

#[no_mangle]
pub extern "C" fn pg_finfo_liteport_fdw_handler() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

/// `liteport_fdw_handler() RETURNS fdw_handler`: the table of callbacks.
#[no_mangle]
#[pg_guard]
pub unsafe extern "C-unwind" fn liteport_fdw_handler(_fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    unsafe {
        let mut routine = pgrx::PgBox::<pg_sys::FdwRoutine>::alloc_node(pg_sys::NodeTag::T_FdwRoutine);
        routine.GetForeignRelSize = Some(get_foreign_rel_size);
        routine.GetForeignPaths = Some(get_foreign_paths);
        routine.GetForeignPlan = Some(get_foreign_plan);
        routine.GetForeignUpperPaths = Some(super::plan::get_foreign_upper_paths);
        routine.BeginForeignScan = Some(begin_foreign_scan);
        routine.IterateForeignScan = Some(iterate_foreign_scan);
        routine.ReScanForeignScan = Some(rescan_foreign_scan);
        routine.EndForeignScan = Some(end_foreign_scan);
        routine.ExplainForeignScan = Some(explain_foreign_scan);
        routine.ImportForeignSchema = Some(import_foreign_schema);
        routine.AnalyzeForeignTable = Some(super::analyze::analyze_foreign_table);
        pg_sys::Datum::from(routine.into_pg())
    }
}

#[no_mangle]
pub extern "C" fn pg_finfo_liteport_fdw_validator() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

/// `liteport_fdw_validator(text[], oid)`: checks every option list of the wrapper,
/// its servers, user mappings, foreign tables and columns.
#[no_mangle]
#[pg_guard]
pub unsafe extern "C-unwind" fn liteport_fdw_validator(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    unsafe {
        let args = (*fcinfo).args.as_slice(2);
        let options = def_elems(pg_sys::untransformRelOptions(args[0].value));
        let catalog = pg_sys::Oid::from(args[1].value.value() as u32);
        let context = match catalog {
            pg_sys::ForeignDataWrapperRelationId => OptionContext::Wrapper,
            pg_sys::ForeignServerRelationId => OptionContext::Server,
            pg_sys::UserMappingRelationId => OptionContext::UserMapping,
            pg_sys::ForeignTableRelationId => OptionContext::ForeignTable,
            pg_sys::AttributeRelationId => OptionContext::Column,
            other => LiteportError::Internal(format!("options for unexpected catalog {other:?}")).report(),
        };
        validate(context, &options).or_report();
        if let Some((_, zone)) = options.iter().find(|(k, _)| k == "timezone") {
            check_time_zone(zone);
        }
        // As file_fdw: naming a file on the server reads it with the server's rights,
        // so only superusers and pg_read_server_files members may set the path.
        if context == OptionContext::Server && options.iter().any(|(k, _)| k == "database") {
            let allowed = pg_sys::superuser()
                || pg_sys::has_privs_of_role(pg_sys::GetUserId(), pg_sys::Oid::from(pg_sys::ROLE_PG_READ_SERVER_FILES));
            if !allowed {
                LiteportError::PermissionDenied {
                    what: "to set the \"database\" option of a liteport server".into(),
                    hint: "Only superusers and members of pg_read_server_files may point a server at a file on the database server.".into(),
                }
                .report();
            }
        }
        pg_sys::Datum::from(0)
    }
}

/// A `timezone` column option must be a zone Postgres knows (as `AT TIME ZONE` takes it).
unsafe fn check_time_zone(zone: &str) {
    let known = super::convert::zone_is_known(zone);
    if !known {
        LiteportError::InvalidOptionValue { name: "timezone".into(), reason: format!("\"{zone}\" is not a time zone Postgres knows") }.report();
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn begin_foreign_scan(node: *mut pg_sys::ForeignScanState, eflags: std::ffi::c_int) {
    unsafe {
        if eflags & pg_sys::EXEC_FLAG_EXPLAIN_ONLY as i32 != 0 {
            return;
        }
        let plan = (*node).ss.ps.plan as *mut pg_sys::ForeignScan;
        let data = PlanData::from_list((*plan).fdw_private);
        let rel = (*node).ss.ss_currentRelation;
        // A pushed-down aggregate has no scan relation: its tuple is the aggregates.
        let (table, tupdesc) = if rel.is_null() {
            (pg_sys::Oid::from(data.foreign_table), (*(*node).ss.ss_ScanTupleSlot).tts_tupleDescriptor)
        } else {
            ((*rel).rd_id, (*rel).rd_att)
        };
        let target = ForeignTarget::load(table).or_report();
        let conn = target.connect().or_report();
        let mut state = ScanState::begin(conn, &data, tupdesc).or_report();
        let exprs = list_ptrs((*plan).fdw_exprs);
        let params: Vec<_> = exprs
            .iter()
            .map(|e| (pg_sys::ExecInitExpr(*e as *mut pg_sys::Expr, node as *mut pg_sys::PlanState), pg_sys::exprType(*e as *mut pg_sys::Node)))
            .collect();
        state.set_params(params, (*node).ss.ps.ps_ExprContext);
        // The query's memory context owns the state: it is dropped with the executor
        // state, after EndForeignScan or after an ERROR anywhere in the query.
        let estate = (*node).ss.ps.state;
        let ptr = PgMemoryContexts::For((*estate).es_query_cxt).leak_and_drop_on_delete(state);
        (*node).fdw_state = ptr as *mut std::ffi::c_void;
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn iterate_foreign_scan(node: *mut pg_sys::ForeignScanState) -> *mut pg_sys::TupleTableSlot {
    unsafe {
        let slot = (*node).ss.ss_ScanTupleSlot;
        // ExecClearTuple and ExecStoreVirtualTuple, spelled out: both are a few field
        // updates, and going through pgrx's guarded FFI costs more than they do, per row.
        if let Some(clear) = (*(*slot).tts_ops).clear {
            clear(slot);
        }
        pgrx::check_for_interrupts!();
        let state = (*node).fdw_state as *mut ScanState;
        if state.is_null() {
            return slot;
        }
        if (*state).next_row(slot).or_report() {
            (*slot).tts_flags &= !(pg_sys::TTS_FLAG_EMPTY as u16);
            (*slot).tts_nvalid = (*(*slot).tts_tupleDescriptor).natts as pg_sys::AttrNumber;
        }
        slot
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn rescan_foreign_scan(node: *mut pg_sys::ForeignScanState) {
    unsafe {
        let state = (*node).fdw_state as *mut ScanState;
        if !state.is_null() {
            (*state).rewind();
        }
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn end_foreign_scan(node: *mut pg_sys::ForeignScanState) {
    unsafe {
        let state = (*node).fdw_state as *mut ScanState;
        if !state.is_null() {
            (*state).finish();
        }
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn explain_foreign_scan(node: *mut pg_sys::ForeignScanState, es: *mut pg_sys::ExplainState) {
    unsafe {
        if !(*es).verbose {
            return;
        }
        let plan = (*node).ss.ps.plan as *mut pg_sys::ForeignScan;
        let data = PlanData::from_list((*plan).fdw_private);
        let sql = CString::new(data.sql).expect("SQL holds no NUL byte");
        pg_sys::ExplainPropertyText(c"SQLite query".as_ptr(), sql.as_ptr(), es);
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn on_transaction_event(event: pg_sys::XactEvent::Type, _arg: *mut std::ffi::c_void) {
    use pg_sys::XactEvent::*;
    match event {
        // Still inside the transaction: an ERROR here aborts it.
        XACT_EVENT_PRE_COMMIT | XACT_EVENT_PARALLEL_PRE_COMMIT | XACT_EVENT_PRE_PREPARE => connection::before_commit().or_report(),
        XACT_EVENT_COMMIT | XACT_EVENT_PARALLEL_COMMIT | XACT_EVENT_PREPARE => connection::end_of_transaction(true),
        XACT_EVENT_ABORT | XACT_EVENT_PARALLEL_ABORT => connection::end_of_transaction(false),
        _ => {}
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn on_subtransaction_event(
    event: pg_sys::SubXactEvent::Type,
    subtransaction: pg_sys::SubTransactionId,
    parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    use pg_sys::SubXactEvent::*;
    match event {
        SUBXACT_EVENT_COMMIT_SUB => connection::end_of_subtransaction(true, subtransaction, parent),
        SUBXACT_EVENT_ABORT_SUB => connection::end_of_subtransaction(false, subtransaction, parent),
        _ => {}
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn on_server_change(_arg: pg_sys::Datum, _cacheid: std::ffi::c_int, _hashvalue: u32) {
    connection::mark_all_stale();
}

/// Called once from `_PG_init`.
pub fn register_callbacks() {
    unsafe {
        pg_sys::RegisterXactCallback(Some(on_transaction_event), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(on_subtransaction_event), std::ptr::null_mut());
        pg_sys::CacheRegisterSyscacheCallback(pg_sys::SysCacheIdentifier::FOREIGNSERVEROID as i32, Some(on_server_change), pg_sys::Datum::from(0));
    }
}
