//! Bookmarks: named servers and folders, kept in a plain file a person can
//! edit (`$XDG_CONFIG_HOME/rftp/bookmarks`, one `NAME URL` per line).
//!
//! The file never holds a password: a URL's password is left out when a
//! bookmark is added (the system keyring keeps it when asked, see
//! `session::keyring`), and one written in by hand is ignored with a
//! warning. Comments, blank lines and lines that cannot be read are kept
//! as they are when the file is written again, so a hand edit is never lost.

use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::protocol::{DEFAULT_PORT, TlsMode, wire};
use crate::session::LoginRequest;
use crate::url::{self, IMPLICIT_FTPS_PORT, Remote};

/// The longest bookmark name, in characters.
const MAX_NAME: usize = 64;

/// Where a bookmark points: a server, a login and a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host: a name, an IPv4 address or an IPv6 address (without brackets).
    pub host: String,
    /// The port, when not the scheme's own.
    pub port: Option<u16>,
    /// The user to log in as; `None` logs in as a session would by default.
    pub user: Option<String>,
    /// The folder to change to after logging in; empty for the login folder.
    pub folder: String,
    /// FTPS: explicit (`ftpes://`) or implicit (`ftps://`).
    pub tls: Option<TlsMode>,
}

/// One named bookmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bookmark {
    /// Its name, as [`check_name`] allows.
    pub name: String,
    /// Where it points.
    pub target: Target,
}

