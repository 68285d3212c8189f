//! The one-shot commands (`rftp get`, `put`, `ls`, `rftp URL`) and `rftp
//! serve`, run as a user would run them, against real servers on loopback.

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use common::sandbox::{Sandbox, text};
use common::{PASSWORD, TestServer, USER, pattern, url};

#[test]
fn get_downloads_byte_for_byte_into_files_folders_and_stdout() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = pattern(3 * 1024 * 1024 + 5);
    fs::write(server.root.join("big.bin"), &data).unwrap();
    fs::write(server.root.join("small.txt"), b"small\n").unwrap();
    fs::create_dir_all(server.root.join("sub dir")).unwrap();
    fs::write(server.root.join("sub dir/inner.txt"), b"inner\n").unwrap();

    let out = sandbox.run(&["get", &url(&server, "big.bin")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("big.bin")).unwrap(), data);

    let out = sandbox.run(&["get", &url(&server, "small.txt"), "-o", "renamed.txt"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("renamed.txt")).unwrap(), b"small\n");

    let out = sandbox.run(&["get", &url(&server, "small.txt"), "-o", "-"], "");
    assert_eq!(out.stdout, b"small\n");

    // Several sources go into one folder; an encoded space in the path.
    let out =
        sandbox.run(&["get", &url(&server, "small.txt"), &url(&server, "sub%20dir/inner.txt"), "-o", "into/"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("into/small.txt")).unwrap(), b"small\n");
    assert_eq!(fs::read(sandbox.local.join("into/inner.txt")).unwrap(), b"inner\n");

    // With stderr not a terminal: no bar, and nothing at all for a short transfer.
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn get_continues_a_partial_download_with_c() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = pattern(500_000);
    fs::write(server.root.join("resume.bin"), &data).unwrap();
    fs::write(sandbox.local.join("resume.bin.part"), &data[..123_456]).unwrap();
    let out = sandbox.run(&["get", "-c", &url(&server, "resume.bin")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("resume.bin")).unwrap(), data);
    assert!(!sandbox.local.join("resume.bin.part").exists());
}

#[test]
fn host_path_forms_relative_and_absolute() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("pub")).unwrap();
    fs::write(server.root.join("pub/file.txt"), b"relative").unwrap();
    let port = server.port.to_string();
    let env = [("RFTP_PASSWORD", PASSWORD)];
    let relative = format!("{}:pub/file.txt", server.host);
    let out = sandbox.run_with_env(&["get", "-P", &port, "-u", USER, &relative, "-o", "-"], "", &env);
    assert_eq!(text(&out.stdout), "relative", "{}", text(&out.stderr));
    let absolute = format!("{}:/pub/file.txt", server.host);
    let out = sandbox.run_with_env(&["get", "-P", &port, "-u", USER, &absolute, "-o", "-"], "", &env);
    assert_eq!(text(&out.stdout), "relative", "{}", text(&out.stderr));
}

#[test]
fn url_type_a_converts_line_endings() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("dos.txt"), b"one\r\ntwo\r\n").unwrap();
    let out = sandbox.run(&["get", &format!("{};type=a", url(&server, "dos.txt")), "-o", "-"], "");
    assert_eq!(text(&out.stdout), "one\ntwo\n", "{}", text(&out.stderr));
    let out = sandbox.run(&["get", &format!("{};type=i", url(&server, "dos.txt")), "-o", "-"], "");
    assert_eq!(text(&out.stdout), "one\r\ntwo\r\n");
}

#[test]
fn put_uploads_files_into_folders_and_from_stdin() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = pattern(2 * 1024 * 1024);
    fs::write(sandbox.local.join("one.bin"), &data).unwrap();
    fs::write(sandbox.local.join("two words.txt"), b"two").unwrap();
    fs::create_dir_all(server.root.join("incoming")).unwrap();

    let out = sandbox.run(&["put", "one.bin", "two words.txt", &url(&server, "incoming/")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(server.root.join("incoming/one.bin")).unwrap(), data);
    assert_eq!(fs::read(server.root.join("incoming/two words.txt")).unwrap(), b"two");

    let out = sandbox.run(&["put", "one.bin", &url(&server, "renamed.bin")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(server.root.join("renamed.bin")).unwrap(), data);

    let out = sandbox.run_with_env(&["put", "-", &url(&server, "from-stdin.txt")], "piped in", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(server.root.join("from-stdin.txt")).unwrap(), b"piped in");

    // Several files need a folder destination: a usage error, nothing sent.
    let out = sandbox.run(&["put", "one.bin", "two words.txt", &url(&server, "not-a-folder")], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn ls_lists_names_or_long_form() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("b.txt"), b"").unwrap();
    fs::write(server.root.join("a.txt"), b"12345").unwrap();
    let out = sandbox.run(&["ls", &url(&server, "")], "");
    let mut names: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    names.sort();
    assert_eq!(names, ["a.txt", "b.txt"], "{}", text(&out.stderr));
    let out = sandbox.run(&["ls", "-l", &url(&server, "")], "");
    assert!(text(&out.stdout).lines().any(|l| l.ends_with("a.txt") && l.contains(" 5 ")), "{}", text(&out.stdout));
}

#[test]
fn ls_into_a_pipe_keeps_the_names_bytes() {
    // On a terminal control characters are shown as `?` (tests/terminal.rs);
    // a script reading a pipe gets the real names.
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("odd\u{1b}[1mname"), b"").unwrap();
    let out = sandbox.run(&["ls", &url(&server, "")], "");
    assert_eq!(text(&out.stdout), "odd\u{1b}[1mname\n", "{}", text(&out.stderr));
}

