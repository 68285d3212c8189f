//! A hostile co-user of a shared sticky folder and a password that is hard
//! to hide: what another user leaves at a download's names is never
//! resumed, written to or copied from, and no part of a password shows.

mod common;
mod scripted;

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt, chown};
use std::path::Path;

use common::sandbox::{Sandbox, text};
use common::{PASSWORD, TestServer, USER, pattern, url};

/// The user another user's files belong to (`nobody`).
const OTHER_USER: u32 = 65534;

/// Makes the sandbox's working folder shared like `/tmp` (mode 1777).
fn share(sandbox: &Sandbox) {
    fs::set_permissions(&sandbox.local, fs::Permissions::from_mode(0o1777)).unwrap();
}

/// Whether this test can give a file to another user (it runs as root).
fn can_chown() -> bool {
    let probe = tempfile::NamedTempFile::new().unwrap();
    chown(probe.path(), Some(OTHER_USER), None).is_ok()
}

/// Leaves `contents` at `path` as another user's file with `mode`.
fn plant(path: &Path, contents: &[u8], mode: u32) {
    fs::write(path, contents).unwrap();
    chown(path, Some(OTHER_USER), Some(OTHER_USER)).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_password_with_an_at_and_a_slash_never_shows() {
    // The first `@` ends the authority, so this reads as password `pa55`,
    // host 127.0.0.1 and path `w0rd@x/file`; the user may have meant the
    // password `pa55@127.0.0.1:1/w0rd`. No part of it may show.
    // (What the process list shows is a unit test in src/argv.rs.)
    let url = "ftp://bob:pa55@127.0.0.1:1/w0rd@x/file";
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", "--retries", "0", url], "");
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("ftp://bob:****@"), "{stderr}");
    assert!(!stderr.contains("pa55") && !stderr.contains("w0rd"), "{stderr}");
}

#[test]
fn reget_does_not_continue_another_users_part_in_a_shared_folder() {
    if !can_chown() {
        eprintln!("skipped: files cannot be given to another user here");
        return;
    }
    let server = TestServer::start();
    let data = pattern(50_000);
    fs::write(server.root.join("data.bin"), &data).unwrap();
    let sandbox = Sandbox::new();
    share(&sandbox);
    // Their `.part`: they chose its beginning, and can read all that is
    // added to it (and change the file afterwards).
    plant(&sandbox.local_file("data.bin.part"), b"EVIL", 0o666);

    let out = sandbox.run(&["get", "-c", &url(&server, "data.bin")], "");
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("data.bin.part") && stderr.contains("another user"), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("data.bin.part")).unwrap(), b"EVIL", "nothing written into it");
    assert!(!sandbox.local_file("data.bin").exists());

    // Nor is their file at the name itself continued in place: it is
    // replaced by a whole download of our own.
    fs::remove_file(sandbox.local_file("data.bin.part")).unwrap();
    plant(&sandbox.local_file("data.bin"), b"EVIL", 0o666);
    let out = sandbox.run(&["get", "-c", &url(&server, "data.bin")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(fs::read(sandbox.local_file("data.bin")).unwrap() == data, "exactly the server's file");
    assert_ne!(fs::metadata(sandbox.local_file("data.bin")).unwrap().uid(), OTHER_USER);
}

#[test]
fn a_download_over_another_users_file_does_not_take_its_permission_bits() {
    if !can_chown() {
        eprintln!("skipped: files cannot be given to another user here");
        return;
    }
    let server = TestServer::start();
    fs::write(server.root.join("report.txt"), b"confidential").unwrap();
    let sandbox = Sandbox::new();
    share(&sandbox);
    // World-writable (and executable): inherited, the download would be
    // theirs to change once written.
    plant(&sandbox.local_file("report.txt"), b"bait", 0o777);

    let out = sandbox.run(&["get", &url(&server, "report.txt")], "");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let metadata = fs::metadata(sandbox.local_file("report.txt")).unwrap();
    assert_eq!(fs::read(sandbox.local_file("report.txt")).unwrap(), b"confidential");
    // A new file: 0666 reduced by the umask, never executable.
    assert_eq!(metadata.permissions().mode() & 0o111, 0, "{:o}", metadata.permissions().mode());
}

#[test]
fn a_pipe_another_user_left_at_the_name_gets_nothing() {
    if !can_chown() {
        eprintln!("skipped: files cannot be given to another user here");
        return;
    }
    let server = TestServer::start();
    fs::write(server.root.join("secret.txt"), b"top secret").unwrap();
    let sandbox = Sandbox::new();
    share(&sandbox);
    let pipe = sandbox.local_file("secret.txt");
    nix::unistd::mkfifo(&pipe, nix::sys::stat::Mode::from_bits_truncate(0o666)).unwrap();
    chown(&pipe, Some(OTHER_USER), Some(OTHER_USER)).unwrap();
    fs::set_permissions(&pipe, fs::Permissions::from_mode(0o666)).unwrap();
    // The other user listening: a reader that never blocks the writer's open.
    let mut listener =
        fs::OpenOptions::new().read(true).custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits()).open(&pipe).unwrap();

    let out = sandbox.run(&["get", &url(&server, "secret.txt")], "");
    let stderr = text(&out.stderr);
    let mut heard = Vec::new();
    let _ = listener.read_to_end(&mut heard);
    assert!(heard.is_empty(), "the other user read {:?}", text(&heard));
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("secret.txt") && stderr.contains("another user"), "{stderr}");
}

