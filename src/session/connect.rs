//! Connecting and logging in: the options a session's settings ask for, the
//! login itself (USER first, the password only when the server asks), the
//! one way to open a further connection like the session's own (for a
//! batch, or to reconnect), and the recovery after an abort that cost the
//! connection.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::credentials::{self, LoginRequest, PasswordSource};
use super::secret_store::KeyringKey;
use super::{Connection, Credentials, Error, Session};
use crate::password::Password;
use crate::protocol::{self, Client, DebugLevel, DebugTarget, Options, TransferType};
use crate::transfer::TransferError;

/// Everything needed to open another connection like a session's own:
/// connect, log in, set the transfer type, change to the folder.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    /// The server.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// Who to log in as; `None` leaves the connection logged out.
    pub credentials: Option<Credentials>,
    /// Timeouts, passive or active, ABOR style, TLS, debug.
    pub options: Options,
    /// Binary or ASCII.
    pub transfer_type: TransferType,
    /// The remote folder to start in, so relative paths mean the same.
    pub folder: Option<String>,
}

impl SessionSpec {
    /// Opens the connection: connects, logs in, sets the type and changes folder.
    pub fn open(&self) -> Result<Client, Error> {
        let mut client = Client::connect_with(&self.host, self.port, self.options.clone())
            .map_err(|error| Error::Connect { host: self.host.clone(), error })?;
        if let Some(credentials) = &self.credentials {
            let account = credentials.account.as_ref().map(Password::expose);
            client.login(&credentials.user, credentials.password.expose(), account).map_err(Error::Login)?;
        }
        client.set_transfer_type(self.transfer_type);
        if let Some(folder) = &self.folder {
            client.cwd(folder)?;
        }
        Ok(client)
    }

    /// The spec of extra connection number `number` (the session's own is
    /// 1): its debug lines, if any, start with `[number]` so that the
    /// connections' exchanges can be told apart where they interleave.
    pub fn numbered(&self, number: usize) -> SessionSpec {
        let mut spec = self.clone();
        spec.options.debug = spec.options.debug.map(|debug| {
            let sink = debug.sink;
            DebugTarget { level: debug.level, sink: Arc::new(move |line: &str| sink(&format!("[{number}] {line}"))) }
        });
        spec
    }
}

/// The debug log for `level` (0 is none); debug lines go to stderr.
pub fn debug_target(level: u8) -> Option<DebugTarget> {
    (level > 0)
        .then(|| DebugTarget { level: DebugLevel::from_number(level), sink: Arc::new(|line: &str| errln!("{line}")) })
}

impl Session {
    /// The connection options the settings ask for. While connected, TLS is
    /// the session's own: the extra connections of a batch and a
    /// reconnection keep the FTPS that `open --tls` or an `ftpes://` URL
    /// chose for this session only, and never fall back to plain text.
    pub fn client_options(&self, telnet_abort: bool) -> Options {
        let tls = match &self.connection {
            Some(connection) => connection.client.options().tls.clone(),
            None => self.settings.tls.map(|mode| protocol::TlsOptions {
                mode,
                extra_ca: self.settings.cacert.clone(),
                insecure: self.settings.insecure,
                pinned: self.settings.pins.clone(),
                judge: self.settings.judge.clone(),
            }),
        };
        let debug = debug_target(self.settings.debug);
        let mut options = Options { passive: self.settings.passive, telnet_abort, tls, debug, ..Options::default() };
        if let Some(timeout) = self.settings.timeout {
            options.connect_timeout = timeout;
            options.timeout = timeout;
        }
        options
    }

    /// Sets the debug level of the settings and the connection; debug lines go to stderr.
    pub fn set_debug(&mut self, level: u8) {
        self.settings.debug = level;
        if let Some(connection) = self.connection.as_mut() {
            let target = debug_target(level);
            let sink = target.map(|t| Box::new(move |line: &str| (t.sink)(line)) as _);
            connection.client.set_debug(DebugLevel::from_number(level), sink);
        }
    }

    /// Connects to `host:port` and reads the greeting, without logging in.
    pub fn connect(&mut self, host: &str, port: u16) -> Result<(), Error> {
        if let Some(connection) = &self.connection {
            return Err(Error::Usage(format!("already connected to {}; use `close` first", connection.host)));
        }
        let options = self.client_options(true);
        // A pin promises that no other certificate is accepted: a plain
        // connection, with no certificate at all, would break that quietly.
        if options.tls.is_none() && !self.settings.pins.is_empty() {
            return Err(Error::Usage(format!(
                "--pin: the connection to {host} would be plain FTP, with no certificate to check; \
                 use an ftpes:// or ftps:// URL, or --tls"
            )));
        }
        let spec = self.spec_for(host, port, None, options, None);
        let client = self.open_unless_interrupted(spec)?;
        self.show_reply(client.welcome());
        self.interrupts.watch_only(client.abort_handle());
        self.connection = Some(Connection {
            client,
            host: host.to_string(),
            port,
            credentials: None,
            telnet_abort: true,
            folder: None,
            ranges_refused: false,
        });
        Ok(())
    }

