//! Stopping a run cleanly on Ctrl-C, SIGTERM or SIGHUP (a closed terminal, `kill`, a batch
//! scheduler's time limit). Not in the chapter, whose `fit` simply dies: here a long run left
//! alone must lose nothing.
//!
//! The first signal only sets a process-wide flag. Each backend's step loop checks it before
//! every minibatch ([`check_interrupted`]), so a run stops within one step, however long its
//! epochs: the partial epoch is dropped unsaved and the loop ends the run with
//! `Error::Interrupted`, naming the checkpoint of the last completed epoch, from which
//! `--resume` continues exactly (every random stream is derived from the seed and the epoch).
//! The loop also checks the flag after each saved epoch, for backends that do not poll.
//!
//! A second signal while the first is pending exits at once with status 130: every file of
//! the run folder is written atomically, so even that leaves only complete files behind. A
//! signal while no run is in progress also exits with 130, as if no handler were installed.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Once;

/// Exit status of an interrupted run (128 + SIGINT, as shells report Ctrl-C): a run stopped
/// cleanly by the first signal, a second interrupt, or one outside a run.
pub const EXIT_INTERRUPTED: i32 = 130;

/// Set by the first signal during a run, cleared when the last run in progress returns.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Runs in progress in this process (the flag only means something while one is).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
/// The handler is installed once per process, on the first run.
static INSTALL: Once = Once::new();

/// True once an interrupt was received during the run in progress. Cheap (one atomic load):
/// a backend may poll it between minibatches and stop early (see the module docs).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// For a backend's step loop, between two minibatches: `Err(Error::Interrupted)` once an
/// interrupt was received, so that `check_interrupted()?` stops the epoch within one step.
/// The epoch loop drops the partial epoch and fills in the resume hint.
pub fn check_interrupted() -> crate::Result<()> {
    if interrupted() {
        return Err(crate::Error::Interrupted {
            epoch: 0,
            resume_hint: String::new(),
        });
    }
    Ok(())
}

/// Asks the run in progress to stop within its current step, as Ctrl-C does (for programs that
/// embed the loop, such as a GUI's stop button, and for tests). The request is forgotten when
/// the last run in progress returns.
pub fn request_interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// The handler, run by `ctrlc` on its own thread (not in signal context, so printing is safe).
fn on_signal() {
    if ACTIVE.load(Ordering::SeqCst) == 0 || INTERRUPTED.swap(true, Ordering::SeqCst) {
        crate::errln!("\ninterrupted: quitting now (files already saved are complete)");
        std::process::exit(EXIT_INTERRUPTED);
    }
    crate::errln!(
        "\ninterrupt received: stopping after the current step; the last completed epoch stays \
         saved and resumable (interrupt again to quit at once)"
    );
}

/// Marks a run in progress for as long as it lives; the first one installs the handler.
pub(super) struct Watch(());

impl Watch {
    /// Starts watching (installing the handler on the first call in this process).
    pub(super) fn start() -> Watch {
        INSTALL.call_once(|| {
            if let Err(e) = ctrlc::set_handler(on_signal) {
                // Another part of the program owns the signals: it decides what they do.
                tracing::warn!("cannot install the interrupt handler ({e}); Ctrl-C will not save");
            }
        });
        ACTIVE.fetch_add(1, Ordering::SeqCst);
        Watch(())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if ACTIVE.fetch_sub(1, Ordering::SeqCst) == 1 {
            INTERRUPTED.store(false, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_seen_then_forgotten_when_the_run_ends() {
        // The only unit test touching the flag, so no other test of this binary races it.
        let watch = Watch::start();
        assert!(!interrupted());
        request_interrupt();
        assert!(interrupted());
        drop(watch);
        assert!(!interrupted(), "cleared when the last run returns");
    }
}
