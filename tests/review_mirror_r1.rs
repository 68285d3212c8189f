//! A hostile review of the mirror's data safety (issue #13): what
//! `--delete`, hostile listings and names, links and dry runs can make it
//! do to the target. Each test is a defect that was found and fixed.

mod common;
mod scripted;

use std::sync::Arc;

use common::sandbox::{Sandbox, text};
use scripted::{ScriptedServers, Session};

/// What a [`serve_tree`] server lists for a path: MLSD lines, or `None`
/// for a path that is not a folder.
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
            "MLSD" => match tree(&path) {
                Some(lines) => {
                    s.send("150 here it comes");
                    let mut data = s.accept_data();
                    for l in lines {
                        let _ = std::io::Write::write_all(&mut data, format!("{l}\r\n").as_bytes());
                    }
                    drop(data);
                    "226 done".into()
                }
                None => "550 no such folder".into(),
            },
            "DELE" | "RMD" => "550 refused".into(),
            "MKD" => format!("257 \"{path}\" made"),
            _ => return None,
        })
    });
}

/// Runs `rftp ARGS` (`URL` replaced by the server's URL) against one
/// [`serve_tree`] server per connection; returns the output and every
/// command line the server received.
fn run_against(tree: Tree, sandbox: &Sandbox, args: &[&str]) -> (std::process::Output, Vec<String>) {
    let servers = ScriptedServers::start(move |_, s| serve_tree(s, &tree));
    let url = format!("ftp://127.0.0.1:{}", servers.port);
    let args: Vec<String> = args.iter().map(|a| a.replace("URL", &url)).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = sandbox.run(&args, "");
    let received = servers.finish().into_iter().flat_map(|(_, lines)| lines).collect();
    (out, received)
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
