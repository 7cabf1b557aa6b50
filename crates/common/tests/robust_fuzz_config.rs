//! Fuzzing the config parser: arbitrary text, byte mutations of a real config file, and valid
//! configs with random `--set` overrides (every known key, unknown and nested keys, values of
//! every TOML type including huge integers, NaN and infinities). Each case must give a config
//! or an error, never a panic; an accepted config must validate, survive a TOML round trip
//! unchanged and build a model spec within the size limits (or give an error).
//!
//! Cases per property: `TWIN_NETS_FUZZ_CASES` (default 2,000). The 100,000-case run:
//! `TWIN_NETS_FUZZ_CASES=100000 cargo test --release -p common --test robust_fuzz_config`.

use common::config::Config;
use common::spec::{ModelSpec, MAX_PARAMS};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("TWIN_NETS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// Every leaf key of the default config, dotted (`optim.lr`, `data.split.train`, ...).
fn known_keys() -> Vec<String> {
    fn walk(t: &toml::Table, prefix: &str, out: &mut Vec<String>) {
        for (k, v) in t {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::Table(inner) => walk(inner, &key, out),
                _ => out.push(key),
            }
        }
    }
    // Every field, those without effect on the default run included (`to_toml` leaves those out).
    let table: toml::Table = toml::Table::try_from(Config::default()).expect("default config");
    let mut out = Vec::new();
    walk(&table, "", &mut out);
    out.extend(
        [
            "data.path",
            "data.target",
            // Left out of the default's text when off.
            "data.piecewise_bins",
            "data.piecewise_columns",
            "model.nope",
            "seed.x",
            "train",
            "a.b.c",
        ]
        .map(String::from),
    );
    out
}

/// A value as `--set` would receive it: every TOML type, extremes, and raw words.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => any::<i64>().prop_map(|v| v.to_string()),
        4 => (0u32..200).prop_map(|v| v.to_string()),
        4 => (0.0f64..1.0).prop_map(|v| format!("{v:?}")),
        1 => any::<f64>().prop_map(|v| format!("{v:?}")),
        3 => prop::sample::select(vec![
            "nan",
            "inf",
            "-inf",
            "-0.0",
            "1e308",
            "1e-320",
            "true",
            "false",
            "\"\"",
            "[]",
            "[0]",
            "[1000000, 1000000]",
            "[1000000000000]",
            "[18446744073709551615]",
            "{}",
            "{ train = 0.5, val = 0.5 }",
            "adam",
            "sgd",
            "csv",
            "digits",
            "cnn",
            "cosine",
            "plateau",
            "relu",
            "auto",
            "max",
            "\"x\"",
            "[\"a\", 1]",
            "99999999999999999999",
        ])
        .prop_map(str::to_string),
        1 => prop::collection::vec(0usize..5000, 0..4).prop_map(|v| format!("{v:?}")),
        1 => "[ -~]{0,12}",
    ]
}

/// `key` of `c` back to its default (for a key without effect).
fn reset(c: &mut Config, key: &str) {
    let d = Config::default();
    match key {
        "data.path" => c.data.path = d.data.path,
        "data.target" => c.data.target = d.data.target,
        "data.categorical" => c.data.categorical = d.data.categorical,
        "data.numeric" => c.data.numeric = d.data.numeric,
        "data.drop" => c.data.drop = d.data.drop,
        "data.na_values" => c.data.na_values = d.data.na_values,
        "data.delimiter" => c.data.delimiter = d.data.delimiter,
        "data.decimal" => c.data.decimal = d.data.decimal,
        "data.encoding" => c.data.encoding = d.data.encoding,
        "data.n" => c.data.n = d.data.n,
        "data.dim" => c.data.dim = d.data.dim,
        "data.noise" => c.data.noise = d.data.noise,
        "data.classes" => c.data.classes = d.data.classes,
        "data.augment" => c.data.augment = d.data.augment,
        "data.image" => c.data.image = d.data.image,
        "data.scaling" => c.data.scaling = d.data.scaling,
        "data.augment.flip" => c.data.augment.flip = d.data.augment.flip,
        "data.augment.random_resized_crop" => {
            c.data.augment.random_resized_crop = d.data.augment.random_resized_crop
        }
        "data.augment.crop_scale" => c.data.augment.crop_scale = d.data.augment.crop_scale,
        "data.augment.crop_ratio" => c.data.augment.crop_ratio = d.data.augment.crop_ratio,
        "data.fold" => c.data.fold = d.data.fold,
        "data.piecewise_bins" => c.data.piecewise_bins = d.data.piecewise_bins,
        "data.piecewise_columns" => c.data.piecewise_columns = d.data.piecewise_columns.clone(),
        "data.augment.max_shift" => c.data.augment.max_shift = d.data.augment.max_shift,
        "data.augment.max_rotate_deg" => {
            c.data.augment.max_rotate_deg = d.data.augment.max_rotate_deg
        }
        "model.channels" => c.model.channels = d.model.channels,
        "data.keep" => c.data.keep = d.data.keep.clone(),
        "model.blocks" => c.model.blocks = d.model.blocks.clone(),
        "model.widths" => c.model.widths = d.model.widths.clone(),
        "model.stem" => c.model.stem = d.model.stem,
        "model.hidden" => c.model.hidden = d.model.hidden.clone(),
        "model.activation" => c.model.activation = d.model.activation,
        "model.dropout" => c.model.dropout = d.model.dropout,
        "model.batch_norm" => c.model.batch_norm = d.model.batch_norm,
        "model.reinit" => c.model.reinit = d.model.reinit,
        "model.init_preprocessing" => c.model.init_preprocessing = d.model.init_preprocessing,
        "model.embeddings" => c.model.embeddings = d.model.embeddings.clone(),
        "optim.momentum" => c.optim.momentum = d.optim.momentum,
        "optim.betas" => c.optim.betas = d.optim.betas,
        "optim.eps" => c.optim.eps = d.optim.eps,
        "train.schedule.step_size" => c.train.schedule.step_size = d.train.schedule.step_size,
        "train.schedule.gamma" => c.train.schedule.gamma = d.train.schedule.gamma,
        "train.schedule.min_lr" => c.train.schedule.min_lr = d.train.schedule.min_lr,
        "train.schedule.patience" => c.train.schedule.patience = d.train.schedule.patience,
        "train.schedule.factor" => c.train.schedule.factor = d.train.schedule.factor,
        "train.early_stopping.patience" => {
            c.train.early_stopping.patience = d.train.early_stopping.patience
        }
        "train.early_stopping.min_delta" => {
            c.train.early_stopping.min_delta = d.train.early_stopping.min_delta
        }
        "train.early_stopping.restore_best" => {
            c.train.early_stopping.restore_best = d.train.early_stopping.restore_best
        }
        other => panic!("no reset for key without effect '{other}'"),
    }
}

