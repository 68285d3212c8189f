//! What a mirror tells its user: a line per action (JSON objects with
//! `--json`, plain lines in a dry run), and the summary at the end.

use std::sync::Mutex;
use std::time::Instant;

use crate::protocol::shared::lock;

/// What happened to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Downloaded.
    Get,
    /// Uploaded.
    Put,
    /// Removed from the target.
    Delete,
    /// A folder made on the target.
    Mkdir,
    /// Left as it is.
    Skip,
    /// Failed.
    Fail,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Get => "get",
            Action::Put => "put",
            Action::Delete => "delete",
            Action::Mkdir => "mkdir",
            Action::Skip => "skip",
            Action::Fail => "fail",
        }
    }
}

/// How lines are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// One JSON object per action on standard output; the summary on
    /// standard error.
    pub json: bool,
    /// Nothing is changed: every action is printed as what would be done.
    pub dry_run: bool,
    /// No summary (`-q`); JSON lines and a dry run's lines still come.
    pub quiet: bool,
}

/// The counts of a mirror.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Files the target lacked.
    pub new: usize,
    /// Files the target had in another version.
    pub updated: usize,
    /// Files and folders removed from the target.
    pub deleted: usize,
    /// Folders made on the target.
    pub folders_made: usize,
    /// Files left as they were.
    pub skipped: usize,
    /// Files and folders that failed.
    pub failed: usize,
    /// Bytes moved.
    pub bytes: u64,
}

/// The report of one mirror run, shared by its connections.
#[derive(Debug)]
pub struct Report {
    style: Style,
    counts: Mutex<Counts>,
    started: Instant,
}

/// One action as it is reported.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// What was done.
    pub action: Action,
    /// The path, relative to the mirrored folder.
    pub path: &'a str,
    /// Whether the target had the file already (transfers).
    pub new: Option<bool>,
    /// Bytes moved, or the size to move in a dry run.
    pub bytes: Option<u64>,
    /// Why (skips and failures).
    pub why: Option<&'a str>,
}

impl<'a> Line<'a> {
    /// A line of `action` on `path`, with nothing else said.
    pub fn of(action: Action, path: &'a str) -> Line<'a> {
        Line { action, path, new: None, bytes: None, why: None }
    }
}

impl Report {
    /// A report in `style`, its clock started now.
    pub fn new(style: Style) -> Report {
        Report { style, counts: Mutex::new(Counts::default()), started: Instant::now() }
    }

    /// Records one action, and shows it as the style says.
    pub fn record(&self, line: Line<'_>) {
        {
            let mut counts = lock(&self.counts);
            match (line.action, line.new) {
                (Action::Get | Action::Put, Some(true)) => counts.new += 1,
                (Action::Get | Action::Put, _) => counts.updated += 1,
                (Action::Delete, _) => counts.deleted += 1,
                (Action::Mkdir, _) => counts.folders_made += 1,
                (Action::Skip, _) => counts.skipped += 1,
                (Action::Fail, _) => counts.failed += 1,
            }
            if matches!(line.action, Action::Get | Action::Put) {
                counts.bytes += line.bytes.unwrap_or(0);
            }
        }
        if self.style.json {
            crate::output::json_line(&json_line(&line, self.style.dry_run));
        } else if self.style.dry_run && !matches!(line.action, Action::Skip | Action::Fail) {
            outln!("{}", plain_line(&line));
        } else if line.action == Action::Delete && !self.style.quiet {
            // Removing is worth a line even when nothing else is shown.
            errln!("rftp: deleted {}", crate::display::printable(line.path));
        }
        self.warn(&line);
    }

    /// Failures (even under `-q`: quiet hides chatter, not errors), and
    /// paths left alone for a reason other than the rules (a link not
    /// followed), are said on standard error in every style.
    fn warn(&self, line: &Line<'_>) {
        let path = crate::display::printable(line.path);
        let why = crate::display::printable(line.why.unwrap_or("failed"));
        match line.action {
            Action::Fail => errln!("rftp: {path}: {why}"),
            Action::Skip if !self.style.quiet && why.contains("not followed") => {
                errln!("rftp: warning: {path}: {why}")
            }
            _ => {}
        }
    }

