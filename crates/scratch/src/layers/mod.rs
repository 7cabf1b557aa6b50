//! The layers of Route 1 (the chapter's `layers.py`), each with its explicit cache and its
//! backward pass written next to its forward pass.
//!
//! Every layer sees a batch as a row-major `[batch, features]` matrix; image layers read the
//! features as `[C, H, W]` (the layout of `torch.flatten(x, 1)`), so `Flatten` moves no data.
//! A layer owns the buffers of its output and of its input gradient and reuses them from step
//! to step. The chapter caches `X` inside `Linear`; here the model keeps every layer's output,
//! so the cache of a layer's input *is* the previous layer's output buffer, handed back to
//! `backward` instead of copied.

mod activation;
mod conv;
mod dropout;
mod linear;
mod pool;

pub use activation::{sigmoid, Activation};
pub use conv::Conv2d;
pub use dropout::Dropout;
pub use linear::Linear;
pub use pool::{Flatten, MaxPool2d};

use common::seed::Rng;
use common::spec::LayerSpec;
use common::{Error, Result};
use ndarray::ArrayView2;

use crate::float::Float;

/// A parameter tensor and its gradient, borrowed from a layer (row-major, PyTorch layout).
#[derive(Debug)]
pub struct ParamMut<'a, F> {
    /// The values, updated by the optimizer.
    pub value: &'a mut [F],
    /// The gradient of the last backward pass.
    pub grad: &'a [F],
}

/// One layer of the sequential network.
#[derive(Debug, Clone)]
pub enum Layer<F: Float> {
    /// `y = x·Wᵀ + b`.
    Linear(Linear<F>),
    /// ReLU, Tanh or Sigmoid.
    Act(Activation<F>),
    /// Inverted dropout.
    Dropout(Dropout<F>),
    /// 3×3-style convolution, stride 1, zero padding.
    Conv2d(Conv2d<F>),
    /// Non-overlapping max pooling.
    MaxPool2d(MaxPool2d<F>),
    /// `[N, C, H, W]` → `[N, C·H·W]`.
    Flatten(Flatten<F>),
}

impl<F: Float> Layer<F> {
    /// Builds the layer of `spec` for inputs of per-example shape `input` (`[features]` or
    /// `[C, H, W]`), with zero parameters; returns it with its per-example output shape.
    /// A shape that does not fit is an error naming the layer and both shapes.
    pub fn new(spec: &LayerSpec, input: &[usize]) -> Result<(Self, Vec<usize>)> {
        let flat: usize = input.iter().product();
        check_sizes(spec)?;
        Ok(match *spec {
            LayerSpec::Linear { inputs, outputs } => {
                if input.len() != 1 || flat != inputs {
                    return Err(mismatch(spec, &format!("[{inputs}]"), input));
                }
                (Layer::Linear(Linear::new(inputs, outputs)), vec![outputs])
            }
            LayerSpec::Act { act } => (Layer::Act(Activation::new(act)), input.to_vec()),
            LayerSpec::Dropout { p } => (Layer::Dropout(Dropout::new(p)), input.to_vec()),
            LayerSpec::Conv2d {
                in_ch,
                out_ch,
                kernel,
                padding,
            } => {
                let ok = input.len() == 3 && input[0] == in_ch && input[1] + 2 * padding >= kernel;
                if !ok || input[2] + 2 * padding < kernel || kernel == 0 {
                    let want = format!(
                        "[{in_ch}, H, W] with H, W ≥ {}",
                        kernel.saturating_sub(2 * padding).max(1)
                    );
                    return Err(mismatch(spec, &want, input));
                }
                let conv = Conv2d::new(in_ch, out_ch, kernel, padding, [input[1], input[2]]);
                let out = conv.output_shape().to_vec();
                (Layer::Conv2d(conv), out)
            }
            LayerSpec::MaxPool2d { k } => {
                if input.len() != 3 || k == 0 || input[1] < k || input[2] < k {
                    return Err(mismatch(
                        spec,
                        &format!("[C, H, W] with H, W ≥ {}", k.max(1)),
                        input,
                    ));
                }
                let pool = MaxPool2d::new(k, [input[0], input[1], input[2]]);
                let out = pool.output_shape().to_vec();
                (Layer::MaxPool2d(pool), out)
            }
            LayerSpec::Flatten => (Layer::Flatten(Flatten::new()), vec![flat]),
        })
    }

    /// Forward pass on a batch; dropout draws its mask from `rng` in train mode.
    ///
    /// # Shapes
    /// `x`: `[batch, in_features]` → [`Layer::output`] `[batch, out_features]`.
    pub fn forward(&mut self, x: ArrayView2<'_, F>, train: bool, rng: &mut Rng) {
        match self {
            Layer::Linear(l) => {
                l.forward(x);
            }
            Layer::Act(l) => {
                l.forward(x);
            }
            Layer::Dropout(l) => {
                l.forward(x, train, rng);
            }
            Layer::Conv2d(l) => {
                l.forward(x);
            }
            Layer::MaxPool2d(l) => {
                l.forward(x);
            }
            Layer::Flatten(l) => {
                l.forward(x);
            }
        }
    }

