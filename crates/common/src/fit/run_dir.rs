//! The run folder and resuming into it: the file names and the checks that a
//! checkpoint may be resumed by this run (same config except `train.epochs`, same model, same
//! preprocessing) before its weights and optimizer state are loaded.

use std::path::{Path, PathBuf};

use super::{Backend, Run};
use crate::checkpoint::{write_atomic, Checkpoint, TrainState};
use crate::config::Config;
use crate::history::{self, HistoryRow};
use crate::{Error, Result};

/// The resolved config, written before epoch 1.
pub const CONFIG_FILE: &str = "config.toml";
/// The history CSV, one row per epoch.
pub const HISTORY_FILE: &str = "history.csv";
/// The checkpoint of the best monitored epoch.
pub const BEST_FILE: &str = "best.safetensors";
/// The checkpoint of the latest epoch.
pub const LAST_FILE: &str = "last.safetensors";

/// Config keys that may differ between a checkpoint and the run resuming it: the length of
/// the run, and a diagnostic that changes no number.
const RESUMABLE_CHANGES: [(&str, &str); 2] = [("train", "epochs"), ("train", "log_grad_norms")];

/// The first key (dotted, in sorted order) whose value differs between two configs, ignoring
/// `train.epochs` and `train.log_grad_norms`, with both values as TOML text.
pub fn config_difference(ours: &Config, theirs: &Config) -> Option<(String, String, String)> {
    let (mut a, mut b) = (as_table(ours), as_table(theirs));
    for (section, key) in RESUMABLE_CHANGES {
        for t in [&mut a, &mut b] {
            if let Some(toml::Value::Table(s)) = t.get_mut(section) {
                s.remove(key);
            }
        }
    }
    first_difference(&a, &b, "")
}

fn as_table(cfg: &Config) -> toml::Table {
    toml::from_str(&cfg.to_toml()).unwrap_or_default()
}

fn first_difference(
    a: &toml::Table,
    b: &toml::Table,
    prefix: &str,
) -> Option<(String, String, String)> {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let show = |v: Option<&toml::Value>| v.map_or("(absent)".to_string(), |v| v.to_string());
    for k in keys {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match (a.get(k), b.get(k)) {
            (Some(toml::Value::Table(x)), Some(toml::Value::Table(y))) => {
                if let Some(d) = first_difference(x, y, &key) {
                    return Some(d);
                }
            }
            (x, y) if x != y => return Some((key, show(x), show(y))),
            _ => {}
        }
    }
    None
}

/// Loads `path`, checks that this run may continue it, imports its weights and optimizer
/// state into `backend`, and returns its loop state. When the run folder has no
/// `best.safetensors` yet, the one beside the checkpoint is copied in (restore-best needs it).
pub(super) fn resume(
    backend: &mut dyn Backend,
    run: &Run<'_>,
    out_dir: &Path,
    path: &Path,
) -> Result<TrainState> {
    let ckpt = Checkpoint::load(path)?;
    // A file whose tensors do not fit its own spec is damaged, whatever this run is.
    ckpt.check_against_spec(path)?;
    let meta = &ckpt.meta;
    if let Some((key, ours, theirs)) = config_difference(run.cfg, &meta.config) {
        return Err(Error::config(
            key,
            format!(
                "is {ours} but {theirs} in the checkpoint {} being resumed (only train.epochs may change on resume)",
                path.display()
            ),
        ));
    }
    if meta.spec != *run.spec {
        return Err(Error::checkpoint(
            path,
            "its model spec differs from this run's (different data?)",
        ));
    }
    let json = |p| serde_json::to_string(p).unwrap_or_default();
    if json(&meta.preprocessing) != json(&run.data.pre) {
        return Err(Error::checkpoint(
            path,
            "its fitted preprocessing differs from this run's: the data changed since it was written",
        ));
    }
    // Named here, with the file: a backend's own shape error would not name the checkpoint.
    ckpt.check_tensors_against(run.spec, path)?;
    backend.import(&ckpt.tensors)?;
    backend.set_optim_step(meta.train_state.optim_step);
    settle_best(path, &ckpt, out_dir)?;
    Ok(meta.train_state.clone())
}

