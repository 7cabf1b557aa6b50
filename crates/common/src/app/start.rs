//! Where a training run starts: its prepared data, its spec and its initial weights. Seeded
//! weights (`common::init`) by default; with `model.init_from`, another model's weights and,
//! unless `model.init_preprocessing = "refit"`, its fitted preprocessing (a fine-tuned model
//! must see its inputs as the pretrained one did). Each choice is printed, naming what was
//! re-initialised. On `--resume` the weights come from the checkpoint (the loop loads them),
//! and so does the preprocessing of a fine-tuned run: the weights file is not read again.

use std::path::Path;

use crate::checkpoint::{load_weights, Checkpoint};
use crate::config::{Config, InitPreprocessing};
use crate::data::{prepare_from, Prepared};
use crate::init::{from_pretrained, initial_params};
use crate::preprocess::Preprocessor;
use crate::spec::ModelSpec;
use crate::tensor::NamedTensors;
use crate::Result;

/// The prepared data, the spec and the initial weights of a run of `cfg` (`resume`: the
/// checkpoint a resumed run continues from). What it chose is printed on stderr unless `quiet`.
pub fn starting_point(
    cfg: &Config,
    resume: Option<&Path>,
    quiet: bool,
) -> Result<(Prepared, ModelSpec, NamedTensors)> {
    let say = |msg: String| {
        if !quiet {
            crate::errln!("{msg}");
        }
    };
    let keep_pre = cfg.model.init_preprocessing == InitPreprocessing::Pretrained;
    let file = match (&cfg.model.init_from, resume) {
        (Some(path), None) => Some((path, load_weights(path)?)),
        _ => None,
    };
    let pretrained_pre: Option<Preprocessor> = match (&cfg.model.init_from, resume, &file) {
        (Some(_), Some(ckpt), _) if keep_pre => Some(Checkpoint::load(ckpt)?.meta.preprocessing),
        (_, _, Some((_, f))) if keep_pre => f.meta.as_ref().map(|m| m.preprocessing.clone()),
        _ => None,
    };
    let data = prepare_from(cfg, pretrained_pre.as_ref(), quiet)?;
    for note in &data.notes {
        // A warning (bad files skipped) shows also with --quiet.
        if note.starts_with("warning:") {
            crate::errln!("{note}");
        } else {
            say(note.clone());
        }
    }
    let spec = ModelSpec::from_config(cfg, data.n_features(), data.image_shape, data.n_classes())?;
    let seeded = initial_params(&spec, cfg);
    let Some((path, file)) = file else {
        return Ok((data, spec, seeded));
    };
    let start = from_pretrained(&spec, &file, &seeded, &cfg.model.reinit, path)?;
    let kind = if file.meta.is_some() {
        "a twin-nets checkpoint"
    } else {
        "a state_dict"
    };
    say(format!(
        "init: {} of {} tensors from {} ({kind})",
        spec.params().len() - start.reinitialised.len(),
        spec.params().len(),
        path.display()
    ));
    if !start.reinitialised.is_empty() {
        say(format!(
            "init: re-initialised from the seed (model.reinit, or the number of classes differs): {}",
            start.reinitialised.join(", ")
        ));
    }
    say(match (&pretrained_pre, keep_pre) {
        (Some(_), _) => "init: preprocessing (schema, scaling, categories) kept from the pretrained model".into(),
        (None, true) => "init: preprocessing fitted on this run's training split (the file holds none)".into(),
        (None, false) => "init: preprocessing fitted on this run's training split (model.init_preprocessing = \"refit\")".into(),
    });
    if !spec.freeze.is_empty() {
        let frozen: Vec<String> = spec
            .params()
            .into_iter()
            .filter(|p| spec.is_frozen(&p.name))
            .map(|p| p.name)
            .collect();
        say(format!("frozen: {}", frozen.join(", ")));
    }
    Ok((data, spec, start.params))
}
