//! Incremental re-sync from a foreign table into a Postgres table (`liteport.sync`):
//! the statements (`statements`, plain and unit-tested) and the SQL function with its
//! lock, state and log (`function`).

pub mod function;
pub mod statements;
