//! The `scratch` binary: Route 1 from the command line. With no arguments it runs the chapter's
//! Route 1 (circle n=2000, 2→32→1 ReLU, BCE-with-logits, SGD lr 0.5, batch 64, 20 epochs, seed
//! 42) and prints the chapter's per-epoch lines; `train`, `eval` and `predict` are the shared
//! commands of `common::app`; `gradcheck` and `bench` are this backend's own.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    common::app::init_tracing();
    let args = common::app::parse_args::<cli::Cli>();
    common::app::exit_with(cli::run(args))
}
