//! Optimizers with `torch.optim`'s exact update rules and operation order (the chapter's
//! `optim.SGD`, extended with momentum and weight decay, and Route 2's `torch.optim.Adam`),
//! so that in f64 the scratch backend tracks libtorch to rounding error.
//!
//! * SGD: `g ← g + wd·w`; with momentum `b ← g` on the first step, then `b ← μ·b + g`;
//!   `g ← b`; `w ← w − lr·g`.
//! * Adam (libtorch's `torch::optim::Adam`): `g ← g + wd·w`; `m ← β₁m + (1−β₁)g`;
//!   `v ← β₂v + (1−β₂)·g·g`; `w ← w − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)`.
//!
//! Scalars (`1−β`, bias corrections, step size) are computed in f64 and rounded once to the
//! working precision, as PyTorch does with its double `Scalar`s.

use common::config::{OptimConfig, OptimName};
use common::tensor::{find, NamedTensors};
use common::Result;

use crate::float::Float;
use crate::layers::ParamMut;
use crate::model::checked;
use crate::ops::simd;

/// Per-parameter optimizer state.
#[derive(Debug, Clone, Default)]
struct State<F> {
    /// SGD's momentum buffer, or Adam's `exp_avg` (first moment).
    first: Vec<F>,
    /// Adam's `exp_avg_sq` (second moment); empty for SGD.
    second: Vec<F>,
    /// Whether `first` holds a value yet (SGD's first step copies the gradient).
    started: bool,
}

/// SGD or Adam over a fixed list of parameters.
#[derive(Debug, Clone)]
pub struct Optimizer<F: Float> {
    cfg: OptimConfig,
    step: u64,
    state: Vec<State<F>>,
}

impl<F: Float> Optimizer<F> {
    /// An optimizer for parameters of `sizes` elements each (in the model's order).
    pub fn new(cfg: &OptimConfig, sizes: &[usize]) -> Self {
        let adam = cfg.name == OptimName::Adam;
        let state = sizes
            .iter()
            .map(|&n| State {
                first: vec![F::zero(); n],
                second: if adam { vec![F::zero(); n] } else { Vec::new() },
                started: false,
            })
            .collect();
        Optimizer {
            cfg: cfg.clone(),
            step: 0,
            state,
        }
    }
    /// Steps taken (Adam's `t`).
    pub fn steps(&self) -> u64 {
        self.step
    }
    /// Sets the step counter (on resume).
    pub fn set_steps(&mut self, step: u64) {
        self.step = step;
    }

    /// One update of every parameter from its gradient, with learning rate `lr`.
    pub fn step<'a>(&mut self, params: impl Iterator<Item = ParamMut<'a, F>>, lr: f64) {
        self.step += 1;
        for (p, st) in params.zip(&mut self.state) {
            match self.cfg.name {
                OptimName::Sgd => sgd(&self.cfg, lr, p, st),
                OptimName::Adam => adam(&self.cfg, lr, self.step, p, st),
            }
        }
    }

    /// The state as host tensors named `optim.{param}.momentum_buffer` (SGD with momentum,
    /// once started) or `optim.{param}.exp_avg` / `.exp_avg_sq` (Adam, after a step).
    pub fn export(&self, names: &[String], shapes: &[Vec<usize>]) -> NamedTensors {
        let mut out = Vec::new();
        for ((name, shape), st) in names.iter().zip(shapes).zip(&self.state) {
            match self.cfg.name {
                OptimName::Sgd if self.cfg.momentum != 0.0 && st.started => {
                    out.push((
                        format!("optim.{name}.momentum_buffer"),
                        F::host(shape.clone(), st.first.clone()),
                    ));
                }
                OptimName::Adam if self.step > 0 => {
                    out.push((
                        format!("optim.{name}.exp_avg"),
                        F::host(shape.clone(), st.first.clone()),
                    ));
                    out.push((
                        format!("optim.{name}.exp_avg_sq"),
                        F::host(shape.clone(), st.second.clone()),
                    ));
                }
                _ => {}
            }
        }
        out
    }

    /// Loads whatever state tensors are present (shapes checked first, so a bad tensor
    /// changes nothing); absent ones keep their current value.
    pub fn import(
        &mut self,
        tensors: &NamedTensors,
        names: &[String],
        shapes: &[Vec<usize>],
    ) -> Result<()> {
        let adam = self.cfg.name == OptimName::Adam;
        let keys: [&str; 2] = if adam {
            ["exp_avg", "exp_avg_sq"]
        } else {
            ["momentum_buffer", ""]
        };
        let mut loaded = Vec::new();
        for (i, (name, shape)) in names.iter().zip(shapes).enumerate() {
            for (slot, key) in keys.iter().enumerate().filter(|(_, k)| !k.is_empty()) {
                let full = format!("optim.{name}.{key}");
                if let Some(t) = find(tensors, &full) {
                    loaded.push((i, slot, checked::<F>(&full, shape, t)?));
                }
            }
        }
        for (i, slot, v) in loaded {
            let st = &mut self.state[i];
            if slot == 0 {
                st.first = v;
                st.started = true;
            } else {
                st.second = v;
            }
        }
        Ok(())
    }
}

fn sgd<F: Float>(cfg: &OptimConfig, lr: f64, p: ParamMut<'_, F>, st: &mut State<F>) {
    let (wd, mu, neg_lr) = (F::of(cfg.weight_decay), F::of(cfg.momentum), F::of(-lr));
    let decay = cfg.weight_decay != 0.0;
    if cfg.momentum == 0.0 {
        return simd(
            #[inline(always)]
            || {
                for (w, &g) in p.value.iter_mut().zip(p.grad) {
                    let g = if decay { g + wd * *w } else { g };
                    *w += neg_lr * g;
                }
            },
        );
    }
    let first = !st.started;
    st.started = true;
    simd(
        #[inline(always)]
        || {
            for ((w, &g), b) in p.value.iter_mut().zip(p.grad).zip(&mut st.first) {
                let g = if decay { g + wd * *w } else { g };
                *b = if first { g } else { *b * mu + g };
                *w += neg_lr * *b;
            }
        },
    );
}

fn adam<F: Float>(cfg: &OptimConfig, lr: f64, t: u64, p: ParamMut<'_, F>, st: &mut State<F>) {
    let [b1, b2] = cfg.betas;
    // `powf` on the float step, as C++'s `std::pow(beta, step)` in libtorch.
    let (bc1, bc2) = (1.0 - b1.powf(t as f64), 1.0 - b2.powf(t as f64));
    let (beta1, one_m_b1, beta2, one_m_b2) =
        (F::of(b1), F::of(1.0 - b1), F::of(b2), F::of(1.0 - b2));
    let (wd, eps, sqrt_bc2, neg_step) = (
        F::of(cfg.weight_decay),
        F::of(cfg.eps),
        F::of(bc2.sqrt()),
        F::of(-lr / bc1),
    );
    let decay = cfg.weight_decay != 0.0;
    st.started = true;
    let moments = st.first.iter_mut().zip(st.second.iter_mut());
    simd(
        #[inline(always)]
        || {
            for ((w, &g), (m, v)) in p.value.iter_mut().zip(p.grad).zip(moments) {
                let g = if decay { g + wd * *w } else { g };
                *m = *m * beta1 + one_m_b1 * g;
                *v = *v * beta2 + one_m_b2 * g * g;
                let denom = v.sqrt() / sqrt_bc2 + eps;
                *w += neg_step * *m / denom;
            }
        },
    );
}
