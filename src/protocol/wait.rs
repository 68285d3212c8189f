//! Bounds on waiting for the server: a [`Deadline`] for each whole wait (a
//! reply, a TLS handshake or close), and the [`StallRule`] for data
//! connections that trickle.
//!
//! A socket timeout alone bounds one read, not a wait: a server that sends
//! one byte just before each read would time out keeps us forever. So every
//! wait gets one deadline from its start, checked between reads, and each
//! read's socket timeout is set to the time left.

use std::io;
use std::time::{Duration, Instant};

/// The end of one wait for the server.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    end: Instant,
    /// How long the whole wait may last, for error messages.
    length: Duration,
}

impl Deadline {
    /// A deadline `length` from now.
    pub(crate) fn after(length: Duration) -> Deadline {
        let now = Instant::now();
        // An absurd timeout (u64::MAX seconds) cannot overflow: it just never ends.
        let end = now.checked_add(length).unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600));
        Deadline { end, length }
    }

    /// How long the whole wait may last.
    pub(crate) fn length(&self) -> Duration {
        self.length
    }

    /// The time left, or a `TimedOut` error once there is none: the value to
    /// give a socket's read timeout (which refuses zero) before each read.
    pub(crate) fn left(&self) -> io::Result<Duration> {
        match self.end.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(left),
            _ => Err(io::Error::new(io::ErrorKind::TimedOut, "the deadline passed")),
        }
    }
}

/// The fewest bytes a data connection must move in each window of the stall
/// rule: curl's `--speed-limit` in spirit, so low that only a trickle fails.
pub(crate) const STALL_MIN_BYTES: u64 = 1024;

/// The shortest window of the stall rule, whatever `--timeout` says: a
/// window of under a second would judge a healthy link by one round trip.
pub(crate) const STALL_MIN_WINDOW: Duration = Duration::from_secs(2);

/// The stall rule of data connections (curl's `--speed-limit 1024
/// --speed-time T` with T the timeout): a transfer fails when fewer than
/// [`STALL_MIN_BYTES`] moved in a window of the timeout (at least
/// [`STALL_MIN_WINDOW`]).
///
/// Each read or write already has the timeout, so a silent connection fails
/// that way; this rule ends the one that sends a byte now and then, which
/// keeps every read short and the transfer endless. Windows follow each other
/// from the transfer's start; a transfer of any length passes as long as each
/// window moves 1 KiB (17 bytes a second with the default 60 s timeout).
#[derive(Debug)]
pub(crate) struct StallRule {
    window: Duration,
    started: Instant,
    bytes: u64,
}

impl StallRule {
    /// The rule for a transfer with this timeout, its first window starting now.
    pub(crate) fn new(timeout: Duration) -> StallRule {
        StallRule { window: timeout.max(STALL_MIN_WINDOW), started: Instant::now(), bytes: 0 }
    }

    /// Counts `moved` bytes; an error once a whole window has passed with too few.
    ///
    /// Zero bytes is the end of the transfer (end of file, of the stream),
    /// which is never judged: a short last window is no stall.
    pub(crate) fn check(&mut self, moved: usize) -> io::Result<()> {
        self.check_at(moved, Instant::now())
    }

    fn check_at(&mut self, moved: usize, now: Instant) -> io::Result<()> {
        if moved == 0 {
            return Ok(());
        }
        self.bytes = self.bytes.saturating_add(moved as u64);
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed < self.window {
            return Ok(());
        }
        if self.bytes < STALL_MIN_BYTES {
            return Err(io::Error::new(io::ErrorKind::TimedOut, Stalled { bytes: self.bytes, window: elapsed }));
        }
        self.started = now;
        self.bytes = 0;
        Ok(())
    }
}

/// The error inside the `io::Error` of a stalled data connection, so that
/// callers can tell it from a plain timeout.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the data connection stalled: {bytes} bytes in the last {} s", window.as_secs())]
pub(crate) struct Stalled {
    /// Bytes moved in the window.
    pub(crate) bytes: u64,
    /// How long the window lasted.
    pub(crate) window: Duration,
}

impl Stalled {
    /// The stall behind an I/O error, if it is one.
    pub(crate) fn inside(error: &io::Error) -> Option<Stalled> {
        error.get_ref().and_then(|inner| inner.downcast_ref::<Stalled>()).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_runs_out() {
        let deadline = Deadline::after(Duration::from_millis(30));
        assert!(deadline.left().unwrap() <= Duration::from_millis(30));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(deadline.left().unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert_eq!(Deadline::after(Duration::ZERO).left().unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert!(Deadline::after(Duration::MAX).left().is_ok());
    }

    #[test]
    fn a_trickle_stalls_after_one_window() {
        let mut rule = StallRule::new(Duration::from_secs(10));
        let start = rule.started;
        let second = Duration::from_secs(1);
        for i in 1..10 {
            rule.check_at(10, start + second * i).unwrap();
        }
        let error = rule.check_at(10, start + second * 10).unwrap_err();
        let stalled = Stalled::inside(&error).expect("a stall");
        assert_eq!((stalled.bytes, stalled.window.as_secs()), (100, 10));
        assert_eq!(error.to_string(), "the data connection stalled: 100 bytes in the last 10 s");
    }

    #[test]
    fn a_slow_steady_link_and_short_pauses_pass() {
        let mut rule = StallRule::new(Duration::from_secs(4));
        let start = rule.started;
        // 1000 bytes a second for a minute, with the occasional silent second.
        for second in 1..=60u32 {
            let moved = if second % 7 == 0 { 1 } else { 1000 };
            rule.check_at(moved, start + Duration::from_secs(second.into())).unwrap();
        }
    }

    #[test]
    fn the_window_is_never_shorter_than_the_minimum() {
        let mut rule = StallRule::new(Duration::from_millis(10));
        let start = rule.started;
        rule.check_at(1, start + STALL_MIN_WINDOW - Duration::from_millis(1)).unwrap();
        assert!(rule.check_at(1, start + STALL_MIN_WINDOW).is_err());
    }
}
