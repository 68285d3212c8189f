//! rftp's library: the FTP protocol ([`protocol`]), the ftplib of rftp,
//! which never touches the terminal, reads no environment and imports
//! nothing else from rftp; and the embedded FTP server ([`server`]) that
//! `rftp serve`, `rftp demo` and the test suite run.
//!
//! Everything else (the session layer, transfers, the shell, the one-shot
//! commands) is the `rftp` binary's own, private to it.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// rftp is Unix software: local files are reached through folder handles
// with `openat` and `O_NOFOLLOW` (the binary's localfs), permission bits and
// owners decide what may be written, and the `nix` crate makes the system
// calls. Say so on other targets, beside the errors of the Unix-only code.
#[cfg(not(unix))]
compile_error!(
    "rftp runs on Unix only: Linux (tested); macOS and FreeBSD compile but are untested; Windows is not supported"
);

pub mod password;
pub mod protocol;
#[cfg(feature = "server")]
pub mod server;
