//! `Conv2d` (stride `s`, zero padding, with or without a bias; `nn.Conv2d`), by im2col + GEMM:
//! the `k×k` patches of the whole batch become the columns of one matrix, so the convolution
//! is a single product with the weight `[out_ch, in_ch·k·k]` (PyTorch's `[out_ch, in_ch, k,
//! k]`, row-major). Backward is the Linear layer's backward on those columns, then col2im
//! scatters the patch gradients back onto the (overlapping) input pixels. With stride `s`, an
//! output row's taps read every `s`-th input pixel of one input row.

use ndarray::{Array1, Array2, ArrayView2};

use super::layer::{visit_weight_and_bias_mut, weight_and_bias, Layer, Mode, Param, ParamMut};
use crate::float::Float;
use crate::ops::{matmul_nn, matmul_nt, matmul_tn, Buf, Workspace};

/// A convolution layer with its im2col cache.
#[derive(Debug, Clone)]
pub struct Conv2d<F: Float> {
    /// `[out_ch, in_ch·k·k]`.
    pub weight: Array2<F>,
    /// `[out_ch]`.
    pub bias: Array1<F>,
    /// `∂L/∂W`, `[out_ch, in_ch·k·k]`.
    pub dweight: Array2<F>,
    /// `∂L/∂b`, `[out_ch]`.
    pub dbias: Array1<F>,
    /// Whether weight and bias are frozen (their gradients are then not computed).
    frozen: [bool; 2],
    /// Whether the layer has a bias (`bias` is then used; otherwise it stays empty).
    has_bias: bool,
    in_ch: usize,
    k: usize,
    pad: usize,
    stride: usize,
    hw: [usize; 2],
    out_shape: [usize; 3],
    /// The cache: `[in_ch·k·k, n·Ho·Wo]`, one column per output pixel of the batch.
    cols: Buf<F>,
    /// The input of the last forward pass (already unfolded into `cols`, so backward does
    /// not read it: its storage receives the next output).
    cache_x: Buf<F>,
    /// `W·cols` in forward, `dY` in the same `[out_ch, n·Ho·Wo]` layout in backward.
    prod: Buf<F>,
    dcols: Buf<F>,
    dx: Buf<F>,
    work: Workspace<F>,
}

impl<F: Float> Conv2d<F> {
    /// A stride-1 layer with a bias and zero parameters for `[in_ch, H, W]` inputs
    /// (`hw = [H, W]`); the caller checks that `H + 2·padding ≥ kernel` (and likewise for `W`).
    pub fn new(in_ch: usize, out_ch: usize, kernel: usize, padding: usize, hw: [usize; 2]) -> Self {
        Self::strided(in_ch, out_ch, kernel, padding, 1, true, hw)
    }

    /// [`Conv2d::new`] with stride `stride ≥ 1`, and a bias only when `bias`.
    pub fn strided(
        in_ch: usize,
        out_ch: usize,
        kernel: usize,
        padding: usize,
        stride: usize,
        bias: bool,
        hw: [usize; 2],
    ) -> Self {
        let ckk = in_ch * kernel * kernel;
        let o = |d: usize| (d + 2 * padding - kernel) / stride + 1;
        let b = if bias { out_ch } else { 0 };
        Conv2d {
            weight: Array2::zeros((out_ch, ckk)),
            bias: Array1::zeros(b),
            dweight: Array2::zeros((out_ch, ckk)),
            dbias: Array1::zeros(b),
            frozen: [false; 2],
            has_bias: bias,
            in_ch,
            k: kernel,
            pad: padding,
            stride,
            hw,
            out_shape: [out_ch, o(hw[0]), o(hw[1])],
            cols: Buf::new(),
            cache_x: Buf::new(),
            prod: Buf::new(),
            dcols: Buf::new(),
            dx: Buf::new(),
            work: Workspace::new(),
        }
    }
    /// Per-example output shape `[out_ch, Ho, Wo]`.
    pub fn output_shape(&self) -> [usize; 3] {
        self.out_shape
    }
    /// Input channels.
    pub fn in_ch(&self) -> usize {
        self.in_ch
    }
    /// Output channels.
    pub fn out_ch(&self) -> usize {
        self.out_shape[0]
    }
    /// Kernel size.
    pub fn kernel(&self) -> usize {
        self.k
    }

