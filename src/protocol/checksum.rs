//! Checksums of files on the server: the `HASH` command of
//! draft-bryan-ftpext-hash (announced in FEAT as `HASH SHA-256*;SHA-1;MD5`,
//! the `*` marking the algorithm in force, changed with `OPTS HASH NAME`)
//! and the older `XSHA256`, `XSHA1`, `XMD5` and `XCRC` commands (ProFTPD's
//! mod_digest, Serv-U, FileZilla Server and others).
//!
//! Parsing is pure and defensive: a checksum is accepted only as hex digits
//! of the length its algorithm gives, so a reply that is anything else is an
//! [`Error::Protocol`], never a checksum that cannot match.

use std::fmt;

use super::client::{Client, is_not_implemented};
use super::command::Command;
use super::error::{Error, Result};
use super::reply::Reply;

/// A hash function a server can compute over a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgorithm {
    /// SHA-256 (FIPS 180-4): 64 hex digits.
    Sha256,
    /// SHA-1: 40 hex digits.
    Sha1,
    /// MD5 (RFC 1321): 32 hex digits.
    Md5,
    /// CRC-32 (the IEEE polynomial of zip and PNG): 8 hex digits.
    Crc32,
}

impl HashAlgorithm {
    /// Every algorithm, the strongest first: the order a client prefers them.
    pub const BEST_FIRST: [HashAlgorithm; 4] =
        [HashAlgorithm::Sha256, HashAlgorithm::Sha1, HashAlgorithm::Md5, HashAlgorithm::Crc32];

    /// The name the HASH draft gives it (`SHA-256`, `SHA-1`, `MD5`, `CRC32`).
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Md5 => "MD5",
            HashAlgorithm::Crc32 => "CRC32",
        }
    }

    /// The algorithm a HASH name stands for (case-insensitive), if known.
    pub fn from_name(name: &str) -> Option<HashAlgorithm> {
        HashAlgorithm::BEST_FIRST.into_iter().find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// How many hex digits its value has.
    pub fn hex_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 64,
            HashAlgorithm::Sha1 => 40,
            HashAlgorithm::Md5 => 32,
            HashAlgorithm::Crc32 => 8,
        }
    }

    /// The older command that asks for it alone (`XSHA256`, `XSHA1`, `XMD5`, `XCRC`).
    pub fn x_command(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "XSHA256",
            HashAlgorithm::Sha1 => "XSHA1",
            HashAlgorithm::Md5 => "XMD5",
            HashAlgorithm::Crc32 => "XCRC",
        }
    }

    fn index(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 0,
            HashAlgorithm::Sha1 => 1,
            HashAlgorithm::Md5 => 2,
            HashAlgorithm::Crc32 => 3,
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A file's checksum as the server computed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    /// The hash function used.
    pub algorithm: HashAlgorithm,
    /// Its value in lower-case hex, exactly [`HashAlgorithm::hex_len`] digits.
    pub hex: String,
}

/// What FEAT's `HASH` line offers: the algorithms the server knows, and
/// the one in force (marked with `*`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HashOffer {
    /// The known algorithms listed, in the server's order.
    pub listed: Vec<HashAlgorithm>,
    /// The one in force, when it is one we know.
    pub current: Option<HashAlgorithm>,
}

impl HashOffer {
    /// Parses the parameters of FEAT's `HASH` line, `SHA-256*;SHA-1;MD5`;
    /// names we do not know (`SHA-512`) are left out.
    pub fn parse(params: &str) -> HashOffer {
        let mut offer = HashOffer::default();
        for name in params.split(';').map(str::trim).filter(|n| !n.is_empty()) {
            let (name, current) = match name.strip_suffix('*') {
                Some(name) => (name, true),
                None => (name, false),
            };
            if let Some(algorithm) = HashAlgorithm::from_name(name) {
                offer.listed.push(algorithm);
                if current {
                    offer.current = Some(algorithm);
                }
            }
        }
        offer
    }

    /// The strongest algorithm listed.
    pub fn best(&self) -> Option<HashAlgorithm> {
        HashAlgorithm::BEST_FIRST.into_iter().find(|a| self.listed.contains(a))
    }
}

/// What one connection learned of the server's hash commands: the
/// algorithm HASH uses now, and the commands it refused as unknown.
#[derive(Debug, Clone, Default)]
pub(crate) struct HashState {
    /// What `OPTS HASH` set, when it was sent and accepted.
    pub(crate) selected: Option<HashAlgorithm>,
    /// `OPTS HASH` was refused: HASH stays with the server's choice.
    pub(crate) opts_refused: bool,
    /// HASH was refused with 500 or 502.
    pub(crate) hash_refused: bool,
    /// Each X command (by [`HashAlgorithm`] order) refused with 500 or 502.
    x_refused: [bool; 4],
}

impl HashState {
    /// Whether `algorithm`'s X command was refused as unknown.
    pub(crate) fn x_refused(&self, algorithm: HashAlgorithm) -> bool {
        self.x_refused[algorithm.index()]
    }

