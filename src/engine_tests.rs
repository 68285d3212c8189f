//! Tests of the transfer engine itself (tree planning, parallel batches,
//! single downloads) against real servers: the embedded one, a scripted one
//! for faults real servers do not make, and in CI's interop run pyftpdlib
//! and vsftpd (`RFTP_TEST_SERVER`, see `.ci/servers.sh`).
//!
//! They call the engine directly, between planning and running or with a
//! size it must trust, which the binary's command line cannot reach; the
//! engine is the binary's own, so they live here rather than in `tests/`.
//! They share `tests/`'s server helpers.

#![allow(clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/scripted/mod.rs"]
mod scripted;

use std::fs;
use std::os::unix::fs::symlink;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use crate::batch;
use crate::progress::ProgressMode;
use crate::protocol::{Client, Error, TransferType};
use crate::session::{Credentials, SessionSpec};
use crate::transfer::{self, LocalTarget, TransferError};
use common::{Fixture, TestServer, is_empty_dir, pattern, peak_rss_kib};
use scripted::{Listing, ScriptedServer, logged_in, send_file, serve_like_vsftpd, serve_loosely};

/// A spec for more connections to `server`, logged in as the tests are.
fn spec_for(server: &TestServer, folder: Option<String>) -> SessionSpec {
    SessionSpec {
        host: server.host.clone(),
        port: server.port,
        credentials: Some(Credentials {
            user: server.user.clone(),
            password: server.password.clone().into(),
            account: None,
        }),
        options: server.options(),
        transfer_type: TransferType::Binary,
        folder,
    }
}

/// Runs `plan` on `client` and up to `parallel - 1` more connections from
/// `spec`, without progress or Ctrl-C; returns the failures.
fn run_plan(client: &mut Client, spec: &SessionSpec, mut plan: batch::Plan, parallel: usize) -> Vec<batch::Failure> {
    let open = |number: usize| {
        spec.numbered(number).open().map_err(|e| batch::NotOpened {
            why: e.to_string(),
            too_many: false,
            transient: false,
        })
    };
    let none = AtomicBool::new(false);
    let options = batch::BatchOptions {
        parallel,
        retry: Default::default(),
        quiet: true,
        limit: None,
        hooks: plan.hooks.take(),
        continue_parts: false,
        verify: None,
        files: None,
        verbose: false,
    };
    batch::run_jobs(client, &open, plan, &options, &ProgressMode::Off, &none, &Mutex::new(Vec::new())).failures
}

/// Plans `get -r remote` into `local` and lists the whole tree at once, on
/// `client` ([`crate::tree::list_whole`]).
fn plan_whole(client: &mut Client, remote: &str, local: &std::path::Path) -> Result<batch::Plan, TransferError> {
    let warn: crate::tree::Warn = Box::new(|_| {});
    let plan = crate::tree::plan_download_tree(client, remote, local, &AtomicBool::new(false), warn)?;
    crate::tree::list_whole(plan, client)
}

// ---- from tests/trees.rs ----------------------------------------------

/// A listing of 400 MiB (about 5 million files) is not held, nor read to
/// its end: the file limit applies while it arrives, and the walk stops
/// with an error naming the folder.
#[test]
fn an_endless_listing_stops_at_the_limit_in_bounded_memory() {
    let server = ScriptedServer::start(|s| serve_like_vsftpd(s, vec![("/big", Listing::Endless(400 << 20))], vec![]));
    let mut client = Client::connect("127.0.0.1", server.port).unwrap();
    client.login("u", "p", None).unwrap();
    let local = tempfile::tempdir().unwrap();
    let before = peak_rss_kib();
    let result = plan_whole(&mut client, "big", &local.path().join("big"));
    let after = peak_rss_kib();
    let error = result.expect_err("the limit stops it");
    assert!(matches!(&error, TransferError::TreeStopped { folder, .. } if folder == "big"), "{error:?}");
    assert!(error.to_string().contains(&format!("more than {} files", batch::MAX_FILES)), "{error}");
    assert!(client.is_connected(), "the listing was aborted, the session kept");
    client.noop().expect("the session is in step");
    let _ = client.quit();
    server.finish();
    if let (Some(before), Some(after)) = (before, after) {
        let growth_mib = after.saturating_sub(before) as f64 / 1024.0;
        eprintln!("peak memory grew by {growth_mib:.1} MiB");
        assert!(growth_mib < 56.0, "peak memory grew by {growth_mib:.1} MiB planning a 400 MiB listing");
    }
}

