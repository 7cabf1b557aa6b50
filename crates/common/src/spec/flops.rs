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

impl ModelSpec {
    /// Multiply-adds of each Linear or Conv2d layer's forward product for one example, with
    /// the layer's index, following the example's shape through the layers.
    pub fn product_macs(&self) -> Vec<(usize, f64)> {
        let mut shape = self.input_shape.clone();
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            match *layer {
                LayerSpec::Linear { inputs, outputs } => {
                    out.push((i, inputs as f64 * outputs as f64));
                    shape = vec![outputs];
                }
                LayerSpec::Conv2d {
                    in_ch,
                    out_ch,
                    kernel,
                    padding,
                } => {
                    let side = |d: usize| (d + 2 * padding + 1).saturating_sub(kernel);
                    let (h, w) = match shape[..] {
                        [_, h, w] => (side(h), side(w)),
                        _ => (0, 0),
                    };
                    let taps = (in_ch * kernel * kernel) as f64;
                    out.push((i, (h * w * out_ch) as f64 * taps));
                    shape = vec![out_ch, h, w];
                }
                LayerSpec::MaxPool2d { k } => {
                    if let [c, h, w] = shape[..] {
                        shape = vec![c, h / k.max(1), w / k.max(1)];
                    }
                }
                LayerSpec::Flatten => shape = vec![shape.iter().product()],
                LayerSpec::Act { .. } | LayerSpec::Dropout { .. } => {}
            }
        }
        out
    }

    /// The values (per example) of every buffer a forward pass may hold at once: the input,
    /// each layer's output and each convolution's unfolded input (`in_ch·k²·out_h·out_w`);
    /// the scratch backend keeps them all for backward. Bounds evaluation chunks.
    pub fn forward_values(&self) -> usize {
        let mut shape = self.input_shape.clone();
        let mut total = shape.iter().product::<usize>();
        for layer in &self.layers {
            let unfolded = match *layer {
                LayerSpec::Conv2d { in_ch, kernel, .. } => self
                    .conv_out(&shape, layer)
                    .map_or(0, |[_, h, w]| in_ch * kernel * kernel * h * w),
                _ => 0,
            };
            shape = match *layer {
                LayerSpec::Linear { outputs, .. } => vec![outputs],
                LayerSpec::Conv2d { .. } => {
                    self.conv_out(&shape, layer).map_or(shape, |s| s.to_vec())
                }
                LayerSpec::MaxPool2d { k } => match shape[..] {
                    [c, h, w] => vec![c, h / k.max(1), w / k.max(1)],
                    _ => shape,
                },
                LayerSpec::Flatten => vec![shape.iter().product()],
                LayerSpec::Act { .. } | LayerSpec::Dropout { .. } => shape,
            };
            total += unfolded + shape.iter().product::<usize>();
        }
        total
    }

    /// `[out_ch, h, w]` of a convolution applied to `shape`.
    fn conv_out(&self, shape: &[usize], layer: &LayerSpec) -> Option<[usize; 3]> {
        let LayerSpec::Conv2d {
            out_ch,
            kernel,
            padding,
            ..
        } = *layer
        else {
            return None;
        };
        let side = |d: usize| (d + 2 * padding + 1).saturating_sub(kernel);
        match shape[..] {
            [_, h, w] => Some([out_ch, side(h), side(w)]),
            _ => None,
        }
    }

    /// FLOPs of one training step per example (the module's formula): forward, weight
    /// gradients of the trainable layers, input gradients where something trainable lies
    /// below.
    pub fn train_flops(&self) -> f64 {
        let trained: Vec<String> = self.trainable().into_iter().map(|p| p.name).collect();
        let mut flops = 0.0;
        let mut trainable_below = false;
        for (i, macs) in self.product_macs() {
            let weight = format!("net.{i}.weight");
            let trainable = trained.contains(&weight);
            let products = 1 + usize::from(trainable) + usize::from(trainable_below);
            flops += 2.0 * macs * products as f64;
            // A trainable bias alone (its weight frozen by name) still needs the gradient
            // of the layer's output, so the layers above it compute their input gradients.
            let layer = format!("net.{i}.");
            trainable_below |= trained.iter().any(|name| name.starts_with(&layer));
        }
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
