//! Tab completion at the `ftp>` prompt: command names, local paths, and
//! remote paths fetched from the server (NLST) and cached per folder until
//! something changes the remote side.

use std::cell::RefCell;
use std::rc::Rc;

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::State;
use super::commands::{COMMANDS, CommandSpec, Complete, lookup};
use super::words::{hex_escape, quote_word, split_words};

/// The rustyline helper of the shell.
pub struct ShellHelper {
    state: Rc<RefCell<State>>,
}

impl ShellHelper {
    /// A helper that completes against the shell's state.
    pub fn new(state: Rc<RefCell<State>>) -> ShellHelper {
        ShellHelper { state }
    }
}

/// The word under the cursor: where it starts and its text with quotes and
/// escapes removed.
fn current_word(line: &str) -> (usize, String, usize) {
    let mut start = 0;
    let mut word = String::new();
    let mut index = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut skip = 0;
    for (i, c) in line.char_indices() {
        if skip > 0 {
            skip -= 1;
        } else if escaped {
            // `\xNN` is a byte, as in split_words.
            match hex_escape(&line[i..]) {
                Some(byte) => {
                    word.push(byte);
                    skip = 2;
                }
                // `\x` or `\xN` at the cursor: a byte being typed (or a
                // common prefix of candidates that ends inside one), so the
                // word so far is what comes before it.
                None if c == 'x' && line[i + 1..].len() < 2 && line[i + 1..].bytes().all(|b| b.is_ascii_hexdigit()) => {
                    break;
                }
                None => word.push(c),
            }
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            in_quotes = !in_quotes;
        } else if c.is_whitespace() && !in_quotes {
            if !word.is_empty() || line[..i].ends_with('"') {
                index += 1;
            }
            word.clear();
            start = i + c.len_utf8();
        } else {
            word.push(c);
        }
    }
    (start, word, index)
}

fn command_candidates(prefix: &str) -> Vec<Pair> {
    let mut names: Vec<&str> = COMMANDS
        .iter()
        .flat_map(|spec| std::iter::once(spec.name).chain(spec.aliases.iter().copied()))
        .filter(|name| name.starts_with(prefix))
        .collect();
    names.sort_unstable();
    names.into_iter().map(|name| Pair { display: name.to_string(), replacement: format!("{name} ") }).collect()
}

/// Whether a name may be shown as a candidate and put into the line being
/// edited as it is: a control or bidi character would act on the terminal.
fn insertable(name: &str) -> bool {
    !name.chars().any(|c| c.is_control() || crate::display::reorders_text(c))
}

/// The commands whose second operand is a local path (`get REMOTE LOCAL`).
const LOCAL_SECOND: &[&str] = &["get", "reget"];

/// Whether the word after `earlier` (the line before it) is a local path:
/// `Some(true)` when only folders fit (`lcd`), `Some(false)` for any path,
/// `None` when it is no local path.
fn local_word(spec: &CommandSpec, earlier: &str) -> Option<bool> {
    match spec.complete {
        Complete::Local => Some(spec.name == "lcd"),
        Complete::Remote if LOCAL_SECOND.contains(&spec.name) && (operands(earlier) >= 1 || after_dash_o(earlier)) => {
            Some(false)
        }
        _ => None,
    }
}

/// Whether the word being completed is the value of `-o` (a local path).
fn after_dash_o(earlier: &str) -> bool {
    split_words(earlier).is_ok_and(|words| words.len() > 1 && words.last().is_some_and(|w| w == "-o"))
}

/// How many operands `earlier` holds after its command name: options
/// (`-r`, and `--segments` and `-o` with their values) do not count.
fn operands(earlier: &str) -> usize {
    let Ok(words) = split_words(earlier) else { return 0 };
    let mut count = 0;
    let mut words = words.iter().skip(1);
    while let Some(word) = words.next() {
        if word == "--segments" || word == "-o" {
            words.next();
        } else if !(word.starts_with('-') && word.len() > 1) {
            count += 1;
        }
    }
    count
}

/// How the name `name` in the folder `dir` (as typed) goes into the line:
/// quoted to come back as one word, and `./` before a name at the start of
/// a word that would otherwise be read as an option (`-x`) or the home
/// folder (`~`).
fn replacement(dir: &str, name: &str) -> String {
    if dir.is_empty() && (name.starts_with('-') || name.starts_with('~')) {
        return quote_word(&format!("./{name}"));
    }
    quote_word(&format!("{dir}{name}"))
}

