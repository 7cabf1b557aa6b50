//! Where a training run starts: its prepared data, its spec and its initial weights. Seeded
//! weights (`common::init`) by default; with `model.init_from`, another model's weights and,
//! unless `model.init_preprocessing = "refit"`, its fitted preprocessing (a fine-tuned model
//! must see its inputs as the pretrained one did). Each choice is printed, naming what was
//! re-initialised. On `--resume` the weights come from the checkpoint (the loop loads them),
//! and so does the preprocessing of a fine-tuned run: the weights file is not read again.

use std::path::Path;

use crate::checkpoint::{load_weights, Checkpoint};
use crate::config::{Config, ImageConfig, InitPreprocessing, Normalize, NormalizeName, Source};
use crate::data::{prepare_from, Prepared};
use crate::init::{from_pretrained, initial_params};
use crate::preprocess::{ImagePrep, Preprocessor};
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
    if let Some(image) = pretrained_pre.as_ref().and_then(|p| p.image.as_ref()) {
        for line in ignored_image_keys(&cfg.data.image, image) {
            crate::errln!("warning: {line}");
        }
    }
    let resolved =
        with_weights_normalization(cfg, file.as_ref().map(|(p, f)| (p.as_path(), f)), resume)?;
    let data = prepare_from(
        resolved.as_ref().unwrap_or(cfg),
        pretrained_pre.as_ref(),
        quiet,
    )?;
    for note in &data.notes {
        // A warning (bad files skipped) shows also with --quiet.
        if note.starts_with("warning:") {
            crate::errln!("{note}");
        } else {
            say(note.clone());
        }
    }
    let spec = data.spec(cfg)?;
    let seeded = initial_params(&spec, cfg);
    let Some((path, file)) = file else {
        for line in frozen_lines(&spec, cfg, &data) {
            say(line);
        }
        return Ok((data, spec, seeded));
    };
    if let (Some((mean, std)), true) = (&file.normalize, resolved.is_none()) {
        if cfg.data.source == crate::config::Source::Images {
            say(format!(
                "init: the weights were trained on inputs normalized with mean {mean:?}, std \
                 {std:?}; set data.image.normalize = \"weights\" to use them"
            ));
        }
    }
    let start = from_pretrained(&spec, &file, &seeded, &cfg.model.reinit, path)?;
    let kind = if file.meta.is_some() {
        "a twin-nets checkpoint"
    } else {
        "a state_dict"
    };
    let params = spec.params();
    let fresh = params
        .iter()
        .filter(|p| start.reinitialised.contains(&p.name))
        .count();
    let buffers = spec.buffers().len();
    let also = if buffers > 0 {
        format!(", and their {buffers} BatchNorm buffers")
    } else {
        String::new()
    };
    say(format!(
        "init: {} of {} parameter tensors{also} from {} ({kind})",
        params.len() - fresh,
        params.len(),
        path.display()
    ));
    if !start.reinitialised.is_empty() {
        say(format!(
            "init: re-initialised from the seed (model.reinit, or the number of classes differs): {}",
            start.reinitialised.join(", ")
        ));
    }
    say(preprocessing_line(cfg, pretrained_pre.is_some(), keep_pre));
    for line in frozen_lines(&spec, cfg, &data) {
        say(line);
    }
    Ok((data, spec, start.params))
}

/// Where a fine-tuned run's preprocessing comes from: kept from the pretrained model, or made
/// for this run: fitted on its training split, or, for images normalized by given values
/// (named, given, or the weights' own), made from the config alone.
fn preprocessing_line(cfg: &Config, kept: bool, keep_asked: bool) -> String {
    if kept {
        return "init: preprocessing (schema, scaling, categories) kept from the pretrained model"
            .into();
    }
    let fitted = cfg.data.source != Source::Images
        || cfg.data.image.normalize == Normalize::Named(NormalizeName::Fit);
    let made = match fitted {
        true => "fitted on this run's training split",
        false => "made from this config (data.image), nothing fitted",
    };
    let why = match keep_asked {
        true => "the file holds none",
        false => "model.init_preprocessing = \"refit\"",
    };
    format!("init: preprocessing {made} ({why})")
}

/// The `data.image` values a user set that a kept pretrained preprocessing overrides (its
/// size and channels are the model's input): said as warnings, since the run trains on
/// something other than what the config says.
fn ignored_image_keys(asked: &ImageConfig, kept: &ImagePrep) -> Vec<String> {
    let refit = "model.init_preprocessing = \"refit\" uses this config's instead";
    let [h, w] = kept.size;
    let mut out = Vec::new();
    if let Some(size) = asked.size.filter(|&s| s != kept.size) {
        out.push(format!(
            "data.image.size = {size:?} is not used: the pretrained model reads {h}×{w} images \
             ({refit})"
        ));
    }
    if let Some(c) = asked.channels.filter(|&c| c != kept.channels) {
        out.push(format!(
            "data.image.channels = {c} is not used: the pretrained model reads {} channel(s) \
             ({refit})",
            kept.channels
        ));
    }
    out
}

