//! Black-box tests of config validation: each impossible value is refused with an error naming
//! its key, and the boundary values that are possible are accepted.

use common::config::{Config, ModelKind, Source, MAX_DIM, MAX_LAYER_WIDTH, MAX_N};

/// Applies `set` to the chapter's config and returns the validation error text, if any.
fn check(set: &[&str]) -> Result<Config, String> {
    let ov: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    Config::from_toml_str("", "t.toml", &ov).map_err(|e| e.to_string())
}

fn refused(set: &[&str], key: &str) {
    match check(set) {
        Ok(_) => panic!("{set:?} was accepted"),
        Err(e) => assert!(
            e.starts_with(&format!("config key '{key}")),
            "{set:?} → {e}"
        ),
    }
}

fn accepted(set: &[&str]) {
    if let Err(e) = check(set) {
        panic!("{set:?} was refused: {e}");
    }
}

#[test]
fn data_values() {
    refused(&["data.n=0"], "data.n");
    refused(&[&format!("data.n={}", MAX_N + 1)], "data.n");
    refused(&[&format!("data.dim={}", MAX_DIM + 1)], "data.dim");
    refused(&["data.source=blobs", "data.classes=1"], "data.classes");
    refused(&["data.source=spirals", "data.classes=0"], "data.classes");
    refused(&["data.source=csv", "data.target=y"], "data.path");
    refused(&["data.source=csv", "data.path=x.csv"], "data.target");
    refused(&["data.piecewise_bins=1"], "data.piecewise_bins");
    refused(&["data.piecewise_bins=257"], "data.piecewise_bins");
    refused(&["data.noise=-0.1"], "data.noise");
    refused(&["data.noise=nan"], "data.noise");
    refused(&["data.noise=inf"], "data.noise");
    refused(&["data.augment.max_shift=4"], "data.augment.max_shift");
    refused(
        &["data.augment.max_rotate_deg=46"],
        "data.augment.max_rotate_deg",
    );
    refused(
        &["data.augment.max_rotate_deg=-1"],
        "data.augment.max_rotate_deg",
    );
    // Circle and moons are binary: `classes` does not apply. CSV needs no `n`.
    accepted(&["data.source=moons", "data.classes=1"]);
    accepted(&[
        "data.source=csv",
        "data.path=x.csv",
        "data.target=y",
        "data.n=0",
    ]);
    accepted(&["data.source=digits"]);
    accepted(&["data.piecewise_bins=2"]);
    // A column list names each column once; different columns, or one column in two lists
    // (the schema decides between them), pass this check.
    for key in [
        "data.categorical",
        "data.numeric",
        "data.drop",
        "data.keep",
        "data.piecewise_columns",
    ] {
        refused(&[&format!("{key}=[\"a\", \"b\", \"a\"]")], key);
        accepted(&[&format!("{key}=[\"a\", \"b\", \"A\"]")]);
    }
    accepted(&["data.piecewise_bins=256"]);
    accepted(&[
        "data.noise=0",
        "data.augment.max_shift=3",
        "data.augment.max_rotate_deg=45",
    ]);
}

#[test]
fn split_values() {
    refused(
        &["data.split.train=0", "data.split.val=1"],
        "data.split.train",
    );
    refused(
        &["data.split.train=1", "data.split.val=0"],
        "data.split.val",
    );
    refused(
        &["data.split.test=-0.1", "data.split.train=0.9"],
        "data.split.test",
    );
    refused(&["data.split.train=1.5"], "data.split.train");
    refused(&["data.split.test=0.2"], "data.split");
    let e = check(&["data.split.train=0", "data.split.val=1"]).unwrap_err();
    assert!(e.contains("no training data"), "{e}");
    let e = check(&["data.split.test=0.2"]).unwrap_err();
    assert!(e.contains("sum to 1"), "{e}");
    accepted(&[
        "data.split.train=0.7",
        "data.split.val=0.15",
        "data.split.test=0.15",
    ]);
}

