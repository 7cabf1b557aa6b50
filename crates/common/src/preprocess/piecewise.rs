//! Piecewise-linear encoding of a numeric column (`data.piecewise_bins`; Gorishniy, Rubachev
//! and Babenko, "On Embeddings for Numerical Features in Tabular Deep Learning", 2022): the
//! training values' quantiles cut the line into bins, and a value becomes one feature per bin,
//! how far it has come through that bin. A value in bin `t` reads `1, …, 1, fraction, 0, …, 0`.
//!
//! Why: a small MLP fed one standardized number needs many units to draw a step at a threshold
//! (a day count, a dose), which a tree cuts exactly; here every bin's edge is a place where the
//! first layer can bend. A linear function of the number is still a weighted sum of the
//! features (weights in proportion to the bins' widths), so nothing a standardized input could
//! express is lost. The encoding depends on the value only through its rank among the training
//! edges and the position inside its bin, so it needs no scaling; the first bin extends below the
//! smallest training value and the last above the largest, so new rows outside the training
//! range still move the features (REPORT §12 measures it on raw tables).

/// The bin edges of a column: `bins + 1` quantiles of its non-missing training values
/// (`sorted`, ascending), the lower one at each step `i / bins`, with repeats collapsed (a
/// column of a few distinct values gets fewer bins); an edge within `1e-9` of the column's
/// range above the previous one counts as a repeat, so that no bin is so narrow that a
/// value's fraction of it is rounding noise blown up. Empty when fewer than two bins remain:
/// such a column (a yes/no column, a constant, one mostly of one value) stays one feature,
/// scaled as `data.scaling` says.
pub(super) fn edges(sorted: &[f64], bins: usize) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::with_capacity(bins + 1);
    if sorted.is_empty() || bins == 0 {
        return out;
    }
    let last = sorted.len() - 1;
    let min_width = 1e-9 * (sorted[last] - sorted[0]);
    for i in 0..=bins {
        let q = sorted[i * last / bins];
        if out.last().is_none_or(|&prev| q - prev > min_width) {
            out.push(q);
        }
    }
    if out.len() < 3 {
        out.clear();
    }
    out
}

/// Writes the encoding of `value` into `out`, one feature per bin of `edges`: bin `t` of
/// `[lo, hi)` gives `(value − lo) / (hi − lo)`, clamped to `[0, 1]`, except that the first
/// bin is not clamped below and the last not above.
///
/// # Shapes
/// `edges`: `[bins + 1]`, increasing; `out`: `bins` places.
pub(super) fn encode<'a>(value: f64, edges: &[f64], out: impl IntoIterator<Item = &'a mut f32>) {
    let bins = edges.len() - 1;
    for (t, o) in out.into_iter().enumerate().take(bins) {
        let (lo, hi) = (edges[t], edges[t + 1]);
        let mut e = (value - lo) / (hi - lo);
        if t > 0 {
            e = e.max(0.0);
        }
        if t + 1 < bins {
            e = e.min(1.0);
        }
        *o = e as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_train_quantiles_with_repeats_collapsed() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(edges(&v, 4), [0.0, 25.0, 50.0, 75.0, 100.0]);
        // Few distinct values: as many bins as the values allow.
        let few = [1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0];
        assert_eq!(edges(&few, 8), [1.0, 2.0, 3.0]);
        // Two values (yes/no) or one: no bins, the column stays one feature.
        assert!(edges(&[0.0, 0.0, 1.0, 1.0], 8).is_empty());
        assert!(edges(&[4.2; 5], 8).is_empty());
        assert!(edges(&[], 8).is_empty());
        // Float noise between two values is no bin.
        let noisy = [0.1, 0.1 + 1e-15, 0.5, 0.9, 0.9 + 2e-16];
        assert_eq!(edges(&noisy, 4), [0.1, 0.5, 0.9]);
    }

    #[test]
    fn a_value_fills_the_bins_below_it() {
        let e = [0.0, 1.0, 3.0, 7.0];
        let mut out = [0f32; 3];
        let mut at = |x: f64| {
            encode(x, &e, &mut out);
            out
        };
        assert_eq!(at(0.5), [0.5, 0.0, 0.0]);
        assert_eq!(at(2.0), [1.0, 0.5, 0.0]);
        assert_eq!(at(3.0), [1.0, 1.0, 0.0]);
        assert_eq!(at(5.0), [1.0, 1.0, 0.5]);
        // Outside the training range the end bins extrapolate.
        assert_eq!(at(-1.0), [-1.0, 0.0, 0.0]);
        assert_eq!(at(11.0), [1.0, 1.0, 2.0]);
    }

    #[test]
    fn a_linear_function_is_a_weighted_sum_of_the_features() {
        // Weights = bin widths give back value − first edge, at any value.
        let e = [-2.0, 0.5, 1.25, 9.0, 40.0];
        let w: Vec<f64> = e.windows(2).map(|p| p[1] - p[0]).collect();
        let mut out = [0f32; 4];
        for x in [-5.0, -2.0, 0.0, 0.7, 3.3, 9.0, 12.0, 40.0, 77.0] {
            encode(x, &e, &mut out);
            let sum: f64 = out.iter().zip(&w).map(|(&f, &w)| f as f64 * w).sum();
            assert!(
                (sum - (x - e[0])).abs() < 1e-5 * (1.0 + x.abs()),
                "{x}: {sum}"
            );
        }
    }
}
