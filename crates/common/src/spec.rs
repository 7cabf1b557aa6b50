//! The model spec: a tree of named modules both backends build from the config, as PyTorch's
//! modules are. An MLP or the small CNN is one `nn.Sequential` named `net` (`net.{i}.weight`,
//! `net.{i}.bias`, where `i` counts every layer, activations and dropout included); a ResNet
//! has torchvision's names (`conv1.weight`, `bn1.running_mean`, `layer2.0.downsample.0.weight`,
//! `fc.bias`). Layouts are PyTorch's (Linear weight `[out, in]`, Conv2d weight
//! `[out_ch, in_ch, k, k]`). The chapter's `model.MLP` / `models.MLP(nn.Module)`.

use serde::{Deserialize, Serialize};

use crate::config::{Activation, Config, ModelKind};
use crate::{Error, Result};
use blocks::{check_mlp_keys, conv_blocks, resolve_head};

mod blocks;
mod check;
mod describe;
mod embed;
mod flops;
mod freeze;
mod names;
mod resnet;
mod tree;
pub use check::{MAX_ACTIVATIONS, MAX_PARAMS};
pub use embed::{EmbedTable, UNSEEN_ROW};
pub use freeze::selects;
pub use tree::{BufferInfo, ParamRole};

/// `eps` of PyTorch's BatchNorm.
pub const BN_EPS: f64 = 1e-5;
/// `momentum` of PyTorch's BatchNorm (the weight of the new batch in the running statistics).
pub const BN_MOMENTUM: f64 = 0.1;

/// A child module with its name (`"conv1"`, `"0"`): the entries of a container.
pub type Named = (String, LayerSpec);

/// One module of the network: a layer, or a container of named modules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// 2-D convolution with zero padding `padding` and stride `stride`, weight
    /// `[out_ch, in_ch, k, k]` and, when `bias`, a bias `[out_ch]`.
    Conv2d {
        /// Input channels.
        in_ch: usize,
        /// Output channels.
        out_ch: usize,
        /// Kernel size.
        kernel: usize,
        /// Zero padding on each side.
        padding: usize,
        /// Stride (1 unless written).
        #[serde(default = "one", skip_serializing_if = "is_one")]
        stride: usize,
        /// Whether the layer has a bias (true unless written).
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        bias: bool,
    },
    /// Max pooling with window `k`, stride `stride` (`k` unless written) and padding
    /// `padding` (0 unless written; padded taps never win), floor mode.
    MaxPool2d {
        /// Window.
        k: usize,
        /// Stride; `None` is `k` (non-overlapping, as `nn.MaxPool2d(k)`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stride: Option<usize>,
        /// Padding on each side.
        #[serde(default, skip_serializing_if = "is_zero")]
        padding: usize,
    },
    /// `[N, C, H, W]` → `[N, C·H·W]` (row-major, as `torch.flatten(x, 1)`).
    Flatten,
    /// Embedding lookups (`nn.Embedding` tables, see `embed.rs`): the last `tables.len()`
    /// input features are row indices, each replaced by its table's row; the `dense` features
    /// before them pass through. `[dense + k]` → `[dense + Σ dim]`.
    Embed {
        /// Features before the indices, passed through.
        dense: usize,
        /// One table per index feature, in order.
        tables: Vec<EmbedTable>,
    },
    /// BatchNorm over `features` channels: `BatchNorm2d` on `[C, H, W]` inputs, `BatchNorm1d`
    /// on `[features]`; affine (`weight`, `bias`) with the buffers `running_mean`,
    /// `running_var` and `num_batches_tracked`.
    BatchNorm {
        /// Channels (or features).
        features: usize,
    },
    /// `nn.AdaptiveAvgPool2d((1, 1))` then `flatten(1)`: `[C, H, W]` → `[C]`.
    GlobalAvgPool,
    /// `nn.Sequential` of named modules (a ResNet stage: `"0"`, `"1"`, …).
    Sequential {
        /// The modules in order.
        layers: Vec<Named>,
    },
    /// torchvision's `BasicBlock`: `act(body(x) + shortcut(x))`, where the shortcut is
    /// `downsample` when it is not empty (a 1×1 strided convolution and a BatchNorm) and the
    /// identity otherwise.
    Residual {
        /// The main branch (`conv1`, `bn1`, `relu`, `conv2`, `bn2`).
        body: Vec<Named>,
        /// The projection shortcut (`0` = conv, `1` = BatchNorm), or empty for the identity.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        downsample: Vec<Named>,
        /// Applied to the sum.
        act: Activation,
    },
}

