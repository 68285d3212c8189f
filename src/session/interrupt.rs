//! Ctrl-C plumbing: one handler for the whole process, which aborts every
//! running transfer (a batch runs several) or cancels the next one, hangs up
//! a login the shell waits on, ignores what lands between two of the
//! shell's commands, and ends scripts and one-shot commands with status 130
//! when nothing is running.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::protocol::AbortHandle;
use crate::protocol::shared::lock;

/// What the Ctrl-C handler shares with a session.
#[derive(Clone)]
pub struct Interrupts {
    /// Abort handles: the session's connection first, then those of a running batch.
    pub abort_slot: Arc<Mutex<Vec<AbortHandle>>>,
    /// Set by Ctrl-C.
    pub interrupted: Arc<AtomicBool>,
    /// Set while a local command (`!`) or a question has the terminal.
    paused: Arc<AtomicBool>,
    /// Set between two commands of the interactive shell, while no command
    /// runs: a Ctrl-C then has nothing to stop.
    idle: Arc<AtomicBool>,
    /// Set while logging in: Ctrl-C then hangs up, the one way to stop a
    /// wait for a server that does not answer.
    hang_up: Arc<AtomicBool>,
    /// Set while the running code watches `interrupted` itself and stops on
    /// it (a batch between files or waiting to try one again, a wait before
    /// a retry): Ctrl-C then lets it stop and say how far it got (its
    /// summary, its `--json` lines) rather than ending rftp at once; a
    /// second Ctrl-C still does.
    watched: Arc<AtomicBool>,
    /// Whether a Ctrl-C with no transfer to abort ends rftp at once (scripts
    /// and one-shot commands) rather than only cancelling the command's next
    /// transfer (the interactive shell).
    pub exit_on_interrupt: bool,
}

impl Interrupts {
    /// Nothing interrupted yet; `exit_on_interrupt` as described on the field.
    pub fn new(exit_on_interrupt: bool) -> Interrupts {
        Interrupts {
            abort_slot: Arc::new(Mutex::new(Vec::new())),
            interrupted: Arc::new(AtomicBool::new(false)),
            paused: Arc::new(AtomicBool::new(false)),
            idle: Arc::new(AtomicBool::new(false)),
            hang_up: Arc::new(AtomicBool::new(false)),
            watched: Arc::new(AtomicBool::new(false)),
            exit_on_interrupt,
        }
    }

