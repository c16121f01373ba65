//! liteport's configuration parameters, defined once from `_PG_init`.

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

/// `liteport.read_ahead`: step SQLite on a separate thread during scans. On by
/// default: measured on 2 cores, it takes a third off a wide scan and a quarter off a
/// copy (bench/results.md).
pub static READ_AHEAD: GucSetting<bool> = GucSetting::<bool>::new(true);

/// `liteport.sqlite_memory_limit` (kB): the most memory SQLite may hold in one backend
/// (page caches, sorts, values being read). Superuser-only: it is what keeps a plain
/// role's query from growing a backend without bound.
pub static SQLITE_MEMORY_LIMIT_KB: GucSetting<i32> = GucSetting::<i32>::new(1024 * 1024);

pub fn define() {
    GucRegistry::define_bool_guc(
        c"liteport.read_ahead",
        c"Step SQLite on a separate thread while the backend converts rows.",
        c"A plain thread steps SQLite and copies batches of raw values; conversion and every Postgres call stay on the backend's thread. Scans that fetch no column (count(*)) and rescans read directly.",
        &READ_AHEAD,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"liteport.sqlite_memory_limit",
        c"The most memory SQLite may use in one backend.",
        c"Page caches, sorts (ORDER BY in a SQLite view), and the values being read all count. A statement that needs more fails with SQLSTATE 53200.",
        &SQLITE_MEMORY_LIMIT_KB,
        8 * 1024,
        i32::MAX,
        GucContext::Suset,
        GucFlags::UNIT_KB,
    );
}

/// The limit in bytes.
pub fn sqlite_memory_limit_bytes() -> i64 {
    SQLITE_MEMORY_LIMIT_KB.get() as i64 * 1024
}
