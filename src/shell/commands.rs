//! The command table: every shell command's name, aliases, arguments, help
//! and handler, in one place. `help`, completion and the man page all read it.

use std::io::{self, BufRead, Write};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use super::tilde::expand as tilde;
use super::words::split_words;
use super::{Flow, State};
use clap::Parser;

use crate::batch;
use crate::checksum::VerifyNotes;
use crate::mirror::Direction;
use crate::names::{Glob, is_pattern, local_path, safe_local_name, split_dir};
use crate::progress::summary;
use crate::protocol::{self, DEFAULT_PORT, EntryKind, TransferType};
use crate::session::mirror::MirrorRequest;
use crate::session::{Error, LoginRequest, PasswordSource};
use crate::transfer::{self, LocalSource, LocalTarget, TransferReport, UploadMode};

/// What a command's arguments are, for tab completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Complete {
    /// Nothing to complete.
    Nothing,
    /// Local paths.
    Local,
    /// Remote paths.
    Remote,
    /// Command names (for `help`).
    Command,
    /// Bookmark names (for `open`), and `bookmark`'s words.
    Bookmark,
}

type Handler = fn(&mut State, &Call) -> Result<Flow, Error>;

/// One shell command.
pub struct CommandSpec {
    /// Its name.
    pub name: &'static str,
    /// Other names for it.
    pub aliases: &'static [&'static str],
    /// Its arguments, as shown in help (`REMOTE [LOCAL]`).
    pub args: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// What its arguments complete to.
    pub complete: Complete,
    /// The options it takes before its arguments (`-r`, `--tls`), each at
    /// most once; one spelled with a value (`--segments N`) takes the next word.
    flags: &'static [&'static str],
    /// How many arguments it takes after those options; `execute` refuses
    /// other counts with the usage line before the handler runs.
    arity: RangeInclusive<usize>,
    run: Handler,
}

impl CommandSpec {
    /// The error that shows how to use the command (`usage: get [-r|--verify|--segments N] REMOTE [LOCAL]`).
    fn usage(&self) -> Error {
        Error::Usage(format!("usage: {} {}", self.name, self.args))
    }
}

/// No upper limit on the number of arguments (`mget PATTERN...`).
const MANY: usize = usize::MAX;

macro_rules! command {
    ($name:literal, [$($alias:literal),*], $args:literal, $flag:literal, $arity:expr, $complete:ident, $help:literal, $run:expr) => {
        CommandSpec {
            name: $name,
            aliases: &[$($alias),*],
            args: $args,
            help: $help,
            complete: Complete::$complete,
            flags: &[$flag],
            arity: $arity,
            run: $run,
        }
    };
    ($name:literal, [$($alias:literal),*], $args:literal, [$($flag:literal),+], $arity:expr, $complete:ident, $help:literal, $run:expr) => {
        CommandSpec {
            name: $name,
            aliases: &[$($alias),*],
            args: $args,
            help: $help,
            complete: Complete::$complete,
            flags: &[$($flag),+],
            arity: $arity,
            run: $run,
        }
    };
    ($name:literal, [$($alias:literal),*], $args:literal, $arity:expr, $complete:ident, $help:literal, $run:expr) => {
        CommandSpec {
            name: $name,
            aliases: &[$($alias),*],
            args: $args,
            help: $help,
            complete: Complete::$complete,
            flags: &[],
            arity: $arity,
            run: $run,
        }
    };
}

/// A command line checked against its table entry, as its handler gets it.
pub(super) struct Call<'a> {
    /// The command's table entry.
    pub(super) spec: &'static CommandSpec,
    /// The command's options that came first (`get -r`), as the table spells them.
    flags: Vec<&'static str>,
    /// The values of the options that take one, by the option's name.
    values: Vec<(&'static str, &'a str)>,
    /// The arguments after the options: as many as the spec's `arity` allows,
    /// so a handler may index the ones that count requires.
    pub(super) args: &'a [String],
    /// The local command a `|COMMAND` target names (`get FILE |less`), for
    /// the commands that take one ([`super::pipe`]).
    pub(super) pipe: Option<&'a str>,
}

impl Call<'_> {
    /// Whether the option `flag` (`-r`) came before the arguments.
    pub(super) fn has(&self, flag: &str) -> bool {
        self.flags.contains(&flag)
    }

    /// The value given to the option named `name` (`--segments`), if it came.
    pub(super) fn value(&self, name: &str) -> Option<&str> {
        self.values.iter().find(|(flag, _)| flag_name(flag) == name).map(|(_, value)| *value)
    }
}

/// An option's name without the value it takes (`--segments N` → `--segments`).
fn flag_name(flag: &str) -> &str {
    flag.split(' ').next().unwrap_or(flag)
}

