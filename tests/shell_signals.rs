//! Ctrl-C, exit statuses and batch summaries, as a person at a terminal
//! sees them (through a pseudo-terminal) and as scripts see them: Ctrl-C
//! while connecting gives the prompt back, a Ctrl-C between two commands
//! cancels neither, an interactive session ends with 0, and batches end
//! with one summary line.

mod common;

use std::fs;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, text};
use common::{PASSWORD, TestServer, USER};
use rexpect::process::{Signal, WaitStatus};
use rexpect::session::PtySession;

/// Starts `rftp ARGS` on a pseudo-terminal.
fn spawn(sandbox: &Sandbox, args: &[&str]) -> PtySession {
    let mut command = sandbox.command(args);
    // The pseudo-terminal is standard input, not the sandbox's /dev/null.
    command.env("TERM", "xterm").stdin(std::process::Stdio::inherit());
    rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty")
}

/// Answers the login prompts of `server` and waits for the prompt.
fn log_in(session: &mut PtySession, server: &TestServer) {
    session.exp_string(&format!("Name ({}:tester): ", server.host)).unwrap();
    session.send_line(USER).unwrap();
    session.exp_string("Password: ").unwrap();
    session.send_line(PASSWORD).unwrap();
    session.exp_string("230").unwrap();
    session.exp_string("ftp> ").unwrap();
}

/// `rftp HOST PORT EXTRA…` on a pseudo-terminal, logged in, at the prompt.
fn start(sandbox: &Sandbox, server: &TestServer, extra: &[&str]) -> PtySession {
    let port = server.port.to_string();
    let mut args = vec![server.host.as_str(), port.as_str()];
    args.extend_from_slice(extra);
    let mut session = spawn(sandbox, &args);
    log_in(&mut session, server);
    session
}

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
