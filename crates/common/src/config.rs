//! The central configuration: one TOML file → one validated struct tree `{seed, data, model,
//! optim, train}`, overridable with `--set dotted.key=value`, written to the run folder before
//! epoch 1 and embedded in every checkpoint. Mirrors the chapter's `config.py` ("hiperparámetros
//! centralizados"). `Config::default()` is the chapter's Route 1 run.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The whole experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The master seed: every random stream (data, split, init, shuffle, dropout, augmentation)
    /// is derived from it.
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

/// Data sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The chapter's toy data: 2-D standard normal, label `x0² + x1² > 1`.
    Circle,
    /// Two interleaved half-moons.
    Moons,
    /// `classes` interleaved spirals.
    Spirals,
    /// `classes` Gaussian blobs.
    Blobs,
    /// A CSV file at `data.path` with the label column `data.target`.
    Csv,
    /// `data/digits.csv` (8×8 images, 10 classes).
    Digits,
}

/// Input scaling fitted on the training split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scaling {
    /// `standard` for csv and digits, `none` for synthetic data (already unit scale).
    Auto,
    /// Subtract the train mean, divide by the train standard deviation.
    Standard,
    /// Leave the features as they are.
    None,
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
}

/// `[data]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Where examples come from.
    pub source: Source,
    /// CSV file (for `csv`; defaults to `data/digits.csv` for `digits`), relative to the
    /// current directory.
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
    /// Input scaling.
    pub scaling: Scaling,
    /// The split fractions.
    pub split: SplitConfig,
    /// Image augmentation (digits).
    pub augment: AugmentConfig,
}

/// Network families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// A multilayer perceptron on flat features.
    Mlp,
    /// A small CNN on `[C, H, W]` images: (conv3x3 → act → maxpool2) per entry of
    /// `model.channels`, then flatten, the `hidden` Linear layers and the head.
    Cnn,
}

/// Hidden-layer activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `max(0, x)`.
    Relu,
    /// `tanh(x)`.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
}

/// Output head and loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeadKind {
    /// `bce` for two classes, `softmax` otherwise.
    Auto,
    /// One logit + BCE-with-logits (two classes only).
    Bce,
    /// K logits + softmax cross-entropy.
    Softmax,
}

/// Initial-weight schemes (produced by `common::init`, so both backends start identically).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitScheme {
    /// The chapter's `N(0, 0.1)` weights and zero biases.
    Chapter,
    /// PyTorch's default `nn.Linear`/`nn.Conv2d` init: `U(-1/√fan_in, 1/√fan_in)`.
    Pytorch,
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
}

/// Optimizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimName {
    /// SGD with optional momentum, weight decay as L2 (`torch.optim.SGD`).
    Sgd,
    /// Adam with bias correction (`torch.optim.Adam`, L2 weight decay).
    Adam,
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
}

/// LR schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleName {
    /// `lr` throughout.
    Constant,
    /// Multiply by `gamma` every `step_size` epochs.
    Step,
    /// Cosine from `lr` to `min_lr` over `train.epochs`.
    Cosine,
    /// Multiply by `factor` after `patience` epochs without improvement of the monitor.
    Plateau,
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

/// Direction of the monitored metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MonitorMode {
    /// `min` for losses, `max` for accuracy, F1 and AUC.
    Auto,
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

/// `[train]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Number of epochs (≥ 1).
    pub epochs: usize,
    /// Minibatch size (≥ 1).
    pub batch_size: usize,
    /// Monitored validation metric: `val_loss`, `val_acc`, `val_f1` or `val_auc`.
    pub monitor: String,
    /// Direction of the monitored metric.
    pub mode: MonitorMode,
    /// LR schedule.
    pub schedule: ScheduleConfig,
    /// Early stopping.
    pub early_stopping: EarlyStoppingConfig,
    /// Print per-layer gradient norms each epoch (the chapter's debugging checklist).
    pub log_grad_norms: bool,
}

