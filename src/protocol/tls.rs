//! TLS for FTPS (RFC 4217), with rustls: explicit (`AUTH TLS`) and implicit
//! (TLS from the first byte) on the control connection, and protected data
//! connections (`PROT P`) that resume the control connection's TLS session,
//! as vsftpd (`require_ssl_reuse`) and FileZilla Server insist.
//!
//! Certificates are checked against the system's roots (and an extra CA when
//! given), with the host name; a refused certificate's error names the reason
//! and the certificate's SHA-256 fingerprint. A caller may pin certificates
//! by fingerprint, or hand each certificate to a [`CertificateJudge`] of its
//! own (trust on first use): this module only asks, it never prompts.

use std::fmt::{self, Write as _};
use std::io::{self, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme, StreamOwned};

use super::error::{Error, Result};
use super::wait::Deadline;

/// When TLS starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain connect, then `AUTH TLS` (RFC 4217); `ftpes://`, `--tls`.
    Explicit,
    /// TLS from the first byte, usually on port 990; `ftps://`.
    Implicit,
}

/// How to do TLS.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// Explicit or implicit.
    pub mode: TlsMode,
    /// A PEM file of CA certificates to trust besides the system's.
    pub extra_ca: Option<PathBuf>,
    /// Accept any certificate (a warning is the caller's to print); a
    /// [`judge`](TlsOptions::judge) still has the last word.
    pub insecure: bool,
    /// SHA-256 fingerprints ([`fingerprint_of`]) of the certificates to
    /// accept, exactly: when any is given, the server's certificate must be
    /// one of them, whatever the system trusts, and the judge is not asked.
    pub pinned: Vec<Fingerprint>,
    /// Decides about each certificate not settled by `pinned`, told what the
    /// standard checks said ([`Presented::system`]); without one, the
    /// standard checks decide.
    pub judge: Option<Arc<dyn CertificateJudge>>,
}

impl Default for TlsOptions {
    /// Explicit FTPS with the standard checks.
    fn default() -> TlsOptions {
        TlsOptions { mode: TlsMode::Explicit, extra_ca: None, insecure: false, pinned: Vec::new(), judge: None }
    }
}

/// The SHA-256 digest of a certificate's DER bytes.
pub type Fingerprint = [u8; 32];

/// What the standard checks (the system's roots, `extra_ca`, the host name)
/// said about a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemCheck {
    /// The certificate is trusted.
    Trusted,
    /// Not checked: [`TlsOptions::insecure`].
    Skipped,
    /// Refused, for this reason.
    Refused(String),
}

/// A server's certificate put before a [`CertificateJudge`].
#[derive(Debug)]
pub struct Presented<'a> {
    /// The end-entity certificate, DER.
    pub certificate: &'a [u8],
    /// The host as the caller named it.
    pub host: &'a str,
    /// The port connected to.
    pub port: u16,
    /// What the standard checks said.
    pub system: SystemCheck,
}

/// A [`CertificateJudge`]'s decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// Go on with this certificate (the handshake's signatures are still checked).
    Accept,
    /// Refuse it; the text becomes the connection's [`Error::Tls`].
    Refuse(String),
}