    /// Calls `f(col_row, col, pixel, len)` for every in-bounds run of taps of one example: the
    /// patch entry `col_row` reads input pixels `pixel, pixel + s, …` (`len` of them, `s` the
    /// stride) into output columns `col..col + len`: each output row's taps are one strided
    /// run of one input row. The index map shared by im2col and col2im, in (channel, ky, kx,
    /// output row) order.
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize, usize)) {
        let ([h, w], [_, ho, wo], k, pad, s) =
            (self.hw, self.out_shape, self.k, self.pad, self.stride);
        for c in 0..self.in_ch {
            for ky in 0..k {
                for kx in 0..k {
                    let row = (c * k + ky) * k + kx;
                    // Output columns whose input column `ox·s + kx − pad` lies in `0..w`.
                    let lo = pad.saturating_sub(kx).div_ceil(s);
                    let hi = match (w + pad).checked_sub(kx + 1) {
                        Some(last) => wo.min(last / s + 1),
                        None => 0,
                    };
                    if lo >= hi {
                        continue;
                    }
                    for oy in 0..ho {
                        let Some(iy) = (oy * s + ky).checked_sub(pad).filter(|&v| v < h) else {
                            continue;
                        };
                        let ix = lo * s + kx - pad;
                        f(row, oy * wo + lo, (c * h + iy) * w + ix, hi - lo);
                    }
                }
            }
        }
    }

    fn im2col(&mut self, x: ArrayView2<'_, F>) {
        let n = x.nrows();
        let p = self.out_shape[1] * self.out_shape[2];
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        let mut cols = std::mem::take(&mut self.cols);
        cols.resize(self.weight.ncols(), n * p);
        let c = cols.as_mut_slice();
        c.fill(F::zero()); // the padding taps stay zero
        let (d, s) = (x.ncols(), self.stride);
        for ni in 0..n {
            self.for_each_run(|row, q, pix, len| {
                let dst = &mut c[row * n * p + ni * p + q..][..len];
                if s == 1 {
                    dst.copy_from_slice(&xs[ni * d + pix..][..len]);
                } else {
                    let src = xs[ni * d + pix..].iter().step_by(s);
                    dst.iter_mut().zip(src).for_each(|(o, &v)| *o = v);
                }
            });
        }
        self.cols = cols;
    }

    fn col2im(&mut self, n: usize) {
        let p = self.out_shape[1] * self.out_shape[2];
        let d = self.in_ch * self.hw[0] * self.hw[1];
        let mut dx = std::mem::take(&mut self.dx);
        dx.resize(n, d);
        let out = dx.as_mut_slice();
        out.fill(F::zero());
        let (dc, s) = (self.dcols.as_slice(), self.stride);
        for ni in 0..n {
            // Each input pixel receives its taps' gradients in the same order as tap by tap.
            self.for_each_run(|row, q, pix, len| {
                let src = &dc[row * n * p + ni * p + q..][..len];
                out[ni * d + pix..]
                    .iter_mut()
                    .step_by(s)
                    .zip(src)
                    .for_each(|(o, &g)| *o += g);
            });
        }
        self.dx = dx;
    }
}

impl<F: Float> Layer<F> for Conv2d<F> {
    /// `cols = im2col(X)`; `Y = W·cols + b`, reordered to `[n, out_ch·Ho·Wo]`.
    fn forward(&mut self, x: Buf<F>, _: Mode<'_>) -> Buf<F> {
        let n = x.rows();
        let [o, ho, wo] = self.out_shape;
        let p = ho * wo;
        self.im2col(x.view());
        let mut y = std::mem::replace(&mut self.cache_x, x);
        self.prod.resize(o, n * p);
        matmul_nn(self.weight.view(), self.cols.view(), self.prod.view_mut());
        y.resize(n, o * p);
        let (prod, out) = (self.prod.as_slice(), y.as_mut_slice());
        for (ni, out_row) in out.chunks_exact_mut(o * p.max(1)).enumerate() {
            for (oc, dst) in out_row.chunks_exact_mut(p.max(1)).enumerate() {
                let src = &prod[oc * n * p + ni * p..][..p];
                let b = if self.has_bias {
                    self.bias[oc]
                } else {
                    F::zero()
                };
                dst.iter_mut().zip(src).for_each(|(d, &s)| *d = s + b);
            }
        }
        y
    }

    /// `dW = dY·colsᵀ`, `db = Σ dY`, and when `need_dx`, `dX = col2im(Wᵀ·dY)`.
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, F>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, F>> {
        let n = dy.nrows();
        let [o, ho, wo] = self.out_shape;
        let p = ho * wo;
        debug_assert_eq!(self.cache_x.rows(), n, "backward sees the forward batch");
        self.prod.resize(o, n * p);
        let prod = self.prod.as_mut_slice();
        // `dY` reordered to `[out_ch, n·Ho·Wo]`, channel by channel (no index is divided back
        // into its channel and pixel).
        let dy_std = dy.as_standard_layout();
        let dy_all = dy_std.as_slice().expect("standard layout");
        for (ni, dy_row) in dy_all.chunks_exact((o * p).max(1)).enumerate() {
            for (oc, g) in dy_row.chunks_exact(p.max(1)).enumerate() {
                prod[oc * n * p + ni * p..][..p].copy_from_slice(g);
            }
        }
        let [weight_frozen, bias_frozen] = self.frozen;
        if !weight_frozen {
            matmul_nt(
                self.prod.view(),
                self.cols.view(),
                None,
                self.dweight.view_mut(),
                &mut self.work,
            );
        }
        if self.has_bias && !bias_frozen {
            for (db, row) in self
                .dbias
                .iter_mut()
                .zip(self.prod.as_slice().chunks_exact((n * p).max(1)))
            {
                *db = row.iter().copied().sum();
            }
        }
        if !need_dx {
            return None;
        }
        let ckk = self.weight.ncols();
        self.dcols.resize(ckk, n * p);
        matmul_tn(
            self.weight.view(),
            self.prod.view(),
            self.dcols.view_mut(),
            &mut self.work,
        );
        self.col2im(n);
        Some(self.dx.view())
    }

    fn params(&self) -> Vec<Param<'_, F>> {
        let mut p = weight_and_bias(&self.weight, &self.bias, &self.dweight, &self.dbias);
        p.truncate(1 + usize::from(self.has_bias));
        p
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, F>)) {
        let (w, b, has_bias) = (&mut self.weight, &mut self.bias, self.has_bias);
        let mut first = true;
        visit_weight_and_bias_mut(w, b, &self.dweight, &self.dbias, &mut |p| {
            if std::mem::take(&mut first) || has_bias {
                f(p);
            }
        });
    }
    fn set_frozen(&mut self, frozen: &[bool]) {
        self.frozen = [frozen[0], frozen.get(1).copied().unwrap_or(true)];
    }
    fn param_shapes(&self) -> Vec<Vec<usize>> {
        let (o, c, k) = (self.out_ch(), self.in_ch, self.k);
        let mut shapes = vec![vec![o, c, k, k], vec![o]];
        shapes.truncate(1 + usize::from(self.has_bias));
        shapes
    }
}
