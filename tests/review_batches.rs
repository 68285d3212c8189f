//! Review of batches that heal (issue #12): cases the batch tests did not
//! reach. The server is scripted (`tests/scripted`) and serves one folder
//! `dir` on every connection a batch opens.

mod common;
mod scripted;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::sandbox::{Sandbox, text};
use scripted::{ScriptedServers, Session, serve_loosely};

/// Lines of text, as an ASCII transfer sends them (CRLF on the wire).
fn text_file(lines: usize) -> String {
    (0..lines).map(|i| format!("line {i} of a text file\r\n")).collect()
}

/// Serves `dir` with `files`; the first RETR of `cut` sends half the file,
/// closes the data connection and answers `426` (the control connection
/// stays). Counts RETRs of `cut` in `tries`.
fn serve_dir(s: &mut Session, files: &[(String, String)], cut: &str, tries: &AtomicUsize, types: &Mutex<Vec<String>>) {
    serve_loosely(s, "220 scripted server", |s, line| {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        match verb {
            "CWD" if matches!(arg, "/" | "dir" | "/dir") => Some("250 ok".into()),
            "CWD" => Some("550 no such folder".into()),
            "TYPE" => {
                types.lock().unwrap().push(arg.to_string());
                Some("200 type set".into())
            }
            "LIST" => {
                s.send("150 listing");
                let mut data = s.accept_data();
                for (name, contents) in files {
                    let line = format!("-rw-r--r--    1 ftp ftp {:>12} Nov 26 03:47 {name}\r\n", contents.len());
                    if data.write_all(line.as_bytes()).is_err() {
                        return Some("426 listing cut".into());
                    }
                }
                Some("226 listed".into())
            }
            "RETR" => {
                let name = arg.trim_start_matches("dir/");
                let Some((_, contents)) = files.iter().find(|(n, _)| n == name) else {
                    return Some("550 no such file".into());
                };
                let first = name == cut && tries.fetch_add(1, Ordering::SeqCst) == 0;
                s.send("150 sending");
                let mut data = s.accept_data();
                let bytes = if first { &contents.as_bytes()[..contents.len() / 2] } else { contents.as_bytes() };
                // A client stopped early may be gone: then so is the transfer.
                let sent = data.write_all(bytes).is_ok();
                drop(data);
                Some(if first || !sent { "426 Connection closed; transfer aborted" } else { "226 sent" }.into())
            }
            _ => None,
        }
    });
}

