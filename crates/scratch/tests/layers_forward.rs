//! Forward passes against direct formulas (a gradient check only proves that backward fits
//! forward; these prove forward computes the right thing), the losses at extreme logits, and
//! shape errors.

use common::config::Activation as Act;
use common::seed::Rng;
use common::spec::{Head, LayerSpec, ModelSpec};
use ndarray::{array, Array2};
use rand::{Rng as _, SeedableRng};
use scratch::layers::{build, Buf, Layer, Mode, ParamMut};
use scratch::loss::Loss;
use scratch::model::Model;

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = Rng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, cols), |_| rng.gen_range(-2.0..2.0))
}

fn forward(layer: &mut dyn Layer<f64>, x: &Array2<f64>) -> Array2<f64> {
    layer
        .forward(Buf::from_view(x.view()), Mode::Eval)
        .view()
        .to_owned()
}

/// Writes `weight` and `bias` into a layer that has them (in its visiting order).
fn set_weight_and_bias(layer: &mut dyn Layer<f64>, weight: &[f64], bias: &[f64]) {
    let mut values = [weight, bias].into_iter();
    layer.visit_params_mut(&mut |p: ParamMut<'_, f64>| {
        p.value
            .copy_from_slice(values.next().expect("weight and bias only"))
    });
    assert!(values.next().is_none(), "the layer has weight and bias");
}

#[test]
fn linear_is_x_times_w_transposed_plus_b() {
    let (mut layer, out) = build::<f64>(
        &LayerSpec::Linear {
            inputs: 2,
            outputs: 3,
        },
        &[2],
    )
    .unwrap();
    assert_eq!(out, [3]);
    // W = [[1,2],[3,4],[5,6]]
    set_weight_and_bias(
        layer.as_mut(),
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        &[0.5, -0.5, 0.0],
    );
    let y = forward(layer.as_mut(), &array![[1.0, -1.0], [2.0, 0.5]]);
    assert_eq!(y, array![[-0.5, -1.5, -1.0], [3.5, 7.5, 13.0]]);
}

#[test]
fn conv2d_matches_a_direct_convolution() {
    let (c, o, k, p, h, w) = (2, 3, 3, 1, 5, 4);
    let spec = LayerSpec::Conv2d {
        in_ch: c,
        out_ch: o,
        kernel: k,
        padding: p,
        stride: 1,
        bias: true,
    };
    let (mut layer, out) = build::<f64>(&spec, &[c, h, w]).unwrap();
    assert_eq!(out, [o, h, w]);
    let wt = random(o, c * k * k, 1);
    let bias = random(1, o, 2);
    set_weight_and_bias(
        layer.as_mut(),
        wt.as_slice().unwrap(),
        bias.as_slice().unwrap(),
    );
    let x = random(2, c * h * w, 3);
    let y = forward(layer.as_mut(), &x);
    for n in 0..2 {
        for (oc, oy, ox) in itertools(o, h, w) {
            let mut s = bias[[0, oc]];
            for (ic, ky, kx) in itertools(c, k, k) {
                let (iy, ix) = (oy as isize + ky as isize - 1, ox as isize + kx as isize - 1);
                if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                    let v = x[[n, (ic * h + iy as usize) * w + ix as usize]];
                    s += wt[[oc, (ic * k + ky) * k + kx]] * v;
                }
            }
            assert!((y[[n, (oc * h + oy) * w + ox]] - s).abs() < 1e-12);
        }
    }
}

/// All `(a, b, c)` in `0..na × 0..nb × 0..nc`, row-major.
fn itertools(na: usize, nb: usize, nc: usize) -> impl Iterator<Item = (usize, usize, usize)> {
    (0..na).flat_map(move |a| (0..nb).flat_map(move |b| (0..nc).map(move |c| (a, b, c))))
}

