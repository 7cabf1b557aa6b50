//! Optimizers on libtorch tensors with `torch.optim`'s exact arithmetic (the chapter's
//! `torch.optim.Adam(model.parameters(), lr=1e-3)` and `optim.SGD`), owning their state so that
//! it can be saved in checkpoints (see `state`) and a resumed run continues bit for bit. (tch's
//! own `nn::Optimizer` keeps its state inside libtorch, where it cannot be exported.)
//!
//! Adam runs on libtorch's fused kernel by default ([`AdamKernel::Fused`], the kernel of
//! `torch.optim.Adam(fused=True)`, reached through `fused`): one pass over every parameter
//! instead of eleven operations, which is a tenth of a training step of the chapter's MLP and
//! of the wide one. It evaluates the same formula but rounds a few elements differently in the
//! last bit, so [`AdamKernel::Composite`] keeps the operation-by-operation form below, bit for
//! bit `torch.optim.Adam(foreach=False)`. SGD always runs the composite form.
//!
//! The update runs in place under `no_grad` on the flat parameter buffer of [`crate::model::Net`]
//! with the formulas of `torch.optim`'s single-tensor path:
//!
//! * SGD: `g ← g + wd·w`; with momentum μ: `b ← g` on the first step, else `b ← μ·b + g`, and
//!   `g ← b`; then `w ← w − lr·g`.
//! * Adam: `g ← g + wd·w`; `m ← m + (1−β1)(g − m)` (`lerp`); `v ← β2·v + (1−β2)·g·g`;
//!   `w ← w − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)`.
//!
//! tch exposes neither the `alpha` of `add` nor the `value` of `addcmul`/`addcdiv`, so each is
//! rewritten into an operation with the same rounding: `add(p, alpha=a)` is `addcmul(p, a_t)`
//! with `a_t` a 0-dim tensor (both fuse `x + a·p` the same way), and `addcmul(x, y, value=c)` is
//! `addcmul(c·x, y)` (the kernel forms `c·x` first either way). Checked bit for bit against
//! `torch.optim.SGD`/`Adam` 2.11 on the CPU in f32 and f64 for every operation used here.
//! Elementwise kernels give the same result for an element wherever it sits in a tensor, so
//! one update of the flat buffer equals one update per parameter.
//!
//! Speed: every intermediate goes into a work buffer allocated once (`*_out` operations), so a
//! step allocates no tensor memory, and every scalar operand is a 0-dim tensor of the
//! parameters' kind made once (see [`Scalars`]) rather than a Python-style float that each
//! operation would first convert. Neither changes a single rounding: the kernels are the same.

mod fused;
mod state;
#[cfg(test)]
mod tests;

use common::config::{OptimConfig, OptimName};
use common::Result;
use tch::{Kind, TchError, Tensor};

use crate::convert::TchContext;

/// The optimizer state of one run, flat like the parameters.
#[derive(Debug)]
enum State {
    /// `momentum_buffer`, created by the first step when momentum > 0.
    Sgd { buffer: Option<Tensor> },
    /// Adam's moments and work buffers.
    Adam(AdamState),
}

/// Which implementation of Adam's update runs (the same formula either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdamKernel {
    /// libtorch's fused kernel, `torch.optim.Adam(fused=True)`: one pass over all parameters.
    /// Its rounding differs from the composite formula in the last bit of a few elements.
    #[default]
    Fused,
    /// The composite formula of `torch.optim.Adam`'s single-tensor path (`foreach=False`),
    /// operation by operation: bit for bit what PyTorch computes there, in eleven operations.
    Composite,
}

impl std::str::FromStr for AdamKernel {
    type Err = common::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "fused" => Ok(AdamKernel::Fused),
            "composite" => Ok(AdamKernel::Composite),
            other => Err(common::Error::Other(format!(
                "unknown Adam kernel '{other}' (fused or composite)"
            ))),
        }
    }
}

