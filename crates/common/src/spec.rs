//! The model spec: the layer list both backends build from the config, with PyTorch
//! `nn.Sequential` names (`net.{i}.weight`, `net.{i}.bias`, where `i` counts every layer,
//! activations and dropout included) and layouts (Linear weight `[out, in]`, Conv2d weight
//! `[out_ch, in_ch, k, k]`). The chapter's `model.MLP` / `models.MLP(nn.Module)`.

use serde::{Deserialize, Serialize};

use crate::config::{Activation, Config, HeadKind, ModelKind};
use crate::{Error, Result};

mod check;
mod flops;
mod freeze;
pub use check::{MAX_ACTIVATIONS, MAX_PARAMS};
pub use freeze::selects;

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
    /// Prefixes of the parameter names kept fixed in training (`model.freeze`; see
    /// [`ModelSpec::is_frozen`]). Both backends build from the spec, so parity covers it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub freeze: Vec<String>,
}

impl ModelSpec {
    /// Builds the spec from the config for data with `n_features` flat features, an optional
    /// image shape `[C, H, W]` (required for `cnn`) and `n_classes` classes. The MLP is
    /// `[Linear, Act, (Dropout)] × hidden.len()` then the output Linear; the CNN prepends
    /// `[Conv2d(k=3, pad=1), Act, MaxPool2d(2)] × channels.len()` and `Flatten`.
    /// Errors name the key (`model.head` = bce with 3 classes, `model.kind` = cnn without
    /// image data, `model.hidden` = a 0-sized layer, `model.channels` = an empty list or too
    /// many pooling blocks for the image, `model.dropout` = p outside [0, 1)).
    pub fn from_config(
        cfg: &Config,
        n_features: usize,
        image_shape: Option<[usize; 3]>,
        n_classes: usize,
    ) -> Result<Self> {
        let m = &cfg.model;
        let head = resolve_head(m.head, n_classes)?;
        check_mlp_keys(cfg)?;
        let mut layers = Vec::new();
        let (input_shape, mut inputs) = match m.kind {
            ModelKind::Mlp if n_features == 0 => {
                return Err(Error::Shape("the data has no input features".into()));
            }
            ModelKind::Mlp => (vec![n_features], n_features),
            ModelKind::Cnn => {
                let shape = image_shape.ok_or_else(|| {
                    Error::config(
                        "model.kind",
                        "cnn needs image data (data.source = \"digits\"); use mlp",
                    )
                })?;
                if shape.iter().product::<usize>() != n_features {
                    let msg = format!("{n_features} features are not {shape:?} images flattened");
                    return Err(Error::Shape(msg));
                }
                let flat = conv_blocks(&m.channels, m.activation, shape, &mut layers)?;
                (shape.to_vec(), flat)
            }
        };
        for &h in &m.hidden {
            layers.push(LayerSpec::Linear { inputs, outputs: h });
            layers.push(LayerSpec::Act { act: m.activation });
            if m.dropout > 0.0 {
                layers.push(LayerSpec::Dropout { p: m.dropout });
            }
            inputs = h;
        }
        let mut spec = ModelSpec {
            input_shape,
            layers,
            head,
            freeze: Vec::new(),
        };
        let outputs = spec.n_outputs();
        spec.layers.push(LayerSpec::Linear { inputs, outputs });
        // Bounds the parameter count and activation size before any backend allocates.
        let key = if m.kind == ModelKind::Cnn {
            "model.channels"
        } else {
            "model.hidden"
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
    /// Every parameter tensor, in `state_dict` order (weight before bias, layer by layer).
    pub fn params(&self) -> Vec<ParamInfo> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            let (w, b, fan_in) = match *layer {
                LayerSpec::Linear { inputs, outputs } => (vec![outputs, inputs], outputs, inputs),
                LayerSpec::Conv2d {
                    in_ch,
                    out_ch,
                    kernel,
                    ..
                } => (
                    vec![out_ch, in_ch, kernel, kernel],
                    out_ch,
                    // Saturating: a hostile spec must not overflow here (`validate` rejects it).
                    in_ch.saturating_mul(kernel).saturating_mul(kernel),
                ),
                _ => continue,
            };
            let info = |name: &str, shape: Vec<usize>, is_weight| ParamInfo {
                name: format!("net.{i}.{name}"),
                shape,
                fan_in,
                layer: i,
                is_weight,
            };
            out.push(info("weight", w, true));
            out.push(info("bias", vec![b], false));
        }
        out
    }
    /// Total number of scalar parameters (saturating at `usize::MAX` for a hostile spec).
    pub fn n_params(&self) -> usize {
        self.params()
            .iter()
            .map(|p| p.shape.iter().fold(1usize, |a, &d| a.saturating_mul(d)))
            .fold(0usize, usize::saturating_add)
    }
    /// A one-line description such as `2→32→1 relu, bce` (an MLP) or
    /// `1×8×8→conv16→pool→conv32→pool→flat128→64→10 relu, dropout 0.2, softmax` (a CNN).
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = vec![self
            .input_shape
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("×")];
        let mut act = None;
        let mut dropout = None;
        let mut flat_next = false;
        for layer in &self.layers {
            match *layer {
                LayerSpec::Conv2d { out_ch, .. } => parts.push(format!("conv{out_ch}")),
                LayerSpec::MaxPool2d { .. } => parts.push("pool".into()),
                LayerSpec::Flatten => flat_next = true,
                LayerSpec::Linear { inputs, outputs } => {
                    if flat_next {
                        parts.push(format!("flat{inputs}"));
                        flat_next = false;
                    }
                    parts.push(outputs.to_string());
                }
                LayerSpec::Act { act: a } => act = Some(a),
                LayerSpec::Dropout { p } => dropout = Some(p),
            }
        }
        let mut s = parts.join("→");
        if let Some(a) = act {
            s.push_str(&format!(" {}", act_name(a)));
        }
        if let Some(p) = dropout {
            s.push_str(&format!(", dropout {p}"));
        }
        s.push_str(match self.head {
            Head::Bce => ", bce",
            Head::Softmax { .. } => ", softmax",
        });
        s
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

/// `model.dropout` in [0, 1) and every `model.hidden` size ≥ 1.
fn check_mlp_keys(cfg: &Config) -> Result<()> {
    let m = &cfg.model;
    if !(0.0..1.0).contains(&m.dropout) {
        let msg = format!("must be in [0, 1), got {}", m.dropout);
        return Err(Error::config("model.dropout", msg));
    }
    if let Some(i) = m.hidden.iter().position(|&h| h == 0) {
        let msg = format!("layer {i} has size 0; sizes must be ≥ 1");
        return Err(Error::config("model.hidden", msg));
    }
    Ok(())
}

/// `auto` → BCE for two classes, softmax otherwise; BCE needs exactly two classes.
fn resolve_head(kind: HeadKind, n_classes: usize) -> Result<Head> {
    if n_classes < 2 {
        return Err(Error::config(
            "model.head",
            format!("a classifier needs at least 2 classes, the data has {n_classes}"),
        ));
    }
    match kind {
        HeadKind::Bce if n_classes != 2 => Err(Error::config(
            "model.head",
            format!("bce needs exactly 2 classes, the data has {n_classes}; use softmax or auto"),
        )),
        HeadKind::Bce => Ok(Head::Bce),
        HeadKind::Auto if n_classes == 2 => Ok(Head::Bce),
        HeadKind::Auto | HeadKind::Softmax => Ok(Head::Softmax { classes: n_classes }),
    }
}

/// Appends `[Conv2d(3, pad 1), Act, MaxPool2d(2)]` per channel entry and `Flatten`; returns
/// the flattened size.
fn conv_blocks(
    channels: &[usize],
    act: Activation,
    shape: [usize; 3],
    layers: &mut Vec<LayerSpec>,
) -> Result<usize> {
    if channels.is_empty() {
        return Err(Error::config(
            "model.channels",
            "cnn needs at least one conv block (e.g. [16, 32])",
        ));
    }
    let [mut c, mut h, mut w] = shape;
    for (i, &out_ch) in channels.iter().enumerate() {
        if out_ch == 0 {
            return Err(Error::config(
                "model.channels",
                format!("entry {i} is 0; channel counts must be ≥ 1"),
            ));
        }
        // A 3×3 convolution with padding 1 keeps H×W; the 2×2 pool halves it (floor).
        if h < 2 || w < 2 {
            return Err(Error::config(
                "model.channels",
                format!(
                    "{} conv blocks pool a {}×{} image below 1×1; use fewer",
                    channels.len(),
                    shape[1],
                    shape[2]
                ),
            ));
        }
        layers.push(LayerSpec::Conv2d {
            in_ch: c,
            out_ch,
            kernel: 3,
            padding: 1,
        });
        layers.push(LayerSpec::Act { act });
        layers.push(LayerSpec::MaxPool2d { k: 2 });
        (c, h, w) = (out_ch, h / 2, w / 2);
    }
    layers.push(LayerSpec::Flatten);
    Ok(c * h * w)
}

#[cfg(test)]
mod tests;
