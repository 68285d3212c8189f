//! `get -r` against what servers really send: a missing folder listed as an
//! empty one (vsftpd), a plain file where a folder was expected, listing
//! lines in formats rftp cannot read, and listings far too long to hold.

mod common;
mod scripted;

use std::fs;
use std::io::Write;
use std::process::Stdio;
use std::sync::atomic::AtomicBool;

use common::sandbox::{Sandbox, text};
use common::{PASSWORD, TestServer, USER, peak_rss_kib};
use rftp::batch;
use rftp::protocol::Client;
use rftp::transfer::TransferError;
use scripted::{ScriptedServer, Session};

/// What the fake server's LIST sends for a folder.
#[derive(Clone)]
enum Listing {
    /// These lines, each ended with CRLF.
    Lines(Vec<String>),
    /// File lines until this many bytes were sent or the client gave up.
    Endless(u64),
}

/// A server that behaves like vsftpd where it matters here: no MLSD, LIST of
/// a path that does not exist is an empty listing, CWD and SIZE tell folders
/// from files. `folders` are absolute paths without a trailing slash.
fn serve_like_vsftpd(s: &mut Session, folders: Vec<(&'static str, Listing)>, files: Vec<(&'static str, Vec<u8>)>) {
    s.greet_and_login();
    let mut cwd = "/".to_string();
    let resolve = |cwd: &str, arg: &str| -> String {
        let path = if arg.starts_with('/') {
            arg.to_string()
        } else if cwd == "/" {
            format!("/{arg}")
        } else {
            format!("{cwd}/{arg}")
        };
        let trimmed = path.trim_end_matches('/');
        if trimmed.is_empty() { "/".to_string() } else { trimmed.to_string() }
    };
    let folder = |path: &str| folders.iter().find(|(p, _)| *p == path).map(|(_, l)| l.clone());
    let file = |path: &str| files.iter().find(|(p, _)| *p == path).map(|(_, d)| d.clone());
    while let Some(line) = s.read_line() {
        let line = String::from_utf8_lossy(&line).into_owned();
        let (verb, arg) = line.split_once(' ').unwrap_or((&line, ""));
        let verb = verb.to_ascii_uppercase();
        match verb.as_str() {
            "PWD" => s.send(&format!("257 \"{cwd}\" is the current directory")),
            "CWD" => {
                let target = resolve(&cwd, arg);
                if target == "/" || folder(&target).is_some() {
                    cwd = target;
                    s.send("250 Directory successfully changed.");
                } else {
                    s.send("550 Failed to change directory.");
                }
            }
            "TYPE" => s.send("200 Switching to Binary mode."),
            "SIZE" => match file(&resolve(&cwd, arg)) {
                Some(data) => s.send(&format!("213 {}", data.len())),
                None => s.send("550 Could not get file size."),
            },
            "EPSV" => {
                let port = s.listen_passive();
                s.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
            }
            "LIST" => {
                let target = if arg.is_empty() { cwd.clone() } else { resolve(&cwd, arg) };
                s.send("150 Here comes the directory listing.");
                let mut data = s.accept_data();
                let sent = match folder(&target) {
                    // vsftpd: a path that does not exist lists as nothing.
                    None => Ok(()),
                    Some(Listing::Lines(lines)) => {
                        lines.iter().try_for_each(|l| data.write_all(format!("{l}\r\n").as_bytes()))
                    }
                    Some(Listing::Endless(limit)) => write_endless_listing(&mut data, limit),
                };
                drop(data);
                match sent {
                    Ok(()) => s.send("226 Directory send OK."),
                    Err(_) => s.send("426 Failure writing network stream."),
                }
            }
            "RETR" => match file(&resolve(&cwd, arg)) {
                Some(contents) => {
                    s.send(&format!("150 Opening BINARY mode data connection for {arg} ({} bytes).", contents.len()));
                    let mut data = s.accept_data();
                    data.write_all(&contents).unwrap();
                    drop(data);
                    s.send("226 Transfer complete.");
                }
                None => s.send("550 Failed to open file."),
            },
            "NOOP" => s.send("200 NOOP ok."),
            "QUIT" => {
                s.send("221 Goodbye.");
                return;
            }
            // ABOR, possibly after the Telnet IP and Synch bytes.
            _ if verb.ends_with("ABOR") => s.send("225 No transfer to ABOR."),
            _ => s.send("500 Unknown command."),
        }
    }
}