    /// Remembers that `algorithm`'s X command was refused as unknown.
    pub(crate) fn refuse_x(&mut self, algorithm: HashAlgorithm) {
        self.x_refused[algorithm.index()] = true;
    }
}

/// Whether `hex` is `len` hex digits, nothing else.
fn is_hex_of(hex: &str, len: usize) -> bool {
    hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parses the answer to `HASH path` (draft-bryan-ftpext-hash §3.2), the
/// path named in the error:
/// `213 SHA-256 0-1234 <hex> name`. The algorithm is the one the reply
/// names; a name we do not know, a missing range, or a value that is not
/// hex of that algorithm's length is an [`Error::Protocol`].
pub fn parse_hash_reply(path: &str, reply: &Reply) -> Result<Checksum> {
    let malformed = || Error::Protocol(format!("malformed HASH reply for {path}: {reply}"));
    let mut words = reply.message().split_whitespace();
    let algorithm = words.next().and_then(HashAlgorithm::from_name).ok_or_else(malformed)?;
    let range = words.next().ok_or_else(malformed)?;
    let (start, end) = range.split_once('-').ok_or_else(malformed)?;
    if !(start.bytes().all(|b| b.is_ascii_digit()) && end.bytes().all(|b| b.is_ascii_digit()) && !start.is_empty()) {
        return Err(malformed());
    }
    let hex = words.next().filter(|hex| is_hex_of(hex, algorithm.hex_len())).ok_or_else(malformed)?;
    Ok(Checksum { algorithm, hex: hex.to_ascii_lowercase() })
}

/// Parses the answer to an X command (`XSHA256 path` and the like), the
/// path named in the error:
/// `250 <hex>` or `213 <hex>`, some servers adding the file's name after
/// it (or, rarely, before it). The value must be hex of `algorithm`'s
/// length; anything else is an [`Error::Protocol`].
pub fn parse_x_reply(algorithm: HashAlgorithm, path: &str, reply: &Reply) -> Result<Checksum> {
    let words: Vec<&str> = reply.message().split_whitespace().map(|w| w.trim_matches('"')).collect();
    let fits = |word: &&&str| is_hex_of(word, algorithm.hex_len());
    // The value first, as servers send it; else last, after a name.
    let hex = words.first().filter(fits).or_else(|| words.last().filter(fits)).ok_or_else(|| {
        Error::Protocol(format!("malformed {} reply for {path} (no {algorithm} value): {reply}", algorithm.x_command()))
    })?;
    Ok(Checksum { algorithm, hex: hex.to_ascii_lowercase() })
}

impl Client {
    /// The server's checksum of the file `path`, with the best hash command
    /// it offers: `HASH` when FEAT lists it (first switching it with `OPTS
    /// HASH` to the strongest algorithm listed, when that is not the one in
    /// force), else `XSHA256`, `XSHA1`, `XMD5`, `XCRC` in that order. `None`
    /// when the server has none of them.
    ///
    /// A server that announces any hash command in FEAT is taken at its
    /// word; one that announces none is asked each X command in turn, and a
    /// 500 or 502 refusal is remembered for the rest of the connection, so
    /// it costs a round trip once. A refusal for the file (550) or a reply
    /// that is not a checksum ([`Error::Protocol`]) is an error.
    pub fn checksum(&mut self, path: &str) -> Result<Option<Checksum>> {
        if !self.hash.hash_refused
            && let Some(offer) = self.features().get("HASH").map(HashOffer::parse)
            && let Some(best) = offer.best()
        {
            match self.hash_with(path, best, offer.current) {
                Err(Error::Permanent { reply, .. }) if is_not_implemented(reply.code()) => {
                    self.hash.hash_refused = true;
                }
                other => return other.map(Some),
            }
        }
        for algorithm in HashAlgorithm::BEST_FIRST {
            if !self.x_command_may_exist(algorithm) {
                continue;
            }
            let command = Command::with_arg(algorithm.x_command(), path)?;
            match self.void_command(&command) {
                Ok(reply) => return parse_x_reply(algorithm, path, &reply).map(Some),
                Err(Error::Permanent { reply, .. }) if is_not_implemented(reply.code()) => {
                    self.hash.refuse_x(algorithm);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// `HASH path` with `best` in force: `OPTS HASH best` first when the
    /// server uses another (`current`, or what an earlier OPTS set) and has
    /// not refused OPTS HASH; a refusal leaves the server's choice, which
    /// the reply names.
    fn hash_with(&mut self, path: &str, best: HashAlgorithm, current: Option<HashAlgorithm>) -> Result<Checksum> {
        let in_force = self.hash.selected.or(current);
        if in_force != Some(best) && !self.hash.opts_refused {
            match self.void_command(&Command::with_arg("OPTS", &format!("HASH {}", best.name()))?) {
                Ok(_) => self.hash.selected = Some(best),
                Err(Error::Permanent { .. }) => self.hash.opts_refused = true,
                Err(e) => return Err(e),
            }
        }
        let reply = self.void_command(&Command::with_arg("HASH", path)?)?;
        parse_hash_reply(path, &reply)
    }

    /// Whether `algorithm`'s X command is worth sending: not refused yet,
    /// and listed in FEAT, or FEAT lists no hash command at all (many
    /// servers list only RFC 2389 extensions there).
    fn x_command_may_exist(&self, algorithm: HashAlgorithm) -> bool {
        if self.hash.x_refused(algorithm) {
            return false;
        }
        let features = self.features();
        let announced_any =
            features.has("HASH") || HashAlgorithm::BEST_FIRST.iter().any(|a| features.has(a.x_command()));
        !announced_any || features.has(algorithm.x_command())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ReplyCode;

    fn reply(line: &str) -> Reply {
        let code = line.get(..3).and_then(|c| c.parse().ok()).and_then(ReplyCode::new).unwrap();
        Reply::new(code, vec![line.to_string()])
    }

    const SHA256_HEX: &str = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

    #[test]
    fn a_feat_hash_line_lists_algorithms_and_the_current_one() {
        let offer = HashOffer::parse("SHA-1;SHA-256*;MD5;CRC32;SHA-512");
        assert_eq!(
            offer.listed,
            [HashAlgorithm::Sha1, HashAlgorithm::Sha256, HashAlgorithm::Md5, HashAlgorithm::Crc32]
        );
        assert_eq!(offer.current, Some(HashAlgorithm::Sha256));
        assert_eq!(offer.best(), Some(HashAlgorithm::Sha256));
        let weak = HashOffer::parse("crc32*; md5");
        assert_eq!((weak.best(), weak.current), (Some(HashAlgorithm::Md5), Some(HashAlgorithm::Crc32)));
        assert_eq!(HashOffer::parse("SHA-512*;;").best(), None);
    }

    #[test]
    fn a_hash_reply_gives_the_algorithm_and_the_value() {
        let line = format!("213 SHA-256 0-3 {} my file.txt", SHA256_HEX.to_ascii_uppercase());
        let checksum = parse_hash_reply("my file.txt", &reply(&line)).unwrap();
        assert_eq!(checksum, Checksum { algorithm: HashAlgorithm::Sha256, hex: SHA256_HEX.into() });
        let crc = parse_hash_reply("empty", &reply("213 CRC32 0-0 00000000 empty")).unwrap();
        assert_eq!(crc.algorithm, HashAlgorithm::Crc32);
    }

    #[test]
    fn malformed_hash_replies_are_protocol_errors() {
        for line in [
            "213",
            "213 SHA-256",
            "213 SHA-256 0-3",
            "213 SHA-512 0-3 abcd",
            "213 SHA-256 x-3 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae f",
            "213 SHA-256 0-3 2c26b46b f",
            "213 SHA-256 0-3 zz26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae f",
            "213 MD5 0-3 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae f",
        ] {
            let err = parse_hash_reply("d/f", &reply(line)).unwrap_err();
            assert!(
                matches!(err, Error::Protocol(ref m) if m.contains(line) && m.contains("for d/f")),
                "{line}: {err:?}"
            );
        }
    }

    #[test]
    fn x_replies_take_the_value_first_or_after_a_name() {
        let md5 = "d41d8cd98f00b204e9800998ecf8427e";
        for line in [format!("250 {md5}"), format!("213 {md5} empty.txt"), format!("250 \"empty.txt\" {md5}")] {
            let checksum = parse_x_reply(HashAlgorithm::Md5, "empty.txt", &reply(&line)).unwrap();
            assert_eq!(checksum, Checksum { algorithm: HashAlgorithm::Md5, hex: md5.into() }, "{line}");
        }
        let crc = parse_x_reply(HashAlgorithm::Crc32, "f", &reply("250 7E5A0A7D")).unwrap();
        assert_eq!(crc.hex, "7e5a0a7d");
    }

    #[test]
    fn malformed_x_replies_are_protocol_errors() {
        for (algorithm, line) in [
            (HashAlgorithm::Md5, "250"),
            (HashAlgorithm::Md5, "250 d41d8cd98f00b204"),
            (HashAlgorithm::Md5, "250 d41d8cd98f00b204e9800998ecf8427e00"),
            (HashAlgorithm::Sha256, "250 d41d8cd98f00b204e9800998ecf8427e"),
            (HashAlgorithm::Crc32, "250 7E5A0A7G"),
            (HashAlgorithm::Sha1, "250 ok, done"),
        ] {
            let err = parse_x_reply(algorithm, "d/f", &reply(line)).unwrap_err();
            assert!(
                matches!(err, Error::Protocol(ref m) if m.contains(line) && m.contains("for d/f")),
                "{line}: {err:?}"
            );
        }
    }
}
