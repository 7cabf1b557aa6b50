//! The rank metrics (ROC AUC, average precision) from log-probabilities, and the one-pass
//! form of a one-logit model's validation metrics ([`bce_loss_and_ranks`]), which every epoch
//! of the chapter's Route 1 runs on its validation rows.

use ndarray::Array2;

use super::{auc, softplus};

/// The log loss and the rank metrics of a one-logit model, from one pass over the logits:
/// the same numbers as [`super::loss_from_logits`] and [`rank_metrics`] on
/// [`super::log_probabilities`] (`ln σ(z)` is the score; a row's loss is `−ln σ(z)` or
/// `−ln σ(−z)`, each computed as there), without forming both log-probabilities of every row
/// twice.
///
/// # Shapes
/// `logits`: `[n, 1]`; `y`: `[n]`.
pub(super) fn bce_loss_and_ranks(
    logits: &Array2<f32>,
    y: &[usize],
) -> (f64, (Option<f64>, Option<f64>)) {
    debug_assert_eq!(logits.nrows(), y.len(), "one label per row of logits");
    let z = logits.column(0);
    let scores: Vec<f64> = z.iter().map(|&z| -softplus(-f64::from(z))).collect();
    let sum: f64 = scores
        .iter()
        .zip(&z)
        .zip(y)
        .map(|((&s, &z), &t)| if t != 0 { -s } else { softplus(f64::from(z)) })
        .sum();
    let log_loss = sum / y.len().min(scores.len()) as f64;
    let positive: Vec<bool> = y.iter().map(|&t| t == 1).collect();
    (log_loss, auc::roc_auc_and_ap(&scores, &positive))
}

/// ROC AUC and average precision from log-probabilities (same ranking as the probabilities,
/// without ties from rounding to 1), from one sort per column: binary → class 1, more classes
/// → one-vs-rest macro averages.
///
/// # Shapes
/// `logp`: `[n, K]`; `y`: `[n]`.
pub(super) fn rank_metrics(logp: &Array2<f64>, y: &[usize]) -> (Option<f64>, Option<f64>) {
    match logp.ncols() {
        0 | 1 => (None, None),
        2 => {
            let positive: Vec<bool> = y.iter().map(|&t| t == 1).collect();
            auc::roc_auc_and_ap(&logp.column(1).to_vec(), &positive)
        }
        _ => auc::ovr_auc_and_ap(logp, y),
    }
}
