//! Metrics (the chapter's `utils.accuracy_from_logits`, and what the final project asks for):
//! probabilities from logits, accuracy, balanced accuracy, per-class precision/recall/F1,
//! macro F1, exact ROC AUC and average precision (binary, and one-vs-rest macro for
//! multiclass), the confusion matrix and log loss.
//!
//! Everything is computed in f64 from the raw logits through a stable log-softmax (softplus
//! for the single-logit BCE head), so that a confident model (|logit| ≈ 1e4) still gets a
//! finite loss and an AUC that is not distorted by probabilities rounding to exactly 1.

mod auc;
mod confusion_svg;
mod precision;
mod rank;
mod threshold;
pub use confusion_svg::confusion_svg;
pub use threshold::choose_threshold;
mod render;

pub use auc::{roc_auc, roc_auc_and_ap, roc_auc_ovr};
pub use precision::{average_precision, balanced_accuracy, macro_f1};

use ndarray::Array2;
use serde::Serialize;

use crate::spec::Head;
use rank::{bce_loss_and_ranks, rank_metrics};

/// Precision, recall and F1 of one class (0 when undefined, as scikit-learn's `zero_division=0`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassMetrics {
    /// Class name.
    pub name: String,
    /// TP / (TP + FP).
    pub precision: f64,
    /// TP / (TP + FN).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Number of true examples of the class.
    pub support: usize,
}

/// Everything measured on one split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Number of examples.
    pub n: usize,
    /// Mean cross-entropy (natural log) computed stably from the logits.
    pub log_loss: f64,
    /// Fraction correct.
    pub accuracy: f64,
    /// Per class.
    pub per_class: Vec<ClassMetrics>,
    /// Unweighted mean of the per-class F1.
    pub macro_f1: f64,
    /// Mean recall over the classes present (scikit-learn's `balanced_accuracy_score`).
    pub balanced_accuracy: f64,
    /// Binary ROC AUC of class 1, or the one-vs-rest macro average; `None` when a class
    /// needed for it is absent.
    pub roc_auc: Option<f64>,
    /// Average precision (area under the precision–recall curve) of class 1, or the macro
    /// average over the classes present; `None` without positives.
    pub average_precision: Option<f64>,
    /// `confusion[[true, predicted]]`.
    pub confusion: Array2<usize>,
    /// The decision threshold on class 1's probability the predictions used, when not the
    /// plain rule (`train.threshold`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

/// `ln(1 + eˣ)` without overflow: `max(x, 0) + ln(1 + e^-|x|)`.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Log-softmax of one row. The largest term is factored out and the rest summed through
/// `ln_1p`, so that the log-probability of a dominant class stays exact (≈ -ε, not 0).
fn log_softmax_row<'a>(z: &[f64], out: impl IntoIterator<Item = &'a mut f64>) {
    let (mut arg, mut m) = (0, f64::NEG_INFINITY);
    for (j, &v) in z.iter().enumerate() {
        if v > m {
            (arg, m) = (j, v);
        }
    }
    let rest: f64 = z
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != arg)
        .map(|(_, &v)| (v - m).exp())
        .sum();
    let lse = rest.ln_1p();
    for (o, &v) in out.into_iter().zip(z) {
        *o = (v - m) - lse;
    }
}

/// Natural-log class probabilities from logits, computed stably in f64.
///
/// For [`Head::Bce`] the single logit `z` gives `[ln σ(-z), ln σ(z)]` = `[-softplus(z),
/// -softplus(-z)]`; otherwise a log-softmax over the row (the `classes` field is not needed:
/// the number of columns is the number of classes).
///
/// # Shapes
/// `logits`: `[n, 1]` for BCE (only column 0 is read), `[n, K]` for softmax; returns `[n, 2]`
/// for BCE, `[n, K]` otherwise.
pub fn log_probabilities(logits: &Array2<f32>, head: Head) -> Array2<f64> {
    match head {
        Head::Bce => {
            let mut out = Array2::zeros((logits.nrows(), 2));
            for (i, row) in logits.rows().into_iter().enumerate() {
                let z = row.first().map_or(0.0, |&v| f64::from(v));
                out[[i, 0]] = -softplus(z);
                out[[i, 1]] = -softplus(-z);
            }
            out
        }
        Head::Softmax { .. } => {
            let mut out = Array2::zeros(logits.raw_dim());
            let mut z = vec![0.0; logits.ncols()];
            for (i, row) in logits.rows().into_iter().enumerate() {
                z.iter_mut().zip(row).for_each(|(d, &s)| *d = f64::from(s));
                log_softmax_row(&z, out.row_mut(i));
            }
            out
        }
    }
}

/// Class probabilities from logits.
///
/// # Shapes
/// `logits`: `[n, 1]` for [`Head::Bce`] (sigmoid, returned as `[n, 2]`), `[n, K]` for
/// softmax; returns `[n, K]` in f64.
pub fn probabilities(logits: &Array2<f32>, head: Head) -> Array2<f64> {
    log_probabilities(logits, head).mapv_into(f64::exp)
}