/// Decides whether to accept a server's certificate, for callers with a
/// policy of their own (a list of known certificates, asking a person).
///
/// It is asked during the handshake of every connection that does not
/// resume a TLS session, data connections included, so it should remember
/// its decisions rather than ask twice. The time it takes is not counted
/// against the control connection's handshake timeout.
pub trait CertificateJudge: Send + Sync + fmt::Debug {
    /// The decision about `presented`.
    fn judge(&self, presented: &Presented<'_>) -> Judgement;
}

/// A TLS stream over TCP.
pub(crate) type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// One session's TLS setup: the configuration (whose session cache lets data
/// connections resume the control connection's session) and the name to check.
pub(crate) struct TlsContext {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    verifier: Arc<Verifier>,
}

fn tls_error(what: impl Into<String>) -> Error {
    Error::Tls(what.into())
}

impl TlsContext {
    /// The setup for talking to `host` on `port`.
    pub(crate) fn new(host: &str, port: u16, options: &TlsOptions) -> Result<TlsContext> {
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let server_name = ServerName::try_from(host.to_string())
            .map_err(|e| tls_error(format!("{host} is no name TLS can check: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(e.to_string()))?;
        let system = if options.insecure {
            None
        } else {
            let roots = Arc::new(root_store(options.extra_ca.as_deref())?);
            let inner = WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
                .build()
                .map_err(|e| tls_error(format!("cannot set up certificate checks: {e}")))?;
            Some(inner)
        };
        let verifier = Arc::new(Verifier {
            provider,
            system,
            pinned: options.pinned.clone(),
            judge: options.judge.clone(),
            host: host.to_string(),
            port,
            judging: AtomicU64::new(0),
            refusal: Mutex::new(None),
        });
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::clone(&verifier) as Arc<dyn ServerCertVerifier>)
            .with_no_client_auth();
        Ok(TlsContext { config: Arc::new(config), server_name, verifier })
    }

    /// Wraps `tcp` and completes the handshake, so a refused certificate is
    /// reported here and not in the middle of a command. The whole handshake
    /// takes `timeout` at most, however slowly the server sends it, besides
    /// the time the judge takes (a person reading a certificate).
    pub(crate) fn connect(&self, tcp: TcpStream, timeout: Duration) -> Result<TlsStream> {
        let mut stream = self.wrap(tcp)?;
        let deadline = Deadline::after(timeout);
        let result = (|| {
            while stream.conn.is_handshaking() {
                let mut socket = DeadlineSocket::new(&stream.sock, deadline);
                socket.grace = Some(&self.verifier.judging);
                stream.conn.complete_io(&mut socket)?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            // The verifier's own words, not rustls's "unexpected error: …".
            let refusal = self.verifier.refusal.lock().ok().and_then(|mut r| r.take());
            return Err(refusal.map_or_else(|| handshake_error(e, deadline), tls_error));
        }
        Ok(stream)
    }

    /// Wraps `tcp` without handshaking yet: data connections shake hands on
    /// their first read or write, once the server has answered the transfer
    /// command (handshaking before would wait for a server that waits for us).
    pub(crate) fn wrap(&self, tcp: TcpStream) -> Result<TlsStream> {
        let connection = ClientConnection::new(Arc::clone(&self.config), self.server_name.clone())
            .map_err(|e| tls_error(e.to_string()))?;
        Ok(StreamOwned::new(connection, tcp))
    }
}

/// What a finished handshake agreed on, for the debug log.
pub(crate) fn describe(stream: &TlsStream) -> String {
    let version = stream.conn.protocol_version().map(|v| format!("{v:?}")).unwrap_or_else(|| "?".into());
    let suite = stream.conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_else(|| "?".into());
    let resumed =
        if stream.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed) { ", session resumed" } else { "" };
    format!("TLS {version}, {suite}{resumed}")
}

fn handshake_error(e: io::Error, deadline: Deadline) -> Error {
    if is_plain_text(&e) {
        return Error::TlsPlainText;
    }
    if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) {
        return Error::Timeout { what: "the TLS handshake".into(), after: deadline.length() };
    }
    tls_error(format!("TLS handshake failed: {e}"))
}

/// Completes the handshake of `stream` if it is still under way, waiting
/// until `deadline` at most.
pub(crate) fn finish_handshake(stream: &mut TlsStream, deadline: Deadline) -> io::Result<()> {
    while stream.conn.is_handshaking() {
        let mut socket = DeadlineSocket::new(&stream.sock, deadline);
        stream.conn.complete_io(&mut socket)?;
    }
    Ok(())
}

/// Reads decrypted bytes from `stream`, waiting until `deadline` at most,
/// however the server spreads its records out (rustls's own `read` keeps
/// reading while a record is incomplete, one byte at a time if need be).
///
/// Returns what rustls's reader does: `Ok(0)` after the server's
/// close_notify, `UnexpectedEof` when TCP ended without one, and a
/// `TimedOut` error once the deadline passed.
pub(crate) fn read_before(stream: &mut TlsStream, buf: &mut [u8], deadline: Deadline) -> io::Result<usize> {
    loop {
        match stream.conn.reader().read(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            other => return other,
        }
        let mut socket = DeadlineSocket::new(&stream.sock, deadline);
        stream.conn.complete_io(&mut socket)?;
    }
}

/// Waits until `stream` has decrypted bytes to hand out, or its end (TLS or
/// TCP) arrived, or `deadline` passed (a `TimedOut` error): a record sent a
/// byte at a time cannot keep a read going past the deadline. Other errors
/// are left for the read that follows to report.
///
/// `socket_timeout` is the read timeout the socket has between calls (a
/// data connection's is the session's timeout): known, it need not be asked
/// for on every read of a download.
pub(crate) fn fill_before(stream: &mut TlsStream, deadline: Deadline, socket_timeout: Duration) -> io::Result<()> {
    let mut socket = DeadlineSocket::new(&stream.sock, deadline);
    socket.read.usual = Some(Some(socket_timeout));
    // A data connection's handshake happens on its first read: that too.
    while stream.conn.is_handshaking() || stream.conn.wants_read() {
        match stream.conn.complete_io(&mut socket) {
            // TCP's end: the read that follows says what it means.
            Ok((0, 0)) => break,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => return Err(e),
            Err(_) => break,
        }
    }
    Ok(())
}

/// Writes `buf` (part of it, as `write` may) to `stream` and sends it,
/// handshake first if need be, all before `deadline`: a server that takes
/// our bytes one at a time cannot keep a write going past it.
pub(crate) fn write_before(stream: &mut TlsStream, buf: &[u8], deadline: Deadline) -> io::Result<usize> {
    finish_handshake(stream, deadline)?;
    let n = io::Write::write(&mut stream.conn.writer(), buf)?;
    let mut socket = DeadlineSocket::new(&stream.sock, deadline);
    while stream.conn.wants_write() {
        stream.conn.write_tls(&mut socket)?;
    }
    Ok(n)
}

/// How much later than its deadline a wait may end, so that the socket's
/// own timeout can serve when it ends the wait about as soon: a download's
/// every read then costs no `getsockopt`/`setsockopt` (three system calls
/// per TLS record cost a TLS download on loopback 10 to 25 % more CPU time).
/// The socket's timeout and a fresh deadline of the same length differ by
/// the microseconds between the two.
const SLACK: Duration = Duration::from_millis(10);

/// A socket whose every read and write waits only for the time left before
/// a deadline (give or take [`SLACK`]), and fails at once after it: rustls
/// reads and writes through it, so no loop inside rustls can outlast the
/// deadline.
struct DeadlineSocket<'a> {
    socket: &'a TcpStream,
    deadline: Deadline,
    read: LentTimeout,
    write: LentTimeout,
    /// Milliseconds the deadline moves back by: the time a judge took.
    grace: Option<&'a AtomicU64>,
}

/// One of a socket's timeouts (read or write) while a [`DeadlineSocket`]
/// borrows the socket.
#[derive(Default)]
struct LentTimeout {
    /// The socket's own timeout, once known: put back when done if it was
    /// changed, since the control connection's writer shares the socket.
    usual: Option<Option<Duration>>,
    /// Whether the socket's timeout is now another.
    changed: bool,
}

impl LentTimeout {
    /// Makes the socket's timeout end a wait by the deadline, `left` from
    /// now: the socket's own (`get` asks for it) when it does, give or take
    /// [`SLACK`], or `left` (`set` sets it).
    fn bound(
        &mut self,
        left: Duration,
        get: impl FnOnce() -> io::Result<Option<Duration>>,
        set: impl FnOnce(Option<Duration>) -> io::Result<()>,
    ) -> io::Result<()> {
        let usual = match self.usual {
            Some(usual) => usual,
            None => *self.usual.insert(get()?),
        };
        if !self.changed && usual.is_some_and(|usual| usual <= left.saturating_add(SLACK)) {
            return Ok(());
        }
        set(Some(left))?;
        self.changed = true;
        Ok(())
    }

