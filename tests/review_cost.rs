//! What the safety checks cost in round trips: commands that buy nothing
//! (an MDTM when the listing already gave the time, a FEAT whose answer is
//! already known) are not sent, and what they stood for still holds.

mod common;
mod scripted;

use std::fs;
use std::io::Write;

use common::sandbox::{Sandbox, text};
use common::{PASSWORD, TestServer, USER};
use scripted::{ScriptedServer, Session};

/// A file the fake server holds: its name in `/dir`, the MLSD facts listed
/// for it, its contents, and how many bytes RETR sends before the server
/// reports success anyway (a cut transfer).
struct File {
    name: &'static str,
    facts: &'static str,
    contents: &'static [u8],
    sent: usize,
}

/// A server with MLSD and one folder, `/dir`, holding `files`. Every
/// command it receives is returned by `finish`; it answers MDTM with `mdtm`
/// for any file, and FEAT with `features` (none: FEAT is refused).
fn serve_with_mlsd(s: &mut Session, files: &[File], mdtm: &str, features: &[&str]) {
    s.send("220 scripted server");
    s.expect("USER ");
    s.send("331 password please");
    s.expect("PASS ");
    s.send("230 logged in");
    let find = |arg: &str| files.iter().find(|f| arg.trim_start_matches('/') == format!("dir/{}", f.name));
    while let Some(line) = s.read_line() {
        let line = String::from_utf8_lossy(&line).into_owned();
        let (verb, arg) = line.split_once(' ').unwrap_or((&line, ""));
        match verb.to_ascii_uppercase().as_str() {
            "FEAT" if features.is_empty() => s.send("502 FEAT not implemented"),
            "FEAT" => {
                s.send("211-Features:");
                features.iter().for_each(|feature| s.send(&format!(" {feature}")));
                s.send("211 End");
            }
            "OPTS" => s.send("200 UTF8 on."),
            "MLST" if arg.trim_start_matches('/') == "dir" => {
                s.send("250-Listing");
                s.send(" type=dir;modify=20250101000000; /dir");
                s.send("250 End");
            }
            "MLST" => match find(arg) {
                Some(file) => {
                    s.send("250-Listing");
                    s.send(&format!(" {} /{}", file.facts, arg.trim_start_matches('/')));
                    s.send("250 End");
                }
                None => s.send("550 No such file or folder."),
            },
            "PWD" => s.send("257 \"/\" is the current directory"),
            "CWD" if ["dir", "/dir", "/"].contains(&arg) => s.send("250 OK."),
            "CWD" => s.send("550 No such folder."),
            "TYPE" => s.send("200 Binary."),
            "MDTM" if find(arg).is_some() => s.send(&format!("213 {mdtm}")),
            "SIZE" => match find(arg) {
                Some(file) => s.send(&format!("213 {}", file.contents.len())),
                None => s.send("550 No such file."),
            },
            "EPSV" => {
                let port = s.listen_passive();
                s.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
            }
            "MLSD" if arg.trim_start_matches('/') == "dir" => {
                s.send("150 Listing.");
                let mut data = s.accept_data();
                data.write_all(b"type=cdir;modify=20250101000000; .\r\n").unwrap();
                for file in files {
                    data.write_all(format!("{} {}\r\n", file.facts, file.name).as_bytes()).unwrap();
                }
                drop(data);
                s.send("226 Listed.");
            }
            "RETR" => match find(arg) {
                Some(file) => {
                    s.send("150 Sending.");
                    let mut data = s.accept_data();
                    data.write_all(&file.contents[..file.sent]).unwrap();
                    drop(data);
                    s.send("226 Sent.");
                }
                None => s.send("550 No such file."),
            },
            "QUIT" => {
                s.send("221 Goodbye.");
                return;
            }
            _ => s.send("502 Not here."),
        }
    }
}

