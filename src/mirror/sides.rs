//! One folder of each side of a mirror, read into the same shape: its
//! files with their size and time, its folders, and what is neither. The
//! remote side comes from one listing (MLSD, else LIST); the local side
//! from the folder's handle, without following links.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::ops::ControlFlow;
use std::time::{Duration, UNIX_EPOCH};

use super::compare::{Facts, Stamp};
use crate::display::printable;
use crate::localfs::{Folder, Kind};
use crate::names::{remote_name, safe_local_name};
use crate::protocol::{Client, DirEntry, DirEntryKind, ListedLine};
use crate::transfer::TransferError;

/// The most lines one folder's listing may have: past it the listing is
/// stopped, so memory stays bounded whatever the server sends.
pub const MAX_LINES: usize = 200_000;

/// The most bytes the names of one folder's listing may take (the same
/// bound as `get -r`'s on a whole tree's paths).
pub const MAX_NAME_BYTES: usize = crate::batch::MAX_PATH_BYTES;

/// The most lines or names one folder's listing may have that cannot be
/// used (the same bound as `get -r`'s): past it the folder fails whole.
pub const MAX_PROBLEMS: usize = crate::batch::MAX_UNPARSED_LINES;

/// One folder as one side has it. Names are in the server's form (a local
/// name that is not UTF-8 as [`remote_name`] sends it).
#[derive(Debug, Default)]
pub struct Listing {
    /// Regular files and what is known of them.
    pub files: BTreeMap<String, Facts>,
    /// Folders.
    pub folders: BTreeSet<String>,
    /// The server's identity of each folder that has one (MLSD's `unique`):
    /// a folder reached again through a link has the same.
    pub folder_ids: BTreeMap<String, String>,
    /// Names that are neither (links, devices), and what they are: never
    /// followed, replaced or deleted.
    pub others: BTreeMap<String, &'static str>,
    /// How many lines the server's listing had (none for a local folder).
    pub lines: usize,
    /// Lines or names that could not be used, and why. A listing with any
    /// is incomplete: nothing in the folder is deleted on its account.
    pub problems: Vec<String>,
}

impl Listing {
    /// What `name` is in the folder, if anything: a file, a folder, or one
    /// of [`Listing::others`].
    pub fn kind_of(&self, name: &str) -> Option<&'static str> {
        if self.folders.contains(name) {
            Some("a folder")
        } else if self.files.contains_key(name) {
            Some("a file")
        } else {
            self.others.get(name).copied()
        }
    }

    /// Every name of the listing was understood.
    pub fn is_complete(&self) -> bool {
        self.problems.is_empty()
    }

    fn take_remote(&mut self, entry: DirEntry) {
        if entry.name == "." || entry.name == ".." || entry.kind == DirEntryKind::Other {
            return;
        }
        // A name that is not one plain name (`a/b`, `..`, control
        // characters) is never acted on, on either side.
        if let Err(refused) = safe_local_name(&entry.name) {
            self.problems.push(refused.to_string());
            return;
        }
        match entry.kind {
            DirEntryKind::File => {
                let time = entry.time().map(|t| Stamp { time: t.time.to_system_time(), precision: t.precision });
                self.files.insert(entry.name, Facts { size: entry.size, time });
            }
            DirEntryKind::Dir => {
                if let Some(unique) = entry.unique {
                    self.folder_ids.insert(entry.name.clone(), unique);
                }
                self.folders.insert(entry.name);
            }
            DirEntryKind::Link => {
                self.others.insert(entry.name, "a symbolic link");
            }
            DirEntryKind::Other => {}
        }
    }
}

/// Lists the remote folder `path` (`""`: the login folder) in one listing.
pub fn list_remote(client: &mut Client, path: &str) -> Result<Listing, TransferError> {
    let mut listing = Listing::default();
    let (mut lines, mut bytes) = (0usize, 0usize);
    let argument = if path.is_empty() { None } else { Some(path) };
    let stopped = client.list_dir_each(argument, |line| {
        lines += 1;
        if lines > MAX_LINES {
            return ControlFlow::Break(format!("more than {MAX_LINES} listing lines in one folder"));
        }
        match line {
            ListedLine::Entry(entry) => {
                // Every name is kept: lines of 64 KiB would hold gigabytes.
                bytes += entry.name.len();
                if bytes > MAX_NAME_BYTES {
                    return ControlFlow::Break(format!("its names take more than {} MiB", MAX_NAME_BYTES >> 20));
                }
                listing.take_remote(entry)
            }
            ListedLine::NotAnEntry => {}
            ListedLine::Unparsed(raw) => {
                let shown: String = printable(&raw).chars().take(200).collect();
                listing.problems.push(format!("a listing line rftp cannot read: {shown:?}"));
            }
        }
        // Each problem is kept and reported: a hostile server could send
        // them by the hundred thousand.
        match listing.problems.len() > MAX_PROBLEMS {
            true => ControlFlow::Break(format!(
                "more than {MAX_PROBLEMS} listing lines rftp cannot use, such as: {}",
                listing.problems[0]
            )),
            false => ControlFlow::Continue(()),
        }
    })?;
    listing.lines = lines;
    match stopped {
        Some(why) => Err(TransferError::TreeStopped { folder: printable(path).into_owned(), why }),
        None => Ok(listing),
    }
}

/// Lists the local `folder`: each name's kind without following links, and
/// the size and time of regular files. `.part` and `.part.meta` files left
/// by downloads are listed like the others; the caller knows whose they are.
pub fn list_local(folder: &Folder) -> std::io::Result<Listing> {
    let mut listing = Listing::default();
    for name in folder.names()? {
        let Some((kind, stat)) = folder.stat(&name)? else { continue };
        let key = remote_name(&name);
        match kind {
            Kind::File => {
                let time = UNIX_EPOCH
                    .checked_add(Duration::new(
                        stat.st_mtime.max(0) as u64,
                        stat.st_mtime_nsec.clamp(0, 999_999_999) as u32,
                    ))
                    .map(Stamp::exact);
                listing.files.insert(key, Facts { size: Some(stat.st_size.max(0) as u64), time });
            }
            Kind::Folder => {
                listing.folders.insert(key);
            }
            Kind::Link => {
                listing.others.insert(key, "a symbolic link");
            }
            Kind::Special => {
                listing.others.insert(key, "a device, pipe or socket");
            }
        }
    }
    Ok(listing)
}

/// Takes out of an upload's local folder the names the server could read
/// as something else: `a\b` (a Windows server's separator, so `..\x` is
/// outside the target) or control characters. Each is a problem of the
/// folder instead (nothing there is deleted then), never sent: the next
/// run's listing of it would be refused, and it would go up again.
pub fn refuse_unsafe_names(listing: &mut Listing) {
    let names = listing.files.keys().chain(&listing.folders);
    let refused: Vec<String> = names.filter(|name| safe_local_name(name).is_err()).cloned().collect();
    for name in refused {
        listing.files.remove(&name);
        listing.folders.remove(&name);
        let reason = safe_local_name(&name).err().map_or("", |refused| refused.reason);
        listing.problems.push(format!("not uploaded: the local name {:?}: {reason}", printable(&name)));
    }
}

/// The local name of a name in the server's form.
pub fn local(name: &str) -> OsString {
    crate::names::local_name(name)
}
