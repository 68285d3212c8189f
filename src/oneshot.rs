//! The one-shot commands: `rftp get`, `rftp put`, `rftp ls` and `rftp URL`.
//! They share the shell's login rules, transfer safety and exit statuses, and
//! reuse one connection for several files on the same server.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::protocol::{Command, DEFAULT_PORT};
use crate::shell::{self, LoginRequest, Outcome, ShellError, State};
use crate::transfer::{self, LocalSource, LocalTarget};
use crate::url::{self, Remote};

/// A usage error: the command line cannot be carried out as written (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// How a one-shot command ended.
pub type RunResult = Result<Outcome, UsageError>;

/// Parses every location first, so a typo fails before anything is transferred.
fn parse_all(locations: &[String]) -> Result<Vec<Remote>, UsageError> {
    locations.iter().map(|l| url::parse(l).map_err(|e| UsageError(e.to_string()))).collect()
}

/// Makes sure the state holds a logged-in connection to `remote`'s server,
/// reusing the current one only when it is the same server, user and TLS
/// mode: `ftp://h/a ftpes://h/b` must not fetch `b` over `a`'s plain session.
fn connect_to(state: &mut State, remote: &Remote, default_port: u16) -> Result<(), ShellError> {
    let port = remote.port.unwrap_or(default_port);
    let wanted_user = remote.user.clone();
    let wanted_tls = remote.tls.or(state.settings.tls);
    if let Some(connection) = &state.connection {
        let same_server = connection.host == remote.host && connection.port == port;
        // A URL without a user is the user a fresh login would choose, not
        // whoever is logged in: `ftp://u:p@h/a ftp://h/b` must not fetch
        // `b` from u's home folder instead of the anonymous one.
        let user = wanted_user.clone().unwrap_or_else(|| implied_user(state, &remote.host));
        let same_user = connection.credentials.as_ref().is_some_and(|c| c.user == user);
        let same_tls = connection.client.options().tls.as_ref().map(|t| t.mode) == wanted_tls;
        if same_server && same_user && same_tls && connection.client.is_connected() {
            return Ok(());
        }
        shell::close(state);
    }
    let saved = (state.login.clone(), state.settings.tls);
    if let Some(user) = wanted_user {
        state.login = LoginRequest::Given(user, remote.password.clone());
    }
    if remote.tls.is_some() {
        state.settings.tls = remote.tls;
    }
    let result = shell::start_session(state, &remote.host, port);
    (state.login, state.settings.tls) = saved;
    result
}

/// The user a login to `host` chooses when the URL names none, as
/// the automatic login of a one-shot command does: `-u`'s,
/// anonymous for `-a`, else the netrc's login for the host, else anonymous.
fn implied_user(state: &State, host: &str) -> String {
    match &state.login {
        LoginRequest::Given(user, _) | LoginRequest::User(user) => user.clone(),
        LoginRequest::Anonymous => "anonymous".into(),
        // An unreadable netrc is reported when a login reads it.
        LoginRequest::Default | LoginRequest::NetrcOrAnonymous => crate::config::Netrc::load()
            .ok()
            .flatten()
            .and_then(|netrc| netrc.find(host, None).and_then(|entry| entry.login.clone()))
            .unwrap_or_else(|| "anonymous".into()),
    }
}

/// Sets the transfer type a URL asks for (`;type=a`), or the session's.
fn apply_type(state: &mut State, remote: &Remote) {
    let transfer_type = remote.transfer_type.unwrap_or(state.settings.transfer_type);
    if let Ok(client) = state.client() {
        client.set_transfer_type(transfer_type);
    }
}

/// Reports one failed item and folds it into the outcome.
fn record(outcome: &mut Outcome, what: &str, error: &ShellError) {
    errln!("rftp: {}: {error}", url::redact(what));
    *outcome = match (*outcome, error.is_connect_failure()) {
        (Outcome::ConnectFailed, _) | (_, true) => Outcome::ConnectFailed,
        _ => Outcome::Failed,
    };
}

fn interrupted(state: &State) -> bool {
    state.interrupted.load(Ordering::SeqCst)
}

/// Runs `run` on every item, labelled for messages: a failure is reported
/// and the next item goes on; Ctrl-C ends it all with `Interrupted`.
fn each<'a, T>(
    state: &mut State,
    items: impl IntoIterator<Item = (&'a String, T)>,
    mut run: impl FnMut(&mut State, T) -> Result<(), ShellError>,
) -> Outcome {
    state.install_interrupt_handler();
    let mut outcome = Outcome::Success;
    for (label, item) in items {
        let result = run(state, item);
        if interrupted(state) {
            shell::close(state);
            return Outcome::Interrupted;
        }
        if let Err(e) = result {
            record(&mut outcome, label, &e);
        }
    }
    shell::close(state);
    outcome
}

