//! The Postgres side of verify: each stored target value in the canonical form of its
//! column's domain (see `normal`), read from what Postgres stored (the Datum's own
//! bits, or the type's output function under fixed settings) and never through
//! liteport's conversion code; and the two steps of the SQLite side that only Postgres
//! can do (placing naive time in a named zone, a type's input function).

use super::normal::{self, tag, Canon, Domain, Epoch, EpochRule, NumberRule, Unreadable};
use crate::fdw::options::ColumnConversion;
use pgrx::pg_sys::{self, Datum};

/// µs from 1970-01-01 to 2000-01-01, Postgres's epoch.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
const PG_EPOCH_DAYS: i64 = 10_957;

/// The domain verify compares a column of this type in, with the column's rule
/// parameters (epoch unit, interval unit, zone of naive text).
pub fn domain_for(typoid: pg_sys::Oid, typmod: i32, conversion: &ColumnConversion) -> Domain {
    use pg_sys::BuiltinOid::*;
    let rule = EpochRule {
        unit: conversion.epoch_unit.map(|u| Epoch::named(u.name()).expect("liteport's epoch units are verify's")).unwrap_or(Epoch::Auto),
        numeric_text: conversion.epoch_unit.is_some(),
    };
    match pg_sys::BuiltinOid::from_u32(typoid.to_u32()) {
        Ok(NUMERICOID) => {
            let scale = crate::types::decimal::typmod_precision_scale(typmod).map(|(_, s)| s);
            Domain::Number(NumberRule {
                float_digits: conversion.float_digits,
                round: conversion.numeric_rounding.zip(scale).map(|(r, s)| (s, r == crate::types::decimal::Rounding::HalfEven)),
            })
        }
        Ok(INT2OID | INT4OID | INT8OID | FLOAT4OID | FLOAT8OID) => Domain::Number(NumberRule::default()),
        Ok(BOOLOID) => Domain::Bool,
        Ok(TEXTOID | VARCHAROID) => Domain::Text { blank_padded: false },
        Ok(BPCHAROID) => Domain::Text { blank_padded: true },
        Ok(BYTEAOID) => Domain::Bytes,
        Ok(UUIDOID) => Domain::Uuid,
        Ok(DATEOID) => Domain::Date(rule),
        Ok(TIMESTAMPOID) => Domain::Timestamp(rule),
        Ok(TIMESTAMPTZOID) => Domain::Timestamptz { rule, utc_zone: conversion.timezone.is_none() },
        Ok(TIMEOID) => Domain::Time,
        Ok(INTERVALOID) if typmod < 0 => Domain::Interval(conversion.interval_unit.map(|u| u.micros())),
        Ok(JSONOID) => Domain::Json,
        Ok(MONEYOID) => Domain::Money,
        _ => Domain::Input,
    }
}

enum Kind {
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric,
    Bool,
    Text,
    Bpchar,
    Bytea,
    Uuid,
    Date,
    Timestamp,
    Time,
    Interval,
    /// json: its stored text.
    Json,
    /// money: its cents (lc_monetary C, as liteport loads it) as an amount.
    Money,
    /// jsonb and every other type: the output function's text.
    Output,
}

/// Reads one column's target values into canonical form.
pub struct TargetColumn {
    kind: Kind,
    output: Box<pg_sys::FmgrInfo>,
    input: Box<pg_sys::FmgrInfo>,
    typioparam: pg_sys::Oid,
    typmod: i32,
    /// The zone naive text means (a text Datum), for `Canon::Naive`.
    zone: Option<String>,
    utf8: bool,
    /// An array type: JSON array text is read as its elements.
    array: bool,
    /// The SRID of GeoPackage geometries (column option srid).
    srid: Option<i32>,
}

