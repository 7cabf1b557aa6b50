//! The closed choices of the config (data source, scaling, model kind, activation, head, init,
//! optimizer, schedule, monitor mode), each written in TOML as its lowercase name.

use serde::{Deserialize, Serialize};

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
    /// A folder of image files at `data.path`: `DIR/<class>/<files>`, or `DIR/train/<class>`,
    /// `DIR/val/<class>` and optionally `DIR/test/<class>` (see `data::images`).
    Images,
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

/// Network families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// A multilayer perceptron on flat features.
    Mlp,
    /// A small CNN on `[C, H, W]` images: (conv3x3 → act → maxpool2) per entry of
    /// `model.channels`, then flatten, the `hidden` Linear layers and the head.
    Cnn,
    /// torchvision's ResNet with `BasicBlock`s (`model.blocks`, `model.widths`, `model.stem`),
    /// its module and tensor names: `[2, 2, 2, 2]` with widths `[64, 128, 256, 512]` and the
    /// `imagenet` stem is `resnet18`.
    Resnet,
}

/// The first layers of a ResNet (`model.stem`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stem {
    /// torchvision's: 7×7 convolution with stride 2, BatchNorm, ReLU, 3×3 max pool with
    /// stride 2 (an image shrinks by 4 before the first stage).
    Imagenet,
    /// For small images (32×32): 3×3 convolution with stride 1, BatchNorm, ReLU, no pool.
    Small,
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

/// Optimizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimName {
    /// SGD with optional momentum, weight decay as L2 (`torch.optim.SGD`).
    Sgd,
    /// Adam with bias correction (`torch.optim.Adam`, L2 weight decay).
    Adam,
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

/// `model.init_preprocessing`: where a fine-tuned model's preprocessing comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitPreprocessing {
    /// The pretrained checkpoint's fitted preprocessing, when it has one (a plain
    /// `state_dict` has none: then it is fitted here, and the run says so).
    #[default]
    Pretrained,
    /// Fitted on this run's training split.
    Refit,
}

impl InitPreprocessing {
    /// Whether this is the default (so that configs without `init_from` serialize as before).
    pub fn is_default(&self) -> bool {
        *self == InitPreprocessing::default()
    }
}
