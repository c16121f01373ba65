//! Each SQLite value straight into the column's Postgres Datum.
//!
//! A `Target` is chosen once per column when the scan begins (from the attribute's
//! type and typmod); per row there is only a match on the stored storage class. The
//! parsing rules live in `crate::types`; this file only wraps results into Datums,
//! which needs Postgres.

use crate::error::{ConversionKind, ValueError};
use crate::fdw::options::ColumnConversion;
use crate::types::datetime::EpochUnit;
use crate::types::{datetime, money, scalar};
use pgrx::pg_sys::{self, Datum};
use pgrx::{IntoDatum, PgTryBuilder};
use rusqlite::ffi;
use std::borrow::Cow;
use std::ffi::c_int;

/// What a column converts into, decided once per scan.
pub enum Target {
    Int { bits: u32 },
    Float4,
    Float8,
    /// `rounding`, `float_digits`: the column options of those names.
    Numeric { typmod: i32, rounding: Option<crate::types::decimal::Rounding>, float_digits: Option<u32> },
    Text,
    Varchar { max_chars: Option<usize> },
    Bpchar { len: Option<usize> },
    Bytea,
    Bool,
    Date { epoch: EpochRule },
    /// `step`: µs per unit of the typmod's precision (timestamp(0): 1000000): a
    /// value with more precision is an error, not a rounding.
    Timestamp { epoch: EpochRule, step: i64 },
    /// `zone`: a text Datum naming the zone of naive timestamps (column option
    /// `timezone`, else the table's or server's), allocated once for the scan; None
    /// means UTC, never the session's TimeZone.
    Timestamptz { epoch: EpochRule, zone: Option<Datum>, step: i64 },
    Time { step: i64 },
    /// `unit`: what an integer or real counts (column option interval_unit, or the
    /// writer's convention); None: numbers are an error naming the option.
    Interval { unit: Option<crate::fdw::options::IntervalUnit> },
    Uuid,
    Json,
    Jsonb,
    /// Any other type (a domain, an enum, interval, ...): SQLite's text rendering
    /// through the type's own input function.
    /// `array`: an array type, which also reads a JSON array; `enum_type`: an enum,
    /// whose error names the labels.
    /// `geometry`: PostGIS's geometry, which also reads GeoPackage blobs (with `srid`).
    ByInputFunction { finfo: Box<pg_sys::FmgrInfo>, typioparam: pg_sys::Oid, typmod: i32, array: bool, enum_type: Option<pg_sys::Oid>, geometry: Option<Option<i32>> },
    /// money: cents read by liteport (not by the input function, which follows the
    /// session's lc_monetary and rounds).
    Money,
    /// A type whose conversion would depend on a session setting: every value is an
    /// error saying which.
    Refused(String),
}

/// How numbers in a date/time column are read: the column's `epoch_unit` (default
/// `auto`: seconds, milliseconds or microseconds by magnitude, so epoch milliseconds
/// never turn silently into the year 55,000), and whether it was set explicitly (then
/// numeric text counts in that unit too).
#[derive(Debug, Clone, Copy)]
pub struct EpochRule {
    pub unit: EpochUnit,
    pub numeric_text: bool,
}

impl EpochRule {
    fn from(conversion: &ColumnConversion) -> EpochRule {
        EpochRule { unit: conversion.epoch_unit.unwrap_or(EpochUnit::Auto), numeric_text: conversion.epoch_unit.is_some() }
    }
}

