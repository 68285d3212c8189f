//! rftp: a fast, safe, friendly FTP client.
//!
//! The library holds the FTP protocol ([`protocol`]), which never touches the
//! terminal, and the pieces the `rftp` binary builds on.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// rftp is Unix software: local files are reached through folder handles
// with `openat` and `O_NOFOLLOW` (localfs), permission bits and owners
// decide what may be written, and the `nix` crate makes the system calls.
// Say so on other targets, beside the errors of the Unix-only code.
#[cfg(not(unix))]
compile_error!(
    "rftp runs on Unix only: Linux (tested); macOS and FreeBSD compile but are untested; Windows is not supported"
);

/// Prints a line on standard output, with control characters from the
/// server made harmless on a terminal ([`display`]). A closed pipe
/// (`rftp ls URL | head -1`) ends the output quietly; other write failures
/// are remembered for the exit status ([`output`]).
macro_rules! outln {
    ($($arg:tt)*) => {{
        $crate::output::line(&format!($($arg)*));
    }};
}

/// Prints a diagnostic on standard error: URL passwords hidden and control
/// characters escaped, terminal or not ([`display::for_stderr`]).
macro_rules! errln {
    ($($arg:tt)*) => {{
        let line = format!($($arg)*);
        eprintln!("{}", $crate::display::for_stderr(&line));
    }};
}

pub mod argv;
pub mod batch;
pub mod cli;
pub mod config;
pub mod display;
pub mod exit;
pub mod localfs;
pub mod names;
pub mod oneshot;
pub mod output;
pub mod password;
pub mod progress;
pub mod protocol;
#[cfg(feature = "server")]
pub mod serve;
#[cfg(feature = "server")]
pub mod server;
pub mod shell;
pub mod transfer;
pub mod url;
