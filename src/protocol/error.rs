//! The typed error of the protocol module.
//!
//! Errors that come from the server carry the whole [`Reply`], so the user always
//! sees what the server said.

use std::io;
use std::time::Duration;

use super::reply::{Reply, ReplyError};

/// The result type of the protocol module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while talking FTP.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A 4xx reply: the server refused for now; trying again later may work.
    #[error("{command} failed (temporary): {reply}")]
    Temporary {
        /// The command that was refused (secrets masked).
        command: String,
        /// What the server said.
        reply: Reply,
    },
    /// A 5xx reply: the server refused and will refuse again.
    #[error("{command} failed: {reply}")]
    Permanent {
        /// The command that was refused (secrets masked).
        command: String,
        /// What the server said.
        reply: Reply,
    },
    /// A well-formed reply with a code that makes no sense at this point.
    #[error("unexpected reply to {command}, server said: {reply}")]
    UnexpectedReply {
        /// The command that got this reply.
        command: String,
        /// What the server said.
        reply: Reply,
    },
    /// The server broke the protocol: an unparsable reply or address.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The server closed the control connection.
    #[error("connection closed by server{}", while_doing(.0))]
    ConnectionClosed(Option<String>),
    /// An earlier error left the control connection unusable.
    #[error("the connection is no longer usable ({0}); reconnect")]
    SessionLost(String),
    /// A connect, read, write or accept took longer than the timeout.
    #[error("timed out after {} s while {what}", .after.as_secs_f32())]
    Timeout {
        /// What we were waiting for.
        what: String,
        /// How long we waited.
        after: Duration,
    },
    /// A local or network I/O error other than a timeout.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// An argument that cannot be sent, such as a name containing CR or LF.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// TLS could not be set up, or the server's certificate was refused.
    #[error("{0}")]
    Tls(String),
    /// The server answered our TLS handshake in plain text. After AUTH TLS
    /// some servers (libunftp) read the ClientHello as a command; a caller
    /// may try once more on a new connection, never go on in plain text.
    #[error("TLS handshake failed: the server answered in plain text, not TLS")]
    TlsPlainText,
    /// The transfer was aborted on request (ABOR).
    #[error("transfer aborted")]
    Aborted,
    /// The data connection carried more bytes than the server announced:
    /// the file changed, or the data is not what was asked for.
    #[error("transfer too long: received {received} bytes, but the server announced {expected}")]
    TooLong {
        /// Bytes received.
        received: u64,
        /// Bytes announced by the server.
        expected: u64,
    },
    /// A resumed download came from the start of the file: the server
    /// accepted `REST` (350) but sent the whole file anyway.
    #[error(
        "the server ignored REST {offset} and sent the file from the start ({received} bytes): \
         it cannot resume; remove the partial file to download it again"
    )]
    RestIgnored {
        /// Where the download was to resume.
        offset: u64,
        /// Bytes received, the whole file's size.
        received: u64,
    },
    /// A TLS data connection ended without the TLS close_notify: someone
    /// (a man in the middle, or a failing server) cut it, so the data may be
    /// short even though the server's final reply said success.
    #[error(
        "{command}: the TLS data connection ended without close_notify, so the data may be cut short (the server said {reply})"
    )]
    Truncated {
        /// The transfer command (secrets masked).
        command: String,
        /// The server's final reply (a success, or this would be its error).
        reply: Reply,
    },
    /// The server answered an upload with success before taking the data
    /// over the data connection (before it was opened, or before it ended):
    /// nothing was stored.
    #[error("the server answered {command} with {reply} before taking the data: nothing was stored")]
    NotStored {
        /// The upload command (secrets masked).
        command: String,
        /// What the server said.
        reply: Reply,
    },
    /// The data connection ended before the announced size was received.
    #[error("transfer incomplete: received {received} of {expected} bytes")]
    Incomplete {
        /// Bytes received.
        received: u64,
        /// Bytes announced by the server.
        expected: u64,
    },
    /// A data connection moved too few bytes for too long (the stall rule:
    /// under 1 KiB in a window of the timeout, at least 2 s).
    #[error("{context}: the data connection stalled: {bytes} bytes in the last {} s", .window.as_secs())]
    Stalled {
        /// The transfer command and what we were doing.
        context: String,
        /// Bytes moved in the last window.
        bytes: u64,
        /// How long that window lasted.
        window: Duration,
    },
    /// The login needs an account (a 332 reply, RFC 959 §4.1.1), and the
    /// caller gave none.
    #[error("the server asks for an account (ACCT): {0}")]
    AccountRequired(Reply),
    /// The host name resolved to no address at all.
    #[error("{host} has no address")]
    NoAddress {
        /// The host name as looked up.
        host: String,
    },
    /// The server refused EPSV (RFC 2428), and its fallback PASV can only
    /// announce an IPv4 address, which an IPv6 connection cannot use.
    #[error("the server refused EPSV, and PASV cannot work over IPv6: try active mode")]
    PassiveNeedsIpv4,
    /// The server refused EPRT (RFC 2428), and its fallback PORT can only
    /// send an IPv4 address, which an IPv6 connection cannot use.
    #[error("the server refused EPRT, and PORT cannot work over IPv6: try passive mode")]
    ActiveNeedsIpv4,
}

fn while_doing(context: &Option<String>) -> String {
    context.as_ref().map(|c| format!(" while {c}")).unwrap_or_default()
}

impl Error {
    /// Classifies a negative or unexpected reply to `command`.
    pub fn from_reply(command: impl Into<String>, reply: Reply) -> Error {
        let code = reply.code();
        let command = command.into();
        if code.is_transient_negative() {
            Error::Temporary { command, reply }
        } else if code.is_permanent_negative() {
            Error::Permanent { command, reply }
        } else {
            Error::UnexpectedReply { command, reply }
        }
    }

    /// The server's reply behind this error, if it came from one.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Error::Temporary { reply, .. }
            | Error::Permanent { reply, .. }
            | Error::UnexpectedReply { reply, .. }
            | Error::AccountRequired(reply) => Some(reply),
            _ => None,
        }
    }

    /// The reply code, if this error came from a reply.
    pub fn code(&self) -> Option<u16> {
        self.reply().map(|r| r.code().as_u16())
    }

    /// Wraps an I/O error, turning timeouts into [`Error::Timeout`].
    pub(crate) fn io(context: impl Into<String>, source: io::Error, timeout: Duration) -> Error {
        let context = context.into();
        match source.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout { what: context, after: timeout },
            _ => Error::Io { context, source },
        }
    }
}

impl From<ReplyError> for Error {
    fn from(e: ReplyError) -> Error {
        Error::Protocol(e.to_string())
    }
}
