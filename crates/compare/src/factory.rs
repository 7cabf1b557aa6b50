//! The two backends as `common::app::BackendFactory`s: the hand-written one in f32 (what the
//! `scratch` binary trains with) and libtorch's in f32 on the chosen device (what the `torch`
//! binary trains with), so that `compare` runs exactly what the two CLIs run.

use common::app::BackendFactory;
pub use scratch::ScratchFactory;
use torch::{DeviceChoice, Precision, TorchFactory, TorchOptions};

/// The torch factory in f32 on `device` (libtorch picks its thread count per model).
pub fn torch_factory(device: DeviceChoice) -> TorchFactory {
    TorchFactory {
        opts: TorchOptions {
            device,
            precision: Precision::F32,
            threads: None,
            adam: torch::optim::AdamKernel::default(),
        },
    }
}

/// Both factories, scratch first (the order of every table and plot).
pub fn both(device: DeviceChoice) -> [Box<dyn BackendFactory>; 2] {
    [Box::new(ScratchFactory), Box::new(torch_factory(device))]
}
