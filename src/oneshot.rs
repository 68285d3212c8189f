//! The one-shot commands: `rftp get`, `rftp put`, `rftp ls` and `rftp URL`
//! for a file. They use the session's login rules and transfer safety, and
//! reuse one connection for several files on the same server.

use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::checksum::VerifyNotes;
use crate::json::FileRecord;
use crate::mirror::compare::Rules;
use crate::mirror::{Direction, MirrorOptions};
use crate::progress::ProgressMode;
use crate::protocol::Command;
use crate::session::mirror::MirrorRequest;
use crate::session::{Error, LoginRequest, Outcome, Session};
use crate::transfer::{self, LocalSource, LocalTarget};
use crate::url::{self, Remote};

/// How a one-shot command ended; `Err` is a command line that cannot be
/// carried out as written (exit 2), found before anything was transferred.
pub type RunResult = Result<Outcome, Error>;

fn usage(message: impl ToString) -> Error {
    Error::Usage(message.to_string())
}

/// Parses every location first, so a typo fails before anything is transferred.
fn parse_all(locations: &[String]) -> Result<Vec<Remote>, Error> {
    locations.iter().map(|l| url::parse(l).map_err(usage)).collect()
}

/// Makes sure the session holds a logged-in connection to `remote`'s server,
/// reusing the current one only when it is the same server, user and TLS
/// mode: `ftp://h/a ftpes://h/b` must not fetch `b` over `a`'s plain session.
fn connect_to(session: &mut Session, remote: &Remote, default_port: u16) -> Result<(), Error> {
    let port = remote.port.unwrap_or(default_port);
    let login = remote.user.clone().map(|user| LoginRequest::Given(user, remote.password.clone()));
    let tls = remote.tls.or(session.settings.tls);
    // A URL without a user is the user a fresh login would choose, not
    // whoever is logged in: `ftp://u:p@h/a ftp://h/b` must not fetch `b`
    // from u's home folder instead of the anonymous one.
    if session.is_logged_in_as(&remote.host, port, login.as_ref().unwrap_or(&session.login), tls) {
        return Ok(());
    }
    session.close();
    session.start_with(&remote.host, port, login, remote.tls)
}

/// Sets the transfer type a URL asks for (`;type=a`), or the session's.
fn apply_type(session: &mut Session, remote: &Remote) {
    let transfer_type = remote.transfer_type.unwrap_or(session.settings.transfer_type);
    if let Ok(client) = session.client() {
        client.set_transfer_type(transfer_type);
    }
}

/// Reports one failed item and folds it into the outcome.
fn record(outcome: &mut Outcome, what: &str, error: &Error) {
    errln!("rftp: {}: {error}", url::redact(what));
    outcome.record(error);
}

/// Runs `run` on every item, labelled for messages: a failure is reported
/// and the next item goes on; Ctrl-C ends it all with `Interrupted`, and
/// `left` is given each item it left before it began (for its `--json` line).
fn each<'a, T>(
    session: &mut Session,
    items: impl IntoIterator<Item = (&'a String, T)>,
    mut run: impl FnMut(&mut Session, T) -> Result<(), Error>,
    mut left: impl FnMut(&Session, T),
) -> Outcome {
    session.interrupts.install_handler();
    let mut outcome = Outcome::Success;
    let mut items = items.into_iter();
    for (label, item) in items.by_ref() {
        let result = run(session, item);
        if session.interrupted() {
            if let Err(e @ Error::BatchInterrupted { .. }) = &result {
                errln!("rftp: {e}");
            }
            outcome = Outcome::Interrupted;
            break;
        }
        if let Err(e) = result {
            record(&mut outcome, label, &e);
        }
    }
    if outcome == Outcome::Interrupted {
        items.for_each(|(_, item)| left(session, item));
    }
    session.close();
    outcome
}

/// `--json`: the line of a file (or tree) Ctrl-C left before it began.
fn skipped_record(session: &Session, remote: &str, local: Option<&Path>) {
    if json_output(session) {
        FileRecord::skipped(Some(remote), local, "not transferred: interrupted").print();
    }
}

