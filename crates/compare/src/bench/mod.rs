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
//!
//! GFLOP/s are [`ModelSpec::train_flops`] × samples/s (one definition for every bench), and
//! the `gemm` line measures the ceiling: libtorch's `mm` on the same products ([`gemm`]).
//! Last, the digits CNN of the final project (`configs/digits_cnn.toml`, 3 epochs).
//! With `--python` each workload's repetitions alternate with the chapter's own Python loop
//! ([`python`]): NumPy Route 1 for the R1 rows, the PyTorch loop for the R2 rows (the chapter
//! has no CNN); and two more lines time whole processes, `scratch train` against the NumPy
//! script: the chapter's run for 5 epochs (a tiny run's fixed cost) and R1 (b).
//! Route 2's rows and the CNN also time the same loop written in C++ against the same libtorch
//! ([`torch::cpp_loop`], plain and fused), after the torch backend in each repetition: what
//! libtorch itself costs, Route 2's real limit (the CNN's C++ loop does not augment: the torch
//! route's row does, so its ratio to C++ is a lower bound).

pub mod gemm;
pub mod images;
pub mod products;
pub mod python;
pub mod resnet;
mod table;

use std::path::{Path, PathBuf};

use common::app::{BackendFactory, BuildArgs};
use common::config::Config;
use common::data::{prepare, Prepared};
use common::fit::train_samples_per_sec;
use common::init::initial_params;

use common::spec::ModelSpec;
use common::tensor::NamedTensors;
use common::Result;
use torch::cpp_loop::{CppForm, CppLoop};
use torch::DeviceChoice;

use crate::factory;
pub use table::render;

/// One workload.
#[derive(Debug, Clone)]
pub struct Workload {
    /// E.g. `R1 (c) wide`.
    pub name: String,
    /// What to train.
    pub cfg: Config,
    /// A GEMM-bound net (GFLOP/s are reported).
    pub wide: bool,
    /// An MLP whose products the `gemm` line measures.
    pub gemm: bool,
    /// The chapter's route (1 or 2) and the case letter of its Python counterpart, if any.
    pub route: Option<(u8, char)>,
}

/// The six workloads of the two routes, then the digits CNN (`configs/digits_cnn.toml`, 3
/// epochs; the chapter has no CNN, so no Python loop), example counts divided by `scale_down`
/// (quick smoke runs; the CNN then trains one epoch on 5 images per class).
pub fn workloads(scale_down: usize) -> Result<Vec<Workload>> {
    let s = scale_down.max(1);
    let mut out: Vec<Workload> = scratch::bench::workloads(s)?
        .into_iter()
        .map(|(name, cfg, _)| Workload {
            wide: name.contains("wide"),
            gemm: name.contains("wide"),
            route: Some((1, name.chars().nth(1).unwrap_or('a'))),
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
            gemm: short.contains("wide"),
            route: Some((2, short.chars().nth(1).unwrap_or('a'))),
            cfg,
        });
    }
    let cnn = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/digits_cnn.toml");
    let mut sets = vec!["train.epochs=3".to_string()];
    if s > 1 {
        // A smoke run: one epoch on 5 training images per class.
        sets = vec!["train.epochs=1".into(), "data.train_per_class=5".into()];
    }
    let cfg = Config::load(&cnn, &sets)?;
    out.push(Workload {
        name: "CNN digits".into(),
        cfg,
        wide: true,
        gemm: false,
        route: None,
    });
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
    /// Training FLOPs per example ([`ModelSpec::train_flops`]).
    pub flops_per_sample: f64,
    /// Best samples/s of scratch, then torch.
    pub rates: [f64; 2],
    /// Best samples/s of the chapter's Python loop (with `--python`).
    pub python: Option<f64>,
    /// Best samples/s of the C++ loop against the same libtorch, plain then fused form
    /// (Route 2's MLP rows; [`torch::cpp_loop`]).
    pub cpp: Option<[f64; 2]>,
    /// libtorch intra-op threads (chosen per model by the torch backend).
    pub threads: i32,
    /// GFLOP/s of libtorch's `mm` on this net's products (wide nets).
    pub gemm: Option<f64>,
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

