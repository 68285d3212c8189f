//! The shell's words (issue #15): suggestions for unknown commands, `help`
//! on one screen, options anywhere in transfer commands, `~` in local paths,
//! `mkdir -p`, aliases, and the classic commands accepted as no-ops. Run as
//! users run them: the real binary, scripts on standard input, the embedded
//! server, and a pseudo-terminal where a question is asked.

mod common;

use std::fs;
use std::process::Output;

use common::sandbox::{Sandbox, run_script, text};
use common::{TestServer, pattern};

/// The shell, not connected, running `script`.
fn offline(sandbox: &Sandbox, script: &str) -> Output {
    sandbox.run(&[], script)
}

#[test]
fn an_unknown_command_gets_a_close_suggestion_and_nonsense_none() {
    let sandbox = Sandbox::new();
    let out = offline(&sandbox, "dri\nfrobnicate\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 1: unknown command \"dri\"; did you mean \"dir\"?"), "{stderr}");
    assert!(stderr.contains("line 2: unknown command \"frobnicate\" (try `help`)"), "{stderr}");
    assert!(!out.status.success());
}

#[test]
fn an_ambiguous_abbreviation_lists_what_it_matched_aliases_included() {
    let sandbox = Sandbox::new();
    let stderr = text(&offline(&sandbox, "di\n").stderr);
    assert!(stderr.contains("ambiguous command \"di\": dir (ls), disconnect (close)"), "{stderr}");
}

#[test]
fn help_fits_24_lines_of_80_columns_and_names_the_aliases() {
    let sandbox = Sandbox::new();
    let out = offline(&sandbox, "help\n");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.lines().count() <= 24, "{stdout}");
    assert!(stdout.lines().all(|line| line.chars().count() <= 80), "{stdout}");
    for word in ["connection:", "folders:", "transfers:", "many", "settings:", "other:", "mget", "dir=ls", "?=help"] {
        assert!(stdout.split_whitespace().any(|w| w == word), "{word} missing:\n{stdout}");
    }
    // `help COMMAND` as before.
    let one = text(&offline(&sandbox, "help get\n").stdout);
    assert!(one.starts_with("get [-r|--verify|--segments N|-c|-o LOCAL] REMOTE [LOCAL]"), "{one}");
}

#[test]
fn hash_and_bell_are_accepted_with_a_note() {
    let sandbox = Sandbox::new();
    let out = offline(&sandbox, "hash\nbell on\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("hash: rftp shows progress bars instead"), "{stdout}");
    assert!(stdout.contains("bell: rftp does not ring"), "{stdout}");
}

#[test]
fn status_in_a_script_says_it_never_prompts() {
    let sandbox = Sandbox::new();
    let stdout = text(&offline(&sandbox, "status\n").stdout);
    assert!(stdout.contains("Prompting: never (a script)"), "{stdout}");
    assert!(!stdout.contains("Prompting: on"), "{stdout}");
}

#[test]
fn get_takes_options_after_operands_and_resumes_with_dash_c() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    let data = pattern(50_000);
    fs::write(server.root.join("words-get.bin"), &data).unwrap();
    fs::write(sandbox.local_file("partial.bin"), &data[..20_000]).unwrap();
    let out = run_script(&sandbox, &server, "get words-get.bin -o copy.bin\nget -c words-get.bin partial.bin\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.local_file("copy.bin")).unwrap(), data);
    assert_eq!(fs::read(sandbox.local_file("partial.bin")).unwrap(), data);
}

#[test]
fn unknown_options_are_usage_errors_and_never_file_names() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("-x"), b"dash").unwrap();
    let script = "get -x\nmget -r somewhere\nget -- -x\nget ./-x dot.txt\nget -x -o a b\n";
    let out = run_script(&sandbox, &server, script);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: get: unknown option \"-x\" (a file of that name: ./-x or -- -x)"), "{stderr}");
    assert!(stderr.contains("line 3: mget: unknown option \"-r\"; mget fetches files"), "{stderr}");
    assert!(stderr.contains("line 6: get: unknown option \"-x\""), "{stderr}");
    assert!(!stderr.contains("line 4") && !stderr.contains("line 5"), "{stderr}");
    assert_eq!(fs::read(sandbox.local_file("-x")).unwrap(), b"dash");
    assert_eq!(fs::read(sandbox.local_file("dot.txt")).unwrap(), b"dash");
    assert!(!sandbox.local_file("a").exists() && !sandbox.local_file("b").exists());
}

