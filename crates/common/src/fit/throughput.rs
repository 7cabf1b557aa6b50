//! Throughput measurement for the benches: the loop's own per-epoch order and seeds, but only
//! the training steps are timed (no validation, no files), so both backends' `bench`
//! subcommands and `compare bench` measure the same thing the same way.
//!
//! Besides wall-clock time it records the CPU time of the process's threads over the same steps
//! (Linux): on a machine shared with other jobs the wall clock partly measures the others,
//! while CPU time stays close to the work done.

use std::time::Instant;

use super::{Backend, EpochCtx};
use crate::config::Config;
use crate::fpenv::FlushDenormals;
use crate::seed::{permutation, Seeds, Stream};
use crate::Result;

/// Time spent in the training steps of a [`time_training`] run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepTime {
    /// Training samples processed.
    pub samples: usize,
    /// Wall-clock seconds in `Backend::train_epoch`.
    pub seconds: f64,
    /// CPU seconds of all the process's threads over the same calls (`None` where the OS does
    /// not say, i.e. off Linux).
    pub cpu_seconds: Option<f64>,
}

impl StepTime {
    /// Training samples per wall-clock second.
    pub fn samples_per_sec(&self) -> f64 {
        self.samples as f64 / self.seconds.max(1e-12)
    }
}

/// Trains `backend` (built on `n_train` rows) for `cfg.train.epochs` epochs at the constant
/// `cfg.optim.lr` and times the steps.
pub fn time_training(backend: &mut dyn Backend, cfg: &Config, n_train: usize) -> Result<StepTime> {
    let seeds = Seeds::new(cfg.seed);
    let (mut seconds, mut cpu_seconds) = (0.0, Some(0.0));
    for epoch in 1..=cfg.train.epochs {
        let order = permutation(n_train, &mut seeds.epoch_rng(Stream::Shuffle, epoch));
        let ctx = EpochCtx {
            log_grad_norms: false,
            ..EpochCtx::new(cfg, &seeds, epoch, cfg.optim.lr)?
        };
        let (start, cpu_before) = (Instant::now(), process_cpu_seconds());
        let flush = FlushDenormals::new(cfg.train.flush_denormals);
        backend.train_epoch(&order, &ctx)?;
        drop(flush);
        seconds += start.elapsed().as_secs_f64();
        cpu_seconds = match (cpu_seconds, cpu_before, process_cpu_seconds()) {
            (Some(sum), Some(before), Some(after)) => Some(sum + (after - before)),
            _ => None,
        };
    }
    Ok(StepTime {
        samples: n_train * cfg.train.epochs,
        seconds,
        cpu_seconds,
    })
}

/// [`time_training`]'s training samples per wall-clock second.
pub fn train_samples_per_sec(
    backend: &mut dyn Backend,
    cfg: &Config,
    n_train: usize,
) -> Result<f64> {
    time_training(backend, cfg, n_train).map(|t| t.samples_per_sec())
}

/// CPU seconds used so far by all the threads of this process (a library's worker threads
/// included), from the first field of each `/proc/self/task/*/schedstat` (nanoseconds on the
/// CPU); `None` where that is not available.
fn process_cpu_seconds() -> Option<f64> {
    let mut ns = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        // A thread that ended meanwhile took its count with it: skip it.
        let Ok(stat) = std::fs::read_to_string(task.ok()?.path().join("schedstat")) else {
            continue;
        };
        ns += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(ns as f64 * 1e-9)
}

#[cfg(test)]
mod tests {
    use super::process_cpu_seconds;

    #[test]
    fn cpu_time_grows_with_work() {
        let Some(before) = process_cpu_seconds() else {
            return; // not Linux
        };
        // The clock counts in scheduler ticks (10 ms), so a fixed amount of work can fall
        // inside one tick: work in rounds until it moves, with a bound that only a clock
        // that never moves reaches (about 100 times the tick's worth of work).
        let mut x = 0u64;
        for _round in 0..100 {
            for i in 0..20_000_000u64 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
            }
            std::hint::black_box(x);
            if process_cpu_seconds().unwrap() > before {
                return;
            }
        }
        panic!("the process CPU clock did not move after 2e9 steps of work (from {before})");
    }
}
