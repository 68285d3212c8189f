//! The command line, defined once with clap: `--help`, the shell completions
//! in `completions/` and the man page in `man/` all come from here.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

/// A fast, safe, friendly FTP client.
///
/// Without a subcommand, rftp runs its shell: an `ftp>` prompt on a terminal,
/// or the commands read from standard input in a script. `rftp ftp://HOST/FILE`
/// downloads a file; `rftp ftp://HOST/DIR/` opens the shell in that folder.
#[derive(Debug, Parser)]
#[command(name = "rftp", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without one, the interactive shell.
    #[command(subcommand)]
    pub command: Option<Commands>,
    /// The login and the shell's own options.
    #[command(flatten)]
    pub shell: ShellArgs,
    /// How the session connects and behaves.
    #[command(flatten)]
    pub session: SessionArgs,
    /// The server to connect to (a host name, an IPv4 address or an IPv6
    /// literal), or an ftp:// URL.
    #[arg(value_name = "HOST|URL")]
    pub host: Option<String>,
    /// The server's port (21 unless given).
    #[arg(id = "server_port", value_name = "PORT")]
    pub port: Option<u16>,
}

/// The options of the shell alone (`-n`, `-e`), and the login (`-u`, which
/// the subcommands take after their name too).
#[derive(Debug, Args)]
pub struct ShellArgs {
    /// Connect without logging in (a `user` command logs in).
    #[arg(short = 'n', long)]
    pub no_login: bool,
    /// Log in as USER (password from $RFTP_PASSWORD, ~/.netrc, or a prompt).
    // `rftp serve` has a `--user` of its own (NAME:PASSWORD); the client
    // subcommands take this one through [`UserArg`].
    #[arg(short, long, value_name = "USER")]
    pub user: Option<String>,
    /// In a script, stop at the first failing command.
    #[arg(short = 'e', long)]
    pub fail_fast: bool,
}

/// Options of a session, for the shell and the one-shot commands alike.
/// They are given before a subcommand (`rftp -q get …`) or after it (`rftp
/// get -q …`); clap's global options would also list them under `rftp
/// serve`, which takes none of them, so each client subcommand flattens its
/// own copy and [`SessionArgs::overridden_by`] joins the two.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct SessionArgs {
    /// Log in anonymously.
    #[arg(short, long)]
    pub anonymous: bool,
    /// Show the protocol: -d for commands and replies, -dd for every line (passwords stay masked).
    #[arg(short, long, action = ArgAction::Count)]
    pub debug: u8,
    /// Show server replies and transfer summaries.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Show only what was asked for: no replies, no progress.
    #[arg(short, long)]
    pub quiet: bool,
    /// Use active mode (the server connects back) instead of passive mode.
    #[arg(long)]
    pub active: bool,
    /// Longest wait for the server, in seconds: to connect, for a whole reply, and for a data connection to move 1 KiB
    /// (defaults: 30 s to connect, 60 s otherwise).
    // At least 1: sockets refuse a timeout of zero, which made every
    // connection fail with a misleading "cannot connect" (exit 3).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
    /// Connections for many files at once: several files, -r, mirror, and the shell's mget and mput (default: 4 to a
    /// server that answers within 3 ms, else 16).
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: Option<u16>,
    /// FTPS: AUTH TLS on the control connection and TLS on every data
    /// connection (never falls back to plain text).
    #[arg(long)]
    pub tls: bool,
    /// Trust the CA certificates in this PEM file too (FTPS).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Do not check the server's certificate (FTPS; a warning is printed).
    #[arg(long)]
    pub insecure: bool,
    /// Accept exactly the certificate with this SHA-256 fingerprint, and no
    /// other, for this run (FTPS; repeatable): sha256:AB:CD:… as a refusal
    /// shows it, colons and case optional. Nothing is recorded.
    #[arg(long, value_name = "sha256:FINGERPRINT", value_parser = crate::trust::parse_pin)]
    pub pin: Vec<crate::protocol::Fingerprint>,
    /// Tries after a transient failure (a dropped or refused connection, a
    /// timeout, 421, 425, 426, 450, 451); 0 never tries again (default 5).
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Seconds to wait before the first retry; the wait doubles each time,
    /// with some jitter, up to 60 s (default 1).
    #[arg(long, value_name = "SECS")]
    pub retry_wait: Option<u64>,
    /// The most the data may move per second, across all connections of the
    /// command: bytes, or with K, M or G (1024-based), e.g. 500K, 2M; at
    /// least 1K.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub limit_rate: Option<u64>,
    /// The server's port, for HOST:PATH locations (URLs carry their own).
    #[arg(short = 'P', long = "port", value_name = "PORT")]
    pub port: Option<u16>,
}

