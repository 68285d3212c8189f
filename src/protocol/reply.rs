//! Server replies: [`ReplyCode`], [`Reply`] and a sans-IO parser for RFC 959 §4.2 replies.
//!
//! The parser is fed bytes as they arrive and hands out whole replies. It never
//! touches a socket, so tests can feed it any split of any input.

use std::fmt;

/// The longest reply line we accept, in bytes (CRLF included).
///
/// RFC 959 sets no limit; real servers stay far below this. A longer line is an
/// error, so a hostile server cannot make us buffer without end.
pub const MAX_LINE_LEN: usize = 16 * 1024;

/// The most lines one multi-line reply may have; FEAT and STAT replies from
/// real servers have a few dozen.
pub const MAX_REPLY_LINES: usize = 4096;

/// The most bytes one reply may have, all lines together.
pub const MAX_REPLY_BYTES: usize = 1024 * 1024;

/// A three-digit FTP reply code (RFC 959 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// `200 Command okay.`
    pub const COMMAND_OK: ReplyCode = ReplyCode(200);
    /// `213 File status` (the answer to SIZE and MDTM).
    pub const FILE_STATUS: ReplyCode = ReplyCode(213);
    /// `220 Service ready for new user.`
    pub const SERVICE_READY: ReplyCode = ReplyCode(220);
    /// `120 Service ready in nnn minutes.`
    pub const READY_SOON: ReplyCode = ReplyCode(120);
    /// `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
    pub const PASSIVE_MODE: ReplyCode = ReplyCode(227);
    /// `229 Entering Extended Passive Mode (|||port|)` (RFC 2428).
    pub const EXTENDED_PASSIVE_MODE: ReplyCode = ReplyCode(229);
    /// `230 User logged in, proceed.`
    pub const LOGGED_IN: ReplyCode = ReplyCode(230);
    /// `257 "PATHNAME" created.` (also the answer to PWD).
    pub const PATH_CREATED: ReplyCode = ReplyCode(257);
    /// `331 User name okay, need password.`
    pub const NEED_PASSWORD: ReplyCode = ReplyCode(331);
    /// `332 Need account for login.`
    pub const NEED_ACCOUNT: ReplyCode = ReplyCode(332);
    /// `350 Requested file action pending further information.`
    pub const PENDING_FURTHER_INFO: ReplyCode = ReplyCode(350);
    /// `421 Service not available, closing control connection.`
    pub const SERVICE_NOT_AVAILABLE: ReplyCode = ReplyCode(421);

    /// Makes a code from a number, if it is a valid reply code (100 to 599).
    pub fn new(code: u16) -> Option<ReplyCode> {
        (100..600).contains(&code).then_some(ReplyCode(code))
    }

    /// The code as a number.
    pub fn as_u16(self) -> u16 {
        self.0
    }

    /// The first digit: 1 preliminary, 2 completion, 3 intermediate,
    /// 4 transient negative, 5 permanent negative.
    pub fn class(self) -> u8 {
        (self.0 / 100) as u8
    }

    /// 1xx: the command was accepted and another reply will follow.
    pub fn is_preliminary(self) -> bool {
        self.class() == 1
    }

    /// 2xx: the command succeeded.
    pub fn is_completion(self) -> bool {
        self.class() == 2
    }

    /// 3xx: the server waits for another command (PASS after USER, RNTO after RNFR).
    pub fn is_intermediate(self) -> bool {
        self.class() == 3
    }

    /// 4xx: the command failed, but may succeed if tried again.
    pub fn is_transient_negative(self) -> bool {
        self.class() == 4
    }

    /// 5xx: the command failed and will fail again.
    pub fn is_permanent_negative(self) -> bool {
        self.class() == 5
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One whole reply from the server: its code and every line of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    code: ReplyCode,
    lines: Vec<String>,
}

impl Reply {
    /// Builds a reply from its code and its raw lines (each as sent, code included).
    pub fn new(code: ReplyCode, lines: Vec<String>) -> Reply {
        Reply { code, lines }
    }

    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// Every line as the server sent it, without line endings.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The text of the first line after the code (`"Welcome"` for `220 Welcome`).
    pub fn message(&self) -> &str {
        self.lines.first().map(|l| line_text(l)).unwrap_or("")
    }

