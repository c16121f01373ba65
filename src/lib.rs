//! liteport: SQLite files as PostgreSQL foreign tables.
//!
//! The stages a migration goes through, each in its own module:
//! `sqlite` (open and introspect the file) → `types` (map and convert values) →
//! `fdw` (the foreign-data wrapper Postgres calls) → later `migrate`, `verify`, `sync`.

::pgrx::pg_module_magic!(name, version);

pub mod error;
pub mod types;

#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
