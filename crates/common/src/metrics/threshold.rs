//! A binary model's decision threshold (`train.threshold`): the probability of class 1 above
//! which it predicts class 1, chosen on the validation split to maximize class 1's F1 or the
//! balanced accuracy. With one class rare, the 0.5 rule can miss most of it; moving the
//! threshold trades precision for recall without retraining.

use crate::config::Threshold;

/// The threshold `rule` gives on validation probabilities `p1` (of class 1) and labels `y`,
/// with the value of the metric it maximizes there; `None` for a fixed threshold, or when
/// the validation split lacks class 0 or class 1 (no trade-off to make).
///
/// Every distinct cut of the sorted probabilities is tried (predict 1 for the `k` highest);
/// its threshold is the midpoint of the two probabilities it falls between, so that each
/// validation example lies clearly on one side. Ties of the metric go to the threshold
/// nearest 0.5.
///
/// # Shapes
/// `p1`, `y`: `[n]`.
pub fn choose_threshold(p1: &[f64], y: &[usize], rule: Threshold) -> Option<(f64, f64)> {
    let score = match rule {
        Threshold::Fixed(_) => return None,
        Threshold::F1 => f1_of,
        Threshold::BalancedAccuracy => balanced_accuracy_of,
    };
    let n_pos = y.iter().filter(|&&c| c == 1).count();
    let n_neg = y.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<(f64, bool)> = p1.iter().zip(y).map(|(&p, &c)| (p, c == 1)).collect();
    order.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let mut best: Option<(f64, f64)> = None;
    let mut tp = 0;
    for k in 0..=order.len() {
        if k > 0 && order[k - 1].1 {
            tp += 1;
        }
        let (above, below) = (
            if k == 0 { 1.0 } else { order[k - 1].0 },
            order.get(k).map_or(0.0, |o| o.0),
        );
        // Only between distinct probabilities, and strictly inside (0, 1).
        if above <= below || (k == 0 && above >= 1.0) || (k == order.len() && below <= 0.0) {
            continue;
        }
        let mid = below + (above - below) / 2.0;
        let t = if mid < above { mid } else { below };
        let value = score(tp, k - tp, n_pos, n_neg);
        let better = best.is_none_or(|(bt, bv)| {
            value > bv || (value == bv && (t - 0.5).abs() < (bt - 0.5).abs())
        });
        if better {
            best = Some((t, value));
        }
    }
    best
}

/// Class 1's F1 from the counts of a cut: `2·TP / (2·TP + FP + FN)`.
fn f1_of(tp: usize, fp: usize, n_pos: usize, _n_neg: usize) -> f64 {
    let fn_ = n_pos - tp;
    if tp == 0 {
        0.0
    } else {
        2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
    }
}

/// The mean of the two classes' recalls from the counts of a cut.
fn balanced_accuracy_of(tp: usize, fp: usize, n_pos: usize, n_neg: usize) -> f64 {
    let tn = n_neg - fp;
    (tp as f64 / n_pos as f64 + tn as f64 / n_neg as f64) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_f1_threshold_falls_between_the_probabilities_it_separates() {
        // Positives at 0.9, 0.4, 0.35; negatives at 0.6, 0.2, 0.1. Predicting 1 above 0.3
        // catches every positive with one false positive: F1 = 6/7, the best cut.
        let p = [0.9, 0.6, 0.4, 0.35, 0.2, 0.1];
        let y = [1, 0, 1, 1, 0, 0];
        let (t, f1) = choose_threshold(&p, &y, Threshold::F1).unwrap();
        assert_eq!(t, 0.275);
        assert_eq!(f1, 6.0 / 7.0);
        let (t, ba) = choose_threshold(&p, &y, Threshold::BalancedAccuracy).unwrap();
        assert_eq!((t, ba), (0.275, (1.0 + 2.0 / 3.0) / 2.0));
    }

    #[test]
    fn no_choice_without_both_classes_or_with_a_fixed_threshold() {
        assert_eq!(choose_threshold(&[0.2, 0.7], &[1, 1], Threshold::F1), None);
        assert_eq!(
            choose_threshold(&[0.2, 0.7], &[0, 1], Threshold::Fixed(0.3)),
            None
        );
        // Perfectly separated: the one cut between them, at their midpoint.
        let (t, f1) = choose_threshold(&[0.2, 0.7], &[0, 1], Threshold::F1).unwrap();
        assert_eq!((t, f1), (0.2 + (0.7 - 0.2) / 2.0, 1.0));
        // Ties go to the threshold nearest 0.5: cutting above 0.9 or above 0.1 both give
        // balanced accuracy 3/4; 0.75 is nearer 0.5 than 0.2.
        let p = [0.1, 0.3, 0.6, 0.9];
        let (t, ba) = choose_threshold(&p, &[0, 1, 0, 1], Threshold::BalancedAccuracy).unwrap();
        assert_eq!((t, ba), (0.6 + (0.9 - 0.6) / 2.0, 0.75));
    }
}
