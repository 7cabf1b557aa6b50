//! The loop itself (the chapter's `fit`: `for epoch in range(1, epochs+1)`: train one epoch,
//! validate, record, print), grown into what a real run needs: seeded per-epoch order,
//! schedule, best/last checkpoints, early stopping, exact resume and a clean stop on Ctrl-C
//! (checked before each step by the backends and after each epoch, see `interrupt`).
//! Everything random is derived from (seed, stream, epoch), so the loop state in a checkpoint
//! is a few numbers.
//!
//! An epoch's files (history, `last`, `best`) are written when `train.save_interval_s` has
//! passed since the previous save, at the final epoch, on an early stop and however the loop
//! ends (Ctrl-C, an error): in between, the epoch's weights wait in memory as a [`Snapshot`].
//! Short epochs then cost one set of fsyncs a second rather than one each, and every file on
//! disk is still a whole epoch's, written atomically, history before `last` before `best`.

use std::time::Instant;

use super::early_stop::{EarlyStopping, Improvement};
use super::pending::{Pending, Snapshot};
use super::persist::{interrupted_error, with_disk_hint};
use super::progress::{self, Progress};
use super::resume;
use super::run_dir::{self, CONFIG_FILE};
use super::schedule::LrSchedule;
use super::tracking::EventLog;
use super::{
    evaluate_split, interrupt, Backend, EpochCtx, EpochStats, FitOptions, FitOutcome, Run,
};
use crate::checkpoint::atomic::remove_stale_temp_files;
use crate::checkpoint::{write_atomic, TrainState};
use crate::fpenv::FlushDenormals;
use crate::history::HistoryRow;
use crate::seed::{self, Seeds, Stream};
use crate::{Error, Result};

/// One run in progress.
pub(super) struct Loop<'r, 'a> {
    run: &'r Run<'a>,
    opts: &'r FitOptions,
    seeds: Seeds,
    schedule: LrSchedule,
    stop: EarlyStopping,
    /// Every history row, those of a resumed run's earlier epochs included.
    rows: Vec<HistoryRow>,
    /// The TensorBoard event file, fed the same rows (none when `train.tensorboard` is off).
    events: Option<EventLog>,
    /// Last completed epoch (its history row recorded, its files perhaps not yet written).
    done: usize,
    /// The epochs trained but not yet saved, and the last saved one.
    pending: Pending,
    /// The epoch this process started after (0, or the resumed checkpoint's).
    start: usize,
    stopped_early: bool,
    progress: Progress,
    train_seconds: f64,
    train_samples: usize,
}

impl<'r, 'a> Loop<'r, 'a> {
    /// Prepares the run folder (resuming into it when asked) and the loop state.
    pub(super) fn start(
        backend: &mut dyn Backend,
        run: &'r Run<'a>,
        opts: &'r FitOptions,
    ) -> Result<Self> {
        let cfg = run.cfg;
        let dir = &opts.out_dir;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        // Every check before touching the folder: a refused run loses nothing.
        let clear = run_dir::claim(dir, opts.resume.as_deref(), opts.overwrite)?;
        let resumed = match &opts.resume {
            Some(path) => Some((path, resume::resume(backend, run, path)?)),
            None => None,
        };
        if clear {
            run_dir::clear_run_files(dir)?;
        }
        if let Some((path, ckpt)) = &resumed {
            resume::settle_best(path, ckpt, dir)?;
        }
        let state = resumed.map(|(_, ckpt)| ckpt.meta.train_state);
        let stale = remove_stale_temp_files(dir)?;
        if stale > 0 {
            tracing::info!(stale, "removed temporary files left by a killed run");
        }
        write_atomic(&dir.join(CONFIG_FILE), cfg.to_toml().as_bytes())?;
        let rows = run_dir::open_history(dir, state.as_ref())?;
        let events = EventLog::open(run, opts, state.as_ref(), &rows)?;
        let es = &cfg.train.early_stopping;
        let rule = Improvement {
            maximize: cfg.monitor_maximizes(),
            min_delta: es.min_delta,
        };
        let mut lp = Loop {
            run,
            opts,
            seeds: Seeds::new(cfg.seed),
            schedule: LrSchedule::new(&cfg.train.schedule, cfg.optim.lr, cfg.train.epochs, rule),
            stop: EarlyStopping::new(rule, es.enabled.then_some(es.patience)),
            rows,
            events,
            done: 0,
            pending: Pending::new(0),
            start: 0,
            stopped_early: false,
            progress: Progress::new(
                cfg.train.epochs,
                state.as_ref().map_or(0, |s| s.epoch),
                opts.quiet,
            ),
            train_seconds: 0.0,
            train_samples: 0,
        };
        if let Some(s) = &state {
            if s.epoch == cfg.train.epochs && !opts.quiet {
                crate::errln!(
                    "note: the checkpoint already holds epoch {0} of {0}: nothing left to train \
                     (raise train.epochs to continue); finishing the run's files",
                    s.epoch
                );
            }
            lp.schedule.restore(s);
            lp.stop.restore(s);
            lp.done = s.epoch;
            lp.pending = Pending::new(s.epoch);
            lp.start = s.epoch;
            // Says what the resumed process will do, so that a resume is never silent (a run
            // that had stopped early says so in `epochs`).
            if s.epoch < cfg.train.epochs && !lp.stop.should_stop() && !opts.quiet {
                let path = opts.resume.as_deref().unwrap_or(dir);
                crate::errln!(
                    "resume: {} holds epoch {}; training epochs {} to {} (train.epochs){}",
                    path.display(),
                    s.epoch,
                    s.epoch + 1,
                    cfg.train.epochs,
                    if es.enabled {
                        ", or until early stopping"
                    } else {
                        ""
                    }
                );
            }
        }
        Ok(lp)
    }

