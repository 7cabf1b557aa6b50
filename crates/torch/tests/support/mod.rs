//! Helpers shared by the torch crate's black-box tests: a backend for a config, and the epoch
//! contexts `common::fit` would give it (same seeds, same orders), so that tests can drive
//! `train_epoch` directly.

#![allow(dead_code)]

use common::config::Config;
use common::data::{prepare, Prepared};
use common::fit::{Backend, EpochCtx, EpochStats};
use common::seed::{permutation, Seeds, Stream};
use common::spec::ModelSpec;
use torch::{build_backend, Precision, TorchBackend, TorchOptions};

/// A small, fast version of the chapter's Route 2 config (n=600, 2→16→16→2).
pub fn small_config() -> Config {
    let mut cfg = Config::chapter_route2();
    cfg.data.n = 600;
    cfg.model.hidden = vec![16, 16];
    cfg.train.batch_size = 32;
    cfg.train.epochs = 3;
    cfg
}

/// CPU options with the given precision and one thread (tests run in parallel).
pub fn cpu(precision: Precision) -> TorchOptions {
    TorchOptions {
        precision,
        threads: Some(1),
        adam: torch::optim::AdamKernel::default(),
        ..TorchOptions::default()
    }
}

/// Prepared data, spec and a fresh backend for `cfg`.
pub fn setup(cfg: &Config, opts: &TorchOptions) -> (Prepared, ModelSpec, TorchBackend) {
    let data = prepare(cfg).expect("prepare data");
    let spec = ModelSpec::from_config(cfg, data.n_features(), data.image_shape, data.n_classes())
        .expect("spec");
    let backend = build_backend(cfg, &data, &spec, opts).expect("backend");
    (data, spec, backend)
}

/// The context `common::fit` gives epoch `epoch` of `cfg` (constant LR).
pub fn ctx(cfg: &Config, epoch: usize) -> EpochCtx {
    let ctx = EpochCtx::new(cfg, &Seeds::new(cfg.seed), epoch, cfg.optim.lr).expect("epoch ctx");
    EpochCtx {
        log_grad_norms: false,
        ..ctx
    }
}

/// The loop's shuffled order of the training rows for `epoch`.
pub fn order(cfg: &Config, n: usize, epoch: usize) -> Vec<usize> {
    permutation(
        n,
        &mut Seeds::new(cfg.seed).epoch_rng(Stream::Shuffle, epoch),
    )
}

/// Trains epochs `first..=last` as the loop would.
pub fn train(
    b: &mut dyn Backend,
    cfg: &Config,
    n: usize,
    first: usize,
    last: usize,
) -> Vec<EpochStats> {
    (first..=last)
        .map(|e| {
            b.train_epoch(&order(cfg, n, e), &ctx(cfg, e))
                .expect("train epoch")
        })
        .collect()
}
