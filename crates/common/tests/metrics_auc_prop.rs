//! Property test: the O(n log n) rank-based AUC equals the O(n²) definition (the fraction of
//! positive/negative pairs ordered correctly, ties counting one half).

use common::metrics::roc_auc;
use proptest::prelude::*;

fn pairwise_auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let (mut wins, mut pairs) = (0.0, 0u64);
    for (i, &p) in positive.iter().enumerate() {
        for (j, &q) in positive.iter().enumerate() {
            if p && !q {
                pairs += 1;
                wins += match scores[i].partial_cmp(&scores[j]) {
                    Some(std::cmp::Ordering::Greater) => 1.0,
                    Some(std::cmp::Ordering::Equal) => 0.5,
                    _ => 0.0,
                };
            }
        }
    }
    (pairs > 0).then(|| wins / pairs as f64)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn rank_auc_equals_pairwise(data in prop::collection::vec((0u8..6, any::<bool>()), 0..40)) {
        // Few distinct scores, so that ties are common.
        let scores: Vec<f64> = data.iter().map(|&(s, _)| f64::from(s) / 5.0).collect();
        let positive: Vec<bool> = data.iter().map(|&(_, p)| p).collect();
        let fast = roc_auc(&scores, &positive);
        let slow = pairwise_auc(&scores, &positive);
        prop_assert_eq!(fast.is_some(), slow.is_some());
        if let (Some(a), Some(b)) = (fast, slow) {
            prop_assert!((a - b).abs() < 1e-12, "rank {} vs pairwise {}", a, b);
        }
    }
}
