//! File names from elsewhere: which names from a server are safe to create
//! locally, how they become local names, and glob patterns (`*`, `?`,
//! `[a-z]`, read by the `glob` crate) for mget, mput and mdelete.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use crate::protocol::wire;

/// Why a name from the server is not used as a local file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refusing the server's name {}: {reason}", quoted(name))]
pub struct UnsafeName {
    /// The name as the server sent it.
    pub name: String,
    /// Why it is refused.
    pub reason: &'static str,
}

/// Accepts `name` only if it is a plain name inside the target folder: not
/// empty, not `.` or `..`, no path separators, no control characters.
pub fn safe_local_name(name: &str) -> Result<&str, UnsafeName> {
    let refuse = |reason| Err(UnsafeName { name: name.to_string(), reason });
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name == "." || name == ".." {
        return refuse("it names a folder, not a file in it");
    }
    if name.contains('/') || name.contains('\\') {
        return refuse("it contains a path separator");
    }
    if name.chars().any(char::is_control) {
        return refuse("it contains control characters");
    }
    Ok(name)
}

/// The local name for a name from the server, losslessly: on Unix the
/// server's own bytes, so a Latin-1 `caf\xe9` is saved as `caf\xe9`, not
/// as a replacement character. Elsewhere, such bytes are written `\xNN`.
pub fn local_name(name: &str) -> OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        OsStr::from_bytes(&wire::encode(name)).to_os_string()
    }
    #[cfg(not(unix))]
    {
        OsString::from(crate::display::bytes_escaped(name).into_owned())
    }
}

/// A relative path in the server's form (names joined with `/`) as a
/// local path, each name made local by [`local_name`].
pub fn local_relative(relative: &str) -> std::path::PathBuf {
    relative.split('/').filter(|c| !c.is_empty()).map(local_name).collect()
}

/// [`local_name`] as a path (for a name typed in the shell, which may hold
/// `\xNN` bytes as well as folders).
pub fn local_path(name: &str) -> PathBuf {
    PathBuf::from(local_name(name))
}

/// The name to give the server for a local name: UTF-8 as it is, and on
/// Unix other bytes as themselves ([`wire`]), the inverse of [`local_name`].
pub fn remote_name(name: &OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        wire::decode(name.as_bytes()).into_owned()
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned()
    }
}

/// `name` in quotes with Rust's escapes (`\r`, `\u{1b}`), and bytes that
/// are not UTF-8 as `\xNN`, the way the shell reads them.
fn quoted(name: &str) -> String {
    let mut shown = String::from("\"");
    for c in name.chars() {
        match wire::char_byte(c) {
            Some(byte) => shown.push_str(&format!("\\x{byte:02x}")),
            None => shown.extend(c.escape_debug()),
        }
    }
    shown.push('"');
    shown
}

/// The last component of a path as a server may write it (`dir/name` → `name`).
pub fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// Splits `dir/pattern` into the folder part (if any) and the last part.
pub fn split_dir(path: &str) -> (Option<&str>, &str) {
    match path.rsplit_once('/') {
        Some(("", name)) => (Some("/"), name),
        Some((dir, name)) => (Some(dir), name),
        None => (None, path),
    }
}

