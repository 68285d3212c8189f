//! A small scripted FTP server for what real servers won't do: odd replies,
//! dropped connections, silence.
//!
//! A test writes the server's side as a plain function over a [`Session`]:
//! send this reply, expect that command, open a passive port, send data. The
//! function runs on its own thread against one client connection; `finish`
//! joins it, so an assertion that failed on the server's side fails the test.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// The server's side of one control connection.
pub struct Session {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    data_listener: Option<TcpListener>,
    /// Every command line received, as raw bytes without CRLF.
    pub received: Vec<Vec<u8>>,
}

impl Session {
    /// A session over an accepted control connection.
    fn over(stream: TcpStream) -> Session {
        Session {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            data_listener: None,
            received: Vec::new(),
        }
    }

    /// Sends one reply line; CRLF is added.
    pub fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\r\n").as_bytes());
    }

    /// Sends bytes exactly as given.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        // The client may have hung up on purpose; that is for the test to judge.
        let _ = self.writer.write_all(bytes);
    }

    /// Reads the next command line (raw bytes, CRLF removed); None at EOF.
    pub fn read_line(&mut self) -> Option<Vec<u8>> {
        let mut line = Vec::new();
        match self.reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    line.pop();
                }
                self.received.push(line.clone());
                Some(line)
            }
        }
    }

    /// Reads the next command and checks it starts with `prefix`; returns it.
    pub fn expect(&mut self, prefix: &str) -> String {
        let line = self.read_line().unwrap_or_else(|| panic!("expected {prefix:?}, but the client hung up"));
        let line = String::from_utf8_lossy(&line).into_owned();
        assert!(line.starts_with(prefix), "expected {prefix:?}, got {line:?}");
        line
    }

    /// Greets and accepts any login.
    pub fn greet_and_login(&mut self) {
        self.send("220 scripted server");
        self.expect("USER ");
        self.send("331 password please");
        self.expect("PASS ");
        self.send("230 logged in");
        self.answer_feat(&[]);
    }

    /// Greets, accepts any login, and answers the client's `TYPE I`.
    pub fn greet_login_binary(&mut self) {
        self.greet_and_login();
        self.expect("TYPE I");
        self.send("200 binary");
    }

    /// Listens for a passive data connection and returns the port.
    pub fn listen_passive(&mut self) -> u16 {
        let ip = self.writer.local_addr().unwrap().ip();
        let listener = TcpListener::bind((ip, 0)).expect("binds data port");
        let port = listener.local_addr().unwrap().port();
        self.data_listener = Some(listener);
        port
    }

    /// Answers an EPSV the client is about to send.
    pub fn answer_epsv(&mut self) {
        self.expect("EPSV");
        let port = self.listen_passive();
        self.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
    }

    /// Accepts the client's passive data connection.
    pub fn accept_data(&mut self) -> TcpStream {
        let listener = self.data_listener.take().expect("listen_passive first");
        listener.accept().expect("client connects for data").0
    }

    /// Connects to the client for an active-mode transfer, optionally from a given local address.
    pub fn connect_data(&mut self, to: SocketAddr, from: Option<&str>) -> TcpStream {
        match from {
            None => TcpStream::connect(to).expect("connects to client"),
            Some(source) => {
                let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
                socket.bind(&source.parse::<SocketAddr>().unwrap().into()).unwrap();
                socket.connect(&to.into()).expect("connects to client");
                socket.into()
            }
        }
    }

    /// Reads everything the client sends on a data connection.
    pub fn read_all(stream: &mut TcpStream) -> Vec<u8> {
        let mut data = Vec::new();
        stream.read_to_end(&mut data).expect("reads upload");
        data
    }

    /// Closes the control connection.
    pub fn hang_up(&mut self) {
        let _ = self.writer.shutdown(Shutdown::Both);
    }

    /// Reads until the client hangs up, so it never sees an early close; a
    /// QUIT gets its 221 and ends the session.
    pub fn drain(&mut self) {
        while let Some(line) = self.read_line() {
            if line.eq_ignore_ascii_case(b"QUIT") {
                self.send("221 Goodbye.");
                return;
            }
        }
    }

    /// Lets `option` apply to the control socket (for urgent-data checks).
    pub fn control(&self) -> &TcpStream {
        &self.writer
    }
}