#[test]
fn ones_own_part_in_a_shared_folder_is_still_resumed() {
    let server = TestServer::start();
    fs::write(server.root.join("data.bin"), pattern(10_000)).unwrap();
    let sandbox = Sandbox::new();
    share(&sandbox);
    // One's own .part in a shared folder is resumed as before.
    fs::write(sandbox.local_file("data.bin.part"), &pattern(10_000)[..4000]).unwrap();
    let out = sandbox.run(&["get", "-c", &url(&server, "data.bin")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("data.bin")).unwrap(), pattern(10_000));
}

#[test]
fn a_serve_password_after_a_short_option_is_not_in_the_process_list() {
    use std::io::BufRead;
    const SECRET: &str = "s3cret-serve-pw";
    let sandbox = Sandbox::new();
    for login in [vec![format!("-wubob:{SECRET}")], vec!["-wu".to_string(), format!("bob:{SECRET}")]] {
        // `serve` has its own `--user NAME:PASSWORD` (issue #11), after it.
        let mut args: Vec<&str> = vec!["serve"];
        args.extend(login.iter().map(String::as_str));
        args.extend(["-P", "0", "."]);
        let mut child = sandbox.command(&args).stdout(std::process::Stdio::piped()).spawn().unwrap();
        // Once it serves, the re-execution is long done.
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let cmdline = fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
        let _ = child.kill();
        let _ = child.wait();
        assert!(first.starts_with("Serving"), "{first}");
        let cmdline = text(&cmdline).replace('\0', " ");
        assert!(!cmdline.contains(SECRET), "{cmdline}");
        assert!(cmdline.contains("bob:****"), "{cmdline}");
    }
}

#[test]
fn a_server_config_prints_no_password() {
    let config = rftp::server::ServerConfig {
        root: ".".into(),
        port: 0,
        access: rftp::server::Access::ReadOnly,
        login: Some(("bob".into(), "s3cret-config".into())),
        tls: None,
    };
    let shown = format!("{config:?}");
    assert!(!shown.contains("s3cret-config") && shown.contains("bob"), "{shown}");
}

#[test]
fn get_r_does_not_write_into_folders_another_user_made_first_in_a_shared_folder() {
    if !can_chown() {
        eprintln!("skipped: files cannot be given to another user here");
        return;
    }
    let server = TestServer::start();
    fs::create_dir_all(server.root.join("pub/sub")).unwrap();
    fs::write(server.root.join("pub/sub/f.txt"), b"data").unwrap();
    let plant_folder = |path: &Path| {
        fs::create_dir(path).unwrap();
        chown(path, Some(OTHER_USER), Some(OTHER_USER)).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o777)).unwrap();
    };

    // The tree's own folder, made first by them in the shared folder.
    let sandbox = Sandbox::new();
    share(&sandbox);
    plant_folder(&sandbox.local_file("pub"));
    let out = sandbox.run(&["get", "-r", &url(&server, "pub")], "");
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("pub") && stderr.contains("another user"), "{stderr}");
    assert!(fs::read_dir(sandbox.local_file("pub")).unwrap().next().is_none(), "nothing written into theirs");

    // A folder below it, when the tree goes into a shared folder of ours.
    let sandbox = Sandbox::new();
    fs::create_dir(sandbox.local_file("pub")).unwrap();
    fs::set_permissions(sandbox.local_file("pub"), fs::Permissions::from_mode(0o1777)).unwrap();
    plant_folder(&sandbox.local_file("pub/sub"));
    let out = sandbox.run(&["get", "-r", &url(&server, "pub")], "");
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("sub") && stderr.contains("another user"), "{stderr}");
    assert!(!sandbox.local_file("pub/sub/f.txt").exists(), "nothing written into theirs");
}

