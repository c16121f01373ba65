//! The SQL entry points of the coercion helpers, as plain V1 C functions declared in
//! `sql/coerce.sql`: each exists strict (`liteport.to_date`: a bad value is an ERROR
//! naming it) and lenient (`liteport.try_to_date`: a bad value is NULL). Being C
//! functions they return any type's Datum directly (numeric, jsonb, uuid) with no
//! detour through Rust values, and cost one parse per call.

use crate::error::{shorten_bytes_for_message, shorten_for_message, ConversionKind, ValueError};
use crate::fdw::convert::{json_from_text, naive_to_timestamptz, numeric_from_literal, uuid_datum};
use crate::types::datetime::EpochUnit;
use crate::types::scalar;
use pgrx::pg_sys::{self, Datum};
use pgrx::prelude::*;

const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };

/// A value that does not coerce: the input (for the message) and why.
struct Invalid {
    input: String,
    error: ValueError,
}

type Outcome = Result<Datum, Invalid>;

/// The bytes of text or bytea argument `i` (detoasted; borrowed for this call).
unsafe fn arg_bytes<'a>(fcinfo: pg_sys::FunctionCallInfo, i: usize) -> &'a [u8] {
    unsafe {
        let nargs = (*fcinfo).nargs as usize;
        let datum = (*fcinfo).args.as_slice(nargs)[i].value;
        let ptr = pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr());
        pgrx::varlena::varlena_to_byte_slice(ptr)
    }
}

fn describe(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => shorten_for_message(s),
        Err(_) => shorten_bytes_for_message(bytes),
    }
}

/// Argument 0 as text, or the Invalid that says it is not readable text.
unsafe fn text_arg<'a>(fcinfo: pg_sys::FunctionCallInfo) -> Result<&'a str, Invalid> {
    let bytes = unsafe { arg_bytes(fcinfo, 0) };
    std::str::from_utf8(bytes).map_err(|_| Invalid {
        input: describe(bytes),
        error: ValueError::new(ConversionKind::BadEncoding, "not valid UTF-8"),
    })
}

/// Argument 1, the epoch unit; a bad unit is a usage error, even in the lenient form.
unsafe fn unit_arg(fcinfo: pg_sys::FunctionCallInfo) -> EpochUnit {
    if unsafe { (*fcinfo).nargs } < 2 {
        return EpochUnit::Auto;
    }
    let bytes = unsafe { arg_bytes(fcinfo, 1) };
    let name = String::from_utf8_lossy(bytes);
    EpochUnit::parse(&name).unwrap_or_else(|| {
        pgrx::pg_sys::panic::ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("liteport: \"{name}\" is not an epoch unit"),
            "liteport",
        )
        .set_hint(format!("Use {}.", EpochUnit::NAMES))
        .report(PgLogLevel::ERROR);
        unreachable!("an ERROR does not return")
    })
}

fn invalid(text: &str, error: ValueError) -> Invalid {
    Invalid { input: shorten_for_message(text), error }
}

/// Strict: raise the ERROR; lenient: return NULL.
unsafe fn finish(fcinfo: pg_sys::FunctionCallInfo, function: &str, outcome: Outcome, lenient: bool) -> Datum {
    match outcome {
        Ok(d) => d,
        Err(_) if lenient => unsafe {
            (*fcinfo).isnull = true;
            Datum::from(0)
        },
        Err(Invalid { input, error }) => {
            pgrx::pg_sys::panic::ErrorReport::new(
                error.kind.sqlstate(),
                format!("liteport.{function}: invalid value {input}: {}", error.reason),
                "liteport",
            )
            .set_hint(format!("liteport.try_{function} returns NULL for such values instead."))
            .report(PgLogLevel::ERROR);
            unreachable!("an ERROR does not return")
        }
    }
}

/// Generate the strict and the lenient entry point (and their V1 info records) of
/// one coercion.
macro_rules! coercion {
    ($function:literal, $body:ident, $strict:ident, $strict_info:ident, $lenient:ident, $lenient_info:ident) => {
        #[no_mangle]
        pub extern "C" fn $strict_info() -> &'static pg_sys::Pg_finfo_record {
            &V1
        }
        #[no_mangle]
        pub extern "C" fn $lenient_info() -> &'static pg_sys::Pg_finfo_record {
            &V1
        }
        #[no_mangle]
        #[pg_guard]
        pub unsafe extern "C-unwind" fn $strict(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
            unsafe { finish(fcinfo, $function, $body(fcinfo, false), false) }
        }
        #[no_mangle]
        #[pg_guard]
        pub unsafe extern "C-unwind" fn $lenient(fcinfo: pg_sys::FunctionCallInfo) -> Datum {
            unsafe { finish(fcinfo, $function, $body(fcinfo, true), true) }
        }
    };
}

unsafe fn boolean(fcinfo: pg_sys::FunctionCallInfo, _lenient: bool) -> Outcome {
    let text = unsafe { text_arg(fcinfo) }?;
    scalar::parse_bool(text).map(Datum::from).map_err(|e| invalid(text, e))
}