/// `rftp get -r SOURCE... [-o DIR]`: whole folders, each into a folder of
/// its own name (inside DIR when given).
pub fn get_tree(state: &mut State, sources: &[String], output: Option<&str>, port: u16) -> RunResult {
    let remotes = parse_all(sources)?;
    if output == Some("-") {
        return Err(UsageError("get -r cannot write folders to standard output".into()));
    }
    Ok(each(state, sources.iter().zip(&remotes), |state, remote| download_tree(state, remote, output, port)))
}

fn download_tree(state: &mut State, remote: &Remote, output: Option<&str>, port: u16) -> Result<(), ShellError> {
    connect_to(state, remote, port)?;
    apply_type(state, remote);
    let folder = shell::tree_root(&remote.path);
    let local = Path::new(output.unwrap_or(".")).join(crate::names::local_name(&shell::tree_folder_name(folder)?));
    let mut warn = |message: String| errln!("rftp: warning: {message}");
    let interrupted = std::sync::Arc::clone(&state.interrupted);
    let plan = crate::batch::plan_download_tree(state.client()?, folder, &local, &interrupted, &mut warn)?;
    if plan.plain_file && state.settings.verbose {
        errln!("rftp: {folder} is a file, not a folder; fetching it as get would");
    }
    shell::run_batch(state, plan).map(|_| ())
}

/// `rftp put -r LOCAL_DIR... DEST`: whole folders, each into a remote folder
/// of its own name inside DEST when DEST ends with `/`, else as DEST.
pub fn put_tree(state: &mut State, paths: &[String], port: u16) -> RunResult {
    let Some((dest, locals)) = paths.split_last() else {
        return Err(UsageError("put -r needs LOCAL_DIR... DEST".into()));
    };
    let remote = url::parse(dest).map_err(|e| UsageError(e.to_string()))?;
    if let Some(not_folder) = locals.iter().find(|l| !Path::new(l).is_dir()) {
        return Err(UsageError(format!("put -r: {} is not a folder", url::redact(not_folder))));
    }
    if locals.len() > 1 && !remote.is_folder() {
        return Err(UsageError(format!("with several folders, DEST must end with /, not {:?}", url::redact(dest))));
    }
    Ok(each(state, locals.iter().map(|l| (l, l.as_str())), |state, local| upload_tree(state, &remote, local, port)))
}

fn upload_tree(state: &mut State, remote: &Remote, local: &str, port: u16) -> Result<(), ShellError> {
    connect_to(state, remote, port)?;
    apply_type(state, remote);
    let name = Path::new(local)
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let target = if remote.is_folder() { format!("{}{name}", remote.path) } else { remote.path.clone() };
    let mut warn = |message: String| errln!("rftp: warning: {message}");
    let interrupted = std::sync::Arc::clone(&state.interrupted);
    let plan = crate::batch::plan_upload_tree(state.client()?, Path::new(local), &target, &interrupted, &mut warn)?;
    shell::run_batch(state, plan).map(|_| ())
}

/// `rftp get SOURCE... [-o LOCAL] [-c]`.
pub fn get(state: &mut State, sources: &[String], output: Option<&str>, resume: bool, port: u16) -> RunResult {
    let remotes = parse_all(sources)?;
    let output_is_folder = output.is_some_and(|o| o != "-" && (o.ends_with('/') || Path::new(o).is_dir()));
    if remotes.len() > 1 && output.is_some() && !output_is_folder {
        return Err(UsageError(format!(
            "with several sources, -o must name an existing folder, not {:?}",
            output.unwrap_or("")
        )));
    }
    if output != Some("-") {
        let names: Vec<&str> = remotes.iter().map(|r| crate::names::base_name(&r.path)).collect();
        if let Some(twice) = crate::shell::first_duplicate(&names) {
            return Err(UsageError(format!("several sources would be saved as {twice}")));
        }
    }
    if let Some(remote) = remotes.iter().find(|r| r.is_folder()) {
        return Err(UsageError(format!("{}:{} is a folder; `rftp ls` lists it", remote.host, remote.path)));
    }
    Ok(each(state, sources.iter().zip(&remotes), |state, remote| download_one(state, remote, output, resume, port)))
}

