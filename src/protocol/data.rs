//! Data connections: opening them passively (EPSV, then PASV) or actively
//! (EPRT, then PORT), and [`DataTransfer`], the stream of one transfer.
//!
//! RFC 959 §3.2 and RFC 2428. Two safety rules apply whatever the server says:
//! in passive mode we always connect to the control connection's peer address,
//! ignoring the address in a 227 reply (NAT'd servers work, and a hostile server
//! cannot aim us at another host); in active mode we accept a data connection
//! only from the control connection's peer. And whatever the final reply
//! says, a TLS data connection ended without close_notify is a truncation,
//! and more bytes than the server announced is an error.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::ops::ControlFlow;
use std::thread;
use std::time::{Duration, Instant};

use super::address::{encode_eprt, encode_port, parse_150_size, parse_epsv, parse_pasv};
use super::ascii::{CrlfToLf, LfToCrlf};
// data.rs and client.rs import each other, and that is the clearest form:
// opening a data connection takes control-connection commands (EPSV, PASV,
// EPRT, PORT), and a `DataTransfer` borrows the `Client` until the final
// reply, to read it or send ABOR. So this file adds its part to `impl Client`,
// and client.rs calls it. Breaking the loop would mean handing a transfer the
// client's fields one by one (the control connection, the abort state, the
// options, the TLS setup): more code to say the same thing.
use super::client::Client;
use super::command::Command;
use super::error::{Error, Result};
use super::reply::Reply;
#[cfg(target_os = "linux")]
use super::shared::is_char_device;
use super::shared::lock;
use super::wait::{Deadline, StallRule, Stalled};

/// The size of the buffer a transfer copies through: one allocation per
/// transfer, whatever the file's size. Measured (benches/transfer.sh): 1 MiB
/// writes into files beat 256 KiB, 64 KiB and splice.
pub(crate) const BUFFER_SIZE: usize = 1024 * 1024;

/// The longest line accepted in a listing; a longer one is a protocol error.
const MAX_LISTING_LINE: usize = 64 * 1024;

/// How long to wait for the server to connect in active mode after it already
/// sent its final reply (a 2xx with no 1xx before it).
const LATE_CONNECT_GRACE: Duration = Duration::from_millis(500);

/// How long to wait for each reply after ABOR; servers answer at once.
pub const ABORT_REPLY_WAIT: Duration = Duration::from_secs(3);

/// A transfer started with its command pipelined: the data connection, the
/// size its 150 announced, and the final reply if it came at once.
struct Started {
    stream: TcpStream,
    expected_size: Option<u64>,
    final_reply: Option<Reply>,
}

/// A data connection on its way: connected (passive) or waiting for the server (active).
pub(crate) enum PendingData {
    Connected(TcpStream),
    Listening(TcpListener),
}

impl Client {
    /// Opens the data connection for the next transfer command.
    pub(crate) fn open_data(&mut self) -> Result<PendingData> {
        if self.options.passive {
            self.open_passive().map(PendingData::Connected)
        } else {
            self.open_active().map(PendingData::Listening)
        }
    }

    /// EPSV, or PASV once the server has refused EPSV in this session.
    fn open_passive(&mut self) -> Result<TcpStream> {
        let port = match self.passive_port_by_epsv()? {
            Some(port) => port,
            None => self.passive_port_by_pasv()?,
        };
        self.connect_passive(port)
    }

    /// Opens the data connection to `port` on the control connection's peer.
    fn connect_passive(&mut self, port: u16) -> Result<TcpStream> {
        let address = SocketAddr::new(self.control.peer.ip(), port);
        lock(&self.control.debug).note(&format!("connecting data connection to {address}"));
        let stream = TcpStream::connect_timeout(&address, self.options.connect_timeout).map_err(|e| {
            Error::io(format!("opening the data connection to {address}"), e, self.options.connect_timeout)
        })?;
        Ok(stream)
    }

    /// The port from EPSV, or `None` when the server refuses EPSV (remembered).
    fn passive_port_by_epsv(&mut self) -> Result<Option<u16>> {
        if self.epsv_refused {
            return Ok(None);
        }
        let command = Command::new("EPSV")?;
        let reply = self.control.command(&command)?;
        if reply.code().is_permanent_negative() {
            self.epsv_refused = true;
            return Ok(None);
        }
        if reply.code() != super::ReplyCode::EXTENDED_PASSIVE_MODE {
            return Err(Error::from_reply("EPSV", reply));
        }
        parse_epsv(&reply.text()).map(Some).ok_or_else(|| Error::Protocol(format!("malformed EPSV reply: {reply}")))
    }

    fn passive_port_by_pasv(&mut self) -> Result<u16> {
        if self.control.peer.is_ipv6() {
            return Err(Error::PassiveNeedsIpv4);
        }
        let reply = self.control.command(&Command::new("PASV")?)?;
        if reply.code() != super::ReplyCode::PASSIVE_MODE {
            return Err(Error::from_reply("PASV", reply));
        }
        let (announced, port) =
            parse_pasv(&reply.text()).ok_or_else(|| Error::Protocol(format!("malformed PASV reply: {reply}")))?;
        if IpAddr::V4(announced) != self.control.peer.ip() {
            lock(&self.control.debug).note(&format!(
                "ignoring the address {announced} in the PASV reply; using the server's address {}",
                self.control.peer.ip()
            ));
        }
        Ok(port)
    }

