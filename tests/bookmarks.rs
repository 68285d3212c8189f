//! Bookmarks (issue #15): `bookmark add/list/delete` in the shell, `open
//! NAME` and `rftp NAME`, the bookmarks file (private, hand-editable,
//! never a password), and `--save-password` without a system keyring.
//! The real binary runs against the embedded server, in a sandbox whose
//! HOME holds the configuration folder (`~/.config/rftp/bookmarks`).

mod common;
mod scripted;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Output;

use common::sandbox::{Sandbox, text};
use common::{Fixture, PASSWORD};
use scripted::{ScriptedServer, serve_loosely};

/// A session bus that is not there: the keyring is unavailable, as on CI,
/// even on a desktop whose real keyring the tests must not touch.
const NO_DBUS: (&str, &str) = ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/rftp-test-bus");

fn bookmarks_file(sandbox: &Sandbox) -> PathBuf {
    sandbox.home.join(".config/rftp/bookmarks")
}

/// rftp with `args` and `script` on standard input, without a keyring and
/// with `$RFTP_PASSWORD` set to the test server's password (what a
/// bookmark's user logs in with here, as with `-u`).
fn run(sandbox: &Sandbox, args: &[&str], script: &str) -> Output {
    sandbox.run_with_env(args, script, &[NO_DBUS, ("RFTP_PASSWORD", PASSWORD)])
}

/// The URL of the fixture's folder, with or without the password.
fn folder_url(fixture: &Fixture, password: bool) -> String {
    let server = &fixture.server;
    let login = if password { format!("{}:{}", server.user, server.password) } else { server.user.clone() };
    format!("ftp://{login}@{}:{}/{}/", server.host, server.port, fixture.name)
}

#[test]
fn add_list_and_delete_and_the_password_is_never_written() {
    let fixture = Fixture::new("bm-add");
    let sandbox = Sandbox::new();
    let with_password = folder_url(&fixture, true);
    let script = format!("bookmark add work {with_password}\nbookmark add spare ftp://h.example/\nbookmark list\n");
    let out = run(&sandbox, &[], &script);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("bookmark work: the password was not saved"), "{stderr}");
    assert!(stderr.contains("--save-password"), "{stderr}");
    let without = folder_url(&fixture, false);
    assert!(stdout.contains(&format!("work   {without}\n")), "{stdout}");
    assert!(stdout.contains("spare  ftp://h.example/\n"), "{stdout}");
    let file = fs::read_to_string(bookmarks_file(&sandbox)).unwrap();
    assert_eq!(file, format!("work {without}\nspare ftp://h.example/\n"));
    for shown in [&stdout, &stderr, &file] {
        assert!(!shown.contains(&fixture.server.password), "{shown}");
    }
    let mode = |path: &std::path::Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&bookmarks_file(&sandbox)), 0o600);
    assert_eq!(mode(bookmarks_file(&sandbox).parent().unwrap()), 0o700);

    let out = run(&sandbox, &[], "bookmark delete work\nbookmark list\nbookmark delete work\n");
    assert_eq!(text(&out.stdout), "spare  ftp://h.example/\n");
    assert!(text(&out.stderr).contains("no bookmark named \"work\""), "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "deleting what is not there fails");
    assert_eq!(fs::read_to_string(bookmarks_file(&sandbox)).unwrap(), "spare ftp://h.example/\n");
}

#[test]
fn open_name_logs_in_and_lands_in_the_folder() {
    let fixture = Fixture::new("bm-open");
    let sandbox = Sandbox::new();
    let script = format!("bookmark add work {}\nopen work\npwd\n", folder_url(&fixture, false));
    let out = run(&sandbox, &[], &script);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.trim_end().ends_with(&format!("/{}", fixture.name)), "{stdout}");
}

