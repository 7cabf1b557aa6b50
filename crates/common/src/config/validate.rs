//! Validation: every impossible value is an error naming its dotted key, checked once when
//! the config is loaded so that a run never starts (or dies at epoch 17) on a typo. Sizes are
//! bounded too, so that a hostile or mistyped config cannot ask for terabytes.

use super::{
    bad, Config, DataConfig, ModelKind, OptimConfig, ScheduleConfig, ScheduleName, Source,
    TrainConfig,
};
use crate::Result;

/// The metrics `train.monitor` may name.
pub const MONITORS: [&str; 6] = [
    "val_loss",
    "val_acc",
    "val_f1",
    "val_auc",
    "val_bal_acc",
    "val_ap",
];
/// Largest hidden width or channel count accepted.
pub const MAX_LAYER_WIDTH: usize = 1_000_000;
/// Largest synthetic `data.n` accepted.
pub const MAX_N: usize = 100_000_000;
/// Largest `data.dim` (extra noise features) accepted.
pub const MAX_DIM: usize = 100_000;
/// Largest number of synthetic classes accepted.
const MAX_CLASSES: usize = 10_000;
/// Most synthetic values (`data.n × (2 + data.dim)`) accepted: 100 million, about 1.2 GB
/// while preparing (f64 columns, then f32 features).
pub const MAX_SYNTHETIC_VALUES: usize = 100_000_000;

/// `Err` naming `key` unless `ok`.
pub(super) fn ensure(ok: bool, key: &str, msg: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(bad(key, msg()))
    }
}

/// `lo ≤ v ≤ hi` (or `<` where `*_open`), finite.
fn in_range(key: &str, v: f64, lo: f64, lo_open: bool, hi: f64, hi_open: bool) -> Result<()> {
    let above = if lo_open { v > lo } else { v >= lo };
    let below = if hi_open { v < hi } else { v <= hi };
    let interval = format!(
        "{}{lo}, {hi}{}",
        if lo_open { "(" } else { "[" },
        if hi_open { ")" } else { "]" }
    );
    ensure(v.is_finite() && above && below, key, || {
        format!("must be in {interval}, got {v}")
    })
}

/// `v > 0` (or `≥ 0` when `zero_ok`) and finite.
fn positive(key: &str, v: f64, zero_ok: bool) -> Result<()> {
    let ok = v.is_finite() && if zero_ok { v >= 0.0 } else { v > 0.0 };
    let what = if zero_ok { "≥ 0" } else { "> 0" };
    ensure(ok, key, || {
        format!("must be a finite number {what}, got {v}")
    })
}

/// `1 ≤ v ≤ max`.
fn count(key: &str, v: usize, max: usize) -> Result<()> {
    ensure(v >= 1, key, || "must be at least 1".to_string())?;
    ensure(v <= max, key, || format!("{v} exceeds the limit of {max}"))
}

/// Each layer size in `1..=MAX_LAYER_WIDTH`.
fn widths(key: &str, sizes: &[usize]) -> Result<()> {
    for (i, &w) in sizes.iter().enumerate() {
        let key = format!("{key}[{i}]");
        ensure(w >= 1, &key, || "is 0: an empty layer".to_string())?;
        ensure(w <= MAX_LAYER_WIDTH, &key, || {
            format!("{w} exceeds the limit of {MAX_LAYER_WIDTH}")
        })?;
    }
    Ok(())
}

impl Config {
    /// Checks every value; the error names the first bad key.
    pub fn validate(&self) -> Result<()> {
        validate_data(&self.data)?;
        validate_model(self)?;
        validate_optim(&self.optim)?;
        validate_train(&self.train, self.optim.lr)
    }
}

fn validate_data(d: &DataConfig) -> Result<()> {
    // `data.delimiter` is a string (so that `tab` can be written); check it names one.
    crate::data::csv::dialect_options(d)?;
    let synthetic = matches!(
        d.source,
        Source::Circle | Source::Moons | Source::Spirals | Source::Blobs
    );
    if synthetic {
        count("data.n", d.n, MAX_N)?;
        let values = d.n.saturating_mul(d.dim.saturating_add(2));
        ensure(values <= MAX_SYNTHETIC_VALUES, "data.dim", || {
            format!(
                "{} examples × {} features = {values} values exceed the limit of {MAX_SYNTHETIC_VALUES}; lower data.n or data.dim",
                d.n,
                d.dim.saturating_add(2)
            )
        })?;
    }
    if matches!(d.source, Source::Spirals | Source::Blobs) {
        ensure(d.classes >= 2, "data.classes", || {
            format!("must be at least 2, got {}", d.classes)
        })?;
        ensure(d.classes <= MAX_CLASSES, "data.classes", || {
            format!("{} exceeds the limit of {MAX_CLASSES}", d.classes)
        })?;
    }
    if d.source == Source::Csv {
        ensure(d.path.is_some(), "data.path", || {
            "is required for source = \"csv\"".to_string()
        })?;
        ensure(d.target.is_some(), "data.target", || {
            "is required for source = \"csv\" (the label column)".to_string()
        })?;
    }
    ensure(d.dim <= MAX_DIM, "data.dim", || {
        format!("{} exceeds the limit of {MAX_DIM}", d.dim)
    })?;
    positive("data.noise", d.noise, true)?;
    validate_split(d)?;
    if d.source == Source::Images {
        ensure(d.path.is_some(), "data.path", || {
            "is required for source = \"images\" (the folder of class folders)".to_string()
        })?;
        validate_image(&d.image)?;
    }
    validate_crop(d)?;
    ensure(d.augment.max_shift <= 3, "data.augment.max_shift", || {
        format!("must be at most 3 pixels, got {}", d.augment.max_shift)
    })?;
    in_range(
        "data.augment.max_rotate_deg",
        d.augment.max_rotate_deg,
        0.0,
        false,
        45.0,
        false,
    )
}

