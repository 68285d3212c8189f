//! The blocking FTP client: Python ftplib's API, made Rust-idiomatic.
//!
//! A [`Client`] owns one control connection. Commands that transfer data open a
//! data connection per transfer (see [`super::data`]); everything streams through
//! fixed buffers, so memory does not grow with file size.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use super::abort::AbortHandle;
use super::address::parse_257;
use super::command::Command;
use super::control::{Control, DebugLevel, DebugSink};
// data.rs imports this file too: see the comment on its imports for why.
use super::data::DataTransfer;
use super::error::{Error, Result};
use super::listing::{
    EntryKind, FileTime, ListedLine, MlsdEntry, classify_list_line, classify_mlsd_line, parse_mlsd_line,
};
use super::reply::{Reply, ReplyCode};
use super::shared::lock;
use super::wait::Deadline;

/// The largest listing `nlst`, `list` and `mlsd` collect; `retrlines` and
/// `list_dir_each` stream listings of any size.
pub const MAX_LISTING_BYTES: usize = 16 * 1024 * 1024;
/// The most lines `nlst`, `list` and `mlsd` collect: with the byte limit, a
/// bound on memory however short the lines (each costs a `String`).
pub const MAX_LISTING_LINES: usize = 200_000;

/// The port FTP servers listen on unless told otherwise.
pub const DEFAULT_PORT: u16 = 21;

/// How a client connects and transfers.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long to wait for a connection (control or passive data) to open.
    pub connect_timeout: Duration,
    /// How long any wait for the server may last before it is an error: a
    /// whole reply (with the preliminary replies before it), the greeting, a
    /// TLS handshake or close, one read, write or accept of a data
    /// connection. A transfer as a whole is not bounded, but one that moves
    /// under 1 KiB in a window this long (2 s at least) fails as stalled.
    pub timeout: Duration,
    /// Passive mode (EPSV/PASV) when true, active mode (EPRT/PORT) when false.
    pub passive: bool,
    /// Precede ABOR with the Telnet IP and Synch signals (RFC 959 §4.1.3).
    /// Some servers (libunftp) close the session on those bytes.
    pub telnet_abort: bool,
    /// FTPS: TLS on the control connection and (PROT P) the data connections.
    /// When asked for, it is never given up for plain text.
    pub tls: Option<super::tls::TlsOptions>,
    /// The debug log from the first byte on: the greeting, AUTH TLS, PBSZ and
    /// PROT are logged too (passwords masked). [`Client::set_debug`] changes
    /// it later.
    pub debug: Option<DebugTarget>,
    /// What FEAT answered after the same login on another connection to the
    /// same server: when given, logins take it instead of asking FEAT again
    /// (a round trip per connection a batch opens).
    pub features: Option<Features>,
    /// Send files with `sendfile` to a server on this machine too. Off by
    /// default: on loopback copying through a buffer is faster (measured
    /// with vsftpd and pyftpdlib); tests turn it on to cover the sendfile
    /// path against their local servers.
    pub sendfile_to_loopback: bool,
}

/// A debug level and where its lines go, shared by every connection made with
/// the same [`Options`].
#[derive(Clone)]
pub struct DebugTarget {
    /// How much to log.
    pub level: DebugLevel,
    /// Receives each line.
    pub sink: Arc<dyn Fn(&str) + Send + Sync>,
}

impl std::fmt::Debug for DebugTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DebugTarget").field("level", &self.level).finish_non_exhaustive()
    }
}

impl DebugTarget {
    fn sink(&self) -> DebugSink {
        let sink = Arc::clone(&self.sink);
        Box::new(move |line: &str| sink(line))
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            connect_timeout: Duration::from_secs(30),
            timeout: Duration::from_secs(60),
            passive: true,
            telnet_abort: true,
            tls: None,
            debug: None,
            features: None,
            sendfile_to_loopback: false,
        }
    }
}

/// The representation type of transfers (RFC 959 §3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransferType {
    /// TYPE I: bytes as they are.
    #[default]
    Binary,
    /// TYPE A: text, with CRLF line endings on the wire and LF locally.
    Ascii,
}

impl TransferType {
    fn code(self) -> &'static str {
        match self {
            TransferType::Binary => "I",
            TransferType::Ascii => "A",
        }
    }
}

/// The server's answer to FEAT (RFC 2389): feature names and their parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    entries: BTreeMap<String, String>,
}

impl Features {
    /// Parses the lines of a 211 reply; feature lines start with a space.
    pub fn from_reply(reply: &Reply) -> Features {
        let entries = reply
            .lines()
            .iter()
            .filter_map(|line| line.strip_prefix(' '))
            .filter_map(|feature| {
                let feature = feature.trim();
                let (name, params) = feature.split_once(' ').unwrap_or((feature, ""));
                (!name.is_empty()).then(|| (name.to_ascii_uppercase(), params.trim().to_string()))
            })
            .collect();
        Features { entries }
    }

    /// Whether the server announced a feature (case-insensitive): `has("MLST")`.
    pub fn has(&self, name: &str) -> bool {
        self.entries.contains_key(&name.to_ascii_uppercase())
    }

    /// The parameters of a feature, such as `"type*;size*;modify*;"` for MLST.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries.get(&name.to_ascii_uppercase()).map(String::as_str)
    }

    /// Every feature and its parameters, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// A connection to an FTP server.
pub struct Client {
    pub(crate) control: Control,
    pub(crate) options: Options,
    pub(crate) abort: AbortHandle,
    pub(crate) epsv_refused: bool,
    pub(crate) eprt_refused: bool,
    /// The TLS setup, when the session uses FTPS.
    pub(crate) tls: Option<super::tls::TlsContext>,
    /// PROT P is in force: data connections use TLS.
    pub(crate) data_protected: bool,
    /// The server answered MLSD with "not implemented".
    mlsd_refused: bool,
    /// The server answered a transfer command sent in one write with its
    /// EPSV as one that came too soon (425, 503): no more pipelining.
    pub(crate) pipelining_refused: bool,

