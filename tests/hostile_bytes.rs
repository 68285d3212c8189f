//! Exit 0 only with exactly the right file: a hostile or broken server (or a
//! man in the middle) sends more bytes than announced, ignores REST, cuts a
//! TLS data connection while its real 226 still arrives, or says 226 to an
//! upload it never took. Each case through the protocol API and, where it
//! matters, through the `rftp` binary (exit status 1, no final file).

mod common;
mod scripted;

use std::fs;
use std::io::{Cursor, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use common::sandbox::{Sandbox, shell, text};
use common::tls::{make_certificates, rustls_server_config, tls_options, tls_server};
use rftp::protocol::{Client, Error, Options, TransferType};
use scripted::{ScriptedServer, logged_in, send_file, serve_loosely};

// ---- plain connections, scripted --------------------------------------------

#[test]
fn more_bytes_than_the_150_announced_is_an_error() {
    let server = ScriptedServer::start(|s| {
        serve_loosely(s, "220 scripted server", |s, line| {
            line.starts_with("RETR").then(|| send_file(s, "150 Opening BINARY mode for f (5 bytes)", b"0123456789"))?
        })
    });
    let mut client = logged_in(server.port);
    let err = client.retrieve("f", &mut Vec::new(), 0).unwrap_err();
    assert!(matches!(err, Error::TooLong { received: 10, expected: 5 }), "{err:?}");
    assert!(err.to_string().contains("received 10 bytes, but the server announced 5"), "{err}");
    // The session is still in step.
    client.noop().unwrap();
    client.quit().unwrap();
    server.finish();
}

#[test]
fn more_bytes_than_size_announced_fails_and_leaves_no_file() {
    let server = ScriptedServer::start(|s| {
        serve_loosely(s, "220 scripted server", |s, line| match line {
            "SIZE f" => Some("213 5".into()),
            "RETR f" => send_file(s, "150 go", b"0123456789"),
            _ => None,
        })
    });
    let sandbox = Sandbox::new();
    let out = shell(&sandbox, server.port, "get f\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("transfer too long: received 10 bytes, but the server announced 5"), "{stderr}");
    assert!(!sandbox.local_file("f").exists(), "no final file");
    assert!(!sandbox.local_file("f.part").exists(), "nothing of the wrong bytes is kept");
}

#[test]
fn more_bytes_than_the_150_announced_fails_in_the_binary_too() {
    let server = ScriptedServer::start(|s| {
        serve_loosely(s, "220 scripted server", |s, line| match line {
            "SIZE f" => Some("550 no SIZE here".into()),
            "RETR f" => send_file(s, "150 Opening BINARY mode data connection for f (4 bytes)", b"0123456789"),
            _ => None,
        })
    });
    let sandbox = Sandbox::new();
    let out = shell(&sandbox, server.port, "get f\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("transfer too long"), "{stderr}");
    assert!(!sandbox.local_file("f").exists());
}

/// The server says 350 to REST and then sends the file from byte 0: the
/// prefix is kept as it was, nothing is appended, and the message says why.
#[test]
fn a_server_that_ignores_rest_is_caught_and_the_prefix_kept() {
    let whole = b"0123456789";
    let server = ScriptedServer::start(move |s| {
        serve_loosely(s, "220 scripted server", |s, line| match line {
            "SIZE f" => Some("213 10".into()),
            "REST 4" => Some("350 Restarting at 4".into()),
            // vsftpd's wording (the whole file's size after REST too).
            "RETR f" => send_file(s, "150 Opening BINARY mode data connection for f (10 bytes).", whole),
            _ => None,
        })
    });
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("f.part"), b"0123").unwrap();
    let out = shell(&sandbox, server.port, "reget f\n");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert!(received.iter().any(|l| l == "REST 4"), "{received:?}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the server ignored REST 4 and sent the file from the start"), "{stderr}");
    assert!(!sandbox.local_file("f").exists(), "no final file");
    assert_eq!(fs::read(sandbox.local_file("f.part")).unwrap(), b"0123", "the prefix, and only it");
}

/// Without the remote size nothing can tell an ignored REST from an honoured
/// one: the download starts over, without REST, and the result is right.
#[test]
fn resuming_without_a_size_starts_over() {
    let server = ScriptedServer::start(|s| {
        serve_loosely(s, "220 scripted server", |s, line| match line {
            "SIZE f" => Some("550 SIZE not allowed".into()),
            "RETR f" => send_file(s, "150 go", b"0123456789"),
            _ => None,
        })
    });
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("f.part"), b"0123").unwrap();
    let out = shell(&sandbox, server.port, "reget f\n");
    let received = server.finish();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!received.iter().any(|l| l.starts_with("REST")), "{received:?}");
    assert_eq!(fs::read(sandbox.local_file("f")).unwrap(), b"0123456789");
    assert!(!sandbox.local_file("f.part").exists());
}