#[test]
fn maxpool_takes_window_maxima_in_floor_mode() {
    let (mut layer, out) = build::<f64>(
        &LayerSpec::MaxPool2d {
            k: 2,
            stride: None,
            padding: 0,
        },
        &[1, 3, 5],
    )
    .unwrap();
    assert_eq!(out, [1, 1, 2]);
    let x =
        Array2::from_shape_vec((1, 15), (0..15).map(|v| ((v * 7) % 15) as f64).collect()).unwrap();
    // rows: [0 7 14 6 13] [5 12 4 11 3] [10 2 9 1 8]; windows (rows 0-1, cols 0-1 / 2-3).
    assert_eq!(forward(layer.as_mut(), &x), array![[12.0, 14.0]]);
}

#[test]
fn activations_and_eval_dropout_values() {
    let x = array![[-1.0, 0.0, 2.0]];
    let act = |a| {
        forward(
            build::<f64>(&LayerSpec::Act { act: a }, &[3])
                .unwrap()
                .0
                .as_mut(),
            &x,
        )
    };
    assert_eq!(act(Act::Relu), array![[0.0, 0.0, 2.0]]);
    assert_eq!(act(Act::Tanh), x.mapv(f64::tanh));
    assert!((act(Act::Sigmoid)[[0, 2]] - 1.0 / (1.0 + (-2.0f64).exp())).abs() < 1e-15);
    let mut drop = build::<f64>(&LayerSpec::Dropout { p: 0.5 }, &[3])
        .unwrap()
        .0;
    assert_eq!(
        forward(drop.as_mut(), &x),
        x,
        "eval-mode dropout is the identity"
    );
}

#[test]
fn bce_at_huge_logits_is_finite_and_exact() {
    let mut loss = Loss::<f64>::new(Head::Bce);
    let z = array![[1e4], [-1e4], [1e4], [-1e4]];
    // Right answers cost 0, wrong ones cost |z| = 1e4: mean (0 + 0 + 1e4 + 1e4)/4.
    let l = loss.forward(z.view(), &[1, 0, 0, 1]).unwrap();
    assert_eq!(l, 5e3);
    let g = loss.backward().to_owned();
    assert_eq!(g, array![[0.0], [0.0], [0.25], [-0.25]]);
    let mut loss32 = Loss::<f32>::new(Head::Bce);
    let l32 = loss32
        .forward(z.mapv(|v| v as f32).view(), &[1, 0, 0, 1])
        .unwrap();
    assert_eq!(l32, 5e3);
    assert!(loss32.backward().iter().all(|v| v.is_finite()));
}

#[test]
fn softmax_ce_at_huge_logits_is_finite_and_exact() {
    let mut loss = Loss::<f32>::new(Head::Softmax { classes: 3 });
    let z = array![[1e4f32, 0.0, -1e4], [1e4, 0.0, -1e4]];
    let l = loss.forward(z.view(), &[0, 2]).unwrap();
    assert_eq!(l, 1e4, "(0 + 2e4)/2");
    let g = loss.backward().to_owned();
    assert_eq!(g, array![[0.0, 0.0, 0.0], [0.5, 0.0, -0.5]]);
}

#[test]
fn shape_errors_name_the_layer_and_both_shapes() {
    let spec = ModelSpec {
        names: Vec::new(),
        input_shape: vec![4],
        layers: vec![
            LayerSpec::Linear {
                inputs: 4,
                outputs: 3,
            },
            LayerSpec::Linear {
                inputs: 5,
                outputs: 1,
            },
        ],
        head: Head::Bce,
        freeze: Vec::new(),
    };
    let err = Model::<f32>::zeros(&spec).unwrap_err().to_string();
    assert!(
        err.contains("net.1") && err.contains("[5]") && err.contains("[3]"),
        "{err}"
    );
    let spec = ModelSpec {
        names: Vec::new(),
        input_shape: vec![2],
        layers: vec![LayerSpec::Linear {
            inputs: 2,
            outputs: 2,
        }],
        head: Head::Bce,
        freeze: Vec::new(),
    };
    assert!(Model::<f32>::zeros(&spec)
        .unwrap_err()
        .to_string()
        .contains("needs [1]"));
}