    /// The whole reply as it was sent, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// Whether this is a multi-line reply.
    pub fn is_multiline(&self) -> bool {
        self.lines.len() > 1
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// The text after a line's code and its separator, or the whole line if it has no code.
fn line_text(line: &str) -> &str {
    match line.as_bytes() {
        [a, b, c, sep, ..]
            if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() && (*sep == b' ' || *sep == b'-') =>
        {
            &line[4..]
        }
        [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => "",
        _ => line,
    }
}

/// Why bytes from the server could not be read as a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A line longer than [`MAX_LINE_LEN`].
    #[error("reply line longer than {MAX_LINE_LEN} bytes")]
    LineTooLong,
    /// A multi-line reply with more than [`MAX_REPLY_LINES`] lines.
    #[error("reply longer than {MAX_REPLY_LINES} lines")]
    TooManyLines,
    /// A multi-line reply with more than [`MAX_REPLY_BYTES`] bytes.
    #[error("reply longer than {MAX_REPLY_BYTES} bytes")]
    TooLong,
    /// A reply whose first line does not start with a valid code.
    #[error("malformed reply line {0:?}")]
    Malformed(String),
}

/// An incremental parser of FTP replies.
///
/// Feed it bytes with [`ReplyParser::feed`] in pieces of any size, then call
/// [`ReplyParser::next_reply`] until it returns `Ok(None)`.
#[derive(Debug, Default)]
pub struct ReplyParser {
    /// Bytes received and not yet consumed as a whole line.
    buffer: Vec<u8>,
    /// The reply being assembled, while inside a multi-line reply.
    partial: Option<Reply>,
    /// The bytes in `partial` so far.
    partial_bytes: usize,
}

impl ReplyParser {
    /// A parser with nothing buffered.
    pub fn new() -> ReplyParser {
        ReplyParser::default()
    }

    /// Appends bytes received from the server.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Whether bytes are buffered that do not yet make a whole reply.
    pub fn has_pending(&self) -> bool {
        !self.buffer.is_empty() || self.partial.is_some()
    }

    /// Returns the next whole reply, `Ok(None)` if more bytes are needed.
    ///
    /// After an error the parser's state is unspecified: the connection should be dropped.
    pub fn next_reply(&mut self) -> Result<Option<Reply>, ReplyError> {
        while let Some(line) = self.take_line()? {
            if let Some(reply) = self.accept_line(line)? {
                return Ok(Some(reply));
            }
        }
        Ok(None)
    }

    /// Removes one whole line from the buffer, without its CRLF (or bare LF).
    fn take_line(&mut self) -> Result<Option<String>, ReplyError> {
        let Some(end) = self.buffer.iter().position(|&b| b == b'\n') else {
            if self.buffer.len() > MAX_LINE_LEN {
                return Err(ReplyError::LineTooLong);
            }
            return Ok(None);
        };
        if end + 1 > MAX_LINE_LEN {
            return Err(ReplyError::LineTooLong);
        }
        let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        // Losslessly: a reply may carry a name (PWD's 257) to send back.
        Ok(Some(super::wire::decode(&line).into_owned()))
    }

    /// Adds a line to the reply being built; returns the reply once it is whole.
    fn accept_line(&mut self, line: String) -> Result<Option<Reply>, ReplyError> {
        match self.partial.take() {
            None => {
                let (code, separator) = parse_first_line(&line).ok_or_else(|| ReplyError::Malformed(line.clone()))?;
                self.partial_bytes = line.len();
                let reply = Reply::new(code, vec![line]);
                if separator == Separator::Hyphen {
                    self.partial = Some(reply);
                    Ok(None)
                } else {
                    Ok(Some(reply))
                }
            }
            Some(mut reply) => {
                if reply.lines.len() >= MAX_REPLY_LINES {
                    return Err(ReplyError::TooManyLines);
                }
                self.partial_bytes += line.len();
                if self.partial_bytes > MAX_REPLY_BYTES {
                    return Err(ReplyError::TooLong);
                }
                let ends = is_last_line(&line, reply.code);
                reply.lines.push(line);
                if ends {
                    Ok(Some(reply))
                } else {
                    self.partial = Some(reply);
                    Ok(None)
                }
            }
        }
    }
}

/// What follows the code on a reply's first line.
#[derive(Debug, PartialEq, Eq)]
enum Separator {
    /// `123 text` or a bare `123`: a single-line reply.
    SpaceOrEnd,
    /// `123-text`: the first line of a multi-line reply.
    Hyphen,
}

/// Parses `NNN`, `NNN text` or `NNN-text` into the code and the separator.
fn parse_first_line(line: &str) -> Option<(ReplyCode, Separator)> {
    let bytes = line.as_bytes();
    let code = parse_code(bytes.get(..3)?)?;
    match bytes.get(3) {
        None | Some(b' ') => Some((code, Separator::SpaceOrEnd)),
        Some(b'-') => Some((code, Separator::Hyphen)),
        Some(_) => None,
    }
}

/// Three ASCII digits, the first from 1 to 5.
fn parse_code(digits: &[u8]) -> Option<ReplyCode> {
    if digits.len() != 3 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    ReplyCode::new(value)
}

/// RFC 959 §4.2: a multi-line reply ends with a line that starts with the same
/// code followed by a space (or, leniently, nothing). Lines in between may start
/// with anything, digits and even `NNN-` included.
fn is_last_line(line: &str, code: ReplyCode) -> bool {
    matches!(parse_first_line(line), Some((c, Separator::SpaceOrEnd)) if c == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Reply>, ReplyError> {
        let mut parser = ReplyParser::new();
        parser.feed(input);
        let mut replies = Vec::new();
        while let Some(reply) = parser.next_reply()? {
            replies.push(reply);
        }
        Ok(replies)
    }

    #[test]
    fn a_name_that_is_not_utf8_keeps_its_bytes() {
        let replies = parse_all(b"257 \"/caf\xe9\" is the folder\r\n").unwrap();
        let line = &replies[0].lines()[0];
        assert_eq!(super::super::wire::encode(line).as_ref(), b"257 \"/caf\xe9\" is the folder");
    }

    /// Feeds `input` in two pieces split at every byte and checks the result is the same.
    fn assert_same_on_every_split(input: &[u8]) -> Vec<Reply> {
        let whole = parse_all(input).expect("parses whole");
        for split in 0..=input.len() {
            let mut parser = ReplyParser::new();
            let mut replies = Vec::new();
            for piece in [&input[..split], &input[split..]] {
                parser.feed(piece);
                while let Some(reply) = parser.next_reply().expect("parses split") {
                    replies.push(reply);
                }
            }
            assert_eq!(replies, whole, "split at byte {split}");
        }
        let mut parser = ReplyParser::new();
        let mut replies = Vec::new();
        for byte in input {
            parser.feed(std::slice::from_ref(byte));
            while let Some(reply) = parser.next_reply().expect("parses byte by byte") {
                replies.push(reply);
            }
        }
        assert_eq!(replies, whole, "byte by byte");
        whole
    }

    #[test]
    fn single_line_reply() {
        let replies = assert_same_on_every_split(b"220 Welcome to the server\r\n");
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].code().as_u16(), 220);
        assert_eq!(replies[0].message(), "Welcome to the server");
        assert!(!replies[0].is_multiline());
    }

    #[test]
    fn bare_code_is_a_whole_reply() {
        let replies = assert_same_on_every_split(b"200\r\n");
        assert_eq!(replies[0].code().as_u16(), 200);
        assert_eq!(replies[0].message(), "");
    }

    #[test]
    fn bare_lf_line_endings_are_accepted() {
        let replies = assert_same_on_every_split(b"331 Password\n230 Hello\n");
        assert_eq!(replies.iter().map(|r| r.code().as_u16()).collect::<Vec<_>>(), [331, 230]);
    }

    #[test]
    fn multi_line_reply_with_tricky_middle_lines() {
        let input = b"211-Features:\r\n MDTM\r\n211-still going\r\n212 other code\r\n211x not the end\r\n123 digits\r\n211 End\r\n250 next\r\n";
        let replies = assert_same_on_every_split(input);
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[0].code().as_u16(), 211);
        assert_eq!(replies[0].lines().len(), 7);
        assert_eq!(replies[0].lines()[6], "211 End");
        assert_eq!(replies[1].code().as_u16(), 250);
    }

