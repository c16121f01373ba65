//! liteport.verify: every migrated table compared with its SQLite source, value by
//! value, independently of the rules that loaded it (`function`): the SQLite side read
//! by verify's own parsers (`normal`), the Postgres side from what Postgres stored
//! (`datum`), both hashed (`canon`).

pub mod canon;
pub mod datum;
pub mod function;
pub mod normal;
