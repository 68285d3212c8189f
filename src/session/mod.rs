//! An open, logged-in FTP session and its policy, shared by every front end
//! (the shell, the one-shot commands, the demo): the connection settings,
//! the credentials and their precedence, logging in, reconnecting after an
//! abort that cost the connection, the Ctrl-C plumbing, and the batch runner.
//!
//! The protocol module below knows nothing of this; the front ends above
//! only say what to do.

mod batch;
mod connect;
mod credentials;
mod interrupt;
pub mod mirror;
pub mod retry;
pub mod secret_store;
mod segments;
mod verify;

use std::time::Duration;

use crate::progress::ProgressMode;
use crate::protocol::{self, Client, TransferType};
use crate::transfer::TransferError;

#[cfg(test)]
pub use connect::SessionSpec;
pub use credentials::{Credentials, LoginRequest, PasswordSource, is_anonymous};
pub use interrupt::Interrupts;

/// How many connections batches use unless told otherwise, to a distant
/// server: measured across a 40 ms link (benches/wan.sh), a tree of 201
/// small files took 10.1 s on 4 connections, 5.5 s on 8 and 3.4 s on 16,
/// each small file costing about four round trips on its connection
/// whatever the client. More connections are opened only while there is
/// work for them, and a server that allows fewer is done without.
pub const FAR_PARALLEL: usize = 16;

/// How many to a server on this machine or network ([`NEAR`]), where round
/// trips cost nothing and every login costs the server: the same tree took
/// 0.27 s on 4 connections, 0.36 s on 8 and 0.60 s on 16 from vsftpd on
/// loopback.
pub const NEAR_PARALLEL: usize = 4;

/// A server that answers commands faster than this is near: batches use
/// [`NEAR_PARALLEL`] connections and big files are not split by default.
pub const NEAR: Duration = Duration::from_millis(3);

/// How sessions connect and behave; the shell can change them at its prompt.
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
    /// `--timeout`: the longest wait for the server (to connect, for a whole
    /// reply, for a data connection to move 1 KiB); `None` for the defaults.
    pub timeout: Option<Duration>,
    /// Connections for mget, mput, get -r and put -r: `None` for as many
    /// as the server's distance calls for ([`Session::parallel`]).
    pub parallel: Option<usize>,
    /// FTPS: TLS on the control and data connections (`--tls`, `ftpes://`, `ftps://`).
    pub tls: Option<protocol::TlsMode>,
    /// A PEM file of CA certificates to trust besides the system's (`--cacert`).
    pub cacert: Option<std::path::PathBuf>,
    /// Accept any certificate (`--insecure`).
    pub insecure: bool,
    /// When and how to try a failed step again (`--retries`, `--retry-wait`).
    pub retry: retry::RetryPolicy,
    /// The most bytes per second the data of one command may move, across
    /// all its connections (`--limit-rate`); `None` for no limit.
    pub limit_rate: Option<u64>,
    /// Say nothing that was not asked for (`-q`): no retry lines either.
    pub quiet: bool,
    /// `--segments N` of the `get` running: ranges of one file fetched at
    /// once (1: one connection); `None` for the default (big files only).
    pub segments: Option<usize>,
    /// `--pin`: the only certificates to accept (FTPS), by SHA-256 fingerprint.
    pub pins: Vec<protocol::Fingerprint>,
    /// Decides about certificates the system does not trust (the known
    /// certificates, a question on a terminal); `None`: the system decides.
    pub judge: Option<std::sync::Arc<dyn protocol::CertificateJudge>>,
    /// Told how each file of a batch ended (the front end's `--json`
    /// lines); `Some` means standard output holds only those lines.
    pub file_log: Option<std::sync::Arc<dyn crate::batch::FileLog>>,
    /// Server replies (`-v`) go to standard error: a one-shot command's
    /// standard output carries only what it was asked for (a file with
    /// `-o -`, a listing, JSON lines), which replies would corrupt.
    pub replies_on_stderr: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            verbose: false,
            debug: 0,
            passive: true,
            transfer_type: TransferType::Binary,
            timeout: None,
            parallel: None,
            tls: None,
            cacert: None,
            insecure: false,
            retry: retry::RetryPolicy::default(),
            limit_rate: None,
            quiet: false,
            segments: None,
            pins: Vec::new(),
            judge: None,
            file_log: None,
            replies_on_stderr: false,
        }
    }
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
    /// The server refused byte ranges (REST) or more connections for a
    /// segmented download: later downloads use one connection.
    pub ranges_refused: bool,
}