fn verbs(lines: &[String]) -> Vec<String> {
    lines.iter().map(|l| l.split(' ').next().unwrap_or_default().to_ascii_uppercase()).collect()
}

#[test]
fn get_r_takes_the_time_from_mlsd_and_sends_no_mdtm() {
    // Cut short: the `.part` stays, and so must what identifies it (a file
    // of 1 MiB or more: smaller ones are fetched whole again).
    let big: &'static [u8] = Box::leak(vec![b'y'; (1 << 20) + 10].into_boxed_slice());
    let facts: &'static str =
        Box::leak(format!("type=file;size={};modify=20250102030405;", big.len()).into_boxed_str());
    let files = vec![
        File { name: "cut", facts, contents: big, sent: 4 },
        File { name: "whole", facts: "type=file;size=3;modify=20250102030406;", contents: b"abc", sent: 3 },
    ];
    let server = ScriptedServer::start(move |s| serve_with_mlsd(s, &files, "20250102030405", &[]));
    let sandbox = Sandbox::new();
    let url = format!("ftp://127.0.0.1:{}/dir", server.port);
    let out = sandbox.run(&["-j", "1", "get", "-r", &url], "");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the cut file fails: {stderr}");
    assert!(!verbs(&received).contains(&"MDTM".to_string()), "MLSD gave the times: {received:?}");
    assert!(!verbs(&received).contains(&"SIZE".to_string()), "MLSD gave the sizes: {received:?}");
    assert_eq!(fs::read(sandbox.local_file("dir/whole")).unwrap(), b"abc");
    assert_eq!(fs::read(sandbox.local_file("dir/cut.part")).unwrap(), b"yyyy");
    let identity = fs::read_to_string(sandbox.local_file("dir/cut.part.meta")).unwrap();
    assert!(identity.contains(&format!("size {}\n", big.len())), "{identity}");
    assert!(identity.contains("modify 20250102030405.000000000\n"), "the listing's time is kept: {identity}");
}

/// Without a time from the listing, a file large enough to be resumed
/// (1 MiB and more) gets MDTM before its RETR, and its `.part` keeps the
/// time; a small one is fetched without it, and a cut one leaves no `.part`
/// (it is fetched again whole, never continued).
#[test]
fn get_r_asks_mdtm_when_the_listing_gave_no_time() {
    let big: &'static [u8] = Box::leak(vec![b'x'; (1 << 20) + 10].into_boxed_slice());
    let facts: &'static str = Box::leak(format!("type=file;size={};", big.len()).into_boxed_str());
    let files = vec![
        File { name: "cut", facts, contents: big, sent: 4 },
        File { name: "small", facts: "type=file;size=10;", contents: b"0123456789", sent: 4 },
    ];
    let server = ScriptedServer::start(move |s| serve_with_mlsd(s, &files, "20250102030405", &[]));
    let sandbox = Sandbox::new();
    let url = format!("ftp://127.0.0.1:{}/dir", server.port);
    let out = sandbox.run(&["-j", "1", "--retries", "0", "get", "-r", &url], "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let asked: Vec<_> = received.iter().filter(|l| l.starts_with("MDTM")).collect();
    assert_eq!(asked, ["MDTM dir/cut"], "the time must come from somewhere: {received:?}");
    let identity = fs::read_to_string(sandbox.local_file("dir/cut.part.meta")).unwrap();
    assert!(identity.contains("modify 20250102030405.000000000\n"), "{identity}");
    // Fetched whole next time: nothing of the cut try is kept.
    assert!(!sandbox.local_file("dir/small.part").exists() && !sandbox.local_file("dir/small.part.meta").exists());
}

#[test]
fn a_batch_asks_feat_once_and_mlst_tells_the_source_is_a_folder() {
    let files = || {
        vec![
            File { name: "a", facts: "type=file;size=3;modify=20250102030405;", contents: b"aaa", sent: 3 },
            File { name: "b", facts: "type=file;size=3;modify=20250102030405;", contents: b"bbb", sent: 3 },
        ]
    };
    let features = ["MLST type*;size*;modify*;", "UTF8", "MDTM", "SIZE"];
    // Two connections on one port, each served by the same script.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let second = listener.try_clone().unwrap();
    let first = ScriptedServer::start_on(listener, move |s| serve_with_mlsd(s, &files(), "20250102030405", &features));
    let other = ScriptedServer::start_on(second, move |s| serve_with_mlsd(s, &files(), "20250102030405", &features));
    let sandbox = Sandbox::new();
    let url = format!("ftp://127.0.0.1:{}/dir", first.port);
    let out = sandbox.run(&["-j", "2", "get", "-r", &url], "");
    let mut received = first.finish();
    received.extend(other.finish());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("dir/a")).unwrap(), b"aaa");
    assert_eq!(fs::read(sandbox.local_file("dir/b")).unwrap(), b"bbb");
    let count = |verb: &str| verbs(&received).iter().filter(|v| *v == verb).count();
    assert_eq!(count("FEAT"), 1, "the second connection reuses the first one's FEAT: {received:?}");
    assert_eq!(count("OPTS"), 2, "UTF8 is asked for on each connection: {received:?}");
    assert!(received.contains(&"MLST dir".to_string()), "{received:?}");
    assert!(!received.contains(&"CWD dir".to_string()), "MLST said it is a folder: {received:?}");
}

