//! The SQLite side: opening files and large objects (`connection`, `large_object`),
//! the per-backend cache of open connections and its transaction rules (`cache`),
//! reading their catalog (`schema` for what a scan needs, `catalog` for what a
//! migration needs) and the stored CREATE statements (`sql_text`). Nothing here knows
//! about foreign scans: `fdw` uses this module, never the other way round.

pub mod cache;
pub mod catalog;
pub mod connection;
pub mod file_identity;
pub mod geopackage;
pub mod jsonb;
pub mod large_object;
pub mod readers;
pub mod schema;
pub mod snapshot;
pub mod sql_text;
pub mod statement;
pub mod writer;
