//! The shell's `bookmark` command (`add`, `list`, `delete`), `open NAME`,
//! and the completion of bookmark names. The file itself is
//! [`crate::bookmarks`]'s; passwords go to the system keyring only.

use rustyline::completion::Pair;

use super::words::quote_word;
use super::{Flow, State};
use crate::bookmarks::{self, Bookmark, BookmarkError, Bookmarks, Target};
use crate::password::Password;
use crate::session::Error;
use crate::session::secret_store::{KeyringKey, PasswordStore, SystemKeyring};

/// The usage line of `bookmark`.
const USAGE: &str = "usage: bookmark add [--save-password] NAME [URL] | bookmark list | bookmark delete NAME";

/// The option of `bookmark add` that keeps the password in the keyring.
const SAVE_PASSWORD: &str = "--save-password";

/// The words `bookmark` takes first, for completion.
const SUBCOMMANDS: [&str; 3] = ["add", "delete", "list"];

fn local(error: BookmarkError) -> Error {
    match error {
        BookmarkError::BadName { .. } => Error::Usage(format!("bookmark: {error}")),
        other => Error::Local(format!("bookmark: {other}")),
    }
}

/// `bookmark [add [--save-password] NAME [URL] | list | delete NAME]`;
/// without a word it lists.
pub fn run(state: &mut State, args: &[String]) -> Result<Flow, Error> {
    let Some((subcommand, rest)) = args.split_first() else {
        return list();
    };
    match (subcommand.to_ascii_lowercase().as_str(), rest) {
        ("add", rest) => add(state, rest),
        ("list", []) => list(),
        ("delete" | "del" | "rm", [name]) => delete(name),
        _ => Err(Error::Usage(USAGE.into())),
    }
}

fn list() -> Result<Flow, Error> {
    let bookmarks = Bookmarks::load().map_err(local)?;
    let width = bookmarks.iter().map(|b| b.name.chars().count()).max().unwrap_or(0);
    let mut any = false;
    for bookmark in bookmarks.iter() {
        outln!("{:width$}  {}", bookmark.name, bookmark.target.url());
        any = true;
    }
    if !any {
        outln!("No bookmarks (add one with `bookmark add NAME [URL]`).");
    }
    Ok(Flow::Continue)
}

fn delete(name: &str) -> Result<Flow, Error> {
    let mut bookmarks = Bookmarks::load().map_err(local)?;
    if !bookmarks.remove(name) {
        return Err(Error::Local(format!("bookmark delete: no bookmark named {name:?}")));
    }
    bookmarks.save().map_err(local)?;
    Ok(Flow::Continue)
}

/// `bookmark add [--save-password] NAME [URL]`: the URL's server, login and
/// folder, or the session's; a password is never written to the file.
fn add(state: &mut State, args: &[String]) -> Result<Flow, Error> {
    let save_password = args.iter().any(|a| a == SAVE_PASSWORD);
    let words: Vec<&String> = args.iter().filter(|a| *a != SAVE_PASSWORD).collect();
    let (name, location) = match words.as_slice() {
        [name] => (name.as_str(), None),
        [name, location] => (name.as_str(), Some(location.as_str())),
        _ => return Err(Error::Usage(USAGE.into())),
    };
    bookmarks::check_name(name).map_err(local)?;
    let (target, password) = match location {
        Some(location) => target_of_url(location)?,
        None => target_of_session(state)?,
    };
    if password.is_some() && !save_password {
        errln!(
            "rftp: bookmark {name}: the password was not saved (the bookmarks file never holds one); \
             `bookmark add --save-password` keeps it in the system keyring"
        );
    }
    let mut bookmarks = Bookmarks::load().map_err(local)?;
    let url = target.url();
    let replaced = bookmarks.set(Bookmark { name: name.to_string(), target: target.clone() });
    bookmarks.save().map_err(local)?;
    if state.session.settings.verbose {
        outln!("Bookmark {name} {}: {url}", if replaced { "replaced" } else { "added" });
    }
    if save_password {
        keep_password(state, &target, password, &SystemKeyring::default())?;
    }
    Ok(Flow::Continue)
}