#[test]
fn mlst_tells_a_plain_file_from_a_folder_and_a_missing_path() {
    let features = ["MLST type*;size*;modify*;"];
    let file = || vec![File { name: "f", facts: "type=file;size=2;modify=20250102030405;", contents: b"ff", sent: 2 }];
    let server = ScriptedServer::start(move |s| serve_with_mlsd(s, &file(), "20250102030405", &features));
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "-r", &format!("ftp://127.0.0.1:{}/dir/f", server.port)], "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("f")).unwrap(), b"ff");
    assert!(received.contains(&"MLST dir/f".to_string()), "{received:?}");
    assert!(!verbs(&received).contains(&"MLSD".to_string()), "a file is not listed: {received:?}");
    assert!(!verbs(&received).contains(&"PWD".to_string()), "one file needs no second connection: {received:?}");

    let server = ScriptedServer::start(move |s| serve_with_mlsd(s, &[], "20250102030405", &features));
    let out = sandbox.run(&["get", "-r", &format!("ftp://127.0.0.1:{}/missing", server.port)], "");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("missing: no such folder or file"), "{stderr}");
    assert!(!sandbox.local_file("missing").exists(), "no empty folder left behind");
}

#[test]
fn get_takes_size_and_time_from_one_mlst() {
    let features = ["MLST type*;size*;modify*;"];
    let file = || {
        vec![File { name: "f", facts: "type=file;size=10;modify=20250102030405;", contents: b"0123456789", sent: 4 }]
    };
    let server = ScriptedServer::start(move |s| serve_with_mlsd(s, &file(), "20250102030405", &features));
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", &format!("ftp://127.0.0.1:{}/dir/f", server.port)], "");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "4 of 10 bytes is a failure: {stderr}");
    assert!(received.contains(&"MLST dir/f".to_string()), "{received:?}");
    let verbs = verbs(&received);
    assert!(!verbs.contains(&"SIZE".to_string()) && !verbs.contains(&"MDTM".to_string()), "{received:?}");
    assert_eq!(fs::read(sandbox.local_file("f.part")).unwrap(), b"0123");
    let identity = fs::read_to_string(sandbox.local_file("f.part.meta")).unwrap();
    assert!(identity.contains("size 10\n") && identity.contains("modify 20250102030405.000000000\n"), "{identity}");
}

