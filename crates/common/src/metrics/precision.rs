//! Average precision (the area under the precision–recall curve, scikit-learn's
//! `average_precision_score`) and balanced accuracy (`balanced_accuracy_score`): the measures
//! that stay honest when one class is rare, where accuracy and ROC AUC flatter a model.

use ndarray::Array2;

/// Average precision of `scores` for the positive labels: `AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ` over the
/// distinct scores from the highest down (tied scores form one step, as scikit-learn's
/// `precision_recall_curve` does). `None` when there is no positive.
///
/// # Shapes
/// `scores` and `positive` have one entry per example (extra entries of the longer are ignored).
pub fn average_precision(scores: &[f64], positive: &[bool]) -> Option<f64> {
    // One sort serves both measures (`auc::roc_auc_and_ap`); the walk is `auc::ap_sorted`.
    super::auc::roc_auc_and_ap(scores, positive).1
}

/// Balanced accuracy: the mean recall over the classes present in the true labels (rows of
/// `confusion` with support), as scikit-learn computes it; 0 without any.
pub fn balanced_accuracy(confusion: &Array2<usize>) -> f64 {
    let recalls: Vec<f64> = (0..confusion.nrows())
        .filter_map(|c| {
            let support = confusion.row(c).sum();
            (support > 0).then(|| confusion[[c, c]] as f64 / support as f64)
        })
        .collect();
    if recalls.is_empty() {
        0.0
    } else {
        recalls.iter().sum::<f64>() / recalls.len() as f64
    }
}

/// Macro F1: the mean F1 over the classes that occur among the true labels or the predictions
/// (scikit-learn's `f1_score(average="macro")`, whose labels are those of `y_true` and
/// `y_pred`): a class of the model that a split neither holds nor predicts is not averaged in as
/// a 0, while a class held but never predicted (or predicted but never held) counts 0. 0
/// without any class.
pub fn macro_f1(confusion: &Array2<usize>) -> f64 {
    let f1s: Vec<f64> = (0..confusion.nrows())
        .filter_map(|c| {
            let (held, predicted) = (confusion.row(c).sum(), confusion.column(c).sum());
            // F1 = 2·TP / (2·TP + FP + FN) = 2·TP / (held + predicted).
            (held + predicted > 0)
                .then(|| 2.0 * confusion[[c, c]] as f64 / (held + predicted) as f64)
        })
        .collect();
    if f1s.is_empty() {
        0.0
    } else {
        f1s.iter().sum::<f64>() / f1s.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn average_precision_by_hand() {
        // Scores high to low: +, −, +, −: steps at recall 1/2 (precision 1) and 1 (2/3).
        let ap = average_precision(&[0.9, 0.8, 0.7, 0.1], &[true, false, true, false]);
        assert_eq!(ap, Some(0.5 * 1.0 + 0.5 * (2.0 / 3.0)));
        // A tie of one positive and one negative is one step: recall 1 at precision 1/2.
        assert_eq!(average_precision(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(average_precision(&[0.5, 0.2], &[false, false]), None);
    }

    #[test]
    fn balanced_accuracy_is_the_mean_recall_of_present_classes() {
        // Recalls 3/4 and 4/6; the third class has no true example and does not count.
        let conf = array![[3usize, 1, 0], [2, 4, 0], [0, 0, 0]];
        assert_eq!(balanced_accuracy(&conf), (0.75 + 4.0 / 6.0) / 2.0);
    }
}
