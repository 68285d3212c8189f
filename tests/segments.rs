//! Segmented downloads (`get --segments N`, and the default for big files):
//! byte-identical files from several ranges at once, the fallback to one
//! connection when the server refuses ranges, and resuming after a cut,
//! against the embedded server and scripted ones.

mod common;
mod scripted;

use std::fs;

use common::sandbox::{Sandbox, text};
use common::{TestServer, pattern, url};

/// The RETR commands (and the REST before each) that rftp's `-d` output shows it sent.
fn rests_sent(stderr: &[u8]) -> Vec<String> {
    text(stderr).lines().filter(|l| l.contains("*cmd* REST ")).map(|l| l.to_string()).collect()
}

#[test]
fn segmented_downloads_are_byte_identical_for_odd_sizes() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    // Sizes not divisible by the count, smaller than it, and one byte.
    for (size, count) in [(1_000_003usize, "3"), (777_777, "4"), (3, "4"), (1, "3"), (2_000_000, "4")] {
        let name = format!("odd-{size}.bin");
        let data = pattern(size);
        fs::write(server.root.join(&name), &data).unwrap();
        let out = sandbox.run(&["-d", "get", "--segments", count, &url(&server, &name)], "");
        assert!(out.status.success(), "{size}: {}", text(&out.stderr));
        assert_eq!(fs::read(sandbox.local.join(&name)).unwrap(), data, "{size} in {count}");
        let wanted: usize = count.parse().unwrap();
        assert_eq!(rests_sent(&out.stderr).len(), wanted.min(size) - 1, "{size}: {}", text(&out.stderr));
        assert!(!sandbox.local.join(format!("{name}.part")).exists());
        assert!(!sandbox.local.join(format!("{name}.part.meta")).exists());
    }
}

#[test]
fn an_empty_file_downloads_with_segments_asked() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("empty.bin"), b"").unwrap();
    fs::write(sandbox.local.join("empty.bin"), b"old contents").unwrap();
    let out = sandbox.run(&["get", "--segments", "4", &url(&server, "empty.bin")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("empty.bin")).unwrap(), b"");
}

#[test]
fn big_files_are_split_by_default_and_segments_1_turns_it_off() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = pattern(600_001);
    fs::write(server.root.join("big.bin"), &data).unwrap();
    fs::write(server.root.join("small.bin"), &data[..1000]).unwrap();
    let threshold = [("RFTP_SEGMENT_THRESHOLD", "500000")];

    let out = sandbox.run_with_env(&["-d", "get", &url(&server, "big.bin")], "", &threshold);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("big.bin")).unwrap(), data);
    assert_eq!(rests_sent(&out.stderr).len(), 3, "4 ranges by default: {}", text(&out.stderr));

    // Within -j: two connections make two ranges.
    fs::remove_file(sandbox.local.join("big.bin")).unwrap();
    let out = sandbox.run_with_env(&["-d", "-j", "2", "get", &url(&server, "big.bin")], "", &threshold);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("big.bin")).unwrap(), data);
    assert_eq!(rests_sent(&out.stderr).len(), 1, "{}", text(&out.stderr));

    fs::remove_file(sandbox.local.join("big.bin")).unwrap();
    let out = sandbox.run_with_env(&["-d", "get", "--segments", "1", &url(&server, "big.bin")], "", &threshold);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("big.bin")).unwrap(), data);
    assert!(rests_sent(&out.stderr).is_empty(), "{}", text(&out.stderr));

    // Below the threshold, and to standard output, one connection.
    let out = sandbox.run_with_env(&["-d", "get", &url(&server, "small.bin")], "", &threshold);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(rests_sent(&out.stderr).is_empty(), "{}", text(&out.stderr));
    let out = sandbox.run_with_env(&["-d", "get", "-o", "-", &url(&server, "big.bin")], "", &threshold);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, data);
    assert!(rests_sent(&out.stderr).is_empty(), "{}", text(&out.stderr));
}

/// How the scripted range server misbehaves.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    None,
    /// REST is answered 502 (a server without restarts).
    RefuseRest,
    /// Connections after the first are refused with 421 at the greeting.
    OneConnectionOnly,
    /// The range starting at this offset is cut halfway, data and control
    /// connection, once.
    CutRangeAt(u64),
    /// The range starting at this offset gets ten bytes more than the file holds.
    TooLongAt(u64),
    /// Every range sends its first 5000 bytes, then nothing until the
    /// client closes the data connection (or 20 s passed).
    Stall,
}

