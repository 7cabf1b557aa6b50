//! The hand-written backend as a `common::app::BackendFactory` (in f32, with augmentation when
//! the config asks for it): what the `scratch` binary trains with, and what `compare` runs on
//! its scratch side, so both run exactly the same thing.

use common::app::BackendFactory;
use common::config::Config;
use common::data::augment::Augmenter;
use common::data::XY;
use common::fit::Backend;
use common::preprocess::Preprocessor;
use common::spec::ModelSpec;
use common::tensor::NamedTensors;
use common::Result;

use crate::backend::ScratchBackend;

/// Builds `ScratchBackend<f32>`s; its default config is the chapter's Route 1 run.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScratchFactory;

impl BackendFactory for ScratchFactory {
    fn name(&self) -> &'static str {
        "scratch"
    }
    fn default_config(&self) -> Config {
        Config::default()
    }
    fn build(
        &self,
        spec: &ModelSpec,
        params: &NamedTensors,
        cfg: &Config,
        train: &XY,
        pre: &Preprocessor,
    ) -> Result<Box<dyn Backend>> {
        let mut backend = ScratchBackend::<f32>::new(spec, params, &cfg.optim, train)?;
        backend.set_augmenter(Augmenter::new(pre, &cfg.data.augment));
        Ok(Box::new(backend))
    }
}
