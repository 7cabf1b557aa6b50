//! What the layer gradient checks share: the step, the tolerance, random inputs, and
//! `check`, which builds one layer with random parameters and asserts every gradient.
#![allow(dead_code)]

use common::seed::Rng;
use common::spec::LayerSpec;
use ndarray::Array2;
use rand::{Rng as _, SeedableRng};
use scratch::gradcheck::check_layer;
use scratch::layers::build;

pub const EPS: f64 = 1e-6;
pub const TOL: f64 = 1e-6;

/// Uniform(-2, 2) entries; continuous, so no ReLU input or pooling tie sits within ε of a kink.
pub fn random(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = Rng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, cols), |_| rng.gen_range(-2.0..2.0))
}

/// Builds `spec` for `input`, fills its parameters at random and checks every gradient.
pub fn check(spec: LayerSpec, input: &[usize], batch: usize) -> Vec<(String, f64)> {
    let (mut layer, _) = build::<f64>(&spec, input).expect("valid layer");
    let mut rng = Rng::seed_from_u64(11);
    layer.visit_params_mut(&mut |p| {
        p.value
            .iter_mut()
            .for_each(|v| *v = rng.gen_range(-1.0..1.0));
    });
    let x = random(batch, input.iter().product(), 5);
    let errors = check_layer(layer.as_mut(), &x, EPS);
    for (name, err) in &errors {
        assert!(*err < TOL, "{spec:?} {name}: relative error {err:e}");
    }
    errors
}
