//! A fault-injecting TCP proxy for tests: it stands in front of an FTP server,
//! relays every control connection and every passive data connection, and
//! cuts them where a test asks, so the client sees a dropped connection
//! (issue #12: transfers that heal themselves).
//!
//! The client talks to the proxy only: the proxy rewrites the server's `229`
//! (EPSV, RFC 2428) and `227` (PASV, RFC 959 §4.1.2) replies to name a port of
//! its own, opened for that one data connection, and relays it to the
//! server's data port. Active mode (PORT/EPRT) is not carried.
//!
//! Bytes are counted across the proxy's whole life, so "cut data every 8 MiB"
//! cuts the connection that carries byte 8 Mi, then the one that carries byte
//! 16 Mi, and so on, whatever the direction and however many connections the
//! client opened meanwhile. A cut resets both sides (`SO_LINGER` 0, then
//! close): the client and the server each see the connection drop, as when a
//! NAT box or a link goes away, and bytes already relayed stay delivered.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::{PASSWORD, TestServer, USER};

/// How long each wait for a socket lasts before the proxy looks whether it
/// was dropped: a dropped proxy's threads end within this.
const TICK_MS: u16 = 100;
/// How long a data port waits for the client to connect.
const DATA_ACCEPT_WAIT: Duration = Duration::from_secs(60);

/// Where the proxy cuts connections. The default cuts nothing.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Cut the data connection that carries byte N, 2N, 3N… of all the data
    /// relayed (both directions, every data connection).
    pub cut_data_every: Option<u64>,
    /// Cut the control connection that carries byte N of all the control
    /// bytes relayed (both directions, every control connection); once.
    pub cut_control_after: Option<u64>,
    /// Cut the control connection when the client sends this command (its
    /// verb, any case, e.g. `"LIST"`), the first time only: the server never
    /// sees it, and a client that reconnects and sends it again gets through.
    pub cut_control_at: Option<String>,
    /// Cut data connections at random points, reproducibly from a seed.
    pub cut_data_randomly: Option<RandomCuts>,
}

/// Random cuts of data connections: each next cut comes after a number of
/// data bytes drawn evenly from `1..=2 * mean_bytes`, from a generator seeded
/// with `seed`, so the same seed and the same transfers give the same cuts.
#[derive(Clone, Copy, Debug)]
pub struct RandomCuts {
    /// The generator's seed: the same seed, the same cuts.
    pub seed: u64,
    /// The mean number of data bytes between two cuts.
    pub mean_bytes: u64,
}

/// Which kind of connection a cut dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A control connection (commands and replies).
    Control,
    /// A data connection (a transfer or a listing).
    Data,
}

/// One cut the proxy made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    /// Which kind of connection was cut.
    pub kind: Kind,
    /// How many bytes of that kind the proxy had relayed when it cut,
    /// counted over its whole life.
    pub at: u64,
}

/// A running proxy; it stops (and its connections end) when dropped.
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
}

impl Proxy {
    /// A proxy on 127.0.0.1 in front of `server`, cutting as `faults` say.
    pub fn start(server: &TestServer, faults: Faults) -> Proxy {
        let host: IpAddr = server.host.parse().expect("the test server's host is an IP address");
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("the proxy listens");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            upstream: host,
            upstream_port: server.port,
            ledger: Mutex::new(Ledger::new(faults)),
            stopped: AtomicBool::new(false),
        });
        let accepting = Arc::clone(&shared);
        thread::spawn(move || {
            while let Some(client) = accept(&listener, &accepting, None) {
                let shared = Arc::clone(&accepting);
                thread::spawn(move || relay_control(client, shared));
            }
        });
        Proxy { port, shared }
    }

    /// The port the proxy listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// An `ftp://` URL of `path` through the proxy, with the test user's login.
    pub fn url(&self, path: &str) -> String {
        format!("ftp://{USER}:{PASSWORD}@127.0.0.1:{}/{path}", self.port)
    }

    /// Every cut so far, in order.
    pub fn cuts(&self) -> Vec<Cut> {
        self.shared.ledger().cuts.clone()
    }

    /// How many data bytes the proxy relayed so far (both directions).
    pub fn data_bytes(&self) -> u64 {
        self.shared.ledger().data
    }

    /// How many data connections the proxy relayed so far.
    pub fn data_connections(&self) -> usize {
        self.shared.ledger().data_connections
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
    }
}

/// What all of a proxy's threads share.
struct Shared {
    upstream: IpAddr,
    upstream_port: u16,
    ledger: Mutex<Ledger>,
    stopped: AtomicBool,
}

impl Shared {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        // A test that panicked while holding the lock has failed already;
        // the counts are still good for the others.
        self.ledger.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
}

/// The byte counts, and the decision where to cut. All connections pass
/// their bytes through it, so the counts span the whole run.
struct Ledger {
    faults: Faults,
    data: u64,
    control: u64,
    data_connections: usize,
    next_data_cut: Option<u64>,
    next_random_cut: Option<u64>,
    next_control_cut: Option<u64>,
    command_cut: Option<String>,
    random: u64,
    cuts: Vec<Cut>,
}

