//! User-level settings: the anonymous password and, later, netrc and data locations.

use std::env;

/// The environment variable that overrides the anonymous password.
pub const ANONYMOUS_PASSWORD_VAR: &str = "RFTP_ANONYMOUS_PASSWORD";

/// The password sent for anonymous logins: `$RFTP_ANONYMOUS_PASSWORD` if set,
/// else `USER@hostname`, the user from `$USER`, `$LOGNAME` or the system.
pub fn anonymous_password() -> String {
    if let Some(password) = non_empty_var(ANONYMOUS_PASSWORD_VAR) {
        return password;
    }
    format!("{}@{}", user_name(), host_name())
}

fn user_name() -> String {
    non_empty_var("USER")
        .or_else(|| non_empty_var("LOGNAME"))
        .or_else(|| whoami::username().ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "anonymous".to_string())
}

fn host_name() -> String {
    hostname::get()
        .ok()
        .map(|h| h.to_string_lossy().into_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn non_empty_var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.is_empty())
}
