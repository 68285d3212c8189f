//! FTPS against the embedded server with TLS on (explicit, AUTH TLS), using a
//! certificate made for the test and signed by a test CA: login, listings,
//! transfers byte for byte, certificate checks, PROT C, and refusing to fall
//! back to plain text. CI repeats the interop tests against pyftpdlib's and
//! vsftpd's TLS (`tests/interop.rs` with `RFTP_TEST_TLS`).

mod common;

use std::fs;
use std::io::Cursor;

use common::tls::{TlsServer, implicit_tls_server, make_certificates, rustls_server_config, tls_options, tls_server};
use common::{PASSWORD, USER, pattern, read_line_bytewise};
use rftp::protocol::{Client, Error, Options, TlsMode, TlsOptions};

fn connect(s: &TlsServer, host: &str, options: Options) -> rftp::protocol::Result<Client> {
    Client::connect_with(host, s.server.address().port(), options)
}

#[test]
fn explicit_ftps_logs_in_lists_and_moves_files_byte_for_byte() {
    let s = tls_server(true);
    for host in ["127.0.0.1", "localhost"] {
        let mut client = connect(&s, host, tls_options(Some(&s.certificates.ca), false)).unwrap();
        assert!(client.is_tls() && client.is_data_protected());
        client.login(USER, PASSWORD, None).unwrap();
        let data = pattern(3 * 1024 * 1024 + 7);
        let name = format!("secret-{host}.bin");
        client.store(&name, &mut Cursor::new(&data), 0).unwrap();
        assert_eq!(fs::read(s.server.root().join(&name)).unwrap(), data);
        let mut back = Vec::new();
        client.retrieve(&name, &mut back, 0).unwrap();
        assert_eq!(back, data);
        // The file paths too (sendfile and splice are for plain connections).
        let local = tempfile::NamedTempFile::new().unwrap();
        let mut file = fs::OpenOptions::new().write(true).open(local.path()).unwrap();
        client.retrieve_file(&name, &mut file, 0, &mut |_| {}).unwrap();
        assert_eq!(fs::read(local.path()).unwrap(), data);
        let mut file = fs::File::open(local.path()).unwrap();
        client.store_file("again.bin", &mut file, 0, &mut |_| {}).unwrap();
        assert_eq!(fs::read(s.server.root().join("again.bin")).unwrap(), data);
        assert!(client.nlst(None).unwrap().iter().any(|n| n.ends_with(&name)));
        client.quit().unwrap();
    }
}

#[test]
fn an_untrusted_certificate_is_refused_with_its_fingerprint() {
    let s = tls_server(true);
    let err = connect(&s, "127.0.0.1", tls_options(None, false)).err().expect("refused");
    let message = err.to_string();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert!(message.contains("certificate") && message.contains("SHA-256 fingerprint"), "{message}");
    // A name the certificate does not carry is refused too.
    let mut options = tls_options(Some(&s.certificates.ca), false);
    options.tls.as_mut().unwrap().extra_ca = Some(s.certificates.ca.clone());
    let wrong_name = Client::connect_with("127.0.0.2", s.server.address().port(), options);
    assert!(wrong_name.is_err(), "127.0.0.2 is not in the certificate");
}

#[test]
fn insecure_accepts_any_certificate() {
    let s = tls_server(true);
    let mut client = connect(&s, "127.0.0.1", tls_options(None, true)).unwrap();
    client.login(USER, PASSWORD, None).unwrap();
    client.noop().unwrap();
}

#[test]
fn a_server_without_tls_is_an_error_never_plain_text() {
    let s = tls_server(false);
    let err = connect(&s, "127.0.0.1", tls_options(Some(&s.certificates.ca), false)).err().expect("refused");
    assert!(matches!(&err, Error::Tls(m) if m.contains("refused TLS")), "{err:?}");
}

