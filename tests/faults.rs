//! The protocol module against a scripted server doing what real servers
//! rarely do: odd replies, refusals, dropped connections, silence, and the
//! exact bytes of ABOR and debug output.

mod scripted;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rftp::protocol::{Client, Command, DebugLevel, Error, Options, TransferType};
use scripted::{ScriptedServer, Session};

fn connect(server: &ScriptedServer) -> Client {
    Client::connect("127.0.0.1", server.port).expect("connects")
}

fn connect_with_timeout(server: &ScriptedServer, timeout: Duration) -> Client {
    let options = Options { timeout, ..Options::default() };
    Client::connect_with("127.0.0.1", server.port, options).expect("connects")
}

fn logged_in(server: &ScriptedServer) -> Client {
    let mut client = connect(server);
    client.login("user", "pass", None).expect("logs in");
    client
}

/// Serves one RETR on an EPSV data connection: `reply` first, then `data`.
/// Returns the data connection, still open.
fn serve_retr(s: &mut Session, preliminary: &str, data: &[u8]) -> std::net::TcpStream {
    s.answer_epsv();
    s.expect("RETR ");
    s.send(preliminary);
    let mut stream = s.accept_data();
    stream.write_all(data).unwrap();
    stream
}

#[test]
fn multi_line_greeting_with_tricky_lines() {
    let server = ScriptedServer::start(|s| {
        s.send_raw(
            b"220-Welcome\r\n220-still the greeting\r\n123 digits in between\r\n 220 indented\r\n220 last line\r\n",
        );
        s.drain();
    });
    let client = connect(&server);
    assert_eq!(client.welcome().lines().len(), 5);
    assert_eq!(client.welcome().lines()[4], "220 last line");
    client.close();
    server.finish();
}

#[test]
fn ready_in_minutes_then_ready() {
    let server = ScriptedServer::start(|s| {
        s.send("120 ready in 1 minute");
        thread::sleep(Duration::from_millis(100));
        s.send("220 ready now");
        s.drain();
    });
    let client = connect(&server);
    assert_eq!(client.welcome().code().as_u16(), 220);
    assert_eq!(client.welcome().message(), "ready now");
    client.close();
    server.finish();
}

#[test]
fn a_421_greeting_is_a_temporary_error() {
    let server = ScriptedServer::start(|s| s.send("421 too many users, try later"));
    let err = Client::connect("127.0.0.1", server.port).err().expect("refused");
    assert!(matches!(&err, Error::Temporary { reply: r, .. } if r.code().as_u16() == 421), "{err:?}");
    assert!(err.to_string().contains("too many users"), "{err}");
    server.finish();
}

#[test]
fn epsv_refused_falls_back_to_pasv_ignoring_its_address_and_remembers() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        for data in [&b"first"[..], b"second"] {
            if data == b"first" {
                s.expect("EPSV");
                s.send("500 EPSV not understood");
                // Sent with EPSV in one write, RETR comes at once, and is
                // refused as vsftpd refuses a transfer without PASV or PORT.
                s.expect("RETR ");
                s.send("425 Use PORT or PASV first.");
            }
            s.expect("PASV");
            let port = s.listen_passive();
            // A foreign address: the client must connect to us, not there.
            s.send(&format!("227 Entering Passive Mode (10,9,8,7,{},{})", port >> 8, port & 0xff));
            s.expect("RETR ");
            s.send("150 here it comes");
            s.accept_data().write_all(data).unwrap();
            s.send("226 done");
        }
        s.drain();
    });
    let mut client = logged_in(&server);
    for expected in [&b"first"[..], b"second"] {
        let mut out = Vec::new();
        client.retrieve("f", &mut out, 0).unwrap();
        assert_eq!(out, expected);
    }
    client.close();
    let received = server.finish();
    assert_eq!(received.iter().filter(|l| *l == "EPSV").count(), 1, "{received:?}");
}