impl Ledger {
    fn new(faults: Faults) -> Ledger {
        let mut ledger = Ledger {
            data: 0,
            control: 0,
            data_connections: 0,
            next_data_cut: faults.cut_data_every,
            next_random_cut: None,
            next_control_cut: faults.cut_control_after,
            command_cut: faults.cut_control_at.clone(),
            // xorshift needs a state that is not zero.
            random: faults.cut_data_randomly.map_or(1, |r| r.seed.max(1)),
            cuts: Vec::new(),
            faults,
        };
        ledger.next_random_cut = ledger.draw_random_cut();
        ledger
    }

    /// The data count at which the next random cut falls.
    fn draw_random_cut(&mut self) -> Option<u64> {
        let mean = self.faults.cut_data_randomly?.mean_bytes.max(1);
        // xorshift64: plain, and the same on every machine.
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        Some(self.data + 1 + self.random % (2 * mean))
    }

    /// How many of `len` bytes a connection of `kind` may pass on, and
    /// whether it is cut right after them.
    fn pass(&mut self, kind: Kind, len: usize) -> (usize, bool) {
        let mut allowed = len as u64;
        let mut limits = match kind {
            Kind::Data => vec![self.next_data_cut, self.next_random_cut],
            Kind::Control => vec![self.next_control_cut],
        };
        let done = match kind {
            Kind::Data => self.data,
            Kind::Control => self.control,
        };
        for limit in limits.iter().flatten() {
            allowed = allowed.min(limit - done);
        }
        let now = done + allowed;
        match kind {
            Kind::Data => self.data = now,
            Kind::Control => self.control = now,
        }
        limits.retain(|limit| *limit == Some(now));
        let cut = !limits.is_empty();
        if cut {
            self.cuts.push(Cut { kind, at: now });
        }
        match kind {
            Kind::Data => {
                if self.next_data_cut == Some(now) {
                    self.next_data_cut = self.faults.cut_data_every.map(|every| now + every);
                }
                if self.next_random_cut == Some(now) {
                    self.next_random_cut = self.draw_random_cut();
                }
            }
            Kind::Control => {
                if self.next_control_cut == Some(now) {
                    self.next_control_cut = None;
                }
            }
        }
        (allowed as usize, cut)
    }

    /// Whether the client's command `line` is the one to cut at (once).
    fn cuts_at_command(&mut self, line: &[u8]) -> bool {
        let Some(verb) = &self.command_cut else { return false };
        let text = String::from_utf8_lossy(line);
        let sent = text.split_whitespace().next().unwrap_or("");
        if !sent.eq_ignore_ascii_case(verb) {
            return false;
        }
        self.command_cut = None;
        self.cuts.push(Cut { kind: Kind::Control, at: self.control });
        true
    }
}

