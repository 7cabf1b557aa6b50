//! After training, a binary model's decision threshold (`train.threshold`): fixed, or chosen
//! on the validation split, never on test. The chosen value goes into the run's best
//! checkpoint, where `eval` and `predict` find it, and the test metrics use it.

use crate::checkpoint::Checkpoint;
use crate::config::{Config, Threshold};
use crate::data::Prepared;
use crate::fit::{checked_logits, Backend};
use crate::metrics::{choose_threshold, evaluate, positive_probability};
use crate::spec::ModelSpec;
use crate::{Error, Result};

/// Refuses `train.threshold` (other than the default) for a target without two classes.
pub fn check_binary(cfg: &Config, n_classes: usize) -> Result<()> {
    if cfg.train.threshold.is_default() || n_classes == 2 {
        return Ok(());
    }
    Err(Error::config(
        "train.threshold",
        format!(
            "a decision threshold needs a binary target, and this one has {n_classes} classes: \
             remove the key (argmax decides)"
        ),
    ))
}

/// The threshold of the model `backend` holds (its best weights) on `data`'s validation
/// split, with a line saying how it was found; `None` for the default rule. A rule that cannot
/// choose (a validation split without both classes, or a model that gives every example the
/// same probability) keeps 0.5 and says why.
pub fn decide(
    backend: &mut dyn Backend,
    spec: &ModelSpec,
    data: &Prepared,
    cfg: &Config,
) -> Result<Option<(f64, String)>> {
    let names = &data.class_names;
    let positive = names.get(1).map_or("1", String::as_str);
    let rule = cfg.train.threshold;
    if let Threshold::Fixed(v) = rule {
        return Ok((!rule.is_default()).then(|| (v, format!("decision threshold {v} (fixed)"))));
    }
    let val = &data.val;
    let logits = checked_logits(backend, &val.x, spec)?;
    let p1 = positive_probability(&logits, spec.head);
    if let Some(row) = p1.iter().position(|p| !p.is_finite()) {
        return Err(Error::Other(format!(
            "train.threshold: the model gives validation example {row} a probability of {}; \
             no threshold can be chosen",
            p1[row]
        )));
    }
    let what = match rule {
        Threshold::F1 => format!("F1 of '{positive}'"),
        _ => "balanced accuracy".to_string(),
    };
    let both = val.y.contains(&0) && val.y.contains(&1);
    let Some((chosen, value)) = choose_threshold(&p1, &val.y, rule) else {
        let why = if both {
            "the model gives every validation example the same probability"
        } else {
            "the validation split lacks one of the two classes"
        };
        let msg = format!(
            "decision threshold 0.5: train.threshold wants the best {what} on the validation \
             split, but {why}"
        );
        return Ok(Some((0.5, msg)));
    };
    // The 0.5 rule on the same logits: one forward pass over the validation split.
    let at_half = evaluate(&logits, &val.y, spec.head, names);
    let before = match rule {
        Threshold::F1 => at_half.per_class.get(1).map_or(f64::NAN, |m| m.f1),
        _ => at_half.balanced_accuracy,
    };
    let msg = format!(
        "decision threshold {chosen:.4} on the probability of '{positive}' (train.threshold): \
         the best validation {what}, {value:.4} ({before:.4} at 0.5)"
    );
    Ok(Some((chosen, msg)))
}

/// Stores `threshold` in the best checkpoint `ckpt` and returns its new bytes (a threshold
/// outside (0, 1) is an error: the checkpoint could not be read back).
pub fn store(ckpt: &mut Checkpoint, threshold: f64, path: &std::path::Path) -> Result<Vec<u8>> {
    if !(threshold > 0.0 && threshold < 1.0) {
        return Err(Error::Other(format!(
            "train.threshold: {threshold} is not a probability between 0 and 1"
        )));
    }
    ckpt.meta.threshold = Some(threshold);
    ckpt.to_bytes(path)
}

/// Says so when `ckpt`'s run chose a threshold but this checkpoint (a `last.safetensors`, or
/// the best one of a run that stopped before choosing) holds none: `eval` and `predict` then
/// decide at 0.5.
pub fn note_if_absent(ckpt: &Checkpoint) {
    if ckpt.meta.threshold.is_none() && !ckpt.meta.config.train.threshold.is_default() {
        crate::errln!(
            "note: this checkpoint holds no decision threshold (the run stores the one it chose \
             in best.safetensors): deciding at 0.5"
        );
    }
}
