//! Progress display for transfers, as `Read`/`Write` adapters: the protocol
//! code never knows a bar exists.
//!
//! On a terminal an indicatif bar (redrawn at most 10 times a second); off a
//! terminal nothing, or, for long transfers, a plain line every few seconds.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{BinaryBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How transfers report progress.
#[derive(Debug, Clone)]
pub enum ProgressMode {
    /// No progress output.
    Off,
    /// A live bar on stderr (a terminal).
    Bar,
    /// A plain line on stderr every few seconds (logs, cron).
    Lines,
    /// Add to a bar shared by several transfers (a batch's combined display).
    Shared(ProgressBar),
    /// As the mode inside, and every byte is counted here too: a batch
    /// tells from it whether a try of a file moved any data.
    Counted(Box<ProgressMode>, Arc<AtomicU64>),
}

/// The progress of one transfer.
pub struct Progress {
    bar: Option<ProgressBar>,
    lines: Option<LineReporter>,
    /// When the transfer started; the bar appears only once it has run for
    /// [`Progress::BAR_DELAY`], so quick transfers leave the screen alone.
    started: Instant,
    bar_shown: bool,
    /// The bar belongs to a batch: left on screen when this transfer ends.
    shared: bool,
    /// Where the bytes are counted too ([`ProgressMode::Counted`]).
    moved: Option<Arc<AtomicU64>>,
}

/// Prints `name: N bytes (X%) at R/s` at most every [`LineReporter::EVERY`].
struct LineReporter {
    name: String,
    total: Option<u64>,
    /// Bytes done, a resumed prefix included.
    done: u64,
    /// Bytes moved by this run, for the rate.
    moved: u64,
    started: Instant,
    last: Instant,
}

impl LineReporter {
    const EVERY: Duration = Duration::from_secs(5);

    fn new(name: &str, total: Option<u64>, done: u64) -> LineReporter {
        let now = Instant::now();
        LineReporter { name: name.to_string(), total, done, moved: 0, started: now, last: now }
    }

    /// Counts `n` more bytes; returns the line to print when one is due.
    fn add(&mut self, n: u64) -> Option<String> {
        self.done += n;
        self.moved += n;
        if self.last.elapsed() < Self::EVERY {
            return None;
        }
        self.last = Instant::now();
        let rate = self.moved as f64 / self.started.elapsed().as_secs_f64().max(1e-6);
        let percent = self.total.filter(|&t| t > 0).map(|t| format!(" ({:.0}%)", self.done as f64 * 100.0 / t as f64));
        Some(format!(
            "{}: {} bytes{} at {}/s",
            self.name,
            self.done,
            percent.unwrap_or_default(),
            BinaryBytes(rate as u64)
        ))
    }
}

impl Progress {
    /// How long a transfer runs before its bar appears.
    pub const BAR_DELAY: Duration = Duration::from_millis(300);

    /// Starts showing progress for a transfer of `total` bytes (if known), `done` already.
    pub fn start(mode: ProgressMode, name: &str, total: Option<u64>, done: u64) -> Progress {
        match mode {
            ProgressMode::Off => Progress {
                bar: None,
                lines: None,
                started: Instant::now(),
                bar_shown: false,
                shared: false,
                moved: None,
            },
            ProgressMode::Shared(bar) => Progress {
                bar: Some(bar),
                lines: None,
                started: Instant::now(),
                bar_shown: true,
                shared: true,
                moved: None,
            },
            ProgressMode::Lines => Progress {
                bar: None,
                lines: Some(LineReporter::new(name, total, done)),
                started: Instant::now(),
                bar_shown: false,
                shared: false,
                moved: None,
            },
            ProgressMode::Bar => {
                let bar = styled_bar(total, ProgressDrawTarget::hidden(), name.to_string());
                bar.set_position(done);
                bar.reset_eta();
                Progress {
                    bar: Some(bar),
                    lines: None,
                    started: Instant::now(),
                    bar_shown: false,
                    shared: false,
                    moved: None,
                }
            }
            ProgressMode::Counted(inner, moved) => {
                Progress { moved: Some(moved), ..Progress::start(*inner, name, total, done) }
            }
        }
    }

