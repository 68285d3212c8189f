//! Review of the merged hardening: errors of a single-file download name
//! the file. The size checks' errors (too few bytes, too many, an ignored
//! REST) carry byte counts only, so the one-shot and the shell name the file
//! themselves; a data connection that fails names the transfer command.
//! With several files on a command line or in a script, the user must see
//! which one failed.

mod common;
mod scripted;

use std::io::Write;
use std::time::Duration;

use common::sandbox::{Sandbox, text};
use rftp::protocol::{Client, Error, Options};
use scripted::{ScriptedServer, Session, serve_loosely};

/// Answers `RETR data.bin` with `data` (after SIZE said `size`), and
/// everything else the way a plain server would, until QUIT.
fn serve(s: &mut Session, size: u64, data: &'static [u8]) {
    serve_loosely(s, "220 scripted server", |s, line| {
        let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        match verb.as_str() {
            "SIZE" => Some(format!("213 {size}")),
            "RETR" => {
                s.send("150 here it comes");
                let mut stream = s.accept_data();
                stream.write_all(data).unwrap();
                drop(stream);
                Some("226 Transfer complete".into())
            }
            // This server never knew NOOP; serve_loosely's default would say 200.
            "NOOP" => Some("502 not implemented here".into()),
            _ => None,
        }
    })
}

/// The line of `stderr` that reports `what`.
fn error_line<'a>(stderr: &'a str, what: &str) -> &'a str {
    stderr.lines().find(|line| line.contains(what)).unwrap_or_else(|| panic!("no {what:?} in {stderr}"))
}

#[test]
fn a_one_shot_download_with_too_many_bytes_names_the_file() {
    let server = ScriptedServer::start(|s| serve(s, 5, b"0123456789"));
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{}/data.bin", server.port);
    let out = sandbox.run(&["get", &url, "-o", "local.bin"], "");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // Named once: by the URL the one-shot puts before every error.
    let line = error_line(&stderr, "transfer too long");
    assert_eq!(line.matches("data.bin").count(), 1, "{line}");
}

#[test]
fn a_short_download_in_the_shell_names_the_file() {
    let server = ScriptedServer::start(|s| serve(s, 20, b"0123456789"));
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["-n", "--retries", "0", "127.0.0.1", &server.port.to_string()], "user u p\nget data.bin\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = error_line(&stderr, "transfer incomplete");
    assert!(line.contains("data.bin:"), "{line}");
    assert!(sandbox.local_file("data.bin.part").exists(), "the partial download is kept");
}

#[test]
fn a_silent_data_connection_names_the_transfer() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        s.answer_epsv();
        s.expect("RETR ");
        s.send("150 go");
        let mut open_but_silent = s.accept_data();
        open_but_silent.write_all(b"a little, then nothing").unwrap();
        // After the Telnet interrupt bytes (RFC 959 §4.1.3).
        let abort = s.read_line().expect("the client aborts");
        assert!(abort.ends_with(b"ABOR"), "{abort:?}");
        s.send("426 Transfer aborted.");
        s.send("226 ABOR successful.");
        s.drain();
    });
    let options = Options { timeout: Duration::from_millis(300), ..Options::default() };
    let mut client = Client::connect_with("127.0.0.1", server.port, options).expect("connects");
    client.login("u", "p", None).unwrap();
    let err = client.retrieve("report.pdf", &mut Vec::new(), 0).unwrap_err();
    assert!(matches!(&err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("RETR report.pdf"), "{err}");
    client.close();
    server.finish();
}
