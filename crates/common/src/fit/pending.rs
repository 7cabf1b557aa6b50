//! The epochs a run has trained but not yet saved: `train.save_interval_s` lets a run of short
//! epochs write its files about once a second instead of once an epoch, so the loop keeps the
//! last completed epoch (and the best one, when a later epoch replaced it as the last) in
//! memory as a [`Snapshot`] until its files are due, then writes them in one commit.

use std::path::Path;
use std::time::Instant;

use super::persist::{checkpoint_bytes, with_disk_hint};
use super::run_dir::{self, BEST_FILE, HISTORY_FILE, LAST_FILE};
use super::{Backend, Run};
use crate::checkpoint::{write_atomic_all, TrainState};
use crate::history::HistoryRow;
use crate::tensor::NamedTensors;
use crate::Result;

/// A completed epoch whose files are not written yet: what `last.safetensors` (or
/// `best.safetensors`) of that epoch holds.
pub(super) struct Snapshot {
    /// The exported weights and optimizer state.
    pub(super) tensors: NamedTensors,
    /// The monitored metric's value.
    pub(super) value: f64,
    /// The loop state after the epoch.
    pub(super) state: TrainState,
}

/// What is trained but not on disk.
pub(super) struct Pending {
    /// Last epoch whose files are on disk.
    pub(super) saved: usize,
    /// When the files were last written (or the run started).
    last_save: Instant,
    /// The last completed epoch, when its files are not written yet.
    last: Option<Snapshot>,
    /// An earlier unsaved epoch that improved on the monitor, when it is not `last`.
    best: Option<Snapshot>,
    /// The best epoch is `last` (it improved and is not written yet).
    best_is_last: bool,
}

impl Pending {
    /// Nothing pending; `saved` epochs are on disk.
    pub(super) fn new(saved: usize) -> Self {
        Pending {
            saved,
            last_save: Instant::now(),
            last: None,
            best: None,
            best_is_last: false,
        }
    }

    /// Whether `interval` seconds have passed since the last save.
    pub(super) fn interval_passed(&self, interval: f64) -> bool {
        self.last_save.elapsed().as_secs_f64() >= interval
    }

    /// Keeps the epoch just completed in memory until its files are due, and the best one
    /// when a later epoch replaces it as the last.
    pub(super) fn hold(&mut self, snapshot: Snapshot, improved: bool) {
        let previous = self.last.replace(snapshot);
        if improved {
            self.best_is_last = true;
            self.best = None;
        } else if self.best_is_last {
            self.best_is_last = false;
            self.best = previous;
        }
    }

    /// Writes the files of the epochs held in memory: the history, then `last`, then `best`
    /// when an unsaved epoch improved. Nothing when everything is on disk.
    ///
    /// When the best epoch is an earlier one than `last`, it is committed first as if the run
    /// had stopped there (history up to it, `last` and `best` both that epoch), and then the
    /// history and `last` of the later epochs: a kill between any two renames leaves a `last`
    /// whose best epoch is either itself (resuming rewrites `best` from it) or on disk in
    /// `best.safetensors`. Saving `last` first would leave a checkpoint naming a best epoch whose
    /// weights exist nowhere.
    pub(super) fn save(
        &mut self,
        run: &Run<'_>,
        backend: &dyn Backend,
        dir: &Path,
        rows: &[HistoryRow],
    ) -> Result<()> {
        let Some(last) = self.last.take() else {
            return Ok(());
        };
        let prev = self.saved;
        let commit = |upto: usize, last: &Snapshot, best: Option<&Snapshot>| -> Result<()> {
            let bytes = |file: &str, s: &Snapshot| {
                checkpoint_bytes(run, backend, &s.tensors, &dir.join(file), s.value, &s.state)
            };
            // Rows are in epoch order.
            let history = run_dir::history_text(&rows[..rows.partition_point(|r| r.epoch <= upto)]);
            let last_bytes = bytes(LAST_FILE, last)?;
            let best_bytes = best.map(|b| bytes(BEST_FILE, b)).transpose()?;
            // History, then last, then best: `best.safetensors` never holds a later epoch than
            // `last`, and a kill between the renames is repaired when resuming
            // (`resume::settle_best`, which trims the history to `last`).
            let mut files = vec![
                (Path::new(HISTORY_FILE), history.as_bytes()),
                (Path::new(LAST_FILE), &last_bytes[..]),
            ];
            if let Some(b) = &best_bytes {
                files.push((Path::new(BEST_FILE), &b[..]));
            }
            write_atomic_all(dir, &files).map_err(|e| with_disk_hint(e, dir, prev))
        };
        match self.best.take() {
            Some(best) => {
                commit(best.state.epoch, &best, Some(&best))?;
                commit(last.state.epoch, &last, None)?;
            }
            None => {
                let best = self.best_is_last.then_some(&last);
                commit(last.state.epoch, &last, best)?;
            }
        }
        self.saved = last.state.epoch;
        self.best_is_last = false;
        self.last_save = Instant::now();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(e: usize) -> Snapshot {
        Snapshot {
            tensors: Vec::new(),
            value: e as f64,
            state: TrainState {
                epoch: e,
                ..TrainState::default()
            },
        }
    }

    /// (last epoch held, best epoch held apart from it, best is the last).
    fn held(p: &Pending) -> (Option<usize>, Option<usize>, bool) {
        let e = |s: &Option<Snapshot>| s.as_ref().map(|s| s.state.epoch);
        (e(&p.last), e(&p.best), p.best_is_last)
    }

    #[test]
    fn the_best_epoch_is_kept_when_a_worse_one_replaces_it_as_the_last() {
        let mut p = Pending::new(0);
        p.hold(epoch(1), true);
        assert_eq!(held(&p), (Some(1), None, true));
        p.hold(epoch(2), false);
        assert_eq!(held(&p), (Some(2), Some(1), false));
        p.hold(epoch(3), false);
        assert_eq!(
            held(&p),
            (Some(3), Some(1), false),
            "epoch 1 is still the best"
        );
        p.hold(epoch(4), true);
        assert_eq!(
            held(&p),
            (Some(4), None, true),
            "a new best drops the old one"
        );
    }
}
