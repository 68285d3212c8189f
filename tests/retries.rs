//! Retries and reconnects (issue #12), run as a user would run them: a
//! transient failure is tried again (saying so on stderr unless `-q`), a
//! download continues what it has with REST, connecting is tried again,
//! and a connection the server closed is opened again by the next command.
//! What is permanent (550, a refused login) is never tried again.

mod common;
mod scripted;

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::pattern;
use common::sandbox::{Sandbox, text};
use scripted::{NEW_CONNECTION, Script, ScriptedServer, Session, serve_loosely};

/// What a RETR of `f.bin` gets: which RETR it is (0 for the first) and the
/// offset the REST before it asked for.
type Retr = dyn FnMut(&mut Session, usize, usize) -> String + Send;

/// A server for one connection that knows `f.bin` (`data`): SIZE, MDTM and
/// REST are answered, and `retr` answers each RETR.
fn serving(data: Arc<Vec<u8>>, mut retr: Box<Retr>) -> impl FnOnce(&mut Session) + Send + 'static {
    move |s: &mut Session| {
        let mut count = 0;
        let mut offset = 0;
        serve_loosely(s, "220 scripted server", |s, line| {
            let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
            match verb.as_str() {
                "SIZE" => Some(format!("213 {}", data.len())),
                "MDTM" => Some("213 20261201120000".into()),
                "REST" => {
                    offset = line[5..].trim().parse().unwrap();
                    Some(format!("350 Restarting at {offset}"))
                }
                "RETR" => {
                    let reply = retr(s, count, std::mem::take(&mut offset));
                    count += 1;
                    Some(reply)
                }
                _ => None,
            }
        });
    }
}

/// Sends `data[from..to]` on the data connection; the whole rest of the
/// file gets `226`, less gets `426` (the connection was cut).
fn send_part(s: &mut Session, data: &[u8], from: usize, to: usize) -> String {
    s.send("150 Opening BINARY mode data connection");
    let mut stream = s.accept_data();
    stream.write_all(&data[from..to]).unwrap();
    drop(stream);
    if to == data.len() { "226 Transfer complete".into() } else { "426 Connection closed; transfer aborted".into() }
}

fn url(port: u16) -> String {
    format!("ftp://127.0.0.1:{port}/f.bin")
}

fn retry_lines(stderr: &str) -> usize {
    stderr.lines().filter(|l| l.starts_with("retrying ")).count()
}

/// A server whose first RETR gets `425`, and the second the file.
fn answers_425_then_the_file(data: &Arc<Vec<u8>>) -> ScriptedServer {
    let whole = Arc::clone(data);
    ScriptedServer::start(serving(
        Arc::clone(data),
        Box::new(
            move |s, n, _| {
                if n == 0 { "425 Can't open data connection".into() } else { send_part(s, &whole, 0, whole.len()) }
            },
        ),
    ))
}

#[test]
fn a_425_is_tried_again_once_and_the_file_arrives_whole() {
    let data = Arc::new(pattern(200_000));
    let server = answers_425_then_the_file(&data);
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--retry-wait", "0", &url(server.port)], "");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("f.bin")).unwrap(), *data);
    assert_eq!(retry_lines(&stderr), 1, "{stderr}");
    assert!(stderr.contains("retrying f.bin in 0.0 s (1/5): ") && stderr.contains("425"), "{stderr}");
    assert_eq!(received.iter().filter(|l| l.starts_with("RETR")).count(), 2);
}

#[test]
fn quiet_retries_say_nothing() {
    let data = Arc::new(pattern(10_000));
    let server = answers_425_then_the_file(&data);
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "-q", "--retry-wait", "0", &url(server.port)], "");
    server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("f.bin")).unwrap(), *data);
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn no_retries_with_retries_0() {
    let data = Arc::new(pattern(10_000));
    let whole = Arc::clone(&data);
    let server = ScriptedServer::start(serving(
        Arc::clone(&data),
        Box::new(move |s, n, _| {
            assert_eq!(n, 0, "a second RETR came");
            let _ = &whole;
            let _ = s;
            "425 Can't open data connection".into()
        }),
    ));
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--retries", "0", "--retry-wait", "0", &url(server.port)], "");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(retry_lines(&stderr), 0, "{stderr}");
    assert!(stderr.contains("425"), "{stderr}");
}

