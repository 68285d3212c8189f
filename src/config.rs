//! User-level settings: the anonymous password, netrc, and where history lives.

use std::env;
use std::path::{Path, PathBuf};

use crate::password::Password;

/// The environment variable that overrides the anonymous password.
pub const ANONYMOUS_PASSWORD_VAR: &str = "RFTP_ANONYMOUS_PASSWORD";

/// The password sent for anonymous logins: `$RFTP_ANONYMOUS_PASSWORD` if set,
/// else `USER@hostname`, the user from `$USER`, `$LOGNAME` or the system.
pub fn anonymous_password() -> String {
    anonymous_password_from(non_empty_var, system_user_name, host_name)
}

/// The rule behind [`anonymous_password`], with its inputs passed in.
fn anonymous_password_from(
    var: impl Fn(&str) -> Option<String>,
    system_user: impl FnOnce() -> Option<String>,
    host: impl FnOnce() -> String,
) -> String {
    if let Some(password) = var(ANONYMOUS_PASSWORD_VAR) {
        return password;
    }
    let user = var("USER").or_else(|| var("LOGNAME")).or_else(system_user).unwrap_or_else(|| "anonymous".to_string());
    format!("{user}@{}", host())
}

fn system_user_name() -> Option<String> {
    whoami::username().ok().filter(|u| !u.is_empty())
}

fn host_name() -> String {
    whoami::hostname().ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "localhost".to_string())
}

fn non_empty_var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn password(pairs: &[(&str, &str)]) -> String {
        anonymous_password_from(env(pairs), || Some("sysuser".into()), || "box".into())
    }

    #[test]
    fn anonymous_password_is_user_at_host() {
        assert_eq!(password(&[("USER", "ann"), ("LOGNAME", "log")]), "ann@box");
        assert_eq!(password(&[("LOGNAME", "log")]), "log@box");
        assert_eq!(password(&[]), "sysuser@box");
        assert_eq!(anonymous_password_from(env(&[]), || None, || "box".into()), "anonymous@box");
    }

    #[test]
    fn the_environment_overrides_the_anonymous_password() {
        assert_eq!(password(&[("USER", "ann"), (ANONYMOUS_PASSWORD_VAR, "guest@example.org")]), "guest@example.org");
    }

    #[test]
    fn the_real_anonymous_password_has_a_user_and_a_host() {
        let password = anonymous_password();
        let (user, host) = password.split_once('@').expect("USER@hostname");
        assert!(!user.is_empty() && !host.is_empty(), "{password}");
    }
}

/// One `machine` (or `default`) entry of a netrc file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetrcEntry {
    /// The user name (`login`).
    pub login: Option<String>,
    /// The password.
    pub password: Option<Password>,
    /// The account (`account`), sent with ACCT when the server asks.
    pub account: Option<Password>,
}

/// A parsed netrc file: `machine` entries in order, and the `default` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Netrc {
    machines: Vec<(String, NetrcEntry)>,
    default: Option<NetrcEntry>,
}

/// Why a netrc file was not used.
#[derive(Debug, thiserror::Error)]
pub enum NetrcError {
    /// It holds passwords and others may read it (tnftp's rule).
    #[error("{0} holds passwords and can be read by others; ignoring it (chmod 600 it)")]
    TooOpen(PathBuf),
    /// It exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Netrc {
    /// Parses netrc text. Tokens are separated by white space and may be
    /// double-quoted; `macdef` bodies (up to the next empty line) are skipped.
    /// A `#` where a keyword is expected starts a comment that runs to the
    /// end of the line, as curl and Python's `netrc` read it; a value such as
    /// `password #x` keeps its `#`.
    pub fn parse(text: &str) -> Netrc {
        let mut netrc = Netrc::default();
        let mut tokens = NetrcTokens { rest: text };
        // Which entry the login/password/account tokens belong to.
        enum Target {
            None,
            Machine(usize),
            Default,
        }
        let mut target = Target::None;
        while let Some(token) = tokens.next() {
            match token.as_str() {
                comment if comment.starts_with('#') => tokens.skip_line(),
                "machine" => {
                    let name = tokens.next().unwrap_or_default();
                    netrc.machines.push((name, NetrcEntry::default()));
                    target = Target::Machine(netrc.machines.len() - 1);
                }
                "default" => {
                    netrc.default = Some(NetrcEntry::default());
                    target = Target::Default;
                }
                "macdef" => {
                    tokens.next();
                    tokens.skip_macro_body();
                    target = Target::None;
                }
                field @ ("login" | "password" | "account") => {
                    let value = tokens.next();
                    let entry = match target {
                        Target::Machine(i) => Some(&mut netrc.machines[i].1),
                        Target::Default => netrc.default.as_mut(),
                        Target::None => None,
                    };
                    if let Some(entry) = entry {
                        match field {
                            "login" => entry.login = value,
                            "password" => entry.password = value.map(Password::from),
                            _ => entry.account = value.map(Password::from),
                        }
                    }
                }
                _ => {}
            }
        }
        netrc
    }

