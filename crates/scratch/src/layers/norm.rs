//! `BatchNorm` (`nn.BatchNorm2d` on `[C, H, W]` examples, `nn.BatchNorm1d` on `[C]`): each
//! channel is normalised over the batch and the pixels (`M = n·H·W` values), then scaled and
//! shifted. As PyTorch does it:
//!
//! ```text
//! train:  μ = mean(x),  σ² = mean((x − μ)²)          (biased, over the M values)
//!         x̂ = (x − μ)/√(σ² + ε),  y = γ·x̂ + β
//!         running_mean ← (1 − m)·running_mean + m·μ
//!         running_var  ← (1 − m)·running_var  + m·σ²·M/(M − 1)   (unbiased)
//!         num_batches_tracked += 1
//! eval:   x̂ = (x − running_mean)/√(running_var + ε),  y = γ·x̂ + β
//! ```
//!
//! with `ε = 1e-5`, `m = 0.1`. Backward (the cache is `x̂` and `1/√(σ² + ε)` per channel):
//!
//! ```text
//! dβ = Σ dy,  dγ = Σ dy·x̂
//! train:  dx = γ/(M·√(σ² + ε)) · (M·dy − Σ dy − x̂·Σ dy·x̂)
//! eval:   dx = γ/√(running_var + ε) · dy          (the statistics are constants)
//! ```
//!
//! The train-mode `dx` has two terms beyond `γ·dy/√(σ² + ε)`: the mean's (`Σ dy`) and the
//! variance's (`x̂·Σ dy·x̂`), because every output depends on every input of its channel.
//! A frozen BatchNorm (weight and bias both in `model.freeze`) normalises with its running
//! statistics in train mode too and never updates them: it stays the function it was trained
//! as, which is what freezing a layer means (PyTorch keeps updating the statistics of a
//! `requires_grad=False` BatchNorm unless it is put in `eval()` mode).

use common::spec::{BN_EPS, BN_MOMENTUM};
use ndarray::ArrayView2;

use super::layer::{BufferMut, BufferRef, Layer, Mode, Param, ParamMut};
use crate::float::Float;
use crate::ops::Buf;

/// A BatchNorm layer with its statistics and cache.
#[derive(Debug, Clone)]
pub struct BatchNorm<F: Float> {
    /// γ, `[C]`.
    pub weight: Vec<F>,
    /// β, `[C]`.
    pub bias: Vec<F>,
    /// `∂L/∂γ`, `[C]`.
    pub dweight: Vec<F>,
    /// `∂L/∂β`, `[C]`.
    pub dbias: Vec<F>,
    /// Running mean, `[C]`.
    pub running_mean: Vec<F>,
    /// Running (unbiased) variance, `[C]`.
    pub running_var: Vec<F>,
    /// Training batches seen (PyTorch's `num_batches_tracked`).
    pub num_batches_tracked: i64,
    /// `[weight, bias]` frozen; both frozen freezes the statistics too.
    frozen: [bool; 2],
    /// Values per channel in one example (`H·W`, or 1 for `BatchNorm1d`).
    spatial: usize,
    /// Whether the last forward pass normalised with batch statistics.
    batch_stats: bool,
    /// `x̂` of the last forward pass, `[n, C·S]`.
    x_hat: Buf<F>,
    /// `1/√(σ² + ε)` per channel of the last forward pass.
    inv_std: Vec<F>,
    /// The mean each channel was normalised with in the last forward pass.
    mean: Vec<F>,
    /// The batch's biased variance per channel (train mode).
    var: Vec<F>,
    /// Backward's per-channel `Σ dy` then `Σ dy·x̂` (`[2C]`, kept to allocate nothing).
    sums: Vec<F>,
    /// The input storage, recycled as the next output.
    spare: Buf<F>,
    dx: Buf<F>,
}

