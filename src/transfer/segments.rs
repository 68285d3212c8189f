//! Segmented downloads (issue #14): one big file fetched as several byte
//! ranges on several connections at once (`REST start` + `RETR`, each
//! reading exactly its range), each range written in place into the
//! `.part` file with positioned writes, then renamed as every download is.
//! Across a link with latency, one connection is held back by its own
//! window; several fill the link.
//!
//! A range whose connection fails for the moment (cut, timed out) is
//! fetched again from where it stopped, on a new connection, as the
//! session's retry policy says; the other ranges go on meanwhile.
//!
//! Resuming stays an ordinary REST resume of a contiguous `.part`:
//!
//! - while ranges run, the sidecar `NAME.part.meta` says `segmented-from N`:
//!   only the first `N` bytes are known to hold data. A run killed outright
//!   leaves it, and the next download of the file cuts the `.part` to `N`
//!   before resuming ([`super::keep_remote_identity`]). Where the mark
//!   cannot be written (something not rftp's at that name), the file comes
//!   as one range, in order;
//! - a segmented download that fails (a range that failed for good, a
//!   wrong length, Ctrl-C) cuts the `.part` to the contiguous prefix its ranges completed
//!   and writes the sidecar without the mark, so `reget` and the automatic
//!   retry continue from there and never take a hole for data.
//!
//! A server that refuses a range (REST answered with anything but 350, or
//! the RETR after it refused) or more connections (421, 530 "too many", a
//! refused connection) gets the download on one connection instead, said
//! once; the caller remembers it for the session.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{
    FileTarget, LocalTarget, PartialFile, RemoteIdentity, TransferError, TransferReport, after_failed_download,
    already_complete, download, download_to_file, file_report, finish_download, identity_name, keep_remote_identity,
    local_error, open_partial_sized, part_name, remote_identity, resolve_local_target, rest_stream,
};
use crate::localfs::{Folder, Kind};
use crate::progress::{Progress, ProgressMode};
use crate::protocol::{self, AbortHandle, Client, TransferType};
use crate::ratelimit::RateLimit;

/// Files this large and larger are split by default (issue #14: "say 64 MiB
/// and up"); below it one connection's start-up costs less than it saves.
pub const DEFAULT_THRESHOLD: u64 = 64 * 1024 * 1024;

/// The most segments a file gets by default, whatever `-j` allows.
pub const DEFAULT_SEGMENTS: usize = 4;

/// The sidecar line that marks a `.part` whose ranges are being written.
const MARK: &str = "segmented-from";

/// How a download may be split, as the session decides it.
pub struct Segmenting<'a> {
    /// How many ranges to fetch at once; under 2, none.
    pub count: usize,
    /// The smallest file that is split (0 when the user asked for segments).
    pub smallest: u64,
    /// Opens extra connection number `n` (2, 3 …), logged in, in the
    /// session's folder; the error says why it could not be.
    pub open: &'a (dyn Fn(usize) -> Result<Client, String> + Sync),
    /// Where Ctrl-C finds every connection's abort handle.
    pub abort_slot: &'a Mutex<Vec<AbortHandle>>,
    /// Set by Ctrl-C.
    pub interrupted: &'a AtomicBool,
    /// `-q`: the fallback to one connection is not said.
    pub quiet: bool,
    /// After a range's failure number `n` (1 for the first), the wait
    /// before the rest of it is fetched again on a new connection; `None`
    /// gives up (a permanent failure, the retries used up). Says so itself.
    pub retry: &'a (dyn Fn(&protocol::Error, u32) -> Option<Duration> + Sync),
    /// Set when the server refused ranges or more connections (the
    /// download then goes on with one), for the session to remember.
    pub refused: &'a AtomicBool,
}

