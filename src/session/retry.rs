//! When to try a failed step again, and how long to wait first: the retry
//! policy of issue #12. What is transient (a dropped or refused connection,
//! a timeout, `421`, `425`, `426`, `450`, `451`) is retried with a doubling
//! wait and some jitter; what is permanent (other `5xx`, a refused login,
//! a certificate, a local error, Ctrl-C) never is.

// Used by the retry work of issue #12 as it lands.
#![cfg_attr(not(test), allow(dead_code))]

use std::hash::{BuildHasher, Hasher};
use std::io;
use std::time::Duration;

use crate::protocol;
use crate::transfer::TransferError;

/// How often and how patiently to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries after the first (`--retries`; 0 never tries again).
    pub retries: u32,
    /// The wait before the first retry (`--retry-wait`); it doubles each time.
    pub first_wait: Duration,
    /// The longest wait between two tries.
    pub max_wait: Duration,
}

/// Tries after the first unless told otherwise.
pub const DEFAULT_RETRIES: u32 = 5;
/// The first wait unless told otherwise.
pub const DEFAULT_FIRST_WAIT: Duration = Duration::from_secs(1);
/// No wait between two tries is longer than this.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy { retries: DEFAULT_RETRIES, first_wait: DEFAULT_FIRST_WAIT, max_wait: MAX_WAIT }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1 for the first retry): the
    /// first wait doubled `attempt - 1` times, at most the cap, plus or
    /// minus up to a quarter of it, so that connections cut together do not
    /// all come back at the same instant.
    pub fn wait_before(&self, attempt: u32) -> Duration {
        let doubled = self.first_wait.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let base = doubled.min(self.max_wait);
        let quarter = base / 4;
        if quarter.is_zero() {
            return base;
        }
        // A fraction in [0, 1) from the standard library's random seed.
        let fraction = (random_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (base - quarter) + quarter.mul_f64(2.0 * fraction)
    }
}

/// A random number from the standard library's hash seed (rftp needs no
/// more randomness than jitter, and no crate for it).
fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos() as u64
    );
    hasher.finish()
}

/// Reply codes that ask to try again later (RFC 959 §4.2: 4yz is transient).
const TRANSIENT_CODES: [u16; 5] = [421, 425, 426, 450, 451];

/// Whether `error` from the protocol is worth trying again.
pub fn is_transient(error: &protocol::Error) -> bool {
    use protocol::Error;
    match error {
        Error::Temporary { .. } | Error::UnexpectedReply { .. } => {
            error.code().is_some_and(|code| TRANSIENT_CODES.contains(&code))
        }
        Error::ConnectionClosed(_)
        | Error::SessionLost(_)
        | Error::Timeout { .. }
        | Error::Stalled { .. }
        | Error::Incomplete { .. }
        | Error::Truncated { .. } => true,
        Error::Io { source, .. } => is_transient_io(source),
        _ => false,
    }
}

/// Network failures that a new connection may not meet: refused, reset,
/// aborted, unreachable for now, or cut.
fn is_transient_io(error: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        error.kind(),
        ConnectionRefused
            | ConnectionReset
            | ConnectionAborted
            | BrokenPipe
            | UnexpectedEof
            | TimedOut
            | WouldBlock
            | NotConnected
            | HostUnreachable
            | NetworkUnreachable
            | NetworkDown
    )
}

/// Whether a failed transfer is worth trying again: only failures of the
/// server or the network, never local ones, refused names or Ctrl-C.
pub fn transfer_is_transient(error: &TransferError) -> bool {
    match error {
        TransferError::Ftp(e) | TransferError::WrongBytes { error: e, .. } => is_transient(e),
        TransferError::Partial { error, .. } => transfer_is_transient(error),
        _ => false,
    }
}

/// The line that says a retry is coming:
/// `retrying f.bin in 2 s (3/5): 426 Connection closed; transfer aborted`.
pub fn retry_line(
    what: &str,
    wait: Duration,
    attempt: u32,
    policy: &RetryPolicy,
    error: &dyn std::fmt::Display,
) -> String {
    let seconds = wait.as_secs_f64();
    let wait = if seconds < 10.0 { format!("{seconds:.1} s") } else { format!("{seconds:.0} s") };
    format!("retrying {what} in {wait} ({attempt}/{}): {error}", policy.retries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{Error, Reply, ReplyCode};

    fn reply(code: u16) -> Error {
        let reply = Reply::new(ReplyCode::new(code).expect("a code"), vec![format!("{code} text")]);
        Error::from_reply("RETR f", reply)
    }

    #[test]
    fn transient_replies_and_network_failures_are_retried() {
        for code in TRANSIENT_CODES {
            assert!(is_transient(&reply(code)), "{code}");
        }
        for code in [530, 550, 552, 553, 500, 502, 504, 331] {
            assert!(!is_transient(&reply(code)), "{code}");
        }
        assert!(is_transient(&Error::ConnectionClosed(None)));
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(is_transient(&Error::Io { context: "connecting".into(), source: refused }));
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        assert!(!is_transient(&Error::Io { context: "connecting".into(), source: denied }));
        assert!(!is_transient(&Error::Aborted), "Ctrl-C is never retried");
        assert!(!is_transient(&Error::Tls("certificate".into())));
    }

    #[test]
    fn local_failures_are_not_retried() {
        let local = TransferError::Local { context: "f".into(), source: io::Error::from(io::ErrorKind::StorageFull) };
        assert!(!transfer_is_transient(&local));
        let kept = TransferError::Partial { error: Box::new(reply(426).into()), kept: "f.part".into() };
        assert!(transfer_is_transient(&kept));
    }

    #[test]
    fn waits_double_up_to_the_cap_with_jitter() {
        let policy = RetryPolicy { retries: 10, first_wait: Duration::from_secs(2), max_wait: Duration::from_secs(20) };
        for (attempt, base) in [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (5, 20.0), (9, 20.0)] {
            let wait = policy.wait_before(attempt).as_secs_f64();
            assert!(wait >= base * 0.75 && wait <= base * 1.25, "attempt {attempt}: {wait}");
        }
        let none = RetryPolicy { first_wait: Duration::ZERO, ..policy };
        assert_eq!(none.wait_before(3), Duration::ZERO);
    }

    #[test]
    fn the_retry_line_names_the_file_the_count_and_the_reply() {
        let policy = RetryPolicy { retries: 5, ..RetryPolicy::default() };
        let line = retry_line("f.bin", Duration::from_secs(2), 3, &policy, &reply(426));
        assert!(line.starts_with("retrying f.bin in 2.0 s (3/5): "), "{line}");
        assert!(line.contains("426"), "{line}");
    }
}
