//! rftp: a fast, safe, friendly FTP client.
//!
//! The library holds the FTP protocol ([`protocol`]), which never touches the
//! terminal, and the pieces the `rftp` binary builds on.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Prints a line on standard output, with control characters from the
/// server made harmless on a terminal ([`display`]). A closed pipe
/// (`rftp ls URL | head -1`) is not an error worth a panic: the output is
/// simply no longer wanted.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let line = format!($($arg)*);
        let _ = writeln!(std::io::stdout(), "{}", $crate::display::for_stdout(&line));
    }};
}

/// Prints a line on standard error, with control characters from the
/// server made harmless on a terminal ([`display`]).
macro_rules! errln {
    ($($arg:tt)*) => {{
        let line = format!($($arg)*);
        eprintln!("{}", $crate::display::for_stderr(&line));
    }};
}

pub mod batch;
pub mod cli;
pub mod config;
pub mod display;
pub mod exit;
pub mod localfs;
pub mod names;
pub mod oneshot;
pub mod progress;
pub mod protocol;
#[cfg(feature = "server")]
pub mod serve;
#[cfg(feature = "server")]
pub mod server;
pub mod shell;
pub mod transfer;
pub mod url;