#[test]
fn a_tilde_in_local_paths_is_the_home_folder() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("tilde.txt"), b"from the server").unwrap();
    fs::create_dir_all(sandbox.home.join("d")).unwrap();
    fs::write(sandbox.home.join("d/one.log"), b"1").unwrap();
    fs::write(sandbox.home.join("d/two.log"), b"2").unwrap();
    fs::write(sandbox.home.join("up.txt"), b"uploaded").unwrap();
    let script = "get tilde.txt ~/got.txt\nget tilde.txt -o ~/d/\nput ~/up.txt\nmirror -R ~/d md\n\
                  mkdir m\ncd m\nmput ~/d/*.log\nlcd ~\nlpwd\nlls ~/d\n";
    let out = run_script(&sandbox, &server, script);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(sandbox.home.join("got.txt")).unwrap(), b"from the server");
    assert_eq!(fs::read(sandbox.home.join("d/tilde.txt")).unwrap(), b"from the server");
    assert_eq!(fs::read(server.root.join("up.txt")).unwrap(), b"uploaded");
    assert_eq!(fs::read(server.root.join("m/two.log")).unwrap(), b"2");
    assert_eq!(fs::read(server.root.join("md/one.log")).unwrap(), b"1");
    let stdout = text(&out.stdout);
    assert!(stdout.lines().any(|line| line == sandbox.home.display().to_string()), "{stdout}");
    assert!(stdout.lines().any(|line| line == "one.log"), "lls ~/d: {stdout}");
}

#[test]
fn a_tilde_in_a_remote_path_stays_a_name() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(sandbox.local_file("x.txt"), b"x").unwrap();
    let out = run_script(&sandbox, &server, "mkdir ~\nput x.txt ~/x.txt\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(server.root.join("~/x.txt")).unwrap(), b"x");
}

#[test]
fn mkdir_p_makes_the_missing_parents_and_accepts_existing_ones() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir(server.root.join("a")).unwrap();
    let out = run_script(&sandbox, &server, "mkdir -p a/b/c\nmkdir a/b/c -p\nmkdir x/y\n");
    let stderr = text(&out.stderr);
    assert!(server.root.join("a/b/c").is_dir(), "{stderr}");
    // Without -p a missing parent is the server's error, as before.
    assert!(stderr.contains("line 4:") && !stderr.contains("line 2:") && !stderr.contains("line 3:"), "{stderr}");
    assert!(!server.root.join("x").exists());
}

#[test]
fn put_r_into_a_folder_whose_parents_are_missing_makes_them() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir_all(sandbox.local_file("tree/sub")).unwrap();
    fs::write(sandbox.local_file("tree/sub/f.txt"), b"deep").unwrap();
    let out = run_script(&sandbox, &server, "put -r tree p/q/tree\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(server.root.join("p/q/tree/sub/f.txt")).unwrap(), b"deep");
    // The one-shot `rftp put -r` plans the same way.
    let out = sandbox.run(&["put", "-r", "tree", &common::url(&server, "one/shot/")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(server.root.join("one/shot/tree/sub/f.txt")).unwrap(), b"deep");
}

#[test]
fn the_mget_question_explains_itself_and_asks_again_on_a_slip() {
    let server = TestServer::start();
    fs::write(server.root.join("ask-a.txt"), b"a").unwrap();
    fs::write(server.root.join("ask-b.txt"), b"b").unwrap();
    let sandbox = Sandbox::new();
    let mut session = common::pty::start(&sandbox, &server, &[]);
    session.send_line("mget ask-*.txt").unwrap();
    session.exp_string("mget ask-a.txt? [y/n/a/q/?] ").unwrap();
    session.send_line("?").unwrap();
    session.exp_string("a: this and all the rest without asking").unwrap();
    session.exp_string("mget ask-a.txt? [y/n/a/q/?] ").unwrap();
    session.send_line("maybe").unwrap();
    session.exp_string("is not an answer").unwrap();
    session.exp_string("mget ask-a.txt? [y/n/a/q/?] ").unwrap();
    session.send_line("n").unwrap();
    session.exp_string("mget ask-b.txt? [y/n/a/q/?] ").unwrap();
    session.send_line("y").unwrap();
    session.exp_string("ftp> ").unwrap();
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
    assert!(!sandbox.local_file("ask-a.txt").exists());
    assert_eq!(fs::read(sandbox.local_file("ask-b.txt")).unwrap(), b"b");
}

#[test]
fn aliases_persist_between_sessions_in_a_private_file() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("aliased.txt"), b"via an alias").unwrap();
    let first = offline(&sandbox, "alias fetch get -o\nalias ll ls -l\nalias gone pwd\nunalias gone\n");
    assert!(first.status.success(), "{}", text(&first.stderr));
    let file = sandbox.home.join(".local/share/rftp/aliases");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let second = run_script(&sandbox, &server, "alias\nfetch copy.txt aliased.txt\n");
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(text(&second.stdout), "fetch\tget -o\nll\tls -l\n");
    assert_eq!(fs::read(sandbox.local_file("copy.txt")).unwrap(), b"via an alias");
}