/// Downloads `remote` to `target` as [`download`] does, in `how.count`
/// ranges at once when the file allows it: a regular file of a known size
/// of at least `how.smallest` bytes, in binary mode, with no rate limit,
/// from a server whose FEAT lists `REST STREAM`.
pub fn download_segmented(
    client: &mut Client,
    remote: &str,
    target: &LocalTarget,
    resume: bool,
    progress: ProgressMode,
    limit: Option<&RateLimit>,
    how: &Segmenting<'_>,
) -> Result<TransferReport, TransferError> {
    let splittable = how.count >= 2 && limit.is_none() && client.transfer_type() == TransferType::Binary;
    let file = match target {
        LocalTarget::Path(path) if splittable && rest_stream(client) => resolve_local_target(path)?,
        _ => None,
    };
    // The classic `reget` of NAME itself has no sidecar to mark: one connection.
    let Some(file) = file.filter(|file| !(resume && continues_in_place(file))) else {
        return download(client, remote, target, resume, progress, limit);
    };
    let started = Instant::now();
    let known = remote_identity(client, remote);
    match known.size {
        Some(total) if total > 0 && total >= how.smallest => {
            segmented(client, remote, &file, resume, known, progress, started, how)
        }
        _ => download_to_file(client, remote, &file, resume, known, progress, started, None),
    }
}

/// Whether resuming `file` continues NAME itself (there is no `.part`).
fn continues_in_place(file: &FileTarget) -> bool {
    let part = part_name(&file.name);
    matches!(file.folder.kind(&part), Ok(None)) && matches!(file.folder.kind(&file.name), Ok(Some(Kind::File)))
}

/// Downloads `remote` into `file` in ranges (its size, `known.size`, is
/// known and not 0); falls back to one connection when the server refuses.
// The download's own facts, as `download_to_file` takes them.
#[allow(clippy::too_many_arguments)]
fn segmented(
    client: &mut Client,
    remote: &str,
    file: &FileTarget,
    resume: bool,
    known: RemoteIdentity,
    mode: ProgressMode,
    started: Instant,
    how: &Segmenting<'_>,
) -> Result<TransferReport, TransferError> {
    let total = known.size.unwrap_or_default();
    let mut partial = open_partial_sized(file, resume, Some(total))?;
    let server_time = keep_remote_identity(client, remote, file, &mut partial, known)?;
    let now = RemoteIdentity { size: Some(total), modified: server_time, whole_only: false };
    if resume && already_complete(remote, &partial, total)? {
        finish_download(&partial, file)?;
        return Ok(TransferReport { server_time, ..file_report(0, started, file, true) });
    }
    // Without the mark, a run killed while ranges ran would leave holes
    // that the next resume takes for data: one range, written in order.
    let marked = write_sidecar(&file.folder, &partial.name, now, Some(partial.offset));
    let ranges = split(partial.offset..total, if marked { how.count } else { 1 });
    let progress = Mutex::new(Progress::start(mode.clone(), remote, Some(total), partial.offset));
    let outcome = run_ranges(client, remote, &partial.file, &ranges, &progress, how);
    progress.into_inner().unwrap_or_else(PoisonError::into_inner).finish();
    let keep = match &outcome {
        Outcome::Done => total,
        Outcome::Refused { why: _, keep_prefix: true } | Outcome::Failed(_) => outcome_prefix(&ranges, &partial),
        Outcome::Refused { .. } => partial.offset,
    };
    // Whatever else the ranges wrote is cut off: only a contiguous prefix
    // may be resumed.
    let cut = partial.file.set_len(keep).map_err(local_error(format!("cannot cut {}", partial.path.display())));
    write_sidecar(&file.folder, &partial.name, now, None);
    cut?;
    match outcome {
        Outcome::Done => {
            check_length(&partial, total)?;
            finish_download(&partial, file)?;
            let bytes = total - partial.offset;
            Ok(TransferReport { server_time, ..file_report(bytes, started, file, false) })
        }
        Outcome::Failed(error) => {
            let error = TransferError::from(error);
            Err(after_failed_download(partial, file, error))
        }
        Outcome::Refused { why, .. } => {
            if !how.quiet {
                errln!("rftp: {remote}: {why}; downloading on one connection");
            }
            how.refused.store(true, Ordering::SeqCst);
            drop(partial);
            let known = RemoteIdentity { modified: server_time, ..known };
            download_to_file(client, remote, file, true, known, mode, started, None)
        }
    }
}