#[test]
fn malformed_passive_replies_are_protocol_errors() {
    for reply in
        ["229 Entering Extended Passive Mode (|||0|)", "229 no port here", "227 Entering Passive Mode (127,0,0,1,0,0)"]
    {
        let server = ScriptedServer::start(move |s| {
            s.greet_login_binary();
            if reply.starts_with("227") {
                s.expect("EPSV");
                s.send("502 no");
                s.expect("RETR ");
                s.send("425 Use PORT or PASV first.");
                s.expect("PASV");
            } else {
                s.expect("EPSV");
            }
            s.send(reply);
            s.drain();
        });
        let mut client = logged_in(&server);
        let err = client.retrieve("f", &mut Vec::new(), 0).unwrap_err();
        assert!(matches!(&err, Error::Protocol(m) if m.contains(&reply[4..])), "{reply}: {err:?}");
        client.close();
        server.finish();
    }
}

#[test]
fn size_announced_in_the_150_reply() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        serve_retr(s, "150 Opening BINARY mode data connection for f (5 bytes).", b"12345");
        s.send("226 done");
        s.drain();
    });
    let mut client = logged_in(&server);
    let mut transfer = client.transfer(&Command::with_arg("RETR", "f").unwrap(), 0).unwrap();
    assert_eq!(transfer.expected_size(), Some(5));
    let mut data = Vec::new();
    transfer.read_to_end(&mut data).unwrap();
    assert_eq!(data, b"12345");
    assert_eq!(transfer.finish().unwrap().code().as_u16(), 226);
    client.close();
    server.finish();
}

#[test]
fn fewer_bytes_than_announced_is_an_incomplete_transfer() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        serve_retr(s, "150 Opening data connection for f (10 bytes).", b"12345");
        s.send("226 done, honestly");
        s.drain();
    });
    let mut client = logged_in(&server);
    let err = client.retrieve("f", &mut Vec::new(), 0).unwrap_err();
    assert!(matches!(err, Error::Incomplete { received: 5, expected: 10 }), "{err:?}");
    client.close();
    server.finish();
}

#[test]
fn final_reply_before_the_data() {
    let payload: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    let sent = payload.clone();
    let server = ScriptedServer::start(move |s| {
        s.greet_login_binary();
        s.answer_epsv();
        s.expect("RETR ");
        s.send("150 go");
        s.send("226 transfer complete");
        thread::sleep(Duration::from_millis(50));
        s.accept_data().write_all(&sent).unwrap();
        s.expect("NOOP");
        s.send("200 ok");
        s.drain();
    });
    let mut client = logged_in(&server);
    let mut out = Vec::new();
    client.retrieve("f", &mut out, 0).unwrap();
    assert_eq!(out, payload);
    assert_eq!(client.noop().unwrap().message(), "ok", "the session is in step");
    client.close();
    server.finish();
}

#[test]
fn completion_without_a_preliminary_reply() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        serve_retr(s, "226 here you are, all at once", b"quick");
        s.expect("NOOP");
        s.send("200 ok");
        s.drain();
    });
    let mut client = logged_in(&server);
    let mut out = Vec::new();
    client.retrieve("f", &mut out, 0).unwrap();
    assert_eq!(out, b"quick");
    assert_eq!(client.noop().unwrap().message(), "ok", "the session is in step");
    client.close();
    server.finish();
}

#[test]
fn data_connection_dropped_mid_transfer_reports_the_servers_reply() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        serve_retr(s, "150 go", b"half of it");
        s.send("426 Connection closed; transfer aborted.");
        s.expect("NOOP");
        s.send("200 still here");
        s.drain();
    });
    let mut client = logged_in(&server);
    let mut out = Vec::new();
    let err = client.retrieve("f", &mut out, 0).unwrap_err();
    assert!(matches!(&err, Error::Temporary { reply: r, .. } if r.code().as_u16() == 426), "{err:?}");
    assert!(err.to_string().contains("transfer aborted"), "{err}");
    assert_eq!(out, b"half of it");
    assert_eq!(client.noop().unwrap().message(), "still here");
    client.close();
    server.finish();
}

