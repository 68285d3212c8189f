//! The mirror's batch engine on a server far away: folders are listed on
//! all the batch's connections at once, each exactly once per run, and a
//! rerun with nothing changed moves nothing. The server is scripted to
//! behave like vsftpd (no MLSD, no MFMT) with a slow LIST.

mod common;
mod scripted;

use std::collections::BTreeSet;
use std::fs;
use std::time::Duration;

use common::sandbox::{Sandbox, text};
use scripted::{Listing, ScriptedServers, serve_like_vsftpd_slowly};

/// Twelve folders of one file each, under the login folder `/`.
const FOLDERS: usize = 12;

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The folders' listings and the files' contents, by absolute path.
type Tree = (Vec<(&'static str, Listing)>, Vec<(&'static str, Vec<u8>)>);

fn tree() -> Tree {
    let mut root = Vec::new();
    let mut folders = Vec::new();
    let mut files = Vec::new();
    for n in 0..FOLDERS {
        root.push(format!("drwxr-xr-x    2 ftp      ftp          4096 Jan 02  2024 d{n:02}"));
        let contents = format!("file {n}\n").into_bytes();
        let line = format!("-rw-r--r--    1 ftp      ftp      {:>8} Jan 02  2024 f.txt", contents.len());
        folders.push((leak(format!("/d{n:02}")), Listing::Lines(vec![line])));
        files.push((leak(format!("/d{n:02}/f.txt")), contents));
    }
    folders.push(("/", Listing::Lines(root)));
    (folders, files)
}

/// Runs `rftp -j 4 mirror` of the server's tree into `out`; returns the
/// output and, per connection, the commands the server received.
fn mirror(sandbox: &Sandbox, extra: &[&str]) -> (std::process::Output, Vec<(usize, Vec<String>)>) {
    let servers = ScriptedServers::start(|_, s| {
        let (folders, files) = tree();
        serve_like_vsftpd_slowly(s, folders, files, Duration::from_millis(150));
    });
    let url = format!("ftp://127.0.0.1:{}/", servers.port);
    let mut args = vec!["-j", "4", "mirror"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[&url, "out"]);
    let out = sandbox.run(&args, "");
    (out, servers.finish())
}

fn lists(received: &[(usize, Vec<String>)]) -> Vec<(usize, String)> {
    received
        .iter()
        .flat_map(|(n, lines)| lines.iter().filter(|l| l.starts_with("LIST")).map(move |l| (*n, l.clone())))
        .collect()
}

#[test]
fn folders_are_listed_once_each_on_several_connections_and_a_rerun_moves_nothing() {
    let sandbox = Sandbox::new();
    let (out, received) = mirror(&sandbox, &[]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    for n in 0..FOLDERS {
        let got = fs::read(sandbox.local.join(format!("out/d{n:02}/f.txt"))).expect("mirrored");
        assert_eq!(got, format!("file {n}\n").into_bytes());
    }
    let listed = lists(&received);
    assert_eq!(listed.len(), FOLDERS + 1, "one listing per folder: {listed:?}");
    let connections: BTreeSet<usize> = listed.iter().map(|(n, _)| *n).collect();
    assert!(connections.len() >= 2, "listings ran on one connection only: {listed:?}");

    let (again, received) = mirror(&sandbox, &["--json"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(lists(&received).len(), FOLDERS + 1, "the rerun lists each folder once too");
    let retrieved: Vec<&String> =
        received.iter().flat_map(|(_, lines)| lines).filter(|l| l.starts_with("RETR")).collect();
    assert!(retrieved.is_empty(), "a rerun with nothing changed fetched {retrieved:?}");
    let stdout = text(&again.stdout);
    assert_eq!(stdout.lines().filter(|l| l.contains("\"action\":\"skip\"")).count(), FOLDERS, "{stdout}");
    assert!(text(&again.stderr).contains("mirror: 0 new, 0 updated"), "{}", text(&again.stderr));
}
