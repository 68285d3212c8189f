//! Local files opened relative to folder handles, never through links.
//!
//! A download into a folder tree must write nothing outside the folder the
//! user named, even when someone else can write inside it (a shared folder,
//! a tree made by an earlier run, a co-user racing the batch). Joining paths
//! and opening them again lets any component be swapped for a symbolic link
//! between the check and the use. So the folder the user named is opened
//! once, normally (following a link there is the user's choice), and every
//! name beneath it is reached from a folder handle with `openat`,
//! `mkdirat`, `renameat` and `fstatat`, each refusing a symbolic link
//! (`O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`).

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use nix::errno::Errno;
use nix::fcntl::{AtFlags, FcntlArg, OFlag, openat, renameat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstatat, mkdirat, mode_t};
use nix::unistd::{UnlinkatFlags, unlinkat};

/// An open folder: names inside it are opened relative to it, never by
/// resolving a joined path again.
#[derive(Debug)]
pub struct Folder {
    fd: OwnedFd,
    /// The path it was opened by, for messages only.
    path: PathBuf,
}

/// What a name inside a folder is, without following a link there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A folder.
    Folder,
    /// A symbolic link (not followed).
    Link,
    /// A device, pipe or socket.
    Special,
}

impl Kind {
    fn of(stat: &FileStat) -> Kind {
        match SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT {
            SFlag::S_IFREG => Kind::File,
            SFlag::S_IFDIR => Kind::Folder,
            SFlag::S_IFLNK => Kind::Link,
            _ => Kind::Special,
        }
    }
}

/// The error for a link met where none is followed: the kernel's ELOOP says
/// "too many levels of symbolic links", which hides the reason.
fn link_refused(path: &Path) -> io::Error {
    io::Error::other(format!("{} is a symbolic link; not followed", path.display()))
}

/// Turns nix's errno into an `io::Error`, explaining a refused link.
fn explain(errno: Errno, path: &Path) -> io::Error {
    match errno {
        Errno::ELOOP => link_refused(path),
        other => io::Error::from(other),
    }
}

/// Rejects names that would leave the folder (`..`, `/`, `a/b`) or name it
/// (`.`, empty): every name given to a [`Folder`] is one plain component.
fn plain(name: &OsStr) -> io::Result<&OsStr> {
    let mut components = Path::new(name).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(n)), None) if n == name => Ok(name),
        _ => Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{name:?} is not a plain file name"))),
    }
}

impl Folder {
    /// Opens the folder at `path` the ordinary way: a link there is followed,
    /// since the user named it.
    pub fn open(path: &Path) -> io::Result<Folder> {
        let path = if path.as_os_str().is_empty() { Path::new(".") } else { path };
        let fd = nix::fcntl::open(path, OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty())?;
        Ok(Folder { fd, path: path.to_path_buf() })
    }

    /// The path this folder was reached by (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of `name` in this folder, for messages: just the name in
    /// the current folder.
    fn child(&self, name: impl AsRef<Path>) -> PathBuf {
        if self.path == Path::new(".") { name.as_ref().to_path_buf() } else { self.path.join(name) }
    }

    /// The folder `name` inside this one; a link there is refused.
    pub fn open_folder(&self, name: &OsStr) -> io::Result<Folder> {
        let path = self.child(name);
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        match openat(&self.fd, plain(name)?, flags, Mode::empty()) {
            Ok(fd) => Ok(Folder { fd, path }),
            // With O_DIRECTORY, Linux reports a link as "not a directory".
            Err(Errno::ENOTDIR) if self.kind(name)? == Some(Kind::Link) => Err(link_refused(&path)),
            Err(e) => Err(explain(e, &path)),
        }
    }

    /// The folder `name` inside this one, made first when missing; a link
    /// there is refused, and so is a folder another user made there first
    /// when this one is shared (sticky and writable by others, like `/tmp`):
    /// they could swap what is written inside it.
    pub fn make_folder(&self, name: &OsStr) -> io::Result<Folder> {
        match mkdirat(&self.fd, plain(name)?, Mode::from_bits_truncate(0o777)) {
            Ok(()) => self.open_folder(name),
            Err(Errno::EEXIST) => {
                let folder = self.open_folder(name)?;
                if left_by_another_user(&self.own_stat()?, folder.own_stat()?.st_uid) {
                    return Err(io::Error::other(format!(
                        "{} belongs to another user in a shared folder; not written into",
                        folder.path.display()
                    )));
                }
                Ok(folder)
            }
            Err(e) => Err(explain(e, &self.child(name))),
        }
    }

