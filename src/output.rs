//! Standard output for listings and downloaded data. A closed pipe
//! (`rftp ls URL | head -1`) ends the output quietly: the reader wanted no
//! more. Any other write failure (a full disk, `> /dev/full`) is remembered,
//! so that the command ends with a message and exit status 1 instead of
//! reporting success for output that never arrived.

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::protocol::shared::lock;

/// Set once standard output's reader has gone away.
static CLOSED: AtomicBool = AtomicBool::new(false);
/// The first write failure that was not a closed pipe.
static FAILED: Mutex<Option<String>> = Mutex::new(None);

/// Writes one line, with server text made harmless on a terminal
/// ([`crate::display::for_stdout`]); after a closed pipe, writes nothing.
pub fn line(text: &str) {
    write_line(crate::display::for_stdout(text).as_bytes());
}

/// Writes one line of a listing: escaped on a terminal, the server's exact
/// bytes into a pipe or a file ([`crate::display::listing_for_stdout`]).
/// `Break` once standard output takes no more (a closed pipe, a full disk):
/// the caller stops the listing then, since a server may list without end.
pub fn listing_line(text: &str) -> ControlFlow<()> {
    write_line(&crate::display::listing_for_stdout(text));
    if is_closed() || has_failed() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
}

/// Writes one line of a listing that is already made safe for the terminal
/// and carries rftp's own colours (the shell's `ls`, `mlsd`, `lls`): written as
/// it is. `Break` as [`listing_line`] says.
pub fn coloured_listing_line(text: &str) -> ControlFlow<()> {
    write_line(text.as_bytes());
    if is_closed() || has_failed() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
}

/// Writes one line of JSON (`--json`) exactly as given, after making it safe
/// on a terminal and for every JSON reader alike: `serde_json` leaves DEL,
/// the C1 controls and the text-reordering characters raw, which
/// [`line`] would show as `\x7f` or `\u{202e}`, escapes no JSON parser
/// accepts. Here each becomes a JSON `\uXXXX` escape, and each byte that is
/// not UTF-8 the text `\xNN` (as diagnostics show it), so the line stays
/// valid JSON on a terminal, in a pipe and in a file.
pub fn json_line(json: &str) {
    write_line(json_escaped(json).as_bytes());
}

/// `json` with the characters [`json_line`] names escaped. They can only
/// be inside strings, since JSON's own syntax is ASCII.
fn json_escaped(json: &str) -> String {
    let mut escaped = String::with_capacity(json.len());
    for c in json.chars() {
        if let Some(byte) = crate::protocol::wire::char_byte(c) {
            // `\\` in the JSON text: one backslash in the decoded string.
            escaped.push_str(&format!("\\\\x{byte:02x}"));
        } else if c == '\u{7f}' || (c.is_control() && !c.is_ascii()) || crate::display::reorders_text(c) {
            // All of these are in the Basic Multilingual Plane: one escape each.
            escaped.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            escaped.push(c);
        }
    }
    escaped
}

fn write_line(bytes: &[u8]) {
    if is_closed() {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(error) = out.write_all(bytes).and_then(|()| out.write_all(b"\n")) {
        note_error(&error);
    }
}

fn has_failed() -> bool {
    lock(&FAILED).is_some()
}

/// Records a failed write to standard output: a closed pipe ends the output
/// quietly; anything else is reported at the end ([`finish`]).
pub fn note_error(error: &io::Error) {
    if error.kind() == io::ErrorKind::BrokenPipe {
        CLOSED.store(true, Ordering::SeqCst);
    } else {
        lock(&FAILED).get_or_insert_with(|| error.to_string());
    }
}

/// Whether standard output's reader has gone away.
pub fn is_closed() -> bool {
    CLOSED.load(Ordering::SeqCst)
}

/// Flushes standard output and returns why writing to it failed, if it did
/// (a closed pipe is not a failure).
pub fn finish() -> Option<String> {
    if !is_closed()
        && let Err(error) = io::stdout().flush()
    {
        note_error(&error);
    }
    lock(&FAILED).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_escape_what_json_accepts_and_terminals_must_not_see() {
        let name = crate::protocol::wire::decode(b"caf\xe9 del\x7f c1\xc2\x9b evil\xe2\x80\xae \xf0\x9f\x98\x80");
        let line = serde_json::to_string(&serde_json::json!({ "name": name })).unwrap();
        let escaped = json_escaped(&line);
        assert_eq!(escaped, r#"{"name":"caf\\xe9 del\u007f c1\u009b evil\u202e 😀"}"#);
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back["name"], "caf\\xe9 del\u{7f} c1\u{9b} evil\u{202e} 😀");
        assert_eq!(json_escaped(r#"{"a":"plain \"q\" \\"}"#), r#"{"a":"plain \"q\" \\"}"#);
    }
}