/// The local names that complete `prefix`; only folders when `folders_only`.
fn local_candidates(prefix: &str, folders_only: bool) -> Vec<Pair> {
    let (dir, partial) = match prefix.rfind('/') {
        Some(i) => (&prefix[..=i], &prefix[i + 1..]),
        None => ("", prefix),
    };
    // `~/` is the home folder on the line, so it is where names come from.
    let folder = if dir.is_empty() { ".".to_string() } else { super::tilde::expand(dir).into_owned() };
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Vec::new();
    };
    let mut pairs: Vec<Pair> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            if !name.starts_with(partial) || (name.starts_with('.') && !partial.starts_with('.')) {
                return None;
            }
            // Another user of a shared folder (`/tmp`) names their files as
            // they like: their escape sequences must not reach the terminal.
            if !insertable(&name) {
                return None;
            }
            // A link to a folder is a folder to `lcd` into.
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir())
                || (entry.file_type().is_ok_and(|t| t.is_symlink()) && entry.path().is_dir());
            if folders_only && !is_dir {
                return None;
            }
            let quoted = replacement(dir, &name);
            let replacement = if is_dir { format!("{quoted}/") } else { format!("{quoted} ") };
            Some(Pair { display: if is_dir { format!("{name}/") } else { name }, replacement })
        })
        .collect();
    pairs.sort_by(|a, b| a.display.cmp(&b.display));
    pairs
}

/// The most time the listing behind one completion may take.
const COMPLETION_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

