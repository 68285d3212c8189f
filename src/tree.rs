//! Downloading a whole remote tree (`get -r`): each folder is a
//! [`Job::Visit`] of the batch, listed by whichever of its connections is
//! free, so folders are listed on all connections at once and files start
//! moving while other folders are still being listed.
//!
//! The walk's limits ([`MAX_FOLDERS`], [`MAX_FILES`], [`MAX_PATH_BYTES`],
//! [`MAX_LISTED_LINES`], [`MAX_DEPTH`]) count across all connections, while
//! listings arrive: a hostile server cannot make rftp hold more than about
//! 40 MiB of plan, however it lists.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::batch::{
    Failure, Hooks, Job, MAX_DEPTH, MAX_FILES, MAX_FOLDERS, MAX_LISTED_LINES, MAX_PATH_BYTES, MAX_UNPARSED_LINES, Plan,
    Visit, open_local_root, remote_join, without_part_collisions,
};
use crate::display::printable;
use crate::localfs::{Beneath, Folder};
use crate::names::{local_name, local_relative, safe_local_name};
use crate::protocol::shared::lock;
use crate::protocol::{self, Client, DirEntry, DirEntryKind, FileTime, ListedLine};
use crate::session::retry;
use crate::transfer::TransferError;

/// What a tree over the limits should be fetched as instead.
const PARTS: &str = "; transfer parts of it instead";

/// Where a tree download reports what it does not follow (links, folders
/// seen before).
pub type Warn = Box<dyn Fn(String) + Send + Sync>;

/// The [`Hooks`] of a tree download: lists each folder it is given, makes
/// its local folder, and returns its files and subfolders as jobs.
pub struct TreeDownload {
    /// The local folder the tree's root becomes (made at the first visit).
    local: PathBuf,
    /// That folder, once opened.
    root: Mutex<Option<Arc<Folder>>>,
    walk: Mutex<Walk>,
    /// What failed besides file jobs: names that cannot be saved, folders
    /// that cannot be listed or made, lines that cannot be read.
    failures: Mutex<Vec<Failure>>,
    warn: Warn,
}

/// What the walk's limits count, across all connections, and what it saw.
#[derive(Default)]
struct Walk {
    /// Remote folders already listed.
    seen_paths: HashSet<String>,
    /// Servers that show links as folders (pyftpdlib) give the folder a link
    /// points at the same `unique` fact: a loop is cut where it closes.
    seen_folders: HashSet<String>,
    folders_queued: usize,
    files_queued: usize,
    lines_read: usize,
    unparsed_lines: usize,
    path_bytes: usize,
    /// Why the walk stopped (a limit passed): no more folders are listed.
    stopped: Option<String>,
}

/// A remote folder being listed: its path, the local folder it becomes
/// (relative to the tree's root), and its depth below the top.
struct Listed<'v> {
    visit: &'v Visit,
    local: PathBuf,
}

/// What one folder's listing holds. It joins the batch only once the
/// listing is complete: a listing that fails halfway fails as a whole.
#[derive(Default)]
struct FolderContents {
    /// Each file's remote path, local path, size and time.
    files: Vec<(String, PathBuf, Option<u64>, Option<FileTime>)>,
    folders: Vec<Visit>,
    failures: Vec<Failure>,
    warnings: Vec<String>,
    /// The `unique` facts of its folders, as the walk marked them seen.
    uniques: Vec<String>,
    /// What it added to the walk's counts of lines, unreadable lines and
    /// path bytes (its files and folders count one each).
    lines_read: usize,
    unparsed_lines: usize,
    path_bytes: usize,
}

/// Plans `get -r remote` into `local`: a remote folder becomes one
/// [`Job::Visit`] of its root with a [`TreeDownload`] as the plan's hooks
/// (its folders are listed while the batch runs); a plain file becomes that
/// file, as `get` would fetch it. A source that is neither is an error, as
/// vsftpd lists a missing path as an empty folder.
pub fn plan_download_tree(
    client: &mut Client,
    remote: &str,
    local: &Path,
    interrupted: &AtomicBool,
    warn: Warn,
) -> Result<Plan, TransferError> {
    if interrupted.load(Ordering::SeqCst) {
        return Err(protocol::Error::Aborted.into());
    }
    if !remote.is_empty() && !client.is_folder(remote)? {
        return crate::batch::plan_single_file(client, remote, local);
    }
    let tree = TreeDownload::new(local, warn);
    let root = Visit {
        remote: remote.to_string(),
        relative: String::new(),
        depth: 0,
        shown: printable(if remote.is_empty() { "." } else { remote }).into_owned(),
        fresh: false,
    };
    let mut plan = Plan::of(vec![Job::Visit(root)]);
    plan.hooks = Some(Arc::new(tree));
    Ok(plan)
}

