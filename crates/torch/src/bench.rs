//! Throughput of the torch backend's step loop: training samples per second on the chapter's
//! Route 2 run, on a large circle dataset with the same net, and on a wide MLP (784→512→512→2)
//! where the matrix products dominate (also reported in GFLOP/s). Only the steps are timed
//! (`Backend::train_epoch`, including its one read-back per epoch), not data preparation.
//!
//! Each case is timed by `common::fit::time_training` (wall-clock and CPU seconds, as every
//! bench of the workspace), and reports a digest of everything the backend exports (weights and
//! optimizer state) after training: a change meant only to be faster must leave it unchanged.

use std::fmt;

use common::config::Config;
use common::data::prepare;
use common::fit::{time_training, Backend};
use common::tensor::NamedTensors;
use common::Result;

use crate::backend::TorchOptions;
use crate::factory::build_backend;

/// One measured workload.
#[derive(Debug, Clone)]
pub struct BenchCase {
    /// What ran, e.g. `chapter 2→64→64→2, n=4000, 30 epochs`.
    pub name: String,
    /// Training samples processed.
    pub samples: usize,
    /// Seconds spent in the step loop.
    pub seconds: f64,
    /// CPU seconds of all the process's threads during the step loop (`None` where the OS
    /// does not say, i.e. off Linux).
    pub cpu_seconds: Option<f64>,
    /// FNV-1a digest of the exported tensors (names and values) after training.
    pub digest: u64,
    /// Training FLOPs per sample ([`ModelSpec::train_flops`], the workspace's one definition).
    pub flops_per_sample: f64,
    /// libtorch intra-op threads used.
    pub threads: i32,
}

impl BenchCase {
    /// Training samples per second.
    pub fn samples_per_s(&self) -> f64 {
        self.samples as f64 / self.seconds.max(1e-12)
    }
    /// Training samples per CPU second (all threads), when known.
    pub fn samples_per_cpu_s(&self) -> Option<f64> {
        self.cpu_seconds
            .map(|cpu| self.samples as f64 / cpu.max(1e-12))
    }
    /// Achieved GFLOP/s ([`ModelSpec::train_flops`] × samples/s).
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
            let cpu = c
                .samples_per_cpu_s()
                .map_or_else(|| "n/a".to_string(), |r| format!("{r:.0}"));
            writeln!(
                f,
                "{:<66} {:>9.0} samples/s {:>7.2} GFLOP/s ({} samples in {:.3} s, {} thread{}; \
                 {cpu} samples per CPU-second; digest {:016x})",
                c.name,
                c.samples_per_s(),
                c.gflops(),
                c.samples,
                c.seconds,
                c.threads,
                if c.threads == 1 { "" } else { "s" },
                c.digest
            )?;
        }
        Ok(())
    }
}

/// The workloads with their labels: (a) the chapter's Route 2 run (circle n=5000,
/// 30 epochs), (b) circle n=200,000 × 5 epochs with the same net, (c) 784→512→512→2 on circle
/// data with 782 noise features, n=20,000, batch 128, 2 epochs, and (d), the GPU case, a big
/// net 784→2048→2048→2 with batch 1024 on n=200,000 for 2 epochs (about 14 TFLOP: minutes on
/// a CPU, so it runs only when asked for or on CUDA).
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
    let mut big = wide.clone();
    big.data.n = 200_000;
    big.model.hidden = vec![2048, 2048];
    big.train.batch_size = 1024;
    vec![
        ("(a) chapter", chapter),
        ("(b) circle n=200000", large),
        ("(c) wide", wide),
        ("(d) big", big),
    ]
}

/// The default cases: (a)–(c), plus (d) on CUDA.
pub fn default_cases(cuda: bool) -> Vec<char> {
    let mut cases = vec!['a', 'b', 'c'];
    if cuda {
        cases.push('d');
    }
    cases
}

/// Runs the workloads of [`bench_configs`] named by their letters in `cases` (all of
/// [`default_cases`] when empty), in the order given, each `reps` times from scratch, keeping
/// the fastest repetition (on a shared machine the others mostly measure its neighbours; every
/// repetition trains the same numbers, as the digest shows).
pub fn bench(opts: &TorchOptions, cases: &[char], reps: usize) -> Result<BenchReport> {
    let device = crate::device::resolve(opts.device)?;
    let cases = if cases.is_empty() {
        default_cases(device.is_cuda())
    } else {
        cases.to_vec()
    };
    let configs = bench_configs();
    let cases = cases
        .iter()
        .map(|&letter| {
            let label = format!("({letter})");
            let (label, cfg) = configs
                .iter()
                .find(|(l, _)| l.starts_with(&label))
                .ok_or_else(|| {
                    common::Error::Other(format!(
                        "bench --case '{letter}': no such case (the cases are a, b, c and d)"
                    ))
                })?;
            let mut best = bench_case(label, cfg, opts)?;
            for _ in 1..reps {
                let next = bench_case(label, cfg, opts)?;
                if next.seconds < best.seconds {
                    best = next;
                }
            }
            Ok(best)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(BenchReport {
        device: format!("{device:?}").to_lowercase(),
        cases,
    })
}

/// Trains `cfg` for its epochs with the loop's own orders and times the steps.
pub fn bench_case(label: &str, cfg: &Config, opts: &TorchOptions) -> Result<BenchCase> {
    let data = prepare(cfg)?;
    let spec = data.spec(cfg)?;
    let mut backend = build_backend(cfg, &data, &spec, opts)?;
    let n = data.train.y.len();
    let time = time_training(&mut backend, cfg, n)?;
    Ok(BenchCase {
        name: format!(
            "{label} {}, n_train={n}, {} epochs",
            spec.describe(),
            cfg.train.epochs
        ),
        samples: time.samples,
        seconds: time.seconds,
        cpu_seconds: time.cpu_seconds,
        digest: digest(&backend.export()?),
        flops_per_sample: spec.train_flops(),
        threads: tch::get_num_threads(),
    })
}

/// FNV-1a over the names and the values' bits (as f64) of `tensors`, in order.
fn digest(tensors: &NamedTensors) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for (name, t) in tensors {
        let values = t.to_f64();
        let bytes = name
            .bytes()
            .chain(values.iter().flat_map(|v| v.to_bits().to_le_bytes()));
        for byte in bytes {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
