//! `MaxPool2d` (window `k`, stride `s`, padding `p`, floor mode; `nn.MaxPool2d(k, s, p)`) with
//! its argmax cache, `GlobalAvgPool` (`nn.AdaptiveAvgPool2d((1, 1))` and `flatten(1)`), and
//! `Flatten` (`nn.Flatten`), which moves no data: a batch is already `[n, C·H·W]`.

use ndarray::ArrayView2;

use super::layer::{Layer, Mode};
use crate::float::Float;
use crate::ops::Buf;

/// Max pooling; the cache is the position of each window's maximum.
#[derive(Debug, Clone)]
pub struct MaxPool2d<F: Float> {
    /// Window.
    pub k: usize,
    /// Stride.
    pub stride: usize,
    /// Padding on each side (padded taps never win).
    pub padding: usize,
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
    /// A layer for `[C, H, W]` inputs with `H + 2·padding ≥ k ≥ 1`, `stride ≥ 1` and
    /// `padding ≤ k/2` (PyTorch's rule: every window holds an input element).
    pub fn new(k: usize, stride: usize, padding: usize, chw: [usize; 3]) -> Self {
        let side = |d: usize| (d + 2 * padding - k) / stride + 1;
        let out_shape = [chw[0], side(chw[1]), side(chw[2])];
        MaxPool2d {
            k,
            stride,
            padding,
            chw,
            out_shape,
            argmax: Vec::new(),
            cache_x: Buf::new(),
            dx: Buf::new(),
        }
    }
    /// Per-example output shape `[C, (H + 2p − k)/s + 1, (W + 2p − k)/s + 1]` (rounded down).
    pub fn output_shape(&self) -> [usize; 3] {
        self.out_shape
    }
    /// The input rows (or columns) `lo..hi` of output row `o`'s window, clipped to `0..len`.
    fn window(&self) -> impl Fn(usize, usize) -> (usize, usize) {
        let (k, stride, padding) = (self.k, self.stride, self.padding);
        move |o, len| {
            let start = (o * stride).saturating_sub(padding);
            (start, (o * stride + k).saturating_sub(padding).min(len))
        }
    }
}

impl<F: Float> Layer<F> for MaxPool2d<F> {
    /// The maximum of each window; on ties the first one (row-major) wins and a NaN wins over
    /// numbers, as in PyTorch. The cache is where each maximum was.
    fn forward(&mut self, x: Buf<F>, _: Mode<'_>) -> Buf<F> {
        let ([c, h, w], [_, ho, wo]) = (self.chw, self.out_shape);
        let (n, d_out) = (x.rows(), c * ho * wo);
        let mut y = std::mem::replace(&mut self.cache_x, x);
        y.resize(n, d_out);
        self.argmax.resize(n * d_out, 0);
        let out = y.as_mut_slice();
        let window = self.window();
        for (ni, row) in self
            .cache_x
            .as_slice()
            .chunks_exact((c * h * w).max(1))
            .enumerate()
        {
            let mut outputs = out[ni * d_out..][..d_out]
                .iter_mut()
                .zip(&mut self.argmax[ni * d_out..]);
            // Channel, output row, output column: the outputs' own order, so that no output
            // index has to be divided back into its coordinates.
            for ch in 0..c {
                for oy in 0..ho {
                    let rows = window(oy, h);
                    for ox in 0..wo {
                        let cols = window(ox, w);
                        let (best, at) = window_max(row, ch * h * w, w, rows, cols);
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

/// The maximum of the window `rows × cols` of the channel starting at `row[base]` (rows `w`
/// apart) and its index; the first maximum in row-major order wins a tie, and a NaN beats a
/// number (so that it propagates, as in PyTorch).
#[inline(always)]
fn window_max<F: Float>(
    row: &[F],
    base: usize,
    w: usize,
    (y0, y1): (usize, usize),
    (x0, x1): (usize, usize),
) -> (F, usize) {
    let first = base + y0 * w + x0;
    let (mut best, mut at) = (row[first], first);
    for y in y0..y1 {
        for x in x0..x1 {
            let idx = base + y * w + x;
            let v = row[idx];
            if v > best || (v.is_nan() && !best.is_nan()) {
                (best, at) = (v, idx);
            }
        }
    }
    (best, at)
}

/// The mean of each channel over its pixels: `[C, H, W]` → `[C]`.
#[derive(Debug, Clone)]
pub struct GlobalAvgPool<F: Float> {
    channels: usize,
    /// Pixels per channel, `H·W`.
    spatial: usize,
    /// The input storage, recycled as the next output (backward needs no cache: the gradient
    /// of a mean is `dy/(H·W)` on every pixel).
    spare: Buf<F>,
    dx: Buf<F>,
}

impl<F: Float> GlobalAvgPool<F> {
    /// A layer for `[channels, H, W]` inputs with `H·W = spatial ≥ 1`.
    pub fn new(channels: usize, spatial: usize) -> Self {
        GlobalAvgPool {
            channels,
            spatial: spatial.max(1),
            spare: Buf::new(),
            dx: Buf::new(),
        }
    }
}

impl<F: Float> Layer<F> for GlobalAvgPool<F> {
    /// `y[c] = Σ_pixels x[c] / (H·W)`.
    fn forward(&mut self, x: Buf<F>, _: Mode<'_>) -> Buf<F> {
        let (n, c, s) = (x.rows(), self.channels, self.spatial);
        let mut y = std::mem::replace(&mut self.spare, x);
        y.resize(n, c);
        let scale = F::of(s as f64);
        let out = y.as_mut_slice();
        for (row, o) in self
            .spare
            .as_slice()
            .chunks_exact(c * s)
            .zip(out.chunks_exact_mut(c))
        {
            for (v, px) in o.iter_mut().zip(row.chunks_exact(s)) {
                *v = px.iter().copied().sum::<F>() / scale;
            }
        }
        y
    }

    /// `dx[c, pixel] = dy[c] / (H·W)`.
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, F>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, F>> {
        if !need_dx {
            return None;
        }
        let (n, c, s) = (dy.nrows(), self.channels, self.spatial);
        self.dx.resize(n, c * s);
        let scale = F::of(s as f64);
        for (g, out) in dy
            .rows()
            .into_iter()
            .zip(self.dx.as_mut_slice().chunks_exact_mut(c * s))
        {
            for (&gv, px) in g.iter().zip(out.chunks_exact_mut(s)) {
                px.fill(gv / scale);
            }
        }
        Some(self.dx.view())
    }
}
