//! The foreign-data wrapper: what Postgres calls, and the plan/scan/import logic
//! behind it. The `extern "C"` callbacks are thin shims in `handler`, `plan`,
//! `import` and `analyze`; the logic they call is plain Rust.

pub mod analyze;
pub mod convert;
pub mod deparse;
pub mod handler;
pub mod import;
pub mod import_sql;
pub mod nodes;
pub mod options;
pub mod plan;
pub mod pushdown;
pub mod qual;
pub mod read_ahead;
pub mod scan;
pub mod server;
