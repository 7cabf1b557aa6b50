//! Black-box tests of `--resume`: N epochs in one go equal k epochs plus a resume to N, bit
//! for bit (weights, optimizer state, history rows except `seconds`), also across an
//! interrupted run and with plateau/early-stopping state; a resume with a different config is
//! refused naming the key, and loses nothing.

mod fit_support;

use common::checkpoint::Checkpoint;
use common::config::{Config, ScheduleName};
use common::fit::{
    Backend, FitOptions, FitOutcome, BEST_FILE, CONFIG_FILE, HISTORY_FILE, LAST_FILE,
};
use common::history::{self, HistoryRow};
use common::Error;
use fit_support::*;
use std::path::Path;

fn resume_opts(dir: &Path, from: &Path) -> FitOptions {
    FitOptions {
        resume: Some(from.to_path_buf()),
        ..options(dir)
    }
}

/// History rows without the wall-clock column.
fn rows(dir: &Path) -> Vec<HistoryRow> {
    let mut rows = history::read(&dir.join(HISTORY_FILE)).unwrap();
    rows.iter_mut().for_each(|r| r.seconds = 0.0);
    rows
}

/// The run folder's checkpoint as (tensors sorted, train state).
fn ckpt(dir: &Path, file: &str) -> (common::tensor::NamedTensors, common::checkpoint::TrainState) {
    let c = Checkpoint::load(&dir.join(file)).unwrap();
    (sorted(c.tensors), c.meta.train_state)
}

/// Asserts that two run folders and their final backends agree bit for bit.
fn assert_same_runs(a: (&Path, &SoftmaxReg, &FitOutcome), b: (&Path, &SoftmaxReg, &FitOutcome)) {
    assert_eq!(rows(a.0), rows(b.0));
    assert_eq!(sorted(a.1.export().unwrap()), sorted(b.1.export().unwrap()));
    assert_eq!(a.1.optim_step(), b.1.optim_step());
    assert_eq!(ckpt(a.0, LAST_FILE), ckpt(b.0, LAST_FILE));
    assert_eq!(ckpt(a.0, BEST_FILE), ckpt(b.0, BEST_FILE));
    let key = |o: &FitOutcome| {
        (
            o.best_epoch,
            o.best_value,
            o.epochs_run,
            o.stopped_early,
            o.history.len(),
        )
    };
    assert_eq!(key(a.2), key(b.2));
}

/// `cfg` for `n` epochs in one go versus `k` epochs and a resume to `n` (from a backend with
/// other initial weights: the import must replace them). Returns the full run's history.
fn check_equivalence(cfg: &Config, k: usize, n: usize) -> Vec<HistoryRow> {
    let (data, spec) = (toy_data(48, 3), linear_spec(2, 3));
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let full = Config {
        train: common::config::TrainConfig {
            epochs: n,
            ..cfg.train.clone()
        },
        ..cfg.clone()
    };
    let mut a = SoftmaxReg::new(&data, &full, 1);
    let out_a = run_fit(&mut a, &full, &spec, &data, &options(dir_a.path())).unwrap();

    let part = Config {
        train: common::config::TrainConfig {
            epochs: k,
            ..cfg.train.clone()
        },
        ..cfg.clone()
    };
    run_fit(
        &mut SoftmaxReg::new(&data, &part, 1),
        &part,
        &spec,
        &data,
        &options(dir_b.path()),
    )
    .unwrap();
    let mut b = SoftmaxReg::new(&data, &full, 99);
    let opts = resume_opts(dir_b.path(), &dir_b.path().join(LAST_FILE));
    let out_b = run_fit(&mut b, &full, &spec, &data, &opts).unwrap();
    assert_eq!(
        b.ctxs.first().map(|c| c.epoch),
        Some(k + 1),
        "resumes after epoch {k}"
    );
    assert_same_runs((dir_a.path(), &a, &out_a), (dir_b.path(), &b, &out_b));
    out_a.history
}

