//! The training history (the chapter's `save_history_csv`): one CSV schema for both backends,
//! one row appended and flushed (fsync) each epoch, so an interrupted run keeps its curve.

use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::Result;

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
    /// Learning rate used in this epoch.
    pub lr: f64,
    /// Wall-clock seconds of this epoch's training steps.
    pub seconds: f64,
}

impl HistoryRow {
    /// The value of a monitored metric by name (`val_loss`, `val_acc`, `val_f1`, `val_auc`,
    /// `train_loss`, `train_acc`); `None` for an unknown name.
    pub fn metric(&self, name: &str) -> Option<f64> {
        let _ = name;
        todo!()
    }
    /// The chapter's per-epoch line:
    /// `epoch=001 train_loss=0.6931 train_acc=0.5000 val_loss=0.6931 val_acc=0.5000`.
    pub fn chapter_line(&self) -> String {
        format!(
            "epoch={:03} train_loss={:.4} train_acc={:.4} val_loss={:.4} val_acc={:.4}",
            self.epoch, self.train_loss, self.train_acc, self.val_loss, self.val_acc
        )
    }
}

/// Appends rows to a history CSV, flushing and syncing each one.
pub struct HistoryWriter {
    file: std::fs::File,
    path: std::path::PathBuf,
}

impl HistoryWriter {
    /// Creates (truncates) `path` and writes the header.
    pub fn create(path: &Path) -> Result<Self> {
        let _ = path;
        todo!()
    }
    /// Opens an existing history for resuming: keeps rows with `epoch <= keep_epochs` (rewritten
    /// atomically), then appends. Creates it if missing.
    pub fn resume(path: &Path, keep_epochs: usize) -> Result<Self> {
        let _ = keep_epochs;
        let _ = path;
        todo!()
    }
    /// Appends one row, flushed and synced.
    pub fn append(&mut self, row: &HistoryRow) -> Result<()> {
        let _ = (row, &self.file, &self.path);
        todo!()
    }
}

/// Reads a history CSV back (errors name the file and row).
pub fn read(path: &Path) -> Result<Vec<HistoryRow>> {
    let _ = path;
    todo!()
}
