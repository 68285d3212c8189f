//! `lls`: local files listed by rftp itself, where tnftp runs `ls`: the
//! same output on every system, names sorted by their bytes (as `LC_ALL=C
//! ls` sorts them), one per line, hidden ones only with `-a`; with `-l`,
//! mode, size, modification time (UTC, as `mlsd` shows the server's) and
//! name, with a link's target. On a terminal names are coloured as `ls` is
//! coloured, and control characters in them shown as `?`; into a pipe
//! they go as they are, as listings do.

use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::colour::{Palette, local_kind};
use super::commands::Call;
use super::{Flow, State};
use crate::names::{local_path, remote_name};
use crate::protocol::FileTime;
use crate::session::Error;

/// How `lls` shows each name.
struct Style {
    all: bool,
    long: bool,
    palette: Option<&'static Palette>,
}

/// One name to show, with what `-l` needs.
struct Shown {
    name: String,
    path: PathBuf,
    metadata: Metadata,
}

/// `lls [-a|-l] [PATH...]`: the files named first, then each folder's
/// contents (under a `PATH:` heading when several paths are named). A path
/// that cannot be read fails the command, after the others are listed.
pub(super) fn lls(state: &mut State, call: &Call) -> Result<Flow, Error> {
    // `-la` and `-al` as ls takes them, besides `-a -l`.
    let joined = |letter: char| call.args.iter().any(|a| is_joined_options(a) && a.contains(letter));
    let style = Style {
        all: call.has("-a") || joined('a'),
        long: call.has("-l") || joined('l'),
        palette: super::colour::for_stdout(state.session.interactive),
    };
    let mut named: Vec<&str> = call.args.iter().map(String::as_str).filter(|a| !is_joined_options(a)).collect();
    if named.is_empty() {
        named.push(".");
    }
    let mut problems = Vec::new();
    let mut files = Vec::new();
    let mut folders = Vec::new();
    for name in &named {
        let path = local_path(&super::tilde::expand(name));
        // A link named on the line is followed to its folder, as by ls.
        match (fs::metadata(&path), fs::symlink_metadata(&path)) {
            (Ok(target), _) if target.is_dir() => folders.push((*name, path)),
            (_, Ok(metadata)) => files.push(Shown { name: name.to_string(), path, metadata }),
            (_, Err(e)) => problems.push(format!("lls: cannot access {name}: {e}")),
        }
    }
    let mut flow = show_all(&style, &mut files);
    for (index, (name, folder)) in folders.iter().enumerate() {
        if flow.is_break() {
            break;
        }
        if named.len() > 1 {
            let gap = if index > 0 || !files.is_empty() { "\n" } else { "" };
            flow = crate::output::listing_line(&format!("{gap}{name}:"));
        }
        match read_folder(folder, style.all) {
            Ok(mut entries) => flow = show_all(&style, &mut entries),
            Err(e) => problems.push(format!("lls: cannot read {name}: {e}")),
        }
    }
    if problems.is_empty() { Ok(Flow::Continue) } else { Err(Error::Local(problems.join("; "))) }
}

/// Whether `arg` is options run together (`-la`), not a path.
fn is_joined_options(arg: &str) -> bool {
    arg.strip_prefix('-').is_some_and(|letters| letters.len() > 1 && letters.chars().all(|c| c == 'a' || c == 'l'))
}

/// The entries of `folder`, hidden ones only when `all`.
fn read_folder(folder: &Path, all: bool) -> std::io::Result<Vec<Shown>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(folder)? {
        let entry = entry?;
        let name: OsString = entry.file_name();
        let name = remote_name(&name);
        if name.starts_with('.') && !all {
            continue;
        }
        // The entry itself: a link is shown as a link.
        let metadata = entry.metadata()?;
        entries.push(Shown { name, path: entry.path(), metadata });
    }
    Ok(entries)
}

/// Shows `entries` sorted by name; `Break` once standard output takes no more.
fn show_all(style: &Style, entries: &mut [Shown]) -> ControlFlow<()> {
    entries.sort_by(|a, b| crate::protocol::wire::encode(&a.name).cmp(&crate::protocol::wire::encode(&b.name)));
    for entry in entries.iter() {
        show(style, entry)?;
    }
    ControlFlow::Continue(())
}

fn show(style: &Style, entry: &Shown) -> ControlFlow<()> {
    let mut line = match style.palette {
        Some(palette) => palette.paint(local_kind(&entry.metadata), &entry.name),
        None => entry.name.clone(),
    };
    if style.long {
        let link = match entry.metadata.file_type().is_symlink() {
            true => fs::read_link(&entry.path).map(|t| format!(" -> {}", remote_name(t.as_os_str()))),
            false => Ok(String::new()),
        };
        let link = link.unwrap_or_default();
        // On a terminal the coloured name is already printable; the target must be made so too.
        let link = if style.palette.is_some() { crate::display::printable(&link).into_owned() } else { link };
        line = format!("{}{line}{link}", long_prefix(&entry.metadata));
    }
    match style.palette {
        Some(_) => crate::output::coloured_listing_line(&line),
        None => crate::output::listing_line(&line),
    }
}

/// `-rw-r--r--       1234  2026-01-02 03:04:05 UTC  `: what `-l` shows before a name.
fn long_prefix(metadata: &Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    let modified = metadata.modified().map(FileTime::from_system_time).map(|t| t.to_string());
    let modified = modified.unwrap_or_else(|_| "-".into());
    format!("{} {:>12}  {modified:<23}  ", mode_text(metadata.mode()), metadata.len())
}

/// A file's mode as `ls -l` writes it: type, then read, write and execute
/// for owner, group and others (`s`, `S`, `t`, `T` for the special bits).
fn mode_text(mode: u32) -> String {
    let kind = match mode & 0o170_000 {
        0o040_000 => 'd',
        0o120_000 => 'l',
        0o010_000 => 'p',
        0o140_000 => 's',
        0o020_000 => 'c',
        0o060_000 => 'b',
        _ => '-',
    };
    let mut text = String::from(kind);
    for (shift, special, mark) in [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')] {
        let bits = (mode >> shift) & 0o7;
        text.push(if bits & 4 != 0 { 'r' } else { '-' });
        text.push(if bits & 2 != 0 { 'w' } else { '-' });
        text.push(match (bits & 1 != 0, mode & special != 0) {
            (true, true) => mark,
            (false, true) => mark.to_ascii_uppercase(),
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_run_together_are_options() {
        assert!(is_joined_options("-la") && is_joined_options("-al") && is_joined_options("-ll"));
        for path in ["-l", "-lx", "la", "-"] {
            assert!(!is_joined_options(path), "{path}");
        }
    }

    #[test]
    fn modes_read_as_ls_writes_them() {
        assert_eq!(mode_text(0o100_644), "-rw-r--r--");
        assert_eq!(mode_text(0o040_755), "drwxr-xr-x");
        assert_eq!(mode_text(0o120_777), "lrwxrwxrwx");
        assert_eq!(mode_text(0o104_755), "-rwsr-xr-x");
        assert_eq!(mode_text(0o102_640), "-rw-r-S---");
        assert_eq!(mode_text(0o041_777), "drwxrwxrwt");
        assert_eq!(mode_text(0o041_776), "drwxrwxrwT");
        assert_eq!(mode_text(0o010_600), "prw-------");
    }
}