#[test]
fn constant_rate_with_momentum() {
    check_equivalence(&config(0), 2, 5);
}

#[test]
fn step_schedule() {
    let mut cfg = config(0);
    cfg.train.schedule.name = ScheduleName::Step;
    cfg.train.schedule.step_size = 2;
    let h = check_equivalence(&cfg, 3, 6);
    assert_ne!(h[0].lr, h[5].lr);
}

#[test]
fn plateau_and_early_stopping_state() {
    let mut cfg = config(0);
    cfg.train.schedule.name = ScheduleName::Plateau;
    cfg.train.schedule.patience = 1;
    cfg.train.early_stopping.enabled = true;
    cfg.train.early_stopping.patience = 4;
    cfg.train.early_stopping.min_delta = 0.02;
    let h = check_equivalence(&cfg, 4, 14);
    assert!(
        h.iter().any(|r| r.lr < cfg.optim.lr),
        "the plateau schedule must decay here: {h:?}"
    );
}

#[test]
fn an_interrupted_cosine_run() {
    // Cosine depends on train.epochs, so the first part must be the same run, cut short.
    let mut cfg = config(6);
    cfg.train.schedule.name = ScheduleName::Cosine;
    let (data, spec) = (toy_data(48, 3), linear_spec(2, 3));
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = SoftmaxReg::new(&data, &cfg, 1);
    let out_a = run_fit(&mut a, &cfg, &spec, &data, &options(dir_a.path())).unwrap();
    let mut cut = SoftmaxReg::new(&data, &cfg, 1);
    cut.diverge_at = Some(4);
    assert!(run_fit(&mut cut, &cfg, &spec, &data, &options(dir_b.path())).is_err());
    let mut b = SoftmaxReg::new(&data, &cfg, 7);
    let opts = resume_opts(dir_b.path(), &dir_b.path().join(LAST_FILE));
    let out_b = run_fit(&mut b, &cfg, &spec, &data, &opts).unwrap();
    assert_eq!(out_b.history.len(), 6);
    assert_same_runs((dir_a.path(), &a, &out_a), (dir_b.path(), &b, &out_b));
}

#[test]
fn a_different_config_is_refused_and_loses_nothing() {
    let (cfg, data, spec) = (config(3), toy_data(30, 3), linear_spec(2, 3));
    let dir = tempfile::tempdir().unwrap();
    run_fit(
        &mut SoftmaxReg::new(&data, &cfg, 1),
        &cfg,
        &spec,
        &data,
        &options(dir.path()),
    )
    .unwrap();
    let before = (
        std::fs::read(dir.path().join(CONFIG_FILE)).unwrap(),
        rows(dir.path()),
    );
    let mut other = config(6);
    other.optim.lr = 0.05;
    let opts = resume_opts(dir.path(), &dir.path().join(LAST_FILE));
    let mut b = SoftmaxReg::new(&data, &other, 1);
    match run_fit(&mut b, &other, &spec, &data, &opts) {
        Err(Error::Config { key, msg }) => {
            assert_eq!(key, "optim.lr");
            assert!(
                msg.contains("0.05") && msg.contains("0.2") && msg.contains(LAST_FILE),
                "{msg}"
            );
        }
        other => panic!("expected a config error, got {other:?}"),
    }
    assert_eq!(
        (
            std::fs::read(dir.path().join(CONFIG_FILE)).unwrap(),
            rows(dir.path())
        ),
        before
    );
    assert!(b.ctxs.is_empty());
    // A different model is refused too.
    let e = run_fit(&mut b, &config(6), &linear_spec(2, 4), &data, &opts).unwrap_err();
    assert!(matches!(e, Error::Checkpoint { .. }), "{e}");
    // And a missing checkpoint names the file.
    let missing = resume_opts(dir.path(), &dir.path().join("nope.safetensors"));
    let e = run_fit(&mut b, &config(6), &spec, &data, &missing)
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope.safetensors"), "{e}");
}

