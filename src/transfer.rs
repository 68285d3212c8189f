//! Downloads and uploads with the data-safety rules shared by the shell and
//! the one-shot commands:
//!
//! - a download goes into `NAME.part` beside the target and is renamed onto
//!   `NAME` only after the server's final success reply (and, in binary mode,
//!   only if the size matches what SIZE announced), so a failed download never
//!   leaves a truncated file that looks complete and never clobbers the user's
//!   file;
//! - a failed or aborted download keeps `NAME.part`, which `reget` resumes
//!   with REST (only a file of the user's own: one another user planted in
//!   a shared folder is refused);
//! - beside a `.part` it starts (binary mode), a download keeps what
//!   identified the server's file in `NAME.part.meta`: a header line `rftp
//!   partial download`, then `size N` (SIZE, or the listing's size) and
//!   `modify YYYYMMDDHHMMSS.nnnnnnnnn` (MDTM, or the MLSD listing's
//!   `modify` in a batch; UTC), each when the server
//!   told it. `reget` compares them with the server's answers now and starts
//!   over when either differs, so one version's beginning is never joined
//!   to another's end. A `.part` without it (an older rftp, another tool),
//!   or a server that answers neither SIZE nor MDTM, is resumed as it is;
//!   a sidecar that cannot be read, or a link or anything else not ours at
//!   its name, vouches for nothing and the download starts over; the
//!   sidecar goes when the download completes;
//! - every local name is opened inside its folder without following a
//!   symbolic link ([`crate::localfs`]): a link at `NAME.part` is refused,
//!   a link at `NAME` is replaced by the rename (never written through), and
//!   a file replaced keeps its permission bits (not its owner, and not the
//!   set-user-ID, set-group-ID or sticky bits, which a file continued in
//!   place by `reget` loses too);
//! - in a shared folder (sticky and writable by others, like `/tmp`), what
//!   another user left at `NAME` or `NAME.part` is never continued and lends
//!   no permission bits, and their pipe at `NAME` is never written to: the
//!   kernel's `fs.protected_regular` and `fs.protected_fifos` guard only
//!   opens that create, and rftp opens existing files;
//! - targets that are not regular files (`/dev/null`, a pipe, `-` for stdout,
//!   or a link to a device such as `/dev/stdout`, opened by the kernel) are
//!   streamed to directly;
//! - an upload opens its file without following a link at its name and
//!   sends only a regular file;
//! - a resumed upload (`put -c`, `reput`, a retry) asks SIZE how much the
//!   server holds and sends only the rest (`REST n` + STOR when FEAT lists
//!   `REST STREAM`, else APPE); a remote file longer than the local one is
//!   refused and left alone, and afterwards SIZE must match the local size.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::localfs::{self, Beneath, Folder, Kind};
use crate::names::{UnsafeName, base_name, local_name, safe_local_name};
use crate::progress::{Progress, ProgressMode};
use crate::protocol::shared::is_char_device;
use crate::protocol::{self, Client, FileTime, TransferType};
use crate::ratelimit::{Limited, RateLimit};

