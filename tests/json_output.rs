//! `--json` for the one-shot commands (issue #15): one JSON object per line
//! on standard output for every file of `get`, `put`, `get -r` and `put -r`,
//! and for every entry of `rftp ls --json`, with the human messages on
//! standard error; and `rftp ls` names relative to the folder, sorted, on
//! servers that answer NLST differently.

mod common;
mod scripted;

use std::fs;
use std::io::Write;
use std::process::Output;

use common::sandbox::{Sandbox, text};
use common::{TestServer, url};
use scripted::{Listing, ScriptedServer, serve_like_vsftpd, serve_loosely};
use serde_json::Value;

/// Every line of standard output, each parsed as one JSON object.
fn json_lines(out: &Output) -> Vec<Value> {
    let stdout = text(&out.stdout);
    stdout
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\nstderr: {}", text(&out.stderr)));
            assert!(value.is_object(), "{line}");
            value
        })
        .collect()
}

/// The record whose `key` is `value`.
fn find<'a>(records: &'a [Value], key: &str, value: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r[key].as_str().is_some_and(|v| v.ends_with(value)))
        .unwrap_or_else(|| panic!("no record with {key} {value}: {records:?}"))
}

const FILE_KEYS: [&str; 9] = ["remote", "local", "bytes", "seconds", "result", "error", "code", "reply", "exit_status"];

fn assert_file_keys(record: &Value) {
    for key in FILE_KEYS {
        assert!(record.get(key).is_some(), "{key} missing from {record}");
    }
    assert!(record["seconds"].is_number(), "{record}");
}

#[test]
fn get_json_prints_a_line_per_file_with_the_failure_s_reply_and_messages_on_stderr() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("there.txt"), b"12345").unwrap();
    // -v: replies and summaries, which go to standard error with --json.
    let args = ["get", "-v", "--json", &url(&server, "there.txt"), &url(&server, "missing.txt")];
    let out = sandbox.run(&args, "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let records = json_lines(&out);
    assert_eq!(records.len(), 2, "{records:?}");
    records.iter().for_each(assert_file_keys);

    let ok = find(&records, "remote", "there.txt");
    assert_eq!(ok["result"], "ok");
    assert_eq!(ok["bytes"], 5);
    assert_eq!(ok["exit_status"], 0);
    assert!(ok["local"].as_str().unwrap().ends_with("there.txt"), "{ok}");
    assert_eq!(fs::read(sandbox.local.join("there.txt")).unwrap(), b"12345");

    let failed = find(&records, "remote", "missing.txt");
    assert_eq!(failed["result"], "failed");
    assert_eq!(failed["code"], 550, "{failed}");
    assert!(!failed["reply"].as_str().unwrap().is_empty(), "{failed}");
    assert!(!failed["reply"].as_str().unwrap().starts_with("550"), "the code is a key of its own: {failed}");
    assert_eq!(failed["exit_status"], 1);
    assert!(failed["error"].as_str().unwrap().contains("550"), "{failed}");

    let stderr = text(&out.stderr);
    assert!(stderr.contains("missing.txt") && stderr.contains("550"), "{stderr}");
    assert!(stderr.contains("received"), "the -v summary goes to standard error: {stderr}");
}

#[test]
fn a_server_that_cannot_be_reached_is_exit_status_3_in_the_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--json", "--retries", "0", &format!("ftp://127.0.0.1:{port}/f.txt")], "");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let records = json_lines(&out);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_file_keys(&records[0]);
    assert_eq!(records[0]["result"], "failed");
    assert_eq!(records[0]["exit_status"], 3);
    assert_eq!(records[0]["code"], Value::Null);
    assert!(text(&out.stderr).contains("cannot connect"), "{}", text(&out.stderr));
}

#[test]
fn get_json_refuses_standard_output_as_the_file() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--json", "-o", "-", "ftp://127.0.0.1:1/f"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("--json"), "{}", text(&out.stderr));
}