/// A finished `.part` must hold exactly the server's size.
fn check_length(partial: &PartialFile, total: u64) -> Result<(), TransferError> {
    let length = partial.file.metadata().map_err(local_error(format!("cannot read {}", partial.path.display())))?.len();
    if length == total {
        return Ok(());
    }
    Err(TransferError::Ftp(if length < total {
        protocol::Error::Incomplete { received: length, expected: total }
    } else {
        protocol::Error::TooLong { received: length, expected: total }
    }))
}

/// The contiguous bytes from the start of the `.part` that the ranges
/// completed, as far as [`run_ranges`] recorded them in the file's length.
fn outcome_prefix(ranges: &[Segment], partial: &PartialFile) -> u64 {
    let mut prefix = partial.offset;
    for segment in ranges {
        let done = segment.done.load(Ordering::SeqCst);
        prefix = segment.range.start + done;
        if done < segment.range.end - segment.range.start {
            break;
        }
    }
    prefix
}

/// One range and the bytes of it written so far.
struct Segment {
    range: Range<u64>,
    done: AtomicU64,
}

/// `range` cut into at most `count` ranges of nearly equal length, none
/// empty; the first ones take the odd bytes.
fn split(range: Range<u64>, count: usize) -> Vec<Segment> {
    let length = range.end.saturating_sub(range.start);
    let count = (count.max(1) as u64).min(length);
    let mut start = range.start;
    (0..count)
        .map(|index| {
            let size = length / count + u64::from(index < length % count);
            let segment = Segment { range: start..start + size, done: AtomicU64::new(0) };
            start += size;
            segment
        })
        .collect()
}

/// What became of the ranges.
enum Outcome {
    /// Every range arrived whole.
    Done,
    /// The server refused a range or a connection: one connection must do.
    /// With `keep_prefix`, REST itself was not refused, and what the ranges
    /// completed from the start may be continued.
    Refused { why: String, keep_prefix: bool },
    /// A range failed otherwise (a cut connection, a wrong length, Ctrl-C).
    Failed(protocol::Error),
}

/// What one range's connection reports.
enum RangeResult {
    Done,
    /// It could not be opened: why.
    NotOpened(String),
    Failed(protocol::Error),
}

/// Fetches every range at once: the last (which ends the file, so its
/// connection ends the transfer normally and stays usable) on `client`,
/// each other on a connection of its own, on scoped threads.
fn run_ranges(
    client: &mut Client,
    remote: &str,
    file: &File,
    ranges: &[Segment],
    progress: &Mutex<Progress>,
    how: &Segmenting<'_>,
) -> Outcome {
    let Some((last, others)) = ranges.split_last() else { return Outcome::Done };
    let shared = Shared { remote, file, progress, how };
    let handles_before = lock(how.abort_slot).len();
    let results: Vec<RangeResult> = std::thread::scope(|scope| {
        let shared = &shared;
        let threads: Vec<_> = (others.iter().enumerate())
            .map(|(index, segment)| scope.spawn(move || shared.run(segment, index + 2, false, None)))
            .collect();
        let mut results = vec![shared.run(last, 1, true, Some(client))];
        results.extend(threads.into_iter().map(|t| t.join().unwrap_or(RangeResult::NotOpened("it panicked".into()))));
        results
    });
    lock(how.abort_slot).truncate(handles_before);
    if how.interrupted.load(Ordering::SeqCst) {
        return Outcome::Failed(protocol::Error::Aborted);
    }
    judge(results)
}

/// What the ranges' threads share.
struct Shared<'a> {
    remote: &'a str,
    file: &'a File,
    progress: &'a Mutex<Progress>,
    how: &'a Segmenting<'a>,
}

