//! The `compare` binary: both routes side by side (no subcommand), `parity` and `bench`.
//! See `compare --help` and the crate documentation of `compare`.

use std::process::ExitCode;

fn main() -> ExitCode {
    common::app::init_tracing();
    let cli = common::app::parse_args::<compare::cli::Cli>();
    common::app::exit_with(compare::cli::run(cli))
}
