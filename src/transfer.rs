//! Downloads and uploads with the data-safety rules shared by the shell and
//! the one-shot commands:
//!
//! - a download goes into `NAME.part` beside the target and is renamed onto
//!   `NAME` only after the server's final success reply (and, in binary mode,
//!   only if the size matches what SIZE announced), so a failed download never
//!   leaves a truncated file that looks complete and never clobbers the user's
//!   file;
//! - a failed or aborted download keeps `NAME.part`, which `reget` resumes
//!   with REST;
//! - targets that are not regular files (`/dev/null`, a pipe, `-` for stdout)
//!   are streamed to directly.

use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::names::{UnsafeName, base_name, safe_local_name};
use crate::progress::{Progress, ProgressMode};
use crate::protocol::{self, Client, TransferType};

/// Where a download goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalTarget {
    /// Standard output (`-`).
    Stdout,
    /// A file (or a device or pipe, written to directly).
    Path(PathBuf),
}

/// Where an upload comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalSource {
    /// Standard input (`-`).
    Stdin,
    /// A local file.
    Path(PathBuf),
}

/// What a finished transfer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferReport {
    /// Bytes moved in this run (not counting a resumed prefix).
    pub bytes: u64,
    /// How long it took.
    pub elapsed: Duration,
    /// The local file written, if any.
    pub local: Option<PathBuf>,
    /// True when `reget` found the local copy already complete.
    pub already_complete: bool,
}

/// Why a transfer failed.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The server or the connection failed.
    #[error(transparent)]
    Ftp(#[from] protocol::Error),
    /// A local file could not be read or written.
    #[error("{context}: {source}")]
    Local {
        /// What we were doing, naming the file.
        context: String,
        /// Why it failed.
        #[source]
        source: io::Error,
    },
    /// A name from the server was refused.
    #[error(transparent)]
    UnsafeName(#[from] UnsafeName),
    /// The download failed after data arrived; the data is kept.
    #[error("{error} (partial download kept in {}; `reget` resumes it)", kept.display())]
    Partial {
        /// What went wrong.
        #[source]
        error: Box<TransferError>,
        /// The file holding what was received.
        kept: PathBuf,
    },
    /// `get -r` of a path that is neither a folder nor a file.
    #[error("{path}: no such folder or file ({error})")]
    NoSuchSource {
        /// The remote path, as the user gave it.
        path: String,
        /// What the server said when asked for it as a file.
        #[source]
        error: protocol::Error,
    },
    /// A tree transfer stopped while listing, before anything was moved.
    #[error("{folder}: the tree is not transferred: {why}")]
    TreeStopped {
        /// The remote folder being listed.
        folder: String,
        /// Which limit was passed, or what could not be read.
        why: String,
    },
}

impl TransferError {
    /// The same failure, reported as an abort (keeping where partial data is).
    pub fn into_aborted(self) -> TransferError {
        match self {
            TransferError::Partial { kept, .. } => {
                TransferError::Partial { error: Box::new(protocol::Error::Aborted.into()), kept }
            }
            _ => protocol::Error::Aborted.into(),
        }
    }

    /// The protocol error underneath, if there is one.
    pub fn ftp(&self) -> Option<&protocol::Error> {
        match self {
            TransferError::Ftp(e) => Some(e),
            TransferError::Partial { error, .. } => error.ftp(),
            _ => None,
        }
    }
}

fn local_error(context: String) -> impl FnOnce(io::Error) -> TransferError {
    move |source| TransferError::Local { context, source }
}

/// The file a download of `remote` writes when the user named `local` (or
/// nothing): `-` is standard output, a folder (existing, or named with a
/// trailing `/`) means the remote base name inside it.
pub fn download_target(remote: &str, local: Option<&str>) -> Result<LocalTarget, TransferError> {
    let remote_name = || safe_local_name(base_name(remote));
    match local {
        Some("-") => Ok(LocalTarget::Stdout),
        Some("") => Err(usage_error("", "an empty name is no file")),
        Some(path) if path.ends_with('/') || Path::new(path).is_dir() => {
            if !Path::new(path).is_dir() {
                return Err(usage_error(path, "no such folder"));
            }
            Ok(LocalTarget::Path(Path::new(path).join(remote_name()?)))
        }
        Some(path) => Ok(LocalTarget::Path(PathBuf::from(path))),
        None => Ok(LocalTarget::Path(PathBuf::from(remote_name()?))),
    }
}

fn usage_error(path: &str, why: &str) -> TransferError {
    TransferError::Local {
        context: format!("cannot download to {path:?}"),
        source: io::Error::new(io::ErrorKind::InvalidInput, why.to_string()),
    }
}

/// `NAME.part` beside `path`.
pub fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".part");
    path.with_file_name(name)
}