/// Every command, in the order `help` lists them.
pub static COMMANDS: &[CommandSpec] = &[
    command!(
        "open",
        [],
        "[--tls] HOST[:PORT] [PORT] | URL",
        "--tls",
        1..=2,
        Bookmark,
        "connect to an FTP server (and log in); URL: ftp://, ftpes:// or ftps://[USER[:PASSWORD]@]HOST[:PORT]/[DIR]; NAME: a bookmark; --tls: FTPS",
        open
    ),
    command!("user", [], "NAME [PASSWORD [ACCOUNT]]", 1..=3, Nothing, "log in as NAME", user),
    command!(
        "bookmark",
        [],
        "[add [--save-password] NAME [URL] | list | delete NAME]",
        0..=4,
        Bookmark,
        "name a server and folder (without URL: the session's) for `open NAME` and `rftp NAME`; list; delete. \
         No password is written: --save-password keeps it in the system keyring",
        bookmark
    ),
    command!("close", ["disconnect"], "", 0..=0, Nothing, "end the session and stay in rftp", close),
    command!("bye", ["quit", "exit"], "", 0..=0, Nothing, "end the session and leave rftp", bye),
    command!("status", [], "", 0..=0, Nothing, "show the connection and settings", status),
    command!("debug", [], "[0|1|2]", 0..=1, Nothing, "set the protocol debug level (passwords stay masked)", debug),
    command!("verbose", [], "[on|off]", 0..=1, Nothing, "show server replies and transfer summaries", verbose),
    command!("passive", [], "[on|off]", 0..=1, Nothing, "passive mode (on) or active mode (off)", passive),
    command!("system", [], "", 0..=0, Nothing, "show the server's system type (SYST)", system),
    command!("features", [], "", 0..=0, Nothing, "show the server's features (FEAT)", features),
    command!(
        "quote",
        ["literal"],
        "COMMAND [ARGS...]",
        1..=MANY,
        Nothing,
        "send a raw command and show the whole reply",
        quote
    ),
    command!("site", [], "ARGS...", 1..=MANY, Nothing, "send a SITE command", site),
    command!("ccc", [], "", 0..=0, Nothing, "FTPS: go back to a plain control connection (CCC)", ccc),
    command!("prot", [], "C|P", 1..=1, Nothing, "FTPS: plain (C) or encrypted (P) data connections", prot),
    command!("cd", ["cwd"], "DIR", 1..=1, Remote, "change the remote folder", cd),
    command!("cdup", [], "", 0..=0, Nothing, "go to the remote parent folder", cdup),
    command!("pwd", [], "", 0..=0, Nothing, "show the remote folder", pwd),
    command!("lcd", [], "[DIR]", 0..=1, Local, "change the local folder (home without DIR)", lcd),
    command!("lpwd", [], "", 0..=0, Nothing, "show the local folder", lpwd),
    command!(
        "lls",
        [],
        "[-a|-l] [PATH...]",
        ["-a", "-l"],
        0..=MANY,
        Local,
        "list local files (-a: hidden ones too; -l: long form)",
        super::local::lls
    ),
    command!("ls", ["dir"], "[-OPTIONS] [PATH]", 0..=2, Remote, "list a remote folder in long form (LIST)", ls),
    command!("nlist", ["nls"], "[-OPTIONS] [PATH]", 0..=2, Remote, "list names in a remote folder (NLST)", nlist),
    command!("mlsd", [], "[PATH]", 0..=1, Remote, "list a remote folder with facts (MLSD)", mlsd),
    command!(
        "get",
        ["recv"],
        "[-r|--verify|--segments N|-c|-o LOCAL] REMOTE [LOCAL]",
        ["-r", "--verify", "--segments N", "-c", "-o LOCAL"],
        1..=2,
        Remote,
        "download a file (LOCAL may be a folder or -); -r: a whole folder; --verify: compare checksums after; \
         --segments N: in N ranges at once (1: off); -c: resume, as reget; -o LOCAL: where to save it",
        get
    ),
    command!("reget", [], "REMOTE [LOCAL]", 1..=2, Remote, "resume a download", reget),
    command!("page", [], "FILE", 1..=1, Remote, "show a remote file through $PAGER (default less)", super::pipe::page),
    command!("reput", [], "LOCAL [REMOTE]", 1..=2, Local, "resume an upload (send what the remote file lacks)", reput),
    command!(
        "put",
        ["send"],
        "[-r|-c|--verify] LOCAL [REMOTE]",
        ["-r", "-c", "--verify"],
        1..=2,
        Local,
        "upload a file (LOCAL may be -); -r: a whole folder; -c: resume an upload, as reput; --verify: compare checksums after",
        put
    ),
    command!("append", [], "LOCAL [REMOTE]", 1..=2, Local, "append a local file to a remote one", append),
    command!(
        "mirror",
        [],
        "[-R] [OPTION...] SOURCE [TARGET]",
        1..=MANY,
        Remote,
        "keep a local folder in step with a remote one (-R: a remote one with a local one); options: --delete, --only-newer, --only-missing, --exclude GLOB, --include GLOB, --dry-run, --verify, --json, -j N",
        mirror
    ),
    command!(
        "mget",
        [],
        "[--verify] PATTERN...",
        "--verify",
        1..=MANY,
        Remote,
        "download every file matching the patterns; --verify: compare checksums after",
        mget
    ),
    command!(
        "mput",
        [],
        "[--verify] PATTERN...",
        "--verify",
        1..=MANY,
        Local,
        "upload every local file matching the patterns; --verify: compare checksums after",
        mput
    ),
    command!("ascii", [], "", 0..=0, Nothing, "transfer text (CRLF on the wire)", ascii),
    command!("binary", ["image"], "", 0..=0, Nothing, "transfer bytes as they are (the default)", binary),
    command!("type", [], "[ascii|binary]", 0..=1, Nothing, "show or set the transfer type", type_command),
    command!("prompt", [], "[on|off]", 0..=1, Nothing, "ask before each file of mget, mput, mdelete", prompt),
    command!(
        "hash",
        [],
        "[on|off]",
        0..=1,
        Nothing,
        "accepted and ignored: rftp shows progress bars",
        super::noops::hash
    ),
    command!("bell", [], "[on|off]", 0..=1, Nothing, "accepted and ignored: rftp does not ring", super::noops::bell),
    command!(
        "parallel",
        [],
        "[N]",
        0..=1,
        Nothing,
        "connections for mget, mput, get -r, put -r (default 4 near, 16 far)",
        parallel
    ),
    command!(
        "rate",
        [],
        "[RATE|off]",
        0..=1,
        Nothing,
        "limit the data rate of each command (500K, 2M; at least 1K)",
        rate
    ),
    command!(
        "retries",
        [],
        "[N]",
        0..=1,
        Nothing,
        "tries again after a failure that may pass, up to N times (default 5; 0: never)",
        retries
    ),
    command!(
        "retry-wait",
        [],
        "[SECS]",
        0..=1,
        Nothing,
        "the wait before the first retry, doubling after each (default 1; 0: no wait)",
        retry_wait
    ),
    command!("abort", [], "", 0..=0, Nothing, "send ABOR (Ctrl-C aborts a running transfer)", abort),
    command!("mkdir", [], "[-p] DIR", "-p", 1..=1, Remote, "make a remote folder; -p: and its missing parents", mkdir),
    command!("rmdir", [], "DIR", 1..=1, Remote, "remove a remote folder", rmdir),
    command!("delete", ["rm"], "FILE", 1..=1, Remote, "delete a remote file", delete),
    command!("mdelete", [], "PATTERN...", 1..=MANY, Remote, "delete every remote file matching the patterns", mdelete),
    command!("rename", [], "FROM TO", 2..=2, Remote, "rename a remote file or folder", rename),
    command!("size", [], "FILE", 1..=1, Remote, "show a remote file's size in bytes", size),
    command!("modtime", [], "FILE", 1..=1, Remote, "show a remote file's modification time", modtime),
    command!(
        "checksum",
        [],
        "FILE",
        1..=1,
        Remote,
        "show a remote file's checksum (HASH, XSHA256, XSHA1, XMD5 or XCRC)",
        checksum
    ),
    command!("chmod", [], "MODE FILE", 2..=2, Remote, "change a remote file's mode (SITE CHMOD)", chmod),
    command!(
        "alias",
        [],
        "[NAME [COMMAND [ARGS...]]]",
        0..=MANY,
        Nothing,
        "make NAME run COMMAND ARGS (kept beside the history); alone: list the aliases",
        super::alias::alias
    ),
    command!("unalias", [], "NAME", 1..=1, Nothing, "forget the alias NAME", super::alias::unalias),
    command!("help", ["?"], "[COMMAND]", 0..=1, Command, "list the commands, or explain one", help),
];

/// Why a command name was not found.
#[derive(Debug, PartialEq, Eq)]
pub enum LookupError {
    /// No command starts like that.
    Unknown,
    /// Several commands start like that.
    Ambiguous(Vec<&'static str>),
}

/// Finds a command by name, alias, or an unambiguous abbreviation.
pub fn lookup(name: &str) -> Result<&'static CommandSpec, LookupError> {
    let name = name.to_ascii_lowercase();
    let names = |spec: &'static CommandSpec| std::iter::once(spec.name).chain(spec.aliases.iter().copied());
    if let Some(spec) = COMMANDS.iter().find(|spec| names(spec).any(|n| n == name)) {
        return Ok(spec);
    }
    let mut matches: Vec<&'static CommandSpec> =
        COMMANDS.iter().filter(|spec| names(spec).any(|n| n.starts_with(&name))).collect();
    matches.dedup_by_key(|spec| spec.name);
    match matches.as_slice() {
        [] => Err(LookupError::Unknown),
        [one] => Ok(one),
        many => Err(LookupError::Ambiguous(many.iter().map(|spec| spec.name).collect())),
    }
}

/// Runs one command line.
pub fn execute(state: &mut State, line: &str) -> Result<Flow, Error> {
    let line = line.trim();
    if let Some(command) = line.strip_prefix('!') {
        return state.session.interrupts.paused_while(|| run_local_shell(command));
    }
    // Where a pipe starts depends on the command the line runs, an alias's included.
    let first = line.split_whitespace().next().unwrap_or_default();
    let first = split_words(first).ok().and_then(|words| words.into_iter().next()).unwrap_or_default();
    let (line, pipe) = super::pipe::split_target(line, state.aliases.command_of(&first));
    let words = split_words(line).map_err(|e| Error::Usage(e.to_string()))?;
    let words = state.aliases.expand(words)?;
    let Some((name, args)) = words.split_first() else {
        return Ok(Flow::Continue);
    };
    let spec = lookup(name).map_err(|e| Error::Usage(super::suggest::message(name, &e, &state.aliases.names())))?;
    let (flags, values, operands) = parse_options(spec, args)?;
    let args = operands.as_slice();
    if !spec.arity.contains(&args.len()) {
        return Err(spec.usage());
    }
    let call = Call { spec, flags, values, args, pipe };
    if TALK_TO_THE_SERVER.contains(&spec.name) {
        // The server closed the connection since the last command (it said
        // 421, or the last command found it gone): connect again first.
        state.session.reconnect_if_closed()?;
    }
    match (spec.run)(state, &call) {
        // A command that changes nothing on the server, which found the
        // connection closed (an idle timeout the client could not see):
        // once more on a new one. Transfers and listings retry on their own;
        // DELE, RNFR, MKD, SITE and the like are never sent twice.
        Err(error)
            if SAFE_TO_REPEAT.contains(&spec.name)
                && !state.session.interrupted()
                && state.session.connection_closed()
                && crate::session::retry::error_is_transient(&error) =>
        {
            state.session.reconnect_if_closed()?;
            (spec.run)(state, &call)
        }
        other => other,
    }
}

/// The commands whose options may come anywhere among the operands, as on
/// rftp's command line (`get FILE -o LOCAL`); `--` ends the options, and any
/// other word starting with `-` (but `-` itself, standard input or output)
/// is a usage error rather than a name sent to the server.
const OPTIONS_ANYWHERE: &[&str] = &["get", "reget", "put", "reput", "append", "mget", "mput", "mkdir"];

/// A command's options (as the table spells them), their values, and its operands.
type Parsed<'a> = (Vec<&'static str>, Vec<(&'static str, &'a str)>, Vec<String>);