#[test]
fn a_password_with_white_space_never_shows_in_shell_errors() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let script = format!("user {USER} {PASSWORD}\ncd \"ftp://bob:pa55 w0rd@h/\"\nget \"ftp://bob:pa55 w0rd@h/f\" x\n");
    let out = sandbox.run(&["-n", &server.host, &port], &script);
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert_eq!(stderr.matches("ftp://bob:****@h/").count(), 2, "{stderr}");
    assert!(!stderr.contains("pa55") && !stderr.contains("w0rd"), "{stderr}");
}

#[test]
fn a_login_in_the_short_form_is_refused_and_never_shown() {
    const SECRET: &str = "s3cret-short";
    // (What the process list shows is a unit test in src/argv.rs.)
    let location = format!("bob:{SECRET}@127.0.0.1:file");

    let sandbox = Sandbox::new();
    let out = sandbox.run(&["get", &location], "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    assert!(stderr.contains("ftp://USER"), "{stderr}");

    // The advice itself is shown as written, not mangled by the redaction.
    let out = sandbox.run(&[&format!("bob:{SECRET}@no-such-host.invalid")], "");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("a user and password go in a URL: ftp://USER@HOST/, or ftp://USER:****@HOST/"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[test]
fn a_password_in_many_urls_is_still_hidden_from_the_process_list() {
    use std::time::Duration;
    const SECRET: &str = "many-urls-secret";
    let (server, logged_in, done_tx) = scripted::ScriptedServer::stalling_after_pass();
    // Sixty files of one server: more than a page of arguments.
    let urls: Vec<String> = (0..60)
        .map(|i| format!("ftp://bob:{SECRET}@127.0.0.1:{}/some/long/path/to/file-number-{i}.bin", server.port))
        .collect();
    let mut args = vec!["get"];
    args.extend(urls.iter().map(String::as_str));
    let sandbox = Sandbox::new();
    let mut child = sandbox
        .command(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pass = logged_in.recv_timeout(Duration::from_secs(20)).expect("rftp logs in");
    let cmdline = fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
    done_tx.send(()).unwrap();
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    server.finish();
    assert_eq!(pass, format!("PASS {SECRET}"), "the login used the real password");
    let cmdline = text(&cmdline).replace('\0', " ");
    assert!(!cmdline.contains(SECRET), "{cmdline}");
    assert!(cmdline.contains("file-number-59.bin"), "{cmdline}");
    assert!(!text(&output.stderr).contains("stays visible"), "{}", text(&output.stderr));
}

/// Runs rftp as [`OTHER_USER`] (the sandbox given to them), so that file
/// permissions bind as they do for anyone but root.
fn run_unprivileged(sandbox: &Sandbox, args: &[&str], stdin: &str) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let top = sandbox.local.parent().unwrap();
    fs::set_permissions(top, fs::Permissions::from_mode(0o755)).unwrap();
    for path in [&sandbox.home, &sandbox.local] {
        chown(path, Some(OTHER_USER), Some(OTHER_USER)).unwrap();
    }
    let mut child = sandbox
        .command(args)
        .uid(OTHER_USER)
        .gid(OTHER_USER)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_cut_download_over_a_read_only_file_can_be_resumed() {
    if !can_chown() {
        eprintln!("skipped: rftp cannot be run as another user here");
        return;
    }
    let data = pattern(100_000);
    let (first, rest) = (data[..30_000].to_vec(), data[30_000..].to_vec());
    let server = scripted::ScriptedServer::start(move |s| {
        s.greet_login_binary();
        s.answer_size_and_mdtm("data.bin", 100_000, "20261201101010");
        s.answer_epsv();
        s.expect("RETR data.bin");
        s.send("150 go");
        s.accept_data().write_all(&first).unwrap();
        s.send("426 Connection closed; transfer aborted.");
        // The same file, resumed where the cut left it.
        s.answer_size_and_mdtm("data.bin", 100_000, "20261201101010");
        s.answer_epsv();
        s.expect("REST 30000");
        s.send("350 Restarting at 30000");
        s.expect("RETR data.bin");
        s.send("150 go");
        s.accept_data().write_all(&rest).unwrap();
        s.send("226 done");
        s.drain();
    });
    let sandbox = Sandbox::new();
    // An older copy of one's own, made read-only.
    let target = sandbox.local_file("data.bin");
    fs::write(&target, b"old").unwrap();
    chown(&target, Some(OTHER_USER), Some(OTHER_USER)).unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o444)).unwrap();

    let port = server.port.to_string();
    let out = run_unprivileged(
        &sandbox,
        &["-n", "--retries", "0", "127.0.0.1", &port],
        "user u p\nget data.bin\nreget data.bin\n",
    );
    let commands = server.finish();
    let stderr = text(&out.stderr);
    assert!(commands.iter().any(|c| c == "REST 30000"), "{commands:?} {stderr}");
    assert!(fs::read(&target).unwrap() == data, "{stderr}");
    assert_eq!(fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o444, "the bits are kept");
    assert!(!sandbox.local_file("data.bin.part").exists());
}

#[test]
fn resuming_in_place_clears_set_user_id_bits() {
    let server = TestServer::start();
    let data = pattern(20_000);
    fs::write(server.root.join("tool"), &data).unwrap();
    let sandbox = Sandbox::new();
    let local = sandbox.local_file("tool");
    fs::write(&local, &data[..5000]).unwrap();
    fs::set_permissions(&local, fs::Permissions::from_mode(0o6755)).unwrap();

    let out = sandbox.run(&["get", "-c", &url(&server, "tool")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(fs::read(&local).unwrap() == data);
    // What the kernel does for a write by anyone but root, done for root too.
    assert_eq!(fs::metadata(&local).unwrap().permissions().mode() & 0o7777, 0o755);
}

#[test]
fn a_password_with_a_stray_carriage_return_is_refused_unseen() {
    // `RFTP_PASSWORD=$(cat file)` keeps the CR of a file with Windows line ends.
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = sandbox.run_with_env(&["-u", USER, &server.host, &port], "ls\n", &[("RFTP_PASSWORD", "crlf-secret\r")]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("carriage return"), "{stderr}");
    assert!(!stderr.contains("crlf-secret"), "{stderr}");
}

#[test]
fn another_users_link_to_a_pipe_is_replaced_not_written_through() {
    if !can_chown() {
        eprintln!("skipped: files cannot be given to another user here");
        return;
    }
    let server = TestServer::start();
    fs::write(server.root.join("secret.txt"), b"top secret").unwrap();
    let sandbox = Sandbox::new();
    share(&sandbox);
    // Their pipe, out of the way, and their link to it at the name.
    let theirs = tempfile::tempdir().unwrap();
    let pipe = theirs.path().join("pipe");
    nix::unistd::mkfifo(&pipe, nix::sys::stat::Mode::from_bits_truncate(0o666)).unwrap();
    let link = sandbox.local_file("secret.txt");
    std::os::unix::fs::symlink(&pipe, &link).unwrap();
    std::os::unix::fs::lchown(&link, Some(OTHER_USER), Some(OTHER_USER)).unwrap();
    let mut listener =
        fs::OpenOptions::new().read(true).custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits()).open(&pipe).unwrap();

    let out = sandbox.run(&["get", &url(&server, "secret.txt")], "");
    let stderr = text(&out.stderr);
    let mut heard = Vec::new();
    let _ = listener.read_to_end(&mut heard);
    assert!(heard.is_empty(), "the other user read {:?}", text(&heard));
    assert!(out.status.success(), "{stderr}");
    assert!(!fs::symlink_metadata(&link).unwrap().is_symlink(), "the link was replaced");
    assert_eq!(fs::read(&link).unwrap(), b"top secret");
}

#[test]
fn another_users_link_to_a_folder_does_not_choose_where_downloads_go() {
    if !can_chown() {
        eprintln!("skipped: files cannot be given to another user here");
        return;
    }
    let server = TestServer::start();
    fs::write(server.root.join("secret.txt"), b"top secret").unwrap();
    fs::create_dir_all(server.root.join("pub")).unwrap();
    fs::write(server.root.join("pub/f.txt"), b"data").unwrap();
    let sandbox = Sandbox::new();
    share(&sandbox);
    // Their links, in the shared folder, to a folder of the victim's.
    let elsewhere = tempfile::tempdir().unwrap();
    for name in ["out", "pub"] {
        let link = sandbox.local_file(name);
        std::os::unix::fs::symlink(elsewhere.path(), &link).unwrap();
        std::os::unix::fs::lchown(&link, Some(OTHER_USER), Some(OTHER_USER)).unwrap();
    }

    let out = sandbox.run(&["get", &url(&server, "secret.txt"), "-o", "out/"], "");
    assert!(!out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("another user"), "{}", text(&out.stderr));
    let out = sandbox.run(&["get", "-r", &url(&server, "pub")], "");
    assert!(!out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("another user"), "{}", text(&out.stderr));
    assert!(fs::read_dir(elsewhere.path()).unwrap().next().is_none(), "nothing written through their links");

    // Without the slash, the name is the file's: the link is replaced.
    let out = sandbox.run(&["get", &url(&server, "secret.txt"), "-o", "out"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("out")).unwrap(), b"top secret");
    assert!(!fs::symlink_metadata(sandbox.local_file("out")).unwrap().is_symlink());
    assert!(fs::read_dir(elsewhere.path()).unwrap().next().is_none(), "nothing written through their links");
}
