//! The rftp shell: an `ftp>` prompt on a terminal (rustyline: history, tab
//! completion), or commands read line by line from a script.
//!
//! Errors in a session are not fatal: a failing command prints its error and
//! the shell carries on, remembering the failure for the exit status. In a
//! script, errors name their line, and `-e` stops at the first one.

mod commands;
mod complete;
mod login;
pub mod words;

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{BufRead, IsTerminal};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::progress::ProgressMode;
use crate::protocol::{self, AbortHandle, Client, TransferType};
use crate::transfer::TransferError;

pub use commands::{COMMANDS, CommandSpec, first_duplicate, run_batch, tree_folder_name, tree_root};
pub use login::LoginRequest;

/// How many connections batches use unless told otherwise.
pub const DEFAULT_PARALLEL: usize = 4;

/// Settings the user can change at the prompt.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Show the server's replies and transfer summaries.
    pub verbose: bool,
    /// Protocol debug level: 0, 1 or 2.
    pub debug: u8,
    /// Passive mode (default) or active mode.
    pub passive: bool,
    /// Binary (default) or ASCII transfers.
    pub transfer_type: TransferType,
    /// Ask before each file of mget, mput and mdelete (on a terminal only).
    pub prompt: bool,
    /// Stop a script at the first failing command.
    pub fail_fast: bool,
    /// `--timeout`: the longest wait for the server (to connect, for a whole
    /// reply, for a data connection to move 1 KiB); `None` for the defaults.
    pub timeout: Option<Duration>,
    /// Connections for mget, mput, get -r and put -r.
    pub parallel: usize,
    /// FTPS: TLS on the control and data connections (`--tls`, `ftpes://`, `ftps://`).
    pub tls: Option<crate::protocol::TlsMode>,
    /// A PEM file of CA certificates to trust besides the system's (`--cacert`).
    pub cacert: Option<std::path::PathBuf>,
    /// Accept any certificate (`--insecure`).
    pub insecure: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            verbose: false,
            debug: 0,
            passive: true,
            transfer_type: TransferType::Binary,
            prompt: true,
            fail_fast: false,
            timeout: None,
            parallel: DEFAULT_PARALLEL,
            tls: None,
            cacert: None,
            insecure: false,
        }
    }
}

/// The credentials a session logged in with, kept to reconnect after a
/// server dropped the connection on ABOR.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: crate::password::Password,
    /// The account, if one was needed (a secret like the password).
    pub account: Option<crate::password::Password>,
}

/// An open connection and what is known about it.
pub struct Connection {
    /// The protocol client.
    pub client: Client,
    /// The host as the user gave it.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Who is logged in, if anyone.
    pub credentials: Option<Credentials>,
    /// Whether ABOR goes with Telnet IP and Synch (turned off for servers that
    /// drop the connection on them).
    pub telnet_abort: bool,
    /// The remote folder after the last `cd` (None: where the login put us),
    /// to return to after a reconnect.
    pub folder: Option<String>,
}

/// Everything the shell knows: the connection, the settings, the terminal.
pub struct State {
    /// The current connection.
    pub connection: Option<Connection>,
    /// The user's settings.
    pub settings: Settings,
    /// Whether the user can be asked things (stdin and stderr are terminals).
    pub interactive: bool,
    /// How transfers show progress.
    pub progress: ProgressMode,
    /// Log in automatically on `open` (off with `-n`).
    pub auto_login: bool,
    /// How to log in automatically (from `-u`, `-a`).
    pub login: LoginRequest,
    /// Remote names by folder, for completion; cleared whenever the remote side changes.
    pub remote_names: HashMap<String, Vec<String>>,
    /// The running transfer's abort handle, for the Ctrl-C handler.
    /// The session's connection first, then those of a running batch.
    pub abort_slot: Arc<Mutex<Vec<AbortHandle>>>,
    /// Set by Ctrl-C.
    pub interrupted: Arc<AtomicBool>,
    /// Whether a Ctrl-C with no transfer to abort ends rftp at once (scripts
    /// and one-shot commands) rather than only cancelling the command's
    /// next transfer (the interactive shell).
    pub exit_on_interrupt: bool,
    /// Set while a local command (`!`) or a question has the terminal.
    pub interrupts_paused: Arc<AtomicBool>,
    /// Commands are being read from standard input as a script, so
    /// standard input holds no data for `put -` or `append -`.
    pub stdin_is_script: bool,
}

