//! When to try a failed step again, and how long to wait first: the retry
//! policy of issue #12. What is transient (a dropped or refused connection,
//! a timeout, `421`, `425`, `426`, `450`, `451`) is retried with a doubling
//! wait and some jitter; what is permanent (other `5xx`, a refused login,
//! a certificate, a local error, Ctrl-C) never is.
//!
//! Below the policy, the session's own retry loop ([`Session::retrying`])
//! and what the shell and the one-shot commands run through it: downloads
//! that resume their `.part`, uploads that resume on the server, listings,
//! connecting; and the transparent reconnect after the server closed the
//! control connection ([`Session::reconnect_if_closed`]).

use std::hash::{BuildHasher, Hasher};
use std::io;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::connect::SessionSpec;
use super::{Connection, Error, Session};
use crate::progress::ProgressMode;
use crate::protocol::{self, Command, TransferType};
use crate::transfer::{self, LocalSource, LocalTarget, TransferError, TransferReport, UploadMode};

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

/// Whether a failed step of the session is worth trying again: a failure
/// to connect, a protocol error or a transfer as [`is_transient`] and
/// [`transfer_is_transient`] say; never a refused login (530), a usage or
/// local error, or a missing password.
pub fn error_is_transient(error: &Error) -> bool {
    match error {
        Error::Connect { error, .. } | Error::Login(error) | Error::Ftp(error) => is_transient(error),
        Error::Transfer(error) => transfer_is_transient(error),
        _ => false,
    }
}

/// Whether an upload failed before any of its data reached the server's
/// file: the data connection could not be opened (`425`) or the file was
/// busy (`450`). The next try then starts the way the first did; after any
/// other failure the server's file may hold a part, and the next try
/// resumes it.
fn failed_before_data(error: &TransferError) -> bool {
    error.ftp().and_then(protocol::Error::code).is_some_and(|code| code == 425 || code == 450)
}

/// [`failed_before_data`] of a try's result (`false` for a success).
fn failed_before_data_of<T>(result: &Result<T, TransferError>) -> bool {
    result.as_ref().err().is_some_and(failed_before_data)
}

/// Whether `error` says the server closed the control connection (`421`,
/// or the connection ended), rather than that it stopped answering (a
/// timeout): only
/// then is a first try's failure taken for a connection that went stale
/// while idle.
fn closed_by_server(error: &Error) -> bool {
    let ftp = match error {
        Error::Transfer(error) => error.ftp(),
        Error::Ftp(error) => Some(error),
        _ => None,
    };
    match ftp {
        // SessionLost: an earlier command of the same try found it closed
        // and said nothing (SIZE, which a download may do without).
        Some(protocol::Error::ConnectionClosed(_) | protocol::Error::SessionLost(_)) => true,
        Some(error) => error.code() == Some(421),
        None => false,
    }
}

/// How the tries of one step went so far.
struct Tries {
    /// Failed tries since the last one that moved data.
    failures: u32,
    /// Whether a closed control connection found at the first try was
    /// already reconnected for free.
    stale_reconnected: bool,
    /// What the step held before the last try ([`Session::retrying`]'s `held`).
    held: Option<u64>,
}

