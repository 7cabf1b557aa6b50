//! [`Layer`]: what every layer of Route 1 is (the chapter's layer classes; PyTorch's
//! `nn.Module`): a forward pass that keeps its cache, a backward pass that reads it and returns
//! `dX`, and its parameters with their gradients.

use common::seed::Rng;
use ndarray::ArrayView2;

use crate::float::Float;
use crate::ops::Buf;

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

/// Weight and bias with their gradients as [`Param`]s (the layers with parameters share it).
pub(super) fn weight_and_bias<'a, F: Float>(
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
pub(super) fn weight_and_bias_mut<'a, F: Float>(
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
