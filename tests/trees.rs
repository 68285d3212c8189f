//! `get -r` against what servers really send: a missing folder listed as an
//! empty one (vsftpd), a plain file where a folder was expected, listing
//! lines in formats rftp cannot read, and listings far too long to hold.

mod common;
mod scripted;

use std::fs;
use std::io::Write;
use std::process::Stdio;

use common::sandbox::{Sandbox, text};
use common::{PASSWORD, TestServer, USER};
use scripted::{Listing, ScriptedServer, serve_like_vsftpd};

/// `rftp -n 127.0.0.1 PORT` running `script` after logging in.
fn run_shell(sandbox: &Sandbox, server: &ScriptedServer, script: &str) -> std::process::Output {
    let port = server.port.to_string();
    sandbox.run(&["-n", "127.0.0.1", &port], &format!("user u p\n{script}"))
}

#[test]
fn get_r_of_a_missing_folder_fails_and_makes_nothing() {
    let server = ScriptedServer::start(|s| serve_like_vsftpd(s, vec![], vec![]));
    let sandbox = Sandbox::new();
    let out = run_shell(&sandbox, &server, "get -r missing\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("missing: no such folder or file"), "{stderr}");
    assert!(stderr.contains("550 Could not get file size"), "the server's words: {stderr}");
    assert!(!sandbox.local_file("missing").exists(), "no empty folder left behind");
}

#[test]
fn get_r_leaves_the_session_in_its_folder() {
    let server = ScriptedServer::start(|s| {
        serve_like_vsftpd(s, vec![("/pub", Listing::Lines(vec![])), ("/pub/data", Listing::Lines(vec![]))], vec![])
    });
    let sandbox = Sandbox::new();
    let out = run_shell(&sandbox, &server, "cd pub\nget -r data\npwd\n");
    let commands = server.finish();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("/pub"), "{}", text(&out.stdout));
    assert!(commands.iter().any(|c| c == "CWD /pub"), "went back: {commands:?}");
    assert!(sandbox.local_file("data").is_dir());
}

#[test]
fn get_r_of_a_plain_file_fetches_the_file() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("pub")).unwrap();
    fs::write(server.root.join("pub/notes.txt"), b"just a file\n").unwrap();
    let url = format!("ftp://{USER}:{PASSWORD}@{}:{}/pub/notes.txt", server.host, server.port);
    let out = sandbox.run(&["get", "-r", &url, "-o", "into/"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("into/notes.txt")).unwrap(), b"just a file\n");
    assert!(out.stderr.is_empty(), "said only with -v: {}", text(&out.stderr));

    let out = sandbox.run(&["get", "-v", "-r", &url, "-o", "again/"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(sandbox.local_file("again/notes.txt").is_file());
    assert!(text(&out.stderr).contains("is a file, not a folder"), "{}", text(&out.stderr));

    // The shell's `get -r` too, with and without a local name.
    let port = server.port.to_string();
    let script = format!("user {USER} {PASSWORD}\nget -r pub/notes.txt\nget -r pub/notes.txt copy.txt\n");
    let out = sandbox.run(&["-n", &server.host, &port], &script);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("notes.txt")).unwrap(), b"just a file\n");
    assert_eq!(fs::read(sandbox.local_file("copy.txt")).unwrap(), b"just a file\n");
}

