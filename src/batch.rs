//! Many files at once: planning whole trees (`get -r`, `put -r`) and running
//! file jobs on several connections in parallel, with one combined progress
//! display. A failure on one file does not stop the others; a transient one
//! is tried again (issue #12), and every failure is reported at the end.

use std::collections::{HashSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use indicatif::{BinaryBytes, ProgressBar, ProgressDrawTarget};

use crate::checksum::{self, VerifyNotes};
use crate::display::printable;
use crate::localfs::{Beneath, Folder};
use crate::names::{base_name, local_name, safe_local_name};
use crate::progress::{ProgressMode, styled_bar};
use crate::protocol::shared::{into_inner, lock};
use crate::protocol::{self, AbortHandle, Client, FileTime, TransferType};
// The retry policy is the session's; it sits in a leaf module of its own.
use crate::ratelimit::RateLimit;
use crate::session::retry::{self, RetryPolicy};
use crate::transfer::{self, LocalSource, TransferError, UploadMode};

/// How deep a recursive transfer may go: a guard against loops on servers
/// that show linked folders as folders.
pub const MAX_DEPTH: usize = 64;

/// One file to move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// RETR `remote` into `local`.
    Download {
        /// The remote path.
        remote: String,
        /// The local file, beneath the batch's root folder.
        local: Beneath,
        /// The size, when the listing said.
        size: Option<u64>,
        /// The modification time, when the listing said (MLSD's `modify`):
        /// it identifies the file beside a `.part` without an MDTM.
        modified: Option<FileTime>,
    },
    /// STOR `local` as `remote`.
    Upload {
        /// The local file, beneath the folder the user named.
        local: Beneath,
        /// The remote path.
        remote: String,
        /// The size.
        size: Option<u64>,
    },
    /// Not a file: a folder for the batch's [`Hooks`] to list, which adds
    /// the jobs it finds to the batch while the others run (a mirror).
    Visit(Visit),
}

/// A folder a batch lists while it runs ([`Job::Visit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    /// The remote folder.
    pub remote: String,
    /// The same folder relative to the tree's root, on both sides, its
    /// names as the server spells them, joined with `/` (`""`: the root).
    pub relative: String,
    /// How deep below the root it is.
    pub depth: usize,
    /// The folder as messages show it.
    pub shown: String,
    /// The target's folder was made by this batch (or would be, in a dry
    /// run): it is empty, and not listed.
    pub fresh: bool,
}

impl Job {
    fn size(&self) -> Option<u64> {
        match self {
            Job::Download { size, .. } | Job::Upload { size, .. } => *size,
            Job::Visit(_) => Some(0),
        }
    }

    /// Whether the job moves a file (a [`Job::Visit`] does not).
    pub fn is_file(&self) -> bool {
        !matches!(self, Job::Visit(_))
    }

    /// The file's name as messages show it.
    pub fn describe(&self) -> String {
        match self {
            Job::Download { remote, .. } => remote.clone(),
            Job::Upload { local, .. } => local.display_path().display().to_string(),
            Job::Visit(visit) => visit.shown.clone(),
        }
    }
}

/// What a batch asks of the command that runs it, beyond moving files: to
/// list the folders of [`Job::Visit`]s, to finish each file (times, checks),
/// and to hear how each job ended. Every method runs on a worker's thread.
pub trait Hooks: Send + Sync {
    /// Lists `visit`'s folder on `client` and returns the jobs it leads to:
    /// files to move and further folders to visit. An error fails the
    /// folder (a transient one is tried again, as for files).
    fn visit(&self, client: &mut Client, visit: &Visit) -> Result<Vec<Job>, TransferError>;

    /// Called after `job` moved its file, on the same connection, with the
    /// server's time of a downloaded file when the download learned it (so
    /// it need not be asked again); an error fails the job.
    fn finish(&self, client: &mut Client, job: &Job, learned: Option<FileTime>) -> Result<(), TransferError>;

    /// How a job ended for good: the bytes its tries moved, or why it failed.
    fn ended(&self, job: &Job, result: Result<u64, &str>);

    /// For an upload an earlier run cut: the bytes of the server's file that
    /// run sent, to continue from as a retry would; 0 for a fresh start.
    fn sent_before(&self, _job: &Job) -> u64 {
        0
    }

    /// Whether a `.part` an earlier rftp run left (with the identity of the
    /// server's file beside it) is continued, as a mirror does; a new
    /// download of a tree starts each file afresh, as `get` does.
    fn continues_parts(&self) -> bool {
        true
    }

    /// What went wrong besides the jobs that failed (a name that cannot be
    /// saved, a folder that cannot be listed), taken once the batch is
    /// over: it joins the batch's failures.
    fn take_failures(&self) -> Vec<Failure> {
        Vec::new()
    }
}

/// How one file of a batch ended, told to the batch's [`FileLog`].
#[derive(Debug)]
pub enum FileEnd<'a> {
    /// Moved: the bytes its tries moved.
    Moved(u64),
    /// Failed for good, after moving `bytes` in all its tries.
    Failed {
        /// Why.
        error: &'a TransferError,
        /// Bytes its tries moved.
        bytes: u64,
    },
    /// Never tried: the batch stopped first.
    NotTried {
        /// Why, as the batch's failures say it.
        why: &'a str,
        /// Ctrl-C stopped the batch (else every connection was lost).
        interrupted: bool,
    },
}

/// Hears how each file of a batch ended, as it ends (`--json`'s lines):
/// the per-file account a script reads, beside the failures the batch
/// lists at its end. Runs on a worker's thread.
pub trait FileLog: Send + Sync {
    /// `job` ended as `end` says, `elapsed` after its first try began
    /// (retries and their waits included).
    fn ended(&self, job: &Job, elapsed: Duration, end: FileEnd<'_>);

    /// Something that is no file job failed: a folder that could not be
    /// listed or made, a name that cannot be saved.
    fn failed_otherwise(&self, failure: &Failure);
}

/// What a tree walk found: the files to move, and the folders it could not
/// read or make (already reported through the walk's `warn`).
#[derive(Debug, Default)]
pub struct Plan {
    /// The files to move.
    pub jobs: Vec<Job>,
    /// What failed while planning.
    pub failures: Vec<Failure>,
    /// The source named a plain file, not a folder: the plan is that file.
    pub plain_file: bool,
    /// What the batch asks of the command beyond moving files: listing the
    /// folders of its [`Job::Visit`]s (`get -r`).
    pub hooks: Option<Arc<dyn Hooks>>,
}

impl Plan {
    /// A plan of these jobs, with nothing failed yet.
    pub fn of(jobs: Vec<Job>) -> Plan {
        Plan { jobs, failures: Vec::new(), plain_file: false, hooks: None }
    }