/// Checks an accepted config: valid, round-trips through TOML, builds a bounded spec or errs.
fn check_accepted(cfg: &Config) -> Result<(), TestCaseError> {
    prop_assert!(cfg.validate().is_ok(), "accepted but invalid: {cfg:?}");
    // The saved text leaves out the keys without effect: reading it back gives the same run
    // (the same text again), with those keys at their defaults.
    let again = Config::from_toml_str(&cfg.to_toml(), "round trip", &[]);
    prop_assert_eq!(
        again.as_ref().ok().map(Config::to_toml),
        Some(cfg.to_toml()),
        "round trip of {}",
        cfg.to_toml()
    );
    let used = |c: &Config| {
        let mut c = c.clone();
        for (key, _) in common::config::unused_keys(&c.clone()) {
            reset(&mut c, key);
        }
        c
    };
    prop_assert_eq!(again.as_ref().ok(), Some(&used(cfg)));
    for (features, image) in [(2, None), (64, Some([1, 8, 8]))] {
        for classes in [2, 3] {
            if let Ok(spec) = ModelSpec::from_config(cfg, features, image, classes) {
                prop_assert!(spec.validate().is_ok());
                prop_assert!(spec.n_params() <= MAX_PARAMS);
            }
        }
    }
    Ok(())
}

const MOONS: &str = include_str!("../../../configs/moons.toml");

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(text in "[ -~\n\t\\[\\]=\"'#{}.,é\u{0}]{0,200}") {
        if let Ok(cfg) = Config::from_toml_str(&text, "fuzz.toml", &[]) {
            check_accepted(&cfg)?;
        }
    }

    #[test]
    fn mutated_real_config(
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop_oneof![4 => b' '..=b'~', 1 => any::<u8>()]), 1..5),
    ) {
        let mut bytes = MOONS.as_bytes().to_vec();
        for (at, v) in &edits {
            let i = at.index(bytes.len());
            bytes[i] = *v;
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(cfg) = Config::from_toml_str(&text, "moons.toml", &[]) {
            check_accepted(&cfg)?;
        }
    }

    #[test]
    fn random_overrides(
        sets in prop::collection::vec((prop::sample::select(known_keys()), value()), 1..4),
        raw in prop::option::weighted(0.2, "[ -~]{0,24}"),
    ) {
        let mut overrides: Vec<String> = sets.iter().map(|(k, v)| format!("{k}={v}")).collect();
        overrides.extend(raw);
        let base = Config::from_toml_str(MOONS, "moons.toml", &[]).expect("moons config");
        let results = [
            Config::from_toml_str(MOONS, "moons.toml", &overrides),
            base.with_overrides(&overrides),
        ];
        for cfg in results.iter().flatten() {
            check_accepted(cfg)?;
        }
    }
}

#[test]
fn the_key_list_covers_every_section() {
    let keys = known_keys();
    for key in [
        "seed",
        "data.split.train",
        "model.hidden",
        "optim.betas",
        "train.schedule.gamma",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
    }
}