/// Whether `text` has glob characters.
pub fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Why a glob pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad pattern {}: {reason} at character {} (a [ on its own is written [[])", quoted(pattern), position + 1)]
pub struct BadPattern {
    /// The pattern as typed.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: &'static str,
    /// Where, counted in characters from 0.
    pub position: usize,
}

/// A shell-style pattern for one name, as mget, mput and mdelete take it:
/// `*` any run, `?` one character, `[abc]`, `[a-z]`, `[!a]` one of a set
/// (`[]]` holds a `]`).
///
/// `*`, `?` and classes never match a `/`, and, as in shells, a leading `.`
/// is matched only by a pattern that starts with `.`, so `mget *` leaves
/// hidden files alone.
#[derive(Debug, Clone)]
pub struct Glob {
    pattern: glob::Pattern,
    /// Whether the pattern starts with `.`, and so may match hidden names.
    dot: bool,
}

impl Glob {
    /// The `/` rule as the `glob` crate's option. Its leading-dot option is
    /// not enough: it lets `*.txt` match `.txt` (the `*` matching nothing),
    /// so [`Glob::matches`] checks the dot itself.
    const OPTIONS: glob::MatchOptions = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };

    /// Reads a pattern; an unclosed `[` or a `***` is an error, not a literal.
    /// A set negates with `[!…]` or, as in shells and regular expressions,
    /// `[^…]` (the `glob` crate knows only the first).
    pub fn new(pattern: &str) -> Result<Glob, BadPattern> {
        let dot = pattern.starts_with('.');
        glob::Pattern::new(&pattern.replace("[^", "[!")).map(|pattern| Glob { pattern, dot }).map_err(|e| BadPattern {
            pattern: pattern.to_string(),
            reason: e.msg,
            position: e.pos,
        })
    }

    /// Whether `name` matches the whole pattern.
    pub fn matches(&self, name: &str) -> bool {
        (self.dot || !name.starts_with('.')) && self.pattern.matches_with(name, Self::OPTIONS)
    }
}

/// The first name that appears twice, if any.
pub fn first_duplicate<'a>(names: &[&'a str]) -> Option<&'a str> {
    let mut seen = std::collections::HashSet::new();
    names.iter().copied().find(|name| !seen.insert(*name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_negate_with_a_caret_or_a_bang() {
        for pattern in ["[^a]*", "[!a]*"] {
            let glob = Glob::new(pattern).unwrap();
            assert!(glob.matches("bc") && !glob.matches("ab"), "{pattern}");
        }
    }

    #[test]
    fn plain_names_are_safe() {
        for name in ["file.txt", "with space", "-dash", "ünïcödé", ".hidden", "..."] {
            assert_eq!(safe_local_name(name), Ok(name));
        }
    }

    #[test]
    fn escaping_names_are_refused() {
        for name in ["", ".", "..", "../etc/passwd", "/etc/passwd", "a/b", "a\\b", "evil\r\nname", "bell\x07", "nul\0"]
        {
            assert!(safe_local_name(name).is_err(), "{name:?}");
        }
    }

    #[test]
    #[cfg(unix)]
    fn local_names_are_the_servers_bytes() {
        use std::os::unix::ffi::OsStrExt;
        for bytes in [&b"caf\xe9.txt"[..], b"\x93\xfa\x96\x7b", "ünï".as_bytes(), b"plain"] {
            let name = wire::decode(bytes);
            assert_eq!(local_name(&name).as_bytes(), bytes);
            assert_eq!(remote_name(OsStr::from_bytes(bytes)), name);
        }
    }

    #[test]
    fn refusals_show_the_name_as_typed() {
        let name = wire::decode(b"\x95\\evil\r");
        assert_eq!(
            safe_local_name(&name).unwrap_err().to_string(),
            r#"refusing the server's name "\x95\\evil\r": it contains a path separator"#
        );
    }

    #[test]
    fn base_names_and_dirs() {
        assert_eq!(base_name("dir/sub/file"), "file");
        assert_eq!(base_name("file"), "file");
        assert_eq!(base_name("dir/"), "dir");
        assert_eq!(split_dir("dir/*.txt"), (Some("dir"), "*.txt"));
        assert_eq!(split_dir("/*.txt"), (Some("/"), "*.txt"));
        assert_eq!(split_dir("*.txt"), (None, "*.txt"));
    }

    fn glob_match(pattern: &str, name: &str) -> bool {
        Glob::new(pattern).unwrap().matches(name)
    }

    #[test]
    fn globbing() {
        assert!(glob_match("*.txt", "a.txt"));
        assert!(glob_match("a?c", "abc") && !glob_match("a?c", "ac"));
        assert!(glob_match("*a*b*", "xxaxxbxx") && !glob_match("*a*b", "xxaxxbxx"));
        assert!(glob_match("ü*", "über") && glob_match("caf?", "café"));
        assert!(glob_match("**", "x") && glob_match("*", ""));
        assert!(glob_match("a\\b", "a\\b"), "a backslash is an ordinary character");
        assert!(!glob_match("*.TXT", "a.txt"), "case matters");
        assert!(is_pattern("*.txt") && is_pattern("a[bc]") && is_pattern("a?") && !is_pattern("plain"));
    }

    #[test]
    fn classes() {
        assert!(glob_match("[ab]*", "beta") && !glob_match("[ab]*", "gamma"));
        assert!(glob_match("file[0-9]", "file7") && !glob_match("file[0-9]", "filex"));
        assert!(glob_match("[!a]x", "bx") && !glob_match("[!a]x", "ax"));
        assert!(glob_match("[]]", "]") && glob_match("[!]]", "x") && !glob_match("[!]]", "]"));
        assert!(glob_match("a[[]", "a[") && glob_match("[*?]", "?") && !glob_match("[*?]", "x"));
        assert!(glob_match("[a-]", "-"));
    }

    #[test]
    fn hidden_names_need_a_leading_dot() {
        assert!(!glob_match("*", ".hidden") && !glob_match("*.txt", ".txt"));
        assert!(!glob_match("?hidden", ".hidden") && !glob_match("[.]hidden", ".hidden"));
        assert!(!glob_match("**", ".hidden"));
        assert!(glob_match(".*", ".hidden") && glob_match(".h*", ".hidden"));
        assert!(glob_match("*.*", "a.b"), "a dot inside a name is ordinary");
    }

    #[test]
    fn wildcards_never_match_a_slash() {
        assert!(!glob_match("*", "a/b") && !glob_match("a?b", "a/b") && !glob_match("a[/]b", "a/b"));
        assert!(!glob_match("a*", "a/b"));
        assert!(glob_match("a/b", "a/b"), "a typed / is itself");
    }

    #[test]
    fn malformed_patterns_are_errors_with_a_message() {
        for (pattern, position) in [("a[", 1), ("[", 0), ("[]", 0), ("[!]", 0), ("***", 2), ("a**", 0)] {
            let error = Glob::new(pattern).unwrap_err();
            assert_eq!((error.pattern.as_str(), error.position), (pattern, position), "{error}");
        }
        assert_eq!(
            Glob::new("a[").unwrap_err().to_string(),
            r#"bad pattern "a[": invalid range pattern at character 2 (a [ on its own is written [[])"#
        );
    }

    proptest::proptest! {
        #[test]
        fn glob_never_panics(pattern in "[a-c*?\\[\\]!./-]{0,12}", name in "[a-c\\[\\]./-]{0,12}") {
            if let Ok(glob) = Glob::new(&pattern) {
                let _ = glob.matches(&name);
            }
        }

        #[test]
        fn hidden_names_match_only_patterns_with_a_dot(pattern in "[a-c*?\\[\\]!]{1,8}", name in "\\.[a-c]{0,6}") {
            if let Ok(glob) = Glob::new(&pattern) {
                proptest::prop_assert!(!glob.matches(&name));
            }
        }

        #[test]
        fn a_name_matches_itself_without_glob_chars(name in "[a-z0-9 ._-]{1,20}") {
            proptest::prop_assume!(!name.starts_with('.'));
            proptest::prop_assert!(glob_match(&name, &name));
        }
    }
}
