//! The f32 half of `compare parity`: whole training runs in single precision, whose loss
//! curves must track within a stated tolerance (docs/PARITY.md explains the number).
//!
//! In f32 the two backends cannot agree to 1e-10: each rounds after every operation (2⁻²⁴ ≈
//! 6e-8 relative) and sums in its own order, so their weights drift apart by rounding noise
//! that training then carries along. What must hold is that this drift stays of the size of
//! rounding noise, and the run measures that size itself: beside scratch f32 and torch f32 it
//! trains scratch in f64 from the same start, and reports how far scratch f32 is from its own
//! f64 run (the *noise floor*: the cost of f32 alone, with no second implementation involved).
//! All three take the same batches in the same order, with the same dropout masks.

use common::config::Config;
use common::data::{augment::Augmenter, Prepared};
use common::fit::{Improvement, LrSchedule};
use common::metrics::{evaluate, loss_from_logits};
use common::seed::{permutation, Rng, Seeds, Stream};
use common::spec::{Head, ModelSpec};
use common::tensor::NamedTensors;
use common::{Error, Result};
use ndarray::Array2;
use rand::SeedableRng;
use torch::Precision;

use super::{gather, ScratchStepper, TorchStepper};

/// The default tolerance of the f32 check: relative difference of the per-epoch mean train
/// loss and of the validation loss (see docs/PARITY.md for the measurements behind it).
pub const F32_TOLERANCE: f64 = 1e-3;

/// One epoch of the three runs: `[scratch f32, torch f32, scratch f64]`.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochLosses {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's steps.
    pub train: [f64; 3],
    /// Validation loss after the epoch.
    pub val: [f64; 3],
}

/// The curves and how far apart they are.
#[derive(Debug, Clone, Default)]
pub struct CurveReport {
    /// Every epoch.
    pub epochs: Vec<EpochLosses>,
    /// The tolerance applied to scratch f32 vs torch f32.
    pub tolerance: f64,
}

