//! Commands the client sends, encoded as RFC 959 §4.1 lines.
//!
//! A command is a verb and an optional argument. Arguments come from users and,
//! worse, from servers (names in listings), so anything that would end the line
//! early (CR, LF) or is never valid in a Telnet string (NUL) is refused before a
//! byte is sent. Names decoded from the server's bytes ([`super::wire`]) are
//! sent as those same bytes.

use std::fmt;

use super::error::{Error, Result};

/// One command line, validated and ready to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    verb: String,
    argument: Option<String>,
}

impl Command {
    /// A command with no argument, such as `PWD`.
    pub fn new(verb: &str) -> Result<Command> {
        check_verb(verb)?;
        Ok(Command { verb: verb.to_string(), argument: None })
    }

    /// A command with an argument, such as `RETR name`.
    pub fn with_arg(verb: &str, argument: &str) -> Result<Command> {
        check_verb(verb)?;
        check_argument(argument, verb)?;
        Ok(Command { verb: verb.to_string(), argument: Some(argument.to_string()) })
    }

    /// `VERB ARG`, or `VERB` alone when there is no argument: a listing
    /// (LIST, NLST, MLSD) of a folder or of the current one.
    pub fn with_optional_arg(verb: &str, argument: Option<&str>) -> Result<Command> {
        match argument {
            Some(argument) => Command::with_arg(verb, argument),
            None => Command::new(verb),
        }
    }

    /// Parses a raw line typed by a user (`quote`): the verb is the first word.
    pub fn parse(line: &str) -> Result<Command> {
        // The verb as the server would read it: up to white space or NUL.
        let verb = line.trim_start().split(|c: char| c.is_whitespace() || c == '\0').next().unwrap_or("");
        check_argument(line, verb)?;
        let line = line.trim_start();
        match line.split_once(' ') {
            Some((verb, argument)) => Command::with_arg(verb, argument),
            None => Command::new(line),
        }
    }

    /// The verb, as given.
    pub fn verb(&self) -> &str {
        &self.verb
    }

    /// The bytes to send, CRLF included; a name that came from the server
    /// goes back as the server's own bytes.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut line = self.verb.clone().into_bytes();
        if let Some(argument) = &self.argument {
            line.push(b' ');
            line.extend_from_slice(&super::wire::encode(argument));
        }
        line.extend_from_slice(b"\r\n");
        line
    }

    /// Whether the argument is a secret that must never be shown (PASS, ACCT).
    pub fn is_secret(&self) -> bool {
        is_secret_verb(&self.verb)
    }
}

/// Shows the command as a log line, with a secret argument masked.
impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.verb)?;
        match &self.argument {
            Some(_) if self.is_secret() => f.write_str(" ****"),
            Some(argument) => write!(f, " {argument}"),
            None => Ok(()),
        }
    }
}

/// The same as Display: a command never shows its secret, even in `{:?}`.
impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command({self})")
    }
}

fn check_verb(verb: &str) -> Result<()> {
    if verb.is_empty() || !verb.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::InvalidArgument(format!("{verb:?} is not an FTP command")));
    }
    Ok(())
}

/// Whether `verb`'s argument is a secret (PASS, ACCT).
fn is_secret_verb(verb: &str) -> bool {
    verb.eq_ignore_ascii_case("PASS") || verb.eq_ignore_ascii_case("ACCT")
}

/// Refuses CR, LF and NUL in the argument of `verb` (or in a whole line
/// whose first word is `verb`). The error shows the argument, except a
/// password's or an account's: a password read with a stray CR (a file
/// with Windows line ends in `$RFTP_PASSWORD`) must not be printed.
fn check_argument(argument: &str, verb: &str) -> Result<()> {
    if let Some(c) = argument.chars().find(|c| matches!(c, '\r' | '\n' | '\0')) {
        let shown = if is_secret_verb(verb) {
            format!("the {} given", verb.to_ascii_uppercase())
        } else {
            format!("{argument:?}")
        };
        return Err(Error::InvalidArgument(format!(
            "{shown} contains {}, which cannot be sent to an FTP server",
            match c {
                '\r' => "a carriage return (CR)",
                '\n' => "a line feed (LF)",
                _ => "a NUL byte",
            }
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_verb_and_argument() {
        assert_eq!(Command::with_arg("RETR", "my file.txt").unwrap().to_wire(), b"RETR my file.txt\r\n");
        assert_eq!(Command::new("PWD").unwrap().to_wire(), b"PWD\r\n");
        assert_eq!(Command::with_arg("CWD", "-dash").unwrap().to_wire(), b"CWD -dash\r\n");
    }

    #[test]
    fn an_optional_argument_is_sent_only_when_given() {
        assert_eq!(Command::with_optional_arg("LIST", None).unwrap().to_wire(), b"LIST\r\n");
        assert_eq!(Command::with_optional_arg("MLSD", Some("d")).unwrap().to_wire(), b"MLSD d\r\n");
        assert!(Command::with_optional_arg("NLST", Some("a\r\nDELE b")).is_err());
    }

    #[test]
    fn names_from_the_server_go_back_as_its_bytes() {
        let name = super::super::wire::decode(b"caf\xe9 \x93\xfa.txt").into_owned();
        assert_eq!(Command::with_arg("RETR", &name).unwrap().to_wire(), b"RETR caf\xe9 \x93\xfa.txt\r\n");
        assert_eq!(Command::with_arg("RETR", "café").unwrap().to_wire(), "RETR café\r\n".as_bytes());
    }

    #[test]
    fn refuses_line_breaks_and_nul_in_arguments() {
        for bad in ["a\r\nDELE b", "a\nb", "a\rb", "a\0b"] {
            let err = Command::with_arg("RETR", bad).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{bad:?}");
            assert!(Command::parse(&format!("RETR {bad}")).is_err());
        }
    }

    #[test]
    fn refuses_odd_verbs() {
        for bad in ["", "RE TR", "RETR\r\n", "ÄBOR"] {
            assert!(Command::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parse_splits_verb_from_argument() {
        let c = Command::parse("SITE CHMOD 644 a b").unwrap();
        assert_eq!(c.verb(), "SITE");
        assert_eq!(c.to_wire(), b"SITE CHMOD 644 a b\r\n");
        assert_eq!(Command::parse("NOOP").unwrap().to_wire(), b"NOOP\r\n");
    }

    #[test]
    fn secrets_are_masked_in_display_and_debug() {
        for verb in ["PASS", "pass", "ACCT"] {
            let c = Command::with_arg(verb, "hunter2").unwrap();
            assert!(!c.to_string().contains("hunter2"));
            assert!(!format!("{c:?}").contains("hunter2"));
            assert_eq!(c.to_wire(), format!("{verb} hunter2\r\n").into_bytes());
        }
        assert_eq!(Command::with_arg("USER", "bob").unwrap().to_string(), "USER bob");
    }

    #[test]
    fn a_refused_secret_is_not_shown() {
        for error in [
            Command::with_arg("PASS", "hunter2\r").unwrap_err(),
            Command::with_arg("acct", "hunter2\0").unwrap_err(),
            Command::parse("pass hunter2\n").unwrap_err(),
            Command::parse(" PASS\0hunter2").unwrap_err(),
        ] {
            let message = error.to_string();
            assert!(!message.contains("hunter2") && message.contains("cannot be sent"), "{message}");
        }
        let message = Command::with_arg("RETR", "a\rb").unwrap_err().to_string();
        assert!(message.contains("\"a\\rb\""), "other arguments are shown: {message}");
    }
}