/// Takes a command's options off its words: anywhere for the commands in
/// [`OPTIONS_ANYWHERE`], else only before the first operand (where `ls -la`
/// and `quote` pass dashes on to the server).
fn parse_options<'a>(spec: &'static CommandSpec, words: &'a [String]) -> Result<Parsed<'a>, Error> {
    if !OPTIONS_ANYWHERE.contains(&spec.name) {
        return leading_options(spec, words);
    }
    let (mut flags, mut values, mut operands) = (Vec::new(), Vec::new(), Vec::new());
    let mut words = words.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            operands.extend(words.cloned());
            break;
        }
        if !word.starts_with('-') || word == "-" {
            operands.push(word.clone());
            continue;
        }
        // `--segments=4`, as on the command line.
        let (name, inline) = match word.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value)),
            _ => (word.as_str(), None),
        };
        let name = short_form(name);
        let flag = spec.flags.iter().find(|flag| flag_name(flag) == name).ok_or_else(|| unknown_option(spec, word))?;
        if flags.contains(flag) {
            return Err(Error::Usage(format!("{}: {word} given twice", spec.name)));
        }
        flags.push(*flag);
        match (flag_name(flag) != *flag, inline) {
            (true, Some(value)) => values.push((*flag, value)),
            (true, None) => values.push((*flag, words.next().ok_or_else(|| spec.usage())?.as_str())),
            (false, Some(_)) => return Err(Error::Usage(format!("{}: {name} takes no value", spec.name))),
            (false, None) => {}
        }
    }
    Ok((flags, values, operands))
}

/// The command line's long names of the shell's short options
/// (`get --output LOCAL` is `get -o LOCAL`).
const LONG_FORMS: &[(&str, &str)] = &[("--output", "-o"), ("--continue", "-c"), ("--recursive", "-r")];

/// `word`, or the short option it is the long name of.
fn short_form(word: &str) -> &str {
    LONG_FORMS.iter().find(|(long, _)| *long == word).map_or(word, |(_, short)| short)
}

/// The options before the first operand, each taken off once: a second
/// `--tls` is an operand.
fn leading_options<'a>(spec: &'static CommandSpec, words: &'a [String]) -> Result<Parsed<'a>, Error> {
    let (mut flags, mut values) = (Vec::new(), Vec::new());
    let mut args = words;
    while let Some((first, rest)) = args.split_first()
        && let Some(flag) = spec.flags.iter().find(|flag| flag_name(flag) == first)
        && !flags.contains(flag)
    {
        flags.push(*flag);
        args = rest;
        if flag_name(flag) != *flag {
            let Some((value, rest)) = args.split_first() else { return Err(spec.usage()) };
            values.push((*flag, value.as_str()));
            args = rest;
        }
    }
    Ok((flags, values, args.to_vec()))
}

/// The usage error for `word`, an option `spec` does not take.
fn unknown_option(spec: &CommandSpec, word: &str) -> Error {
    let hint = match (spec.name, word) {
        ("mget", "-r") => "; mget fetches files: fetch a folder with get -r FOLDER".to_string(),
        ("mput", "-r") => "; mput sends files: send a folder with put -r FOLDER".to_string(),
        _ => format!(" (a file of that name: ./{word} or -- {word}); usage: {} {}", spec.name, spec.args),
    };
    Error::Usage(format!("{}: unknown option {word:?}{hint}", spec.name))
}

/// The commands that talk to the server: a connection the server closed is
/// opened again before them.
const TALK_TO_THE_SERVER: &[&str] = &[
    "system", "features", "quote", "site", "ccc", "prot", "cd", "cdup", "pwd", "ls", "nlist", "mlsd", "get", "reget",
    "put", "append", "mget", "mput", "abort", "mkdir", "rmdir", "delete", "mdelete", "rename", "size", "modtime",
    "chmod", "checksum", "page",
];

/// The commands that change nothing on the server, so that sending one
/// again after a lost connection is harmless.
const SAFE_TO_REPEAT: &[&str] = &["system", "features", "cd", "cdup", "pwd", "size", "modtime", "checksum"];

/// Parses `on`/`off`, or toggles when absent.
fn on_off(call: &Call, current: bool) -> Result<bool, Error> {
    match call.args {
        [] => Ok(!current),
        [value] if value.eq_ignore_ascii_case("on") => Ok(true),
        [value] if value.eq_ignore_ascii_case("off") => Ok(false),
        _ => Err(call.spec.usage()),
    }
}

fn on_off_word(value: bool) -> &'static str {
    if value { "on" } else { "off" }
}

