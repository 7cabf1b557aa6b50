//! Finite-difference checks of every layer's backward pass alone (input, weight and bias
//! gradients) and of both losses, in f64.

use common::config::Activation as Act;
use common::seed::Rng;
use common::spec::{Head, LayerSpec};
use ndarray::Array2;
use rand::{Rng as _, SeedableRng};
use scratch::gradcheck::{check_layer, check_loss};
use scratch::layers::Layer;

const EPS: f64 = 1e-6;
const TOL: f64 = 1e-6;

/// Uniform(-2, 2) entries; continuous, so no ReLU input or pooling tie sits within ε of a kink.
fn random(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = Rng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, cols), |_| rng.gen_range(-2.0..2.0))
}

/// Builds `spec` for `input`, fills its parameters at random and checks every gradient.
fn check(spec: LayerSpec, input: &[usize], batch: usize) -> Vec<(String, f64)> {
    let (mut layer, _) = Layer::<f64>::new(&spec, input).expect("valid layer");
    if let Some(params) = layer.params_mut() {
        let mut rng = Rng::seed_from_u64(11);
        for p in params {
            p.value
                .iter_mut()
                .for_each(|v| *v = rng.gen_range(-1.0..1.0));
        }
    }
    let x = random(batch, input.iter().product(), 5);
    let errors = check_layer(&mut layer, &x, EPS);
    for (name, err) in &errors {
        assert!(*err < TOL, "{spec:?} {name}: relative error {err:e}");
    }
    errors
}

#[test]
fn linear_gradients_match_finite_differences() {
    let errors = check(
        LayerSpec::Linear {
            inputs: 5,
            outputs: 3,
        },
        &[5],
        4,
    );
    let names: Vec<&str> = errors.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["input", "weight", "bias"]);
    // The tiny-input kernel (2 features) takes another code path.
    check(
        LayerSpec::Linear {
            inputs: 2,
            outputs: 9,
        },
        &[2],
        6,
    );
}

#[test]
fn activations_match_finite_differences() {
    for act in [Act::Relu, Act::Tanh, Act::Sigmoid] {
        assert_eq!(check(LayerSpec::Act { act }, &[7], 3).len(), 1);
    }
}

#[test]
fn dropout_with_a_fixed_mask_matches_finite_differences() {
    check(LayerSpec::Dropout { p: 0.4 }, &[10], 4);
}

#[test]
fn conv2d_matches_finite_differences_with_and_without_padding() {
    check(
        LayerSpec::Conv2d {
            in_ch: 2,
            out_ch: 3,
            kernel: 3,
            padding: 1,
        },
        &[2, 5, 4],
        2,
    );
    check(
        LayerSpec::Conv2d {
            in_ch: 1,
            out_ch: 2,
            kernel: 2,
            padding: 0,
        },
        &[1, 4, 4],
        3,
    );
}

#[test]
fn maxpool_and_flatten_match_finite_differences() {
    // 5×5 with k = 2: the last row and column are dropped (floor mode) and get zero gradient.
    check(LayerSpec::MaxPool2d { k: 2 }, &[2, 5, 5], 2);
    check(LayerSpec::Flatten, &[2, 3, 3], 2);
}

#[test]
fn losses_match_finite_differences() {
    let z = random(6, 1, 3);
    let err = check_loss(Head::Bce, &z, &[0, 1, 1, 0, 1, 0], EPS).unwrap();
    assert!(err < TOL, "bce: {err:e}");
    let z = random(5, 4, 4);
    let err = check_loss(Head::Softmax { classes: 4 }, &z, &[0, 3, 2, 1, 3], EPS).unwrap();
    assert!(err < TOL, "softmax ce: {err:e}");
}

#[test]
fn a_wrong_gradient_is_caught() {
    // The check must be able to fail: compare a correct analytic gradient with a scaled one.
    let a = [1.0, -2.0, 0.5];
    let wrong: Vec<f64> = a.iter().map(|v| v * 1.01).collect();
    assert!(scratch::gradcheck::rel_error(&a, &wrong) > 1e-3);
    assert_eq!(scratch::gradcheck::rel_error(&a, &a), 0.0);
}
