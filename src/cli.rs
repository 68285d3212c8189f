//! The command line, defined once with clap: `--help`, the shell completions
//! in `completions/` and the man page in `man/` all come from here.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

/// A fast, safe, friendly FTP client.
///
/// Without a subcommand, rftp runs its shell: an `ftp>` prompt on a terminal,
/// or the commands read from standard input in a script.
#[derive(Debug, Parser)]
#[command(name = "rftp", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without one, the interactive shell.
    #[command(subcommand)]
    pub command: Option<Commands>,
    /// How the session connects and behaves.
    #[command(flatten)]
    pub session: SessionArgs,
    /// The server to connect to: a host name, an IPv4 address or an IPv6 literal.
    pub host: Option<String>,
    /// The server's port.
    #[arg(default_value_t = 21, hide_default_value = true)]
    pub port: u16,
}

/// Options of a session.
#[derive(Debug, Args)]
pub struct SessionArgs {
    /// Connect without logging in (a `user` command logs in).
    #[arg(short = 'n', long)]
    pub no_login: bool,
    /// Log in anonymously.
    #[arg(short, long, conflicts_with = "user")]
    pub anonymous: bool,
    /// Log in as USER (password from $RFTP_PASSWORD, ~/.netrc, or a prompt).
    #[arg(short, long, value_name = "USER")]
    pub user: Option<String>,
    /// Show the protocol: -d for commands and replies, -dd for every line (passwords stay masked).
    #[arg(short, long, action = ArgAction::Count)]
    pub debug: u8,
    /// Show server replies and transfer summaries.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Show only what was asked for: no replies, no progress.
    #[arg(short, long)]
    pub quiet: bool,
    /// In a script, stop at the first failing command.
    #[arg(short = 'e', long)]
    pub fail_fast: bool,
    /// Use active mode (the server connects back) instead of passive mode.
    #[arg(long)]
    pub active: bool,
    /// Connect and idle timeout, in seconds.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

/// rftp's subcommands.
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Serve a folder over FTP on 127.0.0.1 (read-only and anonymous by default).
    #[cfg(feature = "server")]
    Serve(ServeArgs),
}

/// Options of `rftp serve`.
#[cfg(feature = "server")]
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The folder to serve (default: the current folder).
    pub dir: Option<PathBuf>,
    /// The port to listen on (default: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Allow uploads, deletions, renames and new folders.
    #[arg(long)]
    pub write: bool,
    /// Require this login instead of anonymous access.
    #[arg(long, value_name = "NAME:PASSWORD")]
    pub user: Option<String>,
}
