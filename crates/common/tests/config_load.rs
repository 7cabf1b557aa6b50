//! Black-box tests of loading the config: the defaults are the chapter's runs, unknown keys
//! and wrong types are errors naming the dotted key and the file, `--set` overrides reach
//! nested keys and lists, and `to_toml` round-trips.

use common::config::{
    Activation, Config, HeadKind, InitScheme, MonitorMode, OptimName, ScheduleName, Source,
};
use common::Error;

fn parse(text: &str, overrides: &[&str]) -> common::Result<Config> {
    let ov: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Config::from_toml_str(text, "exp.toml", &ov)
}

fn err(text: &str, overrides: &[&str]) -> String {
    parse(text, overrides)
        .expect_err("should be refused")
        .to_string()
}

#[test]
fn defaults_are_the_chapter_route1_run() {
    let c = Config::default();
    assert_eq!(
        (c.seed, c.data.source, c.data.n),
        (42, Source::Circle, 2000)
    );
    assert_eq!(
        (c.data.split.train, c.data.split.val, c.data.split.test),
        (0.8, 0.2, 0.0)
    );
    assert_eq!(
        (c.model.hidden.clone(), c.model.activation),
        (vec![32], Activation::Relu)
    );
    assert_eq!(
        (c.model.head, c.model.init),
        (HeadKind::Auto, InitScheme::Chapter)
    );
    assert_eq!((c.optim.name, c.optim.lr), (OptimName::Sgd, 0.5));
    assert_eq!((c.train.batch_size, c.train.epochs), (64, 20));
    assert!(c.validate().is_ok());
    // An empty file is the default run.
    assert_eq!(parse("", &[]).unwrap(), c);
}

#[test]
fn chapter_route2() {
    let c = Config::chapter_route2();
    assert_eq!(
        (c.seed, c.data.source, c.data.n),
        (42, Source::Circle, 5000)
    );
    assert_eq!((c.data.split.train, c.data.split.val), (0.8, 0.2));
    assert_eq!(
        (c.model.hidden.clone(), c.model.activation),
        (vec![64, 64], Activation::Relu)
    );
    assert_eq!(
        (c.model.head, c.model.init),
        (HeadKind::Softmax, InitScheme::Pytorch)
    );
    assert_eq!((c.optim.name, c.optim.lr), (OptimName::Adam, 1e-3));
    assert_eq!((c.train.batch_size, c.train.epochs), (128, 30));
    assert!(c.validate().is_ok());
}

#[test]
fn round_trips_through_toml() {
    let mut exotic = Config::chapter_route2();
    exotic.seed = u64::MAX; // above TOML's i64 integers: written as a string
    exotic.data.source = Source::Csv;
    exotic.data.path = Some("data/penguins.csv".into());
    exotic.data.target = Some("species".into());
    exotic.data.categorical = vec!["island".into(), "sex".into()];
    exotic.model.hidden = vec![];
    exotic.optim.lr = 0.1 + 0.2; // not a short decimal
    exotic.train.schedule.name = ScheduleName::Cosine;
    exotic.train.schedule.min_lr = 1e-7;
    exotic.train.mode = MonitorMode::Max;
    exotic.train.monitor = "val_f1".into();
    exotic.train.early_stopping.enabled = true;
    // `data.n` has no effect with a CSV: the saved text leaves it out, so it reads back as the
    // default (`config::unused_keys`); keep it at the default for the equality below.
    exotic.data.n = Config::default().data.n;
    for cfg in [Config::default(), Config::chapter_route2(), exotic] {
        let text = cfg.to_toml();
        let back = Config::from_toml_str(&text, "round-trip", &[]).unwrap();
        assert_eq!(back, cfg, "{text}");
        assert_eq!(back.to_toml(), text);
    }
}

#[test]
fn unknown_keys_are_named_with_the_file() {
    let e = err("[model]\nhiddn = [3]\n", &[]);
    assert!(
        e.starts_with("config key 'model.hiddn': unknown field"),
        "{e}"
    );
    assert!(e.contains("exp.toml"), "{e}");
    let e = err("[train.schedule]\nnmae = \"step\"\n", &[]);
    assert!(e.contains("'train.schedule.nmae'"), "{e}");
    let e = err("epochs = 3\n", &[]);
    assert!(e.contains("'epochs'") && e.contains("unknown field"), "{e}");
    let e = err("[optimizer]\nlr = 1\n", &[]);
    assert!(e.contains("'optimizer'"), "{e}");
}

#[test]
fn wrong_types_name_the_key() {
    let e = err("[optim]\nlr = \"fast\"\n", &[]);
    assert_eq!(
        e,
        "config key 'optim.lr': invalid type: string \"fast\", expected f64 (in exp.toml)"
    );
    let e = err("[model]\nhidden = [64, \"x\"]\n", &[]);
    assert!(e.contains("'model.hidden[1]'"), "{e}");
    let e = err("[train]\nepochs = -5\n", &[]);
    assert!(e.contains("'train.epochs'"), "{e}");
    let e = err("[model]\nactivation = \"gelu\"\n", &[]);
    assert!(
        e.contains("'model.activation'") && e.contains("gelu"),
        "{e}"
    );
    let e = err("seed = -1\n", &[]);
    assert!(e.contains("'seed'"), "{e}");
    let e = err("model = 3\n", &[]);
    assert!(e.contains("'model'"), "{e}");
}

