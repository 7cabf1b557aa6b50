//! The optimizers against hand-computed values and against `torch.optim` 2.11 itself, two
//! steps each, with weight decay and (for SGD) momentum.

use common::config::{OptimConfig, OptimName};
use common::spec::ParamInfo;
use common::tensor::TensorData;
use tch::{Kind, Tensor};
use torch::optim::{AdamKernel, Optimizer};

const P0: [f64; 3] = [0.5, -1.0, 2.0];
const GRADS: [[f64; 3]; 2] = [[0.1, -0.2, 0.3], [-0.05, 0.4, 0.25]];

fn sgd() -> OptimConfig {
    OptimConfig {
        name: OptimName::Sgd,
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.01,
        ..OptimConfig::default()
    }
}

fn adam() -> OptimConfig {
    OptimConfig {
        name: OptimName::Adam,
        lr: 0.01,
        weight_decay: 0.01,
        betas: [0.9, 0.999],
        eps: 1e-8,
        ..OptimConfig::default()
    }
}

/// Runs two steps on `P0` in `kind`; returns the parameters and the exported state.
fn two_steps(cfg: &OptimConfig, kind: Kind) -> (Vec<f64>, Vec<(String, Vec<f64>)>) {
    two_steps_on(cfg, kind, AdamKernel::default())
}

/// [`two_steps`] with Adam on `kernel`.
fn two_steps_on(
    cfg: &OptimConfig,
    kind: Kind,
    kernel: AdamKernel,
) -> (Vec<f64>, Vec<(String, Vec<f64>)>) {
    let flat = Tensor::from_slice(&P0).to_kind(kind);
    let mut opt = Optimizer::with_kernel(cfg, &flat, kernel).unwrap();
    for g in GRADS {
        opt.step(&flat, &Tensor::from_slice(&g).to_kind(kind), cfg.lr)
            .unwrap();
    }
    assert_eq!(opt.step_count(), 2);
    let info = ParamInfo {
        name: "net.0.bias".into(),
        shape: vec![3],
        fan_in: 1,
        layer: 0,
        is_weight: false,
    };
    let state = opt.export(&[info], &[(0, 3)]).unwrap();
    let state = state.into_iter().map(|(n, t)| (n, t.to_f64())).collect();
    (
        Vec::<f64>::try_from(&flat.to_kind(Kind::Double)).unwrap(),
        state,
    )
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1e-3),
            "{what}[{i}]: got {g}, want {w}"
        );
    }
}

#[test]
fn sgd_momentum_weight_decay_matches_hand_computation() {
    let (p, state) = two_steps(&sgd(), Kind::Double);
    // g' = g + wd·w; b1 = g'1; w1 = w0 − lr·b1; b2 = μ·b1 + g'2; w2 = w1 − lr·b2.
    let (mut want, mut buf) = (P0.to_vec(), vec![0.0; 3]);
    for (step, g) in GRADS.iter().enumerate() {
        for i in 0..3 {
            let gi = g[i] + 0.01 * want[i];
            buf[i] = if step == 0 { gi } else { 0.9 * buf[i] + gi };
            want[i] -= 0.1 * buf[i];
        }
    }
    assert_close(&p, &want, 1e-15, "sgd param");
    assert_eq!(state[0].0, "optim.net.0.bias.momentum_buffer");
    assert_close(&state[0].1, &buf, 1e-15, "momentum buffer");
}

#[test]
fn adam_weight_decay_matches_hand_computation() {
    let (p, state) = two_steps(&adam(), Kind::Double);
    let (mut w, mut m, mut v) = (P0.to_vec(), vec![0.0; 3], vec![0.0; 3]);
    for (step, g) in GRADS.iter().enumerate() {
        let t = (step + 1) as i32;
        for i in 0..3 {
            let gi = g[i] + 0.01 * w[i];
            m[i] = 0.9 * m[i] + 0.1 * gi;
            v[i] = 0.999 * v[i] + 0.001 * gi * gi;
            let m_hat = m[i] / (1.0 - 0.9f64.powi(t));
            let v_hat = v[i] / (1.0 - 0.999f64.powi(t));
            w[i] -= 0.01 * m_hat / (v_hat.sqrt() + 1e-8);
        }
    }
    assert_close(&p, &w, 1e-12, "adam param");
    let names: Vec<&str> = state.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["optim.net.0.bias.exp_avg", "optim.net.0.bias.exp_avg_sq"]
    );
    assert_close(&state[0].1, &m, 1e-12, "exp_avg");
    assert_close(&state[1].1, &v, 1e-12, "exp_avg_sq");
}