impl<F: Float> BatchNorm<F> {
    /// A layer for `channels` channels of `spatial` values each, γ = 1, β = 0, running mean
    /// 0, running variance 1 (the model loads the initial values).
    pub fn new(channels: usize, spatial: usize) -> Self {
        let v = |x: f64| vec![F::of(x); channels];
        BatchNorm {
            weight: v(1.0),
            bias: v(0.0),
            dweight: v(0.0),
            dbias: v(0.0),
            running_mean: v(0.0),
            running_var: v(1.0),
            num_batches_tracked: 0,
            frozen: [false; 2],
            spatial: spatial.max(1),
            batch_stats: false,
            x_hat: Buf::new(),
            inv_std: v(0.0),
            mean: v(0.0),
            var: v(0.0),
            sums: vec![F::zero(); 2 * channels],
            spare: Buf::new(),
            dx: Buf::new(),
        }
    }
    /// Whether the statistics are frozen (weight and bias both frozen).
    pub fn stats_frozen(&self) -> bool {
        self.frozen == [true, true]
    }

    /// The mean and biased variance of every channel of `x` into `self.mean`, `self.var`
    /// (two passes, as ATen's CPU kernel).
    fn batch_moments(&mut self, x: &[F], n: usize) {
        let (c, s) = (self.weight.len(), self.spatial);
        let m = F::of((n * s) as f64);
        let (mean, var) = (&mut self.mean, &mut self.var);
        mean.fill(F::zero());
        var.fill(F::zero());
        for row in x.chunks_exact(c * s) {
            for (mu, vals) in mean.iter_mut().zip(row.chunks_exact(s)) {
                *mu += vals.iter().copied().sum::<F>();
            }
        }
        mean.iter_mut().for_each(|v| *v = *v / m);
        for row in x.chunks_exact(c * s) {
            for ((sq, &mu), vals) in var.iter_mut().zip(mean.iter()).zip(row.chunks_exact(s)) {
                *sq += vals.iter().map(|&v| (v - mu) * (v - mu)).sum::<F>();
            }
        }
        var.iter_mut().for_each(|v| *v = *v / m);
    }

    /// `running ← (1 − m)·running + m·batch`, the variance unbiased by `M/(M − 1)`.
    fn update_running(&mut self, count: usize) {
        let mom = F::of(BN_MOMENTUM);
        let keep = F::one() - mom;
        // One value per channel has no unbiased variance; PyTorch refuses such a batch in
        // train mode, here the biased one (0) is used.
        let unbias = if count > 1 {
            F::of(count as f64 / (count - 1) as f64)
        } else {
            F::one()
        };
        let stats = self
            .running_mean
            .iter_mut()
            .zip(self.running_var.iter_mut());
        for ((rm, rv), (&mu, &sq)) in stats.zip(self.mean.iter().zip(&self.var)) {
            *rm = keep * *rm + mom * mu;
            *rv = keep * *rv + mom * (sq * unbias);
        }
        self.num_batches_tracked += 1;
    }
}

impl<F: Float> Layer<F> for BatchNorm<F> {
    /// Normalises each channel (batch statistics in train mode unless frozen, running ones
    /// otherwise), caches `x̂` and `1/√(σ² + ε)`, and returns `γ·x̂ + β`.
    fn forward(&mut self, x: Buf<F>, mode: Mode<'_>) -> Buf<F> {
        let (n, d) = (x.rows(), x.cols());
        let (c, s) = (self.weight.len(), self.spatial);
        let eps = F::of(BN_EPS);
        self.batch_stats = matches!(mode, Mode::Train(_)) && !self.stats_frozen();
        if self.batch_stats {
            self.batch_moments(x.as_slice(), n);
            for (inv, &sq) in self.inv_std.iter_mut().zip(&self.var) {
                *inv = F::one() / (sq + eps).sqrt();
            }
            self.update_running(n * s);
        } else {
            for (inv, &rv) in self.inv_std.iter_mut().zip(&self.running_var) {
                *inv = F::one() / (rv + eps).sqrt();
            }
            self.mean.copy_from_slice(&self.running_mean);
        }
        self.x_hat.resize(n, d);
        let mut y = std::mem::replace(&mut self.spare, x);
        y.resize(n, d);
        let (xs, xh, out) = (
            self.spare.as_slice(),
            self.x_hat.as_mut_slice(),
            y.as_mut_slice(),
        );
        for ((xr, hr), yr) in xs
            .chunks_exact(d)
            .zip(xh.chunks_exact_mut(d))
            .zip(out.chunks_exact_mut(d))
        {
            for ch in 0..c {
                let (g, b) = (self.weight[ch], self.bias[ch]);
                let (mu, inv) = (self.mean[ch], self.inv_std[ch]);
                let span = ch * s..(ch + 1) * s;
                for ((&v, h), o) in xr[span.clone()]
                    .iter()
                    .zip(&mut hr[span.clone()])
                    .zip(&mut yr[span])
                {
                    *h = (v - mu) * inv;
                    *o = g * *h + b;
                }
            }
        }
        y
    }

