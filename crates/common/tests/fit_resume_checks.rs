//! Resume checks on real data and at the edges: the shipped penguins config resumes exactly
//! through the checkpoint's JSON, a fitted value moved by one ulp is refused naming the field
//! (and a refused resume writes nothing), and a resumed run cannot be shorter than its
//! checkpoint while one of equal length has nothing left to train.

mod fit_support;

use common::checkpoint::Checkpoint;
use common::config::Config;
use common::fit::{FitOptions, LAST_FILE};
use common::history::{self, HistoryRow};
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
    let mut rows = history::read(&dir.join(common::fit::HISTORY_FILE)).unwrap();
    rows.iter_mut().for_each(|r| r.seconds = 0.0);
    rows
}

/// The run folder's checkpoint as (tensors sorted, train state).
fn ckpt(dir: &Path, file: &str) -> (common::tensor::NamedTensors, common::checkpoint::TrainState) {
    let c = Checkpoint::load(&dir.join(file)).unwrap();
    (sorted(c.tensors), c.meta.train_state)
}

/// The shipped penguins config and its real prepared data (fitted means, scales and
/// categories of real floats), with a softmax regression as the backend.
fn penguins(epochs: usize) -> (Config, common::data::Prepared, common::spec::ModelSpec) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut cfg = Config::load(&root.join("configs/penguins.toml"), &[]).unwrap();
    cfg.data.path = cfg.data.path.map(|p| root.join(p));
    cfg.train.epochs = epochs;
    let data = common::data::prepare(&cfg).unwrap();
    let spec = linear_spec(data.n_features(), data.n_classes());
    (cfg, data, spec)
}

#[test]
fn penguins_resumes_exactly_and_a_corrupted_fitted_value_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg2, data, spec) = penguins(2);
    run_fit(
        &mut SoftmaxReg::new(&data, &cfg2, 1),
        &cfg2,
        &spec,
        &data,
        &options(dir.path()),
    )
    .unwrap();
    let last = dir.path().join(LAST_FILE);
    // The real preprocessing went through the checkpoint's JSON and back, bit for bit.
    let stored = Checkpoint::load(&last).unwrap();
    assert_eq!(
        common::fit::exact_difference(&data.pre, &stored.meta.preprocessing),
        None
    );

    // One fitted value one ulp off, in a copy of the checkpoint.
    let mut bad = stored.clone();
    let (name, was) = bad
        .meta
        .preprocessing
        .columns
        .iter_mut()
        .find_map(|c| match c {
            common::preprocess::InputColumn::Numeric { name, mean, .. } => {
                let was = *mean;
                *mean = f64::from_bits(mean.to_bits() + 1);
                Some((name.clone(), was))
            }
            _ => None,
        })
        .expect("penguins has numeric columns");
    let bad_path = dir.path().join("bad").join(LAST_FILE);
    bad.save(&bad_path).unwrap();
    let (cfg3, _, _) = penguins(3);
    let bad_dir = dir.path().join("bad");
    let err = run_fit(
        &mut SoftmaxReg::new(&data, &cfg3, 1),
        &cfg3,
        &spec,
        &data,
        &resume_opts(&bad_dir, &bad_path),
    )
    .expect_err("a different fitted value is refused");
    let msg = err.to_string();
    println!("{msg}");
    let wrong = f64::from_bits(was.to_bits() + 1);
    for needle in [
        format!("{name:?}].mean"),
        format!("{wrong:?} in the checkpoint, {was:?} now"),
        "fitted preprocessing".to_string(),
    ] {
        assert!(msg.contains(&needle), "'{needle}' not in: {msg}");
    }
    let left: Vec<_> = std::fs::read_dir(&bad_dir).unwrap().collect();
    assert_eq!(left.len(), 1, "a refused resume writes nothing");

    // The genuine checkpoint resumes.
    let out = run_fit(
        &mut SoftmaxReg::new(&data, &cfg3, 1),
        &cfg3,
        &spec,
        &data,
        &resume_opts(dir.path(), &last),
    )
    .unwrap();
    assert_eq!(out.epochs_run, 3);
}

#[test]
fn resuming_without_epochs_left_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (data, spec) = (toy_data(48, 3), linear_spec(2, 3));
    let cfg = config(3);
    run_fit(
        &mut SoftmaxReg::new(&data, &cfg, 1),
        &cfg,
        &spec,
        &data,
        &options(dir.path()),
    )
    .unwrap();
    let last = dir.path().join(LAST_FILE);
    let shorter = config(2);
    let err = run_fit(
        &mut SoftmaxReg::new(&data, &shorter, 1),
        &shorter,
        &spec,
        &data,
        &resume_opts(dir.path(), &last),
    )
    .expect_err("a resumed run cannot be shorter");
    let msg = err.to_string();
    assert!(
        msg.contains("train.epochs")
            && msg.contains("already holds epoch 3")
            && msg.contains("cannot be shorter"),
        "{msg}"
    );
    // Equal length: nothing to train, the run's state is reported as it was.
    let before = ckpt(dir.path(), LAST_FILE);
    let out = run_fit(
        &mut SoftmaxReg::new(&data, &cfg, 1),
        &cfg,
        &spec,
        &data,
        &resume_opts(dir.path(), &last),
    )
    .unwrap();
    assert_eq!((out.epochs_run, out.train_samples), (3, 0));
    assert_eq!(
        ckpt(dir.path(), LAST_FILE),
        before,
        "nothing trained, nothing rewritten"
    );
    assert_eq!(rows(dir.path()).len(), 3);
}
