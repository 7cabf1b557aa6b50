//! A frozen backbone runs once per training example (`train.cache_frozen`, on by default):
//! on the shipped ResNet with augmentation off, training the head alone, or the last stage
//! and the head, from the cached features gives the same epochs as running the backbone in
//! every step, in both backends, and a dropout below the first trained layer (random in
//! every step) or augmentation turns the cache off.

use std::path::{Path, PathBuf};

use common::app::{train, BackendFactory, TrainArgs};
use common::config::Config;
use common::spec::ModelSpec;
use compare::factory::{torch_factory, ScratchFactory};
use torch::DeviceChoice;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `(train_loss, val_loss)` per epoch of a 3-epoch run of the shipped ResNet with `sets`.
fn losses(factory: &dyn BackendFactory, dir: &Path, sets: &[&str]) -> Vec<(f64, f64)> {
    let data = workspace().join("data/digits_folder");
    let mut set: Vec<String> = [
        "train.epochs=3",
        "data.augment.enabled=false",
        "train.early_stopping.enabled=false",
    ]
    .map(String::from)
    .to_vec();
    set.push(format!("data.path={:?}", data.display().to_string()));
    set.extend(sets.iter().map(|s| s.to_string()));
    let out = dir.join(format!(
        "{}-{}",
        factory.name(),
        sets.join("-").replace(['"', '[', ']', ','], "")
    ));
    let args = TrainArgs {
        config: Some(workspace().join("configs/digits_resnet.toml")),
        set,
        out: Some(out.clone()),
        quiet: true,
        ..TrainArgs::default()
    };
    train(factory, &args).unwrap_or_else(|e| panic!("{} train: {e}", factory.name()));
    let text = std::fs::read_to_string(out.join("history.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    let (t, v) = (col("train_loss"), col("val_loss"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[t].parse().unwrap(), f[v].parse().unwrap())
        })
        .collect()
}

#[test]
fn training_from_cached_backbone_features_gives_the_same_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let torch = torch_factory(DeviceChoice::Cpu);
    let factories: [&dyn BackendFactory; 2] = [&ScratchFactory, &torch];
    for freeze in [
        r#"model.freeze=["conv1","bn1","layer1","layer2"]"#,
        r#"model.freeze=["conv1","bn1","layer1"]"#,
    ] {
        for factory in factories {
            let cached = losses(factory, dir.path(), &[freeze]);
            let every_step = losses(factory, dir.path(), &[freeze, "train.cache_frozen=false"]);
            assert_eq!(cached.len(), 3);
            for (e, (a, b)) in cached.iter().zip(&every_step).enumerate() {
                let close = |x: f64, y: f64| (x - y).abs() <= 1e-5 * y.abs().max(1.0);
                assert!(
                    close(a.0, b.0) && close(a.1, b.1),
                    "{} {freeze}: epoch {e}: cached {a:?}, every step {b:?}",
                    factory.name()
                );
            }
        }
    }
}

#[test]
fn only_a_deterministic_frozen_prefix_is_a_backbone() {
    let cfg = |sets: &[&str]| {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        Config::load(&workspace().join("configs/digits_resnet.toml"), &sets).unwrap()
    };
    let spec = |c: &Config| ModelSpec::from_config(c, 3 * 256, Some([3, 16, 16]), 10).unwrap();
    let head_only = spec(&cfg(&[r#"model.freeze=["conv1","bn1","layer1","layer2"]"#]));
    let fc = head_only.names.iter().position(|n| n == "fc").unwrap();
    assert_eq!(head_only.frozen_backbone(), Some((fc, vec![16])));
    let last = spec(&cfg(&[r#"model.freeze=["conv1","bn1","layer1"]"#]));
    let layer2 = last.names.iter().position(|n| n == "layer2").unwrap();
    assert_eq!(last.frozen_backbone(), Some((layer2, vec![8, 16, 16])));
    assert_eq!(spec(&cfg(&[])).frozen_backbone(), None, "nothing frozen");
    // An MLP whose first hidden layer is frozen but followed by dropout: the features are
    // cached up to the dropout, which stays in the steps.
    let mut mlp = Config::default();
    mlp.model.hidden = vec![8, 8];
    mlp.model.dropout = 0.3;
    mlp.model.freeze = vec!["net.0".into()];
    let s = ModelSpec::from_config(&mlp, 4, None, 2).unwrap();
    assert_eq!(
        s.frozen_backbone(),
        Some((2, vec![8])),
        "net.0, net.1 (relu) cached; net.2 is the dropout"
    );
}
