//! What the TensorBoard tests share: TensorBoard's own reader (`scripts/tensorboard_check.py`
//! in the project's virtual environment, which must be there: a test that cannot read the
//! files fails) and the check that a run's event file says what its `history.csv` says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::fit::{EPOCH_SCALARS, HISTORY_FILE};
use common::history::{self, HistoryRow};
use serde_json::Value;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's python, the way `interop.rs` finds it (`TWIN_NETS_VENV`, else `.venv`).
pub fn python() -> PathBuf {
    let venv =
        std::env::var_os("TWIN_NETS_VENV").map_or_else(|| workspace().join(".venv"), PathBuf::from);
    let py = venv.join("bin/python");
    assert!(
        py.is_file(),
        "{} not found: the TensorBoard tests read event files with the tensorboard package of \
         the project's virtual environment; run `source scripts/libtorch.sh` first",
        py.display()
    );
    py
}

/// Runs `scripts/tensorboard_check.py ARGS` and parses its JSON answer.
pub fn check_script<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Value {
    let out = Command::new(python())
        .arg(workspace().join("scripts/tensorboard_check.py"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tensorboard_check.py failed: {stderr}"
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
}

/// What TensorBoard's EventAccumulator loads from a run folder (see the script).
pub fn dump(run_dir: &Path) -> Value {
    check_script(&[Path::new("dump").as_os_str(), run_dir.as_os_str()])
}

/// The run folder's history.
pub fn rows(run_dir: &Path) -> Vec<HistoryRow> {
    history::read(&run_dir.join(HISTORY_FILE)).unwrap()
}

/// A history column by name.
pub fn column(row: &HistoryRow, name: &str) -> f64 {
    match name {
        "lr" => row.lr,
        "seconds" => row.seconds,
        other => row.metric(other).unwrap(),
    }
}

/// `(step, value)` pairs of a tag in a dump's scalars.
pub fn points(dump: &Value, tag: &str) -> Vec<(u64, f64)> {
    dump["scalars"][tag]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| (p[0].as_u64().unwrap(), p[1].as_f64().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

/// Every per-epoch scalar of the event file against `history.csv`: one point per epoch, in
/// order, equal to the row's value as f32 (a NaN, an undefined AUC, has no point); and each
/// tag's raw records (before TensorBoard's own de-duplication) have one value per step.
pub fn matches_history(dump: &Value, rows: &[HistoryRow]) -> Result<(), String> {
    for (tag, col) in EPOCH_SCALARS {
        let want: Vec<(u64, f64)> = rows
            .iter()
            .map(|r| (r.epoch as u64, column(r, col)))
            .filter(|(_, v)| !v.is_nan())
            .map(|(s, v)| (s, f64::from(v as f32)))
            .collect();
        let got = points(dump, tag);
        if got != want {
            return Err(format!("{tag}: event file {got:?}, history.csv {want:?}"));
        }
        let raw: Vec<u64> = dump["raw_steps"][tag]
            .as_array()
            .map(|a| a.iter().map(|s| s.as_u64().unwrap()).collect())
            .unwrap_or_default();
        let steps: Vec<u64> = want.iter().map(|p| p.0).collect();
        if raw != steps {
            return Err(format!("{tag}: raw steps {raw:?}, expected {steps:?}"));
        }
    }
    Ok(())
}

/// The hparams of a run's session start: name → value as JSON.
pub fn hparams(dump: &Value) -> BTreeMap<String, Value> {
    let start = &dump["hparams"]["_hparams_/session_start_info"]["sessionStartInfo"]["hparams"];
    start
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}
