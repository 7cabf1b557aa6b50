//! The optimizers against hand-computed values and against `torch.optim` itself (the
//! project's PyTorch 2.11, run by this test through `scripts/torch_optim_reference.py`), two
//! steps each, with weight decay and (for SGD) momentum.

mod venv;

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
        fan_out: 1,
        layer: 0,
        is_weight: false,
        role: common::spec::ParamRole::Bias,
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

/// One reference case for `scripts/torch_optim_reference.py`: the request entry and, for our
/// side, the config, kind and Adam kernel.
struct Case {
    cfg: OptimConfig,
    kind: Kind,
    kernel: AdamKernel,
}

impl Case {
    /// The script's request entry for this case (`impl`: the matching PyTorch path).
    fn request(&self) -> serde_json::Value {
        let c = &self.cfg;
        let (optim, impl_) = match (c.name, self.kernel) {
            (OptimName::Sgd, _) => ("sgd", "single"),
            (OptimName::Adam, AdamKernel::Composite) => ("adam", "single"),
            (OptimName::Adam, AdamKernel::Fused) => ("adam", "fused"),
        };
        serde_json::json!({
            "optim": optim,
            "impl": impl_,
            "dtype": if self.kind == Kind::Double { "float64" } else { "float32" },
            "lr": c.lr,
            "momentum": c.momentum,
            "weight_decay": c.weight_decay,
            "betas": c.betas,
            "eps": c.eps,
        })
    }
    fn label(&self) -> String {
        format!("{:?} {:?} {:?}", self.cfg.name, self.kind, self.kernel)
    }
}

/// The values and bit patterns of one tensor in the script's answer.
fn reference_bits(v: &serde_json::Value) -> Vec<u64> {
    v["bits"]
        .as_array()
        .expect("bits")
        .iter()
        .map(|b| b.as_u64().expect("a bit pattern"))
        .collect()
}

fn our_bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// The same two steps run by `torch.optim.SGD` / `torch.optim.Adam` of the project's own
/// PyTorch (`scripts/torch_optim_reference.py` under `.venv/bin/python`, in this test) must
/// give the same parameters and state bit for bit, in f64 and in f32: SGD and the composite
/// Adam against the single-tensor path (`foreach=False`), the fused Adam kernel against
/// `torch.optim.Adam(fused=True)`.
#[test]
fn both_optimizers_agree_bit_for_bit_with_torch_optim() {
    let mut cases = Vec::new();
    for kind in [Kind::Double, Kind::Float] {
        cases.push(Case {
            cfg: sgd(),
            kind,
            kernel: AdamKernel::Composite,
        });
        for kernel in [AdamKernel::Composite, AdamKernel::Fused] {
            cases.push(Case {
                cfg: adam(),
                kind,
                kernel,
            });
        }
    }
    let request = serde_json::json!({
        "params": P0,
        "grads": GRADS,
        "cases": cases.iter().map(Case::request).collect::<Vec<_>>(),
    });
    let script = venv::workspace().join("scripts/torch_optim_reference.py");
    let out = venv::run(
        &[script.to_str().expect("utf-8 path")],
        &request.to_string(),
    );
    let answer: serde_json::Value = serde_json::from_str(&out).expect("the script's JSON");
    let version = answer["torch"].as_str().expect("torch version");
    assert!(
        version.starts_with("2.11.0"),
        "the venv has torch {version}"
    );
    let results = answer["results"].as_array().expect("results");
    assert_eq!(results.len(), cases.len());
    for (case, theirs) in cases.iter().zip(results) {
        let (params, state) = two_steps_on(&case.cfg, case.kind, case.kernel);
        let label = case.label();
        assert_eq!(
            our_bits(&params),
            reference_bits(&theirs["params"]),
            "{label}: parameters {params:?}, torch.optim: {}",
            theirs["params"]["values"]
        );
        let want_state = theirs["state"].as_object().expect("state");
        assert_eq!(state.len(), want_state.len(), "{label}: {want_state:?}");
        for (name, values) in &state {
            let key = name.rsplit('.').next().expect("a state name");
            let want = want_state
                .get(key)
                .unwrap_or_else(|| panic!("{label}: torch.optim has no '{key}'"));
            assert_eq!(
                our_bits(values),
                reference_bits(want),
                "{label}: {name} {values:?}, torch.optim: {}",
                want["values"]
            );
        }
    }
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
        fan_out: 1,
        layer: 0,
        is_weight: false,
        role: common::spec::ParamRole::Bias,
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
        fan_out: 1,
        layer: 0,
        is_weight: false,
        role: common::spec::ParamRole::Bias,
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
