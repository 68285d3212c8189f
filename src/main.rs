//! The `rftp` command line. For now: `--version`, `--help`, and `serve`, the
//! embedded server; the shell and one-shot commands come next.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A fast, safe, friendly FTP client.
#[derive(Debug, Parser)]
#[command(name = "rftp", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Commands>,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Serve a folder over FTP on 127.0.0.1 (read-only and anonymous by default).
    #[cfg(feature = "server")]
    Serve(ServeArgs),
}

#[cfg(feature = "server")]
#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The folder to serve (default: the current folder).
    dir: Option<std::path::PathBuf>,
    /// The port to listen on (default: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Allow uploads, deletions and renames.
    #[arg(long)]
    write: bool,
    /// Require this login instead of anonymous access, as NAME:PASSWORD.
    #[arg(long, value_name = "NAME:PASSWORD")]
    user: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        #[cfg(feature = "server")]
        Some(Commands::Serve(args)) => serve(args),
        None => {
            eprintln!("rftp: the interactive shell is not built yet; try `rftp --help`");
            ExitCode::from(2)
        }
    }
}

#[cfg(feature = "server")]
fn serve(args: ServeArgs) -> ExitCode {
    use rftp::server::{Access, ServerConfig};
    let dir = match args.dir.map(Ok).unwrap_or_else(std::env::current_dir) {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("rftp: cannot find the current folder: {e}");
            return ExitCode::from(1);
        }
    };
    let login = match args.user.as_deref().map(|u| u.split_once(':')) {
        None => None,
        Some(Some((name, password))) => Some((name.to_string(), password.to_string())),
        Some(None) => {
            eprintln!("rftp: --user takes NAME:PASSWORD");
            return ExitCode::from(2);
        }
    };
    let config = ServerConfig {
        root: dir,
        port: args.port,
        access: if args.write {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        },
        login,
    };
    match rftp::server::Server::start(config) {
        Ok(server) => {
            println!(
                "Serving {} at ftp://{}/ (Ctrl-C to stop)",
                server.root().display(),
                server.address()
            );
            server.wait();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rftp: cannot start the server: {e}");
            ExitCode::from(1)
        }
    }
}
