//! Ctrl-C, exit statuses and batch summaries, as a person at a terminal
//! sees them (through a pseudo-terminal) and as scripts see them: Ctrl-C
//! while connecting gives the prompt back, a Ctrl-C between two commands
//! cancels neither, an interactive session ends with 0, and batches end
//! with one summary line.

mod common;
mod scripted;

use std::fs;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::pty::{log_in, spawn, start};
use common::sandbox::{Sandbox, text};
use common::{PASSWORD, TestServer, USER, pattern};
use rexpect::process::{Signal, WaitStatus};
use rexpect::session::PtySession;
use scripted::ScriptedServer;

/// Types `bye` and returns rftp's exit status.
fn bye(mut session: PtySession) -> i32 {
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
    exit_code(&session)
}

fn exit_code(session: &PtySession) -> i32 {
    match session.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("rftp did not exit normally: {other:?}"),
    }
}

#[test]
fn ctrl_c_while_connecting_to_a_silent_server_gives_the_prompt_back() {
    // Accepted by the kernel (the backlog), never greeted: rftp waits for 220.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let server = TestServer::start();
    let terminal = Sandbox::new();
    let mut session = spawn(&terminal, &["--timeout", "30"]);
    session.exp_string("ftp> ").unwrap();
    session.send_line(&format!("open 127.0.0.1 {port}")).unwrap();
    // Long enough to be waiting for the greeting.
    std::thread::sleep(Duration::from_millis(300));
    let pressed = Instant::now();
    session.send_control('c').unwrap();
    session.exp_string("interrupted while connecting to 127.0.0.1").unwrap();
    session.exp_string("ftp> ").unwrap();
    assert!(pressed.elapsed() < Duration::from_secs(2), "the prompt took {:?}", pressed.elapsed());
    // The shell is still alive, and can connect elsewhere.
    session.send_line(&format!("open {} {}", server.host, server.port)).unwrap();
    log_in(&mut session, &server);
    session.send_line("pwd").unwrap();
    session.exp_string("\r\n/\r\n").unwrap();
    session.exp_string("ftp> ").unwrap();
    assert_eq!(bye(session), 0);
}

