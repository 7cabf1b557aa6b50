//! [`LabelledRows`]: a training set laid out for fast minibatch gathers, one record per
//! example, its label then its features, and the gather of `X[idx], y[idx]` over it.
//!
//! Why one record: keeping each label beside its features makes a gather touch one cache line
//! per example instead of two, which is what limits the chapter's tiny net once the data
//! outgrow the cache. The label travels as the 32 bits of an `f32` slot
//! (`f32::from_bits(label)`). Those bits survive the flush-to-zero mode a training epoch runs
//! in (`common::fpenv`: FTZ/DAZ), although labels 1 to 2²³ − 1 are subnormal as floats,
//! because the slot never enters arithmetic: it is written with `from_bits`, copied, and read
//! with `to_bits`; the CPU flushes only the operands and results of arithmetic, never a move.

use common::{Error, Result};

use crate::float::Float;

/// The largest label a record can hold: `u32::MAX` is kept out so that a count of classes
/// (label + 1) also fits in 32 bits.
pub const MAX_LABEL: usize = u32::MAX as usize - 1;

/// The rows of `X` with their labels `y`, one record per example.
#[derive(Debug, Clone, Default)]
pub struct LabelledRows {
    /// `[label bits, x₀, …, x_{d−1}]` per example.
    records: Vec<f32>,
    /// Features per example.
    d: usize,
}

impl LabelledRows {
    /// The records of `x` and `y`. A label above [`MAX_LABEL`] is an error naming its row.
    ///
    /// # Shapes
    /// `x`: `[n, d]`, `y`: `[n]`.
    pub fn new(x: ndarray::ArrayView2<'_, f32>, y: &[usize]) -> Result<Self> {
        let d = x.ncols();
        let mut records = Vec::with_capacity(y.len() * (d + 1));
        for (row, (features, &label)) in x.rows().into_iter().zip(y).enumerate() {
            if label > MAX_LABEL {
                return Err(Error::Shape(format!(
                    "train: label {label} at row {row} is too large (at most {} classes)",
                    MAX_LABEL + 1
                )));
            }
            records.push(f32::from_bits(label as u32));
            records.extend(features.iter());
        }
        Ok(LabelledRows { records, d })
    }

    /// Features per example.
    pub fn features(&self) -> usize {
        self.d
    }

    /// `x_out, y_out = X[idx], y[idx]` (the chapter's `X[batch_idx], y[batch_idx]`), the
    /// features converted to `F`. One pass: each record's label and features are read while
    /// its cache line is loaded.
    ///
    /// # Shapes
    /// `idx`: `[b]` → `x_out`: `[b·d]` (row-major, at least that long), `y_out`: `[b]`.
    pub fn gather<F: Float>(&self, idx: &[usize], x_out: &mut [F], y_out: &mut [usize]) {
        // The chapter's 2-feature rows (and other narrow ones) take a form whose record and
        // output row have sizes known at compile time: no slicing or loop set-up per row.
        match self.d {
            1 => self.gather_fixed::<F, 1, 2>(idx, x_out, y_out),
            2 => self.gather_fixed::<F, 2, 3>(idx, x_out, y_out),
            3 => self.gather_fixed::<F, 3, 4>(idx, x_out, y_out),
            _ => self.gather_any(idx, x_out, y_out),
        }
    }

    /// [`LabelledRows::gather`] for `D` features, records of `S = D + 1` values.
    fn gather_fixed<F: Float, const D: usize, const S: usize>(
        &self,
        idx: &[usize],
        x_out: &mut [F],
        y_out: &mut [usize],
    ) {
        const { assert!(S == D + 1, "a record is the label and D features") };
        let rows = x_out.chunks_exact_mut(D);
        for ((y, &r), out) in y_out.iter_mut().zip(idx).zip(rows) {
            let record: &[f32; S] = self.records[r * S..r * S + S]
                .try_into()
                .expect("a record of S values");
            *y = record[0].to_bits() as usize;
            for (o, &v) in out.iter_mut().zip(&record[1..]) {
                *o = F::of_f32(v);
            }
        }
    }