/// Downloads `remote` to `target`; with `resume`, continues a partial copy
/// (`NAME.part`, else `NAME` itself) with REST.
pub fn download(
    client: &mut Client,
    remote: &str,
    target: &LocalTarget,
    resume: bool,
    progress: ProgressMode,
) -> Result<TransferReport, TransferError> {
    download_sized(client, remote, target, resume, progress, None)
}

/// [`download`], with the remote size when a listing already gave it (which
/// saves a SIZE round trip per file in a batch).
pub fn download_sized(
    client: &mut Client,
    remote: &str,
    target: &LocalTarget,
    resume: bool,
    progress: ProgressMode,
    known_size: Option<u64>,
) -> Result<TransferReport, TransferError> {
    let started = Instant::now();
    // Everything that can be refused locally is refused before any transfer.
    let target = match target {
        LocalTarget::Path(path) => LocalTarget::Path(resolve_local_target(path)?),
        LocalTarget::Stdout => LocalTarget::Stdout,
    };
    if resume && client.transfer_type() == TransferType::Ascii {
        return Err(TransferError::Local {
            context: format!("cannot resume {remote}"),
            source: io::Error::new(
                io::ErrorKind::InvalidInput,
                "resuming works only in binary mode: ASCII conversion changes byte counts",
            ),
        });
    }
    // SIZE only feeds the progress bar and the completeness check: a server
    // without it, or one that refuses it, still gets its RETR.
    let total = match known_size {
        Some(size) => Some(size),
        None => client.size(remote).ok().flatten(),
    };
    match &target {
        LocalTarget::Stdout => {
            // A bar on the same terminal as the data would garble both.
            let progress = if io::stdout().is_terminal() { ProgressMode::Off } else { progress };
            let bytes = stream_to(client, remote, &mut io::stdout().lock(), total, progress)?;
            Ok(TransferReport { bytes, elapsed: started.elapsed(), local: None, already_complete: false })
        }
        LocalTarget::Path(path) if is_special_file(path) => {
            let mut file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(local_error(format!("cannot open {}", path.display())))?;
            let bytes = if is_char_device(&file) {
                // /dev/null and friends take splice; pipes cannot seek, so they
                // are streamed to.
                let mut progress = Progress::start(progress, remote, total, 0);
                let result = client.retrieve_file(remote, &mut file, 0, &mut |n| progress.advance(n));
                progress.finish();
                result?
            } else {
                stream_to(client, remote, &mut file, total, progress)?
            };
            Ok(TransferReport { bytes, elapsed: started.elapsed(), local: Some(path.clone()), already_complete: false })
        }
        LocalTarget::Path(path) => download_to_file(client, remote, path, resume, total, progress, started),
    }
}

/// Follows a symbolic link to the file it names (so the link is written
/// through, not replaced), and refuses a folder.
fn resolve_local_target(path: &Path) -> Result<PathBuf, TransferError> {
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let path = if is_link {
        fs::canonicalize(path).map_err(local_error(format!("{} is a symbolic link to nowhere", path.display())))?
    } else {
        path.to_path_buf()
    };
    if path.is_dir() {
        return Err(usage_error(&path.display().to_string(), "it is a folder"));
    }
    Ok(path)
}