/// A server with one file, `f.bin`, that serves REST + RETR on any number
/// of connections, misbehaving as `fault` says.
fn range_server(data: Vec<u8>, fault: Fault) -> scripted::ScriptedServers {
    let cut_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    scripted::ScriptedServers::start(move |number, s| {
        if number > 1 && fault == Fault::OneConnectionOnly {
            s.send("421 Too many connections from this IP");
            return;
        }
        let mut offset = 0u64;
        scripted::serve_loosely(s, "220 range server", |s, line| {
            let (verb, argument) = line.split_once(' ').unwrap_or((line, ""));
            match verb.to_ascii_uppercase().as_str() {
                "FEAT" => Some("211-Features:\r\n SIZE\r\n REST STREAM\r\n EPSV\r\n211 End".into()),
                "SIZE" => Some(format!("213 {}", data.len())),
                "MDTM" => Some("213 20240102030405".into()),
                "REST" if fault == Fault::RefuseRest => Some("502 REST not implemented".into()),
                "REST" => {
                    offset = argument.parse().unwrap();
                    Some(format!("350 Restarting at {offset}"))
                }
                "RETR" => {
                    let start = std::mem::take(&mut offset) as usize;
                    let mut sent = data[start..].to_vec();
                    match fault {
                        Fault::CutRangeAt(at) if at == start as u64 && !cut_done.swap(true, SEQ) => {
                            sent.truncate(sent.len().min(data.len() / 10));
                            s.send("150 here it comes");
                            let mut stream = s.accept_data();
                            let _ = std::io::Write::write_all(&mut stream, &sent);
                            drop(stream);
                            s.hang_up();
                            return Some(String::new());
                        }
                        Fault::TooLongAt(at) if at == start as u64 => sent.extend_from_slice(b"0123456789"),
                        Fault::Stall => {
                            s.send("150 here it comes");
                            let mut stream = s.accept_data();
                            let _ = std::io::Write::write_all(&mut stream, &sent[..5000]);
                            stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
                            let _ = std::io::Read::read(&mut stream, &mut [0u8; 1]);
                            return Some("426 Transfer aborted".into());
                        }
                        _ => {}
                    }
                    s.send("150 here it comes");
                    let mut stream = s.accept_data();
                    // A client that wanted only a range hangs up early.
                    let _ = std::io::Write::write_all(&mut stream, &sent);
                    drop(stream);
                    Some("226 done".into())
                }
                _ => None,
            }
        });
    })
}

const SEQ: std::sync::atomic::Ordering = std::sync::atomic::Ordering::SeqCst;

fn file_url(port: u16) -> String {
    format!("ftp://u:p@127.0.0.1:{port}/f.bin")
}

/// Every command line the server received, across its connections.
fn all_commands(server: scripted::ScriptedServers) -> Vec<String> {
    server.finish().into_iter().flat_map(|(_, lines)| lines).collect()
}

#[test]
fn a_server_that_refuses_rest_still_yields_the_file_and_is_remembered() {
    let sandbox = Sandbox::new();
    let data = pattern(100_003);
    let server = range_server(data.clone(), Fault::RefuseRest);
    let port = server.port.to_string();
    let script = "get --segments 4 f.bin first.bin\nget --segments 4 f.bin second.bin\n";
    let out = sandbox.run_with_env(&["-u", "u", "127.0.0.1", &port], script, &[("RFTP_PASSWORD", "p")]);
    let commands = all_commands(server);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("first.bin")).unwrap(), data);
    assert_eq!(fs::read(sandbox.local.join("second.bin")).unwrap(), data);
    let said = text(&out.stderr);
    assert_eq!(said.matches("downloading on one connection").count(), 1, "{said}");
    assert!(said.contains("502 REST not implemented"), "{said}");
    // Three ranges tried REST on the first get; the second tried none.
    let rests = commands.iter().filter(|c| c.starts_with("REST")).count();
    let retrs = commands.iter().filter(|c| c.starts_with("RETR")).count();
    assert_eq!((rests, retrs), (3, 3), "{commands:?}");
    assert!(!sandbox.local.join("first.bin.part").exists());
}

#[test]
fn a_server_that_takes_one_connection_still_yields_the_file() {
    let sandbox = Sandbox::new();
    let data = pattern(100_003);
    let server = range_server(data.clone(), Fault::OneConnectionOnly);
    let out = sandbox.run(&["get", "--segments", "3", &file_url(server.port)], "");
    all_commands(server);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("f.bin")).unwrap(), data);
    let said = text(&out.stderr);
    assert_eq!(said.matches("downloading on one connection").count(), 1, "{said}");
    assert!(said.contains("421"), "{said}");

    // -q says nothing.
    fs::remove_file(sandbox.local.join("f.bin")).unwrap();
    let server = range_server(data.clone(), Fault::OneConnectionOnly);
    let out = sandbox.run(&["-q", "get", "--segments", "3", &file_url(server.port)], "");
    all_commands(server);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("f.bin")).unwrap(), data);
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn a_range_cut_midway_fails_then_resumes_to_the_right_file() {
    let sandbox = Sandbox::new();
    let data = pattern(100_000);
    // Four ranges of 25 000 bytes: the second is cut after 10 000.
    let server = range_server(data.clone(), Fault::CutRangeAt(25_000));
    let out = sandbox.run(&["--retries", "0", "get", "--segments", "4", &file_url(server.port)], "");
    all_commands(server);
    assert!(!out.status.success(), "a cut range is a failure");
    assert!(!sandbox.local.join("f.bin").exists());
    // Only the contiguous prefix is kept: the first range and the cut
    // range's first 10 000 bytes, never the later ranges after a hole.
    let part = fs::read(sandbox.local.join("f.bin.part")).unwrap();
    assert_eq!(part, data[..35_000], "the .part holds {} bytes", part.len());
    let meta = fs::read_to_string(sandbox.local.join("f.bin.part.meta")).unwrap();
    assert!(!meta.contains("segmented-from"), "{meta}");

    let server = range_server(data.clone(), Fault::None);
    let out = sandbox.run(&["-d", "get", "-c", "--segments", "4", &file_url(server.port)], "");
    let commands = all_commands(server);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("f.bin")).unwrap(), data);
    assert!(commands.contains(&"REST 35000".to_string()), "the rest is split from the prefix on: {commands:?}");

    // With retries, only the cut range is fetched again, from where it
    // was cut, on a new connection; the other ranges are kept.
    fs::remove_file(sandbox.local.join("f.bin")).unwrap();
    let server = range_server(data.clone(), Fault::CutRangeAt(25_000));
    let out = sandbox.run(&["--retry-wait", "0", "get", "--segments", "4", &file_url(server.port)], "");
    let commands = all_commands(server);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("f.bin")).unwrap(), data);
    let retrs = commands.iter().filter(|c| c.starts_with("RETR")).count();
    assert_eq!(retrs, 5, "{commands:?}");
    assert!(commands.contains(&"REST 35000".to_string()), "{commands:?}");
    assert!(text(&out.stderr).contains("retrying a range of f.bin"), "{}", text(&out.stderr));
}

