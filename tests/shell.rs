//! The rftp binary's shell, driven as users drive it: scripts on standard
//! input against a real server (the embedded libunftp), and a person at a
//! terminal (a pseudo-terminal). Nothing from the user's own home leaks in:
//! each run gets a fresh HOME, data folder and netrc path.

mod common;
mod scripted;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::sandbox::{Sandbox, run_script, text};
use common::{PASSWORD, TestServer, USER, pattern};
use scripted::ScriptedServer;

/// `rftp -n 127.0.0.1 PORT` with a script that starts by logging in.
#[test]
fn a_script_exercises_every_command() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("local file.txt"), b"uploaded\n").unwrap();
    fs::write(sandbox.local_file("a.log"), b"A").unwrap();
    fs::write(sandbox.local_file("b.log"), b"BB").unwrap();
    fs::write(server.root.join("remote.bin"), pattern(100_000)).unwrap();
    let script = r#"
# comments and blank lines are skipped

pwd
mkdir "new dir"
cd "new dir"
put "local file.txt"
put "local file.txt" copy.txt
append "local file.txt" copy.txt
ls
nlist
mlsd
size "local file.txt"
modtime copy.txt
rename copy.txt renamed.txt
get renamed.txt "back again.txt"
mput *.log
mget *.log
mdelete *.log
delete renamed.txt
delete "local file.txt"
cdup
rmdir "new dir"
get remote.bin
reget remote.bin
system
features
quote NOOP
status
ascii
type
binary
type
passive off
ls
passive on
verbose
verbose
debug 1
debug 0
prompt
lpwd
!echo from-a-local-shell
help get
help
close
open 127.0.0.1 PORT
user USER PASSWORD
pwd
bye
"#
    .replace("PORT", &server.port.to_string())
    .replace("USER", USER)
    .replace("PASSWORD", PASSWORD);
    let out = run_script(&sandbox, &server, &script);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "status {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    // The one line each of mput and mget ends with is no error.
    let summaries = stderr.lines().filter(|line| line.starts_with("2 files, 3 B in ") && line.ends_with("/s)")).count();
    assert!(summaries == 2 && stderr.lines().count() == 2, "no errors expected:\n{stderr}");

    // What the commands did, on the server and locally.
    assert!(!server.root.join("new dir").exists(), "rmdir removed the folder");
    assert_eq!(fs::read(sandbox.local_file("back again.txt")).unwrap(), b"uploaded\nuploaded\n");
    assert_eq!(fs::read(sandbox.local_file("remote.bin")).unwrap(), pattern(100_000));
    assert!(!sandbox.local_file("remote.bin.part").exists());
    // Output of the commands that print.
    for expected in [
        "local file.txt",    // ls and nlist
        "9\n",               // size
        "copy.txt\t",        // modtime
        "Using ascii mode",  // type
        "Using binary mode", // type
        "Passive mode off.",
        "Verbose mode on.",
        "Debugging on (debug=1).",
        "Interactive mode off.",
        "from-a-local-shell",
        "get [-r|--verify|--segments N|-c|-o LOCAL] REMOTE [LOCAL]",
        "mdelete",
        "remote.bin is already complete.", // the reget after the get
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
    assert!(stdout.contains(&format!("Connected to {} port {}", server.host, server.port)), "{stdout}");
    assert!(stdout.contains(&sandbox.local.display().to_string()), "lpwd: {stdout}");
    // The final pwd after reopening.
    assert!(stdout.trim_end().ends_with('/'), "{stdout}");
}

#[test]
fn failures_are_reported_with_their_line_and_the_script_goes_on() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let out = run_script(&sandbox, &server, "get missing.txt\npwd\nfrobnicate\nget\n");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("rftp: line 2: RETR missing.txt failed: 550"), "{stderr}");
    assert!(stderr.contains("rftp: line 4: unknown command \"frobnicate\""), "{stderr}");
    assert!(
        stderr.contains("rftp: line 5: usage: get [-r|--verify|--segments N|-c|-o LOCAL] REMOTE [LOCAL]"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout).trim(), "/", "pwd still ran");
    assert!(!sandbox.local_file("missing.txt").exists() && !sandbox.local_file("missing.txt.part").exists());
}

#[test]
fn fail_fast_stops_at_the_first_failure() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let script = format!("user {USER} {PASSWORD}\nget missing.txt\npwd\n");
    let out = sandbox.run(&["-n", "-e", &server.host, &port], &script);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).is_empty(), "pwd did not run: {}", text(&out.stdout));
}

