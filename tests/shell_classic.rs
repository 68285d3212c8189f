//! The classic ftp commands of issue #15 in the shell: `lls`, tnftp's pipes
//! (`get FILE |CMD`, `ls |CMD`, `page`), and `ls`/`mlsd` in colour on a
//! terminal (`LS_COLORS`, `NO_COLOR`), against the embedded server.

mod common;

use std::fs;
use std::io::Write;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::sandbox::{Sandbox, text, wait_within};
use common::{PASSWORD, TestServer, USER, pattern};
use rexpect::session::PtySession;

/// The shell running `script` against `server` as the test user, with
/// `env` added; bounded, so a pipe that hangs fails the test.
fn script(sandbox: &Sandbox, server: &TestServer, script: &str, env: &[(&str, &str)]) -> Output {
    let port = server.port.to_string();
    let mut command = sandbox.command(&["-n", &server.host, &port]);
    command.envs(env.iter().copied()).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("runs rftp");
    let mut input = child.stdin.take().unwrap();
    input.write_all(format!("user {USER} {PASSWORD}\n{script}").as_bytes()).unwrap();
    drop(input);
    wait_within(child, Duration::from_secs(60))
}

fn local_names(sandbox: &Sandbox) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(&sandbox.local).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn lls_lists_local_files_sorted_hidden_ones_with_a() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    for name in ["b.txt", "a.txt", ".hidden", "sub/inner.txt"] {
        let path = sandbox.local_file(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"12345").unwrap();
    }
    let out = script(&sandbox, &server, "lls\nlls -a\nlls sub a.txt\nlls -l a.txt\n", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let expected = "a.txt\nb.txt\nsub\n.hidden\na.txt\nb.txt\nsub\na.txt\n\nsub:\ninner.txt\n";
    assert!(stdout.starts_with(expected), "{stdout:?}");
    let long = stdout[expected.len()..].trim_end();
    assert!(long.starts_with("-rw") && long.ends_with(" UTC  a.txt") && long.contains(" 5  "), "{long:?}");
}

#[test]
fn lls_of_a_missing_path_fails_naming_it() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("here.txt"), b"").unwrap();
    let out = script(&sandbox, &server, "lls missing here.txt\n", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "here.txt\n");
    assert!(text(&out.stderr).contains("lls: cannot access missing"), "{}", text(&out.stderr));
}

#[test]
fn get_into_a_command_gives_it_the_data_and_writes_no_file() {
    let server = TestServer::start();
    fs::write(server.root.join("data.bin"), pattern(100_000)).unwrap();
    fs::write(server.root.join("empty"), b"").unwrap();
    let sandbox = Sandbox::new();
    let out = script(&sandbox, &server, "get data.bin |wc -c\nget empty | wc -c\n", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let counts: Vec<String> = text(&out.stdout).split_whitespace().map(String::from).collect();
    assert_eq!(counts, ["100000", "0"]);
    assert!(local_names(&sandbox).is_empty(), "{:?}", local_names(&sandbox));
}

/// `|head -c1` stops reading after one byte of a file far bigger than a
/// pipe holds: the transfer ends quietly, and the session goes on.
#[test]
fn a_command_that_stops_reading_ends_the_transfer_quietly() {
    let server = TestServer::start();
    fs::write(server.root.join("big.bin"), pattern(16 * 1024 * 1024)).unwrap();
    let sandbox = Sandbox::new();
    let out = script(&sandbox, &server, "get big.bin |head -c1 | wc -c\nnlist\n", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).split_whitespace().collect::<Vec<_>>(), ["1", "big.bin"]);
    // No error; at most the note that a server which drops the session on
    // ABOR (libunftp) was reconnected to.
    let stderr = text(&out.stderr);
    assert!(stderr.lines().all(reconnect_note), "{stderr}");
    assert!(local_names(&sandbox).is_empty(), "{:?}", local_names(&sandbox));
}

/// The note that a server which drops the session on ABOR's Telnet
/// signals (libunftp) was met again, without them from then on.
fn reconnect_note(line: &str) -> bool {
    line.starts_with("rftp: reconnected to ")
        || line == "rftp: the server closed the connection on ABOR; reconnecting (plain ABOR from now on)"
}

#[test]
fn the_transfer_type_applies_to_pipes() {
    let server = TestServer::start();
    fs::write(server.root.join("crlf.txt"), b"a\r\nb\r\n").unwrap();
    let sandbox = Sandbox::new();
    let out = script(&sandbox, &server, "get crlf.txt |wc -c\nascii\nget crlf.txt |wc -c\n", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).split_whitespace().collect::<Vec<_>>(), ["6", "4"]);
}