    /// `dβ = Σ dy`, `dγ = Σ dy·x̂`; `dx` by the train-mode formula (both statistics' terms)
    /// or the eval-mode one, whichever the forward pass used.
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, F>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, F>> {
        let (n, d) = (dy.nrows(), dy.ncols());
        let (c, s) = (self.weight.len(), self.spatial);
        let dy = dy.as_standard_layout();
        let g = dy.as_slice().expect("standard layout");
        let xh = self.x_hat.as_slice();
        self.sums.fill(F::zero());
        let (sum_dy, sum_dy_xh) = self.sums.split_at_mut(c);
        for (gr, hr) in g.chunks_exact(d).zip(xh.chunks_exact(d)) {
            for ch in 0..c {
                let span = ch * s..(ch + 1) * s;
                for (&gv, &hv) in gr[span.clone()].iter().zip(&hr[span]) {
                    sum_dy[ch] += gv;
                    sum_dy_xh[ch] += gv * hv;
                }
            }
        }
        if !self.frozen[0] {
            self.dweight.copy_from_slice(sum_dy_xh);
        }
        if !self.frozen[1] {
            self.dbias.copy_from_slice(sum_dy);
        }
        if !need_dx {
            return None;
        }
        self.dx.resize(n, d);
        let m = F::of((n * s) as f64);
        let dx = self.dx.as_mut_slice();
        for ((gr, hr), xr) in g
            .chunks_exact(d)
            .zip(xh.chunks_exact(d))
            .zip(dx.chunks_exact_mut(d))
        {
            for ch in 0..c {
                let scale = self.weight[ch] * self.inv_std[ch];
                let span = ch * s..(ch + 1) * s;
                let it = gr[span.clone()]
                    .iter()
                    .zip(&hr[span.clone()])
                    .zip(&mut xr[span]);
                if self.batch_stats {
                    let k = scale / m;
                    for ((&gv, &hv), o) in it {
                        *o = k * (m * gv - sum_dy[ch] - hv * sum_dy_xh[ch]);
                    }
                } else {
                    for ((&gv, _), o) in it {
                        *o = scale * gv;
                    }
                }
            }
        }
        Some(self.dx.view())
    }

    fn params(&self) -> Vec<Param<'_, F>> {
        vec![
            Param {
                value: &self.weight,
                grad: &self.dweight,
            },
            Param {
                value: &self.bias,
                grad: &self.dbias,
            },
        ]
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, F>)) {
        f(ParamMut {
            value: &mut self.weight,
            grad: &self.dweight,
        });
        f(ParamMut {
            value: &mut self.bias,
            grad: &self.dbias,
        });
    }
    fn param_shapes(&self) -> Vec<Vec<usize>> {
        vec![vec![self.weight.len()]; 2]
    }
    fn set_frozen(&mut self, frozen: &[bool]) {
        self.frozen = [frozen[0], frozen[1]];
    }
    fn buffers(&self) -> Vec<BufferRef<'_, F>> {
        vec![
            BufferRef::Values(&self.running_mean),
            BufferRef::Values(&self.running_var),
            BufferRef::Count(self.num_batches_tracked),
        ]
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(BufferMut<'_, F>)) {
        f(BufferMut::Values(&mut self.running_mean));
        f(BufferMut::Values(&mut self.running_var));
        f(BufferMut::Count(&mut self.num_batches_tracked));
    }
}
