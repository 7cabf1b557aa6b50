//! Losses on logits (the chapter's `losses.BCEWithLogitsLoss`, and `nn.CrossEntropyLoss` of
//! Route 2), each a forward that caches what its backward needs.
//!
//! * BCE-with-logits: `ℓ = (1 − y)·z − log σ(z)`, with `log σ(z) = min(z, 0) − log1p(e^{−|z|})`
//!   (PyTorch's formula), so no `exp` ever overflows and `|z| = 10⁴` gives a finite loss;
//!   gradient `(σ(z) − y)/n`.
//! * Softmax cross-entropy: `ℓ = −(z_y − m − log Σ e^{z_j − m})` with `m = max z` (log-sum-exp);
//!   gradient `(softmax(z) − onehot(y))/n`.
//!
//! Both are averaged over the batch, as `reduction="mean"`; with class weights
//! (`train.class_weights`) the weighted forms of [`weighted`] replace them.

use common::spec::Head;
use common::{Error, Result};
use ndarray::{ArrayView1, ArrayView2};

use crate::float::Float;
use crate::ops::Buf;

mod weighted;
use weighted::Weights;

/// The loss of a head, with its cache (probabilities and labels of the last forward pass).
#[derive(Debug, Clone)]
pub struct Loss<F: Float> {
    head: Head,
    /// `σ(z)` `[n, 1]` or `softmax(z)` `[n, K]`: the cache of the backward pass.
    probs: Buf<F>,
    labels: Vec<usize>,
    grad: Buf<F>,
    /// Class weights, when the run has them.
    weights: Option<Weights<F>>,
}

impl<F: Float> Loss<F> {
    /// The loss of `head` (BCE for one logit, cross-entropy for K).
    pub fn new(head: Head) -> Self {
        Loss {
            head,
            probs: Buf::new(),
            labels: Vec::new(),
            grad: Buf::new(),
            weights: None,
        }
    }

    /// The same loss with class weights (PyTorch's `weight` / `pos_weight`), or without.
    pub fn with_weights(mut self, weights: Option<&common::loss_weights::LossWeights>) -> Self {
        self.weights = weights.map(Weights::new);
        self
    }
    /// Logits per example (1 or K).
    pub fn n_outputs(&self) -> usize {
        match self.head {
            Head::Bce => 1,
            Head::Softmax { classes } => classes,
        }
    }

    /// Mean loss of `logits` against class indices `y` (0/1 for BCE); caches the
    /// probabilities. An empty batch has loss 0. A label out of range is an error naming
    /// the row; a NaN or infinite logit gives a non-finite loss (the caller reports it).
    ///
    /// # Shapes
    /// `logits`: `[n, 1]` (BCE) or `[n, K]`; `y`: `[n]`.
    pub fn forward(&mut self, logits: ArrayView2<'_, F>, y: &[usize]) -> Result<f64> {
        let (n, k) = logits.dim();
        if k != self.n_outputs() || y.len() != n {
            let msg = format!(
                "loss: logits {:?} and {} labels for {} outputs",
                logits.dim(),
                y.len(),
                self.n_outputs()
            );
            return Err(Error::Shape(msg));
        }
        let classes = if k == 1 { 2 } else { k };
        if let Some((row, &label)) = y.iter().enumerate().find(|(_, &c)| c >= classes) {
            return Err(Error::Shape(format!(
                "loss: label {label} at row {row} is not one of {classes} classes"
            )));
        }
        self.labels.clear();
        self.labels.extend_from_slice(y);
        self.probs.resize(n, k);
        if let Some(w) = &mut self.weights {
            return Ok(w.forward(logits, &self.labels, self.probs.as_mut_slice()));
        }
        let sum = if k == 1 {
            self.bce_forward(logits)
        } else {
            self.ce_forward(logits)
        };
        Ok(if n == 0 { 0.0 } else { sum / n as f64 })
    }

    /// Sum over rows of the BCE loss; caches `σ(z)`.
    fn bce_forward(&mut self, logits: ArrayView2<'_, F>) -> f64 {
        let (one, zero) = (F::one(), F::zero());
        let mut sum = 0.0;
        let logits = logits.as_standard_layout(); // a borrow, no copy, for the usual contiguous logits
        let z = logits.as_slice().expect("standard layout");
        for ((p, &z), &label) in self
            .probs
            .as_mut_slice()
            .iter_mut()
            .zip(z)
            .zip(&self.labels)
        {
            let log_sigmoid;
            (*p, log_sigmoid) = sigmoid_and_log(z);
            let y = if label == 1 { one } else { zero };
            sum += ((one - y) * z - log_sigmoid).as_f64();
        }
        sum
    }

    /// Sum over rows of the cross-entropy; caches `softmax(z)`.
    fn ce_forward(&mut self, logits: ArrayView2<'_, F>) -> f64 {
        let k = logits.ncols();
        let mut sum = 0.0;
        let probs = self.probs.as_mut_slice().chunks_exact_mut(k);
        for ((p, z), &label) in probs.zip(logits.rows()).zip(&self.labels) {
            sum += softmax_and_nll(z, p, label).as_f64();
        }
        sum
    }