/// `rftp -u USER HOST PORT` on a pseudo-terminal with its standard output
/// going to the file `out` (the prompt too), so that rustyline leaves SIGINT
/// to rftp's own handler at the prompt, as it does in the moment between a
/// command's end and the prompt.
fn spawn_with_output_to(sandbox: &Sandbox, server: &TestServer, out: &std::path::Path) -> PtySession {
    let port = server.port.to_string();
    let rftp = sandbox.command(&["-u", USER, &server.host, &port]);
    let mut command = std::process::Command::new("sh");
    command.args(["-c", "out=$1; shift; exec \"$@\" > \"$out\"", "sh"]).arg(out).arg(rftp.get_program());
    command.args(rftp.get_args()).env_clear().current_dir(&sandbox.local);
    for (name, value) in rftp.get_envs() {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    command.env("TERM", "xterm").env("RFTP_PASSWORD", PASSWORD);
    rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty")
}

/// Waits until `path` holds `count` prompts; its text.
fn wait_for_prompts(path: &std::path::Path, count: usize) -> String {
    let start = Instant::now();
    loop {
        let text = fs::read_to_string(path).unwrap_or_default();
        if text.matches("ftp> ").count() >= count {
            return text;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "no prompt {count} in {text:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_while_logging_in_to_a_silent_server_gives_the_prompt_back() {
    // Greets, asks for the password, and never answers it.
    let (silent, got_pass, done) = ScriptedServer::stalling_after_pass();
    let terminal = Sandbox::new();
    let mut command = terminal.command(&["--timeout", "30", "-u", "bob"]);
    command.env("TERM", "xterm").env("RFTP_PASSWORD", "pw").stdin(std::process::Stdio::inherit());
    let mut session = rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty");
    session.exp_string("ftp> ").unwrap();
    session.send_line(&format!("open 127.0.0.1 {}", silent.port)).unwrap();
    got_pass.recv_timeout(Duration::from_secs(10)).expect("the password was sent");
    let pressed = Instant::now();
    session.send_control('c').unwrap();
    session.exp_string("interrupted while logging in to 127.0.0.1").unwrap();
    session.exp_string("ftp> ").unwrap();
    assert!(pressed.elapsed() < Duration::from_secs(2), "the prompt took {:?}", pressed.elapsed());
    // The shell is alive, and no longer connected there.
    session.send_line("pwd").unwrap();
    session.exp_string("not connected").unwrap();
    session.exp_string("ftp> ").unwrap();
    assert_eq!(bye(session), 0);
    drop(done);
    silent.finish();
}

#[test]
fn a_ctrl_c_between_commands_cancels_neither_the_next_command_nor_the_shell() {
    let server = TestServer::start();
    fs::write(server.root.join("small.txt"), b"small file").unwrap();
    let terminal = Sandbox::new();
    let out = terminal.home.join("out.txt");
    let mut session = spawn_with_output_to(&terminal, &server, &out);
    wait_for_prompts(&out, 1);
    session.send_line("get small.txt").unwrap();
    wait_for_prompts(&out, 2);
    assert_eq!(fs::read(terminal.local.join("small.txt")).unwrap(), b"small file");
    // A Ctrl-C that lands after the transfer ended, when no command runs.
    session.process_mut().signal(Signal::SIGINT).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    session.send_line("ls").unwrap();
    let listed = wait_for_prompts(&out, 3);
    assert!(listed.contains("small.txt"), "{listed}");
    // Neither counts as the first of two Ctrl-C that end the shell.
    session.process_mut().signal(Signal::SIGINT).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    session.send_line("pwd").unwrap();
    let shown = wait_for_prompts(&out, 4);
    assert!(shown.contains("\n/\n"), "{shown}");
    session.send_line("bye").unwrap();
    let errors = session.exp_eof().unwrap();
    assert!(!errors.contains("aborted"), "{errors}");
    assert_eq!(exit_code(&session), 0);
}

#[test]
fn an_interactive_session_ends_with_success_after_a_failed_command() {
    let server = TestServer::start();
    let terminal = Sandbox::new();
    let mut session = start(&terminal, &server, &[]);
    session.send_line("get no-such-file").unwrap();
    session.exp_string("550").unwrap();
    session.exp_string("ftp> ").unwrap();
    assert_eq!(bye(session), 0);
    // Ctrl-D too, and after a failed start at the prompt.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    let mut session = spawn(&terminal, &["--retries", "0", "127.0.0.1", &port]);
    session.exp_string("cannot connect").unwrap();
    session.exp_string("ftp> ").unwrap();
    session.send_control('d').unwrap();
    session.exp_eof().unwrap();
    assert_eq!(exit_code(&session), 0);
}

#[test]
fn a_script_keeps_the_status_of_its_failed_command() {
    let server = TestServer::start();
    let script = Sandbox::new();
    let port = server.port.to_string();
    let args = ["-u", USER, &server.host, &port];
    let out = script.run_with_env(&args, "get no-such-file\nbye\n", &[("RFTP_PASSWORD", PASSWORD)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

/// The lines of `stderr` that sum a batch up.
fn summaries(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|line| line.contains(" in ") && line.contains("/s)") && !line.contains(": ")).collect()
}

#[test]
fn batches_end_with_one_summary_line_in_the_shell() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("tree/sub")).unwrap();
    fs::write(server.root.join("one.txt"), b"12345").unwrap();
    fs::write(server.root.join("two.txt"), b"1234567").unwrap();
    fs::write(server.root.join("tree/a"), b"a").unwrap();
    fs::write(server.root.join("tree/sub/b"), b"bb").unwrap();
    fs::create_dir_all(sandbox.local_file("up/deeper")).unwrap();
    fs::write(sandbox.local_file("up/x.dat"), pattern(3000)).unwrap();
    fs::write(sandbox.local_file("up/deeper/y.dat"), pattern(2000)).unwrap();
    // One upload fails: the server has a folder where the file would go.
    fs::write(sandbox.local_file("up/blocked.dat"), b"z").unwrap();
    fs::create_dir_all(server.root.join("up/blocked.dat")).unwrap();
    fs::write(sandbox.local_file("m1.dat"), b"m").unwrap();
    let port = server.port.to_string();
    let script = "mget *.txt\nget -r tree\nmput m*.dat\nput -r up\n";
    let out = sandbox.run_with_env(&["-u", USER, &server.host, &port], script, &[("RFTP_PASSWORD", PASSWORD)]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "put -r failed once: {stderr}");
    let lines = summaries(&stderr);
    assert_eq!(lines.len(), 4, "{stderr}");
    assert!(lines[0].starts_with("2 files, 12 B in "), "mget: {stderr}");
    assert!(lines[1].starts_with("2 files, 3 B in "), "get -r: {stderr}");
    assert!(lines[2].starts_with("1 file, 1 B in "), "mput: {stderr}");
    assert!(lines[3].starts_with("2 files, 4.88 KiB in ") && lines[3].ends_with("; 1 failed"), "put -r: {stderr}");
    assert!(stderr.contains("up/blocked.dat"), "the failure is named: {stderr}");
    // No line per file without -v.
    assert!(!stderr.contains("bytes received") && !stderr.contains("bytes sent"), "{stderr}");
}

#[test]
fn one_shot_batches_sum_up_unless_quiet_and_list_each_file_with_v() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("tree/sub")).unwrap();
    fs::write(server.root.join("tree/a"), b"a").unwrap();
    fs::write(server.root.join("tree/sub/b"), b"bb").unwrap();
    let url = common::url(&server, "tree/");
    let out = sandbox.run(&["get", "-r", &url, "-o", "plain"], "");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(summaries(&stderr).len(), 1, "{stderr}");
    assert!(stderr.starts_with("2 files, 3 B in ") && stderr.lines().count() == 1, "{stderr}");

    let out = sandbox.run(&["get", "-q", "-r", &url, "-o", "quiet"], "");
    assert!(out.status.success());
    assert_eq!(text(&out.stderr), "", "nothing with -q");

    let out = sandbox.run(&["get", "-v", "-r", &url, "-o", "verbose"], "");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("tree/a: 1 bytes received in "), "{stderr}");
    assert!(stderr.contains("tree/sub/b: 2 bytes received in "), "{stderr}");
    let lines = summaries(&stderr);
    assert!(lines.len() == 1 && lines[0].starts_with("2 files, 3 B in "), "{stderr}");

    fs::create_dir_all(sandbox.local_file("lt")).unwrap();
    fs::write(sandbox.local_file("lt/c"), b"ccc").unwrap();
    let out = sandbox.run(&["put", "-v", "-r", "lt", &common::url(&server, "")], "");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("lt/c: 3 bytes sent in "), "{stderr}");
    assert!(summaries(&stderr).first().is_some_and(|l| l.starts_with("1 file, 3 B in ")), "{stderr}");
}

