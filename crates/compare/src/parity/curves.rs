//! The f32 half of `compare parity`: whole training runs in single precision
//! (docs/PARITY.md explains the design and the numbers).
//!
//! In f32 the backends cannot agree to 1e-10: each rounds after every operation (2⁻²⁴ ≈ 6e-8
//! relative) and sums in its own order. Left to run freely, two f32 runs also drift apart by
//! more than rounding: training is chaotic, and once a ReLU unit, a max-pool winner or the sign
//! of a tiny gradient (which Adam turns into a full-size step) flips in one run and not in the
//! other, they follow different, equally valid trajectories. That happens between scratch f32
//! and scratch f64 (the same code) as often as between scratch and torch, so free-running
//! curves cannot be held to a tolerance that would detect a real difference.
//!
//! The check therefore runs the torch f32 backend *synchronised* to scratch f32: before every
//! step it loads scratch's weights and optimizer state, takes the same batch with the same
//! dropout masks, and the step's logits, loss, gradients and updated weights must agree to a
//! relative error ≤ [`F32_TOLERANCE`] (at the scales f32 resolves, [`Scale::F32`]), over every
//! step of every epoch
//! (schedules, momentum and Adam state included), as must the resulting loss curves
//! (per-epoch mean training loss, validation loss on the same weights).
//!
//! One thing can still set two synchronised f32 steps apart: a discrete decision on a near-tie.
//! When two inputs of a max-pool window, or a ReLU's input and zero, are closer than f32
//! rounding, one backend can pick the other branch and route a gradient elsewhere; the step's
//! logits and loss still agree, but some gradients differ at the size of one example's
//! contribution. Such a step is refereed by the exact step (torch in f64 from the same weights
//! and masks): if one f32 run agrees with it within the tolerance, the other took the other
//! side of a tie, and the step is recorded in [`CurveReport::branched`] instead of failing the
//! check, up to [`MAX_BRANCHED_FRACTION`] of the steps. A difference in how a backend computes
//! shows up in most steps and in neither f32 run agreeing with the exact one, and still fails.
//!
//! Beside it, the run reports what a user sees: a free-running torch f32 run and a scratch f64
//! run, and how far each f32 run drifts from the exact f64 one.

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

use super::{gather, ParityReport, Scale, ScratchStepper, StepRecord, TorchStepper};

/// The tolerance of the f32 check: relative error (max norm) of every tensor of a
/// synchronised step, and of the per-epoch losses. Measured: ≤ 4.1e-6 on every shipped config
/// (docs/PARITY.md).
pub const F32_TOLERANCE: f64 = 1e-4;

/// The largest fraction of synchronised steps (at least one step) that may be refereed as a
/// near-tie taken the other way ([`Branched`]) before the check fails.
pub const MAX_BRANCHED_FRACTION: f64 = 0.01;

/// The runs of the check, in the order of [`EpochLosses`]' arrays.
pub const RUNS: [&str; 4] = [
    "scratch f32",
    "torch f32 (synchronised)",
    "torch f32 (free-running)",
    "scratch f64",
];

/// One epoch of the four runs, in the order of [`RUNS`].
#[derive(Debug, Clone, PartialEq)]
pub struct EpochLosses {
    /// 1-based epoch.
    pub epoch: usize,
    /// The learning rate of the epoch's steps (the config's schedule, following scratch f32's
    /// validation metric for `plateau`).
    pub lr: f64,
    /// Mean training loss over the epoch's steps.
    pub train: [f64; 4],
    /// Validation loss after the epoch.
    pub val: [f64; 4],
}

/// A synchronised step whose two f32 runs differed beyond the tolerance while one of them
/// agreed with the exact (f64) step: the other took the other side of a near-tie.
#[derive(Debug, Clone, PartialEq)]
pub struct Branched {
    /// 1-based epoch.
    pub epoch: usize,
    /// 0-based step in the epoch.
    pub step: usize,
    /// The f32 run that left the exact step: `torch f32` or `scratch f32`.
    pub run: &'static str,
    /// The disagreement between the two f32 runs (the error the check would have raised).
    pub detail: String,
}

/// The curves, and the worst per-tensor errors of the synchronised steps.
#[derive(Debug, Clone)]
pub struct CurveReport {
    /// Every epoch.
    pub epochs: Vec<EpochLosses>,
    /// Scratch f32 vs synchronised torch f32, every step of every epoch except the
    /// [`CurveReport::branched`] ones.
    pub steps: ParityReport,
    /// Steps refereed as a near-tie taken the other way (not counted in `steps`' errors).
    pub branched: Vec<Branched>,
}

/// `|a − b| / max(|a|, |b|)` (0 when both are 0; infinite when either is not finite).
pub fn rel(a: f64, b: f64) -> f64 {
    super::rel_err(&[a], &[b])
}

