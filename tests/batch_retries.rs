//! Batches that heal (issue #12): a file that fails for a transient reason
//! is tried again while the others go on, a download cut halfway resumes
//! from its `.part`, a lost connection is opened again, and a server that
//! allows fewer connections than `-j` asks for gets what it allows.
//!
//! The server is scripted (`tests/scripted`): one folder `dir` of small
//! files, with a fault chosen per file, served on every connection a batch
//! opens.

mod common;
mod scripted;

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, text, wait_within};
use scripted::{ScriptedServers, Session, serve_loosely};

/// What the server does with a file's RETR.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Sends it.
    None,
    /// A transient refusal on the first RETR (`450`: a `425` would be
    /// taken for a server that cannot take EPSV and RETR in one write, and
    /// tried again at once without them) or STOR (`425`), then sends it.
    RefuseOnce,
    /// `450` every time.
    RefuseAlways,
    /// Closes the control connection without a reply, every time.
    HangUpAlways,
    /// Each RETR sends a quarter of the file more (from REST on), then cuts
    /// the data connection and answers `426`, until the file is whole.
    CutEveryQuarter,
    /// `550` every time.
    Refuse550,
    /// The first time, half the file, then the data and the control
    /// connection are closed; later, REST is honoured.
    DropHalfway,
}

/// The folder `dir` the server shows, what it does per file, and what it saw.
struct Tree {
    files: Vec<(String, Vec<u8>, Fault)>,
    /// RETRs per file name.
    tries: Mutex<HashMap<String, usize>>,
    /// What uploads stored, by name.
    stored: Mutex<HashMap<String, Vec<u8>>>,
    /// Connections open now, and the most the server takes at once.
    live: AtomicUsize,
    limit: usize,
    /// Connections the server has seen, refused ones included.
    accepted: AtomicUsize,
    /// Every RETR waits (10 s at most) until the server has seen this many
    /// connections: on a busy machine the first connection could otherwise
    /// fetch every file, and quit, before the others even knock.
    retr_waits_for: AtomicUsize,
}

impl Tree {
    /// Ten files `f00`…`f09` of different sizes, with `faults` on some.
    fn new(faults: &[(&str, Fault)], limit: usize) -> Arc<Tree> {
        let files = (0..10)
            .map(|i| {
                let name = format!("f{i:02}");
                let fault = faults.iter().find(|(n, _)| *n == name).map_or(Fault::None, |(_, f)| *f);
                // Files cut midway are large enough to be resumed (smaller
                // ones are fetched again whole): 1 MiB and more.
                let base = if matches!(fault, Fault::DropHalfway | Fault::CutEveryQuarter) { 1 << 20 } else { 0 };
                let contents: Vec<u8> = (0..base + 1000 + 997 * i).map(|n| (n * 7 + i) as u8).collect();
                (name, contents, fault)
            })
            .collect();
        let (tries, stored) = (Mutex::new(HashMap::new()), Mutex::new(HashMap::new()));
        let (accepted, retr_waits_for) = (AtomicUsize::new(0), AtomicUsize::new(0));
        Arc::new(Tree { files, tries, stored, live: AtomicUsize::new(0), limit, accepted, retr_waits_for })
    }

    /// Answers `STOR name` (or `APPE name`, `append`): `425` the first time
    /// for a file with [`Fault::RefuseOnce`]; for one with
    /// [`Fault::DropHalfway`], the first time keeps half of what arrives and
    /// answers `426`; else stores what arrives.
    fn store(&self, s: &mut Session, name: &str, append: bool) -> String {
        let tries = {
            let mut tries = self.tries.lock().unwrap();
            let count = tries.entry(name.to_string()).or_insert(0);
            *count += 1;
            *count
        };
        let fault = self.files.iter().find(|(n, _, _)| n == name).map_or(Fault::None, |(_, _, f)| *f);
        if fault == Fault::RefuseOnce && tries == 1 {
            return "425 Can't open data connection".into();
        }
        s.send("150 go ahead");
        let mut data = s.accept_data();
        let mut received = Session::read_all(&mut data);
        let cut = fault == Fault::DropHalfway && tries == 1;
        if cut {
            received.truncate(received.len() / 2);
        }
        let mut stored = self.stored.lock().unwrap();
        let file = stored.entry(name.to_string()).or_default();
        if !append {
            file.clear();
        }
        file.extend(received);
        if cut { "426 Connection closed; transfer aborted".into() } else { "226 stored".into() }
    }