    /// Opens `spec` on a thread of its own while this one watches for
    /// Ctrl-C, which gives up on it at once: connecting to a silent address
    /// or waiting for a greeting that never comes would otherwise keep the
    /// prompt away for the whole connect timeout. A connection given up on
    /// closes when its thread's wait ends.
    pub(super) fn open_unless_interrupted(&self, spec: SessionSpec) -> Result<Client, Error> {
        open_watching(spec, &self.interrupts.interrupted)
    }

    /// Connects to `host:port` and logs in unless `-n` was given.
    pub fn start(&mut self, host: &str, port: u16) -> Result<(), Error> {
        self.connect(host, port)?;
        if self.auto_login {
            self.login_automatically()?;
        }
        Ok(())
    }

    /// [`Session::start`] with a URL's login and TLS mode for this
    /// connection only (the session's own stay for the next `open`), tried
    /// again as [`Session::start_retrying`] says.
    pub fn start_with(
        &mut self,
        host: &str,
        port: u16,
        login: Option<LoginRequest>,
        tls: Option<protocol::TlsMode>,
    ) -> Result<(), Error> {
        let saved = (self.login.clone(), self.settings.tls);
        if let Some(login) = login {
            self.login = login;
        }
        if tls.is_some() {
            self.settings.tls = tls;
        }
        let result = self.start_retrying(host, port);
        (self.login, self.settings.tls) = saved;
        result
    }

    /// Logs in the way the user asked at startup (or the default way).
    pub fn login_automatically(&mut self) -> Result<(), Error> {
        let host = self.connection.as_ref().map(|c| c.host.clone()).ok_or(Error::NotConnected)?;
        let chosen = credentials::choose_login(&self.login, &host, self.interactive)?;
        self.login_as(&host, &chosen.user, chosen.password, chosen.account, chosen.source)
    }

    /// Logs in as `user` and remembers the credentials for further connections.
    ///
    /// USER goes first; the password is looked for only when the server asks
    /// for one (331): the one given, `$RFTP_PASSWORD` (for `-u`), the netrc
    /// entry, the anonymous password for `anonymous` and `ftp`, or a no-echo
    /// prompt on a terminal. So a server that lets the user in on USER alone
    /// (230) is never sent a password, and a script without one is not refused.
    pub fn login_as(
        &mut self,
        host: &str,
        user: &str,
        password: Option<Password>,
        account: Option<Password>,
        source: PasswordSource,
    ) -> Result<(), Error> {
        let entry =
            if password.is_none() || account.is_none() { credentials::netrc_entry(host, Some(user)) } else { None };
        let account = account.or_else(|| entry.as_ref().and_then(|e| e.account.clone()));
        let (interactive, interrupts, timeout) = (self.interactive, self.interrupts.clone(), self.settings.timeout);
        let connection = self.connection.as_mut().ok_or(Error::NotConnected)?;
        let key = KeyringKey { user: user.to_string(), host: host.to_string(), port: connection.port };
        let mut sent_password = None;
        let client = &mut connection.client;
        let result = interrupts.clone().hanging_up_while(|| {
            client.login_with(
                user,
                || -> Result<String, Error> {
                    let password = match password {
                        Some(password) => password,
                        None => {
                            let from_netrc = entry.and_then(|e| e.password);
                            credentials::find_password(&key, from_netrc, source, interactive, timeout, &interrupts)?
                        }
                    };
                    let sent = password.expose().to_string();
                    sent_password = Some(password);
                    Ok(sent)
                },
                account.as_ref().map(Password::expose),
            )
        });
        if result.is_err() && interrupts.is_set() {
            // Ctrl-C hung up: the connection is of no more use.
            self.interrupts.forget_all();
            self.connection = None;
            return Err(Error::Interrupted(format!("logging in to {host}")));
        }
        let connection = self.connection.as_mut().ok_or(Error::NotConnected)?;
        let reply = result.map_err(|error| match error {
            Error::Ftp(error) => Error::Login(error),
            other => other,
        })?;
        connection.credentials =
            Some(Credentials { user: user.to_string(), password: sent_password.unwrap_or_default(), account });
        self.show_reply(&reply);
        Ok(())
    }

    /// Whether the session's connection is logged in as the user `request`
    /// would choose on `host:port`, with TLS mode `tls`, and still open.
    pub fn is_logged_in_as(
        &self,
        host: &str,
        port: u16,
        request: &LoginRequest,
        tls: Option<protocol::TlsMode>,
    ) -> bool {
        let Some(connection) = &self.connection else { return false };
        let user = credentials::implied_user(request, host);
        connection.host == host
            && connection.port == port
            && connection.credentials.as_ref().is_some_and(|c| c.user == user)
            && connection.client.options().tls.as_ref().map(|t| t.mode) == tls
            && connection.client.is_connected()
    }

    /// After a change of remote folder: remember where we are (for reconnecting).
    pub fn remember_folder(&mut self) {
        if let Some(connection) = self.connection.as_mut() {
            connection.folder = connection.client.pwd().ok();
        }
    }

