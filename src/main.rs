//! The `rftp` binary: parses the command line, picks the front end (the
//! shell, a one-shot command, `serve` or `demo`), and turns the result into
//! an exit status in one place ([`exit_status`]).

#![forbid(unsafe_code)]

/// Prints a line on standard output, with control characters from the
/// server made harmless on a terminal ([`display`]). A closed pipe
/// (`rftp ls URL | head -1`) ends the output quietly; other write failures
/// are remembered for the exit status ([`output`]).
macro_rules! outln {
    ($($arg:tt)*) => {{
        $crate::output::line(&format!($($arg)*));
    }};
}

/// Prints a diagnostic on standard error: URL passwords hidden and control
/// characters escaped, terminal or not ([`display::for_stderr`]).
macro_rules! errln {
    ($($arg:tt)*) => {{
        let line = format!($($arg)*);
        eprintln!("{}", $crate::display::for_stderr(&line));
    }};
}

mod argv;
mod batch;
mod bookmarks;
mod checksum;
mod cli;
mod config;
mod display;
#[cfg(all(test, feature = "server"))]
mod engine_tests;
mod filter;
#[cfg(test)]
mod generated;
mod json;
mod localfs;
mod mirror;
mod names;
mod oneshot;
mod output;
mod progress;
mod ratelimit;
mod remote_ls;
#[cfg(feature = "server")]
mod serve;
mod session;
mod shell;
mod transfer;
mod tree;
mod trust;
mod url;

// The library's parts, under the names the modules above use.
#[cfg(feature = "server")]
use rftp::server;
use rftp::{password, protocol};

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;
use clap::Parser;
use clap::error::ErrorKind;
use cli::{Cli, Commands, SessionArgs, ShellArgs, UserArg};
use progress::ProgressMode;
use protocol::{DEFAULT_PORT, TlsMode};
use session::{LoginRequest, Outcome, Session, Settings};

/// What a whole run comes to: how its commands went, or the one error that
/// stopped it (a typed [`session::Error`] inside when rftp's own).
type RunResult = anyhow::Result<Outcome>;

fn main() -> ExitCode {
    // Before anything else, while there is a single thread: a password on the
    // command line is hidden from the process list by executing again.
    let result = argv::real_args().map_err(|e| anyhow!(e)).and_then(|args| {
        let cli = parse(args);
        run(&cli)
    });
    if let Err(e) = &result {
        report_error(e);
    }
    let status = with_output_checked(exit_status(&result));
    ExitCode::from(status)
}

/// The one place where a run's result becomes an exit status: 0 success,
/// 1 a command failed, 2 usage error, 3 could not connect or log in,
/// 130 interrupted.
fn exit_status(result: &RunResult) -> u8 {
    match result {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::Failed) => 1,
        Ok(Outcome::ConnectFailed) => 3,
        Ok(Outcome::Interrupted) => 130,
        Err(e) => e.downcast_ref::<session::Error>().map_or(1, session::Error::exit_status),
    }
}

/// Parses the command line; on an error, clap prints it and exits (2), with
/// URL passwords hidden from its echo of the arguments.
fn parse(args: Vec<std::ffi::OsString>) -> Cli {
    match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // Help and version texts echo nothing the user typed; redacting them
        // would mangle `[USER[:PASSWORD]@]` in the usage lines.
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) => {
            let plain = e.render().to_string();
            let redacted = url::redact_all(&plain);
            if redacted == plain {
                e.exit();
            }
            eprint!("{redacted}");
            std::process::exit(2);
        }
    }
}

/// A usage error: the command line cannot be carried out as written (exit 2).
fn usage(message: &str) -> RunResult {
    Err(usage_error(message))
}

/// The error of [`usage`].
fn usage_error(message: &str) -> anyhow::Error {
    session::Error::Usage(message.into()).into()
}

