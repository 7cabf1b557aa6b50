//! Checking a model spec that may not come from [`ModelSpec::from_config`]: the one in a
//! checkpoint's metadata can be damaged or hostile. Every size is computed with checked
//! arithmetic, so that no layer list, however absurd, overflows, divides by zero or asks a
//! backend for terabytes: it is an error naming the layer.

use super::{Head, LayerSpec, ModelSpec};
use crate::{Error, Result};

/// Most scalar parameters a model may have: 100 million, i.e. 400 MB of f32 weights (training
/// holds about four times that: weights, gradients and Adam's two moments).
pub const MAX_PARAMS: usize = 100_000_000;
/// Most activations one example may produce, summed over the layers: 10 million, i.e. 40 MB
/// per example in f32 (a backend holds `batch_size` times that during a step).
pub const MAX_ACTIVATIONS: usize = 10_000_000;

/// The per-example shape flowing between layers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flow {
    Flat(usize),
    Image(usize, usize, usize),
}

impl Flow {
    fn size(self) -> Option<usize> {
        match self {
            Flow::Flat(n) => Some(n),
            Flow::Image(c, h, w) => c.checked_mul(h)?.checked_mul(w),
        }
    }
}

fn bad(i: usize, layer: &LayerSpec, msg: impl std::fmt::Display) -> Error {
    Error::Shape(format!("layer {i} ({}): {msg}", short(layer)))
}

/// A layer for an error message: a container by its kind only (its children can be many).
fn short(layer: &LayerSpec) -> String {
    match layer {
        LayerSpec::Sequential { layers } => format!("Sequential of {}", layers.len()),
        LayerSpec::Residual { .. } => "Residual".into(),
        LayerSpec::Embed { tables, .. } => format!("Embed of {} tables", tables.len()),
        other => format!("{other:?}"),
    }
}

/// What a module does to one example: its output, the parameters it adds and the activations
/// it produces (every output inside it included).
struct Out {
    flow: Flow,
    params: usize,
    acts: usize,
}

/// `(d + 2·pad − k) / stride + 1`, or `None` when the window does not fit or overflows.
fn side(d: usize, k: usize, pad: usize, stride: usize) -> Option<usize> {
    let padded = pad.checked_mul(2)?.checked_add(d)?;
    Some(padded.checked_sub(k)? / stride.max(1) + 1)
}

/// The output of `layer` (top-level index `i`, for messages) for input `x`.
fn step(i: usize, layer: &LayerSpec, x: Flow) -> Result<Out> {
    let overflow = || bad(i, layer, "its size overflows");
    let leaf = |flow: Flow, params: usize| -> Result<Out> {
        let acts = flow.size().ok_or_else(overflow)?;
        Ok(Out { flow, params, acts })
    };
    match (layer, x) {
        (&LayerSpec::Linear { inputs, outputs }, Flow::Flat(n)) if n == inputs && outputs > 0 => {
            let w = inputs.checked_mul(outputs).ok_or_else(overflow)?;
            leaf(
                Flow::Flat(outputs),
                w.checked_add(outputs).ok_or_else(overflow)?,
            )
        }
        (LayerSpec::Embed { dense, tables }, Flow::Flat(n)) => {
            let Some(width) = super::embed::embed_width(*dense, tables, n) else {
                let msg = format!("does not fit its input {x:?} (or a table is empty)");
                return Err(bad(i, layer, msg));
            };
            let params = super::embed::embed_params(tables).ok_or_else(overflow)?;
            leaf(Flow::Flat(width), params)
        }
        (LayerSpec::Act { .. }, x) => leaf(x, 0),
        (&LayerSpec::Dropout { p }, x) if (0.0..1.0).contains(&p) => leaf(x, 0),
        (
            &LayerSpec::Conv2d {
                in_ch,
                out_ch,
                kernel,
                padding,
                stride,
                bias,
            },
            Flow::Image(c, h, w),
        ) if c == in_ch && out_ch > 0 && kernel > 0 && stride > 0 => {
            let (Some(oh), Some(ow)) = (
                side(h, kernel, padding, stride),
                side(w, kernel, padding, stride),
            ) else {
                let msg = format!("a {h}×{w} image is smaller than the kernel");
                return Err(bad(i, layer, msg));
            };
            let per_out = in_ch
                .checked_mul(kernel)
                .and_then(|v| v.checked_mul(kernel));
            let weights = per_out
                .and_then(|v| v.checked_mul(out_ch))
                .ok_or_else(overflow)?;
            let b = if bias { out_ch } else { 0 };
            leaf(
                Flow::Image(out_ch, oh, ow),
                weights.checked_add(b).ok_or_else(overflow)?,
            )
        }
        (&LayerSpec::MaxPool2d { k, stride, padding }, Flow::Image(c, h, w))
            if k > 0 && stride != Some(0) && padding <= k / 2 =>
        {
            let s = stride.unwrap_or(k);
            match (side(h, k, padding, s), side(w, k, padding, s)) {
                (Some(oh), Some(ow)) => leaf(Flow::Image(c, oh, ow), 0),
                _ => Err(bad(i, layer, format!("does not fit its input {x:?}"))),
            }
        }
        (LayerSpec::Flatten, x) => leaf(Flow::Flat(x.size().ok_or_else(overflow)?), 0),
        (&LayerSpec::BatchNorm { features }, Flow::Flat(n) | Flow::Image(n, _, _))
            if n == features && features > 0 =>
        {
            leaf(x, features.checked_mul(2).ok_or_else(overflow)?)
        }
        (LayerSpec::GlobalAvgPool, Flow::Image(c, h, w)) if h > 0 && w > 0 => {
            leaf(Flow::Flat(c), 0)
        }
        (LayerSpec::Sequential { layers }, x) => chain(i, layers, x),
        (
            LayerSpec::Residual {
                body, downsample, ..
            },
            x,
        ) => {
            let main = chain(i, body, x)?;
            let short = chain(i, downsample, x)?;
            if main.flow != short.flow {
                let msg = format!(
                    "its main branch gives {:?} but its shortcut {:?}",
                    main.flow, short.flow
                );
                return Err(bad(i, layer, msg));
            }
            let out = main.flow.size().ok_or_else(overflow)?;
            Ok(Out {
                flow: main.flow,
                params: main.params.saturating_add(short.params),
                acts: main.acts.saturating_add(short.acts).saturating_add(out),
            })
        }
        (_, x) => Err(bad(i, layer, format!("does not fit its input {x:?}"))),
    }
}