impl CurveReport {
    /// The largest relative difference between the losses of runs `i` and `j`.
    pub fn max_between(&self, i: usize, j: usize) -> f64 {
        let each = self.epochs.iter();
        each.flat_map(|e| [rel(e.train[i], e.train[j]), rel(e.val[i], e.val[j])])
            .fold(0.0, f64::max)
    }
    /// The checked difference: scratch f32 vs synchronised torch f32, curves and steps.
    pub fn max_diff(&self) -> f64 {
        self.max_between(0, 1).max(self.steps.max())
    }
    /// A table: one line per epoch.
    pub fn render(&self) -> String {
        let mut s = String::from(
            "  epoch | train loss: scratch f32  torch f32 (sync)  rel Δ   | val loss: scratch f32  torch f32 (sync)  rel Δ   | free-running torch f32: train     val\n",
        );
        for e in &self.epochs {
            let (t, v) = (e.train, e.val);
            s.push_str(&format!(
                "  {:>5} | {:>23.6} {:>17.6}  {:<7.1e} | {:>21.6} {:>17.6}  {:<7.1e} | {:>29.6} {:>9.6}\n",
                e.epoch,
                t[0],
                t[1],
                rel(t[0], t[1]),
                v[0],
                v[1],
                rel(v[0], v[1]),
                t[2],
                v[2]
            ));
        }
        for b in &self.branched {
            s.push_str(&format!(
                "  near-tie at step {} of epoch {}: {} took the other branch (the exact f64 step \
                 agrees with the other run); {}\n",
                b.step, b.epoch, b.run, b.detail
            ));
        }
        s
    }
}

/// The four steppers of the check, and the referee of near-ties.
struct Runs {
    s32: ScratchStepper<f32>,
    sync: TorchStepper,
    free: TorchStepper,
    s64: ScratchStepper<f64>,
    /// Torch in f64, loaded with scratch f32's state when a step needs refereeing.
    exact: TorchStepper,
}

/// Trains the four runs for `cfg.train.epochs` epochs (no early stopping; the LR schedule
/// follows scratch f32's validation metric) and checks the synchronised pair within
/// `tolerance`; the error names the epoch, step and tensor, or the epoch and curve.
pub fn check_curves(
    cfg: &Config,
    data: &Prepared,
    spec: &ModelSpec,
    init: &NamedTensors,
    tolerance: f64,
) -> Result<CurveReport> {
    let w = &super::loss_weights(cfg, data, spec)?;
    let torch = |p| TorchStepper::new(spec, init, &cfg.optim, p)?.with_loss_weights(w.as_ref());
    let mut runs = Runs {
        s32: ScratchStepper::new(spec, init, &cfg.optim)?.with_loss_weights(w.as_ref()),
        sync: torch(Precision::F32)?,
        free: torch(Precision::F32)?,
        s64: ScratchStepper::new(spec, init, &cfg.optim)?.with_loss_weights(w.as_ref()),
        exact: torch(Precision::F64)?,
    };
    let rule = Improvement {
        maximize: cfg.monitor_maximizes(),
        min_delta: cfg.train.early_stopping.min_delta,
    };
    let epochs = cfg.train.epochs;
    let mut schedule = LrSchedule::new(&cfg.train.schedule, cfg.optim.lr, epochs, rule);
    let mut steps = ParityReport::new(tolerance);
    steps.what = "parity (f32)";
    steps.scale = Scale::F32;
    let mut report = CurveReport {
        epochs: Vec::new(),
        steps,
        branched: Vec::new(),
    };
    for epoch in 1..=epochs {
        report.steps.epoch = epoch;
        let lr = schedule.lr(epoch);
        let train = train_epoch(&mut runs, cfg, data, epoch, lr, &mut report)?;
        let (val, s32_logits) = validate(&mut runs, &data.val.x, &data.val.y, spec.head)?;
        schedule.observe(monitored(cfg, &s32_logits, data, spec.head));
        let row = EpochLosses {
            epoch,
            lr,
            train,
            val,
        };
        check_epoch(&row, tolerance)?;
        report.epochs.push(row);
    }
    check_branched(&report)?;
    Ok(report)
}

/// Refuses more near-ties taken the other way than [`MAX_BRANCHED_FRACTION`] of the steps.
fn check_branched(report: &CurveReport) -> Result<()> {
    let total = report.steps.steps + report.branched.len();
    let allowed = ((total as f64 * MAX_BRANCHED_FRACTION) as usize).max(1);
    if report.branched.len() <= allowed {
        return Ok(());
    }
    let first = &report.branched[0];
    Err(Error::Other(format!(
        "parity (f32): {} of {total} synchronised steps differ beyond the tolerance with one run \
         agreeing with the exact step, more than the {allowed} near-ties allowed; the first: \
         step {} of epoch {}: {}",
        report.branched.len(),
        first.step,
        first.epoch,
        first.detail
    )))
}