fn one() -> usize {
    1
}
fn is_one(v: &usize) -> bool {
    *v == 1
}
fn yes() -> bool {
    true
}
fn is_true(v: &bool) -> bool {
    *v
}
fn is_zero(v: &usize) -> bool {
    *v == 0
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
    /// `state_dict` name, e.g. `net.0.weight` or `layer1.0.bn2.bias`.
    pub name: String,
    /// Shape, e.g. `[out, in]`.
    pub shape: Vec<usize>,
    /// Fan-in of the owning layer (for PyTorch's default init).
    pub fan_in: usize,
    /// Fan-out of the owning layer (`out_ch·k²` for a convolution: torchvision's ResNet init).
    pub fan_out: usize,
    /// Index of the owning top-level module in [`ModelSpec::layers`].
    pub layer: usize,
    /// True for a weight (a BatchNorm's scale included), false for a bias.
    pub is_weight: bool,
    /// What the tensor is to its layer (how it is initialised).
    pub role: ParamRole,
}

/// The whole network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Shape of one input example: `[features]` for an MLP, `[C, H, W]` for a CNN.
    pub input_shape: Vec<usize>,
    /// The top-level modules in order; the last one is the output Linear.
    pub layers: Vec<LayerSpec>,
    /// Names of the top-level modules (`conv1`, `bn1`, …, `fc` for a ResNet). Empty for an
    /// MLP or CNN, whose modules are `net.{i}` (one `nn.Sequential` named `net`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// The head.
    pub head: Head,
    /// Prefixes of the parameter names kept fixed in training (`model.freeze`; see
    /// [`ModelSpec::is_frozen`]). Both backends build from the spec, so parity covers it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub freeze: Vec<String>,
}

impl ModelSpec {
    /// Builds the spec from the config for data with `n_features` flat features, an optional
    /// image shape `[C, H, W]` (required for `cnn` and `resnet`) and `n_classes` classes. The
    /// MLP is `[Linear, (BatchNorm), Act, (Dropout)] × hidden.len()` then the output Linear;
    /// the CNN prepends `[Conv2d(k=3, pad=1), Act, MaxPool2d(2)] × channels.len()` and
    /// `Flatten`; a ResNet is torchvision's (see `resnet.rs`).
    /// Errors name the key (`model.head` = bce with 3 classes, `model.kind` = cnn without
    /// image data, `model.hidden` = a 0-sized layer, `model.channels` = an empty list or too
    /// many pooling blocks for the image, `model.dropout` = p outside [0, 1)).
    pub fn from_config(
        cfg: &Config,
        n_features: usize,
        image_shape: Option<[usize; 3]>,
        n_classes: usize,
    ) -> Result<Self> {
        Self::with_tables(cfg, n_features, image_shape, n_classes, Vec::new())
    }

