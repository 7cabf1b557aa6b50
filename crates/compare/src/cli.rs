//! The `compare` command line: the side-by-side run (no subcommand), `parity` and `bench`.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use common::app::{resolve_config, starting_point};
use common::config::Config;
use common::data::Prepared;
use common::spec::ModelSpec;
use common::tensor::NamedTensors;
use common::Result;
use torch::DeviceChoice;

use crate::parity::{self, curves};
use crate::{bench, caps, report, side, table};

/// Both routes of the chapter side by side: one split, one initialisation, one table, a
/// report with plots; `parity` checks step by step that the hand-written gradients are
/// libtorch's; `bench` measures both backends' throughput.
#[derive(Debug, Parser)]
#[command(
    name = "compare",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    run: RunArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Per-step parity in f64 (logits, loss, gradients, weights ≤ 1e-10 over an epoch) and
    /// loss curves in f32 within a stated tolerance; exits non-zero at the first divergence.
    Parity(ParityArgs),
    /// Throughput of both backends on the Route 1 and Route 2 workloads, in one table.
    Bench(BenchArgs),
}

/// The config: a TOML file (default: the chapter's Route 1 run) and overrides.
#[derive(Debug, Clone, Args)]
struct ConfigArgs {
    /// The TOML config (default: the chapter's Route 1 run, `Config::default()`).
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Override a config key, e.g. `--set optim.lr=0.1` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

impl ConfigArgs {
    fn resolve(&self) -> Result<Config> {
        resolve_config(self.config.as_deref(), Config::default(), &self.set)
    }
    /// The command that reproduces this side-by-side run.
    fn command(&self) -> String {
        let mut s = String::from("cargo run --release -p compare");
        if self.config.is_some() || !self.set.is_empty() {
            s.push_str(" --");
        }
        if let Some(c) = &self.config {
            s.push_str(&format!(" --config {}", c.display()));
        }
        for kv in &self.set {
            s.push_str(&format!(" --set {kv}"));
        }
        s
    }
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// The comparison folder (default: `checkpoints/compare-<config stem or "chapter">`, or
    /// `…-2`, `…-3`, … when that one already holds a comparison).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the comparison that `--out` already holds (without it, such a folder is refused).
    #[arg(long)]
    overwrite: bool,
    /// Where the torch backend trains: cpu, cuda or auto.
    #[arg(long, default_value = "cpu", value_parser = parse_device)]
    device: DeviceChoice,
    /// No progress bars or per-backend lines (the table is still printed).
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct ParityArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Largest relative error allowed in f64.
    #[arg(long, default_value_t = parity::F64_TOLERANCE)]
    tolerance: f64,
    /// Largest relative difference of the f32 loss curves.
    #[arg(long, default_value_t = curves::F32_TOLERANCE)]
    f32_tolerance: f64,
    /// Check only the first N steps in f64 (N ≥ 1; default: the whole first epoch).
    #[arg(long, value_parser = at_least_one)]
    steps: Option<usize>,
    /// Skip the f32 loss-curve check.
    #[arg(long)]
    f64_only: bool,
}

#[derive(Debug, Args)]
struct BenchArgs {
    /// Divide every workload's example count by this (≥ 1; quick smoke runs).
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    scale_down: usize,
    /// Runs per backend and workload (≥ 1); the best is reported.
    #[arg(long, default_value_t = 3, value_parser = at_least_one)]
    reps: usize,
    /// Where the torch backend trains: cpu, cuda or auto.
    #[arg(long, default_value = "cpu", value_parser = parse_device)]
    device: DeviceChoice,
    /// Only the workloads whose name contains this, e.g. `R2 (c)` or `wide`.
    #[arg(long)]
    only: Option<String>,
    /// Also run the chapter's own Python loops (NumPy Route 1, PyTorch Route 2, from the
    /// project's .venv) between our runs, and print the ratios to them.
    #[arg(long)]
    python: bool,
    /// Only the image-folder lines: scan and decode, one augmented epoch and peak memory on
    /// `data/digits_folder`, against torchvision (from the project's .venv).
    #[arg(long)]
    images: bool,
    /// Only the ResNet lines: ResNet-18 eval forward at 224×224, a small ResNet's training
    /// step and a frozen backbone cached or not, against PyTorch's loops (from the .venv).
    #[arg(long)]
    resnet: bool,
    /// Only the products table: scratch's GEMM kernels, matrixmultiply and libtorch's mm on
    /// each product of the GEMM-bound workloads' steps, f32 and f64, 1 thread and all.
    #[arg(long)]
    products: bool,
}

fn parse_device(s: &str) -> std::result::Result<DeviceChoice, String> {
    s.parse().map_err(|e: common::Error| e.to_string())
}

/// Parses a count flag that must be a whole number ≥ 1; the error (which clap prefixes with
/// the flag's name) states the allowed range.
fn at_least_one(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("0 is not allowed: expected a whole number ≥ 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{s}' is not a whole number ≥ 1")),
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        None => side_by_side(&cli.run),
        Some(Command::Parity(args)) => parity_cmd(&args),
        Some(Command::Bench(args)) => {
            common::out!(
                "{}",
                bench::run(&bench::Options {
                    scale_down: args.scale_down,
                    reps: args.reps,
                    device: args.device,
                    python: args.python,
                    only: args.only.clone(),
                    images: args.images,
                    resnet: args.resnet,
                    products: args.products,
                })?
            );
            Ok(())
        }
    }
}

