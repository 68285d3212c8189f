//! rftp's library: the FTP protocol ([`protocol`]), the ftplib of rftp,
//! which never touches the terminal, reads no environment and imports
//! nothing else from rftp; and the embedded FTP server ([`server`]) that
//! `rftp serve`, `rftp demo` and the test suite run.
//!
//! Everything else (the session layer, transfers, the shell, the one-shot
//! commands) is the `rftp` binary's own, private to it.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod password;
pub mod protocol;
#[cfg(feature = "server")]
pub mod server;