#[test]
fn an_ascii_batch_retries_a_cut_file_from_the_start_over_its_own_part() {
    // In ASCII mode a download is never resumed (conversion changes byte
    // counts), so the retry starts over: it must take the `.part` its own
    // first try left, not refuse it as a leftover of another run.
    let files: Vec<(String, String)> = (0..3).map(|i| (format!("t{i}"), text_file(200 + 50 * i))).collect();
    let tries = Arc::new(AtomicUsize::new(0));
    let types = Arc::new(Mutex::new(Vec::new()));
    let server = {
        let (files, tries, types) = (files.clone(), Arc::clone(&tries), Arc::clone(&types));
        ScriptedServers::start(move |_, s| serve_dir(s, &files, "t1", &tries, &types))
    };
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = sandbox.run(&["--retry-wait", "0", "-n", "127.0.0.1", &port], "user u p\nascii\nget -r dir\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(tries.load(Ordering::SeqCst), 2, "{stderr}");
    assert!(stderr.contains("retrying dir/t1 in 0.0 s (1/5): "), "{stderr}");
    for (name, contents) in &files {
        let got = std::fs::read_to_string(sandbox.local_file(&format!("dir/{name}"))).unwrap_or_default();
        // ASCII: CRLF on the wire, LF here.
        assert_eq!(got, contents.replace("\r\n", "\n"), "dir/{name}: {stderr}");
        assert!(!sandbox.local_file(&format!("dir/{name}.part")).exists(), "dir/{name}.part is left: {stderr}");
    }
    assert!(types.lock().unwrap().iter().any(|t| t == "A"), "the batch ran in ASCII mode");
}

#[test]
fn the_connections_allowed_are_those_open_together_not_all_ever_opened() {
    // The server allows two connections at once. The third one asked for
    // is greeted only once the second has ended (all files fetched): it
    // gets in, but only because the second is gone; the fourth is refused.
    // Two connections at once is what the server allows, not three.
    let files: Vec<(String, String)> = (0..10).map(|i| (format!("t{i}"), text_file(20 + i))).collect();
    let live = Arc::new(AtomicUsize::new(0));
    let extra_ended = Arc::new(AtomicUsize::new(0));
    let server = {
        let (files, live, extra_ended) = (files.clone(), Arc::clone(&live), Arc::clone(&extra_ended));
        let (tries, types) = (AtomicUsize::new(0), Mutex::new(Vec::new()));
        ScriptedServers::start(move |number, s| {
            if number == 3 {
                let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while extra_ended.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < until {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
            if live.fetch_add(1, Ordering::SeqCst) >= 2 {
                live.fetch_sub(1, Ordering::SeqCst);
                s.send("421 Too many connections from your address");
                return;
            }
            serve_dir(s, &files, "", &tries, &types);
            live.fetch_sub(1, Ordering::SeqCst);
            if number != 1 {
                extra_ended.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let sandbox = Sandbox::new();
    let url = format!("ftp://127.0.0.1:{}/dir", server.port);
    let out = sandbox.run(&["-j", "4", "--retry-wait", "0", "get", "-r", &url], "");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(extra_ended.load(Ordering::SeqCst), 2, "the third connection got in: {stderr}");
    let line = "rftp: the server allows 2 connections; going on with 2 (";
    assert_eq!(stderr.matches(line).count(), 1, "{stderr}");
    assert!(stderr.contains("421 Too many connections"), "{stderr}");
    assert!(!stderr.contains("allows 3"), "{stderr}");
    for (name, contents) in &files {
        let got = std::fs::read_to_string(sandbox.local_file(&format!("dir/{name}"))).unwrap_or_default();
        assert_eq!(&got, contents, "dir/{name}: {stderr}");
    }
}

#[test]
fn ctrl_c_ends_a_batch_at_once_while_a_lost_connection_is_being_opened_again() {
    // The first connection is dropped during the first RETR; the batch
    // opens it again, and the server accepts but never greets.
    let asked_again = Arc::new(AtomicUsize::new(0));
    // Set once rftp has ended: the silent connection may end too.
    let ended = Arc::new(AtomicUsize::new(0));
    let server = {
        let (asked_again, ended) = (Arc::clone(&asked_again), Arc::clone(&ended));
        ScriptedServers::start(move |number, s| {
            if number > 1 {
                asked_again.fetch_add(1, Ordering::SeqCst);
                let until = std::time::Instant::now() + std::time::Duration::from_secs(15);
                while ended.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < until {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                return;
            }
            serve_loosely(s, "220 scripted server", |s, line| {
                let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
                match verb {
                    "CWD" if matches!(arg, "/" | "dir" | "/dir") => Some("250 ok".into()),
                    "LIST" => {
                        s.send("150 listing");
                        let mut data = s.accept_data();
                        let _ = data.write_all(b"-rw-r--r--    1 ftp ftp 100 Nov 26 03:47 f\r\n");
                        Some("226 listed".into())
                    }
                    "RETR" => {
                        s.hang_up();
                        Some(String::new())
                    }
                    _ => None,
                }
            });
        })
    };
    let sandbox = Sandbox::new();
    let url = format!("ftp://127.0.0.1:{}/dir", server.port);
    let child = sandbox.spawn_piped(&["--retry-wait", "0", "get", "-r", &url]);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while asked_again.load(Ordering::SeqCst) == 0 {
        assert!(std::time::Instant::now() < until, "the connection was never opened again");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let pressed = std::time::Instant::now();
    common::sandbox::interrupt(&child);
    let out = common::sandbox::wait_within(child, std::time::Duration::from_secs(20));
    let took = pressed.elapsed();
    ended.store(1, Ordering::SeqCst);
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(took < std::time::Duration::from_secs(3), "{took:?}: {stderr}");
}

/// `put -r` of `src` into `up` on a server whose first STOR of `up/<cut>`
/// takes the data and then answers `426` (once, on whichever connection:
/// `cut_done` is shared); records every STOR, REST, APPE and SIZE, and what
/// each STOR stored.
fn serve_uploads(
    s: &mut Session,
    cut: &str,
    cut_done: &std::sync::atomic::AtomicBool,
    seen: &Mutex<Vec<String>>,
    stored: &Mutex<Vec<(String, Vec<u8>)>>,
) {
    serve_loosely(s, "220 scripted server", |s, line| {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        match verb {
            "MKD" => Some(format!("257 \"{arg}\" created")),
            "CWD" => Some("250 ok".into()),
            "SIZE" | "REST" | "APPE" => {
                seen.lock().unwrap().push(line.to_string());
                Some(if verb == "SIZE" { "550 no such file" } else { "502 not here" }.into())
            }
            "STOR" => {
                seen.lock().unwrap().push(line.to_string());
                s.send("150 go ahead");
                let mut data = s.accept_data();
                let received = Session::read_all(&mut data);
                let cut_now = arg.ends_with(cut) && !cut_done.swap(true, Ordering::SeqCst);
                stored.lock().unwrap().push((arg.to_string(), received));
                Some(if cut_now { "426 Connection closed; transfer aborted" } else { "226 stored" }.into())
            }
            _ => None,
        }
    });
}

#[test]
fn an_ascii_upload_cut_in_a_batch_is_sent_again_whole() {
    // ASCII changes byte counts, so a cut upload cannot be resumed: its
    // retry sends the whole file again (it failed, "cannot resume").
    let seen = Arc::new(Mutex::new(Vec::new()));
    let stored = Arc::new(Mutex::new(Vec::new()));
    let server = {
        let (seen, stored) = (Arc::clone(&seen), Arc::clone(&stored));
        let cut_done = std::sync::atomic::AtomicBool::new(false);
        ScriptedServers::start(move |_, s| serve_uploads(s, "t1", &cut_done, &seen, &stored))
    };
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.local_file("src")).unwrap();
    for i in 0..3 {
        std::fs::write(sandbox.local_file(&format!("src/t{i}")), text_file(100 + i).replace("\r\n", "\n")).unwrap();
    }
    let port = server.port.to_string();
    let script = "user u p\nascii\nput -r src up\n";
    let out = sandbox.run(&["--retry-wait", "0", "-n", "127.0.0.1", &port], script);
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.iter().filter(|l| l.ends_with("t1") && l.starts_with("STOR")).count(), 2, "{seen:?}");
    assert!(!seen.iter().any(|l| l.starts_with("REST") || l.starts_with("APPE")), "not resumed: {seen:?}");
    let stored = stored.lock().unwrap();
    let last = stored.iter().rev().find(|(name, _)| name.ends_with("t1")).unwrap();
    assert_eq!(last.1, text_file(101).into_bytes(), "the whole file, CRLF on the wire");
}

#[test]
fn an_upload_cut_in_a_batch_on_a_server_that_kept_the_old_file_is_sent_again_whole() {
    // Some servers store an upload under another name until it ends
    // (ProFTPD's HiddenStores, Pure-FTPd's --notruncate): after a cut they
    // still hold the old file, here as long as the new one. It is longer
    // than anything the cut try can have sent, so it is not resumed (which
    // would call it complete and keep the old bytes, exit 0).
    const SIZE: usize = 24 << 20;
    let old = vec![b'X'; SIZE];
    let new: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let file = Arc::new(Mutex::new(old.clone()));
    let server = {
        let (seen, file) = (Arc::clone(&seen), Arc::clone(&file));
        ScriptedServers::start(move |_, s| {
            let mut stors = 0;
            serve_loosely(s, "220 scripted server", |s, line| {
                let (verb, _) = line.split_once(' ').unwrap_or((line, ""));
                match verb {
                    "MKD" => Some("257 created".into()),
                    "CWD" => Some("250 ok".into()),
                    "SIZE" => Some(format!("213 {}", file.lock().unwrap().len())),
                    "REST" | "APPE" => {
                        seen.lock().unwrap().push(line.to_string());
                        Some("502 not here".into())
                    }
                    "STOR" => {
                        seen.lock().unwrap().push(line.to_string());
                        stors += 1;
                        s.send("150 go ahead");
                        let mut data = s.accept_data();
                        if stors == 1 {
                            // A megabyte, then the cut: the old file stays.
                            let mut first = vec![0; 1 << 20];
                            let _ = std::io::Read::read_exact(&mut data, &mut first);
                            let _ = socket2::SockRef::from(&data).set_linger(Some(std::time::Duration::ZERO));
                            drop(data);
                            return Some("426 Connection closed; transfer aborted".into());
                        }
                        *file.lock().unwrap() = Session::read_all(&mut data);
                        Some("226 stored".into())
                    }
                    _ => None,
                }
            });
        })
    };
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.local_file("src")).unwrap();
    std::fs::write(sandbox.local_file("src/big"), &new).unwrap();
    let url = format!("ftp://127.0.0.1:{}/up", server.port);
    let out = sandbox.run(&["-j", "1", "--retry-wait", "0", "put", "-r", "src", &url], "");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(*file.lock().unwrap() == new, "the server holds the new file: {stderr}");
    let seen = seen.lock().unwrap();
    assert!(!seen.iter().any(|l| l.starts_with("REST") || l.starts_with("APPE")), "not resumed: {seen:?}");
    assert_eq!(seen.iter().filter(|l| l.starts_with("STOR")).count(), 2, "{seen:?}");
}
