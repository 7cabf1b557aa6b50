//! Learning-rate schedules (the digits project's "scheduler de learning rate"): constant, step
//! decay, cosine annealing and reduce-on-plateau. The first three are pure functions of the
//! epoch, so a resumed run recomputes them; the plateau rate depends on the metric's history
//! and is carried in the checkpoint's `TrainState`.

use std::f64::consts::PI;

use super::early_stop::{Improvement, Tracker};
use crate::checkpoint::TrainState;
use crate::config::{ScheduleConfig, ScheduleName};

/// Reduce-on-plateau state: the current rate and its own improvement tracker.
#[derive(Debug, Clone, PartialEq)]
pub struct Plateau {
    /// The rate now in force.
    pub lr: f64,
    /// Best value and epochs since it improved.
    pub tracker: Tracker,
}

/// The learning rate of every epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct LrSchedule {
    cfg: ScheduleConfig,
    base_lr: f64,
    epochs: usize,
    /// Plateau state (only updated by the `plateau` schedule).
    pub plateau: Plateau,
}

impl LrSchedule {
    /// The schedule of `cfg` starting from `base_lr` over `epochs` epochs; `rule` decides what
    /// counts as an improvement for `plateau`.
    pub fn new(cfg: &ScheduleConfig, base_lr: f64, epochs: usize, rule: Improvement) -> Self {
        let plateau = Plateau {
            lr: base_lr,
            tracker: Tracker::new(rule),
        };
        LrSchedule {
            cfg: cfg.clone(),
            base_lr,
            epochs,
            plateau,
        }
    }

    /// The rate of 1-based `epoch`:
    /// - constant: `lr`;
    /// - step: `lr·γ^⌊(epoch−1)/step_size⌋`;
    /// - cosine: `min_lr + (lr − min_lr)·(1 + cos(π·(epoch−1)/epochs))/2`;
    /// - plateau: the current rate.
    pub fn lr(&self, epoch: usize) -> f64 {
        let e = epoch.saturating_sub(1) as f64;
        let c = &self.cfg;
        match c.name {
            ScheduleName::Constant => self.base_lr,
            ScheduleName::Step => {
                self.base_lr * c.gamma.powf((e / c.step_size.max(1) as f64).floor())
            }
            ScheduleName::Cosine => {
                let t = e / self.epochs.max(1) as f64;
                c.min_lr + (self.base_lr - c.min_lr) * (1.0 + (PI * t).cos()) / 2.0
            }
            ScheduleName::Plateau => self.plateau.lr,
        }
    }

    /// Records an epoch's monitored value. For `plateau`, after `patience` epochs without
    /// improvement the rate is multiplied by `factor` (floored at `min_lr`) and the count
    /// restarts. (PyTorch's `ReduceLROnPlateau` waits one epoch more: it decays when the count
    /// *exceeds* patience.)
    pub fn observe(&mut self, value: f64) {
        if self.cfg.name != ScheduleName::Plateau {
            return;
        }
        let p = &mut self.plateau;
        if !p.tracker.observe(value) && p.tracker.bad >= self.cfg.patience {
            p.lr = (p.lr * self.cfg.factor).max(self.cfg.min_lr);
            p.tracker.bad = 0;
        }
    }

    /// Takes up a resumed run's plateau state (`state.lr` is the next epoch's rate).
    pub fn restore(&mut self, state: &TrainState) {
        if self.cfg.name == ScheduleName::Plateau {
            self.plateau.lr = state.lr;
        }
        self.plateau.tracker.best = state.plateau_best;
        self.plateau.tracker.bad = state.plateau_bad;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Improvement = Improvement {
        maximize: false,
        min_delta: 0.0,
    };

    fn sched(name: ScheduleName, epochs: usize) -> LrSchedule {
        let cfg = ScheduleConfig {
            name,
            step_size: 2,
            gamma: 0.5,
            min_lr: 0.01,
            patience: 2,
            factor: 0.5,
        };
        LrSchedule::new(&cfg, 0.1, epochs, MIN)
    }

    fn lrs(s: &LrSchedule, n: usize) -> Vec<f64> {
        (1..=n).map(|e| s.lr(e)).collect()
    }

    #[test]
    fn constant_and_step() {
        assert_eq!(lrs(&sched(ScheduleName::Constant, 4), 4), vec![0.1; 4]);
        assert_eq!(
            lrs(&sched(ScheduleName::Step, 5), 5),
            vec![0.1, 0.1, 0.05, 0.05, 0.025]
        );
    }

    #[test]
    fn cosine_runs_from_lr_to_min_lr() {
        let s = sched(ScheduleName::Cosine, 4);
        let got = lrs(&s, 5);
        let mid = 0.01 + 0.09 * 0.5;
        assert!((got[0] - 0.1).abs() < 1e-15, "{got:?}");
        assert!((got[2] - mid).abs() < 1e-15, "{got:?}");
        assert!(got.windows(2).all(|w| w[1] < w[0]));
        assert!(
            (got[4] - 0.01).abs() < 1e-15,
            "epoch past the end reaches min_lr: {got:?}"
        );
    }

    #[test]
    fn plateau_decays_after_patience_and_floors() {
        let mut s = sched(ScheduleName::Plateau, 10);
        let mut used = vec![];
        for (e, v) in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]
            .into_iter()
            .enumerate()
        {
            used.push(s.lr(e + 1));
            s.observe(v);
        }
        assert_eq!(used, vec![0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
        for _ in 0..10 {
            s.observe(2.0);
        }
        assert_eq!(s.lr(20), 0.01);
    }

    #[test]
    fn restore_plateau_state() {
        let mut s = sched(ScheduleName::Plateau, 10);
        let state = TrainState {
            lr: 0.05,
            plateau_best: Some(0.5),
            plateau_bad: 1,
            ..Default::default()
        };
        s.restore(&state);
        assert_eq!(s.lr(7), 0.05);
        s.observe(0.6);
        assert_eq!(s.lr(8), 0.025);
    }
}
