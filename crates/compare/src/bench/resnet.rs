//! `compare bench --resnet`: the ResNet lines, each against its anchor in the same run:
//!
//! - ResNet-18 forward in eval mode at 224×224 (batch 16, images/s): each route against
//!   PyTorch's own `model.eval()` loop under `torch.no_grad()` on the same libtorch
//!   (`scripts/resnet_bench.py forward`, torchvision's `resnet18`);
//! - one training step of a small ResNet (the small stem, stages of 2 blocks at 32 and 64
//!   channels, 32×32 images of `data/digits_folder`, batch 32, SGD with momentum, no
//!   augmentation): each route's training epoch against PyTorch's loop on random images of
//!   that shape (`scripts/resnet_bench.py train`), as milliseconds per step;
//! - the three products of each of that ResNet's convolutions in a step (forward, weight and
//!   input gradients of the im2col form), scratch's product entry points against libtorch's
//!   `mm` on the same shapes, GFLOP/s;
//! - ten epochs with everything but `fc` frozen: the backbone cached once
//!   (`train.cache_frozen`), against running it in every step.

use std::path::Path;
use std::time::Instant;

use common::config::Config;
use common::data::prepare;
use common::init::{init_params, initial_params};
use common::seed::Rng;
use common::spec::ModelSpec;
use common::{Error, Result};
use ndarray::Array2;
use rand::{Rng as _, SeedableRng};
use tch::{Device, Kind};
use torch::DeviceChoice;

use super::images::{rate_of, script};
use crate::factory;

/// ResNet-18 eval forward rates (images/s) of scratch and torch, best of `reps` rounds.
fn forward_rates(reps: usize) -> Result<[f64; 2]> {
    let mut cfg = Config::default();
    cfg.model.kind = common::config::ModelKind::Resnet;
    cfg.model.init = common::config::InitScheme::Pytorch;
    let shape = [3, 224, 224];
    let spec = ModelSpec::from_config(&cfg, shape.iter().product(), Some(shape), 1000)?;
    let init = init_params(&spec, cfg.model.init, &mut Rng::seed_from_u64(0));
    let mut rng = Rng::seed_from_u64(1);
    let x = Array2::from_shape_fn((16, 3 * 224 * 224), |_| rng.gen_range(-2.0f32..2.0));
    let mut model = scratch::Model::<f32>::new(&spec, &init)?;
    let mut net = torch::model::Net::new(&spec, Kind::Float, Device::Cpu)?;
    net.load(&init)?;
    torch::device::configure_threads(None);
    let xt = torch::convert::matrix_to_tensor(&x, Kind::Float, Device::Cpu)?;
    let torch_err = |e: tch::TchError| Error::Backend(format!("libtorch: forward: {e}"));
    // Each route's rounds together (round 0 warms up: allocations, libtorch's set-up), so
    // that neither pays for the other's memory.
    let mut best = [0.0f64; 2];
    for round in 0..=reps.max(1) {
        let t = Instant::now();
        model.forward_view(x.view(), false)?;
        if round > 0 {
            best[0] = best[0].max(16.0 / t.elapsed().as_secs_f64());
        }
    }
    drop(model);
    for round in 0..=reps.max(1) {
        let t = Instant::now();
        let _logits = tch::no_grad(|| net.forward(&xt, false)).map_err(torch_err)?;
        if round > 0 {
            best[1] = best[1].max(16.0 / t.elapsed().as_secs_f64());
        }
    }
    Ok(best)
}

/// The small-ResNet bench config on the digit files at 32×32, `sets` added.
fn step_config(sets: &[&str]) -> Result<Config> {
    let mut all = vec![
        "data.image.size=[32, 32]",
        "data.augment.enabled=false",
        "model.blocks=[2, 2]",
        "model.widths=[32, 64]",
        "train.epochs=1",
        "train.early_stopping.enabled=false",
    ];
    all.extend(sets);
    let all: Vec<String> = all.iter().map(|s| s.to_string()).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut cfg = Config::load(&root.join("configs/digits_resnet.toml"), &all)?;
    cfg.data.path = cfg.data.path.map(|p| root.join(p));
    Ok(cfg)
}

/// Training samples/s of each route on the step config with `sets`, best of `reps`.
fn epoch_rates(reps: usize, sets: &[&str]) -> Result<[f64; 2]> {
    let cfg = step_config(sets)?;
    let data = prepare(&cfg)?;
    let spec = data.spec(&cfg)?;
    let init = initial_params(&spec, &cfg);
    let mut rates = [0.0f64; 2];
    for _ in 0..reps.max(1) {
        for (rate, f) in rates.iter_mut().zip(factory::both(DeviceChoice::Cpu)) {
            *rate = (*rate).max(super::time_epochs(f.as_ref(), &cfg, &data, &spec, &init)?);
        }
    }
    Ok(rates)
}

