//! What a training step really does, counted rather than inferred from its results:
//! the multiply-adds of its matrix products (`scratch::ops::product_macs`) against the one FLOP
//! definition (`ModelSpec::train_flops`), so a frozen layer that still computes its weight
//! gradient, or a first layer that computes an input gradient nobody reads, fails here.

use common::config::Config;
use common::init::init_params;
use common::seed::{Rng, Seeds, Stream};
use common::spec::ModelSpec;
use ndarray::Array2;
use rand::{Rng as _, SeedableRng};
use scratch::loss::Loss;
use scratch::ops::product_macs;
use scratch::Model;

/// A 20→32→24→5 MLP (Linear layers at `net.0`, `net.2`, `net.4`) with `freeze` applied.
fn spec(freeze: &[&str]) -> ModelSpec {
    let mut cfg = Config::default();
    cfg.model.hidden = vec![32, 24];
    let mut spec = ModelSpec::from_config(&cfg, 20, None, 5).expect("valid spec");
    spec.freeze = freeze.iter().map(|s| s.to_string()).collect();
    spec
}

/// Multiply-adds of one forward + backward pass over a batch of `n`, and the model after it.
fn one_step(spec: &ModelSpec, n: usize) -> (u64, Model<f64>) {
    let init = init_params(
        spec,
        Config::default().model.init,
        &mut Seeds::new(3).rng(Stream::Init),
    );
    let mut model = Model::<f64>::new(spec, &init).expect("model");
    let mut rng = Rng::seed_from_u64(9);
    let x = Array2::from_shape_fn((n, 20), |_| rng.gen_range(-1.5..1.5));
    let y: Vec<usize> = (0..n).map(|i| (i * 7 + 3) % 5).collect();
    let mut loss = Loss::new(spec.head);
    let before = product_macs();
    let logits = model.forward_view(x.view(), true).expect("forward");
    loss.forward(logits, &y).expect("loss");
    model.backward(loss.backward());
    (product_macs() - before, model)
}

#[test]
fn a_step_does_exactly_the_products_train_flops_counts() {
    let n = 17;
    for freeze in [
        &[][..],
        &["net.2"][..],        // a frozen middle Linear: no dW, but dX for net.0 below
        &["net.2.weight"][..], // its bias alone trains: still no dW
        &["net.0"][..],        // frozen input layer: backward stops above it
        &["net.0", "net.2"][..], // a frozen body: only the head trains
    ] {
        let spec = spec(freeze);
        let (macs, _) = one_step(&spec, n);
        let counted = 2.0 * macs as f64;
        let formula = n as f64 * spec.train_flops();
        assert_eq!(
            counted, formula,
            "freeze {freeze:?}: counted vs train_flops"
        );
    }
}

#[test]
fn a_frozen_middle_linear_does_no_weight_gradient_work() {
    let n = 17;
    let (all_macs, _) = one_step(&spec(&[]), n);
    let (frozen_macs, model) = one_step(&spec(&["net.2"]), n);
    // net.2 is 32→24: its weight gradient is one [24, 17]·[17, 32] product.
    assert_eq!(all_macs - frozen_macs, (24 * n * 32) as u64);
    // Its gradient was never written (a frozen parameter's stays as built: zero), while the
    // layers around it got theirs.
    let untouched = |name: &str| model.grad(name).unwrap().iter().all(|&g| g == 0.0);
    assert!(untouched("net.2.weight") && untouched("net.2.bias"));
    assert!(!untouched("net.0.weight") && !untouched("net.4.weight"));
}
