//! `--delete`: removing from the target what the source lacks, inside the
//! mirrored folder only. Local removals go through folder handles and never
//! follow a link (a link is removed, not what it points at); remote ones
//! name only plain names the server listed in the mirrored folder.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::report::{Action, Line, Report};
use super::{Direction, join, sides};
use crate::batch::remote_join;
use crate::filter::Filter;
use crate::localfs::{Folder, Kind};
use crate::names::local_relative;
use crate::protocol::listing::parse_list_line;
use crate::protocol::{Client, DirEntryKind};

/// One path the target has and the source lacks.
#[derive(Debug, Clone)]
pub struct Deletion {
    side: Direction,
    /// The path relative to the mirrored folder.
    path: String,
    /// The same on the server.
    remote: String,
    folder: bool,
}

impl Deletion {
    /// The deletion of `path` on the target of a mirror going `side`.
    pub fn new(side: Direction, path: String, remote: String, folder: bool) -> Deletion {
        Deletion { side, path, remote, folder }
    }

    /// The path relative to the mirrored folder.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// What [`run`] works with besides the deletions.
pub struct Context<'c> {
    /// The local target's root, for downloads.
    pub local_root: Option<&'c Folder>,
    /// Which paths are left alone.
    pub filter: &'c Filter,
    /// Where each removal is reported.
    pub report: &'c Report,
    /// Set by Ctrl-C: no removal starts after it.
    pub interrupted: &'c AtomicBool,
}

/// Removes `deletions`, files before folders and deeper folders first,
/// reporting each path removed or failed, until Ctrl-C.
pub fn run(mut deletions: Vec<Deletion>, client: &mut Client, context: Context) {
    let Context { local_root, filter, report, interrupted } = context;
    deletions.sort_by_key(|d| (d.folder, std::cmp::Reverse(d.path.matches('/').count())));
    let mut remover = Remover { client, filter, report, interrupted, walked: 0, checked: HashMap::new() };
    for deletion in deletions {
        // No transfer runs here for Ctrl-C to abort: it is looked at
        // before each removal instead.
        if interrupted.load(Ordering::SeqCst) || remover.walked > MAX_WALKED {
            break;
        }
        match (deletion.side, local_root) {
            (Direction::Download, Some(root)) => remover.local(root, &deletion.path, deletion.folder),
            (Direction::Download, None) => {}
            (Direction::Upload, _) => match remover.folders_above_are_real(&deletion) {
                Ok(()) => {
                    remover.remote(&deletion.remote, &deletion.path, deletion.folder, 0);
                }
                Err(why) => {
                    remover.done(&deletion.path, Err(why));
                }
            },
        }
    }
}

/// Removes files and trees, reporting each path.
struct Remover<'r> {
    client: &'r mut Client,
    filter: &'r Filter,
    report: &'r Report,
    interrupted: &'r AtomicBool,
    /// The names listed in remote folders to delete so far.
    walked: usize,
    /// The remote folders (relative paths) checked by LIST, and the verdict.
    checked: HashMap<String, Result<(), String>>,
}

impl Remover<'_> {
    /// Reports the removal of `path`; whether it is still there (it failed).
    fn done(&mut self, path: &str, result: Result<(), String>) -> bool {
        match result {
            Ok(()) => self.report.record(Line::of(Action::Delete, path)),
            Err(why) => {
                self.report.record(Line { why: Some(&why), ..Line::of(Action::Fail, path) });
                return true;
            }
        }
        false
    }

    /// Removes the local `path` (a file or link, or with `folder` a tree).
    fn local(&mut self, root: &Folder, path: &str, folder: bool) {
        let relative = local_relative(path);
        let parent = relative.parent().unwrap_or(Path::new(""));
        let Some(name) = relative.file_name() else { return };
        match root.descend(parent, false) {
            Ok(parent) if folder => {
                self.local_tree(&parent, name, path);
            }
            Ok(parent) => {
                let removed = parent.remove_file(name).map_err(|e| format!("cannot delete it: {e}"));
                self.done(path, removed);
            }
            Err(e) => {
                self.done(path, Err(format!("cannot reach it: {e}")));
            }
        }
    }

    /// Removes the folder `name` in `parent` and what it holds, except what
    /// the filter excludes (then the folder stays too, and those above it);
    /// whether the folder stays.
    fn local_tree(&mut self, parent: &Folder, name: &OsStr, path: &str) -> bool {
        let folder = match parent.open_folder(name) {
            Ok(folder) => folder,
            Err(e) => return self.done(path, Err(format!("cannot open it: {e}"))),
        };
        let names = match folder.names() {
            Ok(names) => names,
            Err(e) => return self.done(path, Err(format!("cannot list it: {e}"))),
        };
        let mut kept = false;
        for inner in names {
            if self.interrupted.load(Ordering::SeqCst) {
                return true;
            }
            let inner_path = join(path, &crate::names::remote_name(&inner));
            let kind = folder.kind(&inner).ok().flatten();
            if !self.filter.allows(&inner_path, kind == Some(Kind::Folder)) {
                kept = true;
                continue;
            }
            match kind {
                Some(Kind::Folder) => kept |= self.local_tree(&folder, &inner, &inner_path),
                Some(_) => {
                    let removed = folder.remove_file(&inner).map_err(|e| format!("cannot delete it: {e}"));
                    kept |= self.done(&inner_path, removed);
                }
                None => {}
            }
        }
        if kept {
            return true;
        }
        let removed = parent.remove_folder(name).map_err(|e| format!("cannot delete it: {e}"));
        self.done(path, removed)
    }

    /// Checks that each folder above `deletion` on the server is a folder,
    /// not a link to one ([`real_folders`]).
    fn folders_above_are_real(&mut self, deletion: &Deletion) -> Result<(), String> {
        match deletion.path.rsplit_once('/') {
            Some((folder, _)) => real_folders(self.client, remote_parent(&deletion.remote), folder, &mut self.checked),
            None => Ok(()),
        }
    }

    /// Removes the remote `remote` (a file or link, or with `folder` a tree
    /// `depth` folders down from the one being deleted); whether it stays.
    fn remote(&mut self, remote: &str, path: &str, folder: bool, depth: usize) -> bool {
        if !folder {
            let removed = self.client.delete(remote).map(drop).map_err(|e| format!("cannot delete it: {e}"));
            return self.done(path, removed);
        }
        // A server whose MLSD follows links (pyftpdlib) calls a link to a
        // folder a folder, and walking it would empty a folder outside the
        // mirror. DELE removes a link (or a file) but never a real folder,
        // so a folder is walked only once DELE has refused it.
        match self.client.delete(remote) {
            Ok(_) => return self.done(path, Ok(())),
            Err(e) if !self.client.is_connected() => return self.done(path, Err(format!("cannot delete it: {e}"))),
            Err(_) => {}
        }
        // A hostile server can list a folder inside each folder without end.
        if let Err(why) = within_depth(depth) {
            return self.done(path, Err(why));
        }
        let listing = match sides::list_remote(self.client, remote) {
            Ok(listing) if listing.is_complete() => listing,
            Ok(listing) => return self.done(path, Err(format!("not deleted: {}", listing.problems.join("; ")))),
            Err(e) => return self.done(path, Err(format!("cannot list it: {e}"))),
        };
        // Deep is bounded above; wide too, over the whole walk.
        self.walked += listing.files.len() + listing.folders.len() + listing.others.len();
        if self.walked > MAX_WALKED {
            return self.done(path, Err(format!("not deleted: more than {MAX_WALKED} names in the folders to delete")));
        }
        let mut kept = false;
        let files = listing.files.keys().chain(listing.others.keys());
        let entries: Vec<(String, bool)> =
            files.map(|n| (n.clone(), false)).chain(listing.folders.iter().map(|n| (n.clone(), true))).collect();
        for (name, is_folder) in entries {
            if self.interrupted.load(Ordering::SeqCst) || self.walked > MAX_WALKED {
                return true;
            }
            let inner_path = join(path, &name);
            if !self.filter.allows(&inner_path, is_folder) {
                kept = true;
                continue;
            }
            kept |= self.remote(&remote_join(remote, &name), &inner_path, is_folder, depth + 1);
        }
        if kept {
            return true;
        }
        let removed = self.client.rmd(remote).map(drop).map_err(|e| format!("cannot delete it: {e}"));
        self.done(path, removed)
    }
}

