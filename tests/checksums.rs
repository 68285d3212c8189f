//! Checksums (issue #13): the shell's `checksum FILE`, and `--verify` on
//! `get` and `put` (single files, `-r`, `mget`, `mput`), run as a user
//! would run them. The scripted server plays each family of hash command
//! (HASH with OPTS HASH, XSHA256, XMD5 found by asking, XCRC), wrong and
//! malformed answers, and none at all; the embedded server has none, so
//! `--verify` there checks sizes and says so once.

mod common;
mod scripted;

use std::fs;

use common::sandbox::{Sandbox, run_script, shell, text};
use common::{TestServer, pattern};
use scripted::{Files, ScriptedServer, digest_hex, files, serve_with_checksums};

/// What `--verify` says where the server has no checksum command.
const NO_HASH_NOTE: &str = "rftp: the server offers no checksum command; --verify checks sizes only";

fn url(port: u16, name: &str) -> String {
    format!("ftp://u:p@127.0.0.1:{port}/{name}")
}

/// The file a command line names (`XMD5 /f.bin` → `f.bin`).
fn named(line: &str) -> String {
    line.split_once(' ').map(|(_, name)| name.trim_start_matches('/').to_string()).unwrap_or_default()
}

/// `250 <hex>`: the right answer of an X command with `algorithm`.
fn x_answer(algorithm: &str, line: &str, files: &Files) -> String {
    let data = files.lock().unwrap().get(&named(line)).cloned().unwrap_or_default();
    format!("250 {}", digest_hex(algorithm, &data))
}

fn count(received: &[String], prefix: &str) -> usize {
    received.iter().filter(|line| line.starts_with(prefix)).count()
}

/// A server that announces XSHA256 and answers the `wrong` first ones with
/// the checksum of other bytes.
fn xsha256_wrong_first(store: Files, wrong: usize) -> ScriptedServer {
    ScriptedServer::start(move |s| {
        let mut asked = 0;
        serve_with_checksums(s, &["XSHA256"], store, move |line, files| {
            if !line.starts_with("XSHA256 ") {
                return None;
            }
            asked += 1;
            if asked <= wrong {
                Some(format!("250 {}", digest_hex("SHA-256", b"other")))
            } else {
                Some(x_answer("SHA-256", line, files))
            }
        });
    })
}

#[test]
fn hash_is_switched_to_sha256_with_opts_and_checks_a_download() {
    let data = pattern(100_000);
    let store = files(&[("f.bin", &data)]);
    let server = ScriptedServer::start(move |s| {
        let mut current = "SHA-1".to_string();
        serve_with_checksums(s, &["HASH SHA-1*;SHA-256;MD5"], store, move |line, files| {
            if let Some(name) = line.strip_prefix("OPTS HASH ") {
                current = name.to_string();
                return Some(format!("200 {name}"));
            }
            line.starts_with("HASH ").then(|| {
                let data = files.lock().unwrap()[&named(line)].clone();
                format!("213 {current} 0-{} {} {}", data.len(), digest_hex(&current, &data), named(line))
            })
        });
    });
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--verify", &url(server.port, "f.bin")], "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    assert_eq!(fs::read(sandbox.local_file("f.bin")).unwrap(), data);
    assert_eq!(count(&received, "OPTS HASH SHA-256"), 1, "{received:?}");
    assert_eq!(count(&received, "HASH f.bin"), 1, "{received:?}");
    assert_eq!(count(&received, "X"), 0, "{received:?}");
}

