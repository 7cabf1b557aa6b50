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
//! so a step copies no activation. Once the largest batch has been seen, the step's own code
//! allocates nothing (the optimizer visits the parameters, `Layer::visit_params_mut`, instead
//! of collecting them); what can still allocate lies underneath: ndarray's GEMM packs the
//! operands of a large product into a fresh buffer, and the update of a tensor of 131,072
//! elements or more starts threads. `tests/step_allocations.rs` counts the allocations per
//! step: 0 on the chapter's nets.

mod activation;
mod conv;
mod dropout;
mod layer;
mod linear;
mod pool;

pub use activation::{sigmoid, Activation};
pub use conv::Conv2d;
pub use dropout::Dropout;
pub use layer::{Layer, Mode, Param, ParamMut, Parameters};
pub use linear::Linear;
pub use pool::{Flatten, MaxPool2d};

use common::spec::LayerSpec;
use common::{Error, Result};

use crate::float::Float;
pub use crate::ops::Buf;

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
