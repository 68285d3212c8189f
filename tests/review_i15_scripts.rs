//! Review of issue #15's interface for scripts: `--json` lines, exit
//! statuses, `rftp ls` names and the command line, against hostile servers
//! and careless callers.

mod common;
mod scripted;

use std::io::Write;
use std::process::Output;

use common::sandbox::{Sandbox, text};
use scripted::{ScriptedServer, serve_loosely};
use serde_json::Value;

/// Every line of standard output, each parsed as one JSON object.
fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\nstderr: {}", text(&out.stderr)))
        })
        .collect()
}

/// A server whose MLSD sends these raw lines.
fn mlsd_server(lines: &'static [&'static [u8]]) -> ScriptedServer {
    ScriptedServer::start(move |s| {
        serve_loosely(s, "220 mlsd server", |s, line| {
            let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
            match verb.as_str() {
                "FEAT" => Some("211-Features:\r\n MLST type*;size*;modify*;\r\n211 End".into()),
                "MLSD" => {
                    s.send("150 here it comes");
                    let mut data = s.accept_data();
                    for fact_line in lines {
                        data.write_all(fact_line).unwrap();
                        data.write_all(b"\r\n").unwrap();
                    }
                    drop(data);
                    Some("226 done".into())
                }
                _ => None,
            }
        })
    })
}

/// DEL, the C1 controls, the bidirectional overrides and bytes that are not
/// UTF-8 used to reach standard output as `\x7f`, `\u{9b}`, `\u{202e}` and
/// `\xe9`: escapes no JSON parser accepts, so the whole line was lost.
#[test]
fn ls_json_lines_stay_json_for_names_with_any_characters() {
    let server = mlsd_server(&[
        b"type=file;size=1; del\x7fname",
        b"type=file;size=2; c1\xc2\x9bname",
        b"type=file;size=3; evil\xe2\x80\xaetxt.exe",
        b"type=file;size=4; caf\xe9",
        b"type=file;size=5; quote\"back\\slash\ttab",
    ]);
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["ls", "--json", &format!("ftp://u:p@127.0.0.1:{}/pub/", server.port)], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let names: Vec<String> = json_lines(&out).iter().map(|r| r["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        names,
        ["del\u{7f}name", "c1\u{9b}name", "evil\u{202e}txt.exe", "caf\\xe9", "quote\"back\\slash\ttab"],
        "the names decoded are the server's (a byte that is not UTF-8 as \\xNN)"
    );
    let stdout = text(&out.stdout);
    for raw in ['\u{7f}', '\u{9b}', '\u{202e}'] {
        assert!(!stdout.contains(raw), "{raw:?} goes escaped, never raw, to a terminal or a log: {stdout}");
    }
}

/// `put .. ftp://HOST/dir/` cannot name the file it would make: a usage
/// error (exit 2) before anything is sent, not exit status 1 after the
/// other files went, with a `--json` line claiming 2.
#[test]
fn put_of_a_path_that_names_no_file_is_a_usage_error_before_anything_is_sent() {
    let server = common::TestServer::start();
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.local.join("first.txt"), b"1").unwrap();
    let first = sandbox.local.join("first.txt");
    let args = ["put", "--json", first.to_str().unwrap(), "..", &common::url(&server, "")];
    let out = sandbox.run(&args, "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("\"..\""), "the message names the path: {}", text(&out.stderr));
    assert!(!server.root.join("first.txt").exists(), "nothing is sent before a usage error");
}

/// Past the 200,000 names `rftp ls` sorts, the names held so far still come
/// out sorted, and standard error says the rest are not: they used to come
/// out all in the server's order, with no word of it.
#[test]
fn ls_past_the_sorting_cap_keeps_what_it_held_sorted_and_says_so() {
    const COUNT: usize = 200_010;
    let server = ScriptedServer::start(move |s| {
        serve_loosely(s, "220 nlst server", |s, line| {
            if !line.to_ascii_uppercase().starts_with("NLST") {
                return None;
            }
            s.send("150 here it comes");
            let mut data = std::io::BufWriter::new(s.accept_data());
            // In reverse order, so the server's order is never sorted.
            for n in (0..COUNT).rev() {
                let _ = write!(data, "pub/f{n:07}\r\n");
            }
            drop(data);
            Some("226 done".into())
        })
    });
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["ls", &format!("ftp://u:p@127.0.0.1:{}/pub/", server.port)], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let names: Vec<&str> = stdout.lines().collect();
    assert_eq!(names.len(), COUNT, "every name is printed once");
    let held = &names[..200_000];
    assert!(held.windows(2).all(|pair| pair[0] < pair[1]), "the names held are sorted: {:?}", &held[..3]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("unsorted") && stderr.contains("200000"), "the cap is said: {stderr}");
}