impl Shared<'_> {
    /// Fetches `segment`, the range of connection `number`: on `first` when
    /// given, else on a connection of its own. After a passing failure (a
    /// cut connection, a timeout) the rest of the range is fetched again on
    /// a new connection, as `how.retry` says, so that what the other ranges
    /// got is not lost to one range's failure.
    fn run(&self, segment: &Segment, number: usize, to_end: bool, first: Option<&mut Client>) -> RangeResult {
        let mut result = match first {
            Some(client) => self.fetch(client, segment, to_end),
            None => self.on_new_connection(segment, number, to_end),
        };
        let mut failures = 0;
        loop {
            let RangeResult::Failed(error) = &result else { return result };
            if refuses_range(error) {
                return result;
            }
            failures += 1;
            let Some(wait) = (self.how.retry)(error, failures) else { return result };
            if !self.wait(wait) {
                return RangeResult::Failed(protocol::Error::Aborted);
            }
            result = self.on_new_connection(segment, number, to_end);
        }
    }

    /// Fetches what `segment` lacks on a new connection, closed after.
    fn on_new_connection(&self, segment: &Segment, number: usize, to_end: bool) -> RangeResult {
        let mut client = match (self.how.open)(number) {
            Ok(client) => client,
            Err(why) => return RangeResult::NotOpened(why),
        };
        lock(self.how.abort_slot).push(client.abort_handle());
        let result = self.fetch(&mut client, segment, to_end);
        client.close();
        result
    }

    /// Fetches what `segment` lacks on `client` into the file at its offsets.
    fn fetch(&self, client: &mut Client, segment: &Segment, to_end: bool) -> RangeResult {
        if self.how.interrupted.load(Ordering::SeqCst) {
            return RangeResult::Failed(protocol::Error::Aborted);
        }
        let from = segment.range.start + segment.done.load(Ordering::SeqCst);
        if from >= segment.range.end {
            return RangeResult::Done;
        }
        let mut write = |offset: u64, bytes: &[u8]| -> io::Result<()> {
            self.file.write_all_at(bytes, offset)?;
            segment.done.fetch_add(bytes.len() as u64, Ordering::SeqCst);
            lock(self.progress).advance(bytes.len() as u64);
            Ok(())
        };
        match client.retrieve_range(self.remote, from..segment.range.end, to_end, &mut write) {
            Ok(_) => RangeResult::Done,
            Err(error) => RangeResult::Failed(error),
        }
    }

    /// Sleeps for `wait`; false when Ctrl-C ended it early.
    fn wait(&self, wait: Duration) -> bool {
        const STEP: Duration = Duration::from_millis(50);
        let end = Instant::now() + wait;
        while !self.how.interrupted.load(Ordering::SeqCst) {
            let now = Instant::now();
            if now >= end {
                return true;
            }
            std::thread::sleep((end - now).min(STEP));
        }
        false
    }
}

/// The outcome of the ranges' results: a failure that is no refusal wins
/// (the download fails, keeping the prefix the ranges completed); else the
/// first refusal.
fn judge(results: Vec<RangeResult>) -> Outcome {
    let mut refused = None;
    for result in results {
        match result {
            RangeResult::Done => {}
            RangeResult::Failed(error) if refuses_range(&error) => {
                refused.get_or_insert(Outcome::Refused {
                    why: format!("the server refused a range: {error}"),
                    keep_prefix: false,
                });
            }
            RangeResult::Failed(error) => return Outcome::Failed(error),
            RangeResult::NotOpened(why) => {
                refused.get_or_insert(Outcome::Refused {
                    why: format!("no more connections for ranges ({why})"),
                    keep_prefix: true,
                });
            }
        }
    }
    refused.unwrap_or(Outcome::Done)
}

/// Whether the server's answer to `REST` or the `RETR` after it refuses
/// ranges (rather than a passing failure of the connection: 421, 425, 426).
fn refuses_range(error: &protocol::Error) -> bool {
    error.code().is_some_and(|code| !matches!(code, 421 | 425 | 426))
}

/// Locks `mutex`, whatever a panicked holder left.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes the sidecar of the `.part` `part`: `now`, and with `marked` the
/// line that says only the first so many bytes hold data while ranges run;
/// false when it could not be written.
fn write_sidecar(folder: &Folder, part: &std::ffi::OsStr, now: RemoteIdentity, marked: Option<u64>) -> bool {
    let mut text = now.to_text();
    if let Some(from) = marked {
        text.push_str(&format!("{MARK} {from}\n"));
    }
    super::write_identity_text(folder, part, &text)
}

/// The prefix a sidecar's text vouches for when ranges were running into
/// its `.part` (`segmented-from N`); `None` when it has no such line.
pub(super) fn marked_prefix(text: &str) -> Option<u64> {
    text.lines().find_map(|line| line.strip_prefix(MARK)?.strip_prefix(' ')?.parse().ok())
}