#[test]
fn control_connection_dropped_mid_transfer() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        serve_retr(s, "150 go", b"some data");
        s.hang_up();
    });
    let mut client = logged_in(&server);
    let err = client.retrieve("f", &mut Vec::new(), 0).unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed(_)), "{err:?}");
    assert!(!client.is_connected());
    assert!(matches!(client.pwd(), Err(Error::SessionLost(_))));
    server.finish();
}

#[test]
fn a_421_closes_the_session() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("NOOP");
        s.send("421 Idle timeout, closing control connection.");
        s.hang_up();
    });
    let mut client = logged_in(&server);
    let err = client.noop().unwrap_err();
    assert!(matches!(&err, Error::Temporary { reply: r, .. } if r.code().as_u16() == 421), "{err:?}");
    assert!(!client.is_connected());
    assert!(matches!(client.noop(), Err(Error::SessionLost(_))));
    server.finish();
}

#[test]
fn an_endless_line_is_an_error_not_a_memory_hog() {
    let server = ScriptedServer::start(|s| {
        s.send_raw(b"220 ");
        let chunk = [b'x'; 64 * 1024];
        for _ in 0..64 {
            s.send_raw(&chunk);
        }
    });
    let err = Client::connect("127.0.0.1", server.port).err().expect("fails");
    assert!(matches!(&err, Error::Protocol(m) if m.contains("longer than")), "{err:?}");
    server.finish();
}

#[test]
fn a_reply_without_a_code_is_a_protocol_error() {
    let server = ScriptedServer::start(|s| {
        s.send("220 hi");
        s.expect("USER ");
        s.send("Hello there, no code here");
        s.drain();
    });
    let mut client = connect(&server);
    let err = client.login("u", "p", None).unwrap_err();
    assert!(matches!(&err, Error::Protocol(m) if m.contains("Hello there")), "{err:?}");
    client.close();
    server.finish();
}

#[test]
fn silence_is_a_timeout_not_a_hang() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("NOOP");
        s.drain();
    });
    let mut client = connect_with_timeout(&server, Duration::from_millis(300));
    client.login("u", "p", None).unwrap();
    let started = Instant::now();
    let err = client.noop().unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    client.close();
    server.finish();
}

#[test]
fn a_silent_data_connection_times_out() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        let _open_but_silent = serve_retr(s, "150 go", b"a little, then nothing");
        let abort = s.read_line().expect("the client aborts");
        assert!(abort.ends_with(b"ABOR"), "{abort:?}");
        s.send("426 Transfer aborted.");
        s.send("226 ABOR successful.");
        s.expect("NOOP");
        s.send("200 ok");
        s.drain();
    });
    let mut client = connect_with_timeout(&server, Duration::from_millis(300));
    client.login("u", "p", None).unwrap();
    let started = Instant::now();
    let err = client.retrieve("f", &mut Vec::new(), 0).unwrap_err();
    assert!(matches!(&err, Error::Timeout { what, .. } if what.contains("data connection")), "{err:?}");
    assert_eq!(client.noop().unwrap().message(), "ok", "the session is in step");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    client.close();
    server.finish();
}

#[test]
fn cr_lf_injection_is_refused_before_anything_is_sent() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("NOOP");
        s.send("200 ok");
        s.drain();
    });
    let mut client = logged_in(&server);
    let attempts = [
        client.retrieve("a\r\nDELE b", &mut Vec::new(), 0).unwrap_err(),
        client.cwd("x\ny").unwrap_err(),
        client.rename("ok", "evil\rname").unwrap_err(),
        client.delete("nul\0byte").unwrap_err(),
        client.sendcmd("NOOP\r\nDELE x").unwrap_err(),
    ];
    for err in &attempts {
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    }
    assert_eq!(client.noop().unwrap().message(), "ok", "the session is in step");
    client.close();
    // Nothing but the login (and its FEAT) and the NOOP reached the server.
    let received = server.finish();
    assert_eq!(received.len(), 4, "{received:?}");
    assert_eq!(received[3], "NOOP");
}

