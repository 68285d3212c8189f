//! Nothing is written or read outside what the user named: batches never
//! follow a local link beneath their folder, uploads refuse links, a link at
//! a download's name is replaced rather than written through, a replaced
//! file keeps its permission bits, and a `.part` is continued only from the
//! same version of the server's file.

mod common;
mod scripted;

use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::time::{Duration, SystemTime};

use common::sandbox::{Sandbox, run_script, text};
use common::{TestServer, is_empty_dir, pattern, url};
use scripted::ScriptedServer;

#[test]
fn get_r_never_writes_through_a_local_folder_that_is_a_link() {
    let server = TestServer::start();
    fs::create_dir_all(server.root.join("tree/sub")).unwrap();
    fs::write(server.root.join("tree/top.txt"), b"top").unwrap();
    fs::write(server.root.join("tree/sub/inner.txt"), b"inner").unwrap();
    let sandbox = Sandbox::new();
    let outside = tempfile::tempdir().unwrap();
    fs::create_dir(sandbox.local_file("tree")).unwrap();
    symlink(outside.path(), sandbox.local_file("tree/sub")).unwrap();

    let out = run_script(&sandbox, &server, "get -r tree\n");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("tree/sub is a symbolic link; not followed"), "{stderr}");
    assert!(is_empty_dir(outside.path()), "nothing was written outside the tree");
    assert_eq!(fs::read(sandbox.local_file("tree/top.txt")).unwrap(), b"top", "the rest arrived");
    assert!(fs::symlink_metadata(sandbox.local_file("tree/sub")).unwrap().is_symlink());
}

#[test]
fn mget_replaces_a_link_at_a_files_name() {
    let server = TestServer::start();
    fs::write(server.root.join("a.txt"), b"new a").unwrap();
    let sandbox = Sandbox::new();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    fs::write(&victim, b"victim").unwrap();
    symlink(&victim, sandbox.local_file("a.txt")).unwrap();

    let out = run_script(&sandbox, &server, "mget a.txt\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(&victim).unwrap(), b"victim");
    assert!(fs::symlink_metadata(sandbox.local_file("a.txt")).unwrap().is_file());
    assert_eq!(fs::read(sandbox.local_file("a.txt")).unwrap(), b"new a");
}

#[test]
fn uploads_refuse_a_symbolic_link() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret"), b"not for the server").unwrap();
    symlink(outside.path().join("secret"), sandbox.local_file("link")).unwrap();

    let out = run_script(&sandbox, &server, "put link\nmput link\nput link other\n");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.matches("link is a symbolic link; not followed").count(), 3, "{stderr}");
    let out = sandbox.run(&["put", "link", &url(&server, "")], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("cannot upload link: link is a symbolic link"), "{}", text(&out.stderr));
    assert!(!server.root.join("link").exists() && !server.root.join("other").exists(), "nothing was sent");
}