/// The modules of a container in order (an empty one is the identity).
fn chain(i: usize, layers: &[super::Named], x: Flow) -> Result<Out> {
    let mut out = Out {
        flow: x,
        params: 0,
        acts: 0,
    };
    for (_, layer) in layers {
        let next = step(i, layer, out.flow)?;
        out = Out {
            flow: next.flow,
            params: out.params.saturating_add(next.params),
            acts: out.acts.saturating_add(next.acts),
        };
    }
    Ok(out)
}

impl ModelSpec {
    /// Checks that the layers fit together (each layer's input is the previous one's output,
    /// starting from `input_shape`), that every size is ≥ 1 and every dropout in [0, 1), that
    /// the last layer is a Linear producing the head's logits, and that the model stays within
    /// [`MAX_PARAMS`] parameters and [`MAX_ACTIVATIONS`] activations per example. The error
    /// names the first layer at fault.
    pub fn validate(&self) -> Result<()> {
        self.check_names()?;
        let mut x = match self.input_shape[..] {
            [n] if n > 0 => Flow::Flat(n),
            [c, h, w] if c > 0 && h > 0 && w > 0 => Flow::Image(c, h, w),
            _ => {
                let msg = format!(
                    "input shape {:?} is neither [features] nor [C, H, W] of sizes ≥ 1",
                    self.input_shape
                );
                return Err(Error::Shape(msg));
            }
        };
        let (mut params, mut acts) = (0usize, 0usize);
        for (i, layer) in self.layers.iter().enumerate() {
            let out = step(i, layer, x)?;
            x = out.flow;
            params = params.saturating_add(out.params);
            acts = acts.saturating_add(out.acts);
        }
        if let Head::Softmax { classes } = self.head {
            if classes < 2 {
                return Err(Error::Shape(format!(
                    "a softmax head needs ≥ 2 classes, not {classes}"
                )));
            }
        }
        let last_linear = matches!(self.layers.last(), Some(LayerSpec::Linear { .. }));
        if !last_linear || x != Flow::Flat(self.n_outputs()) {
            let msg = format!(
                "the last layer must be a Linear giving {} logits, the layers end in {x:?}",
                self.n_outputs()
            );
            return Err(Error::Shape(msg));
        }
        if params > MAX_PARAMS {
            return Err(Error::Shape(format!(
                "{params} parameters exceed the limit of {MAX_PARAMS}"
            )));
        }
        if acts > MAX_ACTIVATIONS {
            let msg =
                format!("{acts} activations per example exceed the limit of {MAX_ACTIVATIONS}");
            return Err(Error::Shape(msg));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Activation;

    fn mlp(layers: Vec<LayerSpec>) -> ModelSpec {
        ModelSpec {
            input_shape: vec![2],
            layers,
            names: Vec::new(),
            head: Head::Bce,
            freeze: Vec::new(),
        }
    }

    fn err(spec: &ModelSpec) -> String {
        spec.validate().expect_err("should be refused").to_string()
    }

    #[test]
    fn hostile_layer_lists_are_named_errors() {
        let lin = |inputs, outputs| LayerSpec::Linear { inputs, outputs };
        assert!(mlp(vec![
            lin(2, 4),
            LayerSpec::Act {
                act: Activation::Relu
            },
            lin(4, 1)
        ])
        .validate()
        .is_ok());
        assert!(err(&mlp(vec![lin(3, 1)])).contains("layer 0"));
        assert!(err(&mlp(vec![lin(2, usize::MAX)])).contains("overflows"));
        assert!(err(&mlp(vec![lin(2, 3)])).contains("1 logits"));
        assert!(err(&mlp(vec![])).contains("last layer"));
        assert!(err(&mlp(vec![
            lin(2, 100_000),
            lin(100_000, 2_000),
            lin(2_000, 1)
        ]))
        .contains("limit"));
        assert!(err(&mlp(vec![LayerSpec::Dropout { p: 1.5 }, lin(2, 1)])).contains("layer 0"));
        assert!(err(&mlp(vec![
            LayerSpec::MaxPool2d {
                k: 0,
                stride: None,
                padding: 0
            },
            lin(2, 1)
        ]))
        .contains("layer 0"));
    }

    #[test]
    fn module_names_that_would_collide_are_refused() {
        let lin = |inputs, outputs| LayerSpec::Linear { inputs, outputs };
        let named = |names: &[&str], layers| ModelSpec {
            names: names.iter().map(|s| s.to_string()).collect(),
            ..mlp(layers)
        };
        assert!(named(&["a", "b"], vec![lin(2, 4), lin(4, 1)])
            .validate()
            .is_ok());
        assert!(err(&named(&["a", "a"], vec![lin(2, 4), lin(4, 1)])).contains("repeats"));
        assert!(err(&named(&["a.b", "c"], vec![lin(2, 4), lin(4, 1)])).contains("dot"));
        assert!(err(&named(&["a"], vec![lin(2, 4), lin(4, 1)])).contains("1 module names for 2"));
        let seq = LayerSpec::Sequential {
            layers: vec![("0".into(), lin(2, 2)), ("0".into(), lin(2, 2))],
        };
        assert!(err(&mlp(vec![seq, lin(2, 1)])).contains("layer 0"));
        // A BatchNorm of 2⁶³ features: its parameter count overflows, an error.
        let huge = 1usize << 63;
        let bn = ModelSpec {
            input_shape: vec![huge],
            ..mlp(vec![LayerSpec::BatchNorm { features: huge }, lin(huge, 1)])
        };
        assert!(err(&bn).contains("overflows"));
    }

    #[test]
    fn hostile_convolutions_are_named_errors() {
        let img = |layers, shape: Vec<usize>| ModelSpec {
            input_shape: shape,
            layers,
            names: Vec::new(),
            head: Head::Softmax { classes: 10 },
            freeze: Vec::new(),
        };
        let conv = |in_ch, kernel, padding| LayerSpec::Conv2d {
            in_ch,
            out_ch: 4,
            kernel,
            padding,
            stride: 1,
            bias: true,
        };
        let tail = |flat| {
            vec![
                LayerSpec::Flatten,
                LayerSpec::Linear {
                    inputs: flat,
                    outputs: 10,
                },
            ]
        };
        let ok = [
            vec![
                conv(1, 3, 1),
                LayerSpec::MaxPool2d {
                    k: 2,
                    stride: None,
                    padding: 0,
                },
            ],
            tail(4 * 4 * 4),
        ]
        .concat();
        assert!(img(ok, vec![1, 8, 8]).validate().is_ok());
        let huge = [vec![conv(usize::MAX / 2, 3, 0)], tail(1)].concat();
        assert!(err(&img(huge, vec![usize::MAX / 2, 3, 3])).contains("overflows"));
        let wide = [vec![conv(1, 3, usize::MAX)], tail(1)].concat();
        assert!(err(&img(wide, vec![1, 8, 8])).contains("smaller than the kernel"));
        let pool = [
            vec![LayerSpec::MaxPool2d {
                k: 9,
                stride: None,
                padding: 0,
            }],
            tail(1),
        ]
        .concat();
        assert!(err(&img(pool, vec![1, 8, 8])).contains("does not fit"));
        assert!(err(&img(tail(usize::MAX), vec![usize::MAX, usize::MAX, 2])).contains("overflows"));
        assert!(err(&img(tail(64), vec![0, 8, 8])).contains("input shape"));
    }
}
