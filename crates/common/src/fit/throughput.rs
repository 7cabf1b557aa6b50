//! Throughput measurement for the benches: the loop's own per-epoch order and seeds, but only
//! the training steps are timed (no validation, no files), so both backends' `bench`
//! subcommands and `compare bench` measure the same thing the same way.

use std::time::Instant;

use super::{Backend, EpochCtx};
use crate::config::Config;
use crate::seed::{permutation, Seeds, Stream};
use crate::Result;

/// Trains `backend` (built on `n_train` rows) for `cfg.train.epochs` epochs at the constant
/// `cfg.optim.lr` and returns training samples per second of step time.
pub fn train_samples_per_sec(
    backend: &mut dyn Backend,
    cfg: &Config,
    n_train: usize,
) -> Result<f64> {
    let seeds = Seeds::new(cfg.seed);
    let mut seconds = 0.0;
    for epoch in 1..=cfg.train.epochs {
        let order = permutation(n_train, &mut seeds.epoch_rng(Stream::Shuffle, epoch));
        let ctx = EpochCtx {
            epoch,
            lr: cfg.optim.lr,
            batch_size: cfg.train.batch_size,
            dropout_seed: seeds.epoch_seed(Stream::Dropout, epoch),
            augment_seed: seeds.epoch_seed(Stream::Augment, epoch),
            log_grad_norms: false,
        };
        let start = Instant::now();
        backend.train_epoch(&order, &ctx)?;
        seconds += start.elapsed().as_secs_f64();
    }
    Ok((n_train * cfg.train.epochs) as f64 / seconds.max(1e-12))
}