fn run_local_shell(command: &str) -> Result<Flow, Error> {
    let mut shell = if command.trim().is_empty() {
        std::process::Command::new(std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".into()))
    } else {
        let mut shell = std::process::Command::new("/bin/sh");
        shell.arg("-c").arg(command);
        shell
    };
    // The hand-over of hidden arguments was for this rftp alone, not an rftp started from here.
    let status = shell.env_remove(crate::argv::HANDOVER_VAR).status();
    match status {
        Ok(status) if status.success() => Ok(Flow::Continue),
        Ok(status) => Err(Error::Local(format!("local command failed ({status})"))),
        Err(e) => Err(Error::Local(format!("cannot run a local shell: {e}"))),
    }
}

/// Ends the session politely, if there is one.
fn close_connection(state: &mut State) {
    state.session.close();
    state.remote_names.clear();
}

// ---- connection ---------------------------------------------------------

fn open(state: &mut State, call: &Call) -> Result<Flow, Error> {
    if call.has("--tls") {
        // `--tls`: FTPS for this connection only.
        let saved = state.session.settings.tls.replace(crate::protocol::TlsMode::Explicit);
        let result = open_host(state, call.args);
        state.session.settings.tls = saved;
        return result;
    }
    open_host(state, call.args)
}

/// `open HOST[:PORT] [PORT]` or `open URL`, with one or two arguments;
/// `open NAME` opens a bookmark (a word without `.` or `:` that names one).
fn open_host(state: &mut State, args: &[String]) -> Result<Flow, Error> {
    if let [name] = args
        && let Some(bookmark) = crate::bookmarks::lookup_name(name)
    {
        return super::bookmark::open(state, &bookmark);
    }
    if crate::url::is_url(&args[0]) {
        return open_url(state, args);
    }
    let (host, port_in_host) = crate::url::parse_host_port(&args[0]).map_err(|e| Error::Usage(e.to_string()))?;
    let port = match (port_in_host, args.get(1)) {
        (Some(_), Some(_)) => return Err(Error::Usage("give the port once: HOST:PORT or HOST PORT".into())),
        (Some(port), None) => port,
        (None, Some(port)) => port.parse().map_err(|_| Error::Usage(format!("{port:?} is not a port number")))?,
        (None, None) => DEFAULT_PORT,
    };
    state.remote_names.clear();
    state.session.start_retrying(&host, port)?;
    Ok(Flow::Continue)
}

/// `open URL`: the URL's TLS, port and login for this connection, then a
/// `cd` to its path once logged in (as with `rftp URL`, `-n` leaves the
/// login to a `user` command).
fn open_url(state: &mut State, args: &[String]) -> Result<Flow, Error> {
    if args.len() > 1 {
        return Err(Error::Usage("a URL carries its own port".into()));
    }
    let remote = crate::url::parse(&args[0]).map_err(|e| Error::Usage(e.to_string()))?;
    let login = remote.user.clone().map(|user| LoginRequest::Given(user, remote.password.clone()));
    state.remote_names.clear();
    state.session.start_with(&remote.host, remote.port.unwrap_or(DEFAULT_PORT), login, remote.tls)?;
    let folder = remote.path.trim_end_matches('/');
    let logged_in = state.session.connection.as_ref().is_some_and(|c| c.credentials.is_some());
    if !folder.is_empty() && logged_in {
        change_folder(state, folder)?;
    }
    Ok(Flow::Continue)
}

fn user(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let host = state.session.connection.as_ref().map(|c| c.host.clone()).ok_or(Error::NotConnected)?;
    state.session.login_as(
        &host,
        &call.args[0],
        call.args.get(1).cloned().map(Into::into),
        call.args.get(2).cloned().map(Into::into),
        PasswordSource::Given,
    )?;
    Ok(Flow::Continue)
}

fn bookmark(state: &mut State, call: &Call) -> Result<Flow, Error> {
    super::bookmark::run(state, call.args)
}

fn close(state: &mut State, _call: &Call) -> Result<Flow, Error> {
    if state.session.connection.is_none() {
        return Err(Error::NotConnected);
    }
    close_connection(state);
    Ok(Flow::Continue)
}

fn bye(state: &mut State, _call: &Call) -> Result<Flow, Error> {
    close_connection(state);
    Ok(Flow::Quit)
}

fn status(state: &mut State, _call: &Call) -> Result<Flow, Error> {
    match &state.session.connection {
        Some(c) => {
            let user = c.credentials.as_ref().map(|cred| cred.user.as_str()).unwrap_or("(not logged in)");
            outln!("Connected to {} port {} as {user}.", c.host, c.port);
            let word = |on: bool| if on { "encrypted" } else { "plain" };
            outln!(
                "Control connection: {}; data connections: {}.",
                word(c.client.is_tls()),
                word(c.client.is_data_protected())
            );
        }
        None => outln!("Not connected."),
    }
    let s = &state.session.settings;
    let kind = if s.transfer_type == TransferType::Ascii { "ascii" } else { "binary" };
    outln!(
        "Mode: {}; Type: {kind}; Verbose: {}; Debug: {}; Prompting: {}",
        if s.passive { "passive" } else { "active" },
        on_off_word(s.verbose),
        s.debug,
        // A script never stops to ask, whatever `prompt` says.
        if state.session.interactive { on_off_word(state.prompt) } else { "never (a script)" }
    );
    let rate = match s.limit_rate {
        Some(rate) => format!("{}/s", indicatif::BinaryBytes(rate)),
        None => "none".into(),
    };
    let quiet = if s.quiet { " (quietly)" } else { "" };
    outln!(
        "Retries: {}{quiet}, the first after {} s; rate limit: {rate}.",
        s.retry.retries,
        s.retry.first_wait.as_secs_f64()
    );
    Ok(Flow::Continue)
}

fn debug(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let level = match call.args.first() {
        None => u8::from(state.session.settings.debug == 0),
        Some(level) => match level.parse::<u8>() {
            Ok(level) if level <= 2 => level,
            _ => return Err(call.spec.usage()),
        },
    };
    state.session.set_debug(level);
    outln!(
        "Debugging {}{}.",
        on_off_word(level > 0),
        if level > 0 { format!(" (debug={level})") } else { String::new() }
    );
    Ok(Flow::Continue)
}

fn verbose(state: &mut State, call: &Call) -> Result<Flow, Error> {
    state.session.settings.verbose = on_off(call, state.session.settings.verbose)?;
    outln!("Verbose mode {}.", on_off_word(state.session.settings.verbose));
    Ok(Flow::Continue)
}

fn passive(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let passive = on_off(call, state.session.settings.passive)?;
    state.session.settings.passive = passive;
    if let Some(connection) = state.session.connection.as_mut() {
        connection.client.set_passive(passive);
    }
    outln!("Passive mode {}.", on_off_word(passive));
    Ok(Flow::Continue)
}

fn system(state: &mut State, _call: &Call) -> Result<Flow, Error> {
    outln!("{}", state.session.client()?.syst()?);
    Ok(Flow::Continue)
}

fn features(state: &mut State, _call: &Call) -> Result<Flow, Error> {
    let features = state.session.client()?.feat()?;
    for (name, params) in features.iter() {
        outln!("{}", format!("{name} {params}").trim_end());
    }
    Ok(Flow::Continue)
}

fn send_raw(state: &mut State, line: &str) -> Result<Flow, Error> {
    match state.session.client()?.sendcmd(line) {
        Ok(reply) => {
            outln!("{reply}");
            Ok(Flow::Continue)
        }
        Err(e) => Err(e.into()),
    }
}

fn quote(state: &mut State, call: &Call) -> Result<Flow, Error> {
    state.remote_names.clear();
    let flow = send_raw(state, &call.args.join(" "))?;
    // A folder changed by hand is where a reconnect must return to, too.
    let verb = call.args.first().and_then(|line| line.split_whitespace().next()).unwrap_or_default();
    if ["CWD", "CDUP", "XCWD", "XCUP"].iter().any(|v| verb.eq_ignore_ascii_case(v)) {
        state.session.remember_folder();
    }
    Ok(flow)
}

fn site(state: &mut State, call: &Call) -> Result<Flow, Error> {
    send_raw(state, &format!("SITE {}", call.args.join(" ")))
}

// ---- navigation ---------------------------------------------------------

fn cd(state: &mut State, call: &Call) -> Result<Flow, Error> {
    change_folder(state, &call.args[0])
}

fn change_folder(state: &mut State, dir: &str) -> Result<Flow, Error> {
    let reply = state.session.client()?.cwd(dir)?;
    moved(state, reply)
}

fn cdup(state: &mut State, _call: &Call) -> Result<Flow, Error> {
    let reply = state.session.client()?.cdup()?;
    moved(state, reply)
}

/// After a change of remote folder: remember where we are (for reconnecting).
fn moved(state: &mut State, reply: protocol::Reply) -> Result<Flow, Error> {
    state.remote_names.clear();
    state.session.show_reply(&reply);
    state.session.remember_folder();
    Ok(Flow::Continue)
}

fn pwd(state: &mut State, _call: &Call) -> Result<Flow, Error> {
    outln!("{}", state.session.client()?.pwd()?);
    Ok(Flow::Continue)
}

fn lcd(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let dir = match call.args.first() {
        Some(dir) => local_path(&tilde(dir)),
        None => dirs::home_dir().ok_or_else(|| Error::Local("no home folder known".into()))?,
    };
    std::env::set_current_dir(&dir).map_err(|e| Error::Local(format!("lcd {}: {e}", dir.display())))?;
    if state.session.settings.verbose {
        outln!("Local directory now {}", current_dir_text());
    }
    Ok(Flow::Continue)
}

fn current_dir_text() -> String {
    std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|e| format!("(unknown: {e})"))
}

fn lpwd(_state: &mut State, _call: &Call) -> Result<Flow, Error> {
    outln!("{}", current_dir_text());
    Ok(Flow::Continue)
}

fn ls(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let argument = listing_argument(call)?;
    if let Some(command) = call.pipe {
        return super::pipe::list(state, "LIST", call.spec.name, argument.as_deref(), command);
    }
    print_listing(state, "LIST", argument.as_deref())
}

fn nlist(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let argument = listing_argument(call)?;
    if let Some(command) = call.pipe {
        return super::pipe::list(state, "NLST", call.spec.name, argument.as_deref(), command);
    }
    print_listing(state, "NLST", argument.as_deref())
}

/// The argument of LIST or NLST: `PATH`, the server's options (`-la`), or
/// both, as `ls -l PATH` (an alias `ll` of `ls -l` then takes a path).
fn listing_argument(call: &Call) -> Result<Option<String>, Error> {
    match call.args {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        [options, path] if options.starts_with('-') => Ok(Some(format!("{options} {path}"))),
        _ => Err(call.spec.usage()),
    }
}

/// Prints a listing line by line as it arrives, so memory does not grow
/// with it however long it is.
fn print_listing(state: &mut State, verb: &str, path: Option<&str>) -> Result<Flow, Error> {
    state.session.client()?;
    let command = protocol::Command::with_optional_arg(verb, path)?;
    // NLST gives names alone: nothing says what they are, so no colour.
    let palette = if verb == "LIST" { super::colour::for_stdout(state.session.interactive) } else { None };
    state.session.list_retrying(&listing_name(path), &command, |line| match palette {
        Some(palette) => crate::output::coloured_listing_line(&palette.list_line(line)),
        None => crate::output::listing_line(line),
    })?;
    Ok(Flow::Continue)
}

/// What a listing is called in its retry line.
fn listing_name(path: Option<&str>) -> String {
    format!("the listing of {}", path.unwrap_or("the folder"))
}

fn mlsd(state: &mut State, call: &Call) -> Result<Flow, Error> {
    state.session.client()?;
    let command = protocol::Command::with_optional_arg("MLSD", call.args.first().map(String::as_str))?;
    // Printed as the lines arrive, as `ls` does; lines that are not MLSD
    // entries are left out, as `Client::mlsd` leaves them out.
    let what = listing_name(call.args.first().map(String::as_str));
    let palette = super::colour::for_stdout(state.session.interactive);
    state.session.list_retrying(&what, &command, |line| match protocol::listing::parse_mlsd_line(line) {
        Some(entry) => print_mlsd_entry(entry, palette),
        None => std::ops::ControlFlow::Continue(()),
    })?;
    Ok(Flow::Continue)
}

/// One MLSD entry as the `mlsd` command shows it; `Break` once standard
/// output takes no more.
fn print_mlsd_entry(entry: protocol::MlsdEntry, palette: Option<&super::colour::Palette>) -> std::ops::ControlFlow<()> {
    let kind = match entry.kind() {
        Some(EntryKind::File) => "file".to_string(),
        Some(EntryKind::Dir) => "dir".to_string(),
        Some(EntryKind::CurrentDir) => "cdir".to_string(),
        Some(EntryKind::ParentDir) => "pdir".to_string(),
        Some(EntryKind::Other(other)) => other,
        None => "?".to_string(),
    };
    let size = entry.size().map(|s| s.to_string()).unwrap_or_else(|| "-".into());
    let modified = entry.modified().map(|t| t.to_string()).unwrap_or_else(|| "-".into());
    if let Some(palette) = palette {
        let name = palette.paint(super::colour::mlsd_kind(&entry), &entry.name);
        let kind = crate::display::printable(&kind);
        return crate::output::coloured_listing_line(&format!("{kind:<5} {size:>12}  {modified:<23}  {name}"));
    }
    let line = format!("{kind:<5} {size:>12}  {modified:<23}  {}", entry.name);
    crate::output::listing_line(&line)
}