    welcome: Reply,
    transfer_type: TransferType,
    /// The TYPE the server was last told, if any.
    server_type: Option<TransferType>,
    /// What FEAT answered after the last login.
    features: Features,
    /// Whether a CWD or CDUP was ever sent on this connection (see
    /// [`Client::mlst_applies`]).
    changed_folder: bool,
    /// The most bytes one read of a download's data connection takes.
    pub(crate) read_size: usize,
    /// The ways of setting modification times the server refused.
    pub(crate) time_setters: super::set_time::TimeSetters,
    /// What this connection learned of the server's hash commands.
    pub(crate) hash: super::checksum::HashState,
}

impl Client {
    /// Connects to `host` (a name, an IPv4 address, or an IPv6 address with or
    /// without brackets) with default [`Options`], and reads the greeting.
    pub fn connect(host: &str, port: u16) -> Result<Client> {
        Client::connect_with(host, port, Options::default())
    }

    /// Connects with the given options and reads the greeting: a `120` ("ready
    /// in n minutes") is followed by waiting for the `220`.
    pub fn connect_with(host: &str, port: u16, options: Options) -> Result<Client> {
        match Client::connect_once(host, port, options.clone()) {
            // libunftp (the unFTP server, and `rftp serve`) sometimes reads the
            // start of our TLS handshake as an FTP command when it comes right
            // after its 234, and answers it in plain text. Nothing but AUTH TLS
            // has been sent, so one more try is safe; plain text is never used.
            // What separates this from bytes injected after the 234 (which are
            // a protocol error, never retried: `Control::refuse_bytes_after`)
            // is when they came: this answer arrived after our ClientHello, in
            // reply to it; injected bytes were there before we sent it.
            Err(Error::TlsPlainText)
                if options.tls.as_ref().is_some_and(|t| t.mode == super::tls::TlsMode::Explicit) =>
            {
                Client::connect_once(host, port, options)
            }
            other => other,
        }
    }

    fn connect_once(host: &str, port: u16, options: Options) -> Result<Client> {
        let stream = open_control_connection(host, port, options.connect_timeout)?;
        let control = Control::new(stream, options.timeout)?;
        let abort = AbortHandle::new(control.writer(), control.debug.clone(), control.socket_clone().ok());
        abort.set_telnet(options.telnet_abort);
        let mut client = Client {
            control,
            options,
            abort,
            epsv_refused: false,
            eprt_refused: false,
            pipelining_refused: false,

            tls: None,
            data_protected: false,
            mlsd_refused: false,
            welcome: Reply::new(ReplyCode::SERVICE_READY, Vec::new()),
            transfer_type: TransferType::Binary,
            server_type: None,
            features: Features::default(),
            changed_folder: false,
            read_size: super::data::BUFFER_SIZE,
            time_setters: Default::default(),
            hash: super::checksum::HashState::default(),
        };
        if let Some(debug) = &client.options.debug {
            lock(&client.control.debug).set(debug.level, Some(debug.sink()));
        }
        if let Some(tls) = client.options.tls.clone() {
            client.tls = Some(super::tls::TlsContext::new(host, port, &tls)?);
        }
        if client.options.tls.as_ref().is_some_and(|t| t.mode == super::tls::TlsMode::Implicit) {
            client.start_control_tls()?;
        }
        client.welcome = client.read_greeting()?;
        if client.options.tls.as_ref().is_some_and(|t| t.mode == super::tls::TlsMode::Explicit) {
            client.auth_tls()?;
        }
        // PBSZ and PROT follow each login (see `protect_data`); until then
        // data connections are meant to be protected, so nothing goes out
        // in plain text if a caller skips `login`.
        client.data_protected = client.tls.is_some();
        Ok(client)
    }

    fn start_control_tls(&mut self) -> Result<()> {
        let context = self.tls.as_ref().ok_or_else(|| Error::Tls("no TLS setup".into()))?;
        self.control.start_tls(context)?;
        Ok(())
    }

    /// AUTH TLS (RFC 4217 §4); a refusal is an error, never a fall back to
    /// plain text.
    fn auth_tls(&mut self) -> Result<()> {
        let reply = self.control.command(&Command::with_arg("AUTH", "TLS")?)?;
        if reply.code().as_u16() != 234 {
            return Err(Error::Tls(format!("the server refused TLS (AUTH TLS): {reply}")));
        }
        self.control.refuse_bytes_after(&reply)?;
        self.start_control_tls()
    }

    /// PBSZ 0 and PROT P (RFC 4217 §8, §9): data connections are protected too.
    /// Sent after each login rather than once after AUTH TLS: servers may
    /// reset the protection level on a new USER, and data connections would
    /// then be refused or go unprotected.
    fn protect_data(&mut self) -> Result<()> {
        self.void_command(&Command::with_arg("PBSZ", "0")?)?;
        self.void_command(&Command::with_arg("PROT", "P")?)?;
        Ok(())
    }

    /// Whether the control connection runs over TLS.
    pub fn is_tls(&self) -> bool {
        self.control.is_tls()
    }

    /// Whether data connections use TLS (PROT P).
    pub fn is_data_protected(&self) -> bool {
        self.data_protected
    }

    fn read_greeting(&mut self) -> Result<Reply> {
        // The whole greeting, 120 replies included, within one timeout: a
        // server that keeps saying "soon", or trickles its lines, is broken.
        let deadline = Deadline::after(self.options.timeout);
        for _ in 0..8 {
            let reply = self.control.read_reply_by("the connection (greeting)", deadline)?;
            if reply.code() == ReplyCode::READY_SOON {
                continue;
            }
            if reply.code() == ReplyCode::SERVICE_READY {
                return Ok(reply);
            }
            return Err(Error::from_reply("the connection (greeting)", reply));
        }
        Err(Error::Protocol("the server kept answering 120 without ever becoming ready".into()))
    }

    /// The server's greeting, the whole 220 reply (ftplib's `getwelcome`).
    pub fn welcome(&self) -> &Reply {
        &self.welcome
    }

