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

#[cfg(test)]
mod tests {
    use super::super::Loss;
    use common::loss_weights::LossWeights;
    use common::spec::Head;
    use ndarray::Array2;

    /// Central differences of the weighted mean loss against the hand-written backward, f64.
    fn gradcheck(head: Head, w: LossWeights, k: usize, y: &[usize]) {
        let n = y.len();
        let z = Array2::from_shape_fn((n, k), |(i, j)| ((i * 7 + j * 3) % 11) as f64 * 0.37 - 1.9);
        let mut loss = Loss::<f64>::new(head).with_weights(Some(&w));
        loss.forward(z.view(), y).unwrap();
        let analytic = loss.backward().to_owned();
        let eps = 1e-6;
        for i in 0..n {
            for j in 0..k {
                let mut zp = z.clone();
                zp[[i, j]] += eps;
                let up = loss.forward(zp.view(), y).unwrap();
                zp[[i, j]] -= 2.0 * eps;
                let down = loss.forward(zp.view(), y).unwrap();
                let numeric = (up - down) / (2.0 * eps);
                let a = analytic[[i, j]];
                assert!(
                    (a - numeric).abs() <= 1e-8 * (1.0 + a.abs()),
                    "{head:?} [{i}, {j}]: analytic {a}, numeric {numeric}"
                );
            }
        }
    }

    #[test]
    fn weighted_gradients_match_finite_differences() {
        let y3 = [0, 2, 1, 1, 0, 2, 2];
        gradcheck(
            Head::Softmax { classes: 3 },
            LossWeights::Softmax(vec![0.4, 2.5, 1.3]),
            3,
            &y3,
        );
        let y2 = [0, 1, 0, 0, 1, 0];
        let pos = LossWeights::Bce {
            weight: None,
            pos_weight: 3.5,
        };
        gradcheck(Head::Bce, pos, 1, &y2);
        let both = LossWeights::Bce {
            weight: Some(0.6),
            pos_weight: 4.0,
        };
        gradcheck(Head::Bce, both, 1, &y2);
    }
}
