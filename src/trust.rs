//! Trusting a server certificate the system does not (issue #15): the
//! known-certificates file (SSH's known_hosts for FTPS), `--pin`, and the
//! question asked on a terminal. The protocol layer hands each certificate
//! to [`Trust`] through its [`CertificateJudge`] hook; the decision is made
//! here, where files and terminals may be touched.
//!
//! The file holds one entry a line, `HOST PORT sha256:AB:CD:…`, with `#`
//! comments; a person may edit or remove lines. An entry wins over
//! everything but `--pin`: a different certificate for its host and port is
//! refused even when the system trusts it and even with `--insecure`, as
//! SSH refuses a changed host key, since either may be a stolen or
//! mis-issued certificate in the middle.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::protocol::tls::{fingerprint_of, format_fingerprint};
use crate::protocol::{CertificateJudge, Fingerprint, Judgement, Presented, SystemCheck};

/// How a pin and an entry name their digest.
const PREFIX: &str = "sha256:";

/// Where certificates trusted "always" are kept: the user's data folder,
/// `rftp/known_certificates`.
pub fn known_certificates_path() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("rftp").join("known_certificates"))
}

/// Parses `--pin`: `sha256:` (optional, any case) and the SHA-256
/// fingerprint as 64 hex digits, with or without colons, in any case.
pub fn parse_pin(text: &str) -> Result<Fingerprint, String> {
    let digits = strip_prefix_ignoring_case(text.trim(), PREFIX);
    let hex: String = digits.chars().filter(|&c| c != ':').collect();
    if let Some(bad) = hex.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!("{bad:?} is not a hex digit: a pin is sha256: and the certificate's SHA-256 fingerprint"));
    }
    if hex.len() != 64 {
        return Err(format!("a SHA-256 fingerprint has 64 hex digits, this one {}", hex.len()));
    }
    let mut print = [0u8; 32];
    for (byte, pair) in print.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|e| format!("{pair:?}: {e}"))?;
    }
    Ok(print)
}

fn strip_prefix_ignoring_case<'a>(text: &'a str, prefix: &str) -> &'a str {
    match text.get(..prefix.len()) {
        Some(start) if start.eq_ignore_ascii_case(prefix) => &text[prefix.len()..],
        _ => text,
    }
}

/// One entry of the known-certificates file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    host: String,
    port: u16,
    print: Fingerprint,
    /// Its line number (from 1), for the message that asks to remove it.
    line: usize,
}

/// What the known-certificates file holds: its entries, and the lines that
/// are none (with why), which are ignored.
#[derive(Debug, Default)]
struct Known {
    entries: Vec<Entry>,
    bad: Vec<(usize, String)>,
}

/// Parses the known-certificates file; nothing in it can make this fail.
fn parse_known(text: &str) -> Known {
    let mut known = Known::default();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_entry(line) {
            Ok((host, port, print)) => known.entries.push(Entry { host, port, print, line: line_number }),
            Err(why) => known.bad.push((line_number, why)),
        }
    }
    known
}

/// One line, `HOST PORT sha256:FINGERPRINT`.
fn parse_entry(line: &str) -> Result<(String, u16, Fingerprint), String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [host, port, print] = fields[..] else {
        return Err(format!("expected HOST PORT sha256:FINGERPRINT, found {} fields", fields.len()));
    };
    let port = port.parse().map_err(|_| format!("{port:?} is no port"))?;
    if !print.get(..PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(PREFIX)) {
        return Err(format!("the fingerprint must start with {PREFIX}"));
    }
    let print = parse_pin(print)?;
    Ok((host_key(host), port, print))
}

/// The one spelling of a host that entries and answers are kept and
/// matched by: an IP address in its canonical form (`0:0::1` is `::1`,
/// `::ffff:10.0.0.1` is `10.0.0.1`), a name in lower case without the
/// trailing dot DNS allows (`Example.COM.` is `example.com`). Otherwise
/// another spelling of a recorded host would have no entry, and
/// `--insecure` would accept any certificate for it.
fn host_key(host: &str) -> String {
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_canonical().to_string(),
        Err(_) => host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase(),
    }
}

/// The line that records `print` for `host:port`.
fn entry_line(host: &str, port: u16, print: &Fingerprint) -> String {
    format!("{} {port} {PREFIX}{}", host_key(host), format_fingerprint(print))
}

