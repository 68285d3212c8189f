//! JSON lines for scripts (`--json`): one object per file a one-shot command
//! moved, failed or skipped, and one per entry `rftp ls --json` lists, each
//! on a line of its own on standard output. Human messages stay on standard
//! error, so a script reads standard output without scraping text.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::batch::{Failure, FileEnd, FileLog, Job};
use crate::protocol::{DirEntry, DirEntryKind, FileTime, ListedTime, Precision, Reply};
use crate::session;

/// How a file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileResult {
    /// Moved (or, resuming, found complete already).
    Ok,
    /// Not moved, or not wholly: `error` says why.
    Failed,
    /// Not tried: the command stopped first (Ctrl-C).
    Skipped,
}

/// One file of a `get` or `put`, as a line of `--json` output. Every key is
/// always there; `null` when it does not apply or is unknown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRecord {
    /// The remote path, as sent to the server.
    pub remote: Option<String>,
    /// The local file; `null` for standard input or output.
    pub local: Option<String>,
    /// Bytes moved (by every try of the file).
    pub bytes: u64,
    /// Seconds the file took, retries included, to the millisecond.
    pub seconds: f64,
    /// How it ended.
    pub result: FileResult,
    /// Why it failed or was skipped, as standard error says it.
    pub error: Option<String>,
    /// The FTP reply code, when a server reply caused the failure.
    pub code: Option<u16>,
    /// That reply's text, without its code (lines joined with `\n`).
    pub reply: Option<String>,
    /// The exit status this file alone would give the command: 0, 1 (a
    /// command failed), 2 (usage), 3 (could not connect or log in) or 130
    /// (interrupted), as the exit status table says.
    pub exit_status: u8,
}

impl FileRecord {
    /// A file moved: `bytes` in `elapsed`.
    pub fn ok(remote: Option<&str>, local: Option<&Path>, bytes: u64, elapsed: Duration) -> FileRecord {
        FileRecord {
            remote: remote.map(str::to_string),
            local: local.map(shown),
            bytes,
            seconds: seconds(elapsed),
            result: FileResult::Ok,
            error: None,
            code: None,
            reply: None,
            exit_status: 0,
        }
    }

    /// A file that failed: `error` said on standard error, with the server's
    /// `reply` when one caused it.
    pub fn failed(remote: Option<&str>, local: Option<&Path>, error: String, reply: Option<&Reply>) -> FileRecord {
        FileRecord {
            result: FileResult::Failed,
            error: Some(error),
            code: reply.map(|r| r.code().as_u16()),
            reply: reply.map(reply_text),
            exit_status: 1,
            ..FileRecord::ok(remote, local, 0, Duration::ZERO)
        }
    }

    /// A file not tried: Ctrl-C stopped the command before it began.
    pub fn skipped(remote: Option<&str>, local: Option<&Path>, why: &str) -> FileRecord {
        FileRecord {
            result: FileResult::Skipped,
            error: Some(why.to_string()),
            exit_status: 130,
            ..FileRecord::ok(remote, local, 0, Duration::ZERO)
        }
    }

    /// The same record with `bytes` moved in `elapsed`.
    pub fn took(self, bytes: u64, elapsed: Duration) -> FileRecord {
        FileRecord { bytes, seconds: seconds(elapsed), ..self }
    }

    /// The same record with this exit status.
    pub fn exiting(self, exit_status: u8) -> FileRecord {
        FileRecord { exit_status, ..self }
    }

    /// A file of a one-shot command that failed with `error` (exit status
    /// 130 when Ctrl-C caused it).
    pub fn of_error(
        remote: Option<&str>,
        local: Option<&Path>,
        error: &session::Error,
        interrupted: bool,
    ) -> FileRecord {
        let status = if interrupted { 130 } else { error.exit_status() };
        FileRecord::failed(remote, local, error.to_string(), session_reply(error)).exiting(status)
    }

    /// Prints the record as one line on standard output.
    pub fn print(&self) {
        print_line(self);
    }
}

/// One entry of `rftp ls --json`. Every key is always there; `null` when
/// the server did not say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryRecord {
    /// The name, as the server sent it.
    pub name: String,
    /// `file`, `dir`, `link` or `other`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Size in bytes.
    pub size: Option<u64>,
    /// Modification time, RFC 3339 in UTC (`2026-11-26T03:47:00Z`): from
    /// MLSD's `modify` fact, else as a LIST line shows it (in the server's
    /// time zone, which FTP does not tell: taken as UTC).
    pub modified: Option<String>,
    /// What `modified` is exact to: `second` (MLSD, LIST with a full time),
    /// `minute` or `day` (LIST lines with a year and no time).
    pub modified_precision: Option<&'static str>,
}

impl EntryRecord {
    /// The record of a listed entry.
    pub fn of(entry: &DirEntry) -> EntryRecord {
        let kind = match entry.kind {
            DirEntryKind::File => "file",
            DirEntryKind::Dir => "dir",
            DirEntryKind::Link => "link",
            DirEntryKind::Other => "other",
        };
        let time = entry.time();
        EntryRecord {
            name: entry.name.clone(),
            kind,
            size: entry.size,
            modified: time.map(|t| rfc3339(&t.time)),
            modified_precision: time.map(precision_name),
        }
    }

    /// Prints the record as one line on standard output.
    pub fn print(&self) {
        print_line(self);
    }
}

/// `2026-11-26T03:47:05Z`: whole seconds, as every server's time has them.
pub fn rfc3339(time: &FileTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        time.year, time.month, time.day, time.hour, time.minute, time.second
    )
}

fn precision_name(time: ListedTime) -> &'static str {
    match time.precision {
        Precision::Exact => "second",
        Precision::Minute => "minute",
        Precision::Day => "day",
    }
}