// ---- transfers ----------------------------------------------------------

/// Reports a finished transfer in verbose mode.
fn report(state: &State, report: &TransferReport, verb: &str) {
    if report.already_complete {
        outln!("{} is already complete.", report.local.as_deref().unwrap_or(Path::new("-")).display());
    } else if state.session.settings.verbose {
        let line = summary(report.bytes, verb, report.elapsed);
        if report.local.is_none() && verb == "received" {
            // The data went to standard output: keep the summary out of it.
            errln!("{line}");
        } else {
            outln!("{line}");
        }
    }
}

/// The notes of `--verify` for one command, when it was given.
fn verify_notes(call: &Call) -> Option<std::sync::Arc<VerifyNotes>> {
    call.has("--verify").then(std::sync::Arc::default)
}

fn get(state: &mut State, call: &Call) -> Result<Flow, Error> {
    if let Some(command) = call.pipe {
        return super::pipe::get(state, call, command);
    }
    let local = download_local(call)?;
    if call.has("-r") {
        if call.has("-c") {
            return Err(Error::Usage("get -r does not resume (-c): resume single files with get -c or reget".into()));
        }
        return get_tree(state, &call.args[0], local.as_deref(), verify_notes(call));
    }
    let target = transfer::download_target(&call.args[0], local.as_deref())?;
    if call.has("--verify") && target == LocalTarget::Stdout {
        return Err(Error::Usage("get --verify needs a local file to compare, not standard output".into()));
    }
    let segments = match call.value("--segments") {
        None => None,
        Some(n) => match n.parse::<usize>() {
            Ok(n @ 1..=64) => Some(n),
            _ => return Err(Error::Usage(format!("get --segments takes a number from 1 to 64, not {n:?}"))),
        },
    };
    // For this download only: the next `get` splits by default again.
    state.session.settings.segments = segments;
    let done = download(state, &call.args[0], target, call.has("-c"), verify_notes(call).as_deref());
    state.session.settings.segments = None;
    done
}

/// Where `get` puts what it fetches: `-o LOCAL` or the second operand
/// (not both), with `~` expanded.
fn download_local(call: &Call) -> Result<Option<String>, Error> {
    let local = match (call.value("-o"), call.args.get(1)) {
        (Some(_), Some(_)) => {
            return Err(Error::Usage(format!(
                "{}: name the local file once: -o LOCAL or a second operand",
                call.spec.name
            )));
        }
        (Some(local), None) => Some(local),
        (None, local) => local.map(String::as_str),
    };
    Ok(local.map(|local| tilde(local).into_owned()))
}

fn reget(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let local = download_local(call)?;
    let target = transfer::download_target(&call.args[0], local.as_deref())?;
    download(state, &call.args[0], target, true, None)
}

fn download(
    state: &mut State,
    remote: &str,
    target: LocalTarget,
    resume: bool,
    verify: Option<&VerifyNotes>,
) -> Result<Flow, Error> {
    state.session.client()?;
    let mode = state.session.progress.clone();
    let naming = |e| match e {
        Error::Transfer(e) => Error::Transfer(e.naming(remote)),
        other => other,
    };
    let done = state.session.download_retrying(remote, &target, resume, mode).map_err(naming)?;
    if let Some(notes) = verify {
        state.session.verify_download(remote, &target, notes).map_err(naming)?;
    }
    report(state, &done, "received");
    Ok(Flow::Continue)
}

fn put(state: &mut State, call: &Call) -> Result<Flow, Error> {
    match (call.has("-r"), call.has("-c")) {
        // A tree is sent afresh, file by file, as `get -r` fetches one.
        (true, true) => Err(Error::Usage(
            "put -r does not resume (-c): every file is sent whole; resume single files with put -c or reput".into(),
        )),
        (true, false) => put_tree(state, call.args, verify_notes(call)),
        (false, true) => upload_call(state, call, UploadMode::Resume),
        (false, false) => upload_call(state, call, UploadMode::Replace),
    }
}

fn reput(state: &mut State, call: &Call) -> Result<Flow, Error> {
    upload_call(state, call, UploadMode::Resume)
}

fn append(state: &mut State, call: &Call) -> Result<Flow, Error> {
    upload_call(state, call, UploadMode::Append)
}

/// `put`, `put -c`, `reput` and `append`: `LOCAL [REMOTE]`.
fn upload_call(state: &mut State, call: &Call, how: UploadMode) -> Result<Flow, Error> {
    let verify = verify_notes(call);
    upload(state, call.spec.name, (&call.args[0], call.args.get(1).map(String::as_str)), how, verify.as_deref())
}

/// Uploads `local` to `remote` (or its own name), as `how` says; with
/// `verify`, checks the copies after.
fn upload(
    state: &mut State,
    verb: &str,
    (local, remote): (&str, Option<&str>),
    how: UploadMode,
    verify: Option<&VerifyNotes>,
) -> Result<Flow, Error> {
    state.session.client()?;
    // Standard input is never resumed (the transfer says why), so never read.
    if local == "-" && state.stdin_is_script && how != UploadMode::Resume {
        // Reading the data would read the rest of the script (and wait on
        // the lock the script reader holds).
        return Err(Error::Usage(format!(
            "{verb} -: standard input is the script here; upload from a file, or use `rftp put - DEST`"
        )));
    }
    if local == "-" && verify.is_some() {
        return Err(Error::Usage(format!("{verb} --verify needs a local file to compare, not standard input")));
    }
    let local = &*tilde(local);
    let source = if local == "-" { LocalSource::Stdin } else { LocalSource::Path(local_path(local)) };
    let base_name = || {
        local_path(local)
            .file_name()
            .map(crate::names::remote_name)
            .ok_or_else(|| Error::Usage(format!("{local:?} names no file")))
    };
    let remote = match remote {
        _ if local == "-" && remote.is_none_or(|r| r.ends_with('/')) => {
            return Err(Error::Usage("put -: name the remote file".into()));
        }
        // A remote name ending in `/` is a folder: the file goes inside it
        // (a server may otherwise store a file named after the folder).
        Some(folder) if folder.ends_with('/') => format!("{folder}{}", base_name()?),
        Some(remote) => remote.to_string(),
        None => base_name()?,
    };
    let mode = state.session.progress.clone();
    let done = state.session.upload_retrying(&source, &remote, how, mode)?;
    state.remote_names.clear();
    if let Some(notes) = verify {
        state.session.verify_upload(&source, &remote, notes)?;
    }
    if done.already_complete {
        outln!("{remote} is already complete on the server.");
    } else {
        report(state, &done, "sent");
    }
    Ok(Flow::Continue)
}

/// Asks "VERB NAME? [y/n/a/q/?]" when prompting on a terminal.
enum Answer {
    Yes,
    No,
    All,
    Quit,
}

fn confirm(state: &mut State, verb: &str, name: &str) -> Answer {
    if !(state.prompt && state.session.interactive) {
        return Answer::All;
    }
    loop {
        eprint!("{verb} {}? [y/n/a/q/?] ", crate::display::for_stderr(name));
        let _ = io::stderr().flush();
        let mut answer = String::new();
        match state.session.interrupts.paused_while(|| io::stdin().lock().read_line(&mut answer)) {
            // The end of input or a broken terminal: ask no more.
            Ok(0) | Err(_) => return Answer::Quit,
            Ok(_) => {}
        }
        match answer.trim().to_ascii_lowercase().as_str() {
            "" | "y" | "yes" => return Answer::Yes,
            "n" | "no" => return Answer::No,
            "a" | "all" => return Answer::All,
            "q" | "quit" => return Answer::Quit,
            "?" | "h" | "help" => eprintln!("{CONFIRM_HELP}"),
            // A slip is asked again rather than taken for "no".
            other => eprintln!("{verb}: {:?} is not an answer; {CONFIRM_HELP}", crate::display::for_stderr(other)),
        }
    }
}

/// What the answers to "VERB NAME?" do.
const CONFIRM_HELP: &str =
    "y (or Enter): this file; n: not this one; a: this and all the rest without asking; q: none of the rest";

/// `get -r REMOTE_DIR [LOCAL_DIR]`: a whole remote tree, empty folders included.
fn get_tree(
    state: &mut State,
    remote: &str,
    local: Option<&str>,
    verify: Option<std::sync::Arc<VerifyNotes>>,
) -> Result<Flow, Error> {
    let remote = batch::tree_root(remote);
    let local = match local {
        Some(local) => local_path(local),
        None => local_path(&batch::tree_folder_name(remote)?),
    };
    let interrupted = std::sync::Arc::clone(&state.session.interrupts.interrupted);
    let plan = state.session.with_recovery(|session| {
        crate::tree::plan_download_tree(session.transfer_client()?, remote, &local, &interrupted, tree_warnings())
    })?;
    if plan.plain_file && state.session.settings.verbose {
        errln!("{remote} is a file, not a folder; fetching it as get would");
    }
    run_batch(state, plan, verify)
}