#[test]
fn an_alias_of_an_alias_itself_or_a_command_name_is_refused() {
    let sandbox = Sandbox::new();
    let out = offline(&sandbox, "alias ll ls -l\nalias l2 ll\nalias me me\nalias get ls\nalias dir ls\nl2\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: alias: l2: \"ll\" is not an rftp command"), "{stderr}");
    assert!(stderr.contains("line 3: alias: me: \"me\" is not an rftp command"), "{stderr}");
    assert!(stderr.contains("line 4: alias: \"get\" is an rftp command already"), "{stderr}");
    assert!(stderr.contains("line 5: alias: \"dir\" is an rftp command already"), "{stderr}");
    assert!(stderr.contains("line 6: unknown command \"l2\""), "{stderr}");
}

#[test]
fn long_option_names_work_in_the_shell_as_on_the_command_line() {
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::write(server.root.join("words-long.bin"), pattern(5000)).unwrap();
    fs::write(sandbox.local_file("resumed.bin"), &pattern(5000)[..1200]).unwrap();
    let script = "get words-long.bin --output=eq.bin\nget --output spaced.bin words-long.bin\n\
                  get --continue words-long.bin resumed.bin\nget --recursive=x words-long.bin\n";
    let out = run_script(&sandbox, &server, script);
    for name in ["eq.bin", "spaced.bin", "resumed.bin"] {
        assert_eq!(fs::read(sandbox.local_file(name)).unwrap(), pattern(5000), "{name}: {}", text(&out.stderr));
    }
    assert!(text(&out.stderr).contains("line 5: get: -r takes no value"), "{}", text(&out.stderr));
}

#[test]
fn ls_takes_the_servers_options_before_a_path() {
    // `alias ll ls -l` then `ll docs` is `ls -l docs`: LIST -l docs.
    let server = TestServer::start();
    let sandbox = Sandbox::new();
    fs::create_dir(server.root.join("words-ls")).unwrap();
    fs::write(server.root.join("words-ls/inner-name.txt"), b"x").unwrap();
    let out = run_script(&sandbox, &server, "alias ll ls -l\nll words-ls\nls words-ls extra\n");
    assert!(text(&out.stdout).contains("inner-name.txt"), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stderr).contains("line 4: usage: ls [-OPTIONS] [PATH]"), "{}", text(&out.stderr));
}

#[test]
fn help_explains_an_alias_and_names_the_pipes() {
    let sandbox = Sandbox::new();
    let out = offline(&sandbox, "alias ll ls -l\nhelp ll\nhelp\n");
    assert!(text(&out.stdout).contains("ll: an alias of `ls -l`"), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("pipes: get FILE |COMMAND"), "{}", text(&out.stdout));
}

#[test]
fn an_aliases_file_others_may_write_is_not_used_and_saving_stays_private() {
    // A co-user who could write it would choose what `ll` does.
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let file = sandbox.home.join(".local/share/rftp/aliases");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, "ll quote DELE important\n").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o666)).unwrap();
    let out = offline(&sandbox, "alias\n");
    assert!(text(&out.stderr).contains("can be written by others"), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("DELE"), "{}", text(&out.stdout));
    // Once the user made it theirs alone, it is read, and saving keeps it so.
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    let out = offline(&sandbox, "alias l2 ls\nalias\n");
    assert!(text(&out.stdout).contains("ll\tquote DELE important"), "{}", text(&out.stdout));
    assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let leftovers: Vec<_> = fs::read_dir(file.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(leftovers.iter().all(|name| !name.to_string_lossy().ends_with(".tmp")), "{leftovers:?}");
}