/// The classic `reget NAME` continues the user's own file in place: without
/// the remote size it cannot be checked, and starting over in place would
/// leave a cut-short `NAME` if the download failed. A fresh `NAME.part`
/// takes the download, and `NAME` changes only once it is whole.
#[test]
fn resuming_a_file_in_place_without_a_size_starts_over_in_a_part() {
    let server = ScriptedServer::start(|s| {
        serve_loosely(s, "220 scripted server", |s, line| match line {
            "SIZE f" => Some("550 SIZE not allowed".into()),
            "RETR f" => {
                send_file(s, "150 go", b"012");
                Some("426 Connection closed; transfer aborted".into())
            }
            _ => None,
        })
    });
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("f"), b"mine, whole").unwrap();
    // Tried once: each retry would start over the same way.
    let out = shell(&sandbox, server.port, "retries 0\nreget f\n");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!received.iter().any(|l| l.starts_with("REST")), "{received:?}");
    assert_eq!(fs::read(sandbox.local_file("f")).unwrap(), b"mine, whole", "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("f.part")).unwrap(), b"012");
}

/// An upload answered 226 at once, in passive mode: the server never read
/// the data connection, so nothing was stored.
#[test]
fn an_upload_answered_226_before_any_data_is_not_stored() {
    let server = ScriptedServer::start(|s| {
        serve_loosely(s, "220 scripted server", |_, line| {
            (line.starts_with("STOR") || line.starts_with("APPE")).then(|| "226 Transfer complete".to_string())
        })
    });
    let mut client = logged_in(server.port);
    let data = vec![7u8; 20000];
    let err = client.store("f", &mut Cursor::new(&data), 0).unwrap_err();
    assert!(matches!(&err, Error::NotStored { command, .. } if command == "STOR f"), "{err:?}");
    assert!(err.to_string().contains("226 Transfer complete"), "{err}");
    let err = client.append("f", &mut Cursor::new(&data)).unwrap_err();
    assert!(matches!(err, Error::NotStored { .. }), "{err:?}");
    let local = tempfile::NamedTempFile::new().unwrap();
    fs::write(local.path(), &data).unwrap();
    let mut file = fs::File::open(local.path()).unwrap();
    let err = client.store_file("f", &mut file, 0, &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::NotStored { .. }), "{err:?}");
    client.quit().unwrap();
    server.finish();
}

#[test]
fn put_answered_226_before_any_data_exits_1() {
    let server = ScriptedServer::start(|s| {
        serve_loosely(s, "220 scripted server", |_, line| {
            line.starts_with("STOR").then(|| "226 Transfer complete".to_string())
        })
    });
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("f"), vec![7u8; 20000]).unwrap();
    let out = shell(&sandbox, server.port, "put f\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nothing was stored"), "{stderr}");
    assert!(!text(&out.stdout).contains("bytes sent"), "{}", text(&out.stdout));
}

// ---- TLS data connections -------------------------------------------------

/// What the small FTPS server below does with every download and listing.
#[derive(Clone)]
struct TlsScript {
    /// What RETR, LIST and NLST send.
    data: Vec<u8>,
    /// The 150 reply.
    preliminary: String,
    /// Whether SIZE is answered (with the data's length).
    size: bool,
    /// Whether the data connection ends with close_notify, as it should,
    /// or is cut with a bare TCP FIN, as a man in the middle would; the
    /// server's 226 comes either way.
    close_notify: bool,
}

/// An explicit FTPS server over rustls, answering one session after a script.
struct TlsFtpServer {
    port: u16,
    ca: PathBuf,
    handle: JoinHandle<Vec<String>>,
    _dir: tempfile::TempDir,
}

