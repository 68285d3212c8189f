//! Setting a remote file's modification time (an upload keeping the local
//! time), in whichever of the known ways the server takes:
//!
//! 1. `MFMT YYYYMMDDHHMMSS path` (draft-somers-ftp-mfxx), when FEAT lists
//!    MFMT: pyftpdlib, ProFTPD, Pure-FTPd, FileZilla Server;
//! 2. `SITE UTIME path atime mtime ctime UTC`, the five-argument form of
//!    Pure-FTPd, wu-ftpd and ncftpd (newer ProFTPD too), which servers read
//!    from the end, so a name with spaces is safe;
//! 3. `SITE UTIME YYYYMMDDhhmmss path`, the two-argument form of ProFTPD's
//!    mod_site_misc;
//! 4. `MDTM YYYYMMDDHHMMSS path`, vsftpd's setting MDTM (`mdtm_write`, on by
//!    default). A server that reads it as the query of a file named
//!    `YYYYMMDDHHMMSS path` answers with a time or a 550 instead.
//!
//! A way the server refuses (500, 501, 502, 504, or a 550 that is not about
//! the file) is remembered on the connection and never sent again; the next
//! is tried. All times are UTC.

use super::client::Client;
use super::command::Command;
use super::error::{Error, Result};
use super::listing::FileTime;
use super::reply::Reply;

/// The ways of setting a time, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setter {
    Mfmt,
    SiteUtimeFive,
    SiteUtimeTwo,
    MdtmWrite,
}

const ORDER: [Setter; 4] = [Setter::Mfmt, Setter::SiteUtimeFive, Setter::SiteUtimeTwo, Setter::MdtmWrite];

impl Setter {
    fn index(self) -> usize {
        self as usize
    }

    fn command(self, path: &str, time: &FileTime) -> Result<Command> {
        let t = time.to_time_val();
        match self {
            Setter::Mfmt => Command::with_arg("MFMT", &format!("{t} {path}")),
            // The access time gets the modification time too: there is no
            // better one to give, and servers cannot set ctime anyway.
            Setter::SiteUtimeFive => Command::with_arg("SITE", &format!("UTIME {path} {t} {t} {t} UTC")),
            Setter::SiteUtimeTwo => Command::with_arg("SITE", &format!("UTIME {t} {path}")),
            Setter::MdtmWrite => Command::with_arg("MDTM", &format!("{t} {path}")),
        }
    }

    /// Whether a positive reply says the time was set: a MDTM answered with
    /// a time-val was read as a query (of a file named like the arguments).
    fn took(self, reply: &Reply) -> bool {
        let query_answer = self == Setter::MdtmWrite && FileTime::parse(reply.message()).is_some();
        reply.code().is_completion() && !query_answer
    }
}

/// What a connection learnt about setting times.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimeSetters {
    /// Per [`Setter`], in [`ORDER`]: the server refused it.
    refused: [bool; 4],
}

impl Client {
    /// Sets the modification time of the remote file `path` to `time` (UTC,
    /// whole seconds): `Ok(true)` when the server took it, `Ok(false)` when
    /// it offers no way to (then later calls send nothing and return
    /// `Ok(false)` at once). An error is about the file (missing, not
    /// allowed: a 550 or 553 naming it) or the connection.
    pub fn set_modified(&mut self, path: &str, time: FileTime) -> Result<bool> {
        for setter in ORDER {
            if self.time_setters.refused[setter.index()] || (setter == Setter::Mfmt && !self.features().has("MFMT")) {
                continue;
            }
            let command = setter.command(path, &time)?;
            match self.send_command(&command) {
                Ok(reply) if setter.took(&reply) => return Ok(true),
                Ok(_) => {}
                Err(Error::Permanent { command, reply }) if self.is_connected() => {
                    if !self.refuses_the_command(setter, path, &reply)? {
                        return Err(Error::Permanent { command, reply });
                    }
                }
                Err(e) => return Err(e),
            }
            self.time_setters.refused[setter.index()] = true;
        }
        Ok(false)
    }

    /// Whether a 5xx reply to `setter` means the server does not take that
    /// way of setting times, rather than refusing it for this file.
    fn refuses_the_command(&mut self, setter: Setter, path: &str, reply: &Reply) -> Result<bool> {
        match reply.code().as_u16() {
            500 | 501 | 502 | 504 => return Ok(true),
            550 => {}
            _ => return Ok(false),
        }
        let text = reply.text().to_ascii_lowercase();
        if setter == Setter::Mfmt || ["permission", "denied", "not permitted"].iter().any(|w| text.contains(w)) {
            // MFMT was announced, so a 550 is about the file.
            return Ok(false);
        }
        // Some servers answer a SITE command they lack, or a MDTM whose
        // "file name" is the time and the path, with 550. Whether the file
        // is there tells the two apart.
        match self.mdtm(path) {
            // A malformed time is still an answer about a file that is there.
            Ok(_) | Err(Error::Protocol(_)) => Ok(true),
            Err(Error::Permanent { reply, .. }) if matches!(reply.code().as_u16(), 500 | 502) => Ok(true),
            Err(Error::Permanent { .. } | Error::Temporary { .. }) if self.is_connected() => Ok(false),
            Err(e) => Err(e),
        }
    }
}