#[test]
fn syntax_errors_name_the_file() {
    let e = err("[optim\nlr = 1\n", &[]);
    assert!(e.starts_with("exp.toml: invalid TOML"), "{e}");
}

#[test]
fn integers_are_accepted_for_floats() {
    assert_eq!(parse("[optim]\nlr = 1\n", &[]).unwrap().optim.lr, 1.0);
}

#[test]
fn overrides_reach_nested_keys_and_lists() {
    let c = parse(
        "[optim]\nlr = 0.5\n",
        &[
            "optim.lr=1e-3",
            "model.hidden=[64, 64]",
            "optim.name=adam",
            "train.early_stopping.enabled=true",
            "train.schedule.name=\"step\"",
            "data.path=data/penguins.csv",
            "data.source=csv",
            "data.target=species",
            "seed=7",
        ],
    )
    .unwrap();
    assert_eq!(c.optim.lr, 1e-3);
    assert_eq!(c.model.hidden, vec![64, 64]);
    assert_eq!(c.optim.name, OptimName::Adam);
    assert!(c.train.early_stopping.enabled);
    assert_eq!(c.train.schedule.name, ScheduleName::Step);
    assert_eq!(
        c.data.path.as_deref(),
        Some(std::path::Path::new("data/penguins.csv"))
    );
    assert_eq!(c.data.target.as_deref(), Some("species"));
    assert_eq!(c.seed, 7);
    // The last override of a key wins.
    assert_eq!(
        parse("", &["train.epochs=3", "train.epochs=4"])
            .unwrap()
            .train
            .epochs,
        4
    );
}

#[test]
fn override_errors_name_the_override() {
    let e = err("", &["optim.lr=fast"]);
    assert_eq!(e, "config key 'optim.lr': invalid type: string \"fast\", expected f64 (from --set optim.lr=fast)");
    let e = err("", &["model.hiddn=3"]);
    assert!(
        e.contains("'model.hiddn'") && e.contains("--set model.hiddn=3"),
        "{e}"
    );
    let e = err("", &["train.epochs"]);
    assert!(e.contains("malformed --set override 'train.epochs'"), "{e}");
    let e = err("", &["optim.lr=-1"]);
    assert!(
        e.contains("'optim.lr'") && e.contains("--set optim.lr=-1"),
        "{e}"
    );
    let e = err("seed = 1\n", &["seed.x=1"]);
    assert!(e.contains("'seed.x'") && e.contains("not a table"), "{e}");
    let e = err("", &["seed.x=1"]);
    assert!(
        e.contains("'seed'") && e.contains("(from --set seed.x=1)"),
        "{e}"
    );
    // An impossible value from the file names the file.
    let e = err("[optim]\nlr = 0\n", &[]);
    assert!(
        e.contains("'optim.lr'") && e.contains("(in exp.toml)"),
        "{e}"
    );
}

#[test]
fn with_overrides_keeps_the_rest() {
    let base = Config::chapter_route2();
    let c = base.with_overrides(&["train.epochs=50".into()]).unwrap();
    assert_eq!(c.train.epochs, 50);
    let mut expect = base.clone();
    expect.train.epochs = 50;
    assert_eq!(c, expect);
    let e = base
        .with_overrides(&["train.batch_size=0".into()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("'train.batch_size'"), "{e}");
}

#[test]
fn load_reads_a_file_and_names_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exp.toml");
    std::fs::write(&path, "seed = 3\n[train]\nepochs = 2\n").unwrap();
    let c = Config::load(&path, &["train.batch_size=8".into()]).unwrap();
    assert_eq!((c.seed, c.train.epochs, c.train.batch_size), (3, 2, 8));
    std::fs::write(&path, "[optim]\nlr = \"fast\"\n").unwrap();
    let e = Config::load(&path, &[]).unwrap_err().to_string();
    assert!(
        e.contains("'optim.lr'") && e.contains(&path.display().to_string()),
        "{e}"
    );
    let missing = dir.path().join("nope.toml");
    match Config::load(&missing, &[]) {
        Err(Error::Io { path, .. }) => assert_eq!(path, missing),
        other => panic!("expected Error::Io, got {other:?}"),
    }
}

#[test]
fn monitor_direction() {
    let mut c = Config::default();
    assert!(!c.monitor_maximizes());
    for m in ["val_acc", "val_f1", "val_auc"] {
        c.train.monitor = m.into();
        assert!(c.monitor_maximizes(), "{m}");
    }
    c.train.mode = MonitorMode::Min;
    assert!(!c.monitor_maximizes());
    c.train.monitor = "val_loss".into();
    c.train.mode = MonitorMode::Max;
    assert!(c.monitor_maximizes());
}
