//! liteport.verify: row counts and order-independent checksums of every migrated
//! table, on the SQLite side and on the Postgres side (`function`), over one
//! canonical row encoding (`canon`, `datum`).

pub mod canon;
pub mod datum;
pub mod function;
