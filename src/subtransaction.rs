//! Running a piece of work in a subtransaction, like PL/pgSQL's BEGIN ... EXCEPTION:
//! on an ERROR only that work is rolled back, and the caller gets the SQLSTATE and
//! message to report (a constraint migrate could not create, a sync that failed and
//! must still be logged, a value a type's input function refused in reject mode).
//! This is the only way liteport catches a Postgres ERROR and goes on.

use pgrx::pg_sys;
use pgrx::pg_sys::errcodes::PgSqlErrorCode;
use pgrx::PgTryBuilder;

/// Run `f` in a subtransaction. Ok: committed into the current transaction.
/// Err((sqlstate, message)): rolled back, the current transaction goes on.
pub fn run<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> Result<T, (String, String)> {
    run_catching(f).map_err(|(code, message)| (crate::migrate::rejects::sqlstate_text(code), message))
}

/// `run`, with the error's code as Postgres gives it.
pub fn run_catching<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> Result<T, (PgSqlErrorCode, String)> {
    within(f, |_| true).map_err(|e| match e {
        pg_sys::panic::CaughtError::PostgresError(r) | pg_sys::panic::CaughtError::ErrorReport(r) => (r.sql_error_code(), r.message().to_string()),
        pg_sys::panic::CaughtError::RustPanic { ereport, .. } => (PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, ereport.message().to_string()),
    })
}

/// Run `f` in a subtransaction that is kept (released into the current transaction)
/// when `f` returns Some and rolled back when it returns None: work to try and redo
/// otherwise. An ERROR inside rolls it back too and is raised again as it was
/// (SQLSTATE, message, detail, hint, context).
pub fn attempt<T>(f: impl FnOnce() -> Option<T>) -> Option<T> {
    // Nothing `f` touched is used after an ERROR: it is raised again at once.
    within(std::panic::AssertUnwindSafe(f), Option::is_some).unwrap_or_else(|caught| caught.rethrow())
}

/// The one place a subtransaction begins and ends: `f` runs in it; it is released
/// into the current transaction when `f` returns a value `keep` accepts, and rolled
/// back when `keep` refuses it or `f` raises an ERROR (returned, caught).
fn within<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe, keep: impl FnOnce(&T) -> bool) -> Result<T, pg_sys::panic::CaughtError> {
    unsafe {
        // Allocations of `f` outlive the subtransaction: they belong to the caller's context.
        let context = pg_sys::CurrentMemoryContext;
        let owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(context);
        let result = PgTryBuilder::new(move || Ok(f())).catch_others(Err).execute();
        match &result {
            Ok(value) if keep(value) => pg_sys::ReleaseCurrentSubTransaction(),
            _ => pg_sys::RollbackAndReleaseCurrentSubTransaction(),
        }
        pg_sys::MemoryContextSwitchTo(context);
        pg_sys::CurrentResourceOwner = owner;
        result
    }
}