/// Runs the front end the command line asks for.
fn run(cli: &Cli) -> RunResult {
    let args = &session_args(cli)?;
    if args.insecure {
        eprintln!(
            "rftp: warning: --insecure: server certificates are not checked (known_certificates entries still are); anyone in the middle can read everything"
        );
    }
    // Checked here, not by clap: `rftp serve` has a `--user` of its own.
    if args.anonymous && (cli.shell.user.is_some() || cli.command.as_ref().and_then(Commands::user).is_some()) {
        return usage("-a and -u cannot be used together");
    }
    match &cli.command {
        Some(command) => run_command(command, cli, args),
        None => run_shell(cli, args),
    }
}

/// The session's options: those given before the subcommand, overridden by
/// those given after it.
fn session_args(cli: &Cli) -> anyhow::Result<SessionArgs> {
    let Some(command) = &cli.command else {
        return Ok(cli.session.clone());
    };
    if cli.shell.no_login || cli.shell.fail_fast {
        return Err(usage_error("-n and -e are options of the shell, not of a subcommand"));
    }
    let Some(later) = command.session() else {
        // `rftp serve`: only the port may come before the subcommand.
        let port_only = SessionArgs { port: cli.session.port, ..SessionArgs::default() };
        if cli.session != port_only {
            return Err(usage_error("rftp serve takes only its own options: see rftp serve --help"));
        }
        return Ok(port_only);
    };
    let args = cli.session.overridden_by(later);
    if args.verbose && args.quiet {
        return Err(usage_error("--verbose and --quiet cannot be used together"));
    }
    Ok(args)
}

/// `rftp get`, `put`, `ls`, `serve` and `demo`.
fn run_command(command: &Commands, cli: &Cli, args: &SessionArgs) -> RunResult {
    let port = args.port.unwrap_or(DEFAULT_PORT);
    Ok(match command {
        // A tree transfer starts every file afresh: -c would be ignored, and
        // each .part left from an earlier run refused, with nothing resumed.
        Commands::Get(get) if get.recursive && get.resume => {
            return usage("get -r does not resume (-c): every file starts afresh; resume single files with get -c");
        }
        Commands::Get(get) => {
            let session = &mut one_shot_session(args, &cli.shell, &get.login);
            oneshot::use_json(session, get.json);
            session.settings.segments = get.segments.map(usize::from);
            let output = get.output.as_deref();
            if get.recursive {
                oneshot::get_tree(session, &get.sources, output, get.verify, port)?
            } else {
                oneshot::get(session, &get.sources, output, get.resume, get.verify, port)?
            }
        }
        // As with get: a tree is sent afresh, file by file.
        Commands::Put(put) if put.recursive && put.resume => {
            return usage("put -r does not resume (-c): every file is sent whole; resume single files with put -c");
        }
        Commands::Put(put) => {
            let session = &mut one_shot_session(args, &cli.shell, &put.login);
            oneshot::use_json(session, put.json);
            if put.recursive {
                oneshot::put_tree(session, &put.paths, put.verify, port)?
            } else {
                oneshot::put(session, &put.paths, put.resume, put.verify, port)?
            }
        }
        Commands::Ls(ls) => {
            let session = &mut one_shot_session(args, &cli.shell, &ls.login);
            oneshot::use_json(session, ls.json);
            oneshot::ls(session, &ls.target, ls.long, port)?
        }
        Commands::Mirror(mirror) => {
            oneshot::mirror(&mut one_shot_session(args, &cli.shell, &mirror.login), mirror, port)?
        }
        #[cfg(feature = "server")]
        Commands::Serve(_) if cli.shell.user.is_some() => {
            return usage("rftp serve takes its login after `serve`: rftp serve --user NAME:PASSWORD");
        }
        #[cfg(feature = "server")]
        Commands::Serve(serve) => {
            serve::serve(serve, serve.port.or(args.port))?;
            Outcome::Success
        }
        #[cfg(feature = "server")]
        Commands::Demo(_) => run_demo(args, &cli.shell)?,
    })
}

