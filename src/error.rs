//! One error type for all of liteport, and the one place that maps it to SQLSTATEs.
//!
//! Every failure a user can cause (a bad option, a missing file, a value that does not
//! convert) is a variant here, and `report()` turns it into a Postgres ERROR with the
//! variant's SQLSTATE and hint. The exceptions raise Postgres's own errors with
//! Postgres's own codes: privilege checks (aclcheck_error), the coercion helpers'
//! messages (coerce/sql.rs, which name the SQL function), a server of another wrapper
//! (fdw/server.rs) and IMPORT's remote schema (fdw/import.rs).

use pgrx::pg_sys::errcodes::PgSqlErrorCode;
use std::fmt;

/// Where in a result a bad value sits: SQLite's rowid when the relation has one,
/// else the 1-based row number within the scan (views, WITHOUT ROWID tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowRef {
    Rowid(i64),
    RowNumber(u64),
}

impl fmt::Display for RowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowRef::Rowid(id) => write!(f, "rowid {id}"),
            RowRef::RowNumber(n) => write!(f, "row {n} of the scan"),
        }
    }
}

/// Why a stored SQLite value could not become the column's Postgres value.
/// Each kind has its own SQLSTATE, the one Postgres itself uses for the same failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionKind {
    /// Number outside the target type's range (22003).
    OutOfRange,
    /// Text that is not a valid literal of the target type (22P02).
    InvalidText,
    /// Text that is not a valid date/time, or an impossible date (22007).
    InvalidDatetime,
    /// Date/time outside Postgres's supported range (22008).
    DatetimeOverflow,
    /// Invalid UTF-8 or a NUL byte in text (22021).
    BadEncoding,
    /// Text longer than varchar(n)/char(n) allows (22001).
    TooLong,
    /// A storage class that this target type never accepts, e.g. a blob for an integer (HV004).
    WrongStorageClass,
    /// A value larger than Postgres can hold in one field (1 GB) (54000).
    TooLarge,
    /// The target type's own input function refused the value, with this SQLSTATE.
    Rejected(PgSqlErrorCode),
}

impl ConversionKind {
    pub fn sqlstate(self) -> PgSqlErrorCode {
        use PgSqlErrorCode::*;
        match self {
            ConversionKind::OutOfRange => ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
            ConversionKind::InvalidText => ERRCODE_INVALID_TEXT_REPRESENTATION,
            ConversionKind::InvalidDatetime => ERRCODE_INVALID_DATETIME_FORMAT,
            ConversionKind::DatetimeOverflow => ERRCODE_DATETIME_FIELD_OVERFLOW,
            ConversionKind::BadEncoding => ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
            ConversionKind::TooLong => ERRCODE_STRING_DATA_RIGHT_TRUNCATION,
            ConversionKind::WrongStorageClass => ERRCODE_FDW_INVALID_DATA_TYPE,
            ConversionKind::TooLarge => ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            ConversionKind::Rejected(code) => code,
        }
    }
}

/// The failure of one value, without knowing yet where it sits. The scan adds the
/// server, table, column and row to make a [`LiteportError::Conversion`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    pub kind: ConversionKind,
    pub reason: String,
}