#[test]
fn unreadable_listing_lines_are_failures_and_real_formats_are_read() {
    let lines = [
        "total 24",
        "-rw-r--r--    1 ftp      ftp             6 Nov 26 03:47 plain.txt",
        "-rw-r--r--    1 ftp      ftp             4 2025-01-01 12:00 iso date.txt",
        "-rw-r--r--    1 ftp      ftp             6 24. Dez 18:00 dezember.txt",
        "-rw-r--r--    1 ftp      ftp             6 févr. 28  2023 février.txt",
        "?????????? ? ? ? ? ? mystery.bin",
        "drwxr-xr-x    2 ftp      ftp          4096 Nov 26 03:47 .",
    ];
    let server = ScriptedServer::start(move |s| {
        serve_like_vsftpd(
            s,
            vec![("/site", Listing::Lines(lines.iter().map(|l| l.to_string()).collect()))],
            vec![
                ("/site/plain.txt", b"plain\n".to_vec()),
                ("/site/iso date.txt", b"iso\n".to_vec()),
                ("/site/dezember.txt", b"dezem\n".to_vec()),
                ("/site/février.txt", "févr\n".as_bytes().to_vec()),
            ],
        )
    });
    let sandbox = Sandbox::new();
    let out = run_shell(&sandbox, &server, "parallel 1\nget -r site\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("site: a listing line rftp cannot read"), "{stderr}");
    assert!(stderr.contains("mystery.bin"), "the line is named: {stderr}");
    assert!(!stderr.contains("total 24"), "a total line is no failure: {stderr}");
    assert!(stderr.contains("1 of 5 files failed"), "counted: {stderr}");
    for (name, contents) in
        [("plain.txt", "plain\n"), ("iso date.txt", "iso\n"), ("dezember.txt", "dezem\n"), ("février.txt", "févr\n")]
    {
        assert_eq!(fs::read_to_string(sandbox.local_file(&format!("site/{name}"))).unwrap(), contents, "{name}");
    }
}

/// The real binary, `get -r` and `ls` of a 300 MiB listing, under
/// `/usr/bin/time`: its peak memory stays under 64 MiB. Skipped where
/// `/usr/bin/time` is not installed (Debian package `time`).
#[test]
fn the_binary_lists_and_plans_long_listings_in_under_64_mib() {
    if !std::path::Path::new("/usr/bin/time").exists() {
        eprintln!("skipped: /usr/bin/time is not installed");
        return;
    }
    let server = ScriptedServer::start(|s| serve_like_vsftpd(s, vec![("/big", Listing::Endless(300 << 20))], vec![]));
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let report = sandbox.local_file("time.txt");
    // The sandbox's command, run under /usr/bin/time.
    let rftp = sandbox.command(&["-n", "127.0.0.1", &port]);
    let mut child = std::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(rftp.get_program())
        .args(rftp.get_args())
        .env_clear()
        .envs(rftp.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .current_dir(&sandbox.local)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"user u p\nget -r big\nls big\n").unwrap();
    // Counted, not kept: the test must not hold 300 MiB either.
    let mut stdout = child.stdout.take().unwrap();
    let counter = std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()).unwrap());
    let out = child.wait_with_output().unwrap();
    let printed = counter.join().unwrap();
    server.finish();
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("big: the tree is not transferred: more than {} files", 200_000)), "{stderr}");
    // `ls` printed the whole listing (LF for CRLF), as it arrived.
    assert!(printed >= 290 << 20, "ls printed only {printed} bytes: {stderr}");
    let peak_kib: u64 = fs::read_to_string(&report).unwrap().trim().lines().last().unwrap().parse().unwrap();
    eprintln!("peak RSS {} MiB", peak_kib / 1024);
    assert!(peak_kib < 64 * 1024, "peak RSS {} MiB", peak_kib / 1024);
}

/// A name the tree holds but rftp will not write (a control character in
/// it) is a failure of `get -r`, not a warning with exit 0: the copy is
/// incomplete, and the status says so.
#[test]
fn names_refused_in_a_tree_are_failures() {
    let server = TestServer::start();
    if !server.is_embedded() {
        return;
    }
    fs::create_dir_all(server.root.join("tree")).unwrap();
    fs::write(server.root.join("tree/ok.txt"), b"ok").unwrap();
    fs::write(server.root.join("tree/bad\x1b[2Jname.txt"), b"bad").unwrap();
    let sandbox = Sandbox::new();
    let url = format!("ftp://{USER}:{PASSWORD}@{}:{}/tree", server.host, server.port);
    let out = sandbox.run(&["get", "-r", &url], "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(fs::read(sandbox.local.join("tree/ok.txt")).unwrap(), b"ok");
    assert!(stderr.contains("not transferred") && stderr.contains("1 of 2 files failed"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "{stderr}");
    assert_eq!(fs::read_dir(sandbox.local.join("tree")).unwrap().count(), 1);
}