    fn tries(&self, name: &str) -> usize {
        self.tries.lock().unwrap().get(name).copied().unwrap_or(0)
    }

    /// Serves one connection: refused with `421` past the limit, else the
    /// folder and its files.
    fn serve(&self, s: &mut Session) {
        self.accepted.fetch_add(1, Ordering::SeqCst);
        if self.live.fetch_add(1, Ordering::SeqCst) >= self.limit {
            self.live.fetch_sub(1, Ordering::SeqCst);
            s.send("421 Too many connections from your address");
            return;
        }
        let mut rest = 0usize;
        serve_loosely(s, "220 scripted server", |s, line| {
            let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
            match verb {
                "CWD" if matches!(arg, "/" | "dir" | "/dir") => Some("250 ok".into()),
                "CWD" => Some("550 no such folder".into()),
                "LIST" => {
                    s.send("150 listing");
                    let mut data = s.accept_data();
                    for (name, contents, _) in &self.files {
                        let line = format!("-rw-r--r--    1 ftp ftp {:>12} Nov 26 03:47 {name}\r\n", contents.len());
                        data.write_all(line.as_bytes()).unwrap();
                    }
                    Some("226 listed".into())
                }
                "REST" => {
                    rest = arg.parse().unwrap();
                    Some(format!("350 restarting at {rest}"))
                }
                "RETR" => Some(self.retrieve(s, arg.trim_start_matches("dir/"), std::mem::take(&mut rest))),
                "MKD" => Some(format!("257 \"{arg}\" created")),
                "STOR" => Some(self.store(s, arg.trim_start_matches("up/"), false)),
                "APPE" => Some(self.store(s, arg.trim_start_matches("up/"), true)),
                "SIZE" => match self.stored.lock().unwrap().get(arg.trim_start_matches("up/")) {
                    Some(stored) => Some(format!("213 {}", stored.len())),
                    None => Some("550 no such file".into()),
                },
                _ => None,
            }
        });
        self.live.fetch_sub(1, Ordering::SeqCst);
    }

    /// Answers `RETR name` from `offset`, with the file's fault; returns
    /// the final reply ("" for none: the connection was dropped).
    fn retrieve(&self, s: &mut Session, name: &str, offset: usize) -> String {
        let Some((_, contents, fault)) = self.files.iter().find(|(n, _, _)| n == name) else {
            return "550 no such file".into();
        };
        let gate = Instant::now() + Duration::from_secs(10);
        while self.accepted.load(Ordering::SeqCst) < self.retr_waits_for.load(Ordering::SeqCst) && Instant::now() < gate
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        let tries = {
            let mut tries = self.tries.lock().unwrap();
            let count = tries.entry(name.to_string()).or_insert(0);
            *count += 1;
            *count
        };
        match fault {
            Fault::Refuse550 => return "550 Permission denied".into(),
            Fault::RefuseOnce if tries == 1 => return "450 File busy; try again later".into(),
            Fault::RefuseAlways => return "450 File busy; try again later".into(),
            Fault::HangUpAlways => {
                s.hang_up();
                return String::new();
            }
            Fault::DropHalfway if tries == 1 => {
                s.send("150 sending");
                let mut data = s.accept_data();
                data.write_all(&contents[..contents.len() / 2]).unwrap();
                drop(data);
                s.hang_up();
                return String::new();
            }
            Fault::CutEveryQuarter if offset + contents.len() / 4 < contents.len() => {
                s.send("150 sending");
                let mut data = s.accept_data();
                data.write_all(&contents[offset..offset + contents.len() / 4]).unwrap();
                drop(data);
                return "426 Connection closed; transfer aborted".into();
            }
            _ => {}
        }
        s.send("150 sending");
        let mut data = s.accept_data();
        // A client stopped by Ctrl-C may be gone: then so is the transfer.
        if data.write_all(&contents[offset..]).is_err() {
            return "426 Connection closed; transfer aborted".into();
        }
        drop(data);
        "226 sent".into()
    }
}

/// Serves `tree` on every connection.
fn start(tree: &Arc<Tree>) -> ScriptedServers {
    let tree = Arc::clone(tree);
    ScriptedServers::start(move |_, s| tree.serve(s))
}

