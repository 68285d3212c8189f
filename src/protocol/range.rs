//! One byte range of a file: `REST start` + `RETR`, reading exactly the
//! range's length (RFC 3659 §5 restarts a stream-mode transfer at a byte
//! offset; no FTP command asks for an end, so the client stops reading).
//! Segmented downloads fetch several ranges of one file on several
//! connections with it.

use std::io::{self, Read};
use std::ops::Range;

use super::{Client, Command, Error, Result, TransferType};

/// Bytes read from the data connection at a time.
const CHUNK: usize = 128 * 1024;

impl Client {
    /// Downloads the bytes `range` of `path` in binary mode, handing each
    /// chunk to `out` with the file offset it belongs at; returns the bytes
    /// received, always `range`'s length.
    ///
    /// With `to_end` the range ends the file: the transfer is read to its
    /// end and its final reply awaited, and a byte more than the range is
    /// [`Error::TooLong`]. Otherwise the data connection is closed once the
    /// range arrived, with no ABOR ([`super::DataTransfer::hang_up`]): the
    /// session is out of step then, and the caller must close it. Fewer
    /// bytes than the range is [`Error::Incomplete`]; a refused `REST` or
    /// `RETR` is the server's reply.
    pub fn retrieve_range(
        &mut self,
        path: &str,
        range: Range<u64>,
        to_end: bool,
        out: &mut dyn FnMut(u64, &[u8]) -> io::Result<()>,
    ) -> Result<u64> {
        let command = Command::with_arg("RETR", path)?;
        self.ensure_type(TransferType::Binary)?;
        let timeout = self.options().timeout;
        let wanted = range.end.saturating_sub(range.start);
        let mut transfer = self.transfer(&command, range.start)?;
        let mut buffer = vec![0u8; CHUNK];
        let mut received = 0u64;
        while received < wanted {
            let most = (wanted - received).min(CHUNK as u64) as usize;
            let n = match transfer.read(&mut buffer[..most]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // An abort (Ctrl-C) or the server's reply tells more
                    // than the broken read.
                    transfer.finish()?;
                    return Err(Error::io("reading the data connection", e, timeout));
                }
            };
            out(range.start + received, &buffer[..n])
                .map_err(|source| Error::Io { context: "writing the local copy".into(), source })?;
            received += n as u64;
        }
        if received < wanted {
            // The server ended early, or Ctrl-C did: its reply says which.
            transfer.finish()?;
            return Err(Error::Incomplete { received: range.start + received, expected: range.end });
        }
        if !to_end {
            // The rest of the file is not wanted. ABOR would cost a round
            // trip, and up to seconds on servers that answer it once or not
            // at all (libunftp), on a connection that is closed next.
            transfer.hang_up();
            return Ok(received);
        }
        let extra = loop {
            match transfer.read(&mut buffer) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    transfer.finish()?;
                    return Err(Error::io("reading the data connection", e, timeout));
                }
                Ok(n) => break n as u64,
            }
        };
        if extra > 0 {
            // Dropping the transfer aborts it: the server may send on.
            return Err(Error::TooLong { received: range.start + received + extra, expected: range.end });
        }
        transfer.finish()?;
        Ok(received)
    }
}