/// The default comparison folder: `checkpoints/compare-<config stem or "chapter">`.
pub fn default_out(config: Option<&Path>) -> PathBuf {
    common::app::default_out_dir("compare", config)
}

fn side_by_side(args: &RunArgs) -> Result<()> {
    let cfg = args.config.resolve()?;
    let default = default_out(args.config.config.as_deref());
    let (out, moved) = common::app::choose_run_folder(
        args.out.as_deref(),
        &default,
        None,
        args.overwrite,
        &side::holds_comparison,
    );
    if moved {
        common::errln!(
            "note: {} holds an earlier comparison (kept); this one goes to {}",
            default.display(),
            out.display()
        );
    }
    let opts = side::CompareOptions {
        out: out.clone(),
        device: args.device,
        quiet: args.quiet,
        overwrite: args.overwrite,
    };
    let mut c = side::run(&cfg, &opts)?;
    let source = match &args.config.config {
        Some(p) => format!("`{}`", p.display()),
        None => "the chapter's Route 1 run".to_string(),
    };
    let path = report::write(&mut c, &out, &source, &args.config.command())?;
    common::outln!(
        "{} — {} ({} parameters), f32, same split and initial weights\n",
        source.trim_matches('`'),
        c.spec.describe(),
        c.spec.n_params()
    );
    common::out!("{}", table::render_text(&c));
    if let Some(note) = c.dropout_note() {
        common::outln!("\nnote: {note}");
    }
    let (same, n, dp) = report::agreement(&c);
    common::outln!(
        "\nsame predicted class on {same}/{n} {} examples (max |Δp| {dp:.2e}); report: {}",
        c.eval_split,
        path.display()
    );
    Ok(())
}

fn parity_cmd(args: &ParityArgs) -> Result<()> {
    let cfg = args.config.resolve()?;
    let (data, spec, init) = starting_point(&cfg, None, false)?;
    caps::check_both(&cfg, &spec)?;
    common::outln!(
        "parity (f64): {} with {:?} lr {}, batch {}, epoch 1's order, from the same weights; tolerance {:.0e}",
        spec.describe(),
        cfg.optim.name,
        cfg.optim.lr,
        cfg.train.batch_size,
        args.tolerance
    );
    let r = parity::check_steps(&cfg, &data, &spec, &init, args.tolerance, args.steps)?;
    common::out!("{}", r.render());
    common::outln!(
        "all {} steps agree: max relative error {:.3e} ≤ {:.0e}",
        r.steps,
        r.max(),
        args.tolerance
    );
    if args.f64_only {
        return Ok(());
    }
    parity_f32(args, &cfg, &data, &spec, &init)
}

/// The f32 half of `parity`: synchronised steps and loss curves, then the free-running gap.
fn parity_f32(
    args: &ParityArgs,
    cfg: &Config,
    data: &Prepared,
    spec: &ModelSpec,
    init: &NamedTensors,
) -> Result<()> {
    common::outln!(
        "\nparity (f32): {} epochs, torch f32 loaded with scratch f32's weights and optimizer state \
         before every step; tolerance {:.0e} (relative)",
        cfg.train.epochs, args.f32_tolerance
    );
    let c = curves::check_curves(cfg, data, spec, init, args.f32_tolerance)?;
    common::out!("{}{}", c.render(), c.steps.render());
    common::outln!(
        "all {} synchronised steps and both loss curves agree: max relative error {:.2e} ≤ {:.0e}",
        c.steps.steps,
        c.max_diff(),
        args.f32_tolerance
    );
    if !c.branched.is_empty() {
        common::outln!(
            "plus {} step(s) where one f32 run took the other side of a near-tie and the exact \
             (f64) step agrees with the other run (listed above; at most {:.0}% of the steps)",
            c.branched.len(),
            curves::MAX_BRANCHED_FRACTION * 100.0
        );
    }
    common::outln!(
        "free-running f32 runs (what a user sees): scratch vs torch differ by up to {:.2e} \
         (relative); f32 rounding alone moves them from the exact f64 run by up to {:.2e} \
         (scratch) and {:.2e} (torch)",
        c.max_between(0, 2),
        c.max_between(0, 3),
        c.max_between(2, 3)
    );
    Ok(())
}