/// The shell reconnects when the server closed the connection; a server that then accepts and never greets kept the prompt
/// away for the whole `--timeout` despite Ctrl-C (and a second Ctrl-C ended
/// the shell), as `open` did before issue #15.
#[test]
fn ctrl_c_while_reconnecting_to_a_silent_server_gives_the_prompt_back() {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};
    let (reconnected, waiting) = mpsc::channel::<()>();
    let (done, finished) = mpsc::channel::<()>();
    let first: scripted::Script = Box::new(|s| {
        serve_loosely(s, "220 scripted server", |s, line| {
            // The server goes away, as after an idle timeout.
            line.starts_with("CWD").then(|| {
                s.hang_up();
                String::new()
            })
        })
    });
    let second: scripted::Script = Box::new(move |_| {
        // Accepted, never greeted.
        reconnected.send(()).unwrap();
        let _ = finished.recv_timeout(Duration::from_secs(20));
    });
    let server = ScriptedServer::start_each(vec![first, second]);
    let terminal = Sandbox::new();
    let port = server.port.to_string();
    let mut command = terminal.command(&["--timeout", "30", "-u", "bob", "127.0.0.1", &port]);
    command.env("TERM", "xterm").env("RFTP_PASSWORD", "pw").stdin(std::process::Stdio::inherit());
    let mut session = rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty");
    session.exp_string("ftp> ").unwrap();
    // `cd` finds the connection gone, and tries once more on a new one.
    session.send_line("cd gone").unwrap();
    waiting.recv_timeout(Duration::from_secs(10)).expect("rftp connects again");
    std::thread::sleep(Duration::from_millis(200));
    let pressed = Instant::now();
    session.send_control('c').unwrap();
    session.exp_string("interrupted while connecting to 127.0.0.1").unwrap();
    session.exp_string("ftp> ").unwrap();
    assert!(pressed.elapsed() < Duration::from_secs(3), "the prompt took {:?}", pressed.elapsed());
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
    let _ = done.send(());
    match session.process().wait().unwrap() {
        rexpect::process::WaitStatus::Exited(_, code) => assert_eq!(code, 0, "the shell ended with bye"),
        other => panic!("rftp did not exit normally: {other:?}"),
    }
}

/// `rftp get --json A B C` stopped by Ctrl-C during A: B and C get a
/// `skipped` line each, as the files of a tree do; they had none, so a
/// script could not tell them from files never asked for.
#[test]
fn sources_ctrl_c_left_untried_get_skipped_lines() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    let fetching = Arc::new(AtomicBool::new(false));
    let started = Arc::clone(&fetching);
    let server = ScriptedServer::start(move |s| {
        let mut held = None;
        serve_loosely(s, "220 scripted server", |s, line| {
            let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
            match verb.as_str() {
                "CWD" | "OPTS" => Some("250 ok".into()),
                "SIZE" => Some("213 100000".into()),
                // Held open, and no more: the client waits until Ctrl-C.
                _ => scripted::retr_held_until_abor(s, &verb, &mut held, &started),
            }
        })
    });
    let sandbox = Sandbox::new();
    let source = |name: &str| format!("ftp://u:p@127.0.0.1:{}/{name}", server.port);
    let child = sandbox.spawn_piped(&["get", "--json", &source("a"), &source("b"), &source("c")]);
    let until = Instant::now() + Duration::from_secs(10);
    while !fetching.load(Ordering::SeqCst) {
        assert!(Instant::now() < until, "the first file was never asked for");
        std::thread::sleep(Duration::from_millis(10));
    }
    common::sandbox::interrupt(&child);
    let out = common::sandbox::wait_within(child, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let records = json_lines(&out);
    let summary: Vec<(&str, &str, u64)> = records
        .iter()
        .map(|r| (r["remote"].as_str().unwrap(), r["result"].as_str().unwrap(), r["exit_status"].as_u64().unwrap()))
        .collect();
    assert_eq!(summary, [("a", "failed", 130), ("b", "skipped", 130), ("c", "skipped", 130)], "{records:?}");
}

