//! A mirror on the session's connections: the roots checked and opened,
//! the folder pairs listed and the files moved as a batch, then what
//! `--delete` found removed, and the summary.

use std::path::Path;
use std::sync::Arc;

use super::{Error, Session};
use crate::batch::{self, Hooks, Job, Plan};
use crate::checksum::VerifyNotes;
use crate::localfs::Folder;
use crate::mirror::report::Style;
use crate::mirror::{Direction, Mirror, MirrorOptions, Roots};
use crate::transfer::TransferError;

/// What to mirror: the remote folder, the local one, and how.
#[derive(Debug)]
pub struct MirrorRequest {
    /// The remote folder (`""`: the login folder).
    pub remote: String,
    /// The local folder.
    pub local: std::path::PathBuf,
    /// Which way, which files, and the rest.
    pub options: MirrorOptions,
    /// One JSON object per action on standard output.
    pub json: bool,
}

impl Session {
    /// Runs a mirror; `Err(SomeFailed)` when any path failed (each was
    /// reported), after the summary.
    pub fn mirror(&mut self, request: MirrorRequest) -> Result<(), Error> {
        let MirrorRequest { remote, local, mut options, json } = request;
        options.ascii = self.client()?.transfer_type() == crate::protocol::TransferType::Ascii;
        let style = Style { json, dry_run: options.dry_run, quiet: self.settings.quiet };
        let (roots, fresh) = self.mirror_roots(&remote, &local, &options)?;
        let verify = options.verify;
        let mirror = Arc::new(Mirror::new(options, roots, style));
        mirror.set_remote_times_kept(self.client()?.features().has("MFMT"));
        let mut root = mirror.root_visit();
        if let Job::Visit(visit) = &mut root {
            visit.fresh = fresh;
        }
        let hooks: Arc<dyn Hooks> = Arc::clone(&mirror) as Arc<dyn Hooks>;
        let verify = verify.then(|| Arc::new(VerifyNotes::default()));
        self.run_plan(Plan::of(vec![root]), Some(hooks), verify)?;
        // Also when the session's own connection was lost and the batch's
        // others did the transfers: a download's removals are local, and an
        // upload's fail, each one said, rather than being dropped unsaid.
        if !self.interrupted() {
            let interrupted = Arc::clone(&self.interrupts.interrupted);
            mirror.delete_extras(self.client()?, &interrupted);
        }
        let counts = mirror.report().counts();
        mirror.report().summarize();
        if self.interrupted() {
            return Err(Error::Ftp(crate::protocol::Error::Aborted));
        }
        match counts.failed {
            0 => Ok(()),
            failed => {
                let total = counts.new + counts.updated + counts.deleted + counts.skipped + failed;
                Err(Error::SomeFailed { failed, total })
            }
        }
    }

    /// Checks and opens both roots: the source must be a folder; the
    /// target is made when missing (not in a dry run, where it is `fresh`:
    /// empty and not listed).
    fn mirror_roots(&mut self, remote: &str, local: &Path, options: &MirrorOptions) -> Result<(Roots, bool), Error> {
        let client = self.client()?;
        let remote_is_folder = remote.is_empty() || client.is_folder(remote)?;
        match options.direction {
            Direction::Download => {
                if !remote_is_folder {
                    return Err(not_a_folder(remote));
                }
                if options.dry_run && !local.exists() {
                    return Ok((Roots { remote: remote.to_string(), local: None }, true));
                }
                let root = batch::open_local_root(local)?;
                Ok((Roots { remote: remote.to_string(), local: Some(root) }, false))
            }
            Direction::Upload => {
                let root = Folder::open(local).map_err(|source| TransferError::Local {
                    context: format!("cannot mirror {}", local.display()),
                    source,
                })?;
                let roots = Roots { remote: remote.to_string(), local: Some(Arc::new(root)) };
                if remote_is_folder {
                    return Ok((roots, false));
                }
                if !options.dry_run {
                    batch::make_remote_path(client, remote)?;
                }
                Ok((roots, true))
            }
        }
    }
}

fn not_a_folder(remote: &str) -> Error {
    Error::Usage(format!("mirror: {} is not a folder on the server", crate::display::printable(remote)))
}