impl TargetColumn {
    pub fn new(typoid: pg_sys::Oid, typmod: i32, zone: Option<String>, srid: Option<i32>) -> TargetColumn {
        use pg_sys::BuiltinOid::*;
        let kind = match pg_sys::BuiltinOid::from_u32(typoid.to_u32()) {
            Ok(INT2OID) => Kind::Int2,
            Ok(INT4OID) => Kind::Int4,
            Ok(INT8OID) => Kind::Int8,
            Ok(FLOAT4OID) => Kind::Float4,
            Ok(FLOAT8OID) => Kind::Float8,
            Ok(NUMERICOID) => Kind::Numeric,
            Ok(BOOLOID) => Kind::Bool,
            Ok(TEXTOID | VARCHAROID) => Kind::Text,
            Ok(BPCHAROID) => Kind::Bpchar,
            Ok(BYTEAOID) => Kind::Bytea,
            Ok(UUIDOID) => Kind::Uuid,
            Ok(DATEOID) => Kind::Date,
            Ok(TIMESTAMPOID | TIMESTAMPTZOID) => Kind::Timestamp,
            Ok(TIMEOID) => Kind::Time,
            Ok(INTERVALOID) => Kind::Interval,
            Ok(JSONOID) => Kind::Json,
            Ok(MONEYOID) => Kind::Money,
            _ => Kind::Output,
        };
        unsafe {
            let (mut out_fn, mut in_fn, mut typioparam, mut varlena) = (pg_sys::Oid::INVALID, pg_sys::Oid::INVALID, pg_sys::Oid::INVALID, false);
            pg_sys::getTypeOutputInfo(typoid, &mut out_fn, &mut varlena);
            pg_sys::getTypeInputInfo(typoid, &mut in_fn, &mut typioparam);
            let mut output = Box::new(std::mem::zeroed::<pg_sys::FmgrInfo>());
            pg_sys::fmgr_info(out_fn, output.as_mut());
            let mut input = Box::new(std::mem::zeroed::<pg_sys::FmgrInfo>());
            pg_sys::fmgr_info(in_fn, input.as_mut());
            let array = pg_sys::get_element_type(typoid) != pg_sys::Oid::INVALID;
            TargetColumn { kind, output, input, typioparam, typmod, zone, utf8: pg_sys::GetDatabaseEncoding() == pg_sys::pg_enc::PG_UTF8 as i32, array, srid }
        }
    }

    /// The type's output text of a value (under the fixed settings verify runs with).
    pub unsafe fn display(&mut self, datum: Datum) -> String {
        unsafe { std::ffi::CStr::from_ptr(pg_sys::OutputFunctionCall(self.output.as_mut(), datum)).to_string_lossy().into_owned() }
    }

    /// Text of a text-like Datum, in UTF-8 (what SQLite stores) whatever the database encoding.
    unsafe fn text_bytes(&self, datum: Datum) -> Vec<u8> {
        unsafe {
            let v = pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr());
            let len = pgrx::varlena::varsize_any_exhdr(v);
            let data = pgrx::varlena::vardata_any(v) as *const std::ffi::c_char;
            if self.utf8 {
                return std::slice::from_raw_parts(data as *const u8, len).to_vec();
            }
            let converted = pg_sys::pg_server_to_any(data, len as i32, pg_sys::pg_enc::PG_UTF8 as i32);
            std::ffi::CStr::from_ptr(converted).to_bytes().to_vec()
        }
    }

    /// One non-NULL target value, canonical.
    pub unsafe fn canonical(&mut self, datum: Datum) -> Vec<u8> {
        unsafe {
            let int = |v: i64| normal::number(&normal::decimal(&v.to_string()).expect("digits"));
            match self.kind {
                Kind::Int2 => int(datum.value() as i16 as i64),
                Kind::Int4 => int(datum.value() as i32 as i64),
                Kind::Int8 => int(datum.value() as i64),
                Kind::Float4 => normal::number(&normal::single(f32::from_bits(datum.value() as u32))),
                Kind::Float8 => normal::number(&normal::double(f64::from_bits(datum.value() as u64))),
                Kind::Numeric => {
                    let text = self.display(datum);
                    normal::number(&normal::decimal(&text).unwrap_or(text))
                }
                Kind::Bool => normal::tagged(tag::BOOL, &[(datum.value() != 0) as u8]),
                Kind::Text | Kind::Json => normal::tagged(tag::TEXT, &self.text_bytes(datum)),
                Kind::Bpchar => {
                    let mut bytes = self.text_bytes(datum);
                    while bytes.last() == Some(&b' ') {
                        bytes.pop();
                    }
                    normal::tagged(tag::TEXT, &bytes)
                }
                Kind::Bytea => {
                    let v = pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr());
                    let len = pgrx::varlena::varsize_any_exhdr(v);
                    normal::tagged(tag::BYTES, std::slice::from_raw_parts(pgrx::varlena::vardata_any(v) as *const u8, len))
                }
                Kind::Uuid => normal::tagged(tag::UUID, std::slice::from_raw_parts(datum.cast_mut_ptr::<u8>(), 16)),
                Kind::Date => {
                    let days = datum.value() as i32;
                    if days == i32::MIN || days == i32::MAX {
                        return normal::tagged(tag::INFINITE, &[(days == i32::MAX) as u8]);
                    }
                    normal::micros(tag::DAYS, days as i64 + PG_EPOCH_DAYS)
                }
                Kind::Timestamp => {
                    let v = datum.value() as i64;
                    if v == i64::MIN || v == i64::MAX {
                        return normal::tagged(tag::INFINITE, &[(v == i64::MAX) as u8]);
                    }
                    normal::micros(tag::MICROS, v + PG_EPOCH_MICROS)
                }
                Kind::Time => normal::micros(tag::TIME, datum.value() as i64),
                Kind::Interval => {
                    let i = datum.cast_mut_ptr::<pg_sys::Interval>();
                    normal::interval((*i).month, (*i).day, (*i).time)
                }
                Kind::Money => {
                    let cents = datum.value() as i64;
                    let sign = if cents < 0 { "-" } else { "" };
                    let abs = cents.unsigned_abs();
                    normal::number(&normal::decimal(&format!("{sign}{}.{:02}", abs / 100, abs % 100)).expect("digits"))
                }
                Kind::Output => normal::tagged(tag::OUTPUT, self.display(datum).as_bytes()),
            }
        }
    }

    /// Finish what the SQLite side left to Postgres: naive time placed in the column's
    /// zone, text through the type's input function. A value Postgres refuses is
    /// unreadable (caught in a subtransaction, so nothing of it remains).
    pub fn finish(&mut self, canon: Canon) -> Result<Option<Vec<u8>>, Unreadable> {
        match canon {
            Canon::Null => Ok(None),
            Canon::Value(v) => Ok(Some(v)),
            Canon::Naive(local) => {
                let zone = self.zone.clone().expect("Naive only for a column with a zone");
                let utc = crate::subtransaction::run_catching(move || unsafe {
                    let zone = pg_sys::cstring_to_text_with_len(zone.as_ptr() as *const _, zone.len() as i32);
                    pgrx::fcinfo::direct_function_call_as_datum(pg_sys::timestamp_zone, &[Some(Datum::from(zone)), Some(Datum::from(local - PG_EPOCH_MICROS))])
                        .expect("timestamp_zone is strict")
                })
                .map_err(|_| Unreadable("out of range in its zone"))?;
                Ok(Some(normal::micros(tag::MICROS, utc.value() as i64 + PG_EPOCH_MICROS)))
            }
            Canon::GeoPackage(blob) => {
                let text = geopackage_wkb_text(&blob, self.srid).ok_or(Unreadable("not a GeoPackage geometry"))?;
                self.finish(Canon::Input(text))
            }
            Canon::Input(text) => {
                // A JSON array into an array type: its elements, read by serde_json here
                // (the load reads them with its own parser).
                let text = if self.array && text.trim_start().starts_with('[') { json_array_literal(&text).ok_or(Unreadable("not a JSON array of scalars"))? } else { text };
                let (finfo, typioparam, typmod) = (self.input.as_mut() as *mut pg_sys::FmgrInfo, self.typioparam, self.typmod);
                let datum = crate::subtransaction::run_catching(move || unsafe {
                    let _fixed = crate::settings::FixedFormat::new();
                    let cstr = pg_sys::pnstrdup(text.as_ptr() as *const _, text.len());
                    pg_sys::InputFunctionCall(finfo, cstr, typioparam, typmod)
                })
                .map_err(|_| Unreadable("refused by the type's input function"))?;
                Ok(Some(unsafe { self.canonical(datum) }))
            }
        }
    }
}

