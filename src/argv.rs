//! Keeping passwords given on the command line out of the process list.
//!
//! Any user of the machine can read every process's arguments (`ps`,
//! `/proc/PID/cmdline`). Overwriting them in place, as curl does, needs
//! unsafe code. Instead, when an argument carries a password (a URL with
//! `user:password@`, or `--user NAME:PASSWORD` for `rftp serve`, also as
//! `-u`, alone or ending a cluster of short options such as `-nu`), rftp at
//! once executes its own program again (the file `/proc/self/exe` names),
//! keeping its process id, with the password written as `****`; the real
//! arguments wait in a pipe that only the new program image reads. The
//! environment carries only the pipe's descriptor number and the process
//! id, and `/proc/PID/environ` is readable by the same user and root alone.
//!
//! What stays visible: the original arguments for the instant between the
//! start and the re-execution (a process list polled at that moment, or an
//! audit log of every exec, sees them); the user name, host and path, which
//! are not secret. Where re-executing is impossible (no `/proc`), the
//! password stays visible and a warning says so.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use crate::password::PLACEHOLDER;
use crate::url;

/// The environment variable naming the pipe that holds the real arguments,
/// as `FD:PID`: only the process with that id (the one re-executed) reads it.
pub const HANDOVER_VAR: &str = "RFTP_ARGS_FD";

/// Bytes of arguments handed over at most: what an unprivileged process may
/// make a pipe hold (Linux's default `fs.pipe-max-size`). A one-shot command
/// with many URLs passes the 4 KiB of one page. The write never blocks: one
/// that does not fit fails, and the password then stays visible, with a
/// warning.
#[cfg(target_os = "linux")]
const MAX_HANDOVER: usize = 1 << 20;

/// The program's real arguments. When some carry a password and this is
/// the first start, re-executes with the passwords hidden and does not
/// return; when this is the re-executed program, reads the real ones back.
/// An error means the arguments were hidden but cannot be read back.
pub fn real_args() -> Result<Vec<OsString>, String> {
    let args: Vec<OsString> = std::env::args_os().collect();
    if let Some(handover) = std::env::var_os(HANDOVER_VAR)
        && let Some(fd) = handover_for_this_process(&handover)
    {
        return receive(fd);
    }
    let hidden = hide_passwords(&args);
    if hidden != args
        && let Err(e) = reexec(&args, &hidden)
    {
        crate::display::warn(&format!("the password stays visible in the process list: {e}"));
    }
    Ok(args)
}

/// The descriptor in `FD:PID`, if PID is this process (a program started
/// by rftp inherits the variable, but never has rftp's process id).
fn handover_for_this_process(value: &std::ffi::OsStr) -> Option<u32> {
    let (fd, pid) = value.to_str()?.split_once(':')?;
    (pid.parse::<u32>().ok()? == std::process::id()).then_some(fd.parse().ok()?)
}

/// `args` with every password written as [`PLACEHOLDER`].
pub fn hide_passwords(args: &[OsString]) -> Vec<OsString> {
    let mut hidden = Vec::with_capacity(args.len());
    let mut after_user_flag = false;
    for arg in args {
        let text = arg.to_str();
        let shown = match text {
            Some(text) if after_user_flag => hide_login(text),
            Some(text) if text.starts_with("--user=") => format!("--user={}", hide_login(&text["--user=".len()..])),
            Some(text) => match short_user_value(text) {
                Some(ShortUser::Attached(at)) => format!("{}{}", &text[..at], hide_login(&text[at..])),
                _ => url::redact(text),
            },
            None => {
                hidden.push(arg.clone());
                after_user_flag = false;
                continue;
            }
        };
        after_user_flag = matches!(text, Some("--user")) || text.and_then(short_user_value) == Some(ShortUser::Next);
        hidden.push(OsString::from(shown));
    }
    hidden
}