#[test]
fn a_file_url_alone_downloads_it() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("direct.txt"), b"direct").unwrap();
    let out = sandbox.run(&[&url(&server, "direct.txt")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("direct.txt")).unwrap(), b"direct");
}

#[test]
fn a_folder_url_opens_the_shell_there() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("start here")).unwrap();
    fs::write(server.root.join("start here/x.txt"), b"x").unwrap();
    let out = sandbox.run_with_env(&[&url(&server, "start%20here/")], "pwd\nnlist\n", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "/start here\nx.txt\n");
}

#[test]
fn exit_statuses_for_missing_files_bad_passwords_refused_connections_and_usage() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let missing = sandbox.run(&["get", &url(&server, "missing.txt")], "");
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("RETR missing.txt failed: 550"), "{}", text(&missing.stderr));
    assert!(!sandbox.local.join("missing.txt").exists() && !sandbox.local.join("missing.txt.part").exists());

    let bad = format!("ftp://{USER}:wrong@{}:{}/x", server.host, server.port);
    let out = sandbox.run(&["get", &bad], "");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("530"), "{}", text(&out.stderr));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = sandbox.run(&["get", "--retries", "0", &format!("ftp://127.0.0.1:{closed}/x")], "");
    assert_eq!(out.status.code(), Some(3));

    for usage in [
        &["get"][..],
        &["get", "no-colon-here"],
        &["get", "ftp://h/x%0Ay"],
        &["get", "ftp://h/dir/"],
        &["put", "only-one"],
        &["ls"],
    ] {
        let out = sandbox.run(usage, "");
        assert_eq!(out.status.code(), Some(2), "{usage:?}: {}", text(&out.stderr));
    }
}

