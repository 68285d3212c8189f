//! File names that are not UTF-8 (Latin-1, Shift-JIS), from a scripted server
//! that keeps them as bytes: they are fetched with the server's exact bytes,
//! saved under the same bytes, shown as `\xNN`, typed back as `\xNN`, and a
//! listing into a pipe is the server's bytes. Also `OPTS UTF8 ON` after FEAT.

mod common;
mod scripted;

use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

use common::sandbox::{Sandbox, text};
use rftp::protocol::Client;
use scripted::{ScriptedServer, Session};

/// "café.txt" in Latin-1.
const LATIN1: &[u8] = b"caf\xe9.txt";
/// "日本.txt" in Shift-JIS (the second byte of 本 is ASCII `{`).
const SJIS: &[u8] = b"\x93\xfa\x96\x7b.txt";
/// "dépôt" in Latin-1, a folder.
const FOLDER: &[u8] = b"d\xe9p\xf4t";
/// "テスト.txt" in Shift-JIS: trail bytes `e`, `X` and `g` are ASCII.
const INSIDE: &[u8] = b"\x83\x65\x83\x58\x83\x67.txt";

/// A remote tree whose names are bytes, as such servers keep them.
struct Tree {
    /// (path from the root, contents)
    files: Vec<(Vec<u8>, Vec<u8>)>,
    folders: Vec<Vec<u8>>,
    /// Answer MLSD; when false it is "not implemented" and LIST is used.
    mlsd: bool,
    /// What FEAT lists.
    features: Vec<&'static str>,
}

fn join(folder: &[u8], name: &[u8]) -> Vec<u8> {
    [folder, b"/", name].concat()
}

fn sample_tree(mlsd: bool) -> Tree {
    Tree {
        files: vec![
            (LATIN1.to_vec(), b"latin-1\n".to_vec()),
            (SJIS.to_vec(), b"shift-jis\n".to_vec()),
            (join(FOLDER, INSIDE), b"inside\n".to_vec()),
        ],
        folders: vec![FOLDER.to_vec()],
        mlsd,
        features: vec!["MDTM", "SIZE"],
    }
}

fn parent(path: &[u8]) -> &[u8] {
    path.iter().rposition(|&b| b == b'/').map_or(&b""[..], |i| &path[..i])
}

fn last(path: &[u8]) -> &[u8] {
    path.iter().rposition(|&b| b == b'/').map_or(path, |i| &path[i + 1..])
}

impl Tree {
    fn file(&self, path: &[u8]) -> Option<&[u8]> {
        self.files.iter().find(|(p, _)| p == path).map(|(_, data)| data.as_slice())
    }

    /// One listing line per entry of `folder`, in the format of `verb`.
    fn listing(&self, verb: &str, folder: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, data) in self.files.iter().filter(|(p, _)| parent(p) == folder) {
            let line: Vec<u8> = match verb {
                "MLSD" => format!("type=file;size={};modify=20240101000000; ", data.len()).into_bytes(),
                "LIST" => format!("-rw-r--r--   1 ftp      ftp      {:>8} Jan 01  2024 ", data.len()).into_bytes(),
                _ => Vec::new(),
            };
            out.extend([&line[..], last(path), b"\r\n"].concat());
        }
        for path in self.folders.iter().filter(|p| parent(p) == folder) {
            let line: &[u8] = match verb {
                "MLSD" => b"type=dir;modify=20240101000000; ",
                "LIST" => b"drwxr-xr-x   2 ftp      ftp          4096 Jan 01  2024 ",
                _ => b"",
            };
            out.extend([line, last(path), b"\r\n"].concat());
        }
        out
    }
}

