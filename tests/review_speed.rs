//! A hostile review of issue #14's changes: each test here failed before
//! the fix committed with it.

mod common;
mod scripted;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::sandbox::{Sandbox, text};
use common::{TestServer, pattern, url};
use scripted::{ScriptedServer, ScriptedServers, Session, serve_loosely};

/// Serves `/t` by MLSD with one subfolder `sub` (a `unique` fact, as
/// pyftpdlib gives) holding `f`; the first listing of `/t` is cut after
/// its lines with a 426, which a batch tries again.
fn serve_mlsd_tree(s: &mut Session, listings_of_top: &AtomicUsize) {
    serve_loosely(s, "220 scripted", |s, line| {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let reply = match verb.to_ascii_uppercase().as_str() {
            "FEAT" => "211-Features:\r\n MLST type*;size*;modify*;unique*;\r\n REST STREAM\r\n211 End".to_string(),
            "CWD" if arg.ends_with('f') => "550 not a folder".into(),
            "CWD" => "250 ok".into(),
            "SIZE" if arg.ends_with("sub/f") => "213 5".into(),
            "SIZE" => "550 not a file".into(),
            "MLSD" => {
                let top = !arg.contains("sub");
                let first = top && listings_of_top.fetch_add(1, Ordering::SeqCst) == 0;
                let lines = if top {
                    "type=dir;modify=20200101000000;unique=801g2; sub\r\n"
                } else {
                    "type=file;size=5;modify=20200101000000;unique=801g3; f\r\n"
                };
                s.send("150 listing");
                s.accept_data().write_all(lines.as_bytes()).unwrap();
                if first { "426 connection closed; transfer aborted" } else { "226 done" }.into()
            }
            "RETR" if arg.ends_with("sub/f") => scripted::send_file(s, "150 here", b"12345")?,
            "MDTM" | "MFMT" => "550 not here".into(),
            _ => return None,
        };
        Some(reply)
    });
}

#[test]
fn get_r_whose_listing_is_tried_again_still_fetches_the_folders_it_named() {
    let listings = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&listings);
    let servers = ScriptedServers::start(move |_, s| serve_mlsd_tree(s, &counted));
    let sandbox = Sandbox::new();
    let url = format!("ftp://127.0.0.1:{}/t", servers.port);
    let out = sandbox.run(&["--retry-wait", "0", "get", "-r", "-j", "2", &url], "");
    servers.finish();
    assert!(listings.load(Ordering::SeqCst) >= 2, "the cut listing was not tried again: {}", text(&out.stderr));
    let got = std::fs::read(sandbox.local_file("t/sub/f"));
    assert_eq!(got.ok().as_deref(), Some(&b"12345"[..]), "t/sub/f missing; stderr: {}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// A server that refuses EPSV and, given RETR with no PASV or PORT,
/// starts it towards the default data port (RFC 959 §3.2), which fails:
/// the download goes on by PASV on the same connection, as it did before
/// EPSV and RETR were sent together (each try used to fail and close).
#[test]
fn a_server_refusing_epsv_that_starts_retr_anyway_gets_pasv_next() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        s.expect("EPSV");
        s.expect("RETR f");
        s.send("500 'EPSV': command not understood.");
        s.send("150 Opening BINARY mode data connection for f.");
        s.send("425 Can't build data connection: Connection refused.");
        s.expect("PASV");
        let port = s.listen_passive();
        s.send(&format!("227 Entering Passive Mode (127,0,0,1,{},{})", port >> 8, port & 0xff));
        s.expect("RETR f");
        scripted::send_file(s, "150 here", b"by pasv");
        s.send("226 done");
        s.drain();
    });
    let mut client = rftp::protocol::Client::connect("127.0.0.1", server.port).expect("connects");
    client.login("u", "p", None).expect("logs in");
    let mut out = Vec::new();
    let result = client.retrieve("f", &mut out, 0);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(out, b"by pasv");
    client.close();
    server.finish();
}

/// Ranges written into a `.part` leave holes until they all arrive; only
/// the sidecar's `segmented-from N` tells a later resume so. Where that
/// mark cannot be written (something not rftp's at `NAME.part.meta`: a
/// co-user's file in a shared folder, here a folder), a run killed while
/// ranges ran would leave holes that the next `reget` (once the name is
/// free) takes for data: the file moves on one connection instead.
#[test]
fn no_ranges_are_written_where_the_sidecar_cannot_mark_them() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = pattern(300_001);
    std::fs::write(server.root.join("big.bin"), &data).unwrap();
    std::fs::create_dir(sandbox.local.join("big.bin.part.meta")).unwrap();
    let out = sandbox.run(&["-d", "get", "--segments", "3", &url(&server, "big.bin")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(sandbox.local.join("big.bin")).unwrap(), data);
    let rests: Vec<_> = text(&out.stderr).lines().filter(|l| l.contains("*cmd* REST ")).map(String::from).collect();
    assert!(rests.is_empty(), "ranges without the sidecar's mark: {rests:?}");
}

/// A server that answers a pipelined RETR with 425 at once and closes its
/// passive socket before the data connection arrives: the connection
/// cannot be opened, yet the 425 keeps the session in step. That try
/// fails, and the connection stops pipelining, so the next one works (each
/// try used to close the connection and pipeline again on the next).
#[test]
fn a_pipelined_retr_refused_before_its_data_connection_could_open_is_not_pipelined_again() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        s.expect("EPSV");
        s.expect("RETR f");
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        s.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
        s.send("425 Can't open data connection");
        s.expect("EPSV");
        assert!(!s.sent_more_within(std::time::Duration::from_millis(300)), "RETR came before the 229");
        let port = s.listen_passive();
        s.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
        s.expect("RETR f");
        scripted::send_file(s, "150 here", b"second try");
        s.send("226 done");
        s.drain();
    });
    let mut client = rftp::protocol::Client::connect("127.0.0.1", server.port).expect("connects");
    client.login("u", "p", None).expect("logs in");
    assert!(client.retrieve("f", &mut Vec::new(), 0).is_err());
    let mut out = Vec::new();
    let second = client.retrieve("f", &mut out, 0);
    assert!(second.is_ok(), "{second:?}");
    assert_eq!(out, b"second try");
    client.close();
    server.finish();
}