impl Session {
    /// Runs `run` (told whether it is a retry) until it succeeds, fails for
    /// good, or the retries are spent. Between two tries: the retry line
    /// on stderr (unless quiet), a wait that Ctrl-C ends at once, and a
    /// reconnect when the control connection is gone.
    ///
    /// `held` says how much of the step is done (the bytes of a `.part`,
    /// the lines printed): a try that moved data was progress, and the
    /// count of failures starts again after it, so that a long transfer cut
    /// every few MiB finishes as long as each try gets further (issue #12:
    /// 64 MiB cut every 8 MiB, with the default 5 retries). A step that
    /// cannot continue (`resumes` false: a listing printed, standard output)
    /// is tried again only while it held nothing, and `None` means unknown.
    pub fn retrying<T>(
        &mut self,
        what: &str,
        resumes: bool,
        mut run: impl FnMut(&mut Session, bool) -> Result<T, TransferError>,
        mut held: impl FnMut(&mut Session) -> Option<u64>,
    ) -> Result<T, Error> {
        let mut tries = Tries { failures: 0, stale_reconnected: false, held: held(self) };
        let mut again = false;
        loop {
            let result = match self.reconnect_if_closed() {
                Ok(()) => self.with_recovery(|session| run(session, again)),
                Err(error) => Err(error),
            };
            let error = match result {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if self.interrupted() || !error_is_transient(&error) {
                return Err(error);
            }
            // Measured only when a next try may follow: an upload's costs a
            // SIZE, which a server that stopped answering would make wait.
            let next_possible = self.settings.retry.retries > 0 || (!again && closed_by_server(&error));
            let now = if next_possible { held(self) } else { tries.held };
            if !next_possible || (!resumes && now != Some(0)) {
                return Err(error);
            }
            self.before_next_try(what, error, &mut tries, now, again)?;
            again = true;
        }
    }

    /// Decides whether there is a next try after `error`, and waits for it.
    fn before_next_try(
        &mut self,
        what: &str,
        error: Error,
        tries: &mut Tries,
        now: Option<u64>,
        again: bool,
    ) -> Result<(), Error> {
        let moved = matches!((tries.held, now), (Some(before), Some(after)) if after > before);
        tries.held = now;
        if moved {
            // Progress: the count starts again (see `retrying`).
            tries.failures = 0;
        } else if !again && !tries.stale_reconnected && self.connection_closed() && closed_by_server(&error) {
            // The first try found the control connection closed (an idle
            // timeout, most often): the next command reconnects at once, as
            // if nothing had happened; this is no retry.
            tries.stale_reconnected = true;
            return Ok(());
        }
        tries.failures += 1;
        let policy = self.settings.retry;
        if tries.failures > policy.retries {
            return Err(error);
        }
        let wait = policy.wait_before(tries.failures);
        if !self.settings.quiet {
            errln!("{}", retry_line(what, wait, tries.failures, &policy, &error));
        }
        if !self.interrupts.watched_while(|| self.wait_unless_interrupted(wait)) {
            return Err(protocol::Error::Aborted.into());
        }
        Ok(())
    }

    /// Whether the session has a connection that the server closed.
    pub fn connection_closed(&self) -> bool {
        self.connection.as_ref().is_some_and(|c| !c.client.is_connected())
    }

    /// Sleeps for `wait`; false when Ctrl-C ended it early.
    fn wait_unless_interrupted(&self, wait: Duration) -> bool {
        const STEP: Duration = Duration::from_millis(50);
        let end = Instant::now() + wait;
        loop {
            if self.interrupted() {
                return false;
            }
            let now = Instant::now();
            if now >= end {
                return true;
            }
            std::thread::sleep((end - now).min(STEP));
        }
    }

    /// When the server closed the control connection (an idle timeout's
    /// `421`, a restart, a NAT box that forgot it), connects again, logs in
    /// as before, and restores the folder, the transfer type and the data
    /// protection (PROT), saying so in one line. A connection logged in by
    /// hand (`quote USER`) has no credentials to log in with again, and is
    /// left for its command to fail.
    pub fn reconnect_if_closed(&mut self) -> Result<(), Error> {
        let Some(connection) = &self.connection else { return Ok(()) };
        if connection.client.is_connected() || connection.credentials.is_none() {
            return Ok(());
        }
        // Taken while the old connection is there, so the new one keeps its TLS.
        let options = self.client_options(connection.telnet_abort);
        let Some(old) = self.connection.take() else { return Ok(()) };
        let spec = SessionSpec {
            host: old.host.clone(),
            port: old.port,
            credentials: old.credentials.clone(),
            options,
            transfer_type: old.client.transfer_type(),
            folder: old.folder.clone(),
        };
        // Watched for Ctrl-C as `open` is: a server that accepts and never
        // greets would otherwise keep the prompt for the whole timeout, and
        // a second Ctrl-C end the shell.
        let opened = self.open_unless_interrupted(spec).and_then(|mut client| {
            let protected = old.client.is_data_protected();
            if client.is_tls() && client.is_data_protected() != protected {
                client.voidcmd(if protected { "PROT P" } else { "PROT C" })?;
            }
            Ok(client)
        });
        match opened {
            Ok(client) => {
                self.interrupts.watch_only(client.abort_handle());
                if !self.settings.quiet {
                    errln!("rftp: reconnected to {} (the server had closed the connection)", old.host);
                }
                self.connection = Some(Connection { client, ..old });
                Ok(())
            }
            Err(error) => {
                // Kept, closed as it is, so that the next try reconnects again.
                self.connection = Some(old);
                Err(error)
            }
        }
    }

    /// Connects to `host:port` and logs in as [`Session::start`] does,
    /// trying again after a refused or reset connection, a timeout or a
    /// `421` greeting; a refused login (530) is never tried again.
    pub fn start_retrying(&mut self, host: &str, port: u16) -> Result<(), Error> {
        let what = format!("the connection to {host}");
        let mut tries = Tries { failures: 0, stale_reconnected: true, held: None };
        loop {
            let error = match self.start(host, port) {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            if self.interrupted() || !error_is_transient(&error) {
                return Err(error);
            }
            // A connection whose login failed for the moment is dropped
            // before the next try.
            if let Some(connection) = self.connection.take() {
                connection.client.close();
            }
            self.before_next_try(&what, error, &mut tries, None, true)?;
        }
    }

    /// Downloads `remote` to `target` ([`transfer::download`]), trying again
    /// as [`Session::retrying`] says: a retry continues the `.part` that
    /// the failed try left, with REST, as `reget` would (in ASCII mode,
    /// where byte counts change, it starts over). Standard output is never
    /// tried again once something may have been written to it.
    pub fn download_retrying(
        &mut self,
        remote: &str,
        target: &LocalTarget,
        resume: bool,
        progress: ProgressMode,
    ) -> Result<TransferReport, Error> {
        let file = match target {
            LocalTarget::Path(path) if path.is_file() || !path.exists() => Some(path.clone()),
            _ => None,
        };
        let resumes = file.is_some();
        let limit = self.rate_limit();
        // What went to standard output (or a device) cannot be taken back:
        // counted, so that a try that failed before writing anything (a
        // control connection found closed at TYPE or RETR) is tried again,
        // and one that wrote something is not.
        let written = Arc::new(AtomicU64::new(0));
        let progress = match file {
            Some(_) => progress,
            None => ProgressMode::Counted(Box::new(progress), Arc::clone(&written)),
        };
        let run = |session: &mut Session, again: bool| {
            let ascii = session.transfer_client()?.transfer_type() == TransferType::Ascii;
            let mut resume = resume;
            if again && let Some(part) = file.as_deref().map(transfer::part_path) {
                if ascii {
                    // What the failed try left is of no use: ASCII cannot resume.
                    let _ = std::fs::remove_file(&part);
                } else {
                    resume |= part.is_file();
                }
            }
            session.download_once(remote, target, resume, progress.clone(), limit.as_deref())
        };
        let held = |session: &mut Session| match &file {
            Some(_) if session.client().is_ok_and(|c| c.transfer_type() == TransferType::Ascii) => None,
            Some(path) => Some(local_bytes(path, resume)),
            None => Some(written.load(Ordering::SeqCst)),
        };
        self.retrying(remote, resumes, run, held)
    }

    /// Uploads `source` to `remote` ([`transfer::upload`]), trying again as
    /// [`Session::retrying`] says: after a failure that may have left part
    /// of the file on the server, a retry resumes it
    /// ([`UploadMode::Resume`]). Standard input cannot be read twice and an
    /// append cannot be told from what it appended to: neither is tried again.
    pub fn upload_retrying(
        &mut self,
        source: &LocalSource,
        remote: &str,
        how: UploadMode,
        progress: ProgressMode,
    ) -> Result<TransferReport, Error> {
        let limit = self.rate_limit();
        if matches!(source, LocalSource::Stdin) || how == UploadMode::Append {
            return self.with_recovery(|session| {
                transfer::upload(session.transfer_client()?, source, remote, how, progress, limit.as_deref())
            });
        }
        let mut next = how;
        // At most how many bytes of the server's file this upload's tries
        // wrote (None: unknown, as for `put -c`, whose remote file the user
        // vouched for).
        let mut ours: Option<u64> = None;
        let run = |session: &mut Session, _again: bool| {
            let client = session.transfer_client()?;
            let (mode, base) = upload_try_mode(client, remote, next, how, ours)?;
            // Bytes this try sent: only a try that sent some has replaced
            // the server's file (STOR truncates it when the data starts), so
            // only then may the next try resume it. A try cut before (the
            // control connection lost on the way to STOR, a 425) leaves the
            // old file, whose first bytes are not this file's.
            let moved = Arc::new(AtomicU64::new(0));
            let counted = ProgressMode::Counted(Box::new(progress.clone()), Arc::clone(&moved));
            let result = transfer::upload(client, source, remote, mode, counted, limit.as_deref());
            let sent = moved.load(Ordering::SeqCst);
            if result.is_err() && sent > 0 && !failed_before_data_of(&result) {
                next = UploadMode::Resume;
                ours = base.map(|base| base.saturating_add(sent));
            }
            result
        };
        // How much the server holds, asked only after a failure: asking
        // before the first try would cost every upload a round trip.
        let mut first = true;
        let held = |session: &mut Session| {
            if std::mem::take(&mut first) {
                return Some(0);
            }
            let client = session.client().ok().filter(|c| c.is_connected())?;
            client.size(remote).ok().flatten()
        };
        self.retrying(remote, true, run, held)
    }

    /// Runs the listing `command`, handing each line to `line` as it
    /// arrives; tried again only while no line was handed over, since
    /// printed lines cannot be taken back.
    pub fn list_retrying(
        &mut self,
        what: &str,
        command: &Command,
        mut line: impl FnMut(&str) -> ControlFlow<()>,
    ) -> Result<(), Error> {
        let lines = std::cell::Cell::new(0u64);
        let run = |session: &mut Session, _again: bool| {
            let counted = |text: &str| {
                lines.set(lines.get() + 1);
                line(text)
            };
            session.transfer_client()?.retrlines_while(command, counted)?;
            Ok(())
        };
        self.retrying(what, false, run, |_| Some(lines.get()))
    }
}

/// The bytes a download into `path` already holds: its `.part`, or the
/// file itself when `reget` continues it in place.
fn local_bytes(path: &Path, resume: bool) -> u64 {
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).ok();
    size(&transfer::part_path(path)).or_else(|| resume.then(|| size(path)).flatten()).unwrap_or(0)
}

/// How one try of an upload goes (`next`, as the last try left it, for an
/// upload the user asked to go `how`), and what the server's file holds of
/// ours before it (`None`: unknown). `ours` is at most how many bytes of the
/// server's file earlier tries wrote.
fn upload_try_mode(
    client: &mut protocol::Client,
    remote: &str,
    next: UploadMode,
    how: UploadMode,
    ours: Option<u64>,
) -> Result<(UploadMode, Option<u64>), TransferError> {
    let mut mode = next;
    if mode == UploadMode::Resume && how != UploadMode::Resume && client.transfer_type() == TransferType::Ascii {
        // ASCII changes byte counts, so it cannot resume (and
        // `resume_upload` refuses it): the retry sends it whole.
        mode = UploadMode::Replace;
    }
    let base = (mode == UploadMode::Replace).then_some(0);
    let (Some(bound), UploadMode::Resume) = (ours, mode) else { return Ok((mode, base)) };
    // A server that stores uploads under another name until they end
    // (ProFTPD's HiddenStores, Pure-FTPd's --notruncate) keeps the old file
    // after a cut: a file longer than what the tries sent is not this one,
    // and resuming it would keep its bytes (or call it complete).
    match client.size(remote) {
        Ok(Some(size)) if size > bound => Ok((UploadMode::Replace, Some(0))),
        Ok(Some(size)) => Ok((mode, Some(size))),
        // No file (a server that deletes a failed upload) or no SIZE:
        // `resume_upload` sends the whole file.
        Ok(None) | Err(protocol::Error::Permanent { .. } | protocol::Error::Protocol(_)) => Ok((mode, Some(0))),
        Err(error) => Err(error.into()),
    }
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
