//! The embedded FTP server: libunftp serving a local folder on 127.0.0.1.
//!
//! `rftp serve` and the test suite both use it. It runs on its own Tokio
//! runtime in background threads, so callers stay fully blocking.

use std::fmt::Debug;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use libunftp::options::{ActivePassiveMode, FtpsRequired};
use unftp_core::auth::{AuthenticationError, Authenticator, Credentials, DefaultUser, Principal};
use unftp_core::storage::{Error as StorageError, ErrorKind, Fileinfo, StorageBackend};
use unftp_sbe_fs::{Filesystem, Meta};

/// Whether clients may change the served folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Downloads and listings only.
    ReadOnly,
    /// Uploads, deletions, renames and new folders too.
    ReadWrite,
}

/// What to serve and how.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The folder clients see as `/`.
    pub root: PathBuf,
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Read-only or read-write.
    pub access: Access,
    /// A required user name and password; `None` lets anyone in (anonymous).
    /// The password prints as a placeholder, so `{:?}` of the config shows none.
    pub login: Option<(String, crate::password::Password)>,
    /// Explicit FTPS (AUTH TLS) with this certificate chain and key, both PEM files.
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// A running server; dropping it stops it.
pub struct Server {
    address: SocketAddr,
    root: PathBuf,
    connections: Arc<AtomicUsize>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Server {
    /// Starts serving in the background and returns once the port is open.
    pub fn start(config: ServerConfig) -> io::Result<Server> {
        let root = config.root.canonicalize()?;
        if !root.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{} is not a folder", root.display())));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rftp-server")
            .enable_all()
            .build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)))?;
        let address = listener.local_addr()?;
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&connections);
        let served = root.clone();
        runtime.spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of file descriptors, say: wait and go on serving.
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                };
                counter.fetch_add(1, Ordering::SeqCst);
                // A session that cannot be set up (the folder vanished) is
                // closed by dropping its connection.
                if let Ok(session) = build_session(&served, &config) {
                    tokio::spawn(session.service(stream));
                }
            }
        });
        Ok(Server { address, root, connections, runtime: Some(runtime) })
    }

    /// The address clients connect to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The folder being served.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many control connections the server has accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Blocks the calling thread for as long as the process runs.
    pub fn wait(self) {
        loop {
            std::thread::park();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Builds the libunftp server that handles one control connection.
fn build_session(root: &Path, config: &ServerConfig) -> io::Result<libunftp::Server<Storage, DefaultUser>> {
    let writable = config.access == Access::ReadWrite;
    let authenticator = Arc::new(LoginCheck { login: config.login.clone() });
    // One server per connection, so libunftp asks for its storage once; the
    // folder is opened here, where failing is still an error and not a panic.
    let opened = std::sync::Mutex::new(Some(Filesystem::new(root)?));
    let root = root.to_path_buf();
    let storage = move || {
        let files = opened.lock().ok().and_then(|mut slot| slot.take());
        let files = files.unwrap_or_else(|| Filesystem::new(&root).expect("the served folder was opened once already"));
        Storage { files, writable }
    };
    let mut builder = libunftp::ServerBuilder::with_authenticator(Box::new(storage), authenticator)
        .greeting("rftp embedded server ready")
        .active_passive_mode(ActivePassiveMode::ActiveAndPassive);
    if let Some((certificates, key)) = &config.tls {
        // TLS on the control connection is required, as vsftpd does, so a
        // client that falls back to plain text is caught; data connections
        // may be plain (PROT C).
        builder = builder.ftps(certificates.clone(), key.clone()).ftps_required(FtpsRequired::All, FtpsRequired::None);
    }
    builder.build().map_err(io::Error::other)
}

/// Accepts any login when none is configured, else exactly the configured one.
#[derive(Debug)]
struct LoginCheck {
    login: Option<(String, crate::password::Password)>,
}

#[async_trait]
impl Authenticator for LoginCheck {
    async fn authenticate(&self, username: &str, creds: &Credentials) -> Result<Principal, AuthenticationError> {
        match &self.login {
            Some((name, password)) if username != name => Err(AuthenticationError::BadUser),
            Some((_, password)) if creds.password.as_deref() != Some(password.expose()) => {
                Err(AuthenticationError::BadPassword)
            }
            _ => Ok(Principal { username: username.to_string() }),
        }
    }
}

/// The local folder, read-only unless `writable`.
#[derive(Debug)]
struct Storage {
    files: Filesystem,
    writable: bool,
}

impl Storage {
    fn check_writable(&self) -> Result<(), StorageError> {
        if self.writable { Ok(()) } else { Err(StorageError::from(ErrorKind::PermissionDenied)) }
    }
}

#[async_trait]
impl StorageBackend<DefaultUser> for Storage {
    type Metadata = Meta;

    fn supported_features(&self) -> u32 {
        StorageBackend::<DefaultUser>::supported_features(&self.files)
    }

    async fn metadata<P: AsRef<Path> + Send + Debug>(&self, user: &DefaultUser, path: P) -> Result<Meta, StorageError> {
        self.files.metadata(user, path).await
    }

    async fn list<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        path: P,
    ) -> Result<Vec<Fileinfo<PathBuf, Meta>>, StorageError> {
        self.files.list(user, path).await
    }

    async fn get<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        path: P,
        start_pos: u64,
    ) -> Result<Box<dyn tokio::io::AsyncRead + Send + Sync + Unpin>, StorageError> {
        self.files.get(user, path, start_pos).await
    }

    async fn put<P: AsRef<Path> + Send + Debug, R: tokio::io::AsyncRead + Send + Sync + Unpin + 'static>(
        &self,
        user: &DefaultUser,
        input: R,
        path: P,
        start_pos: u64,
    ) -> Result<u64, StorageError> {
        self.check_writable()?;
        self.files.put(user, input, path, start_pos).await
    }

    async fn del<P: AsRef<Path> + Send + Debug>(&self, user: &DefaultUser, path: P) -> Result<(), StorageError> {
        self.check_writable()?;
        self.files.del(user, path).await
    }

    async fn mkd<P: AsRef<Path> + Send + Debug>(&self, user: &DefaultUser, path: P) -> Result<(), StorageError> {
        self.check_writable()?;
        self.files.mkd(user, path).await
    }

    async fn rename<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &DefaultUser,
        from: P,
        to: P,
    ) -> Result<(), StorageError> {
        self.check_writable()?;
        self.files.rename(user, from, to).await
    }

    async fn rmd<P: AsRef<Path> + Send + Debug>(&self, user: &DefaultUser, path: P) -> Result<(), StorageError> {
        self.check_writable()?;
        self.files.rmd(user, path).await
    }

    async fn cwd<P: AsRef<Path> + Send + Debug>(&self, user: &DefaultUser, path: P) -> Result<(), StorageError> {
        self.files.cwd(user, path).await
    }
}
