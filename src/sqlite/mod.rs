//! The SQLite side: opening files (`connection`), reading their catalog (`schema` for
//! what a scan needs, `catalog` for what a migration needs) and the stored CREATE
//! statements (`sql_text`).

pub mod catalog;
pub mod connection;
pub mod schema;
pub mod sql_text;