fn collect_debug(client: &mut Client, level: DebugLevel) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    client.set_debug(level, Some(Box::new(move |l: &str| sink.lock().unwrap().push(l.to_string()))));
    lines
}

#[test]
fn passwords_are_masked_in_debug_output() {
    for level in [DebugLevel::Commands, DebugLevel::Lines] {
        let server = ScriptedServer::start(|s| {
            s.send("220 hi");
            s.expect("USER bob");
            s.send("331 password");
            s.expect("PASS hunter2");
            s.send("332 account");
            s.expect("ACCT acct-secret");
            s.send("230 in");
            s.answer_feat(&[]);
            s.expect("PASS again-secret");
            s.send("503 already logged in");
            s.drain();
        });
        let mut client = connect(&server);
        let lines = collect_debug(&mut client, level);
        client.login("bob", "hunter2", Some("acct-secret")).unwrap();
        client.sendcmd("PASS again-secret").unwrap_err();
        client.close();
        server.finish();
        let lines = lines.lock().unwrap();
        let all = lines.join("\n");
        for secret in ["hunter2", "acct-secret", "again-secret"] {
            assert!(!all.contains(secret), "{secret} leaked at {level:?}:\n{all}");
        }
        assert!(all.contains("USER bob") && all.contains("PASS ****") && all.contains("ACCT ****"), "{all}");
        assert!(all.contains("230 in") && all.contains("503 already"), "{all}");
    }
}

#[test]
fn debug_level_two_shows_every_line_of_a_reply() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("FEAT");
        s.send_raw(b"211-Features:\r\n MDTM\r\n SIZE\r\n EPSV\r\n211 End\r\n");
        s.drain();
    });
    let mut client = logged_in(&server);
    let lines = collect_debug(&mut client, DebugLevel::Lines);
    let features = client.feat().unwrap();
    assert!(features.has("SIZE") && features.has("epsv") && !features.has("MLST"));
    client.close();
    server.finish();
    let lines = lines.lock().unwrap();
    assert_eq!(lines.iter().filter(|l| l.starts_with("*get*")).count(), 5, "{lines:?}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("*put*")).count(), 1, "{lines:?}");
}

#[test]
fn anonymous_login_sends_user_at_hostname() {
    let server = ScriptedServer::start(|s| {
        s.send("220 hi");
        s.expect("USER anonymous");
        s.send("331 any password");
        s.expect("PASS ");
        s.send("230 welcome, guest");
        s.answer_feat(&[]);
        s.drain();
    });
    let mut client = connect(&server);
    // The caller (rftp's session layer) builds USER@hostname; the protocol sends it as given.
    client.login_anonymous("alice@client.example").unwrap();
    client.close();
    let received = server.finish();
    assert_eq!(received[1], "PASS alice@client.example");
    assert!(received[1].contains('@'), "{received:?}");
}

#[test]
fn login_with_230_straight_after_user() {
    let server = ScriptedServer::start(|s| {
        s.send("220 hi");
        s.expect("USER trusted");
        s.send("230 no password needed");
        s.answer_feat(&[]);
        s.drain();
    });
    let mut client = connect(&server);
    assert_eq!(client.login("trusted", "unused", None).unwrap().code().as_u16(), 230);
    client.close();
    assert!(!server.finish().iter().any(|line| line.starts_with("PASS")), "no PASS was sent");
}

/// A writer that aborts after the first chunk.
struct AbortOnFirstWrite(rftp::protocol::AbortHandle);

