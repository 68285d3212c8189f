//! Every wait for the server is bounded by the timeout as a whole, not read
//! by read: replies that never end (endless 1xx runs, endless multi-line
//! replies, a trickled greeting), a TLS handshake, data close or CCC the
//! server drags out, and data connections that trickle (the stall rule).
//! And bytes pipelined after the `234` to AUTH TLS end the session, never to
//! be read as replies.
//!
//! Each client call runs on its own thread and must return within a bound,
//! so that a regression fails here instead of hanging the test run.

mod common;
mod scripted;

use std::io::{Cursor, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use common::read_line_bytewise;
use common::sandbox::{Sandbox, run_within, text};
use rftp::protocol::{Client, Error, Options, TlsMode, TlsOptions};
use scripted::{ScriptedServer, Session, greet_and_answer_until};

/// Runs `call` on its own thread; panics if it has not returned within `bound`.
fn within<T: Send + 'static>(bound: Duration, call: impl FnOnce() -> T + Send + 'static) -> (T, Duration) {
    let (sender, receiver) = mpsc::channel();
    let start = Instant::now();
    thread::spawn(move || {
        let _ = sender.send(call());
    });
    match receiver.recv_timeout(bound) {
        Ok(value) => (value, start.elapsed()),
        Err(_) => panic!("still waiting for the server after {bound:?}: the wait is not bounded"),
    }
}

fn options(timeout: Duration) -> Options {
    Options { timeout, connect_timeout: timeout, telnet_abort: false, ..Options::default() }
}

fn logged_in(port: u16, timeout: Duration) -> Client {
    let mut client = Client::connect_with("127.0.0.1", port, options(timeout)).expect("connects");
    client.login("user", "pass", None).expect("logs in");
    client
}

/// Writes `bytes` every `every` until the peer hangs up or `limit` passed.
fn keep_sending(mut to: impl Write, bytes: &[u8], every: Duration, limit: Duration) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if to.write_all(bytes).and_then(|()| to.flush()).is_err() {
            return;
        }
        thread::sleep(every);
    }
}

/// Reads ABOR (after Telnet signals, if any) and answers it as vsftpd does.
fn answer_abort(s: &mut Session) {
    while let Some(line) = s.read_line() {
        if line.ends_with(b"ABOR") {
            s.send("426 transfer aborted");
            s.send("226 ABOR ok");
            return;
        }
    }
}

const LIMIT: Duration = Duration::from_secs(20);
const ONE_S: Duration = Duration::from_secs(1);
const TWO_S: Duration = Duration::from_secs(2);

#[test]
fn an_endless_run_of_preliminary_replies_times_out() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("SITE ");
        keep_sending(s.control().try_clone().unwrap(), b"150 still working\r\n", Duration::from_millis(100), LIMIT);
    });
    let mut client = logged_in(server.port, ONE_S);
    let (result, took) = within(3 * ONE_S, move || client.sendcmd("SITE SLOW"));
    let err = result.expect_err("never a final reply");
    assert!(matches!(&err, Error::Timeout { what, .. } if what.contains("SITE")), "{err:?}");
    assert!(took >= ONE_S, "{took:?}");
    server.finish();
}

#[test]
fn an_endless_run_of_preliminary_replies_after_retr_ends_the_binary() {
    let server = ScriptedServer::start(|s| {
        greet_and_answer_until(s, "RETR");
        s.send("150 here it comes");
        let mut data = s.accept_data();
        data.write_all(b"the data").unwrap();
        drop(data);
        keep_sending(s.control().try_clone().unwrap(), b"150 still working\r\n", Duration::from_millis(100), LIMIT);
    });
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{}/f.txt", server.port);
    let (out, _) = run_within(&sandbox, &["get", "--timeout", "2", &url, "-o", "f.txt"], 3 * TWO_S);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("RETR"), "{}", text(&out.stderr));
    server.finish();
}

#[test]
fn an_endless_multi_line_reply_times_out() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("STAT");
        s.send("211-status of the server");
        keep_sending(s.control().try_clone().unwrap(), b" one more line\r\n", Duration::from_millis(100), LIMIT);
    });
    let mut client = logged_in(server.port, ONE_S);
    let (result, _) = within(3 * ONE_S, move || client.sendcmd("STAT"));
    let err = result.expect_err("the reply never ends");
    assert!(err.to_string().contains("never ended") && err.to_string().contains("STAT"), "{err}");
    server.finish();
}

