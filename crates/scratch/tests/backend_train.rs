//! The backend end to end on the chapter's data: it learns, it is deterministic, its state
//! survives export/import (exact resume), bad inputs are errors that change nothing, and a
//! NaN stops training with `Diverged`.

use common::config::{Config, OptimName};
use common::data::{prepare, Prepared, XY};
use common::fit::{Backend, EpochCtx};
use common::init::init_params;
use common::seed::{permutation, Seeds, Stream};
use common::spec::ModelSpec;
use common::tensor::{HostTensor, NamedTensors, TensorData};
use common::Error;
use scratch::loss::count_correct;
use scratch::{Float, ScratchBackend};

fn setup(cfg: &Config) -> (Prepared, ModelSpec, NamedTensors) {
    let data = prepare(cfg).expect("chapter data");
    let spec =
        ModelSpec::from_config(cfg, data.n_features(), data.image_shape, data.n_classes()).unwrap();
    let init = init_params(
        &spec,
        cfg.model.init,
        &mut Seeds::new(cfg.seed).rng(Stream::Init),
    );
    (data, spec, init)
}

fn ctx(cfg: &Config, epoch: usize) -> EpochCtx {
    let seeds = Seeds::new(cfg.seed);
    EpochCtx {
        epoch,
        lr: cfg.optim.lr,
        batch_size: cfg.train.batch_size,
        dropout_seed: seeds.epoch_seed(Stream::Dropout, epoch),
        augment_seed: seeds.epoch_seed(Stream::Augment, epoch),
        log_grad_norms: true,
    }
}

/// Runs epochs `from..=to` and returns the last epoch's mean training loss.
fn train<F: Float>(
    b: &mut ScratchBackend<F>,
    cfg: &Config,
    n: usize,
    from: usize,
    to: usize,
) -> f64 {
    let mut last = f64::NAN;
    for epoch in from..=to {
        let order = permutation(
            n,
            &mut Seeds::new(cfg.seed).epoch_rng(Stream::Shuffle, epoch),
        );
        let stats = b.train_epoch(&order, &ctx(cfg, epoch)).unwrap();
        assert_eq!(stats.count, n);
        assert_eq!(
            stats.grad_norms.len(),
            b.model().param_names().len(),
            "asked for grad norms"
        );
        last = stats.loss_sum / stats.count as f64;
    }
    last
}

fn accuracy(b: &mut ScratchBackend<f32>, xy: &XY) -> f64 {
    let logits = b.logits(&xy.x).unwrap();
    count_correct(logits.view(), &xy.y) as f64 / xy.y.len() as f64
}

#[test]
fn the_chapter_run_learns_the_circle() {
    let cfg = Config::default();
    let (data, spec, init) = setup(&cfg);
    let mut b = ScratchBackend::<f32>::new(&spec, &init, &cfg.optim, &data.train).unwrap();
    let before = accuracy(&mut b, &data.val);
    let loss = train(&mut b, &cfg, data.train.y.len(), 1, cfg.train.epochs);
    let after = accuracy(&mut b, &data.val);
    assert!(
        after > 0.9 && after > before,
        "val accuracy {before} → {after}, final train loss {loss}"
    );
    assert_eq!(
        b.optim_step(),
        25 * 20,
        "1600 rows / 64 per batch × 20 epochs"
    );
}

#[test]
fn same_seeds_give_identical_weights_f32_and_f64_agree() {
    let mut cfg = Config::default();
    cfg.model.dropout = 0.2;
    cfg.model.hidden = vec![16, 8];
    let (data, spec, init) = setup(&cfg);
    let n = data.train.y.len();
    let run = || {
        let mut b = ScratchBackend::<f32>::new(&spec, &init, &cfg.optim, &data.train).unwrap();
        train(&mut b, &cfg, n, 1, 3);
        b.export().unwrap()
    };
    assert_eq!(run(), run());
    let mut b64 = ScratchBackend::<f64>::new(&spec, &init, &cfg.optim, &data.train).unwrap();
    train(&mut b64, &cfg, n, 1, 3);
    for ((n32, t32), (n64, t64)) in run().iter().zip(b64.export().unwrap()) {
        assert_eq!(n32, &n64);
        assert!(
            matches!(t64.data, TensorData::F64(_)),
            "f64 backend exports f64"
        );
        for (a, b) in t32.to_f64().iter().zip(t64.to_f64()) {
            assert!((a - b).abs() < 1e-3, "{n32}: {a} vs {b}");
        }
    }
}