impl Target {
    pub unsafe fn for_type(typoid: pg_sys::Oid, typmod: i32, conversion: &ColumnConversion) -> Target {
        let epoch = EpochRule::from(conversion);
        use pg_sys::BuiltinOid::*;
        let varchar_len = || (typmod >= pg_sys::VARHDRSZ as i32).then(|| (typmod - pg_sys::VARHDRSZ as i32) as usize);
        match pg_sys::BuiltinOid::from_u32(typoid.to_u32()) {
            Ok(INT2OID) => Target::Int { bits: 16 },
            Ok(INT4OID) => Target::Int { bits: 32 },
            Ok(INT8OID) => Target::Int { bits: 64 },
            Ok(FLOAT4OID) => Target::Float4,
            Ok(FLOAT8OID) => Target::Float8,
            Ok(NUMERICOID) => Target::Numeric { typmod, rounding: conversion.numeric_rounding, float_digits: conversion.float_digits },
            Ok(TEXTOID) => Target::Text,
            Ok(VARCHAROID) => Target::Varchar { max_chars: varchar_len() },
            Ok(BPCHAROID) => Target::Bpchar { len: varchar_len() },
            Ok(BYTEAOID) => Target::Bytea,
            Ok(BOOLOID) => Target::Bool,
            Ok(DATEOID) => Target::Date { epoch },
            Ok(TIMESTAMPOID) => Target::Timestamp { epoch, step: precision_step(typmod) },
            Ok(TIMESTAMPTZOID) => Target::Timestamptz {
                epoch,
                zone: conversion.timezone.as_deref().map(|z| unsafe { varlena_datum(z.as_bytes()) }),
                step: precision_step(typmod),
            },
            Ok(TIMEOID) => Target::Time { step: precision_step(typmod) },
            Ok(INTERVALOID) if typmod < 0 => Target::Interval { unit: conversion.interval_unit },
            Ok(UUIDOID) => Target::Uuid,
            Ok(JSONOID) => Target::Json,
            Ok(JSONBOID) => Target::Jsonb,
            // money's integer means cents only where lc_monetary keeps two fraction
            // digits: in ja_JP the same integer is yen.
            Ok(MONEYOID) if monetary_fraction_digits() != 2 => Target::Refused(format!(
                "money counts units of lc_monetary's {} fraction digits here, not cents (SET lc_monetary = 'C', or read the column as numeric)",
                monetary_fraction_digits()
            )),
            Ok(MONEYOID) => Target::Money,
            _ => {
                let mut input_fn = pg_sys::Oid::INVALID;
                let mut typioparam = pg_sys::Oid::INVALID;
                unsafe { pg_sys::getTypeInputInfo(typoid, &mut input_fn, &mut typioparam) };
                let mut finfo = Box::new(unsafe { std::mem::zeroed::<pg_sys::FmgrInfo>() });
                unsafe { pg_sys::fmgr_info(input_fn, finfo.as_mut()) };
                let array = unsafe { pg_sys::get_element_type(typoid) } != pg_sys::Oid::INVALID;
                let enum_type = unsafe { pg_sys::type_is_enum(typoid) }.then_some(typoid);
                let geometry = is_named_type(typoid, "geometry").then_some(conversion.srid);
                Target::ByInputFunction { finfo, typioparam, typmod, array, enum_type, geometry }
            }
        }
    }
}

/// µs per unit of a timestamp/time typmod's precision (p digits of fraction).
fn precision_step(typmod: i32) -> i64 {
    if (0..6).contains(&typmod) {
        10i64.pow(6 - typmod as u32)
    } else {
        1
    }
}

/// A timestamp/time Datum's µs checked against the column's precision.
fn within_precision(usecs: i64, step: i64) -> Result<i64, ValueError> {
    if usecs.rem_euclid(step) != 0 {
        let digits = 6 - step.ilog10();
        return Err(ValueError::new(
            ConversionKind::InvalidDatetime,
            format!("has more fractional digits than the column's precision ({digits}) holds; Postgres would round it"),
        ));
    }
    Ok(usecs)
}

// Postgres's cached localeconv() for lc_monetary (utils/pg_locale.h); pgrx binds no lconv.
extern "C-unwind" {
    fn PGLC_localeconv() -> *mut libc::lconv;
}

/// The fraction digits a money value counts here, by cash_in's own rule (lc_monetary's
/// frac_digits, and 2 where the locale leaves it unset: outside 0..=10, CHAR_MAX in C).
/// liteport reads amounts as cents, so only 2 keeps their meaning: in ja_JP (0) the
/// same integer is yen, in ar_BH (3) fils. Separators and symbols only change how a
/// value is shown.
fn monetary_fraction_digits() -> i32 {
    let digits = unsafe { (*PGLC_localeconv()).frac_digits } as i32;
    if (0..=10).contains(&digits) { digits } else { 2 }
}

/// Is `typoid` a base type of this name (PostGIS's `geometry`, in whatever schema)?
fn is_named_type(typoid: pg_sys::Oid, name: &str) -> bool {
    unsafe {
        let typname = pg_sys::format_type_be(typoid);
        let full = crate::fdw::nodes::cstr_to_string(typname);
        full == name || full.ends_with(&format!(".{name}"))
    }
}