#[test]
fn get_falls_back_to_size_when_mlst_names_no_size() {
    let features = ["MLST type*;modify*;"];
    let file = || vec![File { name: "f", facts: "type=file;modify=20250102030405;", contents: b"0123456789", sent: 4 }];
    let server = ScriptedServer::start(move |s| serve_with_mlsd(s, &file(), "20250102030405", &features));
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", &format!("ftp://127.0.0.1:{}/dir/f", server.port)], "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(1), "SIZE still proves 4 bytes short: {}", text(&out.stderr));
    assert!(received.contains(&"SIZE dir/f".to_string()), "{received:?}");
}

#[test]
fn reget_sees_a_changed_file_in_the_mlst_time() {
    let features = ["MLST type*;size*;modify*;"];
    let file = || {
        vec![File { name: "f", facts: "type=file;size=10;modify=20250102030405;", contents: b"0123456789", sent: 10 }]
    };
    let server = ScriptedServer::start(move |s| serve_with_mlsd(s, &file(), "20250102030405", &features));
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("f.part"), b"old!").unwrap();
    fs::write(sandbox.local_file("f.part.meta"), "rftp partial download\nsize 10\nmodify 20240101000000\n").unwrap();
    let out = sandbox.run(&["get", "-c", &format!("ftp://127.0.0.1:{}/dir/f", server.port)], "");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("changed on the server"), "{stderr}");
    assert!(!verbs(&received).contains(&"REST".to_string()), "started over: {received:?}");
    assert_eq!(fs::read(sandbox.local_file("f")).unwrap(), b"0123456789");
}

#[test]
fn after_a_cd_relative_paths_are_not_asked_of_mlst() {
    // libunftp (rftp serve) answers MLST of a relative path from its root,
    // whatever the working folder: here about /a and /b, not /top/a and /top/b.
    let server = TestServer::start();
    fs::create_dir_all(server.root.join("top/a")).unwrap();
    fs::write(server.root.join("top/a/f"), b"deep").unwrap();
    fs::write(server.root.join("top/b"), b"four").unwrap();
    fs::write(server.root.join("a"), b"a file, not the folder").unwrap();
    fs::write(server.root.join("b"), b"another file, longer than four bytes").unwrap();
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let script = format!("user {USER} {PASSWORD}\ncd top\nget -r a\nget b\n");
    let out = sandbox.run(&["-n", &server.host, &port], &script);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("a/f")).unwrap(), b"deep");
    assert_eq!(fs::read(sandbox.local_file("b")).unwrap(), b"four");
}

/// A small file whose time MLSD gave gets no `.part.meta` while it moves;
/// cut short, its `.part` stays with the identity (size and the listing's
/// time), so the next run can continue it; one that arrives leaves nothing.
#[test]
fn a_small_file_with_the_listings_time_keeps_its_identity_only_when_cut() {
    let files = vec![
        File { name: "cut", facts: "type=file;size=10;modify=20250102030405;", contents: b"0123456789", sent: 4 },
        File { name: "whole", facts: "type=file;size=3;modify=20250102030406;", contents: b"abc", sent: 3 },
    ];
    let server = ScriptedServer::start(move |s| serve_with_mlsd(s, &files, "20250102030405", &[]));
    let sandbox = Sandbox::new();
    let url = format!("ftp://127.0.0.1:{}/dir", server.port);
    let out = sandbox.run(&["-j", "1", "--retries", "0", "get", "-r", &url], "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(1), "the cut file fails: {}", text(&out.stderr));
    assert!(!verbs(&received).contains(&"MDTM".to_string()), "{received:?}");
    assert_eq!(fs::read(sandbox.local_file("dir/cut.part")).unwrap(), b"0123");
    let identity = fs::read_to_string(sandbox.local_file("dir/cut.part.meta")).unwrap();
    assert!(identity.contains("size 10\n") && identity.contains("modify 20250102030405.000000000\n"), "{identity}");
    assert_eq!(fs::read(sandbox.local_file("dir/whole")).unwrap(), b"abc");
    assert!(!sandbox.local_file("dir/whole.part.meta").exists());
}
