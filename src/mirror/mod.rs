//! `mirror`: keeps a target tree in step with a source tree, one way (a
//! remote folder into a local one, or `-R` a local one into a remote one).
//! Each folder pair is listed once on each side, on whichever of the
//! batch's connections is free ([`crate::batch::Job::Visit`]), and only the
//! files that differ are moved, while the listing of other folders goes on.
//! Times are kept both ways, so the next run finds nothing to do; what the
//! source lacks is removed from the target with `--delete`, and only inside
//! the mirrored folder.

pub mod compare;
mod delete;
pub mod report;
pub mod sides;
mod times;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::batch::{self, Hooks, Job, Visit, remote_join};
use crate::display::printable;
use crate::filter::Filter;
use crate::localfs::{Beneath, Folder};
use crate::names::local_relative;
use crate::protocol::shared::lock;
use crate::protocol::{Client, FileTime};
use crate::transfer::TransferError;
use compare::{Decision, Facts, Rules};
use report::{Action, Line, Report};
use sides::Listing;

pub use delete::Deletion;

/// Which way a mirror goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The remote tree into the local folder.
    Download,
    /// The local tree into the remote folder (`-R`).
    Upload,
}

/// What a mirror does, beyond the two trees.
#[derive(Debug)]
pub struct MirrorOptions {
    /// Which way.
    pub direction: Direction,
    /// Remove from the target what the source lacks.
    pub delete: bool,
    /// Which files move.
    pub rules: Rules,
    /// Which paths are taken at all.
    pub filter: Filter,
    /// Change nothing; say what would be done.
    pub dry_run: bool,
    /// Transfers are in ASCII (sizes differ between the sides: no resume).
    pub ascii: bool,
    /// Compare checksums after each transfer.
    pub verify: bool,
}

/// The two roots of a mirror.
#[derive(Debug)]
pub struct Roots {
    /// The remote folder.
    pub remote: String,
    /// The local folder, opened once; `None` in a dry run of a download
    /// into a folder that does not exist yet.
    pub local: Option<Arc<Folder>>,
}

/// A file the mirror moves: where it is in the tree, and what the source
/// said of it.
#[derive(Debug, Clone)]
struct Planned {
    path: String,
    new: bool,
    source: Facts,
    /// An upload an earlier run cut, to continue from this many bytes.
    resume_from: u64,
}

/// A mirror run: the batch's [`Hooks`], which list each folder pair and
/// decide what moves, keep times after each file, and report.
pub struct Mirror {
    options: MirrorOptions,
    roots: Roots,
    report: Report,
    /// The files moving, by [`Job::describe`].
    planned: Mutex<HashMap<String, Planned>>,
    deletions: Mutex<Vec<Deletion>>,
    /// For uploads: the server keeps the times rftp sets (a later run can
    /// compare them both ways).
    remote_times_kept: AtomicBool,
    /// The server cannot set times, and the user was told.
    told_no_times: AtomicBool,
    /// What the mirror has taken on so far, against the batch limits.
    taken: Mutex<Taken>,
    /// The target's remote folders checked by LIST, for uploads.
    checked: Mutex<HashMap<String, Result<(), String>>>,
}

/// Folders and files a mirror has taken on, and the remote folders' ids:
/// bounds against servers whose links loop, or that list without end.
#[derive(Debug, Default)]
struct Taken {
    folders: usize,
    files: usize,
    /// The bytes of the paths of the files and folders taken on.
    path_bytes: usize,
    /// The remote listings' lines read.
    lines: usize,
    folder_ids: std::collections::HashSet<String>,
    /// The limit was passed and said.
    stopped: bool,
}

impl Mirror {
    /// A mirror between `roots`, reporting in `style`.
    pub fn new(options: MirrorOptions, roots: Roots, style: report::Style) -> Mirror {
        Mirror {
            options,
            roots,
            report: Report::new(style),
            planned: Mutex::new(HashMap::new()),
            deletions: Mutex::new(Vec::new()),
            remote_times_kept: AtomicBool::new(false),
            told_no_times: AtomicBool::new(false),
            taken: Mutex::new(Taken::default()),
            checked: Mutex::new(HashMap::new()),
        }
    }

