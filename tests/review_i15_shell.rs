//! Review of the shell's words (issue #15) from a hostile side: a server
//! whose file names look like pipes, options or `~`, aliases that hide
//! what a line runs, and pipes reached through an alias. Run as users run
//! them: the real binary against the embedded server, on a pseudo-terminal
//! where completion and the history are concerned.

mod common;

use std::fs;
use std::path::PathBuf;

use common::pty::{quit, type_text};
use common::sandbox::{Sandbox, run_script, text};
use common::{PASSWORD, TestServer, USER};

/// A server names a file `|touch${IFS}pwned`: Tab after `ls ` must put that
/// name on the line, not a pipe into `touch` that Enter would run. (Before
/// the fix the name went in unescaped and the local file `pwned` appeared.)
#[test]
fn a_completed_server_name_never_becomes_a_local_command() {
    let server = TestServer::start();
    fs::write(server.root.join("|touch${IFS}pwned"), b"x").unwrap();
    let terminal = Sandbox::new();
    let mut session = common::pty::start(&terminal, &server, &[]);
    type_text(&mut session, "ls \t");
    session.exp_string("pwned").unwrap();
    session.send_line("").unwrap();
    session.exp_string("ftp> ").unwrap();
    // The listing of that one file, from the server.
    session.send_line("pwd").unwrap();
    session.exp_string("ftp> ").unwrap();
    quit(session);
    assert!(!terminal.local.join("pwned").exists(), "a server's file name ran a local command");
}

/// `~/` at the prompt is the home folder, so Tab completes what is there,
/// and a local file named `-x` completes to `./-x`, not an option.
#[test]
fn local_completion_follows_tilde_and_keeps_dashes_names() {
    let server = TestServer::start();
    let terminal = Sandbox::new();
    fs::write(terminal.home.join("in-home.txt"), b"from home").unwrap();
    fs::write(terminal.local.join("-dash.txt"), b"dash").unwrap();
    let mut session = common::pty::start(&terminal, &server, &[]);
    type_text(&mut session, "put ~/in-h\t");
    session.exp_string("home.txt").unwrap();
    session.send_line("").unwrap();
    session.exp_string("ftp> ").unwrap();
    type_text(&mut session, "put -da\t");
    session.exp_string("sh.txt").unwrap();
    session.send_line("").unwrap();
    session.exp_string("ftp> ").unwrap();
    quit(session);
    assert_eq!(fs::read(server.root.join("in-home.txt")).unwrap(), b"from home");
    assert_eq!(fs::read(server.root.join("-dash.txt")).unwrap(), b"dash");
}

fn history_file(sandbox: &Sandbox) -> PathBuf {
    sandbox.home.join(".local/share/rftp/history")
}

/// `alias u user`, then `u NAME PASSWORD`: the line holds a password, and
/// the history file must not keep it. (Before the fix it was saved, since
/// only `user` itself was recognised.)
#[test]
fn an_alias_does_not_smuggle_a_password_into_the_history() {
    let server = TestServer::start();
    let terminal = Sandbox::new();
    let mut session = common::pty::start(&terminal, &server, &[]);
    for alias in ["alias u user", "alias q quote"] {
        session.send_line(alias).unwrap();
        session.exp_string("ftp> ").unwrap();
    }
    // Whatever the server answers (it may refuse a second login), the line held a password.
    session.send_line(&format!("u {USER} {PASSWORD}")).unwrap();
    session.exp_string("ftp> ").unwrap();
    // Quoted, the alias's name is still the alias.
    session.send_line(&format!("\"u\" {USER} {PASSWORD}")).unwrap();
    session.exp_string("ftp> ").unwrap();
    session.send_line(&format!("q PASS {PASSWORD}")).unwrap();
    session.exp_string("ftp> ").unwrap();
    session.send_line("pwd").unwrap();
    session.exp_string("ftp> ").unwrap();
    quit(session);
    let history = fs::read_to_string(history_file(&terminal)).unwrap();
    assert!(history.contains("pwd"), "{history}");
    assert!(history.contains("alias u user"), "{history}");
    assert!(!history.contains(PASSWORD), "the password is in the history:\n{history}");
}

