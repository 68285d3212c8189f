//! User-level settings: the anonymous password and, later, netrc and data locations.

use std::env;

/// The environment variable that overrides the anonymous password.
pub const ANONYMOUS_PASSWORD_VAR: &str = "RFTP_ANONYMOUS_PASSWORD";

/// The password sent for anonymous logins: `$RFTP_ANONYMOUS_PASSWORD` if set,
/// else `USER@hostname`, the user from `$USER`, `$LOGNAME` or the system.
pub fn anonymous_password() -> String {
    anonymous_password_from(non_empty_var, system_user_name, host_name)
}

/// The rule behind [`anonymous_password`], with its inputs passed in.
fn anonymous_password_from(
    var: impl Fn(&str) -> Option<String>,
    system_user: impl FnOnce() -> Option<String>,
    host: impl FnOnce() -> String,
) -> String {
    if let Some(password) = var(ANONYMOUS_PASSWORD_VAR) {
        return password;
    }
    let user = var("USER")
        .or_else(|| var("LOGNAME"))
        .or_else(system_user)
        .unwrap_or_else(|| "anonymous".to_string());
    format!("{user}@{}", host())
}

fn system_user_name() -> Option<String> {
    whoami::username().ok().filter(|u| !u.is_empty())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn password(pairs: &[(&str, &str)]) -> String {
        anonymous_password_from(env(pairs), || Some("sysuser".into()), || "box".into())
    }

    #[test]
    fn anonymous_password_is_user_at_host() {
        assert_eq!(password(&[("USER", "ann"), ("LOGNAME", "log")]), "ann@box");
        assert_eq!(password(&[("LOGNAME", "log")]), "log@box");
        assert_eq!(password(&[]), "sysuser@box");
        assert_eq!(
            anonymous_password_from(env(&[]), || None, || "box".into()),
            "anonymous@box"
        );
    }

    #[test]
    fn the_environment_overrides_the_anonymous_password() {
        assert_eq!(
            password(&[
                ("USER", "ann"),
                (ANONYMOUS_PASSWORD_VAR, "guest@example.org")
            ]),
            "guest@example.org"
        );
    }

    #[test]
    fn the_real_anonymous_password_has_a_user_and_a_host() {
        let password = anonymous_password();
        let (user, host) = password.split_once('@').expect("USER@hostname");
        assert!(!user.is_empty() && !host.is_empty(), "{password}");
    }
}
