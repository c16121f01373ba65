//! The SQLite side: opening files (`connection`) and reading their catalog (`schema`).

pub mod connection;
pub mod schema;
