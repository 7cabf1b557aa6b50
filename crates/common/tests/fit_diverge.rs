//! Black-box tests of a diverging run: `Error::Diverged` from the backend (or a non-finite
//! loss it failed to report) propagates, and the completed epochs' checkpoints and history
//! stay on disk.

mod fit_support;

use common::checkpoint::Checkpoint;
use common::fit::{Backend, EpochCtx, EpochStats, BEST_FILE, HISTORY_FILE, LAST_FILE};
use common::{history, Error, Result};
use fit_support::*;

#[test]
fn a_diverged_epoch_propagates_and_keeps_the_best_checkpoint() {
    let (cfg, data, spec) = (config(5), toy_data(40, 3), linear_spec(2, 3));
    let dir = tempfile::tempdir().unwrap();
    let mut b = SoftmaxReg::new(&data, &cfg, 1);
    b.diverge_at = Some(3);
    match run_fit(&mut b, &cfg, &spec, &data, &options(dir.path())) {
        Err(Error::Diverged { epoch: 3, .. }) => {}
        other => panic!("expected Diverged at epoch 3, got {other:?}"),
    }
    let best = Checkpoint::load(&dir.path().join(BEST_FILE)).unwrap();
    assert!((1..=2).contains(&best.meta.train_state.epoch));
    assert_eq!(
        Checkpoint::load(&dir.path().join(LAST_FILE))
            .unwrap()
            .meta
            .train_state
            .epoch,
        2
    );
    let rows = history::read(&dir.path().join(HISTORY_FILE)).unwrap();
    assert_eq!(rows.iter().map(|r| r.epoch).collect::<Vec<_>>(), vec![1, 2]);
}

/// Reports a NaN loss at `nan_at` instead of an error, as a careless backend might.
fn silent_nan(
    inner: SoftmaxReg,
    nan_at: usize,
) -> Wrapped<impl FnMut(&mut SoftmaxReg, &[usize], &EpochCtx) -> Result<EpochStats>> {
    let train = move |inner: &mut SoftmaxReg, order: &[usize], ctx: &EpochCtx| {
        let mut stats = inner.train_epoch(order, ctx)?;
        if ctx.epoch == nan_at {
            stats.loss_sum = f64::NAN;
        }
        Ok(stats)
    };
    Wrapped {
        inner,
        name: "silent",
        train,
    }
}

#[test]
fn an_unreported_nan_loss_is_caught() {
    let (cfg, data, spec) = (config(4), toy_data(40, 2), linear_spec(2, 2));
    let dir = tempfile::tempdir().unwrap();
    let mut b = silent_nan(SoftmaxReg::new(&data, &cfg, 1), 2);
    let e = run_fit(&mut b, &cfg, &spec, &data, &options(dir.path())).unwrap_err();
    match &e {
        // 40 rows in batches of 16: the last batch of the epoch is batch 2.
        Error::Diverged {
            epoch: 2,
            batch: 2,
            loss,
        } => assert!(loss.is_nan()),
        other => panic!("expected Diverged at epoch 2, got {other:?}"),
    }
    assert!(
        e.to_string().contains("optim.lr"),
        "the message suggests the fix: {e}"
    );
    assert_eq!(
        history::read(&dir.path().join(HISTORY_FILE)).unwrap().len(),
        1
    );
    assert_eq!(
        Checkpoint::load(&dir.path().join(BEST_FILE))
            .unwrap()
            .meta
            .train_state
            .epoch,
        1
    );
}
