//! The side-by-side run (`compare` with no subcommand): one config, one prepared split, one
//! set of initial weights, both backends built before either trains, then each trained by the
//! same `common::fit` loop into its own run folder (`<out>/scratch`, `<out>/torch`) and
//! evaluated from its best checkpoint on the test split (the validation split when the config
//! keeps no test split).

use std::path::{Path, PathBuf};

use common::app::{starting_point, threshold, write_atomic, BuildArgs};
use common::checkpoint::Checkpoint;
use common::config::Config;
use common::data::{Prepared, XY};
use common::fit::{
    checked_logits, fit, Backend, FitOptions, FitOutcome, Run, BEST_FILE, CURVES_FILE,
    HISTORY_FILE, TEST_METRICS_FILE,
};
use common::metrics::{evaluate_at, Report};
use common::spec::{LayerSpec, ModelSpec};
use common::tensor::NamedTensors;
use common::{Error, Result};
use ndarray::Array2;
use torch::DeviceChoice;

use crate::caps;
use crate::factory;

/// The backends' run folders inside a comparison folder.
pub const SIDES: [&str; 2] = ["scratch", "torch"];

/// The report of a comparison folder.
pub const REPORT_FILE: &str = "report.md";

/// Every file a comparison folder holds beside its two run folders ([`SIDES`], each an
/// ordinary run folder: `common::fit::RUN_FILES`): the report and its figures. The one list
/// used to write them and to check a folder (`compare/tests/cli.rs` lists what a real
/// comparison wrote against it).
pub fn folder_files() -> Vec<String> {
    let mut files = vec![
        REPORT_FILE.to_string(),
        "loss.svg".into(),
        "accuracy.svg".into(),
    ];
    for side in SIDES {
        files.push(format!("confusion_{side}.svg"));
        files.push(format!("boundary_{side}.svg"));
    }
    files
}

/// True when `dir` holds a comparison (its report, or a trained run in either side folder).
pub fn holds_comparison(dir: &Path) -> bool {
    dir.join(REPORT_FILE).exists()
        || SIDES
            .iter()
            .any(|s| !common::fit::saved_run_files(&dir.join(s)).is_empty())
}

/// How a comparison runs.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// The comparison folder: `scratch/`, `torch/`, `report.md`, the SVGs.
    pub out: PathBuf,
    /// Where the torch backend trains.
    pub device: DeviceChoice,
    /// No progress bars or per-backend lines.
    pub quiet: bool,
    /// Replace the comparison that `out` may hold (otherwise such a folder is refused).
    pub overwrite: bool,
}

/// One backend's run.
pub struct Side {
    /// `scratch` or `torch`.
    pub name: &'static str,
    /// Its run folder.
    pub dir: PathBuf,
    /// What the loop did.
    pub outcome: FitOutcome,
    /// Metrics of the best checkpoint on the evaluation split.
    pub eval: Report,
    /// Logits of the best checkpoint on the evaluation split.
    pub eval_logits: Array2<f32>,
    /// The backend, holding the best checkpoint's weights.
    pub backend: Box<dyn Backend>,
}

/// Both runs and what they shared.
pub struct Comparison {
    /// The resolved config.
    pub cfg: Config,
    /// The one prepared split both trained on.
    pub data: Prepared,
    /// The model both built.
    pub spec: ModelSpec,
    /// A digest of the initial weights both started from.
    pub init_digest: u64,
    /// `test` or `val`: the split of [`Side::eval`].
    pub eval_split: &'static str,
    /// Scratch, then torch.
    pub sides: Vec<Side>,
}

impl Comparison {
    /// The evaluation split's examples.
    pub fn eval_xy(&self) -> &XY {
        eval_xy(&self.data)
    }
    /// A note for the reader when the two runs cannot be numerically equal: with dropout, each
    /// backend draws its own masks, as in normal training.
    pub fn dropout_note(&self) -> Option<String> {
        let p = self.spec.layers.iter().find_map(|l| match l {
            LayerSpec::Dropout { p } if *p > 0.0 => Some(*p),
            _ => None,
        })?;
        Some(format!(
            "the model has dropout (p = {p}): each backend draws its own masks, as in normal \
             training, so the two runs are statistically, not numerically, equivalent \
             (`compare parity` checks them step by step with shared masks)"
        ))
    }
}

fn eval_xy(data: &Prepared) -> &XY {
    if data.test.y.is_empty() {
        &data.val
    } else {
        &data.test
    }
}