    /// Listens on the control connection's local address and tells the server
    /// with EPRT, or PORT once the server has refused EPRT (remembered).
    fn open_active(&mut self) -> Result<TcpListener> {
        let bind = SocketAddr::new(self.control.local.ip(), 0);
        let timeout = self.options.timeout;
        let listener =
            TcpListener::bind(bind).map_err(|e| Error::io("listening for the data connection", e, timeout))?;
        let address = listener.local_addr().map_err(|e| Error::io("listening for the data connection", e, timeout))?;
        if !self.eprt_refused {
            let reply = self.control.command(&Command::with_arg("EPRT", &encode_eprt(address))?)?;
            if reply.code().is_completion() {
                return Ok(listener);
            }
            if !reply.code().is_permanent_negative() {
                return Err(Error::from_reply("EPRT", reply));
            }
            self.eprt_refused = true;
        }
        let SocketAddr::V4(v4) = address else {
            return Err(Error::ActiveNeedsIpv4);
        };
        let reply = self.control.command(&Command::with_arg("PORT", &encode_port(*v4.ip(), v4.port()))?)?;
        if !reply.code().is_completion() {
            return Err(Error::from_reply("PORT", reply));
        }
        Ok(listener)
    }

    /// Sends a transfer command on a freshly opened data connection and returns
    /// the transfer: Python ftplib's `ntransfercmd`.
    ///
    /// With `offset > 0`, sends `REST offset` first (RFC 3659 §5). The expected
    /// size comes from a `150 … (N bytes)` reply when the server sends one.
    pub fn transfer(&mut self, command: &Command, offset: u64) -> Result<DataTransfer<'_>> {
        // From here on, an abort request waits for the data connection.
        self.abort.arm();
        match self.begin_transfer(command, offset) {
            Ok((stream, expected_size, final_reply)) => Ok(DataTransfer {
                stall: StallRule::new(self.options.timeout),
                within: None,
                client: self,
                stream,
                command: command.to_string(),
                expected_size,
                limit: None,
                final_reply,
                done: false,
            }),
            Err(e) => {
                self.abort.finish();
                Err(e)
            }
        }
    }

    /// The steps of [`Client::transfer`] up to an open data connection.
    fn begin_transfer(
        &mut self,
        command: &Command,
        offset: u64,
    ) -> Result<(Option<DataStream>, Option<u64>, Option<Reply>)> {
        if self.may_pipeline(command, offset)
            && let Some(Started { stream, expected_size, final_reply }) = self.start_pipelined(command)?
        {
            return self
                .set_up_data(stream, final_reply)
                .map(|(stream, final_reply)| (Some(stream), expected_size, final_reply));
        }
        let pending = self.open_data()?;
        let (expected_size, mut final_reply) = self.send_transfer_command(command, offset)?;
        let stream = match pending {
            PendingData::Connected(stream) => stream,
            PendingData::Listening(listener) => match self.accept_data(&listener, command, &mut final_reply)? {
                Some(stream) => stream,
                None if is_listing(command) => return Ok((None, Some(0), final_reply)),
                None => {
                    let reply = final_reply.map(|r| r.to_string()).unwrap_or_default();
                    return Err(Error::Protocol(format!(
                        "the server said {reply:?} to {command} but never opened the data connection"
                    )));
                }
            },
        };
        let (stream, final_reply) = self.set_up_data(stream, final_reply)?;
        Ok((Some(stream), expected_size, final_reply))
    }

    /// Sets the timeouts and the abort handle of a transfer's data
    /// connection, and wraps it in TLS under PROT P.
    fn set_up_data(&mut self, stream: TcpStream, final_reply: Option<Reply>) -> Result<(DataStream, Option<Reply>)> {
        let timeout = self.options.timeout;
        let setup = |e| Error::io("setting up the data connection", e, timeout);
        let started = stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| stream.set_write_timeout(Some(timeout)))
            .and_then(|()| self.abort.start(&stream))
            .map_err(setup);
        if let Err(e) = started {
            let _ = stream.shutdown(Shutdown::Both);
            return self.fail_transfer(e, final_reply);
        }
        // PROT P: the data connection speaks TLS too, resuming the control
        // connection's session; the handshake happens on first use.
        let stream = match (&self.tls, self.data_protected) {
            (Some(tls), true) => match tls.wrap(stream) {
                Ok(tls) => DataStream::Tls(Box::new(tls)),
                Err(e) => return self.fail_transfer(e, final_reply),
            },
            _ => DataStream::Plain(stream),
        };
        Ok((stream, final_reply))
    }

    /// Whether `command` may go in one write with its EPSV: in passive
    /// mode on a server that takes EPSV and did not trip over it before,
    /// for commands that only read (a download or a listing, from its
    /// start): a server that mishandles one changes nothing on its side.
    /// An upload is never pipelined: a STOR the server took without its
    /// data connection could empty the file it replaces.
    fn may_pipeline(&self, command: &Command, offset: u64) -> bool {
        let reads = ["RETR", "LIST", "NLST", "MLSD"].iter().any(|verb| command.verb().eq_ignore_ascii_case(verb));
        reads && offset == 0 && self.options.passive && !self.epsv_refused && !self.pipelining_refused
    }

    /// Starts `command` with EPSV in the same write: the server opens its
    /// passive socket before the command arrives, and the data connection
    /// is opened as soon as the 229 comes back, one round trip sooner than
    /// EPSV, then the command. The order of the replies is kept by the
    /// data connection itself: the command cannot start before it exists.
    /// (Other commands are not sent along: libunftp answers an MDTM sent
    /// with EPSV after EPSV's own reply.)
    ///
    /// `None` when this connection must go the usual way: the server
    /// refused EPSV (remembered). A 425 or 503 to the command, as a server
    /// says that took it before the data connection arrived, is an error
    /// (nothing was transferred; a retry tries again) and this connection
    /// sends them apart from then on. A server that answers
    /// off the script (a 1xx without the passive socket, a malformed 229)
    /// or a data connection that cannot be opened, unless the command was
    /// answered at once, leaves replies that cannot be matched any more:
    /// the control connection is closed (the session opens it again for the
    /// next command).
    fn start_pipelined(&mut self, command: &Command) -> Result<Option<Started>> {
        let epsv = Command::new("EPSV")?;
        self.control.send_all(&[&epsv, command])?;
        let reply = self.control.read_reply("EPSV")?;
        if reply.code() != super::ReplyCode::EXTENDED_PASSIVE_MODE {
            return self.after_pipelined_epsv_failed(command, reply).map(|()| None);
        }
        let Some(port) = parse_epsv(&reply.text()) else {
            return Err(self.out_of_step(Error::Protocol(format!("malformed EPSV reply: {reply}"))));
        };
        let stream = match self.connect_passive(port) {
            Ok(stream) => stream,
            Err(e) => return Err(self.after_pipelined_connect_failed(command, e)),
        };
        match self.read_transfer_reply(command) {
            Ok((expected_size, final_reply)) => Ok(Some(Started { stream, expected_size, final_reply })),
            Err(error) => {
                if let Error::Temporary { reply, .. } | Error::Permanent { reply, .. } = &error
                    && matches!(reply.code().as_u16(), 425 | 503)
                {
                    // What a server says that took the command before the
                    // data connection arrived; also what one says whose data
                    // connections fail. Either way the error stands (a retry
                    // tries again), and this connection no longer pipelines.
                    lock(&self.control.debug).note("not sending EPSV and the transfer command together any more");
                    self.pipelining_refused = true;
                }
                let _ = stream.shutdown(Shutdown::Both);
                Err(error)
            }
        }
    }

    /// After EPSV sent in one write with `command` was answered `reply`
    /// (no passive socket): reads the command's answer, which comes at once
    /// without a data connection. A refused EPSV is remembered and the
    /// transfer goes on the usual way (PASV); other answers are errors.
    fn after_pipelined_epsv_failed(&mut self, command: &Command, reply: Reply) -> Result<()> {
        let mut answer = self.control.read_reply_within(command.verb(), ABORT_REPLY_WAIT);
        if answer.as_ref().is_ok_and(|answer| answer.code().is_preliminary()) {
            // With no PASV or PORT a server may start the command towards
            // the default data port (RFC 959 §3.2): its
            // final reply follows at once, and the session is in step again.
            answer = self.control.read_reply_within(command.verb(), ABORT_REPLY_WAIT);
        }
        match answer {
            Ok(answer) if !answer.code().is_preliminary() => {}
            Ok(answer) => {
                let error = Error::Protocol(format!(
                    "the server refused EPSV ({reply}) yet started {command} ({answer}) with no data connection"
                ));
                return Err(self.out_of_step(error));
            }
            Err(e) => return Err(self.out_of_step(e)),
        }
        if reply.code().is_permanent_negative() {
            self.epsv_refused = true;
            return Ok(());
        }
        Err(Error::from_reply("EPSV", reply))
    }

    /// After the data connection of `command`, sent in one write with its
    /// EPSV, could not be opened (`error`): a server that answered the
    /// command at once with no data connection (425, its passive socket
    /// closed) is still in step, and this connection no longer pipelines;
    /// otherwise the command's reply cannot be matched: closed.
    fn after_pipelined_connect_failed(&mut self, command: &Command, error: Error) -> Error {
        match self.control.read_reply_within(command.verb(), ABORT_REPLY_WAIT) {
            Ok(answer) if !answer.code().is_preliminary() => {
                lock(&self.control.debug).note("not sending EPSV and the transfer command together any more");
                self.pipelining_refused = true;
                error
            }
            _ => self.out_of_step(error),
        }
    }

    /// Closes a control connection whose replies can no longer be matched
    /// to commands, and returns `error`.
    fn out_of_step(&mut self, error: Error) -> Error {
        self.control.shutdown();
        error
    }

    /// Sends `REST offset` (when resuming) and `command`, and reads the
    /// answer: the size a 150 announces, or the final reply when the server
    /// answered at once with no 1xx.
    fn send_transfer_command(&mut self, command: &Command, offset: u64) -> Result<(Option<u64>, Option<Reply>)> {
        if offset > 0 {
            let rest = Command::with_arg("REST", &offset.to_string())?;
            let reply = self.control.command(&rest)?;
            if !reply.code().is_intermediate() {
                return Err(Error::from_reply(rest.to_string(), reply));
            }
        }
        self.control.send(command)?;
        self.read_transfer_reply(command)
    }

    /// Reads the answer to a transfer command: the size a 150 announces, or
    /// the final reply when the server answered at once with no 1xx.
    fn read_transfer_reply(&mut self, command: &Command) -> Result<(Option<u64>, Option<Reply>)> {
        let reply = self.control.read_reply(command.verb())?;
        if reply.code().is_preliminary() {
            Ok((parse_150_size(reply.message()), None))
        } else if reply.code().is_completion() {
            if is_upload(command) {
                // RFC 959 §5.4: an upload is answered 125/150, and 226 only
                // after the data. Success before the data connection was
                // used means the server took nothing, whatever it claims.
                return Err(Error::NotStored { command: command.to_string(), reply });
            }
            // The server answered at once, with no 1xx: the transfer is over
            // on its side, and only the data already sent remains to be read.
            Ok((None, Some(reply)))
        } else {
            Err(Error::from_reply(command.to_string(), reply))
        }
    }

    /// After a failed transfer start, reads the server's final reply so that
    /// the session stays in step, and reports the more telling of the two errors.
    fn fail_transfer<T>(&mut self, error: Error, final_reply: Option<Reply>) -> Result<T> {
        if final_reply.is_none()
            && let Ok(reply) = self.control.read_reply("the transfer")
            && !reply.code().is_completion()
        {
            return Err(Error::from_reply("the transfer", reply));
        }
        Err(error)
    }

    /// Waits for the server to connect to `listener`, refusing other hosts,
    /// while watching the control connection: a server that gives up (425)
    /// ends the wait at once. Returns `None` when the server had already
    /// finished (`final_reply`) and did not connect within a short grace period.
    fn accept_data(
        &mut self,
        listener: &TcpListener,
        command: &Command,
        final_reply: &mut Option<Reply>,
    ) -> Result<Option<TcpStream>> {
        let context = "waiting for the server to open the data connection";
        let mut wait = if final_reply.is_some() { LATE_CONNECT_GRACE } else { self.options.timeout };
        let timeout = self.options.timeout;
        let io_error = |e| Error::io(context, e, timeout);
        listener.set_nonblocking(true).map_err(io_error)?;
        let mut deadline = Instant::now().checked_add(wait);
        let mut pause = Duration::from_millis(1);
        loop {
            match listener.accept() {
                Ok((stream, from)) if from.ip() == self.control.peer.ip() => {
                    stream.set_nonblocking(false).map_err(io_error)?;
                    return Ok(Some(stream));
                }
                Ok((stream, from)) => {
                    lock(&self.control.debug).note(&format!("refused a data connection from {from}"));
                    let _ = stream.shutdown(Shutdown::Both);
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::ConnectionAborted) => {
                    thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
                Err(e) => return Err(io_error(e)),
            }
            if final_reply.is_none()
                && let Some(reply) = self.control.poll_reply(command.verb())?
            {
                if !reply.code().is_completion() {
                    return Err(Error::from_reply(command.to_string(), reply));
                }
                if is_upload(command) {
                    // Success before the server even connected: it cannot
                    // have taken the data it is about to be sent.
                    return Err(Error::NotStored { command: command.to_string(), reply });
                }
                // Done on the server's side already: give it a moment to connect.
                *final_reply = Some(reply);
                wait = LATE_CONNECT_GRACE;
                deadline = Instant::now().checked_add(wait);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                if final_reply.is_some() {
                    return Ok(None);
                }
                return Err(Error::Timeout { what: context.into(), after: wait });
            }
        }
    }

    /// After ABOR: reads the replies it causes. RFC 959 §4.1.3 has the server
    /// answer the interrupted transfer (426, or 226 if it had just finished)
    /// and then ABOR itself (226 or 225). Asynchronous servers such as libunftp
    /// send the two in either order, so this counts replies rather than waiting
    /// for particular codes; when the transfer's final reply was already read,
    /// only ABOR's remains.
    ///
    /// Each reply is awaited for at most [`ABORT_REPLY_WAIT`]: a server that
    /// stays silent after ABOR (libunftp does, on the Telnet signals) leaves
    /// the session unusable rather than hanging the caller for the full timeout.
    pub(crate) fn complete_abort(&mut self, transfer_reply_pending: bool) -> Result<()> {
        let expected = if transfer_reply_pending { 2 } else { 1 };
        for _ in 0..expected {
            self.control.read_reply_within("ABOR", ABORT_REPLY_WAIT)?;
        }
        Ok(())
    }
}