/// [`marked_prefix`] of the sidecar of `part` in `folder`, if it is ours.
pub(super) fn read_marked_prefix(folder: &Folder, part: &std::ffi::OsStr) -> Option<u64> {
    let sidecar = identity_name(part);
    match folder.stat(&sidecar) {
        Ok(Some((Kind::File, stat))) if crate::localfs::is_mine(stat.st_uid) => {}
        _ => return None,
    }
    let bytes = folder.read(&sidecar, 4097).ok()?;
    marked_prefix(&String::from_utf8_lossy(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(range: Range<u64>, count: usize) -> Vec<Range<u64>> {
        split(range, count).into_iter().map(|segment| segment.range).collect()
    }

    #[test]
    fn ranges_cover_the_rest_without_gaps_and_none_is_empty() {
        assert_eq!(ranges(0..10, 4), [0..3, 3..6, 6..8, 8..10]);
        assert_eq!(ranges(5..8, 4), [5..6, 6..7, 7..8], "fewer bytes than segments");
        assert_eq!(ranges(0..1, 3), vec![Range { start: 0, end: 1 }]);
        assert!(ranges(7..7, 4).is_empty());
        assert_eq!(ranges(100..1100, 1), vec![Range { start: 100, end: 1100 }]);
        for (length, count) in [(1_000_003u64, 3usize), (64 << 20, 4), (17, 16)] {
            let all = ranges(0..length, count);
            assert_eq!(all.len(), count);
            assert!(all.windows(2).all(|pair| pair[0].end == pair[1].start));
            assert_eq!(all.last().map(|r| r.end), Some(length));
        }
    }

    #[test]
    fn the_prefix_kept_ends_at_the_first_range_not_done() {
        let partial = |offset| PartialFile {
            file: tempfile::tempfile().expect("a file"),
            name: "f.part".into(),
            path: "f.part".into(),
            offset,
            created: true,
        };
        let segments = split(100..400, 3);
        segments[0].done.store(100, Ordering::SeqCst);
        segments[1].done.store(40, Ordering::SeqCst);
        segments[2].done.store(100, Ordering::SeqCst);
        assert_eq!(outcome_prefix(&segments, &partial(100)), 240);
        segments[0].done.store(0, Ordering::SeqCst);
        assert_eq!(outcome_prefix(&segments, &partial(100)), 100, "nothing of the first range");
    }

    #[test]
    fn the_sidecar_mark_is_read_only_from_its_own_line() {
        assert_eq!(marked_prefix("rftp partial download\nsize 10\nsegmented-from 4\n"), Some(4));
        assert_eq!(marked_prefix("rftp partial download\nsize 10\n"), None);
        assert_eq!(marked_prefix("rftp partial download\nsegmented-from x\n"), None);
        assert_eq!(marked_prefix("rftp partial download\nsegmented-fromage 4\n"), None);
    }

    #[test]
    fn refusals_fall_back_and_other_failures_win() {
        let reply = |code: u16| {
            let reply =
                protocol::Reply::new(protocol::ReplyCode::new(code).expect("a code"), vec![format!("{code} no")]);
            protocol::Error::from_reply("REST 100", reply)
        };
        assert!(refuses_range(&reply(502)) && refuses_range(&reply(550)) && refuses_range(&reply(450)));
        assert!(!refuses_range(&reply(421)) && !refuses_range(&reply(426)));
        assert!(!refuses_range(&protocol::Error::ConnectionClosed(None)));
        let refused = judge(vec![RangeResult::Done, RangeResult::Failed(reply(502))]);
        assert!(matches!(refused, Outcome::Refused { keep_prefix: false, .. }));
        let not_opened = judge(vec![RangeResult::NotOpened("421 too many".into()), RangeResult::Done]);
        assert!(matches!(not_opened, Outcome::Refused { keep_prefix: true, .. }));
        let cut = judge(vec![RangeResult::NotOpened("421".into()), RangeResult::Failed(reply(426))]);
        assert!(matches!(cut, Outcome::Failed(_)));
        assert!(matches!(judge(vec![RangeResult::Done, RangeResult::Done]), Outcome::Done));
    }
}
