//! [`Layer`]: what every layer of Route 1 is (the chapter's layer classes; PyTorch's
//! `nn.Module`): a forward pass that keeps its cache, a backward pass that reads it and returns
//! `dX` when it is needed, and its parameters with their gradients.

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

/// Parameters an optimizer walks, writable, in a fixed order (the chapter's
/// `model.parameters()`; [`crate::Model::trainable_params_mut`] gives a model's trained ones).
/// A visitor, not a list, so that a step allocates nothing.
pub trait Parameters<F> {
    /// Calls `f` on each parameter with its gradient, in order.
    fn visit_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, F>));
}

/// A list of parameters (an iterator over them) is [`Parameters`] too, as the chapter's
/// `opt.step([W, b])` would be.
impl<'a, F: 'a, I: Iterator<Item = ParamMut<'a, F>>> Parameters<F> for I {
    fn visit_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, F>)) {
        self.for_each(f);
    }
}

/// How a forward pass runs: training (dropout draws its masks from the stream, BatchNorm uses
/// the batch's statistics) or evaluation.
#[derive(Debug)]
pub enum Mode<'a> {
    /// Train mode: dropout is on and draws from this stream.
    Train(&'a mut Rng),
    /// Eval mode: dropout is the identity, BatchNorm uses its running statistics.
    Eval,
}

impl Mode<'_> {
    /// The same mode for one child of a container (the stream is lent, not moved).
    pub fn reborrow(&mut self) -> Mode<'_> {
        match self {
            Mode::Train(rng) => Mode::Train(rng),
            Mode::Eval => Mode::Eval,
        }
    }
}

/// A buffer of a layer, read-only: state saved with the model but not trained (a BatchNorm's
/// running statistics and batch count).
#[derive(Debug, Clone, Copy)]
pub enum BufferRef<'a, F> {
    /// Float values (`running_mean`, `running_var`).
    Values(&'a [F]),
    /// A count (`num_batches_tracked`, int64 in PyTorch).
    Count(i64),
}

/// A buffer of a layer, writable (for loading).
#[derive(Debug)]
pub enum BufferMut<'a, F> {
    /// Float values.
    Values(&'a mut [F]),
    /// A count.
    Count(&'a mut i64),
}

/// One layer of the sequential network (the chapter's layer classes; PyTorch's `nn.Module`).
pub trait Layer<F: Float>: std::fmt::Debug + Send {
    /// The forward pass: keeps `x` (or what the backward pass needs of it) as the cache and
    /// returns the output.
    ///
    /// # Shapes
    /// `x`: `[batch, in_features]` → `[batch, out_features]`.
    fn forward(&mut self, x: Buf<F>, mode: Mode<'_>) -> Buf<F>;

    /// The backward pass from `dy = ∂L/∂output`: stores the gradients of the parameters that
    /// are not frozen and, when `need_dx`, returns `Some(dX = ∂L/∂x)`. Without `need_dx` (the
    /// lowest trained layer: its input gradient would go to the data or to frozen layers) no
    /// `dX` is computed and the result is `None`, so a stale view can never be read as fresh.
    ///
    /// # Shapes
    /// `dy`: `[batch, out_features]` → `[batch, in_features]`.
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, F>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, F>>;

    /// The parameters with their gradients, weight before bias (none by default).
    fn params(&self) -> Vec<Param<'_, F>> {
        Vec::new()
    }
    /// Calls `f` on each parameter with its gradient, writable, in the order of
    /// [`Layer::params`]. A visitor rather than a list: the optimizer walks every parameter on
    /// every step, and collecting them would allocate each time.
    fn visit_params_mut(&mut self, _f: &mut dyn FnMut(ParamMut<'_, F>)) {}
    /// The PyTorch shapes of [`Layer::params`] (`[out, in]`, `[out_ch, in_ch, k, k]`, `[out]`).
    fn param_shapes(&self) -> Vec<Vec<usize>> {
        Vec::new()
    }
    /// Marks parameters frozen, in [`Layer::params`] order: backward no longer computes their
    /// gradients (`model.freeze`). A layer without parameters ignores it.
    fn set_frozen(&mut self, _frozen: &[bool]) {}
    /// The buffers, in `state_dict` order (none by default).
    fn buffers(&self) -> Vec<BufferRef<'_, F>> {
        Vec::new()
    }
    /// Calls `f` on each buffer, writable, in the order of [`Layer::buffers`].
    fn visit_buffers_mut(&mut self, _f: &mut dyn FnMut(BufferMut<'_, F>)) {}
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

/// [`weight_and_bias`], writable, handed to `f` one at a time (weight, then bias).
pub(super) fn visit_weight_and_bias_mut<F: Float>(
    w: &mut ndarray::Array2<F>,
    b: &mut ndarray::Array1<F>,
    dw: &ndarray::Array2<F>,
    db: &ndarray::Array1<F>,
    f: &mut dyn FnMut(ParamMut<'_, F>),
) {
    let msg = "owned parameters are contiguous";
    f(ParamMut {
        value: w.as_slice_mut().expect(msg),
        grad: dw.as_slice().expect(msg),
    });
    f(ParamMut {
        value: b.as_slice_mut().expect(msg),
        grad: db.as_slice().expect(msg),
    });
}
