//! Setting remote modification times (`Client::set_modified`): MFMT when
//! FEAT lists it, else SITE UTIME in either form, else vsftpd's setting
//! MDTM; a way the server refuses is not sent again on that connection.

mod common;
mod scripted;

use std::time::{Duration, UNIX_EPOCH};

use common::Fixture;
use rftp::protocol::times::same_time;
use rftp::protocol::{Client, Error, FileTime, Precision};
use scripted::{ScriptedServer, Session};

const TIME: &str = "20250102030405";

fn time() -> FileTime {
    FileTime::parse(TIME).unwrap()
}

/// Greets, takes any login, and answers FEAT with `features`.
fn log_in(s: &mut Session, features: &[&str]) {
    s.send("220 scripted server");
    s.expect("USER ");
    s.send("331 password please");
    s.expect("PASS ");
    s.send("230 logged in");
    s.answer_feat(features);
}

fn client(port: u16) -> Client {
    let mut client = Client::connect("127.0.0.1", port).expect("connects");
    client.login("u", "p", None).expect("logs in");
    client
}

/// The commands after the login (USER, PASS, FEAT).
fn after_login(lines: Vec<String>) -> Vec<String> {
    lines.into_iter().skip(3).collect()
}

#[test]
fn mfmt_is_used_when_feat_lists_it() {
    let server = ScriptedServer::start(|s| {
        log_in(s, &["MFMT", "SIZE"]);
        s.expect(&format!("MFMT {TIME} dir/a file.txt"));
        s.send(&format!("213 Modify={TIME}; dir/a file.txt"));
        s.drain();
    });
    let mut client = client(server.port);
    assert!(client.set_modified("dir/a file.txt", time()).unwrap());
    drop(client);
    assert_eq!(after_login(server.finish()), [format!("MFMT {TIME} dir/a file.txt")]);
}

#[test]
fn without_mfmt_site_utime_is_used_and_kept() {
    let server = ScriptedServer::start(|s| {
        log_in(s, &["SIZE", "MDTM"]);
        for name in ["a b", "c"] {
            s.expect(&format!("SITE UTIME {name} {TIME} {TIME} {TIME} UTC"));
            s.send("200 UTIME command successful");
        }
        s.drain();
    });
    let mut client = client(server.port);
    assert!(client.set_modified("a b", time()).unwrap());
    assert!(client.set_modified("c", time()).unwrap());
    drop(client);
    assert_eq!(after_login(server.finish()).len(), 2, "no MFMT, as FEAT did not list it");
}

#[test]
fn the_two_argument_site_utime_follows_a_refused_five_argument_one() {
    let server = ScriptedServer::start(|s| {
        log_in(s, &[]);
        s.expect("SITE UTIME f ");
        s.send("501 Invalid time");
        s.expect(&format!("SITE UTIME {TIME} f"));
        s.send("200 SITE UTIME command successful");
        s.expect(&format!("SITE UTIME {TIME} g"));
        s.send("200 SITE UTIME command successful");
        s.drain();
    });
    let mut client = client(server.port);
    assert!(client.set_modified("f", time()).unwrap());
    assert!(client.set_modified("g", time()).unwrap(), "the refused form is not sent again");
    drop(client);
    server.finish();
}

#[test]
fn vsftpd_style_mdtm_sets_the_time_when_nothing_else_does() {
    let server = ScriptedServer::start(|s| {
        log_in(s, &["MDTM", "SIZE"]);
        s.expect("SITE UTIME ");
        s.send("500 Unknown SITE command.");
        s.expect("SITE UTIME ");
        s.send("500 Unknown SITE command.");
        s.expect(&format!("MDTM {TIME} f"));
        s.send("213 File modification time set.");
        s.drain();
    });
    let mut client = client(server.port);
    assert!(client.set_modified("f", time()).unwrap());
    drop(client);
    server.finish();
}

#[test]
fn a_server_that_can_do_none_says_so_once_and_is_not_asked_again() {
    let server = ScriptedServer::start(|s| {
        log_in(s, &["MFMT"]);
        s.expect("MFMT ");
        s.send("502 Command not implemented.");
        s.expect("SITE UTIME ");
        s.send("500 'SITE UTIME' not understood");
        s.expect("SITE UTIME ");
        s.send("504 Not supported");
        // A MDTM read as a query of the file "20250102030405 f".
        s.expect(&format!("MDTM {TIME} f"));
        s.send("213 20240101000000");
        s.expect("NOOP");
        s.send("200 ok");
        s.drain();
    });
    let mut client = client(server.port);
    assert!(!client.set_modified("f", time()).unwrap());
    assert!(!client.set_modified("g", time()).unwrap());
    client.noop().unwrap();
    drop(client);
    assert_eq!(after_login(server.finish()).len(), 5, "the second call sent nothing");
}

