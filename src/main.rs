//! The `rftp` binary: parses the command line, picks the mode (the shell or
//! `serve`), and turns the outcome into an exit status.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use rftp::cli::{Cli, Commands};
use rftp::exit;
use rftp::progress::ProgressMode;
use rftp::shell::{self, LoginRequest, Settings, State};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        #[cfg(feature = "server")]
        Some(Commands::Serve(args)) => serve(args),
        None => run_shell(cli),
    }
}

fn run_shell(cli: Cli) -> ExitCode {
    let args = &cli.session;
    let interactive = shell::is_interactive();
    let settings = Settings {
        verbose: !args.quiet && (args.verbose || interactive),
        debug: args.debug.min(2),
        passive: !args.active,
        fail_fast: args.fail_fast,
        timeout: args.timeout.map(Duration::from_secs),
        ..Settings::default()
    };
    let progress = if interactive && !args.quiet && std::io::stderr().is_terminal() {
        ProgressMode::Bar
    } else {
        ProgressMode::Off
    };
    let mut state = State::new(settings, interactive, progress);
    state.auto_login = !args.no_login;
    state.login = match (&args.user, args.anonymous) {
        (Some(user), _) => LoginRequest::User(user.clone()),
        (None, true) => LoginRequest::Anonymous,
        (None, false) => LoginRequest::Default,
    };
    let mut startup_failed = false;
    if let Some(host) = &cli.host
        && let Err(e) = shell::start_session(&mut state, host, cli.port)
    {
        eprintln!("rftp: {e}");
        if !interactive {
            let status = if e.is_connect_failure() {
                exit::CONNECT
            } else {
                exit::FAILURE
            };
            return ExitCode::from(status);
        }
        startup_failed = true;
    }
    let outcome = shell::run(state);
    if startup_failed && outcome != shell::Outcome::Interrupted {
        return ExitCode::from(exit::CONNECT);
    }
    exit::for_outcome(outcome)
}

#[cfg(feature = "server")]
fn serve(args: rftp::cli::ServeArgs) -> ExitCode {
    use rftp::server::{Access, Server, ServerConfig};
    let dir = match args.dir.map(Ok).unwrap_or_else(std::env::current_dir) {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("rftp: cannot find the current folder: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    let login = match args.user.as_deref().map(|u| u.split_once(':')) {
        None => None,
        Some(Some((name, password))) => Some((name.to_string(), password.to_string())),
        Some(None) => {
            eprintln!("rftp: --user takes NAME:PASSWORD");
            return ExitCode::from(exit::USAGE);
        }
    };
    let config = ServerConfig {
        root: dir,
        port: args.port,
        access: if args.write {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        },
        login,
    };
    match Server::start(config) {
        Ok(server) => {
            println!(
                "Serving {} at ftp://{}/ (Ctrl-C to stop)",
                server.root().display(),
                server.address()
            );
            server.wait();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rftp: cannot start the server: {e}");
            ExitCode::from(exit::FAILURE)
        }
    }
}
