//! How a [`super::Net`] is assembled from its spec: the layer list with parameter indices, and
//! the views of the flat parameter buffer that autograd differentiates.

use common::spec::{LayerSpec, ModelSpec, Named, ParamInfo};
use common::{config::Activation, Error, Result};
use tch::{TchError, Tensor};

use crate::convert::dims;

/// A module with the indices of its parameters in [`super::Net::params`] (and of its
/// buffers in [`super::Net::norms`]): the spec's tree, compiled.
#[derive(Debug, Clone)]
pub(super) enum Layer {
    Linear {
        w: usize,
        b: usize,
    },
    Conv2d {
        w: usize,
        b: Option<usize>,
        stride: i64,
        padding: i64,
    },
    /// `dense` features pass through; the index feature after them of table `t` reads the
    /// rows of parameter `tables[t]` (`F.embedding(…, padding_idx=0)`).
    Embed {
        dense: i64,
        tables: Vec<usize>,
    },
    Act(Activation),
    Dropout(f64),
    MaxPool2d {
        k: i64,
        stride: i64,
        padding: i64,
    },
    Flatten,
    /// `norm` indexes [`super::Net::norms`]; `frozen` = weight and bias frozen: running
    /// statistics in train mode too, never updated.
    BatchNorm {
        w: usize,
        b: usize,
        norm: usize,
        frozen: bool,
    },
    GlobalAvgPool,
    Sequential(Vec<Layer>),
    Residual {
        body: Vec<Layer>,
        downsample: Vec<Layer>,
        act: Activation,
    },
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

/// Maps the spec's module tree to [`Layer`]s holding parameter indices (found by name) and
/// BatchNorm indices (numbered in `state_dict` order, as [`ModelSpec::buffers`] lists them).
pub(super) fn compile(spec: &ModelSpec, infos: &[ParamInfo]) -> Result<Vec<Layer>> {
    let mut norms = 0;
    spec.layers
        .iter()
        .enumerate()
        .map(|(i, l)| node(spec, infos, &spec.layer_name(i), l, &mut norms))
        .collect()
}

/// The compiled module `l` named `name`.
fn node(
    spec: &ModelSpec,
    infos: &[ParamInfo],
    name: &str,
    l: &LayerSpec,
    norms: &mut usize,
) -> Result<Layer> {
    let find = |suffix: &str| {
        let full = format!("{name}.{suffix}");
        infos
            .iter()
            .position(|p| p.name == full)
            .ok_or_else(|| Error::Shape(format!("{} has no parameter {full}", spec.describe())))
    };
    let children = |layers: &[Named], prefix: &str, norms: &mut usize| {
        layers
            .iter()
            .map(|(child, l)| node(spec, infos, &format!("{prefix}.{child}"), l, norms))
            .collect::<Result<Vec<_>>>()
    };
    Ok(match l {
        LayerSpec::Linear { .. } => Layer::Linear {
            w: find("weight")?,
            b: find("bias")?,
        },
        &LayerSpec::Conv2d {
            padding,
            stride,
            bias,
            ..
        } => Layer::Conv2d {
            w: find("weight")?,
            b: if bias { Some(find("bias")?) } else { None },
            stride: stride as i64,
            padding: padding as i64,
        },
        LayerSpec::Embed { dense, tables } => Layer::Embed {
            dense: *dense as i64,
            tables: tables
                .iter()
                .map(|t| find(&format!("{}.weight", t.key)))
                .collect::<Result<_>>()?,
        },
        LayerSpec::Act { act } => Layer::Act(*act),
        LayerSpec::Dropout { p } => Layer::Dropout(*p),
        &LayerSpec::MaxPool2d { k, stride, padding } => Layer::MaxPool2d {
            k: k as i64,
            stride: stride.unwrap_or(k) as i64,
            padding: padding as i64,
        },
        LayerSpec::Flatten => Layer::Flatten,
        LayerSpec::BatchNorm { .. } => {
            *norms += 1;
            Layer::BatchNorm {
                w: find("weight")?,
                b: find("bias")?,
                norm: *norms - 1,
                frozen: spec.is_frozen_norm(name),
            }
        }
        LayerSpec::GlobalAvgPool => Layer::GlobalAvgPool,
        LayerSpec::Sequential { layers } => Layer::Sequential(children(layers, name, norms)?),
        LayerSpec::Residual {
            body,
            downsample,
            act,
        } => Layer::Residual {
            body: children(body, name, norms)?,
            downsample: children(downsample, &format!("{name}.downsample"), norms)?,
            act: *act,
        },
    })
}
