//! Where a one-shot command points: `ftp://[user[:password]@]host[:port]/path[;type=a|i]`
//! URLs (RFC 1738) and the short `host:path` form.
//!
//! As in RFC 1738 §3.2.2 and curl, a URL path is relative to the folder the
//! login lands in: `ftp://host/pub/file` is `pub/file`; an absolute path is
//! written `ftp://host//etc/file` or `ftp://host/%2Fetc/file`. In the short
//! form, `host:path` is relative and `host:/path` absolute.

use crate::password::{PLACEHOLDER, Password};
use crate::protocol::{TlsMode, TransferType};

/// A parsed remote location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// The host: a name, an IPv4 address or an IPv6 address (without brackets).
    pub host: String,
    /// The port, if one was given.
    pub port: Option<u16>,
    /// The user from the URL, percent-decoded.
    pub user: Option<String>,
    /// The password from the URL, percent-decoded.
    pub password: Option<Password>,
    /// The path, percent-decoded; empty for the login folder.
    pub path: String,
    /// `;type=a` or `;type=i`.
    pub transfer_type: Option<TransferType>,
    /// `ftpes://` (explicit FTPS) or `ftps://` (implicit FTPS, port 990).
    pub tls: Option<TlsMode>,
}

impl Remote {
    /// Whether the path names a folder (empty, or ending in `/`).
    pub fn is_folder(&self) -> bool {
        self.path.is_empty() || self.path.ends_with('/')
    }
}

/// Why a location could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location:?}: {reason}")]
pub struct UrlError {
    /// The text given.
    pub location: String,
    /// What is wrong with it.
    pub reason: String,
}

fn error(location: &str, reason: impl Into<String>) -> UrlError {
    UrlError { location: redact(location), reason: reason.into() }
}