    /// The spec of a connection to `host:port` like this session's.
    fn spec_for(
        &self,
        host: &str,
        port: u16,
        credentials: Option<Credentials>,
        options: Options,
        folder: Option<String>,
    ) -> SessionSpec {
        let transfer_type = self.settings.transfer_type;
        SessionSpec { host: host.to_string(), port, credentials, options, transfer_type, folder }
    }

    /// The spec for more connections like the session's own, started in
    /// `folder`. Without credentials (a user logged in by hand with `quote`)
    /// it logs in as nobody: the caller opens no more connections then.
    pub fn spec_for_more(&mut self, folder: Option<String>) -> Result<SessionSpec, Error> {
        let options = self.client_options(false);
        let connection = self.connection.as_mut().ok_or(Error::NotConnected)?;
        // The extra connections log in as this one did, so what its FEAT
        // said holds for them too.
        let options = Options {
            telnet_abort: connection.telnet_abort,
            features: Some(connection.client.features().clone()),
            ..options
        };
        Ok(SessionSpec {
            host: connection.host.clone(),
            port: connection.port,
            credentials: connection.credentials.clone(),
            options,
            transfer_type: connection.client.transfer_type(),
            folder,
        })
    }

    /// Runs a transfer; after an abort that cost the connection, reconnects.
    pub fn with_recovery<T>(&mut self, run: impl FnOnce(&mut Session) -> Result<T, TransferError>) -> Result<T, Error> {
        let error = match run(self) {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let aborted = matches!(error.ftp(), Some(protocol::Error::Aborted)) || self.interrupted();
        if !aborted {
            return Err(error.into());
        }
        self.reconnect_if_abort_cost_the_session();
        // However the server took it, the user asked for an abort: say so.
        Err(error.into_aborted().into())
    }

    /// The connected client for a transfer run by [`Session::with_recovery`].
    pub fn transfer_client(&mut self) -> Result<&mut Client, TransferError> {
        self.client().map_err(|_| protocol::Error::ConnectionClosed(None).into())
    }

    /// After Ctrl-C: when the abort cost the control connection (a server that
    /// drops the session on the Telnet signals), logs in again on a new one.
    ///
    /// The server may drop it only after the transfer's own replies (the
    /// signals can reach it after the transfer ended), so a NOOP asks first:
    /// the server reads it after the signals. A server that does not answer
    /// it within a few seconds counts as gone too, rather than keeping the
    /// prompt away.
    pub fn reconnect_if_abort_cost_the_session(&mut self) {
        const PROBE_WAIT: Duration = Duration::from_secs(3);
        if self.interrupted() && self.interrupts.exit_on_interrupt {
            // A script or one-shot command ends on Ctrl-C: no session is
            // left to keep, and a server that accepts and never greets
            // would hold the exit up for the whole timeout.
            return;
        }
        let Some(connection) = self.connection.as_mut() else { return };
        if !connection.telnet_abort {
            return;
        }
        if connection.client.is_connected() {
            let usual = connection.client.options().timeout;
            let _ = connection.client.set_timeout(PROBE_WAIT.min(usual));
            let _ = connection.client.noop();
            let _ = connection.client.set_timeout(usual);
        }
        if !connection.client.is_connected()
            && let Err(e) = self.reconnect_after_abort()
        {
            errln!("rftp: cannot reconnect: {e}");
        }
    }

    /// After an abort that cost the connection (some servers close it on the
    /// Telnet signals before ABOR), connects again without them and goes back
    /// to the same folder.
    fn reconnect_after_abort(&mut self) -> Result<(), Error> {
        // Taken while connected, so that the new connection keeps the session's TLS.
        let options = self.client_options(false);
        let Some(old) = self.connection.take() else {
            return Ok(());
        };
        errln!("rftp: the server closed the connection on ABOR; reconnecting (plain ABOR from now on)");
        let mut spec = self.spec_for(&old.host, old.port, old.credentials.clone(), options, old.folder.clone());
        // The type the connection had (a URL's `;type=a` sets it for one file).
        spec.transfer_type = old.client.transfer_type();
        let client = spec.open()?;
        self.interrupts.watch_only(client.abort_handle());
        self.connection = Some(Connection { client, telnet_abort: false, ..old });
        Ok(())
    }
}

/// Opens `spec` on a thread of its own while this one watches
/// `interrupted`, which gives up on it at once (see
/// [`Session::open_unless_interrupted`]); the batch's extra connections
/// are opened the same way.
pub(super) fn open_watching(spec: SessionSpec, interrupted: &AtomicBool) -> Result<Client, Error> {
    let host = spec.host.clone();
    match super::interrupt::run_unless(Some(interrupted), None, move || spec.open()) {
        Ok(opened) => opened,
        Err(super::interrupt::GaveUp::Interrupted) => Err(Error::Interrupted(format!("connecting to {host}"))),
        Err(_) => Err(Error::Local(format!("cannot connect to {host}: the connecting thread failed"))),
    }
}
