//! `rftp mirror` and the shell's `mirror` (issue #13), run as a user runs
//! them against the embedded server: what arrives (bytes, empty folders,
//! modification times), what a rerun moves (nothing, or exactly what
//! changed), `--delete`, `--exclude`/`--include`, `--dry-run`,
//! `--only-newer`/`--only-missing`, `-R`, links in the target, `--json`,
//! exit statuses, and a cut download continued by the next run.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant, UNIX_EPOCH};

use common::proxy::{Faults, Kind, Proxy};
use common::sandbox::{Sandbox, run_script, text, wait_within};
use common::{TestServer, pattern, url, walk_tree};
use serde_json::Value;

/// A base modification time for the source files (2020-09-13), each file
/// a few seconds apart so a time taken from the wrong file shows.
const T0: u64 = 1_600_000_000;

/// What a tree holds at one path, links not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Folder,
    File(Vec<u8>),
    Link(PathBuf),
}

/// Every path under `root` (relative, `/`-separated) and what it is.
fn tree(root: &Path) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    walk_tree(root, "", &mut |path, full, meta| {
        let node = if meta.file_type().is_symlink() {
            Node::Link(fs::read_link(full).unwrap())
        } else if meta.is_dir() {
            Node::Folder
        } else {
            Node::File(fs::read(full).unwrap())
        };
        out.insert(path.to_string(), node);
    });
    out
}

/// The modification time, in whole seconds, of every path under `root`
/// (folders and links too, with `all`), links not followed.
fn times(root: &Path, all: bool) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    walk_tree(root, "", &mut |path, _, meta| {
        if all || meta.is_file() {
            let seconds = meta.modified().unwrap().duration_since(UNIX_EPOCH).unwrap().as_secs();
            out.insert(path.to_string(), seconds);
        }
    });
    out
}

/// Everything about a tree a mirror could change: contents, and the times
/// of files, folders and links.
fn snapshot(root: &Path) -> (BTreeMap<String, Node>, BTreeMap<String, u64>) {
    (tree(root), times(root, true))
}

fn write(path: &Path, contents: &[u8], seconds: u64) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
    set_time(path, seconds);
}

fn set_time(path: &Path, seconds: u64) {
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(UNIX_EPOCH + Duration::from_secs(seconds)).unwrap();
}

/// The source tree most tests mirror: files at three depths, a name with a
/// space, a file bigger than one read, and an empty folder.
fn make_source(root: &Path) {
    write(&root.join("a.txt"), b"alpha\n", T0);
    write(&root.join("big.bin"), &pattern(300_001), T0 + 1);
    write(&root.join("sub/b.txt"), b"bravo\n", T0 + 2);
    write(&root.join("sub/deeper/c.txt"), b"charlie\n", T0 + 3);
    write(&root.join("with space.txt"), b"space\n", T0 + 4);
    fs::create_dir_all(root.join("empty")).unwrap();
}

/// The embedded server, serving [`make_source`]'s tree as `tree`.
fn server_with_source() -> TestServer {
    let server = TestServer::start();
    make_source(&server.root.join("tree"));
    server
}

fn rftp(sandbox: &Sandbox, args: &[&str]) -> Output {
    sandbox.run(args, "")
}

/// Each line of standard output as JSON; panics on a line that is not.
fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}")))
        .collect()
}

/// The paths of the JSON lines of `action`.
fn paths_of(lines: &[Value], action: &str) -> BTreeSet<String> {
    lines.iter().filter(|l| l["action"] == action).map(|l| l["path"].as_str().unwrap().to_string()).collect()
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

/// The commands of `-d` output sent with `verb` (`MLSD tree/sub`), on any
/// of the batch's connections.
fn sent(stderr: &str, verb: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|line| line.split_once("*cmd* ").map(|(_, command)| command))
        .filter(|command| command.split(' ').next() == Some(verb))
        .map(str::to_string)
        .collect()
}

/// The summary's line in `output`.
fn summary(output: &str) -> &str {
    output
        .lines()
        .find(|l| l.starts_with("mirror:") || l.starts_with("mirror (dry run"))
        .unwrap_or_else(|| panic!("no summary in {output:?}"))
}