/// One transfer on a data connection: read from it (RETR, LIST) or write to it
/// (STOR, APPE), then call [`DataTransfer::finish`].
///
/// Over TLS, a connection that ends without close_notify reads as an
/// [`io::ErrorKind::UnexpectedEof`] error, never as the end of the data.
///
/// Dropping a transfer before it finished aborts it, so the session stays usable.
#[must_use = "a transfer must be read or written, then finished or aborted"]
pub struct DataTransfer<'a> {
    client: &'a mut Client,
    stream: Option<DataStream>,
    /// The command that started it (secrets masked), for messages.
    command: String,
    expected_size: Option<u64>,
    /// The most bytes wanted; more ends the transfer with [`Error::TooLong`].
    limit: Option<u64>,
    final_reply: Option<Reply>,
    done: bool,
    /// Every byte read or written goes through it, so a trickle fails.
    stall: StallRule,
    /// When the whole transfer must be over, if it has such a bound: reads
    /// fail once it passed, however steadily the bytes come.
    within: Option<Deadline>,
}

impl<'a> DataTransfer<'a> {
    /// The size the server announced in its 150 reply, if it did.
    pub fn expected_size(&self) -> Option<u64> {
        self.expected_size
    }

    /// Ends the transfer with a timeout error unless it is over by
    /// `deadline`: for a listing that someone waits on with no way to
    /// interrupt it (completion), where the stall rule alone would let a
    /// server that sends 1 KiB a window keep them waiting for ever.
    pub(crate) fn end_by(&mut self, deadline: Deadline) {
        self.within = Some(deadline);
    }

