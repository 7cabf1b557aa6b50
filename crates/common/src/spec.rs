//! The model spec: the layer list both backends build from the config, with PyTorch
//! `nn.Sequential` names (`net.{i}.weight`, `net.{i}.bias`, where `i` counts every layer,
//! activations and dropout included) and layouts (Linear weight `[out, in]`, Conv2d weight
//! `[out_ch, in_ch, k, k]`). The chapter's `model.MLP` / `models.MLP(nn.Module)`.

use serde::{Deserialize, Serialize};

use crate::config::{Activation, Config, HeadKind, ModelKind};
use crate::{Error, Result};

/// One layer of the sequential network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum LayerSpec {
    /// `y = x Wᵀ + b`, W `[outputs, inputs]`.
    Linear {
        /// Input features.
        inputs: usize,
        /// Output features.
        outputs: usize,
    },
    /// Element-wise activation.
    Act {
        /// Which one.
        act: Activation,
    },
    /// Inverted dropout with drop probability `p` (identity in eval mode).
    Dropout {
        /// Drop probability in [0, 1).
        p: f64,
    },
    /// 2-D convolution, stride 1, zero padding `padding`, weight `[out_ch, in_ch, k, k]`.
    Conv2d {
        /// Input channels.
        in_ch: usize,
        /// Output channels.
        out_ch: usize,
        /// Kernel size.
        kernel: usize,
        /// Zero padding on each side.
        padding: usize,
    },
    /// Non-overlapping max pooling with window and stride `k` (floor mode).
    MaxPool2d {
        /// Window and stride.
        k: usize,
    },
    /// `[N, C, H, W]` → `[N, C·H·W]` (row-major, as `torch.flatten(x, 1)`).
    Flatten,
}

/// The output head: how logits turn into a loss and probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Head {
    /// One logit per example, BCE-with-logits; class 1 is "positive".
    Bce,
    /// K logits per example, softmax cross-entropy.
    Softmax {
        /// Number of classes.
        classes: usize,
    },
}

/// One parameter tensor of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamInfo {
    /// `state_dict` name, e.g. `net.0.weight`.
    pub name: String,
    /// Shape, e.g. `[out, in]`.
    pub shape: Vec<usize>,
    /// Fan-in of the owning layer (for PyTorch's default init).
    pub fan_in: usize,
    /// Index of the owning layer in [`ModelSpec::layers`].
    pub layer: usize,
    /// True for a weight, false for a bias.
    pub is_weight: bool,
}

/// The whole network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Shape of one input example: `[features]` for an MLP, `[C, H, W]` for a CNN.
    pub input_shape: Vec<usize>,
    /// The layers in order; the last one is the output Linear.
    pub layers: Vec<LayerSpec>,
    /// The head.
    pub head: Head,
}

impl ModelSpec {
    /// Builds the spec from the config for data with `n_features` flat features, an optional
    /// image shape `[C, H, W]` (required for `cnn`) and `n_classes` classes. The MLP is
    /// `[Linear, Act, (Dropout)] × hidden.len()` then the output Linear; the CNN prepends
    /// `[Conv2d(k=3, pad=1), Act, MaxPool2d(2)] × channels.len()` and `Flatten`.
    /// Errors name the key (`model.head` = bce with 3 classes, `model.kind` = cnn without
    /// image data, ...).
    pub fn from_config(
        cfg: &Config,
        n_features: usize,
        image_shape: Option<[usize; 3]>,
        n_classes: usize,
    ) -> Result<Self> {
        let _ = (cfg, n_features, image_shape, n_classes, ModelKind::Mlp, HeadKind::Auto);
        Err(Error::Other("todo".into()))
    }
    /// Number of logits per example (1 for BCE, K for softmax).
    pub fn n_outputs(&self) -> usize {
        match self.head {
            Head::Bce => 1,
            Head::Softmax { classes } => classes,
        }
    }
    /// Every parameter tensor, in `state_dict` order (weight before bias, layer by layer).
    pub fn params(&self) -> Vec<ParamInfo> {
        todo!()
    }
    /// Total number of scalar parameters.
    pub fn n_params(&self) -> usize {
        self.params().iter().map(|p| p.shape.iter().product::<usize>()).sum()
    }
    /// A one-line description such as `2→32→1 relu (bce)`.
    pub fn describe(&self) -> String {
        todo!()
    }
}