    /// The first job: the roots themselves.
    pub fn root_visit(&self) -> Job {
        let shown = match self.options.direction {
            Direction::Download => self.roots.remote.clone(),
            Direction::Upload => self.local_shown(""),
        };
        Job::Visit(Visit { remote: self.roots.remote.clone(), relative: String::new(), depth: 0, shown, fresh: false })
    }

    /// Whether the server is known to keep the times rftp sets on uploads
    /// (it announced MFMT): later runs can then compare times both ways.
    pub fn set_remote_times_kept(&self, kept: bool) {
        self.remote_times_kept.store(kept, Ordering::SeqCst);
    }

    /// The report so far.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// Removes what `--delete` found (files first, then folders, deepest
    /// first), unless this is a dry run, until `interrupted` is set; each
    /// one is reported, removed or failed.
    pub fn delete_extras(&self, client: &mut Client, interrupted: &AtomicBool) {
        let deletions = std::mem::take(&mut *lock(&self.deletions));
        let context = delete::Context {
            local_root: self.roots.local.as_deref(),
            filter: &self.options.filter,
            report: &self.report,
            interrupted,
        };
        delete::run(deletions, client, context)
    }

    fn local_shown(&self, relative: &str) -> String {
        let root = self.roots.local.as_ref().map(|r| r.path().to_path_buf()).unwrap_or_default();
        root.join(local_relative(relative)).display().to_string()
    }

    /// Reads the source and target listings of `visit`'s folder pair.
    fn list_pair(&self, client: &mut Client, visit: &Visit) -> Result<(Listing, Listing), TransferError> {
        let local = || self.list_local(&visit.relative, visit.fresh);
        match self.options.direction {
            Direction::Download => Ok((sides::list_remote(client, &visit.remote)?, local()?)),
            Direction::Upload => {
                let mut source = local()?;
                sides::refuse_unsafe_names(&mut source);
                let target = if visit.fresh { Listing::default() } else { sides::list_remote(client, &visit.remote)? };
                Ok((source, target))
            }
        }
    }

    /// The local side of a folder pair: empty when it was just made, or
    /// (in a dry run) does not exist.
    fn list_local(&self, relative: &str, fresh: bool) -> Result<Listing, TransferError> {
        let Some(root) = &self.roots.local else { return Ok(Listing::default()) };
        if fresh && self.options.direction == Direction::Download {
            return Ok(Listing::default());
        }
        let shown = self.local_shown(relative);
        let local_error = |source| TransferError::Local { context: format!("cannot list {shown}"), source };
        let folder = match root.descend(&local_relative(relative), false) {
            Ok(folder) => folder,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && self.options.dry_run => {
                return Ok(Listing::default());
            }
            Err(e) => return Err(local_error(e)),
        };
        sides::list_local(&folder).map_err(local_error)
    }

    /// Decides what happens in one folder pair: the files to move (jobs),
    /// the folders to visit next (jobs too, made on the target first), what
    /// to delete later, and what is reported now (skips, conflicts).
    fn plan_folder(&self, client: &mut Client, visit: &Visit, source: &Listing, target: &Listing) -> Vec<Job> {
        let mut jobs = Vec::new();
        if !self.take_on(visit, source, target) {
            return jobs;
        }
        for (name, facts) in &source.files {
            let path = join(&visit.relative, name);
            if self.options.filter.allows(&path, false) {
                let job = self.plan_file(client, visit, name, *facts, source, target);
                jobs.extend(job.and_then(|job| self.writable(client, visit, job, &path)));
            }
        }
        for name in &source.folders {
            let path = join(&visit.relative, name);
            if self.options.filter.allows(&path, true) && self.may_visit(visit, name, &path, source) {
                jobs.extend(self.plan_subfolder(client, visit, name, path, target));
            }
        }
        for (name, what) in &source.others {
            let path = join(&visit.relative, name);
            if self.options.filter.allows(&path, false) {
                let why = format!("{what}; not followed");
                self.report.record(Line { why: Some(&why), ..Line::of(Action::Skip, &path) });
            }
        }
        for problem in &source.problems {
            self.report.record(Line { why: Some(problem), ..Line::of(Action::Fail, folder_path(visit)) });
        }
        if self.options.delete && source.is_complete() {
            self.plan_deletions(visit, source, target);
        }
        jobs
    }