/// The location with any password in it replaced by `****`, for messages.
///
/// A password may hold a raw `/` (`ftp://u:pa/ss@host/`): RFC 3986 ends the
/// authority at the first `/`, so such a URL names host `u`, port `pa` and
/// path `ss@host/`, but the user meant a password. It may hold a raw `@`
/// and a `/` after it (`ftp://u:p@a/b@host/`), where the first `@` ends the
/// authority. So whenever the text before the first `/` has a `:` before
/// an `@`, everything from that `:` to the last `@` of the whole location
/// is hidden: a path such as `ftp://h:21/a@b` shows less than it could, and
/// no password shows.
pub fn redact(location: &str) -> String {
    let Some((scheme_len, _)) = scheme(location) else {
        return match short_form_password(location).or_else(|| short_form_maybe_password(location)) {
            Some((colon, at)) => format!("{}{PLACEHOLDER}{}", &location[..colon + 1], &location[at..]),
            None => location.to_string(),
        };
    };
    let rest = &location[scheme_len..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest.rfind('@') else {
        return location.to_string();
    };
    // `ftp://[::1]:21/a@b`: an IPv6 host, then a path with an `@`.
    if at > authority_end && rest.starts_with('[') {
        return location.to_string();
    }
    match rest[..at.min(authority_end)].find(':') {
        Some(colon) => format!("{}{PLACEHOLDER}{}", &location[..scheme_len + colon + 1], &rest[at..]),
        None => location.to_string(),
    }
}

/// Where the password is in `USER:PASSWORD@HOST:PATH` (the `:` before it
/// and the `@` after it): a login written in the short `HOST:PATH` form,
/// which has no room for one. Read as `HOST:PATH`, it would name host
/// `USER` and path `PASSWORD@HOST:PATH`. The password may hold `:` and `@`,
/// so it runs to the last `@` that a `:` follows.
fn short_form_password(location: &str) -> Option<(usize, usize)> {
    let colon = location.find(':')?;
    let user = &location[..colon];
    if user.is_empty() || user.contains(['/', '@', '[']) {
        return None;
    }
    let at = location.rfind('@').filter(|&at| at > colon)?;
    let at = location[..=at].rmatch_indices('@').map(|(i, _)| i).find(|&i| location[i..].contains(':'))?;
    (at > colon).then_some((colon, at))
}

/// Where a password may be in `USER:PASSWORD@HOST` (no `:PATH`), for
/// messages and the process list only: read as `HOST:PATH` it is a path
/// with an `@` on host `USER` (`rftp ls bob:pw@example.org` connects to
/// host `bob`), so it is not refused, but echoing it could show a password.
/// Hidden when no `/` comes between the `:` and the last `@`, or when what
/// follows that `@` reads as a host name (a `.` and no `/`): a file such as
/// `host:icon@2x.png` shows less than it could, `host:dir/a@b` shows whole.
fn short_form_maybe_password(location: &str) -> Option<(usize, usize)> {
    let colon = location.find(':')?;
    let user = &location[..colon];
    if user.is_empty() || user.contains(['/', '@', '[']) {
        return None;
    }
    let at = location.rfind('@').filter(|&at| at > colon)?;
    let host = &location[at + 1..];
    let hidden = !location[colon..at].contains('/') || (host.contains('.') && !host.contains('/'));
    hidden.then_some((colon, at))
}

/// `text` with the password of every URL in it hidden ([`redact`]): the last
/// line of defence for messages that echo what the user typed. A URL runs to
/// the next white space.
pub fn redact_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_scheme(rest) {
        out.push_str(&rest[..start]);
        let url = &rest[start..];
        // Quotes are part of it: a password may hold one, and a quote after
        // the URL is harmless to the redaction.
        let mut end = url.find(char::is_whitespace).unwrap_or(url.len());
        // A password may hold white space (`cd "ftp://u:pa ss@h/"`): when
        // the text up to it has a `:` after the scheme and no `@`, the URL
        // runs on to the next `@` on the line, if there is one. A message
        // may then show less than it could, never the password.
        let scheme_len = scheme(url).map_or(0, |(len, _)| len);
        if !url[..end].contains('@') && url[scheme_len..end].contains(':') {
            let line_end = url.find('\n').unwrap_or(url.len());
            if let Some(at) = url.get(end..line_end).and_then(|after| after.find('@')) {
                let at = end + at;
                end = url[at..].find(char::is_whitespace).map_or(url.len(), |n| at + n);
            }
        }
        out.push_str(&redact(&url[..end]));
        rest = &url[end..];
    }
    out.push_str(rest);
    out
}

/// Where the first `ftp://`, `ftpes://` or `ftps://` starts in `text`.
fn find_scheme(text: &str) -> Option<usize> {
    text.char_indices().map(|(i, _)| i).find(|&i| scheme(&text[i..]).is_some())
}

/// The schemes rftp takes, and the TLS each asks for.
const SCHEMES: [(&str, Option<TlsMode>); 3] =
    [("ftp://", None), ("ftpes://", Some(TlsMode::Explicit)), ("ftps://", Some(TlsMode::Implicit))];

/// The port implicit FTPS listens on unless told otherwise.
pub const IMPLICIT_FTPS_PORT: u16 = 990;

/// The scheme of `text` (its length and TLS mode), if it is a URL rftp takes.
fn scheme(text: &str) -> Option<(usize, Option<TlsMode>)> {
    SCHEMES.iter().find_map(|(prefix, tls)| {
        text.get(..prefix.len()).filter(|s| s.eq_ignore_ascii_case(prefix)).map(|_| (prefix.len(), *tls))
    })
}

/// Whether `text` looks like an `ftp://`, `ftpes://` or `ftps://` URL.
pub fn is_url(text: &str) -> bool {
    scheme(text).is_some()
}

/// Parses an `ftp://` URL or a `host:path` location.
pub fn parse(location: &str) -> Result<Remote, UrlError> {
    if is_url(location) { parse_url(location) } else { parse_short(location) }
}