mod segments;
pub use segments::{DEFAULT_SEGMENTS, DEFAULT_THRESHOLD, Segmenting, download_segmented};

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
    /// A local file beneath a folder the user named (a batch's), reached
    /// without following a link.
    Beneath(Beneath),
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
    /// True when `reget` found the local copy already complete, or `put -c`
    /// the remote one.
    pub already_complete: bool,
    /// The server's modification time of a downloaded file, when the
    /// download learned it before its RETR (the listing's, or MDTM's): a
    /// mirror keeps it without asking again.
    pub server_time: Option<FileTime>,
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
    /// A resumed upload found the server's file longer than the local one:
    /// nothing was sent, and the server's file is left as it is.
    #[error(
        "cannot resume the upload of {} to {remote}: the remote file has {remote_size} bytes, \
         more than the {local_size} of the local file; left alone (`put` without -c replaces it)",
        local.display()
    )]
    RemoteLarger {
        /// The remote file.
        remote: String,
        /// The local file.
        local: PathBuf,
        /// What SIZE said of the remote file.
        remote_size: u64,
        /// The local file's size.
        local_size: u64,
    },
    /// After an upload, SIZE said the server's file is not as long as the
    /// local one; what was sent stays on the server.
    #[error(
        "{remote}: after the upload the server's file has {remote_size} bytes, not the {local_size} of {}; \
         what was sent is kept on the server",
        local.display()
    )]
    UploadSize {
        /// The remote file.
        remote: String,
        /// The local file.
        local: PathBuf,
        /// What SIZE said after the upload.
        remote_size: u64,
        /// The local file's size.
        local_size: u64,
    },
    /// The bytes of a download were not the server's file (too few, too
    /// many, or not the rest of it), with the file named: those errors
    /// carry byte counts only ([`TransferError::naming`]).
    #[error("{remote}: {error}")]
    WrongBytes {
        /// The remote file.
        remote: String,
        /// What the size check found.
        #[source]
        error: protocol::Error,
    },
    /// `--verify`: the server's checksum of the file is not the local
    /// copy's, after the transfer said it succeeded.
    #[error(
        "the {algorithm} checksums differ after the transfer: the server's {remote} has {remote_hex}, the local {} has {local_hex}",
        local.display()
    )]
    ChecksumMismatch {
        /// The remote file.
        remote: String,
        /// The local file.
        local: PathBuf,
        /// The hash function both sides used.
        algorithm: protocol::HashAlgorithm,
        /// The server's value (lower-case hex).
        remote_hex: String,
        /// The local file's value (lower-case hex).
        local_hex: String,
    },
    /// `--verify` on a server without a checksum command: SIZE says the
    /// server's file is not as long as the local copy.
    #[error(
        "the sizes differ after the transfer: the server's {remote} has {remote_size} bytes, the local {} has {local_size}",
        local.display()
    )]
    SizeMismatch {
        /// The remote file.
        remote: String,
        /// The local file.
        local: PathBuf,
        /// What SIZE said.
        remote_size: u64,
        /// The local file's size.
        local_size: u64,
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
            TransferError::WrongBytes { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The same failure with `remote` named where the message would not
    /// name it: the size checks say how many bytes, not of which file. For
    /// the shell, whose `get` and `reget` otherwise print them bare; the
    /// one-shot commands put the URL before every error already.
    pub fn naming(self, remote: &str) -> TransferError {
        match self {
            TransferError::Ftp(
                error @ (protocol::Error::Incomplete { .. }
                | protocol::Error::TooLong { .. }
                | protocol::Error::RestIgnored { .. }),
            ) => TransferError::WrongBytes { remote: remote.to_string(), error },
            TransferError::Partial { error, kept } => {
                TransferError::Partial { error: Box::new(error.naming(remote)), kept }
            }
            other => other,
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
        // Another user's link to a folder in a shared folder is no folder
        // of the user's: the download replaces the link instead, and `LINK/`
        // is refused.
        Some(path) if localfs::is_planted_link(Path::new(path.trim_end_matches('/'))) && path.ends_with('/') => {
            Err(usage_error(path, "it is a symbolic link of another user in a shared folder; not followed"))
        }
        Some(path) if localfs::is_planted_link(Path::new(path)) => {
            Ok(LocalTarget::Path(crate::names::local_path(path)))
        }
        Some(path) if path.ends_with('/') || Path::new(path).is_dir() => {
            if !Path::new(path).is_dir() {
                return Err(usage_error(path, "no such folder"));
            }
            Ok(LocalTarget::Path(Path::new(path).join(local_name(remote_name()?))))
        }
        Some(path) => Ok(LocalTarget::Path(crate::names::local_path(path))),
        None => Ok(LocalTarget::Path(PathBuf::from(local_name(remote_name()?)))),
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
    path.with_file_name(part_name(path.file_name().unwrap_or_default()))
}

/// Downloads `remote` to `target`; with `resume`, continues a partial copy
/// (`NAME.part`, else `NAME` itself) with REST; paced by `limit`, if any.
pub fn download(
    client: &mut Client,
    remote: &str,
    target: &LocalTarget,
    resume: bool,
    progress: ProgressMode,
    limit: Option<&RateLimit>,
) -> Result<TransferReport, TransferError> {
    download_sized(client, remote, target, resume, progress, None, limit)
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
    limit: Option<&RateLimit>,
) -> Result<TransferReport, TransferError> {
    let started = Instant::now();
    // Everything that can be refused locally is refused before any transfer.
    let file_target = match target {
        LocalTarget::Path(path) => resolve_local_target(path)?,
        LocalTarget::Stdout => None,
    };
    if resume && client.transfer_type() == TransferType::Ascii {
        return Err(ascii_resume_refused(remote));
    }
    // SIZE only feeds the progress bar and the completeness check: a server
    // without it, or one that refuses it, still gets its RETR.
    let known = match known_size {
        Some(size) => RemoteIdentity { size: Some(size), modified: None, whole_only: false },
        None => remote_identity(client, remote),
    };
    let total = known.size;
    match (target, file_target) {
        (LocalTarget::Stdout, _) => download_to_stdout(client, remote, total, progress, started, limit),
        (LocalTarget::Path(path), None) => {
            let mut file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(local_error(format!("cannot open {}", path.display())))?;
            if file.metadata().is_ok_and(|m| m.is_file()) {
                // It was a device or pipe a moment ago: written over in
                // place, a regular file would lose its old contents.
                return Err(usage_error(&path.display().to_string(), "it changed while being opened"));
            }
            let bytes = if is_char_device(&file) && limit.is_none() {
                // /dev/null and friends take splice; pipes cannot seek, so they
                // are streamed to, and so is everything paced by a limit (the
                // kernel's copy cannot be).
                let mut progress = Progress::start(progress, remote, total, 0);
                let result = client.retrieve_file_sized(remote, &mut file, 0, total, &mut |n| progress.advance(n));
                progress.finish();
                result?
            } else {
                stream_to(client, remote, &mut file, total, progress, limit)?
            };
            check_binary_size(client.transfer_type() == TransferType::Binary, 0, bytes, total)?;
            Ok(TransferReport {
                bytes,
                elapsed: started.elapsed(),
                local: Some(path.clone()),
                already_complete: false,
                server_time: None,
            })
        }
        (LocalTarget::Path(_), Some(file)) => {
            download_to_file(client, remote, &file, resume, known, progress, started, limit)
        }
    }
}

/// Why `reget` in ASCII mode is refused before anything is sent.
fn ascii_resume_refused(remote: &str) -> TransferError {
    TransferError::Local {
        context: format!("cannot resume {remote}"),
        source: io::Error::new(
            io::ErrorKind::InvalidInput,
            "resuming works only in binary mode: ASCII conversion changes byte counts",
        ),
    }
}

/// Downloads `remote` to standard output (`-`), checking its size in
/// binary mode; a reader that stops early (`| head`) is no failure.
fn download_to_stdout(
    client: &mut Client,
    remote: &str,
    total: Option<u64>,
    progress: ProgressMode,
    started: Instant,
    limit: Option<&RateLimit>,
) -> Result<TransferReport, TransferError> {
    // A bar on the same terminal as the data would garble both; the count
    // a retry relies on (nothing written yet) is kept.
    let progress = match progress {
        _ if !io::stdout().is_terminal() => progress,
        ProgressMode::Counted(_, written) => ProgressMode::Counted(Box::new(ProgressMode::Off), written),
        _ => ProgressMode::Off,
    };
    let (bytes, reader_left) = stream_to_reader(client, remote, &mut io::stdout().lock(), total, progress, limit)?;
    if let Some(closed) = reader_left {
        crate::output::note_error(&closed);
    }
    Ok(TransferReport { bytes, elapsed: started.elapsed(), local: None, already_complete: false, server_time: None })
}

/// Downloads `remote` into `out`, the input of a local command (the
/// shell's `get FILE |CMD`), checking its size in binary mode. A command
/// that stops reading early (`|head -1`) is no failure: the transfer is
/// aborted (ABOR, the control connection kept) and the bytes it took are
/// what the report counts.
pub fn download_into(
    client: &mut Client,
    remote: &str,
    out: &mut dyn Write,
    progress: ProgressMode,
    limit: Option<&RateLimit>,
) -> Result<TransferReport, TransferError> {
    let started = Instant::now();
    let total = remote_identity(client, remote).size;
    let (bytes, _reader_left) = stream_to_reader(client, remote, out, total, progress, limit)?;
    Ok(TransferReport { bytes, elapsed: started.elapsed(), local: None, already_complete: false, server_time: None })
}

/// Streams `remote` into `out`, whose reader may go away: the bytes it
/// took, and the error that said it left (a broken pipe), if it did.
fn stream_to_reader(
    client: &mut Client,
    remote: &str,
    out: &mut dyn Write,
    total: Option<u64>,
    progress: ProgressMode,
    limit: Option<&RateLimit>,
) -> Result<(u64, Option<io::Error>), TransferError> {
    let mut out = CountingWriter { inner: out, count: 0 };
    match stream_to(client, remote, &mut out, total, progress, limit) {
        Ok(bytes) => {
            check_binary_size(client.transfer_type() == TransferType::Binary, 0, bytes, total)?;
            Ok((bytes, None))
        }
        // The reader of a pipe wanted no more (`| head`): not a failure.
        Err(TransferError::Ftp(protocol::Error::Io { source, .. })) if source.kind() == io::ErrorKind::BrokenPipe => {
            Ok((out.count, Some(source)))
        }
        Err(error) => Err(error),
    }
}

/// Downloads `remote` into `local`, a file beneath a batch's root folder:
/// no symbolic link is followed on the way there (a link at the file's own
/// name is replaced), and anything but a regular file or a link at the name
/// is refused. A batch starts every file afresh, and refuses a `.part` it
/// finds there; with `resume_part` (a retry of a try of this batch that
/// kept its `.part`), that `.part` is continued with REST instead (in
/// ASCII, where nothing is resumed, it is replaced), never the file `NAME`
/// itself.
///
/// `known_size` and `known_modified` are what the listing said (MLSD's
/// `size` and `modify`): each one known saves the SIZE or MDTM round trip
/// that would otherwise ask for it.
pub fn download_beneath(
    client: &mut Client,
    remote: &str,
    local: &Beneath,
    progress: ProgressMode,
    known: (Option<u64>, Option<FileTime>),
    resume_part: bool,
    limit: Option<&RateLimit>,
) -> Result<TransferReport, TransferError> {
    let (known_size, known_modified) = known;
    let started = Instant::now();
    let path = local.display_path();
    let (folder, name) = local.open_parent().map_err(local_error(format!("cannot download to {}", path.display())))?;
    match folder.kind(&name).map_err(local_error(format!("cannot read {}", path.display())))? {
        Some(Kind::Folder) => return Err(usage_error(&path.display().to_string(), "it is a folder")),
        Some(Kind::Special) => {
            return Err(usage_error(&path.display().to_string(), "it exists and is not a regular file"));
        }
        Some(Kind::File | Kind::Link) | None => {}
    }
    // A batch's small file with no time from the listing is fetched whole
    // again after a failure rather than resumed: no MDTM first.
    let known = match known_size {
        Some(size) => RemoteIdentity { size: Some(size), modified: known_modified, whole_only: restarts_whole(known) },
        None => remote_identity(client, remote),
    };
    // Resuming only where a `.part` is (`open_partial` would otherwise
    // continue `NAME` in place, as `reget` does), and only in binary mode:
    // ASCII conversion changes byte counts.
    let part = part_name(&name);
    let own_part = resume_part && matches!(folder.kind(&part), Ok(Some(Kind::File)));
    let binary = client.transfer_type() == TransferType::Binary;
    if own_part && !binary {
        // The retry starts over in ASCII, and the `.part` is this batch's
        // own: it goes, where any other `.part` would be refused.
        folder.remove_file(&part).map_err(local_error(format!("cannot remove {}", part_path(&path).display())))?;
        remove_identity(&folder, &part);
    }
    let resume = own_part && binary;
    let file = FileTarget { folder, name, path };
    download_to_file(client, remote, &file, resume, known, progress, started, limit)
}

/// Whether a batch's download of a file the listing describes with `known`
/// (size, no time) is fetched whole every time, without MDTM or sidecar,
/// and again whole after a failure rather than resumed ([`RESUMED_FROM`]).
pub fn restarts_whole(known: (Option<u64>, Option<FileTime>)) -> bool {
    matches!(known, (Some(size), None) if size < RESUMED_FROM)
}

/// Whether a new `.part` of a small file whose time is known before the
/// download (a listing's `modify`, MLST) gets its sidecar only if a try
/// leaves it behind: the identity is the same then as before the RETR, and
/// a download that succeeds (nearly all) is spared three file operations.
fn identity_deferred(known: &RemoteIdentity, partial: &PartialFile) -> bool {
    partial.created && known.modified.is_some() && known.size.is_some_and(|size| size < RESUMED_FROM)
}

/// What identifies the server's file before a download: in binary mode,
/// MLST's size and time in one round trip when the server has MLST and it
/// applies to the path ([`Client::mlst_applies`]; its
/// `size` is the binary size, RFC 3659 §7.5.5); else SIZE alone (the MDTM
/// follows when a `.part` needs it). An MLST answer without a file's type
/// and size, or a refusal, falls back to SIZE: the size is what proves a
/// download complete.
fn remote_identity(client: &mut Client, remote: &str) -> RemoteIdentity {
    if client.transfer_type() == TransferType::Binary
        && client.mlst_applies(remote)
        && let Ok(entry) = client.mlst(remote)
        && entry.kind() == Some(protocol::EntryKind::File)
        && let Some(size) = entry.size()
    {
        return RemoteIdentity { size: Some(size), modified: entry.modified(), whole_only: false };
    }
    RemoteIdentity { size: client.size(remote).ok().flatten(), modified: None, whole_only: false }
}

/// A download's regular file: `name` inside `folder` (`path` for messages).
struct FileTarget {
    folder: Folder,
    name: OsString,
    path: PathBuf,
}

/// Decides where a download to `path` goes: `None` for a device or pipe
/// (written to directly), else the file to write through a `.part` and a
/// rename. A folder is refused.
///
/// A symbolic link at the name is replaced by the downloaded file, never
/// resolved here: a link planted in a shared sticky folder would otherwise
/// aim the download at a file of the planter's choice, past the kernel's
/// `fs.protected_symlinks`. Only a link to a device or pipe (`/dev/stdout`),
/// and not another user's in a shared folder, is written through, by the
/// kernel's own open, which applies that protection too.
fn resolve_local_target(path: &Path) -> Result<Option<FileTarget>, TransferError> {
    let shown = path.display().to_string();
    let name = path.file_name().ok_or_else(|| usage_error(&shown, "it names no file"))?.to_os_string();
    // The folder the user named is theirs to reach through links.
    let parent = path.parent().unwrap_or(Path::new(""));
    let folder = Folder::open(parent).map_err(local_error(format!("cannot open the folder of {shown}")))?;
    match folder.kind(&name).map_err(local_error(format!("cannot read {shown}")))? {
        Some(Kind::Folder) => Err(usage_error(&shown, "it is a folder")),
        // A pipe another user left in a shared folder would hand them the
        // download: refused, as the kernel's `fs.protected_fifos` refuses it
        // to an open that creates.
        Some(Kind::Special) if planted(&folder, &name) => {
            Err(usage_error(&shown, "it is a pipe or device of another user in a shared folder"))
        }
        Some(Kind::Special) => Ok(None),
        // Another user's link in a shared folder is replaced, never written
        // through, whether or not the kernel's `fs.protected_symlinks`
        // would refuse to follow it.
        Some(Kind::Link) if is_special_file(path) && !planted(&folder, &name) => Ok(None),
        // `/dev/stdout` with standard output sent to a file: replacing the
        // system's link would be wrong, and `-` says what is meant.
        Some(Kind::Link) if fs::read_link(path).is_ok_and(|to| to.starts_with("/proc/")) => {
            Err(usage_error(&shown, "it is a link to an open file; `-` writes to standard output"))
        }
        Some(Kind::File | Kind::Link) | None => Ok(Some(FileTarget { folder, name, path: path.to_path_buf() })),
    }
}

/// Whether `name` in `folder` is another user's, left in a shared folder.
fn planted(folder: &Folder, name: &OsStr) -> bool {
    match folder.stat(name) {
        Ok(Some((_, stat))) => left_by_another_user(folder, stat.st_uid),
        Ok(None) => false,
        Err(_) => true,
    }
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
    limit: Option<&RateLimit>,
) -> Result<u64, TransferError> {
    client.set_read_size(limit.map(RateLimit::burst));
    let mut progress = Progress::start(mode, remote, total, 0);
    // The size bounds what is written: a pipe or a terminal has no .part
    // to throw away, and a server sending on and on must be stopped.
    let result = client.retrieve_sized(remote, &mut Limited::new(progress.writer(out), limit), 0, total);
    progress.finish();
    Ok(result?)
}

/// A writer that counts the bytes it took.
struct CountingWriter<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The file a download writes into, and what it held before.
struct PartialFile {
    file: File,
    /// Its name in the target's folder, and its path for messages.
    name: OsString,
    path: PathBuf,
    /// Bytes already there to resume from (0 for a fresh download).
    offset: u64,
    /// Whether this run created the file.
    created: bool,
}

/// Whether a file owned by `owner` in `folder` is another user's, left in
/// a shared sticky folder (see [`localfs::left_by_another_user`]); a folder
/// whose status cannot be read counts as shared.
fn left_by_another_user(folder: &Folder, owner: u32) -> bool {
    match folder.own_stat() {
        Ok(stat) => localfs::left_by_another_user(&stat, owner),
        Err(_) => !localfs::is_mine(owner),
    }
}

/// `NAME.part`.
fn part_name(name: &OsStr) -> OsString {
    let mut part = name.to_os_string();
    part.push(".part");
    part
}

/// Opens the file a download writes into. Every name is opened inside the
/// target's folder without following a link: someone else's link at
/// `NAME.part` in a shared folder must not aim our download at their choice
/// of file.
fn open_partial(target: &FileTarget, resume: bool) -> Result<PartialFile, TransferError> {
    let FileTarget { folder, name, path } = target;
    let part = part_name(name);
    let part_path = part_path(path);
    let existing = folder.kind(&part).map_err(local_error(format!("cannot read {}", part_path.display())))?;
    if existing.is_some_and(|kind| kind != Kind::File) {
        // A link is never followed; a pipe or device would hang or swallow
        // the download.
        return Err(usage_error(&part_path.display().to_string(), "it exists and is not a regular file"));
    }
    let target_stat = folder.stat(name).map_err(local_error(format!("cannot read {}", path.display())))?;
    let target_mode = match target_stat {
        // Another user's file in a shared folder lends no bits: they could
        // have made it world-writable for the download to inherit.
        Some((Kind::File, stat)) if !left_by_another_user(folder, stat.st_uid) => Some(stat.st_mode & 0o777),
        _ => None,
    };
    if resume && existing.is_some() {
        return open_to_resume(folder, &part, &part_path);
    }
    if resume && target_mode.is_some() {
        // Classic reget: continue the user's own file in place.
        return open_to_resume(folder, name, path);
    }
    if existing.is_some() {
        // Never write over it: it may be a partial download worth resuming,
        // or a file of its own that happens to end in .part.
        return Err(TransferError::Local {
            context: format!("cannot download to {}", path.display()),
            source: io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists: `reget` resumes it; remove it to start over", part_path.display()),
            ),
        });
    }
    // Replacing a file keeps its permission bits (a `chmod 600` file stays
    // private), and the `.part` has them from the start, but always readable
    // and writable by its owner: a `.part` of a read-only file, kept after
    // a failure, must stay open to `reget`. The rename sets the final bits.
    // A new file gets the umask's default.
    let file = folder
        .create_new(&part, if target_mode.is_some() { 0o600 } else { 0o666 })
        .map_err(local_error(format!("cannot create {}", part_path.display())))?;
    if let Some(mode) = target_mode {
        localfs::set_permissions(&file, mode | 0o600)
            .map_err(local_error(format!("cannot set the permissions of {}", part_path.display())))?;
    }
    Ok(PartialFile { file, name: part, path: part_path, offset: 0, created: true })
}

/// Opens `name` in `folder` (`path` for messages) to continue a download
/// from its end; only a file of this user's is continued.
fn open_to_resume(folder: &Folder, name: &OsStr, path: &Path) -> Result<PartialFile, TransferError> {
    // Not O_APPEND: the download writes from the offset on (and splice
    // refuses files opened for appending).
    let file = folder.open_write(name).map_err(local_error(format!("cannot open {}", path.display())))?;
    let metadata = file.metadata().map_err(local_error(format!("cannot read {}", path.display())))?;
    // Only this user's file is continued: one of another user's (planted
    // in a shared folder, writable by all) would put their bytes before
    // the server's, with no sidecar to tell.
    if !localfs::is_mine(metadata.uid()) {
        return Err(TransferError::Local {
            context: format!("cannot resume {}", path.display()),
            source: io::Error::new(
                io::ErrorKind::PermissionDenied,
                "it belongs to another user; remove it, or download without resuming",
            ),
        });
    }
    // Bytes from the server must not join a set-user-ID or set-group-ID
    // file: a write by anyone but root clears those bits, and so does
    // this, for root too.
    let mode = metadata.mode();
    if mode & 0o6000 != 0 {
        localfs::set_permissions(&file, mode & 0o777)
            .map_err(local_error(format!("cannot set the permissions of {}", path.display())))?;
    }
    let offset = metadata.len();
    Ok(PartialFile { file, name: name.to_os_string(), path: path.to_path_buf(), offset, created: false })
}

/// Downloads `remote` into `target` through its `.part`; `known` is what
/// is already known of the server's file (its size from SIZE or a listing,
/// its time from a listing).
// Every one is the download's own: where, how, and what is known of it.
#[allow(clippy::too_many_arguments)]
fn download_to_file(
    client: &mut Client,
    remote: &str,
    target: &FileTarget,
    resume: bool,
    known: RemoteIdentity,
    mode: ProgressMode,
    started: Instant,
    limit: Option<&RateLimit>,
) -> Result<TransferReport, TransferError> {
    let total = known.size;
    let mut partial = open_partial_sized(target, resume, total)?;
    let binary = client.transfer_type() == TransferType::Binary;
    let mut server_time = None;
    if binary && partial.name != target.name {
        server_time = keep_remote_identity(client, remote, target, &mut partial, known)?;
    } else if partial.created {
        // ASCII: resuming is refused anyway; a stale sidecar must not
        // vouch for this new `.part`.
        remove_identity(&target.folder, &partial.name);
    }
    if resume
        && binary
        && let Some(total) = total
        && already_complete(remote, &partial, total)?
    {
        finish_download(&partial, target)?;
        return Ok(TransferReport { server_time, ..file_report(0, started, target, true) });
    }
    let mut progress = Progress::start(mode, remote, total, partial.offset);
    // A regular file is written through a buffer (never spliced), so the
    // limit paces the bytes as they are counted, read a burst at a time; on
    // Ctrl-C the wait ends and the aborted connection ends the transfer.
    client.set_read_size(limit.map(RateLimit::burst));
    let result = client.retrieve_file_sized(remote, &mut partial.file, partial.offset, total, &mut |n| {
        progress.advance(n);
        if let Some(limit) = limit {
            let _ = limit.take(n);
        }
    });
    progress.finish();
    let result = result
        .map_err(TransferError::from)
        .and_then(|received| check_binary_size(binary, partial.offset, received, total).map(|()| received));
    match result {
        Ok(bytes) => {
            finish_download(&partial, target)?;
            Ok(TransferReport { server_time, ..file_report(bytes, started, target, false) })
        }
        // A small file of a batch is fetched whole next time: what
        // arrived is of no use, and no `.part` is left to be continued.
        Err(error) if known.whole_only && partial.name != target.name => {
            drop(partial.file);
            let _ = target.folder.remove_file(&partial.name);
            Err(error)
        }
        Err(error) => {
            if binary && partial.name != target.name && identity_deferred(&known, &partial) {
                write_identity(&target.folder, &partial.name, known);
            }
            Err(after_failed_download(partial, target, error))
        }
    }
}

/// The report of a download into `target` that moved `bytes` since `started`.
fn file_report(bytes: u64, started: Instant, target: &FileTarget, already_complete: bool) -> TransferReport {
    let local = Some(target.path.clone());
    TransferReport { bytes, elapsed: started.elapsed(), local, already_complete, server_time: None }
}

/// Opens the file a download writes into ([`open_partial`]); without the
/// remote size, a resumed one starts over instead.
fn open_partial_sized(target: &FileTarget, resume: bool, total: Option<u64>) -> Result<PartialFile, TransferError> {
    let mut partial = open_partial(target, resume)?;
    if total.is_none() && partial.offset > 0 {
        // Without the remote size, a server that answers REST with 350 and
        // then sends the file from byte 0 cannot be told from one that
        // resumed: start over rather than risk the prefix plus the whole
        // file. Over a `.part` that is safe; the user's own `NAME` (the
        // classic in-place `reget`) is left as it is, and a fresh `.part`
        // takes the download.
        if partial.name == target.name {
            drop(partial);
            partial = open_partial(target, false)?;
        } else {
            partial.offset = 0;
        }
    }
    Ok(partial)
}

/// Whether the file being resumed already holds all `total` bytes of
/// `remote`; one that holds more is an error, and is left alone.
fn already_complete(remote: &str, partial: &PartialFile, total: u64) -> Result<bool, TransferError> {
    if partial.offset == total {
        return Ok(true);
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
    Ok(false)
}

/// After a download failed with `error`: keeps what the file holds for
/// `reget` (saying where), or removes an empty file this run created.
fn after_failed_download(partial: PartialFile, target: &FileTarget, error: TransferError) -> TransferError {
    if matches!(error.ftp(), Some(protocol::Error::TooLong { .. } | protocol::Error::RestIgnored { .. })) {
        // What arrived is not the rest of this file: keep only the
        // prefix the file held before.
        let _ = partial.file.set_len(partial.offset);
    }
    // Whatever the file holds (new data, or an older partial download
    // that nothing replaced) is kept for `reget`; an empty file this
    // run created goes away.
    let holds_data = partial.file.metadata().is_ok_and(|m| m.len() > 0);
    drop(partial.file);
    if holds_data {
        return TransferError::Partial { error: Box::new(error), kept: partial.path };
    }
    if partial.created {
        let _ = target.folder.remove_file(&partial.name);
        remove_identity(&target.folder, &partial.name);
    }
    error
}

/// Moves a finished `NAME.part` onto `NAME` (nothing to do when reget wrote
/// in place) inside the target's folder; a link at `NAME` is replaced. The
/// file replaced keeps its permission bits, even when they changed while
/// the download ran or a resumed `.part` was made before them.
fn finish_download(written: &PartialFile, target: &FileTarget) -> Result<(), TransferError> {
    if written.name == target.name {
        return Ok(());
    }
    if let Ok(Some((Kind::File, stat))) = target.folder.stat(&target.name)
        && !left_by_another_user(&target.folder, stat.st_uid)
    {
        localfs::set_permissions(&written.file, stat.st_mode & 0o777)
            .map_err(local_error(format!("cannot set the permissions of {}", written.path.display())))?;
    }
    target.folder.rename(&written.name, &target.name).map_err(local_error(format!(
        "cannot rename {} to {}",
        written.path.display(),
        target.path.display()
    )))?;
    // What identified the remote file is of no use once the file is whole.
    remove_identity(&target.folder, &written.name);
    Ok(())
}

/// `NAME.part.meta`: what identified the server's file when `NAME.part`
/// was started.
fn identity_name(part: &OsStr) -> OsString {
    let mut name = part.to_os_string();
    name.push(".meta");
    name
}

/// What identifies a version of the server's file: its size (SIZE, or the
/// listing's) and its modification time (MDTM, or MLSD's `modify`). Either
/// may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct RemoteIdentity {
    size: Option<u64>,
    modified: Option<FileTime>,
    /// A small file of a batch, fetched whole every time without asking
    /// its time ([`RESUMED_FROM`]): no sidecar, and no `.part` left after
    /// a failure. Never written into a sidecar.
    whole_only: bool,
}

/// The smallest file whose identity is written before it moves: the MDTM
/// that identifies the server's file costs a round trip before every
/// download, and its sidecar three file operations, more than fetching a
/// smaller file again whole costs after the rare failure (in a tree of
/// small files most of the time is round trips). A smaller file of a batch
/// whose listing gave no time is fetched whole every time, and a failed try
/// leaves no `.part` ([`restarts_whole`]); one whose time is known gets its
/// sidecar only when a try leaves a `.part`. A single `get` asks MDTM
/// whatever the size.
pub const RESUMED_FROM: u64 = 1 << 20;

/// The first line of a `NAME.part.meta` file.
const IDENTITY_HEADER: &str = "rftp partial download";

impl RemoteIdentity {
    /// The sidecar's text: a header line, then `size N` and `modify
    /// YYYYMMDDHHMMSS[.nnnnnnnnn]` (UTC, as MDTM says it) for what is known.
    fn to_text(self) -> String {
        let mut text = format!("{IDENTITY_HEADER}\n");
        if let Some(size) = self.size {
            text.push_str(&format!("size {size}\n"));
        }
        if let Some(t) = self.modified {
            text.push_str(&format!(
                "modify {:04}{:02}{:02}{:02}{:02}{:02}.{:09}\n",
                t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanos
            ));
        }
        text
    }

    /// Reads a sidecar's text; `None` when it is not one.
    fn parse(text: &str) -> Option<RemoteIdentity> {
        let mut lines = text.lines();
        if lines.next()? != IDENTITY_HEADER {
            return None;
        }
        let mut identity = RemoteIdentity::default();
        for line in lines {
            match line.split_once(' ') {
                Some(("size", size)) => identity.size = Some(size.parse().ok()?),
                Some(("modify", time)) => identity.modified = Some(FileTime::parse(time)?),
                _ => {} // a fact a later version keeps
            }
        }
        Some(identity)
    }

    /// Whether the two are surely different files: some fact both know differs.
    fn differs_from(&self, other: &RemoteIdentity) -> bool {
        fn differ<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
            matches!((a, b), (Some(a), Some(b)) if a != b)
        }
        differ(self.size, other.size) || differ(self.modified, other.modified)
    }
}

/// Keeps the server file's identity beside a `.part` it starts, and checks
/// it when resuming one: when the server's file changed since, the `.part`
/// is emptied and the download starts over, rather than joining the old
/// version's beginning to the new one's end. A `.part` without a sidecar
/// (made by an older rftp or another tool), and a server that tells neither
/// SIZE nor MDTM, resume as they are. Returns the server's time the
/// identity holds, when known.
fn keep_remote_identity(
    client: &mut Client,
    remote: &str,
    target: &FileTarget,
    partial: &mut PartialFile,
    known: RemoteIdentity,
) -> Result<Option<FileTime>, TransferError> {
    if known.whole_only {
        // A small file of a batch, fetched whole every time: nothing need
        // identify what a `.part` holds (a stale one is emptied).
        if !partial.created {
            partial.file.set_len(0).map_err(local_error(format!("cannot empty {}", partial.path.display())))?;
            partial.offset = 0;
        }
        remove_identity(&target.folder, &partial.name);
        return Ok(None);
    }
    if identity_deferred(&known, partial) {
        remove_identity(&target.folder, &partial.name);
        return Ok(known.modified);
    }
    let sidecar = identity_name(&partial.name);
    let kept = if partial.created {
        None
    } else {
        match read_identity(&target.folder, &sidecar) {
            Some(kept) => Some(kept),
            // No sidecar: a .part of an older rftp or another tool, resumed as before.
            None if matches!(target.folder.kind(&sidecar), Ok(None)) => return Ok(None),
            // A link, or anything else not ours, at its name (planted by a
            // co-user of a shared folder, say): it cannot vouch either.
            None => Some(KeptIdentity::Unreadable),
        }
    };
    // The MDTM costs a round trip per file; without it a new version of the
    // same size would be joined to the old one. A listing's `modify` does as
    // well: taken before the RETR, as the MDTM is, any later change of the
    // file still shows as a difference when the `.part` is resumed.
    let modified = match known.modified {
        Some(time) => Some(time),
        None => client.mdtm(remote).ok(),
    };
    let now = RemoteIdentity { size: known.size, modified, whole_only: false };
    if let Some(kept) = kept {
        match kept {
            KeptIdentity::Known(kept) if !kept.differs_from(&now) => {
                forget_holes(target, partial, now)?;
                return Ok(modified);
            }
            KeptIdentity::Known(_) => errln!(
                "rftp: {remote} changed on the server since {} was started; downloading it again",
                partial.path.display()
            ),
            KeptIdentity::Unreadable => errln!(
                "rftp: {} cannot tell which version of {remote} {} holds; downloading it again",
                identity_path(&target.path).display(),
                partial.path.display()
            ),
        }
        partial.file.set_len(0).map_err(local_error(format!("cannot empty {}", partial.path.display())))?;
        partial.offset = 0;
    }
    write_identity(&target.folder, &partial.name, now);
    Ok(modified)
}

/// A `.part` that segmented ranges were written into when rftp stopped
/// (its sidecar still says `segmented-from N`, see [`segments`]) holds
/// data only in its first `N` bytes: it is cut there before it is resumed.
fn forget_holes(target: &FileTarget, partial: &mut PartialFile, now: RemoteIdentity) -> Result<(), TransferError> {
    let Some(prefix) = segments::read_marked_prefix(&target.folder, &partial.name) else { return Ok(()) };
    if partial.offset > prefix {
        partial.file.set_len(prefix).map_err(local_error(format!("cannot cut {}", partial.path.display())))?;
        partial.offset = prefix;
    }
    write_identity(&target.folder, &partial.name, now);
    Ok(())
}

/// Writes `now` as the sidecar of the `.part` `part` in `folder`, in place
/// of a stale one of ours; best effort.
fn write_identity(folder: &Folder, part: &OsStr, now: RemoteIdentity) {
    if now == RemoteIdentity::default() {
        // Nothing to keep: a stale sidecar of ours still goes.
        remove_identity(folder, part);
        return;
    }
    write_identity_text(folder, part, &now.to_text());
}

/// Writes `text` as the sidecar of the `.part` `part` in `folder`, in
/// place of a stale one of ours; best effort: false when it was not written.
fn write_identity_text(folder: &Folder, part: &OsStr, text: &str) -> bool {
    // A stale sidecar of ours (its `.part` removed by hand) goes; anything
    // else at that name is the user's and stays, and the identity is then
    // not kept.
    if !remove_identity(folder, part) {
        return false;
    }
    // Best effort, like the `.part` itself being resumable: without the
    // sidecar (a full disk, a name taken in a race), a later `reget` resumes
    // as it would a `.part` of an older rftp.
    let sidecar = identity_name(part);
    let Ok(mut file) = folder.create_new(&sidecar, 0o666) else { return false };
    if file.write_all(text.as_bytes()).is_err() {
        let _ = folder.remove_file(&sidecar);
        return false;
    }
    true
}

/// What a sidecar of ours says about the `.part` beside it.
enum KeptIdentity {
    /// The identity of the server's file when the `.part` was started.
    Known(RemoteIdentity),
    /// Our header, then what cannot be read (cut short by a crash, edited
    /// by hand): it cannot vouch for the `.part`.
    Unreadable,
}

/// Whether `local`'s `NAME.part` has a sidecar of ours beside it
/// (`NAME.part.meta`): it was left by an rftp download, which can tell
/// whether the server's file is still the one it started.
pub fn part_has_identity(local: &Beneath) -> bool {
    local.open_parent().is_ok_and(|(folder, name)| read_identity(&folder, &identity_name(&part_name(&name))).is_some())
}

/// Reads the sidecar `name` in `folder`; `None` when there is no sidecar of
/// ours there (nothing, a file without our header, a link, a file too
/// large to be ours, or another user's file).
fn read_identity(folder: &Folder, name: &OsStr) -> Option<KeptIdentity> {
    // Ours are under 100 bytes; reading one more than the limit tells a
    // larger file, which a cut read could misread, from one of ours.
    const LIMIT: u64 = 4096;
    // Another user of a shared folder can write a sidecar first, with our
    // header and whatever identity lets a `.part` of an older version be
    // continued. Ours cannot be replaced there afterwards (the sticky bit),
    // so the owner checked here is the owner of what is read.
    match folder.stat(name) {
        Ok(Some((Kind::File, stat))) if localfs::is_mine(stat.st_uid) => {}
        _ => return None,
    }
    let bytes = folder.read(name, LIMIT + 1).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    if text.lines().next() != Some(IDENTITY_HEADER) {
        return None;
    }
    match RemoteIdentity::parse(&text) {
        Some(identity) if bytes.len() as u64 <= LIMIT => Some(KeptIdentity::Known(identity)),
        _ => Some(KeptIdentity::Unreadable),
    }
}

/// Removes `PART.meta` when it is a sidecar rftp wrote (a file of the
/// user's that happens to have the name stays). True when nothing is left
/// at the name.
fn remove_identity(folder: &Folder, part: &OsStr) -> bool {
    let sidecar = identity_name(part);
    match folder.kind(&sidecar) {
        Ok(None) => true,
        Ok(Some(Kind::File)) => read_identity(folder, &sidecar).is_some() && folder.remove_file(&sidecar).is_ok(),
        _ => false,
    }
}

/// `NAME.part.meta` beside `path` (see [`part_path`]): where a partial
/// download keeps what identified the server's file.
pub fn identity_path(path: &Path) -> PathBuf {
    let part = part_path(path);
    part.with_file_name(identity_name(part.file_name().unwrap_or_default()))
}

/// How an upload treats the remote file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    /// Replace it (STOR): `put`.
    Replace,
    /// Add to its end (APPE): `append`.
    Append,
    /// Send only what it lacks, after what a cut upload left (`put -c`,
    /// `reput`, and a retry of an upload).
    ///
    /// It trusts that the remote file begins like the local one, which only
    /// its size can check. A retry of `put` may resume only after a try
    /// that sent data (its STOR was accepted, so the server's old file was
    /// replaced); after a try that sent nothing, the remote file may still
    /// be the older version `put` meant to replace, and resuming would join
    /// its beginning to the local file's end: such a retry replaces again.
    /// A retry of `append` never resumes.
    Resume,
}