#[test]
fn put_json_prints_a_line_per_file() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(sandbox.local.join("one.txt"), b"one").unwrap();
    fs::write(sandbox.local.join("two.txt"), b"second").unwrap();
    fs::create_dir_all(server.root.join("in")).unwrap();
    let out = sandbox.run(&["put", "--json", "one.txt", "two.txt", &url(&server, "in/")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let records = json_lines(&out);
    assert_eq!(records.len(), 2, "{records:?}");
    records.iter().for_each(assert_file_keys);
    let two = find(&records, "local", "two.txt");
    assert_eq!(two["remote"], "in/two.txt");
    assert_eq!(two["bytes"], 6);
    assert_eq!(two["result"], "ok");
    assert_eq!(fs::read(server.root.join("in/two.txt")).unwrap(), b"second");
}

#[test]
fn trees_in_both_directions_print_a_line_per_file_on_several_connections() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("tree/sub")).unwrap();
    for (name, data) in [("tree/a.txt", "a"), ("tree/b.txt", "bb"), ("tree/sub/c.txt", "ccc")] {
        fs::write(server.root.join(name), data).unwrap();
    }
    let out = sandbox.run(&["get", "-r", "-j", "3", "--json", &url(&server, "tree")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let records = json_lines(&out);
    assert_eq!(records.len(), 3, "one line per file, none for folders: {records:?}");
    records.iter().for_each(assert_file_keys);
    let c = find(&records, "remote", "sub/c.txt");
    assert_eq!((c["bytes"].as_u64(), c["result"].as_str()), (Some(3), Some("ok")), "{c}");
    assert!(c["local"].as_str().unwrap().ends_with("tree/sub/c.txt"), "{c}");

    fs::create_dir_all(server.root.join("up")).unwrap();
    let out = sandbox.run(&["put", "-r", "-j", "2", "--json", "tree", &url(&server, "up/")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let records = json_lines(&out);
    assert_eq!(records.len(), 3, "{records:?}");
    let b = find(&records, "remote", "up/tree/b.txt");
    assert_eq!((b["bytes"].as_u64(), b["result"].as_str()), (Some(2), Some("ok")), "{b}");
    assert_eq!(fs::read(server.root.join("up/tree/sub/c.txt")).unwrap(), b"ccc");
}

#[test]
fn a_file_of_a_tree_the_server_refuses_has_its_code_and_text() {
    let listing = Listing::Lines(vec![
        "-rw-r--r-- 1 ftp ftp 5 Nov 26 03:47 kept.txt".into(),
        "-rw-r--r-- 1 ftp ftp 9 Nov 26 03:47 refused.txt".into(),
        // Refused by rftp itself: no file job, a failed line all the same.
        "-rw-r--r-- 1 ftp ftp 9 Nov 26 03:47 back\\slash".into(),
    ]);
    let server = ScriptedServer::start(move |s| {
        serve_like_vsftpd(s, vec![("/tree", listing)], vec![("/tree/kept.txt", b"kept!".to_vec())]);
    });
    let sandbox = Sandbox::new();
    let location = format!("ftp://u:p@127.0.0.1:{}/tree", server.port);
    let out = sandbox.run(&["get", "-r", "-j", "1", "--retries", "0", "--json", &location], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let records = json_lines(&out);
    assert_eq!(records.len(), 3, "{records:?}");
    let unsafe_name = find(&records, "error", "path separator");
    assert_file_keys(unsafe_name);
    assert_eq!((unsafe_name["result"].as_str(), &unsafe_name["remote"]), (Some("failed"), &Value::Null));
    assert!(unsafe_name["error"].as_str().unwrap().contains("back\\slash"), "{unsafe_name}");
    let kept = find(&records, "remote", "kept.txt");
    assert_eq!((kept["result"].as_str(), kept["bytes"].as_u64()), (Some("ok"), Some(5)), "{kept}");
    let refused = find(&records, "remote", "refused.txt");
    assert_file_keys(refused);
    assert_eq!(refused["result"], "failed");
    assert_eq!(refused["code"], 550);
    assert_eq!(refused["reply"], "Failed to open file.");
    assert_eq!(refused["exit_status"], 1);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("refused.txt") && stderr.contains("550 Failed to open file."), "{stderr}");
}

#[test]
fn ls_json_gives_type_size_and_time_from_mlsd() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("pub/folder")).unwrap();
    fs::write(server.root.join("pub/file.txt"), b"1234567").unwrap();
    let out = sandbox.run(&["ls", "--json", &url(&server, "pub/")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let records = json_lines(&out);
    assert_eq!(records.len(), 2, "{records:?}");
    for record in &records {
        for key in ["name", "type", "size", "modified", "modified_precision"] {
            assert!(record.get(key).is_some(), "{key} missing from {record}");
        }
    }
    let file = find(&records, "name", "file.txt");
    assert_eq!((file["type"].as_str(), file["size"].as_u64()), (Some("file"), Some(7)), "{file}");
    let modified = file["modified"].as_str().unwrap();
    assert!(is_rfc3339_utc(modified), "{modified}");
    assert_eq!(find(&records, "name", "folder")["type"], "dir");
}

fn is_rfc3339_utc(time: &str) -> bool {
    let bytes = time.as_bytes();
    bytes.len() == 20
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        && bytes[19] == b'Z'
        && time[..4].parse::<u16>().is_ok_and(|year| year >= 2020)
}

#[test]
fn ls_json_parses_list_lines_where_the_server_has_no_mlsd() {
    let listing = Listing::Lines(vec![
        "total 8".into(),
        "drwxr-xr-x 2 ftp ftp 4096 Jan  5  2024 docs".into(),
        "-rw-r--r-- 1 ftp ftp 1234 Jan  5  2024 notes.txt".into(),
        "lrwxrwxrwx 1 ftp ftp    9 Jan  5  2024 latest -> notes.txt".into(),
        "some line no server writes".into(),
    ]);
    let server = ScriptedServer::start(move |s| serve_like_vsftpd(s, vec![("/pub", listing)], vec![]));
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["ls", "--json", &format!("ftp://u:p@127.0.0.1:{}/pub", server.port)], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let records = json_lines(&out);
    assert_eq!(records.len(), 3, "{records:?}");
    let notes = find(&records, "name", "notes.txt");
    assert_eq!(notes["type"], "file");
    assert_eq!(notes["size"], 1234);
    assert_eq!(notes["modified"], "2024-01-05T00:00:00Z");
    assert_eq!(notes["modified_precision"], "day");
    assert_eq!(find(&records, "name", "docs")["type"], "dir");
    assert_eq!(find(&records, "name", "latest")["type"], "link");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("some line no server writes"), "unparsed lines are said: {stderr}");
}

/// A server whose NLST of `pub` answers `pub/NAME` lines, with `.` and `..`.
fn nlst_server(lines: &'static [&'static str]) -> ScriptedServer {
    ScriptedServer::start(move |s| {
        serve_loosely(s, "220 nlst server", |s, line| {
            if !line.to_ascii_uppercase().starts_with("NLST") {
                return None;
            }
            s.send("150 here it comes");
            let mut data = s.accept_data();
            for name in lines {
                data.write_all(format!("{name}\r\n").as_bytes()).unwrap();
            }
            drop(data);
            Some("226 done".into())
        })
    })
}

#[test]
fn ls_prints_names_relative_to_the_folder_and_sorted_on_every_server() {
    let server = nlst_server(&["pub/zeta.txt", ".", "pub/Alpha", "..", "pub/beta"]);
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["ls", &format!("ftp://u:p@127.0.0.1:{}/pub/", server.port)], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Alpha\nbeta\nzeta.txt\n");
    assert!(server.finish().iter().any(|line| line == "NLST pub/"));

    let server = TestServer::start();
    fs::create_dir_all(server.root.join("pub/sub")).unwrap();
    for name in ["b.txt", "a.txt", "C.txt"] {
        fs::write(server.root.join("pub").join(name), b"x").unwrap();
    }
    let out = sandbox.run(&["ls", &url(&server, "pub/")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "C.txt\na.txt\nb.txt\nsub\n");
    // -l is still the server's own long listing.
    let out = sandbox.run(&["ls", "-l", &url(&server, "pub/")], "");
    assert!(text(&out.stdout).lines().any(|l| l.contains("a.txt") && l.len() > "a.txt".len() + 10));
}

#[test]
fn ls_json_leaves_out_mlsd_s_own_folder_and_its_parent() {
    let server = ScriptedServer::start(|s| {
        serve_loosely(s, "220 mlsd server", |s, line| {
            let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
            match verb.as_str() {
                "FEAT" => Some("211-Features:\r\n MLST type*;size*;modify*;\r\n211 End".into()),
                "MLSD" => {
                    s.send("150 here it comes");
                    let mut data = s.accept_data();
                    for fact_line in [
                        "type=cdir;modify=20260101000000; /pub",
                        "type=pdir;modify=20260101000000; ..",
                        "type=file;size=42;modify=20261102030405.123; a file",
                        "type=OS.unix=symlink;modify=20261102030405; link",
                        "type=dir; sub",
                    ] {
                        data.write_all(format!("{fact_line}\r\n").as_bytes()).unwrap();
                    }
                    drop(data);
                    Some("226 done".into())
                }
                _ => None,
            }
        })
    });
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["ls", "--json", &format!("ftp://u:p@127.0.0.1:{}/pub", server.port)], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let records = json_lines(&out);
    let names: Vec<&str> = records.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a file", "link", "sub"]);
    assert_eq!(records[0]["size"], 42);
    assert_eq!(records[0]["modified"], "2026-11-02T03:04:05Z");
    assert_eq!(records[0]["modified_precision"], "second");
    assert_eq!(records[1]["type"], "link");
    assert_eq!(
        (records[2]["type"].as_str(), &records[2]["size"], &records[2]["modified"]),
        (Some("dir"), &Value::Null, &Value::Null)
    );
}

/// Ctrl-C in a tree: the file being fetched fails with exit status 130, and
/// the files not started yet are `skipped`, each with a line of its own.
#[test]
fn files_ctrl_c_left_untried_are_skipped_lines() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    let fetching = Arc::new(AtomicBool::new(false));
    let started = Arc::clone(&fetching);
    let server = ScriptedServer::start(move |s| {
        let mut held = None;
        serve_loosely(s, "220 scripted server", |s, line| {
            let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
            match verb.as_str() {
                "CWD" | "TYPE" | "OPTS" | "NOOP" => Some("250 ok".into()),
                "LIST" => {
                    s.send("150 listing");
                    let mut data = s.accept_data();
                    for name in ["a", "b", "c"] {
                        let line = format!("-rw-r--r-- 1 ftp ftp 100000 Nov 26 03:47 {name}\r\n");
                        data.write_all(line.as_bytes()).unwrap();
                    }
                    Some("226 listed".into())
                }
                // Held open, and no more: the client waits until Ctrl-C.
                _ => scripted::retr_held_until_abor(s, &verb, &mut held, &started),
            }
        })
    });
    let sandbox = Sandbox::new();
    let location = format!("ftp://u:p@127.0.0.1:{}/tree", server.port);
    let child = sandbox.spawn_piped(&["get", "-r", "-j", "1", "--json", &location]);
    let until = Instant::now() + Duration::from_secs(10);
    while !fetching.load(Ordering::SeqCst) {
        assert!(Instant::now() < until, "the first file was never asked for");
        std::thread::sleep(Duration::from_millis(10));
    }
    common::sandbox::interrupt(&child);
    let out = common::sandbox::wait_within(child, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let records = json_lines(&out);
    assert_eq!(records.len(), 3, "{records:?}");
    records.iter().for_each(assert_file_keys);
    let cut = find(&records, "remote", "tree/a");
    assert_eq!((cut["result"].as_str(), cut["exit_status"].as_u64()), (Some("failed"), Some(130)), "{cut}");
    for name in ["tree/b", "tree/c"] {
        let left = find(&records, "remote", name);
        assert_eq!((left["result"].as_str(), left["exit_status"].as_u64()), (Some("skipped"), Some(130)), "{left}");
        assert_eq!(left["bytes"], 0);
    }
}
