//! A hostile review of the mirror's data safety (issue #13): what
//! `--delete`, hostile listings and names, links and dry runs can make it
//! do to the target. Each test is a defect that was found and fixed.

mod common;
mod scripted;

use std::process::Stdio;
use std::sync::Arc;

use common::sandbox::{Sandbox, text};
use scripted::{ScriptedServers, Session};

/// What a [`serve_tree`] server lists for a path: MLSD lines, or `None`
/// for a path that is not a folder; asked for `LIST PATH`, LIST's lines.
type Tree = Arc<dyn Fn(&str) -> Option<Vec<String>> + Send + Sync>;

/// Answers one connection like a server with MLSD whose folders are what
/// `tree` says; DELE and RMD of anything are refused (a folder that DELE
/// cannot remove and that is never empty), STOR and MKD are accepted.
fn serve_tree(s: &mut Session, tree: &Tree) {
    scripted::serve_loosely(s, "220 scripted server", |s, line| {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let path = if arg.starts_with('/') { arg.to_string() } else { format!("/{arg}") };
        Some(match verb.to_ascii_uppercase().as_str() {
            "FEAT" => {
                s.send("211-Features:");
                s.send(" MLSD");
                "211 End".into()
            }
            "OPTS" => "200 ok".into(),
            "CWD" if tree(&path).is_some() => "250 ok".into(),
            "CWD" => "550 no such folder".into(),
            "MLSD" => send_listing(s, tree(&path)),
            "LIST" => send_listing(s, tree(&format!("LIST {path}"))),
            "DELE" | "RMD" => "550 refused".into(),
            "MKD" => format!("257 \"{path}\" made"),
            _ => return None,
        })
    });
}

/// Sends `lines` as a listing (150, the data, 226), or 550 for `None`.
fn send_listing(s: &mut Session, lines: Option<Vec<String>>) -> String {
    let Some(lines) = lines else { return "550 no such folder".into() };
    s.send("150 here it comes");
    let mut data = s.accept_data();
    for l in lines {
        let _ = std::io::Write::write_all(&mut data, format!("{l}\r\n").as_bytes());
    }
    drop(data);
    "226 done".into()
}

/// Runs `rftp ARGS` (`URL` replaced by the server's URL) against one
/// [`serve_tree`] server per connection, for a minute at most; returns the
/// output and every command line the server received.
fn run_against(tree: Tree, sandbox: &Sandbox, args: &[&str]) -> (std::process::Output, Vec<String>) {
    let servers = ScriptedServers::start(move |_, s| serve_tree(s, &tree));
    let url = format!("ftp://127.0.0.1:{}", servers.port);
    let args: Vec<String> = args.iter().map(|a| a.replace("URL", &url)).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_for_a_minute_at_most(sandbox, &args);
    let received = servers.finish().into_iter().flat_map(|(_, lines)| lines).collect();
    (out, received)
}

/// Runs `rftp ARGS`; panics when it is still running after a minute (its
/// output is read meanwhile, so that a full pipe cannot stop it).
fn run_for_a_minute_at_most(sandbox: &Sandbox, args: &[&str]) -> std::process::Output {
    let child = sandbox.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("rftp starts");
    let pid = child.id();
    let (done, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output().unwrap()));
    output.recv_timeout(std::time::Duration::from_secs(60)).unwrap_or_else(|_| {
        let _ = std::process::Command::new("kill").arg(pid.to_string()).status();
        panic!("rftp {args:?} still running after a minute");
    })
}

