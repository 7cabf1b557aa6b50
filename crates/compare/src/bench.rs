//! `compare bench`: the throughput workloads of both routes' issues, each trained by both
//! backends in one process, in one table (samples/s per backend, their ratio, GFLOP/s for the
//! wide nets). Only the step loop is timed (`Backend::train_epoch` over the loop's own seeded
//! orders), as in `scratch bench` and `torch bench`; data preparation, initialisation and
//! validation are not. Numbers are measured, never asserted: they depend on the machine.
//!
//! Route 1 (`scratch bench`): (a) the chapter's run, (b) the same net on circle n=200,000 for
//! 5 epochs, (c) a wide 784→512→1 net on 25,000 examples with 782 noise features, batch 128.
//! Route 2 (`torch bench`): (a) the chapter's Route 2 run, (b) its net on circle n=200,000 for
//! 5 epochs, (c) a wide 784→512→512→2 net on 20,000 examples, batch 128.

use common::app::{BackendFactory, BuildArgs};
use common::config::Config;
use common::data::{prepare, Prepared};
use common::fit::train_samples_per_sec;
use common::init::initial_params;

use common::spec::ModelSpec;
use common::tensor::NamedTensors;
use common::Result;
use torch::DeviceChoice;

use crate::factory;

/// One workload.
#[derive(Debug, Clone)]
pub struct Workload {
    /// E.g. `R1 (c) wide`.
    pub name: String,
    /// What to train.
    pub cfg: Config,
    /// A GEMM-bound net (GFLOP/s are reported).
    pub wide: bool,
}

/// The six workloads, example counts divided by `scale_down` (quick smoke runs).
pub fn workloads(scale_down: usize) -> Result<Vec<Workload>> {
    let s = scale_down.max(1);
    let mut out: Vec<Workload> = scratch::bench::workloads(s)?
        .into_iter()
        .map(|(name, cfg, _)| Workload {
            wide: name.contains("wide"),
            name: format!("R1 {name}"),
            cfg,
        })
        .collect();
    // Route 2's cases are `torch bench`'s (a)–(c), defined once in `torch::bench`; (d), the
    // GPU-sized net, is left to `torch bench --device cuda`.
    for (label, mut cfg) in torch::bench::bench_configs().into_iter().take(3) {
        let n = cfg.data.n;
        cfg.data.n = (n / s).max(200);
        cfg.validate()?;
        let short = label.split(" n=").next().unwrap_or(label);
        out.push(Workload {
            name: format!("R2 {short}"),
            wide: short.contains("wide"),
            cfg,
        });
    }
    Ok(out)
}

/// One workload measured on both backends.
#[derive(Debug, Clone)]
pub struct BenchRow {
    /// The workload's name.
    pub name: String,
    /// Model, training examples, epochs, batch size.
    pub detail: String,
    /// GEMM-bound (GFLOP/s shown).
    pub wide: bool,
    /// Training FLOPs per example (`torch::bench::train_flops`: the Linear layers' products).
    pub flops_per_sample: f64,
    /// Best samples/s of scratch, then torch.
    pub rates: [f64; 2],
    /// libtorch intra-op threads (chosen per model by the torch backend).
    pub threads: i32,
}

impl BenchRow {
    /// torch / scratch.
    pub fn ratio(&self) -> f64 {
        self.rates[1] / self.rates[0]
    }
    /// GFLOP/s of each backend at its best rate.
    pub fn gflops(&self) -> [f64; 2] {
        self.rates.map(|r| r * self.flops_per_sample / 1e9)
    }
}

/// Trains the workload `reps` times per backend from the same initial weights; keeps the best
/// rate of each.
pub fn measure(w: &Workload, reps: usize, device: DeviceChoice) -> Result<BenchRow> {
    let cfg = &w.cfg;
    let data = prepare(cfg)?;
    let spec = ModelSpec::from_config(cfg, data.n_features(), data.image_shape, data.n_classes())?;
    let init = initial_params(&spec, cfg);
    let mut rates = [0.0f64; 2];
    for (rate, f) in rates.iter_mut().zip(factory::both(device)) {
        for _ in 0..reps.max(1) {
            *rate = (*rate).max(time_epochs(f.as_ref(), cfg, &data, &spec, &init)?);
        }
    }
    let n = data.train.y.len();
    Ok(BenchRow {
        name: w.name.clone(),
        detail: format!(
            "{}, n_train={n}, {} epochs, batch {}",
            spec.describe(),
            cfg.train.epochs,
            cfg.train.batch_size
        ),
        wide: w.wide,
        flops_per_sample: torch::bench::train_flops(&spec),
        rates,
        // The torch backend, built last, set libtorch's thread count for this model.
        threads: tch::get_num_threads(),
    })
}

/// Samples per second of one fresh backend over `cfg.train.epochs` epochs of steps.
fn time_epochs(
    f: &dyn BackendFactory,
    cfg: &Config,
    data: &Prepared,
    spec: &ModelSpec,
    init: &NamedTensors,
) -> Result<f64> {
    let mut backend = f.build(&BuildArgs {
        spec,
        params: init,
        cfg,
        train: &data.train,
        pre: &data.pre,
    })?;
    train_samples_per_sec(backend.as_mut(), cfg, data.train.y.len())
}

/// `12.34M` or `56.7k`.
fn rate(per_s: f64) -> String {
    if per_s >= 1e6 {
        format!("{:.2}M", per_s / 1e6)
    } else {
        format!("{:.1}k", per_s / 1e3)
    }
}

/// The table, as printed by `compare bench` (Markdown, so that it pastes into the docs).
pub fn render(rows: &[BenchRow]) -> String {
    let mut s = String::from(
        "| workload | model and data | scratch samples/s | torch samples/s | torch/scratch | GFLOP/s scratch | GFLOP/s torch | torch threads |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let [gs, gt] = r.gflops();
        let (gs, gt) = if r.wide {
            (format!("{gs:.1}"), format!("{gt:.1}"))
        } else {
            (String::new(), String::new())
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | ×{:.2} | {gs} | {gt} | {} |\n",
            r.name,
            r.detail,
            rate(r.rates[0]),
            rate(r.rates[1]),
            r.ratio(),
            r.threads
        ));
    }
    s
}

/// Runs every workload and returns the table with its heading line.
pub fn run(scale_down: usize, reps: usize, device: DeviceChoice) -> Result<String> {
    let list = workloads(scale_down)?;
    let mut rows = Vec::new();
    for w in &list {
        eprintln!("compare bench: {} ...", w.name);
        rows.push(measure(w, reps, device)?);
    }
    let build = if cfg!(debug_assertions) {
        "debug build (use --release)"
    } else {
        "release build"
    };
    let head = format!(
        "compare bench: training samples/s of the step loop, f32, best of {} run(s), {build}, torch on {device}\n\n",
        reps.max(1)
    );
    Ok(head + &render(&rows))
}
