//! Black-box tests of the loop's LR schedules and early stopping, driven by a scripted backend
//! whose validation loss follows a known curve (it falls as the scripted weight grows).

mod fit_support;

use common::checkpoint::Checkpoint;
use common::config::{Config, ScheduleName};
use common::fit::{FitOutcome, BEST_FILE, LAST_FILE};
use fit_support::*;

/// Runs the scripted backend; returns the outcome and the backend.
fn scripted(cfg: &Config, script: &[f64], dir: &std::path::Path) -> (FitOutcome, Scripted) {
    let (data, spec) = (sign_data(10), linear_spec(1, 2));
    let mut b = Scripted::new(script.to_vec());
    let outcome = run_fit(&mut b, cfg, &spec, &data, &options(dir)).unwrap();
    (outcome, b)
}

/// The lr of each epoch as the backend saw it, checked against the history rows.
fn lrs(cfg: &Config, script: &[f64]) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, b) = scripted(cfg, script, dir.path());
    assert_eq!(
        outcome.history.iter().map(|r| r.lr).collect::<Vec<_>>(),
        b.lrs
    );
    b.lrs
}

fn with_schedule(name: ScheduleName, epochs: usize) -> Config {
    let mut cfg = config(epochs);
    cfg.train.schedule.name = name;
    cfg.train.schedule.step_size = 2;
    cfg.train.schedule.gamma = 0.5;
    cfg.train.schedule.min_lr = 0.01;
    cfg.train.schedule.patience = 2;
    cfg.train.schedule.factor = 0.5;
    cfg
}

const RISING: [f64; 8] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];

#[test]
fn constant_and_step() {
    assert_eq!(
        lrs(&with_schedule(ScheduleName::Constant, 4), &RISING),
        vec![0.2; 4]
    );
    assert_eq!(
        lrs(&with_schedule(ScheduleName::Step, 5), &RISING),
        vec![0.2, 0.2, 0.1, 0.1, 0.05]
    );
}

#[test]
fn cosine() {
    let got = lrs(&with_schedule(ScheduleName::Cosine, 5), &RISING);
    assert_eq!(got.len(), 5);
    for (i, lr) in got.iter().enumerate() {
        let expect = 0.01 + 0.19 * (1.0 + (std::f64::consts::PI * i as f64 / 5.0).cos()) / 2.0;
        assert!(
            (lr - expect).abs() < 1e-15,
            "epoch {}: {lr} vs {expect}",
            i + 1
        );
    }
    assert!((got[0] - 0.2).abs() < 1e-15);
    assert!(got.windows(2).all(|w| w[1] < w[0]));
}

#[test]
fn plateau_decays_when_the_monitor_stalls() {
    // Loss improves, stalls for 4 epochs (two decays of patience 2), improves, stalls.
    let script = [1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0];
    let got = lrs(&with_schedule(ScheduleName::Plateau, 8), &script);
    assert_eq!(got, vec![0.2, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1]);
    let mut floor = with_schedule(ScheduleName::Plateau, 8);
    floor.train.schedule.patience = 1;
    floor.train.schedule.min_lr = 0.04;
    assert_eq!(
        lrs(&floor, &[1.0; 8]),
        vec![0.2, 0.2, 0.1, 0.05, 0.04, 0.04, 0.04, 0.04]
    );
}

fn early(epochs: usize, patience: usize, restore_best: bool) -> Config {
    let mut cfg = config(epochs);
    cfg.train.early_stopping.enabled = true;
    cfg.train.early_stopping.patience = patience;
    cfg.train.early_stopping.restore_best = restore_best;
    cfg
}

const PEAK_AT_3: [f64; 10] = [0.5, 1.0, 2.0, 1.5, 1.2, 1.0, 0.8, 3.0, 4.0, 5.0];

#[test]
fn early_stopping_stops_and_restores_the_best() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, b) = scripted(&early(10, 2, true), &PEAK_AT_3, dir.path());
    assert_eq!(
        (
            outcome.epochs_run,
            outcome.stopped_early,
            outcome.best_epoch
        ),
        (5, true, 3)
    );
    assert_eq!(outcome.history.len(), 5);
    assert_eq!(outcome.best_value, outcome.history[2].val_loss);
    assert_eq!(b.w, 2.0, "the backend ends with the best weights");
    let best = Checkpoint::load(&dir.path().join(BEST_FILE)).unwrap();
    assert_eq!(best.meta.train_state.epoch, 3);
    let last = Checkpoint::load(&dir.path().join(LAST_FILE)).unwrap();
    assert_eq!(
        (
            last.meta.train_state.epoch,
            last.meta.train_state.bad_epochs
        ),
        (5, 2)
    );
    assert_eq!(
        common::tensor::find(&last.tensors, "net.0.weight")
            .unwrap()
            .to_f64(),
        vec![0.0, 1.2]
    );
}

#[test]
fn early_stopping_without_restore_keeps_the_last_weights() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, b) = scripted(&early(10, 2, false), &PEAK_AT_3, dir.path());
    assert_eq!((outcome.epochs_run, outcome.best_epoch), (5, 3));
    assert_eq!(b.w, 1.2);
}

#[test]
fn without_early_stopping_every_epoch_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, b) = scripted(&config(10), &PEAK_AT_3, dir.path());
    assert_eq!(
        (
            outcome.epochs_run,
            outcome.stopped_early,
            outcome.best_epoch
        ),
        (10, false, 10)
    );
    assert_eq!(b.w, 5.0);
}

#[test]
fn a_maximized_monitor_counts_rises() {
    // Accuracy on the sign data is 0 for w < 0 and 1 for w > 0: it peaks at epoch 2 and stays.
    let mut cfg = early(10, 2, true);
    cfg.train.monitor = "val_acc".into();
    let dir = tempfile::tempdir().unwrap();
    let (outcome, b) = scripted(
        &cfg,
        &[-1.0, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        dir.path(),
    );
    assert_eq!(
        (outcome.epochs_run, outcome.best_epoch, outcome.best_value),
        (4, 2, 1.0)
    );
    assert_eq!(b.w, 0.5);
}

#[test]
fn min_delta_ignores_tiny_improvements() {
    let mut cfg = early(10, 2, true);
    cfg.train.early_stopping.min_delta = 0.01;
    let dir = tempfile::tempdir().unwrap();
    let (outcome, _) = scripted(
        &cfg,
        &[1.0, 1.01, 1.02, 5.0, 6.0, 7.0, 8.0, 9.0, 9.5, 9.9],
        dir.path(),
    );
    assert!(outcome.history[1].val_loss < outcome.history[0].val_loss);
    assert_eq!((outcome.epochs_run, outcome.best_epoch), (3, 1));
}
