//! Threads that step a connection's statements while the backend converts rows
//! (`liteport.read_ahead`). The connection only needs to stop them before the backend
//! uses it; what a reader is lives in `fdw::read_ahead`, which depends on this module
//! and not the other way round.

/// A thread stepping one statement of a connection.
pub trait PausableReader {
    /// Stop stepping and keep what was read; the owner resumes when it needs more.
    fn pause(&self);
}
