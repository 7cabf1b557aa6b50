//! Optimizers on libtorch tensors with `torch.optim`'s exact arithmetic (the chapter's
//! `torch.optim.Adam(model.parameters(), lr=1e-3)` and `optim.SGD`), owning their state so that
//! it can be saved in checkpoints as `optim.{param}.momentum_buffer|exp_avg|exp_avg_sq` and a
//! resumed run continues bit for bit. (tch's own `nn::Optimizer` keeps its state inside
//! libtorch, where it cannot be exported.)
//!
//! The update runs in place under `no_grad` on the flat parameter buffer of [`crate::model::Net`]
//! with the formulas of `torch.optim`'s single-tensor path (what PyTorch uses on the CPU):
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

use common::config::{OptimConfig, OptimName};
use common::spec::ParamInfo;
use common::tensor::{HostTensor, NamedTensors};
use common::{Error, Result};
use tch::{TchError, Tensor};

use crate::convert::{host_to_tensor, tensor_to_host, TchContext};

/// The optimizer state of one run, flat like the parameters.
#[derive(Debug)]
enum State {
    /// `momentum_buffer`, created by the first step when momentum > 0.
    Sgd { buffer: Option<Tensor> },
    /// First and second moments.
    Adam { exp_avg: Tensor, exp_avg_sq: Tensor },
}

/// SGD or Adam over a flat parameter buffer.
#[derive(Debug)]
pub struct Optimizer {
    cfg: OptimConfig,
    state: State,
    step: u64,
    /// `wd` as a 0-dim tensor of the parameters' kind and device (for `g + wd·w`).
    wd: Tensor,
    /// `(lr, −lr as a 0-dim tensor)` for SGD's update, rebuilt when the LR changes.
    neg_lr: Option<(f64, Tensor)>,
    /// Elements of the flat buffers.
    numel: i64,
}

impl Optimizer {
    /// A fresh optimizer for parameters like `flat` (`[n_params]`).
    pub fn new(cfg: &OptimConfig, flat: &Tensor) -> Result<Self> {
        let opts = (flat.kind(), flat.device());
        let state = match cfg.name {
            OptimName::Sgd => State::Sgd { buffer: None },
            OptimName::Adam => State::Adam {
                exp_avg: flat.f_zeros_like().ctx("allocate exp_avg")?,
                exp_avg_sq: flat.f_zeros_like().ctx("allocate exp_avg_sq")?,
            },
        };
        let wd = Tensor::f_scalar_tensor(cfg.weight_decay, opts).ctx("weight decay")?;
        Ok(Optimizer {
            cfg: cfg.clone(),
            state,
            step: 0,
            wd,
            neg_lr: None,
            numel: flat.numel() as i64,
        })
    }

    /// Steps taken so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }
    /// Sets the step counter (Adam's `t`), on resume.
    pub fn set_step_count(&mut self, step: u64) {
        self.step = step;
    }