    /// Stops the transfer with [`Error::TooLong`] once more than `most` bytes
    /// arrived (downloads into [`DataTransfer::receive_into`] and
    /// `receive_file`); `None` sets no bound.
    pub(crate) fn stop_after(&mut self, most: Option<u64>) {
        self.limit = most;
    }

    /// Whether `received` bytes are more than wanted; if so, aborts the
    /// transfer (the server may still be sending) and says so.
    fn past_limit(&mut self, received: u64) -> Option<Error> {
        let most = self.limit?;
        if received <= most {
            return None;
        }
        let _ = self.abort_now();
        Some(Error::TooLong { received, expected: most })
    }

    /// Ends the transfer: closes the data connection and reads the final reply.
    ///
    /// Call it after reading to the end (downloads) or writing everything
    /// (uploads); to stop a download early, call [`DataTransfer::abort`].
    ///
    /// Returns [`Error::Aborted`] if the transfer was aborted meanwhile.
    pub fn finish(mut self) -> Result<Reply> {
        self.done = true;
        let timeout = self.client.options.timeout;
        let closed = self.stream.take().map_or(Ok(()), |stream| stream.close(timeout));
        if self.client.abort.finish() {
            self.client.complete_abort(self.final_reply.is_none())?;
            return Err(Error::Aborted);
        }
        let reply = match self.final_reply.take() {
            Some(reply) => reply,
            None => self.client.control.read_reply(&self.command)?,
        };
        if !reply.code().is_completion() {
            return Err(Error::from_reply(self.command.clone(), reply));
        }
        // The server's reply came, but its end of the TLS close never did:
        // what it did with our last records is unknown.
        closed.map_err(|e| {
            Error::io(
                format!(
                    "closing the data connection of {} (the server went on sending instead of ending TLS)",
                    self.command
                ),
                e,
                timeout,
            )
        })?;
        Ok(reply)
    }