fn validate_split(d: &DataConfig) -> Result<()> {
    let s = &d.split;
    for (key, v) in [
        ("data.split.train", s.train),
        ("data.split.val", s.val),
        ("data.split.test", s.test),
    ] {
        in_range(key, v, 0.0, false, 1.0, false)?;
    }
    ensure(s.train > 0.0, "data.split.train", || {
        "is 0: that would leave no training data".into()
    })?;
    ensure(s.val > 0.0, "data.split.val", || {
        "is 0: that would leave no validation data (needed for model selection)".into()
    })?;
    let sum = s.train + s.val + s.test;
    ensure((sum - 1.0).abs() <= 1e-9, "data.split", || {
        format!(
            "train + val + test must sum to 1, got {} + {} + {} = {sum}",
            s.train, s.val, s.test
        )
    })?;
    ensure(
        d.piecewise_bins != 1 && d.piecewise_bins <= 256,
        "data.piecewise_bins",
        || {
            format!(
                "must be 0 (off: one feature per number) or 2 to 256 bins, got {}",
                d.piecewise_bins
            )
        },
    )?;
    ensure(d.folds != 1 && d.folds <= 100, "data.folds", || {
        format!(
            "must be 0 (no cross-validation) or 2 to 100 folds, got {}",
            d.folds
        )
    })?;
    ensure(d.folds == 0 || d.fold < d.folds, "data.fold", || {
        format!("must be in 0..{} (data.folds), got {}", d.folds, d.fold)
    })
}

fn validate_model(cfg: &Config) -> Result<()> {
    let m = &cfg.model;
    // An empty list is allowed: an MLP without hidden layers is logistic regression.
    widths("model.hidden", &m.hidden)?;
    if let super::Embeddings::Columns(dims) = &m.embeddings {
        for (column, &d) in dims {
            let key = format!("model.embeddings.{column}");
            ensure(d <= MAX_LAYER_WIDTH, &key, || {
                format!("{d} exceeds the limit of {MAX_LAYER_WIDTH}")
            })?;
        }
    }
    in_range("model.dropout", m.dropout, 0.0, false, 1.0, true)?;
    if m.kind == ModelKind::Cnn {
        widths("model.channels", &m.channels)?;
    } else {
        // Unused by an MLP, but still a hostile size if absurd.
        ensure(
            m.channels.iter().all(|&c| c <= MAX_LAYER_WIDTH),
            "model.channels",
            || format!("a channel count exceeds the limit of {MAX_LAYER_WIDTH}"),
        )?;
    }
    if m.kind == ModelKind::Resnet {
        widths("model.widths", &m.widths)?;
        ensure(m.blocks.iter().all(|&b| b <= 64), "model.blocks", || {
            format!("{:?}: at most 64 blocks per stage", m.blocks)
        })?;
    }
    let from_weights = super::Normalize::Named(super::NormalizeName::Weights);
    ensure(
        cfg.data.image.normalize != from_weights || m.init_from.is_some(),
        "data.image.normalize",
        || {
            "\"weights\" takes the mean and std from the weights of model.init_from; set it, or choose \"fit\", \"imagenet\" or { mean, std }".into()
        },
    )?;
    Ok(())
}

fn validate_optim(o: &OptimConfig) -> Result<()> {
    positive("optim.lr", o.lr, false)?;
    in_range("optim.momentum", o.momentum, 0.0, false, 1.0, true)?;
    positive("optim.weight_decay", o.weight_decay, true)?;
    for (i, &b) in o.betas.iter().enumerate() {
        in_range(&format!("optim.betas[{i}]"), b, 0.0, false, 1.0, true)?;
    }
    for (prefix, &scale) in &o.lr_scale {
        positive(&format!("optim.lr_scale.\"{prefix}\""), scale, true)?;
    }
    positive("optim.eps", o.eps, false)
}