    /// The folder at `relative` (plain names only) beneath this one, each
    /// component opened without following a link; with `create`, missing
    /// ones are made.
    pub fn descend(&self, relative: &Path, create: bool) -> io::Result<Folder> {
        let mut folder: Option<Folder> = None;
        for component in relative.components() {
            let name = match component {
                Component::Normal(name) => name,
                Component::CurDir => continue,
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("{} leaves {}", relative.display(), self.path.display()),
                    ));
                }
            };
            let parent = folder.as_ref().unwrap_or(self);
            folder = Some(if create { parent.make_folder(name)? } else { parent.open_folder(name)? });
        }
        match folder {
            Some(folder) => Ok(folder),
            None => self.try_clone(),
        }
    }

    /// The folder's own status (owner, mode), from its handle.
    pub fn own_stat(&self) -> io::Result<FileStat> {
        nix::sys::stat::fstat(&self.fd).map_err(io::Error::from)
    }

    fn try_clone(&self) -> io::Result<Folder> {
        Ok(Folder { fd: self.fd.try_clone()?, path: self.path.clone() })
    }

    /// What `name` is, not following a link; `None` when it does not exist.
    pub fn stat(&self, name: &OsStr) -> io::Result<Option<(Kind, FileStat)>> {
        match fstatat(&self.fd, plain(name)?, AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(stat) => Ok(Some((Kind::of(&stat), stat))),
            Err(Errno::ENOENT) => Ok(None),
            Err(e) => Err(explain(e, &self.child(name))),
        }
    }

    /// What `name` is (see [`Folder::stat`]).
    pub fn kind(&self, name: &OsStr) -> io::Result<Option<Kind>> {
        Ok(self.stat(name)?.map(|(kind, _)| kind))
    }

    /// Creates `name` for writing; it must not exist (`O_EXCL`), so neither
    /// a file nor a link someone put there is ever written through. `mode`
    /// is reduced by the umask, as for any new file.
    pub fn create_new(&self, name: &OsStr, mode: mode_t) -> io::Result<File> {
        let flags = OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = openat(&self.fd, plain(name)?, flags, Mode::from_bits_truncate(mode))
            .map_err(|e| explain(e, &self.child(name)))?;
        Ok(File::from(fd))
    }

    /// Opens the existing regular file `name` for writing (not truncated);
    /// a link, folder, pipe or device is refused.
    pub fn open_write(&self, name: &OsStr) -> io::Result<File> {
        self.open_regular(name, OFlag::O_WRONLY)
    }

    /// Opens the regular file `name` for reading; a link, folder, pipe or
    /// device is refused.
    pub fn open_read(&self, name: &OsStr) -> io::Result<File> {
        self.open_regular(name, OFlag::O_RDONLY)
    }

    /// Reads the regular file `name`, up to `limit` bytes; a link is refused.
    pub fn read(&self, name: &OsStr, limit: u64) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.open_regular(name, OFlag::O_RDONLY)?.take(limit).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn open_regular(&self, name: &OsStr, access: OFlag) -> io::Result<File> {
        let path = self.child(name);
        // O_NONBLOCK: opening a pipe would otherwise wait for its other end
        // before the check below could refuse it.
        let flags = access | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
        let fd = openat(&self.fd, plain(name)?, flags, Mode::empty()).map_err(|e| explain(e, &path))?;
        regular_and_blocking(fd, &path)
    }

    /// Renames `from` to `to`, both inside this folder. A link at `to` is
    /// replaced, not written through.
    pub fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        renameat(&self.fd, plain(from)?, &self.fd, plain(to)?).map_err(io::Error::from)
    }

    /// The names in this folder (without `.` and `..`), read from its handle.
    pub fn names(&self) -> io::Result<Vec<OsString>> {
        use std::os::unix::ffi::OsStrExt;
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let mut dir = nix::dir::Dir::openat(&self.fd, ".", flags, Mode::empty()).map_err(io::Error::from)?;
        let mut names = Vec::new();
        for entry in dir.iter() {
            let name = entry.map_err(io::Error::from)?.file_name().to_bytes().to_vec();
            if name != b"." && name != b".." {
                names.push(OsStr::from_bytes(&name).to_os_string());
            }
        }
        Ok(names)
    }

    /// Removes the empty folder `name`; a missing one is no error.
    pub fn remove_folder(&self, name: &OsStr) -> io::Result<()> {
        match unlinkat(&self.fd, plain(name)?, UnlinkatFlags::RemoveDir) {
            Ok(()) | Err(Errno::ENOENT) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Sets the modification time of the regular file `name` (a download
    /// getting the server's time); the access time is left alone. A link
    /// there is refused, not followed, and so is anything but a file.
    pub fn set_modified(&self, name: &OsStr, time: SystemTime) -> io::Result<()> {
        let file = self.open_regular(name, OFlag::O_RDONLY)?;
        file.set_modified(time).map_err(|e| cannot_set_time(e, &self.child(name)))
    }

    /// Removes the file (or link) `name`; a missing one is no error.
    pub fn remove_file(&self, name: &OsStr) -> io::Result<()> {
        match unlinkat(&self.fd, plain(name)?, UnlinkatFlags::NoRemoveDir) {
            Ok(()) | Err(Errno::ENOENT) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The error of a refused time change, naming the file.
fn cannot_set_time(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("cannot set the modification time of {}: {error}", path.display()))
}

/// Checks that `fd` is a regular file, then makes it blocking again.
fn regular_and_blocking(fd: OwnedFd, path: &Path) -> io::Result<File> {
    let file = File::from(fd);
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        return Err(io::Error::other(format!("{} is a folder", path.display())));
    }
    if !metadata.is_file() {
        return Err(io::Error::other(format!("{} is not a regular file (a device, pipe or socket)", path.display())));
    }
    // O_NONBLOCK means nothing for regular files, but it stays cleared so
    // nothing downstream ever sees it.
    let flags = OFlag::from_bits_truncate(nix::fcntl::fcntl(&file, FcntlArg::F_GETFL)?);
    nix::fcntl::fcntl(&file, FcntlArg::F_SETFL(flags - OFlag::O_NONBLOCK))?;
    Ok(file)
}

/// Opens the file at `path` for reading (an upload's source): a symbolic
/// link at its name is refused, and so is anything but a regular file, so a
/// file swapped for a link or a pipe after planning is not sent.
pub fn open_regular_no_follow(path: &Path) -> io::Result<File> {
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let fd = nix::fcntl::open(path, flags, Mode::empty()).map_err(|e| explain(e, path))?;
    regular_and_blocking(fd, path)
}

/// Whether the file (or folder) with this owner is this process's user's.
pub fn is_mine(owner: u32) -> bool {
    owner == nix::unistd::geteuid().as_raw()
}

/// Whether a file owned by `owner` was left by another user in a shared
/// folder (`folder`: writable by others and sticky, like `/tmp`), as
/// the kernel's `fs.protected_fifos` and `fs.protected_regular` judge it: not
/// ours, and not the folder owner's. Those protections refuse such a file
/// only to an open that may create (`O_CREAT`); rftp opens existing files
/// without it, so it asks itself.
pub fn left_by_another_user(folder: &FileStat, owner: u32) -> bool {
    let mode = folder.st_mode;
    let shared = mode & 0o1000 != 0 && mode & 0o022 != 0;
    shared && !is_mine(owner) && owner != folder.st_uid
}

/// Whether `path` is a symbolic link another user left in a shared folder
/// ([`left_by_another_user`]): never followed to decide where a download
/// goes, whether or not the kernel's `fs.protected_symlinks` would refuse
/// to follow it.
pub fn is_planted_link(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(metadata) = std::fs::symlink_metadata(path) else {
        return false;
    };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    metadata.file_type().is_symlink()
        && nix::sys::stat::stat(parent).is_ok_and(|folder| left_by_another_user(&folder, metadata.uid()))
}

/// Sets a file's permission bits (`chmod` on the open file).
///
/// Takes both kinds of mode: a status's `st_mode` is 32 bits on Linux but
/// 16 on macOS and the BSDs, while std's `MetadataExt::mode` is always 32.
pub fn set_permissions(file: &File, mode: impl Into<u32>) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode.into()))
}

