//! The control connection: sends [`Command`]s, reads [`Reply`]s, and writes the
//! debug log (RFC 959 §5.4: every command gets exactly one reply, except those
//! that open a data transfer, which get a preliminary and a final one).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::command::Command;
use super::error::{Error, Result};
use super::reply::{Reply, ReplyParser};
use super::shared::lock;
use super::wait::Deadline;

/// Where debug lines go: a function the caller provides (the shell prints them).
pub type DebugSink = Box<dyn FnMut(&str) + Send>;

/// How much the debug log says, as in Python's ftplib.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum DebugLevel {
    /// Nothing.
    #[default]
    Off,
    /// One line per command sent and one per reply received.
    Commands,
    /// Every line sent and every line received.
    Lines,
}

impl DebugLevel {
    /// The level for a number: 0, 1, or 2 and above.
    pub fn from_number(level: u8) -> DebugLevel {
        match level {
            0 => DebugLevel::Off,
            1 => DebugLevel::Commands,
            _ => DebugLevel::Lines,
        }
    }
}

/// The debug log: a level and a sink, shared with the abort handle.
#[derive(Default)]
pub(crate) struct DebugLog {
    level: DebugLevel,
    sink: Option<DebugSink>,
}

impl DebugLog {
    pub(crate) fn set(&mut self, level: DebugLevel, sink: Option<DebugSink>) {
        self.level = level;
        self.sink = sink;
    }

    /// Logs a command about to be sent. Its Display form masks secrets.
    pub(crate) fn sent(&mut self, command: &Command, marker: &str) {
        let tag = match self.level {
            DebugLevel::Off => return,
            DebugLevel::Commands => "*cmd*",
            DebugLevel::Lines => "*put*",
        };
        self.write(&format!("{tag} {command}{marker}"));
    }

    /// Logs a reply: its last line at level 1, every line at level 2.
    pub(crate) fn received(&mut self, reply: &Reply) {
        match self.level {
            DebugLevel::Off => {}
            DebugLevel::Commands => {
                let last = reply.lines().last().map(String::as_str).unwrap_or("");
                self.write(&format!("*resp* {last}"));
            }
            DebugLevel::Lines => {
                for line in reply.lines() {
                    self.write(&format!("*get* {line}"));
                }
            }
        }
    }

    /// Logs a free-form note (data connections, TLS details), at level 1 and up.
    pub(crate) fn note(&mut self, text: &str) {
        if self.level >= DebugLevel::Commands {
            self.write(&format!("*note* {text}"));
        }
    }

    fn write(&mut self, line: &str) {
        if let Some(sink) = self.sink.as_mut() {
            sink(line);
        }
    }
}

/// The control connection's bytes: plain TCP, or TLS (one TLS session,
/// shared by the reading side and every writer).
pub(crate) enum ControlStream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS, after AUTH TLS or from the start (implicit FTPS).
    Tls(Arc<Mutex<super::tls::TlsStream>>),
}

impl ControlStream {
    /// The TCP socket underneath, for timeouts and urgent data.
    pub(crate) fn socket(&self) -> Option<&TcpStream> {
        match self {
            ControlStream::Plain(tcp) => Some(tcp),
            ControlStream::Tls(_) => None,
        }
    }
}

impl Read for ControlStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            ControlStream::Plain(tcp) => tcp.read(buf),
            ControlStream::Tls(tls) => lock(tls).read(buf),
        }
    }
}

impl Write for ControlStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            ControlStream::Plain(tcp) => tcp.write(buf),
            ControlStream::Tls(tls) => lock(tls).write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            ControlStream::Plain(tcp) => tcp.flush(),
            ControlStream::Tls(tls) => lock(tls).flush(),
        }
    }
}

/// The writing side of the control connection, shared with [`super::AbortHandle`]
/// so that ABOR can be sent while another thread reads the data connection.
pub(crate) type SharedWriter = Arc<Mutex<ControlStream>>;

