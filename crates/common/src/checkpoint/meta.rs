//! The checkpoint's `__metadata__` (a string → string map in the safetensors header): what
//! each key holds, and the checks that turn a foreign or damaged map into a clear error.
//!
//! Keys: `format` (`twin-nets`), `format_version`, `backend`, `kind`, `config` (TOML), `spec`,
//! `preprocessing`, `train_state` and `class_names` (JSON), `monitor`, `monitor_value`, and
//! `threshold` only when the run chose one (so other checkpoints keep their bytes).

use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::path::Path;

use super::{CheckpointMeta, FORMAT_VERSION};
use crate::{Error, Result};

/// The value of the `format` key that marks a twin-nets checkpoint.
pub const FORMAT_NAME: &str = "twin-nets";

/// Serializes the metadata to the header's string map.
pub(super) fn to_map(meta: &CheckpointMeta, path: &Path) -> Result<HashMap<String, String>> {
    let json = |key: &str, r: serde_json::Result<String>| {
        r.map_err(|e| Error::checkpoint(path, format!("cannot serialize metadata '{key}': {e}")))
    };
    // As in `config.toml`: without the keys that have no effect on this run.
    let config = meta.config.to_toml();
    let entries = [
        ("format", FORMAT_NAME.to_string()),
        ("format_version", meta.format_version.to_string()),
        ("backend", meta.backend.clone()),
        ("kind", meta.kind.clone()),
        ("config", config),
        ("spec", json("spec", serde_json::to_string(&meta.spec))?),
        (
            "preprocessing",
            json("preprocessing", serde_json::to_string(&meta.preprocessing))?,
        ),
        ("monitor", meta.monitor.clone()),
        // `{:?}` round-trips every f64, NaN and infinities included.
        ("monitor_value", format!("{:?}", meta.monitor_value)),
        (
            "train_state",
            json("train_state", serde_json::to_string(&meta.train_state))?,
        ),
        (
            "class_names",
            json(
                "class_names",
                serde_json::to_string(&meta.preprocessing.class_names),
            )?,
        ),
    ];
    let mut map: HashMap<String, String> = entries
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    if let Some(t) = meta.threshold {
        map.insert("threshold".into(), format!("{t:?}"));
    }
    Ok(map)
}

/// Checks `format` and `format_version` before anything else, so that a file from a newer
/// twin-nets is reported as such rather than as whatever else changed in its layout.
pub(super) fn check_format(map: &HashMap<String, String>, path: &Path) -> Result<u32> {
    match map.get("format").map(String::as_str) {
        Some(FORMAT_NAME) => {}
        Some(other) => {
            let msg =
                format!("format is '{other}', not '{FORMAT_NAME}': not a twin-nets checkpoint");
            return Err(Error::checkpoint(path, msg));
        }
        None => {
            let msg =
                "metadata has no 'format' key: a safetensors file, but not a twin-nets checkpoint";
            return Err(Error::checkpoint(path, msg));
        }
    }
    let text = get(map, "format_version", path)?;
    let version: u32 = text.trim().parse().map_err(|_| {
        Error::checkpoint(
            path,
            format!("metadata 'format_version' is '{text}', not a whole number"),
        )
    })?;
    if version > FORMAT_VERSION {
        let msg = format!(
            "written by a newer twin-nets (format {version} > {FORMAT_VERSION}); upgrade twin-nets to read it"
        );
        return Err(Error::checkpoint(path, msg));
    }
    Ok(version)
}

/// A required key.
fn get<'a>(map: &'a HashMap<String, String>, key: &str, path: &Path) -> Result<&'a str> {
    map.get(key).map(String::as_str).ok_or_else(|| {
        Error::checkpoint(
            path,
            format!("metadata key '{key}' is missing (damaged checkpoint?)"),
        )
    })
}

/// A required key holding JSON.
fn json<T: DeserializeOwned>(map: &HashMap<String, String>, key: &str, path: &Path) -> Result<T> {
    serde_json::from_str(get(map, key, path)?)
        .map_err(|e| Error::checkpoint(path, format!("metadata '{key}' is not valid: {e}")))
}