    fn fail(&mut self, what: String, error: impl ToString) {
        self.failures.push(Failure { what, error: error.to_string() });
    }
}

/// How a batch ended: every failure, and how many things it was to do
/// (files, and folders or names that failed before they became files).
#[derive(Debug)]
pub struct Outcome {
    /// What failed, and why.
    pub failures: Vec<Failure>,
    /// Files and other things tried, failures included.
    pub tried: usize,
    /// Files moved (and checked, with `--verify`).
    pub moved: usize,
    /// The bytes those files moved, their earlier tries included.
    pub bytes: u64,
    /// Files Ctrl-C left untried (not among the failures).
    pub not_started: usize,
    /// How long the batch took.
    pub elapsed: Duration,
}

impl Outcome {
    /// The line that sums a batch up: `12 files, 3.40 MiB in 1.20 s (2.83 MiB/s)`,
    /// and `; 1 failed` when some did.
    pub fn summary(&self) -> String {
        let seconds = self.elapsed.as_secs_f64();
        let rate = BinaryBytes((self.bytes as f64 / seconds.max(1e-6)) as u64);
        let files = if self.moved == 1 { "file" } else { "files" };
        let mut line = format!("{} {files}, {} in {seconds:.2} s ({rate}/s)", self.moved, BinaryBytes(self.bytes));
        if !self.failures.is_empty() {
            line.push_str(&format!("; {} failed", self.failures.len()));
        }
        line
    }
}

/// A file that failed, and why.
#[derive(Debug)]
pub struct Failure {
    /// The file.
    pub what: String,
    /// Why, with the server's reply when there was one.
    pub error: String,
}

/// Joins a remote folder and a name with `/`.
pub fn remote_join(folder: &str, name: &str) -> String {
    match folder {
        "" => name.to_string(),
        f if f.ends_with('/') => format!("{f}{name}"),
        f => format!("{f}/{name}"),
    }
}

/// Makes the folder a tree is downloaded into (the user named it, so a link
/// on the way is followed) and opens it.
pub fn open_local_root(local: &Path) -> Result<Arc<Folder>, TransferError> {
    if crate::localfs::is_planted_link(local) {
        return Err(TransferError::Local {
            context: format!("cannot download into {}", local.display()),
            source: std::io::Error::other("it is a symbolic link of another user in a shared folder; not followed"),
        });
    }
    fs::create_dir_all(local)
        .map_err(|source| TransferError::Local { context: format!("cannot create {}", local.display()), source })?;
    let root = Folder::open(local)
        .map_err(|source| TransferError::Local { context: format!("cannot open {}", local.display()), source })?;
    // `get -r pub` in `/tmp`, where another user made `pub` first: they
    // could swap what is written inside it before it is renamed into place.
    let parent = local.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let planted = Folder::open(parent)
        .and_then(|parent| parent.own_stat())
        .and_then(|parent| Ok(crate::localfs::left_by_another_user(&parent, root.own_stat()?.st_uid)));
    if planted.unwrap_or(false) {
        return Err(TransferError::Local {
            context: format!("cannot download into {}", local.display()),
            source: std::io::Error::other("it belongs to another user in a shared folder"),
        });
    }
    Ok(Arc::new(root))
}

/// The plan for `get -r` of a plain file: that file, as `get` would fetch it
/// (into `local` when it is a folder, else as `local`). A path that is no
/// file either (SIZE refused) is an error.
pub(crate) fn plan_single_file(client: &mut Client, remote: &str, local: &Path) -> Result<Plan, TransferError> {
    let size = match client.size(remote) {
        Ok(size) => size,
        Err(error @ protocol::Error::Permanent { .. }) if client.is_connected() => {
            return Err(TransferError::NoSuchSource { path: printable(remote).into_owned(), error });
        }
        Err(e) => return Err(e.into()),
    };
    let (folder, name) = if local.is_dir() {
        (local.to_path_buf(), local_name(safe_local_name(base_name(remote))?))
    } else {
        let folder = local.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        (folder.to_path_buf(), local.file_name().map(|n| n.to_os_string()).unwrap_or_default())
    };
    let root = open_local_root(&folder)?;
    let job = Job::Download { remote: remote.to_string(), local: Beneath::new(root, name), size, modified: None };
    let mut plan = Plan::of(vec![job]);
    plan.plain_file = true;
    Ok(plan)
}

/// The most folders one tree transfer takes on: a bound on memory and time
/// against servers whose links loop (or that lie). With [`MAX_FILES`] and
/// [`MAX_PATH_BYTES`], it keeps a plan under about 40 MiB, so `rftp get -r`
/// stays under 64 MiB of memory whatever the server lists.
pub const MAX_FOLDERS: usize = 20_000;
/// The most files one tree transfer takes on; see [`MAX_FOLDERS`].
pub const MAX_FILES: usize = 200_000;
/// The most bytes the remote and local paths of one tree transfer's files
/// and folders may take; see [`MAX_FOLDERS`].
pub const MAX_PATH_BYTES: usize = 24 << 20;
/// The most listing lines one tree transfer reads, whatever they are (links
/// and devices are not files, yet take time to read).
pub const MAX_LISTED_LINES: usize = 2 * (MAX_FILES + MAX_FOLDERS);
/// The most listing lines in no known format one tree transfer reports one
/// by one; past it the server's format is not one rftp reads, and the
/// transfer stops.
pub const MAX_UNPARSED_LINES: usize = 100;

fn stop_if_interrupted(interrupted: &AtomicBool) -> Result<(), TransferError> {
    if interrupted.load(Ordering::SeqCst) {
        return Err(protocol::Error::Aborted.into());
    }
    Ok(())
}

/// Walks the local tree under `local` and plans its upload to `remote`:
/// makes every remote folder (empty ones included) and returns the file
/// jobs. Symbolic links are not followed: `local` is opened once (the user
/// named it), and every folder and file beneath it is reached from there
/// without following a link, when planning and again when each file is read.
pub fn plan_upload_tree(
    client: &mut Client,
    local: &Path,
    remote: &str,
    interrupted: &AtomicBool,
    warn: &mut dyn FnMut(String),
) -> Result<Plan, TransferError> {
    let mut plan = Plan::default();
    let root = Arc::new(
        Folder::open(local)
            .map_err(|source| TransferError::Local { context: format!("cannot list {}", local.display()), source })?,
    );
    // Each folder: its path (for listing and messages), and the same relative to `root`.
    let mut folders = VecDeque::from([(local.to_path_buf(), PathBuf::new(), remote.to_string(), 0usize)]);
    while let Some((local_dir, relative, remote_dir, depth)) = folders.pop_front() {
        stop_if_interrupted(interrupted)?;
        // The target's missing parents are made too (none for ""); below
        // it, each folder's parent was made the step before.
        let made =
            if depth == 0 { make_remote_path(client, &remote_dir) } else { make_remote_folder(client, &remote_dir) };
        if let Err(e) = made {
            if depth == 0 || !client.is_connected() {
                return Err(e);
            }
            plan.fail(remote_dir.clone(), e);
            continue;
        }
        // A folder swapped for a link since it was seen is not listed.
        let entries = match root.descend(&relative, false).and_then(|_| fs::read_dir(&local_dir)) {
            Ok(entries) => entries,
            Err(e) if depth > 0 => {
                plan.fail(local_dir.display().to_string(), e);
                continue;
            }
            Err(source) => {
                return Err(TransferError::Local { context: format!("cannot list {}", local_dir.display()), source });
            }
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            // A name that is not UTF-8 goes to the server as the same bytes.
            let name = crate::names::remote_name(&entry.file_name());
            let remote_path = remote_join(&remote_dir, &name);
            // file_type() does not follow symbolic links.
            match entry.file_type() {
                Ok(t) if t.is_file() => {
                    let size = entry.metadata().ok().map(|m| m.len());
                    let local = Beneath::new(Arc::clone(&root), relative.join(entry.file_name()));
                    plan.jobs.push(Job::Upload { local, remote: remote_path, size });
                }
                Ok(t) if t.is_dir() && depth < MAX_DEPTH => {
                    folders.push_back((path, relative.join(entry.file_name()), remote_path, depth + 1))
                }
                Ok(t) if t.is_symlink() => warn(format!("{}: a symbolic link; not followed", path.display())),
                _ => warn(format!("{}: skipped", path.display())),
            }
        }
    }
    Ok(plan)
}

/// MKD, taking "it exists already" for success.
pub fn make_remote_folder(client: &mut Client, path: &str) -> Result<(), TransferError> {
    match client.mkd(path) {
        Ok(_) => Ok(()),
        // 550 is also what servers say when the folder exists: check.
        Err(error @ protocol::Error::Permanent { .. }) => {
            let here = client.pwd()?;
            match client.cwd(path) {
                Ok(_) => {
                    client.cwd(&here)?;
                    Ok(())
                }
                Err(_) => Err(error.into()),
            }
        }
        Err(error) => Err(error.into()),
    }
}

/// MKD for `path` and each of its missing parents in turn (`mkdir -p`, and
/// `put -r` into `a/b/c` when `a` is not there yet, as `lftp mirror -R`
/// does); a folder that exists already is fine at every step.
pub fn make_remote_path(client: &mut Client, path: &str) -> Result<(), TransferError> {
    for prefix in remote_prefixes(path) {
        make_remote_folder(client, prefix)?;
    }
    Ok(())
}

/// `a`, `a/b`, `a/b/c` for `a/b/c` (`/a`, `/a/b` for `/a/b`): each folder
/// on the way, the path itself last; empty steps (`a//b`, a trailing `/`)
/// and the root add none.
fn remote_prefixes(path: &str) -> Vec<&str> {
    let mut prefixes = Vec::new();
    for (index, _) in path.match_indices('/').chain(std::iter::once((path.len(), ""))) {
        let prefix = &path[..index];
        let step = prefix.rsplit('/').next().unwrap_or_default();
        if !step.is_empty() {
            prefixes.push(prefix);
        }
    }
    prefixes
}

/// The remote folder a `get -r` path names: without trailing slashes, but
/// `/` stays the root (an empty path is the login folder).
pub fn tree_root(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() && path.starts_with('/') { "/" } else { trimmed }
}

/// The local folder `get -r` makes for a remote folder: its plain name, or
/// the current folder for the remote root or `.`.
pub fn tree_folder_name(remote: &str) -> Result<String, TransferError> {
    match base_name(remote) {
        "" | "." | "/" => Ok(".".to_string()),
        name => Ok(safe_local_name(name)?.to_string()),
    }
}

/// How a batch runs: on how many connections, and how it tries again.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Connections at most, the session's own included.
    pub parallel: usize,
    /// When a file that failed for a transient reason is tried again, and
    /// when a lost connection is opened again.
    pub retry: RetryPolicy,
    /// No retry lines and no notes (`-q`).
    pub quiet: bool,
    /// The command's rate limit, shared by every connection.
    pub limit: Option<std::sync::Arc<RateLimit>>,
    /// What the command does beyond moving files (a mirror's listing,
    /// times and report); `None` for plain batches.
    pub hooks: Option<Arc<dyn Hooks>>,
    /// A download continues the `.part` an earlier run left (a mirror run
    /// again after Ctrl-C) when its identity sidecar is beside it, not only
    /// one this batch's tries left.
    pub continue_parts: bool,
    /// `--verify`: each file is checked after it moved
    /// ([`checksum::verify_transfer`]), and its notes said once per command.
    pub verify: Option<Arc<VerifyNotes>>,
    /// Told how each file ended (`--json`); `None` for none.
    pub files: Option<Arc<dyn FileLog>>,
    /// A line for each file moved (`-v`, the shell's `verbose`).
    pub verbose: bool,
}

