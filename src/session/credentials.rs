//! Which credentials a login uses, in the order users expect (a URL's, then
//! `-u` with `$RFTP_PASSWORD` or a prompt, then `~/.netrc`, then anonymous),
//! and asking for them on a terminal. Passwords are read without echo and
//! never printed.

use std::io::{self, BufRead, Write};

use super::{Error, Interrupts};
use crate::config::{Netrc, NetrcEntry};
use crate::password::Password;

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

/// The credentials a session logged in with, kept to open more connections
/// like it and to reconnect.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: Password,
    /// The account, if one was needed (a secret like the password).
    pub account: Option<Password>,
}

/// Where a password may come from, besides the netrc and a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    /// Only what was given, the netrc, or a prompt.
    Given,
    /// Also `$RFTP_PASSWORD` (for `-u USER`).
    Environment,
}

/// A login chosen for a host, before the server asks for its password.
#[derive(Debug)]
pub struct ChosenLogin {
    /// The user name.
    pub user: String,
    /// The password, when already known.
    pub password: Option<Password>,
    /// The account, when already known.
    pub account: Option<Password>,
    /// Where else the password may come from.
    pub source: PasswordSource,
}

/// The environment variable that holds the password for `-u USER`.
pub const PASSWORD_VAR: &str = "RFTP_PASSWORD";

const ANONYMOUS_USERS: [&str; 2] = ["anonymous", "ftp"];

/// The login `request` means for `host`; asks for a user name on a terminal
/// (`interactive`) when nothing else names one.
pub fn choose_login(request: &LoginRequest, host: &str, interactive: bool) -> Result<ChosenLogin, Error> {
    let chosen = |user: String, password, account, source| ChosenLogin { user, password, account, source };
    let anonymous = || chosen("anonymous".to_string(), None, None, PasswordSource::Given);
    Ok(match request {
        LoginRequest::Given(user, password) => chosen(user.clone(), password.clone(), None, PasswordSource::Given),
        LoginRequest::Anonymous => anonymous(),
        LoginRequest::User(user) => chosen(user.clone(), None, None, PasswordSource::Environment),
        LoginRequest::Default | LoginRequest::NetrcOrAnonymous => match netrc_entry(host, None) {
            Some(NetrcEntry { login: Some(user), password, account }) => {
                chosen(user, password, account, PasswordSource::Given)
            }
            _ if interactive && *request == LoginRequest::Default => {
                chosen(ask_user_name(host)?, None, None, PasswordSource::Given)
            }
            _ => anonymous(),
        },
    })
}

/// The user a login to `host` chooses without asking: `-u`'s, anonymous for
/// `-a`, else the netrc's login for the host, else anonymous.
pub fn implied_user(request: &LoginRequest, host: &str) -> String {
    match request {
        LoginRequest::Given(user, _) | LoginRequest::User(user) => user.clone(),
        LoginRequest::Anonymous => "anonymous".into(),
        // An unreadable netrc is reported when a login reads it.
        LoginRequest::Default | LoginRequest::NetrcOrAnonymous => Netrc::load()
            .ok()
            .flatten()
            .and_then(|netrc| netrc.find(host, None).and_then(|entry| entry.login.clone()))
            .unwrap_or_else(|| "anonymous".into()),
    }
}

/// The password for `user` when the server asks for one: `$RFTP_PASSWORD`
/// (for `-u`), the netrc's, the anonymous password for `anonymous` and
/// `ftp`, or a no-echo prompt on a terminal (`interactive`).
pub fn find_password(
    user: &str,
    from_netrc: Option<Password>,
    source: PasswordSource,
    interactive: bool,
    interrupts: &Interrupts,
) -> Result<Password, Error> {
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
    if interactive {
        return interrupts.paused_while(ask_password);
    }
    Err(Error::NoPassword(user.to_string()))
}

/// The netrc entry for `host`, warning (once per call) about a netrc that must not be used.
pub fn netrc_entry(host: &str, user: Option<&str>) -> Option<NetrcEntry> {
    match Netrc::load() {
        Ok(Some(netrc)) => netrc.find(host, user).cloned(),
        Ok(None) => None,
        Err(e) => {
            errln!("rftp: warning: {e}");
            None
        }
    }
}

fn ask_user_name(host: &str) -> Result<String, Error> {
    let default = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "anonymous".into());
    eprint!("{}", crate::display::for_stderr(&format!("Name ({host}:{default}): ")));
    let _ = io::stderr().flush();
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer).map_err(|e| Error::Local(format!("cannot read the user name: {e}")))?;
    let answer = answer.trim();
    Ok(if answer.is_empty() { default } else { answer.to_string() })
}

fn ask_password() -> Result<Password, Error> {
    rpassword::prompt_password("Password: ")
        .map(Password::from)
        .map_err(|e| Error::Local(format!("cannot read the password: {e}")))
}
