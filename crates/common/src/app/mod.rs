//! The command-line application both backends share: `train`, `eval`, `predict`, `sweep` and
//! the no-argument chapter run. A backend binary only supplies a [`BackendFactory`] and its own
//! extra subcommands (`gradcheck`, `doctor`, `bench`); everything else (config, data, the loop,
//! checkpoints, metrics) is the same code for both, which is what makes them comparable.

mod dialect_args;
mod eval;
mod image_io;
mod init_config;
mod log_line;
mod predict;
pub mod preflight;
mod run_folder;
mod start;
pub mod sweep;
pub mod threshold;
mod train;

pub use crate::checkpoint::write_atomic;
pub use dialect_args::DialectArgs;
pub use eval::{eval, EvalArgs};
pub use init_config::{init_config, InitConfigArgs};
pub use predict::{predict, PredictArgs};
pub use run_folder::choose_run_folder;
pub use start::starting_point;
pub use sweep::{sweep, SweepArgs};
pub use train::{data_files, default_run, run_training, train, TrainArgs, Trained};

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::Config;
use crate::data::XY;
use crate::fit::Backend;
use crate::preprocess::Preprocessor;
use crate::spec::ModelSpec;
use crate::tensor::NamedTensors;
use crate::Result;

/// What a backend is built from: a spec starting from `params` (`net.*`, spec order), with the
/// optimizer configured by `cfg.optim`, training data `train` (empty for eval/predict) and the
/// fitted preprocessing `pre` (image shape, augmentation fill values).
#[derive(Debug, Clone, Copy)]
pub struct BuildArgs<'a> {
    /// The network.
    pub spec: &'a ModelSpec,
    /// Its initial (or checkpointed) weights.
    pub params: &'a NamedTensors,
    /// The run's config.
    pub cfg: &'a Config,
    /// The training split.
    pub train: &'a XY,
    /// The fitted preprocessing.
    pub pre: &'a Preprocessor,
}

/// Builds a backend from a spec and its weights (initial or from a checkpoint).
pub trait BackendFactory {
    /// A backend for [`BuildArgs`].
    fn build(&self, args: &BuildArgs<'_>) -> Result<Box<dyn Backend>>;
    /// `scratch` or `torch`: names run folders and checkpoint metadata.
    fn name(&self) -> &'static str;
    /// The config of this backend's chapter run (what runs with no arguments).
    fn default_config(&self) -> Config;
}

/// The subcommands every backend binary has.
#[derive(Debug, clap::Subcommand)]
pub enum SharedCommand {
    /// Train from a config file (the chapter's run when no file is given).
    Train(TrainArgs),
    /// Metrics and confusion matrix of a checkpoint on its test split or on a CSV file.
    Eval(EvalArgs),
    /// Class and probabilities for each raw row of a CSV file.
    Predict(PredictArgs),
    /// Train a grid of config values × seeds (× folds), each an ordinary run folder, in
    /// parallel processes, and summarize them (mean ± std, 95 % intervals).
    Sweep(SweepArgs),
    /// Print the tabular config for a CSV file and its class column, with comments (what
    /// `train --csv FILE --target COLUMN` runs): `init-config … > my.toml`.
    InitConfig(InitConfigArgs),
}

/// Runs a shared subcommand.
pub fn run_shared(factory: &dyn BackendFactory, cmd: &SharedCommand) -> Result<()> {
    match cmd {
        SharedCommand::Train(args) => train(factory, args),
        SharedCommand::Eval(args) => eval(factory, args),
        SharedCommand::Predict(args) => predict(factory, args),
        SharedCommand::Sweep(args) => sweep(factory.name(), factory.default_config(), args),
        SharedCommand::InitConfig(args) => init_config(args),
    }
}

/// Installs the tracing subscriber: `RUST_LOG` filters, default `warn`, to stderr, one line per
/// event as `warning: …` (`log_line.rs`: the form `predict`'s and every error line take),
/// coloured only on a terminal and never with `NO_COLOR` set (so that a log file or a pipe
/// holds plain text, not `ESC[33m`).
pub fn init_tracing() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let no_color = std::env::var_os("NO_COLOR");
    let ansi = colour(std::io::stderr().is_terminal(), no_color.as_deref());
    // A second call (tests calling main twice) is harmless: ignore "already set".
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .event_format(log_line::LevelWord { ansi })
        .try_init();
}

/// Whether log lines may carry colour codes: on a terminal, unless `NO_COLOR` is set to
/// anything but the empty string (no-color.org).
fn colour(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Turns a command's result into the process exit status, printing an error as one line.
pub fn exit_with(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A run stopped by Ctrl-C (or SIGTERM/SIGHUP) exits as shells report an interrupt.
        Err(e @ crate::Error::Interrupted { .. }) => {
            crate::errln!("error: {e}");
            ExitCode::from(crate::fit::EXIT_INTERRUPTED as u8)
        }
        Err(e) => {
            crate::errln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Parses the command line as `T`; on a mistake, clap's message, then a hint for the usual
/// ones (`--epochs 5` → `--set train.epochs=5`, `--cfg` → `--config`), and clap's exit status.
pub fn parse_args<T: clap::Parser>() -> T {
    match T::try_parse() {
        Ok(args) => args,
        Err(e) => {
            // Help and version go to standard output; a broken pipe there is not an error.
            let _ = e.print();
            if let Some(hint) = flag_hint(&e) {
                crate::errln!("hint: {hint}");
            }
            std::process::exit(e.exit_code());
        }
    }
}

/// A hint for an unknown flag that names a config key or a misspelt flag.
fn flag_hint(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let flag = arg.split('=').next().unwrap_or(arg).trim_start_matches('-');
    let key = match flag {
        "cfg" | "conf" | "configuration" | "c" => {
            return Some("the config file is --config FILE (or -c FILE)".into())
        }
        "epochs" => "train.epochs",
        "batch-size" | "batch_size" | "bs" => "train.batch_size",
        "lr" | "learning-rate" => "optim.lr",
        "seed" => "seed",
        "hidden" => "model.hidden",
        "dropout" => "model.dropout",
        "data" | "csv" | "path" => "data.path",
        "target" => "data.target",
        _ => return None,
    };
    Some(format!(
        "config keys are set with --set KEY=VALUE, e.g. --set {key}=…; every key of the config \
         file can be set this way"
    ))
}

/// Loads the config file (or the given default) and applies `--set` overrides.
pub fn resolve_config(
    path: Option<&Path>,
    default: Config,
    overrides: &[String],
) -> Result<Config> {
    match path {
        Some(p) => Config::load(p, overrides),
        None => default.with_overrides(overrides),
    }
}

/// The default run folder: `checkpoints/<backend>-<config file stem or "chapter">`.
pub fn default_out_dir(backend: &str, config: Option<&Path>) -> PathBuf {
    let stem = config
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "chapter".into());
    PathBuf::from("checkpoints").join(format!("{backend}-{stem}"))
}

#[cfg(test)]
mod colour_tests {
    use super::colour;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some(OsStr::new(""))));
        assert!(!colour(true, Some(OsStr::new("1"))));
        assert!(!colour(false, None));
    }
}
