//! The epoch loop, written once for every backend (the chapter's `train.train` / `fit`):
//! per epoch a seeded shuffle, the backend's step loop, validation metrics, a history row
//! (appended and flushed), the LR schedule, early stopping, best (by the monitored validation
//! metric) and last checkpoints, a progress bar on a terminal and tracing spans. A backend owns
//! only its step (forward → loss → backward → update) and its evaluation, behind [`Backend`].
//!
//! This file holds the contract (the trait and the run's inputs and outputs) and the entry
//! points; the loop is in `epoch_loop`, the schedules in `schedule`, early stopping in
//! `early_stop`, the run folder in `run_dir`, the resume checks in `resume`, the checkpoint writes and their
//! error messages in `persist`, Ctrl-C / SIGTERM in `interrupt`, the terminal output in
//! `progress`, the TensorBoard event file in `tracking`.

mod chunks;
mod early_stop;
mod epoch_loop;
mod inputs;
mod interrupt;
mod pending;
mod persist;
mod progress;
mod resume;
mod run_dir;
mod schedule;
mod throughput;
mod tracking;

pub use chunks::{eval_chunk, logits_in_chunks, EVAL_CHUNK, EVAL_CHUNK_BYTES};
pub use early_stop::{EarlyStopping, Improvement, Tracker};
pub use inputs::{
    check_batch_norm_batches, check_features, check_monitor_defined, check_order, check_train_set,
};
pub use interrupt::{check_interrupted, interrupted, request_interrupt, EXIT_INTERRUPTED};
pub use resume::{check_resumable, config_difference, exact_difference};
pub use run_dir::{
    clear_run_files, folder_of, same_folder, saved_run_files, BAD_FILES_FILE, BEST_FILE,
    CONFIG_FILE, CONFUSION_FILE, CURVES_FILE, EVENTS_FILE, HISTORY_FILE, LAST_FILE, RUN_FILES,
    SCHEMA_FILE, SCHEMA_JSON_FILE, SPLIT_FILE, TEST_METRICS_FILE,
};
pub use schedule::{LrSchedule, Plateau};
pub use throughput::{time_training, train_samples_per_sec, StepTime};
pub use tracking::{hparams, EPOCH_SCALARS, GRAD_NORM_PREFIX, METRICS_PREFIX, SAMPLES_PER_SEC_TAG};

use ndarray::Array2;
use std::path::PathBuf;

use crate::config::Config;
use crate::data::{Prepared, XY};
use crate::history::HistoryRow;
use crate::metrics::{self, Report};
use crate::seed::{Seeds, Stream};
use crate::spec::ModelSpec;
use crate::tensor::NamedTensors;
use crate::{Error, Result};

/// What the loop tells the backend about one epoch.
#[derive(Debug, Clone)]
pub struct EpochCtx {
    /// 1-based epoch.
    pub epoch: usize,
    /// Learning rate for every step of this epoch.
    pub lr: f64,
    /// Minibatch size (the last batch may be smaller); at least 1 (`config::validate` checks
    /// it, and so does [`EpochCtx::new`] for a config that skipped validation).
    pub batch_size: usize,
    /// Seed of this epoch's dropout masks (`Stream::Dropout`, epoch).
    pub dropout_seed: u64,
    /// Seed of this epoch's augmentation (`Stream::Augment`, epoch).
    pub augment_seed: u64,
    /// Collect per-parameter gradient L2 norms (of the epoch's last step).
    pub log_grad_norms: bool,
}

impl EpochCtx {
    /// The context of epoch `epoch` of a run of `cfg` (seeded by `seeds`) at learning rate
    /// `lr`: what the loop, and every benchmark timing the steps, hands the backend.
    pub fn new(cfg: &Config, seeds: &Seeds, epoch: usize, lr: f64) -> Result<Self> {
        if cfg.train.batch_size == 0 {
            return Err(Error::config("train.batch_size", "must be at least 1"));
        }
        Ok(EpochCtx {
            epoch,
            lr,
            batch_size: cfg.train.batch_size,
            dropout_seed: seeds.epoch_seed(Stream::Dropout, epoch),
            augment_seed: seeds.epoch_seed(Stream::Augment, epoch),
            log_grad_norms: cfg.train.log_grad_norms,
        })
    }
}