    /// Runs the remaining epochs, or until early stopping, or until an interrupt: checked
    /// after each epoch, and only when another epoch would follow (an interrupt during the
    /// final epoch lets the run complete). However it ends, what was trained is saved.
    pub(super) fn run(&mut self, backend: &mut dyn Backend) -> Result<()> {
        let result = self.epochs(backend);
        match (result, self.save(&*backend)) {
            (Ok(()), saved) => saved,
            // The error the loop ended on, unless saving failed too (then that one, whose
            // message says which epoch is intact on disk).
            (Err(e), Ok(())) => Err(e),
            (Err(_), Err(e)) => Err(e),
        }
    }

    /// Writes the files of the epochs trained since the last save (nothing when none was).
    fn save(&mut self, backend: &dyn Backend) -> Result<()> {
        self.pending
            .save(self.run, backend, &self.opts.out_dir, &self.rows)
    }

    /// The epochs themselves, for [`Loop::run`].
    fn epochs(&mut self, backend: &mut dyn Backend) -> Result<()> {
        let epochs = self.run.cfg.train.epochs;
        for epoch in self.done + 1..=epochs {
            // Checked before each epoch, so that resuming a run that already stopped early
            // does not train one more epoch.
            if self.stop.should_stop() {
                self.stopped_early = true;
                if epoch == self.start + 1 && self.start > 0 && !self.opts.quiet {
                    crate::errln!(
                        "note: the resumed run had stopped early ({} epochs without improvement, \
                         train.early_stopping.patience = {}): nothing trained; raise the patience \
                         or set train.early_stopping.enabled=false to continue",
                        self.stop.tracker.bad,
                        self.stop.patience.unwrap_or(0)
                    );
                }
                break;
            }
            self.epoch(backend, epoch)?;
            if epoch < epochs && !self.stop.should_stop() && interrupt::interrupted() {
                return Err(self.interrupted());
            }
        }
        Ok(())
    }

    /// Ends the run on an interrupt: the bar is left as it is, the error says how to resume.
    fn interrupted(&self) -> Error {
        self.progress.finish();
        interrupted_error(
            &self.opts.out_dir,
            self.done,
            self.start,
            self.opts.resume.as_deref(),
        )
    }

    /// One epoch: train, validate, record, print, checkpoint (when due).
    fn epoch(&mut self, backend: &mut dyn Backend, epoch: usize) -> Result<()> {
        let _span = tracing::info_span!("epoch", epoch).entered();
        let lr = self.schedule.lr(epoch);
        let (stats, seconds) = self.train(backend, epoch, lr)?;
        let row = self.row(backend, epoch, lr, seconds, &stats)?;
        let monitor = &self.run.cfg.train.monitor;
        let value = row
            .metric(monitor)
            .ok_or_else(|| Error::config("train.monitor", format!("unknown metric '{monitor}'")))?;
        progress::report(&self.progress, self.run.cfg, self.opts, &row, &stats, value);
        let improved = self.stop.observe(epoch, value);
        self.schedule.observe(value);
        let (dir, prev) = (&self.opts.out_dir, self.pending.saved);
        if let Some(events) = &mut self.events {
            events
                .epoch(&row, &stats.grad_norms)
                .map_err(|e| with_disk_hint(e, dir, prev))?;
        }
        self.rows.push(row);
        self.done = epoch;
        let snapshot = Snapshot {
            tensors: backend.export()?,
            value,
            state: self.state(&*backend),
        };
        self.pending.hold(snapshot, improved);
        let due = epoch == self.run.cfg.train.epochs
            || self.stop.should_stop()
            || self
                .pending
                .interval_passed(self.run.cfg.train.save_interval_s);
        if due {
            self.save(&*backend)?;
        }
        Ok(())
    }