    /// Puts the socket's own timeout back, if it was changed.
    fn restore(&self, set: impl FnOnce(Option<Duration>) -> io::Result<()>) {
        if let (true, Some(usual)) = (self.changed, self.usual) {
            let _ = set(usual);
        }
    }
}

impl<'a> DeadlineSocket<'a> {
    fn new(socket: &'a TcpStream, deadline: Deadline) -> DeadlineSocket<'a> {
        DeadlineSocket { socket, deadline, read: LentTimeout::default(), write: LentTimeout::default(), grace: None }
    }

    /// The time left before the deadline, moved back by the grace.
    fn left(&self) -> io::Result<Duration> {
        match self.grace {
            Some(grace) => self.deadline.later_by(Duration::from_millis(grace.load(Ordering::SeqCst))).left(),
            None => self.deadline.left(),
        }
    }
}

impl Read for DeadlineSocket<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.left()?;
        let socket = self.socket;
        self.read.bound(left, || socket.read_timeout(), |t| socket.set_read_timeout(t))?;
        let mut socket = self.socket;
        socket.read(buf)
    }
}

impl io::Write for DeadlineSocket<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.left()?;
        let socket = self.socket;
        self.write.bound(left, || socket.write_timeout(), |t| socket.set_write_timeout(t))?;
        let mut socket = self.socket;
        io::Write::write(&mut socket, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for DeadlineSocket<'_> {
    fn drop(&mut self) {
        let socket = self.socket;
        self.read.restore(|t| socket.set_read_timeout(t));
        self.write.restore(|t| socket.set_write_timeout(t));
    }
}

/// Whether the handshake failed on a record that was no TLS at all (an FTP
/// reply line, say).
fn is_plain_text(e: &std::io::Error) -> bool {
    let rustls_error = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>());
    matches!(rustls_error, Some(rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)))
}