#[test]
fn a_550_is_not_tried_again() {
    let server = ScriptedServer::start(serving(
        Arc::new(Vec::new()),
        Box::new(|_, n, _| {
            assert_eq!(n, 0, "a second RETR came");
            "550 No such file".into()
        }),
    ));
    assert_not_retried(server, 1, "550 No such file");
}

/// Runs `rftp get` from `server` with a 5 s retry wait, and checks that it
/// ended at once with exit status `code`, no retry line, and `reply` shown.
fn assert_not_retried(server: ScriptedServer, code: i32, reply: &str) {
    let sandbox = Sandbox::new();
    let started = Instant::now();
    // A retry would wait 5 s at least.
    let out = sandbox.run(&["get", "--retry-wait", "5", &url(server.port)], "");
    server.finish();
    let stderr = text(&out.stderr);
    assert!(started.elapsed() < Duration::from_secs(4), "it waited: {stderr}");
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert_eq!(retry_lines(&stderr), 0, "{stderr}");
    assert!(stderr.contains(reply), "{stderr}");
}

#[test]
fn a_download_cut_half_way_continues_with_rest() {
    let data = Arc::new(pattern(300_000));
    let whole = Arc::clone(&data);
    let server = ScriptedServer::start(serving(
        Arc::clone(&data),
        Box::new(move |s, n, offset| match n {
            0 => send_part(s, &whole, 0, 150_000),
            _ => send_part(s, &whole, offset, whole.len()),
        }),
    ));
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--retry-wait", "0", &url(server.port)], "");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("f.bin")).unwrap(), *data);
    assert!(!sandbox.local_file("f.bin.part").exists());
    let second = received.iter().enumerate().filter(|(_, l)| l.starts_with("RETR")).nth(1).expect("a second RETR").0;
    assert_eq!(received[second - 1], "REST 150000", "{received:?}");
    assert_eq!(retry_lines(&stderr), 1, "{stderr}");
}

#[test]
fn every_try_that_moves_data_starts_the_count_again() {
    // Cut four times, each time further on: with one retry, this finishes
    // only because a try that moved data starts the count of failures again.
    let data = Arc::new(pattern(50_000));
    let whole = Arc::clone(&data);
    let server = ScriptedServer::start(serving(
        Arc::clone(&data),
        Box::new(move |s, n, offset| {
            assert_eq!(offset, n * 10_000, "each try continues where the last stopped");
            let to = if n < 4 { offset + 10_000 } else { whole.len() };
            send_part(s, &whole, offset, to)
        }),
    ));
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--retries", "1", "--retry-wait", "0", &url(server.port)], "");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("f.bin")).unwrap(), *data);
    assert_eq!(stderr.matches("(1/1)").count(), 4, "{stderr}");
}

#[test]
fn failures_that_move_nothing_use_up_the_retries() {
    // After the first cut, nothing more arrives: the retries run out, and
    // the partial file is kept for `reget`.
    let data = Arc::new(pattern(50_000));
    let whole = Arc::clone(&data);
    let server = ScriptedServer::start(serving(
        Arc::clone(&data),
        Box::new(move |s, n, offset| {
            assert!(n <= 2, "more tries than --retries 2 allows");
            let to = if n == 0 { 10_000 } else { offset };
            send_part(s, &whole, offset, to)
        }),
    ));
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--retries", "2", "--retry-wait", "0", &url(server.port)], "");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("(1/2)") && stderr.contains("(2/2)") && retry_lines(&stderr) == 2, "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("f.bin.part")).unwrap(), data[..10_000]);
}

