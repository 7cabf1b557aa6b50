//! `train` and the no-argument chapter run: config → data → the column schema (printed before
//! epoch 1 for a table, written to `schema.txt` for every run) → spec → shared initial weights
//! → backend → the epoch loop → a summary and, when there is a test split, the best
//! checkpoint's test metrics (written to `test_metrics.json` in the run folder).

use std::path::{Path, PathBuf};

use super::run_folder::choose_run_folder;
use super::start::starting_point;
use super::threshold;
use super::{default_out_dir, preflight, resolve_config, BackendFactory, BuildArgs};
use crate::checkpoint::{write_atomic_all, Checkpoint};
use crate::config::{Config, Override};
use crate::data::Prepared;
use crate::fit::{
    evaluate_split_at, fit, saved_run_files, Backend, FitOptions, FitOutcome, Run, BAD_FILES_FILE,
    BEST_FILE, CURVES_FILE, HISTORY_FILE, LAST_FILE, SCHEMA_FILE, SCHEMA_JSON_FILE, SPLIT_FILE,
    TEST_METRICS_FILE,
};
use crate::loss_weights::LossWeights;
use crate::spec::ModelSpec;
use crate::{Error, Result};

/// `train` flags (the same for both backends).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TrainArgs {
    /// The TOML config (default: this backend's chapter run).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Train on this CSV file with the tabular defaults (what `init-config` prints), no
    /// config file needed; with `--target`. With `--resume`, the config these give must be
    /// the checkpoint's (as when the interrupted command is run again with `--resume`).
    #[arg(
        long,
        value_name = "FILE",
        requires = "target",
        conflicts_with = "config"
    )]
    pub csv: Option<PathBuf>,
    /// The class column of `--csv`.
    #[arg(long, value_name = "COLUMN", requires = "csv")]
    pub target: Option<String>,
    /// Override a config key, e.g. `--set optim.lr=0.1` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// The run folder (default: `checkpoints/<backend>-<config stem>`, or `…-2`, `…-3`, …
    /// when that one already holds a run; with `--resume`, the checkpoint's folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue from a checkpoint (`last.safetensors` of an earlier run) or a run folder (its
    /// `last.safetensors`); without `--config`, with the config the checkpoint holds.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Replace the run that `--out` already holds (without it, such a folder is refused).
    #[arg(long)]
    pub overwrite: bool,
    /// No per-epoch lines, no progress bar, no summary or test report (errors still print;
    /// `test_metrics.json` is still written).
    #[arg(long, short)]
    pub quiet: bool,
    /// Print per-layer gradient norms each epoch (the chapter's debugging checklist).
    #[arg(long)]
    pub log_grad_norms: bool,
}

/// Runs `train`.
pub fn train(factory: &dyn BackendFactory, args: &TrainArgs) -> Result<()> {
    // `--resume DIR` continues the run in DIR (its last checkpoint).
    let resume = args.resume.as_ref().map(|p| match p.is_dir() {
        true => p.join(LAST_FILE),
        false => p.clone(),
    });
    // Without --config, a resumed run starts from the config its checkpoint holds.
    let base = match (&resume, &args.config) {
        (Some(ckpt), None) => Checkpoint::load(ckpt)?.meta.config,
        _ => factory.default_config(),
    };
    let mut cfg = match (&args.csv, &args.target) {
        (Some(csv), Some(target)) => Config::tabular(csv, target, &args.set)?,
        _ => resolve_config(args.config.as_deref(), base, &args.set)?,
    };
    if args.log_grad_norms {
        cfg.train.log_grad_norms = true;
    }
    // `--csv FILE` names its run folder after the file, as `--config` does after the config.
    let named_by = args.config.as_deref().or(args.csv.as_deref());
    let default = default_out_dir(factory.name(), named_by);
    let opts = FitOptions {
        out_dir: pick_folder(
            args.out.as_deref(),
            &default,
            resume.as_deref(),
            args.overwrite,
        ),
        quiet: args.quiet,
        chapter_lines: true,
        resume,
        overwrite: args.overwrite,
        hparams: set_keys(&args.set),
    };
    run_training(factory, &cfg, &opts).map(|_| ())
}