/// Why bookmarks could not be read, written or named.
#[derive(Debug, thiserror::Error)]
pub enum BookmarkError {
    /// No configuration folder is known (no `$HOME`).
    #[error("no configuration folder for the bookmarks file ($HOME and $XDG_CONFIG_HOME are unset)")]
    NoConfigFolder,
    /// The file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file (or its folder) could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A name that is not allowed.
    #[error("{name:?} cannot be a bookmark name: {reason}")]
    BadName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Checks a bookmark name: 1 to 64 letters, digits, `-`, `_` or `+`, not
/// starting with `-`. So a name never holds white space, a control
/// character, `#` or anything else that could break the file's lines, and
/// never a `.`, `:`, `/`, `@` or `[`, which is how `open WORD` tells a
/// bookmark from a host name or address ([`lookup_name`]).
pub fn check_name(name: &str) -> Result<(), BookmarkError> {
    let bad = |reason| Err(BookmarkError::BadName { name: name.to_string(), reason });
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.chars().count() > MAX_NAME {
        return bad("it is longer than 64 characters");
    }
    if name.starts_with('-') {
        return bad("it starts with -, as an option does");
    }
    if !name.chars().all(|c| c.is_alphanumeric() || "-_+".contains(c)) {
        return bad("names are letters, digits, -, _ and +");
    }
    Ok(())
}

/// Whether `word` could be a bookmark's name (and so is looked up as one).
pub fn is_name(word: &str) -> bool {
    check_name(word).is_ok()
}

/// Characters written percent-encoded in a bookmark's URL: what would end
/// the line's URL (white space), start a comment, or mean something else
/// in a URL (`%`, `;type=`, `?`, `@` and `:` in a user name).
const URL_ESCAPED: &AsciiSet = &CONTROLS.add(b' ').add(b'%').add(b'#').add(b'?').add(b';').add(b'"').add(b'\\');
const USER_ESCAPED: &AsciiSet = &URL_ESCAPED.add(b'@').add(b':').add(b'/').add(b'[').add(b']');

/// Percent-encodes text for a URL: the bytes it stands for ([`wire::encode`]),
/// so a name that is not UTF-8 comes back as the same bytes.
fn encode(text: &str, set: &'static AsciiSet) -> String {
    let bytes = wire::encode(text);
    match std::str::from_utf8(&bytes) {
        Ok(utf8) => utf8_percent_encode(utf8, set).to_string(),
        Err(_) => bytes
            .iter()
            .map(|&b| {
                if b.is_ascii() {
                    utf8_percent_encode(&char::from(b).to_string(), set).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect(),
    }
}

impl Target {
    /// The target of a parsed URL, and whether the URL held a password
    /// (which the target never keeps). Its path is taken as a folder.
    pub fn from_remote(remote: &Remote) -> (Target, bool) {
        let default_port = if remote.tls == Some(TlsMode::Implicit) { IMPLICIT_FTPS_PORT } else { DEFAULT_PORT };
        // `ftp://h//` is the root folder, not the login folder.
        let trimmed = remote.path.trim_end_matches('/');
        let folder = if trimmed.is_empty() && !remote.path.is_empty() { "/" } else { trimmed };
        let target = Target {
            host: remote.host.clone(),
            port: remote.port.filter(|&p| p != default_port),
            user: remote.user.clone(),
            folder: folder.to_string(),
            tls: remote.tls,
        };
        (target, remote.password.is_some())
    }

    /// The target's URL, without a password: `ftp://[USER@]HOST[:PORT]/FOLDER/`.
    /// An absolute folder starts with `//` (RFC 1738 §3.2.2: the path is
    /// relative to the login folder).
    pub fn url(&self) -> String {
        let scheme = match self.tls {
            None => "ftp",
            Some(TlsMode::Explicit) => "ftpes",
            Some(TlsMode::Implicit) => "ftps",
        };
        let user = self.user.as_deref().map(|u| format!("{}@", encode(u, USER_ESCAPED))).unwrap_or_default();
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        let folder = match self.folder.as_str() {
            "" => String::new(),
            "/" => "/".to_string(),
            folder => format!("{}/", encode(folder, URL_ESCAPED)),
        };
        format!("{scheme}://{user}{host}{port}/{folder}")
    }

    /// How the bookmark logs in: as its user, with the password from where
    /// `-u` takes it (`$RFTP_PASSWORD`, the netrc, the keyring, a prompt);
    /// without a user, as the session would by default.
    pub fn login(&self) -> Option<LoginRequest> {
        self.user.clone().map(LoginRequest::User)
    }

    /// The port to connect to.
    pub fn port(&self) -> u16 {
        let default = if self.tls == Some(TlsMode::Implicit) { IMPLICIT_FTPS_PORT } else { DEFAULT_PORT };
        self.port.unwrap_or(default)
    }
}

/// One line of the bookmarks file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    /// A bookmark.
    Entry(Bookmark),
    /// A comment, a blank line, or a line that could not be read: written
    /// back as it was.
    Kept(String),
}

/// A line that could not be used, for the warning that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// Its number, from 1.
    pub number: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// The bookmarks file, read whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bookmarks {
    lines: Vec<Line>,
}

/// Reads one `NAME URL` line; `Ok(None)` for a comment or a blank line.
/// A URL with a password gives the bookmark without it, and the warning.
fn parse_line(line: &str) -> Result<(Option<Bookmark>, Option<String>), String> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok((None, None));
    }
    let mut words = trimmed.split_whitespace();
    let (Some(name), Some(location), None) = (words.next(), words.next(), words.next()) else {
        return Err("expected NAME URL".into());
    };
    check_name(name).map_err(|e| e.to_string())?;
    if !url::is_url(location) {
        return Err(format!("{:?} is not an ftp://, ftpes:// or ftps:// URL", url::redact(location)));
    }
    let remote = url::parse(location).map_err(|e| e.to_string())?;
    let (target, had_password) = Target::from_remote(&remote);
    let warning = had_password.then(|| {
        format!(
            "bookmark {name} holds a password, which is ignored: passwords belong in ~/.netrc or the system keyring"
        )
    });
    Ok((Some(Bookmark { name: name.to_string(), target }), warning))
}

