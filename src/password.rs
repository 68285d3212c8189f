//! A password that cannot be printed by accident.
//!
//! Passwords come from URLs, the netrc, `$RFTP_PASSWORD` or a prompt, and
//! travel through structs that are easy to print while debugging or in an
//! error. Holding them in [`Password`], whose `Debug` and `Display` show only
//! a placeholder, means a stray `{:?}` cannot leak one: the real text is
//! reached only through [`Password::expose`], where it is sent.

use std::fmt;

/// What a password looks like in every message.
pub const PLACEHOLDER: &str = "****";

/// A password; `Debug` and `Display` print [`PLACEHOLDER`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(text: impl Into<String>) -> Password {
        Password(text.into())
    }

    /// The real text, for sending it to the server (PASS) and nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Password {
    fn from(text: String) -> Password {
        Password(text)
    }
}

impl From<&str> for Password {
    fn from(text: &str) -> Password {
        Password(text.to_string())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PLACEHOLDER)
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PLACEHOLDER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing_shows_only_the_placeholder() {
        let password = Password::new("hunter2");
        assert_eq!(format!("{password}"), "****");
        assert_eq!(format!("{password:?}"), "****");
        assert_eq!(format!("{:?}", Some(password.clone())), "Some(****)");
        assert_eq!(password.expose(), "hunter2");
    }
}
