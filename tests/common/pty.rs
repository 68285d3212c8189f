//! The shell on a pseudo-terminal, driven as a person at the keyboard
//! would: started, logged in at its prompts, typed into, left with `bye`.

use rexpect::session::PtySession;

use super::sandbox::Sandbox;
use super::{PASSWORD, TestServer, USER};

/// Starts `rftp ARGS` on a pseudo-terminal.
pub fn spawn(sandbox: &Sandbox, args: &[&str]) -> PtySession {
    let mut command = sandbox.command(args);
    // The pseudo-terminal is standard input, not the sandbox's /dev/null.
    command.env("TERM", "xterm").stdin(std::process::Stdio::inherit());
    rexpect::session::spawn_command(command, Some(15_000)).expect("starts rftp on a pty")
}

/// Answers the login prompts of `server` and waits for the `ftp>` prompt.
pub fn log_in(session: &mut PtySession, server: &TestServer) {
    session.exp_string(&format!("Name ({}:tester): ", server.host)).unwrap();
    session.send_line(USER).unwrap();
    session.exp_string("Password: ").unwrap();
    session.send_line(PASSWORD).unwrap();
    session.exp_string("230").unwrap();
    session.exp_string("ftp> ").unwrap();
}

/// `rftp HOST PORT EXTRA…` on a pseudo-terminal, logged in, at the prompt.
pub fn start(sandbox: &Sandbox, server: &TestServer, extra: &[&str]) -> PtySession {
    let port = server.port.to_string();
    let mut args = vec![server.host.as_str(), port.as_str()];
    args.extend_from_slice(extra);
    let mut session = spawn(sandbox, &args);
    log_in(&mut session, server);
    session
}

/// Types text without pressing Enter.
pub fn type_text(session: &mut PtySession, text: &str) {
    session.send(text).unwrap();
    session.flush().unwrap();
}

/// Types `bye` and waits for rftp to end.
pub fn quit(mut session: PtySession) {
    session.send_line("bye").unwrap();
    session.exp_eof().unwrap();
}