/// One control connection.
pub(crate) struct Control {
    /// The raw socket: timeouts, non-blocking polls and shutdown act on it.
    socket: TcpStream,
    reader: ControlStream,
    writer: SharedWriter,
    parser: ReplyParser,
    read_buffer: Box<[u8; 4096]>,
    pub(crate) debug: Arc<Mutex<DebugLog>>,
    pub(crate) timeout: Duration,
    pub(crate) peer: SocketAddr,
    pub(crate) local: SocketAddr,
    /// What the TLS handshake agreed on, when the connection uses TLS.
    pub(crate) tls_description: Option<String>,
    /// A reply parsed by [`Control::poll_reply`], returned by the next read.
    pushed_back: Option<Reply>,
    /// Why the connection is unusable, once it failed or was closed; every
    /// later command fails fast with this reason.
    broken: Option<String>,
    /// The quickest answer to a command so far: the round trip to the
    /// server, at most (see [`Control::round_trip`]).
    quickest: Option<Duration>,
}

impl Control {
    pub(crate) fn new(stream: TcpStream, timeout: Duration) -> Result<Control> {
        let setup = |e| Error::io("setting up the control connection", e, timeout);
        stream.set_read_timeout(Some(timeout)).map_err(setup)?;
        stream.set_write_timeout(Some(timeout)).map_err(setup)?;
        stream.set_nodelay(true).map_err(setup)?;
        let peer = stream.peer_addr().map_err(setup)?;
        let local = stream.local_addr().map_err(setup)?;
        let writer = stream.try_clone().map_err(setup)?;
        let reader = stream.try_clone().map_err(setup)?;
        Ok(Control {
            socket: stream,
            reader: ControlStream::Plain(reader),
            writer: Arc::new(Mutex::new(ControlStream::Plain(writer))),
            parser: ReplyParser::new(),
            read_buffer: Box::new([0; 4096]),
            debug: Arc::default(),
            timeout,
            peer,
            local,
            broken: None,
            quickest: None,
            pushed_back: None,
            tls_description: None,
        })
    }

    pub(crate) fn writer(&self) -> SharedWriter {
        Arc::clone(&self.writer)
    }

    /// Another handle on the raw socket, for shutting it down from another
    /// thread ([`super::AbortHandle::hang_up`]).
    pub(crate) fn socket_clone(&self) -> std::io::Result<TcpStream> {
        self.socket.try_clone()
    }

    /// Changes the timeout of every later read and write.
    pub(crate) fn set_timeout(&mut self, timeout: Duration) -> Result<()> {
        let setup = |e| Error::io("setting the control connection's timeout", e, timeout);
        self.socket.set_read_timeout(Some(timeout)).map_err(setup)?;
        self.socket.set_write_timeout(Some(timeout)).map_err(setup)?;
        self.timeout = timeout;
        Ok(())
    }

    /// Sends one command line.
    pub(crate) fn send(&mut self, command: &Command) -> Result<()> {
        self.send_all(&[command])
    }

    /// Sends several command lines in one write (pipelining, RFC 959 §4.1:
    /// the server reads them in order and answers each in turn). Only
    /// commands whose replies the caller reads in order go together.
    pub(crate) fn send_all(&mut self, commands: &[&Command]) -> Result<()> {
        self.check_usable()?;
        self.discard_stray_replies()?;
        let mut wire = Vec::new();
        for command in commands {
            lock(&self.debug).sent(command, "");
            wire.extend_from_slice(&command.to_wire());
        }
        let result = {
            let mut writer = lock(&self.writer);
            writer.write_all(&wire).and_then(|()| writer.flush())
        };
        result.map_err(|e| {
            let verbs: Vec<&str> = commands.iter().map(|c| c.verb()).collect();
            let error = Error::io(format!("sending {}", verbs.join(" and ")), e, self.timeout);
            self.broken = Some(error.to_string());
            error
        })
    }

    /// Drops whole replies already received that no command asked for, so
    /// the next command reads its own reply; a stray 421 ends the session.
    fn discard_stray_replies(&mut self) -> Result<()> {
        while let Some(reply) = self.parser.next_reply()? {
            lock(&self.debug).note(&format!("ignoring a reply nobody asked for: {reply}"));
            if reply.code() == super::ReplyCode::SERVICE_NOT_AVAILABLE {
                self.broken = Some(format!("the server said {reply}"));
                return Err(Error::from_reply("the session", reply));
            }
        }
        Ok(())
    }