    /// One update of `flat` in place from its gradient `grad`, at learning rate `lr`.
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
        let g = if self.cfg.weight_decay != 0.0 {
            grad.f_addcmul(flat, &self.wd)?
        } else {
            grad.shallow_clone()
        };
        let mut p = flat.shallow_clone();
        match &mut self.state {
            State::Sgd { buffer } => {
                let momentum = self.cfg.momentum;
                let g = if momentum != 0.0 {
                    match buffer {
                        Some(b) => {
                            let _ = b.f_mul_scalar_(momentum)?.f_add_(&g)?;
                        }
                        None => {
                            let mut b = g.f_zeros_like()?;
                            b.f_copy_(&g)?;
                            *buffer = Some(b);
                        }
                    }
                    buffer.as_ref().map(Tensor::shallow_clone).unwrap_or(g)
                } else {
                    g
                };
                if !matches!(&self.neg_lr, Some((l, _)) if *l == lr) {
                    self.neg_lr = Some((
                        lr,
                        Tensor::f_scalar_tensor(-lr, (flat.kind(), flat.device()))?,
                    ));
                }
                if let Some((_, neg_lr)) = &self.neg_lr {
                    let _ = p.f_addcmul_(&g, neg_lr)?;
                }
            }
            State::Adam {
                exp_avg,
                exp_avg_sq,
            } => {
                let [beta1, beta2] = self.cfg.betas;
                let _ = exp_avg.f_lerp_(&g, 1.0 - beta1)?;
                let _ = exp_avg_sq
                    .f_mul_scalar_(beta2)?
                    .f_addcmul_(&g.f_mul_scalar(1.0 - beta2)?, &g)?;
                // Python floats: `beta ** step` with a float step is C's pow, as here.
                let t = self.step as f64;
                let bias_correction1 = 1.0 - beta1.powf(t);
                let bias_correction2 = 1.0 - beta2.powf(t);
                let step_size = lr / bias_correction1;
                let bias_correction2_sqrt = bias_correction2.powf(0.5);
                let denom = exp_avg_sq
                    .f_sqrt()?
                    .f_div_scalar(bias_correction2_sqrt)?
                    .f_add_scalar_(self.cfg.eps)?;
                let _ = p.f_addcdiv_(&exp_avg.f_mul_scalar(-step_size)?, &denom)?;
            }
        }
        Ok(())
    }

    /// The state as `optim.{param}.{momentum_buffer|exp_avg|exp_avg_sq}` host tensors, split
    /// per parameter with the spans of [`crate::model::Net::spans`].
    pub fn export(&self, infos: &[ParamInfo], spans: &[(i64, i64)]) -> Result<NamedTensors> {
        let mut out = Vec::new();
        for (suffix, buf) in self.buffers() {
            for (info, &(o, n)) in infos.iter().zip(spans) {
                let name = format!("optim.{}.{suffix}", info.name);
                let view = buf
                    .f_narrow(0, o, n)
                    .and_then(|v| v.f_reshape(crate::convert::dims(&info.shape)))
                    .ctx(&name)?;
                out.push((name.clone(), tensor_to_host(&view, &name)?));
            }
        }
        Ok(out)
    }

    /// Loads the state tensors present in `tensors` (others keep their value); each must have
    /// its parameter's shape. A momentum buffer absent from `tensors` stays absent.
    pub fn import(
        &mut self,
        tensors: &NamedTensors,
        infos: &[ParamInfo],
        spans: &[(i64, i64)],
    ) -> Result<()> {
        let suffixes: &[&str] = match self.state {
            State::Sgd { .. } => &["momentum_buffer"],
            State::Adam { .. } => &["exp_avg", "exp_avg_sq"],
        };
        for suffix in suffixes {
            for (info, &(o, n)) in infos.iter().zip(spans) {
                let name = format!("optim.{}.{suffix}", info.name);
                if let Some(t) = common::tensor::find(tensors, &name) {
                    self.load_slice(suffix, &name, t, &info.shape, o, n)?;
                }
            }
        }
        Ok(())
    }

    fn load_slice(
        &mut self,
        suffix: &str,
        name: &str,
        t: &HostTensor,
        shape: &[usize],
        o: i64,
        n: i64,
    ) -> Result<()> {
        if t.shape != shape {
            return Err(Error::Shape(format!(
                "tensor '{name}' has shape {:?}, the parameter has {shape:?}",
                t.shape
            )));
        }
        let (kind, device) = (self.wd.kind(), self.wd.device());
        let src = host_to_tensor(t, name, kind, device)?;
        let buf = match (&mut self.state, suffix) {
            (State::Sgd { buffer }, _) => {
                // A buffer loaded for some parameters only: the rest start from zero, which a
                // checkpoint written by this optimizer never produces (all or none).
                if buffer.is_none() {
                    *buffer = Some(Tensor::f_zeros([self.numel], (kind, device)).ctx(name)?);
                }
                buffer.as_mut().map(|b| b.shallow_clone())
            }
            (State::Adam { exp_avg, .. }, "exp_avg") => Some(exp_avg.shallow_clone()),
            (State::Adam { exp_avg_sq, .. }, _) => Some(exp_avg_sq.shallow_clone()),
        };
        match buf {
            Some(b) => {
                tch::no_grad(|| b.f_narrow(0, o, n)?.f_copy_(&src.f_reshape([-1])?)).ctx(name)
            }
            None => Ok(()),
        }
    }

    /// The state buffers with their checkpoint suffixes.
    fn buffers(&self) -> Vec<(&'static str, &Tensor)> {
        match &self.state {
            State::Sgd { buffer: Some(b) } => vec![("momentum_buffer", b)],
            State::Sgd { buffer: None } => vec![],
            // Like `torch.optim.Adam`, whose state appears with the first step.
            State::Adam { .. } if self.step == 0 => vec![],
            State::Adam {
                exp_avg,
                exp_avg_sq,
            } => vec![("exp_avg", exp_avg), ("exp_avg_sq", exp_avg_sq)],
        }
    }
}