/// An enum's labels in order (from the syscache, read once per value that is checked:
/// enums are small).
fn enum_labels(typoid: pg_sys::Oid) -> Vec<String> {
    unsafe {
        let list = pg_sys::SearchSysCacheList(pg_sys::SysCacheIdentifier::ENUMTYPOIDNAME as i32, 1, Datum::from(typoid), Datum::from(0), Datum::from(0));
        let mut labels: Vec<(f32, String)> = Vec::new();
        for i in 0..(*list).n_members as usize {
            let tuple = &mut (*(*(*list).members.as_mut_ptr().add(i))).tuple;
            let form = pg_sys::GETSTRUCT(tuple) as *mut pg_sys::FormData_pg_enum;
            let label = std::ffi::CStr::from_ptr((*form).enumlabel.data.as_ptr()).to_string_lossy().into_owned();
            labels.push(((*form).enumsortorder, label));
        }
        pg_sys::ReleaseCatCacheList(list);
        labels.sort_by(|a, b| a.0.total_cmp(&b.0));
        labels.into_iter().map(|(_, l)| l).collect()
    }
}

/// The largest text or blob Postgres holds in one field (MaxAllocSize less the
/// varlena header): a larger stored value is an ERROR (54000), never an allocation.
pub const MAX_FIELD_BYTES: usize = 0x3fff_ffff - 4;

/// One non-NULL value as SQLite stores it: the storage class and the value, read once
/// from a statement (`from_column`) or from a batch another thread filled. Text and
/// blob bytes are borrowed, never copied.
pub struct Cell<'a> {
    /// SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT or SQLITE_BLOB.
    pub class: c_int,
    int: i64,
    real: f64,
    raw: &'a [u8],
    /// A text or blob longer than MAX_FIELD_BYTES: its length, and no bytes read.
    oversized: Option<usize>,
}

impl<'a> Cell<'a> {
    pub fn integer_value(v: i64) -> Cell<'static> {
        Cell { class: ffi::SQLITE_INTEGER, int: v, real: 0.0, raw: &[], oversized: None }
    }
    pub fn real_value(v: f64) -> Cell<'static> {
        Cell { class: ffi::SQLITE_FLOAT, int: 0, real: v, raw: &[], oversized: None }
    }
    /// A TEXT (`is_blob` false) or BLOB value.
    pub fn bytes_value(bytes: &'a [u8], is_blob: bool) -> Cell<'a> {
        Cell { class: if is_blob { ffi::SQLITE_BLOB } else { ffi::SQLITE_TEXT }, int: 0, real: 0.0, raw: bytes, oversized: None }
    }

    /// Column `index` of the statement's current row, whose type is `class` (not NULL).
    /// The bytes stay valid until the statement steps again. Err: SQLite could not
    /// allocate the value (SQLITE_NOMEM; the caller reads the connection's error).
    pub unsafe fn from_column(stmt: *mut ffi::sqlite3_stmt, index: c_int, class: c_int) -> Result<Cell<'a>, ()> {
        unsafe {
            Ok(match class {
                ffi::SQLITE_INTEGER => Cell::integer_value(ffi::sqlite3_column_int64(stmt, index)),
                ffi::SQLITE_FLOAT => Cell::real_value(ffi::sqlite3_column_double(stmt, index)),
                _ => {
                    let is_blob = class == ffi::SQLITE_BLOB;
                    // The size first: it does not expand a zeroblob, so a value no
                    // Postgres field could hold is refused before SQLite allocates it.
                    let len = ffi::sqlite3_column_bytes(stmt, index).max(0) as usize;
                    if len > MAX_FIELD_BYTES {
                        let mut cell = Cell::bytes_value(&[], is_blob);
                        cell.oversized = Some(len);
                        return Ok(cell);
                    }
                    let ptr = if is_blob {
                        ffi::sqlite3_column_blob(stmt, index) as *const u8
                    } else {
                        ffi::sqlite3_column_text(stmt, index)
                    };
                    if ptr.is_null() && len > 0 {
                        return Err(());
                    }
                    let bytes = if ptr.is_null() || len == 0 { &[][..] } else { std::slice::from_raw_parts(ptr, len) };
                    Cell::bytes_value(bytes, is_blob)
                }
            })
        }
    }

    /// The length of a text or blob too large for any Postgres field.
    pub fn oversized(&self) -> Option<usize> {
        self.oversized
    }

    /// The value as rusqlite's ValueRef, for rules written against it (the survey's).
    /// None: a value too large to have been read.
    pub fn value_ref(&self) -> Option<rusqlite::types::ValueRef<'a>> {
        use rusqlite::types::ValueRef;
        if self.oversized.is_some() {
            return None;
        }
        Some(match self.class {
            ffi::SQLITE_INTEGER => ValueRef::Integer(self.int),
            ffi::SQLITE_FLOAT => ValueRef::Real(self.real),
            ffi::SQLITE_TEXT => ValueRef::Text(self.raw),
            _ => ValueRef::Blob(self.raw),
        })
    }

    pub fn integer(&self) -> i64 {
        self.int
    }
    pub fn real(&self) -> f64 {
        self.real
    }
    /// The bytes of a TEXT or BLOB value.
    pub fn raw_bytes(&self) -> &'a [u8] {
        self.raw
    }
    /// The value as bytes: TEXT and BLOB as stored, INTEGER as decimal digits, REAL
    /// as the shortest text that reads back to the same double (SQLite's own
    /// rendering keeps only 15 digits and would lose precision).
    pub fn bytes(&self) -> Cow<'a, [u8]> {
        match self.class {
            ffi::SQLITE_FLOAT => Cow::Owned(format!("{:?}", self.real).into_bytes()),
            ffi::SQLITE_INTEGER => Cow::Owned(self.int.to_string().into_bytes()),
            _ => Cow::Borrowed(self.raw),
        }
    }
    fn text(&self) -> Result<Cow<'a, str>, ValueError> {
        match self.bytes() {
            Cow::Borrowed(b) => scalar::check_text(b).map(Cow::Borrowed),
            Cow::Owned(b) => Ok(Cow::Owned(String::from_utf8(b).expect("a rendered number is ASCII"))),
        }
    }
    fn is_blob(&self) -> bool {
        self.class == ffi::SQLITE_BLOB
    }
}