#[test]
fn exit_statuses() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    // 0: everything worked.
    let ok = sandbox.run_with_env(&["-u", USER, &server.host, &port], "pwd\n", &[("RFTP_PASSWORD", PASSWORD)]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    // 3: wrong password.
    let bad = sandbox.run_with_env(&["-u", USER, &server.host, &port], "pwd\n", &[("RFTP_PASSWORD", "wrong")]);
    assert_eq!(bad.status.code(), Some(3), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).contains("530"), "the server's reply is shown: {}", text(&bad.stderr));
    // 3: nothing listens there.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let refused = sandbox.run(&["--retries", "0", "127.0.0.1", &closed_port], "pwd\n");
    assert_eq!(refused.status.code(), Some(3));
    assert!(text(&refused.stderr).contains("cannot connect to 127.0.0.1"), "{}", text(&refused.stderr));
    // 2: a usage error.
    let usage = sandbox.run(&["--no-such-option"], "");
    assert_eq!(usage.status.code(), Some(2));
    // 3: open fails inside a script.
    let open = sandbox.run(&["--retries", "0"], &format!("open 127.0.0.1 {closed_port}\n"));
    assert_eq!(open.status.code(), Some(3));
}

#[test]
fn quoting_names_with_spaces_quotes_and_backslashes() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("two words.txt"), b"1").unwrap();
    fs::write(server.root.join("say \"hi\".txt"), b"2").unwrap();
    fs::write(server.root.join("-dash"), b"3").unwrap();
    fs::write(server.root.join("ünï cödé"), b"4").unwrap();
    let script = "get \"two words.txt\"\nget \"say \\\"hi\\\".txt\" quoted.txt\nget -- -dash\nget ünï\\ cödé\nget \"unterminated\n";
    let out = run_script(&sandbox, &server, script);
    let stderr = text(&out.stderr);
    assert_eq!(fs::read(sandbox.local_file("two words.txt")).unwrap(), b"1");
    assert_eq!(fs::read(sandbox.local_file("quoted.txt")).unwrap(), b"2");
    assert_eq!(fs::read(sandbox.local_file("-dash")).unwrap(), b"3");
    assert_eq!(fs::read(sandbox.local_file("ünï cödé")).unwrap(), b"4");
    assert!(stderr.contains("line 6: unterminated quote"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn downloads_to_stdout_and_to_devices_stream_directly() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("hello.txt"), b"hello, stdout\n").unwrap();
    let out = run_script(&sandbox, &server, "get hello.txt -\nget hello.txt /dev/null\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello, stdout\n");
    assert!(!Path::new("/dev/null.part").exists());
}

#[test]
fn a_failed_download_keeps_the_users_file_and_the_partial_data_for_reget() {
    let whole = pattern(300_000);
    let first = whole[..100_000].to_vec();
    let rest = whole[100_000..].to_vec();
    let size = whole.len();
    let server = ScriptedServer::start(move |s| {
        s.greet_and_login();
        // get: SIZE, MDTM (kept beside the .part), then the connection drops mid-download.
        s.expect("TYPE I");
        s.send("200 binary");
        s.answer_size_and_mdtm("data.bin", size as u64, "20261201120000");
        s.answer_epsv();
        s.expect("RETR data.bin");
        s.send(&format!("150 Opening BINARY mode data connection for data.bin ({size} bytes)"));
        s.accept_data().write_all(&first).unwrap();
        s.send("426 Connection closed; transfer aborted.");
        // reget: the same file (size and time), so REST from what was kept.
        s.answer_size_and_mdtm("data.bin", size as u64, "20261201120000");
        s.answer_epsv();
        s.expect("REST 100000");
        s.send("350 Restarting at 100000");
        s.expect("RETR data.bin");
        s.send("150 go");
        s.accept_data().write_all(&rest).unwrap();
        s.send("226 done");
        s.expect("QUIT");
        s.send("221 bye");
    });
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("data.bin"), b"the user's precious old copy").unwrap();
    let port = server.port.to_string();
    let out = sandbox
        .run(&["-n", "--retries", "0", "127.0.0.1", &port], "user u p\nget data.bin\n!cat data.bin\nreget data.bin\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: RETR data.bin failed (temporary): 426"), "{stderr}");
    assert!(stderr.contains("partial download kept in data.bin.part"), "{stderr}");
    assert!(text(&out.stdout).contains("the user's precious old copy"), "the old file was intact after the failure");
    assert_eq!(fs::read(sandbox.local_file("data.bin")).unwrap(), whole, "reget completed it");
    assert!(!sandbox.local_file("data.bin.part").exists() && !sandbox.local_file("data.bin.part.meta").exists());
    assert_eq!(out.status.code(), Some(1), "the failed get counts");
}