impl Write for AbortOnFirstWrite {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.abort();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Serves a RETR that never ends, then checks the abort sequence received.
fn serve_endless_retr_and_expect_abort(s: &mut Session) -> Vec<u8> {
    s.greet_login_binary();
    s.answer_epsv();
    s.expect("RETR ");
    s.send("150 here comes a lot");
    let mut data = s.accept_data();
    let writer = thread::spawn(move || while data.write_all(&[7u8; 65536]).is_ok() {});
    let abort_line = s.read_line().expect("abort sequence");
    writer.join().unwrap();
    s.send("426 Transfer aborted.");
    s.send("226 ABOR successful.");
    s.expect("NOOP");
    s.send("200 ok");
    s.drain();
    abort_line
}

#[test]
fn abort_sends_telnet_ip_and_synch_as_urgent_data_then_abor() {
    let server = ScriptedServer::start(|s| {
        let line = serve_endless_retr_and_expect_abort(s);
        // IAC IP, IAC, DM, ABOR were sent, the second IAC as urgent data: a
        // socket without SO_OOBINLINE takes the urgent byte out of the stream,
        // so its absence here shows it was sent as urgent.
        assert_eq!(line, b"\xff\xf4\xf2ABOR");
    });
    let mut client = logged_in(&server);
    let handle = client.abort_handle();
    let err = client.retrieve("endless", &mut AbortOnFirstWrite(handle), 0).unwrap_err();
    assert!(matches!(err, Error::Aborted), "{err:?}");
    assert_eq!(client.noop().unwrap().message(), "ok", "the session is in step");
    client.close();
    server.finish();
}

#[test]
fn abort_without_telnet_sends_a_plain_abor() {
    let server = ScriptedServer::start(|s| {
        let line = serve_endless_retr_and_expect_abort(s);
        assert_eq!(line, b"ABOR");
    });
    let mut client = logged_in(&server);
    client.set_telnet_abort(false);
    let handle = client.abort_handle();
    let err = client.retrieve("endless", &mut AbortOnFirstWrite(handle), 0).unwrap_err();
    assert!(matches!(err, Error::Aborted), "{err:?}");
    assert_eq!(client.noop().unwrap().message(), "ok", "the session is in step");
    client.close();
    server.finish();
}

#[test]
fn active_mode_falls_back_to_port_and_refuses_foreign_connections() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        let eprt = s.expect("EPRT |1|127.0.0.1|");
        let port: u16 = eprt.trim_end_matches('|').rsplit('|').next().unwrap().parse().unwrap();
        s.send("500 EPRT unknown");
        let expected_port = format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff);
        assert_eq!(s.expect("PORT "), expected_port, "PORT names the same listener");
        s.send("200 PORT ok");
        s.expect("RETR ");
        s.send("150 connecting");
        let client_addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        // An intruder from another address is turned away...
        let mut intruder = s.connect_data(client_addr, Some("127.0.0.2:0"));
        let _ = intruder.write_all(b"EVIL");
        // ...and the server's own connection is served.
        let mut data = s.connect_data(client_addr, None);
        data.write_all(b"genuine").unwrap();
        drop(data);
        s.send("226 done");
        // The second transfer goes straight to PORT.
        let port_line = s.expect("PORT ");
        let numbers: Vec<u16> = port_line[5..].split(',').map(|n| n.parse().unwrap()).collect();
        s.send("200 PORT ok");
        s.expect("LIST");
        s.send("150 listing");
        let mut data = s.connect_data(format!("127.0.0.1:{}", numbers[4] << 8 | numbers[5]).parse().unwrap(), None);
        data.write_all(b"line one\r\nline two\r\n").unwrap();
        drop(data);
        s.send("226 done");
        s.drain();
    });
    let mut client = logged_in(&server);
    client.set_passive(false);
    let mut out = Vec::new();
    client.retrieve("f", &mut out, 0).unwrap();
    assert_eq!(out, b"genuine");
    assert_eq!(client.list(None).unwrap(), ["line one", "line two"]);
    client.close();
    server.finish();
}

