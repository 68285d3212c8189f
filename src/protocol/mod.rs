//! FTP itself: the client side of RFC 959 and its extensions (RFC 2389 FEAT,
//! RFC 2428 EPSV/EPRT, RFC 3659 SIZE, MDTM, REST and MLSD, and the checksum
//! commands HASH, XSHA256, XSHA1, XMD5 and XCRC).
//!
//! This module never prints and knows nothing about terminals: callers observe
//! progress by wrapping the `Read` or `Write` they hand to a transfer, and debug
//! lines go to a sink they provide.
//!
//! A session moves through these states:
//! 1. connected: the greeting (`220`, possibly after `120`) has been read;
//! 2. logged in: USER/PASS/ACCT (RFC 959 §4.1.1) succeeded;
//! 3. transferring: a data connection is open (RFC 959 §3.2), opened passively
//!    with EPSV or PASV, or actively with EPRT or PORT; the transfer command got a
//!    1xx reply and its final reply is read once the data is drained;
//! 4. closed: after QUIT, a `421`, or a broken connection; every later command
//!    fails at once with [`Error::SessionLost`].
//!
//! ```no_run
//! use rftp::protocol::Client;
//!
//! let mut ftp = Client::connect("ftp.example.org", 21)?;
//! ftp.login_anonymous("guest@example.org")?;
//! let mut out = Vec::new();
//! ftp.retrieve("README", &mut out, 0)?;
//! ftp.quit()?;
//! # Ok::<(), rftp::protocol::Error>(())
//! ```

mod abort;
pub mod address;
pub mod ascii;
pub mod checksum;
mod client;
pub mod command;
mod control;
mod data;
mod error;
pub mod listing;
mod range;
pub mod reply;
mod set_time;
pub mod shared;
pub mod times;
pub mod tls;
mod wait;
pub mod wire;
#[cfg(target_os = "linux")]
mod zerocopy;

pub use abort::AbortHandle;
pub use checksum::{Checksum, HashAlgorithm};
pub use client::{Client, DEFAULT_PORT, DebugTarget, Features, Options, TransferType};
pub use command::Command;
pub use control::{DebugLevel, DebugSink};
pub use data::DataTransfer;
pub use error::{Error, Result};
pub use listing::{DirEntry, DirEntryKind, EntryKind, FileTime, ListedLine, MlsdEntry};
pub use reply::{Reply, ReplyCode};
pub use times::{ListedTime, Precision};
pub use tls::{CertificateJudge, Fingerprint, Judgement, Presented, SystemCheck, TlsMode, TlsOptions};
