//! What the shell says about a command name it cannot use: the close names
//! for a typing slip (`dri` → `dir`), and every name an ambiguous
//! abbreviation matched, aliases included.

use super::commands::{COMMANDS, LookupError};

/// Every name a command answers to, with the command it runs.
fn all_names() -> impl Iterator<Item = (&'static str, &'static str)> {
    COMMANDS
        .iter()
        .flat_map(|spec| std::iter::once(spec.name).chain(spec.aliases.iter().copied()).map(|n| (n, spec.name)))
}

/// The edit distance between `a` and `b`, counting a swap of two
/// neighbouring characters as one edit (the commonest slip: `dri` for `dir`).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the table: two back (for swaps), one back, and this one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1).min(row[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            row[j] = best;
        }
        before = std::mem::replace(&mut previous, row);
    }
    previous[b.len()]
}

/// The most edits a name may be away from what was typed and still be
/// suggested: one for short words, where two edits make almost anything
/// match, and a third of the word for longer ones.
fn allowed_edits(typed: &str) -> usize {
    (typed.chars().count() / 3).max(1)
}

/// The names closest to `typed`, when any is close enough (at most three);
/// `own` are the user's aliases.
pub fn close_names<'a>(typed: &str, own: &[&'a str]) -> Vec<&'a str> {
    let typed = typed.to_ascii_lowercase();
    let allowed = allowed_edits(&typed);
    let length = typed.chars().count();
    // Names whose length alone is too far off take more edits than allowed:
    // not scored, so a huge word (a line of a broken script) costs nothing.
    let names = all_names().map(|(name, _)| name).chain(own.iter().copied());
    let near = names.filter(|name| name.chars().count().abs_diff(length) <= allowed);
    let scored: Vec<(usize, &str)> = near.map(|name| (distance(&typed, name), name)).collect();
    let Some(best) = scored.iter().map(|(d, _)| *d).min() else { return Vec::new() };
    if best > allowed {
        return Vec::new();
    }
    scored.into_iter().filter(|(d, _)| *d == best).map(|(_, name)| name).take(3).collect()
}

/// Every name (command or alias) that starts with `prefix`, each with the
/// command it runs when it is an alias (`dir (ls)`, `ll (alias)` for the
/// user's own, `own`).
pub fn matching_names(prefix: &str, own: &[&str]) -> Vec<String> {
    let prefix = prefix.to_ascii_lowercase();
    let mut names: Vec<(&str, &str)> = all_names().filter(|(name, _)| name.starts_with(&prefix)).collect();
    names.extend(own.iter().filter(|name| name.starts_with(&prefix)).map(|name| (*name, "alias")));
    names.sort_unstable();
    names
        .into_iter()
        .map(|(name, command)| if name == command { name.to_string() } else { format!("{name} ({command})") })
        .collect()
}

/// The message for a name `lookup` refused; `own` are the user's aliases.
pub fn message(typed: &str, error: &LookupError, own: &[&str]) -> String {
    match error {
        LookupError::Ambiguous(_) => {
            format!("ambiguous command {typed:?}: {}", matching_names(typed, own).join(", "))
        }
        LookupError::Unknown => match close_names(typed, own).as_slice() {
            [] => format!("unknown command {typed:?} (try `help`)"),
            names => {
                let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
                format!("unknown command {typed:?}; did you mean {}?", quoted.join(" or "))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("dri", "dir"), 1);
        assert_eq!(distance("gte", "get"), 1);
        assert_eq!(distance("", "ls"), 2);
        assert_eq!(distance("put", "put"), 0);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("ünï", "uni"), 2);
    }

    #[test]
    fn a_slip_gets_a_suggestion_and_nonsense_none() {
        assert_eq!(message("dri", &LookupError::Unknown, &[]), "unknown command \"dri\"; did you mean \"dir\"?");
        assert!(message("stauts", &LookupError::Unknown, &[]).contains("did you mean \"status\"?"));
        assert_eq!(message("frobnicate", &LookupError::Unknown, &[]), "unknown command \"frobnicate\" (try `help`)");
        assert_eq!(message("zz", &LookupError::Unknown, &[]), "unknown command \"zz\" (try `help`)");
    }

    #[test]
    fn an_ambiguous_abbreviation_names_what_it_matched_aliases_too() {
        let text = message("di", &LookupError::Ambiguous(vec![]), &[]);
        assert_eq!(text, "ambiguous command \"di\": dir (ls), disconnect (close)");
        let own = message("di", &LookupError::Ambiguous(vec![]), &["dig"]);
        assert_eq!(own, "ambiguous command \"di\": dig (alias), dir (ls), disconnect (close)");
        assert!(message("fecth", &LookupError::Unknown, &["fetch"]).ends_with("did you mean \"fetch\"?"));
    }
}