#[test]
fn prot_c_makes_data_connections_plain_again() {
    let s = tls_server(true);
    let mut client = connect(&s, "127.0.0.1", tls_options(Some(&s.certificates.ca), false)).unwrap();
    client.login(USER, PASSWORD, None).unwrap();
    client.voidcmd("PROT C").unwrap();
    assert!(!client.is_data_protected());
    client.store("plain.txt", &mut Cursor::new(b"in the clear"), 0).unwrap();
    let mut back = Vec::new();
    client.retrieve("plain.txt", &mut back, 0).unwrap();
    assert_eq!(back, b"in the clear");
    client.voidcmd("PROT P").unwrap();
    assert!(client.is_data_protected());
    client.retrieve("plain.txt", &mut Vec::new(), 0).unwrap();
}

mod binary {
    //! The same through the `rftp` binary: flags, URLs, shell commands, exit statuses.
    use super::*;
    use common::sandbox::{Sandbox, text};

    fn url(scheme: &str, s: &TlsServer, path: &str) -> String {
        format!("{scheme}://{USER}:{PASSWORD}@127.0.0.1:{}/{path}", s.server.address().port())
    }

    #[test]
    fn one_shot_with_tls_flag_and_ftpes_urls() {
        let s = tls_server(true);
        fs::write(s.server.root().join("f.txt"), b"over TLS").unwrap();
        let sandbox = Sandbox::new();
        let ca = s.certificates.ca.display().to_string();
        let out = sandbox.run(&["get", "--tls", "--cacert", &ca, &url("ftp", &s, "f.txt"), "-o", "-"], "");
        assert_eq!(out.stdout, b"over TLS", "{}", text(&out.stderr));
        let out = sandbox.run(&["get", "--cacert", &ca, &url("ftpes", &s, "f.txt"), "-o", "-"], "");
        assert_eq!(out.stdout, b"over TLS", "{}", text(&out.stderr));
        fs::write(sandbox.local.join("up.txt"), b"uploaded over TLS").unwrap();
        let out = sandbox.run(&["put", "--cacert", &ca, "up.txt", &url("ftpes", &s, "up.txt")], "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(fs::read(s.server.root().join("up.txt")).unwrap(), b"uploaded over TLS");
    }

    #[test]
    fn refused_certificates_and_missing_tls_exit_3() {
        let tls = tls_server(true);
        let sandbox = Sandbox::new();
        let out = sandbox.run(&["get", &url("ftpes", &tls, "f.txt"), "-o", "-"], "");
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("SHA-256 fingerprint"), "{}", text(&out.stderr));
        let out = sandbox.run(&["get", "--insecure", &url("ftpes", &tls, "missing"), "-o", "-"], "");
        assert_eq!(out.status.code(), Some(1), "insecure connects; the file is missing: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("--insecure"), "a warning is printed");
        let plain = tls_server(false);
        let ca = plain.certificates.ca.display().to_string();
        let out = sandbox.run(&["get", "--cacert", &ca, &url("ftpes", &plain, "f.txt"), "-o", "-"], "");
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("refused TLS"), "{}", text(&out.stderr));
    }

    /// `open --tls` chooses TLS for that session only; the extra connections
    /// of a parallel mget, and `get -r` from an ftpes:// URL, must use it too.
    /// The embedded server refuses plain-text logins, so a fall back fails.
    #[test]
    fn parallel_connections_keep_the_sessions_tls() {
        let s = tls_server(true);
        for i in 0..6 {
            fs::create_dir_all(s.server.root().join("tree")).unwrap();
            fs::write(s.server.root().join(format!("tree/f{i}.txt")), format!("file {i}")).unwrap();
        }
        let sandbox = Sandbox::new();
        let ca = s.certificates.ca.display().to_string();
        let script = format!(
            "open --tls 127.0.0.1 {port}\nuser {USER} {PASSWORD}\nparallel 3\ncd tree\nmget *\n",
            port = s.server.address().port()
        );
        let shell = sandbox.run(&["-n", "--cacert", &ca], &script);
        let one_shot =
            sandbox.run(&["get", "-r", "-j", "3", "--cacert", &ca, &url("ftpes", &s, "tree/"), "-o", "copy/"], "");
        for out in [shell, one_shot] {
            let stderr = text(&out.stderr);
            assert!(out.status.success(), "{stderr}");
            // A refused extra connection only costs speed, so the batch goes
            // on with one: the warning is the sign of a plain-text attempt.
            assert!(!stderr.contains("cannot open another connection"), "{stderr}");
        }
        for i in 0..6 {
            let expected = format!("file {i}");
            assert_eq!(fs::read_to_string(sandbox.local.join(format!("f{i}.txt"))).unwrap(), expected);
            assert_eq!(fs::read_to_string(sandbox.local.join(format!("copy/tree/f{i}.txt"))).unwrap(), expected);
        }
    }

