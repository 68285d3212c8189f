//! `get --verify` and `put --verify` of single files: after the transfer
//! (and its retries), the two copies are compared ([`checksum`]); when they
//! differ the file is moved again whole, once, and a difference then fails
//! the command.

use super::{Error, Session};
use crate::checksum::{self, VerifyNotes};
use crate::transfer::{self, LocalSource, LocalTarget, UploadMode};

impl Session {
    /// Checks the download of `remote` into `target`; a second download
    /// starts afresh (its `.part`, if one was left, is dropped first).
    pub fn verify_download(&mut self, remote: &str, target: &LocalTarget, notes: &VerifyNotes) -> Result<(), Error> {
        let LocalTarget::Path(path) = target else {
            return Err(Error::Usage("--verify needs a local file to compare, not standard output".into()));
        };
        let local = LocalSource::Path(path.clone());
        let say = self.verify_say();
        let verified = checksum::verify_or_redo(
            self,
            &say,
            |session| checksum::verify_transfer(session.transfer_client()?, remote, &local),
            |session| {
                let _ = std::fs::remove_file(transfer::part_path(path));
                let progress = session.progress.clone();
                session.download_retrying(remote, target, false, progress).map(drop)
            },
        )?;
        notes.tell(verified, &say);
        Ok(())
    }

    /// Checks the upload of `local` to `remote`; a second upload replaces
    /// the server's file (STOR).
    pub fn verify_upload(&mut self, local: &LocalSource, remote: &str, notes: &VerifyNotes) -> Result<(), Error> {
        if matches!(local, LocalSource::Stdin) {
            return Err(Error::Usage("--verify needs a local file to compare, not standard input".into()));
        }
        let say = self.verify_say();
        let verified = checksum::verify_or_redo(
            self,
            &say,
            |session| checksum::verify_transfer(session.transfer_client()?, remote, local),
            |session| {
                let progress = session.progress.clone();
                session.upload_retrying(local, remote, UploadMode::Replace, progress).map(drop)
            },
        )?;
        notes.tell(verified, &say);
        Ok(())
    }

    /// How `--verify` speaks: on standard error, and not at all with `-q`.
    fn verify_say(&self) -> impl Fn(&str) + use<> {
        let quiet = self.settings.quiet;
        move |line: &str| {
            if !quiet {
                errln!("{line}");
            }
        }
    }
}
