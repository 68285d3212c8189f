//! What `rftp ls URL` prints: the folder's names relative to it, sorted, the
//! same whatever the server's NLST looks like; or with `--json`, one object
//! per entry with its type, size and time (MLSD, else parsed LIST).

use std::cell::Cell;
use std::ops::ControlFlow;

use crate::json::EntryRecord;
use crate::protocol::ListedLine;
use crate::session::{Error, Session};

/// Lists the names in `path` (the login folder when `None`) on standard
/// output, relative to it and in byte order ([`relative_names`]); `what`
/// names the listing in messages.
pub fn names(session: &mut Session, what: &str, path: Option<&str>) -> Result<(), Error> {
    // Collected (within the client's bounds on a listing) to be sorted;
    // tried again as a whole, since nothing was printed yet.
    let listed = session.retrying(what, false, |session, _| Ok(session.transfer_client()?.nlst(path)?), |_| Some(0))?;
    for name in relative_names(path.unwrap_or(""), listed) {
        if crate::output::listing_line(&name).is_break() {
            break;
        }
    }
    Ok(())
}

/// The names of an NLST answer for `folder`, as `ls` shows a folder: servers
/// answer `folder/name` (vsftpd, ProFTPD, for a folder named) or `name`
/// (pyftpdlib, libunftp), and some add `.` and `..`. The folder's prefix is
/// taken off only when it is exactly the folder asked for (any other path
/// stays as the server sent it); `.` and `..` are left out; the rest sorted
/// by bytes, as `LC_ALL=C ls` sorts.
pub fn relative_names(folder: &str, listed: Vec<String>) -> Vec<String> {
    let folder = match folder.trim_end_matches('/') {
        "" if folder.starts_with('/') => "/",
        trimmed => trimmed,
    };
    let mut names: Vec<String> = listed
        .into_iter()
        .map(|line| line.strip_suffix('\r').map(str::to_string).unwrap_or(line))
        .map(|line| in_folder(folder, &line).map(str::to_string).unwrap_or(line))
        .filter(|name| !matches!(name.as_str(), "" | "." | ".."))
        .collect();
    names.sort_unstable();
    names
}

/// The name `line` gives when it is `folder/name` for exactly `folder`.
fn in_folder<'a>(folder: &str, line: &'a str) -> Option<&'a str> {
    if folder.is_empty() {
        return None;
    }
    let rest = line.strip_prefix(folder)?;
    let name = if folder == "/" { rest } else { rest.strip_prefix('/')? };
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

/// `rftp ls --json`: every entry of `path` as a JSON line, as the listing
/// arrives (MLSD when the server has it, else LIST lines parsed); lines in
/// no known format are said on standard error.
pub fn json(session: &mut Session, what: &str, path: Option<&str>) -> Result<(), Error> {
    let printed = Cell::new(0u64);
    let run = |session: &mut Session, _again: bool| {
        let each = |line: ListedLine| {
            match line {
                ListedLine::Entry(entry) if is_listed_folder(&entry.name) => {}
                ListedLine::Entry(entry) => {
                    printed.set(printed.get() + 1);
                    EntryRecord::of(&entry).print();
                }
                ListedLine::NotAnEntry => {}
                ListedLine::Unparsed(text) => errln!("rftp: {what}: a listing line in no known format: {text}"),
            }
            if crate::output::is_closed() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        };
        session.transfer_client()?.list_dir_each(path, each)?;
        Ok(())
    };
    session.retrying(what, false, run, |_| Some(printed.get()))
}

/// Whether an entry is the folder itself or its parent: MLSD's `cdir` and
/// `pdir` (named `.`, `..` or by their path, which no entry's name contains).
fn is_listed_folder(name: &str) -> bool {
    matches!(name, "." | "..") || name.contains('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(folder: &str, listed: &[&str]) -> Vec<String> {
        relative_names(folder, listed.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn the_folder_prefix_goes_only_when_it_is_the_folder_asked_for() {
        assert_eq!(names("pub", &["pub/b", "pub/a", ".", ".."]), ["a", "b"]);
        assert_eq!(names("pub/", &["pub/b", "a"]), ["a", "b"]);
        assert_eq!(names("/pub", &["/pub/x", "pub/y"]), ["pub/y", "x"]);
        assert_eq!(names("/", &["/etc", "/usr"]), ["etc", "usr"]);
        assert_eq!(names("", &["b\r", "a", "./c"]), ["./c", "a", "b"]);
        assert_eq!(names("pub", &["pub/deeper/x", "pubs/x", "pub/"]), ["pub/", "pub/deeper/x", "pubs/x"]);
    }

    #[test]
    fn names_sort_by_bytes() {
        assert_eq!(names("", &["b", "B", "a", "_", "é"]), ["B", "_", "a", "b", "é"]);
    }
}