/// Unix listing lines of distinct files, until `limit` bytes were sent or
/// the client closed the data connection.
fn write_endless_listing(data: &mut std::net::TcpStream, limit: u64) -> std::io::Result<()> {
    let mut sent = 0u64;
    let mut chunk = String::new();
    let mut i = 0u64;
    while sent < limit {
        chunk.clear();
        for _ in 0..1000 {
            i += 1;
            chunk.push_str(&format!("-rw-r--r--    1 ftp      ftp          1234 Nov 26 03:47 file-{i:012}.dat\r\n"));
        }
        data.write_all(chunk.as_bytes())?;
        sent += chunk.len() as u64;
    }
    Ok(())
}

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

/// A listing of 400 MiB (about 5 million files) is not held, nor read to
/// its end: the file limit applies while it arrives, and the walk stops
/// with an error naming the folder.
#[test]
fn an_endless_listing_stops_at_the_limit_in_bounded_memory() {
    let server = ScriptedServer::start(|s| serve_like_vsftpd(s, vec![("/big", Listing::Endless(400 << 20))], vec![]));
    let mut client = Client::connect("127.0.0.1", server.port).unwrap();
    client.login("u", "p", None).unwrap();
    let local = tempfile::tempdir().unwrap();
    let before = peak_rss_kib();
    let result =
        batch::plan_download_tree(&mut client, "big", &local.path().join("big"), &AtomicBool::new(false), &mut |_| {});
    let after = peak_rss_kib();
    let error = result.expect_err("the limit stops it");
    assert!(matches!(&error, TransferError::TreeStopped { folder, .. } if folder == "big"), "{error:?}");
    assert!(error.to_string().contains(&format!("more than {} files", batch::MAX_FILES)), "{error}");
    assert!(client.is_connected(), "the listing was aborted, the session kept");
    client.noop().expect("the session is in step");
    let _ = client.quit();
    server.finish();
    if let (Some(before), Some(after)) = (before, after) {
        let growth_mib = after.saturating_sub(before) as f64 / 1024.0;
        eprintln!("peak memory grew by {growth_mib:.1} MiB");
        assert!(growth_mib < 56.0, "peak memory grew by {growth_mib:.1} MiB planning a 400 MiB listing");
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
    assert!(
        stderr.contains(&format!("big: the tree is not transferred: more than {} files", batch::MAX_FILES)),
        "{stderr}"
    );
    // `ls` printed the whole listing (LF for CRLF), as it arrived.
    assert!(printed >= 290 << 20, "ls printed only {printed} bytes: {stderr}");
    let peak_kib: u64 = fs::read_to_string(&report).unwrap().trim().lines().last().unwrap().parse().unwrap();
    eprintln!("peak RSS {} MiB", peak_kib / 1024);
    assert!(peak_kib < 64 * 1024, "peak RSS {} MiB", peak_kib / 1024);
}

/// A server whose listing format rftp does not read at all: the walk stops
/// after a bounded number of reported lines, naming one, rather than
/// collecting a failure per line forever.
#[test]
fn a_listing_in_an_unknown_format_stops_the_walk() {
    let lines: Vec<String> = (0..500).map(|i| format!("{i:04} some-format entry-{i}")).collect();
    let server = ScriptedServer::start(move |s| serve_like_vsftpd(s, vec![("/odd", Listing::Lines(lines))], vec![]));
    let mut client = Client::connect("127.0.0.1", server.port).unwrap();
    client.login("u", "p", None).unwrap();
    let local = tempfile::tempdir().unwrap();
    let result =
        batch::plan_download_tree(&mut client, "odd", &local.path().join("odd"), &AtomicBool::new(false), &mut |_| {});
    let error = result.expect_err("too many unreadable lines stop it");
    let message = error.to_string();
    assert!(message.starts_with("odd: the tree is not transferred"), "{message}");
    assert!(message.contains(&format!("more than {} listing lines", batch::MAX_UNPARSED_LINES)), "{message}");
    assert!(message.contains("some-format entry-"), "one line is shown: {message}");
    client.noop().expect("the session is in step");
    let _ = client.quit();
    server.finish();
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