/// What running a command asks of the loop.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next command.
    Continue,
    /// Leave the shell.
    Quit,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    /// The command was used wrongly.
    #[error("{0}")]
    Usage(String),
    /// The command needs a connection.
    #[error("not connected (use `open HOST`)")]
    NotConnected,
    /// Connecting failed.
    #[error("cannot connect to {host}: {error}")]
    Connect {
        /// The host.
        host: String,
        /// Why.
        #[source]
        error: protocol::Error,
    },
    /// Logging in failed.
    #[error("login failed: {0}")]
    Login(#[source] protocol::Error),
    /// No password could be found for a user, and nobody can be asked.
    #[error("no password for {0}: set $RFTP_PASSWORD (with -u), add it to ~/.netrc, or run on a terminal")]
    NoPassword(String),
    /// The server refused, or the connection failed.
    #[error(transparent)]
    Ftp(#[from] protocol::Error),
    /// A transfer failed.
    #[error(transparent)]
    Transfer(#[from] TransferError),
    /// A local operation failed.
    #[error("{0}")]
    Local(String),
    /// Some files of an mget, mput or mdelete failed (each was reported).
    #[error("{failed} of {total} files failed")]
    SomeFailed {
        /// How many failed.
        failed: usize,
        /// How many were tried.
        total: usize,
    },
}

impl ShellError {
    /// Whether this is a failure to connect or log in (exit status 3).
    pub fn is_connect_failure(&self) -> bool {
        matches!(self, ShellError::Connect { .. } | ShellError::Login(_) | ShellError::NoPassword(_))
    }
}

/// How the shell's session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every command succeeded.
    Success,
    /// Some command failed.
    Failed,
    /// Connecting or logging in failed.
    ConnectFailed,
    /// Interrupted by Ctrl-C (scripts).
    Interrupted,
}

impl State {
    /// A shell state with these settings; `interactive` when a person is typing.
    pub fn new(settings: Settings, interactive: bool, progress: ProgressMode) -> State {
        State {
            connection: None,
            settings,
            interactive,
            progress,
            auto_login: true,
            login: LoginRequest::Default,
            remote_names: HashMap::new(),
            abort_slot: Arc::new(Mutex::new(Vec::new())),
            interrupted: Arc::new(AtomicBool::new(false)),
            exit_on_interrupt: !interactive,
            interrupts_paused: Arc::new(AtomicBool::new(false)),
            stdin_is_script: false,
        }
    }

    /// The connected client, or [`ShellError::NotConnected`].
    pub fn client(&mut self) -> Result<&mut Client, ShellError> {
        match self.connection.as_mut() {
            Some(connection) => Ok(&mut connection.client),
            None => Err(ShellError::NotConnected),
        }
    }

    /// Prints a server reply when verbose.
    pub fn show_reply(&self, reply: &protocol::Reply) {
        if self.settings.verbose {
            outln!("{reply}");
        }
    }

    /// Installs the Ctrl-C handler: it aborts the running transfer (or the
    /// command's next one). Without a transfer to abort, it ends a script or
    /// a one-shot command with status 130; in the interactive shell a second
    /// Ctrl-C does.
    pub fn install_interrupt_handler(&self) {
        let slot = Arc::clone(&self.abort_slot);
        let interrupted = Arc::clone(&self.interrupted);
        let paused = Arc::clone(&self.interrupts_paused);
        let exit_on_interrupt = self.exit_on_interrupt;
        let _ = ctrlc::set_handler(move || {
            if paused.load(Ordering::SeqCst) {
                // A local command or a prompt has the terminal: Ctrl-C is theirs.
                return;
            }
            let already = interrupted.swap(true, Ordering::SeqCst);
            let aborted = abort_transfer(&slot);
            if !aborted && (exit_on_interrupt || already) {
                std::process::exit(130);
            }
        });
    }

    /// Runs `f` with Ctrl-C left to whoever has the terminal meanwhile.
    pub fn with_interrupts_paused<T>(&self, f: impl FnOnce() -> T) -> T {
        self.interrupts_paused.store(true, Ordering::SeqCst);
        let result = f();
        self.interrupts_paused.store(false, Ordering::SeqCst);
        result
    }

    /// Clears a Ctrl-C that no command took (called before each command).
    pub fn clear_interrupt(&self) {
        self.interrupted.store(false, Ordering::SeqCst);
        for handle in self.abort_slot.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            handle.clear();
        }
    }
}