/// The system's roots, plus the CA certificates in `extra` (PEM).
fn root_store(extra: Option<&Path>) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = extra {
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| tls_error(format!("cannot read {}: {e}", path.display())))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| tls_error(format!("cannot read {}: {e}", path.display())))?;
        if certificates.is_empty() {
            return Err(tls_error(format!("{} holds no PEM certificate", path.display())));
        }
        for certificate in certificates {
            roots.add(certificate).map_err(|e| tls_error(format!("{}: {e}", path.display())))?;
        }
    }
    Ok(roots)
}

/// The SHA-256 fingerprint of a certificate, as `AB:CD:…`.
pub fn fingerprint(certificate: &[u8]) -> String {
    format_fingerprint(&fingerprint_of(certificate))
}

/// The SHA-256 digest of a certificate (DER), as [`TlsOptions::pinned`] holds them.
pub fn fingerprint_of(certificate: &[u8]) -> Fingerprint {
    let digest = ring::digest::digest(&ring::digest::SHA256, certificate);
    let mut print = [0u8; 32];
    print.copy_from_slice(digest.as_ref());
    print
}

/// A fingerprint as `AB:CD:…`, as [`fingerprint`] writes it.
pub fn format_fingerprint(print: &Fingerprint) -> String {
    let mut text = String::new();
    for (i, byte) in print.iter().enumerate() {
        if i > 0 {
            text.push(':');
        }
        let _ = write!(text, "{byte:02X}");
    }
    text
}

/// Every certificate check of a session: pinned fingerprints first, then
/// the standard checks (unless `--insecure`), then the caller's judge. The
/// handshake's signatures are checked whatever decided, so the server must
/// hold the key of the certificate accepted.
struct Verifier {
    provider: Arc<rustls::crypto::CryptoProvider>,
    /// The standard checks; `None` when insecure.
    system: Option<Arc<WebPkiServerVerifier>>,
    pinned: Vec<Fingerprint>,
    judge: Option<Arc<dyn CertificateJudge>>,
    host: String,
    port: u16,
    /// Milliseconds the judge took, all calls together (see [`DeadlineSocket::grace`]).
    judging: AtomicU64,
    /// The last refusal, to report in its own words.
    refusal: Mutex<Option<String>>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").field("host", &self.host).field("port", &self.port).finish_non_exhaustive()
    }
}

