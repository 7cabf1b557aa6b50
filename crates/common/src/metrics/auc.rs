//! Exact ROC AUC as the Mann–Whitney statistic: sort once (a radix sort on the scores' bits,
//! linear in n), give tied scores their average rank, and count in half-units so that ties
//! score exactly one half; and the average precision from the same sort.

use ndarray::Array2;

/// Exact ROC AUC of `scores` for the positive labels (ties count one half: the Mann–Whitney
/// statistic). `None` when one of the two groups is empty.
///
/// AUC = (R₊ − n₊(n₊+1)/2) / (n₊·n₋), with R₊ the sum of the positives' ranks (1-based, ties
/// averaged). `-0.0` and `0.0` tie; each NaN is its own group, ranked above every number.
///
/// # Shapes
/// `scores` and `positive` have one entry per example (extra entries of the longer are ignored).
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    roc_auc_and_ap(scores, positive).0
}

/// ROC AUC ([`roc_auc`]) and average precision ([`super::average_precision`]) of the same
/// scores from one sort: the validation metrics of every epoch need both, and the sort is
/// their cost. AUC is `None` when a group is empty, AP when there is no positive.
///
/// # Shapes
/// As [`roc_auc`].
pub fn roc_auc_and_ap(scores: &[f64], positive: &[bool]) -> (Option<f64>, Option<f64>) {
    let n = scores.len().min(positive.len());
    let n_pos = positive[..n].iter().filter(|&&p| p).count();
    let n_neg = n - n_pos;
    if n_pos == 0 {
        return (None, None);
    }
    let pairs = sorted_pairs(&scores[..n], &positive[..n]);
    let auc = (n_neg > 0).then(|| auc_sorted(&pairs, n_pos, n_neg));
    (auc, Some(ap_sorted(&pairs, n_pos)))
}

/// `(key, label)` pairs sorted by score, ascending.
///
/// Each score as a key whose integer order is `f64::total_cmp`'s (the map total_cmp itself
/// uses), beside its label, so that the radix sort moves the pairs themselves (sorting
/// indices by score would then gather the scores in a random order). Adding 0.0 first maps
/// -0.0 to 0.0, so that they tie.
fn sorted_pairs(scores: &[f64], positive: &[bool]) -> Vec<(u64, bool)> {
    let key = |v: f64| {
        let bits = (v + 0.0).to_bits();
        bits ^ ((((bits as i64) >> 63) as u64) >> 1) ^ (1 << 63)
    };
    let mut pairs: Vec<(u64, bool)> = scores
        .iter()
        .zip(positive)
        .map(|(&v, &p)| (key(v), p))
        .collect();
    // A radix sort: every epoch sorts the validation scores, and on the chapter's circle
    // (40,000 rows) a comparison sort was a third of validation's instructions. Pairs with
    // equal keys may end in any order: both metrics count a tie group as one step.
    radsort::sort_by_key(&mut pairs, |p| p.0);
    pairs
}

/// The Mann–Whitney AUC of sorted pairs.
fn auc_sorted(pairs: &[(u64, bool)], n_pos: usize, n_neg: usize) -> f64 {
    let n = pairs.len();
    // Twice the positives' rank sum: a tie group at sorted positions i..j (0-based, j
    // exclusive) has average 1-based rank (i + 1 + j) / 2, so 2·rank is an integer.
    let mut twice_rank_sum: u128 = 0;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && pairs[j].0 == pairs[i].0 {
            j += 1;
        }
        let pos_in_group = pairs[i..j].iter().filter(|p| p.1).count() as u128;
        twice_rank_sum += pos_in_group * (i + 1 + j) as u128;
        i = j;
    }
    let (p, q) = (n_pos as u128, n_neg as u128);
    let twice_u = twice_rank_sum - p * (p + 1);
    twice_u as f64 / (2 * p * q) as f64
}