/// A server whose listing format rftp does not read at all: the walk stops
/// after a bounded number of reported lines, naming one, rather than
/// collecting a failure per line forever.
#[test]
fn a_listing_in_an_unknown_format_stops_the_walk() {
    let lines: Vec<String> = (0..500).map(|i| format!("{i:04} some-format entry-{i}")).collect();
    let server = ScriptedServer::start(move |s| serve_like_vsftpd(s, vec![("/odd", Listing::Lines(lines))], vec![]));
    let mut client = Client::connect("127.0.0.1", server.port).unwrap();
    client.login("u", "p", None).unwrap();
    let local = tempfile::tempdir().unwrap();
    let result = plan_whole(&mut client, "odd", &local.path().join("odd"));
    let error = result.expect_err("too many unreadable lines stop it");
    let message = error.to_string();
    assert!(message.starts_with("odd: the tree is not transferred"), "{message}");
    assert!(message.contains(&format!("more than {} listing lines", batch::MAX_UNPARSED_LINES)), "{message}");
    assert!(message.contains("some-format entry-"), "one line is shown: {message}");
    client.noop().expect("the session is in step");
    let _ = client.quit();
    server.finish();
}

// ---- from tests/hostile_bytes.rs --------------------------------------

/// The same server through the protocol API and a listing's size: the
/// byte count against SIZE minus the offset.
#[test]
fn rest_ignored_with_a_size_from_a_listing() {
    let server = ScriptedServer::start(move |s| {
        serve_loosely(s, "220 scripted server", |s, line| match line {
            "REST 3" => Some("350 Restarting at 3".into()),
            "RETR f" => send_file(s, "150 go", b"abcdef"),
            _ => None,
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f");
    fs::write(dir.path().join("f.part"), b"abc").unwrap();
    let mut client = logged_in(server.port);
    client.set_transfer_type(TransferType::Binary);
    let target_spec = crate::transfer::LocalTarget::Path(target.clone());
    let mode = crate::progress::ProgressMode::Off;
    let err = crate::transfer::download_sized(&mut client, "f", &target_spec, true, mode, Some(6), None).unwrap_err();
    assert!(matches!(err.ftp(), Some(Error::RestIgnored { offset: 3, received: 6 })), "{err:?}");
    assert!(!target.exists());
    assert_eq!(fs::read(dir.path().join("f.part")).unwrap(), b"abc");
    client.quit().unwrap();
    server.finish();
}

// ---- resumed uploads (issue #12) -----------------------------------------

/// A batch's file (`LocalSource::Beneath`), as a retry resumes it: only the
/// rest is sent, from the file reached beneath its root; a link swapped in
/// at its name is refused, not followed, and the server's file is left.
#[test]
fn a_file_beneath_a_batch_root_resumes_its_upload() {
    use crate::localfs::{Beneath, Folder};
    use crate::transfer::{LocalSource, UploadMode};
    let server = TestServer::start();
    let local = tempfile::tempdir().unwrap();
    fs::create_dir(local.path().join("sub")).unwrap();
    let data = pattern(700_000);
    fs::write(local.path().join("sub/f.bin"), &data).unwrap();
    fs::write(server.root.join("f.bin"), &data[..250_000]).unwrap();
    let root = std::sync::Arc::new(Folder::open(local.path()).unwrap());
    let source = LocalSource::Beneath(Beneath::new(std::sync::Arc::clone(&root), "sub/f.bin"));
    let mut client = server.client();
    let report = transfer::upload(&mut client, &source, "f.bin", UploadMode::Resume, ProgressMode::Off, None).unwrap();
    assert_eq!(report.bytes, 450_000, "only the rest");
    assert_eq!(fs::read(server.root.join("f.bin")).unwrap(), data);

    fs::write(server.root.join("f.bin"), &data[..100]).unwrap();
    fs::write(local.path().join("elsewhere"), pattern(800_000)).unwrap();
    fs::remove_file(local.path().join("sub/f.bin")).unwrap();
    symlink(local.path().join("elsewhere"), local.path().join("sub/f.bin")).unwrap();
    let err = transfer::upload(&mut client, &source, "f.bin", UploadMode::Resume, ProgressMode::Off, None).unwrap_err();
    assert!(matches!(err, TransferError::Local { .. }), "{err:?}");
    assert_eq!(fs::read(server.root.join("f.bin")).unwrap(), &data[..100]);
    client.quit().unwrap();
}

// ---- from tests/local_paths.rs ----------------------------------------

/// A folder planned as a folder and swapped for a link before its files are
/// fetched (as a co-user could do mid-batch): the file fails, nothing lands
/// outside.
#[test]
fn a_folder_swapped_for_a_link_after_planning_is_not_followed() {
    let server = TestServer::start();
    fs::create_dir_all(server.root.join("tree/sub")).unwrap();
    fs::write(server.root.join("tree/top.txt"), b"top").unwrap();
    fs::write(server.root.join("tree/sub/inner.txt"), b"inner").unwrap();
    let local = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let mut client = server.client();
    client.set_transfer_type(crate::protocol::TransferType::Binary);
    let plan = plan_whole(&mut client, "tree", &local.path().join("tree")).unwrap();
    assert!(plan.failures.is_empty() && local.path().join("tree/sub").is_dir());

    fs::remove_dir(local.path().join("tree/sub")).unwrap();
    symlink(outside.path(), local.path().join("tree/sub")).unwrap();
    let failures = run_plan(&mut client, &spec_for(&server, None), plan, 1);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].what.ends_with("sub/inner.txt"), "{failures:?}");
    assert!(failures[0].error.contains("tree/sub is a symbolic link; not followed"), "{failures:?}");
    assert!(is_empty_dir(outside.path()), "nothing was written outside the tree");
    assert_eq!(fs::read(local.path().join("tree/top.txt")).unwrap(), b"top");
}

/// The upload side: a local folder swapped for a link after `put -r`
/// planned it is not read through.
#[test]
fn put_r_does_not_read_through_a_folder_swapped_for_a_link() {
    let server = TestServer::start();
    let local = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    fs::create_dir_all(local.path().join("tree/sub")).unwrap();
    fs::write(local.path().join("tree/top.txt"), b"top").unwrap();
    fs::write(local.path().join("tree/sub/inner.txt"), b"inner").unwrap();
    fs::write(outside.path().join("inner.txt"), b"not for the server").unwrap();
    let mut client = server.client();
    let none = AtomicBool::new(false);
    let plan = batch::plan_upload_tree(&mut client, &local.path().join("tree"), "up", &none, &mut |_| {}).unwrap();
    assert_eq!(plan.jobs.len(), 2);

    fs::remove_dir_all(local.path().join("tree/sub")).unwrap();
    symlink(outside.path(), local.path().join("tree/sub")).unwrap();
    let failures = run_plan(&mut client, &spec_for(&server, None), plan, 1);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].error.contains("tree/sub is a symbolic link; not followed"), "{failures:?}");
    assert!(!server.root.join("up/sub/inner.txt").exists(), "nothing from outside was sent");
    assert_eq!(fs::read(server.root.join("up/top.txt")).unwrap(), b"top");
}