impl std::fmt::Debug for dyn FileLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileLog")
    }
}

impl std::fmt::Debug for dyn Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hooks")
    }
}

/// Why a connection of a batch could not be opened.
#[derive(Debug)]
pub struct NotOpened {
    /// What the network or the server said.
    pub why: String,
    /// The server will not take one more connection from us: `421`, `530`
    /// "too many connections", connection refused, or closed at once.
    pub too_many: bool,
    /// Worth trying again later.
    pub transient: bool,
}

impl std::fmt::Display for NotOpened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.why)
    }
}

/// Opens connection number `n` of a batch (1 is the session's own, opened
/// again after it was lost), logged in and in the batch's folder.
pub type Opener<'a> = dyn Fn(usize) -> Result<Client, NotOpened> + Sync + 'a;

/// Runs `jobs` on up to `options.parallel` connections: `first` (the
/// session's own) and new ones from `open` (given each connection's number,
/// 2 and up). Returns every failure, planning's included, for the caller to
/// report.
///
/// A file that fails for a transient reason goes back in the queue, to be
/// tried again after the policy's wait on whichever connection is free (a
/// download continues its `.part`, an upload resumes), while the others go
/// on. A connection that was lost is opened again (`open`, number 1 for
/// `first`, which is replaced in place); one the server refuses at the start
/// is done without, and that is said once.
///
/// Ctrl-C (`interrupted`) stops workers from taking more jobs; `abort_slot`
/// receives every connection's abort handle so the handler can stop them all.
pub fn run_jobs(
    first: &mut Client,
    open: &Opener<'_>,
    plan: Plan,
    options: &BatchOptions,
    progress: &ProgressMode,
    interrupted: &AtomicBool,
    abort_slot: &Mutex<Vec<AbortHandle>>,
) -> Outcome {
    let Plan { jobs, failures: mut planning_failures, .. } = plan;
    let jobs = without_part_collisions(jobs, &mut planning_failures);
    let workload = Workload::new(jobs, planning_failures, progress, options, interrupted);
    {
        // The first connection's handle comes first: opened again, it is
        // replaced there.
        let mut slot = lock(abort_slot);
        if slot.is_empty() {
            slot.push(first.abort_handle());
        }
    }
    // A batch that lists as it goes may find any number of files.
    let planned = if workload.visits { usize::MAX } else { workload.total_files.load(Ordering::SeqCst).max(1) };
    let extra = options.parallel.min(planned).saturating_sub(1);
    lock(&workload.connections).opening = extra;
    std::thread::scope(|scope| {
        for number in 2..=extra + 1 {
            let workload = &workload;
            scope.spawn(move || workload.work_on_new_connection(number, open, abort_slot));
        }
        let mut worker = Worker { client: first, number: 1, handle_index: 0 };
        workload.work(&mut worker, open, abort_slot);
    });
    // Only the first connection's handle stays.
    lock(abort_slot).truncate(1);
    workload.finish()
}