    /// The entry for `host`: the first `machine` entry naming it (and `login`,
    /// when given), else the `default` entry (when its login fits).
    pub fn find(&self, host: &str, login: Option<&str>) -> Option<&NetrcEntry> {
        let fits = |entry: &NetrcEntry| login.is_none() || entry.login.is_none() || entry.login.as_deref() == login;
        self.machines
            .iter()
            .find(|(name, entry)| name.eq_ignore_ascii_case(host) && fits(entry))
            .map(|(_, entry)| entry)
            .or_else(|| self.default.as_ref().filter(|entry| fits(entry)))
    }

    fn has_password(&self) -> bool {
        self.machines.iter().map(|(_, e)| e).chain(self.default.as_ref()).any(|e| e.password.is_some())
    }

    /// Reads the user's netrc: `$NETRC`, else `~/.netrc`. `Ok(None)` when
    /// there is none; an error when it exists but must not or cannot be used.
    pub fn load() -> Result<Option<Netrc>, NetrcError> {
        let Some(path) = netrc_path() else {
            return Ok(None);
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(NetrcError::Unreadable { path, source }),
        };
        let netrc = Netrc::parse(&text);
        if netrc.has_password() && readable_by_others(&path) {
            return Err(NetrcError::TooOpen(path));
        }
        Ok(Some(netrc))
    }
}

/// The longest file of rftp's own ([`read_own_file`]): far more than any
/// person writes, far less than would hurt to read.
const OWN_FILE_LIMIT: u64 = 1 << 20;

/// Reads a file of rftp's own that says whom to trust or where to connect
/// (bookmarks, known certificates); `Ok(None)` when there is none.
///
/// Refused, with why, unless it is a regular file (a FIFO would hang the
/// read, `/dev/zero` never end it) of at most 1 MiB, owned by the user and
/// writable by nobody else, in a folder nobody else may write in (or only
/// with the sticky bit): a co-user who could write it could point a
/// bookmark at their own server to catch the password typed for it, or add
/// their certificate to the trusted ones, as SSH's StrictModes says.
pub fn read_own_file(path: &Path) -> std::io::Result<Option<String>> {
    use std::os::unix::fs::MetadataExt;
    let refuse = |why: String| Err(std::io::Error::other(why));
    let me = nix::unistd::Uid::effective().as_raw();
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if let Some(folder) = path.parent().and_then(|p| std::fs::metadata(p).ok()) {
        let others_write = folder.mode() & 0o022 != 0 && folder.mode() & 0o1000 == 0;
        if others_write || (folder.uid() != me && folder.uid() != 0) {
            return refuse(
                "its folder can be written by others than you (chmod go-w, or chown it), so it is not used".into(),
            );
        }
    }
    if !metadata.is_file() {
        return refuse("it is not a regular file, so it is not used".into());
    }
    if metadata.uid() != me || metadata.mode() & 0o022 != 0 {
        return refuse("it can be written by others than you (chmod 600 it), so it is not used".into());
    }
    if metadata.len() > OWN_FILE_LIMIT {
        return refuse(format!("it is larger than {} KiB, so it is not used", OWN_FILE_LIMIT / 1024));
    }
    std::fs::read_to_string(path).map(Some)
}

/// Writes `bytes` as the whole file at `path`, at once: a temporary file
/// in the same folder, readable by the user only (0600), renamed over the
/// old one, so no reader sees half a file and a crash or a second rftp
/// leaves a whole one. The folder is made (0700) when missing. For the
/// files [`read_own_file`] reads back.
pub fn write_own_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    let folder = path.parent().filter(|folder| !folder.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(folder)?;
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    // One left by an rftp that crashed with the same process id (the usual
    // in a container): no one else's, and in the way for ever.
    let _ = std::fs::remove_file(&temporary);
    let written = write_new_private(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Writes a new file (never an existing one, nor through a link) that only
/// the user can read.
fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// `$NETRC`, else `~/.netrc`.
pub fn netrc_path() -> Option<PathBuf> {
    match non_empty_var("NETRC") {
        Some(path) => Some(PathBuf::from(path)),
        None => dirs::home_dir().map(|home| home.join(".netrc")),
    }
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> bool {
    false
}

/// Splits netrc text into tokens.
struct NetrcTokens<'a> {
    rest: &'a str,
}

impl NetrcTokens<'_> {
    fn next(&mut self) -> Option<String> {
        self.rest = self.rest.trim_start();
        if self.rest.is_empty() {
            return None;
        }
        if let Some(quoted) = self.rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        self.rest = &quoted[i + 1..];
                        return Some(value);
                    }
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    c => value.push(c),
                }
            }
            self.rest = "";
            return Some(value);
        }
        let end = self.rest.find(char::is_whitespace).unwrap_or(self.rest.len());
        let token = self.rest[..end].to_string();
        self.rest = &self.rest[end..];
        Some(token)
    }

    /// Skips the rest of the current line (a comment).
    fn skip_line(&mut self) {
        self.rest = self.rest.find('\n').map_or("", |i| &self.rest[i + 1..]);
    }

    /// Skips a macro definition's body: everything up to an empty line.
    /// A file saved with CRLF line ends has `\r\n` for its empty line (curl
    /// and Python's `netrc` end the body there too); looking only for
    /// `\n\n` made the body swallow every entry after it.
    fn skip_macro_body(&mut self) {
        // The body starts on the line after `macdef NAME`.
        self.skip_line();
        while !self.rest.is_empty() {
            let line_end = self.rest.find('\n').unwrap_or(self.rest.len());
            let empty = self.rest[..line_end].trim_end_matches('\r').is_empty();
            self.skip_line();
            if empty {
                return;
            }
        }
    }
}

