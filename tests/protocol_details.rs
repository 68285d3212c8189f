//! Protocol details a careful user relies on: USER before any password,
//! protection set again after a new login, the debug log from the greeting
//! on, standard input that is the script, standard output that fails, and
//! sessions reused only with the same TLS mode.

mod common;
mod scripted;

use std::fs;
use std::process::Stdio;
use std::time::Duration;

use common::sandbox::{Sandbox, text, wait_within};
use common::{PASSWORD, TestServer, USER};
use scripted::ScriptedServer;

/// Runs `rftp ARGS` with `script` on standard input, failing the test if it
/// does not end within `limit` (a deadlock must fail, not hang the suite).
fn run_within(sandbox: &Sandbox, args: &[&str], script: &str, limit: Duration) -> std::process::Output {
    let mut command = sandbox.command(args);
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("runs rftp");
    let mut input = child.stdin.take().unwrap();
    let script = script.to_string();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        let _ = input.write_all(script.as_bytes());
    });
    let out = wait_within(child, limit);
    feeder.join().unwrap();
    out
}

#[test]
fn user_sends_user_first_and_no_password_when_the_server_wants_none() {
    let server = ScriptedServer::start(|s| {
        s.send("220 scripted server");
        s.expect("USER bob");
        s.send("230 welcome, no password needed");
        s.answer_feat(&[]);
        s.expect("PWD");
        s.send("257 \"/home/bob\"");
        s.drain();
    });
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = run_within(&sandbox, &["-n", "127.0.0.1", &port], "user bob\npwd\n", Duration::from_secs(20));
    let received = server.finish();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(received.iter().all(|l| !l.starts_with("PASS")), "{received:?}");
}

#[test]
fn a_script_without_a_password_fails_only_when_the_server_asks_for_one() {
    let server = ScriptedServer::start(|s| {
        s.send("220 scripted server");
        s.expect("USER bob");
        s.send("331 password please");
        s.drain();
    });
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = run_within(&sandbox, &["-n", "127.0.0.1", &port], "user bob\n", Duration::from_secs(20));
    let received = server.finish();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no password for bob"), "{}", text(&out.stderr));
    assert_eq!(received.first().map(String::as_str), Some("USER bob"));
    assert!(received.iter().all(|l| !l.starts_with("PASS")), "{received:?}");
}

#[test]
fn debug_output_starts_with_the_greeting_and_shows_auth_tls() {
    let server = ScriptedServer::start(|s| {
        s.send("220 the greeting line");
        s.expect("AUTH TLS");
        s.send("534 no TLS here");
        s.drain();
    });
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = run_within(&sandbox, &["-d", "--tls", "-n", "127.0.0.1", &port], "", Duration::from_secs(20));
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("220 the greeting line"), "{stderr}");
    assert!(stderr.contains("*cmd* AUTH TLS"), "{stderr}");
    assert!(stderr.contains("534 no TLS here"), "{stderr}");
}

#[test]
fn put_from_standard_input_inside_a_script_is_refused_not_deadlocked() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.drain();
    });
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let script = "user u p\nput - remote.txt\nappend - remote.txt\n";
    let out = run_within(&sandbox, &["-n", "127.0.0.1", &port], script, Duration::from_secs(20));
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("line 2: put -: standard input is the script"), "{stderr}");
    assert!(stderr.contains("line 3: append -: standard input is the script"), "{stderr}");
    assert!(received.iter().all(|l| !l.starts_with("STOR") && !l.starts_with("APPE")), "{received:?}");
}

fn url(server: &TestServer, scheme: &str, path: &str) -> String {
    format!("{scheme}://{USER}:{PASSWORD}@{}:{}/{path}", server.host, server.port)
}

