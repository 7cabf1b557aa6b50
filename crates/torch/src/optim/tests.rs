//! [`Optimizer`] (work buffers, `*_out` operations, 0-dim scalar tensors) against the plain
//! transcription of `torch.optim`'s single-tensor SGD and Adam (Python-float scalars, a fresh
//! tensor per intermediate), bit for bit over enough elements that the kernels' vectorised
//! loops and their tails both run, for several steps; and Adam's fused kernel against the same
//! transcription, to within rounding. (The plain form itself is checked against PyTorch's
//! printed values in `tests/optim.rs`.)

use common::config::{OptimConfig, OptimName};
use tch::{Device, Kind, Tensor};

use super::{AdamKernel, Optimizer};

/// `torch.optim.SGD.step` / `Adam.step` for one flat parameter, written as PyTorch writes
/// them (with `add(alpha)` and `addcmul(value)` rewritten as the module docs explain).
struct Plain {
    cfg: OptimConfig,
    step: i32,
    buf: Option<Tensor>,
    m: Tensor,
    v: Tensor,
}

impl Plain {
    fn step(&mut self, p: &Tensor, grad: &Tensor, lr: f64) {
        self.step += 1;
        let cfg = &self.cfg;
        let wd = Tensor::scalar_tensor(cfg.weight_decay, (p.kind(), p.device()));
        let g = if cfg.weight_decay != 0.0 {
            grad.addcmul(p, &wd)
        } else {
            grad.shallow_clone()
        };
        let mut p = p.shallow_clone();
        match cfg.name {
            OptimName::Sgd => {
                let g = match (&mut self.buf, cfg.momentum != 0.0) {
                    (_, false) => g,
                    (Some(b), true) => b.g_mul_scalar_(cfg.momentum).g_add_(&g),
                    (b @ None, true) => b.insert(g.copy()).shallow_clone(),
                };
                let neg_lr = Tensor::scalar_tensor(-lr, (p.kind(), p.device()));
                let _ = p.addcmul_(&g, &neg_lr);
            }
            OptimName::Adam => {
                let [beta1, beta2] = cfg.betas;
                let _ = self.m.lerp_(&g, 1.0 - beta1);
                let _ = self
                    .v
                    .g_mul_scalar_(beta2)
                    .addcmul_(&g.g_mul_scalar(1.0 - beta2), &g);
                let t = f64::from(self.step);
                let step_size = lr / (1.0 - beta1.powf(t));
                let bc2_sqrt = (1.0 - beta2.powf(t)).powf(0.5);
                let denom = self.v.sqrt().g_div_scalar(bc2_sqrt).g_add_scalar_(cfg.eps);
                let _ = p.addcdiv_(&self.m.g_mul_scalar(-step_size), &denom);
            }
        }
    }
}

fn bits(t: &Tensor) -> Vec<u64> {
    Vec::<f64>::try_from(&t.to_kind(Kind::Double))
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect()
}

fn configs() -> Vec<OptimConfig> {
    let sgd = OptimConfig {
        name: OptimName::Sgd,
        lr: 0.05,
        ..OptimConfig::default()
    };
    let adam = OptimConfig {
        name: OptimName::Adam,
        lr: 1e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        ..OptimConfig::default()
    };
    vec![
        sgd.clone(),
        OptimConfig {
            momentum: 0.9,
            weight_decay: 1e-2,
            ..sgd
        },
        adam.clone(),
        OptimConfig {
            weight_decay: 1e-2,
            ..adam
        },
    ]
}

/// Runs `cfg` on `kernel` and on [`Plain`] over five steps of random gradients (a learning-rate
/// change included) from random parameters of `n` elements; returns (start, ours, plain).
fn run_both(cfg: &OptimConfig, kernel: AdamKernel, kind: Kind, n: i64) -> [Tensor; 3] {
    let (p0, grads) = crate::device::with_seed(17, || {
        let p0 = Tensor::randn([n], (kind, Device::Cpu));
        let grads: Vec<Tensor> = (0..5)
            .map(|i| Tensor::randn([n], (kind, Device::Cpu)) * 10f64.powi(i - 2))
            .collect();
        (p0, grads)
    });
    let (ours, theirs) = (p0.copy(), p0.copy());
    let mut opt = Optimizer::with_kernel(cfg, &ours, kernel).unwrap();
    let mut plain = Plain {
        cfg: cfg.clone(),
        step: 0,
        buf: None,
        m: p0.zeros_like(),
        v: p0.zeros_like(),
    };
    for (i, g) in grads.iter().enumerate() {
        // A learning-rate change mid-run, as a schedule makes.
        let lr = cfg.lr * if i < 3 { 1.0 } else { 0.5 };
        opt.step(&ours, g, lr).unwrap();
        plain.step(&theirs, g, lr);
    }
    [p0, ours, theirs]
}

#[test]
fn fused_adam_matches_the_plain_transcription_to_rounding() {
    let n = 40_003;
    for (kind, tol) in [(Kind::Float, 1e-6), (Kind::Double, 1e-14)] {
        for cfg in configs().into_iter().filter(|c| c.name == OptimName::Adam) {
            let [p0, ours, theirs] = run_both(&cfg, AdamKernel::Fused, kind, n);
            let what = format!("fused Adam (wd {}) in {kind:?}", cfg.weight_decay);
            // Each step moves a parameter by about lr; the kernels may round that move
            // differently, never by more than a few units in the last place of the weight.
            let diff = (&ours - &theirs).abs().max().double_value(&[]);
            let scale = theirs.abs().max().double_value(&[]);
            assert!(diff <= tol * scale, "{what}: max difference {diff:e}");
            let moved = (&ours - &p0).abs().max().double_value(&[]);
            assert!(
                moved > 1e-4,
                "{what} moved the parameters by {moved:e} only"
            );
        }
    }
}

#[test]
fn optimizer_matches_the_plain_transcription_bit_for_bit() {
    // 40,003 elements: above libtorch's grain size, with an odd tail.
    let n = 40_003;
    for kind in [Kind::Float, Kind::Double] {
        for cfg in configs() {
            let [p0, ours, theirs] = run_both(&cfg, AdamKernel::Composite, kind, n);
            let what = format!("{:?} (wd {}) in {kind:?}", cfg.name, cfg.weight_decay);
            let (a, b) = (bits(&ours), bits(&theirs));
            let differ = a.iter().zip(&b).filter(|(x, y)| x != y).count();
            assert_eq!(differ, 0, "{what}: {differ} of {n} elements differ");
            assert_ne!(a, bits(&p0), "{what} moved the parameters");
        }
    }
}
