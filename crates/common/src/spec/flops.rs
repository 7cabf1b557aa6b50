//! The one definition of a training step's FLOPs, used by every bench of the workspace
//! (`scratch bench`, `torch bench`, `compare bench`) to turn samples/s into GFLOP/s.
//!
//! Per example, each Linear or Conv2d layer does one product of `m` multiply-adds forward
//! (`m = inputs·outputs` for a Linear, `out_h·out_w·out_ch·in_ch·k²` for a convolution), and
//! backward one more for its weight gradient and one more for its input gradient; a
//! multiply-add is 2 FLOPs. What a step does not do is not counted: no input gradient for a
//! layer with nothing trainable before it (the first layer, or the frozen body of a transfer
//! run; a layer whose bias alone trains counts as trainable there), no weight gradient for a
//! frozen weight. Activations, pooling, the loss and the
//! optimizer (O(parameters), not O(parameters × batch)) are left out.
//!
//! ```text
//! train FLOPs per example = Σ_layers 2·m · (1 + [trainable] + [something trainable before it])
//! ```

use super::{LayerSpec, ModelSpec};

/// The per-example output shape of a leaf module for input `shape` (lenient: a spec that does
/// not fit is refused by `validate`, here a mismatch just keeps the shape).
fn leaf_out(layer: &LayerSpec, shape: &[usize]) -> Vec<usize> {
    let side =
        |d: usize, k: usize, pad: usize, s: usize| (d + 2 * pad).saturating_sub(k) / s.max(1) + 1;
    match (layer, shape) {
        (&LayerSpec::Linear { outputs, .. }, _) => vec![outputs],
        (
            &LayerSpec::Conv2d {
                out_ch,
                kernel,
                padding,
                stride,
                ..
            },
            &[_, h, w],
        ) => vec![
            out_ch,
            side(h, kernel, padding, stride),
            side(w, kernel, padding, stride),
        ],
        (&LayerSpec::MaxPool2d { k, stride, padding }, &[c, h, w]) => {
            let s = stride.unwrap_or(k);
            vec![c, side(h, k, padding, s), side(w, k, padding, s)]
        }
        (LayerSpec::GlobalAvgPool, &[c, _, _]) => vec![c],
        (LayerSpec::Flatten, _) => vec![shape.iter().product()],
        (LayerSpec::Embed { dense, tables }, _) => {
            vec![tables.iter().fold(*dense, |a, t| a.saturating_add(t.dim))]
        }
        _ => shape.to_vec(),
    }
}

/// Calls `f(name, leaf, input shape)` for every leaf in forward order, following the
/// example's shape through containers (a residual block's shortcut sees the block's input).
/// Returns the output shape.
fn visit_shaped<'a>(
    name: &str,
    layer: &'a LayerSpec,
    shape: Vec<usize>,
    f: &mut impl FnMut(&str, &'a LayerSpec, &[usize]),
) -> Vec<usize> {
    match layer {
        LayerSpec::Sequential { layers } => layers.iter().fold(shape, |s, (child, l)| {
            visit_shaped(&format!("{name}.{child}"), l, s, f)
        }),
        LayerSpec::Residual {
            body, downsample, ..
        } => {
            let out = body.iter().fold(shape.clone(), |s, (child, l)| {
                visit_shaped(&format!("{name}.{child}"), l, s, f)
            });
            downsample.iter().fold(shape, |s, (child, l)| {
                visit_shaped(&format!("{name}.downsample.{child}"), l, s, f)
            });
            out
        }
        leaf => {
            f(name, leaf, &shape);
            leaf_out(leaf, &shape)
        }
    }
}