/// A session: at most one connection, the settings, and how to log in.
pub struct Session {
    /// The current connection.
    pub connection: Option<Connection>,
    /// The user's settings.
    pub settings: Settings,
    /// Whether the user can be asked things (stdin and stderr are terminals).
    pub interactive: bool,
    /// How transfers show progress.
    pub progress: ProgressMode,
    /// Log in automatically on connecting (off with `-n`).
    pub auto_login: bool,
    /// How to log in automatically (from `-u` or `-a`); a URL's login holds
    /// for its own connection only ([`Session::start_with`]).
    pub login: LoginRequest,
    /// What the Ctrl-C handler shares with the session.
    pub interrupts: Interrupts,
}

/// Why a command of a session failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
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
    /// Ctrl-C stopped the command before it was done (`what` it was doing).
    #[error("interrupted while {0}")]
    Interrupted(String),
    /// Ctrl-C stopped a batch (mget, mput, get -r, put -r): how far it got.
    #[error("interrupted: {moved} of {total} files done, {not_started} not started{}", failed_note(*.failed))]
    BatchInterrupted {
        /// Files moved.
        moved: usize,
        /// Files the batch was to move.
        total: usize,
        /// Files left untried.
        not_started: usize,
        /// Files that failed, those Ctrl-C stopped halfway included.
        failed: usize,
    },
    /// Some files of an mget, mput or mdelete failed (each was reported).
    #[error("{failed} of {total} files failed")]
    SomeFailed {
        /// How many failed.
        failed: usize,
        /// How many were tried.
        total: usize,
    },
}

/// `, N failed` after an interrupted batch's line, when any did.
fn failed_note(failed: usize) -> String {
    if failed == 0 { String::new() } else { format!(", {failed} failed") }
}

impl Error {
    /// Whether this is a failure to connect or log in (exit status 3).
    pub fn is_connect_failure(&self) -> bool {
        matches!(self, Error::Connect { .. } | Error::Login(_) | Error::NoPassword(_))
    }

    /// The exit status this error gives a command: 2 for a usage error, 3
    /// for a failure to connect or log in, else 1.
    pub fn exit_status(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            e if e.is_connect_failure() => 3,
            _ => 1,
        }
    }
}

/// How a run of commands ended, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Every command succeeded.
    Success,
    /// Some command failed.
    Failed,
    /// Connecting or logging in failed.
    ConnectFailed,
    /// Interrupted by Ctrl-C.
    Interrupted,
}

impl Outcome {
    /// Folds a failed command into the outcome: a failure to connect or log
    /// in outweighs any other failure.
    pub fn record(&mut self, error: &Error) {
        let this = if error.is_connect_failure() { Outcome::ConnectFailed } else { Outcome::Failed };
        *self = (*self).max(this);
    }
}

impl Session {
    /// A session with these settings, not connected; `interactive` when a person is typing.
    pub fn new(settings: Settings, interactive: bool, progress: ProgressMode) -> Session {
        Session {
            connection: None,
            settings,
            interactive,
            progress,
            auto_login: true,
            login: LoginRequest::Default,
            interrupts: Interrupts::new(!interactive),
        }
    }

    /// The connected client, or [`Error::NotConnected`].
    /// The connections a batch may use: as many as asked (`-j`,
    /// `parallel`), else [`NEAR_PARALLEL`] for a near server and
    /// [`FAR_PARALLEL`] for a distant one.
    pub fn parallel(&self) -> usize {
        self.settings.parallel.unwrap_or(if self.is_far() { FAR_PARALLEL } else { NEAR_PARALLEL })
    }

    /// Whether the session's server is distant: its quickest answer so far
    /// took [`NEAR`] or more.
    pub fn is_far(&self) -> bool {
        let client = self.connection.as_ref().map(|c| &c.client);
        client.and_then(Client::round_trip).is_some_and(|rtt| rtt >= NEAR)
    }