impl TreeDownload {
    /// A tree download into `local`, reporting links it skips to `warn`.
    pub fn new(local: &Path, warn: Warn) -> TreeDownload {
        TreeDownload {
            local: local.to_path_buf(),
            root: Mutex::new(None),
            walk: Mutex::new(Walk::default()),
            failures: Mutex::new(Vec::new()),
            warn,
        }
    }

    /// Lists `visit`'s folder, sorting each line as it arrives; `None` when
    /// a folder below the top cannot be listed, which fails alone.
    fn list(&self, client: &mut Client, listed: &Listed<'_>) -> Result<Option<FolderContents>, TransferError> {
        let mut found = FolderContents::default();
        let remote = &listed.visit.remote;
        let path = if remote.is_empty() { None } else { Some(remote.as_str()) };
        let result = client.list_dir_each(path, |line| lock(&self.walk).take_line(line, listed, &mut found));
        if !matches!(result, Ok(None)) {
            // What this listing found is dropped: the folders it named are
            // not seen yet, or its retry would skip them as links.
            lock(&self.walk).forget(&found);
        }
        match result {
            Ok(None) => Ok(Some(found)),
            Ok(Some(why)) => {
                lock(&self.walk).stopped.get_or_insert_with(|| why.clone());
                Err(TransferError::TreeStopped { folder: printable(remote).into_owned(), why })
            }
            // The folder asked for must be readable; below it, one that is
            // not (a link the server will not follow) fails alone. What may
            // pass (a 4xx, a lost connection) is the batch's to try again.
            Err(e) if listed.visit.depth > 0 && client.is_connected() && !retry::is_transient(&e) => {
                if matches!(e, protocol::Error::Aborted) {
                    return Err(e.into());
                }
                self.fail(remote.clone(), e.to_string());
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Makes `listed`'s local folder (and the tree's root, the first time)
    /// and returns what its listing found as jobs; a local folder that
    /// cannot be made fails, with what it holds.
    fn jobs_from(&self, listed: &Listed<'_>, mut found: FolderContents) -> Result<Vec<Job>, TransferError> {
        let root = self.root()?;
        if let Err(source) = root.descend(&listed.local, true) {
            let local_dir = root.path().join(&listed.local);
            let error = TransferError::Local { context: format!("cannot create {}", local_dir.display()), source };
            self.fail(listed.visit.remote.clone(), error.to_string());
            return Ok(Vec::new());
        }
        lock(&self.failures).append(&mut found.failures);
        let files = found.files.into_iter().map(|(remote, local, size, modified)| Job::Download {
            remote,
            local: Beneath::new(Arc::clone(&root), local),
            size,
            modified,
        });
        let files = without_part_collisions(files.collect(), &mut lock(&self.failures));
        Ok(found.folders.into_iter().map(Job::Visit).chain(files).collect())
    }

    /// The local root, made and opened the first time (made only once its
    /// listing is complete: a folder the server will not show stays away).
    fn root(&self) -> Result<Arc<Folder>, TransferError> {
        let mut root = lock(&self.root);
        match &*root {
            Some(folder) => Ok(Arc::clone(folder)),
            None => Ok(Arc::clone(root.insert(open_local_root(&self.local)?))),
        }
    }

    fn fail(&self, what: String, error: String) {
        lock(&self.failures).push(Failure { what: printable(&what).into_owned(), error });
    }
}

impl Hooks for TreeDownload {
    fn visit(&self, client: &mut Client, visit: &Visit) -> Result<Vec<Job>, TransferError> {
        {
            let mut walk = lock(&self.walk);
            if let Some(why) = &walk.stopped {
                return Err(TransferError::TreeStopped { folder: visit.shown.clone(), why: why.clone() });
            }
            if !walk.seen_paths.insert(visit.remote.clone()) {
                return Ok(Vec::new());
            }
        }
        let listed = Listed { visit, local: local_relative(&visit.relative) };
        let listing = self.list(client, &listed);
        if listing.is_err() {
            // Tried again later (a transient failure): not seen yet.
            lock(&self.walk).seen_paths.remove(&visit.remote);
        }
        let Some(mut found) = listing? else { return Ok(Vec::new()) };
        for warning in std::mem::take(&mut found.warnings) {
            (self.warn)(warning);
        }
        self.jobs_from(&listed, found)
    }

    fn finish(&self, _client: &mut Client, _job: &Job, _learned: Option<FileTime>) -> Result<(), TransferError> {
        Ok(())
    }

    fn ended(&self, _job: &Job, _result: Result<u64, &str>) {}

    fn continues_parts(&self) -> bool {
        // As `get` does: a new download of the tree starts each file afresh.
        false
    }

    fn take_failures(&self) -> Vec<Failure> {
        std::mem::take(&mut lock(&self.failures))
    }
}

impl Walk {
    /// Forgets what a listing that failed added: the folders it marked seen
    /// and its counts, so that its retry is not counted twice against the
    /// limits.
    fn forget(&mut self, found: &FolderContents) {
        for unique in &found.uniques {
            self.seen_folders.remove(unique);
        }
        self.lines_read -= found.lines_read;
        self.unparsed_lines -= found.unparsed_lines;
        self.path_bytes -= found.path_bytes;
        self.files_queued -= found.files.len();
        self.folders_queued -= found.folders.len();
    }

    /// Sorts one listing line of `listed` into `found`, or stops the
    /// listing, saying why, past a limit.
    fn take_line(&mut self, line: ListedLine, listed: &Listed<'_>, found: &mut FolderContents) -> ControlFlow<String> {
        self.lines_read += 1;
        found.lines_read += 1;
        if self.lines_read > MAX_LISTED_LINES {
            return ControlFlow::Break(format!("more than {MAX_LISTED_LINES} listing lines{PARTS}"));
        }
        let entry = match line {
            ListedLine::Entry(entry) => entry,
            ListedLine::NotAnEntry => return ControlFlow::Continue(()),
            ListedLine::Unparsed(raw) => return self.take_unparsed(&raw, listed, found),
        };
        if entry.kind == DirEntryKind::Other {
            return ControlFlow::Continue(()); // `.`, `..`, devices
        }
        let name = match safe_local_name(&entry.name) {
            Ok(name) => name,
            Err(_) if entry.name == "." || entry.name == ".." => return ControlFlow::Continue(()),
            // The whole folder was asked for: a file it holds that cannot
            // be saved under its name is a failure, not a footnote.
            Err(refused) => {
                found.failures.push(Failure {
                    what: printable(&remote_join(&listed.visit.remote, &entry.name)).into_owned(),
                    error: format!("not transferred: {refused}"),
                });
                return ControlFlow::Continue(());
            }
        };
        self.take_entry(&entry, name, listed, found)
    }

    /// A listing line in no known format: a failure, never skipped in
    /// silence; past [`MAX_UNPARSED_LINES`] the listing stops.
    fn take_unparsed(&mut self, raw: &str, listed: &Listed<'_>, found: &mut FolderContents) -> ControlFlow<String> {
        self.unparsed_lines += 1;
        found.unparsed_lines += 1;
        let raw = shortened(&printable(raw));
        if self.unparsed_lines > MAX_UNPARSED_LINES {
            return ControlFlow::Break(format!(
                "more than {MAX_UNPARSED_LINES} listing lines in no format rftp can read, such as {raw:?}"
            ));
        }
        found.failures.push(Failure {
            what: printable(&listed.visit.remote).into_owned(),
            error: format!("a listing line rftp cannot read, so not transferred: {raw:?}"),
        });
        ControlFlow::Continue(())
    }

    /// Decides what the entry `name` of `listed` becomes: a file to fetch,
    /// a folder to list, a failure or a warning; or stops the listing past
    /// a limit.
    fn take_entry(
        &mut self,
        entry: &DirEntry,
        name: &str,
        listed: &Listed<'_>,
        found: &mut FolderContents,
    ) -> ControlFlow<String> {
        let visit = listed.visit;
        let remote_path = remote_join(&visit.remote, name);
        if matches!(entry.kind, DirEntryKind::File | DirEntryKind::Dir) {
            // Names have no length limit: the bytes kept are bounded too.
            let bytes = remote_path.len() + listed.local.as_os_str().len() + name.len();
            self.path_bytes += bytes;
            found.path_bytes += bytes;
            if self.path_bytes > MAX_PATH_BYTES {
                return ControlFlow::Break(format!("its paths take more than {} MiB{PARTS}", MAX_PATH_BYTES >> 20));
            }
        }
        match entry.kind {
            DirEntryKind::File if self.files_queued >= MAX_FILES => {
                return ControlFlow::Break(format!("more than {MAX_FILES} files{PARTS}"));
            }
            DirEntryKind::File => {
                self.files_queued += 1;
                found.files.push((remote_path, listed.local.join(local_name(name)), entry.size, entry.modified));
            }
            DirEntryKind::Dir if entry.unique.as_ref().is_some_and(|u| self.seen_folders.contains(u)) => {
                found.warnings.push(format!("{remote_path}: a folder already seen (a link?); not followed"));
            }
            DirEntryKind::Dir if self.folders_queued >= MAX_FOLDERS => {
                return ControlFlow::Break(format!("more than {MAX_FOLDERS} folders{PARTS}"));
            }
            DirEntryKind::Dir if visit.depth < MAX_DEPTH => {
                self.folders_queued += 1;
                if let Some(unique) = &entry.unique {
                    self.seen_folders.insert(unique.clone());
                    found.uniques.push(unique.clone());
                }
                let relative = remote_join(&visit.relative, name);
                let shown = printable(&remote_path).into_owned();
                found.folders.push(Visit {
                    remote: remote_path,
                    relative,
                    depth: visit.depth + 1,
                    shown,
                    fresh: false,
                });
            }
            DirEntryKind::Dir => found.failures.push(Failure {
                what: printable(&remote_path).into_owned(),
                error: format!("not transferred: deeper than {MAX_DEPTH} folders"),
            }),
            DirEntryKind::Link => found.warnings.push(format!("{remote_path}: a symbolic link; not followed")),
            DirEntryKind::Other => {}
        }
        ControlFlow::Continue(())
    }
}

/// A listing line as a failure shows it: at most 200 characters.
fn shortened(line: &str) -> String {
    const LONGEST: usize = 200;
    match line.char_indices().nth(LONGEST) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// Lists the whole tree of a plan from [`plan_download_tree`] at once, on
/// `client`, as the batch would while it runs: a plan of its files (and
/// what failed), without hooks. For tests that change the local tree
/// between listing and fetching; the first error stops it.
#[cfg(all(test, feature = "server"))]
pub fn list_whole(mut plan: Plan, client: &mut Client) -> Result<Plan, TransferError> {
    let Some(hooks) = plan.hooks.take() else { return Ok(plan) };
    let mut visits: std::collections::VecDeque<Job> = std::mem::take(&mut plan.jobs).into();
    while let Some(job) = visits.pop_front() {
        match job {
            Job::Visit(visit) => {
                let found = hooks.visit(client, &visit)?;
                let (folders, files): (Vec<Job>, Vec<Job>) = found.into_iter().partition(|job| !job.is_file());
                visits.extend(folders);
                plan.jobs.extend(files);
            }
            file => plan.jobs.push(file),
        }
    }
    plan.failures.append(&mut hooks.take_failures());
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> ListedLine {
        ListedLine::Entry(DirEntry {
            name: name.into(),
            kind: DirEntryKind::File,
            size: Some(1),
            unique: None,
            modified: None,
            listed_time: None,
        })
    }

    #[test]
    fn a_listing_that_failed_is_not_counted_twice_against_the_limits() {
        let visit = Visit { remote: "t".into(), relative: String::new(), depth: 0, shown: "t".into(), fresh: false };
        let listed = Listed { visit: &visit, local: PathBuf::new() };
        // Room for two more files: the listing's retry must still find it.
        let mut walk = Walk { files_queued: MAX_FILES - 2, ..Walk::default() };
        let mut cut = FolderContents::default();
        for name in ["a", "b"] {
            assert!(walk.take_line(file(name), &listed, &mut cut).is_continue());
        }
        walk.forget(&cut);
        let mut again = FolderContents::default();
        for name in ["a", "b"] {
            assert!(walk.take_line(file(name), &listed, &mut again).is_continue(), "{name} counted twice");
        }
        assert_eq!(again.files.len(), 2);
        assert_eq!((walk.lines_read, walk.path_bytes), (2, again.path_bytes));
    }
}
