//! The two backends as `common::app::BackendFactory`s: the hand-written one in f32 (what the
//! `scratch` binary trains with) and libtorch's in f32 on the chosen device (what the `torch`
//! binary trains with), so that `compare` runs exactly what the two CLIs run.

use common::app::BackendFactory;
use common::config::Config;
use common::data::augment::Augmenter;
use common::data::XY;
use common::fit::Backend;
use common::preprocess::Preprocessor;
use common::spec::ModelSpec;
use common::tensor::NamedTensors;
use common::Result;
use scratch::ScratchBackend;
use torch::{DeviceChoice, Precision, TorchFactory, TorchOptions};

/// Builds `ScratchBackend<f32>`s, with augmentation when the config asks for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScratchFactory;

impl BackendFactory for ScratchFactory {
    fn name(&self) -> &'static str {
        "scratch"
    }
    /// The chapter's Route 1 run.
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

/// The torch factory in f32 on `device` (libtorch picks its thread count per model).
pub fn torch_factory(device: DeviceChoice) -> TorchFactory {
    TorchFactory {
        opts: TorchOptions {
            device,
            precision: Precision::F32,
            threads: None,
        },
    }
}

/// Both factories, scratch first (the order of every table and plot).
pub fn both(device: DeviceChoice) -> [Box<dyn BackendFactory>; 2] {
    [Box::new(ScratchFactory), Box::new(torch_factory(device))]
}
