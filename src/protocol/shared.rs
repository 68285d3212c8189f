//! Small helpers the protocol needs and the `rftp` binary uses too: locking
//! a mutex whatever another thread did, and telling a device from a file.
//!
//! The protocol imports nothing from the rest of rftp, so the one copy of
//! each lives here, public, and the binary imports it from
//! `rftp::protocol::shared`.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex even if a thread panicked while holding it: the data inside
/// (a socket, a log, a queue of jobs) stays usable, and one failed thread
/// must not take the others down with it.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Takes the value out of a mutex that is no longer shared, even if a thread
/// panicked while holding it (see [`lock`]).
pub fn into_inner<T>(mutex: Mutex<T>) -> T {
    mutex.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether `file` is a character device (a terminal, `/dev/null`): such a
/// file is written in place, never cut or renamed, and on Linux it can take
/// `splice`.
#[cfg(unix)]
pub fn is_char_device(file: &std::fs::File) -> bool {
    use std::os::unix::fs::FileTypeExt;
    file.metadata().is_ok_and(|m| m.file_type().is_char_device())
}
