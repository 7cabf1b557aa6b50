//! `TorchBackend` through the `common::fit::Backend` contract: determinism, export/import
//! round trips and exact resume, double precision, dropout, a CNN with augmentation, and
//! clear errors for bad input, and evaluation that chunking leaves bit for bit (`eval_chunks`).

mod eval_chunks;
mod support;

use common::config::{Config, ModelKind, Source};
use common::fit::Backend;
use common::init::init_params;
use common::seed::{Seeds, Stream};
use common::tensor::{HostTensor, NamedTensors, TensorData};
use ndarray::Array2;
use support::{cpu, ctx, order, setup, small_config, train};
use torch::{Precision, TorchBackend};

fn names(t: &NamedTensors) -> Vec<&str> {
    t.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn two_runs_with_the_same_seed_export_identical_tensors() {
    let mut cfg = small_config();
    cfg.model.dropout = 0.2; // dropout masks must be seeded too
    let run = |cfg: &Config| {
        let (data, _, mut b) = setup(cfg, &cpu(Precision::F32));
        let stats = train(&mut b, cfg, data.train.y.len(), 1, 3);
        (
            stats
                .iter()
                .map(|s| (s.loss_sum, s.correct))
                .collect::<Vec<_>>(),
            b.export().unwrap(),
        )
    };
    let (stats_a, a) = run(&cfg);
    let (stats_b, b) = run(&cfg);
    assert_eq!(stats_a, stats_b);
    assert_eq!(a, b);
    // A different seed gives different weights, so the comparison above can fail.
    cfg.seed += 1;
    let (_, c) = run(&cfg);
    assert_ne!(a, c);
}

#[test]
fn export_names_layouts_and_optimizer_state_like_pytorch() {
    let cfg = small_config();
    let (data, spec, mut b) = setup(&cfg, &cpu(Precision::F32));
    train(&mut b, &cfg, data.train.y.len(), 1, 1);
    let t = b.export().unwrap();
    let mut want: Vec<String> = spec.params().iter().map(|p| p.name.clone()).collect();
    for suffix in ["exp_avg", "exp_avg_sq"] {
        want.extend(
            spec.params()
                .iter()
                .map(|p| format!("optim.{}.{suffix}", p.name)),
        );
    }
    assert_eq!(names(&t), want);
    assert_eq!(t[0].1.shape, vec![16, 2], "net.0.weight is [out, in]");
    assert!(matches!(t[0].1.data, TensorData::F32(_)));
    assert_eq!(
        b.optim_step(),
        data.train.y.len().div_ceil(cfg.train.batch_size) as u64
    );
}

#[test]
fn import_of_an_export_resumes_bit_for_bit() {
    let cfg = small_config();
    let opts = cpu(Precision::F32);
    let (data, spec, mut a) = setup(&cfg, &opts);
    let n = data.train.y.len();
    train(&mut a, &cfg, n, 1, 2);
    let saved = a.export().unwrap();
    let step = a.optim_step();
    // A fresh backend on the same data from other initial weights, given the saved tensors
    // and step counter.
    let other = init_params(&spec, cfg.model.init, &mut Seeds::new(7).rng(Stream::Init));
    let mut b = TorchBackend::new(&spec, &other, &cfg, &data.train, &opts).unwrap();
    assert_ne!(b.export().unwrap(), saved);
    b.import(&saved).unwrap();
    b.set_optim_step(step);
    assert_eq!(b.export().unwrap(), saved);
    assert_eq!(
        a.logits(&data.val.x).unwrap(),
        b.logits(&data.val.x).unwrap()
    );
    let sa = a.train_epoch(&order(&cfg, n, 3), &ctx(&cfg, 3)).unwrap();
    let sb = b.train_epoch(&order(&cfg, n, 3), &ctx(&cfg, 3)).unwrap();
    assert_eq!((sa.loss_sum, sa.correct), (sb.loss_sum, sb.correct));
    assert_eq!(a.export().unwrap(), b.export().unwrap());
}

#[test]
fn sgd_momentum_state_round_trips() {
    let mut cfg = small_config();
    cfg.optim = common::config::OptimConfig {
        name: common::config::OptimName::Sgd,
        lr: 0.1,
        momentum: 0.9,
        ..cfg.optim
    };
    let (data, _, mut a) = setup(&cfg, &cpu(Precision::F32));
    train(&mut a, &cfg, data.train.y.len(), 1, 1);
    let saved = a.export().unwrap();
    assert!(names(&saved).contains(&"optim.net.0.weight.momentum_buffer"));
    let (_, _, mut b) = setup(&cfg, &cpu(Precision::F32));
    b.import(&saved).unwrap();
    assert_eq!(b.export().unwrap(), saved);
}

#[test]
fn double_precision_trains_and_exports_f64() {
    let cfg = small_config();
    let (data, _, mut b) = setup(&cfg, &cpu(Precision::F64));
    let stats = train(&mut b, &cfg, data.train.y.len(), 1, 3);
    assert!(stats
        .iter()
        .all(|s| s.loss_sum.is_finite() && s.count == data.train.y.len()));
    assert!(
        stats[2].loss_sum < stats[0].loss_sum,
        "loss goes down: {stats:?}"
    );
    let t = b.export().unwrap();
    assert!(t.iter().all(|(_, h)| matches!(h.data, TensorData::F64(_))));
    // f32 and f64 follow the same trajectory up to rounding.
    let (_, _, mut f) = setup(&cfg, &cpu(Precision::F32));
    let stats32 = train(&mut f, &cfg, data.train.y.len(), 1, 3);
    let rel = (stats32[2].loss_sum - stats[2].loss_sum).abs() / stats[2].loss_sum;
    assert!(rel < 1e-4, "f32 vs f64 loss differ by {rel}");
}

#[test]
fn bce_head_trains_on_the_chapter_route1_net() {
    let mut cfg = Config::default(); // 2→32→1, BCE-with-logits, SGD lr 0.5
    cfg.data.n = 400;
    let (data, spec, mut b) = setup(&cfg, &cpu(Precision::F32));
    assert_eq!(spec.n_outputs(), 1);
    let stats = train(&mut b, &cfg, data.train.y.len(), 1, 5);
    assert!(stats[4].loss_sum < stats[0].loss_sum, "{stats:?}");
    let logits = b.logits(&data.val.x).unwrap();
    assert_eq!(logits.dim(), (data.val.y.len(), 1));
    // The loss and accuracy the backend reports for a step are those of the logits before
    // the update: one batch as a whole epoch, checked against common's metrics.
    let (_, _, mut fresh) = setup(&cfg, &cpu(Precision::F32));
    let rows = order(&cfg, data.train.y.len(), 1)[..cfg.train.batch_size].to_vec();
    let x = data.train.x.select(ndarray::Axis(0), &rows);
    let y: Vec<usize> = rows.iter().map(|&r| data.train.y[r]).collect();
    let before = fresh.logits(&x).unwrap();
    let want_loss = common::metrics::loss_from_logits(&before, &y, spec.head);
    let want_correct = common::metrics::predictions(&before, spec.head)
        .iter()
        .zip(&y)
        .filter(|(p, t)| p == t)
        .count();
    let s = fresh.train_epoch(&rows, &ctx(&cfg, 1)).unwrap();
    assert_eq!(s.count, rows.len());
    assert!(
        (s.loss_sum / s.count as f64 - want_loss).abs() < 1e-5,
        "{} vs {want_loss}",
        s.loss_sum
    );
    assert_eq!(s.correct, want_correct);
}

#[test]
fn cnn_with_augmentation_is_deterministic() {
    let mut cfg = Config::chapter_route2();
    cfg.data.source = Source::Digits;
    cfg.model.kind = ModelKind::Cnn;
    cfg.model.channels = vec![4];
    cfg.model.hidden = vec![16];
    cfg.data.augment.enabled = true;
    cfg.train.batch_size = 64;
    let run = || {
        let (data, spec, mut b) = setup(&cfg, &cpu(Precision::F32));
        assert_eq!(spec.input_shape, vec![1, 8, 8]);
        let s = train(&mut b, &cfg, data.train.y.len(), 1, 1);
        (s[0].loss_sum, b.export().unwrap())
    };
    let (loss_a, a) = run();
    let (loss_b, b) = run();
    assert!(loss_a.is_finite());
    assert_eq!((loss_a, a), (loss_b, b));
}

#[test]
fn grad_norms_are_reported_when_asked() {
    let cfg = small_config();
    let (data, spec, mut b) = setup(&cfg, &cpu(Precision::F32));
    let mut c = ctx(&cfg, 1);
    c.log_grad_norms = true;
    let s = b
        .train_epoch(&order(&cfg, data.train.y.len(), 1), &c)
        .unwrap();
    let got: Vec<&str> = s.grad_norms.iter().map(|(n, _)| n.as_str()).collect();
    let want: Vec<String> = spec.params().into_iter().map(|p| p.name).collect();
    assert_eq!(got, want);
    assert!(s.grad_norms.iter().all(|(_, g)| g.is_finite() && *g > 0.0));
}

#[test]
fn a_diverging_run_names_epoch_and_batch() {
    let mut cfg = small_config();
    cfg.optim.lr = 1e30;
    cfg.optim.name = common::config::OptimName::Sgd;
    let (data, _, mut b) = setup(&cfg, &cpu(Precision::F32));
    let n = data.train.y.len();
    let err = (1..=3)
        .find_map(|e| b.train_epoch(&order(&cfg, n, e), &ctx(&cfg, e)).err())
        .expect("diverges");
    let msg = err.to_string();
    assert!(matches!(err, common::Error::Diverged { .. }), "{msg}");
    assert!(msg.contains("epoch") && msg.contains("batch"), "{msg}");
}

#[test]
fn bad_input_is_an_error_naming_the_culprit() {
    let cfg = small_config();
    let (data, _, mut b) = setup(&cfg, &cpu(Precision::F32));
    let wide = Array2::<f32>::zeros((3, 5));
    assert!(b
        .logits(&wide)
        .unwrap_err()
        .to_string()
        .contains("5 features"));
    let mut saved = b.export().unwrap();
    saved[0].1 = HostTensor::f32(vec![2, 2], vec![0.0; 4]);
    let msg = b.import(&saved).unwrap_err().to_string();
    assert!(
        msg.contains("net.0.weight") && msg.contains("[2, 2]"),
        "{msg}"
    );
    saved.remove(0);
    assert!(b
        .import(&saved)
        .unwrap_err()
        .to_string()
        .contains("net.0.weight"));
    let bad_order = vec![data.train.y.len()];
    assert!(b
        .train_epoch(&bad_order, &ctx(&cfg, 1))
        .unwrap_err()
        .to_string()
        .contains("row"));
    assert_eq!(b.logits(&Array2::zeros((0, 2))).unwrap().dim(), (0, 2));
}