#[test]
fn credentials_precedence_url_then_user_then_netrc_then_anonymous() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("f"), b"secret file").unwrap();
    let plain = format!("ftp://{}:{}/f", server.host, server.port);
    // Nothing given: anonymous, which this server refuses.
    assert_eq!(sandbox.run(&["get", &plain, "-o", "-"], "").status.code(), Some(3));
    // netrc with the right password.
    sandbox.write_netrc(&format!("machine {} login {USER} password {PASSWORD}\n", server.host), 0o600);
    assert_eq!(sandbox.run(&["get", &plain, "-o", "-"], "").stdout, b"secret file");
    // -u beats netrc: RFTP_PASSWORD is wrong, so it fails even though netrc is right.
    let out = sandbox.run_with_env(&["get", "-u", USER, &plain, "-o", "-"], "", &[("RFTP_PASSWORD", "wrong")]);
    assert_eq!(out.status.code(), Some(3));
    // The URL beats everything.
    let out = sandbox.run_with_env(
        &["get", "-u", "nobody", &url(&server, "f"), "-o", "-"],
        "",
        &[("RFTP_PASSWORD", "wrong")],
    );
    assert_eq!(out.stdout, b"secret file", "{}", text(&out.stderr));
    // A URL user without a password takes it from netrc.
    let user_only = format!("ftp://{USER}@{}:{}/f", server.host, server.port);
    assert_eq!(sandbox.run(&["get", &user_only, "-o", "-"], "").stdout, b"secret file");
    // A netrc that others can read is ignored, with a warning.
    sandbox.write_netrc(&format!("machine {} login {USER} password {PASSWORD}\n", server.host), 0o644);
    let out = sandbox.run(&["get", &plain, "-o", "-"], "");
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("can be read by others"), "{}", text(&out.stderr));
    // NETRC names another file.
    let other = sandbox.home.join("other-netrc");
    fs::write(&other, format!("default login {USER} password {PASSWORD}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&other, fs::Permissions::from_mode(0o600)).unwrap();
    let out = sandbox.command(&["get", &plain, "-o", "-"]).env("NETRC", &other).output().unwrap();
    assert_eq!(out.stdout, b"secret file", "{}", text(&out.stderr));
}

/// Starts `rftp serve` and returns it with the host and port it printed.
fn start_serve(sandbox: &Sandbox, dir: &std::path::Path, extra: &[&str]) -> (Child, String, u16) {
    let mut args = vec!["serve", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let mut child = sandbox.command(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut first).unwrap();
    let address = first.split("ftp://").nth(1).expect("prints its URL").trim_end().trim_end_matches('/');
    let address = address.rsplit('@').next().unwrap();
    let (host, port) = address.rsplit_once(':').unwrap();
    (child, host.to_string(), port.parse().unwrap())
}

#[test]
fn serve_is_read_only_and_anonymous_unless_asked() {
    let sandbox = Sandbox::new();
    let served = tempfile::tempdir().unwrap();
    fs::write(served.path().join("shared.txt"), b"shared").unwrap();
    fs::write(sandbox.local.join("up.txt"), b"up").unwrap();

    let (mut child, host, port) = start_serve(&sandbox, served.path(), &[]);
    let base = format!("ftp://{host}:{port}");
    let out = sandbox.run(&["get", &format!("{base}/shared.txt"), "-o", "-"], "");
    assert_eq!(out.stdout, b"shared", "{}", text(&out.stderr));
    let out = sandbox.run(&["put", "up.txt", &format!("{base}/up.txt")], "");
    assert_eq!(out.status.code(), Some(1), "read-only refuses uploads");
    assert!(!served.path().join("up.txt").exists());
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, host, port) = start_serve(&sandbox, served.path(), &["--write", "--user", "ann:pw"]);
    let anonymous = sandbox.run(&["get", &format!("ftp://{host}:{port}/shared.txt"), "-o", "-"], "");
    assert_eq!(anonymous.status.code(), Some(3), "a login is required");
    let out = sandbox.run(&["put", "up.txt", &format!("ftp://ann:pw@{host}:{port}/up.txt")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(served.path().join("up.txt")).unwrap(), b"up");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn serve_listens_on_the_port_asked_for() {
    let sandbox = Sandbox::new();
    let served = tempfile::tempdir().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (mut child, _, port) = start_serve(&sandbox, served.path(), &["--port", &free.to_string()]);
    assert_eq!(port, free);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_folder_url_that_does_not_exist_runs_nothing() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(sandbox.local.join("x"), b"x").unwrap();
    let out = sandbox.run(&[&url(&server, "no-such-dir/")], "put x\n");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!server.root.join("x").exists(), "the script did not run elsewhere");
}

#[test]
fn passwords_never_appear_in_messages() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", &url(&server, "missing.txt")], "");
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("ftp://{USER}:****@")), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    let out = sandbox.run(&["get", &format!("ftp://{USER}:{PASSWORD}@h:99999/x")], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains(PASSWORD), "{}", text(&out.stderr));
}

#[test]
fn sources_that_would_overwrite_each_other_are_refused() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", &url(&server, "a/same.txt"), &url(&server, "b/same.txt")], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    for i in 0..3000 {
        fs::write(server.root.join(format!("file-{i:05}.txt")), b"").unwrap();
    }
    let mut child = sandbox
        .command(&["ls", "-l", &url(&server, "")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(first.contains("file-"), "{first}");
    assert_ne!(out.status.code(), Some(101), "no panic: {}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
}

#[test]
fn get_r_and_put_r_one_shot() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("data/2026/empty")).unwrap();
    fs::write(server.root.join("data/2026/jan.csv"), b"1,2\n").unwrap();
    fs::write(server.root.join("data/top.txt"), b"top").unwrap();
    let out = sandbox.run(&["get", "-r", "-j", "2", &url(&server, "data/"), "-o", "into/"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local.join("into/data/2026/jan.csv")).unwrap(), b"1,2\n");
    assert_eq!(fs::read(sandbox.local.join("into/data/top.txt")).unwrap(), b"top");
    assert!(sandbox.local.join("into/data/2026/empty").is_dir());

    fs::create_dir_all(server.root.join("backup")).unwrap();
    let out = sandbox.run(&["put", "-r", "into/data", &url(&server, "backup/")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(server.root.join("backup/data/2026/jan.csv")).unwrap(), b"1,2\n");
    assert!(server.root.join("backup/data/2026/empty").is_dir());
}
