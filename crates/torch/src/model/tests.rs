//! The training path ([`Net::forward_train`] over [`Net::train_leaves`], gradients gathered
//! through [`Net::leaf_views`]) against the plain one (`F.linear` over [`Net::params`], the
//! gradients concatenated): the same logits, loss and flat gradient, bit for bit.

use common::config::{Activation, InitScheme};
use common::init::init_params;
use common::seed::Rng;
use common::spec::{Head, LayerSpec, ModelSpec};
use rand::SeedableRng;
use tch::{Device, Kind, Tensor};

use super::{loss, Net};

fn linear(inputs: usize, outputs: usize) -> LayerSpec {
    LayerSpec::Linear { inputs, outputs }
}

fn relu() -> LayerSpec {
    LayerSpec::Act {
        act: Activation::Relu,
    }
}

/// An MLP with dropout, and a small CNN whose Linear layer follows a Flatten.
fn specs() -> Vec<ModelSpec> {
    let mlp = ModelSpec {
        names: Vec::new(),
        input_shape: vec![7],
        layers: vec![
            linear(7, 33),
            relu(),
            LayerSpec::Dropout { p: 0.3 },
            linear(33, 17),
            LayerSpec::Act {
                act: Activation::Tanh,
            },
            linear(17, 3),
        ],
        head: Head::Softmax { classes: 3 },
        freeze: Vec::new(),
    };
    let cnn = ModelSpec {
        names: Vec::new(),
        input_shape: vec![1, 6, 6],
        layers: vec![
            LayerSpec::Conv2d {
                in_ch: 1,
                out_ch: 4,
                kernel: 3,
                padding: 1,
                stride: 1,
                bias: true,
            },
            relu(),
            LayerSpec::MaxPool2d {
                k: 2,
                stride: None,
                padding: 0,
            },
            LayerSpec::Flatten,
            linear(36, 1),
        ],
        head: Head::Bce,
        freeze: Vec::new(),
    };
    vec![mlp, cnn]
}

/// Logits, loss and flat gradient of one batch, through the training path or the plain one.
fn gradients(net: &Net, x: &Tensor, y: &Tensor, train_path: bool) -> (Tensor, Tensor, Tensor) {
    // The same dropout masks on both paths.
    crate::device::with_seed(11, || gradients_inner(net, x, y, train_path))
}

fn gradients_inner(net: &Net, x: &Tensor, y: &Tensor, train: bool) -> (Tensor, Tensor, Tensor) {
    let head = net.spec().head;
    let targets = loss::loss_targets(head, y, x.kind()).unwrap();
    if train {
        let logits = net.forward_train(x).unwrap();
        let l = loss::loss(head, &logits, &targets, None).unwrap();
        let grads = Tensor::run_backward(&[&l], net.train_leaves(), false, false);
        let buf = net.flat().zeros_like();
        for (view, g) in net.leaf_views(&buf).unwrap().iter().zip(&grads) {
            view.shallow_clone().copy_(g);
        }
        (logits, l, buf)
    } else {
        let logits = net.forward(x, true).unwrap();
        let l = loss::loss(head, &logits, &targets, None).unwrap();
        let grads = Tensor::run_backward(&[&l], net.params(), false, false);
        let flat: Vec<Tensor> = grads.iter().map(|g| g.reshape([-1])).collect();
        (logits, l, Tensor::cat(&flat, 0))
    }
}

fn bits(t: &Tensor) -> Vec<u64> {
    Vec::<f64>::try_from(&t.detach().reshape([-1]).to_kind(Kind::Double))
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect()
}

#[test]
fn training_leaves_give_the_plain_gradients_bit_for_bit() {
    for (spec, kind) in specs()
        .into_iter()
        .flat_map(|s| [(s.clone(), Kind::Double), (s, Kind::Float)])
    {
        let mut net = Net::new(&spec, kind, Device::Cpu).unwrap();
        let mut rng = Rng::seed_from_u64(3);
        net.load(&init_params(&spec, InitScheme::Pytorch, &mut rng))
            .unwrap();
        let n_in: i64 = spec.input_shape.iter().product::<usize>() as i64;
        let classes = spec.n_outputs().max(2) as i64;
        let (x, y) = crate::device::with_seed(5, || {
            (
                Tensor::randn([29, n_in], (kind, Device::Cpu)),
                Tensor::randint(classes, [29], (Kind::Int64, Device::Cpu)),
            )
        });
        let (la, sa, ga) = gradients(&net, &x, &y, true);
        let (lb, sb, gb) = gradients(&net, &x, &y, false);
        let what = format!("{} in {kind:?}", spec.describe());
        assert_eq!(bits(&la), bits(&lb), "logits of {what}");
        assert_eq!(bits(&sa), bits(&sb), "loss of {what}");
        assert_eq!(bits(&ga), bits(&gb), "gradient of {what}");
        assert!(
            bits(&ga).iter().any(|&b| b != 0),
            "a gradient that can differ"
        );
        let by_param = net.param_grads(net.leaf_views(&ga).unwrap()).unwrap();
        for ((p, g), info) in net.params().iter().zip(&by_param).zip(net.infos()) {
            assert_eq!(
                g.size(),
                p.size(),
                "{} in the parameter's layout",
                info.name
            );
        }
    }
}

/// Freezing the middle Linear layer (not a prefix of the buffer in spec order): the frozen
/// leaves need no grad, the trained tail holds exactly the trained parameters, and the
/// reordered buffer computes the same logits from the same weights.
#[test]
fn a_frozen_layer_moves_out_of_the_trained_tail_without_changing_the_network() {
    let plain = specs().remove(0);
    let mut frozen = plain.clone();
    frozen.freeze = vec!["net.3".into()];
    let init = init_params(&plain, InitScheme::Pytorch, &mut Rng::seed_from_u64(5));
    let mut a = Net::new(&plain, Kind::Double, Device::Cpu).unwrap();
    let mut b = Net::new(&frozen, Kind::Double, Device::Cpu).unwrap();
    a.load(&init).unwrap();
    b.load(&init).unwrap();
    let names: Vec<_> = b.trained_infos().into_iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        ["net.0.weight", "net.0.bias", "net.5.weight", "net.5.bias"]
    );
    let n_trained: i64 = b.trained_spans().iter().map(|s| s.1).sum();
    assert_eq!(b.trained_flat().unwrap().size(), [n_trained]);
    assert_eq!(a.trained_flat().unwrap().size(), a.flat().size());
    for (info, leaf) in b.infos().iter().zip(b.train_leaves()) {
        assert_eq!(leaf.requires_grad(), !info.name.starts_with("net.3."));
    }
    // Under the generators' lock: a draw from libtorch's global generator outside it would
    // move the stream between another test's seed and its dropout masks (a flake seen on a
    // loaded machine in `training_leaves_give_the_plain_gradients_bit_for_bit`).
    let x = crate::device::with_seed(13, || Tensor::randn([4, 7], (Kind::Double, Device::Cpu)));
    let (la, lb) = (a.forward(&x, false).unwrap(), b.forward(&x, false).unwrap());
    assert_eq!(bits(&la), bits(&lb));
    assert_eq!(a.export().unwrap(), b.export().unwrap());
}
