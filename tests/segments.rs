//! Segmented downloads (`get --segments N`, and the default for big files):
//! byte-identical files from several ranges at once, the fallback to one
//! connection when the server refuses ranges, and resuming after a cut,
//! against the embedded server and scripted ones.

mod common;
mod scripted;

use std::fs;

use common::sandbox::{Sandbox, text};
use common::{TestServer, pattern, url};

/// The RETR commands (and the REST before each) that rftp's `-d` output shows it sent.
fn rests_sent(stderr: &[u8]) -> Vec<String> {
    text(stderr).lines().filter(|l| l.contains("*cmd* REST ")).map(|l| l.to_string()).collect()
}

#[test]
fn segmented_downloads_are_byte_identical_for_odd_sizes() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    // Sizes not divisible by the count, smaller than it, and one byte.
    for (size, count) in [(1_000_003usize, "3"), (777_777, "4"), (3, "4"), (1, "3"), (2_000_000, "4")] {
        let name = format!("odd-{size}.bin");
        let data = pattern(size);
        fs::write(server.root.join(&name), &data).unwrap();
        let out = sandbox.run(&["-d", "get", "--segments", count, &url(&server, &name)], "");
        assert!(out.status.success(), "{size}: {}", text(&out.stderr));
        assert_eq!(fs::read(sandbox.local.join(&name)).unwrap(), data, "{size} in {count}");
        let wanted: usize = count.parse().unwrap();
        assert_eq!(rests_sent(&out.stderr).len(), wanted.min(size) - 1, "{size}: {}", text(&out.stderr));
        assert!(!sandbox.local.join(format!("{name}.part")).exists());
        assert!(!sandbox.local.join(format!("{name}.part.meta")).exists());
    }
}

#[test]
fn an_empty_file_downloads_with_segments_asked() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("empty.bin"), b"").unwrap();
    fs::write(sandbox.local.join("empty.bin"), b"old contents").unwrap();
    let out = sandbox.run(&["get", "--segments", "4", &url(&server, "empty.bin")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("empty.bin")).unwrap(), b"");
}

#[test]
fn big_files_are_split_by_default_and_segments_1_turns_it_off() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = pattern(600_001);
    fs::write(server.root.join("big.bin"), &data).unwrap();
    fs::write(server.root.join("small.bin"), &data[..1000]).unwrap();
    let threshold = [("RFTP_SEGMENT_THRESHOLD", "500000")];

    let out = sandbox.run_with_env(&["-d", "get", &url(&server, "big.bin")], "", &threshold);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("big.bin")).unwrap(), data);
    assert_eq!(rests_sent(&out.stderr).len(), 3, "4 ranges by default: {}", text(&out.stderr));

    // Within -j: two connections make two ranges.
    fs::remove_file(sandbox.local.join("big.bin")).unwrap();
    let out = sandbox.run_with_env(&["-d", "-j", "2", "get", &url(&server, "big.bin")], "", &threshold);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("big.bin")).unwrap(), data);
    assert_eq!(rests_sent(&out.stderr).len(), 1, "{}", text(&out.stderr));

    fs::remove_file(sandbox.local.join("big.bin")).unwrap();
    let out = sandbox.run_with_env(&["-d", "get", "--segments", "1", &url(&server, "big.bin")], "", &threshold);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("big.bin")).unwrap(), data);
    assert!(rests_sent(&out.stderr).is_empty(), "{}", text(&out.stderr));

    // Below the threshold, and to standard output, one connection.
    let out = sandbox.run_with_env(&["-d", "get", &url(&server, "small.bin")], "", &threshold);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(rests_sent(&out.stderr).is_empty(), "{}", text(&out.stderr));
    let out = sandbox.run_with_env(&["-d", "get", "-o", "-", &url(&server, "big.bin")], "", &threshold);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, data);
    assert!(rests_sent(&out.stderr).is_empty(), "{}", text(&out.stderr));
}