/// Adam's first and second moments, and what its kernel needs besides.
#[derive(Debug)]
struct AdamState {
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    work: AdamWork,
}

/// Per-kernel buffers of [`AdamState`].
#[derive(Debug)]
enum AdamWork {
    /// The step count as the fused kernel reads it (`Float`, `[]`, on the parameters' device).
    Fused { step: Tensor },
    /// Work buffers overwritten every step: `tmp` holds `(1−β2)·g`, then `−step_size·m`;
    /// `denom` holds `√v / √(1−β2ᵗ) + ε`.
    Composite { tmp: Tensor, denom: Tensor },
}

/// The constants and per-step scalars as 0-dim tensors of the parameters' kind and device: a
/// Python-float operand would be converted to that kind by every operation (one more
/// allocation and copy each), and holds the same value once rounded to it.
#[derive(Debug)]
struct Scalars {
    /// `wd` (for `g + wd·w`).
    wd: Tensor,
    /// SGD's momentum μ, or Adam's β2.
    decay: Tensor,
    /// Adam's `1 − β2`.
    one_minus_beta2: Tensor,
    /// Adam's ε.
    eps: Tensor,
    /// `−lr` (SGD) or `−lr / (1 − β1ᵗ)` (Adam), refilled each step.
    neg_step: Tensor,
    /// Adam's `√(1 − β2ᵗ)`, refilled each step.
    bc2_sqrt: Tensor,
}

impl Scalars {
    fn new(cfg: &OptimConfig, like: &Tensor) -> std::result::Result<Self, TchError> {
        let opts = (like.kind(), like.device());
        let decay = match cfg.name {
            OptimName::Sgd => cfg.momentum,
            OptimName::Adam => cfg.betas[1],
        };
        Ok(Scalars {
            wd: Tensor::f_scalar_tensor(cfg.weight_decay, opts)?,
            decay: Tensor::f_scalar_tensor(decay, opts)?,
            one_minus_beta2: Tensor::f_scalar_tensor(1.0 - cfg.betas[1], opts)?,
            eps: Tensor::f_scalar_tensor(cfg.eps, opts)?,
            neg_step: Tensor::f_scalar_tensor(0.0, opts)?,
            bc2_sqrt: Tensor::f_scalar_tensor(1.0, opts)?,
        })
    }
}

/// SGD or Adam over a flat parameter buffer.
#[derive(Debug)]
pub struct Optimizer {
    cfg: OptimConfig,
    state: State,
    step: u64,
    k: Scalars,
    /// Work buffer for `g + wd·w`, when weight decay is on.
    decayed: Option<Tensor>,
    /// Elements of the flat buffers.
    numel: i64,
    /// `(offset, numel, lr multiplier)` runs of the flat buffer (`optim.lr_scale`); empty:
    /// one run of multiplier 1, the whole buffer.
    groups: Vec<(i64, i64, f64)>,
}

impl Optimizer {
    /// A fresh optimizer for parameters like `flat` (`[n_params]`), Adam on the fused kernel.
    pub fn new(cfg: &OptimConfig, flat: &Tensor) -> Result<Self> {
        Self::with_kernel(cfg, flat, AdamKernel::default())
    }

