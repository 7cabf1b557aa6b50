//! Training throughput of the hand-written backend (`scratch bench`): samples per second of
//! the step loop alone (data preparation, initialisation and validation excluded) on three
//! workloads, f32:
//!
//! * (a) the chapter's run: circle n=2000 (1600 train), 2→32→1 ReLU, BCE, SGD lr 0.5,
//!   batch 64, 20 epochs — tiny matrices, so per-step overhead is what counts;
//! * (b) the same net on circle n=200,000 (160,000 train), 5 epochs;
//! * (c) a wide net 784→512→1 on 20,000 training rows (circle label on the first two features,
//!   782 noise features), batch 128 — GEMM-bound, reported also in GFLOP/s
//!   (`6 × params × samples/s`: forward 2, backward 4 multiply-adds per parameter and example).
//!
//! Each workload runs several times from the same initial weights; the best and the median
//! rate are printed. Numbers are measured, never asserted: they depend on the machine.

use common::config::Config;
use common::data::prepare;
use common::fit::train_samples_per_sec;
use common::init::initial_params;
use common::Result;

use crate::backend::ScratchBackend;

/// One measured workload.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchResult {
    /// Short name, e.g. `(a) chapter`.
    pub name: String,
    /// What was trained, e.g. `circle(n=2000) 2→32→1 relu (bce), batch 64, 20 epochs`.
    pub detail: String,
    /// Training examples processed per repetition.
    pub samples: usize,
    /// Training FLOPs per example ([`ModelSpec::train_flops`]).
    pub flops_per_sample: f64,
    /// Best samples/s over the repetitions.
    pub best: f64,
    /// Median samples/s over the repetitions.
    pub median: f64,
}

impl BenchResult {
    /// GFLOP/s at the best rate: `train_flops × samples/s / 10⁹`.
    pub fn gflops(&self) -> f64 {
        self.flops_per_sample * self.best / 1e9
    }
    /// One line for the terminal.
    pub fn render(&self) -> String {
        format!(
            "{:<12} {:>9} samples/s best, {:>9} median, {:>6.1} GFLOP/s  [{} samples; {}]",
            self.name,
            rate(self.best),
            rate(self.median),
            self.gflops(),
            self.samples,
            self.detail
        )
    }
}

/// `12.34M` or `56.7k`.
fn rate(per_s: f64) -> String {
    if per_s >= 1e6 {
        format!("{:.2}M", per_s / 1e6)
    } else {
        format!("{:.1}k", per_s / 1e3)
    }
}

/// The three workloads, as configs, each with its repetition count; `scale_down > 1` divides
/// the example counts (for quick smoke runs).
pub fn workloads(scale_down: usize) -> Result<Vec<(String, Config, usize)>> {
    let s = scale_down.max(1);
    let chapter = Config::default();
    let mut big = Config::default();
    big.data.n = (200_000 / s).max(200);
    big.train.epochs = 5;
    let mut wide = Config::default();
    wide.data.n = (25_000 / s).max(200);
    wide.data.dim = 782;
    wide.model.hidden = vec![512];
    wide.train.batch_size = 128;
    wide.train.epochs = 2;
    for cfg in [&chapter, &big, &wide] {
        cfg.validate()?;
    }
    let reps = |r: usize| if s > 1 { 1 } else { r };
    Ok(vec![
        ("(a) chapter".into(), chapter, reps(30)),
        ("(b) circle".into(), big, reps(3)),
        ("(c) wide".into(), wide, reps(3)),
    ])
}

/// Trains `cfg`'s model `repeats` times from the same initial weights and times the epochs.
pub fn measure(name: &str, cfg: &Config, repeats: usize) -> Result<BenchResult> {
    let data = prepare(cfg)?;
    let spec = data.spec(cfg)?;
    let init = initial_params(&spec, cfg);
    let n = data.train.y.len();
    let mut rates = Vec::new();
    for _ in 0..repeats.max(1) {
        let mut backend = ScratchBackend::<f32>::new(&spec, &init, &cfg.optim, &data.train)?;
        rates.push(train_samples_per_sec(&mut backend, cfg, n)?);
    }
    rates.sort_by(f64::total_cmp);
    let detail = format!(
        "{} {}, batch {}, {} epochs",
        data_origin(cfg),
        spec.describe(),
        cfg.train.batch_size,
        cfg.train.epochs
    );
    Ok(BenchResult {
        name: name.to_string(),
        detail,
        samples: n * cfg.train.epochs,
        flops_per_sample: spec.train_flops(),
        best: rates[rates.len() - 1],
        median: rates[rates.len() / 2],
    })
}

fn data_origin(cfg: &Config) -> String {
    let extra = if cfg.data.dim > 0 {
        format!("+{} noise", cfg.data.dim)
    } else {
        String::new()
    };
    format!("circle(n={}{extra})", cfg.data.n)
}

/// Runs every workload and returns the measurements.
pub fn run_workloads(scale_down: usize) -> Result<Vec<BenchResult>> {
    workloads(scale_down)?
        .iter()
        .map(|(name, cfg, reps)| measure(name, cfg, *reps))
        .collect()
}

/// `scratch bench`: runs the workloads and prints one line per workload (errors on stderr).
pub fn run(scale_down: usize) {
    if cfg!(debug_assertions) {
        common::errln!(
            "note: debug build; use `cargo run --release -p scratch -- bench` for real numbers"
        );
    }
    common::outln!(
        "scratch bench: training samples/s, f32, step loop only ({} threads for large GEMMs)",
        crate::ops::gemm::threads()
    );
    match workloads(scale_down) {
        Ok(list) => {
            for (name, cfg, reps) in &list {
                match measure(name, cfg, *reps) {
                    Ok(r) => common::outln!("{}", r.render()),
                    Err(e) => common::errln!("{name}: error: {e}"),
                }
            }
        }
        Err(e) => common::errln!("bench: error: {e}"),
    }
}