#[test]
fn a_greeting_that_trickles_forever_times_out() {
    let trickle = |s: &mut Session| {
        s.send("220-welcome");
        keep_sending(s.control().try_clone().unwrap(), b" and more\r\n", Duration::from_millis(100), LIMIT);
    };
    let server = ScriptedServer::start(trickle);
    let port = server.port;
    let (result, _) = within(3 * ONE_S, move || Client::connect_with("127.0.0.1", port, options(ONE_S)).map(drop));
    let err = result.expect_err("the greeting never ends");
    assert!(matches!(&err, Error::Timeout { what, .. } if what.contains("greeting")), "{err:?}");
    server.finish();

    let server = ScriptedServer::start(trickle);
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{}/", server.port);
    let (out, _) = run_within(&sandbox, &["ls", "--retries", "0", "--timeout", "2", &url], 3 * TWO_S);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("greeting"), "{}", text(&out.stderr));
    server.finish();
}

#[test]
fn ready_soon_replies_share_one_timeout() {
    let server = ScriptedServer::start(|s| {
        // Seven 120s, each well within the timeout, the 220 after all of them.
        for _ in 0..7 {
            s.send("120 ready in a moment");
            thread::sleep(Duration::from_millis(400));
        }
        s.send("220 ready");
        s.drain();
    });
    let port = server.port;
    let (result, took) = within(3 * ONE_S, move || Client::connect_with("127.0.0.1", port, options(ONE_S)).map(drop));
    let err = result.expect_err("the greeting took too long all told");
    assert!(matches!(&err, Error::Timeout { .. }), "{err:?}");
    assert!(took < TWO_S, "{took:?}");
    server.finish();
}

/// A download that sends one byte every 100 ms: every read is quick, the
/// transfer endless. The stall rule ends it.
fn trickle_download(s: &mut Session) {
    greet_and_answer_until(s, "RETR");
    s.send("150 here it comes, slowly");
    let data = s.accept_data();
    let trickle = thread::spawn(move || keep_sending(data, b"x", Duration::from_millis(100), LIMIT));
    answer_abort(s);
    s.drain();
    trickle.join().unwrap();
}

#[test]
fn a_trickling_data_connection_stalls() {
    let server = ScriptedServer::start(trickle_download);
    let mut client = logged_in(server.port, TWO_S);
    let (result, took) = within(3 * TWO_S, move || client.retrieve("f.bin", &mut Vec::new(), 0).map(|_| client));
    let err = result.err().expect("stalls");
    assert!(matches!(err, Error::Stalled { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("stalled") && message.contains("bytes in the last 2 s"), "{message}");
    assert!(message.contains("RETR f.bin"), "{message}");
    assert!(took >= TWO_S, "{took:?}");
    server.finish();

    let server = ScriptedServer::start(trickle_download);
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{}/f.bin", server.port);
    let (out, _) = run_within(&sandbox, &["get", "--retries", "0", "--timeout", "2", &url, "-o", "f.bin"], 3 * TWO_S);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("stalled"), "{}", text(&out.stderr));
    server.finish();
}

#[test]
fn a_slow_steady_download_with_pauses_is_no_stall() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 binary");
        s.answer_epsv();
        s.expect("RETR ");
        s.send("150 here it comes");
        let mut data = s.accept_data();
        // 2 KiB every 300 ms, and one pause of 1.5 s: 3.6 s in all.
        for i in 0..8 {
            data.write_all(&[b'x'; 2048]).unwrap();
            thread::sleep(Duration::from_millis(if i == 4 { 1500 } else { 300 }));
        }
        drop(data);
        s.send("226 done");
        s.drain();
    });
    let mut client = logged_in(server.port, TWO_S);
    let mut out = Vec::new();
    assert_eq!(client.retrieve("f.bin", &mut out, 0).expect("a slow link is no stall"), 8 * 2048);
    drop(client);
    server.finish();
}

