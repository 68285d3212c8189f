//! Splitting a command line into words: white space separates words, double
//! quotes group them (`get "my file"`), and a backslash takes the next
//! character literally (`get my\ file`, `get "say \"hi\""`).

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
                current.push(chars.next().ok_or(WordsError::TrailingBackslash)?);
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

/// Quotes a word so that [`split_words`] gives it back unchanged (for completion).
pub fn quote_word(word: &str) -> String {
    if !word.is_empty() && !word.chars().any(|c| c.is_whitespace() || c == '"' || c == '\\') {
        return word.to_string();
    }
    let mut quoted = String::from("\"");
    for c in word.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
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
        for word in ["plain", "with space", "quo\"te", "back\\slash", "", "-dash"] {
            assert_eq!(words(&quote_word(word)), [word]);
        }
    }
}