    /// Whether Ctrl-C was pressed since the last [`Interrupts::clear`].
    pub fn is_set(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// Installs the Ctrl-C handler: it aborts the running transfer (or the
    /// command's next one). Without a transfer to abort, it ends a script or
    /// a one-shot command with status 130; in the interactive shell a second
    /// Ctrl-C does.
    pub fn install_handler(&self) {
        let interrupts = self.clone();
        let _ = ctrlc::set_handler(move || {
            if interrupts.paused.load(Ordering::SeqCst) {
                // A local command or a prompt has the terminal: Ctrl-C is theirs.
                return;
            }
            if interrupts.idle.load(Ordering::SeqCst) && !interrupts.exit_on_interrupt {
                // The shell is between commands (rustyline reads a Ctrl-C
                // typed at the prompt as a key; this is one that landed as a
                // command ended, or a `kill -INT`): it would otherwise cancel
                // the next command's transfer, or count as the first of two
                // and end the shell.
                return;
            }
            // Scripts and one-shot commands end at once below, as ever.
            if interrupts.hang_up.load(Ordering::SeqCst) && !interrupts.exit_on_interrupt {
                interrupts.interrupted.store(true, Ordering::SeqCst);
                lock(&interrupts.abort_slot).iter().for_each(AbortHandle::hang_up);
                return;
            }
            let already = interrupts.interrupted.swap(true, Ordering::SeqCst);
            let aborted = interrupts.abort_all();
            let watched = interrupts.watched.load(Ordering::SeqCst);
            if !aborted && ((interrupts.exit_on_interrupt && !watched) || already) {
                std::process::exit(130);
            }
        });
    }

    /// Runs `f` with Ctrl-C left to whoever has the terminal meanwhile.
    pub fn paused_while<T>(&self, f: impl FnOnce() -> T) -> T {
        self.paused.store(true, Ordering::SeqCst);
        let result = f();
        self.paused.store(false, Ordering::SeqCst);
        result
    }

    /// A command starts: forgets any Ctrl-C from before it, which was meant
    /// for an earlier command, and lets Ctrl-C stop this one.
    pub fn begin_command(&self) {
        self.clear();
        self.idle.store(false, Ordering::SeqCst);
    }

    /// The command ended: until the next one begins, Ctrl-C is ignored
    /// (interactive shell only; elsewhere it ends rftp as before).
    pub fn end_command(&self) {
        self.idle.store(true, Ordering::SeqCst);
    }

    /// Runs `f`, which watches for Ctrl-C itself, with Ctrl-C left to it
    /// (see the `watched` field).
    pub fn watched_while<T>(&self, f: impl FnOnce() -> T) -> T {
        let before = self.watched.swap(true, Ordering::SeqCst);
        let result = f();
        self.watched.store(before, Ordering::SeqCst);
        result
    }

    /// Runs `f` (a login) with Ctrl-C hanging up the watched connection
    /// rather than waiting for the server's answer.
    pub fn hanging_up_while<T>(&self, f: impl FnOnce() -> T) -> T {
        self.hang_up.store(true, Ordering::SeqCst);
        let result = f();
        self.hang_up.store(false, Ordering::SeqCst);
        result
    }

    /// Clears a Ctrl-C that no command took.
    pub fn clear(&self) {
        self.interrupted.store(false, Ordering::SeqCst);
        for handle in lock(&self.abort_slot).iter() {
            handle.clear();
        }
    }

    /// Makes `handle` the only one Ctrl-C aborts (a new session connection).
    pub fn watch_only(&self, handle: AbortHandle) {
        *lock(&self.abort_slot) = vec![handle];
    }

    /// Forgets every handle (the session closed).
    pub fn forget_all(&self) {
        lock(&self.abort_slot).clear();
    }

    /// Aborts every running transfer, or the session's next one; whether any was running.
    fn abort_all(&self) -> bool {
        let handles = lock(&self.abort_slot);
        // Every connection, including batch workers between two files.
        let mut aborted = false;
        for handle in handles.iter() {
            aborted |= handle.abort_or_cancel_next();
        }
        aborted
    }
}

/// Why [`run_unless`] gave up on a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GaveUp {
    /// `cancel` was set (Ctrl-C).
    Interrupted,
    /// The wait passed.
    TimedOut,
    /// The thread could not start, or ended without an answer.
    NoThread,
}

/// Runs `call` on a thread of its own while this one watches `cancel` and,
/// when given, `wait`; gives up as soon as either comes, leaving the thread
/// to end on its own (its answer is then dropped). For waits that cannot
/// be cut short from here: connecting, greeting, a keyring on D-Bus.
pub(crate) fn run_unless<T: Send + 'static>(
    cancel: Option<&AtomicBool>,
    wait: Option<Duration>,
    call: impl FnOnce() -> T + Send + 'static,
) -> Result<T, GaveUp> {
    const POLL: Duration = Duration::from_millis(50);
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .spawn(move || {
            // Nobody may be listening any more: then the answer is dropped.
            let _ = sender.send(call());
        })
        .map_err(|_| GaveUp::NoThread)?;
    let deadline = wait.map(|wait| Instant::now() + wait);
    loop {
        if cancel.is_some_and(|cancel| cancel.load(Ordering::SeqCst)) {
            return Err(GaveUp::Interrupted);
        }
        let left = deadline.map_or(POLL, |deadline| deadline.saturating_duration_since(Instant::now()));
        match receiver.recv_timeout(left.min(POLL)) {
            Ok(answer) => return Ok(answer),
            Err(RecvTimeoutError::Timeout) if !left.is_zero() => {}
            Err(RecvTimeoutError::Timeout) => return Err(GaveUp::TimedOut),
            Err(RecvTimeoutError::Disconnected) => return Err(GaveUp::NoThread),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_unless_gives_the_answer_or_gives_up_on_ctrl_c_or_the_wait() {
        assert_eq!(run_unless(None, None, || 7), Ok(7));
        let slow = || std::thread::sleep(Duration::from_secs(5));
        let started = Instant::now();
        assert_eq!(run_unless(None, Some(Duration::from_millis(100)), slow), Err(GaveUp::TimedOut));
        let cancel = Arc::new(AtomicBool::new(false));
        let setter = Arc::clone(&cancel);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            setter.store(true, Ordering::SeqCst);
        });
        // No wait of its own: only Ctrl-C ends it.
        assert_eq!(run_unless(Some(&cancel), None, slow), Err(GaveUp::Interrupted));
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }
}