/// What one epoch of steps measured.
#[derive(Debug, Clone, Default)]
pub struct EpochStats {
    /// Sum over batches of (mean batch loss × batch size).
    pub loss_sum: f64,
    /// Correct predictions during the steps (before each update).
    pub correct: usize,
    /// Examples seen.
    pub count: usize,
    /// `(param name, ‖grad‖₂)` of the last step, when asked for.
    pub grad_norms: Vec<(String, f64)>,
}

/// A training backend: the step loop and evaluation, nothing else.
///
/// A backend is built with its training data, the model spec, initial weights and the
/// optimizer config; the loop then drives it epoch by epoch.
pub trait Backend {
    /// `scratch` or `torch`.
    fn name(&self) -> &'static str;
    /// Runs the training steps of one epoch over the training rows in `order`, in minibatches
    /// of `ctx.batch_size`. A non-finite loss is `Error::Diverged` naming epoch and batch.
    ///
    /// A backend calls [`check_interrupted`] before each minibatch and returns its
    /// `Error::Interrupted`: the loop drops the partial epoch unsaved and reports the last
    /// saved one. (A backend that does not poll is stopped after the epoch.)
    fn train_epoch(&mut self, order: &[usize], ctx: &EpochCtx) -> Result<EpochStats>;
    /// Logits of `x` in eval mode (no dropout, no gradient).
    ///
    /// # Shapes
    /// `x`: `[n, features]` → `[n, spec.n_outputs()]`.
    fn logits(&mut self, x: &Array2<f32>) -> Result<Array2<f32>>;
    /// Model parameters (`net.*`, spec order) then optimizer state (`optim.*`), on the host.
    fn export(&self) -> Result<NamedTensors>;
    /// Loads parameters (required) and optimizer state (where present) by name; shapes must
    /// match the spec (the error names the tensor).
    fn import(&mut self, tensors: &NamedTensors) -> Result<()>;
    /// Optimizer steps taken (Adam's bias correction counter).
    fn optim_step(&self) -> u64;
    /// Sets the optimizer step counter (on resume).
    fn set_optim_step(&mut self, step: u64);
}

/// How a run is driven.
#[derive(Debug, Clone, Default)]
pub struct FitOptions {
    /// The run folder: `config.toml`, `history.csv`, `best.safetensors`, `last.safetensors`.
    pub out_dir: PathBuf,
    /// No progress bar, no per-epoch lines.
    pub quiet: bool,
    /// Print the chapter's per-epoch line on stdout.
    pub chapter_lines: bool,
    /// Continue from this checkpoint (weights, optimizer, epoch, early-stopping state).
    pub resume: Option<PathBuf>,
    /// Replace the trained run that `out_dir` may hold (its run files are deleted once every
    /// check has passed). Without it such a folder is refused, unless `resume` names a
    /// checkpoint in it: a run is never replaced without being told to.
    pub overwrite: bool,
    /// The config keys this run varies (dotted, as given to `--set`: a sweep's grid keys, its
    /// fold): with the seed, the hyperparameters of the run's TensorBoard hparams summary.
    pub hparams: Vec<String>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct FitOutcome {
    /// All rows, including those of a resumed run's earlier epochs.
    pub history: Vec<HistoryRow>,
    /// Epoch of the best monitored value.
    pub best_epoch: usize,
    /// The best monitored value.
    pub best_value: f64,
    /// Last epoch run.
    pub epochs_run: usize,
    /// True when early stopping ended the run.
    pub stopped_early: bool,
    /// Seconds spent in training steps (this process only).
    pub train_seconds: f64,
    /// Training examples processed (this process only).
    pub train_samples: usize,
}

/// The fixed inputs of a run.
pub struct Run<'a> {
    /// The resolved config.
    pub cfg: &'a Config,
    /// The model spec.
    pub spec: &'a ModelSpec,
    /// The prepared data.
    pub data: &'a Prepared,
}