#[test]
fn bytes_pipelined_after_234_end_the_session() {
    fn injecting_server() -> (u16, thread::JoinHandle<(Vec<u8>, bool)>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(LIMIT)).unwrap();
            tcp.write_all(b"220 hello\r\n").unwrap();
            let line = read_line_bytewise(&mut tcp);
            assert_eq!(line, b"AUTH TLS\r");
            // A man in the middle's answer to what comes next, in one write.
            tcp.write_all(b"234 go\r\n230 fake\r\n").unwrap();
            let mut after = Vec::new();
            let _ = tcp.read_to_end(&mut after);
            listener.set_nonblocking(true).unwrap();
            let another_connection = listener.accept().is_ok();
            (after, another_connection)
        });
        (port, server)
    }
    let (port, server) = injecting_server();
    let tls = TlsOptions { mode: TlsMode::Explicit, extra_ca: None, insecure: true, ..TlsOptions::default() };
    let options = Options { tls: Some(tls), ..options(TWO_S) };
    let (result, _) = within(3 * TWO_S, move || Client::connect_with("127.0.0.1", port, options).map(drop));
    let err = result.expect_err("refused");
    assert!(matches!(&err, Error::Protocol(m) if m.contains("AUTH TLS") && m.contains("man in the middle")), "{err:?}");
    let (after, another_connection) = server.join().unwrap();
    assert!(after.is_empty(), "no handshake was started: {after:?}");
    assert!(!another_connection, "the injection is not retried");

    let (port, server) = injecting_server();
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{port}/");
    let (out, _) = run_within(&sandbox, &["ls", "--tls", "--insecure", "--timeout", "2", &url], 3 * TWO_S);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("AUTH TLS"), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("fake"), "never read as a reply: {}", text(&out.stderr));
    server.join().unwrap();
}

mod tls {
    //! The TLS waits, against small rustls servers.
    use super::*;
    use rustls::{ServerConnection, StreamOwned};

