//! The rftp shell: an `ftp>` prompt on a terminal (rustyline: history, tab
//! completion), or commands read line by line from a script.
//!
//! Errors in a session are not fatal: a failing command prints its error and
//! the shell carries on, remembering the failure for the exit status. In a
//! script, errors name their line, and `-e` stops at the first one.

mod alias;
mod bookmark;
mod colour;
mod commands;
mod complete;
mod help;
mod local;
mod noops;
mod pipe;
mod suggest;
mod tilde;
mod words;

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::BufRead;
use std::rc::Rc;

use crate::session::{Error, Outcome, Session};

#[cfg(test)]
pub use commands::COMMANDS;

/// Everything the shell knows: the session, and what only the shell needs.
pub struct State {
    /// The session the commands act on.
    pub session: Session,
    /// Ask before each file of mget, mput and mdelete (on a terminal only).
    pub prompt: bool,
    /// Stop a script at the first failing command.
    pub fail_fast: bool,
    /// Remote names by folder, for completion; cleared whenever the remote side changes.
    pub remote_names: HashMap<String, Vec<String>>,
    /// Commands are being read from standard input as a script, so
    /// standard input holds no data for `put -` or `append -`.
    pub stdin_is_script: bool,
    /// The user's aliases (`alias NAME COMMAND`), as saved beside the history.
    pub aliases: alias::Aliases,
}

/// What running a command asks of the loop.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next command.
    Continue,
    /// Leave the shell.
    Quit,
}

impl State {
    /// The shell's state over `session`; `fail_fast` stops a script at its first failure.
    pub fn new(session: Session, fail_fast: bool) -> State {
        State {
            session,
            prompt: true,
            fail_fast,
            remote_names: HashMap::new(),
            stdin_is_script: false,
            aliases: alias::Aliases::load(),
        }
    }
}

/// Where the shell starts: a server named on the command line (or by the
/// demo), and for a URL its login, TLS mode and folder.
#[derive(Debug, Default)]
pub struct Start {
    /// The server.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The login the URL names, if it names one.
    pub login: Option<crate::session::LoginRequest>,
    /// The TLS mode the URL's scheme asks for.
    pub tls: Option<crate::protocol::TlsMode>,
    /// The remote folder to start in (`rftp ftp://host/dir/`).
    pub folder: Option<String>,
    /// Failing to connect ends rftp even at a terminal (a URL, the demo).
    pub must_connect: bool,
    /// A line shown after a failure to connect (`rftp WORD` for a word
    /// that names no bookmark either).
    pub note: Option<String>,
}

/// Runs the shell, connected first to `start` when given; returns how it
/// went. A failed start ends a script at once (and at a terminal too when
/// `must_connect`); at the prompt the user can `open` again, and the
/// session ends as any interactive one ([`run_terminal`]).
pub fn run_session(mut state: State, start: Option<Start>) -> Outcome {
    let Some(start) = start else { return run(state) };
    let started = state.session.start_with(&start.host, start.port, start.login, start.tls);
    if let Err(e) = started {
        errln!("rftp: {e}");
        if let (Error::Connect { .. }, Some(note)) = (&e, &start.note) {
            errln!("rftp: {note}");
        }
        let mut failed = Outcome::Success;
        failed.record(&e);
        if !state.session.interactive || start.must_connect {
            return failed;
        }
        // At the prompt the user saw the failure and carried on: the
        // session's end says how it ended, as any interactive one.
        return run(state);
    }
    // `/` (a bookmark of the root folder, `ftp://host//`) stays `/`.
    let folder = start.folder.as_deref().map(|f| match f.trim_end_matches('/') {
        "" if f.starts_with('/') => "/",
        trimmed => trimmed,
    });
    let folder = folder.filter(|f| !f.is_empty());
    if let Some(folder) = folder {
        let line = format!("cd {}", words::quote_word(folder));
        if let Err(e) = commands::execute(&mut state, &line) {
            // Never run the user's commands in another folder than the one named.
            errln!("rftp: {e}");
            state.session.close();
            return Outcome::Failed;
        }
    }
    run(state)
}

/// Runs the shell until `bye` or the end of input; returns how it went.
pub fn run(state: State) -> Outcome {
    let state = Rc::new(RefCell::new(state));
    let interactive = state.borrow().session.interactive;
    state.borrow().session.interrupts.install_handler();
    if interactive { run_terminal(&state) } else { run_stdin_script(&state) }
}

/// Runs the commands on standard input, which then holds no upload data.
fn run_stdin_script(state: &Rc<RefCell<State>>) -> Outcome {
    state.borrow_mut().stdin_is_script = true;
    run_script(state, std::io::stdin().lock())
}