/// The target of `bookmark add NAME URL`, and the URL's password.
fn target_of_url(location: &str) -> Result<(Target, Option<Password>), Error> {
    if !crate::url::is_url(location) {
        return Err(Error::Usage(format!(
            "bookmark add: {:?} is not a URL: ftp://, ftpes:// or ftps://[USER@]HOST[:PORT]/[DIR]",
            crate::url::redact(location)
        )));
    }
    let remote = crate::url::parse(location).map_err(|e| Error::Usage(format!("bookmark add: {e}")))?;
    let (target, _) = Target::from_remote(&remote);
    Ok((target, remote.password))
}

/// The target of `bookmark add NAME`: the session's server, port, user,
/// folder and TLS mode, and its password (kept only with `--save-password`).
fn target_of_session(state: &mut State) -> Result<(Target, Option<Password>), Error> {
    let not_connected =
        || Error::Usage("bookmark add NAME: not connected; `open` a server first, or give a URL".into());
    let connection = state.session.connection.as_mut().ok_or_else(not_connected)?;
    let folder = match &connection.folder {
        Some(folder) => folder.clone(),
        None => connection.client.pwd().map_err(|e| Error::Local(format!("bookmark add: PWD failed: {e}")))?,
    };
    let target = Target {
        host: connection.host.clone(),
        port: None,
        user: connection.credentials.as_ref().map(|c| c.user.clone()),
        folder,
        tls: connection.client.options().tls.as_ref().map(|t| t.mode),
    };
    let port = connection.port;
    let target = Target { port: (port != target.port()).then_some(port), ..target };
    // An anonymous login's password is an e-mail address, not a secret
    // worth a word about keeping it.
    let anonymous = target.user.as_deref().is_some_and(crate::session::is_anonymous);
    let password = connection.credentials.as_ref().filter(|_| !anonymous).map(|c| c.password.clone());
    Ok((target, password))
}

/// Keeps the bookmark's password in the keyring: the one given, else one
/// asked for without echo. Without a keyring, says so and keeps nothing.
fn keep_password(
    state: &State,
    target: &Target,
    given: Option<Password>,
    store: &dyn PasswordStore,
) -> Result<(), Error> {
    let Some(user) = target.user.clone() else {
        return Err(Error::Usage(
            "bookmark add --save-password: the bookmark has no user (ftp://USER@HOST/); the password was not saved"
                .into(),
        ));
    };
    let key = KeyringKey { user, host: target.host.clone(), port: target.port() };
    let unavailable = |e| Error::Local(format!("no system keyring available ({e}); the password was not saved"));
    // Asked first, so nobody types a password that cannot be kept.
    store.lookup(&key).map_err(unavailable)?;
    let password = match given {
        Some(password) => password,
        None if state.session.interactive => ask_password(&key)?,
        None => {
            return Err(Error::Usage(
                "bookmark add --save-password: no password to save: give it in the URL, or run on a terminal".into(),
            ));
        }
    };
    store.save(&key, &password).map_err(unavailable)?;
    if state.session.settings.verbose {
        outln!("Password for {}@{} saved in the system keyring.", key.user, key.host);
    }
    Ok(())
}

fn ask_password(key: &KeyringKey) -> Result<Password, Error> {
    let prompt = crate::display::for_stderr(&format!("Password for {}@{}: ", key.user, key.host));
    rpassword::prompt_password(prompt)
        .map(Password::from)
        .map_err(|e| Error::Local(format!("cannot read the password: {e}")))
}

/// `open NAME`: the bookmark's server, port, TLS mode and user (its password
/// from `$RFTP_PASSWORD`, the netrc, the keyring or a prompt), then `cd` to
/// its folder once logged in.
pub fn open(state: &mut State, bookmark: &Bookmark) -> Result<Flow, Error> {
    let target = &bookmark.target;
    state.remote_names.clear();
    state.session.start_with(&target.host, target.port(), target.login(), target.tls)?;
    let logged_in = state.session.connection.as_ref().is_some_and(|c| c.credentials.is_some());
    if !target.folder.is_empty() && logged_in {
        super::commands::execute(state, &format!("cd {}", quote_word(&target.folder)))?;
    }
    Ok(Flow::Continue)
}

