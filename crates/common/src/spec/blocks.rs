//! The pieces [`super::ModelSpec::from_config`] assembles an MLP or the small CNN from: the
//! head the classes call for, the MLP keys' checks, and the convolution blocks.

use super::{Head, LayerSpec};
use crate::config::{Activation, Config, HeadKind};
use crate::{Error, Result};

/// `model.dropout` in [0, 1) and every `model.hidden` size ≥ 1.
pub(super) fn check_mlp_keys(cfg: &Config) -> Result<()> {
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
pub(super) fn resolve_head(kind: HeadKind, n_classes: usize) -> Result<Head> {
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
pub(super) fn conv_blocks(
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
            stride: 1,
            bias: true,
        });
        layers.push(LayerSpec::Act { act });
        layers.push(LayerSpec::MaxPool2d {
            k: 2,
            stride: None,
            padding: 0,
        });
        (c, h, w) = (out_ch, h / 2, w / 2);
    }
    layers.push(LayerSpec::Flatten);
    Ok(c * h * w)
}
