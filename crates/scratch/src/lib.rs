//! `scratch`: Route 1 of the chapter, by hand — an MLP (and a small CNN) on ndarray with every
//! forward and backward pass written out, generic over the float type ([`Float`]: `f32` to
//! train fast, `f64` for gradient checks and parity with libtorch).
//!
//! Chapter map: `layers.py` → [`layers`] (the [`layers::Layer`] trait; Linear, ReLU, plus
//! Tanh, Sigmoid, Dropout, Conv2d, MaxPool2d, Flatten), `losses.py` → [`loss`], `model.py` →
//! [`model`], `optim.py` → [`optim`], `iterate_minibatches` → [`batch`], the step of
//! `train.py` → [`ScratchBackend::train_step`] (behind `common::fit::Backend`), the debugging
//! checklist's gradient check → [`gradcheck`]. [`mod@bench`] measures training throughput.
//!
//! Two levels: the modules above read like the chapter; the speed lives underneath in
//! [`ops`], kernels named for what they compute (`linear_forward`, `weight_grad`, ...).

pub mod backend;
pub mod batch;
pub mod bench;
pub mod factory;
pub mod float;
pub mod gradcheck;
pub mod layers;
pub mod loss;
pub mod model;
pub mod ops;
pub mod optim;

pub use backend::ScratchBackend;
pub use factory::ScratchFactory;
pub use float::Float;
pub use model::Model;