    /// Backward pass: parameter gradients, and the input gradient when `need_dx` (the first
    /// layer skips it: nothing upstream wants it). `x` is the input of the last forward pass.
    ///
    /// # Shapes
    /// `x`: `[batch, in_features]`, `dy`: `[batch, out_features]` → [`Layer::grad_input`].
    pub fn backward(&mut self, x: ArrayView2<'_, F>, dy: ArrayView2<'_, F>, need_dx: bool) {
        match self {
            Layer::Linear(l) => l.backward(x, dy, need_dx),
            Layer::Act(l) => l.backward(dy),
            Layer::Dropout(l) => l.backward(dy),
            Layer::Conv2d(l) => l.backward(x, dy, need_dx),
            Layer::MaxPool2d(l) => l.backward(dy),
            Layer::Flatten(l) => l.backward(dy),
        }
    }

    /// The output of the last forward pass.
    ///
    /// # Shapes
    /// `[batch, out_features]`.
    pub fn output(&self) -> ArrayView2<'_, F> {
        match self {
            Layer::Linear(l) => l.output(),
            Layer::Act(l) => l.output(),
            Layer::Dropout(l) => l.output(),
            Layer::Conv2d(l) => l.output(),
            Layer::MaxPool2d(l) => l.output(),
            Layer::Flatten(l) => l.output(),
        }
    }

    /// The input gradient of the last backward pass (stale when it was skipped).
    ///
    /// # Shapes
    /// `[batch, in_features]`.
    pub fn grad_input(&self) -> ArrayView2<'_, F> {
        match self {
            Layer::Linear(l) => l.grad_input(),
            Layer::Act(l) => l.grad_input(),
            Layer::Dropout(l) => l.grad_input(),
            Layer::Conv2d(l) => l.grad_input(),
            Layer::MaxPool2d(l) => l.grad_input(),
            Layer::Flatten(l) => l.grad_input(),
        }
    }

    /// Weight then bias with their gradients, or `None` for a layer without parameters.
    pub fn params_mut(&mut self) -> Option<[ParamMut<'_, F>; 2]> {
        let (w, b, dw, db) = match self {
            Layer::Linear(l) => (&mut l.weight, &mut l.bias, &l.dweight, &l.dbias),
            Layer::Conv2d(l) => (&mut l.weight, &mut l.bias, &l.dweight, &l.dbias),
            _ => return None,
        };
        let msg = "owned parameters are contiguous";
        Some([
            ParamMut {
                value: w.as_slice_mut().expect(msg),
                grad: dw.as_slice().expect(msg),
            },
            ParamMut {
                value: b.as_slice_mut().expect(msg),
                grad: db.as_slice().expect(msg),
            },
        ])
    }

    /// Weight then bias as `(value, gradient)`, or `None` for a layer without parameters.
    pub fn params(&self) -> Option<[(&[F], &[F]); 2]> {
        let (w, b, dw, db) = match self {
            Layer::Linear(l) => (&l.weight, &l.bias, &l.dweight, &l.dbias),
            Layer::Conv2d(l) => (&l.weight, &l.bias, &l.dweight, &l.dbias),
            _ => return None,
        };
        let msg = "owned parameters are contiguous";
        Some([
            (w.as_slice().expect(msg), dw.as_slice().expect(msg)),
            (b.as_slice().expect(msg), db.as_slice().expect(msg)),
        ])
    }

    /// PyTorch shapes of weight and bias (`[out, in]`, `[out_ch, in_ch, k, k]`, `[out]`).
    pub fn param_shapes(&self) -> Option<[Vec<usize>; 2]> {
        match self {
            Layer::Linear(l) => Some([vec![l.outputs(), l.inputs()], vec![l.outputs()]]),
            Layer::Conv2d(l) => {
                let [o, c, k] = [l.out_ch(), l.in_ch(), l.kernel()];
                Some([vec![o, c, k, k], vec![o]])
            }
            _ => None,
        }
    }
}

/// Rejects layers with an empty dimension or an impossible dropout rate.
fn check_sizes(spec: &LayerSpec) -> Result<()> {
    let ok = match *spec {
        LayerSpec::Linear { inputs, outputs } => inputs > 0 && outputs > 0,
        LayerSpec::Conv2d {
            in_ch,
            out_ch,
            kernel,
            ..
        } => in_ch > 0 && out_ch > 0 && kernel > 0,
        LayerSpec::MaxPool2d { k } => k > 0,
        LayerSpec::Dropout { p } => (0.0..1.0).contains(&p),
        LayerSpec::Act { .. } | LayerSpec::Flatten => true,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Shape(format!(
            "layer {spec:?} has an empty dimension or a dropout p outside [0, 1)"
        )))
    }
}

fn mismatch(spec: &LayerSpec, want: &str, got: &[usize]) -> Error {
    Error::Shape(format!(
        "layer {spec:?} expects per-example input {want}, got {got:?}"
    ))
}