/// A scripted server accepting one connection.
pub struct ScriptedServer {
    pub port: u16,
    handle: JoinHandle<Vec<Vec<u8>>>,
}

impl ScriptedServer {
    /// Starts a server that runs `script` on the first connection.
    pub fn start(script: impl FnOnce(&mut Session) + Send + 'static) -> ScriptedServer {
        ScriptedServer::start_on(TcpListener::bind("127.0.0.1:0").expect("binds"), script)
    }

    /// Starts a server on a listener of the test's choosing (IPv6, say).
    pub fn start_on(listener: TcpListener, script: impl FnOnce(&mut Session) + Send + 'static) -> ScriptedServer {
        let port = listener.local_addr().unwrap().port();
        let handle = thread::spawn(move || {
            let (stream, _) = listener.accept().expect("client connects");
            stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let mut session = Session::over(stream);
            script(&mut session);
            session.received
        });
        ScriptedServer { port, handle }
    }

    /// A server that takes `USER bob`, sends the PASS line it gets to the receiver, and stalls (up to 20 s) until the sender says done.
    pub fn stalling_after_pass() -> (ScriptedServer, mpsc::Receiver<String>, mpsc::Sender<()>) {
        let (logged_in_tx, logged_in) = mpsc::channel();
        let (done_tx, done) = mpsc::channel::<()>();
        let server = ScriptedServer::start(move |s| {
            s.send("220 scripted server");
            s.expect("USER bob");
            s.send("331 password please");
            logged_in_tx.send(s.expect("PASS ")).unwrap();
            // Stall: no reply to PASS while the test looks at the process.
            let _ = done.recv_timeout(Duration::from_secs(20));
        });
        (server, logged_in, done_tx)
    }

