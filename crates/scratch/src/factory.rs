//! The hand-written backend as a `common::app::BackendFactory` (in f32, with augmentation when
//! the config asks for it): what the `scratch` binary trains with, and what `compare` runs on
//! its scratch side, so both run exactly the same thing.

use common::app::{BackendFactory, BuildArgs};
use common::config::Config;
use common::data::augment::Augmenter;
use common::fit::Backend;
use common::loss_weights::LossWeights;
use common::Result;

use crate::backend::ScratchBackend;

/// Builds `ScratchBackend<f32>`s; its default config is the chapter's Route 1 run.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScratchFactory;

impl BackendFactory for ScratchFactory {
    fn build(&self, args: &BuildArgs<'_>) -> Result<Box<dyn Backend>> {
        let BuildArgs {
            spec,
            params,
            cfg,
            train,
            pre,
        } = *args;
        let mut backend = ScratchBackend::<f32>::new(spec, params, &cfg.optim, train)?;
        backend.set_augmenter(Augmenter::new(pre, &cfg.data.augment));
        backend.set_cache_frozen(cfg.train.cache_frozen);
        let weights = LossWeights::resolve(
            cfg.train.class_weights.as_ref(),
            spec.head,
            &train.y,
            &pre.class_names,
        )?;
        backend.set_loss_weights(weights.as_ref());
        Ok(Box::new(backend))
    }
    fn name(&self) -> &'static str {
        "scratch"
    }
    /// The chapter's Route 1 run.
    fn default_config(&self) -> Config {
        Config::default()
    }
}