    /// Wraps a writer so that every byte written advances the progress.
    pub fn writer<W: Write>(&mut self, inner: W) -> ProgressWriter<'_, W> {
        ProgressWriter { inner, progress: self }
    }

    /// Wraps a reader so that every byte read advances the progress.
    pub fn reader<R: Read>(&mut self, inner: R) -> ProgressReader<'_, R> {
        ProgressReader { inner, progress: self }
    }

    /// Counts `n` more bytes done.
    pub fn advance(&mut self, n: u64) {
        self.add(n as usize);
    }

    fn add(&mut self, n: usize) {
        if let Some(moved) = &self.moved {
            moved.fetch_add(n as u64, Ordering::Relaxed);
        }
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
            if !self.bar_shown && self.started.elapsed() >= Self::BAR_DELAY {
                // Drawn at most 10 times a second, whatever the chunk rate.
                bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
                self.bar_shown = true;
            }
        }
        if let Some(line) = self.lines.as_mut().and_then(|lines| lines.add(n as u64)) {
            errln!("{line}");
        }
    }

    /// Removes the bar from the screen.
    pub fn finish(self) {
        if let Some(bar) = self.bar
            && !self.shared
        {
            bar.finish_and_clear();
        }
    }
}

/// A bar in rftp's style: message, bar, bytes, rate, ETA (or a spinner when
/// the total is unknown).
pub fn styled_bar(total: Option<u64>, target: ProgressDrawTarget, message: String) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, target);
    let template = if total.is_some() {
        "{msg} {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}"
    } else {
        "{msg} {spinner} {bytes} {binary_bytes_per_sec}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(crate::display::printable(&message).into_owned());
    bar
}

/// A writer that reports the bytes written through it.
pub struct ProgressWriter<'a, W> {
    inner: W,
    progress: &'a mut Progress,
}

impl<W: Write> Write for ProgressWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.progress.add(n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that reports the bytes read through it.
pub struct ProgressReader<'a, R> {
    inner: R,
    progress: &'a mut Progress,
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n);
        Ok(n)
    }
}

/// The verbose summary after a transfer: `N bytes received in S s (R/s)`.
pub fn summary(bytes: u64, verb: &str, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    let rate = bytes as f64 / seconds.max(1e-6);
    format!("{bytes} bytes {verb} in {seconds:.2} s ({}/s)", BinaryBytes(rate as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapters_pass_bytes_through_unchanged() {
        let mut progress = Progress::start(ProgressMode::Off, "x", Some(5), 0);
        let mut out = Vec::new();
        progress.writer(&mut out).write_all(b"hello").unwrap();
        let mut back = String::new();
        progress.reader(&b"world"[..]).read_to_string(&mut back).unwrap();
        assert_eq!((out.as_slice(), back.as_str()), (&b"hello"[..], "world"));
    }

    #[test]
    fn a_counted_mode_counts_what_moves_through_either_adapter() {
        let moved = Arc::new(AtomicU64::new(0));
        let mode = ProgressMode::Counted(Box::new(ProgressMode::Off), Arc::clone(&moved));
        let mut progress = Progress::start(mode, "x", Some(10), 0);
        progress.writer(Vec::new()).write_all(b"hello").unwrap();
        progress.reader(&b"wor"[..]).read_to_end(&mut Vec::new()).unwrap();
        progress.advance(2);
        assert_eq!(moved.load(Ordering::Relaxed), 10);
    }

    #[test]
    fn plain_lines_come_every_few_seconds() {
        let mut reporter = LineReporter::new("big.iso", Some(1000), 100);
        assert_eq!(reporter.add(100), None, "not yet");
        let long_ago = Instant::now().checked_sub(Duration::from_secs(6)).unwrap();
        reporter.last = long_ago;
        reporter.started = long_ago;
        let line = reporter.add(300).expect("a line is due");
        assert!(line.starts_with("big.iso: 500 bytes (50%) at "), "{line}");
        assert_eq!(reporter.add(1), None, "and then not again at once");
    }

    #[test]
    fn rates_are_in_binary_units_as_on_the_bar() {
        // indicatif's BinaryBytes, the unit the bar's `binary_bytes_per_sec` shows.
        let rate = |bytes, seconds| summary(bytes, "received", Duration::from_secs(seconds));
        assert_eq!(rate(1024, 2), "1024 bytes received in 2.00 s (512 B/s)");
        assert_eq!(rate(3072, 2), "3072 bytes received in 2.00 s (1.50 KiB/s)");
        assert_eq!(rate(3 << 30, 1), format!("{} bytes received in 1.00 s (3.00 GiB/s)", 3u64 << 30));
    }
}