#[test]
fn a_truncated_download_that_the_server_calls_complete_is_not_complete() {
    let server = ScriptedServer::start(|s| {
        s.greet_login_binary();
        s.expect("SIZE f");
        s.send("213 1000");
        s.expect("MDTM f");
        s.send("502 no MDTM here");
        s.answer_epsv();
        s.expect("RETR f");
        s.send("150 go");
        s.accept_data().write_all(&[1u8; 10]).unwrap();
        s.send("226 all done, honest");
        s.drain();
    });
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = sandbox.run(&["-n", "--retries", "0", "127.0.0.1", &port], "user u p\nget f\n");
    server.finish();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("received 10 of 1000 bytes"), "{}", text(&out.stderr));
    assert!(!sandbox.local_file("f").exists(), "no complete-looking file");
    assert_eq!(fs::read(sandbox.local_file("f.part")).unwrap().len(), 10);
}

#[test]
fn mget_refuses_names_that_escape_the_folder() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.answer_epsv();
        s.expect("NLST");
        s.send("150 listing");
        let names = "../evil.txt\r\n/etc/evil.txt\r\nsub/evil.txt\r\nbell\x07.txt\r\n..\r\nok.txt\r\n";
        s.accept_data().write_all(names.as_bytes()).unwrap();
        s.send("226 done");
        s.expect("TYPE I");
        s.send("200 binary");
        s.answer_size_and_mdtm("ok.txt", 2, "20261201120000");
        s.answer_epsv();
        s.expect("RETR ok.txt");
        s.send("150 go");
        s.accept_data().write_all(b"ok").unwrap();
        s.send("226 done");
        s.drain();
    });
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = sandbox.run(&["-n", "127.0.0.1", &port], "user u p\nparallel 1\nmget *.txt\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("ok.txt")).unwrap(), b"ok");
    let entries: Vec<_> = fs::read_dir(&sandbox.local).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries, ["ok.txt"], "nothing else was written");
    assert!(!sandbox.local.parent().unwrap().join("evil.txt").exists());
    assert_eq!(stderr.matches("refusing the server's name").count(), 5, "{stderr}");
}

#[test]
fn anonymous_login_without_a_terminal() {
    let server = ScriptedServer::start(|s| {
        s.send("220 hi");
        s.expect("USER anonymous");
        s.send("331 send your e-mail address");
        s.expect("PASS tester@");
        s.send("230 welcome");
        s.answer_feat(&[]);
        s.expect("PWD");
        s.send("257 \"/pub\"");
        s.expect("QUIT");
        s.send("221 bye");
    });
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["127.0.0.1", &server.port.to_string()], "pwd\n");
    server.finish();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "/pub\n");
}

#[test]
fn netrc_credentials_are_used_and_open_netrc_files_are_refused() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let netrc = sandbox.home.join(".netrc");
    fs::write(&netrc, format!("machine {} login {USER} password {PASSWORD}\n", server.host)).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&netrc, fs::Permissions::from_mode(0o600)).unwrap();
    let port = server.port.to_string();
    let out = sandbox.run(&[&server.host, &port], "pwd\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    fs::set_permissions(&netrc, fs::Permissions::from_mode(0o644)).unwrap();
    let out = sandbox.run(&[&server.host, &port], "pwd\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("can be read by others; ignoring it"), "{stderr}");
    assert_eq!(out.status.code(), Some(3), "anonymous is refused by this server: {stderr}");
}

#[test]
fn site_chmod_and_abort_send_what_they_say() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.expect("SITE CHMOD 644 my file");
        s.send("200 SITE CHMOD command ok.");
        s.expect("SITE IDLE 60");
        s.send("200 idle set");
        s.expect("ABOR");
        s.send("225 No transfer to ABOR.");
        s.expect("SITE CHMOD 999 x");
        s.send("501 Bad mode.");
        s.drain();
    });
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out =
        sandbox.run(&["-n", "127.0.0.1", &port], "user u p\nchmod 644 \"my file\"\nsite IDLE 60\nabort\nchmod 999 x\n");
    server.finish();
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(stdout.contains("200 idle set") && stdout.contains("225 No transfer to ABOR."), "{stdout}");
    assert!(stderr.contains("line 5: SITE CHMOD 999 x failed: 501 Bad mode."), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn reget_continues_an_existing_local_file_in_place() {
    let whole = pattern(50_000);
    let tail = whole[20_000..].to_vec();
    let server = ScriptedServer::start(move |s| {
        s.greet_login_binary();
        s.expect("SIZE f");
        s.send("213 50000");
        s.answer_epsv();
        s.expect("REST 20000");
        s.send("350 ok");
        s.expect("RETR f");
        s.send("150 go");
        s.accept_data().write_all(&tail).unwrap();
        s.send("226 done");
        // A second reget finds the file complete and transfers nothing.
        s.expect("SIZE f");
        s.send("213 50000");
        s.drain();
    });
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("f"), &whole[..20_000]).unwrap();
    let port = server.port.to_string();
    let out = sandbox.run(&["-n", "127.0.0.1", &port], "user u p\nreget f\nreget f\n");
    server.finish();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("f")).unwrap(), whole);
    assert!(text(&out.stdout).contains("f is already complete."), "{}", text(&out.stdout));
}

