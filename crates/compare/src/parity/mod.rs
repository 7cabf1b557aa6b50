//! Parity: evidence that the hand-written gradients of Route 1 are the gradients libtorch
//! computes (`compare parity`, docs/PARITY.md).
//!
//! * [`check_steps`] (f64): both backends start from the same weights and take the same
//!   minibatches in the same order (the loop's seeded order of epoch 1); after every step the
//!   logits, the loss, every gradient and every updated weight must agree to a relative error
//!   ≤ the tolerance (1e-10 by default). The first tensor that does not is an error naming the
//!   step and the tensor.
//! * [`curves::check_curves`] (f32): whole training runs whose per-epoch train and validation
//!   losses must track within a stated tolerance.
//!
//! The relative error of two tensors is `max |a − b| / max(max |a|, max |b|)` (max norms;
//! 0 when both are zero): elementwise ratios would blow up on gradients that cancel to
//! nearly zero, where a difference of 1e-18 means nothing.

pub mod curves;
mod report;
mod scratch_side;
mod torch_side;

pub use report::{ParityReport, Scale};

pub use scratch_side::ScratchStepper;
pub use torch_side::{forward_masked, TorchStepper};

use common::config::Config;
use common::data::{augment::Augmenter, Prepared};
use common::loss_weights::LossWeights;
use common::seed::{permutation, Rng, Seeds, Stream};
use common::spec::ModelSpec;
use common::tensor::NamedTensors;
use common::Result;
use ndarray::Array2;
use rand::SeedableRng;
use torch::Precision;

/// The default tolerance of the f64 check.
pub const F64_TOLERANCE: f64 = 1e-10;

/// The mask one dropout layer applied (0 or `1/(1 − p)` per element, row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct DropoutMask {
    /// Index of the layer in the spec.
    pub layer: usize,
    /// The mask, `[batch · features]`.
    pub mask: Vec<f64>,
}

/// What one backend's training step produced, on the host in f64.
#[derive(Debug, Clone, Default)]
pub struct StepRecord {
    /// Logits of the batch before the update, row-major `[batch · outputs]`.
    pub logits: Vec<f64>,
    /// Mean loss of the batch.
    pub loss: f64,
    /// `(name, ∂L/∂p)` per parameter, spec order.
    pub grads: Vec<(String, Vec<f64>)>,
    /// `(name, p)` per parameter after the update.
    pub weights: Vec<(String, Vec<f64>)>,
    /// Dropout masks drawn in this step (scratch side only).
    pub masks: Vec<DropoutMask>,
    /// Examples in the batch.
    pub batch: usize,
}

impl StepRecord {
    /// A record holding only the loss.
    pub fn loss_only(loss: f64) -> Self {
        StepRecord {
            loss,
            ..StepRecord::default()
        }
    }
}

/// `max |a − b| / max(max |a|, max |b|)`, 0 when both are zero; infinite when the lengths
/// differ or a value is not finite.
pub fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    rel_err_scaled(a, b, 0.0)
}

/// [`rel_err`] with the denominator at least `floor`: `max |a − b| / max(max |a|, max |b|,
/// floor)`.
pub fn rel_err_scaled(a: &[f64], b: &[f64], floor: f64) -> f64 {
    if a.len() != b.len() || a.iter().chain(b).any(|v| !v.is_finite()) {
        return f64::INFINITY;
    }
    let scale = a.iter().chain(b).fold(floor, |m, v| m.max(v.abs()));
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    if scale == 0.0 {
        0.0
    } else {
        diff / scale
    }
}

/// The rows of `x` listed in `rows` and their labels, augmented like a training batch when
/// `augmenter` is set.
///
/// # Shapes
/// `data.train.x`: `[n, d]` → `([rows.len(), d], [rows.len()])`.
pub fn gather(
    data: &Prepared,
    rows: &[usize],
    augmenter: Option<&Augmenter>,
    rng: &mut Rng,
) -> (Array2<f32>, Vec<usize>) {
    let x = data.train.x.select(ndarray::Axis(0), rows);
    let y = rows.iter().map(|&r| data.train.y[r]).collect();
    let mut x = x;
    if let Some(a) = augmenter {
        a.apply(&mut x.view_mut(), rng);
    }
    (x, y)
}

/// The run's class weights (`train.class_weights`), resolved as the backends resolve them.
fn loss_weights(cfg: &Config, data: &Prepared, spec: &ModelSpec) -> Result<Option<LossWeights>> {
    let rule = cfg.train.class_weights.as_ref();
    LossWeights::resolve(rule, spec.head, &data.train.y, &data.pre.class_names)
}

/// The f64 check over the first epoch (or its first `max_steps` steps): scratch in f64, torch
/// in `Kind::Double`, from `init`, with `cfg`'s optimizer, learning rate and batch size, and
/// the loop's order of epoch 1. Returns the worst error per tensor, or the first divergence.
pub fn check_steps(
    cfg: &Config,
    data: &Prepared,
    spec: &ModelSpec,
    init: &NamedTensors,
    tolerance: f64,
    max_steps: Option<usize>,
) -> Result<ParityReport> {
    let seeds = Seeds::new(cfg.seed);
    let w = loss_weights(cfg, data, spec)?;
    let mut scratch =
        ScratchStepper::<f64>::new(spec, init, &cfg.optim)?.with_loss_weights(w.as_ref());
    let mut torch =
        TorchStepper::new(spec, init, &cfg.optim, Precision::F64)?.with_loss_weights(w.as_ref())?;
    scratch.set_dropout_seed(seeds.epoch_seed(Stream::Dropout, 1));
    let augmenter = Augmenter::new(&data.pre, &cfg.data.augment);
    let mut aug_rng = Rng::seed_from_u64(seeds.epoch_seed(Stream::Augment, 1));
    let order = permutation(data.train.y.len(), &mut seeds.epoch_rng(Stream::Shuffle, 1));
    let mut report = ParityReport::new(tolerance);
    let batches = order.chunks(cfg.train.batch_size.max(1));
    for (step, rows) in batches.take(max_steps.unwrap_or(usize::MAX)).enumerate() {
        let (x, y) = gather(data, rows, augmenter.as_ref(), &mut aug_rng);
        let a = scratch.step(x.view(), &y, cfg.optim.lr, true)?;
        let b = torch.step(x.view(), &y, cfg.optim.lr, &a.masks, true)?;
        report.compare(step, &a, &b)?;
        report.steps += 1;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_err_is_max_norm_relative() {
        assert_eq!(rel_err(&[0.0, 0.0], &[0.0, 0.0]), 0.0);
        assert!((rel_err(&[1.0, 2.0], &[1.0, 2.002]) - 0.002 / 2.002).abs() < 1e-15);
        // A tiny element does not dominate: the scale is the tensor's largest magnitude.
        assert!(rel_err(&[1e-20, 1.0], &[2e-20, 1.0]) < 1e-19);
        assert_eq!(rel_err(&[1.0], &[1.0, 2.0]), f64::INFINITY);
        assert_eq!(rel_err(&[f64::NAN], &[f64::NAN]), f64::INFINITY);
    }
}