    /// The job for one source file, if it moves.
    fn plan_file(
        &self,
        client: &mut Client,
        visit: &Visit,
        name: &str,
        facts: Facts,
        source: &Listing,
        target: &Listing,
    ) -> Option<Job> {
        let path = &join(&visit.relative, name);
        if !target.files.contains_key(name)
            && let Some(what) = target.kind_of(name)
        {
            let why = format!("the target has {what} there; not replaced");
            self.report.record(Line { why: Some(&why), ..Line::of(Action::Fail, path) });
            return None;
        }
        if self.options.direction == Direction::Download
            && let Some(other) =
                PART_SUFFIXES.iter().map(|s| format!("{name}{s}")).find(|p| source.files.contains_key(p))
        {
            let why = format!("not transferred: its .part would be the file {other}");
            self.report.record(Line { why: Some(&why), ..Line::of(Action::Fail, path) });
            return None;
        }
        let rules = Rules { target_times_kept: self.target_times_kept(), ..self.options.rules };
        let cut = self.cut_upload(client, visit, name, facts, target.files.get(name));
        let new = match compare::decide(facts, target.files.get(name).copied(), rules) {
            // Finished whatever the rules say (`--only-newer`, `--only-missing`):
            // they would leave the server's copy cut for good.
            Decision::Skip(_) if cut.is_some() => false,
            Decision::Skip(why) => {
                self.report.record(Line { why: Some(why), ..Line::of(Action::Skip, path) });
                return None;
            }
            Decision::New => true,
            Decision::Update => false,
        };
        if self.options.dry_run {
            self.report.record(Line { new: Some(new), bytes: facts.size, ..Line::of(self.transfer_action(), path) });
            return None;
        }
        let job = self.file_job(visit, name, facts)?;
        let resume_from = cut.unwrap_or(0);
        let planned = Planned { path: path.to_string(), new, source: facts, resume_from };
        lock(&self.planned).insert(job.describe(), planned);
        Some(job)
    }

    /// `job` for the file `path`, unless it is an upload into a folder the
    /// server's LIST shows as a link (or not as a folder): then it fails,
    /// and nothing is written through the link.
    fn writable(&self, client: &mut Client, visit: &Visit, job: Job, path: &str) -> Option<Job> {
        let Err(why) = self.check_target_folder(client, visit) else { return Some(job) };
        lock(&self.planned).remove(&job.describe());
        self.report.record(Line { why: Some(&why), ..Line::of(Action::Fail, path) });
        None
    }

    /// For uploads into a folder the mirror did not make this run: whether
    /// it and the folders above it are folders, not links
    /// ([`delete::real_folders`]).
    fn check_target_folder(&self, client: &mut Client, visit: &Visit) -> Result<(), String> {
        if self.options.direction != Direction::Upload || visit.fresh || visit.relative.is_empty() {
            return Ok(());
        }
        delete::real_folders(client, &visit.remote, &visit.relative, &mut lock(&self.checked))
    }

    /// The bytes an earlier run's upload of this file left on the server,
    /// when that is what the target's copy is: shorter than the source,
    /// written after the source last changed (a finished upload would have
    /// the source's size, and its time where the server keeps times), and
    /// the start of the local file, as the server's checksum of it shows.
    /// Size and time alone cannot tell: another, shorter version written
    /// there later by someone else, or a local file restored with an older
    /// time, looks just like a cut upload, and continuing it would join the
    /// local file's end to that file's beginning, a mix whose size and time
    /// (kept after the upload) then hide it from every later run. Without a
    /// checksum command the file is sent whole. Never in ASCII, where sizes
    /// differ.
    fn cut_upload(
        &self,
        client: &mut Client,
        visit: &Visit,
        name: &str,
        source: Facts,
        target: Option<&Facts>,
    ) -> Option<u64> {
        let target = target?;
        let (source_size, target_size) = (source.size?, target.size?);
        let written_after = target.time?.newer_than(source.time?);
        let upload = self.options.direction == Direction::Upload && !self.options.ascii;
        if !(upload && target_size > 0 && target_size < source_size && written_after) {
            return None;
        }
        let local = self.local_file(visit, name)?;
        holds_prefix(client, &local, &remote_join(&visit.remote, name), target_size).then_some(target_size)
    }

