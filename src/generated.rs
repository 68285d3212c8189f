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

use crate::cli::{Cli, SessionArgs};
use crate::shell::COMMANDS;
use clap::{Args, CommandFactory};
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

/// What rftp is and how it is used, for the man page's DESCRIPTION.
const DESCRIPTION: &str = "\
rftp is an FTP and FTPS client. Without a subcommand it runs its shell: an \\fBftp>\\fR prompt with line \
editing, history, tab completion of commands and remote paths and progress bars when a person is at the \
terminal, or the commands read one per line from standard input in a script (no prompt, no progress; an \
error names its line; the exit status says whether anything failed). Given HOST, the shell connects and \
logs in first: with the matching ~/.netrc entry, else by asking for the name and password on a terminal, \
else anonymously.\n\
.PP\n\
The subcommands do one job and exit, for scripts: \\fBget\\fR, \\fBput\\fR, \\fBls\\fR and \\fBmirror\\fR \
take remote locations as HOST:PATH or ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH (ftps:// for implicit TLS). \
\\fBrftp\\fR URL downloads the file a URL names, or opens the shell in the folder it names.\n\
.PP\n\
Downloads are written to FILE.part and renamed only when complete and checked against the server's size, \
so a failed download never looks complete and never replaces an existing file; \\fB\\-c\\fR resumes it. \
Names from the server never write outside the target folder. Every wait is bounded by \\fB\\-\\-timeout\\fR. \
Passwords never appear in output, debug lines or the history.\n\
.PP\n\
The session options below apply to the shell and to \\fBget\\fR, \\fBput\\fR, \\fBls\\fR, \\fBmirror\\fR and \
\\fBdemo\\fR, given before or after the subcommand's name.\n";

/// Worked examples, for the man page's EXAMPLES.
const EXAMPLES: &[(&str, &str)] = &[
    ("rftp ftp.example.org", "the shell, logged in from ~/.netrc or at the prompts"),
    ("rftp get ftp.example.org:pub/file.tar.gz", "download one file into the current folder, anonymously"),
    ("rftp get \\-c ftp://ann@example.org/big.iso \\-o /tmp/", "resume a download into /tmp"),
    ("rftp get \\-r \\-j 8 example.org:photos \\-o backup/", "a whole folder, on 8 connections"),
    (
        "rftp put \\-u ann report.pdf ftp://example.org/inbox/",
        "upload into a folder (the password from $RFTP_PASSWORD, ~/.netrc or a prompt)",
    ),
    ("rftp ls \\-l example.org:pub", "a long listing on standard output"),
    ("rftp mirror \\-\\-delete ftp://example.org/site/ site/", "keep a local copy of a remote folder in step"),
    ("rftp \\-n example.org < commands.txt", "run a script of shell commands; the exit status says whether one failed"),
    ("rftp demo", "try the shell on a sample folder served on 127.0.0.1"),
];

/// The sections clap_mangen cannot know: the subcommands with their own
/// options, the shell's commands, exit statuses, environment, files and
/// examples.
fn extra_sections() -> String {
    let mut page = subcommands_section();
    page.push_str(&shell_commands_section());
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
         .TP\nPAGER\nthe pager of the shell's \\fBpage\\fR command (default: less)\n\
         .TP\nLS_COLORS\nthe colours of \\fBls\\fR, \\fBmlsd\\fR and \\fBlls\\fR on a terminal, as for ls \
         (di, ln, ex, fi and *.EXT keys)\n\
         .TP\nNO_COLOR\nany value but an empty one turns colours off\n\
         .SH FILES\n\
         .TP\n~/.netrc\nlogins per host; ignored, with a warning, when it holds passwords and others can read it\n\
         .TP\n$XDG_DATA_HOME/rftp/history\nthe shell's history (never lines with passwords)\n\
         .TP\n$XDG_CONFIG_HOME/rftp/bookmarks\nbookmarks, one NAME URL per line (never a password; \\fB#\\fR starts a comment), mode 0600\n",
    );
    page.push_str(
        ".TP\n$XDG_DATA_HOME/rftp/known_certificates\n\
         FTPS certificates trusted \"always\", one \\fIHOST PORT\\fR sha256:\\fIFINGERPRINT\\fR a line; \
         a different certificate for a host and port listed is refused, even with \\fB\\-\\-insecure\\fR, \
         until its line is removed\n",
    );
    page.push_str(".SH EXAMPLES\n");
    for (command, what) in EXAMPLES {
        let _ = writeln!(page, ".TP\n\\fB{command}\\fR\n{what}");
    }
    page
}

/// One `.SS` per subcommand: its synopsis, what it does, and its own
/// arguments and options (the session options are in OPTIONS).
fn subcommands_section() -> String {
    let session_ids: Vec<String> = SessionArgs::augment_args(clap::Command::new("session"))
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    let mut page = String::from(".SH SUBCOMMANDS\n");
    for sub in Cli::command().get_subcommands().filter(|sub| sub.get_name() != "help") {
        let ids: Vec<String> = sub.get_arguments().map(|a| a.get_id().to_string()).collect();
        let takes_session = session_ids.iter().all(|id| ids.contains(id));
        let _ = writeln!(page, ".SS \"{}\"", roff(&synopsis(sub)));
        let _ = writeln!(page, "{}", roff(&sub.get_about().map(|about| about.to_string()).unwrap_or_default()));
        for arg in sub.get_arguments() {
            if takes_session && session_ids.contains(&arg.get_id().to_string()) {
                continue;
            }
            let _ = writeln!(page, ".TP\n{}\n{}", argument_heading(arg), roff(&help_text(arg)));
        }
        if takes_session {
            page.push_str(".TP\n\\fIsession options\\fR\nas in OPTIONS above, here or before the subcommand's name\n");
        }
    }
    page
}

