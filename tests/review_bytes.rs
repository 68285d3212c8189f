//! Review of issue 10's "Bytes" and "Protocol details" points, as a hostile
//! server would try them: each test here failed before the fix it names.

mod common;
mod scripted;

use std::fs;
use std::io::{Cursor, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use common::sandbox::{Sandbox, shell, text};
use rftp::protocol::Error;
use scripted::{ScriptedServer, Session, logged_in, serve_loosely};

// ---- uploads: success only when the server took the data --------------------

/// Passive mode: the server says 150 and, at once, 226, without reading the
/// data connection. It cannot know the upload is complete before the data
/// connection ends, so nothing was stored. (Before the fix: "20000 bytes
/// sent", success.)
#[test]
fn an_upload_answered_226_right_after_150_is_not_stored() {
    let server = ScriptedServer::start(|s| {
        // Held unread until the session ends, so the client's writes succeed.
        let mut unread: Vec<TcpStream> = Vec::new();
        serve_loosely(s, "220 review server", |s, line| {
            if line.starts_with("STOR") || line.starts_with("APPE") {
                unread.push(s.accept_data());
                s.send_raw(b"150 Ok to send data.\r\n226 Transfer complete.\r\n");
                return Some(String::new());
            }
            None
        })
    });
    let mut client = logged_in(server.port);
    let data = vec![7u8; 20000];
    let err = client.store("f", &mut Cursor::new(&data), 0).unwrap_err();
    assert!(matches!(&err, Error::NotStored { command, .. } if command == "STOR f"), "{err:?}");
    assert!(err.to_string().contains("226 Transfer complete."), "{err}");
    let err = client.append("f", &mut Cursor::new(&data)).unwrap_err();
    assert!(matches!(&err, Error::NotStored { command, .. } if command == "APPE f"), "{err:?}");
    // The kernel's copy (sendfile) path too.
    let local = tempfile::NamedTempFile::new().unwrap();
    fs::write(local.path(), &data).unwrap();
    let mut file = fs::File::open(local.path()).unwrap();
    let err = client.store_file("f", &mut file, 0, &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::NotStored { .. }), "{err:?}");
    // The session is still in step.
    client.noop().unwrap();
    client.quit().unwrap();
    server.finish();
}

/// Active mode: 150, then 226 before the server connected at all, then a
/// late connection. (Before the fix: the data went to a server that had
/// already said it was done, and `put` exited 0.)
#[test]
fn put_in_active_mode_answered_226_before_the_connection_exits_1() {
    let server = ScriptedServer::start(|s| {
        let mut client_data = None;
        serve_loosely(s, "220 review server", |s, line| {
            if let Some(address) = line.strip_prefix("EPRT ") {
                let port = address.trim_end_matches('|').rsplit('|').next().unwrap();
                client_data = Some(format!("127.0.0.1:{port}"));
                return Some("200 EPRT ok".into());
            }
            if line.starts_with("STOR") {
                s.send("150 Ok to send data.");
                s.send("226 Transfer complete.");
                std::thread::sleep(Duration::from_millis(200));
                // The client may have stopped listening by now.
                if let Ok(mut stream) = TcpStream::connect(client_data.as_deref().unwrap()) {
                    let _ = std::io::Read::read_to_end(&mut stream, &mut Vec::new());
                }
                return Some(String::new());
            }
            None
        })
    });
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("f"), vec![7u8; 20000]).unwrap();
    let out = shell(&sandbox, server.port, "passive off\nput f\npwd\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nothing was stored") && stderr.contains("STOR f"), "{stderr}");
    assert!(!text(&out.stdout).contains("bytes sent"), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains('/'), "the session goes on: {}", text(&out.stdout));
}

// ---- downloads into a pipe: bounded by the announced size --------------------

