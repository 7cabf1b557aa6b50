//! Class weights (`train.class_weights`) against PyTorch itself, in f64: the weighted losses
//! and their gradients from `torch.nn.functional.cross_entropy(weight=…)` and
//! `binary_cross_entropy_with_logits(weight=…, pos_weight=…)` computed in Python
//! (`scripts/class_weights_reference.py`), against the torch route's loss (the same libtorch,
//! so bit for bit) and scratch's hand-written forward and backward; then the two routes' f64
//! parity with weights, step by step, on the shipped tabular configs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::config::Config;
use common::data::prepare;
use common::init::init_params;
use common::loss_weights::LossWeights;
use common::seed::{Seeds, Stream};
use common::spec::{Head, ModelSpec};
use compare::parity::{check_steps, F64_TOLERANCE};
use ndarray::Array2;
use serde_json::json;
use tch::{Device, Kind, Tensor};

mod resnet_support;
use resnet_support::python;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Seeded logits with ordinary floats (and one large one, where a naive formula overflows).
fn logits(n: usize, k: usize, seed: u64) -> Array2<f64> {
    let mut s = seed;
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut z = Array2::from_shape_fn((n, k), |_| 7.3 * (next() - 0.5));
    z[[0, 0]] = 41.7;
    z
}

/// Python's loss and gradient for `case`.
fn pytorch(case: &serde_json::Value) -> (f64, Array2<f64>) {
    let mut child = Command::new(python())
        .arg(workspace().join("scripts/class_weights_reference.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    let text = case.to_string();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows: Vec<Vec<f64>> = serde_json::from_value(v["grad"].clone()).unwrap();
    let rows: Vec<Vec<f64>> = match rows.first().map(Vec::len) {
        Some(_) => rows,
        None => vec![],
    };
    let k = rows.first().map_or(0, Vec::len);
    let flat: Vec<f64> = rows.concat();
    let grad = Array2::from_shape_vec((flat.len() / k.max(1), k), flat).unwrap();
    (v["loss"].as_f64().unwrap(), grad)
}

/// The torch route's loss (`torch::model::loss` with its `LossTensors`) and autograd gradient.
fn torch_route(head: Head, z: &Array2<f64>, y: &[usize], w: &LossWeights) -> (f64, Array2<f64>) {
    let flat: Vec<f64> = z.iter().copied().collect();
    let logits = Tensor::from_slice(&flat)
        .reshape([z.nrows() as i64, z.ncols() as i64])
        .set_requires_grad(true);
    let labels: Vec<i64> = y.iter().map(|&c| c as i64).collect();
    let yb = Tensor::from_slice(&labels);
    let targets = torch::model::loss_targets(head, &yb, Kind::Double).unwrap();
    let weights = torch::model::LossTensors::new(w, Kind::Double, Device::Cpu).unwrap();
    let loss = torch::model::loss(head, &logits, &targets, Some(&weights)).unwrap();
    loss.backward();
    let g: Vec<f64> = Vec::try_from(logits.grad().reshape([-1])).unwrap();
    let grad = Array2::from_shape_vec(z.raw_dim(), g).unwrap();
    (loss.double_value(&[]), grad)
}

/// scratch's weighted loss and hand-written gradient, in f64.
fn scratch_route(head: Head, z: &Array2<f64>, y: &[usize], w: &LossWeights) -> (f64, Array2<f64>) {
    let mut loss = scratch::loss::Loss::<f64>::new(head).with_weights(Some(w));
    let l = loss.forward(z.view(), y).unwrap();
    (l, loss.backward().to_owned())
}

/// The largest distance in units in the last place between two arrays.
fn max_ulps(a: &Array2<f64>, b: &Array2<f64>) -> u64 {
    assert_eq!(a.dim(), b.dim());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x.to_bits() as i64 - y.to_bits() as i64).unsigned_abs())
        .max()
        .unwrap_or(0)
}