    /// The backend's steps over this epoch's seeded order, timed.
    fn train(
        &mut self,
        backend: &mut dyn Backend,
        epoch: usize,
        lr: f64,
    ) -> Result<(EpochStats, f64)> {
        let cfg = self.run.cfg;
        let n_train = self.run.data.train.x.nrows();
        let order = seed::permutation(n_train, &mut self.seeds.epoch_rng(Stream::Shuffle, epoch));
        let ctx = EpochCtx::new(cfg, &self.seeds, epoch, lr)?;
        let start = Instant::now();
        let flush = FlushDenormals::new(cfg.train.flush_denormals);
        let stats = backend.train_epoch(&order, &ctx);
        drop(flush);
        let stats = match stats {
            // The backend stopped within the epoch: its partial epoch is dropped, unsaved.
            Err(Error::Interrupted { .. }) => return Err(self.interrupted()),
            other => other?,
        };
        let seconds = start.elapsed().as_secs_f64();
        // A backend should report divergence itself; this is the safety net, naming the
        // epoch's last batch (the latest point the loss can have gone bad).
        if !stats.loss_sum.is_finite() {
            let batch = n_train.div_ceil(cfg.train.batch_size).saturating_sub(1);
            return Err(Error::Diverged {
                epoch,
                batch,
                loss: stats.loss_sum,
            });
        }
        self.train_seconds += seconds;
        self.train_samples += stats.count;
        Ok((stats, seconds))
    }

    /// The history row: training means from the step statistics, metrics on validation.
    fn row(
        &self,
        backend: &mut dyn Backend,
        epoch: usize,
        lr: f64,
        seconds: f64,
        s: &EpochStats,
    ) -> Result<HistoryRow> {
        let data = self.run.data;
        let val = evaluate_split(backend, &data.val, self.run.spec, &data.class_names)?;
        let mean = |v: f64| {
            if s.count > 0 {
                v / s.count as f64
            } else {
                f64::NAN
            }
        };
        Ok(HistoryRow {
            epoch,
            train_loss: mean(s.loss_sum),
            train_acc: mean(s.correct as f64),
            val_loss: val.log_loss,
            val_acc: val.accuracy,
            val_f1: val.macro_f1,
            val_auc: val.roc_auc.unwrap_or(f64::NAN),
            val_bal_acc: val.balanced_accuracy,
            val_ap: val.average_precision.unwrap_or(f64::NAN),
            lr,
            seconds,
        })
    }

    /// The loop state after the last completed epoch.
    fn state(&self, backend: &dyn Backend) -> TrainState {
        TrainState {
            epoch: self.done,
            optim_step: backend.optim_step(),
            lr: self.schedule.lr(self.done + 1),
            best_value: self.stop.tracker.best,
            best_epoch: self.stop.best_epoch,
            bad_epochs: self.stop.tracker.bad,
            plateau_best: self.schedule.plateau.tracker.best,
            plateau_bad: self.schedule.plateau.tracker.bad,
        }
    }

    /// Restores the best weights when early stopping asks for it, ends the event file and
    /// reports the run.
    pub(super) fn finish(mut self, backend: &mut dyn Backend) -> Result<FitOutcome> {
        let es = &self.run.cfg.train.early_stopping;
        let best = self.stop.best_epoch;
        let monitor = &self.run.cfg.train.monitor;
        let last = self.rows.last().and_then(|r| r.metric(monitor));
        if let (Some(events), Some(last), Some(best)) =
            (&mut self.events, last, self.stop.tracker.best)
        {
            events.finish(self.done, monitor, best, last)?;
        }
        if es.enabled && es.restore_best && best > 0 && best != self.done {
            run_dir::restore_best(backend, &self.opts.out_dir, best)?;
        }
        self.progress.finish();
        Ok(FitOutcome {
            history: self.rows,
            best_epoch: best,
            best_value: self.stop.tracker.best.unwrap_or(f64::NAN),
            epochs_run: self.done,
            stopped_early: self.stopped_early,
            train_seconds: self.train_seconds,
            train_samples: self.train_samples,
        })
    }
}