/// `get f -` into a pipe, from a server that announced 1000 bytes and sends
/// on and on: stopped past the size, and no more than the file's size
/// reaches standard output. (Before the fix: all 64 MiB were read and
/// written to the pipe, and an endless server was never stopped.)
#[test]
fn an_endless_download_to_standard_output_stops_past_the_size() {
    let (written_tx, written_rx) = mpsc::channel();
    let server = ScriptedServer::start(move |s| {
        serve_loosely(s, "220 review server", |s, line| match line {
            "SIZE f" => Some("213 1000".into()),
            "RETR f" => {
                let written = s.send_endless_data(b'x');
                written_tx.send(written).unwrap();
                Some("426 Connection closed; transfer aborted.".into())
            }
            _ if line.ends_with("ABOR") => Some("226 ABOR successful".into()),
            _ => None,
        })
    });
    let sandbox = Sandbox::new();
    let out = shell(&sandbox, server.port, "get f -\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("transfer too long"), "{stderr}");
    assert!(written_rx.recv().unwrap() < 64 << 20, "the client stopped reading");
    assert!(out.stdout.len() <= 1000, "{} bytes reached standard output", out.stdout.len());
}

// ---- resuming only the same file ---------------------------------------------

/// A server honouring REST for `f`, whose contents are now `data`.
fn serve_resumable(s: &mut Session, data: &'static [u8]) {
    let mut offset = 0usize;
    serve_loosely(s, "220 review server", |s, line| {
        if let Some(n) = line.strip_prefix("REST ") {
            offset = n.parse().unwrap();
            return Some(format!("350 Restarting at {offset}"));
        }
        match line {
            "SIZE f" => Some(format!("213 {}", data.len())),
            "MDTM f" => Some("213 20261201101010".into()),
            "RETR f" => {
                s.send("150 go");
                let mut stream = s.accept_data();
                stream.write_all(&data[offset.min(data.len())..]).unwrap();
                offset = 0;
                drop(stream);
                Some("226 Transfer complete".into())
            }
            _ => None,
        }
    })
}

/// A sidecar of ours that cannot be read (cut short, edited) cannot vouch
/// for its `.part`: the download starts over. (Before the fix it was
/// resumed as a `.part` without a sidecar: the old version's beginning
/// joined to the new one's end, exit 0.)
#[test]
fn an_unreadable_sidecar_of_ours_makes_reget_start_over() {
    for sidecar in ["rftp partial download\nsize 1x\n", "rftp partial download\nmodify 2026\n"] {
        let server = ScriptedServer::start(|s| serve_resumable(s, b"abcdefghij"));
        let sandbox = Sandbox::new();
        fs::write(sandbox.local_file("f.part"), b"0123").unwrap();
        fs::write(sandbox.local_file("f.part.meta"), sidecar).unwrap();
        let out = shell(&sandbox, server.port, "reget f\n");
        let commands = server.finish();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("downloading it again"), "{stderr}");
        assert!(!commands.iter().any(|c| c.starts_with("REST")), "{commands:?}");
        assert_eq!(fs::read(sandbox.local_file("f")).unwrap(), b"abcdefghij");
        assert!(!sandbox.local_file("f.part").exists());
        assert!(!sandbox.local_file("f.part.meta").exists(), "the unreadable sidecar goes");
    }
}

// ---- ASCII mode: bounded too --------------------------------------------------

/// A server that sends on and on (ASCII mode: as many LFs as it likes);
/// reports how much it managed to write.
fn serve_endless(s: &mut Session, written: mpsc::Sender<usize>) {
    serve_loosely(s, "220 review server", |s, line| match line {
        "SIZE f" => Some("213 1000".into()),
        "RETR f" => {
            let sent = s.send_endless_data(b'\n');
            written.send(sent).unwrap();
            Some("426 Connection closed; transfer aborted.".into())
        }
        _ if line.ends_with("ABOR") => Some("226 ABOR successful".into()),
        _ => None,
    })
}

/// ASCII conversion makes byte counts inexact, but never more than twice
/// the file's size: a server sending more is stopped, and nothing of it is
/// kept. (Before the fix: ASCII downloads had no bound at all; all 64 MiB
/// went into f.part.)
#[test]
fn an_endless_ascii_download_stops_past_twice_the_size() {
    let (written_tx, written_rx) = mpsc::channel();
    let server = ScriptedServer::start(move |s| serve_endless(s, written_tx));
    let sandbox = Sandbox::new();
    let out = shell(&sandbox, server.port, "ascii\nget f\npwd\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("transfer too long") && stderr.contains("announced 1000"), "{stderr}");
    assert!(written_rx.recv().unwrap() < 64 << 20, "the client stopped reading");
    assert!(text(&out.stdout).contains('/'), "the session goes on: {}", text(&out.stdout));
    assert!(!sandbox.local_file("f").exists());
    let kept = fs::metadata(sandbox.local_file("f.part")).map(|m| m.len()).unwrap_or(0);
    assert!(kept <= 2000, "{kept} bytes kept");
}

/// A text file of 1000 LFs arrives in ASCII mode as 2000 bytes on the wire:
/// the bound lets it through.
#[test]
fn an_ascii_download_of_only_line_ends_is_not_too_long() {
    let server = ScriptedServer::start(|s| {
        serve_loosely(s, "220 review server", |s, line| match line {
            "SIZE f" => Some("213 1000".into()),
            "RETR f" => {
                s.send("150 Opening ASCII mode data connection for f (1000 bytes).");
                let mut stream = s.accept_data();
                stream.write_all(&b"\r\n".repeat(1000)).unwrap();
                drop(stream);
                Some("226 Transfer complete".into())
            }
            _ => None,
        })
    });
    let sandbox = Sandbox::new();
    let out = shell(&sandbox, server.port, "ascii\nget f\n");
    server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("f")).unwrap(), b"\n".repeat(1000));
}

