//! Uploads at wire speed (issue #14): `put` sends a file in steps of
//! several MiB, and a one-shot command ends without waiting for the answer
//! to QUIT, which vsftpd gives only once it has closed (and, on ext4,
//! written back) the file just uploaded.

mod common;
mod scripted;

use std::fs;
use std::time::Duration;

use common::sandbox::{Sandbox, run_within, text};
use common::tls::{TlsServer, tls_server};
use common::{PASSWORD, USER, pattern};
use scripted::{ScriptedServer, Session, greet_and_answer_until};

/// Larger than two sendfile steps (4 MiB), and not a whole number of pages.
const BIG: usize = 9 * 1024 * 1024 + 7;

/// How long the scripted server lets the answer to QUIT wait.
const SLOW_GOODBYE: Duration = Duration::from_secs(4);

/// The same where the test waits for it: shorter, to keep the test fast.
const SLOW_SHOWN_GOODBYE: Duration = Duration::from_secs(1);

fn url(s: &TlsServer, path: &str) -> String {
    format!("ftp://{USER}:{PASSWORD}@127.0.0.1:{}/{path}", s.server.address().port())
}

/// `rftp put` of `data`, with `extra` options; the file the server stored.
fn put_to(s: &TlsServer, extra: &[&str], data: &[u8]) -> Vec<u8> {
    let sandbox = Sandbox::new();
    fs::write(sandbox.local.join("big.bin"), data).unwrap();
    let target = url(s, "big.bin");
    let mut args = vec!["put", "-q"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["big.bin", &target]);
    let (out, _) = run_within(&sandbox, &args, Duration::from_secs(60));
    assert!(out.status.success(), "{}", text(&out.stderr));
    fs::read(s.server.root().join("big.bin")).unwrap()
}

/// A file of several sendfile steps arrives byte for byte, over plain TCP
/// (sendfile) and over TLS (the buffered path).
#[test]
fn an_upload_larger_than_the_send_step_arrives_byte_for_byte() {
    let data = pattern(BIG);
    let plain = tls_server(false);
    assert!(put_to(&plain, &[], &data) == data, "plain upload differs");
    let tls = tls_server(true);
    let ca = tls.certificates.ca.display().to_string();
    assert!(put_to(&tls, &["--tls", "--cacert", &ca], &data) == data, "TLS upload differs");
}

/// Takes one STOR into `stored`, answers 226, then answers QUIT only after
/// `delay`, as vsftpd does after a large upload.
fn slow_goodbye_server(delay: Duration) -> ScriptedServer {
    ScriptedServer::start(move |s: &mut Session| {
        greet_and_answer_until(s, "STOR");
        s.send("150 go ahead");
        let mut data = s.accept_data();
        let received = Session::read_all(&mut data);
        drop(data);
        s.send(&format!("226 got {} bytes", received.len()));
        s.expect("QUIT");
        // Waits out `delay`, or less if the client hangs up first.
        s.control().set_read_timeout(Some(delay)).unwrap();
        let _ = s.read_line();
        s.send("221 bye");
        s.drain();
    })
}

/// The one-shot `put` ends once the server confirmed the file (226): its
/// goodbye is said, not waited for.
#[test]
fn a_one_shot_put_does_not_wait_for_the_answer_to_quit() {
    let server = slow_goodbye_server(SLOW_GOODBYE);
    let sandbox = Sandbox::new();
    fs::write(sandbox.local.join("f.bin"), pattern(100_000)).unwrap();
    let target = format!("ftp://u:p@127.0.0.1:{}/f.bin", server.port);
    let (out, took) = run_within(&sandbox, &["put", "-q", "f.bin", &target], Duration::from_secs(20));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(took < SLOW_GOODBYE / 2, "put took {took:?}: it waited for the answer to QUIT");
    let received = server.finish();
    assert_eq!(received.last().map(String::as_str), Some("QUIT"), "{received:?}");
}

/// With `-v` the replies are shown, so the answer to QUIT is still waited
/// for and shown.
#[test]
fn a_verbose_put_still_shows_the_answer_to_quit() {
    let server = slow_goodbye_server(SLOW_SHOWN_GOODBYE);
    let sandbox = Sandbox::new();
    fs::write(sandbox.local.join("f.bin"), b"small").unwrap();
    let target = format!("ftp://u:p@127.0.0.1:{}/f.bin", server.port);
    let (out, took) = run_within(&sandbox, &["put", "-v", "f.bin", &target], Duration::from_secs(20));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("221 bye"), "{}", text(&out.stdout));
    assert!(took >= SLOW_SHOWN_GOODBYE, "put took {took:?}");
    server.finish();
}