/// The dotted keys of `--set` overrides, each once, in order (the hparams of the run's
/// TensorBoard summary: a sweep launches its runs with its grid values as `--set`s).
fn set_keys(set: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for key in set
        .iter()
        .filter_map(|s| Override::parse(s).ok())
        .map(|o| o.key)
    {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// The chapter's run for this backend, printing the chapter's per-epoch lines.
pub fn default_run(factory: &dyn BackendFactory) -> Result<()> {
    let cfg = factory.default_config();
    let default = default_out_dir(factory.name(), None);
    let opts = FitOptions {
        out_dir: pick_folder(None, &default, None, false),
        chapter_lines: true,
        ..FitOptions::default()
    };
    run_training(factory, &cfg, &opts).map(|_| ())
}

/// The run folder (see `run_folder`), saying so when the default one was taken.
fn pick_folder(
    explicit: Option<&Path>,
    default: &Path,
    resume: Option<&Path>,
    overwrite: bool,
) -> PathBuf {
    let holds = |d: &Path| !saved_run_files(d).is_empty();
    let (dir, moved) = choose_run_folder(explicit, default, resume, overwrite, &holds);
    if moved {
        crate::errln!(
            "note: {} holds an earlier run (kept); this run goes to {}",
            default.display(),
            dir.display()
        );
    }
    dir
}

/// What a finished training run produced.
pub struct Trained {
    /// The prepared data.
    pub data: Prepared,
    /// The spec.
    pub spec: ModelSpec,
    /// The backend, holding the final (or restored best) weights.
    pub backend: Box<dyn Backend>,
    /// The loop's outcome.
    pub outcome: FitOutcome,
}

/// Prepares data, builds the backend from the shared initial weights and runs the loop into
/// `opts.out_dir` (which the loop refuses if it holds another run, unless `opts.overwrite`).
///
/// Before anything else the run folder must be writable (and is created), and once the model
/// is known its disk must have room for the checkpoints (see `preflight`): a run that could
/// not save fails at once. A folder created here is removed again if the run fails before
/// writing anything in it.
pub fn run_training(
    factory: &dyn BackendFactory,
    cfg: &Config,
    opts: &FitOptions,
) -> Result<Trained> {
    let out = &opts.out_dir;
    let created = preflight::check_writable(out)?;
    let result = train_in(factory, cfg, opts);
    if result.is_err() && created {
        // `remove_dir` only removes an empty folder: saved files are never touched.
        let _ = std::fs::remove_dir(out);
    }
    result
}

/// [`run_training`] once the run folder is known to be writable.
fn train_in(factory: &dyn BackendFactory, cfg: &Config, opts: &FitOptions) -> Result<Trained> {
    let out = &opts.out_dir;
    let (data, spec, init) = starting_point(cfg, opts.resume.as_deref(), opts.quiet)?;
    let schema = &data.pre.schema;
    // An image folder has no columns: its notes (printed by starting_point) say what was read.
    if !opts.quiet && schema.note.is_none() && data.pre.image.is_none() {
        crate::err!("{}", schema.report());
    }
    preflight::check_free_space(out, &spec, cfg)?;
    threshold::check_binary(cfg, data.n_classes())?;
    let rule = cfg.train.class_weights.as_ref();
    let names = &data.pre.class_names;
    if let Some(w) = LossWeights::resolve(rule, spec.head, &data.train.y, names)? {
        if !opts.quiet {
            crate::errln!("{}", w.describe(names));
        }
    }
    let mut backend = factory.build(&BuildArgs {
        spec: &spec,
        params: &init,
        cfg,
        train: &data.train,
        pre: &data.pre,
    })?;
    let outcome = fit(
        backend.as_mut(),
        &Run {
            cfg,
            spec: &spec,
            data: &data,
        },
        opts,
    );
    // Once the loop has claimed the folder (it refuses one holding another run before
    // touching it), the schema goes beside the config, also when the run stops early.
    // The files written after the loop go in one commit (`write_atomic_all`): one fsync of the
    // folder for all of them.
    let mut files: Vec<(&'static str, Vec<u8>)> = Vec::new();
    if matches!(
        outcome,
        Ok(_) | Err(Error::Interrupted { .. } | Error::Diverged { .. })
    ) {
        files = data_files(cfg, &data)?;
    }
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            write_files(out, &files)?;
            return Err(e);
        }
    };
    let mut trained = Trained {
        data,
        spec,
        backend,
        outcome,
    };
    let summary = summarize(&mut trained, cfg, out, opts.quiet, &mut files);
    write_files(out, &files)?;
    summary.map(|()| trained)
}

/// The run folder's files about its data, written once the loop has claimed the folder:
/// `schema.txt` (for an image folder, what was read), `schema.json`, `split.json` and, when
/// files were skipped, `bad_files.txt`. `compare` writes them into each backend's folder too.
pub fn data_files(cfg: &Config, data: &Prepared) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let mut files = Vec::new();
    let report = match data.pre.image {
        Some(_) => data.notes.iter().map(|n| format!("{n}\n")).collect(),
        None => data.pre.schema.report(),
    };
    files.push((SCHEMA_FILE, report.into_bytes()));
    let json = serde_json::to_string_pretty(&data.pre.schema)
        .map_err(|e| Error::Other(format!("the schema as JSON: {e}")))?;
    files.push((SCHEMA_JSON_FILE, (json + "\n").into_bytes()));
    files.push((SPLIT_FILE, split_text(cfg, data)?));
    if !data.bad_files.is_empty() {
        let list: String = data
            .bad_files
            .iter()
            .map(|(p, why)| format!("{p}\t{why}\n"))
            .collect();
        files.push((BAD_FILES_FILE, list.into_bytes()));
    }
    Ok(files)
}