    /// [`LabelledRows::gather`] for any number of features.
    fn gather_any<F: Float>(&self, idx: &[usize], x_out: &mut [F], y_out: &mut [usize]) {
        let stride = self.d + 1;
        // `max(1)`: rows without features still yield their labels.
        let mut out_rows = x_out.chunks_exact_mut(self.d.max(1));
        for (y, &r) in y_out.iter_mut().zip(idx) {
            let record = &self.records[r * stride..(r + 1) * stride];
            *y = record[0].to_bits() as usize;
            if let Some(out) = out_rows.next() {
                out.iter_mut()
                    .zip(&record[1..])
                    .for_each(|(o, &v)| *o = F::of_f32(v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// Labels whose bits are subnormal, normal, NaN-patterned and the largest allowed come
    /// back exactly, with denormals flushed (the mode an epoch trains in) and without.
    #[test]
    fn label_bits_survive_flush_to_zero() {
        let labels = [
            0,
            1,
            2,
            0x7f_ffff,
            0x80_0000,
            0x7fc0_0000,
            0xff80_0001,
            MAX_LABEL,
        ];
        let x = Array2::from_shape_fn((labels.len(), 3), |(i, j)| (i * 3 + j) as f32 - 4.5);
        let rows = LabelledRows::new(x.view(), &labels).expect("labels in range");
        for flush in [true, false] {
            let _mode = common::fpenv::FlushDenormals::new(flush);
            #[cfg(target_arch = "x86_64")]
            assert_eq!(common::fpenv::current().flush, flush, "the mode took");
            let idx: Vec<usize> = (0..labels.len()).rev().collect();
            let (mut xb, mut yb) = (vec![0f64; labels.len() * 3], vec![0; labels.len()]);
            rows.gather(&idx, &mut xb, &mut yb);
            let want: Vec<usize> = idx.iter().map(|&i| labels[i]).collect();
            assert_eq!(yb, want, "flush {flush}");
            for (k, &i) in idx.iter().enumerate() {
                for j in 0..3 {
                    assert_eq!(xb[k * 3 + j], x[[i, j]] as f64);
                }
            }
        }
    }

    /// The fixed-width forms (1–3 features) and the general one gather the same rows.
    #[test]
    fn every_width_gathers_the_indexed_rows() {
        for d in [1, 2, 3, 4, 5] {
            let x = Array2::from_shape_fn((7, d), |(i, j)| (i * 10 + j) as f32 * 0.37 - 1.9);
            let y: Vec<usize> = (0..7).map(|i| i * 3 % 5).collect();
            let rows = LabelledRows::new(x.view(), &y).expect("labels in range");
            let idx = [6, 0, 3, 3, 5];
            let (mut xb, mut yb) = (vec![0f64; idx.len() * d], vec![9; idx.len()]);
            rows.gather(&idx, &mut xb, &mut yb);
            let (mut xa, mut ya) = (vec![0f64; idx.len() * d], vec![9; idx.len()]);
            rows.gather_any(&idx, &mut xa, &mut ya);
            assert_eq!((&xb, &yb), (&xa, &ya), "{d} features");
            for (k, &i) in idx.iter().enumerate() {
                assert_eq!(yb[k], y[i]);
                assert!((0..d).all(|j| xb[k * d + j] == f64::from(x[[i, j]])), "{d}");
            }
        }
    }

    #[test]
    fn a_label_past_the_largest_is_an_error_naming_its_row() {
        let x = Array2::<f32>::zeros((2, 1));
        let err = LabelledRows::new(x.view(), &[3, MAX_LABEL + 1]).unwrap_err();
        assert!(err.to_string().contains("row 1"), "{err}");
    }
}
