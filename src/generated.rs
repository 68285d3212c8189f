//! The shell completions in `completions/` and the man page in `man/` are
//! generated from the clap definitions (and the shell's command table), and
//! checked in. These tests (unit tests of the binary, which owns the
//! definitions) fail when they are stale; regenerate them with
//!
//! ```sh
//! RFTP_REGENERATE=1 cargo test --bin rftp generated
//! ```

use std::fmt::Write as _;
use std::path::Path;

use crate::cli::Cli;
use crate::shell::COMMANDS;
use clap::CommandFactory;
use clap_complete::Shell;

fn completions(shell: Shell) -> String {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "rftp", &mut out);
    String::from_utf8(out).expect("completions are UTF-8")
}

/// Escapes text for roff: backslashes, and a leading dot or quote.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') { format!("\\&{escaped}") } else { escaped }
}

/// The sections clap_mangen cannot know: the shell's commands, exit statuses,
/// environment and files.
fn extra_sections() -> String {
    let mut page = String::from(".SH \"SHELL COMMANDS\"\n");
    page.push_str(
        "At the \\fBftp>\\fR prompt, or one per line in a script. Names may be abbreviated when unambiguous; \
                   names with spaces go in double quotes, and a backslash escapes the next character.\n",
    );
    for spec in COMMANDS {
        let _ = writeln!(page, ".TP\n\\fB{}\\fR {}", roff(spec.name), roff(spec.args));
        let _ = writeln!(page, "{}", roff(spec.help));
        if !spec.aliases.is_empty() {
            let _ = writeln!(page, "Also: {}.", roff(&spec.aliases.join(", ")));
        }
    }
    page.push_str(".TP\n\\fB!\\fRCOMMAND\nrun a local shell command\n");
    page.push_str(
        ".SH \"EXIT STATUS\"\n\
         .TP\n0\nsuccess\n\
         .TP\n1\na command failed (the server refused, a local file error)\n\
         .TP\n2\nusage error\n\
         .TP\n3\ncould not connect or log in\n\
         .TP\n130\ninterrupted\n\
         .PP\nThe interactive shell (on a terminal) ends with 0 after \\fBbye\\fR or Ctrl\\-D, whatever failed \
         before; scripts and one\\-shot commands end with the statuses above.\n\
         .SH ENVIRONMENT\n\
         .TP\nRFTP_PASSWORD\nthe password for \\fB\\-u\\fR USER\n\
         .TP\nRFTP_ANONYMOUS_PASSWORD\nthe password for anonymous logins (default: USER@hostname)\n\
         .TP\nNETRC\nthe netrc file to use instead of ~/.netrc\n\
         .SH FILES\n\
         .TP\n~/.netrc\nlogins per host; ignored, with a warning, when it holds passwords and others can read it\n\
         .TP\n$XDG_DATA_HOME/rftp/history\nthe shell's history (never lines with passwords)\n",
    );
    page
}

fn man_page() -> String {
    let man = clap_mangen::Man::new(Cli::command());
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    man.render_synopsis_section(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    man.render_options_section(&mut out).unwrap();
    man.render_subcommands_section(&mut out).unwrap();
    out.extend_from_slice(extra_sections().as_bytes());
    man.render_version_section(&mut out).unwrap();
    String::from_utf8(out).expect("the man page is UTF-8")
}

#[test]
fn completions_and_man_page_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = [
        ("completions/rftp.bash", completions(Shell::Bash)),
        ("completions/_rftp", completions(Shell::Zsh)),
        ("completions/rftp.fish", completions(Shell::Fish)),
        ("man/rftp.1", man_page()),
    ];
    let regenerate = std::env::var_os("RFTP_REGENERATE").is_some();
    let mut stale = Vec::new();
    for (path, expected) in &files {
        let path = root.join(path);
        if regenerate {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, expected).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(expected.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale: {stale:?}; run `RFTP_REGENERATE=1 cargo test --bin rftp generated` and commit the result"
    );
}

#[test]
fn the_man_page_lists_every_shell_command_and_option() {
    let page = man_page();
    for spec in COMMANDS {
        assert!(page.contains(&format!("\\fB{}\\fR", roff(spec.name))), "{} missing", spec.name);
    }
    for option in ["\\-\\-anonymous", "\\-\\-fail\\-fast", "\\-\\-timeout", "rftp\\-get", "rftp\\-serve"] {
        assert!(page.contains(option), "{option} missing");
    }
}
