//! `sweep`: a grid of config values × seeds (× cross-validation folds), each an ordinary run
//! folder under `--out DIR` trained by an ordinary `train` child process of this binary, then
//! `DIR/summary.csv`, `DIR/summary.md` and `DIR/summary.svg`. A sweep has no training loop of
//! its own; rerunning the command finishes an interrupted sweep (see `exec`), `--shard I/N`
//! trains a slice of it (shards share nothing but the folder, so any batch scheduler can run
//! them) and `sweep --summarize DIR` summarizes whatever shards filled the folder.

mod chart;
mod exec;
mod lock;
mod plan;
pub mod report;
mod results;
mod stale;

use std::path::{Path, PathBuf};

use super::resolve_config;
use crate::checkpoint::write_atomic;
use crate::config::Config;
use crate::fit::CONFIG_FILE;
use crate::{Error, Result};
pub use plan::Manifest;
pub use results::METRICS;

/// The environment variable through which a sweep tells each child how many threads it may
/// use (the torch binary reads it as its `--threads` default; scratch's GEMMs read
/// `MATMUL_NUM_THREADS`, which the sweep sets too).
pub const THREADS_ENV: &str = "TWIN_NETS_THREADS";

/// The manifest file of a sweep folder.
const MANIFEST_FILE: &str = "sweep.json";

/// `sweep` flags (the same for both backends).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SweepArgs {
    /// The TOML config every run starts from.
    #[arg(long, short, required_unless_present = "summarize")]
    pub config: Option<PathBuf>,
    /// Override a config key in every run (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// A grid key and its values, e.g. `--grid optim.lr=0.01,0.003` (repeatable: the grid is
    /// every combination; brackets keep list values whole: `model.hidden=[32,16],[64]`).
    #[arg(long = "grid", value_name = "KEY=V1,V2,...")]
    pub grid: Vec<String>,
    /// Seeds: an inclusive range `1..10` or a list `1,4,9` (default: the config's seed).
    #[arg(long)]
    pub seeds: Option<String>,
    /// Stratified K-fold cross-validation over the train+val rows (the test rows stay fixed).
    #[arg(long)]
    pub folds: Option<usize>,
    /// Runs trained at once (default: the number of cores); each child gets cores / jobs threads.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Train only slice I of N (1-based), e.g. `--shard $SLURM_ARRAY_TASK_ID/8`; no summary.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// The sweep folder.
    #[arg(long, required_unless_present = "summarize")]
    pub out: Option<PathBuf>,
    /// Only summarize the sweep folder DIR (after its shards are done).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "grid", "seeds", "folds", "jobs", "shard", "out", "set"])]
    pub summarize: Option<PathBuf>,
}

/// The threads of a sweep's child from `TWIN_NETS_THREADS`, when set to a whole number ≥ 1.
pub fn threads_from_env() -> Option<usize> {
    std::env::var(THREADS_ENV)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|&n| n >= 1)
}

/// Runs `sweep`.
pub fn sweep(backend: &str, default: Config, args: &SweepArgs) -> Result<()> {
    if let Some(dir) = &args.summarize {
        return summarize(dir, &read_manifest(dir)?);
    }
    let (Some(config), Some(dir)) = (&args.config, &args.out) else {
        return Err(Error::Other(
            "sweep needs --config and --out (or --summarize DIR)".into(),
        ));
    };
    let shard = args
        .shard
        .as_deref()
        .map(plan::parse_shard)
        .transpose()?
        .unwrap_or((1, 1));
    let m = manifest(backend, default.clone(), config, args)?;
    let jobs = match args.jobs {
        Some(0) => return Err(Error::Other("--jobs 0: expected a whole number ≥ 1".into())),
        Some(j) => j,
        None => cores(),
    };
    let _lock = lock::acquire(dir, shard)?;
    save_manifest(dir, &m)?;
    let runs = plan::shard_of(m.runs(), shard);
    stale::check_unchanged(dir, &m, &default, &runs)?;
    let launcher = exec::Launcher {
        exe: std::env::current_exe()
            .map_err(|e| Error::Other(format!("cannot find this binary: {e}")))?,
        global: global_flags(),
        threads: (cores() / jobs).max(1),
    };
    let done = runs.iter().filter(|r| exec::is_done(dir, r)).count();
    crate::errln!(
        "sweep: {} runs in this shard ({done} already done), {jobs} at a time with {} thread(s) each → {}",
        runs.len(),
        launcher.threads,
        dir.display()
    );
    exec::run_all(dir, &m, &runs, jobs, &launcher)?;
    if shard.1 > 1 {
        crate::errln!(
            "sweep: shard {}/{} done; once every shard is: sweep --summarize {}",
            shard.0,
            shard.1,
            dir.display()
        );
        return Ok(());
    }
    summarize(dir, &m)
}