/// Where the shell keeps its history: the user's data folder, `rftp/history`.
pub fn history_path() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("rftp").join("history"))
}

#[cfg(test)]
mod netrc_tests {
    use super::*;

    #[test]
    fn parses_machines_default_and_skips_macros() {
        let netrc = Netrc::parse(
            "machine ftp.example.org login alice password \"pa ss\\\"word\" account acct\n\
             macdef init\ncd /pub\nbinary\n\n\
             machine other login bob password b0b\n\
             default login anonymous password guest@\n",
        );
        let alice = netrc.find("FTP.example.org", None).unwrap();
        assert_eq!(alice.login.as_deref(), Some("alice"));
        assert_eq!(alice.password.as_ref().map(Password::expose), Some("pa ss\"word"));
        assert_eq!(alice.account.as_ref().map(Password::expose), Some("acct"));
        assert_eq!(netrc.find("other", None).unwrap().password.as_ref().map(Password::expose), Some("b0b"));
        assert_eq!(netrc.find("elsewhere", None).unwrap().login.as_deref(), Some("anonymous"));
        // A macro body's words are not entries.
        assert!(netrc.find("cd", None).unwrap().login.as_deref() == Some("anonymous"));
    }

    #[test]
    fn a_login_given_elsewhere_must_match() {
        let netrc = Netrc::parse("machine h login alice password a\nmachine h login bob password b\n");
        assert_eq!(netrc.find("h", Some("bob")).unwrap().password.as_ref().map(Password::expose), Some("b"));
        assert_eq!(netrc.find("h", None).unwrap().password.as_ref().map(Password::expose), Some("a"));
        assert!(netrc.find("h", Some("carol")).is_none());
    }

    #[test]
    fn comments_change_nothing() {
        let netrc = Netrc::parse(
            "# old password was x\n\
             machine h login alice password right # password was wrong\n\
             #machine h login mallory password m\n\
             machine k login kim password #hash\n",
        );
        let alice = netrc.find("h", None).unwrap();
        assert_eq!(alice.login.as_deref(), Some("alice"));
        assert_eq!(alice.password.as_ref().map(|p| p.expose()), Some("right"));
        assert!(netrc.find("h", Some("mallory")).is_none());
        // A value may start with `#`: only a keyword position starts a comment.
        assert_eq!(netrc.find("k", None).unwrap().password.as_ref().map(|p| p.expose()), Some("#hash"));
        assert!(netrc.find("was", None).is_none());
    }

    #[test]
    fn a_macro_body_ends_at_an_empty_line_of_a_crlf_file() {
        let netrc = Netrc::parse(
            "machine a login alice password a1\r\n\
             macdef init\r\n\
             cd /pub # not a comment, not an entry: machine b login x password x\r\n\
             \r\n\
             machine b login bob password b1\r\n",
        );
        let bob = netrc.find("b", None).expect("the entry after the macro is read");
        assert_eq!(bob.login.as_deref(), Some("bob"));
        assert_eq!(bob.password.as_ref().map(|p| p.expose()), Some("b1"));
        assert_eq!(netrc.find("a", None).unwrap().password.as_ref().map(|p| p.expose()), Some("a1"));
        // The LF-only form still ends at its empty line, and a body never
        // ended runs to the end of the file.
        let netrc = Netrc::parse("macdef m\nmachine x login no\n\nmachine y login yes\n");
        assert!(netrc.find("x", None).is_none());
        assert_eq!(netrc.find("y", None).unwrap().login.as_deref(), Some("yes"));
        assert!(Netrc::parse("macdef m\nmachine x login no\n").find("x", None).is_none());
    }

    #[test]
    fn printing_an_entry_shows_no_password() {
        let netrc = Netrc::parse("machine h login alice password s3cret-pw\n");
        let shown = format!("{netrc:?} {:?}", netrc.find("h", None));
        assert!(!shown.contains("s3cret-pw") && shown.contains("****"), "{shown}");
    }

    #[test]
    fn empty_and_odd_files_do_not_panic() {
        for text in
            ["", "machine", "login x", "machine h password", "\"unterminated", "macdef m", "default", "#", "# x"]
        {
            let _ = Netrc::parse(text).find("h", None);
        }
    }
}