/// Ctrl-C while a file of a tree waits to be tried again (it moved bytes,
/// then the server failed it transiently): it began, so it is `failed`
/// (exit status 130) with what it moved, not `skipped` with 0 bytes and
/// counted among the files "not started".
#[test]
fn a_file_waiting_for_its_retry_is_no_file_not_started() {
    use std::sync::mpsc;
    use std::time::Duration;

    let (failed_once, waiting) = mpsc::channel::<()>();
    let server = ScriptedServer::start(move |s| {
        serve_loosely(s, "220 scripted server", |s, line| {
            let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
            match verb.as_str() {
                "CWD" | "TYPE" | "OPTS" | "NOOP" => Some("250 ok".into()),
                "LIST" => {
                    s.send("150 listing");
                    let mut data = s.accept_data();
                    data.write_all(b"-rw-r--r-- 1 ftp ftp 100000 Nov 26 03:47 a\r\n").unwrap();
                    Some("226 listed".into())
                }
                "RETR" => {
                    s.send("150 sending (100000 bytes)");
                    let mut data = s.accept_data();
                    data.write_all(&[b'x'; 1000]).unwrap();
                    drop(data);
                    let _ = failed_once.send(());
                    Some("451 local error, try again later".into())
                }
                _ => None,
            }
        })
    });
    let sandbox = Sandbox::new();
    let location = format!("ftp://u:p@127.0.0.1:{}/tree", server.port);
    let child = sandbox.spawn_piped(&["get", "-r", "-j", "1", "--json", "--retry-wait", "30", &location]);
    waiting.recv_timeout(Duration::from_secs(10)).expect("the file was tried");
    // Into the wait before the retry.
    std::thread::sleep(Duration::from_millis(500));
    common::sandbox::interrupt(&child);
    let out = common::sandbox::wait_within(child, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let records = json_lines(&out);
    assert_eq!(records.len(), 1, "{records:?}");
    let a = &records[0];
    assert_eq!((a["result"].as_str(), a["exit_status"].as_u64()), (Some("failed"), Some(130)), "{a}");
    assert_eq!(a["bytes"], 1000, "{a}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("0 not started"), "{stderr}");
}

/// `rftp get --json FILE` stopped by Ctrl-C while it waits to try the file
/// again: the file still gets its line (failed, 130); rftp used to end at
/// once with none.
#[test]
fn ctrl_c_in_the_wait_before_a_retry_still_gives_the_file_its_line() {
    use std::sync::mpsc;
    use std::time::Duration;

    let (failed_once, waiting) = mpsc::channel::<()>();
    let server = ScriptedServer::start(move |s| {
        serve_loosely(s, "220 scripted server", |_, line| {
            let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
            match verb.as_str() {
                "CWD" | "OPTS" => Some("250 ok".into()),
                "SIZE" => Some("213 100".into()),
                "RETR" | "EPSV" | "PASV" => {
                    let _ = failed_once.send(());
                    Some("451 local error, try again later".into())
                }
                _ => None,
            }
        })
    });
    let sandbox = Sandbox::new();
    let location = format!("ftp://u:p@127.0.0.1:{}/a", server.port);
    let child = sandbox.spawn_piped(&["get", "--json", "--retry-wait", "30", &location]);
    waiting.recv_timeout(Duration::from_secs(10)).expect("the file was tried");
    std::thread::sleep(Duration::from_millis(500));
    common::sandbox::interrupt(&child);
    let out = common::sandbox::wait_within(child, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let records = json_lines(&out);
    assert_eq!(records.len(), 1, "{records:?}\n{}", text(&out.stderr));
    assert_eq!((records[0]["result"].as_str(), records[0]["exit_status"].as_u64()), (Some("failed"), Some(130)));
}

/// `-v` in a one-shot command shows the server's replies on standard error:
/// on standard output they were mixed into the file `get -o -` writes there,
/// and into the names `rftp ls` prints.
#[test]
fn one_shot_replies_never_mix_into_standard_output() {
    let server = common::TestServer::start();
    std::fs::create_dir_all(server.root.join("pub")).unwrap();
    std::fs::write(server.root.join("pub/data.bin"), b"exact bytes").unwrap();
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "-v", "-o", "-", &common::url(&server, "pub/data.bin")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, b"exact bytes", "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("230"), "the replies are still shown: {}", text(&out.stderr));
    let out = sandbox.run(&["-v", "ls", &common::url(&server, "pub/")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "data.bin\n");
}

/// MLSD's own folder and its parent are no entries whatever the server
/// names them: a server naming `cdir` by the folder's plain name (`pub`)
/// had `rftp ls --json` list `pub` inside `pub`.
#[test]
fn ls_json_leaves_out_the_folder_itself_under_any_name() {
    let server =
        mlsd_server(&[b"type=cdir;modify=20260101000000; pub", b"type=pdir; parent", b"type=file;size=1; real"]);
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["ls", "--json", &format!("ftp://u:p@127.0.0.1:{}/pub", server.port)], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let names: Vec<String> = json_lines(&out).iter().map(|r| r["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, ["real"]);
}