/// Completion candidates for `open` and `bookmark`: `words` are the words
/// before the one being completed (the command first), `word` is its start.
pub fn candidates(words: &[String], word: &str, names: impl FnOnce() -> Vec<String>) -> Vec<Pair> {
    let command = words.first().map(|w| w.to_ascii_lowercase()).unwrap_or_default();
    let choices: Vec<String> = match (command.as_str(), &words[1.min(words.len())..]) {
        ("bookmark", []) => SUBCOMMANDS.iter().map(|s| s.to_string()).collect(),
        ("bookmark", [sub]) if sub.eq_ignore_ascii_case("delete") => names(),
        ("bookmark", _) => Vec::new(),
        (_, []) => names(),
        (_, [tls]) if tls == "--tls" => names(),
        _ => Vec::new(),
    };
    let mut pairs: Vec<Pair> = choices
        .into_iter()
        .filter(|name| name.starts_with(word))
        .map(|name| Pair { replacement: format!("{name} "), display: name })
        .collect();
    pairs.sort_by(|a, b| a.display.cmp(&b.display));
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::secret_store::KeyringError;
    use std::cell::RefCell;

    /// A keyring that is there (keeping what it is given) or not.
    struct FakeKeyring {
        available: bool,
        saved: RefCell<Vec<(KeyringKey, String)>>,
    }

    impl PasswordStore for FakeKeyring {
        fn lookup(&self, _key: &KeyringKey) -> Result<Option<Password>, KeyringError> {
            if self.available { Ok(None) } else { Err(KeyringError("no D-Bus session".into())) }
        }
        fn save(&self, key: &KeyringKey, password: &Password) -> Result<(), KeyringError> {
            self.saved.borrow_mut().push((key.clone(), password.expose().to_string()));
            Ok(())
        }
    }

    fn script_state() -> State {
        let session = crate::session::Session::new(Default::default(), false, crate::progress::ProgressMode::Off);
        State::new(session, false)
    }

    fn keep(available: bool, url: &str) -> (Result<(), String>, Vec<(KeyringKey, String)>) {
        let store = FakeKeyring { available, saved: RefCell::new(Vec::new()) };
        let (target, password) = target_of_url(url).unwrap();
        let result = keep_password(&script_state(), &target, password, &store).map_err(|e| e.to_string());
        (result, store.saved.into_inner())
    }

    #[test]
    fn save_password_keeps_it_by_user_host_and_port_or_says_why_not() {
        let (result, saved) = keep(true, "ftp://bob:pw@h.example:2121/dir/");
        assert_eq!(result, Ok(()));
        let key = KeyringKey { user: "bob".into(), host: "h.example".into(), port: 2121 };
        assert_eq!(saved, [(key, "pw".to_string())]);

        let (result, saved) = keep(false, "ftp://bob:pw@h.example/");
        let message = result.unwrap_err();
        assert_eq!(message, "no system keyring available (no D-Bus session); the password was not saved");
        assert!(saved.is_empty());

        let (result, saved) = keep(true, "ftp://h.example/");
        assert!(result.unwrap_err().contains("has no user"));
        let (result, _) = keep(true, "ftp://bob@h.example/");
        assert!(result.unwrap_err().contains("no password to save"), "a script cannot be asked");
        assert!(saved.is_empty());
    }

    fn offered(line: &[&str], word: &str) -> Vec<String> {
        let words: Vec<String> = line.iter().map(|w| w.to_string()).collect();
        candidates(&words, word, || vec!["work".into(), "home".into(), "web".into()])
            .into_iter()
            .map(|p| p.replacement)
            .collect()
    }

    #[test]
    fn completion_knows_the_bookmark_names() {
        assert_eq!(offered(&["open"], "w"), ["web ", "work "]);
        assert_eq!(offered(&["open"], ""), ["home ", "web ", "work "]);
        assert_eq!(offered(&["open", "--tls"], "h"), ["home "]);
        assert!(offered(&["open", "work"], "").is_empty(), "a port comes second");
        assert_eq!(offered(&["bookmark"], ""), ["add ", "delete ", "list "]);
        assert_eq!(offered(&["bookmark"], "d"), ["delete "]);
        assert_eq!(offered(&["bookmark", "delete"], "wo"), ["work "]);
        assert!(offered(&["bookmark", "add"], "").is_empty(), "a new name is the user's own");
        assert!(offered(&["bookmark", "delete", "work"], "").is_empty());
    }
}