impl SessionArgs {
    /// These options (given before a subcommand) with those given after it
    /// taking precedence: switches add up, values given later win.
    pub fn overridden_by(&self, later: &SessionArgs) -> SessionArgs {
        SessionArgs {
            anonymous: self.anonymous || later.anonymous,
            debug: self.debug.saturating_add(later.debug),
            verbose: self.verbose || later.verbose,
            quiet: self.quiet || later.quiet,
            active: self.active || later.active,
            timeout: later.timeout.or(self.timeout),
            parallel: later.parallel.or(self.parallel),
            tls: self.tls || later.tls,
            cacert: later.cacert.clone().or_else(|| self.cacert.clone()),
            insecure: self.insecure || later.insecure,
            pin: self.pin.iter().chain(&later.pin).copied().collect(),
            retries: later.retries.or(self.retries),
            retry_wait: later.retry_wait.or(self.retry_wait),
            limit_rate: later.limit_rate.or(self.limit_rate),
            port: later.port.or(self.port),
        }
    }
}

/// rftp's subcommands.
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Download files.
    #[command(about = "Download files: SOURCE is HOST:PATH or ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH")]
    Get(GetArgs),
    /// Upload files: DEST is HOST:PATH or an ftp:// URL (a folder when it ends with /).
    Put(PutArgs),
    /// List a remote folder to standard output.
    Ls(LsArgs),
    /// Keep a folder in step with another: SOURCE into TARGET, one remote
    /// (ftp://HOST/PATH or HOST:PATH) and one local. Only what differs in size
    /// or time moves; times are kept; a second run moves nothing.
    Mirror(MirrorArgs),
    /// Try rftp: serve a sample folder and open the shell on it.
    #[cfg(feature = "server")]
    Demo(DemoArgs),
    /// Serve a folder over FTP on 127.0.0.1 (read-only and anonymous by default;
    /// --port N picks the port, else any free one; --user NAME:PASSWORD requires a login).
    #[cfg(feature = "server")]
    Serve(ServeArgs),
}

/// `-u USER` given after a client subcommand (`rftp get -u bob …`).
#[derive(Debug, Args)]
pub struct UserArg {
    /// Log in as USER (password from $RFTP_PASSWORD, ~/.netrc, or a prompt).
    #[arg(short, long, value_name = "USER")]
    pub user: Option<String>,
}

impl Commands {
    /// The `-u USER` given after a client subcommand.
    pub fn user(&self) -> Option<&String> {
        match self {
            Commands::Get(GetArgs { login, .. })
            | Commands::Put(PutArgs { login, .. })
            | Commands::Ls(LsArgs { login, .. })
            | Commands::Mirror(MirrorArgs { login, .. }) => login.user.as_ref(),
            #[cfg(feature = "server")]
            Commands::Demo(_) | Commands::Serve(_) => None,
        }
    }

    /// The session's options given after the subcommand; `None` for `rftp
    /// serve`, which takes none.
    pub fn session(&self) -> Option<&SessionArgs> {
        match self {
            Commands::Get(GetArgs { session, .. })
            | Commands::Put(PutArgs { session, .. })
            | Commands::Ls(LsArgs { session, .. })
            | Commands::Mirror(MirrorArgs { session, .. }) => Some(session),
            #[cfg(feature = "server")]
            Commands::Demo(DemoArgs { session }) => Some(session),
            #[cfg(feature = "server")]
            Commands::Serve(_) => None,
        }
    }
}