    /// Whether chatter is left out (`-q`).
    pub fn is_quiet(&self) -> bool {
        self.style.quiet
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        *lock(&self.counts)
    }

    /// Prints the summary: on standard output, or standard error when the
    /// actions go to standard output as JSON; nothing with `-q`.
    pub fn summarize(&self) {
        if self.style.quiet {
            return;
        }
        let summary = summary_line(&self.counts(), self.started.elapsed().as_secs_f64(), self.style.dry_run);
        if self.style.json {
            errln!("{summary}");
        } else {
            outln!("{summary}");
        }
    }
}

/// `mirror: 2 new, 1 updated, 0 deleted, 40 skipped, 0 failed; 1.2 MiB in 0.4 s`.
pub fn summary_line(counts: &Counts, seconds: f64, dry_run: bool) -> String {
    let bytes = indicatif::BinaryBytes(counts.bytes);
    let head = if dry_run { "mirror (dry run, nothing changed): would move" } else { "mirror:" };
    format!(
        "{head} {} new, {} updated, {} deleted, {} skipped, {} failed; {bytes} in {seconds:.1} s",
        counts.new, counts.updated, counts.deleted, counts.skipped, counts.failed
    )
}

/// A dry run's line: `get docs/a.txt (new, 1.2 KiB)`.
fn plain_line(line: &Line<'_>) -> String {
    let mut text = format!("{} {}", line.action.name(), crate::display::printable(line.path));
    let mut notes = Vec::new();
    match line.new {
        Some(true) => notes.push("new".to_string()),
        Some(false) => notes.push("changed".to_string()),
        None => {}
    }
    if let Some(bytes) = line.bytes {
        notes.push(indicatif::BinaryBytes(bytes).to_string());
    }
    if let Some(why) = line.why {
        notes.push(crate::display::printable(why).into_owned());
    }
    if !notes.is_empty() {
        text.push_str(&format!(" ({})", notes.join(", ")));
    }
    text
}

/// The JSON object of one action.
fn json_line(line: &Line<'_>, dry_run: bool) -> String {
    let mut object = serde_json::Map::new();
    object.insert("action".into(), line.action.name().into());
    object.insert("path".into(), line.path.into());
    if let Some(new) = line.new {
        object.insert("new".into(), new.into());
    }
    if let Some(bytes) = line.bytes {
        object.insert("bytes".into(), bytes.into());
    }
    if let Some(why) = line.why {
        let key = if line.action == Action::Fail { "error" } else { "reason" };
        object.insert(key.into(), why.into());
    }
    if dry_run {
        object.insert("dry_run".into(), true.into());
    }
    serde_json::Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_carry_action_path_and_bytes() {
        let line = Line { action: Action::Get, path: "a \"b\"/c", new: Some(true), bytes: Some(12), why: None };
        let value: serde_json::Value = serde_json::from_str(&json_line(&line, false)).unwrap();
        assert_eq!(value["action"], "get");
        assert_eq!(value["path"], "a \"b\"/c");
        assert_eq!(value["bytes"], 12);
        assert_eq!(value["new"], true);
        let failed = Line { why: Some("550 no"), ..Line::of(Action::Fail, "x") };
        let value: serde_json::Value = serde_json::from_str(&json_line(&failed, true)).unwrap();
        assert_eq!(value["error"], "550 no");
        assert_eq!(value["dry_run"], true);
    }

    #[test]
    fn dry_run_lines_and_the_summary_read_plainly() {
        let line = Line { action: Action::Put, path: "x.txt", new: Some(false), bytes: Some(2048), why: None };
        assert_eq!(plain_line(&line), "put x.txt (changed, 2.00 KiB)");
        let counts = Counts { new: 2, updated: 1, deleted: 3, skipped: 4, failed: 0, bytes: 1024, folders_made: 0 };
        assert_eq!(
            summary_line(&counts, 0.25, false),
            "mirror: 2 new, 1 updated, 3 deleted, 4 skipped, 0 failed; 1.00 KiB in 0.2 s"
        );
    }
}