impl Bookmarks {
    /// Parses the file's text; the lines that cannot be used are kept and
    /// returned with the reason, so the rest still loads.
    pub fn parse(text: &str) -> (Bookmarks, Vec<BadLine>) {
        let mut bookmarks = Bookmarks::default();
        let mut bad = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let mut complain = |reason: String| bad.push(BadLine { number: index + 1, reason });
            match parse_line(line) {
                Ok((Some(bookmark), warning)) if bookmarks.get(&bookmark.name).is_none() => {
                    warning.map(&mut complain);
                    bookmarks.lines.push(Line::Entry(bookmark));
                }
                Ok((Some(bookmark), _)) => {
                    complain(format!("a second bookmark {}, not used (the first one is)", bookmark.name));
                    bookmarks.lines.push(Line::Kept(line.to_string()));
                }
                Ok((None, _)) => bookmarks.lines.push(Line::Kept(line.to_string())),
                Err(reason) => {
                    complain(reason);
                    bookmarks.lines.push(Line::Kept(line.to_string()));
                }
            }
        }
        (bookmarks, bad)
    }

    /// The file's text: each bookmark as `NAME URL`, the other lines as they were.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for line in &self.lines {
            match line {
                Line::Entry(bookmark) => text.push_str(&format!("{} {}", bookmark.name, bookmark.target.url())),
                Line::Kept(line) => text.push_str(line),
            }
            text.push('\n');
        }
        text
    }

    /// Every bookmark, in the file's order.
    pub fn iter(&self) -> impl Iterator<Item = &Bookmark> {
        self.lines.iter().filter_map(|line| match line {
            Line::Entry(bookmark) => Some(bookmark),
            Line::Kept(_) => None,
        })
    }

    /// The bookmark named `name`.
    pub fn get(&self, name: &str) -> Option<&Bookmark> {
        self.iter().find(|b| b.name == name)
    }

    /// Adds a bookmark, or replaces the one of the same name in its place;
    /// true when it replaced one.
    pub fn set(&mut self, bookmark: Bookmark) -> bool {
        let existing = self.lines.iter_mut().find_map(|line| match line {
            Line::Entry(old) if old.name == bookmark.name => Some(old),
            _ => None,
        });
        match existing {
            Some(old) => {
                *old = bookmark;
                true
            }
            None => {
                self.lines.push(Line::Entry(bookmark));
                false
            }
        }
    }

    /// Removes the bookmark named `name`; false when there is none.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.lines.len();
        self.lines.retain(|line| !matches!(line, Line::Entry(b) if b.name == name));
        self.lines.len() != before
    }

    /// Reads the file at `path` (none yet: no bookmarks). Each line that
    /// cannot be used gets a warning naming the file and the line.
    pub fn load_from(path: &Path) -> Result<Bookmarks, BookmarkError> {
        let text = match crate::config::read_own_file(path) {
            Ok(Some(text)) => text,
            Ok(None) => return Ok(Bookmarks::default()),
            Err(source) => return Err(BookmarkError::Read { path: path.to_path_buf(), source }),
        };
        let (bookmarks, bad) = Bookmarks::parse(&text);
        for line in bad {
            errln!("rftp: warning: {} line {}: {}", path.display(), line.number, line.reason);
        }
        Ok(bookmarks)
    }

    /// Reads the user's bookmarks file ([`path`]).
    pub fn load() -> Result<Bookmarks, BookmarkError> {
        Bookmarks::load_from(&path()?)
    }

    /// Writes the file at `path` whole and at once: a temporary file in the
    /// same folder, readable by the user only (0600), renamed over the old
    /// one, so a crash or a second rftp never leaves half a file. The
    /// folder is made (0700) when missing.
    pub fn save_to(&self, path: &Path) -> Result<(), BookmarkError> {
        crate::config::write_own_file(path, self.to_text().as_bytes())
            .map_err(|source| BookmarkError::Write { path: path.to_path_buf(), source })
    }

    /// Writes the user's bookmarks file ([`path`]).
    pub fn save(&self) -> Result<(), BookmarkError> {
        self.save_to(&path()?)
    }
}

/// The bookmarks file: `rftp/bookmarks` in the user's configuration folder
/// (`$XDG_CONFIG_HOME`, else `~/.config`, on Linux).
pub fn path() -> Result<PathBuf, BookmarkError> {
    dirs::config_dir().map(|dir| dir.join("rftp").join("bookmarks")).ok_or(BookmarkError::NoConfigFolder)
}

/// The bookmark `word` names, when it can be a name ([`is_name`]: so never
/// a word with a `.` or `:`, which is a host) and the file has it. A file
/// that cannot be read is reported and counts as none.
pub fn lookup_name(word: &str) -> Option<Bookmark> {
    if !is_name(word) {
        return None;
    }
    match Bookmarks::load() {
        Ok(bookmarks) => bookmarks.get(word).cloned(),
        Err(BookmarkError::NoConfigFolder) => None,
        Err(e) => {
            errln!("rftp: warning: {e}");
            None
        }
    }
}