#[test]
fn xsha256_alone_checks_an_upload() {
    let store = files(&[]);
    let server = {
        let store = store.clone();
        ScriptedServer::start(move |s| {
            serve_with_checksums(s, &["XSHA256", "SIZE"], store, |line, files| {
                line.starts_with("XSHA256 ").then(|| x_answer("SHA-256", line, files))
            });
        })
    };
    let sandbox = Sandbox::new();
    let data = pattern(70_000);
    fs::write(sandbox.local_file("up.bin"), &data).unwrap();
    let out = sandbox.run(&["put", "--verify", "up.bin", &url(server.port, "up.bin")], "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    assert_eq!(store.lock().unwrap()["up.bin"], data);
    assert_eq!(count(&received, "XSHA256 up.bin"), 1, "{received:?}");
    assert_eq!(count(&received, "X") + count(&received, "HASH"), 1, "{received:?}");
}

/// FEAT refused: each X command is asked once, the strongest first; the
/// ones refused with 500 are not asked again for the second file.
#[test]
fn xmd5_is_found_by_asking_and_the_refusals_are_remembered() {
    let (a, b) = (pattern(5_000), pattern(9_000));
    let store = files(&[("a.bin", &a), ("b.bin", &b)]);
    let server = ScriptedServer::start(move |s| {
        serve_with_checksums(s, &[], store, |line, files| {
            line.starts_with("XMD5 ").then(|| x_answer("MD5", line, files))
        });
    });
    let sandbox = Sandbox::new();
    let out =
        sandbox.run(&["get", "--verify", &url(server.port, "a.bin"), &url(server.port, "b.bin"), "-o", "into/"], "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    assert_eq!(fs::read(sandbox.local_file("into/b.bin")).unwrap(), b);
    assert_eq!(count(&received, "XSHA256 "), 1, "{received:?}");
    assert_eq!(count(&received, "XSHA1 "), 1, "{received:?}");
    assert_eq!(count(&received, "XMD5 "), 2, "{received:?}");
    assert_eq!(count(&received, "XCRC "), 0, "{received:?}");
}

#[test]
fn xcrc_alone_checks_a_shell_upload_in_upper_case_hex() {
    let store = files(&[]);
    let server = {
        let store = store.clone();
        ScriptedServer::start(move |s| {
            serve_with_checksums(s, &["XCRC"], store, |line, files| {
                line.starts_with("XCRC ").then(|| x_answer("CRC32", line, files).to_ascii_uppercase())
            });
        })
    };
    let sandbox = Sandbox::new();
    let data = pattern(33_333);
    fs::write(sandbox.local_file("up.bin"), &data).unwrap();
    let out = shell(&sandbox, server.port, "put --verify up.bin\n");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    assert_eq!(store.lock().unwrap()["up.bin"], data);
    assert_eq!(count(&received, "XCRC up.bin"), 1, "{received:?}");
    assert_eq!(count(&received, "X"), 1, "FEAT named XCRC alone, so nothing else is asked: {received:?}");
}

#[test]
fn a_wrong_checksum_once_is_fetched_again_and_then_matches() {
    let data = pattern(50_000);
    let server = xsha256_wrong_first(files(&[("f.bin", &data)]), 1);
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--verify", &url(server.port, "f.bin")], "");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("f.bin")).unwrap(), data);
    assert_eq!(count(&received, "RETR"), 2, "{received:?}");
    assert!(stderr.contains("SHA-256 checksums differ") && stderr.contains("transferring it again"), "{stderr}");
}

#[test]
fn a_checksum_always_wrong_fails_the_upload_naming_both_values() {
    let store = files(&[]);
    let server = xsha256_wrong_first(store.clone(), usize::MAX);
    let sandbox = Sandbox::new();
    let data = pattern(20_000);
    fs::write(sandbox.local_file("up.bin"), &data).unwrap();
    let out = sandbox.run(&["put", "--verify", "up.bin", &url(server.port, "up.bin")], "");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(count(&received, "STOR"), 2, "{received:?}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains(&digest_hex("SHA-256", b"other")), "{stderr}");
    assert!(last.contains(&digest_hex("SHA-256", &data)) && last.contains("up.bin"), "{stderr}");
}

#[test]
fn a_batch_fetches_a_file_again_after_a_wrong_checksum() {
    let data = pattern(40_000);
    let server = xsha256_wrong_first(files(&[("f.bin", &data)]), 1);
    let sandbox = Sandbox::new();
    let out = shell(&sandbox, server.port, "mget --verify f.bin\n");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("f.bin")).unwrap(), data);
    assert_eq!(count(&received, "RETR"), 2, "{received:?}");
    assert!(stderr.contains("transferring it again"), "{stderr}");
}

#[test]
fn without_a_checksum_command_verify_says_so_once_and_compares_sizes() {
    let (a, b) = (pattern(1_000), pattern(2_000));
    let server = ScriptedServer::start(move |s| {
        serve_with_checksums(s, &[], files(&[("a.bin", &a), ("b.bin", &b)]), |_, _| None);
    });
    let sandbox = Sandbox::new();
    let out =
        sandbox.run(&["get", "--verify", &url(server.port, "a.bin"), &url(server.port, "b.bin"), "-o", "into/"], "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), format!("{NO_HASH_NOTE}\n"));
    for verb in ["XSHA256 ", "XSHA1 ", "XMD5 ", "XCRC "] {
        assert_eq!(count(&received, verb), 1, "asked once: {received:?}");
    }
    // SIZE before each download, and again to compare after it.
    assert_eq!(count(&received, "SIZE"), 4, "{received:?}");
}

/// A server that keeps one byte less than it was sent: without a checksum
/// command, the sizes tell, and the upload is sent again, then fails.
#[test]
fn without_a_checksum_command_a_size_that_differs_fails() {
    let store = files(&[]);
    let server = ScriptedServer::start(move |s| {
        serve_with_checksums(s, &[], store, |line, files| {
            let held = files.lock().unwrap().get(&named(line)).map(Vec::len)?;
            line.starts_with("SIZE ").then(|| format!("213 {}", held - 1))
        });
    });
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("up.bin"), pattern(3_000)).unwrap();
    let out = sandbox.run(&["put", "--verify", "up.bin", &url(server.port, "up.bin")], "");
    let received = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(count(&received, "STOR"), 2, "{received:?}");
    assert!(stderr.contains("sizes differ") && stderr.contains("2999") && stderr.contains("3000"), "{stderr}");
}

#[test]
fn a_malformed_checksum_reply_is_an_error_not_a_panic() {
    let data = pattern(1_000);
    let server = ScriptedServer::start(move |s| {
        serve_with_checksums(s, &["XSHA256"], files(&[("f.bin", &data)]), |line, _| {
            line.starts_with("XSHA256").then(|| "250 d41d8cd98f00b204e9800998ecf8427e".to_string())
        });
    });
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--verify", &url(server.port, "f.bin")], "");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("malformed XSHA256 reply for f.bin (no SHA-256 value): 250 d41d8cd9"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn checksum_in_the_shell_prints_the_servers_algorithm_and_value() {
    let data = pattern(12_345);
    let hex = digest_hex("SHA-256", &data);
    let server = ScriptedServer::start(move |s| {
        serve_with_checksums(s, &["HASH SHA-256*;MD5"], files(&[("f.bin", &data)]), |line, files| {
            let data = files.lock().unwrap().get(&named(line)).cloned()?;
            line.starts_with("HASH ")
                .then(|| format!("213 SHA-256 0-{} {} f.bin", data.len(), digest_hex("SHA-256", &data)))
        });
    });
    let sandbox = Sandbox::new();
    let out = shell(&sandbox, server.port, "checksum f.bin\n");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("SHA-256 {hex}  f.bin\n"));
    assert_eq!(count(&received, "OPTS"), 0, "SHA-256 was in force already: {received:?}");
}

