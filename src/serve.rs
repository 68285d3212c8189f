//! The embedded server's two front ends: `rftp serve`, which serves a folder,
//! and `rftp demo`, which serves a sample folder and opens the shell on it, so
//! rftp can be tried with nothing else installed.

use anyhow::Context;
use std::fs;
use std::io;
use std::path::Path;

use crate::cli::ServeArgs;
use crate::server::{Access, Server, ServerConfig};
use crate::shell::{self, LoginRequest, Outcome, State};

/// `rftp serve [DIR] [--port N] [--write] [--user NAME:PASSWORD]`: serves until killed.
pub fn serve(
    args: &ServeArgs,
    port: Option<u16>,
    login: Option<(String, crate::password::Password)>,
) -> anyhow::Result<()> {
    let dir = match args.dir.clone() {
        Some(dir) => dir,
        None => std::env::current_dir().context("cannot find the current folder")?,
    };

    let access = if args.write { Access::ReadWrite } else { Access::ReadOnly };
    let user = login.as_ref().map(|(name, _)| format!("{name}@")).unwrap_or_default();
    let config = ServerConfig { root: dir.clone(), port: port.unwrap_or(0), access, login, tls: None };
    let server = Server::start(config).with_context(|| format!("cannot serve {}", dir.display()))?;
    let mode = if args.write { "read-write" } else { "read-only" };
    println!("Serving {} ({mode}) at ftp://{user}{}/", server.root().display(), server.address());
    println!("Try: rftp {} {}    (Ctrl-C stops the server)", server.address().ip(), server.address().port());
    server.wait();
    Ok(())
}

/// Fills `dir` with a few files to try commands on.
fn write_sample_folder(dir: &Path) -> io::Result<()> {
    fs::write(
        dir.join("README.txt"),
        "Welcome to the rftp demo.\n\n\
         This folder is served by rftp's embedded FTP server on 127.0.0.1 and\n\
         is deleted when you leave. Things to try at the ftp> prompt:\n\n\
         \x20 ls                    list this folder\n\
         \x20 get README.txt -      print this file\n\
         \x20 get big.bin           download with a progress bar (Ctrl-C aborts)\n\
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

/// `rftp demo`: a sample folder, served on 127.0.0.1, with the shell connected to it.
pub fn demo(mut state: State) -> anyhow::Result<Outcome> {
    let folder = tempfile::Builder::new().prefix("rftp-demo-").tempdir().context("cannot create the demo folder")?;
    write_sample_folder(folder.path()).context("cannot fill the demo folder")?;
    let config =
        ServerConfig { root: folder.path().to_path_buf(), port: 0, access: Access::ReadWrite, login: None, tls: None };
    let server = Server::start(config).context("cannot start the demo server")?;
    let address = server.address();
    errln!("rftp demo: serving {} at ftp://{address}/ (deleted when you leave)", folder.path().display());
    state.login = LoginRequest::Anonymous;
    if let Err(e) = shell::start_session(&mut state, &address.ip().to_string(), address.port()) {
        errln!("rftp: {e}");
        return Ok(Outcome::ConnectFailed);
    }
    Ok(shell::run(state))
}