/// Trains the workload `reps` times per backend from the same initial weights, each round
/// followed by one run of the chapter's Python loop when `py` is given; keeps the best rate of
/// each. For a wide net, also measures the `gemm` ceiling.
pub fn measure(
    w: &Workload,
    reps: usize,
    device: DeviceChoice,
    py: Option<&Path>,
) -> Result<BenchRow> {
    let cfg = &w.cfg;
    let data = prepare(cfg)?;
    let spec = data.spec(cfg)?;
    let init = initial_params(&spec, cfg);
    let n = data.train.y.len();
    let py_args = w
        .route
        .map(|(route, case)| python::loop_args(route, case, cfg, n));
    let (mut rates, mut python) = ([0.0f64; 2], None::<f64>);
    let cpp_loop = match (w.route, device) {
        (Some((1, _)), _) | (_, DeviceChoice::Cuda | DeviceChoice::Auto) => None,
        _ => cpp_loop_of(cfg, &spec),
    };
    let mut cpp = cpp_loop.as_ref().map(|_| [0.0f64; 2]);
    for _ in 0..reps.max(1) {
        for (rate, f) in rates.iter_mut().zip(factory::both(device)) {
            *rate = (*rate).max(time_epochs(f.as_ref(), cfg, &data, &spec, &init)?);
        }
        // After the torch backend, with the thread count it chose for this model, and in the
        // floating-point mode its loop trains in (`train.flush_denormals`).
        if let (Some(l), Some(best)) = (&cpp_loop, cpp.as_mut()) {
            let _mode = common::fpenv::FlushDenormals::new(cfg.train.flush_denormals);
            for (b, form) in best.iter_mut().zip([CppForm::Plain, CppForm::Fused]) {
                *b = b.max(l.samples_per_s(data.train.x.view(), &data.train.y, form)?);
            }
        }
        if let (Some(py), Some(args)) = (py, &py_args) {
            let r = python::samples_per_s(py, args)?;
            python = Some(python.map_or(r, |p| p.max(r)));
        }
    }
    // The torch backend, built last, set libtorch's thread count for this model.
    let threads = tch::get_num_threads();
    let cpus = std::thread::available_parallelism().map_or(1, |c| c.get());
    Ok(BenchRow {
        name: w.name.clone(),
        detail: format!(
            "{}, n_train={n}, {} epochs, batch {}",
            spec.describe(),
            cfg.train.epochs,
            cfg.train.batch_size
        ),
        wide: w.wide,
        flops_per_sample: spec.train_flops(),
        rates,
        python,
        cpp,
        threads,
        gemm: w
            .gemm
            .then(|| gemm::gflops(&spec, cfg.train.batch_size, cpus)),
    })
}

/// The C++ loop of a workload whose model it can write: an MLP, or the CNN of `model.kind =
/// "cnn"` on square images, with ReLU, no BatchNorm or embeddings, a softmax head, trained by
/// Adam with PyTorch's β and ε (Route 2's cases and the digits CNN); `None` otherwise.
fn cpp_loop_of(cfg: &Config, spec: &ModelSpec) -> Option<CppLoop> {
    use common::config::{Activation, ModelKind, OptimName};
    use common::spec::Head;
    let m = &cfg.model;
    let Head::Softmax { classes } = spec.head else {
        return None;
    };
    let side = match (m.kind, spec.input_shape.as_slice()) {
        (ModelKind::Mlp, [_]) => 0,
        (ModelKind::Cnn, &[_, h, w]) if h == w => h,
        _ => return None,
    };
    let o = &cfg.optim;
    // What the C++ loop does not write: BatchNorm, embeddings, frozen or rescaled parameters,
    // class weights.
    let plain = m.activation == Activation::Relu
        && !m.batch_norm
        && spec.embeddings().is_none()
        && m.freeze.is_empty()
        && o.lr_scale.is_empty()
        && cfg.train.class_weights.is_none();
    let adam = o.name == OptimName::Adam && o.betas == [0.9, 0.999] && o.eps == 1e-8;
    (plain && adam).then(|| CppLoop {
        hidden: m.hidden.clone(),
        classes,
        channels: if side > 0 {
            m.channels.clone()
        } else {
            Vec::new()
        },
        side,
        dropout: m.dropout,
        weight_decay: o.weight_decay,
        epochs: cfg.train.epochs,
        batch: cfg.train.batch_size,
        lr: o.lr,
        seed: cfg.seed,
    })
}