/// Uploads `source` to `remote` as `how` says, paced by `limit`, if any.
pub fn upload(
    client: &mut Client,
    source: &LocalSource,
    remote: &str,
    how: UploadMode,
    mode: ProgressMode,
    limit: Option<&RateLimit>,
) -> Result<TransferReport, TransferError> {
    let started = Instant::now();
    if how == UploadMode::Resume {
        return resume_upload(client, source, remote, mode, limit, started);
    }
    let append = how == UploadMode::Append;
    let bytes = match open_upload_source(source)? {
        None => {
            let mut progress = Progress::start(mode, "stdin", None, 0);
            let mut input = Limited::new(progress.reader(io::stdin().lock()), limit);
            let result = if append { client.append(remote, &mut input) } else { client.store(remote, &mut input, 0) };
            progress.finish();
            result?
        }
        Some((file, path)) => {
            let verb = if append { Sending::Append } else { Sending::Store };
            send_file(client, file, &path, remote, verb, mode, limit)?
        }
    };
    Ok(TransferReport { bytes, elapsed: started.elapsed(), local: None, already_complete: false, server_time: None })
}

/// Opens the file an upload sends, with its path for messages; `None` for
/// standard input. A link at the name, or anything but a regular file
/// (perhaps swapped in after a batch was planned), is refused, not sent.
pub(crate) fn open_upload_source(source: &LocalSource) -> Result<Option<(File, PathBuf)>, TransferError> {
    match source {
        LocalSource::Stdin => Ok(None),
        LocalSource::Path(path) => {
            let file = localfs::open_regular_no_follow(path)
                .map_err(local_error(format!("cannot upload {}", path.display())))?;
            Ok(Some((file, path.clone())))
        }
        LocalSource::Beneath(local) => {
            let path = local.display_path();
            let file = local
                .open_parent()
                .and_then(|(folder, name)| folder.open_read(&name))
                .map_err(local_error(format!("cannot upload {}", path.display())))?;
            Ok(Some((file, path)))
        }
    }
}

