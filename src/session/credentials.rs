//! Which credentials a login uses, in the order users expect (a URL's, then
//! `-u` with `$RFTP_PASSWORD` or a prompt, then `~/.netrc`, then anonymous;
//! a password the system keyring keeps comes before the prompt), and asking
//! for them on a terminal. Passwords are read without echo and
//! never printed.

use std::io::{self, BufRead, Write};
use std::time::Duration;

use super::secret_store::{KEYRING_WAIT, KeyringKey, PasswordStore, SystemKeyring};
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

/// Whether `user` is an anonymous login (`anonymous` or `ftp`, in any
/// case), whose password is an e-mail address rather than a secret.
pub fn is_anonymous(user: &str) -> bool {
    user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp")
}

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
/// `ftp`, the system keyring's for (user, host, port), or a no-echo prompt
/// on a terminal (`interactive`). The keyring is waited for `timeout` (the
/// session's `--timeout`) at most, and never more than [`KEYRING_WAIT`].
pub fn find_password(
    key: &KeyringKey,
    from_netrc: Option<Password>,
    source: PasswordSource,
    interactive: bool,
    timeout: Option<Duration>,
    interrupts: &Interrupts,
) -> Result<Password, Error> {
    let from_environment = (source == PasswordSource::Environment)
        .then(|| std::env::var(PASSWORD_VAR).ok().filter(|p| !p.is_empty()).map(Password::from))
        .flatten();
    let keyring = SystemKeyring {
        wait: timeout.map_or(KEYRING_WAIT, |timeout| timeout.min(KEYRING_WAIT)),
        cancel: Some(std::sync::Arc::clone(&interrupts.interrupted)),
    };
    let sources = PasswordSources { from_environment, from_netrc, keyring: &keyring };
    // After a Ctrl-C (during the keyring's wait, say) nobody wants a prompt.
    let ask = interactive.then_some(|| match interrupts.is_set() {
        true => Err(Error::Interrupted(format!("logging in as {}", key.user))),
        false => interrupts.paused_while(ask_password),
    });
    sources.find(key, ask)
}

/// Where a password may come from, in the order they are tried.
struct PasswordSources<'a> {
    /// `$RFTP_PASSWORD`, when it applies.
    from_environment: Option<Password>,
    /// The netrc entry's.
    from_netrc: Option<Password>,
    /// The system keyring (a fake one in tests).
    keyring: &'a dyn PasswordStore,
}

impl PasswordSources<'_> {
    /// The first password found: the environment's, the netrc's, the
    /// anonymous password, the keyring's (a keyring that cannot be reached
    /// is passed over without a word), then `ask` (a prompt, on a terminal).
    fn find(self, key: &KeyringKey, ask: Option<impl FnOnce() -> Result<Password, Error>>) -> Result<Password, Error> {
        if let Some(password) = self.from_environment.or(self.from_netrc) {
            return Ok(password);
        }
        if is_anonymous(&key.user) {
            return Ok(crate::config::anonymous_password().into());
        }
        if let Ok(Some(password)) = self.keyring.lookup(key) {
            return Ok(password);
        }
        match ask {
            Some(ask) => ask(),
            None => Err(Error::NoPassword(key.user.clone())),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::secret_store::KeyringError;
    use std::cell::Cell;

    /// A keyring with at most one password, counting its lookups.
    struct FakeKeyring {
        kept: Result<Option<Password>, KeyringError>,
        lookups: Cell<usize>,
    }

    impl PasswordStore for FakeKeyring {
        fn lookup(&self, _key: &KeyringKey) -> Result<Option<Password>, KeyringError> {
            self.lookups.set(self.lookups.get() + 1);
            self.kept.clone()
        }
        fn save(&self, _key: &KeyringKey, _password: &Password) -> Result<(), KeyringError> {
            unreachable!("a lookup never saves")
        }
    }

    fn keyring(kept: Result<Option<&str>, &str>) -> FakeKeyring {
        let kept = kept.map(|p| p.map(Password::from)).map_err(|e| KeyringError(e.into()));
        FakeKeyring { kept, lookups: Cell::new(0) }
    }

    fn key(user: &str) -> KeyringKey {
        KeyringKey { user: user.into(), host: "h".into(), port: 21 }
    }

    /// Which password the order picks, with a prompt answering "typed"
    /// when `ask` (a terminal).
    fn found(env: Option<&str>, netrc: Option<&str>, store: &FakeKeyring, user: &str, ask: bool) -> Option<String> {
        let sources = PasswordSources {
            from_environment: env.map(Password::from),
            from_netrc: netrc.map(Password::from),
            keyring: store,
        };
        let prompt = ask.then_some(|| Ok(Password::from("typed")));
        sources.find(&key(user), prompt).ok().map(|p| p.expose().to_string())
    }

    #[test]
    fn the_keyring_comes_after_the_environment_and_netrc_and_before_the_prompt() {
        let store = keyring(Ok(Some("kept")));
        assert_eq!(found(Some("env"), Some("netrc"), &store, "bob", true).as_deref(), Some("env"));
        assert_eq!(found(None, Some("netrc"), &store, "bob", true).as_deref(), Some("netrc"));
        assert_eq!(store.lookups.get(), 0, "not asked when an earlier source has one");
        assert_eq!(found(None, None, &store, "bob", true).as_deref(), Some("kept"));
        assert_eq!(found(None, None, &store, "bob", false).as_deref(), Some("kept"), "scripts too");
        assert_eq!(store.lookups.get(), 2);
    }

    #[test]
    fn without_a_kept_password_or_a_keyring_the_prompt_follows_quietly() {
        for store in [keyring(Ok(None)), keyring(Err("no D-Bus session"))] {
            assert_eq!(found(None, None, &store, "bob", true).as_deref(), Some("typed"));
            assert_eq!(found(None, None, &store, "bob", false), None, "a script has no password then");
            assert_eq!(store.lookups.get(), 2);
        }
    }

    #[test]
    fn anonymous_logins_never_ask_the_keyring() {
        let store = keyring(Ok(Some("kept")));
        assert!(found(None, None, &store, "anonymous", false).is_some_and(|p| p != "kept"));
        assert_eq!(store.lookups.get(), 0);
    }
}
