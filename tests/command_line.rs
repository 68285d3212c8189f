//! The command line itself: each subcommand's `--help` lists the options
//! that apply to it, session options work before or after the subcommand's
//! name, and the shell's own options are refused after a subcommand.

mod common;

use common::sandbox::{Sandbox, text};
use common::{TestServer, pattern, url};

/// The long option names a `--help` text lists.
fn long_options(help: &str) -> Vec<String> {
    help.lines()
        .filter(|line| line.trim_start().starts_with('-'))
        .filter_map(|line| line.split("--").nth(1))
        .filter_map(|rest| rest.split([' ', '<', ',']).next())
        .map(str::to_string)
        .collect()
}

fn help(sandbox: &Sandbox, args: &[&str]) -> String {
    let out = sandbox.run(args, "");
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn each_subcommand_help_lists_only_what_applies_to_it() {
    let sandbox = Sandbox::new();
    let get = long_options(&help(&sandbox, &["get", "--help"]));
    for option in ["output", "continue", "recursive", "segments", "user", "timeout", "tls", "limit-rate", "port"] {
        assert!(get.iter().any(|o| o == option), "get --help lacks --{option}: {get:?}");
    }
    // The shell's own options do nothing for a one-shot download.
    for option in ["no-login", "fail-fast"] {
        assert!(!get.iter().any(|o| o == option), "get --help lists --{option}: {get:?}");
    }
    let serve = long_options(&help(&sandbox, &["serve", "--help"]));
    assert_eq!(serve, ["write", "user", "port", "help"], "serve --help: {serve:?}");
    let shell = long_options(&help(&sandbox, &["--help"]));
    for option in ["no-login", "fail-fast", "tls", "parallel"] {
        assert!(shell.iter().any(|o| o == option), "--help lacks --{option}: {shell:?}");
    }
}

#[test]
fn help_texts_are_not_redacted_like_arguments() {
    // The URL form in get's summary once read `[USER[:****@]` after the
    // redaction meant for a URL echoed back in an error.
    let sandbox = Sandbox::new();
    for args in [&["get", "--help"][..], &["help", "get"], &["--help"]] {
        let help = help(&sandbox, args);
        assert!(help.contains("ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH"), "{args:?}: {help}");
    }
    // An error that echoes a URL still hides its password.
    let out = sandbox.run(&["get", "--bogus", "ftp://ann:hunter2@example.org/x"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains("hunter2"), "{}", text(&out.stderr));
}

#[test]
fn session_options_work_before_or_after_the_subcommand() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    std::fs::write(server.root.join("f.bin"), pattern(3000)).unwrap();
    for args in [
        vec!["-q", "--timeout", "20", "get", "-o", "-"],
        vec!["get", "-q", "--timeout", "20", "-o", "-"],
        vec!["-d", "get", "-d", "-o", "-"],
    ] {
        let mut args = args.clone();
        let location = url(&server, "f.bin");
        args.push(&location);
        let out = sandbox.run(&args, "");
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert_eq!(out.stdout, pattern(3000), "{args:?}");
    }
    // -d before and after add up to -dd, which shows every line read.
    let location = url(&server, "");
    let out = sandbox.run(&["-d", "ls", "-d", &location], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("*get* 220"), "-dd shows every line: {}", text(&out.stderr));
    let out = sandbox.run(&["-d", "ls", &location], "");
    assert!(!text(&out.stderr).contains("*get*"), "-d alone does not: {}", text(&out.stderr));
}

#[test]
fn conflicting_or_misplaced_options_are_usage_errors() {
    let sandbox = Sandbox::new();
    for (args, says) in [
        (&["-n", "get", "h:x"][..], "options of the shell"),
        (&["-e", "ls", "h:"], "options of the shell"),
        (&["-q", "get", "-v", "h:x"], "--verbose and --quiet"),
        (&["--tls", "serve"], "rftp serve takes only its own options"),
        (&["serve", "--tls"], "unexpected argument"),
        (&["get", "-n", "h:x"], "unexpected argument"),
    ] {
        let out = sandbox.run(args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(says), "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn the_demo_moves_slowly_enough_to_show_its_progress_bar() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["demo"], "rate\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("transfers move at most 8 MiB/s"), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Rate limit: 8.00 MiB/s"), "{}", text(&out.stdout));
    // --limit-rate replaces the demo's own limit.
    let out = sandbox.run(&["demo", "--limit-rate", "1M"], "rate\n");
    assert!(text(&out.stdout).contains("Rate limit: 1.00 MiB/s"), "{}", text(&out.stdout));
}
