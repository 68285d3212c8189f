//! `--limit-rate`: a token bucket shared by every connection of one command,
//! applied to the data path as `Read`/`Write` adapters (like the progress
//! adapters), so the protocol module never knows a limit exists.
//!
//! The bucket holds at most a tenth of a second's worth of bytes (the
//! burst). A taker reserves its bytes at once, going into debt when the
//! bucket has too few, and then sleeps until the debt is paid: several
//! connections taking from one bucket queue up behind each other's debt,
//! so together they move no more than the rate. Nothing is held locked
//! while sleeping.
//!
//! The adapters pass at most one burst per call, so a wait is short and
//! Ctrl-C (checked every few milliseconds while waiting) ends it at once.
//! Waiting for tokens happens outside the data connection's reads and
//! writes, so it never counts against the stall rule, which times only
//! those; rates under 1 KiB/s are refused anyway ([`MIN_RATE`]).

use crate::protocol::shared::lock;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The lowest rate accepted: below it a chunk of a data connection would
/// wait for minutes, and servers end data connections idle that long.
pub const MIN_RATE: u64 = 1024;

/// How long the bucket's burst lasts at the full rate.
const BURST: Duration = Duration::from_millis(100);

/// The longest sleep between two looks at Ctrl-C.
const NAP: Duration = Duration::from_millis(20);

/// A rate limit shared by all connections of one command.
#[derive(Debug)]
pub struct RateLimit {
    /// Bytes per second.
    rate: u64,
    /// The most bytes the bucket holds, and the most an adapter passes in
    /// one call.
    burst: u64,
    bucket: Mutex<Bucket>,
    /// Set by Ctrl-C: a wait ends at once.
    interrupted: Arc<AtomicBool>,
}

/// The bucket's level: bytes allowed now, negative while in debt.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    /// When `tokens` was last brought up to date.
    refilled: Instant,
}

impl RateLimit {
    /// A full bucket for `rate` bytes per second; a wait ends early when
    /// `interrupted` is set (the session's Ctrl-C flag).
    pub fn new(rate: u64, interrupted: Arc<AtomicBool>) -> RateLimit {
        let rate = rate.max(1);
        let burst = (rate as f64 * BURST.as_secs_f64()).ceil().max(1.0) as u64;
        RateLimit {
            rate,
            burst,
            bucket: Mutex::new(Bucket { tokens: burst as f64, refilled: Instant::now() }),
            interrupted,
        }
    }

    /// Waits until `n` more bytes are allowed, taking them. Fails with
    /// [`io::ErrorKind::Other`] ("interrupted") at once on Ctrl-C, not with
    /// `Interrupted`, which readers and writers retry.
    pub fn take(&self, n: u64) -> io::Result<()> {
        let debt = {
            let mut bucket = lock(&self.bucket);
            let now = Instant::now();
            let earned = now.duration_since(bucket.refilled).as_secs_f64() * self.rate as f64;
            bucket.tokens = (bucket.tokens + earned).min(self.burst as f64) - n as f64;
            bucket.refilled = now;
            -bucket.tokens
        };
        if debt <= 0.0 {
            return Ok(());
        }
        let until = Instant::now() + Duration::from_secs_f64(debt / self.rate as f64);
        loop {
            if self.interrupted.load(Ordering::SeqCst) {
                return Err(io::Error::other("interrupted while waiting for the rate limit"));
            }
            let Some(left) = until.checked_duration_since(Instant::now()).filter(|left| !left.is_zero()) else {
                return Ok(());
            };
            std::thread::sleep(left.min(NAP));
        }
    }

    /// The most bytes to move in one call: one burst. Reads of a paced
    /// download are no larger either, so the server's sends go on steadily
    /// rather than stopping while one large read is paid for.
    pub fn burst(&self) -> usize {
        usize::try_from(self.burst).unwrap_or(usize::MAX)
    }

    /// At most one burst of `wanted` bytes.
    fn chunk(&self, wanted: usize) -> usize {
        wanted.min(self.burst())
    }
}

/// A reader or writer whose bytes are paced by a [`RateLimit`] (none: passed
/// through untouched).
pub struct Limited<'a, T> {
    inner: T,
    limit: Option<&'a RateLimit>,
}