    /// A fresh optimizer for parameters like `flat` (`[n_params]`), Adam on `kernel`.
    pub fn with_kernel(cfg: &OptimConfig, flat: &Tensor, kernel: AdamKernel) -> Result<Self> {
        let buffer = |what: &str| flat.f_zeros_like().ctx(what);
        let state = match cfg.name {
            OptimName::Sgd => State::Sgd { buffer: None },
            OptimName::Adam => State::Adam(AdamState {
                exp_avg: buffer("allocate exp_avg")?,
                exp_avg_sq: buffer("allocate exp_avg_sq")?,
                work: match kernel {
                    AdamKernel::Fused => AdamWork::Fused {
                        step: Tensor::f_zeros([], (Kind::Float, flat.device()))
                            .ctx("allocate the step count")?,
                    },
                    AdamKernel::Composite => AdamWork::Composite {
                        tmp: buffer("allocate a work buffer")?,
                        denom: buffer("allocate a work buffer")?,
                    },
                },
            }),
        };
        // The fused kernel adds the weight decay itself; the other updates use `decayed`.
        let decay_here = matches!(state, State::Sgd { .. }) || kernel == AdamKernel::Composite;
        let decayed = (cfg.weight_decay != 0.0 && decay_here)
            .then(|| buffer("allocate a work buffer"))
            .transpose()?;
        Ok(Optimizer {
            cfg: cfg.clone(),
            state,
            step: 0,
            k: Scalars::new(cfg, flat).ctx("optimizer constants")?,
            decayed,
            numel: flat.numel() as i64,
            groups: Vec::new(),
        })
    }

    /// Learning-rate multipliers by span of the flat buffer: `spans[i]` (offset, elements) is
    /// updated at `lr · scales[i]` (`ModelSpec::lr_scales`, in the order of the trained
    /// parameters). Neighbours with one multiplier form one run; elementwise kernels give an
    /// element the same result in any run, so this is one `torch.optim` param group per
    /// multiplier.
    pub fn set_lr_scales(&mut self, spans: &[(i64, i64)], scales: &[f64]) {
        self.groups.clear();
        if scales.iter().all(|&s| s == 1.0) {
            return;
        }
        for (&(o, n), &s) in spans.iter().zip(scales) {
            match self.groups.last_mut() {
                Some((lo, len, ls)) if *ls == s && *lo + *len == o => *len += n,
                _ => self.groups.push((o, n, s)),
            }
        }
    }

    /// The runs of the flat buffer with their multipliers.
    fn runs(&self) -> Vec<(i64, i64, f64)> {
        if self.groups.is_empty() {
            vec![(0, self.numel, 1.0)]
        } else {
            self.groups.clone()
        }
    }

    /// Steps taken so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }
    /// Sets the step counter (Adam's `t`), on resume.
    pub fn set_step_count(&mut self, step: u64) {
        self.step = step;
    }

    /// One update of `flat` in place from its gradient `grad` (left unchanged), at learning
    /// rate `lr`.
    ///
    /// # Shapes
    /// `flat`, `grad`: `[n_params]`.
    pub fn step(&mut self, flat: &Tensor, grad: &Tensor, lr: f64) -> Result<()> {
        tch::no_grad(|| self.step_inner(flat, grad, lr)).ctx("optimizer step")
    }

    fn step_inner(
        &mut self,
        flat: &Tensor,
        grad: &Tensor,
        lr: f64,
    ) -> std::result::Result<(), TchError> {
        self.step += 1;
        let runs = self.runs();
        if let State::Adam(AdamState {
            exp_avg,
            exp_avg_sq,
            work: AdamWork::Fused { step },
        }) = &mut self.state
        {
            // `torch.optim.Adam(fused=True)` advances the step tensor, then calls the kernel.
            let _ = step.f_fill_(self.step as f64)?;
            let whole = self.groups.is_empty();
            for &(o, n, scale) in &runs {
                let hyper = fused::AdamHyper {
                    lr: lr * scale,
                    beta1: self.cfg.betas[0],
                    beta2: self.cfg.betas[1],
                    weight_decay: self.cfg.weight_decay,
                    eps: self.cfg.eps,
                };
                let part = |t: &Tensor| {
                    if whole {
                        Ok(t.shallow_clone())
                    } else {
                        t.f_narrow(0, o, n)
                    }
                };
                let (p, g, m, v) = (part(flat)?, part(grad)?, part(exp_avg)?, part(exp_avg_sq)?);
                fused::fused_adam(&[&p], &[&g], &[&m], &[&v], &[step], hyper)?;
            }
            return Ok(());
        }
        let g = match &self.decayed {
            Some(out) => grad.f_addcmul_out(out, flat, &self.k.wd)?,
            None => grad.shallow_clone(),
        };
        let k = &mut self.k;
        match &mut self.state {
            State::Sgd { buffer } => sgd(&self.cfg, k, buffer, flat, g, lr, &runs),
            State::Adam(a) => a.update(&self.cfg, k, flat, &g, (lr, &runs), self.step),
        }
    }
}

