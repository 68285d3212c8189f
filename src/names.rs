//! File names from elsewhere: which names from a server are safe to create
//! locally, how they become local names, and glob patterns (`*`, `?`,
//! `[a-z]`) for mget, mput and mdelete.

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

/// Shell-style matching of one name: `*` any run, `?` one character,
/// `[abc]`, `[a-z]`, `[!a]` one of a set. As in shells, a leading `.` is only
/// matched by a pattern that starts with `.`.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    matches_from(&pattern, &name)
}

fn matches_from(pattern: &[char], name: &[char]) -> bool {
    // Iterative matching with one backtrack point for the last `*`.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
                continue;
            }
            Some('?') => {
                p += 1;
                n += 1;
                continue;
            }
            Some('[') => {
                if let Some((matched, next)) = match_class(&pattern[p..], name[n]) {
                    if matched {
                        p += next;
                        n += 1;
                        continue;
                    }
                } else if name[n] == '[' {
                    p += 1;
                    n += 1;
                    continue;
                }
            }
            Some(&c) if c == name[n] => {
                p += 1;
                n += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((star_p, star_n)) => {
                p = star_p + 1;
                n = star_n + 1;
                star = Some((star_p, star_n + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class at the start of `pattern` (which starts with
/// `[`). Returns whether it matched and the class's length, or `None` when
/// the `[` opens no class (no closing `]`).
fn match_class(pattern: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negated = matches!(pattern.get(i), Some('!') | Some('^'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let &start = pattern.get(i)?;
        if start == ']' && !first {
            break;
        }
        first = false;
        if pattern.get(i + 1) == Some(&'-') && pattern.get(i + 2).is_some_and(|&end| end != ']') {
            let end = pattern[i + 2];
            matched |= start <= c && c <= end;
            i += 3;
        } else {
            matched |= start == c;
            i += 1;
        }
    }
    Some((matched != negated, i + 1))
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

    #[test]
    fn globbing() {
        assert!(glob_match("*.txt", "a.txt"));
        assert!(!glob_match("*.txt", ".txt"));
        assert!(glob_match(".*", ".hidden"));
        assert!(!glob_match("*", ".hidden"));
        assert!(glob_match("a?c", "abc") && !glob_match("a?c", "ac"));
        assert!(glob_match("[ab]*", "beta") && !glob_match("[ab]*", "gamma"));
        assert!(glob_match("file[0-9]", "file7") && !glob_match("file[0-9]", "filex"));
        assert!(glob_match("[!a]x", "bx") && !glob_match("[!a]x", "ax"));
        assert!(glob_match("*a*b*", "xxaxxbxx") && !glob_match("*a*b", "xxaxxbxx"));
        assert!(glob_match("[]]", "]"));
        assert!(glob_match("a[", "a["));
        assert!(glob_match("ü*", "über"));
        assert!(glob_match("**", "x") && glob_match("*", ""));
        assert!(is_pattern("*.txt") && !is_pattern("plain"));
    }

    proptest::proptest! {
        #[test]
        fn glob_never_panics(pattern in "[a-c*?\\[\\]!-]{0,12}", name in "[a-c\\[\\]-]{0,12}") {
            let _ = glob_match(&pattern, &name);
        }

        #[test]
        fn a_name_matches_itself_without_glob_chars(name in "[a-z0-9 ._-]{1,20}") {
            proptest::prop_assume!(!name.starts_with('.'));
            proptest::prop_assert!(glob_match(&name, &name));
        }
    }
}
