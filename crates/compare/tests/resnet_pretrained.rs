//! A torchvision `resnet18` exported by `scripts/export_torchvision.py` (`weights=None` here:
//! nothing is downloaded; a user with internet passes `--weights IMAGENET1K_V1`) starts a run
//! of `model.kind = "resnet"`: every tensor is taken by name except the head, which is
//! re-initialised for another class count; both routes then give torchvision's logits, and
//! what our model holds loads back into torchvision's `resnet18` with
//! `load_state_dict(strict=True)`. A file for another architecture is refused with every
//! missing, unexpected and wrong-shape tensor named.

#[path = "resnet_support/mod.rs"]
mod resnet_support;

use common::checkpoint::load_weights;
use common::config::{Config, InitScheme, ModelKind, IMAGENET_MEAN, IMAGENET_STD};
use common::init::{from_pretrained, initial_params};
use common::seed::Rng;
use common::spec::ModelSpec;
use common::tensor::{find, HostTensor};
use ndarray::Array2;
use rand::{Rng as _, SeedableRng};
use resnet_support::{read, rel, script, values, write_safetensors};
use tch::{Device, Kind};

fn resnet18_config() -> Config {
    let mut cfg = Config::default();
    cfg.model.kind = ModelKind::Resnet; // blocks [2, 2, 2, 2], widths 64…512, imagenet stem
    cfg.model.init = InitScheme::Pytorch;
    cfg
}

#[test]
fn a_torchvision_resnet18_starts_a_run_and_loads_back_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("resnet18.safetensors");
    let said = script("export_torchvision.py", &[exported.to_str().unwrap()]);
    assert!(said.contains("wrote 122 tensors"), "{said}");
    let file = load_weights(&exported).unwrap();
    assert_eq!(
        file.normalize,
        Some((IMAGENET_MEAN.to_vec(), IMAGENET_STD.to_vec()))
    );

    let cfg = resnet18_config();
    let spec = ModelSpec::from_config(&cfg, 3 * 32 * 32, Some([3, 32, 32]), 10).unwrap();
    assert_eq!(spec.state().len(), 122, "torchvision's resnet18 state_dict");
    let seeded = initial_params(&spec, &cfg);
    let start = from_pretrained(&spec, &file, &seeded, &[], &exported).unwrap();
    assert_eq!(
        start.reinitialised,
        ["fc.weight", "fc.bias"],
        "1000 classes there, 10 here"
    );
    for name in [
        "conv1.weight",
        "layer2.0.downsample.0.weight",
        "layer4.1.bn2.running_var",
    ] {
        assert_eq!(
            find(&start.params, name),
            find(&file.tensors, name),
            "{name}"
        );
    }
    let count = find(&start.params, "bn1.num_batches_tracked").unwrap();
    assert!(matches!(count.data, common::tensor::TensorData::I64(_)));

    // Both routes in f32 against torchvision's forward with these tensors.
    let weights = dir.path().join("start.safetensors");
    write_safetensors(&weights, &start.params);
    let mut rng = Rng::seed_from_u64(2);
    let x = Array2::from_shape_fn((2, 3 * 32 * 32), |_| rng.gen_range(-2.0f32..2.0));
    let xs = HostTensor::f32(vec![2, 3, 32, 32], x.iter().copied().collect());
    let ys = HostTensor::i64(vec![2], vec![1, 7]);
    let input = dir.path().join("x.safetensors");
    write_safetensors(&input, &vec![("x".into(), xs), ("y".into(), ys)]);
    let out = dir.path().join("out.safetensors");
    let (w, i, o) = (
        weights.to_str().unwrap(),
        input.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    script(
        "resnet_reference.py",
        &[
            "--arch",
            "resnet18",
            "--in-ch",
            "3",
            "--classes",
            "10",
            "--dtype",
            "f32",
        ]
        .into_iter()
        .chain(["--weights", w, "--input", i, "--out", o])
        .collect::<Vec<_>>(),
    );
    let want = values(find(&read(&out), "logits").unwrap());
    let mut model = scratch::Model::<f32>::new(&spec, &start.params).unwrap();
    let ours: Vec<f64> = model
        .forward_view(x.view(), false)
        .unwrap()
        .iter()
        .map(|&v| v as f64)
        .collect();
    assert!(
        rel(&ours, &want) <= 1e-4,
        "scratch: {:e}",
        rel(&ours, &want)
    );
    let mut net = torch::model::Net::new(&spec, Kind::Float, Device::Cpu).unwrap();
    net.load(&start.params).unwrap();
    let xt = torch::convert::matrix_to_tensor(&x, Kind::Float, Device::Cpu).unwrap();
    let logits = tch::no_grad(|| net.forward(&xt, false)).unwrap();
    let got = Vec::<f64>::try_from(&logits.to_kind(Kind::Double).reshape([-1])).unwrap();
    assert!(rel(&got, &want) <= 1e-4, "torch: {:e}", rel(&got, &want));

    // What each route holds loads back into torchvision's resnet18, strictly.
    for (route, state) in [
        ("scratch", model.export()),
        ("torch", net.export().unwrap()),
    ] {
        let back = dir.path().join(format!("{route}.safetensors"));
        write_safetensors(&back, &state);
        let said = script(
            "resnet_reference.py",
            &["--arch", "resnet18", "--in-ch", "3", "--classes", "10"]
                .into_iter()
                .chain(["--load-strict", back.to_str().unwrap()])
                .collect::<Vec<_>>(),
        );
        assert!(
            said.contains("strict load ok: 122 tensors"),
            "{route}: {said}"
        );
    }

    // Another architecture: every tensor that does not fit is named, in one message.
    let mut other = resnet18_config();
    other.model.blocks = vec![2, 2, 2, 1];
    other.model.widths = vec![64, 128, 256, 256];
    let spec = ModelSpec::from_config(&other, 3 * 32 * 32, Some([3, 32, 32]), 10).unwrap();
    let seeded = initial_params(&spec, &other);
    let e = from_pretrained(&spec, &file, &seeded, &[], &exported)
        .unwrap_err()
        .to_string();
    for needle in [
        "unexpected (12)",
        "'layer4.1.conv1.weight' [512, 512, 3, 3]",
        "wrong shape",
        "'layer4.0.conv1.weight' is [512, 256, 3, 3] there, the model needs [256, 256, 3, 3]",
        "resnet18.safetensors",
        // What would fit: the file's blocks per stage.
        "the file's ResNet stages hold [2, 2, 2, 2] blocks (model.blocks = [2, 2, 2, 2])",
    ] {
        assert!(e.contains(needle), "{needle:?} in: {e}");
    }
    // The weights are named before the scalar counters (BatchNorm's num_batches_tracked).
    let unexpected = e.split("unexpected (12): ").nth(1).unwrap();
    let unexpected = unexpected.split("; wrong shape").next().unwrap();
    let counters = unexpected.find("num_batches_tracked").unwrap();
    assert!(
        counters > unexpected.rfind("conv2.weight").unwrap(),
        "{unexpected}"
    );
    // A reinit list that selects every parameter would load nothing: refused.
    let e = from_pretrained(&spec, &file, &seeded, &["".to_string()], &exported)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("model.reinit") && e.contains("selects every parameter"),
        "{e}"
    );
}