/// `rftp demo`: the shell, anonymous on the demo server, which lives until the shell ends.
#[cfg(feature = "server")]
fn run_demo(args: &SessionArgs, shell_args: &ShellArgs) -> RunResult {
    let demo = serve::Demo::start()?;
    let address = demo.address();
    let start =
        shell::Start { host: address.ip().to_string(), port: address.port(), must_connect: true, ..Default::default() };
    // The demo is anonymous: every login of its shell (an `open` after
    // `close` too) is, whatever `-u` says, and never asks for a name.
    let mut state = shell_state(args, shell_args);
    state.session.login = LoginRequest::Anonymous;
    if args.limit_rate.is_none() {
        state.session.settings.limit_rate = Some(serve::DEMO_RATE);
    }
    let outcome = shell::run_session(state, Some(start));
    drop(demo);
    Ok(outcome)
}

/// `rftp [HOST [PORT]]` and `rftp URL`.
fn run_shell(cli: &Cli, args: &SessionArgs) -> RunResult {
    match &cli.host {
        Some(location) if url::is_url(location) => {
            if cli.port.is_some() {
                return usage("a URL carries its own port");
            }
            open_url(args, &cli.shell, location)
        }
        // `user:password@host` is no host; "cannot resolve" would echo it.
        Some(host) if host.contains('@') => usage(url::USER_IN_HOST),
        Some(host) => {
            // `rftp NAME`: a bookmark, when the word could be one's name.
            if cli.port.is_none()
                && let Some(bookmark) = bookmarks::lookup_name(host)
            {
                return open_bookmark(args, &cli.shell, &bookmark);
            }
            let port = cli.port.or(args.port).unwrap_or(DEFAULT_PORT);
            // A word that could be a bookmark's name says it is none, after the connection error.
            let note = bookmarks::is_name(host)
                .then(|| format!("no bookmark named {host} either (`bookmark list` shows them)"));
            let start = shell::Start { host: host.clone(), port, note, ..Default::default() };
            Ok(shell::run_session(shell_state(args, &cli.shell), Some(start)))
        }
        None => Ok(shell::run_session(shell_state(args, &cli.shell), None)),
    }
}

/// `rftp URL`: a file URL downloads the file here; a folder URL opens the
/// shell there.
fn open_url(args: &SessionArgs, shell_args: &ShellArgs, location: &str) -> RunResult {
    let remote = url::parse(location).map_err(|e| session::Error::Usage(e.to_string()))?;
    if !remote.is_folder() {
        return Ok(oneshot::get(
            &mut one_shot_session(args, shell_args, &UserArg { user: None }),
            &[location.to_string()],
            None,
            false,
            false,
            DEFAULT_PORT,
        )?);
    }
    let start = shell::Start {
        port: remote.port.unwrap_or(DEFAULT_PORT),
        login: remote.user.clone().map(|user| LoginRequest::Given(user, remote.password.clone())),
        tls: remote.tls,
        folder: Some(remote.path.clone()),
        must_connect: true,
        host: remote.host,
        note: None,
    };
    Ok(shell::run_session(shell_state(args, shell_args), Some(start)))
}

/// `rftp NAME`: the shell on the bookmark's server, logged in as its user
/// and in its folder, as `open NAME` at the prompt.
fn open_bookmark(args: &SessionArgs, shell_args: &ShellArgs, bookmark: &bookmarks::Bookmark) -> RunResult {
    let target = &bookmark.target;
    let start = shell::Start {
        host: target.host.clone(),
        port: target.port(),
        login: target.login(),
        tls: target.tls,
        folder: Some(target.folder.clone()),
        must_connect: true,
        note: None,
    };
    Ok(shell::run_session(shell_state(args, shell_args), Some(start)))
}