/// `get -r -c` was run as a plain `get -r`: the -c silently ignored, and
/// each `.part` of an earlier run refused. It is now a usage error, before
/// any connection (port 1: nothing listens there).
#[test]
fn get_r_with_continue_is_refused_not_ignored() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "-r", "-c", "ftp://127.0.0.1:1/folder"], "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("get -r does not resume (-c)"), "{stderr}");
}

// ---- one-shot sessions: reused only for the same user ------------------------

/// `ftp://u:p@H/a ftp://H/b`: b names no user, so it is fetched as a fresh
/// login would (anonymous here, which this server refuses), never over u's
/// session, where the same path may be another file (u's home folder).
/// (Before the fix: b was fetched as u, exit 0.) Naming the same user again
/// still reuses the session.
#[test]
fn a_url_without_a_user_does_not_ride_on_another_users_session() {
    let server = common::TestServer::start();
    if !server.is_embedded() {
        return;
    }
    fs::write(server.root.join("a.txt"), b"a\n").unwrap();
    fs::write(server.root.join("b.txt"), b"b\n").unwrap();
    let address = format!("{}:{}", server.host, server.port);
    let as_user = |path: &str| format!("ftp://{}:{}@{address}/{path}", common::USER, common::PASSWORD);

    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", &as_user("a.txt"), &format!("ftp://{address}/b.txt")], "");
    let stderr = text(&out.stderr);
    assert_eq!(fs::read(sandbox.local_file("a.txt")).unwrap(), b"a\n", "{stderr}");
    assert!(!sandbox.local_file("b.txt").exists(), "{stderr}");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("b.txt: login failed"), "{stderr}");

    let sandbox = Sandbox::new();
    let before = server.connections().unwrap();
    let same_user = format!("ftp://{}@{address}/b.txt", common::USER);
    let out = sandbox.run(&["get", &as_user("a.txt"), &same_user], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("b.txt")).unwrap(), b"b\n");
    assert_eq!(server.connections().unwrap(), before + 1, "one session for both");
}

/// A link at the sidecar's name (even to a sidecar that would match) is not
/// ours and vouches for nothing: reget starts over. (Before the fix it was
/// taken for no sidecar: the `.part` was resumed unchecked, and the old
/// version's beginning joined to the new one's end, exit 0.)
#[test]
fn a_link_at_the_sidecar_name_makes_reget_start_over() {
    let server = ScriptedServer::start(|s| serve_resumable(s, b"abcdefghij"));
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("f.part"), b"0123").unwrap();
    let elsewhere = sandbox.home.join("planted");
    fs::write(&elsewhere, "rftp partial download\nsize 10\nmodify 20261201101010.000000000\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, sandbox.local_file("f.part.meta")).unwrap();
    let out = shell(&sandbox, server.port, "reget f\n");
    let commands = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("downloading it again"), "{stderr}");
    assert!(!commands.iter().any(|c| c.starts_with("REST")), "{commands:?}");
    assert_eq!(fs::read(sandbox.local_file("f")).unwrap(), b"abcdefghij");
    assert!(fs::symlink_metadata(sandbox.local_file("f.part.meta")).unwrap().is_symlink(), "left alone");
}

/// A `.part` that another user planted in a shared folder (writable by
/// all, no sidecar) is not continued: its bytes would come before the
/// server's. (Before the fix: resumed, "0123" joined to the server's rest,
/// exit 0.) Needs root to give the file away; skipped otherwise.
#[test]
fn reget_does_not_continue_another_users_part() {
    let sandbox = Sandbox::new();
    let part = sandbox.local_file("f.part");
    fs::write(&part, b"0123").unwrap();
    if std::os::unix::fs::chown(&part, Some(65534), Some(65534)).is_err() {
        return;
    }
    let server = ScriptedServer::start(|s| serve_resumable(s, b"abcdefghij"));
    let out = shell(&sandbox, server.port, "reget f\n");
    let commands = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot resume") && stderr.contains("belongs to another user"), "{stderr}");
    assert!(!commands.iter().any(|c| c.starts_with("RETR")), "{commands:?}");
    assert_eq!(fs::read(&part).unwrap(), b"0123", "left alone");
    assert!(!sandbox.local_file("f").exists());
}
