//! Uploads that resume (issue #12): `put -c` and `reput` in the shell, and
//! `rftp put -c`, send only what the server's file lacks (SIZE, then `REST
//! n` + STOR when FEAT lists `REST STREAM`, else APPE) and check the final
//! SIZE. The embedded server holds a cut upload as the first part of the
//! file in its folder; a scripted server plays what it does not: no `REST
//! STREAM`, no SIZE, a final SIZE that disagrees.

mod common;
mod scripted;

use std::fs;

use common::sandbox::{Sandbox, run_script, text};
use common::{TestServer, pattern, url};
use scripted::{ScriptedServer, Session, serve_loosely};

const MIB: usize = 1024 * 1024;

/// A 5 MiB file in the sandbox, with its first 2 MiB on the server as a
/// cut upload left them; returns the whole file's bytes.
fn cut_upload(server: &TestServer, sandbox: &Sandbox, name: &str) -> Vec<u8> {
    let data = pattern(5 * MIB);
    fs::write(sandbox.local_file(name), &data).unwrap();
    fs::write(server.root.join(name), &data[..2 * MIB]).unwrap();
    data
}

/// The shell, with protocol debugging, running `script` against `server`.
fn debug_script(sandbox: &Sandbox, server: &TestServer, script: &str) -> std::process::Output {
    run_script(sandbox, server, &format!("debug 1\nverbose\n{script}"))
}

/// Whether the debug output shows `command` sent.
fn sent(output: &str, command: &str) -> bool {
    output.lines().any(|line| line.contains(&format!("*cmd* {command}")))
}

#[test]
fn put_c_sends_only_the_rest_after_rest() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = cut_upload(&server, &sandbox, "big.bin");
    let out = debug_script(&sandbox, &server, "put -c big.bin\n");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(fs::read(server.root.join("big.bin")).unwrap(), data, "byte-exact on the server");
    let all = format!("{stdout}{stderr}");
    assert!(sent(&all, "REST 2097152"), "{all}");
    assert!(sent(&all, "STOR big.bin"), "{all}");
    assert!(all.contains("3145728 bytes sent"), "only the rest was sent: {all}");
}

#[test]
fn reput_in_a_script_continues_the_upload() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = cut_upload(&server, &sandbox, "big.bin");
    fs::create_dir(server.root.join("in")).unwrap();
    fs::write(server.root.join("in/other name.bin"), &data[..MIB + 7]).unwrap();
    let out = debug_script(&sandbox, &server, "reput big.bin\nreput big.bin \"in/other name.bin\"\n");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(fs::read(server.root.join("big.bin")).unwrap(), data);
    assert_eq!(fs::read(server.root.join("in/other name.bin")).unwrap(), data);
    let all = format!("{stdout}{stderr}");
    assert!(sent(&all, "REST 2097152") && sent(&all, &format!("REST {}", MIB + 7)), "{all}");
    assert!(all.contains(&format!("{} bytes sent", 3 * MIB)), "{all}");
    assert!(all.contains(&format!("{} bytes sent", 4 * MIB - 7)), "{all}");
}

#[test]
fn one_shot_put_c_continues_the_upload() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = cut_upload(&server, &sandbox, "big.bin");
    let out = sandbox.run(&["-d", "-v", "put", "-c", "big.bin", &url(&server, "big.bin")], "");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{all}");
    assert_eq!(fs::read(server.root.join("big.bin")).unwrap(), data);
    assert!(sent(&all, "REST 2097152"), "{all}");
    assert!(all.contains("big.bin: 3145728 bytes sent"), "{all}");

    // `--continue` is the same, and a file the server lacks is sent whole.
    let out = sandbox.run(&["-d", "put", "--continue", "big.bin", &url(&server, "new.bin")], "");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{all}");
    assert_eq!(fs::read(server.root.join("new.bin")).unwrap(), data);
    assert!(!sent(&all, "REST"), "{all}");
}

#[test]
fn a_complete_remote_file_is_left_alone() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = pattern(300_000);
    fs::write(sandbox.local_file("same.bin"), &data).unwrap();
    fs::write(server.root.join("same.bin"), &data).unwrap();

    let out = debug_script(&sandbox, &server, "put -c same.bin\nreput same.bin\n");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.matches("same.bin is already complete on the server.").count(), 2, "{stdout}");
    let all = format!("{stdout}{stderr}");
    assert!(!sent(&all, "STOR") && !sent(&all, "APPE") && !sent(&all, "EPSV"), "nothing sent: {all}");

    let out = sandbox.run(&["-d", "-v", "put", "-c", "same.bin", &url(&server, "same.bin")], "");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("same.bin: already complete on the server; nothing sent"), "{all}");
    assert!(!sent(&all, "STOR") && !sent(&all, "APPE"), "{all}");
    assert_eq!(fs::read(server.root.join("same.bin")).unwrap(), data);
}

