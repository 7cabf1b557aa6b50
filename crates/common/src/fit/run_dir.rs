//! The run folder: the one list of what a run folder holds (used to write it, to tell whether
//! a folder already holds a run, to clear it on `--overwrite` and to clean after a crash), the
//! history CSV, and restoring the best weights.
//!
//! Every file but the event file (append-only, see `tracking`) is written with
//! `checkpoint::write_atomic` (a `<file>.tmp-<pid>` then a rename),
//! so a kill leaves complete files plus, at worst, a temporary file of a dead process: the next
//! run in the folder removes those, whatever their name (`atomic::remove_stale_temp_files`).

use std::path::{Path, PathBuf};

use super::Backend;
use crate::checkpoint::{write_atomic, Checkpoint, TrainState};
use crate::history::{self, HistoryRow};
use crate::{Error, Result};

/// The resolved config, written before epoch 1.
pub const CONFIG_FILE: &str = "config.toml";
/// The history CSV, one row per epoch.
pub const HISTORY_FILE: &str = "history.csv";
/// The learning curves drawn from the history after the run.
pub const CURVES_FILE: &str = "curves.svg";
/// The checkpoint of the best monitored epoch.
pub const BEST_FILE: &str = "best.safetensors";
/// The checkpoint of the latest epoch.
pub const LAST_FILE: &str = "last.safetensors";
/// The best checkpoint's metrics on the test split, when the config has one.
pub const TEST_METRICS_FILE: &str = "test_metrics.json";
/// The column schema as a table (a one-line note for generated and image data).
pub const SCHEMA_FILE: &str = "schema.txt";
/// The same schema for programs (`common::schema::Schema` as JSON: every column's name, kind,
/// missing count, levels and why; `scripts/sklearn_baseline.py` reads it), so that a column
/// name with spaces or commas is never split.
pub const SCHEMA_JSON_FILE: &str = "schema.json";
/// The TensorBoard event file (`tracking`), unless `train.tensorboard` is off. One fixed name
/// per run folder (a run appends to it, a resume cuts it back), so that it is one entry of
/// this list; TensorBoard finds any file whose name contains `tfevents`, and TensorFlow's
/// `events.out.tfevents.` prefix keeps it recognisable. Its folder is the run's name in
/// TensorBoard: `compare`'s `scratch/` and `torch/`, a sweep's run folders.
pub const EVENTS_FILE: &str = "events.out.tfevents.twin-nets";

/// The rows of each split (0-based data rows of the dataset, header excluded) and the fold,
/// so another tool can train on exactly the same rows (`scripts/sklearn_baseline.py`).
pub const SPLIT_FILE: &str = "split.json";

/// The image files a run left out as unreadable (`data.image.bad_files = "skip"`), one per
/// line: the path relative to `data.path`, a tab, the reason. Only when there were some.
pub const BAD_FILES_FILE: &str = "bad_files.txt";
/// The confusion matrix as a picture, written by `eval` beside the checkpoint it evaluates
/// (image models, or any with `--confusion-svg`).
pub const CONFUSION_FILE: &str = "confusion.svg";

/// Every file a run folder may hold, in the order a run writes them. Anything that writes into
/// a run folder names its file with one of these constants; a unit test trains a real run and
/// checks that the folder holds nothing else.
pub const RUN_FILES: [&str; 12] = [
    CONFIG_FILE,
    SCHEMA_FILE,
    SCHEMA_JSON_FILE,
    SPLIT_FILE,
    HISTORY_FILE,
    EVENTS_FILE,
    LAST_FILE,
    BEST_FILE,
    CURVES_FILE,
    TEST_METRICS_FILE,
    BAD_FILES_FILE,
    CONFUSION_FILE,
];

/// The files whose presence means that `dir` holds a trained run (at least one saved epoch),
/// which a new run must not replace unless told to. A folder with only `config.toml` and an
/// empty history holds a run that saved nothing: starting again there loses nothing.
pub fn saved_run_files(dir: &Path) -> Vec<PathBuf> {
    [LAST_FILE, BEST_FILE, TEST_METRICS_FILE]
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.exists())
        .collect()
}

/// Deletes the run files of `dir` (the [`RUN_FILES`], nothing else), for `--overwrite`:
/// what the old run leaves must not be mistaken for the new run's (an old `best.safetensors`
/// when the new run is stopped before its first epoch).
pub fn clear_run_files(dir: &Path) -> Result<()> {
    for f in RUN_FILES {
        let path = dir.join(f);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    Ok(())
}

/// The folder holding a file (`.` for a bare file name).
pub fn folder_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// True when `a` and `b` name the same existing folder (after resolving links and `..`).
pub fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// May a run write into `dir`? Yes when it holds no trained run, or when the run resumes a
/// checkpoint of that folder (continuing it). Otherwise only with `overwrite`, and then the
/// answer is `true`: the old run's files must be cleared (by the caller, once every other
/// check has passed, so that a refused run loses nothing). Without `overwrite` the error names
/// the folder, what it holds and the three ways on.
pub(super) fn claim(dir: &Path, resume: Option<&Path>, overwrite: bool) -> Result<bool> {
    let saved = saved_run_files(dir);
    if saved.is_empty() || resume.is_some_and(|r| same_folder(&folder_of(r), dir)) {
        return Ok(false);
    }
    if overwrite {
        return Ok(true);
    }
    let names: Vec<String> = saved
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    Err(Error::Other(format!(
        "the run folder {} already holds a trained run ({}); nothing was changed. To continue \
         that run: --resume {}; to keep it and train anew: --out <another folder>; to replace \
         it: --overwrite",
        dir.display(),
        names.join(", "),
        dir.join(LAST_FILE).display()
    )))
}

/// Prepares the history CSV and returns its rows so far: none for a fresh run (the file is
/// written with the first epoch's checkpoint), or, when resuming after `state.epoch`, the rows
/// up to that epoch, rewritten at once (later rows belonged to a run that went on past the
/// checkpoint, and must not outlive it if this run is killed before it saves; an absent file
/// starts empty). The file is rewritten atomically, so a crash at any moment leaves a readable file.
pub(super) fn open_history(dir: &Path, state: Option<&TrainState>) -> Result<Vec<HistoryRow>> {
    let path = dir.join(HISTORY_FILE);
    let rows: Vec<HistoryRow> = match state {
        Some(s) if path.exists() => history::read(&path)?
            .into_iter()
            .filter(|r| r.epoch <= s.epoch)
            .collect(),
        _ => return Ok(Vec::new()),
    };
    write_history(dir, &rows)?;
    Ok(rows)
}

/// Rewrites the whole history CSV atomically (temp file, fsync, rename) with `rows`.
///
/// Rewriting instead of appending costs O(epochs) bytes per save (a 1,000-epoch history is
/// about 150 kB; saves come at most once per `train.save_interval_s`), and buys that a kill at
/// any moment leaves either the previous file or the new one: an append cut short by a crash
/// would leave a torn last line.
pub(super) fn write_history(dir: &Path, rows: &[HistoryRow]) -> Result<()> {
    write_atomic(&dir.join(HISTORY_FILE), history_text(rows).as_bytes())
}

/// The history CSV's text: the header, then one line per row.
pub(super) fn history_text(rows: &[HistoryRow]) -> String {
    let mut text = history::COLUMNS.join(",");
    text.push('\n');
    for row in rows {
        text.push_str(&row.to_csv_line());
    }
    text
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
