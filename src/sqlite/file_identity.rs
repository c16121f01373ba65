//! What identifies the state of a SQLite file on disk, so that liteport can tell when
//! the file it has open was replaced (`mv new.db app.db`) or written under a
//! connection that cannot see writers (an `immutable` open).
//!
//! Only `stat()`: liteport never opens the database file itself. A process that
//! closes any descriptor of a file loses every POSIX lock it holds on it, SQLite's
//! included — and without its shared lock a WAL reader lets the last writer to
//! close delete the -wal and -shm files under it, which tears its reads.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The main file's identity and state, plus whether a writer's sidecar files exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileIdentity {
    pub device: u64,
    pub inode: u64,
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    pub wal_exists: bool,
    pub shm_exists: bool,
}

impl FileIdentity {
    pub fn read(path: &str) -> std::io::Result<FileIdentity> {
        let meta = std::fs::metadata(path)?;
        Ok(FileIdentity {
            device: meta.dev(),
            inode: meta.ino(),
            size: meta.size(),
            mtime_ns: meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128,
            ctime_ns: meta.ctime() as i128 * 1_000_000_000 + meta.ctime_nsec() as i128,
            wal_exists: Path::new(&format!("{path}-wal")).exists(),
            shm_exists: Path::new(&format!("{path}-shm")).exists(),
        })
    }

    /// Another file now has this path.
    pub fn replaced_by(&self, now: &FileIdentity) -> bool {
        self.device != now.device || self.inode != now.inode
    }

    /// How `now` differs from `self`, in words, or None when nothing a reader could
    /// notice changed. Used for connections that do not see writers (immutable).
    pub fn change(&self, now: &FileIdentity) -> Option<String> {
        if self.replaced_by(now) {
            return Some("the file was replaced by another file".into());
        }
        if !self.wal_exists && now.wal_exists {
            return Some("an application opened it for writing (a -wal file appeared)".into());
        }
        if self.size != now.size {
            return Some(format!("its size changed from {} to {} bytes", self.size, now.size));
        }
        if self.mtime_ns != now.mtime_ns || self.ctime_ns != now.ctime_ns {
            return Some("it was written".into());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replacements_and_wal_files_are_seen() {
        let dir = std::env::temp_dir().join(format!("liteport_identity_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.db");
        let p = path.to_str().unwrap();
        let db = rusqlite::Connection::open(p).unwrap();
        db.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
        let before = FileIdentity::read(p).unwrap();
        assert_eq!(before.change(&FileIdentity::read(p).unwrap()), None);
        std::thread::sleep(std::time::Duration::from_millis(20));
        db.execute_batch("UPDATE t SET x = 2").unwrap();
        let after = FileIdentity::read(p).unwrap();
        assert_eq!(after.size, before.size);
        assert_eq!(before.change(&after).as_deref(), Some("it was written"));
        // Replaced by another file at the same path.
        let other = dir.join("b.db");
        std::fs::copy(p, &other).unwrap();
        std::fs::rename(&other, p).unwrap();
        let replaced = FileIdentity::read(p).unwrap();
        assert!(after.replaced_by(&replaced));
        // A -wal file appearing.
        std::fs::write(format!("{p}-wal"), b"").unwrap();
        assert!(replaced.change(&FileIdentity::read(p).unwrap()).unwrap().contains("-wal"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
