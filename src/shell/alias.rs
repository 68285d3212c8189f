//! Aliases: `alias NAME COMMAND [ARGS...]` makes NAME stand for a command
//! line's start (`alias ll ls -l`, then `ll pub` runs `ls -l pub`);
//! `unalias NAME` forgets one and `alias` alone lists them.
//!
//! They are kept beside the history, in `aliases` in rftp's data folder
//! (`~/.local/share/rftp/aliases`, mode 0600), one `NAME COMMAND…` a line
//! as a person would write it; `#` lines are comments.
//!
//! The rules keep expansion simple and finite: an alias replaces the first
//! word only, once; its command must be one of rftp's own (an abbreviation
//! or built-in alias is fine, another user alias is not), so an alias can
//! never name itself or a cycle; and a name rftp already uses (`get`,
//! `dir`) is refused rather than shadowed, so `help` and scripts keep
//! their meaning. An alias does win over an abbreviation (`alias g get`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::commands::{COMMANDS, Call, lookup};
use super::words::{quote_word, split_words};
use super::{Flow, State};
use crate::session::Error;

/// The aliases, by name, each with the command line it stands for.
#[derive(Debug, Default)]
pub struct Aliases {
    by_name: BTreeMap<String, String>,
    /// Where they are kept; none when there is no data folder (nothing is saved).
    file: Option<PathBuf>,
    /// Why the file could not be read, when it exists but could not: it is
    /// then never written over, which would lose every alias it holds.
    unreadable: Option<String>,
}

/// The file the aliases are kept in, beside the history.
fn default_file() -> Option<PathBuf> {
    crate::config::history_path().and_then(|history| Some(history.parent()?.join("aliases")))
}

impl Aliases {
    /// The aliases saved in the data folder (none when there is no file);
    /// a line that is not an alias is skipped with a warning naming it.
    pub fn load() -> Aliases {
        let file = default_file();
        let mut aliases = Aliases { by_name: BTreeMap::new(), file: file.clone(), unreadable: None };
        let Some(file) = file else { return aliases };
        // The file decides what commands run: only one of the user's own.
        match crate::config::read_own_file(&file) {
            Ok(Some(text)) => aliases.read(&text, &file),
            Ok(None) => {}
            Err(e) => {
                errln!("rftp: warning: cannot read the aliases in {}: {e}", file.display());
                aliases.unreadable = Some(e.to_string());
            }
        }
        aliases
    }

    /// Takes the aliases in `text` (the file at `file`).
    fn read(&mut self, text: &str, file: &Path) {
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, command) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            match check(name, command.trim(), |word| self.by_name.contains_key(word)) {
                Ok(()) => {
                    self.by_name.insert(name.to_string(), command.trim().to_string());
                }
                Err(why) => errln!("rftp: warning: {} line {}: skipped: {why}", file.display(), index + 1),
            }
        }
    }

    /// `words` with its first word replaced by the command line it is an
    /// alias for, if it is one; the result is never expanded again.
    pub fn expand(&self, words: Vec<String>) -> Result<Vec<String>, Error> {
        let Some(command) = words.first().and_then(|first| self.by_name.get(first)) else { return Ok(words) };
        let mut expanded = split_words(command).map_err(|e| Error::Usage(format!("alias {}: {e}", words[0])))?;
        expanded.extend(words.into_iter().skip(1));
        Ok(expanded)
    }

    /// The command `word` runs: the first word of the command line it is
    /// an alias for, or `word` itself. Where a pipe starts depends on the
    /// command that runs, not on the alias's name (`alias l ls`, `l |wc`).
    pub fn command_of<'a>(&'a self, word: &'a str) -> &'a str {
        self.by_name.get(word).and_then(|command| command.split_whitespace().next()).unwrap_or(word)
    }

    /// The command line alias `name` stands for, if it is one.
    pub fn command(&self, name: &str) -> Option<&str> {
        self.by_name.get(name).map(String::as_str)
    }

    /// The aliases' names.
    pub fn names(&self) -> Vec<&str> {
        self.by_name.keys().map(String::as_str).collect()
    }

    /// Writes the aliases to their file: a new file renamed over the old,
    /// readable by its owner only.
    fn save(&self) -> Result<(), Error> {
        let Some(file) = &self.file else {
            return Err(Error::Local("alias: no data folder known; the alias lasts for this session only".into()));
        };
        if let Some(why) = &self.unreadable {
            return Err(Error::Local(format!(
                "alias: not saved, so as not to write over {} (it could not be read: {why}); \
                 the change lasts for this session only",
                file.display()
            )));
        }
        let failed = |e: std::io::Error| Error::Local(format!("alias: cannot save {}: {e}", file.display()));
        let mut text = String::from("# rftp aliases: NAME COMMAND [ARGS...] (see `help alias`)\n");
        for (name, command) in &self.by_name {
            text.push_str(&format!("{name} {command}\n"));
        }
        crate::config::write_own_file(file, text.as_bytes()).map_err(failed)
    }
}