#[test]
fn ctrl_c_stops_a_batch_with_one_line() {
    let server = TestServer::start();
    let count = 40;
    for i in 0..count {
        fs::write(server.root.join(format!("f{i:02}.bin")), pattern(8 * 1024)).unwrap();
    }
    let terminal = Sandbox::new();
    // 16 KiB/s for all connections: two files a second, 20 s for the lot.
    let mut session = start(&terminal, &server, &["--limit-rate", "16k"]);
    session.send_line("prompt").unwrap();
    session.exp_string("ftp> ").unwrap();
    session.send_line("mget f*.bin").unwrap();
    session.exp_string(&format!("/{count} files")).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    session.send_control('c').unwrap();
    let (before, line) = session.exp_regex(r"interrupted: \d+ of 40 files done, \d+ not started[^\r\n]*").unwrap();
    let after = session.exp_string("ftp> ").unwrap();
    assert!(!before.contains("not transferred") && !after.contains("not transferred"), "{before}{after}");
    let shown = format!("{before}{line}{after}");
    assert_eq!(shown.matches("interrupted").count(), 1, "one line: {shown}");
    let numbers: Vec<usize> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    let (done, not_started) = (numbers[0], numbers[2]);
    assert!(not_started > 0 && done + not_started <= count, "{line}");
    // The session goes on.
    session.send_line("pwd").unwrap();
    session.exp_string("\r\n/\r\n").unwrap();
    session.exp_string("ftp> ").unwrap();
    assert_eq!(bye(session), 0);
}