/// A file beneath a root folder: the root was opened once, where the user
/// named it; `relative` (plain names) is walked from it without following
/// links each time the file is used.
#[derive(Debug, Clone)]
pub struct Beneath {
    root: Arc<Folder>,
    relative: PathBuf,
}

impl Beneath {
    /// `relative` beneath `root`.
    pub fn new(root: Arc<Folder>, relative: impl Into<PathBuf>) -> Beneath {
        Beneath { root, relative: relative.into() }
    }

    /// The path shown in messages (the root's path joined with the rest;
    /// just the rest when the root is the current folder).
    pub fn display_path(&self) -> PathBuf {
        self.root.child(&self.relative)
    }

    /// The folder holding the file (opened beneath the root, links refused)
    /// and the file's name in it.
    pub fn open_parent(&self) -> io::Result<(Folder, OsString)> {
        let name = self.relative.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{} names no file", self.relative.display()))
        })?;
        let parent = self.relative.parent().unwrap_or(Path::new(""));
        Ok((self.root.descend(parent, false)?, name.to_os_string()))
    }

    /// Sets the file's modification time ([`Folder::set_modified`]): no
    /// component on the way, nor the file itself, may be a link.
    pub fn set_modified(&self, time: SystemTime) -> io::Result<()> {
        let (folder, name) = self.open_parent()?;
        folder.set_modified(&name, time)
    }
}