/// Aborts every running transfer (a batch runs several), or the session's
/// next one; whether any was running.
fn abort_transfer(slot: &Mutex<Vec<AbortHandle>>) -> bool {
    let handles = slot.lock().unwrap_or_else(|p| p.into_inner());
    // Every connection, including batch workers between two files.
    let mut aborted = false;
    for handle in handles.iter() {
        aborted |= handle.abort_or_cancel_next();
    }
    aborted
}

/// Runs one shell command line (for `rftp URL`, which starts in a folder).
pub fn execute(state: &mut State, line: &str) -> Result<Flow, ShellError> {
    commands::execute(state, line)
}

/// Ends the session politely, if there is one.
pub fn close(state: &mut State) {
    commands::close_connection(state);
}

impl Settings {
    /// The settings the command line asks for; verbose by default on a terminal.
    pub fn from_args(args: &crate::cli::SessionArgs, interactive: bool) -> Settings {
        Settings {
            verbose: !args.quiet && (args.verbose || interactive),
            debug: args.debug.min(2),
            passive: !args.active,
            fail_fast: args.fail_fast,
            timeout: args.timeout.map(Duration::from_secs),
            parallel: args.parallel.map_or(DEFAULT_PARALLEL, usize::from),
            tls: args.tls.then_some(crate::protocol::TlsMode::Explicit),
            cacert: args.cacert.clone(),
            insecure: args.insecure,
            ..Settings::default()
        }
    }
}

/// Connects to `host` when the shell starts, and logs in unless `-n` was given.
pub fn start_session(state: &mut State, host: &str, port: u16) -> Result<(), ShellError> {
    login::connect(state, host, port)?;
    if state.auto_login {
        login::login_automatically(state)?;
    }
    Ok(())
}

/// Runs the shell until `bye` or the end of input; returns how it went.
pub fn run(state: State) -> Outcome {
    let state = Rc::new(RefCell::new(state));
    let interactive = state.borrow().interactive;
    state.borrow().install_interrupt_handler();
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
    // `quote PASS x` and `quote "PASS x"` both send PASS.
    let sent = words.get(1..).unwrap_or_default().join(" ");
    let sent_verb = sent.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    if (is("quote") || is("site")) && matches!(sent_verb.as_str(), "PASS" | "ACCT") {
        return false;
    }
    // URLs with a password: ftp://user:secret@host
    !words.iter().any(|w| crate::url::redact(w) != *w)
}

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
    let mut outcome = Outcome::Success;
    loop {
        state.borrow().clear_interrupt();
        let line = match editor.readline("ftp> ") {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => {
                errln!("rftp: {e}");
                break;
            }
        };
        if !line.trim().is_empty() && may_save_in_history(&line) {
            let _ = editor.add_history_entry(line.as_str());
            if let Some(path) = &history {
                save_history_line(&mut editor, path);
            }
        }
        match commands::execute(&mut state.borrow_mut(), &line) {
            Ok(Flow::Quit) => break,
            Ok(Flow::Continue) => {}
            Err(e) => {
                errln!("rftp: {e}");
                outcome = worse(outcome, &e);
            }
        }
    }
    commands::close_connection(&mut state.borrow_mut());
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
        if state.borrow().interrupted.load(Ordering::SeqCst) {
            commands::close_connection(&mut state.borrow_mut());
            return Outcome::Interrupted;
        }
        match result {
            Ok(Flow::Quit) => break,
            Ok(Flow::Continue) => {}
            Err(e) => {
                errln!("rftp: line {}: {e}", index + 1);
                outcome = worse(outcome, &e);
                if state.borrow().settings.fail_fast {
                    break;
                }
            }
        }
    }
    commands::close_connection(&mut state.borrow_mut());
    outcome
}

fn worse(current: Outcome, error: &ShellError) -> Outcome {
    match (current, error.is_connect_failure()) {
        (Outcome::ConnectFailed, _) | (_, true) => Outcome::ConnectFailed,
        _ => Outcome::Failed,
    }
}

/// Whether stdin and stderr are both terminals (a person is at the keyboard).
pub fn is_interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}