    /// The local file `name` of `visit`'s folder pair, beneath the local
    /// root (`None` in a dry run without one).
    fn local_file(&self, visit: &Visit, name: &str) -> Option<Beneath> {
        let root = Arc::clone(self.roots.local.as_ref()?);
        Some(Beneath::new(root, local_relative(&visit.relative).join(sides::local(name))))
    }

    /// Whether the target's times are the source's: always for downloads
    /// (rftp sets them), for uploads when the server keeps what rftp sets.
    fn target_times_kept(&self) -> bool {
        self.options.direction == Direction::Download || self.remote_times_kept.load(Ordering::SeqCst)
    }

    fn transfer_action(&self) -> Action {
        match self.options.direction {
            Direction::Download => Action::Get,
            Direction::Upload => Action::Put,
        }
    }

    /// The download or upload of `name` in `visit`'s folder pair.
    fn file_job(&self, visit: &Visit, name: &str, facts: Facts) -> Option<Job> {
        let local = self.local_file(visit, name)?;
        let remote = remote_join(&visit.remote, name);
        Some(match self.options.direction {
            Direction::Download => {
                let modified = facts
                    .time
                    .filter(|t| t.precision == compare::Precision::Exact)
                    .map(|t| crate::protocol::FileTime::from_system_time(t.time));
                Job::Download { remote, local, size: facts.size, modified }
            }
            Direction::Upload => Job::Upload { local, remote, size: facts.size },
        })
    }

    /// Counts a folder's files, folders and listing lines against the batch limits (the
    /// same as `get -r`'s); false, said once, past them: the rest is not
    /// mirrored. Folders count as they are listed, not as they are visited:
    /// each is made on the target before its visit.
    fn take_on(&self, visit: &Visit, source: &Listing, target: &Listing) -> bool {
        let mut taken = lock(&self.taken);
        // Lines that name nothing to move take time to read all the same.
        taken.lines += source.lines + target.lines;
        taken.folders += source.folders.len() + usize::from(visit.depth == 0);
        taken.files += source.files.len();
        // Each path is kept (planned, in its job) until the end of the run.
        let names = source.files.keys().chain(&source.folders);
        taken.path_bytes += names.map(|name| visit.relative.len() + 1 + name.len()).sum::<usize>();
        if taken.stopped {
            return false;
        }
        let over = if taken.folders > batch::MAX_FOLDERS {
            format!("more than {} folders", batch::MAX_FOLDERS)
        } else if taken.files > batch::MAX_FILES {
            format!("more than {} files", batch::MAX_FILES)
        } else if taken.lines > batch::MAX_LISTED_LINES {
            format!("more than {} listing lines", batch::MAX_LISTED_LINES)
        } else if taken.path_bytes > batch::MAX_PATH_BYTES {
            format!("paths of more than {} MiB", batch::MAX_PATH_BYTES >> 20)
        } else {
            return true;
        };
        taken.stopped = true;
        let why = format!("not mirrored: the tree has {over}; mirror parts of it instead");
        self.report.record(Line { why: Some(&why), ..Line::of(Action::Fail, folder_path(visit)) });
        false
    }

    /// Whether the source folder `name` of `source` may be visited: not
    /// deeper than the limit, and not a folder already seen under another
    /// name (a link the server shows as a folder).
    fn may_visit(&self, visit: &Visit, name: &str, path: &str, source: &Listing) -> bool {
        let (action, why) = if visit.depth + 1 > batch::MAX_DEPTH {
            (Action::Fail, format!("not mirrored: deeper than {} folders", batch::MAX_DEPTH))
        } else if source.folder_ids.get(name).is_some_and(|id| !lock(&self.taken).folder_ids.insert(id.clone())) {
            (Action::Skip, "a folder already seen (a link?); not followed".to_string())
        } else {
            return true;
        };
        self.report.record(Line { why: Some(&why), ..Line::of(action, path) });
        false
    }

