//! Review of issue #15's secrets and trust (bookmarks, the keyring, known
//! certificates, `--pin`), from the side of a man in the middle, a hostile
//! co-user and a careless user.

mod common;

use std::fs;
use std::path::PathBuf;
use std::process::Stdio;

use common::sandbox::{Sandbox, text};
use common::tls::{TlsServer, tls_server};
use common::{PASSWORD, USER};
use rexpect::session::PtySession;

const CONTENT: &[u8] = b"over trusted TLS";

/// An FTPS server holding `f.txt`, with a certificate no system trusts.
fn server() -> TlsServer {
    let s = tls_server(true);
    fs::write(s.server.root().join("f.txt"), CONTENT).unwrap();
    s
}

fn known_file(sandbox: &Sandbox) -> PathBuf {
    sandbox.home.join(".local/share/rftp/known_certificates")
}

/// The interactive shell on a pseudo-terminal, at its first prompt.
fn shell_on_pty(sandbox: &Sandbox, args: &[&str]) -> PtySession {
    let mut command = sandbox.command(args);
    command.env("TERM", "xterm").stdin(Stdio::inherit());
    let mut session = rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty");
    session.exp_string("ftp> ").unwrap();
    session
}

/// Ctrl-C at the certificate question gives the prompt back, and the
/// question is over: what is typed next is a command, never an answer
/// (a stray reader of the terminal would eat it, and `a` would record the
/// certificate the user just refused).
#[test]
fn ctrl_c_at_the_certificate_question_ends_the_question() {
    let s = server();
    let sandbox = Sandbox::new();
    let mut session = shell_on_pty(&sandbox, &[]);
    let url = format!("ftpes://{USER}@127.0.0.1:{}/", s.server.address().port());
    session.send_line(&format!("open {url}")).unwrap();
    session.exp_string("[o]nce/[a]lways/[N]o: ").unwrap();
    session.send_control('c').unwrap();
    session.exp_string("ftp> ").unwrap();
    for _ in 0..3 {
        session.send_line("a").unwrap();
        session.exp_string("ftp> ").unwrap();
    }
    session.send_line("!echo still-the-shell").unwrap();
    session.exp_string("still-the-shell").unwrap();
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
    assert!(!known_file(&sandbox).exists(), "{}", fs::read_to_string(known_file(&sandbox)).unwrap_or_default());
}

/// `--pin` accepts that certificate and no other: a plain connection, with
/// no certificate at all, is refused before anything is sent, not made
/// quietly (a script that pins expects the server to be the pinned one).
#[test]
fn a_pin_never_lets_a_connection_go_plain() {
    let s = tls_server(false);
    fs::write(s.server.root().join("f.txt"), CONTENT).unwrap();
    let sandbox = Sandbox::new();
    let port = s.server.address().port();
    let pin = format!("sha256:{}", other_print());
    let url = format!("ftp://{USER}:{PASSWORD}@127.0.0.1:{port}/f.txt");
    let out = sandbox.run(&["get", "--pin", &pin, &url, "-o", "-"], "");
    let stderr = text(&out.stderr);
    assert!(out.stdout.is_empty(), "downloaded in plain text: {stderr}");
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("--pin") && stderr.contains("plain FTP") && stderr.contains("127.0.0.1"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    // The shell too, and `open` of a plain server says why.
    let out = sandbox.run(&["--pin", &pin, "-n"], &format!("open 127.0.0.1 {port}\nuser {USER} {PASSWORD}\nls\n"));
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("plain FTP"), "{stderr}");
    assert_eq!(s.server.connections(), 0, "nothing was sent to the server");
}

/// Some other certificate's fingerprint, `AB:CD:…`.
fn other_print() -> String {
    rftp::protocol::tls::fingerprint(b"some other certificate")
}

/// The SHA-256 fingerprint of the server's own certificate, `AB:CD:…`.
fn server_print(s: &TlsServer) -> String {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let first = CertificateDer::pem_file_iter(&s.certificates.chain).unwrap().next().unwrap().unwrap();
    rftp::protocol::tls::fingerprint(first.as_ref())
}

fn bookmarks_file(sandbox: &Sandbox) -> PathBuf {
    sandbox.home.join(".config/rftp/bookmarks")
}

fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// A bookmarks file that others may write (a co-user could point `work` at
/// their own server, to catch the password typed for it) is not used.
#[test]
fn a_bookmarks_file_others_may_write_is_not_used() {
    let s = tls_server(false);
    let sandbox = Sandbox::new();
    let path = bookmarks_file(&sandbox);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, format!("work ftp://{USER}@127.0.0.1:{}/\n", s.server.address().port())).unwrap();
    for (file, folder) in [(0o666, 0o700), (0o620, 0o700), (0o600, 0o777)] {
        chmod(&path, file);
        chmod(path.parent().unwrap(), folder);
        let out = sandbox.run_with_env(&["work"], "ls\n", &[("RFTP_PASSWORD", PASSWORD)]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{file:o}/{folder:o}: {stderr}");
        assert!(stderr.contains(&path.display().to_string()) && stderr.contains("others"), "{stderr}");
        assert_eq!(s.server.connections(), 0, "{file:o}/{folder:o}: connected: {stderr}");
    }
    // Once private again, it is used.
    chmod(&path, 0o600);
    chmod(path.parent().unwrap(), 0o700);
    let out = sandbox.run_with_env(&["work"], "ls\n", &[("RFTP_PASSWORD", PASSWORD)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(s.server.connections(), 1);
}

/// A known-certificates file that others may write (a co-user could add
/// the certificate of their man in the middle) is not trusted.
#[test]
fn a_known_certificates_file_others_may_write_is_not_trusted() {
    let s = server();
    let sandbox = Sandbox::new();
    let port = s.server.address().port();
    write_known(&sandbox, &format!("127.0.0.1 {port} sha256:{}\n", server_print(&s)));
    chmod(&known_file(&sandbox), 0o666);
    let url = format!("ftpes://{USER}:{PASSWORD}@127.0.0.1:{port}/f.txt");
    let out = sandbox.run(&["get", &url, "-o", "-"], "");
    let stderr = text(&out.stderr);
    assert!(out.stdout.is_empty(), "trusted a certificate others could add: {stderr}");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("known_certificates") && stderr.contains("others"), "{stderr}");
    chmod(&known_file(&sandbox), 0o600);
    let out = sandbox.run(&["get", &url, "-o", "-"], "");
    assert_eq!(out.stdout, CONTENT, "{}", text(&out.stderr));
}

/// A bookmarks or known-certificates file that is no regular file (a FIFO
/// nobody writes to) cannot hang rftp.
#[test]
fn a_fifo_in_place_of_the_files_does_not_hang() {
    let sandbox = Sandbox::new();
    for path in [bookmarks_file(&sandbox), known_file(&sandbox)] {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success());
    }
    let bound = std::time::Duration::from_secs(10);
    let (out, _) = common::sandbox::run_within(&sandbox, &["work"], bound);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bookmarks") && stderr.contains("not a regular file"), "{stderr}");
    let s = server();
    let url = format!("ftpes://{USER}:{PASSWORD}@127.0.0.1:{}/f.txt", s.server.address().port());
    let (out, _) = common::sandbox::run_within(&sandbox, &["get", &url, "-o", "-"], bound);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("known_certificates") && stderr.contains("not a regular file"), "{stderr}");
}

fn write_known(sandbox: &Sandbox, text: &str) {
    let path = known_file(sandbox);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Looking for a password in the system keyring is a wait like any other:
/// a D-Bus that takes the connection and never answers holds a login for
/// `--timeout` at most, not the keyring's own 10 s.
#[test]
fn a_keyring_that_never_answers_is_waited_for_timeout_at_most() {
    let s = tls_server(false);
    let sandbox = Sandbox::new();
    let address = silent_keyring(&sandbox);
    let port = s.server.address().port().to_string();
    let started = std::time::Instant::now();
    let out = sandbox.run_with_env(
        &["--timeout", "2", "-u", USER, "127.0.0.1", &port],
        "pwd\n",
        &[("DBUS_SESSION_BUS_ADDRESS", &address)],
    );
    let took = started.elapsed();
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no password for"), "{stderr}");
    assert!(took < std::time::Duration::from_secs(6), "the login waited {took:?} for the keyring: {stderr}");
}

/// A D-Bus socket that takes every connection and says nothing: a keyring
/// that never answers. Returns the `DBUS_SESSION_BUS_ADDRESS` for it.
fn silent_keyring(sandbox: &Sandbox) -> String {
    let bus = sandbox.home.join("bus");
    let listener = std::os::unix::net::UnixListener::bind(&bus).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    format!("unix:path={}", bus.display())
}

/// Ctrl-C while the login waits for the keyring gives the prompt back at
/// once, and asks for no password after it.
#[test]
fn ctrl_c_while_the_keyring_is_asked_returns_to_the_prompt() {
    let s = tls_server(false);
    let sandbox = Sandbox::new();
    let port = s.server.address().port().to_string();
    let mut command = sandbox.command(&["-u", USER]);
    command.env("TERM", "xterm").env("DBUS_SESSION_BUS_ADDRESS", silent_keyring(&sandbox)).stdin(Stdio::inherit());
    let mut session = rexpect::session::spawn_command(command, Some(4_000)).expect("starts rftp on a pty");
    session.exp_string("ftp> ").unwrap();
    session.send_line(&format!("open 127.0.0.1 {port}")).unwrap();
    session.exp_string("220 ").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    session.send_control('c').unwrap();
    let said = session.exp_string("ftp> ").unwrap();
    assert!(!said.contains("Password"), "{said}");
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
}
