//! A hostile review of the mirror (issue #13): what moves, the times kept,
//! an upload continued by the next run. Each test is a case where the
//! mirror once moved the wrong bytes or left a changed file behind.

mod common;
mod scripted;

use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use common::proxy::{Faults, Kind, Proxy};
use common::sandbox::{Sandbox, text};
use common::{TestServer, pattern, url};
use scripted::{ScriptedServer, ScriptedServers, Session, digest_hex, send_file, serve_loosely};

/// 2020-09-13: a source time well before anything written by the test.
const T0: u64 = 1_600_000_000;

fn write(path: &Path, contents: &[u8], seconds: u64) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(UNIX_EPOCH + Duration::from_secs(seconds)).unwrap();
}

/// A server copy that is shorter than the local file and newer than it,
/// but another file altogether (a co-user's upload, or a local file
/// restored with an older time), is replaced, never continued: continuing
/// it would keep its bytes under the local file's size and time for good.
#[test]
fn a_shorter_newer_but_different_server_file_is_replaced_not_continued() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let source = sandbox.local_file("src");
    let local = pattern(5_000);
    write(&source.join("page.html"), &local, T0);
    // Written now, so newer than the local file, and shorter.
    fs::create_dir_all(server.root.join("up")).unwrap();
    fs::write(server.root.join("up/page.html"), b"someone else's page\n").unwrap();

    let out = sandbox.run(&["mirror", "src", &url(&server, "up")], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(fs::read(server.root.join("up/page.html")).unwrap() == local, "the server's file is not the local one");
}

/// Files a [`serve_upload_target`] server holds, by name.
type Store = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

fn held(store: &Store, name: &str) -> Option<Vec<u8>> {
    store.lock().unwrap().iter().find(|(n, _)| n == name).map(|(_, d)| d.clone())
}

fn keep(store: &Store, name: &str, data: Vec<u8>) {
    let mut files = store.lock().unwrap();
    files.retain(|(n, _)| n != name);
    files.push((name.to_string(), data));
}

/// A server with the folder `/up` holding `store`'s files, listed by LIST
/// with a 2025 date (newer than [`T0`]), with SIZE, `HASH SHA-256`, STOR and
/// APPE, and no way to set times.
fn serve_upload_target(s: &mut Session, store: Store) {
    serve_upload_target_with(s, store, &[], None, || {});
}

/// [`serve_upload_target`], announcing `more` features too, answering MFMT
/// with `mfmt_refusal` when given, and running `stored` once a STOR's data
/// is in, before the server answers it.
fn serve_upload_target_with(
    s: &mut Session,
    store: Store,
    more: &[&str],
    mfmt_refusal: Option<&str>,
    mut stored: impl FnMut(),
) {
    serve_loosely(s, "220 scripted server", |s, line| {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let name = arg.rsplit('/').next().unwrap_or_default().to_string();
        match verb.to_ascii_uppercase().as_str() {
            "FEAT" => {
                s.send("211-Features:");
                s.send(" SIZE");
                s.send(" HASH SHA-256*");
                more.iter().for_each(|feature| s.send(&format!(" {feature}")));
                Some("211 End".into())
            }
            "CWD" => Some("250 ok".into()),
            "MFMT" => Some(mfmt_refusal.map_or_else(|| format!("213 Modify={arg}"), str::to_string)),
            "SIZE" if arg.trim_end_matches('/').ends_with("up") => Some("550 not a plain file".into()),
            "SIZE" => Some(held(&store, &name).map_or("550 No such file.".into(), |d| format!("213 {}", d.len()))),
            "HASH" => Some(held(&store, &name).map_or("550 No such file.".into(), |d| {
                format!("213 SHA-256 0-{} {} {arg}", d.len(), digest_hex("SHA-256", &d))
            })),
            "LIST" => {
                s.send("150 Here comes the directory listing.");
                let mut data = s.accept_data();
                for (name, d) in store.lock().unwrap().iter() {
                    let line = format!("-rw-r--r--    1 1000     1000     {:>8} Jan 01  2025 {name}\r\n", d.len());
                    std::io::Write::write_all(&mut data, line.as_bytes()).unwrap();
                }
                drop(data);
                Some("226 Directory send OK.".into())
            }
            "STOR" | "APPE" => {
                s.send("150 Ok to send data.");
                let sent = Session::read_all(&mut s.accept_data());
                let mut kept =
                    if verb.eq_ignore_ascii_case("APPE") { held(&store, &name).unwrap_or_default() } else { vec![] };
                kept.extend(sent);
                keep(&store, &name, kept);
                stored();
                Some("226 Transfer complete.".into())
            }
            _ => None,
        }
    });
}

