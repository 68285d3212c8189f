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

    /// The same deadline, `by` later (the time a person took to answer).
    pub(crate) fn later_by(self, by: Duration) -> Deadline {
        Deadline { end: self.end.checked_add(by).unwrap_or(self.end), length: self.length }
    }

    /// Whichever of the two deadlines comes first.
    pub(crate) fn earlier(self, other: Deadline) -> Deadline {
        if other.end < self.end { other } else { self }
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
/// [`STALL_MIN_WINDOW`]) spent waiting for the server.
///
/// Each read or write already has the timeout, so a silent connection fails
/// that way; this rule ends the one that sends a byte now and then, which
/// keeps every read short and the transfer endless. Windows follow each other
/// from the transfer's start; a transfer of any length passes as long as each
/// window moves 1 KiB (17 bytes a second with the default 60 s timeout).
///
/// Only time spent inside reads and writes of the data connection counts:
/// a slow local disk, or a pager that stops reading our output, is not the
/// server's stall.
#[derive(Debug)]
pub(crate) struct StallRule {
    window: Duration,
    waited: Duration,
    bytes: u64,
}

impl StallRule {
    /// The rule for a transfer with this timeout, its first window starting now.
    pub(crate) fn new(timeout: Duration) -> StallRule {
        StallRule { window: timeout.max(STALL_MIN_WINDOW), waited: Duration::ZERO, bytes: 0 }
    }

    /// Runs one read or write of the data connection (`io` returns the
    /// bytes moved), timing it; an error once a whole window passed with too
    /// few bytes.
    pub(crate) fn measure(&mut self, io: impl FnOnce() -> io::Result<usize>) -> io::Result<usize> {
        let start = Instant::now();
        let moved = io()?;
        self.count(moved, start.elapsed())?;
        Ok(moved)
    }

    /// Counts `moved` bytes that took `waited`. Zero bytes is the end of the
    /// transfer (end of file, of the stream), which is never judged: a
    /// short last window is no stall.
    fn count(&mut self, moved: usize, waited: Duration) -> io::Result<()> {
        if moved == 0 {
            return Ok(());
        }
        self.bytes = self.bytes.saturating_add(moved as u64);
        self.waited = self.waited.saturating_add(waited);
        if self.waited < self.window {
            return Ok(());
        }
        if self.bytes < STALL_MIN_BYTES {
            return Err(io::Error::new(io::ErrorKind::TimedOut, Stalled { bytes: self.bytes, window: self.waited }));
        }
        self.waited = Duration::ZERO;
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
        let (short, long) = (Deadline::after(Duration::from_secs(1)), Deadline::after(Duration::from_secs(9)));
        assert_eq!(short.earlier(long).length(), Duration::from_secs(1));
        assert_eq!(long.earlier(short).length(), Duration::from_secs(1));
    }

    #[test]
    fn a_trickle_stalls_after_one_window() {
        let mut rule = StallRule::new(Duration::from_secs(10));
        let second = Duration::from_secs(1);
        for _ in 1..10 {
            rule.count(10, second).unwrap();
        }
        let error = rule.count(10, second).unwrap_err();
        let stalled = Stalled::inside(&error).expect("a stall");
        assert_eq!((stalled.bytes, stalled.window.as_secs()), (100, 10));
        assert_eq!(error.to_string(), "the data connection stalled: 100 bytes in the last 10 s");
    }

    #[test]
    fn a_slow_steady_link_and_short_pauses_pass() {
        let mut rule = StallRule::new(Duration::from_secs(4));
        // 1000 bytes a second for a minute, with the occasional silent second.
        for second in 1..=60u32 {
            let moved = if second % 7 == 0 { 1 } else { 1000 };
            rule.count(moved, Duration::from_secs(1)).unwrap();
        }
        // The end of the stream is not judged, however long the wait for it.
        rule.count(0, Duration::from_secs(30)).unwrap();
    }

    #[test]
    fn the_window_is_never_shorter_than_the_minimum() {
        let mut rule = StallRule::new(Duration::from_millis(10));
        rule.count(1, STALL_MIN_WINDOW - Duration::from_millis(1)).unwrap();
        assert!(rule.count(1, Duration::from_millis(1)).is_err());
    }

    #[test]
    fn only_time_spent_waiting_for_the_server_counts() {
        let mut rule = StallRule::new(Duration::from_secs(2));
        rule.measure(|| Ok(10)).unwrap();
        // A long local pause between reads (a pager, a slow disk) is not waiting.
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(rule.measure(|| Ok(10)).unwrap(), 10);
        assert!(rule.waited < Duration::from_millis(50), "{:?}", rule.waited);
        let error = rule.measure(|| Err(io::Error::other("refused"))).unwrap_err();
        assert_eq!(error.to_string(), "refused");
    }
}