/// Two are equal when they name the same path (the handle is not compared).
impl PartialEq for Beneath {
    fn eq(&self, other: &Beneath) -> bool {
        self.display_path() == other.display_path()
    }
}

impl Eq for Beneath {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn descend_makes_folders_and_refuses_a_link_component() {
        let root_dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = Folder::open(root_dir.path()).unwrap();
        root.descend(Path::new("a/b"), true).unwrap();
        assert!(root_dir.path().join("a/b").is_dir());

        // A folder swapped for a link (as a co-user might, mid-batch).
        std::fs::remove_dir(root_dir.path().join("a/b")).unwrap();
        symlink(outside.path(), root_dir.path().join("a/b")).unwrap();
        for create in [false, true] {
            let error = root.descend(Path::new("a/b"), create).unwrap_err();
            assert!(error.to_string().contains("symbolic link"), "{error}");
        }
        let error = Beneath::new(Arc::new(root), "a/b/file").open_parent().unwrap_err();
        assert!(error.to_string().contains("a/b is a symbolic link"), "{error}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }

    #[test]
    fn files_are_never_opened_through_links() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        symlink(&victim, dir.path().join("link")).unwrap();
        let folder = Folder::open(dir.path()).unwrap();
        let link = OsStr::new("link");
        assert_eq!(folder.kind(link).unwrap(), Some(Kind::Link));
        assert!(folder.create_new(link, 0o666).is_err());
        assert!(folder.open_write(link).is_err());
        assert!(folder.read(link, 100).is_err());
        assert!(open_regular_no_follow(&dir.path().join("link")).is_err());
        assert!(open_regular_no_follow(dir.path()).is_err());
        // Renaming onto the link replaces the link, not the file it names.
        std::fs::write(dir.path().join("new"), b"new").unwrap();
        folder.rename(OsStr::new("new"), link).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(std::fs::read(dir.path().join("link")).unwrap(), b"new");
        assert_eq!(folder.kind(link).unwrap(), Some(Kind::File));
    }

    #[test]
    fn names_must_be_plain() {
        let dir = tempfile::tempdir().unwrap();
        let folder = Folder::open(dir.path()).unwrap();
        for name in ["..", ".", "", "a/b", "/etc"] {
            assert!(folder.create_new(OsStr::new(name), 0o666).is_err(), "{name}");
        }
        assert!(folder.descend(Path::new("../x"), true).is_err());
        assert!(folder.descend(Path::new("/tmp"), false).is_err());
    }

    #[test]
    fn modification_times_are_set_without_following_links() {
        let root_dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, b"x").unwrap();
        let victim_time = std::fs::metadata(&victim).unwrap().modified().unwrap();
        std::fs::create_dir(root_dir.path().join("sub")).unwrap();
        std::fs::write(root_dir.path().join("sub/file"), b"data").unwrap();
        symlink(&victim, root_dir.path().join("sub/link")).unwrap();
        symlink(outside.path(), root_dir.path().join("out")).unwrap();
        let root = Arc::new(Folder::open(root_dir.path()).unwrap());
        let when = SystemTime::UNIX_EPOCH + std::time::Duration::new(1_700_000_000, 500_000_000);

        Beneath::new(root.clone(), "sub/file").set_modified(when).unwrap();
        assert_eq!(std::fs::metadata(root_dir.path().join("sub/file")).unwrap().modified().unwrap(), when);
        for through_a_link in ["sub/link", "out/victim"] {
            let error = Beneath::new(root.clone(), through_a_link).set_modified(when).unwrap_err();
            assert!(error.to_string().contains("symbolic link"), "{through_a_link}: {error}");
        }
        assert_eq!(
            std::fs::metadata(&victim).unwrap().modified().unwrap(),
            victim_time,
            "the link's target is untouched"
        );
        assert!(Beneath::new(root.clone(), "sub/missing").set_modified(when).is_err());
    }

    #[test]
    fn a_pipe_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("pipe");
        nix::unistd::mkfifo(&pipe, Mode::from_bits_truncate(0o600)).unwrap();
        assert!(open_regular_no_follow(&pipe).is_err());
        let folder = Folder::open(dir.path()).unwrap();
        assert!(folder.read(OsStr::new("pipe"), 10).is_err());
        assert_eq!(folder.kind(OsStr::new("pipe")).unwrap(), Some(Kind::Special));
        assert!(folder.set_modified(OsStr::new("pipe"), SystemTime::UNIX_EPOCH).is_err());
    }
}