fn remote_candidates(state: &mut State, prefix: &str) -> Vec<Pair> {
    let (dir, partial) = match prefix.rfind('/') {
        Some(i) => (&prefix[..=i], &prefix[i + 1..]),
        None => ("", prefix),
    };
    let names = match state.remote_names.get(dir) {
        Some(names) => names.clone(),
        None => {
            let Ok(client) = state.session.client() else {
                return Vec::new();
            };
            // The line editor waits on it, and Ctrl-C is a key there, not
            // an interrupt: the whole listing gets a bounded time.
            let wait = COMPLETION_WAIT.min(client.options().timeout);
            let listing = client.nlst_within((!dir.is_empty()).then_some(dir), wait);
            let names: Vec<String> = listing
                .unwrap_or_default()
                .into_iter()
                .map(|n| crate::names::base_name(&n).to_string())
                .filter(|n| !n.is_empty() && insertable(n))
                .collect();
            // One folder's names at a time: each listing may take up to
            // the listing limit (16 MiB), so keeping every folder completed
            // in would let memory grow with each.
            state.remote_names.clear();
            state.remote_names.insert(dir.to_string(), names.clone());
            names
        }
    };
    let mut pairs: Vec<Pair> = names
        .into_iter()
        .filter(|name| name.starts_with(partial))
        .map(|name| Pair {
            replacement: replacement(dir, &name),
            // Bytes that are not UTF-8 shown as `\xNN`, the way they are typed.
            display: crate::display::printable(&name).into_owned(),
        })
        .collect();
    pairs.sort_by(|a, b| a.display.cmp(&b.display));
    pairs
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let (start, word, index) = current_word(before);
        if index == 0 {
            return Ok((start, command_candidates(&word)));
        }
        let command = before.split_whitespace().next().unwrap_or("");
        let Ok(spec) = lookup(command) else {
            return Ok((start, Vec::new()));
        };
        if let Some(folders_only) = local_word(spec, &before[..start]) {
            return Ok((start, local_candidates(&word, folders_only)));
        }
        let candidates = match spec.complete {
            Complete::Nothing => Vec::new(),
            Complete::Command => command_candidates(&word),
            Complete::Local => local_candidates(&word, false),
            Complete::Bookmark => {
                let words = super::words::split_words(&before[..start]).unwrap_or_default();
                super::bookmark::candidates(&words, &word, crate::bookmarks::names)
            }
            Complete::Remote => match self.state.try_borrow_mut() {
                Ok(mut state) => remote_candidates(&mut state, &word),
                Err(_) => Vec::new(),
            },
        };
        Ok((start, candidates))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {}

impl Validator for ShellHelper {}

impl Helper for ShellHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_word_under_the_cursor() {
        assert_eq!(current_word("ge"), (0, "ge".into(), 0));
        assert_eq!(current_word("get "), (4, "".into(), 1));
        assert_eq!(current_word("get fi"), (4, "fi".into(), 1));
        assert_eq!(current_word("get \"my fi"), (4, "my fi".into(), 1));
        assert_eq!(current_word("get a b"), (6, "b".into(), 2));
        assert_eq!(current_word(r"get caf\xe9"), (4, "caf\u{10FFE9}".into(), 1));
        assert_eq!(current_word(r"get caf\x"), (4, "caf".into(), 1));
        assert_eq!(current_word(r"get caf\xe"), (4, "caf".into(), 1));
        assert_eq!(current_word(r"get caf\xyz"), (4, "cafxyz".into(), 1));
    }

    /// A co-user of a shared folder can name a file `evil\e[31m…` or with
    /// a bidi override: local completion offers neither, as remote
    /// completion does not. (Before the fix both were listed raw on the
    /// terminal.)
    #[test]
    fn local_names_that_would_act_on_the_terminal_are_not_offered() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["evil\u{1b}[31mred", "bidi\u{202e}txt.exe", "plain.txt"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let prefix = format!("{}/", dir.path().display());
        let offered: Vec<String> = local_candidates(&prefix, false).into_iter().map(|p| p.display).collect();
        assert_eq!(offered, ["plain.txt"]);
    }

    fn local_names(line: &str, dir: &std::path::Path) -> Option<Vec<String>> {
        let (start, word, _) = current_word(line);
        let command = line.split_whitespace().next().unwrap_or_default();
        let folders_only = local_word(lookup(command).ok()?, &line[..start])?;
        let prefix = format!("{}/{word}", dir.display());
        Some(local_candidates(&prefix, folders_only).into_iter().map(|p| p.display).collect())
    }

    /// `lcd` offers folders only (links to folders too); `put`, `mput`,
    /// `reput`, `append` and `lls` any local path; `get` and `reget` their
    /// second operand, after any options.
    #[test]
    fn local_paths_complete_where_a_local_path_goes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("docs")).unwrap();
        std::fs::write(dir.path().join("data.txt"), b"").unwrap();
        std::os::unix::fs::symlink(dir.path().join("docs"), dir.path().join("dlink")).unwrap();
        let everything = Some(vec!["data.txt".to_string(), "dlink/".into(), "docs/".into()]);
        assert_eq!(local_names("lcd d", dir.path()), Some(vec!["dlink/".to_string(), "docs/".into()]));
        for line in ["put d", "mput a.txt d", "reput d", "append d", "lls -l d", "get remote d", "get -r r d"] {
            assert_eq!(local_names(line, dir.path()), everything, "{line}");
        }
        assert_eq!(local_names("get --segments 4 remote d", dir.path()), everything);
        // `-o`'s value is the local name; the operand after it the remote one.
        assert_eq!(local_names("get -o d", dir.path()), everything);
        assert_eq!(local_names("get remote -o d", dir.path()), everything);
        assert_eq!(local_names("get -o x d", dir.path()), None);
        assert_eq!(local_names("reget \"a b\" d", dir.path()), everything);
        // The remote operand, and remote-only commands, are not local.
        for line in ["get d", "get -r d", "get --segments 4 d", "cd d", "mget d"] {
            assert_eq!(local_names(line, dir.path()), None, "{line}");
        }
    }

    /// A server's (or a co-user's) file named `|cmd`, completed into `ls `,
    /// must come back as that name, never as a pipe into `cmd`; `-x` and
    /// `~x` must not become an option or the home folder. (Before the fix
    /// `ls |touch${IFS}x` was put on the line, and Enter ran `touch`.)
    #[test]
    fn completed_names_are_never_pipes_options_or_home() {
        for (dir, name) in [("", "|touch${IFS}x"), ("", "|a b"), ("d/", "|x"), ("", "-r"), ("", "~"), ("", "~/x")] {
            let line = format!("ls {}", replacement(dir, name));
            let (command, pipe) = super::super::pipe::split_target(&line, "ls");
            assert_eq!(pipe, None, "{line}");
            let words = split_words(command).unwrap();
            let expected =
                if dir.is_empty() && !name.starts_with('|') { format!("./{name}") } else { format!("{dir}{name}") };
            assert_eq!(words, ["ls", expected.as_str()], "{line}");
        }
        assert_eq!(replacement("", "plain"), "plain");
    }

    #[test]
    fn completes_command_names() {
        let names: Vec<String> = command_candidates("mg").into_iter().map(|p| p.replacement).collect();
        assert_eq!(names, ["mget "]);
        assert!(command_candidates("").len() >= COMMANDS.len());
    }
}