/// Makes the run folder's `best.safetensors` hold the resumed run's best epoch where that can
/// be known. When the resumed checkpoint is itself the best epoch, a kill may have come
/// between writing it and writing `best.safetensors` (the loop writes last, then best): the
/// best file is then rewritten from it, exactly as the loop would have. Otherwise, when the
/// folder has no best file, the one beside the resumed checkpoint is copied in.
fn settle_best(resumed: &Path, ckpt: &Checkpoint, out_dir: &Path) -> Result<()> {
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

/// Prepares the history CSV and returns its rows so far: none for a fresh run (the file is
/// created with its header), or, when resuming after `state.epoch`, the rows up to that epoch
/// (later rows belonged to a run that went on past the checkpoint; an absent file starts
/// empty). The file is rewritten atomically, so a crash at any moment leaves a readable file.
pub(super) fn open_history(dir: &Path, state: Option<&TrainState>) -> Result<Vec<HistoryRow>> {
    let path = dir.join(HISTORY_FILE);
    let rows = match state {
        Some(s) if path.exists() => history::read(&path)?
            .into_iter()
            .filter(|r| r.epoch <= s.epoch)
            .collect(),
        _ => Vec::new(),
    };
    write_history(dir, &rows)?;
    Ok(rows)
}

/// Rewrites the whole history CSV atomically (temp file, fsync, rename) with `rows`.
///
/// Rewriting instead of appending costs O(epochs) bytes per epoch (a 1,000-epoch history is
/// about 150 kB), and buys that a kill at any moment leaves either the previous file or the
/// new one: an append cut short by a crash would leave a torn last line.
pub(super) fn write_history(dir: &Path, rows: &[HistoryRow]) -> Result<()> {
    let mut text = history::COLUMNS.join(",");
    text.push('\n');
    for row in rows {
        text.push_str(&row.to_csv_line());
    }
    write_atomic(&dir.join(HISTORY_FILE), text.as_bytes())
}

/// The run-folder files whose temporary copies [`remove_stale_temp_files`] may delete.
const RUN_FILES: [&str; 5] = [
    CONFIG_FILE,
    HISTORY_FILE,
    BEST_FILE,
    LAST_FILE,
    "test_metrics.json",
];

/// Deletes the `<file>.tmp-<pid>` leftovers of a process killed while writing one of the run
/// files (`write_atomic`'s temporary names); returns how many. The files themselves are never
/// touched. Two runs must not share a folder, so another pid's temp file is a dead one's.
pub(super) fn remove_stale_temp_files(dir: &Path) -> Result<usize> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let own = std::process::id().to_string();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = RUN_FILES.iter().find_map(|f| {
            name.strip_prefix(f)
                .and_then(|rest| rest.strip_prefix(".tmp-"))
                .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        });
        if pid.is_some_and(|p| p != own) && entry.path().is_file() {
            std::fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Loads the model tensors of the run folder's `best.safetensors` into `backend`, after
/// checking that it is the best epoch of this run (`best_epoch`).
pub(super) fn restore_best(
    backend: &mut dyn Backend,
    out_dir: &Path,
    best_epoch: usize,
) -> Result<()> {
    let path = out_dir.join(BEST_FILE);
    let ckpt = Checkpoint::load(&path)?;
    let epoch = ckpt.meta.train_state.epoch;
    if epoch != best_epoch {
        let msg = format!("holds epoch {epoch}, but the best epoch of this run is {best_epoch}");
        return Err(Error::checkpoint(&path, msg));
    }
    tracing::info!(epoch, "restoring the best weights");
    backend.import(&ckpt.model_tensors())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difference_ignores_epochs_and_names_the_key() {
        let a = Config::default();
        let mut b = a.clone();
        b.train.epochs = 99;
        b.train.log_grad_norms = true;
        assert_eq!(config_difference(&a, &b), None);
        b.optim.lr = 0.25;
        b.train.schedule.gamma = 0.5;
        let (key, ours, theirs) = config_difference(&a, &b).unwrap();
        assert_eq!(
            (key.as_str(), ours.as_str(), theirs.as_str()),
            ("optim.lr", "0.5", "0.25")
        );
        b.optim.lr = a.optim.lr;
        assert_eq!(config_difference(&a, &b).unwrap().0, "train.schedule.gamma");
        b = a.clone();
        b.data.target = Some("y".into());
        assert_eq!(
            config_difference(&a, &b).unwrap(),
            ("data.target".into(), "(absent)".into(), "\"y\"".into())
        );
    }
}
