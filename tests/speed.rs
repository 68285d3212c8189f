//! Fewer round trips on real networks (issue #14): EPSV and the command of
//! a download or listing in one write, falling back where a server trips
//! over it; no MLSD asked of a server whose FEAT does not announce it; and
//! `get -r` listing folders on all of its connections at once.

mod common;
mod scripted;

use std::io::Write;
use std::time::Duration;

use common::sandbox::{Sandbox, text};
use rftp::protocol::{Client, Error};
use scripted::{Listing, ScriptedServer, ScriptedServers, Session, serve_like_vsftpd};

fn logged_in(server: &ScriptedServer) -> Client {
    let mut client = Client::connect("127.0.0.1", server.port).expect("connects");
    client.login("user", "pass", None).expect("logs in");
    client
}

/// Answers EPSV already read: the passive port, then `RETR` with `data`.
fn send_file_after_epsv(s: &mut Session, data: &[u8]) {
    let port = s.listen_passive();
    s.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
    s.send("150 here it comes");
    s.accept_data().write_all(data).unwrap();
    s.send("226 done");
}

#[test]
fn a_download_sends_epsv_and_retr_in_one_write() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        s.expect("EPSV");
        // Read before the 229 is sent: a client that waited for it would
        // never send RETR, and this would fail.
        s.expect("RETR f");
        send_file_after_epsv(s, b"pipelined");
        s.drain();
    });
    let mut client = logged_in(&server);
    let mut out = Vec::new();
    client.retrieve("f", &mut out, 0).unwrap();
    assert_eq!(out, b"pipelined");
    client.close();
    server.finish();
}

#[test]
fn a_listing_sends_epsv_and_list_in_one_write() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("EPSV");
        s.expect("LIST");
        send_file_after_epsv(s, b"-rw-r--r-- 1 u g 3 Jan  1  2020 a\r\n");
        s.drain();
    });
    let mut client = logged_in(&server);
    assert_eq!(client.list(None).unwrap(), ["-rw-r--r-- 1 u g 3 Jan  1  2020 a"]);
    client.close();
    server.finish();
}

/// A server that takes RETR before the data connection arrived answers
/// 425: that try fails (a retry tries again), and the connection then
/// waits for each 229 before sending the command, so the next one works.
#[test]
fn a_425_to_a_pipelined_retr_fails_that_try_and_later_ones_wait_for_the_229() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        s.expect("EPSV");
        s.expect("RETR f");
        let port = s.listen_passive();
        s.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
        s.send("425 Can't open data connection");
        s.expect("EPSV");
        assert!(!s.sent_more_within(Duration::from_millis(300)), "RETR came before the 229");
        let port = s.listen_passive();
        s.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
        s.expect("RETR f");
        s.send("150 here it comes");
        s.accept_data().write_all(b"second try").unwrap();
        s.send("226 done");
        s.drain();
    });
    let mut client = logged_in(&server);
    let error = client.retrieve("f", &mut Vec::new(), 0).unwrap_err();
    assert!(matches!(&error, Error::Temporary { reply, .. } if reply.code().as_u16() == 425), "{error:?}");
    let mut out = Vec::new();
    client.retrieve("f", &mut out, 0).unwrap();
    assert_eq!(out, b"second try");
    client.close();
    server.finish();
}

/// An upload waits for the 229: a STOR the server took without its data
/// connection could empty the file it replaces.
#[test]
fn an_upload_is_never_pipelined() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        s.expect("EPSV");
        assert!(!s.sent_more_within(Duration::from_millis(300)), "STOR came before the 229");
        let port = s.listen_passive();
        s.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
        s.expect("STOR f");
        s.send("150 send it");
        let mut data = s.accept_data();
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut data, &mut got).unwrap();
        assert_eq!(got, b"upload");
        s.send("226 stored");
        s.drain();
    });
    let mut client = logged_in(&server);
    client.store("f", &mut &b"upload"[..], 0).unwrap();
    client.close();
    server.finish();
}

/// vsftpd announces features but not MLST: `get -r` goes straight to LIST.
#[test]
fn no_mlsd_is_asked_of_a_server_whose_feat_does_not_announce_it() {
    let server = ScriptedServer::start(|s| {
        scripted::serve_loosely(s, "220 scripted server", |s, line| match line {
            "FEAT" => Some("211-Features:\r\n EPSV\r\n MDTM\r\n SIZE\r\n REST STREAM\r\n211 End".into()),
            "CWD /" | "CWD dir" => Some("250 ok".into()),
            "LIST dir" => {
                s.send("150 here it comes");
                drop(s.accept_data());
                Some("226 done".into())
            }
            _ => None,
        });
    });
    let sandbox = Sandbox::new();
    let url = format!("ftp://127.0.0.1:{}/dir", server.port);
    let out = sandbox.run(&["get", "-r", &url], "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!received.iter().any(|l| l.starts_with("MLSD")), "{received:?}");
    assert!(received.iter().any(|l| l == "LIST dir"), "{received:?}");
}

/// Serves `/t` with `folders` subfolders of two files each, listing
/// each subfolder slowly (so that several connections list at once).
fn serve_tree(s: &mut Session, folders: usize) {
    let mut listings = vec![("/t", Listing::Lines((0..folders).map(|i| dir_line(&format!("d{i}"))).collect()))];
    let mut files = Vec::new();
    for i in 0..folders {
        let path: &'static str = Box::leak(format!("/t/d{i}").into_boxed_str());
        listings.push((path, Listing::Lines(vec![file_line("a", 5), file_line("b", 5)])));
        for name in ["a", "b"] {
            files.push((&*Box::leak(format!("/t/d{i}/{name}").into_boxed_str()), b"12345".to_vec()));
        }
    }
    scripted::serve_like_vsftpd_slowly(s, listings, files, Duration::from_millis(150));
}

fn dir_line(name: &str) -> String {
    format!("drwxr-xr-x 2 u g 4096 Jan  1  2020 {name}")
}

fn file_line(name: &str, size: usize) -> String {
    format!("-rw-r--r-- 1 u g {size} Jan  1  2020 {name}")
}

#[test]
fn get_r_lists_folders_on_several_connections_at_once() {
    let servers = ScriptedServers::start(|_, s| serve_tree(s, 6));
    let sandbox = Sandbox::new();
    let url = format!("ftp://127.0.0.1:{}/t", servers.port);
    let out = sandbox.run(&["get", "-r", "-j", "4", &url], "");
    let sessions = servers.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for i in 0..6 {
        for name in ["a", "b"] {
            assert_eq!(std::fs::read(sandbox.local_file(&format!("t/d{i}/{name}"))).unwrap(), b"12345");
        }
    }
    let listing: Vec<_> =
        sessions.iter().filter(|(_, lines)| lines.iter().any(|l| l.starts_with("LIST t/d"))).map(|(n, _)| n).collect();
    assert!(listing.len() >= 2, "subfolders listed on one connection only: {sessions:?}");
}

#[test]
fn get_r_of_a_tree_with_one_file_opens_no_more_connections() {
    let servers = ScriptedServers::start(|_, s| {
        serve_like_vsftpd(
            s,
            vec![("/t", Listing::Lines(vec![file_line("only", 3)]))],
            vec![("/t/only", b"one".to_vec())],
        )
    });
    let sandbox = Sandbox::new();
    let url = format!("ftp://127.0.0.1:{}/t", servers.port);
    let out = sandbox.run(&["get", "-r", "-j", "4", &url], "");
    let sessions = servers.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(sandbox.local_file("t/only")).unwrap(), b"one");
    assert_eq!(sessions.len(), 1, "{sessions:?}");
}
