//! The batch runner: a plan's file jobs on the session's connection and up
//! to `parallel - 1` more like it, with Ctrl-C, retries and the failures
//! handled as for single transfers.

use std::sync::Arc;

use super::{Error, Session, retry};
use crate::batch::{self, BatchOptions, Hooks, NotOpened, Outcome, Plan};
use crate::checksum::VerifyNotes;
use crate::protocol;

impl Session {
    /// Runs a plan on the session's connection and up to `parallel - 1` more,
    /// logged in the same way and started in the same folder; lists every
    /// failure once the batch is over.
    ///
    /// With `verify` (the command's `--verify` notes), each file is checked
    /// after it moved ([`crate::checksum`]).
    ///
    /// Unless quiet, one line sums the batch up at the end ([`Outcome::summary`]).
    /// A batch that Ctrl-C stopped says how far it got in its error alone,
    /// not with a line for each file it did not do.
    pub fn run_batch(&mut self, plan: Plan, verify: Option<Arc<VerifyNotes>>) -> Result<(), Error> {
        // `get -r` of a plain file fetches it as `get` would, and says no more.
        let plain_file = plan.plain_file;
        let outcome = self.run_plan(plan, None, verify)?;
        let failed = outcome.failures.len();
        if self.interrupted() {
            let Outcome { moved, tried, not_started, .. } = outcome;
            return Err(Error::BatchInterrupted { moved, total: tried, not_started, failed });
        }
        for failure in &outcome.failures {
            errln!("rftp: {}: {}", failure.what, failure.error);
        }
        if !self.settings.quiet && !plain_file {
            errln!("{}", outcome.summary());
        }
        if failed == 0 { Ok(()) } else { Err(Error::SomeFailed { failed, total: outcome.tried }) }
    }

    /// Runs a plan as [`Session::run_batch`] does, with `hooks` (else the
    /// plan's) for what the command does beyond moving files (a mirror,
    /// whose `.part` files from an earlier run are continued; `get -r`,
    /// whose folders are listed as it runs); returns every failure,
    /// unreported.
    pub fn run_plan(
        &mut self,
        mut plan: Plan,
        hooks: Option<Arc<dyn Hooks>>,
        verify: Option<Arc<VerifyNotes>>,
    ) -> Result<Outcome, Error> {
        // A mirror (its own hooks) reports each path itself.
        let per_file = self.settings.verbose && hooks.is_none();
        let hooks = hooks.or_else(|| plan.hooks.take());
        let logged_in = self.connection.as_ref().is_some_and(|c| c.credentials.is_some());
        // Without credentials (not logged in by rftp) no more connections can
        // be opened, nor the session's own again.
        let parallel = if logged_in { self.parallel().max(1) } else { 1 };
        let retry =
            if logged_in { self.settings.retry } else { retry::RetryPolicy { retries: 0, ..self.settings.retry } };
        // Only a batch of several files (or one that lists folders as it
        // goes) opens more connections (`run_jobs`): one file costs no PWD.
        // A connection opened again after it was lost goes back to the
        // folder of the last `cd`.
        let folder = if parallel > 1 && (plan.jobs.len() > 1 || hooks.is_some()) {
            Some(self.client()?.pwd()?)
        } else {
            self.connection.as_ref().and_then(|c| c.folder.clone())
        };
        let spec = self.spec_for_more(folder)?;
        let (progress, interrupts) = (self.progress.clone(), self.interrupts.clone());
        // Watched for Ctrl-C, which the batch is left to take while it runs
        // (`watched_while` below): a server that accepts a connection opened
        // again and never greets must not keep it for the whole timeout.
        let open = |number: usize| {
            super::connect::open_watching(spec.numbered(number), &interrupts.interrupted).map_err(not_opened)
        };
        let continue_parts = hooks.as_ref().is_some_and(|hooks| hooks.continues_parts());
        let options = BatchOptions {
            parallel,
            retry,
            quiet: self.settings.quiet,
            limit: self.rate_limit(),
            hooks,
            continue_parts,
            verify,
            files: self.settings.file_log.clone(),
            verbose: per_file,
        };
        let first = self.client()?;
        let outcome = interrupts.watched_while(|| {
            batch::run_jobs(first, &open, plan, &options, &progress, &interrupts.interrupted, &interrupts.abort_slot)
        });
        // Ctrl-C that cost the session its connection (a server that drops it on
        // the Telnet signals): reconnect, as after a single transfer.
        if self.interrupted() {
            self.reconnect_if_abort_cost_the_session();
        }
        Ok(outcome)
    }
}