    /// The visit of a source folder, made on the target first when missing.
    fn plan_subfolder(
        &self,
        client: &mut Client,
        visit: &Visit,
        name: &str,
        path: String,
        target: &Listing,
    ) -> Option<Job> {
        let remote = remote_join(&visit.remote, name);
        let shown = match self.options.direction {
            Direction::Download => remote.clone(),
            Direction::Upload => self.local_shown(&path),
        };
        let fresh = !target.folders.contains(name);
        if fresh {
            if let Some(what) = target.kind_of(name) {
                let why = format!("the target has {what} there; not replaced");
                self.report.record(Line { why: Some(&why), ..Line::of(Action::Fail, &path) });
                return None;
            }
            // Nothing is made inside a folder that is a link on the server.
            if let Err(why) = self.check_target_folder(client, visit) {
                self.report.record(Line { why: Some(&why), ..Line::of(Action::Fail, &path) });
                return None;
            }
            if !self.made_by_its_visit(true) {
                if let Err(why) = self.make_target_folder(client, &remote, &path) {
                    self.report.record(Line { why: Some(&why), ..Line::of(Action::Fail, &path) });
                    return None;
                }
                self.report.record(Line::of(Action::Mkdir, &path));
            }
        }
        Some(Job::Visit(Visit { remote, relative: path, depth: visit.depth + 1, shown, fresh }))
    }

    /// Whether a fresh target folder (`below_root`: not the mirrored folder,
    /// which the session made) is made by its own visit rather than by the
    /// visit of its parent: a server's folder, so that a connection lost at
    /// its MKD fails that visit, which is tried again on the next
    /// connection, instead of failing the folder for good.
    fn made_by_its_visit(&self, below_root: bool) -> bool {
        below_root && self.options.direction == Direction::Upload && !self.options.dry_run
    }

    /// Makes the server's folder of a fresh upload visit (see
    /// [`Mirror::made_by_its_visit`]); a try after a lost reply finds it made.
    fn make_visited_folder(&self, client: &mut Client, visit: &Visit) -> Result<(), TransferError> {
        if !visit.fresh || !self.made_by_its_visit(visit.depth > 0) {
            return Ok(());
        }
        batch::make_remote_folder(client, &visit.remote)?;
        self.report.record(Line::of(Action::Mkdir, folder_path(visit)));
        Ok(())
    }

    /// Makes the target's folder `path` (`remote` on the server), unless
    /// this is a dry run.
    fn make_target_folder(&self, client: &mut Client, remote: &str, path: &str) -> Result<(), String> {
        if self.options.dry_run {
            return Ok(());
        }
        match self.options.direction {
            Direction::Download => {
                let root = self.roots.local.as_ref().ok_or("no local folder")?;
                root.descend(&local_relative(path), true).map(drop).map_err(|e| format!("cannot create it: {e}"))
            }
            Direction::Upload => client.mkd(remote).map(drop).map_err(|e| format!("cannot create it: {e}")),
        }
    }

    /// Notes what the target has and the source lacks, to remove once the
    /// transfers are over. Excluded paths stay, and so do the `.part` files
    /// of downloads still to be continued.
    fn plan_deletions(&self, visit: &Visit, source: &Listing, target: &Listing) {
        let names = target.files.keys().chain(&target.folders).chain(target.others.keys());
        let by_case = names_by_case(source);
        let mut deletions = Vec::new();
        for name in names {
            if source.kind_of(name).is_some() || self.is_our_part(name, source) {
                continue;
            }
            let folder = target.folders.contains(name);
            let path = join(&visit.relative, name);
            if !self.options.filter.allows(&path, folder) {
                continue;
            }
            if let Some(twin) = by_case.get(&name.to_lowercase()) {
                // On a server or file system that ignores case (IIS,
                // Windows, macOS) `A.TXT` is the `a.txt` just sent there:
                // deleting it would delete that, on every run.
                let why = format!("differs from {twin} only in case; not deleted");
                self.report.record(Line { why: Some(&why), ..Line::of(Action::Skip, &path) });
                continue;
            }
            let remote = remote_join(&visit.remote, name);
            let deletion = Deletion::new(self.options.direction, path, remote, folder);
            if self.options.dry_run {
                self.report.record(Line::of(Action::Delete, deletion.path()));
            }
            deletions.push(deletion);
        }
        if !self.options.dry_run {
            lock(&self.deletions).extend(deletions);
        }
    }

    /// `NAME.part` or `NAME.part.meta` of a download of the source's `NAME`.
    fn is_our_part(&self, name: &str, source: &Listing) -> bool {
        self.options.direction == Direction::Download
            && PART_SUFFIXES
                .iter()
                .any(|suffix| name.strip_suffix(suffix).is_some_and(|base| source.files.contains_key(base)))
    }
}

