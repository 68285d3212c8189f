//! Splitting a command line into words: white space separates words, double
//! quotes group them (`get "my file"`), and a backslash takes the next
//! character literally (`get my\ file`, `get "say \"hi\""`).
//!
//! `\xNN` (two hex digits) is the byte NN: names that are not UTF-8 are shown
//! that way ([`crate::display`]), and typed back the same way
//! (`get caf\xe9.txt` sends the Latin-1 byte E9).

use crate::protocol::wire;

/// Why a line could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WordsError {
    /// A `"` with no closing `"`.
    #[error("unterminated quote")]
    UnterminatedQuote,
    /// A line ending in a lone backslash.
    #[error("a backslash at the end of the line escapes nothing")]
    TrailingBackslash,
}

/// Splits `line` into words.
pub fn split_words(line: &str) -> Result<Vec<String>, WordsError> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut in_quotes = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                match hex_escape(chars.as_str()) {
                    Some(byte) => {
                        current.push(byte);
                        chars.nth(2);
                    }
                    None => current.push(chars.next().ok_or(WordsError::TrailingBackslash)?),
                }
                in_word = true;
            }
            '"' => {
                in_quotes = !in_quotes;
                in_word = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_quotes {
        return Err(WordsError::UnterminatedQuote);
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

/// The character that `\xNN` at the start of `rest` (what follows a
/// backslash) stands for: a byte that is not UTF-8 as [`wire`] keeps it, an
/// ASCII byte as itself.
pub fn hex_escape(rest: &str) -> Option<char> {
    let digits = rest.strip_prefix('x')?.get(..2)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = u8::from_str_radix(digits, 16).ok()?;
    wire::byte_char(byte).or(Some(char::from(byte)))
}

/// Quotes a word so that [`split_words`] gives it back unchanged (for
/// completion); bytes that are not UTF-8 are written `\xNN`. A leading `|`
/// is escaped: unescaped it would start a pipe's local command
/// ([`super::pipe`]), so a server's file `|cmd` completed into `ls ` would
/// run `cmd` on Enter.
pub fn quote_word(word: &str) -> String {
    if let Some(rest) = word.strip_prefix('|') {
        return format!("\\|{}", quote_word(rest));
    }
    let plain = |c: char| !(c.is_whitespace() || c == '"' || c == '\\' || wire::char_byte(c).is_some());
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_string();
    }
    let needs_quotes = word.is_empty() || word.chars().any(|c| c.is_whitespace() || c == '"');
    let mut quoted = String::new();
    if needs_quotes {
        quoted.push('"');
    }
    for c in word.chars() {
        if let Some(byte) = wire::char_byte(c) {
            quoted.push_str(&format!("\\x{byte:02x}"));
            continue;
        }
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    if needs_quotes {
        quoted.push('"');
    }
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split_words(line).unwrap()
    }

    #[test]
    fn splits_on_white_space() {
        assert_eq!(words("  get  a   b "), ["get", "a", "b"]);
        assert!(words("   ").is_empty());
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(words(r#"get "my file.txt" local"#), ["get", "my file.txt", "local"]);
        assert_eq!(words(r"get my\ file"), ["get", "my file"]);
        assert_eq!(words(r#"put "say \"hi\"" x"#), ["put", "say \"hi\"", "x"]);
        assert_eq!(words(r#"a"b c"d"#), ["ab cd"]);
        assert_eq!(words(r#"rm """#), ["rm", ""]);
        assert_eq!(words("get ünï cödé"), ["get", "ünï", "cödé"]);
    }

    #[test]
    fn errors() {
        assert_eq!(split_words(r#"get "open"#), Err(WordsError::UnterminatedQuote));
        assert_eq!(split_words(r"get a\"), Err(WordsError::TrailingBackslash));
    }

    #[test]
    fn quoting_round_trips() {
        for word in ["plain", "with space", "quo\"te", "back\\slash", "", "-dash", "a\\xe9", "caf\u{10FFE9} x"] {
            assert_eq!(words(&quote_word(word)), [word]);
        }
        assert_eq!(quote_word("caf\u{10FFE9}"), r"caf\xe9");
    }

    #[test]
    fn hex_escapes_are_bytes() {
        assert_eq!(words(r"get caf\xe9.txt \x41\x20b"), ["get", "caf\u{10FFE9}.txt", "A b"]);
        assert_eq!(words(r#"get "\x93\xFA x""#), ["get", "\u{10FF93}\u{10FFFA} x"]);
        // Not two hex digits: the backslash takes the next character, as before.
        assert_eq!(words(r"a\xg \x4"), ["axg", "x4"]);
        assert_eq!(words(r"a\\xe9"), ["a\\xe9"]);
    }
}