    /// Aborts the transfer (ABOR) and waits until the server confirmed.
    pub fn abort(mut self) -> Result<()> {
        self.abort_now()
    }

    /// Ends the transfer by closing the data connection, with no ABOR and
    /// no wait for the replies: the control connection is out of step
    /// afterwards, for a caller that closes it next (the extra connection
    /// of one range of a file, which servers answer ABOR on variously).
    pub fn hang_up(mut self) {
        self.done = true;
        self.stream = None;
        self.client.abort.finish();
    }

    fn abort_now(&mut self) -> Result<()> {
        self.done = true;
        let sent = self.stream.is_some() && self.client.abort.abort();
        self.stream = None;
        self.client.abort.finish();
        if sent { self.client.complete_abort(self.final_reply.is_none()) } else { Ok(()) }
    }

    /// Copies everything the server sends into `out`, converting line endings
    /// when `ascii`, then finishes the transfer. Returns the bytes received.
    pub(crate) fn receive_into(mut self, out: &mut dyn Write, ascii: bool) -> Result<u64> {
        let mut buffer = vec![0u8; self.client.read_size];
        let mut converted = Vec::new();
        let mut decoder = CrlfToLf::default();
        let mut received = 0u64;
        loop {
            let n = match self.read(&mut buffer) {
                // After an abort, what is still buffered is not wanted.
                Ok(_) if self.client.abort.is_aborted() => break,
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.fail_on_data_error(e, "reading the data connection")),
            };
            received += n as u64;
            if let Some(error) = self.past_limit(received) {
                return Err(error);
            }
            let chunk = if ascii {
                converted.clear();
                decoder.convert(&buffer[..n], &mut converted);
                &converted[..]
            } else {
                &buffer[..n]
            };
            if let Err(e) = out.write_all(chunk) {
                let _ = self.abort_now();
                return Err(Error::Io { context: "writing the local copy".into(), source: e });
            }
        }
        converted.clear();
        decoder.finish(&mut converted);
        let flushed = out.write_all(&converted).and_then(|()| out.flush());
        if let Err(e) = flushed {
            let _ = self.finish();
            return Err(Error::Io { context: "writing the local copy".into(), source: e });
        }
        self.finish()?;
        Ok(received)
    }

    /// Sends everything `input` yields, converting line endings when `ascii`,
    /// then finishes the transfer. Returns the bytes read from `input`.
    pub(crate) fn send_from(mut self, input: &mut dyn Read, ascii: bool) -> Result<u64> {
        let mut buffer = vec![0u8; BUFFER_SIZE];
        let mut converted = Vec::new();
        let mut encoder = LfToCrlf::default();
        let mut sent = 0u64;
        loop {
            let n = match input.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = self.abort_now();
                    return Err(Error::Io { context: "reading the local file".into(), source: e });
                }
            };
            let chunk = if ascii {
                converted.clear();
                encoder.convert(&buffer[..n], &mut converted);
                &converted[..]
            } else {
                &buffer[..n]
            };
            if let Err(e) = self.write_all(chunk) {
                return Err(self.fail_on_data_error(e, "writing the data connection"));
            }
            sent += n as u64;
        }
        self.finish_upload()?;
        Ok(sent)
    }

    /// Ends an upload like [`DataTransfer::finish`], but first looks for a
    /// final reply that already arrived: a server cannot know an upload is
    /// complete before the data connection ends, so a success sent before
    /// we closed it means the server did not take the data (RFC 959 §5.4),
    /// whatever it claims. A reply still on its way cannot be told apart
    /// and is read as usual.
    fn finish_upload(mut self) -> Result<Reply> {
        let early = match self.final_reply {
            Some(_) => None,
            // A failed poll is left for the final reply's read to report.
            None => self.client.control.poll_reply(&self.command).ok().flatten(),
        };
        let Some(reply) = early else { return self.finish() };
        if reply.code().is_preliminary() {
            // One more 1xx says nothing about the data.
            return self.finish();
        }
        let success = reply.code().is_completion();
        self.final_reply = Some(reply);
        let command = self.command.clone();
        let reply = self.finish()?;
        if success {
            return Err(Error::NotStored { command, reply });
        }
        Ok(reply)
    }

    /// Sends a whole file in binary, from its current position: on Linux the
    /// kernel copies it straight to the socket (`sendfile`), to a server on
    /// this machine a [`super::zerocopy::Copier`] (see [`sendfile_pays_off`]);
    /// elsewhere, or when the kernel refuses the file, through the usual
    /// buffer. `progress` hears about every chunk. Then finishes the transfer.
    // Only the Linux path borrows `self` mutably.
    #[cfg_attr(not(target_os = "linux"), allow(unused_mut))]
    pub(crate) fn send_file(mut self, file: &mut File, progress: &mut dyn FnMut(u64)) -> Result<u64> {
        #[cfg(target_os = "linux")]
        if let Some(DataStream::Plain(stream)) = self.stream.as_ref() {
            let timeout = self.client.options.timeout;
            let to_loopback = self.client.options.sendfile_to_loopback;
            let by_sendfile = stream.peer_addr().is_ok_and(|peer| sendfile_pays_off(peer.ip(), to_loopback));
            let mut copier = (!by_sendfile).then(|| super::zerocopy::Copier::new(super::zerocopy::COPY_STEP));
            // Non-blocking while sendfile (or the copier) runs: each call is
            // then one wait of the timeout at most (see `zerocopy::send_chunk`).
            if let Err(e) = stream.set_nonblocking(true) {
                return Err(self.fail_on_data_error(e, "sending the file"));
            }
            let mut sent = 0u64;
            while let Some(DataStream::Plain(stream)) = self.stream.as_ref() {
                let deadline = Deadline::after(timeout);
                let step = self.stall.measure(|| match copier.as_mut() {
                    Some(copier) => copier.send_chunk(stream, file, deadline),
                    None => super::zerocopy::send_chunk(stream, file, deadline),
                });
                match step {
                    Ok(0) => {
                        self.finish_upload()?;
                        return Ok(sent);
                    }
                    Ok(n) => {
                        sent += n as u64;
                        progress(n as u64);
                    }
                    // This file cannot be sent that way: copy it instead.
                    Err(e) if sent == 0 && super::zerocopy::refuses_file(&e) => {
                        // The copy below relies on the socket's timeouts.
                        if let Err(e) = stream.set_nonblocking(false) {
                            return Err(self.fail_on_data_error(e, "sending the file"));
                        }
                        break;
                    }
                    // A read error on our side shows up here too; both end the
                    // transfer, and the server's reply says what it saw.
                    Err(e) => return Err(self.fail_on_data_error(e, "sending the file")),
                }
            }
        }
        self.send_from(&mut CountingReader { inner: file, progress }, false)
    }

    /// Receives into `file` from `offset`, through the usual buffer, or, for
    /// a character device such as `/dev/null` on Linux, with the kernel
    /// moving the bytes (`splice` through a pipe): measured, splice into
    /// regular files was slower than 1 MiB writes. The file is cut to
    /// `offset` only when the first byte arrives, so a server that fails
    /// before sending anything leaves it as it was. `progress` hears about
    /// every chunk. Then finishes the transfer.
    #[cfg_attr(not(target_os = "linux"), allow(unused_mut))]
    pub(crate) fn receive_file(
        mut self,
        file: &mut File,
        offset: u64,
        ascii: bool,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64> {
        // Splice moves bytes as the kernel sees them: only a plain
        // connection's bytes are the file's (TLS records must be decrypted).
        #[cfg(target_os = "linux")]
        if !ascii
            && matches!(self.stream, Some(DataStream::Plain(_)))
            && is_char_device(file)
            && let Ok(mut splicer) = super::zerocopy::Splicer::new()
        {
            let mut received = 0u64;
            while let Some(DataStream::Plain(stream)) = self.stream.as_ref() {
                if self.client.abort.is_aborted() {
                    break;
                }
                let n = match self.stall.measure(|| splicer.fill(stream)) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(self.fail_on_data_error(e, "reading the data connection")),
                };
                if let Some(error) = self.past_limit(received + n as u64) {
                    return Err(error);
                }
                let written = if received == 0 { cut_file(file, offset) } else { Ok(()) }
                    .and_then(|()| splicer.drain_to(file, n));
                if let Err(e) = written {
                    let _ = self.abort_now();
                    return Err(Error::Io { context: "writing the local copy".into(), source: e });
                }
                received += n as u64;
                progress(n as u64);
                if splicer.file_refuses {
                    self.limit = self.limit.map(|most| most.saturating_sub(received));
                    let mut rest = CutOnFirstWrite { file, offset, cut: true, progress };
                    return Ok(received + self.receive_into(&mut rest, false)?);
                }
            }
            self.finish()?;
            if received == 0 {
                cut_file(file, offset)
                    .map_err(|e| Error::Io { context: "writing the local copy".into(), source: e })?;
            }
            return Ok(received);
        }
        let mut writer = CutOnFirstWrite { file, offset, cut: false, progress };
        let received = self.receive_into(&mut writer, ascii)?;
        if !writer.cut {
            // An empty file: what was there before must not pass for it.
            cut_file(writer.file, offset)
                .map_err(|e| Error::Io { context: "writing the local copy".into(), source: e })?;
        }
        Ok(received)
    }

    /// Calls `line` for every line the server sends (CR LF or LF ended), then
    /// finishes the transfer.
    /// `line` may stop the listing early by returning `Break`, with the error
    /// to report; the transfer is then aborted.
    pub(crate) fn read_lines(mut self, line: &mut dyn FnMut(&str) -> ControlFlow<Error>) -> Result<Reply> {
        let mut buffer = vec![0u8; 64 * 1024];
        let mut pending: Vec<u8> = Vec::new();
        loop {
            let n = match self.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.fail_on_data_error(e, "reading the listing")),
            };
            pending.extend_from_slice(&buffer[..n]);
            let mut start = 0;
            while let Some(end) = pending[start..].iter().position(|&b| b == b'\n') {
                if let ControlFlow::Break(error) = emit_line(&pending[start..start + end], line) {
                    let _ = self.abort_now();
                    return Err(error);
                }
                start += end + 1;
            }
            pending.drain(..start);
            if pending.len() > MAX_LISTING_LINE {
                let _ = self.abort_now();
                return Err(Error::Protocol(format!("listing line longer than {MAX_LISTING_LINE} bytes")));
            }
        }
        if !pending.is_empty()
            && let ControlFlow::Break(error) = emit_line(&pending, line)
        {
            let _ = self.finish();
            return Err(error);
        }
        self.finish()
    }

    /// Handles a failed read or write on the data connection: reports an abort,
    /// or reads the final reply and reports the server's reason when it gave one.
    fn fail_on_data_error(mut self, error: io::Error, context: &str) -> Error {
        if self.client.abort.is_aborted() {
            return match self.finish() {
                Err(e) => e,
                Ok(_) => Error::Aborted,
            };
        }
        let timeout = self.client.options.timeout;
        // The command names the file (or folder) the failure is about.
        let context = format!("{} ({context})", self.command);
        if matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) {
            // A silent or trickling data connection: the server may still be mid-transfer.
            let _ = self.abort_now();
            if let Some(stalled) = Stalled::inside(&error) {
                return Error::Stalled { context, bytes: stalled.bytes, window: stalled.window };
            }
            return Error::io(context, error, timeout);
        }
        // rustls reports a TLS connection that ended without close_notify
        // as UnexpectedEof; a plain TCP read never does.
        let cut_tls = error.kind() == io::ErrorKind::UnexpectedEof && matches!(self.stream, Some(DataStream::Tls(_)));
        let command = self.command.clone();
        match self.finish() {
            Err(server_said) => server_said,
            // The server's 226 comes over the protected control connection
            // and may be honest: it sent everything, but not everything
            // arrived. Only close_notify proves the end is the real end.
            Ok(reply) if cut_tls => Error::Truncated { command, reply },
            Ok(_) => Error::io(context, error, timeout),
        }
    }
}