/// A reply's text without its codes: `No such file` for `550 No such file`.
pub fn reply_text(reply: &Reply) -> String {
    let code = reply.code().to_string();
    let without_code = |line: &str| -> String {
        match line.strip_prefix(code.as_str()) {
            Some("") => String::new(),
            Some(rest) if rest.starts_with([' ', '-']) => rest[1..].to_string(),
            _ => line.to_string(),
        }
    };
    reply.lines().iter().map(|line| without_code(line)).collect::<Vec<_>>().join("\n")
}

/// The server reply that caused a session's error, if one did.
fn session_reply(error: &session::Error) -> Option<&Reply> {
    match error {
        session::Error::Ftp(e) | session::Error::Login(e) | session::Error::Connect { error: e, .. } => e.reply(),
        session::Error::Transfer(e) => e.ftp().and_then(|e| e.reply()),
        _ => None,
    }
}

fn seconds(elapsed: Duration) -> f64 {
    (elapsed.as_secs_f64() * 1000.0).round() / 1000.0
}

/// A local path as JSON text: each byte that is not UTF-8 as `\xNN`, as
/// remote names and diagnostics show them, rather than U+FFFD, which no
/// script can map back to the file.
fn shown(path: &Path) -> String {
    let mut text = String::new();
    for chunk in path.as_os_str().as_encoded_bytes().utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            let _ = write!(text, "\\x{byte:02x}");
        }
    }
    text
}

fn print_line(value: &impl Serialize) {
    match serde_json::to_string(value) {
        Ok(line) => crate::output::json_line(&line),
        // Only a map with non-string keys can fail, and these have none.
        Err(e) => errln!("rftp: --json: cannot write a record: {e}"),
    }
}

/// The [`FileLog`] of a batch run with `--json`: a line per file as it ends.
#[derive(Debug, Default)]
pub struct BatchLines;

impl FileLog for BatchLines {
    fn ended(&self, job: &Job, elapsed: Duration, end: FileEnd<'_>) {
        let (remote, local) = job_paths(job);
        let (remote, local) = (Some(remote.as_str()), local.as_deref());
        let record = match end {
            FileEnd::Moved(bytes) => FileRecord::ok(remote, local, bytes, elapsed),
            FileEnd::Failed { error, bytes } => {
                let reply = error.ftp().and_then(|e| e.reply());
                let aborted = matches!(error.ftp(), Some(crate::protocol::Error::Aborted));
                let record = FileRecord::failed(remote, local, error.to_string(), reply).took(bytes, elapsed);
                record.exiting(if aborted { 130 } else { 1 })
            }
            FileEnd::NotTried { why, interrupted: true } => FileRecord::skipped(remote, local, why),
            FileEnd::NotTried { why, interrupted: false } => FileRecord::failed(remote, local, why.to_string(), None),
        };
        record.print();
    }

    fn failed_otherwise(&self, failure: &Failure) {
        // A folder that could not be listed or made, a name that cannot be
        // saved: no file job, and `what` may be a remote or a local path,
        // so it is said in the message, not as either.
        FileRecord::failed(None, None, format!("{}: {}", failure.what, failure.error), None).print();
    }
}

/// A job's remote path and local file.
fn job_paths(job: &Job) -> (String, Option<std::path::PathBuf>) {
    match job {
        Job::Download { remote, local, .. } | Job::Upload { local, remote, .. } => {
            (remote.clone(), Some(local.display_path()))
        }
        Job::Visit(visit) => (visit.remote.clone(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ReplyCode;

    fn parsed(record: &impl Serialize) -> serde_json::Value {
        serde_json::from_str(&serde_json::to_string(record).unwrap()).unwrap()
    }

    #[test]
    fn a_failed_file_carries_the_reply_code_text_and_exit_status() {
        let lines = vec!["550-No such".to_string(), "550 file here".to_string()];
        let reply = Reply::new(ReplyCode::new(550).unwrap(), lines);
        let record = FileRecord::failed(Some("pub/x"), None, "RETR failed".into(), Some(&reply));
        let value = parsed(&record);
        assert_eq!(value["result"], "failed");
        assert_eq!(value["code"], 550);
        assert_eq!(value["reply"], "No such\nfile here");
        assert_eq!(value["exit_status"], 1);
        assert_eq!(value["local"], serde_json::Value::Null);
        let ok = parsed(&FileRecord::ok(Some("a"), Some(Path::new("b")), 5, Duration::from_micros(1_234_567)));
        assert_eq!(ok["result"], "ok");
        assert_eq!(ok["seconds"], 1.235);
        assert_eq!(ok["code"], serde_json::Value::Null);
    }

    #[cfg(unix)]
    #[test]
    fn local_paths_that_are_not_utf8_show_their_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"dir/caf\xe9"));
        let record = FileRecord::ok(Some("caf\\xe9"), Some(path), 1, Duration::ZERO);
        assert_eq!(parsed(&record)["local"], "dir/caf\\xe9");
        assert_eq!(shown(Path::new("plain/é.txt")), "plain/é.txt");
    }

    #[test]
    fn entries_say_type_size_and_an_rfc3339_time() {
        let time = FileTime { year: 2026, month: 11, day: 2, hour: 3, minute: 4, second: 5, nanos: 0 };
        let entry = DirEntry {
            name: "a b".into(),
            kind: DirEntryKind::Dir,
            size: None,
            unique: None,
            modified: Some(time),
            listed_time: None,
        };
        let value = parsed(&EntryRecord::of(&entry));
        assert_eq!(value["name"], "a b");
        assert_eq!(value["type"], "dir");
        assert_eq!(value["size"], serde_json::Value::Null);
        assert_eq!(value["modified"], "2026-11-02T03:04:05Z");
        assert_eq!(value["modified_precision"], "second");
    }
}
