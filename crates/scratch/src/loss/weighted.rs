//! The class-weighted losses (`train.class_weights`), as PyTorch defines them:
//!
//! * `nn.CrossEntropyLoss(weight=w)`: `L = Σᵢ w[yᵢ]·ℓᵢ / Σᵢ w[yᵢ]` with `ℓᵢ = −log softmax(zᵢ)[yᵢ]`;
//!   gradient `∂L/∂zᵢ = (w[yᵢ] / Σ w[y])·(softmax(zᵢ) − onehot(yᵢ))`.
//! * `nn.BCEWithLogitsLoss(weight=ω, pos_weight=π)`: with `λᵢ = (π − 1)·yᵢ + 1`,
//!   `ℓᵢ = ω·((1 − yᵢ)·zᵢ − λᵢ·log σ(zᵢ))` and `L = Σ ℓᵢ / n`; gradient
//!   `∂L/∂zᵢ = ω·((π·yᵢ + 1 − yᵢ)·σ(zᵢ) − π·yᵢ) / n` (a positive's pull is π times stronger).
//!
//! Without weights (the chapter's losses) `Loss` never comes here, so unweighted runs keep
//! their numbers bit for bit.

use common::loss_weights::LossWeights;
use ndarray::ArrayView2;

use super::{sigmoid_and_log, softmax_and_nll};
use crate::float::Float;

/// The weights in the run's float type, and what the last forward pass needs for backward.
#[derive(Debug, Clone)]
pub(super) struct Weights<F> {
    kind: Kind<F>,
    /// `Σ w[yᵢ]` of the last batch (softmax), or its `n` (BCE): the mean's denominator.
    total: f64,
}

#[derive(Debug, Clone)]
enum Kind<F> {
    Softmax(Vec<F>),
    Bce { weight: Option<F>, pos_weight: F },
}

impl<F: Float> Weights<F> {
    pub(super) fn new(w: &LossWeights) -> Self {
        let kind = match w {
            LossWeights::Softmax(w) => Kind::Softmax(w.iter().map(|&v| F::of(v)).collect()),
            LossWeights::Bce { weight, pos_weight } => Kind::Bce {
                weight: weight.map(F::of),
                pos_weight: F::of(*pos_weight),
            },
        };
        Weights { kind, total: 0.0 }
    }

    /// The weighted mean loss of a batch (0 for an empty one); writes the probabilities
    /// into `probs` (row-major, as the logits).
    ///
    /// # Shapes
    /// `logits`: `[n, 1]` or `[n, K]`; `labels`: `[n]`; `probs`: `n·(1 or K)`.
    pub(super) fn forward(
        &mut self,
        logits: ArrayView2<'_, F>,
        labels: &[usize],
        probs: &mut [F],
    ) -> f64 {
        let (one, zero) = (F::one(), F::zero());
        let (mut sum, mut total) = (0.0, 0.0);
        match &self.kind {
            Kind::Bce { weight, pos_weight } => {
                for ((p, &z), &label) in probs.iter_mut().zip(logits.iter()).zip(labels) {
                    let log_sigmoid;
                    (*p, log_sigmoid) = sigmoid_and_log(z);
                    let y = if label == 1 { one } else { zero };
                    let log_weight = (*pos_weight - one) * y + one;
                    let mut l = (one - y) * z - log_sigmoid * log_weight;
                    if let Some(w) = weight {
                        l *= *w;
                    }
                    sum += l.as_f64();
                }
                total = labels.len() as f64;
            }
            Kind::Softmax(w) => {
                let k = logits.ncols();
                let rows = probs.chunks_exact_mut(k).zip(logits.rows());
                for ((p, z), &label) in rows.zip(labels) {
                    let wy = w[label];
                    sum += (wy * softmax_and_nll(z, p, label)).as_f64();
                    total += wy.as_f64();
                }
            }
        }
        self.total = total;
        if total == 0.0 {
            0.0
        } else {
            sum / total
        }
    }

    /// The gradient of the last forward pass's weighted mean loss into `grad`.
    ///
    /// # Shapes
    /// `probs`, `grad`: `n·k` row-major; `labels`: `[n]`.
    pub(super) fn backward(&self, probs: &[F], labels: &[usize], k: usize, grad: &mut [F]) {
        let (one, zero) = (F::one(), F::zero());
        let total = F::of(self.total.max(f64::MIN_POSITIVE));
        match &self.kind {
            Kind::Bce { weight, pos_weight } => {
                for ((g, &p), &label) in grad.iter_mut().zip(probs).zip(labels) {
                    let y = if label == 1 { one } else { zero };
                    let t = *pos_weight * y;
                    let mut d = (t + one - y) * p - t;
                    if let Some(w) = weight {
                        d *= *w;
                    }
                    *g = d / total;
                }
            }
            Kind::Softmax(w) => {
                let rows = grad.chunks_exact_mut(k).zip(probs.chunks_exact(k));
                for ((g, p), &label) in rows.zip(labels) {
                    let scale = w[label] / total;
                    for (j, (g, &p)) in g.iter_mut().zip(p).enumerate() {
                        let target = if j == label { one } else { zero };
                        *g = (p - target) * scale;
                    }
                }
            }
        }
    }
}