/// `rftp get [OPTIONS] SOURCE...`.
fn synopsis(sub: &clap::Command) -> String {
    let mut line = format!("rftp {} [OPTIONS]", sub.get_name());
    for arg in sub.get_positionals() {
        let name = value_name(arg);
        let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1) && !name.contains("...");
        let name = if many { format!("{name}...") } else { name };
        if arg.is_required_set() {
            let _ = write!(line, " {name}");
        } else {
            let _ = write!(line, " [{name}]");
        }
    }
    line
}

/// An argument's value name: `LOCAL`, `SOURCE`.
fn value_name(arg: &clap::Arg) -> String {
    arg.get_value_names()
        .map(|names| names.iter().map(|name| name.as_str()).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase())
}

/// `\fB-o\fR, \fB--output\fR \fILOCAL\fR`, or `\fISOURCE\fR` for a positional.
fn argument_heading(arg: &clap::Arg) -> String {
    if arg.is_positional() {
        return format!("\\fI{}\\fR", roff(&value_name(arg)));
    }
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("\\fB\\-{short}\\fR"));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("\\fB\\-\\-{}\\fR", roff(long)));
    }
    let mut heading = names.join(", ");
    if arg.get_action().takes_values() {
        let _ = write!(heading, " \\fI{}\\fR", roff(&value_name(arg)));
    }
    heading
}

/// An argument's help, long form when it has one.
fn help_text(arg: &clap::Arg) -> String {
    arg.get_long_help().or(arg.get_help()).map(|help| help.to_string()).unwrap_or_default()
}

/// The shell's commands, from its command table.
fn shell_commands_section() -> String {
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
        ".TP\n\\fB|\\fRCOMMAND\nas the target of \\fBget\\fR REMOTE, \\fBls\\fR [PATH] or \\fBnlist\\fR [PATH]: \
         the rest of the line is a local command (run with sh \\-c) that reads the data on its standard input; \
         a file whose name starts with | is reached as ./|NAME\n",
    );
    page
}

/// The synopsis: the shell, a URL, and each subcommand.
fn synopsis_section() -> String {
    let mut page = String::from(".SH SYNOPSIS\n");
    page.push_str("\\fBrftp\\fR [OPTIONS] [\\fIHOST\\fR [\\fIPORT\\fR]]\n.br\n");
    page.push_str("\\fBrftp\\fR [OPTIONS] \\fIftp://[USER@]HOST[:PORT]/PATH\\fR\n.br\n");
    for sub in Cli::command().get_subcommands().filter(|sub| sub.get_name() != "help") {
        let _ = writeln!(page, "{}\n.br", roff(&synopsis(sub)).replacen("rftp", "\\fBrftp\\fR", 1));
    }
    page
}

fn man_page() -> String {
    let man = clap_mangen::Man::new(Cli::command());
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    out.extend_from_slice(synopsis_section().as_bytes());
    out.extend_from_slice(format!(".SH DESCRIPTION\n{DESCRIPTION}").as_bytes());
    man.render_options_section(&mut out).unwrap();
    out.extend_from_slice(extra_sections().as_bytes());
    man.render_version_section(&mut out).unwrap();
    ascii_roff(&String::from_utf8(out).expect("the man page is UTF-8"))
}

/// `page` with every character beyond ASCII written as a roff escape
/// (`…` as `\[u2026]`): groff reads a page as Latin-1 unless told otherwise,
/// so `man` showed mojibake and `groff -ww` warned of invalid characters.
fn ascii_roff(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for c in page.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let _ = write!(out, "\\[u{:04X}]", u32::from(c));
        }
    }
    out
}

#[test]
fn the_man_page_is_ascii_for_groff() {
    let page = man_page();
    assert!(page.is_ascii(), "{:?}", page.chars().find(|c| !c.is_ascii()));
    assert!(page.contains("sha256:AB:CD:\\[u2026]"), "the ellipsis of --pin stays, as an escape");
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
    for option in ["\\-\\-anonymous", "\\-\\-fail\\-fast", "\\-\\-timeout"] {
        assert!(page.contains(option), "{option} missing");
    }
}

#[test]
fn the_man_page_documents_each_subcommand_itself() {
    let page = man_page();
    // The subcommands' own options, in this page: no rftp-get(1) that is not shipped.
    assert!(!page.contains("(1)"), "the page refers to other pages");
    for heading in [
        ".SS \"rftp get [OPTIONS] SOURCE...\"",
        ".SS \"rftp put [OPTIONS] LOCAL... DEST\"",
        ".SS \"rftp serve [OPTIONS] [DIR]\"",
        "\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fILOCAL\\fR",
        "\\fB\\-\\-segments\\fR \\fIN\\fR",
        "\\fB\\-\\-write\\fR",
        "\\fB\\-\\-delete\\fR",
    ] {
        assert!(page.contains(heading), "{heading} missing");
    }
    // Session options are described once, under OPTIONS.
    assert_eq!(page.matches("\\fB\\-\\-limit\\-rate\\fR").count(), 1);
    for section in [".SH DESCRIPTION\nrftp is an FTP", ".SH EXAMPLES", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section} missing");
    }
}