/// A connection of a shell session that answers CWD, PWD (in `/dir` once
/// there) and TYPE, then `then` for the rest.
fn folder_aware(mut then: impl FnMut(&mut Session, &str) -> Option<String> + Send + 'static) -> Script {
    Box::new(move |s: &mut Session| {
        let mut folder = "/".to_string();
        serve_loosely(s, "220 scripted server", |s, line| {
            if let Some(dir) = line.strip_prefix("CWD ") {
                folder = if dir.starts_with('/') { dir.to_string() } else { format!("/{dir}") };
                return Some("250 ok".into());
            }
            if line == "PWD" {
                s.send(&format!("257 \"{folder}\""));
                return then(s, line).or(Some(String::new()));
            }
            then(s, line)
        });
    })
}

#[test]
fn the_next_command_reconnects_after_the_server_closed_the_connection() {
    let mut pwds = 0;
    let server = ScriptedServer::start_each(vec![
        // The first connection: closed by the server after the PWD that
        // follows `cd dir`, as an idle timeout would.
        folder_aware(move |s, line| {
            if line == "PWD" {
                pwds += 1;
                if pwds == 1 {
                    s.send("421 Timeout.");
                    s.hang_up();
                }
            }
            None
        }),
        folder_aware(|_, _| None),
    ]);
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = sandbox.run(&["-n", "127.0.0.1", &port], "user u p\ncd dir\npwd\nbye\n");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(text(&out.stdout).contains("/dir"), "{}", text(&out.stdout));
    assert_eq!(stderr.matches("reconnected to 127.0.0.1").count(), 1, "{stderr}");
    let second = received.iter().rposition(|l| l == NEW_CONNECTION).unwrap();
    let again: Vec<&str> = received[second + 1..].iter().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(received[second + 1..second + 3], ["USER u", "PASS p"], "{received:?}");
    assert!(received[second..].iter().any(|l| l == "CWD /dir"), "back to the folder: {received:?}");
    assert_eq!(again.last(), Some(&"QUIT"), "{again:?}");
}

#[test]
fn a_command_that_changes_the_server_is_not_sent_twice() {
    let server = ScriptedServer::start_each(vec![
        folder_aware(|s, line| {
            if line.starts_with("MKD") {
                s.hang_up();
                return Some(String::new());
            }
            None
        }),
        folder_aware(|_, _| None),
    ]);
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = sandbox.run(&["-n", "127.0.0.1", &port], "user u p\nmkdir new\npwd\nbye\n");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the mkdir failed: {stderr}");
    assert_eq!(received.iter().filter(|l| l.starts_with("MKD")).count(), 1, "{received:?}");
    assert_eq!(stderr.matches("reconnected to").count(), 1, "the pwd after it reconnected: {stderr}");
    assert!(text(&out.stdout).contains('/'), "{}", text(&out.stdout));
}

#[test]
fn connecting_is_tried_again_until_the_server_appears() {
    let data = Arc::new(pattern(1000));
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let whole = Arc::clone(&data);
    let late = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the port is still free");
        let retr: Box<Retr> = Box::new(move |s, _, _| send_part(s, &whole, 0, whole.len()));
        ScriptedServer::start_each_on(listener, vec![Box::new(serving(Arc::clone(&data), retr))])
    });
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--retry-wait", "1", &url(port)], "");
    late.join().unwrap().finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("f.bin")).unwrap(), pattern(1000));
    assert!(stderr.contains("retrying the connection to 127.0.0.1 in "), "{stderr}");
}

#[test]
fn a_refused_login_is_not_tried_again() {
    let server = ScriptedServer::start(|s| {
        s.send("220 scripted server");
        s.expect("USER ");
        s.send("331 password please");
        s.expect("PASS ");
        s.send("530 Login incorrect.");
        s.drain();
    });
    assert_not_retried(server, 3, "530 Login incorrect");
}