fn is_char_device(file: &File) -> bool {
    use std::os::unix::fs::FileTypeExt;
    file.metadata().is_ok_and(|m| m.file_type().is_char_device())
}

/// Whether `path` exists and is not a regular file (a device, a pipe).
fn is_special_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

fn stream_to(
    client: &mut Client,
    remote: &str,
    out: &mut dyn Write,
    total: Option<u64>,
    mode: ProgressMode,
) -> Result<u64, TransferError> {
    let mut progress = Progress::start(mode, remote, total, 0);
    let result = client.retrieve(remote, &mut progress.writer(out), 0);
    progress.finish();
    Ok(result?)
}

/// Opens a file for writing without following a symbolic link at its name:
/// someone else's link at `NAME.part` in a shared folder must not aim our
/// download at their choice of file.
fn open_no_follow(path: &Path, options: &mut OpenOptions) -> Result<File, TransferError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map_err(local_error(format!("cannot open {}", path.display())))
}

/// The file a download writes into, and what it held before.
struct PartialFile {
    file: File,
    path: PathBuf,
    /// Bytes already there to resume from (0 for a fresh download).
    offset: u64,
    /// Whether this run created the file.
    created: bool,
}

fn open_partial(target: &Path, resume: bool) -> Result<PartialFile, TransferError> {
    let part = part_path(target);
    // Not O_APPEND: the download writes from the offset on (and splice
    // refuses files opened for appending).
    let open_append = |path: &Path| -> Result<PartialFile, TransferError> {
        let file = open_no_follow(path, OpenOptions::new().write(true))?;
        let offset = file.metadata().map_err(local_error(format!("cannot read {}", path.display())))?.len();
        Ok(PartialFile { file, path: path.to_path_buf(), offset, created: false })
    };
    let existing = fs::symlink_metadata(&part).ok();
    if let Some(meta) = &existing
        && !meta.is_file()
    {
        // A link is refused by O_NOFOLLOW below; a pipe or device would hang
        // or swallow the download.
        return Err(usage_error(&part.display().to_string(), "it exists and is not a regular file"));
    }
    if resume && existing.is_some() {
        return open_append(&part);
    }
    if resume && target.is_file() {
        // Classic reget: continue the user's own file in place.
        return open_append(target);
    }
    if existing.is_some() {
        // Never write over it: it may be a partial download worth resuming,
        // or a file of its own that happens to end in .part.
        return Err(TransferError::Local {
            context: format!("cannot download to {}", target.display()),
            source: io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists: `reget` resumes it; remove it to start over", part.display()),
            ),
        });
    }
    let file = open_no_follow(&part, OpenOptions::new().write(true).create_new(true))?;
    Ok(PartialFile { file, path: part, offset: 0, created: true })
}

