//! The one place where outcomes become exit statuses: 0 success, 1 a command
//! failed, 2 usage error, 3 could not connect or log in, 130 interrupted.

use std::process::ExitCode;

use crate::shell::Outcome;

/// Success.
pub const SUCCESS: u8 = 0;
/// A command failed (the server refused, a local file error).
pub const FAILURE: u8 = 1;
/// The command line was wrong (clap exits with 2 itself).
pub const USAGE: u8 = 2;
/// Could not connect or log in.
pub const CONNECT: u8 = 3;
/// Interrupted by Ctrl-C.
pub const INTERRUPTED: u8 = 130;

/// The exit status for how a session ended.
pub fn for_outcome(outcome: Outcome) -> ExitCode {
    ExitCode::from(status(outcome))
}

/// The exit status number for how a session ended.
pub fn status(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Success => SUCCESS,
        Outcome::Failed => FAILURE,
        Outcome::ConnectFailed => CONNECT,
        Outcome::Interrupted => INTERRUPTED,
    }
}
