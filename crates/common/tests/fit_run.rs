//! Black-box tests of a plain run of the epoch loop: the run folder it writes (config,
//! history, best and last checkpoints), the seeds and order it hands the backend, the history
//! rows it computes, and `evaluate_split`.

mod fit_support;

use common::checkpoint::Checkpoint;
use common::config::Config;
use common::fit::{evaluate_split, Backend, BEST_FILE, CONFIG_FILE, HISTORY_FILE, LAST_FILE};
use common::history;
use common::metrics;
use common::seed::{permutation, Seeds, Stream};
use fit_support::*;

#[test]
fn writes_the_run_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run"); // created by fit
    let (cfg, data, spec) = (config(4), toy_data(60, 3), linear_spec(2, 3));
    let mut b = SoftmaxReg::new(&data, &cfg, 1);
    let outcome = run_fit(&mut b, &cfg, &spec, &data, &options(&out)).unwrap();

    assert_eq!(Config::load(&out.join(CONFIG_FILE), &[]).unwrap(), cfg);
    let rows = history::read(&out.join(HISTORY_FILE)).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.epoch).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(rows, outcome.history);
    assert_eq!((outcome.epochs_run, outcome.stopped_early), (4, false));
    assert_eq!(outcome.train_samples, 4 * 60);
    assert!(outcome.train_seconds >= 0.0);

    let last = Checkpoint::load(&out.join(LAST_FILE)).unwrap();
    assert_eq!(
        (last.meta.kind.as_str(), last.meta.backend.as_str()),
        ("last", "test")
    );
    assert_eq!((&last.meta.config, &last.meta.spec), (&cfg, &spec));
    assert_eq!(last.meta.preprocessing, data.pre);
    assert_eq!(last.meta.monitor, "val_loss");
    assert_eq!(last.meta.monitor_value, rows[3].val_loss);
    assert_eq!(last.meta.train_state.epoch, 4);
    assert_eq!(last.meta.train_state.optim_step, 4 * 60_u64.div_ceil(16));
    assert_eq!(
        sorted(last.tensors),
        sorted(common::fit::Backend::export(&b).unwrap())
    );

    let best = Checkpoint::load(&out.join(BEST_FILE)).unwrap();
    assert_eq!(best.meta.kind, "best");
    let best_row = rows
        .iter()
        .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
        .unwrap();
    assert_eq!(outcome.best_epoch, best_row.epoch);
    assert_eq!(outcome.best_value, best_row.val_loss);
    assert_eq!(best.meta.train_state.epoch, best_row.epoch);
    assert_eq!(best.meta.monitor_value, best_row.val_loss);
    assert!(best
        .tensors
        .iter()
        .any(|(n, _)| n == "optim.net.0.weight.momentum_buffer"));
}

#[test]
fn rows_hold_the_training_means_and_validation_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, data, spec) = (config(3), toy_data(50, 3), linear_spec(2, 3));
    let mut b = SoftmaxReg::new(&data, &cfg, 2);
    let outcome = run_fit(&mut b, &cfg, &spec, &data, &options(dir.path())).unwrap();
    let last = outcome.history.last().unwrap();
    // The backend now holds the last epoch's weights: validation must match a fresh evaluation.
    let report = evaluate_split(&mut b, &data.val, &spec, &data.class_names).unwrap();
    assert_eq!(last.val_loss, report.log_loss);
    assert_eq!(last.val_acc, report.accuracy);
    assert_eq!(last.val_f1, report.macro_f1);
    assert_eq!(last.val_auc, report.roc_auc.unwrap());
    for r in &outcome.history {
        assert!(r.train_loss > 0.0 && r.train_loss.is_finite());
        assert!((0.0..=1.0).contains(&r.train_acc));
        assert_eq!(r.lr, cfg.optim.lr);
    }
    // This toy problem is learnable: the loss must fall and accuracy beat chance.
    assert!(outcome.history[2].train_loss < outcome.history[0].train_loss);
    assert!(last.val_acc > 0.5, "{last:?}");
}

