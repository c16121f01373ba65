//! A foreign server looked up by name for liteport's SQL functions, with the same
//! privilege check Postgres applies to CREATE FOREIGN TABLE: USAGE on the server.

use super::plan::server_source;
use crate::error::OrReport;
use crate::sqlite::cache::connection_for;
use crate::sqlite::connection::SqliteConnection;
use pgrx::pg_sys;
use std::ffi::CString;
use std::rc::Rc;

/// The open SQLite source of server `name`, inside this transaction's snapshot.
pub fn open_server(name: &str) -> Rc<SqliteConnection> {
    try_open_server(name).or_report()
}

/// Server `name`, checked (a liteport server; USAGE for the current role: an ERROR
/// otherwise), and its source opened: Err when the file cannot be read as SQLite.
pub fn try_open_server(name: &str) -> crate::error::Result<Rc<SqliteConnection>> {
    let c_name = CString::new(name).expect("a server name holds no NUL byte");
    unsafe {
        let server = pg_sys::GetForeignServerByName(c_name.as_ptr(), false);
        let oid = (*server).serverid;
        let fdw = pg_sys::GetForeignDataWrapper((*server).fdwid);
        // The wrapper's handler must be liteport's own function, by schema and name
        // (a wrapper of another extension could have a function of the same name).
        let handler = super::nodes::cstr_to_string(pg_sys::get_func_name((*fdw).fdwhandler));
        let handler_schema = super::nodes::cstr_to_string(pg_sys::get_namespace_name(pg_sys::get_func_namespace((*fdw).fdwhandler)));
        if handler != "liteport_fdw_handler" || handler_schema != "liteport" {
            pgrx::ereport!(
                ERROR,
                pgrx::PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
                format!("server \"{name}\" is not a liteport server")
            );
        }
        let result = crate::pg_compat::foreign_server_usage(oid);
        if result != pg_sys::AclResult::ACLCHECK_OK {
            pg_sys::aclcheck_error(result, pg_sys::ObjectType::OBJECT_FOREIGN_SERVER, c_name.as_ptr());
        }
        let source = server_source(oid)?;
        connection_for(oid.to_u32(), &source)
    }
}