/// How long a worker waiting for a job sleeps before it looks at Ctrl-C again.
const POLL: Duration = Duration::from_millis(100);

/// A job in the queue, with what its tries so far tell.
struct Pending {
    job: Job,
    /// Retries since the last try that moved data (which starts the count
    /// again: a big file cut every few MiB still gets through).
    retried: u32,
    /// Not to be tried before this.
    not_before: Option<Instant>,
    /// A try of this batch moved data: continue what it left (the
    /// download's `.part`, the upload's remote file). Until then a retry
    /// starts afresh: an upload's remote file may still be the old one it
    /// is to replace.
    resume: bool,
    /// Bytes this job's tries moved, all told: for an upload, the most of
    /// the server's file that can be this batch's.
    moved: u64,
    /// When its first try began.
    started: Option<Instant>,
}

impl Pending {
    /// A job not tried yet.
    fn new(job: Job) -> Pending {
        Pending { job, retried: 0, not_before: None, resume: false, moved: 0, started: None }
    }
}

/// The jobs waiting, and how many are being tried (a try that fails may
/// bring its job back, so a worker without a job waits for those).
struct Queue {
    waiting: VecDeque<Pending>,
    running: usize,
}

/// The extra connections being opened at the start, and what came of them.
struct Openings {
    opening: usize,
    /// Connections open now, the session's own included.
    open: usize,
    /// What the server said when it first refused one.
    refused: Option<String>,
}

/// One connection of a batch: the client, its number, and where its abort
/// handle is.
struct Worker<'c> {
    client: &'c mut Client,
    number: usize,
    handle_index: usize,
}

/// The jobs of a batch shared by its connections, and what became of them.
struct Workload<'a> {
    queue: Mutex<Queue>,
    /// Signalled when a job comes back or the last one ends.
    changed: Condvar,
    failures: Mutex<Vec<Failure>>,
    done: AtomicUsize,
    /// Files moved, and their bytes.
    moved: AtomicUsize,
    bytes: AtomicU64,
    started: Instant,
    /// A line for each file moved.
    verbose: bool,
    /// Files among the failures.
    failed_files: AtomicUsize,
    /// Files to move, known so far.
    total_files: AtomicUsize,
    /// Folders are listed as the batch runs ([`Job::Visit`]).
    visits: bool,
    hooks: Option<Arc<dyn Hooks>>,
    continue_parts: bool,
    connections: Mutex<Openings>,
    /// The combined bar, on a terminal.
    bar: Option<ProgressBar>,
    /// How each file shows its progress.
    each_progress: ProgressMode,
    retry: RetryPolicy,
    quiet: bool,
    /// The command's rate limit, shared by every connection.
    limit: Option<std::sync::Arc<RateLimit>>,
    /// `--verify`, and the notes it said.
    verify: Option<Arc<VerifyNotes>>,
    /// Told how each file ended.
    files: Option<Arc<dyn FileLog>>,
    interrupted: &'a AtomicBool,
}

