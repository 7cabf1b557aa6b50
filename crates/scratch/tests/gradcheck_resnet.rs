//! Finite-difference checks (f64) of the layers a ResNet adds: BatchNorm in train mode (both
//! statistics' terms of its backward) and with its statistics frozen, strided convolutions
//! without a bias, overlapping padded max pooling, global average pooling, residual blocks
//! with and without their projection shortcut, and a whole small ResNet through
//! `gradcheck`. A BatchNorm whose backward drops the mean's term fails the check.

use common::config::{Activation, Config, ModelKind, Stem};
use common::init::init_params;
use common::seed::{Rng, Seeds, Stream};
use common::spec::{Head, LayerSpec, ModelSpec};
use common::tensor::HostTensor;
use ndarray::{Array2, ArrayView2};
use rand::{Rng as _, SeedableRng};
use scratch::gradcheck::{check_layer, gradcheck};
use scratch::layers::{BatchNorm, Buf, Layer, Mode, Param, ParamMut};

#[path = "gradcheck_support/mod.rs"]
mod gradcheck_support;
use gradcheck_support::{check, random, EPS, TOL};

fn conv(in_ch: usize, out_ch: usize, kernel: usize, padding: usize, stride: usize) -> LayerSpec {
    LayerSpec::Conv2d {
        in_ch,
        out_ch,
        kernel,
        padding,
        stride,
        bias: false,
    }
}

#[test]
fn batch_norm_in_train_mode_matches_finite_differences() {
    // BatchNorm2d: statistics over the batch and the pixels; BatchNorm1d: over the batch.
    let e = check(LayerSpec::BatchNorm { features: 3 }, &[3, 4, 5], 4);
    assert_eq!(e.len(), 3, "input, weight, bias");
    check(LayerSpec::BatchNorm { features: 6 }, &[6], 5);
}

#[test]
fn a_frozen_batch_norm_is_an_affine_map_of_its_running_statistics() {
    let mut bn = BatchNorm::<f64>::new(2, 3);
    bn.running_mean = vec![0.3, -0.2];
    bn.running_var = vec![1.7, 0.4];
    bn.weight = vec![1.3, -0.8];
    bn.set_frozen(&[true, true]);
    let x = random(4, 6, 3);
    let err = &check_layer(&mut bn, &x, EPS)[0];
    assert!(err.1 < TOL, "input: {err:?}");
    // Train mode did not touch the statistics, and used them: y = γ(x − μ)/√(σ² + ε) + β.
    assert_eq!(bn.running_mean, [0.3, -0.2]);
    assert_eq!(bn.num_batches_tracked, 0);
    let y = bn.forward(
        Buf::from_view(x.view()),
        Mode::Train(&mut Rng::seed_from_u64(1)),
    );
    let want = 1.3 * (x[[0, 0]] - 0.3) / (1.7f64 + 1e-5).sqrt();
    assert!((y.view()[[0, 0]] - want).abs() < 1e-14);
}

#[test]
fn strided_convolutions_without_bias_match_finite_differences() {
    let e = check(conv(2, 3, 3, 1, 2), &[2, 7, 6], 3);
    assert_eq!(e.len(), 2, "input and weight: no bias");
    check(conv(3, 4, 1, 0, 2), &[3, 5, 5], 2); // the projection shortcut
    check(conv(1, 2, 7, 3, 2), &[1, 9, 8], 2); // the imagenet stem
}

#[test]
fn padded_overlapping_max_pooling_and_global_average_pooling_match() {
    let pool = LayerSpec::MaxPool2d {
        k: 3,
        stride: Some(2),
        padding: 1,
    };
    check(pool, &[2, 7, 6], 3);
    check(LayerSpec::GlobalAvgPool, &[3, 4, 5], 3);
}

fn block(inplanes: usize, planes: usize, stride: usize) -> LayerSpec {
    let relu = LayerSpec::Act {
        act: Activation::Relu,
    };
    let bn = |features| LayerSpec::BatchNorm { features };
    let downsample = if stride != 1 || inplanes != planes {
        vec![
            ("0".into(), conv(inplanes, planes, 1, 0, stride)),
            ("1".into(), bn(planes)),
        ]
    } else {
        Vec::new()
    };
    LayerSpec::Residual {
        body: vec![
            ("conv1".into(), conv(inplanes, planes, 3, 1, stride)),
            ("bn1".into(), bn(planes)),
            ("relu".into(), relu.clone()),
            ("conv2".into(), conv(planes, planes, 3, 1, 1)),
            ("bn2".into(), bn(planes)),
        ],
        downsample,
        act: Activation::Relu,
    }
}