/// The notes of `--verify`, shared by every file of the command; `None`
/// without it.
fn verify_notes(verify: bool) -> Option<Arc<VerifyNotes>> {
    verify.then(Arc::default)
}

/// `rftp get -r SOURCE... [-o DIR] [--verify]`: whole folders, each into a
/// folder of its own name (inside DIR when given).
pub fn get_tree(session: &mut Session, sources: &[String], output: Option<&str>, verify: bool, port: u16) -> RunResult {
    let remotes = parse_all(sources)?;
    if output == Some("-") {
        return Err(usage("get -r cannot write folders to standard output"));
    }
    let notes = verify_notes(verify);
    Ok(each(
        session,
        sources.iter().zip(&remotes),
        |session, remote| {
            let result = download_tree(session, remote, output, notes.clone(), port);
            tree_record(session, &remote.path, None, &result);
            result
        },
        |session, remote| skipped_record(session, &remote.path, None),
    ))
}

fn download_tree(
    session: &mut Session,
    remote: &Remote,
    output: Option<&str>,
    verify: Option<Arc<VerifyNotes>>,
    port: u16,
) -> Result<(), Error> {
    connect_to(session, remote, port)?;
    apply_type(session, remote);
    let folder = crate::batch::tree_root(&remote.path);
    let local =
        Path::new(output.unwrap_or(".")).join(crate::names::local_name(&crate::batch::tree_folder_name(folder)?));
    let interrupted = std::sync::Arc::clone(&session.interrupts.interrupted);
    let warn: crate::tree::Warn = Box::new(|message: String| errln!("rftp: warning: {message}"));
    let plan = crate::tree::plan_download_tree(session.client()?, folder, &local, &interrupted, warn)?;
    if plan.plain_file && session.settings.verbose {
        errln!("rftp: {folder} is a file, not a folder; fetching it as get would");
    }
    session.run_batch(plan, verify)
}

/// `rftp put -r LOCAL_DIR... DEST`: whole folders, each into a remote folder
/// of its own name inside DEST when DEST ends with `/`, else as DEST.
pub fn put_tree(session: &mut Session, paths: &[String], verify: bool, port: u16) -> RunResult {
    let Some((dest, locals)) = paths.split_last() else {
        return Err(usage("put -r needs LOCAL_DIR... DEST"));
    };
    let remote = url::parse(dest).map_err(usage)?;
    if let Some(not_folder) = locals.iter().find(|l| !Path::new(l).is_dir()) {
        return Err(usage(format!("put -r: {} is not a folder", url::redact(not_folder))));
    }
    if locals.len() > 1 && !remote.is_folder() {
        return Err(usage(format!("with several folders, DEST must end with /, not {:?}", url::redact(dest))));
    }
    let notes = verify_notes(verify);
    Ok(each(
        session,
        locals.iter().map(|l| (l, l.as_str())),
        |session, local| {
            let result = upload_tree(session, &remote, local, notes.clone(), port);
            tree_record(session, &remote.path, Some(Path::new(local)), &result);
            result
        },
        |session, local| skipped_record(session, &remote.path, Some(Path::new(local))),
    ))
}

fn upload_tree(
    session: &mut Session,
    remote: &Remote,
    local: &str,
    verify: Option<Arc<VerifyNotes>>,
    port: u16,
) -> Result<(), Error> {
    connect_to(session, remote, port)?;
    apply_type(session, remote);
    let name = Path::new(local)
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let target = if remote.is_folder() { format!("{}{name}", remote.path) } else { remote.path.clone() };
    let mut warn = |message: String| errln!("rftp: warning: {message}");
    let interrupted = std::sync::Arc::clone(&session.interrupts.interrupted);
    let plan = crate::batch::plan_upload_tree(session.client()?, Path::new(local), &target, &interrupted, &mut warn)?;
    session.run_batch(plan, verify)
}

