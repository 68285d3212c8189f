//! Text from the network made safe to show on a terminal.
//!
//! File names, listings and replies come from the server, and may carry
//! control characters: escape sequences that move the cursor, clear the
//! screen or retitle the window, or a carriage return that paints an
//! innocent line over the real one. On a terminal every control character
//! but tab and newline, and every bidirectional override or line separator
//! (`reorders_text`), is shown as `?`, as `ls` does; into a pipe or a file
//! listings go as they are, so scripts see the real bytes, and the rest
//! (replies, paths) escaped as diagnostics are.
//!
//! Diagnostics on standard error are different: they end up in logs that
//! are read later, on a terminal, so they are escaped wherever they go (as
//! GNU coreutils quotes names in its messages whatever stderr is). There a
//! control character is shown as `\r`, `\n`, `\x1b` and the like, so a
//! server can neither forge a log line nor send escape sequences to whoever
//! reads the log, and the reader still sees what was sent.
//!
//! Names that are not UTF-8 ([`crate::protocol::wire`]) are shown with each
//! such byte as `\xNN`, on a terminal, in a pipe and in diagnostics alike,
//! the way the shell reads them back; only a listing into a pipe
//! ([`listing_for_stdout`]) gets the server's bytes themselves.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::OnceLock;

use crate::protocol::wire;

/// `text` with every control character except tab and newline shown as `?`,
/// and every byte that is not UTF-8 as `\xNN`.
pub fn printable(text: &str) -> Cow<'_, str> {
    rewrite(text, is_hazard, |_, shown| shown.push('?'))
}

/// `text` with every byte that is not UTF-8 shown as `\xNN`, and nothing
/// else changed: for pipes, where a private-use character would mean nothing.
#[cfg(any(test, not(unix)))]
pub fn bytes_escaped(text: &str) -> Cow<'_, str> {
    rewrite(text, |_| false, |_, _| {})
}

/// `text` with each byte that is not UTF-8 shown as `\xNN` and each
/// character `hazard` picks out written by `show`; borrowed when there is
/// none. The one loop behind [`printable`], [`bytes_escaped`] and [`escaped`],
/// which differ only in what they replace and with what.
fn rewrite(text: &str, hazard: impl Fn(char) -> bool, show: impl Fn(char, &mut String)) -> Cow<'_, str> {
    if !text.chars().any(|c| hazard(c) || wire::char_byte(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match wire::char_byte(c) {
            Some(byte) => {
                let _ = write!(shown, "\\x{byte:02x}");
            }
            None if hazard(c) => show(c, &mut shown),
            None => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

/// On a terminal, control characters and [`reorders_text`] characters;
/// tab and newline are left alone.
fn is_hazard(c: char) -> bool {
    (c.is_control() || reorders_text(c)) && c != '\t' && c != '\n'
}

/// Whether `c` can make a line read as something else without being a
/// control character: the Unicode line and paragraph separators, and the
/// bidirectional marks, embeddings, overrides and isolates. A terminal that
/// honours them would show `evil\u{202e}txt.exe` as `evilexe.txt`
/// (CVE-2021-42574, "Trojan Source").
pub(crate) fn reorders_text(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// `text` as it may be written to standard output: [`printable`] on a
/// terminal, [`escaped_lines`] into a pipe or a file.
pub fn for_stdout(text: &str) -> Cow<'_, str> {
    if stdout_is_terminal() { printable(text) } else { escaped_lines(text) }
}

/// Whether standard output is a terminal, asked once: it does not change
/// while rftp runs, and listings ask it for every line.
fn stdout_is_terminal() -> bool {
    static TERMINAL: OnceLock<bool> = OnceLock::new();
    *TERMINAL.get_or_init(|| std::io::stdout().is_terminal())
}

/// `text` escaped as [`escaped`] does, line by line, its newlines kept: the
/// server's replies and paths that `-v`, `quote` or `pwd` print into a file
/// (`rftp -v HOST > session.log`) are read later on a terminal, as
/// diagnostics are, so an escape sequence in a reply must not reach it.
/// Listings and downloaded data, which scripts read, keep their bytes
/// ([`listing_for_stdout`]).
pub fn escaped_lines(text: &str) -> Cow<'_, str> {
    if text.split('\n').all(|line| matches!(escaped(line), Cow::Borrowed(_))) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.split('\n').map(escaped).collect::<Vec<_>>().join("\n"))
}

/// A line of a listing as it may be written to standard output: escaped on
/// a terminal, the server's exact bytes into a pipe or a file, so that
/// `rftp ls URL | xargs ...` sees names as the server has them.
pub fn listing_for_stdout(text: &str) -> Cow<'_, [u8]> {
    if stdout_is_terminal() {
        match printable(text) {
            Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        }
    } else {
        wire::encode(text)
    }
}

