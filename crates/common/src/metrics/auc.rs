//! Exact ROC AUC as the Mann–Whitney statistic: sort once, give tied scores their average
//! rank, and count in half-units so that ties score exactly one half (O(n log n)).

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
    let n = scores.len().min(positive.len());
    // Adding 0.0 maps -0.0 to 0.0, so that total_cmp sees them as equal.
    let s: Vec<f64> = scores[..n].iter().map(|&v| v + 0.0).collect();
    let n_pos = positive[..n].iter().filter(|&&p| p).count();
    let n_neg = n - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| s[a].total_cmp(&s[b]));
    // Twice the positives' rank sum: a tie group at sorted positions i..j (0-based, j
    // exclusive) has average 1-based rank (i + 1 + j) / 2, so 2·rank is an integer.
    let mut twice_rank_sum: u128 = 0;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && s[order[j]].total_cmp(&s[order[i]]).is_eq() {
            j += 1;
        }
        let pos_in_group = order[i..j].iter().filter(|&&k| positive[k]).count() as u128;
        twice_rank_sum += pos_in_group * (i + 1 + j) as u128;
        i = j;
    }
    let (p, q) = (n_pos as u128, n_neg as u128);
    let twice_u = twice_rank_sum - p * (p + 1);
    Some(twice_u as f64 / (2 * p * q) as f64)
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
