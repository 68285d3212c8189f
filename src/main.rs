//! The `rftp` binary: parses the command line, picks the mode (the shell, a
//! one-shot command, `serve` or `demo`), and turns the outcome into an exit
//! status.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use rftp::cli::{Cli, Commands, SessionArgs};
use rftp::oneshot;
use rftp::progress::ProgressMode;
use rftp::protocol::DEFAULT_PORT;
use rftp::shell::{self, LoginRequest, Outcome, Settings, State};
use rftp::{display, exit};

fn main() -> ExitCode {
    // Before anything else, while there is a single thread: a password on the
    // command line is hidden from the process list by executing again.
    let args = match rftp::argv::real_args() {
        Ok(args) => args,
        Err(e) => {
            report(e);
            return ExitCode::from(exit::FAILURE);
        }
    };
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap echoes arguments in its errors ("invalid value 'URL'"):
            // those carry no password either.
            let plain = e.render().to_string();
            let redacted = rftp::url::redact_all(&plain);
            if redacted == plain {
                e.exit();
            }
            eprint!("{redacted}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let args = &cli.session;
    if args.insecure {
        eprintln!(
            "rftp: warning: --insecure: server certificates are not checked; anyone in the middle can read everything"
        );
    }
    let port = args.port.unwrap_or(DEFAULT_PORT);
    let result = match &cli.command {
        // A tree transfer starts every file afresh: -c would be ignored, and
        // each .part left from an earlier run refused, with nothing resumed.
        Some(Commands::Get(get)) if get.recursive && get.resume => Err(oneshot::UsageError(
            "get -r does not resume (-c): every file starts afresh; resume single files with get -c".into(),
        )),
        Some(Commands::Get(get)) if get.recursive => {
            oneshot::get_tree(&mut one_shot_state(args), &get.sources, get.output.as_deref(), port)
        }
        Some(Commands::Get(get)) => {
            let mut state = one_shot_state(args);
            oneshot::get(&mut state, &get.sources, get.output.as_deref(), get.resume, port)
        }
        Some(Commands::Put(put)) if put.recursive => oneshot::put_tree(&mut one_shot_state(args), &put.paths, port),
        Some(Commands::Put(put)) => oneshot::put(&mut one_shot_state(args), &put.paths, port),
        Some(Commands::Ls(ls)) => oneshot::ls(&mut one_shot_state(args), &ls.target, ls.long, port),
        #[cfg(feature = "server")]
        Some(Commands::Serve(serve)) => match args.user.as_deref().map(rftp::cli::parse_login).transpose() {
            Ok(login) => {
                return edge(rftp::serve::serve(serve, args.port, login).map(|()| Outcome::Success));
            }
            Err(e) => Err(oneshot::UsageError(format!("--user: {e}"))),
        },
        #[cfg(feature = "server")]
        Some(Commands::Demo) => return edge(rftp::serve::demo(shell_state(args))),
        None => match &cli.host {
            Some(host) if rftp::url::is_url(host) => {
                if cli.port.is_some() {
                    Err(oneshot::UsageError("a URL carries its own port".into()))
                } else {
                    oneshot::open_url(shell_state(args), host)
                }
            }
            // `user:password@host` is no host; "cannot resolve" would echo it.
            Some(host) if host.contains('@') => Err(oneshot::UsageError(rftp::url::USER_IN_HOST.into())),
            host => Ok(run_shell(shell_state(args), host.as_deref(), cli.port.or(args.port))),
        },
    };
    let status = match result {
        Ok(outcome) => exit::status(outcome),
        Err(usage) => {
            report(usage);
            exit::USAGE
        }
    };
    with_output_checked(status)
}

/// The exit status of a mode whose setup errors are reported as they are.
#[cfg(feature = "server")]
fn edge(result: anyhow::Result<Outcome>) -> ExitCode {
    let status = match result {
        Ok(outcome) => exit::status(outcome),
        Err(e) => {
            report(format!("{e:#}"));
            exit::FAILURE
        }
    };
    with_output_checked(status)
}

/// `status`, unless writing to standard output failed (a full disk, not a
/// closed pipe): a listing or download that never arrived is no success.
fn with_output_checked(status: u8) -> ExitCode {
    match rftp::output::finish() {
        Some(error) => {
            report(format!("cannot write to standard output: {error}"));
            ExitCode::from(if status == exit::SUCCESS { exit::FAILURE } else { status })
        }
        None => ExitCode::from(status),
    }
}

/// The state of an interactive or scripted shell.
fn shell_state(args: &SessionArgs) -> State {
    let interactive = shell::is_interactive();
    let progress = if interactive && !args.quiet { ProgressMode::Bar } else { ProgressMode::Off };
    let mut state = State::new(Settings::from_args(args, interactive), interactive, progress);
    state.auto_login = !args.no_login;
    state.login = login_request(args, LoginRequest::Default);
    state
}

/// The state of a one-shot command: never asks for a user name, and shows
/// progress as a bar on a terminal or as plain lines in logs.
fn one_shot_state(args: &SessionArgs) -> State {
    let terminal = std::io::stderr().is_terminal();
    let progress = match (args.quiet, terminal) {
        (true, _) => ProgressMode::Off,
        (false, true) => ProgressMode::Bar,
        (false, false) => ProgressMode::Lines,
    };
    let settings = Settings { verbose: args.verbose, ..Settings::from_args(args, false) };
    let mut state = State::new(settings, shell::is_interactive(), progress);
    state.login = login_request(args, LoginRequest::NetrcOrAnonymous);
    state.exit_on_interrupt = true;
    state
}

fn login_request(args: &SessionArgs, default: LoginRequest) -> LoginRequest {
    match (&args.user, args.anonymous) {
        (Some(user), _) => LoginRequest::User(user.clone()),
        (None, true) => LoginRequest::Anonymous,
        (None, false) => default,
    }
}

fn run_shell(mut state: State, host: Option<&str>, port: Option<u16>) -> Outcome {
    let mut startup_failed = false;
    if let Some(host) = host
        && let Err(e) = shell::start_session(&mut state, host, port.unwrap_or(DEFAULT_PORT))
    {
        report(&e);
        let failed = if e.is_connect_failure() { Outcome::ConnectFailed } else { Outcome::Failed };
        if !state.interactive {
            return failed;
        }
        startup_failed = true;
    }
    let outcome = shell::run(state);
    if startup_failed && outcome != Outcome::Interrupted {
        return Outcome::ConnectFailed;
    }
    outcome
}

/// Prints `rftp: MESSAGE` on standard error, with URL passwords hidden and
/// control characters escaped ([`display::for_stderr`]).
fn report(message: impl std::fmt::Display) {
    eprintln!("rftp: {}", display::for_stderr(&message.to_string()));
}
