//! Test support: a real FTP server to talk to, and a fresh folder per test.
//!
//! By default each test starts rftp's embedded server (libunftp) on an
//! ephemeral loopback port. When `RFTP_TEST_SERVER` is set (CI's interop run),
//! tests use that external server instead; see `.ci/servers.sh` for the
//! variables.

#![allow(dead_code)]

pub mod pty;
pub mod sandbox;
pub mod tls;

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rftp::protocol::{Client, Options};
use rftp::server::{Access, Server, ServerConfig};

pub const USER: &str = "rftp";
pub const PASSWORD: &str = "s3cret";

/// Where the server under test is and what it can do.
pub struct TestServer {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// The local folder that is the session's starting directory.
    pub root: PathBuf,
    /// Which server this is: "embedded", "pyftpdlib", "vsftpd".
    pub name: String,
    pub telnet_abort: bool,
    pub active: bool,
    /// FTPS, for the CI runs against pyftpdlib's and vsftpd's TLS.
    pub tls: Option<rftp::protocol::TlsOptions>,
    embedded: Option<(Server, tempfile::TempDir)>,
}

impl TestServer {
    /// The server the tests run against: external if configured, else embedded.
    pub fn start() -> TestServer {
        match env::var("RFTP_TEST_SERVER") {
            Ok(address) if !address.is_empty() => TestServer::external(&address),
            _ => TestServer::embedded(),
        }
    }

    fn embedded() -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = Server::start(ServerConfig {
            root: dir.path().to_path_buf(),
            port: 0,
            access: Access::ReadWrite,
            login: Some((USER.into(), PASSWORD.into())),
            tls: None,
        })
        .expect("embedded server starts");
        TestServer {
            host: "127.0.0.1".into(),
            port: server.address().port(),
            user: USER.into(),
            password: PASSWORD.into(),
            root: server.root().to_path_buf(),
            name: "embedded".into(),
            // libunftp closes the session on the non-UTF-8 Telnet bytes.
            telnet_abort: false,
            active: true,
            tls: None,
            embedded: Some((server, dir)),
        }
    }

    fn external(address: &str) -> TestServer {
        let (host, port) = address.rsplit_once(':').expect("RFTP_TEST_SERVER is host:port");
        let var = |name: &str| env::var(name).unwrap_or_else(|_| panic!("{name} must be set with RFTP_TEST_SERVER"));
        TestServer {
            host: host.into(),
            port: port.parse().expect("a port number"),
            user: var("RFTP_TEST_USER"),
            password: var("RFTP_TEST_PASSWORD"),
            root: PathBuf::from(var("RFTP_TEST_ROOT")),
            name: env::var("RFTP_TEST_NAME").unwrap_or_else(|_| "external".into()),
            telnet_abort: env::var("RFTP_TEST_TELNET_ABORT").is_ok_and(|v| v == "1"),
            active: env::var("RFTP_TEST_ACTIVE").is_ok_and(|v| v == "1"),
            tls: env::var("RFTP_TEST_TLS").ok().filter(|v| !v.is_empty()).map(|mode| rftp::protocol::TlsOptions {
                mode: if mode == "implicit" {
                    rftp::protocol::TlsMode::Implicit
                } else {
                    rftp::protocol::TlsMode::Explicit
                },
                extra_ca: env::var("RFTP_TEST_CA").ok().map(PathBuf::from),
                ..rftp::protocol::TlsOptions::default()
            }),
            embedded: None,
        }
    }

    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// How many connections the embedded server accepted (None for external ones).
    pub fn connections(&self) -> Option<usize> {
        self.embedded.as_ref().map(|(s, _)| s.connections())
    }

    pub fn options(&self) -> Options {
        // sendfile to loopback too: the servers here are all local.
        Options {
            telnet_abort: self.telnet_abort,
            tls: self.tls.clone(),
            sendfile_to_loopback: true,
            ..Options::default()
        }
    }

    /// A connected, logged-in client.
    pub fn client(&self) -> Client {
        let mut client = Client::connect_with(&self.host, self.port, self.options()).expect("connects");
        client.login(&self.user, &self.password, None).expect("logs in");
        client
    }
}

/// An `ftp://` URL of `path` on `server`, with the test user's name and password.
pub fn url(server: &TestServer, path: &str) -> String {
    format!("ftp://{USER}:{PASSWORD}@{}:{}/{path}", server.host, server.port)
}

/// A test's own folder on the server, and a client standing in it.
pub struct Fixture {
    pub server: TestServer,
    pub client: Client,
    /// The folder's name, relative to the session's starting directory.
    pub name: String,
    /// The folder on the local disk.
    pub dir: PathBuf,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Fixture {
    pub fn new(test: &str) -> Fixture {
        let server = TestServer::start();
        let name = format!("{test}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
        let dir = server.root.join(&name);
        make_dir(&dir);
        let mut client = server.client();
        client.cwd(&name).expect("enters the test folder");
        Fixture { server, client, name, dir }
    }

    /// Writes a file into the test folder, directly on disk.
    pub fn put_local(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.dir.join(name);
        fs::write(&path, contents).expect("writes fixture file");
        make_shared(&path, 0o666);
        path
    }

    /// Makes a folder inside the test folder, directly on disk.
    pub fn mkdir_local(&self, name: &str) -> PathBuf {
        let path = self.dir.join(name);
        make_dir(&path);
        path
    }

    pub fn read_local(&self, name: &str) -> Vec<u8> {
        fs::read(self.dir.join(name)).expect("reads file from the server's folder")
    }

    /// A second client, logged in and standing in the test folder.
    pub fn another_client(&self) -> Client {
        let mut client = self.server.client();
        client.cwd(&self.name).expect("enters the test folder");
        client
    }
}

/// Creates a folder the FTP server's own user can write into too (vsftpd runs
/// sessions as an unprivileged user, while tests run as whoever runs them).
pub fn make_dir(path: &Path) {
    fs::create_dir_all(path).expect("creates folder");
    make_shared(path, 0o777);
}

fn make_shared(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("sets permissions");
}

/// Bytes that are not the same when shifted, so misplaced chunks show.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

/// Peak resident set size of this process, in KiB (Linux `VmHWM`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reads a line without its `\n`, a byte at a time so nothing after it is taken; panics on a read error.
pub fn read_line_bytewise(stream: &mut impl std::io::Read) -> Vec<u8> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while stream.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    line
}

/// Whether the folder at `path` holds nothing.
pub fn is_empty_dir(path: &Path) -> bool {
    fs::read_dir(path).unwrap().next().is_none()
}

/// A fault-injecting proxy in front of a test server (issue #12).
pub mod proxy;

/// Calls `each` with every path under `root` (relative, `/`-separated),
/// its full path and its metadata, folders before what they hold; links
/// are not followed.
pub fn walk_tree(root: &Path, relative: &str, each: &mut dyn FnMut(&str, &Path, &std::fs::Metadata)) {
    for entry in std::fs::read_dir(root.join(relative)).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let path = if relative.is_empty() { name } else { format!("{relative}/{name}") };
        let full = root.join(&path);
        let meta = std::fs::symlink_metadata(&full).unwrap();
        each(&path, &full, &meta);
        if meta.is_dir() {
            walk_tree(root, &path, each);
        }
    }
}
