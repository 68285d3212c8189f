//! The shell as a person at a terminal sees it, through a pseudo-terminal:
//! the login prompts, the `ftp>` prompt, tab completion, the progress bar,
//! Ctrl-C, Ctrl-D, and a history file without passwords.

mod common;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use common::pty::{quit, type_text};
use common::sandbox::Sandbox;
use common::{PASSWORD, TestServer, USER, pattern};

fn history_file(sandbox: &Sandbox) -> PathBuf {
    sandbox.home.join(".local/share/rftp/history")
}

#[test]
fn prompt_login_and_commands() {
    let server = TestServer::start();
    let terminal = Sandbox::new();
    let mut session = common::pty::start(&terminal, &server, &[]);
    session.send_line("pwd").unwrap();
    session.exp_string("\r\n/\r\n").unwrap();
    session.exp_string("ftp> ").unwrap();
    // Ctrl-C at the prompt clears the line, and nothing runs.
    type_text(&mut session, "frobnicate");
    session.send_control('c').unwrap();
    session.exp_string("ftp> ").unwrap();
    session.send_line("lpwd").unwrap();
    let before = session.exp_string(&terminal.local.display().to_string()).unwrap();
    assert!(!before.contains("unknown command"), "{before}");
    // Ctrl-D leaves.
    session.exp_string("ftp> ").unwrap();
    session.send_control('d').unwrap();
    session.exp_eof().unwrap();
}

#[test]
fn tab_completes_commands_and_remote_names() {
    let server = TestServer::start();
    fs::write(server.root.join("remote report.txt"), b"completed").unwrap();
    let terminal = Sandbox::new();
    let mut session = common::pty::start(&terminal, &server, &[]);
    type_text(&mut session, "ge\t");
    session.exp_string("get ").unwrap();
    type_text(&mut session, "rem\t");
    session.exp_string("report.txt").unwrap();
    session.send_line("").unwrap();
    session.exp_string("ftp> ").unwrap();
    assert_eq!(fs::read(terminal.local.join("remote report.txt")).unwrap(), b"completed");
    // Local names complete for put.
    fs::write(terminal.local.join("local-only.dat"), b"x").unwrap();
    type_text(&mut session, "put local-o\t");
    session.exp_string("local-only.dat").unwrap();
    session.send_line("").unwrap();
    session.exp_string("ftp> ").unwrap();
    assert_eq!(fs::read(server.root.join("local-only.dat")).unwrap(), b"x");
    quit(session);
}

/// A named pipe read slowly by a thread, so a download into it takes seconds.
fn slow_pipe(dir: &Path) -> (PathBuf, thread::JoinHandle<u64>) {
    let path = dir.join("slow-pipe");
    let status = Command::new("mkfifo").arg(&path).status().expect("mkfifo runs");
    assert!(status.success());
    let reader_path = path.clone();
    let reader = thread::spawn(move || {
        let mut pipe = fs::File::open(&reader_path).unwrap();
        let mut buffer = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                break;
            }
            total += n as u64;
            thread::sleep(Duration::from_millis(20));
        }
        total
    });
    (path, reader)
}

#[test]
fn progress_bar_then_ctrl_c_aborts_and_the_session_goes_on() {
    let server = TestServer::start();
    let size = 64 * 1024 * 1024;
    fs::write(server.root.join("huge.bin"), pattern(size)).unwrap();
    let terminal = Sandbox::new();
    let (pipe, reader) = slow_pipe(&terminal.local);
    let mut session = common::pty::start(&terminal, &server, &[]);
    session.send_line(&format!("get huge.bin {}", pipe.display())).unwrap();
    // The bar shows the rate while the transfer runs.
    session.exp_regex(r"[0-9.]+ [KMG]iB/s").unwrap();
    session.send_control('c').unwrap();
    session.exp_string("transfer aborted").unwrap();
    session.exp_string("ftp> ").unwrap();
    let received = reader.join().unwrap();
    assert!(received < size as u64, "the download stopped early ({received} bytes)");
    // The session still works (after a reconnect where the server dropped it).
    session.send_line("size huge.bin").unwrap();
    session.exp_string(&format!("\r\n{size}\r\n")).unwrap();
    session.exp_string("ftp> ").unwrap();
    quit(session);
}

#[test]
fn history_is_kept_without_passwords() {
    let server = TestServer::start();
    let terminal = Sandbox::new();
    let mut session = common::pty::start(&terminal, &server, &[]);
    session.send_line(&format!("user {USER} {PASSWORD}")).unwrap();
    session.exp_string("ftp> ").unwrap();
    session.send_line("pwd").unwrap();
    session.exp_string("ftp> ").unwrap();
    quit(session);
    let history = fs::read_to_string(history_file(&terminal)).expect("history saved");
    assert!(history.contains("pwd"), "{history}");
    assert!(!history.contains(PASSWORD), "{history}");
    assert!(!history.contains(&format!("user {USER}")), "{history}");
}

#[test]
fn ctrl_c_stops_a_parallel_batch_and_the_session_goes_on() {
    let server = TestServer::start();
    fs::create_dir_all(server.root.join("big")).unwrap();
    let chunk = pattern(96 * 1024 * 1024);
    for i in 0..4 {
        fs::write(server.root.join(format!("big/part-{i}.bin")), &chunk).unwrap();
    }
    let terminal = Sandbox::new();
    let mut session = common::pty::start(&terminal, &server, &[]);
    session.send_line("get -r big").unwrap();
    // The combined bar counts files.
    session.exp_string("/4 files").unwrap();
    session.send_control('c').unwrap();
    session.exp_string("of 4 files done").unwrap();
    session.exp_string("ftp> ").unwrap();
    session.send_line("pwd").unwrap();
    session.exp_string("\r\n/\r\n").unwrap();
    session.exp_string("ftp> ").unwrap();
    quit(session);
    // Nothing half-done looks finished.
    for entry in fs::read_dir(terminal.local.join("big")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bin") {
            assert_eq!(fs::read(&path).unwrap().len(), chunk.len(), "{} is complete", path.display());
        }
    }
}

#[test]
fn control_characters_in_server_names_are_shown_as_question_marks() {
    let server = TestServer::start();
    // A name that would clear the screen, and one that would paint "ok.txt"
    // over itself with a carriage return.
    fs::write(server.root.join("evil\u{1b}[2Jname"), b"x").unwrap();
    fs::write(server.root.join("real\rok.txt"), b"x").unwrap();
    let terminal = Sandbox::new();
    let mut session = common::pty::start(&terminal, &server, &[]);
    session.send_line("nlist").unwrap();
    let before = session.exp_string("ftp> ").unwrap();
    assert!(before.contains("evil?[2Jname"), "{before:?}");
    assert!(before.contains("real?ok.txt"), "{before:?}");
    assert!(!before.contains("\u{1b}[2J"), "{before:?}");
    quit(session);
}