#[test]
fn get_onto_a_link_replaces_the_link_and_leaves_its_target_alone() {
    let server = TestServer::start();
    fs::write(server.root.join("f.txt"), b"downloaded").unwrap();
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("victim"), b"victim").unwrap();
    symlink(sandbox.local_file("victim"), sandbox.local_file("out")).unwrap();
    // A link to a device is the user's way to name it (`/dev/stdout`): written through.
    symlink("/dev/null", sandbox.local_file("null")).unwrap();

    let out = sandbox.run(&["get", &url(&server, "f.txt"), "-o", "out"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("victim")).unwrap(), b"victim");
    assert!(fs::symlink_metadata(sandbox.local_file("out")).unwrap().is_file());
    assert_eq!(fs::read(sandbox.local_file("out")).unwrap(), b"downloaded");

    let out = sandbox.run(&["get", &url(&server, "f.txt"), "-o", "null"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(fs::symlink_metadata(sandbox.local_file("null")).unwrap().is_symlink());
    assert!(!sandbox.local_file("null.part").exists());
}

#[test]
fn downloading_over_a_file_keeps_its_permission_bits() {
    let server = TestServer::start();
    fs::write(server.root.join("secret.txt"), b"new secret").unwrap();
    fs::write(server.root.join("script.sh"), b"#!/bin/sh\n").unwrap();
    let sandbox = Sandbox::new();
    for (name, mode) in [("secret.txt", 0o600), ("script.sh", 0o751)] {
        fs::write(sandbox.local_file(name), b"old").unwrap();
        fs::set_permissions(sandbox.local_file(name), fs::Permissions::from_mode(mode)).unwrap();
    }

    let out = run_script(&sandbox, &server, "get secret.txt\nmget script.sh\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mode = |name: &str| fs::metadata(sandbox.local_file(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!(fs::read(sandbox.local_file("secret.txt")).unwrap(), b"new secret");
    assert_eq!(mode("secret.txt"), 0o600);
    assert_eq!(mode("script.sh"), 0o751);
}

/// Writes `NAME.part` holding `prefix` and its sidecar `NAME.part.meta`
/// naming the server's file as it is now (its SIZE and MDTM), as a
/// download cut short would have left them.
fn leave_partial_download(server: &TestServer, sandbox: &Sandbox, name: &str, prefix: &[u8]) {
    let mut client = server.client();
    let size = client.size(name).unwrap().unwrap();
    let t = client.mdtm(name).unwrap();
    let _ = client.quit();
    fs::write(sandbox.local_file(&format!("{name}.part")), prefix).unwrap();
    let meta = format!(
        "rftp partial download\nsize {size}\nmodify {:04}{:02}{:02}{:02}{:02}{:02}.{:09}\n",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanos
    );
    fs::write(sandbox.local_file(&format!("{name}.part.meta")), meta).unwrap();
}

#[test]
fn a_part_of_an_older_version_is_not_joined_to_the_new_one() {
    let server = TestServer::start();
    let old = pattern(200_000);
    // The same size: only the modification time tells the versions apart.
    let new: Vec<u8> = old.iter().map(|b| b.wrapping_add(1)).collect();
    let remote = server.root.join("data.bin");
    fs::write(&remote, &old).unwrap();
    let sandbox = Sandbox::new();
    leave_partial_download(&server, &sandbox, "data.bin", &old[..80_000]);

    // The file is written anew on the server between the two runs.
    fs::write(&remote, &new).unwrap();
    let later = SystemTime::now() + Duration::from_secs(3600);
    fs::File::options().write(true).open(&remote).unwrap().set_modified(later).unwrap();

    let out = sandbox.run(&["get", "-c", &url(&server, "data.bin")], "");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("data.bin changed on the server since data.bin.part was started"), "{stderr}");
    assert!(fs::read(sandbox.local_file("data.bin")).unwrap() == new, "exactly the new file");
    assert!(!sandbox.local_file("data.bin.part").exists() && !sandbox.local_file("data.bin.part.meta").exists());
}

#[test]
fn a_part_of_the_same_version_is_resumed() {
    let server = TestServer::start();
    let data = pattern(200_000);
    fs::write(server.root.join("data.bin"), &data).unwrap();
    let sandbox = Sandbox::new();
    leave_partial_download(&server, &sandbox, "data.bin", &data[..80_000]);
    // Marked, so that a download from the start would show.
    let mut part = fs::OpenOptions::new().write(true).open(sandbox.local_file("data.bin.part")).unwrap();
    part.write_all(b"KEPT").unwrap();
    drop(part);

    let out = sandbox.run(&["get", "-c", &url(&server, "data.bin")], "");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("changed"), "{stderr}");
    let got = fs::read(sandbox.local_file("data.bin")).unwrap();
    assert_eq!(&got[..4], b"KEPT", "the .part was continued");
    assert!(got[4..] == data[4..]);
    assert!(!sandbox.local_file("data.bin.part.meta").exists());
}

