//! The foreign-data wrapper: what Postgres calls, and the plan/scan/import logic
//! behind it. Unsafe FFI stays in this module; the logic it calls is plain Rust.

pub mod analyze;
pub mod convert;
pub mod deparse;
pub mod handler;
pub mod import;
pub mod import_sql;
pub mod large_object;
pub mod nodes;
pub mod options;
pub mod plan;
pub mod pushdown;
pub mod read_ahead;
pub mod scan;
pub mod server;
