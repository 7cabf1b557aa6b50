//! Evaluation in chunks of rows, written once for both backends' `Backend::logits`: the input
//! width is checked, and the model sees at most [`EVAL_CHUNK`] rows per forward pass, so that
//! its activations stay bounded however large the split.

use ndarray::{s, Array2, ArrayView2};

use super::inputs::check_features;
use crate::{Error, Result};

/// Rows per forward pass when evaluating.
///
/// Small enough to bound the activations (4096 rows × a 4096-wide layer × 4 bytes = 64 MiB per
/// buffer), large enough that the per-pass fixed cost (a few libtorch ops, one host copy) is
/// nothing beside the pass itself. Each row's logits depend on that row alone in both backends
/// (no batch statistics in eval mode), so the chunk size changes no number: the torch tests check
/// this bit for bit on a shipped config.
pub const EVAL_CHUNK: usize = 4096;

/// The most bytes the buffers of one evaluation pass may take (f32): 64 MiB.
pub const EVAL_CHUNK_BYTES: usize = 64 << 20;

/// The rows per evaluation pass for `spec`: [`EVAL_CHUNK`], fewer when a row's buffers
/// ([`crate::spec::ModelSpec::forward_values`]: activations and unfolded convolution inputs)
/// would take more than [`EVAL_CHUNK_BYTES`] at that many rows. The digits-folder CNN at
/// 3×32×32 holds about 120,000 values per image: it evaluates 139 images per pass.
pub fn eval_chunk(spec: &crate::spec::ModelSpec) -> usize {
    let per_row = spec.forward_values().max(1) * 4;
    (EVAL_CHUNK_BYTES / per_row).clamp(1, EVAL_CHUNK)
}

/// The logits of `x`, computed `chunk` rows at a time by `forward` (a backend's eval-mode
/// forward pass, which returns the logits of the rows it is given), after checking that `x` has
/// the model's `n_inputs` features.
///
/// # Shapes
/// `x`: `[n, n_inputs]` → `[n, n_outputs]`; `forward`: `[m, n_inputs]` → `[m, n_outputs]`,
/// `m ≤ chunk`.
pub fn logits_in_chunks<F>(
    x: &Array2<f32>,
    n_inputs: usize,
    n_outputs: usize,
    chunk: usize,
    mut forward: F,
) -> Result<Array2<f32>>
where
    F: FnMut(ArrayView2<'_, f32>) -> Result<Array2<f32>>,
{
    check_features("logits", x.ncols(), n_inputs)?;
    let n = x.nrows();
    let mut out = Array2::zeros((n, n_outputs));
    for start in (0..n).step_by(chunk.max(1)) {
        let end = (start + chunk).min(n);
        let logits = forward(x.slice(s![start..end, ..]))?;
        if logits.dim() != (end - start, n_outputs) {
            return Err(Error::Shape(format!(
                "logits: rows {start}..{end} gave logits of shape {:?}, expected [{}, {n_outputs}]",
                logits.shape(),
                end - start
            )));
        }
        out.slice_mut(s![start..end, ..]).assign(&logits);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row-wise "model": logits `[x₀ + x₁, x₀ · x₁]`.
    fn rowwise(x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        let mut out = Array2::zeros((x.nrows(), 2));
        for (mut o, r) in out.rows_mut().into_iter().zip(x.rows()) {
            o[0] = r[0] + r[1];
            o[1] = r[0] * r[1];
        }
        Ok(out)
    }

    #[test]
    fn chunks_cover_every_row_once_in_order() {
        let x = Array2::from_shape_fn((10, 2), |(i, j)| (i * 3 + j) as f32);
        let whole = rowwise(x.view()).unwrap();
        for chunk in [1, 3, 4, 10, 64] {
            let mut calls = 0;
            let got = logits_in_chunks(&x, 2, 2, chunk, |c| {
                calls += 1;
                assert!(c.nrows() <= chunk);
                rowwise(c)
            })
            .unwrap();
            assert_eq!(got, whole, "chunk {chunk}");
            assert_eq!(calls, 10usize.div_ceil(chunk));
        }
        let empty = logits_in_chunks(&Array2::zeros((0, 2)), 2, 2, 4, rowwise).unwrap();
        assert_eq!(empty.dim(), (0, 2));
    }

    #[test]
    fn a_wrong_width_or_a_misshapen_answer_is_an_error() {
        let x = Array2::<f32>::zeros((3, 5));
        let msg = logits_in_chunks(&x, 2, 2, 4, rowwise)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("logits: input has 5 features, the model expects 2"),
            "{msg}"
        );
        let x = Array2::<f32>::zeros((3, 2));
        let msg = logits_in_chunks(&x, 2, 3, 4, rowwise)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("[3, 3]"), "{msg}");
    }
}