/// `-R --delete` of an empty folder into `/t`, whose extra folder `old`
/// holds a folder `a`, which holds a folder `a`, without end (a hostile
/// server, or links in a loop). The deletion walk must stop at a bounded
/// depth and say so, not recurse until the stack overflows.
#[test]
fn deleting_a_remote_folder_that_never_ends_stops_at_a_bounded_depth() {
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.local.join("src")).unwrap();
    let tree: Tree = Arc::new(|path: &str| match path {
        "/" => Some(vec!["type=dir; t".to_string()]),
        "/t" => Some(vec!["type=dir; old".to_string()]),
        p if p.starts_with("/t/old") => Some(vec!["type=dir; a".to_string()]),
        _ => None,
    });
    let (out, received) = run_against(tree, &sandbox, &["-j", "1", "mirror", "--delete", "src", "URL/t"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("deeper than"), "the limit is said: {stderr}");
    let walked = received.iter().filter(|l| l.starts_with("MLSD /t/old")).count();
    assert!(walked <= 70, "the deletion walked {walked} folders deep");
}

/// A download whose source folder lists thousands of lines rftp cannot
/// read (or names it refuses): each was kept in memory and reported on
/// its own line, so a hostile server had the client hold and print
/// hundreds of megabytes. Past a bound the folder fails once, as `get -r`
/// does, and nothing in it is deleted.
#[test]
fn a_listing_of_endless_unreadable_lines_fails_its_folder_once_and_deletes_nothing() {
    let sandbox = Sandbox::new();
    let out_dir = sandbox.local.join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::write(out_dir.join("keep.txt"), b"mine\n").unwrap();
    let tree: Tree = Arc::new(|path: &str| match path {
        "/" | "/s" => {
            let mut lines: Vec<String> = (0..3000).map(|n| format!("garbage line {n} {}", "x".repeat(300))).collect();
            lines.extend((0..3000).map(|n| format!("type=file;size=1; a/{n}")));
            Some(lines)
        }
        _ => None,
    });
    let (out, _) = run_against(tree, &sandbox, &["-j", "1", "mirror", "--delete", "URL/s", "out"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let lines = stderr.lines().count();
    assert!(lines < 150, "{lines} lines of errors: {}", &stderr[..2000.min(stderr.len())]);
    assert!(stderr.contains("more than 100"), "the bound is said: {stderr}");
    assert!(out_dir.join("keep.txt").exists(), "nothing is deleted on a listing that failed");
}

/// In the interactive shell, Ctrl-C during `mirror -R --delete`'s
/// deletions (the user saw it delete what it should not) must stop them:
/// it went on deleting every file, since no transfer was running to abort.
#[test]
fn ctrl_c_in_the_shell_stops_a_mirrors_deletions() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const EXTRA: usize = 20;
    let deleted = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&deleted);
    let servers = ScriptedServers::start(move |_, s| {
        let counted = Arc::clone(&counted);
        scripted::serve_loosely(s, "220 scripted server", move |s, line| {
            let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
            Some(match verb.to_ascii_uppercase().as_str() {
                "FEAT" => "211 no features".into(),
                "CWD" if ["/", "/t"].contains(&arg) => "250 ok".into(),
                "MLSD" if arg == "/t" => {
                    s.send("150 here it comes");
                    let mut data = s.accept_data();
                    for n in 0..EXTRA {
                        let line = format!("type=file;size=1;modify=20200101000000; f{n:02}\r\n");
                        std::io::Write::write_all(&mut data, line.as_bytes()).unwrap();
                    }
                    drop(data);
                    "226 done".into()
                }
                "DELE" => {
                    counted.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(250));
                    "250 deleted".into()
                }
                _ => return None,
            })
        });
    });
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.local.join("src")).unwrap();
    let mut command = sandbox.command(&["127.0.0.1", &servers.port.to_string()]);
    command.env("TERM", "xterm").stdin(std::process::Stdio::inherit());
    let mut shell = rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty");
    shell.exp_string("Name (127.0.0.1:tester): ").unwrap();
    shell.send_line("u").unwrap();
    shell.exp_string("Password: ").unwrap();
    shell.send_line("p").unwrap();
    shell.exp_string("ftp> ").unwrap();
    shell.send_line("mirror -R --delete src /t").unwrap();
    let started = std::time::Instant::now();
    while deleted.load(Ordering::SeqCst) == 0 {
        assert!(started.elapsed().as_secs() < 10, "no deletion started");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    shell.send_control('c').unwrap();
    shell.exp_string("ftp> ").unwrap();
    let after_ctrl_c = deleted.load(Ordering::SeqCst);
    shell.send_line("bye").unwrap();
    shell.exp_eof().unwrap();
    servers.finish();
    assert!(after_ctrl_c <= 2, "{after_ctrl_c} of {EXTRA} files were deleted after Ctrl-C");
}