/// Answers whatever the client asks, the way a server with byte names does.
fn serve(s: &mut Session, tree: &Tree) {
    s.send("220 names test server");
    while let Some(line) = s.read_line() {
        let (verb, argument) = match line.iter().position(|&b| b == b' ') {
            Some(i) => (&line[..i], Some(&line[i + 1..])),
            None => (&line[..], None),
        };
        let verb = String::from_utf8_lossy(verb).to_ascii_uppercase();
        // Paths are relative to the root here; `/` and `./` mean the root.
        let path = argument.map(|a| a.strip_prefix(b"/").unwrap_or(a)).map(|a| a.strip_prefix(b"./").unwrap_or(a));
        let path = path.unwrap_or(b"");
        match verb.as_str() {
            "USER" => s.send("331 password please"),
            "PASS" => s.send("230 logged in"),
            "FEAT" if tree.features.is_empty() => s.send("502 no FEAT"),
            "FEAT" => {
                s.send("211-Features:");
                for feature in &tree.features {
                    s.send(&format!(" {feature}"));
                }
                s.send("211 End");
            }
            "OPTS" | "TYPE" | "NOOP" => s.send("200 ok"),
            "PWD" => s.send("257 \"/\" is the folder"),
            "CWD" if path.is_empty() || tree.folders.iter().any(|f| f == path) => s.send("250 ok"),
            "SIZE" => match tree.file(path) {
                Some(data) => s.send(&format!("213 {}", data.len())),
                None => s.send_raw(&[b"550 no such file: ", path, b"\r\n"].concat()),
            },
            "MDTM" if tree.file(path).is_some() => s.send("213 20240101000000"),
            "EPSV" => {
                let port = s.listen_passive();
                s.send(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
            }
            "RETR" => match tree.file(path) {
                Some(data) => {
                    s.send("150 here it comes");
                    s.accept_data().write_all(data).unwrap();
                    s.send("226 done");
                }
                None => s.send_raw(&[b"550 no such file: ", path, b"\r\n"].concat()),
            },
            "MLSD" if !tree.mlsd => s.send("500 MLSD not understood"),
            "MLSD" | "LIST" | "NLST" => {
                s.send("150 listing");
                s.accept_data().write_all(&tree.listing(&verb, path)).unwrap();
                s.send("226 listed");
            }
            "QUIT" => {
                s.send("221 bye");
                return;
            }
            _ => s.send("502 not here"),
        }
    }
}

fn start(tree: Tree) -> ScriptedServer {
    ScriptedServer::start(move |s| serve(s, &tree))
}

/// The command lines that start with `verb `, as raw bytes.
fn sent(received: &[Vec<u8>], verb: &str) -> Vec<Vec<u8>> {
    received.iter().filter(|l| l.starts_with(format!("{verb} ").as_bytes())).cloned().collect()
}

/// The names of the files in `folder`, as bytes.
fn local_names(folder: &std::path::Path) -> Vec<Vec<u8>> {
    let mut names: Vec<Vec<u8>> =
        fs::read_dir(folder).unwrap().map(|e| e.unwrap().file_name().as_bytes().to_vec()).collect();
    names.sort();
    names
}

fn local(sandbox: &Sandbox, path: &[u8]) -> PathBuf {
    sandbox.local.join(std::ffi::OsStr::from_bytes(path))
}

fn get_mget_and_get_r_use_the_servers_bytes(mlsd: bool) {
    let server = start(sample_tree(mlsd));
    let sandbox = Sandbox::new();
    // A local folder that is not UTF-8 either, for `lcd`.
    fs::create_dir(local(&sandbox, b"m\xe9")).unwrap();
    let port = server.port.to_string();
    // The names typed as the shell shows them: `\xNN` for each such byte.
    let script = "user u p\nparallel 1\nget caf\\xe9.txt\nlcd m\\xe9\nmget *.txt\nlcd ..\nget -r d\\xe9p\\xf4t\n";
    let out = sandbox.run(&["-n", "127.0.0.1", &port], script);
    let received = server.finish_raw();
    assert!(out.status.success(), "{}", text(&out.stderr));

    let retr = sent(&received, "RETR");
    let expected: Vec<Vec<u8>> =
        [LATIN1, LATIN1, SJIS, &join(FOLDER, INSIDE)].iter().map(|name| [b"RETR ", *name].concat()).collect();
    let mut sorted = retr.clone();
    sorted.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(sorted, expected_sorted, "{:?}", retr.iter().map(|l| text(l)).collect::<Vec<_>>());

    assert_eq!(fs::read(local(&sandbox, LATIN1)).unwrap(), b"latin-1\n");
    let mut both = vec![LATIN1.to_vec(), SJIS.to_vec()];
    both.sort();
    assert_eq!(local_names(&local(&sandbox, b"m\xe9")), both, "mget saved the server's bytes");
    assert_eq!(fs::read(local(&sandbox, &[b"m\xe9/", SJIS].concat())).unwrap(), b"shift-jis\n");
    let folder = local(&sandbox, FOLDER);
    assert_eq!(local_names(&folder), [INSIDE.to_vec()], "get -r saved the server's bytes");
    assert_eq!(fs::read(folder.join(std::ffi::OsStr::from_bytes(INSIDE))).unwrap(), b"inside\n");
}

#[test]
fn get_mget_and_get_r_with_mlsd_use_the_servers_bytes() {
    get_mget_and_get_r_use_the_servers_bytes(true);
}

#[test]
fn get_mget_and_get_r_with_list_use_the_servers_bytes() {
    get_mget_and_get_r_use_the_servers_bytes(false);
}

#[test]
fn ls_into_a_pipe_gives_the_servers_bytes() {
    for (long, verb) in [(false, "NLST"), (true, "LIST")] {
        let server = start(sample_tree(false));
        let sandbox = Sandbox::new();
        let target = format!("ftp://u:p@127.0.0.1:{}/", server.port);
        let args: &[&str] = if long { &["ls", "-l", &target] } else { &["ls", &target] };
        let out = sandbox.run(args, "");
        let received = server.finish_raw();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(
            sent(&received, verb).len() + usize::from(received.iter().any(|l| l.as_slice() == verb.as_bytes())),
            1
        );
        for name in [LATIN1, SJIS, FOLDER] {
            let line_end = [name, b"\n"].concat();
            assert!(out.stdout.windows(line_end.len()).any(|w| w == line_end), "{}", text(&out.stdout));
        }
    }
}

#[test]
fn the_shell_shows_such_names_escaped_and_lists_them_as_bytes_into_a_pipe() {
    let server = start(sample_tree(true));
    let sandbox = Sandbox::new();
    let port = server.port.to_string();
    let out = sandbox.run(&["-n", "127.0.0.1", &port], "user u p\nnlist\nget nothing\\xff\n");
    server.finish();
    // The listing, into a pipe, is the server's bytes.
    let expected = [LATIN1, b"\n", SJIS, b"\n", FOLDER, b"\n"].concat();
    assert!(out.stdout.windows(expected.len()).any(|w| w == expected), "{:?}", text(&out.stdout));
    // A message names the file as it is typed, `\xNN`, never as a
    // replacement character or a raw byte.
    let stderr = text(&out.stderr);
    assert!(stderr.contains(r"nothing\xff"), "{stderr}");
    assert!(!stderr.contains('\u{FFFD}') && !out.stderr.contains(&0xff), "{stderr}");
}

#[test]
fn completion_shows_such_names_escaped() {
    let server = start(sample_tree(true));
    let sandbox = Sandbox::new();
    let mut command = sandbox.command(&["-n", "127.0.0.1", &server.port.to_string()]);
    command.env("TERM", "xterm").stdin(std::process::Stdio::inherit());
    let mut session = rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty");
    session.exp_string("ftp> ").unwrap();
    session.send_line("user u p").unwrap();
    session.exp_string("230").unwrap();
    session.exp_string("ftp> ").unwrap();
    // On a terminal a listing shows such bytes as `\xNN`.
    session.send_line("nlist").unwrap();
    session.exp_string(r"\x93\xfa\x96{.txt").unwrap();
    session.exp_string("ftp> ").unwrap();
    // One candidate: the word becomes the name as it is typed.
    session.send("get caf\t").unwrap();
    session.flush().unwrap();
    session.exp_string(r"caf\xe9.txt").unwrap();
    // And it is the name: Enter fetches it.
    session.send_line("").unwrap();
    session.exp_string("ftp> ").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
    let received = server.finish_raw();
    assert_eq!(sent(&received, "RETR"), [[b"RETR ", LATIN1].concat()]);
    assert_eq!(fs::read(local(&sandbox, LATIN1)).unwrap(), b"latin-1\n");
}

/// Logs in with the library against a server listing `features`, and
/// returns what it received.
fn login_with_features(features: Vec<&'static str>, opts_reply: &'static str) -> Vec<String> {
    let server = ScriptedServer::start(move |s| {
        s.send("220 hi");
        s.expect("USER ");
        s.send("331 password");
        s.expect("PASS ");
        s.send("230 in");
        s.answer_feat(&features);
        if features.contains(&"UTF8") {
            s.expect("OPTS UTF8 ON");
            s.send(opts_reply);
        }
        s.expect("NOOP");
        s.send("200 still here");
        s.drain();
    });
    let mut client = Client::connect("127.0.0.1", server.port).unwrap();
    client.login("u", "p", None).unwrap();
    client.noop().unwrap();
    client.close();
    server.finish()
}

#[test]
fn opts_utf8_on_is_sent_when_feat_lists_utf8() {
    let received = login_with_features(vec!["MDTM", "UTF8", "SIZE"], "200 UTF8 set to on");
    assert_eq!(received[2..], ["FEAT", "OPTS UTF8 ON", "NOOP"]);
}

#[test]
fn a_refused_opts_utf8_is_not_an_error() {
    let received = login_with_features(vec!["UTF8"], "501 no thanks");
    assert_eq!(received[2..], ["FEAT", "OPTS UTF8 ON", "NOOP"]);
}

#[test]
fn no_opts_utf8_without_utf8_in_feat() {
    assert_eq!(login_with_features(vec!["MDTM", "SIZE"], "")[2..], ["FEAT", "NOOP"]);
    assert_eq!(login_with_features(vec![], "")[2..], ["FEAT", "NOOP"]);
}

#[test]
fn library_listing_and_retrieve_keep_the_bytes() {
    let server = start(sample_tree(true));
    let mut client = Client::connect("127.0.0.1", server.port).unwrap();
    client.login("u", "p", None).unwrap();
    let names: Vec<String> = client.mlsd(None).unwrap().into_iter().map(|e| e.name).collect();
    let latin1 = names.iter().find(|n| n.starts_with("caf")).expect("listed").clone();
    assert_eq!(rftp::protocol::wire::encode(&latin1).as_ref(), LATIN1);
    let mut data = Vec::new();
    client.retrieve(&latin1, &mut data, 0).unwrap();
    assert_eq!(data, b"latin-1\n");
    client.quit().unwrap();
    let received = server.finish_raw();
    assert_eq!(sent(&received, "RETR"), [[b"RETR ", LATIN1].concat()]);
}

#[test]
fn one_shot_get_and_get_r_take_percent_encoded_bytes() {
    let server = start(sample_tree(true));
    let sandbox = Sandbox::new();
    let base = format!("ftp://u:p@127.0.0.1:{}", server.port);
    let out = sandbox.run(&["get", &format!("{base}/caf%E9.txt")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(local(&sandbox, LATIN1)).unwrap(), b"latin-1\n");
    server.finish();

    let server = start(sample_tree(false));
    let out = sandbox.run(&["get", "-r", &format!("ftp://u:p@127.0.0.1:{}/d%E9p%F4t", server.port)], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let received = server.finish_raw();
    assert_eq!(sent(&received, "RETR"), [[b"RETR ", &join(FOLDER, INSIDE)[..]].concat()]);
    assert_eq!(local_names(&local(&sandbox, FOLDER)), [INSIDE.to_vec()]);
}

#[test]
fn a_421_to_feat_fails_the_login() {
    let server = ScriptedServer::start(|s| {
        s.send("220 hi");
        s.expect("USER ");
        s.send("331 password");
        s.expect("PASS ");
        s.send("230 in");
        s.expect("FEAT");
        s.send("421 going down");
        s.hang_up();
    });
    let mut client = Client::connect("127.0.0.1", server.port).unwrap();
    let err = client.login("u", "p", None).unwrap_err();
    assert!(err.to_string().contains("421 going down"), "{err}");
    server.finish();
}
