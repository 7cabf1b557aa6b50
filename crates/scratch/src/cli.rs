//! Command-line definition and dispatch of the `scratch` binary: the shared commands run
//! [`ScratchFactory`] (the hand-written backend in f32); `gradcheck` works in f64.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

use common::app::{default_run, resolve_config, run_shared, starting_point, SharedCommand};
use common::config::Config;
use common::{Error, Result};
use scratch::ScratchFactory;

/// Route 1 of the chapter: an MLP, a CNN and a ResNet with every gradient written by hand.
#[derive(Debug, Parser)]
#[command(name = "scratch", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(flatten)]
    Shared(SharedCommand),
    /// Central finite differences against the analytic gradients, in f64, for every parameter.
    Gradcheck(GradcheckArgs),
    /// Training throughput (samples/s) on the benchmark workloads, release build recommended.
    Bench(BenchArgs),
}

#[derive(Debug, clap::Args)]
struct GradcheckArgs {
    /// The model to check (default: the chapter's run).
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Override a config key (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Examples in the checked batch (≥ 1; at most the training set is used).
    #[arg(long, default_value_t = 16, value_parser = at_least_one)]
    batch: usize,
    /// Largest acceptable relative error.
    #[arg(long, default_value_t = 1e-6)]
    tolerance: f64,
}

#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// Scale every workload down by this factor (≥ 1; quick smoke runs).
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    scale_down: usize,
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
        None => default_run(&ScratchFactory),
        Some(Command::Shared(cmd)) => run_shared(&ScratchFactory, &cmd),
        Some(Command::Gradcheck(args)) => gradcheck(&args),
        Some(Command::Bench(args)) => {
            scratch::bench::run(args.scale_down);
            Ok(())
        }
    }
}

/// `gradcheck`: the configured model, its initial weights and a batch of training rows.
fn gradcheck(args: &GradcheckArgs) -> Result<()> {
    let cfg = resolve_config(args.config.as_deref(), Config::default(), &args.set)?;
    // The run's own starting point: a fine-tuned model is checked at its pretrained weights.
    let (data, spec, init) = starting_point(&cfg, None, true)?;
    let n = args.batch.min(data.train.y.len());
    let x = data.train.x.slice(ndarray::s![..n, ..]).mapv(f64::from);
    let y = &data.train.y[..n];
    common::outln!(
        "gradcheck {} on {n} examples (f64, central differences, eps 1e-6; per tensor: ‖a−n‖/(‖a‖+‖n‖))",
        spec.describe()
    );
    // One line per tensor as soon as it is checked: two forward passes per element take
    // minutes on the digits CNN, and a silent terminal looks hung. (Ctrl-C ends the check at
    // once: it writes no file.)
    let (mut worst, mut checked) = (0.0f64, 0);
    let started = std::time::Instant::now();
    scratch::gradcheck::gradcheck_each(&spec, &init, &x, y, 1e-6, |name, len, err| {
        let flag = if err <= args.tolerance { "ok" } else { "FAIL" };
        common::outln!(
            "  {name:<20} relative error {err:.3e}  {flag}  ({len} elements, {:.1} s)",
            started.elapsed().as_secs_f64()
        );
        let _ = std::io::Write::flush(&mut std::io::stdout());
        worst = worst.max(if err.is_nan() { f64::INFINITY } else { err });
        checked += 1;
        Ok(())
    })?;
    if worst > args.tolerance {
        return Err(Error::Other(format!(
            "gradient check failed: relative error {worst:.3e} > tolerance {:.1e}",
            args.tolerance
        )));
    }
    common::outln!("all {checked} tensors within {:.1e}", args.tolerance);
    Ok(())
}
