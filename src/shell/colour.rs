//! Names in listings coloured as `ls --color` colours them: folders, links
//! and executables, and files by suffix, after `LS_COLORS` (the GNU
//! format: `di=01;34:ln=01;36:ex=01;32:fi=0:*.tar=01;31`).
//!
//! Colour is only for a person at a terminal: never when standard output is
//! not one, nor when `NO_COLOR` has a value (<https://no-color.org>), nor on
//! a `TERM=dumb` terminal. Only a value made of digits and `;` (the
//! parameters of an SGR escape) is taken from `LS_COLORS`: anything else
//! could carry escape sequences of its own, and is ignored. Names from the
//! server are made printable ([`crate::display::printable`]) before the
//! colour goes around them, so the only escapes written are rftp's own.

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::sync::OnceLock;

use crate::display::printable;
use crate::protocol::{EntryKind, MlsdEntry, listing};

/// What a listed name is, as far as its colour goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A folder (`di`).
    Dir,
    /// A symbolic link (`ln`).
    Link,
    /// A regular file someone may execute (`ex`).
    Exec,
    /// Any other regular file (`fi`, or its suffix's colour).
    File,
    /// Anything else (devices, sockets, unknown types): left plain.
    Other,
}

/// The colours to use, each the parameters of an SGR escape (`01;34`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Palette {
    dir: Option<String>,
    link: Option<String>,
    exec: Option<String>,
    file: Option<String>,
    /// `*SUFFIX=COLOUR` entries: the suffix (`.tar`) and its colour.
    suffixes: Vec<(String, String)>,
}

impl Default for Palette {
    /// GNU ls's colours when `LS_COLORS` is not set.
    fn default() -> Palette {
        Palette {
            dir: Some("01;34".into()),
            link: Some("01;36".into()),
            exec: Some("01;32".into()),
            file: None,
            suffixes: Vec::new(),
        }
    }
}

/// Whether `value` is safe to put between `ESC [` and `m`: SGR parameters
/// only, and not absurdly long.
fn is_sgr(value: &str) -> bool {
    !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_digit() || b == b';')
}

impl Palette {
    /// The palette `LS_COLORS` describes, over GNU ls's defaults: each
    /// entry it sets replaces that default; a malformed entry (no `=`, a
    /// value that is not SGR parameters) is skipped.
    pub fn parse(ls_colors: Option<&str>) -> Palette {
        let mut palette = Palette::default();
        for entry in ls_colors.unwrap_or_default().split(':') {
            let Some((key, value)) = entry.split_once('=') else { continue };
            if !is_sgr(value) {
                continue;
            }
            let value = Some(value.to_string());
            match key {
                "di" => palette.dir = value,
                "ln" => palette.link = value,
                "ex" => palette.exec = value,
                "fi" => palette.file = value,
                _ => {
                    if let Some(suffix) = key.strip_prefix('*').filter(|s| !s.is_empty()) {
                        palette.suffixes.retain(|(known, _)| known != suffix);
                        palette.suffixes.extend(value.map(|v| (suffix.to_string(), v)));
                    }
                }
            }
        }
        palette
    }

    /// The colour of a `kind` named `name`: a file's suffix colour (the
    /// longest suffix that matches, ignoring ASCII case, as GNU ls does)
    /// before `fi`; an executable keeps `ex` whatever its suffix.
    fn colour_of(&self, kind: Kind, name: &str) -> Option<&str> {
        match kind {
            Kind::Dir => self.dir.as_deref(),
            Kind::Link => self.link.as_deref(),
            Kind::Exec => self.exec.as_deref(),
            Kind::Other => None,
            Kind::File => {
                let matching = self.suffixes.iter().filter(|(suffix, _)| ends_with_ignoring_case(name, suffix));
                let longest = matching.max_by_key(|(suffix, _)| suffix.len());
                longest.map(|(_, colour)| colour.as_str()).or(self.file.as_deref())
            }
        }
    }

    /// `name` made printable, in the colour of its `kind`.
    pub fn paint(&self, kind: Kind, name: &str) -> String {
        let shown = printable(name);
        match self.colour_of(kind, name) {
            Some(colour) => format!("\x1b[{colour}m{shown}\x1b[0m"),
            None => shown.into_owned(),
        }
    }

    /// A LIST line, printable, with the name it lists coloured by the type
    /// the line gives (`d`, `l`, an `x` bit); a line rftp cannot parse is
    /// shown plain.
    pub fn list_line(&self, line: &str) -> String {
        let body = line.strip_suffix('\r').unwrap_or(line);
        let tail = &line[body.len()..];
        match name_span(body) {
            Some((start, end, kind)) => format!(
                "{}{}{}{}",
                printable(&body[..start]),
                self.paint(kind, &body[start..end]),
                printable(&body[end..]),
                printable(tail)
            ),
            None => printable(line).into_owned(),
        }
    }
}