/// The tests CI's interop run repeats against pyftpdlib and vsftpd
/// (`cargo test --bin rftp engine_tests::interop`), from `tests/interop.rs`.
mod interop {
    use super::*;

    #[test]
    fn whole_trees_down_and_up_on_parallel_connections() {
        let mut f = Fixture::new("tree");
        f.mkdir_local("tree");
        f.mkdir_local("tree/sub dir");
        f.mkdir_local("tree/sub dir/deeper");
        f.mkdir_local("tree/empty");
        f.put_local("tree/a.txt", b"a");
        f.put_local("tree/-dash", b"dash");
        f.put_local("tree/sub dir/b.bin", &pattern(1024 * 1024 + 1));
        f.put_local("tree/sub dir/deeper/c.txt", b"c");
        for i in 0..20 {
            f.put_local(&format!("tree/many-{i:02}.txt"), format!("file {i}").as_bytes());
        }
        std::os::unix::fs::symlink("/etc", f.dir.join("tree/link-out")).unwrap();
        // A loop: servers that show links as folders must not walk it forever.
        std::os::unix::fs::symlink(".", f.dir.join("tree/sub dir/loop")).unwrap();
        let local = tempfile::tempdir().unwrap();

        let mut warnings = Vec::new();
        let warn: crate::tree::Warn = Box::new(|_| {});
        let plan = crate::tree::plan_download_tree(
            &mut f.client,
            "tree",
            &local.path().join("tree"),
            &AtomicBool::new(false),
            warn,
        )
        .unwrap();
        let spec = spec_for(&f.server, Some(f.client.pwd().unwrap()));
        let failures = run_plan(&mut f.client, &spec, plan, 4);
        // The link is skipped when the listing shows it as a link; libunftp's
        // MLSD calls it a file and pyftpdlib's a folder, and then each refuses to
        // follow it (550).
        let is_link = |what: &str| what.ends_with("link-out") || what.ends_with("loop");
        let unexpected: Vec<_> = failures.iter().filter(|f| !(is_link(&f.what) && f.error.contains("550"))).collect();
        assert!(unexpected.is_empty(), "{unexpected:?}");
        assert!(!local.path().join("tree/link-out").exists() && !local.path().join("tree/link-out.part").exists());
        let mut expected = tree_contents(&f.dir.join("tree"));
        // The link is never followed: nothing of /etc arrives.
        expected.retain(|path, _| !path.starts_with("link-out") && !path.starts_with("sub dir/loop"));
        let got = tree_contents(&local.path().join("tree"));
        assert_eq!(got.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
        assert_eq!(got, expected);
        assert!(got.contains_key("empty"), "empty folders come too");

        // And back up, under another name.
        let plan = batch::plan_upload_tree(
            &mut f.client,
            &local.path().join("tree"),
            "uploaded",
            &AtomicBool::new(false),
            &mut |w| warnings.push(w),
        )
        .unwrap();
        let failures = run_plan(&mut f.client, &spec, plan, 3);
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(tree_contents(&f.dir.join("uploaded")), expected);
        // The session is still in step.
        f.client.noop().unwrap();
    }

    /// vsftpd lists a missing folder as an empty one: `get -r` must still find
    /// out, and a plain file is fetched as a file; the session stays in its folder.
    #[test]
    fn tree_sources_are_checked_against_the_real_server() {
        let mut f = Fixture::new("source");
        f.put_local("plain.txt", b"plain");
        let here = f.client.pwd().unwrap();
        let local = tempfile::tempdir().unwrap();
        let missing = local.path().join("missing");
        let plan = plan_whole(&mut f.client, "missing", &missing);
        assert!(matches!(plan, Err(TransferError::NoSuchSource { .. })), "{plan:?}");
        assert!(!missing.exists(), "nothing is made for a missing source");
        let plan = plan_whole(&mut f.client, "plain.txt", local.path()).unwrap();
        assert!(plan.plain_file && plan.jobs.len() == 1 && plan.failures.is_empty(), "{plan:?}");
        assert_eq!(f.client.pwd().unwrap(), here);
    }

    /// A resumed upload on a real server: the rest after REST (or APPE),
    /// the whole file when the server has none, nothing when it is whole.
    #[test]
    fn an_upload_resumes_on_a_real_server() {
        use crate::transfer::{LocalSource, UploadMode};
        let mut f = Fixture::new("reput");
        let data = pattern(600_000);
        f.put_local("f.bin", &data[..200_000]);
        let local = tempfile::tempdir().unwrap();
        let path = local.path().join("f.bin");
        std::fs::write(&path, &data).unwrap();
        let source = LocalSource::Path(path);
        let mut resume =
            |remote| transfer::upload(&mut f.client, &source, remote, UploadMode::Resume, ProgressMode::Off, None);
        let report = resume("f.bin").unwrap();
        assert_eq!((report.bytes, report.already_complete), (400_000, false));
        let report = resume("f.bin").unwrap();
        assert_eq!((report.bytes, report.already_complete), (0, true));
        let report = resume("new.bin").unwrap();
        assert_eq!((report.bytes, report.already_complete), (600_000, false));
        assert!(f.read_local("f.bin") == data && f.read_local("new.bin") == data);
    }

    /// A `.part` of an older version of a file (its identity recorded beside it)
    /// is not joined to the new version: the download starts over.
    #[test]
    fn a_part_of_an_older_version_starts_over_on_a_real_server() {
        let mut f = Fixture::new("identity");
        let new = pattern(200_000);
        f.put_local("f.bin", &new);
        let local = tempfile::tempdir().unwrap();
        let target = local.path().join("f.bin");
        // What an earlier rftp left: the first bytes of another version, and
        // that version's size and time.
        std::fs::write(local.path().join("f.bin.part"), vec![0u8; 50_000]).unwrap();
        std::fs::write(
            local.path().join("f.bin.part.meta"),
            "rftp partial download\nsize 200000\nmodify 20000101000000.000000000\n",
        )
        .unwrap();
        transfer::download(&mut f.client, "f.bin", &LocalTarget::Path(target.clone()), true, ProgressMode::Off, None)
            .unwrap();
        assert!(std::fs::read(&target).unwrap() == new, "the old beginning was kept");
        assert!(!local.path().join("f.bin.part.meta").exists());
    }
    // ---- from tests/interop.rs --------------------------------------------

    /// Every file and folder under `root`, with file contents, symlinks left out.
    fn tree_contents(root: &std::path::Path) -> std::collections::BTreeMap<String, Option<Vec<u8>>> {
        let mut found = std::collections::BTreeMap::new();
        let mut folders = vec![root.to_path_buf()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let entry = entry.unwrap();
                let path = entry.path();
                let relative = path.strip_prefix(root).unwrap().display().to_string();
                let kind = entry.file_type().unwrap();
                if kind.is_dir() {
                    found.insert(relative, None);
                    folders.push(path);
                } else if kind.is_file() {
                    found.insert(relative, Some(std::fs::read(&path).unwrap()));
                }
            }
        }
        found
    }
}