#[test]
fn model_values() {
    refused(&["model.hidden=[32, 0]"], "model.hidden[1]");
    let e = check(&["model.hidden=[0]"]).unwrap_err();
    assert!(e.contains("empty layer"), "{e}");
    refused(
        &[&format!("model.hidden=[{}]", MAX_LAYER_WIDTH + 1)],
        "model.hidden[0]",
    );
    refused(&["model.dropout=1"], "model.dropout");
    refused(&["model.dropout=-0.1"], "model.dropout");
    refused(
        &["model.kind=cnn", "model.channels=[16, 0]"],
        "model.channels[1]",
    );
    refused(
        &[
            "model.kind=cnn",
            &format!("model.channels=[{}]", MAX_LAYER_WIDTH + 1),
        ],
        "model.channels[0]",
    );
    refused(
        &[&format!("model.channels=[{}]", MAX_LAYER_WIDTH + 1)],
        "model.channels",
    );
    // No hidden layer: logistic regression.
    let c = check(&["model.hidden=[]"]).unwrap();
    assert!(c.model.hidden.is_empty());
    let c = check(&["model.kind=cnn", "model.dropout=0.5", "model.hidden=[64]"]).unwrap();
    assert_eq!(c.model.kind, ModelKind::Cnn);
}

#[test]
fn optim_values() {
    refused(&["optim.lr=0"], "optim.lr");
    refused(&["optim.lr=-1e-3"], "optim.lr");
    refused(&["optim.lr=inf"], "optim.lr");
    refused(&["optim.lr=nan"], "optim.lr");
    refused(&["optim.momentum=1"], "optim.momentum");
    refused(&["optim.momentum=-0.5"], "optim.momentum");
    refused(&["optim.weight_decay=-1e-4"], "optim.weight_decay");
    refused(&["optim.betas=[0.9, 1.0]"], "optim.betas[1]");
    refused(&["optim.betas=[-0.1, 0.999]"], "optim.betas[0]");
    refused(&["optim.betas=[0.9]"], "optim.betas");
    refused(&["optim.eps=0"], "optim.eps");
    accepted(&[
        "optim.momentum=0.9",
        "optim.weight_decay=0",
        "optim.betas=[0, 0]",
    ]);
}

#[test]
fn train_values() {
    refused(&["train.epochs=0"], "train.epochs");
    refused(&["train.batch_size=0"], "train.batch_size");
    refused(&["train.monitor=train_loss"], "train.monitor");
    refused(&["train.monitor=accuracy"], "train.monitor");
    refused(&["train.mode=up"], "train.mode");
    refused(
        &[
            "train.early_stopping.enabled=true",
            "train.early_stopping.patience=0",
        ],
        "train.early_stopping.patience",
    );
    refused(
        &["train.early_stopping.min_delta=-1"],
        "train.early_stopping.min_delta",
    );
    // Patience 0 is harmless while early stopping is off.
    accepted(&["train.early_stopping.patience=0"]);
    for m in ["val_loss", "val_acc", "val_f1", "val_auc"] {
        accepted(&[&format!("train.monitor={m}")]);
    }
}

#[test]
fn schedule_values() {
    refused(&["train.schedule.step_size=0"], "train.schedule.step_size");
    refused(&["train.schedule.gamma=0"], "train.schedule.gamma");
    refused(&["train.schedule.gamma=1.5"], "train.schedule.gamma");
    refused(&["train.schedule.factor=1"], "train.schedule.factor");
    refused(&["train.schedule.factor=0"], "train.schedule.factor");
    refused(&["train.schedule.min_lr=-1"], "train.schedule.min_lr");
    refused(
        &["train.schedule.name=cosine", "train.schedule.min_lr=1"],
        "train.schedule.min_lr",
    );
    refused(&["train.schedule.name=exponential"], "train.schedule.name");
    accepted(&["train.schedule.name=step", "train.schedule.gamma=1"]);
}

#[test]
fn seed_is_any_u64() {
    assert_eq!(check(&["seed=0"]).unwrap().seed, 0);
    let big = check(&["seed=\"18446744073709551615\""]).unwrap();
    assert_eq!(big.seed, u64::MAX);
    refused(&["seed=\"18446744073709551616\""], "seed");
    let c = Config {
        seed: u64::MAX,
        ..Config::default()
    };
    assert!(c.validate().is_ok());
    assert_eq!(c.data.source, Source::Circle);
}
