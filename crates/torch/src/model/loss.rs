//! The loss of each head (the chapter's `nn.CrossEntropyLoss()` for softmax outputs and
//! `nn.BCEWithLogitsLoss()` for a single logit), its targets, and the count of correct
//! predictions that the epoch statistics need.

use common::spec::Head;
use tch::{Kind, Reduction, TchError, Tensor};

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

/// The mean loss of a batch: `nn.CrossEntropyLoss()` for softmax, `nn.BCEWithLogitsLoss()`
/// on the single logit for BCE.
///
/// # Shapes
/// `logits`: `[n, k]`, `targets`: `[n]` (see [`loss_targets`]) → scalar.
pub fn loss(
    head: Head,
    logits: &Tensor,
    targets: &Tensor,
) -> std::result::Result<Tensor, TchError> {
    match head {
        Head::Bce => logits
            .f_reshape([-1])?
            .f_binary_cross_entropy_with_logits::<Tensor>(targets, None, None, Reduction::Mean),
        Head::Softmax { .. } => {
            logits.f_cross_entropy_loss::<Tensor>(targets, None, Reduction::Mean, -100, 0.0)
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
