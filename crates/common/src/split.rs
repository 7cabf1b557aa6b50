//! Stratified, seeded train/val/test splits (each class is shuffled and cut by the configured
//! fractions, so every split keeps the class balance). Replaces the chapter's plain
//! `idx = rng.permutation(n); train_idx = idx[:int(0.8*n)]` of `make_toy_data` (Route 1 §3).

use serde::{Deserialize, Serialize};

use crate::config::SplitConfig;
use crate::seed::{shuffle, Rng};
use crate::{Error, Result};
use rand::SeedableRng;

/// Row indices of each split, each sorted ascending.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Split {
    /// Training rows.
    pub train: Vec<usize>,
    /// Validation rows.
    pub val: Vec<usize>,
    /// Test rows.
    pub test: Vec<usize>,
}

/// Splits `labels` (class indices < `n_classes`) by `fractions`, stratified, from `seed`.
/// Errors (naming `data.split`) when a split that should have rows gets none.
///
/// Each class is shuffled (classes in index order, one RNG seeded with `seed`) and cut into
/// per-class counts by [`class_counts`]: the counts of a class always add up to its size, and
/// every split with a non-zero fraction gets at least one row of each class that has enough
/// rows for all of them.
pub fn stratified_split(
    labels: &[usize],
    n_classes: usize,
    fractions: &SplitConfig,
    seed: u64,
) -> Result<Split> {
    let fr = check_fractions(fractions)?;
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (row, &y) in labels.iter().enumerate() {
        let bucket = by_class.get_mut(y).ok_or_else(|| {
            Error::Other(format!(
                "split: row {row} has class index {y}, but there are only {n_classes} classes"
            ))
        })?;
        bucket.push(row);
    }
    let mut rng = Rng::seed_from_u64(seed);
    let mut split = Split::default();
    for rows in &mut by_class {
        shuffle(rows, &mut rng);
        let [tr, va, _] = class_counts(rows.len(), fr);
        split.train.extend_from_slice(&rows[..tr]);
        split.val.extend_from_slice(&rows[tr..tr + va]);
        split.test.extend_from_slice(&rows[tr + va..]);
    }
    for (name, part) in [("train", &split.train), ("val", &split.val)] {
        if part.is_empty() {
            return Err(Error::config(
                "data.split",
                format!(
                    "the {name} split would be empty ({} rows, fractions train={} val={} test={}); \
                     use more data or a larger {name} fraction",
                    labels.len(),
                    fr[0],
                    fr[1],
                    fr[2]
                ),
            ));
        }
    }
    // Distinct row numbers: a radix sort gives the same order as a comparison sort, in a
    // fraction of its time on 10⁵ rows and more (a fifth of the data set-up on the circle).
    radsort::sort(&mut split.train);
    radsort::sort(&mut split.val);
    radsort::sort(&mut split.test);
    Ok(split)
}

/// Stratified K-fold over the train+val rows of `base` (its test rows stay as they are): the
/// rows of each class, in a shuffle seeded by `seed`, are dealt round-robin into `folds` folds
/// (the deal continues across classes, so fold sizes differ by at most one); fold `fold`
/// validates and the other folds train. The same `seed` gives the same folds for every
/// `fold`, so the K validation sets partition the train+val rows.
pub fn kfold_split(
    labels: &[usize],
    base: &Split,
    folds: usize,
    fold: usize,
    seed: u64,
) -> Result<Split> {
    let n_classes = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    let mut pool: Vec<usize> = base.train.iter().chain(&base.val).copied().collect();
    pool.sort_unstable();
    for &row in &pool {
        by_class[labels[row]].push(row);
    }
    // A stream of its own (the hold-out cut used `seed` itself), so the folds do not repeat it.
    let mut rng = Rng::seed_from_u64(seed ^ KFOLD_SALT);
    let mut out = Split {
        test: base.test.clone(),
        ..Split::default()
    };
    let mut deal = 0usize;
    for rows in &mut by_class {
        shuffle(rows, &mut rng);
        for &row in rows.iter() {
            let part = if deal % folds == fold {
                &mut out.val
            } else {
                &mut out.train
            };
            part.push(row);
            deal += 1;
        }
    }
    if out.val.is_empty() || out.train.is_empty() {
        return Err(Error::config(
            "data.folds",
            format!(
                "{folds} folds of {} train+val rows leave fold {fold} empty",
                pool.len()
            ),
        ));
    }
    radsort::sort(&mut out.train);
    radsort::sort(&mut out.val);
    Ok(out)
}

