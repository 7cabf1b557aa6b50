//! [`TorchFactory`]: how the shared command line (`common::app`: `train`, `eval`, `predict` and
//! the no-argument chapter run, which sets up every run through `common::app`) builds a torch
//! backend, with the device, precision and threads chosen on the `torch` command line; and
//! [`build_backend`], the same for a prepared dataset (benchmarks, tests).

use common::app::{BackendFactory, BuildArgs};
use common::config::Config;
use common::data::augment::Augmenter;
use common::data::Prepared;
use common::fit::Backend;
use common::init::initial_params;
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
        Ok(Box::new(backend.with_augmenter(augmenter, args.train)))
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
    Ok(backend.with_augmenter(Augmenter::new(&data.pre, &cfg.data.augment), &data.train))
}
