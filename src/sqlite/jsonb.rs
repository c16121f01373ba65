//! SQLite's binary JSON (JSONB, SQLite 3.45+): a BLOB that SQLite's own json()
//! renders as JSON text. Applications that call jsonb() store it; json and jsonb
//! columns read it as the JSON it encodes, decoded by SQLite itself (a private
//! in-memory connection), never guessed.

use rusqlite::Connection;
use std::cell::RefCell;

thread_local! {
    static DECODER: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

/// The JSON text of a blob that strictly conforms to SQLite's JSONB format, else None.
pub fn to_json_text(blob: &[u8]) -> Option<String> {
    if blob.is_empty() {
        return None;
    }
    DECODER.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            *d = Connection::open_in_memory().ok();
        }
        let conn = d.as_ref()?;
        let text = conn
            .prepare_cached("SELECT CASE WHEN json_valid(?1, 8) THEN json(?1) END")
            .ok()?
            .query_row([blob], |r| r.get::<_, Option<String>>(0))
            .ok()
            .flatten();
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonb_blobs_decode_and_others_do_not() {
        let conn = Connection::open_in_memory().unwrap();
        let blob: Vec<u8> = conn.query_row("SELECT jsonb('{\"a\": [1, 2.5, \"x\"], \"b\": null}')", [], |r| r.get(0)).unwrap();
        assert_eq!(to_json_text(&blob).as_deref(), Some("{\"a\":[1,2.5,\"x\"],\"b\":null}"));
        assert_eq!(to_json_text(b"{\"a\": 1}"), None, "JSON text in a blob is not JSONB");
        assert_eq!(to_json_text(&[0xff, 0x00, 0x13]), None);
        assert_eq!(to_json_text(&[]), None);
    }
}