/// One epoch of steps for the four runs; returns their mean training losses.
fn train_epoch(
    runs: &mut Runs,
    cfg: &Config,
    data: &Prepared,
    epoch: usize,
    lr: f64,
    report: &mut CurveReport,
) -> Result<[f64; 4]> {
    let seeds = Seeds::new(cfg.seed);
    let dropout = seeds.epoch_seed(Stream::Dropout, epoch);
    runs.s32.set_dropout_seed(dropout);
    runs.s64.set_dropout_seed(dropout);
    let augmenter = Augmenter::new(&data.pre, &cfg.data.augment);
    let mut aug_rng = Rng::seed_from_u64(seeds.epoch_seed(Stream::Augment, epoch));
    let order = permutation(
        data.train.y.len(),
        &mut seeds.epoch_rng(Stream::Shuffle, epoch),
    );
    let mut sums = [0.0; 4];
    for (step, rows) in order.chunks(cfg.train.batch_size.max(1)).enumerate() {
        let (x, y) = gather(data, rows, augmenter.as_ref(), &mut aug_rng);
        let (state, count) = runs.s32.state();
        runs.sync.load_state(&state, count)?;
        let a = runs.s32.step(x.view(), &y, lr, true)?;
        let b = runs.sync.step(x.view(), &y, lr, &a.masks, true)?;
        let mut trial = report.steps.clone();
        match trial.compare(step, &a, &b) {
            Ok(()) => {
                report.steps = trial;
                report.steps.steps += 1;
            }
            Err(e) => match referee(runs, (&state, count), &x, &y, lr, (&a, &b), &report.steps) {
                Some(run) => report.branched.push(Branched {
                    epoch,
                    step,
                    run,
                    detail: e.to_string(),
                }),
                None => return Err(e),
            },
        }
        let c = runs.free.step(x.view(), &y, lr, &a.masks, false)?;
        let d = runs.s64.step(x.view(), &y, lr, false)?;
        for (s, l) in sums.iter_mut().zip([a.loss, b.loss, c.loss, d.loss]) {
            *s += l * rows.len() as f64;
        }
    }
    Ok(sums.map(|s| s / order.len().max(1) as f64))
}

/// Referees a step whose f32 runs `a` (scratch) and `b` (torch) disagree: the exact step
/// (torch in f64 from the same `state`, batch and masks) is compared with each, at `like`'s
/// tolerance and scales. Returns the run that left it when the other agrees with it, `None`
/// when neither does (or the exact step cannot be taken).
fn referee(
    runs: &mut Runs,
    (state, count): (&NamedTensors, u64),
    x: &Array2<f32>,
    y: &[usize],
    lr: f64,
    (a, b): (&StepRecord, &StepRecord),
    like: &ParityReport,
) -> Option<&'static str> {
    runs.exact.load_state(state, count).ok()?;
    let exact = runs.exact.step(x.view(), y, lr, &a.masks, true).ok()?;
    let agrees = |r: &StepRecord| {
        let mut check = ParityReport::new(like.tolerance);
        check.scale = like.scale;
        check.compare(0, r, &exact).is_ok()
    };
    if agrees(a) {
        Some("torch f32")
    } else if agrees(b) {
        Some("scratch f32")
    } else {
        None
    }
}

/// Validation losses of the four runs (the synchronised one on scratch f32's weights), and
/// scratch f32's logits.
fn validate(
    runs: &mut Runs,
    x: &Array2<f32>,
    y: &[usize],
    head: Head,
) -> Result<([f64; 4], Array2<f32>)> {
    let (state, count) = runs.s32.state();
    runs.sync.load_state(&state, count)?;
    let logits = [
        runs.s32.eval_logits(x.view())?,
        runs.sync.eval_logits(x.view())?,
        runs.free.eval_logits(x.view())?,
        runs.s64.eval_logits(x.view())?,
    ];
    let val = logits.each_ref().map(|l| loss_from_logits(l, y, head));
    let [s32, ..] = logits;
    Ok((val, s32))
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

/// Scratch f32 vs synchronised torch f32 on both curves of one epoch.
fn check_epoch(e: &EpochLosses, tolerance: f64) -> Result<()> {
    for (curve, v) in [("train loss", e.train), ("val loss", e.val)] {
        let d = rel(v[0], v[1]);
        if d > tolerance {
            return Err(Error::Other(format!(
                "parity (f32): epoch {}: {curve} differs: scratch {:.7}, torch {:.7} (same weights), relative difference {d:.2e} > tolerance {tolerance:.0e}",
                e.epoch, v[0], v[1]
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(steps: usize, branched: usize) -> CurveReport {
        let mut r = CurveReport {
            epochs: Vec::new(),
            steps: ParityReport::new(F32_TOLERANCE),
            branched: Vec::new(),
        };
        r.steps.steps = steps;
        for step in 0..branched {
            r.branched.push(Branched {
                epoch: 2,
                step,
                run: "torch f32",
                detail: format!("detail {step}"),
            });
        }
        r
    }

    #[test]
    fn near_ties_are_capped_at_one_percent_of_the_steps_and_at_least_one() {
        assert!(check_branched(&report(10, 0)).is_ok());
        assert!(
            check_branched(&report(9, 1)).is_ok(),
            "one is always allowed"
        );
        assert!(check_branched(&report(8, 2)).is_err());
        assert!(check_branched(&report(297, 3)).is_ok(), "1% of 300");
        let err = check_branched(&report(296, 4)).unwrap_err().to_string();
        for needle in [
            "4 of 300",
            "3 near-ties allowed",
            "step 0 of epoch 2: detail 0",
        ] {
            assert!(err.contains(needle), "'{needle}' not in: {err}");
        }
    }
}
