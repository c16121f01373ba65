//! liteport's benchmark helper, outside Postgres.
//!
//! `generate PATH ROWS`: writes the deterministic benchmark table (same bytes every
//! run: values come from a fixed hash of the row number, never from a random source).
//!
//! `step PATH SQL REPEATS [PRAGMA...]`: SQLite stepping through the rows of `SQL` by
//! itself, reading every column with the accessor its storage class needs, which is
//! the least any reader can do: the read-side limit liteport's scans are compared to.
//! Prints the median milliseconds and the row count.

use rusqlite::{ffi, params, Connection, OpenFlags};
use std::ffi::CString;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("generate") if args.len() == 4 => generate(&args[2], args[3].parse().expect("ROWS is a number")),
        Some("version") => println!("{}", rusqlite::version()),
        Some("step") if args.len() >= 5 => step(&args[2], &args[3], args[4].parse().expect("REPEATS is a number"), &args[5..]),
        _ => {
            eprintln!("usage: liteport-bench-driver generate PATH ROWS | version | step PATH SQL REPEATS [PRAGMA...]");
            std::process::exit(2);
        }
    }
}

/// splitmix64: a fixed, well-mixed function of the row number.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn iso_timestamp(epoch: i64) -> String {
    let (y, m, d) = civil_from_days(epoch.div_euclid(86_400));
    let s = epoch.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

const WORDS: &[&str] = &["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"];

/// About 100 characters of words chosen by the hash.
fn long_text(mut h: u64) -> String {
    let mut s = String::with_capacity(112);
    while s.len() < 100 {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(WORDS[(h % WORDS.len() as u64) as usize]);
        h = mix(h);
    }
    s
}

fn generate(path: &str, rows: u64) {
    let _ = std::fs::remove_file(path);
    let mut db = Connection::open(path).expect("create the database");
    db.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE TABLE bench(
             id INTEGER PRIMARY KEY,
             i INTEGER,
             b BIGINT,
             r REAL,
             short TEXT,
             long TEXT,
             ts DATETIME,
             flag BOOLEAN,
             raw BLOB);",
    )
    .expect("create the table");
    let tx = db.transaction().expect("begin");
    {
        let mut insert = tx.prepare("INSERT INTO bench VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)").expect("prepare");
        for k in 1..=rows {
            let h = mix(k);
            let h2 = mix(h);
            let i = (h % 2_000_000_000) as i64 - 1_000_000_000;
            let b = h2 as i64;
            let r = (h >> 11) as f64 / (1u64 << 53) as f64 * 1.0e6 - 5.0e5;
            let short = format!("name-{k:015}");
            let ts = iso_timestamp(1_500_000_000 + (h2 % 300_000_000) as i64);
            let flag = (h >> 7) & 1;
            let mut raw = [0u8; 16];
            raw[..8].copy_from_slice(&h.to_le_bytes());
            raw[8..].copy_from_slice(&h2.to_le_bytes());
            insert
                .execute(params![k as i64, i, b, r, short, long_text(h), ts, flag as i64, &raw[..]])
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
    db.execute_batch("ANALYZE").expect("analyze");
}

fn step(path: &str, sql: &str, repeats: usize, pragmas: &[String]) {
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).expect("open read-only");
    for pragma in pragmas {
        db.execute_batch(&format!("PRAGMA {pragma}")).expect("pragma");
    }
    let raw = unsafe { db.handle() };
    let c_sql = CString::new(sql).expect("no NUL in SQL");
    let mut times = Vec::with_capacity(repeats);
    let mut rows = 0u64;
    let mut checksum = 0u64;
    for _ in 0..repeats {
        let start = Instant::now();
        rows = 0;
        unsafe {
            let mut stmt = std::ptr::null_mut();
            assert_eq!(ffi::sqlite3_prepare_v2(raw, c_sql.as_ptr(), -1, &mut stmt, std::ptr::null_mut()), ffi::SQLITE_OK, "prepare");
            let ncols = ffi::sqlite3_column_count(stmt);
            loop {
                match ffi::sqlite3_step(stmt) {
                    ffi::SQLITE_ROW => {}
                    ffi::SQLITE_DONE => break,
                    rc => panic!("step failed: {rc}"),
                }
                rows += 1;
                for c in 0..ncols {
                    checksum = checksum.wrapping_add(match ffi::sqlite3_column_type(stmt, c) {
                        ffi::SQLITE_INTEGER => ffi::sqlite3_column_int64(stmt, c) as u64,
                        ffi::SQLITE_FLOAT => ffi::sqlite3_column_double(stmt, c).to_bits(),
                        ffi::SQLITE_TEXT => {
                            let p = ffi::sqlite3_column_text(stmt, c);
                            let n = ffi::sqlite3_column_bytes(stmt, c) as usize;
                            if n > 0 { u64::from(*p.add(n - 1)) + n as u64 } else { 0 }
                        }
                        ffi::SQLITE_BLOB => {
                            let p = ffi::sqlite3_column_blob(stmt, c) as *const u8;
                            let n = ffi::sqlite3_column_bytes(stmt, c) as usize;
                            if n > 0 { u64::from(*p) + n as u64 } else { 0 }
                        }
                        _ => 1,
                    });
                }
            }
            ffi::sqlite3_finalize(stmt);
        }
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    // The checksum is printed so the reads cannot be optimised away.
    println!("{:.1} {rows} {checksum}", times[times.len() / 2]);
}