#[test]
fn a_failing_command_or_file_is_reported() {
    let server = TestServer::start();
    fs::write(server.root.join("f.txt"), b"x").unwrap();
    let sandbox = Sandbox::new();
    let out = script(&sandbox, &server, "get f.txt |cat >/dev/null; exit 3\nget nope.txt |touch ran\n", &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: get f.txt |cat >/dev/null; exit 3: the command exited with status 3"), "{stderr}");
    assert!(stderr.contains("line 3:") && stderr.contains("550"), "{stderr}");
    // Nothing came, so the command never ran.
    assert!(local_names(&sandbox).is_empty(), "{:?}", local_names(&sandbox));
}

#[test]
fn listings_into_a_command() {
    let server = TestServer::start();
    for name in ["one", "two", "three"] {
        fs::write(server.root.join(name), b"x").unwrap();
    }
    fs::create_dir(server.root.join("sub")).unwrap();
    fs::write(server.root.join("sub/inner"), b"x").unwrap();
    // More than a pipe holds, for a command that stops after one line.
    fs::create_dir(server.root.join("many")).unwrap();
    for i in 0..1200 {
        fs::write(server.root.join(format!("many/a-rather-long-file-name-{i:05}")), b"").unwrap();
    }
    let sandbox = Sandbox::new();
    let commands = "nlist |sort -r\nls |grep -c two\ndir sub |wc -l\nls many |head -1 >/dev/null\npwd\n";
    let out = script(&sandbox, &server, commands, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "two\nthree\nsub\none\nmany\n1\n1\n/\n");
    let stderr = text(&out.stderr);
    assert!(stderr.lines().all(reconnect_note), "{stderr}");
}

#[test]
fn a_file_named_with_a_bar_is_reached_as_dot_slash() {
    let server = TestServer::start();
    fs::write(server.root.join("|x"), b"bar file").unwrap();
    let sandbox = Sandbox::new();
    let out = script(&sandbox, &server, "get ./|x\n", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("|x")).unwrap(), b"bar file");
}

#[test]
fn page_shows_a_file_through_the_pager() {
    let server = TestServer::start();
    fs::write(server.root.join("notes.txt"), b"first line\nsecond line\n").unwrap();
    let sandbox = Sandbox::new();
    let out = script(&sandbox, &server, "page notes.txt\n", &[("PAGER", "cat -n")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "     1\tfirst line\n     2\tsecond line\n");
    assert!(local_names(&sandbox).is_empty(), "{:?}", local_names(&sandbox));
}

/// Starts `rftp HOST PORT` on a pseudo-terminal with `env`, logged in.
fn terminal(sandbox: &Sandbox, server: &TestServer, env: &[(&str, &str)]) -> PtySession {
    let mut command = sandbox.command(&["-n", &server.host, &server.port.to_string()]);
    command.env("TERM", "xterm").envs(env.iter().copied()).stdin(Stdio::inherit());
    let mut session = rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty");
    session.exp_string("ftp> ").unwrap();
    session.send_line(&format!("user {USER} {PASSWORD}")).unwrap();
    session.exp_string("ftp> ").unwrap();
    session
}

/// What `command` printed at the terminal, up to the next prompt.
fn run(session: &mut PtySession, command: &str) -> String {
    session.send_line(command).unwrap();
    session.exp_string("ftp> ").unwrap()
}

fn listed_tree(server: &TestServer, sandbox: &Sandbox) {
    fs::create_dir(server.root.join("folder")).unwrap();
    fs::write(server.root.join("plain.txt"), b"x").unwrap();
    fs::create_dir(sandbox.local_file("localdir")).unwrap();
}

#[test]
fn ls_mlsd_and_lls_colour_folders_after_ls_colors() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    listed_tree(&server, &sandbox);
    let mut session = terminal(&sandbox, &server, &[("LS_COLORS", "di=01;35:*.txt=04")]);
    let ls = run(&mut session, "ls");
    assert!(ls.contains("\u{1b}[01;35mfolder\u{1b}[0m"), "{ls:?}");
    assert!(ls.contains("\u{1b}[04mplain.txt\u{1b}[0m"), "{ls:?}");
    let mlsd = run(&mut session, "mlsd");
    assert!(mlsd.contains("\u{1b}[01;35mfolder\u{1b}[0m"), "{mlsd:?}");
    let lls = run(&mut session, "lls");
    assert!(lls.contains("\u{1b}[01;35mlocaldir\u{1b}[0m"), "{lls:?}");
    // NLST says nothing of types: plain.
    let nlist = run(&mut session, "nlist");
    assert!(nlist.contains("\r\nfolder\r\n") && !nlist.contains("\u{1b}[0m"), "{nlist:?}");
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
}

#[test]
fn no_color_turns_colour_off() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    listed_tree(&server, &sandbox);
    let mut session = terminal(&sandbox, &server, &[("LS_COLORS", "di=01;35"), ("NO_COLOR", "1")]);
    for command in ["ls", "mlsd", "lls"] {
        let shown = run(&mut session, command);
        assert!(shown.contains("folder") || shown.contains("localdir"), "{shown:?}");
        // The line editor's own escapes aside, none: no colour, no reset.
        assert!(!shown.contains("\u{1b}[0m") && !shown.contains("35m"), "{command}: {shown:?}");
    }
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
}

/// An `LS_COLORS` value with escapes of its own (here one that would
/// retitle the window) is ignored: the default colour is used instead.
#[test]
fn a_hostile_ls_colors_value_is_ignored() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    listed_tree(&server, &sandbox);
    let mut session = terminal(&sandbox, &server, &[("LS_COLORS", "di=\u{1b}]0;pwned\u{7}")]);
    let ls = run(&mut session, "ls");
    assert!(ls.contains("\u{1b}[01;34mfolder\u{1b}[0m"), "{ls:?}");
    assert!(!ls.contains("pwned"), "{ls:?}");
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
}

#[test]
fn scripts_get_no_colour() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    listed_tree(&server, &sandbox);
    let out = script(&sandbox, &server, "ls\nmlsd\nlls\n", &[("LS_COLORS", "di=01;35"), ("TERM", "xterm")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("folder") && stdout.contains("localdir"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
}