fn validate_train(t: &TrainConfig, lr: f64) -> Result<()> {
    ensure(t.epochs >= 1, "train.epochs", || {
        "must be at least 1".into()
    })?;
    ensure(t.batch_size >= 1, "train.batch_size", || {
        "must be at least 1".into()
    })?;
    ensure(
        MONITORS.contains(&t.monitor.as_str()),
        "train.monitor",
        || {
            format!(
                "unknown metric '{}': expected one of {}",
                t.monitor,
                MONITORS.join(", ")
            )
        },
    )?;
    positive("train.save_interval_s", t.save_interval_s, true)?;
    if let Some(super::ClassWeights::Given(w)) = &t.class_weights {
        ensure(!w.is_empty(), "train.class_weights", || {
            "is an empty list: give one weight per class, or \"balanced\"".into()
        })?;
        for (i, &v) in w.iter().enumerate() {
            positive(&format!("train.class_weights[{i}]"), v, false)?;
        }
    }
    if let super::Threshold::Fixed(v) = t.threshold {
        in_range("train.threshold", v, 0.0, true, 1.0, true)?;
    }
    validate_schedule(&t.schedule, lr)?;
    let es = &t.early_stopping;
    if es.enabled {
        ensure(es.patience >= 1, "train.early_stopping.patience", || {
            "must be at least 1".into()
        })?;
    }
    positive("train.early_stopping.min_delta", es.min_delta, true)
}

fn validate_schedule(s: &ScheduleConfig, lr: f64) -> Result<()> {
    ensure(s.step_size >= 1, "train.schedule.step_size", || {
        "must be at least 1".into()
    })?;
    in_range("train.schedule.gamma", s.gamma, 0.0, true, 1.0, false)?;
    in_range("train.schedule.factor", s.factor, 0.0, true, 1.0, true)?;
    positive("train.schedule.min_lr", s.min_lr, true)?;
    if matches!(s.name, ScheduleName::Cosine | ScheduleName::Plateau) {
        ensure(s.min_lr <= lr, "train.schedule.min_lr", || {
            format!(
                "{} is above optim.lr = {lr}: the schedule would raise the rate",
                s.min_lr
            )
        })?;
    }
    Ok(())
}

/// The largest side `data.image.size` accepts.
pub const MAX_IMAGE_SIDE: usize = 8192;

fn validate_image(im: &super::ImageConfig) -> Result<()> {
    if let Some(size) = im.size {
        for (i, side) in size.into_iter().enumerate() {
            let key = format!("data.image.size[{i}]");
            ensure((1..=MAX_IMAGE_SIDE).contains(&side), &key, || {
                format!("must be in 1..={MAX_IMAGE_SIDE} pixels, got {side}")
            })?;
        }
    }
    if let Some(c) = im.channels {
        ensure(c == 1 || c == 3, "data.image.channels", || {
            format!("must be 1 (grey) or 3 (RGB), got {c}")
        })?;
    }
    ensure(im.max_pixels >= 1, "data.image.max_pixels", || {
        "must be at least 1".into()
    })?;
    positive("data.image.max_memory_mb", im.max_memory_mb, false)?;
    if let super::Normalize::Given { mean, std } = &im.normalize {
        let ok = |v: &Vec<f64>| v.len() == 1 || v.len() == 3;
        ensure(ok(mean) && ok(std), "data.image.normalize", || {
            format!(
                "mean and std need 1 or 3 values each (one per channel), got {} and {}",
                mean.len(),
                std.len()
            )
        })?;
        for (i, &m) in mean.iter().enumerate() {
            ensure(
                m.is_finite(),
                &format!("data.image.normalize.mean[{i}]"),
                || format!("must be finite, got {m}"),
            )?;
        }
        for (i, &v) in std.iter().enumerate() {
            positive(&format!("data.image.normalize.std[{i}]"), v, false)?;
        }
    }
    Ok(())
}

fn validate_crop(d: &DataConfig) -> Result<()> {
    let [lo, hi] = d.augment.crop_scale;
    ensure(
        lo.is_finite() && hi.is_finite() && 0.0 < lo && lo <= hi && hi <= 1.0,
        "data.augment.crop_scale",
        || format!("must be [lo, hi] with 0 < lo ≤ hi ≤ 1, got [{lo}, {hi}]"),
    )?;
    let [lo, hi] = d.augment.crop_ratio;
    ensure(
        lo.is_finite() && hi.is_finite() && 0.0 < lo && lo <= hi && hi <= 100.0,
        "data.augment.crop_ratio",
        || format!("must be [lo, hi] with 0 < lo ≤ hi ≤ 100, got [{lo}, {hi}]"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_name_their_interval() {
        let e = in_range("k", 1.0, 0.0, false, 1.0, true)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "config key 'k': must be in [0, 1), got 1");
        assert!(in_range("k", f64::NAN, 0.0, false, 1.0, false).is_err());
        assert!(in_range("k", 0.0, 0.0, false, 1.0, false).is_ok());
        assert!(positive("k", 0.0, true).is_ok() && positive("k", 0.0, false).is_err());
        assert!(positive("k", f64::INFINITY, true).is_err());
    }

    #[test]
    fn widths_name_the_index() {
        let e = widths("model.hidden", &[3, 0]).unwrap_err().to_string();
        assert!(
            e.contains("'model.hidden[1]'") && e.contains("empty layer"),
            "{e}"
        );
        assert!(widths("model.hidden", &[]).is_ok());
        assert!(count("data.n", MAX_N + 1, MAX_N).is_err());
    }
}
