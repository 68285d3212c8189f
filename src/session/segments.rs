//! When one download is fetched in segments ([`crate::transfer::download_segmented`]):
//! `get --segments N`, or by default for big files when the session allows
//! more than one connection (`-j`), and how many; and the session's memory
//! of a server that refused ranges.

use std::sync::atomic::{AtomicBool, Ordering};

use super::{Session, retry};
use crate::progress::ProgressMode;
use crate::protocol;
use crate::ratelimit::RateLimit;
use crate::transfer::{self, LocalTarget, Segmenting, TransferError, TransferReport};

/// The environment variable that lowers the default threshold, for tests
/// only (a 64 MiB file per test would be slow); not for users.
const THRESHOLD_FOR_TESTS: &str = "RFTP_SEGMENT_THRESHOLD";

impl Session {
    /// How many ranges a download may be split into, and the smallest file
    /// split: `--segments N` as asked (any size), else, from a distant
    /// server ([`Session::is_far`]), up to [`transfer::DEFAULT_SEGMENTS`]
    /// within `-j` for files of [`transfer::DEFAULT_THRESHOLD`] and up. One
    /// (no split) for a near server, for a
    /// connection that rftp did not log in (it cannot open more), and for a
    /// server that refused ranges before.
    fn segments_wanted(&self) -> (usize, u64) {
        let Some(connection) = &self.connection else { return (1, 0) };
        if connection.credentials.is_none() || connection.ranges_refused {
            return (1, 0);
        }
        match self.settings.segments {
            Some(count) => (count, 0),
            None => {
                let threshold = std::env::var(THRESHOLD_FOR_TESTS).ok().and_then(|t| t.parse().ok());
                // A near server is not split by default: one connection was
                // faster on loopback (a 64 MiB file from vsftpd: 0.10 s,
                // against 0.15-0.18 s in 4 ranges). The tests' threshold
                // splits on loopback too.
                if !self.is_far() && threshold.is_none() {
                    return (1, 0);
                }
                let count = self.parallel().min(transfer::DEFAULT_SEGMENTS);
                (count, threshold.unwrap_or(transfer::DEFAULT_THRESHOLD))
            }
        }
    }

    /// One try of a download ([`transfer::download`]), in segments when
    /// [`Session::segments_wanted`] says so; a server that refused ranges
    /// is remembered, and later downloads use one connection.
    pub(super) fn download_once(
        &mut self,
        remote: &str,
        target: &LocalTarget,
        resume: bool,
        progress: ProgressMode,
        limit: Option<&RateLimit>,
    ) -> Result<TransferReport, TransferError> {
        let (count, smallest) = self.segments_wanted();
        if count < 2 {
            return transfer::download(self.transfer_client()?, remote, target, resume, progress, limit);
        }
        let folder = self.connection.as_ref().and_then(|c| c.folder.clone());
        let spec = self.spec_for_more(folder).map_err(|_| protocol::Error::ConnectionClosed(None))?;
        let open = |number: usize| spec.numbered(number).open().map_err(|error| error.to_string());
        let interrupts = self.interrupts.clone();
        let refused = AtomicBool::new(false);
        let (policy, quiet) = (self.settings.retry, self.settings.quiet);
        let what = format!("a range of {remote}");
        let again = move |error: &protocol::Error, failures: u32| {
            if !retry::is_transient(error) || failures > policy.retries {
                return None;
            }
            let wait = policy.wait_before(failures);
            if !quiet {
                errln!("{}", retry::retry_line(&what, wait, failures, &policy, error));
            }
            Some(wait)
        };
        let how = Segmenting {
            count,
            smallest,
            open: &open,
            abort_slot: &interrupts.abort_slot,
            interrupted: &interrupts.interrupted,
            quiet,
            retry: &again,
            refused: &refused,
        };
        let client = self.transfer_client()?;
        let result = transfer::download_segmented(client, remote, target, resume, progress, limit, &how);
        // Remembered even when the download on one connection then failed:
        // its retry is not split again.
        if refused.load(Ordering::SeqCst)
            && let Some(connection) = self.connection.as_mut()
        {
            connection.ranges_refused = true;
        }
        result
    }
}