/// Checks, by LIST, that the remote folder `remote` (`relative` in the
/// mirror) and each folder above it up to the mirrored one are folders,
/// not links to one: a server whose MLSD follows links (pyftpdlib) shows a
/// link as a folder, the mirror goes into it, and what it would write or
/// delete there is outside the mirrored folder. Each folder is listed once
/// (`checked`), and only when something is to be written or deleted in it.
pub(super) fn real_folders(
    client: &mut Client,
    remote: &str,
    relative: &str,
    checked: &mut HashMap<String, Result<(), String>>,
) -> Result<(), String> {
    let names: Vec<&str> = relative.split('/').collect();
    let mut folders = Vec::new();
    let mut remote = remote;
    for depth in (1..=names.len()).rev() {
        folders.push((names[..depth].join("/"), remote_parent(remote), names[depth - 1]));
        remote = remote_parent(remote);
    }
    for (relative, parent, name) in folders.into_iter().rev() {
        if !checked.contains_key(&relative) {
            let verdict = is_real_folder(client, parent, name, &relative);
            checked.insert(relative.clone(), verdict);
        }
        checked[&relative].clone()?;
    }
    Ok(())
}

/// Whether LIST of `parent` shows `name` (the mirror's `relative`) as
/// something else than a folder: LIST shows links as links where MLSD may
/// not. A name LIST leaves out passes (ProFTPD and Pure-FTPd hide names
/// that start with a dot from LIST, not from MLSD).
fn is_real_folder(client: &mut Client, parent: &str, name: &str, relative: &str) -> Result<(), String> {
    let argument = (!parent.is_empty()).then_some(parent);
    let lines = client.list(argument).map_err(|e| format!("cannot check that {relative} is a folder: {e}"))?;
    let entry = lines.iter().filter_map(|line| parse_list_line(line)).find(|entry| entry.name == name);
    match entry.map(|entry| entry.kind) {
        None | Some(DirEntryKind::Dir) => Ok(()),
        Some(DirEntryKind::Link) => {
            Err(format!("the server lists {relative} as a link; nothing is written or deleted through it"))
        }
        Some(_) => Err(format!("the server's LIST shows {relative} as no folder; nothing is written or deleted there")),
    }
}

/// The folder of the remote path `remote` (`""`: the login folder).
fn remote_parent(remote: &str) -> &str {
    match remote.rsplit_once('/') {
        Some(("", _)) if remote.starts_with('/') => "/",
        Some((parent, _)) => parent,
        None => "",
    }
}

/// The most names the remote folders to delete may list in all, as in a
/// tree transfer.
const MAX_WALKED: usize = crate::batch::MAX_FILES + crate::batch::MAX_FOLDERS;

/// Refuses to walk a remote folder deeper than the mirror itself goes: a
/// tree without end (a hostile server, links in a loop) would otherwise
/// take the stack.
fn within_depth(depth: usize) -> Result<(), String> {
    match depth < crate::batch::MAX_DEPTH {
        true => Ok(()),
        false => Err(format!("not deleted: deeper than {} folders", crate::batch::MAX_DEPTH)),
    }
}
