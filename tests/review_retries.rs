//! A hostile review of single-transfer retries and reconnects (issue #12):
//! what a flaky network and a hostile server do to the reconnect of an
//! FTPS session, and to the messages it prints.

mod common;
mod scripted;

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, text};
use common::tls::tls_server;
use common::{PASSWORD, USER};
use scripted::{ScriptedServer, serve_loosely};

/// How long the first control connection may stay silent before the idle
/// proxy drops it, as a NAT box that forgets idle connections does.
const IDLE_CUT: Duration = Duration::from_millis(1500);

/// A TCP relay on 127.0.0.1 in front of `upstream` that drops its first
/// connection (both sides) once it has been silent for [`IDLE_CUT`], and
/// relays every later one as it is. It reads nothing of what it relays, so
/// it works for TLS, where the fault proxy of `common::proxy` cannot see the
/// commands. Data connections of a TLS session go to the server directly
/// (the proxy cannot rewrite an encrypted EPSV reply). Returns its port.
fn idle_cutting_proxy(upstream: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for (index, client) in listener.incoming().enumerate() {
            let Ok(client) = client else { return };
            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
            let cut = index == 0;
            let started = Instant::now();
            let last = Arc::new(AtomicU64::new(0));
            let stop = Arc::new(AtomicBool::new(false));
            for (from, to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                let (last, stop) = (Arc::clone(&last), Arc::clone(&stop));
                thread::spawn(move || relay(from, to, cut, started, &last, &stop));
            }
        }
    });
    port
}