impl TlsFtpServer {
    fn start(script: TlsScript) -> TlsFtpServer {
        let dir = tempfile::tempdir().unwrap();
        let certificates = make_certificates(dir.path());
        let config = Arc::new(rustls_server_config(&certificates));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = thread::spawn(move || serve_tls_session(&listener, &config, &script));
        TlsFtpServer { port, ca: certificates.ca, handle, _dir: dir }
    }

    fn options(&self) -> Options {
        tls_options(Some(&self.ca), false)
    }

    fn client(&self) -> Client {
        let mut client = Client::connect_with("127.0.0.1", self.port, self.options()).expect("connects");
        client.login("u", "p", None).expect("logs in");
        client
    }

    fn finish(self) -> Vec<String> {
        self.handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// Reads one line, a byte at a time so nothing after it is taken.
fn read_line_from(stream: &mut impl Read) -> Option<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(1) if byte[0] == b'\n' => break,
            Ok(1) => line.push(byte[0]),
            _ if line.is_empty() => return None,
            _ => break,
        }
    }
    Some(String::from_utf8_lossy(&line).trim_end().to_string())
}

fn serve_tls_session(listener: &TcpListener, config: &Arc<rustls::ServerConfig>, script: &TlsScript) -> Vec<String> {
    let (mut tcp, _) = listener.accept().unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    tcp.write_all(b"220 hostile FTPS\r\n").unwrap();
    assert_eq!(read_line_from(&mut tcp).as_deref(), Some("AUTH TLS"));
    tcp.write_all(b"234 go ahead\r\n").unwrap();
    let mut control = rustls::StreamOwned::new(rustls::ServerConnection::new(Arc::clone(config)).unwrap(), tcp);
    let mut said = Vec::new();
    let mut data_listener: Option<TcpListener> = None;
    let send = |control: &mut rustls::StreamOwned<rustls::ServerConnection, TcpStream>, line: &str| {
        control.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        control.flush().unwrap();
    };
    while let Some(line) = read_line_from(&mut control) {
        said.push(line.clone());
        let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        let reply = match verb.as_str() {
            "PBSZ" => "200 PBSZ=0".to_string(),
            "PROT" => "200 protected".into(),
            "USER" => "331 password".into(),
            "PASS" => "230 in".into(),
            "TYPE" => "200 type set".into(),
            "PWD" => "257 \"/\"".into(),
            // `get -r` checks its source is a folder (CWD into it and back)
            // before it lists it: a refusal would make it fetch a file.
            "CWD" => "250 ok".into(),
            "SIZE" if script.size => format!("213 {}", script.data.len()),
            "EPSV" => {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let port = listener.local_addr().unwrap().port();
                data_listener = Some(listener);
                format!("229 Entering Extended Passive Mode (|||{port}|)")
            }
            "RETR" | "LIST" | "NLST" => {
                send(&mut control, &script.preliminary);
                let (tcp, _) = data_listener.take().expect("EPSV first").accept().unwrap();
                tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                let connection = rustls::ServerConnection::new(Arc::clone(config)).unwrap();
                let mut data = rustls::StreamOwned::new(connection, tcp);
                data.write_all(&script.data).unwrap();
                if script.close_notify {
                    data.conn.send_close_notify();
                }
                data.flush().unwrap();
                let _ = data.sock.shutdown(Shutdown::Write);
                "226 Transfer complete".into()
            }
            "QUIT" => {
                send(&mut control, "221 bye");
                break;
            }
            _ => "502 not here".into(),
        };
        send(&mut control, &reply);
    }
    said
}

const LISTING: &[u8] = b"-rw-r--r--    1 0        0              10 Jan 01  2024 f.txt\r\n";

fn cut_script(data: &[u8]) -> TlsScript {
    TlsScript {
        data: data.to_vec(),
        preliminary: format!("150 Opening BINARY mode data connection ({} bytes)", data.len()),
        size: true,
        close_notify: false,
    }
}

#[test]
fn a_tls_data_connection_that_ends_with_close_notify_is_complete() {
    let server = TlsFtpServer::start(TlsScript { close_notify: true, ..cut_script(b"0123456789") });
    let mut client = server.client();
    let mut out = Vec::new();
    assert_eq!(client.retrieve("f", &mut out, 0).unwrap(), 10);
    assert_eq!(out, b"0123456789");
    client.quit().unwrap();
    server.finish();
}

