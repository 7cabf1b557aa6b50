//! Throughput of the torch backend's step loop: training samples per second on the chapter's
//! Route 2 run, on a large circle dataset with the same net, and on a wide MLP (784→512→512→2)
//! where the matrix products dominate (also reported in GFLOP/s). Only the steps are timed
//! (`Backend::train_epoch`, including its one read-back per epoch), not data preparation.

use std::fmt;
use std::time::Instant;

use common::config::Config;
use common::data::prepare;
use common::fit::{Backend, EpochCtx};
use common::seed::{permutation, Seeds, Stream};
use common::spec::{LayerSpec, ModelSpec};
use common::Result;

use crate::backend::TorchOptions;
use crate::run::build_backend;

/// One measured workload.
#[derive(Debug, Clone)]
pub struct BenchCase {
    /// What ran, e.g. `chapter 2→64→64→2, n=4000, 30 epochs`.
    pub name: String,
    /// Training samples processed.
    pub samples: usize,
    /// Seconds spent in the step loop.
    pub seconds: f64,
    /// Training FLOPs per sample (forward and backward of the Linear layers).
    pub flops_per_sample: f64,
    /// libtorch intra-op threads used.
    pub threads: i32,
}

impl BenchCase {
    /// Training samples per second.
    pub fn samples_per_s(&self) -> f64 {
        self.samples as f64 / self.seconds.max(1e-12)
    }
    /// Achieved GFLOP/s of the Linear layers.
    pub fn gflops(&self) -> f64 {
        self.flops_per_sample * self.samples_per_s() / 1e9
    }
}

/// All cases of one `bench` run.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// The device, e.g. `Cpu`.
    pub device: String,
    /// The workloads, in order (a), (b), (c).
    pub cases: Vec<BenchCase>,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "torch bench on {} (step loop only)", self.device)?;
        for c in &self.cases {
            writeln!(
                f,
                "{:<66} {:>9.0} samples/s {:>7.2} GFLOP/s ({} samples in {:.3} s, {} thread{})",
                c.name,
                c.samples_per_s(),
                c.gflops(),
                c.samples,
                c.seconds,
                c.threads,
                if c.threads == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

/// The three workloads with their labels: (a) the chapter's Route 2 run (circle n=5000,
/// 30 epochs), (b) circle n=200,000 × 5 epochs with the same net, (c) 784→512→512→2 on circle
/// data with 782 noise features, n=20,000, batch 128, 2 epochs.
pub fn bench_configs() -> Vec<(&'static str, Config)> {
    let chapter = Config::chapter_route2();
    let mut large = chapter.clone();
    large.data.n = 200_000;
    large.train.epochs = 5;
    let mut wide = chapter.clone();
    wide.data.n = 20_000;
    wide.data.dim = 782;
    wide.model.hidden = vec![512, 512];
    wide.train.epochs = 2;
    vec![
        ("(a) chapter", chapter),
        ("(b) circle n=200000", large),
        ("(c) wide", wide),
    ]
}

/// Runs the three workloads of [`bench_configs`].
pub fn bench(opts: &TorchOptions) -> Result<BenchReport> {
    let cases = bench_configs()
        .iter()
        .map(|(label, cfg)| bench_case(label, cfg, opts))
        .collect::<Result<Vec<_>>>()?;
    Ok(BenchReport {
        device: format!("{:?}", crate::device::resolve(opts.device)?).to_lowercase(),
        cases,
    })
}

/// Trains `cfg` for its epochs with the loop's own orders and times the steps.
pub fn bench_case(label: &str, cfg: &Config, opts: &TorchOptions) -> Result<BenchCase> {
    let data = prepare(cfg)?;
    let spec = ModelSpec::from_config(cfg, data.n_features(), data.image_shape, data.n_classes())?;
    let mut backend = build_backend(cfg, &data, &spec, opts)?;
    let seeds = Seeds::new(cfg.seed);
    let n = data.train.y.len();
    let mut seconds = 0.0;
    for epoch in 1..=cfg.train.epochs {
        let order = permutation(n, &mut seeds.epoch_rng(Stream::Shuffle, epoch));
        let ctx = EpochCtx {
            epoch,
            lr: cfg.optim.lr,
            batch_size: cfg.train.batch_size,
            dropout_seed: seeds.epoch_seed(Stream::Dropout, epoch),
            augment_seed: seeds.epoch_seed(Stream::Augment, epoch),
            log_grad_norms: false,
        };
        let t = Instant::now();
        backend.train_epoch(&order, &ctx)?;
        seconds += t.elapsed().as_secs_f64();
    }
    Ok(BenchCase {
        name: format!(
            "{label} {}, n_train={n}, {} epochs",
            spec.describe(),
            cfg.train.epochs
        ),
        samples: n * cfg.train.epochs,
        seconds,
        flops_per_sample: train_flops(&spec),
        threads: tch::get_num_threads(),
    })
}

/// FLOPs to train on one sample through the Linear layers: 2·in·out each for the forward
/// product, the weight gradient and the input gradient (none for the first layer, whose input
/// needs no gradient). Activations, loss and the optimizer are not counted.
pub fn train_flops(spec: &ModelSpec) -> f64 {
    let mut flops = 0.0;
    let mut first = true;
    for layer in &spec.layers {
        if let LayerSpec::Linear { inputs, outputs } = *layer {
            let macs = (inputs * outputs) as f64;
            flops += if first { 4.0 * macs } else { 6.0 * macs };
            first = false;
        }
    }
    flops
}