/// `rftp get SOURCE... [-o LOCAL] [-c] [--verify]`.
pub fn get(
    session: &mut Session,
    sources: &[String],
    output: Option<&str>,
    resume: bool,
    verify: bool,
    port: u16,
) -> RunResult {
    let remotes = parse_all(sources)?;
    let output_is_folder = output.is_some_and(|o| o != "-" && (o.ends_with('/') || Path::new(o).is_dir()));
    if remotes.len() > 1 && output.is_some() && !output_is_folder {
        return Err(usage(format!(
            "with several sources, -o must name an existing folder, not {:?}",
            output.unwrap_or("")
        )));
    }
    if output != Some("-") {
        let names: Vec<&str> = remotes.iter().map(|r| crate::names::base_name(&r.path)).collect();
        if let Some(twice) = crate::names::first_duplicate(&names) {
            return Err(usage(format!("several sources would be saved as {twice}")));
        }
    }
    if let Some(remote) = remotes.iter().find(|r| r.is_folder()) {
        return Err(usage(format!("{}:{} is a folder; `rftp ls` lists it", remote.host, remote.path)));
    }
    if verify && output == Some("-") {
        return Err(usage("--verify needs a local file to compare, not standard output"));
    }
    if json_output(session) && output == Some("-") {
        return Err(usage("get --json writes its lines to standard output: -o - cannot write the file there too"));
    }
    let notes = verify_notes(verify);
    Ok(each(
        session,
        sources.iter().zip(&remotes),
        |session, remote| download_one(session, remote, output, resume, notes.as_deref(), port),
        |session, remote| skipped_record(session, &remote.path, None),
    ))
}

fn download_one(
    session: &mut Session,
    remote: &Remote,
    output: Option<&str>,
    resume: bool,
    verify: Option<&VerifyNotes>,
    port: u16,
) -> Result<(), Error> {
    let (started, moved) = (Instant::now(), Arc::new(AtomicU64::new(0)));
    let mut local = None;
    let result = fetch_one(session, remote, (output, &mut local), resume, verify, port, &moved);
    json_record(session, &remote.path, local.as_deref(), &result, started, &moved);
    result.map(drop)
}

/// Downloads one file as `get` does; `local` is the file's path once known
/// (for `--json`), `moved` counts the bytes every try moved.
fn fetch_one(
    session: &mut Session,
    remote: &Remote,
    (output, local): (Option<&str>, &mut Option<PathBuf>),
    resume: bool,
    verify: Option<&VerifyNotes>,
    port: u16,
    moved: &Arc<AtomicU64>,
) -> Result<u64, Error> {
    connect_to(session, remote, port)?;
    apply_type(session, remote);
    let target = match output {
        Some(folder) if folder.ends_with('/') => {
            std::fs::create_dir_all(folder).map_err(|e| Error::Local(format!("cannot create {folder}: {e}")))?;
            transfer::download_target(&remote.path, Some(folder))?
        }
        other => transfer::download_target(&remote.path, other)?,
    };
    if let LocalTarget::Path(path) = &target {
        *local = Some(path.clone());
    }
    let mode = ProgressMode::Counted(Box::new(session.progress.clone()), Arc::clone(moved));
    let report = session.download_retrying(&remote.path, &target, resume, mode)?;
    if let Some(notes) = verify {
        session.verify_download(&remote.path, &target, notes)?;
    }
    if session.settings.verbose
        && let LocalTarget::Path(path) = &target
    {
        errln!("{}: {}", path.display(), crate::progress::summary(report.bytes, "received", report.elapsed));
    }
    Ok(report.bytes)
}