    #[test]
    fn multi_line_reply_ended_by_bare_code() {
        let replies = assert_same_on_every_split(b"230-Hi\r\n there\r\n230\r\n");
        assert_eq!(replies[0].lines(), ["230-Hi", " there", "230"]);
        assert_eq!(replies[0].text(), "230-Hi\n there\n230");
    }

    #[test]
    fn empty_lines_inside_multi_line_reply() {
        let replies = assert_same_on_every_split(b"220-\r\n\r\n\r\n220 ok\r\n");
        assert_eq!(replies[0].lines().len(), 4);
    }

    #[test]
    fn replies_without_a_code_are_malformed() {
        for bad in [
            &b"hello\r\n"[..],
            b"22 short\r\n",
            b"2200 long\r\n",
            b"abc def\r\n",
            b"\r\n",
            b"600 bad class\r\n",
            b"099 bad\r\n",
            b"220+x\r\n",
        ] {
            assert!(matches!(parse_all(bad), Err(ReplyError::Malformed(_))), "{bad:?}");
        }
    }

    #[test]
    fn an_endless_line_is_an_error_and_memory_stays_bounded() {
        let mut parser = ReplyParser::new();
        let chunk = [b'2'; 1024];
        let mut error = None;
        for _ in 0..1000 {
            parser.feed(&chunk);
            if let Err(e) = parser.next_reply() {
                error = Some(e);
                break;
            }
        }
        assert_eq!(error, Some(ReplyError::LineTooLong));
        assert!(parser.buffer.len() <= MAX_LINE_LEN + chunk.len());
    }

