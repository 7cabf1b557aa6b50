//! What each finished run of a sweep measured, read back from its ordinary run folder: the
//! best epoch (from `best.safetensors`), the validation metrics of that epoch (from
//! `history.csv`), the test metrics (from `test_metrics.json`) and the training seconds; and
//! `DIR/summary.csv`, one row per run.

use std::path::Path;

use super::plan::{Manifest, RunPlan};
use crate::checkpoint::{write_atomic, Checkpoint};
use crate::fit::{BEST_FILE, HISTORY_FILE, TEST_METRICS_FILE};
use crate::{history, Error, Result};

/// The metrics of a run, in this order in every table.
pub const METRICS: [&str; 12] = [
    "val_loss",
    "val_acc",
    "val_f1",
    "val_auc",
    "val_bal_acc",
    "val_ap",
    "test_loss",
    "test_acc",
    "test_f1",
    "test_auc",
    "test_bal_acc",
    "test_ap",
];

/// How many of [`METRICS`] are validation metrics (the rest are the test split's).
pub const VAL_METRICS: usize = 6;

/// One finished run.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Which run.
    pub plan: RunPlan,
    /// The epoch of `best.safetensors`.
    pub best_epoch: usize,
    /// Epochs trained (early stopping may end a run before `train.epochs`).
    pub epochs_run: usize,
    /// [`METRICS`] in order (NaN when undefined or when there is no test split).
    pub metrics: [f64; 12],
    /// Training seconds over all epochs (from the history; not in summary.md).
    pub seconds: f64,
    /// Wall seconds of the process that finished the run (not in summary.md).
    pub wall: f64,
}

/// Reads the run folder `dir/<run>`.
pub fn read_run(dir: &Path, plan: &RunPlan) -> Result<RunResult> {
    let folder = dir.join(&plan.name);
    let best = Checkpoint::load(&folder.join(BEST_FILE))?;
    let best_epoch = best.meta.train_state.epoch;
    let hist_path = folder.join(HISTORY_FILE);
    let rows = history::read(&hist_path)?;
    let row = rows.iter().find(|r| r.epoch == best_epoch).ok_or_else(|| {
        Error::Other(format!(
            "{}: no row for the best epoch {best_epoch}",
            hist_path.display()
        ))
    })?;
    let mut metrics = [f64::NAN; 12];
    metrics[..VAL_METRICS].copy_from_slice(&[
        row.val_loss,
        row.val_acc,
        row.val_f1,
        row.val_auc,
        row.val_bal_acc,
        row.val_ap,
    ]);
    let test_path = folder.join(TEST_METRICS_FILE);
    if test_path.exists() {
        let text = std::fs::read_to_string(&test_path).map_err(|e| Error::io(&test_path, e))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::Other(format!("{}: {e}", test_path.display())))?;
        let num = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        metrics[VAL_METRICS..].copy_from_slice(&[
            num("log_loss"),
            num("accuracy"),
            num("macro_f1"),
            num("roc_auc"),
            num("balanced_accuracy"),
            num("average_precision"),
        ]);
    }
    Ok(RunResult {
        plan: plan.clone(),
        best_epoch,
        epochs_run: rows.iter().map(|r| r.epoch).max().unwrap_or(0),
        metrics,
        seconds: rows.iter().map(|r| r.seconds).sum(),
        wall: super::exec::wall_seconds(dir, plan),
    })
}

/// Reads every run of the plan; an unfinished one is an error naming how many are missing.
pub fn read_all(dir: &Path, runs: &[RunPlan]) -> Result<Vec<RunResult>> {
    let missing: Vec<&RunPlan> = runs
        .iter()
        .filter(|r| !super::exec::is_done(dir, r))
        .collect();
    if let Some(first) = missing.first() {
        return Err(Error::Other(format!(
            "{} of {} runs of the sweep in {} are not finished (the first: {}); run the \
             missing shards (or the sweep again) before summarizing",
            missing.len(),
            runs.len(),
            dir.display(),
            first.name
        )));
    }
    runs.iter().map(|r| read_run(dir, r)).collect()
}

/// Writes `DIR/summary.csv`: one row per run, in the sweep's order.
pub fn write_csv(dir: &Path, m: &Manifest, results: &[RunResult]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["run".to_string()];
    header.extend(m.grid.iter().map(|g| g.key.clone()));
    header.extend(["seed", "fold", "best_epoch", "epochs_run"].map(String::from));
    header.extend(METRICS.map(String::from));
    header.extend(["train_seconds", "wall_seconds"].map(String::from));
    let path = dir.join("summary.csv");
    let fail = |e: csv::Error| Error::Other(format!("{}: {e}", path.display()));
    w.write_record(&header).map_err(fail)?;
    for r in results {
        let mut rec = vec![r.plan.name.clone()];
        rec.extend(r.plan.values.iter().map(|(_, v)| v.clone()));
        rec.push(r.plan.seed.to_string());
        rec.push(r.plan.fold.map_or(String::new(), |f| f.to_string()));
        rec.push(r.best_epoch.to_string());
        rec.push(r.epochs_run.to_string());
        rec.extend(r.metrics.iter().map(|x| format!("{x:?}")));
        rec.push(format!("{:.3}", r.seconds));
        rec.push(format!("{:.3}", r.wall));
        w.write_record(&rec).map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Other(e.to_string()))?;
    write_atomic(&path, &bytes)
}
