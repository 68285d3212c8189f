//! `help`: the commands grouped by what they are for, in columns that fit
//! the terminal (80 columns when its width is unknown) and a 24-line
//! screen, then the other names commands answer to; `help COMMAND` explains
//! one.
//!
//! The groups are a table by command name, so a command added to
//! [`COMMANDS`] without a group here still shows, under "other".

use super::commands::{COMMANDS, Call, lookup};
use super::{Flow, State};
use crate::session::Error;

/// The groups, in the order shown, with the commands each holds. A name
/// that is not in the command table is left out (its command is gone or
/// not built).
const GROUPS: &[(&str, &[&str])] = &[
    (
        "connection",
        &["open", "user", "close", "bye", "bookmark", "status", "system", "features", "quote", "site", "ccc", "prot"],
    ),
    (
        "folders",
        &[
            "cd", "cdup", "pwd", "ls", "nlist", "mlsd", "mkdir", "rmdir", "delete", "rename", "size", "modtime",
            "checksum", "chmod", "lcd", "lpwd", "lls",
        ],
    ),
    ("transfers", &["get", "reget", "put", "reput", "append", "page", "abort"]),
    ("many files", &["mget", "mput", "mdelete", "mirror"]),
    (
        "settings",
        &[
            "ascii",
            "binary",
            "type",
            "passive",
            "prompt",
            "verbose",
            "debug",
            "parallel",
            "rate",
            "retries",
            "retry-wait",
            "hash",
            "bell",
        ],
    ),
];

/// The group of the commands no group names.
const OTHER: &str = "other";

/// The terminal width assumed when standard output is not a terminal.
const DEFAULT_WIDTH: usize = 80;

/// `help [COMMAND]`.
pub(super) fn help(state: &mut State, call: &Call) -> Result<Flow, Error> {
    match call.args.first() {
        None => {
            let width = console::Term::stdout().size_checked().map_or(DEFAULT_WIDTH, |(_, w)| usize::from(w));
            for line in overview(width).lines() {
                outln!("{line}");
            }
        }
        Some(name) if state.aliases.command(name).is_some() => {
            outln!(
                "{name}: an alias of `{}` (unalias {name} removes it)",
                state.aliases.command(name).unwrap_or_default()
            );
        }
        Some(name) => {
            let spec = lookup(name).map_err(|_| Error::Usage(format!("help: no command {name:?}")))?;
            outln!("{} {}", spec.name, spec.args);
            outln!("    {}", spec.help);
            if !spec.aliases.is_empty() {
                outln!("    also: {}", spec.aliases.join(", "));
            }
        }
    }
    Ok(Flow::Continue)
}

/// The group each command is shown in: its own, or "other".
fn group_of(name: &str) -> &'static str {
    GROUPS.iter().find(|(_, names)| names.contains(&name)).map_or(OTHER, |(group, _)| group)
}

/// The commands of `group`, in the table's order (so a new command lands
/// where it was added).
fn members(group: &str) -> Vec<&'static str> {
    let mut names: Vec<&'static str> =
        COMMANDS.iter().map(|spec| spec.name).filter(|name| group_of(name) == group).collect();
    if group == OTHER {
        names.push("!COMMAND");
    }
    names
}

/// The whole overview, each line at most `width` columns (at least 40).
pub(super) fn overview(width: usize) -> String {
    let width = width.max(40);
    let mut text = String::from("Commands (abbreviations work; `help COMMAND` explains one):\n");
    let column = COMMANDS.iter().map(|spec| spec.name.len()).max().unwrap_or(8) + 2;
    let groups = GROUPS.iter().map(|(group, _)| *group).chain(std::iter::once(OTHER));
    for group in groups {
        let names = members(group);
        if names.is_empty() {
            continue;
        }
        text.push_str(&columns(&format!("{group}:"), &names, column, width));
    }
    text.push_str(&wrapped("also:", &alias_words(), width));
    text.push_str(&wrapped("pipes:", &PIPES.split(' ').map(String::from).collect::<Vec<_>>(), width));
    text
}

/// What the overview says about `|COMMAND` targets.
const PIPES: &str = "get FILE |COMMAND, ls [PATH] |COMMAND and nlist [PATH] |COMMAND give the data to a local command";

/// `names` in columns `column` wide after a label in the first column (or
/// on its own line when it is wider), row by row.
fn columns(label: &str, names: &[&str], column: usize, width: usize) -> String {
    let label_width = column + 1;
    let per_row = ((width - label_width) / column).max(1);
    let mut text = String::new();
    for (row, chunk) in names.chunks(per_row).enumerate() {
        let first = if row == 0 { label } else { "" };
        let mut line = format!("{first:<label_width$}");
        for name in chunk {
            line.push_str(&format!("{name:<column$}"));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// `alias=command` for every other name a command answers to (`dir=ls`).
fn alias_words() -> Vec<String> {
    COMMANDS.iter().flat_map(|spec| spec.aliases.iter().map(move |alias| format!("{alias}={}", spec.name))).collect()
}

/// `words` after `label`, separated by spaces, wrapped at `width`.
fn wrapped(label: &str, words: &[String], width: usize) -> String {
    let mut text = String::new();
    let mut line = label.to_string();
    for word in words {
        if line.len() + 1 + word.len() > width {
            text.push_str(&line);
            text.push('\n');
            line = format!("      {word}");
        } else {
            line.push(' ');
            line.push_str(word);
        }
    }
    text.push_str(&line);
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overview_fits_a_24_line_terminal_and_shows_every_command() {
        let text = overview(80);
        assert!(text.lines().count() <= 24, "{} lines:\n{text}", text.lines().count());
        assert!(text.lines().all(|line| line.len() <= 80), "{text}");
        let words: Vec<&str> = text.split_whitespace().collect();
        for spec in COMMANDS {
            assert!(words.contains(&spec.name), "{} missing:\n{text}", spec.name);
            for alias in spec.aliases {
                assert!(words.contains(&format!("{alias}={}", spec.name).as_str()), "{alias} missing:\n{text}");
            }
        }
    }

    #[test]
    fn a_command_without_a_group_is_shown_under_other() {
        assert_eq!(group_of("frobnicate"), OTHER);
        assert_eq!(group_of("get"), "transfers");
        assert!(members(OTHER).contains(&"help"));
        let other = overview(80).lines().find(|line| line.starts_with("other:")).unwrap_or_default().to_string();
        assert!(other.contains("help") && other.contains("!COMMAND"), "{other}");
    }

    #[test]
    fn a_wider_terminal_takes_fewer_lines_and_a_narrow_one_still_fits() {
        assert!(overview(200).lines().count() < overview(80).lines().count());
        assert!(overview(60).lines().all(|line| line.len() <= 60), "{}", overview(60));
    }
}
