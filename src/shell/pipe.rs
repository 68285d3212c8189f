//! tnftp's pipes: in `get FILE |CMD`, `ls [PATH] |CMD` (`dir`) and
//! `nlist [PATH] |CMD`, a target that starts with `|` is a local command,
//! run with `sh -c`, that gets the data on its standard input; `page FILE`
//! is `get FILE |$PAGER` (default `less`).
//!
//! The command starts with the first data for it, so a file the server
//! refuses runs nothing; a transfer that succeeds with no data still gives
//! the command its empty input. No `.part` or local file is written. A
//! command that stops reading early (`|head -1`) ends the transfer quietly
//! (ABOR; the control connection stays usable), and a command that exits
//! with a non-zero status fails the shell command, which says so. A file
//! whose name starts with `|` is reached as `./|x` (or quoted, `"|x"`).

use std::io::{self, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::commands::{Call, lookup};
use super::{Flow, State};
use crate::progress::ProgressMode;
use crate::protocol;
use crate::session::{Error, Interrupts, Session};

/// The commands whose last operand may be `|COMMAND`.
const PIPED: &[&str] = &["get", "ls", "nlist"];

/// Splits a command line into the command proper and the local command of
/// its `|COMMAND` target, for the commands that take one: the target starts
/// at the first `|` that begins a word (not quoted, not escaped) and runs
/// to the end of the line as typed, since it is the local shell's to read.
/// `command` is the name of the command the line runs: its first word, or
/// the command of the alias that word is (`alias l ls`, then `l |wc`).
pub(super) fn split_target<'a>(line: &'a str, command: &str) -> (&'a str, Option<&'a str>) {
    if !lookup(command).is_ok_and(|spec| PIPED.contains(&spec.name)) {
        return (line, None);
    }
    let (mut in_quotes, mut escaped, mut word_starts) = (false, false, false);
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            word_starts = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => in_quotes = !in_quotes,
            '|' if word_starts && !in_quotes => return (&line[..i], Some(line[i + 1..].trim())),
            _ => {}
        }
        word_starts = c.is_whitespace() && !in_quotes;
    }
    (line, None)
}

/// `get FILE |CMD`: one remote file, into the command.
pub(super) fn get(state: &mut State, call: &Call, command: &str) -> Result<Flow, Error> {
    let other_target = call.args.len() > 1 || call.value("-o").is_some();
    if call.has("-r") || call.has("-c") || call.has("--verify") || other_target {
        return Err(Error::Usage("get REMOTE |COMMAND: one file, without -r, -c, -o, --verify or a LOCAL name".into()));
    }
    download(state, "get", &call.args[0], command)
}

/// `page FILE`: the file through `$PAGER` (`less` when it is unset or empty).
pub(super) fn page(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let pager = std::env::var("PAGER").ok().filter(|p| !p.trim().is_empty()).unwrap_or_else(|| "less".into());
    download(state, "page", &call.args[0], &pager)
}

/// Downloads `remote` into `command`, in the session's transfer type; tried
/// again as downloads are while nothing has reached the command yet.
fn download(state: &mut State, verb: &str, remote: &str, command: &str) -> Result<Flow, Error> {
    run_into(state, command, &format!("{verb} {remote}"), |session, target| {
        let limit = session.rate_limit();
        let written = Arc::new(AtomicU64::new(0));
        // No bar: the command (a pager) may have the terminal.
        let progress = ProgressMode::Counted(Box::new(ProgressMode::Off), Arc::clone(&written));
        let run = |session: &mut Session, _again: bool| {
            crate::transfer::download_into(
                session.transfer_client()?,
                remote,
                target,
                progress.clone(),
                limit.as_deref(),
            )
        };
        let held = |_: &mut Session| Some(written.load(Ordering::SeqCst));
        match session.retrying(remote, false, run, held) {
            Ok(_) => Ok(()),
            Err(Error::Transfer(e)) => Err(Error::Transfer(e.naming(remote))),
            Err(other) => Err(other),
        }
    })
}

/// `ls [PATH] |CMD` and `nlist [PATH] |CMD`: the listing's lines, as the
/// server sent them, into the command.
pub(super) fn list(
    state: &mut State,
    verb: &str,
    name: &str,
    path: Option<&str>,
    command: &str,
) -> Result<Flow, Error> {
    let listing = protocol::Command::with_optional_arg(verb, path)?;
    let what = format!("{name} {}", path.unwrap_or_default());
    run_into(state, command, what.trim_end(), |session, target| {
        let mut failed = None;
        let name = format!("the listing of {}", path.unwrap_or("the folder"));
        session.list_retrying(&name, &listing, |line| {
            let mut bytes = protocol::wire::encode(line).into_owned();
            bytes.push(b'\n');
            match target.write_all(&bytes) {
                Ok(()) => std::ops::ControlFlow::Continue(()),
                Err(e) => {
                    // A command that read enough (`|head`) is no failure.
                    failed = (e.kind() != io::ErrorKind::BrokenPipe).then_some(e);
                    std::ops::ControlFlow::Break(())
                }
            }
        })?;
        match failed {
            Some(e) => Err(Error::Local(format!("cannot write the listing to {command:?}: {e}"))),
            None => Ok(()),
        }
    })
}