fn wrong_class(class: c_int) -> ValueError {
    let name = match class {
        ffi::SQLITE_INTEGER => "an INTEGER",
        ffi::SQLITE_FLOAT => "a REAL",
        ffi::SQLITE_TEXT => "a TEXT",
        _ => "a BLOB",
    };
    ValueError::new(ConversionKind::WrongStorageClass, format!("SQLite stores {name} value here, which this type does not accept"))
}

/// A varlena (text, bytea, ...) holding a copy of `bytes`, palloc'd in the current
/// (per-tuple) memory context.
unsafe fn varlena_datum(bytes: &[u8]) -> Datum {
    Datum::from(unsafe { pg_sys::cstring_to_text_with_len(bytes.as_ptr() as *const _, bytes.len() as i32) })
}

/// Text in the database's encoding. UTF-8 databases (nearly all) take the bytes as
/// they are; others convert, and an unrepresentable character is Postgres's ERROR.
unsafe fn text_datum(s: &str, utf8_database: bool) -> Datum {
    if utf8_database {
        return unsafe { varlena_datum(s.as_bytes()) };
    }
    unsafe {
        let converted = pg_sys::pg_any_to_server(s.as_ptr() as *const _, s.len() as i32, pg_sys::pg_enc::PG_UTF8 as i32);
        let len = std::ffi::CStr::from_ptr(converted).to_bytes().len();
        Datum::from(pg_sys::cstring_to_text_with_len(converted, len as i32))
    }
}

/// A palloc'd NUL-terminated copy, for Postgres input functions.
pub(crate) unsafe fn palloc_cstring(s: &str) -> *mut std::ffi::c_char {
    unsafe { pg_sys::pnstrdup(s.as_ptr() as *const _, s.len()) }
}

/// How a conversion may call a Postgres function that raises for a bad value (a
/// type's input function, a domain's CHECK):
/// - `protect` false: the caller raises an ERROR of its own at once on `Err` (the
///   error is caught only to name the row, then re-raised; nothing else runs);
/// - `protect` true: the caller goes on after `Err` (reject mode, verify, ANALYZE,
///   try_to_*): the call runs in a subtransaction, so a caught ERROR leaves no state
///   behind (an SPI stack a PL/pgSQL CHECK left, locks, memory).
/// Built-in conversions are checked in Rust first (decimal, json) so that they never
/// get here with a value Postgres would refuse.
fn call_postgres(protect: bool, f: impl FnOnce() -> Datum + std::panic::UnwindSafe) -> Result<Datum, ValueError> {
    if protect {
        return crate::subtransaction::run_catching(f).map_err(|(code, message)| ValueError::new(ConversionKind::Rejected(code), message));
    }
    PgTryBuilder::new(move || Ok(f()))
        .catch_others(|e| match e {
            pgrx::pg_sys::panic::CaughtError::PostgresError(report) | pgrx::pg_sys::panic::CaughtError::ErrorReport(report) => {
                Err(ValueError::new(ConversionKind::Rejected(report.sql_error_code()), report.message().to_string()))
            }
            other => other.rethrow(),
        })
        .execute()
}