/// Average precision of sorted pairs: `Σ (Rₖ − Rₖ₋₁)·Pₖ` over the tie groups from the highest
/// score down (a tie group is one step, as scikit-learn's `precision_recall_curve`).
fn ap_sorted(pairs: &[(u64, bool)], n_pos: usize) -> f64 {
    let (mut tp, mut fp, mut ap, mut last_recall) = (0usize, 0usize, 0.0, 0.0);
    let mut j = pairs.len();
    while j > 0 {
        let mut i = j - 1;
        while i > 0 && pairs[i - 1].0 == pairs[j - 1].0 {
            i -= 1;
        }
        let pos = pairs[i..j].iter().filter(|p| p.1).count();
        tp += pos;
        fp += (j - i) - pos;
        let recall = tp as f64 / n_pos as f64;
        ap += (recall - last_recall) * (tp as f64 / (tp + fp) as f64);
        last_recall = recall;
        j = i;
    }
    ap
}

/// The per-class ROC AUC and average precision of one-vs-rest, averaged: AUC over the classes
/// with both groups, AP over the classes present (`None` where no class qualifies).
///
/// # Shapes
/// `scores`: `[n, K]`; `y`: `[n]`.
pub fn ovr_auc_and_ap(scores: &Array2<f64>, y: &[usize]) -> (Option<f64>, Option<f64>) {
    let (mut aucs, mut aps) = (Vec::new(), Vec::new());
    for c in 0..scores.ncols() {
        let positive: Vec<bool> = y.iter().map(|&t| t == c).collect();
        let (auc, ap) = roc_auc_and_ap(&scores.column(c).to_vec(), &positive);
        aucs.extend(auc);
        aps.extend(ap);
    }
    let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    (mean(aucs), mean(aps))
}

/// One-vs-rest macro ROC AUC: the mean of the per-class AUCs of column `c` for "label is
/// `c`", over the classes that have both positives and negatives in `y`; `None` if none has.
///
/// # Shapes
/// `scores`: `[n, K]` (probabilities or any monotone transform of them); `y`: `[n]`.
pub fn roc_auc_ovr(scores: &Array2<f64>, y: &[usize]) -> Option<f64> {
    let aucs: Vec<f64> = (0..scores.ncols())
        .filter_map(|c| {
            let positive: Vec<bool> = y.iter().map(|&t| t == c).collect();
            roc_auc(&scores.column(c).to_vec(), &positive)
        })
        .collect();
    (!aucs.is_empty()).then(|| aucs.iter().sum::<f64>() / aucs.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_zero_ties_with_zero() {
        // One positive at -0.0, one negative at 0.0: a tie, so one half.
        assert_eq!(roc_auc(&[-0.0, 0.0], &[true, false]), Some(0.5));
    }

    #[test]
    fn negative_and_mixed_sign_scores_rank_as_numbers() {
        // Pairwise by hand: positives -3.5, 0.25, 1e-300; negatives -1e300, -0.5, 2.0, -3.5.
        let scores = [-3.5, -1e300, 0.25, -0.5, 2.0, 1e-300, -3.5];
        let positive = [true, false, true, false, false, true, false];
        let mut u = 0.0;
        for (i, &p) in positive.iter().enumerate() {
            for (j, &q) in positive.iter().enumerate() {
                if p && !q {
                    u += match scores[i].partial_cmp(&scores[j]).expect("numbers") {
                        std::cmp::Ordering::Greater => 1.0,
                        std::cmp::Ordering::Equal => 0.5,
                        std::cmp::Ordering::Less => 0.0,
                    };
                }
            }
        }
        assert_eq!(roc_auc(&scores, &positive), Some(u / 12.0));
    }

    #[test]
    fn all_tied_is_one_half() {
        assert_eq!(
            roc_auc(&[0.3; 5], &[true, false, true, false, false]),
            Some(0.5)
        );
    }

    #[test]
    fn one_group_empty_is_none() {
        assert_eq!(roc_auc(&[0.1, 0.2], &[true, true]), None);
        assert_eq!(roc_auc(&[], &[]), None);
    }
}