/// `configs/digits_resnet.toml` as torchvision's resnet18 at 32×32, `sets` added, the data
/// path made absolute.
fn resnet18_on_digits(sets: &[String]) -> Config {
    let root = resnet_support::workspace();
    let mut all: Vec<String> = [
        "data.image.size=[32, 32]",
        "model.blocks=[2, 2, 2, 2]",
        "model.widths=[64, 128, 256, 512]",
        "model.stem=\"imagenet\"",
    ]
    .map(String::from)
    .to_vec();
    all.extend(sets.iter().cloned());
    let mut cfg = Config::load(&root.join("configs/digits_resnet.toml"), &all).unwrap();
    cfg.data.path = cfg.data.path.map(|p| root.join(p));
    cfg
}

#[test]
fn the_weights_normalization_is_used_when_asked_and_its_absence_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("resnet18.safetensors");
    script("export_torchvision.py", &[exported.to_str().unwrap()]);
    let from = |file: &std::path::Path| {
        resnet18_on_digits(&[
            format!("model.init_from={:?}", file.display().to_string()),
            "data.image.normalize=\"weights\"".into(),
        ])
    };
    let (data, spec, start) = common::app::starting_point(&from(&exported), None, true).unwrap();
    let image = data.pre.image.as_ref().unwrap();
    assert_eq!(
        image.mean,
        IMAGENET_MEAN.to_vec(),
        "the file's, not fitted on the digits"
    );
    assert_eq!(image.std, IMAGENET_STD.to_vec());
    assert_eq!(
        start.len(),
        spec.state().len(),
        "every parameter and buffer"
    );
    // The same tensors without the metadata: the error names the file and what is missing.
    let bare = dir.path().join("bare.safetensors");
    write_safetensors(&bare, &read(&exported));
    let e = common::app::starting_point(&from(&bare), None, true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bare.safetensors") && e.contains("'normalize'"),
        "{e}"
    );
}

#[test]
fn a_run_checkpoint_loads_into_torchvision_strictly() {
    use common::app::{train, TrainArgs};
    let dir = tempfile::tempdir().unwrap();
    let root = resnet_support::workspace();
    let data = root.join("data/digits_folder").display().to_string();
    let out = dir.path().join("run");
    let args = TrainArgs {
        config: Some(root.join("configs/digits_resnet.toml")),
        set: vec!["train.epochs=1".into(), format!("data.path={data:?}")],
        out: Some(out.clone()),
        quiet: true,
        ..TrainArgs::default()
    };
    train(&compare::factory::ScratchFactory, &args).unwrap();
    let best = out.join("best.safetensors");
    let said = script(
        "resnet_reference.py",
        &[
            "--blocks", "1,1", "--widths", "8,16", "--stem", "small", "--in-ch", "3",
        ]
        .into_iter()
        .chain(["--classes", "10", "--load-strict", best.to_str().unwrap()])
        .collect::<Vec<_>>(),
    );
    // 20 parameters and the 18 buffers of 6 BatchNorms: conv1, bn1 and two blocks, the
    // second with its projection; the optimizer's tensors are not the model's.
    assert!(said.contains("strict load ok: 38 tensors"), "{said}");

    // A resumed run with `normalize = "weights"` and its preprocessing refitted does not read
    // the weights file again (here it no longer exists): the normalization is the one the
    // checkpoint was trained with.
    let last = out.join("last.safetensors");
    let trained = common::checkpoint::Checkpoint::load(&last).unwrap();
    let want = trained.meta.preprocessing.image.clone().unwrap();
    let mut cfg = trained.meta.config.clone();
    cfg.model.init_from = Some(dir.path().join("gone.safetensors"));
    cfg.model.init_preprocessing = common::config::InitPreprocessing::Refit;
    cfg.data.image.normalize =
        common::config::Normalize::Named(common::config::NormalizeName::Weights);
    let (data, _, _) = common::app::starting_point(&cfg, Some(&last), true).unwrap();
    let image = data.pre.image.as_ref().unwrap();
    assert_eq!((&image.mean, &image.std), (&want.mean, &want.std));
}