#[test]
fn a_range_with_too_many_bytes_is_an_error() {
    let sandbox = Sandbox::new();
    let data = pattern(100_000);
    let server = range_server(data.clone(), Fault::TooLongAt(75_000));
    let out = sandbox.run(&["get", "--segments", "4", &file_url(server.port)], "");
    all_commands(server);
    assert!(!out.status.success(), "{}", text(&out.stderr));
    assert!(!sandbox.local.join("f.bin").exists());
    let said = text(&out.stderr);
    assert!(said.contains("f.bin"), "{said}");
}

#[test]
fn a_part_left_while_ranges_ran_is_cut_to_its_marked_prefix_before_resuming() {
    let sandbox = Sandbox::new();
    let data = pattern(100_000);
    // As a killed run leaves it: ranges written beyond holes, the mark still there.
    let mut part = data[..20_000].to_vec();
    part.extend(std::iter::repeat_n(0u8, 30_000));
    part.extend_from_slice(&data[50_000..60_000]);
    fs::write(sandbox.local.join("f.bin.part"), &part).unwrap();
    fs::write(sandbox.local.join("f.bin.part.meta"), "rftp partial download\nsize 100000\nsegmented-from 20000\n")
        .unwrap();
    let server = range_server(data.clone(), Fault::None);
    let out = sandbox.run(&["get", "-c", "--segments", "1", &file_url(server.port)], "");
    let commands = all_commands(server);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("f.bin")).unwrap(), data);
    assert!(commands.contains(&"REST 20000".to_string()), "{commands:?}");
}

#[test]
fn ctrl_c_stops_every_range_at_once_and_leaves_a_resumable_part() {
    let sandbox = Sandbox::new();
    let data = pattern(100_000);
    let server = range_server(data.clone(), Fault::Stall);
    let mut child = sandbox
        .command(&["get", "--segments", "4", &file_url(server.port)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Every range has its first bytes.
    let part = sandbox.local.join("f.bin.part");
    let started = std::time::Instant::now();
    while fs::metadata(&part).map_or(0, |m| m.len()) < 80_000 && started.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let interrupted = std::time::Instant::now();
    common::sandbox::interrupt(&child);
    let status = child.wait().unwrap();
    assert!(interrupted.elapsed().as_secs() < 10, "stopped in {:?}", interrupted.elapsed());
    all_commands(server);
    assert!(!status.success());
    assert!(!sandbox.local.join("f.bin").exists());
    // The first range's bytes are kept; those after the holes are not.
    assert_eq!(fs::read(&part).unwrap(), data[..5000]);
    let meta = fs::read_to_string(sandbox.local.join("f.bin.part.meta")).unwrap();
    assert!(!meta.contains("segmented-from"), "{meta}");

    let server = range_server(data.clone(), Fault::None);
    let out = sandbox.run(&["get", "-c", "--segments", "4", &file_url(server.port)], "");
    all_commands(server);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("f.bin")).unwrap(), data);
}

#[test]
fn reget_of_the_file_itself_continues_it_on_one_connection() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = pattern(300_000);
    fs::write(server.root.join("inplace.bin"), &data).unwrap();
    fs::write(sandbox.local.join("inplace.bin"), &data[..1000]).unwrap();
    let out = sandbox.run(&["-d", "get", "-c", "--segments", "4", &url(&server, "inplace.bin")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("inplace.bin")).unwrap(), data);
    assert_eq!(rests_sent(&out.stderr), ["*cmd* REST 1000"], "{}", text(&out.stderr));
    let left: Vec<_> = fs::read_dir(&sandbox.local).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["inplace.bin"], "no sidecar or .part is left");
}