#[test]
fn ascii_mode_converts_line_endings_both_ways() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("TYPE A");
        s.send("200 ascii");
        serve_retr(s, "150 text", b"one\r\ntwo\r\nbare\rcr\r\n");
        s.send("226 done");
        s.answer_epsv();
        s.expect("STOR up.txt");
        s.send("150 send it");
        let mut data = s.accept_data();
        let uploaded = Session::read_all(&mut data);
        assert_eq!(uploaded, b"one\r\ntwo\r\nalready\r\n");
        s.send("226 stored");
        s.drain();
    });
    let mut client = logged_in(&server);
    client.set_transfer_type(TransferType::Ascii);
    let mut out = Vec::new();
    client.retrieve("f", &mut out, 0).unwrap();
    assert_eq!(out, b"one\ntwo\nbare\rcr\n");
    client.store("up.txt", &mut &b"one\ntwo\nalready\r\n"[..], 0).unwrap();
    client.close();
    server.finish();
}

#[test]
fn rest_refused_is_reported() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        s.answer_epsv();
        s.expect("REST 100");
        s.send("502 REST not implemented");
        s.drain();
    });
    let mut client = logged_in(&server);
    let err = client.retrieve("f", &mut Vec::new(), 100).unwrap_err();
    assert!(matches!(&err, Error::Permanent { reply: r, .. } if r.code().as_u16() == 502), "{err:?}");
    client.close();
    server.finish();
}

#[test]
fn pwd_and_mkd_decode_doubled_quotes_and_size_may_be_missing() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("PWD");
        s.send("257 \"/with \"\"quotes\"\"\" is current");
        s.expect("MKD new");
        s.send("257 Directory created.");
        s.expect("TYPE I");
        s.send("200 binary");
        s.expect("SIZE missing");
        s.send("502 SIZE not implemented");
        s.drain();
    });
    let mut client = logged_in(&server);
    assert_eq!(client.pwd().unwrap(), "/with \"quotes\"");
    assert_eq!(client.mkd("new").unwrap(), "new");
    assert_eq!(client.size("missing").unwrap(), None);
    client.close();
    server.finish();
}

fn serve_one_download(s: &mut Session) {
    s.greet_login_binary();
    serve_retr(s, "150 go", b"over the wire");
    s.send("226 done");
    s.drain();
}

#[test]
fn ipv6_literals_with_and_without_brackets() {
    for host in ["[::1]", "::1"] {
        let Ok(listener) = std::net::TcpListener::bind("[::1]:0") else {
            eprintln!("skipped: no IPv6 loopback here");
            return;
        };
        let server = ScriptedServer::start_on(listener, serve_one_download);
        let mut client = Client::connect(host, server.port).unwrap();
        assert!(client.peer_addr().is_ipv6());
        client.login("u", "p", None).unwrap();
        let mut out = Vec::new();
        client.retrieve("f", &mut out, 0).unwrap();
        assert_eq!(out, b"over the wire");
        client.close();
        server.finish();
    }
}

#[test]
fn host_names_are_resolved() {
    let server = ScriptedServer::start(serve_one_download);
    // "localhost" may resolve to ::1 first, where nothing listens: the next address is tried.
    let mut client = Client::connect("localhost", server.port).unwrap();
    client.login("u", "p", None).unwrap();
    let mut out = Vec::new();
    client.retrieve("f", &mut out, 0).unwrap();
    assert_eq!(out, b"over the wire");
    client.close();
    server.finish();
}

#[test]
fn connection_refused_is_an_io_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = Client::connect("127.0.0.1", port).err().expect("refused");
    assert!(
        matches!(&err, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::ConnectionRefused),
        "{err:?}"
    );
}

