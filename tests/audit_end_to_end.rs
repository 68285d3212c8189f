//! Audit of issue 10 on the merged code, end to end through the real
//! binary: attacks where two of its parts meet (a folder check under
//! `--timeout`, a trickling FEAT, a stalled tree listing, names that are not
//! UTF-8 in a tree). Each test here failed before the fix it names, or
//! guards a promise no other test tried this way.

mod common;
mod scripted;

use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, run_within, text};
use scripted::{ScriptedServer, Session, serve_loosely};

/// Greets, then answers every command until QUIT or the client hangs up:
/// `answer` first (`Some("")` sends nothing), then these servers' own
/// replies to TYPE, OPTS, NOOP and ABOR, then `serve_loosely`'s defaults.
fn serve(s: &mut Session, mut answer: impl FnMut(&mut Session, &str) -> Option<String>) {
    serve_loosely(s, "220 audit server", |s, line| {
        answer(s, line).or_else(|| {
            let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
            match verb.as_str() {
                "TYPE" | "OPTS" | "NOOP" => Some("200 ok".into()),
                "ABOR" => Some("226 ABOR ok".into()),
                _ => None,
            }
        })
    })
}

fn url(port: u16, path: &str) -> String {
    format!("ftp://u:p@127.0.0.1:{port}/{path}")
}

// ---- waits: --timeout bounds the folder check and the FEAT ------------------

/// `get -r` checks its source is a folder before listing it (MLST when the
/// server has it, else CWD). A server that never answers that check is
/// bounded by `--timeout` like any other wait, and nothing is made.
#[test]
fn get_r_against_a_folder_check_that_never_answers_ends_within_the_timeout() {
    for mlst in [false, true] {
        let server = ScriptedServer::start(move |s| {
            serve(s, |_, line| {
                if line == "FEAT" && mlst {
                    return Some("211-Features:\r\n MLST type*;size*;modify*;\r\n211 End".into());
                }
                if line.starts_with("CWD") || line.starts_with("MLST") {
                    // Not answered in time: the client must give up on its own.
                    thread::sleep(Duration::from_secs(8));
                    return Some("250 too late".into());
                }
                None
            })
        });
        let sandbox = Sandbox::new();
        let args = ["get", "-r", "--timeout", "2", &url(server.port, "tree")];
        let (out, took) = run_within(&sandbox, &args, Duration::from_secs(15));
        let stderr = text(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "MLST: {mlst}: {stderr}");
        assert!(stderr.contains("timed out"), "MLST: {mlst}: {stderr}");
        assert!(took < Duration::from_secs(7), "MLST: {mlst}: took {took:?} with --timeout 2: {stderr}");
        assert!(!sandbox.local_file("tree").exists(), "no local folder for a check that failed");
        drop(server);
    }
}

/// The FEAT sent after every login, answered a line at a time for ever
/// (each line well within the timeout): the whole reply is one wait,
/// bounded by `--timeout`.
#[test]
fn a_feat_reply_that_trickles_for_ever_ends_within_the_timeout() {
    let server = ScriptedServer::start(|s| {
        serve(s, |s, line| {
            if line == "FEAT" {
                s.send("211-Features:");
                let start = Instant::now();
                while start.elapsed() < Duration::from_secs(12) {
                    s.send(" SIZE");
                    thread::sleep(Duration::from_millis(300));
                }
                return Some("211 End".into());
            }
            None
        })
    });
    let sandbox = Sandbox::new();
    let (out, took) = run_within(
        &sandbox,
        &["ls", "--retries", "0", "--timeout", "2", &url(server.port, "")],
        Duration::from_secs(20),
    );
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(took < Duration::from_secs(7), "took {took:?} with --timeout 2: {stderr}");
    drop(server);
}

