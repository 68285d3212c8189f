//! Aborting a running transfer (RFC 959 §4.1.3 ABOR), from any thread.
//!
//! The thread that runs a transfer owns the client; another thread (a Ctrl-C
//! handler, say) holds an [`AbortHandle`]. Aborting sends the Telnet
//! Interrupt Process and Synch signals and ABOR on the control connection, then
//! shuts the data connection down, so the transferring thread's next read or
//! write ends at once. That thread then reads the server's replies and leaves the
//! session ready for the next command.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use socket2::SockRef;

use super::command::Command;
use super::control::{DebugLog, SharedWriter};
use super::shared::lock;

/// Telnet "Interpret As Command" (RFC 854).
const IAC: u8 = 255;
/// Telnet "Interrupt Process".
const IP: u8 = 244;
/// Telnet "Data Mark", the end of a Synch.
const DM: u8 = 242;

/// The transfer in progress, if any.
#[derive(Default)]
struct Running {
    /// A transfer is being set up (EPSV, RETR, waiting for the 150).
    armed: bool,
    /// Abort was asked for during setup: done as soon as the data connection opens.
    pending: bool,
    /// The open data connection.
    data: Option<TcpStream>,
    aborted: bool,
}

/// State shared by a client and its abort handles.
pub(crate) struct AbortState {
    writer: SharedWriter,
    debug: Arc<Mutex<DebugLog>>,
    running: Mutex<Running>,
    /// Abort the next transfer as soon as it opens.
    cancel_next: AtomicBool,
    telnet: Mutex<bool>,
    /// The control connection's socket, for [`AbortHandle::hang_up`].
    control: Option<TcpStream>,
}

/// Aborts the transfer a [`super::Client`] is running, from any thread.
///
/// Get one with [`super::Client::abort_handle`] before starting a transfer.
#[derive(Clone)]
pub struct AbortHandle {
    state: Arc<AbortState>,
}

impl AbortHandle {
    pub(crate) fn new(writer: SharedWriter, debug: Arc<Mutex<DebugLog>>, control: Option<TcpStream>) -> AbortHandle {
        AbortHandle {
            state: Arc::new(AbortState {
                writer,
                debug,
                running: Mutex::default(),
                cancel_next: AtomicBool::new(false),
                telnet: Mutex::new(true),
                control,
            }),
        }
    }

    /// Aborts the running transfer. Returns `false` when no transfer was running,
    /// in which case nothing is sent.
    ///
    /// The transfer's function then returns [`super::Error::Aborted`] once the
    /// server has confirmed, with the session still usable.
    pub fn abort(&self) -> bool {
        let mut running = lock(&self.state.running);
        if running.data.is_none() {
            if running.armed {
                running.pending = true;
                return true;
            }
            return false;
        }
        self.abort_running(&mut running);
        true
    }

    /// Like [`AbortHandle::abort`], but when no transfer runs, the next one this
    /// client starts is aborted as soon as it opens: a Ctrl-C that lands while
    /// a command is still asking for SIZE still stops its download. Returns
    /// whether a transfer was running. [`AbortHandle::clear`] forgets the request.
    pub fn abort_or_cancel_next(&self) -> bool {
        if self.abort() {
            return true;
        }
        self.state.cancel_next.store(true, Ordering::SeqCst);
        false
    }

    /// Shuts the control connection down at once: a wait for a reply on it
    /// (a login that a server never answers) ends with an error straight
    /// away, and the client is of no further use. For giving up on the
    /// whole connection, not for stopping a transfer (see [`AbortHandle::abort`]).
    pub fn hang_up(&self) {
        if let Some(control) = &self.state.control {
            let _ = control.shutdown(Shutdown::Both);
        }
    }

    /// Forgets a request from [`AbortHandle::abort_or_cancel_next`] that no
    /// transfer has taken yet.
    pub fn clear(&self) {
        self.state.cancel_next.store(false, Ordering::SeqCst);
    }

    /// Sends ABOR and resets the data connection, once.
    fn abort_running(&self, running: &mut Running) {
        if !running.aborted {
            running.aborted = true;
            // If the control connection fails, the transferring thread finds out
            // itself; shutting the data connection down is what stops it.
            let _ = self.send_abor();
            if let Some(data) = running.data.as_ref() {
                // An abortive close: when the last handle on the socket closes,
                // the kernel sends RST instead of FIN. A server blocked writing
                // into a full window (vsftpd in sendfile) only notices a reset.
                let _ = SockRef::from(data).set_linger(Some(Duration::ZERO));
                let _ = data.shutdown(Shutdown::Both);
            }
        }
    }

    /// Sends IP, Synch and ABOR the way BSD ftp does: `IAC IP IAC` as urgent
    /// data, so the urgent mark falls on the `DM` that follows (RFC 854's Synch,
    /// which makes servers such as vsftpd look at the control connection in the
    /// middle of a transfer), then `DM ABOR CRLF` inline.
    fn send_abor(&self) -> std::io::Result<()> {
        let abor = Command::new("ABOR").expect("ABOR is a valid command");
        let telnet = *lock(&self.state.telnet);
        let mut writer = lock(&self.state.writer);
        // Urgent data cannot travel inside TLS: there ABOR goes alone.
        match writer.socket() {
            Some(socket) if telnet => {
                lock(&self.state.debug).sent(&abor, " (with Telnet IP and Synch)");
                SockRef::from(socket).send_out_of_band(&[IAC, IP, IAC])?;
                writer.write_all(&[DM])?;
            }
            _ => lock(&self.state.debug).sent(&abor, ""),
        }
        writer.write_all(&abor.to_wire())?;
        writer.flush()
    }

    /// Whether ABOR is preceded by the Telnet IP and Synch signals.
    pub(crate) fn set_telnet(&self, telnet: bool) {
        *lock(&self.state.telnet) = telnet;
    }

    /// Marks a transfer as being set up.
    pub(crate) fn arm(&self) {
        let pending = self.state.cancel_next.swap(false, Ordering::SeqCst);
        *lock(&self.state.running) = Running { armed: true, pending, ..Running::default() };
    }

    /// Records the data connection of a transfer that starts, and carries out
    /// an abort asked for while it was being set up.
    pub(crate) fn start(&self, data: &TcpStream) -> std::io::Result<()> {
        let mut running = lock(&self.state.running);
        running.data = Some(data.try_clone()?);
        running.aborted = false;
        if running.pending {
            self.abort_running(&mut running);
        }
        Ok(())
    }

    /// Forgets the running transfer; returns whether it was aborted.
    pub(crate) fn finish(&self) -> bool {
        let mut running = lock(&self.state.running);
        let aborted = running.aborted;
        *running = Running::default();
        aborted
    }

    /// Whether the running transfer was aborted.
    pub(crate) fn is_aborted(&self) -> bool {
        lock(&self.state.running).aborted
    }
}