/// Uploads `local` as `page.html` into a [`serve_upload_target`] server
/// that holds `remote` there; returns what the server then holds and the
/// commands it received.
fn mirror_up_onto(local: &[u8], remote: &[u8]) -> (Vec<u8>, Vec<String>) {
    mirror_up_onto_with(&[], local, remote)
}

/// [`mirror_up_onto`] with the mirror options `options`.
fn mirror_up_onto_with(options: &[&str], local: &[u8], remote: &[u8]) -> (Vec<u8>, Vec<String>) {
    let store: Store = Arc::new(Mutex::new(vec![("page.html".to_string(), remote.to_vec())]));
    let served = Arc::clone(&store);
    let server = ScriptedServer::start(move |s| serve_upload_target(s, served));
    let sandbox = Sandbox::new();
    write(&sandbox.local_file("src/page.html"), local, T0);
    let target = format!("ftp://u:p@127.0.0.1:{}/up", server.port);
    let args = [&["mirror", "-j", "1"], options, &["src", target.as_str()]].concat();
    let out = sandbox.run(&args, "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}\n{received:?}", text(&out.stderr));
    (held(&store, "page.html").unwrap(), received)
}

/// With a checksum command, a server copy that is the local file's start
/// (an upload an earlier run cut) is continued: only the rest is sent.
#[test]
fn a_cut_upload_whose_server_copy_is_the_local_start_is_continued() {
    let local = pattern(5_000);
    let (now, received) = mirror_up_onto(&local, &local[..1_200]);
    assert!(now == local, "the server holds other bytes: {received:?}");
    assert!(received.iter().any(|c| c == "APPE /up/page.html" || c == "APPE up/page.html"), "{received:?}");
    assert!(!received.iter().any(|c| c.starts_with("STOR")), "{received:?}");
}

/// With a checksum command, a shorter newer server copy whose bytes are
/// not the local file's start is replaced whole.
#[test]
fn a_shorter_newer_server_file_with_other_bytes_is_replaced_whole() {
    let local = pattern(5_000);
    let mut other = local[..1_200].to_vec();
    other[7] ^= 0xff;
    let (now, received) = mirror_up_onto(&local, &other);
    assert!(now == local, "the server holds other bytes: {received:?}");
    assert!(!received.iter().any(|c| c.starts_with("APPE")), "{received:?}");
}

/// The time an upload gives the server's copy is the one the local file
/// had when it was listed, not whatever it has once the upload is over: a
/// file rewritten while it was being sent (same size, new bytes) would
/// otherwise get its new time on the server beside its old bytes, and
/// every later run would find the two the same.
#[test]
fn an_upload_keeps_the_time_the_local_file_was_listed_with() {
    let sandbox = Sandbox::new();
    let file = sandbox.local_file("src/log.txt");
    write(&file, b"first version\n", T0);
    let rewritten = file.clone();
    let store: Store = Arc::new(Mutex::new(Vec::new()));
    let server = ScriptedServer::start(move |s| {
        serve_upload_target_with(s, store, &["MFMT"], None, || write(&rewritten, b"other version\n", T0 + 3_600));
    });
    let target = format!("ftp://u:p@127.0.0.1:{}/up", server.port);
    let out = sandbox.run(&["mirror", "-j", "1", "src", &target], "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}\n{received:?}", text(&out.stderr));
    let mfmt: Vec<&String> = received.iter().filter(|c| c.starts_with("MFMT ")).collect();
    // T0 is 2020-09-13 12:26:40 UTC.
    assert!(
        mfmt.len() == 1 && mfmt[0].starts_with("MFMT 20200913122640 "),
        "the listed time, not the rewritten file's: {received:?}"
    );
}

