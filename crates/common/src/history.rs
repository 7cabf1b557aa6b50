//! The training history (the chapter's `save_history_csv`): one CSV schema for both backends.
//! The epoch loop (`fit`, in its run folder) rewrites `history.csv` atomically after every
//! epoch from [`COLUMNS`] and [`HistoryRow::to_csv_line`], so an interrupted run keeps its
//! curve; [`read`] reads it back (on resume, for plots and reports).
//!
//! Floats are written with Rust's shortest round-trip representation (`{:?}`), so reading a
//! history back gives the same bits, NaN (an undefined AUC) included.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::Path;

use crate::{Error, Result};

/// The CSV header, in column order.
pub const COLUMNS: [&str; 11] = [
    "epoch",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "val_f1",
    "val_auc",
    "val_bal_acc",
    "val_ap",
    "lr",
    "seconds",
];

/// The header of histories written before `val_bal_acc` and `val_ap` existed: still read (a
/// run from then resumes), those two columns read as NaN.
pub const COLUMNS_V1: [&str; 9] = [
    "epoch",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "val_f1",
    "val_auc",
    "lr",
    "seconds",
];

/// One epoch of history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's examples.
    pub train_loss: f64,
    /// Training accuracy over the epoch's examples (as seen during the steps).
    pub train_acc: f64,
    /// Validation loss.
    pub val_loss: f64,
    /// Validation accuracy.
    pub val_acc: f64,
    /// Validation macro F1.
    pub val_f1: f64,
    /// Validation ROC AUC (NaN when undefined).
    pub val_auc: f64,
    /// Validation balanced accuracy (the mean recall over the classes present).
    pub val_bal_acc: f64,
    /// Validation average precision (PR AUC; NaN when undefined).
    pub val_ap: f64,
    /// Learning rate used in this epoch.
    pub lr: f64,
    /// Wall-clock seconds of this epoch's training steps.
    pub seconds: f64,
}

impl HistoryRow {
    /// The value of a monitored metric by name (`val_loss`, `val_acc`, `val_f1`, `val_auc`,
    /// `val_bal_acc`, `val_ap`, `train_loss`, `train_acc`); `None` for an unknown name.
    pub fn metric(&self, name: &str) -> Option<f64> {
        match name {
            "val_loss" => Some(self.val_loss),
            "val_acc" => Some(self.val_acc),
            "val_f1" => Some(self.val_f1),
            "val_auc" => Some(self.val_auc),
            "val_bal_acc" => Some(self.val_bal_acc),
            "val_ap" => Some(self.val_ap),
            "train_loss" => Some(self.train_loss),
            "train_acc" => Some(self.train_acc),
            _ => None,
        }
    }
    /// The chapter's per-epoch line:
    /// `epoch=001 train_loss=0.6931 train_acc=0.5000 val_loss=0.6931 val_acc=0.5000`.
    pub fn chapter_line(&self) -> String {
        format!(
            "epoch={:03} train_loss={:.4} train_acc={:.4} val_loss={:.4} val_acc={:.4}",
            self.epoch, self.train_loss, self.train_acc, self.val_loss, self.val_acc
        )
    }
    /// The row as one CSV line (with its newline), floats in shortest round-trip form.
    pub fn to_csv_line(&self) -> String {
        let floats = [
            self.train_loss,
            self.train_acc,
            self.val_loss,
            self.val_acc,
            self.val_f1,
            self.val_auc,
            self.val_bal_acc,
            self.val_ap,
            self.lr,
            self.seconds,
        ];
        let mut line = self.epoch.to_string();
        for v in floats {
            // `{:?}` is the shortest text that parses back to the same f64 ("NaN", "inf" too).
            line.push_str(&format!(",{v:?}"));
        }
        line.push('\n');
        line
    }
}

/// A bad-data error on `path` at 1-based `row` (the header is row 1).
fn data_err(path: &Path, row: usize, column: Option<&str>, msg: String) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        row: Some(row),
        column: column.map(str::to_string),
        msg,
    }
}

/// Parses one record (at 1-based file row `row`, under the header `columns`) into a
/// [`HistoryRow`].
fn parse_record(
    path: &Path,
    row: usize,
    rec: &csv::StringRecord,
    columns: &[&str],
) -> Result<HistoryRow> {
    if rec.len() != columns.len() {
        let msg = format!(
            "expected {} fields ({}), found {}",
            columns.len(),
            columns.join(","),
            rec.len()
        );
        return Err(data_err(path, row, None, msg));
    }
    let float = |name: &str| -> Result<f64> {
        let Some(i) = columns.iter().position(|c| *c == name) else {
            return Ok(f64::NAN);
        };
        let text = rec[i].trim();
        text.parse::<f64>()
            .map_err(|_| data_err(path, row, Some(name), format!("'{text}' is not a number")))
    };
    let epoch_text = rec[0].trim();
    let epoch = epoch_text.parse::<usize>().map_err(|_| {
        data_err(
            path,
            row,
            Some("epoch"),
            format!("'{epoch_text}' is not a non-negative integer"),
        )
    })?;
    Ok(HistoryRow {
        epoch,
        train_loss: float("train_loss")?,
        train_acc: float("train_acc")?,
        val_loss: float("val_loss")?,
        val_acc: float("val_acc")?,
        val_f1: float("val_f1")?,
        val_auc: float("val_auc")?,
        val_bal_acc: float("val_bal_acc")?,
        val_ap: float("val_ap")?,
        lr: float("lr")?,
        seconds: float("seconds")?,
    })
}

/// Reads a history CSV back (errors name the file and row).
pub fn read(path: &Path) -> Result<Vec<HistoryRow>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file);
    let mut records = reader.records();
    let header = match records.next() {
        None => {
            return Err(data_err(
                path,
                1,
                None,
                "empty file: no history header".into(),
            ))
        }
        Some(rec) => rec.map_err(|e| data_err(path, 1, None, e.to_string()))?,
    };
    let found: Vec<&str> = header.iter().map(str::trim).collect();
    let columns: &[&str] = if found == COLUMNS_V1 {
        &COLUMNS_V1
    } else {
        &COLUMNS
    };
    if found != columns {
        let msg = format!(
            "not a twin-nets history: header is '{}', expected '{}'",
            found.join(","),
            COLUMNS.join(",")
        );
        return Err(data_err(path, 1, None, msg));
    }
    let mut rows = Vec::new();
    for rec in records {
        let rec = rec.map_err(|e| {
            let row = e.position().map_or(0, |p| p.line() as usize);
            data_err(path, row, None, e.to_string())
        })?;
        let row = rec.position().map_or(rows.len() + 2, |p| p.line() as usize);
        rows.push(parse_record(path, row, &rec, columns)?);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_map_to_fields() {
        let r = HistoryRow {
            epoch: 3,
            train_loss: 1.0,
            train_acc: 2.0,
            val_loss: 3.0,
            val_acc: 4.0,
            val_f1: 5.0,
            val_auc: 6.0,
            val_bal_acc: 6.5,
            val_ap: 6.75,
            lr: 7.0,
            seconds: 8.0,
        };
        let got: Vec<Option<f64>> = [
            "train_loss",
            "train_acc",
            "val_loss",
            "val_acc",
            "val_f1",
            "val_auc",
            "val_bal_acc",
            "val_ap",
        ]
        .iter()
        .map(|n| r.metric(n))
        .collect();
        assert_eq!(got, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.5, 6.75].map(Some));
        assert_eq!(r.metric("lr"), None);
        assert_eq!(r.metric("val_accuracy"), None);
    }
}