    /// Reads the next whole reply, within the timeout; `context` says what it
    /// answers, for errors.
    pub(crate) fn read_reply(&mut self, context: &str) -> Result<Reply> {
        self.read_reply_by(context, Deadline::after(self.timeout))
    }

    /// Reads the next whole reply, failing once `deadline` passed, however
    /// slowly its lines trickle in.
    pub(crate) fn read_reply_by(&mut self, context: &str, deadline: Deadline) -> Result<Reply> {
        self.check_usable()?;
        let result = self.read_reply_inner(context, deadline);
        match &result {
            Ok(reply) => {
                if reply.code().is_preliminary() {
                    self.acknowledge_now();
                }
                lock(&self.debug).received(reply);
                // RFC 959 §4.2: 421 means the server is closing the connection.
                if reply.code() == super::ReplyCode::SERVICE_NOT_AVAILABLE {
                    self.broken = Some(format!("the server said {reply}"));
                }
            }
            Err(e) => self.broken = Some(e.to_string()),
        }
        result
    }

    fn read_reply_inner(&mut self, context: &str, deadline: Deadline) -> Result<Reply> {
        if let Some(reply) = self.pushed_back.take() {
            return Ok(reply);
        }
        loop {
            if let Some(reply) = self.parser.next_reply()? {
                return Ok(reply);
            }
            let n = match self.read_before(deadline) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // TLS's word for a TCP end without close_notify: between
                // replies, the server went away, as a plain EOF says.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !self.parser.has_pending() => 0,
                Err(e) => {
                    let what = if self.parser.has_pending() {
                        format!("waiting for the reply to {context}: it started but never ended")
                    } else {
                        format!("waiting for the reply to {context}")
                    };
                    return Err(Error::io(what, e, deadline.length()));
                }
            };
            if n == 0 {
                return Err(Error::ConnectionClosed(Some(format!("waiting for the reply to {context}"))));
            }
            self.parser.feed(&self.read_buffer[..n]);
        }
    }

    /// Reads what the server sent into the read buffer, waiting until
    /// `deadline` at most: every read's socket timeout is the time left, so
    /// a reply sent a byte at a time cannot outlast it.
    fn read_before(&mut self, deadline: Deadline) -> std::io::Result<usize> {
        match &mut self.reader {
            ControlStream::Plain(tcp) => {
                tcp.set_read_timeout(Some(deadline.left()?))?;
                tcp.read(&mut self.read_buffer[..])
            }
            ControlStream::Tls(tls) => super::tls::read_before(&mut lock(tls), &mut self.read_buffer[..], deadline),
        }
    }

    /// Sends a command and reads its replies up to the final one: RFC 959
    /// §4.2 has 1xx replies announce another. The whole wait, preliminary
    /// replies included, takes the timeout at most, so a server that sends
    /// `150` after `150` cannot keep us forever.
    pub(crate) fn command_final(&mut self, command: &Command) -> Result<Reply> {
        let deadline = Deadline::after(self.timeout);
        let sent = std::time::Instant::now();
        self.send(command)?;
        loop {
            let reply = self.read_reply_by(command.verb(), deadline)?;
            if !reply.code().is_preliminary() {
                self.clock(sent);
                return Ok(reply);
            }
        }
    }

    /// Counts the time since `sent` towards [`Control::round_trip`].
    fn clock(&mut self, sent: std::time::Instant) {
        let took = sent.elapsed();
        self.quickest = Some(self.quickest.map_or(took, |quickest| quickest.min(took)));
    }

    /// The quickest answer to a command on this connection so far: an
    /// upper bound of the round trip to the server (`None` before any).
    pub(crate) fn round_trip(&self) -> Option<Duration> {
        self.quickest
    }

    /// Ends the session when anything arrived after the `234` reply to AUTH
    /// TLS and before our TLS handshake: the server waits for the handshake
    /// and sends nothing more, so such bytes were not sent in answer to
    /// anything of ours. They may be replies a man in the middle pipelined
    /// into the plain-text connection to be read once TLS is up (the class of
    /// curl's CVE-2021-22947); they are never read as replies.
    ///
    /// Only what already arrived counts (with the 234, or in the socket
    /// before the ClientHello is sent). Plain text arriving after the
    /// ClientHello is a failed handshake, and never read as a reply either.
    pub(crate) fn refuse_bytes_after(&mut self, reply: &Reply) -> Result<()> {
        let setup = |e| Error::io("checking the control connection before TLS", e, self.timeout);
        let mut waiting = [0u8; 64];
        self.socket.set_nonblocking(true).map_err(setup)?;
        let peeked = self.socket.peek(&mut waiting);
        self.socket.set_nonblocking(false).map_err(setup)?;
        let in_socket = match peeked {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted) => 0,
            Err(e) => return Err(setup(e)),
        };
        if !self.parser.has_pending() && self.pushed_back.is_none() && in_socket == 0 {
            return Ok(());
        }
        let error = Error::Protocol(format!(
            "the server sent more after its reply to AUTH TLS ({reply}) and before the TLS handshake; \
             a man in the middle may have added it, so the session ends"
        ));
        self.broken = Some(error.to_string());
        Err(error)
    }

    /// Acknowledges a preliminary reply at once instead of up to 40 ms later.
    ///
    /// After a `150` the client sends nothing on the control connection until
    /// the transfer's final reply, so Linux delays its ACK; a server with
    /// Nagle's algorithm on (libunftp) then holds its `226` until that ACK
    /// comes. Measured with `rftp get -r -j 1` of 1000 small files from
    /// `rftp serve`: 44 ms a file before, under 1 ms after. Other replies are
    /// followed by our next command, which carries the ACK anyway.
    fn acknowledge_now(&self) {
        #[cfg(target_os = "linux")]
        {
            let _ = socket2::SockRef::from(&self.socket).set_tcp_quickack(true);
        }
    }

    /// Reads the next reply, waiting at most `wait` (capped by the usual timeout).
    pub(crate) fn read_reply_within(&mut self, context: &str, wait: Duration) -> Result<Reply> {
        self.read_reply_by(context, Deadline::after(wait.min(self.timeout)))
    }

    /// Returns a reply if one has arrived, without waiting for one.
    pub(crate) fn poll_reply(&mut self, context: &str) -> Result<Option<Reply>> {
        self.check_usable()?;
        if !self.parser.has_pending() {
            let setup = |e| Error::io("polling the control connection", e, self.timeout);
            self.socket.set_nonblocking(true).map_err(setup)?;
            let read = self.reader.read(&mut self.read_buffer[..]);
            self.socket.set_nonblocking(false).map_err(setup)?;
            // TLS's end without close_notify is the server's end, as a
            // plain EOF is (see `read_reply_by`).
            let read = match read {
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
                other => other,
            };
            match read {
                Ok(0) => {
                    let error = Error::ConnectionClosed(Some(format!("waiting for the reply to {context}")));
                    self.broken = Some(error.to_string());
                    return Err(error);
                }
                Ok(n) => self.parser.feed(&self.read_buffer[..n]),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted) => {
                    return Ok(None);
                }
                Err(e) => {
                    let error = Error::io(format!("waiting for the reply to {context}"), e, self.timeout);
                    self.broken = Some(error.to_string());
                    return Err(error);
                }
            }
        }
        match self.parser.next_reply() {
            Ok(None) => Ok(None),
            // A whole reply is buffered: take it the usual way (logging, 421).
            Ok(Some(reply)) => {
                self.pushed_back = Some(reply);
                self.read_reply(context).map(Some)
            }
            Err(e) => {
                let error = Error::from(e);
                self.broken = Some(error.to_string());
                Err(error)
            }
        }
    }

    /// Switches the connection to TLS (after `234` to AUTH TLS, or before the
    /// greeting for implicit FTPS). Returns what the handshake agreed on.
    pub(crate) fn start_tls(&mut self, context: &super::tls::TlsContext) -> Result<String> {
        let tcp = self.socket.try_clone().map_err(|e| Error::io("starting TLS", e, self.timeout))?;
        let stream = context.connect(tcp, self.timeout)?;
        let description = super::tls::describe(&stream);
        let shared = Arc::new(Mutex::new(stream));
        self.reader = ControlStream::Tls(Arc::clone(&shared));
        *lock(&self.writer) = ControlStream::Tls(shared);
        lock(&self.debug).note(&description);
        self.tls_description = Some(description.clone());
        Ok(description)
    }

    /// Ends TLS on the control connection (after `200` to CCC): sends
    /// close_notify, waits for the server's, and goes on in plain text.
    /// The server has the timeout to answer, all of it: one that never
    /// sends its close_notify (or sends other records without end) ends the
    /// session.
    pub(crate) fn stop_tls(&mut self) -> Result<()> {
        if let ControlStream::Tls(tls) = &self.reader {
            let deadline = Deadline::after(self.timeout);
            let mut tls = lock(tls);
            tls.conn.send_close_notify();
            let _ = tls.flush();
            // The server's close_notify ends TLS; anything after is plain.
            let mut rest = [0u8; 512];
            loop {
                match super::tls::read_before(&mut tls, &mut rest, deadline) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let error = Error::io("waiting for the server to end TLS after CCC", e, deadline.length());
                        drop(tls);
                        self.broken = Some(error.to_string());
                        return Err(error);
                    }
                }
            }
        }
        let setup = |e| Error::io("ending TLS", e, self.timeout);
        self.reader = ControlStream::Plain(self.socket.try_clone().map_err(setup)?);
        *lock(&self.writer) = ControlStream::Plain(self.socket.try_clone().map_err(setup)?);
        self.tls_description = None;
        Ok(())
    }

    /// Whether the control connection runs over TLS.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self.reader, ControlStream::Tls(_))
    }

    /// Sends a command and reads its reply.
    pub(crate) fn command(&mut self, command: &Command) -> Result<Reply> {
        let sent = std::time::Instant::now();
        self.send(command)?;
        let reply = self.read_reply(command.verb())?;
        self.clock(sent);
        Ok(reply)
    }

    /// Whether the connection failed or the server closed it.
    pub(crate) fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    fn check_usable(&self) -> Result<()> {
        match &self.broken {
            Some(reason) => Err(Error::SessionLost(reason.clone())),
            None => Ok(()),
        }
    }

    /// Closes both directions of the socket.
    pub(crate) fn shutdown(&mut self) {
        if self.broken.is_none() {
            self.broken = Some("the connection was closed".into());
        }
        let _ = self.socket.shutdown(Shutdown::Both);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A control connection and the server's end of it.
    fn pair() -> (Control, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (Control::new(client, Duration::from_secs(2)).unwrap(), server)
    }

    #[test]
    fn bytes_after_234_are_refused_whether_read_already_or_still_in_the_socket() {
        // Arrived with the 234: already in the parser's buffer.
        let (mut control, mut server) = pair();
        server.write_all(b"234 go\r\n230 fake\r\n").unwrap();
        let reply = control.read_reply("AUTH").unwrap();
        let err = control.refuse_bytes_after(&reply).unwrap_err();
        assert!(err.to_string().contains("AUTH TLS (234 go)"), "{err}");
        assert!(control.is_broken());

        // Arrived after the 234 was read, before the handshake: in the socket.
        let (mut control, mut server) = pair();
        server.write_all(b"234 go\r\n").unwrap();
        let reply = control.read_reply("AUTH").unwrap();
        server.write_all(b"230 fake\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(control.refuse_bytes_after(&reply).is_err());

        // Nothing more: the handshake may start.
        let (mut control, mut server) = pair();
        server.write_all(b"234 go\r\n").unwrap();
        let reply = control.read_reply("AUTH").unwrap();
        control.refuse_bytes_after(&reply).unwrap();
        assert!(!control.is_broken());
    }

    #[test]
    fn a_reply_trickled_a_byte_at_a_time_times_out_as_a_whole() {
        let (mut control, mut server) = pair();
        control.set_timeout(Duration::from_millis(300)).unwrap();
        let writer = std::thread::spawn(move || {
            for byte in b"220-welcome\r\n".iter().cycle().take(200) {
                if server.write_all(&[*byte]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        let start = std::time::Instant::now();
        let err = control.read_reply("the greeting").unwrap_err();
        assert!(matches!(&err, Error::Timeout { what, .. } if what.contains("never ended")), "{err:?}");
        assert!(start.elapsed() < Duration::from_millis(1000), "{:?}", start.elapsed());
        control.shutdown();
        writer.join().unwrap();
    }
}
