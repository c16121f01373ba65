//! liteport: SQLite files as PostgreSQL foreign tables.
//!
//! The stages a migration goes through, each in its own module:
//! `sqlite` (open and introspect the file) → `types` (map and convert values) →
//! `fdw` (the foreign-data wrapper Postgres calls) → `admin` (SQL helper functions).

use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

pub mod admin;
pub mod coerce;
pub mod error;
mod pg_tests;
pub mod fdw;
pub mod gucs;
pub mod migrate;
pub mod pg_columns;
pub mod pg_compat;
pub mod profile;
pub mod settings;
pub mod sql_names;
pub mod sqlite;
pub mod subtransaction;
pub mod sync;
pub mod types;
pub mod verify;

pgrx::extension_sql_file!("../sql/liteport_fdw.sql", name = "liteport_fdw", bootstrap);
pgrx::extension_sql_file!("../sql/coerce.sql", name = "coerce", requires = ["liteport_fdw"]);
pgrx::extension_sql_file!("../sql/migrate.sql", name = "migrate", requires = ["liteport_fdw"]);
pgrx::extension_sql_file!("../sql/large_object.sql", name = "large_object", requires = ["liteport_fdw"]);
pgrx::extension_sql_file!("../sql/sync.sql", name = "sync", requires = ["liteport_fdw", sync_run]);
pgrx::extension_sql_file!("../sql/resumable.sql", name = "resumable", requires = ["liteport_fdw", source_chunks, hold_source_state, release_source_state, load_next_chunk, start_load_workers, source_version, plan]);
pgrx::extension_sql_file!("../sql/comments.sql", name = "comments", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    gucs::define();
    fdw::handler::register_callbacks();
}

#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
