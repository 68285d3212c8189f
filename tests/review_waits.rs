//! Review of "waits and memory" and "server text and the terminal": cases a
//! hostile server could still use to keep rftp running, or to write to the
//! terminal, after the first round of fixes.
//!
//! Each run of the binary must end within a bound, so that a regression
//! fails here instead of hanging the test run.

mod common;
mod scripted;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, text, wait_within};
use scripted::{ScriptedServer, Session, greet_and_answer_until};

/// How long a scripted server keeps up an endless stream before giving up.
const LIMIT: Duration = Duration::from_secs(20);

/// Answers ABOR as vsftpd does, then QUIT; ends when the client hangs up.
fn answer_abort_and_quit(s: &mut Session) {
    while let Some(line) = s.read_line() {
        if line.ends_with(b"ABOR") {
            s.send("426 transfer aborted");
            s.send("226 ABOR ok");
        } else if line.eq_ignore_ascii_case(b"QUIT") {
            s.send("221 bye");
            return;
        }
    }
}

/// A server whose NLST never ends: lines as fast as the client takes them.
fn endless_nlst() -> ScriptedServer {
    ScriptedServer::start(|s| {
        greet_and_answer_until(s, "NLST");
        s.send("150 here it comes");
        let mut data = s.accept_data();
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < LIMIT {
            let chunk: String = (n..n + 100).map(|i| format!("file{i}\r\n")).collect();
            n += 100;
            if data.write_all(chunk.as_bytes()).is_err() {
                break;
            }
        }
        drop(data);
        answer_abort_and_quit(s);
    })
}

