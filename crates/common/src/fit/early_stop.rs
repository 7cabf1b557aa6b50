//! Watching the monitored validation metric: what counts as an improvement, the best value so
//! far, and early stopping (the final project's "early stopping" regularization: stop after
//! `patience` epochs without improvement and keep the best weights).

use crate::checkpoint::TrainState;

/// What counts as an improvement of the monitored metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Improvement {
    /// Higher is better (accuracy, F1, AUC) rather than lower (loss).
    pub maximize: bool,
    /// The least change that counts.
    pub min_delta: f64,
}

impl Improvement {
    /// True when `value` beats `best` by more than `min_delta`. A non-finite value (an
    /// undefined AUC, a NaN loss) never improves; any finite value beats "no best yet".
    pub fn is_better(&self, value: f64, best: Option<f64>) -> bool {
        if !value.is_finite() {
            return false;
        }
        match best {
            None => true,
            Some(b) if self.maximize => value > b + self.min_delta,
            Some(b) => value < b - self.min_delta,
        }
    }
}

/// A best value and the number of epochs since it last improved.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracker {
    /// The comparison rule.
    pub rule: Improvement,
    /// Best value so far.
    pub best: Option<f64>,
    /// Epochs since the last improvement.
    pub bad: usize,
}

impl Tracker {
    /// A tracker with no value seen yet.
    pub fn new(rule: Improvement) -> Self {
        Tracker {
            rule,
            best: None,
            bad: 0,
        }
    }
    /// Records one epoch's value; true when it improved.
    pub fn observe(&mut self, value: f64) -> bool {
        if self.rule.is_better(value, self.best) {
            self.best = Some(value);
            self.bad = 0;
            true
        } else {
            self.bad += 1;
            false
        }
    }
}

/// The best epoch of the run and, when enabled, the early-stopping decision.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyStopping {
    /// Best value and bad-epoch counter.
    pub tracker: Tracker,
    /// Epoch of the best value (0 before any).
    pub best_epoch: usize,
    /// Epochs without improvement before stopping; `None` when early stopping is off (the
    /// best epoch is still tracked: it picks `best.safetensors`).
    pub patience: Option<usize>,
}

impl EarlyStopping {
    /// A fresh watcher.
    pub fn new(rule: Improvement, patience: Option<usize>) -> Self {
        EarlyStopping {
            tracker: Tracker::new(rule),
            best_epoch: 0,
            patience,
        }
    }
    /// Records epoch `epoch`'s value; true when it is the new best.
    pub fn observe(&mut self, epoch: usize, value: f64) -> bool {
        let improved = self.tracker.observe(value);
        if improved {
            self.best_epoch = epoch;
        }
        improved
    }
    /// True once `patience` epochs in a row have not improved.
    pub fn should_stop(&self) -> bool {
        self.patience.is_some_and(|p| self.tracker.bad >= p)
    }
    /// Takes up a resumed run's counters.
    pub fn restore(&mut self, state: &TrainState) {
        self.tracker.best = state.best_value;
        self.tracker.bad = state.bad_epochs;
        self.best_epoch = state.best_epoch;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Improvement = Improvement {
        maximize: false,
        min_delta: 0.0,
    };

    #[test]
    fn direction_and_min_delta() {
        let max = Improvement {
            maximize: true,
            min_delta: 0.01,
        };
        assert!(max.is_better(0.5, None));
        assert!(max.is_better(0.52, Some(0.5)));
        assert!(!max.is_better(0.505, Some(0.5)));
        assert!(MIN.is_better(0.4, Some(0.5)));
        assert!(!MIN.is_better(0.5, Some(0.5)));
        assert!(!MIN.is_better(f64::NAN, None));
        assert!(!MIN.is_better(f64::INFINITY, Some(1.0)));
    }

    #[test]
    fn stops_after_patience_bad_epochs() {
        let mut es = EarlyStopping::new(MIN, Some(2));
        let losses = [1.0, 0.8, 0.9, 0.7, 0.75, 0.8, 0.6];
        let mut stopped_after = None;
        for (i, &l) in losses.iter().enumerate() {
            es.observe(i + 1, l);
            if es.should_stop() {
                stopped_after = Some(i + 1);
                break;
            }
        }
        assert_eq!(stopped_after, Some(6));
        assert_eq!((es.best_epoch, es.tracker.best), (4, Some(0.7)));
    }

    #[test]
    fn disabled_never_stops_but_tracks_best() {
        let mut es = EarlyStopping::new(MIN, None);
        for (i, l) in [1.0, 2.0, 3.0, 4.0].into_iter().enumerate() {
            es.observe(i + 1, l);
        }
        assert!(!es.should_stop());
        assert_eq!((es.best_epoch, es.tracker.bad), (1, 3));
    }

    #[test]
    fn restore_takes_up_counters() {
        let state = TrainState {
            best_value: Some(0.3),
            best_epoch: 4,
            bad_epochs: 1,
            ..Default::default()
        };
        let mut es = EarlyStopping::new(MIN, Some(2));
        es.restore(&state);
        assert!(!es.observe(6, 0.35));
        assert!(es.should_stop());
        assert_eq!(es.best_epoch, 4);
    }
}