/// Options of `rftp demo`: the shell's session options.
#[cfg(feature = "server")]
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The session's options given after the subcommand.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Arguments of `rftp get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// What to download.
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Where to save: a file, a folder, or - for standard output.
    #[arg(short, long, value_name = "LOCAL")]
    pub output: Option<String>,
    /// Continue a partial download.
    #[arg(short = 'c', long = "continue")]
    pub resume: bool,
    /// Download whole folders, empty ones included.
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// Compare checksums after each file (the best the server offers:
    /// HASH, XSHA256, XSHA1, XMD5, XCRC); a file that differs is moved again
    /// once, then fails. Sizes only where the server has no checksum command.
    #[arg(long)]
    pub verify: bool,
    /// Fetch each file as N byte ranges on N connections at once (REST);
    /// 1 turns it off. By default files of 64 MiB and up are split in up
    /// to 4 (within -j) when the server supports REST.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub segments: Option<u16>,
    /// One JSON object per line on standard output for each file (remote,
    /// local, bytes, seconds, result, and for a failure the error, the
    /// server's reply code and text, and the exit status); messages go to
    /// standard error, and no progress bar is drawn.
    #[arg(long)]
    pub json: bool,
    /// The login.
    #[command(flatten)]
    pub login: UserArg,
    /// The session's options given after the subcommand.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Arguments of `rftp put`.
#[derive(Debug, Args)]
pub struct PutArgs {
    /// The local files (- for standard input), then the destination.
    #[arg(required = true, num_args = 2.., value_name = "LOCAL... DEST")]
    pub paths: Vec<String>,
    /// Upload whole folders, empty ones included.
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// Continue a partial upload: send only what the remote file lacks.
    #[arg(short = 'c', long = "continue")]
    pub resume: bool,
    /// Compare checksums after each file (the best the server offers:
    /// HASH, XSHA256, XSHA1, XMD5, XCRC); a file that differs is moved again
    /// once, then fails. Sizes only where the server has no checksum command.
    #[arg(long)]
    pub verify: bool,
    /// One JSON object per line on standard output for each file (remote,
    /// local, bytes, seconds, result, and for a failure the error, the
    /// server's reply code and text, and the exit status); messages go to
    /// standard error, and no progress bar is drawn.
    #[arg(long)]
    pub json: bool,
    /// The login.
    #[command(flatten)]
    pub login: UserArg,
    /// The session's options given after the subcommand.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Arguments of `rftp ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Long listing (LIST) instead of names (NLST).
    #[arg(short, long)]
    pub long: bool,
    /// One JSON object per line for each entry: name, type (file, dir,
    /// link, other), size and modification time (RFC 3339, UTC), from MLSD
    /// when the server has it, else from LIST; null when not known.
    #[arg(long, conflicts_with = "long")]
    pub json: bool,
    /// The folder: HOST:PATH or an ftp:// URL.
    pub target: String,
    /// The login.
    #[command(flatten)]
    pub login: UserArg,
    /// The session's options given after the subcommand.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// `rftp mirror`: the two folders, the options, and the login.
#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// The folder to copy from: remote (a URL or HOST:PATH) to download,
    /// local to upload.
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// The folder to bring in step: local when SOURCE is remote, remote
    /// (a URL or HOST:PATH) when SOURCE is local.
    #[arg(value_name = "TARGET")]
    pub target: String,
    #[command(flatten)]
    pub flags: MirrorFlags,
    #[command(flatten)]
    pub login: UserArg,
    /// The session's options given after the subcommand.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// The options of a mirror, the same in the shell and on the command line.
#[derive(Debug, Clone, Default, Args)]
pub struct MirrorFlags {
    /// Remove from the target what the source lacks (files, then empty
    /// folders), only inside the mirrored folder.
    #[arg(long)]
    pub delete: bool,
    /// Transfer only files whose source copy is newer (and files the target lacks).
    #[arg(long, conflicts_with = "only_missing")]
    pub only_newer: bool,
    /// Transfer only files the target lacks.
    #[arg(long)]
    pub only_missing: bool,
    /// Leave out paths matching GLOB (as in .gitignore: `*.tmp` at any depth,
    /// `build/*.o` from the top, `**` across folders); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Take only paths matching GLOB (same rules as --exclude); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Print what would be done; change nothing anywhere.
    #[arg(long)]
    pub dry_run: bool,
    /// Compare checksums after each transfer (HASH, XSHA256, XSHA1, XMD5 or XCRC).
    #[arg(long)]
    pub verify: bool,
    /// One JSON object per line on standard output for every action; the
    /// summary goes to standard error.
    #[arg(long)]
    pub json: bool,
}

/// The shell's `mirror [-R] [OPTIONS] REMOTE [LOCAL]`, read by clap so its
/// options are the command line's.
#[derive(Debug, Parser)]
#[command(name = "mirror", no_binary_name = true, disable_help_flag = true, disable_version_flag = true)]
pub struct ShellMirrorArgs {
    /// Upload: LOCAL [REMOTE] instead of REMOTE [LOCAL].
    #[arg(short = 'R', long = "reverse")]
    pub reverse: bool,
    /// Connections for this mirror.
    #[arg(short = 'j', long = "parallel", value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: Option<u16>,
    #[command(flatten)]
    pub flags: MirrorFlags,
    /// The source folder, then the target (by default the source's name in
    /// the current folder on the other side).
    #[arg(required = true, num_args = 1..=2)]
    pub paths: Vec<String>,
}

/// Options of `rftp serve`.
#[cfg(feature = "server")]
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The folder to serve (default: the current folder).
    pub dir: Option<PathBuf>,
    /// Allow uploads, deletions, renames and new folders.
    #[arg(short, long)]
    pub write: bool,
    /// Require this login (anonymous without it).
    #[arg(short, long, value_name = "NAME:PASSWORD", value_parser = parse_login)]
    pub user: Option<(String, crate::password::Password)>,
    /// The port to listen on (default: any free one).
    #[arg(short = 'P', long, value_name = "PORT")]
    pub port: Option<u16>,
}