/// A server that can set times but refuses it for one file says why, in
/// its own words, and is not called one that cannot set times.
#[test]
fn a_time_refused_for_one_file_is_said_with_the_servers_reply() {
    let sandbox = Sandbox::new();
    write(&sandbox.local_file("src/log.txt"), b"first version\n", T0);
    let store: Store = Arc::new(Mutex::new(Vec::new()));
    let server = ScriptedServer::start(move |s| {
        serve_upload_target_with(s, store, &["MFMT"], Some("550 Permission denied."), || {});
    });
    let target = format!("ftp://u:p@127.0.0.1:{}/up", server.port);
    let out = sandbox.run(&["mirror", "-j", "1", "src", &target], "");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("log.txt: the server did not set its time: ") && stderr.contains("550 Permission denied."),
        "{stderr}"
    );
    assert!(!stderr.contains("cannot set modification times"), "{stderr}");
}

/// A connection lost while a visit makes the server's folders (MKD) is
/// healed within the run like one lost while listing: the folder is made
/// on the next connection and filled, not failed for good.
#[test]
fn a_connection_lost_at_a_folders_mkd_is_healed_within_the_run() {
    let server = TestServer::start();
    fs::create_dir_all(server.root.join("up")).unwrap();
    let proxy = Proxy::start(&server, Faults { cut_control_at: Some("MKD".into()), ..Faults::default() });
    let sandbox = Sandbox::new();
    let source = sandbox.local_file("src");
    write(&source.join("a.txt"), b"alpha\n", T0);
    write(&source.join("sub/b.txt"), b"bravo\n", T0 + 1);
    write(&source.join("sub/deeper/c.txt"), b"charlie\n", T0 + 2);
    let out = sandbox.run(&["--retry-wait", "0", "mirror", "src", &proxy.url("up")], "");
    let stderr = text(&out.stderr);
    assert!(proxy.cuts().iter().any(|c| c.kind == Kind::Control), "an MKD was cut: {:?}", proxy.cuts());
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(fs::read(server.root.join("up/sub/deeper/c.txt")).unwrap(), b"charlie\n", "{stderr}");
    assert_eq!(fs::read(server.root.join("up/sub/b.txt")).unwrap(), b"bravo\n", "{stderr}");
}

/// Serves the folder `/tree` holding `a.txt` and `b.txt` (MLSD, SIZE,
/// RETR) on connection 2; connection 1 (the session's own) hangs up at its
/// first listing or download, and every later one is refused as one too
/// many, so that the session's connection is lost for good while
/// connection 2 does all the work.
fn serve_losing_the_first_connection(number: usize, s: &mut Session) {
    serve_losing(number, s, &["MLSD", "RETR"], 2);
}