/// One case: Python, the torch route and scratch on the same logits and weights.
fn check(name: &str, head: Head, z: &Array2<f64>, y: &[usize], w: &LossWeights) {
    let case = match (head, w) {
        (Head::Softmax { .. }, LossWeights::Softmax(v)) => {
            json!({"head": "softmax", "logits": z.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(), "labels": y, "weight": v})
        }
        (Head::Bce, LossWeights::Bce { weight, pos_weight }) => {
            json!({"head": "bce", "logits": z.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(), "labels": y, "weight": weight, "pos_weight": pos_weight})
        }
        _ => unreachable!("a case pairs a head with its kind of weights"),
    };
    let (py_loss, py_grad) = pytorch(&case);
    let (t_loss, t_grad) = torch_route(head, z, y, w);
    assert_eq!(
        t_loss.to_bits(),
        py_loss.to_bits(),
        "{name}: torch route's loss"
    );
    assert_eq!(
        max_ulps(&t_grad, &py_grad),
        0,
        "{name}: torch route's gradient"
    );
    let (s_loss, s_grad) = scratch_route(head, z, y, w);
    let rel = (s_loss - py_loss).abs() / py_loss.abs();
    assert!(
        rel <= 4.0 * f64::EPSILON,
        "{name}: scratch loss {s_loss} vs {py_loss}"
    );
    let scale = py_grad.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let worst = s_grad
        .iter()
        .zip(&py_grad)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(
        worst <= 4.0 * f64::EPSILON * scale,
        "{name}: scratch gradient off by {worst:e} (scale {scale:e}, {} ulps)",
        max_ulps(&s_grad, &py_grad)
    );
    eprintln!(
        "{name}: torch route bit for bit; scratch loss {:.1e} relative, gradient {} ulps at most",
        rel,
        max_ulps(&s_grad, &py_grad)
    );
}

#[test]
fn weighted_losses_and_gradients_are_pytorchs() {
    let y3: Vec<usize> = (0..29).map(|i| (i * 7 + i / 3) % 3).collect();
    let w3 = LossWeights::Softmax(vec![0.37, 2.9, 1.3]);
    check(
        "cross_entropy(weight)",
        Head::Softmax { classes: 3 },
        &logits(29, 3, 1),
        &y3,
        &w3,
    );
    let y2: Vec<usize> = (0..31).map(|i| usize::from(i % 5 == 1)).collect();
    let pos_only = LossWeights::Bce {
        weight: None,
        pos_weight: 3.7,
    };
    check(
        "bce(pos_weight)",
        Head::Bce,
        &logits(31, 1, 2),
        &y2,
        &pos_only,
    );
    // A list [w0, w1] = [0.6, 4.1]: weight w0, pos_weight w1 / w0.
    let list = LossWeights::resolve(
        Some(&common::config::ClassWeights::Given(vec![0.6, 4.1])),
        Head::Bce,
        &y2,
        &[],
    )
    .unwrap()
    .unwrap();
    check(
        "bce(weight, pos_weight)",
        Head::Bce,
        &logits(31, 1, 3),
        &y2,
        &list,
    );
}

/// `configs/<name>` with `sets`, its data path made absolute.
fn shipped(name: &str, sets: &[&str]) -> Config {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let mut cfg = Config::load(&workspace().join("configs").join(name), &sets).unwrap();
    if let Some(p) = cfg.data.path.as_mut().filter(|p| p.is_relative()) {
        *p = workspace().join(&*p);
    }
    cfg
}

#[test]
fn both_routes_agree_step_by_step_with_class_weights_in_f64() {
    for (name, sets) in [
        ("breast_cancer.toml", ["train.class_weights=\"balanced\""]),
        ("breast_cancer.toml", ["train.class_weights=[2.0, 5.0]"]),
        ("penguins.toml", ["train.class_weights=\"balanced\""]),
        ("penguins.toml", ["train.class_weights=[1.0, 3.0, 0.5]"]),
    ] {
        let cfg = shipped(name, &sets);
        let data = prepare(&cfg).unwrap();
        let spec = ModelSpec::from_config(&cfg, data.n_features(), None, data.n_classes()).unwrap();
        let init = init_params(
            &spec,
            cfg.model.init,
            &mut Seeds::new(cfg.seed).rng(Stream::Init),
        );
        let report = check_steps(&cfg, &data, &spec, &init, F64_TOLERANCE, None)
            .unwrap_or_else(|e| panic!("{name} {sets:?}: {e}"));
        eprintln!("{name} {sets:?}: {report:?}");
    }
}