/// Parses `NAME:PASSWORD` for `rftp serve --user`.
#[cfg(feature = "server")]
pub fn parse_login(text: &str) -> Result<(String, crate::password::Password), String> {
    match text.split_once(':') {
        Some((name, password)) if !name.is_empty() => Ok((name.to_string(), password.into())),
        _ => Err("expected NAME:PASSWORD".into()),
    }
}

/// Parses a rate such as `500K` or `2M` (1024-based) into bytes per second.
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let factor: u64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("{text:?} is no rate: a number of bytes, or with K, M or G (500K, 2M)")),
    };
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is no rate: it starts with no number"))?;
    match number.checked_mul(factor) {
        Some(0) => Err("a rate of 0 would move nothing".into()),
        // Slower, a data connection would sit idle long enough for servers
        // to end it (see `ratelimit`).
        Some(rate) if rate < crate::ratelimit::MIN_RATE => Err(format!("{text:?} is too slow: the least rate is 1K")),
        Some(rate) => Ok(rate),
        None => Err(format!("{text:?} is too large")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_people_write_them() {
        assert_eq!(parse_rate("500K"), Ok(500 * 1024));
        assert_eq!(parse_rate("2M"), Ok(2 << 20));
        assert_eq!(parse_rate("1g"), Ok(1 << 30));
        assert_eq!(parse_rate("4096"), Ok(4096));
        assert!(parse_rate("0").is_err());
        assert_eq!(parse_rate("1023"), Err("\"1023\" is too slow: the least rate is 1K".into()));
        assert_eq!(parse_rate("1K"), Ok(1024));
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("5X").is_err());
        assert!(parse_rate("99999999999999999999G").is_err());
    }
}