/// Where `get -r` says what it does not follow.
fn tree_warnings() -> crate::tree::Warn {
    Box::new(|message: String| errln!("rftp: warning: {message}"))
}

/// `mirror [OPTIONS] REMOTE [LOCAL]`, `mirror -R [OPTIONS] LOCAL [REMOTE]`:
/// the target defaults to the source's name in the current folder of the
/// other side.
fn mirror(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let parsed = crate::cli::ShellMirrorArgs::try_parse_from(call.args).map_err(|e| {
        let first = e.to_string().lines().next().unwrap_or("bad options").trim_start_matches("error: ").to_string();
        Error::Usage(format!("mirror: {first} (usage: mirror [-R] [OPTION...] SOURCE [TARGET])"))
    })?;
    let direction = if parsed.reverse { Direction::Upload } else { Direction::Download };
    let source = &parsed.paths[0];
    let (remote, local) = match (direction, parsed.paths.get(1)) {
        (Direction::Download, Some(local)) => (batch::tree_root(source).to_string(), local_path(&tilde(local))),
        (Direction::Download, None) => {
            let remote = batch::tree_root(source);
            (remote.to_string(), local_path(&batch::tree_folder_name(remote)?))
        }
        (Direction::Upload, target) => {
            let local = local_path(&tilde(source));
            let remote = match target {
                Some(remote) => batch::tree_root(remote).to_string(),
                None => local_folder_name(&local)?,
            };
            (remote, local)
        }
    };
    // `mirror --delete /` would empty the current folder of whatever the
    // server lacks: a target that defaults to it must be named.
    let here = match direction {
        Direction::Download => local == std::path::Path::new("."),
        Direction::Upload => remote.is_empty(),
    };
    if parsed.flags.delete && parsed.paths.len() < 2 && here {
        return Err(Error::Usage(
            "mirror --delete: name the target when it would be the current folder (mirror [-R] --delete SOURCE TARGET)"
                .to_string(),
        ));
    }
    let options = crate::oneshot::mirror_options(direction, &parsed.flags)?;
    let request = MirrorRequest { remote, local, options, json: parsed.flags.json };
    let saved = state.session.settings.parallel;
    if let Some(parallel) = parsed.parallel {
        state.session.settings.parallel = Some(usize::from(parallel));
    }
    let result = state.session.mirror(request);
    state.session.settings.parallel = saved;
    state.remote_names.clear();
    result.map(|()| Flow::Continue)
}

/// The name of a local folder (of its real path: `.` has one too).
fn local_folder_name(local: &std::path::Path) -> Result<String, Error> {
    let canonical = local.canonicalize().map_err(|e| Error::Local(format!("{}: {e}", local.display())))?;
    Ok(canonical.file_name().map(crate::names::remote_name).unwrap_or_default())
}

/// `put -r LOCAL_DIR [REMOTE_DIR]`: a whole local tree, empty folders included.
fn put_tree(state: &mut State, args: &[String], verify: Option<std::sync::Arc<VerifyNotes>>) -> Result<Flow, Error> {
    let local = &local_path(&tilde(&args[0]));
    if !local.is_dir() {
        return Err(Error::Local(format!("put -r: {} is not a folder", local.display())));
    }
    let remote = match args.get(1) {
        Some(remote) => remote.clone(),
        None => {
            let canonical = local.canonicalize().map_err(|e| Error::Local(format!("{}: {e}", local.display())))?;
            canonical.file_name().map(crate::names::remote_name).unwrap_or_default()
        }
    };
    let mut warn = |message: String| errln!("rftp: warning: {message}");
    let interrupted = std::sync::Arc::clone(&state.session.interrupts.interrupted);
    let plan = batch::plan_upload_tree(state.session.client()?, local, &remote, &interrupted, &mut warn)?;
    run_batch(state, plan, verify)
}

/// The items the user agrees to, asking before each when prompting on a terminal.
fn confirmed<T>(state: &mut State, verb: &str, items: Vec<(String, T)>) -> Vec<T> {
    let mut chosen = Vec::new();
    let mut ask = true;
    for (name, item) in items {
        if ask {
            match confirm(state, verb, &name) {
                Answer::Yes => {}
                Answer::No => continue,
                Answer::All => ask = false,
                Answer::Quit => break,
            }
        }
        chosen.push(item);
    }
    chosen
}

/// Runs a batch on the session (`Session::run_batch`), checking each file
/// with `verify`; the remote side changed.
fn run_batch(state: &mut State, plan: batch::Plan, verify: Option<std::sync::Arc<VerifyNotes>>) -> Result<Flow, Error> {
    let result = state.session.run_batch(plan, verify);
    state.remote_names.clear();
    result.map(|()| Flow::Continue)
}

/// Runs `each` on every item, asking first when prompting; reports a summary
/// error when some failed (each failure is printed as it happens).
fn for_each_confirmed<T>(
    state: &mut State,
    verb: &str,
    items: Vec<(String, T)>,
    mut each: impl FnMut(&mut State, &T) -> Result<(), Error>,
) -> Result<Flow, Error> {
    let total = items.len();
    let mut failed = 0;
    let mut ask = true;
    for (name, item) in items {
        if state.session.interrupted() {
            // Ctrl-C between two files stops the rest too.
            failed += 1;
            break;
        }
        if ask {
            match confirm(state, verb, &name) {
                Answer::Yes => {}
                Answer::No => continue,
                Answer::All => ask = false,
                Answer::Quit => break,
            }
        }
        if let Err(e) = each(state, &item) {
            errln!("rftp: {verb} {name}: {e}");
            failed += 1;
            if state.session.interrupted()
                || !state.session.connection.as_ref().is_some_and(|c| c.client.is_connected())
            {
                break;
            }
        }
    }
    if failed > 0 { Err(Error::SomeFailed { failed, total }) } else { Ok(Flow::Continue) }
}