    /// `∂(mean loss)/∂logits = (probs − onehot(y))/n` for the last forward pass (with class
    /// weights, the weighted form of [`weighted`]).
    ///
    /// # Shapes
    /// `[n, 1]` or `[n, K]`, as the logits.
    pub fn backward(&mut self) -> ArrayView2<'_, F> {
        let (n, k) = (self.probs.rows(), self.probs.cols());
        self.grad.resize(n, k);
        if let Some(w) = &self.weights {
            let (g, p) = (self.grad.as_mut_slice(), self.probs.as_slice());
            w.backward(p, &self.labels, k, g);
            return self.grad.view();
        }
        let inv_n = F::one() / F::of(n.max(1) as f64);
        let rows = self
            .grad
            .as_mut_slice()
            .chunks_exact_mut(k)
            .zip(self.probs.as_slice().chunks_exact(k));
        for ((g, p), &label) in rows.zip(&self.labels) {
            for (j, (g, &p)) in g.iter_mut().zip(p).enumerate() {
                // For BCE (k = 1) the single column's target is the label itself.
                let target = if (k == 1 && label == 1) || (k > 1 && j == label) {
                    F::one()
                } else {
                    F::zero()
                };
                *g = (p - target) * inv_n;
            }
        }
        self.grad.view()
    }

    /// The gradient of the last backward pass.
    pub fn grad(&self) -> ArrayView2<'_, F> {
        self.grad.view()
    }
}

/// `σ(z)` and `log σ(z)`, stably, from one `exp`: `log σ(z) = min(z, 0) − log1p(e^{−|z|})`.
fn sigmoid_and_log<F: Float>(z: F) -> (F, F) {
    let (one, zero) = (F::one(), F::zero());
    let e = (-z.abs()).exp();
    let p = if z >= zero {
        one / (one + e)
    } else {
        e / (one + e)
    };
    (p, z.min(zero) - e.ln_1p())
}

/// Writes `softmax(z)` into `p` and returns `−log softmax(z)[label]` (log-sum-exp with the
/// row's maximum factored out).
///
/// # Shapes
/// `z`, `p`: `[K]`.
fn softmax_and_nll<F: Float>(z: ArrayView1<'_, F>, p: &mut [F], label: usize) -> F {
    let m = z.fold(
        F::neg_infinity(),
        |a, &b| if b > a || b.is_nan() { b } else { a },
    );
    p.iter_mut()
        .zip(z.iter())
        .for_each(|(p, &zj)| *p = (zj - m).exp());
    let s: F = p.iter().copied().sum();
    p.iter_mut().for_each(|p| *p = *p / s);
    -((z[label] - m) - s.ln())
}

/// Number of rows whose prediction (`z > 0` for one logit, the first argmax otherwise)
/// equals the label.
///
/// # Shapes
/// `logits`: `[n, 1]` or `[n, K]`; `y`: `[n]`.
pub fn count_correct<F: Float>(logits: ArrayView2<'_, F>, y: &[usize]) -> usize {
    let k = logits.ncols();
    if let (1, Some(z)) = (k, logits.as_slice()) {
        return z
            .iter()
            .zip(y)
            .filter(|(&z, &label)| (z > F::zero()) == (label == 1))
            .count();
    }
    logits
        .rows()
        .into_iter()
        .zip(y)
        .filter(|(z, &label)| predict(z.iter().copied(), k) == label)
        .count()
}

/// The predicted class of one row of logits.
fn predict<F: Float>(z: impl Iterator<Item = F>, k: usize) -> usize {
    if k == 1 {
        return z.into_iter().next().is_some_and(|v| v > F::zero()) as usize;
    }
    let mut best = (0, F::neg_infinity());
    for (j, v) in z.enumerate() {
        if v > best.1 {
            best = (j, v);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn bce_matches_the_textbook_formula_at_moderate_logits() {
        let z = array![[0.3f64], [-1.2], [2.0]];
        let y = [1, 0, 0];
        let mut loss = Loss::new(Head::Bce);
        let got = loss.forward(z.view(), &y).unwrap();
        let s = |v: f64| 1.0 / (1.0 + (-v).exp());
        let want = -((s(0.3)).ln() + (1.0 - s(-1.2)).ln() + (1.0 - s(2.0)).ln()) / 3.0;
        assert!((got - want).abs() < 1e-14);
        let g = loss.backward().to_owned();
        assert!((g[[0, 0]] - (s(0.3) - 1.0) / 3.0).abs() < 1e-15);
    }

    #[test]
    fn bad_labels_and_shapes_are_errors() {
        let mut loss = Loss::<f32>::new(Head::Softmax { classes: 3 });
        let z = ndarray::Array2::zeros((2, 3));
        assert!(loss
            .forward(z.view(), &[0, 3])
            .unwrap_err()
            .to_string()
            .contains("row 1"));
        assert!(loss.forward(z.view(), &[0]).is_err());
        assert_eq!(
            count_correct(array![[0.1f32, 0.5, 0.5], [2.0, 1.0, 0.0]].view(), &[1, 0]),
            2
        );
    }
}