/// `rftp ARGS get -r ftp://…/dir`, and how long it took.
fn get_tree(sandbox: &Sandbox, port: u16, args: &[&str]) -> (std::process::Output, Duration) {
    let url = format!("ftp://127.0.0.1:{port}/dir");
    let mut all = args.to_vec();
    all.extend(["get", "-r", &url]);
    let started = Instant::now();
    let out = sandbox.run(&all, "");
    (out, started.elapsed())
}

/// Checks that every file but `except` arrived byte-exact, and no `.part` is left of them.
fn assert_fetched(sandbox: &Sandbox, tree: &Tree, except: &[&str]) {
    for (name, contents, _) in tree.files.iter().filter(|(n, _, _)| !except.contains(&n.as_str())) {
        let got = std::fs::read(sandbox.local_file(&format!("dir/{name}")));
        assert!(got.as_ref().is_ok_and(|got| got == contents), "dir/{name} is not the server's file");
        assert!(!sandbox.local_file(&format!("dir/{name}.part")).exists(), "dir/{name}.part is left");
    }
}

#[test]
fn a_server_that_allows_two_connections_gets_two_and_the_batch_finishes() {
    // The third connection and any after it are refused with 421, as
    // vsftpd's max_per_ip and pyftpdlib's max_cons_per_ip do.
    let tree = Tree::new(&[], 2);
    // No file goes before all four connections were asked for.
    tree.retr_waits_for.store(4, Ordering::SeqCst);
    let server = start(&tree);
    let sandbox = Sandbox::new();
    let (out, _) = get_tree(&sandbox, server.port, &["-j", "4", "--retry-wait", "0"]);
    let sessions = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_fetched(&sandbox, &tree, &[]);
    let line = "rftp: the server allows 2 connections; going on with 2 (";
    assert_eq!(stderr.matches(line).count(), 1, "said once: {stderr}");
    assert!(stderr.contains("421 Too many connections"), "with what the server said: {stderr}");
    assert!(!stderr.contains("cannot open another connection"), "{stderr}");
    let served: Vec<_> = sessions.iter().filter(|(_, lines)| lines.iter().any(|l| l.starts_with("RETR"))).collect();
    assert_eq!(served.len(), 2, "two connections moved the files");
}

#[test]
fn a_transient_refusal_is_tried_again_and_the_batch_succeeds() {
    let tree = Tree::new(&[("f03", Fault::RefuseOnce)], 10);
    let server = start(&tree);
    let sandbox = Sandbox::new();
    let (out, _) = get_tree(&sandbox, server.port, &["-j", "2", "--retry-wait", "0"]);
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_fetched(&sandbox, &tree, &[]);
    assert_eq!(tree.tries("f03"), 2, "{stderr}");
    let retries: Vec<_> = stderr.lines().filter(|l| l.starts_with("retrying ")).collect();
    assert_eq!(retries.len(), 1, "{stderr}");
    assert!(retries[0].starts_with("retrying dir/f03 in 0.0 s (1/5): "), "{stderr}");
    assert!(retries[0].contains("450 File busy; try again later"), "{stderr}");

    // -q: the same, without the line.
    let tree = Tree::new(&[("f03", Fault::RefuseOnce)], 10);
    let server = start(&tree);
    let sandbox = Sandbox::new();
    let (out, _) = get_tree(&sandbox, server.port, &["-q", "-j", "2", "--retry-wait", "0"]);
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(tree.tries("f03"), 2, "{stderr}");
    assert!(!stderr.contains("retrying"), "{stderr}");
}

#[test]
fn a_permanent_refusal_is_not_retried_and_the_others_complete() {
    let tree = Tree::new(&[("f05", Fault::Refuse550)], 10);
    let server = start(&tree);
    let sandbox = Sandbox::new();
    // A wait of 5 s per retry: a retry would show in the time taken.
    let (out, took) = get_tree(&sandbox, server.port, &["-j", "3", "--retry-wait", "5"]);
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(took < Duration::from_secs(4), "{took:?}: {stderr}");
    assert_eq!(tree.tries("f05"), 1, "{stderr}");
    assert!(!stderr.contains("retrying"), "{stderr}");
    assert!(stderr.contains("rftp: dir/f05: ") && stderr.contains("550 Permission denied"), "{stderr}");
    assert!(stderr.contains("1 of 10 files failed"), "{stderr}");
    assert_fetched(&sandbox, &tree, &["f05"]);
    assert!(!sandbox.local_file("dir/f05").exists());
}