/// Why a connection of a batch could not be opened: what the network or the
/// server said (the batch's message says what was being done), whether the
/// server refused one more connection, and whether to try again later.
fn not_opened(error: Error) -> NotOpened {
    let (too_many, transient) = match &error {
        Error::Connect { error, .. } | Error::Login(error) => (refuses_more(error), retry::is_transient(error)),
        Error::Ftp(error) => (false, retry::is_transient(error)),
        _ => (false, false),
    };
    let why = match error {
        Error::Connect { error, .. } | Error::Login(error) | Error::Ftp(error) => error.to_string(),
        other => other.to_string(),
    };
    NotOpened { why, too_many, transient: transient || too_many }
}

/// Whether the server will not take one more connection: `421` (vsftpd's
/// `max_per_ip`, pyftpdlib's `max_cons_per_ip`), `530` saying "too many"
/// or "the maximum number of" clients (servers that refuse at login, as
/// ProFTPD's `MaxClientsPerHost` does), connection refused, or the connection
/// closed before the greeting or the login were through.
fn refuses_more(error: &protocol::Error) -> bool {
    use std::io::ErrorKind;
    match error {
        protocol::Error::ConnectionClosed(_) => true,
        protocol::Error::Io { source, .. } => matches!(
            source.kind(),
            ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof
        ),
        _ => match (error.code(), error.reply()) {
            (Some(421), _) => true,
            (Some(530), Some(reply)) => {
                // ProFTPD's limits: "the maximum number of clients (5) from
                // your host are already connected".
                let text = reply.to_string().to_ascii_lowercase();
                text.contains("too many") || (text.contains("maximum number of") && text.contains("connected"))
            }
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{Reply, ReplyCode};

    fn refused(code: u16, text: &str) -> protocol::Error {
        let reply = Reply::new(ReplyCode::new(code).expect("a code"), vec![format!("{code} {text}")]);
        protocol::Error::from_reply("greeting", reply)
    }

    #[test]
    fn servers_that_allow_no_more_connections_are_told_apart() {
        assert!(refuses_more(&refused(421, "Too many connections from this IP")));
        assert!(refuses_more(&refused(530, "Sorry, too many users")));
        // ProFTPD's MaxClientsPerHost, MaxClientsPerUser and MaxClients.
        let proftpd = "Sorry, the maximum number of clients (5) from your host are already connected.";
        assert!(refuses_more(&refused(530, proftpd)));
        assert!(refuses_more(&refused(
            530,
            "Sorry, the maximum number of allowed clients (30) are already connected."
        )));
        assert!(refuses_more(&protocol::Error::ConnectionClosed(None)));
        let refused_io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(refuses_more(&protocol::Error::Io { context: "connecting".into(), source: refused_io }));
        assert!(!refuses_more(&refused(530, "Login incorrect")), "a wrong password is no limit");
        assert!(!refuses_more(&refused(530, "Maximum number of login attempts exceeded")));
        assert!(!refuses_more(&refused(550, "too many")));
        let login = not_opened(Error::Login(refused(530, "Login incorrect")));
        assert!(!login.too_many && !login.transient, "{login:?}");
        let limit = not_opened(Error::Login(refused(530, "Too many connections")));
        assert!(limit.too_many && limit.transient && limit.why.contains("530 Too many"), "{limit:?}");
    }
}
