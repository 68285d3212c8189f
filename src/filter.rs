//! Which paths a mirror takes: `--exclude` and `--include` patterns, with
//! the rules people know from `.gitignore` and rsync.
//!
//! Paths are relative to the mirrored folder, with `/` between names.
//!
//! - A pattern without `/` (other than a trailing one) matches a name at any
//!   depth: `*.tmp` matches `a.tmp` and `x/y/a.tmp`.
//! - A pattern with a `/` is matched against the whole relative path; a
//!   leading `/` only anchors it (`/build` is the top `build`, not `x/build`).
//! - `*` matches any run of characters but `/`, `?` one character but `/`,
//!   `[abc]`, `[a-z]` and `[!a-z]` (or `[^a-z]`) one character of a set;
//!   `\` makes the next character plain (`\*`, `\[`).
//! - `**` crosses `/`: `docs/**` is everything inside `docs`, `**/cache` a
//!   `cache` at any depth (the top one too), `a/**/b` is `a/b`, `a/x/b`, ….
//! - A trailing `/` matches folders only: `build/`.
//!
//! Includes and excludes combine in one fixed way, whatever their order on
//! the command line:
//! - With includes only, a file is taken when an include matches it: so
//!   `--include '*.c'` takes the C files of every folder (folders are always
//!   entered, as no exclude leaves any out).
//! - With excludes, an include is an exception to them: a path an include
//!   matches is taken, else one an exclude matches is left out, else it is
//!   taken. So `--exclude '*.log' --include keep.log` leaves out every log
//!   but `keep.log`, and `--exclude '*' --include '*.c'` takes the C files
//!   at the top (rsync's `--include '*.c' --exclude '*'`).
//! - A folder an exclude leaves out is not listed, and nothing inside it is
//!   taken, unless an anchored include reaches into it: then it is listed
//!   and only what includes match inside it is taken. So
//!   `--exclude '*' --include 'docs/**'` takes `docs` and nothing else, and
//!   `--exclude build/ --include build/keep` takes `build/keep` alone of
//!   `build`.

/// A pattern that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed pattern {pattern:?}: {problem}")]
pub struct FilterError {
    /// The pattern as the user gave it.
    pub pattern: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

/// The include and exclude patterns of one mirror.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    excludes: Vec<Pattern>,
    includes: Vec<Pattern>,
}

impl Filter {
    /// Compiles the patterns; the first malformed one (`[a-`, a lone
    /// trailing `\`, an empty pattern) is an error naming it.
    pub fn new(excludes: &[String], includes: &[String]) -> Result<Filter, FilterError> {
        let compile = |patterns: &[String]| patterns.iter().map(|p| Pattern::new(p)).collect::<Result<Vec<_>, _>>();
        Ok(Filter { excludes: compile(excludes)?, includes: compile(includes)? })
    }

    /// Whether there are no patterns at all (everything is taken).
    pub fn is_empty(&self) -> bool {
        self.excludes.is_empty() && self.includes.is_empty()
    }

    /// Whether the mirror takes `relative_path` (a folder when `is_dir`).
    /// The folders on the way are judged too, so a caller may ask about any
    /// path, not only the ones it lists.
    pub fn allows(&self, relative_path: &str, is_dir: bool) -> bool {
        let path = relative_path.trim_start_matches("./").trim_matches('/');
        if path.is_empty() || self.is_empty() {
            return true;
        }
        let mut verdict = Verdict::Take;
        for (at, _) in path.match_indices('/') {
            verdict = self.decide(&path[..at], true, verdict);
            if verdict == Verdict::Leave {
                return false;
            }
        }
        self.decide(path, is_dir, verdict) != Verdict::Leave
    }

    /// The rule of the module's documentation, for one path, given what
    /// became of the folder holding it.
    fn decide(&self, path: &str, is_dir: bool, folder: Verdict) -> Verdict {
        if self.includes.iter().any(|p| p.matches(path, is_dir)) {
            return Verdict::Take;
        }
        let excluded = folder == Verdict::OnlyIncluded || self.excludes.iter().any(|p| p.matches(path, is_dir));
        if is_dir && self.includes.iter().any(|p| p.may_match_inside(path)) {
            return if excluded { Verdict::OnlyIncluded } else { Verdict::Take };
        }
        let taken = !excluded && (is_dir || !self.excludes.is_empty() || self.includes.is_empty());
        if taken { Verdict::Take } else { Verdict::Leave }
    }
}

