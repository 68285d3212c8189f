//! Audit of issue 10 on the merged code, end to end through the real
//! binary: attacks where two of its parts meet (a folder check under
//! `--timeout`, a trickling FEAT, a stalled tree listing, names that are not
//! UTF-8 in a tree). Each test here failed before the fix it names, or
//! guards a promise no other test tried this way.

mod common;
mod scripted;

use std::io::Write;
use std::process::{Child, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, text};
use scripted::{ScriptedServer, Session};

/// Greets, then answers every command until QUIT or the client hangs up:
/// `answer` first (`Some("")` sends nothing), then plain defaults.
fn serve(s: &mut Session, mut answer: impl FnMut(&mut Session, &str) -> Option<String>) {
    s.send("220 audit server");
    while let Some(line) = s.read_line() {
        let line = String::from_utf8_lossy(&line).into_owned();
        if let Some(reply) = answer(s, &line) {
            if !reply.is_empty() {
                s.send(&reply);
            }
            continue;
        }
        let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        let reply = match verb.as_str() {
            "USER" => "331 password please".to_string(),
            "PASS" => "230 logged in".into(),
            "TYPE" | "OPTS" | "NOOP" => "200 ok".into(),
            "PWD" => "257 \"/\"".into(),
            "EPSV" => format!("229 Entering Extended Passive Mode (|||{}|)", s.listen_passive()),
            "ABOR" => "226 ABOR ok".into(),
            "QUIT" => {
                s.send("221 bye");
                return;
            }
            _ => "502 not implemented here".into(),
        };
        s.send(&reply);
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

/// Runs `rftp ARGS` with no standard input, bounded by `bound`.
fn run_within(sandbox: &Sandbox, args: &[&str], bound: Duration) -> (Output, Duration) {
    let start = Instant::now();
    let child = sandbox.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let out = wait_within(child, bound);
    (out, start.elapsed())
}

fn url(port: u16, path: &str) -> String {
    format!("ftp://u:p@127.0.0.1:{port}/{path}")
}

// ---- waits: --timeout bounds the folder check and the FEAT ------------------

/// `get -r` checks its source is a folder before listing it. A server that
/// never answers that check (the CWD) is bounded by `--timeout` like any
/// other wait.
#[test]
fn get_r_against_a_folder_check_that_never_answers_ends_within_the_timeout() {
    let server = ScriptedServer::start(|s| {
        serve(s, |_, line| {
            if line.starts_with("CWD") || line.starts_with("MLST") {
                // Never answered: the client must give up on its own.
                thread::sleep(Duration::from_secs(8));
                return Some("250 too late".into());
            }
            None
        })
    });
    let sandbox = Sandbox::new();
    let (out, took) =
        run_within(&sandbox, &["get", "-r", "--timeout", "2", &url(server.port, "tree")], Duration::from_secs(15));
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(took < Duration::from_secs(7), "took {took:?} with --timeout 2: {stderr}");
    assert!(!sandbox.local_file("tree").exists(), "no local folder for a check that failed");
    drop(server);
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
    let (out, took) = run_within(&sandbox, &["ls", "--timeout", "2", &url(server.port, "")], Duration::from_secs(20));
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
    let (out, took) =
        run_within(&sandbox, &["get", "-r", "--timeout", "2", &url(server.port, "tree")], Duration::from_secs(20));
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stalled"), "{stderr}");
    assert!(took < Duration::from_secs(8), "took {took:?} with --timeout 2: {stderr}");
    drop(server);
}
