//! The system keyring as a place for passwords (the Secret Service over
//! D-Bus on Linux and the BSDs, the Keychain on macOS), behind a small
//! trait so that the order in which passwords are looked for can be tested
//! with a fake store.
//!
//! Every call is bounded in time: it runs on a thread of its own and is
//! given up after [`KEYRING_WAIT`], so a D-Bus that never answers cannot
//! hang rftp (the keyring crate has no timeout of its own).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::password::Password;

/// The service name rftp's passwords are filed under in the keyring.
const SERVICE: &str = "rftp";

/// The longest wait for the keyring. An unlocked keyring answers in
/// milliseconds; a locked one may show its unlock dialog, which gets this
/// long.
pub const KEYRING_WAIT: Duration = Duration::from_secs(10);

/// Which password: a user on a server (host and port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringKey {
    /// The user name.
    pub user: String,
    /// The host, as the user gave it.
    pub host: String,
    /// The port.
    pub port: u16,
}

impl KeyringKey {
    /// The keyring's account name for it: `USER@HOST:PORT`.
    fn account(&self) -> String {
        format!("{}@{}:{}", self.user, self.host, self.port)
    }
}

/// Why the keyring could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyringError(pub String);

/// A place that keeps passwords by [`KeyringKey`].
pub trait PasswordStore {
    /// The password kept for `key`; `Ok(None)` when none is.
    fn lookup(&self, key: &KeyringKey) -> Result<Option<Password>, KeyringError>;
    /// Keeps `password` for `key`, replacing any kept before.
    fn save(&self, key: &KeyringKey, password: &Password) -> Result<(), KeyringError>;
}

/// The system keyring.
#[derive(Debug, Clone)]
pub struct SystemKeyring {
    /// The longest wait for an answer.
    pub wait: Duration,
    /// When set (Ctrl-C), the wait ends at once.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for SystemKeyring {
    fn default() -> SystemKeyring {
        SystemKeyring { wait: KEYRING_WAIT, cancel: None }
    }
}

/// Runs `call` on a thread of its own; gives up after `wait`, or as soon
/// as `cancel` is set (the thread is left to end on its own).
fn within<T: Send + 'static>(
    wait: Duration,
    cancel: Option<&AtomicBool>,
    call: impl FnOnce() -> Result<T, KeyringError> + Send + 'static,
) -> Result<T, KeyringError> {
    use super::interrupt::GaveUp;
    match super::interrupt::run_unless(cancel, Some(wait), call) {
        Ok(answer) => answer,
        Err(GaveUp::Interrupted) => Err(KeyringError("interrupted while asking the keyring".into())),
        Err(GaveUp::TimedOut) => Err(KeyringError(format!("the keyring did not answer within {} s", wait.as_secs()))),
        Err(GaveUp::NoThread) => Err(KeyringError("the keyring's thread ended without an answer".into())),
    }
}

/// The keyring crate's error as one line.
fn reason(error: keyring::Error) -> KeyringError {
    let text = error.to_string();
    KeyringError(text.lines().next().unwrap_or("unknown error").trim().to_string())
}

fn entry(key: &KeyringKey) -> Result<keyring::Entry, KeyringError> {
    keyring::Entry::new(SERVICE, &key.account()).map_err(reason)
}

impl PasswordStore for SystemKeyring {
    fn lookup(&self, key: &KeyringKey) -> Result<Option<Password>, KeyringError> {
        let key = key.clone();
        within(self.wait, self.cancel.as_deref(), move || match entry(&key)?.get_password() {
            Ok(password) => Ok(Some(Password::from(password))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(reason(e)),
        })
    }

    fn save(&self, key: &KeyringKey, password: &Password) -> Result<(), KeyringError> {
        let (key, password) = (key.clone(), password.clone());
        within(self.wait, self.cancel.as_deref(), move || entry(&key)?.set_password(password.expose()).map_err(reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_call_that_never_answers_is_given_up() {
        let start = Instant::now();
        let result: Result<(), _> = within(Duration::from_millis(50), None, || {
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        });
        assert!(result.unwrap_err().0.contains("did not answer"));
        assert!(start.elapsed() < Duration::from_secs(2));
        assert_eq!(within(Duration::from_secs(5), None, || Ok(7)), Ok(7));
        // Ctrl-C ends the wait too.
        let cancel = AtomicBool::new(true);
        let start = Instant::now();
        let result: Result<(), _> = within(Duration::from_secs(5), Some(&cancel), || {
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        });
        assert!(result.unwrap_err().0.contains("interrupted"));
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn accounts_name_user_host_and_port() {
        let key = KeyringKey { user: "bob".into(), host: "ftp.example.org".into(), port: 2121 };
        assert_eq!(key.account(), "bob@ftp.example.org:2121");
    }
}
