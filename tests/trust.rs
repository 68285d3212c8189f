//! Trusting a certificate the system does not (issue #15): `--pin`, the
//! known-certificates file, scripts that never prompt, and the question on
//! a terminal (through a pseudo-terminal). The embedded server serves FTPS
//! with a certificate from a test CA that no system trusts.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Output, Stdio};

use common::sandbox::{Sandbox, text};
use common::tls::{TlsServer, tls_server};
use common::{PASSWORD, USER};
use rexpect::session::PtySession;
use rftp::protocol::tls::fingerprint;

const CONTENT: &[u8] = b"over trusted TLS";

/// An FTPS server holding `f.txt`.
fn server() -> TlsServer {
    let s = tls_server(true);
    fs::write(s.server.root().join("f.txt"), CONTENT).unwrap();
    s
}

/// The SHA-256 fingerprint of the server's own certificate, `AB:CD:…`.
fn server_print(s: &TlsServer) -> String {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let first = CertificateDer::pem_file_iter(&s.certificates.chain).unwrap().next().unwrap().unwrap();
    fingerprint(first.as_ref())
}

/// Some other certificate's fingerprint.
fn other_print() -> String {
    fingerprint(b"some other certificate")
}

fn url(s: &TlsServer, path: &str) -> String {
    format!("ftpes://{USER}:{PASSWORD}@127.0.0.1:{}/{path}", s.server.address().port())
}

fn known_file(sandbox: &Sandbox) -> PathBuf {
    sandbox.home.join(".local/share/rftp/known_certificates")
}

fn write_known(sandbox: &Sandbox, text: &str) {
    let path = known_file(sandbox);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// `rftp get URL -o -` with `extra` options, from a script (no terminal).
fn get(sandbox: &Sandbox, s: &TlsServer, extra: &[&str]) -> Output {
    let url = url(s, "f.txt");
    let mut args = vec!["get", url.as_str(), "-o", "-"];
    args.extend_from_slice(extra);
    sandbox.run(&args, "")
}

#[test]
fn a_script_is_refused_with_the_pin_to_give() {
    let s = server();
    let sandbox = Sandbox::new();
    let out = get(&sandbox, &s, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&format!("--pin sha256:{}", server_print(&s))), "{stderr}");
    assert!(!stderr.contains("Trust this certificate"), "{stderr}");
    // The shell reading a script does not ask either.
    let port = s.server.address().port().to_string();
    let out = sandbox.run(&["--tls", "-n", "127.0.0.1", &port], &format!("user {USER} {PASSWORD}\nls\n"));
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("--pin sha256:") && !stderr.contains("Trust this"), "{stderr}");
    assert!(!known_file(&sandbox).exists());
}

#[test]
fn a_pin_accepts_that_certificate_for_the_run_only() {
    let s = server();
    let sandbox = Sandbox::new();
    let pin = format!("sha256:{}", server_print(&s));
    let out = get(&sandbox, &s, &["--pin", &pin]);
    assert_eq!(out.stdout, CONTENT, "{}", text(&out.stderr));
    // Without colons, in lower case, among other pins.
    let bare = server_print(&s).replace(':', "").to_lowercase();
    let other = format!("sha256:{}", other_print());
    let out = get(&sandbox, &s, &["--pin", &other, "--pin", &bare]);
    assert_eq!(out.stdout, CONTENT, "{}", text(&out.stderr));
    assert!(!known_file(&sandbox).exists(), "a pin records nothing");
}

#[test]
fn a_wrong_pin_is_refused_with_both_fingerprints() {
    let s = server();
    let sandbox = Sandbox::new();
    // Even a certificate the CA file makes trusted: a pin is exact.
    let ca = s.certificates.ca.display().to_string();
    let out = get(&sandbox, &s, &["--pin", &format!("sha256:{}", other_print()), "--cacert", &ca]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains(&server_print(&s)) && stderr.contains(&other_print()), "{stderr}");
}

#[test]
fn a_malformed_pin_is_a_usage_error() {
    let sandbox = Sandbox::new();
    for pin in ["sha256:AB:CD", "sha256:ZZ", "md5:00"] {
        let out = sandbox.run(&["get", "--pin", pin, "ftpes://127.0.0.1:1/f"], "");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{pin}: {stderr}");
        assert!(stderr.contains("--pin") && stderr.contains("hex digit"), "{stderr}");
    }
}

#[test]
fn a_recorded_certificate_is_accepted_without_asking() {
    let s = server();
    let sandbox = Sandbox::new();
    let port = s.server.address().port();
    // A comment, a line that is no entry, another server's entry, then ours.
    write_known(
        &sandbox,
        &format!(
            "# mine\nthis line is broken\nexample.com 21 sha256:{}\n127.0.0.1 {port} sha256:{}\n",
            other_print(),
            server_print(&s)
        ),
    );
    let out = get(&sandbox, &s, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.stdout, CONTENT, "{stderr}");
    assert!(stderr.contains("line 2") && stderr.contains("ignored"), "the bad line is named: {stderr}");
    // Many data connections (a listing, an upload) need no question either.
    fs::write(sandbox.local.join("up.txt"), b"up").unwrap();
    let script = format!("user {USER} {PASSWORD}\nls\nput up.txt\nget up.txt back.txt\n");
    let out = sandbox.run(&["--tls", "-n", "127.0.0.1", &port.to_string()], &script);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("back.txt")).unwrap(), b"up");
}

