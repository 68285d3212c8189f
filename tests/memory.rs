//! Memory stays flat whatever the file size: a large download and a large
//! upload through the protocol module raise the process's peak resident
//! memory by no more than a few MiB.
//!
//! This is its own test binary so that no other test's allocations blur the
//! measurement.

mod common;
mod scripted;

use std::io::{self, Read, Write};

use common::peak_rss_kib;
use rftp::protocol::Client;
use scripted::ScriptedServer;

const SIZE: u64 = 512 * 1024 * 1024;

/// A reader of `remaining` zero bytes that never holds them in memory.
struct Zeros {
    remaining: u64,
}

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.remaining as usize);
        buf[..n].fill(0);
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[test]
fn large_transfers_use_constant_memory() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        s.answer_epsv();
        s.expect("RETR big");
        s.send(&format!("150 Opening BINARY mode data connection for big ({SIZE} bytes)."));
        let mut data = s.accept_data();
        let chunk = vec![0u8; 256 * 1024];
        for _ in 0..SIZE / chunk.len() as u64 {
            data.write_all(&chunk).unwrap();
        }
        drop(data);
        s.send("226 sent");
        s.answer_epsv();
        s.expect("STOR big");
        s.send("150 go ahead");
        let mut data = s.accept_data();
        let received = io::copy(&mut data, &mut io::sink()).unwrap();
        assert_eq!(received, SIZE);
        s.send("226 stored");
        s.drain();
    });
    let mut client = Client::connect("127.0.0.1", server.port).unwrap();
    client.login("u", "p", None).unwrap();
    let before = peak_rss_kib();

    let received = client.retrieve("big", &mut io::sink(), 0).unwrap();
    assert_eq!(received, SIZE);
    client.store("big", &mut Zeros { remaining: SIZE }, 0).unwrap();

    client.close();
    server.finish();
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        let growth_mib = (after.saturating_sub(before)) as f64 / 1024.0;
        assert!(growth_mib < 8.0, "peak memory grew by {growth_mib:.1} MiB moving 2 × 512 MiB");
    }
}