/// A folder that lists more folders than a mirror takes on: each was made
/// in the target as soon as it was listed, before the limit (counted per
/// folder visited) tripped, so a hostile server could have the client make
/// folders by the million. The limit counts folders as they are listed.
#[test]
fn a_folder_listing_more_folders_than_the_limit_makes_none_of_them() {
    let sandbox = Sandbox::new();
    let tree: Tree = Arc::new(|path: &str| match path {
        "/" => Some(vec![]),
        "/s" => Some((0..25_000).map(|n| format!("type=dir; d{n}")).collect()),
        _ => None,
    });
    let (out, _) = run_against(tree, &sandbox, &["-j", "1", "mirror", "URL/s", "out"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", &stderr[..2000.min(stderr.len())]);
    assert!(stderr.contains("more than 20000 folders"), "the limit is said: {}", &stderr[..2000.min(stderr.len())]);
    let made = std::fs::read_dir(sandbox.local.join("out")).unwrap().count();
    assert_eq!(made, 0, "{made} folders were made");
}

/// A folder listing names of tens of kilobytes each: every name was kept,
/// so 200,000 lines of 64 KiB (what one listing may have) held gigabytes.
/// The names of one folder are bounded as `get -r` bounds a tree's paths.
#[test]
fn a_folder_listing_huge_names_fails_at_a_bounded_size() {
    let sandbox = Sandbox::new();
    let tree: Tree = Arc::new(|path: &str| match path {
        "/" => Some(vec![]),
        "/s" => Some((0..1500).map(|n| format!("type=file;size=1; {n:05}{}", "n".repeat(20_000))).collect()),
        _ => None,
    });
    let (out, received) = run_against(tree, &sandbox, &["-j", "1", "mirror", "URL/s", "out"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", &stderr[..2000.min(stderr.len())]);
    assert!(stderr.contains("more than 24 MiB"), "the limit is said: {}", &stderr[..2000.min(stderr.len())]);
    assert!(!received.iter().any(|l| l.starts_with("RETR")), "nothing is fetched from a folder that failed");
}

/// A tree of folders with long names, many deep, whose deepest folder
/// lists thousands of files: each file's path (kept until the end of the
/// run) is the whole chain of names, so memory grew with depth times
/// files. The paths of a whole mirror are bounded as `get -r`'s are.
#[test]
fn a_deep_tree_of_long_names_fails_once_its_paths_pass_the_bound() {
    const DEPTH: usize = 60;
    let sandbox = Sandbox::new();
    let tree: Tree = Arc::new(|path: &str| {
        let long = "L".repeat(250);
        if path == "/" {
            return Some(vec![]);
        }
        let rest = path.strip_prefix("/s")?;
        let depth = rest.split('/').filter(|c| !c.is_empty()).count();
        Some(match depth {
            d if d < DEPTH => vec![format!("type=dir; {long}")],
            _ => (0..2000).map(|n| format!("type=file;size=1; {n:04}{long}")).collect(),
        })
    });
    let (out, received) = run_against(tree, &sandbox, &["-j", "1", "mirror", "--dry-run", "URL/s", "out"]);
    let stderr = text(&out.stderr);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", &stderr[..2000.min(stderr.len())]);
    assert!(stderr.contains("more than 24 MiB"), "the limit is said: {}", &stderr[..2000.min(stderr.len())]);
    assert!(!stdout.contains("0000LLL"), "no file of the deepest folder is taken on");
    assert!(received.iter().filter(|l| l.starts_with("MLSD")).count() <= DEPTH + 1);
}

/// Folders whose listings are long but name nothing to move (`cdir`
/// lines, as many as one listing may have): the mirror read them all, in
/// every folder, so a hostile tree took hours. The lines of a whole mirror
/// are bounded as `get -r`'s are.
#[test]
fn listings_longer_than_the_bound_in_all_stop_the_mirror() {
    let sandbox = Sandbox::new();
    let tree: Tree = Arc::new(|path: &str| match path {
        "/" => Some(vec![]),
        "/s" => Some((0..3).map(|n| format!("type=dir; d{n}")).collect()),
        _ => Some(vec!["type=cdir; .".to_string(); 190_000]),
    });
    let (out, _) = run_against(tree, &sandbox, &["-j", "1", "mirror", "--dry-run", "URL/s", "out"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", &stderr[..2000.min(stderr.len())]);
    assert!(stderr.contains("more than 440000 listing lines"), "the limit is said: {stderr}");
}

/// `-R --delete` where the extra folder's tree is wide as well as deep
/// (each folder lists 60,000 folders, and DELE removes none): the depth
/// bound alone let the walk go on for ever. The names a deletion walks
/// are bounded as a tree's are, and the walk stops at once past them.
#[test]
fn deleting_a_remote_folder_that_is_endlessly_wide_stops_at_a_bounded_size() {
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.local.join("src")).unwrap();
    let tree: Tree = Arc::new(|path: &str| match path {
        "/" => Some(vec!["type=dir; t".to_string()]),
        "/t" => Some(vec!["type=dir; old".to_string()]),
        p if p.starts_with("/t/old") => Some((0..60_000).map(|n| format!("type=dir; a{n}")).collect()),
        _ => None,
    });
    let (out, received) = run_against(tree, &sandbox, &["-j", "1", "mirror", "--delete", "src", "URL/t"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", &stderr[..2000.min(stderr.len())]);
    assert!(stderr.contains("more than 220000 names"), "the limit is said: {}", &stderr[..2000.min(stderr.len())]);
    let commands = received.iter().filter(|l| l.starts_with("MLSD") || l.starts_with("DELE")).count();
    assert!(commands < 20, "{commands} listings and deletions");
}

/// `-R --delete` into `/t`, where the server's `t/sub` is a link to a
/// folder elsewhere (`/important`) that MLSD shows as a folder (pyftpdlib
/// does), and the local tree has `sub` too: the mirror went into the link
/// and deleted what `/important` held that `sub` lacks. Before deleting
/// inside a folder, its LIST line (which shows links as links) is checked.
#[test]
fn delete_on_an_upload_never_deletes_through_a_remote_link_shown_as_a_folder() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.local.join("src/sub")).unwrap();
    let tree: Tree = Arc::new(|path: &str| match path {
        "/" => Some(vec!["type=dir; t".to_string(), "type=dir; important".to_string()]),
        "/t" => Some(vec!["type=dir;unique=fe00g9a60ba; sub".to_string()]),
        "/t/sub" | "/important" => Some(vec!["type=file;size=5;modify=20200101000000; keep.txt".to_string()]),
        "LIST /t" => {
            Some(vec!["lrwxrwxrwx   1 root     root           12 Dec 01 23:42 sub -> ../important".to_string()])
        }
        _ => None,
    });
    let (out, received) = run_against(tree, &sandbox, &["-j", "1", "mirror", "--delete", "src", "URL/t"]);
    let stderr = text(&out.stderr);
    let deleted: Vec<&String> = received.iter().filter(|l| l.starts_with("DELE")).collect();
    assert!(deleted.is_empty(), "deleted through the link: {deleted:?}; {stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("sub/keep.txt") && stderr.contains("link"), "the refusal is said: {stderr}");
}

/// The check above costs nothing to a real folder: on the embedded server,
/// what the local tree lacks inside an existing folder is still deleted.
#[test]
fn delete_on_an_upload_still_deletes_inside_a_real_remote_folder() {
    let server = common::TestServer::start();
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.local.join("src/sub/deeper")).unwrap();
    std::fs::write(sandbox.local.join("src/sub/deeper/a.txt"), b"a\n").unwrap();
    let target = common::url(&server, "up");
    let first = sandbox.run(&["mirror", "src", &target], "");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    std::fs::write(server.root.join("up/sub/deeper/extra.txt"), b"extra\n").unwrap();
    let out = sandbox.run(&["mirror", "--delete", "src", &target], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!server.root.join("up/sub/deeper/extra.txt").exists());
    assert!(server.root.join("up/sub/deeper/a.txt").exists());
}

/// `-R` into `/t` whose `sub` is a link that MLSD shows as a folder: the
/// files of the local `sub` were written through it, into `/important`,
/// outside the mirrored folder. A folder that files are about to be
/// written into is checked with LIST first (once, and only then).
#[test]
fn an_upload_never_writes_through_a_remote_link_shown_as_a_folder() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.local.join("src/sub/inner")).unwrap();
    std::fs::write(sandbox.local.join("src/sub/new.txt"), b"new\n").unwrap();
    std::fs::write(sandbox.local.join("src/sub/inner/deep.txt"), b"deep\n").unwrap();
    let tree: Tree = Arc::new(|path: &str| match path {
        "/" => Some(vec!["type=dir; t".to_string(), "type=dir; important".to_string()]),
        "/t" => Some(vec!["type=dir; sub".to_string()]),
        "/t/sub" | "/important" => Some(vec!["type=dir; inner".to_string()]),
        "/t/sub/inner" | "/important/inner" => Some(vec![]),
        "LIST /t" => {
            Some(vec!["lrwxrwxrwx   1 root     root           12 Dec 01 23:42 sub -> ../important".to_string()])
        }
        "LIST /t/sub" => Some(vec!["drwxr-xr-x   2 root     root         4096 Dec 01 23:42 inner".to_string()]),
        _ => None,
    });
    let (out, received) = run_against(tree, &sandbox, &["-j", "1", "mirror", "src", "URL/t"]);
    let stderr = text(&out.stderr);
    let written: Vec<&String> = received.iter().filter(|l| l.starts_with("STOR") || l.starts_with("MKD")).collect();
    assert!(written.is_empty(), "written through the link: {written:?}; {stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("sub/new.txt") && stderr.contains("as a link"), "the refusal is said: {stderr}");
}

/// In the shell, `mirror --delete /` (or `.`) with no local folder named
/// mirrored into the current folder, deleting everything in it that the
/// server lacked (a home folder, say); `mirror -R --delete /` the same on
/// the server's login folder. With `--delete`, a target that would be the
/// current folder must be named.
#[test]
fn shell_mirror_delete_never_defaults_its_target_to_the_current_folder() {
    let server = common::TestServer::start();
    std::fs::write(server.root.join("theirs.txt"), b"server\n").unwrap();
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.local.join("mine.txt"), b"precious\n").unwrap();
    for command in ["mirror --delete /", "mirror --delete .", "mirror -R --delete /"] {
        let out = common::sandbox::run_script(&sandbox, &server, &format!("{command}\n"));
        let stderr = text(&out.stderr);
        assert!(sandbox.local.join("mine.txt").exists(), "{command} deleted a local file: {stderr}");
        assert!(server.root.join("theirs.txt").exists(), "{command} deleted a remote file: {stderr}");
        assert!(stderr.contains("name the target"), "{command}: {stderr}");
        assert_ne!(out.status.code(), Some(0), "{command}");
    }
    // Named, it is the user's choice.
    let out = common::sandbox::run_script(&sandbox, &server, "mirror --delete / .\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!sandbox.local.join("mine.txt").exists());
}

/// `-R` of a local file whose name has a `\` (or a control character):
/// a Windows server reads `..\..\x` as a path out of the target, and every
/// server's listing of it is refused by the next run, which uploaded it
/// again each time. Such names are refused before anything is sent.
#[test]
fn an_upload_refuses_local_names_the_server_could_read_as_paths() {
    let server = common::TestServer::start();
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.local.join("src")).unwrap();
    std::fs::write(sandbox.local.join("src/..\\..\\x.txt"), b"escape\n").unwrap();
    std::fs::write(sandbox.local.join("src/tab\there.txt"), b"tab\n").unwrap();
    std::fs::write(sandbox.local.join("src/ok.txt"), b"ok\n").unwrap();
    let target = common::url(&server, "up");
    for run in 0..2 {
        let out = sandbox.run(&["mirror", "--json", "src", &target], "");
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "run {run}: {stdout}");
        let puts: Vec<&str> = stdout.lines().filter(|l| l.contains(r#""action":"put""#)).collect();
        let expected = if run == 0 { 1 } else { 0 };
        assert_eq!(puts.len(), expected, "run {run}: {stdout}");
        assert!(stdout.contains("not uploaded"), "run {run}: {stdout}");
    }
    let names: Vec<String> = std::fs::read_dir(server.root.join("up"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["ok.txt"]);
}

/// The LIST check does not refuse a folder LIST leaves out: ProFTPD and
/// Pure-FTPd hide dot names from LIST (not from MLSD), and `-R --delete`
/// into an existing `.well-known` must still delete what the local lacks.
#[test]
fn the_link_check_passes_a_folder_that_list_hides() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.local.join("src/.well-known")).unwrap();
    let tree: Tree = Arc::new(|path: &str| match path {
        "/" => Some(vec!["type=dir; t".to_string()]),
        "/t" => Some(vec!["type=dir; .well-known".to_string()]),
        "/t/.well-known" => Some(vec!["type=file;size=5;modify=20200101000000; old.txt".to_string()]),
        "LIST /t" => Some(vec![]),
        _ => None,
    });
    let (out, received) = run_against(tree, &sandbox, &["-j", "1", "mirror", "--delete", "src", "URL/t"]);
    let deleted: Vec<&String> = received.iter().filter(|l| l.starts_with("DELE")).collect();
    assert_eq!(deleted, ["DELE t/.well-known/old.txt"], "{}", text(&out.stderr));
}

/// `--delete --exclude '*.tmp'` where a folder the source lacks holds an
/// excluded file two folders down: the file stays, and so must the folders
/// above it, quietly. Only the folder holding it knew it was kept; the one
/// above tried to remove itself, failed, and failed the mirror every run.
#[test]
fn an_excluded_file_deep_in_a_folder_to_delete_keeps_its_folders_without_a_failure() {
    let server = common::TestServer::start();
    std::fs::create_dir_all(server.root.join("src")).unwrap();
    std::fs::write(server.root.join("src/a.txt"), b"a\n").unwrap();
    let sandbox = Sandbox::new();
    let extra = sandbox.local.join("out/extra/deeper");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(extra.join("keep.tmp"), b"mine\n").unwrap();
    std::fs::write(extra.join("gone.txt"), b"gone\n").unwrap();
    let out = sandbox.run(&["mirror", "--delete", "--exclude", "*.tmp", &common::url(&server, "src"), "out"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(extra.join("keep.tmp").exists());
    assert!(!extra.join("gone.txt").exists());

    // The same on the server, with -R.
    let remote_extra = server.root.join("up/extra/deeper");
    std::fs::create_dir_all(&remote_extra).unwrap();
    std::fs::write(remote_extra.join("keep.tmp"), b"theirs\n").unwrap();
    std::fs::write(remote_extra.join("gone.txt"), b"gone\n").unwrap();
    std::fs::create_dir_all(sandbox.local.join("up")).unwrap();
    let out = sandbox.run(&["mirror", "--delete", "--exclude", "*.tmp", "up", &common::url(&server, "up")], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(remote_extra.join("keep.tmp").exists());
    assert!(!remote_extra.join("gone.txt").exists());
}
