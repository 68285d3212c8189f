//! Text from the network made safe to show on a terminal.
//!
//! File names, listings and replies come from the server, and may carry
//! control characters: escape sequences that move the cursor, clear the
//! screen or retitle the window, or a carriage return that paints an
//! innocent line over the real one. On a terminal every control character
//! but tab and newline is shown as `?`, as `ls` does; into a pipe or a file
//! the text goes as it is, so scripts see the real bytes.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::sync::OnceLock;

/// `text` with every control character except tab and newline shown as `?`.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hazard) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(|c| if is_hazard(c) { '?' } else { c }).collect())
}

fn is_hazard(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

/// `text` as it may be written to standard output.
pub fn for_stdout(text: &str) -> Cow<'_, str> {
    static TERMINAL: OnceLock<bool> = OnceLock::new();
    if *TERMINAL.get_or_init(|| std::io::stdout().is_terminal()) { printable(text) } else { Cow::Borrowed(text) }
}

/// `text` as it may be written to standard error.
pub fn for_stderr(text: &str) -> Cow<'_, str> {
    static TERMINAL: OnceLock<bool> = OnceLock::new();
    if *TERMINAL.get_or_init(|| std::io::stderr().is_terminal()) { printable(text) } else { Cow::Borrowed(text) }
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
    fn ordinary_text_is_left_alone() {
        for text in ["", "plain name.txt", "tab\there", "two\nlines", "ünïcødé 名前 😀", "-leading dash"] {
            assert!(matches!(printable(text), Cow::Borrowed(t) if t == text), "{text:?}");
        }
    }
}
