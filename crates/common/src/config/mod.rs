//! The central configuration: one TOML file → one validated struct tree `{seed, data, model,
//! optim, train}`, overridable with `--set dotted.key=value`, written to the run folder before
//! epoch 1 and embedded in every checkpoint. Mirrors the chapter's `config.py` ("hiperparámetros
//! centralizados"). `Config::default()` is the chapter's Route 1 run,
//! [`Config::chapter_route2`] its Route 2 run.
//!
//! This file holds the struct tree; the enums live in `enums`, the defaults in `defaults`,
//! reading/writing TOML and `--set` overrides in `overrides`, the checks in `validate`.

mod defaults;
mod embeddings;
mod enums;
mod image;
mod imbalance;
mod overrides;
mod serde_seed;
mod tabular;
mod unused;
mod validate;
mod written;

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use crate::data::dialect::{Decimal, Encoding};
use crate::Error;

/// The default of `data.na_values`: the cells (besides the empty one) that mean "missing" in
/// common exports (R, pandas, spreadsheets, SQL dumps), matched trimmed and ignoring case.
pub const DEFAULT_NA_VALUES: [&str; 8] = ["NA", "N/A", "NaN", "NULL", "?", "-", "#N/A", "<NA>"];

pub use embeddings::{auto_dim, Embeddings, EMBED_MAX_DIM, EMBED_MIN_LEVELS};
pub use enums::*;
pub use image::*;
pub use imbalance::{ClassWeights, Threshold};
pub use overrides::Override;
pub use tabular::tabular_toml;
pub use unused::unused_keys;
pub use validate::{MAX_DIM, MAX_LAYER_WIDTH, MAX_N, MAX_SYNTHETIC_VALUES, MONITORS};

/// The whole experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The master seed: every random stream (data, split, init, shuffle, dropout, augmentation)
    /// is derived from it. Any u64; above `i64::MAX` (TOML's integer limit) it is written as a
    /// decimal string.
    #[serde(with = "serde_seed")]
    pub seed: u64,
    /// Where the examples come from and how they are split and preprocessed.
    pub data: DataConfig,
    /// The network.
    pub model: ModelConfig,
    /// The optimizer.
    pub optim: OptimConfig,
    /// The epoch loop.
    pub train: TrainConfig,
}

/// Fractions of the examples in each split (stratified). They must sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SplitConfig {
    /// Training fraction.
    pub train: f64,
    /// Validation fraction (model selection, early stopping).
    pub val: f64,
    /// Held-out test fraction (never used for selection); may be 0.
    pub test: f64,
}

/// Seeded data augmentation for images (applied to training batches only).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AugmentConfig {
    /// Turn augmentation on.
    pub enabled: bool,
    /// Maximum shift in pixels, each direction.
    pub max_shift: usize,
    /// Maximum rotation in degrees, each direction.
    pub max_rotate_deg: f64,
    /// Mirror left-right with probability 0.5 (off by default: digits must not be flipped).
    #[serde(skip_serializing_if = "is_false")]
    pub flip: bool,
    /// torchvision's `RandomResizedCrop`: a random area fraction in `crop_scale` and aspect
    /// ratio (log-uniform) in `crop_ratio`, resized back to the image size.
    #[serde(skip_serializing_if = "is_false")]
    pub random_resized_crop: bool,
    /// Area fraction range of the random crop (torchvision: `[0.08, 1.0]`).
    #[serde(skip_serializing_if = "is_default_scale")]
    pub crop_scale: [f64; 2],
    /// Aspect ratio (width / height) range of the random crop (torchvision: `[3/4, 4/3]`).
    #[serde(skip_serializing_if = "is_default_ratio")]
    pub crop_ratio: [f64; 2],
}

/// torchvision's `RandomResizedCrop` scale range.
pub const DEFAULT_CROP_SCALE: [f64; 2] = [0.08, 1.0];
/// torchvision's `RandomResizedCrop` ratio range.
pub const DEFAULT_CROP_RATIO: [f64; 2] = [3.0 / 4.0, 4.0 / 3.0];