/// Every byte arrives and the server's honest 226 too, but the data
/// connection ends with no close_notify: nothing proves that was the end.
#[test]
fn a_tls_data_connection_cut_without_close_notify_is_a_truncation() {
    let server = TlsFtpServer::start(cut_script(b"0123456789"));
    let mut client = server.client();
    // Binary, with the size announced and matching.
    let err = client.retrieve("f", &mut Vec::new(), 0).unwrap_err();
    assert!(matches!(&err, Error::Truncated { command, .. } if command == "RETR f"), "{err:?}");
    assert!(err.to_string().contains("close_notify"), "{err}");
    // Into a file.
    let local = tempfile::NamedTempFile::new().unwrap();
    let mut file = fs::OpenOptions::new().write(true).open(local.path()).unwrap();
    let err = client.retrieve_file("f", &mut file, 0, &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::Truncated { .. }), "{err:?}");
    // ASCII.
    client.set_transfer_type(TransferType::Ascii);
    let err = client.retrieve("f", &mut Vec::new(), 0).unwrap_err();
    assert!(matches!(err, Error::Truncated { .. }), "{err:?}");
    // Listings.
    let err = client.nlst(None).unwrap_err();
    assert!(matches!(err, Error::Truncated { .. }), "{err:?}");
    let err = client.list_dir_each(None, |_| std::ops::ControlFlow::<()>::Continue(())).unwrap_err();
    assert!(matches!(err, Error::Truncated { .. }), "{err:?}");
    // The session stayed in step through all of it.
    client.quit().unwrap();
    let said = server.finish();
    assert_eq!(said.last().map(String::as_str), Some("QUIT"), "{said:?}");
}

#[test]
fn a_cut_tls_download_exits_1_with_no_final_file() {
    for size in [true, false] {
        let server =
            TlsFtpServer::start(TlsScript { preliminary: "150 go".into(), size, ..cut_script(&vec![5u8; 100_000]) });
        let sandbox = Sandbox::new();
        let url = format!("ftp://u:p@127.0.0.1:{}/f.bin", server.port);
        let ca = server.ca.display().to_string();
        let out = sandbox.run(&["get", "--retries", "0", "--tls", "--cacert", &ca, &url, "-o", "f.bin"], "");
        server.finish();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("close_notify"), "{stderr}");
        assert!(!sandbox.local_file("f.bin").exists(), "no final file (SIZE answered: {size})");
    }
}

#[test]
fn a_cut_tls_listing_fails_ls_get_r_and_mget() {
    for args in [&["ls"][..], &["get", "-r"]] {
        let server = TlsFtpServer::start(TlsScript { preliminary: "150 listing".into(), ..cut_script(LISTING) });
        let sandbox = Sandbox::new();
        let url = format!("ftp://u:p@127.0.0.1:{}/dir/", server.port);
        let ca = server.ca.display().to_string();
        let mut command = args.to_vec();
        command.extend(["--tls", "--cacert", &ca, &url]);
        if args.len() == 2 {
            // One try: a listing cut again is what a retry would meet too.
            command.extend(["-o", "copy/", "--retries", "0"]);
        }
        let out = sandbox.run(&command, "");
        let said = server.finish();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("close_notify"), "{args:?}: {stderr}");
        // The listing was cut, not a file: `get -r` planned from the LIST.
        let listing = if args.len() == 2 { "LIST" } else { "NLST" };
        assert!(said.iter().any(|l| l.starts_with(listing)), "{args:?}: {said:?}");
        assert!(!said.iter().any(|l| l.starts_with("RETR")), "nothing fetched from half a listing: {said:?}");
        assert!(!sandbox.local_file("copy/dir/f.txt").exists(), "{args:?}");
    }
    // The shell's mget lists the folder to match names itself.
    let server = TlsFtpServer::start(TlsScript { preliminary: "150 listing".into(), ..cut_script(LISTING) });
    let sandbox = Sandbox::new();
    let ca = server.ca.display().to_string();
    let script = format!("open --tls 127.0.0.1 {}\nuser u p\nmget *.txt\n", server.port);
    let out = sandbox.run(&["-n", "--cacert", &ca], &script);
    let said = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("close_notify"), "{stderr}");
    assert!(!said.iter().any(|l| l.starts_with("RETR")), "nothing fetched from half a listing: {said:?}");
}

