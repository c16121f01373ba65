//! Whole-database migration: SQLite's catalog → a Postgres schema (`ddl`, `expr`),
//! the ordered steps (`plan`), and the SQL functions liteport.plan and
//! liteport.migrate that show and run them (`function`).

pub mod bulk;
pub mod check;
pub mod ddl;
pub mod expr;
pub mod options;
pub mod plan;
pub mod rejects;
pub mod function;
pub mod names;
pub mod resumable;