/// Replies a hostile or broken server might send, as raw bytes.
fn hostile_reply() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        "[0-9]{3}[ -][ -~]{0,20}\r\n".prop_map(String::into_bytes),
        "(227|229|257|150|213|211)[ -][ -~()|,0-9\"]{0,30}\r?\n".prop_map(String::into_bytes),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 48, ..Default::default() })]

    /// Whatever the server sends, every call returns, and none panics. EPSV
    /// gets a real port, so hostile replies and data also reach the transfer code.
    #[test]
    fn hostile_replies_never_panic(replies in proptest::collection::vec(hostile_reply(), 1..12), data in hostile_reply()) {
        let server = ScriptedServer::start(move |s| {
            s.send("220 hi");
            let mut replies = replies.iter();
            let mut data_port_open = false;
            while let Some(line) = s.read_line() {
                if line.starts_with(b"EPSV") {
                    let port = s.listen_passive();
                    s.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
                    data_port_open = true;
                    continue;
                }
                let Some(reply) = replies.next() else { break };
                s.send_raw(reply);
                if data_port_open {
                    data_port_open = false;
                    let mut stream = s.accept_data();
                    let _ = stream.write_all(&data);
                }
            }
            s.hang_up();
        });
        let options = Options { timeout: Duration::from_millis(200), ..Options::default() };
        if let Ok(mut client) = Client::connect_with("127.0.0.1", server.port, options) {
            let _ = client.login("u", "p", Some("a"));
            let _ = client.pwd();
            let _ = client.size("f");
            let _ = client.mdtm("f");
            let _ = client.feat();
            let _ = client.retrieve("f", &mut Vec::new(), 10);
            let _ = client.mlsd(None);
            client.close();
        }
        server.finish();
    }
}

#[test]
fn reply_classes_site_syst_and_a_polite_quit() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("SITE CHMOD 644 my file");
        s.send("200 SITE CHMOD command ok.");
        s.expect("SYST");
        s.send("215 UNIX Type: L8");
        s.expect("HELP");
        s.send_raw(b"214-The following commands are recognized.\r\n USER PASS\r\n214 Help OK.\r\n");
        s.expect("RNFR a");
        s.send("350 ready for RNTO");
        s.expect("NOOP");
        s.send("350 odd");
        s.expect("DELE locked");
        s.send("450 file busy");
        s.expect("QUIT");
        s.send("221 Goodbye.");
        s.drain();
    });
    let mut client = logged_in(&server);
    assert_eq!(client.site("CHMOD 644 my file").unwrap().code().as_u16(), 200);
    assert_eq!(client.syst().unwrap(), "UNIX Type: L8");
    let help = client.sendcmd("HELP").unwrap();
    assert_eq!((help.code().as_u16(), help.lines().len()), (214, 3));
    assert_eq!(client.sendcmd("RNFR a").unwrap().code().as_u16(), 350);
    let err = client.voidcmd("NOOP").unwrap_err();
    assert!(matches!(&err, Error::UnexpectedReply { reply, .. } if reply.code().as_u16() == 350), "{err:?}");
    let err = client.delete("locked").unwrap_err();
    assert!(matches!(&err, Error::Temporary { reply: r, .. } if r.message() == "file busy"), "{err:?}");
    assert_eq!(client.quit().unwrap().code().as_u16(), 221);
    server.finish();
}

#[test]
fn a_reset_data_connection_reports_the_servers_reply() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        let stream = serve_retr(s, "150 go", b"part");
        // SO_LINGER 0: the close sends RST, so the client's read fails.
        socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO)).unwrap();
        thread::sleep(Duration::from_millis(50));
        drop(stream);
        s.send("451 Local error: disk gone.");
        s.expect("NOOP");
        s.send("200 ok");
        s.drain();
    });
    let mut client = logged_in(&server);
    let err = client.retrieve("f", &mut Vec::new(), 0).unwrap_err();
    assert!(matches!(&err, Error::Temporary { reply, .. } if reply.code().as_u16() == 451), "{err:?}");
    assert!(err.to_string().contains("RETR f") && err.to_string().contains("disk gone"), "{err}");
    assert_eq!(client.noop().unwrap().message(), "ok");
    client.close();
    server.finish();
}

#[test]
fn a_preliminary_reply_to_a_plain_command_is_followed_to_the_end() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("SITE LONGJOB");
        s.send("150 starting");
        s.send("226 job done");
        s.expect("NOOP");
        s.send("200 ok");
        s.drain();
    });
    let mut client = logged_in(&server);
    assert_eq!(client.site("LONGJOB").unwrap().message(), "job done");
    assert_eq!(client.noop().unwrap().message(), "ok");
    client.close();
    server.finish();
}

