//! Finite-difference checks of whole models: every parameter of an MLP with a BCE head, an
//! MLP with a softmax head (tanh, dropout with a fixed mask) and a CNN, in f64.

use common::config::{Activation as Act, InitScheme};
use common::seed::Rng;
use common::spec::{Head, LayerSpec, ModelSpec};
use ndarray::Array2;
use rand::{Rng as _, SeedableRng};
use scratch::gradcheck::gradcheck;

fn check(spec: &ModelSpec, n: usize) {
    let init = common::init::init_params(spec, InitScheme::Pytorch, &mut Rng::seed_from_u64(3));
    let d: usize = spec.input_shape.iter().product();
    let mut rng = Rng::seed_from_u64(4);
    let x = Array2::from_shape_fn((n, d), |_| rng.gen_range(-2.0..2.0));
    let classes = spec.n_outputs().max(2);
    let y: Vec<usize> = (0..n).map(|i| i % classes).collect();
    let errors = gradcheck(spec, &init, &x, &y, 1e-6).expect("valid model");
    assert_eq!(errors.len(), spec.params().len());
    for ((name, err), info) in errors.iter().zip(spec.params()) {
        assert_eq!(*name, info.name);
        assert!(*err < 1e-6, "{name}: relative error {err:e}");
    }
}

fn linear(inputs: usize, outputs: usize) -> LayerSpec {
    LayerSpec::Linear { inputs, outputs }
}

#[test]
fn mlp_with_bce_head() {
    let layers = vec![
        linear(3, 8),
        LayerSpec::Act { act: Act::Relu },
        linear(8, 1),
    ];
    check(
        &ModelSpec {
            names: Vec::new(),
            input_shape: vec![3],
            layers,
            head: Head::Bce,
            freeze: Vec::new(),
        },
        10,
    );
}

#[test]
fn mlp_with_softmax_head_tanh_and_dropout() {
    let layers = vec![
        linear(4, 6),
        LayerSpec::Act { act: Act::Tanh },
        LayerSpec::Dropout { p: 0.3 },
        linear(6, 5),
        LayerSpec::Act { act: Act::Sigmoid },
        linear(5, 3),
    ];
    check(
        &ModelSpec {
            names: Vec::new(),
            input_shape: vec![4],
            layers,
            head: Head::Softmax { classes: 3 },
            freeze: Vec::new(),
        },
        9,
    );
}

#[test]
fn cnn_with_two_conv_blocks() {
    let layers = vec![
        LayerSpec::Conv2d {
            in_ch: 1,
            out_ch: 2,
            kernel: 3,
            padding: 1,
            stride: 1,
            bias: true,
        },
        LayerSpec::Act { act: Act::Relu },
        LayerSpec::MaxPool2d {
            k: 2,
            stride: None,
            padding: 0,
        },
        LayerSpec::Conv2d {
            in_ch: 2,
            out_ch: 3,
            kernel: 3,
            padding: 1,
            stride: 1,
            bias: true,
        },
        LayerSpec::Act { act: Act::Relu },
        LayerSpec::MaxPool2d {
            k: 2,
            stride: None,
            padding: 0,
        },
        LayerSpec::Flatten,
        linear(3 * 2 * 2, 4),
        LayerSpec::Act { act: Act::Relu },
        linear(4, 3),
    ];
    check(
        &ModelSpec {
            names: Vec::new(),
            input_shape: vec![1, 8, 8],
            layers,
            head: Head::Softmax { classes: 3 },
            freeze: Vec::new(),
        },
        4,
    );
}