/// `|a − b| / max(|a|, |b|)` (0 when both are 0).
pub fn rel(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

impl CurveReport {
    /// The largest relative difference between scratch f32 and torch f32 (train and val).
    pub fn max_diff(&self) -> f64 {
        self.fold(|e| [rel(e.train[0], e.train[1]), rel(e.val[0], e.val[1])])
    }
    /// The largest relative difference between scratch f32 and scratch f64 (the noise floor).
    pub fn noise_floor(&self) -> f64 {
        self.fold(|e| [rel(e.train[0], e.train[2]), rel(e.val[0], e.val[2])])
    }
    fn fold(&self, f: impl Fn(&EpochLosses) -> [f64; 2]) -> f64 {
        self.epochs
            .iter()
            .flat_map(f)
            .fold(0.0, |m: f64, v| m.max(v))
    }
    /// A table: one line per epoch.
    pub fn render(&self) -> String {
        let mut s = String::from(
            "  epoch  train: scratch f32   torch f32   scratch f64 |   val: scratch f32   torch f32   scratch f64\n",
        );
        for e in &self.epochs {
            s.push_str(&format!(
                "  {:>5}  {:>18.6} {:>11.6} {:>13.6} | {:>17.6} {:>11.6} {:>13.6}\n",
                e.epoch, e.train[0], e.train[1], e.train[2], e.val[0], e.val[1], e.val[2]
            ));
        }
        s
    }
}

/// The three steppers of the check.
struct Runs {
    s32: ScratchStepper<f32>,
    t32: TorchStepper,
    s64: ScratchStepper<f64>,
}

/// Trains scratch f32, torch f32 and scratch f64 for `cfg.train.epochs` epochs (no early
/// stopping; the LR schedule follows scratch f32's validation metric) and checks that the
/// f32 curves agree within `tolerance`; the error names the first epoch and curve that do not.
pub fn check_curves(
    cfg: &Config,
    data: &Prepared,
    spec: &ModelSpec,
    init: &NamedTensors,
    tolerance: f64,
) -> Result<CurveReport> {
    let mut runs = Runs {
        s32: ScratchStepper::new(spec, init, &cfg.optim)?,
        t32: TorchStepper::new(spec, init, &cfg.optim, Precision::F32)?,
        s64: ScratchStepper::new(spec, init, &cfg.optim)?,
    };
    let rule = Improvement {
        maximize: cfg.monitor_maximizes(),
        min_delta: cfg.train.early_stopping.min_delta,
    };
    let epochs = cfg.train.epochs;
    let mut schedule = LrSchedule::new(&cfg.train.schedule, cfg.optim.lr, epochs, rule);
    let mut report = CurveReport {
        tolerance,
        ..CurveReport::default()
    };
    for epoch in 1..=epochs {
        let train = train_epoch(&mut runs, cfg, data, epoch, schedule.lr(epoch))?;
        let logits = [
            runs.s32.eval_logits(data.val.x.view())?,
            runs.t32.eval_logits(data.val.x.view())?,
            runs.s64.eval_logits(data.val.x.view())?,
        ];
        let val = logits
            .each_ref()
            .map(|l| loss_from_logits(l, &data.val.y, spec.head));
        schedule.observe(monitored(cfg, &logits[0], data, spec.head));
        let row = EpochLosses { epoch, train, val };
        check_epoch(&row, tolerance)?;
        report.epochs.push(row);
    }
    Ok(report)
}

/// One epoch of steps for the three runs; returns their mean training losses.
fn train_epoch(
    runs: &mut Runs,
    cfg: &Config,
    data: &Prepared,
    epoch: usize,
    lr: f64,
) -> Result<[f64; 3]> {
    let seeds = Seeds::new(cfg.seed);
    let dropout = seeds.epoch_seed(Stream::Dropout, epoch);
    runs.s32.set_dropout_seed(dropout);
    runs.s64.set_dropout_seed(dropout);
    let augmenter = Augmenter::new(&data.pre, &cfg.data.augment);
    let mut aug_rng = Rng::seed_from_u64(seeds.epoch_seed(Stream::Augment, epoch));
    let order = permutation(data.train.y.len(), &mut seeds.epoch_rng(Stream::Shuffle, epoch));
    let mut sums = [0.0; 3];
    for rows in order.chunks(cfg.train.batch_size.max(1)) {
        let (x, y) = gather(data, rows, augmenter.as_ref(), &mut aug_rng);
        let a = runs.s32.step(x.view(), &y, lr, false)?;
        let b = runs.t32.step(x.view(), &y, lr, &a.masks, false)?;
        let c = runs.s64.step(x.view(), &y, lr, false)?;
        for (s, l) in sums.iter_mut().zip([a.loss, b.loss, c.loss]) {
            *s += l * rows.len() as f64;
        }
    }
    Ok(sums.map(|s| s / order.len().max(1) as f64))
}

/// The value of `train.monitor` on the validation split (for the plateau schedule).
fn monitored(cfg: &Config, logits: &Array2<f32>, data: &Prepared, head: Head) -> f64 {
    let r = evaluate(logits, &data.val.y, head, &data.class_names);
    match cfg.train.monitor.as_str() {
        "val_acc" => r.accuracy,
        "val_f1" => r.macro_f1,
        "val_auc" => r.roc_auc.unwrap_or(f64::NAN),
        _ => r.log_loss,
    }
}

/// Scratch f32 vs torch f32 on both curves of one epoch.
fn check_epoch(e: &EpochLosses, tolerance: f64) -> Result<()> {
    for (curve, v) in [("train loss", e.train), ("val loss", e.val)] {
        let d = rel(v[0], v[1]);
        // `!(d <= tol)` also catches a NaN.
        if !(d <= tolerance) {
            return Err(Error::Other(format!(
                "parity (f32): epoch {}: {curve} differs: scratch {:.6}, torch {:.6}, relative difference {d:.2e} > tolerance {tolerance:.0e} (scratch f64: {:.6})",
                e.epoch, v[0], v[1], v[2]
            )));
        }
    }
    Ok(())
}