/// The whole story against a scripted server: a cut download leaves its
/// `.part` and the file's identity; the file changes (same size, new time);
/// `reget` starts over without REST and ends with exactly the new file.
#[test]
fn reget_starts_over_when_the_server_file_changed() {
    let old = pattern(100_000);
    let new: Vec<u8> = old.iter().map(|b| b ^ 0xff).collect();
    let (old_part, new_whole) = (old[..30_000].to_vec(), new.clone());
    let server = ScriptedServer::start(move |s| {
        s.greet_login_binary();
        s.answer_size_and_mdtm("data.bin", 100_000, "20261201101010");
        s.answer_epsv();
        s.expect("RETR data.bin");
        s.send("150 go");
        s.accept_data().write_all(&old_part).unwrap();
        s.send("426 Connection closed; transfer aborted.");
        // The file was replaced on the server: same size, newer.
        s.answer_size_and_mdtm("data.bin", 100_000, "20261201111111");
        s.answer_epsv();
        s.expect("RETR data.bin");
        s.send("150 go");
        s.accept_data().write_all(&new_whole).unwrap();
        s.send("226 done");
        s.drain();
    });
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = sandbox.run(
        &["-n", "--retries", "0", "127.0.0.1", &port],
        "user u p\nget data.bin\n!cat data.bin.part.meta\nreget data.bin\n",
    );
    let commands = server.finish();
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(stdout.contains("size 100000\nmodify 20261201101010"), "the identity was kept: {stdout}");
    assert!(stderr.contains("data.bin changed on the server since data.bin.part was started"), "{stderr}");
    assert!(!commands.iter().any(|c| c.starts_with("REST")), "{commands:?}");
    assert!(fs::read(sandbox.local_file("data.bin")).unwrap() == new, "exactly the new file");
    assert!(!sandbox.local_file("data.bin.part").exists() && !sandbox.local_file("data.bin.part.meta").exists());
    assert_eq!(out.status.code(), Some(1), "the cut get counts, the reget succeeded: {stderr}");
}

#[test]
fn the_folder_the_user_named_may_be_a_link() {
    let server = TestServer::start();
    fs::create_dir_all(server.root.join("tree/sub")).unwrap();
    fs::write(server.root.join("tree/sub/inner.txt"), b"inner").unwrap();
    let sandbox = Sandbox::new();
    let elsewhere = tempfile::tempdir().unwrap();
    symlink(elsewhere.path(), sandbox.local_file("dest")).unwrap();

    let out = run_script(&sandbox, &server, "get -r tree dest\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(elsewhere.path().join("sub/inner.txt")).unwrap(), b"inner");
}

#[test]
fn a_file_named_like_a_sidecar_that_rftp_did_not_write_is_left_alone() {
    let server = TestServer::start();
    fs::write(server.root.join("x"), b"x").unwrap();
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("x.part.meta"), b"my own notes").unwrap();

    let out = run_script(&sandbox, &server, "get x\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("x")).unwrap(), b"x");
    assert_eq!(fs::read(sandbox.local_file("x.part.meta")).unwrap(), b"my own notes");
}

/// `/dev/stdout` is a link (to `/proc/self/fd/1`): written through when it
/// leads to a pipe, and refused, not replaced, when it leads to a file.
#[test]
fn dev_stdout_is_written_through_or_refused_never_replaced() {
    let server = TestServer::start();
    fs::write(server.root.join("f.txt"), b"to stdout").unwrap();
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", &url(&server, "f.txt"), "-o", "/dev/stdout"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, b"to stdout");

    let into = fs::File::create(sandbox.local_file("out.txt")).unwrap();
    let out = sandbox.command(&["get", &url(&server, "f.txt"), "-o", "/dev/stdout"]).stdout(into).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("a link to an open file; `-` writes to standard output"),
        "{}",
        text(&out.stderr)
    );
    assert!(fs::symlink_metadata("/dev/stdout").unwrap().is_symlink());
}