impl<'a, T> Limited<'a, T> {
    /// Paces `inner` by `limit`.
    pub fn new(inner: T, limit: Option<&'a RateLimit>) -> Limited<'a, T> {
        Limited { inner, limit }
    }
}

impl<R: Read> Read for Limited<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(limit) = self.limit else { return self.inner.read(buf) };
        let wanted = limit.chunk(buf.len());
        let n = self.inner.read(&mut buf[..wanted])?;
        limit.take(n as u64)?;
        Ok(n)
    }
}

impl<W: Write> Write for Limited<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(limit) = self.limit else { return self.inner.write(buf) };
        let n = self.inner.write(&buf[..limit.chunk(buf.len())])?;
        limit.take(n as u64)?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(rate: u64) -> RateLimit {
        RateLimit::new(rate, Arc::new(AtomicBool::new(false)))
    }

    /// Seconds `f` took.
    fn timed(f: impl FnOnce()) -> f64 {
        let started = Instant::now();
        f();
        started.elapsed().as_secs_f64()
    }

    #[test]
    fn a_full_bucket_lets_a_tenth_of_a_second_through_at_once() {
        let bucket = limit(1 << 20);
        assert_eq!(bucket.burst, 104_858);
        assert!(timed(|| bucket.take(100_000).unwrap()) < 0.02);
        // The next 100 KB must wait for nearly their own tenth of a second.
        let waited = timed(|| bucket.take(100_000).unwrap());
        assert!((0.08..0.3).contains(&waited), "{waited}");
    }

    #[test]
    fn the_bucket_refills_with_time_but_never_beyond_the_burst() {
        let bucket = limit(100_000);
        bucket.take(10_000).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        // Three tenths of a second earned, one kept: a burst goes at once,
        // and the next burst waits its tenth.
        assert!(timed(|| bucket.take(10_000).unwrap()) < 0.02);
        let waited = timed(|| bucket.take(10_000).unwrap());
        assert!((0.08..0.3).contains(&waited), "{waited}");
    }

    #[test]
    fn many_threads_share_one_rate() {
        let bucket = limit(1 << 20);
        // Four threads, 160 KiB each: 640 KiB at 1 MiB/s, less the burst.
        let took = timed(|| {
            std::thread::scope(|scope| {
                for _ in 0..4 {
                    scope.spawn(|| {
                        for _ in 0..10 {
                            bucket.take(16 << 10).unwrap();
                        }
                    });
                }
            })
        });
        assert!((0.5..1.5).contains(&took), "{took}");
    }

    #[test]
    fn ctrl_c_ends_a_wait_at_once() {
        let interrupted = Arc::new(AtomicBool::new(false));
        let bucket = RateLimit::new(1024, interrupted.clone());
        let flag = interrupted.clone();
        let pressed = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            flag.store(true, Ordering::SeqCst);
        });
        let mut result = Ok(());
        // Ten seconds' worth of debt.
        let took = timed(|| result = bucket.take(10 << 10));
        pressed.join().unwrap();
        let error = result.unwrap_err();
        assert_ne!(error.kind(), io::ErrorKind::Interrupted, "which readers would retry");
        assert!(took < 0.5, "{took}");
    }

    #[test]
    fn adapters_pace_in_bursts_and_pass_bytes_unchanged() {
        let bucket = limit(64 << 10);
        let data: Vec<u8> = (0..32u32 << 10).map(|i| i as u8).collect();
        let mut out = Vec::new();
        // 32 KiB at 64 KiB/s, less the 6.4 KiB burst: about 0.4 s.
        let took = timed(|| {
            io::copy(&mut Limited::new(&data[..], Some(&bucket)), &mut out).unwrap();
        });
        assert_eq!(out, data);
        assert!((0.3..1.0).contains(&took), "{took}");
        let mut written = Limited::new(Vec::new(), Some(&bucket));
        assert_eq!(written.write(&data).unwrap(), bucket.burst as usize, "one burst per call");
        let mut unlimited = Limited::new(Vec::new(), None);
        assert_eq!(unlimited.write(&data).unwrap(), data.len(), "no limit: untouched");
    }
}