/// Where `-u`'s value is in a cluster of short options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShortUser {
    /// In the same argument, from this byte on (`-ubob:pw`, `-nubob:pw`, `-u=bob:pw`).
    Attached(usize),
    /// In the next argument (`-u`, `-nu`).
    Next,
}

/// The short options that take a value: the rest of their cluster, or
/// else the next argument, is that value and holds no more options.
const SHORT_WITH_VALUE: [char; 3] = ['u', 'j', 'P'];

/// Where `-u`'s value is, when `arg` is a cluster of short options that
/// ends in `-u` (clap reads `-nu NAME` and `-ubob:pw` as `--user`).
fn short_user_value(arg: &str) -> Option<ShortUser> {
    let cluster = arg.strip_prefix('-').filter(|rest| !rest.starts_with('-'))?;
    for (i, option) in cluster.char_indices() {
        if !SHORT_WITH_VALUE.contains(&option) {
            continue;
        }
        if option != 'u' {
            return None; // the rest is another option's value
        }
        let value = 1 + i + 1;
        return Some(match arg[value..].strip_prefix('=') {
            _ if value == arg.len() => ShortUser::Next,
            Some(_) => ShortUser::Attached(value + 1),
            None => ShortUser::Attached(value),
        });
    }
    None
}

/// `NAME:PASSWORD` (`rftp serve --user`) as `NAME:****`; a plain user name as it is.
fn hide_login(text: &str) -> String {
    match text.split_once(':') {
        Some((name, _)) => format!("{name}:{PLACEHOLDER}"),
        None => text.to_string(),
    }
}

/// Executes this program again with `hidden` as its arguments, the real
/// ones waiting in a pipe. Returns only on failure.
#[cfg(target_os = "linux")]
fn reexec(args: &[OsString], hidden: &[OsString]) -> Result<(), String> {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::process::CommandExt;

    let mut payload = Vec::new();
    for arg in args {
        // Arguments never hold NUL: it separates them.
        payload.extend_from_slice(arg.as_bytes());
        payload.push(0);
    }
    if payload.len() > MAX_HANDOVER {
        return Err(format!("the arguments are longer than {MAX_HANDOVER} bytes"));
    }
    // Not close-on-exec: the read end must survive into the new image.
    // Non-blocking, so a pipe smaller than expected fails instead of hanging.
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_NONBLOCK).map_err(|e| format!("pipe: {e}"))?;
    // A pipe holds 64 KiB unless the user has many (then one page): made
    // as large as the arguments need, when they need more than a page.
    if payload.len() > 4096
        && let Ok(size) = i32::try_from(payload.len())
    {
        let _ = nix::fcntl::fcntl(&write, nix::fcntl::FcntlArg::F_SETPIPE_SZ(size));
    }
    let mut write = std::fs::File::from(write);
    write.write_all(&payload).map_err(|e| format!("cannot hand the arguments over: {e}"))?;
    // The new image must see the end of the data: no writer may survive.
    drop(write);
    let handover = format!("{}:{}", read.as_raw_fd(), std::process::id());
    // The program's own path rather than /proc/self/exe itself, whose name
    // would become the process's name: `ps` and `pgrep rftp` would see `exe`.
    let program = std::env::current_exe().ok().filter(|path| path.is_file()).unwrap_or_else(|| "/proc/self/exe".into());
    let mut command = std::process::Command::new(&program);
    if let Some(name) = hidden.first() {
        command.arg0(name);
    }
    let error = command.args(hidden.iter().skip(1)).env(HANDOVER_VAR, handover).exec();
    Err(format!("cannot execute {}: {error}", program.display()))
}

#[cfg(not(target_os = "linux"))]
fn reexec(_args: &[OsString], _hidden: &[OsString]) -> Result<(), String> {
    Err("hiding it needs Linux's /proc".into())
}