fn download_one(
    state: &mut State,
    remote: &Remote,
    output: Option<&str>,
    resume: bool,
    port: u16,
) -> Result<(), ShellError> {
    connect_to(state, remote, port)?;
    apply_type(state, remote);
    let target = match output {
        Some(folder) if folder.ends_with('/') => {
            std::fs::create_dir_all(folder).map_err(|e| ShellError::Local(format!("cannot create {folder}: {e}")))?;
            transfer::download_target(&remote.path, Some(folder))?
        }
        other => transfer::download_target(&remote.path, other)?,
    };
    let mode = state.progress.clone();
    let client = state.client()?;
    let report = transfer::download(client, &remote.path, &target, resume, mode)?;
    if state.settings.verbose
        && let LocalTarget::Path(path) = &target
    {
        errln!("{}: {}", path.display(), crate::progress::summary(report.bytes, "received", report.elapsed));
    }
    Ok(())
}

/// `rftp put LOCAL... DEST`.
pub fn put(state: &mut State, paths: &[String], port: u16) -> RunResult {
    let Some((dest, locals)) = paths.split_last() else {
        return Err(UsageError("put needs LOCAL... DEST".into()));
    };
    let remote = url::parse(dest).map_err(|e| UsageError(e.to_string()))?;
    if locals.len() > 1 && !remote.is_folder() {
        return Err(UsageError(format!(
            "with several files, DEST must be a folder ending in /, not {:?}",
            url::redact(dest)
        )));
    }
    if locals.iter().any(|l| l == "-") && remote.is_folder() {
        return Err(UsageError("uploading standard input needs a file name in DEST".into()));
    }
    Ok(each(state, locals.iter().map(|l| (l, l.as_str())), |state, local| upload_one(state, &remote, local, port)))
}

fn upload_one(state: &mut State, remote: &Remote, local: &str, port: u16) -> Result<(), ShellError> {
    let source = if local == "-" { LocalSource::Stdin } else { LocalSource::Path(PathBuf::from(local)) };
    let remote_path = if remote.is_folder() {
        let name = Path::new(local)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| ShellError::Usage(format!("{:?} names no file", url::redact(local))))?;
        format!("{}{name}", remote.path)
    } else {
        remote.path.clone()
    };
    connect_to(state, remote, port)?;
    apply_type(state, remote);
    let mode = state.progress.clone();
    let report = transfer::upload(state.client()?, &source, &remote_path, false, mode)?;
    if state.settings.verbose {
        errln!("{remote_path}: {}", crate::progress::summary(report.bytes, "sent", report.elapsed));
    }
    Ok(())
}

/// `rftp ls [-l] TARGET`.
pub fn ls(state: &mut State, target: &str, long: bool, port: u16) -> RunResult {
    let remote = url::parse(target).map_err(|e| UsageError(e.to_string()))?;
    let path = (!remote.path.is_empty()).then_some(remote.path.as_str());
    let result = connect_to(state, &remote, port).and_then(|()| {
        let client = state.client()?;
        // Printed as the lines arrive: memory does not grow with the listing.
        let verb = if long { "LIST" } else { "NLST" };
        let command = Command::with_optional_arg(verb, path)?;
        client.retrlines_while(&command, crate::output::listing_line)?;
        Ok(())
    });
    shell::close(state);
    let mut outcome = Outcome::Success;
    if let Err(e) = result {
        record(&mut outcome, target, &e);
    }
    Ok(outcome)
}

/// `rftp URL`: a file URL downloads the file here; a folder URL opens the
/// shell there.
pub fn open_url(mut state: State, location: &str) -> RunResult {
    let remote = url::parse(location).map_err(|e| UsageError(e.to_string()))?;
    if !remote.is_folder() {
        return get(&mut state, &[location.to_string()], None, false, DEFAULT_PORT);
    }
    if let Err(e) = connect_to(&mut state, &remote, DEFAULT_PORT) {
        errln!("rftp: {e}");
        return Ok(if e.is_connect_failure() { Outcome::ConnectFailed } else { Outcome::Failed });
    }
    let folder = remote.path.trim_end_matches('/');
    if !folder.is_empty() {
        let line = format!("cd {}", shell::words::quote_word(folder));
        if let Err(e) = shell::execute(&mut state, &line) {
            // Never run the user's commands in another folder than the one named.
            errln!("rftp: {e}");
            shell::close(&mut state);
            return Ok(Outcome::Failed);
        }
    }
    Ok(shell::run(state))
}