/// A reader that reports how much went through it.
pub(crate) struct CountingReader<'a, R> {
    pub(crate) inner: R,
    pub(crate) progress: &'a mut dyn FnMut(u64),
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}

/// Whether sendfile is the better way to send a file to `peer`. Not to a
/// server on this machine (loopback), unless `to_loopback`: measured with
/// 512 MiB uploads to vsftpd and pyftpdlib on loopback, copying through a
/// buffer took 13% less time, for about twice sendfile's CPU (still less
/// than curl's or lftp's): likely because the server, on the same
/// processors, then reads bytes we just wrote, still in the cache.
/// Across a network sendfile takes the same time for less CPU.
#[cfg(target_os = "linux")]
fn sendfile_pays_off(peer: IpAddr, to_loopback: bool) -> bool {
    to_loopback || !peer.to_canonical().is_loopback()
}

/// Cuts a regular file to `offset` and puts its position there; devices
/// (a terminal, `/dev/null`) are left as they are.
fn cut_file(file: &mut File, offset: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    if file.metadata()?.is_file() {
        file.set_len(offset)?;
        file.seek(SeekFrom::Start(offset))?;
    }
    Ok(())
}

/// Writes into a file, cutting it to `offset` at the first byte, and reports
/// how much went through.
struct CutOnFirstWrite<'a> {
    file: &'a mut File,
    offset: u64,
    cut: bool,
    progress: &'a mut dyn FnMut(u64),
}