/// Writes `files` into the run folder `out` atomically, in one commit.
fn write_files(out: &Path, files: &[(&'static str, Vec<u8>)]) -> Result<()> {
    let list: Vec<(&Path, &[u8])> = files
        .iter()
        .map(|(name, bytes)| (Path::new(*name), &bytes[..]))
        .collect();
    write_atomic_all(out, &list)
}

/// `split.json`'s text, as UTF-8 bytes: the fold (0 of 0 without cross-validation), the rows of
/// each split and, for an image folder, its files (relative paths) in the rows' numbering.
fn split_text(cfg: &Config, data: &Prepared) -> Result<Vec<u8>> {
    /// The record, its fields in the sorted order the file has always had, serialized from
    /// the slices directly (building a `serde_json::Value` of 200,000 rows first cost about
    /// 28 million instructions).
    #[derive(serde::Serialize)]
    struct Record<'a> {
        fold: usize,
        folds: usize,
        test: &'a [usize],
        train: &'a [usize],
        val: &'a [usize],
        /// An image folder's files, as the rows number them.
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        files: &'a [String],
    }
    let record = Record {
        fold: cfg.data.fold,
        folds: cfg.data.folds,
        test: &data.split.test,
        train: &data.split.train,
        val: &data.split.val,
        files: &data.sources,
    };
    // Sized once for the rows (at most 7 digits and a comma each below 10⁷ rows) and written
    // in place: growing a 1.3 MB string by doubling, then copying it to add the newline, cost
    // a fifth of this function on the 200,000-row circle.
    let rows = record.test.len() + record.train.len() + record.val.len();
    let mut text = Vec::with_capacity(8 * rows + 64);
    serde_json::to_writer(&mut text, &record).map_err(|e| Error::Other(e.to_string()))?;
    text.push(b'\n');
    Ok(text)
}

/// Prints the run summary on stderr and evaluates the best checkpoint on the test split; the
/// learning curves and the test metrics join `files`.
fn summarize(
    t: &mut Trained,
    cfg: &Config,
    out: &Path,
    quiet: bool,
    files: &mut Vec<(&'static str, Vec<u8>)>,
) -> Result<()> {
    // The learning curves as a picture beside history.csv; a plotting failure costs the
    // picture, not the run (the CSV holds the same numbers).
    let history = out.join(HISTORY_FILE);
    match crate::plot::history_svg(&history, &out.join(CURVES_FILE)) {
        Ok(svg) => files.push((CURVES_FILE, svg.into_bytes())),
        Err(e) => tracing::warn!("could not draw the learning curves: {e}"),
    }
    let o = &t.outcome;
    let rate = match o.train_samples {
        0 => "no epoch trained in this process".to_string(),
        n => format!(
            "{:.0} train samples/s",
            n as f64 / o.train_seconds.max(1e-12)
        ),
    };
    if !quiet {
        crate::errln!(
            "{}: {} | {} epochs{} | best epoch {} ({}={:.4}) | {} | run folder {}",
            t.backend.name(),
            t.spec.describe(),
            o.epochs_run,
            if o.stopped_early { " (early stop)" } else { "" },
            o.best_epoch,
            cfg.train.monitor,
            o.best_value,
            rate,
            out.display()
        );
    }
    let best = out.join(BEST_FILE);
    let needs_threshold = !cfg.train.threshold.is_default();
    if t.data.test.y.is_empty() && !needs_threshold {
        return Ok(());
    }
    let mut ckpt = Checkpoint::load(&best)?;
    t.backend.import(&ckpt.tensors)?;
    let chosen = threshold::decide(t.backend.as_mut(), &t.spec, &t.data, cfg)?;
    if let Some((value, line)) = &chosen {
        if !quiet {
            crate::errln!("{line}");
        }
        files.push((BEST_FILE, threshold::store(&mut ckpt, *value, &best)?));
    }
    if t.data.test.y.is_empty() {
        return Ok(());
    }
    let report = evaluate_split_at(
        t.backend.as_mut(),
        &t.data.test,
        &t.spec,
        &t.data.class_names,
        chosen.map(|(v, _)| v),
    )?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| Error::Other(e.to_string()))?;
    files.push((TEST_METRICS_FILE, json.into_bytes()));
    if !quiet {
        crate::errln!(
            "test split, best checkpoint (epoch {}):\n{}",
            ckpt.meta.train_state.epoch,
            report.render()
        );
    }
    Ok(())
}
