//! Both halves of `compare parity` (docs/PARITY.md) on the shipped configs, and the f32 half
//! through everything the training loop does between steps. Every `configs/*.toml` (a new
//! config is covered without touching this file): the f64 check over epoch 1 within
//! `F64_TOLERANCE` (1e-10), and the synchronised f32 check over two epochs, every tensor of
//! every step and both loss curves within `curves::F32_TOLERANCE` (1e-4). Then the step and
//! plateau schedules, which no shipped config uses. Between them the runs exercise SGD with
//! momentum, Adam, dropout with Adam, augmentation, the cosine, step and plateau schedules and
//! the CNN and a ResNet (BatchNorm statistics compared like weights); the walk checks that the shipped configs still cover all of that.

use std::path::{Path, PathBuf};

use common::config::{Config, OptimName, ScheduleName};
use common::data::augment::Augmenter;
use common::data::{prepare, Prepared};
use common::init::init_params;
use common::seed::{Seeds, Stream};
use common::spec::{LayerSpec, ModelSpec};
use compare::parity::curves::{self, CurveReport, F32_TOLERANCE};
use compare::parity::{check_steps, F64_TOLERANCE};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `configs/<name>` with `sets` applied; a relative `data.path` is made absolute (tests run in
/// the crate's folder).
fn shipped(name: &str, sets: &[&str]) -> Config {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let mut cfg = Config::load(&workspace().join("configs").join(name), &sets)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    if let Some(p) = cfg.data.path.as_mut().filter(|p| p.is_relative()) {
        *p = workspace().join(&*p);
    }
    cfg
}

/// A checked run: the report, the data and the spec it ran on.
struct Checked {
    report: CurveReport,
    data: Prepared,
    spec: ModelSpec,
}

/// Runs the synchronised f32 check on `cfg` and asserts the documented tolerance over every
/// step of every epoch.
fn assert_f32_parity(name: &str, cfg: &Config) -> Checked {
    let data = prepare(cfg).unwrap_or_else(|e| panic!("{name}: {e}"));
    let spec =
        ModelSpec::from_config(cfg, data.n_features(), data.image_shape, data.n_classes()).unwrap();
    let init = init_params(
        &spec,
        cfg.model.init,
        &mut Seeds::new(cfg.seed).rng(Stream::Init),
    );
    let c = curves::check_curves(cfg, &data, &spec, &init, F32_TOLERANCE)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let per_epoch = data.train.y.len().div_ceil(cfg.train.batch_size);
    assert_eq!(c.epochs.len(), cfg.train.epochs, "{name}: every epoch ran");
    // Every step was compared; a step refereed as a near-tie taken the other way (see
    // `compare::parity::curves`) is counted apart, and the check caps those at 1%.
    assert_eq!(
        c.steps.steps + c.branched.len(),
        cfg.train.epochs * per_epoch,
        "{name}"
    );
    assert!(c.max_diff() <= F32_TOLERANCE, "{name}\n{}", c.render());
    // Every tensor was compared: logits, loss, each gradient and each updated weight.
    assert_eq!(c.steps.worst.len(), n_compared(&spec), "{name}");
    // The f32 runs are really f32: not bit-equal to the f64 run.
    assert!(c.max_between(0, 3) > 0.0, "{name}: f32 equals f64?");
    println!(
        "{name}: {} steps, synchronised max error {:.2e}, free-running {:.2e}, lr {:?}",
        c.steps.steps,
        c.max_diff(),
        c.max_between(0, 2),
        c.epochs.iter().map(|e| e.lr).collect::<Vec<_>>()
    );
    for b in &c.branched {
        println!(
            "{name}: near-tie at step {} of epoch {}, {} took the other branch: {}",
            b.step, b.epoch, b.run, b.detail
        );
    }
    Checked {
        report: c,
        data,
        spec,
    }
}

/// Tensors a parity step compares: logits, loss, the gradient of each trained parameter (a
/// frozen one has none), every parameter's updated value and every buffer (a BatchNorm's
/// running statistics and batch count).
fn n_compared(spec: &ModelSpec) -> usize {
    2 + spec.trainable().len() + spec.params().len() + spec.buffers().len()
}

/// What a config exercises, for the coverage check of the walk.
#[derive(Debug, Default)]
struct Covered {
    momentum: bool,
    adam: bool,
    dropout_with_adam: bool,
    augmentation: bool,
    cosine: bool,
    cnn: bool,
    /// BatchNorm, a residual block and a strided convolution (a ResNet).
    resnet: bool,
}

/// The f64 check over epoch 1 of `cfg`: every tensor of every step within 1e-10.
fn assert_f64_parity(name: &str, cfg: &Config, checked: &Checked) {
    let Checked { data, spec, .. } = checked;
    let init = init_params(
        spec,
        cfg.model.init,
        &mut Seeds::new(cfg.seed).rng(Stream::Init),
    );
    let r = check_steps(cfg, data, spec, &init, F64_TOLERANCE, None)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(r.steps, data.train.y.len().div_ceil(cfg.train.batch_size));
    assert_eq!(r.worst.len(), n_compared(spec), "{name}");
    assert!(r.max() <= F64_TOLERANCE, "{name}\n{}", r.render());
    println!(
        "{name}: f64, {} steps, max relative error {:.2e}",
        r.steps,
        r.max()
    );
}

#[test]
fn every_shipped_config_agrees_in_f64_and_in_f32() {
    let mut names: Vec<String> = std::fs::read_dir(workspace().join("configs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    let mut covered = Covered::default();
    for name in &names {
        let cfg = shipped(name, &["train.epochs=2"]);
        let checked = assert_f32_parity(name, &cfg);
        assert_f64_parity(name, &cfg, &checked);
        let Checked {
            report: c,
            data,
            spec,
        } = checked;
        let adam = cfg.optim.name == OptimName::Adam;
        let dropout = spec
            .layers
            .iter()
            .any(|l| matches!(l, LayerSpec::Dropout { p } if *p > 0.0));
        covered.momentum |= cfg.optim.name == OptimName::Sgd && cfg.optim.momentum > 0.0;
        covered.adam |= adam;
        covered.dropout_with_adam |= dropout && adam;
        covered.augmentation |= Augmenter::new(&data.pre, &cfg.data.augment).is_some();
        covered.cnn |= spec
            .layers
            .iter()
            .any(|l| matches!(l, LayerSpec::Conv2d { .. }));
        covered.resnet |= spec.has_buffers()
            && spec.layers.iter().any(|l| match l {
                LayerSpec::Sequential { layers } => layers
                    .iter()
                    .any(|(_, b)| matches!(b, LayerSpec::Residual { downsample, .. } if !downsample.is_empty())),
                _ => false,
            });
        if cfg.train.schedule.name == ScheduleName::Cosine {
            covered.cosine = true;
            assert!(c.epochs[1].lr < c.epochs[0].lr, "{name}: the cosine decays");
        }
    }
    let Covered {
        momentum,
        adam,
        dropout_with_adam,
        augmentation,
        cosine,
        cnn,
        resnet,
    } = covered;
    assert!(
        momentum && adam && dropout_with_adam && augmentation && cosine && cnn && resnet,
        "the shipped configs no longer exercise all of this: {covered:?}"
    );
}

#[test]
fn step_schedule_with_sgd_momentum() {
    let cfg = shipped(
        "moons.toml",
        &[
            "data.n=1000",
            "train.epochs=3",
            "train.schedule={name=\"step\", step_size=1, gamma=0.5}",
        ],
    );
    assert!(cfg.optim.momentum > 0.0);
    let c = assert_f32_parity("moons.toml, step schedule", &cfg).report;
    let lrs: Vec<f64> = c.epochs.iter().map(|e| e.lr).collect();
    assert_eq!(lrs, [0.1, 0.05, 0.025]);
}

#[test]
fn plateau_schedule_with_sgd_momentum() {
    // With a minimum improvement of 10 nats nothing after epoch 1 improves, so with patience 1
    // the rate halves after every epoch from epoch 2 on, whatever the losses (the schedule and
    // early stopping share `train.early_stopping.min_delta`).
    let cfg = shipped(
        "blobs.toml",
        &[
            "data.n=1000",
            "train.epochs=4",
            "train.schedule={name=\"plateau\", patience=1, factor=0.5, min_lr=0.001}",
            "train.early_stopping={enabled=true, patience=1, min_delta=10.0}",
        ],
    );
    // Early stopping is on with patience 1 and nothing improves: a loop that honoured it would
    // stop after epoch 2. The check runs every epoch (docs/PARITY.md), which
    // `assert_f32_parity` asserts.
    let c = assert_f32_parity("blobs.toml, plateau schedule", &cfg).report;
    let lrs: Vec<f64> = c.epochs.iter().map(|e| e.lr).collect();
    assert_eq!(lrs, [0.05, 0.05, 0.025, 0.0125]);
}

/// `tensors` as a plain safetensors `state_dict` (no metadata), as PyTorch's
/// `safetensors.torch.save_file(model.state_dict(), path)` writes it.
fn write_state_dict(path: &Path, tensors: &common::tensor::NamedTensors) {
    let data: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, t)| {
            let bytes = t.to_f32().iter().flat_map(|v| v.to_le_bytes()).collect();
            (n.clone(), t.shape.clone(), bytes)
        })
        .collect();
    let views: Vec<(&str, safetensors::tensor::TensorView<'_>)> = data
        .iter()
        .map(|(n, s, b)| {
            let v = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b);
            (n.as_str(), v.unwrap())
        })
        .collect();
    std::fs::write(path, safetensors::serialize(views, &None).unwrap()).unwrap();
}

/// f64 parity of the transfer config as it really starts: weights from a pretrained file
/// (here the pretrain config's seeded weights, saved as a state_dict), both convolutions
/// frozen and the head re-initialised from the seed.
#[test]
fn transfer_with_frozen_layers_and_a_reinitialised_head_agrees_in_f64() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pretrained.safetensors");
    // Another seed than the transfer config's, so the file's tensors and the seed's differ.
    let pre = shipped("digits_pretrain.toml", &["seed=8"]);
    let (_, pre_spec, pre_init) = common::app::starting_point(&pre, None, true).unwrap();
    assert!(pre_spec.freeze.is_empty());
    write_state_dict(&file, &pre_init);
    let set = format!("model.init_from=\"{}\"", file.display());
    let cfg = shipped(
        "digits_transfer.toml",
        &["train.epochs=1", &set, r#"model.freeze=["net.0","net.3"]"#],
    );
    let (data, spec, init) = common::app::starting_point(&cfg, None, true).unwrap();
    let find =
        |t: &common::tensor::NamedTensors, n: &str| common::tensor::find(t, n).unwrap().to_f32();
    // Every tensor comes from the file except the head, which comes from the seed.
    let seeded = common::init::initial_params(&spec, &cfg);
    for p in spec.params() {
        let from = if p.name.starts_with("net.10.") {
            &seeded
        } else {
            &pre_init
        };
        assert_eq!(find(&init, &p.name), find(from, &p.name), "{}", p.name);
        assert_ne!(
            find(&seeded, &p.name),
            find(&pre_init, &p.name),
            "{}",
            p.name
        );
    }
    assert!(spec.is_frozen("net.0.weight") && spec.is_frozen("net.3.bias"));
    assert!(spec.trainable().len() < spec.params().len());
    let r = check_steps(&cfg, &data, &spec, &init, F64_TOLERANCE, None).unwrap();
    assert_eq!(r.steps, data.train.y.len().div_ceil(cfg.train.batch_size));
    assert_eq!(r.worst.len(), n_compared(&spec));
    assert!(r.worst.iter().all(|(n, _)| !n.starts_with("grad net.0")));
    assert!(r.max() <= F64_TOLERANCE, "{}", r.render());
    println!(
        "digits_transfer from a file: f64, {} steps, max {:.2e}",
        r.steps,
        r.max()
    );
}
