//! A place to run the real `rftp` binary: a fresh home folder (so the user's
//! own netrc, history and settings never leak in) and a local working folder.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{PASSWORD, TestServer, USER};

pub struct Sandbox {
    _dir: tempfile::TempDir,
    pub home: PathBuf,
    pub local: PathBuf,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let local = dir.path().join("local");
        fs::create_dir_all(&home).unwrap();
        fs::create_dir_all(&local).unwrap();
        Sandbox { _dir: dir, home, local }
    }
    /// `rftp ARGS` started with its standard output and error piped, to be
    /// ended ([`interrupt`]) and collected ([`wait_within`]) by the test.
    pub fn spawn_piped(&self, args: &[&str]) -> Child {
        let mut command = self.command(args);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command.spawn().expect("rftp starts")
    }

    /// `rftp ARGS` with a clean environment, run in the local folder.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(rftp_binary());
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("NETRC", self.home.join(".netrc"))
            .env("USER", "tester")
            .env("LOGNAME", "tester")
            .current_dir(&self.local)
            .stdin(Stdio::null());
        command
    }

    /// Runs rftp with `stdin` as its standard input.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        self.run_with_env(args, stdin, &[])
    }

    /// The same, with extra environment variables.
    pub fn run_with_env(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let mut command = self.command(args);
        command.envs(env.iter().copied()).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("runs rftp");
        let mut input = child.stdin.take().unwrap();
        let stdin = stdin.to_string();
        // Feed stdin from its own thread so a full pipe can never deadlock us.
        let feeder = std::thread::spawn(move || {
            let _ = input.write_all(stdin.as_bytes());
        });
        let output = child.wait_with_output().unwrap();
        feeder.join().unwrap();
        output
    }

    pub fn local_file(&self, name: &str) -> PathBuf {
        self.local.join(name)
    }

    /// Writes `~/.netrc` with the given permissions.
    pub fn write_netrc(&self, text: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.home.join(".netrc");
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Sends `child` the signal Ctrl-C sends (SIGINT), as a terminal would.
pub fn interrupt(child: &Child) {
    let status =
        std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success(), "kill -INT {}", child.id());
}

/// Waits for `child` to end; kills it and panics if it runs past `bound`.
pub fn wait_within(mut child: Child, bound: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("rftp can be waited for").is_none() {
        if start.elapsed() > bound {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("rftp still running after {bound:?}; stderr: {}", text(&out.stderr));
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs `rftp ARGS` with no standard input, bounded by `bound`; returns its output and how long it took.
pub fn run_within(sandbox: &Sandbox, args: &[&str], bound: Duration) -> (Output, Duration) {
    let start = Instant::now();
    let child = sandbox.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("rftp starts");
    let out = wait_within(child, bound);
    (out, start.elapsed())
}

/// The shell running `commands` as user `u` against the scripted server on `port`.
pub fn shell(sandbox: &Sandbox, port: u16, commands: &str) -> Output {
    sandbox.run(&["-n", "127.0.0.1", &port.to_string()], &format!("user u p\n{commands}"))
}

/// The shell running `script` against `server`, logged in as the test user.
pub fn run_script(sandbox: &Sandbox, server: &TestServer, script: &str) -> Output {
    let port = server.port.to_string();
    sandbox.run(&["-n", &server.host, &port], &format!("user {USER} {PASSWORD}\n{script}"))
}

/// The rftp binary cargo built for the integration tests. The binary's own
/// unit tests (`src/engine_tests.rs`) share these helpers but run no binary,
/// and cargo names it only for integration tests.
fn rftp_binary() -> &'static str {
    match option_env!("CARGO_BIN_EXE_rftp") {
        Some(path) => path,
        None => panic!("the rftp binary is run from integration tests only"),
    }
}
