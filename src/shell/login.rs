//! Connecting and logging in: which credentials to use, and asking for them
//! on a terminal. Passwords are read without echo and never printed.

use std::io::{self, BufRead, Write};

use super::{Connection, Credentials, ShellError, State};
use crate::config::{Netrc, NetrcEntry};
use crate::password::Password;
use crate::protocol::{Client, DebugLevel, DebugTarget, Options};

/// How the user asked to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRequest {
    /// The usual order: `~/.netrc`, then asking on a terminal, then anonymous.
    Default,
    /// Anonymous (`-a`).
    Anonymous,
    /// As this user (`-u`): the password from `RFTP_PASSWORD`, `~/.netrc`, or a prompt.
    User(String),
    /// The user (and password) from a URL; a missing password comes from
    /// `~/.netrc` or a prompt.
    Given(String, Option<Password>),
    /// The one-shot commands' order: `~/.netrc`, else anonymous; never asks.
    NetrcOrAnonymous,
}

/// The environment variable that holds the password for `-u USER`.
pub const PASSWORD_VAR: &str = "RFTP_PASSWORD";

const ANONYMOUS_USERS: [&str; 2] = ["anonymous", "ftp"];

/// Connects to `host:port` with the shell's settings and reads the greeting.
pub fn connect(state: &mut State, host: &str, port: u16) -> Result<(), ShellError> {
    if let Some(connection) = &state.connection {
        return Err(ShellError::Usage(format!("already connected to {}; use `close` first", connection.host)));
    }
    let client = open_client(state, host, port, true)?;
    state.show_reply(client.welcome());
    *state.abort_slot.lock().unwrap_or_else(|p| p.into_inner()) = vec![client.abort_handle()];
    state.connection =
        Some(Connection { client, host: host.to_string(), port, credentials: None, telnet_abort: true, folder: None });
    state.remote_names.clear();
    Ok(())
}

/// The connection options the shell's settings ask for. While connected,
/// TLS is the session's own: the extra connections of a batch and a
/// reconnection keep the FTPS that `open --tls` or an `ftpes://` URL chose
/// for this session only, and never fall back to plain text.
pub fn client_options(state: &State, telnet_abort: bool) -> Options {
    let tls = match &state.connection {
        Some(connection) => connection.client.options().tls.clone(),
        None => state.settings.tls.map(|mode| crate::protocol::TlsOptions {
            mode,
            extra_ca: state.settings.cacert.clone(),
            insecure: state.settings.insecure,
        }),
    };
    let debug = debug_target(state.settings.debug);
    let mut options = Options { passive: state.settings.passive, telnet_abort, tls, debug, ..Options::default() };
    if let Some(timeout) = state.settings.timeout {
        options.connect_timeout = timeout;
        options.timeout = timeout;
    }
    options
}

/// Opens a client with the shell's settings (debug, passive, timeout, type).
pub fn open_client(state: &State, host: &str, port: u16, telnet_abort: bool) -> Result<Client, ShellError> {
    open_client_with(state, host, port, client_options(state, telnet_abort))
}

/// Opens a client with these options (which carry the debug level, so the
/// log starts with the greeting) and the shell's transfer type.
fn open_client_with(state: &State, host: &str, port: u16, options: Options) -> Result<Client, ShellError> {
    let mut client = Client::connect_with(host, port, options)
        .map_err(|error| ShellError::Connect { host: host.to_string(), error })?;
    client.set_transfer_type(state.settings.transfer_type);
    Ok(client)
}

/// The debug log for `level` (0 is none); debug lines go to stderr.
fn debug_target(level: u8) -> Option<DebugTarget> {
    (level > 0).then(|| DebugTarget {
        level: DebugLevel::from_number(level),
        sink: std::sync::Arc::new(|line: &str| errln!("{line}")),
    })
}

/// Sets the client's debug level; debug lines go to stderr.
pub fn apply_debug(client: &mut Client, level: u8) {
    let target = debug_target(level);
    client.set_debug(DebugLevel::from_number(level), target.map(|t| Box::new(move |line: &str| (t.sink)(line)) as _));
}

/// Logs in the way the user asked at startup (or the default way).
pub fn login_automatically(state: &mut State) -> Result<(), ShellError> {
    let host = state.connection.as_ref().map(|c| c.host.clone()).ok_or(ShellError::NotConnected)?;
    let request = state.login.clone();
    let anonymous = || ("anonymous".to_string(), None, None, PasswordSource::Given);
    let (user, password, account, source) = match request {
        LoginRequest::Given(user, password) => (user, password, None, PasswordSource::Given),
        LoginRequest::Anonymous => anonymous(),
        LoginRequest::User(user) => (user, None, None, PasswordSource::Environment),
        LoginRequest::Default | LoginRequest::NetrcOrAnonymous => match netrc_entry(&host, None) {
            Some(NetrcEntry { login: Some(user), password, account }) => {
                (user, password, account, PasswordSource::Given)
            }
            _ if state.interactive && request == LoginRequest::Default => {
                (ask_user_name(&host)?, None, None, PasswordSource::Given)
            }
            _ => anonymous(),
        },
    };
    login_as(state, &host, &user, password, account, source)
}