#[test]
fn checksum_in_the_shell_reports_no_command_and_malformed_replies() {
    let server = ScriptedServer::start(move |s| {
        serve_with_checksums(s, &["HASH SHA-256*"], files(&[]), |line, _| {
            line.starts_with("HASH ").then(|| "213 SHA-256 0-3 zz".to_string())
        });
    });
    let sandbox = Sandbox::new();
    let out = shell(&sandbox, server.port, "checksum f.bin\npwd\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("malformed HASH reply for f.bin: 213 SHA-256 0-3 zz"), "{stderr}");
    assert_eq!(text(&out.stdout), "/\n", "the shell goes on");

    let server = ScriptedServer::start(move |s| serve_with_checksums(s, &[], files(&[]), |_, _| None));
    let out = shell(&sandbox, server.port, "checksum f.bin\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("checksum f.bin: the server offers no checksum command"), "{stderr}");
}

#[test]
fn get_and_put_verify_against_the_embedded_server_say_the_note_once() {
    let server = TestServer::start();
    if !server.is_embedded() {
        return;
    }
    let sandbox = Sandbox::new();
    let data = pattern(300_000);
    fs::write(server.root.join("down.bin"), &data).unwrap();
    let out = sandbox.run(&["get", "--verify", &common::url(&server, "down.bin")], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), format!("{NO_HASH_NOTE}\n"));
    assert_eq!(fs::read(sandbox.local_file("down.bin")).unwrap(), data);

    fs::write(sandbox.local_file("up.bin"), &data).unwrap();
    fs::write(sandbox.local_file("up2.bin"), b"second").unwrap();
    let out = sandbox.run(&["put", "--verify", "up.bin", "up2.bin", &common::url(&server, "")], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), format!("{NO_HASH_NOTE}\n"), "once for both files");
    assert_eq!(fs::read(server.root.join("up.bin")).unwrap(), data);
}