/// `get --tls … -o /dev/null`: the bytes are decrypted and counted, not
/// spliced as they come off the socket (which never happened: 0 received).
#[test]
fn a_character_device_over_tls_counts_the_real_bytes() {
    let data = vec![9u8; 300_000];
    let script = TlsScript { close_notify: true, ..cut_script(&data) };
    let server = TlsFtpServer::start(script.clone());
    let mut client = server.client();
    let mut null = fs::OpenOptions::new().write(true).open("/dev/null").unwrap();
    assert_eq!(client.retrieve_file("f", &mut null, 0, &mut |_| {}).unwrap(), 300_000);
    client.quit().unwrap();
    server.finish();

    let server = TlsFtpServer::start(script);
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{}/f", server.port);
    let ca = server.ca.display().to_string();
    let out = sandbox.run(&["get", "-v", "--tls", "--cacert", &ca, &url, "-o", "/dev/null"], "");
    server.finish();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("/dev/null: 300000 bytes received"), "{stderr}");
}

/// The rule holds against a real server: libunftp ends every TLS data
/// connection with close_notify, empty files and empty listings included.
#[test]
fn libunftp_ends_tls_data_connections_with_close_notify() {
    use common::{PASSWORD, USER};
    let s = tls_server(true);
    let root = s.server.root();
    fs::create_dir(root.join("empty")).unwrap();
    fs::write(root.join("empty.bin"), b"").unwrap();
    fs::write(root.join("full.bin"), vec![3u8; 200_000]).unwrap();
    let options = tls_options(Some(&s.certificates.ca), false);
    let mut client = Client::connect_with("127.0.0.1", s.server.address().port(), options).unwrap();
    client.login(USER, PASSWORD, None).unwrap();
    assert!(client.is_data_protected());
    assert_eq!(client.retrieve("empty.bin", &mut Vec::new(), 0).unwrap(), 0);
    assert_eq!(client.nlst(Some("empty")).unwrap(), Vec::<String>::new());
    let mut null = fs::OpenOptions::new().write(true).open("/dev/null").unwrap();
    assert_eq!(client.retrieve_file("full.bin", &mut null, 0, &mut |_| {}).unwrap(), 200_000);
    client.set_transfer_type(TransferType::Ascii);
    assert_eq!(client.retrieve("full.bin", &mut Vec::new(), 0).unwrap(), 200_000);
    client.quit().unwrap();
}

/// A server that sends on and on past the size it announced is stopped
/// there, not when the disk is full; the session goes on.
#[test]
fn an_endless_download_stops_past_the_announced_size() {
    let (written_tx, written_rx) = std::sync::mpsc::channel();
    let server = ScriptedServer::start(move |s| {
        serve_loosely(s, "220 scripted server", |s, line| match line {
            "SIZE f" => Some("213 1000".into()),
            "RETR f" => {
                let written = s.send_endless_data(1u8);
                written_tx.send(written).unwrap();
                Some("426 Connection closed; transfer aborted.".into())
            }
            _ if line.ends_with("ABOR") => Some("226 ABOR successful".into()),
            _ => None,
        })
    });
    let sandbox = Sandbox::new();
    let out = shell(&sandbox, server.port, "get f\npwd\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("transfer too long"), "{stderr}");
    assert!(text(&out.stdout).contains('/'), "the session goes on: {}", text(&out.stdout));
    assert!(written_rx.recv().unwrap() < 64 << 20, "the client stopped reading");
    assert!(!sandbox.local_file("f").exists());
    assert!(!sandbox.local_file("f.part").exists());
}

/// The same bound when the kernel moves the bytes (splice into /dev/null).
#[test]
fn an_endless_download_into_a_device_stops_past_the_size() {
    let server = ScriptedServer::start(|s| {
        serve_loosely(s, "220 scripted server", |s, line| match line {
            "RETR f" => {
                let written = s.send_endless_data(1u8);
                assert!(written < 64 << 20, "the client stopped reading");
                Some("426 Connection closed; transfer aborted.".into())
            }
            _ if line.ends_with("ABOR") => Some("226 ABOR successful".into()),
            _ => None,
        })
    });
    let mut client = logged_in(server.port);
    let mut null = fs::OpenOptions::new().write(true).open("/dev/null").unwrap();
    let err = client.retrieve_file_sized("f", &mut null, 0, Some(1000), &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::TooLong { expected: 1000, .. }), "{err:?}");
    client.noop().unwrap();
    client.quit().unwrap();
    server.finish();
}