/// Mixed into the split seed for the K-fold deal ("kfold" in ASCII).
const KFOLD_SALT: u64 = 0x6b_666f_6c64;

/// Validates the fractions: finite, non-negative, summing to 1 (within 1e-6).
fn check_fractions(f: &SplitConfig) -> Result<[f64; 3]> {
    let fr = [f.train, f.val, f.test];
    if fr.iter().any(|x| !x.is_finite() || *x < 0.0) {
        return Err(Error::config(
            "data.split",
            format!("fractions must be non-negative numbers, got {fr:?}"),
        ));
    }
    let sum: f64 = fr.iter().sum();
    if (sum - 1.0).abs() > 1e-6 {
        return Err(Error::config(
            "data.split",
            format!("fractions must sum to 1, got {sum} ({fr:?})"),
        ));
    }
    Ok(fr)
}

/// Rows of a class of size `n` given to train, val and test: largest-remainder rounding of
/// `n · fraction` (ties go to the earlier split), so the counts always add up to `n`; then each
/// split with a non-zero fraction that got no row takes one from the largest split, when `n` is
/// at least the number of such splits.
pub fn class_counts(n: usize, fractions: [f64; 3]) -> [usize; 3] {
    let ideal = fractions.map(|f| f * n as f64);
    let mut counts = ideal.map(|x| x.floor() as usize);
    let mut left = n.saturating_sub(counts.iter().sum());
    let mut order = [0usize, 1, 2];
    // Stable sort: equal remainders keep split order (train before val before test).
    order.sort_by(|&a, &b| (ideal[b] - ideal[b].floor()).total_cmp(&(ideal[a] - ideal[a].floor())));
    for &s in order.iter().cycle().take(3 * n.max(1)) {
        if left == 0 {
            break;
        }
        if fractions[s] > 0.0 {
            counts[s] += 1;
            left -= 1;
        }
    }
    let wanted = fractions.iter().filter(|&&f| f > 0.0).count();
    if n >= wanted {
        for s in 0..3 {
            if fractions[s] > 0.0 && counts[s] == 0 {
                let largest = (0..3)
                    .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)))
                    .unwrap_or(0);
                counts[largest] -= 1;
                counts[s] += 1;
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr(train: f64, val: f64, test: f64) -> SplitConfig {
        SplitConfig { train, val, test }
    }

    /// 0..n labels with class c having sizes[c] rows, interleaved.
    fn labels(sizes: &[usize]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut left = sizes.to_vec();
        while left.iter().any(|&l| l > 0) {
            for (c, l) in left.iter_mut().enumerate() {
                if *l > 0 {
                    out.push(c);
                    *l -= 1;
                }
            }
        }
        out
    }

    #[test]
    fn counts_add_up_and_follow_fractions() {
        assert_eq!(class_counts(1000, [0.8, 0.2, 0.0]), [800, 200, 0]);
        assert_eq!(class_counts(10, [0.7, 0.15, 0.15]), [7, 2, 1]);
        assert_eq!(class_counts(3, [0.8, 0.1, 0.1]), [1, 1, 1]);
        assert_eq!(class_counts(2, [0.9, 0.1, 0.0]), [1, 1, 0]);
        assert_eq!(class_counts(1, [0.8, 0.2, 0.0]), [1, 0, 0]);
        for n in 0..200 {
            for f in [
                [0.8, 0.2, 0.0],
                [0.6, 0.2, 0.2],
                [1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0],
                [0.5, 0.5, 0.0],
            ] {
                let c = class_counts(n, f);
                assert_eq!(c.iter().sum::<usize>(), n, "n={n} f={f:?}");
                assert!(
                    c[2] == 0 || f[2] > 0.0,
                    "zero fraction got rows: n={n} {f:?} {c:?}"
                );
                for s in 0..3 {
                    assert!(
                        (c[s] as f64 - f[s] * n as f64).abs() <= 2.0,
                        "n={n} f={f:?} c={c:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn keeps_class_proportions() {
        let y = labels(&[600, 300, 100]);
        let s = stratified_split(&y, 3, &fr(0.7, 0.2, 0.1), 5).unwrap();
        let count = |rows: &[usize], c: usize| rows.iter().filter(|&&r| y[r] == c).count();
        for (c, size) in [600usize, 300, 100].into_iter().enumerate() {
            assert_eq!(count(&s.train, c), size * 7 / 10);
            assert_eq!(count(&s.val, c), size * 2 / 10);
            assert_eq!(count(&s.test, c), size / 10);
        }
    }

    #[test]
    fn disjoint_covering_sorted_and_deterministic() {
        let y = labels(&[513, 277, 9]);
        let s = stratified_split(&y, 3, &fr(0.6, 0.25, 0.15), 11).unwrap();
        let mut all: Vec<usize> = s
            .train
            .iter()
            .chain(&s.val)
            .chain(&s.test)
            .copied()
            .collect();
        for part in [&s.train, &s.val, &s.test] {
            assert!(part.windows(2).all(|w| w[0] < w[1]), "not sorted ascending");
        }
        all.sort_unstable();
        assert_eq!(all, (0..y.len()).collect::<Vec<_>>());
        assert_eq!(
            s,
            stratified_split(&y, 3, &fr(0.6, 0.25, 0.15), 11).unwrap()
        );
        assert_ne!(
            s,
            stratified_split(&y, 3, &fr(0.6, 0.25, 0.15), 12).unwrap()
        );
    }

    #[test]
    fn kfold_val_sets_partition_train_val_and_keep_test() {
        let y = labels(&[50, 30, 7]);
        let base = stratified_split(&y, 3, &fr(0.6, 0.2, 0.2), 3).unwrap();
        let folds: Vec<Split> = (0..5)
            .map(|i| kfold_split(&y, &base, 5, i, 9).unwrap())
            .collect();
        let mut vals: Vec<usize> = folds.iter().flat_map(|f| f.val.clone()).collect();
        vals.sort_unstable();
        let mut pool: Vec<usize> = base.train.iter().chain(&base.val).copied().collect();
        pool.sort_unstable();
        assert_eq!(vals, pool, "the val sets partition train+val");
        for f in &folds {
            assert_eq!(f.test, base.test);
            assert_eq!(f.train.len() + f.val.len(), pool.len());
            assert!(f.val.iter().all(|r| f.train.binary_search(r).is_err()));
        }
        assert!(kfold_split(&y, &base, 100, 99, 9).is_err());
    }

    #[test]
    fn empty_train_or_val_names_the_key() {
        let err = stratified_split(&[0, 1], 2, &fr(1.0, 0.0, 0.0), 1).unwrap_err();
        assert!(
            err.to_string().contains("data.split") && err.to_string().contains("val"),
            "{err}"
        );
        let err = stratified_split(&[], 2, &fr(0.8, 0.2, 0.0), 1).unwrap_err();
        assert!(err.to_string().contains("data.split"), "{err}");
        let err = stratified_split(&[0, 1], 2, &fr(0.8, 0.3, 0.0), 1).unwrap_err();
        assert!(err.to_string().contains("sum to 1"), "{err}");
        assert!(stratified_split(&[0, 5], 2, &fr(0.5, 0.5, 0.0), 1).is_err());
    }
}
