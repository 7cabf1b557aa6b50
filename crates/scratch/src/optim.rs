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
use crate::layers::{ParamMut, Parameters};
use crate::model::checked;
use crate::ops::{update_each, update_each_with_state, update_each_with_two_states};

/// One parameter's optimizer state, named as in `torch.optim`'s `state_dict`.
#[derive(Debug, Clone)]
enum State<F> {
    /// SGD: the momentum buffer, `None` until the first step (which copies the gradient).
    Sgd { momentum_buffer: Option<Vec<F>> },
    /// Adam: the running means of the gradient and of its square.
    Adam { exp_avg: Vec<F>, exp_avg_sq: Vec<F> },
}

/// SGD or Adam over a fixed list of parameters.
#[derive(Debug, Clone)]
pub struct Optimizer<F: Float> {
    cfg: OptimConfig,
    step: u64,
    state: Vec<State<F>>,
    /// Learning-rate multiplier per parameter (`optim.lr_scale`); empty: all 1.
    scales: Vec<f64>,
}

impl<F: Float> Optimizer<F> {
    /// An optimizer for parameters of `sizes` elements each (in the model's order).
    pub fn new(cfg: &OptimConfig, sizes: &[usize]) -> Self {
        let state = sizes
            .iter()
            .map(|&n| match cfg.name {
                OptimName::Sgd => State::Sgd {
                    momentum_buffer: None,
                },
                OptimName::Adam => State::Adam {
                    exp_avg: vec![F::zero(); n],
                    exp_avg_sq: vec![F::zero(); n],
                },
            })
            .collect();
        Optimizer {
            cfg: cfg.clone(),
            step: 0,
            state,
            scales: Vec::new(),
        }
    }
    /// The optimizer with a learning-rate multiplier per parameter, in its order
    /// (`ModelSpec::lr_scales`): parameter `i` is updated at `lr · scales[i]`, as in a
    /// `torch.optim` param group of that learning rate.
    pub fn with_lr_scales(mut self, scales: Vec<f64>) -> Self {
        debug_assert_eq!(scales.len(), self.state.len());
        self.scales = scales;
        self
    }
    /// Steps taken (Adam's `t`).
    pub fn steps(&self) -> u64 {
        self.step
    }
    /// Sets the step counter (on resume).
    pub fn set_steps(&mut self, step: u64) {
        self.step = step;
    }

    /// One update of every parameter from its gradient, with learning rate `lr` (the
    /// chapter's `opt.step(model.parameters())`). The parameters are visited in the order the
    /// optimizer was built for, each with its own state.
    pub fn step(&mut self, mut params: impl Parameters<F>, lr: f64) {
        self.step += 1;
        let (cfg, t) = (&self.cfg, self.step);
        let mut states = self.state.iter_mut();
        let mut scales = self.scales.iter();
        params.visit_mut(&mut |p| {
            let st = states
                .next()
                .expect("one optimizer state per trained parameter");
            // A param group's own rate, formed in f64 as Python does.
            let lr = scales.next().map_or(lr, |s| lr * s);
            match st {
                State::Sgd { momentum_buffer } => sgd(cfg, lr, p, momentum_buffer),
                State::Adam {
                    exp_avg,
                    exp_avg_sq,
                } => adam(cfg, lr, t, p, exp_avg, exp_avg_sq),
            }
        });
    }

    /// The state as host tensors named `optim.{param}.momentum_buffer` (SGD with momentum,
    /// once started) or `optim.{param}.exp_avg` / `.exp_avg_sq` (Adam, after a step).
    pub fn export(&self, names: &[String], shapes: &[Vec<usize>]) -> NamedTensors {
        let mut out = Vec::new();
        for ((name, shape), st) in names.iter().zip(shapes).zip(&self.state) {
            let mut put = |key: &str, v: &Vec<F>| {
                out.push((
                    format!("optim.{name}.{key}"),
                    F::host(shape.clone(), v.clone()),
                ));
            };
            match st {
                State::Sgd {
                    momentum_buffer: Some(b),
                } => put("momentum_buffer", b),
                State::Adam {
                    exp_avg,
                    exp_avg_sq,
                } if self.step > 0 => {
                    put("exp_avg", exp_avg);
                    put("exp_avg_sq", exp_avg_sq);
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
        let mut loaded = Vec::new();
        for (i, (name, shape)) in names.iter().zip(shapes).enumerate() {
            for key in ["momentum_buffer", "exp_avg", "exp_avg_sq"] {
                let full = format!("optim.{name}.{key}");
                if let Some(t) = find(tensors, &full) {
                    loaded.push((i, key, checked::<F>(&full, shape, t)?));
                }
            }
        }
        for (i, key, v) in loaded {
            match (&mut self.state[i], key) {
                (State::Sgd { momentum_buffer }, "momentum_buffer") => *momentum_buffer = Some(v),
                (State::Adam { exp_avg, .. }, "exp_avg") => *exp_avg = v,
                (State::Adam { exp_avg_sq, .. }, "exp_avg_sq") => *exp_avg_sq = v,
                _ => {} // another optimizer's state: not ours to load
            }
        }
        Ok(())
    }
}

/// `g ← g + wd·w`; with momentum `b ← g` on the first step, then `b ← μ·b + g`, `g ← b`;
/// `w ← w − lr·g`.
fn sgd<F: Float>(cfg: &OptimConfig, lr: f64, p: ParamMut<'_, F>, buf: &mut Option<Vec<F>>) {
    let (wd, mu, neg_lr) = (F::of(cfg.weight_decay), F::of(cfg.momentum), F::of(-lr));
    let decay = cfg.weight_decay != 0.0;
    let grad = |g: F, w: F| if decay { g + wd * w } else { g };
    if cfg.momentum == 0.0 {
        return update_each(p.value, p.grad, |w, g| *w += neg_lr * grad(g, *w));
    }
    let first = buf.is_none();
    let b = buf.get_or_insert_with(|| vec![F::zero(); p.value.len()]);
    update_each_with_state(p.value, p.grad, b, |w, g, b| {
        let g = grad(g, *w);
        *b = if first { g } else { *b * mu + g };
        *w += neg_lr * *b;
    });
}

/// `g ← g + wd·w`; `m ← β₁m + (1−β₁)g`; `v ← β₂v + (1−β₂)·g·g`;
/// `w ← w − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)`.
fn adam<F: Float>(
    cfg: &OptimConfig,
    lr: f64,
    t: u64,
    p: ParamMut<'_, F>,
    exp_avg: &mut [F],
    exp_avg_sq: &mut [F],
) {
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
    update_each_with_two_states(p.value, p.grad, exp_avg, exp_avg_sq, |w, g, m, v| {
        let g = if decay { g + wd * *w } else { g };
        *m = *m * beta1 + one_m_b1 * g;
        *v = *v * beta2 + one_m_b2 * g * g;
        let denom = v.sqrt() / sqrt_bc2 + eps;
        *w += neg_step * *m / denom;
    });
}