#[test]
fn export_then_import_resumes_exactly() {
    let mut cfg = Config::default();
    cfg.optim.name = OptimName::Adam;
    cfg.optim.lr = 0.01;
    cfg.optim.weight_decay = 1e-4;
    let (data, spec, init) = setup(&cfg);
    let n = data.train.y.len();
    let mut a = ScratchBackend::<f64>::new(&spec, &init, &cfg.optim, &data.train).unwrap();
    train(&mut a, &cfg, n, 1, 2);
    let saved = a.export().unwrap();
    assert!(saved
        .iter()
        .any(|(k, _)| k == "optim.net.0.weight.exp_avg_sq"));
    // A backend from other weights takes the saved state and continues identically.
    let zeros: NamedTensors = init
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                HostTensor::f64(t.shape.clone(), vec![0.0; t.len()]),
            )
        })
        .collect();
    let mut b = ScratchBackend::<f64>::new(&spec, &zeros, &cfg.optim, &data.train).unwrap();
    b.import(&saved).unwrap();
    b.set_optim_step(a.optim_step());
    assert_eq!(b.export().unwrap(), saved);
    train(&mut a, &cfg, n, 3, 3);
    train(&mut b, &cfg, n, 3, 3);
    assert_eq!(a.export().unwrap(), b.export().unwrap());
}

#[test]
fn bad_tensors_are_errors_that_change_nothing() {
    let cfg = Config::default();
    let (data, spec, init) = setup(&cfg);
    let mut b = ScratchBackend::<f32>::new(&spec, &init, &cfg.optim, &data.train).unwrap();
    let before = b.export().unwrap();
    let mut bad = init.clone();
    bad[2].1 = HostTensor::f64(vec![32, 1], vec![0.0; 32]); // net.2.weight is [1, 32]
    bad[0].1 = HostTensor::f64(vec![32, 2], vec![9.0; 64]); // right shape, would change weights
    let err = b.import(&bad).unwrap_err().to_string();
    assert!(
        err.contains("net.2.weight") && err.contains("[1, 32]") && err.contains("[32, 1]"),
        "{err}"
    );
    assert_eq!(b.export().unwrap(), before);
    let missing: NamedTensors = init[1..].to_vec();
    assert!(b
        .import(&missing)
        .unwrap_err()
        .to_string()
        .contains("net.0.weight"));
    let err = ScratchBackend::<f32>::new(&spec, &bad, &cfg.optim, &data.train)
        .err()
        .unwrap();
    assert!(err.to_string().contains("net.2.weight"));
    // A model tensor the model has no place for is refused by name, as the torch backend
    // does (it was ignored silently), and changes nothing.
    let mut stray = before.clone();
    stray.push((
        "net.9.weight".into(),
        HostTensor::f32(vec![2], vec![0.5, -1.25]),
    ));
    stray[0].1 = HostTensor::f32(vec![32, 2], vec![9.0; 64]);
    let err = b.import(&stray).unwrap_err().to_string();
    assert!(
        err.contains("'net.9.weight'") && err.contains("not a parameter"),
        "{err}"
    );
    assert_eq!(b.export().unwrap(), before);
}

#[test]
fn a_nan_feature_stops_training_before_the_update() {
    let cfg = Config::default();
    let (mut data, spec, init) = setup(&cfg);
    data.train.x[[5, 1]] = f32::NAN;
    let mut b = ScratchBackend::<f32>::new(&spec, &init, &cfg.optim, &data.train).unwrap();
    let order: Vec<usize> = (0..data.train.y.len()).collect();
    match b.train_epoch(&order, &ctx(&cfg, 1)) {
        Err(Error::Diverged {
            epoch: 1,
            batch: 0,
            loss,
        }) => assert!(!loss.is_finite()),
        other => panic!("expected Diverged at epoch 1 batch 0, got {other:?}"),
    }
    let weights = b.export().unwrap();
    assert!(weights
        .iter()
        .all(|(_, t)| t.to_f64().iter().all(|v| v.is_finite())));
}

#[test]
fn logits_in_chunks_match_one_pass_and_check_shapes() {
    let cfg = Config::default();
    let (data, spec, init) = setup(&cfg);
    let mut b = ScratchBackend::<f32>::new(&spec, &init, &cfg.optim, &data.train).unwrap();
    let big = ndarray::Array2::from_shape_fn((9000, 2), |(i, j)| {
        ((i * 31 + j * 7) % 97) as f32 / 24.0 - 2.0
    });
    let logits = b.logits(&big).unwrap();
    let mut model = scratch::Model::<f32>::new(&spec, &init).unwrap();
    let once = model.forward_view(big.view(), false).unwrap().to_owned();
    for (a, c) in logits.iter().zip(&once) {
        assert!((a - c).abs() <= 1e-5 * (1.0 + c.abs()));
    }
    // The chapter's model takes 2 features: 5 is a shape error saying both counts.
    let err = b.logits(&ndarray::Array2::zeros((3, 5))).unwrap_err();
    assert!(matches!(err, Error::Shape(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "shape mismatch: logits: input has 5 features, the model expects 2"
    );
    let bad_order = b
        .train_epoch(&[0, 99_999], &ctx(&cfg, 1))
        .unwrap_err()
        .to_string();
    assert_eq!(
        bad_order,
        format!(
            "shape mismatch: epoch order names row 99999, but there are {} training rows",
            data.train.y.len()
        )
    );
}