    /// Waits for the script to end; returns every command line it received.
    pub fn finish(self) -> Vec<String> {
        match self.handle.join() {
            Ok(lines) => lines.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect(),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// The same, as raw bytes.
    pub fn finish_raw(self) -> Vec<Vec<u8>> {
        match self.handle.join() {
            Ok(lines) => lines,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Session {
    /// Answers a RETR with 150 and `byte` after `byte` on the data connection, until the client stops reading or 64 MiB are sent; returns how many were sent.
    pub fn send_endless_data(&mut self, byte: u8) -> usize {
        self.send("150 go");
        let mut stream = self.accept_data();
        let chunk = vec![byte; 64 * 1024];
        let mut written = 0usize;
        while written < 64 << 20 && stream.write_all(&chunk).is_ok() {
            written += chunk.len();
        }
        written
    }

    /// Answers the SIZE and then the MDTM a fresh binary download of `name` sends.
    pub fn answer_size_and_mdtm(&mut self, name: &str, size: u64, modified: &str) {
        self.expect(&format!("SIZE {name}"));
        self.send(&format!("213 {size}"));
        self.expect(&format!("MDTM {name}"));
        self.send(&format!("213 {modified}"));
    }

    /// Answers the FEAT the client sends after logging in, announcing
    /// `features` (none: FEAT is refused, as old servers do).
    pub fn answer_feat(&mut self, features: &[&str]) {
        self.expect("FEAT");
        if features.is_empty() {
            self.send("502 FEAT not implemented");
            return;
        }
        self.send("211-Features:");
        for feature in features {
            self.send(&format!(" {feature}"));
        }
        self.send("211 End");
    }
}

/// Greets, answers a one-shot's commands before `verb` in any order, and returns the `verb` line.
pub fn greet_and_answer_until(s: &mut Session, verb: &str) -> String {
    s.send("220 scripted server");
    loop {
        let line = s.read_line().unwrap_or_else(|| panic!("the client hung up before {verb}"));
        let line = String::from_utf8_lossy(&line).into_owned();
        let command = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        if command == verb {
            return line;
        }
        let reply = match command.as_str() {
            "USER" => "331 password please".to_string(),
            "PASS" => "230 logged in".to_string(),
            "EPSV" => format!("229 Entering Extended Passive Mode (|||{}|)", s.listen_passive()),
            "PWD" => "257 \"/\" is the folder".to_string(),
            "TYPE" | "OPTS" => "200 ok".to_string(),
            "CWD" => "250 ok".to_string(),
            _ => "502 not implemented".to_string(),
        };
        s.send(&reply);
    }
}

/// A client connected to the scripted server on `port` and logged in as `u`.
pub fn logged_in(port: u16) -> rftp::protocol::Client {
    // sendfile to loopback too, so that store_file covers the kernel's copy.
    let options = rftp::protocol::Options { sendfile_to_loopback: true, ..Default::default() };
    let mut client = rftp::protocol::Client::connect_with("127.0.0.1", port, options).expect("connects");
    client.login("u", "p", None).expect("logs in");
    client
}

/// Greets with `greeting`, then answers every command until QUIT: `answer` first (`Some("")` sends nothing), then plain defaults.
pub fn serve_loosely(s: &mut Session, greeting: &str, mut answer: impl FnMut(&mut Session, &str) -> Option<String>) {
    s.send(greeting);
    while let Some(line) = s.read_line() {
        let line = String::from_utf8_lossy(&line).into_owned();
        if let Some(reply) = answer(s, &line) {
            if !reply.is_empty() {
                s.send(&reply);
            }
            continue;
        }
        let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        let reply = match verb.as_str() {
            "USER" => "331 password please".to_string(),
            "PASS" => "230 logged in".into(),
            "TYPE" => "200 type set".into(),
            "PWD" => "257 \"/\"".into(),
            "NOOP" => "200 ok".into(),
            "EPSV" => format!("229 Entering Extended Passive Mode (|||{}|)", s.listen_passive()),
            "QUIT" => {
                s.send("221 bye");
                return;
            }
            _ => "502 not implemented here".into(),
        };
        s.send(&reply);
    }
}

/// What the fake server's LIST sends for a folder.
#[derive(Clone)]
pub enum Listing {
    /// These lines, each ended with CRLF.
    Lines(Vec<String>),
    /// File lines until this many bytes were sent or the client gave up.
    Endless(u64),
}

/// A server that behaves like vsftpd where it matters here: no MLSD, LIST of
/// a path that does not exist is an empty listing, CWD and SIZE tell folders
/// from files. `folders` are absolute paths without a trailing slash.
pub fn serve_like_vsftpd(s: &mut Session, folders: Vec<(&'static str, Listing)>, files: Vec<(&'static str, Vec<u8>)>) {
    serve_like_vsftpd_slowly(s, folders, files, Duration::ZERO);
}

/// [`serve_like_vsftpd`], each LIST taking `list_delay` before its first
/// reply (a server far away, or a big folder).
pub fn serve_like_vsftpd_slowly(
    s: &mut Session,
    folders: Vec<(&'static str, Listing)>,
    files: Vec<(&'static str, Vec<u8>)>,
    list_delay: Duration,
) {
    // FEAT is answered below: a batch's extra connections reuse the first
    // one's features and do not ask.
    s.send("220 scripted server");
    s.expect("USER ");
    s.send("331 password please");
    s.expect("PASS ");
    s.send("230 logged in");
    let mut cwd = "/".to_string();
    let resolve = |cwd: &str, arg: &str| -> String {
        let path = if arg.starts_with('/') {
            arg.to_string()
        } else if cwd == "/" {
            format!("/{arg}")
        } else {
            format!("{cwd}/{arg}")
        };
        let trimmed = path.trim_end_matches('/');
        if trimmed.is_empty() { "/".to_string() } else { trimmed.to_string() }
    };
    let folder = |path: &str| folders.iter().find(|(p, _)| *p == path).map(|(_, l)| l.clone());
    let file = |path: &str| files.iter().find(|(p, _)| *p == path).map(|(_, d)| d.clone());
    while let Some(line) = s.read_line() {
        let line = String::from_utf8_lossy(&line).into_owned();
        let (verb, arg) = line.split_once(' ').unwrap_or((&line, ""));
        let verb = verb.to_ascii_uppercase();
        match verb.as_str() {
            "FEAT" => s.send("211 No features"),
            "PWD" => s.send(&format!("257 \"{cwd}\" is the current directory")),
            "CWD" => {
                let target = resolve(&cwd, arg);
                if target == "/" || folder(&target).is_some() {
                    cwd = target;
                    s.send("250 Directory successfully changed.");
                } else {
                    s.send("550 Failed to change directory.");
                }
            }
            "TYPE" => s.send("200 Switching to Binary mode."),
            "SIZE" => match file(&resolve(&cwd, arg)) {
                Some(data) => s.send(&format!("213 {}", data.len())),
                None => s.send("550 Could not get file size."),
            },
            "EPSV" => {
                let port = s.listen_passive();
                s.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
            }
            "LIST" => {
                thread::sleep(list_delay);
                let target = if arg.is_empty() { cwd.clone() } else { resolve(&cwd, arg) };
                s.send("150 Here comes the directory listing.");
                let mut data = s.accept_data();
                let sent = match folder(&target) {
                    // vsftpd: a path that does not exist lists as nothing.
                    None => Ok(()),
                    Some(Listing::Lines(lines)) => {
                        lines.iter().try_for_each(|l| data.write_all(format!("{l}\r\n").as_bytes()))
                    }
                    Some(Listing::Endless(limit)) => write_endless_listing(&mut data, limit),
                };
                drop(data);
                match sent {
                    Ok(()) => s.send("226 Directory send OK."),
                    Err(_) => s.send("426 Failure writing network stream."),
                }
            }
            "RETR" => match file(&resolve(&cwd, arg)) {
                Some(contents) => {
                    s.send(&format!("150 Opening BINARY mode data connection for {arg} ({} bytes).", contents.len()));
                    let mut data = s.accept_data();
                    data.write_all(&contents).unwrap();
                    drop(data);
                    s.send("226 Transfer complete.");
                }
                None => s.send("550 Failed to open file."),
            },
            "NOOP" => s.send("200 NOOP ok."),
            "QUIT" => {
                s.send("221 Goodbye.");
                return;
            }
            // ABOR, possibly after the Telnet IP and Synch bytes.
            _ if verb.ends_with("ABOR") => s.send("225 No transfer to ABOR."),
            _ => s.send("500 Unknown command."),
        }
    }
}

/// Unix listing lines of distinct files, until `limit` bytes were sent or
/// the client closed the data connection.
pub fn write_endless_listing(data: &mut std::net::TcpStream, limit: u64) -> std::io::Result<()> {
    let mut sent = 0u64;
    let mut chunk = String::new();
    let mut i = 0u64;
    while sent < limit {
        chunk.clear();
        for _ in 0..1000 {
            i += 1;
            chunk.push_str(&format!("-rw-r--r--    1 ftp      ftp          1234 Nov 26 03:47 file-{i:012}.dat\r\n"));
        }
        data.write_all(chunk.as_bytes())?;
        sent += chunk.len() as u64;
    }
    Ok(())
}

/// Sends `data` for a RETR on the passive connection, then `226`.
pub fn send_file(s: &mut Session, preliminary: &str, data: &[u8]) -> Option<String> {
    s.send(preliminary);
    let mut stream = s.accept_data();
    stream.write_all(data).unwrap();
    drop(stream);
    Some("226 Transfer complete".into())
}

/// Answers RETR and ABOR for a download that never ends: RETR sends 1000
/// bytes and holds the data connection open (`held`) after telling
/// `started`, so the client waits until it is interrupted; ABOR lets the
/// connection go. `None` for any other command.
pub fn retr_held_until_abor(
    s: &mut Session,
    verb: &str,
    held: &mut Option<TcpStream>,
    started: &std::sync::atomic::AtomicBool,
) -> Option<String> {
    if verb == "RETR" {
        s.send("150 sending (100000 bytes)");
        let mut data = s.accept_data();
        data.write_all(&[b'x'; 1000]).unwrap();
        *held = Some(data);
        started.store(true, std::sync::atomic::Ordering::SeqCst);
        return Some(String::new());
    }
    if verb.ends_with("ABOR") {
        *held = None;
        return Some("426 aborted\r\n226 ABOR ok".into());
    }
    None
}

/// A scripted server for clients that open several connections at once (a
/// batch): `script` runs on every connection, each on a thread of its own,
/// and is told which connection it is (1 for the first accepted).
pub struct ScriptedServers {
    pub port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: JoinHandle<Vec<(usize, Vec<Vec<u8>>)>>,
}

impl ScriptedServers {
    /// Starts accepting connections on a loopback port, until `finish`.
    pub fn start(script: impl Fn(usize, &mut Session) + Send + Sync + 'static) -> ScriptedServers {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let script = Arc::new(script);
        let handle = thread::spawn(move || {
            let mut sessions = Vec::new();
            for (number, stream) in (1..).zip(listener.incoming()) {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let script = Arc::clone(&script);
                sessions.push(thread::spawn(move || {
                    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                    let mut session = Session::over(stream);
                    script(number, &mut session);
                    (number, session.received)
                }));
            }
            sessions
                .into_iter()
                .map(|session| session.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        });
        ScriptedServers { port, stop, handle }
    }

    /// Stops accepting, waits for every connection's script to end, and
    /// returns each connection's number and the command lines it received,
    /// in the order they were accepted.
    pub fn finish(self) -> Vec<(usize, Vec<String>)> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accept loop so that it sees the stop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        match self.handle.join() {
            Ok(sessions) => sessions
                .into_iter()
                .map(|(n, lines)| (n, lines.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect()))
                .collect(),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// One connection's script, for [`ScriptedServer::start_each`].
pub type Script = Box<dyn FnOnce(&mut Session) + Send>;

/// The line [`ScriptedServer::start_each`] puts before each new
/// connection's commands in what `finish` returns.
pub const NEW_CONNECTION: &str = "-- new connection";

impl ScriptedServer {
    /// Starts a server that runs `scripts` in turn, each on the next
    /// connection (a client that reconnects, or tries again); `finish`
    /// returns every command received, each connection's after a
    /// [`NEW_CONNECTION`] line.
    pub fn start_each(scripts: Vec<Script>) -> ScriptedServer {
        ScriptedServer::start_each_on(TcpListener::bind("127.0.0.1:0").expect("binds"), scripts)
    }

    /// [`ScriptedServer::start_each`] on a listener of the test's choosing.
    pub fn start_each_on(listener: TcpListener, scripts: Vec<Script>) -> ScriptedServer {
        let port = listener.local_addr().unwrap().port();
        let handle = thread::spawn(move || {
            let mut received = Vec::new();
            for (number, script) in scripts.into_iter().enumerate() {
                // Bounded, so that a client that never comes back fails the
                // test instead of hanging it.
                let stream = accept_within(&listener, Duration::from_secs(20))
                    .unwrap_or_else(|| panic!("the client never made connection {}", number + 1));
                stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                let mut session = Session::over(stream);
                script(&mut session);
                received.push(NEW_CONNECTION.as_bytes().to_vec());
                received.append(&mut session.received);
            }
            received
        });
        ScriptedServer { port, handle }
    }
}

/// The next connection to `listener`, or `None` after `wait`.
fn accept_within(listener: &TcpListener, wait: Duration) -> Option<TcpStream> {
    listener.set_nonblocking(true).unwrap();
    let end = std::time::Instant::now() + wait;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).unwrap();
                return Some(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && std::time::Instant::now() < end => {
                thread::sleep(Duration::from_millis(10));
            }
            Err(_) => return None,
        }
    }
}

/// The files a [`serve_with_checksums`] server holds, by name (no leading `/`).
pub type Files = std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, Vec<u8>>>>;

/// A store of `files` for [`serve_with_checksums`].
pub fn files(files: &[(&str, &[u8])]) -> Files {
    let map = files.iter().map(|(name, data)| (name.to_string(), data.to_vec())).collect();
    std::sync::Arc::new(std::sync::Mutex::new(map))
}

/// Serves one connection that holds `files` (SIZE, RETR and STOR of them)
/// and announces `features` in FEAT (none: FEAT is refused), until QUIT.
/// Every command goes to `answer` (the line and the files) first: its
/// reply, or `None` for what this server does by default, which is `500
/// Unknown command.` for any command but those above, the login's, TYPE,
/// PWD, EPSV and NOOP.
pub fn serve_with_checksums(
    s: &mut Session,
    features: &[&str],
    files: Files,
    mut answer: impl FnMut(&str, &Files) -> Option<String>,
) {
    let features: Vec<String> = features.iter().map(|f| f.to_string()).collect();
    serve_loosely(s, "220 scripted server", |s, line| {
        if let Some(reply) = answer(line, &files) {
            return Some(reply);
        }
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let name = arg.trim_start_matches('/').to_string();
        let held = || files.lock().unwrap().get(&name).cloned();
        match verb.to_ascii_uppercase().as_str() {
            "USER" | "PASS" | "TYPE" | "PWD" | "EPSV" | "NOOP" | "QUIT" => None,
            "FEAT" if features.is_empty() => Some("502 FEAT not implemented".into()),
            "FEAT" => {
                s.send("211-Features:");
                features.iter().for_each(|feature| s.send(&format!(" {feature}")));
                Some("211 End".into())
            }
            "SIZE" => Some(held().map_or("550 No such file.".into(), |data| format!("213 {}", data.len()))),
            "RETR" => match held() {
                Some(data) => send_file(s, "150 Opening BINARY mode data connection", &data),
                None => Some("550 No such file.".into()),
            },
            "STOR" => {
                s.send("150 Ok to send data.");
                let data = Session::read_all(&mut s.accept_data());
                files.lock().unwrap().insert(name, data);
                Some("226 Transfer complete.".into())
            }
            _ => Some("500 Unknown command.".into()),
        }
    });
}

/// The checksum of `data` in lower-case hex with `algorithm` as the HASH
/// draft names it (`SHA-256`, `SHA-1`, `MD5`, `CRC32`).
pub fn digest_hex(algorithm: &str, data: &[u8]) -> String {
    use md5::Digest;
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    match algorithm {
        "SHA-256" => hex(ring::digest::digest(&ring::digest::SHA256, data).as_ref()),
        "SHA-1" => hex(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data).as_ref()),
        "MD5" => hex(&md5::Md5::digest(data)),
        "CRC32" => format!("{:08x}", crc32fast::hash(data)),
        other => panic!("no algorithm {other}"),
    }
}

impl Session {
    /// Whether the client sent anything more (beyond what was read) within
    /// `wait`: a client that waits for a reply sends nothing meanwhile.
    pub fn sent_more_within(&mut self, wait: Duration) -> bool {
        if !self.reader.buffer().is_empty() {
            return true;
        }
        self.reader.get_ref().set_read_timeout(Some(wait)).unwrap();
        let more = matches!(self.reader.fill_buf(), Ok(bytes) if !bytes.is_empty());
        self.reader.get_ref().set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        more
    }
}