impl Default for Config {
    /// The chapter's Route 1 run: circle n=2000, 2→32→1 ReLU, BCE-with-logits, SGD lr 0.5,
    /// batch 64, 20 epochs, seed 42.
    fn default() -> Self {
        Config {
            seed: 42,
            data: DataConfig::default(),
            model: ModelConfig::default(),
            optim: OptimConfig::default(),
            train: TrainConfig::default(),
        }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            source: Source::Circle,
            path: None,
            target: None,
            n: 2000,
            dim: 0,
            noise: 0.1,
            classes: 3,
            categorical: vec![],
            numeric: vec![],
            drop: vec![],
            scaling: Scaling::Auto,
            split: SplitConfig::default(),
            augment: AugmentConfig::default(),
        }
    }
}

impl Default for SplitConfig {
    fn default() -> Self {
        SplitConfig { train: 0.8, val: 0.2, test: 0.0 }
    }
}

impl Default for AugmentConfig {
    fn default() -> Self {
        AugmentConfig { enabled: false, max_shift: 1, max_rotate_deg: 10.0 }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            kind: ModelKind::Mlp,
            hidden: vec![32],
            activation: Activation::Relu,
            dropout: 0.0,
            head: HeadKind::Auto,
            init: InitScheme::Chapter,
            channels: vec![16, 32],
        }
    }
}

impl Default for OptimConfig {
    fn default() -> Self {
        OptimConfig {
            name: OptimName::Sgd,
            lr: 0.5,
            momentum: 0.0,
            weight_decay: 0.0,
            betas: [0.9, 0.999],
            eps: 1e-8,
        }
    }
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            name: ScheduleName::Constant,
            step_size: 10,
            gamma: 0.1,
            min_lr: 0.0,
            patience: 5,
            factor: 0.5,
        }
    }
}

impl Default for EarlyStoppingConfig {
    fn default() -> Self {
        EarlyStoppingConfig { enabled: false, patience: 10, min_delta: 0.0, restore_best: true }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 20,
            batch_size: 64,
            monitor: "val_loss".into(),
            mode: MonitorMode::Auto,
            schedule: ScheduleConfig::default(),
            early_stopping: EarlyStoppingConfig::default(),
            log_grad_norms: false,
        }
    }
}

impl Config {
    /// The chapter's Route 2 run: circle n=5000, 2→64→64→2 ReLU, softmax cross-entropy, Adam
    /// lr 1e-3, batch 128, 30 epochs, seed 42, PyTorch's default init.
    pub fn chapter_route2() -> Self {
        todo!()
    }

    /// Reads a TOML file, applies `--set` overrides (`dotted.key=value`, the value parsed as a
    /// TOML literal, or as a string if it is not one) and validates. Errors name the file and
    /// the key (unknown keys, wrong types, impossible values).
    pub fn load(path: &Path, overrides: &[String]) -> Result<Config> {
        let _ = (path, overrides);
        todo!()
    }

    /// Parses TOML text (the `origin` names it in errors), then overrides, then validates.
    pub fn from_toml_str(text: &str, origin: &str, overrides: &[String]) -> Result<Config> {
        let _ = (text, origin, overrides);
        todo!()
    }

    /// Applies `--set` overrides to this config and validates the result.
    pub fn with_overrides(&self, overrides: &[String]) -> Result<Config> {
        let _ = overrides;
        todo!()
    }

    /// Checks every value; the error names the first bad key.
    pub fn validate(&self) -> Result<()> {
        todo!()
    }

    /// The config as TOML text (what is written to `config.toml` in the run folder and
    /// embedded in checkpoints); `from_toml_str` of it gives back an equal config.
    pub fn to_toml(&self) -> String {
        todo!()
    }

    /// The monitored metric's direction with `auto` resolved (`true` = higher is better).
    pub fn monitor_maximizes(&self) -> bool {
        todo!()
    }
}

/// Builds a config error (helper for validation code).
pub fn bad(key: &str, msg: impl Into<String>) -> Error {
    Error::config(key, msg)
}
