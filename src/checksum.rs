//! Checking a transfer against the server's checksum (`--verify`, the
//! shell's `checksum`): the local copy is hashed, streaming, with the
//! algorithm the server used ([`Client::checksum`]), and the two compared.
//!
//! Where the server has no checksum command, `--verify` compares sizes
//! instead: SIZE after the transfer against the local file's length (a
//! binary download checks the size SIZE or the listing announced already;
//! an upload that replaces a file checks nothing else). ASCII transfers
//! change line ends, so neither the bytes nor the sizes can match: they are
//! not checked.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::protocol::{Client, HashAlgorithm, TransferType};
use crate::transfer::{self, LocalSource, TransferError};

/// How many bytes one read of a file being hashed takes: memory does not
/// grow with the file.
const CHUNK: usize = 64 * 1024;

/// The hash of everything `reader` yields, in lower-case hex.
pub fn hash_reader(mut reader: impl Read, algorithm: HashAlgorithm) -> io::Result<String> {
    let mut hasher = Hasher::new(algorithm);
    let mut buffer = vec![0; CHUNK];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return Ok(hasher.finish()),
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// One hash function's running state.
enum Hasher {
    Ring(Box<ring::digest::Context>),
    Md5(Box<md5::Md5>),
    Crc32(crc32fast::Hasher),
}

impl Hasher {
    fn new(algorithm: HashAlgorithm) -> Hasher {
        use md5::Digest;
        match algorithm {
            HashAlgorithm::Sha256 => Hasher::Ring(Box::new(ring::digest::Context::new(&ring::digest::SHA256))),
            // What servers offer: the checksum guards against damage, not
            // against someone forging a collision.
            HashAlgorithm::Sha1 => {
                Hasher::Ring(Box::new(ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY)))
            }
            HashAlgorithm::Md5 => Hasher::Md5(Box::new(md5::Md5::new())),
            HashAlgorithm::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        use md5::Digest;
        match self {
            Hasher::Ring(context) => context.update(bytes),
            Hasher::Md5(md5) => md5.update(bytes),
            Hasher::Crc32(crc) => crc.update(bytes),
        }
    }

    fn finish(self) -> String {
        use md5::Digest;
        match self {
            Hasher::Ring(context) => hex(context.finish().as_ref()),
            Hasher::Md5(md5) => hex(&md5.finalize()),
            Hasher::Crc32(crc) => format!("{:08x}", crc.finalize()),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a check after a transfer found, when it found no difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Both sides have the same checksum with this algorithm.
    Matched(HashAlgorithm),
    /// The server has no checksum command; SIZE, where the server has it,
    /// matched the local size.
    NoHashCommand,
    /// An ASCII transfer: line ends changed, nothing could be compared.
    Ascii,
}

/// Compares `remote` on the server with `local` after a transfer between
/// them: their checksums when the server has a checksum command, else
/// their sizes. A difference is [`TransferError::ChecksumMismatch`] or
/// [`TransferError::SizeMismatch`]; standard input cannot be read again
/// and is refused.
pub fn verify_transfer(client: &mut Client, remote: &str, local: &LocalSource) -> Result<Verified, TransferError> {
    if client.transfer_type() == TransferType::Ascii {
        return Ok(Verified::Ascii);
    }
    let Some((file, path)) = transfer::open_upload_source(local)? else {
        return Err(TransferError::Local {
            context: format!("cannot verify {remote}"),
            source: io::Error::new(io::ErrorKind::InvalidInput, "standard input cannot be read again"),
        });
    };
    match client.checksum(remote)? {
        Some(server) => {
            let local_hex = hash_reader(file, server.algorithm).map_err(|source| TransferError::Local {
                context: format!("cannot read {}", path.display()),
                source,
            })?;
            if local_hex == server.hex {
                return Ok(Verified::Matched(server.algorithm));
            }
            Err(TransferError::ChecksumMismatch {
                remote: remote.to_string(),
                local: path,
                algorithm: server.algorithm,
                remote_hex: server.hex,
                local_hex,
            })
        }
        None => {
            let local_size = file
                .metadata()
                .map_err(|source| TransferError::Local { context: format!("cannot read {}", path.display()), source })?
                .len();
            match client.size(remote)? {
                Some(remote_size) if remote_size != local_size => Err(TransferError::SizeMismatch {
                    remote: remote.to_string(),
                    local: path,
                    remote_size,
                    local_size,
                }),
                _ => Ok(Verified::NoHashCommand),
            }
        }
    }
}

/// Whether `error` says the two copies differ (so transferring again may help).
pub fn is_mismatch(error: &TransferError) -> bool {
    matches!(error, TransferError::ChecksumMismatch { .. } | TransferError::SizeMismatch { .. })
}

/// Runs `verify` on `context`; when the copies differ, says so with `say`,
/// transfers the file again whole (`redo`) and runs `verify` once more,
/// whose difference is then the error.
pub fn verify_or_redo<C, E: From<TransferError>>(
    context: &mut C,
    say: &dyn Fn(&str),
    mut verify: impl FnMut(&mut C) -> Result<Verified, TransferError>,
    redo: impl FnOnce(&mut C) -> Result<(), E>,
) -> Result<Verified, E> {
    match verify(context) {
        Err(error) if is_mismatch(&error) => {
            say(&format!("rftp: {error}; transferring it again"));
            redo(context)?;
            Ok(verify(context)?)
        }
        other => Ok(other?),
    }
}

/// The notes `--verify` gives once per command, however many files it
/// checks: that the server has no checksum command, or that ASCII
/// transfers are not checked.
#[derive(Debug, Default)]
pub struct VerifyNotes {
    no_hash_said: AtomicBool,
    ascii_said: AtomicBool,
}

/// What `--verify` says when the server has no checksum command.
pub const NO_HASH_NOTE: &str = "rftp: the server offers no checksum command; --verify checks sizes only";

/// What `--verify` says of an ASCII transfer.
pub const ASCII_NOTE: &str = "rftp: --verify checks nothing in ASCII mode: line ends change the bytes";

impl VerifyNotes {
    /// Says, through `say`, what `verified` means when it needs saying and
    /// this command has not said it yet.
    pub fn tell(&self, verified: Verified, say: &dyn Fn(&str)) {
        let (said, note) = match verified {
            Verified::Matched(_) => return,
            Verified::NoHashCommand => (&self.no_hash_said, NO_HASH_NOTE),
            Verified::Ascii => (&self.ascii_said, ASCII_NOTE),
        };
        if !said.swap(true, Ordering::SeqCst) {
            say(note);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known values of "abc" (FIPS 180 examples, RFC 1321, and CRC-32's).
    #[test]
    fn each_algorithm_hashes_as_its_standard_says() {
        let abc = |algorithm| hash_reader(&b"abc"[..], algorithm).unwrap();
        assert_eq!(abc(HashAlgorithm::Sha256), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(abc(HashAlgorithm::Sha1), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(abc(HashAlgorithm::Md5), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(abc(HashAlgorithm::Crc32), "352441c2");
        assert_eq!(hash_reader(&b""[..], HashAlgorithm::Crc32).unwrap(), "00000000");
    }

    /// A reader that hands out its bytes a few at a time, as a file may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(3).min(buffer.len());
            buffer[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_file_read_in_pieces_hashes_as_a_whole() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for algorithm in HashAlgorithm::BEST_FIRST {
            assert_eq!(hash_reader(Trickle(&data), algorithm).unwrap(), hash_reader(&data[..], algorithm).unwrap());
        }
    }

    #[test]
    fn each_note_is_said_once() {
        let said = std::cell::RefCell::new(Vec::new());
        let say = |line: &str| said.borrow_mut().push(line.to_string());
        let notes = VerifyNotes::default();
        for verified in [Verified::NoHashCommand, Verified::Matched(HashAlgorithm::Md5), Verified::NoHashCommand] {
            notes.tell(verified, &say);
        }
        notes.tell(Verified::Ascii, &say);
        notes.tell(Verified::Ascii, &say);
        assert_eq!(*said.borrow(), [NO_HASH_NOTE, ASCII_NOTE]);
    }

    #[test]
    fn a_difference_is_transferred_again_once() {
        let mismatch =
            || TransferError::SizeMismatch { remote: "f".into(), local: "f".into(), remote_size: 1, local_size: 2 };
        let said = std::cell::RefCell::new(Vec::new());
        let say = |line: &str| said.borrow_mut().push(line.to_string());
        // (checks so far, redos so far); the first check differs, the second matches.
        let mut counts = (0, 0);
        let verify = |c: &mut (i32, i32)| {
            c.0 += 1;
            if c.0 == 1 { Err(mismatch()) } else { Ok(Verified::Matched(HashAlgorithm::Sha1)) }
        };
        let redo = |c: &mut (i32, i32)| {
            c.1 += 1;
            Ok::<_, TransferError>(())
        };
        let result = verify_or_redo(&mut counts, &say, verify, redo);
        assert_eq!(result.unwrap(), Verified::Matched(HashAlgorithm::Sha1));
        assert_eq!(counts, (2, 1));
        assert!(said.borrow()[0].contains("sizes differ") && said.borrow()[0].ends_with("transferring it again"));
        let mut counts = (0, 0);
        let always = |c: &mut (i32, i32)| -> Result<Verified, TransferError> {
            c.0 += 1;
            Err(mismatch())
        };
        let result = verify_or_redo(&mut counts, &say, always, redo);
        assert!(matches!(result, Err(TransferError::SizeMismatch { .. })), "{result:?}");
        assert_eq!(counts, (2, 1), "one redo, then the difference is the error");
    }
}