/// A JSON array of scalars (or nested arrays) as a Postgres array literal: strings
/// quoted, numbers with their digits as written, null as NULL.
fn json_array_literal(text: &str) -> Option<String> {
    fn element(v: &serde_json::Value, out: &mut String) -> Option<()> {
        match v {
            serde_json::Value::Null => out.push_str("NULL"),
            serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            serde_json::Value::Number(n) => out.push_str(&format!("\"{n}\"")),
            serde_json::Value::String(s) => out.push_str(&format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))),
            serde_json::Value::Array(items) => {
                out.push('{');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    element(item, out)?;
                }
                out.push('}');
            }
            serde_json::Value::Object(_) => return None,
        }
        Some(())
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.is_array().then_some(())?;
    let mut out = String::new();
    element(&value, &mut out)?;
    Some(out)
}

/// A GeoPackage geometry (OGC GeoPackage §2.1.3: `GP`, version, flags, srs_id, an
/// envelope of 0/32/48/64 bytes, then WKB) as `SRID=n;<hex WKB>` for PostGIS's input.
fn geopackage_wkb_text(blob: &[u8], srid: Option<i32>) -> Option<String> {
    let flags = *blob.get(3)?;
    if flags & 0x20 != 0 {
        return None;
    }
    let envelope_bytes = [0usize, 32, 48, 48, 64].get(((flags >> 1) & 7) as usize).copied()?;
    let header_srs = {
        let b: [u8; 4] = blob.get(4..8)?.try_into().ok()?;
        if flags & 1 == 1 { i32::from_le_bytes(b) } else { i32::from_be_bytes(b) }
    };
    let wkb = blob.get(8 + envelope_bytes..)?;
    let srid = srid.unwrap_or(header_srs).max(0);
    Some(format!("SRID={srid};{}", wkb.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}
