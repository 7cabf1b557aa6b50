//! `MaxPool2d` (window and stride `k`, floor mode; `nn.MaxPool2d(k)`) with its argmax cache,
//! and `Flatten` (`nn.Flatten`), which moves no data: a batch is already `[n, C·H·W]`.

use ndarray::ArrayView2;

use super::layer::{Layer, Mode};
use crate::float::Float;
use crate::ops::Buf;

/// Non-overlapping max pooling; the cache is the position of each window's maximum.
#[derive(Debug, Clone)]
pub struct MaxPool2d<F: Float> {
    /// Window and stride.
    pub k: usize,
    chw: [usize; 3],
    out_shape: [usize; 3],
    /// For each output element, the input feature index (within its row) of the maximum.
    argmax: Vec<usize>,
    /// The input of the last forward pass (backward reads only `argmax`: its storage
    /// receives the next output).
    cache_x: Buf<F>,
    dx: Buf<F>,
}

impl<F: Float> MaxPool2d<F> {
    /// A layer for `[C, H, W]` inputs with `H, W ≥ k ≥ 1`.
    pub fn new(k: usize, chw: [usize; 3]) -> Self {
        let out_shape = [chw[0], chw[1] / k, chw[2] / k];
        MaxPool2d {
            k,
            chw,
            out_shape,
            argmax: Vec::new(),
            cache_x: Buf::new(),
            dx: Buf::new(),
        }
    }
    /// Per-example output shape `[C, H/k, W/k]` (rounded down).
    pub fn output_shape(&self) -> [usize; 3] {
        self.out_shape
    }
}

impl<F: Float> Layer<F> for MaxPool2d<F> {
    /// The maximum of each `k×k` window; on ties the first one (row-major) wins and a NaN
    /// wins over numbers, as in PyTorch. The cache is where each maximum was.
    fn forward(&mut self, x: Buf<F>, _: Mode<'_>) -> Buf<F> {
        let ([c, h, w], [_, ho, wo], k) = (self.chw, self.out_shape, self.k);
        let (n, d_out) = (x.rows(), c * ho * wo);
        let mut y = std::mem::replace(&mut self.cache_x, x);
        let x = self.cache_x.view();
        y.resize(n, d_out);
        self.argmax.resize(n * d_out, 0);
        let out = y.as_mut_slice();
        for (ni, row) in x.rows().into_iter().enumerate() {
            let row = row.as_slice().expect("a Buf's rows are contiguous");
            let mut outputs = out[ni * d_out..][..d_out]
                .iter_mut()
                .zip(&mut self.argmax[ni * d_out..]);
            // Channel, output row, output column: the outputs' own order, so that no output
            // index has to be divided back into its coordinates.
            for ch in 0..c {
                for oy in 0..ho {
                    for ox in 0..wo {
                        let first = (ch * h + oy * k) * w + ox * k;
                        let (best, at) = window_max(row, first, w, k);
                        if let Some((o, a)) = outputs.next() {
                            (*o, *a) = (best, at);
                        }
                    }
                }
            }
        }
        y
    }

    /// Routes each output gradient to the input position that held the maximum.
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, F>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, F>> {
        if !need_dx {
            return None;
        }
        let d_in: usize = self.chw.iter().product();
        let d_out = dy.ncols();
        self.dx.resize(dy.nrows(), d_in);
        let dx = self.dx.as_mut_slice();
        dx.fill(F::zero());
        for (ni, g_row) in dy.rows().into_iter().enumerate() {
            for (&g, &at) in g_row.iter().zip(&self.argmax[ni * d_out..]) {
                dx[ni * d_in + at] += g;
            }
        }
        Some(self.dx.view())
    }
}

/// `[n, C, H, W]` → `[n, C·H·W]`: the identity on this crate's row-major batches, both ways.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flatten;

impl<F: Float> Layer<F> for Flatten {
    /// The batch itself (the layout is already flat).
    fn forward(&mut self, x: Buf<F>, _: Mode<'_>) -> Buf<F> {
        x
    }
    /// `dY` itself.
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, F>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, F>> {
        if !need_dx {
            return None;
        }
        Some(dy)
    }
}

/// The maximum of the `k×k` window whose top-left element is `row[first]` (rows `w` apart)
/// and its index; the first maximum in row-major order wins a tie, and a NaN beats a number
/// (so that it propagates, as in PyTorch).
#[inline(always)]
fn window_max<F: Float>(row: &[F], first: usize, w: usize, k: usize) -> (F, usize) {
    let (mut best, mut at) = (row[first], first);
    for ky in 0..k {
        for kx in 0..k {
            let idx = first + ky * w + kx;
            let v = row[idx];
            if v > best || (v.is_nan() && !best.is_nan()) {
                (best, at) = (v, idx);
            }
        }
    }
    (best, at)
}