/// Adds an entry to the file at `path`, replacing the file at once (a
/// temporary file renamed over it) so that no reader ever sees half of it;
/// the file is the user's alone (0600), in a folder that is too (0700).
fn record(path: &Path, host: &str, port: u16, print: &Fingerprint) -> io::Result<()> {
    let mut text = match crate::config::read_own_file(path)? {
        Some(text) => text,
        None => "# Certificates rftp trusts (HOST PORT sha256:FINGERPRINT); remove a line to forget one.\n".to_string(),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&entry_line(host, port, print));
    text.push('\n');
    crate::config::write_own_file(path, text.as_bytes())
}

/// What the person at the terminal said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Trust the certificate for this run.
    Once,
    /// Trust it and record it.
    Always,
    /// Refuse it.
    No,
}

/// The answer a line means; `None` when it means none of them.
fn parse_answer(line: &str) -> Option<Answer> {
    match line.trim().to_ascii_lowercase().as_str() {
        "o" | "once" => Some(Answer::Once),
        "a" | "always" => Some(Answer::Always),
        "" | "n" | "no" => Some(Answer::No),
        _ => None,
    }
}

/// What a person needs to decide: who the certificate names, who signed
/// it, when it is valid, and its fingerprint (all a certificate that does
/// not parse can show).
fn describe(presented: &Presented<'_>) -> Vec<String> {
    let mut lines = vec![format!("The certificate of {}:{} is not trusted.", presented.host, presented.port)];
    if let SystemCheck::Refused(why) = &presented.system {
        lines.push(format!("  reason:      {why}"));
    }
    match x509_parser::parse_x509_certificate(presented.certificate) {
        Ok((_, certificate)) => {
            let validity = certificate.validity();
            lines.push(format!("  subject:     {}", certificate.subject()));
            lines.push(format!("  issuer:      {}", certificate.issuer()));
            lines.push(format!("  not before:  {}", validity.not_before));
            lines.push(format!("  not after:   {}", validity.not_after));
        }
        Err(e) => lines.push(format!("  (the certificate cannot be read: {e})")),
    }
    lines.push(format!("  SHA-256:     {}", format_fingerprint(&fingerprint_of(presented.certificate))));
    lines
}

/// Shows `description` on standard error and asks until the answer means
/// something. Ctrl-C (`cancel` set) or the end of input answers no.
fn ask_on_terminal(description: &[String], cancel: &AtomicBool) -> Answer {
    for line in description {
        errln!("{line}");
    }
    loop {
        eprint!("Trust this certificate? [o]nce/[a]lways/[N]o: ");
        let _ = io::stderr().flush();
        let Some(line) = read_line_unless(cancel) else {
            // At the end of input, end the question's line; after Ctrl-C the
            // shell has its prompt up again, which a line break would spoil.
            if !cancel.load(Ordering::SeqCst) {
                errln!("");
            }
            return Answer::No;
        };
        match parse_answer(&line) {
            Some(answer) => return answer,
            None => errln!("Answer o (trust it once, this run), a (always: record it) or n (no)."),
        }
    }
}

/// One line from the terminal; `None` at the end of input, or as soon as
/// `cancel` is set (Ctrl-C). The question is asked on the thread that
/// connects, which the shell gives up on at Ctrl-C: a read that went on
/// would take the next lines typed at the prompt as answers ("a" would
/// record the certificate just refused). So the terminal is only read once
/// it has a line (a terminal hands over whole lines), and `cancel` is
/// looked at in between.
fn read_line_unless(cancel: &AtomicBool) -> Option<String> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let stdin = io::stdin();
    loop {
        if cancel.load(Ordering::SeqCst) {
            return None;
        }
        let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(100u16)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => {}
            // Readable, at its end, or not pollable: the read says which.
            Ok(_) | Err(_) => break,
        }
    }
    if cancel.load(Ordering::SeqCst) {
        return None;
    }
    let mut line = String::new();
    match stdin.lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line),
    }
}

/// How the question is put: on the terminal, or by a test.
type Asker = Box<dyn Fn(&[String]) -> Answer + Send + Sync>;

/// rftp's [`CertificateJudge`]: the known-certificates file first, then the
/// system's verdict, then this run's earlier answers, then (on a terminal
/// only) a question.
pub struct Trust {
    /// The known-certificates file, if there is a data folder.
    path: Option<PathBuf>,
    /// How to ask; `None` in scripts, which never prompt.
    ask: Option<Asker>,
    /// Certificates accepted this run (host, port, fingerprint), so that
    /// data connections and later connections do not ask again.
    accepted: Mutex<Vec<(String, u16, Fingerprint)>>,
    /// Whether the file's bad lines were warned about already.
    warned: AtomicBool,
    /// Held while a question is asked: one at a time.
    asking: Mutex<()>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust").field("path", &self.path).field("asks", &self.ask.is_some()).finish_non_exhaustive()
    }
}