/// The names of every bookmark, for completion; quiet about a bad file.
pub fn names() -> Vec<String> {
    let text = path().ok().and_then(|path| crate::config::read_own_file(&path).ok().flatten()).unwrap_or_default();
    Bookmarks::parse(&text).0.iter().map(|b| b.name.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn target(url: &str) -> Target {
        Target::from_remote(&url::parse(url).unwrap()).0
    }

    #[test]
    fn names_that_could_break_the_file_or_read_as_hosts_are_refused() {
        for good in ["work", "a", "my-site_2", "café", "x+y"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        let long = "x".repeat(65);
        for bad in
            ["", "a b", "tab\tx", "nl\nx", "esc\u{1b}", "#x", "-x", "a.b", "h:21", "a/b", "u@h", "[x", "q\"", &long]
        {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        let message = check_name("a b").unwrap_err().to_string();
        assert!(message.contains("\"a b\"") && message.contains("letters"), "{message}");
    }

    #[test]
    fn urls_are_written_without_passwords_and_read_back_the_same() {
        let (from_url, had_password) =
            Target::from_remote(&url::parse("ftpes://bob:s3cret@h.example:2121//pub/x/").unwrap());
        assert!(had_password);
        assert_eq!(from_url.url(), "ftpes://bob@h.example:2121//pub/x/");
        for url in [
            "ftp://h/",
            "ftp://h//",
            "ftp://h/rel/dir/",
            "ftps://h/",
            "ftps://h:2990/",
            "ftp://[::1]:2121//srv/",
            "ftp://b%40b%3Ax@h//a%20b/%23c%3Bd%25/",
            "ftp://h//caf%E9/",
        ] {
            let parsed = target(url);
            assert_eq!(parsed.url(), url, "{url}");
            assert_eq!(target(&parsed.url()), parsed, "{url}");
        }
        assert_eq!(target("ftp://h:21/a").url(), "ftp://h/a/", "the default port and a folder's / are implied");
        assert_eq!(target("ftps://h/").port(), 990);
        assert_eq!(target("ftp://h/").port(), 21);
    }

    #[test]
    fn a_bad_line_is_named_kept_and_the_rest_loads() {
        let text = "# my servers\n\nwork ftp://bob@h/\nnot a bookmark line\nbad.name ftp://h/\n\
                    home ftp://h2:2121//srv/\nwork ftp://other/\nsecret ftp://u:pw@h3/\nx http://h/\n";
        let (bookmarks, bad) = Bookmarks::parse(text);
        let names: Vec<&str> = bookmarks.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["work", "home", "secret"]);
        assert_eq!(bookmarks.get("work").unwrap().target.host, "h");
        assert_eq!(bookmarks.get("secret").unwrap().target.user.as_deref(), Some("u"));
        let numbers: Vec<usize> = bad.iter().map(|b| b.number).collect();
        assert_eq!(numbers, [4, 5, 7, 8, 9]);
        assert!(bad.iter().all(|b| !b.reason.contains("pw")), "{bad:?}");
        // Written back: the hand-made lines stay, the password does not.
        let written = bookmarks.to_text();
        assert!(written.starts_with("# my servers\n\nwork ftp://bob@h/\nnot a bookmark line\n"), "{written}");
        assert!(written.contains("secret ftp://u@h3/\n") && !written.contains("pw"), "{written}");
    }

    #[test]
    fn set_replaces_in_place_and_remove_removes() {
        let (mut bookmarks, _) = Bookmarks::parse("a ftp://h1/\n# c\nb ftp://h2/\n");
        assert!(bookmarks.set(Bookmark { name: "a".into(), target: target("ftp://new/") }));
        assert!(!bookmarks.set(Bookmark { name: "c".into(), target: target("ftp://h3/") }));
        assert_eq!(bookmarks.to_text(), "a ftp://new/\n# c\nb ftp://h2/\nc ftp://h3/\n");
        assert!(bookmarks.remove("b"));
        assert!(!bookmarks.remove("b"));
        assert_eq!(bookmarks.to_text(), "a ftp://new/\n# c\nc ftp://h3/\n");
    }

    #[test]
    fn saving_is_private_and_makes_the_folder() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/rftp/bookmarks");
        let (bookmarks, _) = Bookmarks::parse("a ftp://h/\n");
        bookmarks.save_to(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "a ftp://h/\n");
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(Bookmarks::load_from(&path).unwrap(), bookmarks);
        // Only the file is left behind, no temporary one.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        // A temporary file left by a crash of an rftp with our process id is no obstacle.
        let stale = path.parent().unwrap().join(format!(".bookmarks.{}.tmp", std::process::id()));
        fs::write(&stale, "half a fi").unwrap();
        let (changed, _) = Bookmarks::parse("b ftp://h2/\n");
        changed.save_to(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "b ftp://h2/\n");
        assert!(!stale.exists());
    }
}
