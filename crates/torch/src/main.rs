//! The `torch` binary (Route 2): `torch` runs the chapter's PyTorch `main.py` (circle n=5000,
//! 2→64→64→2, cross-entropy, Adam lr 1e-3, batch 128, 30 epochs, seed 42) and prints its
//! per-epoch lines; `torch doctor` says what libtorch can do here; `torch bench` measures
//! throughput. Everything else lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use common::config::Config;
use common::fit::FitOptions;
use torch::{DeviceChoice, TorchOptions};

/// Route 2 of the chapter on libtorch.
#[derive(Debug, Parser)]
#[command(name = "torch", version, about)]
struct Cli {
    /// Where to train: cpu, cuda or auto (CUDA when available, else the CPU).
    #[arg(long, global = true, default_value = "cpu", value_parser = parse_device)]
    device: DeviceChoice,
    /// libtorch intra-op threads (default: 1 for small models, every core for large ones).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// libtorch version, CUDA and cuDNN availability, devices, build features.
    Doctor,
    /// Training throughput on the chapter run, a large circle set and a wide MLP.
    Bench,
}

fn parse_device(s: &str) -> Result<DeviceChoice, String> {
    s.parse().map_err(|e: common::Error| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let opts = TorchOptions { device: cli.device, threads: cli.threads, ..TorchOptions::default() };
    let result = match cli.command {
        Some(Command::Doctor) => {
            torch::device::configure_threads(cli.threads);
            println!("{}", torch::doctor());
            Ok(())
        }
        Some(Command::Bench) => torch::bench(&opts).map(|report| print!("{report}")),
        None => chapter(&opts),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The chapter's Route 2 run, written to `checkpoints/torch-chapter`.
fn chapter(opts: &TorchOptions) -> common::Result<()> {
    let cfg = Config::chapter_route2();
    let fit_opts = FitOptions {
        out_dir: PathBuf::from("checkpoints").join("torch-chapter"),
        quiet: false,
        chapter_lines: true,
        resume: None,
    };
    torch::train_config(&cfg, &fit_opts, opts).map(|_| ())
}
