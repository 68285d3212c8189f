//! Review of "waits and memory" and "server text and the terminal": cases a
//! hostile server could still use to keep rftp running, or to write to the
//! terminal, after the first round of fixes.
//!
//! Each run of the binary must end within a bound, so that a regression
//! fails here instead of hanging the test run.

mod common;
mod scripted;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, text};
use scripted::{ScriptedServer, Session};

/// How long a scripted server keeps up an endless stream before giving up.
const LIMIT: Duration = Duration::from_secs(20);

/// Greets, then answers what a one-shot command sends before `verb` (login,
/// TYPE, EPSV …), in any order; returns the `verb` command line.
fn greet_and_answer_until(s: &mut Session, verb: &str) -> String {
    s.send("220 scripted server");
    loop {
        let line = s.read_line().unwrap_or_else(|| panic!("the client hung up before {verb}"));
        let line = String::from_utf8_lossy(&line).into_owned();
        let command = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        if command == verb {
            return line;
        }
        let reply = match command.as_str() {
            "USER" => "331 password please".to_string(),
            "PASS" => "230 logged in".to_string(),
            "EPSV" => format!("229 Entering Extended Passive Mode (|||{}|)", s.listen_passive()),
            "PWD" => "257 \"/\" is the folder".to_string(),
            "TYPE" | "OPTS" => "200 ok".to_string(),
            "CWD" => "250 ok".to_string(),
            _ => "502 not implemented".to_string(),
        };
        s.send(&reply);
    }
}

/// Answers ABOR as vsftpd does, then QUIT; ends when the client hangs up.
fn answer_abort_and_quit(s: &mut Session) {
    while let Some(line) = s.read_line() {
        if line.ends_with(b"ABOR") {
            s.send("426 transfer aborted");
            s.send("226 ABOR ok");
        } else if line.eq_ignore_ascii_case(b"QUIT") {
            s.send("221 bye");
            return;
        }
    }
}

/// Waits for `child` to end; kills it and panics if it runs past `bound`.
fn wait_within(mut child: Child, bound: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("rftp can be waited for").is_none() {
        if start.elapsed() > bound {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("rftp still running after {bound:?}; stderr: {}", text(&out.stderr));
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A server whose NLST never ends: lines as fast as the client takes them.
fn endless_nlst() -> ScriptedServer {
    ScriptedServer::start(|s| {
        greet_and_answer_until(s, "NLST");
        s.send("150 here it comes");
        let mut data = s.accept_data();
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < LIMIT {
            let chunk: String = (n..n + 100).map(|i| format!("file{i}\r\n")).collect();
            n += 100;
            if data.write_all(chunk.as_bytes()).is_err() {
                break;
            }
        }
        drop(data);
        answer_abort_and_quit(s);
    })
}

/// `rftp ls URL | head -1`: once the reader is gone, an endless listing is
/// stopped (ABOR), quietly and with exit status 0, instead of read forever.
#[test]
fn ls_into_a_closed_pipe_stops_an_endless_listing() {
    let server = endless_nlst();
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{}/", server.port);
    let mut child = sandbox
        .command(&["ls", "--timeout", "2", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rftp starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert_eq!(first, "file0\n");
    // The reader (`head -1`) has what it wanted and goes away.
    let out = wait_within(child, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "a closed pipe stays quiet");
    server.finish();
}

/// The same in the shell: `ls` in a script whose output is cut.
#[test]
fn the_shells_ls_into_a_closed_pipe_stops_an_endless_listing() {
    let server = endless_nlst();
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{}/", server.port);
    let mut child = sandbox
        .command(&["--timeout", "2", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rftp starts");
    child.stdin.take().unwrap().write_all(b"nlist\n").unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert_eq!(first, "file0\n");
    let out = wait_within(child, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    server.finish();
}
