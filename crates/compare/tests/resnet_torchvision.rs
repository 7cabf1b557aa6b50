//! Both routes against torchvision itself (`scripts/resnet_reference.py` builds the network
//! from `torchvision.models.resnet.BasicBlock` under torchvision's names and loads the same
//! weights with `load_state_dict(strict=True)`): on the same images, the eval-mode logits agree
//! (f64 ≤ 1e-10, f32 ≤ 1e-4 relative), and one SGD step in train mode gives the same loss,
//! gradients, weights and BatchNorm statistics, with and without frozen stages (a frozen
//! BatchNorm is put in `eval()` on the PyTorch side: that is our rule).

#[path = "resnet_support/mod.rs"]
mod resnet_support;

use common::config::{Config, ModelKind, OptimConfig, OptimName, Stem};
use common::seed::Rng;
use common::spec::ModelSpec;
use common::tensor::{find, HostTensor, NamedTensors};
use compare::parity::{ScratchStepper, StepRecord, TorchStepper};
use ndarray::Array2;
use rand::{Rng as _, SeedableRng};
use resnet_support::{read, rel, script, values, write_safetensors};
use tch::{Device, Kind};
use torch::Precision;

const ARCH: [&str; 8] = [
    "--blocks", "1,2", "--widths", "4,8", "--stem", "small", "--in-ch", "3",
];
const CLASSES: usize = 5;
const BATCH: usize = 6;

/// The same ResNet from our config: two stages (1 and 2 blocks), widths 4 and 8, the small
/// stem, on 3×8×8 images.
fn spec(freeze: &[&str]) -> ModelSpec {
    let mut cfg = Config::default();
    cfg.model.kind = ModelKind::Resnet;
    cfg.model.blocks = vec![1, 2];
    cfg.model.widths = vec![4, 8];
    cfg.model.stem = Stem::Small;
    cfg.model.freeze = freeze.iter().map(|s| s.to_string()).collect();
    ModelSpec::from_config(&cfg, 3 * 64, Some([3, 8, 8]), CLASSES).unwrap()
}

/// Weights written by PyTorch (BatchNorm statistics randomised) and a batch of images whose
/// values are f32 numbers (so that f32 and f64 runs see the same inputs).
struct Fixture {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    weights: NamedTensors,
    x: Array2<f32>,
    y: Vec<usize>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let w = path.join("w.safetensors");
    let mut args = ARCH.to_vec();
    args.extend([
        "--classes",
        "5",
        "--init-out",
        w.to_str().unwrap(),
        "--seed",
        "1",
    ]);
    script("resnet_reference.py", &args);
    let mut rng = Rng::seed_from_u64(4);
    let x = Array2::from_shape_fn((BATCH, 3 * 64), |_| rng.gen_range(-2.0f32..2.0));
    let y = vec![0, 1, 2, 3, 4, 1];
    let xs = HostTensor::f64(vec![BATCH, 3, 8, 8], x.iter().map(|&v| v as f64).collect());
    let ys = HostTensor::i64(vec![BATCH], y.iter().map(|&c| c as i64).collect());
    write_safetensors(
        &path.join("x.safetensors"),
        &vec![("x".into(), xs), ("y".into(), ys)],
    );
    Fixture {
        weights: read(&w),
        _dir: dir,
        dir: path,
        x,
        y,
    }
}