#[test]
fn rftp_name_in_a_script_connects_to_the_bookmark() {
    let fixture = Fixture::new("bm-rftp");
    fixture.put_local("hello.txt", b"hi\n");
    let sandbox = Sandbox::new();
    let line = format!("# my servers\nwork {}\n", folder_url(&fixture, false));
    fs::create_dir_all(bookmarks_file(&sandbox).parent().unwrap()).unwrap();
    fs::write(bookmarks_file(&sandbox), line).unwrap();
    let out = run(&sandbox, &["work"], "pwd\nget hello.txt\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).trim_end().ends_with(&format!("/{}", fixture.name)), "{}", text(&out.stdout));
    assert_eq!(fs::read(sandbox.local_file("hello.txt")).unwrap(), b"hi\n");
}

#[test]
fn bookmark_add_without_a_url_takes_the_session() {
    let fixture = Fixture::new("bm-session");
    let sandbox = Sandbox::new();
    let (server, port) = (&fixture.server, fixture.server.port.to_string());
    let script = format!("user {} {}\ncd {}\nbookmark add here\n", server.user, server.password, fixture.name);
    let out = run(&sandbox, &["-n", &server.host, &port], &script);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let file = fs::read_to_string(bookmarks_file(&sandbox)).unwrap();
    // The folder as PWD says it, absolute: `//` after the host.
    let expected = format!("here ftp://{}@{}:{port}//", server.user, server.host);
    assert!(file.starts_with(&expected) && file.ends_with(&format!("{}/\n", fixture.name)), "{file}");
    assert!(!file.contains(&server.password), "{file}");
    // And it takes us back there.
    let out = run(&sandbox, &["here"], "pwd\n");
    assert!(text(&out.stdout).trim_end().ends_with(&format!("/{}", fixture.name)), "{}", text(&out.stderr));
}

#[test]
fn a_hand_edited_file_with_a_bad_line_still_loads_the_rest() {
    let sandbox = Sandbox::new();
    let path = bookmarks_file(&sandbox);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let hand_made = "# servers\none ftp://h1.example/\nthis line is wrong\ntwo ftp://bob:hunter2@h2.example//srv/\n";
    fs::write(&path, hand_made).unwrap();
    let out = run(&sandbox, &[], "bookmark list\nbookmark add three ftp://h3.example/\n");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout, "one  ftp://h1.example/\ntwo  ftp://bob@h2.example//srv/\n");
    assert!(stderr.contains(&format!("warning: {} line 3: expected NAME URL", path.display())), "{stderr}");
    assert!(stderr.contains("line 4: bookmark two holds a password, which is ignored"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    // Written again: the comment and the bad line are kept for the user to fix.
    let file = fs::read_to_string(&path).unwrap();
    assert!(file.starts_with("# servers\none ftp://h1.example/\nthis line is wrong\n"), "{file}");
    assert!(file.ends_with("three ftp://h3.example/\n") && !file.contains("hunter2"), "{file}");
}

#[test]
fn names_that_could_break_the_file_are_refused() {
    let sandbox = Sandbox::new();
    let out =
        run(&sandbox, &[], "bookmark add \"a b\" ftp://h/\nbookmark add a.b ftp://h/\nbookmark add ok not-a-url\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 1: bookmark: \"a b\" cannot be a bookmark name"), "{stderr}");
    assert!(stderr.contains("line 2: bookmark: \"a.b\" cannot be a bookmark name"), "{stderr}");
    assert!(stderr.contains("line 3: bookmark add: \"not-a-url\" is not a URL"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
    assert!(!bookmarks_file(&sandbox).exists());
}

/// On CI there is no D-Bus session, so no keyring: `--save-password` says
/// so in one line, and the password is kept nowhere.
#[cfg(not(target_os = "macos"))]
#[test]
fn save_password_without_a_keyring_says_so_and_keeps_nothing() {
    let sandbox = Sandbox::new();
    let out = run(&sandbox, &[], "bookmark add --save-password work ftp://bob:hunter2@h.example/\n");
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("rftp: line 1: no system keyring available ("), "{stderr}");
    assert!(lines[0].ends_with("); the password was not saved"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
    // The bookmark itself is kept, without the password.
    assert_eq!(fs::read_to_string(bookmarks_file(&sandbox)).unwrap(), "work ftp://bob@h.example/\n");
}

#[test]
fn a_host_name_is_still_a_host() {
    // `rftp NAME` for a word that names no bookmark keeps today's
    // behaviour: a connection error (exit 3).
    let sandbox = Sandbox::new();
    let out = run(&sandbox, &["no-such-host.invalid"], "");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("bookmark"), "a word with a dot is a host: {}", text(&out.stderr));
    let out = run(&sandbox, &["nosuchbookmark"], "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines[0].starts_with("rftp: cannot connect to nosuchbookmark"), "{stderr}");
    assert_eq!(lines[1], "rftp: no bookmark named nosuchbookmark either (`bookmark list` shows them)", "{stderr}");
}

/// A bookmark of the root folder (`ftp://host//`) goes there, not to the
/// login folder.
#[test]
fn a_bookmark_of_the_root_folder_changes_to_it() {
    let server = ScriptedServer::start(|s| {
        serve_loosely(s, "220 scripted", |_, line| line.starts_with("CWD").then(|| "250 ok".to_string()))
    });
    let sandbox = Sandbox::new();
    let out = run(
        &sandbox,
        &[],
        &format!(
            "bookmark add top ftp://u@127.0.0.1:{}//
",
            server.port
        ),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&sandbox, &["top"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let received = server.finish();
    assert!(received.iter().any(|line| line == "CWD /"), "{received:?}");
}

/// The session's TLS mode goes into the bookmark (`ftpes://`), and `rftp
/// NAME` uses it again: the embedded FTPS server refuses plain-text logins.
#[test]
fn a_bookmark_keeps_the_sessions_tls() {
    let s = common::tls::tls_server(true);
    let sandbox = Sandbox::new();
    let ca = s.certificates.ca.display().to_string();
    let port = s.server.address().port();
    let script = format!("open --tls 127.0.0.1 {port}\nuser {} {PASSWORD}\nbookmark add sec\n", common::USER);
    let out = run(&sandbox, &["-n", "--cacert", &ca], &script);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let file = fs::read_to_string(bookmarks_file(&sandbox)).unwrap();
    assert_eq!(file, format!("sec ftpes://{}@127.0.0.1:{port}//\n", common::USER));
    let out = run(&sandbox, &["--cacert", &ca, "sec"], "status\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Control connection: encrypted"), "{}", text(&out.stdout));
}

#[test]
fn an_anonymous_session_is_bookmarked_without_a_word_about_passwords() {
    // The demo's shell is anonymous: its password is an e-mail address.
    let sandbox = Sandbox::new();
    let out = run(&sandbox, &["demo"], "cd docs\nbookmark add here\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("password"), "{}", text(&out.stderr));
    let file = fs::read_to_string(bookmarks_file(&sandbox)).unwrap();
    assert!(file.starts_with("here ftp://anonymous@127.0.0.1:") && file.ends_with("//docs/\n"), "{file}");
}