/// Whether `name` may be an alias for `command` (a command line as typed);
/// the reason when not.
fn check(name: &str, command: &str, is_alias: impl Fn(&str) -> bool) -> Result<(), String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_.+-".contains(c);
    if name.is_empty() || name.starts_with('-') || !name.chars().all(plain) {
        return Err(format!("{name:?} is not a name for an alias (letters, digits, _ . + -)"));
    }
    let taken = COMMANDS.iter().any(|spec| spec.name == name || spec.aliases.contains(&name));
    if taken {
        return Err(format!("{name:?} is an rftp command already"));
    }
    // One alias is one line of the file.
    if command.chars().any(char::is_control) {
        return Err(format!("{name}: the command holds a control character"));
    }
    let words = split_words(command).map_err(|e| format!("{name}: {e}"))?;
    let Some(first) = words.first() else { return Err(format!("{name}: no command")) };
    // An abbreviation that is also an alias's name (`ll`, of `lls`) is
    // taken as the alias when typed, so it is refused here too.
    if first == name || is_alias(first) || lookup(first).is_err() {
        // Another alias included: one step of expansion, never a loop.
        return Err(format!("{name}: {first:?} is not an rftp command (an alias names a command, not an alias)"));
    }
    if !super::may_save_in_history(command) {
        return Err(format!("{name}: the command holds a password; aliases are saved in a file"));
    }
    Ok(())
}

/// `alias [NAME [COMMAND [ARGS...]]]`.
pub(super) fn alias(state: &mut State, call: &Call) -> Result<Flow, Error> {
    match call.args {
        [] => {
            for (name, command) in &state.aliases.by_name {
                outln!("{name}\t{command}");
            }
        }
        [name] => match state.aliases.by_name.get(name) {
            Some(command) => outln!("{name}\t{command}"),
            None => return Err(Error::Usage(format!("alias: no alias {name:?}"))),
        },
        [name, command @ ..] => {
            let command: Vec<String> = command.iter().map(|word| quote_word(word)).collect();
            let command = command.join(" ");
            let aliases = &state.aliases.by_name;
            check(name, &command, |word| aliases.contains_key(word))
                .map_err(|why| Error::Usage(format!("alias: {why}")))?;
            state.aliases.by_name.insert(name.clone(), command);
            state.aliases.save()?;
        }
    }
    Ok(Flow::Continue)
}

/// `unalias NAME`.
pub(super) fn unalias(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let name = &call.args[0];
    if state.aliases.by_name.remove(name).is_none() {
        return Err(Error::Usage(format!("unalias: no alias {name:?}")));
    }
    state.aliases.save()?;
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split_words(line).unwrap()
    }

    #[test]
    fn an_alias_replaces_the_first_word_once() {
        let mut aliases = Aliases::default();
        aliases.by_name.insert("ll".into(), "ls -l".into());
        aliases.by_name.insert("g".into(), "get \"my file\"".into());
        assert_eq!(aliases.expand(words("ll pub")).unwrap(), ["ls", "-l", "pub"]);
        assert_eq!(aliases.expand(words("g x")).unwrap(), ["get", "my file", "x"]);
        assert_eq!(aliases.expand(words("ls ll")).unwrap(), ["ls", "ll"]);
    }

    fn no_alias(_: &str) -> bool {
        false
    }

    #[test]
    fn names_commands_and_loops_are_checked() {
        assert!(check("ll", "ls -l", no_alias).is_ok());
        assert!(check("g", "ge", no_alias).is_ok(), "an abbreviation is a command");
        assert!(check("get", "ls", no_alias).unwrap_err().contains("rftp command already"));
        assert!(check("dir", "ls", no_alias).unwrap_err().contains("rftp command already"));
        assert!(check("ll", "ll", no_alias).unwrap_err().contains("not an rftp command"));
        assert!(check("l2", "ll -a", |word| word == "ll").unwrap_err().contains("not an alias"));
        assert!(check("a b", "ls", no_alias).is_err());
        assert!(check("-x", "ls", no_alias).is_err());
        assert!(check("x\u{7}", "ls", no_alias).is_err());
        assert!(check("x", "", no_alias).is_err());
        assert!(check("x", "get \"a\nb\"", no_alias).unwrap_err().contains("control character"));
        assert!(check("x", "user bob secret", no_alias).unwrap_err().contains("password"));
    }

    #[test]
    fn the_history_never_keeps_an_alias_holding_a_password() {
        assert!(!super::super::may_save_in_history("alias x user bob secret"));
        assert!(!super::super::may_save_in_history("alias x open ftp://bob:secret@host/"));
        assert!(super::super::may_save_in_history("alias ll ls -l"));
    }

    /// What an alias runs is what decides: `alias u user`, then
    /// `u bob secret`, is a password (the history must not keep it).
    #[test]
    fn a_line_expands_to_what_it_runs() {
        let mut aliases = Aliases::default();
        aliases.by_name.insert("u".into(), "user".into());
        assert_eq!(aliases.command_of("u"), "user");
        assert_eq!(aliases.command_of("ls"), "ls");
        let runs = |line: &str| -> String {
            let words: Vec<String> = aliases.expand(words(line)).unwrap().iter().map(|w| quote_word(w)).collect();
            words.join(" ")
        };
        assert!(!super::super::may_save_in_history(&runs("u bob secret")));
        assert!(!super::super::may_save_in_history(&runs("\"u\" bob secret")));
    }

    #[test]
    fn a_bad_line_in_the_file_is_skipped_and_the_rest_kept() {
        let mut aliases = Aliases::default();
        aliases.read("# comment\nll ls -l\nget ls\n\nup put -r\n", Path::new("aliases"));
        assert_eq!(aliases.by_name.keys().collect::<Vec<_>>(), ["ll", "up"]);
    }
}