impl Write for CutOnFirstWrite<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.cut && !buf.is_empty() {
            cut_file(self.file, self.offset)?;
            self.cut = true;
        }
        let n = self.file.write(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A data connection: plain TCP, or TLS under `PROT P`.
pub(crate) enum DataStream {
    Plain(TcpStream),
    Tls(Box<super::tls::TlsStream>),
}

impl DataStream {
    /// Ends the connection cleanly: TLS says close_notify first; then the
    /// socket is shut down (not just dropped: the abort handle holds a clone).
    ///
    /// Over TLS the server has `timeout`, all told, to finish the handshake
    /// (if it had not happened) and to close its side. One that goes on
    /// sending all that time is a timeout error; one that stays silent is
    /// left to its final reply, as before (the wait is bounded either way).
    fn close(self, timeout: Duration) -> io::Result<()> {
        match self {
            DataStream::Plain(tcp) => {
                let _ = tcp.shutdown(Shutdown::Write);
                Ok(())
            }
            DataStream::Tls(mut tls) => {
                let deadline = Deadline::after(timeout);
                // An empty upload never wrote: the handshake still has to
                // happen, or the server counts the transfer as failed. If it
                // fails, the close below reports what is left.
                let _ = super::tls::finish_handshake(&mut tls, deadline);
                tls.conn.send_close_notify();
                let _ = tls.flush();
                // Wait for the server to close too before closing the socket:
                // a server may still hold our last records in its TLS buffer
                // (pyftpdlib cut uploads short on an early FIN). A server
                // that just closes TCP (many do) or fails otherwise has closed.
                let mut rest = [0u8; 4096];
                let mut ignored = 0;
                let drained = loop {
                    match super::tls::read_before(&mut tls, &mut rest, deadline) {
                        Ok(0) => break Ok(()),
                        Ok(n) => ignored += n,
                        Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => {
                            break if ignored > 0 { Err(e) } else { Ok(()) };
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => break Ok(()),
                    }
                };
                let _ = tls.sock.shutdown(Shutdown::Write);
                drained
            }
        }
    }
}

impl Read for DataStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            DataStream::Plain(tcp) => tcp.read(buf),
            // An end without close_notify stays an error (UnexpectedEof):
            // it is how a cut connection looks (RFC 4217 §9, RFC 8446 §6.1).
            // vsftpd, pyftpdlib and libunftp all send close_notify.
            DataStream::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for DataStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            DataStream::Plain(tcp) => tcp.write(buf),
            DataStream::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            DataStream::Plain(tcp) => tcp.flush(),
            DataStream::Tls(tls) => tls.flush(),
        }
    }
}

