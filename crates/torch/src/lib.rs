//! `torch`: Route 2 of the chapter ("Implementación con biblioteca estándar (PyTorch)") on
//! libtorch through tch: the same models as `scratch`, built from the same
//! `common::spec::ModelSpec`, started from the same `common::init` weights and driven by the
//! same `common::fit` loop, with autograd doing the backward pass.
//!
//! Chapter map: `models.MLP(nn.Module)` → [`model`], `torch.optim.Adam`/`SGD` → [`optim`],
//! `train_one_epoch` → the step loop behind [`TorchBackend`] (`train::train_one_epoch`, its
//! body `Learner::train_step`), `validate` → its `logits`, "Uso de GPU" and
//! `set_seed(deterministic)` → [`device`], `torch.cuda.is_available()` → [`mod@doctor`] (with
//! [`loaded`]: the libtorch this process runs on), `make_loaders` (TensorDataset) →
//! device-resident batching (`loader`), `main.py` → [`TorchFactory`] for `common::app`'s
//! command line, which sets up every run. [`mod@bench`] measures throughput.

#[cfg(feature = "mimalloc")]
mod alloc;
pub mod backend;
pub mod bench;
pub mod convert;
pub mod cpp_loop;
pub mod device;
pub mod doctor;
pub mod factory;
pub mod loaded;
mod loader;
pub mod model;
pub mod optim;
mod train;

pub use backend::{TorchBackend, TorchOptions};
pub use bench::{bench, BenchReport};
pub use convert::Precision;
pub use device::DeviceChoice;
pub use doctor::{doctor, Doctor};
pub use factory::{build_backend, TorchFactory};
