//! SGD (momentum, weight decay) and Adam against two steps computed by hand from
//! `torch.optim`'s formulas, and the optimizer state's export/import names.

use common::config::{OptimConfig, OptimName};
use common::tensor::find;
use scratch::layers::ParamMut;
use scratch::optim::Optimizer;

const GRADS: [f64; 2] = [0.5, -0.25];

/// Two steps on one scalar parameter starting at 1.0, with gradients 0.5 then -0.25.
fn two_steps(cfg: &OptimConfig) -> (Vec<f64>, Optimizer<f64>) {
    let mut opt = Optimizer::<f64>::new(cfg, &[1]);
    let mut w = [1.0];
    let mut seen = Vec::new();
    for g in GRADS {
        opt.step(
            std::iter::once(ParamMut {
                value: &mut w,
                grad: &[g],
            }),
            cfg.lr,
        );
        seen.push(w[0]);
    }
    (seen, opt)
}

fn cfg(name: OptimName) -> OptimConfig {
    OptimConfig {
        name,
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.01,
        ..OptimConfig::default()
    }
}

#[test]
fn sgd_with_momentum_and_weight_decay() {
    // d1 = 0.5 + 0.01·1 = 0.51, b1 = d1, w1 = 1 − 0.1·0.51 = 0.949;
    // d2 = −0.25 + 0.01·0.949 = −0.24051, b2 = 0.9·0.51 + d2 = 0.21849, w2 = 0.927151.
    let (w, opt) = two_steps(&cfg(OptimName::Sgd));
    assert!((w[0] - 0.949).abs() < 1e-15, "{w:?}");
    assert!((w[1] - 0.927151).abs() < 1e-15, "{w:?}");
    assert_eq!(opt.steps(), 2);
}

#[test]
fn plain_sgd_is_the_chapters_update() {
    let c = OptimConfig {
        momentum: 0.0,
        weight_decay: 0.0,
        ..cfg(OptimName::Sgd)
    };
    let (w, opt) = two_steps(&c);
    assert_eq!(w, vec![1.0 - 0.1 * 0.5, 1.0 - 0.1 * 0.5 + 0.1 * 0.25]);
    assert!(
        opt.export(&["p".into()], &[vec![1]]).is_empty(),
        "no momentum buffer without momentum"
    );
}

#[test]
fn adam_with_bias_correction_and_weight_decay() {
    // m1 = 0.1·0.51, v1 = 0.001·0.51², w1 = 1 − 0.1·(m1/0.1)/(√(v1/0.001) + 1e-8);
    // then the same with t = 2 (bias corrections 0.19 and 0.001999).
    let (w, _) = two_steps(&cfg(OptimName::Adam));
    assert!((w[0] - 0.900_000_001_960_784_3).abs() < 1e-12, "{w:?}");
    assert!((w[1] - 0.871_229_347_623_174_3).abs() < 1e-12, "{w:?}");
}

#[test]
fn state_round_trips_under_torch_names() {
    let names = vec!["net.0.weight".to_string()];
    let shapes = vec![vec![1]];
    let (_, adam) = two_steps(&cfg(OptimName::Adam));
    let state = adam.export(&names, &shapes);
    let keys: Vec<&str> = state.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        keys,
        [
            "optim.net.0.weight.exp_avg",
            "optim.net.0.weight.exp_avg_sq"
        ]
    );

    // A fresh optimizer with the imported state and step count continues identically.
    let mut resumed = Optimizer::<f64>::new(&cfg(OptimName::Adam), &[1]);
    resumed.import(&state, &names, &shapes).unwrap();
    resumed.set_steps(2);
    let mut original = adam;
    let (mut a, mut b) = ([0.8], [0.8]);
    original.step(
        std::iter::once(ParamMut {
            value: &mut a,
            grad: &[0.3],
        }),
        0.1,
    );
    resumed.step(
        std::iter::once(ParamMut {
            value: &mut b,
            grad: &[0.3],
        }),
        0.1,
    );
    assert_eq!(a, b);

    let (_, sgd) = two_steps(&cfg(OptimName::Sgd));
    let state = sgd.export(&names, &shapes);
    assert!(find(&state, "optim.net.0.weight.momentum_buffer").is_some());
}

#[test]
fn a_misshapen_state_tensor_is_rejected_by_name() {
    let names = vec!["net.0.weight".to_string()];
    let mut opt = Optimizer::<f64>::new(&cfg(OptimName::Sgd), &[2]);
    let bad = vec![(
        "optim.net.0.weight.momentum_buffer".to_string(),
        common::tensor::HostTensor::f64(vec![3], vec![0.0; 3]),
    )];
    let err = opt
        .import(&bad, &names, &[vec![2]])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("optim.net.0.weight.momentum_buffer")
            && err.contains("[2]")
            && err.contains("[3]"),
        "{err}"
    );
}