fn ends_with_ignoring_case(name: &str, suffix: &str) -> bool {
    name.len() >= suffix.len()
        && name.is_char_boundary(name.len() - suffix.len())
        && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// Where the name of a LIST line is (start, end) and what it is.
fn name_span(line: &str) -> Option<(usize, usize, Kind)> {
    let entry = listing::parse_list_line(line)?;
    let name = entry.name.as_str();
    let kind = match entry.kind {
        listing::DirEntryKind::Dir => Kind::Dir,
        listing::DirEntryKind::Link => Kind::Link,
        listing::DirEntryKind::File if is_executable_mode(line) => Kind::Exec,
        listing::DirEntryKind::File => Kind::File,
        listing::DirEntryKind::Other => Kind::Other,
    };
    if kind == Kind::Link {
        // `name -> target`: the name is the first part, after a space.
        let start = line.find(&format!(" {name} -> "))? + 1;
        return Some((start, start + name.len(), kind));
    }
    line.ends_with(name).then(|| (line.len() - name.len(), line.len(), kind))
}

/// Whether a Unix-style LIST line's mode (`-rwxr-xr-x`) has an execute bit
/// (`x`, or `s`/`t` which include one).
fn is_executable_mode(line: &str) -> bool {
    let mode = line.as_bytes();
    [3, 6, 9].iter().any(|&i| matches!(mode.get(i), Some(b'x' | b's' | b't')))
}

/// What an MLSD entry is: its `type` fact, and for a file the execute bits
/// of its `unix.mode` fact when the server sends one.
pub fn mlsd_kind(entry: &MlsdEntry) -> Kind {
    match entry.kind() {
        Some(EntryKind::Dir | EntryKind::CurrentDir | EntryKind::ParentDir) => Kind::Dir,
        Some(EntryKind::Other(other)) if other.to_ascii_lowercase().contains("link") => Kind::Link,
        Some(EntryKind::File) => {
            let mode = entry.facts.get("unix.mode").and_then(|m| u32::from_str_radix(m, 8).ok());
            if mode.is_some_and(|m| m & 0o111 != 0) { Kind::Exec } else { Kind::File }
        }
        _ => Kind::Other,
    }
}

/// What a local file is, from its metadata (not following a link).
pub fn local_kind(metadata: &std::fs::Metadata) -> Kind {
    use std::os::unix::fs::PermissionsExt;
    let kind = metadata.file_type();
    if kind.is_symlink() {
        Kind::Link
    } else if kind.is_dir() {
        Kind::Dir
    } else if kind.is_file() && metadata.permissions().mode() & 0o111 != 0 {
        Kind::Exec
    } else if kind.is_file() {
        Kind::File
    } else {
        Kind::Other
    }
}

/// Whether to colour: on a terminal, with `NO_COLOR` unset or empty, and a
/// `TERM` other than `dumb`.
pub fn wanted(is_terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
    is_terminal && no_color.is_none_or(OsStr::is_empty) && term.is_none_or(|t| t != "dumb")
}

/// The palette for listings on standard output, or `None` when they are
/// not to be coloured ([`wanted`]), or the shell runs a script (not
/// `interactive`: its output may be kept even when it shows on a
/// terminal); read from the environment once.
pub fn for_stdout(interactive: bool) -> Option<&'static Palette> {
    if !interactive {
        return None;
    }
    static PALETTE: OnceLock<Option<Palette>> = OnceLock::new();
    PALETTE
        .get_or_init(|| {
            let no_color = std::env::var_os("NO_COLOR");
            let term = std::env::var_os("TERM");
            wanted(std::io::stdout().is_terminal(), no_color.as_deref(), term.as_deref())
                .then(|| Palette::parse(std::env::var("LS_COLORS").ok().as_deref()))
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_gnu_ls_ones() {
        let palette = Palette::parse(None);
        assert_eq!(palette.paint(Kind::Dir, "src"), "\x1b[01;34msrc\x1b[0m");
        assert_eq!(palette.paint(Kind::Link, "l"), "\x1b[01;36ml\x1b[0m");
        assert_eq!(palette.paint(Kind::Exec, "run"), "\x1b[01;32mrun\x1b[0m");
        assert_eq!(palette.paint(Kind::File, "a.txt"), "a.txt");
        assert_eq!(palette.paint(Kind::Other, "dev"), "dev");
    }

    #[test]
    fn ls_colors_keys_replace_the_defaults() {
        let palette = Palette::parse(Some("di=04;33:fi=35:*.tar=01;31:*.TAR.gz=32:ex=31:rs=0"));
        assert_eq!(palette.paint(Kind::Dir, "d"), "\x1b[04;33md\x1b[0m");
        assert_eq!(palette.paint(Kind::Link, "l"), "\x1b[01;36ml\x1b[0m", "unset keys keep their default");
        assert_eq!(palette.paint(Kind::File, "x.tar"), "\x1b[01;31mx.tar\x1b[0m");
        assert_eq!(palette.paint(Kind::File, "x.tar.GZ"), "\x1b[32mx.tar.GZ\x1b[0m", "longest suffix, any case");
        assert_eq!(palette.paint(Kind::File, "notes"), "\x1b[35mnotes\x1b[0m");
        assert_eq!(palette.paint(Kind::Exec, "x.tar"), "\x1b[31mx.tar\x1b[0m", "ex before the suffix");
    }

    /// A value with anything but SGR parameters in it could write its own
    /// escapes (retitle the window, move the cursor): it is ignored, and so
    /// are entries that are not `key=value` at all.
    #[test]
    fn malformed_values_are_ignored() {
        for hostile in [
            "di=\x1b]0;pwned\x07",
            "di=01;34m\x1b[2J",
            "di=",
            "di",
            "==:::=",
            "di=1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19;20;21;22;23;24;25;26;27;28;29",
            "*=31",
            "di=ü",
        ] {
            let palette = Palette::parse(Some(hostile));
            assert_eq!(palette, Palette::default(), "{hostile:?}");
        }
        let mixed = Palette::parse(Some("di=\x1b[31m:ln=35"));
        assert_eq!(mixed.paint(Kind::Dir, "d"), "\x1b[01;34md\x1b[0m");
        assert_eq!(mixed.paint(Kind::Link, "l"), "\x1b[35ml\x1b[0m");
    }

    #[test]
    fn names_are_made_printable_before_colouring() {
        let palette = Palette::parse(None);
        assert_eq!(palette.paint(Kind::Dir, "evil\x1b[2J"), "\x1b[01;34mevil?[2J\x1b[0m");
    }

    #[test]
    fn list_lines_colour_only_the_name() {
        let palette = Palette::parse(None);
        let dir = "drwxr-xr-x    2 ftp ftp   4096 Nov 26 03:47 my dir";
        assert_eq!(palette.list_line(dir), "drwxr-xr-x    2 ftp ftp   4096 Nov 26 03:47 \x1b[01;34mmy dir\x1b[0m");
        let link = "lrwxrwxrwx    1 ftp ftp      3 Nov 26 03:47 to -> to -> x";
        assert_eq!(
            palette.list_line(link),
            "lrwxrwxrwx    1 ftp ftp      3 Nov 26 03:47 \x1b[01;36mto\x1b[0m -> to -> x"
        );
        let exec = "-rwxr-x---    1 ftp ftp     10 Nov 26 03:47 run.sh\r";
        assert_eq!(palette.list_line(exec), "-rwxr-x---    1 ftp ftp     10 Nov 26 03:47 \x1b[01;32mrun.sh\x1b[0m?");
        let plain = "-rw-r--r--    1 ftp ftp     10 Nov 26 03:47 a.txt";
        assert_eq!(palette.list_line(plain), plain);
        let sticky = "-rw-r--r-t    1 ftp ftp     10 Nov 26 03:47 t";
        assert!(palette.list_line(sticky).contains("\x1b[01;32mt"));
        assert_eq!(palette.list_line("total 12\x1b[2J"), "total 12?[2J");
        let dos = "11-26-26  03:47AM       <DIR>          Folder";
        assert_eq!(palette.list_line(dos), "11-26-26  03:47AM       <DIR>          \x1b[01;34mFolder\x1b[0m");
    }

    #[test]
    fn mlsd_kinds() {
        let kind = |line: &str| mlsd_kind(&listing::parse_mlsd_line(line).unwrap());
        assert_eq!(kind("type=dir; d"), Kind::Dir);
        assert_eq!(kind("type=cdir; ."), Kind::Dir);
        assert_eq!(kind("type=OS.unix=symlink; l"), Kind::Link);
        assert_eq!(kind("type=file;unix.mode=0755; x"), Kind::Exec);
        assert_eq!(kind("type=file;UNIX.mode=0644; f"), Kind::File);
        assert_eq!(kind("type=file; f"), Kind::File);
        assert_eq!(kind("size=3; ?"), Kind::Other);
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        let some = |s: &'static str| Some(OsStr::new(s));
        assert!(wanted(true, None, some("xterm")));
        assert!(wanted(true, some(""), None), "an empty NO_COLOR does not count");
        assert!(!wanted(true, some("1"), some("xterm")));
        assert!(!wanted(false, None, some("xterm")));
        assert!(!wanted(true, None, some("dumb")));
    }
}