#[test]
fn a_changed_certificate_is_refused_even_with_insecure() {
    let s = server();
    let sandbox = Sandbox::new();
    let port = s.server.address().port();
    write_known(&sandbox, &format!("# mine\n127.0.0.1 {port} sha256:{}\n", other_print()));
    for extra in [&["--insecure"][..], &[]] {
        let out = get(&sandbox, &s, extra);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(stderr.contains(&server_print(&s)) && stderr.contains(&other_print()), "{stderr}");
        let file = known_file(&sandbox).display().to_string();
        assert!(stderr.contains(&format!("{file} line 2")), "names the file and line: {stderr}");
    }
    // Once the line is removed, --insecure does what it says.
    write_known(&sandbox, "# mine\n");
    let out = get(&sandbox, &s, &["--insecure"]);
    assert_eq!(out.stdout, CONTENT, "{}", text(&out.stderr));
}

/// `rftp get URL -o got.txt` on a pseudo-terminal, at the question.
fn ask(sandbox: &Sandbox, s: &TlsServer) -> PtySession {
    let mut command = sandbox.command(&["get", &url(s, "f.txt"), "-o", "got.txt"]);
    command.env("TERM", "xterm").stdin(Stdio::inherit());
    let mut session = rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty");
    session.exp_string("is not trusted").unwrap();
    session.exp_string("subject:     CN=localhost").unwrap();
    session.exp_string("issuer:      CN=rftp test CA").unwrap();
    session.exp_string("not before:").unwrap();
    session.exp_string("not after:").unwrap();
    session.exp_string(&format!("SHA-256:     {}", server_print(s))).unwrap();
    session.exp_string("[o]nce/[a]lways/[N]o: ").unwrap();
    session
}

#[test]
fn the_question_shows_the_certificate_and_once_records_nothing() {
    let s = server();
    let sandbox = Sandbox::new();
    let mut session = ask(&sandbox, &s);
    // Something else than an answer asks again.
    session.send_line("maybe").unwrap();
    session.exp_string("[o]nce/[a]lways/[N]o: ").unwrap();
    session.send_line("o").unwrap();
    session.exp_eof().unwrap();
    assert_eq!(fs::read(sandbox.local.join("got.txt")).unwrap(), CONTENT);
    assert!(!known_file(&sandbox).exists(), "once records nothing");
}

#[test]
fn always_records_the_certificate_for_later_runs() {
    let s = server();
    let sandbox = Sandbox::new();
    let mut session = ask(&sandbox, &s);
    session.send_line("a").unwrap();
    session.exp_string("recorded in").unwrap();
    session.exp_eof().unwrap();
    assert_eq!(fs::read(sandbox.local.join("got.txt")).unwrap(), CONTENT);
    let path = known_file(&sandbox);
    let recorded = fs::read_to_string(&path).unwrap();
    let port = s.server.address().port();
    assert!(recorded.contains(&format!("127.0.0.1 {port} sha256:{}\n", server_print(&s))), "{recorded}");
    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    // A script now connects without a question.
    let out = get(&sandbox, &s, &[]);
    assert_eq!(out.stdout, CONTENT, "{}", text(&out.stderr));
}

#[test]
fn no_refuses_the_certificate() {
    let s = server();
    let sandbox = Sandbox::new();
    let mut session = ask(&sandbox, &s);
    session.send_line("n").unwrap();
    session.exp_string("not trusted (answer: no)").unwrap();
    session.exp_eof().unwrap();
    assert!(!sandbox.local.join("got.txt").exists());
    assert!(!known_file(&sandbox).exists());
}

#[test]
fn a_person_may_take_longer_than_the_timeout_to_answer() {
    let s = server();
    let sandbox = Sandbox::new();
    let mut command = sandbox.command(&["get", "--timeout", "1", &url(&s, "f.txt"), "-o", "got.txt"]);
    command.env("TERM", "xterm").stdin(Stdio::inherit());
    let mut session = rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty");
    session.exp_string("[o]nce/[a]lways/[N]o: ").unwrap();
    // Longer than the handshake may take: reading the question is not waiting for the server.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    session.send_line("o").unwrap();
    let rest = session.exp_eof().unwrap();
    assert_eq!(fs::read(sandbox.local.join("got.txt")).unwrap_or_default(), CONTENT, "{rest}");
}

#[test]
fn the_shell_asks_once_for_all_its_connections() {
    let s = server();
    for i in 0..6 {
        fs::create_dir_all(s.server.root().join("tree")).unwrap();
        fs::write(s.server.root().join(format!("tree/{i}.txt")), CONTENT).unwrap();
    }
    let sandbox = Sandbox::new();
    let mut command = sandbox.command(&[&url(&s, "")]);
    command.env("TERM", "xterm").stdin(Stdio::inherit());
    let mut session = rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty");
    session.exp_string("[o]nce/[a]lways/[N]o: ").unwrap();
    session.send_line("o").unwrap();
    session.exp_string("ftp> ").unwrap();
    // Data connections, and the batch's extra connections (full handshakes of their own).
    session.send_line("get -r tree").unwrap();
    let said = session.exp_string("ftp> ").unwrap();
    session.send_line("close").unwrap();
    session.exp_string("ftp> ").unwrap();
    session.send_line(&format!("open {}", url(&s, ""))).unwrap();
    let said = said + &session.exp_string("ftp> ").unwrap();
    assert!(!said.contains("Trust this certificate"), "asked again: {said}");
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
    assert_eq!(fs::read(sandbox.local.join("tree/5.txt")).ok().as_deref(), Some(CONTENT), "{said}");
    assert!(!known_file(&sandbox).exists());
    assert!(s.server.connections() >= 4, "the batch had connections of its own");
}