/// Where a password may come from, besides the netrc and a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    /// Only what was given, the netrc, or a prompt.
    Given,
    /// Also `$RFTP_PASSWORD` (for `-u USER`).
    Environment,
}

/// Logs in as `user` and remembers the credentials for reconnecting.
///
/// USER goes first; the password is looked for only when the server asks
/// for one (331): the one given, `$RFTP_PASSWORD` (for `-u`), the netrc
/// entry, the anonymous password for `anonymous` and `ftp`, or a no-echo
/// prompt on a terminal. So a server that lets the user in on USER alone
/// (230) is never sent a password, and a script without one is not refused.
pub fn login_as(
    state: &mut State,
    host: &str,
    user: &str,
    password: Option<Password>,
    account: Option<Password>,
    source: PasswordSource,
) -> Result<(), ShellError> {
    let entry = if password.is_none() || account.is_none() { netrc_entry(host, Some(user)) } else { None };
    let account = account.or_else(|| entry.as_ref().and_then(|e| e.account.clone()));
    // The password is looked for while USER waits for its answer, and the
    // prompt needs `state`: the connection is held apart meanwhile.
    let mut connection = state.connection.take().ok_or(ShellError::NotConnected)?;
    let mut sent_password = None;
    let result = connection.client.login_with(
        user,
        || -> Result<String, ShellError> {
            let password = match password {
                Some(password) => password,
                None => find_password(state, user, entry.and_then(|e| e.password), source)?,
            };
            let sent = password.expose().to_string();
            sent_password = Some(password);
            Ok(sent)
        },
        account.as_ref().map(Password::expose),
    );
    if result.is_ok() {
        connection.credentials =
            Some(Credentials { user: user.to_string(), password: sent_password.unwrap_or_default(), account });
    }
    state.connection = Some(connection);
    let reply = result.map_err(|error| match error {
        ShellError::Ftp(error) => ShellError::Login(error),
        other => other,
    })?;
    if state.settings.verbose {
        outln!("{reply}");
    }
    Ok(())
}

/// The password for `user` when the server asks for one: `$RFTP_PASSWORD`
/// (for `-u`), the netrc's, the anonymous password for `anonymous` and
/// `ftp`, or a no-echo prompt on a terminal.
fn find_password(
    state: &State,
    user: &str,
    from_netrc: Option<Password>,
    source: PasswordSource,
) -> Result<Password, ShellError> {
    let from_environment = || {
        (source == PasswordSource::Environment)
            .then(|| std::env::var(PASSWORD_VAR).ok().filter(|p| !p.is_empty()).map(Password::from))
            .flatten()
    };
    if let Some(password) = from_environment().or(from_netrc) {
        return Ok(password);
    }
    if ANONYMOUS_USERS.contains(&user) {
        return Ok(crate::config::anonymous_password().into());
    }
    if state.interactive {
        return state.with_interrupts_paused(ask_password);
    }
    Err(ShellError::NoPassword(user.to_string()))
}

/// The netrc entry for `host`, warning (once per call) about a netrc that must not be used.
fn netrc_entry(host: &str, user: Option<&str>) -> Option<NetrcEntry> {
    match Netrc::load() {
        Ok(Some(netrc)) => netrc.find(host, user).cloned(),
        Ok(None) => None,
        Err(e) => {
            errln!("rftp: warning: {e}");
            None
        }
    }
}

fn ask_user_name(host: &str) -> Result<String, ShellError> {
    let default = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "anonymous".into());
    eprint!("{}", crate::display::for_stderr(&format!("Name ({host}:{default}): ")));
    let _ = io::stderr().flush();
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| ShellError::Local(format!("cannot read the user name: {e}")))?;
    let answer = answer.trim();
    Ok(if answer.is_empty() { default } else { answer.to_string() })
}

fn ask_password() -> Result<Password, ShellError> {
    rpassword::prompt_password("Password: ")
        .map(Password::from)
        .map_err(|e| ShellError::Local(format!("cannot read the password: {e}")))
}

/// After an abort that cost the connection (some servers close it on the
/// Telnet signals before ABOR), connects again without them and goes back to
/// the same folder.
pub fn reconnect_after_abort(state: &mut State) -> Result<(), ShellError> {
    // Taken while connected, so that the new connection keeps the session's TLS.
    let options = client_options(state, false);
    let Some(old) = state.connection.take() else {
        return Ok(());
    };
    errln!("rftp: the server closed the connection on ABOR; reconnecting (plain ABOR from now on)");
    let mut client = open_client_with(state, &old.host, old.port, options)?;
    if let Some(credentials) = &old.credentials {
        client
            .login(&credentials.user, credentials.password.expose(), credentials.account.as_ref().map(Password::expose))
            .map_err(ShellError::Login)?;
    }
    if let Some(folder) = &old.folder {
        client.cwd(folder)?;
    }
    *state.abort_slot.lock().unwrap_or_else(|p| p.into_inner()) = vec![client.abort_handle()];
    state.connection = Some(Connection { client, telnet_abort: false, ..old });
    Ok(())
}