#[test]
fn ctrl_c_in_a_script_aborts_and_exits_130() {
    let server = TestServer::start();
    fs::write(server.root.join("big.bin"), pattern(32 * 1024 * 1024)).unwrap();
    let sandbox = Sandbox::new();
    let pipe = sandbox.local_file("pipe");
    assert!(Command::new("mkfifo").arg(&pipe).status().unwrap().success());
    let reader_pipe = pipe.clone();
    let reader = std::thread::spawn(move || {
        let mut file = fs::File::open(reader_pipe).unwrap();
        let mut buffer = vec![0u8; 16 * 1024];
        let mut total = 0;
        while let Ok(n) = std::io::Read::read(&mut file, &mut buffer) {
            if n == 0 {
                break;
            }
            total += n;
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        total
    });
    let port = server.port.to_string();
    let mut child = sandbox
        .command(&["-n", &server.host, &port])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "user {USER} {PASSWORD}\nget big.bin {}\npwd", pipe.display()).unwrap();
    drop(stdin);
    std::thread::sleep(std::time::Duration::from_millis(700));
    common::sandbox::interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let received = reader.join().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(received < 32 * 1024 * 1024, "the download was cut short");
    assert!(text(&out.stdout).is_empty(), "pwd never ran");
}

#[test]
fn downloads_refuse_unsafe_local_targets_before_transferring() {
    use std::os::unix::fs::symlink;
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    for name in ["f", "g", "h", "hello", "dirname"] {
        fs::write(server.root.join(name), b"hello").unwrap();
    }
    // A stale .part larger than the remote file, beside the user's file.
    fs::write(sandbox.local_file("f"), b"precious").unwrap();
    fs::write(sandbox.local_file("f.part"), b"twenty bytes of junk").unwrap();
    // Someone else's symlink at g.part, aimed at a victim file.
    fs::write(sandbox.local_file("victim"), b"victim").unwrap();
    symlink(sandbox.local_file("victim"), sandbox.local_file("g.part")).unwrap();
    // An earlier partial download of a file that is gone now.
    fs::write(sandbox.local_file("missing.part"), vec![7u8; 1000]).unwrap();
    // A local folder with the remote file's name; a link to a real file.
    fs::create_dir(sandbox.local_file("dirname")).unwrap();
    fs::write(sandbox.local_file("real.txt"), b"old").unwrap();
    symlink(sandbox.local_file("real.txt"), sandbox.local_file("link")).unwrap();

    let script =
        "reget f\nget g\nget missing\nascii\nreget h\nbinary\nget hello newdir/\nget dirname\nget hello link\n";
    let out = run_script(&sandbox, &server, script);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("line 2: cannot resume f: f.part holds 20 bytes but the remote file has 5"), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("f")).unwrap(), b"precious");
    assert!(stderr.contains("line 3: cannot download to \"g.part\": it exists and is not a regular file"), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("victim")).unwrap(), b"victim");
    assert!(stderr.contains("line 4: cannot download to missing: missing.part exists: `reget` resumes it"), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("missing.part")).unwrap(), vec![7u8; 1000], "the old partial survives");
    assert!(stderr.contains("line 6: cannot resume h: resuming works only in binary mode"), "{stderr}");
    assert!(stderr.contains("line 8: cannot download to \"newdir/\": no such folder"), "{stderr}");
    assert!(!sandbox.local_file("newdir.part").exists() && !sandbox.local_file("newdir").exists());
    assert!(
        stderr.contains("line 9: cannot download to \"") && stderr.contains("dirname\": it is a folder"),
        "{stderr}"
    );
    // The link was replaced by the file, never written through.
    assert_eq!(fs::read(sandbox.local_file("real.txt")).unwrap(), b"old");
    assert!(fs::symlink_metadata(sandbox.local_file("link")).unwrap().is_file());
    assert_eq!(fs::read(sandbox.local_file("link")).unwrap(), b"hello");
    assert!(!stderr.contains("line 10:"), "{stderr}");
}