    /// [`ModelSpec::from_config`] for an MLP whose last `tables.len()` input features are the
    /// row indices of these embedding tables (`model.embeddings`; the preprocessing's
    /// [`crate::preprocess::Preprocessor::embedding_tables`]): the module `emb` comes first.
    pub fn with_tables(
        cfg: &Config,
        n_features: usize,
        image_shape: Option<[usize; 3]>,
        n_classes: usize,
        tables: Vec<EmbedTable>,
    ) -> Result<Self> {
        let m = &cfg.model;
        if !tables.is_empty() && m.kind != ModelKind::Mlp {
            let msg = "embedding tables need model.kind = \"mlp\"";
            return Err(Error::config("model.embeddings", msg));
        }
        let head = resolve_head(m.head, n_classes)?;
        let image = |kind: &str| -> Result<[usize; 3]> {
            let shape = image_shape.ok_or_else(|| {
                let msg = format!(
                    "{kind} needs image data (data.source = \"digits\" or \"images\"); use mlp"
                );
                Error::config("model.kind", msg)
            })?;
            if shape.iter().product::<usize>() != n_features {
                let msg = format!("{n_features} features are not {shape:?} images flattened");
                return Err(Error::Shape(msg));
            }
            Ok(shape)
        };
        let mut spec = if m.kind == ModelKind::Resnet {
            resnet::build(m, image("resnet")?, head)?
        } else {
            check_mlp_keys(cfg)?;
            let mut layers = Vec::new();
            let (input_shape, mut inputs) = match m.kind {
                ModelKind::Mlp if n_features == 0 => {
                    return Err(Error::Shape("the data has no input features".into()));
                }
                ModelKind::Mlp | ModelKind::Resnet => (vec![n_features], n_features),
                ModelKind::Cnn => {
                    let shape = image("cnn")?;
                    let flat = conv_blocks(&m.channels, m.activation, shape, &mut layers)?;
                    (shape.to_vec(), flat)
                }
            };
            for &h in &m.hidden {
                layers.push(LayerSpec::Linear { inputs, outputs: h });
                if m.batch_norm {
                    layers.push(LayerSpec::BatchNorm { features: h });
                }
                layers.push(LayerSpec::Act { act: m.activation });
                if m.dropout > 0.0 {
                    layers.push(LayerSpec::Dropout { p: m.dropout });
                }
                inputs = h;
            }
            let mut spec = ModelSpec {
                input_shape,
                layers,
                names: Vec::new(),
                head,
                freeze: Vec::new(),
            };
            let outputs = spec.n_outputs();
            spec.layers.push(LayerSpec::Linear { inputs, outputs });
            if !tables.is_empty() {
                spec.add_embeddings(tables)?;
            }
            spec
        };
        // Bounds the parameter count and activation size before any backend allocates.
        let key = match m.kind {
            ModelKind::Cnn => "model.channels",
            ModelKind::Mlp => "model.hidden",
            ModelKind::Resnet => "model.widths",
        };
        spec.validate().map_err(|e| match e {
            Error::Shape(msg) => {
                Error::config(key, format!("the model {}: {msg}", spec.describe()))
            }
            other => other,
        })?;
        spec.freeze = m.freeze.clone();
        spec.check_freeze()?;
        Ok(spec)
    }
    /// Number of logits per example (1 for BCE, K for softmax).
    pub fn n_outputs(&self) -> usize {
        match self.head {
            Head::Bce => 1,
            Head::Softmax { classes } => classes,
        }
    }
    /// The name of top-level module `i`: its entry of [`ModelSpec::names`], or `net.{i}`; with
    /// embeddings, module 0 is `emb` and the MLP after it `net.{i - 1}` (`embed.rs`).
    pub fn layer_name(&self, i: usize) -> String {
        match (self.names.get(i), self.embeddings()) {
            (Some(n), _) => n.clone(),
            (None, Some(_)) if i == 0 => "emb".to_string(),
            (None, Some(_)) => format!("net.{}", i - 1),
            (None, None) => format!("net.{i}"),
        }
    }
    /// Total number of scalar parameters (saturating at `usize::MAX` for a hostile spec).
    pub fn n_params(&self) -> usize {
        self.params()
            .iter()
            .map(|p| p.shape.iter().fold(1usize, |a, &d| a.saturating_mul(d)))
            .fold(0usize, usize::saturating_add)
    }
}

/// The lower-case config name of an activation.
fn act_name(a: Activation) -> &'static str {
    match a {
        Activation::Relu => "relu",
        Activation::Tanh => "tanh",
        Activation::Sigmoid => "sigmoid",
    }
}

#[cfg(test)]
mod tests;
