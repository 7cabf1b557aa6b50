//! May this run continue that checkpoint? The checks made before `--resume` loads anything:
//! the same config (except `train.epochs`, `train.early_stopping` and the diagnostics `train.log_grad_norms`,
//! `train.tensorboard`, `train.save_interval_s`, with `auto` choices compared as what they
//! resolve to), the same model spec and the same fitted preprocessing,
//! compared exactly (every number bit for bit), and a run no shorter than the checkpoint. A refusal names the
//! first field that differs and both values. Then the weights and optimizer state are loaded.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::run_dir::BEST_FILE;
use super::{Backend, Run};
use crate::checkpoint::{write_atomic, Checkpoint};
use crate::config::{Config, HeadKind, MonitorMode};
use crate::preprocess::resolved_scaling;
use crate::spec::{Head, ModelSpec};
use crate::{Error, Result};

/// Config keys that may differ between a checkpoint and the run resuming it: the length of
/// the run, its early stopping (so that a run which stopped early can be continued, with more
/// patience or none), the decision threshold (chosen after training, from the best epoch, so
/// it changes no trained number), and the diagnostics that change no number.
const RESUMABLE_CHANGES: [(&str, &str); 6] = [
    ("train", "epochs"),
    ("train", "early_stopping"),
    ("train", "log_grad_norms"),
    ("train", "tensorboard"),
    ("train", "save_interval_s"),
    ("train", "threshold"),
];

/// The first key (dotted, in sorted order) whose value differs between two configs, ignoring
/// `train.epochs`, `train.early_stopping`, `train.threshold`, `train.log_grad_norms`, `train.tensorboard` and `train.save_interval_s`, with
/// both values as TOML text. `auto` choices
/// (scaling, head, monitor mode) are compared as what they resolve to for `spec`, so the
/// no-argument chapter run and `configs/circle.toml`, which spells them out, are one run.
pub fn config_difference(
    ours: &Config,
    theirs: &Config,
    spec: &ModelSpec,
) -> Option<(String, String, String)> {
    let (mut a, mut b) = (
        as_table(&resolve_auto(ours, spec)),
        as_table(&resolve_auto(theirs, spec)),
    );
    for (section, key) in RESUMABLE_CHANGES {
        for t in [&mut a, &mut b] {
            if let Some(toml::Value::Table(s)) = t.get_mut(section) {
                s.remove(key);
            }
        }
    }
    first_toml_difference(&a, &b, "")
}

/// `cfg` with every `auto` choice replaced by what it means for this model.
fn resolve_auto(cfg: &Config, spec: &ModelSpec) -> Config {
    let mut c = cfg.clone();
    c.data.scaling = resolved_scaling(&cfg.data);
    c.model.head = match spec.head {
        Head::Bce => HeadKind::Bce,
        Head::Softmax { .. } => HeadKind::Softmax,
    };
    c.train.mode = if cfg.monitor_maximizes() {
        MonitorMode::Max
    } else {
        MonitorMode::Min
    };
    c
}

fn as_table(cfg: &Config) -> toml::Table {
    toml::from_str(&cfg.to_toml()).unwrap_or_default()
}

fn first_toml_difference(
    a: &toml::Table,
    b: &toml::Table,
    prefix: &str,
) -> Option<(String, String, String)> {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let show = |v: Option<&toml::Value>| v.map_or("(absent)".to_string(), |v| v.to_string());
    for k in keys {
        let key = dotted(prefix, k);
        match (a.get(k), b.get(k)) {
            (Some(toml::Value::Table(x)), Some(toml::Value::Table(y))) => {
                if let Some(d) = first_toml_difference(x, y, &key) {
                    return Some(d);
                }
            }
            (Some(toml::Value::Float(x)), Some(toml::Value::Float(y)))
                if x.to_bits() == y.to_bits() => {}
            (x, y) if x != y => return Some((key, show(x), show(y))),
            _ => {}
        }
    }
    None
}

fn dotted(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The first field (a dotted path such as `columns[2 "bill_depth_mm"].mean`) where two values
/// differ once serialized, with both values; numbers are compared bit for bit and shown in
/// full (`{:?}`), so a one-ulp difference is visible. `None` when they are identical.
pub fn exact_difference<T: Serialize>(ours: &T, theirs: &T) -> Option<(String, String, String)> {
    match (serde_json::to_value(ours), serde_json::to_value(theirs)) {
        (Ok(a), Ok(b)) => first_value_difference(&a, &b, String::new()),
        (Err(e), _) | (_, Err(e)) => Some((
            String::new(),
            format!("not serializable: {e}"),
            String::new(),
        )),
    }
}

fn first_value_difference(a: &Value, b: &Value, path: String) -> Option<(String, String, String)> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(u), Some(v)) => first_value_difference(u, v, dotted(&path, k)),
                (u, v) => Some((dotted(&path, k), show_value(u), show_value(v))),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (u, v))| {
                let label = match u.get("name").and_then(Value::as_str) {
                    Some(name) => format!("{path}[{i} {name:?}]"),
                    None => format!("{path}[{i}]"),
                };
                first_value_difference(u, v, label)
            })
        }
        (Value::Number(x), Value::Number(y)) => {
            let same = match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(i), Some(j), _, _) => i == j,
                (_, _, Some(i), Some(j)) => i == j,
                _ => x.as_f64().map(f64::to_bits) == y.as_f64().map(f64::to_bits),
            };
            (!same).then(|| (path, show_value(Some(a)), show_value(Some(b))))
        }
        _ => (a != b).then(|| (path, show_value(Some(a)), show_value(Some(b)))),
    }
}