unsafe fn call1(f: unsafe fn(pg_sys::FunctionCallInfo) -> Datum, a: Datum) -> Datum {
    unsafe { pgrx::fcinfo::direct_function_call_as_datum(f, &[Some(a)]).expect("strict function returned NULL") }
}

unsafe fn call3(f: unsafe fn(pg_sys::FunctionCallInfo) -> Datum, a: Datum, b: Datum, c: Datum) -> Datum {
    unsafe { pgrx::fcinfo::direct_function_call_as_datum(f, &[Some(a), Some(b), Some(c)]).expect("strict function returned NULL") }
}

/// A decimal literal (sign, digits, point, exponent; not NaN or Infinity) as numeric
/// with `typmod`, exactly: a value the typmod would round is an error (see
/// `types::decimal`), and numeric_in is only called with what it accepts.
pub(crate) unsafe fn numeric_from_literal(text: &str, typmod: i32) -> Result<Datum, ValueError> {
    crate::types::decimal::check(text, typmod)?;
    let cstr = unsafe { palloc_cstring(text) };
    Ok(unsafe { call3(pg_sys::numeric_in, Datum::from(cstr), Datum::from(pg_sys::Oid::INVALID), Datum::from(typmod)) })
}

/// Text as json or jsonb: checked by Postgres's own grammar in Rust, then through the
/// input function (which then cannot refuse it, except in the cases the check leaves
/// to it: those run as `call_postgres` says).
pub(crate) unsafe fn json_from_text(text: &str, binary: bool, protect: bool) -> Result<Datum, ValueError> {
    use crate::types::json::{check, Verdict};
    let verdict = check(text, binary);
    if let Verdict::Invalid(why) = verdict {
        return Err(ValueError::new(ConversionKind::InvalidText, format!("invalid JSON: {why}")));
    }
    let cstr = unsafe { palloc_cstring(text) };
    let input = if binary { pg_sys::jsonb_in } else { pg_sys::json_in };
    match verdict {
        Verdict::Valid => Ok(unsafe { call1(input, Datum::from(cstr)) }),
        _ => call_postgres(protect, || unsafe { call1(input, Datum::from(cstr)) }),
    }
}

/// A naive timestamp (wall-clock µs) as timestamptz: wall-clock time in `zone` (a text
/// Datum, a zone validated by the option's validator) when given, else UTC — what
/// SQLite's own date functions and the ORMs that store naive text (Django with
/// USE_TZ, Rails, TypeORM) mean. Never the session's TimeZone.
pub(crate) unsafe fn naive_to_timestamptz(local_usecs: i64, zone: Option<Datum>) -> Result<Datum, ValueError> {
    let local = datetime::check_timestamp_range(local_usecs)?;
    let Some(zone) = zone else { return Ok(Datum::from(local)) };
    // A zone moves an instant by at most a day: away from the ends of Postgres's
    // range, timestamp_zone cannot fail.
    datetime::check_timestamp_range(local.saturating_sub(datetime::USECS_PER_DAY))?;
    datetime::check_timestamp_range(local.saturating_add(datetime::USECS_PER_DAY))?;
    Ok(unsafe {
        pgrx::fcinfo::direct_function_call_as_datum(pg_sys::timestamp_zone, &[Some(zone), Some(Datum::from(local))]).expect("timestamp_zone is strict")
    })
}

/// Is `zone` a time zone Postgres knows (as `AT TIME ZONE` takes it)? For the option
/// validator, which raises its own ERROR at once when not.
pub(crate) fn zone_is_known(zone: &str) -> bool {
    let zone_datum = unsafe { varlena_datum(zone.as_bytes()) };
    call_postgres(false, move || unsafe {
        pgrx::fcinfo::direct_function_call_as_datum(pg_sys::timestamp_zone, &[Some(zone_datum), Some(Datum::from(0i64))]).expect("timestamp_zone is strict")
    })
    .is_ok()
}