#[test]
fn resuming_a_run_that_stopped_early_trains_no_more() {
    let mut cfg = config(10);
    cfg.train.early_stopping.enabled = true;
    cfg.train.early_stopping.patience = 2;
    let (data, spec) = (sign_data(10), linear_spec(1, 2));
    let script = vec![0.5, 1.0, 2.0, 1.5, 1.2, 1.0, 0.8, 3.0, 4.0, 5.0];
    let dir = tempfile::tempdir().unwrap();
    run_fit(
        &mut Scripted::new(script.clone()),
        &cfg,
        &spec,
        &data,
        &options(dir.path()),
    )
    .unwrap();
    let more = Config {
        train: common::config::TrainConfig {
            epochs: 10,
            ..cfg.train.clone()
        },
        ..cfg.clone()
    };
    let mut b = Scripted::new(script);
    let out = run_fit(
        &mut b,
        &more,
        &spec,
        &data,
        &resume_opts(dir.path(), &dir.path().join(LAST_FILE)),
    )
    .unwrap();
    assert!(b.lrs.is_empty());
    assert_eq!(
        (
            out.epochs_run,
            out.stopped_early,
            out.best_epoch,
            out.history.len()
        ),
        (5, true, 3, 5)
    );
    assert_eq!(b.w, 2.0, "restores the best weights");
}

#[test]
fn a_run_that_stopped_early_goes_on_with_more_patience() {
    let mut cfg = config(10);
    cfg.train.early_stopping.enabled = true;
    cfg.train.early_stopping.patience = 2;
    let (data, spec) = (sign_data(10), linear_spec(1, 2));
    let script = vec![0.5, 1.0, 2.0, 1.5, 1.2, 1.0, 0.8, 3.0, 4.0, 5.0];
    let dir = tempfile::tempdir().unwrap();
    let first = run_fit(
        &mut Scripted::new(script.clone()),
        &cfg,
        &spec,
        &data,
        &options(dir.path()),
    )
    .unwrap();
    assert_eq!((first.epochs_run, first.stopped_early), (5, true));
    // The early-stopping settings may change on resume: more patience lets it go on.
    let mut patient = cfg.clone();
    patient.train.early_stopping.patience = 10;
    let mut b = Scripted::new(script);
    let out = run_fit(
        &mut b,
        &patient,
        &spec,
        &data,
        &resume_opts(dir.path(), &dir.path().join(LAST_FILE)),
    )
    .unwrap();
    assert_eq!(
        (
            out.epochs_run,
            out.stopped_early,
            out.best_epoch,
            out.history.len()
        ),
        (10, false, 10, 10)
    );
}

#[test]
fn resuming_into_a_new_folder_brings_the_best_checkpoint() {
    let mut cfg = config(6);
    cfg.train.early_stopping.enabled = true;
    cfg.train.early_stopping.patience = 3;
    let (data, spec) = (sign_data(10), linear_spec(1, 2));
    let script = vec![1.0, 3.0, 2.0, 2.5, 2.0, 1.0];
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut part = Scripted::new(script.clone());
    part.script.truncate(3);
    let short = Config {
        train: common::config::TrainConfig {
            epochs: 3,
            ..cfg.train.clone()
        },
        ..cfg.clone()
    };
    run_fit(&mut part, &short, &spec, &data, &options(first.path())).unwrap();
    let mut b = Scripted::new(script);
    let out = run_fit(
        &mut b,
        &cfg,
        &spec,
        &data,
        &resume_opts(second.path(), &first.path().join(LAST_FILE)),
    )
    .unwrap();
    assert_eq!(
        (out.epochs_run, out.stopped_early, out.best_epoch, b.w),
        (5, true, 2, 3.0)
    );
    assert_eq!(ckpt(second.path(), BEST_FILE).1.epoch, 2);
    // Only the resumed epochs are in the new folder's history.
    assert_eq!(
        rows(second.path())
            .iter()
            .map(|r| r.epoch)
            .collect::<Vec<_>>(),
        vec![4, 5]
    );
}