fn is_false(v: &bool) -> bool {
    !*v
}
fn is_default_scale(v: &[f64; 2]) -> bool {
    *v == DEFAULT_CROP_SCALE
}
fn is_default_ratio(v: &[f64; 2]) -> bool {
    *v == DEFAULT_CROP_RATIO
}

/// `[data]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Where examples come from.
    pub source: Source,
    /// CSV file (for `csv`; defaults to `data/digits.csv` for `digits`) or image folder (for
    /// `images`), relative to the current directory.
    pub path: Option<PathBuf>,
    /// The label column of a CSV file.
    pub target: Option<String>,
    /// Number of synthetic examples.
    pub n: usize,
    /// Extra pure-noise features appended to synthetic data (scale tests).
    pub dim: usize,
    /// Noise level of moons/spirals/blobs (standard deviation).
    pub noise: f64,
    /// Classes for spirals and blobs.
    pub classes: usize,
    /// CSV columns forced to be categorical.
    pub categorical: Vec<String>,
    /// CSV columns forced to be numeric.
    pub numeric: Vec<String>,
    /// CSV columns ignored.
    pub drop: Vec<String>,
    /// CSV columns kept as features whatever the drop rules say (an identifier, a constant,
    /// free text, dates): numeric when every training value is a number, else categorical.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keep: Vec<String>,
    /// Cell values read as missing, besides the empty cell (matched trimmed, ignoring ASCII
    /// case); default [`DEFAULT_NA_VALUES`].
    pub na_values: Vec<String>,
    /// The field delimiter of a CSV file: `","`, `";"`, `"|"` or `"tab"`; detected from the
    /// header and the first rows when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// The decimal mark of a CSV file's numbers, `"."` or `","`; when absent, a column whose
    /// numbers read only with a decimal comma is read that way (delimiter not `,`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimal: Option<Decimal>,
    /// The text encoding of a CSV file: `"utf-8"` (the default, with or without a byte-order
    /// mark), `"windows-1252"`, `"latin-1"` or `"utf-16"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// Input scaling.
    pub scaling: Scaling,
    /// Piecewise-linear encoding of numeric columns (`0` = off, else 2 to 256): each numeric
    /// column with at least three distinct training values becomes one feature per bin between
    /// at most `piecewise_bins + 1` quantiles of its training values, instead of one
    /// standardized feature (`preprocess/piecewise.rs`). CSV and generated data. Not written to
    /// `config.toml` when off, so configs without it keep their bytes.
    #[serde(skip_serializing_if = "is_zero")]
    pub piecewise_bins: usize,
    /// The numeric columns `piecewise_bins` encodes (empty: every numeric column); a name
    /// that is not a numeric input is an error naming it. Not written when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub piecewise_columns: Vec<String>,
    /// The split fractions.
    pub split: SplitConfig,
    /// Image augmentation (digits and image folders).
    pub augment: AugmentConfig,
    /// Image folders (`source = "images"`): size, channels, bad files, normalization.
    #[serde(skip_serializing_if = "ImageConfig::is_default")]
    pub image: ImageConfig,
    /// Keep only the examples of these classes (by name, e.g. `["5", "6"]` of the digits),
    /// numbered in this order; empty = every class.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keep_classes: Vec<String>,
    /// Train on at most this many examples per class (the first ones of the shuffled training
    /// split, so the choice follows the seed); 0 = all. Validation and test keep every row.
    #[serde(skip_serializing_if = "is_zero")]
    pub train_per_class: usize,
    /// Stratified K-fold cross-validation over the train+val rows (`0` = off, else ≥ 2): the
    /// test rows are cut by `split` as without folds and never used; the other rows are dealt
    /// into `folds` stratified folds, fold `fold` validates and the rest trains. Not written
    /// to `config.toml` when off, so configs without folds keep their bytes.
    #[serde(skip_serializing_if = "is_zero")]
    pub folds: usize,
    /// The validating fold, in `0..folds` (`sweep --folds K` sets both keys).
    #[serde(skip_serializing_if = "is_zero")]
    pub fold: usize,
}

/// Serde helper: a fold key at its default (off) is left out of the written config.
fn is_zero(v: &usize) -> bool {
    *v == 0
}