#[test]
fn mget_with_a_folder_fetches_from_that_folder() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("docs")).unwrap();
    fs::write(server.root.join("docs/one.txt"), b"1").unwrap();
    fs::write(server.root.join("docs/two.txt"), b"2").unwrap();
    fs::write(server.root.join("docs/skip.bin"), b"x").unwrap();
    fs::write(server.root.join("docsfile.txt"), b"not in docs").unwrap();
    let out = run_script(&sandbox, &server, "mget docs/*.txt\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("one.txt")).unwrap(), b"1");
    assert_eq!(fs::read(sandbox.local_file("two.txt")).unwrap(), b"2");
    assert!(!sandbox.local_file("skip.bin").exists() && !sandbox.local_file("file.txt").exists());
}

#[test]
fn a_netrc_login_without_a_password_is_a_login_failure() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    sandbox.write_netrc(&format!("machine {} login {USER}\n", server.host), 0o600);
    let out = sandbox.run(&[&server.host, &server.port.to_string()], "pwd\n");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&format!("no password for {USER}")), "{}", text(&out.stderr));
}

#[test]
fn get_r_and_put_r_copy_whole_trees_on_parallel_connections() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("site/img/empty")).unwrap();
    fs::write(server.root.join("site/index.html"), b"<html>").unwrap();
    fs::write(server.root.join("site/img/logo.png"), pattern(300_000)).unwrap();
    let out = run_script(&sandbox, &server, "parallel 3\nget -r site\nput -r site copy\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Using 3 connection(s)"), "{}", text(&out.stdout));
    assert_eq!(fs::read(sandbox.local_file("site/index.html")).unwrap(), b"<html>");
    assert_eq!(fs::read(sandbox.local_file("site/img/logo.png")).unwrap(), pattern(300_000));
    assert!(sandbox.local_file("site/img/empty").is_dir(), "empty folders too");
    assert_eq!(fs::read(server.root.join("copy/img/logo.png")).unwrap(), pattern(300_000));
    assert!(server.root.join("copy/img/empty").is_dir());
    assert!(server.connections().unwrap() >= 2, "more than one connection was used");
}

#[test]
fn one_failed_file_does_not_stop_the_others() {
    let server = ScriptedServer::start(|s| {
        s.greet_and_login();
        s.answer_epsv();
        s.expect("NLST");
        s.send("150 listing");
        s.accept_data().write_all(b"a.txt\r\nb.txt\r\nc.txt\r\n").unwrap();
        s.send("226 done");
        for (name, ok) in [("a.txt", true), ("b.txt", false), ("c.txt", true)] {
            if name == "a.txt" {
                s.expect("TYPE I");
                s.send("200 binary");
            }
            s.expect(&format!("SIZE {name}"));
            s.send("550 no size");
            s.expect(&format!("MDTM {name}"));
            s.send("550 no time");
            s.answer_epsv();
            s.expect(&format!("RETR {name}"));
            if ok {
                s.send("150 go");
                s.accept_data().write_all(name.as_bytes()).unwrap();
                s.send("226 done");
            } else {
                s.send("550 b.txt: Permission denied");
            }
        }
        s.drain();
    });
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = sandbox.run(&["-n", "127.0.0.1", &port], "user u p\nparallel 1\nmget *.txt\n");
    server.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("b.txt: RETR b.txt failed: 550 b.txt: Permission denied"), "{stderr}");
    assert!(stderr.contains("line 3: 1 of 3 files failed"), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("a.txt")).unwrap(), b"a.txt");
    assert_eq!(fs::read(sandbox.local_file("c.txt")).unwrap(), b"c.txt");
    assert!(!sandbox.local_file("b.txt").exists() && !sandbox.local_file("b.txt.part").exists());
}

#[test]
fn a_tree_with_x_and_x_part_never_overwrites_one_with_the_other() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(server.root.join("d")).unwrap();
    fs::write(server.root.join("d/x"), b"the x file").unwrap();
    fs::write(server.root.join("d/x.part"), b"a file of its own").unwrap();
    let out = run_script(&sandbox, &server, "get -r d\n");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("d/x: not transferred: d/x.part is another file being fetched"), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("d/x.part")).unwrap(), b"a file of its own");
    assert!(!sandbox.local_file("d/x").exists());
}
