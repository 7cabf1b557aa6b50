//! f64 parity (1e-10 per step) of the shipped ResNet, `configs/digits_resnet.toml`, in the
//! fine-tuning modes people use: the last stage and the head trained with the rest frozen,
//! and the head alone (a fixed feature extractor). A frozen BatchNorm normalises with its
//! running statistics in train mode and never updates them, in both backends: the check
//! compares every BatchNorm's statistics and batch count after every step, like a weight.
//! And the whole network fine-tuned with the backbone at a tenth of the head's learning rate
//! (`optim.lr_scale`), with SGD and momentum (the config's) and with fused Adam; and
//! `BatchNorm1d` in an MLP (`model.batch_norm`, on the shipped penguins config, with dropout).

use std::path::{Path, PathBuf};

use common::config::Config;
use common::data::prepare;
use common::init::init_params;
use common::seed::{Seeds, Stream};
use common::spec::ModelSpec;
use compare::parity::{check_steps, F64_TOLERANCE};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shipped(sets: &[&str]) -> Config {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let path = workspace().join("configs/digits_resnet.toml");
    let mut cfg = Config::load(&path, &sets).unwrap();
    if let Some(p) = cfg.data.path.as_mut().filter(|p| p.is_relative()) {
        *p = workspace().join(&*p);
    }
    cfg
}

/// Epoch 1 of the shipped ResNet with `freeze`, checked step by step in f64.
fn frozen_parity(freeze: &str) -> ModelSpec {
    parity(&[&format!("model.freeze={freeze}")], freeze)
}

/// Epoch 1 of the shipped ResNet with `sets`, checked step by step in f64.
fn parity(sets: &[&str], what: &str) -> ModelSpec {
    let mut sets = sets.to_vec();
    sets.push("train.epochs=1");
    let cfg = shipped(&sets);
    let freeze = what;
    let data = prepare(&cfg).unwrap();
    let spec = ModelSpec::from_config(&cfg, data.n_features(), data.image_shape, data.n_classes())
        .unwrap();
    let init = init_params(
        &spec,
        cfg.model.init,
        &mut Seeds::new(cfg.seed).rng(Stream::Init),
    );
    let r = check_steps(&cfg, &data, &spec, &init, F64_TOLERANCE, None).unwrap();
    assert_eq!(r.steps, data.train.y.len().div_ceil(cfg.train.batch_size));
    let compared = 2 + spec.trainable().len() + spec.params().len() + spec.buffers().len();
    assert_eq!(r.worst.len(), compared, "{freeze}");
    assert!(r.max() <= F64_TOLERANCE, "{freeze}\n{}", r.render());
    println!(
        "{freeze}: f64, {} steps, max relative error {:.2e}",
        r.steps,
        r.max()
    );
    spec
}

#[test]
fn the_last_stage_fine_tuned_agrees_in_f64() {
    let spec = frozen_parity(r#"["conv1","bn1","layer1"]"#);
    assert!(spec.is_frozen_norm("bn1") && spec.is_frozen_norm("layer1.0.bn2"));
    assert!(!spec.is_frozen_norm("layer2.0.downsample.1"));
}

#[test]
fn the_head_alone_agrees_in_f64() {
    let spec = frozen_parity(r#"["conv1","bn1","layer1","layer2"]"#);
    let trained: Vec<String> = spec.trainable().into_iter().map(|p| p.name).collect();
    assert_eq!(trained, ["fc.weight", "fc.bias"]);
}

#[test]
fn everything_trained_with_a_smaller_backbone_rate_agrees_in_f64() {
    let scale = r#"optim.lr_scale={ "fc" = 1.0, "" = 0.1 }"#;
    for optim in ["optim.name=\"sgd\"", "optim.name=\"adam\""] {
        let spec = parity(&[scale, optim, "optim.lr=0.01"], optim);
        let table = [("fc".to_string(), 1.0), (String::new(), 0.1)]
            .into_iter()
            .collect();
        let scales = spec.lr_scales(&table).unwrap();
        assert_eq!(
            scales.iter().filter(|&&s| s == 1.0).count(),
            2,
            "fc.weight, fc.bias"
        );
        assert_eq!(scales.len(), spec.params().len());
    }
}

#[test]
fn a_learning_rate_prefix_that_matches_nothing_is_an_error() {
    let cfg = shipped(&[r#"optim.lr_scale={ "layer9" = 0.1 }"#]);
    let spec = ModelSpec::from_config(&cfg, 3 * 16 * 16, Some([3, 16, 16]), 10).unwrap();
    let e = spec.lr_scales(&cfg.optim.lr_scale).unwrap_err().to_string();
    assert!(
        e.contains("optim.lr_scale") && e.contains("\"layer9\" matches no trained parameter"),
        "{e}"
    );
}

#[test]
fn an_mlp_with_batch_norm_agrees_in_f64() {
    let sets: Vec<String> = ["model.batch_norm=true", "train.epochs=1"]
        .map(String::from)
        .to_vec();
    let mut cfg = Config::load(&workspace().join("configs/penguins.toml"), &sets).unwrap();
    if let Some(p) = cfg.data.path.as_mut().filter(|p| p.is_relative()) {
        *p = workspace().join(&*p);
    }
    let data = prepare(&cfg).unwrap();
    let spec = ModelSpec::from_config(&cfg, data.n_features(), data.image_shape, data.n_classes())
        .unwrap();
    assert_eq!(
        spec.buffers().len(),
        3 * cfg.model.hidden.len(),
        "one BatchNorm1d per hidden layer"
    );
    let init = init_params(
        &spec,
        cfg.model.init,
        &mut Seeds::new(cfg.seed).rng(Stream::Init),
    );
    let r = check_steps(&cfg, &data, &spec, &init, F64_TOLERANCE, None).unwrap();
    assert!(r.max() <= F64_TOLERANCE, "{}", r.render());
    println!(
        "penguins + batch_norm: f64, {} steps, max relative error {:.2e}",
        r.steps,
        r.max()
    );
}