impl<'a> Workload<'a> {
    fn new(
        jobs: Vec<Job>,
        failures: Vec<Failure>,
        progress: &ProgressMode,
        options: &BatchOptions,
        interrupted: &'a AtomicBool,
    ) -> Workload<'a> {
        let total_files = jobs.iter().filter(|job| job.is_file()).count();
        let visits = total_files < jobs.len();
        let total_bytes: Option<u64> = jobs.iter().map(Job::size).sum();
        let bar = combined_bar(progress, total_files, total_bytes);
        let each_progress = match &bar {
            Some(bar) => ProgressMode::Shared(bar.clone()),
            None if options.parallel > 1 => ProgressMode::Off,
            None => progress.clone(),
        };
        let waiting = jobs.into_iter().map(Pending::new).collect();
        if let Some(files) = &options.files {
            failures.iter().for_each(|failure| files.failed_otherwise(failure));
        }
        Workload {
            queue: Mutex::new(Queue { waiting, running: 0 }),
            changed: Condvar::new(),
            failures: Mutex::new(failures),
            done: AtomicUsize::new(0),
            moved: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            started: Instant::now(),
            verbose: options.verbose && !options.quiet,
            failed_files: AtomicUsize::new(0),
            total_files: AtomicUsize::new(total_files),
            visits,
            hooks: options.hooks.clone(),
            continue_parts: options.continue_parts,
            connections: Mutex::new(Openings { opening: 0, open: 1, refused: None }),
            bar,
            each_progress,
            retry: options.retry,
            quiet: options.quiet,
            limit: options.limit.clone(),
            verify: options.verify.clone(),
            files: options.files.clone(),
            interrupted,
        }
    }

    fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// Prints a line on stderr, above the combined bar when there is one.
    fn say(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(crate::display::for_stderr(message)),
            None => errln!("{message}"),
        }
    }

    /// Takes jobs on `worker`'s connection until none are left, Ctrl-C, or
    /// the connection is lost and cannot be opened again.
    fn work(&self, worker: &mut Worker<'_>, open: &Opener<'_>, abort_slot: &Mutex<Vec<AbortHandle>>) {
        while let Some(mut pending) = self.take() {
            pending.started.get_or_insert_with(Instant::now);
            let moved = Arc::new(AtomicU64::new(0));
            let progress = ProgressMode::Counted(Box::new(self.each_progress.clone()), Arc::clone(&moved));
            // Only a `.part` an earlier rftp run left, with the identity of
            // the server's file beside it: a browser's or another tool's
            // would put its bytes before the server's unseen.
            let earlier_part = self.continue_parts
                && matches!(&pending.job, Job::Download { local, .. } if transfer::part_has_identity(local));
            let tried = Try { resume: pending.resume || earlier_part, moved_before: pending.moved };
            let started = Instant::now();
            // Checked before the times are kept: a transfer done again for a
            // checksum that differs must end with the right time too.
            let result = match &pending.job {
                Job::Visit(visit) => self.visit(worker.client, visit),
                job => run_job(worker.client, job, tried, progress, self.limit.as_deref()).and_then(|learned| {
                    self.verify(worker.client, job)?;
                    self.finish_file(worker.client, job, learned)
                }),
            };
            let again = match result {
                Ok(()) => {
                    let bytes = pending.moved.saturating_add(moved.load(Ordering::Relaxed));
                    self.log(&pending, FileEnd::Moved(bytes));
                    self.count_done(&pending.job, bytes, started.elapsed());
                    None
                }
                Err(error) if retry::transfer_is_transient(&error) && !self.is_interrupted() => {
                    self.after_transient_failure(pending, error, moved.load(Ordering::Relaxed))
                }
                Err(error) => {
                    let bytes = pending.moved.saturating_add(moved.load(Ordering::Relaxed));
                    self.log(&pending, FileEnd::Failed { error: &error, bytes });
                    self.fail(&pending.job, error.to_string());
                    None
                }
            };
            self.settle(again);
            // A lost connection is opened again only for work still to do.
            let usable = worker.client.is_connected() || (self.work_left() && self.reconnect(worker, open, abort_slot));
            if !usable {
                break;
            }
        }
    }

    /// The next job that may be tried now; waits while jobs wait for their
    /// time or others are being tried. `None` when all is done, or Ctrl-C.
    fn take(&self) -> Option<Pending> {
        let mut queue = lock(&self.queue);
        loop {
            if self.is_interrupted() {
                return None;
            }
            let now = Instant::now();
            if let Some(index) = queue.waiting.iter().position(|p| p.not_before.is_none_or(|t| t <= now)) {
                let pending = queue.waiting.remove(index)?;
                queue.running += 1;
                return Some(pending);
            }
            if queue.waiting.is_empty() && queue.running == 0 {
                return None;
            }
            let soonest = queue.waiting.iter().filter_map(|p| p.not_before).min();
            let wait = soonest.map_or(POLL, |t| t.saturating_duration_since(now).min(POLL));
            queue = match self.changed.wait_timeout(queue, wait) {
                Ok((queue, _)) => queue,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// `--verify`: compares the two copies of `job`'s file once it moved;
    /// when they differ, moves it again whole (a download afresh, an upload
    /// replacing what the server has), once, and a difference then is the
    /// job's failure.
    fn verify(&self, client: &mut Client, job: &Job) -> Result<(), TransferError> {
        let Some(notes) = &self.verify else { return Ok(()) };
        let (remote, local) = match job {
            Job::Download { remote, local, .. } | Job::Upload { local, remote, .. } => {
                (remote, LocalSource::Beneath(local.clone()))
            }
            Job::Visit(_) => return Ok(()),
        };
        let say = |line: &str| {
            if !self.quiet {
                self.say(line);
            }
        };
        let afresh = Try { resume: false, moved_before: 0 };
        let verified = checksum::verify_or_redo(
            client,
            &say,
            |client| checksum::verify_transfer(client, remote, &local),
            |client| run_job(client, job, afresh, self.each_progress.clone(), self.limit.as_deref()).map(drop),
        )?;
        notes.tell(verified, &say);
        Ok(())
    }

    /// Whether any job waits or is being tried.
    fn work_left(&self) -> bool {
        let queue = lock(&self.queue);
        !queue.waiting.is_empty() || queue.running > 0
    }

    /// A try is over: its job comes back (`again`) or is done with.
    fn settle(&self, again: Option<Pending>) {
        let mut queue = lock(&self.queue);
        queue.running -= 1;
        queue.waiting.extend(again);
        self.changed.notify_all();
    }

    /// Lists a folder through the hooks and queues what it found: folders
    /// first, so every connection soon has work, and files after them.
    fn visit(&self, client: &mut Client, visit: &Visit) -> Result<(), TransferError> {
        let Some(hooks) = &self.hooks else { return Ok(()) };
        let found = hooks.visit(client, visit)?;
        let (folders, files): (Vec<Job>, Vec<Job>) = found.into_iter().partition(|job| !job.is_file());
        let total = self.total_files.fetch_add(files.len(), Ordering::SeqCst) + files.len();
        if let Some(bar) = &self.bar {
            bar.inc_length(files.iter().filter_map(Job::size).sum());
            bar.set_message(format!("{}/{total} files", self.done.load(Ordering::SeqCst)));
        }
        let mut queue = lock(&self.queue);
        for job in folders.into_iter().rev() {
            queue.waiting.push_front(Pending::new(job));
        }
        queue.waiting.extend(files.into_iter().map(|job| {
            let sent = hooks.sent_before(&job);
            Pending { resume: sent > 0, moved: sent, ..Pending::new(job) }
        }));
        Ok(())
    }

    /// What the hooks do once a file has moved (keep its time, check it).
    fn finish_file(&self, client: &mut Client, job: &Job, learned: Option<FileTime>) -> Result<(), TransferError> {
        match &self.hooks {
            Some(hooks) => hooks.finish(client, job, learned),
            None => Ok(()),
        }
    }

    /// Tells the batch's [`FileLog`] how a file ended (folders are listed,
    /// not moved: only their failures are told).
    fn log(&self, pending: &Pending, end: FileEnd<'_>) {
        let Some(files) = &self.files else { return };
        if pending.job.is_file() || matches!(end, FileEnd::Failed { .. }) {
            let elapsed = pending.started.map_or(Duration::ZERO, |started| started.elapsed());
            files.ended(&pending.job, elapsed, end);
        }
    }

    /// A job is done: counted, and told to the hooks with the bytes it moved.
    fn count_done(&self, job: &Job, bytes: u64, took: Duration) {
        if let Some(hooks) = &self.hooks {
            hooks.ended(job, Ok(bytes));
        }
        if job.is_file() {
            self.moved.fetch_add(1, Ordering::SeqCst);
            self.bytes.fetch_add(bytes, Ordering::SeqCst);
            if self.verbose {
                let verb = if matches!(job, Job::Upload { .. }) { "sent" } else { "received" };
                self.say(&format!("{}: {}", job.describe(), crate::progress::summary(bytes, verb, took)));
            }
            self.bump_done();
        }
    }

    /// One more file is over, one way or the other: the bar says so.
    fn bump_done(&self) {
        let finished = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{finished}/{} files", self.total_files.load(Ordering::SeqCst)));
        }
    }

    /// Records a file that failed for good; the caller lists them all at the end.
    fn fail(&self, job: &Job, error: String) {
        if let Some(hooks) = &self.hooks {
            hooks.ended(job, Err(&error));
        }
        lock(&self.failures).push(Failure { what: job.describe(), error });
        if job.is_file() {
            self.failed_files.fetch_add(1, Ordering::SeqCst);
            self.bump_done();
        }
    }

    /// After a transient failure of a try that `moved` data or not: the job
    /// to try again after the policy's wait, or `None` when its retries are
    /// used up (it failed).
    fn after_transient_failure(&self, mut pending: Pending, error: TransferError, moved: u64) -> Option<Pending> {
        pending.moved = pending.moved.saturating_add(moved);
        // What a try moved is kept, and the count starts again; a small
        // file is fetched again whole, so what it moved is no progress.
        if moved > 0 && !restarts_whole(&pending.job) {
            pending.retried = 0;
        }
        if moved > 0 {
            pending.resume = true;
        }
        if pending.retried >= self.retry.retries {
            self.log(&pending, FileEnd::Failed { error: &error, bytes: pending.moved });
            self.fail(&pending.job, error.to_string());
            return None;
        }
        pending.retried += 1;
        let wait = self.retry.wait_before(pending.retried);
        if !self.quiet {
            // As the retries of single transfers say it (without "rftp:", as
            // issue #12 shows it). A kept `.part` is no news here: the retry
            // continues it.
            let shown = match &error {
                TransferError::Partial { error, .. } => error.as_ref(),
                other => other,
            };
            let line = retry::retry_line(&pending.job.describe(), wait, pending.retried, &self.retry, shown);
            self.say(&line);
        }
        pending.not_before = Some(Instant::now() + wait);
        Some(pending)
    }

    /// Opens `worker`'s connection again after it was lost, trying as the
    /// policy says; false when it stays lost (Ctrl-C, a permanent refusal,
    /// or the retries used up), and the worker ends.
    fn reconnect(&self, worker: &mut Worker<'_>, open: &Opener<'_>, abort_slot: &Mutex<Vec<AbortHandle>>) -> bool {
        // The first try at once (a new connection usually works at once),
        // then the policy's waits; none at all with `--retries 0`.
        let mut attempt = 0;
        while self.retry.retries > 0 && !self.is_interrupted() {
            match open(worker.number) {
                Ok(client) => {
                    set_handle(abort_slot, worker.handle_index, client.abort_handle());
                    *worker.client = client;
                    if !self.quiet {
                        self.say(&format!("rftp: connection {} was lost; connected again", worker.number));
                    }
                    return true;
                }
                Err(e) if e.transient && attempt < self.retry.retries => {
                    attempt += 1;
                    let wait = self.retry.wait_before(attempt);
                    if !self.quiet {
                        let what = format!("connection {}", worker.number);
                        self.say(&retry::retry_line(&what, wait, attempt, &self.retry, &e));
                    }
                    if !self.sleep(wait) {
                        return false;
                    }
                }
                Err(e) => {
                    self.say(&format!("rftp: connection {} was lost and cannot be opened again: {e}", worker.number));
                    return false;
                }
            }
        }
        false
    }

    /// Sleeps `wait`, or less on Ctrl-C; false on Ctrl-C.
    fn sleep(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        while !self.is_interrupted() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(POLL));
        }
        false
    }

    /// Opens connection `number` and works on it; a connection the server
    /// refuses (it allows fewer) is done without, and the others carry on.
    fn work_on_new_connection(&self, number: usize, open: &Opener<'_>, abort_slot: &Mutex<Vec<AbortHandle>>) {
        if self.visits && !self.wait_for_work_for(number) {
            self.settle_opening(None);
            return;
        }
        let opened = open(number);
        self.settle_opening(Some(&opened));
        match opened {
            Ok(mut client) => {
                let handle_index = {
                    let mut slot = lock(abort_slot);
                    slot.push(client.abort_handle());
                    slot.len() - 1
                };
                let mut worker = Worker { client: &mut client, number, handle_index };
                self.work(&mut worker, open, abort_slot);
                // Not waiting for the answer: a round trip per connection
                // across a link, and vsftpd answers only once the last
                // uploaded file is closed.
                client.quit_without_waiting();
                // What the server allows is the connections open together:
                // one it lets in after this one ended does not add to them.
                lock(&self.connections).open -= 1;
            }
            Err(e) if e.too_many => {}
            Err(e) => self.say(&format!("rftp: cannot open another connection: {e}")),
        }
    }

    /// Waits until the batch has work for `number` connections (jobs waiting
    /// and being tried), as a batch that lists as it goes learns only while
    /// it runs: a tree of one file opens no more connections. False when the
    /// batch ended first, or Ctrl-C.
    fn wait_for_work_for(&self, number: usize) -> bool {
        let mut queue = lock(&self.queue);
        loop {
            if self.is_interrupted() {
                return false;
            }
            let work = queue.waiting.len() + queue.running;
            if work >= number {
                return true;
            }
            if work == 0 {
                return false;
            }
            queue = match self.changed.wait_timeout(queue, POLL) {
                Ok((queue, _)) => queue,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Counts an extra connection opened, refused, or not needed (`None`);
    /// once the last one is settled, says once how many the server allows
    /// when it refused any.
    fn settle_opening(&self, opened: Option<&Result<Client, NotOpened>>) {
        let mut connections = lock(&self.connections);
        connections.opening -= 1;
        match opened {
            Some(Ok(_)) => connections.open += 1,
            Some(Err(e)) if e.too_many && connections.refused.is_none() => connections.refused = Some(e.why.clone()),
            Some(Err(_)) | None => {}
        }
        if connections.opening == 0
            && let Some(why) = connections.refused.take()
            && !self.quiet
        {
            let open = connections.open;
            let plural = if open == 1 { "" } else { "s" };
            self.say(&format!("rftp: the server allows {open} connection{plural}; going on with {open} ({why})"));
        }
    }

    /// Every failure, with the jobs nobody could take (every connection
    /// failed) and what the hooks found wrong among them; the files Ctrl-C
    /// left untried are counted apart.
    fn finish(self) -> Outcome {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
        let left = into_inner(self.queue).waiting;
        let mut failures = into_inner(self.failures);
        let mut failed_files = self.failed_files.load(Ordering::SeqCst);
        let interrupted = self.interrupted.load(Ordering::SeqCst);
        let why = if interrupted { "not transferred: interrupted" } else { "not transferred" };
        let mut not_started = 0;
        for pending in left {
            if interrupted && pending.started.is_some() && pending.job.is_file() {
                // Tried already and waiting to be tried again: it began, so
                // Ctrl-C failed it, with what its tries moved.
                failed_files += 1;
                failures.push(stopped_before_retry(self.files.as_deref(), &pending));
                continue;
            }
            if let Some(files) = self.files.as_ref().filter(|_| pending.job.is_file()) {
                let elapsed = pending.started.map_or(Duration::ZERO, |started| started.elapsed());
                files.ended(&pending.job, elapsed, FileEnd::NotTried { why, interrupted });
            }
            if interrupted {
                // Ctrl-C: counted, and said in one line by the caller
                // rather than as a failure each.
                not_started += usize::from(pending.job.is_file());
                continue;
            }
            // Told to the hooks too (a mirror counts and names its failures itself).
            if let Some(hooks) = &self.hooks {
                hooks.ended(&pending.job, Err(why));
            }
            failed_files += usize::from(pending.job.is_file());
            failures.push(Failure { what: pending.job.describe(), error: why.to_string() });
        }
        if let Some(hooks) = &self.hooks {
            let mut found = hooks.take_failures();
            if let Some(files) = &self.files {
                found.iter().for_each(|failure| files.failed_otherwise(failure));
            }
            failures.append(&mut found);
        }
        // Files known, and everything else that failed (a folder, a name
        // that cannot be saved): what the batch was to do.
        let tried = self.total_files.load(Ordering::SeqCst) + failures.len() - failed_files;
        let (moved, bytes) = (self.moved.load(Ordering::SeqCst), self.bytes.load(Ordering::SeqCst));
        Outcome { failures, tried, moved, bytes, not_started, elapsed: self.started.elapsed() }
    }
}

/// A file Ctrl-C stopped while it waited to be tried again: told to the
/// batch's [`FileLog`] as failed (aborted) with the bytes its tries moved.
fn stopped_before_retry(files: Option<&dyn FileLog>, pending: &Pending) -> Failure {
    if let Some(files) = files {
        let error = TransferError::from(protocol::Error::Aborted);
        let elapsed = pending.started.map_or(Duration::ZERO, |started| started.elapsed());
        files.ended(&pending.job, elapsed, FileEnd::Failed { error: &error, bytes: pending.moved });
    }
    Failure { what: pending.job.describe(), error: "interrupted while waiting to try again".to_string() }
}

/// Whether `job` is a download fetched again whole after a failure
/// ([`transfer::restarts_whole`]).
fn restarts_whole(job: &Job) -> bool {
    matches!(job, Job::Download { size, modified, .. } if transfer::restarts_whole((*size, *modified)))
}

/// Puts `handle` at `index` of the abort slot (a connection opened again
/// replaces its old one), or at its end.
fn set_handle(abort_slot: &Mutex<Vec<AbortHandle>>, index: usize, handle: AbortHandle) {
    let mut slot = lock(abort_slot);
    match slot.get_mut(index) {
        Some(old) => *old = handle,
        None => slot.push(handle),
    }
}

/// Downloads whose `NAME.part` or `NAME.part.meta` would be another job's
/// file (`X` and `X.part` in one folder) fail up front: run side by side, one
/// would write over the other.
pub(crate) fn without_part_collisions(jobs: Vec<Job>, failures: &mut Vec<Failure>) -> Vec<Job> {
    let locals: HashSet<PathBuf> = jobs
        .iter()
        .filter_map(|job| match job {
            Job::Download { local, .. } => Some(local.display_path()),
            Job::Upload { .. } | Job::Visit(_) => None,
        })
        .collect();
    jobs.into_iter()
        .filter(|job| {
            let Job::Download { local, .. } = job else { return true };
            let path = local.display_path();
            let clash = [transfer::part_path(&path), transfer::identity_path(&path)]
                .into_iter()
                .find(|other| locals.contains(other));
            if let Some(other) = &clash {
                failures.push(Failure {
                    what: job.describe(),
                    error: format!("not transferred: {} is another file being fetched", other.display()),
                });
            }
            clash.is_none()
        })
        .collect()
}

/// What earlier tries of a job left for this one.
#[derive(Debug, Clone, Copy)]
struct Try {
    /// Continue what they left (the download's `.part`, the upload's remote file).
    resume: bool,
    /// Bytes they moved, all told.
    moved_before: u64,
}

/// Tries `job` once on `client`, going on from what earlier tries left;
/// returns the server's time of a downloaded file when the download learned
/// it.
fn run_job(
    client: &mut Client,
    job: &Job,
    tried: Try,
    progress: ProgressMode,
    limit: Option<&RateLimit>,
) -> Result<Option<FileTime>, TransferError> {
    match job {
        Job::Download { remote, local, size, modified } => {
            let known = (*size, *modified);
            let report = transfer::download_beneath(client, remote, local, progress, known, tried.resume, limit)?;
            Ok(report.server_time)
        }
        Job::Visit(_) => Ok(None),
        Job::Upload { local, remote, .. } => {
            let how =
                if tried.resume { upload_retry_mode(client, remote, tried.moved_before)? } else { UploadMode::Replace };
            transfer::upload(client, &LocalSource::Beneath(local.clone()), remote, how, progress, limit)?;
            Ok(None)
        }
    }
}

/// How a batch tries again an upload its earlier tries cut after sending
/// `sent` bytes in all: resumed when the server's file can be what they
/// wrote, else sent whole again. ASCII changes byte counts, so it cannot
/// resume; and a server that stores an upload under another name until it
/// ends (ProFTPD's HiddenStores, Pure-FTPd's --notruncate) still holds the
/// old file after a cut, which is longer than what the tries sent, or
/// resuming would keep its bytes (as single uploads do, `session::retry`).
fn upload_retry_mode(client: &mut Client, remote: &str, sent: u64) -> Result<UploadMode, TransferError> {
    if client.transfer_type() != TransferType::Binary {
        return Ok(UploadMode::Replace);
    }
    match client.size(remote) {
        Ok(Some(size)) if size > sent => Ok(UploadMode::Replace),
        // No file, or no SIZE: resuming sends the whole file.
        Ok(_) | Err(protocol::Error::Permanent { .. } | protocol::Error::Protocol(_)) => Ok(UploadMode::Resume),
        Err(error) => Err(error.into()),
    }
}

/// One bar for a whole batch, on a terminal.
fn combined_bar(progress: &ProgressMode, files: usize, bytes: Option<u64>) -> Option<ProgressBar> {
    if !matches!(progress, ProgressMode::Bar) {
        return None;
    }
    Some(styled_bar(bytes, ProgressDrawTarget::stderr_with_hz(10), format!("0/{files} files")))
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_folder_on_the_way_to_a_remote_path() {
        assert_eq!(remote_prefixes("a/b/c"), ["a", "a/b", "a/b/c"]);
        assert_eq!(remote_prefixes("/a/b/"), ["/a", "/a/b"]);
        assert_eq!(remote_prefixes("a//b"), ["a", "a//b"]);
        assert_eq!(remote_prefixes("x"), ["x"]);
        assert!(remote_prefixes("/").is_empty());
        assert!(remote_prefixes("").is_empty());
    }
    use super::*;

    #[test]
    fn a_batch_sums_up_in_one_line() {
        let mut outcome = Outcome {
            failures: Vec::new(),
            tried: 12,
            moved: 12,
            bytes: 3 << 20,
            not_started: 0,
            elapsed: Duration::from_secs(2),
        };
        assert_eq!(outcome.summary(), "12 files, 3.00 MiB in 2.00 s (1.50 MiB/s)");
        outcome.failures.push(Failure { what: "f".into(), error: "550".into() });
        (outcome.moved, outcome.bytes, outcome.elapsed) = (1, 10, Duration::ZERO);
        assert_eq!(outcome.summary(), "1 file, 10 B in 0.00 s (9.54 MiB/s); 1 failed");
    }

    #[test]
    fn tree_roots() {
        assert_eq!(tree_root("/"), "/");
        assert_eq!(tree_root("//"), "/");
        assert_eq!(tree_root("dir/"), "dir");
        assert_eq!(tree_root(""), "");
        assert_eq!(tree_folder_name("/").unwrap(), ".");
        assert_eq!(tree_folder_name("pub/data").unwrap(), "data");
    }

    #[test]
    fn remote_paths_join_with_one_slash() {
        assert_eq!(remote_join("", "f"), "f");
        assert_eq!(remote_join("dir", "f"), "dir/f");
        assert_eq!(remote_join("dir/", "f"), "dir/f");
        assert_eq!(remote_join("/", "f"), "/f");
    }
}
