//! The batch runner: a plan's file jobs on the session's connection and up
//! to `parallel - 1` more like it, with Ctrl-C and the failures handled as
//! for single transfers.

use super::{Error, Session};
use crate::batch::{self, Plan};

impl Session {
    /// Runs a plan on the session's connection and up to `parallel - 1` more,
    /// logged in the same way and started in the same folder; lists every
    /// failure once the batch is over.
    pub fn run_batch(&mut self, plan: Plan) -> Result<(), Error> {
        let total = plan.jobs.len() + plan.failures.len();
        let logged_in = self.connection.as_ref().is_some_and(|c| c.credentials.is_some());
        // Without credentials (not logged in by rftp) no more connections can be opened.
        let parallel = if logged_in { self.settings.parallel.max(1) } else { 1 };
        // Only a batch of several files opens more connections (`run_jobs`):
        // one file costs no PWD.
        let folder = if parallel > 1 && plan.jobs.len() > 1 { Some(self.client()?.pwd()?) } else { None };
        let spec = self.spec_for_more(folder)?;
        let (progress, interrupts) = (self.progress.clone(), self.interrupts.clone());
        let limit = self.rate_limit();
        let open_more = |number: usize| spec.numbered(number).open().map_err(why_not_opened);
        let first = self.client()?;
        let failures = batch::run_jobs(
            first,
            &open_more,
            plan,
            parallel,
            &progress,
            &interrupts.interrupted,
            &interrupts.abort_slot,
            limit.as_deref(),
        );
        // Ctrl-C that cost the session its connection (a server that drops it on
        // the Telnet signals): reconnect, as after a single transfer.
        if self.interrupted() {
            self.reconnect_if_abort_cost_the_session();
        }
        for failure in &failures {
            errln!("rftp: {}: {}", failure.what, failure.error);
        }
        if failures.is_empty() { Ok(()) } else { Err(Error::SomeFailed { failed: failures.len(), total }) }
    }
}

/// Why another connection of a batch could not be opened: what the network
/// or the server said, since the batch's message ("cannot open another
/// connection") already says what was being done.
fn why_not_opened(error: Error) -> String {
    match error {
        Error::Connect { error, .. } | Error::Login(error) | Error::Ftp(error) => error.to_string(),
        other => other.to_string(),
    }
}
