//! `--limit-rate` and the shell's `rate` (issue #12): the data of a command
//! moves no faster than the limit, across all its connections, byte-exact;
//! without a limit it moves as fast as before; Ctrl-C ends a wait at once.
//! Against the embedded server; each run moves 2 MiB at 1 MiB/s (about 2 s).

mod common;

use std::fs;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, run_script, text};
use common::{Fixture, TestServer, pattern, url};

const SIZE: usize = 2 << 20;

/// Runs `rftp ARGS` in `sandbox`; its output and how long it took.
fn timed(sandbox: &Sandbox, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = sandbox.run(args, "");
    (out, started.elapsed())
}

#[test]
fn get_moves_no_faster_than_the_limit_and_byte_exact() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = pattern(SIZE);
    fs::write(server.root.join("big.bin"), &data).unwrap();
    let source = url(&server, "big.bin");

    let (out, free) = timed(&sandbox, &["get", &source, "-o", "free.bin"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (out, limited) = timed(&sandbox, &["--limit-rate", "1M", "get", &source, "-o", "limited.bin"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // 2 MiB at 1 MiB/s, less the tenth of a second the bucket starts with.
    assert!(limited >= Duration::from_millis(1600), "{limited:?}");
    assert!(limited < Duration::from_secs(6), "{limited:?}");
    assert!(free * 3 < limited, "without a limit: {free:?}, with: {limited:?}");
    assert!(fs::read(sandbox.local_file("limited.bin")).unwrap() == data);
    assert!(fs::read(sandbox.local_file("free.bin")).unwrap() == data);

    // A device (spliced without a limit) and standard output are paced too.
    let (out, limited) = timed(&sandbox, &["--limit-rate", "1M", "get", &source, "-o", "/dev/null"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(limited >= Duration::from_millis(1600), "{limited:?}");
    let (out, limited) = timed(&sandbox, &["--limit-rate", "1M", "get", &source, "-o", "-"]);
    assert!(out.stdout == data, "{}", text(&out.stderr));
    assert!(limited >= Duration::from_millis(1600), "{limited:?}");
}

#[test]
fn put_moves_no_faster_than_the_limit_and_byte_exact() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = pattern(SIZE);
    let local = sandbox.local_file("big.bin");
    fs::write(&local, &data).unwrap();
    let local = local.to_str().unwrap();

    let (out, free) = timed(&sandbox, &["put", local, &url(&server, "free.bin")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (out, limited) = timed(&sandbox, &["--limit-rate", "1M", "put", local, &url(&server, "limited.bin")]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    assert!(limited >= Duration::from_millis(1600), "{limited:?}");
    assert!(limited < Duration::from_secs(6), "{limited:?}");
    assert!(free * 3 < limited, "without a limit: {free:?}, with: {limited:?}");
    assert!(fs::read(server.root.join("limited.bin")).unwrap() == data);
    assert!(fs::read(server.root.join("free.bin")).unwrap() == data);
}

#[test]
fn parallel_connections_share_one_limit() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("tree")).unwrap();
    for i in 0..4 {
        fs::write(server.root.join(format!("tree/f{i}.bin")), pattern(512 << 10)).unwrap();
    }
    let (out, limited) =
        timed(&sandbox, &["--limit-rate", "1M", "-j", "4", "get", "-r", &url(&server, "tree/"), "-o", "copy/"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Four connections at 1 MiB/s each would take half a second.
    assert!(limited >= Duration::from_millis(1600), "{limited:?}");
    assert!(server.connections().unwrap() >= 2, "more than one connection was used");
    for i in 0..4 {
        let copy = sandbox.local_file(&format!("copy/tree/f{i}.bin"));
        assert!(fs::read(copy).unwrap() == pattern(512 << 10), "f{i}.bin");
    }
}

#[test]
fn the_shell_sets_and_clears_the_limit_with_rate() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = pattern(SIZE);
    fs::write(server.root.join("big.bin"), &data).unwrap();

    let started = Instant::now();
    let out = run_script(&sandbox, &server, "rate 1M\nget big.bin limited.bin\n");
    let limited = started.elapsed();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Rate limit: 1.00 MiB/s for each command."), "{}", text(&out.stdout));
    assert!(limited >= Duration::from_millis(1600), "{limited:?}");
    assert!(fs::read(sandbox.local_file("limited.bin")).unwrap() == data);

    let started = Instant::now();
    let out = run_script(&sandbox, &server, "rate 1M\nrate off\nrate\nget big.bin free.bin\n");
    let free = started.elapsed();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with("No rate limit.\nNo rate limit.\n"), "{}", text(&out.stdout));
    assert!(free * 3 < limited, "after `rate off`: {free:?}, limited: {limited:?}");
    assert!(fs::read(sandbox.local_file("free.bin")).unwrap() == data);

    // Too slow a rate is refused, and the limit stays as it was.
    let out = run_script(&sandbox, &server, "rate 100\nrate\n");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("rate: \"100\" is too slow: the least rate is 1K"), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("No rate limit."), "{}", text(&out.stdout));
}

#[test]
fn too_slow_a_limit_is_a_usage_error() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["--limit-rate", "512", "get", "ftp://127.0.0.1:1/f"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("is too slow: the least rate is 1K"), "{}", text(&out.stderr));
}

/// How soon rftp ends after Ctrl-C during a wait for tokens: the wait ends
/// at once (without that, the download below waits out its debt, over a
/// minute), then the ABOR exchange: the embedded server answers ABOR with
/// 426 and not always with a second reply, which rftp awaits for 3 s.
const ABORTED_WITHIN: Duration = Duration::from_secs(5);

/// Runs `rftp ARGS`, presses Ctrl-C once `started` says the transfer is
/// under way, and returns its output and how long it took to end after that.
fn interrupted(sandbox: &Sandbox, args: &[&str], started: impl Fn() -> bool) -> (Output, Duration) {
    let child = sandbox.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let waiting = Instant::now();
    while !started() {
        assert!(waiting.elapsed() < Duration::from_secs(10), "the transfer never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Into the first wait for tokens.
    std::thread::sleep(Duration::from_millis(300));
    common::sandbox::interrupt(&child);
    let pressed = Instant::now();
    let out = child.wait_with_output().unwrap();
    (out, pressed.elapsed())
}

#[test]
fn ctrl_c_while_waiting_for_the_limit_stops_at_once() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("big.bin"), pattern(SIZE)).unwrap();
    // At 1 KiB/s the first chunk read off the connection takes minutes to pay for.
    let part = sandbox.local_file("big.bin.part");
    let (out, took) = interrupted(&sandbox, &["--limit-rate", "1K", "get", &url(&server, "big.bin")], || part.exists());
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(took < ABORTED_WITHIN, "{took:?}");
    assert!(part.exists(), "what arrived is kept");

    let local = sandbox.local_file("up.bin");
    fs::write(&local, pattern(SIZE)).unwrap();
    let uploaded = server.root.join("up.bin");
    let args = ["--limit-rate", "1K", "put", local.to_str().unwrap(), &url(&server, "up.bin")];
    let (out, took) = interrupted(&sandbox, &args, || uploaded.exists());
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(took < ABORTED_WITHIN, "{took:?}");
    assert!(fs::metadata(&uploaded).unwrap().len() < SIZE as u64);
}

/// A writer that remembers the largest piece written to it.
struct Pieces {
    bytes: Vec<u8>,
    largest: usize,
}

impl std::io::Write for Pieces {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.largest = self.largest.max(buf.len());
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A paced download reads a burst at a time (what `--limit-rate` sets), so
/// the server's sends go on steadily instead of stopping for as long as one
/// 1 MiB read takes to pay for; back to 1 MiB reads for the next one.
#[test]
fn the_read_size_of_downloads_can_be_bounded() {
    let mut f = Fixture::new("read-size");
    let data = pattern(SIZE);
    f.put_local("f.bin", &data);
    let fetch = |client: &mut rftp::protocol::Client| {
        let mut out = Pieces { bytes: Vec::new(), largest: 0 };
        client.retrieve("f.bin", &mut out, 0).unwrap();
        assert!(out.bytes == data);
        out.largest
    };
    f.client.set_read_size(Some(1000));
    assert!(fetch(&mut f.client) <= 1000);
    f.client.set_read_size(None);
    assert!(fetch(&mut f.client) > 1000);
}