/// FNV-1a over the bits of every initial weight, in spec order: equal digests on both sides
/// of the report mean they started from the same numbers.
pub fn digest(tensors: &NamedTensors) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, t) in tensors {
        let bytes = name
            .bytes()
            .chain(t.to_f64().into_iter().flat_map(f64::to_le_bytes));
        for b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Prepares the data and the initial weights once, checks that both backends can build the
/// model and builds both, then trains each in turn. Nothing trains if either cannot be built.
pub fn run(cfg: &Config, opts: &CompareOptions) -> Result<Comparison> {
    claim_folder(&opts.out, opts.overwrite)?;
    let (data, spec, init) = starting_point(cfg, None, opts.quiet)?;
    caps::check_both(cfg, &spec)?;
    threshold::check_binary(cfg, data.n_classes())?;
    let factories = factory::both(opts.device);
    let mut built = Vec::new();
    for f in &factories {
        let backend = f
            .build(&BuildArgs {
                spec: &spec,
                params: &init,
                cfg,
                train: &data.train,
                pre: &data.pre,
            })
            .map_err(|e| {
                Error::Other(format!(
                    "the {} backend cannot start (nothing was trained): {e}",
                    f.name()
                ))
            })?;
        built.push((f.name(), backend));
    }
    let mut sides = Vec::new();
    for (name, backend) in built {
        sides.push(train_side(cfg, &data, &spec, name, backend, opts)?);
    }
    Ok(Comparison {
        cfg: cfg.clone(),
        init_digest: digest(&init),
        eval_split: if data.test.y.is_empty() {
            "val"
        } else {
            "test"
        },
        data,
        spec,
        sides,
    })
}

/// Refuses a folder that holds a comparison unless told to replace it, and removes the
/// temporary files of a killed earlier comparison (its side folders are cleaned by their runs).
fn claim_folder(out: &Path, overwrite: bool) -> Result<()> {
    if holds_comparison(out) && !overwrite {
        return Err(Error::Other(format!(
            "the folder {} already holds a comparison; nothing was changed. To keep it: \
             --out <another folder>; to replace it: --overwrite",
            out.display()
        )));
    }
    if out.is_dir() {
        common::checkpoint::atomic::remove_stale_temp_files(out)?;
    }
    Ok(())
}

/// Trains one backend into `<out>/<name>` and evaluates its best checkpoint.
fn train_side(
    cfg: &Config,
    data: &Prepared,
    spec: &ModelSpec,
    name: &'static str,
    mut backend: Box<dyn Backend>,
    opts: &CompareOptions,
) -> Result<Side> {
    let dir = opts.out.join(name);
    if !opts.quiet {
        common::errln!(
            "compare: training {name} ({}) into {}",
            spec.describe(),
            dir.display()
        );
    }
    let fit_opts = FitOptions {
        out_dir: dir.clone(),
        quiet: opts.quiet,
        chapter_lines: false,
        resume: None,
        overwrite: opts.overwrite,
        hparams: Vec::new(),
    };
    let outcome = fit(backend.as_mut(), &Run { cfg, spec, data }, &fit_opts)?;
    // What a `train` run folder says about its data: the schema and the split's rows.
    let files = common::app::data_files(cfg, data)?;
    let list: Vec<(&Path, &[u8])> = files
        .iter()
        .map(|(name, bytes)| (Path::new(*name), &bytes[..]))
        .collect();
    common::checkpoint::write_atomic_all(&dir, &list)?;
    // The run folder's own learning curves, as for any run (`common::plot`).
    common::plot::plot_history(&dir.join(HISTORY_FILE), &dir.join(CURVES_FILE))?;
    let best_path = dir.join(BEST_FILE);
    let mut best = Checkpoint::load(&best_path)?;
    backend.import(&best.model_tensors())?;
    // A binary model's decision threshold (`train.threshold`), chosen on validation and
    // saved in the best checkpoint, as `train` does.
    let chosen = threshold::decide(backend.as_mut(), spec, data, cfg)?;
    if let Some((value, line)) = &chosen {
        if !opts.quiet {
            common::errln!("compare: {name}: {line}");
        }
        let bytes = threshold::store(&mut best, *value, &best_path)?;
        write_atomic(&best_path, &bytes)?;
    }
    let xy = eval_xy(data);
    let eval_logits = checked_logits(backend.as_mut(), &xy.x, spec)?;
    let eval = evaluate_at(
        &eval_logits,
        &xy.y,
        spec.head,
        &data.class_names,
        chosen.map(|(v, _)| v),
    );
    if !data.test.y.is_empty() {
        write_metrics(&dir, &eval)?;
    }
    Ok(Side {
        name,
        dir,
        outcome,
        eval,
        eval_logits,
        backend,
    })
}

/// `test_metrics.json`, as the backends' own `train` command writes it.
fn write_metrics(dir: &Path, report: &Report) -> Result<()> {
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Other(e.to_string()))?;
    write_atomic(&dir.join(TEST_METRICS_FILE), json.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::tensor::HostTensor;

    #[test]
    fn digest_sees_every_bit_and_name() {
        let a = vec![("w".to_string(), HostTensor::f64(vec![2], vec![0.5, -1.0]))];
        let mut b = a.clone();
        assert_eq!(digest(&a), digest(&b));
        b[0].1 = HostTensor::f64(vec![2], vec![0.5, -1.0 + 1e-15]);
        assert_ne!(digest(&a), digest(&b));
        b = vec![("v".to_string(), a[0].1.clone())];
        assert_ne!(digest(&a), digest(&b));
    }
}