/// `put -c`, `reput`, and an upload tried again: sends only what the
/// server's file lacks. SIZE (RFC 3659 §4) tells how much it holds; the
/// rest goes with `REST n` + `STOR` when FEAT lists `REST STREAM` (RFC 3659
/// §5), else with APPE, which every server has (RFC 959 §4.1.3). Without a
/// remote file, or without SIZE, the whole file is sent with STOR. Then
/// SIZE must say the server's file is as long as the local one.
fn resume_upload(
    client: &mut Client,
    source: &LocalSource,
    remote: &str,
    mode: ProgressMode,
    limit: Option<&RateLimit>,
    started: Instant,
) -> Result<TransferReport, TransferError> {
    // Checked before anything goes to the server: ASCII conversion changes
    // byte counts, so the server's size says nothing about the local bytes.
    if client.transfer_type() == TransferType::Ascii {
        return Err(ascii_resume_refused(remote));
    }
    let Some((file, path)) = open_upload_source(source)? else {
        return Err(TransferError::Local {
            context: format!("cannot resume the upload of standard input to {remote}"),
            source: io::Error::new(
                io::ErrorKind::InvalidInput,
                "standard input cannot be read from the middle; upload it whole without -c",
            ),
        });
    };
    let local_size = file.metadata().map_err(local_error(format!("cannot read {}", path.display())))?.len();
    let report = |bytes, already_complete| TransferReport {
        bytes,
        elapsed: started.elapsed(),
        local: None,
        already_complete,
        server_time: None,
    };
    let remote_size = match remote_holds(client, remote)? {
        RemoteHolds::Bytes(size) => size,
        // Nothing to resume from: the whole file, checked when SIZE can tell.
        held => {
            let bytes = send_file(client, file, &path, remote, Sending::Store, mode, limit)?;
            if held == RemoteHolds::Nothing {
                check_uploaded_size(client, remote, &path, local_size)?;
            }
            return Ok(report(bytes, false));
        }
    };
    if remote_size == local_size {
        return Ok(report(0, true));
    }
    if remote_size > local_size {
        return Err(TransferError::RemoteLarger { remote: remote.to_string(), local: path, remote_size, local_size });
    }
    let how = if remote_size == 0 {
        Sending::Store
    } else if rest_stream(client) {
        Sending::StoreFrom(remote_size)
    } else {
        Sending::AppendFrom(remote_size)
    };
    let bytes = send_file(client, file, &path, remote, how, mode, limit)?;
    check_uploaded_size(client, remote, &path, local_size)?;
    Ok(report(bytes, false))
}

