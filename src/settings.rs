//! No conversion may depend on a session setting: the same SQLite value must become
//! the same Postgres value whatever TimeZone, DateStyle, IntervalStyle or
//! extra_float_digits the session has. Two tools for that:
//!
//! - `with_fixed_settings(f)`: what a function's `SET` clauses do, for the whole
//!   body of an SQL-callable function (migrate, verify, sync, plan, profile): the
//!   settings are pinned at a new GUC nesting level and restored when `f` returns, or
//!   by transaction/subtransaction abort if it raises. Everything it runs through SPI
//!   reads and renders values the same way in every session.
//! - `FixedFormat`: a cheap guard for one value inside a scan (a type's own input or
//!   output function called per row), which sets the few C variables those functions
//!   read and puts them back on drop — even when the call raises, since an ERROR
//!   unwinds through Rust frames.

use pgrx::pg_sys;
use std::ffi::CString;

/// The settings every liteport function runs with (search_path is pinned separately,
/// in each function's definition).
const FIXED: &[(&str, &str)] = &[
    ("DateStyle", "ISO, YMD"),
    ("IntervalStyle", "postgres"),
    // Shortest text that reads back to the same float (Postgres 12+ for any value > 0).
    ("extra_float_digits", "1"),
    ("TimeZone", "UTC"),
];
// lc_monetary is not pinned: liteport reads money itself, and whether a money integer
// means cents is the caller's lc_monetary (convert.rs refuses one that does not).

/// Run `f` with FIXED in force, restoring the caller's settings afterwards.
pub fn with_fixed_settings<T>(f: impl FnOnce() -> T) -> T {
    with_settings(FIXED, f)
}

/// Run `f` with `settings` in force (as a function's SET clauses), restoring the
/// caller's afterwards; an ERROR restores them through the (sub)transaction's abort.
pub fn with_settings<T>(settings: &[(&str, &str)], f: impl FnOnce() -> T) -> T {
    let nest = unsafe { pg_sys::NewGUCNestLevel() };
    for (name, value) in settings {
        let (name, value) = (CString::new(*name).expect("no NUL"), CString::new(*value).expect("no NUL"));
        unsafe {
            pg_sys::set_config_option(
                name.as_ptr(),
                value.as_ptr(),
                pg_sys::GucContext::PGC_USERSET,
                pg_sys::GucSource::PGC_S_SESSION,
                pg_sys::GucAction::GUC_ACTION_SAVE,
                true,
                pg_sys::PGERROR as i32,
                false,
            );
        }
    }
    let result = f();
    unsafe { pg_sys::AtEOXact_GUC(true, nest) };
    result
}

thread_local! {
    static UTC: std::cell::Cell<*mut pg_sys::pg_tz> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

fn utc() -> *mut pg_sys::pg_tz {
    UTC.with(|u| {
        if u.get().is_null() {
            u.set(unsafe { pg_sys::pg_tzset(c"UTC".as_ptr()) });
        }
        u.get()
    })
}

/// While alive: ISO dates in year-month-day order, Postgres interval style, shortest
/// exact floats, UTC — as read by Postgres's datetime, interval and float input and
/// output functions. Restored on drop.
pub struct FixedFormat {
    date_style: i32,
    date_order: i32,
    interval_style: i32,
    float_digits: i32,
    zone: *mut pg_sys::pg_tz,
}

impl FixedFormat {
    pub fn new() -> FixedFormat {
        let zone = utc();
        unsafe {
            let saved = FixedFormat {
                date_style: pg_sys::DateStyle,
                date_order: pg_sys::DateOrder,
                interval_style: pg_sys::IntervalStyle,
                float_digits: pg_sys::extra_float_digits,
                zone: pg_sys::session_timezone,
            };
            pg_sys::DateStyle = pg_sys::USE_ISO_DATES as i32;
            pg_sys::DateOrder = pg_sys::DATEORDER_YMD as i32;
            pg_sys::IntervalStyle = pg_sys::INTSTYLE_POSTGRES as i32;
            pg_sys::extra_float_digits = 1;
            if !zone.is_null() {
                pg_sys::session_timezone = zone;
            }
            saved
        }
    }
}

impl Default for FixedFormat {
    fn default() -> Self {
        FixedFormat::new()
    }
}

impl Drop for FixedFormat {
    fn drop(&mut self) {
        unsafe {
            pg_sys::DateStyle = self.date_style;
            pg_sys::DateOrder = self.date_order;
            pg_sys::IntervalStyle = self.interval_style;
            pg_sys::extra_float_digits = self.float_digits;
            pg_sys::session_timezone = self.zone;
        }
    }
}