/// A number of `unit`s, or interval text, as an interval. Numbers become days and
/// microseconds as a duration's own days-and-seconds normalization has them (Django's
/// timedelta); text goes through interval_in under fixed IntervalStyle.
unsafe fn interval_datum(cell: &Cell, unit: Option<crate::fdw::options::IntervalUnit>, protect: bool) -> Result<Datum, ValueError> {
    let needs_unit = || {
        ValueError::new(
            ConversionKind::InvalidText,
            "a number into interval needs a unit: set the column option interval_unit to 'us', 'ms' or 's' (Django's DurationField stores microseconds)",
        )
    };
    let out_of_range = || ValueError::new(ConversionKind::OutOfRange, "interval out of range");
    let micros: i64 = match cell.class {
        ffi::SQLITE_INTEGER => cell.integer().checked_mul(unit.ok_or_else(needs_unit)?.micros()).ok_or_else(out_of_range)?,
        ffi::SQLITE_FLOAT => {
            let v = cell.real() * unit.ok_or_else(needs_unit)?.micros() as f64;
            if !v.is_finite() || v.abs() >= 9.2e18 {
                return Err(out_of_range());
            }
            v.round() as i64
        }
        ffi::SQLITE_TEXT => {
            let text = cell.text()?;
            if unit.is_some() && scalar::is_numeric_literal(&text) {
                let n: f64 = text.trim().parse().map_err(|_| out_of_range())?;
                let v = n * unit.expect("checked").micros() as f64;
                if !v.is_finite() || v.abs() >= 9.2e18 {
                    return Err(out_of_range());
                }
                v.round() as i64
            } else {
                let cstr = unsafe { palloc_cstring(&text) };
                let typmod = -1;
                // interval_in raises for bad text: as call_postgres's rules say.
                return call_postgres(protect, move || {
                    let _fixed = crate::settings::FixedFormat::new();
                    unsafe { call3(pg_sys::interval_in, Datum::from(cstr), Datum::from(pg_sys::Oid::INVALID), Datum::from(typmod)) }
                });
            }
        }
        other => return Err(wrong_class(other)),
    };
    let day_micros = datetime::USECS_PER_DAY;
    unsafe {
        let p = pg_sys::palloc(std::mem::size_of::<pg_sys::Interval>()) as *mut pg_sys::Interval;
        (*p).month = 0;
        (*p).day = i32::try_from(micros.div_euclid(day_micros)).map_err(|_| out_of_range())?;
        (*p).time = micros.rem_euclid(day_micros);
        Ok(Datum::from(p))
    }
}

/// A uuid Datum (16 palloc'd bytes).
pub(crate) unsafe fn uuid_datum(bytes: [u8; 16]) -> Datum {
    unsafe {
        let p = pg_sys::palloc(16) as *mut u8;
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, 16);
        Datum::from(p)
    }
}

fn timestamp_usecs(cell: &Cell, epoch: EpochRule) -> Result<i64, ValueError> {
    match cell.class {
        ffi::SQLITE_INTEGER => datetime::epoch_int_to_usecs(cell.integer(), epoch.unit),
        ffi::SQLITE_FLOAT => datetime::epoch_real_to_usecs(cell.real(), epoch.unit),
        ffi::SQLITE_TEXT => {
            let text = cell.text()?;
            if epoch.numeric_text {
                if let Some(result) = crate::coerce::epoch_text_usecs(&text, epoch.unit) {
                    return result;
                }
            }
            let ts = datetime::parse_timestamp(&text)?;
            // Text with an offset names an instant: store it as UTC, as SQLite's own
            // datetime() does, rather than dropping the offset.
            datetime::check_timestamp_range(ts.utc_usecs().unwrap_or(ts.local_usecs))
        }
        other => Err(wrong_class(other)),
    }
}

