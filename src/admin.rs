//! Small SQL functions for looking at and managing liteport's connections.

use crate::sqlite::connection;
use pgrx::prelude::*;

/// The SQLite files this backend has open, one row per foreign server, as
/// postgres_fdw_get_connections() does for remote servers.
#[pg_extern]
fn connections() -> TableIterator<'static, (name!(server_name, String), name!(database, String), name!(in_transaction, bool))> {
    TableIterator::new(connection::open_connections())
}

/// Close every SQLite file this backend has open; returns how many were closed.
/// They reopen on next use.
#[pg_extern(volatile)]
fn disconnect() -> i32 {
    connection::close_all() as i32
}
