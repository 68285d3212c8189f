//! A hostile co-user of a shared sticky folder and a password that is hard
//! to hide: what another user leaves at a download's names is never
//! resumed, written to or copied from, and no part of a password shows.

mod common;

use std::ffi::OsString;

use common::sandbox::{Sandbox, text};

#[test]
fn a_password_with_an_at_and_a_slash_never_shows() {
    // The first `@` ends the authority, so this reads as password `pa55`,
    // host 127.0.0.1 and path `w0rd@x/file`; the user may have meant the
    // password `pa55@127.0.0.1:1/w0rd`. No part of it may show.
    let url = "ftp://bob:pa55@127.0.0.1:1/w0rd@x/file";
    let hidden = rftp::argv::hide_passwords(&[OsString::from("rftp"), OsString::from("get"), OsString::from(url)]);
    let shown = hidden[2].to_string_lossy();
    assert!(!shown.contains("pa55") && !shown.contains("w0rd"), "the process list shows {shown}");

    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", url], "");
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("ftp://bob:****@"), "{stderr}");
    assert!(!stderr.contains("pa55") && !stderr.contains("w0rd"), "{stderr}");
}