impl Hooks for Mirror {
    fn visit(&self, client: &mut Client, visit: &Visit) -> Result<Vec<Job>, TransferError> {
        self.make_visited_folder(client, visit)?;
        let (source, target) = self.list_pair(client, visit)?;
        Ok(self.plan_folder(client, visit, &source, &target))
    }

    fn finish(&self, client: &mut Client, job: &Job, learned: Option<FileTime>) -> Result<(), TransferError> {
        let planned = lock(&self.planned).get(&job.describe()).cloned();
        match job {
            Job::Download { remote, local, .. } => {
                let listed = planned.and_then(|p| p.source.time);
                times::keep_download_time(client, remote, local, listed, learned)
            }
            Job::Upload { local, remote, .. } => {
                self.keep_upload_time(client, local, remote, planned.and_then(|p| p.source.time))
            }
            Job::Visit(_) => Ok(()),
        }
    }

    fn sent_before(&self, job: &Job) -> u64 {
        lock(&self.planned).get(&job.describe()).map_or(0, |p| p.resume_from)
    }

    fn ended(&self, job: &Job, result: Result<u64, &str>) {
        let planned = lock(&self.planned).remove(&job.describe());
        let path = match (&planned, job) {
            (Some(planned), _) => planned.path.clone(),
            (None, Job::Visit(visit)) => folder_path(visit).to_string(),
            (None, job) => job.describe(),
        };
        match result {
            Ok(_) if !job.is_file() => {}
            Ok(bytes) => {
                let new = planned.map(|p| p.new);
                self.report.record(Line { new, bytes: Some(bytes), ..Line::of(self.transfer_action(), &path) });
            }
            Err(why) => self.report.record(Line { why: Some(why), ..Line::of(Action::Fail, &path) }),
        }
    }
}

impl Mirror {
    /// Gives the uploaded file the local file's time on the server; a
    /// server that cannot is said once, a refusal for one file with the
    /// server's reply, and the run goes on.
    fn keep_upload_time(
        &self,
        client: &mut Client,
        local: &Beneath,
        remote: &str,
        listed: Option<compare::Stamp>,
    ) -> Result<(), TransferError> {
        match times::keep_upload_time(client, local, remote, listed)? {
            times::UploadTime::Kept => self.remote_times_kept.store(true, Ordering::SeqCst),
            times::UploadTime::ServerCannot if !self.told_no_times.swap(true, Ordering::SeqCst) => errln!(
                "rftp: the server cannot set modification times (no MFMT, SITE UTIME or MDTM with a time); \
                 later runs compare sizes, and times only where the source is newer"
            ),
            times::UploadTime::ServerCannot => {}
            times::UploadTime::Refused(why) if !self.report.is_quiet() => {
                errln!("rftp: warning: {}: the server did not set its time: {why}", printable(remote))
            }
            times::UploadTime::Refused(_) => {}
        }
        Ok(())
    }
}

/// Whether the server's `remote` holds exactly the first `len` bytes of
/// `local`: its checksum (the whole remote file) against the hash of that
/// much of the local file. False when either cannot be had.
fn holds_prefix(client: &mut Client, local: &Beneath, remote: &str, len: u64) -> bool {
    use std::io::Read;
    let Ok(Some(server)) = client.checksum(remote) else { return false };
    let Ok(file) = local.open_parent().and_then(|(folder, name)| folder.open_read(&name)) else { return false };
    crate::checksum::hash_reader(file.take(len), server.algorithm).is_ok_and(|hex| hex == server.hex)
}

/// What a download adds to a file's name for its partial file and that
/// file's identity (`transfer::part_path`, `transfer::identity_path`).
const PART_SUFFIXES: [&str; 2] = [".part", ".part.meta"];

/// A visited folder's path as reports show it: relative to the mirrored
/// folder, `.` for that folder itself.
fn folder_path(visit: &Visit) -> &str {
    if visit.relative.is_empty() { "." } else { &visit.relative }
}

/// Every name of `source`, by its lower-case form.
fn names_by_case(source: &Listing) -> HashMap<String, &str> {
    let names = source.files.keys().chain(&source.folders).chain(source.others.keys());
    names.map(|name| (name.to_lowercase(), name.as_str())).collect()
}

/// `relative/name`, or `name` at the root.
fn join(relative: &str, name: &str) -> String {
    if relative.is_empty() { name.to_string() } else { format!("{relative}/{name}") }
}
