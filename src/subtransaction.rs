//! Running a piece of work in a subtransaction, like PL/pgSQL's BEGIN ... EXCEPTION:
//! on an ERROR only that work is rolled back, and the caller gets the SQLSTATE and
//! message to report (a constraint migrate could not create, a sync that failed and
//! must still be logged).

use pgrx::pg_sys;
use pgrx::PgTryBuilder;

/// Run `f` in a subtransaction. Ok: committed into the current transaction.
/// Err((sqlstate, message)): rolled back, the current transaction goes on.
pub fn run<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> Result<T, (String, String)> {
    unsafe {
        let context = pg_sys::CurrentMemoryContext;
        let owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(context);
        let result = PgTryBuilder::new(move || Ok(f()))
            .catch_others(|e| match e {
                pg_sys::panic::CaughtError::PostgresError(r) | pg_sys::panic::CaughtError::ErrorReport(r) => {
                    Err((crate::migrate::rejects::sqlstate_text(r.sql_error_code()), r.message().to_string()))
                }
                pg_sys::panic::CaughtError::RustPanic { ereport, .. } => Err(("XX000".into(), ereport.message().to_string())),
            })
            .execute();
        match result {
            Ok(_) => pg_sys::ReleaseCurrentSubTransaction(),
            Err(_) => pg_sys::RollbackAndReleaseCurrentSubTransaction(),
        }
        pg_sys::MemoryContextSwitchTo(context);
        pg_sys::CurrentResourceOwner = owner;
        result
    }
}
