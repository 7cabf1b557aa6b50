//! `MaxPool2d` (window and stride `k`, floor mode; `nn.MaxPool2d(k)`) with its argmax cache,
//! and `Flatten` (`nn.Flatten`), which moves no data: a batch is already `[n, C·H·W]`.

use ndarray::ArrayView2;

use crate::float::Float;
use crate::ops::{map_into, Buf};

/// Non-overlapping max pooling; the cache is the position of each window's maximum.
#[derive(Debug, Clone)]
pub struct MaxPool2d<F: Float> {
    /// Window and stride.
    pub k: usize,
    chw: [usize; 3],
    out_shape: [usize; 3],
    /// For each output element, the input feature index (within its row) of the maximum.
    argmax: Vec<usize>,
    out: Buf<F>,
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
            out: Buf::new(),
            dx: Buf::new(),
        }
    }
    /// Per-example output shape `[C, H/k, W/k]` (rounded down).
    pub fn output_shape(&self) -> [usize; 3] {
        self.out_shape
    }

    /// The maximum of each `k×k` window; on ties the first one (row-major) wins and a NaN
    /// wins over numbers, as in PyTorch.
    ///
    /// # Shapes
    /// `x`: `[n, C·H·W]` → `[n, C·(H/k)·(W/k)]`.
    pub fn forward(&mut self, x: ArrayView2<'_, F>) -> ArrayView2<'_, F> {
        let ([c, h, w], [_, ho, wo], k) = (self.chw, self.out_shape, self.k);
        let (n, d_out) = (x.nrows(), c * ho * wo);
        self.out.resize(n, d_out);
        self.argmax.resize(n * d_out, 0);
        let out = self.out.as_mut_slice();
        for (ni, row) in x.rows().into_iter().enumerate() {
            for (j, (o, a)) in out[ni * d_out..][..d_out]
                .iter_mut()
                .zip(&mut self.argmax[ni * d_out..])
                .enumerate()
            {
                let (ch, oy, ox) = (j / (ho * wo), (j / wo) % ho, j % wo);
                let first = (ch * h + oy * k) * w + ox * k;
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
                (*o, *a) = (best, at);
            }
        }
        self.out.view()
    }

    /// Routes each output gradient to the input position that held the maximum.
    ///
    /// # Shapes
    /// `dy`: `[n, C·(H/k)·(W/k)]` → [`MaxPool2d::grad_input`] `[n, C·H·W]`.
    pub fn backward(&mut self, dy: ArrayView2<'_, F>) {
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
    }

    /// The output of the last forward pass.
    pub fn output(&self) -> ArrayView2<'_, F> {
        self.out.view()
    }
    /// `∂L/∂x` of the last backward pass.
    pub fn grad_input(&self) -> ArrayView2<'_, F> {
        self.dx.view()
    }
}

/// `[n, C, H, W]` → `[n, C·H·W]`: the identity on this crate's row-major batches.
#[derive(Debug, Clone, Default)]
pub struct Flatten<F: Float> {
    out: Buf<F>,
    dx: Buf<F>,
}

impl<F: Float> Flatten<F> {
    /// A flatten layer.
    pub fn new() -> Self {
        Flatten {
            out: Buf::new(),
            dx: Buf::new(),
        }
    }
    /// Copies `x` (the layout is already flat).
    ///
    /// # Shapes
    /// `x`: `[n, d]` → `[n, d]`.
    pub fn forward(&mut self, x: ArrayView2<'_, F>) -> ArrayView2<'_, F> {
        copy_into(&mut self.out, x);
        self.out.view()
    }
    /// Copies `dy`.
    ///
    /// # Shapes
    /// `dy`: `[n, d]` → `[n, d]`.
    pub fn backward(&mut self, dy: ArrayView2<'_, F>) {
        copy_into(&mut self.dx, dy);
    }
    /// The output of the last forward pass.
    pub fn output(&self) -> ArrayView2<'_, F> {
        self.out.view()
    }
    /// `∂L/∂x` of the last backward pass.
    pub fn grad_input(&self) -> ArrayView2<'_, F> {
        self.dx.view()
    }
}

fn copy_into<F: Float>(buf: &mut Buf<F>, x: ArrayView2<'_, F>) {
    buf.resize(x.nrows(), x.ncols());
    map_into(buf.as_mut_slice(), x, |v| v);
}