/// Whether a command line may go into the history file: never one that
/// carries a password.
pub fn may_save_in_history(line: &str) -> bool {
    // A line that cannot be split cannot be checked: never save it.
    let Ok(words) = words::split_words(line) else {
        return false;
    };
    let command = words.first().map(|w| w.to_ascii_lowercase()).unwrap_or_default();
    let is = |name: &str| commands::lookup(&command).is_ok_and(|spec| spec.name == name);
    if is("user") && words.len() > 2 {
        return false;
    }
    // `alias x user bob secret` holds what it would send.
    if is("alias") && words.len() > 2 {
        let command: Vec<String> = words[2..].iter().map(|w| words::quote_word(w)).collect();
        return may_save_in_history(&command.join(" "));
    }
    // `quote PASS x` and `quote "PASS x"` both send PASS.
    let sent = words.get(1..).unwrap_or_default().join(" ");
    let sent_verb = sent.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    if (is("quote") || is("site")) && matches!(sent_verb.as_str(), "PASS" | "ACCT") {
        return false;
    }
    // URLs with a password: ftp://user:secret@host
    !words.iter().any(|w| crate::url::redact(w) != *w)
}

/// Whether `line` may go into the history as it runs, its alias expanded
/// (`alias u user`, then `"u" bob secret` holds a password); never when
/// it cannot be expanded.
fn may_save_as_run(state: &State, line: &str) -> bool {
    let Ok(typed) = words::split_words(line) else { return false };
    let Ok(runs) = state.aliases.expand(typed) else { return false };
    let runs: Vec<String> = runs.iter().map(|word| words::quote_word(word)).collect();
    may_save_in_history(&runs.join(" "))
}

/// Runs the `ftp>` prompt until `bye` or Ctrl-D, which end with success.
fn run_terminal(state: &Rc<RefCell<State>>) -> Outcome {
    let config =
        rustyline::Config::builder().auto_add_history(false).completion_type(rustyline::CompletionType::List).build();
    let mut editor =
        match rustyline::Editor::<complete::ShellHelper, rustyline::history::DefaultHistory>::with_config(config) {
            Ok(editor) => editor,
            Err(e) => {
                errln!("rftp: cannot use the terminal ({e}); reading commands as a script");
                return run_stdin_script(state);
            }
        };
    editor.set_helper(Some(complete::ShellHelper::new(Rc::clone(state))));
    let history = crate::config::history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    // `bye` and Ctrl-D end an interactive session with success whatever
    // failed before (as tnftp): the user saw each error and carried on.
    let mut outcome = Outcome::Success;
    loop {
        state.borrow().session.interrupts.end_command();
        let line = match editor.readline("ftp> ") {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => {
                errln!("rftp: cannot read the terminal: {e}");
                outcome = Outcome::Failed;
                break;
            }
        };
        // Cleared here, not before the prompt: a Ctrl-C that lands as the
        // previous command ends can arrive after the prompt is up.
        state.borrow().session.interrupts.begin_command();
        if !line.trim().is_empty() && may_save_in_history(&line) && may_save_as_run(&state.borrow(), &line) {
            let _ = editor.add_history_entry(line.as_str());
            if let Some(path) = &history {
                save_history_line(&mut editor, path);
            }
        }
        match commands::execute(&mut state.borrow_mut(), &line) {
            Ok(Flow::Quit) => break,
            Ok(Flow::Continue) => {}
            Err(e) => errln!("rftp: {e}"),
        }
    }
    state.borrow_mut().session.close();
    outcome
}

fn save_history_line<H: rustyline::Helper>(
    editor: &mut rustyline::Editor<H, rustyline::history::DefaultHistory>,
    path: &std::path::Path,
) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = editor.append_history(path);
}

/// Runs commands from `input`, one per line; blank lines and `#` comments are skipped.
pub fn run_script(state: &Rc<RefCell<State>>, input: impl BufRead) -> Outcome {
    let mut outcome = Outcome::Success;
    for (index, line) in input.lines().enumerate() {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                errln!("rftp: cannot read the script: {e}");
                outcome = Outcome::Failed;
                break;
            }
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let result = commands::execute(&mut state.borrow_mut(), &line);
        if state.borrow().session.interrupted() {
            // How far a batch got is worth its line; other commands just stop.
            if let Err(e @ crate::session::Error::BatchInterrupted { .. }) = &result {
                errln!("rftp: line {}: {e}", index + 1);
            }
            state.borrow_mut().session.close();
            return Outcome::Interrupted;
        }
        match result {
            Ok(Flow::Quit) => break,
            Ok(Flow::Continue) => {}
            Err(e) => {
                errln!("rftp: line {}: {e}", index + 1);
                outcome.record(&e);
                if state.borrow().fail_fast {
                    break;
                }
            }
        }
    }
    state.borrow_mut().session.close();
    outcome
}