#[test]
fn a_connection_dropped_mid_file_is_opened_again_and_the_file_resumed() {
    let tree = Tree::new(&[("f07", Fault::DropHalfway)], 10);
    let server = start(&tree);
    let sandbox = Sandbox::new();
    let (out, _) = get_tree(&sandbox, server.port, &["-j", "2", "--retry-wait", "0"]);
    let sessions = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_fetched(&sandbox, &tree, &[]);
    assert_eq!(tree.tries("f07"), 2, "{stderr}");
    // The second try continued from what the first left, not from zero.
    let half = tree.files[7].1.len() / 2;
    let resumed = sessions
        .iter()
        .any(|(_, lines)| lines.windows(2).any(|w| w[0] == format!("REST {half}") && w[1] == "RETR dir/f07"));
    assert!(resumed, "no REST {half} before the second RETR: {stderr}");
    assert!(stderr.contains("retrying dir/f07 in 0.0 s (1/5): "), "{stderr}");
    // Two connections at the start, and the lost one opened again.
    assert_eq!(sessions.len(), 3, "{stderr}");
    assert_eq!(stderr.matches("was lost; connected again").count(), 1, "{stderr}");

    // On one connection, the session's own: it is opened again in its place.
    let tree = Tree::new(&[("f07", Fault::DropHalfway)], 10);
    let server = start(&tree);
    let sandbox = Sandbox::new();
    let (out, _) = get_tree(&sandbox, server.port, &["-j", "1", "--retry-wait", "0"]);
    let sessions = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_fetched(&sandbox, &tree, &[]);
    assert_eq!(sessions.len(), 2, "{stderr}");
    assert!(stderr.contains("rftp: connection 1 was lost; connected again"), "{stderr}");
}

#[test]
fn ctrl_c_stops_a_batch_at_once_while_a_file_waits_for_its_retry() {
    let tree = Tree::new(&[("f00", Fault::RefuseAlways)], 10);
    let server = start(&tree);
    let sandbox = Sandbox::new();
    let url = format!("ftp://127.0.0.1:{}/dir", server.port);
    let mut child = sandbox.spawn_piped(&["-j", "2", "--retry-wait", "30", "get", "-r", &url]);
    // Once the retry line is out, the file waits 30 s for its next try.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("retrying dir/f00 in ") {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() == 0 {
            panic!("rftp ended without a retry line: {seen}");
        }
        seen.push_str(&line);
    }
    let pressed = Instant::now();
    common::sandbox::interrupt(&child);
    let out = wait_within(child, Duration::from_secs(10));
    assert!(pressed.elapsed() < Duration::from_secs(3), "{:?}", pressed.elapsed());
    assert_eq!(out.status.code(), Some(130), "interrupted: {seen}{}", text(&out.stderr));
    server.finish();
    assert_eq!(tree.tries("f00"), 1, "not tried again after Ctrl-C");
}

/// A small file (under 1 MiB) is started without asking MDTM: cut midway,
/// it is fetched again whole, never resumed; and as its tries keep nothing,
/// they use up the retries however much data each moved.
#[test]
fn a_small_file_cut_midway_is_fetched_again_whole_and_its_retries_run_out() {
    let tree = Tree::new(&[], 10);
    let server = start(&tree);
    let sandbox = Sandbox::new();
    let (out, _) = get_tree(&sandbox, server.port, &["-j", "1", "-d", "--retry-wait", "0"]);
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("MDTM"), "no MDTM for small files: {stderr}");

    let tree = Tree::new(&[], 10);
    let small = Arc::new(Tree {
        files: vec![(tree.files[9].0.clone(), tree.files[9].1.clone(), Fault::CutEveryQuarter)],
        ..Arc::try_unwrap(tree).ok().unwrap()
    });
    let server = start(&small);
    let sandbox = Sandbox::new();
    let (out, _) = get_tree(&sandbox, server.port, &["-j", "1", "--retries", "2", "--retry-wait", "0"]);
    let sessions = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(small.tries("f09"), 3, "{stderr}");
    assert!(
        !sessions.iter().any(|(_, lines)| lines.iter().any(|l| l.starts_with("REST"))),
        "never resumed: {sessions:?}"
    );
    assert!(!sandbox.local_file("dir/f09").exists());
}

