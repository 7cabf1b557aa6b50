//! How a [`super::Net`] is assembled from its spec: the layer list with parameter indices, and
//! the views of the flat parameter buffer that autograd differentiates.

use common::spec::{LayerSpec, ModelSpec, ParamInfo};
use common::{config::Activation, Error, Result};
use tch::{TchError, Tensor};

use crate::convert::dims;

/// A layer with the indices of its parameters in [`super::Net::params`].
#[derive(Debug, Clone, Copy)]
pub(super) enum Layer {
    Linear { w: usize, b: usize },
    Conv2d { w: usize, b: usize, padding: i64 },
    Act(Activation),
    Dropout(f64),
    MaxPool2d(i64),
    Flatten,
}

/// Leaf views of `flat` shaped like the parameters (transposed where `transposed` says),
/// requiring grad unless `frozen` (then autograd computes no gradient for them at all).
pub(super) fn leaves(
    flat: &Tensor,
    infos: &[ParamInfo],
    spans: &[(i64, i64)],
    transposed: &[bool],
    frozen: &[bool],
) -> std::result::Result<Vec<Tensor>, TchError> {
    views(flat, infos, spans, transposed)?
        .into_iter()
        .zip(frozen)
        .map(|(mut v, &f)| v.f_requires_grad_(!f))
        .collect()
}

/// Views of `flat` shaped like the parameters, transposed where `transposed` says.
pub(super) fn views(
    flat: &Tensor,
    infos: &[ParamInfo],
    spans: &[(i64, i64)],
    transposed: &[bool],
) -> std::result::Result<Vec<Tensor>, TchError> {
    infos
        .iter()
        .zip(spans)
        .zip(transposed)
        .map(|((p, &(o, n)), &t)| {
            let view = flat.f_narrow(0, o, n)?.f_view(dims(&p.shape).as_slice())?;
            if t {
                view.f_tr()
            } else {
                Ok(view)
            }
        })
        .collect()
}

/// Maps the spec's layers to [`Layer`]s holding parameter indices.
pub(super) fn compile(spec: &ModelSpec, infos: &[ParamInfo]) -> Result<Vec<Layer>> {
    let find = |layer: usize, is_weight: bool| {
        infos
            .iter()
            .position(|p| p.layer == layer && p.is_weight == is_weight)
            .ok_or_else(|| {
                Error::Shape(format!(
                    "layer {layer} of {} has no {}",
                    spec.describe(),
                    if is_weight { "weight" } else { "bias" }
                ))
            })
    };
    spec.layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Ok(match *l {
                LayerSpec::Linear { .. } => Layer::Linear {
                    w: find(i, true)?,
                    b: find(i, false)?,
                },
                LayerSpec::Conv2d { padding, .. } => Layer::Conv2d {
                    w: find(i, true)?,
                    b: find(i, false)?,
                    padding: padding as i64,
                },
                LayerSpec::Act { act } => Layer::Act(act),
                LayerSpec::Dropout { p } => Layer::Dropout(p),
                LayerSpec::MaxPool2d { k } => Layer::MaxPool2d(k as i64),
                LayerSpec::Flatten => Layer::Flatten,
            })
        })
        .collect()
}
