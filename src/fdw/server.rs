//! A foreign server looked up by name for liteport's SQL functions, with the same
//! privilege check Postgres applies to CREATE FOREIGN TABLE: USAGE on the server.

use super::plan::server_source;
use crate::error::OrReport;
use crate::sqlite::connection::{connection_for, SqliteConnection};
use pgrx::pg_sys;
use std::ffi::CString;
use std::rc::Rc;

/// The open SQLite source of server `name`, inside this transaction's snapshot.
pub fn open_server(name: &str) -> Rc<SqliteConnection> {
    let c_name = CString::new(name).expect("a server name holds no NUL byte");
    unsafe {
        let server = pg_sys::GetForeignServerByName(c_name.as_ptr(), false);
        let oid = (*server).serverid;
        let fdw = pg_sys::GetForeignDataWrapper((*server).fdwid);
        let handler = super::nodes::cstr_to_string(pg_sys::get_func_name((*fdw).fdwhandler));
        if handler != "liteport_fdw_handler" {
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
        let source = server_source(oid).or_report();
        connection_for(oid.to_u32(), &source).or_report()
    }
}