impl ValueError {
    pub fn new(kind: ConversionKind, reason: impl Into<String>) -> Self {
        ValueError { kind, reason: reason.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LiteportError {
    #[error("liteport server \"{server}\": cannot open SQLite database \"{path}\": {reason}")]
    Connect { server: String, path: String, reason: String },

    #[error("liteport server \"{server}\": \"{path}\" is not a SQLite database: {reason}")]
    NotSqlite { server: String, path: String, reason: String },

    #[error("liteport server \"{server}\": SQLite error {doing}: {message}")]
    Sqlite { server: String, doing: String, message: String },

    #[error("liteport server \"{server}\": SQLite table or view \"{table}\" does not exist")]
    TableNotFound { server: String, table: String },

    #[error("liteport server \"{server}\": SQLite table \"{table}\" has no column \"{column}\"")]
    ColumnNotFound { server: String, table: String, column: String },

    #[error("liteport server \"{server}\": SQLite view \"{table}\" calls function {function}(), which only the application that wrote the file defines")]
    MissingFunction { server: String, table: String, function: String },

    #[error("liteport server \"{server}\", table \"{table}\", column \"{column}\", {row}: cannot convert {value} to {target}: {reason}")]
    Conversion {
        server: String,
        table: String,
        column: String,
        row: RowRef,
        value: String,
        target: String,
        kind: ConversionKind,
        reason: String,
    },

    #[error("liteport: column \"{column}\" of foreign table \"{table}\" has type {type_name}, which liteport cannot read into")]
    UnsupportedType { table: String, column: String, type_name: String },

    #[error("liteport: invalid option \"{name}\"")]
    InvalidOption { name: String, valid: Vec<&'static str> },

    #[error("liteport: invalid value for option \"{name}\": {reason}")]
    InvalidOptionValue { name: String, reason: String },

    #[error("liteport: {what}")]
    MissingOption { what: String },

    #[error("liteport: {what}")]
    InvalidArgument { what: String },

    #[error("liteport.migrate did not start: the data check found rows the target would refuse: {what}")]
    WouldFail { what: String },

    #[error("liteport: {what}")]
    AlreadyExists { what: String, hint: String },

    #[error("liteport: permission denied {what}")]
    PermissionDenied { what: String, hint: String },

    #[error("liteport server \"{server}\": canceling statement due to user request")]
    Interrupted { server: String },

    /// The file changed under a connection that cannot see writers: what was read in
    /// this transaction may mix two states of the file.
    #[error("liteport server \"{server}\": \"{path}\" changed while this transaction was reading it ({what})")]
    SourceChanged { server: String, path: String, what: String },

    /// A reader of a resumable or parallel migration could not begin at the state the
    /// migration reads (src/sqlite/snapshot.rs).
    #[error("liteport server \"{server}\": \"{path}\" is not in the state this migration reads: {what}")]
    StateLost { server: String, path: String, what: String },

    #[error("liteport server \"{server}\": \"{path}\" is locked by another process; gave up after waiting {waited_ms} ms (busy_timeout_ms)")]
    Locked { server: String, path: String, waited_ms: i64 },

    #[error("liteport server \"{server}\": SQLite ran out of memory {doing} (liteport.sqlite_memory_limit is {limit_kb} kB)")]
    OutOfMemory { server: String, doing: String, limit_kb: i64 },

    /// A load that checks values by the survey's rules (`profile::survey::ReadAs`)
    /// met one its column's declared type does not read: liteport.migrate surveys
    /// every value and starts again. Never reaches the user but as an internal error.
    #[error("liteport: \"{table}\".\"{column}\" holds a value its declared type does not read (the load was to be started again)")]
    DeclaredTypeUnreadable { table: String, column: String },

    #[error("liteport: {0}")]
    Internal(String),
}

impl LiteportError {
    pub fn sqlstate(&self) -> PgSqlErrorCode {
        use PgSqlErrorCode::*;
        match self {
            LiteportError::Connect { .. } | LiteportError::NotSqlite { .. } => {
                ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION
            }
            LiteportError::Sqlite { .. } => ERRCODE_FDW_ERROR,
            LiteportError::TableNotFound { .. } => ERRCODE_FDW_TABLE_NOT_FOUND,
            LiteportError::ColumnNotFound { .. } => ERRCODE_FDW_COLUMN_NAME_NOT_FOUND,
            LiteportError::MissingFunction { .. } => ERRCODE_UNDEFINED_FUNCTION,
            LiteportError::Conversion { kind, .. } => kind.sqlstate(),
            LiteportError::UnsupportedType { .. } => ERRCODE_FDW_INVALID_DATA_TYPE,
            LiteportError::InvalidOption { .. } => ERRCODE_FDW_INVALID_OPTION_NAME,
            LiteportError::InvalidOptionValue { .. } => ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE,
            LiteportError::MissingOption { .. } => ERRCODE_FDW_OPTION_NAME_NOT_FOUND,
            LiteportError::InvalidArgument { .. } => ERRCODE_INVALID_PARAMETER_VALUE,
            LiteportError::WouldFail { .. } => ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION,
            LiteportError::PermissionDenied { .. } => ERRCODE_INSUFFICIENT_PRIVILEGE,
            LiteportError::AlreadyExists { .. } => ERRCODE_DUPLICATE_TABLE,
            LiteportError::Interrupted { .. } => ERRCODE_QUERY_CANCELED,
            LiteportError::SourceChanged { .. } | LiteportError::StateLost { .. } => ERRCODE_T_R_SERIALIZATION_FAILURE,
            LiteportError::Locked { .. } => ERRCODE_LOCK_NOT_AVAILABLE,
            LiteportError::OutOfMemory { .. } => ERRCODE_OUT_OF_MEMORY,
            LiteportError::Internal(_) | LiteportError::DeclaredTypeUnreadable { .. } => ERRCODE_INTERNAL_ERROR,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            LiteportError::InvalidOption { valid, .. } => Some(if valid.is_empty() {
                "There are no valid options in this context.".to_string()
            } else {
                format!("Valid options in this context are: {}", valid.join(", "))
            }),
            LiteportError::PermissionDenied { hint, .. } | LiteportError::AlreadyExists { hint, .. } => Some(hint.clone()),
            LiteportError::MissingFunction { .. } => Some(
                "Import the view as a table from a database that has the function, or leave it out with EXCEPT.".into(),
            ),
            LiteportError::SourceChanged { .. } => Some(
                "Retry the transaction. The file was opened without the application's shared memory (a WAL file with no -wal/-shm, or a large object), so SQLite could not hold a snapshot against writers.".into(),
            ),
            LiteportError::StateLost { .. } => Some("Every chunk and worker of a migration reads the state it began on, so that the tables match one state of the file. Call it again to begin on the current state.".into()),
            LiteportError::Locked { .. } => Some("Raise the server's busy_timeout_ms option, or retry when the application's write has finished.".into()),
            LiteportError::OutOfMemory { .. } => Some("A superuser can raise liteport.sqlite_memory_limit; sorting in a SQLite view (ORDER BY) is the usual cause.".into()),
            LiteportError::Conversion { server, kind, .. } if *kind != ConversionKind::TooLarge => Some(format!(
                "SQLite does not enforce declared types: SELECT * FROM liteport.profile({}) shows what the column holds. \
                 IMPORT FOREIGN SCHEMA ... OPTIONS (types 'inferred') chooses types that hold every stored value (types 'text' reads every value as stored); \
                 in liteport.migrate, {{\"on_error\": \"reject\"}} files such rows in liteport.rejects instead of stopping.",
                crate::fdw::import_sql::pg_literal(server)
            )),
            LiteportError::WouldFail { .. } => Some("SELECT kind, object, note FROM liteport.plan(server, schema, options) WHERE kind = 'data check' shows every finding.".into()),
            LiteportError::UnsupportedType { .. } => {
                Some("Declare the column as text or bytea and convert it in SQL.".into())
            }
            _ => None,
        }
    }

    /// Raise this error as a Postgres ERROR. Never returns.
    pub fn report(self) -> ! {
        let mut report = pgrx::pg_sys::panic::ErrorReport::new(self.sqlstate(), self.to_string(), "liteport");
        if let Some(hint) = self.hint() {
            report = report.set_hint(hint);
        }
        report.report(pgrx::PgLogLevel::ERROR);
        unreachable!("an ERROR report returns control to Postgres")
    }
}

pub type Result<T, E = LiteportError> = std::result::Result<T, E>;

/// `.or_report()` turns a liteport `Result` into its value or a Postgres ERROR.
pub trait OrReport<T> {
    fn or_report(self) -> T;
}

impl<T> OrReport<T> for Result<T> {
    fn or_report(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => e.report(),
        }
    }
}

unsafe extern "C" {
    // Variadic, so not among pgrx's bindings: the function behind errcontext().
    fn errcontext_msg(fmt: *const std::ffi::c_char, ...) -> std::ffi::c_int;
}

unsafe extern "C-unwind" fn add_context(arg: *mut std::ffi::c_void) {
    unsafe { errcontext_msg(c"%s".as_ptr(), arg as *const std::ffi::c_char) };
}

/// While alive, any ERROR raised carries `context` as a CONTEXT line (which step of a
/// migration, which table), as Postgres's own errcontext does. Popped on drop, also
/// when an ERROR unwinds through it.
pub struct ContextScope {
    callback: Box<pgrx::pg_sys::ErrorContextCallback>,
    _message: std::ffi::CString,
}

impl ContextScope {
    pub fn push(context: &str) -> ContextScope {
        let message = std::ffi::CString::new(context.replace('\0', "")).expect("NUL removed");
        let callback = Box::new(pgrx::pg_sys::ErrorContextCallback {
            previous: unsafe { pgrx::pg_sys::error_context_stack },
            callback: Some(add_context),
            arg: message.as_ptr() as *mut std::ffi::c_void,
        });
        let mut scope = ContextScope { callback, _message: message };
        unsafe { pgrx::pg_sys::error_context_stack = scope.callback.as_mut() };
        scope
    }
}

impl Drop for ContextScope {
    fn drop(&mut self) {
        unsafe { pgrx::pg_sys::error_context_stack = self.callback.previous };
    }
}

/// Render a value for an error message: short enough to read, clearly quoted, and
/// never the whole 3 MB blob.
pub fn shorten_for_message(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    let mut out = String::with_capacity(MAX_CHARS + 8);
    out.push('\'');
    for (count, ch) in text.chars().enumerate() {
        if count == MAX_CHARS {
            out.push_str("...");
            break;
        }
        match ch {
            '\0' => out.push_str("\\0"),
            '\'' => out.push_str("''"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Render bytes (a blob, or text that is not valid UTF-8) as an SQL hex literal prefix.
pub fn shorten_bytes_for_message(bytes: &[u8]) -> String {
    const MAX_BYTES: usize = 24;
    let mut out = String::from("x'");
    for b in bytes.iter().take(MAX_BYTES) {
        out.push_str(&format!("{b:02x}"));
    }
    out.push('\'');
    if bytes.len() > MAX_BYTES {
        out.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortening_caps_long_text_and_escapes_quotes() {
        assert_eq!(shorten_for_message("it's"), "'it''s'");
        let long = "x".repeat(500);
        let short = shorten_for_message(&long);
        assert!(short.len() < 70, "{short}");
        assert!(short.ends_with("...'"));
        assert_eq!(shorten_for_message("a\0b"), "'a\\0b'");
    }

    #[test]
    fn shortening_bytes_gives_hex_and_length() {
        assert_eq!(shorten_bytes_for_message(&[0xde, 0xad]), "x'dead'");
        let s = shorten_bytes_for_message(&[0u8; 100]);
        assert!(s.ends_with("... (100 bytes)"), "{s}");
    }

    #[test]
    fn each_conversion_kind_has_the_postgres_sqlstate() {
        assert_eq!(ConversionKind::OutOfRange.sqlstate(), PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE);
        assert_eq!(ConversionKind::BadEncoding.sqlstate(), PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE);
        assert_eq!(ConversionKind::InvalidDatetime.sqlstate(), PgSqlErrorCode::ERRCODE_INVALID_DATETIME_FORMAT);
    }
}