fn parse_url(location: &str) -> Result<Remote, UrlError> {
    let (scheme_len, tls) = scheme(location).ok_or_else(|| error(location, "not an ftp URL"))?;
    let rest = &location[scheme_len..];
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    if userinfo.is_none() && looks_like_password_with_slash(authority, path) {
        return Err(error(location, "a / in a password must be written as %2F"));
    }
    let (user, password) = match userinfo {
        None => (None, None),
        Some(info) => {
            let (user, password) = match info.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (info, None),
            };
            let password = password.map(|p| decode(location, p).map(Password::from)).transpose()?;
            (Some(decode(location, user)?), password)
        }
    };
    let (host, port) = split_host_port(location, hostport)?;
    let (path, transfer_type) = split_type(location, path)?;
    let port = port.or((tls == Some(TlsMode::Implicit)).then_some(IMPLICIT_FTPS_PORT));
    Ok(Remote { host, port, user, password, path: decode(location, path)?, transfer_type, tls })
}

/// Why `user@host` is refused where a host is expected.
///
/// Written as its redaction would show it: diagnostics pass through
/// [`redact_all`], which turned `ftp://USER[:PASSWORD]@HOST/` into
/// `ftp://USER[:****@HOST/`.
pub const USER_IN_HOST: &str =
    "a user and password go in a URL: ftp://USER@HOST/, or ftp://USER:****@HOST/ with the password for ****";

/// Parses what the shell's `open` takes besides a URL: `HOST`, `HOST:PORT`,
/// `[IPV6]` or `[IPV6]:PORT`. A bare IPv6 address (`::1`) has no port.
pub fn parse_host_port(text: &str) -> Result<(String, Option<u16>), UrlError> {
    // `user:password@host` is no host, and echoing it would show the password.
    if let Some((_, host)) = text.rsplit_once('@') {
        return Err(error(host, USER_IN_HOST));
    }
    if text.starts_with('[') || text.matches(':').count() == 1 {
        split_host_port(text, text)
    } else if text.is_empty() {
        Err(error(text, "no host"))
    } else {
        Ok((text.to_string(), None))
    }
}

/// Whether `ftp://AUTHORITY/PATH` reads as a password with a raw `/`: the
/// authority ends in `:` and something that is no port, and an `@` follows
/// (`ftp://u:pa/ss@host/`). Read by the RFC it names host `u` and port `pa`,
/// which is never what was meant.
fn looks_like_password_with_slash(authority: &str, path: &str) -> bool {
    let port = authority.rsplit_once(':').map(|(_, port)| port);
    !authority.starts_with('[')
        && port.is_some_and(|port| !port.is_empty() && !port.bytes().all(|b| b.is_ascii_digit()))
        && path.contains('@')
}

fn parse_short(location: &str) -> Result<Remote, UrlError> {
    let (host, path) = if let Some(rest) = location.strip_prefix('[') {
        let close = rest.find(']').ok_or_else(|| error(location, "an IPv6 address needs its closing ]"))?;
        let path = rest[close + 1..].strip_prefix(':').ok_or_else(|| error(location, "expected HOST:PATH"))?;
        (&rest[..close], path)
    } else {
        location.split_once(':').ok_or_else(|| error(location, "expected HOST:PATH or an ftp:// URL"))?
    };
    if host.is_empty() {
        return Err(error(location, "no host"));
    }
    // `sftp://…`, `http://…`: a URL of another scheme, not the host `sftp`
    // (whose lookup would fail as a connection error, after retries).
    if path.starts_with("//") && host.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return Err(error(location, format!("rftp speaks ftp://, ftps:// and ftpes://, not {host}://")));
    }
    if short_form_password(location).is_some() {
        return Err(error(location, USER_IN_HOST));
    }
    check_text(location, path)?;
    Ok(Remote {
        host: host.to_string(),
        port: None,
        user: None,
        password: None,
        path: path.to_string(),
        transfer_type: None,
        tls: None,
    })
}

fn split_host_port(location: &str, hostport: &str) -> Result<(String, Option<u16>), UrlError> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let close = rest.find(']').ok_or_else(|| error(location, "an IPv6 address needs its closing ]"))?;
        let after = &rest[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err(error(location, "unexpected text after the IPv6 address")),
        };
        (&rest[..close], port)
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(error(location, "no host"));
    }
    let port = match port {
        None | Some("") => None,
        Some(port) => Some(
            port.parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| error(location, format!("{port:?} is not a port")))?,
        ),
    };
    Ok((host.to_string(), port))
}