#[test]
fn tries_that_move_data_start_the_count_again_and_tries_that_do_not_use_it_up() {
    // One retry allowed, but each try brings a quarter more: the file gets
    // through in five tries.
    let tree = Tree::new(&[("f09", Fault::CutEveryQuarter)], 10);
    let server = start(&tree);
    let sandbox = Sandbox::new();
    let (out, _) = get_tree(&sandbox, server.port, &["-j", "2", "--retries", "1", "--retry-wait", "0"]);
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_fetched(&sandbox, &tree, &[]);
    assert_eq!(tree.tries("f09"), 5, "{stderr}");
    assert_eq!(stderr.matches("retrying dir/f09 in 0.0 s (1/1): ").count(), 4, "{stderr}");

    // Tries that bring nothing: two retries, then the file fails, and the
    // others are all there.
    let tree = Tree::new(&[("f01", Fault::RefuseAlways)], 10);
    let server = start(&tree);
    let sandbox = Sandbox::new();
    let (out, _) = get_tree(&sandbox, server.port, &["-j", "2", "--retries", "2", "--retry-wait", "0"]);
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(tree.tries("f01"), 3, "{stderr}");
    assert!(stderr.contains("(1/2): ") && stderr.contains("(2/2): "), "{stderr}");
    assert!(stderr.contains("rftp: dir/f01: ") && stderr.contains("1 of 10 files failed"), "{stderr}");
    assert_fetched(&sandbox, &tree, &["f01"]);
}

#[test]
fn a_connection_lost_when_nothing_is_left_to_do_is_not_opened_again() {
    // On one connection the files come in the listing's order: f09 is last.
    // Its first try costs the connection, which is opened again for its
    // retry; its retry costs it again, and then there is nothing to do.
    let tree = Tree::new(&[("f09", Fault::HangUpAlways)], 10);
    let server = start(&tree);
    let sandbox = Sandbox::new();
    let (out, _) = get_tree(&sandbox, server.port, &["-j", "1", "--retries", "1", "--retry-wait", "0"]);
    let sessions = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(tree.tries("f09"), 2, "{stderr}");
    assert_fetched(&sandbox, &tree, &["f09"]);
    assert_eq!(sessions.len(), 2, "{stderr}");
    assert_eq!(stderr.matches("was lost; connected again").count(), 1, "{stderr}");
}

/// Uploads `tree`'s files with `put -r` on 2 connections, without retry
/// waits, and checks that it succeeded; returns what each session received
/// and rftp's stderr.
fn put_tree_of(tree: &Arc<Tree>) -> (Vec<(usize, Vec<String>)>, String) {
    let server = start(tree);
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.local_file("src")).unwrap();
    for (name, contents, _) in &tree.files {
        std::fs::write(sandbox.local_file(&format!("src/{name}")), contents).unwrap();
    }
    let url = format!("ftp://127.0.0.1:{}/up", server.port);
    let out = sandbox.run(&["-j", "2", "--retry-wait", "0", "put", "-r", "src", &url], "");
    let sessions = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (sessions, stderr)
}

#[test]
fn an_upload_refused_before_any_data_is_sent_again_whole() {
    // After a try that sent nothing, the remote file may still be the old
    // one the upload replaces: the retry replaces it (STOR), never resumes.
    let tree = Tree::new(&[("f04", Fault::RefuseOnce)], 10);
    let (sessions, stderr) = put_tree_of(&tree);
    assert_eq!(tree.tries("f04"), 2, "{stderr}");
    let stored = tree.stored.lock().unwrap();
    for (name, contents, _) in &tree.files {
        assert!(stored.get(name) == Some(contents), "up/{name} is not the local file: {stderr}");
    }
    assert!(stderr.contains("retrying src/f04 in 0.0 s (1/5): "), "{stderr}");
    assert!(stderr.contains("425 Can't open data connection"), "{stderr}");
    assert!(!sessions.iter().any(|(_, lines)| lines.iter().any(|l| l.starts_with("APPE") || l.starts_with("REST"))));
}

#[test]
fn an_upload_cut_halfway_is_resumed_by_its_retry() {
    let tree = Tree::new(&[("f06", Fault::DropHalfway)], 10);
    let (sessions, stderr) = put_tree_of(&tree);
    let stored = tree.stored.lock().unwrap();
    for (name, contents, _) in &tree.files {
        assert!(stored.get(name) == Some(contents), "up/{name} is not the local file: {stderr}");
    }
    assert!(stderr.contains("retrying src/f06 in 0.0 s (1/5): "), "{stderr}");
    // The server has no REST STREAM: the rest went with APPE.
    assert!(sessions.iter().any(|(_, lines)| lines.contains(&"APPE up/f06".to_string())), "{stderr}");
}