/// [`serve_losing_the_first_connection`]'s server: connection 1 hangs up
/// at its first command in `hang_at`, and connections past `last` are
/// refused.
fn serve_losing(number: usize, s: &mut Session, hang_at: &[&str], last: usize) {
    if number > last {
        s.send("421 Too many connections from this IP.");
        return;
    }
    let files = [("a.txt", b"alpha\n".as_slice()), ("b.txt", b"bravo\n".as_slice())];
    serve_loosely(s, "220 scripted server", |s, line| {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let verb = verb.to_ascii_uppercase();
        if number == 1 && hang_at.contains(&verb.as_str()) {
            s.hang_up();
            return Some(String::new());
        }
        let name = arg.rsplit('/').next().unwrap_or_default();
        let held = files.iter().find(|(n, _)| *n == name).map(|(_, d)| *d);
        match verb.as_str() {
            "FEAT" => {
                s.send("211-Features:");
                s.send(" MLSD");
                s.send(" SIZE");
                Some("211 End".into())
            }
            "CWD" => Some("250 ok".into()),
            "SIZE" => Some(held.map_or("550 No such file.".into(), |d| format!("213 {}", d.len()))),
            "MLSD" => {
                s.send("150 Here comes the listing.");
                let mut data = s.accept_data();
                for (name, d) in files {
                    let fact = format!("type=file;size={};modify=20200913122640; {name}\r\n", d.len());
                    std::io::Write::write_all(&mut data, fact.as_bytes()).unwrap();
                }
                drop(data);
                Some("226 Done.".into())
            }
            "RETR" => match held {
                Some(d) => send_file(s, "150 Opening BINARY mode data connection", d),
                None => Some("550 No such file.".into()),
            },
            _ => None,
        }
    });
}