    /// The server's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.control.peer
    }

    /// Our end of the control connection.
    pub fn local_addr(&self) -> SocketAddr {
        self.control.local
    }

    /// The quickest answer to a command on this connection so far: an
    /// upper bound of the round trip to the server, which tells a server
    /// on this machine or network from a distant one (`None` before any
    /// command was answered).
    pub fn round_trip(&self) -> Option<Duration> {
        self.control.round_trip()
    }

    /// Whether the control connection still works (not closed, no 421 seen).
    pub fn is_connected(&self) -> bool {
        !self.control.is_broken()
    }

    /// Sets the debug level and where debug lines go. PASS and ACCT arguments
    /// are always masked.
    pub fn set_debug(&mut self, level: DebugLevel, sink: Option<DebugSink>) {
        let mut log = lock(&self.control.debug);
        log.set(level, sink);
        // The handshake may have happened before anyone listened.
        if let Some(description) = &self.control.tls_description {
            log.note(description);
        }
    }

    /// Passive mode (the default) when true, active mode when false.
    pub fn set_passive(&mut self, passive: bool) {
        self.options.passive = passive;
    }

    /// The most bytes one read of a download's data connection takes, from
    /// 1 byte to 1 MiB; `None` for 1 MiB, the default. A caller that takes
    /// the data slowly (a rate limit) reads small pieces, so the server's
    /// sends progress steadily instead of stopping while one large read is
    /// worked off.
    pub fn set_read_size(&mut self, most: Option<usize>) {
        self.read_size = most.map_or(super::data::BUFFER_SIZE, |most| most.clamp(1, super::data::BUFFER_SIZE));
    }

    /// Whether data connections are made in passive mode.
    pub fn is_passive(&self) -> bool {
        self.options.passive
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Changes the timeout of later waits (see [`Options::timeout`]).
    pub fn set_timeout(&mut self, timeout: Duration) -> Result<()> {
        self.control.set_timeout(timeout)?;
        self.options.timeout = timeout;
        Ok(())
    }

    /// Whether ABOR is preceded by the Telnet IP and Synch signals.
    pub fn set_telnet_abort(&mut self, telnet: bool) {
        self.options.telnet_abort = telnet;
        self.abort.set_telnet(telnet);
    }

    /// A handle that aborts this client's running transfer from another thread.
    pub fn abort_handle(&self) -> AbortHandle {
        self.abort.clone()
    }

    /// The type later transfers use (the server is told lazily, when it changes).
    pub fn transfer_type(&self) -> TransferType {
        self.transfer_type
    }

    /// Chooses binary or ASCII for later transfers.
    pub fn set_transfer_type(&mut self, transfer_type: TransferType) {
        self.transfer_type = transfer_type;
    }

    /// Sends `TYPE` if the server does not have `transfer_type` already.
    pub(super) fn ensure_type(&mut self, transfer_type: TransferType) -> Result<()> {
        if self.server_type != Some(transfer_type) {
            self.void_command(&Command::with_arg("TYPE", transfer_type.code())?)?;
            self.server_type = Some(transfer_type);
        }
        Ok(())
    }

    /// Sends a command and returns its reply; 4xx and 5xx replies are errors.
    ///
    /// A 1xx reply is preliminary (RFC 959 §4.2): the reply returned is the
    /// one that follows it, so the session never falls a reply behind.
    pub fn send_command(&mut self, command: &Command) -> Result<Reply> {
        if command.verb().eq_ignore_ascii_case("TYPE") || command.verb().eq_ignore_ascii_case("REIN") {
            // Sent by hand, these change what the server does with the next
            // transfer; forget what we believed it was set to.
            self.server_type = None;
        }
        if ["CWD", "CDUP", "XCWD", "XCUP"].iter().any(|verb| command.verb().eq_ignore_ascii_case(verb)) {
            self.changed_folder = true;
        }
        let reply = self.control.command_final(command)?;
        if reply.code().is_completion() {
            self.follow_protection_change(command)?;
        }
        let code = reply.code();
        if code.is_transient_negative() || code.is_permanent_negative() {
            return Err(Error::from_reply(command.to_string(), reply));
        }
        Ok(reply)
    }

    /// Keeps the session in step with PROT and CCC, however they were sent
    /// (`quote PROT C` included): the server now expects plain or protected
    /// data connections, or a plain control connection.
    fn follow_protection_change(&mut self, command: &Command) -> Result<()> {
        let verb = command.verb().to_ascii_uppercase();
        if verb == "PROT" {
            let level = command.to_string().to_ascii_uppercase();
            self.data_protected = self.tls.is_some() && level.trim_end().ends_with('P');
        } else if verb == "CCC" && self.control.is_tls() {
            self.control.stop_tls()?;
        }
        Ok(())
    }

    /// Sends a command and expects a 2xx reply.
    pub fn void_command(&mut self, command: &Command) -> Result<Reply> {
        let reply = self.send_command(command)?;
        if !reply.code().is_completion() {
            return Err(Error::from_reply(command.to_string(), reply));
        }
        Ok(reply)
    }

    /// Sends a raw command line such as `"SITE HELP"` (ftplib's `sendcmd`).
    pub fn sendcmd(&mut self, line: &str) -> Result<Reply> {
        let command = Command::parse(line)?;
        self.send_command(&command)
    }

    /// Sends a raw command line and expects a 2xx reply (ftplib's `voidcmd`).
    pub fn voidcmd(&mut self, line: &str) -> Result<Reply> {
        let command = Command::parse(line)?;
        self.void_command(&command)
    }

    /// Logs in: USER, then PASS when the server asks (331), then ACCT when it
    /// asks (332).
    pub fn login(&mut self, user: &str, password: &str, account: Option<&str>) -> Result<Reply> {
        self.login_with(user, || Ok::<_, Error>(password.to_string()), account)
    }

    /// Logs in like [`Client::login`], asking `password` for the password
    /// only when the server wants one (331): a server that lets the user in
    /// on USER alone (230) is never sent a password, and nobody is asked.
    /// On an FTPS session, protection (PBSZ 0, PROT P) is set again after
    /// the login.
    pub fn login_with<E: From<Error>>(
        &mut self,
        user: &str,
        password: impl FnOnce() -> std::result::Result<String, E>,
        account: Option<&str>,
    ) -> std::result::Result<Reply, E> {
        let mut reply = self.send_command(&Command::with_arg("USER", user)?)?;
        if reply.code() == ReplyCode::NEED_PASSWORD {
            let password = password()?;
            reply = self.send_command(&Command::with_arg("PASS", &password)?)?;
        }
        if reply.code() == ReplyCode::NEED_ACCOUNT {
            let Some(account) = account else {
                return Err(Error::AccountRequired(reply).into());
            };
            reply = self.send_command(&Command::with_arg("ACCT", account)?)?;
        }
        if !reply.code().is_completion() {
            return Err(Error::from_reply(format!("the login as {user}"), reply).into());
        }
        if self.data_protected && self.tls.is_some() {
            self.protect_data()?;
        }
        self.ask_for_utf8()?;
        Ok(reply)
    }

    /// `OPTS UTF8 ON` when FEAT lists UTF8: servers that keep names in a
    /// local character set (IIS, some Serv-U) then send and expect UTF-8
    /// (the OPTS UTF8 draft, draft-ietf-ftpext-utf-8-option). Sent after the
    /// login, as some servers only answer FEAT then; a refusal of either
    /// command is not an error, as names work either way ([`super::wire`]).
    fn ask_for_utf8(&mut self) -> Result<()> {
        self.features = match &self.options.features {
            Some(known) => known.clone(),
            None => match self.send_command(&Command::new("FEAT")?) {
                Ok(reply) => Features::from_reply(&reply),
                Err(e) => {
                    self.features = Features::default();
                    return self.refusal_is_fine(e);
                }
            },
        };
        if self.features.has("UTF8")
            && let Err(e) = self.send_command(&Command::with_arg("OPTS", "UTF8 ON")?)
        {
            return self.refusal_is_fine(e);
        }
        Ok(())
    }

    /// A 4xx or 5xx refusal is fine; an error that cost the session (a 421,
    /// a closed connection, a timeout) is not.
    fn refusal_is_fine(&self, error: Error) -> Result<()> {
        match error {
            Error::Permanent { .. } | Error::Temporary { .. } if self.is_connected() => Ok(()),
            other => Err(other),
        }
    }

    /// Logs in as `anonymous` with `password`, by convention the user's
    /// e-mail address or `USER@hostname` (RFC 1635). The caller chooses it:
    /// the protocol reads no environment.
    pub fn login_anonymous(&mut self, password: &str) -> Result<Reply> {
        self.login("anonymous", password, None)
    }

    /// Downloads `path` into `out`, starting at `offset` (REST) when it is not 0.
    /// In ASCII mode CRLF becomes LF. Returns the bytes received.
    ///
    /// In binary mode, fewer bytes than the server announced is an
    /// [`Error::Incomplete`] and more an [`Error::TooLong`], even when the
    /// server reported success.
    pub fn retrieve(&mut self, path: &str, out: &mut dyn Write, offset: u64) -> Result<u64> {
        self.retr(path, offset, None, |transfer, ascii| transfer.receive_into(out, ascii))
    }

    /// [`Client::retrieve`] for a file whose size is known (from SIZE or a
    /// listing): the transfer stops with [`Error::TooLong`] as soon as more
    /// than the whole file arrived (in ASCII mode, more than twice it), so a
    /// server cannot send without end into a pipe or standard output. Whether the bytes
    /// received complete the file is the caller's to check.
    pub fn retrieve_sized(&mut self, path: &str, out: &mut dyn Write, offset: u64, size: Option<u64>) -> Result<u64> {
        self.retr(path, offset, size, |transfer, ascii| transfer.receive_into(out, ascii))
    }

    /// RETR with the checks both downloads share: the command is built (and
    /// refused if it carries CR/LF) before anything is sent, the TYPE is set,
    /// and in binary mode fewer or more bytes than the 150 reply announced is an error.
    fn retr(
        &mut self,
        path: &str,
        offset: u64,
        size: Option<u64>,
        receive: impl FnOnce(DataTransfer<'_>, bool) -> Result<u64>,
    ) -> Result<u64> {
        let command = Command::with_arg("RETR", path)?;
        let transfer_type = self.transfer_type;
        self.ensure_type(transfer_type)?;
        let mut transfer = self.transfer(&command, offset)?;
        let expected = transfer.expected_size();
        // More than the whole file is wrong whichever way the 150 and REST
        // are read: stop there rather than let a server fill the disk.
        let whole = expected.into_iter().chain(size).max();
        let ascii = transfer_type == TransferType::Ascii;
        // ASCII adds at most a CR before each LF, so no conversion of a file
        // is longer than twice its size (SIZE is asked in binary mode).
        transfer.stop_after(if ascii { whole.map(|n| n.saturating_mul(2)) } else { whole });
        let received = receive(transfer, ascii).map_err(|e| match e {
            Error::TooLong { received, .. } if ascii => {
                Error::TooLong { received, expected: whole.unwrap_or_default() }
            }
            other => other,
        })?;
        if let Some(expected) = expected
            && transfer_type == TransferType::Binary
        {
            super::data::check_announced_size(offset, received, expected)?;
        }
        Ok(received)
    }

    /// Downloads `path` into `file`, from `offset` (REST) when it is not 0:
    /// the file is cut to `offset` when the first byte arrives (so a refusal
    /// leaves it as it was), and written from there. In binary mode
    /// on Linux the kernel moves the bytes straight from the socket into the
    /// file; in ASCII mode CRLF becomes LF. `progress` hears about every
    /// chunk. Returns the bytes received.
    ///
    /// In binary mode, fewer bytes than the server announced is an
    /// [`Error::Incomplete`] and more an [`Error::TooLong`], even when the
    /// server reported success.
    pub fn retrieve_file(
        &mut self,
        path: &str,
        file: &mut std::fs::File,
        offset: u64,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64> {
        self.retrieve_file_sized(path, file, offset, None, progress)
    }

    /// [`Client::retrieve_file`] for a file whose size is known (from SIZE or
    /// a listing): the transfer stops with [`Error::TooLong`] as soon as
    /// more than the whole file arrives (or more than the 150 reply
    /// announced; in ASCII mode, more than twice that), so a server cannot
    /// fill the disk. Whether the bytes
    /// received complete the file is the caller's to check.
    pub fn retrieve_file_sized(
        &mut self,
        path: &str,
        file: &mut std::fs::File,
        offset: u64,
        size: Option<u64>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64> {
        self.retr(path, offset, size, |transfer, ascii| transfer.receive_file(file, offset, ascii, progress))
    }

    /// Uploads `input` to `path` (STOR), writing from `offset` (REST) when it
    /// is not 0. In ASCII mode LF becomes CRLF. Returns the bytes read.
    pub fn store(&mut self, path: &str, input: &mut dyn Read, offset: u64) -> Result<u64> {
        self.upload("STOR", path, input, offset)
    }

    /// Uploads a file to `path` (STOR) from `offset` (REST) when it is not 0.
    /// The file is sent from its current position: to resume, seek it to
    /// `offset` first. In binary mode the kernel copies it straight to the
    /// socket; in ASCII mode it is read and converted like [`Client::store`].
    /// `progress` hears about every chunk sent. Returns the bytes read from
    /// the file.
    pub fn store_file(
        &mut self,
        path: &str,
        file: &mut std::fs::File,
        offset: u64,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64> {
        self.upload_file("STOR", path, file, offset, progress)
    }

    /// Appends a file to `path` (APPE), from the file's current position,
    /// the way [`Client::store_file`] sends it (zero-copy in binary mode).
    /// Returns the bytes read from the file.
    pub fn append_file(&mut self, path: &str, file: &mut std::fs::File, progress: &mut dyn FnMut(u64)) -> Result<u64> {
        self.upload_file("APPE", path, file, 0, progress)
    }

    fn upload_file(
        &mut self,
        verb: &str,
        path: &str,
        file: &mut std::fs::File,
        offset: u64,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64> {
        if self.transfer_type == TransferType::Ascii {
            let mut counting = super::data::CountingReader { inner: file, progress };
            return self.upload(verb, path, &mut counting, offset);
        }
        let command = Command::with_arg(verb, path)?;
        self.ensure_type(TransferType::Binary)?;
        let transfer = self.transfer(&command, offset)?;
        transfer.send_file(file, progress)
    }

    /// Appends `input` to `path` (APPE). Returns the bytes read.
    pub fn append(&mut self, path: &str, input: &mut dyn Read) -> Result<u64> {
        self.upload("APPE", path, input, 0)
    }

    fn upload(&mut self, verb: &str, path: &str, input: &mut dyn Read, offset: u64) -> Result<u64> {
        let command = Command::with_arg(verb, path)?;
        let transfer_type = self.transfer_type;
        self.ensure_type(transfer_type)?;
        let transfer = self.transfer(&command, offset)?;
        transfer.send_from(input, transfer_type == TransferType::Ascii)
    }

    /// Runs a listing command and calls `line` for each line (ftplib's `retrlines`).
    pub fn retrlines(&mut self, command: &Command, mut line: impl FnMut(&str)) -> Result<Reply> {
        let transfer = self.transfer(command, 0)?;
        transfer.read_lines(&mut |l| {
            line(l);
            ControlFlow::Continue(())
        })
    }

    /// Like [`Client::retrlines`], but `line` may stop the listing by
    /// returning `Break`: the transfer is then aborted (ABOR) and `Ok(None)`
    /// returned. Whoever prints a listing needs it: once the reader of the
    /// output is gone (`rftp ls URL | head`), a server that lists without
    /// end would otherwise keep rftp reading forever.
    pub fn retrlines_while(
        &mut self,
        command: &Command,
        line: impl FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Option<Reply>> {
        Ok(match self.read_lines_until(command, line)? {
            ControlFlow::Continue(reply) => Some(reply),
            ControlFlow::Break(()) => None,
        })
    }

    /// Runs a listing command and hands `each` every line until it breaks:
    /// then the transfer is aborted (ABOR) at once and the value it broke
    /// with returned; else the final reply.
    fn read_lines_until<B>(
        &mut self,
        command: &Command,
        mut each: impl FnMut(&str) -> ControlFlow<B>,
    ) -> Result<ControlFlow<B, Reply>> {
        let transfer = self.transfer(command, 0)?;
        let mut stopped = None;
        let result = transfer.read_lines(&mut |line| match each(line) {
            ControlFlow::Continue(()) => ControlFlow::Continue(()),
            ControlFlow::Break(value) => {
                stopped = Some(value);
                // Only makes read_lines abort; the caller's value is returned.
                ControlFlow::Break(Error::Aborted)
            }
        });
        match stopped {
            Some(value) => Ok(ControlFlow::Break(value)),
            None => result.map(ControlFlow::Continue),
        }
    }

    /// Collects what `keep` makes of each line of a listing, up to
    /// [`MAX_LISTING_BYTES`] and [`MAX_LISTING_LINES`] of listing, so a
    /// hostile server cannot exhaust memory.
    fn listing<T>(&mut self, verb: &str, path: Option<&str>, keep: impl Fn(&str) -> Option<T>) -> Result<Vec<T>> {
        self.listing_within(verb, path, None, keep)
    }

    /// [`Client::listing`], all of it within `wait` when given.
    fn listing_within<T>(
        &mut self,
        verb: &str,
        path: Option<&str>,
        wait: Option<Duration>,
        keep: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<T>> {
        let command = Command::with_optional_arg(verb, path)?;
        let mut entries = Vec::new();
        let mut bytes = 0usize;
        let mut lines = 0usize;
        let mut transfer = self.transfer(&command, 0)?;
        if let Some(wait) = wait {
            transfer.end_by(Deadline::after(wait));
        }
        transfer.read_lines(&mut |line| {
            bytes += line.len() + 1;
            lines += 1;
            if bytes > MAX_LISTING_BYTES || lines > MAX_LISTING_LINES {
                return ControlFlow::Break(Error::Protocol(format!(
                    "the {command} listing is longer than {} MiB or {MAX_LISTING_LINES} lines",
                    MAX_LISTING_BYTES >> 20
                )));
            }
            entries.extend(keep(line));
            ControlFlow::Continue(())
        })?;
        Ok(entries)
    }

    /// Names in a directory (NLST).
    pub fn nlst(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        self.listing("NLST", path, |l| Some(l.to_string()))
    }

    /// Names in a directory (NLST), the whole listing within `wait` (a
    /// timeout error after it): for completion, which a person waits on
    /// and cannot interrupt, and which a server sending a little now and
    /// then could otherwise keep waiting for ever.
    pub fn nlst_within(&mut self, path: Option<&str>, wait: Duration) -> Result<Vec<String>> {
        self.listing_within("NLST", path, Some(wait), |l| Some(l.to_string()))
    }

    /// The long listing of a directory (LIST), one line per entry (ftplib's `dir`).
    pub fn list(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        self.listing("LIST", path, |l| Some(l.to_string()))
    }

    /// A machine-readable listing (MLSD, RFC 3659 §7), facts parsed. Lines that
    /// cannot be parsed are skipped.
    pub fn mlsd(&mut self, path: Option<&str>) -> Result<Vec<MlsdEntry>> {
        self.listing("MLSD", path, parse_mlsd_line)
    }

    /// Hands every line of a folder's listing to `each` as it arrives, for
    /// walking trees: MLSD while the server supports it (remembered once
    /// refused), else LIST lines in the Unix or DOS style. Lines in no known
    /// format come as [`ListedLine::Unparsed`] and lines that name nothing
    /// (`total 12`) as [`ListedLine::NotAnEntry`], so the caller sees, and
    /// can count, every line. Nothing is collected here: memory does not grow
    /// with the listing.
    ///
    /// When `each` breaks, the transfer is aborted (ABOR) at once and the
    /// value it broke with is returned.
    pub fn list_dir_each<B>(
        &mut self,
        path: Option<&str>,
        mut each: impl FnMut(ListedLine) -> ControlFlow<B>,
    ) -> Result<Option<B>> {
        // RFC 3659 §7.8: a server with MLSD announces MLST (some say MLSD);
        // one whose FEAT names other features and neither (vsftpd) is not
        // asked, which saves a data connection per folder.
        let features = &self.features;
        let announced = features.has("MLST") || features.has("MLSD") || features.entries.is_empty();
        if !self.mlsd_refused && announced {
            match self.stream_listing("MLSD", path, classify_mlsd_line, &mut each) {
                Err(Error::Permanent { reply, .. }) if is_not_implemented(reply.code()) => self.mlsd_refused = true,
                other => return other,
            }
        }
        // Some servers read a leading dash in LIST's argument as ls options.
        let path = path.map(|p| if p.starts_with('-') { format!("./{p}") } else { p.to_string() });
        self.stream_listing("LIST", path.as_deref(), classify_list_line, &mut each)
    }

    fn stream_listing<B>(
        &mut self,
        verb: &str,
        path: Option<&str>,
        classify: fn(&str) -> ListedLine,
        each: &mut impl FnMut(ListedLine) -> ControlFlow<B>,
    ) -> Result<Option<B>> {
        let command = Command::with_optional_arg(verb, path)?;
        Ok(match self.read_lines_until(&command, |line| each(classify(line)))? {
            ControlFlow::Break(value) => Some(value),
            ControlFlow::Continue(_) => None,
        })
    }

    /// Whether `path` is a folder: MLST's `type` fact when the server has
    /// MLST (one round trip), else CWD into it and back to where the session
    /// was, so its folder is the same afterwards. `false` when the server
    /// says there is nothing there, or a file. LIST alone cannot tell:
    /// vsftpd lists a missing path as an empty folder.
    pub fn is_folder(&mut self, path: &str) -> Result<bool> {
        if self.mlst_applies(path) {
            match self.mlst(path) {
                Ok(entry) => {
                    match entry.kind() {
                        Some(EntryKind::Dir | EntryKind::CurrentDir) => return Ok(true),
                        Some(EntryKind::File) => return Ok(false),
                        // A link, or no type: what CWD makes of it decides.
                        _ => {}
                    }
                }
                Err(Error::Permanent { reply, .. }) if reply.code().as_u16() == 550 => return Ok(false),
                // No entry in a 250 reply: CWD decides.
                Err(Error::Protocol(_)) => {}
                // MLST announced but refused (a path it cannot take): CWD decides.
                Err(Error::Permanent { .. }) if self.is_connected() => {}
                Err(e) => return Err(e),
            }
        }
        let here = self.pwd()?;
        match self.cwd(path) {
            Ok(_) => {}
            Err(Error::Permanent { .. }) => return Ok(false),
            Err(e) => return Err(e),
        }
        self.cwd(&here)?;
        Ok(true)
    }

    /// The size of a file in bytes (SIZE, RFC 3659 §4), or `None` when the
    /// server does not implement SIZE.
    ///
    /// SIZE depends on the TYPE (RFC 3659 §4.1) and some servers refuse it in
    /// ASCII mode, so the server is switched to binary first.
    pub fn size(&mut self, path: &str) -> Result<Option<u64>> {
        let command = Command::with_arg("SIZE", path)?;
        self.ensure_type(TransferType::Binary)?;
        match self.void_command(&command) {
            Ok(reply) => reply
                .message()
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Error::Protocol(format!("malformed SIZE reply: {reply}"))),
            Err(Error::Permanent { reply, .. }) if is_not_implemented(reply.code()) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The modification time of a file (MDTM, RFC 3659 §3), in UTC.
    pub fn mdtm(&mut self, path: &str) -> Result<FileTime> {
        let reply = self.void_command(&Command::with_arg("MDTM", path)?)?;
        FileTime::parse(reply.message()).ok_or_else(|| Error::Protocol(format!("malformed MDTM reply: {reply}")))
    }

    /// Whether [`Client::mlst`] can be trusted with `path`: the server
    /// announced MLST, and `path` is absolute or no CWD was sent yet. Some
    /// servers (libunftp, so `rftp serve`) resolve MLST's relative paths
    /// against the root whatever the working folder, and would describe
    /// another file.
    pub fn mlst_applies(&self, path: &str) -> bool {
        self.features.has("MLST") && (path.starts_with('/') || !self.changed_folder)
    }

    /// The facts of one file or folder (MLST, RFC 3659 §7): its type, size
    /// and time in one round trip. A reply without an entry line is an
    /// [`Error::Protocol`].
    pub fn mlst(&mut self, path: &str) -> Result<MlsdEntry> {
        let reply = self.void_command(&Command::with_arg("MLST", path)?)?;
        // RFC 3659 §7.2: the entry is the reply line that starts with a space.
        reply
            .lines()
            .iter()
            .find_map(|line| parse_mlsd_line(line.strip_prefix(' ')?))
            .ok_or_else(|| Error::Protocol(format!("MLST {path} answered no entry: {reply}")))
    }

    /// What FEAT answered after the last login (or what [`Options::features`]
    /// gave); empty when FEAT was refused, or before a login.
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// The features the server announces (FEAT, RFC 2389); empty when it does
    /// not implement FEAT.
    pub fn feat(&mut self) -> Result<Features> {
        match self.void_command(&Command::new("FEAT")?) {
            Ok(reply) => Ok(Features::from_reply(&reply)),
            Err(Error::Permanent { reply, .. }) if is_not_implemented(reply.code()) => Ok(Features::default()),
            Err(e) => Err(e),
        }
    }

    /// Changes the remote directory; `..` is sent as CDUP.
    pub fn cwd(&mut self, path: &str) -> Result<Reply> {
        if path == ".." {
            return self.cdup();
        }
        self.void_command(&Command::with_arg("CWD", path)?)
    }

    /// Goes to the parent directory (CDUP, or `CWD ..` when CDUP is not implemented).
    pub fn cdup(&mut self) -> Result<Reply> {
        match self.void_command(&Command::new("CDUP")?) {
            Err(Error::Permanent { reply, .. }) if is_not_implemented(reply.code()) => {
                self.void_command(&Command::with_arg("CWD", "..")?)
            }
            other => other,
        }
    }

    /// The remote working directory (PWD, parsed from the 257 reply).
    pub fn pwd(&mut self) -> Result<String> {
        let reply = self.void_command(&Command::new("PWD")?)?;
        parse_257(reply.message()).ok_or_else(|| Error::Protocol(format!("malformed PWD reply: {reply}")))
    }

    /// Makes a directory (MKD); returns its path as the server reports it, or
    /// `path` when the reply names none.
    pub fn mkd(&mut self, path: &str) -> Result<String> {
        let reply = self.void_command(&Command::with_arg("MKD", path)?)?;
        Ok(parse_257(reply.message()).unwrap_or_else(|| path.to_string()))
    }

    /// Removes a directory (RMD).
    pub fn rmd(&mut self, path: &str) -> Result<Reply> {
        self.void_command(&Command::with_arg("RMD", path)?)
    }

    /// Deletes a file (DELE).
    pub fn delete(&mut self, path: &str) -> Result<Reply> {
        self.void_command(&Command::with_arg("DELE", path)?)
    }

    /// Renames a file or directory (RNFR, then RNTO).
    pub fn rename(&mut self, from: &str, to: &str) -> Result<Reply> {
        let rnto = Command::with_arg("RNTO", to)?;
        let reply = self.send_command(&Command::with_arg("RNFR", from)?)?;
        if reply.code() != ReplyCode::PENDING_FURTHER_INFO {
            return Err(Error::from_reply(format!("RNFR {from}"), reply));
        }
        self.void_command(&rnto)
    }

    /// Does nothing, which keeps the connection alive (NOOP).
    pub fn noop(&mut self) -> Result<Reply> {
        self.void_command(&Command::new("NOOP")?)
    }

    /// The server's system type (SYST), such as `UNIX Type: L8`.
    pub fn syst(&mut self) -> Result<String> {
        Ok(self.void_command(&Command::new("SYST")?)?.message().to_string())
    }

    /// A site-specific command (SITE), such as `site("CHMOD 644 file")`.
    pub fn site(&mut self, arguments: &str) -> Result<Reply> {
        self.send_command(&Command::with_arg("SITE", arguments)?)
    }

    /// Says goodbye politely (QUIT) and closes the connection.
    pub fn quit(mut self) -> Result<Reply> {
        let result = self.void_command(&Command::new("QUIT")?);
        self.control.shutdown();
        result
    }

    /// Says goodbye (QUIT) and closes the connection at once, without
    /// waiting for the answer. Once every transfer has its final reply
    /// nothing depends on that answer, and it can be slow to come: vsftpd
    /// answers QUIT only after closing the file of the last upload, which on
    /// ext4 first writes back a file it overwrote (0.2 s for 512 MiB on
    /// loopback), and across a link it costs a round trip.
    pub fn quit_without_waiting(mut self) {
        if let Ok(command) = Command::new("QUIT") {
            // A failure means the connection is gone: goodbye said either way.
            let _ = self.control.send(&command);
        }
        self.control.shutdown();
    }

    /// Closes the connection without a word to the server.
    pub fn close(mut self) {
        self.control.shutdown();
    }
}

impl Drop for Client {
    /// Closes the control connection even while abort handles still hold a
    /// clone of its socket.
    fn drop(&mut self) {
        self.control.shutdown();
    }
}

/// 500 (unknown command) and 502 (not implemented): the server lacks the command.
pub(super) fn is_not_implemented(code: ReplyCode) -> bool {
    matches!(code.as_u16(), 500 | 502)
}

/// Resolves `host` and connects to the first address that answers.
fn open_control_connection(host: &str, port: u16, timeout: Duration) -> Result<TcpStream> {
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let addresses: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::Io { context: format!("cannot resolve {host}"), source: e })?
        .collect();
    connect_to_any(host, &addresses, timeout)
}

/// [`connect_first`] for the `addresses` that `host` resolved to: a name
/// that resolved to none at all is [`Error::NoAddress`].
fn connect_to_any(host: &str, addresses: &[SocketAddr], timeout: Duration) -> Result<TcpStream> {
    connect_first(addresses, timeout)?.ok_or_else(|| Error::NoAddress { host: host.to_string() })
}

/// Connects to the first of `addresses` that answers, all within `timeout`:
/// a name with many addresses that never answer (a blackholed IPv6 route,
/// or a hostile DNS answer) must not make the wait that many timeouts. Each
/// address gets an equal share of the time left, so one that does not
/// answer leaves time for the next. `None` when there is no address.
fn connect_first(addresses: &[SocketAddr], timeout: Duration) -> Result<Option<TcpStream>> {
    let deadline = std::time::Instant::now() + timeout;
    let mut last_error = None;
    for (tried, address) in addresses.iter().enumerate() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let share = left / u32::try_from(addresses.len() - tried).unwrap_or(u32::MAX);
        if share.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(address, share) {
            Ok(stream) => return Ok(Some(stream)),
            Err(e) => last_error = Some(Error::io(format!("connecting to {address}"), e, share)),
        }
    }
    match last_error {
        Some(error) => Err(error),
        None if addresses.is_empty() => Ok(None),
        None => Err(Error::Timeout { what: format!("connecting to {}", addresses[0]), after: timeout }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three addresses that never answer (listeners whose queue is full
    /// drop the SYN) take one timeout in all, not three. (Before the fix
    /// each address had the whole timeout.)
    #[test]
    fn connecting_to_many_silent_addresses_takes_one_timeout() {
        let mut held = Vec::new();
        let mut addresses = Vec::new();
        for _ in 0..3 {
            let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            socket.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into()).unwrap();
            socket.listen(0).unwrap();
            let address = socket.local_addr().unwrap().as_socket().unwrap();
            // Fills the accept queue: later SYNs go unanswered.
            held.push(TcpStream::connect_timeout(&address, Duration::from_secs(1)));
            addresses.push(address);
            held.push(Ok(socket.into()));
        }
        let started = std::time::Instant::now();
        let result = connect_first(&addresses, Duration::from_millis(1500));
        let took = started.elapsed();
        assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
        assert!(took < Duration::from_millis(2500), "took {took:?} for a timeout of 1.5 s");
        assert!(matches!(connect_first(&[], Duration::from_secs(1)), Ok(None)));
    }

    #[test]
    fn a_host_with_no_address_is_no_address() {
        let err = connect_to_any("nowhere.example", &[], Duration::from_secs(1)).unwrap_err();
        assert!(matches!(&err, Error::NoAddress { host } if host == "nowhere.example"), "{err:?}");
        assert_eq!(err.to_string(), "nowhere.example has no address");
    }

    /// A server on `listener` that greets, then answers each command with
    /// `answer(command)` until the client leaves; returns the commands read.
    fn fake_server(
        listener: std::net::TcpListener,
        answer: fn(&str) -> &'static str,
    ) -> std::thread::JoinHandle<Vec<String>> {
        use std::io::BufRead;
        std::thread::spawn(move || {
            let (mut writer, _) = listener.accept().unwrap();
            let mut reader = std::io::BufReader::new(writer.try_clone().unwrap());
            writer.write_all(b"220 hi\r\n").unwrap();
            let mut commands = Vec::new();
            let mut line = String::new();
            while matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
                let command = line.trim_end().to_string();
                line.clear();
                if writer.write_all(format!("{}\r\n", answer(&command)).as_bytes()).is_err() {
                    break;
                }
                commands.push(command);
            }
            commands
        })
    }

    #[test]
    fn a_login_that_needs_an_account_without_one_is_account_required() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server =
            fake_server(listener, |command| if command.starts_with("USER") { "331 password" } else { "332 account" });
        let mut client = Client::connect("127.0.0.1", port).unwrap();
        let err = client.login("bob", "pw", None).unwrap_err();
        assert!(matches!(&err, Error::AccountRequired(reply) if reply.code().as_u16() == 332), "{err:?}");
        assert_eq!(err.code(), Some(332), "the reply is the server's");
        assert_eq!(err.to_string(), "the server asks for an account (ACCT): 332 account");
        drop(client);
        assert_eq!(server.join().unwrap(), ["USER bob", "PASS pw"]);
    }

    /// A client on IPv6 loopback to a server that refuses `refused` (EPSV
    /// or EPRT) and accepts everything else; `None` without IPv6 here.
    fn ipv6_client_refusing(
        refused: fn(&str) -> &'static str,
        passive: bool,
    ) -> Option<(Client, std::thread::JoinHandle<Vec<String>>)> {
        let Ok(listener) = std::net::TcpListener::bind("[::1]:0") else {
            eprintln!("skipped: no IPv6 loopback here");
            return None;
        };
        let port = listener.local_addr().unwrap().port();
        let server = fake_server(listener, refused);
        let options = Options { passive, ..Options::default() };
        Some((Client::connect_with("::1", port, options).unwrap(), server))
    }

    #[test]
    fn pasv_over_ipv6_after_epsv_was_refused_is_passive_needs_ipv4() {
        let refuse_epsv = |command: &str| if command == "EPSV" { "500 no EPSV" } else { "200 ok" };
        let Some((mut client, server)) = ipv6_client_refusing(refuse_epsv, true) else { return };
        let err = client.nlst(None).unwrap_err();
        assert!(matches!(err, Error::PassiveNeedsIpv4), "{err:?}");
        assert_eq!(err.to_string(), "the server refused EPSV, and PASV cannot work over IPv6: try active mode");
        drop(client);
        let commands = server.join().unwrap();
        assert!(commands.iter().any(|c| c == "EPSV") && !commands.iter().any(|c| c == "PASV"), "{commands:?}");
    }

    #[test]
    fn port_over_ipv6_after_eprt_was_refused_is_active_needs_ipv4() {
        let refuse_eprt = |command: &str| if command.starts_with("EPRT") { "500 no EPRT" } else { "200 ok" };
        let Some((mut client, server)) = ipv6_client_refusing(refuse_eprt, false) else { return };
        let err = client.nlst(None).unwrap_err();
        assert!(matches!(err, Error::ActiveNeedsIpv4), "{err:?}");
        assert_eq!(err.to_string(), "the server refused EPRT, and PORT cannot work over IPv6: try passive mode");
        drop(client);
        let commands = server.join().unwrap();
        assert!(commands.iter().any(|c| c.starts_with("EPRT")), "{commands:?}");
        assert!(!commands.iter().any(|c| c.starts_with("PORT")), "{commands:?}");
    }

    #[test]
    fn clients_and_abort_handles_can_move_between_threads() {
        fn assert_send<T: Send>() {}
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send::<Client>();
        assert_send_sync::<AbortHandle>();
    }

    #[test]
    fn features_from_a_feat_reply() {
        let reply = Reply::new(
            ReplyCode::new(211).unwrap(),
            ["211-Features:", " MDTM", " MLST type*;size*;modify*;", " SIZE", " UTF8", "211 End"]
                .map(String::from)
                .to_vec(),
        );
        let features = Features::from_reply(&reply);
        assert!(features.has("mdtm") && features.has("SIZE") && !features.has("EPSV"));
        assert_eq!(features.get("MLST"), Some("type*;size*;modify*;"));
        assert_eq!(features.iter().count(), 4);
    }
}