/// Splits `;type=a|i|d` off the end of a URL path (RFC 1738 §3.2.2).
fn split_type<'a>(location: &str, path: &'a str) -> Result<(&'a str, Option<TransferType>), UrlError> {
    let Some((path, typecode)) = path.rsplit_once(";type=") else {
        return Ok((path, None));
    };
    let transfer_type = match typecode.to_ascii_lowercase().as_str() {
        "a" => TransferType::Ascii,
        "i" => TransferType::Binary,
        other => return Err(error(location, format!("unknown ;type={other} (a or i)"))),
    };
    Ok((path, Some(transfer_type)))
}

/// Percent-decodes `text`; a decoded CR, LF or NUL is refused, never sent.
fn decode(location: &str, text: &str) -> Result<String, UrlError> {
    // percent-encoding passes a malformed escape (`%zz`, `%4`) through as
    // text; in a URL it is a mistake more likely than a name, so it is refused.
    let well_formed = text
        .split('%')
        .skip(1)
        .all(|after| after.as_bytes().get(..2).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)));
    if !well_formed {
        return Err(error(location, "a % must be followed by two hex digits"));
    }
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(text).collect();
    // Bytes that are not UTF-8 (`%E9`, a Latin-1 name) are kept as they are
    // and sent as the same bytes.
    let decoded = crate::protocol::wire::decode(&bytes).into_owned();
    check_text(location, &decoded)?;
    Ok(decoded)
}