/// Mean loss of logits against labels, computed in f64 stably (log-sum-exp; softplus for BCE).
///
/// This is the mean of `-ln p(yᵢ)`: for BCE `max(z,0) - z·y + ln(1 + e^-|z|)` (any nonzero
/// label counts as the positive class 1), for softmax `logsumexp(z) - z_y`. A label with no
/// logit column gives NaN, and so does an empty batch.
///
/// # Shapes
/// As [`probabilities`]; `y`: `[n]`.
pub fn loss_from_logits(logits: &Array2<f32>, y: &[usize], head: Head) -> f64 {
    debug_assert_eq!(logits.nrows(), y.len(), "one label per row of logits");
    loss_from_log_probabilities(&log_probabilities(logits, head), y, head)
}

/// [`loss_from_logits`] from the log-probabilities [`log_probabilities`] gave.
fn loss_from_log_probabilities(logp: &Array2<f64>, y: &[usize], head: Head) -> f64 {
    debug_assert_eq!(
        logp.nrows(),
        y.len(),
        "one label per row of log-probabilities"
    );
    let sum: f64 = logp
        .rows()
        .into_iter()
        .zip(y)
        .map(|(row, &t)| {
            let t = if matches!(head, Head::Bce) {
                usize::from(t != 0)
            } else {
                t
            };
            row.get(t).map_or(f64::NAN, |&lp| -lp)
        })
        .sum();
    sum / y.len().min(logp.nrows()) as f64
}

/// Predicted class per row (argmax; `logit > 0` for BCE).
///
/// Ties go to the first maximal column; NaN logits never win.
///
/// # Shapes
/// `logits`: `[n, 1]` for BCE, `[n, K]` for softmax; returns `n` class indices.
pub fn predictions(logits: &Array2<f32>, head: Head) -> Vec<usize> {
    logits
        .rows()
        .into_iter()
        .map(|row| match head {
            Head::Bce => usize::from(row.first().is_some_and(|&z| z > 0.0)),
            Head::Softmax { .. } => {
                let mut best = 0;
                for (j, &v) in row.iter().enumerate() {
                    if v > row[best] || row[best].is_nan() && !v.is_nan() {
                        best = j;
                    }
                }
                best
            }
        })
        .collect()
}

/// Predicted class per row, with a binary model's `threshold` on class 1's probability when
/// there is one (class 1 when `p₁ > threshold`), else [`predictions`]' rule.
///
/// # Shapes
/// As [`predictions`].
pub fn predictions_at(logits: &Array2<f32>, head: Head, threshold: Option<f64>) -> Vec<usize> {
    match threshold {
        Some(t) if logits.ncols() <= 2 => positive_probability(logits, head)
            .iter()
            .map(|&p| usize::from(p > t))
            .collect(),
        _ => predictions(logits, head),
    }
}

/// Class 1's probability per row of a binary model (one logit, or two softmax columns).
///
/// # Shapes
/// `logits`: `[n, 1]` or `[n, 2]` → `[n]`.
pub fn positive_probability(logits: &Array2<f32>, head: Head) -> Vec<f64> {
    let logp = log_probabilities(logits, head);
    logp.column(1).iter().map(|&lp| lp.exp()).collect()
}

/// Precision, recall, F1 and support of class `c` from the confusion matrix.
fn class_metrics(confusion: &Array2<usize>, c: usize, name: String) -> ClassMetrics {
    let tp = confusion[[c, c]] as f64;
    let support = confusion.row(c).sum();
    let predicted = confusion.column(c).sum();
    // zero_division=0: a class never predicted (or never present) scores 0, never NaN.
    let ratio = |num: f64, den: usize| if den == 0 { 0.0 } else { num / den as f64 };
    let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    ClassMetrics {
        name,
        precision,
        recall,
        f1,
        support,
    }
}

/// All metrics of `logits` against `y`.
///
/// The classes are `0..K` with K the largest of `class_names.len()`, the head's class count
/// and any label or prediction seen (unnamed classes are called `class{i}`), so that a
/// mislabelled row cannot make this panic. Macro F1 averages over all K classes.
///
/// # Shapes
/// `logits`: `[n, 1]` for BCE, `[n, K]` for softmax; `y`: `[n]`.
pub fn evaluate(logits: &Array2<f32>, y: &[usize], head: Head, class_names: &[String]) -> Report {
    evaluate_at(logits, y, head, class_names, None)
}