/// Samples per second of one fresh backend over `cfg.train.epochs` epochs of steps.
pub(crate) fn time_epochs(
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

/// The whole-process row of `--python`: `scratch train` on R1 (b)'s config against the
/// chapter's NumPy script on the same data, wall-clock seconds from spawn to exit, best of
/// `reps` alternating runs.
#[derive(Debug, Clone)]
pub struct ProcessRow {
    /// What ran.
    pub detail: String,
    /// Best seconds of `scratch train`, then of `python chapter_route1.py`.
    pub seconds: [f64; 2],
}

/// Times [`ProcessRow`]'s two processes `reps` times each, alternating, on `cfg`'s data size
/// and epochs (the chapter's run otherwise).
pub fn whole_process(cfg: &Config, reps: usize, py: &Path) -> Result<ProcessRow> {
    let exe = std::env::current_exe().map_err(|e| common::Error::io("compare", e))?;
    let scratch = exe.with_file_name("scratch");
    if !scratch.exists() {
        return Err(common::Error::Other(format!(
            "bench --python: no scratch binary beside compare ({}): build both, e.g. \
             `cargo build --release -p scratch -p compare` (what `make bench` does)",
            scratch.display()
        )));
    }
    let out: PathBuf = std::env::temp_dir().join(format!("twin-nets-bench-{}", std::process::id()));
    let mut ours = vec!["train".to_string(), "-q".into(), "--overwrite".into()];
    ours.extend(["--out".into(), out.display().to_string()]);
    for (key, value) in [("data.n", cfg.data.n), ("train.epochs", cfg.train.epochs)] {
        ours.extend(["--set".into(), format!("{key}={value}")]);
    }
    let mut theirs = vec![python::loop_args(1, 'b', cfg, 0)[0].clone()];
    theirs.extend(python::route1_flags(cfg));
    let mut seconds = [f64::INFINITY; 2];
    let result = (|| {
        for _ in 0..reps.max(1) {
            seconds[0] = seconds[0].min(python::process_seconds(&scratch, &ours)?);
            seconds[1] = seconds[1].min(python::process_seconds(py, &theirs)?);
        }
        Ok::<(), common::Error>(())
    })();
    let _ = std::fs::remove_dir_all(&out);
    result?;
    Ok(ProcessRow {
        detail: format!(
            "circle n={}, {} epochs: `scratch train -q` vs `python scripts/chapter_route1.py`",
            cfg.data.n, cfg.train.epochs
        ),
        seconds,
    })
}

/// What `compare bench` runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Divides every workload's example count (quick smoke runs).
    pub scale_down: usize,
    /// Repetitions per backend (and Python loop); the best is kept.
    pub reps: usize,
    /// Where the torch backend trains.
    pub device: DeviceChoice,
    /// Run the chapter's Python loops between ours.
    pub python: bool,
    /// Only the workloads whose name contains this.
    pub only: Option<String>,
    /// Only the image-folder lines (`images`), against torchvision.
    pub images: bool,
    /// Only the ResNet lines (`resnet`), against PyTorch's loops.
    pub resnet: bool,
    /// Only the products table (`products`): each GEMM candidate on the bench's shapes.
    pub products: bool,
}

/// Runs the workloads and returns the table with its heading line; with `python`, the
/// chapter's Python loops run between our repetitions and the table gains their columns.
pub fn run(opts: &Options) -> Result<String> {
    let (reps, device) = (opts.reps, opts.device);
    if opts.images {
        return images::run(reps, &python::python()?);
    }
    if opts.resnet {
        return resnet::run(reps, &python::python()?);
    }
    if opts.products {
        return products::run(reps);
    }
    let py = opts.python.then(python::python).transpose()?;
    let mut list = workloads(opts.scale_down)?;
    if let Some(only) = &opts.only {
        list.retain(|w| w.name.contains(only.as_str()));
        if list.is_empty() {
            return Err(common::Error::Other(format!(
                "bench --only '{only}': no workload's name contains it (they are R1 (a) \
                 chapter, R1 (b) circle, R1 (c) wide, the same for R2, and CNN digits)"
            )));
        }
    }
    let mut rows = Vec::new();
    for w in &list {
        common::errln!("compare bench: {} ...", w.name);
        rows.push(measure(w, reps, device, py.as_deref())?);
    }
    let mut processes = Vec::new();
    if let Some(py) = &py {
        common::errln!("compare bench: whole processes ...");
        // A tiny run (the chapter's, 5 epochs: its fixed cost), then R1 (b)'s.
        let mut tiny = Config::default();
        tiny.train.epochs = 5;
        processes.push(whole_process(&tiny, reps.max(1) * 5, py)?);
        if let Some(w) = list.iter().find(|w| w.name.starts_with("R1 (b)")) {
            processes.push(whole_process(&w.cfg, reps, py)?);
        }
    }
    let versions = py.as_deref().map(python::versions).transpose()?;
    let head = table::heading(reps, device, versions.as_deref());
    Ok(head + &render(&rows) + &table::footer(&rows, &processes))
}