fn check_text(location: &str, text: &str) -> Result<(), UrlError> {
    if text.contains(['\r', '\n', '\0']) {
        return Err(error(location, "contains CR, LF or NUL, which cannot be sent to a server"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(host: &str, port: Option<u16>, path: &str) -> Remote {
        Remote {
            host: host.into(),
            port,
            user: None,
            password: None,
            path: path.into(),
            transfer_type: None,
            tls: None,
        }
    }

    #[test]
    fn urls() {
        assert_eq!(parse("ftp://example.org/pub/file.txt").unwrap(), remote("example.org", None, "pub/file.txt"));
        assert_eq!(parse("FTP://example.org:2121/").unwrap(), remote("example.org", Some(2121), ""));
        assert_eq!(parse("ftp://example.org").unwrap(), remote("example.org", None, ""));
        assert_eq!(parse("ftp://[::1]:2121/a").unwrap(), remote("::1", Some(2121), "a"));
        assert_eq!(parse("ftp://[::1]/a").unwrap(), remote("::1", None, "a"));
        assert_eq!(parse("ftp://h//etc/x").unwrap().path, "/etc/x");
        assert_eq!(parse("ftp://h/%2Fetc/x").unwrap().path, "/etc/x");
        assert_eq!(parse("ftp://h/my%20file").unwrap().path, "my file");
        assert_eq!(parse("ftp://h/caf%C3%A9").unwrap().path, "café");
        // Not UTF-8: the server's own bytes, as names from a listing are kept.
        assert_eq!(parse("ftp://h/caf%E9").unwrap().path, crate::protocol::wire::decode(b"caf\xe9"));
        assert!(parse("ftp://h/dir/").unwrap().is_folder());
        assert!(!parse("ftp://h/dir/f").unwrap().is_folder());
    }

    #[test]
    fn ftps_schemes() {
        let explicit = parse("ftpes://h/f").unwrap();
        assert_eq!((explicit.tls, explicit.port), (Some(TlsMode::Explicit), None));
        let implicit = parse("FTPS://h/f").unwrap();
        assert_eq!((implicit.tls, implicit.port), (Some(TlsMode::Implicit), Some(990)));
        assert_eq!(parse("ftps://h:2990/f").unwrap().port, Some(2990));
        assert_eq!(parse("ftp://h/f").unwrap().tls, None);
        assert_eq!(redact("ftps://bob:pw@h/f"), "ftps://bob:****@h/f");
    }

    #[test]
    fn credentials_in_urls() {
        let r = parse("ftp://bob:p%40ss%3Aword@h/f").unwrap();
        assert_eq!((r.user.as_deref(), r.password.as_ref().map(Password::expose)), (Some("bob"), Some("p@ss:word")));
        let r = parse("ftp://al%20ice@h/f").unwrap();
        assert_eq!((r.user.as_deref(), r.password), (Some("al ice"), None));
        let r = parse("ftp://u:p@w@h/f").unwrap();
        assert_eq!(
            (r.user.as_deref(), r.password.as_ref().map(Password::expose), r.host.as_str()),
            (Some("u"), Some("p@w"), "h")
        );
        let r = parse("ftp://u:pa%2Fss@h/f").unwrap();
        assert_eq!(r.password.as_ref().map(Password::expose), Some("pa/ss"));
    }

    #[test]
    fn passwords_are_redacted_in_messages() {
        assert_eq!(redact("ftp://bob:hunter2@h/f"), "ftp://bob:****@h/f");
        assert_eq!(redact("ftp://bob@h/f"), "ftp://bob@h/f");
        assert_eq!(redact("ftp://h/a:b@c"), "ftp://h/a:b@c");
        assert_eq!(redact("h:path"), "h:path");
        let err = parse("ftp://bob:hunter2@h:99999/x").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn a_password_with_a_raw_slash_is_refused_and_never_shown() {
        assert_eq!(redact("ftp://u:pa/ss@host/"), "ftp://u:****@host/");
        assert_eq!(redact("ftp://u:pa/s@s@host/dir/f"), "ftp://u:****@host/dir/f");
        // An `@` before the `/`: the first `@` ends the authority, but the
        // rest of the password must not show either.
        assert_eq!(redact("ftp://u:p@a/b@host/"), "ftp://u:****@host/");
        assert_eq!(redact("ftp://me@corp:p@a/b@host/f"), "ftp://me@corp:****@host/f");
        let err = parse("ftp://u:pa55/w0rd@host/").unwrap_err();
        let message = err.to_string();
        assert!(!message.contains("pa55") && !message.contains("w0rd"), "{message}");
        assert!(message.contains("%2F"), "{message}");
        // A port and an @ in the path read as the RFC says; the message
        // hides more than it needs to rather than risk a password.
        assert_eq!(parse("ftp://h:21/a@b").unwrap().path, "a@b");
        assert_eq!(redact("ftp://u:12/ss@host/"), "ftp://u:****@host/");
        assert_eq!(redact("ftp://[::1]:21/a@b"), "ftp://[::1]:21/a@b");
        assert_eq!(redact("ftp://h/a:b@c"), "ftp://h/a:b@c");
    }

    #[test]
    fn a_login_in_the_short_form_is_refused_and_never_shown() {
        assert_eq!(redact("bob:s3cret@host:file"), "bob:****@host:file");
        assert_eq!(redact("bob:s3:c@r@et@host:/dir/file"), "bob:****@host:/dir/file");
        // Paths with an `@` and no `:` after it are no logins.
        assert_eq!(redact("host:dir/a@b"), "host:dir/a@b");
        // Yet `USER:PASSWORD@HOST` without a path, which reads as such a
        // path on host USER, is never echoed whole, nor with a `/` in the
        // password. (Before the fix `rftp ls bob:pw@127.0.0.1` printed
        // `bob:pw@127.0.0.1: cannot connect to bob`, and `ps` showed it.)
        assert_eq!(redact("bob:s3cret@127.0.0.1"), "bob:****@127.0.0.1");
        assert_eq!(redact("bob:s3/cret@ftp.example.org"), "bob:****@ftp.example.org");
        assert_eq!(redact("bob:s3cret@localhost"), "bob:****@localhost");
        assert!(parse("bob:s3cret@127.0.0.1").is_ok(), "still a HOST:PATH: host:icon@2x.png is a file");
        assert_eq!(redact("[::1]:a@b:c"), "[::1]:a@b:c");
        assert_eq!(redact("local/file"), "local/file");
        let err = parse("bob:s3cret@host:file").unwrap_err().to_string();
        assert!(!err.contains("s3cret") && err.contains("ftp://USER"), "{err}");
        assert_eq!(parse("host:dir/a@b").unwrap().path, "dir/a@b");
    }

    #[test]
    fn every_url_in_a_message_is_redacted() {
        assert_eq!(
            redact_all("put: \"ftp://u:s3cret@h/x\" and FTPES://v:pw@h2 not ftp://h/a"),
            "put: \"ftp://u:****@h/x\" and FTPES://v:****@h2 not ftp://h/a"
        );
        assert_eq!(redact_all("no urls: ftp:/x ftp"), "no urls: ftp:/x ftp");
        assert_eq!(redact_all("ünï ftps://a:b@c"), "ünï ftps://a:****@c");
        assert_eq!(redact_all("value 'ftp://u:p'w@h/' for"), "value 'ftp://u:****@h/' for");
        assert_eq!(redact_all("\"ftp://u:p\\\"w@h/\""), "\"ftp://u:****@h/\"");
        // White space in a password.
        assert_eq!(redact_all("CWD ftp://u:pa ss@h/ failed: 550"), "CWD ftp://u:****@h/ failed: 550");
        assert_eq!(redact_all("\"ftp://u:p/a b c@h/\": no"), "\"ftp://u:****@h/\": no");
        assert_eq!(redact_all("ftp://h/a b@c"), "ftp://h/a b@c");
        assert_eq!(redact_all("ftp://u:pa\nss@h"), "ftp://u:pa\nss@h", "a URL ends with its line");
    }

    #[test]
    fn hosts_and_ports_for_open() {
        assert_eq!(parse_host_port("example.org").unwrap(), ("example.org".into(), None));
        assert_eq!(parse_host_port("example.org:2121").unwrap(), ("example.org".into(), Some(2121)));
        assert_eq!(parse_host_port("[::1]:2121").unwrap(), ("::1".into(), Some(2121)));
        assert_eq!(parse_host_port("[::1]").unwrap(), ("::1".into(), None));
        assert_eq!(parse_host_port("::1").unwrap(), ("::1".into(), None));
        for bad in ["", "h:x", "h:0", ":21", "[::1"] {
            assert!(parse_host_port(bad).is_err(), "{bad:?}");
        }
        let err = parse_host_port("bob:s3cret@h").unwrap_err().to_string();
        assert!(!err.contains("s3cret") && err.contains("\"h\""), "{err}");
    }

    #[test]
    fn type_codes() {
        assert_eq!(parse("ftp://h/f;type=a").unwrap().transfer_type, Some(TransferType::Ascii));
        assert_eq!(parse("ftp://h/f;type=I").unwrap().transfer_type, Some(TransferType::Binary));
        assert_eq!(parse("ftp://h/f;type=a").unwrap().path, "f");
        assert!(parse("ftp://h/f;type=x").is_err());
    }

    #[test]
    fn short_form() {
        assert_eq!(parse("example.org:pub/f").unwrap(), remote("example.org", None, "pub/f"));
        assert_eq!(parse("example.org:/abs/f").unwrap(), remote("example.org", None, "/abs/f"));
        assert_eq!(parse("h:").unwrap(), remote("h", None, ""));
        assert_eq!(parse("[::1]:f").unwrap(), remote("::1", None, "f"));
        assert!(parse("no-colon").is_err());
        assert!(parse(":f").is_err());
    }

    #[test]
    fn refuses_what_cannot_be_sent() {
        for bad in [
            "ftp://h/a%0D%0ADELE%20b",
            "ftp://h/a%0Ab",
            "ftp://u%0A@h/",
            "ftp://u:p%00@h/",
            "ftp://h/%zz",
            "ftp://h/%4",
            "ftp://h/%+1",
            "ftp://h/a%",
            "ftp://h:99999/",
            "ftp://h:0/",
            "ftp://:21/",
            "ftp://[::1/",
            "h:a\r\nb",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,40}") {
            let _ = parse(&text);
            let _ = parse(&format!("ftp://{text}"));
        }
    }
}