    #[test]
    fn a_long_line_with_its_end_is_still_too_long() {
        let mut input = b"220 ".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE_LEN));
        input.extend_from_slice(b"\r\n");
        assert_eq!(parse_all(&input), Err(ReplyError::LineTooLong));
    }

    #[test]
    fn endless_multi_line_reply_is_an_error() {
        let mut input = b"220-start\r\n".to_vec();
        for _ in 0..MAX_REPLY_LINES + 1 {
            input.extend_from_slice(b" more\r\n");
        }
        assert_eq!(parse_all(&input), Err(ReplyError::TooManyLines));
    }

    #[test]
    fn a_multi_line_reply_of_long_lines_is_bounded_in_bytes() {
        let line = format!(" {}\r\n", "x".repeat(MAX_LINE_LEN - 10));
        let mut input = b"220-start\r\n".to_vec();
        for _ in 0..(MAX_REPLY_BYTES / line.len() + 2) {
            input.extend_from_slice(line.as_bytes());
        }
        assert_eq!(parse_all(&input), Err(ReplyError::TooLong));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_rejected() {
        let replies = parse_all(b"550 caf\xe9 missing\r\n").unwrap();
        assert_eq!(replies[0].code().as_u16(), 550);
        assert!(replies[0].message().starts_with("caf"));
    }

    #[test]
    fn incomplete_input_waits_for_more() {
        let mut parser = ReplyParser::new();
        parser.feed(b"220-a\r\n220 b");
        assert_eq!(parser.next_reply(), Ok(None));
        assert!(parser.has_pending());
        parser.feed(b"\r\n");
        assert_eq!(parser.next_reply().unwrap().unwrap().lines().len(), 2);
        assert!(!parser.has_pending());
    }

    #[test]
    fn code_classes() {
        let code = |n| ReplyCode::new(n).unwrap();
        assert!(code(150).is_preliminary());
        assert!(code(226).is_completion());
        assert!(code(331).is_intermediate());
        assert!(code(421).is_transient_negative());
        assert!(code(550).is_permanent_negative());
        assert_eq!(ReplyCode::new(99), None);
        assert_eq!(ReplyCode::new(600), None);
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(chunks in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..64), 0..16)) {
            let mut parser = ReplyParser::new();
            for chunk in chunks {
                parser.feed(&chunk);
                while let Ok(Some(_)) = parser.next_reply() {}
            }
        }

        #[test]
        fn parser_never_panics_on_reply_like_input(lines in proptest::collection::vec("[1-6][0-9]{2}[ -]?[ -~]{0,10}|[ -~]{0,6}", 0..12)) {
            let input = lines.join("\r\n");
            let _ = parse_all(input.as_bytes());
        }
    }
}