/// [`evaluate`] with a binary model's decision `threshold` (see [`predictions_at`]); the
/// threshold-free measures (log loss, ROC AUC, average precision) do not change.
///
/// # Shapes
/// As [`evaluate`].
pub fn evaluate_at(
    logits: &Array2<f32>,
    y: &[usize],
    head: Head,
    class_names: &[String],
    threshold: Option<f64>,
) -> Report {
    let preds = predictions_at(logits, head, threshold);
    let head_k = match head {
        Head::Bce => 2,
        Head::Softmax { classes } => classes.max(logits.ncols()),
    };
    let seen = y.iter().chain(&preds).map(|&c| c + 1).max().unwrap_or(0);
    let k = class_names.len().max(head_k).max(seen);
    let mut confusion = Array2::<usize>::zeros((k, k));
    for (&t, &p) in y.iter().zip(&preds) {
        confusion[[t, p]] += 1;
    }
    let name = |c: usize| {
        class_names
            .get(c)
            .cloned()
            .unwrap_or_else(|| format!("class{c}"))
    };
    let per_class: Vec<ClassMetrics> = (0..k)
        .map(|c| class_metrics(&confusion, c, name(c)))
        .collect();
    let n = y.len();
    let correct: usize = (0..k).map(|c| confusion[[c, c]]).sum();
    let (log_loss, (roc_auc, average_precision)) = match head {
        Head::Bce if logits.ncols() == 1 => bce_loss_and_ranks(logits, y),
        _ => {
            let logp = log_probabilities(logits, head);
            (
                loss_from_log_probabilities(&logp, y, head),
                rank_metrics(&logp, y),
            )
        }
    };
    Report {
        n,
        log_loss,
        accuracy: correct as f64 / n as f64,
        per_class,
        macro_f1: macro_f1(&confusion),
        balanced_accuracy: balanced_accuracy(&confusion),
        roc_auc,
        average_precision,
        confusion,
        threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn softplus_matches_naive_formula_where_naive_is_safe() {
        for x in [-20.0, -1.5, 0.0, 0.3, 7.0] {
            let naive = (1.0 + f64::exp(x)).ln();
            assert!((softplus(x) - naive).abs() < 1e-12, "x={x}");
        }
    }

    /// The one-pass path of a one-logit model gives the very numbers of the general one
    /// (both log-probabilities of every row, then the loss and the ranks from them), on
    /// logits with ties, both signs, zeros and magnitudes where `exp` underflows.
    #[test]
    fn bce_one_pass_equals_the_general_path_bit_for_bit() {
        let z: Vec<f32> = (0..2003)
            .map(|i| match i % 7 {
                0 => 0.0,
                1 => -0.0,
                2 => 800.0 + (i % 3) as f32,
                3 => -((i % 11) as f32) * 0.37,
                _ => ((i * 7919 % 1013) as f32 / 97.0 - 5.2).powi(3),
            })
            .collect();
        let y: Vec<usize> = (0..z.len()).map(|i| usize::from(i * 31 % 5 < 2)).collect();
        let logits = Array2::from_shape_vec((z.len(), 1), z).unwrap();
        let (loss, ranks) = bce_loss_and_ranks(&logits, &y);
        let logp = log_probabilities(&logits, Head::Bce);
        assert_eq!(
            loss.to_bits(),
            loss_from_logits(&logits, &y, Head::Bce).to_bits()
        );
        let (auc, ap) = rank_metrics(&logp, &y);
        assert_eq!(ranks.0.map(f64::to_bits), auc.map(f64::to_bits));
        assert_eq!(ranks.1.map(f64::to_bits), ap.map(f64::to_bits));
        let report = evaluate(&logits, &y, Head::Bce, &[]);
        assert_eq!(report.log_loss.to_bits(), loss.to_bits());
    }

    #[test]
    fn log_softmax_keeps_tiny_complement_of_dominant_class() {
        // exp(-50) ≈ 1.9e-22 would vanish in `1 + exp(-50)`; ln_1p keeps it.
        let mut out = [0.0; 2];
        log_softmax_row(&[50.0, 0.0], &mut out);
        assert!(out[0] < 0.0 && (out[0] + (-50f64).exp()).abs() < 1e-30);
        assert!((out[1] + 50.0).abs() < 1e-12);
    }

    #[test]
    fn class_metrics_from_confusion() {
        // true 0: 3 right, 1 called 1; true 1: 2 called 0, 4 right.
        let conf = array![[3usize, 1], [2, 4]];
        let m0 = class_metrics(&conf, 0, "a".into());
        assert_eq!(m0.support, 4);
        assert!((m0.precision - 3.0 / 5.0).abs() < 1e-15);
        assert!((m0.recall - 3.0 / 4.0).abs() < 1e-15);
        assert!((m0.f1 - 2.0 * 0.6 * 0.75 / 1.35).abs() < 1e-15);
    }

    #[test]
    fn nan_logits_never_win_argmax() {
        let logits = array![[f32::NAN, 1.0, 3.0], [2.0, f32::NAN, 2.0]];
        assert_eq!(
            predictions(&logits, Head::Softmax { classes: 3 }),
            vec![2, 0]
        );
    }
}
