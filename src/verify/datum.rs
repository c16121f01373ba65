//! Postgres values into the canonical row encoding (see `canon`): one `ColumnCodec`
//! per column, chosen once from the type, then a match per value.

use super::canon::RowEncoder;
use pgrx::pg_sys::{self, Datum};

pub enum ColumnCodec {
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Bool,
    Date,
    Micros(u8),
    Uuid,
    /// Stored bytes: text, varchar, char, bytea, json.
    Varlena,
    /// The type's output function: numeric, jsonb, anything else.
    Output(Box<pg_sys::FmgrInfo>),
}

impl ColumnCodec {
    pub fn for_type(typoid: pg_sys::Oid) -> ColumnCodec {
        use pg_sys::BuiltinOid::*;
        match pg_sys::BuiltinOid::from_u32(typoid.to_u32()) {
            Ok(INT2OID) => ColumnCodec::Int2,
            Ok(INT4OID) => ColumnCodec::Int4,
            Ok(INT8OID) => ColumnCodec::Int8,
            Ok(FLOAT4OID) => ColumnCodec::Float4,
            Ok(FLOAT8OID) => ColumnCodec::Float8,
            Ok(BOOLOID) => ColumnCodec::Bool,
            Ok(DATEOID) => ColumnCodec::Date,
            Ok(TIMESTAMPOID) => ColumnCodec::Micros(b't'),
            Ok(TIMESTAMPTZOID) => ColumnCodec::Micros(b'z'),
            Ok(TIMEOID) => ColumnCodec::Micros(b'h'),
            Ok(UUIDOID) => ColumnCodec::Uuid,
            Ok(TEXTOID | VARCHAROID | BPCHAROID | BYTEAOID | JSONOID) => ColumnCodec::Varlena,
            _ => unsafe {
                let mut output = pg_sys::Oid::INVALID;
                let mut varlena = false;
                pg_sys::getTypeOutputInfo(typoid, &mut output, &mut varlena);
                let mut finfo = Box::new(std::mem::zeroed::<pg_sys::FmgrInfo>());
                pg_sys::fmgr_info(output, finfo.as_mut());
                ColumnCodec::Output(finfo)
            },
        }
    }

    /// Append one non-NULL value. Allocations (detoasting, output text) go to the
    /// current memory context, which the caller resets.
    pub unsafe fn encode(&mut self, e: &mut RowEncoder, datum: Datum) {
        unsafe {
            match self {
                ColumnCodec::Int2 => e.int(datum.value() as i16 as i64),
                ColumnCodec::Int4 => e.int(datum.value() as i32 as i64),
                ColumnCodec::Int8 => e.int(datum.value() as i64),
                ColumnCodec::Float4 => e.float(f32::from_bits(datum.value() as u32) as f64),
                ColumnCodec::Float8 => e.float(f64::from_bits(datum.value() as u64)),
                ColumnCodec::Bool => e.bool(datum.value() != 0),
                ColumnCodec::Date => e.date(datum.value() as i32),
                ColumnCodec::Micros(tag) => e.micros(*tag, datum.value() as i64),
                ColumnCodec::Uuid => e.uuid(std::slice::from_raw_parts(datum.cast_mut_ptr::<u8>(), 16)),
                ColumnCodec::Varlena => {
                    let v = pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr());
                    let len = pgrx::varlena::varsize_any_exhdr(v);
                    e.bytes(b's', std::slice::from_raw_parts(pgrx::varlena::vardata_any(v) as *const u8, len));
                }
                ColumnCodec::Output(finfo) => {
                    let text = pg_sys::OutputFunctionCall(finfo.as_mut(), datum);
                    e.bytes(b'o', std::ffi::CStr::from_ptr(text).to_bytes());
                }
            }
        }
    }
}