#[test]
fn a_full_standard_output_is_a_failure_and_a_closed_pipe_is_quiet() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    for i in 0..200 {
        fs::write(server.root.join(format!("file-{i:03}.txt")), b"x").unwrap();
    }
    fs::write(server.root.join("data.bin"), vec![7u8; 4 << 20]).unwrap();

    for args in [vec!["ls", "-l"], vec!["get", "-o", "-"]] {
        let target = if args[0] == "ls" { url(&server, "ftp", "") } else { url(&server, "ftp", "data.bin") };
        let mut command = sandbox.command(&[args.as_slice(), &[target.as_str()]].concat());
        let full = fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = command.stdout(full).stderr(Stdio::piped()).output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("No space left on device"), "{args:?}: {stderr}");
    }

    // A reader that goes away at once: no message, and not counted as a failure.
    for args in [vec!["ls", "-l"], vec!["get", "-o", "-"]] {
        let target = if args[0] == "ls" { url(&server, "ftp", "") } else { url(&server, "ftp", "data.bin") };
        let mut command = sandbox.command(&[args.as_slice(), &[target.as_str()]].concat());
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn a_session_is_reused_only_with_the_same_tls_mode() {
    // The embedded server speaks plain FTP and refuses AUTH TLS.
    let server = TestServer::start();
    if !server.is_embedded() {
        return;
    }
    let sandbox = Sandbox::new();
    fs::write(server.root.join("a.txt"), b"a\n").unwrap();
    fs::write(server.root.join("b.txt"), b"b\n").unwrap();
    let out = sandbox.run(&["get", &url(&server, "ftp", "a.txt"), &url(&server, "ftpes", "b.txt")], "");
    let stderr = text(&out.stderr);
    assert_eq!(fs::read(sandbox.local.join("a.txt")).unwrap(), b"a\n");
    // b.txt asked for TLS: the plain session must not carry it.
    assert!(!sandbox.local.join("b.txt").exists(), "{stderr}");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

/// Servers may reset the protection level on a new USER: PBSZ and PROT
/// follow every login, so a second login on the same connection keeps its
/// data connections protected. A few lines of rustls server play the part
/// (libunftp refuses a second USER on one connection).
#[test]
fn a_new_login_on_a_protected_session_sets_protection_again() {
    use rftp::protocol::{Client, Options, TlsMode, TlsOptions};

    let dir = tempfile::tempdir().unwrap();
    let certificates = common::tls::make_certificates(dir.path());
    let replies = ["331 password", "230 in", "200 PBSZ=0", "200 protected", "502 no FEAT"];
    let replies = replies.iter().chain(&replies).chain(&["221 bye"]).copied().collect();
    let (port, server) = common::tls::implicit_tls_server(&certificates, replies);
    let options = Options {
        tls: Some(TlsOptions {
            mode: TlsMode::Implicit,
            extra_ca: Some(certificates.ca.clone()),
            ..TlsOptions::default()
        }),
        ..Options::default()
    };
    let mut client = Client::connect_with("127.0.0.1", port, options).unwrap();
    client.login("ann", "a", None).unwrap();
    client.login("bob", "b", None).unwrap();
    assert!(client.is_data_protected());
    client.quit().unwrap();
    let said = server.join().unwrap();
    let login = |user: &str, password: &str| {
        [format!("USER {user}"), format!("PASS {password}"), "PBSZ 0".into(), "PROT P".into(), "FEAT".into()]
    };
    let expected: Vec<String> = login("ann", "a").into_iter().chain(login("bob", "b")).chain(["QUIT".into()]).collect();
    assert_eq!(said, expected);
}

/// `-d` shows the whole exchange: the extra connections of a batch too,
/// numbered, with their passwords masked.
#[test]
fn debug_output_covers_every_connection_of_a_batch() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("tree")).unwrap();
    for i in 0..6 {
        fs::write(server.root.join(format!("tree/f{i}.txt")), b"x").unwrap();
    }
    let out = sandbox.run(&["-d", "get", "-r", "-j", "2", &url(&server, "ftp", "tree")], "");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("[2] *cmd* USER") && stderr.contains("[2] *cmd* PASS ****"), "{stderr}");
    assert!(stderr.contains("[2] *resp* 2"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

/// `put FILE DIR/` puts the file inside the folder, as the one-shot `put`
/// does; a missing folder is an error, never a file named after it.
#[test]
fn put_into_a_folder_named_with_a_slash() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("d")).unwrap();
    fs::write(sandbox.local_file("local.txt"), b"data").unwrap();
    let port = server.port.to_string();
    let script = format!("user {USER} {PASSWORD}\nput local.txt d/\nput local.txt missing/\n");
    let out = run_within(&sandbox, &["-n", &server.host, &port], &script, Duration::from_secs(20));
    let stderr = text(&out.stderr);
    assert_eq!(fs::read(server.root.join("d/local.txt")).unwrap(), b"data", "{stderr}");
    assert!(!server.root.join("missing").exists(), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("line 3:"), "{stderr}");
}
