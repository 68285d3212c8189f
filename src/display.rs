//! Text from the network made safe to show on a terminal.
//!
//! File names, listings and replies come from the server, and may carry
//! control characters: escape sequences that move the cursor, clear the
//! screen or retitle the window, or a carriage return that paints an
//! innocent line over the real one. On a terminal every control character
//! but tab and newline is shown as `?`, as `ls` does; into a pipe or a file
//! the text goes as it is, so scripts see the real bytes.
//!
//! Names that are not UTF-8 ([`crate::protocol::wire`]) are shown with each
//! such byte as `\xNN`, on a terminal and in a pipe alike, the way the shell
//! reads them back; only a listing into a pipe ([`listing_for_stdout`]) gets
//! the server's bytes themselves.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::sync::OnceLock;

use crate::protocol::wire;

/// `text` with every control character except tab and newline shown as `?`,
/// and every byte that is not UTF-8 as `\xNN`.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_hazard(c) || wire::char_byte(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        match wire::char_byte(c) {
            Some(byte) => shown.push_str(&format!("\\x{byte:02x}")),
            None if is_hazard(c) => shown.push('?'),
            None => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

/// `text` with every byte that is not UTF-8 shown as `\xNN`, and nothing
/// else changed: for pipes, where a private-use character would mean nothing.
pub fn bytes_escaped(text: &str) -> Cow<'_, str> {
    if !wire::has_bytes(text) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        match wire::char_byte(c) {
            Some(byte) => shown.push_str(&format!("\\x{byte:02x}")),
            None => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

fn is_hazard(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

/// `text` as it may be written to standard output.
pub fn for_stdout(text: &str) -> Cow<'_, str> {
    static TERMINAL: OnceLock<bool> = OnceLock::new();
    if *TERMINAL.get_or_init(|| std::io::stdout().is_terminal()) { printable(text) } else { bytes_escaped(text) }
}

/// A line of a listing as it may be written to standard output: escaped on
/// a terminal, the server's exact bytes into a pipe or a file, so that
/// `rftp ls URL | xargs ...` sees names as the server has them.
pub fn listing_for_stdout(text: &str) -> Cow<'_, [u8]> {
    static TERMINAL: OnceLock<bool> = OnceLock::new();
    if *TERMINAL.get_or_init(|| std::io::stdout().is_terminal()) {
        match printable(text) {
            Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        }
    } else {
        wire::encode(text)
    }
}

/// `text` as it may be written to standard error.
pub fn for_stderr(text: &str) -> Cow<'_, str> {
    static TERMINAL: OnceLock<bool> = OnceLock::new();
    if *TERMINAL.get_or_init(|| std::io::stderr().is_terminal()) { printable(text) } else { bytes_escaped(text) }
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
    fn bytes_that_are_not_utf8_are_shown_as_hex() {
        let name = wire::decode(b"caf\xe9\x1b[2J");
        assert_eq!(printable(&name), "caf\\xe9?[2J");
        assert_eq!(bytes_escaped(&name), "caf\\xe9\x1b[2J");
        assert_eq!(bytes_escaped("café"), "café");
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in ["", "plain name.txt", "tab\there", "two\nlines", "ünïcødé 名前 😀", "-leading dash"] {
            assert!(matches!(printable(text), Cow::Borrowed(t) if t == text), "{text:?}");
        }
    }
}