/// Runs `transfer` into the local `command`, then closes the command's
/// input and waits for it; a failed transfer is the error, else a command
/// that failed is.
fn run_into(
    state: &mut State,
    command: &str,
    what: &str,
    transfer: impl FnOnce(&mut Session, &mut Target) -> Result<(), Error>,
) -> Result<Flow, Error> {
    if command.is_empty() {
        return Err(Error::Usage(format!("{what} |: name a local command after the |")));
    }
    state.session.client()?;
    let mut target = Target { command, child: None, left_early: false };
    let moved = transfer(&mut state.session, &mut target);
    if target.left_early {
        // The transfer was aborted; a server that drops the session on
        // the Telnet signals of ABOR is met again without them, so the
        // next command finds the connection usable.
        state.session.reconnect_if_abort_cost_the_session();
    }
    let ended = target.finish(moved.is_ok(), &state.session.interrupts);
    moved?;
    match ended {
        Ok(Some(status)) if !status.success() => Err(Error::Local(format!("{what} |{command}: {}", failure(status)))),
        Ok(_) => Ok(Flow::Continue),
        Err(e) => Err(Error::Local(format!("{what} |{command}: {e}"))),
    }
}

/// How a local command that failed ended.
fn failure(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("the command exited with status {code}"),
        (None, Some(signal)) => format!("the command was ended by signal {signal}"),
        (None, None) => format!("the command failed ({status})"),
    }
}

/// The local command of a `|COMMAND` target: started by the first write.
struct Target<'a> {
    command: &'a str,
    child: Option<(Child, ChildStdin)>,
    /// Whether the command stopped reading before the data ended (`|head`).
    left_early: bool,
}

impl Target<'_> {
    /// The command's standard input, starting the command first if needed.
    fn input(&mut self) -> io::Result<&mut ChildStdin> {
        let running = match self.child.take() {
            Some(running) => running,
            None => start(self.command)?,
        };
        Ok(&mut self.child.insert(running).1)
    }

    /// Closes the command's input and waits for it to end, Ctrl-C left to
    /// it meanwhile (a pager reads it as a key). With `start`, a command
    /// that got no data yet is started first, to read its empty input;
    /// `None` when no command ran.
    fn finish(mut self, start: bool, interrupts: &Interrupts) -> io::Result<Option<ExitStatus>> {
        if start && self.child.is_none() {
            self.input()?;
        }
        let Some((mut child, input)) = self.child.take() else { return Ok(None) };
        drop(input);
        interrupts.paused_while(|| child.wait()).map(Some)
    }
}

impl Write for Target<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.input()?.write(buf);
        if written.as_ref().is_err_and(|e| e.kind() == io::ErrorKind::BrokenPipe) {
            self.left_early = true;
        }
        written
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.child {
            Some((_, input)) => input.flush(),
            None => Ok(()),
        }
    }
}

/// Starts `sh -c COMMAND` reading from a pipe, its output rftp's own.
fn start(command: &str) -> io::Result<(Child, ChildStdin)> {
    // What rftp printed before comes before what the command prints.
    let _ = io::stdout().flush();
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        // The hand-over of hidden arguments was for this rftp alone.
        .env_remove(crate::argv::HANDOVER_VAR)
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run {command:?}: {e}")))?;
    let input = child.stdin.take().ok_or_else(|| io::Error::other(format!("no input for {command:?}")))?;
    Ok((child, input))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`split_target`] of a line that runs its own first word.
    fn split_target(line: &str) -> (&str, Option<&str>) {
        super::split_target(line, line.split_whitespace().next().unwrap_or_default())
    }

    #[test]
    fn a_word_starting_with_a_bar_is_the_command() {
        assert_eq!(split_target("get a.txt |wc -c"), ("get a.txt ", Some("wc -c")));
        assert_eq!(split_target("recv a.txt   |  grep \"x y\" | sort"), ("recv a.txt   ", Some("grep \"x y\" | sort")));
        assert_eq!(split_target("ls |head -1"), ("ls ", Some("head -1")));
        assert_eq!(split_target("dir /pub |less"), ("dir /pub ", Some("less")));
        assert_eq!(split_target("nls x |"), ("nls x ", Some("")));
    }

    #[test]
    fn bars_inside_names_quotes_and_other_commands_are_names() {
        for line in ["get ./|x", "get a|b", "get \"|x\"", "get \"a |x\"", "get \\|x", "put f |x", "mkdir |x", "get", ""]
        {
            assert_eq!(split_target(line), (line, None), "{line}");
        }
    }

    #[test]
    fn targets_that_cannot_be_are_usage_errors_before_anything_runs() {
        let session = crate::session::Session::new(Default::default(), false, ProgressMode::Off);
        let mut state = State::new(session, false);
        let mut run = |line: &str| match super::super::commands::execute(&mut state, line) {
            Err(Error::Usage(message)) => message,
            other => format!("not a usage error: {:?}", other.map_err(|e| e.to_string())),
        };
        assert!(run("get a b |wc").contains("one file, without -r, -c, -o, --verify or a LOCAL name"));
        assert!(run("get a -o b |wc").contains("one file"));
        assert!(run("get -c a |wc").contains("one file"));
        assert!(run("get -r d |wc").contains("one file"));
        assert!(run("get --verify a |wc").contains("one file"));
        assert_eq!(run("ls |"), "ls |: name a local command after the |");
        assert_eq!(run("get a   | "), "get a |: name a local command after the |");
        assert!(matches!(super::super::commands::execute(&mut state, "get a |wc"), Err(Error::NotConnected)));
    }

    #[test]
    fn failures_say_how_the_command_ended() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(failure(ExitStatus::from_raw(3 << 8)), "the command exited with status 3");
        assert_eq!(failure(ExitStatus::from_raw(2)), "the command was ended by signal 2");
    }
}