/// What becomes of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Take,
    Leave,
    /// A folder an exclude leaves out but an include reaches into: listed,
    /// and of what is inside only what an include matches is taken.
    OnlyIncluded,
}

/// One compiled pattern.
#[derive(Debug, Clone)]
struct Pattern {
    /// Matched against the whole path; else against the last name only.
    anchored: bool,
    /// Matches folders only (a trailing `/`).
    folders_only: bool,
    tokens: Vec<Token>,
    /// The tokens of each `/`-separated part, to tell whether a folder may
    /// hold a match ([`Pattern::may_match_inside`]).
    parts: Vec<Vec<Token>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Char(char),
    /// `?`
    AnyChar,
    /// `*`: within one name.
    Star,
    /// `**` not followed by `/`: anything, `/` included.
    AnyPath,
    /// `**/` at the start or after a `/`: no folder or any number of them.
    AnyFolders,
    /// `[...]`
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Pattern {
    fn new(text: &str) -> Result<Pattern, FilterError> {
        let error = |problem| FilterError { pattern: text.to_string(), problem };
        let folders_only = text.ends_with('/');
        let body = text.trim_end_matches('/');
        let (leading_slash, body) = match body.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, body),
        };
        if body.is_empty() {
            return Err(error("it names no file or folder"));
        }
        let tokens = tokenize(body).map_err(error)?;
        let anchored = leading_slash || tokens.iter().any(|t| matches!(t, Token::Char('/') | Token::AnyFolders));
        let parts = split_parts(&tokens);
        Ok(Pattern { anchored, folders_only, tokens, parts })
    }

    fn matches(&self, path: &str, is_dir: bool) -> bool {
        if self.folders_only && !is_dir {
            return false;
        }
        let subject = if self.anchored { path } else { path.rsplit('/').next().unwrap_or(path) };
        glob_match(&self.tokens, &subject.chars().collect::<Vec<_>>())
    }

    /// Whether something inside the folder `path` could match: its names
    /// match the pattern's first parts, and a part is left for the entry, or
    /// a `**` comes first. Only anchored patterns can tell.
    fn may_match_inside(&self, path: &str) -> bool {
        if !self.anchored {
            return false;
        }
        let mut names = path.split('/');
        for part in &self.parts {
            if part.iter().any(|t| matches!(t, Token::AnyPath | Token::AnyFolders)) {
                return true;
            }
            match names.next() {
                None => return true,
                Some(name) if glob_match(part, &name.chars().collect::<Vec<_>>()) => {}
                Some(_) => return false,
            }
        }
        false
    }
}

/// The pattern's tokens, `/` excluded, one list per part between slashes;
/// `**/` counts as a part of its own.
fn split_parts(tokens: &[Token]) -> Vec<Vec<Token>> {
    let mut parts: Vec<Vec<Token>> = vec![Vec::new()];
    for token in tokens {
        if *token == Token::Char('/') {
            parts.push(Vec::new());
            continue;
        }
        if let Some(part) = parts.last_mut() {
            part.push(token.clone());
        }
        if *token == Token::AnyFolders {
            parts.push(Vec::new());
        }
    }
    parts
}

fn tokenize(body: &str) -> Result<Vec<Token>, &'static str> {
    let chars: Vec<char> = body.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        at += 1;
        match c {
            '\\' => {
                let escaped = chars.get(at).ok_or("it ends with a lone \\")?;
                tokens.push(Token::Char(*escaped));
                at += 1;
            }
            '?' => tokens.push(Token::AnyChar),
            '[' => {
                let (class, next) = class(&chars, at)?;
                tokens.push(class);
                at = next;
            }
            '*' if chars.get(at) == Some(&'*') => {
                while chars.get(at) == Some(&'*') {
                    at += 1;
                }
                let starts_part = tokens.is_empty() || tokens.last() == Some(&Token::Char('/'));
                if starts_part && chars.get(at) == Some(&'/') {
                    at += 1;
                    tokens.push(Token::AnyFolders);
                } else {
                    tokens.push(Token::AnyPath);
                }
            }
            '*' => tokens.push(Token::Star),
            other => tokens.push(Token::Char(other)),
        }
    }
    Ok(tokens)
}