/// What `model.freeze` keeps fixed, said before training: the frozen tensors (all of them for
/// a small model, a count and the prefixes for a large one), and the rule for BatchNorm: a
/// frozen BatchNorm normalises with its running statistics in training too and never updates
/// them, so the frozen part is the same function in every epoch (PyTorch keeps updating the
/// statistics of a BatchNorm whose parameters do not require grad, unless it is put in
/// `eval()` mode). With a frozen backbone and augmentation off, also that the backbone runs
/// once per training example (`train.cache_frozen`).
pub fn frozen_lines(spec: &ModelSpec, cfg: &Config, data: &Prepared) -> Vec<String> {
    if spec.freeze.is_empty() {
        return Vec::new();
    }
    let params = spec.params();
    let frozen: Vec<&str> = params
        .iter()
        .filter(|p| spec.is_frozen(&p.name))
        .map(|p| p.name.as_str())
        .collect();
    let mut out = vec![if frozen.len() <= 12 {
        format!("frozen: {}", frozen.join(", "))
    } else {
        format!(
            "frozen: {} of {} parameter tensors (model.freeze = {:?})",
            frozen.len(),
            params.len(),
            spec.freeze
        )
    }];
    let mut norms = Vec::new();
    spec.visit_leaves(|name, layer, _| {
        if matches!(layer, crate::spec::LayerSpec::BatchNorm { .. }) && spec.is_frozen_norm(name) {
            norms.push(name.to_string());
        }
    });
    if !norms.is_empty() {
        let shown = if norms.len() <= 8 {
            norms.join(", ")
        } else {
            format!("{}, … ({} in all)", norms[..8].join(", "), norms.len())
        };
        out.push(format!(
            "frozen: BatchNorm {shown} normalise with their running statistics in training too \
             and never update them"
        ));
    }
    let augmenting = crate::data::augment::Augmenter::new(&data.pre, &cfg.data.augment).is_some();
    if let Some((k, shape)) = spec.frozen_backbone() {
        let first = spec.layer_name(k);
        out.push(if augmenting {
            format!("frozen: everything before {first} is frozen, but augmentation is on: the backbone runs in every step")
        } else if cfg.train.cache_frozen {
            format!(
                "frozen: the backbone (everything before {first}) runs once per training example \
                 before epoch 1; the epochs train from its {shape:?} features (train.cache_frozen)"
            )
        } else {
            format!("frozen: everything before {first} is frozen; train.cache_frozen = false: it runs in every step")
        });
    }
    out
}

/// `cfg` with `data.image.normalize = "weights"` replaced by the mean and std that the weights
/// file carries (`None` when the config asks for something else); an error names the file
/// when it carries none. On resume the weights file is not read again: the values are the
/// ones the checkpoint was trained with.
fn with_weights_normalization(
    cfg: &Config,
    file: Option<(&Path, &crate::checkpoint::WeightsFile)>,
    resume: Option<&Path>,
) -> Result<Option<Config>> {
    use crate::config::{Normalize, NormalizeName};
    if cfg.data.image.normalize != Normalize::Named(NormalizeName::Weights) {
        return Ok(None);
    }
    let mut out = cfg.clone();
    if let Some(ckpt) = resume {
        let pre = Checkpoint::load(ckpt)?.meta.preprocessing;
        if let Some(image) = pre.image {
            out.data.image.normalize = Normalize::Given {
                mean: image.mean,
                std: image.std,
            };
            return Ok(Some(out));
        }
    }
    let Some((path, f)) = file else {
        return Ok(None);
    };
    let Some((mean, std)) = f.normalize.clone() else {
        let msg = "data.image.normalize = \"weights\", but the file's metadata holds no \
                   'normalize' entry (scripts/export_torchvision.py writes one); give the mean \
                   and std in the config instead";
        return Err(crate::Error::checkpoint(path, msg));
    };
    out.data.image.normalize = Normalize::Given { mean, std };
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preprocessing_line_says_fitted_only_when_something_is() {
        let mut cfg = Config::default();
        let line = preprocessing_line(&cfg, false, true);
        assert!(line.contains("fitted on this run's training split (the file holds none)"));
        cfg.data.source = Source::Images;
        cfg.data.image.normalize = Normalize::Named(NormalizeName::Weights);
        let line = preprocessing_line(&cfg, false, true);
        assert!(
            line.contains("made from this config (data.image), nothing fitted"),
            "{line}"
        );
        assert!(preprocessing_line(&cfg, true, true).contains("kept from the pretrained model"));
    }

    #[test]
    fn image_keys_a_kept_preprocessing_overrides_are_named() {
        let kept = ImagePrep {
            size: [16, 16],
            resized: true,
            resize: crate::config::ResizePolicy::Crop,
            channels: 3,
            mean: vec![0.5; 3],
            std: vec![0.25; 3],
            max_pixels: 1 << 20,
        };
        let mut asked = ImageConfig::default();
        assert!(ignored_image_keys(&asked, &kept).is_empty(), "nothing set");
        asked.size = Some([16, 16]);
        asked.channels = Some(3);
        assert!(
            ignored_image_keys(&asked, &kept).is_empty(),
            "the same values"
        );
        asked.size = Some([20, 20]);
        asked.channels = Some(1);
        let lines = ignored_image_keys(&asked, &kept);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with(
            "data.image.size = [20, 20] is not used: the pretrained model reads 16×16"
        ));
        assert!(lines[1].starts_with("data.image.channels = 1 is not used"));
    }
}