    #[test]
    fn the_shell_opens_with_tls_and_switches_data_protection() {
        let s = tls_server(true);
        fs::write(s.server.root().join("f.txt"), b"shell over TLS").unwrap();
        let sandbox = Sandbox::new();
        let ca = s.certificates.ca.display().to_string();
        let script = format!(
            "open --tls 127.0.0.1 {port}\nuser {USER} {PASSWORD}\nstatus\nget f.txt -\nprot c\nstatus\nget f.txt -\nprot p\nget f.txt -\n",
            port = s.server.address().port()
        );
        let out = sandbox.run(&["-n", "--cacert", &ca], &script);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(stdout.contains("Control connection: encrypted; data connections: encrypted."), "{stdout}");
        assert!(stdout.contains("Control connection: encrypted; data connections: plain."), "{stdout}");
        assert_eq!(stdout.matches("shell over TLS").count(), 3, "{stdout}");
    }
}

/// Implicit FTPS: TLS from the first byte. The embedded server only does
/// explicit FTPS, so a few lines of server (`implicit_tls_server`) answer over rustls.
#[test]
fn implicit_ftps_speaks_tls_from_the_first_byte() {
    let dir = tempfile::tempdir().unwrap();
    let certificates = make_certificates(dir.path());
    let replies = vec!["331 password", "230 in", "200 PBSZ=0", "200 protected", "502 no FEAT", "221 bye"];
    let (port, server) = implicit_tls_server(&certificates, replies);
    let options = Options {
        tls: Some(TlsOptions {
            mode: TlsMode::Implicit,
            extra_ca: Some(certificates.ca.clone()),
            ..TlsOptions::default()
        }),
        ..Options::default()
    };
    let mut client = Client::connect_with("127.0.0.1", port, options).unwrap();
    assert!(client.is_tls() && client.is_data_protected());
    assert_eq!(client.welcome().message(), "implicit TLS here");
    client.login("u", "p", None).unwrap();
    client.quit().unwrap();
    let said = server.join().unwrap();
    assert_eq!(said, ["USER u", "PASS p", "PBSZ 0", "PROT P", "FEAT", "QUIT"], "no AUTH TLS in implicit mode");
}

#[test]
fn passwords_stay_masked_over_tls() {
    use std::sync::{Arc, Mutex};
    let s = tls_server(true);
    let mut client = connect(&s, "127.0.0.1", tls_options(Some(&s.certificates.ca), false)).unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    client.set_debug(
        rftp::protocol::DebugLevel::Commands,
        Some(Box::new(move |l: &str| sink.lock().unwrap().push(l.to_string()))),
    );
    client.login(USER, PASSWORD, None).unwrap();
    let logged = lines.lock().unwrap().join("\n");
    assert!(logged.contains("*note* TLS ") && logged.contains("PASS ****") && !logged.contains(PASSWORD), "{logged}");
}