/// Reads the real arguments from the pipe `fd` left by [`reexec`].
fn receive(fd: u32) -> Result<Vec<OsString>, String> {
    // Reopening the descriptor through /proc needs no unsafe code; the
    // original stays open, empty and without a writer, which is harmless.
    let path = format!("/proc/self/fd/{fd}");
    let payload = std::fs::read(&path).map_err(|e| format!("cannot read the hidden arguments from {path}: {e}"))?;
    let Some(payload) = payload.strip_suffix(&[0]) else {
        return Err(format!("the hidden arguments in {path} are incomplete"));
    };
    Ok(payload.split(|&b| b == 0).map(|arg| OsString::from_vec(arg.to_vec())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hide(args: &[&str]) -> Vec<String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        hide_passwords(&args).into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    #[test]
    fn a_password_with_an_at_and_a_slash_is_hidden() {
        // Moved from tests/review_paths.rs: the first `@` ends the authority,
        // but the user may have meant the password `pa55@127.0.0.1:1/w0rd`.
        let hidden = hide(&["rftp", "get", "ftp://bob:pa55@127.0.0.1:1/w0rd@x/file"]);
        assert!(!hidden[2].contains("pa55") && !hidden[2].contains("w0rd"), "{hidden:?}");
    }

    #[test]
    fn a_login_in_the_short_form_is_hidden() {
        // Moved from tests/review_paths.rs.
        assert_eq!(hide(&["rftp", "get", "bob:s3cret-short@127.0.0.1:file"])[2], "bob:****@127.0.0.1:file");
    }

    #[test]
    fn passwords_in_urls_and_serve_logins_are_hidden() {
        assert_eq!(
            hide(&["rftp", "get", "ftp://bob:s3cret@h/f", "-o", "x"]),
            ["rftp", "get", "ftp://bob:****@h/f", "-o", "x"]
        );
        assert_eq!(hide(&["rftp", "-u", "bob", "h"]), ["rftp", "-u", "bob", "h"]);
        assert_eq!(hide(&["rftp", "serve", "--user", "bob:pw"]), ["rftp", "serve", "--user", "bob:****"]);
        assert_eq!(hide(&["rftp", "serve", "--user=bob:pw", "-u"]), ["rftp", "serve", "--user=bob:****", "-u"]);
        assert_eq!(hide(&["rftp", "put", "a", "ftp://u:pa/ss@h/"]), ["rftp", "put", "a", "ftp://u:****@h/"]);
        // A login with no scheme and no `:PATH` (read as a path on host `bob`).
        assert_eq!(hide(&["rftp", "ls", "bob:s3cret@127.0.0.1"]), ["rftp", "ls", "bob:****@127.0.0.1"]);
        // Short options in a cluster, with the value attached or next.
        assert_eq!(hide(&["rftp", "-ubob:pw", "serve"]), ["rftp", "-ubob:****", "serve"]);
        assert_eq!(hide(&["rftp", "-nubob:pw", "serve"]), ["rftp", "-nubob:****", "serve"]);
        assert_eq!(hide(&["rftp", "-u=bob:pw", "serve"]), ["rftp", "-u=bob:****", "serve"]);
        assert_eq!(hide(&["rftp", "-qu", "bob:pw", "serve"]), ["rftp", "-qu", "bob:****", "serve"]);
        assert_eq!(hide(&["rftp", "-P2121", "-u", "bob:pw"]), ["rftp", "-P2121", "-u", "bob:****"]);
        // `u` as another option's value is no `-u`.
        assert_eq!(hide(&["rftp", "-Pu:x", "h"]), ["rftp", "-Pu:x", "h"]);
        assert_eq!(hide(&["rftp", "-", "x:y"]), ["rftp", "-", "x:y"]);
    }

    #[test]
    fn the_handover_is_for_this_process_only() {
        let me = std::process::id();
        assert_eq!(handover_for_this_process(format!("7:{me}").as_ref()), Some(7));
        assert_eq!(handover_for_this_process(format!("7:{}", me + 1).as_ref()), None);
        assert_eq!(handover_for_this_process("junk".as_ref()), None);
    }
}