#[test]
fn the_shell_sets_retries_and_the_first_wait() {
    let data = Arc::new(pattern(1000));
    let server =
        ScriptedServer::start(serving(Arc::clone(&data), Box::new(|_, _, _| "425 Can't open data connection".into())));
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let script = "retries 1\nretry-wait 0\nretries\nretry-wait\nuser u p\nget f.bin\nretries 0\nget f.bin\nbye\n";
    let out = sandbox.run(&["-n", "127.0.0.1", &port], script);
    let received = server.finish();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(stdout.contains("Retries: 1.") && stdout.contains("First wait before a retry: 0 s."), "{stdout}");
    assert_eq!(retry_lines(&stderr), 1, "one retry for the first get, none for the second: {stderr}");
    assert_eq!(received.iter().filter(|l| l.starts_with("RETR")).count(), 3, "{received:?}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
}

/// Takes a STOR's data into `keep`, as a server that stores it.
fn store_into(s: &mut Session, keep: &std::sync::Mutex<Vec<u8>>) -> String {
    s.send("150 go ahead");
    let mut stream = s.accept_data();
    *keep.lock().unwrap() = Session::read_all(&mut stream);
    "226 stored".into()
}

/// `rftp put` of `data` as `up.bin` to `server`, without retry waits,
/// which must succeed; what the server received, and rftp's stderr.
fn put_up_bin(data: &[u8], server: ScriptedServer) -> (Vec<String>, String) {
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("up.bin"), data).unwrap();
    let target = format!("ftp://127.0.0.1:{}/up.bin", server.port);
    let out = sandbox.run(&["put", "--retry-wait", "0", "up.bin", &target], "");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (received, stderr)
}

#[test]
fn an_upload_refused_a_data_connection_is_sent_again() {
    let data = pattern(70_000);
    let stored = Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = Arc::clone(&stored);
    let mut stors = 0;
    let server = ScriptedServer::start(move |s| {
        serve_loosely(s, "220 scripted server", |s, line| {
            if !line.starts_with("STOR") {
                return None;
            }
            stors += 1;
            if stors == 1 {
                return Some("425 Can't open data connection".into());
            }
            Some(store_into(s, &keep))
        });
    });
    let (received, stderr) = put_up_bin(&data, server);
    assert_eq!(*stored.lock().unwrap(), data);
    assert_eq!(received.iter().filter(|l| l.starts_with("STOR")).count(), 2, "{received:?}");
    assert_eq!(retry_lines(&stderr), 1, "{stderr}");
}

#[test]
fn a_listing_is_tried_again_before_it_printed_anything() {
    let mut lists = 0;
    let server = ScriptedServer::start(move |s| {
        serve_loosely(s, "220 scripted server", |s, line| {
            if !line.starts_with("LIST") {
                return None;
            }
            lists += 1;
            if lists == 1 {
                return Some("425 Can't open data connection".into());
            }
            s.send("150 listing");
            s.accept_data().write_all(b"-rw-r--r-- 1 ftp ftp 5 Nov 26 03:47 only.txt\r\n").unwrap();
            Some("226 done".into())
        });
    });
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["ls", "-l", "--retry-wait", "0", &format!("ftp://127.0.0.1:{}/", server.port)], "");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(text(&out.stdout).matches("only.txt").count(), 1, "{}", text(&out.stdout));
    assert_eq!(retry_lines(&stderr), 1, "{stderr}");
}

#[test]
fn a_421_greeting_is_tried_again_by_open() {
    let server = ScriptedServer::start_each(vec![
        Box::new(|s: &mut Session| {
            s.send("421 Too many users, try again later.");
            s.hang_up();
        }),
        folder_aware(|_, _| None),
    ]);
    let sandbox = Sandbox::new();
    let script = format!("open 127.0.0.1 {}\npwd\nbye\n", server.port);
    let out = sandbox.run(&["--retry-wait", "0"], &script);
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("retrying the connection to 127.0.0.1 in 0.0 s (1/5): ") && stderr.contains("421"),
        "{stderr}"
    );
    assert!(received.iter().any(|l| l == "PWD"), "{received:?}");
}