/// `rftp ls URL | head -1`: once the reader is gone, an endless listing is
/// stopped (ABOR), quietly and with exit status 0, instead of read forever.
#[test]
fn ls_into_a_closed_pipe_stops_an_endless_listing() {
    let server = endless_nlst();
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{}/", server.port);
    let mut child = sandbox
        .command(&["ls", "--timeout", "2", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rftp starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert_eq!(first, "file0\n");
    // The reader (`head -1`) has what it wanted and goes away.
    let out = wait_within(child, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "a closed pipe stays quiet");
    server.finish();
}

/// The same in the shell: `ls` in a script whose output is cut.
#[test]
fn the_shells_ls_into_a_closed_pipe_stops_an_endless_listing() {
    let server = endless_nlst();
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{}/", server.port);
    let mut child = sandbox
        .command(&["--timeout", "2", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rftp starts");
    child.stdin.take().unwrap().write_all(b"nlist\n").unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert_eq!(first, "file0\n");
    let out = wait_within(child, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    server.finish();
}

/// Starts `rftp HOST PORT` on a pseudo-terminal and logs in at the prompts.
fn start_on_terminal(sandbox: &Sandbox, server: &common::TestServer) -> rexpect::session::PtySession {
    let mut command = sandbox.command(&[&server.host, &server.port.to_string()]);
    command.env("TERM", "xterm").stdin(Stdio::inherit());
    let mut session = rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty");
    session.exp_string(&format!("Name ({}:tester): ", server.host)).unwrap();
    session.send_line(common::USER).unwrap();
    session.exp_string("Password: ").unwrap();
    session.send_line(common::PASSWORD).unwrap();
    session.exp_string("ftp> ").unwrap();
    session
}

/// A name with a right-to-left override reads as another name on a terminal
/// that honours it ("evil\u{202e}txt.exe" as "evilexe.txt"): listings show
/// the override as `?`, and completion never types it into the line.
#[test]
fn bidi_overrides_in_names_never_reach_the_terminal() {
    let server = common::TestServer::start();
    std::fs::write(server.root.join("evil\u{202e}txt.exe"), b"x").unwrap();
    let terminal = Sandbox::new();
    let mut session = start_on_terminal(&terminal, &server);
    session.send_line("nlist").unwrap();
    let shown = session.exp_string("ftp> ").unwrap();
    assert!(shown.contains("evil?txt.exe"), "{shown:?}");
    assert!(!has_rlo(&shown), "{shown:?}");
    // The only candidate for "ev" is that name: nothing is completed.
    session.send("get ev\t").unwrap();
    session.flush().unwrap();
    thread::sleep(Duration::from_millis(500));
    session.send_control('c').unwrap();
    thread::sleep(Duration::from_millis(500));
    session.send_line("pwd").unwrap();
    let shown = session.exp_string("\r\n/\r\n").unwrap();
    assert!(!has_rlo(&shown), "{shown:?}");
    session.exp_string("ftp> ").unwrap();
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
}

/// Whether terminal output holds U+202E, which rexpect hands over byte by
/// byte (each byte as one char).
fn has_rlo(shown: &str) -> bool {
    shown.contains('\u{202e}') || shown.contains("\u{e2}\u{80}\u{ae}")
}

/// `rftp -v URL > session.log`: the server's replies go to standard output,
/// and a log is read later on a terminal, so escape sequences, bells and
/// carriage returns in them are written escaped, as in diagnostics.
#[test]
fn replies_printed_into_a_file_are_escaped() {
    let server = ScriptedServer::start(|s| {
        s.send_raw(b"220-caf\xe9 \x1b]0;pwned\x07 cr\rfake \xe2\x80\xaeexe.txt\r\n220 ready\r\n");
        s.expect("USER ");
        s.send("331 password please");
        s.expect("PASS ");
        s.send("230 logged in");
        s.answer_feat(&[]);
        s.drain();
    });
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{}/", server.port);
    let out = sandbox.run(&["-v", "--timeout", "5", &url], "");
    server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(!out.stdout.iter().any(|&b| b == 0x1b || b == 0x07 || b == b'\r'), "{shown:?}");
    assert!(shown.contains("220-caf\\xe9 \\x1b]0;pwned\\x07 cr\\rfake \\u{202e}exe.txt\n220 ready\n"), "{shown:?}");
}

/// Answers whatever the shell sends until QUIT, with `nlst` writing each
/// NLST listing into its data connection.
fn answer_everything(s: &mut Session, nlst: impl Fn(&mut TcpStream, &str)) {
    s.send("220 scripted server");
    while let Some(line) = s.read_line() {
        let line = String::from_utf8_lossy(&line).into_owned();
        if line.ends_with("ABOR") {
            s.send("426 transfer aborted");
            s.send("226 ABOR ok");
            continue;
        }
        let command = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        let reply = match command.as_str() {
            "USER" => "331 password please".to_string(),
            "PASS" => "230 logged in".to_string(),
            "EPSV" => format!("229 Entering Extended Passive Mode (|||{}|)", s.listen_passive()),
            "PWD" => "257 \"/\" is the folder".to_string(),
            "TYPE" | "OPTS" => "200 ok".to_string(),
            "NLST" => {
                s.send("150 here it comes");
                let mut data = s.accept_data();
                nlst(&mut data, &line);
                drop(data);
                "226 done".to_string()
            }
            "QUIT" => {
                s.send("221 bye");
                return;
            }
            _ => "502 not implemented".to_string(),
        };
        s.send(&reply);
    }
}

/// The most memory (VmHWM, KiB) process `pid` has used.
fn peak_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("reads /proc/PID/status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Completion lists a folder (up to the listing limit, 16 MiB) and keeps its
/// names for the next Tab; completing in one folder after another must not
/// keep every folder's names, or memory grows with each one.
#[test]
fn completion_in_many_folders_keeps_memory_bounded() {
    const FOLDERS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];
    // 12 MiB of names per folder, under the 16 MiB listing limit.
    let server = ScriptedServer::start(|s| {
        answer_everything(s, |data, line| {
            let folder = line.split(' ').nth(1).unwrap_or("").to_string();
            let long = "n".repeat(1000);
            let names: String = (0..12 * 1024).map(|i| format!("{folder}x{long}{i}\r\n")).collect();
            let _ = data.write_all(names.as_bytes());
        })
    });
    let sandbox = Sandbox::new();
    let (mut session, pid) = shell_on_terminal(&sandbox, server.port, "10", 30_000);
    for folder in FOLDERS {
        // No name starts with "z": the folder is listed, nothing is offered.
        session.send(&format!("get {folder}/z\t")).unwrap();
        session.flush().unwrap();
        thread::sleep(Duration::from_millis(300));
        session.send_control('u').unwrap();
        session.send_line("lpwd").unwrap();
        session.exp_string(&sandbox.local.display().to_string()).unwrap();
        session.exp_string("ftp> ").unwrap();
    }
    let peak = peak_kib(&pid);
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
    let listed = server.finish().iter().filter(|l| l.starts_with("NLST")).count();
    assert_eq!(listed, FOLDERS.len(), "each folder was listed");
    assert!(peak < 64 * 1024, "peak memory {peak} KiB after completing in {} folders", FOLDERS.len());
}

/// `put` to a server that takes the data connection and never reads from
/// it: the upload fails within a few timeouts. Each blocking sendfile call
/// used to wait once per page it moved, each time the whole timeout, so
/// room the kernel found now and then kept it going far longer.
#[test]
fn an_upload_nobody_reads_times_out_within_a_few_timeouts() {
    let server = ScriptedServer::start(|s| {
        greet_and_answer_until(s, "STOR");
        s.send("150 go ahead");
        let data = s.accept_data();
        answer_abort_and_quit(s);
        drop(data);
    });
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.local_file("big.bin"), vec![7u8; 32 << 20]).unwrap();
    let url = format!("ftp://u:p@127.0.0.1:{}/big.bin", server.port);
    let child = sandbox
        .command(&["put", "-q", "--retries", "0", "--timeout", "2", "big.bin", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rftp starts");
    let start = Instant::now();
    let out = wait_within(child, Duration::from_secs(30));
    let took = start.elapsed();
    server.finish();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("timed out after 2 s"), "{}", text(&out.stderr));
    assert!(took < Duration::from_secs(6), "took {took:?} with --timeout 2: more than three timeouts");
}

/// `rftp --timeout T ftp://u:p@127.0.0.1:PORT/` on a pseudo-terminal, at
/// its first prompt, and its pid (to read its memory).
fn shell_on_terminal(
    sandbox: &Sandbox,
    port: u16,
    timeout: &str,
    expect_ms: u64,
) -> (rexpect::session::PtySession, String) {
    let url = format!("ftp://u:p@127.0.0.1:{port}/");
    let rftp = sandbox.command(&["--timeout", timeout, &url]);
    // A shell that says its pid and becomes rftp.
    let mut command = std::process::Command::new("sh");
    command.arg("-c").arg("echo PID=$$; exec \"$0\" \"$@\"").arg(rftp.get_program()).args(rftp.get_args());
    command.env_clear().envs(rftp.get_envs().filter_map(|(k, v)| v.map(|v| (k, v)))).env("TERM", "xterm");
    command.current_dir(rftp.get_current_dir().unwrap());
    let mut session = rexpect::session::spawn_command(command, Some(expect_ms)).expect("starts rftp on a pty");
    session.exp_string("PID=").unwrap();
    let pid = session.exp_string("\r\n").unwrap();
    session.exp_string("ftp> ").unwrap();
    (session, pid)
}

/// Tab in the shell lists the folder while the line editor waits, and
/// Ctrl-C is a key there, not an interrupt. A server that sends a little
/// more than the stall rule asks (1 KiB a window) now and then must not keep
/// the prompt frozen: the listing behind a completion has a bounded time.
#[test]
fn completion_against_a_listing_that_trickles_gives_up() {
    let server = ScriptedServer::start(|s| {
        answer_everything(s, |data, _| {
            let start = Instant::now();
            let mut n = 0;
            while start.elapsed() < LIMIT {
                let line = format!("a{}{n}\r\n", "n".repeat(1100));
                n += 1;
                if data.write_all(line.as_bytes()).is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(1500));
            }
        })
    });
    let sandbox = Sandbox::new();
    let (mut session, _) = shell_on_terminal(&sandbox, server.port, "2", 10_000);
    let start = Instant::now();
    session.send("get a\t").unwrap();
    session.flush().unwrap();
    thread::sleep(Duration::from_millis(300));
    session.send_control('u').unwrap();
    session.send_line("lpwd").unwrap();
    session.exp_string(&sandbox.local.display().to_string()).unwrap();
    let took = start.elapsed();
    session.exp_string("ftp> ").unwrap();
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
    server.finish();
    assert!(took < Duration::from_secs(6), "the prompt came back after {took:?} with --timeout 2");
}

/// `--timeout 0` is a usage error (exit 2) naming the option, not a
/// connection that fails with "cannot set a 0 duration timeout" (exit 3).
#[test]
fn a_zero_timeout_is_a_usage_error() {
    let server = ScriptedServer::start(|s| {
        s.send("220 scripted server");
        s.drain();
    });
    let sandbox = Sandbox::new();
    let url = format!("ftp://u:p@127.0.0.1:{}/", server.port);
    let out = sandbox.run(&["ls", "--timeout", "0", &url], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--timeout"), "{}", text(&out.stderr));
    // Nobody connected: the server still waits for its first client.
    drop(std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap());
    server.finish();
}
