//! liteport.profile: what each column of a SQLite file really holds, and the type that
//! reads all of it. `stats` counts (one pass per table), `infer` chooses, `function`
//! is the SQL function.

pub mod function;
pub mod infer;
pub mod stats;
pub mod survey;