#[test]
fn residual_blocks_add_both_branches_gradients() {
    // Identity shortcut: conv1, bn1 (2), conv2, bn2 (2).
    assert_eq!(check(block(3, 3, 1), &[3, 5, 5], 3).len(), 1 + 6);
    // Projection shortcut: and downsample.0, downsample.1 (2).
    assert_eq!(check(block(2, 4, 2), &[2, 6, 5], 3).len(), 1 + 9);
}

/// A small ResNet of the config builder (both stems), every BatchNorm's statistics and
/// affine parameters away from their initial values.
fn small_resnet(stem: Stem) -> (ModelSpec, Vec<(String, HostTensor)>) {
    let mut cfg = Config::default();
    cfg.model.kind = ModelKind::Resnet;
    cfg.model.blocks = vec![1, 2];
    cfg.model.widths = vec![3, 4];
    cfg.model.stem = stem;
    cfg.model.init = common::config::InitScheme::Pytorch;
    let spec = ModelSpec::from_config(&cfg, 2 * 9 * 9, Some([2, 9, 9]), 3).expect("resnet");
    let mut init = init_params(&spec, cfg.model.init, &mut Seeds::new(3).rng(Stream::Init));
    let mut rng = Rng::seed_from_u64(9);
    for (name, t) in &mut init {
        if name.ends_with("bn1.weight")
            || name.ends_with("bn2.weight")
            || name.ends_with("running_var")
        {
            *t = HostTensor::f64(
                t.shape.clone(),
                t.to_f64().iter().map(|_| rng.gen_range(0.5..1.5)).collect(),
            );
        } else if name.contains("bn") && !name.ends_with("num_batches_tracked") {
            *t = HostTensor::f64(
                t.shape.clone(),
                t.to_f64()
                    .iter()
                    .map(|_| rng.gen_range(-0.3..0.3))
                    .collect(),
            );
        }
    }
    (spec, init)
}

#[test]
fn a_whole_small_resnet_matches_finite_differences() {
    for stem in [Stem::Small, Stem::Imagenet] {
        let (spec, init) = small_resnet(stem);
        assert_eq!(spec.head, Head::Softmax { classes: 3 });
        let x = random(5, 2 * 9 * 9, 8);
        let errors = gradcheck(&spec, &init, &x, &[0, 2, 1, 1, 0], EPS).expect("gradcheck");
        assert_eq!(errors.len(), spec.params().len());
        for (name, err) in &errors {
            assert!(*err < TOL, "{stem:?} {name}: relative error {err:e}");
        }
        assert!(errors
            .iter()
            .any(|(n, _)| n == "layer2.0.downsample.1.weight"));
    }
}

/// A BatchNorm whose backward drops the mean's term `−Σ dy` (a classic slip): it adds back
/// `γ/(M·√(σ² + ε))·Σ dy` per channel, recomputing the statistics from its own copy of `x`.
#[derive(Debug)]
struct NoMeanTerm {
    bn: BatchNorm<f64>,
    x: Array2<f64>,
    dx: Array2<f64>,
}

impl Layer<f64> for NoMeanTerm {
    fn forward(&mut self, x: Buf<f64>, mode: Mode<'_>) -> Buf<f64> {
        self.x = x.view().to_owned();
        self.bn.forward(x, mode)
    }
    fn backward<'a>(
        &'a mut self,
        dy: ArrayView2<'a, f64>,
        need_dx: bool,
    ) -> Option<ArrayView2<'a, f64>> {
        let mut dx = self.bn.backward(dy.reborrow(), need_dx)?.to_owned();
        let m = self.x.nrows() as f64;
        for c in 0..self.x.ncols() {
            let col = self.x.column(c);
            let mean = col.sum() / m;
            let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / m;
            let k = self.bn.weight[c] / (m * (var + 1e-5).sqrt()) * dy.column(c).sum();
            dx.column_mut(c).iter_mut().for_each(|v| *v += k);
        }
        self.dx = dx;
        Some(self.dx.view())
    }
    fn params(&self) -> Vec<Param<'_, f64>> {
        self.bn.params()
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        self.bn.visit_params_mut(f)
    }
}

#[test]
fn the_check_catches_a_batch_norm_backward_without_its_mean_term() {
    let mut faulty = NoMeanTerm {
        bn: BatchNorm::new(4, 1),
        x: Array2::zeros((0, 0)),
        dx: Array2::zeros((0, 0)),
    };
    faulty.bn.weight = vec![1.2, -0.7, 0.9, 1.1];
    let errors = check_layer(&mut faulty, &random(6, 4, 2), EPS);
    assert!(
        errors[0].1 > 1e-2,
        "the input gradient is caught: {errors:?}"
    );
    assert!(
        errors[1].1 < TOL && errors[2].1 < TOL,
        "γ and β are right: {errors:?}"
    );
}