/// The MLSD listing `get -r` plans from trickles a few bytes at a time,
/// each in time: the stall rule ends it, and nothing is left behind as if
/// the tree were complete.
#[test]
fn get_r_whose_listing_trickles_fails_within_the_stall_window() {
    let server = ScriptedServer::start(|s| {
        serve(s, |s, line| match line {
            "CWD tree" | "CWD /" => Some("250 ok".into()),
            "FEAT" => Some("211-Features:\r\n MLST type*;size*;modify*;\r\n211 End".into()),
            "MLST tree" => Some("250-Listing\r\n type=dir; tree\r\n250 End".into()),
            "MLSD tree" => {
                s.send("150 here it comes");
                let mut data = s.accept_data();
                let start = Instant::now();
                while start.elapsed() < Duration::from_secs(12) {
                    if data.write_all(b"t").is_err() {
                        break;
                    }
                    thread::sleep(Duration::from_millis(200));
                }
                Some("226 done".into())
            }
            _ => None,
        })
    });
    let sandbox = Sandbox::new();
    let (out, took) = run_within(
        &sandbox,
        &["get", "-r", "--retries", "0", "--timeout", "2", &url(server.port, "tree")],
        Duration::from_secs(20),
    );
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stalled"), "{stderr}");
    assert!(took < Duration::from_secs(8), "took {took:?} with --timeout 2: {stderr}");
    drop(server);
}

// ---- names that are not UTF-8, through the resume machinery ------------------

/// A Latin-1 name (`caf\xe9`) cut mid-download keeps `NAME.part` and its
/// `NAME.part.meta` under the server's exact bytes; `get -c` with the
/// percent-encoded URL continues it with REST, and the sidecar goes once
/// the file is whole.
#[test]
fn a_name_that_is_not_utf8_is_resumed_under_its_own_bytes() {
    use std::os::unix::ffi::OsStrExt;
    const DATA: &[u8] = b"0123456789abcdefghij";
    fn script(cut: bool) -> impl FnOnce(&mut Session) + Send + 'static {
        move |s| {
            let mut offset = 0usize;
            serve(s, |s, line| {
                if let Some(n) = line.strip_prefix("REST ") {
                    offset = n.parse().unwrap();
                    return Some(format!("350 Restarting at {offset}"));
                }
                // Lossy here: the client sent the bytes 63 61 66 E9.
                match line {
                    "SIZE caf\u{FFFD}" => Some(format!("213 {}", DATA.len())),
                    "MDTM caf\u{FFFD}" => Some("213 20261201101010".into()),
                    "RETR caf\u{FFFD}" => {
                        s.send("150 here");
                        let mut data = s.accept_data();
                        let end = if cut { 8 } else { DATA.len() };
                        data.write_all(&DATA[offset..end]).unwrap();
                        drop(data);
                        Some(if cut { "426 cut".into() } else { "226 done".into() })
                    }
                    _ => None,
                }
            })
        }
    }
    let sandbox = Sandbox::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9");
    let part = std::ffi::OsStr::from_bytes(b"caf\xe9.part");
    let meta = std::ffi::OsStr::from_bytes(b"caf\xe9.part.meta");

    let server = ScriptedServer::start(script(true));
    let (out, _) =
        run_within(&sandbox, &["get", "--retries", "0", &url(server.port, "caf%E9")], Duration::from_secs(20));
    let received = server.finish_raw();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(received.iter().any(|l| l == b"RETR caf\xe9"), "the server's bytes were asked for");
    assert_eq!(std::fs::read(sandbox.local.join(part)).unwrap(), &DATA[..8]);
    let sidecar = std::fs::read_to_string(sandbox.local.join(meta)).expect("the identity is kept beside the .part");
    assert!(sidecar.contains("size 20") && sidecar.contains("modify 20261201101010"), "{sidecar}");

    let server = ScriptedServer::start(script(false));
    let (out, _) = run_within(&sandbox, &["get", "-c", &url(server.port, "caf%E9")], Duration::from_secs(20));
    let received = server.finish_raw();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(received.iter().any(|l| l == b"REST 8"), "continued, not started over");
    assert_eq!(std::fs::read(sandbox.local.join(name)).unwrap(), DATA);
    assert!(!sandbox.local.join(part).exists() && !sandbox.local.join(meta).exists());
}

// ---- secrets: a login in the short form without a path -----------------------

/// `rftp ls bob:PASSWORD@HOST` reads as the path `PASSWORD@HOST` on host
/// `bob`, which is not refused (`host:icon@2x.png` is a file), but the
/// message about it must not show the password. (Before the fix: "rftp:
/// bob:s3cretpw@127.0.0.1: cannot connect to bob: …".)
#[test]
fn a_short_form_login_without_a_path_never_shows_its_password() {
    let sandbox = Sandbox::new();
    for args in [&["ls", "bob:s3cretpw@127.0.0.1"][..], &["get", "bob:s3cretpw@127.0.0.1", "-o", "x"]] {
        let (out, _) = run_within(&sandbox, &[&["--timeout", "5"], args].concat(), Duration::from_secs(20));
        let stderr = text(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("s3cretpw"), "{args:?}: {stderr}");
        assert!(stderr.contains("bob:****@127.0.0.1"), "{args:?}: {stderr}");
    }
}

