//! Walking the module tree with prefixes: every leaf module's name, and from it every tensor's
//! `state_dict` name, shape and role (a trained parameter, or a buffer such as `running_mean`
//! and the int64 `num_batches_tracked`), in PyTorch's order (a module's children in order; a
//! residual block's main branch before its `downsample`).

use super::{LayerSpec, ModelSpec, ParamInfo};

/// What a parameter is to its layer, which decides how it is initialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamRole {
    /// A Linear or convolution weight.
    Weight,
    /// A Linear or convolution bias.
    Bias,
    /// A BatchNorm's scale γ (`weight`, initialised to ones).
    NormWeight,
    /// A BatchNorm's shift β (`bias`, initialised to zeros).
    NormBias,
    /// An embedding table (`nn.Embedding`'s `weight`: N(0, 1), row 0 zeros).
    Embedding,
}

/// One buffer of the spec: state that is saved and loaded but not trained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferInfo {
    /// `state_dict` name, e.g. `bn1.running_var`.
    pub name: String,
    /// Shape (`[C]`, or `[]` for `num_batches_tracked`).
    pub shape: Vec<usize>,
    /// True for the int64 `num_batches_tracked`, false for a float statistic.
    pub count: bool,
    /// Index of the owning top-level module in [`ModelSpec::layers`].
    pub layer: usize,
}

/// The buffer names of a BatchNorm, in `state_dict` order.
pub const BN_BUFFERS: [&str; 3] = ["running_mean", "running_var", "num_batches_tracked"];

impl ModelSpec {
    /// Calls `f(name, leaf, top)` for every leaf module (not a container), depth first in
    /// forward order, with its dotted name and the index of its top-level module.
    pub fn visit_leaves<'a>(&'a self, mut f: impl FnMut(&str, &'a LayerSpec, usize)) {
        for (i, layer) in self.layers.iter().enumerate() {
            walk(&self.layer_name(i), layer, i, &mut f);
        }
    }

    /// Every parameter tensor, in `state_dict` order (weight before bias, module by module).
    pub fn params(&self) -> Vec<ParamInfo> {
        let mut out = Vec::new();
        self.visit_leaves(|name, layer, top| {
            let info = |suffix: &str, shape: Vec<usize>, fans: (usize, usize), role| ParamInfo {
                name: format!("{name}.{suffix}"),
                shape,
                fan_in: fans.0,
                fan_out: fans.1,
                layer: top,
                is_weight: matches!(
                    role,
                    ParamRole::Weight | ParamRole::NormWeight | ParamRole::Embedding
                ),
                role,
            };
            match *layer {
                LayerSpec::Linear { inputs, outputs } => {
                    let fans = (inputs, outputs);
                    out.push(info(
                        "weight",
                        vec![outputs, inputs],
                        fans,
                        ParamRole::Weight,
                    ));
                    out.push(info("bias", vec![outputs], fans, ParamRole::Bias));
                }
                LayerSpec::Conv2d {
                    in_ch,
                    out_ch,
                    kernel,
                    bias,
                    ..
                } => {
                    // Saturating: a hostile spec must not overflow here (`validate` rejects it).
                    let kk = kernel.saturating_mul(kernel);
                    let fans = (in_ch.saturating_mul(kk), out_ch.saturating_mul(kk));
                    let w = vec![out_ch, in_ch, kernel, kernel];
                    out.push(info("weight", w, fans, ParamRole::Weight));
                    if bias {
                        out.push(info("bias", vec![out_ch], fans, ParamRole::Bias));
                    }
                }
                LayerSpec::Embed { ref tables, .. } => {
                    for t in tables {
                        out.push(ParamInfo {
                            name: format!("{name}.{}.weight", t.key),
                            shape: vec![t.rows, t.dim],
                            fan_in: t.rows,
                            fan_out: t.dim,
                            layer: top,
                            is_weight: true,
                            role: ParamRole::Embedding,
                        });
                    }
                }
                LayerSpec::BatchNorm { features } => {
                    let fans = (features, features);
                    out.push(info("weight", vec![features], fans, ParamRole::NormWeight));
                    out.push(info("bias", vec![features], fans, ParamRole::NormBias));
                }
                _ => {}
            }
        });
        out
    }

