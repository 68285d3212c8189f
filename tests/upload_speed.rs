//! Uploads at wire speed (issue #14): `put` sends a file in steps of
//! several MiB (by sendfile to other machines, through the buffer to a
//! server on this one), and a one-shot command ends without waiting for the answer
//! to QUIT, which vsftpd gives only once it has closed (and, on ext4,
//! written back) the file just uploaded.

mod common;
mod scripted;

use std::fs;
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, run_within, text};
use common::tls::{TlsServer, tls_server};
use common::{PASSWORD, USER, pattern};
use rftp::protocol::{Client, Error, Options};
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

/// A local file holding `data`.
fn put_source(data: &[u8]) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    fs::write(file.path(), data).unwrap();
    file
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

/// A file of several sendfile steps arrives byte for byte: by sendfile, and
/// through the buffer over plain TCP (to loopback) and over TLS.
#[test]
fn an_upload_larger_than_the_send_step_arrives_byte_for_byte() {
    let data = pattern(BIG);
    let plain = tls_server(false);
    assert!(put_to(&plain, &[], &data) == data, "plain upload differs");
    let options = Options { sendfile_to_loopback: true, telnet_abort: false, ..Options::default() };
    let mut client = Client::connect_with("127.0.0.1", plain.server.address().port(), options).unwrap();
    client.login(USER, PASSWORD, None).unwrap();
    let mut file = fs::File::open(put_source(&data).path()).unwrap();
    let mut reported = 0u64;
    let sent = client.store_file("by-sendfile.bin", &mut file, 0, &mut |n| reported += n).unwrap();
    assert_eq!((sent, reported), (data.len() as u64, data.len() as u64));
    assert!(fs::read(plain.server.root().join("by-sendfile.bin")).unwrap() == data, "sendfile upload differs");
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
    // On standard error: a one-shot command's standard output is data.
    assert!(text(&out.stderr).contains("221 bye"), "{}", text(&out.stderr));
    assert!(took >= SLOW_SHOWN_GOODBYE, "put took {took:?}");
    server.finish();
}

/// Takes the data connection of a STOR and never reads from it.
fn server_that_never_reads() -> ScriptedServer {
    ScriptedServer::start(|s: &mut Session| {
        greet_and_answer_until(s, "STOR");
        s.send("150 go ahead");
        let data = s.accept_data();
        // Answers ABOR as vsftpd does, then QUIT.
        while let Some(line) = s.read_line() {
            if line.eq_ignore_ascii_case(b"ABOR") {
                s.send("426 transfer aborted");
                s.send("226 ABOR ok");
            } else if line.eq_ignore_ascii_case(b"QUIT") {
                s.send("221 bye");
                break;
            }
        }
        drop(data);
    })
}

/// A server on this machine gets the file through the copier, unless the
/// options ask for sendfile; either way an upload nobody reads fails as
/// timed out within two timeouts.
#[test]
fn an_upload_nobody_reads_times_out_by_sendfile_and_by_copy() {
    let local = tempfile::NamedTempFile::new().unwrap();
    fs::write(local.path(), vec![7u8; 32 << 20]).unwrap();
    for sendfile_to_loopback in [true, false] {
        let server = server_that_never_reads();
        let timeout = Duration::from_secs(2);
        let options = Options { timeout, sendfile_to_loopback, telnet_abort: false, ..Options::default() };
        let mut client = Client::connect_with("127.0.0.1", server.port, options).unwrap();
        client.login("u", "p", None).unwrap();
        let mut file = fs::File::open(local.path()).unwrap();
        let start = Instant::now();
        let err = client.store_file("big.bin", &mut file, 0, &mut |_| {}).unwrap_err();
        let took = start.elapsed();
        assert!(matches!(err, Error::Timeout { .. } | Error::Stalled { .. }), "{err:?}");
        // Two timeouts (the stall window, then ABOR); a blocking write
        // took a third, waiting a whole timeout for each part the server took.
        assert!(took < timeout * 5 / 2, "sendfile: {sendfile_to_loopback}, took {took:?}");
        drop(client);
        server.finish();
    }
}