fn show_value(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(Value::Number(n)) if n.is_f64() => format!("{:?}", n.as_f64().unwrap_or(f64::NAN)),
        Some(Value::Array(a)) => format!("a list of {}", a.len()),
        Some(v) => v.to_string(),
    }
}

/// Loads `path`, checks that this run may continue it, imports its weights and optimizer
/// state into `backend`, and returns the checkpoint (its loop state is where the run goes
/// on from). Nothing is written: see [`settle_best`] for the run folder.
pub(super) fn resume(backend: &mut dyn Backend, run: &Run<'_>, path: &Path) -> Result<Checkpoint> {
    let ckpt = Checkpoint::load(path)?;
    // A file whose tensors do not fit its own spec is damaged, whatever this run is.
    ckpt.check_against_spec(path)?;
    check_resumable(run, &ckpt, path)?;
    // Named here, with the file: a backend's own shape error would not name the checkpoint.
    ckpt.check_tensors_against(run.spec, path)?;
    backend.import(&ckpt.tensors)?;
    backend.set_optim_step(ckpt.meta.train_state.optim_step);
    Ok(ckpt)
}

/// The checks of [`resume`] that compare the checkpoint with this run, in the order a user
/// would fix them: config, model, preprocessing, then the length (a resumed run may not be
/// shorter than its checkpoint; one of equal length has nothing left to train, and the loop
/// says so and only finishes the run's files).
pub fn check_resumable(run: &Run<'_>, ckpt: &Checkpoint, path: &Path) -> Result<()> {
    let meta = &ckpt.meta;
    if let Some((key, ours, theirs)) = config_difference(run.cfg, &meta.config, run.spec) {
        return Err(Error::config(
            key,
            format!(
                "is {ours} but {theirs} in the checkpoint {} being resumed (only train.epochs, train.early_stopping, train.threshold and the diagnostics may change on resume)",
                path.display()
            ),
        ));
    }
    let differs = |what: &str, why: &str, d: Option<(String, String, String)>| {
        match d {
        None => Ok(()),
        Some((field, ours, theirs)) => Err(Error::checkpoint(
            path,
            format!("its {what} differs from this run's at {field}: {theirs} in the checkpoint, {ours} now ({why})"),
        )),
    }
    };
    differs(
        "model spec",
        "different data?",
        exact_difference(run.spec, &meta.spec),
    )?;
    differs(
        "fitted preprocessing",
        "the data changed since it was written",
        exact_difference(&run.data.pre, &meta.preprocessing),
    )?;
    let (done, epochs) = (meta.train_state.epoch, run.cfg.train.epochs);
    if done > epochs {
        return Err(Error::config(
            "train.epochs",
            format!(
                "is {epochs}, but the checkpoint {} already holds epoch {done}: a resumed run \
                 cannot be shorter; ask for more epochs (--set train.epochs={}), or evaluate it \
                 as it is (eval --checkpoint)",
                path.display(),
                done + 10
            ),
        ));
    }
    Ok(())
}

/// Makes the run folder's `best.safetensors` hold the resumed run's best epoch where that can
/// be known. When the resumed checkpoint is itself the best epoch, a kill may have come
/// between writing it and writing `best.safetensors` (the loop writes last, then best): the
/// best file is then rewritten from it, exactly as the loop would have. Otherwise, when the
/// folder has no best file, the one beside the resumed checkpoint is copied in.
pub(super) fn settle_best(resumed: &Path, ckpt: &Checkpoint, out_dir: &Path) -> Result<()> {
    let dst = out_dir.join(BEST_FILE);
    let s = &ckpt.meta.train_state;
    if s.best_epoch > 0 && s.best_epoch == s.epoch {
        let held = Checkpoint::load(&dst)
            .ok()
            .map(|c| c.meta.train_state.epoch);
        if held != Some(s.epoch) {
            let mut best = ckpt.clone();
            best.meta.kind = "best".into();
            best.save(&dst)?;
        }
        return Ok(());
    }
    let src: PathBuf = resumed.with_file_name(BEST_FILE);
    if src.is_file() && !dst.exists() {
        // Through `write_atomic`: a kill during the copy must not leave half a checkpoint.
        let bytes = std::fs::read(&src).map_err(|e| Error::io(&src, e))?;
        write_atomic(&dst, &bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