    /// Every buffer (the BatchNorms' running statistics and batch counts), in `state_dict`
    /// order.
    pub fn buffers(&self) -> Vec<BufferInfo> {
        let mut out = Vec::new();
        self.visit_leaves(|name, layer, top| {
            if let LayerSpec::BatchNorm { features } = *layer {
                for b in BN_BUFFERS {
                    let count = b == "num_batches_tracked";
                    out.push(BufferInfo {
                        name: format!("{name}.{b}"),
                        shape: if count { vec![] } else { vec![features] },
                        count,
                        layer: top,
                    });
                }
            }
        });
        out
    }

    /// Every tensor of the model's state, parameters then buffers, with its shape: what a
    /// checkpoint holds of the model.
    pub fn state(&self) -> Vec<(String, Vec<usize>)> {
        let params = self.params().into_iter().map(|p| (p.name, p.shape));
        params
            .chain(self.buffers().into_iter().map(|b| (b.name, b.shape)))
            .collect()
    }

    /// Whether a tensor named `name` in a weights file is in the model's namespace, so that
    /// one the model lacks is an error rather than ignored: `net.*` for an MLP or CNN (one
    /// `nn.Sequential` named `net`), every name but the optimizer's `optim.*` for a named tree
    /// (a torchvision `state_dict` has nothing else).
    pub fn claims(&self, name: &str) -> bool {
        if self.names.is_empty() {
            // `emb.*` too when the model has no tables: a file's stray table is then an
            // error, not silently dropped.
            name.starts_with("net.") || name.starts_with("emb.")
        } else {
            !name.starts_with("optim.")
        }
    }

    /// Where a frozen backbone ends, when the top-level modules before the first one with a
    /// trained parameter compute a fixed function in training: `(k, the input shape of
    /// module k)`. They are frozen (BatchNorms included: they use their running statistics)
    /// and hold no dropout, so their output for an example is the same in every epoch and
    /// can be computed once (as tch's transfer-learning example precomputes a ResNet's
    /// features); `None` when the first module trains or a dropout lies below it.
    pub fn frozen_backbone(&self) -> Option<(usize, Vec<usize>)> {
        let frozen = |i: &usize| {
            let mut all = true;
            walk(
                &self.layer_name(*i),
                &self.layers[*i],
                *i,
                &mut |name, l, _| {
                    all &= match l {
                        LayerSpec::Dropout { p } => *p == 0.0,
                        LayerSpec::Linear { .. } | LayerSpec::BatchNorm { .. } => {
                            self.is_frozen(&format!("{name}.weight"))
                                && self.is_frozen(&format!("{name}.bias"))
                        }
                        LayerSpec::Embed { tables, .. } => tables
                            .iter()
                            .all(|t| self.is_frozen(&format!("{name}.{}.weight", t.key))),
                        &LayerSpec::Conv2d { bias, .. } => {
                            self.is_frozen(&format!("{name}.weight"))
                                && (!bias || self.is_frozen(&format!("{name}.bias")))
                        }
                        _ => true,
                    };
                },
            );
            all
        };
        let k = (0..self.layers.len()).find(|i| !frozen(i))?;
        (k > 0).then(|| (k, self.layer_inputs().swap_remove(k)))
    }

    /// Whether the model holds a BatchNorm (its buffers are then part of the model's state).
    pub fn has_buffers(&self) -> bool {
        let mut any = false;
        self.visit_leaves(|_, l, _| any |= matches!(l, LayerSpec::BatchNorm { .. }));
        any
    }

    /// Whether a BatchNorm named `prefix` is frozen: its weight and bias are both frozen.
    /// A frozen BatchNorm normalises with its running statistics in train mode too and never
    /// updates them (the rule of `model.freeze`).
    pub fn is_frozen_norm(&self, prefix: &str) -> bool {
        self.is_frozen(&format!("{prefix}.weight")) && self.is_frozen(&format!("{prefix}.bias"))
    }
}

fn walk<'a>(
    name: &str,
    layer: &'a LayerSpec,
    top: usize,
    f: &mut impl FnMut(&str, &'a LayerSpec, usize),
) {
    match layer {
        LayerSpec::Sequential { layers } => {
            for (child, l) in layers {
                walk(&format!("{name}.{child}"), l, top, f);
            }
        }
        LayerSpec::Residual {
            body, downsample, ..
        } => {
            for (child, l) in body {
                walk(&format!("{name}.{child}"), l, top, f);
            }
            for (child, l) in downsample {
                walk(&format!("{name}.downsample.{child}"), l, top, f);
            }
        }
        leaf => f(name, leaf, top),
    }
}