#[test]
fn a_first_download_equals_the_source_with_times_and_a_rerun_moves_nothing_and_lists_once_per_folder() {
    let server = server_with_source();
    let source = server.root.join("tree");
    let sandbox = Sandbox::new();
    let out = rftp(&sandbox, &["mirror", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let target = sandbox.local_file("out");
    assert_eq!(tree(&target), tree(&source), "byte for byte, the empty folder too");
    assert_eq!(times(&target, false), times(&source, false), "every file keeps the server's time");
    let stdout = text(&out.stdout);
    assert!(summary(&stdout).starts_with("mirror: 5 new, 0 updated, 0 deleted, 0 skipped, 0 failed;"), "{stdout}");

    let again = rftp(&sandbox, &["-d", "mirror", "--json", &url(&server, "tree"), "out"]);
    let stderr = text(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{stderr}");
    let lines = json_lines(&again);
    assert!(paths_of(&lines, "get").is_empty(), "{lines:?}");
    assert_eq!(paths_of(&lines, "skip"), set(&["a.txt", "big.bin", "sub/b.txt", "sub/deeper/c.txt", "with space.txt"]));
    assert!(summary(&stderr).starts_with("mirror: 0 new, 0 updated, 0 deleted, 5 skipped, 0 failed;"), "{stderr}");
    // One listing per folder, and nothing per file.
    let mut listed = sent(&stderr, "MLSD");
    listed.sort();
    assert_eq!(listed, ["MLSD tree", "MLSD tree/empty", "MLSD tree/sub", "MLSD tree/sub/deeper"], "{stderr}");
    for verb in ["LIST", "RETR", "SIZE", "MDTM", "REST", "STOR"] {
        assert_eq!(sent(&stderr, verb), Vec::<String>::new(), "{verb} sent: {stderr}");
    }
    // At most the check that the root is a folder.
    assert!(sent(&stderr, "MLST").len() <= 1, "{stderr}");
    assert_eq!(tree(&target), tree(&source));
}

#[test]
fn a_changed_file_of_the_same_size_one_of_another_size_and_an_added_file_are_exactly_what_moves() {
    let server = server_with_source();
    let source = server.root.join("tree");
    let sandbox = Sandbox::new();
    let first = rftp(&sandbox, &["mirror", &url(&server, "tree"), "out"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    write(&source.join("a.txt"), b"ALPHA\n", T0 + 100); // same size, new time
    write(&source.join("sub/b.txt"), b"bravo, longer\n", T0 + 2); // another size, same time
    write(&source.join("sub/deeper/new.txt"), b"new\n", T0 + 5);

    let out = rftp(&sandbox, &["mirror", "--json", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines = json_lines(&out);
    let moved: BTreeMap<String, (bool, u64)> = lines
        .iter()
        .filter(|l| l["action"] == "get")
        .map(|l| (l["path"].as_str().unwrap().into(), (l["new"].as_bool().unwrap(), l["bytes"].as_u64().unwrap())))
        .collect();
    let expected: BTreeMap<String, (bool, u64)> =
        [("a.txt".into(), (false, 6)), ("sub/b.txt".into(), (false, 14)), ("sub/deeper/new.txt".into(), (true, 4))]
            .into();
    assert_eq!(moved, expected, "{lines:?}");
    assert_eq!(paths_of(&lines, "skip"), set(&["big.bin", "sub/deeper/c.txt", "with space.txt"]));
    assert!(summary(&text(&out.stderr)).starts_with("mirror: 1 new, 2 updated, 0 deleted, 3 skipped, 0 failed;"));
    let target = sandbox.local_file("out");
    assert_eq!(tree(&target), tree(&source));
    assert_eq!(times(&target, false), times(&source, false));
}

/// Paths outside the target a link in it points at: a file and a folder
/// with a file, which must stay as they are.
fn outside(sandbox: &Sandbox) -> PathBuf {
    let outside = sandbox.local_file("outside");
    write(&outside.join("file.txt"), b"precious\n", T0);
    write(&outside.join("dir/inner.txt"), b"inner\n", T0);
    outside
}

#[test]
fn delete_removes_files_then_empty_folders_only_inside_the_target_and_never_excluded_ones() {
    let server = server_with_source();
    let source = server.root.join("tree");
    let sandbox = Sandbox::new();
    let first = rftp(&sandbox, &["mirror", &url(&server, "tree"), "out"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let target = sandbox.local_file("out");
    let outside = outside(&sandbox);
    let outside_before = snapshot(&outside);
    write(&target.join("extra.txt"), b"extra\n", T0);
    write(&target.join("extra-dir/inner/x.txt"), b"x\n", T0);
    write(&target.join("sub/extra-deep.txt"), b"deep\n", T0);
    write(&target.join("keep.tmp"), b"excluded\n", T0);
    write(&target.join("kept-dir/keep.tmp"), b"excluded too\n", T0);
    symlink(outside.join("file.txt"), target.join("link-file")).unwrap();
    symlink(outside.join("dir"), target.join("link-dir")).unwrap();

    // Without --delete, nothing is removed.
    let before = snapshot(&target);
    let out = rftp(&sandbox, &["mirror", "--json", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(paths_of(&json_lines(&out), "delete").is_empty(), "{}", text(&out.stdout));
    assert_eq!(snapshot(&target), before);

    let out = rftp(&sandbox, &["mirror", "--delete", "--exclude", "*.tmp", "--json", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines = json_lines(&out);
    let deleted: Vec<&str> =
        lines.iter().filter(|l| l["action"] == "delete").map(|l| l["path"].as_str().unwrap()).collect();
    assert_eq!(
        deleted.iter().copied().collect::<BTreeSet<_>>(),
        [
            "extra-dir",
            "extra-dir/inner",
            "extra-dir/inner/x.txt",
            "extra.txt",
            "link-dir",
            "link-file",
            "sub/extra-deep.txt"
        ]
        .into(),
        "{lines:?}"
    );
    let position = |path: &str| deleted.iter().position(|p| *p == path).unwrap();
    assert!(position("extra-dir/inner/x.txt") < position("extra-dir/inner"), "files before their folder: {deleted:?}");
    assert!(position("extra-dir/inner") < position("extra-dir"), "deeper folders first: {deleted:?}");
    assert!(summary(&text(&out.stderr)).starts_with("mirror: 0 new, 0 updated, 7 deleted, 5 skipped, 0 failed;"));
    let mut expected = tree(&source);
    expected.insert("keep.tmp".into(), Node::File(b"excluded\n".to_vec()));
    expected.insert("kept-dir".into(), Node::Folder);
    expected.insert("kept-dir/keep.tmp".into(), Node::File(b"excluded too\n".to_vec()));
    assert_eq!(tree(&target), expected, "the links went as links, the excluded files stayed");
    assert_eq!(snapshot(&outside), outside_before, "nothing a link pointed at was touched");
}

#[test]
fn delete_on_an_upload_removes_what_the_local_tree_lacks_from_the_server() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let source = sandbox.local_file("src");
    make_source(&source);
    let first = rftp(&sandbox, &["mirror", "src", &url(&server, "up")]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let remote = server.root.join("up");
    write(&remote.join("extra.txt"), b"extra\n", T0);
    write(&remote.join("extra-dir/inner/y.txt"), b"y\n", T0);
    write(&remote.join("sub/keep.tmp"), b"excluded\n", T0);

    let out = rftp(&sandbox, &["mirror", "--json", "src", &url(&server, "up")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(remote.join("extra.txt").exists() && remote.join("extra-dir/inner/y.txt").exists());

    let out = rftp(&sandbox, &["mirror", "--delete", "--exclude", "*.tmp", "--json", "src", &url(&server, "up")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(
        paths_of(&lines, "delete"),
        set(&["extra-dir", "extra-dir/inner", "extra-dir/inner/y.txt", "extra.txt"])
    );
    let mut expected = tree(&source);
    expected.insert("sub/keep.tmp".into(), Node::File(b"excluded\n".to_vec()));
    assert_eq!(tree(&remote), expected);
}

#[test]
fn exclude_by_name_works_at_any_depth_and_an_excluded_folder_is_never_listed() {
    let server = server_with_source();
    let source = server.root.join("tree");
    write(&source.join("a.tmp"), b"tmp\n", T0);
    write(&source.join("sub/deeper/b.tmp"), b"tmp\n", T0);
    write(&source.join("cache/c.dat"), b"cache\n", T0);
    write(&source.join("sub/cache/d.dat"), b"cache\n", T0);
    let sandbox = Sandbox::new();
    let out = rftp(
        &sandbox,
        &["-d", "mirror", "--json", "--exclude", "*.tmp", "--exclude", "cache", &url(&server, "tree"), "out"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let mut expected = tree(&source);
    expected.retain(|path, _| !path.ends_with(".tmp") && !path.starts_with("cache") && !path.starts_with("sub/cache"));
    assert_eq!(tree(&sandbox.local_file("out")), expected);
    let listed = [sent(&stderr, "MLSD"), sent(&stderr, "LIST")].concat();
    assert!(!listed.iter().any(|c| c.ends_with("cache")), "an excluded folder was listed: {listed:?}");
    assert_eq!(listed.len(), 4, "{listed:?}");
    let lines = json_lines(&out);
    assert!(!lines.iter().any(|l| l["path"].as_str().unwrap().contains("tmp")), "not even a skip: {lines:?}");
}

#[test]
fn exclude_patterns_with_a_slash_start_at_the_mirrored_folder() {
    let server = TestServer::start();
    let source = server.root.join("tree");
    for path in
        ["build/x.o", "build/y.c", "build/deep/z.o", "src/build/w.o", "docs/a.md", "docs/inner/b.md", "notes.md"]
    {
        write(&source.join(path), path.as_bytes(), T0);
    }
    let sandbox = Sandbox::new();
    let args = ["-d", "mirror", "--exclude", "build/*.o", "--exclude", "docs/**", &url(&server, "tree"), "out"];
    let out = rftp(&sandbox, &args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let files: BTreeSet<String> = tree(&sandbox.local_file("out"))
        .into_iter()
        .filter(|(_, node)| matches!(node, Node::File(_)))
        .map(|(path, _)| path)
        .collect();
    // `*` does not cross `/`: build/deep/z.o stays; build/ is anchored: src/build/w.o stays.
    assert_eq!(files, set(&["build/deep/z.o", "build/y.c", "notes.md", "src/build/w.o"]));
    let listed = [sent(&stderr, "MLSD"), sent(&stderr, "LIST")].concat();
    assert!(!listed.iter().any(|c| c.ends_with("docs/inner")), "an excluded folder was listed: {listed:?}");
}

#[test]
fn include_takes_only_matching_files_from_every_folder() {
    let server = TestServer::start();
    let source = server.root.join("tree");
    for path in ["a.txt", "b.bin", "sub/c.txt", "sub/d.bin", "sub/deeper/e.txt"] {
        write(&source.join(path), path.as_bytes(), T0);
    }
    let sandbox = Sandbox::new();
    let out = rftp(&sandbox, &["mirror", "--json", "--include", "*.txt", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(paths_of(&json_lines(&out), "get"), set(&["a.txt", "sub/c.txt", "sub/deeper/e.txt"]));
    let files: BTreeSet<String> = tree(&sandbox.local_file("out"))
        .into_iter()
        .filter(|(_, node)| matches!(node, Node::File(_)))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(files, set(&["a.txt", "sub/c.txt", "sub/deeper/e.txt"]));
}

/// The lines a dry run printed, without its summary.
fn dry_lines(out: &Output) -> BTreeSet<String> {
    text(&out.stdout).lines().filter(|l| !l.starts_with("mirror")).map(str::to_string).collect()
}

#[test]
fn a_dry_run_of_a_download_changes_nothing_and_says_what_it_would_do() {
    let server = server_with_source();
    let source = server.root.join("tree");
    let sandbox = Sandbox::new();
    let server_before = snapshot(&server.root);
    let out = rftp(&sandbox, &["mirror", "--dry-run", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!sandbox.local_file("out").exists(), "not even the target's root is made");
    assert_eq!(
        dry_lines(&out),
        set(&[
            "get a.txt (new, 6 B)",
            "get big.bin (new, 292.97 KiB)",
            "get sub/b.txt (new, 6 B)",
            "get sub/deeper/c.txt (new, 8 B)",
            "get with space.txt (new, 6 B)",
            "mkdir empty",
            "mkdir sub",
            "mkdir sub/deeper",
        ])
    );
    assert!(summary(&text(&out.stdout)).starts_with("mirror (dry run, nothing changed): would move 5 new,"));
    assert_eq!(snapshot(&server.root), server_before, "nothing changed on the server");

    // And over an existing target, with --delete.
    let first = rftp(&sandbox, &["mirror", &url(&server, "tree"), "out"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    write(&source.join("a.txt"), b"changed alpha\n", T0 + 50);
    let target = sandbox.local_file("out");
    write(&target.join("extra.txt"), b"extra\n", T0);
    let server_before = snapshot(&server.root);
    let target_before = snapshot(&target);
    let out = rftp(&sandbox, &["mirror", "--dry-run", "--delete", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(dry_lines(&out), set(&["delete extra.txt", "get a.txt (changed, 14 B)"]));
    assert_eq!(snapshot(&target), target_before);
    assert_eq!(snapshot(&server.root), server_before);
}

#[test]
fn a_dry_run_of_an_upload_changes_nothing_and_says_what_it_would_do() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let source = sandbox.local_file("src");
    make_source(&source);
    let server_before = snapshot(&server.root);
    let local_before = snapshot(&sandbox.local);
    let out = rftp(&sandbox, &["mirror", "--dry-run", "src", &url(&server, "up")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(snapshot(&server.root), server_before, "not even the remote root is made");
    assert_eq!(snapshot(&sandbox.local), local_before);
    assert_eq!(
        dry_lines(&out),
        set(&[
            "put a.txt (new, 6 B)",
            "put big.bin (new, 292.97 KiB)",
            "put sub/b.txt (new, 6 B)",
            "put sub/deeper/c.txt (new, 8 B)",
            "put with space.txt (new, 6 B)",
            "mkdir empty",
            "mkdir sub",
            "mkdir sub/deeper",
        ])
    );

    let first = rftp(&sandbox, &["mirror", "src", &url(&server, "up")]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    write(&source.join("a.txt"), b"changed alpha\n", T0 + 50);
    write(&server.root.join("up/extra.txt"), b"extra\n", T0);
    let server_before = snapshot(&server.root);
    let local_before = snapshot(&sandbox.local);
    let out = rftp(&sandbox, &["mirror", "--dry-run", "--delete", "src", &url(&server, "up")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(dry_lines(&out), set(&["delete extra.txt", "put a.txt (changed, 14 B)"]));
    assert_eq!(snapshot(&server.root), server_before);
    assert_eq!(snapshot(&sandbox.local), local_before);
}

#[test]
fn only_newer_leaves_a_newer_target_and_only_missing_leaves_every_existing_file() {
    let server = server_with_source();
    let sandbox = Sandbox::new();
    let first = rftp(&sandbox, &["mirror", &url(&server, "tree"), "out"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let target = sandbox.local_file("out");
    write(&target.join("a.txt"), b"the target's own, newer\n", T0 + 1000);
    write(&target.join("sub/b.txt"), b"older\n", T0 - 1000);
    fs::remove_file(target.join("sub/deeper/c.txt")).unwrap();

    let out = rftp(&sandbox, &["mirror", "--only-newer", "--json", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(paths_of(&json_lines(&out), "get"), set(&["sub/b.txt", "sub/deeper/c.txt"]));
    assert_eq!(fs::read(target.join("a.txt")).unwrap(), b"the target's own, newer\n");
    assert_eq!(fs::read(target.join("sub/b.txt")).unwrap(), b"bravo\n");
    assert_eq!(fs::read(target.join("sub/deeper/c.txt")).unwrap(), b"charlie\n");

    write(&target.join("sub/b.txt"), b"another, older\n", T0 - 1000);
    fs::remove_file(target.join("with space.txt")).unwrap();
    let out = rftp(&sandbox, &["mirror", "--only-missing", "--json", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(paths_of(&json_lines(&out), "get"), set(&["with space.txt"]));
    assert_eq!(fs::read(target.join("sub/b.txt")).unwrap(), b"another, older\n");
    assert_eq!(fs::read(target.join("a.txt")).unwrap(), b"the target's own, newer\n");
    assert_eq!(fs::read(target.join("with space.txt")).unwrap(), b"space\n");
}

const NO_TIMES: &str = "rftp: the server cannot set modification times";

#[test]
fn an_upload_equals_the_source_and_a_rerun_moves_nothing_on_a_server_that_cannot_set_times() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let source = sandbox.local_file("src");
    make_source(&source);
    let outside = outside(&sandbox);
    symlink(outside.join("file.txt"), source.join("link")).unwrap();
    let out = rftp(&sandbox, &["mirror", "--json", "src", &url(&server, "up")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines = json_lines(&out);
    assert_eq!(paths_of(&lines, "put"), set(&["a.txt", "big.bin", "sub/b.txt", "sub/deeper/c.txt", "with space.txt"]));
    assert_eq!(paths_of(&lines, "skip"), set(&["link"]), "a local link is not followed");
    let mut expected = tree(&source);
    expected.remove("link");
    assert_eq!(tree(&server.root.join("up")), expected, "byte for byte, the empty folder too");
    assert_eq!(stderr.matches(NO_TIMES).count(), 1, "said once: {stderr}");

    let again = rftp(&sandbox, &["mirror", "--json", "src", &url(&server, "up")]);
    let stderr = text(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{stderr}");
    let lines = json_lines(&again);
    assert!(paths_of(&lines, "put").is_empty(), "{lines:?}");
    assert!(summary(&stderr).starts_with("mirror: 0 new, 0 updated, 0 deleted, 6 skipped, 0 failed;"), "{stderr}");
}

#[test]
fn links_in_the_target_are_never_followed_or_written_through() {
    let server = server_with_source();
    let sandbox = Sandbox::new();
    let outside = outside(&sandbox);
    let outside_before = snapshot(&outside);
    let target = sandbox.local_file("out");
    fs::create_dir_all(&target).unwrap();
    symlink(outside.join("file.txt"), target.join("a.txt")).unwrap();
    symlink(outside.join("dir"), target.join("sub")).unwrap();
    let out = rftp(&sandbox, &["mirror", "--json", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(paths_of(&lines, "fail"), set(&["a.txt", "sub"]), "{lines:?}");
    assert_eq!(paths_of(&lines, "get"), set(&["big.bin", "with space.txt"]));
    assert_eq!(snapshot(&outside), outside_before, "nothing written through a link");
    assert_eq!(tree(&target)["a.txt"], Node::Link(outside.join("file.txt")));
    assert_eq!(tree(&target)["sub"], Node::Link(outside.join("dir")));
    assert!(summary(&text(&out.stderr)).contains("2 failed"), "{}", text(&out.stderr));
}

#[test]
fn json_lines_all_parse_with_action_path_and_bytes_and_the_summary_goes_to_stderr() {
    let server = server_with_source();
    let sandbox = Sandbox::new();
    let target = sandbox.local_file("out");
    fs::create_dir_all(target.join("a.txt")).unwrap(); // a folder where the source has a file: a failure
    write(&target.join("extra.txt"), b"extra\n", T0);
    write(&target.join("with space.txt"), b"space\n", T0 + 4); // the same: a skip
    let out = rftp(&sandbox, &["mirror", "--json", "--delete", &url(&server, "tree"), "out"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let lines = json_lines(&out);
    let source = server.root.join("tree");
    let mut actions = BTreeSet::new();
    for line in &lines {
        let action = line["action"].as_str().unwrap_or_else(|| panic!("no action: {line}"));
        let path = line["path"].as_str().unwrap_or_else(|| panic!("no path: {line}"));
        actions.insert(action.to_string());
        if action == "get" {
            let size = fs::metadata(source.join(path)).unwrap().len();
            assert_eq!(line["bytes"].as_u64(), Some(size), "{line}");
        }
        if action == "fail" {
            assert!(line["error"].as_str().is_some_and(|e| !e.is_empty()), "a failure says why: {line}");
        }
    }
    assert_eq!(actions, set(&["delete", "fail", "get", "mkdir", "skip"]), "{lines:?}");
    assert!(summary(&stderr).starts_with("mirror: 3 new, 0 updated, 1 deleted, 1 skipped, 1 failed;"), "{stderr}");
    assert!(!text(&out.stdout).contains("mirror:"), "the summary is not on stdout");
}

#[test]
fn the_shells_mirror_both_ways_with_default_targets_and_a_bad_option_is_a_usage_error() {
    let server = server_with_source();
    let sandbox = Sandbox::new();
    make_source(&sandbox.local_file("src"));
    let out = run_script(&sandbox, &server, "mirror tree\nmirror -R src\nmirror --frobnicate tree\nmirror -R src\n");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(tree(&sandbox.local_file("tree")), tree(&server.root.join("tree")), "the target is the source's name");
    assert_eq!(times(&sandbox.local_file("tree"), false), times(&server.root.join("tree"), false));
    assert_eq!(tree(&server.root.join("src")), tree(&sandbox.local_file("src")), "and the same uploading");
    assert!(stderr.contains("rftp: line 4: mirror: unexpected argument '--frobnicate'"), "{stderr}");
    assert!(stderr.contains("(usage: mirror [-R] [OPTION...] SOURCE [TARGET])"), "{stderr}");
    let stdout = text(&out.stdout);
    let summaries: Vec<&str> = stdout.lines().filter(|l| l.starts_with("mirror:")).collect();
    assert_eq!(summaries.len(), 3, "{stdout}");
    assert!(summaries[2].starts_with("mirror: 0 new, 0 updated, 0 deleted, 5 skipped, 0 failed;"), "{stdout}");
}

#[test]
fn a_failure_is_exit_1_with_the_summary_and_two_local_folders_are_a_usage_error() {
    let server = server_with_source();
    let sandbox = Sandbox::new();
    fs::create_dir_all(sandbox.local_file("out/sub/b.txt")).unwrap();
    let out = rftp(&sandbox, &["mirror", &url(&server, "tree"), "out"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let stdout = text(&out.stdout);
    assert!(summary(&stdout).starts_with("mirror: 4 new, 0 updated, 0 deleted, 0 skipped, 1 failed;"), "{stdout}");
    assert!(stderr.contains("sub/b.txt: the target has a folder there"), "the failure is named: {stderr}");
    assert_eq!(fs::read(sandbox.local_file("out/sub/deeper/c.txt")).unwrap(), b"charlie\n", "the rest went on");
    // -q drops the summary, not the failure.
    let out = rftp(&sandbox, &["-q", "mirror", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("sub/b.txt: the target has a folder there"), "{}", text(&out.stderr));
    let out = rftp(&sandbox, &["mirror", "--only-newer", "--only-missing", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    fs::create_dir_all(sandbox.local_file("a")).unwrap();
    let out = rftp(&sandbox, &["mirror", "a", "b"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("mirror needs one remote folder"), "{}", text(&out.stderr));
    assert!(!sandbox.local_file("b").exists());
}

#[test]
fn a_download_cut_by_a_dropped_connection_is_continued_by_the_next_run() {
    let server = TestServer::start();
    let data = pattern(1_000_003);
    write(&server.root.join("tree/big.bin"), &data, T0);
    write(&server.root.join("tree/a.txt"), b"alpha\n", T0 + 1);
    let proxy = Proxy::start(&server, Faults { cut_data_every: Some(400_000), ..Faults::default() });
    let sandbox = Sandbox::new();
    let out = rftp(&sandbox, &["--retries", "0", "mirror", &proxy.url("tree"), "out"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let part = sandbox.local_file("out/big.bin.part");
    let kept = fs::metadata(&part).map(|m| m.len()).unwrap_or_else(|_| panic!("no .part: {}", text(&out.stderr)));
    assert!(kept > 0 && kept < data.len() as u64, "{kept}");
    assert!(!sandbox.local_file("out/big.bin").exists());
    assert_eq!(fs::read(sandbox.local_file("out/a.txt")).unwrap(), b"alpha\n", "the rest went on");

    // With --delete too: the .part is the mirror's own, not an extra.
    let out = rftp(&sandbox, &["-d", "mirror", "--delete", "--json", &url(&server, "tree"), "out"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(sent(&stderr, "REST"), [format!("REST {kept}")], "continued, not restarted: {stderr}");
    let lines = json_lines(&out);
    let get: Vec<&Value> = lines.iter().filter(|l| l["action"] == "get").collect();
    assert_eq!(get.len(), 1, "{lines:?}");
    assert_eq!(paths_of(&lines, "skip"), set(&["a.txt"]), "what was done is skipped");
    assert!(paths_of(&lines, "delete").is_empty(), "{lines:?}");
    assert_eq!(get[0]["bytes"].as_u64(), Some(data.len() as u64 - kept), "only the rest moved");
    assert_eq!(fs::read(sandbox.local_file("out/big.bin")).unwrap(), data);
    assert_eq!(tree(&sandbox.local_file("out")), tree(&server.root.join("tree")), "no .part or .part.meta left");
    assert_eq!(times(&sandbox.local_file("out"), false), times(&server.root.join("tree"), false));
}

#[test]
fn a_mirror_stopped_by_ctrl_c_is_continued_by_the_next_run() {
    let server = TestServer::start();
    let data = pattern(2 * 1024 * 1024 + 9);
    write(&server.root.join("tree/big.bin"), &data, T0);
    let sandbox = Sandbox::new();
    let part = sandbox.local_file("out/big.bin.part");
    let args = ["--limit-rate", "256K", "mirror", &url(&server, "tree"), "out"];
    let child = sandbox.command(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let waiting = Instant::now();
    while fs::metadata(&part).map(|m| m.len()).unwrap_or(0) == 0 {
        assert!(waiting.elapsed() < Duration::from_secs(10), "the download never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    common::sandbox::interrupt(&child);
    let out = wait_within(child, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let kept = fs::metadata(&part).unwrap().len();
    assert!(kept > 0 && kept < data.len() as u64, "{kept}");

    let out = rftp(&sandbox, &["-d", "mirror", "--json", &url(&server, "tree"), "out"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(sent(&stderr, "REST"), [format!("REST {kept}")], "continued, not restarted: {stderr}");
    assert_eq!(fs::read(sandbox.local_file("out/big.bin")).unwrap(), data);
    assert_eq!(tree(&sandbox.local_file("out")), tree(&server.root.join("tree")), "no .part or .part.meta left");
}

#[test]
fn a_name_the_mirror_refuses_fails_its_folder_by_its_relative_path_and_nothing_there_is_deleted() {
    let server = server_with_source();
    let sandbox = Sandbox::new();
    let first = rftp(&sandbox, &["mirror", &url(&server, "tree"), "out"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    write(&server.root.join("tree/sub/bad\x07name"), b"bell\n", T0);
    write(&sandbox.local_file("out/sub/extra.txt"), b"extra\n", T0);
    write(&sandbox.local_file("out/extra.txt"), b"extra\n", T0);
    let out = rftp(&sandbox, &["mirror", "--delete", "--json", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines = json_lines(&out);
    let failed: Vec<&Value> = lines.iter().filter(|l| l["action"] == "fail").collect();
    assert_eq!(failed.len(), 1, "{lines:?}");
    assert_eq!(failed[0]["path"], "sub", "relative to the mirrored folder, as every other path: {lines:?}");
    assert!(failed[0]["error"].as_str().unwrap().contains("control characters"), "{lines:?}");
    assert_eq!(paths_of(&lines, "delete"), set(&["extra.txt"]), "a folder listed in part loses nothing");
    assert!(sandbox.local_file("out/sub/extra.txt").exists());
    assert!(!sandbox.local_file("out/sub/bad\x07name").exists());

    let out = rftp(&sandbox, &["mirror", &url(&server, "tree"), "out"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("rftp: sub: refusing the server's name"), "{}", text(&out.stderr));
}

#[test]
fn dropped_connections_while_listing_and_moving_are_healed_within_one_run() {
    let server = server_with_source();
    let faults = Faults { cut_control_at: Some("MLSD".into()), cut_data_every: Some(200_000), ..Faults::default() };
    let proxy = Proxy::start(&server, faults);
    let sandbox = Sandbox::new();
    let out = rftp(&sandbox, &["--retry-wait", "0", "mirror", "--json", &proxy.url("tree"), "out"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let cuts = proxy.cuts();
    assert!(cuts.iter().any(|c| c.kind == Kind::Control), "a listing was cut: {cuts:?}");
    assert!(cuts.iter().any(|c| c.kind == Kind::Data), "a download was cut: {cuts:?}");
    let lines = json_lines(&out);
    assert_eq!(paths_of(&lines, "get"), set(&["a.txt", "big.bin", "sub/b.txt", "sub/deeper/c.txt", "with space.txt"]));
    assert_eq!(paths_of(&lines, "fail"), BTreeSet::new());
    let target = sandbox.local_file("out");
    assert_eq!(tree(&target), tree(&server.root.join("tree")));
    assert_eq!(times(&target, false), times(&server.root.join("tree"), false));
}

/// A name on the target that differs from a source name only in case is
/// never deleted: on a server or file system that ignores case it is the
/// file just sent, and deleting it would lose it on every run.
#[test]
fn delete_leaves_a_name_that_differs_from_a_source_name_only_in_case() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    write(&sandbox.local_file("src/a.txt"), b"alpha\n", T0);
    let remote = server.root.join("up");
    write(&remote.join("A.TXT"), b"older\n", T0);
    write(&remote.join("stale.txt"), b"stale\n", T0);

    let out = rftp(&sandbox, &["mirror", "--delete", "--json", "src", &url(&server, "up")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(paths_of(&lines, "delete"), set(&["stale.txt"]));
    assert!(paths_of(&lines, "skip").contains("A.TXT"), "{lines:?}");
    assert_eq!(fs::read(remote.join("A.TXT")).unwrap(), b"older\n");
    assert_eq!(fs::read(remote.join("a.txt")).unwrap(), b"alpha\n");
}
