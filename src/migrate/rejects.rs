//! Rows a load skipped (`on_error 'reject'`), filed verbatim in liteport.rejects so
//! that nothing is lost: the SQLite values as JSON, the rowid, the column and the error.
//!
//! JSON encoding of a stored SQLite value: NULL → null; INTEGER → number; REAL →
//! number (Infinity/NaN → the string "Infinity", "-Infinity"); TEXT → string, or
//! {"text_hex": "..."} when it is not valid UTF-8 or holds a NUL (which jsonb cannot);
//! BLOB → {"blob_hex": "..."}. A text or blob over 8 MB is kept as its first kilobyte
//! and its length, `{"blob_hex": "<first 1024 bytes>", "bytes": N, "truncated": true}`
//! (the rowid finds the rest in SQLite): a rejected row must never cost an allocation
//! of twice the value.

use crate::error::{LiteportError, Result};
use pgrx::pg_sys::errcodes::PgSqlErrorCode;
use pgrx::prelude::*;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Reject {
    pub server: String,
    pub source_table: String,
    pub target: String,
    pub rowid: Option<i64>,
    pub column: String,
    pub sqlstate: PgSqlErrorCode,
    pub error: String,
    pub row: Value,
}

/// Values up to this many bytes are filed whole.
const MAX_VERBATIM_BYTES: usize = 8 << 20;
const TRUNCATED_PREFIX_BYTES: usize = 1024;

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

fn truncated(key: &str, bytes: &[u8]) -> Value {
    json!({ key: hex(&bytes[..TRUNCATED_PREFIX_BYTES.min(bytes.len())]), "bytes": bytes.len(), "truncated": true })
}

/// A text or blob too large to read at all (over 1 GB): its length.
pub fn oversized_json(is_blob: bool, len: usize) -> Value {
    json!({ if is_blob { "blob_hex" } else { "text_hex" }: "", "bytes": len, "truncated": true })
}

pub fn real_json(v: f64) -> Value {
    serde_json::Number::from_f64(v).map(Value::Number).unwrap_or_else(|| Value::String(format!("{v:?}").replace("inf", "Infinity")))
}

pub fn text_json(bytes: &[u8]) -> Value {
    if bytes.len() > MAX_VERBATIM_BYTES {
        return truncated("text_hex", bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.contains('\0') => Value::String(s.to_string()),
        _ => json!({ "text_hex": hex(bytes) }),
    }
}

pub fn blob_json(bytes: &[u8]) -> Value {
    if bytes.len() > MAX_VERBATIM_BYTES {
        return truncated("blob_hex", bytes);
    }
    json!({ "blob_hex": hex(bytes) })
}

/// The five-character SQLSTATE of an error code (Postgres packs it six bits a character).
pub fn sqlstate_text(code: PgSqlErrorCode) -> String {
    let mut packed = code as i32;
    let mut out = String::with_capacity(5);
    for _ in 0..5 {
        out.push(char::from(((packed & 0x3F) as u8) + b'0'));
        packed >>= 6;
    }
    out
}

/// File one reject. Runs inside the scan, in the scan's transaction: if the load
/// fails later, the rejects go with it.
pub fn record(reject: &Reject) -> Result<()> {
    Spi::run_with_args(
        "INSERT INTO liteport.rejects (server, source_table, target, rowid, column_name, sqlstate, error, \"row\") \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::pg_catalog.jsonb)",
        &[
            reject.server.as_str().into(),
            reject.source_table.as_str().into(),
            reject.target.as_str().into(),
            reject.rowid.into(),
            reject.column.as_str().into(),
            sqlstate_text(reject.sqlstate).as_str().into(),
            reject.error.as_str().into(),
            reject.row.to_string().as_str().into(),
        ],
    )
    .map_err(|e| LiteportError::Internal(format!("filing a rejected row in liteport.rejects: {e}")))
}

/// Rejects filed for a target table (by the current role: the table has row security).
pub fn count_for(target: &str) -> i64 {
    Spi::get_one_with_args::<i64>("SELECT pg_catalog.count(*) FROM liteport.rejects WHERE target OPERATOR(pg_catalog.=) $1", &[target.into()])
        .ok()
        .flatten()
        .unwrap_or(0)
}

/// Forget earlier rejects of a target that is about to be loaded afresh.
pub fn clear_for(target: &str) {
    Spi::run_with_args("DELETE FROM liteport.rejects WHERE target OPERATOR(pg_catalog.=) $1", &[target.into()]).unwrap_or_else(|e| panic!("clearing liteport.rejects: {e}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_encode_losslessly() {
        assert_eq!(text_json(b"abc"), json!("abc"));
        assert_eq!(text_json(b"a\0b"), json!({"text_hex": "610062"}));
        assert_eq!(text_json(&[0xff, 0x41]), json!({"text_hex": "ff41"}));
        assert_eq!(blob_json(&[1, 2]), json!({"blob_hex": "0102"}));
        assert_eq!(real_json(1.5), json!(1.5));
        assert_eq!(real_json(f64::INFINITY), json!("Infinity"));
        assert_eq!(real_json(f64::NEG_INFINITY), json!("-Infinity"));
        let big = vec![0xabu8; MAX_VERBATIM_BYTES + 1];
        let v = blob_json(&big);
        assert_eq!(v["bytes"], json!(MAX_VERBATIM_BYTES + 1));
        assert_eq!(v["blob_hex"].as_str().unwrap().len(), 2 * TRUNCATED_PREFIX_BYTES);
        assert_eq!(oversized_json(true, 2_000_000_000)["bytes"], json!(2_000_000_000u64));
    }

    #[test]
    fn sqlstates_unpack_to_their_five_characters() {
        assert_eq!(sqlstate_text(PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION), "22P02");
        assert_eq!(sqlstate_text(PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), "22003");
    }
}