/// What SIZE says the server holds of a file an upload resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RemoteHolds {
    /// This many bytes.
    Bytes(u64),
    /// No such file (550, or another refusal of SIZE for this file).
    Nothing,
    /// The server cannot tell: no SIZE, or a reply that is not a number.
    Unknown,
}

/// Asks SIZE how much of `remote` the server holds; a failed connection
/// is an error.
fn remote_holds(client: &mut Client, remote: &str) -> Result<RemoteHolds, TransferError> {
    match client.size(remote) {
        Ok(Some(size)) => Ok(RemoteHolds::Bytes(size)),
        Ok(None) | Err(protocol::Error::Protocol(_)) => Ok(RemoteHolds::Unknown),
        // STOR will say whether the file can be written at all.
        Err(protocol::Error::Permanent { .. }) => Ok(RemoteHolds::Nothing),
        Err(e) => Err(e.into()),
    }
}

/// Whether FEAT announced `REST STREAM` (RFC 3659 §5.3): REST before STOR
/// then means "write from byte n". Without it, REST may be meant for RETR
/// alone, and APPE is the safe way to add to the file.
fn rest_stream(client: &Client) -> bool {
    client.features().get("REST").is_some_and(|p| p.split_whitespace().any(|w| w.eq_ignore_ascii_case("STREAM")))
}