fn download_to_file(
    client: &mut Client,
    remote: &str,
    target: &Path,
    resume: bool,
    total: Option<u64>,
    mode: ProgressMode,
    started: Instant,
) -> Result<TransferReport, TransferError> {
    let mut partial = open_partial(target, resume)?;
    let binary = client.transfer_type() == TransferType::Binary;
    if resume
        && binary
        && let Some(total) = total
    {
        if partial.offset == total {
            finish_download(&partial.path, target)?;
            return Ok(TransferReport {
                bytes: 0,
                elapsed: started.elapsed(),
                local: Some(target.into()),
                already_complete: true,
            });
        }
        if partial.offset > total {
            return Err(TransferError::Local {
                context: format!("cannot resume {remote}"),
                source: io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} holds {} bytes but the remote file has {total}; left alone",
                        partial.path.display(),
                        partial.offset
                    ),
                ),
            });
        }
    }
    let mut progress = Progress::start(mode, remote, total, partial.offset);
    let result = client.retrieve_file(remote, &mut partial.file, partial.offset, &mut |n| progress.advance(n));
    progress.finish();
    let result = result.map_err(TransferError::from).and_then(|received| match total {
        Some(expected) if binary && partial.offset + received < expected => {
            Err(protocol::Error::Incomplete { received: partial.offset + received, expected }.into())
        }
        _ => Ok(received),
    });
    match result {
        Ok(bytes) => {
            finish_download(&partial.path, target)?;
            Ok(TransferReport {
                bytes,
                elapsed: started.elapsed(),
                local: Some(target.into()),
                already_complete: false,
            })
        }
        Err(error) => {
            // Whatever the file holds (new data, or an older partial download
            // that nothing replaced) is kept for `reget`; an empty file this
            // run created goes away.
            let holds_data = partial.file.metadata().is_ok_and(|m| m.len() > 0);
            drop(partial.file);
            if holds_data {
                return Err(TransferError::Partial { error: Box::new(error), kept: partial.path });
            }
            if partial.created {
                let _ = fs::remove_file(&partial.path);
            }
            Err(error)
        }
    }
}

/// Moves a finished `NAME.part` onto `NAME` (nothing to do when reget wrote in place).
fn finish_download(written: &Path, target: &Path) -> Result<(), TransferError> {
    if written != target {
        fs::rename(written, target).map_err(local_error(format!(
            "cannot rename {} to {}",
            written.display(),
            target.display()
        )))?;
    }
    Ok(())
}

/// Uploads `source` to `remote` (STOR), or appends to it (APPE).
pub fn upload(
    client: &mut Client,
    source: &LocalSource,
    remote: &str,
    append: bool,
    mode: ProgressMode,
) -> Result<TransferReport, TransferError> {
    let started = Instant::now();
    let bytes = match source {
        LocalSource::Stdin => {
            let mut progress = Progress::start(mode, "stdin", None, 0);
            let mut input = progress.reader(io::stdin().lock());
            let result = if append { client.append(remote, &mut input) } else { client.store(remote, &mut input, 0) };
            progress.finish();
            result?
        }
        LocalSource::Path(path) => {
            let mut file = File::open(path).map_err(local_error(format!("cannot open {}", path.display())))?;
            let metadata = file.metadata().map_err(local_error(format!("cannot read {}", path.display())))?;
            if metadata.is_dir() {
                return Err(TransferError::Local {
                    context: format!("cannot upload {}", path.display()),
                    source: io::Error::new(io::ErrorKind::IsADirectory, "it is a folder"),
                });
            }
            let name = path.display().to_string();
            let mut progress = Progress::start(mode, &name, Some(metadata.len()), 0);
            let result = if append {
                client.append(remote, &mut progress.reader(&mut file))
            } else {
                client.store_file(remote, &mut file, 0, &mut |n| progress.advance(n))
            };
            progress.finish();
            result?
        }
    };
    Ok(TransferReport { bytes, elapsed: started.elapsed(), local: None, already_complete: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_files_sit_beside_their_target() {
        assert_eq!(part_path(Path::new("dir/file.txt")), Path::new("dir/file.txt.part"));
        assert_eq!(part_path(Path::new("file")), Path::new("file.part"));
    }

    #[test]
    fn download_targets() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        assert_eq!(download_target("a/b.txt", None).unwrap(), LocalTarget::Path("b.txt".into()));
        assert_eq!(download_target("a/b.txt", Some("-")).unwrap(), LocalTarget::Stdout);
        assert_eq!(download_target("a/b.txt", Some("c")).unwrap(), LocalTarget::Path("c".into()));
        assert_eq!(download_target("a/b.txt", Some(d)).unwrap(), LocalTarget::Path(dir.path().join("b.txt")));
        assert!(download_target("..", None).is_err());
        assert!(download_target("x/..", Some(d)).is_err());
    }
}