/// `[model]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// MLP or CNN.
    pub kind: ModelKind,
    /// Hidden Linear layer sizes.
    pub hidden: Vec<usize>,
    /// Hidden activation.
    pub activation: Activation,
    /// Dropout probability after each hidden activation (0 = none).
    pub dropout: f64,
    /// Output head.
    pub head: HeadKind,
    /// Initial weights.
    pub init: InitScheme,
    /// CNN convolution channels, one conv block per entry.
    pub channels: Vec<usize>,
    /// MLP / CNN: a `BatchNorm1d` after each hidden Linear layer, before its activation.
    #[serde(skip_serializing_if = "is_false")]
    pub batch_norm: bool,
    /// ResNet: `BasicBlock`s per stage (`[2, 2, 2, 2]` is ResNet-18, `[3, 4, 6, 3]` ResNet-34).
    pub blocks: Vec<usize>,
    /// ResNet: channels of each stage (torchvision's `[64, 128, 256, 512]`).
    pub widths: Vec<usize>,
    /// ResNet: the stem, `"imagenet"` (torchvision's) or `"small"` (for 32×32 images).
    pub stem: Stem,
    /// Initial weights from a safetensors file (one of our checkpoints, or any `state_dict`
    /// with our names and layouts) instead of `init`; the head is re-initialised when the
    /// number of classes differs. Relative to the current directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_from: Option<PathBuf>,
    /// Prefixes of parameter names (`"net.0"`, `"net.3.weight"`) kept fixed during training.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub freeze: Vec<String>,
    /// With `init_from`: prefixes of parameter names that start from the seed instead of the
    /// file (a new head for new classes, even when their number is the same).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reinit: Vec<String>,
    /// With `init_from` one of our checkpoints: `"pretrained"` keeps its fitted preprocessing
    /// (schema, scaling, category codes), `"refit"` fits it on this run's training split.
    #[serde(skip_serializing_if = "InitPreprocessing::is_default")]
    pub init_preprocessing: InitPreprocessing,
    /// MLP on a table: categorical columns read through an `nn.Embedding` table instead of
    /// one-hot features (`"none"`, `"auto"` or `{ column = dim }`; see [`Embeddings`]).
    #[serde(skip_serializing_if = "Embeddings::is_default")]
    pub embeddings: Embeddings,
}

/// `[optim]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptimConfig {
    /// Which optimizer.
    pub name: OptimName,
    /// Learning rate (> 0).
    pub lr: f64,
    /// SGD momentum in [0, 1).
    pub momentum: f64,
    /// L2 weight decay (added to the gradient), ≥ 0.
    pub weight_decay: f64,
    /// Adam's (β1, β2), each in [0, 1).
    pub betas: [f64; 2],
    /// Adam's ε (> 0).
    pub eps: f64,
    /// Learning-rate multipliers by parameter-name prefix, e.g. `{ "fc" = 1.0, "" = 0.1 }`
    /// (fine-tuning: the backbone at a tenth of the head's rate). Each trained parameter takes
    /// the multiplier of the longest prefix that selects it (`""` selects every name), 1 when
    /// none does; it multiplies the scheduled rate.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub lr_scale: std::collections::BTreeMap<String, f64>,
}

/// `[train.schedule]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    /// Which schedule.
    pub name: ScheduleName,
    /// `step`: epochs between decays.
    pub step_size: usize,
    /// `step`: decay factor.
    pub gamma: f64,
    /// `cosine`/`plateau`: floor.
    pub min_lr: f64,
    /// `plateau`: epochs without improvement before a decay.
    pub patience: usize,
    /// `plateau`: decay factor.
    pub factor: f64,
}

/// `[train.early_stopping]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EarlyStoppingConfig {
    /// Turn early stopping on.
    pub enabled: bool,
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// The least change that counts as an improvement.
    pub min_delta: f64,
    /// Load the best weights back at the end.
    pub restore_best: bool,
}