    /// A server configuration with a fresh self-signed certificate (the
    /// client runs with `insecure`: these tests are about waiting).
    fn config() -> Arc<rustls::ServerConfig> {
        let key = rcgen::KeyPair::generate().unwrap();
        let certificate =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().self_signed(&key).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![certificate.der().clone()], key)
            .unwrap();
        Arc::new(config)
    }

    fn client_options(timeout: Duration) -> Options {
        let tls = TlsOptions { mode: TlsMode::Explicit, extra_ca: None, insecure: true, ..TlsOptions::default() };
        Options { tls: Some(tls), ..options(timeout) }
    }

    /// The server's side of an explicit FTPS control connection.
    struct Control {
        tls: StreamOwned<ServerConnection, TcpStream>,
        data: Option<TcpListener>,
        config: Arc<rustls::ServerConfig>,
    }

    impl Control {
        /// Greets in plain text, answers AUTH TLS, and goes on in TLS.
        fn accept(listener: &TcpListener, config: Arc<rustls::ServerConfig>) -> Control {
            let (mut tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(LIMIT)).unwrap();
            tcp.write_all(b"220 hello\r\n").unwrap();
            let line = read_line_bytewise(&mut tcp);
            assert_eq!(line, b"AUTH TLS\r");
            tcp.write_all(b"234 go ahead\r\n").unwrap();
            let connection = ServerConnection::new(Arc::clone(&config)).unwrap();
            Control { tls: StreamOwned::new(connection, tcp), data: None, config }
        }

        /// Reads one command line, a byte at a time (nothing read past it).
        fn read_line(&mut self) -> String {
            let line = read_line_bytewise(&mut self.tls);
            String::from_utf8_lossy(&line).trim_end().to_string()
        }

        fn send(&mut self, line: &str) {
            self.tls.write_all(format!("{line}\r\n").as_bytes()).unwrap();
            self.tls.flush().unwrap();
        }

        /// Answers each command with the reply on its line; EPSV opens a data port.
        fn answer(&mut self, script: &[(&str, &str)]) {
            for (verb, reply) in script {
                let line = self.read_line();
                assert!(line.starts_with(verb), "expected {verb}, got {line:?}");
                if *verb == "EPSV" {
                    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                    let port = listener.local_addr().unwrap().port();
                    self.data = Some(listener);
                    self.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
                } else {
                    self.send(reply);
                }
            }
        }

        fn login(&mut self) {
            self.answer(&[
                ("USER", "331 pass"),
                ("PASS", "230 in"),
                ("PBSZ", "200 PBSZ=0"),
                ("PROT", "200 protected"),
                ("FEAT", "502 no FEAT"),
            ]);
        }

        /// Accepts the data connection, TCP only.
        fn accept_data(&mut self) -> TcpStream {
            self.data.take().expect("EPSV first").accept().unwrap().0
        }

        fn server_connection(&self) -> ServerConnection {
            ServerConnection::new(Arc::clone(&self.config)).unwrap()
        }
    }

    fn start(script: impl FnOnce(Control) + Send + 'static) -> (u16, thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = config();
        let server = thread::spawn(move || script(Control::accept(&listener, config)));
        (port, server)
    }

    #[test]
    fn a_server_that_keeps_sending_after_our_close_notify_times_out() {
        let (port, server) = start(|mut control| {
            control.login();
            control.answer(&[("TYPE I", "200 binary"), ("EPSV", ""), ("STOR", "150 send it")]);
            let tcp = control.accept_data();
            let mut data = StreamOwned::new(control.server_connection(), tcp);
            let mut upload = Vec::new();
            data.read_to_end(&mut upload).unwrap();
            assert_eq!(upload, b"uploaded");
            control.send("226 stored");
            // No close_notify back: TLS records, on and on.
            keep_sending(&mut data, b"more", Duration::from_millis(50), LIMIT);
        });
        let mut client = Client::connect_with("127.0.0.1", port, client_options(ONE_S)).expect("connects");
        client.login("u", "p", None).unwrap();
        let (result, _) =
            within(3 * ONE_S, move || client.store("f.bin", &mut Cursor::new(b"uploaded"), 0).map(|_| client));
        let err = result.err().expect("the close never completes");
        assert!(matches!(&err, Error::Timeout { what, .. } if what.contains("went on sending")), "{err:?}");
        server.join().unwrap();
    }

    #[test]
    fn a_server_that_never_answers_the_close_notify_of_ccc_times_out() {
        let (port, server) = start(|mut control| {
            control.login();
            control.answer(&[("CCC", "200 CCC ok")]);
            // Neither a close_notify nor silence: TLS records, on and on.
            keep_sending(&mut control.tls, b"200 noise\r\n", Duration::from_millis(100), LIMIT);
        });
        let mut client = Client::connect_with("127.0.0.1", port, client_options(ONE_S)).expect("connects");
        client.login("u", "p", None).unwrap();
        let (result, _) = within(3 * ONE_S, move || client.voidcmd("CCC").map(|_| client));
        let err = result.err().expect("CCC never completes");
        assert!(matches!(&err, Error::Timeout { what, .. } if what.contains("CCC")), "{err:?}");
        server.join().unwrap();
    }

    #[test]
    fn a_tls_record_sent_a_byte_at_a_time_times_out() {
        let (port, server) = start(|mut control| {
            control.login();
            control.answer(&[("TYPE I", "200 binary"), ("EPSV", ""), ("RETR", "150 here it comes")]);
            let mut tcp = control.accept_data();
            let mut connection = control.server_connection();
            while connection.is_handshaking() {
                connection.complete_io(&mut tcp).unwrap();
            }
            connection.writer().write_all(&[b'x'; 4000]).unwrap();
            let mut record = Vec::new();
            while connection.wants_write() {
                connection.write_tls(&mut record).unwrap();
            }
            for byte in record {
                if tcp.write_all(&[byte]).is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(50));
            }
        });
        let mut client = Client::connect_with("127.0.0.1", port, client_options(ONE_S)).expect("connects");
        client.login("u", "p", None).unwrap();
        let (result, _) = within(3 * ONE_S, move || client.retrieve("f.bin", &mut Vec::new(), 0).map(|_| client));
        let err = result.err().expect("the record never completes");
        assert!(matches!(&err, Error::Timeout { .. }), "{err:?}");
        drop(server);
    }

    #[test]
    fn a_handshake_sent_a_byte_at_a_time_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            tcp.write_all(b"220 hello\r\n").unwrap();
            let mut command = [0u8; 10];
            tcp.read_exact(&mut command).unwrap();
            tcp.write_all(b"234 go ahead\r\n").unwrap();
            let mut hello = [0u8; 4096];
            assert!(tcp.read(&mut hello).unwrap() > 0, "a ClientHello");
            // The start of a handshake record, then a byte now and then.
            let _ = tcp.write_all(&[22, 3, 3, 0x40, 0]);
            keep_sending(tcp, &[0], Duration::from_millis(100), LIMIT);
        });
        let (result, _) =
            within(3 * ONE_S, move || Client::connect_with("127.0.0.1", port, client_options(ONE_S)).map(drop));
        let err = result.expect_err("the handshake never completes");
        assert!(matches!(&err, Error::Timeout { what, .. } if what.contains("TLS handshake")), "{err:?}");
        server.join().unwrap();
    }
}