/// GFLOP/s of scratch's product entry points and of libtorch's `mm` on the three products of
/// each convolution of `spec` in a training step at `batch` examples (forward `W·cols`,
/// weight gradient `dY·colsᵀ`, input gradient `Wᵀ·dY`), best of `reps` rounds.
fn conv_product_rates(spec: &ModelSpec, batch: usize, reps: usize) -> Result<[f64; 2]> {
    use ndarray::Array2;
    use scratch::ops::{matmul_nn, matmul_nt, matmul_tn, Workspace};
    let mut rng = Rng::seed_from_u64(3);
    let mut fill =
        |r: usize, c: usize| Array2::from_shape_fn((r, c), |_| rng.gen_range(-1.0f32..1.0));
    let shapes: Vec<[usize; 3]> = spec.conv_products().into_iter().map(|(_, s)| s).collect();
    let mats: Vec<_> = shapes
        .iter()
        .map(|&[o, k, p]| (fill(o, k), fill(k, batch * p), fill(o, batch * p)))
        .collect();
    let flops: f64 = shapes
        .iter()
        .map(|&[o, k, p]| 3.0 * 2.0 * (o * k * p * batch) as f64)
        .sum();
    let mut work = Workspace::new();
    let mut best = [0.0f64; 2];
    let torch_err = |e: tch::TchError| Error::Backend(format!("libtorch: mm: {e}"));
    let to_t = |a: &Array2<f32>| torch::convert::matrix_to_tensor(a, Kind::Float, Device::Cpu);
    let tensors = mats
        .iter()
        .map(|(w, c, d)| Ok((to_t(w)?, to_t(c)?, to_t(d)?)))
        .collect::<Result<Vec<_>>>()?;
    for round in 0..=reps.max(1) {
        let t = Instant::now();
        for (w, cols, dy) in &mats {
            let mut y = Array2::<f32>::zeros(dy.dim());
            matmul_nn(w.view(), cols.view(), y.view_mut());
            let mut dw = Array2::<f32>::zeros(w.dim());
            matmul_nt(dy.view(), cols.view(), None, dw.view_mut(), &mut work);
            let mut dc = Array2::<f32>::zeros(cols.dim());
            matmul_tn(w.view(), dy.view(), dc.view_mut(), &mut work);
        }
        let scratch = flops / t.elapsed().as_secs_f64() / 1e9;
        let t = Instant::now();
        for (w, cols, dy) in &tensors {
            let _y = w.f_mm(cols).map_err(torch_err)?;
            let _dw = dy.f_mm(&cols.tr()).map_err(torch_err)?;
            let _dc = w.tr().f_mm(dy).map_err(torch_err)?;
        }
        let torch = flops / t.elapsed().as_secs_f64() / 1e9;
        if round > 0 {
            best = [best[0].max(scratch), best[1].max(torch)];
        }
    }
    Ok(best)
}

/// The report (see the module documentation); `reps` rounds, the best of each kept.
pub fn run(reps: usize, py: &Path) -> Result<String> {
    let reps_s = reps.max(1).to_string();
    common::errln!("compare bench --resnet: ResNet-18 forward ...");
    let [sf, tf] = forward_rates(reps)?;
    let anchor_f = rate_of(&script(
        py,
        "resnet_bench.py",
        &["forward", "--reps", &reps_s],
    )?)?;
    common::errln!("compare bench --resnet: small ResNet steps ...");
    let [se, te] = epoch_rates(reps, &[])?;
    let anchor_t = rate_of(&script(
        py,
        "resnet_bench.py",
        &["train", "--reps", &reps_s],
    )?)?;
    let frozen = r#"model.freeze=["conv1","bn1","layer1","layer2"]"#;
    // Ten epochs: the cache is computed in the first and serves the other nine.
    let [sc, tc] = epoch_rates(reps, &[frozen, "train.epochs=10"])?;
    let [su, tu] = epoch_rates(
        reps,
        &[frozen, "train.epochs=10", "train.cache_frozen=false"],
    )?;
    let small = ModelSpec::from_config(&step_config(&[])?, 3 * 32 * 32, Some([3, 32, 32]), 10)?;
    let [sg, tg] = conv_product_rates(&small, 32, reps)?;
    let ms = |rate: f64| 32.0 / rate * 1e3;
    Ok(format!(
        "\nResNet (best of {reps}; PyTorch anchors from scripts/resnet_bench.py on the same libtorch):\n\
         resnet18 eval forward 224×224, batch 16   scratch {sf:>7.1} images/s   torch {tf:>7.1}   PyTorch model.eval() loop {anchor_f:>7.1}   scratch/PyTorch {:.2}×   torch/PyTorch {:.2}×\n\
         small ResNet train step 32×32, batch 32  scratch {:>7.1} ms   torch {:>7.1} ms   PyTorch loop {:>7.1} ms   scratch/torch time {:.2}×   torch/PyTorch speed {:.2}×\n\
         its convolutions' products, batch 32     scratch {sg:>7.1} GFLOP/s   libtorch mm {tg:>7.1} GFLOP/s   share {:.0} %\n\
         head only (backbone frozen), 10 epochs   cached: scratch {sc:>7.0} images/s, torch {tc:>7.0}   every step: scratch {su:>7.0}, torch {tu:>7.0}   speed-up {:.1}× / {:.1}×\n",
        sf / anchor_f,
        tf / anchor_f,
        ms(se),
        ms(te),
        ms(anchor_t),
        te / se,
        te / anchor_t,
        100.0 * sg / tg,
        sc / su,
        tc / tu,
    ))
}
