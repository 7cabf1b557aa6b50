//! Metrics (the chapter's `utils.accuracy_from_logits`, and what the final project asks for):
//! probabilities from logits, accuracy, per-class precision/recall/F1, macro F1, exact ROC AUC
//! (binary, and one-vs-rest macro for multiclass), the confusion matrix and log loss.

use ndarray::Array2;
use serde::Serialize;

use crate::spec::Head;

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
    /// Binary ROC AUC of class 1, or the one-vs-rest macro average; `None` when a class
    /// needed for it is absent.
    pub roc_auc: Option<f64>,
    /// `confusion[[true, predicted]]`.
    pub confusion: Array2<usize>,
}

/// Class probabilities from logits.
///
/// # Shapes
/// `logits`: `[n, 1]` for [`Head::Bce`] (sigmoid, returned as `[n, 2]`), `[n, K]` for
/// softmax; returns `[n, K]` in f64.
pub fn probabilities(logits: &Array2<f32>, head: Head) -> Array2<f64> {
    let _ = (logits, head);
    todo!()
}

/// Mean loss of logits against labels, computed in f64 stably (log-sum-exp; softplus for BCE).
///
/// # Shapes
/// As [`probabilities`]; `y`: `[n]`.
pub fn loss_from_logits(logits: &Array2<f32>, y: &[usize], head: Head) -> f64 {
    let _ = (logits, y, head);
    todo!()
}

/// Predicted class per row (argmax; `logit > 0` for BCE).
pub fn predictions(logits: &Array2<f32>, head: Head) -> Vec<usize> {
    let _ = (logits, head);
    todo!()
}

/// Exact ROC AUC of `scores` for the positive labels (ties count one half: the Mann–Whitney
/// statistic). `None` when one of the two groups is empty.
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let _ = (scores, positive);
    todo!()
}

/// All metrics of `logits` against `y`.
pub fn evaluate(logits: &Array2<f32>, y: &[usize], head: Head, class_names: &[String]) -> Report {
    let _ = (logits, y, head, class_names);
    todo!()
}

impl Report {
    /// A human-readable multi-line summary: accuracy, macro F1, AUC, log loss, the per-class
    /// table and the confusion matrix with class names.
    pub fn render(&self) -> String {
        todo!()
    }
}