/// `text` as it may be written to standard error: the password of any URL in
/// it hidden ([`crate::url::redact_all`]), and escaped ([`escaped`]) whether
/// or not standard error is a terminal. Every diagnostic goes through here.
pub fn for_stderr(text: &str) -> String {
    escaped(&crate::url::redact_all(text)).into_owned()
}

/// Prints `rftp: warning: MESSAGE` on standard error, the way [`for_stderr`] says.
pub fn warn(message: &str) {
    eprintln!("{}", for_stderr(&format!("rftp: warning: {message}")));
}

/// `text` on one line, with every control character (tab aside) written as
/// an escape: `\r`, `\n`, `\x1b`, `\u{9b}`. Unicode line and paragraph
/// separators and the bidirectional overrides, which can also make a log
/// line read as something else, are escaped the same way, and so is each
/// byte that is not UTF-8 (`\xe9`).
pub fn escaped(text: &str) -> Cow<'_, str> {
    rewrite(text, needs_escape, |c, out| {
        let _ = match c {
            '\r' => out.write_str("\\r"),
            '\n' => out.write_str("\\n"),
            c if c.is_ascii() => write!(out, "\\x{:02x}", u32::from(c)),
            c => write!(out, "\\u{{{:x}}}", u32::from(c)),
        };
    })
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || reorders_text(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_question_marks() {
        assert_eq!(printable("evil\u{1b}[2Jname"), "evil?[2Jname");
        assert_eq!(printable("real\rfake"), "real?fake");
        assert_eq!(printable("bell\u{7}\u{7f}\u{9b}31m"), "bell???31m");
    }

    #[test]
    fn text_reordering_characters_become_question_marks_too() {
        // Shown as is, the first would read "evilexe.txt" on a terminal that honours bidi.
        assert_eq!(printable("evil\u{202e}txt.exe"), "evil?txt.exe");
        assert_eq!(printable("a\u{2066}b\u{2069}c\u{200f}d\u{2028}e"), "a?b?c?d?e");
        assert_eq!(escaped("a\u{200e}b"), "a\\u{200e}b");
        assert_eq!(printable("עברית ومرحبا"), "עברית ومرحبا", "right-to-left letters themselves are fine");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_hex() {
        let name = wire::decode(b"caf\xe9\x1b[2J");
        assert_eq!(printable(&name), "caf\\xe9?[2J");
        assert_eq!(bytes_escaped(&name), "caf\\xe9\x1b[2J");
        assert_eq!(bytes_escaped("café"), "café");
        assert_eq!(escaped(&name), "caf\\xe9\\x1b[2J");
    }

    #[test]
    fn diagnostics_escape_what_could_forge_a_log_line() {
        assert_eq!(escaped("550 no\r\nrftp: all done\u{1b}[2J"), "550 no\\r\\nrftp: all done\\x1b[2J");
        assert_eq!(escaped("bell\u{7}\u{7f}\u{9b}31m"), "bell\\x07\\x7f\\u{9b}31m");
        assert_eq!(escaped("a\u{2028}b\u{202e}c"), "a\\u{2028}b\\u{202e}c");
        for text in ["", "plain name.txt", "tab\there", "ünïcødé 名前 😀", "back\\slash"] {
            assert!(matches!(escaped(text), Cow::Borrowed(t) if t == text), "{text:?}");
        }
    }

    #[test]
    fn replies_into_a_file_are_escaped_line_by_line() {
        let reply = wire::decode(b"220-caf\xe9 \x1b]0;pwned\x07\n220 cr\rfake\ttab");
        assert_eq!(escaped_lines(&reply), "220-caf\\xe9 \\x1b]0;pwned\\x07\n220 cr\\rfake\ttab");
        assert!(matches!(escaped_lines("230-a\n230 b"), Cow::Borrowed("230-a\n230 b")));
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in ["", "plain name.txt", "tab\there", "two\nlines", "ünïcødé 名前 😀", "-leading dash"] {
            assert!(matches!(printable(text), Cow::Borrowed(t) if t == text), "{text:?}");
        }
    }
}