/// `alias l2 ls`, then `l2 |wc -l`: the pipe works through the alias as it
/// does for `ls` itself. (Before the fix `|wc` and `-l` were operands of
/// `ls`, a usage error.)
#[test]
fn a_pipe_works_through_an_alias() {
    let server = TestServer::start();
    for name in ["one", "two", "three"] {
        fs::write(server.root.join(name), b"x").unwrap();
    }
    let sandbox = Sandbox::new();
    let out = run_script(&sandbox, &server, "alias l2 nlist\nl2 |wc -l\n\"l2\" |wc -c\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.lines().any(|line| line.trim() == "3"), "{stdout}");
    assert!(stdout.lines().any(|line| line.trim() == "14"), "{stdout}");
}

/// A script whose output shows on a terminal (`rftp HOST < cmds` typed at a
/// terminal) gets no colour either: scripts never do, as the README says.
/// (Before the fix `ls`, `mlsd` and `lls` coloured folders there.)
#[test]
fn a_script_at_a_terminal_gets_no_colour() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir(server.root.join("folder")).unwrap();
    fs::create_dir(sandbox.local.join("localdir")).unwrap();
    let commands = sandbox.home.join("commands");
    fs::write(&commands, format!("user {USER} {PASSWORD}\nls\nmlsd\nlls\n")).unwrap();
    let mut command = sandbox.command(&["-n", &server.host, &server.port.to_string()]);
    command.env("TERM", "xterm").stdin(fs::File::open(&commands).unwrap());
    let mut session = rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty");
    let shown = session.exp_eof().unwrap();
    assert!(shown.contains("folder") && shown.contains("localdir"), "{shown:?}");
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
}

/// An aliases file rftp cannot read (here a byte that is not UTF-8, as an
/// editor in Latin-1 writes one) is never written over by the next
/// `alias`: that would lose every alias in it. (Before the fix it was
/// replaced by a file holding the new alias alone.)
#[test]
fn an_unreadable_aliases_file_is_not_written_over() {
    let sandbox = Sandbox::new();
    let file = sandbox.home.join(".local/share/rftp/aliases");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    let kept = b"ll ls -l\n# caf\xe9\nup put -r\n".to_vec();
    fs::write(&file, &kept).unwrap();
    let out = sandbox.run(&[], "alias g get\ng\n");
    let stderr = text(&out.stderr);
    assert_eq!(fs::read(&file).unwrap(), kept, "{stderr}");
    assert!(stderr.contains("cannot read the aliases in"), "{stderr}");
    assert!(stderr.contains("alias: not saved, so as not to write over"), "{stderr}");
    // The alias still works for this session.
    assert!(stderr.contains("usage: get"), "{stderr}");
    assert!(!out.status.success());
}

/// `get BIG |head` ends the transfer with ABOR; a server that drops the
/// session on ABOR's Telnet signals (the embedded one does) is met again
/// without them, as after Ctrl-C, so a second `|head` keeps the connection
/// usable as promised. (Before the fix every `|head` cost the connection,
/// and the next command said "reconnected" each time.)
#[test]
fn a_pipe_closed_early_leaves_the_connection_usable_next_time() {
    let server = TestServer::start();
    fs::write(server.root.join("big.bin"), common::pattern(24 << 20)).unwrap();
    let sandbox = Sandbox::new();
    let script = "get big.bin |head -c 10 >/dev/null\nget big.bin |head -c 10 >/dev/null\npwd\nls |head -1\npwd\n";
    let out = run_script(&sandbox, &server, script);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(text(&out.stdout).contains("big.bin"), "{}", text(&out.stdout));
    let reconnects = stderr.lines().filter(|line| line.contains("reconnect")).count();
    assert!(reconnects <= 1, "{stderr}");
}

/// A huge unknown word (a broken script's line) gets its "unknown command"
/// at once: no suggestion is worked out against names it cannot be near.
/// (Before the fix a 1 MB word took about 14 s in a debug build.)
#[test]
fn a_huge_unknown_word_is_refused_at_once() {
    let sandbox = Sandbox::new();
    let line = format!("{}\n", "x".repeat(1 << 20));
    let started = std::time::Instant::now();
    let out = sandbox.run(&[], &line);
    let elapsed = started.elapsed();
    assert!(text(&out.stderr).contains("line 1: unknown command \"xxx"), "{}", &text(&out.stderr)[..200]);
    assert!(!out.status.success());
    assert!(elapsed < std::time::Duration::from_secs(4), "took {elapsed:?}");
}