/// The remote files a pattern names: `(remote path, plain local name)`.
/// Names the server returns that are not plain names are refused with a warning.
fn expand_remote(state: &mut State, pattern: &str) -> Result<Vec<(String, String)>, Error> {
    let (dir, name_pattern) = split_dir(pattern);
    if !is_pattern(name_pattern) {
        let local = safe_local_name(name_pattern).map_err(transfer::TransferError::from)?;
        return Ok(vec![(pattern.to_string(), local.to_string())]);
    }
    let glob = Glob::new(name_pattern).map_err(|e| Error::Usage(e.to_string()))?;
    // List the folder and match here: some servers (pyftpdlib) do not expand
    // wildcards in NLST.
    let listed = state.session.client()?.nlst(dir)?;
    let mut files = Vec::new();
    for entry in listed {
        // Servers answer `NLST dir` with `dir/name` or with `name`.
        let prefix = dir.map(|d| if d.ends_with('/') { d.to_string() } else { format!("{d}/") });
        let relative = prefix.as_deref().and_then(|p| entry.strip_prefix(p)).unwrap_or(&entry);
        let relative = relative.strip_prefix("./").unwrap_or(relative);
        match safe_local_name(relative) {
            Ok(name) if glob.matches(name) => {
                let remote = match dir {
                    Some("/") => format!("/{name}"),
                    Some(dir) => format!("{dir}/{name}"),
                    None => name.to_string(),
                };
                files.push((remote, name.to_string()));
            }
            Ok(_) => {}
            Err(unsafe_name) => errln!("rftp: warning: {unsafe_name}"),
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn mget(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let mut items = Vec::new();
    for pattern in call.args {
        let files = expand_remote(state, pattern)?;
        if files.is_empty() {
            errln!("rftp: mget: nothing matches {pattern}");
        }
        items.extend(files.into_iter().map(|(remote, local)| (remote.clone(), (remote, local))));
    }
    if items.is_empty() {
        return Err(Error::Local("mget: no files to get".into()));
    }
    let locals: Vec<&str> = items.iter().map(|(_, (_, local))| local.as_str()).collect();
    if let Some(twice) = crate::names::first_duplicate(&locals) {
        return Err(Error::Local(format!("mget: several files would be saved as {twice}; get them one by one")));
    }
    // The server's plain names, taken as file names and nothing else (not
    // `-`, not a folder's name to write into).
    // Written beneath the current folder, opened once: no link is followed
    // below it (see crate::localfs).
    let here = crate::localfs::Folder::open(Path::new("."))
        .map_err(|e| Error::Local(format!("mget: cannot open the current folder: {e}")))?;
    let here = std::sync::Arc::new(here);
    let jobs = confirmed(state, "mget", items)
        .into_iter()
        .map(|(remote, local)| batch::Job::Download {
            remote,
            local: crate::localfs::Beneath::new(std::sync::Arc::clone(&here), local_path(&local)),
            size: None,
            modified: None,
        })
        .collect();
    run_batch(state, batch::Plan::of(jobs), verify_notes(call))
}

/// The local files a pattern names.
fn expand_local(pattern: &str) -> Result<Vec<PathBuf>, Error> {
    let pattern = &*tilde(pattern);
    let (dir, name_pattern) = split_dir(pattern);
    if !is_pattern(name_pattern) {
        return Ok(vec![local_path(pattern)]);
    }
    let glob = Glob::new(name_pattern).map_err(|e| Error::Usage(e.to_string()))?;
    let folder = &local_path(dir.unwrap_or("."));
    let entries =
        std::fs::read_dir(folder).map_err(|e| Error::Local(format!("cannot list {}: {e}", folder.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .filter(|entry| glob.matches(&crate::names::remote_name(&entry.file_name())))
        .map(|entry| match dir {
            Some(_) => entry.path(),
            None => PathBuf::from(entry.file_name()),
        })
        .collect();
    files.sort();
    Ok(files)
}

fn mput(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let mut items = Vec::new();
    for pattern in call.args {
        let files = expand_local(pattern)?;
        if files.is_empty() {
            errln!("rftp: mput: nothing matches {pattern}");
        }
        items.extend(files.into_iter().map(|path| (path.display().to_string(), path)));
    }
    if items.is_empty() {
        return Err(Error::Local("mput: no files to put".into()));
    }
    let names: Vec<String> =
        items.iter().map(|(_, path)| path.file_name().map(crate::names::remote_name).unwrap_or_default()).collect();
    if let Some(twice) = crate::names::first_duplicate(&names.iter().map(String::as_str).collect::<Vec<_>>()) {
        return Err(Error::Local(format!("mput: several files would be stored as {twice}; put them one by one")));
    }
    let mut jobs = Vec::new();
    let mut failures = Vec::new();
    for path in confirmed(state, "mput", items) {
        let remote = path
            .file_name()
            .map(crate::names::remote_name)
            .ok_or_else(|| Error::Usage(format!("{} names no file", path.display())))?;
        let size = std::fs::metadata(&path).ok().map(|m| m.len());
        // The folder the user named is opened as named; the file in it is
        // then opened without following a link.
        let name = path.file_name().unwrap_or_default();
        match crate::localfs::Folder::open(path.parent().unwrap_or(Path::new(""))) {
            Ok(folder) => {
                let local = crate::localfs::Beneath::new(std::sync::Arc::new(folder), name);
                jobs.push(batch::Job::Upload { local, remote, size });
            }
            Err(e) => failures.push(batch::Failure {
                what: path.display().to_string(),
                error: format!("cannot upload {}: {e}", path.display()),
            }),
        }
    }
    run_batch(state, batch::Plan { jobs, failures, ..Default::default() }, verify_notes(call))
}

fn set_type(state: &mut State, transfer_type: TransferType) {
    state.session.set_transfer_type(transfer_type);
}

fn ascii(state: &mut State, _call: &Call) -> Result<Flow, Error> {
    set_type(state, TransferType::Ascii);
    Ok(Flow::Continue)
}

fn binary(state: &mut State, _call: &Call) -> Result<Flow, Error> {
    set_type(state, TransferType::Binary);
    Ok(Flow::Continue)
}

fn type_command(state: &mut State, call: &Call) -> Result<Flow, Error> {
    match call.args.first().map(|a| a.to_ascii_lowercase()) {
        None => outln!(
            "Using {} mode to transfer files.",
            if state.session.settings.transfer_type == TransferType::Ascii { "ascii" } else { "binary" }
        ),
        Some(t) if t == "ascii" || t == "a" => set_type(state, TransferType::Ascii),
        Some(t) if t == "binary" || t == "image" || t == "i" => set_type(state, TransferType::Binary),
        Some(_) => return Err(call.spec.usage()),
    }
    Ok(Flow::Continue)
}

fn prompt(state: &mut State, call: &Call) -> Result<Flow, Error> {
    state.prompt = on_off(call, state.prompt)?;
    outln!("Interactive mode {}.", on_off_word(state.prompt));
    Ok(Flow::Continue)
}

fn parallel(state: &mut State, call: &Call) -> Result<Flow, Error> {
    if let Some(n) = call.args.first() {
        state.session.settings.parallel = match n.parse::<usize>() {
            Ok(n) if (1..=64).contains(&n) => Some(n),
            _ => {
                return Err(Error::Usage("parallel: N is a number from 1 to 64".into()));
            }
        };
    }
    match state.session.settings.parallel {
        Some(n) => outln!("Using {n} connection(s) for multiple files."),
        None => outln!(
            "Using {} connection(s) for multiple files ({} to a server on this network, {} to a distant one).",
            state.session.parallel(),
            crate::session::NEAR_PARALLEL,
            crate::session::FAR_PARALLEL
        ),
    }
    Ok(Flow::Continue)
}

fn rate(state: &mut State, call: &Call) -> Result<Flow, Error> {
    match call.args.first().map(String::as_str) {
        None => {}
        Some(off) if off.eq_ignore_ascii_case("off") => state.session.settings.limit_rate = None,
        Some(text) => {
            let rate = crate::cli::parse_rate(text).map_err(|why| Error::Usage(format!("rate: {why}")))?;
            state.session.settings.limit_rate = Some(rate);
        }
    }
    match state.session.settings.limit_rate {
        Some(rate) => outln!("Rate limit: {}/s for each command.", indicatif::BinaryBytes(rate)),
        None => outln!("No rate limit."),
    }
    Ok(Flow::Continue)
}

fn retries(state: &mut State, call: &Call) -> Result<Flow, Error> {
    if let Some(n) = call.args.first() {
        state.session.settings.retry.retries =
            n.parse().map_err(|_| Error::Usage(format!("retries: {n:?} is not a number of tries")))?;
    }
    outln!("Retries: {}.", state.session.settings.retry.retries);
    Ok(Flow::Continue)
}

fn retry_wait(state: &mut State, call: &Call) -> Result<Flow, Error> {
    if let Some(seconds) = call.args.first() {
        let seconds: u64 =
            seconds.parse().map_err(|_| Error::Usage(format!("retry-wait: {seconds:?} is not a number of seconds")))?;
        state.session.settings.retry.first_wait = std::time::Duration::from_secs(seconds);
    }
    outln!("First wait before a retry: {} s.", state.session.settings.retry.first_wait.as_secs());
    Ok(Flow::Continue)
}

fn ccc(state: &mut State, _call: &Call) -> Result<Flow, Error> {
    if !state.session.client()?.is_tls() {
        return Err(Error::Usage("ccc: the control connection is not encrypted".into()));
    }
    send_raw(state, "CCC")
}

fn prot(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let level = match call.args[0].to_ascii_uppercase().as_str() {
        "C" | "CLEAR" => "C",
        "P" | "PRIVATE" => "P",
        _ => return Err(call.spec.usage()),
    };
    send_raw(state, &format!("PROT {level}"))
}

fn abort(state: &mut State, _call: &Call) -> Result<Flow, Error> {
    send_raw(state, "ABOR")
}

// ---- remote files -------------------------------------------------------

fn changed(state: &mut State, reply: protocol::Reply) -> Result<Flow, Error> {
    state.remote_names.clear();
    state.session.show_reply(&reply);
    Ok(Flow::Continue)
}

fn mkdir(state: &mut State, call: &Call) -> Result<Flow, Error> {
    if call.has("-p") {
        let client = state.session.client()?;
        batch::make_remote_path(client, &call.args[0]).map_err(|e| Error::Transfer(e.naming(&call.args[0])))?;
        state.remote_names.clear();
        return Ok(Flow::Continue);
    }
    let path = state.session.client()?.mkd(&call.args[0])?;
    state.remote_names.clear();
    if state.session.settings.verbose {
        outln!("Created {path}");
    }
    Ok(Flow::Continue)
}

fn rmdir(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let reply = state.session.client()?.rmd(&call.args[0])?;
    changed(state, reply)
}

fn delete(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let reply = state.session.client()?.delete(&call.args[0])?;
    changed(state, reply)
}

fn mdelete(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let mut items = Vec::new();
    for pattern in call.args {
        items.extend(expand_remote(state, pattern)?.into_iter().map(|(remote, _)| (remote.clone(), remote)));
    }
    let flow = for_each_confirmed(state, "mdelete", items, |state, remote| {
        let reply = state.session.client()?.delete(remote)?;
        state.session.show_reply(&reply);
        Ok(())
    });
    state.remote_names.clear();
    flow
}

fn rename(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let reply = state.session.client()?.rename(&call.args[0], &call.args[1])?;
    changed(state, reply)
}

fn size(state: &mut State, call: &Call) -> Result<Flow, Error> {
    match state.session.client()?.size(&call.args[0])? {
        Some(size) => outln!("{size}"),
        None => return Err(Error::Local("the server does not support SIZE".into())),
    }
    Ok(Flow::Continue)
}

/// `checksum FILE`: `SHA-256 <hex>  FILE`, as sha256sum prints it, with
/// the algorithm the server used first.
fn checksum(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let file = &call.args[0];
    match state.session.client()?.checksum(file)? {
        Some(checksum) => outln!("{} {}  {file}", checksum.algorithm, checksum.hex),
        None => return Err(Error::Local(format!("checksum {file}: the server offers no checksum command"))),
    }
    Ok(Flow::Continue)
}

fn modtime(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let time = state.session.client()?.mdtm(&call.args[0])?;
    outln!("{}\t{time}", call.args[0]);
    Ok(Flow::Continue)
}

fn chmod(state: &mut State, call: &Call) -> Result<Flow, Error> {
    let reply = state.session.client()?.site(&format!("CHMOD {} {}", call.args[0], call.args[1]))?;
    changed(state, reply)
}

// ---- help ---------------------------------------------------------------

fn help(state: &mut State, call: &Call) -> Result<Flow, Error> {
    super::help::help(state, call)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_aliases_and_abbreviations() {
        assert_eq!(lookup("get").unwrap().name, "get");
        assert_eq!(lookup("recv").unwrap().name, "get");
        assert_eq!(lookup("GET").unwrap().name, "get");
        assert_eq!(lookup("?").unwrap().name, "help");
        assert_eq!(lookup("pw").unwrap().name, "pwd");
        assert_eq!(lookup("mkd").unwrap().name, "mkdir");
        assert_eq!(lookup("dis").unwrap().name, "close");
        assert!(matches!(lookup("m"), Err(LookupError::Ambiguous(_))));
        assert_eq!(lookup("frobnicate").err(), Some(LookupError::Unknown));
    }

    #[test]
    fn every_command_has_help_and_unique_names() {
        let mut seen = std::collections::HashSet::new();
        for spec in COMMANDS {
            assert!(!spec.help.is_empty(), "{}", spec.name);
            for name in std::iter::once(spec.name).chain(spec.aliases.iter().copied()) {
                assert!(seen.insert(name), "{name} twice");
                assert_eq!(lookup(name).unwrap().name, spec.name);
            }
        }
    }

    #[test]
    fn every_command_declares_counts_that_fit_its_usage_line() {
        for spec in COMMANDS {
            let (min, max) = (*spec.arity.start(), *spec.arity.end());
            assert!(min <= max, "{}: {min} > {max}", spec.name);
            assert_eq!(spec.args.is_empty(), max == 0, "{}: {:?} but at most {max}", spec.name, spec.args);
            assert_eq!(spec.args.contains("..."), max == MANY, "{}: {:?}", spec.name, spec.args);
            if !spec.flags.is_empty() {
                let flags = format!("[{}] ", spec.flags.join("|"));
                assert!(spec.args.starts_with(&flags), "{}: {:?}", spec.name, spec.args);
            }
        }
    }

    #[test]
    fn a_wrong_count_gives_the_usage_line() {
        let session = crate::session::Session::new(Default::default(), false, crate::progress::ProgressMode::Off);
        let mut state = State::new(session, false);
        let mut run = |line: &str| match execute(&mut state, line) {
            Err(Error::Usage(message)) => message,
            other => format!("not a usage error: {:?}", other.map_err(|e| e.to_string())),
        };
        for (line, usage) in [
            ("get", "usage: get [-r|--verify|--segments N|-c|-o LOCAL] REMOTE [LOCAL]"),
            ("get a b c", "usage: get [-r|--verify|--segments N|-c|-o LOCAL] REMOTE [LOCAL]"),
            ("get -r", "usage: get [-r|--verify|--segments N|-c|-o LOCAL] REMOTE [LOCAL]"),
            ("recv -r a b c", "usage: get [-r|--verify|--segments N|-c|-o LOCAL] REMOTE [LOCAL]"),
            ("put -r", "usage: put [-r|-c|--verify] LOCAL [REMOTE]"),
            ("put -c", "usage: put [-r|-c|--verify] LOCAL [REMOTE]"),
            ("put -c a b c", "usage: put [-r|-c|--verify] LOCAL [REMOTE]"),
            ("reput", "usage: reput LOCAL [REMOTE]"),
            ("open --tls", "usage: open [--tls] HOST[:PORT] [PORT] | URL"),
            ("open --tls a b c", "usage: open [--tls] HOST[:PORT] [PORT] | URL"),
            ("close now", "usage: close "),
            ("rename a", "usage: rename FROM TO"),
            ("quote", "usage: quote COMMAND [ARGS...]"),
            ("mdel", "usage: mdelete PATTERN..."),
            ("verbose on off", "usage: verbose [on|off]"),
            // A bad value, found by the handler, gives the same line.
            ("debug 7", "usage: debug [0|1|2]"),
            ("prot X", "usage: prot C|P"),
        ] {
            assert_eq!(run(line), usage, "{line}");
        }
        let both = run("put -r -c dir");
        assert!(both.contains("put -r does not resume (-c)"), "{both}");
        // The right count reaches the handler.
        assert!(matches!(execute(&mut state, "cd a"), Err(Error::NotConnected)));
        assert!(matches!(execute(&mut state, "rename a b"), Err(Error::NotConnected)));
        let missing = "put -r /nonexistent/rftp-arity-test";
        assert!(matches!(execute(&mut state, missing), Err(Error::Local(m)) if m.contains("is not a folder")));
    }

    #[test]
    fn transfer_options_come_anywhere_and_unknown_ones_are_refused() {
        let words = |line: &str| line.split_whitespace().map(String::from).collect::<Vec<_>>();
        let parse = |name: &str, line: &str| {
            let words = words(line);
            parse_options(lookup(name).unwrap(), &words)
                .map(|(flags, values, operands)| {
                    let values: Vec<String> = values.iter().map(|(flag, value)| format!("{flag}={value}")).collect();
                    (flags.join(" "), values.join(" "), operands.join(" "))
                })
                .map_err(|e| e.to_string())
        };
        let ok = |flags: &str, values: &str, operands: &str| -> Result<(String, String, String), String> {
            Ok((flags.into(), values.into(), operands.into()))
        };
        assert_eq!(parse("get", "f -o x"), ok("-o LOCAL", "-o LOCAL=x", "f"));
        assert_eq!(parse("get", "-c f --verify"), ok("-c --verify", "", "f"));
        assert_eq!(parse("get", "-- -x -r"), ok("", "", "-x -r"));
        assert_eq!(parse("get", "f -"), ok("", "", "f -"));
        assert_eq!(parse("put", "a -r"), ok("-r", "", "a"));
        assert_eq!(parse("mkdir", "a/b -p"), ok("-p", "", "a/b"));
        let refused = |name: &str, line: &str| match parse(name, line) {
            Err(message) => message,
            other => format!("accepted: {other:?}"),
        };
        assert!(refused("get", "-x f").starts_with("get: unknown option \"-x\" (a file of that name: ./-x"));
        assert!(refused("reget", "f -v").contains("unknown option \"-v\""));
        assert!(refused("mget", "-r d").contains("get -r FOLDER"), "{}", refused("mget", "-r d"));
        assert_eq!(refused("get", "-r a -r"), "get: -r given twice");
        assert_eq!(parse("get", "--recursive d --output=x"), ok("-r -o LOCAL", "-o LOCAL=x", "d"));
        assert_eq!(parse("get", "--continue f"), ok("-c", "", "f"));
        assert_eq!(refused("get", "--verify=yes f"), "get: --verify takes no value");
        // Elsewhere options end at the first operand: `ls -la` is the server's.
        assert_eq!(parse("ls", "-la"), ok("", "", "-la"));
        assert_eq!(parse("open", "--tls h --x"), ok("--tls", "", "h --x"));
        assert_eq!(parse("delete", "-r"), ok("", "", "-r"));
    }

    #[test]
    fn history_never_keeps_passwords() {
        assert!(super::super::may_save_in_history("get file"));
        assert!(super::super::may_save_in_history("user bob"));
        assert!(!super::super::may_save_in_history("user bob secret"));
        assert!(!super::super::may_save_in_history("us bob secret"));
        assert!(!super::super::may_save_in_history("quote PASS secret"));
        assert!(!super::super::may_save_in_history("open ftp://bob:secret@host/"));
        assert!(!super::super::may_save_in_history("open ftp://bob:pa/ss@host/"));
        assert!(super::super::may_save_in_history("open ftp://bob@host/"));
        assert!(!super::super::may_save_in_history("user bob \"secret"));
        assert!(!super::super::may_save_in_history("user bob secret\\"));
        assert!(!super::super::may_save_in_history("quote \"PASS secret\""));
        assert!(!super::super::may_save_in_history("literal acct secret"));
    }
}
