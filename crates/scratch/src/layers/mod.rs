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
mod block;
mod conv;
mod dropout;
mod embedding;
mod layer;
mod linear;
mod norm;
mod pool;

pub use activation::{sigmoid, Activation};
pub use block::{Residual, Sequential};
pub use conv::Conv2d;
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use layer::{BufferMut, BufferRef, Layer, Mode, Param, ParamMut, Parameters};
pub use linear::Linear;
pub use norm::BatchNorm;
pub use pool::{Flatten, GlobalAvgPool, MaxPool2d};

use common::spec::{LayerSpec, Named};
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
    Ok(match spec {
        &LayerSpec::Linear { inputs, outputs } => {
            if input.len() != 1 || flat != inputs {
                return Err(mismatch(spec, &format!("[{inputs}]"), input));
            }
            (Box::new(Linear::new(inputs, outputs)), vec![outputs])
        }
        LayerSpec::Embed { dense, tables } => {
            let sizes: Vec<(usize, usize)> = tables.iter().map(|t| (t.rows, t.dim)).collect();
            if input.len() != 1 || flat != dense + tables.len() {
                let want = format!("[{dense} + {}]", tables.len());
                return Err(mismatch(spec, &want, input));
            }
            let layer = Embedding::new(*dense, &sizes);
            let out = vec![layer.outputs()];
            (Box::new(layer), out)
        }
        LayerSpec::Act { act } => (Box::new(Activation::new(*act)), input.to_vec()),
        LayerSpec::Dropout { p } => (Box::new(Dropout::new(*p)), input.to_vec()),
        &LayerSpec::Conv2d {
            in_ch,
            out_ch,
            kernel,
            padding,
            stride,
            bias,
        } => {
            let ok = input.len() == 3 && input[0] == in_ch && input[1] + 2 * padding >= kernel;
            if !ok || input[2] + 2 * padding < kernel || kernel == 0 || stride == 0 {
                let want = format!(
                    "[{in_ch}, H, W] with H, W ≥ {}",
                    kernel.saturating_sub(2 * padding).max(1)
                );
                return Err(mismatch(spec, &want, input));
            }
            let hw = [input[1], input[2]];
            let conv = Conv2d::strided(in_ch, out_ch, kernel, padding, stride, bias, hw);
            let out = conv.output_shape().to_vec();
            (Box::new(conv), out)
        }
        &LayerSpec::MaxPool2d { k, stride, padding } => {
            let s = stride.unwrap_or(k);
            let fits = |d: usize| d + 2 * padding >= k;
            if input.len() != 3
                || k == 0
                || s == 0
                || padding > k / 2
                || !fits(input[1])
                || !fits(input[2])
            {
                let want = format!("[C, H, W] with H, W ≥ {}", k.max(1));
                return Err(mismatch(spec, &want, input));
            }
            let pool = MaxPool2d::new(k, s, padding, [input[0], input[1], input[2]]);
            let out = pool.output_shape().to_vec();
            (Box::new(pool), out)
        }
        &LayerSpec::BatchNorm { features } => {
            if input.first() != Some(&features) || !matches!(input.len(), 1 | 3) {
                return Err(mismatch(
                    spec,
                    &format!("[{features}] or [{features}, H, W]"),
                    input,
                ));
            }
            let spatial = input[1..].iter().product();
            (Box::new(BatchNorm::new(features, spatial)), input.to_vec())
        }
        LayerSpec::GlobalAvgPool => {
            if input.len() != 3 || input[1] * input[2] == 0 {
                return Err(mismatch(spec, "[C, H, W]", input));
            }
            let pool = GlobalAvgPool::new(input[0], input[1] * input[2]);
            (Box::new(pool), vec![input[0]])
        }
        LayerSpec::Sequential { layers } => {
            let (seq, out) = build_seq::<F>(layers, input)?;
            (Box::new(seq), out)
        }
        LayerSpec::Residual {
            body,
            downsample,
            act,
        } => {
            let (body, out) = build_seq::<F>(body, input)?;
            let shortcut = if downsample.is_empty() {
                (None, input.to_vec())
            } else {
                let (d, s) = build_seq::<F>(downsample, input)?;
                (Some(d), s)
            };
            if shortcut.1 != out {
                let want = format!("a shortcut giving {out:?}, like the main branch");
                return Err(mismatch(spec, &want, &shortcut.1));
            }
            let block = Residual::new(body, shortcut.0, Activation::new(*act));
            (Box::new(block), out)
        }
        LayerSpec::Flatten => (Box::new(Flatten), vec![flat]),
    })
}

/// The container of `layers` for inputs of shape `input`, with its output shape; an error
/// names the child at fault.
fn build_seq<F: Float>(layers: &[Named], input: &[usize]) -> Result<(Sequential<F>, Vec<usize>)> {
    let mut shape = input.to_vec();
    let mut built = Vec::with_capacity(layers.len());
    for (name, l) in layers {
        let (layer, out) = build::<F>(l, &shape).map_err(|e| {
            Error::Shape(format!(
                "{name}: {}",
                e.to_string().trim_start_matches("shape mismatch: ")
            ))
        })?;
        built.push(layer);
        shape = out;
    }
    Ok((Sequential::new(built), shape))
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
        LayerSpec::MaxPool2d { k, .. } => k > 0,
        LayerSpec::Dropout { p } => (0.0..1.0).contains(&p),
        LayerSpec::BatchNorm { features } => features > 0,
        LayerSpec::Embed { ref tables, .. } => tables.iter().all(|t| t.rows > 0 && t.dim > 0),
        LayerSpec::Act { .. }
        | LayerSpec::Flatten
        | LayerSpec::GlobalAvgPool
        | LayerSpec::Sequential { .. }
        | LayerSpec::Residual { .. } => true,
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
    let layer = match spec {
        LayerSpec::Sequential { .. } => "Sequential".to_string(),
        LayerSpec::Residual { .. } => "Residual".to_string(),
        other => format!("{other:?}"),
    };
    Error::Shape(format!(
        "layer {layer} expects per-example input {want}, got {got:?}"
    ))
}