#[test]
fn trees_and_the_shell_verify_against_the_embedded_server() {
    let server = TestServer::start();
    if !server.is_embedded() {
        return;
    }
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("tree/sub")).unwrap();
    for name in ["tree/a", "tree/b", "tree/sub/c"] {
        fs::write(server.root.join(name), name.as_bytes()).unwrap();
    }
    let out = sandbox.run(&["get", "-r", "--verify", &common::url(&server, "tree/")], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let (note, summary) = stderr.split_once('\n').unwrap_or_default();
    assert_eq!(note, NO_HASH_NOTE, "once for the whole tree: {stderr}");
    assert!(summary.starts_with("3 files, 22 B in ") && summary.lines().count() == 1, "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("tree/sub/c")).unwrap(), b"tree/sub/c");

    let out = run_script(&sandbox, &server, "put -r --verify tree copy\nascii\nget --verify tree/a a.txt\n");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(fs::read(server.root.join("copy/sub/c")).unwrap(), b"tree/sub/c");
    assert!(stderr.contains(NO_HASH_NOTE), "{stderr}");
    assert!(stderr.contains("--verify checks nothing in ASCII mode"), "{stderr}");
}

/// A server that refuses `OPTS HASH`: its own algorithm (SHA-1 here) is
/// used, and OPTS is not sent again for the next file.
#[test]
fn a_refused_opts_hash_leaves_the_servers_algorithm() {
    let (a, b) = (pattern(4_000), pattern(6_000));
    let store = files(&[("a.bin", &a), ("b.bin", &b)]);
    let server = ScriptedServer::start(move |s| {
        serve_with_checksums(s, &["HASH SHA-1*;SHA-256"], store, |line, files| {
            if line.starts_with("OPTS HASH") {
                return Some("501 not changing that".into());
            }
            let data = files.lock().unwrap().get(&named(line)).cloned()?;
            line.starts_with("HASH ").then(|| format!("213 SHA-1 0-{} {} x", data.len(), digest_hex("SHA-1", &data)))
        });
    });
    let sandbox = Sandbox::new();
    let out =
        sandbox.run(&["get", "--verify", &url(server.port, "a.bin"), &url(server.port, "b.bin"), "-o", "into/"], "");
    let received = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    assert_eq!(count(&received, "OPTS HASH"), 1, "{received:?}");
    assert_eq!(count(&received, "HASH "), 2, "{received:?}");
}

#[test]
fn verify_needs_a_local_file() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--verify", "ftp://127.0.0.1:1/f", "-o", "-"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--verify needs a local file to compare, not standard output"));
    let out = sandbox.run(&["put", "--verify", "-", "ftp://127.0.0.1:1/f"], "data");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--verify needs a local file to compare, not standard input"));
}