impl Trust {
    /// The judge of this run: it asks only when `interactive` (a person at
    /// the terminal), and keeps "always" in [`known_certificates_path`].
    /// `cancel` is the session's Ctrl-C flag: once set, a question being
    /// asked is answered no.
    pub fn new(interactive: bool, cancel: Arc<AtomicBool>) -> Trust {
        let ask: Option<Asker> =
            interactive.then(|| Box::new(move |description: &[String]| ask_on_terminal(description, &cancel)) as Asker);
        Trust::with(known_certificates_path(), ask)
    }

    fn with(path: Option<PathBuf>, ask: Option<Asker>) -> Trust {
        Trust { path, ask, accepted: Mutex::new(Vec::new()), warned: AtomicBool::new(false), asking: Mutex::new(()) }
    }

    /// The file's entries, read afresh (the user may have edited it); its bad
    /// lines are named once per run.
    fn known(&self) -> Known {
        let Some(path) = &self.path else { return Known::default() };
        let known = match crate::config::read_own_file(path) {
            Ok(Some(text)) => parse_known(&text),
            Ok(None) => Known::default(),
            Err(e) => {
                errln!("rftp: warning: cannot read {}: {e}", path.display());
                Known::default()
            }
        };
        if !known.bad.is_empty() && !self.warned.swap(true, Ordering::SeqCst) {
            for (line, why) in &known.bad {
                errln!("rftp: warning: {} line {line}: {why}; the line is ignored", path.display());
            }
        }
        known
    }

    fn was_accepted(&self, host: &str, port: u16, print: &Fingerprint) -> bool {
        let accepted = self.accepted.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let host = host_key(host);
        accepted.iter().any(|(h, p, f)| *h == host && *p == port && f == print)
    }

    fn remember(&self, host: &str, port: u16, print: Fingerprint) {
        let mut accepted = self.accepted.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        accepted.push((host_key(host), port, print));
    }

    /// The refusal of a certificate that is not the one recorded.
    fn changed(&self, presented: &Presented<'_>, print: &Fingerprint, recorded: &[&Entry]) -> Judgement {
        let file = self.path.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default();
        let lines: Vec<String> = recorded
            .iter()
            .map(|e| format!("line {} records {PREFIX}{}", e.line, format_fingerprint(&e.print)))
            .collect();
        Judgement::Refuse(format!(
            "the certificate of {}:{} has CHANGED: its SHA-256 fingerprint is now {}, but {file} {}. \
             Someone may be in the middle; if the server's certificate changed on purpose, remove that line \
             (--insecure does not override it)",
            presented.host,
            presented.port,
            format_fingerprint(print),
            lines.join(", and ")
        ))
    }

    /// A script's refusal, with what to do about it.
    fn untrusted(presented: &Presented<'_>, print: &Fingerprint) -> Judgement {
        let reason = match &presented.system {
            SystemCheck::Refused(why) => format!(" ({why})"),
            SystemCheck::Trusted | SystemCheck::Skipped => String::new(),
        };
        let print = format_fingerprint(print);
        Judgement::Refuse(format!(
            "the certificate of {}:{} is not trusted{reason}; its SHA-256 fingerprint is {print}. \
             To trust it for one run, give --pin {PREFIX}{print}; to trust it always, connect once \
             from a terminal and answer \"always\"",
            presented.host, presented.port
        ))
    }

    /// Puts the question and acts on the answer.
    fn ask(&self, ask: &Asker, presented: &Presented<'_>, print: Fingerprint) -> Judgement {
        let (host, port) = (presented.host, presented.port);
        // One question at a time: a batch's connections shake hands at
        // once, and questions side by side would mix up whose certificate
        // an answer is for. Another may have settled this one meanwhile.
        let _one = self.asking.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.was_accepted(host, port, &print) {
            return Judgement::Accept;
        }
        match ask(&describe(presented)) {
            Answer::No => Judgement::Refuse(format!("the certificate of {host}:{port} was not trusted (answer: no)")),
            Answer::Once => {
                self.remember(host, port, print);
                Judgement::Accept
            }
            Answer::Always => {
                self.remember(host, port, print);
                match &self.path {
                    Some(path) => match record(path, host, port, &print) {
                        Ok(()) => errln!("rftp: the certificate of {host}:{port} is recorded in {}", path.display()),
                        Err(e) => errln!(
                            "rftp: warning: cannot record the certificate in {}: {e}; it is trusted for this run only",
                            path.display()
                        ),
                    },
                    None => {
                        errln!("rftp: warning: no data folder to record the certificate in; trusted for this run only")
                    }
                }
                Judgement::Accept
            }
        }
    }
}