    pub fn client(&mut self) -> Result<&mut Client, Error> {
        match self.connection.as_mut() {
            Some(connection) => Ok(&mut connection.client),
            None => Err(Error::NotConnected),
        }
    }

    /// Whether Ctrl-C was pressed during the current command.
    pub fn interrupted(&self) -> bool {
        self.interrupts.is_set()
    }

    /// Prints a server reply when verbose.
    pub fn show_reply(&self, reply: &protocol::Reply) {
        if self.settings.replies_on_stderr && self.settings.verbose {
            errln!("{reply}");
        } else if self.settings.verbose {
            outln!("{reply}");
        }
    }

    /// Sets the transfer type for this session and its connection.
    pub fn set_transfer_type(&mut self, transfer_type: TransferType) {
        self.settings.transfer_type = transfer_type;
        if let Some(connection) = self.connection.as_mut() {
            connection.client.set_transfer_type(transfer_type);
        }
    }

    /// A fresh rate limit for one command and all its connections
    /// (`--limit-rate`, the shell's `rate`), ended early by Ctrl-C; `None`
    /// without a limit.
    pub fn rate_limit(&self) -> Option<std::sync::Arc<crate::ratelimit::RateLimit>> {
        let rate = self.settings.limit_rate?;
        Some(std::sync::Arc::new(crate::ratelimit::RateLimit::new(rate, self.interrupts.interrupted.clone())))
    }

    /// Ends the session politely, if there is one.
    pub fn close(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.interrupts.forget_all();
            if self.settings.verbose || self.settings.debug > 0 {
                if let Ok(reply) = connection.client.quit() {
                    self.show_reply(&reply);
                }
            } else {
                // Nobody would see the answer: not waiting for it ends the
                // command as soon as its work is done.
                connection.client.quit_without_waiting();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::Password;

    const SECRET: &str = "pw-s3cret-value";

    #[test]
    fn credentials_print_no_password() {
        // Moved from tests/secrets.rs: a stray `{:?}` must show no password.
        let remote = crate::url::parse(&format!("ftp://bob:{SECRET}@h/f")).unwrap();
        let netrc = crate::config::Netrc::parse(&format!("machine h login bob password {SECRET}\n"));
        let password = Password::new(SECRET);
        let credentials = Credentials { user: "bob".into(), password: password.clone(), account: None };
        let request = LoginRequest::Given("bob".into(), Some(password.clone()));
        let spec = SessionSpec {
            host: "h".into(),
            port: 21,
            credentials: Some(credentials.clone()),
            options: protocol::Options::default(),
            transfer_type: TransferType::Binary,
            folder: None,
        };
        for shown in [
            format!("{remote:?}"),
            format!("{netrc:?}"),
            format!("{:?}", netrc.find("h", None)),
            format!("{credentials:?}"),
            format!("{request:?}"),
            format!("{spec:?}"),
            format!("{password} {password:?}"),
        ] {
            assert!(!shown.contains(SECRET), "{shown}");
            assert!(shown.contains("****"), "{shown}");
        }
    }

    #[test]
    fn an_account_prints_no_more_than_a_password() {
        // Moved from tests/review_paths.rs: ACCT is masked in the debug log
        // like PASS, and in `{:?}` too.
        let netrc = crate::config::Netrc::parse("machine h login bob password pw-secret account acct-secret\n");
        let credentials =
            Credentials { user: "bob".into(), password: "pw-secret".into(), account: Some("acct-secret".into()) };
        for shown in [format!("{netrc:?}"), format!("{credentials:?}")] {
            assert!(shown.contains("bob"), "{shown}");
            assert!(!shown.contains("secret"), "{shown}");
        }
    }

    #[test]
    fn a_failure_to_connect_outweighs_other_failures() {
        let mut outcome = Outcome::Success;
        outcome.record(&Error::Local("disk full".into()));
        assert_eq!(outcome, Outcome::Failed);
        outcome.record(&Error::NoPassword("bob".into()));
        assert_eq!(outcome, Outcome::ConnectFailed);
        outcome.record(&Error::Local("again".into()));
        assert_eq!(outcome, Outcome::ConnectFailed);
    }
}
