//! Value conversion between SQLite's storage classes and Postgres types.
//!
//! `declared` maps declared column types for IMPORT FOREIGN SCHEMA; `scalar` and
//! `datetime` parse stored values. All of it is plain Rust with unit tests; the FDW
//! layer only wraps the results into Datums.

pub mod datetime;
pub mod array;
pub mod decimal;
pub mod geopackage;
pub mod declared;
pub mod json;
pub mod money;
pub mod scalar;
