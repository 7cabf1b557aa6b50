//! Finite-difference checks of every layer's backward pass alone (input, weight and bias
//! gradients) and of both losses, in f64; and mutation checks of the checker itself: a real
//! layer given a deliberately wrong backward pass (a flipped sign, a wrong scale, a missing
//! term) fails `check_layer` on exactly the broken tensor.

use common::config::Activation as Act;
use common::seed::Rng;
use common::spec::{Head, LayerSpec};
use ndarray::{Array2, ArrayView2};
use rand::{Rng as _, SeedableRng};
use scratch::gradcheck::{check_layer, check_loss};
use scratch::layers::{build, Buf, Layer, Mode, Param, ParamMut};

#[path = "gradcheck_support/mod.rs"]
mod gradcheck_support;
use gradcheck_support::{check, random, EPS, TOL};

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
            stride: 1,
            bias: true,
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
            stride: 1,
            bias: true,
        },
        &[1, 4, 4],
        3,
    );
}

#[test]
fn maxpool_and_flatten_match_finite_differences() {
    // 5×5 with k = 2: the last row and column are dropped (floor mode) and get zero gradient.
    check(
        LayerSpec::MaxPool2d {
            k: 2,
            stride: None,
            padding: 0,
        },
        &[2, 5, 5],
        2,
    );
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

/// The bugs a hand-written backward pass typically has, applied to a real layer's gradients.
#[derive(Debug, Clone, Copy)]
enum Bug {
    /// No bug: the wrapper must then pass, or the mutation tests prove nothing.
    None,
    /// `dX` with its sign flipped (`dX = −dY·W`).
    InputSignFlipped,
    /// `dW` off by a small factor (a wrong scale, e.g. a stray batch-size normalisation).
    WeightScaled(f64),
    /// `db` summed over all but the last example (an off-by-one in the batch sum).
    BiasMissesLastExample,
}

/// A real layer whose backward pass runs, then has `bug` applied to its result: what
/// [`check_layer`] sees is a layer with a wrong backward pass and a correct forward pass.
#[derive(Debug)]
struct Mutant {
    inner: Box<dyn Layer<f64>>,
    bug: Bug,
    /// The input gradient handed out (the inner one, possibly corrupted).
    dx: Array2<f64>,
    /// The weight and bias gradients handed out.
    grads: Vec<Vec<f64>>,
}

impl Mutant {
    fn new(inner: Box<dyn Layer<f64>>, bug: Bug) -> Self {
        Mutant {
            inner,
            bug,
            dx: Array2::zeros((0, 0)),
            grads: Vec::new(),
        }
    }
}

impl Layer<f64> for Mutant {
    fn forward(&mut self, x: Buf<f64>, mode: Mode<'_>) -> Buf<f64> {
        self.inner.forward(x, mode)
    }
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, f64>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, f64>> {
        let dx = self.inner.backward(dy.reborrow(), need_dx)?;
        self.dx = dx.to_owned();
        self.grads = self
            .inner
            .params()
            .iter()
            .map(|p| p.grad.to_vec())
            .collect();
        match self.bug {
            Bug::None => {}
            Bug::InputSignFlipped => self.dx.mapv_inplace(|v| -v),
            Bug::WeightScaled(s) => self.grads[0].iter_mut().for_each(|g| *g *= s),
            Bug::BiasMissesLastExample => {
                let last = dy.row(dy.nrows() - 1);
                self.grads[1]
                    .iter_mut()
                    .zip(last)
                    .for_each(|(g, d)| *g -= d);
            }
        }
        Some(self.dx.view())
    }
    fn params(&self) -> Vec<Param<'_, f64>> {
        let values = self.inner.params();
        values
            .into_iter()
            .zip(&self.grads)
            .map(|(p, g)| Param {
                value: p.value,
                grad: g,
            })
            .collect()
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        let mut grads = self.grads.iter();
        self.inner.visit_params_mut(&mut |p| {
            let grad = grads.next().expect("one gradient per parameter");
            f(ParamMut {
                value: p.value,
                grad,
            })
        });
    }
}

/// Runs the real `check_layer` on a 5→3 `Linear` layer (random weights) with `bug`; returns
/// the relative errors of input, weight and bias.
fn check_mutant(bug: Bug) -> Vec<(String, f64)> {
    let spec = LayerSpec::Linear {
        inputs: 5,
        outputs: 3,
    };
    let (mut layer, _) = build::<f64>(&spec, &[5]).expect("valid layer");
    let mut rng = Rng::seed_from_u64(11);
    layer.visit_params_mut(&mut |p| {
        p.value
            .iter_mut()
            .for_each(|v| *v = rng.gen_range(-1.0..1.0));
    });
    let mut mutant = Mutant::new(layer, bug);
    check_layer(&mut mutant, &random(4, 5, 5), EPS)
}

/// Asserts that exactly the tensor `broken` fails the check (error above `at_least`) and
/// every other tensor passes.
fn assert_only_flagged(errors: &[(String, f64)], broken: &str, at_least: f64) {
    let names: Vec<&str> = errors.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["input", "weight", "bias"]);
    for (name, err) in errors {
        if name == broken {
            assert!(
                *err > at_least,
                "the broken {name} gradient passed gradcheck: relative error {err:e}"
            );
        } else {
            assert!(*err < TOL, "{name}: relative error {err:e}");
        }
    }
}

#[test]
fn the_mutation_wrapper_alone_passes() {
    for (name, err) in check_mutant(Bug::None) {
        assert!(err < TOL, "{name}: relative error {err:e}");
    }
}

#[test]
fn a_flipped_sign_in_the_input_gradient_is_caught() {
    // −a against a: ‖2a‖ / 2‖a‖ = 1, the largest error there is.
    let errors = check_mutant(Bug::InputSignFlipped);
    assert_only_flagged(&errors, "input", 0.99);
}

#[test]
fn a_weight_gradient_off_by_one_part_in_a_thousand_is_caught() {
    // (s − 1)‖a‖ / (s + 1)‖a‖ ≈ 5·10⁻⁴ for s = 1.001: far above the 10⁻⁶ tolerance.
    let errors = check_mutant(Bug::WeightScaled(1.001));
    assert_only_flagged(&errors, "weight", 4e-4);
    let errors = check_mutant(Bug::WeightScaled(0.25));
    assert_only_flagged(&errors, "weight", 0.5);
}

#[test]
fn a_bias_gradient_missing_one_example_is_caught() {
    let errors = check_mutant(Bug::BiasMissesLastExample);
    assert_only_flagged(&errors, "bias", 1e-2);
}

#[test]
fn a_wrong_activation_backward_is_caught() {
    // An activation's only gradient is its input's: flip its sign and the check fails there.
    let (tanh, _) = build::<f64>(&LayerSpec::Act { act: Act::Tanh }, &[7]).expect("valid");
    let mut mutant = Mutant::new(tanh, Bug::InputSignFlipped);
    let errors = check_layer(&mut mutant, &random(3, 7, 5), EPS);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].1 > 0.99, "{errors:?}");
}