impl CertificateJudge for Trust {
    fn judge(&self, presented: &Presented<'_>) -> Judgement {
        let print = fingerprint_of(presented.certificate);
        let known = self.known();
        let host = host_key(presented.host);
        let recorded: Vec<&Entry> =
            known.entries.iter().filter(|e| e.host == host && e.port == presented.port).collect();
        if !recorded.is_empty() {
            if recorded.iter().any(|e| e.print == print) {
                return Judgement::Accept;
            }
            return self.changed(presented, &print, &recorded);
        }
        if !matches!(presented.system, SystemCheck::Refused(_)) {
            return Judgement::Accept;
        }
        if self.was_accepted(presented.host, presented.port, &print) {
            return Judgement::Accept;
        }
        match &self.ask {
            Some(ask) => self.ask(ask, presented, print),
            None => Trust::untrusted(presented, &print),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const PRINT: &str =
        "sha256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";

    #[test]
    fn pins_are_read_with_or_without_colons_prefix_and_case() {
        let expected = parse_pin(PRINT).unwrap();
        assert_eq!(expected[0], 0x00);
        assert_eq!(expected[10], 0xAA);
        let bare: String = PRINT[7..].chars().filter(|&c| c != ':').collect();
        assert_eq!(parse_pin(&bare.to_lowercase()).unwrap(), expected);
        assert_eq!(parse_pin(&format!("SHA256:{bare}")).unwrap(), expected);
    }

    #[test]
    fn malformed_pins_say_what_is_wrong() {
        assert!(parse_pin("sha256:AB:CD").unwrap_err().contains("64 hex digits, this one 4"));
        assert!(parse_pin(&PRINT.replace("FF", "FG")).unwrap_err().contains("'G' is not a hex digit"));
        assert!(parse_pin("sha1:00").unwrap_err().contains("not a hex digit"));
        assert!(parse_pin("").unwrap_err().contains("this one 0"));
        assert!(parse_pin("sha256:é").is_err());
    }

    #[test]
    fn the_file_keeps_entries_and_names_bad_lines() {
        let text = format!(
            "# comment\n\nexample.com 21 {PRINT}\nbroken line\nhost notaport {PRINT}\nhost 21 md5:00\nHOST.example 990 {PRINT}\n"
        );
        let known = parse_known(&text);
        assert_eq!(known.entries.len(), 2);
        assert_eq!(known.entries[0].line, 3);
        assert_eq!(known.entries[1].host, "host.example");
        let bad: Vec<usize> = known.bad.iter().map(|(line, _)| *line).collect();
        assert_eq!(bad, [4, 5, 6]);
    }

    #[test]
    fn odd_files_do_not_panic() {
        for text in
            ["", "\n\n", "a", "a b", "a b c d", "h 99999 sha256:", "h 1 sha256:zz", "\u{0}\u{ff}", "h 1 SHA256:"]
        {
            let known = parse_known(text);
            assert!(known.entries.is_empty(), "{text:?}");
        }
        for answer in ["", "x", "ALWAYS", " o \n", "\u{1b}"] {
            let _ = parse_answer(answer);
        }
    }

    #[test]
    fn answers_take_letters_or_words_and_default_to_no() {
        assert_eq!(parse_answer("o\n"), Some(Answer::Once));
        assert_eq!(parse_answer("Always"), Some(Answer::Always));
        assert_eq!(parse_answer("\n"), Some(Answer::No));
        assert_eq!(parse_answer("yes"), None);
    }

    #[test]
    fn recording_appends_a_line_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("known_certificates");
        let print = parse_pin(PRINT).unwrap();
        record(&path, "Example.COM", 21, &print).unwrap();
        record(&path, "other", 990, &print).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let known = parse_known(&text);
        assert_eq!(known.entries.len(), 2, "{text}");
        assert_eq!(known.entries[0].host, "example.com");
        assert!(known.bad.is_empty(), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temporary file left");
        // A temporary file left by a crash of an rftp with our process id is no obstacle.
        let stale = path.parent().unwrap().join(format!(".known_certificates.{}.tmp", std::process::id()));
        fs::write(&stale, "half a li").unwrap();
        record(&path, "third", 21, &print).unwrap();
        assert_eq!(parse_known(&fs::read_to_string(&path).unwrap()).entries.len(), 3);
        assert!(!stale.exists());
    }

    fn presented<'a>(certificate: &'a [u8], system: SystemCheck) -> Presented<'a> {
        Presented { certificate, host: "h", port: 21, system }
    }

