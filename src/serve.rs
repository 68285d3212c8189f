//! The embedded server's front end: `rftp serve`, which serves a folder, and
//! the server behind `rftp demo`, which serves a sample folder for the shell
//! to open, so rftp can be tried with nothing else installed.

use anyhow::Context;
use std::fs;
use std::io;
use std::path::Path;

use crate::cli::ServeArgs;
use crate::server::{Access, Server, ServerConfig};

/// `rftp serve [DIR] [--port N] [--write] [--user NAME:PASSWORD]`: serves until killed.
pub fn serve(args: &ServeArgs, port: Option<u16>) -> anyhow::Result<()> {
    let dir = match args.dir.clone() {
        Some(dir) => dir,
        None => std::env::current_dir().context("cannot find the current folder")?,
    };

    let access = if args.write { Access::ReadWrite } else { Access::ReadOnly };
    let login = args.user.clone();
    let user = login.as_ref().map(|(name, _)| format!("{name}@")).unwrap_or_default();
    let config = ServerConfig { root: dir.clone(), port: port.unwrap_or(0), access, login, tls: None };
    let server = Server::start(config).with_context(|| format!("cannot serve {}", dir.display()))?;
    let mode = if args.write { "read-write" } else { "read-only" };
    println!("Serving {} ({mode}) at ftp://{user}{}/", server.root().display(), server.address());
    println!("Try: rftp {} {}    (Ctrl-C stops the server)", server.address().ip(), server.address().port());
    server.wait();
    Ok(())
}

/// How fast the demo's shell moves data unless `--limit-rate` says
/// otherwise: slow enough that `get big.bin` (64 MiB) shows its progress bar
/// for 8 s and Ctrl-C can be tried; on loopback it would take 0.1 s.
pub const DEMO_RATE: u64 = 8 << 20;

/// Fills `dir` with a few files to try commands on.
fn write_sample_folder(dir: &Path) -> io::Result<()> {
    fs::write(
        dir.join("README.txt"),
        "Welcome to the rftp demo.\n\n\
         This folder is served by rftp's embedded FTP server on 127.0.0.1 and\n\
         is deleted when you leave. Things to try at the ftp> prompt:\n\n\
         \x20 ls                    list this folder\n\
         \x20 get README.txt -      print this file\n\
         \x20 get big.bin           download with a progress bar (Ctrl-C aborts;\n\
         \x20                       transfers move at most 8 MiB/s here: `rate off`)\n\
         \x20 cd docs, mget *.txt   fetch several files\n\
         \x20 put SOMEFILE          upload (writes are allowed here)\n\
         \x20 help                  every command\n",
    )?;
    fs::create_dir_all(dir.join("docs"))?;
    fs::write(dir.join("docs/one.txt"), "the first document\n")?;
    fs::write(dir.join("docs/two.txt"), "the second document\n")?;
    fs::write(dir.join("docs/with space.txt"), "names with spaces work: get \"with space.txt\"\n")?;
    let big: Vec<u8> = (0..64u32 * 1024 * 1024).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    fs::write(dir.join("big.bin"), big)?;
    fs::create_dir_all(dir.join("uploads"))
}

/// The demo's server and its sample folder, which is deleted when this is dropped.
pub struct Demo {
    server: Server,
    /// Held only to be deleted when the demo ends.
    _folder: tempfile::TempDir,
}

impl Demo {
    /// Fills a sample folder and serves it on 127.0.0.1, anonymous and writable.
    pub fn start() -> anyhow::Result<Demo> {
        let folder =
            tempfile::Builder::new().prefix("rftp-demo-").tempdir().context("cannot create the demo folder")?;
        write_sample_folder(folder.path()).context("cannot fill the demo folder")?;
        let root = folder.path().to_path_buf();
        let config = ServerConfig { root, port: 0, access: Access::ReadWrite, login: None, tls: None };
        let server = Server::start(config).context("cannot start the demo server")?;
        errln!(
            "rftp demo: serving {} at ftp://{}/ (deleted when you leave)",
            folder.path().display(),
            server.address()
        );
        errln!("rftp demo: transfers move at most 8 MiB/s, to show the progress bar (`rate off` lifts it)");
        Ok(Demo { server, _folder: folder })
    }

    /// Where the demo server listens.
    pub fn address(&self) -> std::net::SocketAddr {
        self.server.address()
    }
}
