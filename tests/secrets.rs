//! Secrets and diagnostics: passwords never shown (process list, messages,
//! `{:?}`), and server text in diagnostics escaped even in a log file.

mod common;
mod scripted;

use std::fs;
use std::process::Stdio;
use std::time::Duration;

use common::sandbox::{Sandbox, text};
use common::{PASSWORD, TestServer, USER};
use scripted::ScriptedServer;

const SECRET: &str = "hunter2-secret";

/// Runs an rftp script with no host on the command line.
fn run_script(sandbox: &Sandbox, script: &str) -> std::process::Output {
    sandbox.run(&[], script)
}

#[test]
fn a_url_password_is_not_in_the_process_list() {
    let (server, logged_in, done_tx) = ScriptedServer::stalling_after_pass();
    let sandbox = Sandbox::new();
    let url = format!("ftp://bob:{SECRET}@127.0.0.1:{}/", server.port);
    let mut child =
        sandbox.command(&["ls", &url]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("runs rftp");
    let pass = logged_in.recv_timeout(Duration::from_secs(20)).expect("rftp logs in");
    let cmdline = fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
    let environ = fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    let name = fs::read_to_string(format!("/proc/{}/comm", child.id())).unwrap();
    done_tx.send(()).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    server.finish();
    assert_eq!(pass, format!("PASS {SECRET}"), "the login used the real password");
    let cmdline = text(&cmdline).replace('\0', " ");
    assert!(!cmdline.contains(SECRET), "{cmdline}");
    assert!(cmdline.contains("ftp://bob:****@127.0.0.1"), "{cmdline}");
    assert!(!text(&environ).contains(SECRET), "the environment holds no password");
    assert_eq!(name.trim(), "rftp", "pgrep rftp still finds it");
}

#[test]
fn open_with_a_password_url_and_a_bad_host_hides_the_password() {
    let sandbox = Sandbox::new();
    let out = run_script(&sandbox, &format!("open ftp://bob:{SECRET}@no-such-host.invalid/\n"));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("no-such-host.invalid"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[test]
fn a_user_and_password_where_a_host_belongs_are_not_echoed() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&[&format!("bob:{SECRET}@no-such-host.invalid")], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains(SECRET), "{}", text(&out.stderr));
    let out = run_script(&sandbox, &format!("open bob:{SECRET}@no-such-host.invalid\n"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains(SECRET), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("ftp://USER"), "{}", text(&out.stderr));
}

#[test]
fn open_takes_urls_and_host_port() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("sub dir")).unwrap();
    let url = format!("ftp://{USER}:{PASSWORD}@{}:{}/sub%20dir/", server.host, server.port);
    let out = run_script(&sandbox, &format!("open {url}\npwd\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("sub dir"), "{}", text(&out.stdout));

    // HOST:PORT, logged in from the netrc entry for HOST.
    sandbox.write_netrc(&format!("machine {} login {USER} password {PASSWORD}\n", server.host), 0o600);
    let script = format!("open {}:{}\npwd\n", server.host, server.port);
    let out = run_script(&sandbox, &script);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let script = format!("open {}:{} {}\n", server.host, server.port, server.port);
    let out = run_script(&sandbox, &script);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn put_usage_errors_hide_the_password() {
    let sandbox = Sandbox::new();
    fs::write(sandbox.local.join("a"), b"a").unwrap();
    fs::write(sandbox.local.join("b"), b"b").unwrap();
    fs::create_dir_all(sandbox.local.join("d1")).unwrap();
    fs::create_dir_all(sandbox.local.join("d2")).unwrap();
    let dest = format!("ftp://bob:{SECRET}@127.0.0.1:1/file");
    for args in [
        vec!["put", "a", "b", dest.as_str()],
        vec!["put", "-r", "d1", "d2", dest.as_str()],
        vec!["put", "-r", dest.as_str(), dest.as_str()],
    ] {
        let out = sandbox.run(&args, "");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains(SECRET), "{args:?}: {stderr}");
        assert!(stderr.contains("bob:****@"), "{args:?}: {stderr}");
    }
}

#[test]
fn command_line_errors_hide_the_password() {
    let sandbox = Sandbox::new();
    let url = format!("ftp://bob:{SECRET}@127.0.0.1:1/file");
    let out = sandbox.run(&["get", "--timeout", &url, &url], "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid value 'ftp://bob:****@127.0.0.1:1/file'"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[test]
fn a_password_with_a_raw_slash_never_shows() {
    let sandbox = Sandbox::new();
    let url = "ftp://bob:pa55/w0rd@127.0.0.1:1/file";
    let out = sandbox.run(&["get", url], "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("pa55") && !stderr.contains("w0rd"), "{stderr}");
    assert!(stderr.contains("%2F"), "{stderr}");
    let out = run_script(&sandbox, &format!("open {url}\n"));
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(!stderr.contains("pa55") && !stderr.contains("w0rd"), "{stderr}");
}

#[test]
fn server_text_in_diagnostics_is_escaped_in_a_log_file() {
    let server = ScriptedServer::start(|s| {
        s.send("220 scripted server");
        s.expect("USER ");
        s.send("331 password please");
        s.expect("PASS ");
        s.send_raw(b"530-no \x1b[2Jway\rrftp: all files sent\r\nrftp: done, 0 errors\r\n530 end\r\n");
        s.drain();
    });
    let sandbox = Sandbox::new();
    let log = sandbox.local.join("log");
    let out = sandbox
        .command(&["ls", &format!("ftp://bob:pw@127.0.0.1:{}/", server.port)])
        .stdout(Stdio::null())
        .stderr(fs::File::create(&log).unwrap())
        .status()
        .unwrap();
    server.finish();
    assert_eq!(out.code(), Some(3));
    let logged = fs::read(&log).unwrap();
    let logged_text = text(&logged);
    assert!(!logged.iter().any(|&b| b == 0x1b || b == b'\r'), "{logged_text:?}");
    assert_eq!(logged_text.lines().count(), 1, "one diagnostic, one line: {logged_text}");
    assert!(logged_text.contains("no \\x1b[2Jway\\rrftp: all files sent\\nrftp: done"), "{logged_text}");
}

#[test]
fn open_with_an_ftpes_url_asks_for_tls_before_the_password() {
    let server = ScriptedServer::start(|s| {
        s.send("220 scripted server");
        s.expect("AUTH TLS");
        s.send("534 no TLS here");
        s.drain();
    });
    let sandbox = Sandbox::new();
    let out = run_script(&sandbox, &format!("open ftpes://bob:{SECRET}@127.0.0.1:{}/\n", server.port));
    let received = server.finish();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(!received.iter().any(|line| line.contains(SECRET)), "{received:?}");
}

#[test]
fn local_commands_do_not_inherit_the_hand_over() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.drain();
    });
    let sandbox = Sandbox::new();
    let url = format!("ftp://bob:{SECRET}@127.0.0.1:{}/", server.port);
    let out = sandbox.run(&[&url], "!env > env.txt\n");
    server.finish();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let env = fs::read_to_string(sandbox.local.join("env.txt")).unwrap();
    // The hand-over variable of src/argv.rs.
    assert!(!env.contains("RFTP_ARGS_FD"), "{env}");
}