#[test]
fn a_550_about_the_file_is_an_error_and_the_way_is_kept() {
    let server = ScriptedServer::start(|s| {
        log_in(s, &["MFMT"]);
        s.expect(&format!("MFMT {TIME} missing"));
        s.send("550 missing: No such file or directory");
        s.expect(&format!("MFMT {TIME} there"));
        s.send("213 Modify=20250102030405; there");
        s.drain();
    });
    let mut client = client(server.port);
    let error = client.set_modified("missing", time()).unwrap_err();
    assert!(matches!(error, Error::Permanent { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("missing") && message.contains("No such file"), "{message}");
    assert!(client.set_modified("there", time()).unwrap());
    drop(client);
    server.finish();
}

#[test]
fn a_550_from_a_server_without_the_command_is_told_apart_by_asking_for_the_file() {
    let server = ScriptedServer::start(|s| {
        log_in(s, &[]);
        // The SITE command is unknown, but said with a 550: the file is there.
        s.expect("SITE UTIME f ");
        s.send("550 SITE UTIME: unsupported");
        s.expect("MDTM f");
        s.send("213 20240101000000");
        s.expect(&format!("SITE UTIME {TIME} f"));
        s.send("200 done");
        // The setting MDTM is refused for a file that is not there.
        s.expect("SITE UTIME ");
        s.send("501 bad");
        s.expect(&format!("MDTM {TIME} gone"));
        s.send("550 Could not set file modification time.");
        s.expect("MDTM gone");
        s.send("550 Could not get file modification time.");
        s.drain();
    });
    let mut client = client(server.port);
    assert!(client.set_modified("f", time()).unwrap());
    let error = client.set_modified("gone", time()).unwrap_err();
    assert!(error.to_string().contains(&format!("MDTM {TIME} gone")), "{error}");
    assert!(error.to_string().contains("Could not set file modification time"), "{error}");
    drop(client);
    server.finish();
}

#[test]
fn refusals_for_now_or_for_the_file_leave_the_way_in_use() {
    let server = ScriptedServer::start(|s| {
        log_in(s, &["MFMT"]);
        s.expect("MFMT ");
        s.send("450 busy, try later");
        s.expect("MFMT ");
        s.send("553 File name not allowed");
        s.expect("MFMT ");
        s.send("502 not here after all");
        s.expect("SITE UTIME ");
        s.send("550 secret: Permission denied");
        s.expect("SITE UTIME ");
        s.send("550 unknown");
        // No MDTM to ask whether the file is there: the SITE form is taken
        // to be missing rather than sent again and again.
        s.expect("MDTM secret");
        s.send("502 MDTM not implemented");
        s.expect(&format!("SITE UTIME {TIME} secret"));
        s.send("200 ok");
        s.drain();
    });
    let mut client = client(server.port);
    let temporary = client.set_modified("later", time()).unwrap_err();
    assert!(matches!(temporary, Error::Temporary { .. }) && temporary.to_string().contains("busy"), "{temporary}");
    let refused = client.set_modified("bad name", time()).unwrap_err();
    assert!(refused.to_string().contains("bad name") && refused.to_string().contains("not allowed"), "{refused}");
    let denied = client.set_modified("secret", time()).unwrap_err();
    assert!(denied.to_string().contains("Permission denied"), "{denied}");
    assert!(client.set_modified("secret", time()).unwrap());
    drop(client);
    server.finish();
}

#[test]
fn against_the_test_server() {
    let fixture = Fixture::new("set_modified");
    let path = fixture.put_local("file.txt", b"hello");
    let before = std::fs::metadata(&path).unwrap().modified().unwrap();
    let mut client = fixture.another_client();
    let wanted = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    let set = client.set_modified("file.txt", FileTime::from_system_time(wanted)).unwrap();
    let after = std::fs::metadata(&path).unwrap().modified().unwrap();
    match fixture.server.name.as_str() {
        // libunftp offers no way to set a time.
        "embedded" => assert!(!set),
        // pyftpdlib has MFMT; vsftpd sets times with MDTM.
        "pyftpdlib" | "vsftpd" => assert!(set),
        _ => {}
    }
    if set {
        assert_eq!(after, wanted);
        assert_eq!(client.mdtm("file.txt").unwrap(), FileTime::from_system_time(wanted));
    } else {
        assert_eq!(after, before, "nothing changed");
        assert!(!client.set_modified("file.txt", FileTime::from_system_time(wanted)).unwrap());
    }
}

#[test]
fn list_times_agree_with_the_files_times_within_their_precision() {
    let fixture = Fixture::new("list_times");
    let now = std::time::SystemTime::now();
    // A recent file (LIST shows it to the minute, without a year) and an
    // old one (to the day, with its year).
    let recent = now - Duration::from_secs(20 * 86_400 + 1234);
    let old = now - Duration::from_secs(800 * 86_400 + 4321);
    for (name, when) in [("recent file", recent), ("old file", old)] {
        let path = fixture.put_local(name, b"x");
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(when).unwrap();
    }
    let mut client = fixture.another_client();
    let lines = client.list(None).unwrap();
    for (name, when, precision) in [("recent file", recent, Precision::Minute), ("old file", old, Precision::Day)] {
        let entry = lines
            .iter()
            .filter_map(|line| rftp::protocol::listing::parse_list_line(line))
            .find(|entry| entry.name == name)
            .unwrap_or_else(|| panic!("{name} in {lines:?}"));
        let listed = entry.listed_time.unwrap_or_else(|| panic!("a time for {name} in {lines:?}"));
        assert_eq!(listed.precision, precision, "{lines:?}");
        assert!(same_time(when, &listed), "{name}: {listed:?} is not {when:?}: {lines:?}");
    }
}