#[test]
fn a_longer_remote_file_is_refused_and_unchanged() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let longer = pattern(200_000);
    fs::write(sandbox.local_file("short.bin"), &longer[..150_000]).unwrap();
    fs::write(server.root.join("short.bin"), &longer).unwrap();

    let out = sandbox.run(&["-d", "put", "-c", "short.bin", &url(&server, "short.bin")], "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the remote file has 200000 bytes, more than the 150000 of the local file"),
        "names both sizes: {stderr}"
    );
    assert!(!sent(&stderr, "STOR") && !sent(&stderr, "APPE"), "{stderr}");
    assert_eq!(fs::read(server.root.join("short.bin")).unwrap(), longer, "unchanged");

    // The shell says the same and the script fails.
    let out = run_script(&sandbox, &server, "reput short.bin\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("short.bin to short.bin: the remote file has 200000 bytes"));
    assert_eq!(fs::read(server.root.join("short.bin")).unwrap(), longer);
}

#[test]
fn put_without_c_still_replaces_a_longer_remote_file() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("f.bin"), b"short").unwrap();
    fs::write(server.root.join("f.bin"), pattern(100_000)).unwrap();
    let out = run_script(&sandbox, &server, "put f.bin\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(server.root.join("f.bin")).unwrap(), b"short");

    fs::write(server.root.join("g.bin"), pattern(100_000)).unwrap();
    let out = sandbox.run(&["put", "f.bin", &url(&server, "g.bin")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(server.root.join("g.bin")).unwrap(), b"short");
}

#[test]
fn ascii_mode_and_standard_input_are_not_resumed() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("t.txt"), b"one\ntwo\n").unwrap();
    fs::write(server.root.join("t.txt"), b"one\r\n").unwrap();
    let out = debug_script(&sandbox, &server, "ascii\nput -c t.txt\n");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot resume t.txt: resuming works only in binary mode"), "{stderr}");
    assert!(!sent(&format!("{}{stderr}", text(&out.stdout)), "STOR"), "nothing sent");
    assert_eq!(fs::read(server.root.join("t.txt")).unwrap(), b"one\r\n");

    let out = sandbox.run(&["put", "-c", "-", &url(&server, "t.txt")], "data");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot resume the upload of standard input to t.txt"), "{stderr}");
    assert_eq!(fs::read(server.root.join("t.txt")).unwrap(), b"one\r\n");
}

#[test]
fn put_r_with_c_is_a_usage_error() {
    let sandbox = Sandbox::new();
    fs::create_dir(sandbox.local_file("dir")).unwrap();
    let out = sandbox.run(&["put", "-r", "-c", "dir", "ftp://127.0.0.1:9/dir/"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("put -r does not resume (-c)"), "{}", text(&out.stderr));
}

/// A scripted server that announces `features` and holds `held` bytes of
/// `f.bin` (SIZE answers it, then `after` once the upload is in), and the
/// receiving end of what each STOR or APPE brought.
fn scripted_upload(
    features: &'static [&'static str],
    held: Option<u64>,
    after: Option<u64>,
) -> (ScriptedServer, std::sync::mpsc::Receiver<Vec<u8>>) {
    let (uploaded_tx, uploaded) = std::sync::mpsc::channel();
    let server = ScriptedServer::start(move |s: &mut Session| {
        let mut upload_done = false;
        serve_loosely(s, "220 scripted server", |s, line| {
            let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
            match verb.as_str() {
                "FEAT" if features.is_empty() => Some("502 no FEAT".into()),
                "FEAT" => {
                    s.send("211-Features:");
                    for feature in features {
                        s.send(&format!(" {feature}"));
                    }
                    Some("211 End".into())
                }
                "SIZE" => match if upload_done { after } else { held } {
                    Some(size) => Some(format!("213 {size}")),
                    None if features.contains(&"SIZE") => Some("550 No such file".into()),
                    None => Some("502 SIZE not implemented".into()),
                },
                "REST" => Some(format!("350 Restarting at {}", &line[5..])),
                "STOR" | "APPE" => {
                    s.send("150 Ok to send data.");
                    let mut data = s.accept_data();
                    let mut bytes = Vec::new();
                    std::io::Read::read_to_end(&mut data, &mut bytes).unwrap();
                    uploaded_tx.send(bytes).unwrap();
                    upload_done = true;
                    Some("226 Transfer complete.".into())
                }
                _ => None,
            }
        });
    });
    (server, uploaded)
}