impl Target {
    /// Convert one non-NULL value. `protect`: the caller goes on after an error (see
    /// `call_postgres`).
    pub unsafe fn to_datum(&mut self, cell: &Cell, utf8_database: bool, protect: bool) -> Result<Datum, ValueError> {
        if let Some(len) = cell.oversized() {
            return Err(ValueError::new(ConversionKind::TooLarge, format!("the value is {len} bytes, more than a Postgres field can hold (1 GB)")));
        }
        let class = cell.class;
        match self {
            Target::Int { bits } => {
                let v = match class {
                    ffi::SQLITE_INTEGER => cell.integer(),
                    ffi::SQLITE_FLOAT => scalar::real_to_int(cell.real())?,
                    ffi::SQLITE_TEXT => scalar::parse_int(&cell.text()?)?,
                    other => return Err(wrong_class(other)),
                };
                let v = scalar::narrow_int(v, *bits)?;
                Ok(match bits {
                    16 => (v as i16).into_datum().unwrap(),
                    32 => (v as i32).into_datum().unwrap(),
                    _ => v.into_datum().unwrap(),
                })
            }
            Target::Float4 | Target::Float8 => {
                let v = match class {
                    ffi::SQLITE_INTEGER => scalar::int_to_float(cell.integer())?,
                    ffi::SQLITE_FLOAT => cell.real(),
                    ffi::SQLITE_TEXT => scalar::text_to_float(&cell.text()?)?,
                    other => return Err(wrong_class(other)),
                };
                Ok(match self {
                    Target::Float4 => scalar::narrow_float4(v)?.into_datum().unwrap(),
                    _ => v.into_datum().unwrap(),
                })
            }
            Target::Numeric { typmod, rounding, float_digits } => {
                let (typmod, rounding, float_digits) = (*typmod, *rounding, *float_digits);
                let literal: Cow<str> = match class {
                    ffi::SQLITE_INTEGER => Cow::Owned(cell.integer().to_string()),
                    ffi::SQLITE_FLOAT => {
                        let v = cell.real();
                        if !v.is_finite() {
                            return Err(ValueError::new(ConversionKind::OutOfRange, "Infinity and NaN are not stored into numeric (read the column as double precision)"));
                        }
                        match float_digits {
                            // that many significant digits of the stored double, ties to even
                            Some(d) => Cow::Owned(format!("{v:.prec$e}", prec = d.saturating_sub(1) as usize)),
                            // The shortest decimal that reads back to the same double:
                            // every bit SQLite stored, and no more (float8_numeric keeps 15).
                            None => Cow::Owned(format!("{v:?}")),
                        }
                    }
                    ffi::SQLITE_TEXT => cell.text()?,
                    other => return Err(wrong_class(other)),
                };
                // Rounded only when the column's option says how.
                let literal = match (rounding, crate::types::decimal::typmod_precision_scale(typmod)) {
                    (Some(r), Some((_, scale))) => Cow::Owned(
                        crate::types::decimal::round_to_scale(&literal, scale, r).ok_or_else(|| ValueError::new(ConversionKind::InvalidText, "not a number"))?,
                    ),
                    _ => literal,
                };
                unsafe { numeric_from_literal(&literal, typmod) }
            }
            Target::Text => {
                let s = cell.text()?;
                Ok(unsafe { text_datum(&s, utf8_database) })
            }
            Target::Varchar { max_chars } => {
                let s = cell.text()?;
                if let Some(max) = *max_chars {
                    if s.len() > max && s.chars().count() > max {
                        return Err(ValueError::new(ConversionKind::TooLong, format!("longer than {max} characters")));
                    }
                }
                Ok(unsafe { text_datum(&s, utf8_database) })
            }
            Target::Bpchar { len } => {
                let s = cell.text()?;
                match *len {
                    None => Ok(unsafe { text_datum(&s, utf8_database) }),
                    Some(n) => {
                        let chars = s.chars().count();
                        if chars > n {
                            return Err(ValueError::new(ConversionKind::TooLong, format!("longer than {n} characters")));
                        }
                        let padded = format!("{s}{}", " ".repeat(n - chars));
                        Ok(unsafe { text_datum(&padded, utf8_database) })
                    }
                }
            }
            Target::Bytea => Ok(unsafe { varlena_datum(&cell.bytes()) }),
            Target::Bool => {
                let v = match class {
                    ffi::SQLITE_INTEGER => scalar::int_to_bool(cell.integer())?,
                    ffi::SQLITE_FLOAT => {
                        let r = cell.real();
                        if r == 0.0 || r == 1.0 {
                            r == 1.0
                        } else {
                            return Err(ValueError::new(ConversionKind::InvalidText, "only 0 and 1 are booleans"));
                        }
                    }
                    ffi::SQLITE_TEXT => scalar::parse_bool(&cell.text()?)?,
                    other => return Err(wrong_class(other)),
                };
                Ok(v.into_datum().unwrap())
            }
            Target::Date { epoch } => {
                let epoch = *epoch;
                let text = if class == ffi::SQLITE_TEXT { Some(cell.text()?) } else { None };
                let days = match text {
                    Some(text) if !(epoch.numeric_text && scalar::is_numeric_literal(&text)) => datetime::parse_date(&text)?,
                    _ => datetime::usecs_to_date(timestamp_usecs(cell, epoch)?)?,
                };
                Ok(Datum::from(days))
            }
            Target::Timestamp { epoch, step } => Ok(Datum::from(within_precision(timestamp_usecs(cell, *epoch)?, *step)?)),
            Target::Timestamptz { epoch, zone, step } => {
                let (epoch, zone, step) = (*epoch, *zone, *step);
                if class == ffi::SQLITE_TEXT {
                    let text = cell.text()?;
                    let numeric = epoch.numeric_text && scalar::is_numeric_literal(&text);
                    if !numeric {
                        let ts = datetime::parse_timestamp(&text)?;
                        if ts.offset_secs.is_none() {
                            // A naive timestamp is wall-clock time in the column's
                            // `timezone` (inherited from the table or server), else UTC.
                            within_precision(ts.local_usecs, step)?;
                            return unsafe { naive_to_timestamptz(ts.local_usecs, zone) };
                        }
                    }
                }
                Ok(Datum::from(within_precision(timestamp_usecs(cell, epoch)?, step)?))
            }
            Target::Interval { unit } => unsafe { interval_datum(cell, *unit, protect) },
            Target::Time { step } => match class {
                ffi::SQLITE_TEXT => Ok(Datum::from(within_precision(datetime::parse_time(&cell.text()?)?, *step)?)),
                other => Err(wrong_class(other)),
            },
            Target::Money => {
                let cents = match class {
                    ffi::SQLITE_INTEGER => money::cents_from_integer(cell.integer())?,
                    ffi::SQLITE_FLOAT => money::cents_from_real(cell.real())?,
                    ffi::SQLITE_TEXT => money::cents_from_text(&cell.text()?)?,
                    other => return Err(wrong_class(other)),
                };
                Ok(cents.into_datum().unwrap())
            }
            Target::Uuid => {
                let bytes: [u8; 16] = match class {
                    ffi::SQLITE_TEXT => scalar::parse_uuid_text(&cell.text()?)?,
                    ffi::SQLITE_BLOB => scalar::uuid_from_blob(cell.raw_bytes())?,
                    other => return Err(wrong_class(other)),
                };
                Ok(unsafe { uuid_datum(bytes) })
            }
            Target::Json | Target::Jsonb => {
                let binary = matches!(self, Target::Jsonb);
                if cell.is_blob() {
                    if let Some(text) = crate::sqlite::jsonb::to_json_text(cell.raw_bytes()) {
                        return unsafe { json_from_text(&text, binary, protect) };
                    }
                }
                unsafe { json_from_text(&cell.text()?, binary, protect) }
            }
            Target::Refused(why) => Err(ValueError::new(ConversionKind::InvalidText, why.clone())),
            Target::ByInputFunction { finfo, typioparam, typmod, array, enum_type, geometry } => {
                let geopackage = cell.is_blob() && geometry.is_some() && crate::types::geopackage::is_geopackage(cell.raw_bytes());
                if cell.is_blob() && !geopackage {
                    return Err(wrong_class(class));
                }
                let text: Cow<str> = if geopackage {
                    Cow::Owned(crate::types::geopackage::postgis_text(cell.raw_bytes(), geometry.flatten()).map_err(|why| ValueError::new(ConversionKind::InvalidText, why))?)
                } else {
                    cell.text()?
                };
                // A JSON array (how ORMs store a list) into an array type.
                let text: Cow<str> = if *array && text.trim_start().starts_with('[') {
                    Cow::Owned(crate::types::array::json_array_literal(&text).map_err(|why| ValueError::new(ConversionKind::InvalidText, format!("not a JSON array: {why}")))?)
                } else {
                    text
                };
                if let Some(oid) = *enum_type {
                    let labels = enum_labels(oid);
                    if !labels.iter().any(|l| l.as_str() == text) {
                        return Err(ValueError::new(ConversionKind::InvalidText, format!("not a label of the enum (its labels: {})", labels.join(", "))));
                    }
                }
                let cstr = unsafe { palloc_cstring(&text) };
                let (finfo_ptr, typioparam, typmod) = (finfo.as_mut() as *mut pg_sys::FmgrInfo, *typioparam, *typmod);
                // Input functions read DateStyle, IntervalStyle and TimeZone: fixed here,
                // so no session setting changes what a value becomes.
                call_postgres(protect, move || {
                    let _fixed = crate::settings::FixedFormat::new();
                    unsafe { pg_sys::InputFunctionCall(finfo_ptr, cstr, typioparam, typmod) }
                })
            }
        }
    }
}