#[test]
fn the_tls_handshake_is_logged_with_version_and_cipher() {
    let s = tls_server(true);
    let sandbox = common::sandbox::Sandbox::new();
    let ca = s.certificates.ca.display().to_string();
    let target = format!("ftpes://{USER}:{PASSWORD}@127.0.0.1:{}/", s.server.address().port());
    let out = sandbox.run(&["ls", "-d", "--cacert", &ca, &target], "");
    let stderr = common::sandbox::text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("*note* TLS TLSv1_3, TLS13_") || stderr.contains("*note* TLS TLSv1_2"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

/// CCC (RFC 4217 §12.3): after `200`, both sides close TLS and the control
/// connection goes on in plain text. libunftp and vsftpd do not implement
/// CCC, so a small rustls server plays the part.
#[test]
fn ccc_returns_the_control_connection_to_plain_text() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let certificates = make_certificates(dir.path());
    let config = rustls_server_config(&certificates);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.write_all(b"220 hello\r\n").unwrap();
        let mut plain = BufReader::new(tcp.try_clone().unwrap());
        let mut line = String::new();
        plain.read_line(&mut line).unwrap();
        assert_eq!(line.trim_end(), "AUTH TLS");
        tcp.write_all(b"234 go ahead\r\n").unwrap();
        let connection = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        let mut tls = rustls::StreamOwned::new(connection, tcp);
        let mut said = Vec::new();
        for reply in ["230 in", "200 PBSZ=0", "200 protected", "502 no FEAT", "200 CCC ok"] {
            let line = read_line_bytewise(&mut tls);
            said.push(String::from_utf8_lossy(&line).trim_end().to_string());
            tls.write_all(format!("{reply}\r\n").as_bytes()).unwrap();
            tls.flush().unwrap();
        }
        // CCC: close TLS both ways, then plain text.
        tls.conn.send_close_notify();
        tls.flush().unwrap();
        // The client's close_notify is fed to rustls one byte at a time, so
        // that rustls takes none of the plain text that may follow it in the
        // same segment.
        let (mut connection, mut tcp) = (tls.conn, tls.sock);
        let mut byte = [0u8; 1];
        while tcp.read(&mut byte).unwrap() == 1 {
            connection.read_tls(&mut &byte[..]).unwrap();
            if connection.process_new_packets().unwrap().peer_has_closed() {
                break;
            }
        }
        let mut plain = BufReader::new(tcp.try_clone().unwrap());
        let mut line = String::new();
        plain.read_line(&mut line).unwrap();
        said.push(line.trim_end().to_string());
        tcp.write_all(b"200 plain again\r\n").unwrap();
        said
    });
    let options = tls_options(Some(&certificates.ca), false);
    let mut client = Client::connect_with("127.0.0.1", port, options).unwrap();
    client.login("u", "p", None).unwrap();
    assert!(client.is_tls());
    client.voidcmd("CCC").unwrap();
    assert!(!client.is_tls());
    assert_eq!(client.noop().unwrap().message(), "plain again");
    let said = server.join().unwrap();
    assert_eq!(said, ["USER u", "PBSZ 0", "PROT P", "FEAT", "CCC", "NOOP"]);
}

#[test]
fn a_plain_text_answer_to_the_tls_handshake_gets_one_more_connection() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let certificates = make_certificates(dir.path());
    let config = Arc::new(rustls_server_config(&certificates));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let greet_and_auth = |tcp: &mut std::net::TcpStream| {
        tcp.write_all(b"220 hello\r\n").unwrap();
        let mut line = String::new();
        BufReader::new(tcp.try_clone().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim_end(), "AUTH TLS");
        tcp.write_all(b"234 go ahead\r\n").unwrap();
    };
    let server = std::thread::spawn(move || {
        // First connection: libunftp's race, the ClientHello read as a command.
        let (mut tcp, _) = listener.accept().unwrap();
        greet_and_auth(&mut tcp);
        let mut hello = [0u8; 5];
        tcp.read_exact(&mut hello).unwrap();
        assert_eq!(hello[0], 22, "a TLS handshake record");
        tcp.write_all(b"500 Unknown command\r\n").unwrap();
        let mut rest = Vec::new();
        let _ = tcp.read_to_end(&mut rest);
        // Second connection: as it should be.
        let (mut tcp, _) = listener.accept().unwrap();
        greet_and_auth(&mut tcp);
        let mut tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config).unwrap(), tcp);
        let mut said = Vec::new();
        for reply in ["230 in", "200 PBSZ=0", "200 protected", "502 no FEAT"] {
            let mut line = String::new();
            BufReader::new(&mut tls).read_line(&mut line).unwrap();
            said.push(line.trim_end().to_string());
            tls.write_all(format!("{reply}\r\n").as_bytes()).unwrap();
            tls.flush().unwrap();
        }
        said
    });
    let mut client = Client::connect_with("127.0.0.1", port, tls_options(Some(&certificates.ca), false)).unwrap();
    assert!(client.is_tls());
    client.login("u", "p", None).unwrap();
    assert_eq!(server.join().unwrap(), ["USER u", "PBSZ 0", "PROT P", "FEAT"]);
}