fn one_shot_put_c(sandbox: &Sandbox, port: u16) -> std::process::Output {
    sandbox.run(&["put", "-c", "f.bin", &format!("ftp://u:p@127.0.0.1:{port}/f.bin")], "")
}

#[test]
fn without_rest_stream_the_rest_goes_with_appe() {
    let sandbox = Sandbox::new();
    let data = pattern(100_000);
    fs::write(sandbox.local_file("f.bin"), &data).unwrap();
    let (server, uploaded) = scripted_upload(&["SIZE", "EPSV"], Some(30_000), Some(100_000));
    let out = one_shot_put_c(&sandbox, server.port);
    let lines = server.finish();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(uploaded.recv().unwrap(), &data[30_000..], "only the rest");
    assert!(lines.iter().any(|l| l == "APPE f.bin"), "{lines:?}");
    assert!(!lines.iter().any(|l| l.starts_with("REST") || l.starts_with("STOR")), "{lines:?}");
    assert_eq!(lines.iter().filter(|l| *l == "SIZE f.bin").count(), 2, "checked afterwards: {lines:?}");
}

#[test]
fn with_rest_stream_the_rest_goes_with_rest_and_stor() {
    let sandbox = Sandbox::new();
    let data = pattern(100_000);
    fs::write(sandbox.local_file("f.bin"), &data).unwrap();
    let (server, uploaded) = scripted_upload(&["SIZE", "REST STREAM"], Some(30_000), Some(100_000));
    let out = one_shot_put_c(&sandbox, server.port);
    let lines = server.finish();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(uploaded.recv().unwrap(), &data[30_000..]);
    let rest = lines.iter().position(|l| l == "REST 30000").expect("REST sent");
    assert_eq!(lines[rest + 1], "STOR f.bin", "{lines:?}");
}

#[test]
fn without_size_the_whole_file_goes_with_stor() {
    let sandbox = Sandbox::new();
    let data = pattern(100_000);
    fs::write(sandbox.local_file("f.bin"), &data).unwrap();
    let (server, uploaded) = scripted_upload(&["REST STREAM"], None, None);
    let out = one_shot_put_c(&sandbox, server.port);
    let lines = server.finish();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(uploaded.recv().unwrap(), data, "the whole file");
    assert!(lines.iter().any(|l| l == "STOR f.bin"), "{lines:?}");
    assert!(!lines.iter().any(|l| l.starts_with("REST") || l.starts_with("APPE")), "{lines:?}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("SIZE")).count(), 1, "not asked again: {lines:?}");
}

#[test]
fn a_final_size_that_disagrees_is_an_error() {
    let sandbox = Sandbox::new();
    let data = pattern(100_000);
    fs::write(sandbox.local_file("f.bin"), &data).unwrap();
    let (server, uploaded) = scripted_upload(&["SIZE", "REST STREAM"], Some(30_000), Some(99_000));
    let out = one_shot_put_c(&sandbox, server.port);
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(uploaded.recv().unwrap(), &data[30_000..]);
    assert!(
        stderr.contains("f.bin: after the upload the server's file has 99000 bytes, not the 100000 of f.bin"),
        "{stderr}"
    );
    assert!(stderr.contains("what was sent is kept on the server"), "{stderr}");
}

#[test]
fn a_file_the_server_lacks_is_sent_whole_and_checked() {
    let sandbox = Sandbox::new();
    let data = pattern(50_000);
    fs::write(sandbox.local_file("f.bin"), &data).unwrap();
    // SIZE exists but the file does not (550); afterwards it is too short.
    let (server, uploaded) = scripted_upload(&["SIZE"], None, Some(10));
    let out = one_shot_put_c(&sandbox, server.port);
    let lines = server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(uploaded.recv().unwrap(), data);
    assert!(lines.iter().any(|l| l == "STOR f.bin"), "{lines:?}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("has 10 bytes, not the 50000 of f.bin"), "{stderr}");
}