/// `resnet_reference.py` on the fixture with `extra` options; its output tensors.
fn reference(f: &Fixture, extra: &[&str]) -> NamedTensors {
    let out = f.dir.join("out.safetensors");
    let (w, x) = (f.dir.join("w.safetensors"), f.dir.join("x.safetensors"));
    let mut args = ARCH.to_vec();
    args.extend(["--classes", "5", "--weights", w.to_str().unwrap()]);
    args.extend([
        "--input",
        x.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    args.extend(extra);
    script("resnet_reference.py", &args);
    read(&out)
}

#[test]
fn eval_logits_equal_torchvision_in_f64_and_f32() {
    let f = fixture();
    for (dtype, tol) in [("f64", 1e-10), ("f32", 1e-4)] {
        let want = values(find(&reference(&f, &["--dtype", dtype]), "logits").unwrap());
        let spec = spec(&[]);
        let ours: Vec<Vec<f64>> = if dtype == "f64" {
            let mut m = scratch::Model::<f64>::new(&spec, &f.weights).unwrap();
            let x = f.x.mapv(|v| v as f64);
            let s = m
                .forward_view(x.view(), false)
                .unwrap()
                .iter()
                .copied()
                .collect();
            vec![s, torch_logits(&spec, &f, Kind::Double)]
        } else {
            let mut m = scratch::Model::<f32>::new(&spec, &f.weights).unwrap();
            let s = m.forward_view(f.x.view(), false).unwrap();
            vec![
                s.iter().map(|&v| v as f64).collect(),
                torch_logits(&spec, &f, Kind::Float),
            ]
        };
        for (route, got) in ["scratch", "torch"].iter().zip(&ours) {
            let e = rel(got, &want);
            assert!(
                e <= tol,
                "{route} {dtype}: logits differ from torchvision's by {e:e}"
            );
            println!("{route} {dtype}: eval logits within {e:.1e} of torchvision's");
        }
    }
}

fn torch_logits(spec: &ModelSpec, f: &Fixture, kind: Kind) -> Vec<f64> {
    let mut net = torch::model::Net::new(spec, kind, Device::Cpu).unwrap();
    net.load(&f.weights).unwrap();
    let x = torch::convert::matrix_to_tensor(&f.x, kind, Device::Cpu).unwrap();
    let logits = tch::no_grad(|| net.forward(&x, false)).unwrap();
    let flat = logits.to_kind(Kind::Double).reshape([-1]);
    Vec::<f64>::try_from(&flat).unwrap()
}

/// One SGD step of both routes in f64 against torchvision's, `freeze` as `model.freeze` and
/// `scales` as `optim.lr_scale` (one `torch.optim` param group per multiplier there).
fn one_sgd_step(freeze: &[&str], scales: &[(&str, f64)]) {
    let f = fixture();
    let lr = 0.1;
    let mut extra: Vec<String> = ["--train-step", "--lr", "0.1"].map(String::from).to_vec();
    for p in freeze {
        extra.extend(["--freeze".to_string(), p.to_string()]);
    }
    for (p, s) in scales {
        extra.extend(["--lr-scale".to_string(), format!("{p}={s}")]);
    }
    let want = reference(&f, &extra.iter().map(String::as_str).collect::<Vec<_>>());
    let spec = spec(freeze);
    let optim = OptimConfig {
        name: OptimName::Sgd,
        lr,
        lr_scale: scales.iter().map(|(p, s)| (p.to_string(), *s)).collect(),
        ..OptimConfig::default()
    };
    let mut s = ScratchStepper::<f64>::new(&spec, &f.weights, &optim).unwrap();
    let mut t = TorchStepper::new(&spec, &f.weights, &optim, Precision::F64).unwrap();
    let records = [
        ("scratch", s.step(f.x.view(), &f.y, lr, true).unwrap()),
        ("torch", t.step(f.x.view(), &f.y, lr, &[], true).unwrap()),
    ];
    for (route, r) in &records {
        compare_step(route, r, &want, &spec);
    }
}

/// Logits, loss, every trained gradient and every state tensor after the step.
fn compare_step(route: &str, r: &StepRecord, want: &NamedTensors, spec: &ModelSpec) {
    let check = |what: &str, got: &[f64], name: &str| {
        let e = rel(
            got,
            &values(find(want, name).unwrap_or_else(|| panic!("{name}"))),
        );
        assert!(
            e <= 1e-10,
            "{route}: {what} differs from torchvision's by {e:e}"
        );
    };
    check("logits", &r.logits, "logits");
    check("loss", &[r.loss], "loss");
    assert_eq!(r.grads.len(), spec.trainable().len());
    for (name, g) in &r.grads {
        check(name, g, &format!("grad.{name}"));
    }
    assert_eq!(
        r.weights.len(),
        spec.state().len(),
        "parameters and buffers"
    );
    for (name, v) in &r.weights {
        check(name, v, name);
    }
}

#[test]
fn one_sgd_step_in_train_mode_equals_torchvision_running_statistics_included() {
    one_sgd_step(&[], &[]);
}

#[test]
fn a_smaller_backbone_learning_rate_is_a_param_group_of_its_own() {
    one_sgd_step(&[], &[("fc", 1.0), ("", 0.1), ("layer2.1", 0.5)]);
}

#[test]
fn with_frozen_stages_the_frozen_batch_norms_keep_their_statistics_as_in_eval_mode() {
    // The stem and stage 1 frozen: their BatchNorms normalise with, and keep, their running
    // statistics (torchvision's side puts them in eval mode); stage 2 and the head train.
    one_sgd_step(&["conv1", "bn1", "layer1"], &[]);
}