/// Values printed by `torch.optim.SGD/Adam` (PyTorch 2.11.0, CPU, `foreach=False`) for the same
/// two steps: the composite update must agree bit for bit, in f64 and in f32. (The fused kernel
/// is held to the hand computation above, and to the composite path in `src/optim/tests.rs`.)
#[test]
fn both_optimizers_agree_bit_for_bit_with_torch_optim() {
    let cases: [(OptimConfig, Kind, [f64; 3]); 4] = [
        (
            sgd(),
            Kind::Double,
            [0.4845605, -0.9991209999999999, 1.912232],
        ),
        (
            adam(),
            Kind::Double,
            [0.48678183847369466, -0.9933781418772695, 1.9800799929530515],
        ),
        (
            sgd(),
            Kind::Float,
            [
                0.4845605f32 as f64,
                -0.99912095f32 as f64,
                1.912232f32 as f64,
            ],
        ),
        (
            adam(),
            Kind::Float,
            [
                0.48678184f32 as f64,
                -0.99337816f32 as f64,
                1.98008f32 as f64,
            ],
        ),
    ];
    for (cfg, kind, want) in cases {
        let (got, _) = two_steps_on(&cfg, kind, AdamKernel::Composite);
        assert_eq!(got, want, "{:?} in {kind:?}", cfg.name);
    }
    let (_, adam_state) = two_steps_on(&adam(), Kind::Double, AdamKernel::Composite);
    assert_eq!(
        adam_state[1].1,
        [
            1.3047984999140966e-05,
            0.00019623390999628498,
            0.00017514361000168705
        ]
    );
}

#[test]
fn plain_sgd_keeps_no_state_and_lr_changes_apply() {
    let cfg = OptimConfig {
        name: OptimName::Sgd,
        lr: 0.5,
        ..OptimConfig::default()
    };
    let flat = Tensor::from_slice(&[1.0f64, 2.0]);
    let mut opt = Optimizer::new(&cfg, &flat).unwrap();
    let g = Tensor::from_slice(&[1.0f64, -1.0]);
    opt.step(&flat, &g, 0.5).unwrap();
    opt.step(&flat, &g, 0.25).unwrap();
    assert_eq!(Vec::<f64>::try_from(&flat).unwrap(), vec![0.25, 2.75]);
    let info = ParamInfo {
        name: "net.0.bias".into(),
        shape: vec![2],
        fan_in: 1,
        layer: 0,
        is_weight: false,
    };
    assert!(opt.export(&[info], &[(0, 2)]).unwrap().is_empty());
}

#[test]
fn imported_state_resumes_exactly() {
    let cfg = adam();
    let info = ParamInfo {
        name: "net.0.bias".into(),
        shape: vec![3],
        fan_in: 1,
        layer: 0,
        is_weight: false,
    };
    let g = |i: usize| Tensor::from_slice(&GRADS[i]);
    // Straight through: two steps.
    let straight = Tensor::from_slice(&P0);
    let mut a = Optimizer::new(&cfg, &straight).unwrap();
    // Like torch.optim.Adam, no state before the first step.
    assert!(a
        .export(std::slice::from_ref(&info), &[(0, 3)])
        .unwrap()
        .is_empty());
    a.step(&straight, &g(0), cfg.lr).unwrap();
    let saved = a.export(std::slice::from_ref(&info), &[(0, 3)]).unwrap();
    a.step(&straight, &g(1), cfg.lr).unwrap();
    // Resumed: a fresh optimizer given the state and step count after one step.
    let resumed = Tensor::from_slice(&P0);
    let mut b = Optimizer::new(&cfg, &resumed).unwrap();
    b.step(&resumed, &g(0), cfg.lr).unwrap();
    let mut c = Optimizer::new(&cfg, &resumed).unwrap();
    c.import(&saved, std::slice::from_ref(&info), &[(0, 3)])
        .unwrap();
    c.set_step_count(1);
    c.step(&resumed, &g(1), cfg.lr).unwrap();
    assert_eq!(
        Vec::<f64>::try_from(&straight).unwrap(),
        Vec::<f64>::try_from(&resumed).unwrap()
    );
    assert!(matches!(saved[0].1.data, TensorData::F64(_)));
}
