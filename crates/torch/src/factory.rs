//! [`TorchFactory`]: how the shared command line (`common::app`: `train`, `eval`, `predict` and
//! the no-argument chapter run, which sets up every run through `common::app`) builds a torch
//! backend, with the device, precision and threads chosen on the `torch` command line; and
//! [`build_backend`], the same for a prepared dataset (benchmarks, tests).

use common::app::{BackendFactory, BuildArgs};
use common::config::Config;
use common::data::augment::Augmenter;
use common::data::{Prepared, XY};
use common::fit::Backend;
use common::init::initial_params;
use common::loss_weights::LossWeights;
use common::preprocess::Preprocessor;
use common::spec::ModelSpec;
use common::Result;

use crate::backend::{TorchBackend, TorchOptions};

/// Builds [`TorchBackend`]s with fixed [`TorchOptions`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TorchFactory {
    /// Device, precision and threads of every backend built.
    pub opts: TorchOptions,
}

impl BackendFactory for TorchFactory {
    fn build(&self, args: &BuildArgs<'_>) -> Result<Box<dyn Backend>> {
        let backend = TorchBackend::new(args.spec, args.params, args.cfg, args.train, &self.opts)?;
        let augmenter = Augmenter::new(args.pre, &args.cfg.data.augment);
        let weights = loss_weights(args.cfg, args.spec, args.train, args.pre)?;
        Ok(Box::new(
            backend
                .with_augmenter(augmenter, args.train)
                .with_loss_weights(weights.as_ref())?,
        ))
    }
    fn name(&self) -> &'static str {
        "torch"
    }
    /// The chapter's Route 2 run.
    fn default_config(&self) -> Config {
        Config::chapter_route2()
    }
}

/// A torch backend for `cfg` on prepared `data`, from the run's shared initial weights
/// (`common::init::initial_params`), so that it starts exactly where the scratch backend
/// starts, with image augmentation when `cfg.data.augment` asks for it.
pub fn build_backend(
    cfg: &Config,
    data: &Prepared,
    spec: &ModelSpec,
    opts: &TorchOptions,
) -> Result<TorchBackend> {
    let backend = TorchBackend::new(spec, &initial_params(spec, cfg), cfg, &data.train, opts)?;
    let weights = loss_weights(cfg, spec, &data.train, &data.pre)?;
    backend
        .with_augmenter(Augmenter::new(&data.pre, &cfg.data.augment), &data.train)
        .with_loss_weights(weights.as_ref())
}

/// The run's class weights (`train.class_weights`) on its training labels.
fn loss_weights(
    cfg: &Config,
    spec: &ModelSpec,
    train: &XY,
    pre: &Preprocessor,
) -> Result<Option<LossWeights>> {
    let rule = cfg.train.class_weights.as_ref();
    LossWeights::resolve(rule, spec.head, &train.y, &pre.class_names)
}