/// `--delete` is not dropped without a word when the session's own
/// connection was lost during the run and the others did the transfers: a
/// download's removals are local and need no connection at all.
#[test]
fn a_download_deletes_what_the_source_lacks_even_when_the_sessions_connection_was_lost() {
    let server = ScriptedServers::start(serve_losing_the_first_connection);
    let sandbox = Sandbox::new();
    let out_dir = sandbox.local_file("out");
    write(&out_dir.join("extra.txt"), b"not in the source\n", T0);
    let source = format!("ftp://u:p@127.0.0.1:{}/tree", server.port);
    let out =
        sandbox.run(&["--retry-wait", "0", "--retries", "2", "mirror", "-j", "2", "--delete", &source, "out"], "");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(fs::read(out_dir.join("a.txt")).unwrap(), b"alpha\n", "{stderr}\n{received:?}");
    assert_eq!(fs::read(out_dir.join("b.txt")).unwrap(), b"bravo\n", "{stderr}");
    assert!(!out_dir.join("extra.txt").exists(), "extra.txt was not deleted: {stderr}\n{received:?}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// A `NAME.part` in the target that rftp did not leave (no `NAME.part.meta`
/// beside it: a browser's, another tool's) is not continued by a mirror:
/// its bytes would start the file, whose size and time would then hide
/// the mix from every later run. Nor is it written over (it may be worth
/// a `reget`): the file fails, saying so.
#[test]
fn a_part_file_rftp_did_not_leave_is_not_continued_by_a_mirror() {
    let server = TestServer::start();
    let remote = pattern(10_000);
    write(&server.root.join("tree/a.bin"), &remote, T0);
    let sandbox = Sandbox::new();
    let out_dir = sandbox.local_file("out");
    write(&out_dir.join("a.bin.part"), &vec![b'x'; 4_000], T0);
    let out = sandbox.run(&["mirror", &url(&server, "tree"), "out"], "");
    let stderr = text(&out.stderr);
    assert!(!out_dir.join("a.bin").exists(), "a.bin was made from the other .part: {stderr}");
    assert_eq!(fs::read(out_dir.join("a.bin.part")).unwrap(), vec![b'x'; 4_000]);
    assert!(stderr.contains("a.bin.part exists"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
}

/// Files the run never got to (its connections lost and refused again)
/// are failures: the mirror ends with exit 1 and names them, not with
/// exit 0 and a summary that counts them nowhere.
#[test]
fn files_left_undone_when_every_connection_is_lost_are_failures() {
    let server = ScriptedServers::start(|number, s| serve_losing(number, s, &["RETR"], 1));
    let sandbox = Sandbox::new();
    let source = format!("ftp://u:p@127.0.0.1:{}/tree", server.port);
    let out = sandbox.run(&["--retry-wait", "0", "--retries", "1", "mirror", "-j", "1", &source, "out"], "");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert!(!sandbox.local_file("out/a.txt").exists(), "{stderr}\n{received:?}");
    assert_eq!(out.status.code(), Some(1), "{stderr}\n{received:?}");
    assert!(stderr.contains("rftp: a.txt: not transferred"), "{stderr}");
    assert!(stderr.contains("rftp: b.txt: not transferred"), "{stderr}");
    assert!(text(&out.stdout).contains(", 2 failed;"), "both count as failed: {}", text(&out.stdout));
}

/// `--only-newer` and `--only-missing` would leave an upload an earlier
/// run cut as it is for good (the server's copy is newer, and there): it
/// is finished once its checksum shows it is the local file's start.
#[test]
fn an_upload_cut_by_an_earlier_run_is_finished_under_only_newer_and_only_missing() {
    let local = pattern(5_000);
    for option in ["--only-newer", "--only-missing"] {
        let (now, received) = mirror_up_onto_with(&[option], &local, &local[..1_200]);
        assert!(now == local, "{option}: the server's copy stays cut: {received:?}");
        assert!(received.iter().any(|c| c.starts_with("APPE ")), "{option}: {received:?}");
    }
    // Other bytes, newer: the rules leave them.
    let mut other = local[..1_200].to_vec();
    other[7] ^= 0xff;
    let (now, received) = mirror_up_onto_with(&["--only-newer"], &local, &other);
    assert!(now == other, "a newer file of someone else's was replaced: {received:?}");
}

/// A server without MLSD whose LIST shows `a.txt` dated 2025-01-01 (to the
/// day) and whose MDTM, asked after the download, says 2026-01-01: the
/// file changed after it was listed, perhaps while it was sent.
fn serve_changing_after_the_listing(s: &mut Session) {
    serve_loosely(s, "220 scripted server", |s, line| {
        let (verb, _) = line.split_once(' ').unwrap_or((line, ""));
        match verb.to_ascii_uppercase().as_str() {
            "FEAT" => Some("211 No features".into()),
            "CWD" => Some("250 ok".into()),
            "SIZE" => Some("213 6".into()),
            "LIST" => {
                s.send("150 Here comes the directory listing.");
                let mut data = s.accept_data();
                let line = "-rw-r--r--    1 1000     1000            6 Jan 01  2025 a.txt\r\n";
                std::io::Write::write_all(&mut data, line.as_bytes()).unwrap();
                drop(data);
                Some("226 Directory send OK.".into())
            }
            "MDTM" => Some("213 20260101000000".into()),
            "RETR" => send_file(s, "150 Opening BINARY mode data connection", b"alpha\n"),
            _ => None,
        }
    });
}

/// A download from a server without MLSD keeps the listing's time when
/// MDTM, asked once the file is in, says the file is newer than the
/// listing showed: the bytes may be the older version's (or a mix), and
/// only the older time makes the next run fetch it again.
#[test]
fn a_download_whose_file_changed_after_the_listing_keeps_the_listed_time() {
    let server = ScriptedServer::start(serve_changing_after_the_listing);
    let sandbox = Sandbox::new();
    let source = format!("ftp://u:p@127.0.0.1:{}/tree", server.port);
    let out = sandbox.run(&["mirror", "-j", "1", &source, "out"], "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}\n{received:?}", text(&out.stderr));
    let modified = fs::metadata(sandbox.local_file("out/a.txt")).unwrap().modified().unwrap();
    let seconds = modified.duration_since(UNIX_EPOCH).unwrap().as_secs();
    // 2025-01-01 00:00:00 UTC, the listing's day; not 2026's MDTM.
    assert_eq!(seconds, 1_735_689_600, "{received:?}");
}

/// A URL of another scheme is a usage error at once (exit 2), not the host
/// `sftp` looked up and retried as a failed connection (exit 3).
#[test]
fn a_url_of_another_scheme_is_a_usage_error() {
    let sandbox = Sandbox::new();
    for source in ["sftp://127.0.0.1:1/x", "http://127.0.0.1:1/x"] {
        let out = sandbox.run(&["mirror", source, "out"], "");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{source}: {stderr}");
        assert!(stderr.contains("rftp speaks ftp://, ftps:// and ftpes://"), "{stderr}");
    }
}