#[test]
fn each_epoch_gets_its_seeded_order_and_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, data, spec) = (config(3), toy_data(40, 2), linear_spec(2, 2));
    cfg.seed = 1234;
    cfg.train.log_grad_norms = true;
    let mut b = SoftmaxReg::new(&data, &cfg, 3);
    run_fit(&mut b, &cfg, &spec, &data, &options(dir.path())).unwrap();
    let seeds = Seeds::new(1234);
    for (i, ctx) in b.ctxs.iter().enumerate() {
        let epoch = i + 1;
        assert_eq!(ctx.epoch, epoch);
        assert_eq!(
            b.orders[i],
            permutation(40, &mut seeds.epoch_rng(Stream::Shuffle, epoch))
        );
        assert_eq!(ctx.dropout_seed, seeds.epoch_seed(Stream::Dropout, epoch));
        assert_eq!(ctx.augment_seed, seeds.epoch_seed(Stream::Augment, epoch));
        assert_eq!(
            (ctx.batch_size, ctx.lr, ctx.log_grad_norms),
            (16, 0.2, true)
        );
    }
    assert_ne!(b.orders[0], b.orders[1], "each epoch reshuffles");
}

#[test]
fn a_second_run_in_the_same_folder_is_refused_unless_told_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, data, spec) = (config(3), toy_data(30, 2), linear_spec(2, 2));
    run_fit(
        &mut SoftmaxReg::new(&data, &cfg, 4),
        &cfg,
        &spec,
        &data,
        &options(dir.path()),
    )
    .unwrap();
    let snapshot = |d: &std::path::Path| {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                (name, std::fs::read(e.path()).unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let before = snapshot(dir.path());
    let short = config(2);
    let err = run_fit(
        &mut SoftmaxReg::new(&data, &short, 4),
        &short,
        &spec,
        &data,
        &options(dir.path()),
    )
    .expect_err("a folder holding a run is refused");
    let msg = err.to_string();
    for needle in [
        dir.path().display().to_string(),
        "already holds a trained run".into(),
        "nothing was changed".into(),
        format!("--resume {}", dir.path().join("last.safetensors").display()),
        "--out".into(),
        "--overwrite".into(),
    ] {
        assert!(msg.contains(&needle), "'{needle}' not in: {msg}");
    }
    assert_eq!(
        snapshot(dir.path()),
        before,
        "the refused run changed nothing"
    );
    let overwrite = common::fit::FitOptions {
        overwrite: true,
        ..options(dir.path())
    };
    run_fit(
        &mut SoftmaxReg::new(&data, &short, 4),
        &short,
        &spec,
        &data,
        &overwrite,
    )
    .unwrap();
    assert_eq!(
        history::read(&dir.path().join(HISTORY_FILE)).unwrap().len(),
        2
    );
    assert_eq!(
        Config::load(&dir.path().join(CONFIG_FILE), &[])
            .unwrap()
            .train
            .epochs,
        2
    );
}

#[test]
fn evaluate_split_checks_its_inputs() {
    let (cfg, data, spec) = (config(1), toy_data(20, 3), linear_spec(2, 3));
    let mut b = SoftmaxReg::new(&data, &cfg, 5);
    let report = evaluate_split(&mut b, &data.val, &spec, &data.class_names).unwrap();
    let logits = common::fit::Backend::logits(&mut b, &data.val.x).unwrap();
    assert_eq!(
        report,
        metrics::evaluate(&logits, &data.val.y, spec.head, &data.class_names)
    );
    let empty = common::data::XY::default();
    assert!(evaluate_split(&mut b, &empty, &spec, &data.class_names).is_err());
    // A spec with more outputs than the backend produces is a shape error, not a panic.
    let e = evaluate_split(&mut b, &data.val, &linear_spec(2, 4), &data.class_names).unwrap_err();
    assert!(e.to_string().contains("[20, 3]"), "{e}");
}

#[test]
fn epochs_train_with_denormals_flushed_unless_the_config_says_not_to() {
    let outside = common::fpenv::current();
    for flush in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let (mut cfg, data, spec) = (config(2), toy_data(40, 3), linear_spec(2, 3));
        cfg.train.flush_denormals = flush;
        let mut seen = Vec::new();
        let mut b = Wrapped {
            inner: SoftmaxReg::new(&data, &cfg, 1),
            name: "test",
            train: |inner: &mut SoftmaxReg, order: &[usize], ctx: &common::fit::EpochCtx| {
                seen.push(common::fpenv::current());
                inner.train_epoch(order, ctx)
            },
        };
        run_fit(&mut b, &cfg, &spec, &data, &options(dir.path())).unwrap();
        // The benches' timed loop does the same.
        common::fit::time_training(&mut b, &cfg, 40).unwrap();
        drop(b);
        // Off x86-64 there is no mode to set.
        let want = common::fpenv::Mode {
            flush: flush && cfg!(target_arch = "x86_64"),
        };
        assert_eq!(seen, vec![want; 4], "flush_denormals = {flush}");
        assert_eq!(common::fpenv::current(), outside, "restored after the run");
    }
}