/// Copies `from` to `to`; with `cut`, drops both once nothing went either
/// way for [`IDLE_CUT`] (`last`: milliseconds after `started` of the last
/// bytes, shared by both directions).
fn relay(mut from: TcpStream, mut to: TcpStream, cut: bool, started: Instant, last: &AtomicU64, stop: &AtomicBool) {
    from.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        match from.read(&mut buffer) {
            Ok(0) => {
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => {
                last.store(started.elapsed().as_millis() as u64, Ordering::SeqCst);
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                let silent = started.elapsed().as_millis() as u64 - last.load(Ordering::SeqCst);
                if cut && silent >= IDLE_CUT.as_millis() as u64 {
                    stop.store(true, Ordering::SeqCst);
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// An FTPS session whose control connection a NAT box dropped while idle:
/// the next command reconnects with TLS again (never in plain text: the
/// embedded server refuses plain logins), logs in, returns to the folder,
/// and keeps the data protection the session had (PROT P, and PROT C after
/// `prot c`); the reconnect line never shows the password.
#[test]
fn an_ftps_session_reconnects_with_tls_into_its_folder_and_protection() {
    for (prot, expected) in [("p", "encrypted"), ("c", "plain")] {
        let s = tls_server(true);
        fs::create_dir_all(s.server.root().join("sub")).unwrap();
        fs::write(s.server.root().join("sub/inside.txt"), b"inside over TLS\n").unwrap();
        let port = idle_cutting_proxy(s.server.address().port());
        let sandbox = Sandbox::new();
        let ca = s.certificates.ca.display().to_string();
        let script = format!(
            "open --tls 127.0.0.1 {port}\nuser {USER} {PASSWORD}\ncd sub\nprot {prot}\n!sleep 3\nstatus\nget inside.txt -\npwd\n"
        );
        let out = sandbox.run(&["-n", "--retry-wait", "0", "--cacert", &ca], &script);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "prot {prot}: {stdout}\n{stderr}");
        assert_eq!(stderr.matches("reconnected to 127.0.0.1").count(), 1, "prot {prot}: {stderr}");
        assert!(!stderr.contains(PASSWORD) && !stdout.contains(PASSWORD), "{stdout}\n{stderr}");
        assert!(
            stdout.contains(&format!("Control connection: encrypted; data connections: {expected}.")),
            "prot {prot}: {stdout}\n{stderr}"
        );
        assert!(stdout.contains("inside over TLS"), "the file of the folder: {stdout}\n{stderr}");
        assert!(stdout.contains("/sub"), "back in the folder: {stdout}\n{stderr}");
    }
}

/// A download to standard output after the server closed an idle control
/// connection: the first try finds it closed before writing anything, so
/// the next connection gets the file at once (no retry line, and with
/// `--retries 0` too), and the file is written once, whole.
#[test]
fn a_download_to_stdout_reconnects_after_an_idle_drop() {
    for retries in ["0", "5"] {
        let s = tls_server(false);
        fs::create_dir_all(s.server.root().join("sub")).unwrap();
        fs::write(s.server.root().join("sub/inside.txt"), b"inside, once\n").unwrap();
        let port = idle_cutting_proxy(s.server.address().port());
        let sandbox = Sandbox::new();
        let script = format!("open 127.0.0.1 {port}\nuser {USER} {PASSWORD}\ncd sub\n!sleep 3\nget inside.txt -\n");
        let out = sandbox.run(&["-n", "--retries", retries, "--retry-wait", "0"], &script);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "--retries {retries}: {stdout}\n{stderr}");
        assert_eq!(stdout.matches("inside, once").count(), 1, "{stdout}\n{stderr}");
        assert_eq!(stderr.matches("reconnected to 127.0.0.1").count(), 1, "{stderr}");
        assert!(!stderr.contains("retrying") && !stderr.contains(PASSWORD), "{stderr}");
    }
}

/// A download to standard output cut after it wrote half the file is not
/// tried again (what was printed cannot be taken back): one RETR, half the
/// bytes once, an error naming the file and the server's reply.
#[test]
fn a_download_to_stdout_that_wrote_something_is_not_tried_again() {
    let server = ScriptedServer::start(|s: &mut scripted::Session| {
        serve_loosely(s, "220 scripted server", |s, line| {
            if !line.starts_with("RETR") {
                return None;
            }
            s.send("150 Opening BINARY mode data connection");
            let mut data = s.accept_data();
            data.write_all(b"first half|").unwrap();
            drop(data);
            Some("426 Connection closed; transfer aborted".into())
        });
    });
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{}/f.bin", server.port);
    let out = sandbox.run(&["--retry-wait", "0", "get", &url, "-o", "-"], "");
    let received = server.finish();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(stdout, "first half|", "{stderr}");
    assert_eq!(received.iter().filter(|l| l.starts_with("RETR")).count(), 1, "{received:?}");
    assert!(!stderr.contains("retrying"), "{stderr}");
    assert!(stderr.contains("f.bin") && stderr.matches("426").count() == 1, "{stderr}");
}

/// A server whose first STOR is cut after 256 KiB without touching its
/// file `up.bin` (which holds `old`, or nothing), or, with `deletes`, which
/// removes the file then (vsftpd's `delete_failed_uploads`); later STORs
/// and APPEs store what they get. Returns the server and its file.
fn cutting_the_first_upload(old: Option<Vec<u8>>, deletes: bool) -> (ScriptedServer, Arc<Mutex<Option<Vec<u8>>>>) {
    let held = Arc::new(Mutex::new(old));
    let keep = Arc::clone(&held);
    let mut stors = 0;
    let server = ScriptedServer::start(move |s: &mut scripted::Session| {
        serve_loosely(s, "220 scripted server", |s, line| {
            let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
            match verb.as_str() {
                "SIZE" => Some(match &*keep.lock().unwrap() {
                    Some(file) => format!("213 {}", file.len()),
                    None => "550 No such file".into(),
                }),
                "REST" => Some("350 restarting".into()),
                "STOR" | "APPE" => {
                    stors += 1;
                    s.send("150 go ahead");
                    let mut stream = s.accept_data();
                    if stors == 1 {
                        let mut start = vec![0u8; 256 << 10];
                        stream.read_exact(&mut start).unwrap();
                        drop(stream);
                        if deletes {
                            *keep.lock().unwrap() = None;
                        }
                        return Some("426 Connection closed; transfer aborted".into());
                    }
                    let received = scripted::Session::read_all(&mut stream);
                    let mut file = keep.lock().unwrap();
                    let file = file.get_or_insert_with(Vec::new);
                    if verb == "STOR" {
                        file.clear();
                    }
                    file.extend_from_slice(&received);
                    Some("226 stored".into())
                }
                _ => None,
            }
        });
    });
    (server, held)
}

/// The size of the uploads of these tests: far more than socket buffers
/// take, so a cut try cannot have sent it all.
const UPLOAD: usize = 24 << 20;

/// A server that writes an upload under another name and renames it only
/// when it ends (ProFTPD's HiddenStores, Pure-FTPd's --notruncate) keeps
/// the old file when the upload is cut. Here the old file has the new
/// one's size, so a retry that resumed would call it complete and exit 0
/// with the old bytes: SIZE saying more than the cut try could have sent
/// shows the file is not this one, and the retry sends it whole. A server
/// that deleted the cut file gets it whole too.
#[test]
fn an_upload_cut_on_a_server_that_kept_the_old_file_is_sent_again_whole() {
    let data = common::pattern(UPLOAD);
    for deletes in [false, true] {
        let (server, held) = cutting_the_first_upload(Some(vec![b'o'; UPLOAD]), deletes);
        let sandbox = Sandbox::new();
        fs::write(sandbox.local_file("up.bin"), &data).unwrap();
        let target = format!("ftp://127.0.0.1:{}/up.bin", server.port);
        let out = sandbox.run(&["put", "--retry-wait", "0", "up.bin", &target], "");
        let received = server.finish();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "deletes {deletes}: {stderr}");
        let file = held.lock().unwrap().take();
        assert!(file.as_deref() == Some(&data[..]), "the server holds the new file: {received:?}\n{stderr}");
        assert_eq!(received.iter().filter(|l| l.starts_with("STOR up.bin")).count(), 2, "{received:?}");
    }
}

/// An ASCII upload cut half way cannot resume (byte counts change): its
/// retry sends it whole instead of failing with "cannot resume".
#[test]
fn an_ascii_upload_cut_half_way_is_sent_again_whole() {
    let data = vec![b'x'; UPLOAD];
    let (server, held) = cutting_the_first_upload(None, false);
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("up.bin"), &data).unwrap();
    let script = format!("open 127.0.0.1 {}\nuser u p\nascii\nput up.bin\n", server.port);
    let out = sandbox.run(&["-n", "--retry-wait", "0"], &script);
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(held.lock().unwrap().take() == Some(data), "{received:?}\n{stderr}");
    assert!(!received.iter().any(|l| l.starts_with("APPE") || l.starts_with("REST")), "{received:?}");
}

/// A folder changed by hand (`quote CWD`, `quote CDUP`) is where a
/// reconnect after an idle drop returns to, not the last `cd`'s folder.
#[test]
fn a_reconnect_returns_to_a_folder_changed_with_quote() {
    let s = tls_server(false);
    fs::create_dir_all(s.server.root().join("a/b/c")).unwrap();
    let port = idle_cutting_proxy(s.server.address().port());
    let sandbox = Sandbox::new();
    let script =
        format!("open 127.0.0.1 {port}\nuser {USER} {PASSWORD}\ncd a\nquote CWD b/c\nquote CDUP\n!sleep 3\npwd\n");
    let out = sandbox.run(&["-n", "--retry-wait", "0"], &script);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(stderr.matches("reconnected to 127.0.0.1").count(), 1, "{stderr}");
    assert_eq!(stdout.lines().last(), Some("/a/b"), "{stdout}\n{stderr}");
}

/// An FTPS session dropped while idle: every command that talks to the
/// server reconnects at once, as on a plain session, even with
/// `--retries 0` (TLS's end without close_notify is the server's end, not
/// a failure to retry), and never shows rustls' wording.
#[test]
fn every_command_of_an_ftps_session_reconnects_after_an_idle_drop() {
    for command in ["ls", "put up.txt", "get inside.txt -"] {
        let s = tls_server(true);
        fs::create_dir_all(s.server.root().join("sub")).unwrap();
        fs::write(s.server.root().join("sub/inside.txt"), b"inside over TLS\n").unwrap();
        let port = idle_cutting_proxy(s.server.address().port());
        let sandbox = Sandbox::new();
        fs::write(sandbox.local_file("up.txt"), b"up over TLS").unwrap();
        let ca = s.certificates.ca.display().to_string();
        let script = format!("open --tls 127.0.0.1 {port}\nuser {USER} {PASSWORD}\ncd sub\n!sleep 3\n{command}\n");
        let out = sandbox.run(&["-n", "--retries", "0", "--cacert", &ca], &script);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{command}: {stdout}\n{stderr}");
        assert_eq!(stderr.matches("reconnected to 127.0.0.1").count(), 1, "{command}: {stderr}");
        assert!(!stderr.contains("close_notify") && !stderr.contains("retrying"), "{command}: {stderr}");
        assert!(stdout.contains("inside") || s.server.root().join("sub/up.txt").exists(), "{command}: {stdout}");
    }
}
