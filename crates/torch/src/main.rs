//! The `torch` binary (Route 2). With no arguments it runs the chapter's PyTorch `main.py`
//! (circle n=5000, 2→64→64→2, cross-entropy, Adam lr 1e-3, batch 128, 30 epochs, seed 42) and
//! prints its per-epoch lines; `train`, `eval` and `predict` are the shared commands of
//! `common::app`; `doctor` and `bench` are this backend's own. `--device`, `--threads`,
//! `--f64` and `--adam` apply to every command.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use common::app::{default_run, exit_with, init_tracing, run_shared, SharedCommand};
use torch::optim::AdamKernel;
use torch::{DeviceChoice, Precision, TorchFactory, TorchOptions};

/// Route 2 of the chapter on libtorch: the same models as `scratch`, with autograd.
#[derive(Debug, Parser)]
#[command(name = "torch", version, about)]
struct Cli {
    /// Where to train: cpu, cuda or auto (CUDA when available, else the CPU with a warning).
    #[arg(long, global = true, default_value = "cpu", value_parser = parse_device)]
    device: DeviceChoice,
    /// libtorch intra-op threads, ≥ 1 (default: 1 for small models, every core for large ones).
    #[arg(long, global = true, value_parser = at_least_one)]
    threads: Option<usize>,
    /// Train in double precision (for parity checks against `scratch` in f64).
    #[arg(long, global = true)]
    f64: bool,
    /// Adam's implementation: `fused` (libtorch's one-pass kernel, as `torch.optim.Adam(fused=True)`)
    /// or `composite` (the single-tensor formula operation by operation, bit for bit
    /// `torch.optim.Adam(foreach=False)`).
    #[arg(long, global = true, default_value = "fused", value_parser = parse_adam)]
    adam: AdamKernel,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// libtorch version, CUDA and cuDNN availability, devices, build features.
    Doctor,
    /// Training throughput on the chapter run, a large circle set and a wide MLP (and, on
    /// CUDA, a big MLP).
    Bench {
        /// Cases to run, by letter: a (chapter), b (circle n=200000), c (wide 784→512→512→2),
        /// d (big 784→2048→2048→2, batch 1024, n=200000). Default: a, b, c, plus d on CUDA.
        #[arg(long, value_delimiter = ',')]
        case: Vec<char>,
        /// Repetitions of each case; the fastest is reported.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
        reps: u16,
    },
    /// `train`, `eval`, `predict`, `sweep`: the subcommands both backends share.
    #[command(flatten)]
    Shared(SharedCommand),
}

fn parse_adam(s: &str) -> Result<AdamKernel, String> {
    s.parse().map_err(|e: common::Error| e.to_string())
}

fn parse_device(s: &str) -> Result<DeviceChoice, String> {
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

fn main() -> ExitCode {
    init_tracing();
    let cli = common::app::parse_args::<Cli>();
    let precision = if cli.f64 {
        Precision::F64
    } else {
        Precision::F32
    };
    let factory = TorchFactory {
        opts: TorchOptions {
            device: cli.device,
            precision,
            // A sweep's child is told its share of the cores through the environment.
            threads: cli.threads.or_else(common::app::sweep::threads_from_env),
            adam: cli.adam,
        },
    };
    if let Some(told) = common::app::sweep::threads_from_env() {
        // A sweep's child says, in its log, what it runs with (the sweep's tests read it).
        let o = &factory.opts;
        let threads = torch::device::configure_threads(o.threads);
        common::errln!(
            "torch: device {:?}, precision {:?}, {threads} libtorch threads (sweep share {told})",
            o.device,
            o.precision
        );
    }
    // `--device cuda` without CUDA fails before any data is read or decoded, not after.
    // Commands that use no device (`doctor`, `init-config`, `sweep --summarize`) run anyway.
    let uses_device = match &cli.command {
        Some(Command::Doctor | Command::Shared(SharedCommand::InitConfig(_))) => false,
        Some(Command::Shared(SharedCommand::Sweep(s))) => s.summarize.is_none(),
        _ => true,
    };
    let cuda_missing = match cli.device {
        DeviceChoice::Cuda if uses_device => torch::device::resolve(DeviceChoice::Cuda).err(),
        _ => None,
    };
    if let Some(e) = cuda_missing {
        return exit_with(Err(e));
    }
    exit_with(match cli.command {
        None => default_run(&factory),
        Some(Command::Shared(cmd)) => run_shared(&factory, &cmd),
        Some(Command::Doctor) => {
            torch::device::configure_threads(cli.threads);
            common::outln!("{}", torch::doctor());
            Ok(())
        }
        Some(Command::Bench { case, reps }) => {
            torch::bench(&factory.opts, &case, reps.into()).map(|report| common::out!("{report}"))
        }
    })
}
