//! What `rftp ls URL` prints: the folder's names relative to it, sorted, the
//! same whatever the server's NLST looks like; or with `--json`, one object
//! per entry with its type, size and time (MLSD, else parsed LIST).

use std::cell::Cell;
use std::ops::ControlFlow;

use crate::json::EntryRecord;
use crate::protocol::{Command, ListedLine, wire};
use crate::session::{Error, Session};

/// The most names `rftp ls` holds to sort them, and their bytes: past
/// either, the rest of the listing is printed as the server sends it, so
/// memory stays bounded and `rftp ls URL | head` still stops a listing
/// without end.
pub const MAX_SORTED_NAMES: usize = 200_000;
/// See [`MAX_SORTED_NAMES`].
pub const MAX_SORTED_BYTES: usize = 16 << 20;

/// Lists the names in `path` (the login folder when `None`) on standard
/// output, relative to it and in byte order ([`relative_names`]); `what`
/// names the listing in messages.
pub fn names(session: &mut Session, what: &str, path: Option<&str>) -> Result<(), Error> {
    let command = Command::with_optional_arg("NLST", path)?;
    let folder = path.unwrap_or("");
    let mut held = Held::default();
    session.list_retrying(what, &command, |line| held.take(folder, line))?;
    held.print_sorted(what);
    Ok(())
}

/// The names of a listing so far: held to be sorted, or, once there were
/// too many, printed as they come.
#[derive(Default)]
struct Held {
    names: Vec<String>,
    bytes: usize,
    streaming: bool,
    /// How many names were sorted before the rest streamed.
    sorted: usize,
}

impl Held {
    /// Takes one line of the listing; `Break` once standard output takes no more.
    fn take(&mut self, folder: &str, line: &str) -> ControlFlow<()> {
        let Some(name) = relative_name(folder, line) else { return ControlFlow::Continue(()) };
        if self.streaming {
            return crate::output::listing_line(name);
        }
        self.bytes += name.len();
        self.names.push(name.to_string());
        if self.names.len() < MAX_SORTED_NAMES && self.bytes < MAX_SORTED_BYTES {
            return ControlFlow::Continue(());
        }
        // The names held so far still come out sorted, and the reader is
        // told at the end that the rest were not ([`Held::print_sorted`]).
        self.streaming = true;
        self.sorted = self.names.len();
        sort_by_bytes(&mut self.names);
        for name in std::mem::take(&mut self.names) {
            crate::output::listing_line(&name)?;
        }
        ControlFlow::Continue(())
    }

    /// Prints what is held, sorted; after a listing too long to hold, says
    /// that only the first names were sorted: silently unsorted output would
    /// break a script that relies on `ls` order (`comm`, `join`). A reader
    /// that went away (`| head`) wanted no more, and is told nothing.
    fn print_sorted(mut self, what: &str) {
        if self.streaming && !crate::output::is_closed() {
            errln!(
                "rftp: warning: {what}: more than {MAX_SORTED_NAMES} names or {} MiB of them: \
                 the first {} were sorted, the rest printed unsorted, as the server sent them",
                MAX_SORTED_BYTES >> 20,
                self.sorted
            );
        }
        sort_by_bytes(&mut self.names);
        for name in &self.names {
            if crate::output::listing_line(name).is_break() {
                break;
            }
        }
    }
}

/// Sorts names by the server's bytes, as `LC_ALL=C ls` does: a byte that
/// is not UTF-8 (held as a private-use character, [`wire`]) sorts as
/// itself (`\xe9` before the `\xf0` that starts an emoji), not as the
/// `\xf4` that starts its stand-in.
fn sort_by_bytes(names: &mut [String]) {
    names.sort_unstable_by(|a, b| wire::encode(a).cmp(&wire::encode(b)));
}

/// A line of an NLST answer for `folder`, as `ls` shows it (`None` to
/// leave it out): some servers answer `folder/name` (vsftpd, for a folder
/// named), others `name` (libunftp), and some add `.` and `..`. The folder's prefix is
/// taken off only when it is exactly the folder asked for (any other path
/// stays as the server sent it); `.` and `..` are left out. [`names`]
/// sorts the rest by bytes, as `LC_ALL=C ls` does.
fn relative_name<'a>(folder: &str, line: &'a str) -> Option<&'a str> {
    let folder = match folder.trim_end_matches('/') {
        "" if folder.starts_with('/') => "/",
        trimmed => trimmed,
    };
    let line = line.strip_suffix('\r').unwrap_or(line);
    let name = in_folder(folder, line).unwrap_or(line);
    (!matches!(name, "" | "." | "..")).then_some(name)
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
        let mut names: Vec<String> =
            listed.iter().filter_map(|line| relative_name(folder, line)).map(str::to_string).collect();
        sort_by_bytes(&mut names);
        names
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
        // A Latin-1 byte, 0xe9: after ö (0xc3 0xb6) and before an emoji
        // (0xf0 …), as the bytes sort; its stand-in's 0xf4 put it last.
        let latin1 = wire::decode(b"caf\xe9").into_owned();
        let listed = ["caf\u{1f600}", latin1.as_str(), "caf\u{f6}"];
        assert_eq!(names("", &listed), ["caf\u{f6}", latin1.as_str(), "caf\u{1f600}"]);
    }
}