unsafe fn bigint(fcinfo: pg_sys::FunctionCallInfo, _lenient: bool) -> Outcome {
    let text = unsafe { text_arg(fcinfo) }?;
    super::bigint(text).map(Datum::from).map_err(|e| invalid(text, e))
}

unsafe fn numeric(fcinfo: pg_sys::FunctionCallInfo, _lenient: bool) -> Outcome {
    let text = unsafe { text_arg(fcinfo) }?;
    unsafe { numeric_from_literal(text, -1) }.map_err(|e| invalid(text, e))
}

unsafe fn timestamp(fcinfo: pg_sys::FunctionCallInfo, _lenient: bool) -> Outcome {
    let unit = unsafe { unit_arg(fcinfo) };
    let text = unsafe { text_arg(fcinfo) }?;
    super::timestamp(text, unit).map(Datum::from).map_err(|e| invalid(text, e))
}

unsafe fn timestamptz(fcinfo: pg_sys::FunctionCallInfo, _lenient: bool) -> Outcome {
    let unit = unsafe { unit_arg(fcinfo) };
    let text = unsafe { text_arg(fcinfo) }?;
    match super::moment(text, unit).map_err(|e| invalid(text, e))? {
        super::Moment::Epoch(us) => Ok(Datum::from(us)),
        super::Moment::Iso(ts) => match ts.utc_usecs() {
            Some(utc) => crate::types::datetime::check_timestamp_range(utc).map(Datum::from).map_err(|e| invalid(text, e)),
            // Naive text is UTC, as SQLite's date functions mean it: never the session's
            // TimeZone (for another zone: to_timestamp(x) AT TIME ZONE 'zone').
            None => unsafe { naive_to_timestamptz(ts.local_usecs, None) }.map_err(|e| invalid(text, e)),
        },
    }
}

unsafe fn date(fcinfo: pg_sys::FunctionCallInfo, _lenient: bool) -> Outcome {
    let unit = unsafe { unit_arg(fcinfo) };
    let text = unsafe { text_arg(fcinfo) }?;
    super::date(text, unit).map(Datum::from).map_err(|e| invalid(text, e))
}

unsafe fn uuid_text(fcinfo: pg_sys::FunctionCallInfo, _lenient: bool) -> Outcome {
    let text = unsafe { text_arg(fcinfo) }?;
    scalar::parse_uuid_text(text).map(|b| unsafe { uuid_datum(b) }).map_err(|e| invalid(text, e))
}

unsafe fn uuid_bytes(fcinfo: pg_sys::FunctionCallInfo, _lenient: bool) -> Outcome {
    let bytes = unsafe { arg_bytes(fcinfo, 0) };
    scalar::uuid_from_blob(bytes).map(|b| unsafe { uuid_datum(b) }).map_err(|error| Invalid { input: describe(bytes), error })
}

/// `protect`: the lenient form goes on after an error.
unsafe fn jsonb(fcinfo: pg_sys::FunctionCallInfo, protect: bool) -> Outcome {
    let text = unsafe { text_arg(fcinfo) }?;
    unsafe { json_from_text(text, true, protect) }.map_err(|e| invalid(text, e))
}

coercion!("to_boolean", boolean, liteport_to_boolean, pg_finfo_liteport_to_boolean, liteport_try_to_boolean, pg_finfo_liteport_try_to_boolean);
coercion!("to_bigint", bigint, liteport_to_bigint, pg_finfo_liteport_to_bigint, liteport_try_to_bigint, pg_finfo_liteport_try_to_bigint);
coercion!("to_numeric", numeric, liteport_to_numeric, pg_finfo_liteport_to_numeric, liteport_try_to_numeric, pg_finfo_liteport_try_to_numeric);
coercion!("to_timestamp", timestamp, liteport_to_timestamp, pg_finfo_liteport_to_timestamp, liteport_try_to_timestamp, pg_finfo_liteport_try_to_timestamp);
coercion!(
    "to_timestamptz",
    timestamptz,
    liteport_to_timestamptz,
    pg_finfo_liteport_to_timestamptz,
    liteport_try_to_timestamptz,
    pg_finfo_liteport_try_to_timestamptz
);
coercion!("to_date", date, liteport_to_date, pg_finfo_liteport_to_date, liteport_try_to_date, pg_finfo_liteport_try_to_date);
coercion!("to_uuid", uuid_text, liteport_to_uuid, pg_finfo_liteport_to_uuid, liteport_try_to_uuid, pg_finfo_liteport_try_to_uuid);
coercion!(
    "to_uuid",
    uuid_bytes,
    liteport_to_uuid_bytea,
    pg_finfo_liteport_to_uuid_bytea,
    liteport_try_to_uuid_bytea,
    pg_finfo_liteport_try_to_uuid_bytea
);
coercion!("to_jsonb", jsonb, liteport_to_jsonb, pg_finfo_liteport_to_jsonb, liteport_try_to_jsonb, pg_finfo_liteport_try_to_jsonb);