/// The plan from the flags, every grid point checked as a config (unknown key, bad value)
/// before anything is trained.
fn manifest(backend: &str, default: Config, config: &Path, args: &SweepArgs) -> Result<Manifest> {
    let base = resolve_config(Some(config), default.clone(), &args.set)?;
    let grid = args
        .grid
        .iter()
        .map(|g| plan::parse_grid(g))
        .collect::<Result<Vec<_>>>()?;
    for (i, g) in grid.iter().enumerate() {
        if grid[..i].iter().any(|h| h.key == g.key) {
            return Err(Error::Other(format!(
                "--grid {}: the key is given twice",
                g.key
            )));
        }
    }
    let seeds = match &args.seeds {
        Some(s) => plan::parse_seeds(s)?,
        None => vec![base.seed],
    };
    let m = Manifest {
        backend: backend.into(),
        config: config.to_string_lossy().into_owned(),
        set: args.set.clone(),
        grid,
        seeds,
        folds: args.folds.unwrap_or(0),
    };
    if m.folds == 1 {
        return Err(Error::Other(
            "--folds 1: cross-validation needs at least 2 folds".into(),
        ));
    }
    // One run per grid point is enough: seeds and folds only change validated numbers.
    for run in m
        .runs()
        .iter()
        .filter(|r| r.seed == m.seeds[0] && r.fold.unwrap_or(0) == 0)
    {
        resolve_config(Some(config), default.clone(), &m.sets_of(run))
            .map_err(|e| Error::Other(format!("sweep run {}: {e}", run.name)))?;
    }
    Ok(m)
}

/// Writes `DIR/sweep.json`, or checks that the one there plans the same sweep.
fn save_manifest(dir: &Path, m: &Manifest) -> Result<()> {
    let path = dir.join(MANIFEST_FILE);
    if path.exists() {
        let old = read_manifest(dir)?;
        if &old != m {
            return Err(Error::Other(format!(
                "{} holds another sweep ({} differs from this command); nothing was started: \
                 use another --out",
                dir.display(),
                path.display()
            )));
        }
        return Ok(());
    }
    let text = serde_json::to_string_pretty(m).map_err(|e| Error::Other(e.to_string()))?;
    write_atomic(&path, format!("{text}\n").as_bytes())
}

fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Other(format!("{}: {e}", path.display())))
}

/// Writes the summary files of a sweep whose runs are all done.
fn summarize(dir: &Path, m: &Manifest) -> Result<()> {
    let runs = m.runs();
    let results = results::read_all(dir, &runs)?;
    let first = dir.join(&runs[0].name).join(CONFIG_FILE);
    let cfg = Config::load(&first, &[])?;
    let monitor = cfg.train.monitor.clone();
    let maximize = cfg.monitor_maximizes();
    results::write_csv(dir, m, &results)?;
    let md = report::render(m, &results, &monitor, maximize);
    write_atomic(&dir.join("summary.md"), md.as_bytes())?;
    let points = report::by_point(m, &results);
    if let Err(e) = chart::plot(m, &points, &monitor, &dir.join("summary.svg")) {
        tracing::warn!("could not draw the sweep plot: {e}");
    }
    crate::errln!(
        "sweep: {} runs summarized in {}",
        results.len(),
        dir.join("summary.md").display()
    );
    Ok(())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The flags given before `sweep` on this process's command line (a backend's global flags,
/// such as torch's `--device`), passed on to every child.
fn global_flags() -> Vec<String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let at = args.iter().position(|a| a == "sweep").unwrap_or(0);
    args[..at].to_vec()
}
