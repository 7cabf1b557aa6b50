//! The run's TensorBoard event file (DESIGN "Tracking"): one more writer beside `history.csv`,
//! fed by the same per-epoch row. At step 0 a header (file version, the resolved config as
//! text, the hparams plugin's session start); one event per epoch (step = epoch) with the
//! row's scalars, the throughput and, with `train.log_grad_norms`, the gradient norms; at the
//! end of a run the best and final monitored metric (the HParams tab's columns) and the
//! session's end.
//!
//! The file is append-only while a run trains, so TensorBoard can tail it. Resuming after
//! epoch `k` cuts it (in place, no temporary file) after its last whole event of a step ≤ `k`:
//! the steps a killed process wrote past its checkpoint, a torn last record and the previous
//! session's end are dropped, so every step has one value and steps never go backwards (the
//! file's events are in step order, so what is dropped is always a tail). Steps ≤ `k` the file
//! lacks (the switch was off, or the file is gone) are written again from `history.csv`.

use std::collections::BTreeMap;
use std::path::Path;

use super::run_dir::EVENTS_FILE;
use super::{FitOptions, Run};
use crate::checkpoint::TrainState;
use crate::config::Config;
use crate::history::HistoryRow;
use crate::tensorboard::proto::event::What;
use crate::tensorboard::{self as tb, EventWriter, HParam};
use crate::{Error, Result};

/// The per-epoch scalars read straight from a history row: (TensorBoard tag, `history.csv`
/// column). TensorBoard groups the tags by the part before `/`, so train and validation share
/// a chart. A NaN (an undefined ROC AUC) is left out.
pub const EPOCH_SCALARS: [(&str, &str); 10] = [
    ("loss/train", "train_loss"),
    ("loss/val", "val_loss"),
    ("accuracy/train", "train_acc"),
    ("accuracy/val", "val_acc"),
    ("f1_macro/val", "val_f1"),
    ("roc_auc/val", "val_auc"),
    ("balanced_accuracy/val", "val_bal_acc"),
    ("average_precision/val", "val_ap"),
    ("optim/lr", "lr"),
    ("time/epoch_seconds", "seconds"),
];
/// Training examples per second of the epoch's steps (`n_train / seconds`).
pub const SAMPLES_PER_SEC_TAG: &str = "time/samples_per_sec";
/// The prefix of the per-parameter gradient norm tags (`grad_norm/net.0.weight`).
pub const GRAD_NORM_PREFIX: &str = "grad_norm/";
/// The prefix of the end-of-run metrics (`metrics/best_val_loss`, `metrics/final_val_loss`).
pub const METRICS_PREFIX: &str = "metrics/";

/// A row's value for a `history.csv` column of [`EPOCH_SCALARS`].
fn column(row: &HistoryRow, name: &str) -> f64 {
    match name {
        "lr" => row.lr,
        "seconds" => row.seconds,
        other => row.metric(other).unwrap_or(f64::NAN),
    }
}

/// The hyperparameters of a run: the config keys it varies (`opts.hparams`) with their
/// resolved values, and the seed. Numbers, strings and booleans are shown as such; anything
/// else (a list of layer widths) as its TOML text.
pub fn hparams(cfg: &Config, keys: &[String]) -> BTreeMap<String, HParam> {
    let tree = toml::Value::try_from(cfg).unwrap_or(toml::Value::Boolean(false));
    let mut out = BTreeMap::new();
    for key in keys.iter().map(String::as_str).chain(["seed"]) {
        let found = key.split('.').try_fold(&tree, |v, seg| v.get(seg));
        let value = match found {
            Some(toml::Value::Integer(i)) => HParam::Number(*i as f64),
            Some(toml::Value::Float(x)) => HParam::Number(*x),
            Some(toml::Value::Boolean(b)) => HParam::Bool(*b),
            Some(toml::Value::String(s)) => HParam::Text(s.clone()),
            Some(other) => HParam::Text(other.to_string()),
            None => continue,
        };
        out.insert(key.to_string(), value);
    }
    out
}

/// The run's event file, open for appending.
pub(super) struct EventLog {
    writer: EventWriter,
    n_train: usize,
}

