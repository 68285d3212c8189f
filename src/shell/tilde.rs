//! `~` in local paths typed at the shell: `~` alone and `~/…` stand for the
//! home folder (`dirs::home_dir`), as in a Unix shell. `~user` is left as
//! it is (a file of that name), and remote paths are never expanded: `~`
//! means nothing to an FTP server but may be a real name there.

use std::borrow::Cow;

/// `word` with a leading `~` or `~/` replaced by the home folder; unchanged
/// when it has neither, or when the home folder is unknown or not UTF-8
/// (the word is then the file it names literally).
pub(super) fn expand(word: &str) -> Cow<'_, str> {
    expand_with(word, dirs::home_dir().as_deref().and_then(std::path::Path::to_str))
}

/// [`expand`] with the home folder given.
fn expand_with<'a>(word: &'a str, home: Option<&str>) -> Cow<'a, str> {
    let Some(rest) = word.strip_prefix('~') else { return Cow::Borrowed(word) };
    match home {
        Some(home) if rest.is_empty() || rest.starts_with('/') => {
            // `~/x` with home `/`: `/x`, not `//x`.
            let home = if rest.is_empty() { home } else { home.trim_end_matches('/') };
            Cow::Owned(format!("{home}{rest}"))
        }
        _ => Cow::Borrowed(word),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_and_paths_beneath_it() {
        let home = Some("/home/ann");
        assert_eq!(expand_with("~", home), "/home/ann");
        assert_eq!(expand_with("~/", home), "/home/ann/");
        assert_eq!(expand_with("~/d/*.txt", home), "/home/ann/d/*.txt");
        assert_eq!(expand_with("~/x", Some("/")), "/x");
    }

    #[test]
    fn other_words_stay_as_typed() {
        let home = Some("/home/ann");
        assert_eq!(expand_with("~bob/x", home), "~bob/x");
        assert_eq!(expand_with("a/~/b", home), "a/~/b");
        assert_eq!(expand_with("-", home), "-");
        assert_eq!(expand_with("~", None), "~");
    }
}