impl ModelSpec {
    /// Calls `f(name, leaf, input shape)` for every leaf module in forward order.
    fn visit_leaves_shaped<'a>(&'a self, mut f: impl FnMut(&str, &'a LayerSpec, &[usize])) {
        let mut shape = self.input_shape.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            shape = visit_shaped(&self.layer_name(i), layer, shape, &mut f);
        }
    }

    /// The per-example input shape of each top-level module, in order.
    pub fn layer_inputs(&self) -> Vec<Vec<usize>> {
        let mut shape = self.input_shape.clone();
        let mut out = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            out.push(shape.clone());
            shape = visit_shaped(&self.layer_name(i), layer, shape, &mut |_, _, _| {});
        }
        out
    }

    /// Whether a BatchNorm that trains (not frozen: a frozen one uses its running
    /// statistics) sees one value per channel per example (`BatchNorm1d`, or a 1×1 feature
    /// map such as ResNet-18's last stage on 32×32 images): a batch of one example then has
    /// no variance to normalise by.
    pub fn norm_of_single_values(&self) -> bool {
        let mut any = false;
        self.visit_leaves_shaped(|name, layer, shape| {
            any |= matches!(layer, LayerSpec::BatchNorm { .. })
                && shape.iter().skip(1).product::<usize>() == 1
                && !self.is_frozen_norm(name);
        });
        any
    }

    /// Each convolution's im2col product for one example, in forward order: its name and
    /// `[out_ch, in_ch·k², out_h·out_w]` (the weight `[out_ch, in_ch·k²]` times the unfolded
    /// input `[in_ch·k², out_h·out_w]`).
    pub fn conv_products(&self) -> Vec<(String, [usize; 3])> {
        let mut out = Vec::new();
        self.visit_leaves_shaped(|name, layer, shape| {
            if let LayerSpec::Conv2d { in_ch, kernel, .. } = *layer {
                let o = leaf_out(layer, shape);
                let p = o.iter().skip(1).product();
                out.push((name.to_string(), [o[0], in_ch * kernel * kernel, p]));
            }
        });
        out
    }

    /// Multiply-adds of each Linear or Conv2d layer's forward product for one example, with
    /// the layer's name (`net.0`, `layer1.0.conv2`), in forward order.
    pub fn product_macs(&self) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        self.visit_leaves_shaped(|name, layer, shape| match *layer {
            LayerSpec::Linear { inputs, outputs } => {
                out.push((name.to_string(), inputs as f64 * outputs as f64));
            }
            LayerSpec::Conv2d { in_ch, kernel, .. } => {
                let o = leaf_out(layer, shape);
                let taps = (in_ch * kernel * kernel) as f64;
                out.push((name.to_string(), o.iter().product::<usize>() as f64 * taps));
            }
            _ => {}
        });
        out
    }

    /// The values (per example) of every buffer a forward pass may hold at once: the input,
    /// each layer's output and each convolution's unfolded input (`in_ch·k²·out_h·out_w`);
    /// the scratch backend keeps them all for backward. Bounds evaluation chunks.
    pub fn forward_values(&self) -> usize {
        let mut total = self.input_shape.iter().product::<usize>();
        self.visit_leaves_shaped(|_, layer, shape| {
            let out = leaf_out(layer, shape);
            let size = out.iter().product::<usize>();
            total += match *layer {
                LayerSpec::Conv2d { in_ch, kernel, .. } => {
                    size / out[0].max(1) * in_ch * kernel * kernel + size
                }
                // A BatchNorm keeps x̂ beside its output.
                LayerSpec::BatchNorm { .. } => 2 * size,
                _ => size,
            };
        });
        // A residual block's copy of its input for the shortcut is smaller than the unfolded
        // input of its first convolution, which is counted: the bound stays within 2×.
        total
    }

    /// FLOPs of one training step per example (the module's formula): forward, weight
    /// gradients of the trainable layers, input gradients where something trainable lies
    /// below.
    pub fn train_flops(&self) -> f64 {
        let trained: Vec<String> = self.trainable().into_iter().map(|p| p.name).collect();
        let macs = self.product_macs();
        let mut flops = 0.0;
        let mut trainable_below = false;
        self.visit_leaves_shaped(|name, _, _| {
            if let Some((_, m)) = macs.iter().find(|(n, _)| n == name) {
                let trainable = trained.contains(&format!("{name}.weight"));
                let products = 1 + usize::from(trainable) + usize::from(trainable_below);
                flops += 2.0 * m * products as f64;
            }
            // A trainable bias alone (its weight frozen by name) still needs the gradient
            // of the layer's output, so the layers above it compute their input gradients.
            let layer = format!("{name}.");
            trainable_below |= trained.iter().any(|n| n.starts_with(&layer));
        });
        flops
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::spec::ModelSpec;

    fn mlp(hidden: Vec<usize>, features: usize) -> ModelSpec {
        let mut cfg = Config::default();
        cfg.model.hidden = hidden;
        ModelSpec::from_config(&cfg, features, None, 2).expect("spec")
    }

    #[test]
    fn the_first_layer_has_no_input_gradient() {
        // 784→512→1: forward and weight gradient on the first layer, all three on the second.
        let spec = mlp(vec![512], 784);
        let want = 2.0 * (784.0 * 512.0) * 2.0 + 2.0 * 512.0 * 3.0;
        assert_eq!(spec.train_flops(), want);
    }

    #[test]
    fn frozen_layers_skip_their_weight_gradient_and_the_input_gradient_below() {
        let mut spec = mlp(vec![8, 8], 4);
        let all = spec.train_flops();
        spec.freeze = vec!["net.0".into()];
        // net.0 (4×8) loses its weight gradient; net.2 (8×8) then has nothing trainable
        // below, so it loses its input gradient.
        assert_eq!(spec.train_flops(), all - 2.0 * 32.0 - 2.0 * 64.0);
        // Its bias alone trained: no weight gradient, but net.2 computes its input gradient.
        spec.freeze = vec!["net.0.weight".into()];
        assert_eq!(spec.train_flops(), all - 2.0 * 32.0);
    }

    #[test]
    fn convolutions_follow_the_image_through_padding_and_pooling() {
        let cfg = Config::load(
            std::path::Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../configs/digits_cnn.toml"
            )),
            &[],
        )
        .expect("digits_cnn.toml");
        let spec = ModelSpec::from_config(&cfg, 64, Some([1, 8, 8]), 10).expect("spec");
        let macs = spec.product_macs();
        // The first convolution keeps 8×8 (padding 1, kernel 3) from 1 channel to 32; the
        // second sees the pooled 4×4 with 32 channels; the first Linear the flattened 2×2×64.
        assert_eq!(macs[0].1, 8.0 * 8.0 * 32.0 * 9.0, "{}", spec.describe());
        assert_eq!(
            macs[1].1,
            4.0 * 4.0 * 64.0 * 32.0 * 9.0,
            "{}",
            spec.describe()
        );
        assert_eq!(macs[2].1, 256.0 * 128.0, "{}", spec.describe());
        assert!(spec.train_flops() > 0.0);
    }
}
