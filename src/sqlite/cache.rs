//! The backend's open SQLite connections, one per (foreign server, role), and what
//! happens to them at transaction and subtransaction boundaries.
//!
//! Keyed by role as well as server because a connection carries its opener's rights:
//! a large object is opened with `lo_open` under the current role's privileges, so a
//! connection opened by one role (say inside a SECURITY DEFINER function) must never
//! serve another role's scan in the same transaction.

use super::connection::{SourceOptions, SqliteConnection};
use super::large_object;
use super::snapshot::SourceState;
use crate::error::Result;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    server: u32,
    role: u32,
}

thread_local! {
    /// A backend is single-threaded; the Rc lets a running scan keep its connection
    /// alive even if the cache drops it (options changed mid-transaction).
    static CONNECTIONS: RefCell<HashMap<Key, Rc<SqliteConnection>>> = RefCell::new(HashMap::new());
    /// Servers whose reads begin at a given state in every transaction, not at the
    /// file's latest (a resumable migration's chunks, its parallel workers), and
    /// whether this backend also holds its read transaction across commits (the
    /// leader does: that keeps the state available to the others).
    static PINNED: RefCell<HashMap<Key, Pin>> = RefCell::new(HashMap::new());
}

#[derive(Debug, Clone)]
struct Pin {
    state: SourceState,
    held: bool,
}

fn current_role() -> u32 {
    unsafe { pgrx::pg_sys::GetUserId() }.to_u32()
}

/// The connection for a server with these options, for the current role, opened or
/// reused, with this transaction's snapshot taken.
pub fn connection_for(server_oid: u32, options: &SourceOptions) -> Result<Rc<SqliteConnection>> {
    // The limit is SQLite's, for the whole backend: a SET since the last use applies now.
    super::connection::apply_memory_limit();
    let key = Key { server: server_oid, role: current_role() };
    let cached = CONNECTIONS.with(|c| c.borrow().get(&key).cloned());
    if let Some(conn) = cached {
        if conn.options == *options {
            // Within a transaction the connection keeps its snapshot (even if the server
            // was altered meanwhile: it closes at the end). At the first use in a new
            // transaction it is reused only if nothing could have made it stale: an
            // immutable open cannot see writers, and a file replaced or written since
            // (`mv new.db app.db`) must be read afresh.
            if conn.in_snapshot() {
                return Ok(conn);
            }
            if !conn.is_stale() && !conn.opened_immutable && !conn.file_changed() {
                begin(&conn, key)?;
                return Ok(conn);
            }
        }
        // Options changed, or stale: a scan still holding the old one keeps its Rc.
        conn.end_snapshot();
        CONNECTIONS.with(|c| c.borrow_mut().remove(&key));
    }
    let conn = Rc::new(SqliteConnection::open(options)?);
    begin(&conn, key)?;
    CONNECTIONS.with(|c| c.borrow_mut().insert(key, Rc::clone(&conn)));
    Ok(conn)
}

/// The read transaction of a new Postgres transaction: at the pinned state, if any.
fn begin(conn: &SqliteConnection, key: Key) -> Result<()> {
    match PINNED.with(|p| p.borrow().get(&key).map(|pin| pin.state.clone())) {
        Some(state) => conn.begin_at(&state),
        None => conn.ensure_snapshot(),
    }
}

/// From now on (until `unpin` or an abort), server `server_oid`'s reads by the current
/// role begin at `state` in every transaction. `hold`: also keep this backend's read
/// transaction open across commits.
pub fn pin(server_oid: u32, state: SourceState, hold: bool) {
    let key = Key { server: server_oid, role: current_role() };
    PINNED.with(|p| p.borrow_mut().insert(key, Pin { state, held: hold }));
}

/// The state server `server_oid` is pinned at for the current role.
pub fn pinned(server_oid: u32) -> Option<SourceState> {
    let key = Key { server: server_oid, role: current_role() };
    PINNED.with(|p| p.borrow().get(&key).map(|pin| pin.state.clone()))
}

