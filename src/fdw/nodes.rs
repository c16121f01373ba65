//! Small helpers over Postgres `List`s and value nodes. Plan state crosses from the
//! planner to the executor only as such nodes (copyable, serializable), never as Rust
//! pointers: a cached plan of a prepared statement outlives any Rust value.

use pgrx::pg_sys;
use std::ffi::{CStr, CString};

/// The cells of a List, as pointers (NIL is an empty list).
pub unsafe fn list_ptrs(list: *mut pg_sys::List) -> Vec<*mut std::ffi::c_void> {
    if list.is_null() {
        return Vec::new();
    }
    let len = unsafe { (*list).length } as usize;
    let cells = unsafe { std::slice::from_raw_parts((*list).elements, len) };
    cells.iter().map(|c| unsafe { c.ptr_value }).collect()
}

/// The cells of an integer List.
pub unsafe fn list_ints(list: *mut pg_sys::List) -> Vec<i32> {
    if list.is_null() {
        return Vec::new();
    }
    let len = unsafe { (*list).length } as usize;
    let cells = unsafe { std::slice::from_raw_parts((*list).elements, len) };
    cells.iter().map(|c| unsafe { c.int_value }).collect()
}

/// A String value node holding a palloc'd copy of `s`.
pub unsafe fn make_string(s: &str) -> *mut std::ffi::c_void {
    let c = CString::new(s).expect("plan strings hold no NUL byte");
    unsafe { pg_sys::makeString(pg_sys::pstrdup(c.as_ptr())) as *mut std::ffi::c_void }
}

/// The text of a String value node.
pub unsafe fn string_value(node: *mut std::ffi::c_void) -> String {
    let s = node as *mut pg_sys::String;
    unsafe { CStr::from_ptr((*s).sval) }.to_string_lossy().into_owned()
}

/// The number of an Integer value node.
pub unsafe fn integer_value(node: *mut std::ffi::c_void) -> i32 {
    unsafe { (*(node as *mut pg_sys::Integer)).ival }
}

/// (name, value) of each DefElem in an options List.
pub unsafe fn def_elems(list: *mut pg_sys::List) -> Vec<(String, String)> {
    unsafe { list_ptrs(list) }
        .into_iter()
        .map(|p| {
            let def = p as *mut pg_sys::DefElem;
            let name = unsafe { CStr::from_ptr((*def).defname) }.to_string_lossy().into_owned();
            let value = unsafe { CStr::from_ptr(pg_sys::defGetString(def)) }.to_string_lossy().into_owned();
            (name, value)
        })
        .collect()
}

/// The value of one option in an options List, if set.
pub unsafe fn option_value(list: *mut pg_sys::List, name: &str) -> Option<String> {
    unsafe { def_elems(list) }.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

pub unsafe fn cstr_to_string(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}