impl Verifier {
    /// The decision about `end_entity`, as a refusal's text when refused.
    fn decide(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<(), String> {
        let print = fingerprint_of(end_entity.as_ref());
        if !self.pinned.is_empty() {
            return self.check_pins(&print);
        }
        let system = match &self.system {
            None => SystemCheck::Skipped,
            Some(checks) => match checks.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            {
                Ok(_) => SystemCheck::Trusted,
                Err(e) => SystemCheck::Refused(e.to_string()),
            },
        };
        let Some(judge) = &self.judge else {
            return match system {
                SystemCheck::Refused(e) => Err(format!(
                    "the certificate is refused ({e}); its SHA-256 fingerprint is {}",
                    format_fingerprint(&print)
                )),
                SystemCheck::Trusted | SystemCheck::Skipped => Ok(()),
            };
        };
        let presented = Presented { certificate: end_entity.as_ref(), host: &self.host, port: self.port, system };
        let started = Instant::now();
        let judgement = judge.judge(&presented);
        let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.judging.fetch_add(took, Ordering::SeqCst);
        match judgement {
            Judgement::Accept => Ok(()),
            Judgement::Refuse(why) => Err(why),
        }
    }

    /// Pinned certificates are accepted exactly, and nothing else is.
    fn check_pins(&self, print: &Fingerprint) -> std::result::Result<(), String> {
        if self.pinned.contains(print) {
            return Ok(());
        }
        let pins: Vec<String> = self.pinned.iter().map(|p| format!("sha256:{}", format_fingerprint(p))).collect();
        Err(format!(
            "the certificate of {}:{} is not the one pinned: its SHA-256 fingerprint is {}, the pinned {} {}",
            self.host,
            self.port,
            format_fingerprint(print),
            if pins.len() == 1 { "one is" } else { "ones are" },
            pins.join(", ")
        ))
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self.decide(end_entity, intermediates, server_name, ocsp_response, now) {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(why) => {
                if let Ok(mut refusal) = self.refusal.lock() {
                    *refusal = Some(why.clone());
                }
                Err(rustls::Error::General(why))
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_colon_separated_sha256() {
        let print = fingerprint(b"abc");
        assert_eq!(print.len(), 32 * 3 - 1);
        assert!(print.starts_with("BA:78:16:BF"), "{print}");
    }

    #[test]
    fn a_sockets_own_timeout_serves_only_while_it_ends_the_wait_in_time() {
        let minute = Duration::from_secs(60);
        let set = std::cell::RefCell::new(Vec::new());
        let record = |t| {
            set.borrow_mut().push(t);
            Ok(())
        };
        let mut lent = LentTimeout { usual: Some(Some(minute)), changed: false };
        // A deadline as long as the socket's timeout, made a moment ago.
        lent.bound(minute - Duration::from_micros(50), || unreachable!("known"), record).unwrap();
        assert!(set.borrow().is_empty(), "no setsockopt needed");
        lent.restore(record);
        assert!(set.borrow().is_empty(), "nothing to put back");
        // Later in the same wait, the socket's timeout would outlast it.
        lent.bound(minute - SLACK * 2, || unreachable!("known"), record).unwrap();
        lent.bound(minute, || unreachable!("known"), record).unwrap();
        lent.restore(record);
        assert_eq!(*set.borrow(), [Some(minute - SLACK * 2), Some(minute), Some(minute)]);
        // A socket that may wait for ever never serves a deadline.
        let mut lent = LentTimeout::default();
        lent.bound(minute, || Ok(None), record).unwrap();
        lent.restore(record);
        assert_eq!(set.borrow()[3..], [Some(minute), None]);
    }
}
