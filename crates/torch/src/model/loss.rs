//! The loss of each head (the chapter's `nn.CrossEntropyLoss()` for softmax outputs and
//! `nn.BCEWithLogitsLoss()` for a single logit), its targets, and the count of correct
//! predictions that the epoch statistics need.

use common::loss_weights::LossWeights;
use common::spec::Head;
use tch::{Device, Kind, Reduction, TchError, Tensor};

/// Class weights as the loss functions take them (`train.class_weights`): `weight` (`[K]` for
/// cross-entropy, a scalar for BCE) and `pos_weight` (a scalar, BCE only).
#[derive(Debug)]
pub struct LossTensors {
    weight: Option<Tensor>,
    pos_weight: Option<Tensor>,
}

impl LossTensors {
    /// The weights `w` on `device`, in the model's float `kind`.
    pub fn new(w: &LossWeights, kind: Kind, device: Device) -> Result<Self, TchError> {
        let scalar = |v: f64| {
            Tensor::f_from_slice(&[v])?
                .f_to_kind(kind)?
                .f_to_device(device)
        };
        Ok(match w {
            LossWeights::Softmax(w) => LossTensors {
                weight: Some(
                    Tensor::f_from_slice(w)?
                        .f_to_kind(kind)?
                        .f_to_device(device)?,
                ),
                pos_weight: None,
            },
            LossWeights::Bce { weight, pos_weight } => LossTensors {
                weight: weight.map(scalar).transpose()?,
                pos_weight: Some(scalar(*pos_weight)?),
            },
        })
    }
}

/// Training targets in the form the head's loss takes: class indices (`Int64`) for softmax,
/// 0/1 floats of the model's kind for BCE.
///
/// # Shapes
/// `y`: `[n]` (`Int64`) → `[n]`.
pub fn loss_targets(head: Head, y: &Tensor, kind: Kind) -> std::result::Result<Tensor, TchError> {
    match head {
        Head::Bce => y.f_to_kind(kind),
        Head::Softmax { .. } => Ok(y.shallow_clone()),
    }
}

/// The mean loss of a batch: `nn.CrossEntropyLoss(weight=…)` for softmax,
/// `nn.BCEWithLogitsLoss(weight=…, pos_weight=…)` on the single logit for BCE, with the
/// class weights when there are some.
///
/// # Shapes
/// `logits`: `[n, k]`, `targets`: `[n]` (see [`loss_targets`]) → scalar.
pub fn loss(
    head: Head,
    logits: &Tensor,
    targets: &Tensor,
    weights: Option<&LossTensors>,
) -> std::result::Result<Tensor, TchError> {
    let weight = weights.and_then(|w| w.weight.as_ref());
    let pos_weight = weights.and_then(|w| w.pos_weight.as_ref());
    match head {
        Head::Bce => logits.f_reshape([-1])?.f_binary_cross_entropy_with_logits(
            targets,
            weight,
            pos_weight,
            Reduction::Mean,
        ),
        Head::Softmax { .. } => {
            logits.f_cross_entropy_loss(targets, weight, Reduction::Mean, -100, 0.0)
        }
    }
}

/// Number of correct predictions, with `common::metrics::predictions`' rule (argmax, first
/// index on ties; for BCE class 1 when the logit is > 0).
///
/// # Shapes
/// `logits`: `[n, k]`, `y`: `[n]` (`Int64`) → scalar `Int64`.
pub fn correct(head: Head, logits: &Tensor, y: &Tensor) -> std::result::Result<Tensor, TchError> {
    let pred = match head {
        Head::Bce => logits.f_reshape([-1])?.f_gt(0.0)?.f_to_kind(Kind::Int64)?,
        Head::Softmax { .. } => logits.f_argmax(1, false)?,
    };
    pred.f_eq_tensor(y)?.f_sum(Kind::Int64)
}