/// `rftp put LOCAL... DEST [-c] [--verify]`.
pub fn put(session: &mut Session, paths: &[String], resume: bool, verify: bool, port: u16) -> RunResult {
    let Some((dest, locals)) = paths.split_last() else {
        return Err(usage("put needs LOCAL... DEST"));
    };
    let remote = url::parse(dest).map_err(usage)?;
    if locals.len() > 1 && !remote.is_folder() {
        return Err(usage(format!(
            "with several files, DEST must be a folder ending in /, not {:?}",
            url::redact(dest)
        )));
    }
    if locals.iter().any(|l| l == "-") && remote.is_folder() {
        return Err(usage("uploading standard input needs a file name in DEST"));
    }
    if verify && locals.iter().any(|l| l == "-") {
        return Err(usage("--verify needs a local file to compare, not standard input"));
    }
    // Found before anything is sent, as every usage error is: found file by
    // file, it was exit status 1 while its --json line said 2.
    if remote.is_folder()
        && let Some(nameless) = locals.iter().find(|l| *l != "-" && Path::new(l).file_name().is_none())
    {
        return Err(usage(format!("{:?} names no file to upload into a folder", url::redact(nameless))));
    }
    let notes = verify_notes(verify);
    Ok(each(
        session,
        locals.iter().map(|l| (l, l.as_str())),
        |session, local| upload_one(session, &remote, local, resume, notes.as_deref(), port),
        |session, local| {
            let file = (local != "-").then(|| Path::new(local));
            let name = file.and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let sent_as = if remote.is_folder() { format!("{}{name}", remote.path) } else { remote.path.clone() };
            skipped_record(session, &sent_as, file)
        },
    ))
}

fn upload_one(
    session: &mut Session,
    remote: &Remote,
    local: &str,
    resume: bool,
    verify: Option<&VerifyNotes>,
    port: u16,
) -> Result<(), Error> {
    let (started, moved) = (Instant::now(), Arc::new(AtomicU64::new(0)));
    let mut remote_path = None;
    let result = send_one(session, (remote, &mut remote_path), local, resume, verify, port, &moved);
    let file = (local != "-").then(|| Path::new(local));
    json_record(session, remote_path.as_deref().unwrap_or(&remote.path), file, &result, started, &moved);
    result.map(drop)
}

/// Uploads one file as `put` does; `sent_as` is the remote path once known
/// (for `--json`), `moved` counts the bytes every try moved.
fn send_one(
    session: &mut Session,
    (remote, sent_as): (&Remote, &mut Option<String>),
    local: &str,
    resume: bool,
    verify: Option<&VerifyNotes>,
    port: u16,
    moved: &Arc<AtomicU64>,
) -> Result<u64, Error> {
    let source = if local == "-" { LocalSource::Stdin } else { LocalSource::Path(PathBuf::from(local)) };
    let remote_path = if remote.is_folder() {
        let name = Path::new(local)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::Usage(format!("{:?} names no file", url::redact(local))))?;
        format!("{}{name}", remote.path)
    } else {
        remote.path.clone()
    };
    *sent_as = Some(remote_path.clone());
    connect_to(session, remote, port)?;
    apply_type(session, remote);
    let mode = ProgressMode::Counted(Box::new(session.progress.clone()), Arc::clone(moved));
    let how = if resume { transfer::UploadMode::Resume } else { transfer::UploadMode::Replace };
    let report = session.upload_retrying(&source, &remote_path, how, mode)?;
    if let Some(notes) = verify {
        session.verify_upload(&source, &remote_path, notes)?;
    }
    if session.settings.verbose {
        if report.already_complete {
            errln!("{remote_path}: already complete on the server; nothing sent");
        } else {
            errln!("{remote_path}: {}", crate::progress::summary(report.bytes, "sent", report.elapsed));
        }
    }
    Ok(report.bytes)
}

/// `rftp ls [-l | --json] TARGET`: names relative to the folder, sorted;
/// the server's long listing; or JSON lines ([`crate::remote_ls`]).
pub fn ls(session: &mut Session, target: &str, long: bool, port: u16) -> RunResult {
    let remote = url::parse(target).map_err(usage)?;
    let path = (!remote.path.is_empty()).then_some(remote.path.as_str());
    let what = url::redact(target);
    let result = connect_to(session, &remote, port).and_then(|()| {
        if json_output(session) {
            return crate::remote_ls::json(session, &what, path);
        }
        if !long {
            return crate::remote_ls::names(session, &what, path);
        }
        // Printed as the lines arrive: memory does not grow with the listing.
        let command = Command::with_optional_arg("LIST", path)?;
        session.list_retrying(&what, &command, crate::output::listing_line)
    });
    session.close();
    let mut outcome = Outcome::Success;
    if let Err(e) = result {
        record(&mut outcome, target, &e);
    }
    Ok(outcome)
}