#[test]
fn a_type_sent_by_hand_is_not_trusted_for_the_next_transfer() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        serve_retr(s, "150 go", b"one");
        s.send("226 done");
        s.expect("TYPE A");
        s.send("200 ascii, by hand");
        // The next binary download must switch back.
        s.expect("TYPE I");
        s.send("200 binary again");
        serve_retr(s, "150 go", b"two\r\n");
        s.send("226 done");
        s.drain();
    });
    let mut client = logged_in(&server);
    client.retrieve("f", &mut Vec::new(), 0).unwrap();
    client.voidcmd("TYPE A").unwrap();
    let mut out = Vec::new();
    client.retrieve("f", &mut out, 0).unwrap();
    assert_eq!(out, b"two\r\n", "bytes as they are");
    client.close();
    server.finish();
}

/// Answers EPRT for an active-mode transfer and returns the client's address.
fn answer_eprt(s: &mut Session) -> SocketAddr {
    let eprt = s.expect("EPRT |1|127.0.0.1|");
    let port: u16 = eprt.trim_end_matches('|').rsplit('|').next().unwrap().parse().unwrap();
    s.send("200 EPRT ok");
    format!("127.0.0.1:{port}").parse().unwrap()
}

#[test]
fn active_mode_gives_up_when_the_server_does() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        answer_eprt(s);
        s.expect("RETR ");
        s.send("150 connecting");
        thread::sleep(Duration::from_millis(100));
        s.send("425 Can't open data connection.");
        s.expect("NOOP");
        s.send("200 ok");
        s.drain();
    });
    let mut client = logged_in(&server);
    client.set_passive(false);
    let started = Instant::now();
    let err = client.retrieve("f", &mut Vec::new(), 0).unwrap_err();
    assert!(matches!(&err, Error::Temporary { reply, .. } if reply.code().as_u16() == 425), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "did not wait for the timeout: {:?}", started.elapsed());
    assert_eq!(client.noop().unwrap().message(), "ok");
    client.close();
    server.finish();
}

#[test]
fn active_mode_success_without_a_connection_is_not_an_empty_download() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        answer_eprt(s);
        s.expect("RETR ");
        s.send("226 Transfer complete (really?)");
        s.drain();
    });
    let mut client = logged_in(&server);
    client.set_passive(false);
    let err = client.retrieve("f", &mut Vec::new(), 0).unwrap_err();
    assert!(matches!(&err, Error::Protocol(m) if m.contains("never opened")), "{err:?}");
    client.close();
    server.finish();
}

#[test]
fn an_abort_asked_for_during_setup_happens_once_the_data_flows() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        s.answer_epsv();
        s.expect("RETR ");
        // Slow to start: the abort arrives before the 150.
        thread::sleep(Duration::from_millis(300));
        s.send("150 finally");
        let mut data = s.accept_data();
        let writer = thread::spawn(move || while data.write_all(&[1u8; 65536]).is_ok() {});
        let line = s.read_line().expect("ABOR");
        assert!(line.ends_with(b"ABOR"), "{line:?}");
        writer.join().unwrap();
        s.send("426 aborted");
        s.send("226 ABOR ok");
        s.expect("NOOP");
        s.send("200 ok");
        s.drain();
    });
    let mut client = logged_in(&server);
    let handle = client.abort_handle();
    let aborter = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        handle.abort()
    });
    let err = client.retrieve("f", &mut io_sink(), 0).unwrap_err();
    assert!(aborter.join().unwrap(), "the abort was taken");
    assert!(matches!(err, Error::Aborted), "{err:?}");
    assert_eq!(client.noop().unwrap().message(), "ok");
    client.close();
    server.finish();
}

fn io_sink() -> std::io::Sink {
    std::io::sink()
}
