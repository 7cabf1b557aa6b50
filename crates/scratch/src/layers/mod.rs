//! The layers of Route 1 (the chapter's `layers.py`): each is a [`Layer`] with a forward pass
//! that keeps its cache (the chapter's `self.cache_X = X`) and a backward pass written next
//! to it that reads that cache and returns `dX`, as in the chapter:
//!
//! ```text
//! forward(X):   cache_X = X;  return f(X)
//! backward(dY): X = cache_X;  dW, db = ...;  return dX
//! ```
//!
//! Every layer sees a batch as a row-major `[batch, features]` matrix ([`Buf`]); image layers
//! read the features as `[C, H, W]` (the layout of `torch.flatten(x, 1)`), so `Flatten` moves
//! no data. A batch is handed from layer to layer *by value*: a layer keeps its input as its
//! cache and writes its output into the storage of the input it cached on the previous step,
//! so a step copies no activation and allocates nothing once the largest batch has been seen.

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
pub use crate::ops::Buf;

/// A parameter tensor and its gradient, borrowed from a layer (row-major, PyTorch layout).
#[derive(Debug)]
pub struct ParamMut<'a, F> {
    /// The values, updated by the optimizer.
    pub value: &'a mut [F],
    /// The gradient of the last backward pass.
    pub grad: &'a [F],
}

/// A parameter tensor and its gradient, read-only.
#[derive(Debug, Clone, Copy)]
pub struct Param<'a, F> {
    /// The values.
    pub value: &'a [F],
    /// The gradient of the last backward pass.
    pub grad: &'a [F],
}

/// How a forward pass runs: training (dropout draws its masks from the stream) or evaluation.
#[derive(Debug)]
pub enum Mode<'a> {
    /// Train mode: dropout is on and draws from this stream.
    Train(&'a mut Rng),
    /// Eval mode: dropout is the identity.
    Eval,
}

/// One layer of the sequential network (the chapter's layer classes; PyTorch's `nn.Module`).
pub trait Layer<F: Float>: std::fmt::Debug + Send {
    /// The forward pass: keeps `x` (or what the backward pass needs of it) as the cache and
    /// returns the output.
    ///
    /// # Shapes
    /// `x`: `[batch, in_features]` → `[batch, out_features]`.
    fn forward(&mut self, x: Buf<F>, mode: Mode<'_>) -> Buf<F>;

    /// The backward pass from `dy = ∂L/∂output`: stores the parameter gradients and returns
    /// `dX = ∂L/∂x`, computed only when `need_dx` (the first layer's would go to the data;
    /// otherwise the returned view is stale).
    ///
    /// # Shapes
    /// `dy`: `[batch, out_features]` → `[batch, in_features]`.
    fn backward<'a>(&'a mut self, dy: ArrayView2<'a, F>, need_dx: bool) -> ArrayView2<'a, F>;

    /// The parameters with their gradients, weight before bias (none by default).
    fn params(&self) -> Vec<Param<'_, F>> {
        Vec::new()
    }
    /// The parameters with their gradients, writable, in the order of [`Layer::params`].
    fn params_mut(&mut self) -> Vec<ParamMut<'_, F>> {
        Vec::new()
    }
    /// The PyTorch shapes of [`Layer::params`] (`[out, in]`, `[out_ch, in_ch, k, k]`, `[out]`).
    fn param_shapes(&self) -> Vec<Vec<usize>> {
        Vec::new()
    }
    /// Marks parameters frozen, in [`Layer::params`] order: backward no longer computes their
    /// gradients (`model.freeze`). A layer without parameters ignores it.
    fn set_frozen(&mut self, _frozen: &[bool]) {}
    /// The multiplier each element got in the last forward pass, for a dropout layer that
    /// applied a mask (parity checks replay it on the torch side); `None` for other layers.
    fn dropout_mask(&self) -> Option<&[F]> {
        None
    }
}

/// Builds the layer of `spec` for inputs of per-example shape `input` (`[features]` or
/// `[C, H, W]`), with zero parameters; returns it with its per-example output shape.
/// A shape that does not fit is an error naming the layer and both shapes.
pub fn build<F: Float>(
    spec: &LayerSpec,
    input: &[usize],
) -> Result<(Box<dyn Layer<F>>, Vec<usize>)> {
    let flat: usize = input.iter().product();
    check_sizes(spec)?;
    Ok(match *spec {
        LayerSpec::Linear { inputs, outputs } => {
            if input.len() != 1 || flat != inputs {
                return Err(mismatch(spec, &format!("[{inputs}]"), input));
            }
            (Box::new(Linear::new(inputs, outputs)), vec![outputs])
        }
        LayerSpec::Act { act } => (Box::new(Activation::new(act)), input.to_vec()),
        LayerSpec::Dropout { p } => (Box::new(Dropout::new(p)), input.to_vec()),
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
            (Box::new(conv), out)
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
            (Box::new(pool), out)
        }
        LayerSpec::Flatten => (Box::new(Flatten), vec![flat]),
    })
}

/// Weight and bias with their gradients as [`Param`]s (the layers with parameters share it).
fn weight_and_bias<'a, F: Float>(
    w: &'a ndarray::Array2<F>,
    b: &'a ndarray::Array1<F>,
    dw: &'a ndarray::Array2<F>,
    db: &'a ndarray::Array1<F>,
) -> Vec<Param<'a, F>> {
    let msg = "owned parameters are contiguous";
    vec![
        Param {
            value: w.as_slice().expect(msg),
            grad: dw.as_slice().expect(msg),
        },
        Param {
            value: b.as_slice().expect(msg),
            grad: db.as_slice().expect(msg),
        },
    ]
}

/// [`weight_and_bias`], writable.
fn weight_and_bias_mut<'a, F: Float>(
    w: &'a mut ndarray::Array2<F>,
    b: &'a mut ndarray::Array1<F>,
    dw: &'a ndarray::Array2<F>,
    db: &'a ndarray::Array1<F>,
) -> Vec<ParamMut<'a, F>> {
    let msg = "owned parameters are contiguous";
    vec![
        ParamMut {
            value: w.as_slice_mut().expect(msg),
            grad: dw.as_slice().expect(msg),
        },
        ParamMut {
            value: b.as_slice_mut().expect(msg),
            grad: db.as_slice().expect(msg),
        },
    ]
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