impl EventLog {
    /// Opens the event file of a run starting (`state` = `None`) or resuming after
    /// `state.epoch` with history `rows`; `None` when `train.tensorboard` is off.
    pub(super) fn open(
        run: &Run<'_>,
        opts: &FitOptions,
        state: Option<&TrainState>,
        rows: &[HistoryRow],
    ) -> Result<Option<EventLog>> {
        let cfg = run.cfg;
        if !cfg.train.tensorboard {
            return Ok(None);
        }
        let path = opts.out_dir.join(EVENTS_FILE);
        let (writer, has_header, last_step) = match state {
            None => (EventWriter::create(&path)?, false, 0),
            Some(s) => resume_file(&path, s.epoch as i64)?,
        };
        let mut log = EventLog {
            writer,
            n_train: run.data.train.x.nrows(),
        };
        if !has_header {
            let now = tb::now();
            let config = format!("    {}", cfg.to_toml().trim_end().replace('\n', "\n    "));
            let start = tb::session_start(&hparams(cfg, &opts.hparams), now);
            let header = [
                tb::file_version(now),
                tb::summary(now, 0, vec![tb::text("config", &config), start]),
            ];
            log.writer.append(&header)?;
        }
        for row in rows.iter().filter(|r| r.epoch as i64 > last_step) {
            log.epoch(row, &[])?;
        }
        Ok(Some(log))
    }

    /// Appends one epoch's scalars (step = `row.epoch`).
    pub(super) fn epoch(&mut self, row: &HistoryRow, grad_norms: &[(String, f64)]) -> Result<()> {
        let mut values: Vec<_> = EPOCH_SCALARS
            .iter()
            .map(|(tag, col)| (*tag, column(row, col)))
            .filter(|(_, v)| !v.is_nan())
            .map(|(tag, v)| tb::scalar(tag, v))
            .collect();
        if row.seconds > 0.0 {
            let rate = self.n_train as f64 / row.seconds;
            values.push(tb::scalar(SAMPLES_PER_SEC_TAG, rate));
        }
        for (name, norm) in grad_norms {
            values.push(tb::scalar(&format!("{GRAD_NORM_PREFIX}{name}"), *norm));
        }
        let event = tb::summary(tb::now(), row.epoch as i64, values);
        self.writer.append(&[event])
    }

    /// Appends the end of the run at step `epoch`: the best and final monitored metric and
    /// the hparams session's end.
    pub(super) fn finish(
        &mut self,
        epoch: usize,
        monitor: &str,
        best: f64,
        last: f64,
    ) -> Result<()> {
        let now = tb::now();
        let values = vec![
            tb::scalar(&format!("{METRICS_PREFIX}best_{monitor}"), best),
            tb::scalar(&format!("{METRICS_PREFIX}final_{monitor}"), last),
            tb::session_end(now),
        ];
        self.writer
            .append(&[tb::summary(now, epoch as i64, values)])
    }
}

/// True for the events of a run's end ([`EventLog::finish`]).
fn is_end(event: &tb::proto::Event) -> bool {
    match &event.what {
        Some(What::Summary(s)) => s.value.iter().any(|v| {
            v.tag.starts_with(METRICS_PREFIX) || (tb::is_session_tag(&v.tag) && event.step > 0)
        }),
        _ => false,
    }
}

/// Cuts the event file after its last whole event of a step ≤ `epoch` (before the first
/// later, end-of-run or broken one) and opens it for appending: the writer, whether the kept
/// part holds the header, and the last step kept.
fn resume_file(path: &Path, epoch: i64) -> Result<(EventWriter, bool, i64)> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(path, e)),
    };
    let kept: Vec<_> = tb::read_events(&bytes)
        .into_iter()
        .take_while(|(e, _)| e.step <= epoch && !is_end(e))
        .collect();
    let has_header = kept
        .first()
        .is_some_and(|(e, _)| matches!(e.what, Some(What::FileVersion(_))));
    let (keep, last_step) = match (has_header, kept.last()) {
        (true, Some((e, end))) => (*end as u64, e.step),
        // No header: the file is rewritten from the history.
        _ => (0, 0),
    };
    if keep < bytes.len() as u64 {
        tracing::info!(
            dropped = bytes.len() as u64 - keep,
            "cut the event file back to epoch {last_step}"
        );
    }
    Ok((
        EventWriter::truncate_and_append(path, keep)?,
        has_header,
        last_step,
    ))
}