/// Trains `backend` for `cfg.train.epochs` epochs (or until early stopping), writing the run
/// folder as it goes. The resolved config is written before epoch 1.
///
/// Each epoch's order, dropout and augmentation seeds come from `Seeds::new(cfg.seed)` and the
/// epoch number alone, so `N` epochs in one go and `k` epochs then a resume to `N` give the
/// same numbers bit for bit (given a deterministic backend). On error (a diverged loss, a full
/// disk) the checkpoints and history rows of the completed epochs stay on disk.
///
/// Ctrl-C, SIGTERM or SIGHUP during the run (a handler is installed on the first call) end it
/// within the current step (the partial epoch is dropped), with `Error::Interrupted` saying
/// how to resume from the last saved epoch; a second
/// one exits the process at once with [`EXIT_INTERRUPTED`]. Every run-folder file is written
/// atomically, so no crash or kill leaves a partial `config.toml`, `history.csv`,
/// `best.safetensors` or `last.safetensors` (temporary files of a killed run are removed by
/// the next run in that folder).
pub fn fit(backend: &mut dyn Backend, run: &Run<'_>, opts: &FitOptions) -> Result<FitOutcome> {
    check_batch_norm_batches(run.spec, run.data.train.y.len(), run.cfg.train.batch_size)?;
    let (head, width) = (run.spec.head, run.spec.n_outputs());
    let names = &run.data.class_names;
    check_monitor_defined(&run.cfg.train.monitor, &run.data.val, head, width, names)?;
    let _watch = interrupt::Watch::start();
    let mut lp = epoch_loop::Loop::start(backend, run, opts)?;
    lp.run(backend)?;
    lp.finish(backend)
}

/// Logits of `x` in eval mode, checked against the spec's output width.
///
/// # Shapes
/// `x`: `[n, features]` → `[n, spec.n_outputs()]`.
pub fn checked_logits(
    backend: &mut dyn Backend,
    x: &Array2<f32>,
    spec: &ModelSpec,
) -> Result<Array2<f32>> {
    let logits = backend.logits(x)?;
    let want = (x.nrows(), spec.n_outputs());
    if logits.dim() != want {
        return Err(Error::Shape(format!(
            "the {} backend returned logits of shape [{}, {}] for {} rows; expected [{}, {}]",
            backend.name(),
            logits.nrows(),
            logits.ncols(),
            x.nrows(),
            want.0,
            want.1
        )));
    }
    Ok(logits)
}

/// Every metric of the model on one split (what the CLIs print for val and test).
///
/// # Shapes
/// `xy.x`: `[n, features]`, `xy.y`: `[n]`, with `n ≥ 1`.
pub fn evaluate_split(
    backend: &mut dyn Backend,
    xy: &XY,
    spec: &ModelSpec,
    class_names: &[String],
) -> Result<Report> {
    evaluate_split_at(backend, xy, spec, class_names, None)
}

/// [`evaluate_split`] with a binary model's decision threshold (`train.threshold`).
///
/// # Shapes
/// As [`evaluate_split`].
pub fn evaluate_split_at(
    backend: &mut dyn Backend,
    xy: &XY,
    spec: &ModelSpec,
    class_names: &[String],
    threshold: Option<f64>,
) -> Result<Report> {
    if xy.y.is_empty() {
        return Err(Error::Other(
            "cannot evaluate an empty split (no examples)".into(),
        ));
    }
    if xy.y.len() != xy.x.nrows() {
        let msg = format!("{} labels for {} feature rows", xy.y.len(), xy.x.nrows());
        return Err(Error::Shape(msg));
    }
    let logits = checked_logits(backend, &xy.x, spec)?;
    Ok(metrics::evaluate_at(
        &logits,
        &xy.y,
        spec.head,
        class_names,
        threshold,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_ctx_takes_the_config_and_refuses_an_empty_batch() {
        let mut cfg = Config::default();
        let seeds = Seeds::new(cfg.seed);
        let ctx = EpochCtx::new(&cfg, &seeds, 3, 0.5).unwrap();
        assert_eq!(
            (ctx.epoch, ctx.lr, ctx.batch_size),
            (3, 0.5, cfg.train.batch_size)
        );
        assert_eq!(ctx.dropout_seed, seeds.epoch_seed(Stream::Dropout, 3));
        assert_eq!(ctx.augment_seed, seeds.epoch_seed(Stream::Augment, 3));
        cfg.train.batch_size = 0;
        let msg = EpochCtx::new(&cfg, &seeds, 1, 0.5).unwrap_err().to_string();
        assert!(
            msg.contains("train.batch_size") && msg.contains("at least 1"),
            "{msg}"
        );
    }
}