    #[test]
    fn an_entry_wins_over_the_system_and_answers_are_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_certificates");
        record(&path, "h", 21, &fingerprint_of(b"recorded")).unwrap();
        let trust = Trust::with(Some(path), None);
        assert_eq!(trust.judge(&presented(b"recorded", SystemCheck::Refused("x".into()))), Judgement::Accept);
        let Judgement::Refuse(why) = trust.judge(&presented(b"other", SystemCheck::Trusted)) else {
            panic!("a changed certificate is refused even when the system trusts it");
        };
        assert!(why.contains("line 2") && why.contains(&format_fingerprint(&fingerprint_of(b"other"))), "{why}");
        assert!(why.contains(&format_fingerprint(&fingerprint_of(b"recorded"))), "{why}");
        // Another port has no entry: the system decides, or the person.
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = std::sync::Arc::clone(&asked);
        let trust = Trust::with(
            None,
            Some(Box::new(move |_: &[String]| {
                counter.fetch_add(1, Ordering::SeqCst);
                Answer::Once
            })),
        );
        let untrusted = presented(b"new", SystemCheck::Refused("unknown issuer".into()));
        assert_eq!(trust.judge(&untrusted), Judgement::Accept);
        assert_eq!(trust.judge(&untrusted), Judgement::Accept);
        assert_eq!(asked.load(Ordering::SeqCst), 1, "asked once only");
    }

    #[test]
    fn another_spelling_of_a_recorded_host_is_held_to_its_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_certificates");
        record(&path, "Example.COM.", 21, &fingerprint_of(b"recorded")).unwrap();
        record(&path, "[::1]", 21, &fingerprint_of(b"recorded")).unwrap();
        record(&path, "10.0.0.1", 21, &fingerprint_of(b"recorded")).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\nexample.com 21 ") && text.contains("\n::1 21 "), "{text}");
        let trust = Trust::with(Some(path), None);
        for host in ["example.com", "EXAMPLE.com.", "::1", "0:0::1", "[0:0:0:0:0:0:0:1]", "::ffff:10.0.0.1"] {
            let other = Presented { certificate: b"other", host, port: 21, system: SystemCheck::Skipped };
            assert!(
                matches!(trust.judge(&other), Judgement::Refuse(why) if why.contains("CHANGED")),
                "{host}: --insecure passed a changed certificate"
            );
            let same = Presented { certificate: b"recorded", host, port: 21, system: SystemCheck::Refused("x".into()) };
            assert_eq!(trust.judge(&same), Judgement::Accept, "{host}");
        }
    }

    #[test]
    fn connections_shaking_hands_at_once_get_one_question_at_a_time() {
        use std::sync::atomic::AtomicUsize;
        let (asked, asking) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (counter, in_flight) = (Arc::clone(&asked), Arc::clone(&asking));
        let trust = Arc::new(Trust::with(
            None,
            Some(Box::new(move |_: &[String]| {
                counter.fetch_add(1, Ordering::SeqCst);
                assert_eq!(in_flight.fetch_add(1, Ordering::SeqCst), 0, "two questions at once");
                std::thread::sleep(std::time::Duration::from_millis(200));
                in_flight.fetch_sub(1, Ordering::SeqCst);
                Answer::Once
            })),
        ));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let trust = Arc::clone(&trust);
                std::thread::spawn(move || {
                    trust.judge(&presented(b"new", SystemCheck::Refused("unknown issuer".into())))
                })
            })
            .collect();
        for worker in workers {
            assert_eq!(worker.join().expect("no question overlapped another"), Judgement::Accept);
        }
        assert_eq!(asked.load(Ordering::SeqCst), 1, "the first answer settles the same certificate");
    }

    #[test]
    fn scripts_are_refused_with_the_pin_to_give() {
        let trust = Trust::with(None, None);
        let Judgement::Refuse(why) = trust.judge(&presented(b"new", SystemCheck::Refused("unknown issuer".into())))
        else {
            panic!("refused");
        };
        assert!(why.contains(&format!("--pin sha256:{}", format_fingerprint(&fingerprint_of(b"new")))), "{why}");
        assert!(why.contains("unknown issuer"), "{why}");
    }

    #[test]
    fn a_certificate_that_does_not_parse_still_shows_its_fingerprint() {
        let lines = describe(&presented(b"not DER", SystemCheck::Refused("bad".into())));
        let text = lines.join("\n");
        assert!(text.contains("cannot be read"), "{text}");
        assert!(text.contains(&format_fingerprint(&fingerprint_of(b"not DER"))), "{text}");
    }
}