/// Waits for one connection on `listener` until the proxy stops or the
/// deadline passes.
fn accept(listener: &TcpListener, shared: &Shared, deadline: Option<Instant>) -> Option<TcpStream> {
    listener.set_nonblocking(true).ok()?;
    loop {
        if shared.stopped() || deadline.is_some_and(|d| Instant::now() > d) {
            return None;
        }
        let mut fds = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
        let _ = poll(&mut fds, PollTimeout::from(TICK_MS));
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).ok()?;
                let _ = stream.set_nodelay(true);
                return Some(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

/// One side of a relayed connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

/// Relays a control connection, rewriting passive replies and cutting where
/// the faults say.
fn relay_control(client: TcpStream, shared: Arc<Shared>) {
    let Ok(server) = TcpStream::connect((shared.upstream, shared.upstream_port)) else { return };
    let _ = server.set_nodelay(true);
    let mut lines = ControlLines { shared: Arc::clone(&shared), from_client: Vec::new(), from_server: Vec::new() };
    relay(client, server, Kind::Control, &shared, |side, bytes| lines.rewrite(side, bytes));
}

/// Relays one data connection: the client's, accepted on the proxy's own
/// data port, to the server's data port.
fn relay_data(listener: TcpListener, server_port: u16, shared: Arc<Shared>) {
    let Some(client) = accept(&listener, &shared, Some(Instant::now() + DATA_ACCEPT_WAIT)) else { return };
    drop(listener);
    let Ok(server) = TcpStream::connect((shared.upstream, server_port)) else { return };
    shared.ledger().data_connections += 1;
    relay(client, server, Kind::Data, &shared, |_, bytes| Some(bytes.to_vec()));
}

/// Moves bytes both ways between `client` and `server` until both sides
/// have closed, passing each chunk through `rewrite` (`None`: cut now) and
/// the ledger. One thread per connection, waiting on both sockets with
/// `poll`, so a cut can reset both sockets at once.
fn relay(
    client: TcpStream,
    server: TcpStream,
    kind: Kind,
    shared: &Shared,
    mut rewrite: impl FnMut(Side, &[u8]) -> Option<Vec<u8>>,
) {
    let streams = [client, server];
    let sides = [Side::Client, Side::Server];
    let mut open = [true, true];
    let mut buffer = vec![0u8; 64 * 1024];
    while open[0] || open[1] {
        if shared.stopped() {
            return;
        }
        let readable = {
            let mut fds: Vec<PollFd> =
                (0..2).filter(|i| open[*i]).map(|i| PollFd::new(streams[i].as_fd(), PollFlags::POLLIN)).collect();
            if poll(&mut fds, PollTimeout::from(TICK_MS)).is_err() {
                continue;
            }
            let ready: Vec<bool> = fds.iter().map(|fd| fd.revents().is_some_and(|r| !r.is_empty())).collect();
            let mut readable = [false, false];
            for (i, ready) in (0..2).filter(|i| open[*i]).zip(ready) {
                readable[i] = ready;
            }
            readable
        };
        for from in (0..2).filter(|i| readable[*i]) {
            let to = 1 - from;
            let read = (&streams[from]).read(&mut buffer);
            match read {
                Ok(0) => {
                    // A clean close on one side is passed on as a clean close.
                    open[from] = false;
                    let _ = streams[to].shutdown(Shutdown::Write);
                }
                Ok(n) => {
                    let Some(out) = rewrite(sides[from], &buffer[..n]) else { return reset(&streams) };
                    let (allowed, cut) = shared.ledger().pass(kind, out.len());
                    if (&streams[to]).write_all(&out[..allowed]).is_err() || cut {
                        return reset(&streams);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted || e.kind() == io::ErrorKind::WouldBlock => {}
                // A reset on one side is passed on as a reset.
                Err(_) => return reset(&streams),
            }
        }
    }
}

/// Drops both sockets with a reset (`SO_LINGER` 0): each peer sees the
/// connection drop, not an orderly end of data.
fn reset(streams: &[TcpStream; 2]) {
    for stream in streams {
        let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
    }
}

/// The control connection's bytes, line by line: the client's commands
/// are checked for the command to cut at; the server's passive replies are
/// rewritten to name the proxy's own data ports.
struct ControlLines {
    shared: Arc<Shared>,
    from_client: Vec<u8>,
    from_server: Vec<u8>,
}

impl ControlLines {
    /// The complete lines among what `side` sent so far, rewritten; `None`
    /// to cut the connection now. A partial line waits for its end.
    fn rewrite(&mut self, side: Side, bytes: &[u8]) -> Option<Vec<u8>> {
        let pending = match side {
            Side::Client => &mut self.from_client,
            Side::Server => &mut self.from_server,
        };
        pending.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            lines.push(pending.drain(..=end).collect::<Vec<u8>>());
        }
        let mut out = Vec::new();
        for line in lines {
            match side {
                Side::Client if self.shared.ledger().cuts_at_command(&line) => return None,
                Side::Client => out.extend_from_slice(&line),
                Side::Server => out.extend_from_slice(&self.rewrite_reply(line)),
            }
        }
        Some(out)
    }

    /// A `229` or `227` reply made to name a new data port of the proxy,
    /// relayed to the port the server named; any other line as it was.
    fn rewrite_reply(&self, line: Vec<u8>) -> Vec<u8> {
        let text = String::from_utf8_lossy(&line);
        let rewritten = if text.starts_with("229 ") {
            rewrite_epsv(&text, |port| self.open_data_port(port))
        } else if text.starts_with("227 ") {
            rewrite_pasv(&text, |port| self.open_data_port(port))
        } else {
            None
        };
        rewritten.map_or(line, String::into_bytes)
    }

    /// Opens a proxy data port that relays to the server's `server_port`.
    fn open_data_port(&self, server_port: u16) -> Option<u16> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).ok()?;
        let port = listener.local_addr().ok()?.port();
        let shared = Arc::clone(&self.shared);
        thread::spawn(move || relay_data(listener, server_port, shared));
        Some(port)
    }
}

/// `229 Entering Extended Passive Mode (|||PORT|)` with PORT replaced by
/// what `open` gives for it (RFC 2428 §3).
fn rewrite_epsv(reply: &str, open: impl FnOnce(u16) -> Option<u16>) -> Option<String> {
    let start = reply.find("(|||")? + 4;
    let end = start + reply[start..].find('|')?;
    let port = open(reply[start..end].parse().ok()?)?;
    Some(format!("{}{port}{}", &reply[..start], &reply[end..]))
}

/// `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` made to name 127.0.0.1
/// and the port `open` gives for the server's one (RFC 959 §4.1.2).
fn rewrite_pasv(reply: &str, open: impl FnOnce(u16) -> Option<u16>) -> Option<String> {
    let start = reply.find('(')?;
    let end = start + reply[start..].find(')')?;
    let numbers: Vec<u16> = reply[start + 1..end].split(',').map(|n| n.trim().parse().ok()).collect::<Option<_>>()?;
    let [.., p1, p2] = numbers[..] else { return None };
    let port = open(p1.checked_mul(256)?.checked_add(p2)?)?;
    let address = format!("127,0,0,1,{},{}", port / 256, port % 256);
    Some(format!("{}({address}{}", &reply[..start], &reply[end..]))
}