// ---- logins: USER first, a password only when asked --------------------------

/// The `user` command sends USER first; so do the one-shot commands and
/// the shell opened with a user but no password (`-u bob`, or
/// `ftp://bob@HOST/`): a server that answers 230 lets them in with no
/// password, and none is asked for or sent.
#[test]
fn one_shot_and_shell_logins_send_no_password_when_the_server_wants_none() {
    for how in ["url", "option", "shell"] {
        let server = ScriptedServer::start(|s| {
            s.send("220 audit server");
            s.expect("USER bob");
            s.send("230 welcome, no password needed");
            serve_after_greeting(s);
        });
        let sandbox = Sandbox::new();
        let port = server.port.to_string();
        let plain = format!("ftp://127.0.0.1:{port}/");
        let with_user = format!("ftp://bob@127.0.0.1:{port}/");
        let args: Vec<&str> = match how {
            "url" => vec!["--timeout", "5", "ls", &with_user],
            "option" => vec!["--timeout", "5", "-u", "bob", "ls", &plain],
            _ => vec!["--timeout", "5", "-u", "bob", "127.0.0.1", &port],
        };
        let (out, _) = run_within(&sandbox, &args, Duration::from_secs(20));
        let received = server.finish();
        assert_eq!(out.status.code(), Some(0), "{how}: {}", text(&out.stderr));
        assert!(received.iter().all(|l| !l.starts_with("PASS")), "{how}: {received:?}");
    }
}

/// [`serve`]'s defaults, for a script that greeted and logged in itself.
fn serve_after_greeting(s: &mut Session) {
    while let Some(line) = s.read_line() {
        let line = String::from_utf8_lossy(&line).into_owned();
        let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        let reply = match verb.as_str() {
            "TYPE" | "OPTS" | "NOOP" => "200 ok".to_string(),
            "PWD" => "257 \"/\"".into(),
            "EPSV" => format!("229 Entering Extended Passive Mode (|||{}|)", s.listen_passive()),
            "NLST" | "LIST" => {
                s.send("150 here");
                drop(s.accept_data());
                "226 done".into()
            }
            "QUIT" => {
                s.send("221 bye");
                return;
            }
            _ => "502 not implemented here".into(),
        };
        s.send(&reply);
    }
}

// ---- resuming: a sidecar vouches only when it is the user's own -------------

/// In a shared folder another user can make `f.part.meta` before the user's
/// download does (the user's rftp then cannot remove it, and keeps none of
/// its own): written with rftp's header and the server file's identity of
/// the day of the `reget`, it must not vouch for the user's `.part` of an
/// older version. (Before the fix: "0123" of the old version joined to
/// "efghij" of the new one, exit 0.) Needs root to give the file away;
/// skipped otherwise.
#[test]
fn another_users_sidecar_never_vouches_for_a_part() {
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.local_file("f.part"), b"0123").unwrap();
    let sidecar = sandbox.local_file("f.part.meta");
    std::fs::write(&sidecar, "rftp partial download\nsize 10\nmodify 20261201101010.000000000\n").unwrap();
    if std::os::unix::fs::chown(&sidecar, Some(65534), Some(65534)).is_err() {
        return;
    }
    let server = ScriptedServer::start(|s| {
        let mut offset = 0usize;
        serve(s, |s, line| {
            if let Some(n) = line.strip_prefix("REST ") {
                offset = n.parse().unwrap();
                return Some(format!("350 Restarting at {offset}"));
            }
            match line {
                "SIZE f" => Some("213 10".into()),
                "MDTM f" => Some("213 20261201101010".into()),
                "RETR f" => {
                    s.send("150 here");
                    let mut data = s.accept_data();
                    data.write_all(&b"abcdefghij"[offset..]).unwrap();
                    drop(data);
                    Some("226 done".into())
                }
                _ => None,
            }
        })
    });
    let (out, _) = run_within(&sandbox, &["get", "-c", &url(server.port, "f")], Duration::from_secs(20));
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(std::fs::read(sandbox.local_file("f")).unwrap(), b"abcdefghij", "{stderr}");
    assert!(!received.iter().any(|l| l.starts_with("REST")), "started over: {received:?}");
}