/// After an upload: SIZE must say the server's file is as long as the
/// local one (`local`, `local_size`). A server that answered SIZE before
/// the upload must answer it now.
fn check_uploaded_size(client: &mut Client, remote: &str, local: &Path, local_size: u64) -> Result<(), TransferError> {
    let remote_size = match client.size(remote) {
        Ok(Some(size)) => size,
        Ok(None) => {
            return Err(protocol::Error::Protocol(format!(
                "{remote}: SIZE was refused after the upload, so the server's file cannot be checked"
            ))
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    if remote_size == local_size {
        return Ok(());
    }
    Err(TransferError::UploadSize { remote: remote.to_string(), local: local.to_path_buf(), remote_size, local_size })
}

/// Whether a download brought exactly the remote file: in binary mode, the
/// prefix it resumed from (`offset`) plus what arrived must be the file's
/// size when that is known (SIZE, or a listing); fewer bytes and more are
/// both errors. ASCII conversion changes byte counts, so ASCII is not checked.
fn check_binary_size(binary: bool, offset: u64, received: u64, size: Option<u64>) -> Result<(), TransferError> {
    let Some(size) = size else { return Ok(()) };
    let whole = offset.saturating_add(received);
    if !binary || whole == size {
        return Ok(());
    }
    let error = if offset > 0 && received == size {
        // 350 to REST, then the whole file: a server that cannot resume.
        protocol::Error::RestIgnored { offset, received }
    } else if whole < size {
        protocol::Error::Incomplete { received: whole, expected: size }
    } else {
        protocol::Error::TooLong { received: whole, expected: size }
    };
    Err(error.into())
}

/// Which command [`send_file`] sends a file with, and from which byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sending {
    /// The whole file, with STOR.
    Store,
    /// The whole file, with APPE.
    Append,
    /// From byte n on, with `REST n` and STOR.
    StoreFrom(u64),
    /// From byte n on, with APPE.
    AppendFrom(u64),
}

/// Sends an open file (`path` names it in messages) as `how` says; with a
/// limit, through a reader it paces instead of `sendfile`.
fn send_file(
    client: &mut Client,
    mut file: File,
    path: &Path,
    remote: &str,
    how: Sending,
    mode: ProgressMode,
    limit: Option<&RateLimit>,
) -> Result<u64, TransferError> {
    let metadata = file.metadata().map_err(local_error(format!("cannot read {}", path.display())))?;
    let offset = match how {
        Sending::Store | Sending::Append => 0,
        Sending::StoreFrom(offset) | Sending::AppendFrom(offset) => offset,
    };
    if offset > 0 {
        // Both the copy and sendfile send from the file's position.
        file.seek(SeekFrom::Start(offset)).map_err(local_error(format!("cannot read {}", path.display())))?;
    }
    let name = path.display().to_string();
    let mut progress = Progress::start(mode, &name, Some(metadata.len()), offset);
    let result = match (how, limit) {
        // With a limit, through a reader it paces instead of sendfile.
        (Sending::Store | Sending::StoreFrom(_), Some(_)) => {
            client.store(remote, &mut Limited::new(progress.reader(&mut file), limit), offset)
        }
        (Sending::Append | Sending::AppendFrom(_), Some(_)) => {
            client.append(remote, &mut Limited::new(progress.reader(&mut file), limit))
        }
        (Sending::Store | Sending::StoreFrom(_), None) => {
            client.store_file(remote, &mut file, offset, &mut |n| progress.advance(n))
        }
        (Sending::Append | Sending::AppendFrom(_), None) => {
            client.append_file(remote, &mut file, &mut |n| progress.advance(n))
        }
    };
    progress.finish();
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_must_bring_exactly_the_remote_size() {
        let check = |offset, received, size| check_binary_size(true, offset, received, size).map_err(|e| e.to_string());
        assert!(check(0, 10, Some(10)).is_ok());
        assert!(check(4, 6, Some(10)).is_ok());
        assert!(check(0, 10, None).is_ok(), "nothing to compare with");
        assert!(check_binary_size(false, 0, 12, Some(10)).is_ok(), "ASCII changes byte counts");
        assert!(check(0, 9, Some(10)).unwrap_err().contains("received 9 of 10 bytes"));
        assert!(check(4, 5, Some(10)).unwrap_err().contains("received 9 of 10 bytes"));
        assert!(check(0, 11, Some(10)).unwrap_err().contains("transfer too long: received 11 bytes"));
        assert!(check(4, 7, Some(10)).unwrap_err().contains("transfer too long"));
        let ignored = check(4, 10, Some(10)).unwrap_err();
        assert!(ignored.contains("ignored REST 4 and sent the file from the start"), "{ignored}");
    }

    #[test]
    fn part_files_sit_beside_their_target() {
        assert_eq!(part_path(Path::new("dir/file.txt")), Path::new("dir/file.txt.part"));
        assert_eq!(part_path(Path::new("file")), Path::new("file.part"));
    }

    #[test]
    fn remote_identities_round_trip_and_compare_what_both_know() {
        let modified = FileTime::parse("20261201101010.25");
        let full = RemoteIdentity { size: Some(42), modified, ..Default::default() };
        assert_eq!(RemoteIdentity::parse(&full.to_text()), Some(full));
        let size_only = RemoteIdentity { size: Some(42), ..Default::default() };
        assert_eq!(RemoteIdentity::parse(&size_only.to_text()), Some(size_only));
        assert_eq!(RemoteIdentity::parse("something else\nsize 1\n"), None);
        assert_eq!(RemoteIdentity::parse("rftp partial download\nsize x\n"), None);

        assert!(!full.differs_from(&full));
        assert!(!full.differs_from(&size_only), "an unknown time is no difference");
        assert!(!full.differs_from(&RemoteIdentity::default()));
        assert!(full.differs_from(&RemoteIdentity { size: Some(43), modified, ..Default::default() }));
        let later = FileTime::parse("20261201101011");
        assert!(full.differs_from(&RemoteIdentity { size: Some(42), modified: later, ..Default::default() }));
    }

    #[test]
    fn identity_files_sit_beside_the_part() {
        assert_eq!(identity_path(Path::new("dir/f.txt")), Path::new("dir/f.txt.part.meta"));
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