/// `--json`: the line of one file of `get` or `put`, `started` when it
/// began, with the bytes `moved` counted (a transfer that sends with
/// `sendfile` counts none: its report's bytes then).
fn json_record(
    session: &Session,
    remote: &str,
    local: Option<&Path>,
    result: &Result<u64, Error>,
    started: Instant,
    moved: &AtomicU64,
) {
    if !json_output(session) {
        return;
    }
    let bytes = moved.load(Ordering::Relaxed);
    let record = match result {
        Ok(reported) => FileRecord::ok(Some(remote), local, bytes.max(*reported), started.elapsed()),
        Err(e) => FileRecord::of_error(Some(remote), local, e, session.interrupted()).took(bytes, started.elapsed()),
    };
    record.print();
}

/// `--json`: a tree that failed before its files were tried (it could not
/// be reached or listed) gets a line too; the batch gave one to each file.
fn tree_record(session: &Session, remote: &str, local: Option<&Path>, result: &Result<(), Error>) {
    match result {
        Err(Error::SomeFailed { .. } | Error::BatchInterrupted { .. }) | Ok(()) => {}
        Err(e) if json_output(session) => FileRecord::of_error(Some(remote), local, e, session.interrupted()).print(),
        Err(_) => {}
    }
}

/// Whether the session's standard output is JSON lines only (`--json`).
fn json_output(session: &Session) -> bool {
    session.settings.file_log.is_some()
}

/// Makes a one-shot session's standard output JSON lines only (`--json`):
/// no progress bar, and replies (`-v`) on standard error.
pub fn use_json(session: &mut Session, json: bool) {
    session.settings.file_log = json.then(|| Arc::new(crate::json::BatchLines) as Arc<dyn crate::batch::FileLog>);
    if json && matches!(session.progress, ProgressMode::Bar) {
        session.progress = ProgressMode::Off;
    }
}

/// `rftp mirror SOURCE TARGET`: downloads when SOURCE is remote, uploads
/// when TARGET is.
pub fn mirror(session: &mut Session, args: &crate::cli::MirrorArgs, port: u16) -> RunResult {
    let (direction, remote, local) = match (looks_remote(&args.source), looks_remote(&args.target)) {
        (true, false) => (Direction::Download, &args.source, &args.target),
        (false, true) => (Direction::Upload, &args.target, &args.source),
        _ => {
            return Err(usage(
                "mirror needs one remote folder (ftp://HOST/PATH or HOST:PATH) and one local folder \
                 (write a local path with a colon as ./NAME)",
            ));
        }
    };
    let parsed = url::parse(remote).map_err(usage)?;
    let options = mirror_options(direction, &args.flags)?;
    let request = MirrorRequest {
        remote: crate::batch::tree_root(&parsed.path).to_string(),
        local: PathBuf::from(local),
        options,
        json: args.flags.json,
    };
    let label = remote.clone();
    Ok(each(
        session,
        [(&label, request)],
        |session, request| {
            connect_to(session, &parsed, port)?;
            apply_type(session, &parsed);
            session.mirror(request)
        },
        |_, _| {},
    ))
}

/// Whether a mirror's side names a remote folder: an ftp URL, or `HOST:PATH`
/// (a colon before any slash, as scp reads it).
fn looks_remote(side: &str) -> bool {
    url::is_url(side) || side.find(':').is_some_and(|colon| !side[..colon].contains('/') && colon > 0)
}

/// The mirror's options from its flags, the same in the shell.
pub fn mirror_options(direction: Direction, flags: &crate::cli::MirrorFlags) -> Result<MirrorOptions, Error> {
    let filter = crate::filter::Filter::new(&flags.exclude, &flags.include).map_err(usage)?;
    let rules = Rules { only_newer: flags.only_newer, only_missing: flags.only_missing, target_times_kept: true };
    Ok(MirrorOptions {
        direction,
        delete: flags.delete,
        rules,
        filter,
        dry_run: flags.dry_run,
        // The session's transfer type decides, once connected.
        ascii: false,
        verify: flags.verify,
    })
}