/// `[train]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Number of epochs (≥ 1).
    pub epochs: usize,
    /// Minibatch size (≥ 1).
    pub batch_size: usize,
    /// Monitored validation metric: `val_loss`, `val_acc`, `val_f1` (macro), `val_auc`,
    /// `val_bal_acc` (balanced accuracy) or `val_ap` (average precision, PR AUC).
    pub monitor: String,
    /// Direction of the monitored metric.
    pub mode: MonitorMode,
    /// LR schedule.
    pub schedule: ScheduleConfig,
    /// Early stopping.
    pub early_stopping: EarlyStoppingConfig,
    /// Print per-layer gradient norms each epoch (the chapter's debugging checklist).
    pub log_grad_norms: bool,
    /// Write a TensorBoard event file in the run folder (`tensorboard --logdir <folder>`):
    /// the per-epoch curves, the config and the run's hyperparameters. On by default.
    ///
    /// Written to `config.toml` and checkpoints only when off: a default run's saved config,
    /// and so its checkpoint files, stay byte for byte what they were before the switch
    /// existed, and load in a build that does not know it.
    #[serde(skip_serializing_if = "is_true")]
    pub tensorboard: bool,
    /// The least time, in seconds, between two saves of the epoch files (`history.csv`,
    /// `last.safetensors`, `best.safetensors`); `0` saves every epoch. The final epoch, an early
    /// stop, Ctrl-C and an error always save what was trained, so only a `kill -9` or a power
    /// cut can lose epochs, at most this long of them. A run of short epochs so pays for its
    /// files (and their fsyncs) about once a second instead of once an epoch.
    ///
    /// Written to `config.toml` and checkpoints only when not the default, like `tensorboard`.
    #[serde(skip_serializing_if = "is_default_save_interval")]
    pub save_interval_s: f64,
    /// Flush subnormal floats to zero while training (`common::fpenv`): on CPUs that handle
    /// them slowly, a long Adam run otherwise slows down as its state fills with them. Values
    /// below about 1.2e-38 (f32) read as 0; the metrics come out the same. On by default.
    ///
    /// Written to `config.toml` and checkpoints only when off, like `tensorboard`.
    #[serde(skip_serializing_if = "is_true")]
    pub flush_denormals: bool,
    /// With a frozen backbone (every module below the first trained one frozen, no dropout
    /// there) and augmentation off, run the backbone once per training example before epoch
    /// 1 and train the rest on its features, as tch's transfer-learning example does: the
    /// same numbers, without the backbone's cost in every epoch. On by default.
    ///
    /// Written to `config.toml` and checkpoints only when off, like `tensorboard`.
    #[serde(skip_serializing_if = "is_true")]
    pub cache_frozen: bool,
    /// How much each class's examples weigh in the training loss: absent (each example
    /// counts once), `"balanced"`, or one weight per class (see [`ClassWeights`]). Only the
    /// training loss is weighted (so `train_loss` in the history is the weighted objective);
    /// `val_loss` and every validation and test metric are unweighted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_weights: Option<ClassWeights>,
    /// A binary model's decision threshold on class 1's probability: `0.5` (the plain rule,
    /// the default), another probability, or `"f1"` / `"balanced_accuracy"` to choose it on
    /// the validation split after training. Saved in the run's `best.safetensors` (what `eval`
    /// and `predict` take from a run folder); the test metrics use it.
    #[serde(skip_serializing_if = "Threshold::is_default")]
    pub threshold: Threshold,
}

/// The default of [`TrainConfig::save_interval_s`].
pub const DEFAULT_SAVE_INTERVAL_S: f64 = 1.0;

fn is_default_save_interval(s: &f64) -> bool {
    *s == DEFAULT_SAVE_INTERVAL_S
}

impl Config {
    /// The monitored metric's direction with `auto` resolved (`true` = higher is better):
    /// `auto` minimizes `*_loss` metrics and maximizes the others (accuracy, F1, AUC).
    pub fn monitor_maximizes(&self) -> bool {
        match self.train.mode {
            MonitorMode::Auto => !self.train.monitor.ends_with("_loss"),
            MonitorMode::Min => false,
            MonitorMode::Max => true,
        }
    }
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Builds a config error (helper for validation code).
pub fn bad(key: &str, msg: impl Into<String>) -> Error {
    Error::config(key, msg)
}
