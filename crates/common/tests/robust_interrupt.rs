//! In-process tests of the interrupt contract of `fit` (the real-signal tests run the
//! `scratch` binary, in `crates/scratch/tests/robust_signals.rs`): an interrupt during an epoch
//! ends the run after that epoch is saved, with `Error::Interrupted` naming the checkpoint; a
//! backend that stops within an epoch has that partial epoch dropped; an interrupt during the
//! final epoch lets the run complete; resuming reaches the same weights and history as a run
//! never interrupted; the request is forgotten once the run returns.
//!
//! The interrupt flag is process-wide, so these tests take turns (`TURN`).

mod fit_support;

use common::checkpoint::Checkpoint;
use common::config::Config;
use common::fit::{
    interrupted, request_interrupt, Backend, EpochCtx, EpochStats, FitOptions, HISTORY_FILE,
    LAST_FILE,
};
use common::{history, Error, Result};
use fit_support::*;
use std::path::Path;
use std::sync::Mutex;

static TURN: Mutex<()> = Mutex::new(());

/// A softmax regression that asks for an interrupt while training epoch `at`, and with
/// `poll` also stops within that epoch, as a backend polling `interrupted()` would.
fn interrupting(
    inner: SoftmaxReg,
    at: usize,
    poll: bool,
) -> Wrapped<impl FnMut(&mut SoftmaxReg, &[usize], &EpochCtx) -> Result<EpochStats>> {
    let train = move |inner: &mut SoftmaxReg, order: &[usize], ctx: &EpochCtx| {
        if ctx.epoch == at {
            request_interrupt();
            if poll && interrupted() {
                // Half an epoch of steps, then a stop: these updates must not be saved.
                inner.train_epoch(&order[..order.len() / 2], ctx)?;
                return Err(Error::Interrupted {
                    epoch: 0,
                    resume_hint: String::new(),
                });
            }
        }
        inner.train_epoch(order, ctx)
    };
    Wrapped {
        inner,
        name: "test",
        train,
    }
}

/// The epochs of the folder's history (none when no epoch was saved, so no file).
fn epochs_in_history(dir: &Path) -> Vec<usize> {
    let path = dir.join(HISTORY_FILE);
    if !path.exists() {
        return Vec::new();
    }
    let rows = history::read(&path).unwrap();
    rows.iter().map(|r| r.epoch).collect()
}

fn last(dir: &Path) -> Checkpoint {
    Checkpoint::load(&dir.join(LAST_FILE)).unwrap()
}

/// Runs `cfg` uninterrupted, then interrupted at epoch `at` (polling or not) and resumed;
/// checks the interrupted folder and that both end identical. Returns the interrupt's epoch.
fn interrupt_and_resume(cfg: &Config, at: usize, poll: bool) -> usize {
    let (data, spec) = (toy_data(48, 3), linear_spec(2, 3));
    let (full, part) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = SoftmaxReg::new(&data, cfg, 1);
    run_fit(&mut a, cfg, &spec, &data, &options(full.path())).unwrap();

    let mut b = interrupting(SoftmaxReg::new(&data, cfg, 1), at, poll);
    let err = run_fit(&mut b, cfg, &spec, &data, &options(part.path())).unwrap_err();
    let Error::Interrupted { epoch, resume_hint } = &err else {
        panic!("expected Interrupted, got {err:?}");
    };
    assert!(!interrupted(), "the request is forgotten when fit returns");
    let saved = if poll { at - 1 } else { at };
    assert_eq!(*epoch, saved, "{err}");
    let want = format!("--resume {}", part.path().join(LAST_FILE).display());
    assert!(resume_hint.contains(&want), "{err}");
    assert_eq!(
        epochs_in_history(part.path()),
        (1..=saved).collect::<Vec<_>>()
    );
    assert_eq!(last(part.path()).meta.train_state.epoch, saved);

    let mut c = SoftmaxReg::new(&data, cfg, 77);
    let opts = FitOptions {
        resume: Some(part.path().join(LAST_FILE)),
        ..options(part.path())
    };
    run_fit(&mut c, cfg, &spec, &data, &opts).unwrap();
    assert_eq!(
        sorted(a.export().unwrap()),
        sorted(c.export().unwrap()),
        "same final weights"
    );
    assert_eq!(
        sorted(last(full.path()).tensors),
        sorted(last(part.path()).tensors)
    );
    let no_time = |dir: &Path| {
        let mut rows = history::read(&dir.join(HISTORY_FILE)).unwrap();
        rows.iter_mut().for_each(|r| r.seconds = 0.0);
        rows
    };
    assert_eq!(no_time(full.path()), no_time(part.path()));
    saved
}

#[test]
fn interrupt_after_the_epoch_then_resume_exactly() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(interrupt_and_resume(&config(6), 3, false), 3);
    assert_eq!(interrupt_and_resume(&config(6), 1, false), 1);
}

#[test]
fn a_backend_that_stops_within_an_epoch_loses_only_that_epoch() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(interrupt_and_resume(&config(6), 4, true), 3);
}

#[test]
fn stopping_within_the_first_epoch_saves_nothing_and_says_so() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (data, spec, cfg) = (toy_data(48, 3), linear_spec(2, 3), config(4));
    let dir = tempfile::tempdir().unwrap();
    let mut b = interrupting(SoftmaxReg::new(&data, &cfg, 1), 1, true);
    let err = run_fit(&mut b, &cfg, &spec, &data, &options(dir.path())).unwrap_err();
    assert!(
        matches!(err, Error::Interrupted { epoch: 0, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("nothing was saved"), "{err}");
    assert!(!dir.path().join(LAST_FILE).exists());
    assert_eq!(epochs_in_history(dir.path()), Vec::<usize>::new());
}

#[test]
fn an_interrupt_in_the_final_epoch_lets_the_run_complete() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (data, spec, cfg) = (toy_data(48, 3), linear_spec(2, 3), config(3));
    let dir = tempfile::tempdir().unwrap();
    let mut b = interrupting(SoftmaxReg::new(&data, &cfg, 1), 3, false);
    let out = run_fit(&mut b, &cfg, &spec, &data, &options(dir.path())).unwrap();
    assert_eq!(out.epochs_run, 3);
    assert!(!interrupted());
    // The next run in this process is not affected by the old request.
    let mut again = SoftmaxReg::new(&data, &cfg, 1);
    let other = tempfile::tempdir().unwrap();
    assert_eq!(
        run_fit(&mut again, &cfg, &spec, &data, &options(other.path()))
            .unwrap()
            .epochs_run,
        3
    );
}
