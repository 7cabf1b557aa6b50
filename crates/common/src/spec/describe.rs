//! [`ModelSpec::describe`]: the one-line summary of a network printed by every run.

use super::{act_name, Head, LayerSpec, ModelSpec};

impl ModelSpec {
    /// A one-line description such as `2→32→1 relu, bce` (an MLP),
    /// `1×8×8→conv16→pool→conv32→pool→flat128→64→10 relu, dropout 0.2, softmax` (a CNN),
    /// `14→emb40→32→1 relu, bce` (an MLP reading 4 of its 14 inputs through embedding tables) or
    /// `3×32×32→conv16→res16×2→res32/2×2→avgpool→10 relu, batchnorm, softmax` (a ResNet:
    /// `res32/2×2` is a stage of two residual blocks of 32 channels, the first with stride 2).
    pub fn describe(&self) -> String {
        let shape = self.input_shape.iter().map(|d| d.to_string());
        let mut parts: Vec<String> = vec![shape.collect::<Vec<_>>().join("×")];
        let mut notes = Notes::default();
        let mut flat_next = false;
        for layer in &self.layers {
            match layer {
                LayerSpec::Flatten => flat_next = true,
                LayerSpec::Linear { inputs, outputs } => {
                    if flat_next {
                        parts.push(format!("flat{inputs}"));
                        flat_next = false;
                    }
                    parts.push(outputs.to_string());
                }
                LayerSpec::Sequential { layers } => {
                    if let Some(stage) = stage(layers) {
                        parts.push(stage);
                    }
                    notes.batch_norm = true;
                }
                other => {
                    if let Some(p) = part(other, &mut notes) {
                        parts.push(p);
                    }
                }
            }
        }
        let mut s = parts.join("→");
        if let Some(a) = notes.act {
            s.push_str(&format!(" {}", act_name(a)));
        }
        if notes.batch_norm {
            s.push_str(", batchnorm");
        }
        if let Some(p) = notes.dropout {
            s.push_str(&format!(", dropout {p}"));
        }
        s.push_str(match self.head {
            Head::Bce => ", bce",
            Head::Softmax { .. } => ", softmax",
        });
        s
    }
}

/// What the summary says once, after the layer chain.
#[derive(Default)]
struct Notes {
    act: Option<crate::config::Activation>,
    dropout: Option<f64>,
    batch_norm: bool,
}

/// The chain entry of a leaf layer (activations, dropout and BatchNorm become notes).
fn part(layer: &LayerSpec, notes: &mut Notes) -> Option<String> {
    match *layer {
        LayerSpec::Conv2d { out_ch, stride, .. } if stride > 1 => {
            Some(format!("conv{out_ch}/{stride}"))
        }
        LayerSpec::Conv2d { out_ch, .. } => Some(format!("conv{out_ch}")),
        LayerSpec::MaxPool2d { .. } => Some("pool".into()),
        // The width after the lookups: `14→emb40→32→1` (4 of the 14 inputs are indices).
        LayerSpec::Embed { dense, ref tables } => Some(format!(
            "emb{}",
            tables.iter().fold(dense, |a, t| a.saturating_add(t.dim))
        )),
        LayerSpec::GlobalAvgPool => Some("avgpool".into()),
        LayerSpec::Act { act } => {
            notes.act = Some(act);
            None
        }
        LayerSpec::Dropout { p } => {
            notes.dropout = Some(p);
            None
        }
        LayerSpec::BatchNorm { .. } => {
            notes.batch_norm = true;
            None
        }
        _ => None,
    }
}

/// `res{width}{/stride}×{blocks}` for a ResNet stage (a Sequential of residual blocks).
fn stage(blocks: &[super::Named]) -> Option<String> {
    let (_, LayerSpec::Residual { body, .. }) = blocks.first()? else {
        return Some(format!("seq{}", blocks.len()));
    };
    let (out_ch, stride) = body.iter().find_map(|(_, l)| match *l {
        LayerSpec::Conv2d { out_ch, stride, .. } => Some((out_ch, stride)),
        _ => None,
    })?;
    let s = if stride > 1 {
        format!("/{stride}")
    } else {
        String::new()
    };
    Some(format!("res{out_ch}{s}×{}", blocks.len()))
}