/// Reads begin at the file's latest state again (the held read transaction ends with
/// this Postgres transaction).
pub fn unpin(server_oid: u32) {
    let key = Key { server: server_oid, role: current_role() };
    PINNED.with(|p| p.borrow_mut().remove(&key));
}

/// Before commit: a connection that could not hold a snapshot against writers
/// (immutable) must find its file unchanged, or the transaction fails (40001): what it
/// read may mix two states of the file.
pub fn before_commit() -> Result<()> {
    let open: Vec<Rc<SqliteConnection>> = CONNECTIONS.with(|c| c.borrow().values().filter(|c| c.in_snapshot()).cloned().collect());
    for conn in open {
        conn.check_unchanged()?;
    }
    Ok(())
}

/// At commit or abort: end every snapshot (but a held one at commit), and close what
/// became stale (large objects always: their descriptors end with the transaction).
/// An abort also ends every pin: the migration that pinned them has failed.
pub fn end_of_transaction(committed: bool) {
    if !committed {
        PINNED.with(|p| p.borrow_mut().clear());
    }
    let held: Vec<Key> = PINNED.with(|p| p.borrow().iter().filter(|(_, pin)| pin.held).map(|(k, _)| *k).collect());
    CONNECTIONS.with(|c| {
        let mut map = c.borrow_mut();
        for (key, conn) in map.iter() {
            if held.contains(key) && conn.large_object.is_none() && !conn.is_stale() {
                continue;
            }
            conn.end_snapshot();
            if let Some(lo) = &conn.large_object {
                large_object::forget(lo.fd);
            }
        }
        map.retain(|_, conn| !conn.is_stale());
    });
}

/// A subtransaction ended. Postgres closes the large-object descriptors it opened when
/// it aborts (ROLLBACK TO SAVEPOINT) and passes them to the parent when it commits; a
/// connection reading a closed descriptor would read whatever object reuses its number.
pub fn end_of_subtransaction(committed: bool, subtransaction: u32, parent: u32) {
    CONNECTIONS.with(|c| {
        let mut map = c.borrow_mut();
        map.retain(|_, conn| {
            let Some(lo) = &conn.large_object else { return true };
            if lo.subtransaction.get() != subtransaction {
                return true;
            }
            if committed {
                lo.subtransaction.set(parent);
                return true;
            }
            conn.end_snapshot();
            conn.mark_stale();
            large_object::forget(lo.fd);
            false
        });
    });
}

/// A foreign server changed or was dropped (we do not learn which from the hash
/// value cheaply): mark every connection stale, to be closed at transaction end.
/// Reopening is cheap; reading with old options is not acceptable.
pub fn mark_all_stale() {
    CONNECTIONS.with(|c| {
        for conn in c.borrow().values() {
            conn.mark_stale();
        }
    });
}

/// (server name, database, in a snapshot) of every connection the current role has
/// open, for `liteport.connections()`.
pub fn open_connections() -> Vec<(String, String, bool)> {
    let role = current_role();
    CONNECTIONS.with(|c| {
        let mut v: Vec<_> = c
            .borrow()
            .iter()
            .filter(|(k, _)| k.role == role)
            .map(|(_, conn)| (conn.options.server_name.clone(), conn.options.describe(), conn.in_snapshot()))
            .collect();
        v.sort();
        v
    })
}

/// Close every connection (used by `liteport.disconnect()`), ending snapshots first.
/// Connections a running statement still holds close when it lets them go.
pub fn close_all() -> usize {
    PINNED.with(|p| p.borrow_mut().values_mut().for_each(|pin| pin.held = false));
    CONNECTIONS.with(|c| {
        let mut map = c.borrow_mut();
        for conn in map.values() {
            conn.end_snapshot();
        }
        let n = map.len();
        map.clear();
        n
    })
}
