//! Uploads at wire speed (issue #14): `put` sends a file in steps of
//! several MiB.

mod common;

use std::fs;
use std::time::Duration;

use common::sandbox::{Sandbox, run_within, text};
use common::tls::{TlsServer, tls_server};
use common::{PASSWORD, USER, pattern};

/// Larger than two sendfile steps (4 MiB), and not a whole number of pages.
const BIG: usize = 9 * 1024 * 1024 + 7;

fn url(s: &TlsServer, path: &str) -> String {
    format!("ftp://{USER}:{PASSWORD}@127.0.0.1:{}/{path}", s.server.address().port())
}

/// `rftp put` of `data`, with `extra` options; the file the server stored.
fn put_to(s: &TlsServer, extra: &[&str], data: &[u8]) -> Vec<u8> {
    let sandbox = Sandbox::new();
    fs::write(sandbox.local.join("big.bin"), data).unwrap();
    let target = url(s, "big.bin");
    let mut args = vec!["put", "-q"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["big.bin", &target]);
    let (out, _) = run_within(&sandbox, &args, Duration::from_secs(60));
    assert!(out.status.success(), "{}", text(&out.stderr));
    fs::read(s.server.root().join("big.bin")).unwrap()
}

/// A file of several sendfile steps arrives byte for byte, over plain TCP
/// (sendfile) and over TLS (the buffered path).
#[test]
fn an_upload_larger_than_the_send_step_arrives_byte_for_byte() {
    let data = pattern(BIG);
    let plain = tls_server(false);
    assert!(put_to(&plain, &[], &data) == data, "plain upload differs");
    let tls = tls_server(true);
    let ca = tls.certificates.ca.display().to_string();
    assert!(put_to(&tls, &["--tls", "--cacert", &ca], &data) == data, "TLS upload differs");
}
