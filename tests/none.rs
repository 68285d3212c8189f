//! Review of the merged hardening: what the size checks of a single-file
//! download report. Their errors (too few bytes, too many, an ignored REST)
//! carry byte counts only, so the one-shot and the shell name the file
//! themselves: with several files on a command line or in a script, the
//! user must see which one failed.

mod common;
mod scripted;

use std::io::Write;

use common::sandbox::{Sandbox, text};
use scripted::{ScriptedServer, Session};

/// Answers `RETR data.bin` with `data` (after SIZE said `size`), and
/// everything else the way a plain server would, until QUIT.
fn serve(s: &mut Session, size: u64, data: &'static [u8]) {
    s.send("220 scripted server");
    while let Some(line) = s.read_line() {
        let line = String::from_utf8_lossy(&line).into_owned();
        let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        let reply = match verb.as_str() {
            "USER" => "331 password please".to_string(),
            "PASS" => "230 logged in".into(),
            "TYPE" => "200 type set".into(),
            "PWD" => "257 \"/\"".into(),
            "SIZE" => format!("213 {size}"),
            "EPSV" => {
                let port = s.listen_passive();
                format!("229 Entering Extended Passive Mode (|||{port}|)")
            }
            "RETR" => {
                s.send("150 here it comes");
                let mut stream = s.accept_data();
                stream.write_all(data).unwrap();
                drop(stream);
                "226 Transfer complete".into()
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
    let out = sandbox.run(&["-n", "127.0.0.1", &server.port.to_string()], "user u p\nget data.bin\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = error_line(&stderr, "transfer incomplete");
    assert!(line.contains("data.bin:"), "{line}");
    assert!(sandbox.local_file("data.bin.part").exists(), "the partial download is kept");
}