/// SGD's update of `flat` from the (decayed) gradient `g`.
fn sgd(
    cfg: &OptimConfig,
    k: &mut Scalars,
    buffer: &mut Option<Tensor>,
    flat: &Tensor,
    g: Tensor,
    lr: f64,
    runs: &[(i64, i64, f64)],
) -> std::result::Result<(), TchError> {
    let g = match (cfg.momentum != 0.0, buffer) {
        (false, _) => g,
        (true, Some(b)) => b.f_mul_(&k.decay)?.f_add_(&g)?,
        // `torch.clone(grad).detach()` on the first step.
        (true, buffer @ None) => {
            let mut b = g.f_zeros_like()?;
            b.f_copy_(&g)?;
            buffer.insert(b).shallow_clone()
        }
    };
    for &(o, n, scale) in runs {
        let _ = k.neg_step.f_fill_(-(lr * scale))?;
        let _ = run(flat, o, n, runs)?.f_addcmul_(&run(&g, o, n, runs)?, &k.neg_step)?;
    }
    Ok(())
}

/// Elements `o..o + n` of `t`, or `t` itself when one run covers it all.
fn run(
    t: &Tensor,
    o: i64,
    n: i64,
    runs: &[(i64, i64, f64)],
) -> std::result::Result<Tensor, TchError> {
    if runs.len() == 1 {
        Ok(t.shallow_clone())
    } else {
        t.f_narrow(0, o, n)
    }
}

impl AdamState {
    /// Adam's update (step `t`) of `flat` and of the moments from the (decayed) gradient `g`.
    fn update(
        &mut self,
        cfg: &OptimConfig,
        k: &mut Scalars,
        flat: &Tensor,
        g: &Tensor,
        (lr, runs): (f64, &[(i64, i64, f64)]),
        t: u64,
    ) -> std::result::Result<(), TchError> {
        let AdamState {
            exp_avg,
            exp_avg_sq,
            work,
        } = self;
        let AdamWork::Composite { tmp, denom } = work else {
            return Err(TchError::Torch(
                "the fused Adam kernel has no composite update".into(),
            ));
        };
        let [beta1, beta2] = cfg.betas;
        let _ = exp_avg.f_lerp_(g, 1.0 - beta1)?;
        let _ = exp_avg_sq
            .f_mul_(&k.decay)?
            .f_addcmul_(&g.f_mul_out(tmp, &k.one_minus_beta2)?, g)?;
        // Python floats: `beta ** step` with a float step is C's pow, as here.
        let t = t as f64;
        let bias_correction1 = 1.0 - beta1.powf(t);
        let bias_correction2 = 1.0 - beta2.powf(t);
        let _ = k.bc2_sqrt.f_fill_(bias_correction2.powf(0.5))?;
        let _ = exp_avg_sq
            .f_sqrt_out(denom)?
            .f_div_(&k.bc2_sqrt)?
            .f_add_(&k.eps)?;
        for &(o, n, scale) in runs {
            let _ = k.neg_step.f_fill_(-(lr * scale / bias_correction1))?;
            let update =
                run(exp_avg, o, n, runs)?.f_mul_out(&run(tmp, o, n, runs)?, &k.neg_step)?;
            let _ = run(flat, o, n, runs)?.f_addcdiv_(&update, &run(denom, o, n, runs)?)?;
        }
        Ok(())
    }
}