/// A `[...]` set starting after its `[` at `chars[at]`: the token and where
/// the pattern goes on.
fn class(chars: &[char], mut at: usize) -> Result<(Token, usize), &'static str> {
    const UNCLOSED: &str = "a [ is never closed by ]";
    let negated = matches!(chars.get(at), Some('!' | '^'));
    if negated {
        at += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let mut c = *chars.get(at).ok_or(UNCLOSED)?;
        at += 1;
        if c == ']' && !first {
            return Ok((Token::Class { negated, ranges }, at));
        }
        first = false;
        if c == '\\' {
            c = *chars.get(at).ok_or(UNCLOSED)?;
            at += 1;
        }
        let is_range = chars.get(at) == Some(&'-') && chars.get(at + 1).is_some_and(|next| *next != ']');
        if !is_range {
            ranges.push((c, c));
            continue;
        }
        let mut high = *chars.get(at + 1).ok_or(UNCLOSED)?;
        at += 2;
        if high == '\\' {
            high = *chars.get(at).ok_or(UNCLOSED)?;
            at += 1;
        }
        if high < c {
            return Err("a range in [...] runs backwards");
        }
        ranges.push((c, high));
    }
}

/// Whether `tokens` match all of `text`: a table of which token matches
/// from which position on, filled from the end, so any pattern costs at
/// most tokens × characters steps and no recursion.
fn glob_match(tokens: &[Token], text: &[char]) -> bool {
    let n = text.len();
    // `after[p]`: the tokens after the current one match `text[p..]`.
    let mut after: Vec<bool> = (0..=n).map(|p| p == n).collect();
    for token in tokens.iter().rev() {
        let mut here = vec![false; n + 1];
        // For `**/`: some later `/` (from p on) is followed by a match.
        let mut slash_then_match = false;
        for p in (0..=n).rev() {
            let c = text.get(p).copied();
            here[p] = match token {
                Token::Star => after[p] || (c.is_some_and(|c| c != '/') && here[p + 1]),
                Token::AnyPath => after[p] || (c.is_some() && here[p + 1]),
                Token::AnyFolders => {
                    slash_then_match |= c == Some('/') && after[p + 1];
                    after[p] || slash_then_match
                }
                single => c.is_some_and(|c| matches_one(single, c)) && after[p + 1],
            };
        }
        after = here;
    }
    after[0]
}