#[test]
fn ctrl_c_ends_the_wait_before_a_retry_at_once() {
    // At a terminal, where Ctrl-C cancels the command and keeps the shell:
    // the wait must end at once, and the prompt come back.
    let server =
        ScriptedServer::start(serving(Arc::new(pattern(10)), Box::new(|_, _, _| "425 No data connection".into())));
    let sandbox = Sandbox::new();
    let mut command = sandbox.command(&["-n", "--retry-wait", "30", "127.0.0.1", &server.port.to_string()]);
    command.env("TERM", "xterm").stdin(std::process::Stdio::inherit());
    let mut session = rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty");
    session.exp_string("ftp> ").unwrap();
    session.send_line("user u p").unwrap();
    session.exp_string("ftp> ").unwrap();
    session.send_line("get f.bin").unwrap();
    session.exp_string("retrying f.bin in ").unwrap();
    let started = Instant::now();
    session.send_control('c').unwrap();
    session.exp_string("ftp> ").unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "Ctrl-C waited for the retry");
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
    let received = server.finish();
    assert_eq!(received.iter().filter(|l| l.starts_with("RETR")).count(), 1, "{received:?}");
}

#[test]
fn a_download_after_the_server_closed_the_connection_reconnects_without_a_retry() {
    let data = Arc::new(pattern(20_000));
    let whole = Arc::clone(&data);
    let mut pwds = 0;
    let server = ScriptedServer::start_each(vec![
        // Closed by the server, with no word, after `cd dir`.
        folder_aware(move |s, line| {
            if line == "PWD" {
                pwds += 1;
                if pwds == 1 {
                    s.hang_up();
                }
            }
            None
        }),
        folder_aware(move |s, line| match line.split(' ').next().unwrap_or_default() {
            "SIZE" => Some(format!("213 {}", whole.len())),
            "RETR" => {
                assert_eq!(line, "RETR f.bin");
                Some(send_part(s, &whole, 0, whole.len()))
            }
            _ => None,
        }),
    ]);
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = sandbox.run(&["-n", "--retry-wait", "5", "127.0.0.1", &port], "user u p\ncd dir\nget f.bin\nbye\n");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("f.bin")).unwrap(), *data);
    assert_eq!(stderr.matches("reconnected to 127.0.0.1").count(), 1, "{stderr}");
    assert_eq!(retry_lines(&stderr), 0, "no wait, no retry: {stderr}");
    let second = received.iter().rposition(|l| l == NEW_CONNECTION).unwrap();
    assert!(received[second..].iter().any(|l| l == "CWD /dir"), "back to the folder: {received:?}");
}

/// The hazard of resuming an upload: a try cut before the server took any
/// data (here the control connection, right after STOR) left the old remote
/// file. Its first bytes are not this file's, so the retry must send the
/// whole file again (STOR), never append to it (REST + STOR or APPE).
#[test]
fn an_upload_cut_before_any_data_is_sent_again_whole_not_resumed() {
    let data = pattern(70_000);
    let stored = Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = Arc::clone(&stored);
    let server = ScriptedServer::start_each(vec![
        Box::new(|s: &mut Session| {
            serve_loosely(s, "220 scripted server", |s, line| {
                if line.starts_with("SIZE") {
                    return Some("213 10".into());
                }
                if line.starts_with("STOR") {
                    s.hang_up();
                    return Some(String::new());
                }
                None
            });
        }),
        Box::new(move |s: &mut Session| {
            serve_loosely(s, "220 scripted server", |s, line| {
                if line.starts_with("SIZE") {
                    // The old file, untouched by the cut try.
                    return Some("213 10".into());
                }
                if !line.starts_with("STOR") {
                    return None;
                }
                Some(store_into(s, &keep))
            });
        }),
    ]);
    let (received, _) = put_up_bin(&data, server);
    assert!(*stored.lock().unwrap() == data, "the whole file was sent again");
    let second = received.iter().rposition(|l| l == NEW_CONNECTION).unwrap();
    let again = &received[second..];
    assert!(again.iter().any(|l| l == "STOR up.bin"), "{received:?}");
    assert!(!again.iter().any(|l| l.starts_with("APPE") || l.starts_with("REST")), "not resumed: {received:?}");
}