/// Whether a command sends a file to the server.
fn is_upload(command: &Command) -> bool {
    ["STOR", "APPE", "STOU"].iter().any(|verb| command.verb().eq_ignore_ascii_case(verb))
}

/// Checks a binary download's byte count against the size a
/// `150 … (N bytes)` reply announced: too few and too many are both errors.
///
/// After `REST offset` servers differ: vsftpd and BSD ftpd announce the whole
/// file (`offset + received == N`), ProFTPD the part still to come
/// (`received == N`); either reading is accepted. The second one cannot tell
/// a server that ignored REST from one that honoured it, so a caller that
/// resumes must also compare with the file's size (SIZE).
pub(crate) fn check_announced_size(offset: u64, received: u64, announced: u64) -> Result<()> {
    let whole = offset.saturating_add(received);
    if whole == announced || (offset > 0 && received == announced) {
        return Ok(());
    }
    if received > announced {
        return Err(Error::TooLong { received, expected: announced });
    }
    if whole < announced {
        return Err(Error::Incomplete { received: whole, expected: announced });
    }
    // Between the two readings: more than the rest of a file of that size,
    // less than such a file.
    Err(Error::Incomplete { received, expected: announced })
}

/// Whether a command's transfer is a listing, which may rightly be empty.
fn is_listing(command: &Command) -> bool {
    ["LIST", "NLST", "MLSD"].iter().any(|verb| command.verb().eq_ignore_ascii_case(verb))
}

fn emit_line(raw: &[u8], line: &mut dyn FnMut(&str) -> ControlFlow<Error>) -> ControlFlow<Error> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    // Losslessly: a name in a listing must reach RETR as the server's bytes.
    line(&super::wire::decode(raw))
}

impl Read for DataTransfer<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.stream.as_mut() {
            Some(stream) => {
                let timeout = self.client.options.timeout;
                let within = self.within;
                self.stall.measure(|| {
                    let wait = within.map_or(Deadline::after(timeout), |end| Deadline::after(timeout).earlier(end));
                    match stream {
                        DataStream::Plain(tcp) => {
                            // The socket's own timeout is the usual wait; only
                            // a bound on the whole transfer shortens it.
                            if within.is_some() {
                                tcp.set_read_timeout(Some(wait.left()?))?;
                            }
                            tcp.read(buf)
                        }
                        DataStream::Tls(tls) => {
                            // rustls's read would wait for a whole record, however slowly it came.
                            super::tls::fill_before(tls, wait, timeout)?;
                            tls.read(buf)
                        }
                    }
                })
            }
            None => Ok(0),
        }
    }
}

impl Write for DataTransfer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.stream.as_mut() {
            Some(stream) => {
                let timeout = self.client.options.timeout;
                self.stall.measure(|| match stream {
                    // rustls's write would wait for the server to take all it holds.
                    DataStream::Tls(tls) => super::tls::write_before(tls, buf, Deadline::after(timeout)),
                    DataStream::Plain(_) => stream.write(buf),
                })
            }
            None => Err(io::Error::new(io::ErrorKind::NotConnected, "the data connection is closed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for DataTransfer<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.abort_now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn sendfile_is_for_other_machines_unless_asked_for_on_loopback() {
        for local in ["127.0.0.1", "127.3.4.5", "::1", "::ffff:127.0.0.1"] {
            let peer: IpAddr = local.parse().unwrap();
            assert!(!sendfile_pays_off(peer, false), "{local}");
            assert!(sendfile_pays_off(peer, true), "{local}");
        }
        for remote in ["192.0.2.7", "2001:db8::1", "::ffff:192.0.2.7"] {
            assert!(sendfile_pays_off(remote.parse().unwrap(), false), "{remote}");
        }
    }

    #[test]
    fn the_150_size_is_checked_both_ways_and_read_two_ways_after_rest() {
        let check = |offset, received, announced| check_announced_size(offset, received, announced);
        assert!(check(0, 5, 5).is_ok());
        assert!(matches!(check(0, 4, 5), Err(Error::Incomplete { received: 4, expected: 5 })));
        assert!(matches!(check(0, 6, 5), Err(Error::TooLong { received: 6, expected: 5 })));
        // vsftpd announces the whole file after REST, ProFTPD the rest.
        assert!(check(3, 7, 10).is_ok());
        assert!(check(3, 7, 7).is_ok());
        assert!(matches!(check(3, 11, 10), Err(Error::TooLong { received: 11, expected: 10 })));
        assert!(matches!(check(3, 2, 10), Err(Error::Incomplete { received: 5, expected: 10 })));
        assert!(matches!(check(3, 8, 10), Err(Error::Incomplete { received: 8, expected: 10 })));
        assert!(check(u64::MAX, u64::MAX, u64::MAX).is_ok(), "no overflow");
    }
}