/// The settings the command line asks for; verbose by default on a terminal.
fn settings(args: &SessionArgs, interactive: bool) -> Settings {
    Settings {
        verbose: !args.quiet && (args.verbose || interactive),
        debug: args.debug.min(2),
        passive: !args.active,
        timeout: args.timeout.map(Duration::from_secs),
        parallel: args.parallel.map(usize::from),
        tls: args.tls.then_some(TlsMode::Explicit),
        cacert: args.cacert.clone(),
        insecure: args.insecure,
        retry: session::retry::RetryPolicy {
            retries: args.retries.unwrap_or(session::retry::DEFAULT_RETRIES),
            first_wait: args.retry_wait.map_or(session::retry::DEFAULT_FIRST_WAIT, Duration::from_secs),
            max_wait: session::retry::MAX_WAIT,
        },
        limit_rate: args.limit_rate,
        quiet: args.quiet,
        pins: args.pin.clone(),
        ..Settings::default()
    }
}

/// `session` with the judge of certificates the system does not trust: it
/// asks on a terminal, and Ctrl-C (the session's) ends its question.
fn with_trust(mut session: Session) -> Session {
    let cancel = std::sync::Arc::clone(&session.interrupts.interrupted);
    session.settings.judge = Some(std::sync::Arc::new(trust::Trust::new(is_interactive(), cancel)));
    session
}

/// The state of an interactive or scripted shell.
fn shell_state(args: &SessionArgs, shell_args: &ShellArgs) -> shell::State {
    let interactive = is_interactive();
    let progress = if interactive && !args.quiet { ProgressMode::Bar } else { ProgressMode::Off };
    let mut session = with_trust(Session::new(settings(args, interactive), interactive, progress));
    session.auto_login = !shell_args.no_login;
    session.login = login_request(args, shell_args.user.as_ref(), LoginRequest::Default);
    shell::State::new(session, shell_args.fail_fast)
}

/// The session of a one-shot command: never asks for a user name, and shows
/// progress as a bar on a terminal or as plain lines in logs.
fn one_shot_session(args: &SessionArgs, shell_args: &ShellArgs, login: &UserArg) -> Session {
    let terminal = std::io::stderr().is_terminal();
    let progress = match (args.quiet, terminal) {
        (true, _) => ProgressMode::Off,
        (false, true) => ProgressMode::Bar,
        (false, false) => ProgressMode::Lines,
    };
    let settings = Settings { verbose: args.verbose, replies_on_stderr: true, ..settings(args, false) };
    let mut session = with_trust(Session::new(settings, is_interactive(), progress));
    session.login =
        login_request(args, login.user.as_ref().or(shell_args.user.as_ref()), LoginRequest::NetrcOrAnonymous);
    session.interrupts.exit_on_interrupt = true;
    session
}

/// The login `-u` (after the subcommand, else before it) or `-a` ask for.
fn login_request(args: &SessionArgs, user: Option<&String>, default: LoginRequest) -> LoginRequest {
    match (user, args.anonymous) {
        (Some(user), _) => LoginRequest::User(user.clone()),
        (None, true) => LoginRequest::Anonymous,
        (None, false) => default,
    }
}

/// Whether stdin and stderr are both terminals (a person is at the keyboard).
fn is_interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// `status`, unless writing to standard output failed (a full disk, not a
/// closed pipe): a listing or download that never arrived is no success.
fn with_output_checked(status: u8) -> u8 {
    match output::finish() {
        Some(error) => {
            report(format!("cannot write to standard output: {error}"));
            if status == 0 { 1 } else { status }
        }
        None => status,
    }
}

/// Reports the error that ended the run: rftp's own as they read, others
/// with their causes.
fn report_error(error: &anyhow::Error) {
    match error.downcast_ref::<session::Error>() {
        Some(e) => report(e),
        None => report(format!("{error:#}")),
    }
}

/// Prints `rftp: MESSAGE` on standard error, with URL passwords hidden and
/// control characters escaped ([`display::for_stderr`]).
fn report(message: impl std::fmt::Display) {
    eprintln!("rftp: {}", display::for_stderr(&message.to_string()));
}