/// Whether a one-character token matches `c`.
fn matches_one(token: &Token, c: char) -> bool {
    match token {
        Token::Char(expected) => *expected == c,
        Token::AnyChar => c != '/',
        Token::Class { negated, ranges } => {
            c != '/' && ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
        }
        Token::Star | Token::AnyPath | Token::AnyFolders => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(excludes: &[&str], includes: &[&str]) -> Filter {
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Filter::new(&owned(excludes), &owned(includes)).unwrap()
    }

    /// The files among `paths` that `filter` takes.
    fn taken<'a>(filter: &Filter, paths: &[&'a str]) -> Vec<&'a str> {
        paths.iter().copied().filter(|p| filter.allows(p, false)).collect()
    }

    #[test]
    fn no_patterns_take_everything() {
        let f = filter(&[], &[]);
        assert!(f.allows("a/b/c", false) && f.allows("a", true) && f.allows("", true));
    }

    #[test]
    fn a_name_pattern_matches_at_any_depth() {
        let f = filter(&["*.tmp"], &[]);
        assert_eq!(taken(&f, &["a.tmp", "x/y/b.tmp", "a.tmp.txt", "tmp", "x.tmp/keep"]), ["a.tmp.txt", "tmp"]);
        // `x.tmp` is a folder matching the pattern: left out, and all inside it.
        assert!(!f.allows("x.tmp", true));
    }

    #[test]
    fn a_pattern_with_a_slash_is_matched_against_the_whole_path() {
        let f = filter(&["build/*.o"], &[]);
        assert_eq!(
            taken(&f, &["build/a.o", "src/build/a.o", "build/sub/a.o", "a.o"]),
            ["src/build/a.o", "build/sub/a.o", "a.o"]
        );
        let anchored = filter(&["/notes"], &[]);
        assert_eq!(taken(&anchored, &["notes", "x/notes", "notes.txt"]), ["x/notes", "notes.txt"]);
    }

    #[test]
    fn stars_and_question_marks_stay_within_a_name() {
        let f = filter(&["a/*"], &[]);
        assert!(!f.allows("a/x", false));
        // `a/x/y` is left out because `a/x`, a folder, is.
        assert!(!f.allows("a/x", true) && !f.allows("a/x/y", false));
        let f = filter(&["a/?/c"], &[]);
        assert_eq!(taken(&f, &["a/b/c", "a/bb/c", "a//c"]), ["a/bb/c", "a//c"]);
        let f = filter(&["a*c"], &[]);
        assert_eq!(taken(&f, &["abc", "ac", "a/c", "abd"]), ["a/c", "abd"]);
    }

    #[test]
    fn double_stars_cross_slashes() {
        let f = filter(&["docs/**"], &[]);
        assert_eq!(taken(&f, &["docs/a", "docs/a/b/c", "docs", "src/docs/a"]), ["docs", "src/docs/a"]);
        assert!(f.allows("docs", true), "docs/** is what is inside docs, not docs");
        let f = filter(&["**/cache"], &[]);
        assert_eq!(taken(&f, &["cache", "a/cache", "a/b/cache", "cache2", "a/cache/x"]), ["cache2"]);
        let f = filter(&["a/**/b"], &[]);
        assert_eq!(taken(&f, &["a/b", "a/x/b", "a/x/y/b", "a/xb", "b"]), ["a/xb", "b"]);
        let f = filter(&["src/**.rs"], &[]);
        assert_eq!(taken(&f, &["src/a.rs", "src/x/y.rs", "a.rs"]), ["a.rs"]);
    }

    #[test]
    fn a_trailing_slash_matches_folders_only() {
        let f = filter(&["target/"], &[]);
        assert!(!f.allows("target", true) && !f.allows("x/target", true));
        assert!(f.allows("target", false), "a file named target is no folder");
        assert!(!f.allows("x/target/debug/app", false), "everything inside a left-out folder is left out");
    }

    #[test]
    fn includes_alone_take_only_what_they_match_and_every_folder() {
        let f = filter(&[], &["*.c"]);
        assert_eq!(taken(&f, &["main.c", "src/lib.c", "src/lib.h", "README"]), ["main.c", "src/lib.c"]);
        assert!(f.allows("src", true) && f.allows("src/deep/er", true), "folders are descended into");
    }

    #[test]
    fn an_include_is_an_exception_to_the_excludes() {
        let f = filter(&["*.log"], &["keep.log"]);
        assert_eq!(taken(&f, &["a.log", "keep.log", "x/keep.log", "a.txt"]), ["keep.log", "x/keep.log", "a.txt"]);
        // Whatever the order on the command line: rsync's `--include '*.c' --exclude '*'`.
        let f = filter(&["*"], &["*.c"]);
        assert_eq!(taken(&f, &["a.c", "b.h", "src/c.c"]), ["a.c"], "src is excluded by `*`, as with rsync");
    }

    #[test]
    fn an_excluded_folder_is_not_entered_even_for_an_include() {
        let f = filter(&["build/"], &[]);
        assert!(!f.allows("build", true) && !f.allows("build/keep", false));
        let f = filter(&["build/"], &["*.keep"]);
        assert!(!f.allows("build", true) && !f.allows("build/a.keep", false), "a name include reaches into nothing");
    }

    #[test]
    fn a_folder_an_anchored_include_reaches_into_stays_open() {
        let f = filter(&["build/"], &["build/keep"]);
        assert!(f.allows("build", true));
        assert_eq!(taken(&f, &["build/keep", "build/other", "build/sub/keep", "src/a"]), ["build/keep", "src/a"]);
        assert!(!f.allows("build/sub", true), "only what an include matches is taken inside");
        let f = filter(&["*"], &["docs/**"]);
        assert!(f.allows("docs", true));
        assert_eq!(taken(&f, &["docs/a.md", "docs/x/b.md", "src/a.rs", "top.txt"]), ["docs/a.md", "docs/x/b.md"]);
        let f = filter(&["*"], &["a/*/c.txt"]);
        assert!(f.allows("a", true) && f.allows("a/b", true) && !f.allows("z", true));
        assert_eq!(taken(&f, &["a/b/c.txt", "a/b/d.txt", "a/c.txt"]), ["a/b/c.txt"]);
        let f = filter(&["*"], &["**/keep"]);
        assert!(f.allows("x/y/keep", false) && !f.allows("x/y/lose", false));
    }

    #[test]
    fn character_sets() {
        let f = filter(&["[abc].txt", "file[0-9]", "[!x]y"], &[]);
        assert_eq!(
            taken(&f, &["a.txt", "d.txt", "file1", "filex", "zy", "xy", "[abc].txt"]),
            ["d.txt", "filex", "xy", "[abc].txt"]
        );
        let f = filter(&["[^a-c]z", "[]]", "[a-]"], &[]);
        assert_eq!(taken(&f, &["dz", "az", "]", "-", "a", "b"]), ["az", "b"]);
        let f = filter(&["x[/]y"], &[]);
        assert!(f.allows("x/y", false), "a set never matches /");
    }

    #[test]
    fn backslash_makes_a_character_plain() {
        let f = filter(&[r"\*.txt", r"a\[1\]", r"q\?"], &[]);
        assert_eq!(taken(&f, &["*.txt", "b.txt", "a[1]", "a1", "q?", "qx"]), ["b.txt", "a1", "qx"]);
    }

    #[test]
    fn names_with_spaces_dots_brackets_and_other_scripts() {
        let f = filter(&["my file*", ".*", "* (copy).*", "résumé?.pdf", "日本*", "[[]draft]*"], &[]);
        assert_eq!(
            taken(
                &f,
                &[
                    "my file.txt",
                    "dir/my file",
                    "myfile",
                    ".hidden",
                    "a/.git",
                    "x.y",
                    "photo (copy).jpg",
                    "photo.jpg",
                    "résumé1.pdf",
                    "resume1.pdf",
                    "日本語.txt",
                    "中文.txt",
                    "[draft] plan",
                    "draft plan",
                ]
            ),
            ["myfile", "x.y", "photo.jpg", "resume1.pdf", "中文.txt", "draft plan"]
        );
        assert!(!f.allows(".git", true), "a hidden folder is matched by .* too");
        let f = filter(&["a b/c d/*"], &[]);
        assert!(!f.allows("a b/c d/e f", false) && f.allows("a b/c e/f", false));
    }

    #[test]
    fn paths_may_come_with_a_leading_dot_slash_or_slashes() {
        let f = filter(&["/top"], &[]);
        assert!(!f.allows("./top", false) && !f.allows("/top", false) && !f.allows("top/", true));
    }

    #[test]
    fn malformed_patterns_are_errors_naming_them() {
        for (bad, problem) in [
            ("[a-", "never closed"),
            ("x[", "never closed"),
            ("[]", "never closed"),
            ("[!", "never closed"),
            ("[z-a]", "backwards"),
            ("tail\\", "lone"),
            ("", "names no"),
            ("/", "names no"),
        ] {
            let error = Filter::new(&[], &[bad.to_string()]).unwrap_err();
            assert_eq!(error.pattern, bad);
            let message = error.to_string();
            assert!(message.contains(&format!("{bad:?}")) && message.contains(problem), "{message}");
            assert!(Filter::new(&[bad.to_string()], &[]).is_err(), "{bad}");
        }
    }

    #[test]
    fn many_stars_on_a_long_name_cost_little() {
        let f = filter(&["*a*a*a*a*a*a*a*a*a*b"], &[]);
        let name = "a".repeat(4000);
        let started = std::time::Instant::now();
        assert!(f.allows(&name, false));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