/// The optional `threshold` key: a probability strictly between 0 and 1.
fn threshold(map: &HashMap<String, String>, path: &Path) -> Result<Option<f64>> {
    let Some(text) = map.get("threshold") else {
        return Ok(None);
    };
    match text.trim().parse::<f64>() {
        Ok(t) if t > 0.0 && t < 1.0 => Ok(Some(t)),
        _ => Err(Error::checkpoint(
            path,
            format!("metadata 'threshold' is '{text}', not a probability between 0 and 1"),
        )),
    }
}

/// Parses the whole map back (after [`check_format`]).
pub(super) fn from_map(map: &HashMap<String, String>, path: &Path) -> Result<CheckpointMeta> {
    let format_version = check_format(map, path)?;
    let config = toml::from_str(get(map, "config", path)?).map_err(|e| {
        Error::checkpoint(
            path,
            format!("metadata 'config' is not a valid config: {e}"),
        )
    })?;
    let value_text = get(map, "monitor_value", path)?;
    let monitor_value = value_text.trim().parse::<f64>().map_err(|_| {
        Error::checkpoint(
            path,
            format!("metadata 'monitor_value' is '{value_text}', not a number"),
        )
    })?;
    let meta = CheckpointMeta {
        format_version,
        backend: get(map, "backend", path)?.to_string(),
        kind: get(map, "kind", path)?.to_string(),
        config,
        spec: json(map, "spec", path)?,
        preprocessing: json(map, "preprocessing", path)?,
        monitor: get(map, "monitor", path)?.to_string(),
        monitor_value,
        train_state: json(map, "train_state", path)?,
        threshold: threshold(map, path)?,
    };
    let class_names: Vec<String> = json(map, "class_names", path)?;
    if class_names != meta.preprocessing.class_names {
        let msg = format!(
            "metadata 'class_names' {:?} disagrees with the preprocessing's {:?} (damaged checkpoint?)",
            class_names, meta.preprocessing.class_names
        );
        return Err(Error::checkpoint(path, msg));
    }
    check_consistency(&meta, path)?;
    Ok(meta)
}

/// The metadata parsed, checks that its parts agree, so that a damaged or hand-made file is
/// refused here rather than making a backend allocate terabytes, overflow or index out of
/// bounds: a valid config, a spec whose layers fit together within the size limits, as many
/// class names as the head has classes, piecewise-linear edges that make bins (at least three,
/// finite, increasing), and a training state within the run's epochs. (An input
/// width that differs from the preprocessing's output is left to the backends' shape checks.)
fn check_consistency(meta: &CheckpointMeta, path: &Path) -> Result<()> {
    let err = |msg: String| Err(Error::checkpoint(path, msg));
    if let Err(e) = meta.config.validate() {
        return err(format!("metadata 'config' is not a valid config: {e}"));
    }
    if let Err(e) = meta.spec.validate() {
        return err(format!("metadata 'spec' is not a valid model: {e}"));
    }
    let spec = &meta.spec;
    let classes = meta.preprocessing.class_names.len();
    let expected = match spec.head {
        crate::spec::Head::Bce => 2,
        crate::spec::Head::Softmax { classes } => classes,
    };
    if classes != expected {
        return err(format!(
            "{classes} class names for a head of {expected} classes (damaged checkpoint?)"
        ));
    }
    if let Some(msg) = bad_piecewise_edges(&meta.preprocessing) {
        return err(msg);
    }
    let s = &meta.train_state;
    if s.epoch > meta.config.train.epochs || s.best_epoch > s.epoch {
        let msg = format!(
            "metadata 'train_state' has epoch {} and best epoch {} in a run of {} epochs (damaged checkpoint?)",
            s.epoch, s.best_epoch, meta.config.train.epochs
        );
        return err(msg);
    }
    Ok(())
}

/// What is wrong with the first numeric column whose piecewise-linear edges make no bins
/// (fewer than three, not increasing, not finite), if any.
fn bad_piecewise_edges(pre: &crate::preprocess::Preprocessor) -> Option<String> {
    pre.columns.iter().find_map(|c| match c {
        crate::preprocess::InputColumn::Numeric { name, bins, .. } if !bins.is_empty() => {
            let increasing = bins.windows(2).all(|p| p[0] < p[1]);
            let finite = bins.iter().all(|b| b.is_finite());
            (bins.len() < 3 || !increasing || !finite).then(|| {
                format!(
                    "metadata 'preprocessing': column '{name}' has piecewise-linear edges \
                     {bins:?}, not three or more increasing finite numbers (damaged checkpoint?)"
                )
            })
        }
        _ => None,
    })
}
