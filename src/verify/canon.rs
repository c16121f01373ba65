//! The canonical encoding of a row that liteport.verify hashes on both sides.
//!
//! Each column, in the target table's column order, appends a tag byte and a payload:
//!
//! | value                         | tag | payload                                   |
//! |-------------------------------|-----|-------------------------------------------|
//! | NULL                          | `N` | none                                      |
//! | smallint, integer, bigint     | `i` | the value as i64, little-endian           |
//! | real, double precision        | `f` | the value as f64's IEEE bits, little-endian (NaN: one canonical NaN) |
//! | boolean                       | `b` | 0 or 1                                    |
//! | date                          | `d` | days since 2000-01-01 as i32              |
//! | timestamp / timestamptz / time| `t` `z` `h` | microseconds as i64 (timestamptz in UTC) |
//! | uuid                          | `u` | the 16 bytes                              |
//! | text, varchar, char, bytea, json | `s` | length as u32 LE, then the bytes       |
//! | numeric, jsonb, any other type| `o` | length as u32 LE, then the type's output text |
//!
//! A row's hash is xxh3-128 of its encoding; a table's checksum is the row count
//! and the sum of its row hashes modulo 2^128. The sum does not depend on row order,
//! and unlike XOR it counts duplicate rows.

use xxhash_rust::xxh3::xxh3_128;

#[derive(Default)]
pub struct RowEncoder {
    buf: Vec<u8>,
}

impl RowEncoder {
    pub fn start(&mut self) {
        self.buf.clear();
    }
    pub fn null(&mut self) {
        self.buf.push(b'N');
    }
    pub fn int(&mut self, v: i64) {
        self.buf.push(b'i');
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn float(&mut self, v: f64) {
        let v = if v.is_nan() { f64::NAN } else { v };
        self.buf.push(b'f');
        self.buf.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    pub fn bool(&mut self, v: bool) {
        self.buf.push(b'b');
        self.buf.push(v as u8);
    }
    pub fn date(&mut self, days: i32) {
        self.buf.push(b'd');
        self.buf.extend_from_slice(&days.to_le_bytes());
    }
    /// `tag`: b't' timestamp, b'z' timestamptz, b'h' time.
    pub fn micros(&mut self, tag: u8, v: i64) {
        self.buf.push(tag);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn uuid(&mut self, bytes: &[u8]) {
        self.buf.push(b'u');
        self.buf.extend_from_slice(bytes);
    }
    /// `tag`: b's' stored bytes, b'o' output text.
    pub fn bytes(&mut self, tag: u8, bytes: &[u8]) {
        self.buf.push(tag);
        self.buf.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(bytes);
    }
    pub fn hash(&self) -> u128 {
        xxh3_128(&self.buf)
    }
}

/// Row count and the wrapping sum of row hashes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Checksum {
    pub rows: i64,
    sum: u128,
}

impl Checksum {
    pub fn add(&mut self, row_hash: u128) {
        self.rows += 1;
        self.sum = self.sum.wrapping_add(row_hash);
    }
    pub fn hex(&self) -> String {
        format!("{:032x}", self.sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(f: impl Fn(&mut RowEncoder)) -> u128 {
        let mut e = RowEncoder::default();
        e.start();
        f(&mut e);
        e.hash()
    }

    #[test]
    fn checksum_ignores_order_but_counts_duplicates() {
        let a = row(|e| e.int(1));
        let b = row(|e| e.int(2));
        let (mut x, mut y, mut z) = (Checksum::default(), Checksum::default(), Checksum::default());
        x.add(a);
        x.add(b);
        y.add(b);
        y.add(a);
        assert_eq!(x, y);
        z.add(a);
        z.add(a);
        z.add(b);
        z.add(b);
        assert_ne!(x.hex(), z.hex(), "duplicated rows change the sum (XOR would cancel them)");
    }

    #[test]
    fn encoding_separates_values_types_and_nulls() {
        assert_ne!(row(|e| { e.bytes(b's', b"ab"); e.bytes(b's', b"c") }), row(|e| { e.bytes(b's', b"a"); e.bytes(b's', b"bc") }));
        assert_ne!(row(|e| e.null()), row(|e| e.bytes(b's', b"")));
        assert_ne!(row(|e| e.int(1)), row(|e| e.float(1.0)));
        assert_ne!(row(|e| e.float(0.0)), row(|e| e.float(-0.0)));
        assert_eq!(row(|e| e.float(f64::NAN)), row(|e| e.float(-f64::NAN)));
        assert_ne!(row(|e| e.micros(b't', 5)), row(|e| e.micros(b'z', 5)));
    }
}
